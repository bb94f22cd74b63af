/* vm.c — the interpreter loop. Frames are heap records linked to their caller; Python-level
 * calls, returns, generator resumption and builtins that iterate never recurse in C: a call
 * pushes a frame and the loop continues; a return pops it and delivers the value. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

int pf_raise_run(pf_run *r, pf_exc_kind kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  r->err.kind = kind;
  vsnprintf(r->err.msg, sizeof r->err.msg, fmt, ap);
  va_end(ap);
  return NS_RAISE;
}

static pf_frame *frame_alloc(uint32_t nregs, uint32_t ncells) {
  pf_frame *f = malloc(sizeof *f + nregs * sizeof(pf_val) + ncells * sizeof(pf_cell *));
  if (!f)
    return NULL;
  memset(f, 0, sizeof *f);
  f->nregs = nregs;
  for (uint32_t i = 0; i < nregs; i++)
    f->regs[i] = pf_unbound();
  f->cells = (pf_cell **)(f->regs + nregs);
  f->wait_exit = PF_NO_TARGET;
  return f;
}

void pf_frame_free(pf_frame *f) {
  for (uint32_t i = 0; i < f->nregs; i++)
    pf_decref(f->regs[i]);
  if (f->aux_free)
    f->aux_free(f->aux);
  if (f->func)
    pf_obj_decref(&f->func->h);
  free(f);
}

/* A native frame running "step" (not pushed yet). */
pf_frame *pf_frame_native(pf_run *r, pf_native_step step) {
  (void)r;
  pf_frame *f = frame_alloc(PF_NAT_REGS, 0);
  if (!f)
    return NULL;
  f->kind = FR_NATIVE;
  f->step = step;
  return f;
}

/* Binds "args" (borrowed) and keywords to the parameters of "fn" in frame "f". */
static int bind_args(pf_run *r, pf_func *fn, pf_frame *f, pf_val *args, uint32_t nargs,
                     const pf_val *kwnames, pf_val *kwvals, uint32_t nkw) {
  pf_code *k = fn->code;
  uint32_t np = k->nparams, nkwo = k->nkwonly;
  pf_val *R = f->regs;
  const char *name = k->qualname ? k->qualname : k->name;
  if (nargs > np && !k->has_varargs) {
    uint32_t least = np - (fn->ndefaults < np ? fn->ndefaults : np);
    if (least < np)
      return pf_raise_run(r, PF_EXC_TypeError,
                          "%s() takes from %u to %u positional arguments but %u %s given", name,
                          least, np, nargs, nargs == 1 ? "was" : "were");
    return pf_raise_run(r, PF_EXC_TypeError, "%s() takes %u positional argument%s but %u %s given",
                        name, np, np == 1 ? "" : "s", nargs, nargs == 1 ? "was" : "were");
  }
  uint32_t i;
  for (i = 0; i < nargs && i < np; i++)
    R[i] = pf_incref(args[i]);
  uint32_t vreg = np + nkwo, kwreg = vreg + (k->has_varargs ? 1 : 0);
  if (k->has_varargs) {
    uint32_t extra = nargs > np ? nargs - np : 0;
    pf_val tmp[extra + 1];
    for (uint32_t j = 0; j < extra; j++)
      tmp[j] = pf_incref(args[np + j]);
    if (pf_tuple_new(extra, tmp, &R[vreg], &r->err) != PF_OK)
      return NS_RAISE;
  }
  pf_val kwacc_k[nkw + 1], kwacc_v[nkw + 1];
  uint32_t nextra = 0;
  for (uint32_t j = 0; j < nkw; j++) {
    const char *kn = pf_str_utf8(kwnames[j], NULL);
    uint32_t p;
    for (p = 0; p < np + nkwo; p++)
      if (!strcmp(k->pnames[p], kn))
        break;
    if (p < np + nkwo) {
      if (R[p].tag != PF_UNBOUND) {
        for (uint32_t q = 0; q < nextra; q++)
          pf_decref(kwacc_k[q]), pf_decref(kwacc_v[q]);
        return pf_raise_run(r, PF_EXC_TypeError, "%s() got multiple values for argument '%s'", name, kn);
      }
      R[p] = pf_incref(kwvals[j]);
    } else if (k->has_varkw) {
      kwacc_k[nextra] = pf_incref(kwnames[j]);
      kwacc_v[nextra++] = pf_incref(kwvals[j]);
    } else
      return pf_raise_run(r, PF_EXC_TypeError, "%s() got an unexpected keyword argument '%s'", name, kn);
  }
  if (k->has_varkw && pf_dict_new(nextra, kwacc_k, kwacc_v, &R[kwreg], &r->err) != PF_OK)
    return NS_RAISE;
  uint32_t nd = fn->ndefaults;
  for (uint32_t p = 0; p < np; p++)
    if (R[p].tag == PF_UNBOUND) {
      if (p >= np - nd && nd)
        R[p] = pf_incref(fn->defaults[p - (np - nd)]);
      else {
        uint32_t missing = 0;
        for (uint32_t q = p; q < np; q++)
          if (R[q].tag == PF_UNBOUND && !(q >= np - nd && nd))
            missing++;
        return pf_raise_run(r, PF_EXC_TypeError, "%s() missing %u required positional argument%s: '%s'",
                            name, missing, missing == 1 ? "" : "s", k->pnames[p]);
      }
    }
  for (uint32_t p = np; p < np + nkwo; p++)
    if (R[p].tag == PF_UNBOUND) {
      if (fn->kwdefaults && fn->kwdefaults[p - np].tag != PF_UNBOUND)
        R[p] = pf_incref(fn->kwdefaults[p - np]);
      else
        return pf_raise_run(r, PF_EXC_TypeError, "%s() missing 1 required keyword-only argument: '%s'",
                            name, k->pnames[p]);
    }
  return NS_RETURN;
}

