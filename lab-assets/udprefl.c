/*
 * udprefl: vmmi's in-guest reflector.
 *
 *   udprefl [UDP_PORT [TCP_PORT]]      (defaults 7 and 7; 0 disables one)
 *
 * - UDP: one dual-stack socket (IPv6, V6ONLY off) echoing every datagram's payload unchanged to its
 *   sender. The probes measure loss and gaps from these echoes, so nothing is added or reordered.
 * - TCP: an echo server for session-survival checks; up to MAX_CONN concurrent clients, each echoing
 *   what it receives until the peer closes. A connection that survives a migration keeps echoing.
 * Single-threaded poll() loop, no allocation after start, never exits on a client's error.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int main(int argc, char **argv) {
  int uport = argc > 1 ? atoi(argv[1]) : 7;
  int tport = argc > 2 ? atoi(argv[2]) : 7;
  signal(SIGPIPE, SIG_IGN);
  struct pollfd pf[2 + MAX_CONN];
  int n = 0;
  int ufd = -1, tfd = -1;
  if (uport > 0) {
    ufd = listen6(SOCK_DGRAM, uport);
    if (ufd < 0) { perror("udprefl: udp"); return 1; }
  }
  if (tport > 0) {
    tfd = listen6(SOCK_STREAM, tport);
    if (tfd < 0) { perror("udprefl: tcp"); return 1; }
  }
  pf[0].fd = ufd; pf[0].events = POLLIN;
  pf[1].fd = tfd; pf[1].events = POLLIN;
  for (int i = 0; i < MAX_CONN; i++) { pf[2 + i].fd = -1; pf[2 + i].events = POLLIN; }
  n = 2 + MAX_CONN;
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
