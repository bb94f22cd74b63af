/* par_comp.c — the parts of list, set and dict comprehensions whose element runs natively
 * (par.c's part_run calls par_comp_chunks): E's values from native chunks boxed into the
 * part's list, set or dict in order, then the comprehension itself over the elements left. */
#include <stdlib.h>
#include <string.h>

#include "pf_sched.h"
#include "vm_int.h"

#include "par_int.h"

/* {E for x in ...}: the part's set, of the native results "items" (taken) in order, then of
 * the items of the set comprehension over "stream" (the elements left; unbound: none) — a
 * set built from them in order, so duplicates resolve as in one sequential pass. */
static pf_status_t set_part(pf_run *s, par_ctx *c, pf_listb *items, pf_val stream, pf_val *out) {
  pf_status_t st = PF_OK;
  pf_val rest = pf_unbound();
  if (stream.tag != PF_UNBOUND) {
    if (pf_call_sync(s, c->comp, &stream, 1, &rest) < 0)
      st = PF_EPYEXC;
    for (size_t j = 0; st == PF_OK && j < pf_set_len(rest); j++)
      if (pf_listb_push(items, pf_incref(pf_set_item(rest, j)), &s->err) != PF_OK)
        st = PF_EPYEXC;
    pf_decref(rest);
  }
  if (st == PF_OK) {
    pf_val *ks = items->items;
    size_t n = items->n;
    pf_listb_init(items);
    st = pf_set_new(n, ks, false, out, &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
    free(ks);
  }
  pf_listb_discard(items);
  return st;
}

/* {K: V for x in ...}: as set_part, the part's dict from the native keys and values
 * (taken) and the entries of the comprehension over "stream", in order (a key met again
 * keeps its first position and takes the later value, as in one sequential pass). */
static pf_status_t dict_part(pf_run *s, par_ctx *c, pf_listb *keys, pf_listb *vals,
                             pf_val stream, pf_val *out) {
  pf_status_t st = PF_OK;
  pf_val rest = pf_unbound();
  if (stream.tag != PF_UNBOUND) {
    if (pf_call_sync(s, c->comp, &stream, 1, &rest) < 0)
      st = PF_EPYEXC;
    for (size_t j = 0; st == PF_OK && j < pf_dict_len(rest); j++) {
      pf_val kk, vv;
      pf_dict_entry(rest, j, &kk, &vv);
      if (pf_listb_push(keys, pf_incref(kk), &s->err) != PF_OK ||
          pf_listb_push(vals, pf_incref(vv), &s->err) != PF_OK)
        st = PF_EPYEXC;
    }
    pf_decref(rest);
  }
  if (st == PF_OK && keys->n == vals->n) {
    pf_val *ks = keys->items, *vs = vals->items;
    size_t n = keys->n;
    pf_listb_init(keys);
    pf_listb_init(vals);
    st = pf_dict_new(n, ks, vs, out, &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
    free(ks);
    free(vs);
  } else if (st == PF_OK) {
    st = PF_ENOMEM; /* (a push failed half way: out of memory) */
  }
  pf_listb_discard(keys);
  pf_listb_discard(vals);
  return st;
}

/* Result "k" of a collect kernel's chunk "fs" (results in "buf"), boxed. */
static pf_val boxed(const pf_jit_fold_state *fs, const int64_t *buf, int64_t k) {
  double d;
  memcpy(&d, &buf[k], sizeof d);
  return fs->result_none ? pf_none() : fs->result_bool ? pf_bool(buf[k] != 0)
       : fs->result_float ? pf_float(d) : pf_int(buf[k]);
}

/* {K: V for x in ...}: the next chunk's values of V (the values' kernel, results in "vbuf"),
 * over the elements whose K the keys' chunk "fs" computed: when V stops earlier, the keys'
 * chunk runs again over V's elements, so both cover the same ones. 1 when both folded all
 * of "fs"'s elements and "fs" folded its n; else 2 (stop native chunks after these). */
static int dict_values(pf_run *s, par_ctx *c, int64_t start, int64_t step, int krc,
                       pf_jit_fold_state *fs, pf_jit_fold_state *fv, int64_t *vbuf) {
  pf_func *fn = (pf_func *)c->comp.u.o;
  *fv = *fs;
  fv->rbuf = vbuf;
  fv->done = fv->kept = 0;
  if (fs->done == 0)
    return 2;
  int vrc = pf_jit_bridge_fold(s, fn, PF_JIT_FOLD_COLLECT_VAL, start, step, fs->done, fv);
  if (vrc == 0)
    fv->done = 0;
  if (fv->done < fs->done) { /* keys over the same elements as values */
    int64_t n = fv->done;
    fs->done = fs->kept = 0;
    if (n > 0 && pf_jit_bridge_fold(s, fn, PF_JIT_FOLD_COLLECT, start, step, n, fs) != 1)
      fs->done = fs->kept = fv->done = fv->kept = 0;
    return 2;
  }
  return krc == 1 && vrc == 1 ? 1 : 2;
}

/* [E for x in range(...)] ("c->comp", the part's base iterator "stream"): E's values from
 * native chunks (jit/ compiles E as a function of x) while it can, then the comprehension
 * over the elements left; the part's list in *out (a set, a dict: set_part, dict_part).
 * PF_OK; PF_ENOTSUP when nothing ran natively (the caller runs the comprehension); else
 * how the part stops. */
pf_status_t par_comp_chunks(pf_run *s, par_ctx *c, pf_par_part *pp, pf_val stream,
                               pf_val *out) {
  pf_iter *bi = (pf_iter *)stream.u.o, *pair = NULL;
  if (c->pair) { /* [E for a, b in zip(xs, ys)]: positions from the first base */
    pair = bi;
    bi = pp->bases[0];
  }
  int acc_kind = ((pf_func *)c->comp.u.o)->code->ins[0].b;
  pf_listb items, vals; /* (vals: a dict's) */
  pf_listb_init(&items);
  pf_listb_init(&vals);
  pf_status_t st = PF_OK;
  bool any = false;
  for (;;) {
    if (atomic_load_explicit(&pp->stop, memory_order_relaxed)) {
      st = PF_ECANCELED;
      break;
    }
    int64_t rbuf[PAR_CHUNK], vbuf[PAR_CHUNK];
    pf_jit_fold_state fs, fv;
    memset(&fs, 0, sizeof fs);
    int64_t left, start, step;
    par_chunk_at(bi, &left, &start, &step, &fs);
    if (left <= 0)
      break;
    if (pair && !par_pair_state(c, pp, pair, &fs)) {
      if (!any) {
        st = PF_ENOTSUP;
      }
      break;
    }
    fs.total = c->count;
    fs.rbuf = rbuf;
    int rc = pf_jit_bridge_fold(s, (pf_func *)c->comp.u.o, PF_JIT_FOLD_COLLECT, start, step,
                                left < PAR_CHUNK ? left : PAR_CHUNK, &fs);
    if (rc != 0 && acc_kind == ACC_DICT)
      rc = dict_values(s, c, start, step, rc, &fs, &fv, vbuf);
    if (rc == 0 && !any) {
      st = PF_ENOTSUP;
      break;
    }
    any = true;
    for (int64_t k = 0; k < fs.kept && st == PF_OK; k++) { /* a filter keeps fewer */
      st = pf_listb_push(&items, boxed(&fs, rbuf, k), &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
      if (st == PF_OK && acc_kind == ACC_DICT)
        st = pf_listb_push(&vals, boxed(&fv, vbuf, k), &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
    }
    if (pair) {
      if (par_pair_advance(s, c, pp, pair, fs.done) < 0 && st == PF_OK)
        st = PF_EPYEXC;
    } else {
      par_chunk_advance(bi, fs.done);
    }
    if (st != PF_OK || rc != 1)
      break;
    if (s->progress)
      atomic_fetch_add_explicit(s->progress, (uint64_t)fs.done, memory_order_relaxed);
    pf_par_poll(s);
  }
  pf_val l = pf_unbound(), rest = pf_unbound();
  bool left = bi->stop > (bi->kind == IT_RANGE ? (int64_t)bi->pos : bi->cur);
  if (acc_kind == ACC_DICT && st == PF_OK)
    return dict_part(s, c, &items, &vals, left ? stream : pf_unbound(), out);
  pf_listb_discard(&vals);
  if (acc_kind == ACC_SET && st == PF_OK)
    return set_part(s, c, &items, left ? stream : pf_unbound(), out);
  if (st == PF_OK)
    st = pf_listb_finish(&items, false, &l, &s->err) == PF_OK ? PF_OK : PF_EPYEXC;
  if (st == PF_OK && left) {
    /* the rest in the interpreter */
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
