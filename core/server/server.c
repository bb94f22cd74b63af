/* server.c — libmicrohttpd + jansson behind pf_server.h: one thread per connection (long
 * polls block their connection only), bodies accumulated per request, JSON in and out. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "pf_server.h"

#define PF_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)
#define PF_WAIT_SLICE_S 0.25 /* long polls look at the stop flag this often */
#define PF_DISCARD_MAX ((size_t)64 << 20) /* past the body limit, read this much at most */

struct pf_server {
  struct MHD_Daemon *mhd;
  pf_rt *rt;
  size_t max_body;
  int verbose;
  unsigned port;
  char address[64];
  atomic_int stopping;
  atomic_ullong requests;
  atomic_ullong errors;
  char *token;         /* NULL: no token required */
  pf_cluster *cluster; /* NULL: a single machine */
};

/* Per-request state, from the first call of the access handler to request completion. */
typedef struct pf_req {
  char *body;
  size_t len, cap;
  int too_large;
  size_t discarded; /* bytes read and dropped after the limit was passed */
  struct timespec start;
} pf_req;

/* ---------------------------------------------------------------- responses */

static double now_s(const struct timespec *since) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)(ts.tv_sec - since->tv_sec) + (double)(ts.tv_nsec - since->tv_nsec) / 1e9;
}

/* Queues "body" (borrowed; copied) with "status". */
static enum MHD_Result send_text(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                 const char *method, const char *url, unsigned status,
                                 const char *ctype, const char *body, const char *allow) {
  size_t len = strlen(body);
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  if (allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
  enum MHD_Result r = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  if (status >= 400)
    atomic_fetch_add(&srv->errors, 1);
  if (srv->verbose)
    fprintf(stderr, "pyforad: %s %s -> %u (%zu bytes in, %zu out, %.1f ms)\n", method, url, status,
            req ? req->len : 0, len, req ? now_s(&req->start) * 1e3 : 0.0);
  return r;
}

/* Queues "len" bytes at "data" (malloc'd; ownership taken) as application/octet-stream. */
static enum MHD_Result send_bytes(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                  const char *method, const char *url, unsigned char *data,
                                  size_t len) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(data);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
  enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  if (srv->verbose)
    fprintf(stderr, "pyforad: %s %s -> 200 (%zu bytes in, %zu out, %.1f ms)\n", method, url,
            req ? req->len : 0, len, req ? now_s(&req->start) * 1e3 : 0.0);
  return r;
}

/* Non-zero when header "name" of the request mentions application/octet-stream. */
static int wants_binary(struct MHD_Connection *conn, const char *name) {
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
  return h && strstr(h, "application/octet-stream") != NULL;
}

/* Queues "doc" (takes ownership) as JSON. */
static enum MHD_Result send_json(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                 const char *method, const char *url, unsigned status,
                                 json_t *doc) {
  char *text = doc ? json_dumps(doc, PF_JSON_FLAGS) : NULL;
  json_decref(doc);
  if (!text)
    return send_text(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                     "application/json",
                     "{\"error\":{\"type\":\"InternalError\",\"message\":\"out of memory\"}}",
                     NULL);
  enum MHD_Result r =
      send_text(srv, conn, req, method, url, status, "application/json", text, NULL);
  free(text);
  return r;
}

static enum MHD_Result send_error(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                  const char *method, const char *url, unsigned status,
                                  const char *type, const char *message, const char *allow) {
  json_t *doc = json_pack("{s:{s:s, s:s}}", "error", "type", type, "message", message);
  char *text = doc ? json_dumps(doc, PF_JSON_FLAGS) : NULL;
  json_decref(doc);
  enum MHD_Result r = send_text(
      srv, conn, req, method, url, status, "application/json",
      text ? text : "{\"error\":{\"type\":\"InternalError\",\"message\":\"out of memory\"}}", allow);
  free(text);
  return r;
}

/* ---------------------------------------------------------------- endpoints */

