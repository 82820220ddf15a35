/** Where `vmmi lab up` writes the hardware description: `<lab dir>/hardware.yaml` (VMMI_HARDWARE_TESTBED overrides). */
import { join } from 'node:path';

/** The lab directory of testbeds/local.yaml (its `lab.dir`). */
export const LAB_DIR = '/var/lib/vmmi/lab/vmmi';

export function hardwareTestbedFile(): string {
  return process.env.VMMI_HARDWARE_TESTBED ?? join(LAB_DIR, 'hardware.yaml');
}
