/**
 * The fault matrix: real faults in the emulated lab, each run RUNS times. After each run, checked
 * independently of what vmmi reported: the VM runs on exactly one hypervisor (asked of all of them on
 * new connections), no switch keeps config the VM's final place does not call for (running configs
 * against snapshots), finished runs' results are kept, and the error names the fault. Every run
 * becomes a row of the matrix (fault-kit.ts); zz-table.spec.ts prints the table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestInfo } from '@playwright/test';
import {
  expect,
  formatRecovery,
  labNs,
  migrateRecorded,
  NetconfClient,
  openJournals,
  openTestbed,
  planMigration,
  recoverRuns,
  setLabWan,
  test,
  vmmiCli,
  type MigrateOutcome,
  type NetworkDevice,
  type OpenedTestbed,
  type Testbed,
} from '../../src/index.js';
import { HistoryStore } from './fault-imports.js';
import {
  blockManagement,
  census,
  dropNetconfSessions,
  libvirtdPid,
  recordRow,
  residueLines,
  residueOf,
  setLink,
  snapshotSwitches,
  unblockManagement,
  type FaultRow,
} from './fault-kit.js';

const RUNS = Number(process.env.VMMI_FAULT_RUNS ?? (process.env.CI === 'true' ? 3 : 1));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VM = 'vm1';
const AWAY = 'hv3';
const STRATEGY = 'host-route-static' as const;


/** Resolves when the source reports migration progress of at least `percent`. */
function progressGate(percent: number): {
  onProgress: (p: { host: string; percent: number }) => void;
  reached: Promise<void>;
} {
  let fire!: () => void;
  const reached = new Promise<void>((r) => {
    fire = r;
  });
  return {
    onProgress: (p) => {
      if (p.percent >= percent) fire();
    },
    reached,
  };
}

function open(tb: Testbed, onProgress?: (p: { host: string; percent: number }) => void): Promise<OpenedTestbed> {
  return openTestbed(tb, undefined, onProgress === undefined ? {} : { onProgress: onProgress as never });
}

const home = (tb: Testbed): string => tb.vms.find((v) => v.name === VM)?.home ?? 'hv1';

/** Puts the VM back at home with a clean migration (or a fresh boot when it is lost or doubled). */
async function ensureHome(tb: Testbed, file: string, info: TestInfo): Promise<void> {
  const on = await census(tb, VM);
  if (on.length === 1 && on[0] === home(tb)) return;
  if (on.length === 1) {
    const o = await open(tb);
    try {
      const r = await migrateRecorded(tb, o, { to: home(tb), strategy: STRATEGY }, info,
        { freshVmRetry: false, enforceVerdicts: false });
      if (r.result.verdict === 'migrated') return;
    } finally {
      await o.close();
    }
  }
  // Lost, doubled, or stuck: a fresh VM from `vmmi lab up` (it converges every copy away first).
  const o = await open(tb);
  try {
    for (const d of o.hypervisors.values()) {
      await d.destroy(VM, { timeoutMs: 30_000 }).catch(() => undefined);
      await d.undefine(VM, { timeoutMs: 30_000 }).catch(() => undefined);
    }
  } finally {
    await o.close();
  }
  try {
    await vmmiCli(['lab', 'up', '--testbed', file], 600_000);
  } catch {
    // A failed return can leave host routes toward the other site: `up` keeps switch configs, so its
    // health gate fails; the lab is rebuilt from nothing.
    await vmmiCli(['lab', 'doctor', '--testbed', file], 300_000).catch(() => undefined);
    await vmmiCli(['lab', 'up', '--testbed', file], 600_000);
  }
}

let movedConfig: Record<string, string> | undefined;

/** The switches' configs with the VM cleanly moved away (the reference when a fault leaves it there). */
async function movedReference(tb: Testbed, file: string, info: TestInfo): Promise<Record<string, string>> {
  if (movedConfig !== undefined) return movedConfig;
  await ensureHome(tb, file, info);
  const o = await open(tb);
  try {
    const r = await migrateRecorded(tb, o, { to: AWAY, strategy: STRATEGY }, info,
        { freshVmRetry: false, enforceVerdicts: false });
    expect(r.result.verdict, 'a clean move to build the reference').toBe('migrated');
    movedConfig = await snapshotSwitches(tb);
  } finally {
    await o.close();
  }
  await ensureHome(tb, file, info);
  return movedConfig;
}

