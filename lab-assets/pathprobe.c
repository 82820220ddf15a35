/*
 * pathprobe: vmmi's path probe (a bounded UDP traceroute), run on a traffic host or in a lab namespace.
 *
 *   pathprobe [--probes N] [--max-hops H] [--first-ttl F] [--timeout-ms T] [--deadline-ms D] [--port P] TARGET
 *
 * TARGET is an IPv4 or IPv6 literal. For each TTL from F (default 1) to H (default 16, at most 64) it sends
 * N UDP probes (default 3, at most 10) back to back with IP_TTL / IPV6_UNICAST_HOPS set to the TTL, probe k
 * of the run to port P + k (default P 33434), then waits until every probe of that TTL has an answer or T ms
 * (default 1000) passed since the last of them was sent. Answers are the ICMP/ICMPv6 errors the kernel queues
 * on the socket (IP_RECVERR / IPV6_RECVERR, read with MSG_ERRQUEUE: no raw socket, no privilege) and UDP
 * replies from the target; each is matched to its probe by the destination port of the probe it quotes (or
 * the source port of a reply). An answer for a probe of an earlier TTL arriving late is not counted.
 *
 * Stops at the target (port unreachable from the target, or a UDP reply from it), at another destination
 * unreachable (net, host, prohibited: the path ends there), at H, or at the hard deadline D ms after start
 * (default 30000); also on SIGTERM/SIGINT and when stdin (a pipe or socket) closes. At most H x N probes.
 *
 * Output, line-buffered on stdout (src/probes/path/parse.ts reads it):
 *   pathprobe-start target=ADDR family=ipv4|ipv6 probes=N max_hops=H first_ttl=F timeout_ms=T deadline_ms=D port=P
 *   pathprobe-hop ttl=T addr=ADDR rtt_us=R1,R2,... kind=KIND probes=N     one line per address answering at T
 *   pathprobe-hop ttl=T addr=* rtt_us=- kind=none probes=N                no answer at T
 *   pathprobe-done reached=0|1 hops=T reason=REASON sent=S answered=A late=L kernel_stamps=K elapsed_us=E
 * KIND: time-exceeded, port-unreachable, reply, net-unreachable, host-unreachable, admin-prohibited,
 * unreachable (another destination-unreachable code), too-big, other (another ICMP error), local-error (the
 * host itself refused to send: no route). REASON: reached, unreachable, max-hops, deadline, signal,
 * stdin-closed, local-error. rtt_us are in the order the probes were sent, integer microseconds: the kernel's
 * receive stamp of the answer (SO_TIMESTAMPNS) minus CLOCK_REALTIME read just before the send, or
 * CLOCK_MONOTONIC at the read minus at the send where no kernel stamp came (kernel_stamps counts the former).
 * Exit 0 after a run (reached or not), 1 on bad usage or setup failure with a message on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROBES 10
#define MAX_HOPS 64

enum kind {
  K_NONE, K_TIME_EXCEEDED, K_PORT_UNREACH, K_REPLY, K_NET_UNREACH, K_HOST_UNREACH, K_ADMIN, K_UNREACH,
  K_TOO_BIG, K_OTHER, K_LOCAL
};
static const char *kind_name[] = { "none", "time-exceeded", "port-unreachable", "reply", "net-unreachable",
  "host-unreachable", "admin-prohibited", "unreachable", "too-big", "other", "local-error" };

typedef struct {
  int ttl;
  int64_t tx_mono_ns, tx_real_ns;
  int answered;
  enum kind kind;
  char from[INET6_ADDRSTRLEN];
  int64_t rtt_ns;
} probe_t;

static probe_t probes[MAX_HOPS * MAX_PROBES];
static volatile sig_atomic_t got_signal;
static int family, fd, watch_stdin;
static int nprobes = 3, max_hops = 16, first_ttl = 1, timeout_ms = 1000, deadline_ms = 30000, base_port = 33434;
static struct sockaddr_storage target;
static socklen_t target_len;
static char target_text[INET6_ADDRSTRLEN];
static int sent, answered, late, kernel_stamps, stdin_closed;

static void on_signal(int s) { (void)s; got_signal = 1; }

static void fail(const char *fmt, const char *arg) {
  fprintf(stderr, "pathprobe: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(1);
}

static int64_t now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int int_arg(const char *name, const char *v, int lo, int hi) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno != 0 || *v == 0 || *end != 0 || x < lo || x > hi) {
    fprintf(stderr, "pathprobe: %s %s: expected an integer %d..%d\n", name, v, lo, hi);
    exit(1);
  }
  return (int)x;
}

static void parse_args(int argc, char **argv) {
  const char *t = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] == '-' && a[1] == '-') {
      if (i + 1 >= argc) fail("%s needs a value", a);
      const char *v = argv[++i];
      if (strcmp(a, "--probes") == 0) nprobes = int_arg(a, v, 1, MAX_PROBES);
      else if (strcmp(a, "--max-hops") == 0) max_hops = int_arg(a, v, 1, MAX_HOPS);
      else if (strcmp(a, "--first-ttl") == 0) first_ttl = int_arg(a, v, 1, MAX_HOPS);
      else if (strcmp(a, "--timeout-ms") == 0) timeout_ms = int_arg(a, v, 1, 60000);
      else if (strcmp(a, "--deadline-ms") == 0) deadline_ms = int_arg(a, v, 1, 600000);
      else if (strcmp(a, "--port") == 0) base_port = int_arg(a, v, 1, 65535);
      else fail("unknown option %s", a);
    } else if (t == NULL) {
      t = a;
    } else {
      fail("unexpected argument %s (one target)", a);
    }
  }
  if (t == NULL) {
    fprintf(stderr, "usage: pathprobe [--probes N] [--max-hops H] [--first-ttl F] [--timeout-ms T] "
                    "[--deadline-ms D] [--port P] TARGET\n");
    exit(1);
  }
  if (first_ttl > max_hops) fail("--first-ttl is above --max-hops (%s)", "");
  if (base_port + max_hops * nprobes - 1 > 65535) fail("--port leaves too few ports for max-hops x probes (%s)", "");
  memset(&target, 0, sizeof target);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&target;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&target;
  const void *a;
  if (inet_pton(AF_INET, t, &v4->sin_addr) == 1) {
    family = AF_INET;
    v4->sin_family = AF_INET;
    target_len = sizeof *v4;
    a = &v4->sin_addr;
  } else if (inet_pton(AF_INET6, t, &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    target_len = sizeof *v6;
    a = &v6->sin6_addr;
  } else {
    fail("target %s is not an IPv4 or IPv6 literal", t);
    return;
  }
  inet_ntop(family, a, target_text, sizeof target_text);
}

static void setup_socket(void) {
  fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) fail("socket: %s", strerror(errno));
  int one = 1;
  if (family == AF_INET ? setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof one)
                        : setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof one))
    fail("IP_RECVERR: %s", strerror(errno));
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one)) fail("SO_TIMESTAMPNS: %s", strerror(errno));
  /* A fixed source port for the run (the kernel matches a quoted probe to this socket by it). */
  struct sockaddr_storage any = { .ss_family = (sa_family_t)family };
  if (bind(fd, (struct sockaddr *)&any, family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
    fail("bind: %s", strerror(errno));
}

static void set_ttl(int ttl) {
  if (family == AF_INET ? setsockopt(fd, SOL_IP, IP_TTL, &ttl, sizeof ttl)
                        : setsockopt(fd, SOL_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl))
    fail("setting the TTL: %s", strerror(errno));
}

static void addr_text(const struct sockaddr *sa, char *out) {
  strcpy(out, "*");
  if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
}

static enum kind classify(const struct sock_extended_err *ee) {
  if (ee->ee_origin == SO_EE_ORIGIN_ICMP) {
    if (ee->ee_type == ICMP_TIME_EXCEEDED && ee->ee_code == ICMP_EXC_TTL) return K_TIME_EXCEEDED;
    if (ee->ee_type != ICMP_DEST_UNREACH) return K_OTHER;
    switch (ee->ee_code) {
      case ICMP_PORT_UNREACH: return K_PORT_UNREACH;
      case ICMP_NET_UNREACH: case ICMP_NET_UNKNOWN: case ICMP_NET_ANO: case ICMP_NET_UNR_TOS: return K_NET_UNREACH;
      case ICMP_HOST_UNREACH: case ICMP_HOST_UNKNOWN: case ICMP_HOST_ANO: case ICMP_HOST_UNR_TOS: return K_HOST_UNREACH;
      case ICMP_PKT_FILTERED: return K_ADMIN;
      case ICMP_FRAG_NEEDED: return K_TOO_BIG;
      default: return K_UNREACH;
    }
  }
  if (ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
    if (ee->ee_type == ICMP6_TIME_EXCEEDED && ee->ee_code == ICMP6_TIME_EXCEED_TRANSIT) return K_TIME_EXCEEDED;
    if (ee->ee_type == ICMP6_PACKET_TOO_BIG) return K_TOO_BIG;
    if (ee->ee_type != ICMP6_DST_UNREACH) return K_OTHER;
    switch (ee->ee_code) {
      case ICMP6_DST_UNREACH_NOPORT: return K_PORT_UNREACH;
      case ICMP6_DST_UNREACH_NOROUTE: return K_NET_UNREACH;
      case ICMP6_DST_UNREACH_ADDR: return K_HOST_UNREACH;
      case ICMP6_DST_UNREACH_ADMIN: return K_ADMIN;
      default: return K_UNREACH;
    }
  }
  return K_LOCAL;
}

static int port_of(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  if (sa->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  return -1;
}

/* Records an answer to the probe sent to `port`, if that is a probe of the TTL being probed. */
static void take(int port, int cur_ttl, enum kind k, const char *from, int64_t kstamp_real_ns) {
  int idx = port - base_port;
  if (port < 0 || idx < 0 || idx >= sent) return;
  probe_t *p = &probes[idx];
  if (p->answered) return;
  if (p->ttl != cur_ttl) { late++; return; }
  int64_t rtt = -1;
  if (kstamp_real_ns > 0) {
    rtt = kstamp_real_ns - p->tx_real_ns;
    int64_t upper = now_ns(CLOCK_MONOTONIC) - p->tx_mono_ns;
    if (rtt < 0 || rtt > upper) rtt = -1; /* a realtime step between send and receive */
  }
  if (rtt >= 0) kernel_stamps++;
  else rtt = now_ns(CLOCK_MONOTONIC) - p->tx_mono_ns;
  p->answered = 1;
  p->kind = k;
  p->rtt_ns = rtt;
  snprintf(p->from, sizeof p->from, "%s", from);
  answered++;
}

static int64_t stamp_of(struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec t;
      memcpy(&t, CMSG_DATA(c), sizeof t);
      return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
    }
  }
  return 0;
}

