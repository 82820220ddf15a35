/**
 * Explicit, typed switch-driver registry: one factory per SWITCH_DRIVER_KINDS entry (the compiler
 * rejects a missing kind). `openSwitchDriver` connects to a resolved `Switch` and returns its driver.
 */
import { UnknownKindError, UsageError } from '../../errors/classes.js';
import { SWITCH_DRIVER_KINDS, type Switch, type SwitchDriverKind } from '../../model/testbed.js';
import { cliEndpoint, netconfEndpoint } from '../../model/switch-access.js';
import { CLI_PLATFORMS } from '../../platforms/cli-platforms.js';
import { NETCONF_PROFILES, type NetconfProfileName } from '../../platforms/netconf-profiles.js';
import { CliSession } from '../../transports/cli-session.js';
import { NetconfClient } from '../../transports/netconf/client.js';
import { sshConnect, type SshPool } from '../../transports/ssh.js';
import type { IoOptions } from '../../util/abort.js';
import { createEosDriver } from './eos.js';
import { createFrrSshDriver } from './frr-ssh.js';
import { junosNetconf } from './junos-netconf.js';
import { createNetconfDriver, type NetconfDriverOptions } from './netconf-driver.js';
import { netconfIetf } from './netconf-ietf.js';
import { openconfigNetconf } from './openconfig-netconf.js';
import type { SwitchDriver } from './types.js';

export interface OpenDriverOptions extends IoOptions {
  /** Shared SSH pool (CLI drivers reuse one connection per device). */
  readonly pool?: SshPool;
  readonly confirmTimeoutS?: number;
  readonly onTransaction?: NetconfDriverOptions['onTransaction'];
}

type Factory = (sw: Switch, o: OpenDriverOptions) => Promise<SwitchDriver>;


function netconf(profile: NetconfProfileName, dialect: Parameters<typeof createNetconfDriver>[1]): Factory {
  return async (sw, o) => {
    const client = await NetconfClient.connect(netconfEndpoint(sw), { ...o, profile: NETCONF_PROFILES[profile] });
    return createNetconfDriver(client, dialect, driverOpts(sw, o));
  };
}

function driverOpts(sw: Switch, o: OpenDriverOptions): NetconfDriverOptions {
  return {
    device: sw.name,
    ...(o.confirmTimeoutS !== undefined ? { confirmTimeoutS: o.confirmTimeoutS } : {}),
    ...(o.onTransaction !== undefined ? { onTransaction: o.onTransaction } : {}),
  };
}

const FACTORIES: Readonly<Record<SwitchDriverKind, Factory>> = {
  'netconf-ietf': netconf('generic', netconfIetf),
  'openconfig-netconf': netconf('generic', openconfigNetconf),
  'junos-netconf': netconf('junos', junosNetconf),
  eos: async (sw, o) => {
    const client = await NetconfClient.connect(netconfEndpoint(sw), { ...o, profile: NETCONF_PROFILES.eos });
    if (sw.cli === undefined) return createEosDriver(client, driverOpts(sw, o));
    const conn = await (o.pool?.get(cliEndpoint(sw), o) ?? sshConnect(cliEndpoint(sw), o));
    const cli = await CliSession.open(conn, CLI_PLATFORMS.eos, { ...o, device: sw.name });
    return createEosDriver(client, { ...driverOpts(sw, o), cli });
  },
  'frr-ssh': async (sw, o) => {
    const conn = await (o.pool?.get(cliEndpoint(sw), o) ?? sshConnect(cliEndpoint(sw), o));
    // A Linux NOS with FRR (platform frr-vtysh or linux): exec sessions run a Linux shell (iproute2 for
    // neighbours, MAC table, bridge ports, VXLAN), the interactive login reaches vtysh.
    return createFrrSshDriver(conn, { device: sw.name });
  },
};

/** Supported switch driver kinds. */
export function switchDriverKinds(): readonly SwitchDriverKind[] {
  return SWITCH_DRIVER_KINDS;
}

/** Connects to `sw` with the driver its `kind` names. Unknown kind → UnknownKindError listing kinds. */
export async function openSwitchDriver(sw: Switch, o: OpenDriverOptions = {}): Promise<SwitchDriver> {
  const f = (FACTORIES as Readonly<Record<string, Factory | undefined>>)[sw.kind];
  if (f === undefined)
    throw new UnknownKindError('switch driver kind', sw.kind, SWITCH_DRIVER_KINDS, { device: sw.name });
  if (sw.address === '') throw new UsageError('switch has no address', { device: sw.name, operation: 'open driver' });
  return f(sw, o);
}
