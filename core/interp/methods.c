/* methods.c — non-mutating methods of int, float, list, tuple, dict, set, frozenset and range
 * that the basic dispatch in builtins_call.c lacks; binary operators on instances from
 * native code (sum, accumulate). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static int ret(pf_run *r, pf_val v) {
  r->ret = v;
  return NS_RETURN;
}
static int ret_st(pf_run *r, pf_status_t st, pf_val v) { return st == PF_OK ? ret(r, v) : NS_RAISE; }

static bool is_set(pf_val v) { return pf_is_type(v, &pf_type_set) || pf_is_type(v, &pf_type_frozenset); }

/* a <op> b with __op__/__rop__ of instances, from native code. */
static pf_status_t to_set(pf_run *r, pf_val v, pf_val *out);

pf_status_t pf_binop_run(pf_run *r, pf_binop op, pf_val a, pf_val b, pf_val *out) {
  static const char *const bn[][2] = {
      {"__add__", "__radd__"}, {"__sub__", "__rsub__"}, {"__mul__", "__rmul__"},
      {"__truediv__", "__rtruediv__"}, {"__floordiv__", "__rfloordiv__"}, {"__mod__", "__rmod__"},
      {"__pow__", "__rpow__"}, {"__lshift__", "__rlshift__"}, {"__rshift__", "__rrshift__"},
      {"__and__", "__rand__"}, {"__or__", "__ror__"}, {"__xor__", "__rxor__"},
      {"__matmul__", "__rmatmul__"}};
  pf_val m;
  bool ia = pf_is_type(a, &pf_type_inst), ib = pf_is_type(b, &pf_type_inst);
  if (op == PF_OP_MOD && pf_is_type(a, &pf_type_str) &&
      !(ib && pf_class_lookup(((pf_inst *)b.u.o)->cls, "__rmod__", &m)))
    return pf_mod_run(r, a, b, out);
  if ((op == PF_OP_BITAND || op == PF_OP_BITOR || op == PF_OP_SUB || op == PF_OP_BITXOR) &&
      pf_is_set_val(a) && pf_is_set_val(b) && (pf_needs_run(a) || pf_needs_run(b))) {
    pf_val b2; /* equal instances of the two sets are one element */
    if (pf_set_align(r, a, b, &b2) != PF_OK)
      return PF_EPYEXC;
    pf_status_t st = pf_val_binop(op, a, b2, out, &r->err);
    pf_decref(b2);
    return st;
  }
  if ((unsigned)op < sizeof bn / sizeof bn[0] && (ia || ib)) {
    if (ia && pf_class_lookup(((pf_inst *)a.u.o)->cls, bn[op][0], &m)) {
      pf_val args[2] = {a, b};
      if (pf_call_sync(r, m, args, 2, out) != 1)
        return PF_EPYEXC;
      if (!pf_is_notimpl(*out))
        return PF_OK;
      pf_decref(*out);
    }
    bool same = ia && ib && ((pf_inst *)a.u.o)->cls == ((pf_inst *)b.u.o)->cls;
    if (ib && !same && pf_class_lookup(((pf_inst *)b.u.o)->cls, bn[op][1], &m)) {
      pf_val args[2] = {b, a};
      if (pf_call_sync(r, m, args, 2, out) != 1)
        return PF_EPYEXC;
      if (!pf_is_notimpl(*out))
        return PF_OK;
      pf_decref(*out);
    }
    static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "** or pow()", "<<", ">>", "&", "|", "^", "@"};
    return pf_raise(&r->err, PF_EXC_TypeError, "unsupported operand type(s) for %s: '%s' and '%s'", sym[op],
                    ia ? ((pf_inst *)a.u.o)->cls->name : pf_type_name(a),
                    ib ? ((pf_inst *)b.u.o)->cls->name : pf_type_name(b));
  }
  if ((pf_is_dview(a) || pf_is_dview(b)) &&
      (op == PF_OP_BITAND || op == PF_OP_BITOR || op == PF_OP_SUB || op == PF_OP_BITXOR)) {
    pf_val sa, sb;
    if (to_set(r, a, &sa) != PF_OK)
      return PF_EPYEXC;
    if (to_set(r, b, &sb) != PF_OK) {
      pf_decref(sa);
      return PF_EPYEXC;
    }
    pf_status_t st = pf_binop_run(r, op, sa, sb, out); /* equal instances: one element */
    pf_decref(sa);
    pf_decref(sb);
    return st;
  }
  return pf_val_binop(op, a, b, out, &r->err);
}

