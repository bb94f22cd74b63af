/* cluster.c — membership over the fabric: the coordinator's table of workers (JOIN checked
 * against the token, JOIN_ACK with the member list), heartbeats both ways on one thread per
 * process, dead-worker detection, LEAVE on clean shutdown, and the JSON of GET /v1/cluster. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_int.h"

int pf_cluster_token_ok(const char *expected, const char *given, size_t given_len) {
  if (!expected || !*expected)
    return 1;
  size_t n = strlen(expected);
  unsigned char diff = (unsigned char)(n != given_len);
  for (size_t i = 0; i < n; i++)
    diff |= (unsigned char)(expected[i] ^ (i < given_len && given ? given[i] : 0));
  return diff == 0;
}

__attribute__((format(printf, 2, 3))) static void clog_(pf_cluster *cl, const char *fmt, ...) {
  if (!cl->verbose)
    return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "pyforad: cluster: %s\n", line);
}

static member *find_member(pf_cluster *cl, uint32_t id) {
  for (size_t i = 0; i < cl->n; i++)
    if (cl->members[i].id == id)
      return &cl->members[i];
  return NULL;
}

static member *add_member(pf_cluster *cl) {
  if (cl->n == cl->cap) {
    size_t cap = cl->cap ? cl->cap * 2 : 8;
    member *m = realloc(cl->members, cap * sizeof *m);
    if (!m)
      return NULL;
    cl->members = m;
    cl->cap = cap;
  }
  member *m = &cl->members[cl->n++];
  memset(m, 0, sizeof *m);
  return m;
}

static void copy_str(char *dst, size_t cap, pf_fab_bytes b) {
  size_t n = b.n < cap - 1 ? b.n : cap - 1;
  for (size_t i = 0; i < n; i++)
    dst[i] = b.p[i] >= 0x20 && b.p[i] < 0x7f ? (char)b.p[i] : '?';
  dst[n] = 0;
}

static uint64_t next_seq(pf_cluster *cl) { return atomic_fetch_add(&cl->seq, 1); }

static void send_ack(pf_cluster *cl, pf_fab_addr to, uint32_t status, uint32_t id,
                     const char *reason) {
  pf_fab_msg a;
  memset(&a, 0, sizeof a);
  a.type = PF_FAB_JOIN_ACK;
  a.sender = cl->self_id;
  a.seq = next_seq(cl);
  a.u.ack.status = status;
  a.u.ack.id = id;
  a.u.ack.heartbeat_ms = (uint32_t)(cl->heartbeat_s * 1000);
  a.u.ack.dead_ms = (uint32_t)(cl->dead_after_s * 1000);
  a.u.ack.reason = (pf_fab_bytes){(const uint8_t *)reason, strlen(reason)};
  a.u.ack.addr = (pf_fab_bytes){cl->self_addr, cl->self_alen};
  pf_fab_member *list = NULL;
  pthread_mutex_lock(&cl->mu);
  if (status == PF_FAB_JOIN_OK) {
    list = calloc(cl->n + 1, sizeof *list);
    if (list) {
      list[0] = (pf_fab_member){cl->self_id, PF_FAB_MEMBER_ALIVE, cl->threads,
                                {(const uint8_t *)cl->host, strlen(cl->host)},
                                {cl->self_addr, cl->self_alen}};
      /* As many as fit in one message (a few hundred machines), live ones first. */
      uint32_t k = 1;
      size_t bytes = 1024 + strlen(cl->host) + cl->self_alen;
      for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < cl->n && k < PF_FAB_MAX_MEMBERS; i++) {
          member *m = &cl->members[i];
          size_t need = 13 + strlen(m->host) + m->alen;
          if ((m->state == PF_FAB_MEMBER_ALIVE) != (pass == 0) || bytes + need > PF_FAB_MAX_MSG)
            continue;
          bytes += need;
          list[k++] = (pf_fab_member){m->id, m->state, m->threads,
                                      {(const uint8_t *)m->host, strlen(m->host)},
                                      {m->addr, m->alen}};
        }
      a.u.ack.members = list;
      a.u.ack.nmembers = k;
    }
  }
  /* Encoded (copied) under the lock: the table may grow meanwhile. */
  pf_status_t st = pf_fab_send(cl->fab, to, &a, 2.0);
  pthread_mutex_unlock(&cl->mu);
  free(list);
  (void)st;
}

