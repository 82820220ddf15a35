/**
 * The `tunnel` subcommand of the remote agent bundle (probes/remote/agent-entry.ts): runs tunagent on
 * the host it is started on (a Linux switch or host reached over SSH), as LocalTunnelAgent does in a
 * namespace, and speaks a line protocol over the SSH exec channel, so that the controller never needs
 * the remote PID or SSH signal delivery:
 *
 *   stdout  `tunagent-ready tun=<ifname>`        once the tun device is up
 *           `tunagent-counters why=dump …`        answer to `counters`
 *           `tunagent-counters why=<final> …`     once, at the end (stopped, lifetime, stdin-closed…)
 *   stdin   `counters`                            dump the counters without stopping
 *           `stop` or EOF; SIGTERM/SIGINT         stop tunagent (its tun device and routes vanish)
 *
 * Exit status 0 after a stop or the agent's own end, 1 when tunagent could not start (stderr says why).
 */
import { createInterface } from 'node:readline';
import { LocalTunnelAgent, type TunnelAgentSpec } from './agent.js';
import { formatCounters, type AgentCounters } from './header.js';

export async function runRemoteTunnelAgent(spec: TunnelAgentSpec, out: (line: string) => void): Promise<void> {
  const a = await LocalTunnelAgent.start({ ...spec, ns: undefined }, { timeoutMs: 10_000 });
  out(`tunagent-ready tun=${a.ifname}\n`);
  let stopping: Promise<AgentCounters | undefined> | undefined;
  const stop = (): Promise<AgentCounters | undefined> => (stopping ??= a.stop({ timeoutMs: 3000 }));
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stop') void stop();
    else if (cmd === 'counters' && stopping === undefined) {
      a.counters({ timeoutMs: 2000 }).then((c) => out(`${formatCounters(c)}\n`),
        (e: unknown) => process.stderr.write(`counters: ${e instanceof Error ? e.message : String(e)}\n`));
    }
  });
  rl.on('close', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await a.exited; // after a stop, or the agent's own end (its lifetime bound)
  const final = await stop(); // idempotent: the final counters of the exited agent
  rl.close();
  if (final !== undefined) out(`${formatCounters(final)}\n`);
}
