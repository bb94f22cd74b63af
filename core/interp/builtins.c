/* builtins.c — builtin functions. Those that iterate or call back into Python code (sum,
 * min, max, any, all, list, sorted, map, filter, …) run as resumable native frames: a step
 * function that asks the loop for "next item of iterator X" or "call F(args)" and is
 * resumed with the result; they never re-enter the interpreter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

/* native frame registers */
enum { NR_ITER = 0, NR_ACC = 1, NR_FN = 2, NR_ITEM = 3, NR_BEST = 4, NR_DEF = 5 };
enum { ST_NEXT = 0, ST_CALLED = 1, ST_SORTKEYS = 2, ST_PARDONE = 3 };

typedef struct fold_aux {
  pf_listb items, keys;
  pf_fsum *fs;
  bool saw_float, reverse;
  size_t ki;
} fold_aux;

static void fold_aux_free(void *p) {
  fold_aux *a = p;
  if (!a)
    return;
  pf_listb_discard(&a->items);
  pf_listb_discard(&a->keys);
  if (a->fs)
    pf_fsum_free(a->fs);
  free(a);
}

static int ret(pf_run *r, pf_val v) {
  r->ret = v;
  return NS_RETURN;
}
static int ret_st(pf_run *r, pf_status_t st, pf_val v) {
  if (st != PF_OK)
    return NS_RAISE;
  return ret(r, v);
}

static int request_next(pf_run *r, pf_frame *f) {
  f->state = ST_NEXT;
  r->req = f->regs[NR_ITER];
  return NS_NEXT;
}

static int request_call(pf_run *r, pf_frame *f, pf_val fn, pf_val a0, pf_val a1, uint32_t n) {
  f->state = ST_CALLED;
  r->req = fn;
  r->req_args[0] = a0;
  r->req_args[1] = a1;
  r->req_nargs = n;
  return NS_CALL;
}

/* Merge sort of items by keys (stable); ascending unless reverse. */
static pf_status_t sort_vals(pf_run *r, pf_val *items, pf_val *keys, size_t n, bool reverse) {
  pf_err *err = &r->err;
  if (n < 2)
    return PF_OK;
  pf_val *ti = malloc(n * sizeof *ti), *tk = malloc(n * sizeof *tk);
  if (!ti || !tk) {
    free(ti);
    free(tk);
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  }
  pf_status_t st = PF_OK;
  for (size_t w = 1; w < n && st == PF_OK; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t a = lo, b = mid, o = lo;
      while (a < mid && b < hi) {
        bool lt;
        /* stable: take from the right only when strictly smaller (reverse: strictly greater) */
        if ((reverse ? pf_lt_run(r, keys[a], keys[b], &lt) : pf_lt_run(r, keys[b], keys[a], &lt)) != PF_OK) {
          st = PF_EPYEXC;
          break;
        }
        if (lt) {
          ti[o] = items[b];
          tk[o++] = keys[b++];
        } else {
          ti[o] = items[a];
          tk[o++] = keys[a++];
        }
      }
      if (st != PF_OK)
        break;
      while (a < mid)
        ti[o] = items[a], tk[o++] = keys[a++];
      while (b < hi)
        ti[o] = items[b], tk[o++] = keys[b++];
    }
    if (st == PF_OK) {
      memcpy(items, ti, n * sizeof *ti);
      memcpy(keys, tk, n * sizeof *tk);
    }
  }
  free(ti);
  free(tk);
  return st;
}