static void on_join(pf_cluster *cl, const pf_fab_msg *m) {
  const pf_fab_join *j = &m->u.join;
  pf_fab_addr fa;
  if (pf_fab_insert(cl->fab, j->addr.p, j->addr.n, &fa) != PF_OK)
    return;
  char host[256];
  copy_str(host, sizeof host, j->host);
  if (!pf_cluster_token_ok(cl->token, (const char *)j->token.p, j->token.n)) {
    clog_(cl, "refused a join from %s: wrong or missing token", host);
    send_ack(cl, fa, PF_FAB_JOIN_BAD_TOKEN, 0,
             "wrong or missing token (start the worker with the coordinator's --token)");
    return;
  }
  pthread_mutex_lock(&cl->mu);
  member *w = NULL;
  for (size_t i = 0; i < cl->n && !w; i++) /* the same endpoint joining again */
    if (cl->members[i].alen == j->addr.n && !memcmp(cl->members[i].addr, j->addr.p, j->addr.n))
      w = &cl->members[i];
  if (!w && cl->n + 1 >= PF_FAB_MAX_MEMBERS) {
    pthread_mutex_unlock(&cl->mu);
    send_ack(cl, fa, PF_FAB_JOIN_REFUSED, 0, "too many machines");
    return;
  }
  if (!w) {
    w = add_member(cl);
    if (!w) {
      pthread_mutex_unlock(&cl->mu);
      return;
    }
    w->id = cl->next_id++;
  }
  w->state = PF_FAB_MEMBER_ALIVE;
  snprintf(w->host, sizeof w->host, "%s", host);
  w->threads = j->threads;
  w->cores = j->cores;
  w->numa_nodes = j->numa_nodes;
  w->http_port = j->http_port;
  memcpy(w->addr, j->addr.p, j->addr.n);
  w->alen = j->addr.n;
  w->fa = fa;
  pf_fab_addr_str(cl->fab, w->addr, w->alen, w->addr_text, sizeof w->addr_text);
  w->last_mono = pf_cluster_mono();
  w->last_wall = pf_cluster_wall();
  uint32_t id = w->id;
  unsigned threads = w->threads;
  pthread_mutex_unlock(&cl->mu);
  clog_(cl, "%s joined as machine %u (%u threads)", host, id, threads);
  send_ack(cl, fa, PF_FAB_JOIN_OK, id, "");
}

static void on_ack(pf_cluster *cl, const pf_fab_msg *m) {
  const pf_fab_join_ack *a = &m->u.ack;
  pthread_mutex_lock(&cl->mu);
  if (cl->join_state != 0) {
    pthread_mutex_unlock(&cl->mu);
    return;
  }
  if (a->status != PF_FAB_JOIN_OK) {
    cl->join_state = -1;
    copy_str(cl->refused, sizeof cl->refused, a->reason);
  } else {
    cl->join_state = 1;
    cl->self_id = a->id;
    if (a->heartbeat_ms)
      cl->heartbeat_s = a->heartbeat_ms / 1000.0;
    if (a->dead_ms)
      cl->dead_after_s = a->dead_ms / 1000.0;
    cl->coord_last_mono = pf_cluster_mono();
    size_t off = 0;
    pf_fab_member pm;
    while (pf_fab_ack_member_next(a, &off, &pm)) {
      if (pm.id == a->id)
        continue;
      member *w = add_member(cl);
      if (!w)
        break;
      w->id = pm.id;
      w->state = pm.state;
      w->threads = pm.threads;
      copy_str(w->host, sizeof w->host, pm.host);
      if (pm.addr.n <= sizeof w->addr) {
        memcpy(w->addr, pm.addr.p, pm.addr.n);
        w->alen = pm.addr.n;
        pf_fab_addr_str(cl->fab, w->addr, w->alen, w->addr_text, sizeof w->addr_text);
      }
      w->last_mono = pf_cluster_mono();
      w->last_wall = pf_cluster_wall();
      w->fa = pm.id == 0 ? cl->coord : PF_FAB_ADDR_NONE;
    }
  }
  pthread_cond_broadcast(&cl->cv);
  pthread_mutex_unlock(&cl->mu);
}

