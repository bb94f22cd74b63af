/* migrate.c — fold parts between machines (docs/cluster.md, "Moving work"): the runtime's
 * side of core/sched's remote parts, over core/cluster's messages and pages.
 *
 * Coordinator: a worker machine that has nothing to do sends STEAL_REQUEST (job 0); its id
 * waits in "want" until a pool worker at a safepoint of a describable fold claims it
 * (r_claim) and sends it the unfinished half of its subrange (r_send): a SUBRANGE message
 * with the part's id, the 64-byte subrange, and the names of the pages that hold the
 * program (its IR document and the definitions it uses, JSON, published once per program)
 * and the fold's description (par.c's, in the binary codec, published once per fold). The
 * RESULT (the partial accumulator, inline or in pages) goes to pf_pool_remote_result; a
 * SUBRANGE coming back is positions given back (pf_pool_remote_returned); a machine that
 * dies or leaves has its unfinished parts recomputed here (pf_pool_remote_lost).
 *
 * Worker: this module's thread fetches the pages of a SUBRANGE (cached by the fabric),
 * loads the program once per description (the description sets the block's globals), runs
 * the part as a job of the pool (pf_par_remote_run: split between this machine's cores as
 * usual) and sends back RESULT, then STEAL_REQUEST again. STEAL_REQUEST for a part asks it
 * to give back its unfinished end (idle = 1) or to stop (idle = 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_cluster.h"
#include "pf_codec.h"
#include "pf_fabric.h"
#include "pf_par_remote.h"
#include "rt_int.h"

#define MIG_TIMEOUT_S 30.0     /* a page fetch */
#define MIG_SEND_TIMEOUT_S 1.0 /* a message (small): longer means the machine is unreachable */
#define MIG_UNREACHABLE_S 5.0  /* then messages to it are dropped for this long */
#define MIG_MAX_PROGS 8        /* programs loaded for received descriptions, kept for reuse */
#define MIG_SENT_FOLDS 16      /* descriptions published, by fold */
#define MIG_INLINE_MAX 60000u  /* larger results travel as pages */
#define MIG_IDLE_RESEND_S 1.0  /* an idle worker repeats its request this often */
#define MIG_MAX_WANT 4096

enum { STEAL_IDLE = 0, STEAL_GIVE_BACK = 1, STEAL_STOP = 2 };
#define SUB_CALL 1u /* pf_subrange.flags of a SUBRANGE that carries a forked call */
enum { MI_SUBRANGE, MI_RESULT };

/* A received message for the thread (copied out of the fabric's buffer). */
typedef struct mig_item {
  struct mig_item *next;
  int kind;
  uint32_t from;
  uint64_t part;
  pf_subrange sr;
  uint8_t closure[PF_FAB_ID_SIZE];
  uint8_t *hashes; /* nhashes * PF_FAB_ID_SIZE */
  uint32_t nhashes;
  uint8_t *values;
  size_t nvalues;
  uint32_t outcome;
  uint64_t position;
} mig_item;

/* A message waiting for the thread to send it (byte strings owned). "part": a SUBRANGE's,
 * recomputed here when it cannot be sent. */
typedef struct mig_out {
  struct mig_out *next;
  uint32_t to;
  pf_fab_msg m;
  uint8_t *defs, *values;
} mig_out;

/* A program loaded for one received description. */
typedef struct mig_prog {
  struct mig_prog *next;
  uint8_t key[PF_FAB_ID_SIZE];
  pf_program *prog;
  pf_par_remote *rm;
  unsigned running;
  double last_used;
} mig_prog;

/* A received part running as a job of the pool. */
typedef struct mig_run {
  struct mig_run *next;
  struct pf_migrate *mg;
  mig_prog *mp;
  pf_job *job;
  uint32_t from;
  uint64_t part;
  pf_subrange sr;
  atomic_int done;
  atomic_int stop; /* a call: its owner no longer wants it */
} mig_run;

/* The pages of a description this machine published, by fold. */
typedef struct mig_sent {
  uint64_t fold_key;
  uint8_t closure[PF_FAB_ID_SIZE];
  uint8_t *hashes;
  uint32_t n;
} mig_sent;

/* The pages of a program's blob (on its holder; pf_prog_holder.ship). */
struct pf_ship {
  int state; /* 0: not made yet, 1: published, -1: cannot go (it uses stored objects) */
  uint8_t *hashes;
  uint32_t n;
};

struct pf_migrate {
  pf_rt *rt;
  pf_cluster *cl; /* NULL once detached */
  int coordinator;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t th;
  int started, stop;
  mig_item *head, *tail;
  mig_out *out_head, *out_tail;
  double unreachable[MIG_MAX_WANT]; /* until when messages to a machine are dropped */
  /* coordinator */
  uint32_t want[MIG_MAX_WANT];
  unsigned nwant;
  mig_sent sent[MIG_SENT_FOLDS];
  unsigned sent_next;
  /* worker */
  mig_prog *progs;
  mig_run *runs;
  double last_request;
  int requested; /* a request went out since the last part ended */
  /* counters (under mu) */
  uint64_t steal_requests, subrange_msgs, subrange_bytes, page_bytes_published,
      results_sent, result_bytes, results_received, result_bytes_received, programs_loaded,
      descriptions_loaded, refused, defs_fetched;
};

static const pf_remote_ops remote_ops;

static void item_free(mig_item *it) {
  if (!it)
    return;
  free(it->hashes);
  free(it->values);
  free(it);
}

static void push_item(pf_migrate *mg, mig_item *it) {
  pthread_mutex_lock(&mg->mu);
  it->next = NULL;
  if (mg->tail)
    mg->tail->next = it;
  else
    mg->head = it;
  mg->tail = it;
  pthread_cond_signal(&mg->cv);
  pthread_mutex_unlock(&mg->mu);
}

/* Part or call "id" did not reach its machine: done here. */
static void part_failed(pf_migrate *mg, uint64_t id) {
  if (!pf_pool_remote_call_result(mg->rt->pool, id, pf_unbound()))
    pf_pool_remote_result(mg->rt->pool, id, pf_unbound(), 0);
}

/* Queues "m" (byte strings copied) for machine "to"; the thread sends it, so that no pool
 * worker waits for the network. */
