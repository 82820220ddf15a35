/**
 * `defined({ a, b })`: the object without its `undefined`-valued keys, typed so that a key whose value
 * may be undefined becomes optional. Under `exactOptionalPropertyTypes` an optional property may be
 * absent but never `undefined`; this builds such objects without a conditional spread per key.
 */
export type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

export function defined<T extends object>(o: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Defined<T>;
}
