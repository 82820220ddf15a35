/**
 * One loopback netconfd + sshd per spec file (ports 18400-18499), keys in a temp dir, and helpers
 * to open verified NETCONF sessions to it. Everything is removed in `stop()`.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NetconfClient,
  Secret,
  generateLabKeys,
  startNetconfSwitch,
  writeKnownHosts,
  type LabKeys,
  type NetconfSwitch,
  type NetconfUser,
  type Switch,
} from './netconf-imports.js';

export interface NetconfLab {
  readonly port: number;
  readonly dir: string;
  readonly keys: LabKeys;
  readonly knownHosts: string;
  readonly sw: NetconfSwitch;
  /** Resolved-testbed view of the switch (for the driver registry). */
  readonly switchModel: Switch;
  /** A verified session, as root (the superuser) unless `username` names the lab's NETCONF user. */
  connect(o?: { rpcTimeoutMs?: number; username?: string }): Promise<NetconfClient>;
  stop(): Promise<void>;
}

export async function startNetconfLab(port: number, name = `sw${port}`, target: 'candidate' | 'running' = 'candidate',
  extra: { nacmUser?: NetconfUser } = {}): Promise<NetconfLab> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-nc-'));
  try {
    // The NETCONF user's subsystem must pass through to the switch's socket (the switch's own mode decides).
    if (extra.nacmUser !== undefined) await chmod(dir, 0o711);
    const keys = await generateLabKeys(join(dir, 'keys'), { rsaBits: 2048 });
    const sw = await startNetconfSwitch({
      dir: join(dir, name),
      name,
      listenAddr: '127.0.0.1',
      port,
      hostKeyDir: keys.dir,
      authorizedKeysFile: keys.authorizedKeys,
      timeoutMs: 10_000,
      logLevel: 'warn',
      target,
      ...(extra.nacmUser === undefined ? {} : { nacmUser: extra.nacmUser }),
    });
    const knownHosts = join(dir, 'known_hosts');
    await writeKnownHosts(knownHosts, [{ host: '127.0.0.1', port, publicKeys: keys.hostPublicKeys }]);
    const privateKey = new Secret(`\${file:${keys.clientEd25519}}`, await readFile(keys.clientEd25519, 'utf8'));
    const switchModel: Switch = {
      name, site: 'lab', role: 'tor', kind: 'netconf-ietf', address: '127.0.0.1', port,
      credentials: { username: 'root', privateKey }, hostKey: { kind: 'known-hosts', file: knownHosts },
    };
    return {
      port, dir, keys, knownHosts, sw, switchModel,
      connect: (o = {}) => NetconfClient.connect({ name, host: '127.0.0.1', port,
        credentials: { ...switchModel.credentials, username: o.username ?? 'root' },
        hostKey: switchModel.hostKey }, { rpcTimeoutMs: o.rpcTimeoutMs ?? 10_000, helloTimeoutMs: 10_000 }),
      stop: async () => {
        await sw.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
