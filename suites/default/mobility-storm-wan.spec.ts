import {
  expect, migrateRecorded, test, type MigrateOutcome, type RunRecord, type Switch,
} from '../../src/index.js';
import { labBehind, labSh } from './lab-kit.js';

// A mobility storm across sites: vm1 moves hv1 (site A, torA) ↔ hv3 (site B, torB) with evpn-l2 until EVPN's
// duplicate-MAC detection (RFC 7432 §15.1: M moves in N seconds, 5 in 180 s) flags the VM's MAC, then one move
// more, then the operator's corrective action.
//
// What the rule means in this lab (FRR 8.4 zebra, zebra_evpn_dup_addr_detect_for_mac):
// - The window opens at a move the TOR learns locally; a move learned from BGP only counts inside an open
//   window. torA keeps VNI 100 throughout, so it sees every move: move 1 (hv1 → hv3) arrives by BGP with no
//   window open and is not counted; move 2 (back to hv1) opens the window (count 1); moves 3–6 count 2–5, and
//   move 6 flags the MAC, provided moves 2–6 fall within N seconds.
// - torB never gets there: evpn-l2 detaches the VNI from a non-home TOR the VM leaves, which drops the MAC's
//   state there (count, sequence) after every visit.
// - FRR only flags by default. RFC 7432's "stop sending and processing MAC/IP routes for that MAC until a
//   corrective action" is `dup-addr-detection freeze permanent`, which this spec turns on for its own duration
//   and takes off in `finally` (the lab's standing config only detects: src/lab/configs.ts).
// - Frozen, torA neither advertises the MAC's local learn nor installs the remote one. Move 6 itself is a normal
//   move (the VM arrives behind torA, whose bridge forwards it locally, and all inbound traffic enters at torA,
//   the home of the stretched /24). Move 7 (hv1 → hv3) is not: torA keeps the MAC on its hv1 port (a dynamic
//   entry, 300 s ageing), the client's traffic is dropped there, vmmi's guest check fails and the move is rolled
//   back to hv1. `clear evpn dup-addr vni 100 mac <mac>` at torA is the corrective action; the next move to hv3
//   must then be a normal one, with torA following the MAC to torB again.

const VNI = 100;
/** Moves to the first flag when moves 2..M+1 fit the window (move 1 opens no window: see above). */
const STORM_MOVES = 6;

interface MacState {
  readonly present: boolean;
  readonly type?: string;
  readonly vtep?: string;
  readonly intf?: string;
  /** The MAC's sequence number at this TOR: the local one for a local MAC, else the remote one. */
  readonly seq?: number;
  readonly count?: number;
  readonly duplicate: boolean;
}

interface Row {
  readonly move: number;
  readonly to: string;
  readonly tS: number;
  readonly outageMs: number | null | undefined;
  readonly verdict: string;
  readonly tors: Readonly<Record<string, MacState>>;
  readonly frozen: boolean;
}

/** `show evpn mac vni N mac M json`: `{ "<mac>": {...} }`, or `{}` when the VNI or the MAC is unknown. */
function parseEvpnMac(text: string): MacState {
  const o = JSON.parse(text.trim() === '' ? '{}' : text) as Record<string, Record<string, unknown> | undefined>;
  const e = Object.values(o)[0];
  if (e === undefined) return { present: false, duplicate: false };
  const num = (k: string): number | undefined => (typeof e[k] === 'number' ? e[k] as number : undefined);
  const str = (k: string): string | undefined => (typeof e[k] === 'string' ? e[k] as string : undefined);
  const type = str('type');
  const seq = type === 'local' ? num('localSequence') : type === 'remote' ? num('remoteSequence') : undefined;
  return {
    present: true, duplicate: e.isDuplicate === true,
    ...(type === undefined ? {} : { type }), ...(seq === undefined ? {} : { seq }),
    ...(str('remoteVtep') === undefined ? {} : { vtep: str('remoteVtep') }),
    ...(str('intf') === undefined ? {} : { intf: str('intf') }),
    ...(num('detectionCount') === undefined ? {} : { count: num('detectionCount') }),
  };
}

