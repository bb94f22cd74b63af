/* ops.c — the generic operations on data values: binop, unop, comparison, equality,
 * truthiness, len, hash, subscripts, membership. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

static pf_status_t unsupported(pf_binop op, pf_val a, pf_val b, pf_err *err) {
  if (op == PF_OP_POW)
    return pf_raise(err, PF_EXC_TypeError,
                    "unsupported operand type(s) for ** or pow(): '%s' and '%s'", pf_type_name(a),
                    pf_type_name(b));
  return pf_raise(err, PF_EXC_TypeError, "unsupported operand type(s) for %s: '%s' and '%s'",
                  pf_binop_symbol(op), pf_type_name(a), pf_type_name(b));
}

/* Repetition count of "n" (an int) for seq * n. */
static pf_status_t repeat_count(pf_val n, int64_t *out, pf_err *err) {
  if (pf_is_big(n)) {
    if (mpz_sgn(PF_BIG(n)) < 0) {
      *out = 0;
      return PF_OK;
    }
    return pf_raise(err, PF_EXC_OverflowError, "cannot fit 'int' into an index-sized integer");
  }
  *out = n.u.i;
  return PF_OK;
}

static pf_status_t seq_binop(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  bool sa = pf_is_str(a) || pf_is_tuple(a) || pf_is_list(a);
  bool sb = pf_is_str(b) || pf_is_tuple(b) || pf_is_list(b);
  if (op == PF_OP_ADD && sa) {
    if (!pf_is_type(b, a.u.o->type))
      return pf_raise(err, PF_EXC_TypeError, pf_is_str(a)
                                                 ? "can only concatenate %s (not \"%s\") to %s"
                                                 : "can only concatenate %s (not \"%s\") to %s",
                      pf_type_name(a), pf_type_name(b), pf_type_name(a));
    return pf_is_str(a) ? pf_str_concat(a, b, out, err) : pf_seq_concat(a, b, out, err);
  }
  if (op == PF_OP_MUL && (sa || sb)) {
    pf_val s = sa ? a : b, n = sa ? b : a;
    if (!pf_is_int(n))
      return pf_raise(err, PF_EXC_TypeError, "can't multiply sequence by non-int of type '%s'",
                      pf_type_name(n));
    int64_t k = 0;
    if (repeat_count(n, &k, err) != PF_OK)
      return PF_EPYEXC;
    return pf_is_str(s) ? pf_str_repeat(s, k, out, err) : pf_seq_repeat(s, k, out, err);
  }
  if (op == PF_OP_MOD && pf_is_str(a))
    return pf_str_format(a, b, out, err);
  return unsupported(op, a, b, err);
}

static pf_status_t set_binop(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  pf_listb lb;
  pf_listb_init(&lb);
  size_t na = pf_set_len(a), nb = pf_set_len(b);
  bool found;
  pf_status_t st = PF_OK;
  if (op == PF_OP_BITOR || op == PF_OP_BITXOR || op == PF_OP_SUB || op == PF_OP_BITAND) {
    for (size_t i = 0; i < na && st == PF_OK; i++) {
      pf_val x = pf_set_item(a, i);
      if (op == PF_OP_BITOR) {
        st = pf_listb_push(&lb, pf_incref(x), err);
        continue;
      }
      st = pf_set_contains(b, x, &found, err);
      if (st == PF_OK && (op == PF_OP_BITAND) == found)
        st = pf_listb_push(&lb, pf_incref(x), err);
    }
    if (op == PF_OP_BITOR || op == PF_OP_BITXOR)
      for (size_t i = 0; i < nb && st == PF_OK; i++) {
        pf_val x = pf_set_item(b, i);
        st = pf_set_contains(a, x, &found, err);
        if (st == PF_OK && !found)
          st = pf_listb_push(&lb, pf_incref(x), err);
      }
  } else {
    pf_listb_discard(&lb);
    return unsupported(op, a, b, err);
  }
  if (st != PF_OK) {
    pf_listb_discard(&lb);
    return st;
  }
  st = pf_set_new(lb.n, lb.items, pf_is_type(a, &pf_type_frozenset), out, err);
  free(lb.items);
  return st;
}

