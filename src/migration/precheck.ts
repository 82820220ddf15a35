/**
 * Pure part of the precheck: address conflicts the testbed's own records reveal (another VM, a
 * hypervisor, a traffic host or a subnet gateway holding one of the VM's addresses). The live part
 * (ARP probe / DAD in the destination subnet) runs in the executor through a ConflictProbe.
 */
import type { Testbed, Vm } from '../model/testbed.js';
import type { Conflict } from './errors.js';
import type { AddressHolder } from './types.js';

const bare = (a: string | undefined): string | undefined => a?.split('/')[0]?.toLowerCase();

export function recordConflicts(tb: Testbed, vm: Vm, addresses: readonly string[]): Conflict[] {
  const holders: Array<[string | undefined, string]> = [
    ...tb.vms.filter((v) => v.name !== vm.name).flatMap((v): Array<[string | undefined, string]> =>
      [[v.ipv4, `VM ${v.name}`], [v.ipv6, `VM ${v.name}`]]),
    ...tb.hypervisors.map((h): [string, string] => [h.address, `hypervisor ${h.name}`]),
    ...tb.trafficHosts.flatMap((h): Array<[string | undefined, string]> =>
      [[h.ipv4, `traffic host ${h.name}`], [h.ipv6, `traffic host ${h.name}`], [h.address, `traffic host ${h.name}`]]),
    ...tb.subnets.flatMap((s): Array<[string | undefined, string]> =>
      [[s.ipv4?.gateway, `gateway of subnet ${s.name}`], [s.ipv6?.gateway, `gateway of subnet ${s.name}`]]),
  ];
  const out: Conflict[] = [];
  for (const a of addresses) {
    for (const [addr, who] of holders) {
      if (bare(addr) === bare(a)) out.push({ address: a, holder: who, via: 'testbed' });
    }
  }
  return out;
}

/** A live probe answer is a conflict unless it is the VM itself (its own MAC on a shared segment). */
export function probeConflict(vm: Vm, family: 4 | 6, holder: AddressHolder | undefined): Conflict | undefined {
  if (holder === undefined) return undefined;
  if (holder.mac !== undefined && holder.mac.toLowerCase() === vm.mac.toLowerCase()) return undefined;
  const who = [holder.name, holder.mac].filter((x) => x !== undefined).join(' ') || 'an unknown host';
  return { address: holder.address, holder: who, via: family === 4 ? 'arp-probe' : 'dad' };
}
