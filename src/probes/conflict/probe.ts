/**
 * IP conflict check in the destination subnet, run through a CommandRunner on a host attached to
 * that subnet (the emulated lab: the destination hypervisor's namespace, on its bridge `br0`).
 *
 * - IPv4: an RFC 5227 ARP probe (sender IP 0.0.0.0, so no neighbour cache anywhere is touched) with
 *   iputils `arping -D`; every reply names a holder's MAC.
 * - IPv6: the kernel's own duplicate-address detection (RFC 4862): the address is added, tentative,
 *   to a throw-away probe interface joined to the subnet (a veth whose peer is a port of the bridge,
 *   or a macvlan on a plain NIC). The kernel sends the NS from `::` to the solicited-node group and
 *   marks the address `dadfailed` when anyone defends it (also a host doing DAD for it at the same
 *   moment). DAD never learns the defender's MAC, so on failure the address is removed and one
 *   ordinary neighbour solicitation (a ping from the link-local) resolves it. Chosen over ndisc6 or
 *   a raw-socket helper: nothing to install or build, and the standard's timers and semantics are
 *   the kernel's. The probe interface is deleted afterwards with everything on it.
 * - The testbed's address records (other VMs, hypervisors, switch ports, gateways) are checked too.
 * A reply from the moving VM's own MAC (same L2 segment) is not a conflict. A holder whose own
 * interface came up less than ~1 s ago may not defend its IPv6 address yet (seen with Linux peers).
 */
import type { AddressHolder, ConflictProbe } from '../../migration/types.js';
import type { Testbed } from '../../model/testbed.js';
import type { CommandResult, CommandRunner } from '../../exec/types.js';
import { VmmiError } from '../../errors/vmmi-error.js';
import { pollUntil, type IoOptions } from '../../util/abort.js';
import { parseArping, parseDadState, parseNeighMac, type DadState } from './parse.js';
import { recordHolders, vmByMac, type RecordHolder } from './records.js';
import { defined } from '../../model/defined.js';

export interface ConflictProbeOptions {
  /** Runs on a host attached to the destination subnet (netnsRunner in the lab, SSH elsewhere). */
  readonly runner: CommandRunner;
  /** Interface on the subnet (a bridge in the lab). */
  readonly dev: string;
  /**
   * How the IPv6 probe interface joins `dev`: a veth port of the bridge (default, integration-tested)
   * or a macvlan for a plain NIC (checked by hand once: a defended address read `dadfailed`).
   */
  readonly ipv6Attach?: 'bridge-port' | 'macvlan';
  readonly testbed?: Testbed;
  /** The VM being moved: its own records and replies from its MAC are not conflicts. */
  readonly excludeVm?: string;
  /** ARP probes, one per second (default 2). */
  readonly arpProbes?: number;
  /** IPv6 DAD: NS count and spacing (defaults 1 and 300 ms; RFC 4862 defaults are 1 and 1000 ms). */
  readonly dadTransmits?: number;
  readonly dadRetransMs?: number;
  /** Name of the throw-away IPv6 probe interface (default `vmmicf0`). */
  readonly probeIf?: string;
}

export interface ConflictHolder extends AddressHolder {
  /** What found it: a live ARP reply, a DAD defence, or only the testbed's records. */
  readonly via: 'arp' | 'dad' | 'testbed';
}

export interface ConflictResult {
  readonly address: string;
  readonly family: 4 | 6;
  readonly holder?: ConflictHolder;
  /** Every MAC that answered (several = the address is held more than once). */
  readonly macs: readonly string[];
  readonly records: readonly RecordHolder[];
  readonly durationMs: number;
}

export interface LiveConflictProbe extends ConflictProbe {
  check(address: string, subnet: string, io: IoOptions): Promise<ConflictResult>;
}

