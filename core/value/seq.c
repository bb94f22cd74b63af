/* seq.c — tuple, list builder, range, slicing (lists themselves: list.c). */
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

static void seq_destroy(pf_obj *o) {
  pf_seq *s = (pf_seq *)o;
  for (size_t i = 0; i < s->n; i++)
    pf_decref(s->items[i]);
  free(s);
}

static void range_destroy(pf_obj *o) { free(o); }

const pf_type pf_type_tuple = {.name = "tuple", .destroy = seq_destroy};
const pf_type pf_type_range = {.name = "range", .destroy = range_destroy};

pf_status_t pf_seq_alloc(const pf_type *t, size_t n, pf_val *out, pf_err *err) {
  if (n > PF_SEQ_MAX_BYTES / sizeof(pf_val))
    return pf_nomem(err);
  pf_seq *s = pf_xmalloc(sizeof *s + n * sizeof(pf_val), err);
  if (!s)
    return PF_EPYEXC;
  pf_obj_init(&s->h, t);
  s->n = n;
  for (size_t i = 0; i < n; i++)
    s->items[i] = pf_none();
  *out = pf_obj_val(&s->h);
  return PF_OK;
}

static pf_status_t seq_new(const pf_type *t, size_t n, pf_val *items, pf_val *out, pf_err *err) {
  pf_val v;
  if (pf_seq_alloc(t, n, &v, err) != PF_OK) {
    for (size_t i = 0; i < n; i++)
      pf_decref(items[i]);
    return PF_EPYEXC;
  }
  if (n)
    memcpy(PF_SEQ(v)->items, items, n * sizeof(pf_val));
  *out = v;
  return PF_OK;
}

pf_status_t pf_tuple_new(size_t n, pf_val *items, pf_val *out, pf_err *err) {
  return seq_new(&pf_type_tuple, n, items, out, err);
}
size_t pf_tuple_len(pf_val t) { return PF_SEQ(t)->n; }
pf_val pf_tuple_get(pf_val t, size_t i) { return PF_SEQ(t)->items[i]; }
const pf_val *pf_tuple_items(pf_val t) { return PF_SEQ(t)->items; }

pf_status_t pf_seq_concat(pf_val a, pf_val b, pf_val *out, pf_err *err) {
  if (pf_is_list(a))
    return pf_list_concat(a, b, out, err);
  pf_seq *x = PF_SEQ(a), *y = PF_SEQ(b);
  if (y->n == 0 && pf_is_tuple(a)) {
    *out = pf_incref(a);
    return PF_OK;
  }
  pf_val v;
  if (pf_seq_alloc(x->h.type, x->n + y->n, &v, err) != PF_OK)
    return PF_EPYEXC;
  pf_seq *r = PF_SEQ(v);
  for (size_t i = 0; i < x->n; i++)
    r->items[i] = pf_incref(x->items[i]);
  for (size_t i = 0; i < y->n; i++)
    r->items[x->n + i] = pf_incref(y->items[i]);
  *out = v;
  return PF_OK;
}

pf_status_t pf_seq_repeat(pf_val a, int64_t n, pf_val *out, pf_err *err) {
  if (pf_is_list(a))
    return pf_list_repeat(a, n, out, err);
  pf_seq *x = PF_SEQ(a);
  if (n < 0)
    n = 0;
  if (x->n && (uint64_t)n > PF_SEQ_MAX_BYTES / sizeof(pf_val) / x->n)
    return pf_nomem(err);
  pf_val v;
  if (pf_seq_alloc(x->h.type, x->n * (size_t)n, &v, err) != PF_OK)
    return PF_EPYEXC;
  pf_seq *r = PF_SEQ(v);
  for (size_t k = 0; k < (size_t)n; k++)
    for (size_t i = 0; i < x->n; i++)
      r->items[k * x->n + i] = pf_incref(x->items[i]);
  *out = v;
  return PF_OK;
}

