/* objects.c — the object types of core/interp (functions, builtins, classes, instances and
 * exceptions, generators, iterators, modules, accumulators), arenas and namespaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_int.h"

/* ---------------------------------------------------------------- arena */

struct pf_arena_blk {
  pf_arena_blk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void *pf_arena_alloc(pf_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->cap - a->head->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    pf_arena_blk *b = malloc(sizeof *b + cap);
    if (!b)
      return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = a->head->data + a->head->used;
  a->head->used += n;
  memset(p, 0, n);
  return p;
}

char *pf_arena_strdup(pf_arena *a, const char *s) {
  size_t n = strlen(s);
  char *d = pf_arena_alloc(a, n + 1);
  if (d)
    memcpy(d, s, n + 1);
  return d;
}

void pf_arena_free(pf_arena *a) {
  pf_arena_blk *b = a->head;
  while (b) {
    pf_arena_blk *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
}

/* ---------------------------------------------------------------- namespaces */

pf_val *pf_ns_slot(pf_ns *ns, const char *name, bool create) {
  for (uint32_t i = 0; i < ns->n; i++)
    if (!strcmp(ns->names[i], name))
      return ns->slots[i];
  if (!create)
    return NULL;
  if (ns->n == ns->cap) {
    uint32_t cap = ns->cap ? ns->cap * 2 : 16;
    const char **nn = realloc(ns->names, cap * sizeof *nn);
    if (!nn)
      return NULL;
    ns->names = nn;
    pf_val **ns2 = realloc(ns->slots, cap * sizeof *ns2);
    if (!ns2)
      return NULL;
    ns->slots = ns2;
    ns->cap = cap;
  }
  pf_val *s = malloc(sizeof *s);
  char *nm = strdup(name);
  if (!s || !nm) {
    free(s);
    free(nm);
    return NULL;
  }
  *s = pf_unbound();
  ns->names[ns->n] = nm;
  ns->slots[ns->n++] = s;
  return s;
}

void pf_ns_free(pf_ns *ns) {
  for (uint32_t i = 0; i < ns->n; i++) {
    pf_decref(*ns->slots[i]);
    free(ns->slots[i]);
    free((char *)ns->names[i]);
  }
  free(ns->slots);
  free(ns->names);
  memset(ns, 0, sizeof *ns);
}

/* ---------------------------------------------------------------- program-owned */

/* The program's lock: taken for a few instructions while objects are recorded, by whichever
 * worker runs a part of the program. */
static void prog_lock(pf_program *p) {
  while (atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire))
    ;
}
static void prog_unlock(pf_program *p) { atomic_flag_clear_explicit(&p->lock, memory_order_release); }

pf_status_t pf_prog_own(pf_program *p, pf_val v) {
  if (v.tag != PF_OBJ)
    return PF_OK;
  pf_status_t st = PF_OK;
  prog_lock(p);
  if (p->nowned == p->capowned) {
    uint32_t cap = p->capowned ? p->capowned * 2 : 64;
    pf_val *n = realloc(p->owned, cap * sizeof *n);
    if (!n)
      st = PF_ENOMEM;
    else {
      p->owned = n;
      p->capowned = cap;
    }
  }
  if (st == PF_OK)
    p->owned[p->nowned++] = v;
  prog_unlock(p);
  return st;
}

pf_status_t pf_prog_track(pf_program *p, pf_obj *o) {
  pf_status_t st = PF_OK;
  prog_lock(p);
  if (p->nobjs == p->capobjs) {
    uint32_t cap = p->capobjs ? p->capobjs * 2 : 64;
    pf_obj **n = realloc(p->objs, cap * sizeof *n);
    if (!n)
      st = PF_ENOMEM;
    else {
      p->objs = n;
      p->capobjs = cap;
    }
  }
  if (st == PF_OK)
    p->objs[p->nobjs++] = o;
  prog_unlock(p);
  return st;
}

pf_cell *pf_cell_new(pf_program *p) {
  pf_cell *c = malloc(sizeof *c);
  if (!c)
    return NULL;
  c->v = pf_unbound();
  prog_lock(p);
  c->next_owned = p->cells;
  p->cells = c;
  prog_unlock(p);
  return c;
}

/* ---------------------------------------------------------------- functions */

static void func_destroy(pf_obj *o) {
  pf_func *f = (pf_func *)o;
  uint32_t nk = f->code ? f->code->nkwonly : 0;
  for (uint32_t i = 0; i < f->ndefaults; i++)
    pf_decref(f->defaults[i]);
  for (uint32_t i = 0; f->kwdefaults && i < nk; i++)
    pf_decref(f->kwdefaults[i]);
  free(f->defaults);
  free(f->kwdefaults);
  free(f->cells);
  free(f);
}
static pf_status_t func_repr(pf_obj *o, pf_val *out, pf_err *err) {
  char b[300];
  snprintf(b, sizeof b, "<function %s>", ((pf_func *)o)->code->name);
  return pf_str_from_cstr(b, out, err);
}
const pf_type pf_type_func = {"function", func_destroy, func_repr, NULL};

/* A function object for "code": immortal and owned by "p" (definitions), or reference
 * counted (functions and lambdas created while running, so a loop that creates closures does
 * not grow the program). Cells are owned by the program either way: a function does not count
 * its cells, a cell counts the value it holds, so recursive closures are no leak. */
pf_func *pf_func_new(pf_program *p, pf_code *code, bool immortal) {
  pf_func *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  pf_obj_init(&f->h, &pf_type_func);
  if (immortal)
    atomic_store(&f->h.rc, PF_RC_IMMORTAL);
  f->code = code;
  if ((code->nfree && !(f->cells = calloc(code->nfree, sizeof(pf_cell *)))) ||
      (code->nkwonly && !(f->kwdefaults = calloc(code->nkwonly, sizeof(pf_val)))) ||
      (immortal && pf_prog_track(p, &f->h) != PF_OK)) {
    free(f->cells);
    free(f->kwdefaults);
    free(f);
    return NULL;
  }
  for (uint32_t i = 0; i < code->nkwonly; i++)
    f->kwdefaults[i] = pf_unbound();
  return f;
}

/* Releases the references held by the immortal object "o" (a function or class) before the
 * program frees it. */
void pf_obj_clear(pf_obj *o) {
  if (o->type == &pf_type_func) {
    pf_func *f = (pf_func *)o;
    for (uint32_t i = 0; i < f->ndefaults; i++)
      pf_decref(f->defaults[i]);
    f->ndefaults = 0;
    for (uint32_t i = 0; f->kwdefaults && i < f->code->nkwonly; i++) {
      pf_decref(f->kwdefaults[i]);
      f->kwdefaults[i] = pf_unbound();
    }
  } else if (o->type == &pf_type_class) {
    pf_class *c = (pf_class *)o;
    for (uint32_t i = 0; i < c->nattrs; i++)
      pf_decref(c->avals[i]);
    c->nattrs = 0;
  }
}

/* ---------------------------------------------------------------- builtins */

static void static_destroy(pf_obj *o) { (void)o; }
static void builtin_destroy(pf_obj *o) {
  pf_builtin *b = (pf_builtin *)o;
  pf_decref(b->self);
  free((char *)b->mname);
  free(b);
}
static pf_status_t builtin_repr(pf_obj *o, pf_val *out, pf_err *err) {
  char b[300];
  pf_builtin *x = (pf_builtin *)o;
  if (x->mname)
    snprintf(b, sizeof b, "<built-in method %s>", x->mname);
  else
    snprintf(b, sizeof b, "<built-in function %s>", x->name);
  return pf_str_from_cstr(b, out, err);
}
const pf_type pf_type_builtin = {"builtin_function_or_method", builtin_destroy, builtin_repr, NULL};

static pf_builtin builtin_tab[BI_COUNT] = {
#define PF_X_BI(n) [BI_##n] = {.h = {&pf_type_builtin, PF_RC_IMMORTAL, 0}, .id = BI_##n, .name = #n, .self = {.tag = PF_UNBOUND}},
    PF_BUILTINS(PF_X_BI)
#undef PF_X_BI
};

pf_builtin *pf_builtin_get(pf_bi_id id) { return &builtin_tab[id]; }

pf_bi_id pf_builtin_by_name(const char *name) {
  for (int i = 0; i < BI_COUNT; i++)
    if (i != BI_method_call && i != BI_math_fn && !strcmp(builtin_tab[i].name, name))
      return (pf_bi_id)i;
  return BI_COUNT;
}

/* Returns new: a builtin method object: "self" (borrowed) bound to method "mname". */
pf_status_t pf_method_new(pf_program *p, pf_val self, const char *mname, pf_val *out,
                          pf_err *err) {
  (void)p;
  pf_builtin *b = calloc(1, sizeof *b);
  char *nm = strdup(mname);
  if (!b || !nm) {
    free(b);
    free(nm);
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  }
  pf_obj_init(&b->h, &pf_type_builtin);
  b->id = BI_method_call;
  b->name = "method";
  b->self = pf_incref(self);
  b->mname = nm;
  *out = pf_obj_val(&b->h);
  return PF_OK;
}

/* ---------------------------------------------------------------- modules */

static pf_status_t module_repr(pf_obj *o, pf_val *out, pf_err *err) {
  char b[200];
  snprintf(b, sizeof b, "<module '%s'>", ((pf_module *)o)->name);
  return pf_str_from_cstr(b, out, err);
}
const pf_type pf_type_module = {"module", static_destroy, module_repr, NULL};
static pf_module modules[] = {
    {{&pf_type_module, PF_RC_IMMORTAL, 0}, "math"},
    {{&pf_type_module, PF_RC_IMMORTAL, 0}, "functools"},
    {{&pf_type_module, PF_RC_IMMORTAL, 0}, "operator"},
    {{&pf_type_module, PF_RC_IMMORTAL, 0}, "itertools"},
};

pf_status_t pf_module_get(pf_program *p, const char *name, pf_val *out) {
  (void)p;
  for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++)
    if (!strcmp(modules[i].name, name)) {
      *out = pf_obj_val(&modules[i].h);
      return PF_OK;
    }
  return PF_ENOENT;
}