export function createConflictProbe(o: ConflictProbeOptions): LiveConflictProbe {
  const run = async (argv: readonly string[], io: IoOptions, timeoutMs = 5000): Promise<CommandResult> =>
    o.runner.run(argv, { timeoutMs, ...defined({ signal: io.signal }) });
  const must = async (argv: readonly string[], io: IoOptions): Promise<CommandResult> => {
    const r = await run(argv, io);
    if (r.failed) {
      throw new VmmiError('PRECHECK', `${argv.join(' ')} failed on ${o.runner.where}: ${r.stderr.trim()}`, {
        operation: 'IP conflict check',
        hint: 'the conflict probe needs root on a host attached to the destination subnet',
      });
    }
    return r;
  };

  async function arp(address: string, io: IoOptions): Promise<string[]> {
    const n = Math.max(1, o.arpProbes ?? 2);
    const r = await run(['arping', '-D', '-I', o.dev, '-c', String(n), '-w', String(n), address], io, n * 1000 + 3000);
    const p = parseArping(r.stdout);
    if (p.replies.length === 0 && (r.exitCode !== 0 || p.sent === undefined)) {
      throw new VmmiError(
        'PRECHECK',
        `arping -D ${address} on ${o.dev} (${o.runner.where}) failed: ${(r.stderr || r.stdout).trim()}`,
        { operation: 'IP conflict check', hint: 'install iputils-arping (scripts/setup) and check the interface name' },
      );
    }
    return p.replies.map((x) => x.mac);
  }

  async function dad(address: string, io: IoOptions): Promise<string[]> {
    const pif = o.probeIf ?? 'vmmicf0';
    const peer = `${pif}p`;
    const tx = Math.max(1, o.dadTransmits ?? 1);
    const retrans = Math.max(50, o.dadRetransMs ?? 300);
    await run(['ip', 'link', 'del', 'dev', pif], io); // leftover of an interrupted check
    if (o.ipv6Attach === 'macvlan') {
      await must(['ip', 'link', 'add', pif, 'link', o.dev, 'type', 'macvlan', 'mode', 'bridge'], io);
    } else {
      await must(['ip', 'link', 'add', pif, 'type', 'veth', 'peer', 'name', peer], io);
    }
    try {
      if (o.ipv6Attach !== 'macvlan') {
        await must(['ip', 'link', 'set', 'dev', peer, 'master', o.dev], io);
        await must(['ip', 'link', 'set', 'dev', peer, 'up'], io);
      }
      await must(['sysctl', '-qw', `net.ipv6.conf.${pif}.disable_ipv6=0`, `net.ipv6.conf.${pif}.accept_dad=1`,
        `net.ipv6.conf.${pif}.dad_transmits=${tx}`, `net.ipv6.conf.${pif}.router_solicitation_delay=0`,
        `net.ipv6.neigh.${pif}.retrans_time_ms=${retrans}`], io);
      await must(['ip', 'link', 'set', 'dev', pif, 'up'], io);
      await must(['ip', '-6', 'addr', 'add', `${address}/128`, 'dev', pif], io);
      const state = await pollUntil(async (): Promise<DadState | undefined> => {
        const s = parseDadState((await must(['ip', '-6', '-o', 'addr', 'show', 'dev', pif], io)).stdout, address);
        return s === 'tentative' ? undefined : s;
      }, `IPv6 DAD of ${address}`, { timeoutMs: (tx + 1) * retrans + 3000, intervalMs: 40,
        ...defined({ signal: io.signal }) });
      if (state !== 'dadfailed') return [];
      // Defended: learn the defender's MAC with one ordinary NS from the link-local address.
      await must(['ip', '-6', 'addr', 'del', `${address}/128`, 'dev', pif], io);
      await must(['ip', '-6', 'route', 'replace', `${address}/128`, 'dev', pif], io);
      for (let i = 0; i < 3; i++) {
        await run(['ping', '-6', '-c', '1', '-W', '1', '-I', pif, address], io, 3000);
        const mac = parseNeighMac((await run(['ip', '-6', 'neigh', 'show', address, 'dev', pif], io)).stdout, address);
        if (mac !== undefined) return [mac];
      }
      return ['unknown'];
    } finally {
      await run(['ip', 'link', 'del', 'dev', pif], {}); // also removes the peer, addresses and routes
    }
  }

  async function check(addressIn: string, subnet: string, io: IoOptions): Promise<ConflictResult> {
    const t0 = Date.now();
    const address = addressIn.trim().replace(/\/\d+$/, ''); // testbed records carry the prefix length
    const family = address.includes(':') ? 6 : 4;
    const tb = o.testbed;
    const records = tb === undefined ? [] : recordHolders(tb, address, o.excludeVm);
    const ownMac = tb?.vms.find((v) => v.name === o.excludeVm)?.mac.toLowerCase();
    const macs = (family === 4 ? await arp(address, io) : await dad(address, io)).filter((m) => m !== ownMac);
    const done = (holder?: ConflictHolder): ConflictResult =>
      ({ address, family, macs, records, durationMs: Date.now() - t0, ...defined({ holder }) });
    const mac = macs[0];
    if (mac !== undefined) {
      const name = (tb === undefined || mac === 'unknown' ? undefined : vmByMac(tb, mac)) ?? records[0]?.name;
      return done({ address, via: family === 4 ? 'arp' : 'dad', ...(mac === 'unknown' ? {} : { mac }),
        ...defined({ name }) });
    }
    const rec = records[0];
    if (rec !== undefined) {
      return done({ address, via: 'testbed', name: `${rec.name} (testbed record, ${subnet})`,
        ...defined({ mac: rec.mac }) });
    }
    return done();
  }

  return {
    check,
    async whoHolds(address: string, subnet: string, io: IoOptions): Promise<AddressHolder | undefined> {
      return (await check(address, subnet, io)).holder;
    },
  };
}
