import { expect, test } from '@playwright/test';
import { HYPERVISOR_DRIVER_KINDS } from '../../model/testbed.js';
import { hypervisorDrivers, openHypervisorDriver } from './registry.js';

test('every hypervisor driver kind of the model has a factory, and nothing else', () => {
  expect(Object.keys(hypervisorDrivers).sort()).toEqual([...HYPERVISOR_DRIVER_KINDS].sort());
});

test('an unknown kind is an UnknownKindError listing the supported kinds', () => {
  let err: unknown;
  try {
    void openHypervisorDriver('xen-api', { name: 'hv9', uri: 'qemu:///system' });
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ code: 'UNKNOWN_KIND', supported: ['libvirt-rpc', 'virsh'] });
  expect(String(err)).toContain('unknown hypervisor driver kind "xen-api"; supported: libvirt-rpc, virsh');
});

test('the virsh kind opens without contacting anything (calls are per command)', async () => {
  const d = await openHypervisorDriver('virsh', { name: 'hv1', uri: 'qemu+tcp://198.18.10.11/system' });
  expect(d.host).toBe('hv1');
  await d.close();
});