static void post(pf_migrate *mg, uint32_t to, const pf_fab_msg *m) {
  mig_out *o = calloc(1, sizeof *o);
  if (!o)
    goto fail;
  o->to = to;
  o->m = *m;
  const pf_fab_bytes *v = m->type == PF_FAB_SUBRANGE ? &m->u.sub.values
                          : m->type == PF_FAB_RESULT ? &m->u.result.values : NULL;
  if (v && v->n) {
    if (!(o->values = malloc(v->n)))
      goto fail;
    memcpy(o->values, v->p, v->n);
    if (m->type == PF_FAB_SUBRANGE)
      o->m.u.sub.values.p = o->values;
    else
      o->m.u.result.values.p = o->values;
  }
  if (m->type == PF_FAB_SUBRANGE && m->u.sub.ndefs) {
    if (!(o->defs = malloc((size_t)m->u.sub.ndefs * PF_FAB_ID_SIZE)))
      goto fail;
    memcpy(o->defs, m->u.sub.defs, (size_t)m->u.sub.ndefs * PF_FAB_ID_SIZE);
    o->m.u.sub.defs = o->defs;
  }
  pthread_mutex_lock(&mg->mu);
  if (mg->out_tail)
    mg->out_tail->next = o;
  else
    mg->out_head = o;
  mg->out_tail = o;
  pthread_cond_signal(&mg->cv);
  pthread_mutex_unlock(&mg->mu);
  return;
fail:
  if (o) {
    free(o->values);
    free(o->defs);
    free(o);
  }
  if (m->type == PF_FAB_SUBRANGE && mg->coordinator)
    part_failed(mg, m->u.sub.job);
}

/* On the thread: sends the queued messages. A part that cannot go is recomputed here. */
static void flush_out(pf_migrate *mg, pf_cluster *cl) {
  for (;;) {
    pthread_mutex_lock(&mg->mu);
    mig_out *o = mg->out_head;
    if (o) {
      mg->out_head = o->next;
      if (!mg->out_head)
        mg->out_tail = NULL;
    }
    double until = o && o->to < MIG_MAX_WANT ? mg->unreachable[o->to] : 0;
    pthread_mutex_unlock(&mg->mu);
    if (!o)
      return;
    double now = pf_rt_now();
    pf_status_t st = until > now ? PF_ETIMEDOUT : pf_cluster_send(cl, o->to, &o->m, MIG_SEND_TIMEOUT_S);
    pthread_mutex_lock(&mg->mu);
    if (st == PF_ETIMEDOUT && until <= now && o->to < MIG_MAX_WANT)
      mg->unreachable[o->to] = pf_rt_now() + MIG_UNREACHABLE_S;
    if (st == PF_OK && o->m.type == PF_FAB_RESULT) {
      mg->results_sent++;
      mg->result_bytes += o->m.u.result.values.n;
    }
    pthread_mutex_unlock(&mg->mu);
    if (st != PF_OK && o->m.type == PF_FAB_SUBRANGE && mg->coordinator)
      part_failed(mg, o->m.u.sub.job);
    free(o->values);
    free(o->defs);
    free(o);
  }
}

/* Publishes "len" bytes as pages of at most PF_FAB_PAGE_MAX; their names in a new array. */
static pf_status_t publish_chunks(pf_migrate *mg, pf_cluster *cl, const uint8_t *data, size_t len,
                                  uint8_t **hashes_p, uint32_t *n_p) {
  uint32_t n = (uint32_t)((len + PF_FAB_PAGE_MAX - 1) / PF_FAB_PAGE_MAX);
  if (n == 0)
    n = 1;
  uint8_t *h = malloc((size_t)n * PF_FAB_ID_SIZE);
  if (!h)
    return PF_ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    size_t off = (size_t)i * PF_FAB_PAGE_MAX, k = len - off < PF_FAB_PAGE_MAX ? len - off : PF_FAB_PAGE_MAX;
    pf_status_t st = pf_cluster_page_publish(cl, data + off, k, h + (size_t)i * PF_FAB_ID_SIZE);
    if (st != PF_OK) {
      free(h);
      return st;
    }
  }
  pthread_mutex_lock(&mg->mu);
  mg->page_bytes_published += len;
  pthread_mutex_unlock(&mg->mu);
  *hashes_p = h;
  *n_p = n;
  return PF_OK;
}

/* Fetches and joins the pages "hashes" from machine "from"; new buffer in *out. */
static pf_status_t fetch_chunks(pf_cluster *cl, uint32_t from, const uint8_t *hashes, uint32_t n,
                                uint8_t **out, size_t *len_p) {
  size_t len = 0, cap = 0;
  uint8_t *buf = NULL;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *d;
    size_t k;
    pf_status_t st =
        pf_cluster_page_get(cl, from, hashes + (size_t)i * PF_FAB_ID_SIZE, MIG_TIMEOUT_S, &d, &k);
    if (st != PF_OK) {
      free(buf);
      return st;
    }
    if (len + k + 1 > cap) {
      cap = (len + k + 1) * 2;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        return PF_ENOMEM;
      }
      buf = nb;
    }
    memcpy(buf + len, d, k);
    len += k;
  }
  if (!buf && !(buf = malloc(1)))
    return PF_ENOMEM;
  buf[len] = 0;
  *out = buf;
  *len_p = len;
  return PF_OK;
}

/* ---------------------------------------------------------------- coordinator: sending */

static int r_claim(void *rctx) {
  pf_migrate *mg = rctx;
  int m = -1;
  pthread_mutex_lock(&mg->mu);
  if (mg->cl && mg->nwant) {
    m = (int)mg->want[0];
    memmove(mg->want, mg->want + 1, (mg->nwant - 1) * sizeof mg->want[0]);
    mg->nwant--;
    if (mg->nwant)
      pf_pool_remote_wanted(mg->rt->pool);
  }
  pthread_mutex_unlock(&mg->mu);
  return m;
}

static void want_add(pf_migrate *mg, uint32_t m) {
  pthread_mutex_lock(&mg->mu);
  bool seen = false;
  for (unsigned i = 0; i < mg->nwant && !seen; i++)
    seen = mg->want[i] == m;
  if (!seen && mg->nwant < MIG_MAX_WANT)
    mg->want[mg->nwant++] = m;
  mg->steal_requests++;
  pthread_mutex_unlock(&mg->mu);
  pf_pool_remote_wanted(mg->rt->pool);
}

static void want_remove(pf_migrate *mg, uint32_t m) {
  pthread_mutex_lock(&mg->mu);
  for (unsigned i = 0; i < mg->nwant; i++)
    if (mg->want[i] == m) {
      memmove(mg->want + i, mg->want + i + 1, (mg->nwant - i - 1) * sizeof mg->want[0]);
      mg->nwant--;
      break;
    }
  pthread_mutex_unlock(&mg->mu);
}

static void hex_of(const uint8_t *b, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = 0;
}

