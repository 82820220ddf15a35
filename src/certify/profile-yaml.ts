/**
 * Reads a profile's YAML text into plain data: the sole yaml importer for profiles (inventory/load.ts
 * is the testbed's, with its secret references and source positions a profile has no use for).
 * Duplicate keys and anchors/aliases are refused: a published profile is read by people as written.
 */
import { parseDocument } from 'yaml';

export type YamlResult = { ok: true; value: unknown } | { ok: false; message: string };

export function readProfileYaml(text: string): YamlResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  const first = doc.errors[0];
  if (first !== undefined) return { ok: false, message: `YAML syntax: ${first.message.split('\n')[0] ?? first.code}` };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 0 }) as unknown };
  } catch (e) {
    return { ok: false, message: `YAML: ${(e as Error).message}` };
  }
}
