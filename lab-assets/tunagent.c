/*
 * tunagent: vmmi's "communication agent" for the tunnel strategy (userspace IP-in-UDP over tun;
 * the lab kernel has no ipip/GRE).
 *
 *   tunagent -i TUN -l LOCAL_ADDR -L LOCAL_PORT -r REMOTE_ADDR -R REMOTE_PORT -f FLOW_ID
 *            [-t MAX_SECONDS] [-m MTU] [-p PIDFILE] [-w]
 *
 * - Creates tun device TUN (IFF_TUN | IFF_NO_PI), sets its MTU (default 1400) and brings it up.
 *   Routes pointing at TUN (set by the controller) make the kernel hand IP packets to the agent.
 * - Each IPv4/IPv6 packet read from TUN is sent to REMOTE in one UDP datagram, prefixed with the
 *   16-byte control header (all fields big-endian; src/tunnel/header.ts is the reference):
 *     0  u32 magic 0x564d544e ("VMTN")
 *     4  u8  version (1)
 *     5  u8  flags (bit 0 KEEPALIVE: no inner packet; other bits reserved, sent 0, ignored)
 *     6  u16 header length in bytes (16; receivers skip what they do not know)
 *     8  u32 flow id (both agents of one tunnel use the same id; others are dropped)
 *    12  u32 sequence number (per sender, starts at 0, +1 per datagram, wraps)
 *   followed by the inner IP packet.
 * - Datagrams from REMOTE with the right magic, version and flow are decapsulated onto TUN; the
 *   kernel then forwards the inner packet by its routing table. Everything else is dropped and counted.
 * - Bounded: exits after MAX_SECONDS (default 3600), on SIGTERM/SIGINT, and with -w when stdin
 *   reaches EOF (its controller went away). SIGUSR1 prints the counters without exiting.
 * Output (stdout, line-buffered): `tunagent-ready tun=... mtu=...` once set up, then
 * `tunagent-counters key=value ...` on SIGUSR1 and at exit. Exit status 0, or 1 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x564d544eu
#define VERSION 1
#define HDR 16
#define F_KEEPALIVE 0x01
#define BUF 65600

static volatile sig_atomic_t stop_flag, dump_flag;
static void on_stop(int s) { (void)s; stop_flag = 1; }
static void on_dump(int s) { (void)s; dump_flag = 1; }

static struct {
  unsigned long long rx_tun, tx_udp, rx_udp, tx_tun, v4_out, v6_out, v4_in, v6_in, bytes_out, bytes_in,
      drop_short, drop_magic, drop_version, drop_flow, drop_peer, drop_inner, keepalive, seq_gap,
      seq_back, err_send, err_write, err_tun_read;
} c;

static const char *tun_name;
static unsigned flow_id;

static void print_counters(const char *why) {
  printf("tunagent-counters why=%s tun=%s flow=%u rx_tun=%llu tx_udp=%llu rx_udp=%llu tx_tun=%llu "
         "v4_out=%llu v6_out=%llu v4_in=%llu v6_in=%llu bytes_out=%llu bytes_in=%llu drop_short=%llu "
         "drop_magic=%llu drop_version=%llu drop_flow=%llu drop_peer=%llu drop_inner=%llu keepalive=%llu "
         "seq_gap=%llu seq_back=%llu err_send=%llu err_write=%llu err_tun_read=%llu\n",
         why, tun_name, flow_id, c.rx_tun, c.tx_udp, c.rx_udp, c.tx_tun, c.v4_out, c.v6_out, c.v4_in,
         c.v6_in, c.bytes_out, c.bytes_in, c.drop_short, c.drop_magic, c.drop_version, c.drop_flow,
         c.drop_peer, c.drop_inner, c.keepalive, c.seq_gap, c.seq_back, c.err_send, c.err_write,
         c.err_tun_read);
}

static int die(const char *what) {
  fprintf(stderr, "tunagent: %s: %s\n", what, strerror(errno));
  return 1;
}

/* Parses ADDR (v4 or v6) and PORT into a sockaddr_storage; returns the length or 0. */
static socklen_t parse_addr(const char *addr, const char *port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  long p = strtol(port, NULL, 10);
  if (p <= 0 || p > 65535) return 0;
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)p);
    return sizeof *a4;
  }
  if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)p);
    return sizeof *a6;
  }
  return 0;
}

static int same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && x->sin6_port == y->sin6_port;
}

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (unsigned char)v; }
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int open_tun(const char *name, int mtu) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { close(fd); return -1; }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) { close(fd); return -1; }
  ifr.ifr_mtu = mtu;
  int ok = ioctl(s, SIOCSIFMTU, &ifr) == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  close(s);
  if (!ok) { close(fd); return -1; }
  return fd;
}

static unsigned char buf[BUF];

