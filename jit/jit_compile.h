/* jit_compile.h — private to jit/: the state of one compile (inference, then codegen). */
#ifndef PF_JIT_COMPILE_H
#define PF_JIT_COMPILE_H

#include "jit_int.h"

/* One (function, signature) specialisation of a compile. */
typedef struct jspec {
  uint16_t fn;        /* snapshot index */
  uint32_t sig;
  uint8_t rtype;      /* result type: JT_INT, JT_FLOAT, JT_BOOL, JT_NONE (JT_BOT: unknown) */
  jty *in;            /* nins x nregs: register types before each instruction */
  uint8_t *reached;   /* nins */
  LLVMValueRef llfn;
  LLVMTypeRef llty;
} jspec;

#define PF_JIT_MAXSPECS 64
typedef struct jcc {
  const jsnap *s;
  jspec sp[PF_JIT_MAXSPECS];
  uint32_t nsp;
  bool failed;
  char *why;
  size_t why_len;
} jcc;

/* Records the first reason the compile cannot go on. */
void pf_jit_fail(jcc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Infers spec 0 (snapshot function 0 with "sig") and every callee it reaches. */
void pf_jit_infer(jcc *c, uint32_t sig);
int pf_jit_spec_find(jcc *c, uint16_t fn, uint32_t sig);
/* Result type of pf_binop "op" on types "a" and "b"; JT_ANY when native code does not do it. */
int pf_jit_binop_type(int op, int a, int b);
const char *pf_jit_type_name(int t);
/* The math functions native code calls (JT_MATHFN's index) and math's constants. */
const char *pf_jit_math_name(int k);
bool pf_jit_math_const(const char *name, double *v);
/* Result type of builtin "id" (pf_bi_id) on "n" arguments of types "a"; JT_ANY otherwise. */
int pf_jit_builtin_type(int id, uint32_t n, const jty *a);
void pf_jit_cc_free(jcc *c);

#endif
