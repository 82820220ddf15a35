import { expect, test } from '@playwright/test';
import { createMetric, METRIC_NAMES } from './metric-catalogue.js';
import { findDisagreements, methodGuide } from './method-guide.js';

test('every outage and timing metric of runs.csv has a one-line guide', () => {
  for (const name of METRIC_NAMES) expect(methodGuide(name), name).toBeDefined();
  expect(methodGuide('gap_rx_ms')).toContain('application-visible');
  expect(methodGuide('gap_tx_ms')).toContain('send-side');
});

test('the rate/loss pair of the issue is flagged with the difference; agreeing methods are not', () => {
  const rate = { ...createMetric('rate_derived_ms', 12390, 'rate-derived', 10, 'c'), flow: 'f' };
  const loss = { ...createMetric('loss_derived_ms', 1487.973, 'loss-derived', 0.9999405150828656, 'c'), flow: 'f' };
  const d = findDisagreements([rate, loss]);
  expect(d).toHaveLength(1);
  expect(d[0]?.message).toContain('rate_derived_ms 12390 ms ± 10 ms and loss_derived_ms 1488 ms ± 1 ms');
  expect(d[0]?.message).toContain('differ by 10900 ms, more than the ± 10 ms');
  expect(findDisagreements([{ ...rate, value: 1495 }, loss])).toEqual([]);
  // different flows are never compared with each other
  expect(findDisagreements([rate, { ...loss, flow: 'g' }])).toEqual([]);
});