static int unhex(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Publishes "len" bytes as pages; their names in hex as a new JSON string (NULL: failed). */
static json_t *publish_hex(pf_migrate *mg, pf_cluster *cl, const uint8_t *data, size_t len) {
  uint8_t *h = NULL;
  uint32_t n = 0;
  json_t *out = NULL;
  if (publish_chunks(mg, cl, data, len, &h, &n) == PF_OK) {
    char *hex = malloc((size_t)n * PF_FAB_ID_SIZE * 2 + 1);
    if (hex) {
      hex_of(h, (size_t)n * PF_FAB_ID_SIZE, hex);
      out = json_string(hex);
      free(hex);
    }
  }
  free(h);
  return out;
}

/* The bytes of the pages named by the hex string "hex" from machine "from"; new buffer. */
static pf_status_t fetch_hex(pf_cluster *cl, uint32_t from, const char *hex, uint8_t **out,
                             size_t *len_p) {
  size_t n = hex ? strlen(hex) : 0;
  if (!n || n % (2 * PF_FAB_ID_SIZE))
    return PF_ENOENT;
  uint8_t *names = malloc(n / 2);
  if (!names)
    return PF_ENOMEM;
  for (size_t i = 0; i < n / 2; i++) {
    int a = unhex(hex[2 * i]), b = unhex(hex[2 * i + 1]);
    if (a < 0 || b < 0) {
      free(names);
      return PF_ENOENT;
    }
    names[i] = (uint8_t)(a << 4 | b);
  }
  pf_status_t st = fetch_chunks(cl, from, names, (uint32_t)(n / 2 / PF_FAB_ID_SIZE), out, len_p);
  free(names);
  return st;
}

/* Publishes the stored object "oid" (plain data only) as pages; their names in hex, new. */
static json_t *ship_object(pf_migrate *mg, pf_cluster *cl, const char *oid) {
  pf_val v;
  pf_store_owner *owner = NULL;
  if (pf_store_get(mg->rt->store, oid, &v, &owner) != PF_OK)
    return NULL;
  json_t *out = NULL;
  pf_buf b = {0};
  char msg[128];
  if (!owner && pf_bin_encode(v, &b, msg, sizeof msg) == PF_OK)
    out = publish_hex(mg, cl, b.data, b.len);
  free(b.data);
  pf_decref(v);
  if (owner)
    pf_store_owner_release(owner);
  return out;
}

/* The program's blob — {"doc": its IR document, "defs": {id: page names}, "objects": {id:
 * page names}} — published once (each definition a page of its own, fetched only by machines
 * that lack it); -1 when it cannot go (a stored object that is not plain
 * data, or a program kept without its document). */
static int ship_program(pf_migrate *mg, pf_cluster *cl, pf_prog_holder *h) {
  static pthread_mutex_t ship_mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&ship_mu);
  if (!h->ship && (h->ship = calloc(1, sizeof *h->ship)))
    h->ship->state = 0;
  struct pf_ship *s = h->ship;
  if (!s || s->state) {
    int r = s ? s->state : -1;
    pthread_mutex_unlock(&ship_mu);
    return r;
  }
  s->state = -1;
  json_t *blob = NULL, *defs = NULL, *objs = NULL, *defpages = NULL;
  char *text = NULL;
  if (h->doc && h->ndeps == 0 && (blob = json_object()) && (defs = json_object())) {
    const json_t *ids = json_object_get(h->doc, "definition_ids");
    size_t i;
    json_t *v;
    bool ok = true;
    json_array_foreach(ids, i, v) {
      json_t *d = NULL;
      if (!json_is_string(v) || pf_rt_def_resolve(mg->rt, json_string_value(v), &d) != PF_OK) {
        ok = false;
        break;
      }
      json_object_set_new(defs, json_string_value(v), d);
    }
    objs = json_object();
    const json_t *where[2] = {json_object_get(h->doc, "definitions"), defs};
    for (int w = 0; w < 2; w++) {
      const char *k;
      json_object_foreach((json_t *)where[w], k, v) {
        const char *kind = json_string_value(json_object_get(v, "kind"));
        const char *oid = json_string_value(json_object_get(v, "id"));
        if (ok && kind && !strcmp(kind, "object") && !(oid && json_object_get(objs, oid))) {
          json_t *names = oid ? ship_object(mg, cl, oid) : NULL;
          ok = names && objs && json_object_set_new(objs, oid, names) == 0;
        }
      }
    }
    defpages = json_object();
    const char *did;
    json_object_foreach(defs, did, v) {
      char *dt = ok ? json_dumps(v, JSON_COMPACT) : NULL;
      json_t *names = dt ? publish_hex(mg, cl, (const uint8_t *)dt, strlen(dt)) : NULL;
      free(dt);
      ok = ok && names && defpages && json_object_set_new(defpages, did, names) == 0;
    }
    if (ok && json_object_set(blob, "doc", h->doc) == 0 &&
        json_object_set(blob, "defs", defpages) == 0 && json_object_set(blob, "objects", objs) == 0)
      text = json_dumps(blob, JSON_COMPACT);
    if (text && publish_chunks(mg, cl, (const uint8_t *)text, strlen(text), &s->hashes, &s->n) == PF_OK)
      s->state = 1;
  }
  free(text);
  json_decref(defpages);
  json_decref(objs);
  json_decref(defs);
  json_decref(blob);
  int r = s->state;
  pthread_mutex_unlock(&ship_mu);
  return r;
}

static bool tagged(pf_val t, const char *tag) {
  return pf_is_type(t, &pf_type_tuple) && pf_tuple_len(t) == 2 &&
         pf_is_type(pf_tuple_get(t, 0), &pf_type_str) &&
         !strcmp(pf_str_utf8(pf_tuple_get(t, 0), NULL), tag);
}

/* A leaf of a description rewritten (retag_tuples): a new ("tag", value) pair, or unbound
 * on failure. */
typedef pf_val (*retag_fn)(void *ctx, pf_val data);

typedef struct retag {
  const char *from, *to; /* the tag of the pairs to rewrite, and their new tag */
  retag_fn fn;
  void *ctx;
} retag;

/* "v" with every (from, data) pair inside its tuples replaced by (to, fn(data)): a new value,
 * or unbound when fn fails or memory runs out. */
static pf_val retag_tuples(const retag *rt, pf_val v, int depth) {
  if (!pf_is_type(v, &pf_type_tuple) || depth > 64)
    return pf_incref(v);
  pf_err err;
  pf_val out = pf_unbound();
  if (tagged(v, rt->from)) {
    pf_val items[2] = {pf_unbound(), rt->fn(rt->ctx, pf_tuple_get(v, 1))};
    if (items[1].tag != PF_UNBOUND && pf_str_from_cstr(rt->to, &items[0], &err) == PF_OK &&
        pf_tuple_new(2, items, &out, &err) == PF_OK)
      return out;
    pf_decref(items[0]);
    pf_decref(items[1]);
    return pf_unbound();
  }
  size_t n = pf_tuple_len(v);
  pf_val *items = calloc(n ? n : 1, sizeof *items);
  if (!items)
    return out;
  size_t k = 0;
  for (; k < n; k++) {
    items[k] = retag_tuples(rt, pf_tuple_get(v, k), depth + 1);
    if (items[k].tag == PF_UNBOUND)
      break;
  }
  if (k < n || pf_tuple_new(n, items, &out, &err) != PF_OK) {
    for (size_t i = 0; i < k; i++)
      pf_decref(items[i]);
    out = pf_unbound();
  }
  free(items);
  return out;
}