static int is_work(uint32_t type) {
  return type == PF_FAB_STEAL_REQUEST || type == PF_FAB_SUBRANGE || type == PF_FAB_RESULT;
}

static void on_recv(void *ctx, const pf_fab_msg *m, pf_fab_addr from) {
  pf_cluster *cl = ctx;
  int work = 0;
  if (cl->coordinator && m->type == PF_FAB_JOIN) {
    on_join(cl, m);
    return;
  }
  if (!cl->coordinator && m->type == PF_FAB_JOIN_ACK) {
    on_ack(cl, m);
    return;
  }
  pthread_mutex_lock(&cl->mu);
  if (cl->coordinator) {
    member *w = find_member(cl, m->sender);
    /* Only from the endpoint that joined under that id, and only while it is a member. */
    if (w && w->state == PF_FAB_MEMBER_ALIVE && (from == PF_FAB_ADDR_NONE || from == w->fa)) {
      w->last_mono = pf_cluster_mono();
      w->last_wall = pf_cluster_wall();
      if (m->type == PF_FAB_HEARTBEAT) {
        w->heartbeats++;
        w->busy = m->u.hb.busy;
      } else if (m->type == PF_FAB_LEAVE) {
        w->state = PF_FAB_MEMBER_LEFT;
        char host[256];
        snprintf(host, sizeof host, "%s", w->host);
        pthread_mutex_unlock(&cl->mu);
        clog_(cl, "%s (machine %u) left", host, m->sender);
        if (cl->on_member)
          cl->on_member(cl->work_ctx, m->sender, PF_FAB_MEMBER_LEFT);
        return;
      }
      work = is_work(m->type);
    }
  } else if (m->sender == 0 && (from == PF_FAB_ADDR_NONE || from == cl->coord)) {
    cl->coord_last_mono = pf_cluster_mono();
    member *c = find_member(cl, 0);
    if (c) {
      c->last_mono = cl->coord_last_mono;
      c->last_wall = pf_cluster_wall();
    }
    if (m->type == PF_FAB_LEAVE)
      cl->coord_left = 1;
    work = is_work(m->type);
  }
  pthread_mutex_unlock(&cl->mu);
  if (work && cl->on_work)
    cl->on_work(cl->work_ctx, m, m->sender);
}

pf_status_t pf_cluster_send(pf_cluster *cl, uint32_t to, pf_fab_msg *m, double timeout_s) {
  pf_fab_addr fa = PF_FAB_ADDR_NONE;
  pthread_mutex_lock(&cl->mu);
  if (!cl->coordinator)
    fa = to == 0 && cl->join_state == 1 && !cl->lost_reported ? cl->coord : PF_FAB_ADDR_NONE;
  else {
    member *w = find_member(cl, to);
    fa = w && w->state == PF_FAB_MEMBER_ALIVE ? w->fa : PF_FAB_ADDR_NONE;
  }
  pthread_mutex_unlock(&cl->mu);
  if (fa == PF_FAB_ADDR_NONE)
    return PF_ENOENT;
  m->sender = cl->self_id;
  m->seq = next_seq(cl);
  return pf_fab_send(cl->fab, fa, m, timeout_s);
}

unsigned pf_cluster_self_id(const pf_cluster *cl) { return cl->self_id; }

pf_status_t pf_cluster_page_publish(pf_cluster *cl, const void *data, size_t len,
                                    uint8_t hash[PF_FAB_ID_SIZE]) {
  return pf_fab_page_publish(cl->fab, data, len, hash);
}

