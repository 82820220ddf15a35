import { connect } from 'node:net';
import { expect, test } from '@playwright/test';
import { connectLibvirt } from './client.js';
import { FakeLibvirtd } from '../../../test/fakes/libvirtd.js';
import { Proc } from './protocol.js';
import { type SshExecOpener, defaultTlsFiles, dialLibvirt } from './socket.js';
import { parseLibvirtUri } from './uri.js';

test('ssh transport: the exec channel runs the helper command and carries the RPC stream', async () => {
  const fake = await FakeLibvirtd.start();
  const requests: Array<Parameters<SshExecOpener>[0]> = [];
  const open: SshExecOpener = async (req) => {
    requests.push(req);
    return connect({ path: fake.socketPath }); // stands in for the channel's stdio
  };
  try {
    const c = await connectLibvirt('qemu+ssh://root@198.18.10.11:2222/system', {
      openSshExecStream: open,
      keepaliveIntervalMs: 0,
    });
    expect(await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined)).toBe(9_000_000n);
    await c.close();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ host: '198.18.10.11', port: 2222, user: 'root' });
    expect(requests[0]?.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(requests[0]?.argv[2]).toContain("virt-ssh-helper qemu:///system");
    const opened = fake.conns[0]?.received.find((m) => m.header.proc === Proc.CONNECT_OPEN.num);
    expect(Buffer.from(opened?.payload ?? []).toString('latin1')).toContain('qemu:///system');
  } finally {
    await fake.stop();
  }
});

test('ssh transport without credentials is a UsageError naming what is missing', async () => {
  const err = await dialLibvirt(parseLibvirtUri('qemu+ssh://root@198.18.10.11/system')).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'USAGE' });
  expect(String(err)).toContain('credentials');
});

test('tls: missing PKI files are a ConnectionError naming the file and the pkipath param', async () => {
  const err = await dialLibvirt(parseLibvirtUri('qemu+tls://127.0.0.1:1/system?pkipath=/nonexistent/pki')).catch(
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'CONNECTION' });
  expect(String(err)).toContain('/nonexistent/pki/cacert.pem');
  expect(String(err)).toContain('pkipath');
});

test('tls: libvirt PKI layout for root, per-user layout otherwise, pkipath overrides both', () => {
  const u = parseLibvirtUri('qemu+tls://h/system');
  expect(defaultTlsFiles(u, '/root', 0)).toEqual({
    caFile: '/etc/pki/CA/cacert.pem',
    certFile: '/etc/pki/libvirt/clientcert.pem',
    keyFile: '/etc/pki/libvirt/private/clientkey.pem',
  });
  expect(defaultTlsFiles(u, '/home/lab', 1000).certFile).toBe('/home/lab/.pki/libvirt/clientcert.pem');
  expect(defaultTlsFiles(parseLibvirtUri('qemu+tls://h/system?pkipath=/p'), '/root', 0).keyFile).toBe(
    '/p/clientkey.pem',
  );
});

test('tcp refused and ext transport are typed', async () => {
  await expect(dialLibvirt(parseLibvirtUri('qemu+tcp://127.0.0.1:1/system'), { timeoutMs: 2_000 }))
    .rejects.toMatchObject({ code: 'CONNECTION' });
  await expect(dialLibvirt(parseLibvirtUri('qemu+ext:///system?command=/bin/x'))).rejects.toMatchObject({
    code: 'UNSUPPORTED',
  });
});
