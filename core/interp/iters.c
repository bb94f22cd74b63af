/* iters.c — lazy native iterators: map, filter, zip, enumerate, user iterators (__next__)
 * and the itertools functions; functools.partial and the operator module. Each iterator is
 * one-shot and stateful, as in Python; items are computed on demand with pf_next_sync /
 * pf_call_sync, so infinite sources (itertools.count) work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static int ret(pf_run *r, pf_val v) {
  r->ret = v;
  return NS_RETURN;
}

static pf_iter *native_new(pf_run *r, int nk, uint32_t nsubs) {
  pf_iter *it = calloc(1, sizeof *it);
  pf_val *subs = calloc(nsubs + 1, sizeof *subs);
  if (!it || !subs) {
    free(it);
    free(subs);
    pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    return NULL;
  }
  pf_obj_init(&it->h, &pf_type_iter);
  it->kind = IT_NATIVE;
  it->nkind = nk;
  it->src = pf_unbound();
  it->f = pf_unbound();
  it->subs = subs;
  it->nsubs = nsubs;
  for (uint32_t i = 0; i < nsubs; i++)
    subs[i] = pf_unbound();
  it->stop = -1;
  return it;
}

static int done_it(pf_run *r, pf_iter *it, int rc) {
  if (rc != NS_RETURN) {
    pf_obj_decref(&it->h);
    return NS_RAISE;
  }
  return ret(r, pf_obj_val(&it->h));
}

/* Makes subs[i] = iter(args[i]). */
static int iter_subs(pf_run *r, pf_iter *it, pf_val *args, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (pf_iter_run(r, args[i], &it->subs[i]) != PF_OK)
      return NS_RAISE;
  return NS_RETURN;
}

static pf_status_t mk_tuple(pf_run *r, pf_val *vals, size_t n, pf_val *out) {
  return pf_tuple_new(n, vals, out, &r->err);
}

/* Whether the pending exception is a StopIteration; clears it when so. */
static bool take_stop(pf_run *r) {
  if (r->exc.tag == PF_OBJ) {
    pf_inst *in = (pf_inst *)r->exc.u.o;
    if (!pf_class_is_sub(in->cls, r->prog->exc_classes[PF_EXC_StopIteration]))
      return false;
    pf_decref(r->exc);
    r->exc = pf_unbound();
    return true;
  }
  if (r->err.kind == PF_EXC_StopIteration && !r->canceled) {
    r->err.kind = PF_EXC_NONE;
    return true;
  }
  return false;
}

static int call1(pf_run *r, pf_val f, pf_val a, pf_val *out) { return pf_call_sync(r, f, &a, 1, out); }

static int truth_of_call(pf_run *r, pf_val f, pf_val v, bool *t) {
  pf_val res;
  if (f.tag == PF_NONE)
    return pf_truthy_run(r, v, t) == PF_OK ? 1 : -1;
  if (call1(r, f, v, &res) < 0)
    return -1;
  pf_status_t st = pf_truthy_run(r, res, t);
  pf_decref(res);
  return st == PF_OK ? 1 : -1;
}

static pf_val seq_at(pf_val t, int64_t i) { return pf_tuple_get(t, (size_t)i); }

/* Raises StopIteration for exhausted iterator "it": StopIteration(value) when "it" is a
 * generator that returned a value other than None, else StopIteration(). */
int pf_raise_stop(pf_run *r, pf_val it) {
  if (pf_is_type(it, &pf_type_iter) && ((pf_iter *)it.u.o)->kind == IT_GEN)
    it = ((pf_iter *)it.u.o)->src;
  pf_val rv = pf_is_type(it, &pf_type_gen) ? ((pf_gen *)it.u.o)->retval : pf_none();
  pf_val one = pf_incref(rv), t, e;
  if (pf_tuple_new(rv.tag == PF_NONE ? 0 : 1, &one, &t, &r->err) != PF_OK ||
      pf_inst_new(r->prog->exc_classes[PF_EXC_StopIteration], t, &e, &r->err) != PF_OK)
    return NS_RAISE;
  pf_decref(r->exc);
  r->exc = e;
  return NS_RAISE;
}

