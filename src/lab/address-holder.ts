/**
 * Fault injection on the emulated lab: a host that already holds a VM's IPv4 address, plugged into a
 * hypervisor's bridge, as the default suite's conflict spec plants it (suites/default/conflict.spec.ts).
 * Reached only through harness/lab-control.ts, which refuses testbeds without a lab.
 */
import { runLocal } from '../exec/local.js';
import { LabError } from '../errors/classes.js';
import { labNs } from './access.js';
import type { Testbed } from '../model/testbed.js';

/** A planted holder of an address; `remove` takes it away again. */
export interface PlantedHolder {
  readonly address: string;
  readonly mac: string;
  remove(): Promise<void>;
}

/** The holder's MAC: locally administered, recognisable in the refusal's message. */
export const HOLDER_MAC = '52:54:00:de:ad:c1';

async function sh(argv: readonly string[], allowFail = false): Promise<void> {
  const r = await runLocal(argv, { timeoutMs: 10_000 });
  if (r.failed && !allowFail) {
    throw new LabError(`${argv.join(' ')}: ${r.stderr.trim() || `exit ${String(r.exitCode)}`}`,
      { operation: 'plant the address holder' });
  }
}

/** Plants a holder of `vmName`'s IPv4 address on `hypervisor`'s bridge. */
export async function plantAddressHolder(tb: Testbed, vmName: string, hypervisor: string): Promise<PlantedHolder> {
  const vm = tb.vms.find((v) => v.name === vmName);
  const address = vm?.ipv4?.split('/')[0];
  if (address === undefined) throw new LabError(`${vmName} has no IPv4 address to conflict with`);
  const holder = labNs(tb, 'certsq');
  const hvNs = labNs(tb, hypervisor);
  const remove = async (): Promise<void> => {
    await sh(['ip', '-n', hvNs, 'link', 'del', 'dev', 'csq-port'], true);
    await sh(['ip', 'netns', 'del', holder], true);
  };
  await remove();
  try {
    await sh(['ip', 'netns', 'add', holder]);
    await sh(['ip', 'link', 'add', 'csq0', 'netns', holder, 'type', 'veth', 'peer', 'name', 'csq-port', 'netns', hvNs]);
    await sh(['ip', '-n', hvNs, 'link', 'set', 'dev', 'csq-port', 'master', 'br0', 'up']);
    await sh(['ip', '-n', holder, 'link', 'set', 'dev', 'csq0', 'address', HOLDER_MAC, 'up']);
    await sh(['ip', '-n', holder, 'addr', 'add', `${address}/32`, 'dev', 'csq0']);
  } catch (e) {
    await remove();
    throw e;
  }
  return { address, mac: HOLDER_MAC, remove };
}
