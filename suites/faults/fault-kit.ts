/**
 * Real faults for the emulated lab and the independent checks made after each: where the VM runs
 * (asked of every hypervisor on fresh connections, not of the drivers the run used), the switches'
 * running configs against a snapshot, and the matrix rows docs/reliability.md's table is made of.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SshPool, type Testbed } from '../../src/index.js';
import { flattenXml, openHypervisorDriver, openSwitchDriver, parseXml } from './fault-imports.js';

const run = promisify(execFile);

/** Hypervisors where `vm` is running or paused, each asked on a new connection. */
export async function census(tb: Testbed, vm: string): Promise<string[]> {
  const on: string[] = [];
  for (const hv of tb.hypervisors) {
    const d = await openHypervisorDriver(hv.driver, hv, {});
    try {
      const s = await d.state(vm, { timeoutMs: 15_000 }).catch(() => undefined);
      if (s?.state === 'running' || s?.state === 'paused') on.push(hv.name);
    } finally {
      await d.close().catch(() => undefined);
    }
  }
  return on;
}

/** Running config of every switch, read on new sessions (canonical form: ordering and empty containers ignored). */
export async function snapshotSwitches(tb: Testbed): Promise<Record<string, string>> {
  const pool = new SshPool();
  const out: Record<string, string> = {};
  try {
    for (const sw of tb.switches) {
      const d = await openSwitchDriver(sw, { pool, timeoutMs: 20_000 });
      try {
        const xml = await d.readRunningConfig({ timeoutMs: 20_000 });
        out[sw.name] = flattenXml(parseXml(`<c>${xml}</c>`).children).join('\n');
      } finally {
        await d.close().catch(() => undefined);
      }
    }
  } finally {
    await pool.closeAll();
  }
  return out;
}

/** Names of switches whose config differs from `before`. */
export function residueOf(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((k) => before[k] !== after[k]);
}

/** What differs on one switch: `+ line` present only after, `- line` only before (first `max` lines). */
export function residueLines(before: string, after: string, max = 6): string[] {
  const b = new Set(before.split('\n'));
  const a = new Set(after.split('\n'));
  return [
    ...[...a].filter((l) => !b.has(l)).map((l) => `+ ${l}`),
    ...[...b].filter((l) => !a.has(l)).map((l) => `- ${l}`),
  ].slice(0, max);
}

/** PIDs whose /proc cmdline contains every one of `needles` (no pkill: namespaces do not isolate PIDs). */
export function pidsMatching(...needles: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (needles.every((n) => cmd.includes(n))) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out.filter((p) => p !== process.pid);
}

export function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const p of pids) {
    try { process.kill(p, signal); n++; } catch { /* gone already */ }
  }
  return n;
}

/** The lab hypervisor's libvirtd PID (its pid file, checked against /proc). */
export function libvirtdPid(tb: Testbed, hv: string): number | undefined {
  if (tb.lab === undefined) return undefined;
  try {
    const pid = Number(readFileSync(join(tb.lab.dir, hv, 'run', 'libvirtd.pid'), 'utf8').trim());
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'libvirtd' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Kills the NETCONF subsystem processes serving sessions of lab switch `name` (the SSH channels drop). */
export function dropNetconfSessions(tb: Testbed, name: string): number {
  if (tb.lab === undefined) return 0;
  return killAll(pidsMatching('netconf-subsystem', join(tb.lab.dir, 'sw', name, '/')));
}

const FAULT_TABLE = 'inet';
const faultTableName = (tb: Testbed): string => `${tb.lab?.prefix ?? 'vmmi'}_fault`;

/** Drops the controller's traffic to a switch's management address (root namespace, nftables). */
export async function blockManagement(tb: Testbed, address: string): Promise<void> {
  const t = faultTableName(tb);
  await run('nft', ['add', 'table', FAULT_TABLE, t]);
  await run('nft', ['add', 'chain', FAULT_TABLE, t, 'out', '{ type filter hook output priority 0 ; }']);
  await run('nft', ['add', 'rule', FAULT_TABLE, t, 'out', 'ip', 'daddr', address, 'drop']);
}

export async function unblockManagement(tb: Testbed): Promise<void> {
  await run('nft', ['delete', 'table', FAULT_TABLE, faultTableName(tb)]).catch(() => undefined);
}

/** Takes a lab node's link down or up (`ip -n <ns> link set <dev> down|up`). */
export async function setLink(ns: string, dev: string, up: boolean): Promise<void> {
  await run('ip', ['-n', ns, 'link', 'set', 'dev', dev, up ? 'up' : 'down']);
}

// ------------------------------------------------------------------ the matrix

export interface FaultRow {
  readonly fault: string;
  readonly run: number;
  /** VM running on no hypervisor after the fault and recovery. */
  readonly vmLost: boolean;
  /** VM running on more than one hypervisor. */
  readonly vmTwice: boolean;
  /** Switches whose running config differs from what the VM's final place calls for. */
  readonly residue: readonly string[];
  /** The finished runs' results were found where they belong (history database or records). */
  readonly resultsKept: boolean;
  /** What vmmi said about the run: migrated/rolled-back/refused/failed/errored, plus the error. */
  readonly verdict: string;
  /** True when the outcome is acceptable for this fault (never a silent pass). */
  readonly ok: boolean;
}

export function matrixDir(): string {
  return join(process.env.VMMI_STATE_DIR ?? join('.vmmi', 'state'), 'fault-matrix');
}

// Rows are keyed by the test runner's pid (the workers' parent): a worker restarted after a failure
// appends to the same matrix, an earlier invocation's rows are not mixed in.
export function recordRow(r: FaultRow): void {
  mkdirSync(matrixDir(), { recursive: true });
  appendFileSync(join(matrixDir(), 'rows.jsonl'), `${JSON.stringify({ ...r, runner: process.ppid })}\n`);
}

export function readRows(): FaultRow[] {
  try {
    return readFileSync(join(matrixDir(), 'rows.jsonl'), 'utf8').split('\n').filter((l) => l !== '')
      .map((l) => JSON.parse(l) as FaultRow & { runner?: number }).filter((r) => r.runner === process.ppid);
  } catch {
    return [];
  }
}

/** The table in docs/reliability.md: one line per fault, runs summed. */
export function matrixTable(rows: readonly FaultRow[]): string {
  const faults = [...new Set(rows.map((r) => r.fault))];
  const lines = [
    '| fault | runs | VM lost | VM twice | residue | results kept | verdict |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const f of faults) {
    const rs = rows.filter((r) => r.fault === f);
    const verdicts = [...new Set(rs.map((r) => r.verdict.split(':')[0]))].join(', ');
    lines.push(`| ${f} | ${rs.length} | ${rs.filter((r) => r.vmLost).length} | ${rs.filter((r) => r.vmTwice).length} | `
      + `${rs.filter((r) => r.residue.length > 0).length} | ${rs.filter((r) => r.resultsKept).length}/${rs.length} | `
      + `${rs.every((r) => r.ok) ? 'PASS' : 'FAIL'} (${verdicts}) |`);
  }
  return lines.join('\n');
}
