/* builtins_call.c — dispatch of builtin calls, attribute lookup (modules, instances,
 * classes, methods of data values). */
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
    [BI_range] = "range", [BI_object] = "object"};

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

static int math_call(pf_run *r, const char *m, pf_val *args, uint32_t nargs) {
  if (!strcmp(m, "fsum")) {
    if (nargs != 1)
      return pf_raise_run(r, PF_EXC_TypeError, "math.fsum() takes exactly one argument (%u given)", nargs);
    return pf_builtin_fold(r, BI_math_fn, args[0], pf_unbound(), pf_unbound(), pf_unbound(), false);
  }
  pf_val out;
  return ret_st(r, pf_math_call(m, nargs, args, &out, &r->err), out);
}

static int module_fn_call(pf_run *r, pf_builtin *b, pf_val *args, uint32_t nargs) {
  const char *mod = ((pf_module *)b->self.u.o)->name;
  const char *m = b->mname;
  if (!strcmp(mod, "math"))
    return math_call(r, m, args, nargs);
  if (!strcmp(mod, "functools") && !strcmp(m, "reduce")) {
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
  static const char *const mut[] = {"append", "extend", "insert", "pop", "remove", "clear",
                                    "sort", "reverse", "update", "add", "discard", "setdefault",
                                    "popitem", "__setitem__", "__delitem__", "difference_update",
                                    "intersection_update", "symmetric_difference_update"};
  for (size_t i = 0; i < sizeof mut / sizeof mut[0]; i++)
    if (!strcmp(m, mut[i]) && !pf_is_type(self, &pf_type_str))
      return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s.%s is not allowed: pyfora %ss are immutable",
                          pf_type_name(self), m, pf_type_name(self));
  if (pf_is_type(self, &pf_type_str) && !strcmp(m, "join") && nargs == 1 &&
      (pf_is_type(args[0], &pf_type_gen) ||
       (pf_is_type(args[0], &pf_type_iter) && ((pf_iter *)args[0].u.o)->kind == IT_GEN)))
    return pf_builtin_fold(r, BI_str, args[0], pf_unbound(), self, pf_unbound(), false);
  if (pf_is_type(self, &pf_type_str))
    return pf_str_method(r, self, m, args, nargs);
  pf_val out;
  if (pf_is_type(self, &pf_type_dict)) {
    if (!strcmp(m, "get") && (nargs == 1 || nargs == 2)) {
      bool found;
      pf_val v;
      if (pf_dict_lookup(self, args[0], &found, &v, &r->err) != PF_OK)
        return NS_RAISE;
      return ret(r, pf_incref(found ? v : nargs == 2 ? args[1] : pf_none()));
    }
    if ((!strcmp(m, "keys") || !strcmp(m, "values") || !strcmp(m, "items")) && nargs == 0) {
      size_t n = pf_dict_len(self);
      pf_listb lb;
      pf_listb_init(&lb);
      for (size_t i = 0; i < n; i++) {
        pf_val k, v, t;
        pf_dict_entry(self, i, &k, &v);
        if (m[0] == 'k')
          t = pf_incref(k);
        else if (m[0] == 'v')
          t = pf_incref(v);
        else {
          pf_val pr[2] = {pf_incref(k), pf_incref(v)};
          if (pf_tuple_new(2, pr, &t, &r->err) != PF_OK) {
            pf_listb_discard(&lb);
            return NS_RAISE;
          }
        }
        if (pf_listb_push(&lb, t, &r->err) != PF_OK) {
          pf_listb_discard(&lb);
          return NS_RAISE;
        }
      }
      return ret_st(r, pf_listb_finish(&lb, false, &out, &r->err), out);
    }
  }
  if ((pf_is_type(self, &pf_type_list) || pf_is_type(self, &pf_type_tuple)) && nargs == 1 &&
      (!strcmp(m, "index") || !strcmp(m, "count"))) {
    bool lst = pf_is_type(self, &pf_type_list);
    size_t n = lst ? pf_list_len(self) : pf_tuple_len(self);
    int64_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
      bool eq;
      if (pf_val_eq(lst ? pf_list_get(self, i) : pf_tuple_get(self, i), args[0], &eq, &r->err) != PF_OK)
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

int pf_builtin_call(pf_run *r, pf_builtin *b, pf_val *args, uint32_t nargs, const pf_val *kwnames,
                    pf_val *kwvals, uint32_t nkw) {
  pf_val out;
  if (b->id == BI_method_call) {
    if (pf_is_type(b->self, &pf_type_module))
      return module_fn_call(r, b, args, nargs);
    return data_method(r, b->self, b->mname, args, nargs);
  }
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
    for (uint32_t i = 0; i < nargs; i++) {
      if (args[i].tag != PF_INT && args[i].tag != PF_BOOL) {
        if (pf_is_int(args[i]))
          return pf_raise_run(r, PF_EXC_OverflowError, "range bounds must fit in 64 bits in pyfora");
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
    return ret_st(r, pf_range_new(v[0], v[1], v[2], &out, &r->err), out);
  }
  case BI_len: {
    NARGS(1, 1);
    int64_t n;
    if (pf_val_len(args[0], &n, &r->err) != PF_OK)
      return NS_RAISE;
    return ret(r, pf_int(n));
  }
  case BI_sum:
    NARGS(1, 2);
    return pf_builtin_fold(r, BI_sum, args[0], pf_unbound(),
                           nargs == 2 ? args[1] : start.tag != PF_UNBOUND ? start : pf_int(0),
                           pf_unbound(), false);
  case BI_min:
  case BI_max:
    if (nargs == 0)
      return pf_raise_run(r, PF_EXC_TypeError, "%s expected at least 1 argument, got 0", b->name);
    if (nargs == 1)
      return pf_builtin_fold(r, b->id, args[0], key, pf_unbound(), dflt, false);
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
    if (nargs != 2)
      return pf_raise_run(r, PF_EXC_TypeError, "map() with %u arguments is not supported (use 2)", nargs);
    return pf_builtin_fold(r, BI_map, args[1], args[0], pf_unbound(), pf_unbound(), false);
  case BI_filter:
    NARGS(2, 2);
    return pf_builtin_fold(r, BI_filter, args[1], args[0], pf_unbound(), pf_unbound(), false);
  case BI_enumerate:
    NARGS(1, 2);
    return pf_builtin_fold(r, BI_enumerate, args[0], pf_unbound(),
                           nargs == 2 ? args[1] : start.tag != PF_UNBOUND ? start : pf_int(0),
                           pf_unbound(), false);
  case BI_next:
    NARGS(1, 2);
    if (!pf_is_type(args[0], &pf_type_iter) && !pf_is_type(args[0], &pf_type_gen))
      return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator", pf_type_name(args[0]));
    return pf_builtin_fold(r, BI_next, args[0], pf_unbound(), pf_unbound(),
                           nargs == 2 ? args[1] : pf_unbound(), false);
  case BI_iter:
    NARGS(1, 1);
    if (pf_is_type(args[0], &pf_type_gen))
      return ret(r, pf_incref(args[0]));
    return ret_st(r, pf_iter_new(args[0], &out, &r->err), out);
  case BI_zip:
  case BI_reversed: {
    /* eager: materialise data iterables (generators are not accepted here) */
    pf_listb cols[16];
    if (nargs > 16 || (b->id == BI_reversed && nargs != 1))
      return pf_raise_run(r, PF_EXC_TypeError, "%s(): bad number of arguments", b->name);
    for (uint32_t i = 0; i < nargs; i++)
      if (pf_is_type(args[i], &pf_type_gen) ||
          (pf_is_type(args[i], &pf_type_iter) && ((pf_iter *)args[i].u.o)->kind == IT_GEN)) {
        if (b->id == BI_reversed)
          return pf_raise_run(r, PF_EXC_TypeError, "'generator' object is not reversible");
        return pf_builtin_materialize(r, b->id, args, nargs);
      }
    size_t minn = SIZE_MAX;
    int rc = NS_RETURN;
    uint32_t built = 0;
    for (uint32_t i = 0; i < nargs && rc == NS_RETURN; i++, built++) {
      pf_listb_init(&cols[i]);
      pf_val it;
      if (pf_iter_new(args[i], &it, &r->err) != PF_OK) {
        rc = NS_RAISE;
        break;
      }
      for (;;) {
        pf_val v;
        int k = pf_iter_fast_next((pf_iter *)it.u.o, &v, &r->err);
        if (k == 1) {
          if (pf_listb_push(&cols[i], v, &r->err) != PF_OK) {
            rc = NS_RAISE;
            break;
          }
          continue;
        }
        if (k == -1)
          rc = pf_raise_run(r, PF_EXC_InvalidPyforaOperation,
                            "%s() of a generator is not supported yet in pyfora", b->name);
        else if (k == -2)
          rc = NS_RAISE;
        break;
      }
      pf_decref(it);
      if (cols[i].n < minn)
        minn = cols[i].n;
    }
    pf_listb res;
    pf_listb_init(&res);
    if (rc == NS_RETURN) {
      if (b->id == BI_reversed) {
        for (size_t j = cols[0].n; j-- > 0 && rc == NS_RETURN;)
          if (pf_listb_push(&res, pf_incref(cols[0].items[j]), &r->err) != PF_OK)
            rc = NS_RAISE;
      } else
        for (size_t j = 0; nargs && j < minn && rc == NS_RETURN; j++) {
          pf_val row[16], t;
          for (uint32_t i = 0; i < nargs; i++)
            row[i] = pf_incref(cols[i].items[j]);
          if (pf_tuple_new(nargs, row, &t, &r->err) != PF_OK || pf_listb_push(&res, t, &r->err) != PF_OK)
            rc = NS_RAISE;
        }
    }
    for (uint32_t i = 0; i < built; i++)
      pf_listb_discard(&cols[i]);
    if (rc != NS_RETURN) {
      pf_listb_discard(&res);
      return rc;
    }
    pf_val l, it;
    if (pf_listb_finish(&res, false, &l, &r->err) != PF_OK)
      return NS_RAISE;
    pf_status_t st = pf_iter_new(l, &it, &r->err);
    pf_decref(l);
    return ret_st(r, st, it);
  }
  case BI_abs:
    NARGS(1, 1);
    return ret_st(r, pf_builtin_abs(args[0], &out, &r->err), out);
  case BI_int:
    if (nargs == 0)
      return ret(r, pf_int(0));
    NARGS(1, 2);
    if (nargs == 2) {
      if (args[1].tag != PF_INT)
        return pf_raise_run(r, PF_EXC_TypeError, "int() base must be an int");
      return ret_st(r, pf_val_to_int_base(args[0], (int)args[1].u.i, &out, &r->err), out);
    }
    return ret_st(r, pf_val_to_int(args[0], &out, &r->err), out);
  case BI_float:
    if (nargs == 0)
      return ret(r, pf_float(0.0));
    NARGS(1, 1);
    return ret_st(r, pf_val_to_float(args[0], &out, &r->err), out);
  case BI_str:
    if (nargs == 0)
      return ret_st(r, pf_str_from_cstr("", &out, &r->err), out);
    NARGS(1, 1);
    if (pf_is_type(args[0], &pf_type_inst) && ((pf_inst *)args[0].u.o)->cls->is_exc)
      return ret_st(r, pf_exc_str(args[0], &out, &r->err), out);
    return ret_st(r, pf_val_str(args[0], &out, &r->err), out);
  case BI_repr:
    NARGS(1, 1);
    return ret_st(r, pf_val_repr(args[0], &out, &r->err), out);
  case BI_bool: {
    if (nargs == 0)
      return ret(r, pf_bool(false));
    NARGS(1, 1);
    bool t;
    if (pf_val_truthy(args[0], &t, &r->err) != PF_OK)
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
    if (!is_class(args[0]) || !is_class(args[1]))
      return pf_raise_run(r, PF_EXC_TypeError, "issubclass() arg 1 must be a class");
    return ret(r, pf_bool(pf_class_is_sub((pf_class *)args[0].u.o, (pf_class *)args[1].u.o)));
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
    if (pf_val_hash(args[0], &h, &r->err) != PF_OK)
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
    pf_status_t st = pf_getattr(r, args[0], pf_str_utf8(args[1], NULL), &out);
    if (st != PF_OK && r->err.kind == PF_EXC_AttributeError && (b->id == BI_hasattr || nargs == 3))
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
                          pf_is_type(args[0], &pf_type_class) || pf_is_type(args[0], &pf_type_bound)));
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
  case BI_object:
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "%s() is not supported yet in pyfora", b->name);
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

/* getattr(obj, name) as a new value; errors in r->err. */
pf_status_t pf_getattr(pf_run *r, pf_val obj, const char *name, pf_val *out) {
  if (pf_is_type(obj, &pf_type_module)) {
    const char *mod = ((pf_module *)obj.u.o)->name;
    if (!strcmp(mod, "math")) {
      if (pf_math_const(name, out))
        return PF_OK;
      if (!pf_math_has(name) && strcmp(name, "fsum"))
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
  if (pf_is_type(obj, &pf_type_func) && !strcmp(name, "__name__"))
    return pf_str_from_cstr(((pf_func *)obj.u.o)->code->name, out, &r->err);
  if (obj.tag == PF_OBJ && (pf_is_type(obj, &pf_type_str) || pf_is_type(obj, &pf_type_list) ||
                            pf_is_type(obj, &pf_type_tuple) || pf_is_type(obj, &pf_type_dict) ||
                            pf_is_type(obj, &pf_type_set) || pf_is_type(obj, &pf_type_frozenset)))
    return pf_method_new(r->prog, obj, name, out, &r->err);
  if (pf_is_int(obj) && (!strcmp(name, "real") || !strcmp(name, "numerator"))) {
    *out = pf_incref(obj);
    return PF_OK;
  }
  return pf_raise(&r->err, PF_EXC_AttributeError, "'%s' object has no attribute '%s'", pf_type_name(obj), name);
}
