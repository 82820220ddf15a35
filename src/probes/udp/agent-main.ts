/**
 * Child-process entry of the probe side, run locally or inside a namespace:
 *   ip netns exec <ns> node --import tsx src/probes/udp/agent-main.ts '<json config>'
 * Streams newline-delimited JSON records on stdout, diagnostics on stderr, exits 0 on a finished run
 * and 1 on failure (agent-process.ts holds the body, shared with the remote agent bundle).
 */
import { runAgentProcess, type AgentMainConfig } from './agent-process.js';

export type { AgentMainConfig };

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: agent-main.ts <json config>');
  await runAgentProcess(JSON.parse(raw) as AgentMainConfig, (s) => void process.stdout.write(s));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`vmmi probe agent: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
