/* dunder.c — Python protocols that may call a user class's dunder methods from native code:
 * truthiness (__bool__/__len__), rich comparisons (__eq__/__lt__ …, also inside tuples and
 * lists), membership (__contains__, __iter__), str/repr (also inside containers) and
 * iteration (__iter__/__next__). User code runs through pf_call_sync (a nested loop). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static bool is_inst(pf_val v) { return pf_is_type(v, &pf_type_inst); }

static const char *tname(pf_val v) {
  return is_inst(v) ? ((pf_inst *)v.u.o)->cls->name : pf_type_name(v);
}

static pf_status_t fail(void) { return PF_EPYEXC; }

static bool user_eq(pf_val v);
static bool key_user(pf_val v);

/* Whether comparing "v" may need user code: an instance, or a tuple/list holding one (or a
 * dict view, which compares as a set). */
bool pf_needs_run(pf_val v) {
  if (v.tag != PF_OBJ)
    return false;
  if (is_inst(v) || pf_is_dview(v))
    return true;
  if (pf_is_type(v, &pf_type_tuple)) {
    for (size_t i = 0, n = pf_tuple_len(v); i < n; i++)
      if (pf_needs_run(pf_tuple_get(v, i)))
        return true;
  } else if (pf_is_type(v, &pf_type_list)) {
    for (size_t i = 0, n = pf_list_len(v); i < n; i++)
      if (pf_needs_run(pf_list_get(v, i)))
        return true;
  } else if (pf_is_set_val(v) || pf_is_type(v, &pf_type_dict)) {
    /* instances with __eq__ are identity-hashed in each set or dict: two of them compare
       through pf_set_align */
    bool dict = pf_is_type(v, &pf_type_dict);
    for (size_t i = 0, n = pf_set_len(v); i < n; i++) {
      pf_val k = pf_set_item(v, i), x;
      if (key_user(k))
        return true;
      if (dict && (pf_dict_entry(v, i, &k, &x), pf_needs_run(x)))
        return true;
    }
  }
  return false;
}

/* Set (or dict) "b" with each instance that equals (by __hash__, then __eq__) an element (a
 * key) of set (dict) "a" replaced by that element (new in *out; "b" itself when nothing
 * changes), so that ==, <=, -, &, |, ^ of the two see equal instances as Python does. */
pf_status_t pf_set_align(pf_run *r, pf_val a, pf_val b, pf_val *out) {
  size_t n = pf_set_len(b);
  bool any = false;
  for (size_t i = 0; i < n && !any; i++)
    any = key_user(pf_set_item(b, i));
  for (size_t i = 0, na = pf_set_len(a); i < na && any; i++)
    if (key_user(pf_set_item(a, i)))
      break;
    else if (i + 1 == na)
      any = false;
  if (!any || pf_set_len(a) == 0) {
    *out = pf_incref(b);
    return PF_OK;
  }
  bool dict = pf_is_type(b, &pf_type_dict);
  pf_val *items = malloc((n + 1) * sizeof *items), *vals = malloc((n + 1) * sizeof *vals);
  if (!items || !vals) {
    free(items);
    free(vals);
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    pf_val k = pf_set_item(b, i), v = pf_none();
    if (dict)
      pf_dict_entry(b, i, &k, &v);
    if (pf_canon_key(r, a, k, &items[i]) != PF_OK) {
      for (size_t j = 0; j < i; j++) {
        pf_decref(items[j]);
        if (dict)
          pf_decref(vals[j]);
      }
      free(items);
      free(vals);
      return PF_EPYEXC;
    }
    vals[i] = pf_incref(v);
  }
  pf_status_t st = dict ? pf_dict_new(n, items, vals, out, &r->err) /* they take the references */
                        : pf_set_new(n, items, pf_is_type(b, &pf_type_frozenset), out, &r->err);
  free(items);
  free(vals);
  return st;
}

/* Calls method "m" of instance "self" with one optional argument. */
static int call_m(pf_run *r, pf_val m, pf_val self, pf_val arg, pf_val *out) {
  pf_val args[2] = {self, arg};
  return pf_call_sync(r, m, args, arg.tag == PF_UNBOUND ? 1 : 2, out);
}

