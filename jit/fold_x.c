/* fold_x.c — the extra values of a fused fold's element: E in (E for x in range(...)) or
 * [E for x in range(...)] reading the block around it — free variables of the generator
 * expression (the enclosing function's locals) and globals holding a tuple or a list (a
 * with-block's variables). The snapshot turns each read into LOAD_DEREF j (extra value j);
 * the tier reads the values once per chunk and passes them to the fold kernel, which passes
 * them to E as arguments after its own (compile.c): ints, floats and bools by value,
 * sequences as a window block of the kernel's, so that E's reads keep their window from one
 * element to the next. Globals holding numbers stay guarded global reads (compile.c). */
#include "jit_int.h"

/* Whether global slot "i" of "k" holds a tuple or a list now. */
static bool global_seq(const pf_code *k, uint32_t i) {
  pf_val v = *k->gslots[i];
  return v.tag == PF_OBJ && (v.u.o->type == &pf_type_tuple || v.u.o->type == &pf_type_list);
}

/* The index of source (global, idx) in xs[0..n), or -1. */
static int find(const jxsrc *xs, int n, bool global, uint32_t idx) {
  for (int j = 0; j < n; j++)
    if (xs[j].global == global && xs[j].idx == idx)
      return j;
  return -1;
}

int pf_jit_elem_scan(const pf_code *k, uint32_t from, uint32_t to, jxsrc *xs) {
  int n = 0;
  for (uint32_t pc = from; pc < to && pc < k->nins; pc++) {
    pf_ins i = k->ins[pc];
    bool global;
    if (i.op == OP_LOAD_DEREF && i.b < k->nfree)
      global = false;
    else if (i.op == OP_LOAD_GLOBAL && i.b < k->ngslots && global_seq(k, i.b))
      global = true;
    else
      continue;
    if (find(xs, n, global, i.b) >= 0)
      continue;
    if (n == PF_JIT_MAXX)
      return -1;
    xs[n].global = global;
    xs[n].idx = (uint16_t)i.b;
    n++;
  }
  return n;
}

void pf_jit_elem_rewrite(const pf_code *k, pf_ins *ins, uint32_t from, uint32_t to,
                         const jxsrc *xs, uint32_t nx) {
  for (uint32_t pc = from; pc < to && pc < k->nins; pc++) {
    pf_ins i = ins[pc];
    int j = -1;
    if (i.op == OP_LOAD_DEREF)
      j = find(xs, (int)nx, false, i.b);
    else if (i.op == OP_LOAD_GLOBAL)
      j = find(xs, (int)nx, true, i.b);
    if (j < 0)
      continue;
    ins[pc].op = OP_LOAD_DEREF;
    ins[pc].b = (uint16_t)j;
  }
}

/* The signature code of extra value "v" (JT_INT, JT_FLOAT, JT_BOOL, JSIG_SEQI, JSIG_SEQF),
 * or -1. */
static int extra_code(pf_val v) {
  switch (v.tag) {
  case PF_INT: return JT_INT;
  case PF_FLOAT: return JT_FLOAT;
  case PF_BOOL: return JT_BOOL;
  case PF_OBJ:
    if (v.u.o->type == &pf_type_tuple || v.u.o->type == &pf_type_list) {
      /* as for arguments (tier.c): the first item says; native code checks every item */
      pf_val first = !pf_jit_seq_len(v.u.o) ? pf_int(0)
                     : v.u.o->type == &pf_type_tuple ? pf_tuple_get(v, 0) : pf_list_get(v, 0);
      return first.tag == PF_INT ? JSIG_SEQI : first.tag == PF_FLOAT ? JSIG_SEQF : -1;
    }
    return -1;
  default:
    return -1;
  }
}

int pf_jit_elem_extras(const struct pf_func *fn, jxsrc *xs, int64_t *xv, uint32_t *sig_p, int off) {
  const pf_code *k = fn->code;
  if (!k->nfree && !k->ngslots)
    return off;
  uint32_t o = 0, y = pf_jit_elem_shape(k, &o, NULL);
  if (!y)
    return off; /* not compiled as an element (snap.c says why) */
  int n = pf_jit_elem_scan(k, o + 3, y, xs + off);
  if (n < 0 || n + off > PF_JIT_MAXX)
    return -1;
  for (int j = off; j < off + n; j++) {
    pf_val v = xs[j].global ? *k->gslots[xs[j].idx] : fn->cells[xs[j].idx]->v;
    int t = extra_code(v);
    if (t < 0)
      return -1;
    *sig_p |= (uint32_t)t << (4 * (j + 1));
    xv[j] = v.u.i;
  }
  return n + off;
}