static int is_get(const char *method) {
  return !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

static json_t *hello_json(pf_server *srv) {
  json_t *cl = pf_rt_cluster_json(srv->rt);
  json_int_t threads = cl ? json_integer_value(json_object_get(cl, "threads")) : 0;
  json_decref(cl);
  json_int_t workers = srv->cluster ? (json_int_t)pf_cluster_live(srv->cluster) : 1;
  return json_pack("{s:i, s:i, s:s, s:I, s:I, s:[s]}", "protocol", PF_PROTOCOL_VERSION,
                   "ir_version", PF_IR_VERSION, "server", "pyforad " PF_SERVER_VERSION, "workers",
                   workers, "threads", threads, "features", "definitions");
}

/* GET /v1/cluster: this machine first, then the others the cluster knows, and the fabric
 * address a joining worker needs (docs/cluster.md). */
static json_t *cluster_json(pf_server *srv) {
  json_t *m = pf_rt_cluster_json(srv->rt);
  if (!m)
    return NULL;
  json_object_set_new(m, "address", json_string(srv->address));
  if (!srv->cluster)
    return json_pack("{s:[o], s:i}", "machines", m, "live", 1);
  json_t *machines = pf_cluster_machines_json(srv->cluster, m);
  json_t *fab = pf_cluster_fabric_json(srv->cluster);
  if (!machines || !fab) {
    json_decref(machines);
    json_decref(fab);
    return NULL;
  }
  return json_pack("{s:o, s:o, s:I}", "machines", machines, "fabric", fab, "live",
                   (json_int_t)pf_cluster_live(srv->cluster));
}

static json_t *stats_json(pf_server *srv) {
  json_t *s = pf_rt_stats_json(srv->rt);
  if (!s)
    return NULL;
  json_object_set_new(s, "requests", json_integer((json_int_t)atomic_load(&srv->requests)));
  json_object_set_new(s, "request_errors", json_integer((json_int_t)atomic_load(&srv->errors)));
  if (srv->cluster)
    json_object_set_new(s, "fabric", pf_cluster_fabric_stats_json(srv->cluster));
  return s;
}

static enum MHD_Result status_page(pf_server *srv, struct MHD_Connection *conn,
                                   const pf_req *req, const char *method, const char *url) {
  json_t *cl = cluster_json(srv);
  json_t *st = pf_rt_stats_json(srv->rt);
  char *cls = cl ? json_dumps(cl, JSON_INDENT(2)) : NULL;
  char *sts = st ? json_dumps(st, JSON_INDENT(2)) : NULL;
  json_decref(cl);
  json_decref(st);
  size_t n = (cls ? strlen(cls) : 0) + (sts ? strlen(sts) : 0) + 512;
  char *page = malloc(n);
  enum MHD_Result r;
  if (!page) {
    r = send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                   "out of memory", NULL);
  } else {
    snprintf(page, n,
             "<!doctype html><html><head><title>pyforad</title></head><body>"
             "<h1>pyforad " PF_SERVER_VERSION " on %s</h1><h2>cluster</h2><pre>%s</pre>"
             "<h2>counters</h2><pre>%s</pre></body></html>\n",
             srv->address, cls ? cls : "?", sts ? sts : "?");
    r = send_text(srv, conn, req, method, url, MHD_HTTP_OK, "text/html; charset=utf-8", page,
                  NULL);
  }
  free(page);
  free(cls);
  free(sts);
  return r;
}

static enum MHD_Result post_computation(pf_server *srv, struct MHD_Connection *conn,
                                        const pf_req *req, const char *method, const char *url) {
  json_error_t jerr;
  json_t *doc = json_loadb(req->body ? req->body : "", req->len,
                           JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (!doc) {
    char msg[JSON_ERROR_TEXT_LENGTH + 96];
    snprintf(msg, sizeof msg, "malformed JSON: %s (line %d, column %d, byte %d)", jerr.text,
             jerr.line, jerr.column, jerr.position);
    return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest", msg,
                      NULL);
  }
  char id[32];
  json_t *err = NULL;
  pf_status_t st = pf_rt_submit(srv->rt, doc, id, sizeof id, &err);
  json_decref(doc);
  if (st == PF_OK)
    return send_json(srv, conn, req, method, url, MHD_HTTP_CREATED,
                     json_pack("{s:s, s:s}", "id", id, "state", "running"));
  if (st == PF_EPROTO && err) {
    const char *type = json_string_value(json_object_get(err, "type"));
    unsigned code = type && !strcmp(type, "NotFound") ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST;
    return send_json(srv, conn, req, method, url, code, json_pack("{s:o}", "error", err));
  }
  json_decref(err);
  if (st == PF_EPROTO)
    return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                      "the IR document was rejected", NULL);
  return send_error(srv, conn, req, method, url,
                    st == PF_ECANCELED ? MHD_HTTP_SERVICE_UNAVAILABLE
                                       : MHD_HTTP_INTERNAL_SERVER_ERROR,
                    "InternalError", pf_status_str(st), NULL);
}

