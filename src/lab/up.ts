import { access, mkdir, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import type { Testbed } from '../model/testbed.js';
import { ensureRouters, waitBgpEstablished } from './frr.js';
import { checkBgp, checkReflectors, healthVerdict, type CheckResult, type HealthVerdict } from './health.js';
import { ensureGuestPriority, ensureHypervisors } from './hypervisors.js';
import { ensureLabPki } from './lab-pki.js';
import { ensureL2L3, ensureVeths } from './links.js';
import { acquireLabLock } from './lock.js';
import { ensureNamespaces, ensureNetnsEtc } from './netns.js';
import { stepper, type Progress, type Step } from './progress.js';
import { ensureSwitches, waitAgentsReady, type AgentStatus } from './switches.js';
import { hardwareFile, hardwareYaml } from './hardware.js';
import { ensureLibvirtGuard } from './libvirt-guard.js';
import { ensureMgmtSshds } from './mgmt-sshd.js';
import { keysDir, planLab, type LabPlan } from './topology.js';
import { ensureWan } from './wan.js';
import { switchStateDir, writeNeighSuppress } from './agent/neigh-suppress.js';

/**
 * `vmmi lab up`: builds what the Testbed describes, idempotently (a running lab converges: only
 * missing objects and stopped daemons are created), then runs the health gate. Steps that need
 * vmmi's drivers (define/start guests through the libvirt driver, NETCONF hello with host key
 * verification) come in as `LabGlue` from the composition root: lab/ never imports drivers/.
 */

export interface LabGlue {
  /** Defines and starts every VM not running; resolves once each guest printed LAB-GUEST-READY. */
  ensureVms(plan: LabPlan, signal?: AbortSignal): Promise<string>;
  /** NETCONF hello (host key verified) against every switch. */
  netconfHello(plan: LabPlan, signal?: AbortSignal): Promise<CheckResult[]>;
  /**
   * The hardware view answers: `file` (hardware.yaml) loads as a testbed, every SSH traffic host in it
   * runs an exec (host key pinned), every hypervisor URI answers through vmmi's libvirt driver.
   */
  hardwareView(file: string, signal?: AbortSignal): Promise<CheckResult[]>;
}

export interface LabUpOptions {
  readonly assetsDir: string;
  readonly glue: LabGlue;
  readonly progress?: Progress;
  readonly signal?: AbortSignal;
  /** Health gate limits (ms): BGP establishment (default 30 000). */
  readonly bgpTimeoutMs?: number;
  /** Guests and switches started together (default), or one after the other (for measuring). */
  readonly order?: 'together' | 'guests-first' | 'switches-first';
}

export interface LabUpResult {
  readonly plan: LabPlan;
  readonly health: HealthVerdict;
  /** The switch agents' bring-up phases, as read when they became ready (empty when none started). */
  readonly agents: ReadonlyMap<string, AgentStatus>;
  readonly totalMs: number;
}

/** NETCONF hellos and the agents' readiness, as health checks (a late agent's names its phase). */
async function switchesAnswer(plan: LabPlan, glue: LabGlue, signal?: AbortSignal):
  Promise<{ results: CheckResult[]; agents: Map<string, AgentStatus> }> {
  const [agents, hello] = await Promise.all([waitAgentsReady(plan, signal), glue.netconfHello(plan, signal)]);
  const checks: CheckResult[] = [...agents].map(([sw, a]) => ({
    node: sw,
    check: 'data-plane agent',
    ok: a.verdict.state === 'ready',
    detail: a.verdict.state === 'ready' ? `subscribed, ${a.detail}`
      : `not ready: ${a.detail} (see ${plan.dir}/sw/${sw}/agent.log)`,
  }));
  return { results: [...hello, ...checks], agents };
}

const REQUIRED = ['/usr/sbin/libvirtd', '/usr/bin/qemu-system-x86_64', '/usr/lib/frr/zebra', '/usr/lib/frr/bgpd',
  '/usr/lib/frr/staticd', '/usr/bin/vtysh', '/usr/sbin/netconfd', '/usr/sbin/sshd', '/usr/sbin/ethtool'];

const sig = (o: { signal?: AbortSignal }): { signal?: AbortSignal } => (o.signal ? { signal: o.signal } : {});

async function preflight(plan: LabPlan, assetsDir: string): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new LabError('the emulated lab needs root', { operation: 'lab up', hint: 'run as root (sudo)' });
  const missing: string[] = [];
  for (const f of [
    ...REQUIRED,
    `${assetsDir}/guest-vmlinuz`,
    `${assetsDir}/guest-initrd.gz`,
    `${assetsDir}/wanrelay`,
  ]) {
    await access(f).catch(() => missing.push(f));
  }
  if (missing.length > 0) {
    throw new LabError(`missing: ${missing.join(', ')}`, {
      operation: 'lab up',
      hint: 'run scripts/setup as root (packages, guest image, helpers)',
    });
  }
  await mkdir(plan.dir, { recursive: true });
}

