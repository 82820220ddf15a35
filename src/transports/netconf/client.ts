/**
 * NETCONF client: SSH `netconf` subsystem + session + the RFC 6241/5277 operations as promise
 * methods. Every method takes `{ timeoutMs, signal }`. Raw XML in (`rpc`) and out (`xml`) stays
 * available for vendor-native RPCs.
 */
import type { Duplex } from 'node:stream';
import { sshConnect, type SshConnection, type SshConnectOptions, type SshTarget } from '../ssh.js';
import { CAP, STANDARD_PROFILE, hasCapability, type NetconfProfile } from './hello.js';
import {
  rpcBody, type CommitOptions, type Datastore, type EditConfigOptions, type Filter, type SubscriptionOptions,
} from './operations.js';
import { NetconfSession, type RpcOptions, type RpcReply, type SessionOptions } from './session.js';
import type { NetconfNotification } from './notifications.js';
import type { XChild } from './xml-build.js';
import { child, serializeXml, type XNode } from './xml.js';

export interface NetconfConnectOptions extends SshConnectOptions {
  /** Platform hello profile, passed in by the switch driver registry (default: STANDARD_PROFILE). */
  readonly profile?: NetconfProfile;
  readonly helloTimeoutMs?: number;
  readonly rpcTimeoutMs?: number;
  /** See SessionOptions.helloNudgeMs (default 200 ms; 0 disables). */
  readonly helloNudgeMs?: number;
  readonly maxMessageBytes?: number;
  /** Reuse an existing (pooled) SSH connection; the client then does not close it. */
  readonly connection?: SshConnection;
}

/** Reply data of get / get-config. */
export interface DataReply {
  /** The `<data>` element (undefined when the reply had none). */
  readonly data: XNode | undefined;
  /** Serialised content of `<data>` (children only). */
  readonly xml: () => string;
  readonly reply: RpcReply;
}

export class NetconfClient {
  readonly session: NetconfSession;
  readonly #ssh: SshConnection | undefined;

  constructor(session: NetconfSession, ownedSsh?: SshConnection) {
    this.session = session;
    this.#ssh = ownedSsh;
    session.onClose(() => this.#ssh?.close());
  }

  /** SSH connect (host key verified per target), open the `netconf` subsystem, exchange hellos. */
  static async connect(target: SshTarget, opts: NetconfConnectOptions = {}): Promise<NetconfClient> {
    const ssh = opts.connection ?? (await sshConnect(target, opts));
    try {
      const ch = await ssh.subsystem('netconf', opts);
      return await NetconfClient.over(
        ch,
        { ...opts, device: target.name ?? target.host },
        opts.connection ? undefined : ssh,
      );
    } catch (e) {
      if (opts.connection === undefined) ssh.close();
      throw e;
    }
  }

  /** Starts a session on an already open channel (tests, ssh2 front-ends, exec-stream transports). */
  static async over(ch: Duplex, opts: Partial<SessionOptions> & { device?: string } = {}, owned?: SshConnection):
    Promise<NetconfClient> {
    const profile = opts.profile ?? STANDARD_PROFILE;
    const session = await NetconfSession.start(ch, { ...opts, profile });
    return new NetconfClient(session, owned);
  }

  get sessionId(): number {
    return this.session.sessionId;
  }

  get capabilities(): readonly string[] {
    return this.session.serverCapabilities;
  }

  has(uri: string): boolean {
    return hasCapability(this.session.serverCapabilities, uri);
  }

  get hasCandidate(): boolean {
    return this.has(CAP.candidate);
  }

  rpc(body: XChild | string, o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(body, o);
  }

  async get(filter?: Filter, o?: RpcOptions): Promise<DataReply> {
    return dataReply(await this.session.rpc(rpcBody.get(filter), o));
  }

  async getConfig(source: Datastore = 'running', filter?: Filter, o?: RpcOptions): Promise<DataReply> {
    return dataReply(await this.session.rpc(rpcBody.getConfig(source, filter), o));
  }

  editConfig(config: XChild | readonly XChild[], opts: EditConfigOptions = {}, o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.editConfig(config, opts), o);
  }

  copyConfig(target: Datastore | { url: string }, source: Datastore | { url: string } | { config: XChild },
    o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.copyConfig(target, source), o);
  }

  deleteConfig(target: Datastore | { url: string }, o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.deleteConfig(target), o);
  }

  lock(target: Datastore = 'candidate', o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.lock(target), o);
  }

  unlock(target: Datastore = 'candidate', o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.unlock(target), o);
  }

  validate(source: Datastore | { config: XChild } = 'candidate', o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.validate(source), o);
  }

  commit(opts: CommitOptions = {}, o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.commit(opts), o);
  }

  cancelCommit(persistId?: string, o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.cancelCommit(persistId), o);
  }

  discardChanges(o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.discardChanges(), o);
  }

  killSession(sessionId: number, o?: RpcOptions): Promise<RpcReply> {
    return this.session.rpc(rpcBody.killSession(sessionId), o);
  }

  /** Subscribes and returns the async iterator of events (registered before the RPC is sent). */
  async subscribe(opts: SubscriptionOptions = {}, o?: RpcOptions & { maxQueued?: number }):
    Promise<AsyncIterableIterator<NetconfNotification>> {
    const it = this.session.notifications(o?.maxQueued === undefined ? {} : { maxQueued: o.maxQueued });
    try {
      await this.session.rpc(rpcBody.createSubscription(opts), o);
    } catch (e) {
      await it.return?.();
      throw e;
    }
    return it;
  }

  /** close-session (bounded by `timeoutMs`, default 5 s), then drops the channel whatever happened. */
  async close(o: RpcOptions = {}): Promise<void> {
    if (this.session.closed) return;
    try {
      await this.session.rpc(rpcBody.closeSession(), { timeoutMs: 5_000, ...o });
    } catch {
      // the transport is torn down below either way
    } finally {
      this.session.destroy();
    }
  }
}

function dataReply(reply: RpcReply): DataReply {
  let data: XNode | undefined;
  let parsed = false;
  const get = (): XNode | undefined => {
    if (!parsed) {
      data = child(reply.root(), 'data');
      parsed = true;
    }
    return data;
  };
  return {
    get data() {
      return get();
    },
    xml: () => (get()?.children ?? []).map((c) => serializeXml(c)).join(''),
    reply,
  };
}
