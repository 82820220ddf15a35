import { readdirSync } from 'node:fs';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from '../../src/index.js';

// Soak: consecutive migrations with every observer (probes, route monitors, hypervisor events, the
// run journal) in one controller process. Its open file descriptors and heap (after a full GC) are
// printed at the start, every 10 moves and at the end, and must stay bounded; every move must be
// measured and recorded. The cycle hv1 → hv2 (same subnet) → hv3 → hv1 (across the WAN) exercises
// both the L2 and the host-route paths. Every move asks the guest's memory checker: the soak holds only
// with 0 corrupt moves, 0 guest resets, and an integrity verdict of ok on every move (a move whose
// memory could not be checked is counted and fails the soak: "0 corrupt" must rest on checks made).
const MOVES = Number(process.env.VMMI_SOAK_MIGRATIONS ?? (process.env.CI === 'true' ? 100 : 9));
const CYCLE = [
  { to: 'hv2', strategy: 'l2' },
  { to: 'hv3', strategy: 'host-route-static' },
  { to: 'hv1', strategy: 'host-route-static' },
] as const;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sample {
  readonly move: number;
  readonly fds: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
  readonly keptMiB: number;
}
/**
 * The run records of every move are kept on purpose (test attachments, sent to the reporter when the
 * test ends): their bytes are counted apart, so "heap" growth beyond them is what the controller leaks.
 */
function sample(move: number): Sample {
  gc();
  const kept = test.info().attachments.reduce((a, x) => a + (x.body?.length ?? 0), 0);
  return { move, fds: readdirSync('/proc/self/fd').length, heapMiB: getHeapStatistics().used_heap_size / 2 ** 20,
    rssMiB: process.memoryUsage().rss / 2 ** 20, keptMiB: kept / 2 ** 20 };
}
const fmt = (s: Sample): string => `move ${String(s.move).padStart(3)}: fds ${s.fds}, heap ${s.heapMiB.toFixed(1)} MiB `
  + `(records kept ${s.keptMiB.toFixed(1)} MiB), rss ${s.rssMiB.toFixed(1)} MiB`;

test(`soak: ${MOVES} consecutive migrations, fds and heap bounded`, async ({ migrate, locate, lab }) => {
  void lab;
  test.setTimeout(MOVES * 90_000 + 120_000);
  const must = async (req: Parameters<typeof migrate>[0]): Promise<void> => {
    const out = await migrate(req);
    const a = out.result.attempts.at(-1);
    expect(
      out.result.verdict,
      `${req.to}: ${a?.failure?.step ?? ''} ${a?.failure?.reason ?? out.record.error ?? ''}`,
    ).toBe('migrated');
  };
  if ((await locate()) !== 'hv1') await must({ to: 'hv1', strategy: 'host-route-static' });
  // Warm-up move: the first migration loads modules and opens the pooled sessions the rest reuse.
  await must({ to: 'hv2', strategy: 'l2', variant: { soak: 'warm-up' } });
  await must({ to: 'hv1', strategy: 'l2', variant: { soak: 'warm-up' } });
  const samples: Sample[] = [sample(0)];
  console.log(fmt(samples[0] as Sample));
  let recorded = 0;
  let retried = 0;
  let resets = 0;
  const integrity = { ok: 0, corrupt: 0, unchecked: 0, unknown: 0 };
  const integrityNotes: string[] = [];
  const failures: string[] = [];
  const t0 = Date.now();
  for (let i = 1; i <= MOVES; i++) {
    const step = CYCLE[(i - 1) % CYCLE.length] as (typeof CYCLE)[number];
    const out = await migrate({ to: step.to, strategy: step.strategy, variant: { soak: true } });
    recorded += out.records.length;
    if (out.result.unstable) retried++;
    resets += out.result.attempts.filter((a) => a.timeline.some((e) => e.kind === 'reboot')).length;
    for (const a of out.result.attempts) {
      const mi = a.memoryIntegrity;
      if (mi === undefined) continue;
      integrity[mi.status]++;
      if (mi.status !== 'ok')
        integrityNotes.push(`move ${i} → ${step.to} attempt ${a.attempt}: ${mi.status}: ${mi.detail}`);
    }
    if (out.result.verdict !== 'migrated' || out.record.health === 'errored') {
      failures.push(
        `move ${i} → ${step.to}: ${out.result.verdict}, ${out.record.health} ${out.record.error ?? out.record.healthReasons.join('; ')}`,
      );
      // Put the VM back into the cycle's expected place before going on.
      const at = await locate();
      if (at !== step.to && at !== undefined)
        await migrate({
          to: step.to,
          strategy: step.to === 'hv2' || (at === 'hv2' && step.to === 'hv1') ? 'l2' : 'host-route-static',
        });
    }
    if (i % 10 === 0 || i === MOVES) {
      const s = sample(i);
      samples.push(s);
      console.log(`${fmt(s)}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  const first = samples[0] as Sample;
  const last = samples[samples.length - 1] as Sample;
  const summary =
    `${MOVES} moves in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${recorded} records, ${retried} retried on a fresh VM, ` +
    `${failures.length} failed, ${resets} guest reset(s); memory integrity ok ${integrity.ok}, corrupt ${integrity.corrupt}, ` +
    `unchecked ${integrity.unchecked}, unknown ${integrity.unknown}; fds ${first.fds} → ${last.fds}, heap ${first.heapMiB.toFixed(1)} → ${last.heapMiB.toFixed(1)} MiB ` +
    `(records kept ${first.keptMiB.toFixed(1)} → ${last.keptMiB.toFixed(1)} MiB), ` +
    `rss ${first.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB`;
  console.log(summary);
  test.info().annotations.push({ type: 'soak', description: summary });
  expect(failures, failures.join('\n')).toEqual([]);
  expect(integrityNotes, integrityNotes.join('\n')).toEqual([]);
  expect(integrity.ok, 'every move carries an ok memory-integrity verdict').toBeGreaterThanOrEqual(MOVES);
  expect(resets, 'guest resets').toBe(0);
  expect(recorded).toBeGreaterThanOrEqual(MOVES);
  // Bounded: a leak of one descriptor or ~100 KiB per move would exceed these over 100 moves.
  expect(last.fds - first.fds, 'open file descriptors grew').toBeLessThanOrEqual(8);
  const leak = (last.heapMiB - last.keptMiB) - (first.heapMiB - first.keptMiB);
  expect(leak, 'heap grew beyond the kept records (MiB, after GC)').toBeLessThanOrEqual(Math.max(16, MOVES * 0.1));
});