typedef struct page_ctx {
  pf_migrate *mg;
  pf_cluster *cl;
  uint32_t from;
} page_ctx;

/* Large data → the names of the pages holding it (a hex str). */
static pf_val publish_leaf(void *ctx, pf_val data) {
  page_ctx *pc = ctx;
  pf_buf b = {0};
  char msg[128];
  pf_err err;
  json_t *hex = NULL;
  pf_val out = pf_unbound();
  if (pf_bin_encode(data, &b, msg, sizeof msg) == PF_OK &&
      (hex = publish_hex(pc->mg, pc->cl, b.data, b.len)) &&
      pf_str_from_cstr(json_string_value(hex), &out, &err) != PF_OK)
    out = pf_unbound();
  json_decref(hex);
  free(b.data);
  return out;
}

/* The names of pages → the data they hold, fetched from machine "from". */
static pf_val fetch_leaf(void *ctx, pf_val names) {
  page_ctx *pc = ctx;
  uint8_t *bytes = NULL;
  size_t len = 0;
  char msg[128];
  pf_val out = pf_unbound();
  if (!pf_is_type(names, &pf_type_str) ||
      fetch_hex(pc->cl, pc->from, pf_str_utf8(names, NULL), &bytes, &len) != PF_OK ||
      pf_bin_decode(bytes, len, &out, msg, sizeof msg) != PF_OK)
    out = pf_unbound();
  free(bytes);
  return out;
}

/* "desc" with every ("p", data) replaced by ("h", names of the pages holding data): large
 * data is published once, whatever folds it is in, and a receiver fetches it once. */
static pf_val swap_big(pf_migrate *mg, pf_cluster *cl, pf_val desc) {
  page_ctx pc = {mg, cl, 0};
  retag rt = {"p", "h", publish_leaf, &pc};
  return retag_tuples(&rt, desc, 0);
}

/* The receiver's inverse of swap_big: ("h", names) → ("v", data fetched from "from"). */
static pf_val fetch_big(pf_cluster *cl, uint32_t from, pf_val desc) {
  page_ctx pc = {NULL, cl, from};
  retag rt = {"h", "v", fetch_leaf, &pc};
  return retag_tuples(&rt, desc, 0);
}

/* The pages of fold "key"'s description "desc", published at its first part. */
static pf_status_t ship_desc(pf_migrate *mg, pf_cluster *cl, uint64_t key, pf_val desc,
                             uint8_t closure[PF_FAB_ID_SIZE], uint8_t **hashes_p, uint32_t *n_p) {
  pthread_mutex_lock(&mg->mu);
  for (unsigned i = 0; i < MIG_SENT_FOLDS; i++) {
    mig_sent *s = &mg->sent[i];
    if (s->hashes && s->fold_key == key) {
      memcpy(closure, s->closure, PF_FAB_ID_SIZE);
      uint8_t *h = malloc((size_t)s->n * PF_FAB_ID_SIZE);
      if (h)
        memcpy(h, s->hashes, (size_t)s->n * PF_FAB_ID_SIZE);
      *hashes_p = h;
      *n_p = s->n;
      pthread_mutex_unlock(&mg->mu);
      return h ? PF_OK : PF_ENOMEM;
    }
  }
  pthread_mutex_unlock(&mg->mu);
  pf_buf b = {0};
  char msg[128];
  pf_val small = swap_big(mg, cl, desc);
  pf_status_t st = small.tag == PF_UNBOUND ? PF_ENOTSUP : pf_bin_encode(small, &b, msg, sizeof msg);
  pf_decref(small);
  if (st != PF_OK) {
    free(b.data);
    return st == PF_ENOMEM ? st : PF_ENOTSUP; /* something the codec cannot carry */
  }
  pf_fab_page_hash(b.data, b.len, closure);
  uint8_t *h = NULL;
  uint32_t n = 0;
  st = publish_chunks(mg, cl, b.data, b.len, &h, &n);
  free(b.data);
  if (st != PF_OK)
    return st;
  pthread_mutex_lock(&mg->mu);
  mig_sent *s = &mg->sent[mg->sent_next++ % MIG_SENT_FOLDS];
  free(s->hashes);
  s->fold_key = key;
  memcpy(s->closure, closure, PF_FAB_ID_SIZE);
  s->hashes = malloc((size_t)n * PF_FAB_ID_SIZE);
  if (s->hashes)
    memcpy(s->hashes, h, (size_t)n * PF_FAB_ID_SIZE);
  s->n = n;
  pthread_mutex_unlock(&mg->mu);
  *hashes_p = h;
  *n_p = n;
  return PF_OK;
}

/* Sends part (or call) "part" of program "h" — positions "sr", fold "key" described by
 * "desc" — to "machine": the SUBRANGE names the program's pages and the description's. */
static pf_status_t send_part(pf_migrate *mg, pf_cluster *cl, pf_prog_holder *h, int machine,
                             uint64_t part, uint64_t key, const pf_subrange *sr, pf_val desc) {
  uint8_t closure[PF_FAB_ID_SIZE];
  uint8_t *dh = NULL;
  uint32_t dn = 0;
  pf_status_t st = ship_desc(mg, cl, key, desc, closure, &dh, &dn);
  if (st != PF_OK) {
    want_add(mg, (uint32_t)machine);
    return st;
  }
  uint32_t np = h->ship->n, n = np + dn;
  uint8_t *all = malloc((size_t)n * PF_FAB_ID_SIZE);
  pf_buf vals = {0};
  char msg[64];
  if (!all || pf_bin_encode(pf_int(np), &vals, msg, sizeof msg) != PF_OK) {
    free(all);
    free(dh);
    free(vals.data);
    want_add(mg, (uint32_t)machine);
    return PF_ENOMEM;
  }
  memcpy(all, h->ship->hashes, (size_t)np * PF_FAB_ID_SIZE);
  memcpy(all + (size_t)np * PF_FAB_ID_SIZE, dh, (size_t)dn * PF_FAB_ID_SIZE);
  free(dh);
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_SUBRANGE;
  m.u.sub.job = part;
  m.u.sub.task = key;
  m.u.sub.sr = *sr;
  m.u.sub.sr.cont = NULL;
  memcpy(m.u.sub.closure, closure, PF_FAB_ID_SIZE);
  m.u.sub.ndefs = n;
  m.u.sub.defs = all;
  m.u.sub.values.p = vals.data;
  m.u.sub.values.n = vals.len;
  pthread_mutex_lock(&mg->mu);
  mg->subrange_msgs++;
  mg->subrange_bytes += PF_FAB_HDR_SIZE + 8 + 8 + PF_SUBRANGE_WIRE_SIZE + PF_FAB_ID_SIZE + 4 +
                        (size_t)n * PF_FAB_ID_SIZE + 4 + vals.len;
  pthread_mutex_unlock(&mg->mu);
  post(mg, (uint32_t)machine, &m); /* what cannot go comes back as a failed result */
  free(all);
  free(vals.data);
  return PF_OK;
}