/* Parses the "wait" query argument into *wait_p; returns 0 when it is not a number. */
static int parse_wait(struct MHD_Connection *conn, double *wait_p) {
  const char *w = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "wait");
  *wait_p = 0;
  if (!w || !*w)
    return 1;
  char *end;
  errno = 0;
  double v = strtod(w, &end);
  if (*end || errno == ERANGE || isnan(v))
    return 0;
  *wait_p = v < 0 ? 0 : v > PF_SERVER_MAX_WAIT_S ? PF_SERVER_MAX_WAIT_S : v;
  return 1;
}

static enum MHD_Result get_computation(pf_server *srv, struct MHD_Connection *conn,
                                       const pf_req *req, const char *method, const char *url,
                                       const char *id) {
  double wait;
  if (!parse_wait(conn, &wait))
    return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                      "'wait' must be a number of seconds (at most 60)", NULL);
  json_t *doc = NULL;
  pf_status_t st;
  for (;;) {
    double slice = wait > PF_WAIT_SLICE_S ? PF_WAIT_SLICE_S : wait;
    st = pf_rt_wait(srv->rt, id, slice, &doc);
    if (st != PF_OK)
      break;
    const char *state = json_string_value(json_object_get(doc, "state"));
    wait -= slice;
    if ((state && strcmp(state, "running") != 0) || wait <= 0 || atomic_load(&srv->stopping))
      break;
    json_decref(doc);
    doc = NULL;
  }
  if (st == PF_ENOENT) {
    char msg[160];
    snprintf(msg, sizeof msg, "no computation with id '%.64s'", id);
    return send_error(srv, conn, req, method, url, MHD_HTTP_NOT_FOUND, "NotFound", msg, NULL);
  }
  if (st != PF_OK)
    return send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                      "InternalError", pf_status_str(st), NULL);
  return send_json(srv, conn, req, method, url, MHD_HTTP_OK, doc);
}

static enum MHD_Result delete_computation(pf_server *srv, struct MHD_Connection *conn,
                                          const pf_req *req, const char *method,
                                          const char *url, const char *id) {
  int was_running = 0;
  pf_status_t st = pf_rt_release(srv->rt, id, &was_running);
  if (st == PF_ENOENT) {
    char msg[160];
    snprintf(msg, sizeof msg, "no computation with id '%.64s'", id);
    return send_error(srv, conn, req, method, url, MHD_HTTP_NOT_FOUND, "NotFound", msg, NULL);
  }
  return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                   json_pack("{s:s, s:s}", "id", id, "state",
                             was_running ? "cancelled" : "released"));
}

/* Parses the body of "req" as JSON; on failure queues a 400 answer and returns NULL with
 * *r_p set. */
static json_t *body_json(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                         const char *method, const char *url, enum MHD_Result *r_p) {
  json_error_t jerr;
  json_t *doc = json_loadb(req->body ? req->body : "", req->len,
                           JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (!doc) {
    char msg[JSON_ERROR_TEXT_LENGTH + 96];
    snprintf(msg, sizeof msg, "malformed JSON: %s (line %d, column %d, byte %d)", jerr.text,
             jerr.line, jerr.column, jerr.position);
    *r_p = send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest", msg,
                      NULL);
  }
  return doc;
}

/* 404 NotFound for "id" of "what" ("object", "session"), with "why" it may be gone. */
static enum MHD_Result id_not_found(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                   const char *method, const char *url, const char *what,
                                   const char *id, const char *why) {
  char msg[200];
  snprintf(msg, sizeof msg, "no %s '%.64s' (%s)", what, id, why);
  return send_error(srv, conn, req, method, url, MHD_HTTP_NOT_FOUND, "NotFound", msg, NULL);
}

