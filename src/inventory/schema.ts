/**
 * Raw testbed schema (phase 1 of loading): the shape of the YAML document, field formats and
 * enumerations. Cross-references, inheritance and address-plan rules are phase 2 (resolve.ts).
 * The sole importer of zod; also exports the JSON Schema for editors.
 */
import { z } from 'zod';
import {
  HYPERVISOR_DRIVER_KINDS, MIGRATION_MODES, MIGRATION_STRATEGIES, SWITCH_DRIVER_KINDS, SWITCH_ROLES, TRAFFIC_HOST_KINDS,
  TUNNEL_ENCAPSULATIONS,
} from '../model/testbed.js';
import { isMac, parseCidr, parseIp, parseIpv4, parseIpv6 } from './ip.js';
import { parseThreshold, ThresholdSyntaxError } from '../verdict/threshold.js';

const kindEnum = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (iss) => `unknown ${what} "${String(iss.input)}"; supported: ${values.join(', ')}` });

/** An integer in [lo, hi]; the message names what it is and the allowed range. */
const intIn = (lo: number, hi: number, what: string) =>
  z.number({ error: `expected ${what} as a number (an integer from ${lo} to ${hi})` })
    .refine((v) => Number.isInteger(v) && v >= lo && v <= hi,
      { error: (iss) => `${what}: ${String(iss.input)} is not allowed; allowed: an integer from ${lo} to ${hi}` });

const fmt = (ok: (v: string) => boolean, what: string) =>
  z.string({ error: `expected ${what} as a string` })
    .refine(ok, { error: (iss) => `malformed ${what} "${String(iss.input)}"` });

const ipv4 = fmt((v) => parseIpv4(v) !== undefined, 'IPv4 address');
const ipv6 = fmt((v) => parseIpv6(v) !== undefined, 'IPv6 address');
const ipAny = fmt((v) => parseIp(v) !== undefined, 'IP address');
const cidr4 = fmt((v) => parseCidr(v)?.family === 4, 'IPv4 prefix (addr/len)');
const cidr6 = fmt((v) => parseCidr(v)?.family === 6, 'IPv6 prefix (addr/len)');
const mac = fmt(isMac, 'MAC address (xx:xx:xx:xx:xx:xx)').refine(
  (v) => (parseInt(v.slice(0, 2), 16) & 1) === 0,
  { error: (iss) => `MAC ${String(iss.input)} is a multicast address (the first octet's low bit is set): a VM needs ` +
    'a unicast MAC, e.g. 52:54:00:xx:xx:xx' },
);
/** `scheme://user:password@…`: userinfo with a password (the password itself is never quoted back). */
const URI_PASSWORD = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@:\s]*):[^/?#@\s]*@/;

/** libvirt's hypervisor drivers (the scheme before `+transport`); `http:` and the like are not libvirt URIs. */
export const LIBVIRT_DRIVERS = [
  'qemu', 'test', 'lxc', 'libxl', 'xen', 'vbox', 'bhyve', 'ch', 'vz', 'openvz', 'esx', 'vpx', 'remote',
] as const;
const LIBVIRT_URI = new RegExp(`^(${LIBVIRT_DRIVERS.join('|')})(\\+(unix|tcp|tls|ssh|libssh|libssh2|ext))?` +
  ':\\/\\/([^/?#\\s]*)(\\/[^?#\\s]*)?(\\?[^#\\s]*)?$');
/** The port of a URI authority (`host:port`, `[v6]:port`), when it has one. */
const uriPort = (v: string): string | undefined => /^[^:]+:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^:/?#@]*):([^/?#@]*)(?=[/?#]|$)/.exec(v)?.[1];
const libvirtUri = z.string({ error: 'expected a libvirt URI as a string' }).superRefine((v, ctx) => {
  const scheme = /^([A-Za-z][A-Za-z0-9.-]*)(\+[^:]*)?:/.exec(v);
  const port = uriPort(v);
  const say = (message: string): void => ctx.addIssue({ code: 'custom', message, input: v });
  if (URI_PASSWORD.test(v)) return; // reported by uriPasswords, without quoting the URI
  if (scheme !== null && !(LIBVIRT_DRIVERS as readonly string[]).includes(scheme[1] ?? '')) {
    say(`"${scheme[1] ?? ''}${scheme[2] ?? ''}:" is not a libvirt URI scheme; use one of ${LIBVIRT_DRIVERS.join(', ')}, ` +
      'with an optional +transport (+unix, +tcp, +tls, +ssh, +libssh, +libssh2, +ext), e.g. qemu+ssh://root@host/system');
  } else if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    say(`port "${port}" in libvirt URI "${v}" is out of range: ports are 1-65535`);
  } else if (!LIBVIRT_URI.test(v)) {
    say(`malformed libvirt URI "${v}"; the form is driver[+transport]://[user@][host][:port]/path[?params], ` +
      'e.g. qemu+tcp://198.18.10.11/system');
  }
});
/** A threshold on a statistic of repetitions, `p95(outage) <= 500 ms` (verdict/threshold.ts). */
const statisticThreshold = z.string({ error: 'expected a threshold expression such as "p95(outage) <= 500 ms"' })
  .superRefine((v, ctx) => {
    try {
      const t = parseThreshold(v, 'testbed');
      if (t.statistic === 'value') {
        ctx.addIssue({ code: 'custom', input: v,
          message: `threshold "${v}": a per-attempt bound belongs in maxOutageMs and its siblings; statistics take median, p95, min or max` });
      }
    } catch (e) {
      if (!(e instanceof ThresholdSyntaxError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message, input: v });
    }
  });