/* ---------------------------------------------------------------- code generation */

#include "jit_compile.h"

/* A sequence's window block (the kernel's; E gets a pointer): object, length, window
 * [lo, hi) of contiguous items from wptr. */
enum { XB_OBJ, XB_LEN, XB_LO, XB_HI, XB_PTR, XB_WORDS };

static LLVMValueRef xb_slot(cg *g, LLVMValueRef blk, unsigned k) {
  LLVMValueRef idx = LLVMConstInt(g->i64, k, 0);
  return LLVMBuildGEP2(g->b, g->i64, blk, &idx, 1, "");
}

static LLVMValueRef extra_param(cg *g, uint32_t j) {
  return LLVMGetParam(g->fn, 4 + g->f->nparams + j);
}

void pf_jit_emit_load_extra(cg *g, uint32_t r, uint32_t j) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef p = extra_param(g, j);
  jty t = jsig_ty(g->s->sig, 1 + j);
  if (t.t == JT_SEQ) {
    LLVMBuildStore(b, LLVMBuildIntToPtr(b, ld(g, g->i64, xb_slot(g, p, XB_OBJ)), g->pp8, ""), g->rp[r]);
    LLVMBuildStore(b, ld(g, g->i64, xb_slot(g, p, XB_LEN)), g->rn[r]);
    LLVMBuildStore(b, ld(g, g->i64, xb_slot(g, p, XB_LO)), g->ra[r]);
    LLVMBuildStore(b, ld(g, g->i64, xb_slot(g, p, XB_HI)), g->rb[r]);
    LLVMBuildStore(b, LLVMBuildIntToPtr(b, ld(g, g->i64, xb_slot(g, p, XB_PTR)), g->p8, ""), g->rq[r]);
    LLVMBuildStore(b, ci64(g, 0), g->ri[r]);
    LLVMBuildStore(b, ci64(g, 0), g->rt[r]);
  } else if (t.t == JT_FLOAT) {
    LLVMBuildStore(b, p, g->rf[r]);
    LLVMBuildStore(b, ci64(g, 1), g->rt[r]);
  } else {
    LLVMBuildStore(b, p, g->ri[r]);
    LLVMBuildStore(b, ci64(g, 0), g->rt[r]);
  }
}

void pf_jit_extra_window_back(cg *g, uint32_t r) {
  LLVMBuilderRef b = g->b;
  for (uint32_t j = 0; j < g->f->nx; j++) {
    if (jsig_ty(g->s->sig, 1 + j).t != JT_SEQ)
      continue;
    LLVMValueRef p = extra_param(g, j);
    LLVMValueRef o = LLVMBuildPtrToInt(b, ld(g, g->pp8, g->rp[r]), g->i64, "");
    LLVMValueRef same = LLVMBuildICmp(b, LLVMIntEQ, o, ld(g, g->i64, xb_slot(g, p, XB_OBJ)), "");
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "xwin");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "xwin.next");
    LLVMBuildCondBr(b, same, yes, next);
    LLVMPositionBuilderAtEnd(b, yes);
    LLVMBuildStore(b, ld(g, g->i64, g->ra[r]), xb_slot(g, p, XB_LO));
    LLVMBuildStore(b, ld(g, g->i64, g->rb[r]), xb_slot(g, p, XB_HI));
    LLVMBuildStore(b, LLVMBuildPtrToInt(b, ld(g, g->p8, g->rq[r]), g->i64, ""), xb_slot(g, p, XB_PTR));
    LLVMBuildBr(b, next);
    LLVMPositionBuilderAtEnd(b, next);
  }
}

/* The kernel's side (fold.c): the extra values passed to E, read at the kernel's entry;
 * args[0..nx) filled. Deoptimises (to "deopt", before any element) when a global source no
 * longer holds a tuple or list. "st": the kernel's state array (payloads from st[6]). */