interface Observed {
  readonly verdict: string;
  /** The outcome is acceptable for this fault given where the VM ended (checked beside the invariants). */
  readonly ok: (on: readonly string[]) => boolean;
  readonly resultsKept: boolean;
}

/** One run of a fault: baseline, fault, independent checks, one matrix row. */
async function faultRun(fault: string, run: number, tb: Testbed, file: string, info: TestInfo,
  body: () => Promise<Observed>): Promise<void> {
  const moved = await movedReference(tb, file, info);
  await ensureHome(tb, file, info);
  // What earlier runs left (a journal of a failed return, another project's run) is recovered first;
  // only journals this run leaves open count against it.
  const o = await open(tb);
  try {
    const r = await recoverRuns(tb, o.drivers, { log: (l) => console.log(l) });
    if (r.length > 0) console.log(formatRecovery(r));
  } finally {
    await o.close();
  }
  const openBefore = new Set((await openJournals()).map((j) => j.header.runId));
  const before = await snapshotSwitches(tb);
  const seen = await body();
  const on = await census(tb, VM);
  const after = await snapshotSwitches(tb);
  const reference = on.length === 1 && on[0] === AWAY ? moved : before;
  const residue = residueOf(reference, after);
  const leftOpen = (await openJournals()).map((j) => j.header.runId).filter((id) => !openBefore.has(id));
  const row: FaultRow = {
    fault,
    run,
    vmLost: on.length === 0,
    vmTwice: on.length > 1,
    residue,
    resultsKept: seen.resultsKept,
    verdict: seen.verdict,
    ok: on.length === 1 && residue.length === 0 && seen.resultsKept && leftOpen.length === 0 && seen.ok(on),
  };
  recordRow(row);
  console.log(
    `${fault} #${run}: VM on [${on.join(', ')}], residue [${residue.join(', ')}], open journals [${leftOpen.join(', ')}], ${seen.verdict}`,
  );
  for (const sw of residue)
    console.log(`  ${sw}:\n    ${residueLines(reference[sw] ?? '', after[sw] ?? '').join('\n    ')}`);
  expect.soft(on, `${fault} #${run}: the VM runs on exactly one hypervisor`).toHaveLength(1);
  expect.soft(residue, `${fault} #${run}: no config residue`).toEqual([]);
  expect.soft(leftOpen, `${fault} #${run}: no run journal left open`).toEqual([]);
  expect.soft(seen.resultsKept, `${fault} #${run}: results kept`).toBe(true);
  expect.soft(row.ok, `${fault} #${run}: acceptable outcome (${seen.verdict})`).toBe(true);
}

/** Verdict text of an in-process run: outcome, measurement health, record verdict, error. */
function verdictOf(out: MigrateOutcome): string {
  const last = out.result.attempts.at(-1);
  const err = last?.error?.message ?? last?.failure?.reason ?? '';
  return `${out.result.verdict}: health ${out.result.health.health}, record ${out.record.verdict}${err === '' ? '' : `, ${err.split('\n')[0]?.slice(0, 160)}`}`;
}

/** The records of the run exist and carry what happened (the reporter writes them at test end). */
function kept(out: MigrateOutcome): boolean {
  return out.records.length === out.result.attempts.length && out.records.every((r) => r.verdict !== undefined);
}

/** The switch of the move's last switchover op: faults there strike after other routers committed. */
function lastSwitchover(tb: Testbed): Testbed['switches'][number] {
  const plan = planMigration(tb, VM, AWAY, { strategy: STRATEGY });
  const name = plan.strategy.switchover.at(-1)?.device;
  const sw = tb.switches.find((s) => s.name === name);
  if (sw === undefined)
    throw new Error(`the strategy's last switchover op names no switch of the testbed (${name ?? 'none'})`);
  return sw;
}

/**
 * Runs vm1 → AWAY on fresh drivers and calls `inject` once the source reports 15 % progress, unless the
 * run already ended; `restore` always runs after the run. Returns the outcome and whether the fault
 * was injected while the migration was under way.
 */
