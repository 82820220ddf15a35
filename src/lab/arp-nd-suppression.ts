/**
 * ARP/ND suppression on the emulated lab's stretched segments, set from outside the switches' config
 * (harness/lab-control.ts `setLabArpNdSuppression` is the public knob). What the flag does and why only
 * the VXLAN ports carry it: agent/neigh-suppress.ts.
 */
import { LabError } from '../errors/classes.js';
import { netnsRunner } from '../exec/netns.js';
import type { Testbed } from '../model/testbed.js';
import { sleep, type IoOptions } from '../util/abort.js';
import {
  parsePortFlags, portFlagCommands, switchStateDir, wantedFlag, writeNeighSuppress,
} from './agent/neigh-suppress.js';
import type { LabPlan } from './topology.js';

/** One port of a TOR bridge and its ARP/ND suppression flag, as read back after the knob was set. */
export interface LabSuppressionPort {
  /** The TOR (switch) and the bridge of a subnet with a VNI. */
  readonly device: string;
  readonly bridge: string;
  readonly port: string;
  readonly vxlan: boolean;
  readonly neighSuppress: boolean;
}

export interface LabArpNdSuppression {
  readonly on: boolean;
  readonly ports: readonly LabSuppressionPort[];
}

/**
 * Turns ARP/ND suppression of the emulated lab's stretched segments on or off: on every TOR, on the
 * bridges of the subnets that have a VNI, the VXLAN ports get `neigh_suppress` on (off when `on` is
 * false) and every other port off; the state is also written where each TOR's agent reads it
 * (lab/agent/neigh-suppress.ts), so a VXLAN port an agent creates later (an EVPN attach at the
 * destination during a move) gets the same flag. The host-facing ports stay off because the kernel
 * bridge answers for a remote host only a request that came in on a port without the flag. `lab down`
 * removes the state with the lab's directory and `lab up` writes it off. Resolves with the flags read
 * back; rejects when a command fails or a port does not read as asked after three tries.
 */
export async function setArpNdSuppression(plan: LabPlan, tb: Testbed, on: boolean, io: IoOptions = {}):
  Promise<LabArpNdSuppression> {
  const torOf = new Map(plan.nodes.filter((n) => n.role === 'tor').map((n) => [n.ns, n.node]));
  const vnis = new Set(tb.subnets.filter((s) => s.vni !== undefined).map((s) => s.name));
  const segments = plan.bridges.flatMap((b) => {
    const device = torOf.get(b.ns);
    return device !== undefined && b.subnet !== undefined && vnis.has(b.subnet)
      ? [{ device, ns: b.ns, bridge: b.name }] : [];
  });
  // The agents' state first: a VXLAN port created from now on gets the new flag.
  await Promise.all([...new Set(segments.map((s) => s.device))]
    .map((device) => writeNeighSuppress(switchStateDir(plan.dir, device), on)));
  const timeoutMs = io.timeoutMs ?? 5000;
  const run = async (ns: string, argv: readonly string[]): Promise<string> => {
    const r = await netnsRunner(ns).run(argv, { timeoutMs, ...(io.signal ? { signal: io.signal } : {}) });
    if (r.failed)
      throw new LabError(`${argv.join(' ')} failed in ${ns}: ${(r.stderr || r.stdout).trim()}`, {
        operation: 'set ARP/ND suppression',
        hint: 'is the lab up? (vmmi lab status)',
      });
    return r.stdout;
  };
  const perSegment = await Promise.all(segments.map(async (s) => {
    const read = async () => parsePortFlags(await run(s.ns, ['ip', '-d', '-j', 'link', 'show', 'master', s.bridge]));
    // An agent's pass that read the old state may set a flag back just after: set, read back, up to three times.
    for (let attempt = 1; ; attempt++) {
      for (const argv of portFlagCommands(await read(), on)) await run(s.ns, argv);
      const ports = await read();
      if (portFlagCommands(ports, on).length === 0) {
        return ports.map((p) => ({ device: s.device, bridge: s.bridge, port: p.port, vxlan: p.vxlan,
          neighSuppress: wantedFlag(p, on) }));
      }
      if (attempt === 3)
        throw new LabError(`${s.device}/${s.bridge}: neigh_suppress does not stay as set (${ports
          .map((p) => `${p.port} ${String(p.neighSuppress)}`).join(', ')})`, {
          operation: 'set ARP/ND suppression',
          hint: `see ${switchStateDir(plan.dir, s.device)}/agent.log`,
        });
      await sleep(200, io.signal);
    }
  }));
  return { on, ports: perSegment.flat() };
}
