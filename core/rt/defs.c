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

/* The member id named by "scc:N" in a group's form (NULL when "s" is not such a name). */
static json_t *scc_member(const char *s, const json_t *ids) {
  if (!s || strncmp(s, "scc:", 4) != 0 || !s[4])
    return NULL;
  size_t n = 0;
  for (const char *c = s + 4; *c; c++) {
    if (*c < '0' || *c > '9' || n > 100000000)
      return NULL;
    n = n * 10 + (size_t)(*c - '0');
  }
  return json_array_get(ids, n);
}

static void scc_value(json_t *v, const json_t *ids) {
  if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) scc_value(x, ids);
  } else if (json_is_object(v)) {
    json_t *r = json_object_get(v, "ref");
    json_t *m = json_object_size(v) == 1 ? scc_member(json_string_value(r), ids) : NULL;
    if (m) {
      json_object_set(v, "ref", m);
      return;
    }
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) scc_value(x, ids);
  }
}

/* Replaces the group-relative references ("scc:N") of form "d" by the members' ids, in the
 * places a definition refers to others (globals, freevars, kwdefaults, defaults, bases, and
 * {"ref": id} inside a value), as the client's assign_ids substituted them. */
static void scc_substitute(json_t *d, const json_t *ids) {
  const char *maps[3] = {"globals", "freevars", "kwdefaults"};
  const char *arrs[2] = {"defaults", "bases"};
  for (int m = 0; m < 3; m++) {
    json_t *o = json_object_get(d, maps[m]);
    const char *k;
    json_t *x;
    json_object_foreach(o, k, x) {
      json_t *id = scc_member(json_string_value(x), ids);
      if (id)
        json_object_set(o, k, id);
    }
  }
  for (int a = 0; a < 2; a++) {
    json_t *arr = json_object_get(d, arrs[a]);
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
      json_t *id = scc_member(json_string_value(x), ids);
      if (id)
        json_array_set(arr, i, id);
    }
  }
  scc_value(json_object_get(d, "value"), ids);
}

/* Checks "groups" (the canonical forms of each cyclic group, in position order): recomputes
 * the members' ids as the client's assign_ids does (BLAKE2b-128 of "<group hash>:<position>",
 * the group hash that of "[form,form,...]") and returns in *expect_p a new object: member id
 * -> the definition its form stands for ("file" as a name). */
static pf_status_t check_groups(const json_t *gj, json_t **expect_p, json_t **err_p) {
  json_t *expect = json_object();
  if (!expect)
    return PF_ENOMEM;
  *expect_p = expect;
  if (!gj)
    return PF_OK;
  if (!json_is_array(gj))
    return bad(err_p, "groups: expected an array of arrays of canonical texts", NULL);
  size_t g;
  json_t *forms;
  json_array_foreach(gj, g, forms) {
    size_t n = json_array_size(forms);
    size_t len = 2;
    for (size_t k = 0; k < n; k++) {
      if (!json_is_string(json_array_get(forms, k)))
        return bad(err_p, "groups: expected an array of arrays of canonical texts", NULL);
      len += json_string_length(json_array_get(forms, k)) + 1;
    }
    if (!json_is_array(forms) || !n)
      return bad(err_p, "groups: expected an array of arrays of canonical texts", NULL);
    char *all = malloc(len + 1), *w = all;
    json_t *ids = json_array();
    if (!all || !ids) {
      free(all);
      json_decref(ids);
      return PF_ENOMEM;
    }
    *w++ = '[';
    for (size_t k = 0; k < n; k++) {
      size_t l = json_string_length(json_array_get(forms, k));
      if (k)
        *w++ = ',';
      memcpy(w, json_string_value(json_array_get(forms, k)), l);
      w += l;
    }
    *w++ = ']';
    char hash[33], member[64], id[33];
    hex128(all, (size_t)(w - all), hash);
    free(all);
    for (size_t k = 0; k < n; k++) {
      snprintf(member, sizeof member, "%s:%zu", hash, k);
      hex128(member, strlen(member), id);
      json_array_append_new(ids, json_string(id));
    }
    for (size_t k = 0; k < n; k++) {
      const char *text = json_string_value(json_array_get(forms, k));
      json_t *form = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
      if (!json_is_object(form)) {
        json_decref(form);
        json_decref(ids);
        return bad(err_p, "groups: a canonical text is not a JSON object", NULL);
      }
      scc_substitute(form, ids);
      json_object_set_new(expect, json_string_value(json_array_get(ids, k)), form);
    }
    json_decref(ids);
  }
  return PF_OK;
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
  json_t *expect = NULL, *add = NULL, *form = NULL, *parsed = NULL;
  pf_status_t st = check_groups(json_object_get(body, "groups"), &expect, err_p);
  if (st == PF_OK && !(add = json_object()))
    st = PF_ENOMEM;
  const char *id;
  json_t *d;
  if (st == PF_OK)
    json_object_foreach((json_t *)dj, id, d) {
      const char *text = json_string_value(json_object_get(cj, id));
      json_t *grouped = json_object_get(expect, id);
      if (!json_is_object(d) || (!text && !grouped)) {
        if (json_is_object(d) && json_object_get(body, "groups"))
          st = bad(err_p, "definitions.%.64s: the id is not the BLAKE2b-128 of a canonical text, "
                          "nor that of a member of one of the groups", id);
        else
          st = bad(err_p, "definitions.%.64s: expected an object with a \"canonical\" text", id);
        break;
      }
      char hex[33];
      if (text)
        hex128(text, strlen(text), hex);
      if (text && strcmp(hex, id) != 0) {
        st = bad(err_p, "definitions.%.64s: the id is not the BLAKE2b-128 of its canonical text", id);
        break;
      }
      /* the canonical text (or the group's form) must be this definition, with "file" as
       * the file's name */
      if (!(form = json_deep_copy(d))) {
        st = PF_ENOMEM;
        break;
      }
      const json_t *fi = json_object_get(form, "file");
      if (json_is_integer(fi)) {
        const char *fname = json_string_value(json_array_get(fj, (size_t)json_integer_value(fi)));
        if (!fname || json_integer_value(fi) < 0) {
          st = bad(err_p, "definitions.%.64s.file: expected an index into files", id);
          break;
        }
        json_object_set_new(form, "file", json_string(fname));
      }
      parsed = text ? json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : json_incref(grouped);
      int same = parsed && json_equal(parsed, form);
      json_decref(parsed);
      parsed = NULL;
      if (!same) {
        st = bad(err_p, "definitions.%.64s: the canonical text is not this definition", id);
        break;
      }
      json_object_set_new(add, id, form);
      form = NULL;
    }
  if (st == PF_OK) {
    pthread_mutex_lock(&rt->mu);
    json_object_update(rt->defs, add);
    rt->n_defs_received += json_object_size(add);
    pthread_mutex_unlock(&rt->mu);
    *stored_p = json_object_size(add);
  }
  json_decref(form);
  json_decref(add);
  json_decref(expect);
  return st;
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