async function migrateWithFault(tb: Testbed, info: TestInfo, variant: string, inject: () => Promise<void>,
  restore: () => Promise<void> = () => Promise.resolve()): Promise<{ out: MigrateOutcome; injected: boolean }> {
  const gate = progressGate(15);
  const o = await open(tb, gate.onProgress);
  try {
    let ended = false;
    const p = migrateRecorded(tb, o, { to: AWAY, strategy: STRATEGY, variant: { fault: variant } }, info, {
      freshVmRetry: false, enforceVerdicts: false,
    }).finally(() => {
      ended = true;
    });
    await Promise.race([gate.reached, p.then(() => undefined)]);
    const injected = !ended;
    try {
      if (injected) await inject();
    } finally {
      await restore();
    }
    return { out: await p, injected };
  } finally {
    await o.close();
  }
}

test('destination libvirtd killed mid-migration', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun('destination libvirtd killed mid-migration', i, testbed, testbedFile, info, async () => {
      const { out, injected } = await migrateWithFault(testbed, info, 'libvirtd-killed', () => {
        const pid = libvirtdPid(testbed, AWAY);
        if (pid === undefined) throw new Error(`no libvirtd pid for ${AWAY}`);
        process.kill(pid, 'SIGKILL');
        return Promise.resolve();
      });
      // The lab converges: hv3's libvirtd starts again and reconnects to (and clears) the incoming guest.
      await vmmiCli(['lab', 'up', '--testbed', testbedFile], 600_000);
      const v = verdictOf(out);
      return {
        verdict: injected ? v : `not injected (migration ended first): ${v}`,
        resultsKept: kept(out),
        ok: (on) =>
          injected &&
          (out.result.verdict === 'migrated'
            ? on[0] === AWAY
            : on[0] === home(testbed) && /hv3|libvirt|connect|closed|migrat/i.test(v)),
      };
    });
  }
});

test('WAN cut mid-migration, then restored', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun(
      'WAN cut mid-migration (relay drops all), restored after 4 s',
      i,
      testbed,
      testbedFile,
      info,
      async () => {
        const { out, injected } = await migrateWithFault(
          testbed,
          info,
          'wan-cut',
          async () => {
            await setLabWan(testbed, { cut: true }, { timeoutMs: 10_000 });
            await new Promise((r) => setTimeout(r, 4000));
          },
          async () => {
            await setLabWan(testbed, { cut: false }, { timeoutMs: 10_000 });
          },
        );
        const v = verdictOf(out);
        return {
          verdict: injected ? v : `not injected (migration ended first): ${v}`,
          resultsKept: kept(out),
          // Either the migration rode out the cut (TCP retransmits) or it failed and rolled back.
          ok: (on) => injected && (out.result.verdict === 'migrated' ? on[0] === AWAY : on[0] === home(testbed)),
        };
      },
    );
  }
});

test('a switch rejects its part of the switchover (rpc-error)', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  const victim = lastSwitchover(testbed);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun(
      `rpc-error from ${victim.name} mid-transaction (candidate locked)`,
      i,
      testbed,
      testbedFile,
      info,
      async () => {
        const holder = await NetconfClient.connect(
          {
            name: victim.name,
            host: victim.address,
            port: victim.port,
            credentials: victim.credentials,
            hostKey: victim.hostKey,
          },
          { timeoutMs: 15_000 },
        );
        const o = await open(testbed);
        let out: MigrateOutcome;
        try {
          // The lock is taken once the precheck has read the configs: the run fails inside the switchover.
          const drivers = {
            ...o.drivers,
            device: (n: string): NetworkDevice => {
              const d = o.drivers.device(n);
              if (n !== victim.name) return d;
              return {
                ...d,
                // Not staged: the whole transaction meets the held lock at its turn in the switchover.
                stage: async () => undefined,
                applyTransaction: async (ops, io) => {
                  await holder.lock('candidate', { timeoutMs: 10_000 }).catch(() => undefined);
                  return d.applyTransaction(ops, io);
                },
              };
            },
          };
          out = await migrateRecorded(
            testbed,
            o,
            { to: AWAY, strategy: STRATEGY, variant: { fault: 'rpc-error' } },
            info,
            { drivers, freshVmRetry: false, enforceVerdicts: false },
          );
        } finally {
          await holder.unlock('candidate', { timeoutMs: 10_000 }).catch(() => undefined);
          await holder.close();
          await o.close();
        }
        const v = verdictOf(out);
        return {
          verdict: v,
          resultsKept: kept(out),
          ok: (on) => out.result.verdict !== 'migrated' && on[0] === home(testbed) && /lock|in-use|denied/i.test(v),
        };
      },
    );
  }
});

