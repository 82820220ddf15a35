/**
 * NETCONF bad-input corpus: the framer (EOM and chunked, fed in random splits) and every parser the
 * session runs on a message (root peek, hello, rpc-reply + rpc-error, notification, re-serialisation),
 * on mutated seed messages from test/fixtures/fuzz/netconf/, truncations at every framing boundary,
 * huge chunk sizes, deep nesting and garbage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isVmmiError } from '../../src/errors/vmmi-error.js';
import { FrameDecoder, MAX_CHUNK_SIZE, encodeMessage, type Framing } from '../../src/transports/netconf/framing.js';
import { negotiateFraming, parseServerHello, type NetconfProfile } from '../../src/transports/netconf/hello.js';
import { parseNotification } from '../../src/transports/netconf/notifications.js';
import { parseRpcErrors, splitSeverity, toRpcError } from '../../src/transports/netconf/rpc-error.js';
import { parseXml, peekRoot, serializeXml } from '../../src/transports/netconf/xml.js';
import type { Corpus, FuzzInput } from './harness.js';
import { previewBytes, previewText } from './harness.js';
import { concatBytes, mutateBytes, randomBytes, splitPoints, truncationPoints } from './mutate.js';
import { rngFor, type Rng } from './prng.js';
import { deepXml, garbageText, mutateText } from './text.js';

const SEED_DIR = new URL('../../test/fixtures/fuzz/netconf/', import.meta.url);
const CODES = ['FRAMING', 'PROTOCOL', 'NETCONF_RPC'] as const;
/** Small limit so mutated length fields actually cross it. */
const MAX_MESSAGE = 16 * 1024;
const PROFILE: NetconfProfile = {
  name: 'fuzz',
  offerBase10: true,
  offerBase11: true,
  extraCapabilities: [],
  defaultPort: 830,
};
const enc = new TextEncoder();

export interface NetconfSeed {
  readonly name: string;
  readonly xml: string;
}

export function loadNetconfSeeds(): NetconfSeed[] {
  return readdirSync(SEED_DIR).filter((f) => f.endsWith('.xml')).sort()
    .map((f) => ({ name: f.replace(/\.xml$/, ''), xml: readFileSync(new URL(f, SEED_DIR), 'utf8') }));
}

/** Runs `f`; a typed rejection with an allowed code is swallowed (the next parser still runs). */
function typed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (isVmmiError(e) && (CODES as readonly string[]).includes(e.code)) return;
    throw e;
  }
}

/**
 * What the session does with one received message: route on the root start tag, then run the one
 * parser for that kind (hello, notification, rpc-reply with rpc-errors and re-serialisation). A message
 * the peek cannot route still goes through the full XML reader, so the reader sees every input.
 */
export function parseLikeSession(msg: string): void {
  let root: ReturnType<typeof peekRoot>;
  typed(() => (root = peekRoot(msg)));
  const name = root?.name;
  typed(() => {
    if (name === 'hello') {
      negotiateFraming(PROFILE, parseServerHello(msg).capabilities);
    } else if (name === 'notification') {
      parseNotification(msg);
    } else {
      const doc = parseXml(msg);
      const { errors } = splitSeverity(parseRpcErrors(doc));
      if (errors.length > 0) void toRpcError(errors, 'edit-config', 'fuzz').message;
      serializeXml(doc);
    }
  });
}

