/* inst.c — instances of user classes as native arguments: the key the tier guards them by
 * (class definition and instance layout), the copy of a class a compile works from, the
 * types of attribute reads, and their code (attribute loads, method lookups). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jit_compile.h"

/* The JCA_* kind of class attribute "v" read through an instance. */
static int cattr_kind(pf_val v) {
  switch (v.tag) {
  case PF_INT: return JCA_INT;
  case PF_FLOAT: return JCA_FLOAT;
  case PF_BOOL: return JCA_BOOL;
  case PF_NONE: return JCA_NONE;
  default: return pf_is_type(v, &pf_type_func) ? JCA_FUNC : JCA_OTHER;
  }
}

/* The type native code reads instance attribute value "v" as (JT_ANY: not read): a number,
 * None, a tuple or list of numbers (typed by its first item, as arguments are), or a built
 * instance (unless "shallow": the instances an instance attribute holds are not read). */
static jty iattr_kind(pf_val v, bool shallow) {
  switch (v.tag) {
  case PF_INT: return (jty){JT_INT, 0};
  case PF_FLOAT: return (jty){JT_FLOAT, 0};
  case PF_BOOL: return (jty){JT_BOOL, 0};
  case PF_NONE: return (jty){JT_NONE, 0};
  case PF_OBJ:
    if (v.u.o->type == &pf_type_tuple || v.u.o->type == &pf_type_list) {
      size_t n = (size_t)pf_jit_seq_len(v.u.o);
      pf_val first = !n ? pf_int(0) : v.u.o->type == &pf_type_tuple ? pf_tuple_get(v, 0)
                                                                     : pf_list_get(v, 0);
      if (first.tag == PF_INT || first.tag == PF_FLOAT)
        return (jty){JT_SEQ, (uint16_t)(first.tag == PF_INT ? JT_INT : JT_FLOAT)};
    } else if (!shallow && v.u.o->type == &pf_type_inst && ((pf_inst *)v.u.o)->frozen &&
               !((pf_inst *)v.u.o)->cls->is_exc && ((pf_inst *)v.u.o)->nattrs <= PF_JIT_MAXIATTRS)
      return (jty){JT_INST, 0};
    return (jty){JT_ANY, 0};
  default:
    return (jty){JT_ANY, 0};
  }
}

/* Hash of class "c"'s definition (cached in c->jit_key: classes do not change once built),
 * or 0 when native code does not take its instances. */
static uint64_t class_key(pf_jit *jit, pf_class *c, int depth) {
  uint64_t k = __atomic_load_n(&c->jit_key, __ATOMIC_RELAXED);
  if (k)
    return k;
  if (c->is_exc || depth > 32)
    return 0;
  uint64_t h = pf_jit_hash(0, c->name ? c->name : "", c->name ? strlen(c->name) : 0);
  h = pf_jit_hash_u64(h, (uint64_t)c->bi);
  if (c->base) {
    uint64_t bk = class_key(jit, c->base, depth + 1);
    if (!bk)
      return 0;
    h = pf_jit_hash_u64(h, bk);
  }
  h = pf_jit_hash_u64(h, c->nattrs);
  for (uint32_t i = 0; i < c->nattrs; i++) {
    pf_val v = c->avals[i];
    int kind = cattr_kind(v);
    h = pf_jit_hash(h, c->anames[i], strlen(c->anames[i]) + 1);
    h = pf_jit_hash_u64(h, (uint64_t)kind);
    if (kind == JCA_INT || kind == JCA_FLOAT || kind == JCA_BOOL)
      h = pf_jit_hash_u64(h, (uint64_t)v.u.i);
    else if (kind == JCA_FUNC) {
      jcode *jc = pf_jit_code_record(jit, ((pf_func *)v.u.o)->code);
      if (!jc)
        return 0;
      h = pf_jit_hash_u64(h, jc->hash);
    }
  }
  h = h ? h : 1;
  __atomic_store_n(&c->jit_key, h, __ATOMIC_RELAXED);
  return h;
}

/* The key of "in": its class's and its layout (an instance attribute by its own key, taken
 * "shallow"ly: its instance attributes as other values). 0: not taken. */
static uint64_t inst_key(pf_jit *jit, const pf_inst *in, bool shallow) {
  if (!in->frozen || in->nattrs > PF_JIT_MAXIATTRS || in->cls->is_exc)
    return 0;
  uint64_t h = class_key(jit, in->cls, 0);
  if (!h)
    return 0;
  h = pf_jit_hash_u64(h, in->nattrs);
  for (uint32_t i = 0; i < in->nattrs; i++) {
    jty k = iattr_kind(in->avals[i], shallow);
    h = pf_jit_hash(h, in->anames[i], strlen(in->anames[i]) + 1);
    h = pf_jit_hash_u64(h, (uint64_t)k.t << 16 | k.fn);
    if (k.t == JT_INST)
      h = pf_jit_hash_u64(h, inst_key(jit, (const pf_inst *)in->avals[i].u.o, true));
  }
  return h ? h : 1;
}

