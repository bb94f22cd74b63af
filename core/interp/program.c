/* program.c — pf_program_load/run/destroy: the IR document's top level, definitions and
 * their namespaces, and the result encoding of docs/ir.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defcache_int.h"
#include "pf_par_remote.h"
#include "vm_int.h"

static pf_status_t bad(json_t **err_p, const char *fmt, const char *a, const char *b) {
  char msg[600];
  snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
  return pf_lerr_set(err_p, "InvalidRequest", NULL, 0, "%s", msg);
}

/* The builtin exception classes, shared by every program of the process: a value kept in the
 * object store (a function that raises ValueError) may run inside a later program, whose
 * `except ValueError` must match the same class. Created once, immutable, never freed. */
static pf_program *exc_root;
static pf_status_t exc_root_st = PF_OK;
static pthread_once_t exc_once = PTHREAD_ONCE_INIT;

static void exc_root_init(void) {
  exc_root = calloc(1, sizeof *exc_root);
  exc_root_st = exc_root ? pf_exc_classes_init(exc_root) : PF_ENOMEM;
}

static pf_status_t shared_exc_classes(pf_program *p) {
  pthread_once(&exc_once, exc_root_init);
  if (exc_root_st != PF_OK)
    return exc_root_st;
  memcpy(p->exc_classes, exc_root->exc_classes, sizeof p->exc_classes);
  return PF_OK;
}

/* The definition "id" of the program being loaded: its own, then the shared ones it imports
 * from the definition cache, then (building a cache unit, under the cache's build lock)
 * any shared one. */
static pf_def *find_def(pf_program *p, const pf_load_ctx *lc, const char *id) {
  for (uint32_t i = 0; i < p->ndefs; i++)
    if (!strcmp(p->defs[i].id, id))
      return &p->defs[i];
  for (uint32_t i = 0; i < lc->nimports; i++)
    if (!strcmp(lc->imports[i]->id, id))
      return lc->imports[i];
  return lc->unit ? pf_defcache_find_building(lc->cache, id) : NULL;
}

/* Checks that "j" is an object mapping identifiers to known definition ids. */
static pf_status_t check_id_map(pf_program *p, const pf_load_ctx *lc, const json_t *j,
                                const char *where, json_t **err_p) {
  if (!j)
    return PF_OK;
  if (!json_is_object(j))
    return bad(err_p, "%s: expected an object", where, NULL);
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)j, k, v) {
    if (!json_is_string(v))
      return bad(err_p, "%s.%s: expected a definition id string", where, k);
    if (!find_def(p, lc, json_string_value(v)))
      return bad(err_p, "%s.%s: unknown definition id", where, k);
  }
  return PF_OK;
}

/* What resolve_ref needs: the program and its load context. */
typedef struct ref_ctx {
  pf_program *p;
  const pf_load_ctx *lc;
} ref_ctx;

static pf_status_t resolve_ref(void *ctx, const char *id, pf_val *out, pf_err *err);

static pf_status_t materialize(const ref_ctx *rc, pf_def *d, pf_err *err) {
  if (d->state == 2)
    return PF_OK;
  if (d->state == 1)
    return pf_raise(err, PF_EXC_ValueError, "cycle in value references at definition '%s'", d->id);
  if (d->kind != DEF_VALUE)
    return pf_raise(err, PF_EXC_ValueError, "definition '%s' is not available as a value here", d->id);
  d->state = 1;
  pf_val v;
  if (pf_val_from_json(json_object_get(d->j, "value"), resolve_ref, (void *)rc, &v, err) != PF_OK)
    return PF_EPYEXC;
  d->val = v;
  d->state = 2;
  return PF_OK;
}

