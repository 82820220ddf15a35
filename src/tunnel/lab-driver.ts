/**
 * Executes the tunnel strategy's intent-level operations on Linux routers reachable as network
 * namespaces (the emulated lab): `tunnel-start`/`tunnel-stop` run/stop a tunagent on the device,
 * `add-host-route`/`remove-host-route` with `dev.tunnel` steer the prefix into that agent's tun, and
 * with `dev.fromTunnel` deliver what comes out of it (a policy table: the route stays local).
 * Other operations are not this module's (`handles` says which are). Idempotent, so rollback may
 * replay inverses: starting a running tunnel or stopping a stopped one is a no-op.
 */
import type { DeviceOp, OnLink } from '../migration/strategies/types.js';
import type { CommandRunner } from '../exec/types.js';
import type { IoOptions } from '../util/abort.js';
import type { AgentCounters } from './header.js';
import {
  TunnelAgent,
  captureIntoTunnel,
  deliverFromTunnel,
  releaseCapture,
  removeDelivery,
  stopDelivery,
} from './agent.js';
import { DEFAULT_ENCAPSULATION, endpointConflict, tunIfName, type TunnelEndpoint } from './header.js';
import { UnsupportedError } from '../errors/classes.js';
import { defined } from '../model/defined.js';

export interface LabTunnelDriverOptions {
  /** Namespace of a device (`torA` → `vmmi-torA`). */
  readonly nsOf: (device: string) => string;
  /** Runner inside a device's namespace (netnsRunner(nsOf(device)) in the lab). */
  readonly runnerOf: (device: string) => CommandRunner;
  /** Bound of every agent's life (ms): the run's budget plus margin. */
  readonly maxLifetimeMs: number;
  readonly binary?: string;
  /** Interface of an on-link target on a device (the subnet's bridge, else the named port). */
  readonly interfaceOf: (device: string, dev: OnLink) => string | undefined;
}

export interface LabTunnelDriver {
  /** True for the operations this driver executes. */
  handles(op: DeviceOp): boolean;
  apply(op: DeviceOp, io: IoOptions): Promise<void>;
  /** Running agents by `device/tunnel`. */
  readonly agents: ReadonlyMap<string, TunnelAgent>;
  /** Live counters of every running agent (for the run record: tunnelled packets per direction). */
  counters(io: IoOptions): Promise<Record<string, AgentCounters>>;
  /** Stops every agent (their tun devices and routes vanish with them). */
  stopAll(io: IoOptions): Promise<Record<string, AgentCounters | undefined>>;
}

/**
 * Throws when `op` would start a raw-socket tunnel that the device's running one between the same
 * addresses could not be told apart from (header.ts endpointConflict).
 */
export function checkEndpoint(
  running: ReadonlyMap<string, TunnelEndpoint & { readonly device: string }>,
  op: Extract<DeviceOp, { op: 'tunnel-start' }>,
): TunnelEndpoint {
  const next: TunnelEndpoint = { tunnel: op.tunnel, local: op.local, remote: op.remote,
    encapsulation: op.encapsulation ?? DEFAULT_ENCAPSULATION };
  const other = endpointConflict([...running.values()].filter((r) => r.device === op.device), next);
  if (other !== undefined) {
    throw new UnsupportedError(`${op.device}: tunnel ${op.tunnel} (${next.encapsulation} ${op.local} ⇄ ` +
      `${op.remote}) cannot run beside tunnel ${other.tunnel} between the same addresses: ${next.encapsulation} ` +
      'carries no flow id, so each agent would take the other\'s packets',
    { hint: 'use encapsulation udp (defaults.tunnel.encapsulation), or move one VM at a time' });
  }
  return next;
}

export function createLabTunnelDriver(o: LabTunnelDriverOptions): LabTunnelDriver {
  const agents = new Map<string, TunnelAgent>();
  /** Endpoints of the running agents, by the same key. */
  const endpoints = new Map<string, TunnelEndpoint & { readonly device: string }>();
  const key = (device: string, tunnel: string): string => `${device}/${tunnel}`;
  return {
    agents,
    handles(op: DeviceOp): boolean {
      if (op.op === 'tunnel-start' || op.op === 'tunnel-stop') return true;
      return (
        (op.op === 'add-host-route' || op.op === 'remove-host-route') &&
        (op.dev?.tunnel !== undefined || op.dev?.fromTunnel !== undefined)
      );
    },
    async apply(op: DeviceOp, io: IoOptions): Promise<void> {
      switch (op.op) {
        case 'tunnel-start': {
          const k = key(op.device, op.tunnel);
          if (agents.get(k)?.running === true) return;
          for (const [x, a] of agents) if (!a.running) endpoints.delete(x);
          const ep = checkEndpoint(endpoints, op);
          const a = await TunnelAgent.start(
            {
              ns: o.nsOf(op.device),
              tunnel: op.tunnel,
              local: op.local,
              remote: op.remote,
              encapsulation: ep.encapsulation,
              maxLifetimeMs: o.maxLifetimeMs,
              ...defined({ binary: o.binary }),
            },
            io,
          );
          agents.set(k, a);
          endpoints.set(k, { ...ep, device: op.device });
          return;
        }
        case 'tunnel-stop': {
          const k = key(op.device, op.tunnel);
          await agents.get(k)?.stop(io);
          agents.delete(k);
          endpoints.delete(k);
          if (op.role === 'decap') await removeDelivery(o.runnerOf(op.device), tunIfName(op.tunnel), io);
          return;
        }
        case 'add-host-route':
        case 'remove-host-route': {
          const runner = o.runnerOf(op.device);
          const from = op.dev?.fromTunnel;
          if (from !== undefined) {
            if (op.op === 'remove-host-route') return stopDelivery(runner, op.prefix, tunIfName(from), io);
            const iface = op.dev === undefined ? undefined : o.interfaceOf(op.device, op.dev);
            if (iface === undefined)
              throw new TypeError(`${op.op} ${op.prefix} on ${op.device}: no interface to deliver on`);
            return deliverFromTunnel(runner, op.prefix, tunIfName(from), iface, io);
          }
          const tunnel = op.dev?.tunnel;
          if (tunnel === undefined)
            throw new TypeError(`${op.op} on ${op.device} has no tunnel: not a tunnel-driver op`);
          if (op.op === 'add-host-route') await captureIntoTunnel(runner, op.prefix, tunIfName(tunnel), io);
          else await releaseCapture(runner, op.prefix, tunIfName(tunnel), io);
          return;
        }
        default:
          throw new TypeError(`${op.op} is not a tunnel-driver op (check handles() first)`);
      }
    },
    async counters(io: IoOptions): Promise<Record<string, AgentCounters>> {
      const out: Record<string, AgentCounters> = {};
      for (const [k, a] of agents) if (a.running) out[k] = await a.counters(io);
      return out;
    },
    async stopAll(io: IoOptions): Promise<Record<string, AgentCounters | undefined>> {
      const out: Record<string, AgentCounters | undefined> = {};
      await Promise.all([...agents].map(async ([k, a]) => { out[k] = await a.stop(io); }));
      agents.clear();
      endpoints.clear();
      return out;
    },
  };
}
