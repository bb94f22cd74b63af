/* vm_ops.c — the less frequent opcodes: displays, accumulators, subscripts, attributes,
 * unpacking, function/class creation, raising and matching exceptions, formatting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static void set_reg(pf_val *R, uint32_t dst, pf_val v) {
  pf_decref(R[dst]);
  R[dst] = v;
}

/* Collects the items of any iterable into a new array of new references. */
static int collect(pf_run *r, pf_val src, pf_val **items_p, size_t *n_p) {
  return pf_collect_run(r, src, items_p, n_p) == PF_OK ? NS_RETURN : NS_RAISE;
}

static void release(pf_val *v, uint32_t n) {
  for (uint32_t j = 0; j < n; j++)
    pf_decref(v[j]);
}

static pf_status_t acc_new(int kind, pf_val *out, pf_err *err) {
  pf_acc *a = calloc(1, sizeof *a);
  if (!a)
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  pf_obj_init(&a->h, &pf_type_acc);
  a->kind = kind;
  pf_listb_init(&a->items);
  pf_listb_init(&a->vals);
  *out = pf_obj_val(&a->h);
  return PF_OK;
}

static int exc_match(pf_run *r, pf_val exc, pf_val cls, bool *out) {
  pf_inst *in = (pf_inst *)exc.u.o;
  if (pf_is_type(cls, &pf_type_tuple)) {
    *out = false;
    for (size_t j = 0; j < pf_tuple_len(cls); j++) {
      bool m;
      if (exc_match(r, exc, pf_tuple_get(cls, j), &m) != NS_RETURN)
        return NS_RAISE;
      if (m)
        *out = true;
    }
    return NS_RETURN;
  }
  if (!pf_is_type(cls, &pf_type_class) || !((pf_class *)cls.u.o)->is_exc)
    return pf_raise_run(r, PF_EXC_TypeError,
                        "catching classes that do not inherit from BaseException is not allowed");
  *out = pf_class_is_sub(in->cls, (pf_class *)cls.u.o);
  return NS_RETURN;
}

static int do_raise(pf_run *r, pf_val e, pf_val cause, pf_val context) {
  pf_val inst;
  if (pf_is_type(e, &pf_type_class) && ((pf_class *)e.u.o)->is_exc) {
    if (pf_call_sync(r, e, NULL, 0, &inst) < 0)
      return NS_RAISE;
    if (!pf_is_type(inst, &pf_type_inst) || !((pf_inst *)inst.u.o)->cls->is_exc) {
      pf_decref(inst);
      return pf_raise_run(r, PF_EXC_TypeError, "exceptions must derive from BaseException");
    }
  } else if (pf_is_type(e, &pf_type_inst) && ((pf_inst *)e.u.o)->cls->is_exc) {
    inst = pf_incref(e);
  } else
    return pf_raise_run(r, PF_EXC_TypeError, "exceptions must derive from BaseException");
  pf_inst *in = (pf_inst *)inst.u.o;
  if (cause.tag != PF_UNBOUND) {
    pf_decref(in->cause);
    in->cause = pf_incref(cause);
    in->suppress_context = true;
  }
  if (context.tag == PF_OBJ && context.u.o != inst.u.o && in->context.tag == PF_UNBOUND)
    in->context = pf_incref(context);
  pf_decref(r->exc);
  r->exc = inst;
  return NS_RAISE;
}