static pf_status_t resolve_ref(void *ctx, const char *id, pf_val *out, pf_err *err) {
  const ref_ctx *rc = ctx;
  pf_def *d = find_def(rc->p, rc->lc, id);
  if (!d)
    return pf_raise(err, PF_EXC_ValueError, "unknown definition id '%s'", id);
  if (materialize(rc, d, err) != PF_OK)
    return PF_EPYEXC;
  *out = pf_incref(d->val);
  return PF_OK;
}

/* module_attr definitions: the value of "module.name", looked up as the VM's attribute
 * access does (a run record with no frames). */
static pf_status_t module_attr(pf_program *p, pf_def *d, const char *mod, const char *name,
                               json_t **err_p) {
  pf_val m;
  if (pf_module_get(p, mod, &m) != PF_OK)
    return bad(err_p, "definitions.%s.module: module '%s' is not allowed", d->id, mod);
  pf_run r;
  memset(&r, 0, sizeof r);
  r.prog = p;
  r.exc = pf_unbound();
  r.ret = pf_unbound();
  pf_status_t gst = pf_getattr(&r, m, name, &d->val);
  pf_run_release(&r);
  if (gst != PF_OK) {
    if (r.err.kind == PF_EXC_MemoryError)
      return PF_ENOMEM;
    return pf_lerr_set(err_p, "InvalidRequest", NULL, 0, "definitions.%s: %s", d->id, r.err.msg);
  }
  d->kind = DEF_VALUE;
  d->state = 2;
  return PF_OK;
}

