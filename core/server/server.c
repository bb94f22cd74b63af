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
  return json_pack("{s:i, s:i, s:s, s:i, s:I}", "protocol", PF_PROTOCOL_VERSION, "ir_version",
                   PF_IR_VERSION, "server", "pyforad " PF_SERVER_VERSION, "workers", 1, "threads",
                   threads);
}

static json_t *cluster_json(pf_server *srv) {
  json_t *m = pf_rt_cluster_json(srv->rt);
  if (!m)
    return NULL;
  json_object_set_new(m, "address", json_string(srv->address));
  return json_pack("{s:[o]}", "machines", m);
}

static json_t *stats_json(pf_server *srv) {
  json_t *s = pf_rt_stats_json(srv->rt);
  if (!s)
    return NULL;
  json_object_set_new(s, "requests", json_integer((json_int_t)atomic_load(&srv->requests)));
  json_object_set_new(s, "request_errors", json_integer((json_int_t)atomic_load(&srv->errors)));
  return s;
}

static enum MHD_Result status_page(pf_server *srv, struct MHD_Connection *conn,
                                   const pf_req *req, const char *method, const char *url) {
  json_t *cl = pf_rt_cluster_json(srv->rt);
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
             "<h1>pyforad " PF_SERVER_VERSION " on %s</h1><h2>machine</h2><pre>%s</pre>"
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
                           JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
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
  if (st == PF_EPROTO && err)
    return send_json(srv, conn, req, method, url, MHD_HTTP_BAD_REQUEST,
                     json_pack("{s:o}", "error", err));
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
  int fd = open_listener(host, cfg ? cfg->port : 0, &addr, err, err_len);
  if (fd < 0) {
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
  free(srv);
}