/* Reads every queued error and reply without blocking. */
static void drain(int cur_ttl) {
  unsigned char data[512], ctl[512];
  for (int pass = 0; pass < 2; pass++) {
    for (int guard = 0; guard < 4 * MAX_PROBES * MAX_HOPS; guard++) {
      struct sockaddr_storage name;
      struct iovec iov = { data, sizeof data };
      struct msghdr m = { .msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl, .msg_controllen = sizeof ctl };
      memset(&name, 0, sizeof name);
      ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT | (pass == 0 ? MSG_ERRQUEUE : 0));
      if (r < 0) {
        if (errno == EINTR) continue;
        break; /* EAGAIN: nothing more; a pending error on the plain read is picked up by pass 0 next time */
      }
      int64_t ks = stamp_of(&m);
      char from[INET6_ADDRSTRLEN];
      if (pass == 1) { /* a UDP reply: from the target, from a probe's port */
        addr_text((struct sockaddr *)&name, from);
        if (strcmp(from, target_text) == 0) take(port_of(&name), cur_ttl, K_REPLY, from, ks);
        continue;
      }
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
              (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))) continue;
        const struct sock_extended_err *ee = (const struct sock_extended_err *)CMSG_DATA(c);
        enum kind k = classify(ee);
        if (k == K_LOCAL) strcpy(from, "*");
        else addr_text(SO_EE_OFFENDER(ee), from);
        take(port_of(&name), cur_ttl, k, from, ks);
      }
    }
  }
  int err;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len); /* clears the error IP_RECVERR also sets on the socket */
}