/* A new set of the items of any iterable. */
static pf_status_t to_set(pf_run *r, pf_val v, pf_val *out) {
  if (is_set(v)) {
    *out = pf_incref(v);
    return PF_OK;
  }
  pf_val *items;
  size_t n;
  if (pf_collect_run(r, v, &items, &n) != PF_OK)
    return PF_EPYEXC;
  if (pf_canon_keys(r, items, n) != PF_OK) { /* equal instances: one element */
    for (size_t i = 0; i < n; i++)
      pf_decref(items[i]);
    free(items);
    return PF_EPYEXC;
  }
  pf_status_t st = pf_set_new(n, items, false, out, &r->err);
  free(items);
  return st;
}

static int set_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  static const struct {
    const char *n;
    pf_binop op;
  } ops[] = {{"union", PF_OP_BITOR}, {"intersection", PF_OP_BITAND}, {"difference", PF_OP_SUB},
             {"symmetric_difference", PF_OP_BITXOR}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (!strcmp(m, ops[i].n)) {
      if (ops[i].op == PF_OP_BITXOR && nargs != 1)
        return pf_raise_run(r, PF_EXC_TypeError, "symmetric_difference() takes exactly one argument (%u given)", nargs);
      pf_val acc = pf_incref(self);
      for (uint32_t k = 0; k < nargs; k++) {
        pf_val o, nx;
        if (to_set(r, args[k], &o) != PF_OK) {
          pf_decref(acc);
          return NS_RAISE;
        }
        pf_status_t st = pf_binop_run(r, ops[i].op, acc, o, &nx); /* equal instances: one */
        pf_decref(o);
        pf_decref(acc);
        if (st != PF_OK)
          return NS_RAISE;
        acc = nx;
      }
      if (!nargs && pf_is_type(self, &pf_type_set)) { /* s.union() is a copy */
        pf_decref(acc);
        return ret(r, pf_incref(self));
      }
      return ret(r, acc);
    }
  if (!strcmp(m, "copy") && nargs == 0)
    return ret(r, pf_incref(self));
  if ((!strcmp(m, "isdisjoint") || !strcmp(m, "issubset") || !strcmp(m, "issuperset")) && nargs == 1) {
    pf_val o, o1;
    if (to_set(r, args[0], &o1) != PF_OK)
      return NS_RAISE;
    pf_status_t sa = pf_set_align(r, self, o1, &o); /* equal instances: one element */
    pf_decref(o1);
    if (sa != PF_OK)
      return NS_RAISE;
    bool super_ = !strcmp(m, "issuperset");
    pf_val sub = super_ ? o : self, sup = super_ ? self : o;
    bool t = true;
    for (size_t i = 0, n = pf_set_len(sub); i < n && t; i++) {
      bool found;
      if (pf_set_contains(sup, pf_set_item(sub, i), &found, &r->err) != PF_OK) {
        pf_decref(o);
        return NS_RAISE;
      }
      t = m[2] == 'd' ? !found : found;
    }
    pf_decref(o);
    return ret(r, pf_bool(t));
  }
  return -1;
}

static int seq_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  bool lst = pf_is_type(self, &pf_type_list);
  if (!strcmp(m, "copy") && lst && nargs == 0)
    return ret(r, pf_incref(self));
  if (!strcmp(m, "index") && nargs >= 1 && nargs <= 3) {
    int64_t n = (int64_t)(lst ? pf_list_len(self) : pf_tuple_len(self)), lo = 0, hi = n;
    for (uint32_t k = 1; k < nargs; k++) {
      if (args[k].tag != PF_INT && args[k].tag != PF_BOOL)
        return pf_raise_run(r, PF_EXC_TypeError, "slice indices must be integers or have an __index__ method");
      int64_t x = args[k].u.i;
      if (x < 0 && (x += n) < 0)
        x = 0;
      if (x > n)
        x = n;
      *(k == 1 ? &lo : &hi) = x;
    }
    for (int64_t i = lo; i < hi; i++) {
      bool eq;
      pf_val v = lst ? pf_list_get(self, (size_t)i) : pf_tuple_get(self, (size_t)i);
      if (pf_eq_run(r, v, args[0], &eq) != PF_OK)
        return NS_RAISE;
      if (eq)
        return ret(r, pf_int(i));
    }
    if (!lst)
      return pf_raise_run(r, PF_EXC_ValueError, "tuple.index(x): x not in tuple");
    pf_val s; /* CPython's message for a list: "5 is not in list" */
    if (pf_val_repr(args[0], &s, &r->err) != PF_OK)
      return NS_RAISE;
    int rc = pf_raise_run(r, PF_EXC_ValueError, "%s is not in list", pf_str_utf8(s, NULL));
    pf_decref(s);
    return rc;
  }
  return -1;
}

static bool range_has(int64_t st, int64_t sp, int64_t step, int64_t x) {
  return ((step > 0 && x >= st && x < sp) || (step < 0 && x <= st && x > sp)) &&
         ((__int128)x - st) % step == 0;
}