static pf_status_t decode_def(pf_program *p, pf_def *d, const pf_load_ctx *lc, json_t **err_p) {
  char path[400];
  const json_t *j = d->j;
  const char *kind = json_string_value(json_object_get(j, "kind"));
  if (!kind)
    return bad(err_p, "definitions.%s: missing \"kind\"", d->id, NULL);
  if (!strcmp(kind, "function") || !strcmp(kind, "class")) {
    d->kind = kind[0] == 'f' ? DEF_FUNCTION : DEF_CLASS;
    const json_t *fj = json_object_get(j, "file");
    if (!json_is_integer(fj) || json_integer_value(fj) < 0 || json_integer_value(fj) >= p->nfiles)
      return bad(err_p, "definitions.%s.file: expected an index into files", d->id, NULL);
    d->file = (int)json_integer_value(fj);
    p->cur_file = d->file;
    const json_t *nj = json_object_get(j, "node");
    const char *t = json_string_value(json_object_get(nj, "t"));
    snprintf(path, sizeof path, "definitions.%s.node", d->id);
    pf_status_t st = pf_ir_decode_node(p, nj, path, !(t && !strcmp(t, "Lambda")), &d->node, err_p);
    if (st != PF_OK)
      return st;
    int want = d->kind == DEF_FUNCTION ? N_FunctionDef : N_ClassDef;
    if (d->node->t != want && !(d->kind == DEF_FUNCTION && d->node->t == N_Lambda))
      return bad(err_p, "definitions.%s.node: expected a %s node", d->id,
                 d->kind == DEF_FUNCTION ? "FunctionDef or Lambda" : "ClassDef");
    snprintf(path, sizeof path, "definitions.%s.globals", d->id);
    if ((st = check_id_map(p, lc, json_object_get(j, "globals"), path, err_p)) != PF_OK)
      return st;
    snprintf(path, sizeof path, "definitions.%s.freevars", d->id);
    if ((st = check_id_map(p, lc, json_object_get(j, "freevars"), path, err_p)) != PF_OK)
      return st;
    snprintf(path, sizeof path, "definitions.%s.kwdefaults", d->id);
    if ((st = check_id_map(p, lc, json_object_get(j, "kwdefaults"), path, err_p)) != PF_OK)
      return st;
    const char *arrs[2] = {"defaults", "bases"};
    for (int a = 0; a < 2; a++) {
      const json_t *dj = json_object_get(j, arrs[a]);
      if (!dj)
        continue;
      if (!json_is_array(dj))
        return bad(err_p, "definitions.%s.%s: expected an array of ids", d->id, arrs[a]);
      for (size_t i = 0; i < json_array_size(dj); i++) {
        const char *s = json_string_value(json_array_get(dj, i));
        if (!s || !find_def(p, lc, s))
          return bad(err_p, "definitions.%s.%s: unknown definition id", d->id, arrs[a]);
      }
      if (a == 1 && d->kind == DEF_CLASS) {
        d->nbases = (uint32_t)json_array_size(dj);
        d->bases = pf_arena_alloc(&p->arena, (d->nbases + 1) * sizeof(pf_def *));
        if (!d->bases)
          return PF_ENOMEM;
        for (uint32_t i = 0; i < d->nbases; i++)
          d->bases[i] = find_def(p, lc, json_string_value(json_array_get(dj, i)));
      }
    }
    return PF_OK;
  }
  if (!strcmp(kind, "value")) {
    d->kind = DEF_VALUE;
    if (!json_object_get(j, "value"))
      return bad(err_p, "definitions.%s: missing \"value\"", d->id, NULL);
    return PF_OK;
  }
  if (!strcmp(kind, "object")) {
    const char *oid = json_string_value(json_object_get(j, "id"));
    if (!oid)
      return bad(err_p, "definitions.%s.id: expected an object id string", d->id, NULL);
    pf_status_t st = lc->resolve ? lc->resolve(lc->ctx, oid, &d->val) : PF_ENOENT;
    if (st == PF_ENOENT)
      return pf_lerr_set(err_p, "NotFound", NULL, 0,
                         "definitions.%s: no object with id '%.64s' (released, or never computed)",
                         d->id, oid);
    if (st != PF_OK)
      return st;
    d->kind = DEF_VALUE;
    d->state = 2;
    return PF_OK;
  }
  if (!strcmp(kind, "unconvertible")) {
    /* A client value that cannot be shipped: names bound to it stay unbound, so code that
     * reads it raises NameError there (the client reports UnconvertibleValueError). */
    if (!json_is_string(json_object_get(j, "type")) || !json_is_string(json_object_get(j, "name")))
      return bad(err_p, "definitions.%s: \"type\" and \"name\" must be strings", d->id, NULL);
    d->kind = DEF_BUILTIN;
    d->val = pf_unbound();
    d->state = 0;
    return PF_OK;
  }
  if (!strcmp(kind, "module_attr")) {
    const char *mod = json_string_value(json_object_get(j, "module"));
    const char *nm = json_string_value(json_object_get(j, "name"));
    if (!mod || !nm)
      return bad(err_p, "definitions.%s: \"module\" and \"name\" must be strings", d->id, NULL);
    return module_attr(p, d, mod, nm, err_p);
  }
  if (!strcmp(kind, "module") || !strcmp(kind, "builtin")) {
    const char *nm = json_string_value(json_object_get(j, "name"));
    if (!nm)
      return bad(err_p, "definitions.%s.name: expected a string", d->id, NULL);
    if (kind[0] == 'm') {
      d->kind = DEF_MODULE;
      if (pf_module_get(p, nm, &d->val) != PF_OK)
        return bad(err_p, "definitions.%s.name: module '%s' is not allowed", d->id, nm);
    } else {
      d->kind = DEF_BUILTIN;
      pf_bi_id b = pf_builtin_by_name(nm);
      pf_exc_kind ek = pf_exc_by_name(nm);
      if (b != BI_COUNT)
        d->val = pf_obj_val(&pf_builtin_get(b)->h);
      else if (ek != PF_EXC_NONE)
        d->val = pf_obj_val(&p->exc_classes[ek]->h);
      else
        return bad(err_p, "definitions.%s.name: unknown builtin '%s'", d->id, nm);
    }
    d->state = 2;
    return PF_OK;
  }
  return bad(err_p, "definitions.%s.kind: unknown kind '%s'", d->id, kind);
}

