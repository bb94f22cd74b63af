/* builtins_call.c — dispatch of builtin calls, attribute lookup (modules, instances,
 * classes, methods of data values). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static int ret(pf_run *r, pf_val v) {
  r->ret = v;
  return NS_RETURN;
}
static int ret_st(pf_run *r, pf_status_t st, pf_val v) {
  if (st != PF_OK)
    return NS_RAISE;
  return ret(r, v);
}

static int nargs_err(pf_run *r, const char *name, uint32_t lo, uint32_t hi, uint32_t n) {
  if (lo == hi)
    return pf_raise_run(r, PF_EXC_TypeError, "%s() takes exactly %u argument%s (%u given)", name, lo,
                        lo == 1 ? "" : "s", n);
  return pf_raise_run(r, PF_EXC_TypeError, "%s expected at most %u arguments, got %u", name, hi, n);
}
#define NARGS(lo, hi)                                                                    \
  do {                                                                                   \
    if (nargs < (lo) || nargs > (hi))                                                    \
      return nargs_err(r, b->name, lo, hi, nargs);                                       \
  } while (0)

static pf_val kwarg(const pf_val *kwnames, pf_val *kwvals, uint32_t nkw, const char *name) {
  for (uint32_t i = 0; i < nkw; i++)
    if (!strcmp(pf_str_utf8(kwnames[i], NULL), name))
      return kwvals[i];
  return pf_unbound();
}

static bool is_class(pf_val v) { return pf_is_type(v, &pf_type_class); }

static const char *const type_names[BI_COUNT] = {
    [BI_int] = "int", [BI_float] = "float", [BI_str] = "str", [BI_bool] = "bool", [BI_list] = "list",
    [BI_tuple] = "tuple", [BI_dict] = "dict", [BI_set] = "set", [BI_frozenset] = "frozenset",
    [BI_range] = "range", [BI_object] = "object", [BI_NoneType] = "NoneType", [BI_slice] = "slice"};

/* isinstance(v, t) for one class-ish "t". */
static int isinst1(pf_run *r, pf_val v, pf_val t, bool *out) {
  if (is_class(t)) {
    pf_class *c = (pf_class *)t.u.o;
    *out = pf_is_type(v, &pf_type_inst) && pf_class_is_sub(((pf_inst *)v.u.o)->cls, c);
    if (c->bi == BI_object)
      *out = true;
    return NS_RETURN;
  }
  if (pf_is_type(t, &pf_type_builtin) && type_names[((pf_builtin *)t.u.o)->id]) {
    pf_bi_id id = ((pf_builtin *)t.u.o)->id;
    const char *tn = pf_type_name(v);
    *out = !strcmp(tn, type_names[id]) || (id == BI_int && v.tag == PF_BOOL) || id == BI_object;
    return NS_RETURN;
  }
  if (pf_is_type(t, &pf_type_tuple)) {
    *out = false;
    for (size_t i = 0; i < pf_tuple_len(t) && !*out; i++)
      if (isinst1(r, v, pf_tuple_get(t, i), out) != NS_RETURN)
        return NS_RAISE;
    return NS_RETURN;
  }
  return pf_raise_run(r, PF_EXC_TypeError, "isinstance() arg 2 must be a type, a tuple of types, or a union");
}

static bool is_type_obj(pf_val v) {
  return is_class(v) || (pf_is_type(v, &pf_type_builtin) && ((pf_builtin *)v.u.o)->self.tag == PF_UNBOUND &&
                         type_names[((pf_builtin *)v.u.o)->id]);
}

/* issubclass(a, b) for classes, builtin types and tuples of them. */
static int issub1(pf_run *r, pf_val a, pf_val b, bool *out) {
  if (pf_is_type(b, &pf_type_tuple)) {
    *out = false;
    for (size_t i = 0; i < pf_tuple_len(b) && !*out; i++)
      if (issub1(r, a, pf_tuple_get(b, i), out) != NS_RETURN)
        return NS_RAISE;
    return NS_RETURN;
  }
  if (!is_type_obj(a))
    return pf_raise_run(r, PF_EXC_TypeError, "issubclass() arg 1 must be a class");
  if (!is_type_obj(b))
    return pf_raise_run(r, PF_EXC_TypeError, "issubclass() arg 2 must be a class, a tuple of classes, or a union");
  pf_bi_id ia = is_class(a) ? ((pf_class *)a.u.o)->bi : ((pf_builtin *)a.u.o)->id;
  pf_bi_id ib = is_class(b) ? ((pf_class *)b.u.o)->bi : ((pf_builtin *)b.u.o)->id;
  if (ib == BI_object)
    *out = true;
  else if (is_class(a) && is_class(b))
    *out = pf_class_is_sub((pf_class *)a.u.o, (pf_class *)b.u.o);
  else
    *out = ia != BI_COUNT && (ia == ib || (ia == BI_bool && ib == BI_int));
  return NS_RETURN;
}

static int math_call(pf_run *r, const char *m, pf_val *args, uint32_t nargs) {
  if (!strcmp(m, "fsum")) {
    if (nargs != 1)
      return pf_raise_run(r, PF_EXC_TypeError, "math.fsum() takes exactly one argument (%u given)", nargs);
    return pf_builtin_fold(r, BI_math_fn, args[0], pf_unbound(), pf_unbound(), pf_unbound(), false);
  }
  pf_val out;
  return ret_st(r, pf_math_call(m, nargs, args, &out, &r->err), out);
}

