/**
 * The one "migrate a VM" use case, shared by `vmmi migrate` and the Playwright `migrate` fixture:
 * recover interrupted runs first (one that still needs a human blocks the move), locate the VM on
 * every hypervisor, move every address family the VM has (never half a VM), retry an infrastructure
 * failure once on a fresh VM where the testbed can boot one, journal every change, and turn the
 * result into one RunRecord per family, judged against the testbed's thresholds. The timeline is
 * written next to the journals (`timelineFile`).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationError } from '../errors/classes.js';
import { runMigration, type MigrationResult, type RunMigrationOptions } from '../migration/run.js';
import { applyMigrationOverrides, modeVariant, type MigrationOverrides } from '../migration/mode.js';
import type { MigrationStrategy, Testbed, Vm } from '../model/testbed.js';
import { defined } from '../model/defined.js';
import type { RunRecord, ScenarioParams } from '../report/model.js';
import { judgeRecord, verdictOf } from '../verdict/judge.js';
import { testbedThresholds, type Threshold } from '../verdict/threshold.js';
import { fileJournal, stateDir } from './journal-file.js';
import { withLabWanInForce } from './lab-control.js';
import type { OpenedTestbed } from './open.js';

/**
 * What the use case needs of an opened testbed: the executor's drivers and options; hypervisor drivers
 * and the access's `freshVm` only for the fresh-VM retry (absent: no retry).
 */
export type MigrateContext = Pick<OpenedTestbed, 'drivers'> & Partial<Pick<OpenedTestbed, 'options' | 'hypervisors'>>
  & { readonly access?: Pick<OpenedTestbed['access'], 'freshVm'> };
import { formatRecovery, recoverRuns } from './recover.js';
import { toRunRecords } from './run-record.js';