static enum MHD_Result object_not_found(pf_server *srv, struct MHD_Connection *conn,
                                        const pf_req *req, const char *method, const char *url,
                                        const char *id) {
  return id_not_found(srv, conn, req, method, url, "object with id", id,
                      "released, or never computed");
}

static enum MHD_Result get_object(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                  const char *method, const char *url, const char *id) {
  const char *mb = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "max_bytes");
  size_t max_bytes = 0;
  if (mb && *mb) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(mb, &end, 10);
    if (*end || errno == ERANGE || mb[0] == '-' || n == 0)
      return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                        "'max_bytes' must be a positive number of bytes", NULL);
    max_bytes = (size_t)n;
  }
  char *text = NULL;
  size_t len = 0;
  pf_status_t st;
  if (wants_binary(conn, MHD_HTTP_HEADER_ACCEPT)) {
    unsigned char *data = NULL;
    char msg[300] = "";
    st = pf_rt_object_bin(srv->rt, id, max_bytes, &data, &len, msg, sizeof msg);
    if (st == PF_OK)
      return send_bytes(srv, conn, req, method, url, data, len);
    if (st == PF_ENOTSUP) {
      json_t *doc = json_pack("{s:{s:s, s:s}}", "error", "type", "ForaToPythonConversionError",
                              "message", msg);
      return send_json(srv, conn, req, method, url, MHD_HTTP_CONFLICT, doc);
    }
  } else
    st = pf_rt_object_json(srv->rt, id, max_bytes, &text, &len);
  if (st == PF_ENOENT)
    return object_not_found(srv, conn, req, method, url, id);
  if (st == PF_ERANGE) {
    json_t *doc = json_pack("{s:{s:s, s:s, s:I, s:I}}", "error", "type",
                            "ResultExceededBytecountThreshold", "message",
                            "the object's encoding is larger than max_bytes", "size",
                            (json_int_t)len, "max_bytes", (json_int_t)max_bytes);
    return send_json(srv, conn, req, method, url, MHD_HTTP_CONTENT_TOO_LARGE, doc);
  }
  if (st != PF_OK)
    return send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                      "InternalError", pf_status_str(st), NULL);
  size_t n = len + strlen(id) + 64;
  char *page = malloc(n);
  enum MHD_Result r;
  if (!page)
    r = send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                   "out of memory", NULL);
  else {
    snprintf(page, n, "{\"id\":\"%s\",\"value\":%s}", id, text);
    r = send_text(srv, conn, req, method, url, MHD_HTTP_OK, "application/json", page, NULL);
  }
  free(page);
  free(text);
  return r;
}

static enum MHD_Result session_not_found(pf_server *srv, struct MHD_Connection *conn,
                                         const pf_req *req, const char *method, const char *url,
                                         const char *id) {
  return id_not_found(srv, conn, req, method, url, "session", id,
                      "its lease expired, or it was closed");
}

static enum MHD_Result post_object(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                   const char *method, const char *url) {
  enum MHD_Result r = MHD_NO;
  const char *session = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "session");
  if (wants_binary(conn, MHD_HTTP_HEADER_CONTENT_TYPE)) {
    char id[32], msg[300] = "";
    pf_status_t st = pf_rt_object_put_bin(srv->rt, (const unsigned char *)(req->body ? req->body : ""),
                                          req->len, session, id, sizeof id, msg, sizeof msg);
    if (st == PF_ENOENT)
      return session_not_found(srv, conn, req, method, url, session);
    if (st == PF_EPROTO)
      return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                        msg, NULL);
    if (st != PF_OK)
      return send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                        "InternalError", pf_status_str(st), NULL);
    return send_json(srv, conn, req, method, url, MHD_HTTP_CREATED, json_pack("{s:s}", "id", id));
  }
  json_t *doc = body_json(srv, conn, req, method, url, &r);
  if (!doc)
    return r;
  const json_t *v = json_is_object(doc) ? json_object_get(doc, "value") : NULL;
  if (!v) {
    json_decref(doc);
    return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                      "expected {\"value\": <value encoding of docs/ir.md>}", NULL);
  }
  char id[32], msg[300];
  pf_status_t st = pf_rt_object_put_json(srv->rt, v, session, id, sizeof id, msg, sizeof msg);
  json_decref(doc);
  if (st == PF_ENOENT)
    return session_not_found(srv, conn, req, method, url, session);
  if (st == PF_EPROTO)
    return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest", msg,
                      NULL);
  if (st != PF_OK)
    return send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                      "InternalError", pf_status_str(st), NULL);
  return send_json(srv, conn, req, method, url, MHD_HTTP_CREATED, json_pack("{s:s}", "id", id));
}

