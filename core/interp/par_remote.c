/* par_remote.c — parallel folds and forked calls across machines: the description a fold or
 * a call sends with a part, and running a received one (core/rt/migrate.c moves the bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par_int.h"
#include "pf_par_remote.h"

/* ---------------------------------------------------------------- other machines
 * A fold's description for another machine (pf_fold_ops.describe, asked once per fold when
 * a machine wants work) is a tuple of plain values the binary codec carries:
 *
 *   (1, kind, count, fused, root, comp, nodes, bases, globals)
 *   node  = (kind, (child, …), fn, count, base, call, code_origin, code_ordinal, line)
 *   base  = (iterator kind, src, cur, step, start, left)
 *   value = ("u",) unbound | ("v", data) | ("b", builtin name) | ("m", module name)
 *         | ("p", data): a large list or tuple (core/rt sends it as pages of its own, which
 *           folds over the same data share, and turns it back into ("v", data))
 *         | ("f", origin, ordinal, (cell value, …), (default, …), (kw default, …))
 *
 * Functions go by their code's origin (definition id, None for the block) and preorder
 * ordinal, which every load of the same IR gives the same code; their cells and defaults go
 * by value. "globals" are the block's names that the code of those functions reads, with
 * their values now (definitions' own namespaces are rebuilt by the receiver's load). A value
 * the codec cannot carry (an instance, a class made at run time) makes the fold stay here.
 * The receiver runs parts of it with pf_par_remote_run and sends back the partial
 * accumulator (acc_export below), which acc_import turns into a par_acc here. */


#define DESC_MAX_CODES 256

typedef struct desc_ctx {
  pf_err err;
  bool fail;
  pf_code *codes[DESC_MAX_CODES]; /* block code whose globals go along */
  uint32_t ncodes;
  int depth;
} desc_ctx;

static pf_val mk_tuple(desc_ctx *d, size_t n, pf_val *items) {
  pf_val t = pf_unbound();
  bool bad = d->fail;
  for (size_t i = 0; i < n; i++)
    bad |= items[i].tag == PF_UNBOUND;
  if (bad || pf_tuple_new(n, items, &t, &d->err) != PF_OK) {
    if (!bad)
      items = NULL; /* pf_tuple_new failed: it took nothing? release below either way */
    d->fail = true;
    for (size_t i = 0; items && i < n; i++)
      pf_decref(items[i]);
    return pf_unbound();
  }
  return t;
}

static pf_val mk_str(desc_ctx *d, const char *s) {
  pf_val v = pf_unbound();
  if (pf_str_from_cstr(s, &v, &d->err) != PF_OK)
    d->fail = true;
  return v;
}

static void note_code(desc_ctx *d, pf_code *k) {
  if (k->origin)
    return; /* a definition's: its globals are its definition's namespace */
  for (uint32_t i = 0; i < d->ncodes; i++)
    if (d->codes[i] == k)
      return;
  if (d->ncodes == DESC_MAX_CODES) {
    d->fail = true;
    return;
  }
  d->codes[d->ncodes++] = k;
  for (uint32_t i = 0; i < k->nchildren; i++)
    note_code(d, k->children[i]);
}

static pf_val desc_value(desc_ctx *d, pf_val v);

static pf_val desc_vals(desc_ctx *d, const pf_val *vs, size_t n) {
  pf_val items[64];
  if (n > 64) {
    d->fail = true;
    return pf_unbound();
  }
  for (size_t i = 0; i < n; i++)
    items[i] = desc_value(d, vs[i]);
  return mk_tuple(d, n, items);
}

static pf_val desc_func(desc_ctx *d, pf_func *fn) {
  pf_code *k = fn->code;
  if (fn->owner || k->nfree > 64 || ++d->depth > 16) {
    d->fail = true;
    return pf_unbound();
  }
  note_code(d, k);
  pf_val cells[64];
  for (uint32_t i = 0; i < k->nfree; i++)
    cells[i] = fn->cells[i] ? fn->cells[i]->v : pf_unbound();
  pf_val items[6];
  items[0] = mk_str(d, "f");
  items[1] = k->origin ? mk_str(d, k->origin) : pf_none();
  items[2] = pf_int(k->ordinal);
  items[3] = desc_vals(d, cells, k->nfree);
  items[4] = desc_vals(d, fn->defaults, fn->ndefaults);
  items[5] = desc_vals(d, fn->kwdefaults, k->nkwonly);
  d->depth--;
  return mk_tuple(d, 6, items);
}

