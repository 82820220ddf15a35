/**
 * Default HypervisorDriver: libvirt's remote protocol spoken by transports/libvirt/client.ts.
 * Event callbacks (lifecycle, migration iteration, job completed; all domains) are registered at
 * connect, so `events()` subscribers see everything from the moment they subscribe.
 */
import { ConnectionError } from '../../errors/classes.js';
import {
  type LibvirtClient,
  type LibvirtClientOptions,
  type RpcEventMessage,
  connectLibvirt,
} from '../../transports/libvirt/client.js';
import {
  EventId,
  JobStatsFlag,
  MigrateParam,
  detailName,
  jobTypeName,
  lifecycleName,
  reasonName,
  stateName,
} from '../../transports/libvirt/enums.js';
import {
  EventProc,
  Proc,
  type WireDomain,
  decodeIterationMsg,
  decodeJobCompletedMsg,
  decodeLifecycleMsg,
  decodeRebootMsg,
  paramsToRecord,
} from '../../transports/libvirt/protocol.js';
import type { TypedParam } from '../../transports/libvirt/xdr.js';
import type { IoOptions } from '../../util/abort.js';
import { EventHub } from './event-hub.js';
import { startMigrationJob } from './migrate-recipe.js';
import type {
  DomainInfo, DomainRef, DomainSpec, DomainState, HypervisorDriver, HypervisorEvent, DriverJobStats, JobStatsOptions,
  MigrateExtraParams, MigrateOptions, MigrationHandle, MigrationPrimitives,
} from './types.js';

export interface LibvirtRpcDriverOptions extends LibvirtClientOptions {
  /** Name in events and errors (default: the URI's host, or `local`). */
  readonly host?: string;
}

/** VIR_DOMAIN_XML_INACTIVE. */
const XML_INACTIVE = 2;

export function toJobStats(type: number, params: readonly TypedParam[]): DriverJobStats {
  const raw = paramsToRecord(params);
  const fields: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(raw)) fields[k] = typeof v === 'bigint' ? Number(v) : v;
  return { type: jobTypeName(type), typeCode: type, fields };
}

/** PERFORM3_PARAMS typed params: bandwidth always, then the mode's (MigrateParam names and types). */
export function migrateParams(bandwidthMiBs: number, x: MigrateExtraParams): TypedParam[] {
  const ps: TypedParam[] = [{ field: MigrateParam.BANDWIDTH, type: 4, value: BigInt(bandwidthMiBs) }];
  if (x.autoConvergeInitialPct !== undefined)
    ps.push({ field: MigrateParam.AUTO_CONVERGE_INITIAL, type: 1, value: x.autoConvergeInitialPct });
  if (x.autoConvergeIncrementPct !== undefined)
    ps.push({ field: MigrateParam.AUTO_CONVERGE_INCREMENT, type: 1, value: x.autoConvergeIncrementPct });
  if (x.parallelConnections !== undefined)
    ps.push({ field: MigrateParam.PARALLEL_CONNECTIONS, type: 1, value: x.parallelConnections });
  if (x.compression !== undefined) ps.push({ field: MigrateParam.COMPRESSION, type: 7, value: x.compression });
  if (x.xbzrleCacheBytes !== undefined)
    ps.push({ field: MigrateParam.COMPRESSION_XBZRLE_CACHE, type: 4, value: BigInt(x.xbzrleCacheBytes) });
  return ps;
}

export class LibvirtRpcDriver implements HypervisorDriver {
  readonly host: string;
  readonly client: LibvirtClient;
  readonly #hub = new EventHub<HypervisorEvent>();
  readonly #callbacks = new Map<number, number>(); // callbackID → eventID
  #closing = false;

