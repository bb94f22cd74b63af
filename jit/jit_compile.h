/* jit_compile.h — private to jit/: the state of one compile (inference, then codegen). */
#ifndef PF_JIT_COMPILE_H
#define PF_JIT_COMPILE_H

#include <string.h>

#include "jit_int.h"

/* One (function, signature) specialisation of a compile. */
typedef struct jspec {
  uint16_t fn;        /* snapshot index */
  uint32_t sig;
  uint16_t icls[PF_JIT_MAXARGS]; /* JSIG_INST arguments: their snapshot class (jsnap.cls) */
  uint8_t rtype;      /* result type: JT_INT, JT_FLOAT, JT_BOOL, JT_NONE (JT_BOT: unknown) */
  jty *in;            /* nins x nregs: register types before each instruction */
  uint8_t *reached;   /* nins */
  LLVMValueRef llfn;  /* (ctx, gslots, depth, args..., out, extras...) -> i32 status: what
                         the entry, fold kernels (fold.c) and OSR entries (osr.c) call */
  LLVMTypeRef llty;
  LLVMValueRef core;  /* the body, called by native calls: the same parameters ("out"
                         unused), returning {i64 result bits, i32 JRET_*} in registers;
                         llfn wraps it. NULL for an OSR entry's spec 0 (llfn is the body) */
  LLVMTypeRef corety;
  LLVMValueRef core2; /* a second copy of the core, made when the function calls itself: the
                         core's own calls go to it and its calls to the core, so that the
                         optimiser may inline one level of the recursion into the other */
} jspec;

/* The status a spec's core returns beside its result (llfn returns 0, 1 or 2, and for a
 * JT_NUM result stores out[1] = 1 for JRET_FLOAT). */
enum { JRET_OK, JRET_DEOPT, JRET_SKIP, JRET_FLOAT };

/* An OSR entry being compiled (osr.c): spec 0 starts at loop header "pc" with register r
 * of type pf_jit_osr_type(types[r]); live[pc * nregs + r]: r is read before it is written
 * on some path from pc (what a deoptimisation at pc writes back). */
typedef struct jcc_osr {
  uint32_t pc;
  const uint8_t *types;
  const uint8_t *live;
} jcc_osr;
/* Spec 0's signature in an OSR compile (no call signature collides with it). */
#define PF_JIT_SIG_OSR (2u << 28)

#define PF_JIT_MAXSPECS 64
typedef struct jcc {
  const jsnap *s;
  const jcc_osr *osr; /* NULL, or spec 0 is this OSR entry */
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
/* "icls": the classes of JSIG_INST arguments (NULL: none). */
int pf_jit_spec_find(jcc *c, uint16_t fn, uint32_t sig, const uint16_t *icls);
/* Result type of pf_binop "op" on types "a" and "b"; JT_ANY when native code does not do it. */
int pf_jit_binop_type(int op, int a, int b);
const char *pf_jit_type_name(int t);
/* The math functions native code calls (JT_MATHFN's index) and math's constants. */
const char *pf_jit_math_name(int k);
bool pf_jit_math_const(const char *name, double *v);
/* Result type of builtin "id" (pf_bi_id) on "n" arguments of types "a"; JT_ANY otherwise. */
int pf_jit_builtin_type(int id, uint32_t n, const jty *a);
void pf_jit_cc_free(jcc *c);

/* The state of code generation (compile.c; fold.c emits fold kernels with it). */
typedef struct cg {
  jcc *c;
  pf_jit *jit;
  LLVMContextRef ctx;
  LLVMModuleRef m;
  LLVMBuilderRef b;
  LLVMTypeRef i1, i8, i32, i64, f64, p8, pp8, p32, p64, pf64;
  /* the function being emitted */
  jspec *s;
  bool twin; /* emitting s->core2 */
  const jfn *f;
  LLVMValueRef fn, *ri, *rf, *ra, *rb, *rp, *rt, poll;
  /* sequences (JT_SEQ, JT_SITER): the object in rp, its length in rn, a window of
   * contiguous items [ra, rb) starting at rq; an iterator's next index in ri */
  LLVMValueRef *rq, *rn, seqw;
  LLVMBasicBlockRef *bb, deopt;
  uint8_t *tgt; /* per instruction: a jump's target (a join) */
} cg;

static inline LLVMValueRef ci64(cg *g, int64_t v) {
  return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}
static inline LLVMValueRef cf64(cg *g, double v) { return LLVMConstReal(g->f64, v); }
static inline LLVMValueRef ld(cg *g, LLVMTypeRef t, LLVMValueRef p) {
  return LLVMBuildLoad2(g->b, t, p, "");
}

/* Continues in a fresh block when "cond" is false; deoptimises when it is true. */
static inline void deopt_if(cg *g, LLVMValueRef cond) {
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "ok");
  LLVMBuildCondBr(g->b, cond, g->deopt, next);
  LLVMPositionBuilderAtEnd(g->b, next);
}