/* New frame for calling "fn" with its cells set up; not pushed. */
static pf_frame *code_frame(pf_run *r, pf_func *fn) {
  pf_code *k = fn->code;
  pf_frame *f = frame_alloc(k->nregs, k->ncells + k->nfree);
  if (!f)
    return NULL;
  f->kind = FR_CODE;
  f->code = k;
  f->func = fn;
  pf_obj_incref(&fn->h);
  for (uint32_t i = 0; i < k->ncells; i++) {
    f->cells[i] = pf_cell_new(r->prog);
    if (!f->cells[i]) {
      pf_frame_free(f);
      return NULL;
    }
  }
  for (uint32_t i = 0; i < k->nfree; i++)
    f->cells[k->ncells + i] = fn->cells[i];
  return f;
}

static void cells_from_params(pf_frame *f) {
  pf_code *k = f->code;
  for (uint32_t i = 0; i < k->ncells; i++)
    if (k->cell_param[i] >= 0)
      f->cells[i]->v = pf_incref(f->regs[k->cell_param[i]]);
}

/* Pushes "nf" above "caller" (which waits with destination "dst"). */
static int push(pf_run *r, pf_frame *caller, pf_frame *nf, uint32_t dst) {
  if (r->depth + 1 > r->max_depth) {
    pf_frame_free(nf);
    return pf_raise_run(r, PF_EXC_RecursionError, "maximum recursion depth exceeded");
  }
  if (caller) {
    caller->wait_dst = (uint16_t)dst;
    caller->wait_exit = PF_NO_TARGET;
  }
  nf->caller = caller;
  r->top = nf;
  r->depth++;
  return NS_CALL;
}

static pf_status_t gen_new(pf_frame *f, pf_val *out, pf_err *err) {
  pf_gen *g = calloc(1, sizeof *g);
  if (!g)
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  pf_obj_init(&g->h, &pf_type_gen);
  g->retval = pf_none();
  g->frame = f;
  f->gen = g;
  *out = pf_obj_val(&g->h);
  return PF_OK;
}

static int init_step(pf_run *r, pf_frame *f, int ev, pf_val v) {
  if (ev == EV_VALUE && v.tag != PF_NONE) {
    pf_decref(v);
    return pf_raise_run(r, PF_EXC_TypeError, "__init__() should return None");
  }
  ((pf_inst *)f->regs[0].u.o)->frozen = true;
  r->ret = pf_incref(f->regs[0]);
  return NS_RETURN;
}

