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
  dciPlan,
  instanceVerifier,
  type ChangeOp,
  type NetconfDialect,
  type NetconfDriverOptions,
  type NetconfSwitchDriver,
} from './netconf-driver.js';
import {
  EOS_BGP_CONFIG, EOS_VXLAN_CONFIG, eosL2StretchChecks, eosL2StretchPlan, eosL3VpnChecks, eosL3VpnOcIntent,
  eosL3VpnPlan, parseEosDci, type EosCheck, type EosDciView,
} from './dci-eos.js';
import { checkL2Stretch, checkL3Vpn, dciMarker, dciRefusal } from './dci-intent.js';
import { ocInstanceFilter, ocL3VpnFilter, parseOcDci } from './dci-openconfig.js';
import { ocHostRoute, openconfigNetconf } from './openconfig-netconf.js';
import type { ConfigChange } from './transaction.js';
import type { HostRoute, L2Stretch, L3Vpn, TunnelEndpoint } from './types.js';
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
const { l2Stretch: _evpn, l3Vpn: _l3vrf, ...ocWithoutDci } = openconfigNetconf;
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

/** Reads Vxlan1 and `router bgp` from running (what the CLI decisions look at); a failed read throws. */
export async function readEosDci(cli: CliSession, device: string, o: IoOptions): Promise<EosDciView> {
  const out: string[] = [];
  for (const command of [EOS_VXLAN_CONFIG, EOS_BGP_CONFIG]) {
    const r = await cli.send(command, o);
    if (r.failed) {
      throw new CommandError(`"${r.command}": ${r.failure ?? r.output}`, [r.command], undefined, r.output,
        { device, operation: 'read running config' });
    }
    out.push(r.output);
  }
  return parseEosDci(out[0] ?? '', out[1] ?? '');
}

/**
 * L2 stretch (CLI) and L3VPN (OpenConfig L3VRF over NETCONF, then route targets on the CLI; removal
 * in reverse order). Each reads running first and plans from it: apply refuses what exists, removal
 * takes only what vmmi created (nothing to take: no session at all). An L3VPN whose CLI part fails
 * has its OpenConfig part taken back.
 */
function addEosDci(d: NetconfSwitchDriver, cli: CliSession, device: string, timerS: number): void {
  const l2 = async (s: L2Stretch, op: ChangeOp, o: IoOptions): Promise<void> => {
    checkL2Stretch(s, device);
    const commands = eosL2StretchPlan(s, op, await readEosDci(cli, device, o), device);
    if (commands.length === 0) return;
    await cliChange(cli, device, `l2-${s.vni}`, commands, eosL2StretchChecks(s), op === 'add', timerS, o);
  };
  d.applyL2Stretch = (s, o = {}) => l2(s, 'add', o);
  d.removeL2Stretch = (s, o = {}) => l2(s, 'remove', o);
  const oc = (v: L3Vpn, op: ChangeOp, o: IoOptions): Promise<unknown> =>
    d.apply(dciPlan(eosL3VpnOcIntent, v, op, device), { ...o, verify: instanceVerifier(ocInstanceFilter, v.name,
      op === 'add') });
  d.applyL3Vpn = async (v, o = {}) => {
    checkL3Vpn(v, device);
    const commands = eosL3VpnPlan(v, 'add', await readEosDci(cli, device, o), false, device);
    await oc(v, 'add', o);
    try {
      await cliChange(cli, device, `l3-${v.name}`, commands, eosL3VpnChecks(v), true, timerS, o);
    } catch (err) {
      await oc(v, 'remove', o).catch(() => undefined);
      throw err;
    }
  };
  d.removeL3Vpn = async (v, o = {}) => {
    checkL3Vpn(v, device);
    // The route targets belong to the intent only while the L3VRF carries vmmi's description.
    const have = parseOcDci((await d.client.getConfig('running', ocL3VpnFilter(v), o)).data).instances.get(v.name);
    if (have !== undefined && have.description !== dciMarker(v)) {
      throw dciRefusal('l3Vpn', 'remove', device, v.name, `network instance ${v.name} exists without vmmi's description`);
    }
    const commands = eosL3VpnPlan(v, 'remove', await readEosDci(cli, device, o), have !== undefined, device);
    if (commands.length > 0) await cliChange(cli, device, `l3-${v.name}`, commands, eosL3VpnChecks(v), false, timerS, o);
    await oc(v, 'remove', o);
  };
}

export function eosRequiresCli(device: string): never {
  throw new UnsupportedError('EOS VXLAN needs CLI access (testbed `cli` block)', {
    device,
    operation: 'configureTunnel',
  });
}
