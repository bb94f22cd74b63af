/* emit_int.c — inline int64 arithmetic with Python semantics and a slow-path exit. */
#include <string.h>

#include "jit_int.h"

bool pf_jit_i64_binop_supported(pf_binop op) {
  switch (op) {
  case PF_OP_ADD: case PF_OP_SUB: case PF_OP_MUL: case PF_OP_FLOORDIV: case PF_OP_MOD:
  case PF_OP_LSHIFT: case PF_OP_RSHIFT: case PF_OP_BITAND: case PF_OP_BITOR: case PF_OP_BITXOR:
    return true;
  default:
    return false;
  }
}

/* Continues in a fresh block when "cond" is false, jumps to "slow" when it is true. */
static void branch_slow_if(LLVMBuilderRef b, LLVMValueRef cond, LLVMBasicBlockRef slow) {
  LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(b));
  LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(cond));
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(ctx, fn, "fast");
  LLVMBuildCondBr(b, cond, slow, next);
  LLVMPositionBuilderAtEnd(b, next);
}

/* {result, overflow} = llvm.<name>.with.overflow.i64(a, bv); overflow → slow. */
static LLVMValueRef emit_checked(LLVMBuilderRef b, LLVMModuleRef m, const char *name, LLVMValueRef a,
                                 LLVMValueRef bv, LLVMBasicBlockRef slow) {
  LLVMTypeRef i64 = LLVMTypeOf(a);
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef decl = LLVMGetIntrinsicDeclaration(m, id, &i64, 1);
  LLVMTypeRef fty = LLVMIntrinsicGetType(LLVMGetModuleContext(m), id, &i64, 1);
  LLVMValueRef args[2] = {a, bv};
  LLVMValueRef pair = LLVMBuildCall2(b, fty, decl, args, 2, "ovf");
  LLVMValueRef res = LLVMBuildExtractValue(b, pair, 0, "res");
  branch_slow_if(b, LLVMBuildExtractValue(b, pair, 1, "of"), slow);
  return res;
}

/* b == 0 or (a == INT64_MIN and b == -1) → slow: the cases sdiv/srem cannot do. */
static void guard_division(LLVMBuilderRef b, LLVMValueRef a, LLVMValueRef bv, LLVMBasicBlockRef slow) {
  LLVMTypeRef i64 = LLVMTypeOf(a);
  LLVMValueRef zero = LLVMBuildICmp(b, LLVMIntEQ, bv, LLVMConstInt(i64, 0, 0), "bz");
  LLVMValueRef amin = LLVMBuildICmp(b, LLVMIntEQ, a, LLVMConstInt(i64, (unsigned long long)INT64_MIN, 1), "amin");
  LLVMValueRef bm1 = LLVMBuildICmp(b, LLVMIntEQ, bv, LLVMConstInt(i64, (unsigned long long)-1, 1), "bm1");
  LLVMValueRef bad = LLVMBuildOr(b, zero, LLVMBuildAnd(b, amin, bm1, ""), "baddiv");
  branch_slow_if(b, bad, slow);
}

LLVMValueRef pf_jit_emit_i64_binop(LLVMBuilderRef b, LLVMModuleRef m, pf_binop op, LLVMValueRef a,
                                   LLVMValueRef bv, LLVMBasicBlockRef slow) {
  LLVMTypeRef i64 = LLVMTypeOf(a);
  LLVMValueRef zero = LLVMConstInt(i64, 0, 0);
  switch (op) {
  case PF_OP_ADD:
    return emit_checked(b, m, "llvm.sadd.with.overflow", a, bv, slow);
  case PF_OP_SUB:
    return emit_checked(b, m, "llvm.ssub.with.overflow", a, bv, slow);
  case PF_OP_MUL:
    return emit_checked(b, m, "llvm.smul.with.overflow", a, bv, slow);
  case PF_OP_FLOORDIV:
  case PF_OP_MOD: {
    guard_division(b, a, bv, slow);
    LLVMValueRef q = LLVMBuildSDiv(b, a, bv, "q");
    LLVMValueRef r = LLVMBuildSRem(b, a, bv, "r");
    /* Python rounds toward -inf: adjust when the remainder is non-zero and its sign
     * differs from the divisor's. */
    LLVMValueRef rnz = LLVMBuildICmp(b, LLVMIntNE, r, zero, "rnz");
    LLVMValueRef sdiff = LLVMBuildICmp(b, LLVMIntSLT, LLVMBuildXor(b, r, bv, ""), zero, "sdiff");
    LLVMValueRef adj = LLVMBuildAnd(b, rnz, sdiff, "adj");
    if (op == PF_OP_FLOORDIV)
      return LLVMBuildSub(b, q, LLVMBuildZExt(b, adj, i64, ""), "fdiv");
    return LLVMBuildSelect(b, adj, LLVMBuildAdd(b, r, bv, ""), r, "fmod");
  }
  case PF_OP_LSHIFT: {
    /* Negative counts raise and counts ≥ 64 overflow (unless a == 0): leave them to the slow
     * path, as every shift whose result does not shift back to "a". */
    branch_slow_if(b, LLVMBuildICmp(b, LLVMIntUGE, bv, LLVMConstInt(i64, 64, 0), "wide"), slow);
    LLVMValueRef r = LLVMBuildShl(b, a, bv, "shl");
    branch_slow_if(b, LLVMBuildICmp(b, LLVMIntNE, LLVMBuildAShr(b, r, bv, ""), a, "lost"), slow);
    return r;
  }
  case PF_OP_RSHIFT: {
    branch_slow_if(b, LLVMBuildICmp(b, LLVMIntSLT, bv, zero, "neg"), slow);
    LLVMValueRef c63 = LLVMConstInt(i64, 63, 0);
    LLVMValueRef big = LLVMBuildICmp(b, LLVMIntSGT, bv, c63, "big");
    return LLVMBuildAShr(b, a, LLVMBuildSelect(b, big, c63, bv, ""), "sar");
  }
  case PF_OP_BITAND:
    return LLVMBuildAnd(b, a, bv, "and");
  case PF_OP_BITOR:
    return LLVMBuildOr(b, a, bv, "or");
  case PF_OP_BITXOR:
    return LLVMBuildXor(b, a, bv, "xor");
  default:
    return NULL; /* callers check pf_jit_i64_binop_supported() first */
  }
}
