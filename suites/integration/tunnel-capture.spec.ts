/* eslint-disable no-restricted-imports -- src/index.ts (the package entry) does not re-export these yet */
/**
 * The tunnel agents' outer packets as a router (or Wireshark) sees them: two agents in own namespaces
 * (`vtc-cap-<pid>-a|b`, wire 198.18.253.0/30 and 2001:2:0:253::/64, inner 198.18.254.0/24 and
 * 2001:2:0:254::/64) exchange pings through their tunnels while tshark captures the wire in A's
 * namespace; every captured frame is then decoded by tshark. Each tunnelled packet must decode as
 * IP-in-IP (protocol / next header 4 or 41) or GRE (47, protocol type 0x0800 / 0x86DD) with the right
 * outer endpoints and inner source and destination; no UDP-encapsulated packet may appear. The udp
 * encapsulation runs as the control: there the same decoding must find the stray UDP packets.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, expect } from '@playwright/test';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { LocalTunnelAgent } from '../../src/tunnel/agent.js';
import { GRE_PROTO_IPV4, GRE_PROTO_IPV6, outerProtocol, tunIfName } from '../../src/tunnel/header.js';
import type { TunnelEncapsulation } from '../../src/model/testbed.js';

const P = `vtc-cap-${process.pid}-`;
const TSHARK = '/usr/bin/tshark';
const TUNNEL = 'vtc-cap-tn';
const WIRE = {
  4: { a: '198.18.253.1', b: '198.18.253.2' },
  6: { a: '2001:2:0:253::1', b: '2001:2:0:253::2' },
} as const;
const INNER = {
  4: { a: '198.18.254.1', b: '198.18.254.2' },
  6: { a: '2001:2:0:254::1', b: '2001:2:0:254::2' },
} as const;
const PINGS = 4;
let dir = '';

const sh = (n: string, ...argv: string[]): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', P + n, ...argv], { timeoutMs: 10_000 });

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtc-cap-'));
  await runChecked(['gcc', '-O2', '-static', '-o', join(dir, 'tunagent'),
    new URL('../../lab-assets/tunagent.c', import.meta.url).pathname], { timeoutMs: 60_000 });
  for (const n of ['a', 'b']) {
    await runChecked(['ip', 'netns', 'add', P + n]);
    await sh(n, 'ip', 'link', 'set', 'dev', 'lo', 'up');
  }
  await runChecked(['ip', 'link', 'add', 'wire', 'netns', `${P}a`, 'type', 'veth', 'peer', 'name', 'wire', 'netns', `${P}b`]);
  for (const n of ['a', 'b'] as const) {
    await sh(n, 'ip', 'addr', 'add', `${WIRE[4][n]}/30`, 'dev', 'wire');
    await sh(n, 'ip', '-6', 'addr', 'add', `${WIRE[6][n]}/64`, 'dev', 'wire', 'nodad');
    await sh(n, 'ip', 'link', 'set', 'dev', 'wire', 'up');
  }
});

test.afterAll(async () => {
  for (const n of ['a', 'b']) await runLocal(['ip', 'netns', 'del', P + n]);
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** tshark on `wire` in A's namespace, writing `file`; resolves once it captures (bounded by -a duration). */
async function startCapture(file: string): Promise<{ stop: () => Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', `${P}a`, TSHARK, '-i', 'wire', '-w', file, '-q', '-a', 'duration:30'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const closed = new Promise<void>((res) => child.once('close', () => res()));
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tshark did not start capturing in 15 s: ${err}`)), 15_000);
    createInterface({ input: child.stderr }).on('line', (l) => {
      err += `${l}\n`;
      if (/Capturing on/.test(l)) { clearTimeout(t); resolve(); }
    });
    child.once('close', (c) => { clearTimeout(t); reject(new Error(`tshark exited (${c}): ${err}`)); });
  });
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 300)); // the last replies reach the wire
      if (child.exitCode === null) child.kill('SIGINT');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

const FIELDS = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'ipv6.nxt',
  'gre.proto', 'udp.srcport', 'udp.dstport', 'icmpv6.type'] as const;
type Frame = Record<(typeof FIELDS)[number], string[]>;

async function decode(file: string): Promise<Frame[]> {
  const r = await runChecked([TSHARK, '-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a',
    '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])], { timeoutMs: 30_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const cols = l.split('\t');
    return Object.fromEntries(FIELDS.map((f, i) => [f, (cols[i] ?? '').split(',').filter((x) => x !== '')])) as Frame;
  });
}

/** Normalises an IPv6 address as tshark prints it and as written here (both compressed; lowercase). */
const norm = (a: string | undefined): string => (a ?? '').toLowerCase();

interface Decoded {
  readonly kind: 'tunnel' | 'udp' | 'control' | 'other';
  readonly outer?: { src: string; dst: string; proto: number };
  readonly inner?: { family: 4 | 6; src: string; dst: string };
  readonly greProto?: number;
  readonly text: string;
}

/** What one frame is: a tunnelled packet (two IP layers), UDP on the wire, neighbour discovery/ARP, or else. */
function classify(f: Frame): Decoded {
  const layers = (f['frame.protocols'][0] ?? '').split(':').filter((x) => x !== 'eth' && x !== 'ethertype');
  const text = `#${f['frame.number'][0]} ${layers.join(':')}`;
  const ipLayers = layers.filter((x) => x === 'ip' || x === 'ipv6');
  const o = layers[0];
  const wire = Object.values(WIRE).flatMap((w) => [norm(w.a), norm(w.b)]);
  // the warm-up pings between the wire addresses (echo request and reply, not tunnelled)
  const warmUp = ipLayers.length === 1 && (o === 'ip' ? layers[1] === 'icmp' && [...f['ip.src'], ...f['ip.dst']]
    .every((a) => wire.includes(norm(a))) : layers[1] === 'icmpv6' && f['icmpv6.type'].every((t) => t === '128' ||
    t === '129') && [...f['ipv6.src'], ...f['ipv6.dst']].every((a) => wire.includes(norm(a))));
  if (o === 'arp' || warmUp || (o === 'ipv6' && ipLayers.length === 1 && layers.at(-1) === 'icmpv6' &&
    f['icmpv6.type'].every((t) => ['133', '134', '135', '136', '143'].includes(t)))) return { kind: 'control', text };
  if ((o === 'ip' || o === 'ipv6') && layers[1] === 'udp') return { kind: 'udp', text };
  if ((o !== 'ip' && o !== 'ipv6') || ipLayers.length < 2) return { kind: 'other', text };
  const innerKind = layers.slice(1).find((x) => x === 'ip' || x === 'ipv6');
  // Values of one field come outer first; a layer of the other family has its own fields.
  const pick = (k4: 'ip.src' | 'ip.dst', k6: 'ipv6.src' | 'ipv6.dst', which: 'outer' | 'inner'): string => {
    const kind = which === 'outer' ? o : innerKind;
    const vals = kind === 'ip' ? f[k4] : f[k6];
    return norm(which === 'inner' && kind === o ? vals[1] : vals[0]);
  };
  const proto = Number(o === 'ip' ? f['ip.proto'][0] : f['ipv6.nxt'][0]);
  return {
    kind: 'tunnel',
    outer: { src: pick('ip.src', 'ipv6.src', 'outer'), dst: pick('ip.dst', 'ipv6.dst', 'outer'), proto },
    inner: { family: innerKind === 'ip' ? 4 : 6, src: pick('ip.src', 'ipv6.src', 'inner'),
      dst: pick('ip.dst', 'ipv6.dst', 'inner') },
    ...(f['gre.proto'][0] === undefined ? {} : { greProto: Number(f['gre.proto'][0]) }),
    text,
  };
}

