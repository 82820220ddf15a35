/*
 * tunagent: vmmi's "communication agent" for the tunnel strategy: a userspace tunnel endpoint over tun
 * that encapsulates as a router would (the lab kernel has no ipip/GRE modules, but raw sockets still
 * send and receive IP protocols 4, 41 and 47).
 *
 *   tunagent -i TUN -l LOCAL_ADDR -r REMOTE_ADDR [-e ipip|gre|udp] [-L LOCAL_PORT -R REMOTE_PORT]
 *            [-f FLOW_ID] [-t MAX_SECONDS] [-m MTU] [-p PIDFILE] [-w]
 *
 * - Creates tun device TUN (IFF_TUN | IFF_NO_PI), sets its MTU (default 1400) and brings it up.
 *   Routes pointing at TUN (set by the controller) make the kernel hand IP packets to the agent.
 * - LOCAL and REMOTE are the outer endpoints (one family). Each IPv4/IPv6 packet read from TUN is sent
 *   to REMOTE encapsulated as (-e, default ipip):
 *     ipip  IP-in-IP (RFC 2003 / RFC 4213): outer protocol / next header 4 for an inner IPv4 packet
 *           (4in4, 4in6), 41 for an inner IPv6 packet (6in4, 6in6); no further header.
 *     gre   GRE (RFC 2784): outer protocol / next header 47, a 4-byte GRE header (no checksum, key or
 *           sequence number; version 0) with protocol type 0x0800 (IPv4) or 0x86DD (IPv6).
 *     udp   one UDP datagram from LOCAL_PORT to REMOTE_PORT, the inner packet prefixed with the 16-byte
 *           control header (all fields big-endian; src/tunnel/header.ts is the reference):
 *             0  u32 magic 0x564d544e ("VMTN")
 *             4  u8  version (1)
 *             5  u8  flags (bit 0 KEEPALIVE: no inner packet; other bits reserved, sent 0, ignored)
 *             6  u16 header length in bytes (16; receivers skip what they do not know)
 *             8  u32 flow id (both agents of one tunnel use the same id; others are dropped)
 *            12  u32 sequence number (per sender, starts at 0, +1 per datagram, wraps)
 *   ipip and gre are sent on raw sockets (the kernel writes the outer IP header); -L/-R/-f only serve udp.
 * - Received: only packets whose outer source is REMOTE (and, for udp, its port) are accepted, on
 *   sockets bound to LOCAL. An AF_INET raw socket hands over the outer IPv4 header too (skipped by its
 *   IHL); AF_INET6 raw sockets do not. GRE: version 0 only, bits 1 (R), 4 and 5 must be 0 (RFC 2784
 *   section 2.3; RFC 1701 routing is not implemented; bits 6-12 are ignored), the optional checksum (verified), key and
 *   sequence number fields (RFC 2890) are parsed and skipped, but a keyed packet belongs to a keyed
 *   tunnel, not this keyless one, and is dropped. The inner packet must match what carried it (IPv4
 *   under protocol 4 or type 0x0800, IPv6 under 41 or 0x86DD) and is written to TUN; the kernel then
 *   forwards it by its routing table. Everything else is dropped and counted by reason.
 * - MTU: the outer packet is the inner one plus 20 (IPv4) or 40 (IPv6) bytes, +4 for gre, +8+16 for
 *   udp; the default 1400 leaves room for the largest (64) on a 1500-byte path. A larger outer packet
 *   is fragmented by the sending kernel.
 * - Keyless ipip/gre has no demultiplexer beyond the address pair: one tunnel per LOCAL/REMOTE pair
 *   (the controller refuses a second one); udp tunnels are told apart by port and flow id.
 * - Bounded: exits after MAX_SECONDS (default 3600), on SIGTERM/SIGINT, and with -w when stdin
 *   reaches EOF (its controller went away). SIGUSR1 prints the counters without exiting.
 * Output (stdout, line-buffered): `tunagent-ready tun=... mtu=... encap=...` once set up, then
 * `tunagent-counters key=value ...` on SIGUSR1 and at exit. Exit status 0, 1 on a setup error, 2 on
 * bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
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
/* Room kept in front of an inner packet read from the tun: the largest header the agent prepends. */
#define ROOM HDR
#define GRE_C 0x8000u
#define GRE_R 0x4000u
#define GRE_K 0x2000u
#define GRE_S 0x1000u
#define GRE_SSR 0x0800u
#define GRE_BIT5 0x0400u /* bits 6-12 are reserved and ignored on receipt (RFC 2784) */
#define GRE_VER 0x0007u
#define ETH_IPV4 0x0800u
#define ETH_IPV6 0x86ddu

enum encap { E_IPIP, E_GRE, E_UDP };
static const char *const ENCAP_NAMES[] = {"ipip", "gre", "udp"};

