/* test_cluster: CUnit tests for core/cluster — the token comparison, and membership between
 * real processes: a coordinator here (with a stand-in for its HTTP front that serves
 * GET /v1/cluster), workers in forked children that join with a wrong token (refused over
 * the fabric), with the right one and leave cleanly, or vanish (declared dead). */
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

static int child_main(int kind, int in) {
  unsigned port;
  if (read(in, &port, sizeof port) != sizeof port)
    return 10;
  char join[64], err[512] = "";
  snprintf(join, sizeof join, "127.0.0.1:%u", port);
  pf_cluster_config cfg = {"tcp", join, kind == CHILD_WRONG_TOKEN ? "wrong" : "abc", NULL,
                           3, 2, 1, 0, 0, 0, 10.0, 0, NULL, NULL};
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
  pf_cluster_config cfg = {"tcp", NULL, "abc", "127.0.0.1", 4, 2, 1, 0, 0.1, 0.6, 0, 0, NULL,
                           NULL};
  pf_cluster *cl = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_cluster_start(&cfg, &cl, err, sizeof err), PF_OK);
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
  CU_ASSERT(write(pipes[CHILD_VANISHES][1], &port, sizeof port) == sizeof port);
  CU_ASSERT(wait_state(cl, 2, "alive", 10));
  CU_ASSERT_EQUAL(pf_cluster_live(cl), 3);
  json_t *arr = pf_cluster_machines_json(cl, json_object());
  CU_ASSERT_EQUAL(json_array_size(arr), 3);
  json_t *w = json_array_get(arr, 1);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(w, "role")), "worker");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "threads")), 3);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "cores")), 2);
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
