import { existsSync } from 'node:fs';
import { assetsDir } from '../../util/layout.js';
import { flowSchedule, validateFlows, type AgentConfig } from './agent.js';

/**
 * The native probe (lab-assets/udpprobe.c, built by scripts/build-lab-assets): the same records as the
 * TypeScript agent, sent from a SCHED_FIFO thread in sendmmsg batches with kernel receive stamps, so
 * host load does not pause the sender. This module only builds its argv; run.ts decides where it runs.
 */

/** Default real-time priority of the sender thread (the receiver runs one below). */
export const NATIVE_RT_PRIORITY = 30;
/** Send quantum of the native sender, ms: packets due within it leave in one sendmmsg. */
export const NATIVE_QUANTUM_MS = 0.05;

/** Where the built native probe is: `<assets>/udpprobe`. */
export function nativeProbeBinary(): string {
  return `${assetsDir()}/udpprobe`;
}

/** True when the native probe is built at `binary` (default location when omitted). */
export function nativeProbeAvailable(binary = nativeProbeBinary()): boolean {
  return existsSync(binary);
}

export interface NativeProbeOptions {
  /** SCHED_FIFO priority of the sender (1–99); 0 runs both threads at normal priority. */
  readonly rtPriority?: number;
  /** Fallback autogroup nice (−20…19) of the probe's own session when FIFO is refused. */
  readonly nice?: number;
  /**
   * Pace, stamp and receive as in a real run but send nothing (`--pace-only`): the CPU the schedule
   * itself costs on this host, which bench/probe-capacity.ts prints as the floor of a paced sender.
   */
  readonly paceOnly?: boolean;
}

/**
 * Arguments of the native probe for `cfg` (pure). Each flow goes as
 * `ID,RATE,PLANNED,OFFSET_MS,DURATION_MS,PAYLOAD,PORT,TARGET,NAME`, with the schedule the TypeScript
 * agent would use (flowSchedule), so both senders put packet n of a flow at the same offset.
 */
export function nativeProbeArgs(cfg: AgentConfig, o: NativeProbeOptions = {}): string[] {
  validateFlows(cfg.flows);
  const args: string[] = [];
  cfg.flows.forEach((f, k) => {
    if (f.target.includes(',')) throw new TypeError(`flow ${f.name}: target ${f.target} is not an IP literal`);
    const s = flowSchedule(f, k, cfg.flows.length);
    const schedule = [f.id, f.ratePps, s.planned, s.offsetMs, f.durationMs];
    args.push('--flow', [...schedule, f.payloadBytes ?? 20, f.port, f.target, f.name].join(','));
  });
  args.push('--drain', String(cfg.drainMs ?? 500), '--batch', String(cfg.batchIntervalMs ?? 200));
  args.push('--quantum', String(cfg.quantumMs ?? NATIVE_QUANTUM_MS));
  args.push('--rt', String(o.rtPriority ?? Number(process.env.VMMI_PROBE_RT_PRIORITY ?? NATIVE_RT_PRIORITY)));
  if (o.nice !== undefined) args.push('--nice', String(o.nice));
  if (o.paceOnly === true) args.push('--pace-only', '1');
  return args;
}
