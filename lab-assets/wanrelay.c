/*
 * wanrelay: vmmi's userspace WAN emulator for kernels without sch_netem.
 *
 *   wanrelay IF_A IF_B [-d DELAY_US] [-j JITTER_US] [-l LOSS_PPM] [-r RATE_KBIT] [-c 0|1]
 *            [-t MAX_RUNTIME_S] [-q QUEUE_FRAMES] [-s CONTROL_SOCKET]
 *
 * Forwards every frame between two interfaces through one AF_PACKET socket per side (promiscuous,
 * own transmissions ignored). Each direction is a FIFO of preallocated slots stamped
 * due = max(now + delay ± jitter, serialisation end at RATE, previous due): order is kept, a full
 * queue drops (qdrop). Loss is random per frame in parts per million; cut drops everything.
 * The relay-facing veths need `ethtool -K DEV tx off tso off gso off gro off` (else checksums are
 * missing and super-frames arrive). Frames > SLOT bytes are dropped (big). Always bounded: exits
 * after MAX_RUNTIME_S (default 86400). Counters are printed to stderr on exit.
 *
 * Control socket (unix stream, one command per connection, one reply line):
 *   "set delay_us=N jitter_us=N loss_ppm=N rate_kbit=N cut=0|1"   (any subset)   -> "ok ..."
 *   "stats"                                                                        -> "ok ..."
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SLOT 2048

struct frame { uint64_t due; uint16_t len; unsigned char data[SLOT]; };
struct dir {
  const char *name;
  int in, out;
  struct frame *q;
  unsigned head, count;
  uint64_t last_due, ser_end;
  unsigned long fwd, loss, cut, qdrop, big, senderr;
};

static unsigned qcap = 1024;
static long delay_us, jitter_us, loss_ppm, rate_kbit, cut;
static volatile sig_atomic_t stop;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static int open_if(const char *ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) { perror("wanrelay: socket"); exit(1); }
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) { fprintf(stderr, "wanrelay: no interface %s\n", ifname); exit(1); }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("wanrelay: bind"); exit(1); }
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = (int)idx;
  mr.mr_type = PACKET_MR_PROMISC;
  setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  return fd;
}

/* Receives every queued frame of d->in and stamps it with its departure time. */
static void take(struct dir *d) {
  for (int k = 0; k < 512; k++) {
    unsigned char tmp[SLOT + 1];
    struct sockaddr_ll from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(d->in, tmp, sizeof tmp, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
    if (r < 0) return;
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    if (r > SLOT) { d->big++; continue; }
    if (cut) { d->cut++; continue; }
    if (loss_ppm > 0 && (long)(rnd() % 1000000u) < loss_ppm) { d->loss++; continue; }
    if (d->count == qcap) { d->qdrop++; continue; }
    uint64_t now = now_us();
    long j = jitter_us > 0 ? (long)(rnd() % (uint64_t)(2 * jitter_us + 1)) - jitter_us : 0;
    long dl = delay_us + j;
    uint64_t due = now + (uint64_t)(dl < 0 ? 0 : dl);
    if (rate_kbit > 0) {
      uint64_t start = d->ser_end > now ? d->ser_end : now;
      d->ser_end = start + (uint64_t)r * 8000u / (uint64_t)rate_kbit;
      if (d->ser_end + (uint64_t)delay_us > due) due = d->ser_end + (uint64_t)delay_us;
    }
    if (due < d->last_due) due = d->last_due;
    d->last_due = due;
    struct frame *f = &d->q[(d->head + d->count) % qcap];
    f->due = due;
    f->len = (uint16_t)r;
    memcpy(f->data, tmp, (size_t)r);
    d->count++;
  }
}

/* Sends every frame that is due; returns µs until the next one (or -1 when empty). */
static long give(struct dir *d, uint64_t now) {
  while (d->count > 0) {
    struct frame *f = &d->q[d->head];
    if (f->due > now) return (long)(f->due - now);
    if (cut) d->cut++;
    else if (send(d->out, f->data, f->len, MSG_DONTWAIT) < 0) d->senderr++;
    else d->fwd++;
    d->head = (d->head + 1) % qcap;
    d->count--;
  }
  return -1;
}

static int status(char *out, size_t n, struct dir *a, struct dir *b) {
  return snprintf(out, n,
    "delay_us=%ld jitter_us=%ld loss_ppm=%ld rate_kbit=%ld cut=%ld"
    " a2b=%lu b2a=%lu loss=%lu cutdrop=%lu qdrop=%lu big=%lu senderr=%lu queued=%u\n",
    delay_us, jitter_us, loss_ppm, rate_kbit, cut, a->fwd, b->fwd, a->loss + b->loss, a->cut + b->cut,
    a->qdrop + b->qdrop, a->big + b->big, a->senderr + b->senderr, a->count + b->count);
}

static int set_param(const char *kv) {
  long v;
  char key[32];
  if (sscanf(kv, "%31[a-z_]=%ld", key, &v) != 2 || v < 0) return -1;
  if (!strcmp(key, "delay_us") && v <= 10000000) delay_us = v;
  else if (!strcmp(key, "jitter_us") && v <= 10000000) jitter_us = v;
  else if (!strcmp(key, "loss_ppm") && v <= 1000000) loss_ppm = v;
  else if (!strcmp(key, "rate_kbit")) rate_kbit = v;
  else if (!strcmp(key, "cut") && v <= 1) cut = v;
  else return -1;
  return 0;
}

static void control(int ls, struct dir *a, struct dir *b) {
  int c = accept(ls, NULL, NULL);
  if (c < 0) return;
  struct timeval tv = { 0, 200000 };
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char in[512], out[512];
  ssize_t r = recv(c, in, sizeof in - 1, 0);
  int ok = r > 0;
  if (ok) {
    in[r] = 0;
    char *save = NULL, *tok = strtok_r(in, " \t\r\n", &save);
    if (tok && !strcmp(tok, "set")) {
      while ((tok = strtok_r(NULL, " \t\r\n", &save))) if (set_param(tok) < 0) ok = 0;
    } else if (!tok || strcmp(tok, "stats")) ok = 0;
  }
  int n = ok ? (memcpy(out, "ok ", 3), 3 + status(out + 3, sizeof out - 3, a, b))
             : snprintf(out, sizeof out, "err usage: set key=value... | stats\n");
  if (send(c, out, (size_t)n, MSG_NOSIGNAL) < 0) { /* client gone: nothing to do */ }
  close(c);
}

static int open_control(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un u;
  memset(&u, 0, sizeof u);
  u.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof u.sun_path) { fprintf(stderr, "wanrelay: socket path too long\n"); exit(2); }
  strcpy(u.sun_path, path);
  unlink(path);
  if (bind(s, (struct sockaddr *)&u, sizeof u) < 0 || listen(s, 8) < 0) { perror("wanrelay: control"); exit(1); }
  return s;
}