const port = z
  .number({ error: 'expected a port number' })
  .int()
  .min(1, 'port must be 1-65535')
  .max(65535, 'port must be 1-65535');
const name = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/, 'names start with a letter and use letters, digits, _ . -');
const positive = z.number().positive();
const nonNeg = z.number().min(0);

const credentials = z.strictObject({
  username: z.string().min(1),
  password: z.string().optional(),
  privateKey: z.string().optional(),
  passphrase: z.string().optional(),
});

const hostKey = z.strictObject({
  knownHosts: z.string().min(1).optional(),
  fingerprint: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'fingerprint must look like SHA256:<base64, 43 chars>')
    .optional(),
  insecureAcceptAnyHostKey: z.literal(true).optional(),
});

const cli = z.strictObject({
  port: port.default(22),
  platform: kindEnum(['linux', 'frr-vtysh', 'junos', 'eos'] as const, 'CLI platform'),
  /** Who logs in to the CLI when it is not the switch's NETCONF user (`credentials`). */
  credentials: credentials.optional(),
});

/** Fields a switch may take from defaults.switch, its group or itself. */
const switchFields = {
  group: z.string().optional(),
  site: z.string().optional(),
  role: kindEnum(SWITCH_ROLES, 'switch role').optional(),
  kind: kindEnum(SWITCH_DRIVER_KINDS, 'switch driver kind').optional(),
  address: ipAny.optional(),
  port: port.optional(),
  credentials: credentials.optional(),
  hostKey: hostKey.optional(),
  cli: cli.optional(),
  asn: z.number().int().min(1).max(4294967295).optional(),
  routerId: ipv4.optional(),
};

const hypervisorFields = {
  group: z.string().optional(),
  site: z.string().optional(),
  driver: kindEnum(HYPERVISOR_DRIVER_KINDS, 'hypervisor driver kind').optional(),
  address: ipAny.optional(),
  uri: libvirtUri.optional(),
  migrationUri: libvirtUri.optional(),
  credentials: credentials.optional(),
  hostKey: hostKey.optional(),
};

const endpointObject = z.strictObject({
  device: z.string(),
  port: z.string().min(1),
  ipv4: cidr4.optional(),
  ipv6: cidr6.optional(),
});
/** `device:port` shorthand or the object form. */
const endpoint = z.union([
  z.string().regex(/^[^:\s]+:[^:\s]+$/, 'endpoint shorthand is "device:port"'),
  endpointObject,
], { error: 'endpoint must be "device:port" or { device, port, ipv4?, ipv6? }' });

const impairment = z.strictObject({
  delayMs: nonNeg.default(0), jitterMs: nonNeg.default(0),
  lossPct: nonNeg.max(100, 'lossPct is a percentage (0-100)').default(0), rateMbit: nonNeg.default(0),
});

const linkObject = z.strictObject({
  name: name.optional(),
  endpoints: z.tuple([endpoint, endpoint], { error: 'a link has exactly two endpoints' }),
  wan: z.boolean().optional(),
  impairment: impairment.optional(),
});
/** `[a, b]` shorthand or the object form; the shorthand is read as `{ endpoints: [a, b] }`. */
const link = z.preprocess((v) => (Array.isArray(v) ? { endpoints: v } : v), linkObject);

const afPlan = (cidr: typeof cidr4, addr: typeof ipv4) => z.strictObject({ prefix: cidr, gateway: addr });

/** A Linux/NOS interface name: 1-15 characters, no blanks or slashes (IFNAMSIZ). */
const ifName = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'interface names are 1-15 letters, digits, _ . : -');

