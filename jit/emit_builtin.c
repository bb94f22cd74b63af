/* emit_builtin.c — native code of the builtins and math functions native code calls: abs,
 * min, max, float, int, len, and math.<fn> with the deopts where Python raises. */
#include <string.h>

#include "jit_compile.h"

/* abs, min, max, float, int on the argument types pf_jit_builtin_type accepts. */
void pf_jit_emit_builtin(cg *g, pf_ins i, const jty *st) {
  LLVMBuilderRef b = g->b;
  int id = st[i.b].fn, t = st[i.b + 1].t;
  uint32_t a = i.b + 1u;
  if (id == BI_len) {
    set_i(g, i.a, ld(g, g->i64, g->rn[a]));
    return;
  }
  if (id == BI_min || id == BI_max) { /* as Python: the first unless the second is smaller */
    LLVMValueRef r;
    if (t == JT_FLOAT) {
      LLVMValueRef x = get_f(g, a), y = get_f(g, a + 1);
      LLVMValueRef take = LLVMBuildFCmp(b, id == BI_min ? LLVMRealOLT : LLVMRealOGT, y, x, "");
      r = LLVMBuildSelect(b, take, y, x, "");
      set_f(g, i.a, r);
    } else {
      LLVMValueRef x = get_i(g, a), y = get_i(g, a + 1);
      LLVMValueRef take = LLVMBuildICmp(b, id == BI_min ? LLVMIntSLT : LLVMIntSGT, y, x, "");
      set_i(g, i.a, LLVMBuildSelect(b, take, y, x, ""));
    }
    return;
  }
  if (id == BI_float) {
    set_f(g, i.a, as_f(g, a, t));
    return;
  }
  if (id == BI_abs && t == JT_FLOAT) {
    LLVMValueRef x = get_f(g, a);
    set_f(g, i.a, intrinsic(g, "llvm.fabs", &x, 1));
    return;
  }
  if (t == JT_FLOAT) { /* int(x): toward zero; NaN, infinities and |x| >= 2**63 deoptimise */
    LLVMValueRef x = get_f(g, a);
    LLVMValueRef lo = LLVMBuildFCmp(b, LLVMRealOGE, x, cf64(g, -9223372036854775808.0), "");
    LLVMValueRef hi = LLVMBuildFCmp(b, LLVMRealOLT, x, cf64(g, 9223372036854775808.0), "");
    deopt_if(g, LLVMBuildNot(b, LLVMBuildAnd(b, lo, hi, ""), "wide"));
    set_i(g, i.a, LLVMBuildFPToSI(b, x, g->i64, ""));
    return;
  }
  LLVMValueRef x = get_i(g, a);
  if (id == BI_abs) {
    deopt_if(g, LLVMBuildICmp(b, LLVMIntEQ, x, ci64(g, INT64_MIN), "absmin"));
    LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, x, ci64(g, 0), "");
    x = LLVMBuildSelect(b, neg, LLVMBuildSub(b, ci64(g, 0), x, ""), x, "");
  }
  set_i(g, i.a, x);
}

/* math.<fn>(x): libm's function (as the interpreter's), and deopt where Python raises: a NaN
 * from a number, an infinity from a finite number (ValueError, OverflowError). floor and
 * ceil give ints. */
void pf_jit_emit_math(cg *g, pf_ins i, const jty *st) {
  LLVMBuilderRef b = g->b;
  const char *name = pf_jit_math_name(st[i.b].fn);
  int t = st[i.b + 1].t;
  uint32_t a = i.b + 1u;
  bool rounds = !strcmp(name, "floor") || !strcmp(name, "ceil");
  if (rounds && t != JT_FLOAT) { /* of an int: the int */
    set_i(g, i.a, get_i(g, a));
    return;
  }
  LLVMValueRef x = as_f(g, a, t), r;
  if (rounds) {
    r = intrinsic(g, name[0] == 'f' ? "llvm.floor" : "llvm.ceil", &x, 1);
    LLVMValueRef lo = LLVMBuildFCmp(b, LLVMRealOGE, r, cf64(g, -9223372036854775808.0), "");
    LLVMValueRef hi = LLVMBuildFCmp(b, LLVMRealOLT, r, cf64(g, 9223372036854775808.0), "");
    deopt_if(g, LLVMBuildNot(b, LLVMBuildAnd(b, lo, hi, ""), "wide"));
    set_i(g, i.a, LLVMBuildFPToSI(b, r, g->i64, ""));
    return;
  }
  if (!strcmp(name, "tan") || !strcmp(name, "atan")) {
    LLVMTypeRef pt = g->f64;
    LLVMTypeRef fty = LLVMFunctionType(g->f64, &pt, 1, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(g->m, name);
    if (!fn)
      fn = LLVMAddFunction(g->m, name, fty);
    r = LLVMBuildCall2(b, fty, fn, &x, 1, "");
  } else {
    char in[32];
    snprintf(in, sizeof in, "llvm.%s", name);
    r = intrinsic(g, in, &x, 1);
  }
  LLVMValueRef inf = cf64(g, __builtin_inf());
  LLVMValueRef rnan = LLVMBuildFCmp(b, LLVMRealUNO, r, r, ""), xnum = LLVMBuildFCmp(b, LLVMRealORD, x, x, "");
  LLVMValueRef rinf = LLVMBuildFCmp(b, LLVMRealOEQ, intrinsic(g, "llvm.fabs", &r, 1), inf, "");
  LLVMValueRef xfin = LLVMBuildFCmp(b, LLVMRealONE, intrinsic(g, "llvm.fabs", &x, 1), inf, "");
  deopt_if(g, LLVMBuildOr(b, LLVMBuildAnd(b, rnan, xnum, ""), LLVMBuildAnd(b, rinf, xfin, ""), "matherr"));
  set_f(g, i.a, r);
}