static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: wanrelay IF_A IF_B [-d us] [-j us] [-l ppm] [-r kbit] [-c 0|1] [-t s] [-q n] [-s sock]\n"); return 2; }
  long max_s = 86400;
  const char *ctl = NULL;
  for (int i = 3; i + 1 < argc; i += 2) {
    long v = atol(argv[i + 1]);
    if (!strcmp(argv[i], "-d")) delay_us = v;
    else if (!strcmp(argv[i], "-j")) jitter_us = v;
    else if (!strcmp(argv[i], "-l")) loss_ppm = v;
    else if (!strcmp(argv[i], "-r")) rate_kbit = v;
    else if (!strcmp(argv[i], "-c")) cut = v ? 1 : 0;
    else if (!strcmp(argv[i], "-t")) max_s = v;
    else if (!strcmp(argv[i], "-q") && v >= 16 && v <= 65536) qcap = (unsigned)v;
    else if (!strcmp(argv[i], "-s")) ctl = argv[i + 1];
    else { fprintf(stderr, "wanrelay: bad option %s\n", argv[i]); return 2; }
  }
  struct dir a = { .name = "a2b" }, b = { .name = "b2a" };
  a.in = b.out = open_if(argv[1]);
  a.out = b.in = open_if(argv[2]);
  a.q = calloc(qcap, sizeof(struct frame));
  b.q = calloc(qcap, sizeof(struct frame));
  if (!a.q || !b.q) { fprintf(stderr, "wanrelay: out of memory\n"); return 1; }
  rng ^= now_us() ^ (uint64_t)getpid();
  int ls = ctl ? open_control(ctl) : -1;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  uint64_t end = now_us() + (uint64_t)max_s * 1000000u;
  fprintf(stderr, "wanrelay: ready %s<->%s\n", argv[1], argv[2]);
  while (!stop && now_us() < end) {
    uint64_t now = now_us();
    long wa = give(&a, now), wb = give(&b, now);
    long w = wa < 0 ? wb : (wb < 0 ? wa : (wa < wb ? wa : wb));
    if (w < 0) w = 200000;
    struct timespec ts = { w / 1000000, (w % 1000000) * 1000 };
    struct pollfd pf[3] = { { a.in, POLLIN, 0 }, { b.in, POLLIN, 0 }, { ls, POLLIN, 0 } };
    int r = ppoll(pf, ls >= 0 ? 3 : 2, &ts, NULL);
    if (r < 0 && errno != EINTR) { perror("wanrelay: poll"); break; }
    if (r <= 0) continue;
    if (pf[0].revents & POLLIN) take(&a);
    if (pf[1].revents & POLLIN) take(&b);
    if (ls >= 0 && (pf[2].revents & POLLIN)) control(ls, &a, &b);
  }
  char out[512];
  status(out, sizeof out, &a, &b);
  fprintf(stderr, "wanrelay: exit %s", out);
  if (ctl) unlink(ctl);
  return 0;
}