/* Next item of IT_NATIVE iterator "it": 1 with *out new, 0 exhausted, -1 error. */
int pf_lazy_next(pf_run *r, pf_iter *it, pf_val *out) {
  pf_val v, res;
  int k;
  switch (it->nkind) {
  case NK_USER: {
    pf_val m;
    if (!pf_class_lookup(((pf_inst *)it->src.u.o)->cls, "__next__", &m)) {
      pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator", ((pf_inst *)it->src.u.o)->cls->name);
      return -1;
    }
    k = pf_call_sync(r, m, &it->src, 1, out);
    if (k < 0 && take_stop(r))
      return 0;
    return k;
  }
  case NK_BRANGE:
    return pf_brange_next(it, out, &r->err);
  case NK_SEQ: {
    pf_val m, a2[2] = {it->src, pf_int(it->cur)};
    if (it->flags || !pf_class_lookup(((pf_inst *)it->src.u.o)->cls, "__getitem__", &m))
      return 0;
    k = pf_call_sync(r, m, a2, 2, out);
    if (k < 0) {
      bool stop = false;
      if (r->exc.tag == PF_OBJ) {
        pf_inst *in = (pf_inst *)r->exc.u.o;
        stop = pf_class_is_sub(in->cls, r->prog->exc_classes[PF_EXC_IndexError]) ||
               pf_class_is_sub(in->cls, r->prog->exc_classes[PF_EXC_StopIteration]);
        if (stop) {
          pf_decref(r->exc);
          r->exc = pf_unbound();
        }
      } else if (!r->canceled && (r->err.kind == PF_EXC_IndexError || r->err.kind == PF_EXC_StopIteration)) {
        stop = true;
        r->err.kind = PF_EXC_NONE;
      }
      if (stop) {
        it->flags = 1;
        return 0;
      }
      return -1;
    }
    it->cur++;
    return 1;
  }
  case NK_MAP:
  case NK_ZIP: {
    uint32_t n = it->nsubs;
    if (n == 0)
      return 0;
    pf_val vals[n];
    for (uint32_t i = 0; i < n; i++) {
      k = pf_next_sync(r, it->subs[i], &vals[i]);
      if (k <= 0) {
        for (uint32_t j = 0; j < i; j++)
          pf_decref(vals[j]);
        return k;
      }
    }
    if (it->nkind == NK_ZIP)
      return mk_tuple(r, vals, n, out) == PF_OK ? 1 : -1;
    k = pf_call_sync(r, it->f, vals, n, out);
    for (uint32_t j = 0; j < n; j++)
      pf_decref(vals[j]);
    return k;
  }
  case NK_FILTER:
  case NK_TAKEWHILE:
  case NK_DROPWHILE:
    for (;;) {
      if (it->flags == 2)
        return 0;
      k = pf_next_sync(r, it->subs[0], &v);
      if (k <= 0)
        return k;
      if (it->nkind == NK_DROPWHILE && it->flags == 1) {
        *out = v;
        return 1;
      }
      bool t;
      if (truth_of_call(r, it->f, v, &t) < 0) {
        pf_decref(v);
        return -1;
      }
      if (it->nkind == NK_TAKEWHILE && !t) {
        it->flags = 2;
        pf_decref(v);
        return 0;
      }
      if (it->nkind == NK_DROPWHILE) {
        if (t) {
          pf_decref(v);
          continue;
        }
        it->flags = 1;
      } else if (!t) {
        pf_decref(v);
        continue;
      }
      *out = v;
      return 1;
    }
  case NK_ENUM: {
    k = pf_next_sync(r, it->subs[0], &v);
    if (k <= 0)
      return k;
    pf_val pair[2] = {pf_incref(it->src), v}, nx;
    if (pf_val_binop(PF_OP_ADD, it->src, pf_int(1), &nx, &r->err) != PF_OK) {
      pf_decref(pair[0]);
      pf_decref(v);
      return -1;
    }
    pf_decref(it->src);
    it->src = nx;
    return mk_tuple(r, pair, 2, out) == PF_OK ? 1 : -1;
  }
  case NK_CHAIN:
  case NK_CHAIN_FROM:
    for (;;) {
      if (it->f.tag == PF_UNBOUND) {
        pf_val src;
        if (it->nkind == NK_CHAIN) {
          if (it->cur >= (int64_t)it->nsubs)
            return 0;
          src = pf_incref(it->subs[it->cur++]);
        } else {
          k = pf_next_sync(r, it->src, &src);
          if (k <= 0)
            return k;
        }
        pf_status_t st = pf_iter_run(r, src, &it->f);
        pf_decref(src);
        if (st != PF_OK) {
          it->f = pf_unbound();
          return -1;
        }
      }
      k = pf_next_sync(r, it->f, out);
      if (k != 0)
        return k;
      pf_decref(it->f);
      it->f = pf_unbound();
    }
  case NK_ISLICE:
    if (it->flags || (it->stop >= 0 && it->cur >= it->stop))
      return 0;
    while ((int64_t)it->pos < it->cur) {
      k = pf_next_sync(r, it->subs[0], &v);
      if (k <= 0) {
        it->flags = 1;
        return k;
      }
      pf_decref(v);
      it->pos++;
    }
    k = pf_next_sync(r, it->subs[0], out);
    if (k <= 0) {
      it->flags = 1;
      return k;
    }
    it->pos++;
    it->cur += it->step;
    return 1;
  case NK_COUNT:
    if (pf_val_binop(PF_OP_ADD, it->src, it->f, &v, &r->err) != PF_OK)
      return -1;
    *out = it->src;
    it->src = v;
    return 1;
  case NK_REPEAT:
    if (it->stop >= 0 && it->cur >= it->stop)
      return 0;
    it->cur++;
    *out = pf_incref(it->src);
    return 1;
  case NK_PRODUCT: {
    uint32_t n = it->nsubs;
    if (it->flags == 2)
      return 0;
    if (it->flags == 0) {
      for (uint32_t i = 0; i < n; i++)
        if (pf_tuple_len(it->subs[i]) == 0) {
          it->flags = 2;
          return 0;
        }
      it->flags = 1;
    } else {
      uint32_t i = n;
      while (i-- > 0) {
        if (++it->idx[i] < (int64_t)pf_tuple_len(it->subs[i]))
          break;
        it->idx[i] = 0;
      }
      if (i == UINT32_MAX) {
        it->flags = 2;
        return 0;
      }
    }
    pf_val vals[n + 1];
    for (uint32_t i = 0; i < n; i++)
      vals[i] = pf_incref(seq_at(it->subs[i], it->idx[i]));
    return mk_tuple(r, vals, n, out) == PF_OK ? 1 : -1;
  }
  case NK_ACCUM:
    if (it->flags == 1) {
      it->flags = 0;
      *out = pf_incref(it->src);
      return 1;
    }
    k = pf_next_sync(r, it->subs[0], &v);
    if (k <= 0)
      return k;
    if (it->src.tag == PF_UNBOUND)
      it->src = v;
    else {
      pf_status_t st = PF_OK;
      if (it->f.tag == PF_UNBOUND || it->f.tag == PF_NONE)
        st = pf_binop_run(r, PF_OP_ADD, it->src, v, &res);
      else {
        pf_val a2[2] = {it->src, v};
        st = pf_call_sync(r, it->f, a2, 2, &res) == 1 ? PF_OK : PF_EPYEXC;
      }
      pf_decref(v);
      if (st != PF_OK)
        return -1;
      pf_decref(it->src);
      it->src = res;
    }
    *out = pf_incref(it->src);
    return 1;
  case NK_ZIP_LONGEST: {
    uint32_t n = it->nsubs, live = 0;
    if (n == 0 || it->flags)
      return 0;
    pf_val vals[n];
    for (uint32_t i = 0; i < n; i++) {
      k = it->idx[i] ? 0 : pf_next_sync(r, it->subs[i], &vals[i]);
      if (k < 0) {
        for (uint32_t j = 0; j < i; j++)
          pf_decref(vals[j]);
        return -1;
      }
      if (k == 0) {
        it->idx[i] = 1;
        vals[i] = pf_incref(it->f);
      } else
        live++;
    }
    if (!live) {
      it->flags = 1;
      for (uint32_t j = 0; j < n; j++)
        pf_decref(vals[j]);
      return 0;
    }
    return mk_tuple(r, vals, n, out) == PF_OK ? 1 : -1;
  }
  case NK_STARMAP: {
    k = pf_next_sync(r, it->subs[0], &v);
    if (k <= 0)
      return k;
    pf_val *items;
    size_t n;
    pf_status_t st = pf_collect_run(r, v, &items, &n);
    pf_decref(v);
    if (st != PF_OK)
      return -1;
    k = pf_call_sync(r, it->f, items, (uint32_t)n, out);
    for (size_t j = 0; j < n; j++)
      pf_decref(items[j]);
    free(items);
    return k;
  }
  case NK_COMB:
  case NK_PERM: {
    int64_t n = (int64_t)pf_tuple_len(it->src), rr = it->step;
    int64_t *ix = it->idx, *cy = it->idx + n;
    if (it->flags == 2)
      return 0;
    if (it->flags == 0) {
      it->flags = 1;
      if (rr > n) {
        it->flags = 2;
        return 0;
      }
    } else if (it->nkind == NK_COMB) {
      int64_t i = rr - 1;
      while (i >= 0 && ix[i] == i + n - rr)
        i--;
      if (i < 0) {
        it->flags = 2;
        return 0;
      }
      ix[i]++;
      for (int64_t j = i + 1; j < rr; j++)
        ix[j] = ix[j - 1] + 1;
    } else {
      int64_t i = rr - 1;
      if (n == 0)
        i = -1;
      for (; i >= 0; i--) {
        cy[i]--;
        if (cy[i] == 0) {
          int64_t t = ix[i];
          for (int64_t j = i; j < n - 1; j++)
            ix[j] = ix[j + 1];
          ix[n - 1] = t;
          cy[i] = n - i;
        } else {
          int64_t j = cy[i], t = ix[i];
          ix[i] = ix[n - j];
          ix[n - j] = t;
          break;
        }
      }
      if (i < 0) {
        it->flags = 2;
        return 0;
      }
    }
    pf_val vals[rr + 1];
    for (int64_t j = 0; j < rr; j++)
      vals[j] = pf_incref(seq_at(it->src, ix[j]));
    return mk_tuple(r, vals, (size_t)rr, out) == PF_OK ? 1 : -1;
  }
  case NK_GROUPBY: {
    if (it->src.tag == PF_UNBOUND) {
      if (it->flags)
        return 0;
      k = pf_next_sync(r, it->subs[0], &v);
      if (k <= 0)
        return k;
      it->src = v;
      if (it->f.tag == PF_NONE)
        it->subs[1] = pf_incref(v);
      else if (call1(r, it->f, v, &it->subs[1]) < 0) {
        it->subs[1] = pf_unbound();
        return -1;
      }
    }
    pf_val key = it->subs[1];
    it->subs[1] = pf_unbound();
    pf_listb b;
    pf_listb_init(&b);
    if (pf_listb_push(&b, it->src, &r->err) != PF_OK) {
      it->src = pf_unbound();
      pf_decref(key);
      return -1;
    }
    it->src = pf_unbound();
    for (;;) {
      k = pf_next_sync(r, it->subs[0], &v);
      if (k < 0)
        goto gfail;
      if (k == 0) {
        it->flags = 1;
        break;
      }
      pf_val kv;
      if (it->f.tag == PF_NONE)
        kv = pf_incref(v);
      else if (call1(r, it->f, v, &kv) < 0) {
        pf_decref(v);
        goto gfail;
      }
      bool eq;
      if (pf_eq_run(r, kv, key, &eq) != PF_OK) {
        pf_decref(kv);
        pf_decref(v);
        goto gfail;
      }
      if (!eq) {
        it->src = v;
        it->subs[1] = kv;
        break;
      }
      pf_decref(kv);
      if (pf_listb_push(&b, v, &r->err) != PF_OK)
        goto gfail;
    }
    pf_val lst, git;
    if (pf_listb_finish(&b, false, &lst, &r->err) != PF_OK) {
      pf_decref(key);
      return -1;
    }
    pf_status_t st = pf_iter_new(lst, &git, &r->err);
    pf_decref(lst);
    if (st != PF_OK) {
      pf_decref(key);
      return -1;
    }
    pf_val pair[2] = {key, git};
    return mk_tuple(r, pair, 2, out) == PF_OK ? 1 : -1;
  gfail:
    pf_listb_discard(&b);
    pf_decref(key);
    return -1;
  }
  default:
    pf_raise_run(r, PF_EXC_RuntimeError, "internal: bad iterator kind");
    return -1;
  }
}

