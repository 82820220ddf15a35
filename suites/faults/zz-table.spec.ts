import { writeFileSync, mkdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { matrixTable, readRows } from './fault-kit.js';

// Runs last (files run in name order with one worker): prints the matrix of every fault run of this
// project run and writes it to reports/fault-matrix.md for docs/reliability.md.
test('fault matrix table', () => {
  const rows = readRows();
  expect(rows.length, 'fault runs recorded by fault-matrix.spec.ts').toBeGreaterThan(0);
  const table = matrixTable(rows);
  console.log(`\n${table}\n`);
  mkdirSync('reports', { recursive: true });
  writeFileSync('reports/fault-matrix.md', `${table}\n`);
});
