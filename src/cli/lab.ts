import { access } from 'node:fs/promises';
import { assetsDir, PACKAGE_ROOT } from '../util/layout.js';
import { openHypervisorDriver } from '../drivers/hypervisor/registry.js';
import type { HypervisorDriver } from '../drivers/hypervisor/types.js';
import { LabError, UsageError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import { loadTestbed } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import { netconfEndpoint } from '../model/switch-access.js';
import { NetconfClient } from '../transports/netconf/client.js';
import { labDoctor } from '../lab/doctor.js';
import { openJournals, retireJournal, writerAlive } from '../harness/journal-file.js';
import { labDown, type TeardownResult } from '../lab/down.js';
import type { CheckResult } from '../lab/health.js';
import { formatPhases } from '../lab/agent/phases.js';
import { guestNice, hvUnixUri, serialOffset, waitGuestReady } from '../lab/hypervisors.js';
import type { ProgressEvent } from '../lab/progress.js';
import { hardwareFile } from '../lab/hardware.js';
import { labStatus } from '../lab/status.js';
import { sshConnect } from '../transports/ssh.js';
import { planLab, type LabPlan } from '../lab/topology.js';
import { labUp, type LabGlue } from '../lab/up.js';
import { parseCommand, resolveTestbed, type TestbedRef } from './args.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { showHelp } from './help.js';
import { LAB_DOCTOR, LAB_DOWN, LAB_GROUP, LAB_STATUS, LAB_UP } from './specs.js';
import { defined } from '../model/defined.js';

/**
 * `vmmi lab up | down | status | doctor [--testbed FILE] [--prefix P]`: the emulated lab's
 * composition root. It owns the glue lab/ may not import: guests are defined and started through
 * vmmi's libvirt driver, switches are checked with a NETCONF hello through vmmi's NETCONF client.
 */

export const ASSETS_DIR = assetsDir();

type Sub = 'up' | 'down' | 'status' | 'doctor';
const SPECS = { up: LAB_UP, down: LAB_DOWN, status: LAB_STATUS, doctor: LAB_DOCTOR } as const;

interface LabArgs {
  sub: Sub; testbed: TestbedRef; prefix?: string; place: Map<string, string>; json: boolean; verbose: boolean;
  help: boolean;
}

function parseLabArgs(args: readonly string[]): LabArgs {
  const [word, ...rest] = args;
  if (word === undefined || !Object.hasOwn(SPECS, word)) {
    throw new UsageError(`${word === undefined ? 'a subcommand is needed' : `unknown subcommand "${word}"`}; `
      + `subcommands: ${Object.keys(SPECS).join(', ')}`, { hint: `usage: ${LAB_GROUP.usage}` });
  }
  const sub = word as Sub;
  const { values: parsed, help } = parseCommand(rest, SPECS[sub]);
  // Each subcommand's spec is a subset of these; only `up` has --place, only `status` --json.
  const values = parsed as { testbed?: string; prefix?: string; place?: string[]; json?: boolean; verbose?: boolean };
  const place = new Map<string, string>();
  for (const v of values.place ?? []) {
    const m = /^([^=]+)=([^=]+)$/.exec(v);
    if (m === null) throw new UsageError(`--place takes VM=HOST, got "${v}"; usage: ${LAB_UP.usage}`);
    place.set(m[1] as string, m[2] as string);
  }
  return { sub, testbed: resolveTestbed(values.testbed), place, json: values.json === true,
    verbose: values.verbose === true, help,
    ...defined({ prefix: values.prefix }) };
}

/**
 * Where `lab up` boots each VM that runs nowhere: its home, or the host `--place` names. A rolled-back
 * run restores the network of that run's source, which need not be the VM's home: a fresh guest is
 * booted where the network expects it, or the health gate cannot pass.
 */
function bootHosts(tb: Testbed, plan: LabPlan, place: ReadonlyMap<string, string>): Map<string, string> {
  const hosts = new Map(plan.vms.map((v) => [v.name, v.home]));
  for (const [vm, host] of place) {
    if (!hosts.has(vm))
      throw new UsageError(`--place ${vm}=${host}: no VM "${vm}" in testbed ${tb.name}`, {
        hint: `VMs: ${[...hosts.keys()].join(', ')}`,
      });
    if (!plan.hypervisors.some((h) => h.name === host)) {
      throw new UsageError(`--place ${vm}=${host}: "${host}" is not a lab hypervisor`, {
        hint: `hypervisors: ${plan.hypervisors.map((h) => h.name).join(', ')}`,
      });
    }
    hosts.set(vm, host);
  }
  return hosts;
}

const print = (e: ProgressEvent): void =>
  console.log(
    `${e.ok ? '  ok ' : 'FAIL '} ${e.step.padEnd(36)} ${(e.ms / 1000).toFixed(2).padStart(6)} s  ${e.detail}`,
  );

async function withDrivers<T>(
  tb: Testbed,
  plan: LabPlan,
  fn: (d: Map<string, HypervisorDriver>) => Promise<T>,
): Promise<T> {
  const drivers = new Map<string, HypervisorDriver>();
  try {
    for (const hv of plan.hypervisors) {
      const h = tb.hypervisors.find((x) => x.name === hv.name);
      const spec = h ?? { name: hv.name, uri: hvUnixUri(hv) };
      drivers.set(
        hv.name,
        await openHypervisorDriver(h?.driver ?? 'libvirt-rpc', spec, { rpc: { callTimeoutMs: 30_000 } }),
      );
    }
    return await fn(drivers);
  } finally {
    await Promise.allSettled([...drivers.values()].map((d) => d.close()));
  }
}

/** Host currently running `vm` (undefined: nowhere). */
async function whereRuns(drivers: Map<string, HypervisorDriver>, vm: string): Promise<string | undefined> {
  for (const [host, d] of drivers) {
    const s = await d.state(vm).catch(() => undefined);
    if (s?.state === 'running' || s?.state === 'paused') return host;
  }
  return undefined;
}

async function check(node: string, what: string, f: () => Promise<string>): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    const detail = await f();
    return { node, check: what, ok: true, detail: `${detail} in ${(performance.now() - t0).toFixed(0)} ms` };
  } catch (e) {
    return { node, check: what, ok: false, detail: (e as Error).message };
  }
}