/* map/filter/zip/enumerate as lazy iterators. */
int pf_lazy_builtin(pf_run *r, pf_bi_id id, pf_val *args, uint32_t nargs, pf_val start) {
  pf_iter *it;
  switch (id) {
  case BI_map:
    if (nargs < 2)
      return pf_raise_run(r, PF_EXC_TypeError, "map() must have at least two arguments.");
    if (!(it = native_new(r, NK_MAP, nargs - 1)))
      return NS_RAISE;
    it->f = pf_incref(args[0]);
    return done_it(r, it, iter_subs(r, it, args + 1, nargs - 1));
  case BI_filter:
    if (nargs != 2)
      return pf_raise_run(r, PF_EXC_TypeError, "filter expected 2 arguments, got %u", nargs);
    if (!(it = native_new(r, NK_FILTER, 1)))
      return NS_RAISE;
    it->f = pf_incref(args[0]);
    return done_it(r, it, iter_subs(r, it, args + 1, 1));
  case BI_zip:
    if (!(it = native_new(r, NK_ZIP, nargs)))
      return NS_RAISE;
    return done_it(r, it, iter_subs(r, it, args, nargs));
  default: /* enumerate */
    if (nargs < 1 || nargs > 2)
      return pf_raise_run(r, PF_EXC_TypeError, "enumerate() takes at most 2 arguments (%u given)", nargs);
    if (nargs == 2)
      start = args[1];
    if (!pf_is_int(start))
      return pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                          pf_type_name(start));
    if (!(it = native_new(r, NK_ENUM, 1)))
      return NS_RAISE;
    it->src = pf_incref(start);
    return done_it(r, it, iter_subs(r, it, args, 1));
  }
}

