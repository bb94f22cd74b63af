/* CUnit: the runtime with the real interpreter — submit, wait, release, cancel a running
 * computation, many computations on few threads, two runtimes in one process. */
#include <stdio.h>
#include <stdlib.h>
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
  pf_rt_config cfg = {threads, PF_JIT_OFF};
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

/* x = [1, 2] under download policy "pol_" (JSON text) */
#define DOC_LIST(pol_)                                                                          \
  "{\"ir_version\":1,\"download\":" pol_ ",\"files\":[\"t.py\"],\"definitions\":{},"        \
  "\"block\":{\"file\":0,\"line\":1,\"body\":[{" N("Assign") ",\"targets\":[{" N("Name")       \
  ",\"id\":\"x\"}],\"value\":{" N("List") ",\"elts\":[{" N("Constant") ",\"value\":1},{"        \
  N("Constant") ",\"value\":2}]}}],\"globals\":{},\"outputs\":[\"x\"]}}"

/* Runs "text" to completion; returns new "values" of its result (NULL on failure). */
static json_t *run_values(pf_rt *rt, const char *text) {
  char id[32];
  json_t *st = NULL;
  if (submit(rt, text, id, sizeof id) != PF_OK || pf_rt_wait(rt, id, 30, &st) != PF_OK)
    return NULL;
  json_t *v = json_incref(json_object_get(st, "values"));
  json_decref(st);
  int wr;
  if (pf_rt_release(rt, id, &wr) != PF_OK) {
    json_decref(v);
    return NULL;
  }
  return v;
}

static void test_objects(void) {
  pf_rt *rt = make_rt(2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
  /* "none": the output is stored, the result has its proxy */
  json_t *v = run_values(rt, DOC_LIST("\"none\""));
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  json_t *x = json_object_get(v, "x");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(x, "type")), "list");
  char oid[32];
  snprintf(oid, sizeof oid, "%s", json_string_value(json_object_get(x, "object")));
  CU_ASSERT_EQUAL(oid[0], 'o');
  json_decref(v);
  CU_ASSERT_EQUAL(pf_rt_object_count(rt), 1);
  char *text = NULL;
  size_t len = 0;
  CU_ASSERT_EQUAL_FATAL(pf_rt_object_json(rt, oid, 0, &text, &len), PF_OK);
  CU_ASSERT_STRING_EQUAL(text, "{\"list\":[1,2]}");
  CU_ASSERT_EQUAL(len, strlen(text));
  free(text);
  text = NULL;
  CU_ASSERT_EQUAL(pf_rt_object_json(rt, oid, 3, &text, &len), PF_ERANGE);
  CU_ASSERT_EQUAL(len, 14);
  CU_ASSERT_PTR_NULL(text);
  /* a later block uses it through an "object" definition: y = len(x) */
  char doc2[1024];
  snprintf(doc2, sizeof doc2,
           "{\"ir_version\":1,\"files\":[\"t.py\"],\"definitions\":{\"d1\":{\"kind\":\"object\","
           "\"id\":\"%s\"}},\"block\":{\"file\":0,\"line\":1,\"body\":[{" N("Assign")
           ",\"targets\":[{" N("Name") ",\"id\":\"y\"}],\"value\":{" N("Call") ",\"func\":{" N("Name")
           ",\"id\":\"len\"},\"args\":[{" N("Name") ",\"id\":\"x\"}],\"keywords\":[]}}],"
           "\"globals\":{\"x\":\"d1\"},\"outputs\":[\"y\"]}}",
           oid);
  v = run_values(rt, doc2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "y")), 2);
  json_decref(v);
  /* released: unknown everywhere, and a document naming it is refused with NotFound */
  CU_ASSERT_EQUAL(pf_rt_object_release(rt, oid), PF_OK);
  CU_ASSERT_EQUAL(pf_rt_object_release(rt, oid), PF_ENOENT);
  CU_ASSERT_EQUAL(pf_rt_object_json(rt, oid, 0, &text, &len), PF_ENOENT);
  json_t *doc = parse(doc2), *err = NULL;
  char id[32];
  CU_ASSERT_EQUAL(pf_rt_submit(rt, doc, id, sizeof id, &err), PF_EPROTO);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(err, "type")), "NotFound");
  json_decref(err);
  json_decref(doc);
  /* max_bytes: the binary encoding of [1, 2] (22 bytes: magic, tag, count, 2 x 8) fits in
   * 22, not in 21 */
  v = run_values(rt, DOC_LIST("{\"max_bytes\":22}"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(v, "x"), "list")), 2);
  json_decref(v);
  v = run_values(rt, DOC_LIST("{\"max_bytes\":21}"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(v, "x"), "size")), 22);
  json_decref(v);
  v = run_values(rt, DOC_LIST("\"all\""));
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(v, "x"), "list")), 2);
  json_decref(v);
  CU_ASSERT_EQUAL(pf_rt_object_count(rt), 1); /* the max_bytes 21 one */
  /* a malformed policy is refused */
  doc = parse(DOC_LIST("\"some\""));
  err = NULL;
  CU_ASSERT_EQUAL(pf_rt_submit(rt, doc, id, sizeof id, &err), PF_EPROTO);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(err, "type")), "InvalidRequest");
  json_decref(err);
  json_decref(doc);
  /* uploads */
  json_t *val = parse("{\"list\":[1,{\"int\":\"10000000000000000\"}]}");
  char msg[300];
  CU_ASSERT_EQUAL(pf_rt_object_put_json(rt, val, NULL, oid, sizeof oid, msg, sizeof msg), PF_OK);
  json_decref(val);
  CU_ASSERT_EQUAL_FATAL(pf_rt_object_json(rt, oid, 0, &text, &len), PF_OK);
  CU_ASSERT_STRING_EQUAL(text, "{\"list\":[1,{\"int\":\"10000000000000000\"}]}");
  free(text);
  val = parse("{\"ref\":\"d1\"}");
  CU_ASSERT_EQUAL(pf_rt_object_put_json(rt, val, NULL, oid, sizeof oid, msg, sizeof msg), PF_EPROTO);
  json_decref(val);
  pf_rt_destroy(rt); /* frees what is still stored */
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* x = [1, 2] in session "sid", kept remote */
static int run_in_session(pf_rt *rt, const char *sid) {
  char text[1200];
  const char *body = DOC_LIST("\"none\"");
  snprintf(text, sizeof text, "{\"session\":\"%s\",%s", sid, body + 1);
  json_t *v = run_values(rt, text);
  int ok = v && json_object_get(json_object_get(v, "x"), "object");
  json_decref(v);
  return ok;
}

