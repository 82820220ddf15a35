/*
 * floodcount: counts the flooding one Linux bridge segment carries, per port and direction, from one
 * AF_PACKET socket per bridge port (veths, taps, the VXLAN port), for src/probes/flood/.
 *
 *   floodcount --bridge BR --port NAME[,nolearn] [--port ...] [--fdb MAC=PORT|MAC=local ...]
 *              [--max-ms MS] [--dedup-ms MS] [--hold-ms MS] [--nl-rcvbuf BYTES]
 *
 * Run it in the bridge's network namespace (`ip netns exec NS floodcount ...`). Each socket is bound to
 * one port and sees both directions: `rx` is a frame the port hands to the bridge (ingress), `tx` one the
 * bridge sends out of the port (egress, PACKET_OUTGOING). Sockets are read in batches (recvmmsg, 64
 * frames a call) with a 16 MiB receive buffer each (SO_RCVBUFFORCE); what the kernel still drops is
 * reported per port (`drops`, PACKET_STATISTICS).
 *
 * Classes (a frame behind one 802.1Q/802.1ad tag is classified by its inner EtherType):
 * - ARP: EtherType 0x0806 to ff:ff:ff:ff:ff:ff, request (op 1) or reply (op 2). Gratuitous ARP (sender
 *   IP = target IP, not 0.0.0.0; both the request and the reply form) is counted in `arpGratuitous`
 *   AND in its request/reply counter. RARP (0x8035, QEMU's self-announce) is its own counter `rarp`.
 * - ND: ICMPv6 RS/RA/NS/NA (133-136) to a multicast destination MAC (33:33:...), after skipping
 *   hop-by-hop/routing/destination-options headers. Unicast ND is not ND flooding (it is unicast).
 * - Unknown unicast: a unicast frame the bridge flooded because it did not know the destination.
 *
 * FDB mirror (the bridge's view of where each MAC lives), kept in step with the kernel:
 * - rtnetlink: the helper joins RTNLGRP_NEIGH first, then dumps the FDB (RTM_GETNEIGH, AF_BRIDGE,
 *   NLM_F_DUMP) on the same socket, so every change after the subscription reaches it either in the dump
 *   or as an event queued behind it (one socket keeps the kernel's order). It applies RTM_NEWNEIGH and
 *   RTM_DELNEIGH of family AF_BRIDGE whose NDA_MASTER is the bridge (without NDA_MASTER: not NTF_SELF and
 *   on the bridge or a watched port): learned, static, NTF_EXT_LEARNED (EVPN, zebra) entries alike. An
 *   entry on the bridge device itself or NUD_PERMANENT (the bridge's and its ports' own MACs, a
 *   `bridge fdb add` without `static`) is local: the bridge delivers to itself. An entry on a port the
 *   helper does not watch (added after the start) places the MAC there. Entries on the device's own
 *   table (`self`: a VXLAN device's remote list, multicast addresses) are not the bridge's view.
 *   The dump before the `hello` is authoritative: --fdb seeds it does not hold are dropped.
 * - ENOBUFS on the netlink socket means events were lost: counted in `netlinkOverruns`, and the FDB is
 *   dumped again (`fdbResyncs`); entries the new dump lacks are removed when it ends. Other netlink errors
 *   count in `netlinkErrors`.
 * - Learning: the source MAC of every ingress frame on a port with learning on (`,nolearn` mirrors
 *   `bridge link ... learning off`, as on the lab's VXLAN ports) moves the MAC there when the frame is
 *   stamped after the entry's last change (a frame the kernel learned from is also reported by rtnetlink,
 *   usually later; a local entry never moves). It keeps the order frame by frame within the hold.
 * - Order: netlink events carry no kernel timestamp. An event is applied when the helper reads it and is
 *   stamped with that instant (CLOCK_REALTIME, the frames' clock); the entry keeps the port it replaced.
 *   Frames still in the hold (up to --hold-ms plus one poll turn, stamped before the event was read) are
 *   judged as the kernel may have forwarded them: an egress copy on either the old or the new port is
 *   forwarded. Between the kernel's change and the read, the mirror cannot tell which of the two the
 *   bridge used, so a flood in that instant on a 2-port bridge (a deleted entry) can be missed; on
 *   >= 3 ports the copies rule below still catches it.
 *
 * Unknown-unicast method (two rules, either marks a frame as flooded):
 * 1. Mirror. An egress unicast copy on port P is forwarded when the mirror places its destination on P
 *    (or did until an event read after the frame's stamp, see Order); otherwise (no entry, local, or
 *    another port) the bridge flooded it, since it would have sent a known frame out of that port alone.
 * 2. Copies. The bridge forwards a known unicast frame out of exactly one port; a unicast frame seen
 *    egressing on two or more ports was flooded whatever the mirror says.
 *
 * Segment totals count each frame once, not once per port copy: copies of one frame (identical bytes and
 * length, FNV-1a 64 over up to the first 2048 bytes) seen within --dedup-ms (default 50) of its first copy
 * are one frame; a second copy on a port and direction already seen starts a new frame (a repeat, e.g.
 * arping's identical requests). Frames are processed in kernel timestamp order (SO_TIMESTAMPNS), after
 * a hold of --hold-ms (default 5) that lets the other sockets deliver earlier frames first, so a source
 * MAC is learned before the egress of a reply to it is judged.
 *
 * Limits: ports added to the bridge after start are not watched (a tap created during a run);
 * VLAN-filtering bridges are treated as one segment (one entry per MAC whatever its VLAN); frames the
 * kernel drops from a full socket buffer are not counted (`drops` says how many: then counts are lower
 * bounds); frames the bridge delivers only to itself (no port egress) are counted at their ingress only.
 *
 * Window: frames stamped from the `hello` instant (all sockets bound, first FDB dump read) to the end
 * instant are counted; frames before it still teach the mirror. Ends on stdin EOF, --max-ms (default
 * 600000), SIGTERM/SIGINT, printing the final counters. stdin line `dump` or SIGUSR1 prints the counters so
 * far (cumulative). --nl-rcvbuf sets the netlink socket's receive buffer (default 4 MiB).
 *
 * stdout: one JSON object per line: `hello`, then `counters` (reason `dump`, `usr1`, or the final one
 * with `final: true` and the reason the helper ended: `eof`, `lifetime`, `signal`). Times: `*MonoMs` on
 * CLOCK_MONOTONIC (the controller's process.hrtime clock on the same host). Errors: stderr, exit 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
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

#ifndef NTF_EXT_LEARNED
#define NTF_EXT_LEARNED 0x10
#endif

#define MAX_PORTS 64
#define SNAP 2048
#define BATCH 64
#define BATCHES_PER_TURN 16
#define PORT_RCVBUF (16 << 20)
#define PENDING_CAP 65536
#define GROUP_SLOTS 16384
#define GROUP_PROBE 32
#define MAC_SLOTS 65536
#define NL_BUF (256 << 10)
/* Where a MAC lives: a port index >= 0, or one of these. */
#define LOCAL_PORT (-1)
#define NO_PORT (-2)
#define ABSENT (-3)    /* entry removed (kept to remember the port it had) */
#define UNWATCHED (-4) /* a port of the bridge the helper has no socket on */

