import { ReportError } from '../errors/classes.js';
import {
  ADDRESS_FAMILIES,
  HEALTHS,
  MEMORY_INTEGRITY_STATES,
  METRIC_NAMES,
  TIMELINE_SOURCES,
  VERDICTS,
  JUDGEMENT_OUTCOMES,
  metricUnit,
  scenarioName,
  type DecompositionPart,
  type Episode,
  type ManifestFacts,
  type MemoryIntegrityRecord,
  type Metric,
  type RateSeries,
  type RecordJudgement,
  type RunRecord,
  type ThresholdFact,
  type ScenarioParams,
  type TimelineEvent,
  type PathRecord,
  type PathTraceRecord,
  type PathHopRecord,
  type FloodingRecord,
  SUPPRESSION_STATES,
} from './record.js';

/**
 * Hand-written validators for records that arrive as attachments or history rows. Every failure is a
 * `ReportError` (code REPORT) whose `path` names the offending field (`metrics[2].value`), so a broken
 * spec is pointed at, not guessed at. Unknown extra fields are dropped, never passed through.
 */

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new ReportError(what, {
    path,
    hint: 'fix the code that builds the RunRecord (see src/report/record.ts; metric names and units: src/measure/metric-catalogue.ts)',
  });
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${kind(v)}`);
  return v as Obj;
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function str(o: Obj, k: string, path: string): string {
  const v = o[k];
  if (typeof v !== 'string') fail(`${path}${k}`, `expected a string, got ${kind(v)}`);
  return v;
}

function optStr(o: Obj, k: string, path: string): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, path);
}

function num(o: Obj, k: string, path: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}${k}`, `expected a finite number, got ${kind(v)}`);
  return v;
}

function numOrNull(o: Obj, k: string, path: string): number | null {
  return o[k] === null ? null : num(o, k, path);
}

function int(o: Obj, k: string, path: string, min: number): number {
  const v = num(o, k, path);
  if (!Number.isInteger(v) || v < min) fail(`${path}${k}`, `expected an integer ≥ ${min}, got ${v}`);
  return v;
}

