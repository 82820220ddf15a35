/**
 * Adapts the UDP probe (probes/udp) to the executor's ProbeSession. `start` returns only once every
 * flow has run its baseline (measurement.md: ≥ 1 s of replies before the trigger), so the instant it
 * returns is the trigger the loss-before-trigger and no-baseline rules are judged against. `stop`
 * keeps a tail window for RTT-after and the stable-rate point, then ends the agents: an end the
 * controller asked for is a complete run whose planned count is what was sent, while an agent that
 * died, never started or timed out stays ERRORED. It collects samples and hands them to measure/;
 * the executor carries the results to the report.
 */
import { summarizeFlow } from '../measure/summarize.js';
import type { FlowMeasurement, FlowSpec, ProbeSession, TcpSessionLike } from '../migration/types.js';
import type { AgentFlowConfig } from '../probes/udp/agent.js';
import { runTcpSessionAt, type TcpSessionOutcome } from '../probes/tcp-session/run.js';
import { startUdpProbe, type ProbePlacement, type UdpProbeHandle } from '../probes/udp/run.js';
import { sleep, withDeadline, type IoOptions } from '../util/abort.js';
import { monoMs } from '../util/stamp.js';
import { defined } from '../model/defined.js';

export interface ProbeSessionOptions {
  /** Where probes toward the VM run for a traffic host. */
  readonly placementOf: (trafficHost: string) => ProbePlacement;
  /**
   * Makes the traffic hosts of a start ready before their placements are asked for (SSH hosts:
   * connect, check `node`, upload the agent); its failure fails the start, naming the host.
   */
  readonly prepare?: (trafficHosts: readonly string[], io: IoOptions) => Promise<void>;
  /** Replies before the trigger, ms (testbed probe.baselineMs). */
  readonly baselineMs: number;
  /** Window kept after the controller asks to stop, ms. */
  readonly tailMs: number;
  /** Upper bound of the send phase, ms: the run's budget (the agent stops by itself after it). */
  readonly maxDurationMs: number;
  readonly drainMs: number;
  readonly payloadBytes: number;
}

interface Running {
  readonly host: string;
  readonly flows: readonly (FlowSpec & { readonly id: number })[];
  readonly handle: UdpProbeHandle;
  readonly cfg: { readonly flows: readonly AgentFlowConfig[] };
}

/** A flow's TCP session-survival probe: started with the flow, stopped with it. */
interface RunningSession {
  readonly flow: string;
  readonly stop: AbortController;
  readonly outcome: Promise<TcpSessionOutcome>;
}

/** Message interval of the session probe, ms: the resolution of its stall figure. */
const TCP_INTERVAL_MS = 10;

function tcpLike(o: TcpSessionOutcome): TcpSessionLike {
  if (!o.ok) return { ok: false, failure: o.failure };
  const r = o.result;
  if (!r.everConnected)
    return {
      ok: false,
      failure: `never connected (${o.where}): ${r.errors.slice(0, 3).join('; ') || 'no error reported'}`,
    };
  return { ok: true, survived: r.survived, longestStallMs: r.longestStallMs, intervalMs: r.intervalMs,
    resets: r.resets, reconnects: r.reconnects, sent: r.sent, echoed: r.echoed };
}

export function createProbeSession(o: ProbeSessionOptions): ProbeSession {
  let running: Running[] = [];
  let sessions: RunningSession[] = [];
  let triggerMono = 0;
  return {
    async start(flows, io: IoOptions) {
      const byHost = new Map<string, (FlowSpec & { id: number })[]>();
      flows.forEach((f, i) => byHost.set(f.from, [...(byHost.get(f.from) ?? []), { ...f, id: i + 1 }]));
      await o.prepare?.([...byHost.keys()], io);
      running = [...byHost].map(([host, fs]) => {
        const cfg = {
          drainMs: o.drainMs,
          flows: fs.map((f) => ({ id: f.id, name: f.name, target: f.target, port: f.port, ratePps: f.ratePps,
            durationMs: o.maxDurationMs, payloadBytes: o.payloadBytes })),
        };
        return {
          host,
          flows: fs,
          cfg,
          handle: startUdpProbe(o.placementOf(host), cfg, { timeoutMs: o.maxDurationMs + 30_000 }),
        };
      });
      // The session connects during the baseline, so a connection that cannot be made shows before the trigger.
      sessions = flows.filter((f) => f.tcpPort !== undefined).map((f) => {
        const stop = new AbortController();
        const outcome = runTcpSessionAt(o.placementOf(f.from), { host: f.target, port: f.tcpPort as number,
          intervalMs: TCP_INTERVAL_MS, durationMs: o.maxDurationMs, drainMs: o.drainMs, reconnect: true }, stop.signal);
        return { flow: f.name, stop, outcome };
      });
      try {
        await withDeadline(Promise.all(running.map((r) => r.handle.started)), 'probe start', io);
      } catch (e) {
        for (const r of running) r.handle.stop();
        for (const s of sessions) s.stop.abort();
        throw e;
      }
      // Margin over the baseline: the first packets leave a few ms after the agent says hello.
      await sleep(o.baselineMs + 100, io.signal);
      triggerMono = monoMs();
    },
    async stop(io: IoOptions) {
      await sleep(o.tailMs, io.signal).catch(() => undefined);
      for (const r of running) r.handle.stop();
      for (const s of sessions) s.stop.abort();
      const tcp = new Map<string, TcpSessionLike>();
      for (const s of sessions) {
        tcp.set(
          s.flow,
          tcpLike(
            await withDeadline(s.outcome, 'TCP session probe results', io).catch((e: unknown) => ({
              ok: false as const,
              failure: e instanceof Error ? e.message : String(e),
              where: '',
            })),
          ),
        );
      }
      sessions = [];
      const out: FlowMeasurement[] = [];
      for (const r of running) {
        const res = await withDeadline(r.handle.done, 'probe results', io);
        // Collected samples are already on the host's CLOCK_MONOTONIC in ms, the controller's clock.
        const base = 0;
        const triggerRel = triggerMono;
        for (const f of r.flows) {
          const got = res.flows.find((x) => x.spec.name === f.name);
          // A stop the controller asked for ends the run: what was sent is what was planned.
          const end =
            got?.end?.reason === 'aborted' && res.failure === undefined
              ? { ...got.end, reason: 'complete' as const }
              : got?.end;
          const spec = got === undefined ? { name: f.name, ratePps: f.ratePps, plannedPackets: 1, clock: res.clock }
            : { ...got.spec, plannedPackets: end?.sent ?? got.spec.plannedPackets };
          const full = summarizeFlow({
            spec,
            samples: got?.samples ?? [],
            triggerMs: triggerRel,
            end:
              got === undefined
                ? { reason: 'error', detail: res.failure ?? `flow ${f.name} missing from the probe output`, sent: 0 }
                : end,
          });
          const session = tcp.get(f.name);
          out.push({ spec: f, result: full, baseMonoMs: base, samples: got?.samples ?? [],
            ...defined({ failed: res.failure, tcp: session }) });
        }
      }
      running = [];
      return out;
    },
  };
}
