/* defcache.c — the shared definition cache (pf_defcache.h). Definitions are content-addressed
 * and immutable, and the names a definition uses map to other definitions' ids, so a
 * definition compiled once means the same thing in every program: its code, its function or
 * class object and its globals namespace are built once, in a "unit" (a pf_program that is
 * never run: it owns the arena, the immortal objects and the cells), and shared read-only.
 *
 * Locking: "mu" guards the id table and the counters; "build_mu" lets one load at a time
 * build a unit (decode, compile, run class bodies) without holding "mu", so loads that only
 * hit the cache never wait for a build. Writers of the table hold both; a builder reads the
 * table holding only "build_mu". A published definition is never written again (its state is
 * final, its namespace filled), so programs read it without a lock.
 *
 * Lifetime: units live until pf_defcache_destroy (the daemon's life), freed newest first (a
 * unit refers only to older ones). The cap "max_defs" bounds the table; past it, definitions
 * are compiled into each program that uses them, as without a cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "defcache_int.h"

#define PF_DEFCACHE_DEFAULT_MAX 65536u

struct pf_defcache {
  pthread_mutex_t mu;
  pthread_mutex_t build_mu;
  pf_def **slots; /* open addressing by id, linear probing; cap a power of two */
  size_t cap, n, max_defs;
  pf_program **units;
  size_t nunits, capunits;
  uint64_t compiled, hits;
};

static uint64_t id_hash(const char *s) { return XXH3_64bits(s, strlen(s)); }

static pf_def *table_get(const pf_defcache *c, const char *id) {
  if (!c->cap)
    return NULL;
  for (size_t i = id_hash(id) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
    pf_def *d = c->slots[i];
    if (!d)
      return NULL;
    if (!strcmp(d->id, id))
      return d;
  }
}

/* Makes room for "extra" more entries (the caller holds both locks). */
static pf_status_t table_reserve(pf_defcache *c, size_t extra) {
  if ((c->n + extra) * 2 <= c->cap)
    return PF_OK;
  size_t cap = c->cap ? c->cap : 64;
  while ((c->n + extra) * 2 > cap)
    cap *= 2;
  pf_def **ns = calloc(cap, sizeof *ns);
  if (!ns)
    return PF_ENOMEM;
  for (size_t i = 0; i < c->cap; i++) {
    pf_def *d = c->slots[i];
    if (!d)
      continue;
    size_t j = id_hash(d->id) & (cap - 1);
    while (ns[j])
      j = (j + 1) & (cap - 1);
    ns[j] = d;
  }
  free(c->slots);
  c->slots = ns;
  c->cap = cap;
  return PF_OK;
}

static void table_put(pf_defcache *c, pf_def *d) {
  size_t j = id_hash(d->id) & (c->cap - 1);
  while (c->slots[j])
    j = (j + 1) & (c->cap - 1);
  c->slots[j] = d;
  c->n++;
}

pf_status_t pf_defcache_create(size_t max_defs, pf_defcache **cache_p) {
  pf_defcache *c = calloc(1, sizeof *c);
  if (!c)
    return PF_ENOMEM;
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    free(c);
    return PF_ENOMEM;
  }
  if (pthread_mutex_init(&c->build_mu, NULL) != 0) {
    pthread_mutex_destroy(&c->mu);
    free(c);
    return PF_ENOMEM;
  }
  c->max_defs = max_defs ? max_defs : PF_DEFCACHE_DEFAULT_MAX;
  *cache_p = c;
  return PF_OK;
}

