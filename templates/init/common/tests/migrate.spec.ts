import { expect, metricOf, test } from 'vmmi';

// The testbed's first VM moves to another hypervisor of its site (in the emulated lab: hv1 ↔ hv2) and back.
// vmmi's fixtures bring the emulated lab up when the testbed is one (`lab`), open the drivers and run each
// migration with every observer (`migrate`); the outage is measured by UDP probes from the testbed's traffic
// hosts. Thresholds come from the testbed (defaults.thresholds); the reporter writes reports/.
test('the first VM moves to a neighbour hypervisor and back within the outage threshold', async ({
  migrate, locate, testbed, lab,
}) => {
  void lab;
  const here = await locate();
  expect(here, `${testbed.vms[0]?.name} runs on a hypervisor`).toBeDefined();
  const home = testbed.hypervisors.find((h) => h.name === here);
  const others = testbed.hypervisors.filter((h) => h.name !== here);
  const there = others.find((h) => h.site === home?.site) ?? others[0];
  test.skip(there === undefined, 'the testbed has a single hypervisor');
  for (const to of [there?.name ?? '', here ?? '']) {
    const out = await migrate({ to, strategy: there?.site === home?.site ? 'l2' : undefined });
    expect(out.result.verdict, out.record.error).toBe('migrated');
    expect(out.record.health, out.record.healthReasons.join('; ')).not.toBe('errored');
    const downtime = metricOf(out.record, 'loss_derived_ms')?.value;
    expect(downtime, 'downtime measured by the probes').toEqual(expect.any(Number));
    expect(downtime, `downtime within ${testbed.thresholds.maxOutageMs} ms`)
      .toBeLessThanOrEqual(testbed.thresholds.maxOutageMs);
  }
  expect(await locate()).toBe(here);
});