uint64_t pf_jit_inst_key(pf_jit *jit, const pf_inst *in) {
  /* frozen instances do not change: their key is computed once */
  uint64_t k = __atomic_load_n(&((pf_inst *)in)->jit_key, __ATOMIC_RELAXED);
  if (k || !in->frozen)
    return k;
  k = inst_key(jit, in, false);
  __atomic_store_n(&((pf_inst *)in)->jit_key, k, __ATOMIC_RELAXED);
  return k;
}

/* pf_jit_snap_inst; "shallow" for an instance an instance attribute holds. */
static int snap_inst(pf_jit *jit, jsnap *s, const pf_inst *in, bool shallow) {
  if (s->ncls >= PF_JIT_MAXCLS)
    return -1;
  jcls *c = &s->cls[s->ncls++];
  int ci = (int)(c - s->cls);
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", in->cls->name ? in->cls->name : "?");
  c->nattrs = in->nattrs < PF_JIT_MAXIATTRS ? in->nattrs : PF_JIT_MAXIATTRS;
  for (uint32_t i = 0; i < c->nattrs; i++) {
    if (strlen(in->anames[i]) < sizeof c->aname[i])
      memcpy(c->aname[i], in->anames[i], strlen(in->anames[i]) + 1);
    c->akind[i] = iattr_kind(in->avals[i], shallow);
    if (c->akind[i].t == JT_INST) {
      int ni = snap_inst(jit, s, (const pf_inst *)in->avals[i].u.o, true);
      c->akind[i] = ni < 0 ? (jty){JT_ANY, 0} : (jty){JT_INST, (uint16_t)ni};
    }
  }
  uint32_t depth = 0;
  for (pf_class *k = in->cls; k; k = k->base, depth++)
    for (uint32_t j = 0; j < k->nattrs; j++) {
      const char *name = k->anames[j];
      if (!strcmp(name, "__getattr__") || !strcmp(name, "__getattribute__"))
        c->dynamic = true;
      if (strlen(name) >= sizeof c->cattr[0].name)
        continue; /* never read by name: code constants that long are not copied */
      bool seen = false; /* shadowed by a subclass's attribute */
      for (uint32_t q = 0; q < c->ncattrs && !seen; q++)
        seen = !strcmp(c->cattr[q].name, name);
      if (seen)
        continue;
      if (c->ncattrs >= PF_JIT_MAXCATTRS) {
        c->truncated = true;
        continue;
      }
      jcattr *a = &c->cattr[c->ncattrs++];
      memcpy(a->name, name, strlen(name) + 1);
      pf_val v = k->avals[j];
      a->kind = (uint8_t)cattr_kind(v);
      a->depth = (uint8_t)depth;
      a->slot = (uint16_t)j;
      a->v = v.tag == PF_INT || v.tag == PF_FLOAT || v.tag == PF_BOOL ? v.u.i : 0;
      if (a->kind == JCA_FUNC) {
        /* dunder methods are called by the interpreter's protocols, not read by name */
        int fi = name[0] == '_' && name[1] == '_' ? -1
                 : pf_jit_snap_fn(jit, s, ((pf_func *)v.u.o)->code);
        if (fi < 0 || depth > 255)
          a->kind = JCA_OTHER;
        else
          a->fn = (uint16_t)fi;
      }
    }
  return ci;
}

int pf_jit_snap_inst(pf_jit *jit, jsnap *s, const pf_inst *in) {
  uint64_t key = pf_jit_inst_key(jit, in);
  for (uint32_t i = 0; i < s->ncls && key; i++)
    if (s->cls[i].key == key)
      return (int)i; /* another argument of the same class and layout: one copy, one spec */
  int ci = snap_inst(jit, s, in, false);
  if (ci >= 0)
    s->cls[ci].key = key;
  if (ci < 0)
    snprintf(s->why, sizeof s->why, "more than %d instances (arguments and attributes)",
             PF_JIT_MAXCLS);
  return ci;
}