static int module_fn_call(pf_run *r, pf_builtin *b, pf_val *args, uint32_t nargs,
                          const pf_val *kwnames, pf_val *kwvals, uint32_t nkw) {
  const char *mod = ((pf_module *)b->self.u.o)->name;
  const char *m = b->mname;
  if (!strcmp(mod, "math")) {
    if (!strcmp(m, "prod")) {
      pf_val st = nargs > 1 ? args[1] : kwarg(kwnames, kwvals, nkw, "start"), *items, acc;
      size_t n;
      if (nargs < 1)
        return pf_raise_run(r, PF_EXC_TypeError, "prod() takes exactly 1 positional argument (0 given)");
      if (pf_collect_run(r, args[0], &items, &n) != PF_OK)
        return NS_RAISE;
      acc = st.tag == PF_UNBOUND ? pf_int(1) : pf_incref(st);
      pf_status_t s2 = PF_OK;
      for (size_t i = 0; i < n; i++) {
        pf_val nx;
        if (s2 == PF_OK && (s2 = pf_binop_run(r, PF_OP_MUL, acc, items[i], &nx)) == PF_OK) {
          pf_decref(acc);
          acc = nx;
        }
        pf_decref(items[i]);
      }
      free(items);
      if (s2 != PF_OK) {
        pf_decref(acc);
        return NS_RAISE;
      }
      return ret(r, acc);
    }
    if (!strcmp(m, "dist") && nargs == 2) { /* hypot of the differences, as CPython */
      pf_val *p, *q;
      size_t np, nq;
      if (pf_collect_run(r, args[0], &p, &np) != PF_OK)
        return NS_RAISE;
      if (pf_collect_run(r, args[1], &q, &nq) != PF_OK) {
        for (size_t i = 0; i < np; i++)
          pf_decref(p[i]);
        free(p);
        return NS_RAISE;
      }
      pf_status_t s2 = np == nq ? PF_OK : pf_raise(&r->err, PF_EXC_ValueError, "both points must have the same number of dimensions");
      pf_val d[np + 1], fl;
      size_t nd = 0;
      for (size_t i = 0; i < np && s2 == PF_OK; i++) {
        pf_val a1, b1;
        if ((s2 = pf_val_to_float(p[i], &a1, &r->err)) == PF_OK && (s2 = pf_val_to_float(q[i], &b1, &r->err)) == PF_OK)
          d[nd++] = pf_float(a1.u.f - b1.u.f);
      }
      for (size_t i = 0; i < np; i++)
        pf_decref(p[i]);
      for (size_t i = 0; i < nq; i++)
        pf_decref(q[i]);
      free(p);
      free(q);
      if (s2 != PF_OK)
        return NS_RAISE;
      return ret_st(r, pf_math_call("hypot", nd, d, &fl, &r->err), fl);
    }
    if (!strcmp(m, "isclose") && nargs == 2) {
      pf_val rt = kwarg(kwnames, kwvals, nkw, "rel_tol"), at = kwarg(kwnames, kwvals, nkw, "abs_tol"), v;
      double x[4] = {0, 0, 1e-09, 0.0};
      pf_val in[4] = {args[0], args[1], rt, at};
      for (int k = 0; k < 4; k++) {
        if (in[k].tag == PF_UNBOUND)
          continue;
        if (pf_val_to_float(in[k], &v, &r->err) != PF_OK)
          return NS_RAISE;
        x[k] = v.u.f;
      }
      if (x[2] < 0 || x[3] < 0)
        return pf_raise_run(r, PF_EXC_ValueError, "tolerances must be non-negative");
      if (x[0] == x[1])
        return ret(r, pf_bool(true));
      if (isinf(x[0]) || isinf(x[1]))
        return ret(r, pf_bool(false));
      double d = fabs(x[1] - x[0]);
      return ret(r, pf_bool(d <= fabs(x[2] * x[1]) || d <= fabs(x[2] * x[0]) || d <= x[3]));
    }
    if (nkw)
      return pf_raise_run(r, PF_EXC_TypeError, "math.%s() takes no keyword arguments", m);
    return math_call(r, m, args, nargs);
  }
  if (strcmp(mod, "functools") || strcmp(m, "reduce"))
    return pf_module_lib_call(r, mod, m, b->self, args, nargs, kwnames, kwvals, nkw);
  {
    if (nargs < 2 || nargs > 3)
      return pf_raise_run(r, PF_EXC_TypeError, "reduce expected 2 or 3 arguments, got %u", nargs);
    return pf_builtin_fold(r, BI_COUNT, args[1], args[0], nargs == 3 ? args[2] : pf_unbound(),
                           pf_unbound(), false);
  }
  if (!strcmp(mod, "operator")) {
    static const struct {
      const char *n;
      pf_binop op;
    } ops[] = {{"add", PF_OP_ADD}, {"sub", PF_OP_SUB}, {"mul", PF_OP_MUL}, {"truediv", PF_OP_TRUEDIV},
               {"floordiv", PF_OP_FLOORDIV}, {"mod", PF_OP_MOD}, {"pow", PF_OP_POW}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
      if (!strcmp(m, ops[i].n)) {
        if (nargs != 2)
          return pf_raise_run(r, PF_EXC_TypeError, "expected 2 arguments, got %u", nargs);
        pf_val out;
        return ret_st(r, pf_val_binop(ops[i].op, args[0], args[1], &out, &r->err), out);
      }
    if (!strcmp(m, "neg") && nargs == 1) {
      pf_val out;
      return ret_st(r, pf_val_unop(PF_OP_NEG, args[0], &out, &r->err), out);
    }
  }
  return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s.%s is not supported in pyfora code", mod, m);
}

static int data_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  int rc2 = pf_data_method2(r, self, m, args, nargs);
  if (rc2 != -1)
    return rc2;
  static const char *const mut[] = {"append", "extend", "insert", "pop", "remove", "clear",
                                    "sort", "reverse", "update", "add", "discard", "setdefault",
                                    "popitem", "__setitem__", "__delitem__", "difference_update",
                                    "intersection_update", "symmetric_difference_update"};
  for (size_t i = 0; i < sizeof mut / sizeof mut[0]; i++)
    if (!strcmp(m, mut[i]) && !pf_is_type(self, &pf_type_str))
      return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s.%s is not allowed: pyfora %ss are immutable",
                          pf_type_name(self), m, pf_type_name(self));
  if (pf_is_type(self, &pf_type_str) && !strcmp(m, "join") && nargs == 1 &&
      !pf_is_type(args[0], &pf_type_list) && !pf_is_type(args[0], &pf_type_tuple))
    return pf_builtin_fold(r, BI_str, args[0], pf_unbound(), self, pf_unbound(), false);
  if (pf_is_type(self, &pf_type_str))
    return pf_str_method(r, self, m, args, nargs);
  pf_val out;
  if (pf_is_type(self, &pf_type_dict)) {
    if (!strcmp(m, "get") && (nargs == 1 || nargs == 2)) {
      bool found;
      pf_val v, key;
      if (pf_canon_key(r, self, args[0], &key) != PF_OK)
        return NS_RAISE;
      pf_status_t st = pf_dict_lookup(self, key, &found, &v, &r->err);
      pf_decref(key);
      if (st != PF_OK)
        return NS_RAISE;
      return ret(r, pf_incref(found ? v : nargs == 2 ? args[1] : pf_none()));
    }
    if ((!strcmp(m, "keys") || !strcmp(m, "values") || !strcmp(m, "items")) && nargs == 0)
      return ret_st(r, pf_dview_new(self, m[0] == 'k' ? DV_KEYS : m[0] == 'v' ? DV_VALUES : DV_ITEMS, &out, &r->err),
                    out);
  }
  if ((pf_is_type(self, &pf_type_list) || pf_is_type(self, &pf_type_tuple)) && nargs == 1 &&
      (!strcmp(m, "index") || !strcmp(m, "count"))) {
    bool lst = pf_is_type(self, &pf_type_list);
    size_t n = lst ? pf_list_len(self) : pf_tuple_len(self);
    int64_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
      bool eq;
      if (pf_eq_run(r, lst ? pf_list_get(self, i) : pf_tuple_get(self, i), args[0], &eq) != PF_OK)
        return NS_RAISE;
      if (eq && m[0] == 'i')
        return ret(r, pf_int((int64_t)i));
      cnt += eq;
    }
    if (m[0] == 'i')
      return pf_raise_run(r, PF_EXC_ValueError, "%s.index(x): x not in %s", pf_type_name(self), pf_type_name(self));
    return ret(r, pf_int(cnt));
  }
  return pf_raise_run(r, PF_EXC_AttributeError, "'%s' object has no attribute '%s'", pf_type_name(self), m);
}