/* bool(v) with __bool__ then __len__ for instances. */
pf_status_t pf_truthy_run(pf_run *r, pf_val v, bool *out) {
  if (pf_is_dview(v)) {
    *out = pf_dict_len(((pf_dview *)v.u.o)->d) != 0;
    return PF_OK;
  }
  if (pf_is_type(v, &pf_type_brange)) {
    pf_val n = ((pf_brange *)v.u.o)->len;
    *out = !(n.tag == PF_INT && n.u.i == 0);
    return PF_OK;
  }
  if (!is_inst(v))
    return pf_val_truthy(v, out, &r->err);
  pf_class *cls = ((pf_inst *)v.u.o)->cls;
  pf_val m, res;
  if (pf_class_lookup(cls, "__bool__", &m)) {
    if (call_m(r, m, v, pf_unbound(), &res) < 0)
      return fail();
    if (res.tag != PF_BOOL) {
      pf_raise_run(r, PF_EXC_TypeError, "__bool__ should return bool, returned %s", tname(res));
      pf_decref(res);
      return fail();
    }
    *out = res.u.i != 0;
    return PF_OK;
  }
  if (pf_class_lookup(cls, "__len__", &m)) {
    if (call_m(r, m, v, pf_unbound(), &res) < 0)
      return fail();
    if (!pf_is_int(res)) {
      pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer", tname(res));
      pf_decref(res);
      return fail();
    }
    bool neg = res.tag == PF_INT ? res.u.i < 0 : false;
    bool nz = res.tag != PF_INT || res.u.i != 0;
    if (res.tag == PF_BOOL)
      nz = res.u.i != 0;
    pf_decref(res);
    if (neg) {
      pf_raise_run(r, PF_EXC_ValueError, "__len__() should return >= 0");
      return fail();
    }
    *out = nz;
    return PF_OK;
  }
  *out = true;
  return PF_OK;
}

static const char *const cmp_sym[] = {"<", "<=", ">", ">=", "==", "!="};

static size_t seq_len(pf_val v) {
  return pf_is_type(v, &pf_type_list) ? pf_list_len(v) : pf_tuple_len(v);
}
static pf_val seq_get(pf_val v, size_t i) {
  return pf_is_type(v, &pf_type_list) ? pf_list_get(v, i) : pf_tuple_get(v, i);
}

static int cmp_index(pf_cmpop op) {
  switch (op) {
  case PF_CMP_LT: return 0;
  case PF_CMP_LE: return 1;
  case PF_CMP_GT: return 2;
  case PF_CMP_GE: return 3;
  case PF_CMP_EQ: return 4;
  default: return 5;
  }
}

/* Whether "v" is the NotImplemented singleton. */
bool pf_is_notimpl(pf_val v) {
  return v.tag == PF_OBJ && v.u.o == &pf_builtin_get(BI_NotImplemented)->h;
}

/* Whether "v" compares as a set: a set, a frozenset, or a keys or items view. */
static bool set_like(pf_val v) {
  return pf_is_set_val(v) || pf_is_type(v, &pf_type_dkeys) || pf_is_type(v, &pf_type_ditems);
}

/* The items of "v" (a set, or a keys or items view) as a set (new in *out). */
static pf_status_t view_set(pf_run *r, pf_val v, pf_val *out) {
  if (!pf_is_dview(v)) {
    *out = pf_incref(v);
    return PF_OK;
  }
  pf_val *items;
  size_t n;
  if (pf_collect_run(r, v, &items, &n) != PF_OK)
    return fail();
  pf_status_t st = pf_set_new(n, items, false, out, &r->err); /* the keys are distinct */
  free(items);
  return st;
}

