/**
 * Puts the path probe helper on an SSH traffic host: the local static build (scripts/build-lab-assets)
 * uploaded into the host's per-run directory (probes/remote/ssh-host.ts), which its `close()` removes. The
 * host's machine (`uname -m`) must match this host's, since the helper is a native binary.
 */
import { readFile } from 'node:fs/promises';
import { PrecheckError, UnsupportedError } from '../../errors/classes.js';
import { VmmiError } from '../../errors/vmmi-error.js';
import type { IoOptions } from '../../util/abort.js';
import type { RemoteHost } from '../remote/ssh-host.js';
import { pathProbeAvailable, pathProbeBinary } from './native.js';

/** `uname -m` of the machines a build for Node's `process.arch` runs on. */
const MACHINE: Readonly<Record<string, readonly string[]>> = {
  x64: ['x86_64', 'amd64'], arm64: ['aarch64', 'arm64'], arm: ['armv7l', 'armv6l'], ia32: ['i686', 'i386'],
  riscv64: ['riscv64'], ppc64: ['ppc64le', 'ppc64'], s390x: ['s390x'],
};

/** Whether a helper built for `arch` (Node's `process.arch`) runs on a machine reporting `uname -m` `machine`. */
export function machineMatches(arch: string, machine: string): boolean {
  return (MACHINE[arch] ?? [arch]).includes(machine.trim());
}

export interface InstallPathProbeOptions extends IoOptions {
  /** The local build to upload (default `<assets>/pathprobe`). */
  readonly binary?: string;
}

/** Uploads the helper to `<host.dir>/pathprobe` (mode 0700) and returns that path for `remoteBinary`. */
export async function installPathProbe(host: RemoteHost, o: InstallPathProbeOptions = {}): Promise<string> {
  const binary = o.binary ?? pathProbeBinary();
  const io: IoOptions = { ...(o.timeoutMs === undefined ? { timeoutMs: 30_000 } : { timeoutMs: o.timeoutMs }),
    ...(o.signal === undefined ? {} : { signal: o.signal }) };
  if (!pathProbeAvailable(binary)) {
    throw new PrecheckError(`path probe not built at ${binary}`, { device: host.name, hint: 'run scripts/build-lab-assets' });
  }
  const conn = await host.connection(io);
  const m = await conn.exec(['uname', '-m'], io);
  if (m.exitCode !== 0 || !machineMatches(process.arch, m.stdout)) {
    throw new PrecheckError(`${host.name} is ${m.stdout.trim() || `unknown (uname -m exit ${m.exitCode})`}, the ` +
      `path probe is built for ${process.arch}`, { device: host.name, hint: 'build lab-assets/pathprobe.c statically ' +
      'for that machine and pass it as binary' });
  }
  const data = await readFile(binary);
  const path = `${host.dir}/pathprobe`;
  try {
    await conn.upload(data, path, { ...io, mode: 0o700 });
    return path;
  } catch (e) {
    if (!(e instanceof UnsupportedError)) throw e;
  }
  // No SFTP subsystem: the binary as base64 through an exec channel's stdin.
  const r = await conn.exec(['sh', '-c', 'base64 -d > "$1" && chmod 700 "$1"', 'sh', path],
    { ...io, input: data.toString('base64') });
  if (r.exitCode !== 0) {
    throw new VmmiError('COMMAND', `upload of ${path} over exec failed: ${r.stderr.trim()}`,
      { device: host.name, operation: 'upload the path probe' });
  }
  return path;
}