/* ---------------------------------------------------------------- classes */

static void class_destroy(pf_obj *o) {
  pf_class *c = (pf_class *)o;
  for (uint32_t i = 0; i < c->nattrs; i++)
    pf_decref(c->avals[i]);
  free(c->anames);
  free(c->avals);
  free(c);
}
static pf_status_t class_repr(pf_obj *o, pf_val *out, pf_err *err) {
  char b[300];
  snprintf(b, sizeof b, "<class '%s'>", ((pf_class *)o)->name);
  return pf_str_from_cstr(b, out, err);
}
const pf_type pf_type_class = {"type", class_destroy, class_repr, NULL};

pf_class *pf_class_new(pf_program *p, const char *name, pf_class *base) {
  pf_class *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  pf_obj_init(&c->h, &pf_type_class);
  atomic_store(&c->h.rc, PF_RC_IMMORTAL);
  c->name = name;
  c->base = base;
  c->bi = BI_COUNT;
  if (base) {
    c->exc = base->exc;
    c->is_exc = base->is_exc;
  }
  if (pf_prog_track(p, &c->h) != PF_OK) {
    free(c);
    return NULL;
  }
  return c;
}

/* Sets attribute "name" (static storage or arena) of class "c"; takes "v". */
pf_status_t pf_class_setattr(pf_class *c, const char *name, pf_val v) {
  for (uint32_t i = 0; i < c->nattrs; i++)
    if (!strcmp(c->anames[i], name)) {
      pf_decref(c->avals[i]);
      c->avals[i] = v;
      return PF_OK;
    }
  if (c->nattrs == c->capattrs) {
    uint32_t cap = c->capattrs ? c->capattrs * 2 : 8;
    const char **nn = realloc(c->anames, cap * sizeof *nn);
    if (!nn)
      return PF_ENOMEM;
    c->anames = nn;
    pf_val *nv = realloc(c->avals, cap * sizeof *nv);
    if (!nv)
      return PF_ENOMEM;
    c->avals = nv;
    c->capattrs = cap;
  }
  c->anames[c->nattrs] = name;
  c->avals[c->nattrs++] = v;
  pf_val fn = v;
  if (pf_is_type(v, &pf_type_builtin) && ((pf_builtin *)v.u.o)->self.tag == PF_OBJ &&
      (((pf_builtin *)v.u.o)->id == BI_staticmethod || ((pf_builtin *)v.u.o)->id == BI_classmethod ||
       ((pf_builtin *)v.u.o)->id == BI_property))
    fn = ((pf_builtin *)v.u.o)->self;
  if (pf_is_type(fn, &pf_type_func) && !((pf_func *)fn.u.o)->owner)
    ((pf_func *)fn.u.o)->owner = c;
  return PF_OK;
}