/* The key and value (new) of element #i "p" (borrowed) of the pairs given to dict(): a tuple
 * or list of two, or any other iterable of two items (a str "ab"), as CPython; errors with
 * CPython's messages. NS_RETURN or NS_RAISE. */
int pf_dict_pair(pf_run *r, pf_val p, size_t i, pf_val *k, pf_val *v) {
  bool tup = pf_is_type(p, &pf_type_tuple), lst = pf_is_type(p, &pf_type_list);
  if (tup || lst) {
    size_t len = tup ? pf_tuple_len(p) : pf_list_len(p);
    if (len != 2)
      return pf_raise_run(r, PF_EXC_ValueError,
                          "dictionary update sequence element #%zu has length %zu; 2 is required", i, len);
    *k = pf_incref(tup ? pf_tuple_get(p, 0) : pf_list_get(p, 0));
    *v = pf_incref(tup ? pf_tuple_get(p, 1) : pf_list_get(p, 1));
    return NS_RETURN;
  }
  if (pf_is_int(p) || p.tag == PF_FLOAT || p.tag == PF_NONE)
    return pf_raise_run(r, PF_EXC_TypeError, "cannot convert dictionary update sequence element #%zu to a sequence",
                        i);
  pf_val *items = NULL;
  size_t n = 0;
  if (pf_collect_run(r, p, &items, &n) != PF_OK)
    return NS_RAISE;
  int rc = NS_RETURN;
  if (n != 2)
    rc = pf_raise_run(r, PF_EXC_ValueError, "dictionary update sequence element #%zu has length %zu; 2 is required",
                      i, n);
  else {
    *k = pf_incref(items[0]);
    *v = pf_incref(items[1]);
  }
  for (size_t j = 0; j < n; j++)
    pf_decref(items[j]);
  free(items);
  return rc;
}

/* dict(...) with keyword arguments: dict(a=1), dict(mapping_or_pairs, **kw). */
static int dict_kw(pf_run *r, pf_val *args, uint32_t nargs, const pf_val *kwnames, pf_val *kwvals,
                   uint32_t nkw) {
  if (nargs > 1)
    return pf_raise_run(r, PF_EXC_TypeError, "dict expected at most 1 argument, got %u", nargs);
  pf_listb ks, vs;
  pf_listb_init(&ks);
  pf_listb_init(&vs);
  pf_val out;
  int rc = NS_RETURN;
  if (nargs == 1 && pf_is_type(args[0], &pf_type_dict)) {
    for (size_t i = 0; i < pf_dict_len(args[0]) && rc == NS_RETURN; i++) {
      pf_val k, v;
      pf_dict_entry(args[0], i, &k, &v);
      if (pf_listb_push(&ks, pf_incref(k), &r->err) != PF_OK || pf_listb_push(&vs, pf_incref(v), &r->err) != PF_OK)
        rc = NS_RAISE;
    }
  } else if (nargs == 1) {
    pf_val *items = NULL;
    size_t n = 0;
    if (pf_collect_run(r, args[0], &items, &n) != PF_OK)
      rc = NS_RAISE;
    for (size_t i = 0; rc == NS_RETURN && i < n; i++) {
      pf_val k, v;
      if ((rc = pf_dict_pair(r, items[i], i, &k, &v)) != NS_RETURN)
        break;
      if (pf_listb_push(&ks, k, &r->err) != PF_OK) {
        pf_decref(v);
        rc = NS_RAISE;
      } else if (pf_listb_push(&vs, v, &r->err) != PF_OK)
        rc = NS_RAISE;
    }
    for (size_t i = 0; i < n; i++)
      pf_decref(items[i]);
    free(items);
  }
  for (uint32_t i = 0; i < nkw && rc == NS_RETURN; i++)
    if (pf_listb_push(&ks, pf_incref(kwnames[i]), &r->err) != PF_OK ||
        pf_listb_push(&vs, pf_incref(kwvals[i]), &r->err) != PF_OK)
      rc = NS_RAISE;
  if (rc == NS_RETURN) {
    pf_val *kk = ks.items, *vv = vs.items;
    size_t n = ks.n;
    pf_listb_init(&ks);
    pf_listb_init(&vs);
    pf_status_t st = pf_canon_keys(r, kk, n);
    if (st != PF_OK)
      for (size_t i = 0; i < n; i++)
        pf_decref(kk[i]), pf_decref(vv[i]);
    else
      st = pf_dict_new(n, kk, vv, &out, &r->err);
    free(kk);
    free(vv);
    return ret_st(r, st, out);
  }
  pf_listb_discard(&ks);
  pf_listb_discard(&vs);
  return rc;
}

