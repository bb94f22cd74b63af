/* par.c — folds that run on every core: sum/min/max/any/all, list/tuple/set/dict/sorted/
 * join of a generator, and list/set/dict comprehensions, whose source is a range or a
 * list/tuple (through generator expressions, map and filter, nested or held in variables).
 *
 * The fold's source is a pipeline: a tree of generator expressions, map, filter, zip and
 * enumerate over base iterators (a range's or a sequence's, by index); several bases (zip,
 * map of several iterables) advance in lockstep, so one position names an element of each.
 * core/sched runs the fold over the positions left; each subrange builds its own copy of the
 * pipeline over its positions in a sub-run (its own frames, on the worker that runs it) and
 * folds the elements into a partial accumulator. At the sub-run's safepoints the subrange's
 * cursor is published and, when another worker is idle, the unfinished half of it is split
 * off (lazy binary splitting). Parts combine in Python order (pf_fold_exec), so the result is
 * the sequential one: ints add exactly, floats go to an exact accumulator, min/max keep what
 * a left-to-right scan keeps (NaN included), collections keep their order.
 *
 * A subrange stops early at position p for three reasons, reported like an exception so the
 * earliest in Python order wins: a Python exception (raised in the caller, traceback kept),
 * any()/all() decided, or an element the partial accumulator cannot take exactly (a sum of
 * non-numbers, min of mixed kinds): then the caller finishes sequentially from p with the
 * combined state of everything before p. Afterwards the original pipeline is left as the
 * sequential fold would leave it (its base consumed up to where the fold stopped).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pf_sched.h"
#include "vm_int.h"

#define PAR_MAX_NODES 16
#define PAR_MAX_CHILD 8
#define PAR_MAX_NEST 24      /* folds inside folds that still split; deeper ones run in place */
#define PAR_MIN_DEPTH 64     /* frames a sub-run needs left below the recursion limit */
#define PAR_POLL_MASK 1023u  /* as the interpreter's safepoints (vm_loop.c) */

enum { PN_BASE, PN_GEN, PN_MAP, PN_FILTER, PN_ZIP, PN_ENUM };
enum { PK_SUM, PK_MIN, PK_MAX, PK_ANY, PK_ALL, PK_COLLECT, PK_COMP };
enum { PX_EXC, PX_SHORT, PX_FALLBACK };
enum { CL_NUM = 1, CL_STR = 2 };

/* One node of the pipeline (values borrowed from the original objects, which the fold's
 * caller keeps alive). */
typedef struct par_node {
  int kind;
  pf_val fn;      /* PN_GEN: the genexpr's function; PN_MAP/PN_FILTER: the function */
  pf_val count;   /* PN_ENUM: the counter at the fold's start */
  pf_gen *gen;    /* PN_GEN: the original generator */
  pf_iter *it;    /* the original iterator (PN_BASE, PN_MAP, PN_FILTER, PN_ZIP, PN_ENUM) */
  uint32_t child[PAR_MAX_CHILD], nchild;
  uint32_t base;  /* PN_BASE: its index in par_ctx.bases */
  pf_val call;    /* PN_GEN of the form (F(x) for x in …): F (borrowed), else unbound */
  pf_code *code;  /* PN_GEN: the generator expression's code */
  int32_t line;   /* its line of the call F(x) */
} par_node;

typedef struct par_base {
  pf_iter *it;   /* the original base iterator */
  int64_t start; /* its index where the fold starts */
  int64_t left;  /* elements it has left */
} par_base;

typedef struct par_ctx {
  pf_program *prog;
  const atomic_int *cancel; /* the caller's */
  atomic_uint_fast64_t *progress;
  size_t max_depth;
  uint32_t nest;
  int kind;
  pf_val comp; /* PK_COMP: the comprehension's function */
  const pf_jit_iface *jit; /* the caller's native tier, for the sub-runs */
  const atomic_int *root_cancel; /* the computation's cancel flag */
  par_node nodes[PAR_MAX_NODES];
  uint32_t nnodes, root;
  par_base bases[PAR_MAX_NODES];
  uint32_t nbases;
  int64_t count; /* positions to fold: the shortest base's elements left */
  bool fused;    /* the root is (F(x) for x in base): parts call F on each element */
} par_ctx;

typedef struct par_acc {
  pf_val isum; /* PK_SUM: exact sum of the ints (with "wide", once the part has ended) */
  __int128 wide; /* PK_SUM: the part's int64 elements, added into isum at its end */
  pf_fsum *fs;
  bool saw_float;
  bool any;         /* PK_MIN/MAX: has elements */
  int cls;          /* their kind (CL_*) */
  pf_val first;     /* the first element */
  uint64_t first_pos;
  pf_val best;      /* the scan's choice among the non-NaN elements (unbound: none) */
  bool poisoned;    /* merged with a part of another kind at poison_pos */
  uint64_t poison_pos;
  pf_listb items;   /* PK_COLLECT: the elements; PK_COMP: the parts' results */
} par_acc;

typedef struct par_exc {
  int why;          /* PX_* */
  pf_val exc;       /* PX_EXC: the exception instance */
  bool in_pipeline; /* PX_EXC: raised while producing the element (closes the generators) */
} par_exc;

/* ---------------------------------------------------------------- accumulators */

static void *acc_new(void *ctx) {
  (void)ctx;
  par_acc *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->isum = pf_int(0);
  a->first = pf_unbound();
  a->best = pf_unbound();
  pf_listb_init(&a->items);
  return a;
}

static void acc_free(void *ctx, void *p) {
  (void)ctx;
  par_acc *a = p;
  if (!a)
    return;
  pf_decref(a->isum);
  if (a->fs)
    pf_fsum_free(a->fs);
  pf_decref(a->first);
  pf_decref(a->best);
  pf_listb_discard(&a->items);
  free(a);
}

static void exc_free(void *ctx, void *p) {
  (void)ctx;
  par_exc *e = p;
  if (!e)
    return;
  pf_decref(e->exc);
  free(e);
}

static bool is_nan(pf_val v) { return v.tag == PF_FLOAT && isnan(v.u.f); }

static int val_class(pf_val v) {
  if (v.tag == PF_INT || v.tag == PF_BOOL || v.tag == PF_FLOAT || pf_is_int(v))
    return CL_NUM;
  if (pf_is_type(v, &pf_type_str))
    return CL_STR;
  return 0;
}

/* Whether "a" goes before "b" in kind's order (strictly); both of one class, never NaN. */
static bool better(int kind, pf_val a, pf_val b) {
  if (a.tag == PF_INT && b.tag == PF_INT)
    return kind == PK_MIN ? a.u.i < b.u.i : a.u.i > b.u.i;
  if (a.tag == PF_FLOAT && b.tag == PF_FLOAT)
    return kind == PK_MIN ? a.u.f < b.u.f : a.u.f > b.u.f;
  pf_val out;
  pf_err err;
  if (pf_val_compare(kind == PK_MIN ? PF_CMP_LT : PF_CMP_GT, a, b, &out, &err) != PF_OK)
    return false;
  bool r = out.tag == PF_BOOL && out.u.i;
  pf_decref(out);
  return r;
}