/* Looks "name" up in "c" and its bases; *out borrowed. */
bool pf_class_lookup(pf_class *c, const char *name, pf_val *out) {
  for (; c; c = c->base)
    for (uint32_t i = 0; i < c->nattrs; i++)
      if (!strcmp(c->anames[i], name)) {
        *out = c->avals[i];
        return true;
      }
  return false;
}

bool pf_class_is_sub(pf_class *c, pf_class *base) {
  for (; c; c = c->base)
    if (c == base)
      return true;
  return false;
}

/* Builds the builtin exception classes with CPython's hierarchy. */
pf_status_t pf_exc_classes_init(pf_program *p) {
  static const struct {
    pf_exc_kind k, base;
  } tree[] = {
      {PF_EXC_BaseException, PF_EXC_NONE},      {PF_EXC_Exception, PF_EXC_BaseException},
      {PF_EXC_KeyboardInterrupt, PF_EXC_BaseException},
      {PF_EXC_ArithmeticError, PF_EXC_Exception}, {PF_EXC_ZeroDivisionError, PF_EXC_ArithmeticError},
      {PF_EXC_OverflowError, PF_EXC_ArithmeticError}, {PF_EXC_AssertionError, PF_EXC_Exception},
      {PF_EXC_AttributeError, PF_EXC_Exception}, {PF_EXC_LookupError, PF_EXC_Exception},
      {PF_EXC_IndexError, PF_EXC_LookupError},  {PF_EXC_KeyError, PF_EXC_LookupError},
      {PF_EXC_MemoryError, PF_EXC_Exception},   {PF_EXC_NameError, PF_EXC_Exception},
      {PF_EXC_UnboundLocalError, PF_EXC_NameError}, {PF_EXC_RuntimeError, PF_EXC_Exception},
      {PF_EXC_NotImplementedError, PF_EXC_RuntimeError}, {PF_EXC_RecursionError, PF_EXC_RuntimeError},
      {PF_EXC_StopIteration, PF_EXC_Exception}, {PF_EXC_TypeError, PF_EXC_Exception},
      {PF_EXC_ValueError, PF_EXC_Exception},    {PF_EXC_UnicodeError, PF_EXC_ValueError},
      {PF_EXC_InvalidPyforaOperation, PF_EXC_BaseException},
  };
  for (size_t i = 0; i < sizeof tree / sizeof tree[0]; i++) {
    pf_class *base = tree[i].base ? p->exc_classes[tree[i].base] : NULL;
    pf_class *c = pf_class_new(p, pf_exc_name(tree[i].k), base);
    if (!c)
      return PF_ENOMEM;
    c->exc = tree[i].k;
    c->is_exc = true;
    p->exc_classes[tree[i].k] = c;
  }
  return PF_OK;
}

