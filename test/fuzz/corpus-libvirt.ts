/**
 * libvirt bad-input corpus: the record decoder (fed in random splits) and, for every decoded message,
 * every reply codec of protocol.ts, the three event decoders and the remote_error decoder, on mutated
 * golden frames (lifecycle event, job-completed with typed params of every type, migration iteration,
 * get-state / get-info / list-all-domains / job-stats / perform3 / xml-desc replies, an error reply),
 * with huge length words, huge string/array/typed-param counts and wrong program/version/type/status.
 */
import { isVmmiError } from '../../src/errors/vmmi-error.js';
import { LibvirtError } from '../../src/errors/classes.js';
import {
  FRAME_MIN, FrameDecoder, MESSAGE_MAX, MessageStatus, MessageType, encodeFrame, type Header,
} from '../../src/transports/libvirt/frame.js';
import {
  EventProc, KEEPALIVE_PROGRAM, Proc, REMOTE_PROGRAM, REMOTE_VERSION, decodeIterationMsg, decodeJobCompletedMsg,
  decodeLifecycleMsg, decodeRemoteError, paramsToRecord, type WireDomain,
} from '../../src/transports/libvirt/protocol.js';
import {
  TYPED_PARAM_FIELD_MAX, XDR_STRING_MAX, XdrDecoder, type TypedParam,
} from '../../src/transports/libvirt/xdr.js';
import type { Corpus, FuzzInput } from './harness.js';
import { previewBytes } from './harness.js';
import { concatBytes, mutateBytes, randomBytes, splitPoints, truncationPoints } from './mutate.js';
import { rngFor, type Rng } from './prng.js';

const CODES = ['FRAMING', 'XDR', 'PROTOCOL', 'LIBVIRT'] as const;
/** Small frame limit so mutated length words cross it. */
const MAX = 64 * 1024;
const DOM: WireDomain = { name: 'vm1', uuid: '6f1c2a5e-3b4d-4e8f-9a0b-1c2d3e4f5a6b', id: 3 };

export interface GoldenFrame {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * A minimal XDR writer of its own, so the golden frames do not depend on the encoder of the code under
 * test (RFC 4506: big-endian 4-byte units, opaque/string = length + bytes + zero padding).
 */
class GoldenWriter {
  readonly #parts: number[] = [];
  #u32(v: number): this {
    this.#parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  int(v: number): this {
    return this.#u32(v >>> 0);
  }
  uint(v: number): this {
    return this.#u32(v >>> 0);
  }
  uhyper(v: bigint): this {
    return this.#u32(Number((v >> 32n) & 0xffffffffn)).#u32(Number(v & 0xffffffffn));
  }
  hyper(v: bigint): this {
    return this.uhyper(BigInt.asUintN(64, v));
  }
  double(v: number): this {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v);
    return this.#u32(b.getUint32(0)).#u32(b.getUint32(4));
  }
  opaqueFixed(bytes: Uint8Array, _size: number): this {
    this.#parts.push(...bytes, ...new Array<number>((4 - (bytes.length % 4)) % 4).fill(0));
    return this;
  }
  opaque(bytes: Uint8Array): this {
    return this.uint(bytes.length).opaqueFixed(bytes, bytes.length);
  }
  string(s: string): this {
    return this.opaque(new TextEncoder().encode(s));
  }
  typedParams(ps: readonly TypedParam[]): this {
    this.uint(ps.length);
    for (const p of ps) {
      this.string(p.field).int(p.type);
      switch (p.type) {
        case 1: this.int(p.value); break;
        case 2: this.uint(p.value); break;
        case 3: this.hyper(p.value); break;
        case 4: this.uhyper(p.value); break;
        case 5: this.double(p.value); break;
        case 6: this.int(p.value ? 1 : 0); break;
        case 7: this.string(p.value); break;
      }
    }
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}

function frame(name: string, h: Partial<Header> & { proc: number }, write: (e: GoldenWriter) => void): GoldenFrame {
  const e = new GoldenWriter();
  write(e);
  const header: Header = {
    prog: REMOTE_PROGRAM,
    vers: REMOTE_VERSION,
    type: MessageType.REPLY,
    serial: 9,
    status: MessageStatus.OK,
    ...h,
  };
  return { name, bytes: encodeFrame(header, e.bytes()) };
}

const dom = (e: GoldenWriter, d: WireDomain = DOM): void => {
  e.string(d.name)
    .opaqueFixed(
      Uint8Array.from(d.uuid.replace(/-/g, '').match(/../g) ?? [], (h) => parseInt(h, 16)),
      16,
    )
    .int(d.id);
};

