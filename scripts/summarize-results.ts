// Sums Playwright JSON reports of several project runs into the closing line of `npm test`.
// Failed tests are named above the closing line with the first line of their error, so the tail of a
// CI log says what broke without scrolling back through the projects' output.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface JsonResult { status?: string; error?: { message?: string } }
interface JsonTest { projectName?: string; status?: string; results?: JsonResult[] }
interface JsonSpec { title: string; file?: string; line?: number; tests?: JsonTest[] }
interface JsonSuite { title: string; specs?: JsonSpec[]; suites?: JsonSuite[] }
interface JsonReport {
  stats?: { expected: number; unexpected: number; flaky: number; skipped: number };
  errors?: { message?: string }[];
  suites?: JsonSuite[];
}

/** One line per test whose outcome was "unexpected" (failed on every attempt). */
function failedTests(suites: JsonSuite[] | undefined, path: string[] = []): string[] {
  const out: string[] = [];
  for (const s of suites ?? []) {
    const here = s.title === '' ? path : [...path, s.title];
    for (const spec of s.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status !== 'unexpected') continue;
        const last = [...(t.results ?? [])].reverse().find((r) => r.error?.message !== undefined);
        const msg = stripAnsi(last?.error?.message ?? '').split('\n').find((l) => l.trim() !== '') ?? 'no message';
        out.push(
          `  [${t.projectName ?? '?'}] ${[...here, spec.title].join(' › ')}${spec.line !== undefined ? ` (line ${spec.line})` : ''}\n      ${msg.trim().slice(0, 300)}`,
        );
      }
    }
    out.push(...failedTests(s.suites, here));
  }
  return out;
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

const [dir = '.vmmi/test-summary', checksPassed = '0', checksFailed = '0'] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
let skipped = 0;
let flaky = 0;
let missing = 0;
const failures: string[] = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  try {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonReport;
    if (r.stats === undefined) throw new Error('no stats');
    // A flaky test failed once and passed on its retry: it counts as passed and is listed above the
    // closing line (the report marks its attempts unstable).
    passed += r.stats.expected + r.stats.flaky;
    failed += r.stats.unexpected;
    flaky += r.stats.flaky;
    skipped += r.stats.skipped;
    failures.push(...failedTests(r.suites));
    if ((r.errors?.length ?? 0) > 0 && r.stats.expected + r.stats.unexpected === 0) {
      failed += 1;
      failures.push(`  ${f}: ${stripAnsi(r.errors?.[0]?.message ?? '').split('\n')[0] ?? ''}`);
    }
  } catch (e) {
    console.error(`${f}: unreadable results (${String(e)})`);
    missing += 1;
  }
}
failed += missing;
if (failures.length > 0) console.log(`failed:\n${failures.join('\n')}`);
if (flaky > 0) console.log(`${flaky} test(s) passed only on their retry (flaky): see the report's unstable attempts`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
