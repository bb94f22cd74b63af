/* fabbench — measures the fabric between two processes of this machine (a forked child
 * echoes messages and serves pages): message round trips, page fetches by RMA read and by
 * tagged message, and the size of the messages a subrange migration sends. Used by
 * scripts/bench/fabric; prints one JSON object.
 *   usage: fabbench [tcp|shm] [round trips] [pages of 1 MiB] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_fabric.h"

typedef struct box {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t got;
  pf_fab_msg last;
} box;

static void on_msg(void *ctx, const pf_fab_msg *m, pf_fab_addr from) {
  box *b = ctx;
  (void)from;
  pthread_mutex_lock(&b->mu);
  b->got++;
  b->last = *m;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_page(uint8_t *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)((i * 2654435761u) >> 13 ^ seed);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The child: publishes "pages" pages, echoes heartbeats until LEAVE. */
static int child(const char *fabric, int no_rma, int pages, int in, int out) {
  box b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}};
  pf_fab_config cfg = {fabric, "127.0.0.1", on_msg, &b, no_rma};
  pf_fab *fab = NULL;
  char err[512];
  if (pf_fab_open(&cfg, &fab, err, sizeof err) != PF_OK) {
    fprintf(stderr, "fabbench child: %s\n", err);
    return 1;
  }
  uint8_t *page = malloc(PF_FAB_PAGE_MAX), hash[PF_FAB_ID_SIZE];
  for (int k = 0; k < pages; k++) {
    fill_page(page, PF_FAB_PAGE_MAX, (unsigned)k + (no_rma ? 1000u : 0u));
    if (pf_fab_page_publish(fab, page, PF_FAB_PAGE_MAX, hash) != PF_OK)
      return 2;
  }
  free(page);
  uint8_t addr[PF_FAB_ADDR_MAX];
  size_t alen, plen;
  if (pf_fab_getname(fab, addr, sizeof addr, &alen) != PF_OK ||
      write(out, &alen, sizeof alen) != sizeof alen || write(out, addr, alen) != (ssize_t)alen ||
      read(in, &plen, sizeof plen) != sizeof plen || plen > sizeof addr ||
      read(in, addr, plen) != (ssize_t)plen)
    return 3;
  pf_fab_addr parent;
  if (pf_fab_insert(fab, addr, plen, &parent) != PF_OK)
    return 4;
  for (uint64_t seen = 1;; seen++) {
    pthread_mutex_lock(&b.mu);
    while (b.got < seen)
      pthread_cond_wait(&b.cv, &b.mu);
    pf_fab_msg m = b.last;
    pthread_mutex_unlock(&b.mu);
    if (m.type == PF_FAB_LEAVE)
      break;
    if (pf_fab_send(fab, parent, &m, 5.0) != PF_OK)
      return 5;
  }
  pf_fab_close(fab);
  return 0;
}

