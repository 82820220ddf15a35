import type { Subnet, Vm } from '../model/testbed.js';
import { nacmAnchors, nacmXml } from './nacm.js';

/** Pure generators of the lab's daemon configuration files and guest domain XML. */

export interface BgpdInput {
  readonly name: string;
  readonly asn: number;
  readonly routerId: string;
  /** TORs redistribute kernel routes (host routes of moved guests) and their connected subnets. */
  readonly tor: boolean;
  readonly neighbors: readonly { readonly address: string; readonly asn: number }[];
  /** Anycast gateway addresses on this router (`a/32`, `a/128`), never advertised. */
  readonly anycast: readonly string[];
  readonly frrDir: string;
}

const isV6 = (a: string): boolean => a.includes(':');

/** EVPN duplicate-MAC detection of the lab's TORs (RFC 7432 §15.1 defaults): this many moves … */
export const DUP_ADDR_MAX_MOVES = 5;
/** … within this many seconds, counted from a move the TOR learns locally. */
export const DUP_ADDR_TIME_S = 180;

export function zebraConf(name: string, frrDir: string): string {
  return `hostname ${name}\nlog file ${frrDir}/zebra.log\n!\n`;
}

export function staticdConf(name: string, frrDir: string): string {
  return `hostname ${name}\nlog file ${frrDir}/staticd.log\n!\n`;
}

/**
 * eBGP with datacenter defaults (3/9 s timers, no advertisement delay). IPv4 sessions carry IPv4 and
 * l2vpn evpn (activated up front: activating it later resets sessions), IPv6 sessions carry IPv6.
 * Every router redistributes connected networks minus the anycast gateways; TORs also redistribute
 * kernel routes, which is how a host route installed for a moved guest reaches the other routers.
 */
