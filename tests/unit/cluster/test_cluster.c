/* test_cluster: CUnit tests for core/cluster — the token comparison, and membership between
 * real processes: a coordinator here (with a stand-in for its HTTP front that serves
 * GET /v1/cluster), workers in forked children that join with a wrong token (refused over
 * the fabric), with the right one, steal work (STEAL_REQUEST → SUBRANGE → RESULT through the
 * work callbacks) and leave cleanly, or vanish (declared dead, reported to on_member). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_cluster.h"

static void test_token(void) {
  CU_ASSERT(pf_cluster_token_ok(NULL, NULL, 0));
  CU_ASSERT(pf_cluster_token_ok("", "anything", 8));
  CU_ASSERT(pf_cluster_token_ok("abc", "abc", 3));
  CU_ASSERT(!pf_cluster_token_ok("abc", "abd", 3));
  CU_ASSERT(!pf_cluster_token_ok("abc", "ab", 2));
  CU_ASSERT(!pf_cluster_token_ok("abc", "abcd", 4));
  CU_ASSERT(!pf_cluster_token_ok("abc", NULL, 0));
  CU_ASSERT(!pf_cluster_token_ok("abc", "abc\0", 4));
}

/* ---------------------------------------------------------------- processes */

enum { CHILD_WRONG_TOKEN, CHILD_LEAVES, CHILD_VANISHES, NCHILD };

static const uint8_t values_doc[] = {'P', 'F', 'B', '1', 0x01, 0x2a};

/* What a process's work callback saw. */
typedef struct seen {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int steals, subranges, results;
  uint32_t from;
  uint64_t job, task;
  pf_subrange sr;
  int values_ok;
  pf_cluster *cl; /* to answer from the callback */
  uint32_t left_id, dead_id;
  int members;
} seen;

static void on_work(void *ctx, const pf_fab_msg *m, uint32_t from) {
  seen *w = ctx;
  pthread_mutex_lock(&w->mu);
  w->from = from;
  if (m->type == PF_FAB_STEAL_REQUEST) {
    w->steals++;
    w->job = m->u.steal.job;
  } else if (m->type == PF_FAB_SUBRANGE) {
    w->subranges++;
    w->job = m->u.sub.job;
    w->task = m->u.sub.task;
    w->sr = m->u.sub.sr;
    w->values_ok = m->u.sub.values.n == sizeof values_doc &&
                   !memcmp(m->u.sub.values.p, values_doc, sizeof values_doc);
  } else if (m->type == PF_FAB_RESULT) {
    w->results++;
    w->job = m->u.result.job;
    w->task = m->u.result.task;
    w->values_ok = m->u.result.values.n == sizeof values_doc;
  }
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  if (m->type == PF_FAB_STEAL_REQUEST && w->cl) { /* answered from the callback */
    pf_fab_msg a;
    memset(&a, 0, sizeof a);
    a.type = PF_FAB_SUBRANGE;
    a.u.sub.job = m->u.steal.job;
    a.u.sub.task = 99;
    if (pf_subrange_init(&a.u.sub.sr, PF_FOLD_SUM, 42, 500, 1000, 1) != PF_OK)
      return;
    a.u.sub.values.p = values_doc;
    a.u.sub.values.n = sizeof values_doc;
    if (pf_cluster_send(w->cl, from, &a, 5.0) != PF_OK)
      fprintf(stderr, "cannot answer the steal\n");
  }
}

static void on_member(void *ctx, uint32_t id, uint32_t state) {
  seen *w = ctx;
  pthread_mutex_lock(&w->mu);
  if (state == PF_FAB_MEMBER_LEFT)
    w->left_id = id;
  if (state == PF_FAB_MEMBER_DEAD)
    w->dead_id = id;
  w->members++;
  pthread_mutex_unlock(&w->mu);
}

static int wait_count(seen *w, const int *counter, int n) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&w->mu);
  while (*counter < n)
    if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) != 0)
      break;
  int ok = *counter >= n;
  pthread_mutex_unlock(&w->mu);
  return ok;
}

