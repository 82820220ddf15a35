/**
 * The switch agent as one prebuilt ES module. `lab up` starts four agents while a TCG guest boots on
 * two cores: through tsx each one costs ~0.6 s of start-up CPU (loader, on-the-fly transform); bundled
 * it starts in ~0.15 s. The bundle is written inside the project's node_modules (`.cache`), so its
 * bare imports (ssh2 with its native parts) resolve to the installed packages, which stay external.
 * Building and caching (by the sources' content) is util/bundle.ts's, the only importer of esbuild.
 */
import { bundleFile } from '../../util/bundle.js';
import { ownModule } from '../../util/layout.js';

/** main.ts in a checkout, dist/lab/agent/main.js when built: esbuild bundles either. */
const ENTRY = ownModule(import.meta.url, './main');

/**
 * Path of the bundle, rebuilt when a source of the agent changed since the last build (so an edited
 * agent is what the next lab runs). Rejects with esbuild's message on failure.
 */
export function agentBundle(): Promise<string> {
  return bundleFile({ name: 'switch-agent', entry: ENTRY, packages: 'external', target: 'node20' },
    { timeoutMs: 60_000 });
}