static pf_status_t dict_or(pf_val a, pf_val b, pf_val *out, pf_err *err) {
  size_t na = pf_dict_len(a), nb = pf_dict_len(b), n = na + nb;
  pf_val *k = pf_vmalloc((n ? n : 1) * sizeof *k), *v = pf_vmalloc((n ? n : 1) * sizeof *v);
  if (!k || !v) {
    free(k);
    free(v);
    return pf_nomem(err);
  }
  for (size_t i = 0; i < n; i++) {
    pf_dict_entry(i < na ? a : b, i < na ? i : i - na, &k[i], &v[i]);
    pf_incref(k[i]);
    pf_incref(v[i]);
  }
  pf_status_t st = pf_dict_new(n, k, v, out, err);
  free(k);
  free(v);
  return st;
}

pf_status_t pf_val_binop(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  if (pf_is_int(a) && pf_is_int(b)) {
    if (a.tag == PF_BOOL && b.tag == PF_BOOL &&
        (op == PF_OP_BITAND || op == PF_OP_BITOR || op == PF_OP_BITXOR)) {
      int64_t r = op == PF_OP_BITAND ? (a.u.i & b.u.i)
                  : op == PF_OP_BITOR ? (a.u.i | b.u.i)
                                      : (a.u.i ^ b.u.i);
      *out = pf_bool(r != 0);
      return PF_OK;
    }
    return pf_int_binop(op, a, b, out, err);
  }
  if (pf_is_num(a) && pf_is_num(b)) {
    if (op >= PF_OP_LSHIFT)
      return unsupported(op, a, b, err);
    double x, y;
    if (a.tag == PF_FLOAT)
      x = a.u.f;
    else if (pf_int_to_double(a, &x, err) != PF_OK)
      return PF_EPYEXC;
    if (b.tag == PF_FLOAT)
      y = b.u.f;
    else if (pf_int_to_double(b, &y, err) != PF_OK)
      return PF_EPYEXC;
    return pf_float_binop(op, x, y, out, err);
  }
  if (pf_is_anyset(a) && pf_is_anyset(b))
    return set_binop(op, a, b, out, err);
  if (op == PF_OP_BITOR && pf_is_type(a, &pf_type_dict) && pf_is_type(b, &pf_type_dict))
    return dict_or(a, b, out, err);
  return seq_binop(op, a, b, out, err);
}

pf_status_t pf_val_unop(pf_unop op, pf_val a, pf_val *out, pf_err *err) {
  if (op == PF_OP_NOT) {
    bool t;
    if (pf_val_truthy(a, &t, err) != PF_OK)
      return PF_EPYEXC;
    *out = pf_bool(!t);
    return PF_OK;
  }
  if (pf_is_int(a)) {
    if (op == PF_OP_POS) {
      *out = pf_is_big(a) ? pf_incref(a) : pf_int(a.u.i);
      return PF_OK;
    }
    if (!pf_is_big(a) && a.u.i != INT64_MIN) {
      *out = pf_int(op == PF_OP_NEG ? -a.u.i : ~a.u.i);
      return PF_OK;
    }
    mpz_t z;
    mpz_init(z);
    pf_int_to_mpz(a, z);
    if (op == PF_OP_NEG)
      mpz_neg(z, z);
    else
      mpz_com(z, z);
    return pf_int_from_mpz_take(z, out, err);
  }
  if (a.tag == PF_FLOAT && op != PF_OP_INVERT) {
    *out = pf_float(op == PF_OP_NEG ? -a.u.f : a.u.f);
    return PF_OK;
  }
  return pf_raise(err, PF_EXC_TypeError, "bad operand type for unary %s: '%s'",
                  op == PF_OP_NEG ? "-" : op == PF_OP_POS ? "+" : "~", pf_type_name(a));
}

/* ---------------------------------------------------------------- equality, order */

static bool range_eq(pf_val a, pf_val b) {
  pf_range *x = PF_RANGE(a), *y = PF_RANGE(b);
  if (x->len != y->len)
    return false;
  if (x->len == 0)
    return true;
  if (x->start != y->start)
    return false;
  return x->len == 1 || x->step == y->step;
}

/* "a" is "b" (the same object, or inline values with the same bits) or a == b. */
pf_status_t pf_val_eq_item(pf_val a, pf_val b, bool *eq, pf_err *err) {
  if (a.tag == b.tag && a.u.i == b.u.i) {
    *eq = true;
    return PF_OK;
  }
  return pf_val_eq(a, b, eq, err);
}