static pf_val desc_value(desc_ctx *d, pf_val v) {
  if (d->fail)
    return pf_unbound();
  pf_val items[2];
  size_t n = 2;
  if (v.tag == PF_UNBOUND) {
    items[0] = mk_str(d, "u");
    n = 1;
  } else if (pf_is_type(v, &pf_type_func)) {
    return desc_func(d, (pf_func *)v.u.o);
  } else if (pf_is_type(v, &pf_type_builtin)) {
    pf_builtin *b = (pf_builtin *)v.u.o;
    if (b->self.tag != PF_UNBOUND || b->mname || b->id == BI_method_call || b->id == BI_math_fn ||
        pf_builtin_by_name(b->name) != b->id) {
      d->fail = true;
      return pf_unbound();
    }
    items[0] = mk_str(d, "b");
    items[1] = mk_str(d, b->name);
  } else if (pf_is_type(v, &pf_type_module)) {
    items[0] = mk_str(d, "m");
    items[1] = mk_str(d, ((pf_module *)v.u.o)->name);
  } else if (v.tag == PF_NONE || v.tag == PF_BOOL || v.tag == PF_INT || v.tag == PF_FLOAT ||
             pf_is_type(v, &pf_type_bigint) || pf_is_type(v, &pf_type_str) ||
             pf_is_type(v, &pf_type_tuple) || pf_is_type(v, &pf_type_list) ||
             pf_is_type(v, &pf_type_dict) || pf_is_type(v, &pf_type_set) ||
             pf_is_type(v, &pf_type_frozenset)) {
    bool big = (pf_is_type(v, &pf_type_list) && pf_list_len(v) >= PF_PAR_BIG_ITEMS) ||
               (pf_is_type(v, &pf_type_tuple) && pf_tuple_len(v) >= PF_PAR_BIG_ITEMS);
    items[0] = mk_str(d, big ? "p" : "v"); /* containers of functions: refused by the codec */
    items[1] = pf_incref(v);
  } else {
    d->fail = true;
    return pf_unbound();
  }
  return mk_tuple(d, n, items);
}

/* The block's globals that the code noted so far reads, with their values now (code met on
 * the way is noted too): a tuple of (name, value) pairs. */
static pf_val desc_globals(desc_ctx *d) {
  pf_val globals[256];
  uint32_t nglob = 0;
  const char *gnames[256];
  for (uint32_t ci = 0; ci < d->ncodes && !d->fail; ci++) {
    pf_code *k = d->codes[ci];
    for (uint32_t g = 0; g < k->ngslots && !d->fail; g++) {
      pf_val v = *k->gslots[g];
      bool seen = false;
      for (uint32_t j = 0; j < nglob && !seen; j++)
        seen = !strcmp(gnames[j], k->gnames[g]);
      if (seen || v.tag == PF_UNBOUND)
        continue;
      if (nglob == 256) {
        d->fail = true;
        break;
      }
      pf_val pair[2] = {mk_str(d, k->gnames[g]), desc_value(d, v)};
      gnames[nglob] = k->gnames[g];
      globals[nglob++] = mk_tuple(d, 2, pair);
    }
  }
  return mk_tuple(d, nglob, globals);
}

bool pf_par_describe_call(pf_val fn, const pf_val *args, uint32_t nargs, pf_val *out) {
  desc_ctx *d = calloc(1, sizeof *d);
  if (!d)
    return false;
  pf_val top[4];
  top[0] = mk_str(d, "call");
  top[1] = desc_value(d, fn);
  top[2] = desc_vals(d, args, nargs);
  top[3] = desc_globals(d);
  pf_val t = mk_tuple(d, 4, top);
  bool ok = !d->fail && t.tag != PF_UNBOUND && pf_is_type(fn, &pf_type_func);
  if (ok)
    *out = t;
  else
    pf_decref(t);
  free(d);
  return ok;
}

