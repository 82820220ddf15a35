/**
 * Fan-out of driver events to any number of async iterators, each with its own bounded queue.
 * A subscriber that falls more than `maxQueued` events behind fails with an error instead of
 * letting memory grow without bound; one that returns early (break) is unsubscribed.
 */
import { VmmiError } from '../../errors/vmmi-error.js';

interface Sub<T> {
  readonly queue: T[];
  wake: (() => void) | undefined;
  end: { error?: Error } | undefined;
}

export class EventHub<T> {
  readonly #subs = new Set<Sub<T>>();
  #ended: { error?: Error } | undefined;

  constructor(private readonly maxQueued = 10_000, private readonly onEmpty?: () => void) {}

  get subscribers(): number {
    return this.#subs.size;
  }

  publish(e: T): void {
    for (const s of this.#subs) {
      if (s.end !== undefined) continue;
      if (s.queue.length >= this.maxQueued) {
        s.end = {
          error: new VmmiError(
            'INTERNAL',
            `event subscriber fell ${this.maxQueued} events behind; consume events faster`,
          ),
        };
      } else {
        s.queue.push(e);
      }
      s.wake?.();
    }
  }

  /** Ends every iterator (with `error`: they throw it after draining what was queued). */
  close(error?: Error): void {
    this.#ended = error === undefined ? {} : { error };
    for (const s of this.#subs) {
      s.end ??= this.#ended;
      s.wake?.();
    }
  }

  subscribe(signal?: AbortSignal): AsyncIterableIterator<T> {
    const sub: Sub<T> = { queue: [], wake: undefined, end: this.#ended };
    this.#subs.add(sub);
    const drop = (): void => {
      this.#subs.delete(sub);
      signal?.removeEventListener('abort', onAbort);
      if (this.#subs.size === 0) this.onEmpty?.();
    };
    const onAbort = (): void => {
      sub.end ??= {};
      sub.wake?.();
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    const it: AsyncIterableIterator<T> = {
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          const v = sub.queue.shift();
          if (v !== undefined) return { value: v, done: false };
          if (sub.end !== undefined) {
            drop();
            if (sub.end.error !== undefined) throw sub.end.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (sub.wake = resolve));
          sub.wake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        sub.end ??= {};
        sub.queue.length = 0;
        drop();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
