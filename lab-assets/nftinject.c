/*
 * nftinject: outage injector of the calibration suites. One long-lived process per place (started with
 * `ip netns exec <ns> nftinject ...`) that switches a drop rule on and off in-process and stamps
 * CLOCK_MONOTONIC immediately before and after each ruleset change. The rule is in force from an
 * instant inside the switch-on bracket to an instant inside the switch-off bracket, so the injected
 * length is known to the bracket widths (tens of microseconds), not to a pipe round trip or a process
 * start.
 *
 * Layout: base chain `c` (the hook, policy accept) holds `<match> jump gate` per --match, set up once
 * through libnftables (so matches are ordinary nft syntax); the regular chain `gate` is empty (traffic
 * returns and is accepted) except during an outage, when it holds one `drop`. Switching is one
 * prebuilt nf_tables netlink batch (NEWRULE drop / DELRULE all in `gate`) sent with libmnl: the kernel
 * commits the batch inside the sendmsg call, so a bracket is one syscall plus the ack read. Going
 * through libnftables for every switch would put its parser and cache refresh inside the bracket
 * (measured 0.1-0.8 ms per change). CLOCK_MONOTONIC is the clock of Node's process.hrtime.bigint() and of the UDP probe agents,
 * so the stamps compare directly with probe samples on the same host (the `clock` command lets the
 * controller verify that).
 *
 * Usage: nftinject --table T --hook input|output|forward --limit-ms N [--fifo PRIO] --match EXPR [--match EXPR ...]
 *   Traffic matching any --match (nft match syntax, e.g. "ip saddr 198.18.250.1"; "" = everything) is
 *   dropped during a pulse; table `inet T` is created here (base chain priority -10) and deleted at exit.
 *
 * Protocol (lines; times are CLOCK_MONOTONIC nanoseconds as decimal integers):
 *   stdout at start   ready <now>                      table and empty chain exist
 *   stdin  clock <id>         stdout  clock <id> <now>
 *   stdin  pulse <id> <us>    stdout  pulse <id> <addBefore> <addAfter> <delBefore> <delAfter>
 *                             the delete starts <us> after the add started, so both commits sit at the
 *                             same offset inside their brackets
 *   stdin  quit
 *   any error                 stdout  error <id|-> <message>
 *   at exit                   stdout  bye <quit|stdin-closed|limit|signal|error> cleaned=<0|1>
 * Bounded: exits (deleting its table) when stdin closes, on `quit`, SIGTERM/SIGINT/SIGHUP, a fatal
 * error, or when --limit-ms has passed since start; a pulse that would end after the limit is refused.
 * A table left over by a killed run is emptied at start (its chain is flushed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_MATCHES 16
#define MAX_PULSE_US 60000000LL /* 60 s */
#define SPIN_NS 200000LL /* busy-wait before a timed change: wake-up latency stays out of the pulse length */

static volatile sig_atomic_t got_signal;
static struct nft_ctx *nft;
static char table[64];
static struct mnl_socket *nl;
static uint32_t portid, seq;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void out(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fflush(stdout);
}