static int child_main(int kind, int in) {
  unsigned port;
  if (read(in, &port, sizeof port) != sizeof port)
    return 10;
  char join[64], err[512] = "";
  snprintf(join, sizeof join, "127.0.0.1:%u", port);
  seen w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  pf_cluster_config cfg = {.fabric = "tcp", .join = join,
                           .token = kind == CHILD_WRONG_TOKEN ? "wrong" : "abc",
                           .threads = 3, .cores = 2, .numa_nodes = 1, .join_timeout_s = 10.0,
                           .on_work = on_work, .work_ctx = &w};
  pf_cluster *cl = NULL;
  pf_status_t st = pf_cluster_start(&cfg, &cl, err, sizeof err);
  if (kind == CHILD_WRONG_TOKEN)
    return st == PF_EINVAL && strstr(err, "refused the join: wrong or missing token") ? 0 : 11;
  if (st != PF_OK) {
    fprintf(stderr, "child %d: %s\n", kind, err);
    return 12;
  }
  if (pf_cluster_is_coordinator(cl) || pf_cluster_live(cl) != (kind == CHILD_LEAVES ? 2u : 3u))
    return 13;
  if (kind == CHILD_LEAVES) { /* a steal, answered with a subrange, answered with a result */
    pf_fab_msg m;
    memset(&m, 0, sizeof m);
    m.type = PF_FAB_STEAL_REQUEST;
    m.u.steal.job = 7;
    m.u.steal.idle = 3;
    if (pf_cluster_send(cl, 5, &m, 1.0) != PF_ENOENT || pf_cluster_send(cl, 0, &m, 5.0) != PF_OK)
      return 15;
    if (!wait_count(&w, &w.subranges, 1) || w.from != 0 || w.job != 7 || w.task != 99 ||
        w.sr.kind != PF_FOLD_SUM || w.sr.code_id != 42 || pf_subrange_count(&w.sr) != 500 ||
        !w.values_ok)
      return 16;
    memset(&m, 0, sizeof m);
    m.type = PF_FAB_RESULT;
    m.u.result.job = 7;
    m.u.result.task = 99;
    m.u.result.values.p = values_doc;
    m.u.result.values.n = sizeof values_doc;
    if (pf_cluster_send(cl, 0, &m, 5.0) != PF_OK)
      return 17;
  }
  char go;
  if (read(in, &go, 1) != 1)
    return 14;
  if (kind == CHILD_VANISHES)
    _exit(0); /* no LEAVE: the coordinator must notice the silence */
  pf_cluster_stop(cl);
  return 0;
}

typedef struct fake_http {
  int fd;
  pf_cluster *cl;
  atomic_int stop;
} fake_http;

/* Answers every connection with 200 and {"fabric": ...} of the coordinator. */
static void *http_main(void *arg) {
  fake_http *h = arg;
  while (!atomic_load(&h->stop)) {
    int c = accept(h->fd, NULL, NULL);
    if (c < 0)
      continue;
    char req[4096];
    ssize_t n = recv(c, req, sizeof req, 0);
    (void)n;
    json_t *doc = json_pack("{s:o}", "fabric", pf_cluster_fabric_json(h->cl));
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                      "%zu\r\nConnection: close\r\n\r\n",
                      strlen(body));
    if (send(c, head, (size_t)hn, MSG_NOSIGNAL) < 0 ||
        send(c, body, strlen(body), MSG_NOSIGNAL) < 0) {
    }
    free(body);
    close(c);
  }
  return NULL;
}

static const char *state_of(pf_cluster *cl, int id) {
  static char buf[16];
  json_t *arr = pf_cluster_machines_json(cl, json_object());
  size_t i;
  json_t *m;
  snprintf(buf, sizeof buf, "none");
  json_array_foreach(arr, i, m) {
    if (json_integer_value(json_object_get(m, "id")) == id)
      snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(m, "state")));
  }
  json_decref(arr);
  return buf;
}

static int wait_state(pf_cluster *cl, int id, const char *state, double timeout) {
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    if (!strcmp(state_of(cl, id), state))
      return 1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 > timeout)
      return 0;
    usleep(20000);
  }
}

