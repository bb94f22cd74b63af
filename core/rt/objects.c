/* objects.c — the runtime's side of the object store: program holders (a program lives while
 * a stored value may refer to it), resolving "object" definitions, a block's outputs under
 * the computation's download policy, and downloads/uploads/releases of objects by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_codec.h"
#include "rt_int.h"

#define PF_RT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)

static void holder_destroy(pf_store_owner *o) {
  pf_prog_holder *h = (pf_prog_holder *)o;
  pf_program_destroy(h->prog);
  json_decref(h->doc);
  pf_rt_ship_free(h->ship);
  for (size_t i = 0; i < h->ndeps; i++)
    pf_store_owner_release(h->deps[i]);
  free(h->deps);
  free(h);
}

pf_prog_holder *pf_rt_holder_new(void) {
  pf_prog_holder *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  atomic_init(&h->base.refs, 1);
  h->base.destroy = holder_destroy;
  return h;
}

/* The context of pf_rt_resolve_object. */
typedef struct resolve_ctx {
  pf_rt *rt;
  pf_prog_holder *holder;
} resolve_ctx;

static pf_status_t resolve_object(void *ctx, const char *id, pf_val *out) {
  resolve_ctx *rc = ctx;
  pf_store_owner *owner = NULL;
  pf_status_t st = pf_store_get(rc->rt->store, id, out, &owner);
  if (st != PF_OK)
    return st;
  if (!owner)
    return PF_OK;
  pf_prog_holder *h = rc->holder;
  if (h->ndeps == h->capdeps) {
    size_t cap = h->capdeps ? h->capdeps * 2 : 4;
    pf_store_owner **nd = realloc(h->deps, cap * sizeof *nd);
    if (!nd) {
      pf_decref(*out);
      pf_store_owner_release(owner);
      return PF_ENOMEM;
    }
    h->deps = nd;
    h->capdeps = cap;
  }
  h->deps[h->ndeps++] = owner;
  return PF_OK;
}

pf_status_t pf_rt_load(pf_rt *rt, const json_t *doc, pf_prog_holder **holder_p, json_t **err_p) {
  pf_prog_holder *h = pf_rt_holder_new();
  if (!h)
    return PF_ENOMEM;
  resolve_ctx rc = {rt, h};
  const json_t *dj = json_object_get(doc, "definitions");
  if (json_is_object(dj)) {
    pthread_mutex_lock(&rt->mu);
    rt->n_defs_received += json_object_size(dj);
    pthread_mutex_unlock(&rt->mu);
  }
  pf_status_t st =
      pf_program_load_cached(doc, resolve_object, &rc, pf_rt_def_resolve, rt, rt->dcache, &h->prog, err_p);
  if (st != PF_OK) {
    h->prog = NULL;
    pf_store_owner_release(&h->base);
    return st;
  }
  pf_program_set_tag(h->prog, h);
  if (atomic_load(&rt->mig))
    h->doc = json_deep_copy(doc); /* other machines may load it (migrate.c); a copy: the
                                   * request's document is the server's to free */
  *holder_p = h;
  return PF_OK;
}

pf_status_t pf_rt_parse_policy(const json_t *doc, pf_dl_mode *mode_p, size_t *max_p,
                               json_t **err_p) {
  const json_t *d = json_object_get(doc, "download");
  *mode_p = PF_DL_ALL;
  *max_p = 0;
  if (!d || (json_is_string(d) && !strcmp(json_string_value(d), "all")))
    return PF_OK;
  if (json_is_string(d) && !strcmp(json_string_value(d), "none")) {
    *mode_p = PF_DL_NONE;
    return PF_OK;
  }
  const json_t *m = json_is_object(d) ? json_object_get(d, "max_bytes") : NULL;
  if (json_is_integer(m) && json_integer_value(m) >= 0) {
    *mode_p = PF_DL_MAX;
    *max_p = (size_t)json_integer_value(m);
    return PF_OK;
  }
  *err_p = json_pack("{s:s, s:s}", "type", "InvalidRequest", "message",
                     "download: expected \"all\", \"none\" or {\"max_bytes\": N} with N >= 0");
  return PF_EPROTO;
}

pf_status_t pf_rt_outputs_add(pf_rt_outputs *o, const char *name, pf_val v) {
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 8;
    pf_rt_output *ni = realloc(o->items, cap * sizeof *ni);
    if (!ni)
      return PF_ENOMEM;
    o->items = ni;
    o->cap = cap;
  }
  char *nm = strdup(name);
  if (!nm)
    return PF_ENOMEM;
  o->items[o->n].name = nm;
  o->items[o->n].val = pf_incref(v);
  o->n++;
  return PF_OK;
}

void pf_rt_outputs_free(pf_rt_outputs *o) {
  for (size_t i = 0; i < o->n; i++) {
    free(o->items[i].name);
    pf_decref(o->items[i].val);
  }
  free(o->items);
  memset(o, 0, sizeof *o);
}

/* Returns new {"object": id, "type": ..., "size": N | null} after storing a reference to "v";
 * "size" is the length of its binary encoding (docs/protocol.md), null when it has none. */
static json_t *store_proxy(pf_rt *rt, pf_comp *comp, pf_val v) {
  char id[32], msg[128];
  size_t size = 0;
  int sized = pf_bin_size(v, &size, msg, sizeof msg) == PF_OK;
  if (pf_store_put(rt->store, pf_incref(v), &comp->holder->base, comp->session, id,
                   sizeof id) != PF_OK)
    return NULL;
  pthread_mutex_lock(&rt->mu);
  rt->n_objects_made++;
  pthread_mutex_unlock(&rt->mu);
  return json_pack("{s:s, s:s, s:o}", "object", id, "type", pf_type_name(v), "size",
                   sized ? json_integer((json_int_t)size) : json_null());
}

