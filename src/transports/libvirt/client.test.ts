import { expect, test } from '@playwright/test';
import { type LibvirtClient, type RpcEventMessage, connectLibvirt } from './client.js';
import { FAKE_DOMAIN, FakeLibvirtd } from '../../../test/fakes/libvirtd.js';
import { MessageType, encodeFrame } from './frame.js';
import { EventProc, KEEPALIVE_PROGRAM, Proc, type ProcDef, decodeLifecycleMsg } from './protocol.js';
import { XdrEncoder, uuidFromString } from './xdr.js';

let fake: FakeLibvirtd;
let client: LibvirtClient | undefined;

test.beforeEach(async () => {
  fake = await FakeLibvirtd.start();
});
test.afterEach(async () => {
  await client?.close({ timeoutMs: 200 });
  client = undefined;
  await fake.stop();
});

const connect = async (extra = {}): Promise<LibvirtClient> => {
  client = await connectLibvirt(fake.uri, { keepaliveIntervalMs: 0, callTimeoutMs: 2_000, ...extra });
  return client;
};
const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};
const unknownProc: ProcDef<void, void> = { num: 9999, name: 'NOPE', args: () => undefined, ret: () => undefined };

test('handshake sends the driver URI; calls decode typed results', async () => {
  const c = await connect();
  const open = fake.conns[0]?.received.find((m) => m.header.proc === Proc.CONNECT_OPEN.num);
  expect(Buffer.from(open?.payload ?? []).toString('latin1')).toContain('test:///default');
  const dom = await c.call(Proc.DOMAIN_LOOKUP_BY_NAME, 'vm1');
  expect(dom).toEqual(FAKE_DOMAIN);
  expect(await c.call(Proc.DOMAIN_GET_STATE, { dom, flags: 0 })).toEqual({ state: 1, reason: 1 });
  expect(await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined)).toBe(9_000_000n);
});

test('many calls in flight, answered in reverse order, each gets its own reply', async () => {
  const c = await connect();
  const held: Array<() => void> = [];
  fake.handler = (m, conn) => {
    if (m.header.proc !== Proc.CONNECT_SUPPORTS_FEATURE.num) return false;
    const e = new XdrEncoder().int(new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(0) % 2);
    held.push(() => conn.reply(m, e.bytes()));
    if (held.length === 50) for (const r of held.reverse()) r();
    return true;
  };
  const res = await Promise.all(Array.from({ length: 50 }, (_, i) => c.call(Proc.CONNECT_SUPPORTS_FEATURE, i)));
  expect(res).toEqual(Array.from({ length: 50 }, (_, i) => i % 2 === 1));
});

test('daemon error reply becomes a LibvirtError with code, domain and name', async () => {
  const c = await connect();
  fake.handler = (m, conn) => (conn.replyError(m, 42, 12, "Domain not found: no domain with matching name 'x'"), true);
  const err = await c.call(Proc.DOMAIN_LOOKUP_BY_NAME, 'x').catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'LIBVIRT', libvirtCode: 42, libvirtDomain: 12, libvirtName: 'no-domain' });
});

test('unknown procedure: the daemon error is typed no-support and the connection stays usable', async () => {
  const c = await connect();
  const err = await c.call(unknownProc, undefined).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'LIBVIRT', libvirtCode: 39, libvirtDomain: 7, libvirtName: 'no-support' });
  expect(await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined)).toBe(9_000_000n);
});

test('a reply that never comes: timeout, then abort, and the client keeps working', async () => {
  const c = await connect();
  fake.handler = (m) => m.header.proc === Proc.DOMAIN_GET_STATE.num;
  expect(await codeOf(c.call(Proc.DOMAIN_GET_STATE, { dom: FAKE_DOMAIN, flags: 0 }, { timeoutMs: 100 }))).toBe(
    'TIMEOUT',
  );
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  expect(await codeOf(c.call(Proc.DOMAIN_GET_STATE, { dom: FAKE_DOMAIN, flags: 0 }, { signal: ac.signal }))).toBe(
    'ABORTED',
  );
  expect(c.pendingCalls).toBe(0);
  expect(await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined)).toBe(9_000_000n);
});

test('connection drop mid-call fails every pending call with ConnectionError', async () => {
  const c = await connect();
  fake.handler = (m, conn) => {
    if (m.header.proc === Proc.DOMAIN_GET_STATE.num) conn.socket.destroy();
    return true;
  };
  const calls = [
    c.call(Proc.CONNECT_GET_LIB_VERSION, undefined),
    c.call(Proc.DOMAIN_GET_STATE, { dom: FAKE_DOMAIN, flags: 0 }),
  ];
  expect(await Promise.all(calls.map(codeOf))).toEqual(['CONNECTION', 'CONNECTION']);
  expect(c.closed).toBe(true);
  expect(await codeOf(c.call(Proc.CONNECT_GET_LIB_VERSION, undefined))).toBe('CONNECTION');
});

test('truncated frame then close is a FRAMING error', async () => {
  const c = await connect();
  fake.handler = (m, conn) => {
    const f = encodeFrame(
      { prog: 0x20008086, vers: 1, proc: m.header.proc, type: 1, serial: m.header.serial, status: 0 },
      new Uint8Array(8),
    );
    conn.raw(f.subarray(0, 20));
    conn.socket.end();
    return true;
  };
  const err = await c.call(Proc.DOMAIN_GET_STATE, { dom: FAKE_DOMAIN, flags: 0 }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'FRAMING' });
  expect(String(err)).toContain('mid-frame (20 of 36 bytes');
});