pf_status_t pf_val_eq(pf_val a, pf_val b, bool *eq, pf_err *err) {
  if (pf_is_num(a) && pf_is_num(b)) {
    if (a.tag == PF_FLOAT && b.tag == PF_FLOAT)
      *eq = a.u.f == b.u.f;
    else if (a.tag == PF_FLOAT)
      *eq = pf_int_cmp_float(b, a.u.f) == 0;
    else if (b.tag == PF_FLOAT)
      *eq = pf_int_cmp_float(a, b.u.f) == 0;
    else
      *eq = pf_int_cmp(a, b) == 0;
    return PF_OK;
  }
  if (a.tag != PF_OBJ || b.tag != PF_OBJ) {
    *eq = a.tag == b.tag && (a.tag == PF_NONE || a.tag == PF_UNBOUND);
    return PF_OK;
  }
  if (a.u.o == b.u.o) {
    *eq = true;
    return PF_OK;
  }
  const pf_type *ta = a.u.o->type, *tb = b.u.o->type;
  *eq = false;
  if (pf_is_anyset(a) && pf_is_anyset(b)) {
    if (pf_set_len(a) != pf_set_len(b))
      return PF_OK;
    return pf_set_subset(a, b, eq, err);
  }
  if (ta != tb)
    return PF_OK;
  if (ta == &pf_type_str) {
    *eq = pf_str_eq(a, b);
  } else if (ta == &pf_type_list) {
    if (pf_list_len(a) != pf_list_len(b))
      return PF_OK;
    pf_list_iter ia, ib;
    pf_val x, y;
    pf_list_iter_init(&ia, a, 0);
    pf_list_iter_init(&ib, b, 0);
    while (pf_list_iter_next(&ia, &x) && pf_list_iter_next(&ib, &y)) {
      bool e;
      if (pf_val_eq_item(x, y, &e, err) != PF_OK)
        return PF_EPYEXC;
      if (!e)
        return PF_OK;
    }
    *eq = true;
  } else if (ta == &pf_type_tuple) {
    pf_seq *x = PF_SEQ(a), *y = PF_SEQ(b);
    if (x->n != y->n)
      return PF_OK;
    for (size_t i = 0; i < x->n; i++) {
      bool e;
      if (pf_val_eq_item(x->items[i], y->items[i], &e, err) != PF_OK)
        return PF_EPYEXC;
      if (!e)
        return PF_OK;
    }
    *eq = true;
  } else if (ta == &pf_type_range) {
    *eq = range_eq(a, b);
  } else if (ta == &pf_type_dict) {
    if (pf_dict_len(a) != pf_dict_len(b))
      return PF_OK;
    for (size_t i = 0; i < pf_dict_len(a); i++) {
      pf_val k, v, w;
      bool found, e;
      pf_dict_entry(a, i, &k, &v);
      if (pf_dict_lookup(b, k, &found, &w, err) != PF_OK)
        return PF_EPYEXC;
      if (!found)
        return PF_OK;
      if (pf_val_eq_item(v, w, &e, err) != PF_OK)
        return PF_EPYEXC;
      if (!e)
        return PF_OK;
    }
    *eq = true;
  }
  return PF_OK;
}

static bool cmp_result(pf_cmpop op, int c) {
  switch (op) {
  case PF_CMP_LT:
    return c < 0;
  case PF_CMP_LE:
    return c <= 0;
  case PF_CMP_GT:
    return c > 0;
  case PF_CMP_GE:
    return c >= 0;
  case PF_CMP_EQ:
    return c == 0;
  case PF_CMP_NE:
    return c != 0;
  }
  return false;
}

