import {
  expect, migrateRecorded, setLabArpNdSuppression, test, type MigrateOutcome, type RunRecord, type Testbed,
} from '../../src/index.js';
import { labBehind, labSh } from './lab-kit.js';

// What ARP/ND suppression changes in a move's flooding. vm1 moves hv1 → hv3 and back with evpn-l2 (its
// segment stretched to site B by VXLAN), once with suppression off and once on. In each move window a
// host that stays at the VM's old site (hv2, on the VM's home segment) asks for the VM's addresses: N
// broadcast ARP requests and N neighbour solicitations. Off, each request floods through the VXLAN port
// to site B's TOR. On, the home TOR answers from its own neighbour table (the kernel bridge's proxy:
// the VM's MAC sits behind the suppressing VXLAN port, or is known on a local port) and keeps the
// request off the tunnel, so site B's segment never sees it.
const N = 30;
const GAP_S = 0.1;
const STRATEGY = 'evpn-l2';

type Flooding = NonNullable<RunRecord['flooding']>;
interface Move { readonly to: string; readonly flooding: Flooding; readonly load: Load; readonly record: RunRecord }
interface Load { readonly arpReplies: number; readonly ndReplies: number; readonly ms: number }

const addr = (cidr: string | undefined): string => (cidr ?? '').split('/')[0] ?? '';
const metric = (r: RunRecord, name: string): number | null | undefined => r.metrics.find((m) => m.name === name)?.value;
const arpNd = (moves: readonly Move[]): number =>
  moves.reduce((n, m) => n + m.flooding.segments.reduce((k, s) => k + s.arp + s.nd, 0), 0);
const onDevice = (moves: readonly Move[], device: string): number => moves.reduce((n, m) =>
  n + m.flooding.segments.filter((s) => s.device === device).reduce((k, s) => k + s.arp + s.nd, 0), 0);

/**
 * The requester load from `ns`, N of each spaced GAP_S apart (≈ N·GAP_S s, bounded: each ARP waits ≤ 1 s,
 * each ping ≤ 0.2 s): broadcast ARP requests (`-b`: arping would go unicast after a reply) and neighbour
 * solicitations (the entry flushed before each ping, so the kernel solicits to the multicast group).
 * Resolves with the replies seen.
 */
async function requesterLoad(ns: string, dev: string, v4: string, v6: string): Promise<Load> {
  const t0 = performance.now();
  const loop = (job: string): string => `for i in $(seq ${N}); do (${job}) & sleep ${GAP_S}; done; wait`;
  const [arp, nd] = await Promise.all([
    labSh(['ip', 'netns', 'exec', ns, 'sh', '-c',
      loop(`arping -b -q -c 1 -w 1 -I ${dev} ${v4} && echo reply`)]),
    labSh(['ip', 'netns', 'exec', ns, 'sh', '-c',
      loop(`ip -6 neigh flush to ${v6} dev ${dev}; ping -6 -n -q -c 1 -W 0.2 ${v6} >/dev/null 2>&1 && echo reply`)]),
  ]);
  const count = (s: string): number => s.split('\n').filter((l) => l.trim() === 'reply').length;
  return { arpReplies: count(arp), ndReplies: count(nd), ms: performance.now() - t0 };
}

/** `neigh_suppress` of the VXLAN ports in a lab namespace (`bridge -j -d link show`). */
async function vxlanFlags(ns: string): Promise<Record<string, boolean>> {
  const links = JSON.parse(await labSh(['ip', 'netns', 'exec', ns, 'bridge', '-j', '-d', 'link', 'show']) || '[]') as
    { ifname?: string; neigh_suppress?: boolean }[];
  return Object.fromEntries(links.filter((l) => l.ifname?.startsWith('vxlan') === true)
    .map((l) => [l.ifname ?? '', l.neigh_suppress === true]));
}

function table(label: string, moves: readonly Move[]): string {
  const rows = moves.flatMap((m) => m.flooding.segments.map((s) =>
    `  → ${m.to.padEnd(5)} ${`${s.device}/${s.bridge}`.padEnd(14)} ${String(s.arp).padStart(13)} `
    + `${String(s.nd).padStart(12)} ${String(s.unknownUnicast).padStart(15)}`));
  const loads = moves.map((m) => `→ ${m.to}: ${m.load.arpReplies}/${N} ARP and ${m.load.ndReplies}/${N} ND answered `
    + `in ${(m.load.ms / 1000).toFixed(1)} s, suppression read ${m.flooding.suppression}`).join('; ');
  return `ARP/ND suppression ${label}: ARP+ND flooded ${arpNd(moves)}\n`
    + `  move    segment         broadcast ARP  ND multicast  unknown unicast\n${rows.join('\n')}\n  ${loads}`;
}

