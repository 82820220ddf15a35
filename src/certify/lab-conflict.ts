/**
 * Fault injection for the refusal scenario on the emulated lab: a host that already holds the VM's
 * IPv4 address, plugged into the destination hypervisor's bridge, exactly as the default suite's
 * conflict spec plants it (suites/default/conflict.spec.ts). Only fault injection reaches inside the
 * lab (architecture guide §9), so the namespace rule is lifted for this file alone; on a hardware
 * testbed there is nothing to plant and missingRequirements refuses the profile before anything moves.
 */
/* eslint-disable no-restricted-syntax -- fault injection: the planted holder lives in a namespace of its own */
import { runLocal } from '../exec/local.js';
import { LabError } from '../errors/classes.js';
import { labNs } from '../lab/access.js';
import type { Testbed } from '../model/testbed.js';
import type { PlantedHolder } from './run.js';
import type { Move } from './requirements.js';

/** The holder's MAC: locally administered, recognisable in the refusal's message. */
export const HOLDER_MAC = '52:54:00:de:ad:c1';

async function sh(argv: readonly string[], allowFail = false): Promise<void> {
  const r = await runLocal(argv, { timeoutMs: 10_000 });
  if (r.failed && !allowFail) {
    throw new LabError(`${argv.join(' ')}: ${r.stderr.trim() || `exit ${String(r.exitCode)}`}`,
      { operation: 'plant the address holder' });
  }
}

export async function plantLabHolder(tb: Testbed, move: Move): Promise<PlantedHolder> {
  const vm = tb.vms.find((v) => v.name === move.vm);
  const address = vm?.ipv4?.split('/')[0];
  if (address === undefined) throw new LabError(`${move.vm} has no IPv4 address to conflict with`);
  const holder = labNs(tb, 'certsq');
  const hvNs = labNs(tb, move.away);
  const remove = async (): Promise<void> => {
    await sh(['ip', '-n', hvNs, 'link', 'del', 'dev', 'csq-port'], true);
    await sh(['ip', 'netns', 'del', holder], true);
  };
  await remove();
  try {
    await sh(['ip', 'netns', 'add', holder]);
    await sh(['ip', 'link', 'add', 'csq0', 'netns', holder, 'type', 'veth', 'peer', 'name', 'csq-port', 'netns', hvNs]);
    await sh(['ip', '-n', hvNs, 'link', 'set', 'dev', 'csq-port', 'master', 'br0', 'up']);
    await sh(['ip', '-n', holder, 'link', 'set', 'dev', 'csq0', 'address', HOLDER_MAC, 'up']);
    await sh(['ip', '-n', holder, 'addr', 'add', `${address}/32`, 'dev', 'csq0']);
  } catch (e) {
    await remove();
    throw e;
  }
  return { address, mac: HOLDER_MAC, remove };
}