static pf_status_t order(pf_cmpop op, pf_val a, pf_val b, bool *res, pf_err *err) {
  if (pf_is_num(a) && pf_is_num(b)) {
    int c;
    if (a.tag == PF_FLOAT && b.tag == PF_FLOAT) {
      if (isnan(a.u.f) || isnan(b.u.f)) {
        *res = false;
        return PF_OK;
      }
      c = (a.u.f > b.u.f) - (a.u.f < b.u.f);
    } else if (a.tag == PF_FLOAT) {
      c = pf_int_cmp_float(b, a.u.f);
      if (c == 2) {
        *res = false;
        return PF_OK;
      }
      c = -c;
    } else if (b.tag == PF_FLOAT) {
      c = pf_int_cmp_float(a, b.u.f);
      if (c == 2) {
        *res = false;
        return PF_OK;
      }
    } else {
      c = pf_int_cmp(a, b);
    }
    *res = cmp_result(op, c);
    return PF_OK;
  }
  if (pf_is_str(a) && pf_is_str(b)) {
    *res = cmp_result(op, pf_str_cmp(a, b));
    return PF_OK;
  }
  if (pf_is_list(a) && pf_is_list(b)) {
    size_t na = pf_list_len(a), nb = pf_list_len(b);
    pf_list_iter ia, ib;
    pf_val x, y;
    pf_list_iter_init(&ia, a, 0);
    pf_list_iter_init(&ib, b, 0);
    while (pf_list_iter_next(&ia, &x) && pf_list_iter_next(&ib, &y)) {
      bool e;
      if (pf_val_eq_item(x, y, &e, err) != PF_OK)
        return PF_EPYEXC;
      if (!e)
        return order(op, x, y, res, err);
    }
    *res = cmp_result(op, (na > nb) - (na < nb));
    return PF_OK;
  }
  if (pf_is_tuple(a) && pf_is_tuple(b)) {
    pf_seq *x = PF_SEQ(a), *y = PF_SEQ(b);
    size_t i;
    for (i = 0; i < x->n && i < y->n; i++) {
      bool e;
      if (pf_val_eq_item(x->items[i], y->items[i], &e, err) != PF_OK)
        return PF_EPYEXC;
      if (!e)
        return order(op, x->items[i], y->items[i], res, err);
    }
    *res = cmp_result(op, (x->n > y->n) - (x->n < y->n));
    return PF_OK;
  }
  if (pf_is_anyset(a) && pf_is_anyset(b)) {
    size_t na = pf_set_len(a), nb = pf_set_len(b);
    bool sub;
    switch (op) {
    case PF_CMP_LT:
    case PF_CMP_LE:
      if (op == PF_CMP_LT && na >= nb) {
        *res = false;
        return PF_OK;
      }
      return pf_set_subset(a, b, res, err);
    default:
      if (op == PF_CMP_GT && nb >= na) {
        *res = false;
        return PF_OK;
      }
      if (pf_set_subset(b, a, &sub, err) != PF_OK)
        return PF_EPYEXC;
      *res = sub;
      return PF_OK;
    }
  }
  return pf_raise(err, PF_EXC_TypeError, "'%s' not supported between instances of '%s' and '%s'",
                  pf_cmpop_symbol(op), pf_type_name(a), pf_type_name(b));
}

pf_status_t pf_val_compare(pf_cmpop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  bool r;
  if (op == PF_CMP_EQ || op == PF_CMP_NE) {
    if (pf_val_eq(a, b, &r, err) != PF_OK)
      return PF_EPYEXC;
    if (op == PF_CMP_NE)
      r = !r;
  } else if (order(op, a, b, &r, err) != PF_OK) {
    return PF_EPYEXC;
  }
  *out = pf_bool(r);
  return PF_OK;
}

/* ---------------------------------------------------------------- truth, len, hash */

pf_status_t pf_val_len(pf_val v, int64_t *out, pf_err *err) {
  if (pf_is_str(v))
    *out = (int64_t)pf_str_len(v);
  else if (pf_is_tuple(v))
    *out = (int64_t)PF_SEQ(v)->n;
  else if (pf_is_list(v))
    *out = (int64_t)pf_list_len(v);
  else if (pf_is_type(v, &pf_type_range))
    *out = PF_RANGE(v)->len;
  else if (pf_is_type(v, &pf_type_dict) || pf_is_anyset(v))
    *out = (int64_t)pf_set_len(v);
  else
    return pf_raise(err, PF_EXC_TypeError, "object of type '%s' has no len()", pf_type_name(v));
  return PF_OK;
}

pf_status_t pf_val_truthy(pf_val v, bool *out, pf_err *err) {
  switch ((pf_tag)v.tag) {
  case PF_NONE:
  case PF_UNBOUND:
    *out = false;
    return PF_OK;
  case PF_BOOL:
  case PF_INT:
    *out = v.u.i != 0;
    return PF_OK;
  case PF_FLOAT:
    *out = v.u.f != 0.0;
    return PF_OK;
  case PF_OBJ:
    break;
  }
  if (pf_is_big(v)) {
    *out = true;
    return PF_OK;
  }
  int64_t n;
  if (pf_val_len(v, &n, NULL) == PF_OK) {
    *out = n != 0;
    return PF_OK;
  }
  *out = true;
  (void)err;
  return PF_OK;
}

#define XXPRIME_1 UINT64_C(11400714785074694791)
#define XXPRIME_2 UINT64_C(14029467366897019727)
#define XXPRIME_5 UINT64_C(2870177450012600261)
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

