import { expect, test } from '@playwright/test';
import { createSocket } from 'node:dgram';
import {
  chooseReflector, nativeReflectorArgs, nativeReflectorArgv, nativeReflectorAvailable, nativeReflectorBinary,
} from './native-reflector.js';
import { startReflectorAt } from './run-reflector.js';

test('argv: ports as udprefl reads them (0 in the options = any free port, no TCP = 0), bounded lifetime', () => {
  expect(nativeReflectorArgs({ udpPort: 7, lifetimeMs: 1000 })).toEqual(['7', '0', '0', '-', '1000']);
  expect(nativeReflectorArgs({ host: '::', udpPort: 0, tcpPort: 0, lifetimeMs: 12.2 })).toEqual(['any', 'any', '0', '-', '13']);
  expect(nativeReflectorArgs({ lifetimeMs: 5 })).toEqual(['any', '0', '0', '-', '5']);
  expect(() => nativeReflectorArgs({ host: '127.0.0.1', lifetimeMs: 5 })).toThrow(/binds :: \(dual-stack\) only/);
  expect(() => nativeReflectorArgs({ lifetimeMs: 0 })).toThrow(/lifetimeMs/);
  expect(nativeReflectorArgv(['ip', 'netns', 'exec', 'n'], true, '/b/udprefl', { udpPort: 7, lifetimeMs: 9 }))
    .toEqual(['ip', 'netns', 'exec', 'n', 'chrt', '-f', '28', '/b/udprefl', '7', '0', '0', '-', '9']);
  expect(nativeReflectorArgv([], false, '/b/udprefl', { udpPort: 7, lifetimeMs: 9 })[0]).toBe('/b/udprefl');
});

test('choice: caller, then VMMI_PROBE_REFLECTOR, then native when built; native asked but missing is an error', () => {
  const saved = process.env.VMMI_PROBE_REFLECTOR;
  try {
    delete process.env.VMMI_PROBE_REFLECTOR;
    expect(chooseReflector(undefined, true, '/b')).toBe('native');
    expect(chooseReflector(undefined, false, '/b')).toBe('node');
    expect(chooseReflector('node', true, '/b')).toBe('node');
    expect(() => chooseReflector('native', false, '/b/udprefl')).toThrow(/not built at \/b\/udprefl/);
    process.env.VMMI_PROBE_REFLECTOR = 'node';
    expect(chooseReflector(undefined, true, '/b')).toBe('node');
    expect(chooseReflector('native', true, '/b')).toBe('native');
    process.env.VMMI_PROBE_REFLECTOR = 'fast';
    expect(() => chooseReflector(undefined, true, '/b')).toThrow(/VMMI_PROBE_REFLECTOR=fast/);
  } finally {
    if (saved === undefined) delete process.env.VMMI_PROBE_REFLECTOR;
    else process.env.VMMI_PROBE_REFLECTOR = saved;
  }
});

test('native reflector: every datagram back unchanged and in order over IPv4 and IPv6, counted in its closing record', async () => {
  expect(nativeReflectorAvailable(), `${nativeReflectorBinary()} is missing: run scripts/build-lab-assets`).toBe(true);
  const refl = await startReflectorAt({ kind: 'local' }, { host: '::', udpPort: 0, lifetimeMs: 20_000, reflector: 'native' });
  expect(refl.kind).toMatch(/^native udprefl/);
  const sizes = [1, 20, 1500, 9000, 65_000];
  const sent: Buffer[] = sizes.map((n, i) => Buffer.alloc(n, i + 1).fill(0xa5, 0, Math.min(n, 8)));
  let echoed = 0;
  try {
    for (const [fam, addr] of [['udp4', '127.0.0.1'], ['udp6', '::1']] as const) {
      const sock = createSocket(fam);
      const got: Buffer[] = [];
      const all = new Promise<void>((resolve) => sock.on('message', (m) => { got.push(m); if (got.length === sent.length) resolve(); }));
      await new Promise<void>((r) => sock.bind(0, addr, r));
      for (const b of sent) sock.send(b, refl.udpPort, addr);
      const guard = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`${fam}: echoes missing`)), 5000));
      await Promise.race([all, guard]);
      sock.close();
      expect(got.map((b) => b.length), fam).toEqual(sizes);
      got.forEach((b, i) => expect(b.equals(sent[i] as Buffer), `${fam} datagram ${i}`).toBe(true));
      echoed += got.length;
    }
  } finally {
    const rep = await refl.stop();
    expect(rep?.udpEchoed).toBe(echoed);
    expect(rep?.tcpConnections).toBe(0);
    expect(typeof rep?.cpuUserMs).toBe('number');
  }
});

test('a reflector on another address than :: is the TypeScript one unless native is asked (then refused)', async () => {
  const refl = await startReflectorAt({ kind: 'local' }, { host: '127.0.0.1', udpPort: 0, lifetimeMs: 5000 });
  expect(refl.kind).toMatch(/^node reflector/);
  await refl.stop();
  await expect(startReflectorAt({ kind: 'local' }, { host: '127.0.0.1', lifetimeMs: 5000, reflector: 'native' }))
    .rejects.toThrow(/binds :: \(dual-stack\) only/);
});

test('native reflector: ends by itself when its lifetime passes, with its closing record', async () => {
  const refl = await startReflectorAt({ kind: 'local' }, { udpPort: 0, lifetimeMs: 300, reflector: 'native' });
  const rep = await refl.closed;
  expect(rep).toMatchObject({ udpEchoed: 0, tcpBytes: 0, tcpConnections: 0 });
});
