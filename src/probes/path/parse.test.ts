import { test, expect } from '@playwright/test';
import { parsePathProbe } from './parse.js';

const START = 'pathprobe-start target=198.18.30.9 family=ipv4 probes=3 max_hops=16 first_ttl=1 timeout_ms=1000 ' +
  'deadline_ms=17000 port=33434';

test('a reached path: hops in TTL order, round trips in ms, done fields', () => {
  const p = parsePathProbe([
    START,
    'pathprobe-hop ttl=1 addr=198.18.20.1 rtt_us=52,40,41 kind=time-exceeded probes=3',
    'pathprobe-hop ttl=2 addr=* rtt_us=- kind=none probes=3',
    'pathprobe-hop ttl=3 addr=198.18.30.0 rtt_us=412,398,405 kind=time-exceeded probes=3',
    'pathprobe-hop ttl=4 addr=198.18.30.9 rtt_us=1200,1190,1201 kind=port-unreachable probes=3',
    'pathprobe-done reached=1 hops=4 reason=reached sent=12 answered=9 late=0 kernel_stamps=9 elapsed_us=1002345',
    '',
  ].join('\n'));
  expect(p.problems).toEqual([]);
  expect(p.start).toEqual({ target: '198.18.30.9', family: 'ipv4', probes: 3, maxHops: 16, firstTtl: 1,
    timeoutMs: 1000, deadlineMs: 17000, port: 33434 });
  expect(p.hops.map((h) => [h.ttl, h.address, h.kind])).toEqual([
    [1, '198.18.20.1', 'time-exceeded'], [2, undefined, 'none'], [3, '198.18.30.0', 'time-exceeded'],
    [4, '198.18.30.9', 'port-unreachable'],
  ]);
  expect(p.hops[2]?.rttsMs).toEqual([0.412, 0.398, 0.405]);
  expect(p.hops[1]?.rttsMs).toEqual([]);
  expect(p.done).toEqual({ reached: true, hops: 4, reason: 'reached', sent: 12, answered: 9, late: 0,
    kernelStamps: 9, elapsedMs: 1002.345 });
});

test('two addresses at one TTL (ECMP) are two hops; IPv6 addresses', () => {
  const p = parsePathProbe([
    START.replace('198.18.30.9', '2001:2:0:30::9').replace('ipv4', 'ipv6'),
    'pathprobe-hop ttl=1 addr=2001:2:0:20::1 rtt_us=60 kind=time-exceeded probes=2',
    'pathprobe-hop ttl=1 addr=2001:2:0:21::1 rtt_us=70 kind=time-exceeded probes=2',
    'pathprobe-done reached=0 hops=1 reason=deadline sent=2 answered=2 late=0 kernel_stamps=2 elapsed_us=10',
  ].join('\n'));
  expect(p.problems).toEqual([]);
  expect(p.start?.family).toBe('ipv6');
  expect(p.hops.map((h) => h.address)).toEqual(['2001:2:0:20::1', '2001:2:0:21::1']);
  expect(p.done?.reached).toBe(false);
  expect(p.done?.reason).toBe('deadline');
});

test('broken output is collected as problems, never thrown', () => {
  const p = parsePathProbe([
    START,
    'pathprobe-hop ttl=2 addr=198.18.30.0 rtt_us=1 kind=time-exceeded probes=3',
    'pathprobe-hop ttl=1 addr=198.18.30.1 rtt_us=1 kind=time-exceeded probes=3',
    'pathprobe-hop ttl=3 addr=* rtt_us=5 kind=none probes=3',
    'pathprobe-hop ttl=4 addr=198.18.30.0 rtt_us=1,2,3,4 kind=time-exceeded probes=3',
    'pathprobe-hop ttl=5 addr=198.18.30.0 rtt_us=1 kind=wormhole probes=3',
    'pathprobe-hop ttl=6 addr=bogus rtt_us=1 kind=time-exceeded probes=3',
    'pathprobe-hop ttl=7 addr=198.18.30.0 rtt_us=1.5 kind=time-exceeded probes=3',
    'garbage',
  ].join('\n'));
  expect(p.hops.map((h) => h.ttl)).toEqual([2]);
  expect(p.problems).toHaveLength(8);
  expect(p.problems[0]).toContain('ttl 1 after ttl 2');
  expect(p.problems[p.problems.length - 1]).toBe('no pathprobe-done line');
});

test('no start line and a line after done are problems', () => {
  const p = parsePathProbe([
    'pathprobe-done reached=1 hops=1 reason=reached sent=3 answered=3 late=0 kernel_stamps=3 elapsed_us=1',
    'pathprobe-hop ttl=1 addr=198.18.30.0 rtt_us=1 kind=time-exceeded probes=3',
  ].join('\n'));
  expect(p.problems).toEqual([
    expect.stringContaining('after pathprobe-done'),
    'no pathprobe-start line',
  ]);
  expect(p.hops).toEqual([]);
});
