/**
 * Requests to a guest's control port (lab-assets/udprefl.c), sent by a short-lived `node` wherever a
 * CommandRunner runs it (the controller, a lab namespace, later an SSH host): one datagram out, one
 * line back, bounded by `waitMs` per try and `tries` tries. A lost datagram is retried; a guest that
 * never answers gives undefined, never a made-up verdict.
 */
import type { CommandRunner } from '../../exec/types.js';
import type { IoOptions } from '../../util/abort.js';
import { sleep } from '../../util/abort.js';
import type { MemoryIntegrity } from '../../migration/types.js';
import { integrityVerdict, parseMemcheckReply, type MemcheckReport } from './memcheck.js';
import { defined } from '../../model/defined.js';

const REQUEST = `
const dgram = await import('node:dgram');
const [host, port, cmd, wait] = process.argv.slice(1);
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
const t = setTimeout(() => { console.log('timeout'); s.close(); }, Number(wait));
s.on('error', (e) => { clearTimeout(t); console.log('vmmi-socket-error ' + e.message); s.close(); });
s.once('message', (b) => { clearTimeout(t); process.stdout.write(b.toString().split('\\n')[0] + '\\n'); s.close(); });
s.send(cmd, Number(port), host);
`;

export interface GuestControlTarget {
  readonly runner: CommandRunner;
  /** The guest's address (no prefix length); an IPv6 link-local one carries its `%zone`. */
  readonly address: string;
  readonly port: number;
}

/** Sends `command` and returns the first line of the answer, or undefined after `tries` silent tries. */
export async function guestControlRequest(t: GuestControlTarget, command: string,
  o: IoOptions & { waitMs?: number; tries?: number } = {}): Promise<string | undefined> {
  const wait = o.waitMs ?? 500;
  for (let i = 0; i < (o.tries ?? 3); i++) {
    const r = await t.runner.run(
      [process.execPath, '--input-type=module', '-e', REQUEST, t.address, String(t.port), command, String(wait)],
      { timeoutMs: Math.min(o.timeoutMs ?? 10_000, wait + 5000), ...defined({ signal: o.signal }) },
    );
    const line = r.stdout.trim();
    if (line !== '' && line !== 'timeout' && !line.startsWith('vmmi-socket-error ')) return line;
  }
  return undefined;
}

/** The memory checker's report, or undefined when the control port does not answer. */
export async function queryMemcheck(t: GuestControlTarget, io: IoOptions = {}): Promise<MemcheckReport | undefined> {
  const line = await guestControlRequest(t, 'memcheck', io);
  return line === undefined ? undefined : parseMemcheckReply(line);
}

/**
 * The move's memory-integrity verdict: asks once, then until one full verification pass has begun and
 * ended after that first answer (two more passes), or until a corruption shows, within `budgetMs`.
 */
export async function checkMemoryIntegrity(
  t: GuestControlTarget,
  o: IoOptions & { budgetMs?: number; intervalMs?: number } = {},
): Promise<MemoryIntegrity> {
  const budget = o.budgetMs ?? 5000;
  const t0 = Date.now();
  const io = { timeoutMs: budget, ...defined({ signal: o.signal }) };
  const first = await queryMemcheck(t, io);
  if (first === undefined || first.state !== 'ok') return integrityVerdict(first, undefined);
  let last: MemcheckReport | undefined;
  while (Date.now() - t0 < budget) {
    await sleep(o.intervalMs ?? 250, o.signal);
    const r = await queryMemcheck(t, io);
    if (r === undefined) continue;
    last = r;
    if (r.state !== 'ok' || r.passes >= first.passes + 2) break;
  }
  return integrityVerdict(first, last);
}