static void test_sessions(void) {
  pf_rt *rt = make_rt(1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
  char a[32], b[32];
  CU_ASSERT_EQUAL(pf_rt_session_open(rt, 0, a, sizeof a), PF_EINVAL);
  CU_ASSERT_EQUAL_FATAL(pf_rt_session_open(rt, 0.4, a, sizeof a), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_rt_session_open(rt, 0.4, b, sizeof b), PF_OK);
  CU_ASSERT_STRING_NOT_EQUAL(a, b);
  CU_ASSERT(run_in_session(rt, a));
  CU_ASSERT(run_in_session(rt, b));
  CU_ASSERT(run_in_session(rt, b));
  CU_ASSERT_EQUAL(pf_rt_object_count(rt), 3);
  /* b keeps beating, a vanishes */
  for (int i = 0; i < 12; i++) {
    sleep_s(0.1);
    CU_ASSERT_EQUAL(pf_rt_session_touch(rt, b), PF_OK);
  }
  CU_ASSERT_EQUAL(pf_rt_object_count(rt), 2);
  CU_ASSERT_EQUAL(pf_rt_session_touch(rt, a), PF_ENOENT);
  json_t *stats = pf_rt_stats_json(rt);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(stats, "sessions_expired")), 1);
  json_decref(stats);
  /* a computation in an expired session is refused */
  char text[1200];
  const char *body = DOC_LIST("\"none\"");
  snprintf(text, sizeof text, "{\"session\":\"%s\",%s", a, body + 1);
  json_t *doc = parse(text), *err = NULL;
  char id[32];
  CU_ASSERT_EQUAL(pf_rt_submit(rt, doc, id, sizeof id, &err), PF_EPROTO);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(err, "type")), "NotFound");
  json_decref(err);
  json_decref(doc);
  size_t released = 0;
  CU_ASSERT_EQUAL(pf_rt_session_close(rt, b, &released), PF_OK);
  CU_ASSERT_EQUAL(released, 2);
  CU_ASSERT_EQUAL(pf_rt_object_count(rt), 0);
  CU_ASSERT_EQUAL(pf_rt_session_close(rt, b, &released), PF_ENOENT);
  /* a session whose computation runs longer than its lease is not expired meanwhile */
  CU_ASSERT_EQUAL_FATAL(pf_rt_session_open(rt, 0.2, a, sizeof a), PF_OK);
  snprintf(text, sizeof text, "{\"session\":\"%s\",%s", a, doc_forever + 1);
  doc = parse(text);
  CU_ASSERT_EQUAL_FATAL(pf_rt_submit(rt, doc, id, sizeof id, &err), PF_OK);
  json_decref(doc);
  sleep_s(0.8);
  CU_ASSERT_EQUAL(pf_rt_session_touch(rt, a), PF_OK);
  int wr;
  CU_ASSERT_EQUAL(pf_rt_release(rt, id, &wr), PF_OK);
  pf_rt_destroy(rt);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("rt", NULL, NULL);
  CU_add_test(s, "submit, wait, release", test_submit_wait);
  CU_add_test(s, "objects: policies, reuse, release, uploads", test_objects);
  CU_add_test(s, "sessions: leases, heartbeats, close", test_sessions);
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
