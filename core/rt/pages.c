/* pages.c — what travels as pages between machines for core/rt/migrate.c: programs (the IR
 * document, a page per definition, the stored objects it names), fold and call descriptions
 * (their large lists and tuples as pages of their own), large results. Pages are named by
 * content (XXH3-128), published once, fetched once and cached by the fabric. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"

/* Publishes "len" bytes as pages of at most PF_FAB_PAGE_MAX; their names in a new array. */
pf_status_t mig_publish_chunks(pf_migrate *mg, pf_cluster *cl, const uint8_t *data, size_t len,
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
pf_status_t mig_fetch_chunks(pf_cluster *cl, uint32_t from, const uint8_t *hashes, uint32_t n,
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
json_t *mig_publish_hex(pf_migrate *mg, pf_cluster *cl, const uint8_t *data, size_t len) {
  uint8_t *h = NULL;
  uint32_t n = 0;
  json_t *out = NULL;
  if (mig_publish_chunks(mg, cl, data, len, &h, &n) == PF_OK) {
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
pf_status_t mig_fetch_hex(pf_cluster *cl, uint32_t from, const char *hex, uint8_t **out,
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
  pf_status_t st = mig_fetch_chunks(cl, from, names, (uint32_t)(n / 2 / PF_FAB_ID_SIZE), out, len_p);
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
    out = mig_publish_hex(mg, cl, b.data, b.len);
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
int mig_ship_program(pf_migrate *mg, pf_cluster *cl, pf_prog_holder *h) {
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
      json_t *names = dt ? mig_publish_hex(mg, cl, (const uint8_t *)dt, strlen(dt)) : NULL;
      free(dt);
      ok = ok && names && defpages && json_object_set_new(defpages, did, names) == 0;
    }
    if (ok && json_object_set(blob, "doc", h->doc) == 0 &&
        json_object_set(blob, "defs", defpages) == 0 && json_object_set(blob, "objects", objs) == 0)
      text = json_dumps(blob, JSON_COMPACT);
    if (text && mig_publish_chunks(mg, cl, (const uint8_t *)text, strlen(text), &s->hashes, &s->n) == PF_OK)
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


/* Large data → the names of the pages holding it (a hex str). */
pf_val mig_publish_leaf(void *ctx, pf_val data) {
  mig_page_ctx *pc = ctx;
  pf_buf b = {0};
  char msg[128];
  pf_err err;
  json_t *hex = NULL;
  pf_val out = pf_unbound();
  if (pf_bin_encode(data, &b, msg, sizeof msg) == PF_OK &&
      (hex = mig_publish_hex(pc->mg, pc->cl, b.data, b.len)) &&
      pf_str_from_cstr(json_string_value(hex), &out, &err) != PF_OK)
    out = pf_unbound();
  json_decref(hex);
  free(b.data);
  return out;
}

/* The names of pages → the data they hold, fetched from machine "from". */
pf_val mig_fetch_leaf(void *ctx, pf_val names) {
  mig_page_ctx *pc = ctx;
  uint8_t *bytes = NULL;
  size_t len = 0;
  char msg[128];
  pf_val out = pf_unbound();
  if (!pf_is_type(names, &pf_type_str) ||
      mig_fetch_hex(pc->cl, pc->from, pf_str_utf8(names, NULL), &bytes, &len) != PF_OK ||
      pf_bin_decode(bytes, len, &out, msg, sizeof msg) != PF_OK)
    out = pf_unbound();
  free(bytes);
  return out;
}

/* "desc" with every ("p", data) replaced by ("h", names of the pages holding data): large
 * data is published once, whatever folds it is in, and a receiver fetches it once. */
static pf_val swap_big(pf_migrate *mg, pf_cluster *cl, pf_val desc) {
  mig_page_ctx pc = {mg, cl, 0};
  retag rt = {"p", "h", mig_publish_leaf, &pc};
  return retag_tuples(&rt, desc, 0);
}

/* The receiver's inverse of swap_big: ("h", names) → ("v", data fetched from "from"). */
pf_val mig_fetch_big(pf_cluster *cl, uint32_t from, pf_val desc) {
  mig_page_ctx pc = {NULL, cl, from};
  retag rt = {"h", "v", mig_fetch_leaf, &pc};
  return retag_tuples(&rt, desc, 0);
}

/* The pages of fold "key"'s description "desc", published at its first part. */
pf_status_t mig_ship_desc(pf_migrate *mg, pf_cluster *cl, uint64_t key, pf_val desc,
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
  st = mig_publish_chunks(mg, cl, b.data, b.len, &h, &n);
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



pf_status_t mig_fetch_object(void *ctx, const char *id, pf_val *out) {
  mig_obj_ctx *oc = ctx;
  uint8_t *bytes = NULL;
  size_t len = 0;
  char msg[128];
  pf_status_t st = mig_fetch_hex(oc->cl, oc->from, json_string_value(json_object_get(oc->objects, id)),
                             &bytes, &len);
  if (st == PF_OK && pf_bin_decode(bytes, len, out, msg, sizeof msg) != PF_OK)
    st = PF_ENOENT;
  free(bytes);
  return st;
}


void pf_rt_ship_free(struct pf_ship *s) {
  if (!s)
    return;
  free(s->hashes);
  free(s);
}