/* Calls "callee" from "caller" (code or native frame). Returns NS_RETURN with r->ret set
 * (the call finished at once), NS_CALL (a frame was pushed) or NS_RAISE. Borrows all. */
int pf_vm_call(pf_run *r, pf_frame *caller, pf_val callee, pf_val *args, uint32_t nargs,
               const pf_val *kwnames, pf_val *kwvals, uint32_t nkw, uint32_t dst) {
  if (callee.tag != PF_OBJ)
    return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not callable", pf_type_name(callee));
  const pf_type *t = callee.u.o->type;
  if (t == &pf_type_func) {
    pf_func *fn = (pf_func *)callee.u.o;
    pf_frame *nf = code_frame(r, fn);
    if (!nf)
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    if (bind_args(r, fn, nf, args, nargs, kwnames, kwvals, nkw) != NS_RETURN) {
      pf_frame_free(nf);
      return NS_RAISE;
    }
    cells_from_params(nf);
    if (fn->code->is_gen) {
      if (gen_new(nf, &r->ret, &r->err) != PF_OK) {
        pf_frame_free(nf);
        return NS_RAISE;
      }
      return NS_RETURN;
    }
    return push(r, caller, nf, dst);
  }
  if (t == &pf_type_builtin && ((pf_builtin *)callee.u.o)->id == BI_method_call &&
      !strcmp(((pf_builtin *)callee.u.o)->mname, "functools.partial()")) {
    pf_val st = ((pf_builtin *)callee.u.o)->self;
    pf_val pa = pf_tuple_get(st, 0), pk = pf_tuple_get(st, 1);
    uint32_t np = (uint32_t)pf_tuple_len(pa) - 1, nd = (uint32_t)pf_dict_len(pk);
    pf_val a2[np + nargs + 1], kn[nd + nkw + 1], kv[nd + nkw + 1];
    for (uint32_t i = 0; i < np; i++)
      a2[i] = pf_tuple_get(pa, i + 1);
    for (uint32_t i = 0; i < nargs; i++)
      a2[np + i] = args[i];
    uint32_t nk = 0;
    for (uint32_t i = 0; i < nd; i++) {
      pf_val k2, v2;
      pf_dict_entry(pk, i, &k2, &v2);
      bool over = false;
      for (uint32_t j = 0; j < nkw; j++)
        if (!strcmp(pf_str_utf8(kwnames[j], NULL), pf_str_utf8(k2, NULL)))
          over = true;
      if (!over)
        kn[nk] = k2, kv[nk++] = v2;
    }
    for (uint32_t j = 0; j < nkw; j++)
      kn[nk] = kwnames[j], kv[nk++] = kwvals[j];
    return pf_vm_call(r, caller, pf_tuple_get(pa, 0), a2, np + nargs, kn, kv, nk, dst);
  }
  if (t == &pf_type_builtin && ((pf_builtin *)callee.u.o)->self.tag == PF_OBJ &&
      ((pf_builtin *)callee.u.o)->id == BI_staticmethod)
    return pf_vm_call(r, caller, ((pf_builtin *)callee.u.o)->self, args, nargs, kwnames, kwvals, nkw, dst);
  if (t == &pf_type_builtin && nargs == 1 && nkw == 0 && pf_is_type(args[0], &pf_type_inst)) {
    /* builtins that defer to a user class's dunder method */
    static const struct {
      pf_bi_id id;
      const char *m1, *m2;
    } dd[] = {{BI_str, "__str__", "__repr__"}, {BI_repr, "__repr__", NULL}, {BI_len, "__len__", NULL},
              {BI_bool, "__bool__", NULL}, {BI_abs, "__abs__", NULL}, {BI_float, "__float__", "__index__"},
              {BI_int, "__int__", "__index__"}, {BI_round, "__round__", NULL}, {BI_reversed, "__reversed__", NULL},
              {BI_iter, "__iter__", NULL}};
    pf_builtin *bb = (pf_builtin *)callee.u.o;
    pf_class *cls = ((pf_inst *)args[0].u.o)->cls;
    pf_val m;
    for (size_t j = 0; j < sizeof dd / sizeof dd[0]; j++)
      if (dd[j].id == bb->id && bb->self.tag == PF_UNBOUND &&
          (pf_class_lookup(cls, dd[j].m1, &m) || (dd[j].m2 && pf_class_lookup(cls, dd[j].m2, &m))))
        return pf_vm_call(r, caller, m, args, 1, NULL, NULL, 0, dst);
  }
  if (t == &pf_type_inst) {
    pf_val m;
    if (pf_class_lookup(((pf_inst *)callee.u.o)->cls, "__call__", &m)) {
      pf_val a2[nargs + 1];
      a2[0] = callee;
      if (nargs)
        memcpy(a2 + 1, args, nargs * sizeof(pf_val));
      return pf_vm_call(r, caller, m, a2, nargs + 1, kwnames, kwvals, nkw, dst);
    }
  }
  if (t == &pf_type_builtin) {
    int rc = pf_builtin_call(r, (pf_builtin *)callee.u.o, args, nargs, kwnames, kwvals, nkw);
    if (rc == NS_CALL) {
      pf_frame *nf = r->newf;
      r->newf = NULL;
      return push(r, caller, nf, dst) == NS_CALL ? NS_CALL : NS_RAISE;
    }
    return rc;
  }
  if (t == &pf_type_bound) {
    pf_bound *b = (pf_bound *)callee.u.o;
    pf_val a2[nargs + 1];
    a2[0] = b->self;
    if (nargs)
      memcpy(a2 + 1, args, nargs * sizeof(pf_val));
    return pf_vm_call(r, caller, b->fn, a2, nargs + 1, kwnames, kwvals, nkw, dst);
  }
  if (t == &pf_type_class) {
    pf_class *cls = (pf_class *)callee.u.o;
    if (cls->bi != BI_COUNT)
      return pf_vm_call(r, caller, pf_obj_val(&pf_builtin_get(cls->bi)->h), args, nargs, kwnames,
                        kwvals, nkw, dst);
    pf_val targs = pf_unbound();
    if (cls->is_exc) {
      for (uint32_t i = 0; i < nargs; i++)
        pf_incref(args[i]);
      if (pf_tuple_new(nargs, args, &targs, &r->err) != PF_OK)
        return NS_RAISE;
    }
    pf_val inst;
    if (pf_inst_new(cls, targs, &inst, &r->err) != PF_OK)
      return NS_RAISE;
    pf_val init;
    if (!pf_class_lookup(cls, "__init__", &init)) {
      if (!cls->is_exc && (nargs || nkw)) {
        pf_decref(inst);
        return pf_raise_run(r, PF_EXC_TypeError, "%s() takes no arguments", cls->name);
      }
      ((pf_inst *)inst.u.o)->frozen = true;
      r->ret = inst;
      return NS_RETURN;
    }
    pf_frame *w = pf_frame_native(r, init_step);
    if (!w) {
      pf_decref(inst);
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    }
    w->regs[0] = inst;
    if (push(r, caller, w, dst) != NS_CALL)
      return NS_RAISE;
    pf_val a2[nargs + 1];
    a2[0] = inst;
    if (nargs)
      memcpy(a2 + 1, args, nargs * sizeof(pf_val));
    int rc = pf_vm_call(r, w, init, a2, nargs + 1, kwnames, kwvals, nkw, 0);
    if (rc == NS_RETURN) { /* __init__ was a builtin */
      pf_decref(r->ret);
      r->ret = pf_unbound();
      r->top = w->caller;
      r->depth--;
      r->ret = pf_incref(inst);
      ((pf_inst *)inst.u.o)->frozen = true;
      pf_frame_free(w);
      return NS_RETURN;
    }
    if (rc == NS_RAISE) {
      r->top = w->caller;
      r->depth--;
      pf_frame_free(w);
    }
    return rc;
  }
  return pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not callable", pf_type_name(callee));
}
