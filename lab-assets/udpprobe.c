/*
 * udpprobe: vmmi's native UDP probe sender/receiver (the same records as src/probes/udp/agent.ts).
 *
 *   udpprobe [--drain MS] [--batch MS] [--quantum MS] [--rx-interval MS] [--rt PRIO] [--nice N]
 *            [--pace-only 1] --flow ID,RATE,PLANNED,OFFSET_MS,DURATION_MS,PAYLOAD,PORT,TARGET,NAME [--flow ...]
 *
 * Contract (shared with the TypeScript agent, see records.ts and wire.ts):
 * - stdout carries newline-delimited JSON records: `hello` first, then `tx`/`rx` batches every
 *   --batch ms, then one `end`. Times are ms since `hello.baseMonoMs` on CLOCK_MONOTONIC, rounded to
 *   0.1 us; each `tx` value equals the send time carried in that packet's payload.
 * - Flow k's packet n is due at start + OFFSET_MS + n * 1000 / RATE; PLANNED packets are sent, and the
 *   send phase stops at the latest duration plus max(1 s, 10 %) whatever happened.
 * - It stops on its own bounds, on SIGTERM/SIGINT and when stdin closes (the controller went away).
 *
 * Why native: the TypeScript sender shares an event loop and the CFS scheduler with everything else
 * on the host, and paused 40-130 ms under load. Here one thread only sends, paced by absolute
 * clock_nanosleep on CLOCK_MONOTONIC at SCHED_FIFO --rt (default 30), in sendmmsg batches of the
 * packets due within one --quantum (default 0.05 ms); a second FIFO thread receives with recvmmsg
 * on a fixed tick of --rx-interval (default 50 ms, shortened when the socket buffer could not hold
 * that long at the flow's rate) and takes each echo's arrival time from the kernel (SO_TIMESTAMPNS,
 * CLOCK_REALTIME, mapped to CLOCK_MONOTONIC through an offset read around each batch; a stamp that
 * cannot be mapped falls back to the thread's own clock read and is counted). The receiver never wakes
 * per echo: on a virtual machine each wake-up costs 20-25 us of CPU (a timer programmed through the
 * hypervisor, measured), which at 1 kpps was most of the probe's CPU; the kernel stamp makes the
 * tick's length irrelevant to the numbers.
 *
 * --pace-only 1 runs the same schedule, stamps and threads without sending anything (every packet
 * reads as lost): the bench's measure of the pacing's own CPU floor on the host. Memory is locked (mlockall) so no page fault
 * lands on a send. Where FIFO is refused (no CAP_SYS_NICE, RT group limits) the threads run at the
 * --nice autogroup priority and `hello.sender` says so: the method travels with the numbers.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x4c414221u
#define HEADER 20
#define MAX_FLOWS 64
#define MAX_BATCH 64
#define MAX_PAYLOAD 9000
#define SOCK_BUF (4 << 20)

typedef struct {
  uint16_t id;
  double rate, offset_ms, interval_ms, duration_ms;
  uint32_t planned;
  int payload, port, fd;
  int gso_max;                     /* datagrams per UDP GSO send (UDP_SEGMENT); 0: sendmmsg only */
  char target[INET6_ADDRSTRLEN];
  const char *name;
  double *tx;                      /* send stamps by sequence number */
  _Atomic uint32_t sent;           /* stamps in tx[] are valid below this */
  uint32_t flushed;                /* main thread: tx stamps already written out */
  _Atomic uint32_t send_errors;
  pthread_mutex_t rx_lock;         /* guards the rx buffer below (receiver appends, main swaps) */
  uint32_t *rx_seq;
  double *rx_ms;
  size_t rx_n, rx_cap;
  unsigned char *pkts;             /* MAX_BATCH payload buffers */
} flow_t;