void pf_defcache_destroy(pf_defcache *c) {
  if (!c)
    return;
  while (c->nunits)
    pf_program_destroy(c->units[--c->nunits]);
  free(c->units);
  free(c->slots);
  pthread_mutex_destroy(&c->build_mu);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

void pf_defcache_stats_get(pf_defcache *c, pf_defcache_stats *out) {
  pthread_mutex_lock(&c->mu);
  out->compiled = c->compiled;
  out->shared = c->n;
  out->hits = c->hits;
  out->units = c->nunits;
  pthread_mutex_unlock(&c->mu);
}

void pf_defcache_count_compiled(pf_defcache *c, uint64_t n) {
  pthread_mutex_lock(&c->mu);
  c->compiled += n;
  pthread_mutex_unlock(&c->mu);
}

pf_def *pf_defcache_find_building(pf_defcache *c, const char *id) { return table_get(c, id); }

pf_def *pf_defcache_find(pf_defcache *c, const char *id) {
  pthread_mutex_lock(&c->mu);
  pf_def *d = table_get(c, id);
  pthread_mutex_unlock(&c->mu);
  return d;
}

static pf_status_t push_import(pf_load_ctx *lc, pf_def *d) {
  if (lc->nimports == lc->capimports) {
    uint32_t cap = lc->capimports ? lc->capimports * 2 : 16;
    pf_def **ni = realloc(lc->imports, cap * sizeof *ni);
    if (!ni)
      return PF_ENOMEM;
    lc->imports = ni;
    lc->capimports = cap;
  }
  lc->imports[lc->nimports++] = d;
  return PF_OK;
}

/* Appends the definition ids "d" refers to (borrowed strings) to "out" (a JSON array). */
static void value_refs(const json_t *v, json_t *out) {
  if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) value_refs(x, out);
  } else if (json_is_object(v)) {
    const json_t *r = json_object_get(v, "ref");
    if (json_object_size(v) == 1 && json_is_string(r)) {
      json_array_append(out, (json_t *)r);
      return;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) value_refs(x, out);
  }
}

static void def_refs(const json_t *d, json_t *out) {
  const char *maps[3] = {"globals", "freevars", "kwdefaults"};
  const char *arrs[2] = {"defaults", "bases"};
  for (int m = 0; m < 3; m++) {
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(d, maps[m]), k, x) json_array_append(out, x);
  }
  for (int a = 0; a < 2; a++) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(d, arrs[a]), i, x) json_array_append(out, x);
  }
  value_refs(json_object_get(d, "value"), out);
}

/* Whether a definition of this kind can be shared: everything but proxies to stored
 * objects (whose ids name values that come and go) and unknown kinds (errors). */
static bool kind_shareable(const json_t *d) {
  static const char *const kinds[] = {"function", "class", "value", "module",
                                      "builtin", "module_attr", "unconvertible"};
  const char *k = json_string_value(json_object_get(d, "kind"));
  for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
    if (!strcmp(k, kinds[i]))
      return true;
  return false;
}

static bool builtin_decorator(const json_t *e, const json_t *provided) {
  const char *t = json_string_value(json_object_get(e, "t"));
  if (t && !strcmp(t, "Name")) {
    const char *id = json_string_value(json_object_get(e, "id"));
    return id && !json_object_get(provided, id) &&
           (!strcmp(id, "staticmethod") || !strcmp(id, "classmethod") || !strcmp(id, "property"));
  }
  if (t && !strcmp(t, "Attribute")) { /* @x.setter of a property made in the body */
    const char *a = json_string_value(json_object_get(e, "attr"));
    return a && (!strcmp(a, "setter") || !strcmp(a, "getter") || !strcmp(a, "deleter"));
  }
  return false;
}

/* Whether running the class body "j" (IR JSON) is quick: no loops, no comprehensions, no
 * calls but the builtin decorators (function bodies are not run, their defaults and
 * decorators are). Only such classes are built at load time, under the build lock; the
 * others are made by each program when it runs, where they can be cancelled. */