test.describe('flooding', () => {
  test(`${STRATEGY}: ARP/ND suppression keeps a moved VM's address requests off the VXLAN tunnel`, async ({
    migrate, locate, lab, testbed, opened,
  }, testInfo) => {
    void lab;
    test.setTimeout(900_000); // five moves
    const labTb = await labBehind(testbed);
    test.skip(labTb === undefined, 'ARP/ND suppression is a knob of the emulated lab');
    if (labTb?.lab === undefined) return;
    const vm = testbed.vms[0];
    const v4 = addr(vm?.ipv4);
    const v6 = addr(vm?.ipv6);
    expect(v4 !== '' && v6 !== '', 'the VM has IPv4 and IPv6').toBe(true);
    const torOfHv = (tb: Testbed, hv: string): string | undefined => {
      const site = tb.hypervisors.find((h) => h.name === hv)?.site;
      return tb.switches.find((s) => s.role === 'tor' && s.site === site)?.name;
    };
    const farTor = torOfHv(labTb, 'hv3') ?? 'torB';
    const requesterNs = `${labTb.lab.prefix}-hv2`;
    const flooding = opened.drivers.flooding;
    test.skip(flooding === undefined && testbed.lab === undefined, 'this hardware description counts no flooding');
    expect(flooding, 'the lab counts flooding in the move window').toBeDefined();
    if (flooding === undefined) return;

    // The load starts when the counters are up (the window's start), so every request falls in the window.
    let load: Promise<Load> | undefined;
    const drivers = {
      ...opened.drivers,
      flooding: {
        start: async (devices: readonly string[], io: { timeoutMs?: number; signal?: AbortSignal }) => {
          await flooding.start(devices, io);
          load = requesterLoad(requesterNs, 'br0', v4, v6);
          load.catch(() => undefined); // awaited after the move
        },
        stop: (io: { timeoutMs?: number; signal?: AbortSignal }) => flooding.stop(io),
      },
    };
    const move = async (to: string, on: boolean): Promise<Move> => {
      load = undefined;
      const out: MigrateOutcome = await migrateRecorded(testbed, opened, {
        to, strategy: STRATEGY, variant: { arp_nd_suppression: on ? 'on' : 'off', requests_from: 'hv2' },
      }, testInfo, { drivers });
      expect(out.result.verdict, out.record.error ?? out.result.attempts.at(-1)?.failure?.reason).toBe('migrated');
      expect(load, 'the flooding window opened (the requester load started with it)').toBeDefined();
      const l = await (load as unknown as Promise<Load>);
      expect(l.ms, 'the requester load is bounded').toBeLessThan(6000);
      expect(l.arpReplies + l.ndReplies, 'the requests reached a live target').toBeGreaterThan(0);
      const r = out.record;
      for (const name of ['flood_arp_packets', 'flood_nd_packets', 'flood_unknown_unicast_packets'])
        expect(metric(r, name), `${name} (${r.flooding?.method ?? 'not counted'})`).toEqual(expect.any(Number));
      expect(r.flooding, 'the record carries the flooding count').toBeDefined();
      const f = r.flooding as Flooding;
      expect(f.segments.map((s) => s.device).sort(), f.method).toEqual([torOfHv(testbed, 'hv1'), torOfHv(testbed, 'hv3')]
        .sort());
      // The record reads suppression where it acts, on the segments' VXLAN ports (the knob never sets
      // host-facing ports: the flag there turns the bridge's proxy off for their hosts).
      expect(f.suppression, f.method).toBe(on ? 'on' : 'off');
      return { to, flooding: f, load: l, record: r };
    };
    const run = async (on: boolean): Promise<Move[]> => {
      const set = await setLabArpNdSuppression(labTb, on);
      expect(set.ports.filter((p) => p.vxlan).length, 'the stretched segments have VXLAN ports').toBeGreaterThan(0);
      for (const p of set.ports)
        expect(p.neighSuppress, `${p.device}/${p.bridge} ${p.port}`).toBe(on && p.vxlan);
      const away = await move('hv3', on);
      // The VXLAN port the destination TOR's agent made for the move carries the knob's flag.
      const made = await vxlanFlags(`${labTb.lab?.prefix ?? ''}-${farTor}`);
      expect(Object.keys(made).length, `a VXLAN port at ${farTor} after the attach`).toBeGreaterThan(0);
      for (const [port, flag] of Object.entries(made)) expect(flag, `${farTor} ${port} neigh_suppress`).toBe(on);
      return [away, await move('hv1', on)];
    };

    if ((await locate()) !== 'hv1') expect((await migrate({ to: 'hv1', strategy: STRATEGY })).result.verdict).toBe('migrated');
    let off: Move[] = [];
    let on: Move[] = [];
    try {
      off = await run(false);
      on = await run(true);
    } finally {
      await setLabArpNdSuppression(labTb, false);
    }
    console.log(`${table('off', off)}\n${table('on', on)}`);
    // Suppression keeps the requests for the moved VM on its old site: fewer flooded in all, and at the
    // destination site's TOR (where, off, every request arrives through the tunnel) fewer still.
    expect(arpNd(on), `${table('off', off)}\n${table('on', on)}`).toBeLessThan(arpNd(off));
    expect(onDevice(on, farTor), `ARP+ND flooded at ${farTor}`).toBeLessThan(onDevice(off, farTor));
    expect(await locate()).toBe('hv1');
  });
});
