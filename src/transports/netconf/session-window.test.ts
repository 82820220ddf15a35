import { test, expect } from '@playwright/test';
import { Duplex, PassThrough } from 'node:stream';
import { FrameDecoder, encodeMessage } from './framing.js';
import { NetconfSession } from './session.js';
import { NETCONF_PROFILES } from '../../platforms/netconf-profiles.js';

const HELLO = '<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>' +
  '<capability>urn:ietf:params:netconf:base:1.1</capability></capabilities><session-id>4</session-id></hello>';

/** A server over an in-memory pair that records request message-ids and answers only when told to. */
async function pair(maxInFlightBytes: number) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const dec = new FrameDecoder();
  const seen: string[] = [];
  let writes = 0;
  toServer.on('data', (b: Uint8Array) => {
    writes++;
    dec.push(b);
    for (let m = dec.next(); m !== undefined; m = dec.next()) {
      if (m.includes('<hello')) dec.setFraming('chunked');
      else seen.push(/message-id="([^"]+)"/.exec(m)?.[1] ?? '?');
    }
  });
  toClient.write(encodeMessage(HELLO, 'eom'));
  const s = await NetconfSession.start(Duplex.from({ readable: toClient, writable: toServer }),
    { profile: NETCONF_PROFILES.generic, maxInFlightBytes, helloNudgeMs: 0 });
  const reply = (id: string): void =>
    void toClient.write(
      encodeMessage(
        `<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="${id}"><ok/></rpc-reply>`,
        'chunked',
      ),
    );
  return { s, seen, reply, writes: () => writes };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('RPCs issued together leave in one write; the in-flight window holds the rest until replies free room', async () => {
  const open = await pair(0);
  const all = Promise.all([open.s.rpc('<a/>'), open.s.rpc('<b/>'), open.s.rpc('<c/>')]);
  await tick();
  expect(open.seen).toEqual(['1', '2', '3']);
  expect(open.writes()).toBe(2); // the client hello, then the three RPCs together
  for (const id of open.seen) open.reply(id);
  await all;

  const w = await pair(1); // one unanswered RPC at a time
  const rs = [w.s.rpc('<a/>'), w.s.rpc('<b/>', { timeoutMs: 5 }), w.s.rpc('<c/>')];
  const late = rs[1]?.catch((e: unknown) => e);
  await tick();
  expect(w.seen).toEqual(['1']);
  expect(w.s.inFlight).toBe(2); // <b/> timed out while it waited and is never sent
  expect(await late).toMatchObject({ code: 'TIMEOUT' });
  w.reply('1');
  await tick();
  expect(w.seen).toEqual(['1', '3']);
  w.reply('3');
  await expect(Promise.all([rs[0], rs[2]])).resolves.toHaveLength(2);
  w.s.destroy();
  open.s.destroy();
});

test('RPC deadlines share one timer: a short timeout fails alone, a longer one keeps waiting for its reply', async () => {
  const w = await pair(0);
  const long = w.s.rpc('<a/>', { timeoutMs: 60_000 });
  const short = w.s.rpc('<b/>', { timeoutMs: 5 }).catch((e: unknown) => e);
  const later = w.s.rpc('<c/>', { timeoutMs: 10 }).catch((e: unknown) => e);
  expect(await short).toMatchObject({ code: 'TIMEOUT' });
  expect(await later).toMatchObject({ code: 'TIMEOUT' });
  expect(w.s.inFlight).toBe(1);
  w.reply('2'); // a late reply to a timed-out RPC is dropped
  w.reply('1');
  await expect(long).resolves.toMatchObject({ messageId: '1' });
  expect(w.s.inFlight).toBe(0);
  const ac = new AbortController();
  const aborted = w.s.rpc('<d/>', { signal: ac.signal }).catch((e: unknown) => e);
  ac.abort();
  expect(await aborted).toMatchObject({ code: 'ABORTED' });
  expect(w.s.inFlight).toBe(0);
  w.s.destroy();
});