static inline LLVMValueRef intrinsic(cg *g, const char *name, LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef t = g->f64;
  LLVMValueRef decl = LLVMGetIntrinsicDeclaration(g->m, id, &t, 1);
  LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, &t, 1);
  return LLVMBuildCall2(g->b, fty, decl, args, n, "");
}


static inline LLVMValueRef get_i(cg *g, uint32_t r) { return ld(g, g->i64, g->ri[r]); }
static inline LLVMValueRef get_f(cg *g, uint32_t r) { return ld(g, g->f64, g->rf[r]); }
/* Whether register "r" of type "t" holds a float now (i1). */
static inline LLVMValueRef is_float(cg *g, uint32_t r, int t) {
  if (t == JT_NUM)
    return LLVMBuildICmp(g->b, LLVMIntNE, ld(g, g->i64, g->rt[r]), LLVMConstInt(g->i64, 0, 0), "isf");
  return LLVMConstInt(g->i1, t == JT_FLOAT, 0);
}
static inline LLVMValueRef as_f(cg *g, uint32_t r, int t) {
  if (t == JT_NUM)
    return LLVMBuildSelect(g->b, is_float(g, r, t), get_f(g, r),
                           LLVMBuildSIToFP(g->b, get_i(g, r), g->f64, ""), "");
  return t == JT_FLOAT ? get_f(g, r) : LLVMBuildSIToFP(g->b, get_i(g, r), g->f64, "");
}
/* Stores set the tag too: a register read as JT_NUM after a join knows what it holds. */
static inline void set_i(cg *g, uint32_t r, LLVMValueRef v) {
  LLVMBuildStore(g->b, v, g->ri[r]);
  LLVMBuildStore(g->b, LLVMConstInt(g->i64, 0, 0), g->rt[r]);
}
static inline void set_f(cg *g, uint32_t r, LLVMValueRef v) {
  LLVMBuildStore(g->b, v, g->rf[r]);
  LLVMBuildStore(g->b, LLVMConstInt(g->i64, 1, 0), g->rt[r]);
}
static inline LLVMValueRef bool64(cg *g, LLVMValueRef i1v) { return LLVMBuildZExt(g->b, i1v, g->i64, ""); }

/* emit_builtin.c: abs/min/max/float/int/len, and math.<fn> (the call's types in "st"). */
void pf_jit_emit_builtin(cg *g, pf_ins i, const jty *st);
void pf_jit_emit_math(cg *g, pf_ins i, const jty *st);

/* fold_x.c: register "r" = extra value "j" of the element being emitted (an int, float or
 * bool argument; a sequence: its window block's object, length and window). */
void pf_jit_emit_load_extra(cg *g, uint32_t r, uint32_t j);
/* fold_x.c: after register "r"'s window moved, stores it in the window block of every extra
 * sequence of the element holding the same object (a no-op elsewhere). */
void pf_jit_extra_window_back(cg *g, uint32_t r);

/* fold_x.c: at the fold kernel "kfn"'s entry, the element's extra values as E takes them
 * (args[0..nx)), from the kernel's state "st" (payloads from st[6]) or global slots;
 * branches to "deopt" when a global no longer holds a tuple or a list. */