/* a <op> b with user dunders (reflected as Python does), elementwise for tuples/lists. */
pf_status_t pf_compare_run(pf_run *r, pf_cmpop op, pf_val a, pf_val b, pf_val *out) {
  static const char *const m1[] = {"__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"};
  static const char *const m2[] = {"__gt__", "__ge__", "__lt__", "__le__", "__eq__", "__ne__"};
  int ci = cmp_index(op);
  if (is_inst(a) || is_inst(b)) {
    pf_val m;
    if (is_inst(a) && pf_class_lookup(((pf_inst *)a.u.o)->cls, m1[ci], &m)) {
      if (call_m(r, m, a, b, out) < 0)
        return fail();
      if (!pf_is_notimpl(*out))
        return PF_OK;
      pf_decref(*out);
    }
    if (is_inst(b) && pf_class_lookup(((pf_inst *)b.u.o)->cls, m2[ci], &m)) {
      if (call_m(r, m, b, a, out) < 0)
        return fail();
      if (!pf_is_notimpl(*out))
        return PF_OK;
      pf_decref(*out);
    }
    if (op == PF_CMP_NE) { /* default __ne__ inverts __eq__ */
      pf_val e;
      if (pf_compare_run(r, PF_CMP_EQ, a, b, &e) != PF_OK)
        return fail();
      bool t;
      pf_status_t st = pf_truthy_run(r, e, &t);
      pf_decref(e);
      if (st != PF_OK)
        return fail();
      *out = pf_bool(!t);
      return PF_OK;
    }
    if (op == PF_CMP_EQ) {
      *out = pf_bool(a.tag == b.tag && a.u.i == b.u.i);
      return PF_OK;
    }
    pf_raise_run(r, PF_EXC_TypeError, "'%s' not supported between instances of '%s' and '%s'",
                 cmp_sym[ci], tname(a), tname(b));
    return fail();
  }
  if (pf_is_dview(a) || pf_is_dview(b)) {
    /* keys and items views compare as sets with sets, frozensets and such views; anything
       else (values views too) by identity, and ordering raises */
    if (!set_like(a) || !set_like(b)) {
      if (op == PF_CMP_EQ || op == PF_CMP_NE) {
        bool same = a.tag == b.tag && a.u.i == b.u.i;
        *out = pf_bool(op == PF_CMP_EQ ? same : !same);
        return PF_OK;
      }
      pf_raise_run(r, PF_EXC_TypeError, "'%s' not supported between instances of '%s' and '%s'",
                   cmp_sym[ci], tname(a), tname(b));
      return fail();
    }
    pf_val sa, sb;
    if (view_set(r, a, &sa) != PF_OK)
      return fail();
    if (view_set(r, b, &sb) != PF_OK) {
      pf_decref(sa);
      return fail();
    }
    pf_status_t st = pf_compare_run(r, op, sa, sb, out);
    pf_decref(sa);
    pf_decref(sb);
    return st;
  }
  if ((pf_is_set_val(a) && pf_is_set_val(b)) ||
      (pf_is_type(a, &pf_type_dict) && pf_is_type(b, &pf_type_dict))) {
    /* a's elements (keys) are looked up in b, so b's __eq__ runs first, as in Python */
    pf_val a2;
    if (pf_set_align(r, b, a, &a2) != PF_OK)
      return fail();
    if (!pf_is_type(a, &pf_type_dict) || (op != PF_CMP_EQ && op != PF_CMP_NE)) {
      pf_status_t st = pf_val_compare(op, a2, b, out, &r->err);
      pf_decref(a2);
      return st;
    }
    /* two dicts: the same keys, and values equal with their __eq__ */
    bool eq = pf_dict_len(a2) == pf_dict_len(b);
    for (size_t i = 0, n = pf_dict_len(a2); eq && i < n; i++) {
      pf_val k, v, w;
      bool found;
      pf_dict_entry(a2, i, &k, &v);
      if (pf_dict_lookup(b, k, &found, &w, &r->err) != PF_OK ||
          (found && pf_eq_run(r, v, w, &eq) != PF_OK)) {
        pf_decref(a2);
        return fail();
      }
      eq = eq && found;
    }
    pf_decref(a2);
    *out = pf_bool(op == PF_CMP_EQ ? eq : !eq);
    return PF_OK;
  }
  bool seqs = (pf_is_type(a, &pf_type_tuple) && pf_is_type(b, &pf_type_tuple)) ||
              (pf_is_type(a, &pf_type_list) && pf_is_type(b, &pf_type_list));
  if (!seqs || (!pf_needs_run(a) && !pf_needs_run(b)))
    return pf_val_compare(op, a, b, out, &r->err);
  size_t na = seq_len(a), nb = seq_len(b);
  for (size_t i = 0; i < na && i < nb; i++) {
    pf_val x = seq_get(a, i), y = seq_get(b, i);
    bool eq;
    if (x.tag == y.tag && x.tag == PF_OBJ && x.u.o == y.u.o)
      continue;
    if (pf_eq_run(r, x, y, &eq) != PF_OK)
      return fail();
    if (eq)
      continue;
    if (op == PF_CMP_EQ || op == PF_CMP_NE) {
      *out = pf_bool(op == PF_CMP_NE);
      return PF_OK;
    }
    return pf_compare_run(r, op, x, y, out);
  }
  return pf_val_compare(op, pf_int((int64_t)na), pf_int((int64_t)nb), out, &r->err);
}

/* a <op> b as a C bool (truthiness of the comparison's result), with user dunders. */
pf_status_t pf_cmp_bool_run(pf_run *r, pf_cmpop op, pf_val a, pf_val b, bool *out) {
  pf_val v;
  if (pf_compare_run(r, op, a, b, &v) != PF_OK)
    return fail();
  pf_status_t st = v.tag == PF_BOOL ? (*out = v.u.i != 0, PF_OK) : pf_truthy_run(r, v, out);
  pf_decref(v);
  return st;
}

/* a == b as a C bool, with user dunders; the same object is equal to itself without them,
 * as in Python's containers. */