int pf_builtin_call(pf_run *r, pf_builtin *b, pf_val *args, uint32_t nargs, const pf_val *kwnames,
                    pf_val *kwvals, uint32_t nkw) {
  pf_val out;
  if (b->id == BI_method_call) {
    if (pf_is_type(b->self, &pf_type_module))
      return module_fn_call(r, b, args, nargs, kwnames, kwvals, nkw);
    if (strchr(b->mname, '('))
      return pf_module_lib_call(r, NULL, b->mname, b->self, args, nargs, kwnames, kwvals, nkw);
    if (pf_is_type(b->self, &pf_type_str)) {
      int rc = pf_str_method2(r, b->self, b->mname, args, nargs, kwnames, kwvals, nkw);
      if (rc != -1)
        return rc;
    }
    if (pf_is_type(b->self, &pf_type_builtin)) { /* str.lower, dict.get … used unbound */
      if (nargs < 1)
        return pf_raise_run(r, PF_EXC_TypeError, "unbound method %s() needs an argument", b->mname);
      pf_bi_id tid = ((pf_builtin *)b->self.u.o)->id;
      if (tid == BI_dict && !strcmp(b->mname, "fromkeys") && (nargs == 1 || nargs == 2)) {
        pf_val *items;
        size_t n;
        if (pf_collect_run(r, args[0], &items, &n) != PF_OK)
          return NS_RAISE;
        pf_val *vs = malloc((n + 1) * sizeof *vs);
        if (!vs) {
          for (size_t i = 0; i < n; i++)
            pf_decref(items[i]);
          free(items);
          return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
          vs[i] = pf_incref(nargs == 2 ? args[1] : pf_none());
        pf_status_t st = pf_canon_keys(r, items, n); /* equal instances: one key */
        if (st != PF_OK) {
          for (size_t i = 0; i < n; i++) {
            pf_decref(items[i]);
            pf_decref(vs[i]);
          }
          free(items);
          free(vs);
          return NS_RAISE;
        }
        st = pf_dict_new(n, items, vs, &out, &r->err);
        free(items);
        free(vs);
        return ret_st(r, st, out);
      }
      if (tid == BI_float && !strcmp(b->mname, "fromhex") && nargs == 1 && pf_is_type(args[0], &pf_type_str)) {
        const char *s = pf_str_utf8(args[0], NULL);
        char *end;
        double d = strtod(s, &end);
        while (*end == ' ' || *end == '\t' || *end == '\n')
          end++;
        if (end == s || *end)
          return pf_raise_run(r, PF_EXC_ValueError, "invalid hexadecimal floating-point string");
        return ret(r, pf_float(d));
      }
      pf_builtin tmp = *b;
      tmp.self = args[0];
      return pf_builtin_call(r, &tmp, args + 1, nargs - 1, kwnames, kwvals, nkw);
    }
    if (nkw)
      return pf_raise_run(r, PF_EXC_TypeError, "%s() takes no keyword arguments", b->mname);
    return data_method(r, b->self, b->mname, args, nargs);
  }
  if (b->id == BI_dict && nkw)
    return dict_kw(r, args, nargs, kwnames, kwvals, nkw);
  pf_val key = kwarg(kwnames, kwvals, nkw, "key"), dflt = kwarg(kwnames, kwvals, nkw, "default");
  pf_val rev = kwarg(kwnames, kwvals, nkw, "reverse"), start = kwarg(kwnames, kwvals, nkw, "start");
  bool reverse = false;
  if (rev.tag != PF_UNBOUND && pf_val_truthy(rev, &reverse, &r->err) != PF_OK)
    return NS_RAISE;
  uint32_t allowed = 0;
  if (b->id == BI_min || b->id == BI_max)
    allowed = (key.tag != PF_UNBOUND) + (dflt.tag != PF_UNBOUND);
  else if (b->id == BI_sorted)
    allowed = (key.tag != PF_UNBOUND) + (rev.tag != PF_UNBOUND);
  else if (b->id == BI_sum || b->id == BI_enumerate)
    allowed = start.tag != PF_UNBOUND;
  if (nkw > allowed)
    return pf_raise_run(r, PF_EXC_TypeError, "%s() got an unexpected keyword argument '%s'", b->name,
                        pf_str_utf8(kwnames[0], NULL));
  switch (b->id) {
  case BI_range:
  case BI_xrange: {
    NARGS(1, 3);
    int64_t v[3] = {0, 0, 1};
    bool big = false;
    for (uint32_t i = 0; i < nargs; i++)
      big |= pf_is_int(args[i]) && args[i].tag != PF_INT && args[i].tag != PF_BOOL;
    if (big) { /* bounds beyond 64 bits */
      pf_val a0 = nargs == 1 ? pf_int(0) : args[0], a1 = nargs == 1 ? args[0] : args[1];
      pf_val a2 = nargs == 3 ? args[2] : pf_int(1);
      for (uint32_t i = 0; i < nargs; i++)
        if (!pf_is_int(args[i]))
          return pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                              pf_type_name(args[i]));
      if (a2.tag == PF_INT && a2.u.i == 0)
        return pf_raise_run(r, PF_EXC_ValueError, "range() arg 3 must not be zero");
      return ret_st(r, pf_brange_new(a0, a1, a2, &out, &r->err), out);
    }
    for (uint32_t i = 0; i < nargs; i++) {
      if (args[i].tag != PF_INT && args[i].tag != PF_BOOL) {
        return pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                            pf_type_name(args[i]));
      }
    }
    if (nargs == 1)
      v[1] = args[0].u.i;
    else {
      v[0] = args[0].u.i;
      v[1] = args[1].u.i;
      if (nargs == 3)
        v[2] = args[2].u.i;
    }
    if (v[2] == 0)
      return pf_raise_run(r, PF_EXC_ValueError, "range() arg 3 must not be zero");
    /* 64-bit bounds whose length does not fit in 63 bits (range(-3, 2 ** 63 - 1)): a big
       range, which CPython creates, indexes and slices too (only its len() overflows) */
    __int128 span = v[2] > 0 ? (__int128)v[1] - v[0] : (__int128)v[0] - v[1];
    __int128 mag = v[2] > 0 ? (__int128)v[2] : -(__int128)v[2];
    if (span > 0 && (span - 1) / mag + 1 > INT64_MAX)
      return ret_st(r, pf_brange_new(pf_int(v[0]), pf_int(v[1]), pf_int(v[2]), &out, &r->err), out);
    return ret_st(r, pf_range_new(v[0], v[1], v[2], &out, &r->err), out);
  }
  case BI_len: {
    NARGS(1, 1);
    int64_t n;
    if (pf_is_dview(args[0]))
      return ret(r, pf_int((int64_t)pf_dict_len(((pf_dview *)args[0].u.o)->d)));
    if (pf_is_type(args[0], &pf_type_brange)) {
      pf_val bl = ((pf_brange *)args[0].u.o)->len;
      if (bl.tag != PF_INT)
        return pf_raise_run(r, PF_EXC_OverflowError, "Python int too large to convert to C ssize_t");
      return ret(r, bl);
    }
    if (pf_val_len(args[0], &n, &r->err) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_int(n));
  }
  case BI_sum: {
    NARGS(1, 2);
    pf_val st0 = nargs == 2 ? args[1] : start.tag != PF_UNBOUND ? start : pf_int(0);
    if (pf_is_type(st0, &pf_type_str))
      return pf_raise_run(r, PF_EXC_TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
    return pf_builtin_fold(r, BI_sum, args[0], pf_unbound(), st0, pf_unbound(), false);
  }
  case BI_min:
  case BI_max:
    if (nargs == 0)
      return pf_raise_run(r, PF_EXC_TypeError, "%s expected at least 1 argument, got 0", b->name);
    if (nargs == 1)
      return pf_builtin_fold(r, b->id, args[0], key, pf_unbound(), dflt, false);
    if (dflt.tag != PF_UNBOUND)
      return pf_raise_run(r, PF_EXC_TypeError,
                          "Cannot specify a default for %s() with multiple positional arguments",
                          b->name);
    {
      pf_val t;
      for (uint32_t i = 0; i < nargs; i++)
        pf_incref(args[i]);
      if (pf_tuple_new(nargs, args, &t, &r->err) != PF_OK)
        return NS_RAISE;
      int rc = pf_builtin_fold(r, b->id, t, key, pf_unbound(), dflt, false);
      pf_decref(t);
      return rc;
    }
  case BI_any:
  case BI_all:
  case BI_set:
  case BI_frozenset:
  case BI_list:
  case BI_tuple:
  case BI_dict:
    if (nargs == 0 && (b->id == BI_list || b->id == BI_tuple || b->id == BI_set ||
                       b->id == BI_frozenset || b->id == BI_dict)) {
      pf_status_t st = b->id == BI_list ? pf_list_new(0, NULL, &out, &r->err)
                     : b->id == BI_tuple ? pf_tuple_new(0, NULL, &out, &r->err)
                     : b->id == BI_dict ? pf_dict_new(0, NULL, NULL, &out, &r->err)
                     : pf_set_new(0, NULL, b->id == BI_frozenset, &out, &r->err);
      return ret_st(r, st, out);
    }
    NARGS(1, 1);
    if (b->id == BI_tuple && pf_is_type(args[0], &pf_type_tuple))
      return ret(r, pf_incref(args[0]));
    if (b->id == BI_dict && pf_is_type(args[0], &pf_type_dict))
      return ret(r, pf_incref(args[0]));
    return pf_builtin_fold(r, b->id, args[0], pf_unbound(), pf_unbound(), pf_unbound(), false);
  case BI_sorted:
    NARGS(1, 1);
    return pf_builtin_fold(r, BI_sorted, args[0], key.tag == PF_NONE ? pf_unbound() : key,
                           pf_unbound(), pf_unbound(), reverse);
  case BI_map:
  case BI_filter:
  case BI_zip:
  case BI_enumerate:
    return pf_lazy_builtin(r, b->id, args, nargs, start.tag != PF_UNBOUND ? start : pf_int(0));
  case BI_next:
    NARGS(1, 2);
    if (pf_is_type(args[0], &pf_type_inst)) {
      pf_val m;
      if (!pf_class_lookup(((pf_inst *)args[0].u.o)->cls, "__next__", &m))
        return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator",
                            ((pf_inst *)args[0].u.o)->cls->name);
      if (pf_call_sync(r, m, args, 1, &out) == 1)
        return ret(r, out);
      if (nargs == 2 && r->exc.tag == PF_OBJ &&
          pf_class_is_sub(((pf_inst *)r->exc.u.o)->cls, r->prog->exc_classes[PF_EXC_StopIteration])) {
        pf_decref(r->exc);
        r->exc = pf_unbound();
        return ret(r, pf_incref(args[1]));
      }
      return NS_RAISE;
    }
    if (!pf_is_type(args[0], &pf_type_iter) && !pf_is_type(args[0], &pf_type_gen))
      return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator", pf_type_name(args[0]));
    return pf_builtin_fold(r, BI_next, args[0], pf_unbound(), pf_unbound(),
                           nargs == 2 ? args[1] : pf_unbound(), false);
  case BI_iter:
    NARGS(1, 1);
    return ret_st(r, pf_iter_run(r, args[0], &out), out);
  case BI_reversed: {
    NARGS(1, 1);
    pf_val v = args[0], *items, l, it;
    size_t n;
    if (pf_is_type(v, &pf_type_inst)) {
      pf_val m;
      if (pf_class_lookup(((pf_inst *)v.u.o)->cls, "__reversed__", &m))
        return pf_call_sync(r, m, args, 1, &out) == 1 ? ret(r, out) : NS_RAISE;
    }
    if (pf_is_type(v, &pf_type_gen) || pf_is_type(v, &pf_type_iter) || pf_is_type(v, &pf_type_set) ||
        pf_is_type(v, &pf_type_frozenset) ||
        (pf_is_type(v, &pf_type_inst) && !pf_class_lookup(((pf_inst *)v.u.o)->cls, "__getitem__", &out)))
      return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not reversible",
                          pf_is_type(v, &pf_type_inst) ? ((pf_inst *)v.u.o)->cls->name : pf_type_name(v));
    if (pf_collect_run(r, v, &items, &n) != PF_OK)
      return NS_RAISE;
    for (size_t i = 0; i < n / 2; i++) {
      pf_val t = items[i];
      items[i] = items[n - 1 - i];
      items[n - 1 - i] = t;
    }
    pf_status_t st = pf_list_new(n, items, &l, &r->err);
    free(items);
    if (st != PF_OK)
      return NS_RAISE;
    st = pf_iter_new(l, &it, &r->err);
    pf_decref(l);
    return ret_st(r, st, it);
  }
  case BI_abs:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_abs(args[0], &out, &r->err), out);
  case BI_int:
  case BI_float:
    if (nargs == 0)
      return ret(r, b->id == BI_int ? pf_int(0) : pf_float(0.0));
    NARGS(1, b->id == BI_int ? 2 : 1);
    if (pf_is_type(args[0], &pf_type_str)) {
      pf_val a0;
      if (pf_ascii_digits(r, args[0], &a0) != PF_OK)
        return NS_RAISE;
      pf_status_t st;
      if (b->id == BI_float)
        st = pf_val_to_float(a0, &out, &r->err);
      else if (nargs == 2 && args[1].tag != PF_INT)
        st = pf_raise(&r->err, PF_EXC_TypeError, "int() base must be an int");
      else
        st = nargs == 2 ? pf_val_to_int_base(a0, (int)args[1].u.i, &out, &r->err) : pf_val_to_int(a0, &out, &r->err);
      if (st != PF_OK && a0.u.o != args[0].u.o && r->err.kind == PF_EXC_ValueError) {
        pf_val rep; /* the message shows the argument as given */
        if (pf_val_repr(args[0], &rep, &r->err) == PF_OK) {
          if (b->id == BI_int)
            snprintf(r->err.msg, sizeof r->err.msg, "invalid literal for int() with base %d: %s",
                     nargs == 2 ? (int)args[1].u.i : 10, pf_str_utf8(rep, NULL));
          else
            snprintf(r->err.msg, sizeof r->err.msg, "could not convert string to float: %s", pf_str_utf8(rep, NULL));
          pf_decref(rep);
        }
        r->err.kind = PF_EXC_ValueError;
      }
      pf_decref(a0);
      return ret_st(r, st, out);
    }
    if (b->id == BI_float)
      return ret_st(r, pf_val_to_float(args[0], &out, &r->err), out);
    if (nargs == 2) {
      if (args[1].tag != PF_INT)
        return pf_raise_run(r, PF_EXC_TypeError, "int() base must be an int");
      return ret_st(r, pf_val_to_int_base(args[0], (int)args[1].u.i, &out, &r->err), out);
    }
    return ret_st(r, pf_val_to_int(args[0], &out, &r->err), out);
  case BI_str:
    if (nargs == 0)
      return ret_st(r, pf_str_from_cstr("", &out, &r->err), out);
    NARGS(1, 1);
    return ret_st(r, pf_repr_run(r, args[0], true, &out), out);
  case BI_repr:
    NARGS(1, 1);
    return ret_st(r, pf_repr_run(r, args[0], false, &out), out);
  case BI_bool: {
    if (nargs == 0)
      return ret(r, pf_bool(false));
    NARGS(1, 1);
    bool t;
    if (pf_truthy_run(r, args[0], &t) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_bool(t));
  }
  case BI_isinstance: {
    NARGS(2, 2);
    bool t;
    if (isinst1(r, args[0], args[1], &t) != NS_RETURN)
      return NS_RAISE;
    return ret(r, pf_bool(t));
  }
  case BI_issubclass: {
    NARGS(2, 2);
    bool t;
    if (issub1(r, args[0], args[1], &t) != NS_RETURN)
      return NS_RAISE;
    return ret(r, pf_bool(t));
  }
  case BI_divmod:
    NARGS(2, 2);
    return ret_st(r, pf_builtin_divmod(args[0], args[1], &out, &r->err), out);
  case BI_pow:
    NARGS(2, 3);
    return ret_st(r, pf_builtin_pow(args[0], args[1], nargs == 3 ? args[2] : pf_unbound(), &out, &r->err), out);
  case BI_round:
    NARGS(1, 2);
    return ret_st(r, pf_builtin_round(args[0], nargs == 2 ? args[1] : pf_unbound(), &out, &r->err), out);
  case BI_hash: {
    NARGS(1, 1);
    int64_t h;
    if (pf_hash_run(r, args[0], &h) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_int(h));
  }
  case BI_ord:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_ord(args[0], &out, &r->err), out);
  case BI_chr:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_chr(args[0], &out, &r->err), out);
  case BI_hex:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_hex(args[0], &out, &r->err), out);
  case BI_oct:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_oct(args[0], &out, &r->err), out);
  case BI_bin:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_bin(args[0], &out, &r->err), out);
  case BI_getattr:
  case BI_hasattr: {
    NARGS(2, b->id == BI_getattr ? 3 : 2);
    if (!pf_is_type(args[1], &pf_type_str))
      return pf_raise_run(r, PF_EXC_TypeError, "attribute name must be string");
    r->getattr_call = false;
    pf_status_t st = pf_getattr(r, args[0], pf_str_utf8(args[1], NULL), &out);
    if (st == PF_OK && r->getattr_call) { /* a property: its getter's value */
      r->getattr_call = false;
      pf_val v;
      int k = pf_call_sync(r, out, NULL, 0, &v);
      pf_decref(out);
      if (k < 0)
        return NS_RAISE;
      out = v;
    }
    if (st != PF_OK && r->exc.tag == PF_UNBOUND && r->err.kind == PF_EXC_AttributeError &&
        (b->id == BI_hasattr || nargs == 3))
      return ret(r, b->id == BI_hasattr ? pf_bool(false) : pf_incref(args[2]));
    if (st != PF_OK)
      return NS_RAISE;
    if (b->id == BI_hasattr) {
      pf_decref(out);
      return ret(r, pf_bool(true));
    }
    return ret(r, out);
  }
  case BI_callable:
    NARGS(1, 1);
    return ret(r, pf_bool(pf_is_type(args[0], &pf_type_func) || pf_is_type(args[0], &pf_type_builtin) ||
                          pf_is_type(args[0], &pf_type_class) || pf_is_type(args[0], &pf_type_bound) ||
                          (pf_is_type(args[0], &pf_type_inst) &&
                           pf_class_lookup(((pf_inst *)args[0].u.o)->cls, "__call__", &out))));
  case BI_type:
    NARGS(1, 1);
    if (pf_is_type(args[0], &pf_type_inst))
      return ret(r, pf_obj_val(&((pf_inst *)args[0].u.o)->cls->h));
    for (int i = 0; i < BI_COUNT; i++)
      if (type_names[i] && !strcmp(type_names[i], pf_type_name(args[0])))
        return ret(r, pf_obj_val(&pf_builtin_get((pf_bi_id)i)->h));
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "type() of a '%s' is not supported", pf_type_name(args[0]));
  case BI_staticmethod:
  case BI_classmethod:
  case BI_property:
    NARGS(1, 1);
    if (pf_method_new(r->prog, args[0], b->name, &out, &r->err) != PF_OK)
      return NS_RAISE;
    ((pf_builtin *)out.u.o)->id = b->id;
    return ret(r, out);
  case BI_super: {
    pf_frame *fr = r->top;
    if (nargs == 2) { /* super(Cls, obj) */
      if (!is_class(args[0]))
        return pf_raise_run(r, PF_EXC_TypeError, "super() argument 1 must be a type, not %s", pf_type_name(args[0]));
      pf_bound *s = calloc(1, sizeof *s);
      if (!s)
        return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
      pf_obj_init(&s->h, &pf_type_super);
      s->self = pf_incref(args[1]);
      s->fn = pf_unbound();
      s->start = ((pf_class *)args[0].u.o)->base;
      return ret(r, pf_obj_val(&s->h));
    }
    if (nargs != 0 || !fr || fr->kind != FR_CODE || !fr->func || !fr->func->owner ||
        fr->code->nparams == 0)
      return pf_raise_run(r, PF_EXC_InvalidPyforaOperation,
                          "only zero-argument super() inside a method is supported");
    pf_val self = fr->regs[0];
    if (self.tag == PF_UNBOUND && fr->code->ncells && fr->code->cell_param[0] == 0)
      self = fr->cells[0]->v;
    pf_bound *s = calloc(1, sizeof *s);
    if (!s)
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    pf_obj_init(&s->h, &pf_type_super);
    s->self = pf_incref(self);
    s->fn = pf_unbound();
    s->start = fr->func->owner->base;
    return ret(r, pf_obj_val(&s->h));
  }
  case BI_NotImplemented:
    return pf_raise_run(r, PF_EXC_TypeError, "'NotImplementedType' object is not callable");
  case BI_object:
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s() is not supported yet in pyfora", b->name);
  case BI_slice:
    NARGS(1, 3);
    return ret_st(r, pf_slice_new(nargs == 1 ? pf_none() : args[0], nargs == 1 ? args[0] : args[1],
                                  nargs == 3 ? args[2] : pf_none(), &out, &r->err), out);
  case BI_format:
    NARGS(1, 2);
    return ret_st(r, pf_format_run(r, args[0], nargs == 2 ? args[1] : pf_unbound(), &out), out);
  case BI_setattr:
  case BI_delattr:
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation,
                        "%s() is not allowed: pyfora instances are immutable after __init__", b->name);
  case BI_print:
  case BI_eval:
  case BI_exec:
  case BI_locals:
  case BI_globals:
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s() is not allowed in pyfora code", b->name);
  default:
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "builtin %s is not supported", b->name);
  }
}