bool par_describe(void *ctx, pf_val *out) {
  par_ctx *c = ctx;
  desc_ctx *d = calloc(1, sizeof *d);
  if (!d)
    return false;
  pf_val nodes[PAR_MAX_NODES], bases[PAR_MAX_NODES];
  for (uint32_t i = 0; i < c->nnodes; i++) {
    par_node *n = &c->nodes[i];
    pf_val ch[PAR_MAX_CHILD], it[9];
    for (uint32_t k = 0; k < n->nchild; k++)
      ch[k] = pf_int(n->child[k]);
    it[0] = pf_int(n->kind);
    it[1] = mk_tuple(d, n->nchild, ch);
    it[2] = desc_value(d, n->fn);
    it[3] = desc_value(d, n->count);
    it[4] = pf_int(n->base);
    it[5] = desc_value(d, n->call);
    it[6] = n->code && n->code->origin ? mk_str(d, n->code->origin) : pf_none();
    it[7] = pf_int(n->code ? (int64_t)n->code->ordinal : -1);
    it[8] = pf_int(n->line);
    if (n->code)
      note_code(d, n->code);
    nodes[i] = mk_tuple(d, 9, it);
  }
  for (uint32_t i = 0; i < c->nbases; i++) {
    par_base *b = &c->bases[i];
    pf_val it[6];
    it[0] = pf_int(b->it->kind);
    it[1] = desc_value(d, b->it->src);
    it[2] = pf_int(b->it->cur);
    it[3] = pf_int(b->it->step);
    it[4] = pf_int(b->start);
    it[5] = pf_int(b->left);
    bases[i] = mk_tuple(d, 6, it);
  }
  pf_val globals = desc_globals(d);
  pf_val top[9];
  top[0] = pf_int(1);
  top[1] = pf_int(c->kind);
  top[2] = pf_int(c->count);
  top[3] = pf_bool(c->fused);
  top[4] = pf_int(c->root);
  top[5] = desc_value(d, c->comp);
  top[6] = mk_tuple(d, c->nnodes, nodes);
  top[7] = mk_tuple(d, c->nbases, bases);
  top[8] = globals;
  pf_val t = mk_tuple(d, 9, top);
  bool ok = !d->fail && t.tag != PF_UNBOUND;
  if (ok)
    *out = t;
  else
    pf_decref(t);
  free(d);
  return ok;
}

/* ---- the receiving side */

struct pf_par_remote {
  pf_program *prog;
  pf_defcache *dc;
  bool is_call; /* a forked call's description, not a fold's */
  pf_val fn, args[64];
  uint32_t nargs;
  par_ctx c;
  atomic_int cancel; /* never set: parts stop through their fold (pf_fold_exec_part) */
  pf_val owned[2 * PAR_MAX_NODES + 8];
  uint32_t nowned;
  char *msg;
  size_t msg_len;
};

static bool rm_bad(pf_par_remote *rm, const char *what) {
  snprintf(rm->msg, rm->msg_len, "fold description: %s", what);
  return false;
}

static bool tup(pf_val v, size_t n) { return pf_is_type(v, &pf_type_tuple) && pf_tuple_len(v) == n; }
static bool is_i64(pf_val v) { return v.tag == PF_INT; }

static bool tag_is(pf_val t, const char *s) {
  if (!pf_is_type(t, &pf_type_tuple) || pf_tuple_len(t) < 1 ||
      !pf_is_type(pf_tuple_get(t, 0), &pf_type_str))
    return false;
  return !strcmp(pf_str_utf8(pf_tuple_get(t, 0), NULL), s);
}

/* A new reference to the value "v" describes (functions are made in the program). */
static bool rm_value(pf_par_remote *rm, pf_val v, pf_val *out, int depth);

static bool rm_vals(pf_par_remote *rm, pf_val t, pf_val *out, size_t n, int depth) {
  if (!tup(t, n))
    return rm_bad(rm, "a function's values");
  for (size_t i = 0; i < n; i++)
    if (!rm_value(rm, pf_tuple_get(t, i), &out[i], depth)) {
      while (i--)
        pf_decref(out[i]);
      return false;
    }
  return true;
}

