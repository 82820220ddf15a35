/**
 * The run journal on disk: one JSON-lines file per attempt under `<stateDir>/journal/`, first line the
 * header, then one line per step, each write followed by fdatasync (the point of the journal is to
 * survive a SIGKILL or a crash right after a device committed). A retired journal moves to
 * `journal/done/` (kept for audit: what a run changed, and how a recovery ended).
 */
import { mkdir, open, readdir, readFile, rename, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JournalHandle, JournalHeader, JournalStep, RunJournal } from '../migration/journal.js';
import { defined } from '../model/defined.js';

/** `VMMI_STATE_DIR`, or `.vmmi/state` under the working directory. */
export function stateDir(): string {
  return resolve(process.env.VMMI_STATE_DIR ?? join('.vmmi', 'state'));
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** True when the journal's writer still runs (same pid and same start time). */
export function writerAlive(h: JournalHeader): boolean {
  const now = processStartTicks(h.writer.pid);
  return now !== undefined && (h.writer.startTicks === undefined || now === h.writer.startTicks);
}

class FileJournalHandle implements JournalHandle {
  constructor(private readonly fh: FileHandle, private readonly path: string, private readonly doneDir: string) {}
  async record(step: JournalStep): Promise<void> {
    await this.fh.write(`${JSON.stringify(step)}\n`);
    await this.fh.datasync();
  }
  async release(): Promise<void> {
    await this.fh.close();
  }
  async close(outcome: string): Promise<void> {
    await this.record({ step: 'ended', outcome, residue: [] });
    await this.fh.close();
    await mkdir(this.doneDir, { recursive: true });
    await rename(this.path, join(this.doneDir, this.path.split('/').pop() ?? 'journal.jsonl'));
  }
}

/** Where run journals are kept: `journal/` under the state directory. */
export function journalDir(): string {
  return join(stateDir(), 'journal');
}

export function fileJournal(dir = journalDir()): RunJournal {
  return {
    async open(header) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, `${header.runId.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
      const fh = await open(path, 'wx', 0o600);
      const startTicks = processStartTicks(process.pid);
      const h: JournalHeader = { ...header, writer: { pid: header.writer.pid, ...defined({ startTicks }) } };
      await fh.write(`${JSON.stringify(h)}\n`);
      await fh.datasync();
      return new FileJournalHandle(fh, path, join(dir, 'done'));
    },
  };
}

export interface OpenJournal {
  readonly path: string;
  readonly header: JournalHeader;
  readonly steps: readonly JournalStep[];
}

/**
 * Journals not yet retired. A torn last line (the writer died mid-write) is ignored: the step it
 * describes had not been acknowledged to the executor either.
 */
export async function openJournals(dir = journalDir()): Promise<OpenJournal[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  const out: OpenJournal[] = [];
  for (const n of names) {
    const path = join(dir, n);
    const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const parsed: unknown[] = [];
    for (const l of lines) {
      try { parsed.push(JSON.parse(l)); } catch { break; }
    }
    const [header, ...steps] = parsed as [JournalHeader | undefined, ...JournalStep[]];
    if (header === undefined || typeof header.runId !== 'string') continue;
    out.push({ path, header, steps });
  }
  return out;
}

/** Retires a recovered journal with a last line saying what recovery did. */
export async function retireJournal(j: OpenJournal, how: string): Promise<void> {
  const fh = await open(j.path, 'a');
  try {
    await fh.write(`${JSON.stringify({ step: 'recovered', how, at: new Date().toISOString() })}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  const doneDir = join(j.path, '..', 'done');
  await mkdir(doneDir, { recursive: true });
  await rename(j.path, join(doneDir, j.path.split('/').pop() ?? 'journal.jsonl'));
}
