import { expect, test } from '@playwright/test';
import { parsePing, pingSamples } from './parse.js';

const OUT = `PING 198.18.250.2 (198.18.250.2) 56(84) bytes of data.
[1795614577.590486] 64 bytes from 198.18.250.2: icmp_seq=1 ttl=64 time=0.038 ms
[1795614577.600500] 64 bytes from 198.18.250.2: icmp_seq=2 ttl=64 time=0.050 ms
[1795614577.640600] 64 bytes from 198.18.250.2: icmp_seq=6 ttl=64 time=0.100 ms
[1795614577.640700] 64 bytes from 198.18.250.2: icmp_seq=6 ttl=64 time=0.200 ms (DUP!)
[1795614577.650500] 64 bytes from 2001:2:0:250::2: icmp_seq=7 ttl=64 time=0.040 ms

--- 198.18.250.2 ping statistics ---
7 packets transmitted, 4 received, +1 duplicates, 42.8571% packet loss, time 60ms
`;

test('ping -D replies parse with wall receive stamps and RTTs', () => {
  const r = parsePing(OUT);
  expect(r).toHaveLength(5);
  expect(r[0]).toEqual({ seq: 1, rxWallMs: 1795614577590.486, rttMs: 0.038 });
  expect(r[4]?.seq).toBe(7);
});

test('ping samples: lost requests interpolated at the interval, duplicates counted', () => {
  const s = pingSamples(parsePing(OUT), 8, 10);
  expect(s.map((x) => x.rxMs === undefined)).toEqual([false, false, true, true, true, false, false, true]);
  expect(s[2]?.txMs).toBeCloseTo(1795614577600.45 + 10, 2);
  expect(s[5]?.dupCount).toBe(1);
  expect(s[7]?.txMs).toBeCloseTo(1795614577650.46 + 10, 2);
  expect(pingSamples([], 5, 10)).toEqual([]);
});
