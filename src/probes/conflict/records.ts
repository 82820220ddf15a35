/**
 * The testbed's own address records as a conflict source (pure): which VM, hypervisor, switch port,
 * gateway or traffic host the inventory says holds an address, and whose MAC a reply came from.
 */
import type { Testbed } from '../../model/testbed.js';
import { sameIp } from './parse.js';

export interface RecordHolder {
  readonly name: string;
  readonly kind: 'vm' | 'hypervisor' | 'switch-port' | 'gateway' | 'traffic-host';
  readonly mac?: string;
}

/** Every record claiming `address`, except the VM `excludeVm` (the one being moved). */
export function recordHolders(tb: Testbed, address: string, excludeVm?: string): RecordHolder[] {
  const out: RecordHolder[] = [];
  const is = (a: string | undefined): boolean => a !== undefined && sameIp(a, address);
  for (const vm of tb.vms) {
    if (vm.name !== excludeVm && (is(vm.ipv4) || is(vm.ipv6)))
      out.push({ name: vm.name, kind: 'vm', mac: vm.mac.toLowerCase() });
  }
  for (const h of tb.hypervisors) if (is(h.address)) out.push({ name: h.name, kind: 'hypervisor' });
  for (const l of tb.links) {
    for (const e of l.endpoints)
      if (is(e.ipv4) || is(e.ipv6)) out.push({ name: `${e.device}:${e.port}`, kind: 'switch-port' });
  }
  for (const s of tb.subnets) {
    if (is(s.ipv4?.gateway) || is(s.ipv6?.gateway)) out.push({ name: `gateway of ${s.name}`, kind: 'gateway' });
  }
  for (const t of tb.trafficHosts) {
    if (is(t.ipv4) || is(t.ipv6) || is(t.address)) out.push({ name: t.name, kind: 'traffic-host' });
  }
  return out;
}

/** Name of the VM owning `mac` per the testbed. */
export function vmByMac(tb: Testbed, mac: string): string | undefined {
  return tb.vms.find((v) => v.mac.toLowerCase() === mac.toLowerCase())?.name;
}
