import { expect, test } from '@playwright/test';
import {
  checkMigrationList, HISTORY_MIGRATIONS, HISTORY_SCHEMA_VERSION, migrationStatements, pendingMigrations,
  type HistoryMigration,
} from './history-migrations.js';

const m = (version: number): HistoryMigration => ({ version, description: `v${version}`,
  sql: { sqlite: `CREATE TABLE t${version} (a INTEGER); CREATE INDEX i${version} ON t${version} (a);`,
    postgres: `CREATE TABLE t${version} (a BIGINT)` } });

test('the shipped list is numbered 1, 2, 3… and the code writes its last version', () => {
  expect(() => checkMigrationList(HISTORY_MIGRATIONS)).not.toThrow();
  expect(HISTORY_SCHEMA_VERSION).toBe(HISTORY_MIGRATIONS.length);
  for (const mig of HISTORY_MIGRATIONS) {
    // both dialects create the same tables (the stores share every other statement)
    const tables = (d: 'sqlite' | 'postgres'): string[] => migrationStatements(mig, d)
      .map((s) => /^CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)/.exec(s)?.[1] ?? s).sort();
    expect(tables('postgres')).toEqual(tables('sqlite'));
  }
  expect(() => checkMigrationList([m(1), m(3)])).toThrow(/#1 has version 3, expected 2/);
});

test('pending migrations: all from 0, the rest from N, none when current; newer and nonsense refused', () => {
  const list = [m(1), m(2), m(3)];
  expect(pendingMigrations(0, 'h', list).map((x) => x.version)).toEqual([1, 2, 3]);
  expect(pendingMigrations(2, 'h', list).map((x) => x.version)).toEqual([3]);
  expect(pendingMigrations(3, 'h', list)).toEqual([]);
  expect(() => pendingMigrations(4, 'lab.sqlite', list))
    .toThrow(/lab.sqlite: open history failed: history schema version 4 is newer than this vmmi supports \(3\)/);
  expect(() => pendingMigrations(Number.NaN, 'h', list)).toThrow(/not a version number/);
  try {
    pendingMigrations(9, 'h');
  } catch (e) {
    expect((e as { code?: string }).code).toBe('REPORT');
  }
});

test('statements per dialect, split at ;', () => {
  expect(migrationStatements(m(2), 'sqlite')).toEqual(['CREATE TABLE t2 (a INTEGER)', 'CREATE INDEX i2 ON t2 (a)']);
  expect(migrationStatements(m(2), 'postgres')).toEqual(['CREATE TABLE t2 (a BIGINT)']);
});