pf_status_t pf_eq_run(pf_run *r, pf_val a, pf_val b, bool *out) {
  if (!pf_needs_run(a) && !pf_needs_run(b))
    return pf_val_eq(a, b, out, &r->err);
  if (a.tag == PF_OBJ && b.tag == PF_OBJ && a.u.o == b.u.o) {
    *out = true;
    return PF_OK;
  }
  return pf_cmp_bool_run(r, PF_CMP_EQ, a, b, out);
}

/* a < b as a C bool, with user dunders. */
pf_status_t pf_lt_run(pf_run *r, pf_val a, pf_val b, bool *out) {
  if (!pf_needs_run(a) && !pf_needs_run(b)) {
    pf_val v;
    if (pf_val_compare(PF_CMP_LT, a, b, &v, &r->err) != PF_OK)
      return fail();
    *out = v.u.i != 0;
    return PF_OK;
  }
  return pf_cmp_bool_run(r, PF_CMP_LT, a, b, out);
}

/* Scans iterator "it" (borrowed) for "item". */
static pf_status_t scan_iter(pf_run *r, pf_val it, pf_val item, bool *out) {
  *out = false;
  for (;;) {
    pf_val v;
    int k = pf_next_sync(r, it, &v);
    if (k < 0)
      return fail();
    if (k == 0)
      return PF_OK;
    bool eq = v.tag == item.tag && v.u.i == item.u.i && v.tag == PF_OBJ;
    pf_status_t st = eq ? PF_OK : pf_eq_run(r, v, item, &eq);
    pf_decref(v);
    if (st != PF_OK)
      return fail();
    if (eq) {
      *out = true;
      return PF_OK;
    }
  }
}

/* item in c, with __contains__/__iter__/__eq__ of instances. */
pf_status_t pf_contains_run(pf_run *r, pf_val c, pf_val item, bool *out) {
  if (is_inst(c)) {
    pf_val m, res;
    if (pf_class_lookup(((pf_inst *)c.u.o)->cls, "__contains__", &m)) {
      if (call_m(r, m, c, item, &res) < 0)
        return fail();
      pf_status_t st = pf_truthy_run(r, res, out);
      pf_decref(res);
      return st;
    }
    if (!pf_class_lookup(((pf_inst *)c.u.o)->cls, "__iter__", &m) &&
        !pf_class_lookup(((pf_inst *)c.u.o)->cls, "__getitem__", &m)) {
      pf_raise_run(r, PF_EXC_TypeError, "argument of type '%s' is not iterable", tname(c));
      return fail();
    }
  }
  if (is_inst(c) || pf_is_type(c, &pf_type_gen) || pf_is_type(c, &pf_type_iter)) {
    pf_val it;
    if (pf_iter_run(r, c, &it) != PF_OK)
      return fail();
    pf_status_t st = scan_iter(r, it, item, out);
    pf_decref(it);
    return st;
  }
  if ((pf_is_type(c, &pf_type_list) || pf_is_type(c, &pf_type_tuple)) && pf_needs_run(item)) {
    for (size_t i = 0, n = seq_len(c); i < n; i++) {
      pf_val v = seq_get(c, i);
      bool eq = v.tag == item.tag && v.tag == PF_OBJ && v.u.o == item.u.o;
      if (!eq && pf_eq_run(r, v, item, &eq) != PF_OK)
        return fail();
      if (eq) {
        *out = true;
        return PF_OK;
      }
    }
    *out = false;
    return PF_OK;
  }
  if (pf_is_type(c, &pf_type_brange))
    return pf_brange_contains(c, item, out, &r->err);
  if (pf_is_dview(c)) {
    pf_dview *w = (pf_dview *)c.u.o;
    if (w->kind == DV_KEYS)
      return pf_contains_run(r, w->d, item, out);
    if (w->kind == DV_ITEMS) {
      *out = false;
      if (!pf_is_type(item, &pf_type_tuple) || pf_tuple_len(item) != 2)
        return PF_OK;
      pf_val k, v;
      bool found;
      if (pf_canon_key(r, w->d, pf_tuple_get(item, 0), &k) != PF_OK)
        return fail();
      pf_status_t st = pf_dict_lookup(w->d, k, &found, &v, &r->err);
      pf_decref(k);
      if (st != PF_OK)
        return fail();
      return found ? pf_eq_run(r, v, pf_tuple_get(item, 1), out) : PF_OK;
    }
    pf_val it;
    if (pf_iter_run(r, c, &it) != PF_OK)
      return fail();
    pf_status_t st = scan_iter(r, it, item, out);
    pf_decref(it);
    return st;
  }
  if (key_user(item) && (pf_is_type(c, &pf_type_dict) || pf_is_type(c, &pf_type_set) ||
                        pf_is_type(c, &pf_type_frozenset))) {
    pf_val k;
    if (pf_canon_key(r, c, item, &k) != PF_OK)
      return fail();
    pf_status_t st = pf_val_contains(c, k, out, &r->err);
    pf_decref(k);
    return st;
  }
  return pf_val_contains(c, item, out, &r->err);
}

