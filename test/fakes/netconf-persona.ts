/**
 * In-process ssh2 NETCONF "persona" server for unit tests: what netconfd will not do on demand.
 * 1.0-only / 1.1-only hellos, `nc:`-prefixed messages, injected delays and dropped replies, a
 * server that never says hello, canned rpc-errors and notifications. Loopback only, random port.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2, { type ServerChannel } from 'ssh2';
import { FrameDecoder, encodeMessage, type Framing } from '../../src/transports/netconf/framing.js';
import { attr, parseXml } from '../../src/transports/netconf/xml.js';

export interface PersonaOptions {
  readonly bases?: readonly ('1.0' | '1.1')[];
  /** Prefix every NETCONF element with this (e.g. `nc`). */
  readonly prefix?: string;
  /** false: never send a hello (client must time out). 'close': close the channel instead. */
  readonly hello?: boolean | 'close';
  /** Delay before replying (ms), by RPC name and message-id. */
  readonly delayMs?: (rpc: string, id: string) => number;
  /** true: swallow this RPC (no reply ever). */
  readonly drop?: (rpc: string, id: string) => boolean;
  /** Inner XML of the reply (without the rpc-reply element), unprefixed; default `<ok/>` / `<data/>`. */
  readonly reply?: (rpc: string, id: string, rpcXml: string) => string | undefined;
  /**
   * netconfd's quirk: the first RPC is answered only once another message arrives (as when it came in
   * the same read as the client hello).
   */
  readonly holdFirstRpc?: boolean;
  /** Notifications (event XML inside `<notification>`) sent after create-subscription. */
  readonly notifications?: readonly string[];
  /** The RPC whose reply `notifications` follow (default create-subscription; YANG-push: establish-subscription). */
  readonly notifyOn?: string;
  /** Pause before each notification (ms, default 0: all right behind the reply). */
  readonly notificationGapMs?: number;
  /** Capabilities added to the server hello (e.g. ietf-yang-push). */
  readonly capabilities?: readonly string[];
}

export interface Persona {
  readonly port: number;
  readonly fingerprint: string;
  /** known_hosts key part: `ssh-ed25519 AAAA…`. */
  readonly publicKey: string;
  /** RPC names received, in order. */
  readonly received: string[];
  close(): Promise<void>;
}

const NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

function prefixed(xml: string, p: string | undefined): string {
  if (p === undefined) return xml;
  return xml
    .replace(/<(\/?)([A-Za-z][\w-]*)/g, `<$1${p}:$2`)
    .replace(/ xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/, ` xmlns:${p}="${NS}"`);
}

export async function startPersona(o: PersonaOptions = {}): Promise<Persona> {
  const { Server, utils } = ssh2;
  // ssh2's generator now and then emits a public key its own parser rejects ("Malformed OpenSSH
  // public key", seen about once in a few hundred keys): draw again rather than fail the test.
  let key = utils.generateKeyPairSync('ed25519');
  let parsed = utils.parseKey(key.public);
  for (let i = 0; i < 5 && parsed instanceof Error; i++) {
    key = utils.generateKeyPairSync('ed25519');
    parsed = utils.parseKey(key.public);
  }
  if (parsed instanceof Error) throw parsed;
  const blob = (Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH();
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  const received: string[] = [];
  const channels = new Set<ServerChannel>();
  const server = new Server({ hostKeys: [key.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('subsystem', (acceptSub, _reject, info) => {
          const ch = acceptSub();
          channels.add(ch);
          ch.on('close', () => channels.delete(ch));
          if (info.name === 'netconf') serve(ch, o, received);
          else ch.close();
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port, fingerprint, received, publicKey: `ssh-ed25519 ${blob.toString('base64')}`,
    close: () => new Promise<void>((resolve) => {
      for (const ch of channels) ch.close();
      server.close(() => resolve());
    }),
  };
}

function serve(ch: ServerChannel, o: PersonaOptions, received: string[]): void {
  const bases = o.bases ?? ['1.0', '1.1'];
  const dec = new FrameDecoder();
  let framing: Framing = 'eom';
  let helloSeen = false;
  const send = (xml: string): void => {
    if (ch.writable) ch.write(encodeMessage(xml, framing));
  };
  if (o.hello === 'close') {
    ch.close();
    return;
  }
  if (o.hello !== false) {
    const caps = [
      ...bases.map((b) => `urn:ietf:params:netconf:base:${b}`),
      'urn:ietf:params:netconf:capability:candidate:1.0',
      'urn:ietf:params:netconf:capability:notification:1.0',
      ...(o.capabilities ?? []),
    ];
    send(
      prefixed(
        `<?xml version="1.0"?><hello xmlns="${NS}"><capabilities>${caps.map((c) => `<capability>${c}</capability>`).join('')}` +
          `</capabilities><session-id>17</session-id></hello>`,
        o.prefix,
      ),
    );
  }
  let held: (() => void) | undefined;
  let rpcs = 0;
  ch.on('data', (b: Buffer) => {
    dec.push(b);
    for (let m = dec.next(); m !== undefined; m = dec.next()) {
      const root = parseXml(m);
      if (!helloSeen) {
        helloSeen = true;
        const client11 = m.includes('urn:ietf:params:netconf:base:1.1');
        framing = client11 && bases.includes('1.1') ? 'chunked' : 'eom';
        dec.setFraming(framing);
        continue;
      }
      const id = attr(root, 'message-id') ?? '';
      const rpc = root.children[0]?.name ?? '';
      received.push(rpc);
      if (o.drop?.(rpc, id) === true) continue;
      const inner = o.reply?.(rpc, id, m) ?? (rpc === 'get' || rpc === 'get-config' ? '<data/>' : '<ok/>');
      const out = prefixed(`<rpc-reply xmlns="${NS}" message-id="${id}">${inner}</rpc-reply>`, o.prefix);
      const after = (): void => {
        send(out);
        if (rpc === (o.notifyOn ?? 'create-subscription')) {
          const notify = (n: string): void => send(
            `<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2026-01-01T00:00:00Z</eventTime>${n}</notification>`,
          );
          const gap = o.notificationGapMs ?? 0;
          if (gap <= 0) for (const n of o.notifications ?? []) notify(n);
          else (o.notifications ?? []).forEach((n, i) => setTimeout(() => notify(n), gap * (i + 1)));
        }
        if (rpc === 'close-session') ch.close();
      };
      const d = o.delayMs?.(rpc, id) ?? 0;
      const release = held;
      held = undefined;
      release?.();
      if (o.holdFirstRpc === true && ++rpcs === 1) held = after;
      else if (d > 0) setTimeout(after, d);
      else after();
    }
  });
}
