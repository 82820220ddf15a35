/**
 * The switch agent as one prebuilt ES module. `lab up` starts four agents while a TCG guest boots on
 * two cores: through tsx each one costs ~0.6 s of start-up CPU (loader, on-the-fly transform); bundled
 * it starts in ~0.15 s. The bundle is written inside the project's node_modules (`.cache`), so its
 * bare imports (ssh2 with its native parts) resolve to the installed packages, which stay external.
 * This is the only file that imports esbuild.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ownModule } from '../../util/layout.js';

/** main.ts in a checkout, dist/lab/agent/main.js when built: esbuild bundles either. */
const ENTRY = ownModule(import.meta.url, './main');
/** `<project>/node_modules/.cache/vmmi/switch-agent.mjs` */
export const AGENT_BUNDLE = fileURLToPath(
  new URL('../../../node_modules/.cache/vmmi/switch-agent.mjs', import.meta.url),
);

let built: Promise<string> | undefined;

/**
 * Builds the bundle (once per process; ~50 ms) and returns its path. Rebuilt on every `lab up`
 * process, so an edited agent is what the next lab runs. Rejects with esbuild's message on failure.
 */
export function agentBundle(): Promise<string> {
  built ??= (async () => {
    await mkdir(dirname(AGENT_BUNDLE), { recursive: true });
    const out = await build({
      entryPoints: [ENTRY], outfile: AGENT_BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', logLevel: 'silent', sourcemap: 'inline', write: false,
    });
    const text = out.outputFiles[0]?.contents;
    if (text === undefined) throw new Error('esbuild produced no output');
    // Written aside and renamed: another lab's `up` may be starting agents from the current file.
    const tmp = `${AGENT_BUNDLE}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, AGENT_BUNDLE);
    return AGENT_BUNDLE;
  })();
  built.catch(() => { built = undefined; });
  return built;
}
