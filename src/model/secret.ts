/**
 * A secret resolved from a reference (`${env:NAME}`, `${file:path}`). Its value is only reachable
 * through `reveal()`; JSON, string conversion and Node's inspector print the reference, never the value.
 */
export class Secret {
  readonly #value: string;
  /** The reference it came from, e.g. `${env:LAB_PASSWORD}`: safe to print. */
  readonly ref: string;

  constructor(ref: string, value: string) {
    this.ref = ref;
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return `<secret ${this.ref}>`;
  }

  toString(): string {
    return `<secret ${this.ref}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `<secret ${this.ref}>`;
  }
}