/* ---------------------------------------------------------------- instances, exceptions */

static void inst_destroy(pf_obj *o) {
  pf_inst *in = (pf_inst *)o;
  pf_decref(in->args);
  pf_decref(in->msg);
  pf_decref(in->cause);
  pf_decref(in->context);
  for (uint32_t i = 0; i < in->nattrs; i++)
    pf_decref(in->avals[i]);
  free(in->anames);
  free(in->avals);
  free(in->tb);
  free(in);
}
static pf_status_t inst_repr(pf_obj *o, pf_val *out, pf_err *err) {
  pf_inst *in = (pf_inst *)o;
  if (in->cls->is_exc && in->args.tag == PF_OBJ) {
    pf_val r;
    bool one = pf_tuple_len(in->args) == 1;
    if (pf_val_repr(one ? pf_tuple_get(in->args, 0) : in->args, &r, err) != PF_OK)
      return PF_EPYEXC;
    const char *s = pf_str_utf8(r, NULL);
    size_t n = strlen(s) + strlen(in->cls->name) + 4;
    char *b = malloc(n);
    if (!b) {
      pf_decref(r);
      return pf_raise(err, PF_EXC_MemoryError, "out of memory");
    }
    snprintf(b, n, one ? "%s(%s)" : "%s%s", in->cls->name, s);
    pf_decref(r);
    pf_status_t st = pf_str_from_cstr(b, out, err);
    free(b);
    return st;
  }
  char b[300];
  snprintf(b, sizeof b, "<%s object>", in->cls->name);
  return pf_str_from_cstr(b, out, err);
}
static pf_status_t inst_to_json(pf_obj *o, json_t **out, pf_err *err) {
  pf_inst *in = (pf_inst *)o;
  if (!in->cls->is_exc) {
    *out = json_pack("{s:s}", "unconvertible", in->cls->name);
    return *out ? PF_OK : pf_raise(err, PF_EXC_MemoryError, "out of memory");
  }
  json_t *args = NULL;
  if (pf_val_to_json(in->args, &args, err) != PF_OK)
    return PF_EPYEXC;
  json_t *a = json_object_get(args, "tuple");
  *out = json_pack("{s:{s:s,s:O}}", "exception", "type", in->cls->name, "args", a ? a : args);
  json_decref(args);
  return *out ? PF_OK : pf_raise(err, PF_EXC_MemoryError, "out of memory");
}
const pf_type pf_type_inst = {"object", inst_destroy, inst_repr, inst_to_json};

