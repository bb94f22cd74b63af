/* bigrange.c — range objects whose bounds do not fit in 64 bits (core/value's ranges are
 * int64): len, indexing, slicing, membership, iteration and repr, with Python's semantics
 * computed on exact ints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static void brange_destroy(pf_obj *o) {
  pf_brange *b = (pf_brange *)o;
  pf_decref(b->start);
  pf_decref(b->stop);
  pf_decref(b->step);
  pf_decref(b->len);
  free(b);
}

static pf_status_t brange_repr(pf_obj *o, pf_val *out, pf_err *err) {
  pf_brange *b = (pf_brange *)o;
  pf_val s[3];
  pf_val v[3] = {b->start, b->stop, b->step};
  for (int i = 0; i < 3; i++)
    if (pf_val_repr(v[i], &s[i], err) != PF_OK) {
      for (int j = 0; j < i; j++)
        pf_decref(s[j]);
      return PF_EPYEXC;
    }
  bool one = b->step.tag == PF_INT && b->step.u.i == 1;
  size_t n = strlen(pf_str_utf8(s[0], NULL)) + strlen(pf_str_utf8(s[1], NULL)) + strlen(pf_str_utf8(s[2], NULL)) + 16;
  char *buf = malloc(n);
  pf_status_t st = PF_OK;
  if (!buf)
    st = pf_raise(err, PF_EXC_MemoryError, "out of memory");
  else {
    if (one)
      snprintf(buf, n, "range(%s, %s)", pf_str_utf8(s[0], NULL), pf_str_utf8(s[1], NULL));
    else
      snprintf(buf, n, "range(%s, %s, %s)", pf_str_utf8(s[0], NULL), pf_str_utf8(s[1], NULL),
               pf_str_utf8(s[2], NULL));
    st = pf_str_from_cstr(buf, out, err);
  }
  free(buf);
  for (int i = 0; i < 3; i++)
    pf_decref(s[i]);
  return st;
}

const pf_type pf_type_brange = {"range", brange_destroy, brange_repr, NULL};

static bool is_neg(pf_val v) {
  pf_val z;
  pf_err e;
  return pf_val_compare(PF_CMP_LT, v, pf_int(0), &z, &e) == PF_OK && z.u.i;
}

/* a <op> b on ints; PF_OK or an error in "err". */
static pf_status_t op2(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  return pf_val_binop(op, a, b, out, err);
}

