import { expect, test } from '@playwright/test';
import { MigrateFlag } from '../../transports/libvirt/enums.js';
import { Proc } from '../../transports/libvirt/protocol.js';
import { XdrDecoder, XdrEncoder } from '../../transports/libvirt/xdr.js';
import type { MigrationModeSettings } from '../../model/testbed.js';
import { migrateParams } from './libvirt-rpc.js';
import { migrateExtraParams, migrateFlags } from './migrate-recipe.js';
import { initialPostcopyTrigger, postcopyStep } from './postcopy-trigger.js';
import { virshModeArgs } from './virsh.js';

const base: MigrationModeSettings = { mode: 'precopy', postcopy: { afterIterations: 1, stallIterations: 2 },
  autoConverge: {}, multifd: { channels: 4 }, xbzrle: {} };
const P2P_LIVE = MigrateFlag.LIVE | MigrateFlag.PEER2PEER;

test('flags: each mode adds its libvirt flag to LIVE | PEER2PEER', () => {
  expect(migrateFlags({})).toBe(P2P_LIVE);
  expect(migrateFlags({ mode: base })).toBe(P2P_LIVE);
  expect(migrateFlags({ mode: { ...base, mode: 'postcopy' } })).toBe(P2P_LIVE | 32768);
  expect(migrateFlags({ mode: { ...base, mode: 'auto-converge' } })).toBe(P2P_LIVE | 8192);
  expect(migrateFlags({ mode: { ...base, mode: 'multifd' } })).toBe(P2P_LIVE | 131072);
  expect(migrateFlags({ mode: { ...base, mode: 'xbzrle' } })).toBe(P2P_LIVE | 2048);
  expect(migrateFlags({ tls: true })).toBe(P2P_LIVE | 65536);
});

test('RPC params: bandwidth always, then each mode\'s typed params with libvirt\'s names and types', () => {
  const of = (mode: MigrationModeSettings) => migrateParams(64, migrateExtraParams({ mode }));
  expect(of(base)).toEqual([{ field: 'bandwidth', type: 4, value: 64n }]);
  expect(of({ ...base, mode: 'postcopy' })).toEqual([{ field: 'bandwidth', type: 4, value: 64n }]);
  expect(of({ ...base, mode: 'multifd', multifd: { channels: 8 } })).toEqual([
    { field: 'bandwidth', type: 4, value: 64n }, { field: 'parallel.connections', type: 1, value: 8 }]);
  expect(of({ ...base, mode: 'auto-converge', autoConverge: { initialPct: 20, incrementPct: 10 } })).toEqual([
    { field: 'bandwidth', type: 4, value: 64n }, { field: 'auto_converge.initial', type: 1, value: 20 },
    { field: 'auto_converge.increment', type: 1, value: 10 }]);
  expect(of({ ...base, mode: 'auto-converge' })).toHaveLength(1); // libvirt's defaults
  expect(of({ ...base, mode: 'xbzrle', xbzrle: { cacheMiB: 32 } })).toEqual([
    { field: 'bandwidth', type: 4, value: 64n }, { field: 'compression', type: 7, value: 'xbzrle' },
    { field: 'compression.xbzrle.cache', type: 4, value: 33554432n }]);
});

test('RPC: the params encode and decode as typed params; START_POST_COPY is procedure 364 (dom, flags)', () => {
  const ps = migrateParams(64, { parallelConnections: 2, compression: 'xbzrle', xbzrleCacheBytes: 1 << 20 });
  const e = new XdrEncoder().typedParams(ps, 64);
  expect(new XdrDecoder(e.bytes()).typedParams(64)).toEqual(ps);
  expect(Proc.DOMAIN_MIGRATE_START_POST_COPY.num).toBe(364);
  const w = new XdrEncoder();
  Proc.DOMAIN_MIGRATE_START_POST_COPY.args(w, { dom: { name: 'vm1', uuid: '6c61622d-6876-4000-8000-0000000000aa', id: 3 },
    flags: 0 });
  // name (4 + 3 + 1 pad) + uuid 16 + id 4 + flags 4
  expect(w.bytes().length).toBe(8 + 16 + 4 + 4);
});