/**
 * The lab as hardware answers from the controller's namespace, through vmmi's own transports and
 * drivers: hardware.yaml loads; every SSH traffic host runs `true` (host key pinned by known_hosts);
 * every hypervisor answers over its libvirt URI and is the host it names (libvirtd's hostname).
 */
async function hardwareView(file: string, signal?: AbortSignal): Promise<CheckResult[]> {
  let hw: Testbed;
  try {
    hw = await loadTestbed(file);
  } catch (e) {
    return [{ node: 'hardware.yaml', check: 'loads as a testbed', ok: false, detail: (e as Error).message }];
  }
  const io = { timeoutMs: 15_000, ...defined({ signal }) };
  const ssh = hw.trafficHosts.filter((t) => t.kind === 'ssh').map((t) =>
    check(t.name, `SSH exec at ${t.address ?? '?'}:${t.port ?? 22} (host key pinned)`, async () => {
      if (t.address === undefined || t.credentials === undefined || t.hostKey === undefined)
        throw new LabError('address, credentials or hostKey missing', { device: t.name });
      const c = await sshConnect({ name: t.name, host: t.address, port: t.port ?? 22, credentials: t.credentials,
        hostKey: t.hostKey }, io);
      try {
        const r = await c.exec(['true'], io);
        if (r.exitCode !== 0) {
          const how = r.exitCode !== undefined ? `exited ${r.exitCode}` : r.signal !== undefined
            ? `ended by signal ${r.signal}` : 'ended without an exit status (channel closed)';
          throw new LabError(`\`true\` ${how}${r.stderr.trim() === '' ? '' : `: ${r.stderr.trim().slice(0, 300)}`}`);
        }
        return 'true ran';
      } finally {
        c.close();
      }
    }));
  const libvirt = hw.hypervisors.map((h) => check(h.name, `libvirt at ${h.uri}`, async () => {
    const d = await openHypervisorDriver(h.driver, h, { rpc: { callTimeoutMs: 15_000 } });
    try {
      const name = await d.hostname(io);
      if (name !== h.name) throw new LabError(`answered as "${name}", not as ${h.name}`, { device: h.name });
      return `hostname ${name}`;
    } finally {
      await d.close();
    }
  }));
  return Promise.all([...ssh, ...libvirt]);
}

