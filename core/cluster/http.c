/* http.c — the one HTTP request a worker makes: GET /v1/cluster of the coordinator, to learn
 * its fabric address before joining over the fabric. A plain blocking socket with timeouts,
 * "Connection: close", the body read to the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cluster_int.h"

#define HTTP_MAX_ANSWER ((size_t)4 << 20)

double pf_cluster_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double pf_cluster_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) {
      if (w < 0 && errno == EINTR)
        continue;
      return 0;
    }
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

pf_status_t pf_cluster_http_get(const char *host, unsigned port, const char *path,
                                const char *token, double timeout_s, int *status_p,
                                char **body_p, char *local, char *err, size_t err_len) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  char ports[16];
  snprintf(ports, sizeof ports, "%u", port);
  int gai = getaddrinfo(host, ports, &hints, &res);
  if (gai != 0 || !res) {
    snprintf(err, err_len, "cannot resolve '%s': %s", host, gai ? gai_strerror(gai) : "no address");
    if (res)
      freeaddrinfo(res);
    return PF_EIO;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    snprintf(err, err_len, "socket: %s", strerror(errno));
    return PF_EIO;
  }
  struct timeval tv = {(time_t)timeout_s, (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    snprintf(err, err_len, "cannot connect to %s:%u: %s", host, port, strerror(errno));
    freeaddrinfo(res);
    close(fd);
    return PF_EIO;
  }
  freeaddrinfo(res);
  struct sockaddr_in me;
  socklen_t mlen = sizeof me;
  if (getsockname(fd, (struct sockaddr *)&me, &mlen) == 0)
    inet_ntop(AF_INET, &me.sin_addr, local, 16);
  else
    snprintf(local, 16, "127.0.0.1");

  char head[8192];
  int hn = snprintf(head, sizeof head,
                    "GET %s HTTP/1.1\r\nHost: %s:%u\r\nAccept: application/json\r\n"
                    "Connection: close\r\n%s%s%s\r\n",
                    path, host, port, token && *token ? "Authorization: Bearer " : "",
                    token && *token ? token : "", token && *token ? "\r\n" : "");
  if (hn < 0 || (size_t)hn >= sizeof head || !send_all(fd, head, (size_t)hn)) {
    snprintf(err, err_len, "cannot send the request to %s:%u", host, port);
    close(fd);
    return PF_EIO;
  }
  size_t len = 0, cap = 16384;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return PF_ENOMEM;
  }
  for (;;) {
    if (cap - len < 4096) {
      if (cap >= HTTP_MAX_ANSWER)
        break;
      char *b = realloc(buf, cap * 2);
      if (!b)
        break;
      buf = b;
      cap *= 2;
    }
    ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = 0;
  int status = 0;
  char *body = strstr(buf, "\r\n\r\n");
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !body) {
    snprintf(err, err_len, "%s:%u did not answer HTTP", host, port);
    free(buf);
    return PF_EPROTO;
  }
  body += 4;
  memmove(buf, body, strlen(body) + 1);
  *status_p = status;
  *body_p = buf;
  return PF_OK;
}
