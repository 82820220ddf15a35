/**
 * Schema of a certification profile (pure): the shape of the YAML document and the rules across its
 * fields (threshold expressions parse and bound statistics, every threshold names known scenarios and
 * says why, the CI variant covers every scenario with no more repetitions than the full profile).
 * Every problem comes back at once with its dotted path (`thresholds[2].why: required field is missing`).
 *
 * The sole zod importer for profiles. Why not inventory/schema.ts: that file is the testbed's raw
 * schema and publishes the testbed JSON Schema; a profile is another document with its own life cycle
 * (versioned, immutable), and keeping it apart keeps the testbed schema's export free of it.
 */
import { z } from 'zod';
import { METRIC_NAMES } from '../measure/metric-catalogue.js';
import { MIGRATION_STRATEGIES } from '../model/testbed.js';
import { parseThreshold, ThresholdSyntaxError } from '../verdict/threshold.js';
import { EXPECTATIONS, PLACEMENTS, PROBE_METHODS, type Profile } from './profile-types.js';

export interface ProfileIssue {
  /** Dotted path into the document: `scenarios[1].repetitions`. */
  readonly path: string;
  readonly message: string;
}

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (iss) => `unknown ${what} "${String(iss.input)}"; one of ${values.join(', ')}` });
const text = (what: string) => z.string({ error: `expected ${what} as a string` }).trim().min(1, `${what} is empty`);
const id = z.string({ error: 'expected an id as a string' })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an id is lower-case letters, digits and dashes (at most 63)');
const family = z.union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' });
const positiveInt = (max: number) => z.number({ error: 'expected a whole number' }).int('expected a whole number')
  .min(1, 'must be at least 1').max(max, `must be at most ${max}`);

const scenario = z.strictObject({
  id,
  description: text('description'),
  strategy: oneOf(MIGRATION_STRATEGIES, 'strategy'),
  families: z.array(family).min(1, 'at least one family').max(2),
  traffic: oneOf(PLACEMENTS, 'traffic-host placement'),
  wanDelayMs: z.number({ error: 'expected a delay in ms' }).min(0).max(500).default(0),
  repetitions: positiveInt(1000),
  expect: oneOf(EXPECTATIONS, 'expectation').default('migrated'),
});

