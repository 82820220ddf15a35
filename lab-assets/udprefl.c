/*
 * udprefl: vmmi's in-guest reflector.
 *
 *   udprefl [UDP_PORT [TCP_PORT [CTL_PORT [MEMCHECK_STATUS]]]]
 *           (defaults 7, 7, 0 and /tmp/memcheck.stat; port 0 disables that socket)
 *
 * - UDP: one dual-stack socket (IPv6, V6ONLY off) echoing every datagram's payload unchanged to its
 *   sender. The probes measure loss and gaps from these echoes, so nothing is added or reordered.
 * - TCP: an echo server for session-survival checks; up to MAX_CONN concurrent clients, each echoing
 *   what it receives until the peer closes. A connection that survives a migration keeps echoing.
 * - Control (UDP, CTL_PORT): one request per datagram, one text line back:
 *     `memcheck`            -> `memcheck state=ok|corrupt|absent key=value...` (memcheck.h counters)
 *     `memcheck-corrupt P`  -> asks memcheck to corrupt page P once (self-test), `memcheck-corrupt seq=N page=P`
 *   Requests the reflector does not know get `error unknown-request`. The echo port never answers these:
 *   control traffic and probe traffic stay apart.
 * Single-threaded poll() loop, no allocation after start, never exits on a client's error.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "memcheck.h"

#define MAX_CONN 64
#define BUF 65536

static unsigned char buf[BUF];

static int listen6(int type, int port) {
  int fd = socket(AF_INET6, type, 0);
  if (fd < 0) return -1;
  int off = 0, on = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  a.sin6_port = htons((unsigned short)port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  if (type == SOCK_STREAM && listen(fd, 16) < 0) { close(fd); return -1; }
  return fd;
}

/* Writes all of buf[0..n) to a blocking-enough TCP socket; returns -1 when the peer is gone. */
static int write_all(int fd, const unsigned char *p, ssize_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, (size_t)n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    p += w;
    n -= w;
  }
  return 0;
}

static const char *mc_path = MC_STATUS_FILE;
static volatile struct mc_status *mc;

/* Maps memcheck's status block once it exists (memcheck may start after the reflector). */
static volatile struct mc_status *memcheck_status(void) {
  if (mc != NULL) return mc;
  int fd = open(mc_path, O_RDWR);
  if (fd < 0) return NULL;
  void *m = mmap(NULL, sizeof(struct mc_status), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return NULL;
  mc = m;
  return mc;
}

static unsigned long long boot_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_BOOTTIME, &t);
  return (unsigned long long)t.tv_sec * 1000ull + (unsigned long long)t.tv_nsec / 1000000ull;
}

/* Answers one control request in out[0..cap); returns the reply length. */
static int control(const char *req, size_t n, char *out, size_t cap) {
  char cmd[64];
  size_t k = n < sizeof cmd - 1 ? n : sizeof cmd - 1;
  memcpy(cmd, req, k);
  cmd[k] = 0;
  while (k > 0 && (cmd[k - 1] == '\n' || cmd[k - 1] == '\r' || cmd[k - 1] == ' ')) cmd[--k] = 0;
  volatile struct mc_status *s = memcheck_status();
  if (strcmp(cmd, "memcheck") == 0) {
    if (s == NULL || s->magic != MC_MAGIC)
      return snprintf(out, cap, "memcheck state=absent uptime_ms=%llu reason=no-status-block\n", boot_ms());
    unsigned long long bad = s->bad_pages;
    int len = snprintf(out, cap,
      "memcheck state=%s version=%llu uptime_ms=%llu started_ms=%llu last_tick_ms=%llu pages=%llu page_bytes=%llu "
      "update_pps=%llu verify_pps=%llu updates=%llu verified=%llu passes=%llu bad_pages=%llu max_tick_gap_ms=%llu "
      "selftest_done=%llu selftest_page=%llu",
      bad > 0 ? "corrupt" : "ok", (unsigned long long)s->version, boot_ms(), (unsigned long long)s->started_ms,
      (unsigned long long)s->last_tick_ms, (unsigned long long)s->pages, (unsigned long long)s->page_bytes,
      (unsigned long long)s->update_pps, (unsigned long long)s->verify_pps, (unsigned long long)s->updates,
      (unsigned long long)s->verified, (unsigned long long)s->passes, bad, (unsigned long long)s->max_tick_gap_ms,
      (unsigned long long)s->selftest_done, (unsigned long long)s->selftest_done_page);
    if (bad > 0 && len > 0 && (size_t)len < cap)
      len += snprintf(out + len, cap - (size_t)len, " first_page=%llu first_word=%llu expected=0x%016llx found=0x%016llx first_at_ms=%llu",
        (unsigned long long)s->first_page, (unsigned long long)s->first_word, (unsigned long long)s->first_expected,
        (unsigned long long)s->first_found, (unsigned long long)s->first_at_ms);
    if (len > 0 && (size_t)len < cap - 1) { out[len++] = '\n'; out[len] = 0; }
    return len;
  }
  if (strncmp(cmd, "memcheck-corrupt", 16) == 0 && (cmd[16] == 0 || cmd[16] == ' ')) {
    if (s == NULL || s->magic != MC_MAGIC) return snprintf(out, cap, "memcheck-corrupt state=absent\n");
    unsigned long long page = cmd[16] == ' ' ? strtoull(cmd + 17, NULL, 10) : 0;
    s->selftest_page = page % (s->pages ? s->pages : 1);
    __asm__ __volatile__("" ::: "memory");
    unsigned long long seq = s->selftest_req + 1;
    s->selftest_req = seq;
    return snprintf(out, cap, "memcheck-corrupt seq=%llu page=%llu\n", seq, (unsigned long long)s->selftest_page);
  }
  return snprintf(out, cap, "error unknown-request\n");
}

