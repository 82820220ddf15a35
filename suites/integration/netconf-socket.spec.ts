/**
 * netconfd's own socket is root's: netconfd creates it 0666 and takes the user name its client writes in
 * the ncx-connect message at face value, so whoever reaches the socket can claim any NETCONF user,
 * root included. The switch directory holding it is 0700: another local user cannot connect, while
 * NETCONF over SSH (sshd → netconf-subsystem as the login user) still works.
 */
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { runLocal } from './libvirt-imports.js';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';

test.skip(process.getuid?.() !== 0, 'netconfd and sshd need root');
let lab: NetconfLab | undefined;

test.afterAll(async () => {
  await lab?.stop();
});

test('another local user cannot reach netconfd\'s socket; NETCONF over SSH still works', async () => {
  lab = await startNetconfLab(18470, 'swsock');
  // Open the parents to everyone, as a lab directory under /var/lib/vmmi is: only the switch's own mode may stop them.
  await chmod(lab.dir, 0o755);
  const swDir = join(lab.dir, 'swsock');
  expect((await stat(swDir)).mode & 0o777).toBe(0o700);
  const sock = join(swDir, 'ncxserver.sock');
  const tryConnect = (as: readonly string[]) => runLocal([...as, process.execPath, '-e',
    'const s=require("net").connect(process.argv[1]);s.on("connect",()=>{console.log("connected");s.destroy()});' +
    's.on("error",(e)=>{console.log(e.code);process.exitCode=1})', sock], { timeoutMs: 10_000 });
  const nobody = await tryConnect(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']);
  expect(nobody.stdout.trim()).toBe('EACCES');
  const root = await tryConnect([]);
  expect(root.stdout.trim()).toBe('connected');
  const client = await lab.connect();
  try {
    expect(client.sessionId).toBeGreaterThan(0);
    expect((await client.getConfig()).xml()).toContain('<nacm');
  } finally {
    await client.close();
  }
});