enum { C_OTHER, C_ARP_REQ, C_ARP_REPLY, C_RARP, C_RS, C_RA, C_NS, C_NA, C_UNICAST, C_MCAST };

typedef struct {
  uint64_t frames, unicast, arp_request, arp_reply, arp_gratuitous, rarp, nd_rs, nd_ra, nd_ns, nd_na,
      unknown_unicast;
} counts_t;

typedef struct {
  char name[IF_NAMESIZE];
  int ifindex, fd, learning;
  /* The port's device went away during the window (a VXLAN port detached by the control plane): its socket
   * is closed, what it counted until then is kept. */
  int gone;
  counts_t rx, tx;
  uint64_t drops;
} port_t;

typedef struct {
  int64_t ts_ns;
  uint64_t hash;
  int16_t port;
  uint8_t tx, cls, garp;
  uint8_t dst[6], src[6];
} rec_t;

typedef struct {
  uint64_t hash;
  int64_t ts_ns;
  uint64_t rxmask, txmask;
  uint8_t used, flooded;
} group_t;

typedef struct {
  uint64_t key;     /* MAC + 1 (0 = empty slot) */
  int port, prev;   /* where the MAC lives now, and before the last change */
  int64_t change_ns; /* CLOCK_REALTIME of the last change (frame stamp, or netlink read instant) */
  uint32_t gen;     /* FDB dump generation that last confirmed the entry */
} macent_t;

static port_t ports[MAX_PORTS];
static int nports;
static counts_t seg;
static rec_t *pending;
static size_t npending;
static group_t *groups;
static macent_t *macs;
static uint64_t learned, seeded, table_full, outside_window, pending_overflow, snapped;
static uint64_t fdb_events, fdb_dumped, fdb_resyncs, nl_errors, nl_overruns;
static int64_t dedup_ns = 50 * 1000000LL, hold_ns = 5 * 1000000LL;
static int64_t win_start_ns, win_end_ns = INT64_MAX;
static struct timespec mono_start;
static volatile sig_atomic_t got_term, got_usr1;
static int br_ifindex, nl_fd = -1, nl_rcvbuf = 4 << 20;
static uint32_t nl_seq, nl_gen, nl_portid;
static int dumping, redump;

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "floodcount: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(2);
}