/* Runs one nft command buffer; on failure prints `error <id> <first line of nft's message>`. */
static int run(const char *id, const char *cmd) {
  if (nft_run_cmd_from_buffer(nft, cmd) == 0) return 0;
  const char *e = nft_ctx_get_error_buffer(nft);
  char msg[512];
  snprintf(msg, sizeof msg, "%s", e != NULL && *e != '\0' ? e : "nft command failed");
  for (char *p = msg; *p != '\0'; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  out("error %s %s\n", id, msg);
  return -1;
}

static void on_signal(int sig) {
  (void)sig;
  got_signal = 1;
}

static int valid_name(const char *s) {
  if (s[0] < 'a' || s[0] > 'z' || strlen(s) >= sizeof table) return 0;
  for (const char *p = s; *p != '\0'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
  return 1;
}

/* A match is one rule's expression: no statement separators, blocks, comments or line breaks. */
static int valid_match(const char *s) {
  return strpbrk(s, ";{}#\n\r") == NULL && strlen(s) < 256;
}

/*
 * Switches the gate: on = add one `drop` rule to chain `gate`, off = delete every rule of `gate`. One
 * batch (begin, rule message with an ack request, end); returns 0 once the kernel acked it, else
 * prints `error <id> ...`. Building the batch happens inside the caller's bracket; it costs about a
 * microsecond, against tens for the syscalls.
 */
static int gate(const char *id, int on) {
  static char buf[8192];
  struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof buf);
  nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
  mnl_nlmsg_batch_next(b);
  struct nftnl_rule *r = nftnl_rule_alloc();
  nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "gate");
  if (on) {
    struct nftnl_expr *e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
    nftnl_rule_add_expr(r, e);
  }
  uint32_t rseq = seq++;
  struct nlmsghdr *h = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), on ? NFT_MSG_NEWRULE : NFT_MSG_DELRULE,
                                                  NFPROTO_INET, on ? NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK : NLM_F_ACK, rseq);
  nftnl_rule_nlmsg_build_payload(h, r);
  nftnl_rule_free(r);
  mnl_nlmsg_batch_next(b);
  nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
  mnl_nlmsg_batch_next(b);
  int rc = 0;
  if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
    out("error %s netlink send: %s\n", id, strerror(errno));
    rc = -1;
  } else {
    char rbuf[8192];
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof rbuf);
      if (n < 0) {
        out("error %s netlink receive: %s\n", id, strerror(errno));
        rc = -1;
        break;
      }
      int cb = mnl_cb_run(rbuf, (size_t)n, rseq, portid, NULL, NULL);
      if (cb == MNL_CB_STOP) break; /* the ack of our rule message */
      if (cb < 0) {
        out("error %s nf_tables %s: %s\n", id, on ? "add drop" : "delete drop", strerror(errno));
        rc = -1;
        break;
      }
    }
  }
  mnl_nlmsg_batch_stop(b);
  return rc;
}

/*
 * Sleeps until `target` (CLOCK_MONOTONIC ns), the last SPIN_NS spinning so the next change starts on
 * time. A signal cuts the wait short (the outage then ends early and the stamps say so): under
 * SCHED_FIFO a spin must never run longer than SPIN_NS.
 */
static void wait_until(int64_t target) {
  int64_t coarse = target - SPIN_NS;
  if (coarse > now_ns()) {
    struct timespec ts = {.tv_sec = coarse / 1000000000LL, .tv_nsec = coarse % 1000000000LL};
    while (!got_signal && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
  }
  while (!got_signal && now_ns() < target) {
  }
}

static int cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "delete table inet %s", table);
  return run("-", cmd) == 0;
}

static void finish(const char *why, int code) {
  int cleaned = cleanup();
  out("bye %s cleaned=%d\n", why, cleaned);
  nft_ctx_free(nft);
  exit(cleaned ? code : 1);
}