interface SwitchSide {
  readonly switchChecks: CheckResult[];
  readonly hardwareChecks: CheckResult[];
  readonly agents: Map<string, AgentStatus>;
}

/**
 * Independent daemons in parallel. The guests need only their hypervisors and the links, and their
 * boot (TCG) is the longest step: the routers and switches start, and the checks that do not need a
 * guest (BGP, NETCONF hellos, agents subscribed, the lab as hardware) run, while it boots. `order`
 * other than `together` serialises the guests and the switches (bench/lab-bringup.ts measures both
 * orders: whether the guests' raised priority slows the switches down).
 */
async function daemonsAndGuests(tb: Testbed, plan: LabPlan, o: LabUpOptions, step: Step, pki: Promise<unknown>):
  Promise<SwitchSide> {
  const hypervisorsUp = step('hypervisors (libvirtd)', async () => ({
    value: undefined,
    detail: `started: ${(await pki.then(() => ensureHypervisors(plan, o))).join(' ') || 'none (running)'}` +
      `${(await ensureGuestPriority(plan)) ? '; guest priority keeper started' : ''}`,
  }));
  const order = o.order ?? 'together';
  let guestsDone: Promise<void> = Promise.resolve();
  let switchesDone: Promise<unknown> = Promise.resolve();
  guestsDone = (async () => {
    await hypervisorsUp;
    if (order === 'switches-first') await switchesDone.catch(() => undefined);
    await step('guests', async () => ({ value: undefined, detail: await o.glue.ensureVms(plan, o.signal) }));
  })();
  const switches = (async (): Promise<SwitchSide> => {
    if (order === 'guests-first') await guestsDone.catch(() => undefined);
    return switchSide(tb, plan, o, step, hypervisorsUp);
  })();
  switchesDone = switches;
  const [, , , side] = await Promise.all([
    guestsDone,
    step('WAN link', async () => ({ value: undefined, detail: `mode ${await ensureWan(plan, o.assetsDir, o)}` })),
    (async () => {
      await step('routers (FRR)', async () => ({ value: undefined, detail: `${await ensureRouters(plan, o)} daemons started` }));
      await step('BGP established', async () => {
        const s = await waitBgpEstablished(plan, o.bgpTimeoutMs ?? 30_000, o);
        return { value: undefined, detail: `${s.length} sessions` };
      });
    })(),
    switches,
  ]);
  return side;
}

