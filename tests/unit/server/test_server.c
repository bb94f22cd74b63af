/* CUnit: the HTTP front over a real socket — every endpoint, every error status, the body
 * limit, long polls, and a clear refusal when the port is taken. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "pf_rt.h"
#include "pf_server.h"

static pf_rt *rt;
static pf_server *srv;

typedef struct reply {
  int status;
  json_t *json; /* the body parsed, or NULL */
  char *raw;
} reply;

static void reply_free(reply *r) {
  json_decref(r->json);
  free(r->raw);
  memset(r, 0, sizeof *r);
}

/* Sends "head" (request line and headers, without the blank line) and "body" of "body_len"
 * bytes; reads the whole reply (the request asks the server to close). */
static reply http(const char *head, const char *body, size_t body_len) {
  reply r = {0, NULL, NULL};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)pf_server_port(srv));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return r;
  }
  char hdr[1024];
  int n = snprintf(hdr, sizeof hdr, "%s\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", head);
  if (send(fd, hdr, (size_t)n, MSG_NOSIGNAL) != n) {
    close(fd);
    return r;
  }
  size_t off = 0;
  while (off < body_len) {
    ssize_t k = send(fd, body + off, body_len - off, MSG_NOSIGNAL);
    if (k <= 0)
      break;
    off += (size_t)k;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1024 > cap)
      buf = realloc(buf, cap *= 2);
    ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
    if (k <= 0)
      break;
    len += (size_t)k;
  }
  buf[len] = 0;
  close(fd);
  r.raw = buf;
  sscanf(buf, "HTTP/1.%*d %d", &r.status);
  char *b = strstr(buf, "\r\n\r\n");
  if (b)
    r.json = json_loads(b + 4, JSON_DECODE_ANY, NULL);
  return r;
}

static reply get(const char *path) {
  char head[512];
  snprintf(head, sizeof head, "GET %s HTTP/1.1", path);
  return http(head, NULL, 0);
}

static reply post(const char *path, const char *body) {
  char head[512];
  snprintf(head, sizeof head,
           "POST %s HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %zu", path,
           strlen(body));
  return http(head, body, strlen(body));
}

static const char *error_type(const reply *r) {
  return json_string_value(json_object_get(json_object_get(r->json, "error"), "type"));
}

static const char *error_message(const reply *r) {
  return json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
}

static int setup(void) {
  pf_rt_config rc = {2, PF_JIT_OFF};
  if (pf_rt_create(&rc, &rt) != PF_OK)
    return 1;
  pf_server_config sc = {"127.0.0.1", 0, 4096, 0};
  char err[256];
  if (pf_server_start(&sc, rt, &srv, err, sizeof err) != PF_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  return 0;
}

static int teardown(void) {
  pf_server_stop(srv);
  pf_rt_destroy(rt);
  return 0;
}

static void test_hello_cluster_stats(void) {
  reply r = get("/v1/hello");
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.json, "protocol")), 1);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.json, "ir_version")), 1);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.json, "threads")), 2);
  reply_free(&r);
  r = get("/v1/cluster");
  CU_ASSERT_EQUAL(r.status, 200);
  json_t *m = json_array_get(json_object_get(r.json, "machines"), 0);
  CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(m, "address")));
  CU_ASSERT(json_integer_value(json_object_get(json_object_get(m, "topology"), "pus")) >= 1);
  reply_free(&r);
  r = get("/v1/stats");
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT(json_integer_value(json_object_get(r.json, "requests")) >= 3);
  reply_free(&r);
  r = get("/");
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.raw, "pyforad"));
  reply_free(&r);
}

static void test_errors(void) {
  reply r = post("/v1/computations", "{\"ir_version\": 1,");
  CU_ASSERT_EQUAL(r.status, 400);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "InvalidRequest");
  CU_ASSERT_PTR_NOT_NULL(error_message(&r) ? strstr(error_message(&r), "line 1") : NULL);
  reply_free(&r);
  r = post("/v1/computations", "");
  CU_ASSERT_EQUAL(r.status, 400);
  reply_free(&r);
  r = post("/v1/computations", "{\"ir_version\": 7}");
  CU_ASSERT_EQUAL(r.status, 400);
  CU_ASSERT_PTR_NOT_NULL(error_message(&r));
  reply_free(&r);
  r = get("/v1/nothing");
  CU_ASSERT_EQUAL(r.status, 404);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "NotFound");
  reply_free(&r);
  r = get("/v1/computations/c12345");
  CU_ASSERT_EQUAL(r.status, 404);
  reply_free(&r);
  r = get("/v1/computations/c1/extra");
  CU_ASSERT_EQUAL(r.status, 404);
  reply_free(&r);
  r = http("DELETE /v1/computations/zz HTTP/1.1", NULL, 0);
  CU_ASSERT_EQUAL(r.status, 404);
  reply_free(&r);
  r = post("/v1/hello", "{}");
  CU_ASSERT_EQUAL(r.status, 405);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "MethodNotAllowed");
  CU_ASSERT_PTR_NOT_NULL(strstr(r.raw, "Allow: GET"));
  reply_free(&r);
  r = get("/v1/computations");
  CU_ASSERT_EQUAL(r.status, 405);
  reply_free(&r);
  r = http("PUT /v1/computations/c1 HTTP/1.1\r\nContent-Length: 0", NULL, 0);
  CU_ASSERT_EQUAL(r.status, 405);
  reply_free(&r);
  r = get("/v1/computations/c1?wait=soon");
  CU_ASSERT_EQUAL(r.status, 400);
  reply_free(&r);
}

