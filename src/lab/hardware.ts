import { LabError } from '../errors/classes.js';
import { defined } from '../model/defined.js';
import type { CliAccess, Credentials, HostKeyPolicy, Link, Testbed, TrafficHost } from '../model/testbed.js';
import { splitCidr } from './addr.js';
import { controllerPkiDir } from './lab-pki-paths.js';
import { HV_BRIDGE, keysDir, knownHostsFile, type LabPlan, type MgmtHostPlan } from './topology.js';
import { toYamlText, type YamlValue } from './yaml-text.js';

/**
 * The emulated lab described as hardware: `<lab dir>/hardware.yaml`, written by `vmmi lab up`. The same
 * sites, links, subnets, VMs, defaults and thresholds as the lab testbed, with every device reached only
 * the way a physical lab's devices are: libvirt over TLS (the lab CA's client certificate) at each
 * hypervisor's management address, NETCONF
 * and SSH at the switches' management addresses, SSH at the traffic hosts' management addresses, host
 * keys pinned by the lab's known_hosts. No `lab:` section and no namespaces: vmmi runs on it as on a
 * physical lab. Each hypervisor namespace is also an SSH traffic host, `<hv>-host` (never probed by
 * default), so a conflict probe has a host in every VM subnet.
 *
 * Pure: a document built from the resolved lab testbed and its plan, written by yaml-text.ts.
 */

type Doc = { [k: string]: YamlValue };

export const hardwareFile = (plan: Pick<LabPlan, 'dir'>): string => `${plan.dir}/hardware.yaml`;
/** Suffix of the traffic host each hypervisor namespace becomes (`hv1-host`). */
export const HV_HOST_SUFFIX = '-host';

const fail = (msg: string): never => {
  throw new LabError(msg, { operation: 'describe the lab as hardware' });
};

/** The lab's SSH access: its client key by reference, host keys pinned by its known_hosts. */
function labAccess(plan: LabPlan, username: string): Doc {
  const key = `${keysDir(plan)}/client_ed25519`;
  // `${file:…}` ends at the first `}`; a path with one in it cannot be referenced.
  if (key.includes('}')) fail(`lab directory ${plan.dir} cannot be referenced as \${file:…} (it holds a "}")`);
  return { credentials: { username, privateKey: `\${file:${key}}` }, hostKey: { knownHosts: knownHostsFile(plan) } };
}

/** Credentials of a device kept as they are (kinds other than netns): references only, never values. */
function credentialsDoc(c: Credentials): Doc {
  return { username: c.username, ...defined({ password: c.password?.ref, privateKey: c.privateKey?.ref,
    passphrase: c.passphrase?.ref }) };
}

function hostKeyDoc(p: HostKeyPolicy): Doc {
  if (p.kind === 'known-hosts') return { knownHosts: p.file };
  if (p.kind === 'fingerprint') return { fingerprint: p.sha256 };
  return { insecureAcceptAnyHostKey: true };
}

function mgmtOf(plan: LabPlan, name: string, kind: MgmtHostPlan['kind']): MgmtHostPlan {
  return plan.mgmtHosts.find((h) => h.kind === kind && h.serves.includes(name))
    ?? fail(`${name} has no management address in the lab plan`);
}