static enum MHD_Result release_objects(pf_server *srv, struct MHD_Connection *conn,
                                       const pf_req *req, const char *method, const char *url) {
  enum MHD_Result r = MHD_NO;
  json_t *doc = body_json(srv, conn, req, method, url, &r);
  if (!doc)
    return r;
  const json_t *ids = json_is_object(doc) ? json_object_get(doc, "ids") : NULL;
  if (!json_is_array(ids)) {
    json_decref(doc);
    return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                      "expected {\"ids\": [\"o1\", ...]}", NULL);
  }
  json_t *unknown = json_array();
  json_int_t released = 0;
  for (size_t i = 0; i < json_array_size(ids); i++) {
    const json_t *e = json_array_get(ids, i);
    const char *id = json_string_value(e);
    if (id && pf_rt_object_release(srv->rt, id) == PF_OK)
      released++;
    else
      json_array_append(unknown, (json_t *)e);
  }
  json_decref(doc);
  return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                   json_pack("{s:I, s:o}", "released", released, "unknown", unknown));
}

/* POST /v1/definitions: store content-addressed definitions (pf_rt_defs_put);
 * POST /v1/definitions/missing {"ids": [...]} and GET /v1/definitions?ids=a,b: the unknown ids. */
static enum MHD_Result definitions_route(pf_server *srv, struct MHD_Connection *conn,
                                         const pf_req *req, const char *method, const char *url) {
  enum MHD_Result r = MHD_NO;
  if (!strcmp(url, "/v1/definitions") && is_get(method)) {
    const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "ids");
    json_t *ids = json_array();
    if (!ids)
      return send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                        "InternalError", "out of memory", NULL);
    while (q && *q) {
      const char *e = strchr(q, ',');
      size_t n = e ? (size_t)(e - q) : strlen(q);
      if (n)
        json_array_append_new(ids, json_stringn(q, n));
      q = e ? e + 1 : q + n;
    }
    json_t *missing = pf_rt_defs_missing(srv->rt, ids);
    json_decref(ids);
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                     json_pack("{s:o*}", "missing", missing));
  }
  if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
    return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                      "MethodNotAllowed",
                      "POST definitions to /v1/definitions, {\"ids\": [...]} to "
                      "/v1/definitions/missing, or GET /v1/definitions?ids=...",
                      !strcmp(url, "/v1/definitions") ? "GET, HEAD, POST" : "POST");
  json_t *doc = body_json(srv, conn, req, method, url, &r);
  if (!doc)
    return r;
  if (!strcmp(url, "/v1/definitions/missing")) {
    const json_t *ids = json_is_object(doc) ? json_object_get(doc, "ids") : NULL;
    if (!json_is_array(ids)) {
      json_decref(doc);
      return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                        "expected {\"ids\": [...]}", NULL);
    }
    json_t *missing = pf_rt_defs_missing(srv->rt, ids);
    json_decref(doc);
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                     json_pack("{s:o*}", "missing", missing));
  }
  size_t stored = 0;
  json_t *err = NULL;
  pf_status_t st = pf_rt_defs_put(srv->rt, doc, &stored, &err);
  json_decref(doc);
  if (st == PF_OK)
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                     json_pack("{s:I}", "stored", (json_int_t)stored));
  if (st == PF_EPROTO && err)
    return send_json(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST,
                     json_pack("{s:o}", "error", err));
  json_decref(err);
  return send_error(srv, conn, req, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR,
                    "InternalError", pf_status_str(st), NULL);
}