static int64_t now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double mono_ms(void) {
  return (double)now_ns(CLOCK_MONOTONIC) / 1e6;
}

static void on_signal(int s) {
  if (s == SIGUSR1) got_usr1 = 1;
  else got_term = 1;
}

/* ---- MAC table (the mirror of the bridge's FDB) ---------------------------------------------------- */

static uint64_t mac_key(const uint8_t *m) {
  uint64_t k = 0;
  for (int i = 0; i < 6; i++) k = (k << 8) | m[i];
  return k + 1;
}

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

/* The entry of m, or with `create` a fresh one (port ABSENT); NULL when absent or the table is full.
 * Entries are never freed (a removed MAC stays ABSENT), so linear probing needs no tombstones. */
static macent_t *mac_entry(const uint8_t *m, int create) {
  uint64_t k = mac_key(m);
  for (size_t i = mix(k) & (MAC_SLOTS - 1), n = 0; n < MAC_SLOTS / 2; i = (i + 1) & (MAC_SLOTS - 1), n++) {
    if (macs[i].key == k) return &macs[i];
    if (macs[i].key == 0) {
      if (!create) return NULL;
      macs[i] = (macent_t){.key = k, .port = ABSENT, .prev = ABSENT, .change_ns = INT64_MIN, .gen = nl_gen};
      return &macs[i];
    }
  }
  if (create) table_full++;
  return NULL;
}

/* Places the MAC at `port` from instant `ts`; returns 1 when that changed where it lives. */
static int mac_place(macent_t *e, int port, int64_t ts) {
  e->gen = nl_gen;
  if (e->port == port) return 0;
  e->prev = e->port;
  e->port = port;
  e->change_ns = ts;
  return 1;
}

static int parse_mac(const char *s, uint8_t *m) {
  unsigned v[6];
  char tail;
  if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6) return 0;
  for (int i = 0; i < 6; i++) {
    if (v[i] > 255) return 0;
    m[i] = (uint8_t)v[i];
  }
  return 1;
}

static int port_by_name(const char *name) {
  for (int i = 0; i < nports; i++)
    if (strcmp(ports[i].name, name) == 0) return i;
  return NO_PORT;
}

static int port_by_ifindex(int ifindex) {
  for (int i = 0; i < nports; i++)
    if (ports[i].ifindex == ifindex) return i;
  return NO_PORT;
}

/* ---- rtnetlink: the kernel's FDB ------------------------------------------------------------------- */

static void nl_open(void) {
  nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl_fd < 0) die("socket(NETLINK_ROUTE) failed (%s)", strerror(errno));
  if (setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUFFORCE, &nl_rcvbuf, sizeof nl_rcvbuf) < 0)
    setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUF, &nl_rcvbuf, sizeof nl_rcvbuf);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(nl_fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("netlink bind failed (%s)", strerror(errno));
  socklen_t sl = sizeof sa;
  if (getsockname(nl_fd, (struct sockaddr *)&sa, &sl) < 0) die("netlink getsockname failed (%s)", strerror(errno));
  nl_portid = sa.nl_pid;
  int grp = RTNLGRP_NEIGH;
  if (setsockopt(nl_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof grp) < 0)
    die("joining RTNLGRP_NEIGH failed (%s)", strerror(errno));
  fcntl(nl_fd, F_SETFL, fcntl(nl_fd, F_GETFL) | O_NONBLOCK);
}

/* Starts a dump of every AF_BRIDGE FDB entry (filtered on receipt); one at a time per socket. */
static void nl_dump(void) {
  struct {
    struct nlmsghdr h;
    struct ndmsg n;
  } req = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)), .nlmsg_type = RTM_GETNEIGH,
                 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = ++nl_seq},
           .n = {.ndm_family = AF_BRIDGE}};
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(nl_fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
    nl_errors++;
    redump = 1; /* tried again at the next turn */
    return;
  }
  nl_gen++;
  dumping = 1;
  redump = 0;
}

/* The end of a dump: entries it did not confirm are gone from the kernel. */
static void nl_dump_done(int64_t now) {
  dumping = 0;
  for (size_t i = 0; i < MAC_SLOTS; i++)
    if (macs[i].key != 0 && macs[i].port != ABSENT && macs[i].gen != nl_gen) mac_place(&macs[i], ABSENT, now);
}