pf_status_t pf_seq_slice(pf_val s, int64_t start, int64_t step, int64_t len, pf_val *out,
                         pf_err *err) {
  if (pf_is_list(s))
    return pf_list_slice(s, start, step, len, out, err);
  pf_seq *x = PF_SEQ(s);
  if (len < 0)
    len = 0;
  if (pf_is_tuple(s) && step == 1 && start == 0 && (size_t)len == x->n) {
    *out = pf_incref(s);
    return PF_OK;
  }
  pf_val v;
  if (pf_seq_alloc(x->h.type, (size_t)len, &v, err) != PF_OK)
    return PF_EPYEXC;
  for (int64_t k = 0; k < len; k++)
    PF_SEQ(v)->items[k] = pf_incref(x->items[start + k * step]);
  *out = v;
  return PF_OK;
}

/* ---------------------------------------------------------------- builder */

void pf_listb_init(pf_listb *b) { *b = (pf_listb){0}; }

pf_status_t pf_listb_push(pf_listb *b, pf_val v, pf_err *err) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 8;
    pf_val *p = cap > PF_SEQ_MAX_BYTES / sizeof(pf_val) ? NULL : pf_vrealloc(b->items, cap * sizeof *p);
    if (!p) {
      pf_decref(v);
      return pf_nomem(err);
    }
    b->items = p;
    b->cap = cap;
  }
  b->items[b->n++] = v;
  return PF_OK;
}

pf_status_t pf_listb_finish(pf_listb *b, bool as_tuple, pf_val *out, pf_err *err) {
  pf_status_t st = as_tuple ? seq_new(&pf_type_tuple, b->n, b->items, out, err)
                            : pf_list_new(b->n, b->items, out, err);
  free(b->items);
  pf_listb_init(b);
  return st;
}

void pf_listb_discard(pf_listb *b) {
  for (size_t i = 0; i < b->n; i++)
    pf_decref(b->items[i]);
  free(b->items);
  pf_listb_init(b);
}

/* ---------------------------------------------------------------- range */

static pf_status_t range_make(int64_t start, int64_t stop, int64_t step, int64_t len,
                              pf_val *out, pf_err *err) {
  pf_range *r = pf_xmalloc(sizeof *r, err);
  if (!r)
    return PF_EPYEXC;
  pf_obj_init(&r->h, &pf_type_range);
  r->start = start;
  r->stop = stop;
  r->step = step;
  r->len = len;
  *out = pf_obj_val(&r->h);
  return PF_OK;
}

pf_status_t pf_range_new(int64_t start, int64_t stop, int64_t step, pf_val *out, pf_err *err) {
  if (step == 0)
    return pf_raise(err, PF_EXC_ValueError, "range() arg 3 must not be zero");
  uint64_t len = 0;
  if (step > 0 && start < stop)
    len = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
  else if (step < 0 && start > stop)
    len = ((uint64_t)start - (uint64_t)stop - 1) / (-(uint64_t)step) + 1;
  if (len > (uint64_t)INT64_MAX)
    return pf_raise(err, PF_EXC_OverflowError, "Python int too large to convert to C ssize_t");
  return range_make(start, stop, step, (int64_t)len, out, err);
}

void pf_range_get(pf_val r, int64_t *start, int64_t *stop, int64_t *step, int64_t *len) {
  pf_range *x = PF_RANGE(r);
  if (start)
    *start = x->start;
  if (stop)
    *stop = x->stop;
  if (step)
    *step = x->step;
  if (len)
    *len = x->len;
}

int64_t pf_range_item(pf_val r, int64_t i) {
  pf_range *x = PF_RANGE(r);
  return (int64_t)((uint64_t)x->start + (uint64_t)i * (uint64_t)x->step);
}