test('the NETCONF session drops mid-transaction', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  const victim = lastSwitchover(testbed).name;
  for (let i = 1; i <= RUNS; i++) {
    await faultRun(`NETCONF session to ${victim} dropped mid-transaction`, i, testbed, testbedFile, info, async () => {
      const o = await open(testbed);
      let out: MigrateOutcome;
      let dropped = 0;
      try {
        let fired = false;
        const drivers = { ...o.drivers, device: (n: string): NetworkDevice => {
          const d = o.drivers.device(n);
          if (n !== victim) return d;
          // Not staged: the session drops under the whole transaction, at its turn in the switchover.
          return { ...d, stage: async () => undefined, applyTransaction: (ops, io) => {
            const p = d.applyTransaction(ops, io);
            // The transaction's first RPCs are on the wire: kill the server side of the session.
            if (!fired) { fired = true; setTimeout(() => { dropped = dropNetconfSessions(testbed, victim); }, 3); }
            return p;
          } };
        } };
        out = await migrateRecorded(
          testbed,
          o,
          { to: AWAY, strategy: STRATEGY, variant: { fault: 'session-drop' } },
          info,
          { drivers, freshVmRetry: false, enforceVerdicts: false },
        );
      } finally {
        await o.close();
      }
      const v = verdictOf(out);
      return {
        verdict: dropped > 0 ? v : `not injected: ${v}`, resultsKept: kept(out),
        ok: (on) => dropped > 0 && (out.result.verdict === 'migrated' ? on[0] === AWAY : on[0] === home(testbed)),
      };
    });
  }
});

/** Spawns `vmmi <args>` in its own process group, collecting its output. */
function spawnVmmi(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, [join(REPO, 'bin/vmmi.js'), ...args], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VMMI_PROGRESS: '1', FORCE_COLOR: '0', ...env },
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  // Colour codes (a worker's FORCE_COLOR is inherited) would split the reporter's "✓  1" marks.
  // eslint-disable-next-line no-control-regex
  return { child, output: () => out.replace(/\u001b\[[0-9;]*m/g, ''), exited };
}

/** Waits until `test(output)` holds, or the deadline passes (false). */
async function waitFor(output: () => string, pred: (s: string) => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred(output())) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const progressAtLeast = (s: string, host: string, pct: number, after = 0): boolean =>
  [...s.slice(after).matchAll(new RegExp(`migrate ${VM} on ${host}:\\s+(\\d+) %`, 'g'))].some(
    (m) => Number(m[1]) >= pct,
  );

test('the controller gets SIGINT during a migration', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun('controller SIGINT during migration', i, testbed, testbedFile, info, async () => {
      // IPv4 like every other case here (the reference configs are those of an IPv4 move).
      const c = spawnVmmi([
        'migrate',
        VM,
        '--to',
        AWAY,
        '--strategy',
        STRATEGY,
        '--family',
        '4',
        '--testbed',
        testbedFile,
      ]);
      const hit = await waitFor(c.output, (s) => progressAtLeast(s, home(testbed), 15), 120_000);
      if (hit) c.child.kill('SIGINT');
      const { code } = await Promise.race([
        c.exited,
        new Promise<{ code: null }>((r) => setTimeout(() => r({ code: null }), 240_000)),
      ]);
      if (code === null) process.kill(-(c.child.pid ?? 0), 'SIGKILL');
      const text = c.output();
      const verdict = `exit ${code ?? 'hung'}: ${/interrupt/.test(text) ? 'interrupt seen, ' : ''}${(/verdict[^\n]*/i.exec(text)?.[0] ?? text.trim().split('\n').at(-1) ?? '').slice(0, 160)}`;
      return {
        verdict: hit ? verdict : `not injected: ${verdict}`, resultsKept: true,
        // Before the destination resumed an interrupt rolls back (exit 1); after it the run completes.
        ok: (on) => hit && code !== null && ((on[0] === home(testbed) && code !== 0) || (on[0] === AWAY && code === 0)),
      };
    });
  }
});

