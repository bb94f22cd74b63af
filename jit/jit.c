/* jit.c — the LLJIT instance, the -O2 pipeline and the int64 kernels. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "jit_int.h"
#include "pf_jit.h"


static pthread_once_t jit_init_once = PTHREAD_ONCE_INIT;
static void jit_init_targets(void) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
}

/* Copies LLVM's error text into "msg" and consumes "e". */
static void take_error(LLVMErrorRef e, char *msg, size_t msg_len) {
  char *m = LLVMGetErrorMessage(e);
  if (msg && msg_len)
    snprintf(msg, msg_len, "%s", m);
  LLVMDisposeErrorMessage(m);
}

pf_status_t pf_jit_create(pf_jit **jit_p, char *msg, size_t msg_len) {
  pthread_once(&jit_init_once, jit_init_targets);
  pf_jit *jit = calloc(1, sizeof *jit);
  if (!jit)
    return PF_ENOMEM;
  const char *dump = getenv("PF_JIT_DUMP");
  jit->dump_ir = dump && dump[0] == '1';
  pthread_mutex_init(&jit->lock, NULL);
  pthread_mutex_init(&jit->tmu, NULL);
  pthread_cond_init(&jit->tcv, NULL);
  LLVMErrorRef e = LLVMOrcCreateLLJIT(&jit->lljit, NULL);
  if (e) {
    take_error(e, msg, msg_len);
    jit->lljit = NULL;
    pf_jit_destroy(jit);
    return PF_EIO;
  }
  jit->tsctx = LLVMOrcCreateNewThreadSafeContext();
  /* libm (fmod, pow) and the rest of the process resolve for compiled code */
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, LLVMOrcLLJITGetGlobalPrefix(jit->lljit), NULL, NULL);
  if (e) {
    take_error(e, msg, msg_len);
    pf_jit_destroy(jit);
    return PF_EIO;
  }
  LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit->lljit), gen);

  char *triple = LLVMGetDefaultTargetTriple();
  char *err = NULL;
  LLVMTargetRef target;
  if (LLVMGetTargetFromTriple(triple, &target, &err)) {
    if (msg && msg_len)
      snprintf(msg, msg_len, "%s", err ? err : "no target for the host triple");
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    pf_jit_destroy(jit);
    return PF_EIO;
  }
  char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
  jit->tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelDefault,
                                    LLVMRelocDefault, LLVMCodeModelJITDefault);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  LLVMDisposeMessage(triple);
  *jit_p = jit;
  return PF_OK;
}

void pf_jit_destroy(pf_jit *jit) {
  if (!jit)
    return;
  pf_jit_tier_stop(jit);
  if (jit->lljit)
    LLVMConsumeError(LLVMOrcDisposeLLJIT(jit->lljit));
  if (jit->tsctx)
    LLVMOrcDisposeThreadSafeContext(jit->tsctx);
  if (jit->tm)
    LLVMDisposeTargetMachine(jit->tm);
  pthread_mutex_destroy(&jit->lock);
  pthread_mutex_destroy(&jit->tmu);
  pthread_cond_destroy(&jit->tcv);
  free(jit);
}

pf_status_t pf_jit_add_and_lookup(pf_jit *jit, LLVMModuleRef m, const char *name, uint64_t *addr_p) {
  char *vmsg = NULL;
  if (LLVMVerifyModule(m, LLVMReturnStatusAction, &vmsg)) {
    fprintf(stderr, "pyfora jit: invalid module: %s\n", vmsg);
    LLVMDisposeMessage(vmsg);
    LLVMDisposeModule(m);
    return PF_EINVAL;
  }
  LLVMDisposeMessage(vmsg);
  LLVMSetTarget(m, LLVMOrcLLJITGetTripleString(jit->lljit));
  LLVMSetDataLayout(m, LLVMOrcLLJITGetDataLayoutStr(jit->lljit));
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(m, "default<O2>", jit->tm, opts);
  LLVMDisposePassBuilderOptions(opts);
  if (e) {
    LLVMConsumeError(e);
    LLVMDisposeModule(m);
    return PF_EIO;
  }
  if (jit->dump_ir)
    LLVMDumpModule(m); /* PF_JIT_DUMP=1: the optimised IR on stderr */
  LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(m, jit->tsctx);
  LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
  e = LLVMOrcLLJITAddLLVMIRModule(jit->lljit, jd, tsm);
  if (e) {
    LLVMConsumeError(e);
    LLVMOrcDisposeThreadSafeModule(tsm);
    return PF_EIO;
  }
  LLVMOrcExecutorAddress addr = 0;
  e = LLVMOrcLLJITLookup(jit->lljit, &addr, name);
  if (e) {
    LLVMConsumeError(e);
    return PF_EIO;
  }
  *addr_p = addr;
  return PF_OK;
}

pf_status_t pf_jit_lookup(pf_jit *jit, const char *name, uint64_t *addr_p) {
  LLVMOrcExecutorAddress addr = 0;
  LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &addr, name);
  if (e) {
    LLVMConsumeError(e);
    return PF_EIO;
  }
  *addr_p = addr;
  return PF_OK;
}

pf_status_t pf_jit_i64_binop(pf_jit *jit, pf_binop op, pf_jit_i64_binop_fn *fn_p) {
  if ((unsigned)op >= PF_OP_BINOP_COUNT || !pf_jit_i64_binop_supported(op))
    return PF_ENOTSUP;
  pthread_mutex_lock(&jit->lock);
  pf_status_t st = PF_OK;
  if (!jit->binop[op]) {
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(jit->tsctx);
    char name[48];
    snprintf(name, sizeof name, "pf_i64_binop_%d", (int)op);
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext(name, ctx);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx), i32 = LLVMInt32TypeInContext(ctx);
    LLVMTypeRef params[3] = {i64, i64, LLVMPointerType(i64, 0)};
    LLVMTypeRef fty = LLVMFunctionType(i32, params, 3, 0);
    LLVMValueRef fn = LLVMAddFunction(m, name, fty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, fn, "entry");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(ctx, fn, "slow");
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef r = pf_jit_emit_i64_binop(b, m, op, LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), slow);
    LLVMBuildStore(b, r, LLVMGetParam(fn, 2));
    LLVMBuildRet(b, LLVMConstInt(i32, 0, 0));
    LLVMPositionBuilderAtEnd(b, slow);
    LLVMBuildRet(b, LLVMConstInt(i32, 1, 0));
    LLVMDisposeBuilder(b);
    uint64_t addr = 0;
    st = pf_jit_add_and_lookup(jit, m, name, &addr);
    if (st == PF_OK)
      jit->binop[op] = (pf_jit_i64_binop_fn)(uintptr_t)addr;
  }
  if (st == PF_OK)
    *fn_p = jit->binop[op];
  pthread_mutex_unlock(&jit->lock);
  return st;
}
