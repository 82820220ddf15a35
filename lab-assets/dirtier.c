/*
 * dirtier: dirties guest memory at a stated rate, the workload of the migration-mode suites.
 *
 *   dirtier -r RATE_MIBS -m WSS_MIB [-s STATUS_FILE]
 *
 * Allocates a working set of WSS_MIB MiB (touched once, so every page is backed) and writes one 64-bit
 * word into RATE_MIBS × 256 pages per second, walking the working set in order, one page after the
 * other: each write dirties one 4 KiB page. It runs in 10 ms ticks against CLOCK_MONOTONIC: a tick
 * writes the pages owed since the last one, capped at 5 ticks' worth so that a guest that was paused
 * (a migration's switchover) does not burst afterwards; capped ticks are counted. The status block
 * (dirtier.h) is kept current for the reflector's control port (`dirty status`). Stops on SIGTERM or
 * SIGINT and marks the block not running. Under TCG the achievable rate is bounded by the vCPU: the
 * block's counters give the rate actually kept.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "dirtier.h"

static volatile sig_atomic_t stop;
static void on_stop(int s) { (void)s; stop = 1; }

static uint64_t now_ms(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static long parse(const char *s, long lo, long hi, const char *what) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < lo || v > hi) {
    fprintf(stderr, "dirtier: %s must be an integer from %ld to %ld, got '%s'\n", what, lo, hi, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long rate = 0, wss = 0;
  const char *path = DT_STATUS_FILE;
  int c;
  while ((c = getopt(argc, argv, "r:m:s:")) != -1) {
    if (c == 'r') rate = parse(optarg, 1, DT_MAX_RATE_MIBS, "-r (MiB/s)");
    else if (c == 'm') wss = parse(optarg, 1, DT_MAX_WSS_MIB, "-m (MiB)");
    else if (c == 's') path = optarg;
    else { fprintf(stderr, "usage: dirtier -r RATE_MIBS -m WSS_MIB [-s STATUS_FILE]\n"); return 2; }
  }
  if (rate == 0 || wss == 0) { fprintf(stderr, "usage: dirtier -r RATE_MIBS -m WSS_MIB [-s STATUS_FILE]\n"); return 2; }
  uint64_t pages = (uint64_t)wss * (1048576 / DT_PAGE);
  unsigned char *mem = mmap(NULL, pages * DT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED) { perror("dirtier: working set"); return 1; }
  for (uint64_t p = 0; p < pages; p++) mem[p * DT_PAGE] = 1;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, sizeof(struct dt_status)) < 0) { perror("dirtier: status file"); return 1; }
  volatile struct dt_status *st = mmap(NULL, sizeof(struct dt_status), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (st == MAP_FAILED) { perror("dirtier: status map"); return 1; }
  struct sigaction sa = { .sa_handler = on_stop };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  uint64_t t0 = now_ms(CLOCK_BOOTTIME);
  st->version = DT_VERSION;
  st->pid = (uint64_t)getpid();
  st->rate_mibs = (uint64_t)rate;
  st->wss_mib = (uint64_t)wss;
  st->started_ms = t0;
  st->last_tick_ms = t0;
  st->running = 1;
  __asm__ __volatile__("" ::: "memory");
  st->magic = DT_MAGIC;

  const double pages_per_ms = (double)rate * (1048576.0 / DT_PAGE) / 1000.0;
  const double cap = pages_per_ms * 50.0; /* 5 ticks */
  double owed = 0;
  uint64_t cursor = 0, seq = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  uint64_t last = now_ms(CLOCK_MONOTONIC);
  while (!stop) {
    uint64_t t = now_ms(CLOCK_MONOTONIC);
    uint64_t gap = t - last;
    last = t;
    owed += pages_per_ms * (double)gap;
    if (owed > cap) { owed = cap; st->capped_ticks++; }
    uint64_t n = (uint64_t)owed;
    owed -= (double)n;
    for (uint64_t i = 0; i < n; i++) {
      /* One word per page, a different word each visit: the page is written, never just read. */
      seq++;
      ((volatile uint64_t *)(mem + cursor * DT_PAGE))[seq % (DT_PAGE / 8)] = seq;
      if (++cursor == pages) { cursor = 0; st->passes++; }
    }
    st->pages_dirtied += n;
    uint64_t b = now_ms(CLOCK_BOOTTIME);
    if (b - st->last_tick_ms > st->max_tick_gap_ms) st->max_tick_gap_ms = b - st->last_tick_ms;
    st->last_tick_ms = b;
    next.tv_nsec += 10 * 1000000L;
    if (next.tv_nsec >= 1000000000L) { next.tv_sec++; next.tv_nsec -= 1000000000L; }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* Fallen more than a tick behind (paused guest): restart the schedule from now. */
    if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec + 10 * 1000000L)) next = now;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  st->running = 0;
  st->pid = 0;
  return 0;
}