static pf_status_t r_send(void *rctx, int machine, uint64_t part, uint64_t fold_key,
                          void *fold_ctx, const pf_subrange *sr, pf_val desc) {
  pf_migrate *mg = rctx;
  pthread_mutex_lock(&mg->mu);
  pf_cluster *cl = mg->cl;
  pthread_mutex_unlock(&mg->mu);
  pf_prog_holder *h = pf_program_tag(pf_par_ctx_program(fold_ctx));
  if (!cl || !h || ship_program(mg, cl, h) != 1) {
    if (cl)
      want_add(mg, (uint32_t)machine); /* its request stands for another fold */
    return PF_ENOTSUP;
  }
  return send_part(mg, cl, h, machine, part, fold_key, sr, desc);
}

/* A forked call to "machine": as a part, with a subrange record flagged SUB_CALL. */
static pf_status_t r_send_call(void *rctx, int machine, uint64_t id, void *prog, pf_val desc) {
  pf_migrate *mg = rctx;
  pthread_mutex_lock(&mg->mu);
  pf_cluster *cl = mg->cl;
  pthread_mutex_unlock(&mg->mu);
  pf_prog_holder *h = pf_program_tag(prog);
  if (!cl || !h || ship_program(mg, cl, h) != 1) {
    if (cl)
      want_add(mg, (uint32_t)machine);
    return PF_ENOTSUP;
  }
  pf_subrange sr;
  if (pf_subrange_init(&sr, PF_FOLD_GENERIC, 0, 0, 1, 1) != PF_OK)
    return PF_EINVAL;
  sr.flags = SUB_CALL;
  return send_part(mg, cl, h, machine, id, id, &sr, desc);
}

static void send_steal(pf_migrate *mg, uint32_t to, uint64_t part, uint32_t what) {
  pthread_mutex_lock(&mg->mu);
  pf_cluster *cl = mg->cl;
  pthread_mutex_unlock(&mg->mu);
  if (!cl)
    return;
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_STEAL_REQUEST;
  m.u.steal.job = part;
  m.u.steal.idle = what;
  post(mg, to, &m);
}

static void r_ask_back(void *rctx, int machine, uint64_t part) {
  send_steal(rctx, (uint32_t)machine, part, STEAL_GIVE_BACK);
}

static void r_cancel(void *rctx, int machine, uint64_t part) {
  send_steal(rctx, (uint32_t)machine, part, STEAL_STOP);
}

/* Worker: positions of a received part go back to its owner. */
static pf_status_t r_give_back(void *rctx, int machine, uint64_t part, const pf_subrange *sr) {
  pf_migrate *mg = rctx;
  pthread_mutex_lock(&mg->mu);
  pf_cluster *cl = mg->cl;
  pthread_mutex_unlock(&mg->mu);
  if (!cl)
    return PF_ENOENT;
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_SUBRANGE;
  m.u.sub.job = part;
  m.u.sub.sr = *sr;
  m.u.sub.sr.cont = NULL;
  return pf_cluster_send(cl, (uint32_t)machine, &m, MIG_SEND_TIMEOUT_S);
}

static const pf_remote_ops remote_ops = {
    .claim = r_claim,
    .send = r_send,
    .ask_back = r_ask_back,
    .cancel = r_cancel,
    .give_back = r_give_back,
    .send_call = r_send_call,
};

/* ---------------------------------------------------------------- worker: running parts */

/* RESULT of part "part" (positions from "start"): "acc" covers those before "done"; inline
 * when small, else in pages named by a hex string. An accumulator the codec cannot carry
 * covers nothing (its owner computes the part again). */
static void send_result(pf_migrate *mg, uint32_t to, uint64_t part, pf_val acc, uint64_t start,
                        uint64_t done) {
  pthread_mutex_lock(&mg->mu);
  pf_cluster *cl = mg->cl;
  pthread_mutex_unlock(&mg->mu);
  if (!cl)
    return;
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_RESULT;
  m.u.result.job = part;
  m.u.result.outcome = PF_FAB_RESULT_VALUE;
  m.u.result.position = done;
  pf_buf b = {0};
  char msg[128];
  if (acc.tag != PF_UNBOUND && pf_bin_encode(acc, &b, msg, sizeof msg) != PF_OK) {
    free(b.data);
    b = (pf_buf){0};
    m.u.result.position = start;
  }
  if (b.len > MIG_INLINE_MAX) { /* in pages: the message names them */
    page_ctx pc = {mg, cl, 0};
    pf_val names = publish_leaf(&pc, acc);
    free(b.data);
    b = (pf_buf){0};
    if (names.tag == PF_UNBOUND || pf_bin_encode(names, &b, msg, sizeof msg) != PF_OK) {
      free(b.data);
      b = (pf_buf){0};
      m.u.result.position = start;
    } else {
      m.u.result.outcome = PF_FAB_RESULT_PAGES;
    }
    pf_decref(names);
  }
  m.u.result.values.p = b.data;
  m.u.result.values.n = b.len;
  post(mg, to, &m);
  free(b.data);
}

static void run_task(pf_worker *w, void *arg) {
  mig_run *r = arg;
  pf_val acc = pf_unbound();
  uint64_t done = r->sr.pos;
  if (pf_par_remote_is_call(r->mp->rm)) {
    /* a forked call: done 1 with its value, 0 when it raised (its owner makes it again) */
    if (pf_par_remote_call(r->mp->rm, w, &r->stop, &acc) != PF_OK)
      acc = pf_unbound();
    done = acc.tag != PF_UNBOUND ? 1 : 0;
  } else if (pf_par_remote_run(r->mp->rm, w, &r->sr, (int)r->from, r->part, &acc, &done) != PF_OK) {
    pf_decref(acc);
    acc = pf_unbound();
    done = r->sr.pos;
  }
  send_result(r->mg, r->from, r->part, acc, r->sr.pos, done);
  pf_decref(acc);
  pthread_mutex_lock(&r->mg->mu);
  atomic_store(&r->done, 1);
  r->mg->requested = 0; /* ask for more as soon as nothing runs (however short this was) */
  pthread_cond_signal(&r->mg->cv);
  pthread_mutex_unlock(&r->mg->mu);
}

/* Stored objects the program names, from the pages its blob lists. */
typedef struct obj_ctx {
  pf_cluster *cl;
  uint32_t from;
  const json_t *objects;
} obj_ctx;

