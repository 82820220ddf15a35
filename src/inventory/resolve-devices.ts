/** Pure resolution of devices: inheritance defaults → group → node, secrets, host-key policies. */
import type { Secret } from '../model/secret.js';
import type { Credentials, HostKeyPolicy, Hypervisor, Switch, TrafficHost } from '../model/testbed.js';
import type { RawCredentials, RawHostKey, RawHypervisorFields, RawSwitchFields, RawTestbed } from './schema.js';
import { defined } from '../model/defined.js';
import { parseIp } from './ip.js';

export type Path = readonly (string | number)[];
export interface Issue { readonly path: Path; readonly message: string }

/** Resolves one `${env:X}` / `${file:p}` reference; errors are returned, never thrown. */
export type SecretResolver = (ref: string) => { ok: true; secret: Secret } | { ok: false; message: string };

/** A problem in a value written in defaults or a group: reported once where it is written, naming who inherits. */
export interface InheritedIssue extends Issue {
  readonly by: Path[];
}

export interface Ctx {
  readonly issues: Issue[];
  /** Problems of inherited values, by path and message (resolve.ts reports each once). */
  readonly inherited: Map<string, InheritedIssue>;
  readonly resolveSecret: SecretResolver;
  /** Makes a file path from the testbed absolute (relative paths are relative to the testbed file). */
  readonly resolvePath: (p: string) => string;
}

const SECRET_REF = /^\$\{(env|file):[^}]+\}$/;

function secretField(ctx: Ctx, path: Path, value: string | undefined): Secret | undefined {
  if (value === undefined) return undefined;
  if (!SECRET_REF.test(value)) {
    ctx.issues.push({ path, message: 'secrets are given by reference only: use ${env:NAME} or ${file:path}' });
    return undefined;
  }
  const r = ctx.resolveSecret(value);
  if (!r.ok) {
    ctx.issues.push({ path, message: r.message });
    return undefined;
  }
  return r.secret;
}

export function resolveCredentials(ctx: Ctx, path: Path, raw: RawCredentials | undefined): Credentials | undefined {
  if (raw === undefined) return undefined;
  const password = secretField(ctx, [...path, 'password'], raw.password);
  const privateKey = secretField(ctx, [...path, 'privateKey'], raw.privateKey);
  const passphrase = secretField(ctx, [...path, 'passphrase'], raw.passphrase);
  return {
    username: raw.username,
    ...defined({ password, privateKey, passphrase }),
  };
}

export function resolveHostKey(ctx: Ctx, path: Path, raw: RawHostKey | undefined): HostKeyPolicy | undefined {
  if (raw === undefined) return undefined;
  const set = [raw.knownHosts, raw.fingerprint, raw.insecureAcceptAnyHostKey].filter((v) => v !== undefined);
  if (set.length !== 1) {
    ctx.issues.push({ path, message: 'give exactly one of knownHosts, fingerprint, insecureAcceptAnyHostKey' });
    return undefined;
  }
  if (raw.knownHosts !== undefined) return { kind: 'known-hosts', file: ctx.resolvePath(raw.knownHosts) };
  if (raw.fingerprint !== undefined) return { kind: 'fingerprint', sha256: raw.fingerprint };
  return { kind: 'insecure-accept-any-host-key' };
}

/** A node's fields after inheritance, and where each inherited one is written (absent: on the node itself). */
interface Merged<T> {
  readonly value: T;
  readonly origin: ReadonlyMap<string, Path>;
}

/** Merges defaults → group → node; objects are replaced wholesale (a host-key policy never mixes). */
function inherit<T extends object>(
  ctx: Ctx,
  raw: RawTestbed,
  path: Path,
  defaults: { readonly path: Path; readonly value: T | undefined },
  node: T & { group?: string | undefined },
): Merged<T> {
  const origin = new Map<string, Path>();
  const take = (from: object, where: Path | undefined): void => {
    for (const k of Object.keys(stripUndefined(from))) {
      if (where === undefined) origin.delete(k);
      else origin.set(k, where);
    }
  };
  let merged: T = { ...(defaults.value ?? ({} as T)) };
  take(merged, defaults.path);
  if (node.group !== undefined) {
    const g = raw.groups?.[node.group];
    if (g === undefined) {
      const known = Object.keys(raw.groups ?? {});
      ctx.issues.push({
        path: [...path, 'group'],
        message: `unknown group "${node.group}"; groups: ${known.join(', ') || '(none defined)'}`,
      });
    } else {
      merged = { ...merged, ...stripUndefined(g as T) };
      take(g, ['groups', node.group]);
    }
  }
  take(node, undefined);
  return { value: { ...merged, ...stripUndefined(node) }, origin };
}