bool pf_jit_inst_attr_type(jcc *c, const jfn *f, uint32_t pc, jty obj, const char *name,
                           jty *out, bool *missing) {
  const jcls *k = &c->s->cls[obj.fn];
  *missing = false;
  if (k->dynamic) {
    pf_jit_fail(c, "%s, line %d: attribute '%s' of a %s, whose class defines __getattr__ or "
                "__getattribute__", f->name, (int)f->lines[pc], name, k->name);
    return false;
  }
  if (!name[0] || !strcmp(name, "__class__")) {
    pf_jit_fail(c, "%s, line %d: attribute '%s' of a %s", f->name, (int)f->lines[pc], name,
                k->name);
    return false;
  }
  for (uint32_t i = 0; i < k->nattrs; i++)
    if (!strcmp(k->aname[i], name)) {
      if (k->akind[i].t == JT_ANY) {
        pf_jit_fail(c, "%s, line %d: attribute '%s' of a %s holds a value that is not an int, "
                    "float, bool, None, a tuple or list of numbers or an instance (or an "
                    "instance in an instance's attribute)", f->name, (int)f->lines[pc], name,
                    k->name);
        return false;
      }
      *out = k->akind[i];
      return true;
    }
  for (uint32_t i = 0; i < k->ncattrs; i++) {
    const jcattr *a = &k->cattr[i];
    if (strcmp(a->name, name))
      continue;
    switch (a->kind) {
    case JCA_INT: *out = (jty){JT_INT, 0}; return true;
    case JCA_FLOAT: *out = (jty){JT_FLOAT, 0}; return true;
    case JCA_BOOL: *out = (jty){JT_BOOL, 0}; return true;
    case JCA_NONE: *out = (jty){JT_NONE, 0}; return true;
    case JCA_FUNC: *out = (jty){JT_METH, (uint16_t)(obj.fn * 64u + a->fn)}; return true;
    default:
      pf_jit_fail(c, "%s, line %d: attribute '%s' of class %s is not a plain method or a "
                  "number (a property, staticmethod, classmethod, dunder or other value)",
                  f->name, (int)f->lines[pc], name, k->name);
      return false;
    }
  }
  if (k->truncated) {
    pf_jit_fail(c, "%s, line %d: attribute '%s' of a class with more than %d attributes",
                f->name, (int)f->lines[pc], name, PF_JIT_MAXCATTRS);
    return false;
  }
  *missing = true; /* AttributeError: the interpreter raises it */
  return true;
}

bool pf_jit_inst_truth(jcc *c, const jfn *f, uint32_t pc, jty obj) {
  const jcls *k = &c->s->cls[obj.fn];
  bool user = k->truncated;
  for (uint32_t i = 0; i < k->ncattrs && !user; i++)
    user = !strcmp(k->cattr[i].name, "__bool__") || !strcmp(k->cattr[i].name, "__len__");
  if (user)
    pf_jit_fail(c, "%s, line %d: truth value of a %s (its class defines __bool__ or __len__)",
                f->name, (int)f->lines[pc], k->name);
  return !user;
}

/* ---------------------------------------------------------------- code */

static LLVMValueRef at(cg *g, LLVMValueRef base, size_t off, LLVMTypeRef ptrty) {
  LLVMValueRef idx = LLVMConstInt(g->i64, off, 0);
  LLVMValueRef p = LLVMBuildGEP2(g->b, g->i8, base, &idx, 1, "");
  return LLVMBuildBitCast(g->b, p, ptrty, "");
}

/* The object in register "r" (JT_INST, JT_METH) as an i8*. */
static LLVMValueRef obj_of(cg *g, uint32_t r) {
  return LLVMBuildBitCast(g->b, ld(g, g->pp8, g->rp[r]), g->p8, "inst");
}

