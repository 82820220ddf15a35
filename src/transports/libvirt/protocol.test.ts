import { expect, test } from '@playwright/test';
import {
  Proc,
  decodeJobCompletedMsg,
  decodeLifecycleMsg,
  decodeRemoteError,
  encodeRemoteError,
  paramsToRecord,
} from './protocol.js';
import { XdrDecoder, XdrEncoder } from './xdr.js';

// Expected bytes are spelled out by hand from the XDR rules, independently of the encoder.
const u32 = (n: number): string => n.toString(16).padStart(8, '0');
const str = (s: string): string => {
  const h = Buffer.from(s, 'utf8').toString('hex');
  return u32(s.length) + h + '00'.repeat((4 - (s.length % 4)) % 4);
};
const DOM = { name: 'vm1', uuid: '6c61622d-6876-4000-8000-0000000000aa', id: 3 };
const DOM_HEX = str('vm1') + '6c61622d6876400080000000000000aa' + u32(3);
const args = <A>(p: { args: (e: XdrEncoder, a: A) => void }, a: A): string => {
  const e = new XdrEncoder();
  p.args(e, a);
  return Buffer.from(e.bytes()).toString('hex');
};

test('PERFORM3_PARAMS args: domain, optional dconnuri, typed params, empty cookie, flags', () => {
  const hex = args(Proc.DOMAIN_MIGRATE_PERFORM3_PARAMS, {
    dom: DOM,
    dconnuri: 'qemu+tcp://h/system',
    params: [{ field: 'bandwidth', type: 4, value: 5n }],
    cookieIn: new Uint8Array(),
    flags: 3,
  });
  expect(hex).toBe(
    DOM_HEX +
      u32(1) +
      str('qemu+tcp://h/system') +
      u32(1) +
      str('bandwidth') +
      u32(4) +
      '0000000000000005' +
      u32(0) +
      u32(3),
  );
  expect(Proc.DOMAIN_MIGRATE_PERFORM3_PARAMS.num).toBe(305);
});

test('small call shapes: open, register-any, get-state, job stats, max downtime', () => {
  expect(args(Proc.CONNECT_OPEN, { name: 'test:///default', flags: 0 })).toBe(u32(1) + str('test:///default') + u32(0));
  expect(args(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, { eventId: 21, dom: undefined })).toBe(u32(21) + u32(0));
  expect(args(Proc.DOMAIN_GET_STATE, { dom: DOM, flags: 0 })).toBe(DOM_HEX + u32(0));
  expect(args(Proc.DOMAIN_GET_JOB_STATS, { dom: DOM, flags: 3 })).toBe(DOM_HEX + u32(3));
  expect(args(Proc.DOMAIN_MIGRATE_SET_MAX_DOWNTIME, { dom: DOM, ms: 300n, flags: 0 })).toBe(
    DOM_HEX + '000000000000012c' + u32(0),
  );
  expect(args(Proc.DOMAIN_LOOKUP_BY_UUID, DOM.uuid)).toBe('6c61622d6876400080000000000000aa');
});

test('replies: get-info (char/short as 4 bytes), job stats, list-all-domains', () => {
  const dec = (h: string): XdrDecoder => new XdrDecoder(new Uint8Array(Buffer.from(h, 'hex')));
  expect(Proc.DOMAIN_GET_INFO.ret(dec(u32(1) + '0000000000040000' + '0000000000040000' + u32(1) + '00000000000003e8')))
    .toEqual({ state: 1, maxMemKiB: 262144n, memoryKiB: 262144n, nrVirtCpu: 1, cpuTimeNs: 1000n });
  const js = Proc.DOMAIN_GET_JOB_STATS.ret(
    dec(u32(3) + u32(2) + str('operation') + u32(1) + u32(4) + str('downtime') + u32(4) + '0000000000000011'),
  );
  expect(js.type).toBe(3);
  expect(paramsToRecord(js.params)).toEqual({ operation: 4, downtime: 17 });
  expect(Proc.CONNECT_LIST_ALL_DOMAINS.ret(dec(u32(1) + DOM_HEX + u32(1)))).toEqual([DOM]);
});

test('event messages decode, and refuse trailing bytes', () => {
  const life = new Uint8Array(Buffer.from(u32(7) + DOM_HEX + u32(3) + u32(1), 'hex'));
  expect(decodeLifecycleMsg(life)).toEqual({ callbackId: 7, dom: DOM, event: 3, detail: 1 });
  expect(() => decodeLifecycleMsg(new Uint8Array([...life, 0, 0, 0, 0]))).toThrow(/trailing bytes/);
  const jc = new Uint8Array(Buffer.from(u32(9) + DOM_HEX + u32(1) + str('operation') + u32(1) + u32(5), 'hex'));
  expect(decodeJobCompletedMsg(jc)).toEqual({
    callbackId: 9,
    dom: DOM,
    params: [{ field: 'operation', type: 1, value: 5 }],
  });
});

test('remote_error round trip keeps code, domain and message', () => {
  const b = encodeRemoteError({
    code: 78,
    domain: 10,
    message: 'operation aborted: migration out: canceled by client',
  });
  expect(decodeRemoteError(b)).toMatchObject({
    code: 78,
    domain: 10,
    message: 'operation aborted: migration out: canceled by client',
  });
  expect(decodeRemoteError(encodeRemoteError({ code: 42, domain: 12 })).message).toBeUndefined();
});
