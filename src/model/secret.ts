/**
 * A secret named by a reference (`${env:NAME}`, `${file:path}`). Its value is only reachable through
 * `reveal()`; JSON, string conversion and Node's inspector print the reference, never the value.
 * The value is either given at load or produced on first use by `load` (files the emulated lab
 * generates exist only once the lab is up); a failing `load` throws its own typed error.
 */
export class Secret {
  #value: string | undefined;
  readonly #load: (() => string) | undefined;
  /** The reference it came from, e.g. `${env:LAB_PASSWORD}`: safe to print. */
  readonly ref: string;

  constructor(ref: string, value: string | (() => string)) {
    this.ref = ref;
    if (typeof value === 'string') this.#value = value;
    else this.#load = value;
  }

  reveal(): string {
    if (this.#value === undefined) this.#value = (this.#load as () => string)();
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