static flow_t flows[MAX_FLOWS];
static int nflows;
static double drain_ms = 500, batch_ms = 200, quantum_ms = 0.05, rx_interval_ms = 50;
static int rt_prio = 30, nice_level = 0, nice_set = 0, pace_only = 0;
static struct timespec base;
static volatile sig_atomic_t got_signal;
static atomic_int aborted, send_done, recv_stop;
static _Atomic uint64_t invalid, stamp_fallbacks;
static char sock_error[256];
/* CPU time of the sender and receiver threads, ms, read by each as it ends (the end record's split). */
static double cpu_sender_ms, cpu_receiver_ms;

static double thread_cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what) {
  fprintf(stderr, "udpprobe: %s\n", what);
  exit(2);
}

static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec; }

static double rel_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(ts_ns(&t) - ts_ns(&base)) / 1e6;
}

/* 0.1 us grid, the same rounding as records.ts round4 (integer / 1e4 is correctly rounded). */
static double round4(double ms) { return round(ms * 1e4) / 1e4; }

static void note_error(const char *flow, const char *what) {
  pthread_mutex_lock(&err_lock);
  if (sock_error[0] == 0) snprintf(sock_error, sizeof sock_error, "%s: %s", flow, what);
  pthread_mutex_unlock(&err_lock);
}

/* ---- output ---------------------------------------------------------------------------------- */

typedef struct { char *p; size_t n, cap; } buf_t;

static void put(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf_t *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (k < 0) die("format error");
    if ((size_t)k < b->cap - b->n) { b->n += (size_t)k; return; }
    b->cap = b->cap * 2 + (size_t)k + 64;
    b->p = realloc(b->p, b->cap);
    if (b->p == NULL) die("out of memory");
  }
}

/* JSON string body: quotes, backslash and control characters escaped; other bytes as given. */
static void put_json_string(buf_t *b, const char *s) {
  put(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') put(b, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) put(b, "\\u%04x", c);
    else put(b, "%c", c);
  }
  put(b, "\"");
}

static void reserve(buf_t *b, size_t more) {
  if (b->cap - b->n > more) return;
  b->cap = b->cap * 2 + more;
  b->p = realloc(b->p, b->cap);
  if (b->p == NULL) die("out of memory");
}

/* Decimal digits of `u`, no allocation (the hot path: one call per stamp and sequence number). */
static void put_u64(buf_t *b, uint64_t u) {
  char t[24];
  int k = 0;
  do { t[k++] = (char)('0' + u % 10); u /= 10; } while (u);
  reserve(b, (size_t)k);
  while (k) b->p[b->n++] = t[--k];
}

/* Shortest text that reads back as the same double for 0.1 us multiples: the value in 0.1 us units is
 * an integer, printed as whole.fraction with trailing zeros cut (what %.4f plus trimming gave, at a
 * tenth of the cost: at 100 kpps this runs 200 000 times a second). Non-finite or huge values (never
 * produced) fall back to %.4f. */
static void put_ms(buf_t *b, double v) {
  double units = round(v * 1e4);
  if (!(fabs(units) < 9e15)) {
    char t[48];
    snprintf(t, sizeof t, "%.4f", v);
    put(b, "%s", t);
    return;
  }
  int64_t q = (int64_t)units;
  if (q < 0) { reserve(b, 1); b->p[b->n++] = '-'; q = -q; }
  put_u64(b, (uint64_t)(q / 10000));
  int frac = (int)(q % 10000);
  if (frac == 0) return;
  char d[5] = { '.', (char)('0' + frac / 1000), (char)('0' + frac / 100 % 10), (char)('0' + frac / 10 % 10),
                (char)('0' + frac % 10) };
  int len = 5;
  while (d[len - 1] == '0') len--;
  reserve(b, (size_t)len);
  memcpy(b->p + b->n, d, (size_t)len);
  b->n += (size_t)len;
}

static void emit(buf_t *b) {
  size_t off = 0;
  while (off < b->n) {
    ssize_t w = write(1, b->p + off, b->n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      atomic_store(&aborted, 1); /* the controller is gone: stop like a closed stdin */
      break;
    }
    off += (size_t)w;
  }
  b->n = 0;
}

