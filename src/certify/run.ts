/**
 * Runs a profile's scenarios on an opened testbed: every repetition moves the VM from its home to the
 * other site (the measured move) and back (recorded as `leg=return`, never judged), through the one
 * migrate use case the ports give. A refusal scenario plants a holder of the VM's address at the
 * destination, expects the move refused with the address and holder named and the VM where it was.
 * The WAN delay is set per scenario and put back to 0 at the end, whatever happened.
 */
import type { MigrateOutcome, MigrateRequest } from '../harness/migrate.js';
import type { RunRecord } from '../report/record.js';
import { profileRef, type Profile, type ProfileScenario } from './profile-types.js';
import { crossSiteMove, trafficHostAt, type Move } from './requirements.js';
import type { Testbed } from '../model/testbed.js';

export type { PlantedHolder } from '../harness/lab-control.js';
import type { PlantedHolder } from '../harness/lab-control.js';

/** What the runner needs of the testbed; the CLI binds them to migrateVm, setLabWan and the lab. */
export interface CertifyPorts {
  migrate(req: MigrateRequest): Promise<MigrateOutcome>;
  locate(vm: string): Promise<string | undefined>;
  setWanDelay(delayMs: number): Promise<void>;
  plantAddressHolder(move: Move): Promise<PlantedHolder>;
  log(line: string): void;
}

/** One repetition of a refusal scenario, judged on what the testbed did. */
export interface ExpectationResult {
  readonly scenario: string;
  readonly repetition: number;
  readonly ok: boolean;
  readonly message: string;
}

export interface ProfileRun {
  readonly records: readonly RunRecord[];
  readonly expectations: readonly ExpectationResult[];
  /** Repetitions that could not run (an exception), per scenario id: named in the verdicts. */
  readonly broken: readonly { scenario: string; repetition: number; error: string }[];
}

/** The variant that names a profile scenario's records (`scenario=cross-subnet`, the WAN delay, the leg). */
export function variantOf(p: Profile, s: ProfileScenario, leg: 'out' | 'return'): Record<string, string | number> {
  return { profile: profileRef(p), scenario: s.id, ...(s.wanDelayMs > 0 ? { wan_delay_ms: s.wanDelayMs } : {}),
    ...(leg === 'return' ? { leg: 'return' } : {}) };
}

/** Whether `r` is a measured (out-leg) record of profile scenario `id`. */
export const measuredRecordOf = (r: RunRecord, id: string): boolean =>
  r.params.variant?.scenario === id && r.params.variant.leg === undefined;

async function refusal(ports: CertifyPorts, move: Move, s: ProfileScenario, host: string | undefined,
  p: Profile): Promise<{ ok: boolean; message: string; records: readonly RunRecord[] }> {
  const holder = await ports.plantAddressHolder(move);
  try {
    const out = await ports.migrate({ to: move.away, strategy: s.strategy, variant: variantOf(p, s, 'out'),
      ...(host === undefined ? {} : { trafficHosts: [host] }) });
    const err = out.result.attempts[0]?.error?.message ?? '';
    const where = await ports.locate(move.vm);
    const named = err.includes(holder.address) && err.toLowerCase().includes(holder.mac);
    const ok = out.result.verdict === 'refused' && named && where === move.home;
    const message = ok
      ? `refused, naming ${holder.address} and its holder ${holder.mac}; ${move.vm} stayed on ${move.home}`
      : `expected a refusal naming ${holder.address} and ${holder.mac} with ${move.vm} left on ${move.home}; got `
        + `${out.result.verdict}${err === '' ? '' : ` (${err})`}, ${move.vm} on ${where ?? 'no hypervisor'}`;
    return { ok, message, records: out.allRecords };
  } finally {
    await holder.remove();
  }
}

async function home(ports: CertifyPorts, move: Move, p: Profile, s: ProfileScenario,
  host: string | undefined): Promise<RunRecord[]> {
  const at = await ports.locate(move.vm);
  if (at === move.home) return [];
  const out = await ports.migrate({ to: move.home, strategy: s.strategy, variant: variantOf(p, s, 'return'),
    ...(host === undefined ? {} : { trafficHosts: [host] }) });
  if (out.result.verdict !== 'migrated') {
    throw new Error(`moving ${move.vm} back to ${move.home} failed: ${out.result.verdict}`
      + ` (${out.result.attempts.at(-1)?.failure?.reason ?? 'no reason given'})`);
  }
  return [...out.allRecords];
}

async function runScenario(tb: Testbed, p: Profile, s: ProfileScenario, ports: CertifyPorts, move: Move,
  acc: { records: RunRecord[]; expectations: ExpectationResult[]; broken: ProfileRun['broken'][number][] }): Promise<void> {
  const host = trafficHostAt(tb, move, s.traffic);
  await ports.setWanDelay(s.wanDelayMs);
  for (let rep = 1; rep <= s.repetitions; rep++) {
    ports.log(`certify: ${s.id} ${rep}/${s.repetitions}: ${move.vm} ${move.home} → ${move.away} (${s.strategy}`
      + `${s.wanDelayMs > 0 ? `, WAN ${s.wanDelayMs} ms` : ''}, traffic from ${host ?? 'default hosts'})`);
    try {
      // The return leg uses the scenario's own strategy: only it knows how to undo its network change.
      acc.records.push(...await home(ports, move, p, s, host));
      if (s.expect === 'refused-address-conflict') {
        const r = await refusal(ports, move, s, host, p);
        acc.records.push(...r.records);
        acc.expectations.push({ scenario: s.id, repetition: rep, ok: r.ok, message: r.message });
        ports.log(`certify: ${s.id} ${rep}/${s.repetitions}: ${r.ok ? 'ok' : 'FAILED'}: ${r.message}`);
        continue;
      }
      const out = await ports.migrate({ to: move.away, strategy: s.strategy, variant: variantOf(p, s, 'out'),
        ...(host === undefined ? {} : { trafficHosts: [host] }) });
      acc.records.push(...out.allRecords);
      ports.log(`certify: ${s.id} ${rep}/${s.repetitions}: ${out.result.verdict}, health ${(out.record as RunRecord | undefined)?.health ?? "none"}`);
      acc.records.push(...await home(ports, move, p, s, host));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      acc.broken.push({ scenario: s.id, repetition: rep, error });
      ports.log(`certify: ${s.id} ${rep}/${s.repetitions}: could not run: ${error}`);
      break;
    }
  }
}

/** Runs every scenario of `p` (already at its scale) on `tb`; the WAN delay is 0 again afterwards. */
export async function runProfile(tb: Testbed, p: Profile, ports: CertifyPorts): Promise<ProfileRun> {
  const move = crossSiteMove(tb);
  if (move === undefined) throw new Error('the testbed has no cross-site move (checked by missingRequirements)');
  const acc = { records: [] as RunRecord[], expectations: [] as ExpectationResult[],
    broken: [] as ProfileRun['broken'][number][] };
  try {
    for (const s of p.scenarios) await runScenario(tb, p, s, ports, move, acc);
  } finally {
    await ports.setWanDelay(0).catch((e: unknown) => ports.log(`certify: could not reset the WAN delay: ${String(e)}`));
  }
  return acc;
}