static void merge(void *ctx, void *into_p, const void *right_p) {
  par_ctx *c = ctx;
  par_acc *a = into_p, *b = (par_acc *)right_p;
  switch (c->kind) {
  case PK_SUM: {
    pf_val s;
    pf_err err;
    if (pf_val_binop(PF_OP_ADD, a->isum, b->isum, &s, &err) == PF_OK) {
      pf_decref(a->isum);
      a->isum = s;
    } /* else: MemoryError of a gigantic int; the sequential finish raises it again */
    if (b->fs) {
      if (!a->fs) {
        a->fs = b->fs;
        b->fs = NULL;
      } else {
        pf_fsum_merge(a->fs, b->fs);
      }
    }
    a->saw_float |= b->saw_float;
    break;
  }
  case PK_MIN:
  case PK_MAX:
    if (a->poisoned || !b->any)
      break;
    if (!a->any) {
      a->any = true;
      a->cls = b->cls;
      a->first = b->first, b->first = pf_unbound();
      a->first_pos = b->first_pos;
      a->best = b->best, b->best = pf_unbound();
    } else if (a->cls != b->cls) {
      a->poisoned = true; /* the scan compares across kinds here: it goes on sequentially */
      a->poison_pos = b->first_pos;
      break;
    } else if (b->best.tag != PF_UNBOUND &&
               (a->best.tag == PF_UNBOUND || better(c->kind, b->best, a->best))) {
      pf_decref(a->best);
      a->best = b->best, b->best = pf_unbound();
    }
    if (b->poisoned) {
      a->poisoned = true;
      a->poison_pos = b->poison_pos;
    }
    break;
  case PK_COLLECT:
  case PK_COMP:
    for (size_t i = 0; i < b->items.n; i++) {
      pf_err err;
      if (pf_listb_push(&a->items, b->items.items[i], &err) != PF_OK)
        break; /* out of memory: the items are lost with "b" below */
      b->items.items[i] = pf_unbound();
    }
    break;
  default:
    break;
  }
}

/* ---------------------------------------------------------------- the sub-run */

static int64_t base_index(const pf_iter *it) {
  return it->kind == IT_RANGE ? (int64_t)it->pos : it->cur;
}
static void base_set_index(pf_iter *it, int64_t i) {
  if (it->kind == IT_RANGE)
    it->pos = (size_t)i;
  else
    it->cur = i;
}

void pf_par_poll(pf_run *r) {
  pf_par_part *pp = r->par;
  if (atomic_load_explicit(&pp->stop, memory_order_relaxed))
    return;
  if ((pp->cancel && atomic_load_explicit(pp->cancel, memory_order_relaxed)) ||
      (pp->cancel2 && atomic_load_explicit(pp->cancel2, memory_order_relaxed))) {
    atomic_store_explicit(&pp->stop, 1, memory_order_relaxed);
    return;
  }
  if (!pp->sr || !pp->bases[0])
    return; /* a forked call (fork.c), or the part's pipeline not built yet */
  /* positions: the first base's index less its start (bases move in lockstep) */
  int64_t idx = base_index(pp->bases[0]) - pp->starts[0];
  if (idx > pp->sr->bound)
    idx = pp->sr->bound;
  pp->sr->cursor = idx;
  pp->sr->pos = pp->p0 + (uint64_t)(idx - pp->c0);
  if (pf_fold_safepoint(pp->w, pp->sr) != PF_OK) {
    atomic_store_explicit(&pp->stop, 1, memory_order_relaxed);
    return;
  }
  for (uint32_t k = 0; k < pp->nbases; k++) /* lowered when the upper half was split off */
    pp->bases[k]->stop = pp->starts[k] + pp->sr->bound;
}

/* Position of the element the part is working on (the last taken). */
static uint64_t cur_pos(const pf_par_part *pp) {
  if (!pp->bases[0])
    return pp->p0;
  int64_t taken = base_index(pp->bases[0]) - pp->starts[0] - pp->c0;
  return pp->p0 + (uint64_t)(taken > 0 ? taken - 1 : 0);
}

void pf_par_sub_init(pf_run *s, pf_program *prog, pf_par_part *pp, atomic_uint_fast64_t *progress,
                     size_t max_depth, uint32_t nest, const pf_jit_iface *jit) {
  memset(s, 0, sizeof *s);
  s->prog = prog;
  s->cancel = &pp->stop;
  s->progress = progress;
  s->max_depth = max_depth;
  s->exc = pf_unbound();
  s->ret = pf_unbound();
  s->req = pf_unbound();
  s->worker = pp->w;
  s->par = pp;
  s->par_nest = nest;
  s->jit = jit;
  s->root_cancel = pp->root_cancel;
}

pf_val pf_par_sub_exception(pf_run *s) {
  pf_val e = s->exc;
  s->exc = pf_unbound();
  if (e.tag == PF_UNBOUND && pf_exc_from_err(s->prog, &s->err, &e) != PF_OK)
    return pf_unbound();
  return e;
}

static pf_status_t stop_with(int why, pf_val exc, bool in_pipeline, uint64_t pos, void **exc_p,
                             uint64_t *pos_p) {
  par_exc *e = calloc(1, sizeof *e);
  if (!e) {
    pf_decref(exc);
    return PF_ENOMEM;
  }
  e->why = why;
  e->exc = exc;
  e->in_pipeline = in_pipeline;
  *exc_p = e;
  *pos_p = pos;
  return PF_EPYEXC;
}

/* Builds this part's copy of node "ni" over positions [sr->cursor, sr->bound); new iterator
 * in *out. 0, or -1 with an error pending in "s". */
static int build_node(pf_run *s, par_ctx *c, pf_par_part *pp, uint32_t ni, pf_val *out) {
  par_node *n = &c->nodes[ni];
  if (n->kind == PN_BASE) {
    par_base *b = &c->bases[n->base];
    pf_iter *it = calloc(1, sizeof *it);
    if (!it) {
      pf_raise_run(s, PF_EXC_MemoryError, "out of memory");
      return -1;
    }
    pf_obj_init(&it->h, &pf_type_iter);
    it->kind = b->it->kind;
    it->src = pf_incref(b->it->src);
    it->f = pf_unbound();
    it->cur = b->it->cur;
    it->step = b->it->step;
    it->stop = b->start + pp->sr->bound;
    base_set_index(it, b->start + pp->sr->cursor);
    pp->bases[n->base] = it; /* the part keeps a reference: positions are read from it */
    pp->starts[n->base] = b->start;
    *out = pf_incref(pf_obj_val(&it->h));
    return 0;
  }
  pf_val args[PAR_MAX_CHILD + 2];
  uint32_t na = 0;
  if (n->kind == PN_MAP || n->kind == PN_FILTER)
    args[na++] = n->fn;
  uint32_t first = na;
  int rc = 0;
  for (uint32_t k = 0; k < n->nchild && rc == 0; k++)
    if ((rc = build_node(s, c, pp, n->child[k], &args[na])) == 0)
      na++;
  if (rc == 0) {
    switch (n->kind) {
    case PN_GEN:
      rc = pf_call_sync(s, n->fn, &args[first], 1, out) == 1 ? 0 : -1;
      break;
    case PN_ENUM: {
      pf_val start;
      if (pf_val_binop(PF_OP_ADD, n->count, pf_int(pp->sr->cursor), &start, &s->err) != PF_OK) {
        rc = -1;
        break;
      }
      args[na] = start;
      rc = pf_lazy_builtin(s, BI_enumerate, &args[first], 2, pf_unbound()) == NS_RETURN ? 0 : -1;
      pf_decref(start);
      break;
    }
    default:
      rc = pf_lazy_builtin(s, n->kind == PN_MAP ? BI_map : n->kind == PN_FILTER ? BI_filter : BI_zip,
                           args, na, pf_unbound()) == NS_RETURN ? 0 : -1;
      break;
    }
    if (rc == 0 && n->kind != PN_GEN) {
      *out = s->ret;
      s->ret = pf_unbound();
    }
  }
  for (uint32_t k = first; k < na; k++)
    pf_decref(args[k]);
  return rc;
}

