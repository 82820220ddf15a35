import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnInherited } from '../exec/spawn.js';
import { loadTestbed } from '../inventory/load.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const USAGE = 'vmmi run [--testbed testbeds/local.yaml] [--grep PATTERN] [--out reports] [--project default]';

/** Newest report folder under `out` (the reporter names them by time). */
async function newestReport(out: string): Promise<string | undefined> {
  const names = (await readdir(out, { withFileTypes: true }).catch(() => []))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return names.at(-1) === undefined ? undefined : join(out, names.at(-1) as string);
}

/**
 * `vmmi run`: the main job. Validates the testbed, then runs the default suite through Playwright
 * (the `lab` fixture brings the emulated lab up when the testbed is one) with the vmmi reporter
 * (CSV, HTML, manifest, history) and JUnit XML, and prints where the reports are.
 */
export const runCommand: Command = {
  summary: 'run the default suite on a testbed (brings the emulated lab up) and write reports',
  usage: USAGE,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      testbed: { type: 'string', default: 'testbeds/local.yaml' }, grep: { type: 'string' },
      out: { type: 'string', default: 'reports' }, project: { type: 'string', default: 'default' },
    }, USAGE);
    if (values.help === true) {
      console.log(`usage: ${USAGE}`);
      return 0;
    }
    const testbedFile = resolve(values.testbed);
    const tb = await loadTestbed(testbedFile);
    const out = resolve(values.out);
    console.log(`vmmi run: testbed ${tb.name} (${values.testbed}), suite "${values.project}", reports under ${out}`);
    const argv = [join(REPO, 'node_modules/@playwright/test/cli.js'), 'test', `--project=${values.project}`,
      `--reporter=list,${join(REPO, 'src/playwright/reporter.ts')},junit`,
      ...(values.grep === undefined ? [] : ['--grep', values.grep])];
    const code = await new Promise<number>((done) => {
      const child = spawnInherited([process.execPath, ...argv], {
        cwd: REPO, keepLocale: true,
        env: { VMMI_TESTBED: testbedFile, VMMI_REPORT_DIR: out, PLAYWRIGHT_JUNIT_OUTPUT_NAME: join(out, 'junit.xml') },
      });
      child.on('exit', (c, sig) => done(c ?? (sig === null ? 1 : 128)));
      child.on('error', () => done(1));
    });
    const folder = await newestReport(out);
    if (folder !== undefined) {
      console.log(`vmmi run: HTML report ${join(folder, 'index.html')}`);
      console.log(
        `vmmi run: CSV ${join(folder, 'runs.csv')}, ${join(folder, 'episodes.csv')}, ${join(folder, 'timeline.csv')}`,
      );
      console.log(`vmmi run: JUnit ${join(out, 'junit.xml')}, history ${join(out, 'history.sqlite')}`);
    }
    return code;
  },
};