/** Framer + parsers over a byte stream pushed in pieces; stops at the first framing error (as the session does). */
function decodeStream(bytes: Uint8Array, splits: readonly number[], start: Framing, switchAfterFirst: boolean): void {
  const dec = new FrameDecoder({ maxMessageBytes: MAX_MESSAGE });
  dec.setFraming(start);
  let at = 0;
  let first = true;
  for (const cut of [...splits, bytes.length]) {
    dec.push(bytes.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
    for (let m = dec.next(); m !== undefined; m = dec.next()) {
      parseLikeSession(m);
      if (first && switchAfterFirst) dec.setFraming('chunked');
      first = false;
    }
  }
}

/** A valid framed stream of 1–3 seed messages and the offsets of its framing boundaries. */
function framedStream(rng: Rng, seeds: readonly NetconfSeed[], mode: Framing, helloFirst: boolean):
  { bytes: Uint8Array; boundaries: number[]; names: string[] } {
  const parts: Uint8Array[] = [];
  const boundaries: number[] = [];
  const names: string[] = [];
  let len = 0;
  const add = (b: Uint8Array): void => {
    parts.push(b);
    len += b.length;
    boundaries.push(len);
  };
  if (helloFirst) {
    const h = seeds.find((s) => s.name === 'hello-netconfd') ?? rng.pick(seeds);
    add(encodeMessage(h.xml, 'eom'));
    names.push(h.name);
  }
  const n = rng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const s = rng.pick(seeds);
    names.push(s.name);
    const chunk = rng.chance(0.5) ? 0 : rng.range(1, 200);
    const framed = encodeMessage(s.xml, mode, chunk);
    // Chunk header offsets inside this message (every "\n#" start).
    for (let k = 0; k + 1 < framed.length; k++)
      if (framed[k] === 0x0a && framed[k + 1] === 0x23) boundaries.push(len + k);
    add(framed);
  }
  return { bytes: concatBytes(parts), boundaries, names };
}

function bytesInput(label: string, bytes: Uint8Array, run: () => void): FuzzInput {
  return { label, preview: () => previewBytes(bytes), run: () => (run(), undefined) };
}

function textInput(label: string, text: string): FuzzInput {
  return { label, preview: () => previewText(text), run: () => (parseLikeSession(text), undefined) };
}

/** Structural extremes, chosen by index. */
function extreme(rng: Rng, k: number, seeds: readonly NetconfSeed[]): FuzzInput {
  const seed = rng.pick(seeds);
  const body = enc.encode(seed.xml);
  switch (k % 10) {
    case 0:
      return textInput('deep-xml 10000 closed', deepXml(10_000));
    case 1:
      return textInput(
        'deep-xml 10000 unclosed in rpc-reply',
        `<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data>${deepXml(10_000, false, 'x')}`,
      );
    case 2:
      return textInput(
        `deep-xml ${rng.range(50, 2000)} mixed`,
        deepXml(rng.range(50, 2000), rng.chance(0.5), rng.pick(['a', 'nc:a', 'rpc-error'])),
      );
    case 3: {
      const size = rng.pick([MAX_CHUNK_SIZE, MAX_CHUNK_SIZE + 1, MAX_MESSAGE, MAX_MESSAGE + 1, 99999999999, 2 ** 53]);
      const b = concatBytes([enc.encode(`\n#${size}\n`), body.subarray(0, rng.int(body.length)), enc.encode('\n##\n')]);
      return bytesInput(`chunk size ${size}`, b, () => decodeStream(b, splitPoints(rng, b.length), 'chunked', false));
    }
    case 4: {
      const b = concatBytes([
        body,
        randomBytes(rng, rng.range(MAX_MESSAGE - 512, MAX_MESSAGE + 512)),
        enc.encode(']]>]]>'),
      ]);
      return bytesInput('eom message around the size limit', b, () =>
        decodeStream(b, splitPoints(rng, b.length), 'eom', false),
      );
    }
    case 5: {
      const b = randomBytes(rng, rng.range(0, 2048));
      const mode: Framing = rng.chance(0.5) ? 'eom' : 'chunked';
      return bytesInput(`garbage ${mode}`, b, () => decodeStream(b, splitPoints(rng, b.length), mode, false));
    }
    case 6: {
      const f = encodeMessage(seed.xml, 'chunked', rng.range(1, 64));
      const b = concatBytes([f, randomBytes(rng, rng.range(1, 256))]);
      return bytesInput(`valid-then-garbage chunked ${seed.name}`, b, () =>
        decodeStream(b, splitPoints(rng, b.length), 'chunked', false),
      );
    }
    case 7:
      return textInput(`garbage text after ${seed.name}`, seed.xml + garbageText(rng, rng.range(1, 300)));
    case 8: {
      // Many tiny chunks: per-chunk overhead must stay linear.
      const b = encodeMessage(seed.xml.repeat(rng.range(1, 8)), 'chunked', 1);
      return bytesInput(`one-byte chunks ${seed.name}`, b, () =>
        decodeStream(b, splitPoints(rng, b.length), 'chunked', false),
      );
    }
    default:
      return textInput('garbage text', garbageText(rng, rng.range(0, 1000)));
  }
}