/* Adds a's 128-bit partial sum into its exact isum. 0, or -1 with an error pending in "s". */
static int wide_flush(pf_run *s, par_acc *a) {
  if (a->wide == 0)
    return 0;
  pf_val v;
  int64_t x;
  if (a->wide >= INT64_MIN && a->wide <= INT64_MAX) {
    if (a->isum.tag == PF_INT && !__builtin_add_overflow(a->isum.u.i, (int64_t)a->wide, &x)) {
      a->isum = pf_int(x);
      a->wide = 0;
      return 0;
    }
    v = pf_int((int64_t)a->wide);
  } else {
    unsigned __int128 m = a->wide < 0 ? -(unsigned __int128)a->wide : (unsigned __int128)a->wide;
    mpz_t z;
    mpz_init_set_ui(z, (unsigned long)(uint64_t)(m >> 64));
    mpz_mul_2exp(z, z, 64);
    mpz_add_ui(z, z, (unsigned long)(uint64_t)m);
    if (a->wide < 0)
      mpz_neg(z, z);
    pf_status_t st = pf_int_from_mpz(z, &v, &s->err);
    mpz_clear(z);
    if (st != PF_OK)
      return -1;
  }
  pf_val out;
  pf_status_t st = pf_val_binop(PF_OP_ADD, a->isum, v, &out, &s->err);
  pf_decref(v);
  if (st != PF_OK)
    return -1;
  pf_decref(a->isum);
  a->isum = out;
  a->wide = 0;
  return 0;
}

/* Adds "v" to a's 128-bit partial sum (into isum first when the partial would overflow). */
static int wide_add(pf_run *s, par_acc *a, __int128 v) {
  __int128 r;
  if (!__builtin_add_overflow(a->wide, v, &r)) {
    a->wide = r;
    return 0;
  }
  if (wide_flush(s, a) < 0)
    return -1;
  a->wide = v;
  return 0;
}

/* Folds element "v" (taken) of part "pp" into "a". 0: go on; 1: stop here (*why set); -1: a
 * Python error pending in "s". */
static int consume(pf_run *s, par_ctx *c, par_acc *a, pf_val v, const pf_par_part *pp, int *why) {
  switch (c->kind) {
  case PK_SUM: {
    if (v.tag == PF_FLOAT) {
      if (!a->fs && !(a->fs = pf_fsum_new())) {
        pf_raise_run(s, PF_EXC_MemoryError, "out of memory");
        return -1;
      }
      a->saw_float = true;
      pf_fsum_add(a->fs, v.u.f);
      return 0;
    }
    if (v.tag == PF_BOOL)
      v = pf_int(v.u.i ? 1 : 0);
    if (!pf_is_int(v)) {
      pf_decref(v);
      *why = PX_FALLBACK;
      return 1;
    }
    if (v.tag == PF_INT) /* 128 bits: a total beyond int64 stays off the big-int path */
      return wide_add(s, a, v.u.i);
    pf_val out;
    pf_status_t st = pf_val_binop(PF_OP_ADD, a->isum, v, &out, &s->err);
    pf_decref(v);
    if (st != PF_OK)
      return -1;
    pf_decref(a->isum);
    a->isum = out;
    return 0;
  }
  case PK_MIN:
  case PK_MAX: {
    int cl = val_class(v);
    if (!cl || (a->any && cl != a->cls)) {
      pf_decref(v);
      *why = PX_FALLBACK;
      return 1;
    }
    if (!a->any) {
      a->any = true;
      a->cls = cl;
      a->first = pf_incref(v);
      a->first_pos = cur_pos(pp); /* positions are only needed for a part's first element */
    }
    if (is_nan(v)) {
      pf_decref(v);
    } else if (a->best.tag == PF_UNBOUND || better(c->kind, v, a->best)) {
      pf_decref(a->best);
      a->best = v;
    } else {
      pf_decref(v);
    }
    return 0;
  }
  case PK_ANY:
  case PK_ALL: {
    bool t;
    pf_status_t st = pf_truthy_run(s, v, &t);
    pf_decref(v);
    if (st != PF_OK)
      return -1;
    if (t == (c->kind == PK_ANY)) {
      *why = PX_SHORT;
      return 1;
    }
    return 0;
  }
  default:
    return pf_listb_push(&a->items, v, &s->err) == PF_OK ? 0 : -1;
  }
}

/* Each element of a part is a safepoint; every 1,024th publishes the cursor (and splits),
 * so a short fold of cheap elements never pays for a split. True when the part must stop. */
static bool element_safepoint(pf_run *s, pf_par_part *pp) {
  if ((++s->safepoints & PAR_POLL_MASK) == 0) {
    if (s->progress)
      atomic_fetch_add_explicit(s->progress, PAR_POLL_MASK + 1u, memory_order_relaxed);
    pf_par_poll(s);
  }
  return atomic_load_explicit(&pp->stop, memory_order_relaxed);
}

/* Native fold chunks (fused folds over a range, pf_jit_bridge_fold): outcomes of one. */
enum { FC_MORE, FC_DONE, FC_STOP, FC_OFF, FC_ONE, FC_SHORT, FC_ERR };
#define PAR_CHUNK 1024 /* elements per native chunk: the safepoints' period */

/* Folds the next chunk of range iterator "bi" natively with F = "fn", fold kind "fk" (a
 * PF_JIT_FOLD_*), into "a"; then passes a safepoint (the cursor is published, a split may
 * lower bi->stop: it is read again before each chunk). FC_OFF: not native now (call F per
 * element); FC_ONE: F deoptimised on the element at bi->pos (run it per element). */