void pf_jit_fold_extras(cg *g, LLVMValueRef kfn, LLVMValueRef st, LLVMBasicBlockRef deopt,
                        LLVMValueRef *args) {
  LLVMBuilderRef b = g->b;
  const jfn *f = &g->c->s->fns[g->c->sp[0].fn];
  uint32_t sig = g->c->sp[0].sig;
  LLVMValueRef blk[PF_JIT_MAXX];
  for (uint32_t j = 0; j < f->nx; j++) /* in the entry block, for SROA */
    blk[j] = jsig_ty(sig, 1 + j).t == JT_SEQ
                 ? LLVMBuildArrayAlloca(b, g->i64, LLVMConstInt(g->i64, XB_WORDS, 0), "xwin")
                 : NULL;
  for (uint32_t j = 0; j < f->nx; j++) {
    jty t = jsig_ty(sig, 1 + j);
    LLVMValueRef v;
    if (f->xs[j].global == 1) { /* the object in global slot idx: a tuple or a list, else deopt */
      LLVMValueRef idx = LLVMConstInt(g->i64, f->xs[j].idx, 0);
      LLVMValueRef slot = ld(g, g->p8, LLVMBuildGEP2(b, g->p8, LLVMGetParam(kfn, 1), &idx, 1, ""));
      LLVMValueRef tagoff = LLVMConstInt(g->i64, offsetof(pf_val, tag), 0);
      LLVMValueRef uoff = LLVMConstInt(g->i64, offsetof(pf_val, u), 0);
      LLVMValueRef tag = ld(g, g->i32, LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->i8, slot, &tagoff, 1, ""), g->p32, ""));
      LLVMValueRef o = ld(g, g->i64, LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->i8, slot, &uoff, 1, ""), g->p64, ""));
      LLVMBasicBlockRef isobj = LLVMAppendBasicBlockInContext(g->ctx, kfn, "xobj");
      LLVMBasicBlockRef isseq = LLVMAppendBasicBlockInContext(g->ctx, kfn, "xseq");
      LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, tag, LLVMConstInt(g->i32, PF_OBJ, 0), ""), isobj, deopt);
      LLVMPositionBuilderAtEnd(b, isobj);
      LLVMValueRef toff = LLVMConstInt(g->i64, offsetof(pf_obj, type), 0);
      LLVMValueRef op = LLVMBuildIntToPtr(b, o, g->p8, "");
      LLVMValueRef type = LLVMBuildPtrToInt(
          b, ld(g, g->p8, LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->i8, op, &toff, 1, ""), g->pp8, "")), g->i64, "");
      LLVMValueRef tup = LLVMConstInt(g->i64, (uintptr_t)&pf_type_tuple, 0);
      LLVMValueRef lst = LLVMConstInt(g->i64, (uintptr_t)&pf_type_list, 0);
      LLVMValueRef ok = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntEQ, type, tup, ""),
                                    LLVMBuildICmp(b, LLVMIntEQ, type, lst, ""), "");
      LLVMBuildCondBr(b, ok, isseq, deopt);
      LLVMPositionBuilderAtEnd(b, isseq);
      v = o;
    } else {
      LLVMValueRef idx = LLVMConstInt(g->i64, 6 + j, 0);
      v = ld(g, g->i64, LLVMBuildGEP2(b, g->i64, st, &idx, 1, ""));
    }
    if (t.t == JT_SEQ) {
      LLVMValueRef op = LLVMBuildIntToPtr(b, v, g->p8, "");
      LLVMTypeRef fty = LLVMFunctionType(g->i64, &g->p8, 1, 0);
      LLVMValueRef fp = LLVMConstIntToPtr(LLVMConstInt(g->i64, (uintptr_t)&pf_jit_seq_len, 0),
                                          LLVMPointerType(fty, 0));
      LLVMValueRef len = LLVMBuildCall2(b, fty, fp, &op, 1, "");
      LLVMValueRef words[XB_WORDS] = {v, len, ci64(g, 0), ci64(g, 0), ci64(g, 0)};
      for (unsigned k = 0; k < XB_WORDS; k++)
        LLVMBuildStore(b, words[k], xb_slot(g, blk[j], k));
      args[j] = blk[j];
    } else if (t.t == JT_FLOAT) {
      args[j] = LLVMBuildBitCast(b, v, g->f64, "");
    } else {
      args[j] = v;
    }
  }
}

