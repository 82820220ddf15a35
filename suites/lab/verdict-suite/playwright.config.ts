import { ownSuiteConfig } from '../own-suite-config.js';

// Run by suites/lab/verdicts.spec.ts: one move, judged against the thresholds of the testbed it is given.
export default ownSuiteConfig('*.verdict.ts');