const threshold = z.strictObject({
  id,
  expr: z.string({ error: 'expected a threshold expression such as "p95(outage) <= 500 ms"' }).superRefine((v, ctx) => {
    try {
      if (parseThreshold(v, 'profile').statistic === 'value') {
        ctx.addIssue({ code: 'custom', message: `"${v}": a profile bounds statistics of repetitions (median, p95, min, max)` });
      }
    } catch (e) {
      if (!(e instanceof ThresholdSyntaxError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
    }
  }),
  scenarios: z.array(id).min(1, 'name at least one scenario'),
  why: text('why (every threshold is justified)'),
});

export const profileSchema = z.strictObject({
  name: id,
  version: positiveInt(1_000_000),
  title: text('title'),
  sources: z.array(text('source')).min(1, 'name the documents the requirements come from'),
  requires: z.strictObject({
    strategies: z.array(oneOf(MIGRATION_STRATEGIES, 'strategy')).min(1),
    addressFamilies: z.array(family).min(1),
    wanImpairment: z.boolean({ error: 'expected true or false' }),
    trafficHosts: z.array(oneOf(PLACEMENTS, 'traffic-host placement')).min(1),
  }),
  probe: z.strictObject({
    method: oneOf(PROBE_METHODS, 'probe method'),
    ratePps: z.number({ error: 'expected packets per second' }).int().min(100, 'below 100 pps the resolution is '
      + 'coarser than 10 ms').max(10_000),
    // measurement.md §7: a pre-trigger baseline of at least 1 s.
    baselineMs: z.number({ error: 'expected ms' }).int().min(1000, 'the baseline is at least 1000 ms').max(60_000),
  }),
  scenarios: z.array(scenario).min(1),
  thresholds: z.array(threshold).min(1),
  reportFields: z.array(z.string().refine((v) => (METRIC_NAMES as readonly string[]).includes(v),
    { error: (iss) => `unknown report field "${String(iss.input)}" (a runs.csv metric name)` })).min(1),
  ci: z.strictObject({
    repetitions: z.record(id, positiveInt(1000)),
    baselineMs: z.number({ error: 'expected ms' }).int().min(1000, 'the baseline is at least 1000 ms'),
  }),
});

const fmt = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((a, p) => (typeof p === 'number' ? `${a}[${p}]` : a === '' ? String(p) : `${a}.${String(p)}`), '');

/** Rules across fields, on a document of the right shape. */
function crossCheck(p: Profile): ProfileIssue[] {
  const out: ProfileIssue[] = [];
  const ids = p.scenarios.map((s) => s.id);
  ids.forEach((x, i) => {
    if (ids.indexOf(x) !== i) out.push({ path: `scenarios[${i}].id`, message: `duplicate scenario id "${x}"` });
  });
  p.scenarios.forEach((s, i) => {
    const at = `scenarios[${i}]`;
    if (!p.requires.strategies.includes(s.strategy))
      out.push({ path: `${at}.strategy`, message: `"${s.strategy}" is not in requires.strategies` });
    for (const f of s.families) if (!p.requires.addressFamilies.includes(f))
      out.push({ path: `${at}.families`, message: `IPv${f} is not in requires.addressFamilies` });
    if (!p.requires.trafficHosts.includes(s.traffic))
      out.push({ path: `${at}.traffic`, message: `"${s.traffic}" is not in requires.trafficHosts` });
    if (s.wanDelayMs > 0 && !p.requires.wanImpairment)
      out.push({ path: `${at}.wanDelayMs`, message: 'a WAN delay needs requires.wanImpairment: true' });
    const ci = p.ci.repetitions[s.id];
    if (ci === undefined) out.push({ path: 'ci.repetitions', message: `no CI repetitions for scenario "${s.id}"` });
    else if (ci > s.repetitions)
      out.push({ path: `ci.repetitions.${s.id}`, message: `${ci} is more than the full profile's ${s.repetitions}` });
  });
  for (const k of Object.keys(p.ci.repetitions)) if (!ids.includes(k))
    out.push({ path: `ci.repetitions.${k}`, message: `unknown scenario "${k}"` });
  const tids = p.thresholds.map((t) => t.id);
  p.thresholds.forEach((t, i) => {
    if (tids.indexOf(t.id) !== i) out.push({ path: `thresholds[${i}].id`, message: `duplicate threshold id "${t.id}"` });
    t.scenarios.forEach((s, j) => {
      const sc = p.scenarios.find((x) => x.id === s);
      if (sc === undefined) out.push({ path: `thresholds[${i}].scenarios[${j}]`, message: `unknown scenario "${s}"; `
        + `scenarios: ${ids.join(', ')}` });
      else if (sc.expect !== 'migrated') out.push({ path: `thresholds[${i}].scenarios[${j}]`,
        message: `scenario "${s}" expects a refusal: it has no figures to bound` });
    });
  });
  return out;
}

/** Validates a parsed profile document: the typed profile, or every problem with its path. */
export function parseProfile(doc: unknown): { ok: true; profile: Profile } | { ok: false; issues: ProfileIssue[] } {
  const r = profileSchema.safeParse(doc, { reportInput: true });
  if (!r.success) {
    return { ok: false, issues: r.error.issues.flatMap((i): ProfileIssue[] => {
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: fmt([...i.path, k]), message: `unknown field "${k}"` }));
      const missing = i.code === 'invalid_type' && i.input === undefined;
      return [{ path: fmt(i.path), message: missing ? 'required field is missing' : i.message }];
    }) };
  }
  const profile = r.data as Profile;
  const issues = crossCheck(profile);
  return issues.length === 0 ? { ok: true, profile } : { ok: false, issues };
}