static enum MHD_Result objects_route(pf_server *srv, struct MHD_Connection *conn,
                                     const pf_req *req, const char *method, const char *url) {
  static const char objs[] = "/v1/objects";
  if (!strcmp(url, objs)) {
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
      return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "POST {\"value\": ...} to /v1/objects", "POST");
    return post_object(srv, conn, req, method, url);
  }
  if (!strcmp(url, "/v1/objects/release")) {
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
      return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "POST {\"ids\": [...]} to /v1/objects/release",
                        "POST");
    return release_objects(srv, conn, req, method, url);
  }
  const char *id = url + sizeof objs;
  if (is_get(method))
    return get_object(srv, conn, req, method, url, id);
  if (!strcmp(method, MHD_HTTP_METHOD_DELETE)) {
    if (pf_rt_object_release(srv->rt, id) != PF_OK)
      return object_not_found(srv, conn, req, method, url, id);
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                     json_pack("{s:s, s:s}", "id", id, "state", "released"));
  }
  return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                    "an object answers GET and DELETE", "GET, HEAD, DELETE");
}

static enum MHD_Result sessions_route(pf_server *srv, struct MHD_Connection *conn,
                                      const pf_req *req, const char *method, const char *url) {
  static const char sess[] = "/v1/sessions";
  if (!strcmp(url, sess)) {
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
      return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "POST {\"lease_s\": N} to /v1/sessions", "POST");
    enum MHD_Result r = MHD_NO;
    json_t *doc = body_json(srv, conn, req, method, url, &r);
    if (!doc)
      return r;
    const json_t *l = json_is_object(doc) ? json_object_get(doc, "lease_s") : NULL;
    double lease = json_is_number(l) ? json_number_value(l) : -1;
    json_decref(doc);
    char id[32];
    if (!(lease > 0 && lease <= 86400) || pf_rt_session_open(srv->rt, lease, id, sizeof id) != PF_OK)
      return send_error(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST, "InvalidRequest",
                        "expected {\"lease_s\": seconds} with 0 < seconds <= 86400", NULL);
    return send_json(srv, conn, req, method, url, MHD_HTTP_CREATED,
                     json_pack("{s:s, s:f}", "session", id, "lease_s", lease));
  }
  char id[80];
  const char *rest = url + sizeof sess;
  const char *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
  snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), rest);
  if (slash && !strcmp(slash, "/heartbeat")) {
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
      return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "POST a heartbeat", "POST");
    if (pf_rt_session_touch(srv->rt, id) != PF_OK)
      return session_not_found(srv, conn, req, method, url, id);
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                     json_pack("{s:s, s:s}", "session", id, "state", "alive"));
  }
  if (!slash && !strcmp(method, MHD_HTTP_METHOD_DELETE)) {
    size_t released = 0;
    if (pf_rt_session_close(srv->rt, id, &released) != PF_OK)
      return session_not_found(srv, conn, req, method, url, id);
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK,
                     json_pack("{s:s, s:s, s:I}", "session", id, "state", "closed", "released",
                               (json_int_t)released));
  }
  if (!slash)
    return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                      "MethodNotAllowed", "a session answers DELETE", "DELETE");
  char msg[160];
  snprintf(msg, sizeof msg, "no resource at '%.100s' (see docs/protocol.md)", url);
  return send_error(srv, conn, req, method, url, MHD_HTTP_NOT_FOUND, "NotFound", msg, NULL);
}

/* Routes a request whose body (if any) is complete. */
static enum MHD_Result dispatch(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                const char *url, const char *method) {
  static const char comps[] = "/v1/computations";
  if (!strcmp(url, "/") || !strcmp(url, "/v1/hello") || !strcmp(url, "/v1/cluster") ||
      !strcmp(url, "/v1/stats")) {
    if (!is_get(method))
      return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "this resource answers GET only", "GET, HEAD");
    if (!strcmp(url, "/"))
      return status_page(srv, conn, req, method, url);
    json_t *doc = !strcmp(url, "/v1/hello")     ? hello_json(srv)
                  : !strcmp(url, "/v1/cluster") ? cluster_json(srv)
                                                : stats_json(srv);
    return send_json(srv, conn, req, method, url, MHD_HTTP_OK, doc);
  }
  if (!strcmp(url, comps) || !strcmp(url, "/v1/computations/")) {
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
      return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "MethodNotAllowed", "POST an IR document to /v1/computations", "POST");
    return post_computation(srv, conn, req, method, url);
  }
  if (!strncmp(url, comps, sizeof comps - 1) && url[sizeof comps - 1] == '/' &&
      !strchr(url + sizeof comps, '/')) {
    const char *id = url + sizeof comps;
    if (is_get(method))
      return get_computation(srv, conn, req, method, url, id);
    if (!strcmp(method, MHD_HTTP_METHOD_DELETE))
      return delete_computation(srv, conn, req, method, url, id);
    return send_error(srv, conn, req, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                      "MethodNotAllowed", "a computation answers GET and DELETE",
                      "GET, HEAD, DELETE");
  }
  if (!strcmp(url, "/v1/sessions") || (!strncmp(url, "/v1/sessions/", 13) && url[13]))
    return sessions_route(srv, conn, req, method, url);
  if (!strcmp(url, "/v1/definitions") || !strcmp(url, "/v1/definitions/missing"))
    return definitions_route(srv, conn, req, method, url);
  if (!strcmp(url, "/v1/objects") ||
      (!strncmp(url, "/v1/objects/", 12) && url[12] && !strchr(url + 12, '/')))
    return objects_route(srv, conn, req, method, url);
  char msg[160];
  snprintf(msg, sizeof msg, "no resource at '%.100s' (see docs/protocol.md)", url);
  return send_error(srv, conn, req, method, url, MHD_HTTP_NOT_FOUND, "NotFound", msg, NULL);
}