const JOB_PARAMS: readonly TypedParam[] = [
  { field: 'type', type: 1, value: 3 },
  { field: 'time_elapsed', type: 4, value: 2841n },
  { field: 'downtime', type: 4, value: 187n },
  { field: 'memory_total', type: 4, value: 135_266_304n },
  { field: 'memory_dirty_rate', type: 3, value: -1n },
  { field: 'setup_time', type: 2, value: 12 },
  { field: 'compression_ratio', type: 5, value: 1.5 },
  { field: 'auto_converge', type: 6, value: true },
  { field: 'dest_uri', type: 7, value: 'qemu+tcp://198.18.10.12/system' },
];

/** Golden frames: what libvirtd sends for the procedures and events vmmi uses. */
export function goldenFrames(): GoldenFrame[] {
  const ev = { type: MessageType.MESSAGE, serial: 0 };
  return [
    frame('lifecycle-event', { ...ev, proc: EventProc.LIFECYCLE }, (e) => {
      e.int(1);
      dom(e);
      e.int(5).int(3);
    }),
    frame('job-completed-event', { ...ev, proc: EventProc.JOB_COMPLETED }, (e) => {
      e.int(2);
      dom(e);
      e.typedParams(JOB_PARAMS);
    }),
    frame('iteration-event', { ...ev, proc: EventProc.MIGRATION_ITERATION }, (e) => {
      e.int(3);
      dom(e);
      e.int(4);
    }),
    frame('get-state-reply', { proc: Proc.DOMAIN_GET_STATE.num }, (e) => e.int(1).int(2)),
    frame('get-info-reply', { proc: Proc.DOMAIN_GET_INFO.num }, (e) =>
      e.int(1).uhyper(131072n).uhyper(131072n).int(1).uhyper(9_100_000_000n),
    ),
    frame('list-all-domains-reply', { proc: Proc.CONNECT_LIST_ALL_DOMAINS.num }, (e) => {
      e.uint(2);
      dom(e);
      dom(e, { name: 'vm2', uuid: '00000000-0000-0000-0000-000000000002', id: -1 });
      e.uint(2);
    }),
    frame('job-stats-reply', { proc: Proc.DOMAIN_GET_JOB_STATS.num }, (e) => {
      e.int(2);
      e.typedParams(JOB_PARAMS);
    }),
    frame('perform3-reply', { proc: Proc.DOMAIN_MIGRATE_PERFORM3_PARAMS.num }, (e) =>
      e.opaque(new Uint8Array(37).fill(0x41)),
    ),
    frame('xml-desc-reply', { proc: Proc.DOMAIN_GET_XML_DESC.num }, (e) =>
      e.string("<domain type='qemu'><name>vm1</name><memory unit='KiB'>131072</memory></domain>"),
    ),
    frame('lookup-reply', { proc: Proc.DOMAIN_LOOKUP_BY_NAME.num }, (e) => dom(e)),
    frame('lib-version-reply', { proc: Proc.CONNECT_GET_LIB_VERSION.num }, (e) => e.uhyper(9_000_000n)),
    frame('auth-list-reply', { proc: Proc.AUTH_LIST.num }, (e) => e.uint(1).int(0)),
    {
      name: 'error-reply',
      bytes: encodeFrame(
        {
          prog: REMOTE_PROGRAM,
          vers: REMOTE_VERSION,
          proc: Proc.DOMAIN_GET_STATE.num,
          type: MessageType.REPLY,
          serial: 9,
          status: MessageStatus.ERROR,
        },
        new GoldenWriter()
          .int(42)
          .int(10)
          .uint(1)
          .string("Domain not found: no domain with matching name 'vm9'")
          .int(2)
          .uint(0)
          .uint(0)
          .uint(0)
          .uint(0)
          .int(0)
          .int(0)
          .uint(0)
          .bytes(),
      ),
    },
    {
      name: 'keepalive-ping',
      bytes: encodeFrame(
        { prog: KEEPALIVE_PROGRAM, vers: 1, proc: 1, type: MessageType.MESSAGE, serial: 0, status: 0 },
        new Uint8Array(),
      ),
    },
  ];
}

function typed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (isVmmiError(e) && (CODES as readonly string[]).includes(e.code)) return;
    throw e;
  }
}

const RET_CODECS = Object.values(Proc).map((p) => (b: Uint8Array): void => {
  const d = new XdrDecoder(b);
  p.ret(d);
  d.end(`${p.name} reply`);
});

/** Every payload decoder on one payload, each independently (as the client would for any proc it called). */
export function decodeAll(payload: Uint8Array, status: number): void {
  for (const f of RET_CODECS) typed(() => f(payload));
  typed(() => paramsToRecord(decodeJobCompletedMsg(payload).params));
  typed(() => decodeLifecycleMsg(payload));
  typed(() => decodeIterationMsg(payload));
  typed(() => {
    const r = decodeRemoteError(payload);
    if (status === MessageStatus.ERROR) void new LibvirtError(r.message ?? 'no message', r.code, r.domain).message;
  });
}

