import { test, expect } from '@playwright/test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLabLock, lockPath } from './lock.js';

let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmmi-lock-'));
});
test.afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the lock file holds the owner PID and operation and is removed on release', async () => {
  const lock = await acquireLabLock('vmmiu', 'lab up', dir);
  expect(await readFile(lockPath('vmmiu', dir), 'utf8')).toBe(`${process.pid} lab up\n`);
  await lock.release();
  expect(existsSync(lockPath('vmmiu', dir))).toBe(false);
});

test('a live owner makes a second operation fail with LAB_BUSY naming it', async () => {
  await writeFile(lockPath('vmmiu', dir), `${process.ppid} lab up\n`);
  const err = await acquireLabLock('vmmiu', 'lab up', dir).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'LAB_BUSY' });
  expect(String((err as Error).message)).toMatch(
    new RegExp(`lab "vmmiu" is busy: \`lab up\` is running as PID ${process.ppid}`),
  );
});

test('the lock of a killed owner is taken over', async () => {
  await writeFile(lockPath('vmmiu', dir), '4194000 lab up\n'); // above pid_max: never alive
  const lock = await acquireLabLock('vmmiu', 'lab doctor', dir);
  expect(await readFile(lockPath('vmmiu', dir), 'utf8')).toBe(`${process.pid} lab doctor\n`);
  await lock.release();
});

test('different prefixes do not block each other', async () => {
  const a = await acquireLabLock('vmmiu', 'lab up', dir);
  const b = await acquireLabLock('vmmiv', 'lab up', dir);
  await Promise.all([a.release(), b.release()]);
});
