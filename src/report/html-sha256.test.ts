import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { sha256Base64 } from './html-sha256.js';

test('SHA-256 matches node:crypto for empty, block-boundary and non-ASCII inputs', () => {
  for (const s of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000), 'µs → ± ✓', 'a'.repeat(119)]) {
    expect(sha256Base64(s)).toBe(createHash('sha256').update(s, 'utf8').digest('base64'));
  }
});
