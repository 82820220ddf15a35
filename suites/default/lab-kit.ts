/**
 * The default suite's fault kit: what a spec does to the emulated lab from outside vmmi, as an
 * operator would (plant a host that squats an address, set the WAN relay's impairment). On the lab
 * testbed it acts on that lab; on the lab's hardware description (hardware.yaml, no lab section) it
 * acts on the lab named by VMMI_LAB_TESTBED. Its commands start here with node:child_process, not
 * through vmmi: while a hardware testbed is open no vmmi process may enter a namespace, and the kit
 * is not vmmi.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadTestbed, type Testbed } from '../../src/index.js';

/** The emulated lab behind `tb`: itself, or the one VMMI_LAB_TESTBED names; undefined on real hardware. */
export async function labBehind(tb: Testbed): Promise<Testbed | undefined> {
  if (tb.lab !== undefined) return tb;
  const file = process.env.VMMI_LAB_TESTBED;
  if (file === undefined || file === '') return undefined;
  const lab = await loadTestbed(file);
  return lab.lab === undefined ? undefined : lab;
}

/** Runs argv as root on this host (the lab's namespaces are here); rejects with stderr on failure. */
export async function labSh(argv: readonly string[], allowFail = false): Promise<string> {
  const [file, ...args] = argv;
  try {
    const r = await promisify(execFile)(file ?? 'false', args, { timeout: 10_000, encoding: 'utf8' });
    return r.stdout;
  } catch (e) {
    if (allowFail) return '';
    throw new Error(`${argv.join(' ')}: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
}

/**
 * `tb` with its WAN links' one-way delay set to what the spec just gave the lab's relay. The lab's own
 * testbed reads the relay at each move; a hardware description of the lab (hardware.yaml) cannot, so a
 * spec that changes the WAN says so here, as an operator declares a real WAN's delay in the testbed. The
 * expected RTT step (rtt_step_excess_ms, maxRttStepMs) follows it.
 */
export function withWanDelay(tb: Testbed, delayMs: number): Testbed {
  return { ...tb, links: tb.links.map((l) => (!l.wan ? l
    : { ...l, impairment: { ...(l.impairment ?? { jitterMs: 0, lossPct: 0, rateMbit: 0 }), delayMs } })) };
}