/** Record decoder over the byte stream in pieces; every message's payload through every codec. */
function decodeStream(bytes: Uint8Array, splits: readonly number[]): void {
  const dec = new FrameDecoder(MAX);
  let at = 0;
  for (const cut of [...splits, bytes.length]) {
    for (const m of dec.push(bytes.subarray(at, Math.max(at, cut)))) decodeAll(m.payload, m.header.status);
    at = Math.max(at, cut);
  }
}

function input(label: string, bytes: Uint8Array, rng: Rng): FuzzInput {
  const splits = splitPoints(rng, bytes.length);
  return { label, preview: () => previewBytes(bytes), run: () => (decodeStream(bytes, splits), undefined) };
}

function setU32(b: Uint8Array, at: number, v: number): Uint8Array {
  const out = b.slice();
  if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, v >>> 0);
  return out;
}

/** Header and length-field extremes on a golden frame, chosen by k. */
function extreme(rng: Rng, k: number, frames: readonly GoldenFrame[]): FuzzInput {
  const g = rng.pick(frames);
  switch (k % 8) {
    case 0: {
      const v = rng.pick([
        0,
        1,
        FRAME_MIN - 1,
        FRAME_MIN,
        MAX + 4,
        MAX + 5,
        MESSAGE_MAX + 4,
        MESSAGE_MAX + 5,
        0x7fffffff,
        0xffffffff,
      ]);
      return input(`length word ${v} on ${g.name}`, setU32(g.bytes, 0, v), rng);
    }
    case 1: {
      const field = rng.pick([4, 8, 12, 16, 20, 24]);
      const v = rng.pick([
        0,
        1,
        2,
        3,
        6,
        7,
        0x20008085,
        0x20008087,
        KEEPALIVE_PROGRAM,
        0x7fffffff,
        0x80000000,
        0xffffffff,
      ]);
      return input(`header word @${field} = ${v} on ${g.name}`, setU32(g.bytes, field, v), rng);
    }
    case 2: {
      // Huge string / opaque / array / typed-param counts at every payload word.
      const at = FRAME_MIN + 4 * rng.int(Math.max(1, (g.bytes.length - FRAME_MIN) / 4));
      const v = rng.pick([
        XDR_STRING_MAX,
        XDR_STRING_MAX + 1,
        16384,
        16385,
        64,
        65,
        TYPED_PARAM_FIELD_MAX + 1,
        0x40000000,
        0xffffffff,
      ]);
      return input(`payload word @${at} = ${v} on ${g.name}`, setU32(g.bytes, at, v), rng);
    }
    case 3: {
      const n = rng.range(2, 12);
      return input(
        `${n} frames back to back`,
        concatBytes(Array.from({ length: n }, () => rng.pick(frames).bytes)),
        rng,
      );
    }
    case 4:
      return input(`valid-then-garbage ${g.name}`, concatBytes([g.bytes, randomBytes(rng, rng.range(1, 64))]), rng);
    case 5:
      return input('garbage', randomBytes(rng, rng.range(0, 512)), rng);
    case 6: {
      // A well-formed frame whose payload is random: all codecs on noise.
      const h = {
        prog: REMOTE_PROGRAM,
        vers: 1,
        proc: rng.pick([212, 298, 318, 363, 273, 305]),
        type: rng.int(7),
        serial: rng.next(),
        status: rng.int(3),
      };
      return input(`random payload proc ${h.proc}`, encodeFrame(h, randomBytes(rng, 4 * rng.range(0, 64))), rng);
    }
    default: {
      const b = new Uint8Array(FRAME_MIN + 4);
      new DataView(b.buffer).setUint32(0, MAX + 4);
      return input('max-size frame announced, 4 bytes sent', b, rng);
    }
  }
}

export function libvirtCorpus(seedValue = 0x6c76_0001): Corpus {
  const frames = goldenFrames();
  const donors = frames.map((f) => f.bytes);
  const limits = [FRAME_MIN, MAX + 4, MESSAGE_MAX + 4, XDR_STRING_MAX, 16384, 64, TYPED_PARAM_FIELD_MAX];
  return {
    name: 'libvirt',
    seed: seedValue,
    allowedCodes: CODES,
    make(index) {
      const rng = rngFor(seedValue, index);
      const r = index % 20;
      const g = rng.pick(frames);
      const boundaries = Array.from({ length: Math.ceil(g.bytes.length / 4) + 1 }, (_, i) => i * 4);
      if (r < 14) {
        const base = rng.chance(0.2) ? concatBytes([g.bytes, rng.pick(frames).bytes]) : g.bytes;
        const m = mutateBytes(rng, base, { donors, boundaries, limits });
        return input(`mutate[${m.ops.join(',')}] of ${g.name}`, m.bytes, rng);
      }
      if (r < 17) {
        const cut = rng.pick(truncationPoints(rng, g.bytes.length, boundaries));
        return input(`truncated at ${cut}/${g.bytes.length} of ${g.name}`, g.bytes.subarray(0, cut), rng);
      }
      return extreme(rng, index, frames);
    },
  };
}
