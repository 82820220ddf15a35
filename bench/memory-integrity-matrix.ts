/**
 * Guest memory integrity across plain libvirt migrations, one variation at a time.
 *
 *   npx tsx bench/memory-integrity-matrix.ts [--moves N] [--variants a,b,...] [--testbed F]
 *                                            [--emulator QEMU] [--machine TYPE] [--xml DOMAIN.xml] [--log FILE]
 *
 * Needs a running emulated lab (`vmmi lab up`). For each variant it starts vm1 afresh on hv1 with
 * the variant's domain definition, then moves it round hv1 → hv2 → hv3 → hv1 … with plain
 * `virsh migrate --live --p2p` (no vmmi executor, no network changes), and after every move asks the
 * guest's memory checker (lab-assets/memcheck.c, through the reflector's control port) for a verdict,
 * waiting for one full verification pass that began after the move. The query goes from the
 * namespace of the hypervisor the VM is on to the VM's IPv6 link-local address on br0, so no route has
 * to follow the VM. A guest reset (its uptime went back) and new panic lines on the serial consoles
 * are counted as well.
 *
 * It prints one row per variant: moves, corrupt, resets, failed migrations, the rate of bad moves
 * (corrupt or reset) with its Wilson 95 % interval. Counts, not timings: a busy machine changes how
 * long this takes, not what it counts. Leaves vm1 running on hv1 (rebuild with `vmmi lab up` after).
 */
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLocal } from '../src/exec/local.js';
import { loadTestbed } from '../src/inventory/load.js';
import { netnsRunner } from '../src/exec/netns.js';
import { parseMemcheckReply, type MemcheckReport } from '../src/probes/guest-control/memcheck.js';
import { guestControlRequest } from '../src/probes/guest-control/query.js';
import { wilsonInterval } from '../src/measure/proportion.js';

interface Variant {
  readonly name: string;
  readonly what: string;
  readonly xml?: (x: string) => string;
  readonly bandwidthMiBs?: number;
  readonly maxDowntimeMs?: number;
  /** Wait after a move has been verified before the next one starts. */
  readonly pauseMs?: number;
  /** Autogroup nice of the guest's QEMU for the whole run (vmmi raises it only while the guest boots). */
  readonly nice?: number;
  /** UDP echo traffic to the guest during every move, as vmmi's probe sends (pps). */
  readonly trafficPps?: number;
  /** QEMU binary of this variant (default: --emulator). */
  readonly emulator?: string;
}

const stripAddresses = (x: string): string =>
  x.replace(/\s*<controller[^>]*(\/>|>[\s\S]*?<\/controller>)/g, '').replace(/\s*<address [^>]*\/>/g, '');
