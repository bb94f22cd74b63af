/* module.c — one compile, from a snapshot to native code: type inference (infer.c), an LLVM
 * module with one function per specialisation (compile.c) and the C-callable entry (or an
 * OSR entry, osr.c; a fold kernel, fold.c), handed to the LLJIT (jit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_compile.h"

/* The C-callable entry: unpacks the int64 argument array and calls spec 0. */
static LLVMValueRef define_entry(cg *g, const char *name) {
  jspec *s = &g->c->sp[0];
  const jfn *f = &g->c->s->fns[0];
  LLVMTypeRef params[5] = {g->pp8, g->pp8, g->i64, g->p64, g->p64};
  LLVMValueRef fn = LLVMAddFunction(g->m, name, LLVMFunctionType(g->i32, params, 5, 0));
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(g->b, entry);
  LLVMValueRef args[PF_JIT_MAXARGS + 4];
  args[0] = LLVMGetParam(fn, 0);
  args[1] = LLVMGetParam(fn, 1);
  args[2] = LLVMGetParam(fn, 2);
  for (uint32_t j = 0; j < f->nparams; j++) {
    LLVMValueRef idx = LLVMConstInt(g->i64, j, 0);
    LLVMValueRef v = ld(g, g->i64, LLVMBuildGEP2(g->b, g->i64, LLVMGetParam(fn, 3), &idx, 1, ""));
    args[3 + j] = jsig_arg(s->sig, j) == JT_FLOAT ? LLVMBuildBitCast(g->b, v, g->f64, "") : v;
  }
  args[3 + f->nparams] = LLVMGetParam(fn, 4);
  LLVMBuildRet(g->b, LLVMBuildCall2(g->b, s->llty, s->llfn, args, 4 + f->nparams, ""));
  return fn;
}