/** Switch daemons and agents, the hosts' management sshds, then what answers without a guest. */
async function switchSide(tb: Testbed, plan: LabPlan, o: LabUpOptions, step: Step, hypervisorsUp: Promise<void>):
  Promise<SwitchSide> {
  await step('switches (netconfd, sshd, agents)', async () => ({
    value: undefined,
    detail: `started: ${(await ensureSwitches(plan, o)).join(' ') || 'none (running)'}`,
  }));
  // After the switches: they make the lab's keys and known_hosts, which these sshds use.
  await step('host management sshds', async () => ({
    value: undefined,
    detail: `started: ${(await ensureMgmtSshds(plan, keysDir(plan), sig(o))).join(' ') || 'none (running)'}`,
  }));
  let agents = new Map<string, AgentStatus>();
  const [switchChecks, hardwareChecks] = await Promise.all([
    step('switches answer (hello, agents)', async () => {
      const r = await switchesAnswer(plan, o.glue, o.signal);
      agents = r.agents;
      return { value: r.results, detail: `${r.results.filter((c) => c.ok).length}/${r.results.length} ok` };
    }),
    step('lab as hardware (hardware.yaml answers)', async () => {
      const file = hardwareFile(plan);
      await writeFile(file, hardwareYaml(tb, plan), { mode: 0o644 }); // references to secrets only
      await hypervisorsUp.catch(() => undefined); // its failure is the guests' branch's to report
      const results = await o.glue.hardwareView(file, o.signal);
      return { value: results, detail: `${file}: ${results.filter((r) => r.ok).length}/${results.length} ok` };
    }),
  ]);
  return { switchChecks, hardwareChecks, agents };
}

/** Veths, bridges, addresses, routes; the libvirt TCP guard before any libvirtd listens on a management address. */
async function links(plan: LabPlan, o: LabUpOptions): Promise<string> {
  const n = await ensureVeths(plan, o);
  await ensureL2L3(plan, o);
  await ensureLibvirtGuard(plan, sig(o));
  return `${n} veth pairs created; libvirt TLS port for root only`;
}

export async function labUp(tb: Testbed, o: LabUpOptions): Promise<LabUpResult> {
  const t0 = performance.now();
  const plan = planLab(tb, { assetsDir: o.assetsDir });
  const step = stepper(o.progress);
  const lock = await acquireLabLock(plan.prefix, 'lab up');
  try {
    await step('preflight', async () => {
      await preflight(plan, o.assetsDir);
      await writeFile(
        `${plan.dir}/lab.json`,
        JSON.stringify({ prefix: plan.prefix, namespaces: plan.nodes.map((n) => n.ns), owner: process.pid }),
      );
      // ARP/ND suppression starts off (harness/lab-control.ts turns it): the TORs' agents set their VXLAN
      // ports so at their next pass, on a running lab too.
      await Promise.all(plan.nodes.filter((n) => n.role === 'tor')
        .map((n) => writeNeighSuppress(switchStateDir(plan.dir, n.node), false)));
      return { value: undefined, detail: `plan: ${plan.nodes.length} namespaces, ${plan.veths.length} veth pairs` };
    });
    // The lab's TLS identities need nothing but the plan: made while namespaces and links are built.
    const pki = ensureLabPki(plan, o);
    pki.catch(() => undefined); // awaited by the hypervisors step, which reports a failure
    await step('namespaces', async () => {
      await ensureNetnsEtc(plan.nodes, [...plan.hypervisors.map((h) => [h.address, h.name] as const),
        ...plan.switches.map((s) => [s.address, s.name] as const)]);
      return { value: undefined, detail: `${await ensureNamespaces(plan.nodes, o)} created` };
    });
    await step('links, bridges, addresses, routes', async () => ({ value: undefined, detail: await links(plan, o) }));
    const { switchChecks, hardwareChecks, agents } = await daemonsAndGuests(tb, plan, o, step, pki);
    const health = await step('health gate', async () => {
      const vms = tb.vms.map((v) => ({
        vm: v.name,
        port: v.reflectorPort,
        ...(v.ipv4 ? { ipv4: v.ipv4 } : {}),
        ...(v.ipv6 ? { ipv6: v.ipv6 } : {}),
      }));
      const [bgp, refl] = await Promise.all([
        checkBgp(plan, o),
        checkReflectors(
          plan,
          vms.filter((v) => v.port > 0),
          o,
        ),
      ]);
      const v = healthVerdict([...bgp, ...refl, ...switchChecks, ...hardwareChecks]);
      if (!v.ok) throw new LabError(`health gate failed:\n  ${v.failures.join('\n  ')}`, { operation: 'lab up' });
      return { value: v, detail: `${v.results.length} checks passed` };
    });
    return { plan, health, agents, totalMs: performance.now() - t0 };
  } finally {
    await lock.release();
  }
}