/* tx and rx records gathered since the last call, one of each per flow. */
static void flush_batches(buf_t *b) {
  for (int k = 0; k < nflows; k++) {
    flow_t *f = &flows[k];
    uint32_t sent = atomic_load_explicit(&f->sent, memory_order_acquire);
    if (sent > f->flushed) {
      put(b, "{\"t\":\"tx\",\"f\":%u,\"from\":%u,\"tx\":[", f->id, f->flushed);
      for (uint32_t q = f->flushed; q < sent; q++) {
        if (q > f->flushed) { reserve(b, 1); b->p[b->n++] = ','; }
        put_ms(b, f->tx[q]);
      }
      put(b, "]}\n");
      f->flushed = sent;
    }
    pthread_mutex_lock(&f->rx_lock);
    size_t n = f->rx_n;
    if (n > 0) {
      put(b, "{\"t\":\"rx\",\"f\":%u,\"seq\":[", f->id);
      for (size_t i = 0; i < n; i++) {
        if (i) { reserve(b, 1); b->p[b->n++] = ','; }
        put_u64(b, f->rx_seq[i]);
      }
      put(b, "],\"rx\":[");
      for (size_t i = 0; i < n; i++) {
        if (i) { reserve(b, 1); b->p[b->n++] = ','; }
        put_ms(b, f->rx_ms[i]);
      }
      put(b, "]}\n");
      f->rx_n = 0;
    }
    pthread_mutex_unlock(&f->rx_lock);
    emit(b);
  }
}

/* ---- wire (src/probes/udp/wire.ts) ------------------------------------------------------------- */

static void put_be64(unsigned char *p, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)(u & 0xff); u >>= 8; }
}

static double get_be64(const unsigned char *p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u = (u << 8) | p[i];
  double v;
  memcpy(&v, &u, 8);
  return v;
}

static void write_header(unsigned char *p, uint16_t flow, uint32_t seq, double send_ms) {
  uint32_t m = htonl(MAGIC), s = htonl(seq);
  uint16_t id = htons(flow);
  memcpy(p, &m, 4);
  memcpy(p + 4, &id, 2);
  p[6] = 1;
  p[7] = 0;
  memcpy(p + 8, &s, 4);
  put_be64(p + 12, send_ms);
}

/* ---- sender ---------------------------------------------------------------------------------- */

/*
 * Sends packets [from, from + n) of `f` stamped `stamp`; a refused send (ICMP error pending from an
 * earlier packet) is retried once, anything still unsent counts as send errors (sent, and lost).
 * Where the socket takes UDP_SEGMENT, a batch leaves as one GSO send of the packets laid end to end
 * (the kernel cuts it into the same datagrams): one pass through the stack per batch instead of one
 * per packet, which at 100 kpps is most of the sender's cost after its wake-ups. A path that refuses
 * GSO (no checksum offload, a datagram above the MTU) turns it off for the flow and the batch goes
 * by sendmmsg.
 */
static void send_batch(flow_t *f, uint32_t from, int n, double stamp) {
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)n);
  for (int i = 0; i < n; i++) {
    unsigned char *p = f->pkts + (size_t)i * (size_t)f->payload;
    write_header(p, f->id, from + (uint32_t)i, stamp);
    f->tx[from + (uint32_t)i] = stamp;
    iov[i].iov_base = p;
    iov[i].iov_len = (size_t)f->payload;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  atomic_store_explicit(&f->sent, from + (uint32_t)n, memory_order_release);
  if (pace_only) return;
  int done = 0, retried = 0;
  while (f->gso_max > 1 && n - done > 1) {
    int k = n - done < f->gso_max ? n - done : f->gso_max;
    ssize_t r = send(f->fd, f->pkts + (size_t)done * (size_t)f->payload, (size_t)k * (size_t)f->payload, 0);
    if (r >= 0) { done += k; continue; }
    if (errno == EINTR) continue;
    if (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP || errno == EMSGSIZE) { f->gso_max = 0; break; }
    if ((errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) && !retried) { retried = 1; continue; }
    atomic_fetch_add(&f->send_errors, (uint32_t)(n - done));
    return;
  }
  while (done < n) {
    int r = sendmmsg(f->fd, msgs + done, (unsigned)(n - done), 0);
    if (r > 0) { done += r; continue; }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) && !retried) { retried = 1; continue; }
    atomic_fetch_add(&f->send_errors, (uint32_t)(n - done));
    break;
  }
}