/** The controller's pkipath as a URI parameter value (a path of URI-safe characters, else percent-encoded). */
function pkiPath(plan: LabPlan): string {
  return encodeURI(controllerPkiDir(plan)).replace(/[?&#=+]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hypervisorsDoc(tb: Testbed, plan: LabPlan): Doc {
  return Object.fromEntries(tb.hypervisors.map((hv) => [hv.name, {
    site: hv.site,
    address: hv.address,
    driver: 'libvirt-rpc',
    // TLS with the lab CA's controller certificate (lab-pki.ts); the server's IP SAN holds this address.
    uri: `qemu+tls://${mgmtOf(plan, hv.name, 'hypervisor').address}/system?pkipath=${pkiPath(plan)}`,
    // Peers still migrate over the lab network: the source daemon dials this, QEMU streams to migration_host.
    migrationUri: hv.migrationUri,
  }]));
}

/** A switch's CLI: its own login (the lab's key, as the switch's) when the testbed gives it one. */
function cliDoc(plan: LabPlan, cli: CliAccess): Doc {
  return { port: cli.port, platform: cli.platform,
    ...(cli.credentials === undefined ? {} : { credentials: labAccess(plan, cli.credentials.username).credentials }) };
}

function switchesDoc(tb: Testbed, plan: LabPlan): Doc {
  return Object.fromEntries(tb.switches.map((sw) => [sw.name, {
    site: sw.site, role: sw.role, kind: sw.kind, address: sw.address, port: sw.port,
    ...labAccess(plan, sw.credentials.username),
    ...(sw.cli === undefined ? {} : { cli: cliDoc(plan, sw.cli) }),
    ...defined({ asn: sw.asn, routerId: sw.routerId }),
  }]));
}

function linkDoc(l: Link): Doc {
  return {
    name: l.name,
    endpoints: l.endpoints.map((e) => ({ device: e.device, port: e.port, ...defined({ ipv4: e.ipv4, ipv6: e.ipv6 }) })),
    wan: l.wan,
    ...(l.impairment === undefined ? {} : { impairment: { ...l.impairment } }),
  };
}

/** Subnets with the interfaces the lab built for them at their TORs: bridge `br<vni>`, gateway `gw<vni>`. */
function subnetsDoc(tb: Testbed, plan: LabPlan): Doc {
  return Object.fromEntries(tb.subnets.map((s) => {
    const br = plan.bridges.find((b) => b.subnet === s.name);
    return [s.name, {
      site: s.site,
      ...(s.ipv4 === undefined ? {} : { ipv4: { prefix: s.ipv4.prefix, gateway: s.ipv4.gateway } }),
      ...(s.ipv6 === undefined ? {} : { ipv6: { prefix: s.ipv6.prefix, gateway: s.ipv6.gateway } }),
      ...defined({ vni: s.vni, interface: br?.name ?? s.interface,
        gatewayInterface: br?.gateway?.name ?? s.gatewayInterface }),
    }];
  }));
}

function vmsDoc(tb: Testbed): Doc {
  return Object.fromEntries(tb.vms.map((v) => [v.name, {
    home: v.home, subnet: v.subnet, ...defined({ ipv4: v.ipv4, ipv6: v.ipv6 }), mac: v.mac, memoryMiB: v.memoryMiB,
    vcpus: v.vcpus, reflectorPort: v.reflectorPort, tcpEchoPort: v.tcpEchoPort, controlPort: v.controlPort,
  }]));
}

/** A traffic host of the lab testbed: a netns one becomes an SSH host at its management address. */
function trafficHostDoc(t: TrafficHost, plan: LabPlan): Doc {
  const common = { ...defined({ ipv4: t.ipv4, ipv6: t.ipv6, interface: t.interface }),
    probeByDefault: t.probeByDefault };
  if (t.kind === 'netns') {
    const m = mgmtOf(plan, t.name, 'traffic-host');
    return { kind: 'ssh', ...defined({ site: t.site }), address: m.address, port: m.sshPort,
      ...labAccess(plan, 'root'), ...common };
  }
  return {
    kind: t.kind, ...defined({ site: t.site, address: t.address }), ...(t.kind === 'ssh' ? { port: t.port ?? 22 } : {}),
    ...(t.credentials === undefined ? {} : { credentials: credentialsDoc(t.credentials) }),
    ...(t.hostKey === undefined ? {} : { hostKey: hostKeyDoc(t.hostKey) }), ...common,
  };
}

/** Each hypervisor namespace as an SSH host on its VM subnet (br0 holds the hypervisor's lab addresses). */
function hvHostDocs(tb: Testbed, plan: LabPlan, taken: ReadonlySet<string>): [string, Doc][] {
  return tb.hypervisors.map((hv): [string, Doc] => {
    const name = `${hv.name}${HV_HOST_SUFFIX}`;
    if (taken.has(name)) fail(`"${name}" (the traffic host of hypervisor ${hv.name}) is already a testbed name`);
    const m = mgmtOf(plan, hv.name, 'hypervisor');
    const own = plan.addresses.filter((a) => a.ns === m.ns && a.dev === HV_BRIDGE).map((a) => a.cidr);
    const ipv4 = own.find((c) => !c.includes(':') && splitCidr(c).addr === hv.address);
    const ipv6 = own.find((c) => c.includes(':'));
    return [name, {
      kind: 'ssh', site: hv.site, address: m.address, port: m.sshPort, ...labAccess(plan, 'root'),
      ipv4: ipv4 ?? fail(`hypervisor ${hv.name}: no planned address ${hv.address} on ${HV_BRIDGE}`),
      ...defined({ ipv6 }), interface: HV_BRIDGE, probeByDefault: false,
    }];
  });
}

/** The hardware testbed document of the lab `plan` built from `tb`. */
export function hardwareTestbed(tb: Testbed, plan: LabPlan): Doc {
  const taken = new Set([...tb.hypervisors, ...tb.switches, ...tb.trafficHosts, ...tb.vms].map((x) => x.name));
  const describe = `${tb.description ?? tb.name}: the emulated lab "${plan.prefix}" as hardware ` +
    '(management interfaces only)';
  const name = `${tb.name}-hardware`;
  return {
    name: name.length <= 63 ? name : tb.name, // testbed names are at most 63 characters
    description: describe,
    defaults: { migration: { ...tb.migration }, probe: { ...tb.probe }, thresholds: { ...tb.thresholds } },
    sites: Object.fromEntries(tb.sites.map((s) => [s.name, defined({ description: s.description })])),
    hypervisors: hypervisorsDoc(tb, plan),
    switches: switchesDoc(tb, plan),
    links: tb.links.map(linkDoc),
    subnets: subnetsDoc(tb, plan),
    vms: vmsDoc(tb),
    trafficHosts: Object.fromEntries([
      ...tb.trafficHosts.map((t): [string, Doc] => [t.name, trafficHostDoc(t, plan)]),
      ...hvHostDocs(tb, plan, taken),
    ]),
  };
}

/** hardware.yaml's text. */
export function hardwareYaml(tb: Testbed, plan: LabPlan): string {
  return toYamlText(hardwareTestbed(tb, plan), [
    `The emulated lab "${plan.prefix}" described as hardware, written by \`vmmi lab up\` from testbed "${tb.name}".`,
    'Every device is reached through its management interface only; `vmmi lab down` removes this file.',
  ]);
}
