/**
 * The body of a probe agent process, shared by agent-main.ts (local and namespace placements) and the
 * remote agent bundle (probes/remote/agent-entry.ts, SSH placements). Streams newline-delimited JSON
 * records through `out`. It stops on its own bounds, on SIGTERM/SIGINT, and when stdin closes (the
 * controller went away), so no agent outlives its controller.
 */
import { writeFileSync } from 'node:fs';
import { runAgent, type AgentConfig } from './agent.js';
import { encodeRecord } from './records.js';
import { startReflector, type ReflectorOptions } from './reflector.js';
import { runTcpSession, type TcpSessionOptions } from '../tcp-session/session.js';

export type AgentMainConfig = (
  | { readonly kind: 'udp'; readonly agent: AgentConfig }
  | { readonly kind: 'reflector'; readonly reflector: Omit<ReflectorOptions, 'signal'> }
  | { readonly kind: 'tcp-session'; readonly session: Omit<TcpSessionOptions, 'signal'> }
) & {
  /** Autogroup nice of the agent's own session (started with setsid), −20…19. */
  readonly nice?: number;
};

/** Aborts on SIGTERM, SIGINT and the end of stdin: the controller's ways of saying stop. */
export function controllerStop(): AbortSignal {
  const ac = new AbortController();
  const stop = (): void => ac.abort(new Error('stopped by controller'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  return ac.signal;
}

function setNice(nice: number): void {
  try {
    writeFileSync('/proc/self/autogroup', String(nice));
  } catch (e) {
    // Not fatal: the run's health (achieved rate, sender stalls) shows what the priority changed.
    process.stderr.write(
      `vmmi probe agent: could not set autogroup nice ${nice}: ${e instanceof Error ? e.message : String(e)}\n`,
    );
  }
}

/** Runs the agent `cfg` describes until it ends or the controller stops it; throws on failure. */
export async function runAgentProcess(cfg: AgentMainConfig, out: (line: string) => void): Promise<void> {
  if (cfg.nice !== undefined) setNice(cfg.nice);
  const signal = controllerStop();
  if (cfg.kind === 'udp') {
    await runAgent(cfg.agent, (r) => out(encodeRecord(r)), signal);
  } else if (cfg.kind === 'reflector') {
    const cpu0 = process.cpuUsage();
    const r = await startReflector({ ...cfg.reflector, signal });
    out(`${JSON.stringify({ t: 'ready', udpPort: r.udpPort, tcpPort: r.tcpPort ?? null })}\n`);
    await r.closed;
    const cpu = process.cpuUsage(cpu0);
    out(`${JSON.stringify({ t: 'closed', ...r.stats, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 })}\n`);
  } else if (cfg.kind === 'tcp-session') {
    const res = await runTcpSession({ ...cfg.session, signal });
    out(`${JSON.stringify({ t: 'session', ...res })}\n`);
  } else {
    throw new Error(`unknown agent kind ${(cfg as { kind: string }).kind}`);
  }
  process.stdin.pause();
  process.stdin.destroy();
}