pf_status_t pf_cluster_page_get(pf_cluster *cl, uint32_t from, const uint8_t hash[PF_FAB_ID_SIZE],
                                double timeout_s, const uint8_t **data_p, size_t *len_p) {
  pf_fab_addr fa = PF_FAB_ADDR_NONE;
  pthread_mutex_lock(&cl->mu);
  if (!cl->coordinator) {
    fa = from == 0 && cl->join_state == 1 && !cl->lost_reported ? cl->coord : PF_FAB_ADDR_NONE;
  } else {
    member *w = find_member(cl, from);
    fa = w && w->state == PF_FAB_MEMBER_ALIVE ? w->fa : PF_FAB_ADDR_NONE;
  }
  pthread_mutex_unlock(&cl->mu);
  if (fa == PF_FAB_ADDR_NONE)
    return PF_ENOENT;
  return pf_fab_page_get(cl->fab, fa, hash, timeout_s, data_p, len_p);
}

/* ---------------------------------------------------------------- heartbeats */

static void heartbeat_to(pf_cluster *cl, pf_fab_addr to) {
  pf_fab_msg h;
  memset(&h, 0, sizeof h);
  h.type = PF_FAB_HEARTBEAT;
  h.sender = cl->self_id;
  h.seq = next_seq(cl);
  h.u.hb.threads = cl->threads;
  h.u.hb.time_ms = (uint64_t)(pf_cluster_wall() * 1000);
  if (pf_fab_send(cl->fab, to, &h, 0.5) != PF_OK)
    return;
}

static void *heartbeat_main(void *arg) {
  pf_cluster *cl = arg;
  pf_fab_addr *to = NULL;
  uint32_t *died = NULL;
  size_t to_cap = 0;
  while (!atomic_load(&cl->stopping)) {
    double now = pf_cluster_mono();
    size_t nto = 0, ndied = 0;
    const char *lost = NULL;
    int clean = 0;
    char why[200];
    pthread_mutex_lock(&cl->mu);
    if (cl->coordinator) {
      if (to_cap < cl->n) {
        pf_fab_addr *t = realloc(to, cl->n * sizeof *t);
        uint32_t *d = t ? realloc(died, cl->n * sizeof *d) : NULL;
        if (t)
          to = t;
        if (d) {
          died = d;
          to_cap = cl->n;
        }
      }
      for (size_t i = 0; i < cl->n; i++) {
        member *w = &cl->members[i];
        if (w->state != PF_FAB_MEMBER_ALIVE)
          continue;
        if (now - w->last_mono > cl->dead_after_s && ndied < to_cap) {
          w->state = PF_FAB_MEMBER_DEAD;
          died[ndied++] = w->id;
          clog_(cl, "%s (machine %u) is dead: no heartbeat for %.1f s", w->host, w->id,
                now - w->last_mono);
        } else if (nto < to_cap)
          to[nto++] = w->fa;
      }
    } else if (!cl->lost_reported) {
      if (cl->coord_left) {
        snprintf(why, sizeof why, "the coordinator %s shut down", cl->join);
        lost = why;
        clean = 1;
      } else if (now - cl->coord_last_mono > cl->dead_after_s) {
        snprintf(why, sizeof why, "no heartbeat from the coordinator %s for %.1f s", cl->join,
                 now - cl->coord_last_mono);
        lost = why;
      }
      if (lost)
        cl->lost_reported = 1;
      else if (to_cap >= 1 || (to = malloc(sizeof *to)) != NULL) {
        to_cap = to_cap ? to_cap : 1;
        to[nto++] = cl->coord;
      }
    }
    pthread_mutex_unlock(&cl->mu);
    for (size_t i = 0; i < nto; i++)
      heartbeat_to(cl, to[i]);
    for (size_t i = 0; i < ndied && cl->on_member; i++)
      cl->on_member(cl->work_ctx, died[i], PF_FAB_MEMBER_DEAD);
    if (lost && cl->on_lost)
      cl->on_lost(cl->ctx, clean, lost);
    /* Sleep one interval, woken early by stop. */
    pthread_mutex_lock(&cl->mu);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    long ns = (long)(cl->heartbeat_s * 1e9);
    dl.tv_sec += ns / 1000000000L;
    dl.tv_nsec += ns % 1000000000L;
    if (dl.tv_nsec >= 1000000000L) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000L;
    }
    if (!atomic_load(&cl->stopping))
      pthread_cond_timedwait(&cl->cv, &cl->mu, &dl);
    pthread_mutex_unlock(&cl->mu);
  }
  free(to);
  free(died);
  return NULL;
}

