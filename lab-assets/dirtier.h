/*
 * dirtier.h: the status block shared by dirtier (writer) and udprefl (reader, control port).
 *
 * dirtier maps STATUS_FILE (default /tmp/dirtier.stat) shared and keeps this block current; udprefl
 * maps it to answer `dirty status`. Every field is a 64-bit word so that a reader on the one vCPU never
 * sees a torn value.
 */
#ifndef VMMI_DIRTIER_H
#define VMMI_DIRTIER_H
#include <stdint.h>

#define DT_MAGIC 0x766d6d692d647431ULL /* "vmmi-dt1" */
#define DT_VERSION 1
#define DT_STATUS_FILE "/tmp/dirtier.stat"
#define DT_BINARY "/bin/dirtier"
#define DT_PAGE 4096
/* Bounds the control port accepts: rate in MiB/s, working set in MiB. */
#define DT_MAX_RATE_MIBS 4096
#define DT_MAX_WSS_MIB 1024

struct dt_status {
  uint64_t magic, version, pid;
  /* Stated rate (MiB/s) and working set (MiB). */
  uint64_t rate_mibs, wss_mib;
  /* CLOCK_BOOTTIME ms: start and last tick (liveness); running is 1 until the dirtier exits. */
  uint64_t started_ms, last_tick_ms, running;
  /* Pages written since start (each write dirties one page), full passes over the working set. */
  uint64_t pages_dirtied, passes;
  /* Ticks whose backlog was capped (the guest could not keep the rate, or was paused), longest tick gap. */
  uint64_t capped_ticks, max_tick_gap_ms;
};

#endif
