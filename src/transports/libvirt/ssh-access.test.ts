import { expect, test } from '@playwright/test';
import { Secret } from '../../model/secret.js';
import { resolveSshAccess } from './ssh-access.js';
import { parseLibvirtUri } from './uri.js';

const given = {
  credentials: { username: 'root', privateKey: new Secret('${env:KEY}', 'key-material') },
  hostKey: { kind: 'fingerprint', sha256: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU' },
} as const;

test('a libvirt URI with a password in its user part is refused without quoting the password', async () => {
  const u = parseLibvirtUri('qemu+ssh://root:Hunter2pw@198.18.0.9/system');
  const e = await resolveSshAccess(u, given, { device: 'h' }).then(() => undefined, (err: unknown) => err as Error);
  expect(e?.message).toContain('a password is written in the libvirt URI (user:password@host)');
  expect(e?.message).toContain('${env:NAME}');
  expect(e?.message).not.toContain('Hunter2pw');
  const ok = await resolveSshAccess(parseLibvirtUri('qemu+ssh://root@198.18.0.9/system'), given, {});
  expect(ok.credentials.username).toBe('root');
});
