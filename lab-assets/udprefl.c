/*
 * udprefl: vmmi's in-guest reflector.
 *
 *   udprefl [UDP_PORT [TCP_PORT [CTL_PORT [MEMCHECK_STATUS [LIFETIME_MS]]]]]
 *           (defaults 7, 7, 0, /tmp/memcheck.stat and 0; port 0 disables that socket, `any` binds a free one)
 *
 * - UDP: one dual-stack socket (IPv6, V6ONLY off) echoing every datagram's payload unchanged to its
 *   sender. The probes measure loss and gaps from these echoes, so nothing is added or reordered.
 *   Datagrams are taken and echoed in batches (recvmmsg, then one sendmmsg of the same datagrams in
 *   arrival order) of what is already queued: one wake-up and two system calls per batch instead of
 *   two per datagram, which is what limits the rate under TCG and at 100 kpps on a host. The batch
 *   never waits for more datagrams, so an echo leaves as soon as the reflector runs.
 * - TCP: an echo server for session-survival checks; up to MAX_CONN concurrent clients, each echoing
 *   what it receives until the peer closes. A connection that survives a migration keeps echoing.
 * - Control (UDP, CTL_PORT): one request per datagram, one text line back:
 *     `memcheck`            -> `memcheck state=ok|corrupt|absent key=value...` (memcheck.h counters)
 *     `memcheck-corrupt P`  -> asks memcheck to corrupt page P once (self-test), `memcheck-corrupt seq=N page=P`
 *     `dirty start X Y`     -> starts the memory dirtier (dirtier.c) at X MiB/s over Y MiB,
 *                              `dirty started pid=N rate_mibs=X wss_mib=Y` or `dirty error=...`
 *     `dirty stop`          -> stops it, `dirty stopped pages_dirtied=N` (or `dirty stopped none`)
 *     `dirty status`        -> `dirty state=running|stopped|absent key=value...` (dirtier.h counters)
 *   Requests the reflector does not know get `error unknown-request`. The echo port never answers these:
 *   control traffic and probe traffic stay apart.
 * - LIFETIME_MS > 0 (host-side runs, e.g. in a probe namespace): the reflector is bounded. It prints
 *   `{"t":"ready","udpPort":P,"tcpPort":T|null}` on stdout once bound, stops after LIFETIME_MS, on
 *   SIGTERM/SIGINT or when stdin closes (the controller went away), and prints
 *   `{"t":"closed","udpEchoed":N,"tcpBytes":B,"tcpConnections":C,"cpuUserMs":U,"cpuSystemMs":S}` last
 *   (src/probes/udp/run-reflector.ts reads both). It also asks for 4 MiB socket buffers. Without it
 *   (the guest) nothing is printed and the socket buffers stay the kernel's: a guest stall then shows
 *   as loss, not as late echoes.
 * Single-threaded poll() loop, no allocation after start, never exits on a client's error.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "dirtier.h"
#include "memcheck.h"

#define MAX_CONN 64
#define BUF 65536
/* Datagrams per recvmmsg/sendmmsg; each slot holds the largest UDP payload, so nothing is truncated. */
#define UBATCH 32

static unsigned char buf[BUF];
static unsigned char ubuf[UBATCH][BUF];
static volatile sig_atomic_t stop_signal;
static unsigned long long udp_echoed, tcp_bytes, tcp_connections;

static void on_stop(int s) { (void)s; stop_signal = 1; }

/* Echoes what is queued on `fd`, UBATCH datagrams per system call pair, until the queue is empty or
 * `max` were taken (so TCP and control sockets get their turn). A datagram whose echo the kernel
 * refuses is skipped (the prober counts it as lost); the others still go. */