/**
 * FRR's duplicate-MAC counter at a TOR that keeps the VNI, move by move (`home`: the VM arrives behind it,
 * a local learn; else a remote update). `tMs` is when the TOR saw the move.
 */
function homeCounter(moves: readonly { readonly home: boolean; readonly tMs: number }[], max: number,
  windowMs: number): { count: number; duplicate: boolean }[] {
  let count = 0;
  let start = Number.NEGATIVE_INFINITY;
  let duplicate = false;
  return moves.map(({ home, tMs }) => {
    if (!duplicate && home) {
      if (count === 0 || tMs - start > windowMs) {
        count = 0;
        start = tMs;
      }
      count++;
    } else if (!duplicate && count > 0) {
      count = tMs - start > windowMs ? 0 : count + 1;
    }
    if (count >= max) duplicate = true;
    return { count, duplicate };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const metric = (r: RunRecord | undefined, name: string): number | null | undefined =>
  r?.metrics.find((m) => m.name === name)?.value;
const fmt = (s: MacState): string => (!s.present ? 'absent'
  : `${s.type ?? '?'}${s.type === 'remote' ? `→${s.vtep ?? '?'}` : `@${s.intf ?? '?'}`} seq ${s.seq ?? '?'} `
    + `count ${s.count ?? '?'}${s.duplicate ? ' DUP' : ''}`);

function table(rows: readonly Row[], tors: readonly string[]): string {
  const head = ['move', 'to', 't (s)', 'outage ms', 'verdict', ...tors, 'frozen'];
  const body = rows.map((r) => [String(r.move), r.to, r.tS.toFixed(1), String(r.outageMs ?? '-'), r.verdict,
    ...tors.map((t) => fmt(r.tors[t] ?? { present: false, duplicate: false })), r.frozen ? 'yes' : 'no']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  return [head, ...body].map((l) => l.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ')).join('\n');
}

test.describe('mobility storm across sites', () => {
  // A retry would start inside the detection window this attempt opened.
  test.describe.configure({ retries: 0 });

  test(`evpn-l2: vm1 hv1 ↔ hv3 until duplicate-MAC detection freezes it (RFC 7432 §15.1), then cleared`, async ({
    migrate, locate, lab, testbed, opened,
  }, testInfo) => {
    void lab;
    test.setTimeout(20 * 60_000);
    const labTb = await labBehind(testbed);
    test.skip(labTb?.lab === undefined, 'needs the emulated lab (FRR TORs, read with vtysh)');
    const dir = labTb?.lab?.dir ?? '';
    const vm = testbed.vms[0];
    if (vm === undefined) throw new Error('the testbed has no VM');
    const mac = vm.mac.toLowerCase();
    const torOf = (hv: string): Switch => {
      const site = testbed.hypervisors.find((h) => h.name === hv)?.site;
      const t = testbed.switches.find((s) => s.role === 'tor' && s.site === site);
      if (t === undefined) throw new Error(`no TOR at the site of ${hv}`);
      return t;
    };
    const home = torOf('hv1');
    const far = torOf('hv3');
    const tors = [home.name, far.name];
    const vty = (tor: string, ...cmds: string[]): Promise<string> =>
      labSh(['vtysh', '--vty_socket', `${dir}/frr/${tor}`, ...cmds.flatMap((c) => ['-c', c])]);
    const macAt = async (tor: string): Promise<MacState> =>
      parseEvpnMac(await vty(tor, `show evpn mac vni ${VNI} mac ${mac} json`));
    const evpnConf = (sw: Switch, line: string): Promise<string> => vty(sw.name, 'configure terminal',
      `router bgp${sw.asn === undefined ? '' : ` ${sw.asn}`}`, 'address-family l2vpn evpn', line);
    const clearDup = async (tor: string): Promise<void> => {
      if ((await macAt(tor)).duplicate) await vty(tor, `clear evpn dup-addr vni ${VNI} mac ${mac}`);
    };
    const echo = async (): Promise<boolean> => {
      const host = testbed.trafficHosts[0];
      const target = vm.ipv4?.split('/')[0];
      const e = host === undefined ? undefined : opened.access.echoFrom?.(host);
      return e !== undefined && target !== undefined && e(target, vm.reflectorPort, { timeoutMs: 3000 });
    };
    /** Reads both TORs, again until `done` holds or 5 s passed (EVPN updates trail the move by < 3 s). */
    const readTors = async (done: (s: Record<string, MacState>) => boolean): Promise<Record<string, MacState>> => {
      const t0 = Date.now();
      for (;;) {
        const s = Object.fromEntries(await Promise.all(tors.map(async (t) => [t, await macAt(t)] as const)));
        if (done(s) || Date.now() - t0 > 5000) return s;
        await sleep(250);
      }
    };
    /** Samples `tor`'s view of the MAC every 500 ms while `work` runs. */
    const sampled = async <T>(tor: string, work: () => Promise<T>): Promise<{ value: T; seen: MacState[] }> => {
      const seen: MacState[] = [];
      let done = false;
      const loop = (async (): Promise<void> => {
        while (!done) {
          seen.push(await macAt(tor).catch(() => ({ present: false, duplicate: false })));
          await sleep(500);
        }
      })();
      try {
        return { value: await work(), seen };
      } finally {
        done = true;
        await loop;
      }
    };

    const rows: Row[] = [];
    let t0: number | undefined;
    let freezeWasOn = false;
    const record = (move: number, to: string, out: MigrateOutcome, s: Record<string, MacState>): Row => {
      const row: Row = {
        move, to, tS: (Date.now() - (t0 ?? Date.now())) / 1000, outageMs: metric(out.record, 'loss_derived_ms'),
        verdict: out.result.verdict, tors: s, frozen: Object.values(s).some((x) => x.duplicate),
      };
      rows.push(row);
      console.log(`move ${move} → ${to}: ${row.verdict}, outage ${row.outageMs ?? '-'} ms; `
        + tors.map((t) => `${t} ${fmt(s[t] ?? { present: false, duplicate: false })}`).join('; '));
      return row;
    };

    try {
      // The rule in force at the TORs: detection on with the lab's M and N.
      const evpn = JSON.parse(await vty(home.name, 'show evpn json')) as Record<string, unknown>;
      expect(evpn.isDuplicateAddrDetection, 'duplicate address detection is on at the home TOR').toBe(true);
      const M = evpn.maxMoves as number;
      const N = evpn.detectionTime as number;
      expect([M, N], 'the lab runs RFC 7432 defaults: 5 moves in 180 s').toEqual([5, 180]);
      freezeWasOn = (await vty(home.name, 'show evpn')).includes('Detection freeze');

      // Start at home with no detection state at torA: no flag, no open window.
      const at = await locate();
      if (at !== 'hv1' && at !== undefined) {
        expect((await migrate({ to: 'hv1', strategy: at === 'hv3' ? 'evpn-l2' : 'l2' })).result.verdict).toBe('migrated');
      }
      for (const t of tors) await clearDup(t);
      await expect.poll(async () => /Duplicate detection started at/.test(
        await vty(home.name, `show evpn mac vni ${VNI} mac ${mac}`)), {
        message: `no duplicate-detection window open for ${mac} at ${home.name}`,
        timeout: (N + 15) * 1000, intervals: [5000],
      }).toBe(false);
      for (const sw of [home, far]) {
        if (!freezeWasOn) await evpnConf(sw, 'dup-addr-detection freeze permanent');
        expect(await vty(sw.name, 'show evpn'), `${sw.name}: freeze on`).toContain('Detection freeze permanent');
      }
      expect(await echo(), 'the VM answers the client at hv1 before the storm').toBe(true);
      const before = await readTors((s) => s[home.name]?.type === 'local');
      expect(before[home.name]?.type, `${home.name} has the MAC local before the storm`).toBe('local');
      let seq = before[home.name]?.seq ?? 0;

      // The storm: every move a normal evpn-l2 move, the sequence one higher each time.
      const times: { home: boolean; tMs: number }[] = [];
      const starts: number[] = [];
      let here = 'hv1';
      for (let k = 1; k <= STORM_MOVES; k++) {
        const to = here === 'hv1' ? 'hv3' : 'hv1';
        const atHome = to === 'hv1';
        starts.push(Date.now());
        t0 ??= Date.now();
        // The move that trips the detection is judged here, not by the fixture: frozen, torA stops
        // advertising, so torB never sees the update EVPN would send, which is no part of the outage.
        const detecting = k === M + 1;
        const req = { to, strategy: 'evpn-l2' as const, variant: { storm_wan_move: k } };
        const out = detecting ? await migrateRecorded(testbed, opened, req, testInfo, { enforceVerdicts: false })
          : await migrate(req);
        times.push({ home: atHome, tMs: Date.now() });
        expect(out.result.verdict, `move ${k}: ${out.record.error ?? ''}`).toBe('migrated');
        if (detecting) {
          expect(out.record.health, out.record.healthReasons.join('; ')).not.toBe('errored');
          expect(metric(out.record, 'loss_derived_ms'), `move ${k}: a normal outage (the VM arrives behind ${home.name})`)
            .toBeLessThanOrEqual(testbed.thresholds.maxOutageMs);
        }
        const want = seq + 1;
        const s = await readTors((x) => (atHome ? x[home.name]?.type === 'local' && x[home.name]?.seq === want
          : x[far.name]?.seq === want && x[home.name]?.type === 'remote' && x[home.name]?.seq === want));
        const row = record(k, to, out, s);
        const vmTor = atHome ? home.name : far.name;
        expect(s[vmTor]?.type, `move ${k}: the MAC is local at ${vmTor}`).toBe('local');
        expect(s[vmTor]?.seq, `move ${k}: the sequence number rises by one`).toBe(want);
        if (!atHome) {
          expect([s[home.name]?.type, s[home.name]?.vtep, s[home.name]?.seq], `move ${k}: ${home.name} follows`)
            .toEqual(['remote', far.routerId, want]);
        } else {
          expect(s[far.name]?.present, `move ${k}: the VNI left ${far.name} with the VM`).toBe(false);
        }
        expect(s[far.name]?.duplicate ?? false, `move ${k}: ${far.name} never flags`).toBe(false);
        const model = homeCounter(times, M, N * 1000).at(-1);
        expect([s[home.name]?.count, s[home.name]?.duplicate], `move ${k}: ${home.name}'s counter`)
          .toEqual([model?.count, model?.duplicate]);
        expect(row.frozen, `move ${k}: frozen only from the ${M}th counted move on`).toBe(model?.duplicate);
        seq = want;
        here = to;
      }
      // Moves 2..6 are the M counted moves: they must fit the N-second window for the rule to apply.
      const span = (times.at(-1)?.tMs ?? 0) - (starts[1] ?? 0);
      expect(span, `moves 2–${STORM_MOVES} took ${(span / 1000).toFixed(1)} s: the storm must fit ${N} s`)
        .toBeLessThan(N * 1000);
      expect(rows.findIndex((r) => r.frozen) + 1, `the MAC is flagged at move ${M + 1}, the ${M}th in the window`)
        .toBe(M + 1);

      // Frozen: the next move's MAC does not follow the VM to site B.
      const frozenMove = STORM_MOVES + 1;
      const { value: out7, seen } = await sampled(home.name, () => migrateRecorded(testbed, opened,
        { to: 'hv3', strategy: 'evpn-l2', variant: { storm_wan_move: frozenMove, dup_mac: 'frozen' } }, testInfo,
        { freshVmRetry: false, enforceVerdicts: false }));
      const after7 = await readTors(() => true);
      record(frozenMove, 'hv3', out7, after7);
      console.log(`${home.name} during move ${frozenMove}: ${[...new Set(seen.map(fmt))].join(' | ')}`);
      expect(seen.length, 'sampled during the frozen move').toBeGreaterThan(0);
      expect(seen.filter((x) => x.type === 'remote'), `${home.name} never points the frozen MAC at ${far.name}`)
        .toEqual([]);
      expect(after7[home.name]?.duplicate, `${home.name} still holds the freeze`).toBe(true);
      const a7 = out7.result.attempts.at(-1);
      expect([out7.result.verdict, a7?.failure?.kind], 'unreachable at hv3: the guest check fails and the move is rolled back')
        .toEqual(['rolled-back', 'verify']);
      expect(await locate(), 'the VM is back at hv1').toBe('hv1');

      // The corrective action, then a normal move must follow the MAC again.
      await vty(home.name, `clear evpn dup-addr vni ${VNI} mac ${mac}`);
      const cleared = await macAt(home.name);
      expect([cleared.duplicate, cleared.count], `${home.name} after clear`).toEqual([false, 0]);
      expect(await echo(), 'the VM answers the client after the clear').toBe(true);
      let k = frozenMove;
      for (const to of ['hv3', 'hv1'] as const) {
        k++;
        const { value: out, seen: during } = await sampled(home.name,
          () => migrate({ to, strategy: 'evpn-l2', variant: { storm_wan_move: k, dup_mac: 'cleared' } }));
        const s = await readTors((x) => (to === 'hv1' ? x[home.name]?.type === 'local' : x[home.name]?.type === 'remote'));
        record(k, to, out, s);
        expect(out.result.verdict, `move ${k} after the clear: ${out.record.error ?? ''}`).toBe('migrated');
        expect(out.record.health, out.record.healthReasons.join('; ')).not.toBe('errored');
        expect(metric(out.record, 'loss_derived_ms'), `move ${k}: outage measured`).toEqual(expect.any(Number));
        if (to === 'hv3') {
          expect(during.some((x) => x.type === 'remote'), `${home.name} follows the MAC to ${far.name} again`).toBe(true);
          expect([s[home.name]?.type, s[home.name]?.vtep], `move ${k}: ${home.name}`).toEqual(['remote', far.routerId]);
        }
        expect(Object.values(s).some((x) => x.duplicate), `move ${k}: no flag after the clear`).toBe(false);
      }
      expect(await locate()).toBe('hv1');
    } finally {
      // Leave the lab as found: no flag, no freeze this spec added, the VM at hv1.
      const problems: string[] = [];
      const attempt = async (what: string, f: () => Promise<unknown>): Promise<void> => {
        await f().catch((e: unknown) => problems.push(`${what}: ${(e as Error).message}`));
      };
      for (const t of tors) await attempt(`clear ${t}`, () => clearDup(t));
      if (!freezeWasOn) {
        for (const sw of [home, far]) await attempt(`freeze off ${sw.name}`, () => evpnConf(sw, 'no dup-addr-detection freeze permanent'));
      }
      await attempt('VM home', async () => {
        const at = await locate();
        if (at === 'hv3' || at === 'hv2') await migrate({ to: 'hv1', strategy: at === 'hv3' ? 'evpn-l2' : 'l2' });
      });
      for (const t of tors) await attempt(`clear ${t}`, () => clearDup(t));
      const text = table(rows, tors);
      console.log(`mobility storm across sites (${mac}, VNI ${VNI}):\n${text}`);
      await testInfo.attach('mobility-storm-wan.json', { body: JSON.stringify(rows, null, 1), contentType: 'application/json' });
      testInfo.annotations.push({ type: 'storm', description: text });
      if (problems.length > 0) console.log(`cleanup: ${problems.join('; ')}`);
    }
  });
});