int main(int argc, char **argv) {
  const char *laddr = NULL, *lport = NULL, *raddr = NULL, *rport = NULL, *pidfile = NULL;
  long max_s = 3600, mtu = 1400;
  int watch_stdin = 0, opt;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while ((opt = getopt(argc, argv, "i:l:L:r:R:f:t:m:p:w")) != -1) {
    switch (opt) {
      case 'i': tun_name = optarg; break;
      case 'l': laddr = optarg; break;
      case 'L': lport = optarg; break;
      case 'r': raddr = optarg; break;
      case 'R': rport = optarg; break;
      case 'f': flow_id = (unsigned)strtoul(optarg, NULL, 0); break;
      case 't': max_s = strtol(optarg, NULL, 10); break;
      case 'm': mtu = strtol(optarg, NULL, 10); break;
      case 'p': pidfile = optarg; break;
      case 'w': watch_stdin = 1; break;
      default: goto usage;
    }
  }
  if (!tun_name || !laddr || !lport || !raddr || !rport || strlen(tun_name) >= IFNAMSIZ || max_s <= 0 ||
      mtu < 576 || mtu > 65000) {
  usage:
    fprintf(stderr, "usage: tunagent -i TUN -l LOCAL_ADDR -L LOCAL_PORT -r REMOTE_ADDR -R REMOTE_PORT -f FLOW "
                    "[-t MAX_SECONDS] [-m MTU] [-p PIDFILE] [-w]\n");
    return 2;
  }
  struct sockaddr_storage local, remote, from;
  socklen_t llen = parse_addr(laddr, lport, &local), rlen = parse_addr(raddr, rport, &remote);
  if (!llen || !rlen || local.ss_family != remote.ss_family) {
    fprintf(stderr, "tunagent: bad local/remote address or port (same family required)\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_dump;
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int tun = open_tun(tun_name, (int)mtu);
  if (tun < 0) return die("tun setup (root and /dev/net/tun needed; name in use?)");
  int us = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (us < 0) return die("udp socket");
  int on = 1;
  setsockopt(us, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(us, (struct sockaddr *)&local, llen) < 0) return die("bind local address");
  if (pidfile) {
    FILE *f = fopen(pidfile, "w");
    if (!f) return die("pid file");
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
  }
  printf("tunagent-ready tun=%s mtu=%ld flow=%u local=%s:%s remote=%s:%s\n", tun_name, mtu, flow_id, laddr, lport,
         raddr, rport);

  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  time_t end = ts.tv_sec + max_s;
  uint32_t tx_seq = 0, rx_next = 0;
  int rx_started = 0;
  struct pollfd pf[3] = {{tun, POLLIN, 0}, {us, POLLIN, 0}, {0, POLLIN, 0}};
  nfds_t nfds = watch_stdin ? 3 : 2;
  const char *why = "stopped";
  while (!stop_flag) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec >= end) { why = "max-seconds"; break; }
    if (dump_flag) { dump_flag = 0; print_counters("dump"); }
    int n = poll(pf, nfds, 100);
    if (n < 0) { if (errno == EINTR) continue; why = "poll-error"; break; }
    if (stop_flag) break; /* a signal racing with stdin EOF: report the signal */
    if (nfds == 3 && (pf[2].revents & (POLLIN | POLLHUP))) {
      char tmp[64];
      ssize_t r = read(0, tmp, sizeof tmp);
      if (r <= 0) { why = "stdin-closed"; break; }
    }
    if (pf[0].revents & POLLIN) {
      ssize_t r = read(tun, buf + HDR, BUF - HDR);
      if (r < 0) { if (errno != EAGAIN && errno != EINTR) c.err_tun_read++; }
      else if (r > 0) {
        c.rx_tun++;
        unsigned ver = buf[HDR] >> 4;
        if (ver != 4 && ver != 6) { c.drop_inner++; }
        else {
          put32(buf, MAGIC);
          buf[4] = VERSION; buf[5] = 0; buf[6] = 0; buf[7] = HDR;
          put32(buf + 8, flow_id);
          put32(buf + 12, tx_seq++);
          if (sendto(us, buf, (size_t)r + HDR, 0, (struct sockaddr *)&remote, rlen) < 0) c.err_send++;
          else { c.tx_udp++; c.bytes_out += (unsigned long long)r; if (ver == 4) c.v4_out++; else c.v6_out++; }
        }
      }
    }
    if (pf[1].revents & POLLIN) {
      socklen_t fl = sizeof from;
      ssize_t r = recvfrom(us, buf, BUF, 0, (struct sockaddr *)&from, &fl);
      if (r < 0) continue;
      c.rx_udp++;
      if (!same_peer(&from, &remote)) { c.drop_peer++; continue; }
      if (r < 8) { c.drop_short++; continue; }
      if (get32(buf) != MAGIC) { c.drop_magic++; continue; }
      unsigned hl = (unsigned)buf[6] << 8 | buf[7];
      if (buf[4] != VERSION || hl < HDR) { c.drop_version++; continue; }
      if (r < (ssize_t)hl) { c.drop_short++; continue; }
      if (get32(buf + 8) != flow_id) { c.drop_flow++; continue; }
      uint32_t seq = get32(buf + 12);
      if (rx_started && seq != rx_next) {
        if ((int32_t)(seq - rx_next) > 0) c.seq_gap += seq - rx_next; else c.seq_back++;
      }
      if (!rx_started || (int32_t)(seq - rx_next) >= 0) rx_next = seq + 1;
      rx_started = 1;
      if (buf[5] & F_KEEPALIVE) { c.keepalive++; continue; }
      size_t inner = (size_t)r - hl;
      unsigned ver = inner > 0 ? buf[hl] >> 4 : 0;
      if ((ver == 4 && inner < 20) || (ver == 6 && inner < 40) || (ver != 4 && ver != 6)) { c.drop_inner++; continue; }
      if (write(tun, buf + hl, inner) < 0) { c.err_write++; continue; }
      c.tx_tun++;
      c.bytes_in += inner;
      if (ver == 4) c.v4_in++; else c.v6_in++;
    }
  }
  print_counters(why);
  if (pidfile) unlink(pidfile);
  close(us);
  close(tun);
  return 0;
}