static pf_val kwget(const pf_val *kwnames, pf_val *kwvals, uint32_t nkw, const char *name) {
  for (uint32_t i = 0; i < nkw; i++)
    if (!strcmp(pf_str_utf8(kwnames[i], NULL), name))
      return kwvals[i];
  return pf_unbound();
}

/* Collects "src" into a tuple. */
static int to_tuple(pf_run *r, pf_val src, pf_val *out) {
  pf_val *items;
  size_t n;
  if (pf_collect_run(r, src, &items, &n) != PF_OK)
    return NS_RAISE;
  pf_status_t st = pf_tuple_new(n, items, out, &r->err);
  free(items);
  return st == PF_OK ? NS_RETURN : NS_RAISE;
}

static int islice_arg(pf_run *r, pf_val v, int64_t dflt, int64_t *out, const char *what) {
  if (v.tag == PF_NONE || v.tag == PF_UNBOUND) {
    *out = dflt;
    return NS_RETURN;
  }
  if ((v.tag != PF_INT && v.tag != PF_BOOL) || v.u.i < 0)
    return pf_raise_run(r, PF_EXC_ValueError,
                        "%s argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.", what);
  *out = v.u.i;
  return NS_RETURN;
}

static int itertools_call(pf_run *r, const char *m, pf_val *args, uint32_t nargs,
                          const pf_val *kwn, pf_val *kwv, uint32_t nkw) {
  pf_iter *it;
  if (!strcmp(m, "chain")) {
    if (!(it = native_new(r, NK_CHAIN, nargs)))
      return NS_RAISE;
    for (uint32_t i = 0; i < nargs; i++)
      it->subs[i] = pf_incref(args[i]);
    return done_it(r, it, NS_RETURN);
  }
  if (!strcmp(m, "chain.from_iterable")) {
    if (nargs != 1)
      return pf_raise_run(r, PF_EXC_TypeError, "chain.from_iterable() takes exactly one argument (%u given)", nargs);
    if (!(it = native_new(r, NK_CHAIN_FROM, 0)))
      return NS_RAISE;
    return done_it(r, it, pf_iter_run(r, args[0], &it->src) == PF_OK ? NS_RETURN : NS_RAISE);
  }
  if (!strcmp(m, "islice")) {
    if (nargs < 2 || nargs > 4)
      return pf_raise_run(r, PF_EXC_TypeError, "islice expected 2 to 4 arguments, got %u", nargs);
    int64_t st = 0, sp = -1, step = 1;
    if (nargs == 2) {
      if (islice_arg(r, args[1], -1, &sp, "Stop") != NS_RETURN)
        return NS_RAISE;
    } else if (islice_arg(r, args[1], 0, &st, "Indices") != NS_RETURN ||
               islice_arg(r, args[2], -1, &sp, "Stop") != NS_RETURN ||
               (nargs == 4 && islice_arg(r, args[3], 1, &step, "Step") != NS_RETURN))
      return NS_RAISE;
    if (step == 0)
      return pf_raise_run(r, PF_EXC_ValueError, "Step for islice() must be a positive integer or None.");
    if (!(it = native_new(r, NK_ISLICE, 1)))
      return NS_RAISE;
    it->cur = st;
    it->stop = sp;
    it->step = step;
    return done_it(r, it, iter_subs(r, it, args, 1));
  }
  if (!strcmp(m, "count")) {
    pf_val s = nargs > 0 ? args[0] : kwget(kwn, kwv, nkw, "start");
    pf_val d = nargs > 1 ? args[1] : kwget(kwn, kwv, nkw, "step");
    if (!(it = native_new(r, NK_COUNT, 0)))
      return NS_RAISE;
    it->src = s.tag == PF_UNBOUND ? pf_int(0) : pf_incref(s);
    it->f = d.tag == PF_UNBOUND ? pf_int(1) : pf_incref(d);
    return done_it(r, it, NS_RETURN);
  }
  if (!strcmp(m, "repeat")) {
    pf_val t = nargs > 1 ? args[1] : kwget(kwn, kwv, nkw, "times");
    if (nargs < 1)
      return pf_raise_run(r, PF_EXC_TypeError, "repeat() missing required argument 'object' (pos 1)");
    if (!(it = native_new(r, NK_REPEAT, 0)))
      return NS_RAISE;
    it->src = pf_incref(args[0]);
    if (t.tag != PF_UNBOUND)
      it->stop = t.tag == PF_INT ? (t.u.i < 0 ? 0 : t.u.i) : 0;
    return done_it(r, it, NS_RETURN);
  }
  if (!strcmp(m, "product")) {
    pf_val rp = kwget(kwn, kwv, nkw, "repeat");
    int64_t rep = rp.tag == PF_INT ? rp.u.i : 1;
    if (rep < 0)
      return pf_raise_run(r, PF_EXC_ValueError, "repeat argument cannot be negative");
    uint32_t n = (uint32_t)(nargs * rep);
    if (!(it = native_new(r, NK_PRODUCT, n)))
      return NS_RAISE;
    if (!(it->idx = calloc(n + 1, sizeof *it->idx)))
      return done_it(r, it, pf_raise_run(r, PF_EXC_MemoryError, "out of memory"));
    for (uint32_t i = 0; i < nargs; i++)
      if (to_tuple(r, args[i], &it->subs[i]) != NS_RETURN)
        return done_it(r, it, NS_RAISE);
    for (uint32_t i = nargs; i < n; i++)
      it->subs[i] = pf_incref(it->subs[i % nargs]);
    return done_it(r, it, NS_RETURN);
  }
  if (!strcmp(m, "accumulate")) {
    pf_val fn = nargs > 1 ? args[1] : kwget(kwn, kwv, nkw, "func");
    pf_val init = kwget(kwn, kwv, nkw, "initial");
    if (nargs < 1)
      return pf_raise_run(r, PF_EXC_TypeError, "accumulate() missing required argument 'iterable' (pos 1)");
    if (!(it = native_new(r, NK_ACCUM, 1)))
      return NS_RAISE;
    it->f = pf_incref(fn);
    if (init.tag != PF_UNBOUND && init.tag != PF_NONE) {
      it->src = pf_incref(init);
      it->flags = 1;
    }
    return done_it(r, it, iter_subs(r, it, args, 1));
  }
  if (!strcmp(m, "zip_longest")) {
    pf_val fill = kwget(kwn, kwv, nkw, "fillvalue");
    if (!(it = native_new(r, NK_ZIP_LONGEST, nargs)))
      return NS_RAISE;
    it->f = fill.tag == PF_UNBOUND ? pf_none() : pf_incref(fill);
    if (!(it->idx = calloc(nargs + 1, sizeof *it->idx)))
      return done_it(r, it, pf_raise_run(r, PF_EXC_MemoryError, "out of memory"));
    return done_it(r, it, iter_subs(r, it, args, nargs));
  }
  if (!strcmp(m, "takewhile") || !strcmp(m, "dropwhile") || !strcmp(m, "starmap")) {
    if (nargs != 2)
      return pf_raise_run(r, PF_EXC_TypeError, "%s expected 2 arguments, got %u", m, nargs);
    if (!(it = native_new(r, m[0] == 't' ? NK_TAKEWHILE : m[0] == 'd' ? NK_DROPWHILE : NK_STARMAP, 1)))
      return NS_RAISE;
    it->f = pf_incref(args[0]);
    return done_it(r, it, iter_subs(r, it, args + 1, 1));
  }
  if (!strcmp(m, "combinations") || !strcmp(m, "permutations")) {
    bool comb = m[0] == 'c';
    pf_val rv = nargs > 1 ? args[1] : kwget(kwn, kwv, nkw, "r");
    if (nargs < 1 || (comb && rv.tag == PF_UNBOUND))
      return pf_raise_run(r, PF_EXC_TypeError, "%s() missing required argument", m);
    if (!(it = native_new(r, comb ? NK_COMB : NK_PERM, 0)))
      return NS_RAISE;
    if (to_tuple(r, args[0], &it->src) != NS_RETURN)
      return done_it(r, it, NS_RAISE);
    int64_t n = (int64_t)pf_tuple_len(it->src);
    int64_t rr = rv.tag == PF_UNBOUND || rv.tag == PF_NONE ? n : rv.tag == PF_INT ? rv.u.i : -1;
    if (rr < 0)
      return done_it(r, it, pf_raise_run(r, PF_EXC_ValueError, "r must be non-negative"));
    it->step = rr;
    if (!(it->idx = calloc((size_t)(n + rr + 1), sizeof *it->idx)))
      return done_it(r, it, pf_raise_run(r, PF_EXC_MemoryError, "out of memory"));
    for (int64_t i = 0; i < n; i++)
      it->idx[i] = i;
    for (int64_t i = 0; !comb && i < rr && i < n; i++)
      it->idx[n + i] = n - i;
    return done_it(r, it, NS_RETURN);
  }
  if (!strcmp(m, "groupby")) {
    pf_val key = nargs > 1 ? args[1] : kwget(kwn, kwv, nkw, "key");
    if (nargs < 1)
      return pf_raise_run(r, PF_EXC_TypeError, "groupby() missing required argument 'iterable'");
    if (!(it = native_new(r, NK_GROUPBY, 2)))
      return NS_RAISE;
    it->f = key.tag == PF_UNBOUND ? pf_none() : pf_incref(key);
    return done_it(r, it, iter_subs(r, it, args, 1));
  }
  return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "itertools.%s is not supported in pyfora code", m);
}

