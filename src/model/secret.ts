/**
 * A secret named by a reference (`${env:NAME}`, `${file:path}`). Its value is only reachable through
 * `reveal()`; JSON, string conversion and Node's inspector print the reference, never the value.
 * The value is either given at load or produced on first use by `load` (files the emulated lab
 * generates exist only once the lab is up); a failing `load` throws its own typed error. With
 * `reread`, `load` runs on every use: a lab rebuilt from nothing has new keys, and a process that read
 * the old ones must not keep offering them.
 */
export class Secret {
  #value: string | undefined;
  readonly #load: (() => string) | undefined;
  readonly #reread: boolean;
  /** The reference it came from, e.g. `${env:LAB_PASSWORD}`: safe to print. */
  readonly ref: string;

  constructor(ref: string, value: string | (() => string), opts: { readonly reread?: boolean } = {}) {
    this.ref = ref;
    this.#reread = opts.reread === true && typeof value !== 'string';
    if (typeof value === 'string') this.#value = value;
    else this.#load = value;
  }

  reveal(): string {
    if (this.#reread) return (this.#load as () => string)();
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
