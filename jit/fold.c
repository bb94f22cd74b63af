/* fold.c — fold kernels (pf_jit_iface.fold): a counted loop over start + i*step calling the
 * compiled element function, which the optimiser inlines, folding its results (sum, min,
 * max, any, all) and stopping at a deopt or at the element that decides any/all. */
#include "jit_compile.h"

bool pf_jit_fold_takes(int kind, int rtype) {
  switch (kind) {
  case PF_JIT_FOLD_SUM:
    return rtype == JT_INT || rtype == JT_BOOL || rtype == JT_FLOAT;
  case PF_JIT_FOLD_MIN:
  case PF_JIT_FOLD_MAX:
    return rtype == JT_INT || rtype == JT_BOOL;
  case PF_JIT_FOLD_ANY:
  case PF_JIT_FOLD_ALL:
    return rtype == JT_INT || rtype == JT_BOOL || rtype == JT_FLOAT || rtype == JT_NONE ||
           rtype == JT_NUM;
  case PF_JIT_FOLD_COLLECT:
  case PF_JIT_FOLD_COLLECT_VAL:
    return rtype == JT_INT || rtype == JT_BOOL || rtype == JT_FLOAT || rtype == JT_NONE;
  default:
    return false;
  }
}

/* The fold kernel (pf_jit_fold_fn) for spec 0 (one int parameter): a counted loop calling
 * it on start + i*step, which the optimiser inlines. st[0]: elements folded; sum: st[1..2]
 * the 128-bit total (lo, hi: no int64 overflow check is needed within 2**63 elements), or
 * for float results (and for collect) each kept result's bits stored in the buffer st[5]
 * points to; min/max: st[3] the first result, st[4] the best (strict comparison: the first
 * of equals). An element a filter skips (spec 0 returns 2) folds nothing; st[5] at the end:
 * the results kept, st[6] the first kept one's index (-1: none). In: st[6..] the element's
 * extra values (fold_x.c). */
