/**
 * Wakes whoever waits for an observer's next record: waitForRoutes sleeps on it instead of polling,
 * so the switchover learns that a route is installed when the observer does, not up to a poll later.
 */
export class ChangeSignal {
  private readonly waiters = new Set<() => void>();

  /** A record arrived: every waiter resumes. */
  notify(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  /** Resolves at the next notify, or after `maxMs` at the latest (the caller re-checks its condition). */
  next(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.waiters.add(done);
    });
  }
}

/** Longest sleep between two checks of a wait that is also woken by records (abort and deadline checks). */
export const WAIT_RECHECK_MS = 50;