/** The driver-backed steps of `lab up` (exported for bench/lab-bringup.ts). */
/** `bootAt`: VM → host for VMs that run nowhere (from `bootHosts`); a VM not in it boots at home. */
export function labGlue(tb: Testbed, bootAt: ReadonlyMap<string, string> = new Map()): LabGlue {
  return {
    ensureVms: (plan) => withDrivers(tb, plan, async (drivers) => {
      const done: string[] = [];
      await Promise.all(plan.vms.map(async (vm) => {
        const on = await whereRuns(drivers, vm.name);
        if (on !== undefined) return void done.push(`${vm.name} running on ${on}`);
        const at = bootAt.get(vm.name) ?? vm.home;
        const hv = plan.hypervisors.find((h) => h.name === at);
        const d = drivers.get(at);
        if (hv === undefined || d === undefined)
          throw new LabError(`${at} is not a lab hypervisor`, { device: vm.name });
        const offset = await serialOffset(hv, vm.name);
        const t0 = performance.now();
        const s = (): string => `${((performance.now() - t0) / 1000).toFixed(2)} s`;
        let definedAt = '';
        let started = '';
        try {
          await d.define(vm.xml, { timeoutMs: 30_000 });
          definedAt = s();
          await d.start(vm.name, { timeoutMs: 30_000 });
          started = s();
        } catch (e) {
          throw new LabError(`define/start failed: ${(e as Error).message}`, {
            device: vm.name,
            operation: `start on ${hv.name}`,
            cause: e,
          });
        }
        const line = await waitGuestReady(hv, vm.name, offset, 60_000);
        const nice = await guestNice(hv, vm.name);
        const prio = nice === undefined ? 'priority unknown' : `nice ${nice}`;
        const ready = s();
        done.push(`${vm.name} booted on ${hv.name} (${line.split(' ')[1] ?? '?'} s guest uptime, ${prio}; ` +
          `defined ${definedAt}, started ${started}, ready ${ready})`);
      }));
      return done.join(', ');
    }),
    netconfHello: async (plan) => Promise.all(tb.switches.map(async (sw): Promise<CheckResult> => {
      const t0 = performance.now();
      try {
        const c = await NetconfClient.connect(netconfEndpoint(sw), { timeoutMs: 10_000 });
        const caps = c.capabilities.length;
        await c.close();
        return {
          node: sw.name,
          check: 'NETCONF hello (host key verified)',
          ok: true,
          detail: `${caps} capabilities in ${(performance.now() - t0).toFixed(0)} ms`,
        };
      } catch (e) {
        return {
          node: sw.name,
          check: `NETCONF hello ${sw.address}:${sw.port}`,
          ok: false,
          detail: (e as Error).message,
        };
      }
    })).then((r) => (plan.switches.length === 0 ? [] : r)),
    hardwareView,
  };
}

function reportTeardown(r: TeardownResult): number {
  const a = r.after;
  const left = [...a.namespaces.map((n) => `namespace ${n}`), ...a.processes.map((p) => `process ${p}`),
    ...a.mounts.map((m) => `mount ${m}`), ...a.links.map((l) => `link ${l}`),
    ...a.firewall.map((t) => `nftables table ${t}`)];
  if (left.length === 0) {
    console.log(
      `lab down: nothing left (${r.killed} processes stopped${r.forced > 0 ? `, ${r.forced} by SIGKILL` : ''})`,
    );
    return 0;
  }
  console.error(`lab down: left behind:\n  ${left.join('\n  ')}`);
  return 1;
}

/** `lab status --json` (docs/cli.md). */
export interface LabStatusJson {
  readonly prefix: string;
  readonly state: 'up' | 'down' | 'partial';
  /** The testbed file as given (--testbed, $VMMI_TESTBED or the default). */
  readonly testbed: string;
  readonly nodes: ReadonlyArray<{ node: string; ok: boolean; items: readonly string[] }>;
  /** Where each VM runs (host null: nowhere); empty when the lab is down. */
  readonly vms: ReadonlyArray<{ vm: string; host: string | null }>;
  readonly problems: readonly string[];
  /** Why the VMs could not be located (a libvirtd that does not answer). */
  readonly guestsError?: string;
  /** The lab described as hardware (`<lab dir>/hardware.yaml`, written by `lab up`), when the file exists. */
  readonly hardwareTestbed?: string;
}

