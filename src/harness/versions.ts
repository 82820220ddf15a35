/**
 * The version inventory of the run manifest, read from every device through its management
 * interface, one code path for the emulated lab and hardware: hypervisors over libvirt (their
 * driver), switches through their switch driver's `readVersion`, traffic hosts through the command
 * runner the testbed access gives for them. Devices are asked in parallel, each within its own
 * deadline; a failure is recorded as that device's `error`, so the inventory never fails a run and
 * never carries a version no device reported.
 */
import { CommandError, TimeoutError, UnsupportedError } from '../errors/classes.js';
import type { HypervisorDriver } from '../drivers/hypervisor/types.js';
import type { SwitchDriver } from '../drivers/switch/types.js';
import type { CommandResult, CommandRunner } from '../exec/types.js';
import type { Hypervisor, Testbed, TrafficHost } from '../model/testbed.js';
import type { DeviceVersions } from '../report/model.js';
import { withDeadline, type IoOptions } from '../util/abort.js';

type Facts = Record<string, string>;

export interface VersionSources {
  /** Open hypervisor drivers by hypervisor name. */
  readonly hypervisors: ReadonlyMap<string, HypervisorDriver>;
  /** Opens (or returns the open) switch driver of a device. */
  readonly switchDriver: (name: string) => Promise<SwitchDriver>;
  /** Runs commands on a traffic host; undefined when the testbed offers no way to. */
  readonly runnerOf: (host: TrafficHost, io: IoOptions) => Promise<CommandRunner | undefined>;
  /** Deadline per device, ms (default 10 000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Commands a traffic host answers for the manifest (argv; stdout trimmed is the value). */
export const TRAFFIC_HOST_QUERIES: Readonly<Record<string, readonly string[]>> = {
  kernel: ['uname', '-r'],
  node: ['node', '--version'],
};

/** libvirt's version encoding `major*1e6 + minor*1e3 + micro` → `major.minor.micro`. */
export const formatLibvirtVersion = (v: number): string =>
  `${Math.floor(v / 1e6)}.${Math.floor((v % 1e6) / 1e3)}.${v % 1e3}`;

/** The libvirt driver a URI names (`qemu+tcp://h/system` → `qemu`, `test:///default` → `test`). */
export const hypervisorKey = (uri: string): string => /^([a-z0-9]+)[+:]/i.exec(uri)?.[1]?.toLowerCase() ?? 'hypervisor';

/**
 * libvirt versions and the host name, over the hypervisor's own driver. The host kernel is not
 * reported: libvirt's RPC has no call that returns it (virNodeGetInfo gives CPU and memory,
 * virConnectGetSysinfo the SMBIOS tables), and opening SSH to the host for `uname -r`, even where
 * the testbed has qemu+ssh credentials, is deliberately not done here.
 */
export async function hypervisorVersions(hv: Hypervisor, d: HypervisorDriver | undefined, io: IoOptions):
  Promise<Facts> {
  if (d === undefined) throw new UnsupportedError('no open hypervisor driver', { device: hv.name });
  const facts: Facts = { source: 'libvirt', libvirt: formatLibvirtVersion(await d.libVersion(io)) };
  const hyp = await d.hypervisorVersion(io);
  // 0 is libvirt's "unknown": left out rather than reported as version 0.0.0.
  if (hyp === 0) facts.unanswered = 'hypervisor version: libvirt reports it as unknown (0)';
  else facts[hypervisorKey(hv.uri)] = formatLibvirtVersion(hyp);
  facts.hostname = await d.hostname(io);
  return facts;
}

/** The switch driver's own version query (drivers without one are an error, not an empty entry). */
export async function switchVersions(name: string, open: VersionSources['switchDriver'], io: IoOptions):
  Promise<Facts> {
  const d = await withDeadline(open(name), `${name}: open switch driver`, io);
  if (d.readVersion === undefined) {
    throw new UnsupportedError(`the ${d.kind} driver has no version query`, { device: name });
  }
  return { ...(await d.readVersion(io)) };
}

/** Kernel and node version of a traffic host; a command that fails is named in `unanswered`. */
export async function trafficHostVersions(host: TrafficHost, runnerOf: VersionSources['runnerOf'],
  io: IoOptions): Promise<Facts> {
  const runner = await runnerOf(host, io);
  if (runner === undefined) {
    throw new UnsupportedError('the testbed offers no way to run commands on this host', { device: host.name });
  }
  const facts: Facts = { source: runner.where };
  const misses: CommandResult[] = [];
  for (const [key, argv] of Object.entries(TRAFFIC_HOST_QUERIES)) {
    const r = await runner.run(argv, io);
    const out = r.stdout.trim();
    if (!r.failed && out !== '') facts[key] = out;
    else misses.push(r);
  }
  const why = misses.map((r) =>
    `${r.argv.join(' ')}: ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.exitCode ?? '?'}`}`).join('; ');
  const [first] = misses;
  if (first !== undefined && misses.length === Object.keys(TRAFFIC_HOST_QUERIES).length) {
    throw new CommandError(`no version query answered (${why})`, first.argv, first.exitCode, first.stderr,
      { device: host.name, operation: 'read versions' });
  }
  if (misses.length > 0) facts.unanswered = why;
  return facts;
}

/** One device's entry: its facts within the deadline, or its error as data. */
async function entry(device: string, role: string, read: (io: IoOptions) => Promise<Facts>, timeoutMs: number,
  signal: AbortSignal | undefined): Promise<DeviceVersions> {
  // The inner calls get a signal that fires at the deadline too, so nothing keeps running after it.
  const deadline = AbortSignal.timeout(timeoutMs);
  const io: IoOptions = { timeoutMs, signal: signal === undefined ? deadline : AbortSignal.any([signal, deadline]) };
  try {
    const versions = await withDeadline(read(io), 'read versions', {
      timeoutMs, ...(signal === undefined ? {} : { signal }), ctx: { device },
    });
    return { device, role, versions };
  } catch (e) {
    // Past the deadline the inner call may lose the race with its own abort error: say what happened.
    const err = deadline.aborted && signal?.aborted !== true
      ? new TimeoutError('read versions timed out', timeoutMs, { device, cause: e }) : e;
    return { device, role, versions: {}, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Versions of every hypervisor, switch and traffic host of the testbed, in that order. Never rejects. */
export async function readDeviceVersions(tb: Testbed, s: VersionSources): Promise<DeviceVersions[]> {
  const t = s.timeoutMs ?? 10_000;
  return Promise.all([
    ...tb.hypervisors.map((hv) =>
      entry(hv.name, 'hypervisor', (io) => hypervisorVersions(hv, s.hypervisors.get(hv.name), io), t, s.signal)),
    ...tb.switches.map((sw) =>
      entry(sw.name, sw.role, (io) => switchVersions(sw.name, s.switchDriver, io), t, s.signal)),
    ...tb.trafficHosts.map((h) =>
      entry(h.name, 'traffic-host', (io) => trafficHostVersions(h, s.runnerOf, io), t, s.signal)),
  ]);
}
