/**
 * The guest memory checker (lab-assets/memcheck.c) and the reflector's control port (udprefl.c) on their
 * own, on loopback: the checker keeps a 1 MiB region on the host, the reflector answers `memcheck` from its
 * status file, the self-test corrupts a named page and the report names it, a missing checker is `absent`,
 * an unknown request is refused. The binaries are the ones built for the lab guest (static), asked through
 * the same query code the executor uses after every move.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import {
  checkMemoryIntegrity,
  guestControlRequest,
  parseMemcheckReply,
  queryMemcheck,
  runLocal,
} from '../../src/index.js';

const ASSETS = process.env.VMMI_ASSETS_DIR ?? '/var/lib/vmmi/assets';
const MEMCHECK = `${ASSETS}/memcheck`;
const UDPREFL = `${ASSETS}/udprefl`;
const localRunner = { where: 'local', run: runLocal };

test.describe.configure({ mode: 'serial' });
test.skip(!existsSync(MEMCHECK) || !existsSync(UDPREFL), 'needs scripts/build-lab-assets');

const children: ChildProcess[] = [];
let dir = '';
const start = (argv: string[]): ChildProcess => {
  const c = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
  children.push(c);
  return c;
};
test.beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'vmmi-memcheck-')); });
test.afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('the checker verifies its region, the self-test corrupts a named page, the report names it', async () => {
  const status = join(dir, 'mc.stat');
  start([MEMCHECK, '-m', '1', '-u', '500', '-v', '4096', '-s', status]);
  start([UDPREFL, '0', '0', '17071', status]);
  const target = { runner: localRunner, address: '127.0.0.1', port: 17071 };
  await expect
    .poll(async () => (await queryMemcheck(target))?.passes ?? -1, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(2);
  const first = await queryMemcheck(target);
  expect(first).toMatchObject({
    state: 'ok',
    pages: 256,
    pageBytes: 4096,
    updatePps: 500,
    verifyPps: 4096,
    badPages: 0,
  });
  expect((await checkMemoryIntegrity(target)).status).toBe('ok');

  expect(await guestControlRequest(target, 'memcheck-corrupt 77')).toBe('memcheck-corrupt seq=1 page=77');
  await expect.poll(async () => (await queryMemcheck(target))?.state, { timeout: 10_000 }).toBe('corrupt');
  const bad = await queryMemcheck(target);
  expect(bad?.first).toMatchObject({ page: 77, word: 256 });
  expect(bad?.selftestDone).toBe(1);
  expect(bad?.first?.expected).not.toBe(bad?.first?.found);
  const verdict = await checkMemoryIntegrity(target);
  expect(verdict).toMatchObject({ status: 'corrupt', firstBadPage: 77 });
  expect(verdict.detail).toMatch(
    /^1 bad page\(s\); first: page 77 word 256 expected 0x[0-9a-f]{16} found 0x[0-9a-f]{16}/,
  );
  expect(verdict.method).toBe('guest memcheck: 1 MiB pattern, 500 page rewrites/s, 4096 page checks/s');
});

test('no checker running: absent, so the move is unchecked; unknown requests are refused', async () => {
  start([UDPREFL, '0', '0', '17072', join(dir, 'none.stat')]);
  const target = { runner: localRunner, address: '127.0.0.1', port: 17072 };
  await expect
    .poll(async () => guestControlRequest(target, 'memcheck', { tries: 1 }), { timeout: 10_000 })
    .toMatch(/^memcheck state=absent/);
  expect(parseMemcheckReply((await guestControlRequest(target, 'memcheck')) ?? '').state).toBe('absent');
  expect((await checkMemoryIntegrity(target)).status).toBe('unchecked');
  expect(await guestControlRequest(target, 'reboot')).toBe('error unknown-request');
  // A port nobody answers on gives no verdict, never ok.
  const silent = await checkMemoryIntegrity(
    { runner: localRunner, address: '127.0.0.1', port: 17073 },
    { budgetMs: 2000 },
  );
  expect(silent.status).toBe('unknown');
});
