import { expect, test } from '@playwright/test';
import { isVmmiError } from '../errors/vmmi-error.js';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { parseManifestFacts, parseRunRecord } from './record-parse.js';
import { scenarioName } from './record.js';

function expectReportError(f: () => unknown, path: string, text: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isVmmiError(e) && e.code).toBe('REPORT');
    expect((e as { path?: string }).path).toBe(path);
    expect((e as Error).message).toMatch(text);
    return;
  }
  throw new Error('expected a ReportError');
}

function mutate(f: (o: Record<string, unknown>) => void): Record<string, unknown> {
  const o = JSON.parse(JSON.stringify(sampleRecord())) as Record<string, unknown>;
  f(o);
  return o;
}

test('a record survives a JSON round trip unchanged', () => {
  const r = sampleRecord({ error: 'x' });
  expect(parseRunRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
});

test('scenario names are derived from parameters, variant keys sorted', () => {
  expect(scenarioName({ topology: 'wan', strategy: 'host-route-bgp', addressFamily: 'ipv6',
    variant: { wan_loss_pct: 1, wan_delay_ms: 30 } })).toBe('wan/host-route-bgp/ipv6/wan_delay_ms=30/wan_loss_pct=1');
  expect(sampleRecord().scenario).toBe('cross-subnet/host-route-static/ipv4');
});

test('a hand-typed scenario that disagrees with its parameters is rejected', () => {
  expectReportError(
    () =>
      parseRunRecord(
        mutate((o) => {
          o.scenario = 'compr-xbzrle-cache-20';
        }),
      ),
    'scenario',
    /does not match/,
  );
  expectReportError(() => parseRunRecord(mutate((o) => { o.strategy = 'l2'; })), 'strategy', /differs/);
});

test('errors name the offending field', () => {
  expectReportError(() => parseRunRecord(mutate((o) => {
    (o.metrics as Record<string, unknown>[])[2]!.value = '212';
  })), 'metrics[2].value', /finite number, got string/);
  expectReportError(() => parseRunRecord(mutate((o) => {
    (o.metrics as Record<string, unknown>[])[0]!.name = 'downtime';
  })), 'metrics[0].name', /not one of/);
  expectReportError(() => parseRunRecord(mutate((o) => {
    (o.timeline as Record<string, unknown>[])[1]!.source = 'switch';
  })), 'timeline[1].source', /not one of hypervisor/);
  expectReportError(() => parseRunRecord(mutate((o) => { o.verdict = 'PASS'; })), 'verdict', /not one of/);
  expectReportError(() => parseRunRecord(mutate((o) => { o.attempt = 3; })), 'attempt', /exceeds attemptOf/);
  expectReportError(() => parseRunRecord(mutate((o) => { o.startedWall = 'yesterday'; })), 'startedWall', /ISO/);
  expectReportError(() => parseRunRecord(null), 'record', /expected an object, got null/);
  expectReportError(() => parseRunRecord(mutate((o) => { delete o.conformance; })), 'conformance', /object/);
});

test('units must agree with the metric name (no seconds in a _ms field)', () => {
  expectReportError(() => parseRunRecord(mutate((o) => {
    (o.metrics as Record<string, unknown>[])[0]!.unit = 's';
  })), 'metrics[0].unit', /expected "ms"/);
});

test('duplicate metrics and non-finite values are rejected; null means not measured', () => {
  expectReportError(() => parseRunRecord(mutate((o) => {
    const ms = o.metrics as unknown[];
    ms.push(ms[0]);
  })), 'metrics[13].name', /duplicate/);
  const r = parseRunRecord(mutate((o) => { (o.metrics as Record<string, unknown>[])[0]!.value = null; }));
  expect(r.metrics[0]!.value).toBeNull();
});

test('unknown extra fields are dropped', () => {
  const r = parseRunRecord(mutate((o) => { o.password = 'x'; }));
  expect('password' in r).toBe(false);
});

test('manifest facts: parameter maps must hold scalars', () => {
  expect(parseManifestFacts({ probeParameters: { rate_pps: 1000 }, insecureHostKeys: ['torA'] }))
    .toEqual({ probeParameters: { rate_pps: 1000 }, insecureHostKeys: ['torA'] });
  expectReportError(
    () => parseManifestFacts({ migrationParameters: { a: { b: 1 } } }),
    'migrationParameters.a',
    /scalar/,
  );
});

test('memory integrity survives a round trip; a bad status or page is refused with its path', () => {
  const r = {
    ...sampleRecord(),
    memoryIntegrity: { status: 'corrupt' as const, firstBadPage: 77, detail: 'page 77', method: 'guest memcheck' },
  };
  expect(parseRunRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
  expect(() => parseRunRecord({ ...r, memoryIntegrity: { ...r.memoryIntegrity, status: 'fine' } })).toThrow(
    /memoryIntegrity.status/,
  );
  expect(() => parseRunRecord({ ...r, memoryIntegrity: { ...r.memoryIntegrity, firstBadPage: -1 } })).toThrow(
    /memoryIntegrity.firstBadPage/,
  );
});