static int getter_call(pf_run *r, bool item, pf_val keys, pf_val *args, uint32_t nargs) {
  if (nargs != 1)
    return pf_raise_run(r, PF_EXC_TypeError, "%sgetter expected 1 argument, got %u", item ? "item" : "attr", nargs);
  size_t n = pf_tuple_len(keys);
  pf_val vals[n + 1];
  for (size_t i = 0; i < n; i++) {
    pf_val k = pf_tuple_get(keys, i);
    pf_status_t st;
    if (item)
      st = pf_val_getitem(args[0], k, &vals[i], &r->err);
    else {
      pf_val cur = pf_incref(args[0]);
      const char *s = pf_str_utf8(k, NULL);
      st = PF_OK;
      while (st == PF_OK) { /* dotted names: attrgetter('a.b') */
        const char *dot = strchr(s, '.');
        char part[256];
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        snprintf(part, sizeof part, "%.*s", (int)len, s);
        pf_val nx;
        st = pf_getattr(r, cur, part, &nx);
        pf_decref(cur);
        cur = st == PF_OK ? nx : pf_unbound();
        if (!dot)
          break;
        s = dot + 1;
      }
      vals[i] = cur;
    }
    if (st != PF_OK) {
      for (size_t j = 0; j < i; j++)
        pf_decref(vals[j]);
      return NS_RAISE;
    }
  }
  if (n == 1)
    return ret(r, vals[0]);
  pf_val out;
  return pf_tuple_new(n, vals, &out, &r->err) == PF_OK ? ret(r, out) : NS_RAISE;
}

