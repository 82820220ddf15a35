import { test, expect } from '@playwright/test';
import {
  AGENT_PHASE_DEADLINE_MS, agentVerdict, describeVerdict, formatPhases, parseAgentLog, phaseDurations,
} from './phases.js';

/** A log as the agent writes it: the process started at 12:00:00.000, each phase at +ms. */
function logOf(lines: ReadonlyArray<readonly [number, string]>, name = 'torA'): string {
  const at = (ms: number): string => new Date(Date.UTC(2026, 11, 7, 12, 0, 0) + ms).toISOString();
  return lines.map(([ms, text]) => `${at(ms)} ${name} ${text.replace('$', `+${ms.toFixed(1)} ms`)}`).join('\n');
}

const READY = logOf([
  [300, 'starting: 198.19.0.2:830, resync every 10000 ms'], [300, 'phase loaded $'], [700, 'phase ssh $'],
  [1200, 'phase hello $'], [1210, 'phase subscribed $'], [1230, 'phase get-config $'],
  [1300, 'reconcile(start) 0 command(s) in 70.0 ms'], [1300, 'phase reconciled $'], [1300, 'ready'],
]);

test('a ready agent: the phases of its last start, each after the one before, and ready at reconciled', () => {
  const s = parseAgentLog(READY);
  expect(s?.ready).toBe(true);
  expect(s?.processStartMs).toBe(Date.UTC(2026, 11, 7, 12, 0, 0));
  expect(phaseDurations(s!)).toEqual({ loaded: 300, ssh: 400, hello: 500, subscribed: 10, 'get-config': 20,
    reconciled: 70 });
  expect(agentVerdict(s, 5000)).toEqual({ state: 'ready', readyMs: 1300 });
  expect(formatPhases(s!)).toBe('loaded 0.30, ssh +0.40, hello +0.50, subscribed +0.01, get-config +0.02, ' +
    'reconciled +0.07 s');
});

test('only the last start counts: an earlier ready run does not make a restarted agent ready', () => {
  const restarted = `${READY}\n${logOf([[200, 'starting: x'], [200, 'phase loaded $']])}`;
  const s = parseAgentLog(restarted);
  expect(s?.ready).toBe(false);
  expect(s?.phases).toEqual({ loaded: 200 });
  expect(agentVerdict(s, 1000)).toMatchObject({ state: 'waiting', phase: 'ssh', waitedMs: 800 });
});

test('stuck before hello: late once its deadline after ssh has passed, and the message names the phase', () => {
  const s = parseAgentLog(logOf([[300, 'phase loaded $'], [700, 'phase ssh $']]));
  const justIn = agentVerdict(s, 700 + AGENT_PHASE_DEADLINE_MS.hello);
  expect(justIn).toMatchObject({ state: 'waiting', phase: 'hello' });
  const late = agentVerdict(s, 701 + AGENT_PHASE_DEADLINE_MS.hello);
  expect(late).toEqual({ state: 'late', phase: 'hello', waitedMs: AGENT_PHASE_DEADLINE_MS.hello + 1,
    deadlineMs: AGENT_PHASE_DEADLINE_MS.hello });
  expect(describeVerdict(late, s)).toBe(`stuck before phase hello: no netconfd's hello within ` +
    `${AGENT_PHASE_DEADLINE_MS.hello / 1000} s (waited ${((AGENT_PHASE_DEADLINE_MS.hello + 1) / 1000).toFixed(1)} s)`);
});

test('session failures do not restart the clock (a reconnect loop is stuck too); the last is quoted', () => {
  const s = parseAgentLog(logOf([
    [300, 'phase loaded $'], [2000, 'session failed: connect ECONNREFUSED 198.19.0.2:830; reconnecting in 1 s'],
    [4000, 'session failed: connect ECONNREFUSED 198.19.0.3:830; reconnecting in 1 s'],
  ]));
  expect(s?.lastFailure).toEqual({ atMs: 4000, message: 'connect ECONNREFUSED 198.19.0.3:830; reconnecting in 1 s' });
  expect(agentVerdict(s, 300 + AGENT_PHASE_DEADLINE_MS.ssh)).toMatchObject({ state: 'waiting', phase: 'ssh' });
  const late = agentVerdict(s, 301 + AGENT_PHASE_DEADLINE_MS.ssh);
  expect(late).toMatchObject({ state: 'late', phase: 'ssh' });
  expect(describeVerdict(late, s)).toContain('last failure: connect ECONNREFUSED 198.19.0.3:830');
});

test('no phase logged yet: the loaded deadline runs from the spawn the caller gives', () => {
  expect(parseAgentLog('')).toBeUndefined();
  expect(parseAgentLog('garbage\nmore garbage')).toBeUndefined();
  expect(agentVerdict(undefined, 100)).toMatchObject({ state: 'waiting', phase: 'loaded' });
  expect(agentVerdict(undefined, AGENT_PHASE_DEADLINE_MS.loaded + 1)).toMatchObject({ state: 'late', phase: 'loaded' });
});
