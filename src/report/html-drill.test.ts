import { expect, test } from '@playwright/test';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { drillDown } from './html-drill.js';

const EVIL = '<img src=x onerror=alert(1)>';

test('drill-down: the path hop lists with devices and sites, silent TTLs as *, device names as text', () => {
  const r = {
    ...sampleRecord(),
    path: {
      oldSite: 'siteA', viaOldSite: true, method: 'pathprobe',
      traces: [{ from: 'clientB', to: '198.18.10.100', when: 'after' as const, reached: true, hops: [
        { ttl: 1, address: '198.18.21.1', device: EVIL, site: 'siteB', rttMs: [0.25, 0.5] },
        { ttl: 2, rttMs: [] },
        { ttl: 3, address: '198.18.10.100', rttMs: [1] }] }],
    },
    flooding: { suppression: 'on' as const, method: 'AF_PACKET', segments: [
      { device: 'torB', bridge: 'br101', arp: 5, nd: 10, unknownUnicast: 1 }] },
  };
  const out = drillDown(r).toString();
  expect(out).toContain('traffic still goes round by siteA');
  expect(out).toContain('after: clientB → 198.18.10.100');
  expect(out).toContain('<td class="mono">*</td>');
  expect(out).toContain('0.250 / 0.500');
  expect(out).not.toContain(EVIL);
  expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(out).toContain('flooding in the move window (ARP/ND suppression on)');
  expect(out).toMatch(/<td class="mono">br101<\/td><td class="num">5<\/td><td class="num">10<\/td><td class="num">1<\/td>/);
  const plain = drillDown(sampleRecord()).toString();
  expect(plain).not.toContain('path toward the VM');
  expect(plain).not.toContain('flooding in the move window');
});

test('drill-down: a path without a verdict says why', () => {
  const out = drillDown({ ...sampleRecord(), path: { oldSite: 'siteA', traces: [], method: 'm',
    detail: 'path after the move: timed out' } }).toString();
  expect(out).toContain('path after the move unknown: path after the move: timed out');
});
