import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vmmiCli } from '../../test/helpers/vmmi-cli.js';
import { checkMoveNames } from './move-args.js';

const TB = { vms: [{ name: 'vm1' }, { name: 'vm2' }], hypervisors: [{ name: 'hv1' }, { name: 'hv2' }] };

test('a move naming a VM or hypervisor the testbed lacks is a usage error listing the valid names', () => {
  expect(() => checkMoveNames(TB, { vm: 'vm1', to: 'hv2' }, 'lab.yaml')).not.toThrow();
  expect(() => checkMoveNames(TB, { vm: 'vm1', to: 'hv2', from: 'hv1' }, 'lab.yaml')).not.toThrow();
  expect(() => checkMoveNames(TB, { vm: 'vm9', to: 'hv2' }, 'lab.yaml'))
    .toThrow('unknown VM "vm9" in lab.yaml; VMs: vm1, vm2');
  expect(() => checkMoveNames(TB, { vm: 'vm1', to: 'hv9' }, 'lab.yaml'))
    .toThrow('--to: unknown hypervisor "hv9" in lab.yaml; hypervisors: hv1, hv2');
  expect(() => checkMoveNames(TB, { vm: 'vm1', to: 'hv2', from: 'hv7' }, 'lab.yaml'))
    .toThrow('--from: unknown hypervisor "hv7"');
});

test('migrate and plan refuse an unknown VM or host with exit 2 before connecting to anything', async () => {
  // testbeds/local.yaml names the lab's hypervisors; whether the lab is up or not, no connection is tried.
  const vm = await vmmiCli(['migrate', 'nosuchvm', '--to', 'hv2']);
  expect(vm.code, vm.stderr).toBe(2);
  expect(vm.stderr).toContain('unknown VM "nosuchvm" in testbeds/local.yaml; VMs: vm1');
  expect(vm.stderr).not.toContain('connect');
  const host = await vmmiCli(['plan', 'vm1', '--to', 'hv9']);
  expect(host.code, host.stderr).toBe(2);
  expect(host.stderr).toContain('--to: unknown hypervisor "hv9" in testbeds/local.yaml; hypervisors: hv1, hv2, hv3');
});

test('recover with no open run journal says so without connecting (text and --json)', async () => {
  const state = await mkdtemp(join(tmpdir(), 'vmmi-recover-'));
  try {
    const env = { VMMI_STATE_DIR: state };
    const text = await vmmiCli(['recover'], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`vmmi recover: nothing to recover (no open run journal in ${join(state, 'journal')})`);
    const json = await vmmiCli(['recover', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ testbed: 'testbeds/local.yaml', runs: [] });
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});