static pf_status_t fetch_object(void *ctx, const char *id, pf_val *out) {
  obj_ctx *oc = ctx;
  uint8_t *bytes = NULL;
  size_t len = 0;
  char msg[128];
  pf_status_t st = fetch_hex(oc->cl, oc->from, json_string_value(json_object_get(oc->objects, id)),
                             &bytes, &len);
  if (st == PF_OK && pf_bin_decode(bytes, len, out, msg, sizeof msg) != PF_OK)
    st = PF_ENOENT;
  free(bytes);
  return st;
}

/* The program for the description of "it" (loaded and made ready on first use). */
static mig_prog *get_prog(pf_migrate *mg, pf_cluster *cl, const mig_item *it, char *why, size_t wl) {
  pthread_mutex_lock(&mg->mu);
  for (mig_prog *p = mg->progs; p; p = p->next)
    if (!memcmp(p->key, it->closure, PF_FAB_ID_SIZE)) {
      p->running++;
      p->last_used = pf_rt_now();
      pthread_mutex_unlock(&mg->mu);
      return p;
    }
  pthread_mutex_unlock(&mg->mu);
  pf_val nv = pf_unbound();
  char msg[128];
  if (pf_bin_decode(it->values, it->nvalues, &nv, msg, sizeof msg) != PF_OK || nv.tag != PF_INT ||
      nv.u.i < 1 || (uint64_t)nv.u.i >= it->nhashes) {
    pf_decref(nv);
    snprintf(why, wl, "bad page counts");
    return NULL;
  }
  uint32_t np = (uint32_t)nv.u.i;
  uint8_t *text = NULL, *dbytes = NULL;
  size_t tlen = 0, dlen = 0;
  json_t *blob = NULL;
  pf_program *prog = NULL;
  pf_par_remote *rm = NULL;
  pf_val desc = pf_unbound(), full = pf_unbound();
  mig_prog *mp = NULL;
  if (fetch_chunks(cl, it->from, it->hashes, np, &text, &tlen) != PF_OK ||
      fetch_chunks(cl, it->from, it->hashes + (size_t)np * PF_FAB_ID_SIZE, it->nhashes - np, &dbytes,
                   &dlen) != PF_OK) {
    snprintf(why, wl, "pages not fetched");
    goto out;
  }
  uint8_t h[PF_FAB_ID_SIZE];
  pf_fab_page_hash(dbytes, dlen, h);
  json_error_t je;
  if (memcmp(h, it->closure, PF_FAB_ID_SIZE) != 0 ||
      !(blob = json_loadb((const char *)text, tlen, 0, &je)) ||
      !json_is_object(json_object_get(blob, "doc"))) {
    snprintf(why, wl, "a malformed program or description");
    goto out;
  }
  /* the definitions it uses, fetched where this machine lacks them */
  const char *id;
  json_t *d;
  json_object_foreach(json_object_get(blob, "defs"), id, d) {
    pthread_mutex_lock(&mg->rt->mu);
    bool have = json_object_get(mg->rt->defs, id) != NULL;
    pthread_mutex_unlock(&mg->rt->mu);
    uint8_t *dt = NULL;
    size_t dl = 0;
    json_t *dj = NULL;
    if (!have && fetch_hex(cl, it->from, json_string_value(d), &dt, &dl) == PF_OK &&
        (dj = json_loadb((const char *)dt, dl, 0, &je)) && json_is_object(dj)) {
      pthread_mutex_lock(&mg->rt->mu);
      json_object_set(mg->rt->defs, id, dj);
      pthread_mutex_unlock(&mg->rt->mu);
      pthread_mutex_lock(&mg->mu);
      mg->defs_fetched++;
      pthread_mutex_unlock(&mg->mu);
    }
    json_decref(dj);
    free(dt);
  }
  json_t *err = NULL;
  obj_ctx oc = {cl, it->from, json_object_get(blob, "objects")};
  if (pf_program_load_cached(json_object_get(blob, "doc"), fetch_object, &oc, pf_rt_def_resolve,
                             mg->rt, mg->rt->dcache, &prog, &err) != PF_OK) {
    char *e = err ? json_dumps(err, JSON_COMPACT) : NULL;
    snprintf(why, wl, "the program does not load: %.200s", e ? e : "?");
    free(e);
    json_decref(err);
    prog = NULL;
    goto out;
  }
  const pf_jit_iface *jit = pf_jit_iface_get(mg->rt->jit);
  if (pf_program_prepare_remote(prog, jit) != PF_OK ||
      pf_bin_decode(dbytes, dlen, &desc, msg, sizeof msg) != PF_OK ||
      (full = fetch_big(cl, it->from, desc)).tag == PF_UNBOUND ||
      pf_par_remote_new(prog, mg->rt->dcache, full, jit, &rm, why, wl) != PF_OK) {
    if (!why[0])
      snprintf(why, wl, "the description does not decode");
    goto out;
  }
  if (!(mp = calloc(1, sizeof *mp)))
    goto out;
  memcpy(mp->key, it->closure, PF_FAB_ID_SIZE);
  mp->prog = prog;
  mp->rm = rm;
  mp->running = 1;
  mp->last_used = pf_rt_now();
  prog = NULL;
  rm = NULL;
  pthread_mutex_lock(&mg->mu);
  mp->next = mg->progs;
  mg->progs = mp;
  mg->programs_loaded++;
  mg->descriptions_loaded++;
  pthread_mutex_unlock(&mg->mu);
out:
  pf_decref(desc);
  pf_decref(full);
  pf_par_remote_free(rm);
  pf_program_destroy(prog);
  json_decref(blob);
  free(text);
  free(dbytes);
  return mp;
}

static void start_part(pf_migrate *mg, pf_cluster *cl, mig_item *it) {
  char why[256] = "";
  mig_prog *mp = get_prog(mg, cl, it, why, sizeof why);
  mig_run *r = mp ? calloc(1, sizeof *r) : NULL;
  if (r) {
    r->mg = mg;
    r->mp = mp;
    r->from = it->from;
    r->part = it->part;
    r->sr = it->sr;
    atomic_init(&r->done, 0);
    atomic_init(&r->stop, 0);
    if (pf_job_new(mg->rt->pool, &r->job) == PF_OK && pf_job_start(r->job, run_task, r) == PF_OK) {
      pthread_mutex_lock(&mg->mu);
      r->next = mg->runs;
      mg->runs = r;
      pthread_mutex_unlock(&mg->mu);
      return;
    }
    pf_job_free(r->job);
    free(r);
  }
  if (mp) {
    pthread_mutex_lock(&mg->mu);
    mp->running--;
    pthread_mutex_unlock(&mg->mu);
  }
  pthread_mutex_lock(&mg->mu);
  mg->refused++;
  pthread_mutex_unlock(&mg->mu);
  if (why[0])
    fprintf(stderr, "pyforad: a part from machine %u is left to it: %s\n", it->from, why);
  send_result(mg, it->from, it->part, pf_unbound(), it->sr.pos, it->sr.pos); /* nothing done */
}