static bool body_quick(const json_t *j, const json_t *provided) {
  if (json_is_array(j)) {
    size_t i;
    json_t *x;
    json_array_foreach(j, i, x) if (!body_quick(x, provided)) return false;
    return true;
  }
  if (!json_is_object(j))
    return true;
  static const char *const loops[] = {"For", "While", "ListComp", "SetComp", "DictComp",
                                      "GeneratorExp", "Call"};
  const char *t = json_string_value(json_object_get(j, "t"));
  for (size_t i = 0; t && i < sizeof loops / sizeof loops[0]; i++)
    if (!strcmp(t, loops[i]))
      return false;
  bool fn = t && (!strcmp(t, "FunctionDef") || !strcmp(t, "Lambda"));
  if (t && (fn || !strcmp(t, "ClassDef"))) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(j, "decorator_list"), i, x) if (!builtin_decorator(x, provided)) return false;
  }
  const char *k;
  json_t *x;
  json_object_foreach((json_t *)j, k, x) {
    if (fn && (!strcmp(k, "body") || !strcmp(k, "decorator_list")))
      continue;
    if (!strcmp(k, "decorator_list"))
      continue;
    if (!body_quick(x, provided))
      return false;
  }
  return true;
}

/* Builds a unit from the definitions "cand" (id -> fetched JSON, borrowed) and publishes
 * them; *published_p is false when a class body raised (nothing is published then and the
 * definitions are left to the program). The caller holds build_mu. */
static pf_status_t build_unit(pf_defcache *c, const json_t *cand, pf_load_ctx *lc,
                              bool *published_p, json_t **err_p) {
  *published_p = false;
  pf_program *u = pf_program_new();
  if (!u)
    return PF_ENOMEM;
  pf_load_ctx ulc = {.owned = json_object(), .cache = c, .unit = true};
  pf_status_t st = ulc.owned ? pf_program_files_init(u, &ulc, 4) : PF_ENOMEM;
  const char *id;
  json_t *d;
  json_object_foreach((json_t *)cand, id, d) {
    if (st != PF_OK)
      break;
    json_t *copy = json_deep_copy(d);
    st = copy ? pf_program_add_fetched(u, &ulc, id, copy, err_p) : PF_ENOMEM;
  }
  if (st == PF_OK)
    st = pf_program_load_unit(u, &ulc, err_p);
  pf_val exc = pf_unbound();
  if (st == PF_OK)
    st = pf_program_make_classes(u, NULL, 0, &exc);
  for (uint32_t i = 0; u->defs && i < u->ndefs; i++)
    u->defs[i].j = NULL;
  json_decref(ulc.owned);
  free(ulc.imports);
  if (st == PF_EPYEXC) {
    /* a class body raised: the program compiles these itself and raises when it runs */
    pf_decref(exc);
    pf_program_destroy(u);
    return PF_OK;
  }
  if (st == PF_OK) {
    pthread_mutex_lock(&c->mu);
    if (c->nunits == c->capunits) {
      size_t cap = c->capunits ? c->capunits * 2 : 16;
      pf_program **nu = realloc(c->units, cap * sizeof *nu);
      if (nu) {
        c->units = nu;
        c->capunits = cap;
      }
    }
    if (c->nunits == c->capunits || table_reserve(c, u->ndefs) != PF_OK)
      st = PF_ENOMEM;
    else {
      c->units[c->nunits++] = u;
      for (uint32_t i = 0; i < u->ndefs; i++)
        table_put(c, &u->defs[i]);
    }
    pthread_mutex_unlock(&c->mu);
  }
  if (st != PF_OK) {
    pf_program_destroy(u);
    return st;
  }
  for (uint32_t i = 0; i < u->ndefs && st == PF_OK; i++)
    st = push_import(lc, &u->defs[i]);
  *published_p = st == PF_OK;
  return st;
}

