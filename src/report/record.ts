/**
 * Record types the report is built from. A `RunRecord` is one migration attempt; it travels from a spec
 * to the reporter as a Playwright attachment and into the history database as JSON, so every field is
 * plain data (no Dates, no bigints) and is validated by `parseRunRecord` on the way in.
 */

import type { Metric } from '../measure/metric-catalogue.js';

/**
 * Metrics, their names, units and the FIXED runs.csv column order (docs/report-columns.md) are
 * declared once, in measure/'s metric catalogue; the report uses them as they are.
 */
export { METRIC_NAMES, metricUnit } from '../measure/metric-catalogue.js';
export type { Metric, MetricName, ReportMetricName } from '../measure/metric-catalogue.js';

/** `inconclusive`: a figure within its uncertainty of a threshold (verdict/judge.ts): neither passed nor failed. */
export const VERDICTS = ['pass', 'fail', 'inconclusive', 'errored', 'skipped'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** Measurement health, separate from the verdict; `errored` overrides pass/fail (measurement.md §6). */
export const HEALTHS = ['ok', 'degraded', 'errored'] as const;
export type Health = (typeof HEALTHS)[number];
export const ADDRESS_FAMILIES = ['ipv4', 'ipv6'] as const;
export type AddressFamily = (typeof ADDRESS_FAMILIES)[number];
export const TIMELINE_SOURCES = ['hypervisor', 'data-plane', 'control-plane', 'controller'] as const;
export type TimelineSource = (typeof TIMELINE_SOURCES)[number];

/** One loss episode on one flow: consecutive lost sequence numbers. */
export interface Episode {
  readonly flow: string;
  /** Start/end relative to run start, controller monotonic clock, ms. */
  readonly startMs: number;
  readonly endMs: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly lost: number;
}

/** One event on the run's single timeline. */
export interface TimelineEvent {
  /** ms since run start on the controller monotonic clock (remote stamps already offset-corrected). */
  readonly tMs: number;
  /** Wall clock, ms since the Unix epoch, for correlation with device logs. */
  readonly wallMs: number;
  readonly source: TimelineSource;
  readonly host: string;
  /** Event kind, e.g. `SUSPENDED`, `RESUMED`, `route-installed`, `first-reply`. */
  readonly kind: string;
  readonly detail: string;
}

/** One attributed share of the outage; the `residual` component is always present when decomposed. */
export interface DecompositionPart {
  readonly component: string;
  readonly ms: number;
}

export interface Conformance {
  readonly ok: boolean;
  readonly violations: readonly string[];
}

/** Reply-rate samples of one probe flow for the rate plot. */
export interface RateSeries {
  readonly flow: string;
  readonly samples: readonly { readonly tMs: number; readonly pps: number }[];
}

/** Parameters a scenario name is derived from. Only these decide the name (never hand-typed labels). */
export interface ScenarioParams {
  /** Topology relation of source and destination: `same-subnet`, `cross-subnet`, `wan`... */
  readonly topology: string;
  readonly strategy: string;
  readonly addressFamily: AddressFamily;
  /** Extra parameters that distinguish scenarios (`wan_delay_ms: 30`, `wan_loss_pct: 1`). Sorted by key. */
  readonly variant?: Readonly<Record<string, string | number | boolean>>;
}

/** One migration attempt. */
export interface RunRecord {
  readonly runId: string;
  readonly params: ScenarioParams;
  /** Derived from `params` by `scenarioName`; `parseRunRecord` rejects a record where they disagree. */
  readonly scenario: string;
  readonly strategy: string;
  readonly vm: string;
  readonly source: string;
  readonly destination: string;
  readonly addressFamily: AddressFamily;
  /** ISO 8601 wall-clock start. */
  readonly startedWall: string;
  readonly metrics: readonly Metric[];
  readonly verdict: Verdict;
  readonly health: Health;
  readonly healthReasons: readonly string[];
  /** 1-based attempt number and the number of attempts made; attemptOf > 1 marks the result unstable. */
  readonly attempt: number;
  readonly attemptOf: number;
  readonly episodes: readonly Episode[];
  readonly timeline: readonly TimelineEvent[];
  readonly decomposition: readonly DecompositionPart[];
  readonly conformance: Conformance;
  readonly rates: readonly RateSeries[];
  /** The guest's memory after the move (its memory checker); absent in records written before it existed. */
  readonly memoryIntegrity?: MemoryIntegrityRecord;
  /** The per-attempt thresholds judged on this attempt (absent: not judged, e.g. ERRORED or older records). */
  readonly judgements?: readonly RecordJudgement[];
  /** Hop-by-hop paths toward the VM before and after the move (absent: no path probe ran). */
  readonly path?: PathRecord;
  /** Flooding in the VM's segments during the move window (absent: not counted). */
  readonly flooding?: FloodingRecord;
  readonly error?: string;
}

/** One TTL of a path trace: who answered it (absent when nobody did) and its round-trip times. */
export interface PathHopRecord {
  readonly ttl: number;
  readonly address?: string;
  /** Testbed device and site owning `address`, when the testbed knows it. */
  readonly device?: string;
  readonly site?: string;
  readonly rttMs: readonly number[];
}

/** One trace from a traffic host toward the VM. */
export interface PathTraceRecord {
  readonly from: string;
  readonly to: string;
  readonly when: 'before' | 'after';
  readonly reached: boolean;
  readonly hops: readonly PathHopRecord[];
}

/**
 * The path probe's view of a move: `viaOldSite` is true when a trace after the move still crosses a
 * device of the site the VM left (the traffic roundabout), false when none does, absent when no trace
 * after the move reached the VM (then `detail` says why).
 */
export interface PathRecord {
  readonly oldSite: string;
  readonly traces: readonly PathTraceRecord[];
  readonly viaOldSite?: boolean;
  readonly method: string;
  readonly detail?: string;
}

export const SUPPRESSION_STATES = ['on', 'off', 'mixed', 'unknown'] as const;
export type SuppressionState = (typeof SUPPRESSION_STATES)[number];

/** Flooded frames of one segment (a bridge of one device) in the move window, each frame once. */
export interface FloodSegmentRecord {
  readonly device: string;
  readonly bridge: string;
  readonly arp: number;
  readonly nd: number;
  readonly unknownUnicast: number;
}

/** Flooding counted in the move window, and whether ARP/ND suppression was on at the segments' ports. */
export interface FloodingRecord {
  readonly suppression: SuppressionState;
  readonly segments: readonly FloodSegmentRecord[];
  readonly method: string;
}

export const JUDGEMENT_OUTCOMES = ['pass', 'fail', 'inconclusive', 'not-measured'] as const;
export type JudgementOutcome = (typeof JUDGEMENT_OUTCOMES)[number];

/** One threshold judged on one attempt, as the record keeps it (verdict/judge.ts makes them). */
export interface RecordJudgement {
  readonly threshold: string;
  /** `loss_derived_ms ≤ 2000 ms`. */
  readonly expression: string;
  readonly source: string;
  readonly outcome: JudgementOutcome;
  readonly value: number | null;
  /** Names threshold, value, method, resolution and clock: what a failed test and JUnit show. */
  readonly message: string;
}

/** A threshold as the manifest keeps it, so a report regenerated from history judges the same bounds. */
export interface ThresholdFact {
  readonly id: string;
  readonly metric: string;
  readonly statistic: 'value' | 'median' | 'p95' | 'min' | 'max';
  readonly op: '<=' | '>=';
  readonly bound: number;
  readonly source: string;
  readonly exceptStrategies?: readonly string[];
  readonly scenarios?: readonly string[];
  readonly why?: string;
}

export const MEMORY_INTEGRITY_STATES = ['ok', 'corrupt', 'unchecked', 'unknown'] as const;
export type MemoryIntegrityState = (typeof MEMORY_INTEGRITY_STATES)[number];

/** Whether the guest's memory held its pattern after the move, and how that was checked. */
export interface MemoryIntegrityRecord {
  readonly status: MemoryIntegrityState;
  /** The first bad page with expected and found words, or why there is no verdict. */
  readonly detail: string;
  readonly firstBadPage?: number;
  readonly method: string;
}

/**
 * Scenario name from parameters: `<topology>/<strategy>/<af>[/<key>=<value>...]`, variant keys sorted.
 * Example: `wan/host-route-bgp/ipv4/wan_delay_ms=30`.
 */
export function scenarioName(p: ScenarioParams): string {
  const variant = Object.entries(p.variant ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${String(v)}`);
  return [p.topology, p.strategy, p.addressFamily, ...variant].join('/');
}

/** Input of `createRunRecord`: everything but the derived fields. */
export type RunRecordInput = Omit<RunRecord, 'scenario' | 'strategy' | 'addressFamily'>;

/** Builds a record whose scenario, strategy and address family all come from `params`. */
export function createRunRecord(input: RunRecordInput): RunRecord {
  return {
    ...input,
    scenario: scenarioName(input.params),
    strategy: input.params.strategy,
    addressFamily: input.params.addressFamily,
  };
}

/** True when the run needed more than one attempt (shown, and marked unstable in reports). */
export function isUnstable(r: Pick<RunRecord, 'attemptOf'>): boolean {
  return r.attemptOf > 1;
}

/** Versions read from one device (keys: `libvirt`, `qemu`, `kernel`, `frr`, `nos`...). */
export interface DeviceVersions {
  readonly device: string;
  readonly role: string;
  readonly versions: Readonly<Record<string, string>>;
  /** Set when the versions could not be read; the run still reports, the gap is visible. */
  readonly error?: string;
}

export interface ClockSource {
  readonly host: string;
  /** `controller-monotonic`, `shared-host-clock`, `ptp`, `chrony`, `unknown`. */
  readonly source: string;
  readonly offsetMs?: number | null;
  readonly uncertaintyMs?: number | null;
}

export type ParamMap = Readonly<Record<string, string | number | boolean | null>>;

/**
 * What is needed to repeat a suite run (RFC 8204 style: software, configuration, parameters, clocks).
 * Written as manifest.json next to the reports.
 */
export interface RunManifest {
  readonly schema: 'vmmi.run-manifest/1';
  readonly vmmi: { readonly version: string; readonly gitCommit: string | null; readonly gitDirty: boolean | null };
  readonly testbed: { readonly file: string | null; readonly sha256: string | null };
  readonly devices: readonly DeviceVersions[];
  readonly migrationParameters: ParamMap;
  readonly probeParameters: ParamMap;
  readonly clocks: readonly ClockSource[];
  /** Devices whose SSH host key is not verified (`insecure-accept-any-host-key`), listed, never hidden. */
  readonly insecureHostKeys: readonly string[];
  readonly controller: { readonly node: string; readonly platform: string; readonly hostname: string };
  readonly runner: ParamMap;
  readonly startedWall: string;
  readonly endedWall: string | null;
  /** The thresholds the run was judged against (absent in manifests written before verdicts). */
  readonly thresholds?: readonly ThresholdFact[];
}

/** Facts a spec or fixture contributes to the manifest during a run; merged by the reporter. */
export type ManifestFacts = Partial<
  Pick<RunManifest, 'testbed' | 'devices' | 'migrationParameters' | 'probeParameters' | 'clocks' | 'insecureHostKeys'
    | 'thresholds'>
>;

/** Merges facts into a manifest: maps are shallow-merged, lists unioned by device/host name (last wins). */
export function mergeManifestFacts(m: RunManifest, f: ManifestFacts): RunManifest {
  const byKey = <T>(a: readonly T[], b: readonly T[] | undefined, key: (x: T) => string): T[] => {
    const out = new Map<string, T>();
    for (const x of [...a, ...(b ?? [])]) out.set(key(x), x);
    return [...out.values()];
  };
  return {
    ...m,
    testbed: f.testbed ?? m.testbed,
    devices: byKey(m.devices, f.devices, (d) => d.device),
    migrationParameters: { ...m.migrationParameters, ...f.migrationParameters },
    probeParameters: { ...m.probeParameters, ...f.probeParameters },
    clocks: byKey(m.clocks, f.clocks, (c) => c.host),
    insecureHostKeys: [...new Set([...m.insecureHostKeys, ...(f.insecureHostKeys ?? [])])].sort(),
    ...(f.thresholds === undefined && m.thresholds === undefined ? {}
      : { thresholds: byKey(m.thresholds ?? [], f.thresholds, (t) => `${t.source}\u0000${t.id}`) }),
  };
}