static bool rm_func(pf_par_remote *rm, pf_val t, pf_val *out, int depth) {
  if (!tup(t, 6) || depth > 16)
    return rm_bad(rm, "a function");
  pf_val org = pf_tuple_get(t, 1), ord = pf_tuple_get(t, 2);
  if ((org.tag != PF_NONE && !pf_is_type(org, &pf_type_str)) || !is_i64(ord) || ord.u.i < 0)
    return rm_bad(rm, "a function's code");
  pf_code *k = pf_program_find_code(rm->prog, rm->dc,
                                    org.tag == PF_NONE ? NULL : pf_str_utf8(org, NULL),
                                    (uint32_t)ord.u.i);
  if (!k)
    return rm_bad(rm, "code this program does not have");
  pf_val ds = pf_tuple_get(t, 4);
  if (!pf_is_type(ds, &pf_type_tuple) || pf_tuple_len(ds) > k->nparams)
    return rm_bad(rm, "defaults");
  pf_func *fn = pf_func_new(rm->prog, k, true);
  if (!fn)
    return rm_bad(rm, "out of memory");
  fn->qualname = k->qualname;
  pf_val cells[64];
  if (k->nfree > 64 || !rm_vals(rm, pf_tuple_get(t, 3), cells, k->nfree, depth + 1))
    return false; /* "fn" is the program's: freed with it */
  for (uint32_t i = 0; i < k->nfree; i++) {
    pf_cell *cl = pf_cell_new(rm->prog);
    if (!cl) {
      for (uint32_t j = i; j < k->nfree; j++)
        pf_decref(cells[j]);
      return rm_bad(rm, "out of memory");
    }
    cl->v = cells[i];
    fn->cells[i] = cl;
  }
  size_t nd = pf_tuple_len(ds);
  if (nd) {
    if (!(fn->defaults = calloc(nd, sizeof(pf_val))))
      return rm_bad(rm, "out of memory");
    if (!rm_vals(rm, ds, fn->defaults, nd, depth + 1))
      return false;
    fn->ndefaults = (uint32_t)nd;
  }
  pf_val kw[64];
  if (k->nkwonly > 64 || !rm_vals(rm, pf_tuple_get(t, 5), kw, k->nkwonly, depth + 1))
    return rm_bad(rm, "keyword defaults");
  for (uint32_t i = 0; i < k->nkwonly; i++)
    fn->kwdefaults[i] = kw[i];
  *out = pf_obj_val(&fn->h);
  return true;
}

static bool rm_value(pf_par_remote *rm, pf_val v, pf_val *out, int depth) {
  if (tag_is(v, "u") && pf_tuple_len(v) == 1) {
    *out = pf_unbound();
    return true;
  }
  if (tag_is(v, "f"))
    return rm_func(rm, v, out, depth);
  if (!tup(v, 2))
    return rm_bad(rm, "a value");
  pf_val x = pf_tuple_get(v, 1);
  if (tag_is(v, "v") || tag_is(v, "p")) {
    *out = pf_incref(x);
    return true;
  }
  if (!pf_is_type(x, &pf_type_str))
    return rm_bad(rm, "a name");
  const char *name = pf_str_utf8(x, NULL);
  if (tag_is(v, "b")) {
    pf_bi_id id = pf_builtin_by_name(name);
    if (id == BI_COUNT)
      return rm_bad(rm, "an unknown builtin");
    *out = pf_obj_val(&pf_builtin_get(id)->h);
    return true;
  }
  if (tag_is(v, "m"))
    return pf_module_get(rm->prog, name, out) == PF_OK ? true : rm_bad(rm, "a module");
  return rm_bad(rm, "a value");
}

static bool rm_keep(pf_par_remote *rm, pf_val v) {
  if (v.tag == PF_UNBOUND)
    return true;
  if (rm->nowned == sizeof rm->owned / sizeof rm->owned[0]) {
    pf_decref(v);
    return rm_bad(rm, "too many values");
  }
  rm->owned[rm->nowned++] = v;
  return true;
}

/* Sets the block's globals of a description in the program: functions made later read them. */
static bool rm_globals(pf_par_remote *rm, pf_val globals) {
  for (size_t i = 0; i < pf_tuple_len(globals); i++) {
    pf_val g = pf_tuple_get(globals, i), v;
    if (!tup(g, 2) || !pf_is_type(pf_tuple_get(g, 0), &pf_type_str))
      return rm_bad(rm, "a global");
    if (!rm_value(rm, pf_tuple_get(g, 1), &v, 0))
      return false;
    pf_val *slot = pf_ns_slot(&rm->prog->block_ns, pf_str_utf8(pf_tuple_get(g, 0), NULL), true);
    if (!slot) {
      pf_decref(v);
      return rm_bad(rm, "out of memory");
    }
    pf_decref(*slot);
    *slot = v;
  }
  return true;
}

static bool rm_build_fold(pf_par_remote *rm, pf_val desc);