export interface MigrateRequest {
  readonly to: string;
  /** Default: the testbed's first VM. */
  readonly vm?: string;
  /** Default: wherever the VM runs now. */
  readonly from?: string;
  /** Default: the testbed's migration strategy. */
  readonly strategy?: MigrationStrategy;
  /**
   * The family whose record is judged and returned as `record` (default: IPv4 when the VM has it).
   * The move itself always covers every family the VM has, and each family gets its record.
   */
  readonly family?: 4 | 6;
  /** Traffic hosts that probe this move (default: the testbed's hosts with probeByDefault). */
  readonly trafficHosts?: readonly string[];
  /** Parameters that distinguish the scenario (`wan_delay_ms: 30`); they become part of its name. */
  readonly variant?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Migration mode and settings of this move over the testbed's `defaults.migration` (`{ mode: 'postcopy',
   * maxDowntimeMs: 100 }`); bad values are refused naming the field. A move with a mode set, or a testbed
   * whose mode is not precopy, gets the mode's parameters in its scenario variant (`mode=postcopy`, …).
   */
  readonly migration?: MigrationOverrides;
}

/** What a fault or soak suite changes about one migration: wrapped drivers, extra options, no infra retry. */
export interface MigrateOverrides {
  readonly drivers?: OpenedTestbed['drivers'];
  readonly options?: Partial<RunMigrationOptions>;
  /** Default true where the testbed can boot a fresh VM: a silent guest is retried once on one. */
  readonly freshVmRetry?: boolean;
  /**
   * Default true: a threshold failed or an ERRORED measurement of a VM that moved fails the test
   * (playwright/verdicts.ts). Fault and soak suites, which provoke such outcomes, turn it off.
   */
  readonly enforceVerdicts?: boolean;
}

export interface MigrateUseCaseOptions {
  readonly signal?: AbortSignal;
  readonly overrides?: MigrateOverrides;
  /** Recovery and retry lines (default: dropped). */
  readonly log?: (line: string) => void;
  /** Wraps the run (the fixture makes it a Playwright step). */
  readonly step?: <T>(title: string, body: () => Promise<T>) => Promise<T>;
}

export interface MigrateOutcome {
  readonly result: MigrationResult;
  readonly runId: string;
  readonly vm: string;
  readonly from: string;
  readonly families: readonly (4 | 6)[];
  /** Every attempt's record of the judged family. */
  readonly records: readonly RunRecord[];
  /** The last attempt's record of the judged family (what thresholds are judged on). */
  readonly record: RunRecord;
  /** The last attempt's record of every family the run measured. */
  readonly byFamily: ReadonlyMap<4 | 6, RunRecord>;
  /** Every attempt's records of every family (what a report keeps). */
  readonly allRecords: readonly RunRecord[];
  /** The run's timeline as JSON (controller clock, every source), next to the journals. */
  readonly timelineFile: string;
}

/**
 * The verdict of a migration's last record against the testbed's per-attempt thresholds
 * (verdict/judge.ts): fail when the VM did not migrate or a figure is over its bound, inconclusive
 * when one is within its resolution of the bound, else pass. An ERRORED record has nothing judged
 * (pass here; its errored health overrides it in every report).
 */
export function judge(tb: Testbed, r: MigrationResult, rec: RunRecord | undefined): 'pass' | 'fail' | 'inconclusive' {
  if (r.verdict !== 'migrated' || rec === undefined) return 'fail';
  return verdictOf(judgeRecord(rec, testbedThresholds(tb.thresholds)));
}

/** The record as judged against `thresholds`: its judgements kept, its verdict from them. */
function withJudgements(rec: RunRecord, thresholds: readonly Threshold[]): RunRecord {
  const js = judgeRecord(rec, thresholds);
  if (js.length === 0) return rec;
  return {
    ...rec, verdict: verdictOf(js),
    judgements: js.map((j) => ({ threshold: j.threshold, expression: j.expression, source: j.source,
      outcome: j.outcome, value: j.value, message: j.message })),
  };
}

/** Where `vm` runs now, asking every hypervisor of the testbed (undefined: on none). */
export async function locateVm(tb: Testbed, o: MigrateContext, vm: string): Promise<string | undefined> {
  for (const hv of tb.hypervisors) {
    if (await o.drivers.host(hv.name).isRunning(vm, { timeoutMs: 10_000 }).catch(() => false)) return hv.name;
  }
  return undefined;
}

/** Runs recovery; a run that still needs a human refuses the new migration. */
async function recoverFirst(tb: Testbed, o: MigrateContext, opts: MigrateUseCaseOptions): Promise<void> {
  const recovered = await recoverRuns(tb, o.drivers, { ...defined({ signal: opts.signal, log: opts.log }) });
  const stuck = recovered.filter((r) => !r.done && r.decision.action !== 'skipped');
  if (stuck.length > 0) {
    throw new MigrationError(`an interrupted run needs attention before a new migration: ${formatRecovery(stuck)}`,
      { operation: 'recover', hint: 'fix what the line says, then run vmmi recover' });
  }
  if (recovered.length > 0) opts.log?.(formatRecovery(recovered));
}

/**
 * A fresh copy of the VM at the failed attempt's source, where the testbed can boot one: the copy is
 * destroyed and undefined wherever it is first (a guest that stopped answering is left nowhere).
 */
async function freshVm(o: MigrateContext, vm: Vm, source: string): Promise<{ vm: Vm; from: string } | undefined> {
  const boot = o.access?.freshVm;
  if (boot === undefined) return undefined;
  for (const d of o.hypervisors?.values() ?? []) {
    const s = await d.state(vm.name, { timeoutMs: 10_000 }).catch(() => undefined);
    if (s === undefined) continue;
    if (s.state !== 'shutoff') await d.destroy(vm.name, { timeoutMs: 30_000 }).catch(() => undefined);
    await d.undefine(vm.name, { timeoutMs: 30_000 }).catch(() => undefined);
  }
  return boot(vm, source);
}

function scenarioParams(tb: Testbed, from: string, to: string, strategy: string, family: 4 | 6,
  variant: MigrateRequest['variant']): ScenarioParams {
  const site = (h: string): string | undefined => tb.hypervisors.find((x) => x.name === h)?.site;
  return {
    topology: site(from) === site(to) ? 'same-subnet' : 'cross-subnet', strategy,
    addressFamily: family === 4 ? 'ipv4' : 'ipv6', ...defined({ variant }),
  };
}

async function writeTimeline(runId: string, r: MigrationResult): Promise<string> {
  const dir = join(stateDir(), 'timelines');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${runId}.json`);
  const t0 = r.timeline[0]?.t.monoNs;
  const events = r.timeline.map((e) => ({
    tMs: t0 === undefined ? 0 : Number(e.t.monoNs - t0) / 1e6, wall: new Date(e.t.wallMs).toISOString(),
    source: e.source, host: e.host, kind: e.kind, ...defined({ detail: e.detail, uncertaintyMs: e.uncertaintyMs }),
  }));
  await writeFile(file, `${JSON.stringify({ runId, events }, null, 1)}\n`);
  return file;
}

