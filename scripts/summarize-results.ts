// Sums Playwright JSON reports of several project runs into the closing line of `npm test`.
// Failed tests are named above the closing line with their error (its last MESSAGE_LINES lines of
// substance: a failed command's stderr ends there), so the tail of a CI log, often all that is kept,
// says why it broke and not only what; flaky tests get the first line of their failed attempt.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface JsonResult { status?: string; error?: { message?: string } }
interface JsonTest { projectName?: string; status?: string; results?: JsonResult[] }
interface JsonSpec { title: string; file?: string; line?: number; tests?: JsonTest[] }
interface JsonSuite { title: string; specs?: JsonSpec[]; suites?: JsonSuite[] }
interface JsonReport {
  stats?: { expected: number; unexpected: number; flaky: number; skipped: number; duration?: number };
  errors?: { message?: string }[];
  suites?: JsonSuite[];
}

/** Every test of the report with its title path, depth first. */
function eachTest(suites: JsonSuite[] | undefined, visit: (t: JsonTest, title: string, spec: JsonSpec) => void,
  path: string[] = []): void {
  for (const s of suites ?? []) {
    const here = s.title === '' ? path : [...path, s.title];
    for (const spec of s.specs ?? []) for (const t of spec.tests ?? []) visit(t, [...here, spec.title].join(' › '), spec);
    eachTest(s.suites, visit, here);
  }
}

/** Each test whose outcome was "unexpected" (failed on every attempt), with its last error. */
function failedTests(suites: JsonSuite[] | undefined): string[] {
  const out: string[] = [];
  eachTest(suites, (t, title, spec) => {
    if (t.status !== 'unexpected') return;
    const last = [...(t.results ?? [])].reverse().find((r) => r.error?.message !== undefined);
    out.push(`  [${t.projectName ?? '?'}] ${title}${spec.line !== undefined ? ` (line ${spec.line})` : ''}\n${
      indent(excerpt(last?.error?.message ?? 'no message'))}`);
  });
  return out;
}

/** Flaky tests: the name and the first line of the attempt that failed. */
function flakyTests(suites: JsonSuite[] | undefined): string[] {
  const out: string[] = [];
  eachTest(suites, (t, title) => {
    if (t.status !== 'flaky') return;
    const first = (t.results ?? []).find((r) => r.error?.message !== undefined);
    const line = stripAnsi(first?.error?.message ?? '').split('\n').find((l) => l.trim() !== '') ?? 'no message';
    out.push(`  [${t.projectName ?? '?'}] ${title}\n      ${line.trim().slice(0, 300)}`);
  });
  return out;
}

const MESSAGE_LINES = 40;
const LINE_CHARS = 300;

/**
 * The first line of an error and its last MESSAGE_LINES non-blank lines: a command's failure message
 * opens with what failed and ends with its stderr, and the middle (stdout, progress) is least telling.
 */
function excerpt(message: string): string[] {
  const lines = stripAnsi(message).split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '')
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l));
  if (lines.length <= MESSAGE_LINES + 1) return lines;
  return [lines[0] ?? '', `… ${lines.length - MESSAGE_LINES - 1} line(s) left out …`, ...lines.slice(-MESSAGE_LINES)];
}

const indent = (lines: string[]): string => lines.map((l) => `      ${l}`).join('\n');

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
const flakes: string[] = [];
/** Wall time of each project's run (Playwright's own stats.duration), the default suite's among them. */
const walls: string[] = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  try {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonReport;
    if (r.stats === undefined) throw new Error('no stats');
    // A flaky test failed once and passed on its retry: it counts as passed and is listed above the
    // closing line (the report marks its attempts unstable).
    if (r.stats.duration !== undefined) walls.push(`${f.replace(/\.json$/, '')} ${(r.stats.duration / 60_000).toFixed(1)} min`);
    passed += r.stats.expected + r.stats.flaky;
    failed += r.stats.unexpected;
    flaky += r.stats.flaky;
    skipped += r.stats.skipped;
    failures.push(...failedTests(r.suites));
    flakes.push(...flakyTests(r.suites));
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
if (flakes.length > 0) console.log(`flaky (failed, then passed on a retry):\n${flakes.join('\n')}`);
if (failures.length > 0) console.log(`failed:\n${failures.join('\n')}`);
if (flaky > 0) console.log(`${flaky} test(s) passed only on their retry (flaky): see the report's unstable attempts`);
if (walls.length > 0) console.log(`wall time by project: ${walls.join(', ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
