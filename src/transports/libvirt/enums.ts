/**
 * libvirt enum values vmmi uses, with symbolic names shared by the RPC and virsh drivers (so both
 * produce identical typed values). Values are libvirt public-API facts. Pure.
 */

export const DOMAIN_STATES = [
  'nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended',
] as const;
export type DomainStateName = (typeof DOMAIN_STATES)[number];

/** State reasons, indexed by state code then reason code (virDomain<State>Reason). */
export const STATE_REASONS: Readonly<Record<number, readonly string[]>> = {
  0: ['unknown'],
  1: ['unknown', 'booted', 'migrated', 'restored', 'from-snapshot', 'unpaused', 'migration-canceled',
    'save-canceled', 'wakeup', 'crashed', 'postcopy', 'postcopy-failed'],
  2: ['unknown'],
  3: ['unknown', 'user', 'migration', 'save', 'dump', 'ioerror', 'watchdog', 'from-snapshot', 'shutting-down',
    'snapshot', 'crashed', 'starting-up', 'postcopy', 'postcopy-failed', 'api-error'],
  4: ['unknown', 'user'],
  5: ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from-snapshot', 'daemon'],
  6: ['unknown', 'panicked'],
  7: ['unknown'],
};

export const LIFECYCLE_EVENTS = [
  'defined', 'undefined', 'started', 'suspended', 'resumed', 'stopped', 'shutdown', 'pmsuspended', 'crashed',
] as const;
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number];

/** Lifecycle event details, indexed by event code then detail code (virDomainEvent<Event>DetailType). */
export const LIFECYCLE_DETAILS: Readonly<Record<number, readonly string[]>> = {
  0: ['added', 'updated', 'renamed', 'from-snapshot'],
  1: ['removed', 'renamed'],
  2: ['booted', 'migrated', 'restored', 'from-snapshot', 'wakeup'],
  3: ['paused', 'migrated', 'ioerror', 'watchdog', 'restored', 'from-snapshot', 'api-error', 'postcopy',
    'postcopy-failed'],
  4: ['unpaused', 'migrated', 'from-snapshot', 'postcopy', 'postcopy-failed'],
  5: ['shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from-snapshot'],
  6: ['finished', 'guest', 'host'],
  7: ['memory', 'disk'],
  8: ['panicked', 'crashloaded'],
};

export const JOB_TYPES = ['none', 'bounded', 'unbounded', 'completed', 'failed', 'cancelled'] as const;
export type JobTypeName = (typeof JOB_TYPES)[number];

/** virDomainJobOperation values of the `operation` job stat. */
export const JobOperation = {
  UNKNOWN: 0, START: 1, SAVE: 2, RESTORE: 3, MIGRATION_IN: 4, MIGRATION_OUT: 5, SNAPSHOT: 6,
  SNAPSHOT_REVERT: 7, DUMP: 8, BACKUP: 9,
} as const;

export const EventId = { LIFECYCLE: 0, REBOOT: 1, MIGRATION_ITERATION: 20, JOB_COMPLETED: 21 } as const;

export const MigrateFlag = {
  LIVE: 1, PEER2PEER: 2, TUNNELLED: 4, PERSIST_DEST: 8, UNDEFINE_SOURCE: 16, PAUSED: 32,
  NON_SHARED_DISK: 64, COMPRESSED: 2048, ABORT_ON_ERROR: 4096, AUTO_CONVERGE: 8192, POSTCOPY: 32768,
  TLS: 65536, PARALLEL: 131072,
} as const;

/** VIR_MIGRATE_PARAM_* names of the migration modes, with their typed-parameter types. */
export const MigrateParam = {
  BANDWIDTH: 'bandwidth', // ULLONG MiB/s
  AUTO_CONVERGE_INITIAL: 'auto_converge.initial', // INT percent
  AUTO_CONVERGE_INCREMENT: 'auto_converge.increment', // INT percent
  PARALLEL_CONNECTIONS: 'parallel.connections', // INT
  COMPRESSION: 'compression', // STRING, one param per method
  COMPRESSION_XBZRLE_CACHE: 'compression.xbzrle.cache', // ULLONG bytes
} as const;

export const JobStatsFlag = { COMPLETED: 1, KEEP_COMPLETED: 2 } as const;
export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;
export const ConnectFlag = { READONLY: 1 } as const;
/** VIR_DRV_FEATURE_PROGRAM_KEEPALIVE. */
export const FEATURE_PROGRAM_KEEPALIVE = 10;
export const DomainUndefineFlag = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  CHECKPOINTS_METADATA: 32,
} as const;

export function stateName(code: number): DomainStateName {
  return DOMAIN_STATES[code] ?? 'nostate';
}
export function reasonName(state: number, reason: number): string {
  return STATE_REASONS[state]?.[reason] ?? `reason-${reason}`;
}
export function lifecycleName(code: number): LifecycleEventName | `event-${number}` {
  return LIFECYCLE_EVENTS[code] ?? `event-${code}`;
}
export function detailName(event: number, detail: number): string {
  return LIFECYCLE_DETAILS[event]?.[detail] ?? `detail-${detail}`;
}
export function jobTypeName(code: number): JobTypeName {
  return JOB_TYPES[code] ?? 'none';
}