static void nl_neigh(const struct nlmsghdr *h, int from_dump, int64_t now) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndmsg))) return;
  const struct ndmsg *nd = NLMSG_DATA(h);
  if (nd->ndm_family != AF_BRIDGE) return;
  const uint8_t *lladdr = NULL;
  int master = 0, has_master = 0;
  int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *nd);
  for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof *nd)); RTA_OK(a, len);
       a = RTA_NEXT(a, len)) {
    if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) lladdr = RTA_DATA(a);
    else if (a->rta_type == NDA_MASTER && RTA_PAYLOAD(a) >= 4) {
      memcpy(&master, RTA_DATA(a), 4);
      has_master = 1;
    }
  }
  if (lladdr == NULL || (lladdr[0] & 1)) return; /* multicast entries are not where a unicast MAC lives */
  int port = port_by_ifindex(nd->ndm_ifindex);
  if (has_master) {
    if (master != br_ifindex) return;
  } else if ((nd->ndm_flags & NTF_SELF) || (nd->ndm_ifindex != br_ifindex && port == NO_PORT)) {
    return;
  }
  int where = nd->ndm_ifindex == br_ifindex || (nd->ndm_state & NUD_PERMANENT) ? LOCAL_PORT
              : port == NO_PORT                                                 ? UNWATCHED
                                                                                : port;
  if (from_dump) fdb_dumped++;
  else fdb_events++;
  if (h->nlmsg_type == RTM_DELNEIGH) {
    macent_t *e = mac_entry(lladdr, 0);
    /* Another entry of the MAC (a VLAN's) may remain elsewhere: only the entry at this place goes. */
    if (e != NULL && e->port == where) mac_place(e, ABSENT, now);
    return;
  }
  macent_t *e = mac_entry(lladdr, 1);
  if (e != NULL) mac_place(e, where, now);
}

/* Reads what the netlink socket holds: dump parts and events, applied in the order read. */
static void nl_read(void) {
  static uint8_t buf[NL_BUF];
  for (;;) {
    ssize_t n = recv(nl_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) { /* events were dropped: the mirror is re-read from a dump */
        nl_overruns++;
        if (dumping) redump = 1;
        else {
          fdb_resyncs++;
          nl_dump();
        }
        continue;
      }
      nl_errors++;
      break;
    }
    int64_t now = now_ns(CLOCK_REALTIME);
    int len = (int)n;
    for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
      /* Events carry the port id of whoever caused them (0 for the kernel's own): ours only for our dump. */
      int ours = dumping && h->nlmsg_pid == nl_portid && h->nlmsg_seq == nl_seq;
      if (h->nlmsg_type == NLMSG_DONE) {
        if (ours) nl_dump_done(now);
      } else if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        if (e->error != 0) {
          nl_errors++;
          if (ours) {
            dumping = 0;
            redump = 1;
          }
        }
      } else if (h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH) {
        nl_neigh(h, ours, now);
      }
    }
  }
  if (redump && !dumping) {
    fdb_resyncs++;
    nl_dump();
  }
}

/* ---- frames ---------------------------------------------------------------------------------------- */