void pf_jit_define_fold(cg *g, const char *name, int kind) {
  jspec *s = &g->c->sp[0];
  LLVMBuilderRef b = g->b;
  LLVMTypeRef i128 = LLVMInt128TypeInContext(g->ctx);
  LLVMTypeRef params[7] = {g->pp8, g->pp8, g->i64, g->i64, g->i64, g->i64, g->p64};
  LLVMValueRef fn = LLVMAddFunction(g->m, name, LLVMFunctionType(g->i32, params, 7, 0));
  LLVMValueRef start = LLVMGetParam(fn, 3), step = LLVMGetParam(fn, 4), n = LLVMGetParam(fn, 5),
               st = LLVMGetParam(fn, 6);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
  LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(g->ctx, fn, "head");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->ctx, fn, "body");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, fn, "done");
  LLVMBasicBlockRef deopt = LLVMAppendBasicBlockInContext(g->ctx, fn, "deopt");
  LLVMBasicBlockRef decided = LLVMAppendBasicBlockInContext(g->ctx, fn, "decided");
  LLVMPositionBuilderAtEnd(b, entry);
  LLVMValueRef out = LLVMBuildArrayAlloca(b, g->i64, LLVMConstInt(g->i64, 2, 0), "out");
  LLVMValueRef vi = LLVMBuildAlloca(b, g->i64, "i"), acc = LLVMBuildAlloca(b, i128, "acc");
  LLVMValueRef first = LLVMBuildAlloca(b, g->i64, "first"), best = LLVMBuildAlloca(b, g->i64, "best");
  /* results kept (a filter's element returns 2: skipped), and the first one's index */
  LLVMValueRef vkept = LLVMBuildAlloca(b, g->i64, "kept"), vfirstat = LLVMBuildAlloca(b, g->i64, "firstat");
  LLVMBuildStore(b, ci64(g, 0), vkept);
  LLVMBuildStore(b, ci64(g, -1), vfirstat);
  LLVMBuildStore(b, ci64(g, 0), vi);
  LLVMBuildStore(b, LLVMConstInt(i128, 0, 0), acc);
  LLVMBuildStore(b, ci64(g, 0), first);
  LLVMBuildStore(b, ci64(g, 0), best);
  /* a private copy of ctx (cancel, progress, ticks): the call counter F's inlined code
   * advances on every element then lives in a register, not in the caller's memory */
  LLVMValueRef lctx = LLVMBuildArrayAlloca(b, g->p8, LLVMConstInt(g->i64, 3, 0), "ctx");
  for (unsigned j = 0; j < 3; j++) {
    LLVMValueRef idx = LLVMConstInt(g->i64, j, 0);
    LLVMBuildStore(b, ld(g, g->p8, LLVMBuildGEP2(b, g->p8, LLVMGetParam(fn, 0), &idx, 1, "")),
                   LLVMBuildGEP2(b, g->p8, lctx, &idx, 1, ""));
  }
  /* an element's extra values (fold_x.c): read once per chunk, passed to every call */
  const jfn *ef = &g->c->s->fns[s->fn];
  LLVMValueRef args[5 + PF_JIT_MAXX];
  bool seqbase = (s->sig & PF_JIT_SIG_SEQBASE_BIT) != 0;
  LLVMValueRef sb[2] = {NULL, NULL};
  if (seqbase)
    pf_jit_fold_seqbase(g, st, sb);
  pf_jit_fold_extras(g, fn, st, deopt, args + 5);
  LLVMBuildBr(b, head);

  LLVMPositionBuilderAtEnd(b, head);
  LLVMValueRef i = ld(g, g->i64, vi);
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, i, n, ""), body, done);

  LLVMPositionBuilderAtEnd(b, body);
  args[0] = lctx;
  args[1] = LLVMGetParam(fn, 1);
  args[2] = LLVMGetParam(fn, 2);
  args[3] = LLVMBuildAdd(b, start, LLVMBuildMul(b, i, step, ""), "x");
  if (seqbase) /* the item at that index: its kind checked, else deopt at element i */
    args[3] = pf_jit_fold_item(g, fn, sb, args[3], jsig_arg(s->sig, 0), deopt);
  args[4] = out;
  LLVMValueRef rc = LLVMBuildCall2(b, s->llty, s->llfn, args, 5 + ef->nx, "");
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(g->ctx, fn, "ok");
  LLVMBasicBlockRef latch = LLVMAppendBasicBlockInContext(g->ctx, fn, "latch");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(g->ctx, fn, "next");
  LLVMValueRef sw = LLVMBuildSwitch(b, rc, deopt, 2);
  LLVMAddCase(sw, LLVMConstInt(g->i32, 0, 0), ok);
  LLVMAddCase(sw, LLVMConstInt(g->i32, 2, 0), next); /* skipped by a filter */
  LLVMPositionBuilderAtEnd(b, ok);
  LLVMValueRef v = ld(g, g->i64, out);
  LLVMValueRef kept = ld(g, g->i64, vkept);
  switch (kind) {
  case PF_JIT_FOLD_COLLECT:
  case PF_JIT_FOLD_COLLECT_VAL:
  case PF_JIT_FOLD_SUM:
    if (s->rtype == JT_FLOAT || kind != PF_JIT_FOLD_SUM) { /* each result to st[5]'s buffer */
      LLVMValueRef five = LLVMConstInt(g->i64, 5, 0);
      LLVMValueRef buf = LLVMBuildIntToPtr(b, ld(g, g->i64, LLVMBuildGEP2(b, g->i64, st, &five, 1, "")),
                                           g->p64, "rbuf");
      LLVMBuildStore(b, v, LLVMBuildGEP2(b, g->i64, buf, &kept, 1, ""));
    } else {
      LLVMBuildStore(b, LLVMBuildAdd(b, ld(g, i128, acc), LLVMBuildSExt(b, v, i128, ""), ""), acc);
    }
    LLVMBuildBr(b, latch);
    break;
  case PF_JIT_FOLD_MIN:
  case PF_JIT_FOLD_MAX: {
    LLVMValueRef isfirst = LLVMBuildICmp(b, LLVMIntEQ, kept, ci64(g, 0), "");
    LLVMBuildStore(b, LLVMBuildSelect(b, isfirst, i, ld(g, g->i64, vfirstat), ""), vfirstat);
    LLVMValueRef bv = ld(g, g->i64, best);
    LLVMValueRef better = LLVMBuildICmp(b, kind == PF_JIT_FOLD_MIN ? LLVMIntSLT : LLVMIntSGT, v, bv, "");
    LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildOr(b, isfirst, better, ""), v, bv, ""), best);
    LLVMBuildStore(b, LLVMBuildSelect(b, isfirst, v, ld(g, g->i64, first), ""), first);
    LLVMBuildBr(b, latch);
    break;
  }
  default: { /* any / all: the truth of the result */
    LLVMValueRef t;
    LLVMValueRef ft = LLVMBuildFCmp(b, LLVMRealUNE, LLVMBuildBitCast(b, v, g->f64, ""), cf64(g, 0.0), "");
    LLVMValueRef it = LLVMBuildICmp(b, LLVMIntNE, v, ci64(g, 0), "");
    if (s->rtype == JT_NONE)
      t = LLVMConstInt(g->i1, 0, 0);
    else if (s->rtype == JT_FLOAT)
      t = ft;
    else if (s->rtype == JT_NUM) {
      LLVMValueRef one = LLVMConstInt(g->i64, 1, 0);
      LLVMValueRef tag = ld(g, g->i64, LLVMBuildGEP2(b, g->i64, out, &one, 1, ""));
      t = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntNE, tag, ci64(g, 0), ""), ft, it, "");
    } else
      t = it;
    if (kind == PF_JIT_FOLD_ANY)
      LLVMBuildCondBr(b, t, decided, latch);
    else
      LLVMBuildCondBr(b, t, latch, decided);
    break;
  }
  }
  LLVMPositionBuilderAtEnd(b, latch);
  LLVMBuildStore(b, LLVMBuildAdd(b, kept, ci64(g, 1), ""), vkept);
  LLVMBuildBr(b, next);
  LLVMPositionBuilderAtEnd(b, next);
  LLVMBuildStore(b, LLVMBuildAdd(b, i, ci64(g, 1), ""), vi);
  LLVMBuildBr(b, head);

  /* the three exits: all folded (1), F deoptimised on element i (2), element i decided (3) */
  LLVMBasicBlockRef exits[3] = {done, deopt, decided};
  for (int k = 0; k < 3; k++) {
    LLVMPositionBuilderAtEnd(b, exits[k]);
    LLVMValueRef iv = ld(g, g->i64, vi), a = ld(g, i128, acc);
    LLVMValueRef vals[7] = {iv, LLVMBuildTrunc(b, a, g->i64, ""),
                            LLVMBuildTrunc(b, LLVMBuildAShr(b, a, LLVMConstInt(i128, 64, 0), ""), g->i64, ""),
                            ld(g, g->i64, first), ld(g, g->i64, best), ld(g, g->i64, vkept),
                            ld(g, g->i64, vfirstat)};
    for (unsigned j = 0; j < 7; j++) {
      LLVMValueRef idx = LLVMConstInt(g->i64, j, 0);
      LLVMBuildStore(b, vals[j], LLVMBuildGEP2(b, g->i64, st, &idx, 1, ""));
    }
    LLVMBuildRet(b, LLVMConstInt(g->i32, (unsigned long long)(k + 1), 0));
  }
}