test('virsh: the same modes as options of virsh migrate', () => {
  const args = (mode: MigrationModeSettings, tls = false) => {
    const o = { mode, tls };
    return virshModeArgs(migrateFlags(o), migrateExtraParams(o));
  };
  expect(args(base)).toEqual([]);
  expect(args({ ...base, mode: 'postcopy' })).toEqual(['--postcopy']);
  expect(args({ ...base, mode: 'auto-converge', autoConverge: { initialPct: 20, incrementPct: 10 } })).toEqual([
    '--auto-converge', '--auto-converge-initial', '20', '--auto-converge-increment', '10']);
  expect(args({ ...base, mode: 'multifd', multifd: { channels: 3 } })).toEqual(['--parallel', '--parallel-connections', '3']);
  expect(args({ ...base, mode: 'xbzrle', xbzrle: { cacheMiB: 1 } })).toEqual([
    '--compressed', '--comp-methods', 'xbzrle', '--comp-xbzrle-cache', '1048576']);
  expect(args(base, true)).toEqual(['--tls']);
});

test('postcopy trigger: switches once N passes completed, not before, and only once', () => {
  const o = { afterIterations: 2, stallIterations: 5 };
  let s = initialPostcopyTrigger;
  const feed = (it: number, rem: number) => {
    const r = postcopyStep(s, { memory_iteration: it, memory_remaining: rem }, o);
    s = r.state;
    return r.decision;
  };
  expect(feed(1, 100)).toBeUndefined();
  expect(feed(2, 80)).toBeUndefined();
  expect(feed(3, 60)).toMatchObject({ iteration: 3, remainingBytes: 60 });
  expect(feed(4, 40)).toBeUndefined();
  expect(postcopyStep(initialPostcopyTrigger, {}, o).decision).toBeUndefined(); // no iteration yet
  expect(postcopyStep(initialPostcopyTrigger, { memory_iteration: 1 }, { afterIterations: 0, stallIterations: 1 })
    .decision?.iteration).toBe(1);
});

test('postcopy trigger: a stall (remaining not shrinking over K passes) switches before N', () => {
  const o = { afterIterations: 100, stallIterations: 2 };
  let s = initialPostcopyTrigger;
  const feed = (it: number, rem: number) => {
    const r = postcopyStep(s, { memory_iteration: it, memory_remaining: rem }, o);
    s = r.state;
    return r.decision;
  };
  expect(feed(1, 500)).toBeUndefined();
  expect(feed(2, 300)).toBeUndefined();
  expect(feed(2, 100)).toBeUndefined(); // later samples of a pass do not move its start
  expect(feed(3, 280)).toBeUndefined(); // 280 < 500 (two passes before)
  expect(feed(4, 310)).toMatchObject({ iteration: 4, reason: expect.stringContaining('stalled') }); // 310 ≥ 300
});

test('a QEMU refusal of the mode becomes UNSUPPORTED naming the mode and the fix; other failures pass through', async () => {
  const { modeRefusal } = await import('./migrate-recipe.js');
  const uffd = new Error("internal error: unable to execute QEMU command 'migrate-set-capabilities': Postcopy is not "
    + 'supported: Userfaultfd not available: Operation not permitted');
  const r = modeRefusal(uffd, { mode: { ...base, mode: 'postcopy' } }, 'hv1');
  expect(r).toMatchObject({ code: 'UNSUPPORTED', device: 'hv1' });
  expect(r?.message).toMatch(/migration mode postcopy is not available/);
  expect((r as { hint?: string }).hint).toContain('vm.unprivileged_userfaultfd=1');
  const caps = new Error("unable to execute QEMU command 'migrate-set-parameters': Parameter 'x' is unexpected");
  expect(modeRefusal(caps, { mode: { ...base, mode: 'multifd' } }, 'hv1')).toMatchObject({ code: 'UNSUPPORTED' });
  expect(modeRefusal(caps, { mode: base }, 'hv1')).toBeUndefined();
  expect(modeRefusal(new Error('operation aborted: migration out: canceled by client'),
    { mode: { ...base, mode: 'multifd' } }, 'hv1')).toBeUndefined();
});