static void test_body_limit(void) {
  /* Announced too large: refused before the body is read. */
  reply r = http("POST /v1/computations HTTP/1.1\r\nContent-Length: 100000000", NULL, 0);
  CU_ASSERT_EQUAL(r.status, 413);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "PayloadTooLarge");
  reply_free(&r);
  /* Chunked, no length announced: refused once the accumulated body passes the limit. */
  size_t n = 10000;
  char *big = malloc(n + 64);
  int h = snprintf(big, 64, "%zx\r\n", n);
  memset(big + h, ' ', n);
  memcpy(big + h + n, "\r\n0\r\n\r\n", 8);
  r = http("POST /v1/computations HTTP/1.1\r\nTransfer-Encoding: chunked", big,
           (size_t)h + n + 7);
  CU_ASSERT_EQUAL(r.status, 413);
  reply_free(&r);
  free(big);
  r = get("/v1/hello");
  CU_ASSERT_EQUAL(r.status, 200);
  reply_free(&r);
}

#define N(t_) "\"t\":\"" t_ "\",\"line\":1,\"col\":0"

static void test_compute(void) {
  const char *doc =
      "{\"ir_version\":1,\"files\":[\"t.py\"],\"definitions\":{},\"block\":{\"file\":0,"
      "\"line\":1,\"body\":[{" N("Assign") ",\"targets\":[{" N("Name") ",\"id\":\"x\"}],"
      "\"value\":{" N("BinOp") ",\"left\":{" N("Constant") ",\"value\":0.1},\"op\":\"Add\","
      "\"right\":{" N("Constant") ",\"value\":0.2}}}],\"globals\":{},\"outputs\":[\"x\"]}}";
  reply r = post("/v1/computations", doc);
  CU_ASSERT_EQUAL_FATAL(r.status, 201);
  const char *id0 = json_string_value(json_object_get(r.json, "id"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(id0);
  char id[32], path[96];
  snprintf(id, sizeof id, "%s", id0);
  reply_free(&r);
  snprintf(path, sizeof path, "/v1/computations/%s?wait=30", id);
  r = get(path);
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.json, "state")), "done");
  /* 17 significant digits: the double comes back bit for bit. */
  CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(json_object_get(r.json, "values"), "x")),
                         0.1 + 0.2, 0.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.raw, "0.30000000000000004"));
  reply_free(&r);
  snprintf(path, sizeof path, "DELETE /v1/computations/%s HTTP/1.1", id);
  r = http(path, NULL, 0);
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.json, "state")), "released");
  reply_free(&r);
  snprintf(path, sizeof path, "/v1/computations/%s", id);
  r = get(path);
  CU_ASSERT_EQUAL(r.status, 404);
  reply_free(&r);
}

/* Sends "method path" with no body. */
static reply bare(const char *method, const char *path) {
  char head[512];
  snprintf(head, sizeof head, "%s %s HTTP/1.1", method, path);
  return http(head, NULL, 0);
}