static pf_status_t bind(pf_run *r, pf_val self, pf_val fn, pf_val *out) {
  pf_bound *b = calloc(1, sizeof *b);
  if (!b)
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  pf_obj_init(&b->h, &pf_type_bound);
  b->self = pf_incref(self);
  b->fn = pf_incref(fn);
  *out = pf_obj_val(&b->h);
  return PF_OK;
}

/* The value of class attribute "v" read through instance "self" (unbound: through the
 * class "cls"): functions bind, staticmethod/classmethod/property unwrap. */
static pf_status_t class_attr(pf_run *r, pf_val v, pf_val self, pf_val cls, pf_val *out) {
  if (pf_is_type(v, &pf_type_func) && self.tag != PF_UNBOUND)
    return bind(r, self, v, out);
  if (pf_is_type(v, &pf_type_builtin) && ((pf_builtin *)v.u.o)->self.tag == PF_OBJ) {
    pf_builtin *w = (pf_builtin *)v.u.o;
    if (w->id == BI_staticmethod) {
      *out = pf_incref(w->self);
      return PF_OK;
    }
    if (w->id == BI_classmethod)
      return bind(r, cls, w->self, out);
    if (w->id == BI_property && self.tag != PF_UNBOUND) {
      r->getattr_call = true;
      return bind(r, self, w->self, out);
    }
  }
  *out = pf_incref(v);
  return PF_OK;
}