static pf_status_t fill_ns(pf_program *p, const pf_load_ctx *lc, pf_ns *ns, const json_t *map) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)map, k, v) {
    pf_def *d = find_def(p, lc, json_string_value(v));
    pf_val *slot = pf_ns_slot(ns, k, true);
    if (!slot)
      return PF_ENOMEM;
    if (d->state == 2 && slot->tag == PF_UNBOUND)
      *slot = pf_incref(d->val);
    else if (d->kind == DEF_CLASS) {
      if (p->npend == p->cappend) {
        uint32_t cap = p->cappend ? p->cappend * 2 : 16;
        pf_pending *np = realloc(p->pend, cap * sizeof *np);
        if (!np)
          return PF_ENOMEM;
        p->pend = np;
        p->cappend = cap;
      }
      p->pend[p->npend++] = (pf_pending){slot, d};
    }
  }
  return PF_OK;
}

pf_program *pf_program_new(void) { return calloc(1, sizeof(pf_program)); }

pf_status_t pf_program_files_init(pf_program *p, pf_load_ctx *lc, uint32_t cap) {
  p->files = pf_arena_alloc(&p->arena, (cap + 1) * sizeof(char *));
  lc->files_cap = cap + 1;
  return p->files ? PF_OK : PF_ENOMEM;
}

pf_status_t pf_program_add_fetched(pf_program *p, pf_load_ctx *lc, const char *id, json_t *d,
                                   json_t **err_p) {
  if (!json_is_object(d) || json_object_set_new(lc->owned, id, d) != 0) {
    if (!json_is_object(d))
      json_decref(d);
    return bad(err_p, "definition_ids: definition '%.64s' is not an object", id, NULL);
  }
  const char *fname = json_string_value(json_object_get(d, "file"));
  if (!fname)
    return PF_OK;
  uint32_t fi = 0;
  while (fi < p->nfiles && strcmp(p->files[fi], fname) != 0)
    fi++;
  if (fi == p->nfiles) {
    if (p->nfiles + 1 >= lc->files_cap) {
      uint32_t cap = lc->files_cap * 2;
      const char **nf = pf_arena_alloc(&p->arena, cap * sizeof(char *));
      if (!nf)
        return PF_ENOMEM;
      memcpy(nf, p->files, p->nfiles * sizeof(char *));
      p->files = nf;
      lc->files_cap = cap;
    }
    if (!(p->files[fi] = pf_arena_strdup(&p->arena, fname)))
      return PF_ENOMEM;
    p->nfiles++;
  }
  return json_object_set_new(d, "file", json_integer(fi)) == 0 ? PF_OK : PF_ENOMEM;
}

static pf_status_t add_def(pf_program *p, uint32_t *n, const char *id, json_t *val,
                           json_t **err_p) {
  if (!json_is_object(val))
    return bad(err_p, "definitions.%s: expected an object", id, NULL);
  pf_def *d = &p->defs[(*n)++];
  if (!(d->id = pf_arena_strdup(&p->arena, id)))
    return PF_ENOMEM;
  d->j = val;
  d->val = pf_unbound();
  d->ns = &p->def_ns[*n - 1];
  d->ns->provided = json_object_get(val, "globals");
  return PF_OK;
}

/* The definitions of "dj" (the document's, may be NULL) and lc->owned (fetched by id) into
 * "p": decoded, validated, scoped, compiled, values made, defaults and cells set, namespaces
 * filled (class objects come at run time, or in pf_program_make_classes). */