/* ---------------------------------------------------------------- start / stop */

/* The IPv4 address of this host's name, for a coordinator bound to every interface. */
static int host_ipv4(char *out) {
  char name[256];
  if (gethostname(name, sizeof name) != 0)
    return 0;
  name[sizeof name - 1] = 0;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  if (getaddrinfo(name, NULL, &hints, &res) != 0 || !res)
    return 0;
  inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, out, 16);
  freeaddrinfo(res);
  return 1;
}

static int hexval(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Asks the coordinator at cl->join for its fabric address (GET /v1/cluster), retrying
 * until "timeout_s"; fills "addr", "prov" and "local". */
static pf_status_t fetch_coordinator(pf_cluster *cl, double timeout_s, uint8_t *addr,
                                     size_t *alen, char *prov, size_t prov_len, char *local,
                                     char *err, size_t err_len) {
  const char *colon = strrchr(cl->join, ':');
  char host[256];
  unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
  size_t hl = colon ? (size_t)(colon - cl->join) : 0;
  if (!colon || hl == 0 || hl >= sizeof host || port == 0 || port > 65535) {
    snprintf(err, err_len, "--join wants the coordinator's HOST:PORT (got '%s')", cl->join);
    return PF_EINVAL;
  }
  snprintf(host, sizeof host, "%.*s", (int)hl, cl->join);
  double t0 = pf_cluster_mono();
  char *body = NULL;
  int status = 0;
  pf_status_t st;
  for (;;) {
    st = pf_cluster_http_get(host, (unsigned)port, "/v1/cluster", cl->token, 5.0, &status, &body,
                             local, err, err_len);
    if (st == PF_OK || pf_cluster_mono() - t0 > timeout_s || atomic_load(&cl->stopping))
      break;
    usleep(200000);
  }
  if (st != PF_OK)
    return st;
  json_error_t jerr;
  json_t *doc = json_loads(body, 0, &jerr);
  free(body);
  if (status == 401) {
    snprintf(err, err_len, "the coordinator %s %s (start the worker with the coordinator's "
             "--token or --token-file)", cl->join, cl->token ? "refused the token" :
             "requires a token");
    json_decref(doc);
    return PF_EINVAL;
  }
  json_t *fab = doc ? json_object_get(doc, "fabric") : NULL;
  json_t *ver = json_object_get(fab, "message_version");
  if (fab && json_integer_value(ver) != PF_FAB_MSG_VERSION) {
    snprintf(err, err_len, "the coordinator %s speaks fabric message version %lld, this worker "
             "%u (run the same pyforad version everywhere)", cl->join,
             (long long)json_integer_value(ver), PF_FAB_MSG_VERSION);
    json_decref(doc);
    return PF_EPROTO;
  }
  const char *hex = json_string_value(json_object_get(fab, "address"));
  const char *p = json_string_value(json_object_get(fab, "provider"));
  size_t n = hex ? strlen(hex) : 0;
  if (status != 200 || !hex || !p || n % 2 || n / 2 > PF_FAB_ADDR_MAX || n == 0) {
    snprintf(err, err_len, "%s is not a pyforad coordinator with a fabric (GET /v1/cluster "
             "answered HTTP %d)", cl->join, status);
    json_decref(doc);
    return PF_EPROTO;
  }
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      json_decref(doc);
      snprintf(err, err_len, "bad fabric address from %s", cl->join);
      return PF_EPROTO;
    }
    addr[i] = (uint8_t)(hi * 16 + lo);
  }
  *alen = n / 2;
  snprintf(prov, prov_len, "%s", p);
  json_decref(doc);
  return PF_OK;
}