static int64_t start_mono;

/* Waits for socket events until `until_ns` (CLOCK_MONOTONIC); returns 0 on timeout, 1 on data, -1 to stop. */
static int wait_until(int64_t until_ns) {
  struct pollfd p[2] = { { .fd = fd, .events = POLLIN | POLLERR }, { .fd = 0, .events = POLLIN } };
  int64_t left = until_ns - now_ns(CLOCK_MONOTONIC);
  if (left <= 0) return 0;
  struct timespec ts = { .tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL };
  int r = ppoll(p, watch_stdin ? 2 : 1, &ts, NULL);
  if (got_signal) return -1;
  if (r < 0) return errno == EINTR ? 1 : -1;
  if (watch_stdin && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
    char b[256];
    ssize_t n = read(0, b, sizeof b);
    if (n <= 0 && !(n < 0 && errno == EINTR)) { stdin_closed = 1; return -1; }
  }
  return r > 0 && (p[0].revents != 0) ? 1 : 0;
}

/* Sends the probes of `ttl`; 0 when sent, else the errno of a send the host itself refused twice. */
static int send_hop(int ttl) {
  static unsigned char payload[32] = "vmmi-pathprobe";
  set_ttl(ttl);
  for (int i = 0; i < nprobes; i++) {
    probe_t *p = &probes[sent];
    memset(p, 0, sizeof *p);
    p->ttl = ttl;
    struct sockaddr_storage dst = target;
    uint16_t port = htons((uint16_t)(base_port + sent));
    if (family == AF_INET) ((struct sockaddr_in *)&dst)->sin_port = port;
    else ((struct sockaddr_in6 *)&dst)->sin6_port = port;
    memcpy(payload + 16, &sent, sizeof sent);
    int tries = 0;
    for (;;) {
      p->tx_real_ns = now_ns(CLOCK_REALTIME);
      p->tx_mono_ns = now_ns(CLOCK_MONOTONIC);
      if (sendto(fd, payload, sizeof payload, 0, (struct sockaddr *)&dst, target_len) >= 0) break;
      int e = errno;
      if (e == EINTR) continue;
      /* An error of an earlier probe's ICMP answer is reported once on the next send: clear it, retry. */
      int err;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (++tries < 2) continue;
      p->answered = 1;
      p->kind = K_LOCAL;
      strcpy(p->from, "*");
      sent++;
      return e;
    }
    sent++;
  }
  return 0;
}