static pf_status_t load_defs(pf_program *p, const json_t *dj, pf_load_ctx *lc, json_t **err_p) {
  pf_status_t st;
  p->ndefs = 0;
  uint32_t ndefs = (dj ? (uint32_t)json_object_size(dj) : 0) + (uint32_t)json_object_size(lc->owned);
  p->defs = pf_arena_alloc(&p->arena, (ndefs + 1) * sizeof(pf_def));
  p->def_ns = calloc(ndefs + 1, sizeof(pf_ns));
  if (!p->defs || !p->def_ns)
    return PF_ENOMEM;
  /* p->ndefs grows as entries are made, so find_def never sees a half-made one */
  const char *key;
  json_t *val;
  if (dj)
    json_object_foreach((json_t *)dj, key, val)
      if ((st = add_def(p, &p->ndefs, key, val, err_p)) != PF_OK)
        return st;
  json_object_foreach(lc->owned, key, val)
    if ((st = add_def(p, &p->ndefs, key, val, err_p)) != PF_OK)
      return st;
  for (uint32_t i = 0; i < p->ndefs; i++)
    if ((st = decode_def(p, &p->defs[i], lc, err_p)) != PF_OK)
      return st;
  uint64_t ncompiled = 0;
  for (uint32_t i = 0; i < p->ndefs; i++) {
    pf_def *d = &p->defs[i];
    if (d->kind != DEF_FUNCTION && d->kind != DEF_CLASS)
      continue;
    const char *file = p->files[d->file];
    const json_t *fv = json_object_get(d->j, "freevars");
    if ((st = pf_scope_build(p, d->node, d->kind == DEF_FUNCTION ? SC_FUNC : SC_CLASS, fv, file,
                             &d->scope, err_p)) != PF_OK)
      return st;
    pf_code *k;
    if ((st = pf_compile(p, d->scope, d->ns, file, &k, err_p)) != PF_OK)
      return st;
    pf_code_set_origin(k, d->id);
    d->code = k;
    ncompiled++;
    pf_func *fn = pf_func_new(p, k, true);
    if (!fn)
      return PF_ENOMEM;
    d->val = pf_obj_val(&fn->h);
    if (d->kind == DEF_FUNCTION)
      d->state = 2;
  }
  if (lc->cache)
    pf_defcache_count_compiled(lc->cache, ncompiled);
  /* values, then functions' defaults and cells, then namespaces */
  ref_ctx rc = {p, lc};
  for (uint32_t i = 0; i < p->ndefs; i++) {
    pf_err e;
    if (p->defs[i].kind == DEF_VALUE && materialize(&rc, &p->defs[i], &e) != PF_OK) {
      if (e.kind == PF_EXC_MemoryError)
        return PF_ENOMEM;
      return pf_lerr_set(err_p, "InvalidRequest", NULL, 0, "definitions.%s.value: %s", p->defs[i].id, e.msg);
    }
  }
  for (uint32_t i = 0; i < p->ndefs; i++) {
    pf_def *d = &p->defs[i];
    if (d->kind != DEF_FUNCTION && d->kind != DEF_CLASS)
      continue;
    pf_func *fn = (pf_func *)d->val.u.o;
    pf_code *k = fn->code;
    const json_t *defs = json_object_get(d->j, "defaults");
    size_t nd = defs ? json_array_size(defs) : 0;
    if (nd > k->nparams)
      return bad(err_p, "definitions.%s.defaults: more defaults than parameters", d->id, NULL);
    for (size_t j = 0; j < nd; j++)
      if (find_def(p, lc, json_string_value(json_array_get(defs, j)))->state != 2)
        return bad(err_p, "definitions.%s.defaults: a default must be a value or function", d->id, NULL);
    if (nd) {
      fn->defaults = calloc(nd, sizeof(pf_val));
      if (!fn->defaults)
        return PF_ENOMEM;
      for (size_t j = 0; j < nd; j++)
        fn->defaults[j] = pf_incref(find_def(p, lc, json_string_value(json_array_get(defs, j)))->val);
      fn->ndefaults = (uint32_t)nd;
    }
    const json_t *kwd = json_object_get(d->j, "kwdefaults");
    for (uint32_t j = 0; kwd && j < k->nkwonly; j++) {
      const json_t *id = json_object_get(kwd, k->pnames[k->nparams + j]);
      if (id) {
        pf_def *x = find_def(p, lc, json_string_value(id));
        fn->kwdefaults[j] = x->state == 2 ? pf_incref(x->val) : pf_unbound();
      }
    }
    const json_t *fv = json_object_get(d->j, "freevars");
    for (uint32_t j = 0; j < k->nfree; j++) {
      pf_cell *c = pf_cell_new(p);
      if (!c)
        return PF_ENOMEM;
      fn->cells[j] = c;
      const json_t *id = fv ? json_object_get(fv, k->cellnames[k->ncells + j]) : NULL;
      pf_def *x = id ? find_def(p, lc, json_string_value(id)) : NULL;
      if (x && x->state == 2)
        c->v = pf_incref(x->val);
    }
  }
  for (uint32_t i = 0; i < p->ndefs; i++)
    if (p->defs[i].kind == DEF_FUNCTION || p->defs[i].kind == DEF_CLASS) {
      const json_t *g = json_object_get(p->defs[i].j, "globals");
      if (g && (st = fill_ns(p, lc, p->defs[i].ns, g)) != PF_OK)
        return st;
    }
  return PF_OK;
}