static int sleep_until(double rel) {
  int64_t ns = ts_ns(&base) + (int64_t)(rel * 1e6);
  struct timespec t = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
  return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
}

static const char *send_reason = "complete";

static sem_t go;

static void *sender(void *arg) {
  (void)arg;
  while (sem_wait(&go) != 0 && errno == EINTR) {}
  double maxdur = 0;
  for (int k = 0; k < nflows; k++) if (flows[k].duration_ms > maxdur) maxdur = flows[k].duration_ms;
  double start = rel_ms() + 1;
  double hard_stop = start + maxdur + (maxdur * 0.1 > 1000 ? maxdur * 0.1 : 1000);
  for (;;) {
    if (atomic_load(&aborted) || got_signal) { send_reason = "aborted"; break; }
    double now = rel_ms(), next = INFINITY;
    int pending = 0;
    for (int k = 0; k < nflows; k++) {
      flow_t *f = &flows[k];
      uint32_t seq = atomic_load_explicit(&f->sent, memory_order_relaxed);
      int n = 0;
      while (seq + (uint32_t)n < f->planned && n < MAX_BATCH &&
             start + f->offset_ms + (double)(seq + (uint32_t)n) * f->interval_ms <= now)
        n++;
      if (n > 0) send_batch(f, seq, n, round4(rel_ms()));
      seq += (uint32_t)n;
      if (seq < f->planned) {
        pending = 1;
        double due = start + f->offset_ms + (double)seq * f->interval_ms;
        if (due < next) next = due;
      }
    }
    if (!pending) break;
    now = rel_ms();
    if (now > hard_stop) break;
    /* Wake no more often than once a quantum: packets due inside it leave together, each batch with
     * the stamp of its own send. A backlog (next <= now) is sent at once, MAX_BATCH per flow a turn. */
    double wake = next > now + quantum_ms ? next : now + quantum_ms;
    if (next <= now) continue;
    sleep_until(wake);
  }
  cpu_sender_ms = thread_cpu_ms();
  atomic_store(&send_done, 1);
  return NULL;
}

/* ---- receiver -------------------------------------------------------------------------------- */

/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns, read between two realtime reads (their midpoint). */
static int64_t real_minus_mono(void) {
  struct timespec r1, m, r2;
  clock_gettime(CLOCK_REALTIME, &r1);
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r2);
  return (ts_ns(&r1) + ts_ns(&r2)) / 2 - ts_ns(&m);
}

static void take_echo(flow_t *f, const unsigned char *p, size_t len, double rx) {
  if (len < HEADER) { atomic_fetch_add(&invalid, 1); return; }
  uint32_t m, s;
  uint16_t id;
  memcpy(&m, p, 4);
  memcpy(&id, p + 4, 2);
  memcpy(&s, p + 8, 4);
  uint32_t seq = ntohl(s);
  uint32_t sent = atomic_load_explicit(&f->sent, memory_order_acquire);
  double carried = get_be64(p + 12);
  if (ntohl(m) != MAGIC || p[6] != 1 || ntohs(id) != f->id || seq >= sent ||
      memcmp(&f->tx[seq], &carried, sizeof carried) != 0) {
    atomic_fetch_add(&invalid, 1);
    return;
  }
  pthread_mutex_lock(&f->rx_lock);
  if (f->rx_n == f->rx_cap) {
    size_t cap = f->rx_cap ? f->rx_cap * 2 : 4096;
    uint32_t *a = realloc(f->rx_seq, cap * sizeof *a);
    double *b = realloc(f->rx_ms, cap * sizeof *b);
    if (a == NULL || b == NULL) die("out of memory");
    f->rx_seq = a;
    f->rx_ms = b;
    f->rx_cap = cap;
  }
  f->rx_seq[f->rx_n] = seq;
  f->rx_ms[f->rx_n] = round4(rx);
  f->rx_n++;
  pthread_mutex_unlock(&f->rx_lock);
}

