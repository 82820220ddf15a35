/**
 * The reporter's `samples: true` reaches the workers (which run the migrate fixture) through this
 * environment variable: the reporter sets it in the runner process before the workers start, and the
 * workers inherit it.
 */
export const SAMPLES_ENV = 'VMMI_REPORT_SAMPLES';