int pf_vm_op(pf_run *r, pf_frame *f, pf_ins i) {
  pf_val *R = f->regs;
  pf_code *k = f->code;
  pf_val out;
  switch ((pf_opcode)i.op) {
  case OP_BUILD_LIST:
  case OP_BUILD_TUPLE:
  case OP_BUILD_SET: {
    pf_val tmp[i.c + 1];
    for (uint32_t j = 0; j < i.c; j++)
      tmp[j] = pf_incref(R[i.b + j]);
    pf_status_t st = i.op == OP_BUILD_LIST ? pf_list_new(i.c, tmp, &out, &r->err)
                   : i.op == OP_BUILD_TUPLE ? pf_tuple_new(i.c, tmp, &out, &r->err)
                   : pf_canon_keys(r, tmp, i.c) == PF_OK ? pf_set_new(i.c, tmp, false, &out, &r->err)
                                                         : (pf_status_t)(release(tmp, i.c), PF_EPYEXC);
    if (st != PF_OK)
      return NS_RAISE;
    set_reg(R, i.a, out);
    return NS_RETURN;
  }
  case OP_BUILD_DICT: {
    pf_val ks[i.c + 1], vs[i.c + 1];
    for (uint32_t j = 0; j < i.c; j++) {
      ks[j] = pf_incref(R[i.b + 2 * j]);
      vs[j] = pf_incref(R[i.b + 2 * j + 1]);
    }
    if (pf_canon_keys(r, ks, i.c) != PF_OK) {
      for (uint32_t j = 0; j < i.c; j++)
        pf_decref(ks[j]), pf_decref(vs[j]);
      return NS_RAISE;
    }
    if (pf_dict_new(i.c, ks, vs, &out, &r->err) != PF_OK)
      return NS_RAISE;
    set_reg(R, i.a, out);
    return NS_RETURN;
  }
  case OP_ACC_NEW:
    if (acc_new(i.b, &out, &r->err) != PF_OK)
      return NS_RAISE;
    set_reg(R, i.a, out);
    return NS_RETURN;
  case OP_ACC_PUSH: {
    pf_acc *a = (pf_acc *)R[i.a].u.o;
    pf_val v = R[i.b];
    if (i.c == 0)
      return pf_listb_push(&a->items, pf_incref(v), &r->err) == PF_OK ? NS_RETURN : NS_RAISE;
    if (i.c == 2) { /* merge a mapping */
      if (!pf_is_type(v, &pf_type_dict))
        return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not a mapping", pf_type_name(v));
      for (size_t j = 0; j < pf_dict_len(v); j++) {
        pf_val kk, vv;
        pf_dict_entry(v, j, &kk, &vv);
        if (pf_listb_push(&a->items, pf_incref(kk), &r->err) != PF_OK ||
            pf_listb_push(&a->vals, pf_incref(vv), &r->err) != PF_OK)
          return NS_RAISE;
      }
      return NS_RETURN;
    }
    pf_val *items;
    size_t n;
    if (collect(r, v, &items, &n) != NS_RETURN)
      return NS_RAISE;
    size_t j = 0;
    for (; j < n; j++)
      if (pf_listb_push(&a->items, items[j], &r->err) != PF_OK)
        break;
    for (size_t q = j + 1; q < n; q++)
      pf_decref(items[q]);
    free(items);
    return j == n ? NS_RETURN : NS_RAISE;
  }
  case OP_ACC_PUSH2: {
    pf_acc *a = (pf_acc *)R[i.a].u.o;
    if (pf_listb_push(&a->items, pf_incref(R[i.b]), &r->err) != PF_OK ||
        pf_listb_push(&a->vals, pf_incref(R[i.c]), &r->err) != PF_OK)
      return NS_RAISE;
    return NS_RETURN;
  }
  case OP_ACC_FINISH: {
    pf_acc *a = (pf_acc *)R[i.b].u.o;
    pf_status_t st;
    if (a->kind == ACC_LIST)
      st = pf_listb_finish(&a->items, i.c == 1, &out, &r->err);
    else {
      pf_val *items = a->items.items, *vals = a->vals.items;
      size_t n = a->items.n;
      pf_listb_init(&a->items);
      pf_listb_init(&a->vals);
      st = pf_canon_keys(r, items, n);
      if (st != PF_OK) {
        for (size_t j = 0; j < n; j++) {
          pf_decref(items[j]);
          if (a->kind != ACC_SET)
            pf_decref(vals[j]);
        }
      } else
        st = a->kind == ACC_SET ? pf_set_new(n, items, false, &out, &r->err)
                                : pf_dict_new(n, items, vals, &out, &r->err);
      free(items);
      free(vals);
    }
    if (st != PF_OK)
      return NS_RAISE;
    set_reg(R, i.a, out);
    return NS_RETURN;
  }
  case OP_GETITEM:
    if (pf_is_type(R[i.b], &pf_type_inst)) {
      pf_val fn;
      if (pf_class_lookup(((pf_inst *)R[i.b].u.o)->cls, "__getitem__", &fn)) {
        pf_val args[2] = {R[i.b], R[i.c]};
        int rc = pf_vm_call(r, f, fn, args, 2, NULL, NULL, 0, i.a);
        if (rc == NS_RETURN)
          set_reg(R, i.a, r->ret), r->ret = pf_unbound();
        return rc;
      }
    }
    pf_status_t gst;
    if (pf_is_type(R[i.b], &pf_type_brange) && pf_is_type(R[i.c], &pf_type_slice)) {
      pf_slice *sl = (pf_slice *)R[i.c].u.o;
      gst = pf_brange_slice(R[i.b], sl->start, sl->stop, sl->step, &out, &r->err);
    } else if (pf_is_type(R[i.b], &pf_type_brange) && pf_is_int(R[i.c]))
      gst = pf_brange_item(R[i.b], R[i.c], &out, &r->err);
    else if (pf_is_type(R[i.c], &pf_type_slice)) {
      pf_slice *sl = (pf_slice *)R[i.c].u.o;
      gst = pf_val_getslice(R[i.b], sl->start, sl->stop, sl->step, &out, &r->err);
    } else if (pf_is_type(R[i.b], &pf_type_dict) &&
               (pf_is_type(R[i.c], &pf_type_inst) || pf_is_type(R[i.c], &pf_type_tuple) ||
                pf_is_type(R[i.c], &pf_type_frozenset))) { /* instances in keys: __eq__ */
      pf_val key;
      if (pf_canon_key(r, R[i.b], R[i.c], &key) != PF_OK)
        return NS_RAISE;
      gst = pf_val_getitem(R[i.b], key, &out, &r->err);
      pf_decref(key);
    } else
      gst = pf_val_getitem(R[i.b], R[i.c], &out, &r->err);
    if (gst != PF_OK) {
      if (r->err.kind == PF_EXC_KeyError && pf_is_type(R[i.b], &pf_type_dict)) {
        pf_val one = pf_incref(R[i.c]), args, e; /* KeyError(key), as CPython */
        if (pf_tuple_new(1, &one, &args, &r->err) == PF_OK &&
            pf_inst_new(r->prog->exc_classes[PF_EXC_KeyError], args, &e, &r->err) == PF_OK) {
          pf_val m; /* str(e) is repr(key), with the __repr__ of instances in it */
          if (pf_needs_run(R[i.c]) && pf_repr_run(r, R[i.c], false, &m) == PF_OK)
            ((pf_inst *)e.u.o)->msg = m;
          pf_decref(r->exc);
          r->exc = e;
        }
      }
      return NS_RAISE;
    }
    set_reg(R, i.a, out);
    return NS_RETURN;
  case OP_GETSLICE:
    if (pf_is_type(R[i.b], &pf_type_inst)) {
      pf_val fn, sl;
      if (pf_class_lookup(((pf_inst *)R[i.b].u.o)->cls, "__getitem__", &fn)) {
        if (pf_slice_new(R[i.c], R[i.c + 1], R[i.c + 2], &sl, &r->err) != PF_OK)
          return NS_RAISE;
        pf_val args[2] = {R[i.b], sl};
        int rc = pf_vm_call(r, f, fn, args, 2, NULL, NULL, 0, i.a);
        pf_decref(sl);
        if (rc == NS_RETURN)
          set_reg(R, i.a, r->ret), r->ret = pf_unbound();
        return rc;
      }
    }
    if (pf_is_type(R[i.b], &pf_type_brange)) {
      if (pf_brange_slice(R[i.b], R[i.c], R[i.c + 1], R[i.c + 2], &out, &r->err) != PF_OK)
        return NS_RAISE;
    } else if (pf_val_getslice(R[i.b], R[i.c], R[i.c + 1], R[i.c + 2], &out, &r->err) != PF_OK)
      return NS_RAISE;
    set_reg(R, i.a, out);
    return NS_RETURN;
  case OP_GETMETH: { /* obj.m for a call (compile_expr.c e_call_x): no bound method */
    pf_val obj = R[i.b];
    pf_func *mf = pf_inst_method(obj, pf_str_utf8(k->consts[i.c], NULL));
    if (mf) {
      pf_obj_incref(&mf->h);
      set_reg(R, i.a, pf_obj_val(&mf->h));
      set_reg(R, i.a + 1u, pf_incref(obj));
      return NS_RETURN;
    }
    set_reg(R, i.a, pf_unbound()); /* anything else: OP_GETATTR into a + 1 */
    i = (pf_ins){OP_GETATTR, (uint16_t)(i.a + 1u), i.b, i.c};
  }
    __attribute__((fallthrough));
  case OP_GETATTR:
    r->getattr_call = false;
    if (pf_getattr(r, R[i.b], pf_str_utf8(k->consts[i.c], NULL), &out) != PF_OK)
      return NS_RAISE;
    if (r->getattr_call) { /* a property: call its getter */
      r->getattr_call = false;
      int rc = pf_vm_call(r, f, out, NULL, 0, NULL, NULL, 0, i.a);
      pf_decref(out);
      if (rc == NS_RETURN)
        set_reg(R, i.a, r->ret), r->ret = pf_unbound();
      return rc;
    }
    set_reg(R, i.a, out);
    return NS_RETURN;
  case OP_STORE_ATTR: {
    pf_val o = R[i.a];
    if (!pf_is_type(o, &pf_type_inst))
      return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "cannot set attributes of '%s' objects",
                          pf_type_name(o));
    if (pf_inst_setattr((pf_inst *)o.u.o, pf_str_utf8(k->consts[i.b], NULL), pf_incref(R[i.c]),
                        &r->err) != PF_OK)
      return NS_RAISE;
    return NS_RETURN;
  }
  case OP_UNPACK:
  case OP_UNPACK_EX: {
    pf_val src = R[i.b];
    pf_val *items;
    size_t n;
    if (collect(r, src, &items, &n) != NS_RETURN) {
      if (r->exc.tag == PF_UNBOUND && r->err.kind == PF_EXC_TypeError && !pf_is_type(src, &pf_type_inst))
        snprintf(r->err.msg, sizeof r->err.msg, "cannot unpack non-iterable %s object", pf_type_name(src));
      return NS_RAISE;
    }
    uint32_t want = i.c;
    int rc = NS_RETURN;
    if (i.op == OP_UNPACK) {
      if (n != want) {
        rc = n < want ? pf_raise_run(r, PF_EXC_ValueError, "not enough values to unpack (expected %u, got %zu)", want, n)
                      : pf_raise_run(r, PF_EXC_ValueError, "too many values to unpack (expected %u)", want);
      } else
        for (uint32_t j = 0; j < n; j++)
          set_reg(R, i.a + j, pf_incref(items[j]));
    } else {
      uint32_t star = k->ins[f->pc].a;
      f->pc++;
      uint32_t after = want - star - 1;
      if (n < want - 1)
        rc = pf_raise_run(r, PF_EXC_ValueError, "not enough values to unpack (expected at least %u, got %zu)",
                          want - 1, n);
      else {
        for (uint32_t j = 0; j < star; j++)
          set_reg(R, i.a + j, pf_incref(items[j]));
        size_t nm = n - star - after;
        pf_val mid[nm + 1];
        for (size_t j = 0; j < nm; j++)
          mid[j] = pf_incref(items[star + j]);
        if (pf_list_new(nm, mid, &out, &r->err) != PF_OK)
          rc = NS_RAISE;
        else
          set_reg(R, i.a + star, out);
        for (uint32_t j = 0; j < after; j++)
          set_reg(R, i.a + star + 1 + j, pf_incref(items[n - after + j]));
      }
    }
    for (size_t j = 0; j < n; j++)
      pf_decref(items[j]);
    free(items);
    return rc;
  }
  case OP_MAKE_FUNC: {
    pf_code *ck = k->children[i.b];
    pf_func *fn = pf_func_new(r->prog, ck, false);
    if (!fn)
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    if (ck->nposdef) {
      fn->defaults = malloc(ck->nposdef * sizeof(pf_val));
      if (!fn->defaults)
        return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
      for (uint32_t j = 0; j < ck->nposdef; j++)
        fn->defaults[j] = pf_incref(R[i.c + j]);
      fn->ndefaults = ck->nposdef;
    }
    for (uint32_t j = 0; j < ck->nkwonly; j++)
      fn->kwdefaults[j] = pf_incref(R[i.c + ck->nposdef + j]);
    for (uint32_t j = 0; j < ck->nfree; j++)
      fn->cells[j] = f->cells[ck->free_src[j]];
    set_reg(R, i.a, pf_obj_val(&fn->h));
    return NS_RETURN;
  }
  case OP_MAKE_CLASS: {
    const char *name = pf_str_utf8(k->consts[k->ins[f->pc].a], NULL);
    f->pc++;
    pf_class *base = NULL;
    if (i.c != 0xffff) {
      pf_val b = R[i.c];
      if (!pf_is_type(b, &pf_type_class))
        return pf_raise_run(r, PF_EXC_TypeError, "bases must be classes");
      base = (pf_class *)b.u.o;
      if (base->bi != BI_COUNT && base->bi != BI_object)
        return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "subclassing builtin type '%s' is not supported",
                            base->name);
    }
    pf_class *c = pf_class_new(r->prog, name, base);
    if (!c)
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    pf_val ns = R[i.b];
    for (size_t j = 0; j < pf_dict_len(ns); j++) {
      pf_val kk, vv;
      pf_dict_entry(ns, j, &kk, &vv);
      if (pf_prog_own(r->prog, pf_incref(kk)) != PF_OK ||
          pf_class_setattr(c, pf_str_utf8(kk, NULL), pf_incref(vv)) != PF_OK)
        return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    }
    set_reg(R, i.a, pf_obj_val(&c->h));
    return NS_RETURN;
  }
  case OP_RAISE:
    if (i.a == 0xffff)
      return pf_raise_run(r, PF_EXC_RuntimeError, "No active exception to reraise");
    return do_raise(r, R[i.a], i.b == 0xffff ? pf_unbound() : R[i.b], i.c == 0xffff ? pf_unbound() : R[i.c]);
  case OP_RERAISE:
    pf_decref(r->exc);
    r->exc = pf_incref(R[i.a]);
    r->top = f;
    return NS_RERAISE;
  case OP_EXC_MATCH: {
    bool m;
    if (exc_match(r, R[i.b], R[i.c], &m) != NS_RETURN)
      return NS_RAISE;
    set_reg(R, i.a, pf_bool(m));
    return NS_RETURN;
  }
  case OP_ASSERT_FAIL: {
    pf_val args;
    pf_val one = i.a == 0xffff ? pf_unbound() : pf_incref(R[i.a]);
    if (pf_tuple_new(one.tag == PF_UNBOUND ? 0 : 1, &one, &args, &r->err) != PF_OK)
      return NS_RAISE;
    pf_val e;
    if (pf_inst_new(r->prog->exc_classes[PF_EXC_AssertionError], args, &e, &r->err) != PF_OK)
      return NS_RAISE;
    pf_decref(r->exc);
    r->exc = e;
    return NS_RAISE;
  }
  case OP_FORMAT: {
    int conv = k->ins[f->pc].a;
    f->pc++;
    pf_val v = R[i.b], cv = pf_unbound();
    pf_val m;
    if (pf_is_type(v, &pf_type_inst) && conv != 's' && conv != 'r' && conv != 'a' &&
        pf_class_lookup(((pf_inst *)v.u.o)->cls, "__format__", &m)) {
      pf_val spec = i.c == 0xffff ? pf_unbound() : R[i.c], args[2] = {v, spec};
      if (spec.tag == PF_UNBOUND && pf_str_from_cstr("", &args[1], &r->err) != PF_OK)
        return NS_RAISE;
      int k2 = pf_call_sync(r, m, args, 2, &out);
      if (spec.tag == PF_UNBOUND)
        pf_decref(args[1]);
      if (k2 < 0)
        return NS_RAISE;
      set_reg(R, i.a, out);
      return NS_RETURN;
    }
    if (conv == 's' || (conv != 'r' && conv != 'a' && pf_is_type(v, &pf_type_inst))) {
      if (pf_repr_run(r, v, true, &cv) != PF_OK)
        return NS_RAISE;
    } else if (conv == 'r' || conv == 'a' || pf_needs_run(v)) {
      if (pf_repr_run(r, v, conv != 'r' && conv != 'a' ? true : false, &cv) != PF_OK)
        return NS_RAISE;
    }
    pf_status_t st = pf_format_run(r, cv.tag != PF_UNBOUND ? cv : v, i.c == 0xffff ? pf_unbound() : R[i.c],
                                   &out);
    pf_decref(cv);
    if (st != PF_OK)
      return NS_RAISE;
    set_reg(R, i.a, out);
    return NS_RETURN;
  }
  case OP_GEN_RESULT: { /* value of "yield from": the subgenerator's return value */
    pf_val g = R[i.b];
    if (pf_is_type(g, &pf_type_iter) && ((pf_iter *)g.u.o)->kind == IT_GEN)
      g = ((pf_iter *)g.u.o)->src;
    set_reg(R, i.a, pf_is_type(g, &pf_type_gen) ? pf_incref(((pf_gen *)g.u.o)->retval) : pf_none());
    return NS_RETURN;
  }
  case OP_IMPORT: {
    const char *nm = pf_str_utf8(k->consts[i.b], NULL);
    if (pf_module_get(r->prog, nm, &out) != PF_OK)
      return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "import of module '%s' is not allowed in pyfora code", nm);
    set_reg(R, i.a, out);
    return NS_RETURN;
  }
  default:
    return pf_raise_run(r, PF_EXC_RuntimeError, "internal: bad opcode %u", i.op);
  }
}
