/**
 * vmmi's public API. Suites import from here only; internal folders have no barrels.
 */
export {
  test,
  expect,
  judge,
  vmmiCli,
  migrateRecorded,
  type MigrateRequest,
  type MigrateOutcome,
  type MigrateOverrides,
  type LabState,
} from './playwright/fixtures.js';
export { recoverRuns, formatRecovery, type RecoveryOutcome } from './harness/recover.js';
export { fileJournal, openJournals, stateDir } from './harness/journal-file.js';
export { planRecovery, type RunJournal, type JournalHeader, type JournalStep } from './migration/journal.js';
export { recordRun, recordMeasurement, recordManifestFacts } from './playwright/attachments.js';
export { loadTestbed, validateTestbedFile, validateTestbedText, type LoadOptions } from './inventory/load.js';
export { defineTestbed, type TestbedInput } from './inventory/define.js';
export { testbedJsonSchema } from './inventory/schema.js';
export type {
  Testbed, Hypervisor, Switch, Link, Subnet, Vm, TrafficHost, MigrationStrategy, Thresholds, TunnelEncapsulation,
} from './model/testbed.js';
export { MIGRATION_STRATEGIES } from './model/testbed.js';
export { MIGRATION_MODES, type MigrationMode, type MigrationModeSettings } from './model/testbed.js';
export {
  applyMigrationOverrides, checkMigrationOverrides, describeMode, modeSettingsOf, modeVariant, type MigrationOverrides,
} from './migration/mode.js';
export { Secret } from './model/secret.js';
export { runMigration, type MigrationResult, type AttemptResult, type MigrationDrivers } from './migration/run.js';
export { planMigration, formatPlan, type MigrationPlan } from './migration/plan.js';
export { openTestbed, type OpenedTestbed } from './harness/open.js';
export { labNs } from './lab/access.js';
export { namespaceEntryForbidden, refusedNamespaceEntries } from './exec/namespace-guard.js';
export { migrateVm, locateVm, type MigrateContext } from './harness/migrate.js';
export type { NetworkDevice, FlowMeasurement } from './migration/types.js';
export { toRunRecords } from './harness/run-record.js';
export { setLabWan, type WanSettings, type WanState } from './harness/lab-control.js';
export { setLabArpNdSuppression, type LabArpNdSuppression, type LabSuppressionPort } from './harness/lab-control.js';
export {
  metricOf, effectiveVerdict, buildReportModel, parseRunRecord, type RunRecord, type Metric, type MetricName,
} from './report/model.js';
export { writeReport } from './report/write.js';
export { VmmiError, isVmmiError } from './errors/vmmi-error.js';
export type { ErrorCode } from './errors/codes.js';
export { summarizeFlow, type FlowResult } from './measure/summarize.js';
export { netnsRunner } from './lab/access.js';
export { runLocal } from './exec/local.js';
export { errorRatio, runCalibration, type CalibrationRun, type CalibrationRow } from './probes/calibrate/calibrate.js';
export { spawnLocal } from './probes/udp/spawn.js';
export {
  runUdpProbe, startUdpProbe, type ProbePlacement, type ProbeSender, type UdpProbeResult,
} from './probes/udp/run.js';
export { nativeProbeAvailable, nativeProbeBinary } from './probes/udp/native.js';
export { NetconfClient } from './transports/netconf/client.js';
export { cliEndpoint, netconfEndpoint, type SwitchEndpoint } from './model/switch-access.js';
export { SshPool } from './transports/ssh.js';
export {
  guestControlRequest,
  queryMemcheck,
  checkMemoryIntegrity,
  type GuestControlTarget,
} from './probes/guest-control/query.js';
export { parseMemcheckReply, integrityVerdict, type MemcheckReport } from './probes/guest-control/memcheck.js';
export {
  dirtierStatus, parseDirtierStatus, startDirtier, stopDirtier, type DirtierLoad, type DirtierStatus,
} from './probes/guest-control/dirtier.js';
export {
  parseThreshold, testbedThresholds, formatThreshold, METRIC_ALIASES, type Threshold,
} from './verdict/threshold.js';
export { judgeRecord, judgeScenarios, verdictOf, type Judgement } from './verdict/judge.js';
export { describe as describeRepetitions, type Statistics, type Statistic } from './measure/stats.js';
