/**
 * The remote agent as one self-contained ES module (every dependency inlined, Node ≥ 18), built from
 * agent-entry.ts in a checkout or dist/probes/remote/agent-entry.js when installed, and cached by the
 * content of its sources (util/bundle.ts).
 */
import { bundleFile } from '../../util/bundle.js';
import type { IoOptions } from '../../util/abort.js';
import { ownModule } from '../../util/layout.js';

/** Name of the bundle on a remote host, inside its per-run directory. */
export const REMOTE_AGENT_FILE = 'vmmi-agent.mjs';

/** Oldest Node the bundle runs on (the remote precheck asks for it). */
export const REMOTE_NODE_MAJOR = 18;

/** Local path of the bundle, built on first use (or when a source changed). */
export function remoteAgentBundle(io: IoOptions = {}): Promise<string> {
  return bundleFile({ name: 'remote-agent', entry: ownModule(import.meta.url, './agent-entry'), packages: 'bundle',
    target: `node${REMOTE_NODE_MAJOR}` }, io);
}
