/**
 * The emulated switches' control plane runs at real-time priority: netconfd and its sshd (every NETCONF
 * session's subsystem inherits it), the CLI sshd, the data-plane agent (and its rtnetlink helper) and the
 * FRR daemons, as `chrt --rr 10 …`.
 *
 * Why: a real switch has CPUs of its own, the lab's share the host's two with the TCG guests, whose QEMUs
 * run at autogroup nice −10 (hypervisors.ts). Right after a move both QEMUs are busy (the destination's
 * guest resumed, the source's still being torn down by libvirt) and processes at nice 0 waited for the CPU:
 * each NETCONF round trip and each agent apply took 10-20 ms there, 2-4 ms on an idle host. SCHED_RR 10 is
 * below the native probe's sender (FIFO 30) and the outage injector (FIFO 40), whose timing matters more;
 * the kernel's real-time throttling still leaves 5 % of each second to everything else. These processes are
 * idle but for short bursts.
 */
export const SWITCH_RT_PRIORITY = 10;

/** The argv prefix that starts a switch control-plane process at its priority. */
export function switchPriorityArgv(): string[] {
  return ['chrt', '--rr', String(SWITCH_RT_PRIORITY)];
}
