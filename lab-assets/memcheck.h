/*
 * memcheck.h: the status block shared by memcheck (writer) and udprefl (reader, control port).
 *
 * memcheck maps STATUS_FILE (default /tmp/memcheck.stat, on the initramfs' tmpfs/ramfs root) shared
 * and keeps this block current; udprefl maps the same file to answer `memcheck` requests and to post
 * self-test corruption requests. Every field is a 64-bit word so that a reader on the one vCPU never
 * sees a torn value; `first_*` are written before `bad_pages` is raised (compiler barrier), so a
 * reader that sees bad_pages > 0 sees the first mismatch.
 */
#ifndef VMMI_MEMCHECK_H
#define VMMI_MEMCHECK_H
#include <stdint.h>

#define MC_MAGIC 0x766d6d692d6d6331ULL /* "vmmi-mc1" */
#define MC_VERSION 1
#define MC_STATUS_FILE "/tmp/memcheck.stat"
#define MC_PAGE 4096
#define MC_WORDS (MC_PAGE / 8)

struct mc_status {
  uint64_t magic, version, pid;
  uint64_t pages, page_bytes;
  /* Stated rates: pages rewritten per second (the dirty rate) and pages verified per second. */
  uint64_t update_pps, verify_pps;
  /* CLOCK_BOOTTIME ms: when the checker started, and its last tick (liveness). */
  uint64_t started_ms, last_tick_ms;
  /* Counters since start: page rewrites, page verifications, full verification passes. */
  uint64_t updates, verified, passes;
  /* Pages found not to hold their pattern (each is repaired after it is counted). */
  uint64_t bad_pages;
  /* The first mismatch: page index, word index within it, expected and found 64-bit words, when. */
  uint64_t first_page, first_word, first_expected, first_found, first_at_ms;
  /* Self-test: udprefl raises selftest_req (a sequence number) with selftest_page; memcheck corrupts
     that page once (one word flipped, the pattern record left unchanged) and echoes the sequence. */
  uint64_t selftest_req, selftest_page, selftest_done, selftest_done_page;
  /* Longest interval between two ticks seen by the guest (ms): a migration's pause as the guest saw it. */
  uint64_t max_tick_gap_ms;
};

#endif
