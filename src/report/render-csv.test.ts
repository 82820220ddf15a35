import { expect, test } from '@playwright/test';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { METRIC_NAMES } from './record.js';
import { parseRunRecord } from './record-parse.js';
import {
  EPISODE_COLUMNS, RUN_COLUMNS, TIMELINE_COLUMNS, renderEpisodesCsv, renderRunsCsv, renderTimelineCsv, safeText,
  renderSamplesCsv, renderVerdictsCsv, renderStatisticsCsv, STATISTICS_COLUMNS,
} from './render-csv.js';

/** Minimal RFC 4180 reader for assertions (quoted fields, doubled quotes, \n records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

function asObjects(text: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
}

test('runs.csv: fixed column order, three columns per metric', () => {
  const [head] = parseCsv(renderRunsCsv([sampleRecord()]));
  expect(head).toEqual([...RUN_COLUMNS]);
  expect(head!.slice(0, 8)).toEqual([
    'run_id',
    'started_wall',
    'scenario',
    'strategy',
    'vm',
    'source',
    'destination',
    'address_family',
  ]);
  expect(head!.slice(8, 11)).toEqual([
    'hypervisor_downtime_ms',
    'hypervisor_downtime_ms_method',
    'hypervisor_downtime_ms_resolution_ms',
  ]);
  expect(head!.length).toBe(8 + METRIC_NAMES.length * 3 + 18);
  expect(head!.indexOf('verdict')).toBe(8 + METRIC_NAMES.length * 3);
});

test('runs.csv: values at full precision; absent metrics empty; null values keep their method', () => {
  const r = sampleRecord({ downtimeMs: 212.345678, networkMs: 17 });
  const [row] = asObjects(renderRunsCsv([r]));
  expect(row!.scenario).toBe('cross-subnet/host-route-static/ipv4');
  expect(row!.hypervisor_downtime_ms).toBe('212.345678');
  expect(row!.hypervisor_downtime_ms_method).toBe('qemu-job-stats');
  expect(row!.hypervisor_downtime_ms_resolution_ms).toBe('1');
  expect(row!.loss_derived_ms).toBe(String(620 + 212.345678 + 17 - 620));
  expect(row!.packets_lost_resolution_ms).toBe('');
  expect(row!.gap_tx_ms).toBe('');
  expect(row!.gap_tx_ms_method).toBe('');
  expect(row!.first_reply_ms).toBe('');
  expect(row!.first_reply_ms_method).toBe('loss-derived @1 kpps');
  expect(row!.tcp_survived).toBe('1');
  expect(row!.verdict).toBe('pass');
  expect(row!.attempt).toBe('1');
  expect(row!.unstable).toBe('false');
  expect(row!.episodes).toBe('2');
  expect(row!.decomposition).toMatch(/^blackout=212\.345678; l3-route=15; residual=/);
});

test('runs.csv: measurement health errored overrides the reported pass; retries marked unstable', () => {
  const r = sampleRecord({
    health: 'errored',
    healthReasons: ['no baseline traffic on flow a', 'b'],
    attempt: 2,
    attemptOf: 2,
  });
  const [row] = asObjects(renderRunsCsv([r]));
  expect(row!.verdict).toBe('errored');
  expect(row!.reported_verdict).toBe('pass');
  expect(row!.health_reasons).toBe('no baseline traffic on flow a; b');
  expect(row!.attempt).toBe('2');
  expect(row!.attempt_of).toBe('2');
  expect(row!.unstable).toBe('true');
});

test('device text with commas, quotes, newlines and formulas stays one safe cell', () => {
  const r = sampleRecord({ vm: 'vm "a", b\nc', source: '=HYPERLINK("http://x")', error: '-1 from device' });
  const [row] = asObjects(renderRunsCsv([r]));
  expect(row!.vm).toBe('vm "a", b\nc');
  expect(row!.source).toBe('\'=HYPERLINK("http://x")');
  expect(row!.error).toBe("'-1 from device");
  expect(safeText('@SUM(1)')).toBe("'@SUM(1)");
  expect(safeText('hv1')).toBe('hv1');
});

test('episodes.csv and timeline.csv: one row per episode / event, stable columns', () => {
  const runs = [sampleRecord({ runId: 'a' }), sampleRecord({ runId: 'b', downtimeMs: 100 })];
  const eps = asObjects(renderEpisodesCsv(runs));
  expect(parseCsv(renderEpisodesCsv(runs))[0]).toEqual([...EPISODE_COLUMNS]);
  expect(eps).toHaveLength(4);
  expect(eps[2]).toMatchObject({ run_id: 'b', start_ms: '620', end_ms: '740', duration_ms: '120', lost: '120' });
  const tl = asObjects(renderTimelineCsv(runs));
  expect(parseCsv(renderTimelineCsv(runs))[0]).toEqual([...TIMELINE_COLUMNS]);
  expect(tl).toHaveLength(16);
  const resumed = tl.find((e) => e.run_id === 'a' && e.kind === 'RESUMED');
  expect(resumed).toMatchObject({
    t_ms: '800',
    source: 'hypervisor',
    host: 'hv2',
    wall_iso: '2026-11-25T06:00:00.800Z',
  });
});

test('no runs: header only', () => {
  expect(renderRunsCsv([])).toBe(`${RUN_COLUMNS.join(',')}\n`);
});

test('runs.csv: memory integrity status and detail with method; empty for records without it', () => {
  const corrupt = {
    ...sampleRecord({ runId: 'c' }),
    verdict: 'fail' as const,
    memoryIntegrity: {
      status: 'corrupt' as const,
      firstBadPage: 77,
      detail: '1 bad page(s); first: page 77 word 256 expected 0x1 found 0x2',
      method: 'guest memcheck: 16 MiB pattern',
    },
  };
  const rows = asObjects(renderRunsCsv([corrupt, sampleRecord({ runId: 'old' })]));
  expect(rows[0]?.memory_integrity).toBe('corrupt');
  expect(rows[0]?.memory_integrity_detail).toBe(
    '1 bad page(s); first: page 77 word 256 expected 0x1 found 0x2 (guest memcheck: 16 MiB pattern)',
  );
  expect(rows[0]?.verdict).toBe('fail');
  expect(rows[1]?.memory_integrity).toBe('');
  expect(rows[1]?.memory_integrity_detail).toBe('');
});

test('samples.csv: one row per probe packet, full precision, lost packets with an empty receive time', () => {
  const text = renderSamplesCsv([
    { runId: 'r1', attempt: 1, flow: '=evil', seq: 7, txMs: 1234.567891, rxMs: 1234.987654, dupCount: 0 },
    { runId: 'r1', attempt: 1, flow: '=evil', seq: 8, txMs: 1235.567891, rxMs: undefined, dupCount: 0 },
  ]);
  expect(text.split('\n')).toEqual([
    'run_id,attempt,flow,seq,tx_ms,rx_ms,duplicates',
    "r1,1,'=evil,7,1234.567891,1234.987654,0",
    "r1,1,'=evil,8,1235.567891,,0",
    '',
  ]);
});

test('verdicts.csv: one row per attempt judgement, then one per statistic, messages escaped', () => {
  const r = { ...sampleRecord(), judgements: [{ threshold: 'maxOutageMs', expression: 'loss_derived_ms ≤ 1 ms',
    source: 'testbed defaults.thresholds.maxOutageMs', outcome: 'fail' as const, value: 200,
    message: '=threshold maxOutageMs FAILED, "quoted"' }] };
  const text = renderVerdictsCsv([r], [{ scenario: r.scenario, threshold: 'p95(outage) <= 5 ms',
    expression: 'p95(loss_derived_ms) ≤ 5 ms', source: 'profile x@1', value: 210, n: 5,
    interval: { low: 190, high: 230 }, outcome: 'fail', message: 'p95 FAILED' }]);
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('scope,scenario,run_id,attempt,threshold,expression,source,value,n,ci95_low,ci95_high,outcome,message');
  expect(lines[1]).toBe(`attempt,${r.scenario},run-0001,1,maxOutageMs,loss_derived_ms ≤ 1 ms,`
    + 'testbed defaults.thresholds.maxOutageMs,200,1,,,fail,"\'=threshold maxOutageMs FAILED, ""quoted"""');
  expect(lines[2]).toBe(`scenario,${r.scenario},,,p95(outage) <= 5 ms,p95(loss_derived_ms) ≤ 5 ms,profile x@1,210,5,190,230,fail,p95 FAILED`);
  expect(renderRunsCsv([r]).split('\n')[1]).toMatch(/,maxOutageMs=fail,,,$/);
});

test('statistics.csv: each metric\'s median, p95, min, max and intervals per scenario; ERRORED attempts left out', () => {
  const v4 = { topology: 'cross-subnet', strategy: 'host-route-bgp', addressFamily: 'ipv4' } as const;
  const runs = [
    ...[100, 110, 120, 130].map((d, i) => sampleRecord({ runId: `r${i}`, params: v4, downtimeMs: d })),
    sampleRecord({ runId: 'e', params: v4, downtimeMs: 9000, health: 'errored' }),
    sampleRecord({ runId: 'one', params: { ...v4, addressFamily: 'ipv6' }, downtimeMs: 50 }),
  ];
  const rows = renderStatisticsCsv(runs).trim().split('\n').map((l) => l.split(','));
  expect(rows[0]).toEqual([...STATISTICS_COLUMNS]);
  const dt = rows.find((r) => r[0] === 'cross-subnet/host-route-bgp/ipv4' && r[1] === 'hypervisor_downtime_ms');
  expect(dt?.slice(0, 8)).toEqual(['cross-subnet/host-route-bgp/ipv4', 'hypervisor_downtime_ms', 'ms', '4', '115', '130',
    '100', '130']);
  expect(Number(dt?.[8])).toBeLessThanOrEqual(115);
  expect(Number(dt?.[9])).toBeGreaterThanOrEqual(115);
  // one value: no interval
  const single = rows.find((r) => r[0] === 'cross-subnet/host-route-bgp/ipv6' && r[1] === 'hypervisor_downtime_ms');
  expect(single?.slice(3, 12)).toEqual(['1', '50', '50', '50', '50', '', '', '', '']);
});

test('runs.csv: the path probe and flooding columns, and a record carrying them parses back unchanged', () => {
  const r = {
    ...sampleRecord(),
    path: {
      oldSite: 'siteA', viaOldSite: true, method: 'pathprobe: TTL-limited UDP, 3 probes per hop',
      traces: [
        { from: 'clientB', to: '198.18.10.100', when: 'before' as const, reached: true,
          hops: [{ ttl: 1, address: '198.18.21.1', device: 'coreB', site: 'siteB', rttMs: [0.2] },
            { ttl: 2, rttMs: [] }] },
        { from: 'clientB', to: '198.18.10.100', when: 'after' as const, reached: false,
          hops: [{ ttl: 1, address: '198.18.21.1', device: 'coreB', site: 'siteB', rttMs: [0.3, 0.25] },
            { ttl: 2, address: '=198.18.31.0', rttMs: [1] }] },
      ],
    },
    flooding: { suppression: 'off' as const, method: 'AF_PACKET', segments: [
      { device: 'torA', bridge: 'brA', arp: 3, nd: 2, unknownUnicast: 0 }] },
  };
  const [row] = asObjects(renderRunsCsv([r]));
  expect(row!.path_via_old_site).toBe('true');
  expect(row!.path_hops).toBe('after clientB→198.18.10.100: coreB>=198.18.31.0 (not reached); '
    + 'before clientB→198.18.10.100: coreB>*');
  expect(row!.arp_nd_suppression).toBe('off');
  expect(parseRunRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
  const [plain] = asObjects(renderRunsCsv([sampleRecord()]));
  expect([plain!.path_via_old_site, plain!.path_hops, plain!.arp_nd_suppression]).toEqual(['', '', '']);
  expect(() => parseRunRecord({ ...JSON.parse(JSON.stringify(r)), flooding: { ...r.flooding, suppression: 'maybe' } }))
    .toThrow(/flooding\.suppression/);
});