pf_status_t pf_cluster_start(const pf_cluster_config *cfg, pf_cluster **cl_p, char *err,
                             size_t err_len) {
  pf_cluster *cl = calloc(1, sizeof *cl);
  if (!cl) {
    snprintf(err, err_len, "out of memory");
    return PF_ENOMEM;
  }
  pthread_mutex_init(&cl->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_cond_init(&cl->cv, &ca);
  pthread_condattr_destroy(&ca);
  cl->coordinator = !cfg->join;
  cl->token = cfg->token && *cfg->token ? strdup(cfg->token) : NULL;
  cl->join = cfg->join ? strdup(cfg->join) : NULL;
  cl->threads = cfg->threads;
  cl->cores = cfg->cores;
  cl->numa_nodes = cfg->numa_nodes;
  cl->http_port = cfg->http_port;
  cl->heartbeat_s = cfg->heartbeat_s > 0 ? cfg->heartbeat_s : PF_CLUSTER_HEARTBEAT_S;
  cl->dead_after_s = cfg->dead_after_s > 0 ? cfg->dead_after_s : PF_CLUSTER_DEAD_AFTER_S;
  cl->verbose = cfg->verbose;
  cl->on_lost = cfg->on_lost;
  cl->ctx = cfg->ctx;
  cl->on_work = cfg->on_work;
  cl->on_member = cfg->on_member;
  cl->work_ctx = cfg->work_ctx;
  cl->next_id = 1;
  cl->coord = PF_FAB_ADDR_NONE;
  if (gethostname(cl->host, sizeof cl->host) != 0)
    snprintf(cl->host, sizeof cl->host, "localhost");
  cl->host[sizeof cl->host - 1] = 0;
  pf_status_t st = PF_OK;
  if ((cfg->token && *cfg->token && !cl->token) || (cfg->join && !cl->join)) {
    snprintf(err, err_len, "out of memory");
    st = PF_ENOMEM;
    goto fail;
  }

  uint8_t caddr[PF_FAB_ADDR_MAX];
  size_t calen = 0;
  char node[16] = "", cprov[64] = "";
  double jt = cfg->join_timeout_s > 0 ? cfg->join_timeout_s : PF_CLUSTER_JOIN_TIMEOUT_S;
  if (!cl->coordinator) {
    st = fetch_coordinator(cl, jt, caddr, &calen, cprov, sizeof cprov, node, err, err_len);
    if (st != PF_OK)
      goto fail;
  }
  if (cfg->fabric_host)
    snprintf(node, sizeof node, "%s", cfg->fabric_host);
  else if (cl->coordinator && !host_ipv4(node))
    node[0] = 0;
  pf_fab_config fc = {cfg->fabric, node[0] ? node : NULL, on_recv, cl, 0};
  st = pf_fab_open(&fc, &cl->fab, err, err_len);
  if (st != PF_OK)
    goto fail;
  st = pf_fab_getname(cl->fab, cl->self_addr, sizeof cl->self_addr, &cl->self_alen);
  if (st != PF_OK) {
    snprintf(err, err_len, "cannot read this endpoint's fabric address");
    goto fail;
  }
  pf_fab_addr_str(cl->fab, cl->self_addr, cl->self_alen, cl->self_text, sizeof cl->self_text);

  if (!cl->coordinator) {
    if (strcmp(cprov, pf_fab_provider(cl->fab)) != 0) {
      snprintf(err, err_len, "the coordinator %s uses fabric provider '%s', this worker '%s' "
               "(give both the same --fabric)", cl->join, cprov, pf_fab_provider(cl->fab));
      st = PF_EINVAL;
      goto fail;
    }
    st = pf_fab_insert(cl->fab, caddr, calen, &cl->coord);
    if (st != PF_OK) {
      snprintf(err, err_len, "the coordinator's fabric address is not usable here");
      goto fail;
    }
    pf_fab_msg j;
    memset(&j, 0, sizeof j);
    j.type = PF_FAB_JOIN;
    j.seq = next_seq(cl);
    j.u.join.token = (pf_fab_bytes){(const uint8_t *)cl->token, cl->token ? strlen(cl->token) : 0};
    j.u.join.addr = (pf_fab_bytes){cl->self_addr, cl->self_alen};
    j.u.join.host = (pf_fab_bytes){(const uint8_t *)cl->host, strlen(cl->host)};
    j.u.join.cores = cl->cores;
    j.u.join.numa_nodes = cl->numa_nodes;
    j.u.join.threads = cl->threads;
    j.u.join.http_port = cl->http_port;
    double t0 = pf_cluster_mono();
    pthread_mutex_lock(&cl->mu);
    /* Resent every second until answered: the coordinator may be opening its endpoint. */
    while (cl->join_state == 0 && pf_cluster_mono() - t0 < jt) {
      pthread_mutex_unlock(&cl->mu);
      pf_status_t s2 = pf_fab_send(cl->fab, cl->coord, &j, 1.0);
      (void)s2;
      pthread_mutex_lock(&cl->mu);
      struct timespec dl;
      clock_gettime(CLOCK_REALTIME, &dl);
      dl.tv_sec += 1;
      while (cl->join_state == 0 &&
             pthread_cond_timedwait(&cl->cv, &cl->mu, &dl) == 0) {
      }
    }
    int js = cl->join_state;
    pthread_mutex_unlock(&cl->mu);
    if (js == 0) {
      snprintf(err, err_len, "the coordinator %s did not answer the join over fabric '%s' "
               "within %.0f s (is its fabric address %s reachable from here?)",
               cl->join, pf_fab_provider(cl->fab), jt, "");
      st = PF_ETIMEDOUT;
      goto fail;
    }
    if (js < 0) {
      snprintf(err, err_len, "the coordinator %s refused the join: %s", cl->join, cl->refused);
      st = PF_EINVAL;
      goto fail;
    }
    if (cl->verbose)
      fprintf(stderr, "pyforad: cluster: joined %s as machine %u\n", cl->join, cl->self_id);
  }
  if (pthread_create(&cl->hb_th, NULL, heartbeat_main, cl) != 0) {
    snprintf(err, err_len, "cannot start the heartbeat thread");
    st = PF_ENOMEM;
    goto fail;
  }
  cl->hb_started = 1;
  *cl_p = cl;
  return PF_OK;
fail:
  pf_cluster_stop(cl);
  return st;
}

void pf_cluster_stop(pf_cluster *cl) {
  if (!cl)
    return;
  atomic_store(&cl->stopping, 1);
  pthread_mutex_lock(&cl->mu);
  pthread_cond_broadcast(&cl->cv);
  pthread_mutex_unlock(&cl->mu);
  if (cl->hb_started)
    pthread_join(cl->hb_th, NULL);
  if (cl->fab && (cl->coordinator || cl->join_state == 1)) {
    pf_fab_msg l;
    memset(&l, 0, sizeof l);
    l.type = PF_FAB_LEAVE;
    l.sender = cl->self_id;
    pthread_mutex_lock(&cl->mu);
    for (size_t i = 0; i < cl->n; i++)
      if (cl->coordinator ? cl->members[i].state == PF_FAB_MEMBER_ALIVE : cl->members[i].id == 0) {
        l.seq = next_seq(cl);
        pf_status_t st = pf_fab_send(cl->fab, cl->coordinator ? cl->members[i].fa : cl->coord,
                                     &l, 0.5);
        (void)st;
      }
    pthread_mutex_unlock(&cl->mu);
    usleep(50000); /* let the progress thread push the goodbyes out */
  }
  pf_fab_close(cl->fab);
  free(cl->members);
  free(cl->token);
  free(cl->join);
  pthread_mutex_destroy(&cl->mu);
  pthread_cond_destroy(&cl->cv);
  free(cl);
}

int pf_cluster_is_coordinator(const pf_cluster *cl) { return cl->coordinator; }

static const char *state_name(uint32_t s) {
  return s == PF_FAB_MEMBER_ALIVE ? "alive" : s == PF_FAB_MEMBER_DEAD ? "dead" : "left";
}

json_t *pf_cluster_machines_json(pf_cluster *cl, json_t *self) {
  json_t *arr = json_array();
  if (!arr || !self) {
    json_decref(arr);
    json_decref(self);
    return NULL;
  }
  double now = pf_cluster_mono(), wall = pf_cluster_wall();
  json_object_set_new(self, "id", json_integer(cl->self_id));
  json_object_set_new(self, "role", json_string(cl->coordinator ? "coordinator" : "worker"));
  json_object_set_new(self, "host", json_string(cl->host));
  json_object_set_new(self, "state", json_string("alive"));
  json_object_set_new(self, "last_heartbeat", json_real(wall));
  json_object_set_new(self, "heartbeat_age_s", json_real(0.0));
  json_object_set_new(self, "fabric_address", json_string(cl->self_text));
  json_array_append_new(arr, self);
  pthread_mutex_lock(&cl->mu);
  for (size_t i = 0; i < cl->n; i++) {
    member *w = &cl->members[i];
    json_t *e = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:f, s:f, s:s, s:I}", "id",
                          (json_int_t)w->id, "role", w->id == 0 ? "coordinator" : "worker",
                          "host", w->host, "threads", (json_int_t)w->threads, "cores",
                          (json_int_t)w->cores, "numa_nodes", (json_int_t)w->numa_nodes, "busy",
                          (json_int_t)w->busy, "state", state_name(w->state), "last_heartbeat",
                          w->last_wall, "heartbeat_age_s", now - w->last_mono, "fabric_address",
                          w->addr_text, "http_port", (json_int_t)w->http_port);
    if (e)
      json_array_append_new(arr, e);
  }
  pthread_mutex_unlock(&cl->mu);
  (void)wall;
  return arr;
}