static int64_t tuple_hash_of(size_t n, const int64_t *lanes) {
  uint64_t acc = XXPRIME_5;
  for (size_t i = 0; i < n; i++) {
    acc += (uint64_t)lanes[i] * XXPRIME_2;
    acc = XXROTATE(acc);
    acc *= XXPRIME_1;
  }
  acc += (uint64_t)n ^ (XXPRIME_5 ^ UINT64_C(3527539));
  if (acc == UINT64_MAX)
    return 1546275796;
  return (int64_t)acc;
}

static uint64_t shuffle_bits(uint64_t h) {
  return ((h ^ UINT64_C(89869747)) ^ (h << 16)) * UINT64_C(3644798167);
}

pf_status_t pf_val_hash(pf_val v, int64_t *out, pf_err *err) {
  switch ((pf_tag)v.tag) {
  case PF_NONE:
  case PF_UNBOUND:
    *out = 0xFCA86420;
    return PF_OK;
  case PF_BOOL:
  case PF_INT:
    *out = pf_int_hash(v);
    return PF_OK;
  case PF_FLOAT:
    *out = pf_float_hash(v.u.f);
    return PF_OK;
  case PF_OBJ:
    break;
  }
  const pf_type *t = v.u.o->type;
  if (t == &pf_type_bigint) {
    *out = pf_int_hash(v);
  } else if (t == &pf_type_str) {
    *out = PF_STR(v)->hash;
  } else if (t == &pf_type_tuple) {
    pf_seq *s = PF_SEQ(v);
    uint64_t acc = XXPRIME_5;
    for (size_t i = 0; i < s->n; i++) {
      int64_t h;
      if (pf_val_hash(s->items[i], &h, err) != PF_OK)
        return PF_EPYEXC;
      acc += (uint64_t)h * XXPRIME_2;
      acc = XXROTATE(acc);
      acc *= XXPRIME_1;
    }
    acc += (uint64_t)s->n ^ (XXPRIME_5 ^ UINT64_C(3527539));
    *out = acc == UINT64_MAX ? 1546275796 : (int64_t)acc;
  } else if (t == &pf_type_range) {
    pf_range *r = PF_RANGE(v);
    int64_t none = 0xFCA86420;
    int64_t lanes[3] = {pf_int_hash(pf_int(r->len)), none, none};
    if (r->len > 0)
      lanes[1] = pf_int_hash(pf_int(r->start));
    if (r->len > 1)
      lanes[2] = pf_int_hash(pf_int(r->step));
    *out = tuple_hash_of(3, lanes);
  } else if (t == &pf_type_frozenset) {
    uint64_t hash = pf_set_xor_hashes(v, shuffle_bits);
    hash ^= ((uint64_t)pf_set_len(v) + 1) * UINT64_C(1927868237);
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + UINT64_C(907133923);
    if (hash == UINT64_MAX)
      hash = 590923713;
    *out = (int64_t)hash;
  } else if (t == &pf_type_list || t == &pf_type_dict || t == &pf_type_set) {
    return pf_raise(err, PF_EXC_TypeError, "unhashable type: '%s'", t->name);
  } else {
    uint64_t y = (uint64_t)(uintptr_t)v.u.o;
    y = (y >> 4) | (y << 60);
    *out = (int64_t)y == -1 ? -2 : (int64_t)y;
  }
  return PF_OK;
}

/* ---------------------------------------------------------------- subscripts */