static int make_callable(pf_run *r, const char *mname, pf_val *args, uint32_t nargs) {
  pf_val t, out;
  for (uint32_t i = 0; i < nargs; i++)
    pf_incref(args[i]);
  if (pf_tuple_new(nargs, args, &t, &r->err) != PF_OK)
    return NS_RAISE;
  pf_status_t st = pf_method_new(r->prog, t, mname, &out, &r->err);
  pf_decref(t);
  return st == PF_OK ? ret(r, out) : NS_RAISE;
}

static int operator_call(pf_run *r, const char *m, pf_val *args, uint32_t nargs) {
  static const struct {
    const char *n;
    pf_binop op;
  } bops[] = {{"add", PF_OP_ADD}, {"sub", PF_OP_SUB}, {"mul", PF_OP_MUL}, {"truediv", PF_OP_TRUEDIV},
              {"floordiv", PF_OP_FLOORDIV}, {"mod", PF_OP_MOD}, {"pow", PF_OP_POW},
              {"lshift", PF_OP_LSHIFT}, {"rshift", PF_OP_RSHIFT}, {"and_", PF_OP_BITAND},
              {"or_", PF_OP_BITOR}, {"xor", PF_OP_BITXOR}};
  static const struct {
    const char *n;
    pf_cmpop op;
  } cops[] = {{"eq", PF_CMP_EQ}, {"ne", PF_CMP_NE}, {"lt", PF_CMP_LT},
              {"le", PF_CMP_LE}, {"gt", PF_CMP_GT}, {"ge", PF_CMP_GE}};
  pf_val out;
  if (!strcmp(m, "methodcaller")) {
    if (nargs < 1 || !pf_is_type(args[0], &pf_type_str))
      return pf_raise_run(r, PF_EXC_TypeError, "method name must be a string");
    return make_callable(r, "operator.methodcaller()", args, nargs);
  }
  if (!strcmp(m, "itemgetter") || !strcmp(m, "attrgetter")) {
    if (nargs < 1)
      return pf_raise_run(r, PF_EXC_TypeError, "%s expected 1 argument, got 0", m);
    for (uint32_t i = 0; m[0] == 'a' && i < nargs; i++)
      if (!pf_is_type(args[i], &pf_type_str))
        return pf_raise_run(r, PF_EXC_TypeError, "attribute name must be a string");
    return make_callable(r, m[0] == 'i' ? "operator.itemgetter()" : "operator.attrgetter()", args, nargs);
  }
  for (size_t i = 0; i < sizeof bops / sizeof bops[0]; i++)
    if (!strcmp(m, bops[i].n)) {
      if (nargs != 2)
        return pf_raise_run(r, PF_EXC_TypeError, "expected 2 arguments, got %u", nargs);
      return pf_binop_run(r, bops[i].op, args[0], args[1], &out) == PF_OK ? ret(r, out) : NS_RAISE;
    }
  for (size_t i = 0; i < sizeof cops / sizeof cops[0]; i++)
    if (!strcmp(m, cops[i].n)) {
      if (nargs != 2)
        return pf_raise_run(r, PF_EXC_TypeError, "expected 2 arguments, got %u", nargs);
      return pf_compare_run(r, cops[i].op, args[0], args[1], &out) == PF_OK ? ret(r, out) : NS_RAISE;
    }
  if (nargs == 1 && (!strcmp(m, "neg") || !strcmp(m, "pos") || !strcmp(m, "invert") || !strcmp(m, "inv")))
    return pf_unary_run(r, m[0] == 'n' ? PF_OP_NEG : m[0] == 'p' ? PF_OP_POS : PF_OP_INVERT, args[0], &out) == PF_OK
               ? ret(r, out) : NS_RAISE;
  if (nargs == 1 && !strcmp(m, "abs"))
    return pf_builtin_abs(args[0], &out, &r->err) == PF_OK ? ret(r, out) : NS_RAISE;
  if (nargs == 1 && (!strcmp(m, "not_") || !strcmp(m, "truth"))) {
    bool t;
    if (pf_truthy_run(r, args[0], &t) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_bool(m[0] == 'n' ? !t : t));
  }
  if (nargs == 2 && !strcmp(m, "getitem"))
    return pf_val_getitem(args[0], args[1], &out, &r->err) == PF_OK ? ret(r, out) : NS_RAISE;
  if (nargs == 2 && !strcmp(m, "contains")) {
    bool t;
    if (pf_contains_run(r, args[0], args[1], &t) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_bool(t));
  }
  return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "operator.%s is not supported in pyfora code", m);
}