static int fold_chunk(pf_run *s, par_ctx *c, par_acc *a, pf_par_part *pp, pf_iter *bi,
                      pf_func *fn, int fk) {
  if (atomic_load_explicit(&pp->stop, memory_order_relaxed))
    return FC_STOP;
  int64_t left = bi->stop - (int64_t)bi->pos;
  if (left <= 0)
    return FC_DONE;
  if ((c->kind == PK_MIN || c->kind == PK_MAX) && a->any && a->cls != CL_NUM)
    return FC_OFF; /* consume() stops at the next element */
  pf_jit_fold_state fs;
  memset(&fs, 0, sizeof fs);
  fs.total = c->count;
  int64_t rbuf[PAR_CHUNK]; /* a sum of floats: the results, for the exact accumulator */
  fs.rbuf = rbuf;
  int64_t pos0 = (int64_t)bi->pos;
  int rc = pf_jit_bridge_fold(s, fn, fk, bi->cur + pos0 * bi->step, bi->step,
                              left < PAR_CHUNK ? left : PAR_CHUNK, &fs);
  if (rc == 0)
    return FC_OFF;
  bi->pos += (size_t)fs.done + (rc == 3);
  if (fs.done > 0) {
    if (c->kind == PK_SUM && fs.result_float) {
      if (!a->fs && !(a->fs = pf_fsum_new())) {
        pf_raise_run(s, PF_EXC_MemoryError, "out of memory");
        return FC_ERR;
      }
      a->saw_float = true;
      for (int64_t k = 0; k < fs.done; k++) {
        double d;
        memcpy(&d, &rbuf[k], sizeof d);
        pf_fsum_add(a->fs, d);
      }
    } else if (c->kind == PK_SUM &&
        wide_add(s, a, (__int128)(((unsigned __int128)(uint64_t)fs.hi << 64) | (uint64_t)fs.lo)) < 0)
      return FC_ERR;
    if (c->kind == PK_MIN || c->kind == PK_MAX) {
      pf_val best = fs.result_bool ? pf_bool(fs.best != 0) : pf_int(fs.best);
      if (!a->any) {
        a->any = true;
        a->cls = CL_NUM;
        a->first = fs.result_bool ? pf_bool(fs.first != 0) : pf_int(fs.first);
        a->first_pos = pp->p0 + (uint64_t)(pos0 - pp->starts[0] - pp->c0);
      }
      if (a->best.tag == PF_UNBOUND || better(c->kind, best, a->best)) {
        pf_decref(a->best);
        a->best = best;
      }
    }
    if (s->progress)
      atomic_fetch_add_explicit(s->progress, (uint64_t)fs.done, memory_order_relaxed);
    pf_par_poll(s);
  }
  return rc == 3 ? FC_SHORT : rc == 2 ? FC_ONE : FC_MORE;
}

/* [E for x in range(...)] ("c->comp", the part's base iterator "stream"): E's values from
 * native chunks (jit/ compiles E as a function of x) while it can, then the comprehension
 * over the elements left; the part's list in *out. PF_OK; PF_ENOTSUP when nothing ran
 * natively (the caller runs the comprehension); else how the part stops. */
