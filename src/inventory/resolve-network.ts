/** Pure resolution of links, subnets and VMs with the address-plan rules. */
import { LAB_INTERFACE_NAMES } from '../platforms/interface-names.js';
import type { Link, LinkEndpoint, Subnet, Vm } from '../model/testbed.js';
import {
  contains, formatIpv4, formatIpv6, hostPart, isNetwork, networkOf, overlaps, parseCidr, parseIp, type Cidr,
} from './ip.js';
import type { Ctx, Path } from './resolve-devices.js';
import type { RawEndpoint, RawLink, RawTestbed } from './schema.js';
import { defined } from '../model/defined.js';

function endpointOf(e: RawEndpoint): LinkEndpoint {
  if (typeof e !== 'string') {
    return { device: e.device, port: e.port, ...defined({ ipv4: e.ipv4, ipv6: e.ipv6 }) };
  }
  const [device = '', port = ''] = e.split(':');
  return { device, port };
}

export function resolveLinks(ctx: Ctx, raw: RawTestbed, devices: ReadonlySet<string>): Link[] {
  const out: Link[] = [];
  const used = new Map<string, Path>();
  const names = new Set<string>();
  (raw.links ?? []).forEach((l: RawLink, i) => {
    const path: Path = ['links', i];
    const obj = l;
    const eps = obj.endpoints.map(endpointOf) as [LinkEndpoint, LinkEndpoint];
    eps.forEach((ep, j) => {
      const epPath = [...path, 'endpoints', j];
      if (!devices.has(ep.device)) {
        ctx.issues.push({
          path: epPath,
          message: `unknown device "${ep.device}" (not a hypervisor, switch or traffic host)`,
        });
      }
      const key = `${ep.device}:${ep.port}`;
      const prev = used.get(key);
      if (prev !== undefined)
        ctx.issues.push({ path: epPath, message: `port ${key} is already used by ${fmtPath(prev)}` });
      else used.set(key, epPath);
    });
    if (eps[0].device === eps[1].device && eps[0].device !== '') {
      ctx.issues.push({ path: [...path, 'endpoints'], message: `a link cannot connect "${eps[0].device}" to itself` });
    }
    linkAddressIssues(ctx, path, eps);
    const name = obj.name ?? `${eps[0].device}-${eps[1].device}`;
    if (names.has(name)) ctx.issues.push({ path: [...path, 'name'], message: `duplicate link name "${name}"` });
    names.add(name);
    const impairment = obj.impairment;
    out.push({ name, endpoints: eps, wan: obj.wan ?? impairment !== undefined,
      ...defined({ impairment }) });
  });
  return out;
}

/**
 * The two ends of a routed link are one subnet: same prefix and length (a /31 or /127 holds exactly the two
 * ends), two different addresses, neither the network nor the broadcast address of an IPv4 prefix below /31.
 */
function linkAddressIssues(ctx: Ctx, path: Path, eps: readonly [LinkEndpoint, LinkEndpoint]): void {
  for (const af of ['ipv4', 'ipv6'] as const) {
    const [a, b] = [eps[0][af], eps[1][af]];
    eps.forEach((ep, j) => {
      const c = ep[af] === undefined ? undefined : parseCidr(ep[af]);
      const why = c === undefined ? undefined : reservedHost(c);
      if (why !== undefined) ctx.issues.push({ path: [...path, 'endpoints', j, af], message: why });
    });
    if (a === undefined || b === undefined) continue;
    const [ca, cb] = [parseCidr(a), parseCidr(b)];
    if (ca === undefined || cb === undefined) continue;
    const at = [...path, 'endpoints', 1, af];
    if (ca.len !== cb.len || networkOf(ca) !== networkOf(cb)) {
      ctx.issues.push({
        path: at,
        message: `${b} is not in the subnet of the other end ${a} (${prefixOf(ca)}): the two ends of a link ` +
          `share one prefix, e.g. ${a} and ${neighbour(ca)}`,
      });
    } else if (ca.addr === cb.addr) {
      ctx.issues.push({ path: at, message: `both ends of the link have the address ${hostPart(a)}` });
    }
  }
}

