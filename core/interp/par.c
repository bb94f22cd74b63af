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

#include "par_int.h"

/* ---------------------------------------------------------------- the sub-run */

static int64_t base_index(const pf_iter *it) {
  return it->kind == IT_RANGE ? (int64_t)it->pos : it->cur;
}
void par_base_set_index(pf_iter *it, int64_t i) {
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
    par_base_set_index(it, b->start + pp->sr->cursor);
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
    int cl = par_val_class(v);
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
    if (par_is_nan(v)) {
      pf_decref(v);
    } else if (a->best.tag == PF_UNBOUND || par_better(c->kind, v, a->best)) {
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

/* The next native chunk of base iterator "bi" (a range's, or a tuple's or list's: then
 * x is the item's index and fs->seq the object): its first base index, in *start / *step
 * the x of its first element and the step; the elements left in *left. */
int64_t par_chunk_at(const pf_iter *bi, int64_t *left, int64_t *start, int64_t *step,
                        pf_jit_fold_state *fs) {
  if (bi->kind == IT_RANGE) {
    int64_t pos = (int64_t)bi->pos;
    *left = bi->stop - pos;
    *start = bi->cur + pos * bi->step;
    *step = bi->step;
    return pos;
  }
  *left = bi->stop - bi->cur;
  *start = bi->cur;
  *step = 1;
  fs->seq = bi->src.u.o;
  return bi->cur;
}

void par_chunk_advance(pf_iter *bi, int64_t k) {
  if (bi->kind == IT_RANGE)
    bi->pos += (size_t)k;
  else
    bi->cur += k;
}

/* Folds the next chunk of base iterator "bi" natively with F = "fn", fold kind "fk" (a
 * PF_JIT_FOLD_*), into "a"; then passes a safepoint (the cursor is published, a split may
 * lower bi->stop: it is read again before each chunk). FC_OFF: not native now (call F per
 * element); FC_ONE: F deoptimised on the element at bi->pos (run it per element). */
static int fold_chunk(pf_run *s, par_ctx *c, par_acc *a, pf_par_part *pp, pf_iter *bi,
                      pf_func *fn, int fk, int64_t chunk, pf_iter *pair) {
  if (atomic_load_explicit(&pp->stop, memory_order_relaxed))
    return FC_STOP;
  pf_jit_fold_state fs;
  memset(&fs, 0, sizeof fs);
  int64_t left, start, step, pos0 = par_chunk_at(bi, &left, &start, &step, &fs);
  if (left <= 0)
    return FC_DONE;
  if (pair && !par_pair_state(c, pp, pair, &fs))
    return FC_OFF;
  if ((c->kind == PK_MIN || c->kind == PK_MAX) && a->any && a->cls != CL_NUM)
    return FC_OFF; /* consume() stops at the next element */
  fs.total = c->count;
  int64_t rbuf[PAR_CHUNK]; /* a sum of floats: the results, for the exact accumulator */
  fs.rbuf = rbuf;
  int rc = pf_jit_bridge_fold(s, fn, fk, start, step, left < chunk ? left : chunk, &fs);
  if (rc == 0)
    return FC_OFF;
  if (pair) {
    if (par_pair_advance(s, c, pp, pair, fs.done + (rc == 3)) < 0)
      return FC_ERR;
  } else {
    par_chunk_advance(bi, fs.done + (rc == 3));
  }
  if (fs.done > 0) {
    if (c->kind == PK_SUM && fs.result_float) {
      if (!a->fs && !(a->fs = pf_fsum_new())) {
        pf_raise_run(s, PF_EXC_MemoryError, "out of memory");
        return FC_ERR;
      }
      a->saw_float = true;
      for (int64_t k = 0; k < fs.kept; k++) { /* (a filter keeps fewer than done) */
        double d;
        memcpy(&d, &rbuf[k], sizeof d);
        pf_fsum_add(a->fs, d);
      }
    } else if (c->kind == PK_SUM &&
        wide_add(s, a, (__int128)(((unsigned __int128)(uint64_t)fs.hi << 64) | (uint64_t)fs.lo)) < 0)
      return FC_ERR;
    if ((c->kind == PK_MIN || c->kind == PK_MAX) && fs.kept > 0) {
      pf_val best = fs.result_bool ? pf_bool(fs.best != 0) : pf_int(fs.best);
      if (!a->any) {
        a->any = true;
        a->cls = CL_NUM;
        a->first = fs.result_bool ? pf_bool(fs.first != 0) : pf_int(fs.first);
        a->first_pos = pp->p0 + (uint64_t)(pos0 + fs.first_at - pp->starts[0] - pp->c0);
      }
      if (a->best.tag == PF_UNBOUND || par_better(c->kind, best, a->best)) {
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

/* The native fold kind of fold kind "kind" (PK_*), or -1. */
int par_native_kind(int kind) {
  return kind == PK_SUM ? PF_JIT_FOLD_SUM : kind == PK_MIN ? PF_JIT_FOLD_MIN
       : kind == PK_MAX ? PF_JIT_FOLD_MAX : kind == PK_ANY ? PF_JIT_FOLD_ANY
       : kind == PK_ALL ? PF_JIT_FOLD_ALL : -1;
}

/* Whether fold "c" is (E for x in range(...)) or (E for v in a tuple or list) under
 * sum/min/max/any/all, whose element E the native tier may run in chunks. */
static bool elem_possible(const par_ctx *c, const pf_jit_iface *jit) {
  const par_node *rn = &c->nodes[c->root];
  return jit && !c->fused && par_native_kind(c->kind) >= 0 && rn->kind == PN_GEN &&
         rn->nchild == 1 && (c->nodes[rn->child[0]].kind == PN_BASE || c->pair) &&
         pf_is_type(rn->fn, &pf_type_func);
}

/* The probe (n = 0) state of fold "c": its base's tuple or list (and its first index in
 * *start), if any. */
static pf_jit_fold_state probe_of(const par_ctx *c, int64_t *start) {
  pf_jit_fold_state probe;
  memset(&probe, 0, sizeof probe);
  probe.total = c->count;
  *start = 0;
  if (c->bases[0].it->kind != IT_RANGE) {
    probe.seq = c->bases[0].it->src.u.o;
    *start = c->bases[0].start;
  }
  if (c->pair) { /* zip / enumerate (par_pair_kind) */
    probe.seq = NULL;
    probe.pair = c->pair;
    for (uint32_t k = 0; k < c->nbases && k < 3; k++)
      probe.pseq[k] = c->bases[k].it->src.u.o;
    const par_node *z = &c->nodes[c->pairnode];
    if (c->pair == 2 && __builtin_sub_overflow(z->count.u.i, c->bases[0].start, &probe.pdelta))
      probe.pair = -1; /* (never native) */
  }
  return probe;
}

/* (E for x in range(...)), "stream" the part's base iterator: folds the generator's element
 * E(x) in native chunks (jit/ compiles E as a function of x) while it can, then leaves in
 * *stream the generator over the elements left, for the per-element loop (unbound when
 * none are left). PF_OK, or how the part stops (*why, *in_pipeline set). */
static pf_status_t elem_chunks(pf_run *s, par_ctx *c, par_acc *a, pf_par_part *pp,
                               par_node *rn, pf_val *stream, int *why, bool *in_pipeline) {
  pf_iter *bi = (pf_iter *)stream->u.o, *pair = NULL;
  if (c->pair) { /* zip / enumerate: positions from the first base, the pair unpacked natively */
    pair = bi;
    bi = pp->bases[0];
  }
  int fc;
  /* nested loops: each element is an inner loop (of unknown length), so chunks are short */
  int64_t chunk = rn->code && rn->code->nfor > 1 ? PAR_CHUNK_NESTED : PAR_CHUNK;
  while ((fc = fold_chunk(s, c, a, pp, bi, (pf_func *)rn->fn.u.o, par_native_kind(c->kind), chunk,
                          pair)) == FC_MORE)
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
  pf_val stream = pf_unbound(), v, more[PAR_MAX_CHILD];
  for (uint32_t k = 0; k < PAR_MAX_CHILD; k++)
    more[k] = pf_unbound();
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
    /* (F(x) for x in base): call F on each element here, natively when the tier has it;
     * map(F, b0, b1, ...): F gets the items of every base at one position */
    pf_iter *bi = (pf_iter *)stream.u.o;
    uint32_t nargs = rn->kind == PN_MAP ? rn->nchild : 1;
    for (uint32_t k = 1; k < nargs && st == PF_OK; k++)
      if (build_node(&s, c, &pp, rn->child[k], &more[k]) < 0)
        st = PF_EPYEXC;
    bool native = s.jit && pf_is_type(rn->call, &pf_type_func);
    /* over a range, F runs in native chunks (one LLVM loop with F inlined) when it can */
    int fk = par_native_kind(c->kind);
    if (!native || nargs > 1)
      fk = -1;
    int64_t wait = 0; /* elements to run one by one before trying native chunks again */
    while (st == PF_OK) { /* (a base of map(F, b0, b1, ...) could not be made: stop) */
      bool interp = false; /* this element: F deoptimised on it natively */
      if (fk >= 0 && wait <= 0) {
        int fc = fold_chunk(&s, c, a, &pp, bi, (pf_func *)rn->call.u.o, fk, PAR_CHUNK, NULL);
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
      pf_val x[PAR_MAX_CHILD];
      uint32_t got = 0;
      int k = 1;
      while (got < nargs &&
             (k = pf_iter_fast_next(got ? (pf_iter *)more[got].u.o : bi, &x[got], &s.err)) > 0)
        got++;
      if (k <= 0) { /* (the bases end together: one bound) */
        for (uint32_t j = 0; j < got; j++)
          pf_decref(x[j]);
        if (k < 0)
          st = PF_EPYEXC;
        break;
      }
      pf_func *fn = (pf_func *)rn->call.u.o;
      bool failed = !(native && !interp && pf_jit_bridge_call(&s, fn, x, nargs, &v)) &&
                    pf_call_sync(&s, rn->call, x, nargs, &v) < 0;
      for (uint32_t j = 0; j < nargs; j++)
        pf_decref(x[j]);
      if (failed) {
        st = PF_EPYEXC;
        fused_tb = true;
        break;
      }
      if (consume(&s, c, a, v, &pp, &why) != 0) {
        st = PF_EPYEXC;
        in_pipeline = false;
        break;
      }
    }
  } else if (c->kind == PK_COMP) {
    /* [E for x in range(...)]: E's values from native chunks, while it can */
    pf_status_t cs = PF_ENOTSUP;
    if (s.jit && (c->nodes[c->root].kind == PN_BASE || c->pair))
      cs = par_comp_chunks(&s, c, &pp, stream, &v);
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
  for (uint32_t k = 0; k < PAR_MAX_CHILD; k++)
    pf_decref(more[k]);
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

bool par_fused_map(const par_ctx *c) {
  const par_node *rn = &c->nodes[c->root];
  if (rn->kind != PN_MAP || rn->nchild == 0 || !pf_is_type(rn->fn, &pf_type_func))
    return false;
  for (uint32_t k = 0; k < rn->nchild; k++)
    if (c->nodes[rn->child[k]].kind != PN_BASE)
      return false;
  return true;
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
  /* map(F, base, ...), F a plain function: as (F(x) for x in base), without a generator's
   * frame; F gets an item of each base (par_fused_map) */
  if (par_fused_map(c) && c->kind != PK_COMP) {
    rn->call = rn->fn;
    c->fused = true;
  }
  c->pair = c->fused ? 0 : par_pair_kind(c);
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
    par_base_set_index(c->bases[k].it, c->bases[k].start + used);
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
        par_base_set_index(b->it, b->start + used + 1);
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

const pf_fold_ops pf_par_ops = {
    .acc_new = par_acc_new, .run = part_run, .merge = par_merge, .acc_free = par_acc_free,
    .exc_free = par_exc_free, .describe = par_describe, .acc_import = par_acc_import};

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
  pf_status_t st = pf_fold_exec(r->worker, &pf_par_ops, c, PF_FOLD_GENERIC, 0, 0, c->count, 1, res);
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
    par_acc_free(c, res->acc);
  if (res->exc)
    par_exc_free(c, res->exc);
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
  int64_t pstart;
  pf_jit_fold_state probe = probe_of(&c, &pstart); /* n = 0: is E's native kernel ready? */
  if (!c.fused && !pf_worker_can_spread(r->worker) &&
      !(elem_possible(&c, r->jit) &&
        pf_jit_bridge_fold(r, (pf_func *)c.nodes[c.root].fn.u.o, par_native_kind(kind), pstart, 1, 0,
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
      f->regs[nr_acc] = pf_incref(par_is_nan(a->first) || a->best.tag == PF_UNBOUND ? a->first : a->best);
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
    par_acc_free(&c, a);
  if (e)
    par_exc_free(&c, e);
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
  c.pair = par_pair_kind(&c);
  int64_t pstart;
  pf_jit_fold_state probe = probe_of(&c, &pstart); /* n = 0: is E's native kernel ready? */
  if (one && !((c.nodes[c.root].kind == PN_BASE || c.pair) &&
               pf_jit_bridge_fold(r, fn, PF_JIT_FOLD_COLLECT, pstart, 1, 0, &probe) == 1)) {
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
    par_acc_free(&c, a);
  if (e)
    par_exc_free(&c, e);
  ctx_done(&c);
  return rc;
}

