/**
 * What a lab spec needs to run vmmi on a lab of its own: the repository's lab testbed copied with the
 * spec's prefix, lab directory and management range (so a user's `vmmi` lab and the other specs' labs
 * are never touched), and `vmmi` run from the build as a child process with its output kept.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from '@playwright/test';

export const REPO = new URL('../..', import.meta.url).pathname;

export interface OwnLab {
  readonly prefix: string;
  /** The lab's state directory (`/var/lib/vmmi/lab/<prefix>`): hardware.yaml, keys, known_hosts. */
  readonly dir: string;
  /** The copied lab testbed. */
  readonly testbed: string;
}

/**
 * Writes `<work>/local.yaml`: testbeds/local.yaml with `prefix`, its directory, and management addresses
 * 198.19.<octet>.x instead of 198.19.0.x.
 */
export async function ownLabTestbed(work: string, prefix: string, octet: number): Promise<OwnLab> {
  const text = await readFile(join(REPO, 'testbeds/local.yaml'), 'utf8');
  for (const s of ['  prefix: vmmi\n', '  dir: /var/lib/vmmi/lab/vmmi\n', '198.19.0.']) {
    expect(text, `the lab testbed has "${s.trim()}"`).toContain(s);
  }
  const dir = `/var/lib/vmmi/lab/${prefix}`;
  const testbed = join(work, 'local.yaml');
  await writeFile(testbed, text.replace('  prefix: vmmi\n', `  prefix: ${prefix}\n`)
    .replace('  dir: /var/lib/vmmi/lab/vmmi\n', `  dir: ${dir}\n`).replaceAll('198.19.0.', `198.19.${octet}.`));
  return { prefix, dir, testbed };
}

export interface Run { readonly code: number | null; readonly out: string; readonly err: string; readonly ms: number }

/** Any command, its stdout and stderr kept; SIGINT after `timeoutMs`, then SIGKILL 30 s later. */
export function runCommand(argv: readonly string[],
  o: { cwd: string; timeoutMs: number; env?: Record<string, string> }): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(argv[0] as string, argv.slice(1),
    { cwd: o.cwd, env: { ...process.env, VMMI_PROGRESS: '0', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => {
    const soft = setTimeout(() => child.kill('SIGINT'), o.timeoutMs);
    const hard = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs + 30_000);
    child.on('close', (code) => {
      clearTimeout(soft);
      clearTimeout(hard);
      resolve({ code, out, err, ms: Date.now() - t0 });
    });
  });
}

/** `vmmi ARGS` from the build (bin/vmmi.js). */
export const vmmi = (args: readonly string[], o: { cwd: string; timeoutMs: number; env?: Record<string, string> }):
  Promise<Run> => runCommand([process.execPath, join(REPO, 'bin/vmmi.js'), ...args], o);

/** An assertion message: what ran, its exit and its output's tail. */
export const why = (what: string, r: Run): string =>
  `${what} exited ${String(r.code)}\n${r.out.slice(-4000)}\n${r.err.slice(-4000)}`;