/* Frees finished runs and programs no longer worth keeping; true when parts are running. */
static bool reap(pf_migrate *mg) {
  mig_run *done = NULL;
  pthread_mutex_lock(&mg->mu);
  for (mig_run **pp = &mg->runs; *pp;) {
    mig_run *r = *pp;
    if (atomic_load(&r->done)) {
      *pp = r->next;
      r->next = done;
      done = r;
      r->mp->running--;
    } else {
      pp = &r->next;
    }
  }
  bool busy = mg->runs != NULL;
  mig_prog *drop = NULL;
  unsigned n = 0;
  for (mig_prog **pp = &mg->progs; *pp;) {
    mig_prog *p = *pp;
    if (++n > MIG_MAX_PROGS && p->running == 0) {
      *pp = p->next;
      p->next = drop;
      drop = p;
    } else {
      pp = &p->next;
    }
  }
  pthread_mutex_unlock(&mg->mu);
  while (done) {
    mig_run *next = done->next;
    if (pf_job_wait(done->job) != PF_OK) {
      /* stopped (its owner no longer needs it): nothing else to do */
    }
    pf_job_free(done->job);
    free(done);
    done = next;
  }
  while (drop) {
    mig_prog *next = drop->next;
    pf_par_remote_free(drop->rm);
    pf_program_destroy(drop->prog);
    free(drop);
    drop = next;
  }
  return busy;
}

/* ---------------------------------------------------------------- coordinator: results */

static void deliver_result(pf_migrate *mg, pf_cluster *cl, mig_item *it) {
  pf_val acc = pf_unbound(), v = pf_unbound();
  char msg[128];
  uint64_t pos = it->position;
  if (it->outcome == PF_FAB_RESULT_VALUE && it->nvalues) {
    if (pf_bin_decode(it->values, it->nvalues, &acc, msg, sizeof msg) != PF_OK)
      pos = 0;
  } else if (it->outcome == PF_FAB_RESULT_PAGES && it->nvalues &&
             pf_bin_decode(it->values, it->nvalues, &v, msg, sizeof msg) == PF_OK) {
    page_ctx pc = {mg, cl, it->from};
    if ((acc = fetch_leaf(&pc, v)).tag == PF_UNBOUND)
      pos = 0;
  } else {
    pos = 0;
  }
  pf_decref(v);
  pthread_mutex_lock(&mg->mu);
  mg->results_received++;
  mg->result_bytes_received += it->nvalues;
  pthread_mutex_unlock(&mg->mu);
  /* a forked call's (done 1: its value) or a fold part's */
  if (!pf_pool_remote_call_result(mg->rt->pool, it->part, pos == 1 ? acc : pf_unbound()))
    pf_pool_remote_result(mg->rt->pool, it->part, acc, pos);
  pf_decref(acc);
}

/* ---------------------------------------------------------------- the thread */

static void *mig_main(void *arg) {
  pf_migrate *mg = arg;
  for (;;) {
    pthread_mutex_lock(&mg->mu);
    if (!mg->head && !mg->out_head && !mg->stop) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 50 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&mg->cv, &mg->mu, &ts);
    }
    if (mg->stop) {
      pthread_mutex_unlock(&mg->mu);
      break;
    }
    mig_item *it = mg->head;
    if (it) {
      mg->head = it->next;
      if (!mg->head)
        mg->tail = NULL;
    }
    pf_cluster *cl = mg->cl;
    pthread_mutex_unlock(&mg->mu);
    if (cl)
      flush_out(mg, cl);
    if (it && cl) {
      if (it->kind == MI_SUBRANGE)
        start_part(mg, cl, it);
      else
        deliver_result(mg, cl, it);
    }
    item_free(it);
    if (!cl)
      continue;
    if (mg->coordinator) {
      unsigned live = pf_cluster_live(cl);
      pf_pool_set_remote_peers(mg->rt->pool, live > 1 ? live - 1 : 0);
      continue;
    }
    /* a worker with nothing to run asks for work: at once, then every second (its own
     * computations, with --listen, keep its workers busy too) */
    bool busy = reap(mg) || pf_pool_get_stats(mg->rt->pool).busy > 0;
    double now = pf_rt_now();
    pthread_mutex_lock(&mg->mu);
    bool ask = !busy && !mg->head && (!mg->requested || now - mg->last_request >= MIG_IDLE_RESEND_S);
    if (busy)
      mg->requested = 0;
    if (ask) {
      mg->requested = 1;
      mg->last_request = now;
    }
    pthread_mutex_unlock(&mg->mu);
    if (ask)
      send_steal(mg, 0, 0, STEAL_IDLE);
  }
  return NULL;
}

/* ---------------------------------------------------------------- the runtime's interface */

pf_status_t pf_rt_attach_cluster(pf_rt *rt, pf_cluster *cl) {
  pf_migrate *mg = calloc(1, sizeof *mg);
  if (!mg)
    return PF_ENOMEM;
  mg->rt = rt;
  mg->cl = cl;
  mg->coordinator = pf_cluster_is_coordinator(cl);
  pthread_mutex_init(&mg->mu, NULL);
  pthread_cond_init(&mg->cv, NULL);
  if (pthread_create(&mg->th, NULL, mig_main, mg) != 0) {
    pthread_cond_destroy(&mg->cv);
    pthread_mutex_destroy(&mg->mu);
    free(mg);
    return PF_EAGAIN;
  }
  mg->started = 1;
  pf_pool_set_remote(rt->pool, &remote_ops, mg);
  atomic_store_explicit(&rt->mig, mg, memory_order_release);
  return PF_OK;
}

void pf_rt_detach_cluster(pf_rt *rt) {
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (!mg)
    return;
  pthread_mutex_lock(&mg->mu);
  mg->cl = NULL; /* sends fail from now on; parts out there are recomputed as lost */
  mg->stop = 1;
  mg->nwant = 0;
  pthread_cond_broadcast(&mg->cv);
  pthread_mutex_unlock(&mg->mu);
  if (mg->started)
    pthread_join(mg->th, NULL);
  mg->started = 0;
  pf_pool_set_remote_peers(rt->pool, 0);
  for (int m = 0; m < MIG_MAX_WANT; m++) /* nothing will come back */
    (void)pf_pool_remote_lost(rt->pool, m);
}

