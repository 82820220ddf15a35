/**
 * Child-process entry of the probe side, run locally or inside a namespace:
 *   ip netns exec <ns> node --import tsx src/probes/udp/agent-main.ts '<json config>'
 * Streams newline-delimited JSON records on stdout, diagnostics on stderr, exits 0 on a finished run
 * and 1 on failure. It stops on its own bounds, on SIGTERM/SIGINT, and when stdin closes (the
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

const out = (s: string): void => void process.stdout.write(s);

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: agent-main.ts <json config>');
  const cfg = JSON.parse(raw) as AgentMainConfig;
  if (cfg.nice !== undefined) {
    try {
      writeFileSync('/proc/self/autogroup', String(cfg.nice));
    } catch (e) {
      // Not fatal: the run's health (achieved rate, sender stalls) shows what the priority changed.
      process.stderr.write(
        `vmmi probe agent: could not set autogroup nice ${cfg.nice}: ${e instanceof Error ? e.message : String(e)}\n`,
      );
    }
  }
  const ac = new AbortController();
  const stop = (): void => ac.abort(new Error('stopped by controller'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  if (cfg.kind === 'udp') {
    await runAgent(cfg.agent, (r) => out(encodeRecord(r)), ac.signal);
  } else if (cfg.kind === 'reflector') {
    const cpu0 = process.cpuUsage();
    const r = await startReflector({ ...cfg.reflector, signal: ac.signal });
    out(`${JSON.stringify({ t: 'ready', udpPort: r.udpPort, tcpPort: r.tcpPort ?? null })}\n`);
    await r.closed;
    const cpu = process.cpuUsage(cpu0);
    out(`${JSON.stringify({ t: 'closed', ...r.stats, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 })}\n`);
  } else if (cfg.kind === 'tcp-session') {
    const res = await runTcpSession({ ...cfg.session, signal: ac.signal });
    out(`${JSON.stringify({ t: 'session', ...res })}\n`);
  } else {
    throw new Error(`unknown agent kind ${(cfg as { kind: string }).kind}`);
  }
  process.stdin.pause();
  process.stdin.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`vmmi probe agent: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
