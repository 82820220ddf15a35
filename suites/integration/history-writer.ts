/**
 * One lab writing to the fleet history (run as its own process by history-postgres.spec.ts):
 *   node --import tsx history-writer.ts URL WRITER COUNT
 * Opens the store (migrating it if it is new, as every lab's reporter would), prints `ready`, waits for a
 * line on stdin (the spec releases all writers at once), appends COUNT attempts one by one (each its own commit, as the
 * reporter does), records its suite and prints `{"writer":W,"appended":N,"ms":T}`.
 */
import { fleetRecord } from './history-fleet.js';
import { openHistory, sampleManifest } from './history-imports.js';

const [url, writerArg, countArg] = process.argv.slice(2);
if (url === undefined || writerArg === undefined || countArg === undefined) {
  console.error('usage: history-writer.ts URL WRITER COUNT');
  process.exit(2);
}
const writer = Number(writerArg);
const store = await openHistory(url, { connectTimeoutMs: 15_000, queryTimeoutMs: 15_000 });
try {
  console.log('ready');
  await new Promise((r) => process.stdin.once('data', r));
  process.stdin.pause();
  const t0 = Date.now();
  for (let k = 0; k < Number(countArg); k++) await store.append(fleetRecord(writer, k), `suite-w${writer}`);
  await store.putSuite(`suite-w${writer}`, sampleManifest({ startedWall: fleetRecord(writer, 0).startedWall }));
  console.log(JSON.stringify({ writer, appended: Number(countArg), ms: Date.now() - t0 }));
} finally {
  await store.close();
}