static bool rm_build_call(pf_par_remote *rm, pf_val desc) {
  if (!tup(desc, 4) || !pf_is_type(pf_tuple_get(desc, 2), &pf_type_tuple) ||
      !pf_is_type(pf_tuple_get(desc, 3), &pf_type_tuple) || pf_tuple_len(pf_tuple_get(desc, 2)) > 64)
    return rm_bad(rm, "a call");
  rm->is_call = true;
  if (!rm_globals(rm, pf_tuple_get(desc, 3)) || !rm_value(rm, pf_tuple_get(desc, 1), &rm->fn, 0) ||
      !rm_keep(rm, rm->fn))
    return false;
  if (!pf_is_type(rm->fn, &pf_type_func))
    return rm_bad(rm, "a call of something else than a function");
  pf_val a = pf_tuple_get(desc, 2);
  for (size_t i = 0; i < pf_tuple_len(a); i++) {
    if (!rm_value(rm, pf_tuple_get(a, i), &rm->args[i], 0))
      return false;
    rm->nargs = (uint32_t)i + 1;
    if (rm->args[i].tag == PF_UNBOUND)
      return rm_bad(rm, "an unbound argument");
  }
  return true;
}

static bool rm_build(pf_par_remote *rm, pf_val desc) {
  par_ctx *c = &rm->c;
  if (tag_is(desc, "call"))
    return rm_build_call(rm, desc);
  if (!tup(desc, 9) || pf_tuple_get(desc, 0).tag != PF_INT || pf_tuple_get(desc, 0).u.i != 1)
    return rm_bad(rm, "not version 1");
  pf_val kind = pf_tuple_get(desc, 1), count = pf_tuple_get(desc, 2),
         fused = pf_tuple_get(desc, 3), root = pf_tuple_get(desc, 4);
  pf_val nodes = pf_tuple_get(desc, 6), bases = pf_tuple_get(desc, 7),
         globals = pf_tuple_get(desc, 8);
  if (!is_i64(kind) || kind.u.i < PK_SUM || kind.u.i > PK_COMP || !is_i64(count) ||
      count.u.i < 0 || fused.tag != PF_BOOL || !is_i64(root) ||
      !pf_is_type(nodes, &pf_type_tuple) || !pf_is_type(bases, &pf_type_tuple) ||
      !pf_is_type(globals, &pf_type_tuple))
    return rm_bad(rm, "its header");
  size_t nn = pf_tuple_len(nodes), nb = pf_tuple_len(bases);
  if (nn == 0 || nn > PAR_MAX_NODES || nb == 0 || nb > PAR_MAX_NODES || root.u.i < 0 ||
      (size_t)root.u.i >= nn)
    return rm_bad(rm, "its shape");
  c->kind = (int)kind.u.i;
  c->count = count.u.i;
  c->fused = fused.u.i != 0;
  c->root = (uint32_t)root.u.i;
  if (!rm_globals(rm, globals))
    return false;
  return rm_build_fold(rm, desc);
}