pf_status_t pf_program_load_unit(pf_program *p, pf_load_ctx *lc, json_t **err_p) {
  pf_status_t st = shared_exc_classes(p);
  if (st == PF_OK)
    st = load_defs(p, NULL, lc, err_p);
  return st;
}

static pf_status_t load(pf_program *p, const json_t *doc, pf_load_ctx *lc, json_t **err_p) {
  pf_status_t st;
  if (!json_is_object(doc))
    return bad(err_p, "the IR document must be a JSON object", NULL, NULL);
  const json_t *vj = json_object_get(doc, "ir_version");
  if (!json_is_integer(vj) || json_integer_value(vj) != 1) {
    char v[40] = "missing";
    if (json_is_integer(vj))
      snprintf(v, sizeof v, "%lld", (long long)json_integer_value(vj));
    return bad(err_p, "ir_version: unsupported IR version %s (this daemon reads version 1)", v, NULL);
  }
  const json_t *fj = json_object_get(doc, "files");
  if (!json_is_array(fj))
    return bad(err_p, "files: expected an array of file names", NULL, NULL);
  const json_t *idj = json_object_get(doc, "definition_ids");
  if (idj && !json_is_array(idj))
    return bad(err_p, "definition_ids: expected an array of ids", NULL, NULL);
  size_t nids = idj ? json_array_size(idj) : 0;
  if ((st = pf_program_files_init(p, lc, (uint32_t)(json_array_size(fj) + nids))) != PF_OK)
    return st;
  p->nfiles = (uint32_t)json_array_size(fj);
  for (uint32_t i = 0; i < p->nfiles; i++) {
    const char *s = json_string_value(json_array_get(fj, i));
    if (!s)
      return bad(err_p, "files: expected an array of file names", NULL, NULL);
    if (!(p->files[i] = pf_arena_strdup(&p->arena, s)))
      return PF_ENOMEM;
  }
  if ((st = shared_exc_classes(p)) != PF_OK)
    return st;
  const json_t *dj = json_object_get(doc, "definitions");
  if (dj && !json_is_object(dj))
    return bad(err_p, "definitions: expected an object", NULL, NULL);
  for (size_t i = 0; i < nids; i++)
    if (!json_is_string(json_array_get(idj, i)))
      return bad(err_p, "definition_ids: expected an array of ids", NULL, NULL);
  /* definitions listed by id: compiled ones from the shared cache, the others fetched from
   * the daemon's store of definitions, "file" names mapped to indices into files */
  if (lc->cache && nids && (st = pf_defcache_import(lc->cache, p, idj, dj, lc, err_p)) != PF_OK)
    return st;
  for (size_t i = 0; i < nids; i++) {
    const char *id = json_string_value(json_array_get(idj, i));
    if ((dj && json_object_get(dj, id)) || json_object_get(lc->owned, id))
      continue; /* included in "definitions", or listed twice */
    bool shared = false;
    for (uint32_t k = 0; k < lc->nimports && !shared; k++)
      shared = !strcmp(lc->imports[k]->id, id);
    if (shared)
      continue;
    json_t *d = NULL;
    st = lc->resolve_def ? lc->resolve_def(lc->def_ctx, id, &d) : PF_ENOENT;
    if (st == PF_ENOENT)
      return pf_lerr_set(err_p, "NotFound", NULL, 0,
                         "definition_ids: no definition with id '%.64s' (upload it first)", id);
    if (st != PF_OK)
      return st;
    if ((st = pf_program_add_fetched(p, lc, id, d, err_p)) != PF_OK)
      return st;
  }
  if ((st = load_defs(p, dj, lc, err_p)) != PF_OK)
    return st;
  /* block */
  const json_t *bj = json_object_get(doc, "block");
  if (!json_is_object(bj))
    return bad(err_p, "block: expected an object", NULL, NULL);
  p->block_ns.provided = json_object_get(bj, "globals");
  const json_t *bf = json_object_get(bj, "file"), *bl = json_object_get(bj, "line");
  if (!json_is_integer(bf) || json_integer_value(bf) < 0 || json_integer_value(bf) >= p->nfiles)
    return bad(err_p, "block.file: expected an index into files", NULL, NULL);
  if (bl && !json_is_integer(bl))
    return bad(err_p, "block.line: expected an integer", NULL, NULL);
  p->block_file = (int)json_integer_value(bf);
  p->block_line = bl ? (int)json_integer_value(bl) : 0;
  if ((st = check_id_map(p, lc, json_object_get(bj, "globals"), "block.globals", err_p)) != PF_OK)
    return st;
  const json_t *oj = json_object_get(bj, "outputs");
  if (oj && !json_is_array(oj))
    return bad(err_p, "block.outputs: expected an array of names", NULL, NULL);
  p->noutputs = oj ? (uint32_t)json_array_size(oj) : 0;
  p->outputs = pf_arena_alloc(&p->arena, (p->noutputs + 1) * sizeof(char *));
  if (!p->outputs)
    return PF_ENOMEM;
  for (uint32_t i = 0; i < p->noutputs; i++) {
    const char *s = json_string_value(json_array_get(oj, i));
    if (!s || !*s)
      return bad(err_p, "block.outputs: expected an array of names", NULL, NULL);
    p->outputs[i] = pf_arena_strdup(&p->arena, s);
  }
  p->block = pf_arena_alloc(&p->arena, sizeof(pf_node));
  if (!p->block)
    return PF_ENOMEM;
  p->block->k = pf_unbound();
  p->block->line = p->block_line;
  p->cur_file = p->block_file;
  if ((st = pf_ir_decode_stmts(p, json_object_get(bj, "body"), "block.body", &p->block->l1, err_p)) != PF_OK)
    return st;
  const char *bfile = p->files[p->block_file];
  if ((st = pf_scope_build(p, p->block, SC_BLOCK, NULL, bfile, &p->block_scope, err_p)) != PF_OK)
    return st;
  p->block_scope->name = "<block>";
  if ((st = pf_compile(p, p->block_scope, &p->block_ns, bfile, &p->block_code, err_p)) == PF_OK)
    pf_code_set_origin(p->block_code, NULL);
  if (st != PF_OK)
    return st;
  p->block_code->name = "<block>";
  const json_t *bg = json_object_get(bj, "globals");
  if (bg && (st = fill_ns(p, lc, &p->block_ns, bg)) != PF_OK)
    return st;
  return PF_OK;
}