static void echo_udp(int fd, int max) {
  static struct mmsghdr in[UBATCH], out[UBATCH];
  static struct iovec iin[UBATCH], iout[UBATCH];
  static struct sockaddr_storage from[UBATCH];
  for (int taken = 0; taken < max;) {
    for (int i = 0; i < UBATCH; i++) {
      iin[i].iov_base = ubuf[i];
      iin[i].iov_len = BUF;
      memset(&in[i].msg_hdr, 0, sizeof in[i].msg_hdr);
      in[i].msg_hdr.msg_iov = &iin[i];
      in[i].msg_hdr.msg_iovlen = 1;
      in[i].msg_hdr.msg_name = &from[i];
      in[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int r = recvmmsg(fd, in, UBATCH, MSG_DONTWAIT, NULL);
    if (r <= 0) return;
    for (int i = 0; i < r; i++) {
      iout[i].iov_base = ubuf[i];
      iout[i].iov_len = in[i].msg_len;
      memset(&out[i].msg_hdr, 0, sizeof out[i].msg_hdr);
      out[i].msg_hdr.msg_iov = &iout[i];
      out[i].msg_hdr.msg_iovlen = 1;
      out[i].msg_hdr.msg_name = &from[i];
      out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
    }
    for (int done = 0; done < r;) {
      int w = sendmmsg(fd, out + done, (unsigned)(r - done), MSG_DONTWAIT);
      if (w > 0) { done += w; udp_echoed += (unsigned long long)w; continue; }
      if (w < 0 && errno == EINTR) continue;
      done++; /* this one's echo was refused: skip it */
    }
    taken += r;
    if (r < UBATCH) return;
  }
}

static double ms_of(struct timeval t) { return (double)t.tv_sec * 1e3 + (double)t.tv_usec / 1e3; }

static double mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* `any` binds a free port (bounded host runs); anything else is a port number, 0 disabling it. */
static int port_arg(const char *s) { return strcmp(s, "any") == 0 ? -1 : atoi(s); }

static int bound_port(int fd) {
  struct sockaddr_in6 a;
  socklen_t l = sizeof a;
  if (fd < 0 || getsockname(fd, (struct sockaddr *)&a, &l) < 0) return 0;
  return ntohs(a.sin6_port);
}

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
  a.sin6_port = htons((unsigned short)(port < 0 ? 0 : port));
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

static pid_t dirtier_pid;
/* The guest's paths; VMMI_DIRTIER and VMMI_DIRTIER_STATUS override them for host-side tests. */
static const char *dt_bin(void) { const char *e = getenv("VMMI_DIRTIER"); return e != NULL && *e ? e : DT_BINARY; }
static const char *dt_stat(void) {
  const char *e = getenv("VMMI_DIRTIER_STATUS");
  return e != NULL && *e ? e : DT_STATUS_FILE;
}

/* Reaps an exited dirtier (a child of the reflector); true while it runs. */
static int dirtier_alive(void) {
  if (dirtier_pid <= 0) return 0;
  if (waitpid(dirtier_pid, NULL, WNOHANG) == dirtier_pid) { dirtier_pid = 0; return 0; }
  return 1;
}

/* Copies the dirtier's status block (absent: magic 0). */
static void dirtier_read(struct dt_status *out) {
  memset(out, 0, sizeof *out);
  int fd = open(dt_stat(), O_RDONLY);
  if (fd < 0) return;
  void *m = mmap(NULL, sizeof(struct dt_status), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return;
  memcpy(out, m, sizeof *out);
  munmap(m, sizeof(struct dt_status));
}

static int dirty_control(const char *arg, char *out, size_t cap) {
  struct dt_status st;
  if (strncmp(arg, "start ", 6) == 0) {
    char *end;
    long rate = strtol(arg + 6, &end, 10);
    long wss = *end == ' ' ? strtol(end + 1, &end, 10) : -1;
    if (*end != 0 || rate < 1 || rate > DT_MAX_RATE_MIBS || wss < 1 || wss > DT_MAX_WSS_MIB)
      return snprintf(out, cap, "dirty error=bad-arguments usage=dirty-start-RATE_MIBS-WSS_MIB rate=1..%d wss=1..%d\n",
                      DT_MAX_RATE_MIBS, DT_MAX_WSS_MIB);
    if (dirtier_alive()) return snprintf(out, cap, "dirty error=running pid=%d\n", (int)dirtier_pid);
    if (access(dt_bin(), X_OK) != 0) return snprintf(out, cap, "dirty error=absent\n");
    char r[16], m[16];
    snprintf(r, sizeof r, "%ld", rate);
    snprintf(m, sizeof m, "%ld", wss);
    pid_t pid = fork();
    if (pid < 0) return snprintf(out, cap, "dirty error=fork\n");
    if (pid == 0) {
      execl(dt_bin(), "dirtier", "-r", r, "-m", m, "-s", dt_stat(), (char *)NULL);
      _exit(127);
    }
    dirtier_pid = pid;
    return snprintf(out, cap, "dirty started pid=%d rate_mibs=%ld wss_mib=%ld\n", (int)pid, rate, wss);
  }
  if (strcmp(arg, "stop") == 0) {
    if (!dirtier_alive()) return snprintf(out, cap, "dirty stopped none\n");
    kill(dirtier_pid, SIGTERM);
    /* It stops within a tick (10 ms); bounded wait, then SIGKILL. */
    for (int i = 0; i < 200 && waitpid(dirtier_pid, NULL, WNOHANG) == 0; i++) usleep(1000);
    if (waitpid(dirtier_pid, NULL, WNOHANG) == 0) { kill(dirtier_pid, SIGKILL); waitpid(dirtier_pid, NULL, 0); }
    dirtier_pid = 0;
    dirtier_read(&st);
    return snprintf(out, cap, "dirty stopped pages_dirtied=%llu\n", (unsigned long long)st.pages_dirtied);
  }
  if (strcmp(arg, "status") == 0) {
    int alive = dirtier_alive();
    dirtier_read(&st);
    if (st.magic != DT_MAGIC) {
      if (access(dt_bin(), X_OK) != 0)
        return snprintf(out, cap, "dirty state=absent uptime_ms=%llu\n", boot_ms());
      return snprintf(out, cap, "dirty state=%s uptime_ms=%llu rate_mibs=0 wss_mib=0 started_ms=0 last_tick_ms=0 "
                      "pages_dirtied=0 passes=0 capped_ticks=0 max_tick_gap_ms=0\n", alive ? "starting" : "stopped", boot_ms());
    }
    return snprintf(out, cap, "dirty state=%s uptime_ms=%llu rate_mibs=%llu wss_mib=%llu started_ms=%llu last_tick_ms=%llu "
                    "pages_dirtied=%llu passes=%llu capped_ticks=%llu max_tick_gap_ms=%llu\n",
                    alive && st.running ? "running" : "stopped", boot_ms(), (unsigned long long)st.rate_mibs,
                    (unsigned long long)st.wss_mib, (unsigned long long)st.started_ms, (unsigned long long)st.last_tick_ms,
                    (unsigned long long)st.pages_dirtied, (unsigned long long)st.passes,
                    (unsigned long long)st.capped_ticks, (unsigned long long)st.max_tick_gap_ms);
  }
  return snprintf(out, cap, "dirty error=unknown-request usage=dirty-start-X-Y|dirty-stop|dirty-status\n");
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
  if (strncmp(cmd, "dirty ", 6) == 0) return dirty_control(cmd + 6, out, cap);
  return snprintf(out, cap, "error unknown-request\n");
}

int main(int argc, char **argv) {
  int uport = argc > 1 ? port_arg(argv[1]) : 7;
  int tport = argc > 2 ? port_arg(argv[2]) : 7;
  int cport = argc > 3 ? port_arg(argv[3]) : 0;
  if (argc > 4) mc_path = argv[4];
  double lifetime_ms = argc > 5 ? atof(argv[5]) : 0;
  int bounded = lifetime_ms > 0;
  signal(SIGPIPE, SIG_IGN);
  if (bounded) {
    struct sigaction sa = { .sa_handler = on_stop };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
  }
  struct pollfd pf[4 + MAX_CONN];
  int n = 0;
  int ufd = -1, tfd = -1, cfd = -1;
  if (uport != 0) {
    ufd = listen6(SOCK_DGRAM, uport);
    if (ufd < 0) { perror("udprefl: udp"); return 1; }
    if (bounded) {
      int sz = 4 << 20;
      if (setsockopt(ufd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0) setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
      if (setsockopt(ufd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0) setsockopt(ufd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    }
  }
  if (tport != 0) {
    tfd = listen6(SOCK_STREAM, tport);
    if (tfd < 0) { perror("udprefl: tcp"); return 1; }
  }
  if (cport != 0) {
    cfd = listen6(SOCK_DGRAM, cport);
    if (cfd < 0) { perror("udprefl: control"); return 1; }
  }
  pf[0].fd = ufd; pf[0].events = POLLIN;
  pf[1].fd = tfd; pf[1].events = POLLIN;
  for (int i = 0; i < MAX_CONN; i++) { pf[2 + i].fd = -1; pf[2 + i].events = POLLIN; }
  pf[2 + MAX_CONN].fd = cfd; pf[2 + MAX_CONN].events = POLLIN;
  /* Bounded runs watch stdin: its end means the controller is gone. */
  pf[3 + MAX_CONN].fd = bounded ? 0 : -1; pf[3 + MAX_CONN].events = POLLIN;
  n = 4 + MAX_CONN;
  struct rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  double end_ms = mono_ms() + lifetime_ms;
  if (bounded) {
    char tp[16] = "null";
    if (tfd >= 0) snprintf(tp, sizeof tp, "%d", bound_port(tfd));
    printf("{\"t\":\"ready\",\"udpPort\":%d,\"tcpPort\":%s}\n", bound_port(ufd), tp);
    fflush(stdout);
  }
  for (;;) {
    int wait = -1;
    if (bounded) {
      double left = end_ms - mono_ms();
      if (left <= 0 || stop_signal) break;
      wait = left > 100 ? 100 : (int)left + 1;
    }
    if (poll(pf, (nfds_t)n, wait) < 0) {
      if (errno == EINTR) continue;
      perror("udprefl: poll");
      return 1;
    }
    if (ufd >= 0 && (pf[0].revents & POLLIN)) echo_udp(ufd, 256);
    if (pf[3 + MAX_CONN].fd >= 0 && pf[3 + MAX_CONN].revents) {
      ssize_t r = read(0, buf, 256);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) break;
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
        else { pf[2 + slot].fd = c; tcp_connections++; }
      }
    }
    for (int i = 0; i < MAX_CONN; i++) {
      struct pollfd *p = &pf[2 + i];
      if (p->fd < 0 || p->revents == 0) continue;
      ssize_t r = recv(p->fd, buf, BUF, MSG_DONTWAIT);
      if (r > 0) tcp_bytes += (unsigned long long)r;
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || (r > 0 && write_all(p->fd, buf, r) < 0)) {
        close(p->fd);
        p->fd = -1;
      }
    }
  }
  /* Only bounded runs get here. */
  if (ufd >= 0) echo_udp(ufd, 1 << 20);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"t\":\"closed\",\"udpEchoed\":%llu,\"tcpBytes\":%llu,\"tcpConnections\":%llu,\"cpuUserMs\":%.3f,\"cpuSystemMs\":%.3f}\n",
         udp_echoed, tcp_bytes, tcp_connections, ms_of(ru.ru_utime) - ms_of(ru0.ru_utime), ms_of(ru.ru_stime) - ms_of(ru0.ru_stime));
  fflush(stdout);
  return 0;
}