static int fold_finish(pf_run *r, pf_frame *f) {
  fold_aux *a = f->aux;
  pf_val out;
  pf_bi_id id = (pf_bi_id)f->n1;
  switch (id) {
  case BI_sum:
    if (a->saw_float) {
      double d = 0;
      if (f->regs[NR_ACC].tag != PF_INT || f->regs[NR_ACC].u.i != 0) {
        if (pf_int_to_double(f->regs[NR_ACC], &d, &r->err) != PF_OK)
          return NS_RAISE;
        pf_fsum_add(a->fs, d);
      }
      if (pf_fsum_result(a->fs, &d, &r->err) != PF_OK)
        return NS_RAISE;
      return ret(r, pf_float(d));
    }
    return ret(r, pf_incref(f->regs[NR_ACC]));
  case BI_min:
  case BI_max:
    if (f->regs[NR_ACC].tag == PF_UNBOUND) {
      if (f->regs[NR_DEF].tag != PF_UNBOUND)
        return ret(r, pf_incref(f->regs[NR_DEF]));
      return pf_raise_run(r, PF_EXC_ValueError, "%s() arg is an empty sequence", id == BI_min ? "min" : "max");
    }
    return ret(r, pf_incref(f->regs[NR_ACC]));
  case BI_any:
    return ret(r, pf_bool(false));
  case BI_all:
    return ret(r, pf_bool(true));
  case BI_list:
    return ret_st(r, pf_listb_finish(&a->items, false, &out, &r->err), out);
  case BI_tuple:
    return ret_st(r, pf_listb_finish(&a->items, true, &out, &r->err), out);
  case BI_str: { /* sep.join(generator): the separator is in NR_ACC */
    if (pf_listb_finish(&a->items, false, &out, &r->err) != PF_OK)
      return NS_RAISE;
    int rc = pf_str_method(r, f->regs[NR_ACC], "join", &out, 1);
    pf_decref(out);
    return rc;
  }
  case BI_set:
  case BI_frozenset: {
    pf_val *items = a->items.items;
    size_t n = a->items.n;
    pf_listb_init(&a->items);
    if (pf_canon_keys(r, items, n) != PF_OK) {
      for (size_t i = 0; i < n; i++)
        pf_decref(items[i]);
      free(items);
      return NS_RAISE;
    }
    pf_status_t st = pf_set_new(n, items, id == BI_frozenset, &out, &r->err);
    free(items);
    return ret_st(r, st, out);
  }
  case BI_dict: {
    size_t n = a->items.n;
    pf_val *ks = malloc((n + 1) * sizeof *ks), *vs = malloc((n + 1) * sizeof *vs);
    if (!ks || !vs) {
      free(ks);
      free(vs);
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
      if (pf_dict_pair(r, a->items.items[i], i, &ks[i], &vs[i]) != NS_RETURN) {
        for (size_t j = 0; j < i; j++)
          pf_decref(ks[j]), pf_decref(vs[j]);
        free(ks);
        free(vs);
        return NS_RAISE;
      }
    }
    pf_status_t st = pf_canon_keys(r, ks, n);
    if (st != PF_OK)
      for (size_t i = 0; i < n; i++)
        pf_decref(ks[i]), pf_decref(vs[i]);
    else
      st = pf_dict_new(n, ks, vs, &out, &r->err);
    free(ks);
    free(vs);
    return ret_st(r, st, out);
  }
  case BI_sorted: {
    if (f->regs[NR_FN].tag != PF_UNBOUND && a->keys.n < a->items.n) {
      /* compute keys one call at a time */
      int rc = request_call(r, f, f->regs[NR_FN], a->items.items[a->keys.n], pf_none(), 1);
      f->state = ST_SORTKEYS;
      return rc;
    }
    pf_val *keys = f->regs[NR_FN].tag != PF_UNBOUND ? a->keys.items : a->items.items;
    if (sort_vals(r, a->items.items, keys, a->items.n, a->reverse) != PF_OK)
      return NS_RAISE;
    return ret_st(r, pf_listb_finish(&a->items, false, &out, &r->err), out);
  }
  case BI_next: {
    if (f->regs[NR_DEF].tag != PF_UNBOUND)
      return ret(r, pf_incref(f->regs[NR_DEF]));
    return pf_raise_stop(r, f->regs[NR_ITER]);
  }
  case BI_math_fn: /* math.fsum */
  {
    double d;
    if (pf_fsum_result(a->fs, &d, &r->err) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_float(d));
  }
  default: /* functools.reduce */
    if (f->regs[NR_ACC].tag == PF_UNBOUND)
      return pf_raise_run(r, PF_EXC_TypeError, "reduce() of empty iterable with no initial value");
    return ret(r, pf_incref(f->regs[NR_ACC]));
  }
}