static bool rm_build_fold(pf_par_remote *rm, pf_val desc) {
  par_ctx *c = &rm->c;
  pf_val nodes = pf_tuple_get(desc, 6), bases = pf_tuple_get(desc, 7);
  size_t nn = pf_tuple_len(nodes), nb = pf_tuple_len(bases);
  if (!rm_value(rm, pf_tuple_get(desc, 5), &c->comp, 0) || !rm_keep(rm, c->comp))
    return false;
  if (c->kind == PK_COMP && !pf_is_type(c->comp, &pf_type_func))
    return rm_bad(rm, "a comprehension without its function");
  for (size_t i = 0; i < nb; i++) {
    pf_val b = pf_tuple_get(bases, i);
    if (!tup(b, 6))
      return rm_bad(rm, "a base");
    pf_val bk = pf_tuple_get(b, 0), cur = pf_tuple_get(b, 2), step = pf_tuple_get(b, 3),
           start = pf_tuple_get(b, 4), left = pf_tuple_get(b, 5), src;
    if (!is_i64(bk) || (bk.u.i != IT_RANGE && bk.u.i != IT_SEQ) || !is_i64(cur) ||
        !is_i64(step) || !is_i64(start) || start.u.i < 0 || !is_i64(left) ||
        left.u.i < c->count)
      return rm_bad(rm, "a base's numbers");
    if (!rm_value(rm, pf_tuple_get(b, 1), &src, 0))
      return false;
    if (bk.u.i == IT_SEQ &&
        (!(pf_is_type(src, &pf_type_list) || pf_is_type(src, &pf_type_tuple)) ||
         (uint64_t)start.u.i + (uint64_t)left.u.i >
             (pf_is_type(src, &pf_type_list) ? pf_list_len(src) : pf_tuple_len(src)))) {
      pf_decref(src);
      return rm_bad(rm, "a sequence base");
    }
    if (bk.u.i == IT_RANGE && step.u.i == 0) {
      pf_decref(src);
      return rm_bad(rm, "a range base");
    }
    pf_iter *it = calloc(1, sizeof *it);
    if (!it) {
      pf_decref(src);
      return rm_bad(rm, "out of memory");
    }
    pf_obj_init(&it->h, &pf_type_iter);
    it->kind = (int)bk.u.i;
    it->src = src;
    it->f = pf_unbound();
    it->cur = cur.u.i;
    it->step = step.u.i;
    it->stop = start.u.i + left.u.i;
    par_base_set_index(it, start.u.i);
    if (!rm_keep(rm, pf_obj_val(&it->h)))
      return false;
    c->bases[i].it = it;
    c->bases[i].start = start.u.i;
    c->bases[i].left = left.u.i;
  }
  c->nbases = (uint32_t)nb;
  for (size_t i = 0; i < nn; i++) {
    pf_val t = pf_tuple_get(nodes, i);
    par_node *n = &c->nodes[i];
    n->fn = n->count = n->call = pf_unbound();
    if (!tup(t, 9))
      return rm_bad(rm, "a node");
    pf_val nk = pf_tuple_get(t, 0), ch = pf_tuple_get(t, 1), base = pf_tuple_get(t, 4),
           org = pf_tuple_get(t, 6), ord = pf_tuple_get(t, 7), line = pf_tuple_get(t, 8);
    if (!is_i64(nk) || nk.u.i < PN_BASE || nk.u.i > PN_ENUM || !pf_is_type(ch, &pf_type_tuple) ||
        pf_tuple_len(ch) > PAR_MAX_CHILD || !is_i64(base) || base.u.i < 0 ||
        (size_t)base.u.i >= nb || !is_i64(ord) || !is_i64(line))
      return rm_bad(rm, "a node's numbers");
    n->kind = (int)nk.u.i;
    n->nchild = (uint32_t)pf_tuple_len(ch);
    for (uint32_t k = 0; k < n->nchild; k++) {
      pf_val x = pf_tuple_get(ch, k);
      if (!is_i64(x) || x.u.i <= (int64_t)i || (size_t)x.u.i >= nn)
        return rm_bad(rm, "a node's children"); /* children come after their parent */
      n->child[k] = (uint32_t)x.u.i;
    }
    n->base = (uint32_t)base.u.i;
    n->line = (int32_t)line.u.i;
    if (!rm_value(rm, pf_tuple_get(t, 2), &n->fn, 0) || !rm_keep(rm, n->fn) ||
        !rm_value(rm, pf_tuple_get(t, 3), &n->count, 0) || !rm_keep(rm, n->count) ||
        !rm_value(rm, pf_tuple_get(t, 5), &n->call, 0) || !rm_keep(rm, n->call))
      return false;
    if (ord.u.i >= 0) {
      if (org.tag != PF_NONE && !pf_is_type(org, &pf_type_str))
        return rm_bad(rm, "a node's code");
      n->code = pf_program_find_code(rm->prog, rm->dc,
                                     org.tag == PF_NONE ? NULL : pf_str_utf8(org, NULL),
                                     (uint32_t)ord.u.i);
      if (!n->code)
        return rm_bad(rm, "code this program does not have");
    }
    bool ok;
    switch (n->kind) {
    case PN_BASE:
      ok = n->nchild == 0;
      n->it = c->bases[n->base].it;
      break;
    case PN_GEN:
      ok = n->nchild == 1 && pf_is_type(n->fn, &pf_type_func) && n->code &&
           ((pf_func *)n->fn.u.o)->code == n->code && n->code->is_comp && n->code->par_ok;
      break;
    case PN_MAP:
    case PN_FILTER:
      ok = n->nchild >= 1 && n->fn.tag == PF_OBJ;
      break;
    case PN_ENUM:
      ok = n->nchild == 1 && pf_is_int(n->count);
      break;
    default:
      ok = n->nchild >= 1;
      break;
    }
    if (!ok)
      return rm_bad(rm, "a node of the wrong form");
  }
  c->nnodes = (uint32_t)nn;
  /* every base is reached once, as in analyse() */
  uint32_t seen = 0;
  for (size_t i = 0; i < nn; i++)
    if (c->nodes[i].kind == PN_BASE)
      seen |= 1u << c->nodes[i].base;
  if (seen != (1u << nb) - 1)
    return rm_bad(rm, "bases not reached");
  par_node *rn = &c->nodes[c->root];
  if (c->fused && !((rn->kind == PN_GEN || (par_fused_map(c) && c->kind != PK_COMP)) &&
                    rn->call.tag == PF_OBJ && c->nodes[rn->child[0]].kind == PN_BASE))
    return rm_bad(rm, "a fused fold of the wrong form");
  c->pair = c->fused ? 0 : par_pair_kind(c); /* zip / enumerate read natively, as at home */
  return true;
}

