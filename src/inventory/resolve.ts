/**
 * Phase 2 of loading (pure): raw testbed → frozen, typed Testbed. Expands `${lab:dir}`, applies
 * inheritance, resolves secret references through an injected resolver, checks every cross-reference
 * and address-plan rule, and collects every problem instead of stopping at the first.
 */
import type { Testbed } from '../model/testbed.js';
import {
  resolveHypervisors, resolveSwitches, resolveTrafficHosts, type Ctx, type Issue, type SecretResolver,
} from './resolve-devices.js';
import { fmtPath, resolveLinks, resolveSubnets, resolveVms, unknownSite } from './resolve-network.js';
import type { RawTestbed } from './schema.js';
import { defined } from '../model/defined.js';

export type { Issue, Path, SecretResolver } from './resolve-devices.js';

export interface ResolveOptions {
  readonly resolveSecret: SecretResolver;
  /** Makes relative file paths absolute (default: unchanged). */
  readonly resolvePath?: (p: string) => string;
  readonly file?: string;
  readonly sha256?: string;
  /** Overrides `lab.dir` (e.g. a per-user lab). */
  readonly labDir?: string;
  /** Overrides `lab.prefix`. */
  readonly labPrefix?: string;
}

export type ResolveResult = { ok: true; testbed: Testbed } | { ok: false; issues: Issue[] };

const LAB_DIR = /\$\{lab:dir\}/g;

/** Replaces `${lab:dir}` in every string; reports use without a lab section. */
function expandLabDir(raw: RawTestbed, labDir: string | undefined, issues: Issue[]): RawTestbed {
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${lab:dir}')) return v;
      if (labDir === undefined) {
        issues.push({ path, message: '${lab:dir} is used but the testbed has no lab section' });
        return v;
      }
      return v.replace(LAB_DIR, labDir);
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return v;
  };
  return walk(raw, []) as RawTestbed;
}

export function resolveTestbed(input: RawTestbed, options: ResolveOptions): ResolveResult {
  const issues: Issue[] = [];
  const labDir = options.labDir ?? input.lab?.dir;
  const raw = expandLabDir(input, labDir, issues);
  const ctx: Ctx = {
    issues, inherited: new Map(), resolveSecret: options.resolveSecret, resolvePath: options.resolvePath ?? ((p) => p),
  };
  const sites = new Set(Object.keys(raw.sites));

  const hypervisors = resolveHypervisors(ctx, raw);
  const switches = resolveSwitches(ctx, raw);
  const trafficHosts = resolveTrafficHosts(ctx, raw);

  const owner = new Map<string, string>();
  const claim = (kind: string, name: string, path: (string | number)[]): void => {
    const prev = owner.get(name);
    if (prev !== undefined) issues.push({ path, message: `duplicate name "${name}": already a ${prev}` });
    else owner.set(name, kind);
  };
  for (const n of Object.keys(raw.hypervisors)) claim('hypervisor', n, ['hypervisors', n]);
  for (const n of Object.keys(raw.switches ?? {})) claim('switch', n, ['switches', n]);
  for (const n of Object.keys(raw.trafficHosts ?? {})) claim('traffic host', n, ['trafficHosts', n]);
  for (const n of Object.keys(raw.vms ?? {})) claim('VM', n, ['vms', n]);

  for (const [kind, list] of [
    ['hypervisors', hypervisors],
    ['switches', switches],
    ['trafficHosts', trafficHosts],
  ] as const) {
    for (const d of list) {
      if (d.site !== undefined && !sites.has(d.site))
        issues.push({ path: [kind, d.name, 'site'], message: unknownSite(d.site, sites) });
    }
  }

  const devices = new Set([
    ...Object.keys(raw.hypervisors),
    ...Object.keys(raw.switches ?? {}),
    ...Object.keys(raw.trafficHosts ?? {}),
  ]);
  for (const i of ctx.inherited.values())
    issues.push({ path: i.path, message: `${i.message} (inherited by ${i.by.map(fmtPath).join(', ')})` });
  const links = resolveLinks(ctx, raw, devices);
  const subnets = resolveSubnets(ctx, raw, sites);
  const vms = resolveVms(ctx, raw, new Set(Object.keys(raw.hypervisors)), subnets);

  if (raw.lab?.wanLink !== undefined && !links.some((l) => l.name === raw.lab?.wanLink)) {
    issues.push({
      path: ['lab', 'wanLink'],
      message: `unknown link "${raw.lab.wanLink}"; links: ${links.map((l) => l.name).join(', ')}`,
    });
  }
  if (issues.length > 0) return { ok: false, issues };

  const d = raw.defaults;
  const testbed: Testbed = {
    name: raw.name,
    ...defined({ description: raw.description, file: options.file }),
    ...defined({ sha256: options.sha256 }),
    sites: Object.entries(raw.sites).map(([name, s]) => ({
      name,
      ...(s?.description === undefined ? {} : { description: s.description }),
    })),
    hypervisors,
    switches,
    links,
    subnets,
    vms,
    trafficHosts,
    migration: d.migration,
    probe: d.probe,
    thresholds: d.thresholds,
    tunnel: d.tunnel,
    ...(raw.lab === undefined
      ? {}
      : {
          lab: {
            prefix: options.labPrefix ?? raw.lab.prefix,
            dir: labDir ?? raw.lab.dir,
            ...defined({ wanLink: raw.lab.wanLink }),
          },
        }),
  };
  return { ok: true, testbed: deepFreeze(testbed) };
}

/** Freezes plain objects and arrays recursively; class instances (Secret) are left as they are. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