/* The hop's lines: one per answering address (in order of the probes), or one `addr=*` line. */
static void print_hop(int ttl, int first) {
  int done[MAX_PROBES] = { 0 }, any = 0;
  for (int i = 0; i < nprobes && first + i < sent; i++) {
    probe_t *p = &probes[first + i];
    if (!p->answered || done[i] || p->kind == K_LOCAL) continue;
    any = 1;
    printf("pathprobe-hop ttl=%d addr=%s rtt_us=", ttl, p->from);
    int n = 0;
    for (int j = i; j < nprobes && first + j < sent; j++) {
      probe_t *q = &probes[first + j];
      if (!q->answered || done[j] || q->kind == K_LOCAL || strcmp(q->from, p->from) != 0) continue;
      done[j] = 1;
      printf("%s%lld", n++ ? "," : "", (long long)((q->rtt_ns + 500) / 1000));
    }
    printf(" kind=%s probes=%d\n", kind_name[p->kind], nprobes);
  }
  for (int i = 0; i < nprobes && first + i < sent; i++) {
    if (probes[first + i].kind == K_LOCAL) {
      printf("pathprobe-hop ttl=%d addr=* rtt_us=- kind=local-error probes=%d\n", ttl, nprobes);
      return;
    }
  }
  if (!any) printf("pathprobe-hop ttl=%d addr=* rtt_us=- kind=none probes=%d\n", ttl, nprobes);
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  setup_socket();
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  struct stat st;
  watch_stdin = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  setvbuf(stdout, NULL, _IOLBF, 0);
  start_mono = now_ns(CLOCK_MONOTONIC);
  int64_t deadline = start_mono + (int64_t)deadline_ms * 1000000LL;
  printf("pathprobe-start target=%s family=%s probes=%d max_hops=%d first_ttl=%d timeout_ms=%d deadline_ms=%d "
         "port=%d\n", target_text, family == AF_INET ? "ipv4" : "ipv6", nprobes, max_hops, first_ttl, timeout_ms,
         deadline_ms, base_port);
  const char *reason = "max-hops";
  int reached = 0, last_ttl = first_ttl - 1;
  for (int ttl = first_ttl; ttl <= max_hops; ttl++) {
    if (got_signal) { reason = "signal"; break; }
    if (now_ns(CLOCK_MONOTONIC) >= deadline) { reason = "deadline"; break; }
    drain(ttl - 1);
    int first = sent;
    int err = send_hop(ttl);
    last_ttl = ttl;
    int64_t until = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000LL;
    if (until > deadline) until = deadline;
    int stop = 0;
    while (!err) {
      drain(ttl);
      int open = 0;
      for (int i = first; i < sent; i++) open += !probes[i].answered;
      if (open == 0) break;
      int w = wait_until(until);
      if (w < 0) { stop = 1; break; }
      if (w == 0 && now_ns(CLOCK_MONOTONIC) >= until) { drain(ttl); break; }
    }
    print_hop(ttl, first);
    if (err) { reason = "local-error"; break; }
    if (stop) { reason = stdin_closed ? "stdin-closed" : "signal"; break; }
    int end = 0;
    for (int i = first; i < sent; i++) {
      probe_t *p = &probes[i];
      if (!p->answered || p->kind == K_TIME_EXCEEDED) continue;
      if ((p->kind == K_PORT_UNREACH || p->kind == K_REPLY) && strcmp(p->from, target_text) == 0) reached = 1;
      end = 1;
    }
    if (reached) { reason = "reached"; break; }
    if (end) { reason = "unreachable"; break; }
    if (ttl == max_hops) break;
    if (now_ns(CLOCK_MONOTONIC) >= deadline) { reason = "deadline"; break; }
  }
  printf("pathprobe-done reached=%d hops=%d reason=%s sent=%d answered=%d late=%d kernel_stamps=%d elapsed_us=%lld\n",
         reached, last_ttl, reason, sent, answered, late, kernel_stamps,
         (long long)((now_ns(CLOCK_MONOTONIC) - start_mono) / 1000));
  close(fd);
  return 0;
}