/* Arrival time of message `h`: the kernel's stamp mapped onto the monotonic clock, or `user` (the
 * thread's own read after the batch arrived) when there is none or it cannot be right. */
static double arrival_ms(struct msghdr *h, int64_t offset, double user) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec t;
      memcpy(&t, CMSG_DATA(c), sizeof t);
      double k = (double)(ts_ns(&t) - offset - ts_ns(&base)) / 1e6;
      if (k <= user + 0.01 && k > user - 1000) return k;
      break;
    }
  }
  atomic_fetch_add(&stamp_fallbacks, 1);
  return user;
}

/* Receive slots: MAX_BATCH of the largest payload plus a margin, laid end to end, so one drain touches
 * a few pages rather than 64 of 9000-byte slots; an echo longer than its slot is not a reply (MSG_TRUNC). */
static unsigned char *rx_slots;
static size_t rx_slot;

static void drain_socket(flow_t *f) {
  static char ctl[MAX_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  for (;;) {
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < MAX_BATCH; i++) {
      iov[i].iov_base = rx_slots + (size_t)i * rx_slot;
      iov[i].iov_len = rx_slot;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctl[i];
    }
    int r = recvmmsg(f->fd, msgs, MAX_BATCH, MSG_DONTWAIT, NULL);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNREFUSED) continue; /* ICMP while the peer is away: loss */
      note_error(f->name, strerror(errno));
      return;
    }
    double user = rel_ms();
    int64_t offset = real_minus_mono();
    for (int i = 0; i < r; i++) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) { atomic_fetch_add(&invalid, 1); continue; }
      take_echo(f, rx_slots + (size_t)i * rx_slot, msgs[i].msg_len, arrival_ms(&msgs[i].msg_hdr, offset, user));
    }
    if (r < MAX_BATCH) return;
  }
}

/*
 * Receive tick, ms: --rx-interval, shortened so that every flow's echoes of one tick fill at most half
 * of the receive buffer the kernel granted (SO_RCVBUF reports twice the payload room; an echo of a
 * small datagram takes about 1 KiB of it), and never below 0.1 ms.
 */
static double rx_tick_ms(void) {
  double tick = rx_interval_ms;
  for (int k = 0; k < nflows; k++) {
    int got = 0;
    socklen_t l = sizeof got;
    if (getsockopt(flows[k].fd, SOL_SOCKET, SO_RCVBUF, &got, &l) < 0 || got <= 0) continue;
    double per_pkt = 1024.0 + (double)flows[k].payload;
    double fits_ms = (double)got / 2.0 / per_pkt / flows[k].rate * 1000.0;
    if (fits_ms < tick) tick = fits_ms;
  }
  return tick < 0.1 ? 0.1 : tick;
}

static void *receiver(void *arg) {
  (void)arg;
  /* Arrival times come from the kernel, so the thread need not wake per echo: it drains every
   * socket once a tick (absolute schedule, so a late tick is not followed by a long one). */
  double tick = rx_tick_ms(), next = rel_ms() + tick;
  while (!atomic_load(&recv_stop)) {
    sleep_until(next);
    for (int k = 0; k < nflows; k++) drain_socket(&flows[k]);
    double now = rel_ms();
    next += tick;
    if (next < now) next = now + tick; /* behind (host stall): resume the tick from now */
  }
  for (int k = 0; k < nflows; k++) drain_socket(&flows[k]);
  cpu_receiver_ms = thread_cpu_ms();
  return NULL;
}

/* ---- set-up ---------------------------------------------------------------------------------- */