async function exchange(encapsulation: TunnelEncapsulation, outer: 4 | 6): Promise<Decoded[]> {
  const file = join(dir, `${encapsulation}-${outer}.pcap`);
  const w = WIRE[outer];
  const agents: LocalTunnelAgent[] = [];
  try {
    for (const [n, far] of [['a', 'b'], ['b', 'a']] as const) {
      agents.push(await LocalTunnelAgent.start({ ns: P + n, tunnel: TUNNEL, local: w[n], remote: w[far], encapsulation,
        maxLifetimeMs: 60_000, binary: join(dir, 'tunagent') }, { timeoutMs: 5000 }));
      const tun = tunIfName(TUNNEL);
      await sh(n, 'ip', 'addr', 'add', `${INNER[4][n]}/32`, 'dev', tun);
      await sh(n, 'ip', '-6', 'addr', 'add', `${INNER[6][n]}/128`, 'dev', tun, 'nodad');
      await sh(n, 'ip', 'route', 'add', `${INNER[4][far]}/32`, 'dev', tun);
      await sh(n, 'ip', '-6', 'route', 'add', `${INNER[6][far]}/128`, 'dev', tun);
    }
    const cap = await startCapture(file);
    try {
      // tshark says "Capturing on" a little before it captures: outer pings on the wire until one is in the file.
      let seen = 0;
      for (let i = 0; i < 40 && seen === 0; i++) {
        await runLocal(['ip', 'netns', 'exec', `${P}a`, 'ping', '-c', '1', '-W', '1', w.b], { timeoutMs: 5000 });
        await new Promise((r) => setTimeout(r, 100));
        seen = (await decode(file).catch(() => [])).length;
      }
      expect(seen, 'tshark captured the warm-up pings').toBeGreaterThan(0);
      for (const fam of [4, 6] as const) {
        const r = await runLocal(['ip', 'netns', 'exec', `${P}a`, 'ping', `-${fam}`, '-c', String(PINGS), '-i', '0.2',
          '-W', '2', '-w', '10', '-I', INNER[fam].a, INNER[fam].b], { timeoutMs: 15_000 });
        expect(r.stdout, `IPv${fam} pings through the ${encapsulation} tunnel`).toContain(`${PINGS} received`);
      }
    } finally {
      await cap.stop();
    }
  } finally {
    for (const a of agents) await a.stop({ timeoutMs: 3000 });
  }
  return (await decode(file)).map(classify);
}

