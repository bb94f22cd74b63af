/* CUnit: the runtime with the real interpreter — submit, wait, release, cancel a running
 * computation, many computations on few threads, two runtimes in one process. */
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "pf_rt.h"

#define N(t_) "\"t\":\"" t_ "\",\"line\":1,\"col\":0"
#define DOC(body_, outputs_)                                                                     \
  "{\"ir_version\":1,\"files\":[\"t.py\"],\"definitions\":{},\"block\":{\"file\":0,\"line\":1,"  \
  "\"body\":[" body_ "],\"globals\":{},\"outputs\":[" outputs_ "]}}"

/* result = 6 * 7 */
static const char *doc_simple =
    DOC("{" N("Assign") ",\"targets\":[{" N("Name") ",\"id\":\"result\"}],\"value\":{" N("BinOp")
        ",\"left\":{" N("Constant") ",\"value\":6},\"op\":\"Mult\",\"right\":{" N("Constant")
        ",\"value\":7}}}",
        "\"result\"");
/* while True: pass */
static const char *doc_forever =
    DOC("{" N("While") ",\"test\":{" N("Constant") ",\"value\":true},\"body\":[{" N("Pass")
        "}],\"orelse\":[]}",
        "");

static json_t *parse(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fprintf(stderr, "test document does not parse: %s\n", e.text);
  return j;
}

static pf_rt *make_rt(unsigned threads) {
  pf_rt_config cfg = {threads};
  pf_rt *rt = NULL;
  if (pf_rt_create(&cfg, &rt) != PF_OK)
    return NULL;
  return rt;
}

/* Submits "text"; returns PF_OK and the id in "id". */
static pf_status_t submit(pf_rt *rt, const char *text, char *id, size_t id_len) {
  json_t *doc = parse(text), *err = NULL;
  if (!doc)
    return PF_EINVAL;
  pf_status_t st = pf_rt_submit(rt, doc, id, id_len, &err);
  json_decref(doc);
  json_decref(err);
  return st;
}

static const char *state_of(const json_t *doc) {
  return json_string_value(json_object_get(doc, "state"));
}

static void test_submit_wait(void) {
  pf_rt *rt = make_rt(2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
  char id[32];
  CU_ASSERT_EQUAL_FATAL(submit(rt, doc_simple, id, sizeof id), PF_OK);
  CU_ASSERT_EQUAL(id[0], 'c');
  json_t *st = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_rt_wait(rt, id, 30, &st), PF_OK);
  CU_ASSERT_STRING_EQUAL(state_of(st), "done");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(st, "id")), id);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(st, "values"), "result")), 42);
  CU_ASSERT(json_is_null(json_object_get(st, "exception")));
  json_decref(st);
  /* A finished computation can be read again until it is released. */
  CU_ASSERT_EQUAL(pf_rt_wait(rt, id, 0, &st), PF_OK);
  CU_ASSERT_STRING_EQUAL(state_of(st), "done");
  json_decref(st);
  int was_running = -1;
  CU_ASSERT_EQUAL(pf_rt_release(rt, id, &was_running), PF_OK);
  CU_ASSERT_EQUAL(was_running, 0);
  CU_ASSERT_EQUAL(pf_rt_wait(rt, id, 0, &st), PF_ENOENT);
  CU_ASSERT_EQUAL(pf_rt_release(rt, id, &was_running), PF_ENOENT);
  pf_rt_destroy(rt);
  pf_rt_destroy(NULL);
}

static void test_bad_input(void) {
  pf_rt *rt = make_rt(1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
  static const char *bad[] = {
      "{}",
      "[1, 2]",
      "{\"ir_version\":2,\"files\":[],\"definitions\":{},\"block\":{\"file\":0,\"line\":1,"
      "\"body\":[],\"globals\":{},\"outputs\":[]}}",
      DOC("{" N("Frobnicate") "}", ""),
      DOC("{" N("Assign") ",\"targets\":[],\"value\":null}", ""),
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *doc = parse(bad[i]), *err = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    char id[32];
    CU_ASSERT_EQUAL(pf_rt_submit(rt, doc, id, sizeof id, &err), PF_EPROTO);
    CU_ASSERT_PTR_NOT_NULL(err);
    CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(err, "type")));
    CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(err, "message")));
    json_decref(err);
    json_decref(doc);
  }
  static const char *ids[] = {"", "c", "c0", "x1", "c1x", "c99999999999999999999999999", "c1"};
  json_t *st = NULL;
  int wr;
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    st = NULL;
    CU_ASSERT_EQUAL(pf_rt_wait(rt, ids[i], 0, &st), PF_ENOENT);
    json_decref(st);
    CU_ASSERT_EQUAL(pf_rt_release(rt, ids[i], &wr), PF_ENOENT);
  }
  json_t *stats = pf_rt_stats_json(rt);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(stats, "computations_rejected")),
                  (json_int_t)(sizeof bad / sizeof bad[0]));
  json_decref(stats);
  pf_rt_destroy(rt);
}