/* ---------------------------------------------------------------- str / repr */

typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
}
static void sb_cstr(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static bool needs_repr_run(pf_val v) {
  if (v.tag != PF_OBJ)
    return false;
  if (is_inst(v))
    return true;
  if (pf_is_type(v, &pf_type_tuple) || pf_is_type(v, &pf_type_list)) {
    for (size_t i = 0, n = seq_len(v); i < n; i++)
      if (needs_repr_run(seq_get(v, i)))
        return true;
  } else if (pf_is_type(v, &pf_type_dict)) {
    for (size_t i = 0, n = pf_dict_len(v); i < n; i++) {
      pf_val k, x;
      pf_dict_entry(v, i, &k, &x);
      if (needs_repr_run(k) || needs_repr_run(x))
        return true;
    }
  } else if (pf_is_type(v, &pf_type_set) || pf_is_type(v, &pf_type_frozenset)) {
    for (size_t i = 0, n = pf_set_len(v); i < n; i++)
      if (needs_repr_run(pf_set_item(v, i)))
        return true;
  }
  return false;
}

static pf_status_t repr_into(pf_run *r, sbuf *b, pf_val v) {
  pf_val s;
  if (pf_repr_run(r, v, false, &s) != PF_OK)
    return fail();
  size_t n;
  const char *p = pf_str_utf8(s, &n);
  sb_add(b, p, n);
  pf_decref(s);
  return PF_OK;
}

static pf_status_t container_repr(pf_run *r, pf_val v, pf_val *out) {
  sbuf b = {0};
  pf_status_t st = PF_OK;
  bool tup = pf_is_type(v, &pf_type_tuple), dict = pf_is_type(v, &pf_type_dict);
  bool fz = pf_is_type(v, &pf_type_frozenset);
  size_t n = tup || pf_is_type(v, &pf_type_list) ? seq_len(v) : dict ? pf_dict_len(v) : pf_set_len(v);
  sb_cstr(&b, tup ? "(" : dict ? "{" : pf_is_type(v, &pf_type_list) ? "[" : fz ? "frozenset({" : "{");
  for (size_t i = 0; i < n && st == PF_OK; i++) {
    if (i)
      sb_cstr(&b, ", ");
    if (dict) {
      pf_val k, x;
      pf_dict_entry(v, i, &k, &x);
      st = repr_into(r, &b, k);
      sb_cstr(&b, ": ");
      if (st == PF_OK)
        st = repr_into(r, &b, x);
    } else
      st = repr_into(r, &b, tup || !(pf_is_type(v, &pf_type_set) || fz) ? seq_get(v, i) : pf_set_item(v, i));
  }
  if (tup && n == 1)
    sb_cstr(&b, ",");
  sb_cstr(&b, tup ? ")" : dict ? "}" : pf_is_type(v, &pf_type_list) ? "]" : fz ? "})" : "}");
  if (st == PF_OK && b.oom)
    st = pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  if (st == PF_OK)
    st = pf_str_new(b.p, b.n, out, &r->err);
  free(b.p);
  return st;
}

/* str(v) ("str") or repr(v) with __str__/__repr__ of instances, also inside containers. */
pf_status_t pf_repr_run(pf_run *r, pf_val v, bool str, pf_val *out) {
  if (is_inst(v)) {
    pf_inst *in = (pf_inst *)v.u.o;
    pf_val m;
    bool found = (str && pf_class_lookup(in->cls, "__str__", &m)) || pf_class_lookup(in->cls, "__repr__", &m);
    if (found) {
      if (call_m(r, m, v, pf_unbound(), out) < 0)
        return fail();
      if (!pf_is_type(*out, &pf_type_str)) {
        pf_raise_run(r, PF_EXC_TypeError, "__%s__ returned non-string (type %s)", str ? "str" : "repr",
                     tname(*out));
        pf_decref(*out);
        return fail();
      }
      return PF_OK;
    }
    if (str && in->cls->is_exc)
      return pf_exc_str(v, out, &r->err);
    return pf_val_repr(v, out, &r->err);
  }
  if (pf_is_type(v, &pf_type_str) || !needs_repr_run(v))
    return str ? pf_val_str(v, out, &r->err) : pf_val_repr(v, out, &r->err);
  return container_repr(r, v, out);
}

/* ---------------------------------------------------------------- iteration */

/* iter(src) with __iter__ of instances; user iterators (with __next__) are wrapped. */
pf_status_t pf_iter_run(pf_run *r, pf_val src, pf_val *out) {
  if (pf_is_type(src, &pf_type_gen)) {
    *out = pf_incref(src);
    return PF_OK;
  }
  if (!is_inst(src))
    return pf_iter_new(src, out, &r->err);
  pf_val m, it;
  pf_class *cls = ((pf_inst *)src.u.o)->cls;
  if (!pf_class_lookup(cls, "__iter__", &m)) {
    if (pf_class_lookup(cls, "__next__", &m))
      it = pf_incref(src);
    else if (pf_class_lookup(cls, "__getitem__", &m)) { /* the old sequence protocol */
      pf_iter *w = calloc(1, sizeof *w);
      if (!w)
        return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
      pf_obj_init(&w->h, &pf_type_iter);
      w->kind = IT_NATIVE;
      w->nkind = NK_SEQ;
      w->src = pf_incref(src);
      w->f = pf_unbound();
      *out = pf_obj_val(&w->h);
      return PF_OK;
    } else {
      pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not iterable", cls->name);
      return fail();
    }
  } else if (call_m(r, m, src, pf_unbound(), &it) < 0)
    return fail();
  if (!is_inst(it)) {
    if (pf_is_type(it, &pf_type_gen) || pf_is_type(it, &pf_type_iter)) {
      *out = it;
      return PF_OK;
    }
    pf_raise_run(r, PF_EXC_TypeError, "iter() returned non-iterator of type '%s'", tname(it));
    pf_decref(it);
    return fail();
  }
  if (!pf_class_lookup(((pf_inst *)it.u.o)->cls, "__next__", &m)) {
    pf_raise_run(r, PF_EXC_TypeError, "iter() returned non-iterator of type '%s'", tname(it));
    pf_decref(it);
    return fail();
  }
  pf_iter *w = calloc(1, sizeof *w);
  if (!w) {
    pf_decref(it);
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  }
  pf_obj_init(&w->h, &pf_type_iter);
  w->kind = IT_NATIVE;
  w->nkind = NK_USER;
  w->src = it;
  w->f = pf_unbound();
  *out = pf_obj_val(&w->h);
  return PF_OK;
}

/* Collects every item of "src" (borrowed) into a new array of new references. */
pf_status_t pf_collect_run(pf_run *r, pf_val src, pf_val **items_p, size_t *n_p) {
  pf_val it;
  if (pf_iter_run(r, src, &it) != PF_OK)
    return fail();
  pf_listb b;
  pf_listb_init(&b);
  for (;;) {
    pf_val v;
    int k = pf_next_sync(r, it, &v);
    if (k == 0)
      break;
    if (k < 0 || pf_listb_push(&b, v, &r->err) != PF_OK) {
      pf_decref(it);
      pf_listb_discard(&b);
      return fail();
    }
  }
  pf_decref(it);
  *items_p = b.items;
  *n_p = b.n;
  return PF_OK;
}

/* -v, +v, ~v with the unary dunders of instances. */
pf_status_t pf_unary_run(pf_run *r, pf_unop op, pf_val v, pf_val *out) {
  if (!is_inst(v))
    return pf_val_unop(op, v, out, &r->err);
  const char *mn = op == PF_OP_NEG ? "__neg__" : op == PF_OP_POS ? "__pos__" : "__invert__";
  pf_val m;
  if (!pf_class_lookup(((pf_inst *)v.u.o)->cls, mn, &m)) {
    pf_raise_run(r, PF_EXC_TypeError, "bad operand type for unary %s: '%s'",
                 op == PF_OP_NEG ? "-" : op == PF_OP_POS ? "+" : "~", tname(v));
    return fail();
  }
  return call_m(r, m, v, pf_unbound(), out) < 0 ? fail() : PF_OK;
}

/* ---------------------------------------------------------------- instances as keys */

static bool user_eq(pf_val v) {
  pf_val m;
  return is_inst(v) && pf_class_lookup(((pf_inst *)v.u.o)->cls, "__eq__", &m);
}

/* Whether "v" as a dict key or set element needs __hash__/__eq__ of instances to be found: an
 * instance defining __eq__, or a tuple or frozenset holding one at any depth. Plain keys go
 * straight to the native hash trie. */
static bool key_user(pf_val v) {
  if (v.tag != PF_OBJ)
    return false;
  if (is_inst(v))
    return user_eq(v);
  if (pf_is_type(v, &pf_type_tuple)) {
    for (size_t i = 0, n = pf_tuple_len(v); i < n; i++)
      if (key_user(pf_tuple_get(v, i)))
        return true;
  } else if (pf_is_type(v, &pf_type_frozenset)) {
    for (size_t i = 0, n = pf_set_len(v); i < n; i++)
      if (key_user(pf_set_item(v, i)))
        return true;
  }
  return false;
}

/* Whether hash(v) may need an instance's __hash__: an instance, or a tuple or frozenset
 * holding one. */
static bool hash_user(pf_val v) {
  if (v.tag != PF_OBJ)
    return false;
  if (is_inst(v))
    return true;
  if (pf_is_type(v, &pf_type_tuple)) {
    for (size_t i = 0, n = pf_tuple_len(v); i < n; i++)
      if (hash_user(pf_tuple_get(v, i)))
        return true;
  } else if (pf_is_type(v, &pf_type_frozenset)) {
    for (size_t i = 0, n = pf_set_len(v); i < n; i++)
      if (hash_user(pf_set_item(v, i)))
        return true;
  }
  return false;
}

/* hash(v) through the class's __hash__ (cached on the immutable instance). */
static pf_status_t user_hash(pf_run *r, pf_val v, int64_t *out) {
  pf_inst *in = (pf_inst *)v.u.o;
  /* instances are shared between workers: the cache is published with release/acquire */
  if (__atomic_load_n(&in->has_uhash, __ATOMIC_ACQUIRE)) {
    *out = __atomic_load_n(&in->uhash, __ATOMIC_RELAXED);
    return PF_OK;
  }
  pf_val m, h;
  /* a class defining __eq__ without __hash__ is unhashable, as in Python */
  bool unhashable = true;
  for (pf_class *c = in->cls; c; c = c->base) {
    bool eq = false, hs = false;
    for (uint32_t i = 0; i < c->nattrs; i++) {
      eq |= !strcmp(c->anames[i], "__eq__");
      hs |= !strcmp(c->anames[i], "__hash__");
    }
    if (hs || eq) {
      unhashable = !hs;
      break;
    }
  }
  if (unhashable || !pf_class_lookup(in->cls, "__hash__", &m) || m.tag == PF_NONE) {
    pf_raise_run(r, PF_EXC_TypeError, "unhashable type: '%s'", in->cls->name);
    return fail();
  }
  if (call_m(r, m, v, pf_unbound(), &h) < 0)
    return fail();
  if (!pf_is_int(h)) {
    pf_decref(h);
    pf_raise_run(r, PF_EXC_TypeError, "__hash__ method should return an integer");
    return fail();
  }
  /* as CPython: a result that fits a machine word is the hash itself (-1 becomes -2), a
     bigger int is hashed */
  pf_status_t st = PF_OK;
  if (h.tag == PF_INT || h.tag == PF_BOOL)
    *out = h.u.i == -1 ? -2 : h.u.i;
  else
    st = pf_val_hash(h, out, &r->err);
  pf_decref(h);
  if (st != PF_OK)
    return fail();
  __atomic_store_n(&in->uhash, *out, __ATOMIC_RELAXED);
  __atomic_store_n(&in->has_uhash, true, __ATOMIC_RELEASE);
  return PF_OK;
}

typedef struct hent {
  int64_t h;
  size_t i;
} hent;

static int hent_cmp(const void *a, const void *b) {
  const hent *x = a, *y = b;
  if (x->h != y->h)
    return x->h < y->h ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Makes each instance key of keys[0..n) that equals an earlier one (by __hash__, then __eq__)
 * that earlier object, so identity-hashed dicts and sets collide them; the replaced
 * references are released. Errors (unhashable, a raising __eq__) leave keys valid. */
pf_status_t pf_canon_keys(pf_run *r, pf_val *keys, size_t n) {
  size_t k = 0;
  int64_t h1;
  for (size_t i = 0; i < n; i++)
    k += key_user(keys[i]);
  if (k < 2) {
    for (size_t i = 0; k && i < n; i++)
      if (key_user(keys[i]))
        return pf_hash_run(r, keys[i], &h1);
    return PF_OK;
  }
  hent *hs = malloc(k * sizeof *hs);
  if (!hs)
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  k = 0;
  for (size_t i = 0; i < n; i++)
    if (key_user(keys[i])) {
      if (pf_hash_run(r, keys[i], &hs[k].h) != PF_OK) {
        free(hs);
        return fail();
      }
      hs[k++].i = i;
    }
  qsort(hs, k, sizeof *hs, hent_cmp);
  for (size_t a = 0; a < k; a++)
    for (size_t b = a; b-- > 0 && hs[b].h == hs[a].h;) {
      pf_val x = keys[hs[b].i], y = keys[hs[a].i];
      if (x.u.o == y.u.o)
        break;
      bool eq;
      if (pf_eq_run(r, x, y, &eq) != PF_OK) {
        free(hs);
        return fail();
      }
      if (eq) {
        keys[hs[a].i] = pf_incref(x);
        pf_decref(y);
        break;
      }
    }
  free(hs);
  return PF_OK;
}

/* Whether a tuple or frozenset "a" can only differ from "b" without running user code. */
static bool surely_ne(pf_val a, pf_val b) {
  bool ta = pf_is_type(a, &pf_type_tuple), tb = pf_is_type(b, &pf_type_tuple);
  bool fa = pf_is_type(a, &pf_type_frozenset), fb = pf_is_type(b, &pf_type_frozenset);
  if (ta && tb)
    return pf_tuple_len(a) != pf_tuple_len(b);
  if (fa && fb)
    return pf_set_len(a) != pf_set_len(b);
  return (ta && fb) || (fa && tb);
}

/* The key of dict/set "c" equal to "key" (an instance, or a tuple or frozenset holding one)
 * (new in *out), or "key" itself. */
pf_status_t pf_canon_key(pf_run *r, pf_val c, pf_val key, pf_val *out) {
  *out = pf_incref(key);
  if (!key_user(key))
    return PF_OK;
  int64_t h;
  if (pf_hash_run(r, key, &h) != PF_OK) {
    pf_decref(*out);
    return fail();
  }
  bool dict = pf_is_type(c, &pf_type_dict);
  if (!dict && !pf_is_type(c, &pf_type_set) && !pf_is_type(c, &pf_type_frozenset))
    return PF_OK;
  size_t n = dict ? pf_dict_len(c) : pf_set_len(c);
  for (size_t i = 0; i < n; i++) {
    pf_val k, v;
    if (dict)
      pf_dict_entry(c, i, &k, &v);
    else
      k = pf_set_item(c, i);
    if (!key_user(k) || k.u.o == key.u.o || surely_ne(k, key))
      continue;
    int64_t hk;
    if (pf_hash_run(r, k, &hk) != PF_OK) {
      pf_decref(*out);
      return fail();
    }
    if (hk != h)
      continue;
    bool eq;
    if (pf_eq_run(r, k, key, &eq) != PF_OK) {
      pf_decref(*out);
      return fail();
    }
    if (eq) {
      pf_decref(*out);
      *out = pf_incref(k);
      return PF_OK;
    }
  }
  return PF_OK;
}

#define XXPRIME_1 UINT64_C(11400714785074694791)
#define XXPRIME_2 UINT64_C(14029467366897019727)
#define XXPRIME_5 UINT64_C(2870177450012600261)
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

static uint64_t shuffle_bits(uint64_t h) {
  return ((h ^ UINT64_C(89869747)) ^ (h << 16)) * UINT64_C(3644798167);
}

/* hash(v) with the __hash__ of instances, also inside tuples and frozensets (CPython's
 * combining functions, as pf_val_hash). */
pf_status_t pf_hash_run(pf_run *r, pf_val v, int64_t *out) {
  if (is_inst(v)) {
    pf_val m;
    pf_class *cls = ((pf_inst *)v.u.o)->cls;
    if (pf_class_lookup(cls, "__eq__", &m) || pf_class_lookup(cls, "__hash__", &m))
      return user_hash(r, v, out);
  } else if (pf_is_type(v, &pf_type_tuple) && hash_user(v)) {
    uint64_t acc = XXPRIME_5;
    size_t n = pf_tuple_len(v);
    for (size_t i = 0; i < n; i++) {
      int64_t h;
      if (pf_hash_run(r, pf_tuple_get(v, i), &h) != PF_OK)
        return fail();
      acc += (uint64_t)h * XXPRIME_2;
      acc = XXROTATE(acc);
      acc *= XXPRIME_1;
    }
    acc += (uint64_t)n ^ (XXPRIME_5 ^ UINT64_C(3527539));
    *out = acc == UINT64_MAX ? 1546275796 : (int64_t)acc;
    return PF_OK;
  } else if (pf_is_type(v, &pf_type_frozenset) && hash_user(v)) {
    uint64_t hash = 0;
    size_t n = pf_set_len(v);
    for (size_t i = 0; i < n; i++) {
      int64_t h;
      if (pf_hash_run(r, pf_set_item(v, i), &h) != PF_OK)
        return fail();
      hash ^= shuffle_bits((uint64_t)h);
    }
    hash ^= ((uint64_t)n + 1) * UINT64_C(1927868237);
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + UINT64_C(907133923);
    if (hash == UINT64_MAX)
      hash = 590923713;
    *out = (int64_t)hash;
    return PF_OK;
  }
  return pf_val_hash(v, out, &r->err);
}