/* Returns new instance of "cls" with exception args "args" (taken; tuple or unbound). */
pf_status_t pf_inst_new(pf_class *cls, pf_val args, pf_val *out, pf_err *err) {
  pf_inst *in = calloc(1, sizeof *in);
  if (!in) {
    pf_decref(args);
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  }
  pf_obj_init(&in->h, &pf_type_inst);
  in->cls = cls;
  in->args = args;
  in->msg = pf_unbound();
  in->cause = pf_unbound();
  in->context = pf_unbound();
  *out = pf_obj_val(&in->h);
  return PF_OK;
}

bool pf_inst_getattr(pf_inst *in, const char *name, pf_val *out) {
  for (uint32_t i = 0; i < in->nattrs; i++)
    if (!strcmp(in->anames[i], name)) {
      *out = in->avals[i];
      return true;
    }
  return false;
}

pf_func *pf_inst_method(pf_val obj, const char *name) {
  if (!pf_is_type(obj, &pf_type_inst))
    return NULL;
  pf_inst *in = (pf_inst *)obj.u.o;
  pf_val v;
  if (in->cls->is_exc || !strcmp(name, "__class__") || pf_inst_getattr(in, name, &v) ||
      !pf_class_lookup(in->cls, name, &v) || !pf_is_type(v, &pf_type_func))
    return NULL;
  return (pf_func *)v.u.o;
}

/* Sets an attribute of "in" (only while it is being initialised); takes "v". "name" must
 * outlive the instance (code constants are program-owned). */
pf_status_t pf_inst_setattr(pf_inst *in, const char *name, pf_val v, pf_err *err) {
  if (in->frozen) {
    pf_decref(v);
    return pf_raise(err, PF_EXC_InvalidPyforaOperation,
                    "objects are immutable after __init__ in pyfora code");
  }
  for (uint32_t i = 0; i < in->nattrs; i++)
    if (!strcmp(in->anames[i], name)) {
      pf_decref(in->avals[i]);
      in->avals[i] = v;
      return PF_OK;
    }
  if (in->nattrs == in->capattrs) {
    uint32_t cap = in->capattrs ? in->capattrs * 2 : 4;
    const char **nn = realloc(in->anames, cap * sizeof *nn);
    pf_val *nv = nn ? realloc(in->avals, cap * sizeof *nv) : NULL;
    if (nn)
      in->anames = nn;
    if (!nv) {
      pf_decref(v);
      return pf_raise(err, PF_EXC_MemoryError, "out of memory");
    }
    in->avals = nv;
    in->capattrs = cap;
  }
  in->anames[in->nattrs] = name;
  in->avals[in->nattrs++] = v;
  return PF_OK;
}

pf_status_t pf_tb_push(pf_inst *in, const char *file, int32_t line, const char *func) {
  if (in->ntb == in->captb) {
    uint32_t cap = in->captb ? in->captb * 2 : 8;
    pf_tb_ent *n = realloc(in->tb, cap * sizeof *n);
    if (!n)
      return PF_ENOMEM;
    in->tb = n;
    in->captb = cap;
  }
  in->tb[in->ntb++] = (pf_tb_ent){file, line, func};
  return PF_OK;
}

