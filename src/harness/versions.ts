/**
 * Versions for the run manifest, read from the devices themselves where a driver can (libvirt
 * library version and hostname per hypervisor); for the emulated lab, whose daemons run on this
 * host, the Debian package versions of QEMU, libvirt, FRR and netconfd and the kernel release.
 */
import { runLocal } from '../exec/local.js';
import type { HypervisorDriver } from '../drivers/hypervisor/types.js';
import type { Testbed } from '../model/testbed.js';
import type { DeviceVersions } from '../report/model.js';

const fmtLib = (v: number): string => `${Math.floor(v / 1e6)}.${Math.floor((v % 1e6) / 1e3)}.${v % 1e3}`;

async function debVersions(pkgs: readonly string[]): Promise<Record<string, string>> {
  const r = await runLocal(['dpkg-query', '-W', '-f', '${Package} ${Version}\\n', ...pkgs], { timeoutMs: 10_000 });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const [p, v] = line.trim().split(' ');
    if (p !== undefined && v !== undefined) out[p] = v;
  }
  return out;
}

export async function readDeviceVersions(
  tb: Testbed,
  hypervisors: ReadonlyMap<string, HypervisorDriver>,
): Promise<DeviceVersions[]> {
  const kernel = (await runLocal(['uname', '-r'], { timeoutMs: 5000 })).stdout.trim();
  const lab =
    tb.lab !== undefined
      ? await debVersions(['qemu-system-x86', 'libvirt-daemon', 'frr', 'netconfd', 'openssh-server'])
      : {};
  const out: DeviceVersions[] = [];
  for (const hv of tb.hypervisors) {
    const d = hypervisors.get(hv.name);
    try {
      if (d === undefined) throw new Error('driver not open');
      const versions: Record<string, string> = {
        libvirt: fmtLib(await d.libVersion({ timeoutMs: 5000 })),
        hostname: await d.hostname({ timeoutMs: 5000 }),
      };
      if (tb.lab !== undefined) Object.assign(versions, { qemu: lab['qemu-system-x86'] ?? 'unknown', kernel });
      out.push({ device: hv.name, role: 'hypervisor', versions });
    } catch (e) {
      out.push({ device: hv.name, role: 'hypervisor', versions: {}, error: (e as Error).message });
    }
  }
  for (const sw of tb.switches) {
    if (tb.lab !== undefined) {
      out.push({
        device: sw.name,
        role: sw.role,
        versions: {
          frr: lab.frr ?? 'unknown',
          netconfd: lab.netconfd ?? 'unknown',
          kernel,
          source: 'emulated switch: package versions on the lab host',
        },
      });
    } else {
      out.push({ device: sw.name, role: sw.role, versions: {}, error: `${sw.kind} driver has no version query yet` });
    }
  }
  return out;
}
