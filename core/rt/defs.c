/* defs.c — the definition cache: definitions are content-addressed (docs/protocol.md,
 * POST /v1/definitions). Each uploaded definition is checked against its id (BLAKE2b-128 of
 * the canonical text the client hashed, and that text must be the definition) and kept as
 * JSON keyed by id, with "file" as a file name. Computations list cached definitions in
 * "definition_ids"; pf_rt_load hands program.c a resolver that copies them out of the cache,
 * and the shared compiled-definition cache (rt->dcache, core/interp/pf_defcache.h), which
 * decodes and compiles each definition once, the first time a computation lists it. */
#include <stdio.h>
#include <string.h>

#include <blake2.h>

#include "pf_rt.h"
#include "rt_int.h"

static void hex128(const char *text, size_t n, char out[33]) {
  uint8_t d[16];
  blake2b(d, text, NULL, sizeof d, n, 0);
  for (int i = 0; i < 16; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static pf_status_t bad(json_t **err_p, const char *fmt, const char *a) {
  char msg[256];
  snprintf(msg, sizeof msg, fmt, a ? a : "");
  *err_p = json_pack("{s:s, s:s}", "type", "InvalidRequest", "message", msg);
  return PF_EPROTO;
}

pf_status_t pf_rt_defs_put(pf_rt *rt, const json_t *body, size_t *stored_p, json_t **err_p) {
  *stored_p = 0;
  if (!json_is_object(body))
    return bad(err_p, "expected a JSON object", NULL);
  const json_t *vj = json_object_get(body, "ir_version");
  if (!json_is_integer(vj) || json_integer_value(vj) != 1)
    return bad(err_p, "ir_version: unsupported IR version (this daemon reads version 1)", NULL);
  const json_t *fj = json_object_get(body, "files");
  const json_t *dj = json_object_get(body, "definitions");
  const json_t *cj = json_object_get(body, "canonical");
  if (!json_is_array(fj))
    return bad(err_p, "files: expected an array of file names", NULL);
  if (!json_is_object(dj) || !json_is_object(cj))
    return bad(err_p, "\"definitions\" and \"canonical\" must be objects keyed by id", NULL);
  json_t *add = json_object();
  if (!add)
    return PF_ENOMEM;
  const char *id;
  json_t *d;
  json_object_foreach((json_t *)dj, id, d) {
    const char *text = json_string_value(json_object_get(cj, id));
    if (!json_is_object(d) || !text) {
      json_decref(add);
      return bad(err_p, "definitions.%.64s: expected an object with a \"canonical\" text", id);
    }
    char hex[33];
    hex128(text, strlen(text), hex);
    if (strcmp(hex, id) != 0) {
      json_decref(add);
      return bad(err_p, "definitions.%.64s: the id is not the BLAKE2b-128 of its canonical text", id);
    }
    /* the canonical text must be this definition, with "file" as the file's name */
    json_t *form = json_deep_copy(d);
    if (!form) {
      json_decref(add);
      return PF_ENOMEM;
    }
    const json_t *fi = json_object_get(form, "file");
    if (json_is_integer(fi)) {
      const char *fname = json_string_value(json_array_get(fj, (size_t)json_integer_value(fi)));
      if (!fname || json_integer_value(fi) < 0) {
        json_decref(form);
        json_decref(add);
        return bad(err_p, "definitions.%.64s.file: expected an index into files", id);
      }
      json_object_set_new(form, "file", json_string(fname));
    }
    json_t *parsed = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    int same = parsed && json_equal(parsed, form);
    json_decref(parsed);
    if (!same) {
      json_decref(form);
      json_decref(add);
      return bad(err_p, "definitions.%.64s: the canonical text is not this definition", id);
    }
    json_object_set_new(add, id, form);
  }
  pthread_mutex_lock(&rt->mu);
  json_object_update(rt->defs, add);
  rt->n_defs_received += json_object_size(add);
  pthread_mutex_unlock(&rt->mu);
  *stored_p = json_object_size(add);
  json_decref(add);
  return PF_OK;
}

json_t *pf_rt_defs_missing(pf_rt *rt, const json_t *ids) {
  json_t *out = json_array();
  if (!out)
    return NULL;
  pthread_mutex_lock(&rt->mu);
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) {
    const char *id = json_string_value(v);
    if (id && !json_object_get(rt->defs, id))
      json_array_append(out, v);
  }
  pthread_mutex_unlock(&rt->mu);
  return out;
}

pf_status_t pf_rt_def_resolve(void *ctx, const char *id, json_t **out) {
  pf_rt *rt = ctx;
  pthread_mutex_lock(&rt->mu);
  json_t *d = json_object_get(rt->defs, id);
  json_t *c = d ? json_deep_copy(d) : NULL;
  if (c)
    rt->n_defs_hits++;
  pthread_mutex_unlock(&rt->mu);
  if (!d)
    return PF_ENOENT;
  if (!c)
    return PF_ENOMEM;
  *out = c;
  return PF_OK;
}

pf_status_t pf_rt_defs_init(pf_rt *rt) {
  if (!(rt->defs = json_object()))
    return PF_ENOMEM;
  return pf_defcache_create(0, &rt->dcache);
}

void pf_rt_defs_fini(pf_rt *rt) {
  pf_defcache_destroy(rt->dcache);
  rt->dcache = NULL;
  json_decref(rt->defs);
  rt->defs = NULL;
}

void pf_rt_defs_stats(pf_rt *rt, json_t *j) {
  pf_defcache_stats s = {0, 0, 0, 0};
  if (rt->dcache)
    pf_defcache_stats_get(rt->dcache, &s);
  json_object_set_new(j, "definitions_cached", json_integer((json_int_t)json_object_size(rt->defs)));
  json_object_set_new(j, "definitions_received", json_integer((json_int_t)rt->n_defs_received));
  json_object_set_new(j, "definitions_cached_hits",
                      json_integer((json_int_t)(rt->n_defs_hits + s.hits)));
  json_object_set_new(j, "definitions_compiled", json_integer((json_int_t)s.compiled));
  json_object_set_new(j, "definitions_shared", json_integer((json_int_t)s.shared));
}
