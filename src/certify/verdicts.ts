/**
 * The certificate's verdicts (pure): the profile's statistic thresholds judged per scenario and family
 * with the verdict core (verdict/judge.ts), the refusal expectations, and the report fields every
 * measured attempt must carry. One row per judgement, each with its figure, n, interval, method,
 * resolution and the profile's `why`. A threshold whose scenario has no judgeable attempt gets a
 * `not-measured` row: nothing a profile asks for is ever dropped silently.
 */
import { judgeable, judgeScenarios, type Judgement, type JudgementOutcome } from '../verdict/judge.js';
import { formatThreshold, parseThreshold, type Threshold } from '../verdict/threshold.js';
import type { RunRecord } from '../report/record.js';
import { profileRef, type Profile } from './profile-types.js';
import { measuredRecordOf, type ProfileRun } from './run.js';

export interface VerdictRow {
  /** Profile scenario id. */
  readonly profileScenario: string;
  /** Record scenario (`cross-subnet/host-route-static/ipv4/profile=…/scenario=…`), or the profile id. */
  readonly scenario: string;
  readonly threshold: string;
  readonly expression: string;
  readonly statistic: string;
  readonly value: number | null;
  readonly n: number;
  readonly interval: string;
  readonly method: string;
  readonly resolution: string;
  readonly outcome: JudgementOutcome;
  readonly why: string;
  readonly message: string;
}

/** The profile's thresholds bound to the record scenarios of its profile scenarios' measured moves. */
export function profileThresholds(p: Profile, records: readonly RunRecord[]): Threshold[] {
  return p.thresholds.flatMap((t) => t.scenarios.map((id) => {
    const sc = p.scenarios.find((s) => s.id === id);
    const fams = new Set((sc?.families ?? []).map((f) => (f === 4 ? 'ipv4' : 'ipv6')));
    const names = [...new Set(records.filter((r) => measuredRecordOf(r, id) && fams.has(r.addressFamily))
      .map((r) => r.scenario))];
    return parseThreshold(t.expr, `profile ${profileRef(p)}`, { id: `${t.id}:${id}`, why: t.why, scenarios: names });
  }));
}

const fmtNum = (v: number): string => String(Number(v.toPrecision(6)));

function fromJudgement(j: Judgement, p: Profile): VerdictRow {
  const [tid = j.threshold, sid = ''] = j.threshold.split(':');
  return {
    profileScenario: sid, scenario: j.scenario, threshold: tid, expression: j.expression, statistic: j.statistic,
    value: j.value, n: j.n,
    interval: j.interval === undefined ? '' : `${fmtNum(j.interval.low)}–${fmtNum(j.interval.high)}`,
    method: j.method ?? '', resolution: j.resolutionMs === null ? '' : `${fmtNum(j.resolutionMs)} ms`, outcome: j.outcome,
    why: p.thresholds.find((t) => t.id === tid)?.why ?? '', message: j.message,
  };
}

/** Rows for the report fields: each must have a value on every measured, judgeable attempt. */
function fieldRows(p: Profile, records: readonly RunRecord[]): VerdictRow[] {
  const measured = records.filter((r) => judgeable(r) && p.scenarios.some((s) => s.expect === 'migrated'
    && measuredRecordOf(r, s.id)));
  return p.reportFields.map((f) => {
    const have = measured.filter((r) => r.metrics.some((m) => m.name === f && m.value !== null)).length;
    const ok = measured.length > 0 && have === measured.length;
    return { profileScenario: '*', scenario: '*', threshold: `field:${f}`, expression: `${f} present`,
      statistic: 'present', value: have, n: measured.length, interval: '', method: 'record check', resolution: '',
      outcome: ok ? 'pass' : 'not-measured', why: 'required report field of the profile',
      message: `${f}: on ${have} of ${measured.length} measured attempt(s)` };
  });
}

/** Every verdict row of a profile run, thresholds first, then expectations, then report fields. */
export function verdictRows(p: Profile, run: ProfileRun): VerdictRow[] {
  const ts = profileThresholds(p, run.records);
  const rows = judgeScenarios(run.records, ts).map((j) => fromJudgement(j, p));
  for (const t of ts) {
    const [tid = t.id, sid = ''] = t.id.split(':');
    if (rows.some((r) => r.threshold === tid && r.profileScenario === sid)) continue;
    const broken = run.broken.filter((b) => b.scenario === sid).map((b) => b.error).join('; ');
    rows.push({ profileScenario: sid, scenario: sid, threshold: tid, expression: formatThreshold(t),
      statistic: t.statistic, value: null, n: 0, interval: '', method: '', resolution: '', outcome: 'not-measured',
      why: p.thresholds.find((x) => x.id === tid)?.why ?? '',
      message: `threshold ${tid} not measured: scenario ${sid} has no judgeable attempt${broken === '' ? '' : ` (${broken})`}` });
  }
  for (const s of p.scenarios.filter((x) => x.expect !== 'migrated')) {
    const es = run.expectations.filter((e) => e.scenario === s.id);
    const ok = es.filter((e) => e.ok).length;
    const outcome: JudgementOutcome = es.length < s.repetitions ? (ok < es.length ? 'fail' : 'not-measured')
      : ok === es.length ? 'pass' : 'fail';
    rows.push({ profileScenario: s.id, scenario: s.id, threshold: `expect:${s.expect}`, expression: s.expect,
      statistic: 'count', value: ok, n: es.length, interval: '', method: 'precheck conflict probe', resolution: '',
      outcome, why: s.description,
      message: `${ok} of ${s.repetitions} repetition(s) as expected${es.filter((e) => !e.ok).map((e) => `; ${e.message}`).join('')}` });
  }
  return [...rows, ...fieldRows(p, run.records)];
}

export interface Decision {
  readonly result: 'pass' | 'fail' | 'inconclusive';
  readonly failed: number;
  readonly inconclusive: number;
  readonly notMeasured: number;
  readonly passed: number;
}

/** pass only when every row passed; any fail fails; otherwise inconclusive (incl. not measured). */
export function decide(rows: readonly VerdictRow[]): Decision {
  const n = (o: JudgementOutcome): number => rows.filter((r) => r.outcome === o).length;
  const failed = n('fail');
  const inconclusive = n('inconclusive');
  const notMeasured = n('not-measured');
  const result = failed > 0 ? 'fail' : inconclusive + notMeasured > 0 || rows.length === 0 ? 'inconclusive' : 'pass';
  return { result, failed, inconclusive, notMeasured, passed: n('pass') };
}

export const VERDICT_COLUMNS = ['scenario', 'profile_scenario', 'threshold', 'expression', 'statistic', 'value', 'n',
  'interval', 'method', 'resolution', 'outcome', 'why', 'message'] as const;

const cell = (v: string | number | null): string => {
  const s = v === null ? '' : typeof v === 'number' ? fmtNum(v) : v;
  // Formula-looking cells are prefixed so a spreadsheet shows them as text (OWASP CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** verdicts.csv: one row per judgement, RFC 4180 quoting. */
export function renderVerdictsCsv(rows: readonly VerdictRow[]): string {
  const lines = [VERDICT_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push([r.scenario, r.profileScenario, r.threshold, r.expression, r.statistic, r.value, r.n, r.interval,
      r.method, r.resolution, r.outcome, r.why, r.message].map(cell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
