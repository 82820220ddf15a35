/**
 * Least privilege on an emulated switch's NETCONF: a NETCONF user other than root, under NACM
 * (RFC 8341) enforced by netconfd. The user runs vmmi's whole driver path (lock, edit, validate,
 * confirmed commit, read back) on the modules it needs, and is refused everything else: writing other
 * modules, reading or changing the access rules, kill-session, delete-config. Its SSH login reaches the
 * NETCONF subsystem and nothing else. Root stays the superuser.
 */
import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import {
  NS_IANAIFT,
  NS_IF,
  NACM_GROUP,
  e,
  el,
  ensureNetconfUser,
  hasHostRoutes,
  openSwitchDriver,
  runLocal,
} from './netconf-imports.js';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';

test.skip(process.getuid?.() !== 0, 'netconfd, sshd and a system user need root');
const USER = 'vmmi-netconf';
let lab: NetconfLab;

test.beforeAll(async () => {
  lab = await startNetconfLab(18484, 'swnacm', 'candidate', { nacmUser: await ensureNetconfUser(USER) });
});
test.afterAll(async () => {
  await lab?.stop();
});

/** The error an RPC ends with (its tag), or `ok`. */
async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(() => 'ok', (x: { tag?: string; message?: string }) => x.tag ?? String(x.message));
}

test('the NETCONF user runs vmmi\'s driver path on the modules it is granted', async () => {
  const sw = { ...lab.switchModel, credentials: { ...lab.switchModel.credentials, username: USER } };
  const d = await openSwitchDriver(sw);
  try {
    if (!hasHostRoutes(d)) throw new Error('netconf-ietf must support host routes');
    await d.addHostRoute({ prefix: '198.19.250.7/32', nextHop: '198.19.250.1' });
    expect(await d.readRunningConfig()).toContain('198.19.250.7/32');
    await d.removeHostRoute({ prefix: '198.19.250.7/32', nextHop: '198.19.250.1' });
    expect(await d.readRunningConfig()).not.toContain('198.19.250.7/32');
  } finally {
    await d.close();
  }
});

test('the NETCONF user is refused what it is not granted; root is not', async () => {
  const user = await lab.connect({ username: USER });
  const root = await lab.connect();
  const nacmEdit = el('nacm', { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm' }, e('write-default', 'permit'));
  const system = el('system', { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-system' }, e('contact', 'vmmi-nacm'));
  try {
    // The access rules are hidden from every non-superuser, and cannot be changed by one.
    expect((await user.getConfig()).xml()).not.toContain(NACM_GROUP);
    expect((await root.getConfig()).xml()).toContain(NACM_GROUP);
    expect(await outcome(user.editConfig(nacmEdit))).toBe('access-denied');
    // A module outside its grant (ietf-system), and the operations vmmi never sends.
    expect(await outcome(user.editConfig(system))).toBe('access-denied');
    expect(await outcome(user.killSession(root.sessionId))).toBe('access-denied');
    expect(await outcome(user.deleteConfig('startup'))).toBe('access-denied');
    expect(await outcome(user.copyConfig('startup', 'running'))).toBe('access-denied');
    // Granted: its own edits, then throwing them away.
    const iface = el('interfaces', { xmlns: NS_IF }, e('interface', e('name', 'swp-nacm'),
      el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd')));
    expect(await outcome(user.editConfig(iface))).toBe('ok');
    expect(await outcome(user.discardChanges())).toBe('ok');
    // The superuser is not bound by the rules.
    expect(await outcome(root.editConfig(system))).toBe('ok');
    expect(await outcome(root.discardChanges())).toBe('ok');
  } finally {
    await user.close();
    await root.close();
  }
});

test('the NETCONF user\'s SSH login runs the NETCONF subsystem, never a command it asks for', async () => {
  const end = ']]>]]>';
  const hello = '<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>' +
    `urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>${end}`;
  const close = `<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>${end}`;
  // Asks for `id -u`; stdin stays open until the first answer is complete (or 15 s), so whatever runs has
  // time to answer: a shell prints a number, the NETCONF subsystem its hello.
  const ssh = spawn('ssh', ['-i', `${lab.keys.dir}/client_ed25519`, '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10',
    '-p', String(lab.port), `${USER}@127.0.0.1`, 'id', '-u'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  ssh.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const answered = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 15_000);
    ssh.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!out.includes(end) && !/^\d+\s*$/m.test(out)) return;
      clearTimeout(t);
      resolve();
    });
    ssh.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
  ssh.stdin.write(hello);
  await answered;
  ssh.stdin.end(close);
  await new Promise((resolve) => (ssh.exitCode === null ? ssh.once('close', resolve) : resolve(undefined)));
  expect(out, `ssh stderr: ${err}`).toContain('urn:ietf:params:netconf:base:1.0');
  expect(out).not.toMatch(/^\d+\s*$/m);
});

test('the switch directory admits the NETCONF user\'s group only, without listing', async () => {
  const st = await runLocal(['stat', '-c', '%a %g', `${lab.dir}/swnacm`], { timeoutMs: 5_000 });
  const gid = (await ensureNetconfUser(USER)).gid;
  expect(st.stdout.trim()).toBe(`710 ${gid}`);
  const listed = await runLocal(['setpriv', `--reuid=${USER}`, `--regid=${gid}`, '--clear-groups', '--', 'ls',
    `${lab.dir}/swnacm`], { timeoutMs: 5_000 });
  expect(listed.failed).toBe(true);
});
