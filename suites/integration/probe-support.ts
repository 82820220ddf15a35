/**
 * What the probe integration specs use, in one place: the probe modules themselves (UDP probe and
 * reflector, TCP session, calibration, outage injector), most of which are internals outside the public
 * API (src/index.ts). Suites import only the package entry; this one file reaches into src/.
 */
/* eslint-disable no-restricted-imports */
export { runChecked, runLocal } from '../../src/exec/local.js';
export { netnsRunner } from '../../src/exec/netns.js';
export { summarizeFlow } from '../../src/measure/summarize.js';
export { runUdpProbe, startUdpProbe, type ProbeSender } from '../../src/probes/udp/run.js';
export { startReflectorAt } from '../../src/probes/udp/run-reflector.js';
export { flowResults } from '../../src/probes/udp/results.js';
export { spawnLocal } from '../../src/probes/udp/spawn.js';
export {
  runCalibration,
  errorRatio,
  type CalibrationPath,
  type CalibrationRow,
  type CalibrationRun,
} from '../../src/probes/calibrate/calibrate.js';
export { createOutageInjector } from '../../src/probes/calibrate/nft-outage.js';
export { runTcpSession } from '../../src/probes/tcp-session/session.js';
export { runTcpSessionAt } from '../../src/probes/tcp-session/run.js';
/* eslint-enable no-restricted-imports */
import { runChecked, runLocal } from '../../src/exec/local.js'; // eslint-disable-line no-restricted-imports
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Compiles the outage injector (lab-assets/nftinject.c) from the checkout into a fresh temporary
 * directory, so the specs test the current source rather than whatever the lab assets hold.
 * Needs gcc and libnftables-dev, libnftnl-dev, libmnl-dev (scripts/setup).
 */
export async function buildInjector(): Promise<string> {
  const bin = join(await mkdtemp(join(tmpdir(), 'vmmi-nftinject-')), 'nftinject');
  const src = fileURLToPath(new URL('../../lab-assets/nftinject.c', import.meta.url));
  await runChecked(['gcc', '-O2', '-Wall', '-o', bin, src, '-lnftables', '-lnftnl', '-lmnl'], { timeoutMs: 60_000 });
  return bin;
}

/** Two namespaces of the probe suites joined by a veth pair: client .1 / ::1, reflector .2 / ::2. */
export interface NetnsPair {
  readonly client: string;
  readonly reflector: string;
  readonly clientV4: string;
  readonly reflectorV4: string;
  readonly clientV6: string;
  readonly reflectorV6: string;
}

/**
 * Creates `vpp-<tag>-c` and `vpp-<tag>-r` (198.18.250.0/24, 2001:2:0:250::/64). The probe suites' own
 * prefix: the emulated lab and its tools own `vmmi*` namespaces.
 */
export async function createNetnsPair(tag: string): Promise<NetnsPair> {
  const p: NetnsPair = {
    client: `vpp-${tag}-c`, reflector: `vpp-${tag}-r`,
    clientV4: '198.18.250.1', reflectorV4: '198.18.250.2', clientV6: '2001:2:0:250::1', reflectorV6: '2001:2:0:250::2',
  };
  await destroyNetnsPair(p);
  const ip = (...a: string[]): Promise<unknown> => runChecked(['ip', ...a], { timeoutMs: 10_000 });
  await ip('netns', 'add', p.client);
  await ip('netns', 'add', p.reflector);
  await ip('link', 'add', 'vprbc', 'netns', p.client, 'type', 'veth', 'peer', 'name', 'vprbr', 'netns', p.reflector);
  for (const [ns, dev, v4, v6] of [
    [p.client, 'vprbc', p.clientV4, p.clientV6],
    [p.reflector, 'vprbr', p.reflectorV4, p.reflectorV6],
  ] as const) {
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev);
    await ip('-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad');
    await ip('-n', ns, 'link', 'set', dev, 'up');
  }
  return p;
}

/** Deletes both namespaces (the veth pair and any nft tables go with them); quiet if absent. */
export async function destroyNetnsPair(p: Pick<NetnsPair, 'client' | 'reflector'>): Promise<void> {
  for (const ns of [p.client, p.reflector]) await runLocal(['ip', 'netns', 'del', ns], { timeoutMs: 10_000 });
}