function oneOf<T extends string>(o: Obj, k: string, path: string, allowed: readonly T[]): T {
  const v = str(o, k, path);
  if (!(allowed as readonly string[]).includes(v)) fail(`${path}${k}`, `"${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

function arr<T>(o: Obj, k: string, path: string, each: (v: unknown, p: string) => T): T[] {
  const v = o[k];
  if (!Array.isArray(v)) fail(`${path}${k}`, `expected an array, got ${kind(v)}`);
  return v.map((x, i) => each(x, `${path}${k}[${i}]`));
}

function strArr(o: Obj, k: string, path: string): string[] {
  return arr(o, k, path, (x, p) => {
    if (typeof x !== 'string') fail(p, `expected a string, got ${kind(x)}`);
    return x;
  });
}

function parseMetric(v: unknown, p: string): Metric {
  const o = obj(v, p);
  const q = `${p}.`;
  const name = oneOf(o, 'name', q, METRIC_NAMES);
  const unit = str(o, 'unit', q);
  if (unit !== metricUnit(name)) {
    fail(`${q}unit`, `"${unit}" does not match ${name} (expected "${metricUnit(name)}")`);
  }
  const m: Metric = {
    name, value: numOrNull(o, 'value', q), unit: metricUnit(name), method: str(o, 'method', q),
    resolutionMs: numOrNull(o, 'resolutionMs', q), clock: str(o, 'clock', q),
  };
  if (m.name === 'tcp_survived' && m.value !== null && m.value !== 0 && m.value !== 1) {
    fail(`${q}value`, 'tcp_survived is 1 (survived) or 0');
  }
  const note = optStr(o, 'note', q);
  return note === undefined ? m : { ...m, note };
}

function parseEpisode(v: unknown, p: string): Episode {
  const o = obj(v, p);
  const q = `${p}.`;
  return {
    flow: str(o, 'flow', q), startMs: num(o, 'startMs', q), endMs: num(o, 'endMs', q),
    firstSeq: int(o, 'firstSeq', q, 0), lastSeq: int(o, 'lastSeq', q, 0), lost: int(o, 'lost', q, 0),
  };
}

function parseEvent(v: unknown, p: string): TimelineEvent {
  const o = obj(v, p);
  const q = `${p}.`;
  return {
    tMs: num(o, 'tMs', q), wallMs: num(o, 'wallMs', q), source: oneOf(o, 'source', q, TIMELINE_SOURCES),
    host: str(o, 'host', q), kind: str(o, 'kind', q), detail: str(o, 'detail', q),
  };
}

function parsePart(v: unknown, p: string): DecompositionPart {
  const o = obj(v, p);
  return { component: str(o, 'component', `${p}.`), ms: num(o, 'ms', `${p}.`) };
}

function parseRates(v: unknown, p: string): RateSeries {
  const o = obj(v, p);
  const samples = arr(o, 'samples', `${p}.`, (s, sp) => {
    const so = obj(s, sp);
    return { tMs: num(so, 'tMs', `${sp}.`), pps: num(so, 'pps', `${sp}.`) };
  });
  return { flow: str(o, 'flow', `${p}.`), samples };
}

function parseParams(v: unknown, p: string): ScenarioParams {
  const o = obj(v, p);
  const q = `${p}.`;
  const base = {
    topology: str(o, 'topology', q),
    strategy: str(o, 'strategy', q),
    addressFamily: oneOf(o, 'addressFamily', q, ADDRESS_FAMILIES),
  };
  if (o.variant === undefined) return base;
  const vo = obj(o.variant, `${q}variant`);
  const variant: Record<string, string | number | boolean> = {};
  for (const [k, x] of Object.entries(vo)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      fail(`${q}variant.${k}`, `expected a string, number or boolean, got ${kind(x)}`);
    }
    variant[k] = x;
  }
  return { ...base, variant };
}

/** Validates an unknown value (decoded JSON) as a RunRecord; throws ReportError naming the field. */
export function parseRunRecord(v: unknown): RunRecord {
  const o = obj(v, 'record');
  const params = parseParams(o.params, 'params');
  const scenario = str(o, 'scenario', '');
  if (scenario !== scenarioName(params)) {
    fail('scenario', `"${scenario}" does not match its parameters ("${scenarioName(params)}"); build records `
      + 'with createRunRecord so names are derived, never hand-typed');
  }
  const strategy = str(o, 'strategy', '');
  if (strategy !== params.strategy) fail('strategy', `"${strategy}" differs from params.strategy`);
  const addressFamily = oneOf(o, 'addressFamily', '', ADDRESS_FAMILIES);
  if (addressFamily !== params.addressFamily) fail('addressFamily', 'differs from params.addressFamily');
  const attempt = int(o, 'attempt', '', 1);
  const attemptOf = int(o, 'attemptOf', '', 1);
  if (attempt > attemptOf) fail('attempt', `attempt ${attempt} exceeds attemptOf ${attemptOf}`);
  const startedWall = str(o, 'startedWall', '');
  if (Number.isNaN(Date.parse(startedWall))) fail('startedWall', `"${startedWall}" is not an ISO 8601 time`);
  const metrics = arr(o, 'metrics', '', parseMetric);
  const seen = new Set<string>();
  metrics.forEach((m, i) => {
    if (seen.has(m.name)) fail(`metrics[${i}].name`, `duplicate metric "${m.name}"`);
    seen.add(m.name);
  });
  const c = obj(o.conformance, 'conformance');
  const conformance = { ok: bool(c, 'ok', 'conformance.'), violations: strArr(c, 'violations', 'conformance.') };
  const rec: RunRecord = {
    runId: str(o, 'runId', ''), params, scenario, strategy, vm: str(o, 'vm', ''),
    source: str(o, 'source', ''), destination: str(o, 'destination', ''), addressFamily, startedWall,
    metrics, verdict: oneOf(o, 'verdict', '', VERDICTS), health: oneOf(o, 'health', '', HEALTHS),
    healthReasons: strArr(o, 'healthReasons', ''), attempt, attemptOf,
    episodes: arr(o, 'episodes', '', parseEpisode), timeline: arr(o, 'timeline', '', parseEvent),
    decomposition: arr(o, 'decomposition', '', parsePart), conformance, rates: arr(o, 'rates', '', parseRates),
  };
  const mi = o.memoryIntegrity === undefined ? undefined : parseIntegrity(o.memoryIntegrity);
  const withMi = mi === undefined ? rec : { ...rec, memoryIntegrity: mi };
  const withJ = o.judgements === undefined ? withMi
    : { ...withMi, judgements: arr(o, 'judgements', '', parseJudgement) };
  const withPath = o.path === undefined ? withJ : { ...withJ, path: parsePath(o.path) };
  const withFlood = o.flooding === undefined ? withPath : { ...withPath, flooding: parseFlooding(o.flooding) };
  const error = optStr(o, 'error', '');
  return error === undefined ? withFlood : { ...withFlood, error };
}

function parseHop(v: unknown, p: string): PathHopRecord {
  const h = obj(v, p);
  const q = `${p}.`;
  const rttMs = arr(h, 'rttMs', q, (x, at) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) fail(at, `expected a non-negative number, got ${kind(x)}`);
    return x;
  });
  const [address, device, site] = [optStr(h, 'address', q), optStr(h, 'device', q), optStr(h, 'site', q)];
  return { ttl: int(h, 'ttl', q, 1), rttMs, ...(address === undefined ? {} : { address }),
    ...(device === undefined ? {} : { device }), ...(site === undefined ? {} : { site }) };
}

function parseTrace(v: unknown, p: string): PathTraceRecord {
  const t = obj(v, p);
  const q = `${p}.`;
  return { from: str(t, 'from', q), to: str(t, 'to', q), when: oneOf(t, 'when', q, ['before', 'after'] as const),
    reached: bool(t, 'reached', q), hops: arr(t, 'hops', q, parseHop) };
}

function parsePath(v: unknown): PathRecord {
  const o = obj(v, 'path');
  const base: PathRecord = { oldSite: str(o, 'oldSite', 'path.'), traces: arr(o, 'traces', 'path.', parseTrace),
    method: str(o, 'method', 'path.') };
  const detail = optStr(o, 'detail', 'path.');
  return { ...base, ...(o.viaOldSite === undefined ? {} : { viaOldSite: bool(o, 'viaOldSite', 'path.') }),
    ...(detail === undefined ? {} : { detail }) };
}

function parseFlooding(v: unknown): FloodingRecord {
  const o = obj(v, 'flooding');
  return {
    suppression: oneOf(o, 'suppression', 'flooding.', SUPPRESSION_STATES),
    method: str(o, 'method', 'flooding.'),
    segments: arr(o, 'segments', 'flooding.', (x, p) => {
      const s = obj(x, p);
      const q = `${p}.`;
      return { device: str(s, 'device', q), bridge: str(s, 'bridge', q), arp: int(s, 'arp', q, 0),
        nd: int(s, 'nd', q, 0), unknownUnicast: int(s, 'unknownUnicast', q, 0) };
    }),
  };
}

function parseJudgement(v: unknown, p: string): RecordJudgement {
  const j = obj(v, p);
  return {
    threshold: str(j, 'threshold', `${p}.`), expression: str(j, 'expression', `${p}.`),
    source: str(j, 'source', `${p}.`), outcome: oneOf(j, 'outcome', `${p}.`, JUDGEMENT_OUTCOMES),
    value: numOrNull(j, 'value', `${p}.`), message: str(j, 'message', `${p}.`),
  };
}

const STATISTIC_WORDS = ['value', 'median', 'p95', 'min', 'max'] as const;

function parseThresholdFact(v: unknown, p: string): ThresholdFact {
  const t = obj(v, p);
  const base: ThresholdFact = {
    id: str(t, 'id', `${p}.`), metric: str(t, 'metric', `${p}.`),
    statistic: oneOf(t, 'statistic', `${p}.`, STATISTIC_WORDS), op: oneOf(t, 'op', `${p}.`, ['<=', '>='] as const),
    bound: num(t, 'bound', `${p}.`), source: str(t, 'source', `${p}.`),
  };
  const why = optStr(t, 'why', `${p}.`);
  return {
    ...base,
    ...(t.exceptStrategies === undefined ? {} : { exceptStrategies: strArr(t, 'exceptStrategies', `${p}.`) }),
    ...(t.scenarios === undefined ? {} : { scenarios: strArr(t, 'scenarios', `${p}.`) }),
    ...(why === undefined ? {} : { why }),
  };
}

function parseIntegrity(v: unknown): MemoryIntegrityRecord {
  const m = obj(v, 'memoryIntegrity');
  const base = {
    status: oneOf(m, 'status', 'memoryIntegrity.', MEMORY_INTEGRITY_STATES),
    detail: str(m, 'detail', 'memoryIntegrity.'),
    method: str(m, 'method', 'memoryIntegrity.'),
  };
  if (m.firstBadPage === undefined) return base;
  return { ...base, firstBadPage: int(m, 'firstBadPage', 'memoryIntegrity.', 0) };
}

function bool(o: Obj, k: string, path: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') fail(`${path}${k}`, `expected a boolean, got ${kind(v)}`);
  return v;
}

/**
 * Validates manifest facts contributed by a fixture. Lighter than `parseRunRecord`: the shape of the
 * known keys is checked, values of parameter maps must be scalars.
 */
export function parseManifestFacts(v: unknown): ManifestFacts {
  const o = obj(v, 'facts');
  const out: { -readonly [K in keyof ManifestFacts]: ManifestFacts[K] } = {};
  if (o.testbed !== undefined) {
    const t = obj(o.testbed, 'testbed');
    out.testbed = { file: t.file === null ? null : str(t, 'file', 'testbed.'),
      sha256: t.sha256 === null ? null : str(t, 'sha256', 'testbed.') };
  }
  if (o.devices !== undefined) {
    out.devices = arr(o, 'devices', '', (d, p) => {
      const dobj = obj(d, p);
      const versions = scalarMap(dobj.versions, `${p}.versions`);
      const error = optStr(dobj, 'error', `${p}.`);
      const base = { device: str(dobj, 'device', `${p}.`), role: str(dobj, 'role', `${p}.`),
        versions: Object.fromEntries(Object.entries(versions).map(([k, x]) => [k, String(x)])) };
      return error === undefined ? base : { ...base, error };
    });
  }
  if (o.migrationParameters !== undefined)
    out.migrationParameters = scalarMap(o.migrationParameters, 'migrationParameters');
  if (o.probeParameters !== undefined) out.probeParameters = scalarMap(o.probeParameters, 'probeParameters');
  if (o.clocks !== undefined) {
    out.clocks = arr(o, 'clocks', '', (c, p) => {
      const co = obj(c, p);
      return { host: str(co, 'host', `${p}.`), source: str(co, 'source', `${p}.`),
        offsetMs: co.offsetMs === undefined ? null : numOrNull(co, 'offsetMs', `${p}.`),
        uncertaintyMs: co.uncertaintyMs === undefined ? null : numOrNull(co, 'uncertaintyMs', `${p}.`) };
    });
  }
  if (o.insecureHostKeys !== undefined) out.insecureHostKeys = strArr(o, 'insecureHostKeys', '');
  if (o.thresholds !== undefined) out.thresholds = arr(o, 'thresholds', '', parseThresholdFact);
  return out;
}

function scalarMap(v: unknown, path: string): Record<string, string | number | boolean | null> {
  const o = obj(v, path);
  for (const [k, x] of Object.entries(o)) {
    if (x !== null && typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      fail(`${path}.${k}`, `expected a scalar, got ${kind(x)}`);
    }
  }
  return o as Record<string, string | number | boolean | null>;
}