pf_status_t pf_range_slice(pf_val r, int64_t start, int64_t stop, int64_t step, int64_t slen,
                           pf_val *out, pf_err *err) {
  pf_range *x = PF_RANGE(r);
  __int128 ns = (__int128)x->start + (__int128)start * x->step;
  __int128 ne = (__int128)x->start + (__int128)stop * x->step;
  __int128 nst = (__int128)step * x->step;
  if (slen == 0 && (ns < INT64_MIN || ns > INT64_MAX)) /* empty: any empty range */
    ns = ne = x->start;
  if (ns < INT64_MIN || ns > INT64_MAX || nst < INT64_MIN || nst > INT64_MAX)
    return pf_raise(err, PF_EXC_OverflowError, "Python int too large to convert to C ssize_t");
  if (ne < INT64_MIN || ne > INT64_MAX) {
    /* the exact stop does not fit: any stop past the last item describes the same range */
    __int128 last = ns + (__int128)(slen - 1) * nst;
    ne = last + (nst > 0 ? 1 : -1);
    if (slen == 0)
      ne = ns;
    if (ne < INT64_MIN || ne > INT64_MAX)
      return pf_raise(err, PF_EXC_OverflowError, "Python int too large to convert to C ssize_t");
  }
  return range_make((int64_t)ns, (int64_t)ne, (int64_t)nst, slen, out, err);
}

/* ---------------------------------------------------------------- indices */

pf_status_t pf_index_value(pf_val idx, const char *what, int64_t *out, pf_err *err) {
  if (pf_is_small_int(idx)) {
    *out = idx.u.i;
    return PF_OK;
  }
  if (pf_is_big(idx))
    return pf_raise(err, PF_EXC_IndexError, "cannot fit 'int' into an index-sized integer");
  if (strcmp(what, "string") == 0)
    return pf_raise(err, PF_EXC_TypeError, "string indices must be integers, not '%s'",
                    pf_type_name(idx));
  return pf_raise(err, PF_EXC_TypeError, "%s indices must be integers or slices, not %s", what,
                  pf_type_name(idx));
}

static pf_status_t slice_bound(pf_val v, int64_t dflt, int64_t *out, pf_err *err) {
  if (v.tag == PF_NONE || v.tag == PF_UNBOUND) {
    *out = dflt;
    return PF_OK;
  }
  if (pf_is_small_int(v)) {
    *out = v.u.i;
    return PF_OK;
  }
  if (pf_is_big(v)) {
    *out = mpz_sgn(PF_BIG(v)) < 0 ? INT64_MIN : INT64_MAX;
    return PF_OK;
  }
  return pf_raise(err, PF_EXC_TypeError,
                  "slice indices must be integers or None or have an __index__ method");
}

pf_status_t pf_slice_indices(pf_val vstart, pf_val vstop, pf_val vstep, int64_t length,
                             int64_t *start_p, int64_t *stop_p, int64_t *step_p, int64_t *slen_p,
                             pf_err *err) {
  int64_t step = 1, start = 0, stop = 0;
  if (slice_bound(vstep, 1, &step, err) != PF_OK)
    return PF_EPYEXC;
  if (step == 0)
    return pf_raise(err, PF_EXC_ValueError, "slice step cannot be zero");
  if (step < -INT64_MAX)
    step = -INT64_MAX;
  if (slice_bound(vstart, step < 0 ? INT64_MAX : 0, &start, err) != PF_OK ||
      slice_bound(vstop, step < 0 ? INT64_MIN : INT64_MAX, &stop, err) != PF_OK)
    return PF_EPYEXC;
  if (start < 0) {
    start += length;
    if (start < 0)
      start = step < 0 ? -1 : 0;
  } else if (start >= length) {
    start = step < 0 ? length - 1 : length;
  }
  if (stop < 0) {
    stop += length;
    if (stop < 0)
      stop = step < 0 ? -1 : 0;
  } else if (stop >= length) {
    stop = step < 0 ? length - 1 : length;
  }
  int64_t slen = 0;
  if (step < 0) {
    if (stop < start)
      slen = (start - stop - 1) / (-step) + 1;
  } else if (start < stop) {
    slen = (stop - start - 1) / step + 1;
  }
  *start_p = start;
  *stop_p = stop;
  *step_p = step;
  *slen_p = slen;
  return PF_OK;
}
