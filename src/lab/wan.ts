import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import { spawnDetached } from '../exec/spawn.js';
import { pollUntil, withDeadline, type IoOptions } from '../util/abort.js';
import { verifiedPid } from './proc.js';
import type { LabPlan, WanPlan } from './topology.js';

/**
 * The WAN link between the sites. Where the kernel has sch_netem, the relay namespace bridges its
 * two veths and netem impairs each egress. Otherwise (this machine kind) the static C relay
 * (lab-assets/wanrelay.c) forwards frames between them after delay/jitter/loss/rate, changeable at
 * run time over its control socket. Both modes expose the same calls: set impairment, cut, restore.
 */

export interface WanSettings {
  readonly delayMs?: number;
  readonly jitterMs?: number;
  readonly lossPct?: number;
  /** 0 = unlimited. */
  readonly rateMbit?: number;
  /** true: drop everything (the link is cut); false: restore. */
  readonly cut?: boolean;
}

export interface WanState {
  readonly mode: 'relay' | 'netem';
  readonly running: boolean;
  /** Raw `key=value` status of the relay (counters included), or netem's qdisc line. */
  readonly fields: Readonly<Record<string, string>>;
}

/** Max runtime of the relay (s): always bounded, long enough for a working day of lab use. */
const RELAY_MAX_S = Number(process.env.VMMI_LAB_WAN_MAX_S ?? 7 * 86400);
const wanDir = (plan: LabPlan): string => `${plan.dir}/wan`;
const modeFile = (plan: LabPlan): string => `${wanDir(plan)}/mode`;
const pidFile = (plan: LabPlan): string => `${wanDir(plan)}/relay.pid`;

async function netemWorks(w: WanPlan, opts: IoOptions): Promise<boolean> {
  const dev = w.devs[0];
  const add = await runLocal(['tc', '-n', w.ns, 'qdisc', 'replace', 'dev', dev, 'root', 'netem', 'delay', '0ms'], opts);
  return !add.failed;
}

/** Starts the WAN emulation if it is not running; returns the mode in use. */
export async function ensureWan(
  plan: LabPlan,
  assetsDir: string,
  opts: IoOptions = {},
): Promise<'relay' | 'netem' | 'none'> {
  const w = plan.wan;
  if (w === undefined) return 'none';
  await mkdir(wanDir(plan), { recursive: true });
  if ((await verifiedPid(pidFile(plan), ['wanrelay'])) !== undefined) return 'relay';
  if (process.env.VMMI_LAB_WAN !== 'relay' && (await netemWorks(w, opts))) {
    const lines = [
      'link add name brwan type bridge',
      'link set dev brwan type bridge forward_delay 0 stp_state 0',
      ...w.devs.map((d) => `link set dev ${d} master brwan`),
      'link set dev brwan up',
    ];
    await runLocal(['ip', '-n', w.ns, '-force', '-batch', '-'], { ...opts, input: `${lines.join('\n')}\n` });
    await writeFile(modeFile(plan), 'netem\n');
    await setWan(plan, w.impairment, opts);
    return 'netem';
  }
  const relay = `${assetsDir}/wanrelay`;
  if (!existsSync(relay)) {
    throw new LabError(`${relay} missing`, {
      device: 'wan',
      operation: 'start WAN relay',
      hint: 'run scripts/build-lab-assets',
    });
  }
  const i = w.impairment;
  await rm(w.controlSocket, { force: true });
  const pid = spawnDetached(
    [
      'ip',
      'netns',
      'exec',
      w.ns,
      relay,
      w.devs[0],
      w.devs[1],
      '-d',
      String(Math.round(i.delayMs * 1000)),
      '-j',
      String(Math.round(i.jitterMs * 1000)),
      '-l',
      String(Math.round(i.lossPct * 10000)),
      '-r',
      String(Math.round(i.rateMbit * 1000)),
      '-t',
      String(RELAY_MAX_S),
      '-q',
      '1024',
      '-s',
      w.controlSocket,
    ],
    `${wanDir(plan)}/relay.log`,
  );
  await writeFile(pidFile(plan), `${pid}\n`);
  await writeFile(modeFile(plan), 'relay\n');
  await pollUntil(() => (existsSync(w.controlSocket) ? true : undefined), 'WAN relay control socket', {
    timeoutMs: 3000,
    intervalMs: 10,
  }).catch(() => {
    throw new LabError(`relay did not open ${w.controlSocket}`, {
      device: 'wan',
      operation: 'start WAN relay',
      hint: `see ${wanDir(plan)}/relay.log`,
    });
  });
  return 'relay';
}