bool pf_jit_emit_inst_getattr(cg *g, pf_ins i, const jty *st) {
  LLVMBuilderRef b = g->b;
  const jcls *k = &g->c->s->cls[st[i.b].fn];
  const char *name = g->f->consts[i.c].str;
  LLVMTypeRef ppp8 = LLVMPointerType(g->p8, 0);
  LLVMValueRef o = obj_of(g, i.b);
  for (uint32_t s = 0; s < k->nattrs; s++) {
    if (strcmp(k->aname[s], name))
      continue;
    int t = k->akind[s].t;
    LLVMValueRef avals = ld(g, g->p8, at(g, o, offsetof(pf_inst, avals), ppp8));
    LLVMValueRef p = at(g, avals, s * sizeof(pf_val), g->p8);
    /* the layout is guarded at the call; the tag is checked again (one compare) */
    static const uint32_t tags[] = {[JT_INT] = PF_INT, [JT_FLOAT] = PF_FLOAT, [JT_BOOL] = PF_BOOL,
                                    [JT_NONE] = PF_NONE, [JT_SEQ] = PF_OBJ, [JT_INST] = PF_OBJ};
    LLVMValueRef tag = ld(g, g->i32, at(g, p, offsetof(pf_val, tag), g->p32));
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "attr.ok");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, tag, LLVMConstInt(g->i32, tags[t], 0), "akind"),
                    g->deopt, ok);
    LLVMPositionBuilderAtEnd(b, ok);
    if (t == JT_SEQ || t == JT_INST) { /* the object (a sequence: its length, no window) */
      LLVMValueRef v = ld(g, g->p8, at(g, p, offsetof(pf_val, u), ppp8));
      LLVMBuildStore(b, LLVMBuildBitCast(b, v, g->pp8, ""), g->rp[i.a]);
      if (t == JT_SEQ) {
        LLVMTypeRef fty = LLVMFunctionType(g->i64, &g->p8, 1, 0);
        LLVMValueRef fp = LLVMConstIntToPtr(
            LLVMConstInt(g->i64, (uintptr_t)&pf_jit_seq_len, 0), LLVMPointerType(fty, 0));
        LLVMBuildStore(b, LLVMBuildCall2(b, fty, fp, &v, 1, "len"), g->rn[i.a]);
        LLVMBuildStore(b, ci64(g, 0), g->ra[i.a]);
        LLVMBuildStore(b, ci64(g, 0), g->rb[i.a]);
        LLVMBuildStore(b, LLVMConstNull(g->p8), g->rq[i.a]);
      }
    } else if (t == JT_FLOAT) {
      LLVMBuildStore(b, ld(g, g->f64, at(g, p, offsetof(pf_val, u), g->pf64)), g->rf[i.a]);
      LLVMBuildStore(b, ci64(g, 1), g->rt[i.a]);
    } else if (t != JT_NONE) {
      LLVMBuildStore(b, ld(g, g->i64, at(g, p, offsetof(pf_val, u), g->p64)), g->ri[i.a]);
      LLVMBuildStore(b, ci64(g, 0), g->rt[i.a]);
    }
    return true;
  }
  for (uint32_t s = 0; s < k->ncattrs; s++) {
    const jcattr *a = &k->cattr[s];
    if (strcmp(a->name, name))
      continue;
    if (a->kind == JCA_FLOAT) {
      double d;
      memcpy(&d, &a->v, sizeof d);
      LLVMBuildStore(b, cf64(g, d), g->rf[i.a]);
      LLVMBuildStore(b, ci64(g, 1), g->rt[i.a]);
    } else if (a->kind == JCA_INT || a->kind == JCA_BOOL) {
      LLVMBuildStore(b, ci64(g, a->v), g->ri[i.a]);
      LLVMBuildStore(b, ci64(g, 0), g->rt[i.a]);
    } else if (a->kind == JCA_FUNC) {
      /* the bound method: the instance, and the global slots of the function its class
       * holds (the class's key guarantees which code that is) */
      LLVMValueRef cls = ld(g, g->p8, at(g, o, offsetof(pf_inst, cls), ppp8));
      for (uint32_t d = 0; d < a->depth; d++)
        cls = ld(g, g->p8, at(g, cls, offsetof(pf_class, base), ppp8));
      LLVMValueRef avals = ld(g, g->p8, at(g, cls, offsetof(pf_class, avals), ppp8));
      LLVMValueRef fo = ld(g, g->p8, at(g, avals, a->slot * sizeof(pf_val) + offsetof(pf_val, u), ppp8));
      LLVMValueRef code = ld(g, g->p8, at(g, fo, offsetof(pf_func, code), ppp8));
      LLVMValueRef gs = ld(g, g->p8, at(g, code, offsetof(pf_code, gslots), ppp8));
      LLVMBuildStore(b, ld(g, g->pp8, g->rp[i.b]), g->rp[i.a]);
      LLVMBuildStore(b, gs, g->rq[i.a]);
    }
    return true;
  }
  LLVMBuildBr(b, g->deopt); /* no such attribute: the interpreter raises AttributeError */
  return false;
}

void pf_jit_emit_inst_is(cg *g, pf_ins i, const jty *st) {
  LLVMValueRef r;
  if (st[i.b].t == JT_INST && st[i.c].t == JT_INST) /* the same object */
    r = LLVMBuildICmp(g->b, i.op == OP_IS ? LLVMIntEQ : LLVMIntNE, obj_of(g, i.b), obj_of(g, i.c),
                      "is");
  else /* an instance is not None */
    r = LLVMConstInt(g->i1, i.op == OP_ISNOT, 0);
  LLVMBuildStore(g->b, LLVMBuildZExt(g->b, r, g->i64, ""), g->ri[i.a]);
  LLVMBuildStore(g->b, ci64(g, 0), g->rt[i.a]);
}