/* Handles one item "v" (taken) of a fold; may request a call. */
static int fold_item(pf_run *r, pf_frame *f, pf_val v) {
  fold_aux *a = f->aux;
  pf_val *R = f->regs;
  pf_bi_id id = (pf_bi_id)f->n1;
  switch (id) {
  case BI_sum: {
    pf_val acc = R[NR_ACC];
    if (v.tag == PF_FLOAT && (pf_is_int(acc) || acc.tag == PF_FLOAT)) {
      if (!a->fs && !(a->fs = pf_fsum_new()))
        return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
      a->saw_float = true;
      pf_fsum_add(a->fs, v.u.f);
      return request_next(r, f);
    }
    int64_t x;
    if (acc.tag == PF_INT && v.tag == PF_INT && !__builtin_add_overflow(acc.u.i, v.u.i, &x)) {
      R[NR_ACC] = pf_int(x);
      return request_next(r, f);
    }
    pf_val out;
    pf_status_t st = pf_binop_run(r, PF_OP_ADD, acc, v, &out);
    pf_decref(v);
    if (st != PF_OK)
      return NS_RAISE;
    pf_decref(R[NR_ACC]);
    R[NR_ACC] = out;
    return request_next(r, f);
  }
  case BI_min:
  case BI_max:
    if (R[NR_FN].tag != PF_UNBOUND) {
      pf_decref(R[NR_ITEM]);
      R[NR_ITEM] = v;
      return request_call(r, f, R[NR_FN], v, pf_none(), 1);
    }
    if (R[NR_ACC].tag == PF_UNBOUND) {
      R[NR_ACC] = v;
      return request_next(r, f);
    } else {
      bool b;
      if (pf_cmp_bool_run(r, id == BI_min ? PF_CMP_LT : PF_CMP_GT, v, R[NR_ACC], &b) != PF_OK) {
        pf_decref(v);
        return NS_RAISE;
      }
      if (b) {
        pf_decref(R[NR_ACC]);
        R[NR_ACC] = v;
      } else
        pf_decref(v);
      return request_next(r, f);
    }
  case BI_any:
  case BI_all: {
    bool t;
    pf_status_t st = pf_truthy_run(r, v, &t);
    pf_decref(v);
    if (st != PF_OK)
      return NS_RAISE;
    if (id == BI_any && t)
      return ret(r, pf_bool(true));
    if (id == BI_all && !t)
      return ret(r, pf_bool(false));
    return request_next(r, f);
  }
  case BI_next:
    return ret(r, v);
  case BI_math_fn: {
    double d;
    pf_val fv;
    if (v.tag == PF_FLOAT)
      d = v.u.f;
    else if (pf_val_to_float(v, &fv, &r->err) != PF_OK) {
      pf_decref(v);
      return NS_RAISE;
    } else
      d = fv.u.f;
    pf_decref(v);
    pf_fsum_add(a->fs, d);
    return request_next(r, f);
  }
  case BI_list:
  case BI_tuple:
  case BI_set:
  case BI_frozenset:
  case BI_dict:
  case BI_sorted:
  case BI_str: /* sep.join(generator) */
    if (pf_listb_push(&a->items, v, &r->err) != PF_OK)
      return NS_RAISE;
    return request_next(r, f);
  default: /* reduce */
    if (R[NR_ACC].tag == PF_UNBOUND) {
      R[NR_ACC] = v;
      return request_next(r, f);
    }
    pf_decref(R[NR_ITEM]);
    R[NR_ITEM] = v;
    return request_call(r, f, R[NR_FN], R[NR_ACC], v, 2);
  }
}

