/**
 * In-process fake libvirtd for unit tests: a unix-socket server speaking the framing, answering the
 * handshake and a few procedures, and letting each test script what a real daemon will not do
 * (truncated frames, oversized lengths, wrong programs, garbage, silence, drops).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FrameDecoder, type Header, type Message, MessageStatus, MessageType, encodeFrame,
} from '../../src/transports/libvirt/frame.js';
import { KEEPALIVE_PROGRAM, Proc, REMOTE_PROGRAM, encodeRemoteError } from '../../src/transports/libvirt/protocol.js';
import { XdrEncoder, uuidFromString } from '../../src/transports/libvirt/xdr.js';

export const FAKE_DOMAIN = { name: 'vm1', uuid: '6c61622d-6876-4000-8000-0000000000aa', id: 3 };

/** One accepted client connection. */
export class FakeConn {
  readonly received: Message[] = [];
  constructor(readonly socket: Socket) {}

  send(h: Partial<Header> & { proc: number }, payload: Uint8Array = new Uint8Array()): void {
    this.socket.write(encodeFrame({ prog: REMOTE_PROGRAM, vers: 1, type: MessageType.REPLY, serial: 0,
      status: MessageStatus.OK, ...h }, payload));
  }
  reply(to: Message, payload: Uint8Array = new Uint8Array()): void {
    this.send({ proc: to.header.proc, serial: to.header.serial }, payload);
  }
  replyError(to: Message, code: number, domain: number, message: string): void {
    this.send({ proc: to.header.proc, serial: to.header.serial, status: MessageStatus.ERROR },
      encodeRemoteError({ code, domain, message }));
  }
  ping(): void {
    this.send({ prog: KEEPALIVE_PROGRAM, proc: 1, type: MessageType.MESSAGE });
  }
  raw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }
}

/** Decides what to do with one call; return false to fall through to the default answers. */
export type FakeHandler = (m: Message, c: FakeConn) => boolean | void;

export function defaultAnswer(m: Message, c: FakeConn): void {
  const e = new XdrEncoder();
  switch (m.header.proc) {
    case Proc.AUTH_LIST.num: e.array([0], (x, v) => x.int(v)); break;
    case Proc.CONNECT_OPEN.num: case Proc.CONNECT_CLOSE.num: break;
    case Proc.CONNECT_SUPPORTS_FEATURE.num: e.int(1); break;
    case Proc.CONNECT_GET_LIB_VERSION.num: e.uhyper(9_000_000n); break;
    case Proc.DOMAIN_LOOKUP_BY_NAME.num:
      e.string(FAKE_DOMAIN.name).opaqueFixed(uuidFromString(FAKE_DOMAIN.uuid), 16).int(FAKE_DOMAIN.id);
      break;
    case Proc.DOMAIN_GET_STATE.num: e.int(1).int(1); break;
    default:
      // What libvirtd 9.0 answers (verified): VIR_ERR_RPC from the RPC domain.
      c.replyError(m, 39, 7, `unknown procedure: ${m.header.proc}`);
      return;
  }
  c.reply(m, e.bytes());
}

export class FakeLibvirtd {
  readonly conns: FakeConn[] = [];
  handler: FakeHandler = () => false;
  private constructor(readonly server: Server, readonly dir: string, readonly socketPath: string) {}

  static async start(): Promise<FakeLibvirtd> {
    const dir = await mkdtemp(join(tmpdir(), 'vmmi-fake-libvirtd-'));
    const socketPath = join(dir, 'sock');
    const box: { self?: FakeLibvirtd } = {};
    const server = createServer((s) => {
      const c = new FakeConn(s);
      box.self?.conns.push(c);
      const dec = new FrameDecoder();
      s.on('error', () => undefined);
      s.on('data', (chunk: Buffer) => {
        for (const m of dec.push(new Uint8Array(chunk))) {
          c.received.push(m);
          if (m.header.type !== MessageType.CALL) continue;
          if (box.self?.handler(m, c) !== true) defaultAnswer(m, c);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    box.self = new FakeLibvirtd(server, dir, socketPath);
    return box.self;
  }

  get uri(): string {
    return `test+unix:///default?socket=${this.socketPath}`;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }
}