pf_status_t pf_defcache_import(pf_defcache *c, pf_program *p, const json_t *ids,
                               const json_t *inline_defs, pf_load_ctx *lc, json_t **err_p) {
  size_t n = json_array_size(ids);
  const char **miss = calloc(n + 1, sizeof *miss);
  if (!miss)
    return PF_ENOMEM;
  size_t nmiss = 0;
  pf_status_t st = PF_OK;
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; i < n && st == PF_OK; i++) {
    const char *id = json_string_value(json_array_get(ids, i));
    if (!id || (inline_defs && json_object_get(inline_defs, id)))
      continue;
    bool seen = false;
    for (uint32_t k = 0; k < lc->nimports && !seen; k++)
      seen = !strcmp(lc->imports[k]->id, id);
    for (size_t k = 0; k < nmiss && !seen; k++)
      seen = !strcmp(miss[k], id);
    if (seen)
      continue;
    pf_def *d = table_get(c, id);
    if (d) {
      c->hits++;
      st = push_import(lc, d);
    } else
      miss[nmiss++] = id;
  }
  pthread_mutex_unlock(&c->mu);
  if (st != PF_OK || !nmiss) {
    free(miss);
    return st;
  }

  pthread_mutex_lock(&c->build_mu);
  json_t *fetched = json_object(), *refs = json_array();
  if (!fetched || !refs)
    st = PF_ENOMEM;
  /* built by another load meanwhile? (only builders write the table, and we are one now) */
  for (size_t i = 0; i < nmiss && st == PF_OK; i++) {
    pf_def *d = table_get(c, miss[i]);
    if (d) {
      pthread_mutex_lock(&c->mu);
      c->hits++;
      pthread_mutex_unlock(&c->mu);
      st = push_import(lc, d);
      continue;
    }
    json_t *j = NULL;
    pf_status_t rs = lc->resolve_def ? lc->resolve_def(lc->def_ctx, miss[i], &j) : PF_ENOENT;
    if (rs == PF_ENOENT)
      continue; /* the program's own load reports it */
    if (rs != PF_OK)
      st = rs;
    else if (json_object_set_new(fetched, miss[i], j) != 0)
      st = PF_ENOMEM;
  }
  /* the shareable ones: shareable kinds whose references are all shared or shareable */
  json_t *cand = st == PF_OK ? json_object() : NULL;
  if (st == PF_OK && !cand)
    st = PF_ENOMEM;
  if (st == PF_OK) {
    const char *id;
    json_t *d;
    json_object_foreach(fetched, id, d) {
      if (!json_is_object(d) || !kind_shareable(d))
        continue;
      const char *kind = json_string_value(json_object_get(d, "kind"));
      if (!strcmp(kind, "class") &&
          !body_quick(json_object_get(d, "node"), json_object_get(d, "globals")))
        continue;
      json_object_set(cand, id, d);
    }
    for (bool changed = true; changed;) {
      changed = false;
      void *tmp;
      json_object_foreach_safe(cand, tmp, id, d) {
        json_array_clear(refs);
        def_refs(d, refs);
        size_t i;
        json_t *r;
        bool ok = true;
        json_array_foreach(refs, i, r) {
          const char *rid = json_string_value(r);
          if (!rid || (!json_object_get(cand, rid) && !table_get(c, rid))) {
            ok = false;
            break;
          }
        }
        if (!ok) {
          json_object_del(cand, id);
          changed = true;
        }
      }
    }
    pthread_mutex_lock(&c->mu);
    bool room = c->n + json_object_size(cand) <= c->max_defs;
    pthread_mutex_unlock(&c->mu);
    bool published = false;
    if (room && json_object_size(cand))
      st = build_unit(c, cand, lc, &published, err_p);
    /* what was not published is compiled by the program itself */
    json_object_foreach(fetched, id, d) {
      if (st != PF_OK)
        break;
      if (published && json_object_get(cand, id))
        continue;
      st = pf_program_add_fetched(p, lc, id, json_incref(d), err_p);
    }
  }
  pthread_mutex_unlock(&c->build_mu);
  json_decref(cand);
  json_decref(refs);
  json_decref(fetched);
  free(miss);
  return st;
}