static volatile sig_atomic_t stop_flag, dump_flag;
static void on_stop(int s) { (void)s; stop_flag = 1; }
static void on_dump(int s) { (void)s; dump_flag = 1; }

static struct {
  unsigned long long rx_tun, tx_udp, rx_udp, tx_tun, v4_out, v6_out, v4_in, v6_in, bytes_out, bytes_in,
      drop_short, drop_magic, drop_version, drop_flow, drop_peer, drop_inner, keepalive, seq_gap,
      seq_back, err_send, err_write, err_tun_read, tx_ipip, rx_ipip, tx_gre, rx_gre, drop_gre_flags,
      drop_gre_key, drop_gre_csum, drop_gre_proto;
} c;

static const char *tun_name;
static unsigned flow_id;
static enum encap mode = E_IPIP;

static void print_counters(const char *why) {
  printf("tunagent-counters why=%s tun=%s flow=%u rx_tun=%llu tx_udp=%llu rx_udp=%llu tx_tun=%llu "
         "v4_out=%llu v6_out=%llu v4_in=%llu v6_in=%llu bytes_out=%llu bytes_in=%llu drop_short=%llu "
         "drop_magic=%llu drop_version=%llu drop_flow=%llu drop_peer=%llu drop_inner=%llu keepalive=%llu "
         "seq_gap=%llu seq_back=%llu err_send=%llu err_write=%llu err_tun_read=%llu encap=%s tx_ipip=%llu "
         "rx_ipip=%llu tx_gre=%llu rx_gre=%llu drop_gre_flags=%llu drop_gre_key=%llu drop_gre_csum=%llu "
         "drop_gre_proto=%llu\n",
         why, tun_name, flow_id, c.rx_tun, c.tx_udp, c.rx_udp, c.tx_tun, c.v4_out, c.v6_out, c.v4_in,
         c.v6_in, c.bytes_out, c.bytes_in, c.drop_short, c.drop_magic, c.drop_version, c.drop_flow,
         c.drop_peer, c.drop_inner, c.keepalive, c.seq_gap, c.seq_back, c.err_send, c.err_write,
         c.err_tun_read, ENCAP_NAMES[mode], c.tx_ipip, c.rx_ipip, c.tx_gre, c.rx_gre, c.drop_gre_flags,
         c.drop_gre_key, c.drop_gre_csum, c.drop_gre_proto);
}

static int die(const char *what) {
  fprintf(stderr, "tunagent: %s: %s\n", what, strerror(errno));
  return 1;
}