static void parse_flow(char *spec) {
  if (nflows == MAX_FLOWS) die("too many flows");
  flow_t *f = &flows[nflows];
  char *field[9];
  for (int i = 0; i < 8; i++) {
    field[i] = spec;
    char *c = strchr(spec, ',');
    if (c == NULL) die("--flow needs ID,RATE,PLANNED,OFFSET_MS,DURATION_MS,PAYLOAD,PORT,TARGET,NAME");
    *c = 0;
    spec = c + 1;
  }
  field[8] = spec; /* the name is last and may hold commas */
  char *end;
  long id = strtol(field[0], &end, 10);
  if (*end || id < 0 || id > 0xffff) die("flow id must be 0..65535");
  for (int k = 0; k < nflows; k++) if (flows[k].id == id) die("duplicate flow id");
  f->id = (uint16_t)id;
  f->rate = strtod(field[1], &end);
  if (*end || !(f->rate > 0)) die("flow rate must be > 0");
  unsigned long planned = strtoul(field[2], &end, 10);
  if (*end || planned > 50000000UL) die("flow planned must be 0..50000000");
  f->planned = (uint32_t)planned;
  f->offset_ms = strtod(field[3], &end);
  if (*end || f->offset_ms < 0) die("flow offset must be >= 0");
  f->duration_ms = strtod(field[4], &end);
  if (*end || !(f->duration_ms > 0)) die("flow duration must be > 0");
  long payload = strtol(field[5], &end, 10);
  if (*end || payload > MAX_PAYLOAD) die("flow payload must be <= 9000");
  f->payload = payload < HEADER ? HEADER : (int)payload;
  long port = strtol(field[6], &end, 10);
  if (*end || port < 1 || port > 65535) die("flow port must be 1..65535");
  f->port = (int)port;
  if (strlen(field[7]) >= sizeof f->target) die("flow target too long");
  strcpy(f->target, field[7]);
  f->name = field[8];
  f->interval_ms = 1000.0 / f->rate;
  nflows++;
}

