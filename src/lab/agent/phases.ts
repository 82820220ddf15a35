/**
 * Bring-up phases of a switch's data-plane agent, as the agent logs them and as `lab up` judges them
 * (pure: log text and times in, verdicts out).
 *
 * The agent writes one line per phase, `<ISO time> <switch> phase <name> +<ms> ms`, where `<ms>` is
 * the time since its process started (performance.now()). `lab up` reads the lines back: a phase that
 * does not follow the one before it within its deadline ends the wait for that agent, and the verdict
 * names the phase it is stuck before, so a slow bring-up says where the time went.
 */

/** In order. `loaded`: the module runs (node started, bundle loaded); `ready` follows `reconciled`. */
export const AGENT_PHASES = ['loaded', 'ssh', 'hello', 'subscribed', 'get-config', 'reconciled'] as const;
export type AgentPhase = (typeof AGENT_PHASES)[number];

/**
 * Time allowed for each phase after the one before it (ms; `loaded` from the process start). Stated
 * deadlines, not targets: on a quiet host each phase takes 10–700 ms (docs/benchmarks.md); these are
 * what a busy 2-core host may take before the agent is called stuck.
 */
export const AGENT_PHASE_DEADLINE_MS: Readonly<Record<AgentPhase, number>> = {
  loaded: 10_000, // node start and the bundle's load, under a booting TCG guest
  ssh: 8_000, // TCP + SSH key exchange and public-key authentication to the switch's sshd
  hello: 8_000, // netconf subsystem started by sshd, netconfd's hello on both sessions
  subscribed: 5_000, // create-subscription on the notification session
  'get-config': 5_000, // the first get-config of running
  reconciled: 5_000, // `ip` reads and the commands that bring Linux in line
};

/** What each phase waits for, for messages. */
export const AGENT_PHASE_WAITS_FOR: Readonly<Record<AgentPhase, string>> = {
  loaded: 'the agent process to load',
  ssh: 'the SSH connection to the switch',
  hello: "netconfd's hello",
  subscribed: 'the notification subscription',
  'get-config': 'the first get-config of running',
  reconciled: 'the first reconcile of Linux',
};

export interface AgentStart {
  /** Wall-clock time of the agent's process start (ms since the epoch). */
  readonly processStartMs: number;
  /** Each phase reached since that start: ms after the process start (first occurrence). */
  readonly phases: Partial<Record<AgentPhase, number>>;
  /** The last `session failed: …` message since the start, and when (ms after the process start). */
  readonly lastFailure?: { readonly atMs: number; readonly message: string };
  readonly ready: boolean;
}

const PHASE_LINE = /^(\S+) \S+ phase (\S+) \+(\d+(?:\.\d+)?) ms$/;
const FAIL_LINE = /^(\S+) \S+ session failed: (.*)$/;

/**
 * The phases of the agent's last start in its log (undefined when it has not logged its start yet).
 * The process start comes from the `loaded` line: its wall time minus its offset.
 */
export function parseAgentLog(log: string): AgentStart | undefined {
  const lines = log.split('\n');
  let from = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (PHASE_LINE.exec(lines[i] ?? '')?.[2] === 'loaded') {
      from = i;
      break;
    }
  }
  if (from < 0) return undefined;
  const first = PHASE_LINE.exec(lines[from] ?? '');
  const processStartMs = Date.parse(first?.[1] ?? '') - Number(first?.[3]);
  if (!Number.isFinite(processStartMs)) return undefined;
  const phases: Partial<Record<AgentPhase, number>> = {};
  let lastFailure: AgentStart['lastFailure'];
  let ready = false;
  for (const line of lines.slice(from)) {
    const p = PHASE_LINE.exec(line);
    if (p && (AGENT_PHASES as readonly string[]).includes(p[2] ?? '') && phases[p[2] as AgentPhase] === undefined)
      phases[p[2] as AgentPhase] = Number(p[3]);
    const f = FAIL_LINE.exec(line);
    if (f) lastFailure = { atMs: Date.parse(f[1] ?? '') - processStartMs, message: f[2] ?? '' };
    if (/^\S+ \S+ ready$/.test(line)) ready = true;
  }
  return { processStartMs, phases, ...(lastFailure ? { lastFailure } : {}), ready };
}

export type AgentVerdict =
  | { readonly state: 'ready'; readonly readyMs: number }
  | { readonly state: 'waiting'; readonly phase: AgentPhase; readonly waitedMs: number }
  | { readonly state: 'late'; readonly phase: AgentPhase; readonly waitedMs: number; readonly deadlineMs: number };

/**
 * Where an agent stands `nowMs` after its process start: ready, waiting for a phase within its
 * deadline, or late for it. A phase's clock starts at the phase before it; session failures do not
 * restart it (an agent that fails to connect every second is stuck just the same), they are quoted.
 */
export function agentVerdict(start: AgentStart | undefined, nowMs: number): AgentVerdict {
  if (start?.ready === true && start.phases.reconciled !== undefined)
    return { state: 'ready', readyMs: start.phases.reconciled };
  let since = 0;
  for (const phase of AGENT_PHASES) {
    const at = start?.phases[phase];
    if (at !== undefined) {
      since = at;
      continue;
    }
    const waitedMs = nowMs - since;
    const deadlineMs = AGENT_PHASE_DEADLINE_MS[phase];
    return waitedMs > deadlineMs ? { state: 'late', phase, waitedMs, deadlineMs } : { state: 'waiting', phase, waitedMs };
  }
  // Every phase logged but not `ready` yet: the line after `reconciled` is moments away.
  return { state: 'waiting', phase: 'reconciled', waitedMs: 0 };
}

/** One line per agent for `lab up --verbose` and the bench: each phase's duration after the one before. */
export function phaseDurations(start: AgentStart): Partial<Record<AgentPhase, number>> {
  const out: Partial<Record<AgentPhase, number>> = {};
  let prev = 0;
  for (const phase of AGENT_PHASES) {
    const at = start.phases[phase];
    if (at === undefined) break;
    out[phase] = at - prev;
    prev = at;
  }
  return out;
}

/** "late: no netconfd's hello within 8 s of the phase before (waited 9.2 s; last failure: …)". */
export function describeVerdict(v: AgentVerdict, start: AgentStart | undefined): string {
  if (v.state === 'ready') return `ready ${(v.readyMs / 1000).toFixed(2)} s after its start`;
  const failure = start?.lastFailure ? `; last failure: ${start.lastFailure.message}` : '';
  if (v.state === 'waiting')
    return `waiting for ${AGENT_PHASE_WAITS_FOR[v.phase]} (phase ${v.phase}, ${(v.waitedMs / 1000).toFixed(1)} s)${failure}`;
  return `stuck before phase ${v.phase}: no ${AGENT_PHASE_WAITS_FOR[v.phase]} within ` +
    `${v.deadlineMs / 1000} s (waited ${(v.waitedMs / 1000).toFixed(1)} s)${failure}`;
}

/** "loaded 0.31 s, ssh +0.42, hello +0.55, subscribed +0.01, get-config +0.02, reconciled +0.07 s". */
export function formatPhases(start: AgentStart): string {
  const d = phaseDurations(start);
  return AGENT_PHASES.filter((p) => d[p] !== undefined)
    .map((p, i) => `${p} ${i === 0 ? '' : '+'}${((d[p] ?? 0) / 1000).toFixed(2)}`).join(', ') + ' s';
}
