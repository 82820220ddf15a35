/**
 * Child-process entry of the corpus runner: `node --import tsx src/fuzz/child.ts <corpus> <from> <to> [perInputMs]`.
 * Writes one line per event to stdout with synchronous writes, so the supervisor knows the index of an
 * input that hangs or kills the process: `i <index>` before each input, `v <json>` per violation and
 * `d <json>` with the range summary at the end.
 */
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isCorpusName, corpora } from './corpora.js';
import { runRange } from './harness.js';

const [name = '', fromArg = '0', toArg = '0', boundArg = '200'] = process.argv.slice(2);
const line = (s: string): void => {
  writeSync(1, `${s}\n`);
};

if (!isCorpusName(name)) {
  line(`e unknown corpus ${JSON.stringify(name)}; known: ${Object.keys(corpora).join(', ')}`);
  process.exitCode = 2;
} else {
  const corpus = await corpora[name]();
  const summary = runRange(corpus, Number(fromArg), Number(toArg), {
    before: (i) => line(`i ${i}`),
    violation: (v) => line(`v ${JSON.stringify(v)}`),
    perInputMs: Number(boundArg),
    now: () => performance.now(),
  });
  line(`d ${JSON.stringify(summary)}`);
}
