import type { AgentMainConfig } from '../udp/agent-main.js';
import { PACKAGE_ROOT } from '../../util/layout.js';
import { placementArgv, placementLabel, type ProbePlacement } from '../udp/run.js';
import { spawnLocal } from '../udp/spawn.js';
import { runTcpSession, type TcpSessionOptions, type TcpSessionResult } from './session.js';
import { defined } from '../../model/defined.js';

/** Session result, or the reason there is none (a missing session probe is ERRORED, never survived). */
export type TcpSessionOutcome =
  | { readonly ok: true; readonly result: TcpSessionResult; readonly where: string }
  | { readonly ok: false; readonly failure: string; readonly where: string };

/**
 * Runs the TCP session probe where `placement` says (same placements as the UDP probe). `signal`
 * ends the send phase early (the controller's stop): outstanding echoes still drain, bounded by
 * `drainMs`, so a stop is not mistaken for a broken session.
 */
export async function runTcpSessionAt(placement: ProbePlacement, o: Omit<TcpSessionOptions, 'signal'>,
  signal?: AbortSignal): Promise<TcpSessionOutcome> {
  const where = placementLabel(placement);
  if (placement.kind === 'in-process') {
    try {
      return { ok: true, result: await runTcpSession({ ...o, ...defined({ signal }) }), where };
    } catch (e) {
      return { ok: false, failure: e instanceof Error ? e.message : String(e), where };
    }
  }
  const cfg: AgentMainConfig = { kind: 'tcp-session', session: o };
  const argv = placementArgv(placement, cfg);
  const proc = (placement.kind === 'ssh' ? placement.spawner : spawnLocal)(argv, { cwd: PACKAGE_ROOT });
  const timer = setTimeout(() => proc.stop(), o.durationMs + (o.drainMs ?? 2000) + 20_000);
  const onStop = (): void => proc.stop();
  if (signal?.aborted === true) onStop();
  else signal?.addEventListener('abort', onStop, { once: true });
  let result: TcpSessionResult | undefined;
  for await (const line of proc.lines) {
    try {
      const rec = JSON.parse(line) as { t?: string } & TcpSessionResult;
      if (rec.t === 'session') result = rec;
    } catch { /* not a record: reported through the missing result below */ }
  }
  const ex = await proc.exit;
  clearTimeout(timer);
  signal?.removeEventListener('abort', onStop);
  if (result === undefined || ex.code !== 0) {
    return {
      ok: false,
      failure: `session probe ${where} exited ${ex.code ?? ex.signal}: ${ex.stderr.trim().slice(-400)}`,
      where,
    };
  }
  return { ok: true, result, where };
}
