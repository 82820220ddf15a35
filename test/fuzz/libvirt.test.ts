import { expect, test } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { XdrDecoder, XdrEncoder } from '../../src/transports/libvirt/xdr.js';
import { formatReport, superviseCorpus } from './supervise.js';

test('libvirt record decoder and every reply/event/error codec: 10,000 bad inputs', async () => {
  test.setTimeout(300_000);
  const r = await superviseCorpus('libvirt', 10_000, { hangMs: 3000 });
  console.log(formatReport(r));
  await writeFile(test.info().outputPath('corpus-report.json'), JSON.stringify(r, null, 2));
  expect(r.rejected).toBeGreaterThan(0);
  expect(r.accepted).toBeGreaterThan(0);
  expect(r.violations.map((v) => `#${v.index} ${v.kind} [${v.label}] ${v.detail.split('\n')[0] ?? ''}`)).toEqual([]);
});

// Found while building golden frames: the encoder must grow its buffer when a numeric write is the one
// that crosses the current capacity (256 bytes initially), e.g. 65 ints or a 248-byte string + 2 uints.
test('XDR encoder grows its buffer on numeric writes', () => {
  const grow = (): Uint8Array => {
    const e = new XdrEncoder();
    for (let i = 0; i < 65; i++) e.int(i);
    e.string('x'.repeat(248)).uint(1).uint(2).hyper(-1n).double(0.5);
    return e.bytes().slice();
  };
  expect(grow).not.toThrow();
  const d = new XdrDecoder(grow());
  for (let i = 0; i < 65; i++) expect(d.int()).toBe(i);
  expect(d.string()).toBe('x'.repeat(248));
  expect([d.uint(), d.uint(), d.hyper(), d.double()]).toEqual([1, 2, -1n, 0.5]);
  d.end('grown message');
});
