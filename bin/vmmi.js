#!/usr/bin/env node
// Entry point of the `vmmi` command: runs the compiled CLI, dist/cli/main.js (`npm run build`).
// Without dist/ (a checkout that was not built) it stops with that instruction instead of falling back
// to the TypeScript sources through tsx: the sources would run a different code path (the lab's agents
// through tsx, several times slower to start), so a missing build would hide behind a slower, different
// run. `npm run vmmi -- ARGS` runs the sources through tsx on purpose.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('vmmi: dist/ is missing: run npm run build (or npm run vmmi -- ARGS to run the sources through tsx)');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
