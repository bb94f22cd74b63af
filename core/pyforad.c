/* pyforad.c — the daemon: parses the command line, starts the runtime (core/rt) and the
 * HTTP front (core/server), and shuts both down cleanly on SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_cluster.h"
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
          "  --join HOST:PORT    join the cluster whose coordinator serves HTTP there, as a\n"
          "                      worker (no HTTP of its own unless --listen is given too)\n"
          "  --fabric NAME       libfabric provider between machines: tcp (default, tcp;ofi_rxm),\n"
          "                      verbs (verbs;ofi_rxm, InfiniBand) or shm (one host)\n"
          "  --token T           shared secret: required on every HTTP request (Authorization:\n"
          "                      Bearer T) and on join; needed when listening beyond loopback\n"
          "  --token-file F      read the token from the first line of file F\n"
          "  --heartbeat S       seconds between heartbeats (coordinator; default %.1f)\n"
          "  --dead-after S      a worker silent this long is dead (coordinator; default %.1f)\n"
          "  --verbose           log one line per request to stderr\n"
          "  --version           print the version and exit\n"
          "  --help              print this help and exit\n",
          PF_SERVER_DEFAULT_MAX_BODY, PF_CLUSTER_HEARTBEAT_S, PF_CLUSTER_DEAD_AFTER_S);
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

/* Parses a positive number of seconds (at most a day). */
static int parse_seconds(const char *s, double *out) {
  if (!s || !*s)
    return 0;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end || errno == ERANGE || !(v > 0 && v <= 86400))
    return 0;
  *out = v;
  return 1;
}

/* Resolves "host" to dotted IPv4 in "ip" (16 bytes); 0 when it does not resolve. */
static int resolve_ipv4(const char *host, char *ip) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
    return 0;
  inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, 16);
  freeaddrinfo(res);
  return 1;
}

/* Non-zero when "host" names a loopback address (127.0.0.0/8): only this machine can reach
 * a daemon bound there, so it needs no token. */
static int is_loopback(const char *host) {
  char ip[16];
  return resolve_ipv4(host, ip) && !strncmp(ip, "127.", 4);
}

/* Reads the token from the first line of "path" into a new string; NULL with a message. */
static char *read_token_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "pyforad: cannot read --token-file '%s': %s\n", path, strerror(errno));
    return NULL;
  }
  char line[1024];
  char *ok = fgets(line, sizeof line, f);
  fclose(f);
  size_t n = ok ? strcspn(line, "\r\n") : 0;
  while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
    n--;
  if (!n) {
    fprintf(stderr, "pyforad: --token-file '%s' holds no token on its first line\n", path);
    return NULL;
  }
  line[n] = 0;
  char *t = strdup(line);
  if (!t)
    fprintf(stderr, "pyforad: out of memory\n");
  return t;
}

static atomic_int coordinator_lost;

/* The worker lost its coordinator: say why and shut down like on SIGTERM. */
static void on_lost(void *ctx, int clean, const char *why) {
  (void)ctx;
  fprintf(stderr, "pyforad: %s; this worker stops\n", why);
  if (!clean)
    atomic_store(&coordinator_lost, 1);
  kill(getpid(), SIGTERM);
}

