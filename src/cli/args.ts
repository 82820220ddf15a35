import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors/classes.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with usage errors as UsageError (exit code 2) instead of a Node TypeError. */
export function parseCommandArgs<O extends Options>(args: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({
      args: [...args],
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${usage}`);
  }
}
