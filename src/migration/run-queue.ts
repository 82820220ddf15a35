/** FIFO of machine events from asynchronous observers, read with a deadline. */
import type { MachineEvent } from './machine.js';

export class EventQueue {
  private readonly items: MachineEvent[] = [];
  private waiter: ((e: MachineEvent | undefined) => void) | undefined;

  push(e: MachineEvent): void {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(e);
    } else {
      this.items.push(e);
    }
  }

  /** Next event, or undefined when `timeoutMs` passes first. */
  next(timeoutMs: number): Promise<MachineEvent | undefined> {
    const head = this.items.shift();
    if (head !== undefined) return Promise.resolve(head);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, Math.max(0, timeoutMs));
      this.waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }
}