const subnet = z.strictObject({
  site: z.string(),
  ipv4: afPlan(cidr4, ipv4).optional(),
  ipv6: afPlan(cidr6, ipv6).optional(),
  vni: z.number().int().min(1).max(16777215, 'VNI is 24 bits (1-16777215)').optional(),
  /** Interface serving the subnet on its switches (SVI or bridge); default from the switch platform. */
  interface: ifName.optional(),
  /** Interface holding the subnet's gateway addresses (default: `interface`). */
  gatewayInterface: ifName.optional(),
});

const vm = z.strictObject({
  home: z.string(),
  subnet: z.string(),
  ipv4: cidr4.optional(),
  ipv6: cidr6.optional(),
  mac,
  memoryMiB: z.number().int().min(16).default(128),
  vcpus: z.number().int().min(1).default(1),
  reflectorPort: z.number().int().min(1, 'reflectorPort must be 1-65535 (the guest\'s UDP reflector listens there)')
    .max(65535, 'reflectorPort must be 1-65535').default(7),
  tcpEchoPort: z.number().int().min(0).max(65535, 'tcpEchoPort must be 0 (none) or 1-65535').default(7),
  controlPort: z.number().int().min(0).max(65535, 'controlPort must be 0 (none) or 1-65535').default(0),
});

/**
 * Per device, never inherited: password authentication to a peer whose host key is not verified hands the
 * password to whoever answers at the address. Allowed only where the user says so for that device.
 */
const passwordOptIn = { allowPasswordWithInsecureHostKey: z.literal(true).optional() };

const trafficHost = z.strictObject({
  kind: kindEnum(TRAFFIC_HOST_KINDS, 'traffic host kind'),
  site: z.string().optional(),
  netns: z.string().optional(),
  address: ipAny.optional(),
  ipv4: cidr4.optional(),
  ipv6: cidr6.optional(),
  /** SSH port (kind ssh). */
  port: port.default(22),
  /** The host's interface on its subnet (the conflict probe's link); default: found by route lookup. */
  interface: ifName.optional(),
  credentials: credentials.optional(),
  hostKey: hostKey.optional(),
  /** Probe every migration from this host unless a run names its traffic hosts (default true). */
  probeByDefault: z.boolean().default(true),
  ...passwordOptIn,
});

const group = z.strictObject({ ...switchFields, ...hypervisorFields, group: z.undefined().optional() });