static pf_status_t comp_chunks(pf_run *s, par_ctx *c, pf_par_part *pp, pf_val stream,
                               pf_val *out) {
  pf_iter *bi = (pf_iter *)stream.u.o;
  pf_listb items;
  pf_listb_init(&items);
  pf_status_t st = PF_OK;
  for (;;) {
    if (atomic_load_explicit(&pp->stop, memory_order_relaxed)) {
      st = PF_ECANCELED;
      break;
    }
    int64_t left = bi->stop - (int64_t)bi->pos;
    if (left <= 0)
      break;
    int64_t rbuf[PAR_CHUNK];
    pf_jit_fold_state fs;
    memset(&fs, 0, sizeof fs);
    fs.total = c->count;
    fs.rbuf = rbuf;
    int rc = pf_jit_bridge_fold(s, (pf_func *)c->comp.u.o, PF_JIT_FOLD_COLLECT,
                                bi->cur + (int64_t)bi->pos * bi->step, bi->step,
                                left < PAR_CHUNK ? left : PAR_CHUNK, &fs);
    if (rc == 0 && items.n == 0) {
      st = PF_ENOTSUP;
      break;
    }
    for (int64_t k = 0; k < fs.done && st == PF_OK; k++) {
      double d;
      memcpy(&d, &rbuf[k], sizeof d);
      pf_val v = fs.result_none ? pf_none() : fs.result_bool ? pf_bool(rbuf[k] != 0)
               : fs.result_float ? pf_float(d) : pf_int(rbuf[k]);
      st = pf_listb_push(&items, v, &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
    }
    bi->pos += (size_t)fs.done;
    if (st != PF_OK || rc != 1)
      break;
    if (s->progress)
      atomic_fetch_add_explicit(s->progress, (uint64_t)fs.done, memory_order_relaxed);
    pf_par_poll(s);
  }
  pf_val l = pf_unbound(), rest = pf_unbound();
  if (st == PF_OK)
    st = pf_listb_finish(&items, false, &l, &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
  if (st == PF_OK && bi->stop > (int64_t)bi->pos) { /* the rest in the interpreter */
    if (pf_call_sync(s, c->comp, &stream, 1, &rest) < 0)
      st = PF_EPYEXC;
    else if (pf_val_binop(PF_OP_ADD, l, rest, out, &s->err) != PF_OK)
      st = PF_EPYEXC;
    pf_decref(l);
    pf_decref(rest);
  } else if (st == PF_OK) {
    *out = l;
  }
  pf_listb_discard(&items);
  return st;
}

/* The native fold kind of fold kind "kind" (PK_*), or -1. */
static int native_kind(int kind) {
  return kind == PK_SUM ? PF_JIT_FOLD_SUM : kind == PK_MIN ? PF_JIT_FOLD_MIN
       : kind == PK_MAX ? PF_JIT_FOLD_MAX : kind == PK_ANY ? PF_JIT_FOLD_ANY
       : kind == PK_ALL ? PF_JIT_FOLD_ALL : -1;
}

/* Whether fold "c" is (E for x in range(...)) under sum/min/max/any/all, whose element E
 * the native tier may run in chunks. */
static bool elem_possible(const par_ctx *c, const pf_jit_iface *jit) {
  const par_node *rn = &c->nodes[c->root];
  return jit && !c->fused && native_kind(c->kind) >= 0 && rn->kind == PN_GEN &&
         rn->nchild == 1 && c->nodes[rn->child[0]].kind == PN_BASE &&
         c->bases[0].it->kind == IT_RANGE && pf_is_type(rn->fn, &pf_type_func);
}

/* (E for x in range(...)), "stream" the part's base iterator: folds the generator's element
 * E(x) in native chunks (jit/ compiles E as a function of x) while it can, then leaves in
 * *stream the generator over the elements left, for the per-element loop (unbound when
 * none are left). PF_OK, or how the part stops (*why, *in_pipeline set). */
static pf_status_t elem_chunks(pf_run *s, par_ctx *c, par_acc *a, pf_par_part *pp,
                               par_node *rn, pf_val *stream, int *why, bool *in_pipeline) {
  pf_iter *bi = (pf_iter *)stream->u.o;
  int fc;
  while ((fc = fold_chunk(s, c, a, pp, bi, (pf_func *)rn->fn.u.o, native_kind(c->kind))) == FC_MORE)
    ;
  if (fc == FC_DONE) {
    pf_decref(*stream);
    *stream = pf_unbound();
    return PF_OK;
  }
  if (fc == FC_STOP)
    return PF_ECANCELED;
  if (fc == FC_SHORT || fc == FC_ERR) {
    *why = fc == FC_SHORT ? PX_SHORT : PX_EXC;
    *in_pipeline = false;
    return PF_EPYEXC;
  }
  /* not native (now, or from the element E deoptimised on): the generator from here on */
  pf_val g;
  if (pf_call_sync(s, rn->fn, stream, 1, &g) != 1)
    return PF_EPYEXC;
  pf_decref(*stream);
  *stream = g;
  return PF_OK;
}

static pf_status_t part_run(void *ctx, pf_worker *w, void *acc, pf_subrange *sr, void **exc_p,
                            uint64_t *pos_p) {
  par_ctx *c = ctx;
  par_acc *a = acc;
  pf_par_part pp;
  memset(&pp, 0, sizeof pp);
  pp.cancel = c->cancel;
  pp.root_cancel = c->root_cancel;
  pp.w = w;
  pp.sr = sr;
  pp.c0 = sr->cursor;
  pp.p0 = sr->pos;
  atomic_init(&pp.stop, 0);
  pf_run s;
  pf_par_sub_init(&s, c->prog, &pp, c->progress, c->max_depth, c->nest + 1, c->jit);

  pf_status_t st = PF_OK;
  pf_val stream = pf_unbound(), v;
  int why = PX_EXC;
  bool in_pipeline = true, fused_tb = false;
  pf_iter *bases[PAR_MAX_NODES];
  int64_t starts[PAR_MAX_NODES];
  for (uint32_t k = 0; k < c->nbases; k++) {
    bases[k] = NULL;
    starts[k] = c->bases[k].start;
  }
  pp.bases = bases;
  pp.starts = starts;
  pp.nbases = c->nbases;
  bool fused = c->fused && c->kind != PK_COMP;
  par_node *rn = &c->nodes[c->root];
  /* (E for x in range(...)) under sum/min/max/any/all: E may run as native chunks */
  bool elem = c->kind != PK_COMP && elem_possible(c, s.jit);
  if (build_node(&s, c, &pp, fused || elem ? rn->child[0] : c->root, &stream) < 0) {
    st = PF_EPYEXC;
  } else if (elem && (st = elem_chunks(&s, c, a, &pp, rn, &stream, &why, &in_pipeline)) != PF_OK) {
    /* stopped in native chunks, or the generator could not be made */
  } else if (fused) {
    /* (F(x) for x in base): call F on each element here, natively when the tier has it */
    pf_iter *bi = (pf_iter *)stream.u.o;
    bool native = s.jit && pf_is_type(rn->call, &pf_type_func);
    /* over a range, F runs in native chunks (one LLVM loop with F inlined) when it can */
    int fk = native_kind(c->kind);
    if (!native || bi->kind != IT_RANGE)
      fk = -1;
    int64_t wait = 0; /* elements to run one by one before trying native chunks again */
    for (;;) {
      bool interp = false; /* this element: F deoptimised on it natively */
      if (fk >= 0 && wait <= 0) {
        int fc = fold_chunk(&s, c, a, &pp, bi, (pf_func *)rn->call.u.o, fk);
        if (fc == FC_MORE)
          continue;
        if (fc == FC_DONE)
          break;
        if (fc == FC_STOP) {
          st = PF_ECANCELED;
          break;
        }
        if (fc == FC_SHORT || fc == FC_ERR) {
          why = fc == FC_SHORT ? PX_SHORT : PX_EXC;
          st = PF_EPYEXC;
          in_pipeline = false;
          break;
        }
        if (fc == FC_OFF)
          wait = PAR_CHUNK;
        interp = fc == FC_ONE;
      }
      wait--;
      if (element_safepoint(&s, &pp)) {
        st = PF_ECANCELED;
        break;
      }
      pf_val x;
      int k = pf_iter_fast_next(bi, &x, &s.err);
      if (k == 0)
        break;
      if (k < 0) {
        st = PF_EPYEXC;
        break;
      }
      if (!(native && !interp && pf_jit_bridge_call(&s, (pf_func *)rn->call.u.o, &x, 1, &v)) &&
          pf_call_sync(&s, rn->call, &x, 1, &v) < 0) {
        pf_decref(x);
        st = PF_EPYEXC;
        fused_tb = true;
        break;
      }
      pf_decref(x);
      if (consume(&s, c, a, v, &pp, &why) != 0) {
        st = PF_EPYEXC;
        in_pipeline = false;
        break;
      }
    }
  } else if (c->kind == PK_COMP) {
    /* [E for x in range(...)]: E's values from native chunks, while it can */
    pf_status_t cs = PF_ENOTSUP;
    if (s.jit && c->nodes[c->root].kind == PN_BASE && c->bases[0].it->kind == IT_RANGE)
      cs = comp_chunks(&s, c, &pp, stream, &v);
    if (cs == PF_ENOTSUP && pf_call_sync(&s, c->comp, &stream, 1, &v) < 0)
      st = PF_EPYEXC;
    else if (cs != PF_ENOTSUP && cs != PF_OK)
      st = cs;
    else if (pf_listb_push(&a->items, v, &s.err) != PF_OK)
      st = PF_EPYEXC, in_pipeline = false;
  } else if (stream.tag != PF_UNBOUND) { /* (unbound: native chunks folded every element) */
    for (;;) {
      if (element_safepoint(&s, &pp)) {
        st = PF_ECANCELED;
        break;
      }
      int k = pf_next_sync(&s, stream, &v);
      if (k == 0)
        break;
      if (k < 0) {
        st = PF_EPYEXC;
        break;
      }
      int rc = consume(&s, c, a, v, &pp, &why);
      if (rc != 0) {
        st = PF_EPYEXC;
        in_pipeline = false;
        break;
      }
    }
  }
  if (wide_flush(&s, a) < 0 && st == PF_OK) { /* the state at a stop includes it too */
    st = PF_EPYEXC;
    why = PX_EXC;
    in_pipeline = false;
  }
  if (st == PF_EPYEXC && (s.canceled || atomic_load(&pp.stop)))
    st = PF_ECANCELED;
  if (st == PF_EPYEXC) {
    uint64_t pos = cur_pos(&pp);
    if (why == PX_EXC) {
      pf_val e = pf_par_sub_exception(&s);
      /* the generator's own line, as if its frame had been unwound (out of memory: shorter) */
      if (fused_tb && pf_is_type(e, &pf_type_inst) && rn->code &&
          pf_tb_push((pf_inst *)e.u.o, rn->code->file, rn->line, rn->code->name) != PF_OK)
        fused_tb = false;
      st = e.tag == PF_UNBOUND ? PF_ENOMEM : stop_with(PX_EXC, e, in_pipeline, pos, exc_p, pos_p);
    } else {
      st = stop_with(why, pf_unbound(), false, pos, exc_p, pos_p);
    }
  }
  pf_decref(stream);
  for (uint32_t k = 0; k < c->nbases; k++)
    if (bases[k])
      pf_obj_decref(&bases[k]->h);
  pf_decref(s.ret);
  pf_decref(s.exc);
  pf_jit_bridge_end(&s);
  pf_run_release(&s);
  return st;
}

/* ---------------------------------------------------------------- analysis */

/* The function F when generator expression "f" (unstarted frame) is exactly
 * (F(x) for x in .0) with F a global or a free variable — the generator then does nothing
 * but call F, and parts may call it directly (fused); else unbound. F cannot change while
 * the fold runs: the code that could rebind it waits for the fold. */
static pf_val fused_call(pf_frame *f, int32_t *line_p) {
  const pf_code *k = f->code;
  const pf_ins *in = k->ins;
  if (k->nins < 8 || in[0].op != OP_FOR_ITER || in[0].a != 0 || in[1].op != OP_EXT ||
      in[2].op != OP_MOVE || in[2].b != in[0].b || in[4].op != OP_MOVE ||
      in[4].a != in[3].a + 1 || in[4].b != in[2].a || in[5].op != OP_CALL ||
      in[5].b != in[3].a || in[5].c != 1 || in[6].op != OP_YIELD || in[6].b != in[5].a ||
      in[7].op != OP_LOOP || J_TGT(in[7]) != 0)
    return pf_unbound();
  pf_val fn = pf_unbound();
  if (in[3].op == OP_LOAD_GLOBAL) {
    fn = *k->gslots[in[3].b];
    if (fn.tag == PF_UNBOUND)
      fn = k->gbuiltin[in[3].b];
  } else if (in[3].op == OP_LOAD_DEREF && in[3].b < k->ncells + k->nfree && f->cells[in[3].b]) {
    fn = f->cells[in[3].b]->v;
  }
  if (fn.tag != PF_OBJ)
    return pf_unbound(); /* unbound (a NameError to raise in order) or not callable */
  *line_p = k->lines[5];
  return fn;
}

/* Adds the node for "src" (borrowed) and what is under it; its index, or -1 when "src" is
 * not a splittable pipeline. "lockstep": "src" must give one element per position (under
 * zip, map of several iterables, enumerate: no filtering). "single_for": generator
 * expressions must have one loop (any/all leave them suspended). */
static int analyse_node(par_ctx *c, pf_val src, bool lockstep, bool single_for) {
  if (c->nnodes == PAR_MAX_NODES)
    return -1;
  uint32_t ni = c->nnodes;
  /* an object met twice (zip(it, it)) is consumed twice per position: not splittable */
  for (uint32_t k = 0; k < ni; k++)
    if ((c->nodes[k].it && src.tag == PF_OBJ && &c->nodes[k].it->h == src.u.o) ||
        (c->nodes[k].gen && src.tag == PF_OBJ && &c->nodes[k].gen->h == src.u.o))
      return -1;
  par_node *n = &c->nodes[ni];
  memset(n, 0, sizeof *n);
  n->fn = n->count = n->call = pf_unbound();
  if (pf_is_type(src, &pf_type_gen)) {
    pf_gen *g = (pf_gen *)src.u.o;
    pf_frame *f = g->frame;
    if (lockstep || !f || g->running || f->pc != 0 || !f->func || !f->code->is_comp ||
        !f->code->par_ok || (single_for && f->code->nfor != 1))
      return -1;
    c->nnodes++;
    n->kind = PN_GEN;
    n->fn = pf_obj_val(&f->func->h);
    n->gen = g;
    n->code = f->code;
    n->call = fused_call(f, &n->line);
    n->nchild = 1;
    int ch = analyse_node(c, f->regs[0], false, single_for);
    n->child[0] = (uint32_t)ch;
    return ch < 0 ? -1 : (int)ni;
  }
  if (!pf_is_type(src, &pf_type_iter))
    return -1;
  pf_iter *it = (pf_iter *)src.u.o;
  if (it->kind == IT_GEN)
    return analyse_node(c, it->src, lockstep, single_for);
  if (it->kind == IT_RANGE || (it->kind == IT_SEQ && (pf_is_type(it->src, &pf_type_list) ||
                                                       pf_is_type(it->src, &pf_type_tuple)))) {
    c->nnodes++;
    n->kind = PN_BASE;
    n->it = it;
    n->base = c->nbases;
    par_base *b = &c->bases[c->nbases++];
    b->it = it;
    b->start = base_index(it);
    b->left = it->stop > b->start ? it->stop - b->start : 0;
    return (int)ni;
  }
  if (it->kind != IT_NATIVE || it->nsubs == 0 || it->nsubs > PAR_MAX_CHILD)
    return -1;
  bool sub_lockstep;
  switch (it->nkind) {
  case NK_MAP:
    n->kind = PN_MAP;
    n->fn = it->f;
    sub_lockstep = lockstep || it->nsubs > 1;
    break;
  case NK_FILTER:
    if (lockstep)
      return -1;
    n->kind = PN_FILTER;
    n->fn = it->f;
    sub_lockstep = false;
    break;
  case NK_ZIP:
    n->kind = PN_ZIP;
    sub_lockstep = true;
    break;
  case NK_ENUM:
    if (!pf_is_int(it->src))
      return -1;
    n->kind = PN_ENUM;
    n->count = pf_incref(it->src); /* owned: the original's counter moves on (ctx_done) */
    sub_lockstep = true;
    break;
  default:
    return -1;
  }
  c->nnodes++;
  n->it = it;
  n->nchild = it->nsubs;
  for (uint32_t k = 0; k < it->nsubs; k++) {
    int ch = analyse_node(c, it->subs[k], sub_lockstep, single_for);
    if (ch < 0)
      return -1;
    c->nodes[ni].child[k] = (uint32_t)ch;
  }
  return (int)ni;
}

/* Releases what analyse_node took. */
static void ctx_done(par_ctx *c) {
  for (uint32_t i = 0; i < c->nnodes; i++)
    pf_decref(c->nodes[i].count);
  c->nnodes = 0;
}

/* Analyses the pipeline "src"; true when it can be folded in parallel ("need_layer": a bare
 * base is not worth it, its elements exist already). */
static bool analyse(par_ctx *c, pf_val src, bool single_for, bool need_layer) {
  c->nnodes = c->nbases = 0;
  int root = analyse_node(c, src, false, single_for);
  if (root < 0 || c->nbases == 0 || (need_layer && c->nodes[root].kind == PN_BASE)) {
    ctx_done(c);
    return false;
  }
  c->root = (uint32_t)root;
  par_node *rn = &c->nodes[root];
  c->fused = rn->kind == PN_GEN && rn->call.tag != PF_UNBOUND &&
             c->nodes[rn->child[0]].kind == PN_BASE;
  c->count = c->bases[0].left;
  for (uint32_t k = 1; k < c->nbases; k++)
    if (c->bases[k].left < c->count)
      c->count = c->bases[k].left;
  if (c->count < 2) {
    ctx_done(c);
    return false;
  }
  return true;
}

/* Leaves the original pipeline as a sequential fold that consumed "used" positions leaves it:
 * bases advanced, enumerate counters moved on. */
static void consume_originals(par_ctx *c, int64_t used) {
  for (uint32_t k = 0; k < c->nbases; k++)
    base_set_index(c->bases[k].it, c->bases[k].start + used);
  for (uint32_t i = 0; i < c->nnodes; i++) {
    par_node *n = &c->nodes[i];
    if (n->kind == PN_ENUM) {
      pf_val v;
      pf_err err;
      if (pf_val_binop(PF_OP_ADD, n->count, pf_int(used), &v, &err) == PF_OK) {
        pf_decref(n->it->src);
        n->it->src = v;
      }
    } else if ((n->kind == PN_ZIP || n->kind == PN_MAP) && used == c->count) {
      /* exhausted: zip took one more from each base before the first one that ran out */
      for (uint32_t k = 0; k < n->nchild; k++) {
        par_node *ch = &c->nodes[n->child[k]];
        if (ch->kind != PN_BASE)
          break;
        par_base *b = &c->bases[ch->base];
        if (b->left == c->count)
          break;
        base_set_index(b->it, b->start + used + 1);
      }
    }
  }
}

/* Whether run "r" may run a fold through pf_fold_exec: a worker, not too deeply nested. With
 * one worker only fused folds take that path (for their direct calls, not for splitting). */
static bool fold_possible(const pf_run *r) {
  return r->worker && r->par_nest < PAR_MAX_NEST && r->max_depth > r->depth + PAR_MIN_DEPTH;
}

bool pf_par_possible(const pf_run *r) {
  return r->worker && pf_worker_can_spread(r->worker) && fold_possible(r);
}


static void ctx_init(par_ctx *c, pf_run *r, int kind) {
  memset(c, 0, sizeof *c);
  c->prog = r->prog;
  c->cancel = r->cancel;
  c->progress = r->progress;
  c->max_depth = r->max_depth - r->depth;
  c->nest = r->par_nest;
  c->jit = r->jit;
  c->root_cancel = r->root_cancel ? r->root_cancel : r->cancel;
  c->kind = kind;
  c->comp = pf_unbound();
}

static bool describe(void *ctx, pf_val *out);
static void *acc_import(void *ctx, pf_val v);

static const pf_fold_ops par_ops = {
    .acc_new = acc_new, .run = part_run, .merge = merge, .acc_free = acc_free,
    .exc_free = exc_free, .describe = describe, .acc_import = acc_import};

/* Closes the original generators of the pipeline (an exception went through them). */
static void close_gens(par_ctx *c) {
  for (uint32_t k = 0; k < c->nnodes; k++) {
    pf_gen *g = c->nodes[k].kind == PN_GEN ? c->nodes[k].gen : NULL;
    if (g && g->frame && !g->running) {
      pf_frame *f = g->frame;
      g->frame = NULL;
      pf_frame_free(f);
    }
  }
}

/* Runs the fold of "c" over its positions. Returns 1 with *res filled (its status is PF_OK
 * or PF_EPYEXC with a par_exc), or -1 with an error pending in "r". The original pipeline
 * is left consumed as the sequential fold would leave it, except after PX_FALLBACK (then its
 * bases stand at the fallback position for the caller to go on from). */
static int run_fold(pf_run *r, par_ctx *c, pf_fold_result *res) {
  pf_status_t st = pf_fold_exec(r->worker, &par_ops, c, PF_FOLD_GENERIC, 0, 0, c->count, 1, res);
  if (st == PF_OK) {
    consume_originals(c, c->count);
    close_gens(c);
    return 1;
  }
  if (st == PF_EPYEXC && res->exc) {
    par_exc *e = res->exc;
    int64_t at = (int64_t)res->exc_pos;
    consume_originals(c, e->why == PX_FALLBACK ? at : at + 1);
    if (e->why == PX_EXC && e->in_pipeline)
      close_gens(c);
    return 1;
  }
  if (res->acc)
    acc_free(c, res->acc);
  if (res->exc)
    exc_free(c, res->exc);
  memset(res, 0, sizeof *res);
  if (st == PF_ECANCELED || (r->cancel && atomic_load(r->cancel))) {
    r->canceled = true;
    pf_raise_run(r, PF_EXC_KeyboardInterrupt, "cancelled");
    return -1;
  }
  pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
  return -1;
}

/* Raises the exception of a PX_EXC outcome in "r" (taking it). */
static int raise_part_exc(pf_run *r, par_exc *e) {
  pf_decref(r->exc);
  r->exc = e->exc;
  e->exc = pf_unbound();
  return -1;
}

/* ---------------------------------------------------------------- entry points */

int pf_par_fold(pf_run *r, pf_bi_id id, pf_val it, pf_val fn, pf_frame *f, pf_listb *items,
                pf_fsum **fs, bool *saw_float, int nr_acc) {
  if (!fold_possible(r))
    return 0;
  int kind;
  switch (id) {
  case BI_sum:
    if (!pf_is_int(f->regs[nr_acc]) || f->regs[nr_acc].tag == PF_BOOL)
      return 0;
    kind = PK_SUM;
    break;
  case BI_min:
  case BI_max:
    if (fn.tag != PF_UNBOUND)
      return 0;
    kind = id == BI_min ? PK_MIN : PK_MAX;
    break;
  case BI_any:
  case BI_all:
    kind = id == BI_any ? PK_ANY : PK_ALL;
    break;
  case BI_list:
  case BI_tuple:
  case BI_set:
  case BI_frozenset:
  case BI_dict:
  case BI_sorted:
  case BI_str:
    kind = PK_COLLECT;
    break;
  default:
    return 0;
  }
  par_ctx c;
  ctx_init(&c, r, kind);
  if (!analyse(&c, it, kind == PK_ANY || kind == PK_ALL, true))
    return 0;
  pf_jit_fold_state probe = {.total = c.count}; /* n = 0: is E's native kernel ready? */
  if (!c.fused && !pf_worker_can_spread(r->worker) &&
      !(elem_possible(&c, r->jit) &&
        pf_jit_bridge_fold(r, (pf_func *)c.nodes[c.root].fn.u.o, native_kind(kind), 0, 1, 0,
                           &probe) == 1)) { /* nothing to gain */
    ctx_done(&c);
    return 0;
  }
  pf_fold_result res;
  if (run_fold(r, &c, &res) < 0) {
    ctx_done(&c);
    return -1;
  }
  par_acc *a = res.acc;
  par_exc *e = res.exc;
  int rc = 1;
  if (e && e->why == PX_EXC) {
    rc = raise_part_exc(r, e);
  } else if (e && e->why == PX_SHORT) {
    rc = 2; /* decided: the caller returns True for any, False for all */
  } else {
    /* PF_OK, or a fallback: hand the state of the elements before it to the frame */
    bool fallback = e != NULL;
    if (a && kind == PK_SUM) {
      pf_val s;
      if (pf_val_binop(PF_OP_ADD, f->regs[nr_acc], a->isum, &s, &r->err) != PF_OK) {
        rc = -1;
      } else {
        pf_decref(f->regs[nr_acc]);
        f->regs[nr_acc] = s;
        *fs = a->fs, a->fs = NULL;
        *saw_float = a->saw_float;
      }
    } else if (a && (kind == PK_MIN || kind == PK_MAX) && a->any) {
      pf_decref(f->regs[nr_acc]);
      f->regs[nr_acc] = pf_incref(is_nan(a->first) || a->best.tag == PF_UNBOUND ? a->first : a->best);
      if (a->poisoned && !fallback) {
        consume_originals(&c, (int64_t)a->poison_pos);
        fallback = true;
      }
    } else if (a && kind == PK_COLLECT) {
      *items = a->items;
      pf_listb_init(&a->items);
    } else if (!a && fallback && e->why == PX_FALLBACK && res.exc_pos > 0) {
      rc = -1; /* the prefix state was lost (out of memory) */
      pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    }
    if (rc == 1 && fallback)
      rc = 3; /* go on sequentially: the original pipeline stands at the fallback position */
  }
  if (a)
    acc_free(&c, a);
  if (e)
    exc_free(&c, e);
  ctx_done(&c);
  return rc;
}

int pf_par_comp(pf_run *r, pf_func *fn, pf_val arg, pf_val *out) {
  pf_code *k = fn->code;
  /* one worker: only a list comprehension over a range whose native kernel is ready */
  bool one = r->worker && !pf_worker_can_spread(r->worker);
  if (!k->is_comp || k->is_gen || !k->par_ok || !fold_possible(r) || (one && !r->jit) ||
      k->nins == 0 || k->ins[0].op != OP_ACC_NEW)
    return 0;
  par_ctx c;
  ctx_init(&c, r, PK_COMP);
  if (!analyse(&c, arg, false, false))
    return 0;
  c.comp = pf_obj_val(&fn->h);
  pf_jit_fold_state probe = {.total = c.count}; /* n = 0: is E's native kernel ready? */
  if (one && !(c.nodes[c.root].kind == PN_BASE && c.bases[0].it->kind == IT_RANGE &&
               pf_jit_bridge_fold(r, fn, PF_JIT_FOLD_COLLECT, 0, 1, 0, &probe) == 1)) {
    ctx_done(&c);
    return 0;
  }
  int acc_kind = k->ins[0].b;
  pf_fold_result res;
  if (run_fold(r, &c, &res) < 0) {
    ctx_done(&c);
    return -1;
  }
  par_acc *a = res.acc;
  par_exc *e = res.exc;
  int rc = 1;
  if (e) {
    rc = raise_part_exc(r, e); /* comprehensions stop only for exceptions */
  } else {
    /* the parts' results in order: lists are concatenated; sets and dicts are rebuilt from
     * their items in order, so duplicates resolve as in one sequential pass */
    pf_listb keys, vals;
    pf_listb_init(&keys);
    pf_listb_init(&vals);
    pf_status_t st = PF_OK;
    if (acc_kind == ACC_LIST) { /* persistent vectors concatenate in O(log n) */
      pf_val l = pf_incref(a->items.items[0]);
      for (size_t i = 1; i < a->items.n && st == PF_OK; i++) {
        pf_val l2;
        st = pf_val_binop(PF_OP_ADD, l, a->items.items[i], &l2, &r->err);
        if (st == PF_OK) {
          pf_decref(l);
          l = l2;
        }
      }
      if (st == PF_OK)
        *out = l;
      else
        pf_decref(l);
    }
    for (size_t i = 0; i < a->items.n && st == PF_OK && acc_kind != ACC_LIST; i++) {
      pf_val part = a->items.items[i];
      if (acc_kind == ACC_SET) {
        size_t n = pf_set_len(part);
        for (size_t j = 0; j < n && st == PF_OK; j++)
          st = pf_listb_push(&keys, pf_incref(pf_set_item(part, j)), &r->err);
      } else {
        size_t n = pf_dict_len(part);
        for (size_t j = 0; j < n && st == PF_OK; j++) {
          pf_val kk, vv;
          pf_dict_entry(part, j, &kk, &vv);
          st = pf_listb_push(&keys, pf_incref(kk), &r->err);
          if (st == PF_OK)
            st = pf_listb_push(&vals, pf_incref(vv), &r->err);
        }
      }
    }
    if (st == PF_OK && acc_kind != ACC_LIST) {
      size_t n = keys.n;
      pf_val *ks = keys.items, *vs = vals.items;
      pf_listb_init(&keys);
      pf_listb_init(&vals);
      st = pf_canon_keys(r, ks, n);
      if (st == PF_OK)
        st = acc_kind == ACC_SET ? pf_set_new(n, ks, false, out, &r->err)
                                 : pf_dict_new(n, ks, vs, out, &r->err);
      else
        for (size_t j = 0; j < n; j++) {
          pf_decref(ks[j]);
          if (acc_kind != ACC_SET)
            pf_decref(vs[j]);
        }
      free(ks);
      free(vs);
    }
    pf_listb_discard(&keys);
    pf_listb_discard(&vals);
    if (st != PF_OK)
      rc = -1;
  }
  if (a)
    acc_free(&c, a);
  if (e)
    exc_free(&c, e);
  ctx_done(&c);
  return rc;
}

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

#include "pf_par_remote.h"

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

static bool describe(void *ctx, pf_val *out) {
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
    base_set_index(it, start.u.i);
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
  if (c->fused && !(rn->kind == PN_GEN && rn->call.tag == PF_OBJ &&
                    c->nodes[rn->child[0]].kind == PN_BASE))
    return rm_bad(rm, "a fused fold of the wrong form");
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

static void *acc_import(void *ctx, pf_val v) {
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
      (cls.u.i != val_class(first) || (pf_tuple_len(best) && val_class(pf_tuple_get(best, 0)) != cls.u.i)))
    return NULL;
  par_acc *a = acc_new(c);
  if (!a)
    return NULL;
  pf_decref(a->isum);
  a->isum = pf_incref(isum);
  if (fs.tag != PF_NONE && !(a->fs = pf_fsum_import(fs))) {
    acc_free(c, a);
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
      acc_free(c, a);
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
  pf_status_t st = pf_fold_exec_part(w, &par_ops, &rm->c, sr, machine, origin, &res, &done);
  if (res.acc) {
    pf_err err;
    if (acc_export(&rm->c, res.acc, acc_out, &err) == PF_OK)
      *done_pos_p = done;
    acc_free(&rm->c, res.acc);
  }
  if (res.exc)
    exc_free(&rm->c, res.exc);
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
