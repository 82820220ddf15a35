import { existsSync } from 'node:fs';
import { UsageError } from '../../errors/classes.js';
import { assetsDir } from '../../util/layout.js';
import type { ReflectorOptions } from './reflector.js';

/**
 * The native reflector: the guest's own `udprefl` (lab-assets/udprefl.c, built by
 * scripts/build-lab-assets) run on a host or in a probe namespace, bounded by a lifetime. It echoes in
 * recvmmsg/sendmmsg batches, so at 100 kpps it costs a fraction of the TypeScript reflector's CPU and
 * its event-loop pauses do not read as loss. This module only builds its argv; run-reflector.ts
 * decides where it runs.
 */

/** Which reflector a local or namespace placement runs. */
export type ReflectorKind = 'native' | 'node';

/** SCHED_FIFO priority of a native reflector started with a raised priority (below the probe's 29–30). */
export const NATIVE_REFLECTOR_RT_PRIORITY = 28;

/** Where the built reflector is: `<assets>/udprefl`. */
export function nativeReflectorBinary(): string {
  return `${assetsDir()}/udprefl`;
}

/** True when the native reflector is built at `binary` (default location when omitted). */
export function nativeReflectorAvailable(binary = nativeReflectorBinary()): boolean {
  return existsSync(binary);
}

/**
 * Arguments of a bounded `udprefl` (pure): `UDP_PORT TCP_PORT 0 - LIFETIME_MS`, a port 0 in the options
 * becoming `any` (a free port, reported in its `ready` line), no TCP echo as 0, no control port, no
 * memory checker. Only the wildcard `::` (dual-stack) is supported: that is what udprefl binds.
 */
export function nativeReflectorArgs(o: Omit<ReflectorOptions, 'signal'>): string[] {
  if ((o.host ?? '::') !== '::') {
    throw new UsageError(`native reflector: binds :: (dual-stack) only, not ${o.host}`, {
      hint: 'use host "::" or the TypeScript reflector (reflector: "node")',
    });
  }
  if (!(o.lifetimeMs >= 1)) throw new TypeError(`lifetimeMs must be ≥ 1 ms, got ${o.lifetimeMs}`);
  const port = (p: number | undefined, absent: string): string => (p === undefined ? absent : p === 0 ? 'any' : String(p));
  return [port(o.udpPort, 'any'), port(o.tcpPort, '0'), '0', '-', String(Math.ceil(o.lifetimeMs))];
}

/**
 * The reflector a placement gets: the caller's choice, else VMMI_PROBE_REFLECTOR, else native when
 * built. Asking for native where it is not built is an error, never a silent switch.
 */
export function chooseReflector(
  requested: ReflectorKind | undefined,
  available: boolean,
  binary: string,
): ReflectorKind {
  const env = process.env.VMMI_PROBE_REFLECTOR;
  if (env !== undefined && env !== '' && env !== 'native' && env !== 'node') {
    throw new UsageError(`VMMI_PROBE_REFLECTOR=${env} is not a reflector`, { hint: 'use native or node' });
  }
  const want = requested ?? (env === '' ? undefined : (env as ReflectorKind | undefined));
  if (want === 'native' && !available) {
    throw new UsageError(`native reflector not built at ${binary}`, { hint: 'run scripts/build-lab-assets' });
  }
  if (want === 'node') return 'node';
  return available ? 'native' : 'node';
}

/**
 * argv of a bounded native reflector at a local or namespace placement (pure): `chrt -f` at
 * {@link NATIVE_REFLECTOR_RT_PRIORITY} when the placement asks for a raised priority (`nice` set), so
 * that, like the probe's threads, host load does not pause its echoes.
 */
export function nativeReflectorArgv(
  nsPrefix: readonly string[],
  raised: boolean,
  binary: string,
  o: Omit<ReflectorOptions, 'signal'>,
): string[] {
  const rt = raised ? ['chrt', '-f', String(NATIVE_REFLECTOR_RT_PRIORITY)] : [];
  return [...nsPrefix, ...rt, binary, ...nativeReflectorArgs(o)];
}