/* Returns new big range (start, stop, step: ints, borrowed; step != 0). */
pf_status_t pf_brange_new(pf_val start, pf_val stop, pf_val step, pf_val *out, pf_err *err) {
  /* len = max(0, (stop - start + step - sign) // step) */
  pf_val d, d2, n;
  bool neg = is_neg(step);
  if (op2(PF_OP_SUB, stop, start, &d, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t st = op2(PF_OP_ADD, d, step, &d2, err);
  pf_decref(d);
  if (st != PF_OK)
    return st;
  st = op2(PF_OP_SUB, d2, pf_int(neg ? -1 : 1), &d, err);
  pf_decref(d2);
  if (st != PF_OK)
    return st;
  st = op2(PF_OP_FLOORDIV, d, step, &n, err);
  pf_decref(d);
  if (st != PF_OK)
    return st;
  if (is_neg(n)) {
    pf_decref(n);
    n = pf_int(0);
  }
  pf_brange *b = calloc(1, sizeof *b);
  if (!b) {
    pf_decref(n);
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  }
  pf_obj_init(&b->h, &pf_type_brange);
  b->start = pf_incref(start);
  b->stop = pf_incref(stop);
  b->step = pf_incref(step);
  b->len = n;
  *out = pf_obj_val(&b->h);
  return PF_OK;
}

/* r[i] for an int "i" (borrowed); new in *out. */
pf_status_t pf_brange_item(pf_val rv, pf_val i, pf_val *out, pf_err *err) {
  pf_brange *b = (pf_brange *)rv.u.o;
  pf_val idx = pf_incref(i), t;
  if (is_neg(idx)) {
    if (op2(PF_OP_ADD, idx, b->len, &t, err) != PF_OK) {
      pf_decref(idx);
      return PF_EPYEXC;
    }
    pf_decref(idx);
    idx = t;
  }
  pf_val ge;
  if (is_neg(idx) || pf_val_compare(PF_CMP_GE, idx, b->len, &ge, err) != PF_OK || ge.u.i) {
    pf_decref(idx);
    return pf_raise(err, PF_EXC_IndexError, "range object index out of range");
  }
  pf_status_t st = op2(PF_OP_MUL, idx, b->step, &t, err);
  pf_decref(idx);
  if (st != PF_OK)
    return st;
  st = op2(PF_OP_ADD, b->start, t, out, err);
  pf_decref(t);
  return st;
}

/* r[lo:hi:st] as a new range, as Python (the length must fit in 64 bits). */
pf_status_t pf_brange_slice(pf_val rv, pf_val lo, pf_val hi, pf_val st, pf_val *out, pf_err *err) {
  pf_brange *b = (pf_brange *)rv.u.o;
  if (b->len.tag != PF_INT)
    return pf_raise(err, PF_EXC_OverflowError, "slicing a range longer than 2**63 is not supported in pyfora");
  pf_val ir, sl;
  if (pf_range_new(0, b->len.u.i, 1, &ir, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t s2 = pf_val_getslice(ir, lo, hi, st, &sl, err);
  pf_decref(ir);
  if (s2 != PF_OK)
    return s2;
  int64_t a, z, k, n;
  pf_range_get(sl, &a, &z, &k, &n);
  pf_decref(sl);
  pf_val va, vz, vk, t;
  /* start + a*step, start + z*step, step*k */
  if (op2(PF_OP_MUL, pf_int(a), b->step, &t, err) != PF_OK)
    return PF_EPYEXC;
  s2 = op2(PF_OP_ADD, b->start, t, &va, err);
  pf_decref(t);
  if (s2 != PF_OK)
    return s2;
  if (op2(PF_OP_MUL, pf_int(z), b->step, &t, err) != PF_OK || op2(PF_OP_ADD, b->start, t, &vz, err) != PF_OK) {
    pf_decref(va);
    return PF_EPYEXC;
  }
  pf_decref(t);
  if (op2(PF_OP_MUL, pf_int(k), b->step, &vk, err) != PF_OK) {
    pf_decref(va);
    pf_decref(vz);
    return PF_EPYEXC;
  }
  s2 = pf_brange_new(va, vz, vk, out, err);
  pf_decref(va);
  pf_decref(vz);
  pf_decref(vk);
  return s2;
}

/* x in r. */
pf_status_t pf_brange_contains(pf_val rv, pf_val x, bool *found, pf_err *err) {
  pf_brange *b = (pf_brange *)rv.u.o;
  *found = false;
  if (!pf_is_int(x))
    return PF_OK;
  bool neg = is_neg(b->step);
  pf_val lo, hi, d, m;
  if (pf_val_compare(neg ? PF_CMP_LE : PF_CMP_GE, x, b->start, &lo, err) != PF_OK ||
      pf_val_compare(neg ? PF_CMP_GT : PF_CMP_LT, x, b->stop, &hi, err) != PF_OK)
    return PF_EPYEXC;
  if (!lo.u.i || !hi.u.i)
    return PF_OK;
  if (op2(PF_OP_SUB, x, b->start, &d, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t st = op2(PF_OP_MOD, d, b->step, &m, err);
  pf_decref(d);
  if (st != PF_OK)
    return st;
  *found = m.tag == PF_INT && m.u.i == 0;
  pf_decref(m);
  return PF_OK;
}

/* r.index(x) for an int x that is in r: (x - start) // step, new in *out. */
pf_status_t pf_brange_index(pf_val rv, pf_val x, pf_val *out, pf_err *err) {
  pf_brange *b = (pf_brange *)rv.u.o;
  pf_val d;
  if (op2(PF_OP_SUB, x, b->start, &d, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t st = op2(PF_OP_FLOORDIV, d, b->step, out, err);
  pf_decref(d);
  return st;
}

/* Next item of an iterator over a big range (it->src: next value, it->f: the range). */
int pf_brange_next(pf_iter *it, pf_val *out, pf_err *err) {
  pf_brange *b = (pf_brange *)it->f.u.o;
  pf_val c;
  if (pf_val_compare(is_neg(b->step) ? PF_CMP_GT : PF_CMP_LT, it->src, b->stop, &c, err) != PF_OK)
    return -1;
  if (!c.u.i)
    return 0;
  pf_val nx;
  if (op2(PF_OP_ADD, it->src, b->step, &nx, err) != PF_OK)
    return -1;
  *out = it->src;
  it->src = nx;
  return 1;
}