static int range_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  if ((strcmp(m, "index") && strcmp(m, "count")) || nargs != 1)
    return -1;
  int64_t st, sp, step, len;
  pf_range_get(self, &st, &sp, &step, &len);
  pf_val v = args[0];
  bool in = false;
  int64_t idx = 0;
  if (v.tag == PF_INT || v.tag == PF_BOOL) {
    int64_t x = v.u.i;
    if ((step > 0 && x >= st && x < sp) || (step < 0 && x <= st && x > sp)) {
      __int128 d = (__int128)x - st;
      if (d % step == 0) {
        in = true;
        idx = (int64_t)(d / step);
      }
    }
  } else if (v.tag == PF_FLOAT && v.u.f == floor(v.u.f) && fabs(v.u.f) < 9e18) {
    pf_val iv = pf_int((int64_t)v.u.f);
    if (m[0] == 'i' && !range_has(st, sp, step, iv.u.i))
      return pf_raise_run(r, PF_EXC_ValueError, "sequence.index(x): x not in sequence");
    return range_method(r, self, m, &iv, 1);
  }
  if (m[0] == 'c')
    return ret(r, pf_int(in ? 1 : 0));
  if (!in && (v.tag == PF_INT || v.tag == PF_BOOL)) /* CPython's messages */
    return pf_raise_run(r, PF_EXC_ValueError, "%lld is not in range", (long long)v.u.i);
  if (!in)
    return pf_raise_run(r, PF_EXC_ValueError, "sequence.index(x): x not in sequence");
  return ret(r, pf_int(idx));
}

/* r.index(x) / r.count(x) of a range whose bounds or length pass 64 bits, for an int x (the
 * methods of any other argument are left out: CPython scans the range for it). */
static int brange_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  if ((strcmp(m, "index") && strcmp(m, "count")) || nargs != 1 || !pf_is_int(args[0]))
    return -1;
  bool in;
  if (pf_brange_contains(self, args[0], &in, &r->err) != PF_OK)
    return NS_RAISE;
  if (m[0] == 'c')
    return ret(r, pf_int(in ? 1 : 0));
  if (!in) {
    pf_val s;
    if (pf_val_repr(args[0], &s, &r->err) != PF_OK)
      return NS_RAISE;
    int rc = pf_raise_run(r, PF_EXC_ValueError, "%s is not in range", pf_str_utf8(s, NULL));
    pf_decref(s);
    return rc;
  }
  pf_val out;
  return ret_st(r, pf_brange_index(self, args[0], &out, &r->err), out);
}

static int num_method(pf_run *r, pf_val self, const char *m, uint32_t nargs) {
  pf_val out;
  if (nargs)
    return -1;
  if (pf_is_int(self)) {
    if (!strcmp(m, "bit_length") || !strcmp(m, "bit_count")) {
      pf_val a, b;
      if (pf_builtin_abs(self, &a, &r->err) != PF_OK)
        return NS_RAISE;
      pf_status_t st = pf_builtin_bin(a, &b, &r->err);
      pf_decref(a);
      if (st != PF_OK)
        return NS_RAISE;
      const char *s = pf_str_utf8(b, NULL);
      int64_t n = 0;
      if (m[4] == 'l')
        n = !strcmp(s, "0b0") ? 0 : (int64_t)strlen(s) - 2;
      else
        for (const char *p = s + 2; *p; p++)
          n += *p == '1';
      pf_decref(b);
      return ret(r, pf_int(n));
    }
    if (!strcmp(m, "conjugate") || !strcmp(m, "__index__") || !strcmp(m, "__int__"))
      return ret(r, self.tag == PF_BOOL ? pf_int(self.u.i) : pf_incref(self));
  }
  if (self.tag == PF_FLOAT) {
    double d = self.u.f;
    if (!strcmp(m, "is_integer"))
      return ret(r, pf_bool(isfinite(d) && d == floor(d)));
    if (!strcmp(m, "conjugate"))
      return ret(r, self);
    if (!strcmp(m, "hex")) {
      char b[64];
      if (isnan(d))
        snprintf(b, sizeof b, "nan");
      else if (isinf(d))
        snprintf(b, sizeof b, d < 0 ? "-inf" : "inf");
      else if (d == 0)
        snprintf(b, sizeof b, signbit(d) ? "-0x0.0p+0" : "0x0.0p+0");
      else
        snprintf(b, sizeof b, "%.13a", d);
      return ret_st(r, pf_str_from_cstr(b, &out, &r->err), out);
    }
    if (!strcmp(m, "as_integer_ratio")) {
      if (!isfinite(d))
        return pf_raise_run(r, isnan(d) ? PF_EXC_ValueError : PF_EXC_OverflowError,
                            isnan(d) ? "cannot convert NaN to integer ratio" : "cannot convert Infinity to integer ratio");
      int e;
      double fr = frexp(d, &e);
      for (int i = 0; i < 300 && fr != floor(fr); i++) {
        fr *= 2.0;
        e--;
      }
      pf_val num, den, one = pf_int(1), sh = pf_int(e < 0 ? -e : e), p2, pair[2];
      if (pf_val_to_int(pf_float(fr), &num, &r->err) != PF_OK)
        return NS_RAISE;
      if (pf_val_binop(PF_OP_LSHIFT, one, sh, &p2, &r->err) != PF_OK) {
        pf_decref(num);
        return NS_RAISE;
      }
      if (e >= 0) {
        pf_status_t st = pf_val_binop(PF_OP_MUL, num, p2, &pair[0], &r->err);
        pf_decref(num);
        pf_decref(p2);
        if (st != PF_OK)
          return NS_RAISE;
        den = pf_int(1);
      } else {
        pair[0] = num;
        den = p2;
      }
      pair[1] = den;
      return ret_st(r, pf_tuple_new(2, pair, &out, &r->err), out);
    }
  }
  return -1;
}