/* Measures against one child; prints a JSON fragment. */
static int run(const char *fabric, int no_rma, int rounds, int pages, int first) {
  int to_child[2], to_parent[2];
  if (pipe(to_child) || pipe(to_parent))
    return 1;
  pid_t pid = fork();
  if (pid == 0)
    _exit(child(fabric, no_rma, pages, to_child[0], to_parent[1]));
  box b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}};
  pf_fab_config cfg = {fabric, "127.0.0.1", on_msg, &b, 0};
  pf_fab *fab = NULL;
  char err[512];
  if (pf_fab_open(&cfg, &fab, err, sizeof err) != PF_OK) {
    fprintf(stderr, "fabbench: %s\n", err);
    return 1;
  }
  uint8_t addr[PF_FAB_ADDR_MAX], caddr[PF_FAB_ADDR_MAX];
  size_t alen, clen;
  pf_fab_addr peer;
  if (pf_fab_getname(fab, addr, sizeof addr, &alen) != PF_OK ||
      read(to_parent[0], &clen, sizeof clen) != sizeof clen || clen > sizeof caddr ||
      read(to_parent[0], caddr, clen) != (ssize_t)clen ||
      write(to_child[1], &alen, sizeof alen) != sizeof alen ||
      write(to_child[1], addr, alen) != (ssize_t)alen ||
      pf_fab_insert(fab, caddr, clen, &peer) != PF_OK)
    return 1;

  double *rtt = calloc((size_t)rounds, sizeof *rtt);
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_HEARTBEAT;
  for (int i = 0; i < rounds; i++) {
    m.seq = (uint64_t)i;
    double t0 = now();
    if (pf_fab_send(fab, peer, &m, 5.0) != PF_OK)
      return 1;
    pthread_mutex_lock(&b.mu);
    while (b.got < (uint64_t)i + 1)
      pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
    rtt[i] = (now() - t0) * 1e6;
  }
  qsort(rtt, (size_t)rounds, sizeof *rtt, cmp_double);

  uint8_t *page = malloc(PF_FAB_PAGE_MAX), hash[PF_FAB_ID_SIZE];
  double tp = 0;
  int ok = 1;
  for (int k = 0; k < pages && ok; k++) {
    fill_page(page, PF_FAB_PAGE_MAX, (unsigned)k + (no_rma ? 1000u : 0u));
    pf_fab_page_hash(page, PF_FAB_PAGE_MAX, hash);
    const uint8_t *data;
    size_t len;
    double t0 = now();
    ok = pf_fab_page_get(fab, peer, hash, 30.0, &data, &len) == PF_OK && len == PF_FAB_PAGE_MAX;
    tp += now() - t0;
    ok = ok && !memcmp(data, page, len);
  }
  free(page);
  pf_fab_stats s = pf_fab_get_stats(fab);
  printf("%s\"%s%s\": {\"provider\": \"%s\", \"round_trip_us\": {\"median\": %.1f, \"p99\": %.1f, "
         "\"n\": %d}, \"pages\": {\"n\": %d, \"bytes\": %zu, \"by\": \"%s\", \"ok\": %s, "
         "\"ms_per_page\": %.3f, \"MB_per_s\": %.1f}}",
         first ? "" : ", ", fabric, no_rma ? "_tagged" : "", pf_fab_provider(fab),
         rtt[rounds / 2], rtt[rounds * 99 / 100], rounds, pages, (size_t)PF_FAB_PAGE_MAX,
         s.pages_fetched_rma ? "rma" : "tagged", ok ? "true" : "false", tp / pages * 1e3,
         (double)pages * PF_FAB_PAGE_MAX / tp / 1e6);
  free(rtt);
  m.type = PF_FAB_LEAVE;
  if (pf_fab_send(fab, peer, &m, 5.0) != PF_OK)
    return 1;
  int status;
  waitpid(pid, &status, 0);
  pf_fab_close(fab);
  return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* Bytes of a SUBRANGE carrying "ndefs" definition ids and "vbytes" bytes of values, and of
 * its RESULT carrying "rbytes". */
static void migration_sizes(void) {
  static uint8_t defs[8 * PF_FAB_ID_SIZE], vals[64] = {'P', 'F', 'B', '1'};
  printf(", \"migration_bytes\": {");
  int ndefs[] = {0, 1, 8};
  for (int i = 0; i < 3; i++) {
    pf_fab_msg m;
    memset(&m, 0, sizeof m);
    m.type = PF_FAB_SUBRANGE;
    if (pf_subrange_init(&m.u.sub.sr, PF_FOLD_SUM, 1, 0, 1000000, 1) != PF_OK)
      return;
    m.u.sub.ndefs = (uint32_t)ndefs[i];
    m.u.sub.defs = defs;
    m.u.sub.values.p = vals;
    m.u.sub.values.n = 16;
    pf_buf b = {NULL, 0, 0};
    if (pf_fab_msg_encode(&m, &b) == PF_OK)
      printf("\"subrange_%d_defs_16B_values\": %zu, ", ndefs[i], b.len);
    free(b.data);
  }
  pf_fab_msg r;
  memset(&r, 0, sizeof r);
  r.type = PF_FAB_RESULT;
  r.u.result.values.p = vals;
  r.u.result.values.n = 14; /* PFB1 + an int64 */
  pf_buf b = {NULL, 0, 0};
  if (pf_fab_msg_encode(&r, &b) == PF_OK)
    printf("\"result_int64\": %zu, ", b.len);
  free(b.data);
  r.type = PF_FAB_STEAL_REQUEST;
  b.len = 0;
  if (pf_fab_msg_encode(&r, &b) == PF_OK)
    printf("\"steal_request\": %zu}", b.len);
  free(b.data);
}

int main(int argc, char **argv) {
  const char *fabric = argc > 1 ? argv[1] : "tcp";
  int rounds = argc > 2 ? atoi(argv[2]) : 10000;
  int pages = argc > 3 ? atoi(argv[3]) : 64;
  if (rounds < 1 || pages < 1)
    return 2;
  printf("{");
  int rc = run(fabric, 0, rounds, pages, 1);
  if (!rc)
    rc = run(fabric, 1, rounds, pages, 0);
  migration_sizes();
  printf("}\n");
  return rc;
}