static void open_flow(flow_t *f) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, f->target, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)f->port);
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, f->target, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)f->port);
    len = sizeof *a6;
  } else {
    fprintf(stderr, "udpprobe: flow %s: target %s is not an IP literal\n", f->name, f->target);
    exit(2);
  }
  f->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (f->fd < 0) { perror("udpprobe: socket"); exit(1); }
  int one = 1, sz = SOCK_BUF;
  /* FORCE (root) passes net.core.[rw]mem_max; otherwise the capped size stays and the run shows any loss. */
  if (setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
    setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  if (setsockopt(f->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
    setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  setsockopt(f->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (connect(f->fd, (struct sockaddr *)&ss, len) < 0) {
    fprintf(stderr, "udpprobe: flow %s: connect %s port %d: %s\n", f->name, f->target, f->port, strerror(errno));
    exit(1);
  }
  /* GSO batches: at most 64 segments and 60000 bytes per send. */
  int seg = f->payload, segs = 60000 / f->payload;
  if (segs > MAX_BATCH) segs = MAX_BATCH;
  if (segs > 1 && setsockopt(f->fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0) f->gso_max = segs;
  f->tx = calloc(f->planned ? f->planned : 1, sizeof(double));
  f->pkts = calloc(MAX_BATCH, (size_t)f->payload);
  if (f->tx == NULL || f->pkts == NULL) die("out of memory");
  pthread_mutex_init(&f->rx_lock, NULL);
}

/* Starts `fn` at SCHED_FIFO `prio` when allowed; otherwise at the inherited policy. Returns 1 if FIFO. */
static int start_thread(pthread_t *t, void *(*fn)(void *), int prio) {
  if (prio > 0) {
    pthread_attr_t a;
    struct sched_param sp = { .sched_priority = prio };
    pthread_attr_init(&a);
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, SCHED_FIFO);
    pthread_attr_setschedparam(&a, &sp);
    int r = pthread_create(t, &a, fn, NULL);
    pthread_attr_destroy(&a);
    if (r == 0) return 1;
    if (r != EPERM && r != EINVAL) { errno = r; perror("udpprobe: thread"); exit(1); }
  }
  if (pthread_create(t, NULL, fn, NULL) != 0) { perror("udpprobe: thread"); exit(1); }
  return 0;
}

static void on_signal(int s) { (void)s; got_signal = 1; }

/* Main thread: writes batches every --batch ms until `until` says stop; watches stdin and signals. */
static void pump(buf_t *b, int (*until)(double), double arg) {
  struct pollfd in = { .fd = 0, .events = POLLIN };
  while (!until(arg)) {
    int r = poll(&in, 1, (int)batch_ms);
    if (r > 0) {
      char tmp[256];
      ssize_t n = read(0, tmp, sizeof tmp);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) { atomic_store(&aborted, 1); in.fd = -1; }
    }
    if (got_signal) atomic_store(&aborted, 1);
    flush_batches(b);
  }
}

static int sending_over(double unused) { (void)unused; return atomic_load(&send_done); }
/* Time only: a stop (signal, closed stdin) shortens the drain to 100 ms but never skips it, or the
 * replies still in flight would read as loss at the end of every stopped run. */
static int drain_over(double until) { return rel_ms() >= until; }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) die("every option takes a value; see the header of lab-assets/udpprobe.c");
    char *v = argv[++i], *end;
    if (strcmp(a, "--flow") == 0) parse_flow(v);
    else if (strcmp(a, "--drain") == 0) drain_ms = strtod(v, &end);
    else if (strcmp(a, "--batch") == 0) batch_ms = strtod(v, &end);
    else if (strcmp(a, "--quantum") == 0) quantum_ms = strtod(v, &end);
    else if (strcmp(a, "--rx-interval") == 0) rx_interval_ms = strtod(v, &end);
    else if (strcmp(a, "--rt") == 0) rt_prio = (int)strtol(v, &end, 10);
    else if (strcmp(a, "--nice") == 0) { nice_level = (int)strtol(v, &end, 10); nice_set = 1; }
    else if (strcmp(a, "--pace-only") == 0) pace_only = (int)strtol(v, &end, 10) != 0;
    else { fprintf(stderr, "udpprobe: unknown option %s\n", a); return 2; }
    if (strcmp(a, "--flow") != 0 && *end) { fprintf(stderr, "udpprobe: %s: not a number: %s\n", a, v); return 2; }
  }
  if (nflows == 0) die("no --flow given");
  if (!(batch_ms >= 1 && batch_ms <= 10000)) die("--batch must be 1..10000 ms");
  if (!(drain_ms >= 0 && drain_ms <= 600000)) die("--drain must be 0..600000 ms");
  if (!(quantum_ms >= 0 && quantum_ms <= 10)) die("--quantum must be 0..10 ms");
  if (!(rx_interval_ms >= 0.1 && rx_interval_ms <= 100)) die("--rx-interval must be 0.1..100 ms");
  if (rt_prio < 0 || rt_prio > 99) die("--rt must be 0..99 (0: no real-time priority)");

  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (nice_set) {
    /* The fallback priority: with autogroup scheduling nice ranks only inside a session, so take a
     * session of our own and set its autogroup nice (as the TypeScript agent does). */
    setsid();
    FILE *g = fopen("/proc/self/autogroup", "w");
    if (g != NULL) { fprintf(g, "%d", nice_level); fclose(g); }
    setpriority(PRIO_PROCESS, 0, nice_level);
  }
  int locked = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;

  struct timespec wall;
  clock_gettime(CLOCK_MONOTONIC, &base);
  clock_gettime(CLOCK_REALTIME, &wall);
  for (int k = 0; k < nflows; k++) open_flow(&flows[k]);
  for (int k = 0; k < nflows; k++) if ((size_t)flows[k].payload + 64 > rx_slot) rx_slot = (size_t)flows[k].payload + 64;
  rx_slots = calloc(MAX_BATCH, rx_slot);
  if (rx_slots == NULL) die("out of memory");
  struct rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);

  pthread_t ts, tr;
  sem_init(&go, 0, 0);
  int fifo_rx = start_thread(&tr, receiver, rt_prio > 1 ? rt_prio - 1 : rt_prio);
  int fifo_tx = start_thread(&ts, sender, rt_prio);
  buf_t b = { malloc(1 << 16), 0, 1 << 16 };
  if (b.p == NULL) die("out of memory");
  char sender_desc[256];
  int gso = 0;
  for (int k = 0; k < nflows; k++) gso |= flows[k].gso_max > 1;
  snprintf(sender_desc, sizeof sender_desc,
           "native udpprobe: sender %s, receiver %s, %s per %.3f ms quantum, rx SO_TIMESTAMPNS "
           "recvmmsg per %.1f ms%s%s",
           fifo_tx ? "SCHED_FIFO" : "SCHED_OTHER", fifo_rx ? "SCHED_FIFO" : "SCHED_OTHER",
           gso ? "UDP GSO batch" : "sendmmsg", quantum_ms, rx_tick_ms(),
           locked ? ", memory locked" : "", pace_only ? ", PACE ONLY (nothing sent)" : "");
  if (fifo_tx) {
    char p[32];
    snprintf(p, sizeof p, " (priority %d)", rt_prio);
    strncat(sender_desc, p, sizeof sender_desc - strlen(sender_desc) - 1);
  }
  put(&b, "{\"t\":\"hello\",\"v\":1,\"baseMonoMs\":");
  put_ms(&b, (double)ts_ns(&base) / 1e6);
  put(&b, ",\"baseWallMs\":");
  put_ms(&b, round((double)ts_ns(&wall) / 1e3) / 1e3);
  put(&b, ",\"sender\":");
  put_json_string(&b, sender_desc);
  put(&b, ",\"flows\":[");
  for (int k = 0; k < nflows; k++) {
    put(&b, "%s{\"id\":%u,\"name\":", k ? "," : "", flows[k].id);
    put_json_string(&b, flows[k].name);
    put(&b, ",\"planned\":%u,\"ratePps\":%.17g}", flows[k].planned, flows[k].rate);
  }
  put(&b, "]}\n");
  emit(&b);
  sem_post(&go); /* the first send follows hello */

  pump(&b, sending_over, 0);
  pthread_join(ts, NULL);
  double drain = atomic_load(&aborted) || got_signal ? (drain_ms < 100 ? drain_ms : 100) : drain_ms;
  pump(&b, drain_over, rel_ms() + drain);
  atomic_store(&recv_stop, 1);
  pthread_join(tr, NULL);
  flush_batches(&b);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct timespec endm, endw;
  clock_gettime(CLOCK_MONOTONIC, &endm);
  clock_gettime(CLOCK_REALTIME, &endw);
  const char *reason = sock_error[0] ? "error" : strcmp(send_reason, "aborted") == 0 ? "aborted" : "complete";
  put(&b, "{\"t\":\"end\",\"reason\":\"%s\",", reason);
  if (sock_error[0]) {
    put(&b, "\"detail\":");
    put_json_string(&b, sock_error);
    put(&b, ",");
  }
  put(&b, "\"sent\":{");
  for (int k = 0; k < nflows; k++) put(&b, "%s\"%u\":%u", k ? "," : "", flows[k].id, atomic_load(&flows[k].sent));
  put(&b, "},\"sendErrors\":{");
  for (int k = 0; k < nflows; k++)
    put(&b, "%s\"%u\":%u", k ? "," : "", flows[k].id, atomic_load(&flows[k].send_errors));
  put(&b, "},\"invalid\":%llu,\"rxStampFallbacks\":%llu,\"endMonoMs\":", (unsigned long long)atomic_load(&invalid),
      (unsigned long long)atomic_load(&stamp_fallbacks));
  put_ms(&b, (double)ts_ns(&endm) / 1e6);
  put(&b, ",\"endWallMs\":");
  put_ms(&b, round((double)ts_ns(&endw) / 1e3) / 1e3);
  double user = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e3 +
                (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e3;
  double sys = (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e3 +
               (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e3;
  put(&b, ",\"cpuUserMs\":");
  put_ms(&b, round4(user));
  put(&b, ",\"cpuSystemMs\":");
  put_ms(&b, round4(sys));
  /* Where the CPU went: the pacing sender, the receiver, and the rest (main thread: records, set-up). */
  put(&b, ",\"cpuSenderMs\":");
  put_ms(&b, round4(cpu_sender_ms));
  put(&b, ",\"cpuReceiverMs\":");
  put_ms(&b, round4(cpu_receiver_ms));
  put(&b, "}\n");
  emit(&b);
  for (int k = 0; k < nflows; k++) close(flows[k].fd);
  return 0;
}