test.beforeEach(async () => {
  const present = await access(TSHARK).then(() => true, () => false);
  expect(present, `${TSHARK} is missing: scripts/setup installs the tshark package`).toBe(true);
});

for (const encapsulation of ['ipip', 'gre'] as const) {
  for (const outer of [4, 6] as const) {
    test(`${encapsulation} over IPv${outer}: every tunnelled packet decodes with the right endpoints, no UDP on the wire`, async () => {
      const frames = await exchange(encapsulation, outer);
      const w = WIRE[outer];
      const tunnelled = frames.filter((d) => d.kind === 'tunnel');
      expect(frames.filter((d) => d.kind === 'udp').map((d) => d.text), 'UDP-encapsulated packets').toEqual([]);
      expect(frames.filter((d) => d.kind === 'other').map((d) => d.text), 'frames that are neither').toEqual([]);
      // each ping is a request and a reply per family, all tunnelled
      for (const fam of [4, 6] as const) {
        const ofFam = tunnelled.filter((d) => d.inner?.family === fam);
        expect(ofFam.length, `IPv${fam} inner packets on the wire`).toBeGreaterThanOrEqual(2 * PINGS);
        for (const d of ofFam) {
          const forward = d.outer?.src === norm(w.a);
          expect(d.outer, d.text).toEqual({ src: norm(forward ? w.a : w.b), dst: norm(forward ? w.b : w.a),
            proto: outerProtocol(encapsulation, fam) });
          const i = INNER[fam];
          expect(d.inner, d.text)
            .toEqual({ family: fam, src: norm(forward ? i.a : i.b), dst: norm(forward ? i.b : i.a) });
          if (encapsulation === 'gre') expect(d.greProto, d.text).toBe(fam === 4 ? GRE_PROTO_IPV4 : GRE_PROTO_IPV6);
          else expect(d.greProto, d.text).toBeUndefined();
        }
        const back = ofFam.filter((d) => d.outer?.src === norm(w.b)).length;
        expect(back, 'replies tunnelled back').toBeGreaterThanOrEqual(PINGS);
      }
    });
  }
}

test('control: the udp encapsulation is seen as UDP on the wire, not as a tunnel', async () => {
  const frames = await exchange('udp', 4);
  expect(frames.filter((d) => d.kind === 'udp').length).toBeGreaterThanOrEqual(4 * PINGS);
  expect(frames.filter((d) => d.kind === 'tunnel')).toEqual([]);
});
