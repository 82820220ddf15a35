import { eosDialect, eosSessionCommands, eosTunnelCommands } from '../drivers/switch/eos.js';
import { frrHostRouteCommands, linuxTunnelArgv } from '../drivers/switch/frr-ssh.js';
import { junosNetconf } from '../drivers/switch/junos-netconf.js';
import type { ChangeOp, NetconfDialect } from '../drivers/switch/netconf-driver.js';
import { netconfIetf } from '../drivers/switch/netconf-ietf.js';
import { openconfigNetconf } from '../drivers/switch/openconfig-netconf.js';
import { prettyXml } from '../drivers/switch/payload-cases.js';
import type { ConfigChange } from '../drivers/switch/transaction.js';
import type { TunnelEndpoint } from '../drivers/switch/types.js';
import { hostRouteOf, type RouteOp } from '../harness/network-device.js';
import { gatewayInterface, neighborAddress, subnetInterface } from '../harness/open.js';
import { loadTestbed } from '../inventory/load.js';
import { formatPlan, PHASES, planMigration, type MigrationPlan, type Phase } from '../migration/plan.js';
import { describeOp } from '../migration/strategies/ops.js';
import type { DeviceOp } from '../migration/strategies/types.js';
import type { Switch, SwitchDriverKind, Testbed } from '../model/testbed.js';
import { render } from '../transports/netconf/xml-build.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { checkMoveNames, parseMoveArgs } from './move-args.js';
import { PLAN } from './specs.js';
import { defined } from '../model/defined.js';

const opJson = (op: DeviceOp): DeviceOp & { text: string } => ({ ...op, text: describeOp(op) });

/**
 * What one op sends to its device, rendered by the device's driver code from the testbed alone:
 * `netconf` the `<config>` of an edit-config on candidate (confirmed commit), `vtysh` FRR config lines,
 * `eos-cli` an EOS configuration session with its commit timer, `shell` commands over SSH exec,
 * `none` why the device's driver has nothing for the op (the run would refuse or fail there).
 */
export interface OpPayload {
  readonly phase: Phase;
  readonly device: string;
  readonly kind: SwitchDriverKind | undefined;
  readonly op: string;
  readonly format: 'netconf' | 'vtysh' | 'eos-cli' | 'shell' | 'none';
  readonly text: string;
}

type Rendered = Pick<OpPayload, 'format' | 'text'>;

const DIALECTS: Readonly<Partial<Record<SwitchDriverKind, NetconfDialect>>> = {
  'netconf-ietf': netconfIetf, 'openconfig-netconf': openconfigNetconf, 'junos-netconf': junosNetconf, eos: eosDialect,
};

const netconf = (c: ConfigChange): Rendered => ({ format: 'netconf', text: prettyXml(render(c.config)).trimEnd() });
const none = (why: string): Rendered => ({ format: 'none', text: why });
const argvText = (argv: readonly (readonly string[])[]): string => argv.map((a) => a.join(' ')).join('\n');

const isRouteOp = (op: DeviceOp): op is RouteOp =>
  op.op === 'add-host-route' || op.op === 'remove-host-route' || op.op === 'bgp-announce' || op.op === 'bgp-withdraw';
const changeOf = (op: DeviceOp): ChangeOp =>
  /^(remove|bgp-withdraw|evpn-detach|tunnel-stop)/.test(op.op) || (op.op === 'anycast-gateway' && op.remove === true)
    ? 'remove' : 'add';
/** Linux-shell SSH exec (the tunnel driver's and the SSH observer's condition, harness/device-wiring.ts). */
const linuxShell = (sw: Switch): boolean => sw.cli?.platform === 'linux' || sw.cli?.platform === 'frr-vtysh'
  || (sw.cli === undefined && sw.kind === 'frr-ssh');

function routePayload(tb: Testbed, sw: Switch, op: RouteOp): Rendered {
  const r = hostRouteOf({ neighborAddress: (n, f) => neighborAddress(tb, sw.name, n, f),
    subnetInterface: (s) => subnetInterface(tb, sw.name, s) }, op);
  if (sw.kind === 'frr-ssh') {
    return { format: 'vtysh', text: ['configure terminal', ...frrHostRouteCommands(r, changeOf(op))].join('\n') };
  }
  const hostRoute = DIALECTS[sw.kind]?.hostRoute;
  return hostRoute === undefined ? none(`${sw.kind} has no host-route model`) : netconf(hostRoute(r, changeOf(op)));
}

function evpnPayload(tb: Testbed, sw: Switch, op: Extract<DeviceOp, { op: 'evpn-attach' | 'evpn-detach' }>): Rendered {
  // As harness/network-device.ts builds it: the access subnet's interface as the bridge, no remotes (EVPN learns them).
  const bridge = subnetInterface(tb, sw.name, op.access ?? op.subnet) ?? `br${op.vni}`;
  const t: TunnelEndpoint = { vni: op.vni, localAddress: op.vtep, remotes: [], bridge };
  const change = changeOf(op);
  if (sw.kind === 'frr-ssh') return { format: 'shell', text: argvText(linuxTunnelArgv(t, change)) };
  if (sw.kind === 'eos') {
    if (sw.cli === undefined) return none('EOS VXLAN needs CLI access (testbed `cli` block)');
    const commands = eosSessionCommands(`vmmi-${op.vni}-RUN`, eosTunnelCommands(t, change), 120);
    return { format: 'eos-cli', text: commands.join('\n') };
  }
  const tunnel = DIALECTS[sw.kind]?.tunnel;
  return tunnel === undefined ? none(`${sw.kind} has no VXLAN model`) : netconf(tunnel(t, change));
}

