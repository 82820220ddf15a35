import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test, expect } from '@playwright/test';
import { loadTestbed } from '../inventory/load.js';
import { configPath, mgmtSshdConfig } from './mgmt-sshd.js';
import { cliSshdConfig } from './switches.js';
import { planLab, type LabPlan, type MgmtHostPlan, type SwitchPlan } from './topology.js';

const run = promisify(execFile);
const LOCAL = new URL('../../testbeds/local.yaml', import.meta.url).pathname;

let dir = '';
let plan: LabPlan;
let torA: SwitchPlan;
let hv1: MgmtHostPlan;

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmmi-sshd-'));
  plan = planLab(await loadTestbed(LOCAL, { labPrefix: 'vmmiu', labDir: dir, env: {} }), { assetsDir: '/a' });
  const sw = plan.switches.find((s) => s.name === 'torA');
  const hv = plan.mgmtHosts.find((h) => h.node === 'hv1');
  if (sw === undefined || hv === undefined) throw new Error('torA or hv1 missing from the plan');
  [torA, hv1] = [sw, hv];
});

test.afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (cfg: string): string[] => cfg.split('\n');

test('management sshd: on the management address only, root by key only, sessions run the login shell', () => {
  const cfg = lines(mgmtSshdConfig(hv1, `${dir}/keys`, `${dir}/mgmt/hv1`));
  expect(cfg).toEqual(expect.arrayContaining(['Port 22', 'ListenAddress 198.19.0.26',
    `HostKey ${dir}/keys/host_ed25519`, `AuthorizedKeysFile ${dir}/keys/authorized_keys`, 'AllowUsers root',
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'DisableForwarding yes', `PidFile ${dir}/mgmt/hv1/sshd.pid`]));
  expect(cfg.filter((l) => /^(ForceCommand|Subsystem|StrictModes no|ListenAddress 0)/.test(l))).toEqual([]);
});

test('paths that would change an sshd configuration or a shell command are refused', () => {
  for (const bad of ['/var/lib/my lab', "/tmp/it's", '/tmp/a"b', '/tmp/x\ny', 'relative/dir', '/tmp/$(id)']) {
    expect(() => configPath(bad), bad).toThrow(/not usable in an sshd configuration/);
  }
  expect(configPath('/var/lib/vmmi/lab/vmmit')).toBe('/var/lib/vmmi/lab/vmmit');
});

/** The switch CLI sshd's forced command, run as sshd runs it: by the user's shell, the client's command in env. */
async function forced(original: string | undefined, vtysh = '/usr/bin/vtysh'): Promise<string> {
  const line = lines(cliSshdConfig(plan, torA, 22)).find((l) => l.startsWith('ForceCommand ')) ?? '';
  const cmd = line.slice('ForceCommand '.length).replace('/usr/bin/vtysh', vtysh);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', SHELL: '/bin/sh',
    ...(original === undefined ? {} : { SSH_ORIGINAL_COMMAND: original }) };
  return (await run('/bin/sh', ['-c', cmd], { env, timeout: 10_000 })).stdout;
}

test('switch CLI: an exec session runs its command in the shell, unchanged (quoting included)', async () => {
  expect(await forced(`printf '%s|' "a b" 'c d' "$((6 * 7))"`)).toBe('a b|c d|42|');
  expect(await forced('echo one; echo two >&1')).toBe('one\ntwo\n');
});

test('switch CLI: a login without a command starts vtysh against this router\'s FRR', async () => {
  expect(await forced(undefined, '/bin/echo')).toBe(`--vty_socket ${dir}/frr/torA\n`);
  expect(await forced('', '/bin/echo')).toBe(`--vty_socket ${dir}/frr/torA\n`);
});

test('OpenSSH accepts both configurations (sshd -t)', async () => {
  test.skip(!existsSync('/usr/sbin/sshd') || process.getuid?.() !== 0, 'needs OpenSSH\'s sshd and root');
  const keys = join(dir, 'keys');
  await run('mkdir', ['-p', keys, join(dir, 'mgmt', 'hv1'), join(dir, 'sw', 'torA'), '/run/sshd']);
  for (const [t, f] of [['ed25519', 'host_ed25519'], ['rsa', 'host_rsa']]) {
    await run('ssh-keygen', ['-q', '-t', t as string, '-N', '', '-f', join(keys, f as string)], { timeout: 30_000 });
  }
  await writeFile(join(keys, 'authorized_keys'), '');
  const mgmt = join(dir, 'mgmt', 'hv1', 'sshd_config');
  const cli = join(dir, 'sw', 'torA', 'cli-sshd_config');
  await writeFile(mgmt, mgmtSshdConfig(hv1, keys, join(dir, 'mgmt', 'hv1')));
  await writeFile(cli, cliSshdConfig(plan, torA, 22));
  for (const f of [mgmt, cli]) {
    const r = await run('/usr/sbin/sshd', ['-t', '-f', f], { timeout: 10_000 }).catch((e: { stderr?: string }) => e);
    expect('stderr' in r ? r.stderr : '', f).toBe('');
  }
});