static uint64_t fnv1a(const uint8_t *p, size_t n, uint64_t len) {
  uint64_t h = 0xcbf29ce484222325ULL ^ len;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
static void classify(const uint8_t *f, size_t n, rec_t *r) {
  r->cls = C_OTHER;
  r->garp = 0;
  if (n < 14) return;
  memcpy(r->dst, f, 6);
  memcpy(r->src, f + 6, 6);
  size_t off = 14;
  unsigned type = (unsigned)f[12] << 8 | f[13];
  if ((type == 0x8100 || type == 0x88a8) && n >= 18) {
    type = (unsigned)f[16] << 8 | f[17];
    off = 18;
  }
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  int is_bcast = memcmp(f, bcast, 6) == 0;
  if (!(f[0] & 1)) {
    r->cls = C_UNICAST;
    return;
  }
  r->cls = C_MCAST;
  if (is_bcast && type == 0x0806 && n >= off + 28) {
    unsigned op = (unsigned)f[off + 6] << 8 | f[off + 7];
    if (op == 1) r->cls = C_ARP_REQ;
    else if (op == 2) r->cls = C_ARP_REPLY;
    static const uint8_t zero[4] = {0, 0, 0, 0};
    if ((op == 1 || op == 2) && memcmp(f + off + 14, f + off + 24, 4) == 0 && memcmp(f + off + 14, zero, 4) != 0)
      r->garp = 1;
    return;
  }
  if (is_bcast && type == 0x8035) {
    r->cls = C_RARP;
    return;
  }
  if (type == 0x86dd && n >= off + 40) {
    unsigned nh = f[off + 6];
    size_t p = off + 40;
    while ((nh == 0 || nh == 43 || nh == 60) && p + 8 <= n) {
      nh = f[p];
      p += ((size_t)f[p + 1] + 1) * 8;
    }
    if (nh == 58 && p < n) {
      switch (f[p]) {
        case 133: r->cls = C_RS; break;
        case 134: r->cls = C_RA; break;
        case 135: r->cls = C_NS; break;
        case 136: r->cls = C_NA; break;
        default: break;
      }
    }
  }
}

static void count_class(counts_t *c, const rec_t *r) {
  c->frames++;
  switch (r->cls) {
    case C_ARP_REQ: c->arp_request++; break;
    case C_ARP_REPLY: c->arp_reply++; break;
    case C_RARP: c->rarp++; break;
    case C_RS: c->nd_rs++; break;
    case C_RA: c->nd_ra++; break;
    case C_NS: c->nd_ns++; break;
    case C_NA: c->nd_na++; break;
    case C_UNICAST: c->unicast++; break;
    default: break;
  }
  if (r->garp) c->arp_gratuitous++;
}

/* The group (one frame's copies) of r: an existing one within the dedup window that has no copy at r's
 * port and direction yet, or a fresh slot. *fresh is set when r is the frame's first copy. */
static group_t *group_of(const rec_t *r, int *fresh) {
  size_t base = mix(r->hash) & (GROUP_SLOTS - 1);
  uint64_t bit = 1ULL << r->port;
  group_t *victim = NULL;
  for (size_t n = 0; n < GROUP_PROBE; n++) {
    group_t *g = &groups[(base + n) & (GROUP_SLOTS - 1)];
    int live = g->used && r->ts_ns - g->ts_ns <= dedup_ns;
    if (live && g->hash == r->hash) {
      if (!((r->tx ? g->txmask : g->rxmask) & bit)) {
        *fresh = 0;
        return g;
      }
      victim = g; /* a repeat of the same bytes: a new frame in this slot */
      break;
    }
    if (!live && victim == NULL) victim = g;
  }
  if (victim == NULL) { /* every probed slot live: take the oldest */
    victim = &groups[base];
    for (size_t n = 1; n < GROUP_PROBE; n++) {
      group_t *g = &groups[(base + n) & (GROUP_SLOTS - 1)];
      if (g->ts_ns < victim->ts_ns) victim = g;
    }
  }
  memset(victim, 0, sizeof *victim);
  victim->used = 1;
  victim->hash = r->hash;
  victim->ts_ns = r->ts_ns;
  *fresh = 1;
  return victim;
}

static int zero_mac(const uint8_t *m) {
  return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

static void mark_flooded(group_t *g) {
  g->flooded = 1;
  seg.unknown_unicast++;
  for (int i = 0; i < nports; i++) {
    if (g->txmask & (1ULL << i)) ports[i].tx.unknown_unicast++;
    if (g->rxmask & (1ULL << i)) ports[i].rx.unknown_unicast++;
  }
}


static void process(const rec_t *r) {
  port_t *p = &ports[r->port];
  if (!r->tx && p->learning && !(r->src[0] & 1) && !zero_mac(r->src)) {
    macent_t *e = mac_entry(r->src, 1);
    /* A change the helper read after this frame's stamp is newer than what the frame teaches. */
    if (e != NULL && e->port != LOCAL_PORT && r->ts_ns > e->change_ns && mac_place(e, r->port, r->ts_ns)) learned++;
  }
  if (r->ts_ns < win_start_ns || r->ts_ns > win_end_ns) {
    outside_window++;
    return;
  }
  count_class(r->tx ? &p->tx : &p->rx, r);
  int fresh;
  group_t *g = group_of(r, &fresh);
  uint64_t bit = 1ULL << r->port;
  if (r->tx) g->txmask |= bit;
  else g->rxmask |= bit;
  if (fresh) {
    counts_t one = {0};
    count_class(&one, r);
    seg.frames++;
    seg.unicast += one.unicast;
    seg.arp_request += one.arp_request;
    seg.arp_reply += one.arp_reply;
    seg.arp_gratuitous += one.arp_gratuitous;
    seg.rarp += one.rarp;
    seg.nd_rs += one.nd_rs;
    seg.nd_ra += one.nd_ra;
    seg.nd_ns += one.nd_ns;
    seg.nd_na += one.nd_na;
  }
  if (r->cls != C_UNICAST) return;
  if (g->flooded) { /* a copy after the frame was found flooded */
    if (r->tx) p->tx.unknown_unicast++;
    else p->rx.unknown_unicast++;
    return;
  }
  if (!r->tx) return;
  const macent_t *e = mac_entry(r->dst, 0);
  int forwarded = e != NULL && (e->port == r->port || (r->ts_ns < e->change_ns && e->prev == r->port));
  if (!forwarded || __builtin_popcountll(g->txmask) >= 2) mark_flooded(g);
}

static int rec_cmp(const void *a, const void *b) {
  int64_t x = ((const rec_t *)a)->ts_ns, y = ((const rec_t *)b)->ts_ns;
  return (x > y) - (x < y);
}

/* Processes pending frames stamped at or before `upto` in timestamp order. */
static void flush(int64_t upto) {
  if (npending == 0) return;
  qsort(pending, npending, sizeof *pending, rec_cmp);
  size_t i = 0;
  while (i < npending && pending[i].ts_ns <= upto) process(&pending[i++]);
  memmove(pending, pending + i, (npending - i) * sizeof *pending);
  npending -= i;
}

/* Reads up to BATCHES_PER_TURN batches of one port's socket into the hold. */
static void read_drops(void);
static void drain(int pi) {
  static uint8_t buf[BATCH][SNAP];
  static char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  static struct sockaddr_ll sll[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr mm[BATCH];
  for (int turn = 0; turn < BATCHES_PER_TURN; turn++) {
    for (int k = 0; k < BATCH; k++) {
      iov[k] = (struct iovec){buf[k], SNAP};
      mm[k].msg_hdr = (struct msghdr){.msg_name = &sll[k], .msg_namelen = sizeof sll[k], .msg_iov = &iov[k],
                                      .msg_iovlen = 1, .msg_control = ctrl[k], .msg_controllen = sizeof ctrl[k]};
      mm[k].msg_len = 0;
    }
    if (ports[pi].gone) return;
    int got = recvmmsg(ports[pi].fd, mm, BATCH, MSG_TRUNC | MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == ENETDOWN || errno == ENODEV || errno == ENXIO) {
        read_drops();
        close(ports[pi].fd);
        ports[pi].fd = -1;
        ports[pi].gone = 1;
        return;
      }
      die("recvmmsg failed on %s", ports[pi].name);
    }
    if (npending + (size_t)got > PENDING_CAP) { /* hold buffer full: process its older half at once */
      qsort(pending, npending, sizeof *pending, rec_cmp);
      size_t half = npending / 2;
      for (size_t i = 0; i < half; i++) process(&pending[i]);
      memmove(pending, pending + half, (npending - half) * sizeof *pending);
      npending -= half;
      pending_overflow += half;
    }
    for (int k = 0; k < got; k++) {
      size_t n = mm[k].msg_len;
      rec_t *r = &pending[npending++];
      memset(r, 0, sizeof *r);
      size_t cap = n < SNAP ? n : SNAP;
      if (n > SNAP) snapped++;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&mm[k].msg_hdr); c != NULL; c = CMSG_NXTHDR(&mm[k].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec t;
          memcpy(&t, CMSG_DATA(c), sizeof t);
          r->ts_ns = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
        }
      }
      if (r->ts_ns == 0) r->ts_ns = now_ns(CLOCK_REALTIME);
      r->port = (int16_t)pi;
      r->tx = sll[k].sll_pkttype == PACKET_OUTGOING;
      r->hash = fnv1a(buf[k], cap, (uint64_t)n);
      classify(buf[k], cap, r);
    }
    if (got < BATCH) return;
  }
}