pf_status_t pf_program_load(const json_t *doc, pf_program **prog_p, json_t **err_p) {
  return pf_program_load_ex(doc, NULL, NULL, prog_p, err_p);
}

pf_status_t pf_program_load_ex(const json_t *doc, pf_object_resolver resolve, void *ctx,
                               pf_program **prog_p, json_t **err_p) {
  return pf_program_load_ex2(doc, resolve, ctx, NULL, NULL, prog_p, err_p);
}

pf_status_t pf_program_load_ex2(const json_t *doc, pf_object_resolver resolve, void *ctx,
                                pf_def_resolver resolve_def, void *def_ctx,
                                pf_program **prog_p, json_t **err_p) {
  return pf_program_load_cached(doc, resolve, ctx, resolve_def, def_ctx, NULL, prog_p, err_p);
}

pf_status_t pf_program_load_cached(const json_t *doc, pf_object_resolver resolve, void *ctx,
                                   pf_def_resolver resolve_def, void *def_ctx,
                                   pf_defcache *cache, pf_program **prog_p, json_t **err_p) {
  pf_program *p = pf_program_new();
  if (!p)
    return PF_ENOMEM;
  json_t *err = NULL;
  pf_load_ctx lc = {.resolve = resolve, .ctx = ctx, .resolve_def = resolve_def,
                    .def_ctx = def_ctx, .owned = json_object(), .cache = cache};
  pf_status_t st = lc.owned ? load(p, doc, &lc, &err) : PF_ENOMEM;
  for (uint32_t i = 0; p->defs && i < p->ndefs; i++)
    p->defs[i].j = NULL;
  json_decref(lc.owned);
  free(lc.imports);
  if (st != PF_OK) {
    pf_program_destroy(p);
    if (st == PF_EPROTO && err_p)
      *err_p = err;
    else
      json_decref(err);
    return st;
  }
  json_decref(err);
  *prog_p = p;
  return PF_OK;
}