const VARIANTS: readonly Variant[] = [
  { name: 'baseline', what: 'pc-i440fx-7.2, memory-backend-ram, qemu64, 4096 MiB/s, 300 ms, back to back' },
  { name: 'probe-traffic', what: 'baseline + 1000 pps UDP echo to the guest during every move', trafficPps: 1000 },
  {
    name: 'memfd',
    what: 'memory-backend-memfd',
    xml: (x) =>
      x.replace('</currentMemory>', "</currentMemory>\n  <memoryBacking><source type='memfd'/></memoryBacking>"),
  },
  { name: 'q35', what: 'machine q35', xml: (x) => stripAddresses(x.replace(/machine='[^']*'/, "machine='q35'")) },
  {
    name: 'tb-size',
    what: 'TCG translation cache 256 MiB',
    xml: (x) => x.replace('<clock', "<features><tcg><tb-cache unit='MiB'>256</tb-cache></tcg></features>\n  <clock"),
  },
  // libvirt has no setting for it: VMMI_QEMU_SINGLE names a wrapper that turns libvirt's `-accel tcg` into
  // `-accel tcg,thread=single`.
  {
    name: 'thread-single',
    what: 'TCG thread=single (wrapper around the QEMU binary)',
    emulator: process.env.VMMI_QEMU_SINGLE ?? '',
  },
  {
    name: 'cpu-max',
    what: 'CPU model max',
    xml: (x) => x.replace(/<cpu[\s\S]*?<\/cpu>/, "<cpu mode='maximum' check='none'/>"),
  },
  { name: 'bw-64', what: 'bandwidth 64 MiB/s', bandwidthMiBs: 64 },
  { name: 'downtime-30', what: 'max downtime 30 ms', maxDowntimeMs: 30 },
  { name: 'pause-3s', what: 'baseline, 3 s pause after every move', pauseMs: 3000 },
  { name: 'nice-10', what: 'guest QEMU at autogroup nice -10 for the whole run', nice: -10 },
  // The one change that is not a setting: the system's QEMU, 10.0 from Debian bookworm-backports, which
  // carries the upstream fix of TCG's dirty tracking (commit 03bfc2188f, QEMU 9.0); run the others with
  // --emulator naming a QEMU 7.2 (bookworm's, unpacked with dpkg -x) to compare.
  {
    name: 'qemu-10',
    what: 'the system QEMU (bookworm-backports 10.0: TCG dirty-tracking fix)',
    emulator: '/usr/bin/qemu-system-x86_64',
  },
];

const { values } = parseArgs({
  options: {
    moves: { type: 'string', default: '100' },
    variants: { type: 'string' },
    testbed: { type: 'string', default: 'testbeds/local.yaml' },
    log: { type: 'string', default: 'reports/memory-integrity-matrix.log' },
    emulator: { type: 'string' },
    machine: { type: 'string' },
    xml: { type: 'string' },
  },
});
const moves = Number(values.moves);
const chosen = values.variants === undefined ? VARIANTS : values.variants.split(',').map((n) => {
  const v = VARIANTS.find((x) => x.name === n);
  if (v === undefined) throw new Error(`unknown variant "${n}"; variants: ${VARIANTS.map((x) => x.name).join(', ')}`);
  if (v.emulator === '')
    throw new Error(`variant ${n} needs its QEMU wrapper: set VMMI_QEMU_SINGLE (see docs/memory-integrity.md)`);
  return v;
});
const tb = await loadTestbed(values.testbed);
if (tb.lab === undefined) throw new Error(`${values.testbed} has no lab section: this bench drives the emulated lab`);
const lab = tb.lab;
const vm = tb.vms[0];
if (vm === undefined || vm.controlPort === 0)
  throw new Error('the first VM needs a controlPort (the memory checker is asked through it)');
const hosts = tb.hypervisors.map((h) => h.name);
const sock = (hv: string): string => `qemu+unix:///system?socket=${lab.dir}/${hv}/run/libvirt-sock`;
const migUri = (hv: string): string => tb.hypervisors.find((h) => h.name === hv)?.migrationUri ?? '';
const ns = (hv: string): string => `${lab.prefix}-${hv}`;
const serial = (hv: string): string => `${lab.dir}/${hv}/log/qemu/${vm.name}.serial`;
/** EUI-64 link-local address of the VM's NIC (the guest kernel's default). */
const linkLocal = (() => {
  const b = vm.mac.split(':').map((h) => parseInt(h, 16));
  b[0] = (b[0] ?? 0) ^ 2;
  const w = [
    (b[0] << 8) | (b[1] ?? 0),
    ((b[2] ?? 0) << 8) | 0xff,
    0xfe00 | (b[3] ?? 0),
    ((b[4] ?? 0) << 8) | (b[5] ?? 0),
  ];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
})();
const log = (line: string): void => { appendFileSync(values.log, `${new Date().toISOString()} ${line}\n`); };

async function virsh(hv: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const r = await runLocal(['virsh', '-c', sock(hv), ...args], { timeoutMs });
  if (r.failed) throw new Error(`virsh ${args.join(' ')} on ${hv}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** One request to the guest's control port from `hv`'s namespace; undefined when nothing answers. */
async function ask(hv: string, cmd: string): Promise<MemcheckReport | undefined> {
  const line = await guestControlRequest(
    { runner: netnsRunner(ns(hv)), address: `${linkLocal}%br0`, port: vm?.controlPort ?? 0 },
    cmd,
    { waitMs: 500, tries: 1, timeoutMs: 5000 },
  );
  return line?.startsWith('memcheck ') === true ? parseMemcheckReply(line) : undefined;
}

/** Asks until a full verification pass has begun and ended after `since` (the checker's passes counter). */
async function verdictAfterMove(hv: string, deadlineMs: number): Promise<MemcheckReport | undefined> {
  const t0 = Date.now();
  let first: MemcheckReport | undefined;
  while (Date.now() - t0 < deadlineMs) {
    const r = await ask(hv, 'memcheck');
    if (r !== undefined) {
      if (r.state === 'corrupt') return r;
      first ??= r;
      if (r.state === 'ok' && first.state === 'ok' && r.passes >= first.passes + 2) return r;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  return first;
}

async function qemuPid(hv: string): Promise<number | undefined> {
  const r = await runLocal(['pgrep', '-f', `guest=${vm?.name},.*${lab.dir}/${hv}/`], { timeoutMs: 5000 });
  const pid = Number(r.stdout.trim().split('\n')[0]);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
}

async function setNice(hv: string, nice: number): Promise<void> {
  const pid = await qemuPid(hv);
  if (pid !== undefined) {
    try {
      appendFileSync(`/proc/${pid}/autogroup`, String(nice));
    } catch {
      /* no autogroup: renice below still ranks it */
    }
    await runLocal(['renice', '-n', String(nice), '-p', String(pid)], { timeoutMs: 5000 });
  }
}

const PANIC =
  /Kernel panic|kernel BUG|general protection fault|stack-protector|scheduling while atomic|BUG: unable to handle/g;
const serialSize = (hv: string): number => { try { return statSync(serial(hv)).size; } catch { return 0; } };
function panicsSince(offsets: Map<string, number>): string[] {
  return hosts.flatMap((hv) => {
    let text = '';
    try { text = readFileSync(serial(hv)).subarray(offsets.get(hv) ?? 0).toString('latin1'); } catch { return []; }
    return [...text.matchAll(PANIC)].map((m) => `${hv}: ${m[0]}`);
  });
}

/** This run's own directory for the variants' domain XML (never a fixed, shared /tmp path). */
const WORK_DIR = mkdtempSync(join(tmpdir(), 'vmmi-integrity-'));

/** Removes vm1 everywhere and starts it afresh on hv1 with the variant's definition. */
async function freshGuest(v: Variant, baseXml: string): Promise<void> {
  for (const hv of hosts) {
    await runLocal(['virsh', '-c', sock(hv), 'destroy', vm?.name ?? ''], { timeoutMs: 30_000 });
    await runLocal(['virsh', '-c', sock(hv), 'undefine', vm?.name ?? ''], { timeoutMs: 30_000 });
  }
  const xmlFile = join(WORK_DIR, `${v.name}.xml`);
  appendFileSync(xmlFile, '', { flag: 'w' });
  const emulator = v.emulator ?? values.emulator;
  let xml = v.xml === undefined ? baseXml : v.xml(baseXml);
  if (emulator !== undefined) xml = xml.replace(/<emulator>[^<]*<\/emulator>/, `<emulator>${emulator}</emulator>`);
  appendFileSync(xmlFile, xml);
  await virsh(hosts[0] ?? 'hv1', ['create', xmlFile]);
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    const r = await ask(hosts[0] ?? 'hv1', 'memcheck');
    if (r?.state === 'ok' && r.passes >= 2) return;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`${v.name}: the fresh guest's memory checker did not answer within 60 s`);
}

/** Bounded UDP echo traffic from `hv`'s namespace to the guest (as vmmi's probe): at most pps × 60 s. */
function startTraffic(hv: string, pps: number): { stop(): void } {
  const script = `
const dgram = await import('node:dgram');
const [host, port, pps] = process.argv.slice(1);
const s = dgram.createSocket('udp6'); s.on('message', () => {});
let n = 0; const max = Number(pps) * 60; const buf = Buffer.alloc(16);
const iv = setInterval(() => { for (let i = 0; i < Number(pps) / 100 && n < max; i++, n++) s.send(buf, Number(port), host); if (n >= max) { clearInterval(iv); s.close(); } }, 10);
process.on('SIGTERM', () => { clearInterval(iv); s.close(); process.exit(0); });
`;
  const ac = new AbortController();
  void runLocal(
    [
      'ip',
      'netns',
      'exec',
      ns(hv),
      process.execPath,
      '--input-type=module',
      '-e',
      script,
      `${linkLocal}%br0`,
      String(vm?.reflectorPort),
      String(pps),
    ],
    { timeoutMs: 65_000, signal: ac.signal },
  ).catch(() => undefined);
  return { stop: () => ac.abort() };
}

function wilsonText(k: number, n: number): string {
  const ci = wilsonInterval(k, n);
  return `${(100 * k / Math.max(1, n)).toFixed(1)} % [${(100 * ci.low).toFixed(1)}, ${(100 * ci.high).toFixed(1)}]`;
}

// The definition as lab up made it (inactive), else the running one (this bench leaves it transient).
const labXml = values.xml !== undefined ? readFileSync(values.xml, 'utf8') : await (async () => {
  for (const args of [['dumpxml', '--inactive', '--migratable', vm.name], ['dumpxml', '--migratable', vm.name]]) {
    for (const hv of hosts) {
      try { return await virsh(hv, args); } catch { /* next */ }
    }
  }
  throw new Error(`${vm.name} is defined on no hypervisor: run vmmi lab up first`);
})();
const baseXml =
  values.machine === undefined ? labXml : labXml.replace(/machine='[^']*'/, `machine='${values.machine}'`);
console.log(
  `memory integrity over plain libvirt migrations: ${moves} moves per variant, round ${hosts.join(' → ')} → ${hosts[0]}; ` +
    `QEMU ${values.emulator ?? 'of the system'}, machine ${values.machine ?? 'as defined'}`,
);
console.log('variant        moves  corrupt  resets  failed  bad moves (Wilson 95 %)   what');
for (const v of chosen) {
  await freshGuest(v, baseXml);
  const offsets = new Map(hosts.map((hv) => [hv, serialSize(hv)]));
  let at = 0;
  let corrupt = 0; let resets = 0; let failed = 0; let done = 0;
  let lastUptime = 0;
  if (v.nice !== undefined) await setNice(hosts[at] ?? 'hv1', v.nice);
  for (let i = 0; i < moves; i++) {
    const from = hosts[at] ?? 'hv1';
    const to = hosts[(at + 1) % hosts.length] ?? 'hv2';
    const traffic = v.trafficPps === undefined ? undefined : startTraffic(from, v.trafficPps);
    try {
      if (v.maxDowntimeMs !== undefined)
        await virsh(from, ['migrate-setmaxdowntime', vm.name, String(v.maxDowntimeMs)]);
      await virsh(from, [
        'migrate',
        '--live',
        '--p2p',
        '--bandwidth',
        String(v.bandwidthMiBs ?? tb.migration.bandwidthMiBs),
        vm.name,
        migUri(to),
      ]);
    } catch (e) {
      failed++;
      log(`${v.name} move ${i + 1} ${from}→${to}: migration failed: ${(e as Error).message}`);
      traffic?.stop();
      continue;
    }
    traffic?.stop();
    at = (at + 1) % hosts.length;
    done++;
    if (v.nice !== undefined) await setNice(to, v.nice);
    const r = await verdictAfterMove(to, 8000);
    if (r === undefined) {
      resets++;
      log(`${v.name} move ${i + 1} ${from}→${to}: no answer from the memory checker (guest dead or resetting)`);
      await freshGuest(v, baseXml);
      at = 0; lastUptime = 0;
      continue;
    }
    if (r.uptimeMs < lastUptime) {
      resets++;
      log(`${v.name} move ${i + 1} ${from}→${to}: guest uptime went back ${lastUptime} → ${r.uptimeMs} ms (reset)`);
    }
    lastUptime = r.uptimeMs;
    if (r.state === 'corrupt') {
      corrupt++;
      log(`${v.name} move ${i + 1} ${from}→${to}: CORRUPT ${r.line}`);
      await freshGuest(v, baseXml);
      at = 0; lastUptime = 0;
    }
    if (v.pauseMs !== undefined) await new Promise((res) => setTimeout(res, v.pauseMs));
  }
  const panics = panicsSince(offsets);
  for (const p of panics) log(`${v.name}: serial: ${p}`);
  const row = `${v.name.padEnd(14)} ${String(done).padStart(5)}  ${String(corrupt).padStart(7)}  ${String(resets).padStart(6)}  ${String(failed).padStart(6)}  ${wilsonText(corrupt + resets, done).padEnd(24)}  ${v.what}${panics.length > 0 ? ` (serial: ${panics.length} panic line(s))` : ''}`;
  console.log(row);
  log(row);
}
