import { ownSuiteConfig } from '../own-suite-config.js';

// Run several times by suites/lab/change-point.spec.ts, building a real history.
export default ownSuiteConfig('*.trend.ts');