/* ---------------------------------------------------------------- code by origin */

static void set_origin(pf_code *k, const char *origin, uint32_t *n) {
  k->origin = origin;
  k->ordinal = (*n)++;
  for (uint32_t i = 0; i < k->nchildren; i++)
    set_origin(k->children[i], origin, n);
}

void pf_code_set_origin(pf_code *k, const char *origin) {
  uint32_t n = 0;
  set_origin(k, origin, &n);
}

static pf_code *code_at(pf_code *k, uint32_t ordinal) {
  if (!k || k->ordinal > ordinal)
    return NULL;
  if (k->ordinal == ordinal)
    return k;
  pf_code *found = NULL;
  for (uint32_t i = 0; i < k->nchildren && !found; i++) /* children in preorder */
    if (k->children[i]->ordinal <= ordinal &&
        (i + 1 == k->nchildren || k->children[i + 1]->ordinal > ordinal))
      found = code_at(k->children[i], ordinal);
  return found;
}

pf_code *pf_program_find_code(pf_program *p, pf_defcache *dc, const char *origin,
                              uint32_t ordinal) {
  if (!origin)
    return code_at(p->block_code, ordinal);
  for (uint32_t i = 0; i < p->ndefs; i++)
    if (!strcmp(p->defs[i].id, origin))
      return code_at(p->defs[i].code, ordinal);
  pf_def *d = dc ? pf_defcache_find(dc, origin) : NULL;
  return d ? code_at(d->code, ordinal) : NULL;
}

void pf_program_set_tag(pf_program *p, void *tag) { p->tag = tag; }

void *pf_program_tag(const pf_program *p) { return p->tag; }

pf_status_t pf_program_prepare_remote(pf_program *p, const pf_jit_iface *jit) {
  static const atomic_int never = 0;
  pf_val exc = pf_unbound();
  p->jit = jit;
  pf_status_t st = pf_program_make_classes(p, &never, 20000, &exc);
  pf_decref(exc);
  return st == PF_EPYEXC ? PF_OK : st; /* a class body that raised: its names stay unbound */
}