/* Whether data value "obj" has a method "name" (supported, or mutating: those raise when
 * called). */
static bool known_method(pf_val obj, const char *name) {
  static const char *const str_m[] = {
      "split", "rsplit", "join", "strip", "lstrip", "rstrip", "replace", "find", "rfind", "index",
      "rindex", "count", "startswith", "endswith", "upper", "lower", "casefold", "swapcase", "title",
      "capitalize", "isalpha", "isdigit", "isdecimal", "isnumeric", "isalnum", "isspace", "isupper",
      "islower", "istitle", "isascii", "isidentifier", "splitlines", "partition", "rpartition",
      "center", "ljust", "rjust", "zfill", "format", "removeprefix", "removesuffix", "expandtabs",
      "encode", "translate", "maketrans", NULL};
  static const char *const seq_m[] = {"index", "count", "copy", "append", "extend", "insert", "pop",
                                      "remove", "clear", "sort", "reverse", NULL};
  static const char *const dict_m[] = {"get", "keys", "values", "items", "copy", "update", "pop", "popitem",
                                       "setdefault", "clear", "fromkeys", NULL};
  static const char *const set_m[] = {"union", "intersection", "difference", "symmetric_difference",
                                      "isdisjoint", "issubset", "issuperset", "copy", "add", "discard",
                                      "remove", "pop", "clear", "update", "difference_update",
                                      "intersection_update", "symmetric_difference_update", NULL};
  static const char *const int_m[] = {"bit_length", "bit_count", "conjugate", NULL};
  static const char *const float_m[] = {"is_integer", "hex", "as_integer_ratio", "conjugate", NULL};
  static const char *const range_m[] = {"index", "count", NULL};
  const char *const *l = pf_is_type(obj, &pf_type_str) ? str_m
                       : pf_is_type(obj, &pf_type_list) || pf_is_type(obj, &pf_type_tuple) ? seq_m
                       : pf_is_type(obj, &pf_type_dict) ? dict_m
                       : pf_is_type(obj, &pf_type_set) || pf_is_type(obj, &pf_type_frozenset) ? set_m
                       : pf_is_int(obj) ? int_m
                       : obj.tag == PF_FLOAT ? float_m
                       : pf_is_type(obj, &pf_type_range) || pf_is_type(obj, &pf_type_brange) ? range_m
                       : NULL;
  for (; l && *l; l++)
    if (!strcmp(*l, name))
      return true;
  return false;
}