test('length field over the maximum message size is refused before reading the body', async () => {
  const c = await connect();
  fake.handler = (_m, conn) => (conn.raw(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])), true);
  const err = await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'FRAMING' });
  expect(String(err)).toContain('exceeds the 33554432-byte maximum');
});

test('garbage bytes are a FRAMING error, not a hang', async () => {
  const c = await connect();
  fake.handler = (_m, conn) => (conn.raw(new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n')), true);
  expect(await codeOf(c.call(Proc.CONNECT_GET_LIB_VERSION, undefined))).toBe('FRAMING');
});

test('wrong program is a PROTOCOL error that closes the connection', async () => {
  const c = await connect();
  fake.handler = (m, conn) => (conn.send({ prog: 0x12345678, proc: m.header.proc, serial: m.header.serial }), true);
  const err = await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PROTOCOL' });
  expect(String(err)).toContain('0x12345678');
  expect(c.closed).toBe(true);
});

test('a reply naming another procedure or with a malformed body fails only that call', async () => {
  const c = await connect();
  fake.handler = (m, conn) => {
    if (m.header.proc === Proc.DOMAIN_GET_STATE.num) conn.send({ proc: 1, serial: m.header.serial });
    else if (m.header.proc === Proc.CONNECT_GET_LIB_VERSION.num) conn.reply(m, new Uint8Array(4));
    else return false;
    return true;
  };
  expect(await codeOf(c.call(Proc.DOMAIN_GET_STATE, { dom: FAKE_DOMAIN, flags: 0 }))).toBe('PROTOCOL');
  expect(await codeOf(c.call(Proc.CONNECT_GET_LIB_VERSION, undefined))).toBe('XDR');
  expect(c.closed).toBe(false);
});

test('keepalive: a PING from the daemon is answered with a PONG', async () => {
  const c = await connect();
  const conn = fake.conns[0];
  conn?.ping();
  await expect
    .poll(() => conn?.received.filter((m) => m.header.prog === KEEPALIVE_PROGRAM && m.header.proc === 2).length, {
      timeout: 2_000,
    })
    .toBe(1);
  expect(c.stats).toMatchObject({ pingsReceived: 1, pongsSent: 1 });
});

test('keepalive: own PINGs, and a silent peer is declared dead with a typed error', async () => {
  const c = await connect({ keepaliveIntervalMs: 40, keepaliveCount: 3 });
  const closed = new Promise<Error>((resolve) => c.onClose(resolve));
  const err = await closed;
  expect(err).toMatchObject({ code: 'CONNECTION' });
  expect(err.message).toContain('peer silent');
  expect(c.stats.pingsSent).toBeGreaterThanOrEqual(1);
  expect(fake.conns[0]?.received.some((m) => m.header.prog === KEEPALIVE_PROGRAM && m.header.proc === 1)).toBe(true);
});

test('SASL-only daemon: UnsupportedError naming the fix', async () => {
  fake.handler = (m, conn) => {
    if (m.header.proc !== Proc.AUTH_LIST.num) return false;
    conn.reply(m, new XdrEncoder().array([1], (x, v) => x.int(v)).bytes());
    return true;
  };
  const err = await connectLibvirt(fake.uri, { keepaliveIntervalMs: 0 }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'UNSUPPORTED' });
  expect(String(err)).toContain('SASL');
});

test('event MESSAGEs are routed to subscribers with a receive stamp', async () => {
  const c = await connect();
  const got: RpcEventMessage[] = [];
  const off = c.onEvent((m) => got.push(m));
  const e = new XdrEncoder()
    .int(7)
    .string('vm1')
    .opaqueFixed(uuidFromString(FAKE_DOMAIN.uuid), 16)
    .int(3)
    .int(2)
    .int(0);
  fake.conns[0]?.send({ proc: EventProc.LIFECYCLE, type: MessageType.MESSAGE }, e.bytes());
  await expect.poll(() => got.length).toBe(1);
  expect(decodeLifecycleMsg(got[0]?.payload ?? new Uint8Array())).toEqual({
    callbackId: 7,
    dom: FAKE_DOMAIN,
    event: 2,
    detail: 0,
  });
  expect(typeof got[0]?.at.monoNs).toBe('bigint');
  off();
});

test('connecting to a missing socket is a ConnectionError with a hint', async () => {
  const err = await connectLibvirt('test+unix:///default?socket=/nonexistent/sock').catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'CONNECTION' });
  expect(String(err)).toContain('is libvirtd running');
});

test('a call over the maximum message size fails alone and leaves nothing pending', async () => {
  const c = await connect({ maxMessageBytes: 1024 });
  await expect(c.call(Proc.DOMAIN_LOOKUP_BY_NAME, 'x'.repeat(2000))).rejects.toMatchObject({ code: 'FRAMING' });
  expect(c.pendingCalls).toBe(0);
  expect(await c.call(Proc.CONNECT_GET_LIB_VERSION, undefined)).toBe(9_000_000n);
});
