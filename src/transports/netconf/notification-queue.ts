/**
 * Bounded FIFO behind `NetconfSession.notifications()`. When the consumer falls behind by more
 * than `max` events the oldest are dropped and counted (`dropped`), so a slow consumer never grows
 * memory without bound.
 */
export class NotificationQueue<T> {
  readonly #max: number;
  readonly #items: T[] = [];
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #ended = false;
  dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  push(x: T): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w({ value: x, done: false });
      return;
    }
    this.#items.push(x);
    if (this.#items.length > this.#max) {
      this.#items.shift();
      this.dropped++;
    }
  }

  end(): void {
    this.#ended = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  #next(): Promise<IteratorResult<T>> {
    const x = this.#items.shift();
    if (x !== undefined) return Promise.resolve({ value: x, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  iterator(onReturn: () => void): AsyncIterableIterator<T> {
    const it: AsyncIterableIterator<T> = {
      next: () => this.#next(),
      return: () => {
        this.end();
        onReturn();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