static int is_unconvertible(const json_t *j) {
  return json_is_object(j) && json_object_size(j) == 1 && json_object_get(j, "unconvertible");
}

pf_status_t pf_rt_outputs_encode(pf_rt *rt, pf_comp *comp, const pf_rt_outputs *o, json_t *vals) {
  for (size_t i = 0; i < o->n; i++) {
    pf_val v = o->items[i].val;
    json_t *j = NULL;
    pf_err e;
    char msg[128];
    size_t size = 0;
    int sized = comp->dl_mode == PF_DL_MAX && pf_bin_size(v, &size, msg, sizeof msg) == PF_OK;
    if (comp->dl_mode == PF_DL_NONE || (sized && size > comp->dl_max)) {
      j = store_proxy(rt, comp, v);
    } else {
      if (pf_val_to_json(v, &j, &e) != PF_OK)
        j = json_pack("{s:s}", "unconvertible", pf_type_name(v));
      if (j && comp->dl_mode == PF_DL_MAX && !sized) {
        /* no binary encoding (an exception, a function …): kept remote unless its JSON
         * form fits */
        char *text = is_unconvertible(j) ? NULL : json_dumps(j, PF_RT_JSON_FLAGS);
        if (!text || strlen(text) > comp->dl_max) {
          json_decref(j);
          j = store_proxy(rt, comp, v);
        }
        free(text);
      }
    }
    if (!j || json_object_set_new(vals, o->items[i].name, j) != 0)
      return PF_ENOMEM;
  }
  return PF_OK;
}

pf_status_t pf_rt_object_json(pf_rt *rt, const char *id, size_t max_bytes, char **text_p,
                              size_t *len_p) {
  pf_val v;
  pf_status_t st = pf_store_get(rt->store, id, &v, NULL);
  if (st != PF_OK)
    return st;
  json_t *j = NULL;
  pf_err e;
  st = pf_val_to_json(v, &j, &e);
  if (st != PF_OK) {
    j = json_pack("{s:s}", "unconvertible", pf_type_name(v));
    st = j ? PF_OK : PF_ENOMEM;
  }
  pf_decref(v);
  if (st != PF_OK)
    return st;
  char *text = json_dumps(j, PF_RT_JSON_FLAGS);
  json_decref(j);
  if (!text)
    return PF_ENOMEM;
  *len_p = strlen(text);
  if (max_bytes && *len_p > max_bytes) {
    free(text);
    return PF_ERANGE;
  }
  *text_p = text;
  return PF_OK;
}

/* The number of session "id" (0 for NULL); PF_ENOENT when it is not open. */
static pf_status_t session_num(pf_rt *rt, const char *id, uint64_t *num_p) {
  *num_p = 0;
  if (!id)
    return PF_OK;
  uint64_t num;
  if (!pf_rt_session_parse(id, &num))
    return PF_ENOENT;
  pthread_mutex_lock(&rt->mu);
  pf_session *s = pf_rt_session_find(rt, num);
  if (s)
    s->last = pf_rt_now();
  pthread_mutex_unlock(&rt->mu);
  *num_p = num;
  return s ? PF_OK : PF_ENOENT;
}

pf_status_t pf_rt_object_put_json(pf_rt *rt, const json_t *value, const char *session,
                                  char *id_buf, size_t id_len, char *msg, size_t msg_len) {
  pf_val v;
  pf_err e;
  uint64_t sn;
  if (session_num(rt, session, &sn) != PF_OK)
    return PF_ENOENT;
  pf_status_t st = pf_val_from_json(value, NULL, NULL, &v, &e);
  if (st != PF_OK) {
    snprintf(msg, msg_len, "%s", e.msg);
    return e.kind == PF_EXC_MemoryError ? PF_ENOMEM : PF_EPROTO;
  }
  return pf_store_put(rt->store, v, NULL, sn, id_buf, id_len);
}

pf_status_t pf_rt_object_release(pf_rt *rt, const char *id) {
  return pf_store_release(rt->store, id);
}

size_t pf_rt_object_count(pf_rt *rt) { return pf_store_count(rt->store); }

pf_status_t pf_rt_object_bin(pf_rt *rt, const char *id, size_t max_bytes, unsigned char **data_p,
                             size_t *len_p, char *msg, size_t msg_len) {
  pf_val v;
  pf_status_t st = pf_store_get(rt->store, id, &v, NULL);
  if (st != PF_OK)
    return st;
  pf_buf b = {NULL, 0, 0};
  st = pf_bin_encode(v, &b, msg, msg_len);
  pf_decref(v);
  if (st == PF_OK && max_bytes && b.len > max_bytes)
    st = PF_ERANGE;
  *len_p = b.len;
  if (st != PF_OK) {
    free(b.data);
    return st;
  }
  *data_p = b.data;
  return PF_OK;
}

pf_status_t pf_rt_object_put_bin(pf_rt *rt, const unsigned char *p, size_t n,
                                 const char *session, char *id_buf, size_t id_len, char *msg,
                                 size_t msg_len) {
  pf_val v;
  uint64_t sn;
  if (session_num(rt, session, &sn) != PF_OK)
    return PF_ENOENT;
  pf_status_t st = pf_bin_decode(p, n, &v, msg, msg_len);
  if (st != PF_OK)
    return st;
  return pf_store_put(rt->store, v, NULL, sn, id_buf, id_len);
}