static int fold_called(pf_run *r, pf_frame *f, pf_val v) {
  pf_val *R = f->regs;
  pf_bi_id id = (pf_bi_id)f->n1;
  switch (id) {
  case BI_min:
  case BI_max: {
    if (R[NR_ACC].tag == PF_UNBOUND) {
      R[NR_ACC] = R[NR_ITEM];
      R[NR_ITEM] = pf_unbound();
      R[NR_BEST] = v;
      return request_next(r, f);
    }
    bool b;
    if (pf_cmp_bool_run(r, id == BI_min ? PF_CMP_LT : PF_CMP_GT, v, R[NR_BEST], &b) != PF_OK) {
      pf_decref(v);
      return NS_RAISE;
    }
    if (b) {
      pf_decref(R[NR_ACC]);
      pf_decref(R[NR_BEST]);
      R[NR_ACC] = R[NR_ITEM];
      R[NR_ITEM] = pf_unbound();
      R[NR_BEST] = v;
    } else
      pf_decref(v);
    return request_next(r, f);
  }
  default: /* reduce */
    pf_decref(R[NR_ACC]);
    R[NR_ACC] = v;
    return request_next(r, f);
  }
}

static int fold_step(pf_run *r, pf_frame *f, int ev, pf_val v) {
  if (ev == EV_START && f->state == ST_PARDONE) /* folded in parallel (par.c) */
    return fold_finish(r, f);
  if (ev == EV_START)
    return request_next(r, f);
  if (f->state == ST_SORTKEYS) {
    fold_aux *a = f->aux;
    if (pf_listb_push(&a->keys, v, &r->err) != PF_OK)
      return NS_RAISE;
    return fold_finish(r, f);
  }
  if (f->state == ST_CALLED)
    return fold_called(r, f, v);
  if (ev == EV_EXHAUSTED)
    return fold_finish(r, f);
  return fold_item(r, f, v);
}

/* Starts a fold native frame for builtin "id" over "src" (borrowed). */
static int start_fold(pf_run *r, pf_bi_id id, pf_val src, pf_val fn, pf_val acc, pf_val def) {
  pf_val it;
  if (pf_iter_run(r, src, &it) != PF_OK)
    return NS_RAISE;
  pf_frame *f = pf_frame_native(r, fold_step);
  fold_aux *a = calloc(1, sizeof *a);
  if (!f || !a) {
    free(a);
    if (f)
      pf_frame_free(f);
    pf_decref(it);
    return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
  }
  pf_listb_init(&a->items);
  pf_listb_init(&a->keys);
  f->aux = a;
  f->aux_free = fold_aux_free;
  f->n1 = id;
  f->regs[NR_ITER] = it;
  f->regs[NR_FN] = pf_incref(fn);
  f->regs[NR_ACC] = pf_incref(acc);
  f->regs[NR_DEF] = pf_incref(def);
  if (id == BI_math_fn && !(a->fs = pf_fsum_new())) {
    pf_frame_free(f);
    return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
  }
  if (r->worker) {
    /* a pipeline over a range or a list: fold it on every core */
    int pr = pf_par_fold(r, id, it, fn, f, &a->items, &a->fs, &a->saw_float, NR_ACC);
    if (pr < 0) {
      pf_frame_free(f);
      return NS_RAISE;
    }
    if (pr == 2) {
      pf_frame_free(f);
      return ret(r, pf_bool(id == BI_any));
    }
    if (pr == 1)
      f->state = ST_PARDONE;
  }
  r->newf = f;
  return NS_CALL;
}

int pf_builtin_fold(pf_run *r, pf_bi_id id, pf_val src, pf_val fn, pf_val acc, pf_val def,
                    bool reverse) {
  int rc = start_fold(r, id, src, fn, acc, def);
  if (rc == NS_CALL)
    ((fold_aux *)r->newf->aux)->reverse = reverse;
  return rc;
}