  private constructor(client: LibvirtClient, host: string) {
    this.client = client;
    this.host = host;
    client.onEvent((m) => this.#onEvent(m));
    // Iterators end cleanly on close(); a dropped connection makes them throw its error.
    client.onClose((err) => this.#hub.close(this.#closing ? undefined : err));
  }

  /** Connects (dial + handshake) and registers the event callbacks. */
  static async connect(uri: string, opts: LibvirtRpcDriverOptions = {}): Promise<LibvirtRpcDriver> {
    const client = await connectLibvirt(uri, opts);
    const host = opts.host ?? /^[^:]+:\/\/(?:[^@/]*@)?([^/:?]+)/.exec(uri)?.[1] ?? 'local';
    const d = new LibvirtRpcDriver(client, host);
    try {
      for (const id of [EventId.LIFECYCLE, EventId.REBOOT, EventId.MIGRATION_ITERATION, EventId.JOB_COMPLETED]) {
        const cb = await client.call(
          Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
          { eventId: id, dom: undefined },
          opts,
        );
        d.#callbacks.set(cb, id);
      }
    } catch (e) {
      await client.close({ timeoutMs: 1_000 });
      throw e;
    }
    return d;
  }

  #onEvent(m: RpcEventMessage): void {
    let e: HypervisorEvent | undefined;
    try {
      if (m.proc === EventProc.LIFECYCLE) {
        const x = decodeLifecycleMsg(m.payload);
        if (!this.#callbacks.has(x.callbackId)) return;
        e = {
          kind: 'lifecycle',
          host: this.host,
          domain: { name: x.dom.name, uuid: x.dom.uuid },
          at: m.at,
          event: lifecycleName(x.event),
          eventCode: x.event,
          detail: detailName(x.event, x.detail),
          detailCode: x.detail,
        };
      } else if (m.proc === EventProc.REBOOT) {
        const x = decodeRebootMsg(m.payload);
        if (!this.#callbacks.has(x.callbackId)) return;
        e = { kind: 'reboot', host: this.host, domain: { name: x.dom.name, uuid: x.dom.uuid }, at: m.at };
      } else if (m.proc === EventProc.MIGRATION_ITERATION) {
        const x = decodeIterationMsg(m.payload);
        if (!this.#callbacks.has(x.callbackId)) return;
        e = {
          kind: 'migration-iteration',
          host: this.host,
          domain: { name: x.dom.name, uuid: x.dom.uuid },
          at: m.at,
          iteration: x.iteration,
        };
      } else if (m.proc === EventProc.JOB_COMPLETED) {
        const x = decodeJobCompletedMsg(m.payload);
        if (!this.#callbacks.has(x.callbackId)) return;
        const fields = toJobStats(3, x.params);
        e = {
          kind: 'job-completed',
          host: this.host,
          domain: { name: x.dom.name, uuid: x.dom.uuid },
          at: m.at,
          stats: fields,
        };
      }
    } catch {
      return; // a malformed event must not take the connection down; calls still work
    }
    if (e !== undefined) this.#hub.publish(e);
  }

  async #dom(d: DomainSpec, opts?: IoOptions): Promise<WireDomain> {
    return typeof d === 'string' ? this.client.call(Proc.DOMAIN_LOOKUP_BY_NAME, d, opts) : d;
  }

  lookup(by: { readonly name: string } | { readonly uuid: string }, opts?: IoOptions): Promise<DomainRef> {
    return 'name' in by ? this.client.call(Proc.DOMAIN_LOOKUP_BY_NAME, by.name, opts)
      : this.client.call(Proc.DOMAIN_LOOKUP_BY_UUID, by.uuid, opts);
  }

  async state(d: DomainSpec, opts?: IoOptions): Promise<DomainState> {
    const r = await this.client.call(Proc.DOMAIN_GET_STATE, { dom: await this.#dom(d, opts), flags: 0 }, opts);
    return {
      state: stateName(r.state),
      stateCode: r.state,
      reason: reasonName(r.state, r.reason),
      reasonCode: r.reason,
    };
  }

  async info(d: DomainSpec, opts?: IoOptions): Promise<DomainInfo> {
    const r = await this.client.call(Proc.DOMAIN_GET_INFO, { dom: await this.#dom(d, opts) }, opts);
    return {
      state: stateName(r.state),
      maxMemKiB: Number(r.maxMemKiB),
      memoryKiB: Number(r.memoryKiB),
      vcpus: r.nrVirtCpu,
      cpuTimeNs: r.cpuTimeNs,
    };
  }

  async xml(d: DomainSpec, opts: IoOptions & { readonly inactive?: boolean } = {}): Promise<string> {
    return this.client.call(
      Proc.DOMAIN_GET_XML_DESC,
      { dom: await this.#dom(d, opts), flags: opts.inactive === true ? XML_INACTIVE : 0 },
      opts,
    );
  }

  define(xml: string, opts?: IoOptions): Promise<DomainRef> {
    return this.client.call(Proc.DOMAIN_DEFINE_XML_FLAGS, { xml, flags: 0 }, opts);
  }

  async start(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.client.call(Proc.DOMAIN_CREATE_WITH_FLAGS, { dom: await this.#dom(d, opts), flags: 0 }, opts);
  }
  async destroy(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.client.call(Proc.DOMAIN_DESTROY_FLAGS, { dom: await this.#dom(d, opts), flags: 0 }, opts);
  }
  async undefine(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.client.call(Proc.DOMAIN_UNDEFINE_FLAGS, { dom: await this.#dom(d, opts), flags: 0 }, opts);
  }
  async suspend(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.client.call(Proc.DOMAIN_SUSPEND, { dom: await this.#dom(d, opts) }, opts);
  }
  async resume(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.client.call(Proc.DOMAIN_RESUME, { dom: await this.#dom(d, opts) }, opts);
  }

  async libVersion(opts?: IoOptions): Promise<number> {
    return Number(await this.client.call(Proc.CONNECT_GET_LIB_VERSION, undefined, opts));
  }
  async hypervisorVersion(opts?: IoOptions): Promise<number> {
    return Number(await this.client.call(Proc.CONNECT_GET_VERSION, undefined, opts));
  }
  hostname(opts?: IoOptions): Promise<string> {
    return this.client.call(Proc.CONNECT_GET_HOSTNAME, undefined, opts);
  }

  async jobStats(d: DomainSpec, opts: JobStatsOptions = {}): Promise<DriverJobStats> {
    const flags =
      opts.completed === true ? JobStatsFlag.COMPLETED | (opts.keep === false ? 0 : JobStatsFlag.KEEP_COMPLETED) : 0;
    const r = await this.client.call(Proc.DOMAIN_GET_JOB_STATS, { dom: await this.#dom(d, opts), flags }, opts);
    return toJobStats(r.type, r.params);
  }

  /** The primitives the shared recipe drives; exposed for orchestration that needs single steps. */
  readonly primitives: MigrationPrimitives = {
    driver: this,
    setMaxDowntime: async (d, ms, opts) => {
      await this.client.call(
        Proc.DOMAIN_MIGRATE_SET_MAX_DOWNTIME,
        { dom: await this.#dom(d, opts), ms: BigInt(ms), flags: 0 },
        opts,
      );
    },
    perform: async (d, destinationUri, o) => {
      const params = migrateParams(o.bandwidthMiBs, o.extra ?? {});
      await this.client.call(Proc.DOMAIN_MIGRATE_PERFORM3_PARAMS, {
        dom: await this.#dom(d, o), dconnuri: destinationUri, params, cookieIn: new Uint8Array(), flags: o.flags,
      }, o);
    },
    abortJob: async (d, opts) => {
      await this.client.call(Proc.DOMAIN_ABORT_JOB, { dom: await this.#dom(d, opts) }, opts);
    },
    startPostCopy: async (d, opts) => {
      await this.client.call(Proc.DOMAIN_MIGRATE_START_POST_COPY, { dom: await this.#dom(d, opts), flags: 0 }, opts);
    },
  };

  migrate(d: DomainSpec, destinationUri: string, opts: MigrateOptions = {}): MigrationHandle {
    return startMigrationJob(this.primitives, d, destinationUri, opts);
  }

  events(opts: { readonly signal?: AbortSignal } = {}): AsyncIterableIterator<HypervisorEvent> {
    return this.#hub.subscribe(opts.signal);
  }
  async eventsReady(): Promise<void> {
    if (this.client.closed)
      throw new ConnectionError('libvirt connection is closed', { device: this.host, operation: 'events' });
  }

  async close(): Promise<void> {
    if (this.client.closed) return;
    this.#closing = true;
    for (const cb of this.#callbacks.keys()) {
      await this.client
        .call(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, cb, { timeoutMs: 1_000 })
        .catch(() => undefined);
    }
    await this.client.close({ timeoutMs: 2_000 });
    this.#hub.close();
  }
}

export function createLibvirtRpcDriver(uri: string, opts?: LibvirtRpcDriverOptions): Promise<LibvirtRpcDriver> {
  return LibvirtRpcDriver.connect(uri, opts);
}
