/**
 * `planMigration`: the ordered device operations and per-device config diffs one migration would make,
 * computed purely from the resolved Testbed (what `vmmi plan` prints; touches nothing).
 */
import { UsageError } from '../errors/classes.js';
import type { MigrationStrategy, Testbed, Vm } from '../model/testbed.js';
import { batchByDevice, describeOp, invertOps } from './strategies/ops.js';
import { getStrategy } from './strategies/registry.js';
import { resolveMove } from './topology.js';
import type { DeviceOp, Family, StrategyPlan } from './strategies/types.js';
import { defined } from '../model/defined.js';

export type Phase = 'prepare' | 'switchover' | 'cleanup';
export const PHASES: readonly Phase[] = ['prepare', 'switchover', 'cleanup'];

export interface PlanOptions {
  /** Hypervisor the VM runs on now (default: its home hypervisor). */
  readonly from?: string;
  /** Address families to move (default: every family the VM has an address in). */
  readonly families?: readonly Family[];
  readonly strategy?: MigrationStrategy | string;
}

export interface MigrationPlan {
  readonly testbed: Testbed;
  readonly vm: Vm;
  readonly source: string;
  readonly destination: string;
  readonly families: readonly Family[];
  /** Subnet natively served at the destination site (where the conflict probe looks). */
  readonly destinationSubnet?: string;
  readonly strategy: StrategyPlan;
  /** One transaction per consecutive run of ops on a device, per phase, in execution order. */
  readonly transactions: Readonly<Record<Phase, ReadonlyArray<{ device: string; ops: readonly DeviceOp[] }>>>;
  /** Intent-level config diff per device over the whole run (`+` added, `-` removed). */
  readonly diffs: Readonly<Record<string, readonly string[]>>;
  /** What a rollback after a full switchover would apply (inverse ops, reverse order). */
  readonly rollback: readonly DeviceOp[];
}

export function vmFamilies(vm: Vm): Family[] {
  return [...(vm.ipv4 === undefined ? [] : [4 as const]), ...(vm.ipv6 === undefined ? [] : [6 as const])];
}

export function planMigration(testbed: Testbed, vmName: string, to: string, options: PlanOptions = {}): MigrationPlan {
  const vm = testbed.vms.find((v) => v.name === vmName);
  if (vm === undefined) {
    throw new UsageError(
      `unknown VM "${vmName}"; testbed "${testbed.name}" has: ${testbed.vms.map((v) => v.name).join(', ')}`,
    );
  }
  if (!testbed.hypervisors.some((h) => h.name === to)) {
    throw new UsageError(
      `unknown destination hypervisor "${to}"; known: ${testbed.hypervisors.map((h) => h.name).join(', ')}`,
    );
  }
  const source = options.from ?? vm.home;
  if (source === to) throw new UsageError(`VM "${vm.name}" already runs on "${to}"; pick another destination`);
  const families = options.families ?? vmFamilies(vm);
  const strategy = getStrategy(options.strategy ?? testbed.migration.strategy);
  const plan = strategy.plan({ testbed, vm, source, destination: to, families });
  const transactions = {
    prepare: batchByDevice(plan.prepare),
    switchover: batchByDevice(plan.switchover),
    cleanup: batchByDevice(plan.cleanup),
  };
  const diffs: Record<string, string[]> = {};
  for (const phase of PHASES) {
    for (const op of plan[phase]) {
      const text = describeOp(op).slice(op.device.length + 2);
      const removing = /^(remove|stop|BGP withdraw|EVPN detach)/.test(text);
      (diffs[op.device] ??= []).push(`${removing ? '-' : '+'} [${phase}] ${text}`);
    }
  }
  const rollback = invertOps([...plan.prepare, ...plan.switchover]);
  const dstSubnet = resolveMove({ testbed, vm, source, destination: to, families }).dstSubnet?.name;
  return {
    testbed, vm, source, destination: to, families, strategy: plan, transactions, diffs, rollback,
    ...defined({ destinationSubnet: dstSubnet }),
  };
}

/** Human-readable plan, as `vmmi plan` prints it. */
export function formatPlan(p: MigrationPlan): string {
  const lines = [
    `plan: ${p.vm.name} ${p.source} → ${p.destination}, strategy ${p.strategy.strategy}, IPv${p.families.join('+IPv')}`,
  ];
  for (const phase of PHASES) {
    const txs = p.transactions[phase];
    lines.push(`${phase}${phase === 'switchover' ? ' (on destination RESUMED)' : ''}:`);
    if (txs.length === 0) lines.push('  (nothing)');
    txs.forEach((tx, i) => {
      lines.push(`  ${i + 1}. transaction on ${tx.device}`);
      for (const op of tx.ops) lines.push(`     ${describeOp(op)}`);
    });
  }
  lines.push('config diffs:');
  const devices = Object.keys(p.diffs);
  if (devices.length === 0) lines.push('  (no device changes)');
  for (const d of devices) {
    lines.push(`  ${d}:`);
    for (const l of p.diffs[d] ?? []) lines.push(`    ${l}`);
  }
  if (p.strategy.extraRttMs !== undefined && Object.keys(p.strategy.extraRttMs).length > 0) {
    const extra = Object.entries(p.strategy.extraRttMs).map(([peer, ms]) => `${peer} +${ms} ms`).join(', ');
    lines.push(`expected extra RTT after the move: ${extra}`);
  }
  for (const n of p.strategy.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