/** Network or broadcast address of an IPv4 prefix shorter than /31 (RFC 3021 makes /31 ends usable). */
export function reservedHost(c: Cidr): string | undefined {
  if (c.family !== 4 || c.len >= 31) return undefined;
  const host = c.addr - networkOf(c);
  const last = (1n << BigInt(32 - c.len)) - 1n;
  const what = host === 0n ? 'network' : host === last ? 'broadcast' : undefined;
  if (what === undefined) return undefined;
  return `${formatIpv4(c.addr)}/${c.len} is the ${what} address of ${prefixOf(c)}: use a host address ` +
    `(${formatIpv4(networkOf(c) + 1n)} to ${formatIpv4(networkOf(c) + last - 1n)})`;
}

function prefixOf(c: Cidr): string {
  return `${c.family === 4 ? formatIpv4(networkOf(c)) : formatIpv6(networkOf(c))}/${c.len}`;
}

/** Another address of the same prefix, for an example in a message. */
function neighbour(c: Cidr): string {
  const other = c.addr ^ 1n;
  return `${c.family === 4 ? formatIpv4(other) : formatIpv6(other)}/${c.len}`;
}

export function fmtPath(p: Path): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

export function resolveSubnets(ctx: Ctx, raw: RawTestbed, sites: ReadonlySet<string>): Subnet[] {
  const out: Subnet[] = [];
  const seen: { name: string; af: 'ipv4' | 'ipv6'; cidr: Cidr }[] = [];
  const vnis = new Map<number, string>();
  for (const [name, s] of Object.entries(raw.subnets ?? {})) {
    const path = ['subnets', name];
    if (s.vni !== undefined) {
      const holder = vnis.get(s.vni);
      if (holder !== undefined) {
        ctx.issues.push({
          path: [...path, 'vni'],
          message: `VNI ${s.vni} is already the VNI of subnet "${holder}": each subnet needs its own VNI`,
        });
      } else vnis.set(s.vni, name);
    }
    if (!sites.has(s.site)) ctx.issues.push({ path: [...path, 'site'], message: unknownSite(s.site, sites) });
    if (s.ipv4 === undefined && s.ipv6 === undefined)
      ctx.issues.push({ path, message: 'a subnet needs an ipv4 and/or ipv6 plan' });
    for (const af of ['ipv4', 'ipv6'] as const) {
      const plan = s[af];
      if (plan === undefined) continue;
      const cidr = parseCidr(plan.prefix);
      if (cidr === undefined) continue;
      if (!isNetwork(cidr)) {
        ctx.issues.push({ path: [...path, af, 'prefix'], message: `prefix ${plan.prefix} has host bits set` });
      }
      const gw = parseIp(plan.gateway);
      if (gw !== undefined && !contains(cidr, gw.family, gw.addr)) {
        ctx.issues.push({
          path: [...path, af, 'gateway'],
          message: `gateway ${plan.gateway} is outside the prefix ${plan.prefix}`,
        });
      }
      const clash = seen.find((o) => o.af === af && overlaps(o.cidr, cidr));
      if (clash !== undefined) {
        ctx.issues.push({
          path: [...path, af, 'prefix'],
          message: `prefix ${plan.prefix} overlaps subnet "${clash.name}"`,
        });
      }
      seen.push({ name, af, cidr });
    }
    // The emulated lab names its TOR bridge of the i-th subnet br<vni ?? i> (lab/topology.ts).
    const labIf = raw.lab === undefined ? undefined : LAB_INTERFACE_NAMES.subnet(s.vni ?? out.length);
    const iface = s.interface ?? labIf;
    const gatewayInterface = s.gatewayInterface
      ?? (iface !== undefined && raw.lab !== undefined ? LAB_INTERFACE_NAMES.gateway(iface) : undefined);
    out.push({ name, site: s.site, ...defined({ ipv4: s.ipv4, ipv6: s.ipv6, vni: s.vni }),
      ...defined({ interface: iface, gatewayInterface }) });
  }
  return out;
}