function gatewayPayload(tb: Testbed, sw: Switch, op: Extract<DeviceOp, { op: 'anycast-gateway' }>): Rendered {
  const iface = gatewayInterface(tb, sw.name, op.access ?? op.subnet);
  if (iface === undefined) return none(`no interface serves subnet ${op.access ?? op.subnet} on ${sw.name}`);
  const address = DIALECTS[sw.kind]?.address;
  if (address === undefined) return none(`${sw.kind} cannot configure interface addresses`);
  return netconf(address({ iface, cidr: `${op.gateway}/${op.family === 4 ? 32 : 128}` }, changeOf(op)));
}

function tunnelPayload(sw: Switch, op: DeviceOp): Rendered {
  if (!linuxShell(sw)) {
    return none('tunnel endpoints need a Linux shell over SSH exec (cli.platform linux or frr-vtysh)');
  }
  const what = op.op === 'tunnel-start' || op.op === 'tunnel-stop'
    ? `vmmi-agent tunnel (tunagent) ${op.op === 'tunnel-start' ? 'started' : 'stopped'}: ${op.local} ⇄ ${op.remote}`
    : 'ip route over SSH exec by the SSH tunnel driver (src/tunnel/ssh-driver.ts)';
  return { format: 'shell', text: what };
}

/** The payload of one op on its device (pure: nothing connects). */
export function payloadOf(tb: Testbed, op: DeviceOp): Rendered {
  const sw = tb.switches.find((s) => s.name === op.device);
  if (sw === undefined) return none(`${op.device} is not a switch of the testbed`);
  try {
    const viaTunnel = op.op === 'tunnel-start' || op.op === 'tunnel-stop'
      || (isRouteOp(op) && (op.dev?.tunnel !== undefined || op.dev?.fromTunnel !== undefined));
    if (viaTunnel) return tunnelPayload(sw, op);
    if (isRouteOp(op)) return routePayload(tb, sw, op);
    if (op.op === 'evpn-attach' || op.op === 'evpn-detach') return evpnPayload(tb, sw, op);
    return gatewayPayload(tb, sw, op);
  } catch (e) {
    return none(`the ${sw.kind} driver cannot render it: ${(e as Error).message}`);
  }
}

/** Every op of the plan with its payload, in execution order. */
export function planPayloads(p: MigrationPlan): OpPayload[] {
  return PHASES.flatMap((phase) => p.transactions[phase].flatMap((tx) => tx.ops.map((op) => ({
    phase, device: op.device, kind: p.testbed.switches.find((s) => s.name === op.device)?.kind,
    op: describeOp(op), ...payloadOf(p.testbed, op),
  }))));
}

const FORMAT_TITLE: Readonly<Record<OpPayload['format'], string>> = {
  netconf: 'NETCONF edit-config <config> (candidate, confirmed commit)',
  vtysh: 'vtysh', 'eos-cli': 'EOS CLI (configuration session, commit timer)', shell: 'SSH exec',
  none: 'nothing to send',
};

/** The payload section of the text form: per device, each op and what its driver sends. */
export function formatPayloads(payloads: readonly OpPayload[]): string {
  const lines = ['device payloads (rendered by each device\'s driver from the testbed; nothing is sent):'];
  if (payloads.length === 0) lines.push('  (no device changes)');
  let device: string | undefined;
  for (const p of payloads) {
    if (p.device !== device) lines.push(`  ${p.device} (${p.kind ?? 'not a switch'}):`);
    device = p.device;
    lines.push(`    [${p.phase}] ${p.op.slice(p.device.length + 2)}`, `      ${FORMAT_TITLE[p.format]}:`);
    for (const l of p.text.split('\n')) lines.push(`        ${l}`);
  }
  return lines.join('\n');
}

/** The `--json` form of a plan (docs/cli.md): the testbed and VM objects reduced to their names. */
export function planJson(p: MigrationPlan): Record<string, unknown> {
  return {
    vm: p.vm.name, source: p.source, destination: p.destination, strategy: p.strategy.strategy,
    families: p.families,
    transactions: Object.fromEntries(PHASES.map((ph) =>
      [ph, p.transactions[ph].map((tx) => ({ device: tx.device, ops: tx.ops.map(opJson) }))])),
    diffs: p.diffs, rollback: p.rollback.map(opJson), notes: p.strategy.notes, payloads: planPayloads(p),
    ...defined({ destinationSubnet: p.destinationSubnet, gateway: p.strategy.gateway,
      extraRttMs: p.strategy.extraRttMs }),
  };
}

/** `vmmi plan`: prints the ordered device operations, config diffs and device payloads of a move; touches nothing. */
export const planCommand: Command = {
  summary: PLAN.summary,
  usage: PLAN.usage,
  async run(args) {
    const move = parseMoveArgs(args, PLAN);
    if (move === undefined) return EXIT.ok;
    const testbed = await loadTestbed(move.testbed.path);
    checkMoveNames(testbed, move, move.testbed.given);
    const plan = planMigration(testbed, move.vm, move.to, {
      ...defined({ from: move.from, strategy: move.strategy, families: move.families }),
    });
    console.log(move.json ? JSON.stringify(planJson(plan), null, 2)
      : `${formatPlan(plan)}\n${formatPayloads(planPayloads(plan))}`);
    return EXIT.ok;
  },
};