test('the controller gets SIGKILL during a migration; the next vmmi command recovers', async ({
  testbed,
  testbedFile,
  lab,
}, info) => {
  void lab;
  test.setTimeout(RUNS * 600_000 + 300_000);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun(
      'controller SIGKILL during migration, then vmmi recover',
      i,
      testbed,
      testbedFile,
      info,
      async () => {
        const out = mkdtempSync(join(tmpdir(), 'vmmi-fault-run-'));
        // Two scenarios: the first finishes (its results must survive), the kill lands in the second.
        // Both scenarios move vm1 hv1 ↔ hv3 by host-route-static over IPv4; the second runs with a 30 ms WAN.
        const c = spawnVmmi([
          'run',
          '--testbed',
          testbedFile,
          '--out',
          out,
          '--grep',
          'host-route-static: vm1 moves|30 ms one-way',
        ]);
        const firstDone = await waitFor(c.output, (s) => /✓\s+1 /.test(s), 400_000);
        const mark = c.output().length;
        const hit = firstDone && (await waitFor(c.output, (s) => progressAtLeast(s, home(testbed), 15, mark), 200_000));
        try {
          process.kill(-(c.child.pid ?? 0), 'SIGKILL');
        } catch {
          /* the run had ended by itself */
        }
        await c.exited;
        // The killed scenario had delayed the WAN: the lab's own setting comes back (not a switch config).
        await setLabWan(testbed, { delayMs: 0, lossPct: 0, cut: false }, { timeoutMs: 10_000 });
        const rec = await vmmiCli(['recover', '--testbed', testbedFile], 400_000).then(
          (s) => ({ ok: true, s }),
          (e: Error) => ({ ok: false, s: e.message }),
        );
        let records = 0;
        try {
          const h = HistoryStore.open(join(out, 'history.sqlite'));
          records = h.query({}).records.length;
          h.close();
        } catch {
          records = 0;
        }
        const line =
          rec.s
            .split('\n')
            .filter((l) => l.startsWith('recover '))
            .at(-1) ??
          rec.s.split('\n')[0] ??
          '';
        return {
          verdict: `${hit ? '' : 'not injected: '}recover exit ${rec.ok ? 0 : 1}: ${line.slice(0, 200)}; ${records} finished-run records on disk`,
          resultsKept: records >= 2,
          ok: () => hit && rec.ok,
        };
      },
    );
  }
});

test('the probe host is down: the run is ERRORED, never PASS', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  const host = testbed.trafficHosts[0];
  if (host?.netns === undefined) throw new Error('the lab has no namespace traffic host');
  const ns = labNs(testbed, host.netns);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun('probe host down (its link down)', i, testbed, testbedFile, info, async () => {
      const o = await open(testbed);
      let out: MigrateOutcome;
      try {
        await setLink(ns, 'eth0', false);
        out = await migrateRecorded(
          testbed,
          o,
          { to: AWAY, strategy: STRATEGY, variant: { fault: 'probe-host-down' } },
          info,
          { freshVmRetry: false, enforceVerdicts: false },
        );
      } finally {
        await setLink(ns, 'eth0', true);
        await o.close();
      }
      const v = verdictOf(out);
      return {
        verdict: v,
        resultsKept: kept(out),
        ok: () => out.record.verdict !== 'pass' && out.result.health.health === 'errored',
      };
    });
  }
});

test('a switch is unreachable at precheck: refused, nothing touched', async ({ testbed, testbedFile, lab }, info) => {
  void lab;
  test.setTimeout(RUNS * 300_000 + 300_000);
  const victim = lastSwitchover(testbed);
  for (let i = 1; i <= RUNS; i++) {
    await faultRun(`switch ${victim.name} unreachable at precheck`, i, testbed, testbedFile, info, async () => {
      await blockManagement(testbed, victim.address);
      let out: MigrateOutcome;
      try {
        const o = await open(testbed);
        try {
          out = await migrateRecorded(
            testbed,
            o,
            { to: AWAY, strategy: STRATEGY, variant: { fault: 'switch-unreachable' } },
            info,
            { freshVmRetry: false, enforceVerdicts: false },
          );
        } finally {
          await o.close();
        }
      } finally {
        await unblockManagement(testbed);
      }
      const v = verdictOf(out);
      return {
        verdict: v,
        resultsKept: kept(out),
        ok: (on) => out.result.verdict === 'refused' && on[0] === home(testbed) && v.includes(victim.name),
      };
    });
  }
});
