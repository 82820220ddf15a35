/**
 * Where and as whom each of a switch's management interfaces is reached. A switch may give its CLI an
 * account of its own (`cli.credentials`): an operator's NETCONF account is often not the one that may
 * run shell commands. Pure: the transports take these as their targets.
 */
import type { Credentials, HostKeyPolicy, Switch } from './testbed.js';

export interface SwitchEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly credentials: Credentials;
  readonly hostKey: HostKeyPolicy;
}

/** The NETCONF (or main protocol) session: `port` and `credentials`. */
export function netconfEndpoint(sw: Switch): SwitchEndpoint {
  return { name: sw.name, host: sw.address, port: sw.port, credentials: sw.credentials, hostKey: sw.hostKey };
}

/** The CLI / SSH exec session: the CLI's port and account when the testbed names them, else the switch's. */
export function cliEndpoint(sw: Switch): SwitchEndpoint {
  return { name: sw.name, host: sw.address, port: sw.cli?.port ?? sw.port,
    credentials: sw.cli?.credentials ?? sw.credentials, hostKey: sw.hostKey };
}