async function status(tb: Testbed, plan: LabPlan, a: LabArgs): Promise<number> {
  const s = await labStatus(plan);
  let guestsError: string | undefined;
  const vms = s.state === 'down' ? [] : await withDrivers(tb, plan, async (d) =>
    Promise.all(plan.vms.map(async (v) => ({ vm: v.name, host: (await whereRuns(d, v.name)) ?? null }))),
  ).catch((e: unknown) => {
    guestsError = (e as Error).message;
    return [];
  });
  const code = s.state === 'up' ? EXIT.ok : EXIT.failed;
  const hw = hardwareFile(plan);
  const hardwareTestbed = (await access(hw).then(() => true, () => false)) ? hw : undefined;
  if (a.json) {
    const out: LabStatusJson = { prefix: s.prefix, state: s.state, testbed: a.testbed.given, nodes: s.nodes, vms,
      problems: s.problems, ...defined({ guestsError, hardwareTestbed }) };
    console.log(JSON.stringify(out, null, 2));
    return code;
  }
  console.log(`lab ${s.prefix}: ${s.state}`);
  for (const n of s.nodes) console.log(`  ${n.ok ? 'ok  ' : 'FAIL'} ${n.node.padEnd(8)} ${n.items.join(', ')}`);
  for (const v of vms) console.log(`       ${v.vm}: ${v.host ?? 'not running'}`);
  if (guestsError !== undefined) console.log(`       guests: ${guestsError}`);
  for (const p of s.problems) console.log(`  problem: ${p}`);
  if (hardwareTestbed !== undefined) console.log(`  as hardware: ${hardwareTestbed}`);
  return code;
}

export const labCommand: Command = {
  summary: LAB_GROUP.summary,
  usage: LAB_GROUP.usage,
  async run(args) {
    const a = parseLabArgs(args);
    if (a.help) return showHelp(SPECS[a.sub], true);
    if (process.getuid?.() !== 0)
      throw new LabError('the emulated lab needs root (network namespaces, libvirtd, FRR)', {
        operation: `lab ${a.sub}`,
        hint: 'run as root',
      });
    // Another prefix is another lab: it gets its own state directory unless VMMI_LAB_DIR says otherwise.
    const tb = await loadTestbed(a.testbed.path, a.prefix === undefined ? {}
      : { labPrefix: a.prefix, labDir: process.env.VMMI_LAB_DIR ?? `/var/lib/vmmi/lab/${a.prefix}` });
    const plan = planLab(tb, { assetsDir: ASSETS_DIR });
    switch (a.sub) {
      case 'up': {
        const bootAt = bootHosts(tb, plan, a.place); // a bad --place is refused before anything changes
        const b = await runLocal([`${PACKAGE_ROOT}/scripts/build-lab-assets`], {
          timeoutMs: 600_000,
          env: { VMMI_ASSETS_DIR: ASSETS_DIR },
        });
        if (b.failed)
          throw new LabError(`scripts/build-lab-assets failed: ${b.stderr.trim()}`, { operation: 'lab up' });
        console.log(`lab up: ${tb.name} (prefix ${plan.prefix}, state ${plan.dir})`);
        const r = await labUp(tb, { assetsDir: ASSETS_DIR, glue: labGlue(tb, bootAt), progress: print });
        if (a.verbose) {
          for (const [sw, st] of r.agents)
            console.log(`       agent ${sw.padEnd(8)} ${st.start ? formatPhases(st.start) : 'no phases logged'}`);
        }
        console.log(
          `lab up: ready in ${(r.totalMs / 1000).toFixed(2)} s (${r.health.results.length} health checks passed)`,
        );
        return 0;
      }
      case 'down':
        return reportTeardown(await labDown(plan, print));
      case 'doctor': {
        const r = await labDoctor(plan, print);
        const b = r.before;
        console.log(
          `lab doctor: found ${b.namespaces.length} namespaces, ${b.processes.length} processes, ${b.mounts.length} mounts, ${b.links.length} links, ${b.firewall.length} nftables tables`,
        );
        for (const p of b.processes) console.log(`  process ${p}`);
        // Interrupted runs on this lab: the lab they changed is gone, so their journals are retired
        // (recorded, not recovered) and say so; other testbeds' journals are left to `vmmi recover`.
        for (const j of await openJournals()) {
          if (j.header.testbed.sha256 !== tb.sha256 || writerAlive(j.header)) continue;
          await retireJournal(j, 'lab torn down by vmmi lab doctor: nothing left to recover');
          console.log(
            `  run journal ${j.header.runId} (${j.header.vm} ${j.header.source} → ${j.header.destination}): retired, its lab is gone`,
          );
        }
        return reportTeardown(r);
      }
      default:
        return status(tb, plan, a);
    }
  },
};