void pf_jit_fold_seqbase(cg *g, LLVMValueRef st, LLVMValueRef *sb) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef blk = LLVMBuildArrayAlloca(b, g->i64, LLVMConstInt(g->i64, XB_WORDS, 0), "base");
  /* what pf_jit_seq_window writes: apart, so that the block stays in registers */
  sb[1] = LLVMBuildArrayAlloca(b, g->i64, LLVMConstInt(g->i64, 2, 0), "basew");
  sb[0] = blk;
  LLVMValueRef idx = LLVMConstInt(g->i64, 6 + PF_JIT_MAXX, 0);
  LLVMValueRef words[XB_WORDS] = {ld(g, g->i64, LLVMBuildGEP2(b, g->i64, st, &idx, 1, "")),
                                  ci64(g, 0), ci64(g, 0), ci64(g, 0), ci64(g, 0)};
  for (unsigned k = 0; k < XB_WORDS; k++)
    LLVMBuildStore(b, words[k], xb_slot(g, blk, k));
}

LLVMValueRef pf_jit_fold_item(cg *g, LLVMValueRef kfn, const LLVMValueRef *sbw, LLVMValueRef idx,
                              int et, LLVMBasicBlockRef deopt) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef sb = sbw[0], w = sbw[1];
  LLVMValueRef lo = ld(g, g->i64, xb_slot(g, sb, XB_LO)), hi = ld(g, g->i64, xb_slot(g, sb, XB_HI));
  LLVMValueRef in = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSGE, idx, lo, ""),
                                 LLVMBuildICmp(b, LLVMIntSLT, idx, hi, ""), "inwin");
  LLVMBasicBlockRef miss = LLVMAppendBasicBlockInContext(g->ctx, kfn, "base.miss");
  LLVMBasicBlockRef have = LLVMAppendBasicBlockInContext(g->ctx, kfn, "base.have");
  LLVMBuildCondBr(b, in, have, miss);
  LLVMPositionBuilderAtEnd(b, miss);
  LLVMTypeRef pt[3] = {g->p8, g->i64, g->p64};
  LLVMTypeRef fty = LLVMFunctionType(g->p8, pt, 3, 0);
  LLVMValueRef fp = LLVMConstIntToPtr(LLVMConstInt(g->i64, (uintptr_t)&pf_jit_seq_window, 0),
                                      LLVMPointerType(fty, 0));
  LLVMValueRef args[3] = {LLVMBuildIntToPtr(b, ld(g, g->i64, xb_slot(g, sb, XB_OBJ)), g->p8, ""), idx,
                          w};
  LLVMValueRef base = LLVMBuildCall2(b, fty, fp, args, 3, "");
  LLVMValueRef one = LLVMConstInt(g->i64, 1, 0);
  LLVMBuildStore(b, ld(g, g->i64, w), xb_slot(g, sb, XB_LO));
  LLVMBuildStore(b, ld(g, g->i64, LLVMBuildGEP2(b, g->i64, w, &one, 1, "")), xb_slot(g, sb, XB_HI));
  LLVMBuildStore(b, LLVMBuildPtrToInt(b, base, g->i64, ""), xb_slot(g, sb, XB_PTR));
  LLVMBuildBr(b, have);
  LLVMPositionBuilderAtEnd(b, have);
  LLVMValueRef off = LLVMBuildMul(b, LLVMBuildSub(b, idx, ld(g, g->i64, xb_slot(g, sb, XB_LO)), ""),
                                  ci64(g, (int64_t)sizeof(pf_val)), "");
  LLVMValueRef wp = LLVMBuildIntToPtr(b, ld(g, g->i64, xb_slot(g, sb, XB_PTR)), g->p8, "");
  LLVMValueRef p = LLVMBuildGEP2(b, g->i8, wp, &off, 1, "item");
  LLVMValueRef toff = LLVMConstInt(g->i64, offsetof(pf_val, tag), 0);
  LLVMValueRef tag = ld(g, g->i32, LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->i8, p, &toff, 1, ""), g->p32, ""));
  LLVMBasicBlockRef okb = LLVMAppendBasicBlockInContext(g->ctx, kfn, "base.kind");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, tag,
                                   LLVMConstInt(g->i32, et == JT_FLOAT ? PF_FLOAT : PF_INT, 0), ""),
                  okb, deopt);
  LLVMPositionBuilderAtEnd(b, okb);
  LLVMValueRef u = LLVMConstInt(g->i64, offsetof(pf_val, u), 0);
  LLVMValueRef vp = LLVMBuildGEP2(b, g->i8, p, &u, 1, "");
  return et == JT_FLOAT ? ld(g, g->f64, LLVMBuildBitCast(b, vp, g->pf64, ""))
                        : ld(g, g->i64, LLVMBuildBitCast(b, vp, g->p64, ""));
}
