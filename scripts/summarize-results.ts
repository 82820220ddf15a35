// Sums Playwright JSON reports of several project runs into the closing line of `npm test`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir = '.vmmi/test-summary', checksPassed = '0', checksFailed = '0'] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
let skipped = 0;
let flaky = 0;
let missing = 0;
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  try {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      stats?: { expected: number; unexpected: number; flaky: number; skipped: number };
      errors?: unknown[];
    };
    if (r.stats === undefined) throw new Error('no stats');
    // A flaky test failed once and passed on its retry: it counts as passed and is listed above the
    // closing line (the report marks its attempts unstable).
    passed += r.stats.expected + r.stats.flaky;
    failed += r.stats.unexpected;
    flaky += r.stats.flaky;
    skipped += r.stats.skipped;
    if ((r.errors?.length ?? 0) > 0 && r.stats.expected + r.stats.unexpected === 0) failed += 1;
  } catch (e) {
    console.error(`${f}: unreadable results (${String(e)})`);
    missing += 1;
  }
}
failed += missing;
if (flaky > 0) console.log(`${flaky} test(s) passed only on their retry (flaky): see the report's unstable attempts`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
