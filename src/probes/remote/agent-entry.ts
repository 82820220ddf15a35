/**
 * Entry of the remote agent: bundled into one self-contained ES module (remote-bundle.ts) that a host
 * offering only SSH and `node` ≥ 18 runs from its per-run directory:
 *
 *   node vmmi-agent.mjs udp-probe '<json>'     a probe agent (AgentMainConfig: udp, reflector, tcp-session)
 *   node vmmi-agent.mjs tcp-session '<json>'   the TCP session-survival probe (AgentMainConfig, kind tcp-session)
 *   node vmmi-agent.mjs tunnel '<json>'        the tunnel endpoint (TunnelAgentSpec; tunnel/remote-main.ts)
 *   node vmmi-agent.mjs echo                   `echo-ready`, then every stdin line written back at once
 *
 * Records on stdout, diagnostics on stderr; exit 0 on a finished run, 1 on failure, 2 on bad usage.
 * Every subcommand ends when its stdin closes (the SSH channel went away), so no agent outlives its
 * controller.
 */
import { createInterface } from 'node:readline';
import { runAgentProcess, type AgentMainConfig } from '../udp/agent-process.js';
import { runRemoteTunnelAgent } from '../../tunnel/remote-main.js';
import type { TunnelAgentSpec } from '../../tunnel/agent.js';
import { REMOTE_AGENT_SUBCOMMANDS } from './subcommands.js';


const out = (s: string): void => void process.stdout.write(s);

class UsageFailure extends Error {}

function json<T>(raw: string | undefined, sub: string): T {
  if (raw === undefined) throw new UsageFailure(`usage: ${sub} '<json config>'`);
  try {
    return JSON.parse(raw) as T;
  } catch (e) {
    throw new UsageFailure(`${sub}: config is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Echo for the controller's path-delay measurement: no buffering beyond one line. */
function echo(): Promise<void> {
  out('echo-ready\n');
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => out(`${line}\n`));
  return new Promise((resolve) => rl.once('close', resolve));
}

async function main(argv: readonly string[]): Promise<void> {
  const [sub, raw] = argv;
  switch (sub) {
    case 'udp-probe':
      return runAgentProcess(json<AgentMainConfig>(raw, sub), out);
    case 'tcp-session': {
      const cfg = json<AgentMainConfig>(raw, sub);
      if (cfg.kind !== 'tcp-session') throw new UsageFailure(`tcp-session: config kind is ${cfg.kind}`);
      return runAgentProcess(cfg, out);
    }
    case 'tunnel':
      return runRemoteTunnelAgent(json<TunnelAgentSpec>(raw, sub), out);
    case 'echo':
      return echo();
    default:
      throw new UsageFailure(`unknown subcommand ${JSON.stringify(sub)}; use one of ${REMOTE_AGENT_SUBCOMMANDS.join(', ')}`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    const text = e instanceof UsageFailure ? e.message : e instanceof Error ? e.stack ?? e.message : String(e);
    process.stderr.write(`vmmi remote agent: ${text}\n`);
    process.exit(e instanceof UsageFailure ? 2 : 1);
  },
);