pf_status_t pf_par_remote_new(pf_program *prog, pf_defcache *dc, pf_val desc,
                              const pf_jit_iface *jit, pf_par_remote **out, char *msg,
                              size_t msg_len) {
  pf_par_remote *rm = calloc(1, sizeof *rm);
  if (!rm)
    return PF_ENOMEM;
  rm->prog = prog;
  rm->dc = dc;
  rm->msg = msg;
  rm->msg_len = msg_len;
  atomic_init(&rm->cancel, 0);
  rm->fn = pf_unbound();
  par_ctx *c = &rm->c;
  c->prog = prog;
  c->cancel = &rm->cancel;
  c->root_cancel = &rm->cancel;
  c->max_depth = 20000 - PAR_MIN_DEPTH;
  c->jit = jit;
  c->comp = pf_unbound();
  prog->jit = jit;
  if (!rm_build(rm, desc)) {
    pf_par_remote_free(rm);
    return PF_EPROTO;
  }
  rm->msg = NULL;
  *out = rm;
  return PF_OK;
}

void pf_par_remote_free(pf_par_remote *rm) {
  if (!rm)
    return;
  for (uint32_t i = 0; i < rm->nargs; i++)
    pf_decref(rm->args[i]);
  for (uint32_t i = 0; i < rm->nowned; i++)
    pf_decref(rm->owned[i]);
  free(rm);
}

/* The partial accumulator as plain values: (isum, fsum or None, saw_float, any, cls, first,
 * first_pos, (best,) or (), poisoned, poison_pos, items). */
static pf_status_t acc_export(const par_ctx *c, const par_acc *a, pf_val *out, pf_err *err) {
  pf_val it[11];
  it[0] = pf_incref(a->isum);
  it[1] = pf_none();
  if (a->fs && pf_fsum_export(a->fs, &it[1], err) != PF_OK) {
    pf_decref(it[0]);
    return PF_ENOMEM;
  }
  it[2] = pf_bool(a->saw_float);
  it[3] = pf_bool(a->any);
  it[4] = pf_int(a->cls);
  it[5] = a->any ? pf_incref(a->first) : pf_none();
  it[6] = pf_int((int64_t)a->first_pos);
  pf_val best = pf_incref(a->best);
  pf_status_t st = pf_tuple_new(best.tag == PF_UNBOUND ? 0 : 1, &best, &it[7], err);
  if (st == PF_OK) {
    it[8] = pf_bool(a->poisoned);
    it[9] = pf_int((int64_t)a->poison_pos);
    pf_val *items = a->items.n ? malloc(a->items.n * sizeof *items) : NULL;
    if (a->items.n && !items)
      st = PF_ENOMEM;
    for (size_t i = 0; st == PF_OK && i < a->items.n; i++)
      items[i] = pf_incref(a->items.items[i]);
    if (st == PF_OK)
      st = pf_list_new(a->items.n, items, &it[10], err);
    free(items);
    if (st == PF_OK)
      return pf_tuple_new(11, it, out, err);
    pf_decref(it[7]);
  }
  for (int i = 0; i < 7; i++)
    pf_decref(it[i]);
  (void)c;
  return st;
}

