/**
 * The history specs' view of vmmi internals, outside the public API (src/index.ts): the history stores,
 * `vmmi report`'s reading and merging, the report model and CSV renderers, and the synthetic records.
 * Suites import only the package entry; this one file reaches into src/.
 */
/* eslint-disable no-restricted-imports */
export { openHistory } from '../../src/report/history-open.js';
export { default as VmmiReporter } from '../../src/playwright/reporter.js';
export { HistoryStore } from '../../src/report/history.js';
export { readHistories } from '../../src/cli/report.js';
export { buildReportModel } from '../../src/report/model.js';
export { renderEpisodesCsv, renderRunsCsv, renderTimelineCsv } from '../../src/report/render-csv.js';
export { sampleManifest, sampleRecord } from '../../test/fixtures/report/sample-records.js';
export type { RunRecord } from '../../src/report/record.js';
/* eslint-enable no-restricted-imports */