static void test_objects(void) {
  const char *doc =
      "{\"ir_version\":1,\"download\":\"none\",\"files\":[\"t.py\"],\"definitions\":{},"
      "\"block\":{\"file\":0,\"line\":1,\"body\":[{" N("Assign") ",\"targets\":[{" N("Name")
      ",\"id\":\"x\"}],\"value\":{" N("List") ",\"elts\":[{" N("Constant") ",\"value\":1}]}}],"
      "\"globals\":{},\"outputs\":[\"x\"]}}";
  reply r = post("/v1/computations", doc);
  CU_ASSERT_EQUAL_FATAL(r.status, 201);
  char path[128], oid[32];
  snprintf(path, sizeof path, "/v1/computations/%s?wait=30",
           json_string_value(json_object_get(r.json, "id")));
  reply_free(&r);
  r = get(path);
  json_t *x = json_object_get(json_object_get(r.json, "values"), "x");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(x, "type")), "list");
  snprintf(oid, sizeof oid, "%s", json_string_value(json_object_get(x, "object")));
  reply_free(&r);
  snprintf(path, sizeof path, "/v1/objects/%s", oid);
  r = get(path);
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.json, "id")), oid);
  CU_ASSERT_EQUAL(json_integer_value(json_array_get(json_object_get(json_object_get(r.json, "value"), "list"), 0)), 1);
  reply_free(&r);
  snprintf(path, sizeof path, "/v1/objects/%s?max_bytes=4", oid);
  r = get(path);
  CU_ASSERT_EQUAL(r.status, 413);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "ResultExceededBytecountThreshold");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r.json, "error"), "size")), 12);
  reply_free(&r);
  snprintf(path, sizeof path, "/v1/objects/%s?max_bytes=-1", oid);
  r = get(path);
  CU_ASSERT_EQUAL(r.status, 400);
  reply_free(&r);
  snprintf(path, sizeof path, "/v1/objects/%s", oid);
  r = bare("PUT", path);
  CU_ASSERT_EQUAL(r.status, 405);
  reply_free(&r);
  r = bare("DELETE", path);
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.json, "state")), "released");
  reply_free(&r);
  r = bare("DELETE", path);
  CU_ASSERT_EQUAL(r.status, 404);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "NotFound");
  CU_ASSERT_PTR_NOT_NULL(strstr(error_message(&r), oid));
  reply_free(&r);
  r = get(path);
  CU_ASSERT_EQUAL(r.status, 404);
  reply_free(&r);
  /* uploads and the batch release */
  r = post("/v1/objects", "{\"value\":{\"tuple\":[1,\"a\"]}}");
  CU_ASSERT_EQUAL_FATAL(r.status, 201);
  snprintf(oid, sizeof oid, "%s", json_string_value(json_object_get(r.json, "id")));
  reply_free(&r);
  r = post("/v1/objects", "{\"value\":{\"bogus\":1}}");
  CU_ASSERT_EQUAL(r.status, 400);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "InvalidRequest");
  reply_free(&r);
  r = post("/v1/objects", "[1");
  CU_ASSERT_EQUAL(r.status, 400);
  reply_free(&r);
  char body[128];
  snprintf(body, sizeof body, "{\"ids\":[\"%s\",\"o424242\"]}", oid);
  r = post("/v1/objects/release", body);
  CU_ASSERT_EQUAL(r.status, 200);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.json, "released")), 1);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r.json, "unknown"), 0)), "o424242");
  reply_free(&r);
  r = post("/v1/objects/release", "{\"ids\":3}");
  CU_ASSERT_EQUAL(r.status, 400);
  reply_free(&r);
  /* a document naming a released object: 404 */
  char doc2[700];
  snprintf(doc2, sizeof doc2,
           "{\"ir_version\":1,\"files\":[\"t.py\"],\"definitions\":{\"d1\":{\"kind\":\"object\","
           "\"id\":\"%s\"}},\"block\":{\"file\":0,\"line\":1,\"body\":[],\"globals\":{\"x\":"
           "\"d1\"},\"outputs\":[]}}",
           oid);
  r = post("/v1/computations", doc2);
  CU_ASSERT_EQUAL(r.status, 404);
  CU_ASSERT_STRING_EQUAL(error_type(&r), "NotFound");
  reply_free(&r);
}

static void test_port_taken(void) {
  pf_server_config sc = {"localhost", pf_server_port(srv), 0, 0};
  pf_server *other = NULL;
  char err[256] = "";
  CU_ASSERT_NOT_EQUAL(pf_server_start(&sc, rt, &other, err, sizeof err), PF_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
  pf_server_config bad = {"no.such.host.invalid", 0, 0, 0};
  CU_ASSERT_NOT_EQUAL(pf_server_start(&bad, rt, &other, err, sizeof err), PF_OK);
  pf_server_stop(NULL);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("server", setup, teardown);
  CU_add_test(s, "hello, cluster, stats, status page", test_hello_cluster_stats);
  CU_add_test(s, "400, 404, 405", test_errors);
  CU_add_test(s, "413 early and while accumulating", test_body_limit);
  CU_add_test(s, "submit, long-poll, release", test_compute);
  CU_add_test(s, "objects: download, 413, release, upload", test_objects);
  CU_add_test(s, "port already in use", test_port_taken);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