/**
 * Resolves `field` of a node where its value is written: on the node, its problems are the node's; in
 * defaults or a group, they are reported once there (`defaults.switch.credentials.password`), naming every
 * node that inherits the value, instead of once per node.
 */
function atOrigin<R>(ctx: Ctx, nodePath: Path, m: Merged<object>, field: string, f: (c: Ctx, p: Path) => R): R {
  const origin = m.origin.get(field);
  if (origin === undefined) return f(ctx, [...nodePath, field]);
  const local: Issue[] = [];
  const r = f({ ...ctx, issues: local }, [...origin, field]);
  for (const i of local) {
    const key = `${JSON.stringify(i.path)}\n${i.message}`;
    const prev = ctx.inherited.get(key);
    if (prev === undefined) ctx.inherited.set(key, { ...i, by: [nodePath] });
    else prev.by.push(nodePath);
  }
  return r;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function requireField<T>(ctx: Ctx, path: Path, field: string, value: T | undefined, where: string): value is T {
  if (value !== undefined) return true;
  ctx.issues.push({
    path: [...path, field],
    message: `required field is missing (set it here, on the ${where}'s group or in defaults.${where})`,
  });
  return false;
}

/**
 * Password authentication with insecureAcceptAnyHostKey sends the password to any machine that answers at
 * the address (a man in the middle collects it): refused unless the device opts in.
 */
function passwordToAnyHost(ctx: Ctx, path: Path, credentials: Credentials | undefined,
  hostKey: HostKeyPolicy | undefined, optIn: true | undefined): void {
  if (credentials?.password === undefined || hostKey?.kind !== 'insecure-accept-any-host-key' || optIn === true) return;
  ctx.issues.push({
    path: [...path, 'hostKey'],
    message: 'password authentication with insecureAcceptAnyHostKey would send the password to any host that ' +
      'answers at this address: pin the host key (knownHosts or fingerprint), authenticate with a privateKey, or ' +
      `accept the risk for this device only with allowPasswordWithInsecureHostKey: true on ${path.join('.')}`,
  });
}

const DEFAULT_PORTS: Record<string, number> = { 'frr-ssh': 22 };

/** Two switches on one management address would have one driver configure the other's device. */
function sameAddress(ctx: Ctx, seen: Map<string, string>, path: Path, name: string, address: string | undefined): void {
  const ip = address === undefined ? undefined : parseIp(address);
  if (ip === undefined) return;
  const key = `${ip.family}:${ip.addr.toString(16)}`;
  const holder = seen.get(key);
  if (holder === undefined) seen.set(key, name);
  else {
    ctx.issues.push({
      path: [...path, 'address'],
      message: `management address ${address} is already the address of switch "${holder}": each switch needs its own`,
    });
  }
}

export function resolveSwitches(ctx: Ctx, raw: RawTestbed): Switch[] {
  const out: Switch[] = [];
  const addresses = new Map<string, string>();
  for (const [name, node] of Object.entries(raw.switches ?? {})) {
    const path = ['switches', name];
    const merged = inherit(ctx, raw, path, { path: ['defaults', 'switch'], value: raw.defaults.switch }, node);
    const m: RawSwitchFields = merged.value;
    sameAddress(ctx, addresses, path, name, m.address);
    const credentials = atOrigin(ctx, path, merged, 'credentials', (c, p) => resolveCredentials(c, p, m.credentials));
    const hostKey = atOrigin(ctx, path, merged, 'hostKey', (c, p) => resolveHostKey(c, p, m.hostKey));
    passwordToAnyHost(ctx, path, credentials, hostKey, node.allowPasswordWithInsecureHostKey);
    const ok = [
      requireField(ctx, path, 'site', m.site, 'switch'),
      requireField(ctx, path, 'role', m.role, 'switch'),
      requireField(ctx, path, 'kind', m.kind, 'switch'),
      requireField(ctx, path, 'address', m.address, 'switch'),
      requireField(ctx, path, 'credentials', m.credentials, 'switch'),
      requireField(ctx, path, 'hostKey', m.hostKey, 'switch'),
    ].every(Boolean);
    const cliCredentials = m.cli?.credentials === undefined ? undefined
      : atOrigin(ctx, path, merged, 'cli', (c, p) => resolveCredentials(c, [...p, 'credentials'], m.cli?.credentials));
    if (cliCredentials?.password !== undefined)
      passwordToAnyHost(ctx, path, cliCredentials, hostKey, node.allowPasswordWithInsecureHostKey);
    if (!ok || credentials === undefined || hostKey === undefined) continue;
    const cli = m.cli === undefined ? undefined
      : { port: m.cli.port, platform: m.cli.platform, ...defined({ credentials: cliCredentials }) };
    out.push({
      name, site: m.site as string, role: m.role as Switch['role'], kind: m.kind as Switch['kind'],
      address: m.address as string, port: m.port ?? DEFAULT_PORTS[m.kind as string] ?? 830, credentials, hostKey,
      ...defined({ cli, asn: m.asn, routerId: m.routerId, group: node.group }),
    });
  }
  return out;
}

export function resolveHypervisors(ctx: Ctx, raw: RawTestbed): Hypervisor[] {
  const out: Hypervisor[] = [];
  for (const [name, node] of Object.entries(raw.hypervisors)) {
    const path = ['hypervisors', name];
    const merged = inherit(ctx, raw, path, { path: ['defaults', 'hypervisor'], value: raw.defaults.hypervisor }, node);
    const m: RawHypervisorFields = merged.value;
    const credentials = atOrigin(ctx, path, merged, 'credentials', (c, p) => resolveCredentials(c, p, m.credentials));
    const hostKey = atOrigin(ctx, path, merged, 'hostKey', (c, p) => resolveHostKey(c, p, m.hostKey));
    passwordToAnyHost(ctx, path, credentials, hostKey, node.allowPasswordWithInsecureHostKey);
    const ok = [
      requireField(ctx, path, 'site', m.site, 'hypervisor'), requireField(ctx, path, 'uri', m.uri, 'hypervisor'),
      requireField(ctx, path, 'address', m.address, 'hypervisor'),
    ].every(Boolean);
    if (!ok) continue;
    if ((m.uri as string).startsWith('qemu+ssh') && hostKey === undefined && m.hostKey === undefined) {
      ctx.issues.push({
        path: [...path, 'hostKey'],
        message: 'an ssh libvirt URI needs a hostKey policy (knownHosts or fingerprint)',
      });
    }
    out.push({
      name, site: m.site as string, uri: m.uri as string, migrationUri: m.migrationUri ?? (m.uri as string),
      driver: m.driver ?? 'libvirt-rpc', address: m.address as string,
      ...defined({ credentials, hostKey, group: node.group }),
    });
  }
  return out;
}

export function resolveTrafficHosts(ctx: Ctx, raw: RawTestbed): TrafficHost[] {
  const out: TrafficHost[] = [];
  for (const [name, t] of Object.entries(raw.trafficHosts ?? {})) {
    const path = ['trafficHosts', name];
    if (t.kind === 'netns' && t.netns === undefined)
      ctx.issues.push({ path: [...path, 'netns'], message: 'a netns traffic host needs its namespace name' });
    if (t.kind === 'ssh') {
      if (t.address === undefined)
        ctx.issues.push({ path: [...path, 'address'], message: 'an ssh traffic host needs an address' });
      if (t.credentials === undefined)
        ctx.issues.push({ path: [...path, 'credentials'], message: 'an ssh traffic host needs credentials' });
      if (t.hostKey === undefined)
        ctx.issues.push({ path: [...path, 'hostKey'], message: 'an ssh traffic host needs a hostKey policy' });
    }
    const credentials = resolveCredentials(ctx, [...path, 'credentials'], t.credentials);
    const hostKey = resolveHostKey(ctx, [...path, 'hostKey'], t.hostKey);
    passwordToAnyHost(ctx, path, credentials, hostKey, t.allowPasswordWithInsecureHostKey);
    out.push({
      name, kind: t.kind,
      ...defined({ site: t.site, netns: t.netns, address: t.address, ipv4: t.ipv4, interface: t.interface }),
      ...(t.kind === 'ssh' ? { port: t.port } : {}),
      ...defined({ ipv6: t.ipv6, credentials, hostKey }), probeByDefault: t.probeByDefault,
    });
  }
  return out;
}