export function unknownSite(site: string, sites: ReadonlySet<string>): string {
  return `unknown site "${site}"; sites: ${[...sites].join(', ') || '(none defined)'}`;
}

export function resolveVms(
  ctx: Ctx,
  raw: RawTestbed,
  hypervisors: ReadonlySet<string>,
  subnets: readonly Subnet[],
): Vm[] {
  const out: Vm[] = [];
  const addrs = new Map<string, string>();
  const macs = new Map<string, string>();
  for (const s of subnets) {
    if (s.ipv4 !== undefined) addrs.set(canonical(s.ipv4.gateway), `the gateway of subnet "${s.name}"`);
    if (s.ipv6 !== undefined) addrs.set(canonical(s.ipv6.gateway), `the gateway of subnet "${s.name}"`);
  }
  for (const [name, v] of Object.entries(raw.vms ?? {})) {
    const path = ['vms', name];
    if (!hypervisors.has(v.home)) {
      ctx.issues.push({
        path: [...path, 'home'],
        message: `unknown hypervisor "${v.home}"; hypervisors: ${[...hypervisors].join(', ')}`,
      });
    }
    const subnet = subnets.find((s) => s.name === v.subnet);
    if (subnet === undefined) ctx.issues.push({ path: [...path, 'subnet'], message: `unknown subnet "${v.subnet}"` });
    if (v.ipv4 === undefined && v.ipv6 === undefined)
      ctx.issues.push({ path, message: 'a VM needs an ipv4 and/or ipv6 address' });
    for (const af of ['ipv4', 'ipv6'] as const) {
      const a = v[af];
      if (a === undefined) continue;
      const cidr = parseCidr(a);
      const plan = subnet?.[af];
      if (cidr === undefined) continue;
      if (subnet !== undefined && plan === undefined) {
        ctx.issues.push({ path: [...path, af], message: `subnet "${subnet.name}" has no ${af} plan` });
      } else if (plan !== undefined) {
        const p = parseCidr(plan.prefix);
        if (p !== undefined && (!contains(p, cidr.family, cidr.addr) || p.len !== cidr.len)) {
          ctx.issues.push({
            path: [...path, af],
            message: `address ${a} is outside its subnet ${plan.prefix} ("${subnet?.name}")`,
          });
        }
      }
      const reserved = reservedHost(cidr);
      if (reserved !== undefined) ctx.issues.push({ path: [...path, af], message: reserved });
      const key = canonical(hostPart(a));
      const holder = addrs.get(key);
      if (holder !== undefined)
        ctx.issues.push({ path: [...path, af], message: `address ${hostPart(a)} is already used by ${holder}` });
      else addrs.set(key, `VM "${name}"`);
    }
    const mac = v.mac.toLowerCase();
    const macHolder = macs.get(mac);
    if (macHolder !== undefined)
      ctx.issues.push({ path: [...path, 'mac'], message: `MAC ${v.mac} is already used by VM "${macHolder}"` });
    else macs.set(mac, name);
    out.push({
      name,
      home: v.home,
      subnet: v.subnet,
      mac: v.mac,
      memoryMiB: v.memoryMiB,
      vcpus: v.vcpus,
      reflectorPort: v.reflectorPort,
      tcpEchoPort: v.tcpEchoPort,
      controlPort: v.controlPort,
      ...defined({ ipv4: v.ipv4, ipv6: v.ipv6 }),
    });
  }
  return out;
}

function canonical(addr: string): string {
  const p = parseIp(addr);
  return p === undefined ? addr : `${p.family}:${p.addr.toString(16)}`;
}