static pf_status_t compile(pf_jit *jit, const jsnap *snap, uint32_t sig, int fold_kind,
                           const jcc_osr *osr, pf_jit_entry *entry_p, pf_jit_fold_fn *fold_p,
                           uint8_t *rtype_p, char *why, size_t why_len) {
  jcc c;
  memset(&c, 0, sizeof c);
  c.s = snap;
  c.osr = osr;
  c.why = why;
  c.why_len = why_len;
  if (snap->why[0]) {
    snprintf(why, why_len, "%s", snap->why);
    return PF_ENOTSUP;
  }
  if (entry_p && snap->fns[0].nx) /* an element with extra values: fold kernels only */
    pf_jit_fail(&c, "%s: an element reading the code around it", snap->fns[0].name);
  else
    pf_jit_infer(&c, sig);
  if (!c.failed && c.sp[0].rtype == JT_BOT)
    pf_jit_fail(&c, "%s never returns a value natively", snap->fns[0].name);
  if (c.failed) {
    pf_jit_cc_free(&c);
    return PF_ENOTSUP;
  }
  bool fold = fold_kind >= 0 && snap->fns[0].nparams == 1 &&
              (jsig_arg(sig, 0) == JT_INT ||
               (jsig_arg(sig, 0) == JT_FLOAT && (sig & PF_JIT_SIG_SEQBASE_BIT))) &&
              pf_jit_fold_takes(fold_kind, c.sp[0].rtype);
  if (fold_p)
    *fold_p = NULL;
  if (!entry_p && !fold) { /* a kernel was asked for, and the fold does not take F's results */
    *rtype_p = c.sp[0].rtype;
    pf_jit_cc_free(&c);
    return PF_OK;
  }
  uint32_t maxregs = 1, maxins = 1;
  for (uint32_t i = 0; i < c.nsp; i++) {
    const jfn *f = &snap->fns[c.sp[i].fn];
    if (f->nregs > maxregs)
      maxregs = f->nregs;
    if (f->nins > maxins)
      maxins = f->nins;
  }
  cg g;
  memset(&g, 0, sizeof g);
  g.c = &c;
  g.jit = jit;
  LLVMValueRef *regs = calloc((size_t)maxregs * 8, sizeof(LLVMValueRef));
  g.bb = calloc(maxins, sizeof(LLVMBasicBlockRef));
  g.tgt = calloc(maxins, 1);
  if (!regs || !g.bb || !g.tgt) {
    free(regs);
    free(g.bb);
    free(g.tgt);
    pf_jit_cc_free(&c);
    return PF_ENOMEM;
  }
  g.ri = regs;
  g.rf = regs + maxregs;
  g.ra = regs + 2 * maxregs;
  g.rb = regs + 3 * maxregs;
  g.rp = regs + 4 * maxregs;
  g.rt = regs + 5 * maxregs;
  g.rq = regs + 6 * maxregs;
  g.rn = regs + 7 * maxregs;

  pthread_mutex_lock(&jit->lock);
  g.ctx = LLVMOrcThreadSafeContextGetContext(jit->tsctx);
  char prefix[48], ename[64];
  snprintf(prefix, sizeof prefix, "pfj%llu", (unsigned long long)jit->nmodules++);
  snprintf(ename, sizeof ename, "%s_entry", prefix);
  g.m = LLVMModuleCreateWithNameInContext(prefix, g.ctx);
  g.b = LLVMCreateBuilderInContext(g.ctx);
  g.i1 = LLVMInt1TypeInContext(g.ctx);
  g.i8 = LLVMInt8TypeInContext(g.ctx);
  g.i32 = LLVMInt32TypeInContext(g.ctx);
  g.i64 = LLVMInt64TypeInContext(g.ctx);
  g.f64 = LLVMDoubleTypeInContext(g.ctx);
  g.p8 = LLVMPointerType(g.i8, 0);
  g.pp8 = LLVMPointerType(g.p8, 0);
  g.p32 = LLVMPointerType(g.i32, 0);
  g.p64 = LLVMPointerType(g.i64, 0);
  g.pf64 = LLVMPointerType(g.f64, 0);
  for (uint32_t i = 0; i < c.nsp; i++)
    pf_jit_declare_spec(&g, &c.sp[i], prefix, i);
  for (uint32_t i = 0; i < c.nsp && !c.failed; i++)
    pf_jit_define_spec(&g, &c.sp[i]);
  pf_status_t st = PF_ENOTSUP;
  char fname[64];
  snprintf(fname, sizeof fname, "%s_fold", prefix);
  if (!c.failed) {
    bool entry = entry_p || !fold; /* a fold kernel alone: half the code to generate */
    if (osr)
      pf_jit_osr_define_entry(&g, ename);
    else if (entry)
      define_entry(&g, ename);
    if (fold)
      pf_jit_define_fold(&g, fname, fold_kind);
    uint64_t addr = 0, faddr = 0;
    st = pf_jit_add_and_lookup(jit, g.m, entry ? ename : fname, &addr);
    g.m = NULL;
    if (st == PF_OK && fold && fold_p) {
      if (!entry)
        faddr = addr;
      else if (pf_jit_lookup(jit, fname, &faddr) != PF_OK)
        faddr = 0;
      *fold_p = (pf_jit_fold_fn)(uintptr_t)faddr;
    }
    if (st == PF_OK) {
      if (entry_p)
        *entry_p = (pf_jit_entry)(uintptr_t)addr;
      *rtype_p = c.sp[0].rtype;
    } else
      snprintf(why, why_len, "LLVM could not compile it (%s)", pf_status_str(st));
  }
  if (g.m)
    LLVMDisposeModule(g.m);
  LLVMDisposeBuilder(g.b);
  pthread_mutex_unlock(&jit->lock);
  free(regs);
  free(g.bb);
  free(g.tgt);
  pf_jit_cc_free(&c);
  return st;
}

pf_status_t pf_jit_compile(pf_jit *jit, const jsnap *snap, uint32_t sig, int fold_kind,
                           pf_jit_entry *entry_p, pf_jit_fold_fn *fold_p, uint8_t *rtype_p,
                           char *why, size_t why_len) {
  return compile(jit, snap, sig, fold_kind, NULL, entry_p, fold_p, rtype_p, why, why_len);
}

pf_status_t pf_jit_compile_osr(pf_jit *jit, const jsnap *snap, const jcc_osr *osr,
                               pf_jit_osr_fn *entry_p, uint8_t *rtype_p, char *why,
                               size_t why_len) {
  pf_jit_entry e = NULL;
  pf_status_t st = compile(jit, snap, PF_JIT_SIG_OSR, -1, osr, &e, NULL, rtype_p, why, why_len);
  if (st == PF_OK)
    *entry_p = (pf_jit_osr_fn)(uintptr_t)e;
  return st;
}
