/**
 * Finds and loads a profile by `NAME@VERSION`: `profiles/NAME/VERSION.yaml` under the package (or
 * `$VMMI_PROFILES_DIR`), checked against its schema and against the place it is filed under (a file
 * in profiles/a/2.yaml must say name a, version 2). Returns the text and its sha256 too: the bundle
 * carries the exact bytes that were run, and PUBLISHED.json says whether they are a published version.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InventoryError, UsageError } from '../errors/classes.js';
import { PACKAGE_ROOT } from '../util/layout.js';
import { parseProfile } from './profile-schema.js';
import type { Profile } from './profile-types.js';
import { readProfileYaml } from './profile-yaml.js';

export interface LoadedProfile {
  readonly profile: Profile;
  readonly file: string;
  readonly text: string;
  readonly sha256: string;
  /** True when PUBLISHED.json pins exactly these bytes; false for a draft (not yet published). */
  readonly published: boolean;
}

export const profilesDir = (): string => process.env.VMMI_PROFILES_DIR ?? join(PACKAGE_ROOT, 'profiles');

/** `nvo3-vmmi@1` → `{ name, version }`; a UsageError naming the expected form otherwise. */
export function parseProfileRef(ref: string): { name: string; version: number } {
  const m = /^([a-z0-9][a-z0-9-]{0,62})@([1-9]\d{0,6})$/.exec(ref);
  if (m === null) throw new UsageError(`--profile "${ref}": expected NAME@VERSION, e.g. nvo3-vmmi@1`);
  return { name: m[1] as string, version: Number(m[2]) };
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Validates profile text filed as `name`@`version`; throws InventoryError listing every problem. */
export function profileFromText(text: string, file: string, where?: { name: string; version: number }): Profile {
  const y = readProfileYaml(text);
  if (!y.ok) throw new InventoryError([{ file, path: '', message: y.message }], { operation: 'load profile' });
  const r = parseProfile(y.value);
  if (!r.ok) {
    throw new InventoryError(r.issues.map((i) => ({ file, ...i })),
      { operation: 'load profile', hint: 'fix the listed fields (docs/certification.md describes each)' });
  }
  if (where !== undefined && (r.profile.name !== where.name || r.profile.version !== where.version)) {
    throw new InventoryError([{ file, path: r.profile.name !== where.name ? 'name' : 'version',
      message: `the file is filed as ${where.name}@${where.version} but says ${r.profile.name}@${r.profile.version}` }],
    { operation: 'load profile' });
  }
  return r.profile;
}

/** The published registry: `profiles/PUBLISHED.json`, `{ "NAME@VERSION": sha256 }`. */
export async function publishedRegistry(dir = profilesDir()): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(join(dir, 'PUBLISHED.json'), 'utf8')) as Record<string, string>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

export async function loadProfile(ref: string, dir = profilesDir()): Promise<LoadedProfile> {
  const where = parseProfileRef(ref);
  const file = join(dir, where.name, `${where.version}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`profile ${ref}: cannot read ${file}: ${(e as Error).message}`,
      { hint: `profiles are filed as ${dir}/NAME/VERSION.yaml`, cause: e });
  }
  const profile = profileFromText(text, file, where);
  const sha256 = sha256Hex(text);
  const pinned = (await publishedRegistry(dir))[ref];
  if (pinned !== undefined && pinned !== sha256) {
    throw new InventoryError([{ file, path: '', message: `published profile ${ref} was edited (sha256 ${sha256}, `
      + `published ${pinned}): a published version never changes; write the change as a new version` }],
    { operation: 'load profile' });
  }
  return { profile, file, text, sha256, published: pinned !== undefined };
}