/* Parses ADDR (v4 or v6) and PORT (NULL: 0, as raw sockets want) into a sockaddr_storage; 0 on error. */
static socklen_t parse_addr(const char *addr, const char *port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  long p = 0;
  if (port != NULL) {
    char *end;
    p = strtol(port, &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535) return 0;
  }
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

/* Same address (and, with_port, the same port). */
static int same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int with_port) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_addr.s_addr == y->sin_addr.s_addr && (!with_port || x->sin_port == y->sin_port);
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && (!with_port || x->sin6_port == y->sin6_port);
}

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (unsigned char)v; }
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Internet checksum over p[0..n): 0 when a packet carrying its own checksum is intact. */
static uint16_t csum(const unsigned char *p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
  if (n & 1) s += (uint32_t)p[n - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

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

/* Writes a decapsulated packet of version ver (checked against what carried it: want) to the tun. */
static void deliver(int tun, const unsigned char *p, size_t n, unsigned want) {
  unsigned ver = n > 0 ? p[0] >> 4 : 0;
  if (ver != want || (ver == 4 && n < 20) || (ver == 6 && n < 40)) { c.drop_inner++; return; }
  if (write(tun, p, n) < 0) { c.err_write++; return; }
  c.tx_tun++;
  c.bytes_in += n;
  if (ver == 4) c.v4_in++; else c.v6_in++;
}

/*
 * One packet from a raw socket of protocol proto (4, 41 or 47). AF_INET raw sockets return the outer
 * IPv4 header as well; its IHL says where the payload starts.
 */
static void from_raw(int tun, unsigned char *p, size_t n, int family, int proto) {
  if (family == AF_INET) {
    if (n < 20) { c.drop_short++; return; }
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (p[0] >> 4 != 4 || ihl < 20 || n < ihl) { c.drop_short++; return; }
    p += ihl;
    n -= ihl;
  }
  if (proto != IPPROTO_GRE) {
    deliver(tun, p, n, proto == IPPROTO_IPIP ? 4 : 6);
    return;
  }
  if (n < 4) { c.drop_short++; return; }
  unsigned flags = (unsigned)p[0] << 8 | p[1], ptype = (unsigned)p[2] << 8 | p[3];
  if (flags & (GRE_R | GRE_SSR | GRE_BIT5 | GRE_VER)) { c.drop_gre_flags++; return; }
  size_t hl = 4 + (flags & GRE_C ? 4 : 0) + (flags & GRE_K ? 4 : 0) + (flags & GRE_S ? 4 : 0);
  if (n < hl) { c.drop_short++; return; }
  if ((flags & GRE_C) && csum(p, n) != 0) { c.drop_gre_csum++; return; }
  if (flags & GRE_K) { c.drop_gre_key++; return; }
  if (ptype != ETH_IPV4 && ptype != ETH_IPV6) { c.drop_gre_proto++; return; }
  deliver(tun, p + hl, n - hl, ptype == ETH_IPV4 ? 4 : 6);
}

/* One datagram of the udp encapsulation (already checked to come from REMOTE's address and port). */
static void from_udp(int tun, const unsigned char *p, size_t r, uint32_t *rx_next, int *rx_started) {
  if (r < 8) { c.drop_short++; return; }
  if (get32(p) != MAGIC) { c.drop_magic++; return; }
  unsigned hl = (unsigned)p[6] << 8 | p[7];
  if (p[4] != VERSION || hl < HDR) { c.drop_version++; return; }
  if (r < hl) { c.drop_short++; return; }
  if (get32(p + 8) != flow_id) { c.drop_flow++; return; }
  uint32_t seq = get32(p + 12);
  if (*rx_started && seq != *rx_next) {
    if ((int32_t)(seq - *rx_next) > 0) c.seq_gap += seq - *rx_next; else c.seq_back++;
  }
  if (!*rx_started || (int32_t)(seq - *rx_next) >= 0) *rx_next = seq + 1;
  *rx_started = 1;
  if (p[5] & F_KEEPALIVE) { c.keepalive++; return; }
  size_t inner = r - hl;
  unsigned ver = inner > 0 ? p[hl] >> 4 : 0;
  if (ver != 4 && ver != 6) { c.drop_inner++; return; }
  deliver(tun, p + hl, inner, ver);
}

static unsigned char buf[BUF];

int main(int argc, char **argv) {
  const char *laddr = NULL, *lport = NULL, *raddr = NULL, *rport = NULL, *pidfile = NULL, *encap = "ipip";
  long max_s = 3600, mtu = 1400;
  int watch_stdin = 0, opt;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while ((opt = getopt(argc, argv, "i:l:L:r:R:f:t:m:p:we:")) != -1) {
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
      case 'e': encap = optarg; break;
      default: goto usage;
    }
  }
  if (strcmp(encap, "ipip") == 0) mode = E_IPIP;
  else if (strcmp(encap, "gre") == 0) mode = E_GRE;
  else if (strcmp(encap, "udp") == 0) mode = E_UDP;
  else {
    fprintf(stderr, "tunagent: unknown encapsulation \"%s\" (-e ipip, gre or udp)\n", encap);
    return 2;
  }
  if (!tun_name || !laddr || !raddr || (mode == E_UDP && (!lport || !rport)) || strlen(tun_name) >= IFNAMSIZ ||
      max_s <= 0 || mtu < 576 || mtu > 65000) {
  usage:
    fprintf(stderr, "usage: tunagent -i TUN -l LOCAL_ADDR -r REMOTE_ADDR [-e ipip|gre|udp] "
                    "[-L LOCAL_PORT -R REMOTE_PORT (udp)] [-f FLOW (udp)] [-t MAX_SECONDS] [-m MTU] [-p PIDFILE] [-w]\n");
    return 2;
  }
  const int udp = mode == E_UDP;
  struct sockaddr_storage local, remote, from;
  socklen_t llen = parse_addr(laddr, udp ? lport : NULL, &local), rlen = parse_addr(raddr, udp ? rport : NULL, &remote);
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
  /*
   * Outer sockets: udp one datagram socket; ipip one raw socket per inner family (protocol 4 carries
   * IPv4, 41 IPv6, for either outer family); gre one raw socket of protocol 47. Index 0 carries inner
   * IPv4, index 1 inner IPv6 (the same socket twice for udp and gre).
   */
  int fam = local.ss_family, outer[2] = {-1, -1}, proto[2] = {0, 0}, nout = 1;
  if (mode == E_UDP) outer[0] = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  else if (mode == E_GRE) { outer[0] = socket(fam, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_GRE); proto[0] = IPPROTO_GRE; }
  else {
    outer[0] = socket(fam, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPIP);
    outer[1] = socket(fam, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPV6);
    proto[0] = IPPROTO_IPIP;
    proto[1] = IPPROTO_IPV6;
    nout = 2;
    if (outer[1] < 0) return die("raw socket (protocol 41; root or CAP_NET_RAW needed)");
  }
  if (outer[0] < 0) return die(udp ? "udp socket" : "raw socket (root or CAP_NET_RAW needed)");
  if (nout == 1) { outer[1] = outer[0]; proto[1] = proto[0]; }
  for (int i = 0; i < nout; i++) {
    int on = 1;
    if (udp) setsockopt(outer[i], SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    int rcv = 1 << 20;
    setsockopt(outer[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    /* Bound to LOCAL: raw sockets then only see packets addressed to it, and send from it. */
    if (bind(outer[i], (struct sockaddr *)&local, llen) < 0) return die("bind local address");
  }
  if (pidfile) {
    FILE *f = fopen(pidfile, "w");
    if (!f) return die("pid file");
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
  }
  if (udp)
    printf("tunagent-ready tun=%s mtu=%ld flow=%u encap=udp local=%s:%s remote=%s:%s\n", tun_name, mtu, flow_id,
           laddr, lport, raddr, rport);
  else
    printf("tunagent-ready tun=%s mtu=%ld flow=%u encap=%s local=%s remote=%s\n", tun_name, mtu, flow_id, encap,
           laddr, raddr);

  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  time_t end = ts.tv_sec + max_s;
  uint32_t tx_seq = 0, rx_next = 0;
  int rx_started = 0;
  /* pf: tun, the outer socket(s), then stdin when watched. */
  struct pollfd pf[4] = {{tun, POLLIN, 0}, {outer[0], POLLIN, 0}, {outer[1], POLLIN, 0}, {0, POLLIN, 0}};
  int in_ix = 1 + nout;
  if (nout == 1) pf[2] = pf[3];
  nfds_t nfds = (nfds_t)(watch_stdin ? in_ix + 1 : in_ix);
  const char *why = "stopped";
  while (!stop_flag) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec >= end) { why = "max-seconds"; break; }
    if (dump_flag) { dump_flag = 0; print_counters("dump"); }
    int n = poll(pf, nfds, 100);
    if (n < 0) { if (errno == EINTR) continue; why = "poll-error"; break; }
    if (stop_flag) break; /* a signal racing with stdin EOF: report the signal */
    if (watch_stdin && (pf[in_ix].revents & (POLLIN | POLLHUP))) {
      char tmp[64];
      ssize_t r = read(0, tmp, sizeof tmp);
      if (r <= 0) { why = "stdin-closed"; break; }
    }
    if (pf[0].revents & POLLIN) {
      unsigned char *inner = buf + ROOM;
      ssize_t r = read(tun, inner, BUF - ROOM);
      if (r < 0) { if (errno != EAGAIN && errno != EINTR) c.err_tun_read++; }
      else if (r > 0) {
        c.rx_tun++;
        unsigned ver = inner[0] >> 4;
        if (ver != 4 && ver != 6) { c.drop_inner++; }
        else {
          unsigned char *out = inner;
          size_t len = (size_t)r;
          if (mode == E_UDP) {
            out = inner - HDR;
            put32(out, MAGIC);
            out[4] = VERSION; out[5] = 0; out[6] = 0; out[7] = HDR;
            put32(out + 8, flow_id);
            put32(out + 12, tx_seq++);
            len += HDR;
          } else if (mode == E_GRE) {
            out = inner - 4;
            unsigned t = ver == 4 ? ETH_IPV4 : ETH_IPV6;
            out[0] = 0; out[1] = 0; out[2] = (unsigned char)(t >> 8); out[3] = (unsigned char)t;
            len += 4;
          }
          if (sendto(outer[ver == 4 ? 0 : 1], out, len, 0, (struct sockaddr *)&remote, rlen) < 0) c.err_send++;
          else {
            if (mode == E_UDP) c.tx_udp++; else if (mode == E_GRE) c.tx_gre++; else c.tx_ipip++;
            c.bytes_out += (unsigned long long)r;
            if (ver == 4) c.v4_out++; else c.v6_out++;
          }
        }
      }
    }
    for (int i = 0; i < nout; i++) {
      if (!(pf[1 + i].revents & POLLIN)) continue;
      socklen_t fl = sizeof from;
      ssize_t r = recvfrom(outer[i], buf, BUF, 0, (struct sockaddr *)&from, &fl);
      if (r < 0) continue;
      if (udp) {
        c.rx_udp++;
        if (!same_peer(&from, &remote, 1)) { c.drop_peer++; continue; }
        from_udp(tun, buf, (size_t)r, &rx_next, &rx_started);
      } else {
        if (proto[i] == IPPROTO_GRE) c.rx_gre++; else c.rx_ipip++;
        if (!same_peer(&from, &remote, 0)) { c.drop_peer++; continue; }
        from_raw(tun, buf, (size_t)r, fam, proto[i]);
      }
    }
  }
  print_counters(why);
  if (pidfile) unlink(pidfile);
  for (int i = 0; i < nout; i++) close(outer[i]);
  close(tun);
  return 0;
}