json_t *pf_cluster_fabric_json(pf_cluster *cl) {
  char hex[2 * PF_FAB_ADDR_MAX + 1];
  for (size_t i = 0; i < cl->self_alen; i++)
    snprintf(hex + 2 * i, 3, "%02x", cl->self_addr[i]);
  hex[2 * cl->self_alen] = 0;
  return json_pack("{s:s, s:s, s:s, s:I, s:i, s:f, s:f}", "provider", pf_fab_provider(cl->fab),
                   "address", hex, "text", cl->self_text, "id", (json_int_t)cl->self_id,
                   "message_version", (int)PF_FAB_MSG_VERSION, "heartbeat_s", cl->heartbeat_s,
                   "dead_after_s", cl->dead_after_s);
}

unsigned pf_cluster_live(pf_cluster *cl) {
  unsigned n = 1;
  pthread_mutex_lock(&cl->mu);
  for (size_t i = 0; i < cl->n; i++)
    n += cl->members[i].state == PF_FAB_MEMBER_ALIVE;
  pthread_mutex_unlock(&cl->mu);
  return n;
}

json_t *pf_cluster_fabric_stats_json(pf_cluster *cl) {
  pf_fab_stats f = pf_fab_get_stats(cl->fab);
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t)f.sent,
                   "received", (json_int_t)f.received, "bytes_sent", (json_int_t)f.bytes_sent,
                   "bytes_received", (json_int_t)f.bytes_received, "malformed",
                   (json_int_t)f.malformed, "pages_served", (json_int_t)f.pages_served,
                   "pages_fetched", (json_int_t)f.pages_fetched, "pages_fetched_rma",
                   (json_int_t)f.pages_fetched_rma, "page_cache_hits",
                   (json_int_t)f.page_cache_hits);
}
