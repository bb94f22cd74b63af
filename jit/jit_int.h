/* jit_int.h — private to jit/: code emitters shared by the kernels and compiled functions. */
#ifndef PF_JIT_INT_H
#define PF_JIT_INT_H

#include <stdbool.h>

#include <llvm-c/Core.h>

#include "pf_value.h"

/* True when "op" has an inline int64 emitter. */
bool pf_jit_i64_binop_supported(pf_binop op);

/* Emits "a op b" on i64 values at the builder's position with Python's exact semantics
 * (floor division and modulo round toward negative infinity). Every case int64 cannot
 * answer — overflow, division by zero, INT64_MIN // -1, negative or wide shifts — branches
 * to "slow". Returns the result on the fast path; the builder is left in the fast block. */
LLVMValueRef pf_jit_emit_i64_binop(LLVMBuilderRef b, LLVMModuleRef m, pf_binop op, LLVMValueRef a,
                                   LLVMValueRef bv, LLVMBasicBlockRef slow);

#endif
