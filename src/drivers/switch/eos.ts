/**
 * `eos`: Arista EOS. Host routes, access ports, ARP/ND and MAC tables through OpenConfig over
 * NETCONF (same payloads as openconfig-netconf); static VXLAN through the CLI in a configuration
 * session with `commit timer` (EOS's confirmed commit), because the VXLAN OpenConfig paths vary by
 * release. Payloads and commands follow Arista documentation and are pinned by golden files; NOT YET
 * EXERCISED AGAINST HARDWARE.
 */
import { CommandError, ConfigRejectedError, UnsupportedError } from '../../errors/classes.js';
import { EOS_SHOW_VERSION } from '../../platforms/show-version.js';
import type { CliSession } from '../../transports/cli-session.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import type { IoOptions } from '../../util/abort.js';
import {
  createNetconfDriver,
  instanceVerifier,
  type ChangeOp,
  type NetconfDialect,
  type NetconfDriverOptions,
  type NetconfSwitchDriver,
} from './netconf-driver.js';
import {
  eosL2StretchChecks, eosL2StretchCommands, eosL3VpnChecks, eosL3VpnCommands, eosL3VpnOc, type EosCheck,
} from './dci-eos.js';
import { checkL2Stretch, checkL3Vpn } from './dci-intent.js';
import { ocInstanceFilter } from './dci-openconfig.js';
import { ocHostRoute, openconfigNetconf } from './openconfig-netconf.js';
import type { ConfigChange } from './transaction.js';
import type { HostRoute, TunnelEndpoint } from './types.js';
import { showVersionFacts } from './version-parse.js';

/**
 * OpenConfig static host route as EOS takes it: Arista's published deviations mark the static
 * route's `config/description` not-supported, so it is left out (validated against them, see
 * docs/vendor-models.md).
 */
export function eosHostRoute(r: HostRoute, op: ChangeOp): ConfigChange {
  const { description: _unsupported, ...route } = r;
  return ocHostRoute(route, op);
}

/**
 * EOS's OpenConfig without the OpenConfig DCI payloads: Arista marks `evpn`, `encapsulation` and the
 * inter-instance import/export policy not-supported; createEosDriver adds the DCI intents over the CLI.
 */
const { l2Stretch: _evpn, configuredL2Stretches: _vtep, l3Vpn: _l3vrf, ...ocWithoutDci } = openconfigNetconf;
export const eosDialect: NetconfDialect = { ...ocWithoutDci, kind: 'eos', hostRoute: eosHostRoute };

function hms(s: number): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

/** Commands (inside `interface Vxlan1`) for a static VXLAN VNI with head-end replication. */
export function eosTunnelCommands(t: TunnelEndpoint, op: ChangeOp): string[] {
  const vlan = t.vlan;
  if (vlan === undefined) throw new TypeError(`EOS VXLAN for VNI ${t.vni} needs a vlan`);
  if (!Number.isInteger(t.vni) || t.vni < 1 || t.vni > 16777215) throw new TypeError(`bad VNI ${t.vni}`);
  const flood = t.remotes.length > 0 ? [`vxlan vlan ${vlan} flood vtep ${t.remotes.join(' ')}`] : [];
  if (op === 'remove')
    return ['interface Vxlan1', ...flood.map((c) => `no ${c}`), `no vxlan vlan ${vlan} vni ${t.vni}`];
  return ['interface Vxlan1', 'vxlan source-interface Loopback0', `vxlan udp-port ${t.udpPort ?? 4789}`,
    `vxlan vlan ${vlan} vni ${t.vni}`, ...flood];
}

/** Full CLI sequence: config session, commands, commit timer (device reverts unless confirmed). */
export function eosSessionCommands(session: string, commands: readonly string[], timerS: number): string[] {
  if (!/^[\w-]+$/.test(session)) throw new TypeError(`bad session name "${session}"`);
  return [`configure session ${session}`, ...commands, 'exit', `commit timer ${hms(timerS)}`];
}

export interface EosDriverOptions extends NetconfDriverOptions {
  /** Open CLI session (platform `eos`) for the VXLAN part; without it configureTunnel is absent. */
  readonly cli?: CliSession;
}

/**
 * OpenConfig/NETCONF driver plus, when a CLI session is given, CLI-session VXLAN and the version
 * from `show version` (model, EOS image, kernel on newer releases: more than EOS's OpenConfig
 * state says). Without a CLI session the version comes from NETCONF (OpenConfig, then the hello).
 */