/* Methods of data values handled here: NS_RETURN/NS_RAISE, or -1 when "m" is not one of
 * them. Borrows all. */
int pf_data_method2(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  if (is_set(self))
    return set_method(r, self, m, args, nargs);
  if (pf_is_type(self, &pf_type_list) || pf_is_type(self, &pf_type_tuple))
    return seq_method(r, self, m, args, nargs);
  if (pf_is_type(self, &pf_type_range))
    return range_method(r, self, m, args, nargs);
  if (pf_is_type(self, &pf_type_brange))
    return brange_method(r, self, m, args, nargs);
  if (pf_is_type(self, &pf_type_dict) && !strcmp(m, "copy") && nargs == 0)
    return ret(r, pf_incref(self));
  if ((pf_is_type(self, &pf_type_dkeys) || pf_is_type(self, &pf_type_ditems)) &&
      !strcmp(m, "isdisjoint") && nargs == 1) {
    pf_val s;
    if (to_set(r, self, &s) != PF_OK)
      return NS_RAISE;
    int rc = set_method(r, s, m, args, nargs);
    pf_decref(s);
    return rc;
  }
  if (pf_is_int(self) || self.tag == PF_FLOAT)
    return num_method(r, self, m, nargs);
  return -1;
}

static bool is_decimal_cp(pf_run *r, uint32_t c) {
  char b[5];
  size_t n = 0;
  if (c < 0x80)
    return c >= '0' && c <= '9';
  if (c < 0x800) {
    b[n++] = (char)(0xc0 | (c >> 6));
  } else if (c < 0x10000) {
    b[n++] = (char)(0xe0 | (c >> 12));
    b[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
  } else {
    b[n++] = (char)(0xf0 | (c >> 18));
    b[n++] = (char)(0x80 | ((c >> 12) & 0x3f));
    b[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
  }
  b[n++] = (char)(0x80 | (c & 0x3f));
  pf_val s, t;
  if (pf_str_new(b, n, &s, &r->err) != PF_OK)
    return false;
  bool ok = pf_str_isdecimal(s, &t, &r->err) == PF_OK && t.u.i;
  pf_decref(s);
  return ok;
}

/* For int(s)/float(s): a copy of str "v" with Unicode decimal digits as ASCII digits and
 * Unicode spaces as ' ' (as CPython accepts them); "v" itself when it is ASCII. */
pf_status_t pf_ascii_digits(pf_run *r, pf_val v, pf_val *out) {
  size_t nb;
  const unsigned char *p = (const unsigned char *)pf_str_utf8(v, &nb);
  bool ascii = true;
  for (size_t i = 0; i < nb && ascii; i++)
    ascii = p[i] < 0x80;
  if (ascii) {
    *out = pf_incref(v);
    return PF_OK;
  }
  char *b = malloc(nb + 1);
  if (!b)
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < nb;) {
    uint32_t c = p[i];
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (len > 1)
      c &= len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07;
    for (size_t j = 1; j < len && i + j < nb; j++)
      c = (c << 6) | (p[i + j] & 0x3f);
    if (c >= 0x80 && is_decimal_cp(r, c)) {
      /* decimal digits come in contiguous runs of whole 0..9 groups */
      uint32_t d = 0;
      while (d < 100 && is_decimal_cp(r, c - d - 1))
        d++;
      b[k++] = (char)('0' + d % 10);
    } else if (c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
               c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000)
      b[k++] = ' ';
    else {
      memcpy(b + k, p + i, len);
      k += len;
    }
    i += len;
  }
  pf_status_t st = pf_str_new(b, k, out, &r->err);
  free(b);
  return st;
}