int main(int argc, char **argv) {
  int uport = argc > 1 ? atoi(argv[1]) : 7;
  int tport = argc > 2 ? atoi(argv[2]) : 7;
  int cport = argc > 3 ? atoi(argv[3]) : 0;
  if (argc > 4) mc_path = argv[4];
  signal(SIGPIPE, SIG_IGN);
  struct pollfd pf[3 + MAX_CONN];
  int n = 0;
  int ufd = -1, tfd = -1, cfd = -1;
  if (uport > 0) {
    ufd = listen6(SOCK_DGRAM, uport);
    if (ufd < 0) { perror("udprefl: udp"); return 1; }
  }
  if (tport > 0) {
    tfd = listen6(SOCK_STREAM, tport);
    if (tfd < 0) { perror("udprefl: tcp"); return 1; }
  }
  if (cport > 0) {
    cfd = listen6(SOCK_DGRAM, cport);
    if (cfd < 0) { perror("udprefl: control"); return 1; }
  }
  pf[0].fd = ufd; pf[0].events = POLLIN;
  pf[1].fd = tfd; pf[1].events = POLLIN;
  for (int i = 0; i < MAX_CONN; i++) { pf[2 + i].fd = -1; pf[2 + i].events = POLLIN; }
  pf[2 + MAX_CONN].fd = cfd; pf[2 + MAX_CONN].events = POLLIN;
  n = 3 + MAX_CONN;
  for (;;) {
    if (poll(pf, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      perror("udprefl: poll");
      return 1;
    }
    if (ufd >= 0 && (pf[0].revents & POLLIN)) {
      /* Drain everything queued: at 1 kHz per flow and several flows this keeps latency flat. */
      for (int k = 0; k < 256; k++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(ufd, buf, BUF, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (r < 0) break;
        sendto(ufd, buf, (size_t)r, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
      }
    }
    if (cfd >= 0 && (pf[2 + MAX_CONN].revents & POLLIN)) {
      struct sockaddr_storage from;
      socklen_t fl = sizeof from;
      char reply[1024];
      ssize_t r = recvfrom(cfd, buf, 256, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
      if (r > 0) {
        int len = control((const char *)buf, (size_t)r, reply, sizeof reply);
        if (len > 0) sendto(cfd, reply, (size_t)len < sizeof reply ? (size_t)len : sizeof reply - 1, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
      }
    }
    if (tfd >= 0 && (pf[1].revents & POLLIN)) {
      int c = accept(tfd, NULL, NULL);
      if (c >= 0) {
        int on = 1, slot = -1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        for (int i = 0; i < MAX_CONN; i++) if (pf[2 + i].fd < 0) { slot = i; break; }
        if (slot < 0) close(c); /* full: refuse rather than block the others */
        else pf[2 + slot].fd = c;
      }
    }
    for (int i = 0; i < MAX_CONN; i++) {
      struct pollfd *p = &pf[2 + i];
      if (p->fd < 0 || p->revents == 0) continue;
      ssize_t r = recv(p->fd, buf, BUF, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || (r > 0 && write_all(p->fd, buf, r) < 0)) {
        close(p->fd);
        p->fd = -1;
      }
    }
  }
}
