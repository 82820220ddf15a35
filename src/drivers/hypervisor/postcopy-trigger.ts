/**
 * When to switch a running precopy migration to postcopy (pure), decided from polled job stats:
 * once `afterIterations` precopy passes completed, or earlier when precopy stalls: the bytes left at
 * the start of a pass did not shrink below those `stallIterations` passes before.
 *
 * libvirt's `memory_iteration` is QEMU's dirty-sync count: 1 during the first pass over memory, N
 * during pass N, so N − 1 passes are complete. `memory_remaining` read early in a pass is what that
 * pass has to send: the memory dirtied during the previous one.
 */

export interface PostcopyTriggerSettings {
  readonly afterIterations: number;
  readonly stallIterations: number;
}

export interface PostcopyTriggerState {
  /** Remaining bytes at the first sample of each pass, by pass number. */
  readonly startRemaining: ReadonlyMap<number, number>;
  readonly switched: boolean;
}

export interface PostcopySwitchDecision {
  readonly iteration: number;
  readonly reason: string;
  readonly remainingBytes?: number;
}

export const initialPostcopyTrigger: PostcopyTriggerState = { startRemaining: new Map(), switched: false };

const num = (f: Readonly<Record<string, unknown>>, k: string): number | undefined =>
  (typeof f[k] === 'number' ? f[k] : undefined);

/**
 * Feeds one sample of a running job's stats; `decision` is set once, on the sample that warrants the
 * switch (later samples never decide again).
 */
export function postcopyStep(s: PostcopyTriggerState, fields: Readonly<Record<string, unknown>>,
  o: PostcopyTriggerSettings): { state: PostcopyTriggerState; decision?: PostcopySwitchDecision } {
  if (s.switched) return { state: s };
  const iteration = num(fields, 'memory_iteration');
  if (iteration === undefined || iteration < 1) return { state: s };
  const remaining = num(fields, 'memory_remaining');
  let starts = s.startRemaining;
  if (remaining !== undefined && !starts.has(iteration)) {
    starts = new Map(starts).set(iteration, remaining);
  }
  const state = { startRemaining: starts, switched: false };
  const rem = remaining === undefined ? {} : { remainingBytes: remaining };
  if (iteration - 1 >= o.afterIterations) {
    return {
      state: { ...state, switched: true },
      decision: { iteration, reason: `${iteration - 1} precopy pass(es) completed (after ${o.afterIterations})`, ...rem },
    };
  }
  const now = starts.get(iteration);
  const before = starts.get(iteration - o.stallIterations);
  if (iteration > 1 && now !== undefined && before !== undefined && now >= before) {
    return {
      state: { ...state, switched: true },
      decision: {
        iteration, ...rem,
        reason: `precopy stalled: ${now} bytes left at pass ${iteration} ≥ ${before} at pass ${iteration - o.stallIterations}`,
      },
    };
  }
  return { state };
}