/** One command over the relay's control socket; returns its reply fields. */
async function relayCommand(sock: string, cmd: string, opts: IoOptions): Promise<Record<string, string>> {
  const reply = await withDeadline(new Promise<string>((resolve, reject) => {
    const c = createConnection(sock);
    let out = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${cmd}\n`));
    c.on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  }), 'WAN relay control', { timeoutMs: opts.timeoutMs ?? 2000, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (!reply.startsWith('ok '))
    throw new LabError(`relay answered "${reply.trim()}" to "${cmd}"`, {
      device: 'wan',
      operation: 'control WAN relay',
    });
  return Object.fromEntries(reply.slice(3).trim().split(/\s+/).map((kv) => kv.split('=') as [string, string]));
}

async function mode(plan: LabPlan): Promise<'relay' | 'netem'> {
  try {
    return (await readFile(modeFile(plan), 'utf8')).trim() === 'netem' ? 'netem' : 'relay';
  } catch {
    return 'relay';
  }
}

/** Changes the impairment at run time (both directions); `cut: true` drops everything until restored. */
export async function setWan(plan: LabPlan, s: WanSettings, opts: IoOptions = {}): Promise<WanState> {
  const w = plan.wan;
  if (w === undefined) throw new LabError('this lab has no WAN link', { operation: 'set WAN' });
  if ((await mode(plan)) === 'netem') {
    const loss = s.cut === true ? 100 : (s.lossPct ?? w.impairment.lossPct);
    for (const dev of w.devs) {
      const argv = [
        'tc',
        '-n',
        w.ns,
        'qdisc',
        'replace',
        'dev',
        dev,
        'root',
        'netem',
        'delay',
        `${s.delayMs ?? w.impairment.delayMs}ms`,
        `${s.jitterMs ?? w.impairment.jitterMs}ms`,
        'loss',
        `${loss}%`,
      ];
      const rate = s.rateMbit ?? w.impairment.rateMbit;
      if (rate > 0) argv.push('rate', `${rate}mbit`);
      const r = await runLocal(argv, opts);
      if (r.failed) throw new LabError(`tc: ${r.stderr.trim()}`, { device: 'wan', operation: 'set WAN' });
    }
    return wanState(plan, opts);
  }
  const kv: string[] = [];
  if (s.delayMs !== undefined) kv.push(`delay_us=${Math.round(s.delayMs * 1000)}`);
  if (s.jitterMs !== undefined) kv.push(`jitter_us=${Math.round(s.jitterMs * 1000)}`);
  if (s.lossPct !== undefined) kv.push(`loss_ppm=${Math.round(s.lossPct * 10000)}`);
  if (s.rateMbit !== undefined) kv.push(`rate_kbit=${Math.round(s.rateMbit * 1000)}`);
  if (s.cut !== undefined) kv.push(`cut=${s.cut ? 1 : 0}`);
  return { mode: 'relay', running: true, fields: await relayCommand(w.controlSocket, `set ${kv.join(' ')}`, opts) };
}

export async function wanState(plan: LabPlan, opts: IoOptions = {}): Promise<WanState> {
  const w = plan.wan;
  if (w === undefined) return { mode: 'relay', running: false, fields: {} };
  if ((await mode(plan)) === 'netem') {
    const r = await runLocal(['tc', '-n', w.ns, 'qdisc', 'show', 'dev', w.devs[0]], opts);
    return { mode: 'netem', running: !r.failed && r.stdout.includes('netem'), fields: { qdisc: r.stdout.trim() } };
  }
  if ((await verifiedPid(pidFile(plan), ['wanrelay'])) === undefined)
    return { mode: 'relay', running: false, fields: {} };
  return { mode: 'relay', running: true, fields: await relayCommand(w.controlSocket, 'stats', opts) };
}
