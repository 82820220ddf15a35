/**
 * Brings the emulated lab up (testbeds/local.yaml, or VMMI_LAB_TESTBED) and checks that it wrote its
 * hardware description, the testbed the `hardware-view` project runs on. Clears the namespace audit
 * file: every vmmi process that tries to enter a namespace while a hardware testbed is open appends to
 * it, and the project's last spec requires it empty.
 */
import { rm } from 'node:fs/promises';
import { expect, test, vmmiCli } from '../../src/index.js';
import { hardwareTestbedFile } from './hardware-file.js';

test('the emulated lab is up and describes itself as hardware', async () => {
  test.setTimeout(900_000);
  const lab = process.env.VMMI_LAB_TESTBED ?? 'testbeds/local.yaml';
  try {
    await vmmiCli(['lab', 'up', '--testbed', lab], 600_000);
  } catch {
    // A lab left unhealthy by an earlier run is rebuilt from nothing once.
    await vmmiCli(['lab', 'doctor', '--testbed', lab], 300_000).catch(() => '');
    await vmmiCli(['lab', 'up', '--testbed', lab], 600_000);
  }
  const status = JSON.parse(await vmmiCli(['lab', 'status', '--json', '--testbed', lab], 60_000)) as {
    hardwareTestbed?: string;
  };
  expect(status.hardwareTestbed).toBe(hardwareTestbedFile());
  const audit = process.env.VMMI_NETNS_AUDIT;
  if (audit !== undefined && audit !== '') await rm(audit, { force: true });
});
