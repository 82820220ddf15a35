import { expect, setLabWan, test } from '../../src/index.js';
import { labBehind } from './lab-kit.js';

// The WAN relay between the sites adds one-way delay and loss; the migration stream itself crosses it.
test.describe('WAN', () => {

  for (const w of [{ delayMs: 30, lossPct: 0 }, { delayMs: 10, lossPct: 1 }]) {
    test(`host-route-static across a WAN with ${w.delayMs} ms one-way delay and ${w.lossPct} % loss`, async ({
      migrate,
      locate,
      testbed,
      lab,
    }) => {
      void lab;
      const labTb = await labBehind(testbed);
      test.skip(labTb === undefined, 'WAN impairment is set by the emulated lab relay');
      if (labTb === undefined) return;
      await setLabWan(labTb, { delayMs: w.delayMs, lossPct: w.lossPct });
      try {
        const start = (await locate()) ?? 'hv1';
        const out = await migrate({
          to: start === 'hv3' ? 'hv1' : 'hv3',
          strategy: 'host-route-static',
          variant: { wan_delay_ms: w.delayMs, wan_loss_pct: w.lossPct },
        });
        expect(out.result.verdict, out.record.error).toBe('migrated');
        if (w.lossPct === 0) {
          expect(out.record.health, out.record.healthReasons.join('; ')).not.toBe('errored');
        } else {
          // Random loss on the path means loss before the trigger: by the measurement rules the
          // convergence numbers of such a flow are ERRORED, never a pass, and the report says why.
          expect(out.record.healthReasons.join('; ')).toMatch(/before the trigger/);
          expect(out.record.metrics.find((m) => m.name === 'loss_pct')?.value ?? 0).toBeGreaterThan(0);
        }
      } finally {
        await setLabWan(labTb, { delayMs: 0, lossPct: 0 });
      }
    });
  }
});