/* ---- output ---------------------------------------------------------------------------------------- */

static void print_counts(const char *key, const counts_t *c) {
  printf("\"%s\":{\"frames\":%llu,\"unicast\":%llu,\"arpRequest\":%llu,\"arpReply\":%llu,\"arpGratuitous\":%llu,"
         "\"rarp\":%llu,\"ndRs\":%llu,\"ndRa\":%llu,\"ndNs\":%llu,\"ndNa\":%llu,\"unknownUnicast\":%llu}",
         key, (unsigned long long)c->frames, (unsigned long long)c->unicast, (unsigned long long)c->arp_request,
         (unsigned long long)c->arp_reply, (unsigned long long)c->arp_gratuitous, (unsigned long long)c->rarp,
         (unsigned long long)c->nd_rs, (unsigned long long)c->nd_ra, (unsigned long long)c->nd_ns,
         (unsigned long long)c->nd_na, (unsigned long long)c->unknown_unicast);
}

static void read_drops(void) {
  for (int i = 0; i < nports; i++) {
    struct tpacket_stats st;
    socklen_t l = sizeof st;
    /* The kernel resets its counters on each read: they add up here. */
    if (getsockopt(ports[i].fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0) ports[i].drops += st.tp_drops;
  }
}

static void print_counters(const char *reason, int final, double end_mono) {
  read_drops();
  double start = (double)mono_start.tv_sec * 1e3 + (double)mono_start.tv_nsec / 1e6;
  printf("{\"type\":\"counters\",\"reason\":\"%s\",\"final\":%s,\"startMonoMs\":%.4f,\"endMonoMs\":%.4f,", reason,
         final ? "true" : "false", start, end_mono);
  print_counts("segment", &seg);
  printf(",\"ports\":[");
  for (int i = 0; i < nports; i++) {
    printf("%s{\"name\":\"%s\",", i ? "," : "", ports[i].name);
    print_counts("rx", &ports[i].rx);
    putchar(',');
    print_counts("tx", &ports[i].tx);
    printf(",\"drops\":%llu,\"gone\":%s}", (unsigned long long)ports[i].drops, ports[i].gone ? "true" : "false");
  }
  printf("],\"learned\":%llu,\"seeded\":%llu,\"tableFull\":%llu,\"outsideWindow\":%llu,\"holdOverflow\":%llu,"
         "\"truncated\":%llu,\"fdbEvents\":%llu,\"fdbDumped\":%llu,\"fdbResyncs\":%llu,\"netlinkErrors\":%llu,"
         "\"netlinkOverruns\":%llu}\n",
         (unsigned long long)learned, (unsigned long long)seeded, (unsigned long long)table_full,
         (unsigned long long)outside_window, (unsigned long long)pending_overflow, (unsigned long long)snapped,
         (unsigned long long)fdb_events, (unsigned long long)fdb_dumped, (unsigned long long)fdb_resyncs,
         (unsigned long long)nl_errors, (unsigned long long)nl_overruns);
  fflush(stdout);
}

/* ---- setup ----------------------------------------------------------------------------------------- */

static void open_port(port_t *p) {
  p->ifindex = (int)if_nametoindex(p->name);
  if (p->ifindex == 0) die("no interface %s in this namespace", p->name);
  /* Protocol 0 until bound: no frame of another interface is queued before bind. */
  p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (p->fd < 0) die("socket(AF_PACKET) failed (%s): needs CAP_NET_RAW", strerror(errno));
  int one = 1, buf = PORT_RCVBUF;
  if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) die("SO_TIMESTAMPNS on %s failed", p->name);
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = p->ifindex};
  if (bind(p->fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind to %s failed", p->name);
  fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
}

static double num_arg(const char *flag, const char *v) {
  char *end;
  double d = strtod(v, &end);
  if (*v == 0 || *end != 0 || d < 0) die("bad value for %s", flag);
  return d;
}

int main(int argc, char **argv) {
  const char *bridge = "";
  double max_ms = 600000;
  const char *fdb[MAC_SLOTS / 4];
  int nfdb = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) die("%s needs a value", a);
    const char *v = argv[++i];
    if (strcmp(a, "--bridge") == 0) bridge = v;
    else if (strcmp(a, "--port") == 0) {
      if (nports == MAX_PORTS) die("more than %s ports", "64");
      port_t *p = &ports[nports++];
      const char *comma = strchr(v, ',');
      size_t len = comma ? (size_t)(comma - v) : strlen(v);
      if (len == 0 || len >= IF_NAMESIZE) die("bad port name %s", v);
      memcpy(p->name, v, len);
      p->learning = !(comma && strcmp(comma + 1, "nolearn") == 0);
      if (comma && p->learning) die("bad port option in %s (only ,nolearn)", v);
    } else if (strcmp(a, "--fdb") == 0) {
      if (nfdb == (int)(sizeof fdb / sizeof fdb[0])) die("too many --fdb entries (%s)", v);
      fdb[nfdb++] = v;
    } else if (strcmp(a, "--max-ms") == 0) max_ms = num_arg(a, v);
    else if (strcmp(a, "--dedup-ms") == 0) dedup_ns = (int64_t)(num_arg(a, v) * 1e6);
    else if (strcmp(a, "--hold-ms") == 0) hold_ns = (int64_t)(num_arg(a, v) * 1e6);
    else if (strcmp(a, "--nl-rcvbuf") == 0) nl_rcvbuf = (int)num_arg(a, v);
    else die("unknown option %s", a);
  }
  if (nports == 0) die("no --port given%s", "");
  if (*bridge == 0) die("no --bridge given%s", "");
  br_ifindex = (int)if_nametoindex(bridge);
  if (br_ifindex == 0) die("no bridge %s in this namespace", bridge);
  pending = calloc(PENDING_CAP, sizeof *pending);
  groups = calloc(GROUP_SLOTS, sizeof *groups);
  macs = calloc(MAC_SLOTS, sizeof *macs);
  if (!pending || !groups || !macs) die("out of memory%s", "");
  for (int i = 0; i < nports; i++) ports[i].ifindex = (int)if_nametoindex(ports[i].name);
  for (int i = 0; i < nfdb; i++) {
    const char *eq = strchr(fdb[i], '=');
    uint8_t m[6];
    char mac[32];
    if (eq == NULL || (size_t)(eq - fdb[i]) >= sizeof mac) die("bad --fdb %s (MAC=PORT|MAC=local)", fdb[i]);
    memcpy(mac, fdb[i], (size_t)(eq - fdb[i]));
    mac[eq - fdb[i]] = 0;
    if (!parse_mac(mac, m)) die("bad MAC in --fdb %s", fdb[i]);
    int port = strcmp(eq + 1, "local") == 0 ? LOCAL_PORT : port_by_name(eq + 1);
    if (port == NO_PORT) die("--fdb %s names no --port", fdb[i]);
    macent_t *e = mac_entry(m, 1);
    if (e != NULL) mac_place(e, port, INT64_MIN);
    seeded++;
  }
  /* Subscribe, then capture, then dump: a change after the subscription is in the dump or queued behind it. */
  nl_open();
  for (int i = 0; i < nports; i++) open_port(&ports[i]);
  nl_dump();
  if (!dumping) die("the FDB dump request failed (%s)", strerror(errno));
  for (double until = mono_ms() + 5000; dumping;) {
    if (mono_ms() > until) die("no end of the FDB dump of %s within 5 s", bridge);
    struct pollfd q = {.fd = nl_fd, .events = POLLIN};
    poll(&q, 1, 100);
    nl_read();
  }
  uint64_t dumped_at_start = fdb_dumped;

  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  win_start_ns = now_ns(CLOCK_REALTIME);
  clock_gettime(CLOCK_MONOTONIC, &mono_start);
  double start_mono = (double)mono_start.tv_sec * 1e3 + (double)mono_start.tv_nsec / 1e6;
  printf("{\"type\":\"hello\",\"version\":2,\"bridge\":\"%s\",\"bridgeIfindex\":%d,\"startMonoMs\":%.4f,"
         "\"dedupMs\":%.3f,\"holdMs\":%.3f,\"maxMs\":%.0f,\"seeded\":%llu,\"fdbDumped\":%llu,\"ports\":[",
         bridge, br_ifindex, start_mono, (double)dedup_ns / 1e6, (double)hold_ns / 1e6, max_ms,
         (unsigned long long)seeded, (unsigned long long)dumped_at_start);
  for (int i = 0; i < nports; i++)
    printf("%s{\"name\":\"%s\",\"ifindex\":%d,\"learning\":%s}", i ? "," : "", ports[i].name, ports[i].ifindex,
           ports[i].learning ? "true" : "false");
  printf("]}\n");
  fflush(stdout);

  struct pollfd pfd[MAX_PORTS + 2];
  for (int i = 0; i < nports; i++) pfd[i] = (struct pollfd){.fd = ports[i].fd, .events = POLLIN};
  pfd[nports] = (struct pollfd){.fd = nl_fd, .events = POLLIN};
  pfd[nports + 1] = (struct pollfd){.fd = 0, .events = POLLIN};
  int stdin_open = 1;
  const char *reason = "lifetime";
  char line[256];
  size_t linelen = 0;
  double deadline = start_mono + max_ms;
  for (;;) {
    if (got_term) { reason = "signal"; break; }
    double left = deadline - mono_ms();
    if (left <= 0) break;
    int timeout = (int)(hold_ns / 1000000) + 1;
    if (left < timeout) timeout = (int)left + 1;
    for (int i = 0; i < nports; i++) pfd[i].fd = ports[i].fd; /* -1 for a port gone: poll skips it */
    int n = poll(pfd, (nfds_t)(nports + 1 + stdin_open), timeout);
    if (n < 0 && errno != EINTR) die("poll failed (%s)", strerror(errno));
    for (int i = 0; i < nports; i++) drain(i);
    nl_read();
    flush(now_ns(CLOCK_REALTIME) - hold_ns);
    if (got_usr1) {
      got_usr1 = 0;
      flush(INT64_MAX);
      print_counters("usr1", 0, mono_ms());
    }
    if (stdin_open && n > 0 && (pfd[nports + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char chunk[256];
      ssize_t got = read(0, chunk, sizeof chunk);
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        stdin_open = 0;
        reason = "eof";
        break;
      }
      for (ssize_t k = 0; k < got; k++) {
        if (chunk[k] != '\n') {
          if (linelen < sizeof line - 1) line[linelen++] = chunk[k];
          continue;
        }
        line[linelen] = 0;
        linelen = 0;
        if (strcmp(line, "dump") == 0) {
          for (int i = 0; i < nports; i++) drain(i);
          nl_read();
          flush(INT64_MAX);
          print_counters("dump", 0, mono_ms());
        }
      }
    }
  }
  /* End instant: frames stamped after it are outside the window; what the sockets hold is drained. */
  win_end_ns = now_ns(CLOCK_REALTIME);
  double end_mono = mono_ms();
  for (int i = 0; i < nports; i++)
    for (int round = 0; round < 16; round++) { /* bounded: a port that keeps receiving cannot hold the end */
      size_t before = npending;
      drain(i);
      if (npending == before) break;
    }
  nl_read();
  flush(INT64_MAX);
  print_counters(reason, 1, end_mono);
  return 0;
}