/** Records of every family, the judged verdict on each family's last attempt. */
function recordsOf(tb: Testbed, result: MigrationResult, ctx: { vm: string; from: string; to: string;
  strategy: string; families: readonly (4 | 6)[]; variant: MigrateRequest['variant']; startedWall: string }):
  Map<4 | 6, RunRecord[]> {
  const out = new Map<4 | 6, RunRecord[]>();
  for (const fam of ctx.families) {
    const params = scenarioParams(tb, ctx.from, ctx.to, ctx.strategy, fam, ctx.variant);
    const records = toRunRecords(result, { runId: randomUUID(), params, vm: ctx.vm, startedWall: ctx.startedWall,
      verdict: () => 'pass' });
    const thresholds = testbedThresholds(tb.thresholds);
    out.set(fam, records.map((r, i) => (i === records.length - 1 && r.verdict === 'pass' ? withJudgements(r, thresholds) : r)));
  }
  return out;
}

/** The testbed a move runs on (its migration defaults with the request's overrides) and its variant. */
function withMigrationMode(tb: Testbed, req: MigrateRequest): { tb: Testbed; variant: MigrateRequest['variant'] } {
  const migration = applyMigrationOverrides(tb.migration, req.migration, 'migration.');
  const named = req.migration !== undefined || (migration.mode ?? 'precopy') !== 'precopy';
  return {
    tb: migration === tb.migration ? tb : { ...tb, migration },
    variant: named ? { ...modeVariant(migration), ...req.variant } : req.variant,
  };
}

export async function migrateVm(testbed: Testbed, o: MigrateContext, req: MigrateRequest,
  opts: MigrateUseCaseOptions = {}): Promise<MigrateOutcome> {
  const { tb, variant } = withMigrationMode(testbed, req);
  const vmName = req.vm ?? tb.vms[0]?.name;
  const spec = tb.vms.find((v) => v.name === vmName);
  if (vmName === undefined || spec === undefined) {
    throw new MigrationError(`unknown VM "${vmName ?? ''}"; VMs: ${tb.vms.map((v) => v.name).join(', ')}`);
  }
  await recoverFirst(tb, o, opts);
  const from = req.from ?? (await locateVm(tb, o, vmName)) ?? spec.home;
  const strategy = req.strategy ?? tb.migration.strategy;
  const has = (f: 4 | 6): boolean => (f === 4 ? spec.ipv4 : spec.ipv6) !== undefined;
  const judged: 4 | 6 = req.family ?? (has(4) ? 4 : 6);
  const families = [judged, ...([4, 6] as const).filter((f) => f !== judged && has(f))];
  const runId = randomUUID();
  const startedWall = new Date().toISOString();
  const ov = opts.overrides ?? {};
  const step = opts.step ?? (<T>(_t: string, body: () => Promise<T>) => body());
  // The plan's expected RTT steps use the WAN delay in force, which a lab suite may have changed.
  const planned = await withLabWanInForce(tb, { timeoutMs: 2000, ...defined({ signal: opts.signal }) });
  const result = await step(`migrate ${vmName} ${from} → ${req.to} (${strategy}, IPv${families.join('+IPv')})`, () =>
    runMigration(planned, { vm: vmName, to: req.to, from, strategy, families }, ov.drivers ?? o.drivers, {
      ...o.options, journal: fileJournal(), runId,
      ...defined({ signal: opts.signal, trafficHosts: req.trafficHosts }),
      ...(ov.freshVmRetry === false || o.access?.freshVm === undefined ? {}
        : { freshVm: (failed) => freshVm(o, spec, failed.source) }),
      ...ov.options,
    }));
  const byFamilyAll = recordsOf(tb, result, { vm: vmName, from, to: req.to, strategy, families,
    variant, startedWall });
  const records = byFamilyAll.get(judged) ?? [];
  const byFamily = new Map([...byFamilyAll].map(([f, rs]) => [f, rs.at(-1) as RunRecord]));
  return {
    result, runId, vm: vmName, from, families, records, record: records.at(-1) as RunRecord, byFamily,
    allRecords: [...byFamilyAll.values()].flat(), timelineFile: await writeTimeline(runId, result),
  };
}