void pf_jit_fold_extras(cg *g, LLVMValueRef kfn, LLVMValueRef st, LLVMBasicBlockRef deopt,
                        LLVMValueRef *args);

/* fold_x.c: a kernel over the items of a tuple or list (PF_JIT_SIG_SEQBASE_BIT): at its
 * entry, the object (st[6 + PF_JIT_MAXX]) and an empty window (sb[0], a block of the
 * kernel's, and sb[1], where pf_jit_seq_window writes);
 * then item "idx" of kind "et" (JT_INT or JT_FLOAT: i64 / double), branching to "deopt" on
 * an item of another kind. */
void pf_jit_fold_seqbase(cg *g, LLVMValueRef st, LLVMValueRef *sb);
LLVMValueRef pf_jit_fold_item(cg *g, LLVMValueRef kfn, const LLVMValueRef *sb, LLVMValueRef idx,
                              int et, LLVMBasicBlockRef deopt);

/* osr.c: the type an OSR entry's register of entry kind "ot" (OT_*) has. */
jty pf_jit_osr_type(uint8_t ot);
/* osr.c: in OSR spec 0's entry block, loads the registers from the entry's input array and
 * branches to the loop header. */
void pf_jit_osr_prologue(cg *g);
/* osr.c: fills "bb", the deoptimisation exit of instruction "pc" of OSR spec 0: writes the
 * registers live at pc back (their kind and payload) and the pc, and returns 1. */
void pf_jit_osr_writeback(cg *g, uint32_t pc, LLVMBasicBlockRef bb);
/* osr.c: global slot i.a = register i.b (an int, float or bool, as the slot holds: a tag
 * check, else deopt), for a with-block's OSR entry. */
void pf_jit_osr_store_global(cg *g, pf_ins i, const jty *st);
/* osr.c: defines the C-callable OSR entry "name" (a pf_jit_osr_fn) over spec 0. */
void pf_jit_osr_define_entry(cg *g, const char *name);
/* compile.c: as pf_jit_compile for the OSR entry "osr" of snapshot function 0. */
typedef int (*pf_jit_osr_fn)(const pf_jit_nctx *ctx, pf_val *const *gslots, int64_t depth,
                             const int64_t *in, int64_t *out, int64_t *wb);
pf_status_t pf_jit_compile_osr(pf_jit *jit, const jsnap *s, const jcc_osr *osr,
                               pf_jit_osr_fn *entry_p, uint8_t *rtype_p, char *why,
                               size_t why_len) PF_WUR;

/* fold.c: defines in g->m the fold kernel "name" (a pf_jit_fold_fn) of kind "kind" (a
 * PF_JIT_FOLD_*) over spec 0, which must take one int and return what the fold takes. */
void pf_jit_define_fold(cg *g, const char *name, int kind);

/* inst.c: the type of attribute "name" of instance type "obj" (JT_INST) read at "pc" of
 * "f"; *missing when the instance has no such attribute (native code deoptimises, the
 * interpreter raises). False (the compile failed, with the reason) when not compiled. */
bool pf_jit_inst_attr_type(jcc *c, const jfn *f, uint32_t pc, jty obj, const char *name,
                           jty *out, bool *missing);
/* inst.c: emits GETATTR "i" of an instance (its register's type in "st"): false when it
 * ended the block (a deopt: no such attribute). */
bool pf_jit_emit_inst_getattr(cg *g, pf_ins i, const jty *st);
/* inst.c: whether an instance of "obj"'s class is always true (no __bool__ nor __len__);
 * false (the compile failed, with the reason) otherwise. */
bool pf_jit_inst_truth(jcc *c, const jfn *f, uint32_t pc, jty obj);
/* inst.c: emits "a is b" / "a is not b" of an instance and an instance or None. */
void pf_jit_emit_inst_is(cg *g, pf_ins i, const jty *st);

/* compile.c: declares (the LLVM function of) specialisation "s", number "si", named after
 * the module's "prefix"; then defines its body. */
void pf_jit_declare_spec(cg *g, jspec *s, const char *prefix, uint32_t si);
void pf_jit_define_spec(cg *g, jspec *s);

#endif
