/**
 * Bounded FIFO behind `NetconfSession.notifications()`. A consumer that falls more than `max` events
 * behind does not grow memory without bound and does not lose events silently: the queue stops
 * taking events, the consumer still receives the ones queued, then the iterator fails with a
 * ProtocolError saying how many were lost (like the hypervisor event hub).
 */
import { ProtocolError } from '../../errors/classes.js';

export class NotificationQueue<T> {
  readonly #max: number;
  readonly #items: T[] = [];
  /** A consumer waiting on an empty queue (no error can be pending then: it is raised only on a full queue). */
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #ended = false;
  #error: Error | undefined;
  dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  push(x: T): void {
    if (this.#error !== undefined) {
      this.dropped++;
      return;
    }
    if (this.#ended) return;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w({ value: x, done: false });
      return;
    }
    if (this.#items.length >= this.#max) {
      this.dropped++;
      this.#error = new ProtocolError(`notification consumer fell ${this.#max} events behind; later events were lost`, {
        operation: 'notifications', hint: 'consume notifications faster or raise maxQueued',
      });
      return;
    }
    this.#items.push(x);
  }

  end(): void {
    this.#ended = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  #next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift() as T, done: false });
    if (this.#error !== undefined) {
      const e = new ProtocolError(`${this.#error.message} (${this.dropped} lost)`, {
        operation: 'notifications',
        cause: this.#error,
      });
      this.#ended = true;
      return Promise.reject(e);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  iterator(onReturn: () => void): AsyncIterableIterator<T> {
    const it: AsyncIterableIterator<T> = {
      next: () => this.#next(),
      return: () => {
        this.end();
        this.#error = undefined;
        onReturn();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
