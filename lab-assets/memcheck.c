/*
 * memcheck: vmmi's guest memory-integrity checker (static, no libc allocation after start).
 *
 *   memcheck [-m MIB] [-u UPDATE_PPS] [-v VERIFY_PPS] [-s STATUS_FILE]
 *            (defaults: 16 MiB, 1000 page rewrites/s, 8192 page verifications/s, /tmp/memcheck.stat)
 *
 * Like QEMU's own migration tests, it owns a memory region and keeps changing it while the guest is
 * migrated, so that a page the migration failed to resend shows up as stale content:
 * - every 4 KiB page holds a pattern fixed by (page index, generation): word 0 is the generation,
 *   word 1 the page index, every other word a mix of both and the word index;
 * - a separate record holds each page's current generation;
 * - every 10 ms tick it rewrites the next pages of a round-robin at the update rate (generation + 1,
 *   whole page) and verifies the next pages of a second round-robin at the verify rate. A page is
 *   also verified right before it is rewritten, so a corruption is never healed unseen;
 * - a page that does not hold its pattern is counted; the first mismatch (page, word, expected,
 *   found) is kept; the page is then rewritten so later corruptions count on their own.
 * Status and counters live in a shared status file (memcheck.h) that the reflector's control port
 * reads. On request it corrupts one page (self-test), to prove that the check bites end to end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "memcheck.h"

#define TICK_MS 10

static volatile struct mc_status *st;
static uint64_t *region;
static uint64_t *gen; /* per-page generation: the pattern record */
static uint64_t pages;

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_BOOTTIME, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* splitmix64: a cheap, well-mixed function of (page, generation, word). */
static inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static inline uint64_t expected_word(uint64_t p, uint64_t g, uint64_t w) {
  if (w == 0) return g;
  if (w == 1) return p;
  return mix((p << 32) ^ g) ^ (w * 0xd6e8feb86659fd93ULL);
}

static void write_page(uint64_t p) {
  uint64_t g = gen[p] + 1;
  uint64_t *pg = region + p * MC_WORDS;
  uint64_t base = mix((p << 32) ^ g);
  pg[1] = p;
  for (uint64_t w = 2; w < MC_WORDS; w++) pg[w] = base ^ (w * 0xd6e8feb86659fd93ULL);
  pg[0] = g;
  gen[p] = g;
}

/* Verifies page p; on a mismatch records it, repairs the page and returns 0. */
static int verify_page(uint64_t p) {
  const uint64_t *pg = region + p * MC_WORDS;
  uint64_t g = gen[p];
  uint64_t bad_w = MC_WORDS, exp = 0, found = 0;
  if (pg[0] != g) { bad_w = 0; exp = g; found = pg[0]; }
  else if (pg[1] != p) { bad_w = 1; exp = p; found = pg[1]; }
  else {
    uint64_t base = mix((p << 32) ^ g);
    for (uint64_t w = 2; w < MC_WORDS; w++) {
      uint64_t e = base ^ (w * 0xd6e8feb86659fd93ULL);
      if (pg[w] != e) { bad_w = w; exp = e; found = pg[w]; break; }
    }
  }
  st->verified++;
  if (bad_w == MC_WORDS) return 1;
  if (st->bad_pages == 0) {
    st->first_page = p;
    st->first_word = bad_w;
    st->first_expected = exp;
    st->first_found = found;
    st->first_at_ms = now_ms();
    __asm__ __volatile__("" ::: "memory");
  }
  st->bad_pages++;
  write_page(p);
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: memcheck [-m MIB] [-u UPDATE_PPS] [-v VERIFY_PPS] [-s STATUS_FILE]\n");
  exit(2);
}

int main(int argc, char **argv) {
  uint64_t mib = 16, update_pps = 1000, verify_pps = 8192;
  const char *status_file = MC_STATUS_FILE;
  int c;
  while ((c = getopt(argc, argv, "m:u:v:s:")) != -1) {
    switch (c) {
      case 'm': mib = strtoull(optarg, NULL, 10); break;
      case 'u': update_pps = strtoull(optarg, NULL, 10); break;
      case 'v': verify_pps = strtoull(optarg, NULL, 10); break;
      case 's': status_file = optarg; break;
      default: usage();
    }
  }
  if (mib == 0 || mib > 4096 || update_pps > 1000000 || verify_pps == 0 || verify_pps > 1000000) usage();
  pages = mib * 1024 * 1024 / MC_PAGE;

  int fd = open(status_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, sizeof(struct mc_status)) < 0) { perror("memcheck: status file"); return 1; }
  st = mmap(NULL, sizeof(struct mc_status), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (st == MAP_FAILED) { perror("memcheck: mmap status"); return 1; }
  region = mmap(NULL, pages * MC_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  gen = mmap(NULL, pages * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (region == MAP_FAILED || gen == MAP_FAILED) { perror("memcheck: mmap region"); return 1; }
  /* Resident for good: a page swapped or reclaimed would not be guest RAM under test (no swap here anyway). */
  mlockall(MCL_CURRENT);
  for (uint64_t p = 0; p < pages; p++) { gen[p] = 0; write_page(p); }
  /* Below the reflector: the probes' echo latency must not depend on this loop. */
  setpriority(PRIO_PROCESS, 0, 10);

  st->version = MC_VERSION;
  st->pid = (uint64_t)getpid();
  st->pages = pages;
  st->page_bytes = MC_PAGE;
  st->update_pps = update_pps;
  st->verify_pps = verify_pps;
  st->started_ms = st->last_tick_ms = now_ms();
  __asm__ __volatile__("" ::: "memory");
  st->magic = MC_MAGIC;

  uint64_t ucur = 0, vcur = 0, ucarry = 0, vcarry = 0, seen_req = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (;;) {
    next.tv_nsec += TICK_MS * 1000000L;
    if (next.tv_nsec >= 1000000000L) { next.tv_sec++; next.tv_nsec -= 1000000000L; }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
    uint64_t t = now_ms();
    if (t - st->last_tick_ms > st->max_tick_gap_ms) st->max_tick_gap_ms = t - st->last_tick_ms;
    st->last_tick_ms = t;
    /* After a long pause (a migration's blackout, a stopped vCPU) resume the schedule from now, not in a burst. */
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    if (mono.tv_sec > next.tv_sec + 1) next = mono;

    uint64_t req = st->selftest_req;
    if (req != seen_req) {
      seen_req = req;
      uint64_t p = st->selftest_page % pages;
      region[p * MC_WORDS + MC_WORDS / 2] ^= 0x00ff00ff00ff00ffULL; /* the record still says it holds the pattern */
      st->selftest_done_page = p;
      __asm__ __volatile__("" ::: "memory");
      st->selftest_done = req;
    }

    ucarry += update_pps * TICK_MS;
    for (; ucarry >= 1000; ucarry -= 1000) {
      verify_page(ucur);
      write_page(ucur);
      st->updates++;
      ucur = (ucur + 1) % pages;
    }
    vcarry += verify_pps * TICK_MS;
    for (; vcarry >= 1000; vcarry -= 1000) {
      verify_page(vcur);
      vcur++;
      if (vcur == pages) { vcur = 0; st->passes++; }
    }
  }
}
