/** Progress reporting of lab operations: one event per step with its duration. */

export interface ProgressEvent {
  readonly step: string;
  /** Duration of the step (ms). */
  readonly ms: number;
  readonly ok: boolean;
  readonly detail: string;
}

export type Progress = (e: ProgressEvent) => void;

export type Step = <T>(name: string, fn: () => Promise<{ value: T; detail: string }>) => Promise<T>;

/** Runs named steps, timing each and reporting it (also when it fails, with the error message). */
export function stepper(progress?: Progress): Step {
  return async (name, fn) => {
    const t0 = performance.now();
    try {
      const r = await fn();
      progress?.({ step: name, ms: performance.now() - t0, ok: true, detail: r.detail });
      return r.value;
    } catch (e) {
      progress?.({
        step: name,
        ms: performance.now() - t0,
        ok: false,
        detail: e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
  };
}
