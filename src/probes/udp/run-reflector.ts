import { UsageError } from '../../errors/classes.js';
import type { AgentMainConfig } from './agent-main.js';
import type { ReflectorOptions } from './reflector.js';
import { PACKAGE_ROOT } from '../../util/layout.js';
import { enterArgv, placementArgv, type ProbePlacement } from './run.js';
import {
  chooseReflector, nativeReflectorArgv, nativeReflectorAvailable, nativeReflectorBinary, type ReflectorKind,
} from './native-reflector.js';
import { spawnLocal } from './spawn.js';
import { startReflector } from './reflector.js';

/** Counters and CPU time a reflector process reports when it closes. */
export interface ReflectorReport {
  readonly udpEchoed: number;
  readonly tcpBytes: number;
  readonly tcpConnections: number;
  readonly cpuUserMs?: number;
  readonly cpuSystemMs?: number;
}

export interface RunningReflector {
  /** Which reflector runs: `native udprefl (<binary>)`, `node reflector (…)`. */
  readonly kind: string;
  readonly udpPort: number;
  readonly tcpPort: number | undefined;
  /** Resolves when the reflector has exited (after its lifetime or stop()), with its counters when reported. */
  readonly closed: Promise<ReflectorReport | undefined>;
  stop(): Promise<ReflectorReport | undefined>;
}

/** Where and how a reflector starts; `reflector` picks the native or the TypeScript one (local, netns). */
export type ReflectorStartOptions = Omit<ReflectorOptions, 'signal'> & { readonly reflector?: ReflectorKind };

/**
 * Starts a reflector where `placement` says (in-process, local child, namespace, or a remote host
 * through an injected spawner) and waits until it is bound, so probes never start against a port that
 * is not listening yet. Local and namespace placements run the native `udprefl` when it is built
 * (`reflector: 'node'` or VMMI_PROBE_REFLECTOR=node: the TypeScript one); the others run the
 * TypeScript reflector. Both print the same `ready` and `closed` records.
 */
export async function startReflectorAt(
  placement: ProbePlacement,
  start: ReflectorStartOptions,
  readyTimeoutMs = 15_000,
): Promise<RunningReflector> {
  const { reflector, ...opts } = start;
  if (placement.kind === 'in-process') {
    const r = await startReflector(opts);
    const report = (): ReflectorReport => ({ ...r.stats });
    return {
      kind: 'node reflector (in-process)',
      udpPort: r.udpPort,
      tcpPort: r.tcpPort,
      closed: r.closed.then(report),
      stop: () => r.close().then(report),
    };
  }
  let argv: string[];
  let kind: string;
  const binary = nativeReflectorBinary();
  const chosen = placement.kind === 'ssh' ? 'node' : chooseReflector(reflector, nativeReflectorAvailable(binary), binary);
  // udprefl binds the dual-stack wildcard only: another address is the TypeScript reflector's unless asked.
  if (placement.kind !== 'ssh' && chosen === 'native' && (reflector === 'native' || (opts.host ?? '::') === '::')) {
    argv = nativeReflectorArgv(enterArgv(placement), placement.nice !== undefined, binary, opts);
    kind = `native udprefl (${binary}${placement.nice !== undefined ? ', SCHED_FIFO' : ''})`;
  } else {
    const cfg: AgentMainConfig = { kind: 'reflector', reflector: opts };
    argv = placementArgv(placement, cfg);
    kind = `node reflector (${placement.kind})`;
  }
  const proc = (placement.kind === 'ssh' ? placement.spawner : spawnLocal)(argv, { cwd: PACKAGE_ROOT });
  const it = proc.lines[Symbol.asyncIterator]();
  const timer = setTimeout(() => proc.stop(), readyTimeoutMs);
  const first = await it.next();
  clearTimeout(timer);
  const ready =
    first.done === true
      ? undefined
      : (JSON.parse(first.value) as { t: string; udpPort: number; tcpPort: number | null });
  if (ready?.t !== 'ready') {
    proc.stop();
    const ex = await proc.exit;
    throw new UsageError(
      `reflector did not start (${placement.kind}): exit ${ex.code ?? ex.signal}: ${ex.stderr.trim().slice(-400)}`,
    );
  }
  const closed = (async () => {
    let report: ReflectorReport | undefined;
    for (let n = await it.next(); n.done !== true; n = await it.next()) {
      const rec = JSON.parse(n.value) as { t: string } & ReflectorReport;
      if (rec.t === 'closed') report = rec;
    }
    await proc.exit;
    return report;
  })();
  return {
    kind,
    udpPort: ready.udpPort,
    tcpPort: ready.tcpPort ?? undefined,
    closed,
    stop: async () => {
      proc.stop();
      return closed;
    },
  };
}