/* After the pool is gone (pf_rt_destroy). */
void pf_rt_migrate_free(pf_rt *rt) {
  pf_migrate *mg = atomic_load(&rt->mig);
  if (!mg)
    return;
  while (mg->head) {
    mig_item *n = mg->head->next;
    item_free(mg->head);
    mg->head = n;
  }
  while (mg->out_head) {
    mig_out *n = mg->out_head->next;
    free(mg->out_head->values);
    free(mg->out_head->defs);
    free(mg->out_head);
    mg->out_head = n;
  }
  while (mg->runs) { /* finished with the pool */
    mig_run *n = mg->runs->next;
    pf_job_free(mg->runs->job);
    free(mg->runs);
    mg->runs = n;
  }
  while (mg->progs) {
    mig_prog *n = mg->progs->next;
    pf_par_remote_free(mg->progs->rm);
    pf_program_destroy(mg->progs->prog);
    free(mg->progs);
    mg->progs = n;
  }
  for (unsigned i = 0; i < MIG_SENT_FOLDS; i++)
    free(mg->sent[i].hashes);
  pthread_cond_destroy(&mg->cv);
  pthread_mutex_destroy(&mg->mu);
  free(mg);
  atomic_store(&rt->mig, NULL);
}

void pf_rt_ship_free(struct pf_ship *s) {
  if (!s)
    return;
  free(s->hashes);
  free(s);
}

void pf_rt_cluster_on_work(void *ctx, const pf_fab_msg *m, uint32_t from) {
  pf_rt *rt = ctx;
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (!mg)
    return;
  if (from < MIG_MAX_WANT) { /* it answers again */
    pthread_mutex_lock(&mg->mu);
    mg->unreachable[from] = 0;
    pthread_mutex_unlock(&mg->mu);
  }
  switch (m->type) {
  case PF_FAB_STEAL_REQUEST:
    if (m->u.steal.job == 0) {
      if (mg->coordinator)
        want_add(mg, from);
    } else {
      pf_pool_remote_ask(rt->pool, (int)from, m->u.steal.job, m->u.steal.idle == STEAL_STOP);
      if (m->u.steal.idle == STEAL_STOP) { /* a call its owner dropped */
        pthread_mutex_lock(&mg->mu);
        for (mig_run *r = mg->runs; r; r = r->next)
          if (r->from == from && r->part == m->u.steal.job)
            atomic_store(&r->stop, 1);
        pthread_mutex_unlock(&mg->mu);
      }
    }
    return;
  case PF_FAB_SUBRANGE:
    if (mg->coordinator) { /* positions given back */
      pf_pool_remote_returned(rt->pool, m->u.sub.job, &m->u.sub.sr);
      return;
    }
    break;
  case PF_FAB_RESULT:
    if (!mg->coordinator)
      return;
    break;
  default:
    return;
  }
  mig_item *it = calloc(1, sizeof *it);
  if (!it)
    return;
  it->from = from;
  if (m->type == PF_FAB_SUBRANGE) {
    it->kind = MI_SUBRANGE;
    it->part = m->u.sub.job;
    it->sr = m->u.sub.sr;
    memcpy(it->closure, m->u.sub.closure, PF_FAB_ID_SIZE);
    it->nhashes = m->u.sub.ndefs;
    it->hashes = malloc((size_t)it->nhashes * PF_FAB_ID_SIZE + 1);
    it->values = malloc(m->u.sub.values.n + 1);
    it->nvalues = m->u.sub.values.n;
    if (it->hashes && it->values) {
      memcpy(it->hashes, m->u.sub.defs, (size_t)it->nhashes * PF_FAB_ID_SIZE);
      memcpy(it->values, m->u.sub.values.p, it->nvalues);
    }
  } else {
    it->kind = MI_RESULT;
    it->part = m->u.result.job;
    it->outcome = m->u.result.outcome;
    it->position = m->u.result.position;
    it->values = malloc(m->u.result.values.n + 1);
    it->nvalues = m->u.result.values.n;
    if (it->values)
      memcpy(it->values, m->u.result.values.p, it->nvalues);
    it->hashes = malloc(1);
  }
  if (!it->hashes || !it->values) {
    if (it->kind == MI_RESULT)
      pf_pool_remote_result(rt->pool, it->part, pf_unbound(), 0);
    item_free(it);
    return;
  }
  push_item(mg, it);
}

void pf_rt_cluster_on_member(void *ctx, uint32_t id, uint32_t state) {
  pf_rt *rt = ctx;
  (void)state;
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (!mg)
    return;
  want_remove(mg, id);
  unsigned n = pf_pool_remote_lost(rt->pool, (int)id);
  if (n)
    fprintf(stderr, "pyforad: machine %u is gone: %u unfinished part(s) are recomputed here\n",
            id, n);
}

json_t *pf_rt_migrate_stats(pf_rt *rt) {
  pf_remote_stats s = pf_pool_remote_stats(rt->pool);
  json_t *j = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
      "calls_sent", (json_int_t)s.calls_sent, "calls_done", (json_int_t)s.calls_done,
      "calls_failed", (json_int_t)s.calls_failed, "parts_sent",
      (json_int_t)s.parts_sent, "positions_sent", (json_int_t)s.positions_sent, "parts_done",
      (json_int_t)s.parts_done, "positions_done", (json_int_t)s.positions_done, "give_back_asks",
      (json_int_t)s.gave_back_asks, "positions_returned", (json_int_t)s.positions_returned,
      "parts_lost", (json_int_t)s.parts_lost, "positions_recomputed",
      (json_int_t)s.positions_recomputed, "positions_resumed", (json_int_t)s.positions_resumed,
      "positions_dropped", (json_int_t)s.positions_dropped,
      "parts_received", (json_int_t)s.parts_received,
      "positions_received", (json_int_t)s.positions_received, "positions_given_back",
      (json_int_t)s.positions_given_back, "outstanding", (json_int_t)s.outstanding);
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (j && mg) {
    pthread_mutex_lock(&mg->mu);
    json_object_set_new(j, "steal_requests", json_integer((json_int_t)mg->steal_requests));
    json_object_set_new(j, "subrange_messages", json_integer((json_int_t)mg->subrange_msgs));
    json_object_set_new(j, "subrange_bytes", json_integer((json_int_t)mg->subrange_bytes));
    json_object_set_new(j, "page_bytes_published",
                        json_integer((json_int_t)mg->page_bytes_published));
    json_object_set_new(j, "results_sent", json_integer((json_int_t)mg->results_sent));
    json_object_set_new(j, "result_bytes", json_integer((json_int_t)mg->result_bytes));
    json_object_set_new(j, "results_received", json_integer((json_int_t)mg->results_received));
    json_object_set_new(j, "result_bytes_received",
                        json_integer((json_int_t)mg->result_bytes_received));
    json_object_set_new(j, "programs_loaded", json_integer((json_int_t)mg->programs_loaded));
    json_object_set_new(j, "parts_refused", json_integer((json_int_t)mg->refused));
    json_object_set_new(j, "definitions_fetched", json_integer((json_int_t)mg->defs_fetched));
    pthread_mutex_unlock(&mg->mu);
  }
  return j;
}