int main(int argc, char **argv) {
  char host[256] = "127.0.0.1";
  unsigned port = 30000;
  unsigned long long threads = 0, max_body = PF_SERVER_DEFAULT_MAX_BODY;
  int verbose = 0, topology = 0, listen_given = 0;
  const char *join = NULL, *fabric = NULL, *token_arg = NULL, *token_file = NULL;
  double heartbeat = 0, dead_after = 0;
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
      listen_given = 1;
      i++;
    } else if (!strcmp(a, "--join") || !strcmp(a, "--fabric") || !strcmp(a, "--token") ||
               !strcmp(a, "--token-file")) {
      if (!next || !*next) {
        fprintf(stderr, "pyforad: %s wants a value\n", a);
        return 2;
      }
      if (!strcmp(a, "--join")) {
        char jh[256];
        unsigned jp;
        if (!strchr(next, ':') || !parse_listen(next, jh, sizeof jh, &jp) || jp == 0) {
          fprintf(stderr, "pyforad: --join wants the coordinator's HOST:PORT (got '%s')\n", next);
          return 2;
        }
        join = next;
      } else if (!strcmp(a, "--fabric")) {
        if (strcmp(next, "tcp") && strcmp(next, "verbs") && strcmp(next, "shm")) {
          fprintf(stderr, "pyforad: --fabric wants tcp, verbs or shm (got '%s')\n", next);
          return 2;
        }
        fabric = next;
      } else if (!strcmp(a, "--token"))
        token_arg = next;
      else
        token_file = next;
      i++;
    } else if (!strcmp(a, "--heartbeat") || !strcmp(a, "--dead-after")) {
      if (!parse_seconds(next, !strcmp(a, "--heartbeat") ? &heartbeat : &dead_after)) {
        fprintf(stderr, "pyforad: %s wants a positive number of seconds (got '%s')\n", a,
                next ? next : "");
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

  char *token = NULL;
  if (token_arg && token_file) {
    fprintf(stderr, "pyforad: give --token or --token-file, not both\n");
    return 2;
  }
  if (token_file && !(token = read_token_file(token_file)))
    return 2;
  if (token_arg && !(token = strdup(token_arg)))
    return 1;
  for (const char *t = token; t && *t; t++)
    if (*t <= 0x20 || *t >= 0x7f) {
      fprintf(stderr, "pyforad: the token must be printable ASCII without spaces (it travels in "
                      "an HTTP header)\n");
      free(token);
      return 2;
    }
  if (heartbeat && dead_after && dead_after <= 2 * heartbeat) {
    fprintf(stderr, "pyforad: --dead-after must exceed two --heartbeat intervals\n");
    free(token);
    return 2;
  }
  int serve_http = !join || listen_given;
  char join_host[256] = "";
  if (join) {
    unsigned jp;
    if (!parse_listen(join, join_host, sizeof join_host, &jp)) /* checked above */
      join_host[0] = 0;
  }
  if (!token && ((serve_http && !is_loopback(host)) || (join && !is_loopback(join_host)))) {
    fprintf(stderr,
            "pyforad: refusing to start: %s %s is reachable from other machines, and without a "
            "shared token anyone who reaches it can run code here. Give --token T or "
            "--token-file F (the same to every pyforad, and to the clients: "
            "pyfora.connect(url, token=...) or PYFORA_TOKEN), or use a 127.0.0.1 address.\n",
            serve_http && !is_loopback(host) ? "listening on" : "joining",
            serve_http && !is_loopback(host) ? host : join_host);
    return 2;
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
  json_t *cl = pf_rt_cluster_json(rt);
  json_t *topo = json_object_get(cl, "topology");
  long long nthreads = cl ? (long long)json_integer_value(json_object_get(cl, "threads")) : 0LL;
  char err[512] = "";
  /* The cluster: every pyforad opens a fabric endpoint; a coordinator binds it to its HTTP
   * host (its host name's address when that is 0.0.0.0). */
  char fab_host[16] = "";
  if (!join && strcmp(host, "0.0.0.0") != 0 && !resolve_ipv4(host, fab_host))
    fab_host[0] = 0;
  pf_cluster_config ccfg = {
      .fabric = fabric,
      .join = join,
      .token = token,
      .fabric_host = fab_host[0] ? fab_host : NULL,
      .threads = (unsigned)nthreads,
      .cores = (unsigned)json_integer_value(json_object_get(topo, "cores")),
      .numa_nodes = (unsigned)json_integer_value(json_object_get(topo, "numa_nodes")),
      .http_port = serve_http ? port : 0,
      .heartbeat_s = heartbeat,
      .dead_after_s = dead_after,
      .verbose = verbose,
      .on_lost = on_lost,
      .on_work = pf_rt_cluster_on_work,
      .on_member = pf_rt_cluster_on_member,
      .work_ctx = rt,
  };
  json_decref(cl);
  pf_cluster *cluster = NULL;
  st = pf_cluster_start(&ccfg, &cluster, err, sizeof err);
  if (st != PF_OK) {
    if (join || fabric) {
      fprintf(stderr, "pyforad: %s\n", err);
      pf_rt_destroy(rt);
      free(token);
      return 1;
    }
    fprintf(stderr, "pyforad: no fabric, so no other machine can join: %s\n", err);
    cluster = NULL;
  }
  if (cluster && (st = pf_rt_attach_cluster(rt, cluster)) != PF_OK)
    fprintf(stderr, "pyforad: work will not move between machines: %s\n", pf_status_str(st));
  pf_server *srv = NULL;
  if (serve_http) {
    pf_server_config scfg = {host, port, (size_t)max_body, verbose};
    pf_server_cluster sc = {token, cluster};
    st = pf_server_start_cluster(&scfg, &sc, rt, &srv, err, sizeof err);
    if (st != PF_OK) {
      fprintf(stderr, "pyforad: %s\n", err);
      pf_rt_detach_cluster(rt);
      pf_cluster_stop(cluster);
      pf_rt_destroy(rt);
      free(token);
      return 1;
    }
  }
  if (join)
    fprintf(stderr, "pyforad %s worker joined the cluster of %s with %lld worker thread(s)%s",
            PF_SERVER_VERSION, join, nthreads, srv ? "" : "\n");
  if (srv)
    fprintf(stderr, "%slistening on http://%s:%u/ with %lld worker thread(s)\n",
            join ? ", " : "pyforad " PF_SERVER_VERSION " ", host, pf_server_port(srv), nthreads);

  int sig = 0;
  sigwait(&sigs, &sig);
  if (verbose)
    fprintf(stderr, "pyforad: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  pf_server_stop(srv);
  pf_rt_detach_cluster(rt);
  pf_cluster_stop(cluster);
  pf_rt_destroy(rt);
  free(token);
  return atomic_load(&coordinator_lost) ? 3 : 0;
}
