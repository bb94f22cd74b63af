/* pyforad.c — the daemon: parses the command line, starts the runtime (core/rt) and the
 * HTTP front (core/server), and shuts both down cleanly on SIGINT/SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_rt.h"
#include "pf_server.h"
#include "pf_topo.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: pyforad [options]\n"
          "  --listen HOST:PORT  address to serve HTTP on (default 127.0.0.1:30000;\n"
          "                      HOST is an IPv4 address or a name such as localhost)\n"
          "  --threads N         worker threads (default 0: one per hardware thread)\n"
          "  --jit=MODE          native tier: off, auto (compile hot functions; default) or\n"
          "                      always (compile at the first call, report what cannot be)\n"
          "  --max-body BYTES    largest accepted request body (default %zu)\n"
          "  --topology          print the hardware topology and the thread pinning plan, exit\n"
          "  --verbose           log one line per request to stderr\n"
          "  --version           print the version and exit\n"
          "  --help              print this help and exit\n",
          PF_SERVER_DEFAULT_MAX_BODY);
}

/* Parses an unsigned decimal "s" no larger than "max" into *out; returns 0 when invalid. */
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out) {
  if (!s || !*s || *s == '-' || *s == '+')
    return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno == ERANGE || v > max)
    return 0;
  *out = v;
  return 1;
}

/* Splits "HOST:PORT" (or ":PORT", or "PORT") into "host" and *port_p. */
static int parse_listen(const char *s, char *host, size_t host_len, unsigned *port_p) {
  const char *colon = strrchr(s, ':');
  const char *port_s = colon ? colon + 1 : s;
  unsigned long long port;
  if (!parse_uint(port_s, 65535, &port))
    return 0;
  size_t hl = colon ? (size_t)(colon - s) : 0;
  if (hl >= host_len)
    return 0;
  if (hl == 0)
    snprintf(host, host_len, "127.0.0.1");
  else
    snprintf(host, host_len, "%.*s", (int)hl, s);
  *port_p = (unsigned)port;
  return 1;
}

static void on_signal(int sig) { (void)sig; }

int main(int argc, char **argv) {
  char host[256] = "127.0.0.1";
  unsigned port = 30000;
  unsigned long long threads = 0, max_body = PF_SERVER_DEFAULT_MAX_BODY;
  int verbose = 0, topology = 0;
  pf_jit_mode jit = PF_JIT_AUTO;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--version")) {
      printf("pyforad %s (protocol %d, IR version %d)\n", PF_SERVER_VERSION, PF_PROTOCOL_VERSION,
             PF_IR_VERSION);
      return 0;
    } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
      verbose = 1;
    } else if (!strcmp(a, "--topology")) {
      topology = 1;
    } else if (!strcmp(a, "--listen")) {
      if (!next || !parse_listen(next, host, sizeof host, &port)) {
        fprintf(stderr, "pyforad: --listen wants HOST:PORT (got '%s')\n", next ? next : "");
        return 2;
      }
      i++;
    } else if (!strncmp(a, "--jit=", 6) || !strcmp(a, "--jit")) {
      const char *m = a[5] == '=' ? a + 6 : next;
      if (pf_jit_mode_parse(m, &jit) != PF_OK) {
        fprintf(stderr, "pyforad: --jit wants off, auto or always (got '%s')\n", m ? m : "");
        return 2;
      }
      if (a[5] != '=')
        i++;
    } else if (!strcmp(a, "--threads")) {
      if (!parse_uint(next, 4096, &threads)) {
        fprintf(stderr, "pyforad: --threads wants a number from 0 to 4096 (got '%s')\n",
                next ? next : "");
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--max-body")) {
      if (!parse_uint(next, (unsigned long long)SIZE_MAX, &max_body) || max_body == 0) {
        fprintf(stderr, "pyforad: --max-body wants a positive number of bytes (got '%s')\n",
                next ? next : "");
        return 2;
      }
      i++;
    } else {
      fprintf(stderr, "pyforad: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }

  if (topology) {
    pf_topo *topo = NULL;
    pf_status_t st = pf_topo_load(&topo);
    if (st != PF_OK) {
      fprintf(stderr, "pyforad: cannot load the hardware topology: %s\n", pf_status_str(st));
      return 1;
    }
    pf_topo_print(topo, (unsigned)threads, stdout);
    pf_topo_destroy(topo);
    return 0;
  }

  /* Every thread created from here on inherits this mask; main alone takes the signals, in
   * sigwait. The no-op handler undoes an inherited SIG_IGN (background jobs of a shell). */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  pf_rt_config rcfg = {(unsigned)threads, jit};
  pf_rt *rt = NULL;
  pf_status_t st = pf_rt_create(&rcfg, &rt);
  if (st != PF_OK) {
    fprintf(stderr, "pyforad: cannot start the runtime: %s\n", pf_status_str(st));
    return 1;
  }
  pf_server_config scfg = {host, port, (size_t)max_body, verbose};
  pf_server *srv = NULL;
  char err[512] = "";
  st = pf_server_start(&scfg, rt, &srv, err, sizeof err);
  if (st != PF_OK) {
    fprintf(stderr, "pyforad: %s\n", err);
    pf_rt_destroy(rt);
    return 1;
  }
  json_t *cl = pf_rt_cluster_json(rt);
  fprintf(stderr, "pyforad %s listening on http://%s:%u/ with %lld worker thread(s)\n",
          PF_SERVER_VERSION, host, pf_server_port(srv),
          cl ? (long long)json_integer_value(json_object_get(cl, "threads")) : 0LL);
  json_decref(cl);

  int sig = 0;
  sigwait(&sigs, &sig);
  if (verbose)
    fprintf(stderr, "pyforad: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  pf_server_stop(srv);
  pf_rt_destroy(rt);
  return 0;
}