static double elapsed(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static json_int_t busy_of(pf_rt *rt) {
  json_t *c = pf_rt_cluster_json(rt);
  json_int_t b = json_integer_value(json_object_get(c, "busy"));
  json_decref(c);
  return b;
}

static void test_cancel_running(void) {
  pf_rt *rt = make_rt(1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
  char id[32], id2[32];
  CU_ASSERT_EQUAL_FATAL(submit(rt, doc_forever, id, sizeof id), PF_OK);
  /* Queued behind the endless loop on the only thread. */
  CU_ASSERT_EQUAL_FATAL(submit(rt, doc_simple, id2, sizeof id2), PF_OK);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  json_t *st = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_rt_wait(rt, id, 0.3, &st), PF_OK);
  CU_ASSERT_STRING_EQUAL(state_of(st), "running");
  CU_ASSERT(elapsed(&t0) >= 0.25);
  json_decref(st);
  CU_ASSERT_EQUAL(busy_of(rt), 1);
  int was_running = 0;
  CU_ASSERT_EQUAL(pf_rt_release(rt, id, &was_running), PF_OK);
  CU_ASSERT_EQUAL(was_running, 1);
  /* The cancelled loop frees its thread; the queued computation then runs. */
  CU_ASSERT_EQUAL_FATAL(pf_rt_wait(rt, id2, 30, &st), PF_OK);
  CU_ASSERT_STRING_EQUAL(state_of(st), "done");
  json_decref(st);
  CU_ASSERT_EQUAL(pf_rt_wait(rt, id, 0, &st), PF_ENOENT);
  json_t *stats = pf_rt_stats_json(rt);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(stats, "computations_cancelled")), 1);
  json_decref(stats);

  /* Releasing a computation that is still queued cancels it before it starts. */
  char id3[32], id4[32];
  CU_ASSERT_EQUAL_FATAL(submit(rt, doc_forever, id3, sizeof id3), PF_OK);
  CU_ASSERT_EQUAL_FATAL(submit(rt, doc_simple, id4, sizeof id4), PF_OK);
  CU_ASSERT_EQUAL(pf_rt_release(rt, id4, &was_running), PF_OK);
  CU_ASSERT_EQUAL(was_running, 1);
  /* Destroying a runtime with a running computation cancels it and returns promptly. */
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pf_rt_destroy(rt);
  CU_ASSERT(elapsed(&t0) < 5);
}

static void test_many(void) {
  pf_rt *a = make_rt(2), *b = make_rt(3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  enum { K = 40 };
  char ids[K][32];
  for (int i = 0; i < K; i++)
    CU_ASSERT_EQUAL_FATAL(submit(i % 2 ? a : b, doc_simple, ids[i], sizeof ids[i]), PF_OK);
  for (int i = 0; i < K; i++) {
    json_t *st = NULL;
    CU_ASSERT_EQUAL_FATAL(pf_rt_wait(i % 2 ? a : b, ids[i], 30, &st), PF_OK);
    CU_ASSERT_STRING_EQUAL(state_of(st), "done");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(st, "values"), "result")),
                    42);
    json_decref(st);
  }
  json_t *stats = pf_rt_stats_json(a);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(stats, "computations_done")), K / 2);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(stats, "threads")), 2);
  json_decref(stats);
  json_t *cl = pf_rt_cluster_json(b);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(cl, "threads")), 3);
  json_t *topo = json_object_get(cl, "topology");
  CU_ASSERT(json_integer_value(json_object_get(topo, "pus")) >=
            json_integer_value(json_object_get(topo, "cores")));
  CU_ASSERT(json_integer_value(json_object_get(topo, "cores")) >= 1);
  json_decref(cl);
  pf_rt_destroy(a);
  pf_rt_destroy(b);
}

static void test_default_threads(void) {
  pf_rt *rt = make_rt(0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
  json_t *cl = pf_rt_cluster_json(rt);
  json_int_t threads = json_integer_value(json_object_get(cl, "threads"));
  json_int_t pus = json_integer_value(json_object_get(json_object_get(cl, "topology"), "pus"));
  CU_ASSERT(threads >= 1);
  CU_ASSERT_EQUAL(threads, pus);
  json_decref(cl);
  pf_rt_destroy(rt);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("rt", NULL, NULL);
  CU_add_test(s, "submit, wait, release", test_submit_wait);
  CU_add_test(s, "bad documents and ids", test_bad_input);
  CU_add_test(s, "cancel running and queued", test_cancel_running);
  CU_add_test(s, "many computations, two runtimes", test_many);
  CU_add_test(s, "one thread per PU by default", test_default_threads);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