/**
 * Fixed inputs at fixed indices: shapes found by hand that random mutation of the comment-free seeds
 * rarely produces. Index 7: a message whose first non-blank text is an unterminated comment after two
 * or more blanks (a truncated or hostile reply); index 8: the same inside an EOM frame.
 */
const SPECIAL: Readonly<Record<number, () => FuzzInput>> = {
  7: () => textInput('unterminated comment after leading blanks', '  <!-- reply cut here'),
  8: () => {
    const b = enc.encode('\n\n<!-- cut]]>]]>');
    return bytesInput('eom frame: unterminated comment after leading blanks', b, () =>
      decodeStream(b, [], 'eom', false),
    );
  },
};

export function netconfCorpus(seedValue = 0x6e63_0001): Corpus {
  const seeds = loadNetconfSeeds();
  const donors = seeds.map((s) => encodeMessage(s.xml, 'chunked', 64));
  return {
    name: 'netconf',
    seed: seedValue,
    allowedCodes: CODES,
    make(index) {
      const special = SPECIAL[index];
      if (special !== undefined) return special();
      const rng = rngFor(seedValue, index);
      const r = index % 40;
      if (r < 16) {
        const mode: Framing = rng.chance(0.7) ? 'chunked' : 'eom';
        const hello = mode === 'chunked' && rng.chance(0.4);
        const s = framedStream(rng, seeds, mode, hello);
        const m = mutateBytes(rng, s.bytes, {
          donors,
          boundaries: s.boundaries,
          limits: [MAX_MESSAGE, MAX_CHUNK_SIZE],
        });
        const splits = splitPoints(rng, m.bytes.length);
        return bytesInput(`${mode}${hello ? '+hello' : ''} mutate[${m.ops.join(',')}] of ${s.names.join('+')}`, m.bytes,
          () => decodeStream(m.bytes, splits, hello ? 'eom' : mode, hello));
      }
      if (r < 30) {
        const seed = rng.pick(seeds);
        const m = mutateText(rng, seed.xml);
        return textInput(`text mutate[${m.ops.join(',')}] of ${seed.name}`, m.text);
      }
      if (r < 34) {
        const seed = rng.pick(seeds);
        const m = mutateBytes(rng, enc.encode(seed.xml), { donors });
        const text = new TextDecoder().decode(m.bytes);
        return textInput(`byte mutate[${m.ops.join(',')}] of ${seed.name}`, text);
      }
      if (r < 38) {
        const mode: Framing = rng.chance(0.5) ? 'chunked' : 'eom';
        const s = framedStream(rng, seeds, mode, false);
        const cuts = truncationPoints(rng, s.bytes.length, s.boundaries);
        const cut = rng.pick(cuts);
        const b = s.bytes.subarray(0, cut);
        return bytesInput(`${mode} truncated at ${cut}/${s.bytes.length} of ${s.names.join('+')}`, b,
          () => decodeStream(b, splitPoints(rng, b.length), mode, false));
      }
      return extreme(rng, Math.floor(index / 40) * 2 + (r - 38), seeds);
    },
  };
}
