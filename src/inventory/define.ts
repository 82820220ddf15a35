/**
 * Builds a testbed in code, through the same schema and resolve phases as a file:
 * `defineTestbed({ name, sites, hypervisors, ... })`. Secret references resolve from the environment
 * and from files relative to the current directory.
 */
import { InventoryError } from '../errors/classes.js';
import type { Testbed } from '../model/testbed.js';
import { escapeIssue, fileEnvResolver } from './load.js';
import { fmtPath } from './resolve-network.js';
import { resolveTestbed } from './resolve.js';
import { parseRaw, type TestbedInput } from './schema.js';

export type { TestbedInput } from './schema.js';

export function defineTestbed(
  input: TestbedInput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Testbed {
  const raw = parseRaw(input);
  if (!raw.ok)
    throw new InventoryError(
      raw.issues.map((i) => escapeIssue({ path: fmtPath(i.path), message: i.message })),
      { operation: 'defineTestbed' },
    );
  const r = resolveTestbed(raw.value, { resolveSecret: fileEnvResolver(process.cwd(), env, raw.value.lab?.dir) });
  if (!r.ok)
    throw new InventoryError(
      r.issues.map((i) => escapeIssue({ path: fmtPath(i.path), message: i.message })),
      { operation: 'defineTestbed' },
    );
  return r.testbed;
}