/* str(exc) as CPython prints it. Returns new. */
pf_status_t pf_exc_str(pf_val exc, pf_val *out, pf_err *err) {
  pf_inst *in = (pf_inst *)exc.u.o;
  if (in->msg.tag != PF_UNBOUND) {
    *out = pf_incref(in->msg);
    return PF_OK;
  }
  size_t n = in->args.tag == PF_OBJ ? pf_tuple_len(in->args) : 0;
  if (n == 0)
    return pf_str_from_cstr("", out, err);
  if (n == 1) {
    pf_val a = pf_tuple_get(in->args, 0);
    if (in->cls->exc == PF_EXC_KeyError)
      return pf_val_repr(a, out, err);
    return pf_val_str(a, out, err);
  }
  return pf_val_repr(in->args, out, err);
}

/* Returns new exception instance for the runtime error "e". */
pf_status_t pf_exc_from_err(pf_program *p, const pf_err *e, pf_val *out) {
  pf_err e2;
  pf_exc_kind k = e->kind > PF_EXC_NONE && e->kind < PF_EXC_COUNT ? e->kind : PF_EXC_RuntimeError;
  pf_val s, t;
  if (pf_str_from_cstr(e->msg, &s, &e2) != PF_OK)
    return PF_ENOMEM;
  pf_val one = pf_incref(s);
  size_t n1 = e->msg[0] ? 1 : 0; /* no message: args == () */
  if (!n1)
    pf_decref(one);
  if (pf_tuple_new(n1, &one, &t, &e2) != PF_OK) {
    pf_decref(s);
    return PF_ENOMEM;
  }
  if (pf_inst_new(p->exc_classes[k], t, out, &e2) != PF_OK) {
    pf_decref(s);
    return PF_ENOMEM;
  }
  ((pf_inst *)out->u.o)->msg = s;
  return PF_OK;
}

/* ---------------------------------------------------------------- generators */

static void gen_destroy(pf_obj *o) {
  pf_gen *g = (pf_gen *)o;
  if (g->frame)
    pf_frame_free(g->frame);
  pf_decref(g->retval);
  free(g);
}
const pf_type pf_type_gen = {"generator", gen_destroy, NULL, NULL};

/* ---------------------------------------------------------------- iterators */

static void iter_destroy(pf_obj *o) {
  pf_iter *it = (pf_iter *)o;
  pf_decref(it->src);
  pf_decref(it->f);
  for (uint32_t i = 0; i < it->nsubs; i++)
    pf_decref(it->subs[i]);
  free(it->subs);
  free(it->idx);
  free(it);
}
const pf_type pf_type_iter = {"iterator", iter_destroy, NULL, NULL};

/* Returns new iterator over "src" (borrowed): iter(src). Iterators return themselves. */
pf_status_t pf_iter_new(pf_val src, pf_val *out, pf_err *err) {
  if (pf_is_type(src, &pf_type_iter)) {
    *out = pf_incref(src);
    return PF_OK;
  }
  pf_iter *it = calloc(1, sizeof *it);
  if (!it)
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  pf_obj_init(&it->h, &pf_type_iter);
  it->src = pf_unbound();
  it->f = pf_unbound();
  if (pf_is_type(src, &pf_type_range)) {
    int64_t len;
    it->kind = IT_RANGE;
    pf_range_get(src, &it->cur, &it->stop, &it->step, &len);
    it->stop = len; /* count remaining in n */
    it->pos = 0;
  } else if (pf_is_type(src, &pf_type_list) || pf_is_type(src, &pf_type_tuple)) {
    it->kind = IT_SEQ;
    it->src = pf_incref(src);
    it->stop = (int64_t)(pf_is_type(src, &pf_type_list) ? pf_list_len(src) : pf_tuple_len(src));
  } else if (pf_is_type(src, &pf_type_str)) {
    it->kind = IT_STR;
    it->src = pf_incref(src);
  } else if (pf_is_type(src, &pf_type_dict) || pf_is_dview(src)) {
    it->kind = IT_DICT;
    if (pf_is_dview(src)) {
      it->nkind = ((pf_dview *)src.u.o)->kind;
      src = ((pf_dview *)src.u.o)->d;
    }
    it->src = pf_incref(src);
    it->stop = (int64_t)pf_dict_len(src);
  } else if (pf_is_type(src, &pf_type_set) || pf_is_type(src, &pf_type_frozenset)) {
    it->kind = IT_SET;
    it->src = pf_incref(src);
    it->stop = (int64_t)pf_set_len(src);
  } else if (pf_is_type(src, &pf_type_brange)) {
    it->kind = IT_NATIVE;
    it->nkind = NK_BRANGE;
    it->src = pf_incref(((pf_brange *)src.u.o)->start);
    it->f = pf_incref(src);
  } else if (pf_is_type(src, &pf_type_gen)) {
    it->kind = IT_GEN;
    it->src = pf_incref(src);
  } else {
    free(it);
    return pf_raise(err, PF_EXC_TypeError, "'%s' object is not iterable", pf_type_name(src));
  }
  *out = pf_obj_val(&it->h);
  return PF_OK;
}