static void test_membership(void) {
  /* Children first: fork before this process starts any thread. */
  int pipes[NCHILD][2];
  pid_t pids[NCHILD];
  for (int k = 0; k < NCHILD; k++) {
    CU_ASSERT_FATAL(pipe(pipes[k]) == 0);
    pids[k] = fork();
    CU_ASSERT_FATAL(pids[k] >= 0);
    if (pids[k] == 0)
      _exit(child_main(k, pipes[k][0]));
  }
  char err[512] = "";
  seen w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  pf_cluster_config cfg = {.fabric = "tcp", .token = "abc", .fabric_host = "127.0.0.1",
                           .threads = 4, .cores = 2, .numa_nodes = 1, .heartbeat_s = 0.1,
                           .dead_after_s = 0.6, .on_work = on_work, .on_member = on_member,
                           .work_ctx = &w};
  pf_cluster *cl = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_cluster_start(&cfg, &cl, err, sizeof err), PF_OK);
  w.cl = cl;
  CU_ASSERT_EQUAL(pf_cluster_self_id(cl), 0);
  CU_ASSERT(pf_cluster_is_coordinator(cl));
  CU_ASSERT_EQUAL(pf_cluster_live(cl), 1);
  json_t *fab = pf_cluster_fabric_json(cl);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(fab, "provider")), "tcp;ofi_rxm");
  CU_ASSERT(json_real_value(json_object_get(fab, "dead_after_s")) == 0.6);
  json_decref(fab);

  fake_http h = {socket(AF_INET, SOCK_STREAM, 0), cl, 0};
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  CU_ASSERT_FATAL(bind(h.fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(h.fd, 16) == 0);
  getsockname(h.fd, (struct sockaddr *)&a, &alen);
  unsigned port = ntohs(a.sin_port);
  pthread_t th;
  CU_ASSERT_FATAL(pthread_create(&th, NULL, http_main, &h) == 0);

  /* The wrong token is refused over the fabric. */
  CU_ASSERT(write(pipes[CHILD_WRONG_TOKEN][1], &port, sizeof port) == sizeof port);
  int status = -1;
  waitpid(pids[CHILD_WRONG_TOKEN], &status, 0);
  CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CU_ASSERT_EQUAL(pf_cluster_live(cl), 1);

  /* Two workers join: machines 1 and 2, in the order they join. */
  CU_ASSERT(write(pipes[CHILD_LEAVES][1], &port, sizeof port) == sizeof port);
  CU_ASSERT(wait_state(cl, 1, "alive", 10));
  /* It steals: the callback answers with a subrange, the worker with its result. */
  CU_ASSERT(wait_count(&w, &w.results, 1));
  CU_ASSERT_EQUAL(w.steals, 1);
  CU_ASSERT_EQUAL(w.from, 1);
  CU_ASSERT_EQUAL(w.job, 7);
  CU_ASSERT_EQUAL(w.task, 99);
  CU_ASSERT(w.values_ok);
  CU_ASSERT(write(pipes[CHILD_VANISHES][1], &port, sizeof port) == sizeof port);
  CU_ASSERT(wait_state(cl, 2, "alive", 10));
  CU_ASSERT_EQUAL(pf_cluster_live(cl), 3);
  json_t *arr = pf_cluster_machines_json(cl, json_object());
  CU_ASSERT_EQUAL(json_array_size(arr), 3);
  json_t *e = json_array_get(arr, 1);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "role")), "worker");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "threads")), 3);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "cores")), 2);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(arr, 0), "role")),
                         "coordinator");
  json_decref(arr);
  usleep(800000); /* longer than dead-after: heartbeats keep both alive */
  CU_ASSERT_EQUAL(pf_cluster_live(cl), 3);

  /* One leaves cleanly, the other vanishes. */
  CU_ASSERT(write(pipes[CHILD_LEAVES][1], "g", 1) == 1);
  CU_ASSERT(write(pipes[CHILD_VANISHES][1], "g", 1) == 1);
  CU_ASSERT(wait_state(cl, 1, "left", 5));
  CU_ASSERT(wait_state(cl, 2, "dead", 5));
  CU_ASSERT_EQUAL(pf_cluster_live(cl), 1);
  usleep(300000); /* the death is reported after the table changes */
  pthread_mutex_lock(&w.mu);
  CU_ASSERT_EQUAL(w.left_id, 1);
  CU_ASSERT_EQUAL(w.dead_id, 2);
  CU_ASSERT_EQUAL(w.members, 2);
  pthread_mutex_unlock(&w.mu);
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_STEAL_REQUEST;
  CU_ASSERT_EQUAL(pf_cluster_send(cl, 2, &m, 1.0), PF_ENOENT); /* dead */
  CU_ASSERT_EQUAL(pf_cluster_send(cl, 9, &m, 1.0), PF_ENOENT); /* never was */
  for (int k = CHILD_LEAVES; k < NCHILD; k++) {
    status = -1;
    waitpid(pids[k], &status, 0);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  atomic_store(&h.stop, 1);
  shutdown(h.fd, SHUT_RDWR);
  close(h.fd);
  pthread_join(th, NULL);
  pf_cluster_stop(cl);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("cluster", NULL, NULL);
  if (!s || !CU_add_test(s, "membership between processes", test_membership) ||
      !CU_add_test(s, "token comparison", test_token)) {
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
