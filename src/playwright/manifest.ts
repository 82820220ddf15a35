import { createHash } from 'node:crypto';
import { PACKAGE_ROOT } from '../util/layout.js';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { runLocal } from '../exec/local.js';
import type { ParamMap, RunManifest } from '../report/record.js';
import { CONTROLLER_CLOCK } from '../util/stamp.js';
import { defined } from '../model/defined.js';

/**
 * Facts about the controller side of a suite run for the manifest: vmmi version and git commit, the
 * testbed file's hash, the runner settings. Device versions, parameters and clock sources come from
 * fixtures as manifest-fact attachments. Every lookup is bounded; a failed lookup records `null`
 * (visible in the report) instead of failing the run.
 */

const LOOKUP_TIMEOUT_MS = 5000;

async function vmmiVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function git(args: readonly string[], signal?: AbortSignal): Promise<string | null> {
  try {
    const r = await runLocal(['git', '-C', PACKAGE_ROOT, ...args], {
      timeoutMs: LOOKUP_TIMEOUT_MS, ...defined({ signal }),
    });
    return r.failed ? null : r.stdout.trim();
  } catch {
    return null;
  }
}

/** sha256 of a file's bytes, or null when it cannot be read. */
export async function sha256File(file: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return null;
  }
}

export interface ControllerManifestOptions {
  readonly startedWall: string;
  readonly testbedFile?: string | null;
  readonly runner?: ParamMap;
  readonly signal?: AbortSignal;
}

export async function collectControllerManifest(o: ControllerManifestOptions): Promise<RunManifest> {
  const [version, commit, status, sha] = await Promise.all([
    vmmiVersion(),
    git(['rev-parse', 'HEAD'], o.signal),
    git(['status', '--porcelain', '--untracked-files=no'], o.signal),
    o.testbedFile == null ? Promise.resolve(null) : sha256File(o.testbedFile),
  ]);
  return {
    schema: 'vmmi.run-manifest/1',
    vmmi: { version, gitCommit: commit === '' ? null : commit, gitDirty: status === null ? null : status !== '' },
    testbed: { file: o.testbedFile ?? null, sha256: sha },
    devices: [],
    migrationParameters: {},
    probeParameters: {},
    clocks: [{ host: 'controller', source: CONTROLLER_CLOCK, offsetMs: 0, uncertaintyMs: null }],
    insecureHostKeys: [],
    controller: { node: process.version, platform: `${process.platform}-${process.arch}`, hostname: hostname() },
    runner: o.runner ?? {},
    startedWall: o.startedWall,
    endedWall: null,
  };
}