int pf_iter_fast_next(pf_iter *it, pf_val *out, pf_err *err) {
  switch (it->kind) {
  case IT_RANGE:
    if ((int64_t)it->pos >= it->stop)
      return 0;
    *out = pf_int(it->cur + (int64_t)it->pos * it->step);
    it->pos++;
    return 1;
  case IT_SEQ:
    if (it->cur >= it->stop)
      return 0;
    *out = pf_incref(pf_is_type(it->src, &pf_type_list) ? pf_list_get(it->src, (size_t)it->cur)
                                                         : pf_tuple_get(it->src, (size_t)it->cur));
    it->cur++;
    return 1;
  case IT_STR: {
    size_t nb;
    const char *s = pf_str_utf8(it->src, &nb);
    if (it->pos >= nb)
      return 0;
    size_t k = 1;
    unsigned char c0 = (unsigned char)s[it->pos];
    if (c0 >= 0xf0)
      k = 4;
    else if (c0 >= 0xe0)
      k = 3;
    else if (c0 >= 0xc0)
      k = 2;
    if (pf_str_new(s + it->pos, k, out, err) != PF_OK)
      return -2;
    it->pos += k;
    return 1;
  }
  case IT_DICT: {
    if (it->cur >= it->stop)
      return 0;
    if ((int64_t)pf_dict_len(it->src) != it->stop)
      return pf_raise(err, PF_EXC_RuntimeError, "dictionary changed size during iteration"), -2;
    pf_val k, v;
    pf_dict_entry(it->src, (size_t)it->cur++, &k, &v);
    if (it->nkind == DV_ITEMS) {
      pf_val pair[2] = {pf_incref(k), pf_incref(v)};
      return pf_tuple_new(2, pair, out, err) == PF_OK ? 1 : -2;
    }
    *out = pf_incref(it->nkind == DV_VALUES ? v : k);
    return 1;
  }
  case IT_SET:
    if (it->cur >= it->stop)
      return 0;
    *out = pf_incref(pf_set_item(it->src, (size_t)it->cur++));
    return 1;
  default:
    return -1;
  }
}

/* ---------------------------------------------------------------- accumulators, bound methods */

static void acc_destroy(pf_obj *o) {
  pf_acc *a = (pf_acc *)o;
  pf_listb_discard(&a->items);
  pf_listb_discard(&a->vals);
  free(a);
}
const pf_type pf_type_acc = {"accumulator", acc_destroy, NULL, NULL};

static void bound_destroy(pf_obj *o) {
  pf_bound *b = (pf_bound *)o;
  pf_decref(b->self);
  pf_decref(b->fn);
  free(b);
}
const pf_type pf_type_bound = {"method", bound_destroy, NULL, NULL};
const pf_type pf_type_super = {"super", bound_destroy, NULL, NULL};

/* ---------------------------------------------------------------- slices */

static void slice_destroy(pf_obj *o) {
  pf_slice *s = (pf_slice *)o;
  pf_decref(s->start);
  pf_decref(s->stop);
  pf_decref(s->step);
  free(s);
}
static pf_status_t slice_repr(pf_obj *o, pf_val *out, pf_err *err) {
  pf_slice *s = (pf_slice *)o;
  pf_val p[3];
  pf_val v[3] = {s->start, s->stop, s->step};
  for (int i = 0; i < 3; i++)
    if (pf_val_repr(v[i], &p[i], err) != PF_OK) {
      for (int j = 0; j < i; j++)
        pf_decref(p[j]);
      return PF_EPYEXC;
    }
  char b[512];
  snprintf(b, sizeof b, "slice(%s, %s, %s)", pf_str_utf8(p[0], NULL), pf_str_utf8(p[1], NULL),
           pf_str_utf8(p[2], NULL));
  for (int i = 0; i < 3; i++)
    pf_decref(p[i]);
  return pf_str_from_cstr(b, out, err);
}
const pf_type pf_type_slice = {"slice", slice_destroy, slice_repr, NULL};