static enum MHD_Result too_large(pf_server *srv, struct MHD_Connection *conn, const pf_req *req,
                                 const char *method, const char *url) {
  char msg[128];
  snprintf(msg, sizeof msg, "request body larger than the limit of %zu bytes (--max-body)",
           srv->max_body);
  return send_error(srv, conn, req, method, url, MHD_HTTP_CONTENT_TOO_LARGE, "PayloadTooLarge",
                    msg, NULL);
}

/* Non-zero when the request carries "Authorization: Bearer <srv->token>". */
static int authorized(pf_server *srv, struct MHD_Connection *conn) {
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || strncasecmp(h, "Bearer ", 7) != 0)
    return 0;
  h += 7;
  while (*h == ' ')
    h++;
  size_t n = strlen(h);
  while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
    n--;
  return pf_cluster_token_ok(srv->token, h, n);
}

static enum MHD_Result unauthorized(pf_server *srv, struct MHD_Connection *conn,
                                    const pf_req *req, const char *method, const char *url) {
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  json_t *doc = json_pack(
      "{s:{s:s, s:s}}", "error", "type", "Unauthorized", "message",
      h ? "wrong token: this pyforad was started with another --token"
        : "this pyforad requires a token: send 'Authorization: Bearer TOKEN' (the client: "
          "pyfora.connect(url, token=...) or the PYFORA_TOKEN environment variable)");
  char *text = doc ? json_dumps(doc, PF_JSON_FLAGS) : NULL;
  json_decref(doc);
  const char *body = text ? text : "{\"error\":{\"type\":\"Unauthorized\",\"message\":\"token required\"}}";
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  free(text);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"pyforad\"");
  enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, resp);
  MHD_destroy_response(resp);
  atomic_fetch_add(&srv->errors, 1);
  if (srv->verbose)
    fprintf(stderr, "pyforad: %s %s -> 401 (no valid token)\n", method, url);
  (void)req;
  return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  pf_server *srv = cls;
  pf_req *req = *con_cls;
  (void)version;
  if (!req) {
    req = calloc(1, sizeof *req);
    if (!req)
      return MHD_NO;
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    *con_cls = req;
    atomic_fetch_add(&srv->requests, 1);
    if (srv->token && !authorized(srv, conn)) {
      req->too_large = 2; /* the body, if any, is read and dropped */
      return unauthorized(srv, conn, req, method, url);
    }
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
      char *end;
      errno = 0;
      unsigned long long n = strtoull(cl, &end, 10);
      if (errno == ERANGE || n > srv->max_body) {
        req->too_large = 1;
        return too_large(srv, conn, req, method, url);
      }
    }
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (req->too_large == 2) { /* refused: drop the body */
      req->discarded += n;
      return req->discarded > PF_DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (req->too_large || n > srv->max_body - req->len) {
      /* Keep reading, store nothing, answer 413 at the end (an answer sent mid-upload makes
       * the client's send fail); a client that goes on far past the limit is cut off. */
      req->too_large = 1;
      req->discarded += n;
      return req->discarded > PF_DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (req->len + n + 1 > req->cap) {
      size_t cap = req->cap ? req->cap : 4096;
      while (cap < req->len + n + 1)
        cap *= 2;
      char *b = realloc(req->body, cap);
      if (!b)
        return MHD_NO;
      req->body = b;
      req->cap = cap;
    }
    memcpy(req->body + req->len, upload_data, n);
    req->len += n;
    return MHD_YES;
  }
  if (req->too_large == 2)
    return MHD_YES; /* answered 401 already */
  if (req->too_large)
    return too_large(srv, conn, req, method, url);
  return dispatch(srv, conn, req, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  pf_req *req = *con_cls;
  (void)cls;
  (void)conn;
  (void)toe;
  if (req) {
    free(req->body);
    free(req);
    *con_cls = NULL;
  }
}

/* ---------------------------------------------------------------- start / stop */

static int open_listener(const char *host, unsigned port, struct sockaddr_in *addr_p, char *err,
                         size_t err_len) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(host, NULL, &hints, &res);
  if (gai != 0 || !res) {
    snprintf(err, err_len, "cannot resolve '%s' to an IPv4 address: %s", host,
             gai ? gai_strerror(gai) : "no address");
    if (res)
      freeaddrinfo(res);
    return -1;
  }
  memcpy(addr_p, res->ai_addr, sizeof *addr_p);
  freeaddrinfo(res);
  addr_p->sin_port = htons((uint16_t)port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, err_len, "socket: %s", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)addr_p, sizeof *addr_p) != 0 || listen(fd, 128) != 0) {
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &addr_p->sin_addr, ip, sizeof ip);
    snprintf(err, err_len, "cannot listen on %s:%u: %s%s", ip, port, strerror(errno),
             errno == EADDRINUSE ? " (is another pyforad running? choose another --listen port)"
                                 : "");
    close(fd);
    return -1;
  }
  socklen_t alen = sizeof *addr_p;
  getsockname(fd, (struct sockaddr *)addr_p, &alen);
  return fd;
}