pf_status_t pf_val_getitem(pf_val c, pf_val index, pf_val *out, pf_err *err) {
  int64_t i, n;
  if (pf_is_type(c, &pf_type_dict)) {
    bool found;
    pf_val v;
    if (pf_dict_lookup(c, index, &found, &v, err) != PF_OK)
      return PF_EPYEXC;
    if (!found) {
      pf_sb b;
      pf_sb_init(&b);
      pf_status_t st = pf_val_repr_sb(&b, index, err);
      if (st == PF_OK)
        st = pf_raise(err, PF_EXC_KeyError, "%s", b.p ? b.p : "");
      pf_sb_free(&b);
      return st;
    }
    *out = pf_incref(v);
    return PF_OK;
  }
  if (pf_is_str(c)) {
    if (pf_index_value(index, "string", &i, err) != PF_OK)
      return PF_EPYEXC;
    return pf_str_getitem(c, i, out, err);
  }
  if (pf_is_tuple(c) || pf_is_list(c)) {
    const char *what = pf_is_tuple(c) ? "tuple" : "list";
    if (pf_index_value(index, what, &i, err) != PF_OK)
      return PF_EPYEXC;
    n = pf_is_tuple(c) ? (int64_t)PF_SEQ(c)->n : (int64_t)pf_list_len(c);
    if (i < 0)
      i += n;
    if (i < 0 || i >= n)
      return pf_raise(err, PF_EXC_IndexError, "%s index out of range", what);
    *out = pf_incref(pf_is_tuple(c) ? PF_SEQ(c)->items[i] : pf_list_get(c, (size_t)i));
    return PF_OK;
  }
  if (pf_is_type(c, &pf_type_range)) {
    if (pf_is_big(index))
      return pf_raise(err, PF_EXC_IndexError, "range object index out of range");
    if (pf_index_value(index, "range", &i, err) != PF_OK)
      return PF_EPYEXC;
    n = PF_RANGE(c)->len;
    if (i < 0)
      i += n;
    if (i < 0 || i >= n)
      return pf_raise(err, PF_EXC_IndexError, "range object index out of range");
    *out = pf_int(pf_range_item(c, i));
    return PF_OK;
  }
  return pf_raise(err, PF_EXC_TypeError, "'%s' object is not subscriptable", pf_type_name(c));
}

pf_status_t pf_val_getslice(pf_val c, pf_val start, pf_val stop, pf_val step, pf_val *out,
                            pf_err *err) {
  int64_t len, a, z, s, slen;
  if (pf_is_str(c) || pf_is_tuple(c) || pf_is_list(c) || pf_is_type(c, &pf_type_range)) {
    if (pf_val_len(c, &len, err) != PF_OK ||
        pf_slice_indices(start, stop, step, len, &a, &z, &s, &slen, err) != PF_OK)
      return PF_EPYEXC;
    if (pf_is_str(c))
      return pf_str_slice(c, a, s, slen, out, err);
    if (pf_is_type(c, &pf_type_range))
      return pf_range_slice(c, a, z, s, slen, out, err);
    return pf_seq_slice(c, a, s, slen, out, err);
  }
  return pf_raise(err, PF_EXC_TypeError, "'%s' object is not subscriptable", pf_type_name(c));
}

pf_status_t pf_val_contains(pf_val c, pf_val item, bool *out, pf_err *err) {
  if (pf_is_str(c)) {
    if (!pf_is_str(item))
      return pf_raise(err, PF_EXC_TypeError, "'in <string>' requires string as left operand, not %s",
                      pf_type_name(item));
    *out = pf_str_contains(c, item);
    return PF_OK;
  }
  if (pf_is_list(c)) {
    pf_list_iter it;
    pf_val x;
    pf_list_iter_init(&it, c, 0);
    *out = false;
    while (pf_list_iter_next(&it, &x)) {
      bool e;
      if (pf_val_eq_item(x, item, &e, err) != PF_OK)
        return PF_EPYEXC;
      if (e) {
        *out = true;
        break;
      }
    }
    return PF_OK;
  }
  if (pf_is_tuple(c)) {
    pf_seq *s = PF_SEQ(c);
    *out = false;
    for (size_t i = 0; i < s->n; i++) {
      bool e;
      if (pf_val_eq_item(s->items[i], item, &e, err) != PF_OK)
        return PF_EPYEXC;
      if (e) {
        *out = true;
        break;
      }
    }
    return PF_OK;
  }
  if (pf_is_type(c, &pf_type_range)) {
    pf_range *r = PF_RANGE(c);
    *out = false;
    if (pf_is_int(item)) {
      int64_t x;
      if (!pf_int_as_i64(item, &x) || r->len == 0)
        return PF_OK;
      __int128 d = (__int128)x - r->start;
      if (r->step > 0 ? (x < r->start || x >= r->stop) : (x > r->start || x <= r->stop))
        return PF_OK;
      *out = d % r->step == 0;
      return PF_OK;
    }
    if (item.tag == PF_FLOAT && isfinite(item.u.f) && item.u.f == floor(item.u.f) &&
        fabs(item.u.f) < 9.2e18) /* only an integral float can equal an int */
      return pf_val_contains(c, pf_int((int64_t)item.u.f), out, err);
    return PF_OK;
  }
  if (pf_is_type(c, &pf_type_dict) || pf_is_anyset(c))
    return pf_set_contains(c, item, out, err);
  return pf_raise(err, PF_EXC_TypeError, "argument of type '%s' is not iterable",
                  pf_type_name(c));
}