export function createEosDriver(client: NetconfClient, opts: EosDriverOptions): NetconfSwitchDriver {
  const d = createNetconfDriver(client, eosDialect, opts);
  const cli = opts.cli;
  if (cli === undefined) return d;
  const timer = opts.confirmTimeoutS ?? 120;
  const run = async (t: TunnelEndpoint, op: ChangeOp, o: IoOptions): Promise<void> => {
    const name = `vmmi-${t.vni}-${Date.now().toString(36)}`;
    const res = await cli.sendAll(eosSessionCommands(name, eosTunnelCommands(t, op), timer), o);
    const bad = res.find((r) => r.failed);
    if (bad !== undefined) {
      await cli.send(`configure session ${name} abort`, o).catch(() => undefined);
      throw new ConfigRejectedError(`"${bad.command}": ${bad.failure ?? bad.output}`, {
        device: opts.device,
        operation: 'vxlan',
      });
    }
    const show = await cli.send('show interfaces Vxlan1', o);
    const present = show.output.includes(String(t.vni));
    if (present !== (op === 'add')) {
      await cli.send(`configure session ${name} abort`, o).catch(() => undefined);
      throw new ConfigRejectedError(`VNI ${t.vni} ${op === 'add' ? 'missing' : 'still present'} after commit timer`,
        { device: opts.device, operation: 'vxlan verify', hint: 'the commit timer reverts the change if vmmi stops' });
    }
    const ok = await cli.send(`configure session ${name} commit`, o);
    if (ok.failed)
      throw new ConfigRejectedError(`confirming commit failed: ${ok.output}`, {
        device: opts.device,
        operation: 'vxlan',
      });
  };
  d.readVersion = async (o = {}) => {
    const r = await cli.send(EOS_SHOW_VERSION.command, o);
    if (r.failed) {
      throw new CommandError(`"${r.command}": ${r.failure ?? r.output}`, [r.command], undefined, r.output, {
        device: opts.device, operation: 'read version',
      });
    }
    return { source: `cli ${EOS_SHOW_VERSION.command}`, ...showVersionFacts(r.output, EOS_SHOW_VERSION, opts.device) };
  };
  d.configureTunnel = (t, o = {}) => run(t, 'add', o);
  d.removeTunnel = (t, o = {}) => run(t, 'remove', o);
  addEosDci(d, cli, opts.device, timer);
  return d;
}

/**
 * One CLI change in a configuration session under the commit timer: read back with `checks` (each
 * pattern must match when `present`, none when not), then the confirming commit; any failure aborts
 * the session (and the timer reverts a committed one if vmmi stops).
 */
async function cliChange(cli: CliSession, device: string, label: string, commands: readonly string[],
  checks: readonly EosCheck[], present: boolean, timerS: number, o: IoOptions): Promise<void> {
  const name = `vmmi-${label}-${Date.now().toString(36)}`;
  const abort = (): Promise<unknown> => cli.send(`configure session ${name} abort`, o).catch(() => undefined);
  const bad = (await cli.sendAll(eosSessionCommands(name, commands, timerS), o)).find((r) => r.failed);
  if (bad !== undefined) {
    await abort();
    throw new ConfigRejectedError(`"${bad.command}": ${bad.failure ?? bad.output}`, { device, operation: label });
  }
  for (const c of checks) {
    const out = (await cli.send(c.command, o)).output;
    if (c.pattern.test(out) !== present) {
      await abort();
      throw new ConfigRejectedError(`${c.pattern.source} ${present ? 'missing from' : 'still in'} "${c.command}"`,
        { device, operation: `${label} verify`, hint: 'the commit timer reverts the change if vmmi stops' });
    }
  }
  const ok = await cli.send(`configure session ${name} commit`, o);
  if (ok.failed) throw new ConfigRejectedError(`confirming commit failed: ${ok.output}`, { device, operation: label });
}

/**
 * L2 stretch (CLI) and L3VPN (OpenConfig L3VRF over NETCONF, then route targets on the CLI; removal
 * in reverse order). An L3VPN whose CLI part fails has its OpenConfig part taken back.
 */
function addEosDci(d: NetconfSwitchDriver, cli: CliSession, device: string, timerS: number): void {
  d.applyL2Stretch = async (s, o = {}) => {
    checkL2Stretch(s, device);
    await cliChange(cli, device, `l2-${s.vni}`, eosL2StretchCommands(s, 'add'), eosL2StretchChecks(s), true,
      timerS, o);
  };
  d.removeL2Stretch = async (s, o = {}) => {
    checkL2Stretch(s, device);
    await cliChange(cli, device, `l2-${s.vni}`, eosL2StretchCommands(s, 'remove'), eosL2StretchChecks(s), false,
      timerS, o);
  };
  d.applyL3Vpn = async (v, o = {}) => {
    checkL3Vpn(v, device);
    const commands = eosL3VpnCommands(v, 'add');
    await d.apply([eosL3VpnOc(v, 'add')], { ...o, verify: instanceVerifier(ocInstanceFilter, v.name, true) });
    try {
      await cliChange(cli, device, `l3-${v.name}`, commands, eosL3VpnChecks(v), true, timerS, o);
    } catch (err) {
      await d.apply([eosL3VpnOc(v, 'remove')], o).catch(() => undefined);
      throw err;
    }
  };
  d.removeL3Vpn = async (v, o = {}) => {
    checkL3Vpn(v, device);
    await cliChange(cli, device, `l3-${v.name}`, eosL3VpnCommands(v, 'remove'), eosL3VpnChecks(v), false, timerS, o);
    await d.apply([eosL3VpnOc(v, 'remove')], { ...o, verify: instanceVerifier(ocInstanceFilter, v.name, false) });
  };
}

export function eosRequiresCli(device: string): never {
  throw new UnsupportedError('EOS VXLAN needs CLI access (testbed `cli` block)', {
    device,
    operation: 'configureTunnel',
  });
}
