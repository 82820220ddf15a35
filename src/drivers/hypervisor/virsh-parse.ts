/**
 * Parsers for virsh output (run with LC_ALL=C), producing the same typed values as the RPC driver.
 * Pure: strings in, values out. The word tables mirror virsh's English strings, indexed like the
 * libvirt enums in transports/libvirt/enums.ts.
 */
import { detailName, jobTypeName, lifecycleName, reasonName, stateName } from '../../transports/libvirt/enums.js';
import type { DomainInfo, DomainRef, DomainState, DriverJobStats } from './types.js';

const VIRSH_STATES = ['no state', 'running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];
const VIRSH_REASONS: Readonly<Record<number, readonly string[]>> = {
  1: ['unknown', 'booted', 'migrated', 'restored', 'from snapshot', 'unpaused', 'migration canceled', 'save canceled',
    'event wakeup', 'crashed', 'post-copy', 'post-copy failed'],
  3: ['unknown', 'user', 'migrating', 'saving', 'dumping', 'I/O error', 'watchdog', 'from snapshot', 'shutting down',
    'creating snapshot', 'crashed', 'starting up', 'post-copy', 'post-copy failed', 'api error'],
  4: ['unknown', 'user'],
  5: ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot', 'daemon'],
  6: ['unknown', 'panicked'],
};
const VIRSH_EVENTS = [
  'Defined',
  'Undefined',
  'Started',
  'Suspended',
  'Resumed',
  'Stopped',
  'Shutdown',
  'PMSuspended',
  'Crashed',
];
const VIRSH_DETAILS: Readonly<Record<number, readonly string[]>> = {
  0: ['Added', 'Updated', 'Renamed', 'Snapshot'],
  1: ['Removed', 'Renamed'],
  2: ['Booted', 'Migrated', 'Restored', 'Snapshot', 'Event wakeup'],
  3: [
    'Paused',
    'Migrated',
    'I/O Error',
    'Watchdog',
    'Restored',
    'Snapshot',
    'API error',
    'Post-copy',
    'Post-copy Error',
  ],
  4: ['Unpaused', 'Migrated', 'Snapshot', 'Post-copy', 'Post-copy Error'],
  5: ['Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'Snapshot'],
  6: ['Finished', 'Finished after guest request', 'Finished after host request'],
  7: ['Memory', 'Disk'],
  8: ['Panicked', 'Crashloaded'],
};

/** `Key:   value` lines → record (first colon splits). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** `domstate --reason`: `running (booted)`, `shut off (destroyed)`. */
export function parseDomState(text: string): DomainState {
  const m = /^(.+?) \((.+)\)$/.exec(text.trim());
  const st = m?.[1] ?? text.trim();
  const stateCode = VIRSH_STATES.indexOf(st);
  if (stateCode < 0) throw new SyntaxError(`unexpected virsh domstate output: ${JSON.stringify(text)}`);
  const r = m?.[2] ?? 'unknown';
  const reasonCode = Math.max(0, VIRSH_REASONS[stateCode]?.indexOf(r) ?? 0);
  return { state: stateName(stateCode), stateCode, reason: reasonName(stateCode, reasonCode), reasonCode };
}

/** `dominfo`: identity and info; `Id: -` means inactive (-1). */
export function parseDomInfo(text: string): { ref: DomainRef; info: DomainInfo } {
  const kv = parseKeyValues(text);
  const name = kv['Name'];
  const uuid = kv['UUID'];
  const stateCode = VIRSH_STATES.indexOf(kv['State'] ?? '');
  if (name === undefined || uuid === undefined || stateCode < 0) {
    throw new SyntaxError(`unexpected virsh dominfo output: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const kib = (k: string): number => Number(/^(\d+)/.exec(kv[k] ?? '')?.[1] ?? NaN);
  const cpuS = /^([\d.]+)s$/.exec(kv['CPU time'] ?? '')?.[1];
  return {
    ref: { name, uuid, id: kv['Id'] === '-' || kv['Id'] === undefined ? -1 : Number(kv['Id']) },
    info: {
      state: stateName(stateCode), maxMemKiB: kib('Max memory'), memoryKiB: kib('Used memory'),
      vcpus: Number(kv['CPU(s)'] ?? NaN),
      // virsh prints seconds with one decimal: precision is 100 ms here, ns over RPC.
      cpuTimeNs: cpuS === undefined ? 0n : BigInt(Math.round(Number(cpuS) * 10)) * 100_000_000n,
    },
  };
}

/** `domjobinfo --rawstats`: `Job type: 3` then exact `key: value` lines. */
export function parseJobInfoRaw(text: string): DriverJobStats {
  const kv = parseKeyValues(text);
  const typeCode = Number(kv['Job type'] ?? NaN);
  if (!Number.isInteger(typeCode))
    throw new SyntaxError(`unexpected virsh domjobinfo output: ${JSON.stringify(text.slice(0, 200))}`);
  const fields: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(kv)) {
    if (k === 'Job type') continue;
    fields[k] = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? Number(v) : v;
  }
  return { type: jobTypeName(typeCode), typeCode, fields };
}

/** `version --daemon`: `Running against daemon: 9.0.0` → 9000000. */
export function parseDaemonVersion(text: string): number {
  const m = /Running against daemon:\s*(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (m === null) throw new SyntaxError(`no daemon version in virsh output: ${JSON.stringify(text.slice(0, 200))}`);
  return Number(m[1]) * 1_000_000 + Number(m[2]) * 1_000 + Number(m[3]);
}

/** `Running hypervisor: QEMU 10.0.0` of `virsh version` → 10000000; 0 when virsh prints none. */
export function parseHypervisorVersion(text: string): number {
  const m = /Running hypervisor:\s*\S+\s+(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m === null ? 0 : Number(m[1]) * 1_000_000 + Number(m[2]) * 1_000 + Number(m[3]);
}

/** One event printed by `virsh event --all --loop --timestamp`, before stamping. */
export type VirshEventRecord =
  | {
      kind: 'lifecycle';
      domain: string;
      event: ReturnType<typeof lifecycleName>;
      eventCode: number;
      detail: string;
      detailCode: number;
      virshTime: string;
    }
  | { kind: 'reboot'; domain: string; virshTime: string }
  | { kind: 'migration-iteration'; domain: string; iteration: number; virshTime: string }
  | { kind: 'job-completed'; domain: string; stats: DriverJobStats; virshTime: string };

// Events with a payload end `for domain 'X': …`; generic ones (reboot) end at the domain's quote.
const EVENT_LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}): event '([^']+)' for domain '(.*?)'(?::\s?(.*))?$/;

/**
 * Parses a block of event output: one line per event; job-completed continues on `\t`-indented
 * `key: value` lines. Unknown event kinds are skipped. Returns events and the leftover text to feed
 * again with the next chunk: an incomplete last line and, unless `final`, a job-completed block that
 * may still continue (the caller passes `final` after a short quiet period).
 */
export function parseVirshEvents(text: string, final = false): { events: VirshEventRecord[]; rest: string } {
  const lines = text.split('\n');
  const tailLine = lines.pop() ?? '';
  const events: VirshEventRecord[] = [];
  let job: { domain: string; virshTime: string; kv: string[]; at: number } | undefined;
  const flushJob = (): void => {
    if (job === undefined) return;
    events.push({
      kind: 'job-completed',
      domain: job.domain,
      virshTime: job.virshTime,
      stats: parseJobInfoRaw(`Job type: 3\n${job.kv.join('\n')}`),
    });
    job = undefined;
  };
  for (const [i, line] of lines.entries()) {
    if (line.startsWith('\t') && job !== undefined) {
      job.kv.push(line.trim());
      continue;
    }
    flushJob();
    const m = EVENT_LINE.exec(line);
    if (m === null) continue;
    const [, virshTime = '', kind, domain = '', tail = ''] = m;
    if (kind === 'lifecycle') {
      const sp = tail.indexOf(' ');
      const ev = sp < 0 ? tail : tail.slice(0, sp);
      const det = sp < 0 ? '' : tail.slice(sp + 1);
      const eventCode = VIRSH_EVENTS.indexOf(ev);
      if (eventCode < 0) continue;
      const detailCode = Math.max(0, VIRSH_DETAILS[eventCode]?.indexOf(det) ?? 0);
      events.push({ kind: 'lifecycle', domain, virshTime, event: lifecycleName(eventCode), eventCode,
        detail: detailName(eventCode, detailCode), detailCode });
    } else if (kind === 'reboot') {
      events.push({ kind: 'reboot', domain, virshTime });
    } else if (kind === 'migration-iteration') {
      const it = /iteration:\s*'?(\d+)'?/.exec(tail);
      if (it !== null) events.push({ kind: 'migration-iteration', domain, virshTime, iteration: Number(it[1]) });
    } else if (kind === 'job-completed') {
      job = { domain, virshTime, kv: [], at: i };
    }
  }
  if (job !== undefined && !final) return { events, rest: `${lines.slice(job.at).join('\n')}\n${tailLine}` };
  flushJob();
  return { events, rest: tailLine };
}
