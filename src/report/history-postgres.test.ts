import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPostgresUrl, PostgresHistory, redactUrl } from './history-postgres.js';
import { openHistory } from './history-open.js';

test('postgres:// and postgresql:// name PostgreSQL; the password never shows in the printed URL', () => {
  expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
  expect(isPostgresUrl('POSTGRESQL://u@h/db')).toBe(true);
  expect(isPostgresUrl('reports/history.sqlite')).toBe(false);
  expect(isPostgresUrl('/tmp/postgres://x')).toBe(false);
  expect(redactUrl('postgresql://vmmi:s3cr%40t-pw@db.lab:5433/vmmi?sslmode=require'))
    .toBe('postgresql://vmmi:***@db.lab:5433/vmmi?sslmode=require');
  expect(redactUrl('postgres://vmmi@/vmmi?host=/run/pg')).toBe('postgres://vmmi@/vmmi?host=/run/pg');
  expect(redactUrl('reports/history.sqlite')).toBe('reports/history.sqlite');
});

test('a failed connect names the store without its password, as a typed error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-pg-none-'));
  const password = 'pw-Kq7vXz2bLm9';
  try {
    // a unix socket directory where no server listens: fails at once, no network
    const url = `postgresql://vmmi:${password}@/vmmi?host=${dir}`;
    const e = await openHistory(url, { connectTimeoutMs: 2000 }).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    const err = e as Error & { code?: string };
    expect(err.code).toBe('CONNECTION');
    expect(err.message).toContain('postgresql://vmmi:***@/vmmi');
    expect(err.message).not.toContain(password);
    expect(String(err.stack)).not.toContain(password);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an aborted signal stops the open before any connect', async () => {
  const ac = new AbortController();
  ac.abort();
  await expect(PostgresHistory.open('postgres://u:pw-abcdefgh@/db?host=/nonexistent', { signal: ac.signal }))
    .rejects.toMatchObject({ code: 'ABORTED' });
});