/* Calls function "m" of module "mod" (itertools, functools, operator), or, with "mod" NULL,
 * a callable made by one of them ("self" holds its state). Borrows all. */
int pf_module_lib_call(pf_run *r, const char *mod, const char *m, pf_val self, pf_val *args,
                       uint32_t nargs, const pf_val *kwnames, pf_val *kwvals, uint32_t nkw) {
  if (!mod) {
    if (!strcmp(m, "operator.itemgetter()") || !strcmp(m, "operator.attrgetter()"))
      return getter_call(r, m[9] == 'i', self, args, nargs);
    if (!strcmp(m, "operator.methodcaller()")) {
      if (nargs != 1)
        return pf_raise_run(r, PF_EXC_TypeError, "methodcaller expected 1 argument, got %u", nargs);
      pf_val fn, res;
      if (pf_getattr(r, args[0], pf_str_utf8(pf_tuple_get(self, 0), NULL), &fn) != PF_OK)
        return NS_RAISE;
      size_t n = pf_tuple_len(self) - 1;
      pf_val a2[n + 1];
      for (size_t i = 0; i < n; i++)
        a2[i] = pf_tuple_get(self, i + 1);
      int k = pf_call_sync(r, fn, a2, (uint32_t)n, &res);
      pf_decref(fn);
      return k == 1 ? ret(r, res) : NS_RAISE;
    }
    if (!strcmp(m, "generator.send()")) { /* the value of the paused yield expression */
      if (nargs != 1)
        return pf_raise_run(r, PF_EXC_TypeError, "send() takes exactly one argument (%u given)", nargs);
      pf_gen *g = (pf_gen *)self.u.o;
      if (g->frame && !g->running) {
        pf_frame *gf = g->frame;
        if (gf->pc == 0 && args[0].tag != PF_NONE)
          return pf_raise_run(r, PF_EXC_TypeError, "can't send non-None value to a just-started generator");
        if (gf->pc > 0 && gf->code->ins[gf->pc - 1].op == OP_YIELD) {
          uint16_t dst = gf->code->ins[gf->pc - 1].a;
          pf_decref(gf->regs[dst]);
          gf->regs[dst] = pf_incref(args[0]);
        }
      }
      pf_val v;
      int k = pf_next_sync(r, self, &v);
      if (k < 0)
        return NS_RAISE;
      if (k == 0)
        return pf_raise_stop(r, self);
      return ret(r, v);
    }
    if (!strcmp(m, "object.__init__()")) {
      if (pf_is_type(self, &pf_type_inst) && ((pf_inst *)self.u.o)->cls->is_exc) {
        pf_inst *in = (pf_inst *)self.u.o;
        pf_val t;
        for (uint32_t i = 0; i < nargs; i++)
          pf_incref(args[i]);
        if (pf_tuple_new(nargs, args, &t, &r->err) != PF_OK)
          return NS_RAISE;
        pf_decref(in->args);
        in->args = t;
        pf_decref(in->msg);
        in->msg = pf_unbound();
      } else if (nargs || nkw)
        return pf_raise_run(r, PF_EXC_TypeError, "object.__init__() takes exactly one argument (the instance to initialize)");
      return ret(r, pf_none());
    }
    return pf_raise_run(r, PF_EXC_RuntimeError, "internal: unknown callable %s", m);
  }
  if (!strcmp(mod, "itertools"))
    return itertools_call(r, m, args, nargs, kwnames, kwvals, nkw);
  if (!strcmp(mod, "functools") && !strcmp(m, "partial")) {
    if (nargs < 1)
      return pf_raise_run(r, PF_EXC_TypeError, "type 'partial' takes at least one argument");
    pf_val t, d, pair[2], st, out;
    for (uint32_t i = 0; i < nargs; i++)
      pf_incref(args[i]);
    if (pf_tuple_new(nargs, args, &t, &r->err) != PF_OK)
      return NS_RAISE;
    pf_val kk[nkw + 1], vv[nkw + 1];
    for (uint32_t i = 0; i < nkw; i++)
      kk[i] = pf_incref(kwnames[i]), vv[i] = pf_incref(kwvals[i]);
    if (pf_dict_new(nkw, kk, vv, &d, &r->err) != PF_OK) {
      pf_decref(t);
      return NS_RAISE;
    }
    pair[0] = t;
    pair[1] = d;
    if (pf_tuple_new(2, pair, &st, &r->err) != PF_OK)
      return NS_RAISE;
    pf_status_t s2 = pf_method_new(r->prog, st, "functools.partial()", &out, &r->err);
    pf_decref(st);
    return s2 == PF_OK ? ret(r, out) : NS_RAISE;
  }
  if (nkw)
    return pf_raise_run(r, PF_EXC_TypeError, "%s.%s() takes no keyword arguments", mod, m);
  if (!strcmp(mod, "operator"))
    return operator_call(r, m, args, nargs);
  return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s.%s is not supported in pyfora code", mod, m);
}