/* Returns a new slice object holding "start", "stop", "step" (borrowed). */
pf_status_t pf_slice_new(pf_val start, pf_val stop, pf_val step, pf_val *out, pf_err *err) {
  pf_slice *s = calloc(1, sizeof *s);
  if (!s)
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  pf_obj_init(&s->h, &pf_type_slice);
  s->start = pf_incref(start.tag == PF_UNBOUND ? pf_none() : start);
  s->stop = pf_incref(stop.tag == PF_UNBOUND ? pf_none() : stop);
  s->step = pf_incref(step.tag == PF_UNBOUND ? pf_none() : step);
  *out = pf_obj_val(&s->h);
  return PF_OK;
}

/* ---------------------------------------------------------------- dict views */

static void dview_destroy(pf_obj *o) {
  pf_decref(((pf_dview *)o)->d);
  free(o);
}

/* Returns new list of the items of dict view "v" (borrowed), in the dict's order. */
pf_status_t pf_dview_list(pf_val v, pf_val *out, pf_err *err) {
  pf_dview *w = (pf_dview *)v.u.o;
  size_t n = pf_dict_len(w->d);
  pf_listb lb;
  pf_listb_init(&lb);
  for (size_t i = 0; i < n; i++) {
    pf_val k, x, t;
    pf_dict_entry(w->d, i, &k, &x);
    if (w->kind == DV_ITEMS) {
      pf_val pair[2] = {pf_incref(k), pf_incref(x)};
      if (pf_tuple_new(2, pair, &t, err) != PF_OK) {
        pf_listb_discard(&lb);
        return PF_EPYEXC;
      }
    } else
      t = pf_incref(w->kind == DV_KEYS ? k : x);
    if (pf_listb_push(&lb, t, err) != PF_OK) {
      pf_listb_discard(&lb);
      return PF_EPYEXC;
    }
  }
  return pf_listb_finish(&lb, false, out, err);
}

static pf_status_t dview_repr(pf_obj *o, pf_val *out, pf_err *err) {
  pf_val l, s;
  if (pf_dview_list(pf_obj_val(o), &l, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t st = pf_val_repr(l, &s, err);
  pf_decref(l);
  if (st != PF_OK)
    return st;
  const char *p = pf_str_utf8(s, NULL);
  size_t n = strlen(p) + 16;
  char *b = malloc(n);
  if (!b) {
    pf_decref(s);
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  }
  snprintf(b, n, "%s(%s)", o->type->name, p);
  pf_decref(s);
  st = pf_str_from_cstr(b, out, err);
  free(b);
  return st;
}

static pf_status_t dview_to_json(pf_obj *o, json_t **out, pf_err *err) {
  pf_val l;
  if (pf_dview_list(pf_obj_val(o), &l, err) != PF_OK)
    return PF_EPYEXC;
  pf_status_t st = pf_val_to_json(l, out, err);
  pf_decref(l);
  return st;
}

const pf_type pf_type_dkeys = {"dict_keys", dview_destroy, dview_repr, dview_to_json};
const pf_type pf_type_dvalues = {"dict_values", dview_destroy, dview_repr, dview_to_json};
const pf_type pf_type_ditems = {"dict_items", dview_destroy, dview_repr, dview_to_json};

/* Returns new view of kind DV_KEYS/DV_VALUES/DV_ITEMS on dict "d" (borrowed). */
pf_status_t pf_dview_new(pf_val d, int kind, pf_val *out, pf_err *err) {
  pf_dview *w = calloc(1, sizeof *w);
  if (!w)
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  pf_obj_init(&w->h, kind == DV_KEYS ? &pf_type_dkeys : kind == DV_VALUES ? &pf_type_dvalues : &pf_type_ditems);
  w->d = pf_incref(d);
  w->kind = kind;
  *out = pf_obj_val(&w->h);
  return PF_OK;
}