/* getattr(obj, name) as a new value; errors in r->err. */
pf_status_t pf_getattr(pf_run *r, pf_val obj, const char *name, pf_val *out) {
  if (pf_is_type(obj, &pf_type_builtin) && ((pf_builtin *)obj.u.o)->self.tag == PF_UNBOUND) {
    pf_builtin *bb = (pf_builtin *)obj.u.o;
    if (!strcmp(name, "__name__") || !strcmp(name, "__qualname__"))
      return pf_str_from_cstr(bb->name, out, &r->err);
    if (type_names[bb->id] && name[0] != '_') {
      bool ok = true; /* int/float methods are checked here; others when called */
      if (bb->id == BI_int || bb->id == BI_bool)
        ok = known_method(pf_int(0), name);
      else if (bb->id == BI_float)
        ok = known_method(pf_float(0), name) || !strcmp(name, "fromhex");
      if (!ok)
        return pf_raise(&r->err, PF_EXC_AttributeError, "type object '%s' has no attribute '%s'", bb->name, name);
      return pf_method_new(r->prog, obj, name, out, &r->err);
    }
  }
  if (pf_is_type(obj, &pf_type_builtin) && ((pf_builtin *)obj.u.o)->id == BI_method_call &&
      pf_is_type(((pf_builtin *)obj.u.o)->self, &pf_type_module) &&
      !strcmp(((pf_builtin *)obj.u.o)->mname, "chain") && !strcmp(name, "from_iterable"))
    return pf_method_new(r->prog, ((pf_builtin *)obj.u.o)->self, "chain.from_iterable", out, &r->err);
  if (pf_is_type(obj, &pf_type_module)) {
    const char *mod = ((pf_module *)obj.u.o)->name;
    if (!strcmp(mod, "math")) {
      if (pf_math_const(name, out))
        return PF_OK;
      if (!pf_math_has(name) && strcmp(name, "fsum") && strcmp(name, "dist") && strcmp(name, "prod"))
        return pf_raise(&r->err, PF_EXC_AttributeError, "module 'math' has no attribute '%s'", name);
    }
    return pf_method_new(r->prog, obj, name, out, &r->err);
  }
  if (pf_is_type(obj, &pf_type_inst)) {
    pf_inst *in = (pf_inst *)obj.u.o;
    pf_val v;
    if (pf_inst_getattr(in, name, &v)) {
      *out = pf_incref(v);
      return PF_OK;
    }
    if (in->cls->is_exc && !strcmp(name, "args")) {
      *out = pf_incref(in->args);
      return PF_OK;
    }
    if (in->cls->is_exc && (!strcmp(name, "__cause__") || !strcmp(name, "__context__"))) {
      pf_val v2 = name[3] == 'a' ? in->cause : in->context;
      *out = v2.tag != PF_UNBOUND ? pf_incref(v2) : pf_none();
      return PF_OK;
    }
    if (in->cls->is_exc && !strcmp(name, "__suppress_context__")) {
      *out = pf_bool(in->suppress_context);
      return PF_OK;
    }
    if (!strcmp(name, "__class__")) {
      *out = pf_obj_val(&in->cls->h);
      return PF_OK;
    }
    if (in->cls->is_exc && !strcmp(name, "value") && in->cls->exc == PF_EXC_StopIteration) {
      size_t na = in->args.tag == PF_OBJ ? pf_tuple_len(in->args) : 0;
      *out = na ? pf_incref(pf_tuple_get(in->args, 0)) : pf_none();
      return PF_OK;
    }
    if (pf_class_lookup(in->cls, name, &v))
      return class_attr(r, v, obj, pf_obj_val(&in->cls->h), out);
    return pf_raise(&r->err, PF_EXC_AttributeError, "'%s' object has no attribute '%s'", in->cls->name, name);
  }
  if (pf_is_type(obj, &pf_type_super)) {
    pf_bound *s = (pf_bound *)obj.u.o;
    pf_val v;
    if (s->start && pf_class_lookup(s->start, name, &v)) {
      pf_val cls = pf_is_type(s->self, &pf_type_inst) ? pf_obj_val(&((pf_inst *)s->self.u.o)->cls->h) : s->self;
      return class_attr(r, v, s->self, cls, out);
    }
    if (!strcmp(name, "__init__")) /* object.__init__ / BaseException.__init__ */
      return pf_method_new(r->prog, s->self, "object.__init__()", out, &r->err);
    return pf_raise(&r->err, PF_EXC_AttributeError, "'super' object has no attribute '%s'", name);
  }
  if (pf_is_type(obj, &pf_type_class)) {
    pf_val v;
    if (pf_class_lookup((pf_class *)obj.u.o, name, &v)) {
      if (pf_is_type(v, &pf_type_builtin) && ((pf_builtin *)v.u.o)->self.tag == PF_OBJ &&
          (((pf_builtin *)v.u.o)->id == BI_staticmethod || ((pf_builtin *)v.u.o)->id == BI_classmethod))
        return class_attr(r, v, pf_unbound(), obj, out);
      *out = pf_incref(v);
      return PF_OK;
    }
    if (!strcmp(name, "__name__"))
      return pf_str_from_cstr(((pf_class *)obj.u.o)->name, out, &r->err);
    return pf_raise(&r->err, PF_EXC_AttributeError, "type object '%s' has no attribute '%s'",
                    ((pf_class *)obj.u.o)->name, name);
  }
  if (pf_is_type(obj, &pf_type_gen) && !strcmp(name, "send"))
    return pf_method_new(r->prog, obj, "generator.send()", out, &r->err);
  if (pf_is_type(obj, &pf_type_func) && !strcmp(name, "__name__"))
    return pf_str_from_cstr(((pf_func *)obj.u.o)->code->name, out, &r->err);
  if (obj.tag == PF_OBJ && (pf_is_type(obj, &pf_type_str) || pf_is_type(obj, &pf_type_list) ||
                            pf_is_type(obj, &pf_type_tuple) || pf_is_type(obj, &pf_type_dict) ||
                            pf_is_type(obj, &pf_type_set) || pf_is_type(obj, &pf_type_frozenset)) &&
      known_method(obj, name))
    return pf_method_new(r->prog, obj, name, out, &r->err);
  if (pf_is_int(obj) && (!strcmp(name, "real") || !strcmp(name, "numerator"))) {
    *out = obj.tag == PF_BOOL ? pf_int(obj.u.i) : pf_incref(obj);
    return PF_OK;
  }
  if (pf_is_int(obj) && (!strcmp(name, "imag") || !strcmp(name, "denominator"))) {
    *out = pf_int(name[0] == 'd');
    return PF_OK;
  }
  if (obj.tag == PF_FLOAT && (!strcmp(name, "real") || !strcmp(name, "imag"))) {
    *out = name[0] == 'r' ? obj : pf_float(0.0);
    return PF_OK;
  }
  if (pf_is_type(obj, &pf_type_brange) &&
      (!strcmp(name, "start") || !strcmp(name, "stop") || !strcmp(name, "step"))) {
    pf_brange *br = (pf_brange *)obj.u.o;
    *out = pf_incref(name[2] == 'a' ? br->start : name[2] == 'o' ? br->stop : br->step);
    return PF_OK;
  }
  if (pf_is_type(obj, &pf_type_slice) &&
      (!strcmp(name, "start") || !strcmp(name, "stop") || !strcmp(name, "step"))) {
    pf_slice *sl = (pf_slice *)obj.u.o;
    *out = pf_incref(name[2] == 'a' ? sl->start : name[2] == 'o' ? sl->stop : sl->step);
    return PF_OK;
  }
  if (pf_is_type(obj, &pf_type_range) &&
      (!strcmp(name, "start") || !strcmp(name, "stop") || !strcmp(name, "step"))) {
    int64_t st, sp, step, len;
    pf_range_get(obj, &st, &sp, &step, &len);
    *out = pf_int(name[2] == 'a' ? st : name[2] == 'o' ? sp : step);
    return PF_OK;
  }
  if (pf_is_type(obj, &pf_type_brange) &&
      (!strcmp(name, "start") || !strcmp(name, "stop") || !strcmp(name, "step"))) {
    pf_brange *b = (pf_brange *)obj.u.o;
    *out = pf_incref(name[2] == 'a' ? b->start : name[2] == 'o' ? b->stop : b->step);
    return PF_OK;
  }
  if ((pf_is_int(obj) || obj.tag == PF_FLOAT || pf_is_type(obj, &pf_type_range) ||
       pf_is_type(obj, &pf_type_brange)) && known_method(obj, name))
    return pf_method_new(r->prog, obj, name, out, &r->err);
  if ((pf_is_type(obj, &pf_type_dkeys) || pf_is_type(obj, &pf_type_ditems)) && !strcmp(name, "isdisjoint"))
    return pf_method_new(r->prog, obj, name, out, &r->err); /* methods.c */
  return pf_raise(&r->err, PF_EXC_AttributeError, "'%s' object has no attribute '%s'", pf_type_name(obj), name);
}
