/*
 * nlroute: applies static routes through rtnetlink for an emulated switch's data-plane agent.
 *
 *   nlroute        (commands on stdin, one answer per command on stdout)
 *
 * Contract (src/lab/agent/netlink.ts speaks it):
 * - A command is one line: `ID VERB PREFIX/LEN [via ADDR] [dev NAME]`, VERB `replace` or `del`,
 *   PREFIX and ADDR IPv4 or IPv6 literals of the same family (IPv6 `via` may be link-local with `dev`).
 *   ID is an opaque token without spaces, echoed back.
 * - The answer is `ID ok` or `ID err ERRNO TEXT` (TEXT: strerror, or what was malformed), written and
 *   flushed before the next command is read: the caller knows exactly when the kernel took the route.
 * - Routes go to the main table with protocol static (what `ip route replace … proto static` makes, so
 *   the agent's kernel reads and FRR's `redistribute kernel` see the same routes either way); a route
 *   with a next hop is scope universe, one with only a device scope link.
 * - It exits when stdin closes (the agent went away) or on a netlink socket error it cannot answer.
 *
 * Why: the agent used to spawn `ip` per route. Under load one spawn took 30-60 ms, so a host route
 * reached the kernel 70-140 ms after its commit; one netlink request with an ACK takes microseconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_LEN 512

struct req {
  struct nlmsghdr n;
  struct rtmsg r;
  char attrs[256];
};

static int nl_fd = -1;
static uint32_t seq = 0;

static void add_attr(struct req *q, unsigned short type, const void *data, size_t len) {
  struct rtattr *rta = (struct rtattr *)((char *)&q->n + NLMSG_ALIGN(q->n.nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH(len);
  memcpy(RTA_DATA(rta), data, len);
  q->n.nlmsg_len = NLMSG_ALIGN(q->n.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Parses `a.b.c.d` or an IPv6 literal into buf; returns the family or 0. */
static int parse_addr(const char *s, unsigned char *buf) {
  if (inet_pton(AF_INET, s, buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, s, buf) == 1) return AF_INET6;
  return 0;
}

/* Sends one request and waits for its ACK: 0 or a positive errno. */
static int talk(struct req *q) {
  q->n.nlmsg_seq = ++seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(nl_fd, q, q->n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(nl_fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != q->n.nlmsg_seq) continue; /* a stale answer to nothing we wait for */
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        return -e->error;
      }
    }
  }
}

/* Answers one command line (without its newline). */
static void handle(char *line) {
  char *save = NULL;
  char *id = strtok_r(line, " \t", &save);
  if (id == NULL) return;
  char *verb = strtok_r(NULL, " \t", &save);
  char *prefix = strtok_r(NULL, " \t", &save);
  const char *via = NULL, *dev = NULL;
  for (char *k; (k = strtok_r(NULL, " \t", &save)) != NULL;) {
    char *v = strtok_r(NULL, " \t", &save);
    if (v == NULL) { printf("%s err %d missing value after %s\n", id, EINVAL, k); return; }
    if (strcmp(k, "via") == 0) via = v;
    else if (strcmp(k, "dev") == 0) dev = v;
    else { printf("%s err %d unknown keyword %s\n", id, EINVAL, k); return; }
  }
  int del;
  if (verb != NULL && strcmp(verb, "replace") == 0) del = 0;
  else if (verb != NULL && strcmp(verb, "del") == 0) del = 1;
  else { printf("%s err %d verb must be replace or del\n", id, EINVAL); return; }
  if (prefix == NULL) { printf("%s err %d missing PREFIX/LEN\n", id, EINVAL); return; }
  char *slash = strchr(prefix, '/');
  if (slash == NULL) { printf("%s err %d %s has no /LEN\n", id, EINVAL, prefix); return; }
  *slash = '\0';
  char *end = NULL;
  long len = strtol(slash + 1, &end, 10);
  unsigned char dst[16], gw[16];
  int fam = parse_addr(prefix, dst);
  if (fam == 0 || end == slash + 1 || *end != '\0' || len < 0 || len > (fam == AF_INET ? 32 : 128)) {
    printf("%s err %d bad prefix %s/%s\n", id, EINVAL, prefix, slash + 1);
    return;
  }
  int gw_fam = 0;
  if (via != NULL && (gw_fam = parse_addr(via, gw)) != fam) {
    printf("%s err %d next hop %s is not of the prefix's family\n", id, EINVAL, via);
    return;
  }
  unsigned ifindex = 0;
  if (dev != NULL && (ifindex = if_nametoindex(dev)) == 0) {
    printf("%s err %d no device %s\n", id, ENODEV, dev);
    return;
  }
  struct req q;
  memset(&q, 0, sizeof q);
  q.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  q.n.nlmsg_type = del ? RTM_DELROUTE : RTM_NEWROUTE;
  q.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : NLM_F_CREATE | NLM_F_REPLACE);
  q.r.rtm_family = (unsigned char)fam;
  q.r.rtm_dst_len = (unsigned char)len;
  q.r.rtm_table = RT_TABLE_MAIN;
  q.r.rtm_protocol = RTPROT_STATIC;
  q.r.rtm_type = RTN_UNICAST;
  q.r.rtm_scope = del ? RT_SCOPE_NOWHERE : (via != NULL ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  add_attr(&q, RTA_DST, dst, fam == AF_INET ? 4 : 16);
  if (via != NULL) add_attr(&q, RTA_GATEWAY, gw, fam == AF_INET ? 4 : 16);
  if (ifindex != 0) add_attr(&q, RTA_OIF, &ifindex, sizeof ifindex);
  int err = talk(&q);
  if (err == 0) printf("%s ok\n", id);
  else printf("%s err %d %s\n", id, err, strerror(err));
}

int main(void) {
  nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl_fd < 0) { perror("nlroute: netlink socket"); return 1; }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(nl_fd, (struct sockaddr *)&local, sizeof local) < 0) { perror("nlroute: bind"); return 1; }
  char line[LINE_MAX_LEN];
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    else if (n == sizeof line - 1) { /* over-long: drain the rest and refuse */
      int c;
      while ((c = getchar()) != EOF && c != '\n') {}
      char *sp = strchr(line, ' ');
      if (sp != NULL) *sp = '\0';
      printf("%s err %d line too long\n", line, EINVAL);
      fflush(stdout);
      continue;
    }
    handle(line);
    fflush(stdout);
  }
  return 0;
}