export function bgpdConf(b: BgpdInput): string {
  const v4 = b.neighbors.filter((n) => !isV6(n.address));
  const v6 = b.neighbors.filter((n) => isV6(n.address));
  const any4 = b.anycast.filter((a) => !isV6(a));
  const any6 = b.anycast.filter(isV6);
  const L: string[] = ['frr defaults datacenter', `hostname ${b.name}`, `log file ${b.frrDir}/bgpd.log`, '!'];
  any4.forEach((a, i) => L.push(`ip prefix-list ANYCAST4 seq ${(i + 1) * 5} permit ${a}`));
  any6.forEach((a, i) => L.push(`ipv6 prefix-list ANYCAST6 seq ${(i + 1) * 5} permit ${a}`));
  if (any4.length > 0) L.push('route-map NO-ANYCAST4 deny 10', ' match ip address prefix-list ANYCAST4');
  L.push('route-map NO-ANYCAST4 permit 20');
  if (any6.length > 0) L.push('route-map NO-ANYCAST6 deny 10', ' match ipv6 address prefix-list ANYCAST6');
  L.push('route-map NO-ANYCAST6 permit 20', '!');
  L.push(`router bgp ${b.asn}`, ` bgp router-id ${b.routerId}`, ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast', ' bgp bestpath as-path multipath-relax', ' timers bgp 3 9');
  for (const n of b.neighbors) {
    L.push(` neighbor ${n.address} remote-as ${n.asn}`, ` neighbor ${n.address} advertisement-interval 0`);
  }
  L.push(' address-family ipv4 unicast');
  for (const n of v4) L.push(`  neighbor ${n.address} activate`);
  L.push('  redistribute connected route-map NO-ANYCAST4');
  if (b.tor) L.push('  redistribute kernel');
  L.push(' exit-address-family', ' address-family ipv6 unicast');
  for (const n of v6) L.push(`  neighbor ${n.address} activate`);
  L.push('  redistribute connected route-map NO-ANYCAST6');
  if (b.tor) L.push('  redistribute kernel');
  L.push(' exit-address-family', ' address-family l2vpn evpn');
  for (const n of v4) L.push(`  neighbor ${n.address} activate`);
  // Route targets from the VNI alone (RFC 8365): with one AS per TOR the default ASN:VNI would not import.
  if (b.tor) L.push('  advertise-all-vni', '  autort rfc8365-compatible');
  // RFC 7432 §15.1 duplicate-MAC detection at its defaults, stated so the lab's rule does not depend on
  // FRR's: 5 moves within 180 s flag the MAC (after advertise-all-vni, which it requires). No freeze
  // here: the flag alone changes no forwarding; a spec that wants RFC 7432's stop turns freeze on.
  if (b.tor) L.push(`  dup-addr-detection max-moves ${DUP_ADDR_MAX_MOVES} time ${DUP_ADDR_TIME_S}`);
  L.push(' exit-address-family', '!');
  return `${L.join('\n')}\n`;
}

/** Where a hypervisor's libvirtd sees its PKI directory (its etc/ is bound over /etc/libvirt; lab-pki.ts). */
export const HV_PKI_PATH = '/etc/libvirt/pki';

/**
 * libvirtd.conf of one lab hypervisor: TLS only, the client certificate (signed by the lab's CA,
 * lab-pki.ts) is the credential; no plain TCP listener. The certificate files are the host's etc/pki,
 * which is /etc/libvirt/pki inside the daemon's mount namespace (`pkiPath`).
 *
 * It listens on every IPv4 address of its own namespace (0.0.0.0 there): the lab address on br0, which
 * peers use as the migration destination (migrationUri), and the management address on mgmt0, which
 * the controller uses in the hardware view (hardware.yaml: `qemu+tls://<management address>/system`).
 * The namespace has no other interface. Routing the lab addresses from the root namespace instead was
 * ruled out: two labs (prefixes) on one machine use the same lab addresses, only their management
 * /30s differ, and the root namespace would need forwarding and routes into the lab's data plane.
 */
export function libvirtdConf(hostUuid: string, pkiPath = HV_PKI_PATH): string {
  return [
    'listen_tls = 1', 'listen_tcp = 0', 'listen_addr = "0.0.0.0"', 'auth_tls = "none"',
    `ca_file = "${pkiPath}/cacert.pem"`, `cert_file = "${pkiPath}/servercert.pem"`,
    `key_file = "${pkiPath}/serverkey.pem"`, 'tls_no_verify_certificate = 0', 'auth_unix_rw = "none"',
    `host_uuid = "${hostUuid}"`, 'log_level = 3', 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"', '',
  ].join('\n');
}

/**
 * qemu.conf: QEMU as the unprivileged `libvirt-qemu` user (group kvm); no cgroups/namespaces/virtlogd;
 * migration bound to the host's lab address. dynamic_ownership stays off: libvirtd (root) opens the
 * serial and log files and hands QEMU descriptors, the guest's kernel and initramfs are world-readable,
 * and nothing of the controller's gets chowned. security_driver stays "none": neither AppArmor nor
 * SELinux is loaded on the lab's machines (the DAC driver is what `user` selects regardless).
 */
export function qemuConf(address: string): string {
  return [
    'user = "libvirt-qemu"', 'group = "kvm"', 'dynamic_ownership = 0', 'remember_owner = 0', 'security_driver = "none"',
    'cgroup_controllers = [ ]', 'namespaces = [ ]', 'stdio_handler = "file"',
    `migration_address = "${address}"`, `migration_host = "${address}"`, '',
  ].join('\n');
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/**
 * Guest kernel command line: addresses, reflector and control ports for lab-assets/guest-init.sh. The
 * memory checker runs with the init script's stated defaults (16 MiB, 1000 page rewrites/s, 8192 checks/s).
 */
export function guestCmdline(vm: Vm, sn: Subnet): string {
  const kv = ['console=ttyS0', 'panic=-1', 'quiet'];
  if (vm.ipv4) kv.push(`labip=${vm.ipv4}`);
  if (vm.ipv4 && sn.ipv4) kv.push(`labgw=${sn.ipv4.gateway}`);
  if (vm.ipv6) kv.push(`labip6=${vm.ipv6}`);
  if (vm.ipv6 && sn.ipv6) kv.push(`labgw6=${sn.ipv6.gateway}`);
  kv.push(`labudp=${vm.reflectorPort}`, `labtcp=${vm.tcpEchoPort}`, `labctl=${vm.controlPort}`);
  return kv.join(' ');
}

/**
 * Diskless TCG domain (`type='qemu'`: the machine's KVM hangs stock kernels); kernel paths equal on all hosts.
 * A guest reboot (or a panic: `panic=-1`) restarts the guest in place: the VM stays on its host and the
 * reset reaches vmmi as a reboot event (an infrastructure failure of the run), instead of libvirt
 * destroying the domain, which looked like a lost VM. Its QEMU runs at raised priority for its whole
 * life, on every host it reaches (the lab's guest-priority keeper, hypervisors.ts).
 */
export function domainXml(vm: Vm, sn: Subnet, uuid: string, assetsDir: string): string {
  return `<domain type='qemu'>
  <name>${esc(vm.name)}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>${vm.memoryMiB}</memory>
  <vcpu>${vm.vcpus || 1}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${esc(assetsDir)}/guest-vmlinuz</kernel>
    <initrd>${esc(assetsDir)}/guest-initrd.gz</initrd>
    <cmdline>${esc(guestCmdline(vm, sn))}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='bridge'>
      <mac address='${esc(vm.mac)}'/><source bridge='br0'/><model type='virtio'/><rom enabled='no'/>
    </interface>
    <serial type='file'><source path='/var/log/libvirt/qemu/${esc(vm.name)}.serial' append='on'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

export interface SwitchInterface {
  readonly name: string;
  readonly bridge: boolean;
  /** `addr/len`, both families. */
  readonly addresses: readonly string[];
  /** Bridge this port belongs to (written as `bridge=<name>` in the description, as the agent reads it). */
  readonly master?: string;
  /** A VXLAN endpoint (type `tunnel`, `vxlan id= local= dstport=` in the description, as the agent reads it). */
  readonly vxlan?: { readonly vni: number; readonly local: string };
}

/**
 * Startup datastore of an emulated switch: its interfaces as built (ietf-interfaces + ietf-ip), so
 * running config describes the device from the first hello and leafrefs to them (a static route's
 * outgoing-interface) resolve.
 */
/**
 * A switch's startup datastore: its interfaces and, when its NETCONF user is not the superuser root, the
 * access rules granting that user what vmmi needs (nacm.ts).
 */
export function switchStartupXml(ifaces: readonly SwitchInterface[], netconfUser?: string): string {
  const ip = (fam: 'ipv4' | 'ipv6', addrs: readonly string[]): string => (addrs.length === 0 ? '' :
    `<${fam} xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">${addrs.map((a) => {
      const [addr, len] = a.split('/');
      return `<address><ip>${esc(addr ?? '')}</ip><prefix-length>${esc(len ?? '')}</prefix-length></address>`;
    }).join('')}</${fam}>`);
  const body = ifaces
    .map(
      (i) =>
        '<interface>' +
        `<name>${esc(i.name)}</name>` +
        (i.vxlan !== undefined
          ? `<description>vxlan id=${i.vxlan.vni} local=${esc(i.vxlan.local)} dstport=4789${i.master === undefined ? '' : ` bridge=${esc(i.master)}`}</description>`
          : i.master === undefined
            ? ''
            : `<description>bridge=${esc(i.master)}</description>`) +
        `<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:${i.bridge ? 'bridge' : i.vxlan ? 'tunnel' : 'ethernetCsmacd'}</type>` +
        '<enabled>true</enabled>' +
        ip(
          'ipv4',
          i.addresses.filter((a) => !isV6(a)),
        ) +
        ip('ipv6', i.addresses.filter(isV6)) +
        '</interface>',
    )
    .join('\n    ');
  const acm = netconfUser === undefined ? '' : `${nacmXml(netconfUser)}\n${nacmAnchors(['interfaces'])}\n`;
  return `<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">
    ${body}
  </interfaces>
${acm}</config>
`;
}
