import { expect, test } from '@playwright/test';
import { createMetric } from '../measure/metric-catalogue.js';
import { formatMetrics, formatOutage } from './metrics.js';

const flow = 'peer-a → vm (ipv4)';
const m = (name: Parameters<typeof createMetric>[0], v: number, res: number) =>
  ({ ...createMetric(name, v, 'method', res, 'c'), flow });

test('vmmi migrate prints figures to their resolution, never float noise', () => {
  const text = formatMetrics([m('gap_tx_ms', 513.0612, 0.9999405150828656), m('achieved_rate_pps', 1000.0196584856142, 0)]);
  expect(text).toContain('513 ms ± 1 ms');
  expect(text).toContain('1 kpps');
  expect(text).not.toMatch(/\d\.\d{5,}/);
});

test('the outage names the send-side and the application-visible gap and warns on disagreeing methods', () => {
  const lines = formatOutage([m('gap_tx_ms', 513.1, 1), m('gap_rx_ms', 562.5, 1), m('rate_derived_ms', 12390, 10),
    m('loss_derived_ms', 1488, 1)]);
  expect(lines[0]).toBe(`  ${flow}: send side (gap_tx_ms) 513 ms ± 1 ms · receive side, application-visible `
    + '(gap_rx_ms) 563 ms ± 1 ms');
  expect(lines[1]).toMatch(/^ {2}WARNING .*rate_derived_ms 12390 ms ± 10 ms and loss_derived_ms 1488 ms ± 1 ms differ/);
});