void *par_acc_import(void *ctx, pf_val v) {
  par_ctx *c = ctx;
  if (!tup(v, 11))
    return NULL;
  pf_val isum = pf_tuple_get(v, 0), fs = pf_tuple_get(v, 1), sf = pf_tuple_get(v, 2),
         any = pf_tuple_get(v, 3), cls = pf_tuple_get(v, 4), first = pf_tuple_get(v, 5),
         fpos = pf_tuple_get(v, 6), best = pf_tuple_get(v, 7), poi = pf_tuple_get(v, 8),
         ppos = pf_tuple_get(v, 9), items = pf_tuple_get(v, 10);
  if (!pf_is_int(isum) || isum.tag == PF_BOOL || sf.tag != PF_BOOL || any.tag != PF_BOOL ||
      !is_i64(cls) || !is_i64(fpos) || fpos.u.i < 0 || !pf_is_type(best, &pf_type_tuple) ||
      pf_tuple_len(best) > 1 || poi.tag != PF_BOOL || !is_i64(ppos) || ppos.u.i < 0 ||
      !pf_is_type(items, &pf_type_list))
    return NULL;
  if ((c->kind == PK_MIN || c->kind == PK_MAX) && any.u.i &&
      (cls.u.i != par_val_class(first) || (pf_tuple_len(best) && par_val_class(pf_tuple_get(best, 0)) != cls.u.i)))
    return NULL;
  par_acc *a = par_acc_new(c);
  if (!a)
    return NULL;
  pf_decref(a->isum);
  a->isum = pf_incref(isum);
  if (fs.tag != PF_NONE && !(a->fs = pf_fsum_import(fs))) {
    par_acc_free(c, a);
    return NULL;
  }
  a->saw_float = sf.u.i != 0;
  a->any = any.u.i != 0;
  a->cls = (int)cls.u.i;
  if (a->any)
    a->first = pf_incref(first);
  a->first_pos = (uint64_t)fpos.u.i;
  if (pf_tuple_len(best))
    a->best = pf_incref(pf_tuple_get(best, 0));
  a->poisoned = poi.u.i != 0;
  a->poison_pos = (uint64_t)ppos.u.i;
  pf_err err;
  for (size_t i = 0; i < pf_list_len(items); i++)
    if (pf_listb_push(&a->items, pf_incref(pf_list_get(items, i)), &err) != PF_OK) {
      par_acc_free(c, a);
      return NULL;
    }
  return a;
}

pf_status_t pf_par_remote_run(pf_par_remote *rm, pf_worker *w, const pf_subrange *sr,
                              int machine, uint64_t origin, pf_val *acc_out,
                              uint64_t *done_pos_p) {
  *acc_out = pf_unbound();
  *done_pos_p = sr->pos;
  if (rm->is_call || sr->step != 1 || sr->cursor < 0 || sr->bound > rm->c.count || (uint64_t)sr->cursor != sr->pos)
    return PF_EINVAL; /* positions of par.c's folds: range(0, count) */
  pf_fold_result res;
  uint64_t done;
  pf_status_t st = pf_fold_exec_part(w, &pf_par_ops, &rm->c, sr, machine, origin, &res, &done);
  if (res.acc) {
    pf_err err;
    if (acc_export(&rm->c, res.acc, acc_out, &err) == PF_OK)
      *done_pos_p = done;
    par_acc_free(&rm->c, res.acc);
  }
  if (res.exc)
    par_exc_free(&rm->c, res.exc);
  return st == PF_OK || st == PF_EPYEXC ? PF_OK : st;
}

pf_program *pf_par_ctx_program(void *fold_ctx) { return ((par_ctx *)fold_ctx)->prog; }

bool pf_par_remote_is_call(const pf_par_remote *rm) { return rm->is_call; }

pf_status_t pf_par_remote_call(pf_par_remote *rm, pf_worker *w, const atomic_int *stop,
                               pf_val *out) {
  if (!rm->is_call)
    return PF_EINVAL;
  pf_par_part pp;
  memset(&pp, 0, sizeof pp);
  pp.cancel = &rm->cancel;
  pp.cancel2 = stop;
  pp.root_cancel = stop;
  pp.w = w;
  atomic_init(&pp.stop, 0);
  pf_run s;
  pf_par_sub_init(&s, rm->prog, &pp, NULL, rm->c.max_depth, 1, rm->c.jit);
  pf_status_t st = PF_OK;
  if (pf_call_sync(&s, rm->fn, rm->args, rm->nargs, out) != 1)
    st = s.canceled || atomic_load(&pp.stop) ? PF_ECANCELED : PF_EPYEXC;
  pf_decref(s.ret);
  pf_decref(s.exc);
  pf_jit_bridge_end(&s);
  pf_run_release(&s);
  return st;
}
