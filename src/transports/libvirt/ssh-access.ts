/**
 * SSH credentials and host-key policy for `qemu+ssh://` URIs: from the testbed when given, with the
 * URI's `keyfile`, `known_hosts` and `known_hosts_verify` params filling what is missing, so a
 * plain libvirt URI works as it does with virsh.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors/classes.js';
import type { VmmiErrorOptions } from '../../errors/vmmi-error.js';
import type { Credentials, HostKeyPolicy } from '../../model/testbed.js';
import { Secret } from '../../model/secret.js';
import type { ParsedLibvirtUri } from './uri.js';

/** What an ssh transport needs besides the URI (credentials and host-key policy come from the testbed). */
export interface SshAccess {
  readonly credentials: Credentials;
  readonly hostKey: HostKeyPolicy;
}

export async function resolveSshAccess(
  u: ParsedLibvirtUri,
  given: SshAccess | undefined,
  ctx: VmmiErrorOptions,
): Promise<SshAccess> {
  const hint = 'give the hypervisor `credentials` and `hostKey` in the testbed, or ?keyfile=…&known_hosts=… in the URI';
  if (u.user?.includes(':') === true) {
    throw new UsageError('a password is written in the libvirt URI (user:password@host); it is refused', {
      ...ctx, hint: 'remove it from the URI and give it by reference in the testbed credentials (${env:NAME} or ${file:path})',
    });
  }
  let credentials = given?.credentials;
  const username = u.user ?? credentials?.username;
  if (username === undefined)
    throw new UsageError('the ssh transport needs a user name (user@host or testbed credentials)', { ...ctx, hint });
  credentials = { ...credentials, username };
  if (credentials.privateKey === undefined && credentials.password === undefined && u.keyFile !== undefined) {
    let key: string;
    try {
      key = await readFile(u.keyFile, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ssh keyfile ${u.keyFile}: ${(e as Error).message}`, { ...ctx, cause: e, hint });
    }
    credentials = { ...credentials, privateKey: new Secret(`\${file:${u.keyFile}}`, key) };
  }
  if (credentials.privateKey === undefined && credentials.password === undefined) {
    throw new UsageError('the ssh transport needs a private key or password', { ...ctx, hint });
  }
  const verify = u.params['known_hosts_verify'];
  const knownHosts = u.params['known_hosts'];
  const hostKey: HostKeyPolicy | undefined =
    given?.hostKey ??
    (verify === 'ignore'
      ? { kind: 'insecure-accept-any-host-key' }
      : knownHosts !== undefined
        ? { kind: 'known-hosts', file: knownHosts }
        : undefined);
  if (hostKey === undefined) throw new UsageError('the ssh transport needs a host-key policy', { ...ctx, hint });
  return { credentials, hostKey };
}
