import { expect, test } from '@playwright/test';
import { integrityVerdict, memcheckMethod, parseMemcheckReply } from './memcheck.js';

const OK =
  'memcheck state=ok version=1 uptime_ms=15464 started_ms=3408 last_tick_ms=15460 pages=4096 page_bytes=4096 ' +
  'update_pps=1000 verify_pps=8192 updates=12050 verified=110763 passes=24 bad_pages=0 max_tick_gap_ms=12 selftest_done=0 selftest_page=0';
const okAt = (passes: number, verified: number): string =>
  OK.replace('passes=24', `passes=${passes}`).replace('verified=110763', `verified=${verified}`);
const CORRUPT =
  'memcheck state=corrupt version=1 uptime_ms=28465 started_ms=1700 last_tick_ms=28465 pages=4096 page_bytes=4096 ' +
  'update_pps=1000 verify_pps=8192 updates=26714 verified=245522 passes=53 bad_pages=22 max_tick_gap_ms=68 selftest_done=0 ' +
  'selftest_page=0 first_page=4074 first_word=0 expected=0x0000000000000006 found=0x0000000000000007 first_at_ms=26701';

test('an ok line parses into counters, rates and liveness', () => {
  const r = parseMemcheckReply(`${OK}\n`);
  expect(r).toMatchObject({
    state: 'ok',
    pages: 4096,
    pageBytes: 4096,
    updatePps: 1000,
    verifyPps: 8192,
    passes: 24,
    badPages: 0,
    sinceTickMs: 4,
  });
  expect(r.first).toBeUndefined();
  expect(memcheckMethod(r)).toBe('guest memcheck: 16 MiB pattern, 1000 page rewrites/s, 8192 page checks/s');
});

test('a corrupt line carries the first bad page, word, expected and found values', () => {
  const r = parseMemcheckReply(CORRUPT);
  expect(r.state).toBe('corrupt');
  expect(r.first).toEqual({
    page: 4074,
    word: 0,
    expected: '0x0000000000000006',
    found: '0x0000000000000007',
    atMs: 26701,
  });
});

test('bad pages decide the state even when the state field says ok (the counter is the evidence)', () => {
  const r = parseMemcheckReply(CORRUPT.replace('state=corrupt', 'state=ok'));
  expect(r.state).toBe('corrupt');
});

test('an absent checker parses without counters', () => {
  expect(parseMemcheckReply('memcheck state=absent uptime_ms=900 reason=no-status-block')).toMatchObject({
    state: 'absent',
    uptimeMs: 900,
    pages: 0,
  });
});

test('malformed lines are refused, naming what is wrong', () => {
  expect(() => parseMemcheckReply('error unknown-request')).toThrow(/expected a line starting "memcheck"/);
  expect(() => parseMemcheckReply('memcheck state=weird uptime_ms=1')).toThrow(/unknown state "weird"/);
  expect(() => parseMemcheckReply(OK.replace(' passes=24', ''))).toThrow(/field passes missing/);
  expect(() => parseMemcheckReply(OK.replace('pages=4096 ', 'pages=lots '))).toThrow(
    /field pages missing or not a number/,
  );
});

test('verdict: ok only after a full verification pass that began after the move', () => {
  const before = parseMemcheckReply(okAt(24, 100_000));
  expect(integrityVerdict(before, parseMemcheckReply(okAt(26, 116_384)))).toMatchObject({
    status: 'ok', detail: '2 full pass(es) after the move, 16384 pages checked, 0 bad' });
  // One more pass may have begun before the move was over: not enough.
  expect(integrityVerdict(before, parseMemcheckReply(okAt(25, 108_192))).status).toBe('unknown');
  expect(integrityVerdict(before, undefined).status).toBe('unknown');
});

test('verdict: corrupt names the first bad page; silence and absence are not ok', () => {
  const v = integrityVerdict(parseMemcheckReply(OK), parseMemcheckReply(CORRUPT));
  expect(v).toMatchObject({ status: 'corrupt', firstBadPage: 4074 });
  expect(v.detail).toContain(
    '22 bad page(s); first: page 4074 word 0 expected 0x0000000000000006 found 0x0000000000000007',
  );
  expect(integrityVerdict(parseMemcheckReply(CORRUPT), undefined).status).toBe('corrupt');
  expect(integrityVerdict(undefined, undefined)).toMatchObject({
    status: 'unknown',
    detail: 'the guest control port did not answer',
  });
  expect(integrityVerdict(parseMemcheckReply('memcheck state=absent uptime_ms=1'), undefined).status).toBe('unchecked');
});