export const rawTestbedSchema = z.strictObject({
  name,
  description: z.string().optional(),
  lab: z
    .strictObject({
      prefix: z
        .string()
        .regex(/^[a-z][a-z0-9]{0,7}$/, 'lab prefix: 1-8 lowercase letters/digits (namespace names stay short)'),
      dir: z.string().regex(/^\//, 'lab dir must be absolute'),
      wanLink: z.string().optional(),
    })
    .optional(),
  defaults: z
    .strictObject({
      migration: z
        .strictObject({
          bandwidthMiBs: positive.default(4096),
          maxDowntimeMs: positive.default(300),
          strategy: kindEnum(MIGRATION_STRATEGIES, 'migration strategy').default('host-route-static'),
          timeoutMs: positive.default(120000),
          stageSwitchover: z.boolean().default(true),
          mode: kindEnum(MIGRATION_MODES, 'migration mode').default('precopy'),
          postcopyAfterIterations: intIn(0, 1000, 'precopy passes before the postcopy switch').optional(),
          postcopyStallIterations: intIn(1, 1000, 'passes without progress before the postcopy switch').optional(),
          autoConvergeInitialPct: intIn(1, 99, 'initial vCPU throttle, percent').optional(),
          autoConvergeIncrementPct: intIn(1, 99, 'vCPU throttle increment, percent').optional(),
          multifdChannels: intIn(1, 255, 'multifd channels').optional(),
          xbzrleCacheMiB: intIn(1, 1048576, 'xbzrle cache, MiB').optional(),
        })
        .prefault({}),
      probe: z
        .strictObject({
          ratePps: positive.max(100000).default(1000),
          baselineMs: nonNeg.default(1000),
          drainMs: nonNeg.default(500),
          payloadBytes: z.number().int().min(16).max(1400).default(16),
        })
        .prefault({}),
      thresholds: z
        .strictObject({
          maxOutageMs: positive.default(5000),
          maxLossPct: nonNeg.max(100).default(100),
          maxReconvergenceMs: positive.default(5000),
          maxRttStepMs: positive.default(5),
          statistics: z.array(statisticThreshold).max(64).optional(),
        })
        .prefault({}),
      tunnel: z
        .strictObject({
          encapsulation: kindEnum(TUNNEL_ENCAPSULATIONS, 'tunnel encapsulation').default('ipip'),
        })
        .prefault({}),
      switch: z.strictObject(switchFields).optional(),
      hypervisor: z.strictObject(hypervisorFields).optional(),
    })
    .prefault({}),
  groups: z.record(name, group).optional(),
  sites: z.record(name, z.strictObject({ description: z.string().optional() }).nullable()),
  hypervisors: z.record(name, z.strictObject({ ...hypervisorFields, ...passwordOptIn })),
  switches: z.record(name, z.strictObject({ ...switchFields, ...passwordOptIn })).optional(),
  links: z.array(link).optional(),
  subnets: z.record(name, subnet).optional(),
  vms: z.record(name, vm).optional(),
  trafficHosts: z.record(name, trafficHost).optional(),
});

export type RawTestbed = z.output<typeof rawTestbedSchema>;
/** What a testbed document may contain before defaults apply (the input of defineTestbed). */
export type TestbedInput = z.input<typeof rawTestbedSchema>;
export type RawEndpoint = z.output<typeof endpoint>;
export type RawLink = z.output<typeof link>;
export type RawSwitchFields = z.output<z.ZodObject<typeof switchFields>>;
export type RawHypervisorFields = z.output<z.ZodObject<typeof hypervisorFields>>;
export type RawCredentials = z.output<typeof credentials>;
export type RawHostKey = z.output<typeof hostKey>;

export interface SchemaIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const EXPECTED: Readonly<Record<string, string>> = {
  object: 'a mapping', record: 'a mapping', map: 'a mapping', array: 'a list', tuple: 'a list', set: 'a list',
  string: 'a string', number: 'a number', int: 'an integer', bigint: 'an integer', boolean: 'true or false',
  null: 'null', undefined: 'nothing',
};

/** What a YAML value is, for `expected X, got Y` (a string is quoted, at most 40 characters). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v === 'number' ? 'the number ' : ''}${v}`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

function typeMessage(i: z.core.$ZodIssueInvalidType): string {
  if (i.input === undefined) return 'required field is missing';
  // A message written for the field (`expected IPv4 address as a string`) says more than zod's type name.
  const expected = i.message.startsWith('expected ') ? i.message : `expected ${EXPECTED[i.expected] ?? i.expected}`;
  return `${expected}, got ${describeValue(i.input)}`;
}


/**
 * Every string of the document holding a URI with a password in it: `testbed show`, logs and reports
 * would print it, and it bypasses the secret references. Found in any field, not only the libvirt URIs.
 */
function uriPasswords(doc: unknown, path: (string | number)[] = [], out: SchemaIssue[] = []): SchemaIssue[] {
  if (typeof doc === 'string') {
    const m = URI_PASSWORD.exec(doc);
    if (m !== null) {
      out.push({
        path,
        message: `a password is written in the URI ("${m[1] ?? ''}${m[2] ?? ''}:***@…"): remove it from the URI ` +
          'and give it by reference in the credentials, e.g. credentials: { username: …, password: "${env:NAME}" } ' +
          '(or "${file:path}")',
      });
    }
  } else if (Array.isArray(doc)) {
    doc.forEach((v, i) => uriPasswords(v, [...path, i], out));
  } else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) uriPasswords(v, [...path, k], out);
  }
  return out;
}

/** Phase 1: validates the raw document; returns the typed raw value or every issue found. */
export function parseRaw(doc: unknown): { ok: true; value: RawTestbed } | { ok: false; issues: SchemaIssue[] } {
  // reportInput: an issue carries the value it is about, which tells a wrong type from a missing field.
  const r = rawTestbedSchema.safeParse(doc, { reportInput: true });
  const issues: SchemaIssue[] = uriPasswords(doc);
  if (r.success) return issues.length === 0 ? { ok: true, value: r.data } : { ok: false, issues };
  for (const i of r.error.issues) {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) issues.push({ path: [...path, k], message: `unknown field "${k}"` });
    } else if (i.code === 'invalid_type') {
      issues.push({ path, message: typeMessage(i) });
    } else if (i.code === 'invalid_key') {
      const why = i.issues[0]?.message ?? i.message;
      issues.push({ path, message: `invalid name "${String(path.at(-1))}": ${why}` });
    } else {
      issues.push({ path, message: i.message });
    }
  }
  return { ok: false, issues };
}

/**
 * JSON Schema (draft 2020-12) of the testbed file, for editors (`vmmi testbed schema`). The link shorthand
 * `[a, b]` is read by a preprocess step, which zod cannot express in JSON Schema: the link's schema is
 * written out as "the shorthand or the object form".
 */
export function testbedJsonSchema(): unknown {
  const shorthand = z.toJSONSchema(z.tuple([endpoint, endpoint]), { io: 'input' }) as Record<string, unknown>;
  delete shorthand.$schema;
  return z.toJSONSchema(rawTestbedSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema !== link) return;
      const objectForm = { ...ctx.jsonSchema };
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
      Object.assign(ctx.jsonSchema, { anyOf: [shorthand, objectForm] });
    },
  });
}