int main(int argc, char **argv) {
  const char *hook = "input";
  const char *matches[MAX_MATCHES];
  int nmatch = 0, fifo = 0;
  long long limit_ms = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      fprintf(stderr, "nftinject: %s needs a value\n", a);
      return 2;
    }
    if (strcmp(a, "--table") == 0) {
      if (!valid_name(v)) {
        fprintf(stderr, "nftinject: table name must be [a-z][a-z0-9_]* (< 64 chars)\n");
        return 2;
      }
      snprintf(table, sizeof table, "%s", v);
    } else if (strcmp(a, "--hook") == 0) {
      if (strcmp(v, "input") != 0 && strcmp(v, "output") != 0 && strcmp(v, "forward") != 0) {
        fprintf(stderr, "nftinject: --hook must be input, output or forward\n");
        return 2;
      }
      hook = v;
    } else if (strcmp(a, "--limit-ms") == 0) {
      limit_ms = atoll(v);
    } else if (strcmp(a, "--fifo") == 0) {
      fifo = atoi(v);
    } else if (strcmp(a, "--match") == 0) {
      if (nmatch == MAX_MATCHES || !valid_match(v)) {
        fprintf(stderr, "nftinject: at most %d --match, each without ; { } # or line breaks\n", MAX_MATCHES);
        return 2;
      }
      matches[nmatch++] = v;
    } else {
      fprintf(stderr, "nftinject: unknown option %s\n", a);
      return 2;
    }
    i++;
  }
  if (table[0] == '\0' || nmatch == 0 || limit_ms <= 0 || limit_ms > 3600000) {
    fprintf(stderr, "usage: nftinject --table T --hook input|output|forward --limit-ms N(1..3600000) [--fifo PRIO] --match EXPR...\n");
    return 2;
  }
  const int64_t deadline = now_ns() + limit_ms * 1000000LL;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR and the loop exits cleanly */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (fifo > 0) {
    /* Real-time priority keeps the stamps next to the commit when the host is loaded; the process
       sleeps between commands and is bounded by --limit-ms. Not fatal: the brackets show the effect. */
    struct sched_param sp = {.sched_priority = fifo};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) fprintf(stderr, "nftinject: SCHED_FIFO %d: %s\n", fifo, strerror(errno));
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) fprintf(stderr, "nftinject: mlockall: %s\n", strerror(errno));
  }

  nft = nft_ctx_new(NFT_CTX_DEFAULT);
  if (nft == NULL) {
    out("error - nft_ctx_new failed\n");
    return 1;
  }
  nft_ctx_buffer_error(nft);
  nft_ctx_buffer_output(nft);

  /* The whole setup is one atomic batch; flushing first empties a table a killed run left behind. */
  char setup[8192];
  size_t n = (size_t)snprintf(setup, sizeof setup,
                              "add table inet %s\nadd chain inet %s gate\nadd chain inet %s c { type filter hook %s priority -10 ; policy accept ; }\n"
                              "flush chain inet %s c\nflush chain inet %s gate\n",
                              table, table, table, hook, table, table);
  for (int i = 0; i < nmatch; i++) n += (size_t)snprintf(setup + n, sizeof setup - n, "add rule inet %s c %s jump gate\n", table, matches[i]);
  if (run("-", setup) != 0) finish("error", 1);
  nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    out("error - netlink socket: %s\n", strerror(errno));
    finish("error", 1);
  }
  portid = mnl_socket_get_portid(nl);
  seq = (uint32_t)time(NULL);
  out("ready %lld\n", (long long)now_ns());

  char line[256];
  size_t len = 0;
  for (;;) {
    if (got_signal) finish("signal", 0);
    int64_t left_ms = (deadline - now_ns()) / 1000000LL;
    if (left_ms <= 0) finish("limit", 0);
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    int pr = poll(&pfd, 1, (int)(left_ms > 1000 ? 1000 : left_ms));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    ssize_t r = read(0, line + len, sizeof line - 1 - len);
    if (r <= 0) finish("stdin-closed", 0);
    len += (size_t)r;
    line[len] = '\0';
    char *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
      *nl = '\0';
      char id[32];
      long long us;
      if (strcmp(line, "quit") == 0) {
        finish("quit", 0);
      } else if (sscanf(line, "clock %31s", id) == 1) {
        out("clock %s %lld\n", id, (long long)now_ns());
      } else if (sscanf(line, "pulse %31s %lld", id, &us) == 2) {
        if (us <= 0 || us > MAX_PULSE_US || now_ns() + us * 1000LL + 1000000000LL > deadline) {
          out("error %s pulse length out of range or past --limit-ms\n", id);
        } else {
          int64_t ab = now_ns();
          int rc = gate(id, 1);
          int64_t aa = now_ns();
          if (rc == 0) {
            wait_until(ab + us * 1000LL);
            int64_t db = now_ns();
            rc = gate(id, 0);
            int64_t da = now_ns();
            /* A drop rule that could not be removed must not stay: leave through the table delete. */
            if (rc != 0) finish("error", 1);
            out("pulse %s %lld %lld %lld %lld\n", id, (long long)ab, (long long)aa, (long long)db, (long long)da);
          }
        }
      } else {
        out("error - unknown command\n");
      }
      len -= (size_t)(nl + 1 - line);
      memmove(line, nl + 1, len + 1);
    }
    if (len == sizeof line - 1) {
      out("error - line too long\n");
      len = 0;
    }
  }
}