pf_status_t pf_server_start(const pf_server_config *cfg, pf_rt *rt, pf_server **srv_p, char *err,
                            size_t err_len) {
  return pf_server_start_cluster(cfg, NULL, rt, srv_p, err, err_len);
}

pf_status_t pf_server_start_cluster(const pf_server_config *cfg, const pf_server_cluster *cl,
                                    pf_rt *rt, pf_server **srv_p, char *err, size_t err_len) {
  struct sockaddr_in addr;
  const char *host = cfg && cfg->host ? cfg->host : "127.0.0.1";
  pf_server *srv = calloc(1, sizeof *srv);
  if (!srv) {
    snprintf(err, err_len, "out of memory");
    return PF_ENOMEM;
  }
  srv->rt = rt;
  srv->max_body = cfg && cfg->max_body ? cfg->max_body : PF_SERVER_DEFAULT_MAX_BODY;
  srv->verbose = cfg ? cfg->verbose : 0;
  srv->cluster = cl ? cl->cluster : NULL;
  if (cl && cl->token && *cl->token && !(srv->token = strdup(cl->token))) {
    free(srv);
    snprintf(err, err_len, "out of memory");
    return PF_ENOMEM;
  }
  int fd = open_listener(host, cfg ? cfg->port : 0, &addr, err, err_len);
  if (fd < 0) {
    free(srv->token);
    free(srv);
    return PF_EIO;
  }
  char ip[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
  srv->port = ntohs(addr.sin_port);
  snprintf(srv->address, sizeof srv->address, "%s:%u", ip, srv->port);
  srv->mhd = MHD_start_daemon(
      MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
      on_request, srv, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)300,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_END);
  if (!srv->mhd) {
    snprintf(err, err_len, "cannot start the HTTP server on %s", srv->address);
    close(fd);
    free(srv->token);
    free(srv);
    return PF_EIO;
  }
  *srv_p = srv;
  return PF_OK;
}

unsigned pf_server_port(const pf_server *srv) { return srv->port; }

void pf_server_stop(pf_server *srv) {
  if (!srv)
    return;
  atomic_store(&srv->stopping, 1);
  MHD_stop_daemon(srv->mhd);
  free(srv->token);
  free(srv);
}
