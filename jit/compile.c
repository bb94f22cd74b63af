/* compile.c — LLVM IR for the specialisations infer.c found: one native function per
 * (function, signature), registers in allocas (SROA/mem2reg make them SSA), one basic block
 * per reachable instruction, every case native code cannot answer exactly branching to a
 * deoptimisation exit (return 1: the interpreter runs the call again). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit_compile.h"



static LLVMTypeRef arg_type(cg *g, int t) { return t == JT_FLOAT ? g->f64 : g->i64; }

/* What a spec's core returns: {i64 result bits, i32 JRET_*}, in two registers. */
static LLVMTypeRef core_ret_type(cg *g) {
  LLVMTypeRef f[2] = {g->i64, g->i32};
  return LLVMStructTypeInContext(g->ctx, f, 2, 0);
}

/* Returns {v, status} from the core being emitted (v NULL: undefined). */
static void ret_core(cg *g, LLVMValueRef v, unsigned status) {
  LLVMValueRef f[2] = {v ? v : LLVMGetUndef(g->i64), LLVMConstInt(g->i32, status, 0)};
  LLVMBuildAggregateRet(g->b, f, 2);
}

/* Deoptimises unless |v| <= 2**53 (int → float conversion is then exact). */
static LLVMValueRef exact_f(cg *g, LLVMValueRef v) {
  LLVMValueRef off = LLVMBuildAdd(g->b, v, ci64(g, INT64_C(1) << 53), "");
  deopt_if(g, LLVMBuildICmp(g->b, LLVMIntUGT, off, ci64(g, INT64_C(1) << 54), "inexact"));
  return LLVMBuildSIToFP(g->b, v, g->f64, "");
}

/* A value of type "t" from register "r" converted for a comparison with a float. */
static LLVMValueRef cmp_f(cg *g, uint32_t r, int t) {
  if (t == JT_NUM) { /* an int beyond 2**53 deoptimises; a float is taken as it is */
    LLVMValueRef isf = is_float(g, r, t), v = get_i(g, r);
    LLVMValueRef off = LLVMBuildAdd(g->b, v, ci64(g, INT64_C(1) << 53), "");
    LLVMValueRef wide = LLVMBuildICmp(g->b, LLVMIntUGT, off, ci64(g, INT64_C(1) << 54), "");
    deopt_if(g, LLVMBuildAnd(g->b, LLVMBuildNot(g->b, isf, ""), wide, "inexact"));
    return LLVMBuildSelect(g->b, isf, get_f(g, r), LLVMBuildSIToFP(g->b, v, g->f64, ""), "");
  }
  return t == JT_FLOAT ? get_f(g, r) : exact_f(g, get_i(g, r));
}

static LLVMValueRef truth(cg *g, uint32_t r, int t) {
  if (t == JT_NUM)
    return LLVMBuildSelect(g->b, is_float(g, r, t),
                           LLVMBuildFCmp(g->b, LLVMRealUNE, get_f(g, r), cf64(g, 0.0), ""),
                           LLVMBuildICmp(g->b, LLVMIntNE, get_i(g, r), ci64(g, 0), ""), "");
  if (t == JT_FLOAT)
    return LLVMBuildFCmp(g->b, LLVMRealUNE, get_f(g, r), cf64(g, 0.0), "");
  if (t == JT_NONE)
    return LLVMConstInt(g->i1, 0, 0);
  if (t == JT_SEQ)
    return LLVMBuildICmp(g->b, LLVMIntNE, ld(g, g->i64, g->rn[r]), ci64(g, 0), "");
  if (t == JT_INST) /* a class without __bool__ and __len__ (infer.c) */
    return LLVMConstInt(g->i1, 1, 0);
  return LLVMBuildICmp(g->b, LLVMIntNE, get_i(g, r), ci64(g, 0), "");
}

/* Copies register "src" (type "t") into "dst". */
static void copy_reg(cg *g, uint32_t dst, uint32_t src, int t) {
  switch (t) {
  case JT_INT: case JT_BOOL: set_i(g, dst, get_i(g, src)); break;
  case JT_FLOAT: set_f(g, dst, get_f(g, src)); break;
  case JT_FUNC:
    LLVMBuildStore(g->b, ld(g, g->pp8, g->rp[src]), g->rp[dst]);
    LLVMBuildStore(g->b, ld(g, g->i64, g->rn[src]), g->rn[dst]); /* the global slot (osr.c) */
    break;
  case JT_INST: LLVMBuildStore(g->b, ld(g, g->pp8, g->rp[src]), g->rp[dst]); break;
  case JT_METH: /* the instance, and the method's global slots */
    LLVMBuildStore(g->b, ld(g, g->pp8, g->rp[src]), g->rp[dst]);
    LLVMBuildStore(g->b, ld(g, g->p8, g->rq[src]), g->rq[dst]);
    break;
  case JT_BUILTIN: case JT_RANGEFN: case JT_MATHMOD:
    LLVMBuildStore(g->b, ld(g, g->i64, g->rn[src]), g->rn[dst]);
    break;
  case JT_NUM: {
    LLVMValueRef a = get_i(g, src), x = get_f(g, src), tag = ld(g, g->i64, g->rt[src]);
    LLVMBuildStore(g->b, a, g->ri[dst]);
    LLVMBuildStore(g->b, x, g->rf[dst]);
    LLVMBuildStore(g->b, tag, g->rt[dst]);
    break;
  }
  case JT_SEQ: case JT_SITER: {
    LLVMValueRef o = ld(g, g->pp8, g->rp[src]), n = ld(g, g->i64, g->rn[src]);
    LLVMValueRef q = ld(g, g->p8, g->rq[src]), a = get_i(g, src);
    LLVMValueRef x = ld(g, g->i64, g->ra[src]), y = ld(g, g->i64, g->rb[src]);
    LLVMBuildStore(g->b, o, g->rp[dst]);
    LLVMBuildStore(g->b, n, g->rn[dst]);
    LLVMBuildStore(g->b, q, g->rq[dst]);
    set_i(g, dst, a);
    LLVMBuildStore(g->b, x, g->ra[dst]);
    LLVMBuildStore(g->b, y, g->rb[dst]);
    break;
  }
  case JT_RANGE: case JT_RITER: {
    LLVMValueRef a = get_i(g, src), x = ld(g, g->i64, g->ra[src]), y = ld(g, g->i64, g->rb[src]);
    set_i(g, dst, a);
    LLVMBuildStore(g->b, x, g->ra[dst]);
    LLVMBuildStore(g->b, y, g->rb[dst]);
    break;
  }
  default: break; /* None, unbound, range builtin: no payload */
  }
}

static LLVMValueRef const_ptr(cg *g, const void *p) {
  return LLVMConstIntToPtr(LLVMConstInt(g->i64, (unsigned long long)(uintptr_t)p, 0), g->p8);
}

/* Calls C function "fn" (of type "fty") by its address in this process. */
static LLVMValueRef call_c(cg *g, uintptr_t fn, LLVMTypeRef fty, LLVMValueRef *args, unsigned n) {
  LLVMValueRef fp = LLVMConstIntToPtr(LLVMConstInt(g->i64, fn, 0), LLVMPointerType(fty, 0));
  return LLVMBuildCall2(g->b, fty, fp, args, n, "");
}

int64_t pf_jit_seq_len(const pf_obj *o) {
  pf_val v = {.tag = PF_OBJ};
  v.u.o = (pf_obj *)o;
  return (int64_t)(o->type == &pf_type_tuple ? pf_tuple_len(v) : pf_list_len(v));
}

const pf_val *pf_jit_seq_window(const pf_obj *o, int64_t i, int64_t *w) {
  pf_val v = {.tag = PF_OBJ};
  v.u.o = (pf_obj *)o;
  if (o->type == &pf_type_tuple) {
    w[0] = 0;
    w[1] = (int64_t)pf_tuple_len(v);
    return pf_tuple_items(v);
  }
  size_t off = 0, n = 0;
  const pf_val *p = pf_list_leaf(v, (size_t)i, &off, &n);
  w[0] = i - (int64_t)off;
  w[1] = w[0] + (int64_t)n;
  return p;
}

/* Item "idx" (0 <= idx < length) of the sequence in register "r", of type "et" (JT_INT or
 * JT_FLOAT): read from r's window, which moves (pf_jit_seq_window) when "idx" is outside
 * it; an item of another kind deoptimises. */
static LLVMValueRef seq_item(cg *g, uint32_t r, LLVMValueRef idx, int et) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef lo = ld(g, g->i64, g->ra[r]), hi = ld(g, g->i64, g->rb[r]);
  LLVMValueRef in = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntSGE, idx, lo, ""),
                                 LLVMBuildICmp(b, LLVMIntSLT, idx, hi, ""), "inwin");
  LLVMBasicBlockRef miss = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "seq.miss");
  LLVMBasicBlockRef have = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "seq.have");
  LLVMBuildCondBr(b, in, have, miss);
  LLVMPositionBuilderAtEnd(b, miss);
  LLVMTypeRef pt[3] = {g->p8, g->i64, g->p64};
  LLVMTypeRef fty = LLVMFunctionType(g->p8, pt, 3, 0);
  LLVMValueRef args[3] = {LLVMBuildBitCast(b, ld(g, g->pp8, g->rp[r]), g->p8, ""), idx, g->seqw};
  LLVMValueRef base = call_c(g, (uintptr_t)&pf_jit_seq_window, fty, args, 3);
  LLVMValueRef one = LLVMConstInt(g->i64, 1, 0);
  LLVMBuildStore(b, base, g->rq[r]);
  LLVMBuildStore(b, ld(g, g->i64, g->seqw), g->ra[r]);
  LLVMBuildStore(b, ld(g, g->i64, LLVMBuildGEP2(b, g->i64, g->seqw, &one, 1, "")), g->rb[r]);
  pf_jit_extra_window_back(g, r);
  LLVMBuildBr(b, have);
  LLVMPositionBuilderAtEnd(b, have);
  LLVMValueRef off = LLVMBuildMul(b, LLVMBuildSub(b, idx, ld(g, g->i64, g->ra[r]), ""),
                                  ci64(g, (int64_t)sizeof(pf_val)), "");
  LLVMValueRef p = LLVMBuildGEP2(b, g->i8, ld(g, g->p8, g->rq[r]), &off, 1, "item");
  LLVMValueRef tag = ld(g, g->i32, LLVMBuildBitCast(b, p, g->p32, ""));
  deopt_if(g, LLVMBuildICmp(b, LLVMIntNE, tag,
                            LLVMConstInt(g->i32, et == JT_FLOAT ? PF_FLOAT : PF_INT, 0), "itemkind"));
  LLVMValueRef u = LLVMConstInt(g->i64, offsetof(pf_val, u), 0);
  LLVMValueRef vp = LLVMBuildGEP2(b, g->i8, p, &u, 1, "");
  return et == JT_FLOAT ? ld(g, g->f64, LLVMBuildBitCast(b, vp, g->pf64, ""))
                        : ld(g, g->i64, LLVMBuildBitCast(b, vp, g->p64, ""));
}

/* seq[i]: Python's negative indices; out of range deoptimises (the interpreter raises). */
static void emit_getitem(cg *g, pf_ins i, const jty *st) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef idx = get_i(g, i.c), n = ld(g, g->i64, g->rn[i.b]);
  LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, idx, ci64(g, 0), "");
  idx = LLVMBuildSelect(b, neg, LLVMBuildAdd(b, idx, n, ""), idx, "");
  deopt_if(g, LLVMBuildICmp(b, LLVMIntUGE, idx, n, "range"));
  int et = st[i.b].fn;
  LLVMValueRef v = seq_item(g, i.b, idx, et);
  if (et == JT_FLOAT)
    set_f(g, i.a, v);
  else
    set_i(g, i.a, v);
}

/* Pointer at byte offset "off" of "base" (i8*), cast to "ptrty". */
static LLVMValueRef field(cg *g, LLVMValueRef base, size_t off, LLVMTypeRef ptrty) {
  LLVMValueRef idx = LLVMConstInt(g->i64, off, 0);
  LLVMValueRef p = LLVMBuildGEP2(g->b, g->i8, base, &idx, 1, "");
  return LLVMBuildBitCast(g->b, p, ptrty, "");
}

/* A load of what a global's guard reads (the slot, the value, a function's code and its
 * global slots): marked invariant outside OSR compiles, so that the optimiser reads it once
 * per native call however many calls the function makes. Globals are rebound only by
 * module-level code (STORE_GLOBAL: a with-block's statements, or a walrus in a comprehension
 * there, which then runs sequentially, pf_code.writes_out), never while a native call it
 * made runs: forked siblings bind no names (fork.c), so only an OSR entry, which stores
 * globals itself, keeps plain loads. */
static LLVMValueRef ld_glob(cg *g, LLVMTypeRef t, LLVMValueRef p) {
  LLVMValueRef v = ld(g, t, p);
  if (!g->c->osr)
    LLVMSetMetadata(v, LLVMGetMDKindIDInContext(g->ctx, "invariant.load", 14),
                    LLVMMetadataAsValue(g->ctx, LLVMMDNodeInContext2(g->ctx, NULL, 0)));
  return v;
}

static void emit_load_global(cg *g, pf_ins i) {
  jglob gl = g->f->globals[i.b];
  LLVMValueRef idx = LLVMConstInt(g->i64, i.b, 0);
  LLVMValueRef slotp = LLVMBuildGEP2(g->b, g->p8, LLVMGetParam(g->fn, 1), &idx, 1, "");
  LLVMValueRef slot = ld_glob(g, g->p8, slotp);
  LLVMValueRef tag = ld_glob(g, g->i32, field(g, slot, offsetof(pf_val, tag), g->p32));
  static const uint32_t want[] = {0,      PF_INT, PF_FLOAT,   PF_BOOL,   PF_NONE,
                                  PF_OBJ, PF_UNBOUND, PF_UNBOUND, PF_OBJ};
  deopt_if(g, LLVMBuildICmp(g->b, LLVMIntNE, tag, LLVMConstInt(g->i32, want[gl.kind], 0), "gtag"));
  if (gl.kind >= JG_NONE) /* which slot a function or module came from: what an OSR entry's
                           * deoptimisation writes back (osr.c; dead code otherwise) */
    LLVMBuildStore(g->b, idx, g->rn[i.a]);
  switch (gl.kind) {
  case JG_INT:
  case JG_BOOL:
    set_i(g, i.a, ld_glob(g, g->i64, field(g, slot, offsetof(pf_val, u), g->p64)));
    break;
  case JG_FLOAT:
    set_f(g, i.a, ld_glob(g, g->f64, field(g, slot, offsetof(pf_val, u), g->pf64)));
    break;
  case JG_FUNC: {
    LLVMTypeRef ppp8 = LLVMPointerType(g->p8, 0);
    LLVMValueRef o = ld_glob(g, g->p8, field(g, slot, offsetof(pf_val, u), ppp8));
    LLVMValueRef type = ld_glob(g, g->p8, field(g, o, offsetof(pf_obj, type), ppp8));
    deopt_if(g, LLVMBuildICmp(g->b, LLVMIntNE, type, const_ptr(g, &pf_type_func), "notfunc"));
    LLVMValueRef code = ld_glob(g, g->p8, field(g, o, offsetof(pf_func, code), ppp8));
    /* set once (NULL, then the record), by a worker perhaps while this runs: atomic */
    LLVMValueRef jc = ld_glob(g, g->p8, field(g, code, offsetof(pf_code, jit), ppp8));
    LLVMSetOrdering(jc, LLVMAtomicOrderingUnordered);
    LLVMSetAlignment(jc, 8);
    deopt_if(g, LLVMBuildICmp(g->b, LLVMIntNE, jc, const_ptr(g, g->c->s->fns[gl.fn].jc), "othercode"));
    LLVMValueRef gs = ld_glob(g, g->pp8, field(g, code, offsetof(pf_code, gslots), LLVMPointerType(g->pp8, 0)));
    LLVMBuildStore(g->b, gs, g->rp[i.a]);
    break;
  }
  case JG_MATHMOD: { /* the module objects are static: the same one in every program */
    LLVMTypeRef ppp8 = LLVMPointerType(g->p8, 0);
    LLVMValueRef o = ld_glob(g, g->p8, field(g, slot, offsetof(pf_val, u), ppp8));
    deopt_if(g, LLVMBuildICmp(g->b, LLVMIntNE, o, const_ptr(g, g->c->s->mathmod), "notmath"));
    break;
  }
  default:
    break; /* None; range and other builtins (the slot is unbound: the builtin answers) */
  }
}

/* Python's float floor division or modulo (CPython's float_divmod), "wx" non-zero. */
static LLVMValueRef float_divmod(cg *g, LLVMValueRef vx, LLVMValueRef wx, bool want_div) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef zero = cf64(g, 0.0);
  LLVMValueRef mod = LLVMBuildFRem(b, vx, wx, "mod");
  LLVMValueRef div = LLVMBuildFDiv(b, LLVMBuildFSub(b, vx, mod, ""), wx, "div");
  LLVMValueRef modnz = LLVMBuildFCmp(b, LLVMRealUNE, mod, zero, "");
  LLVMValueRef wneg = LLVMBuildFCmp(b, LLVMRealOLT, wx, zero, "");
  LLVMValueRef mneg = LLVMBuildFCmp(b, LLVMRealOLT, mod, zero, "");
  LLVMValueRef adj = LLVMBuildAnd(b, modnz, LLVMBuildICmp(b, LLVMIntNE, wneg, mneg, ""), "");
  LLVMValueRef cs_args[2] = {zero, wx};
  LLVMValueRef zmod = intrinsic(g, "llvm.copysign", cs_args, 2);
  mod = LLVMBuildSelect(b, adj, LLVMBuildFAdd(b, mod, wx, ""), mod, "");
  mod = LLVMBuildSelect(b, modnz, mod, zmod, "");
  if (!want_div)
    return mod;
  div = LLVMBuildSelect(b, adj, LLVMBuildFSub(b, div, cf64(g, 1.0), ""), div, "");
  LLVMValueRef fl = intrinsic(g, "llvm.floor", &div, 1);
  LLVMValueRef up = LLVMBuildFCmp(b, LLVMRealOGT, LLVMBuildFSub(b, div, fl, ""), cf64(g, 0.5), "");
  fl = LLVMBuildSelect(b, up, LLVMBuildFAdd(b, fl, cf64(g, 1.0), ""), fl, "");
  LLVMValueRef cs2[2] = {zero, LLVMBuildFDiv(b, vx, wx, "")};
  LLVMValueRef zdiv = intrinsic(g, "llvm.copysign", cs2, 2);
  LLVMValueRef divnz = LLVMBuildFCmp(b, LLVMRealUNE, div, zero, "");
  return LLVMBuildSelect(b, divnz, fl, zdiv, "");
}

/* a ** e on int64 by squaring; overflow and e < 0 deoptimise. */
static LLVMValueRef int_pow(cg *g, LLVMValueRef a, LLVMValueRef e) {
  LLVMBuilderRef b = g->b;
  deopt_if(g, LLVMBuildICmp(b, LLVMIntSLT, e, ci64(g, 0), "negexp"));
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
  LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.head");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.body");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.done");
  LLVMBuildBr(b, head);
  LLVMPositionBuilderAtEnd(b, head);
  LLVMValueRef res = LLVMBuildPhi(b, g->i64, "res"), base = LLVMBuildPhi(b, g->i64, "base"),
               ex = LLVMBuildPhi(b, g->i64, "e");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, ex, ci64(g, 0), ""), done, body);
  LLVMPositionBuilderAtEnd(b, body);
  LLVMBasicBlockRef mulbb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.mul");
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.after");
  LLVMBuildCondBr(b, LLVMBuildTrunc(b, ex, g->i1, ""), mulbb, after);
  LLVMPositionBuilderAtEnd(b, mulbb);
  LLVMValueRef r2 = pf_jit_emit_i64_binop(b, g->m, PF_OP_MUL, res, base, g->deopt);
  LLVMBasicBlockRef mulend = LLVMGetInsertBlock(b);
  LLVMBuildBr(b, after);
  LLVMPositionBuilderAtEnd(b, after);
  LLVMValueRef rn = LLVMBuildPhi(b, g->i64, "");
  LLVMValueRef inv[2] = {res, r2};
  LLVMBasicBlockRef inb[2] = {body, mulend};
  LLVMAddIncoming(rn, inv, inb, 2);
  LLVMValueRef e2 = LLVMBuildAShr(b, ex, ci64(g, 1), "");
  LLVMBasicBlockRef sq = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.sq");
  LLVMBasicBlockRef latch = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "pow.latch");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, e2, ci64(g, 0), ""), latch, sq);
  LLVMPositionBuilderAtEnd(b, sq);
  LLVMValueRef b2 = pf_jit_emit_i64_binop(b, g->m, PF_OP_MUL, base, base, g->deopt);
  LLVMBasicBlockRef sqend = LLVMGetInsertBlock(b);
  LLVMBuildBr(b, latch);
  LLVMPositionBuilderAtEnd(b, latch);
  LLVMValueRef bn = LLVMBuildPhi(b, g->i64, "");
  LLVMValueRef bv[2] = {base, b2};
  LLVMBasicBlockRef bbs[2] = {after, sqend};
  LLVMAddIncoming(bn, bv, bbs, 2);
  LLVMBuildBr(b, head);
  LLVMValueRef v0[2] = {ci64(g, 1), rn}, v1[2] = {a, bn}, v2[2] = {e, e2};
  LLVMBasicBlockRef from[2] = {pre, latch};
  LLVMAddIncoming(res, v0, from, 2);
  LLVMAddIncoming(base, v1, from, 2);
  LLVMAddIncoming(ex, v2, from, 2);
  LLVMPositionBuilderAtEnd(b, done);
  return res;
}

typedef void (*emit2_fn)(cg *g, pf_ins i, int ta, int tb);

/* For operands of which one may be an int or a float (JT_NUM) and neither is a float for
 * sure: branches on the tags. "on_float" runs when either holds a float, with the types as
 * they are (it reads through as_f / cmp_f, which look at the tags); "on_int" runs when both
 * hold ints, with every JT_NUM taken as JT_INT. False when no split is needed. */
static bool split_num(cg *g, pf_ins i, int ta, int tb, emit2_fn on_float, emit2_fn on_int) {
  if ((ta != JT_NUM && tb != JT_NUM) || ta == JT_FLOAT || tb == JT_FLOAT)
    return false;
  LLVMValueRef anyf = LLVMBuildOr(g->b, is_float(g, i.b, ta), is_float(g, i.c, tb), "anyf");
  LLVMBasicBlockRef fb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "num.f");
  LLVMBasicBlockRef ib = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "num.i");
  LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "num.join");
  LLVMBuildCondBr(g->b, anyf, fb, ib);
  LLVMPositionBuilderAtEnd(g->b, fb);
  on_float(g, i, ta, tb);
  LLVMBuildBr(g->b, join);
  LLVMPositionBuilderAtEnd(g->b, ib);
  on_int(g, i, ta == JT_NUM ? JT_INT : ta, tb == JT_NUM ? JT_INT : tb);
  LLVMBuildBr(g->b, join);
  LLVMPositionBuilderAtEnd(g->b, join);
  return true;
}

/* a op b in floats (either side may be an int or a JT_NUM, converted as Python does). */
static void emit_binop_float(cg *g, pf_ins i, int ta, int tb) {
  LLVMBuilderRef b = g->b;
  int op = i.op - OP_ADD;
  if (op == PF_OP_POW) { /* float ** int, int >= 0: libm pow, overflow deoptimises */
    LLVMValueRef e = get_i(g, i.c);
    deopt_if(g, LLVMBuildICmp(b, LLVMIntSLT, e, ci64(g, 0), "negexp"));
    LLVMValueRef x = get_f(g, i.b);
    LLVMTypeRef pt[2] = {g->f64, g->f64};
    LLVMTypeRef fty = LLVMFunctionType(g->f64, pt, 2, 0);
    LLVMValueRef pw = LLVMGetNamedFunction(g->m, "pow");
    if (!pw)
      pw = LLVMAddFunction(g->m, "pow", fty);
    LLVMValueRef args[2] = {x, LLVMBuildSIToFP(b, e, g->f64, "")};
    LLVMValueRef r = LLVMBuildCall2(b, fty, pw, args, 2, "");
    LLVMValueRef inf = cf64(g, __builtin_inf());
    LLVMValueRef rinf = LLVMBuildFCmp(b, LLVMRealOEQ, intrinsic(g, "llvm.fabs", &r, 1), inf, "");
    LLVMValueRef xfin = LLVMBuildFCmp(b, LLVMRealONE, intrinsic(g, "llvm.fabs", &x, 1), inf, "");
    deopt_if(g, LLVMBuildAnd(b, rinf, xfin, "overflow"));
    set_f(g, i.a, r);
    return;
  }
  LLVMValueRef x = as_f(g, i.b, ta), y = as_f(g, i.c, tb), r;
  if (op == PF_OP_TRUEDIV || op == PF_OP_FLOORDIV || op == PF_OP_MOD)
    deopt_if(g, LLVMBuildFCmp(b, LLVMRealOEQ, y, cf64(g, 0.0), "zerodiv"));
  switch (op) {
  case PF_OP_ADD: r = LLVMBuildFAdd(b, x, y, ""); break;
  case PF_OP_SUB: r = LLVMBuildFSub(b, x, y, ""); break;
  case PF_OP_MUL: r = LLVMBuildFMul(b, x, y, ""); break;
  case PF_OP_TRUEDIV: r = LLVMBuildFDiv(b, x, y, ""); break;
  case PF_OP_FLOORDIV: r = float_divmod(g, x, y, true); break;
  default: r = float_divmod(g, x, y, false); break;
  }
  set_f(g, i.a, r);
}

static void emit_binop(cg *g, pf_ins i, int ta, int tb) {
  LLVMBuilderRef b = g->b;
  int op = i.op - OP_ADD;
  if (split_num(g, i, ta, tb, emit_binop_float, emit_binop))
    return;
  bool ints = (ta == JT_INT || ta == JT_BOOL) && (tb == JT_INT || tb == JT_BOOL);
  int rt = pf_jit_binop_type(op, ta, tb);
  if (ints && rt == JT_INT) {
    LLVMValueRef x = get_i(g, i.b), y = get_i(g, i.c), r;
    if (op == PF_OP_POW)
      r = int_pow(g, x, y);
    else
      r = pf_jit_emit_i64_binop(b, g->m, (pf_binop)op, x, y, g->deopt);
    set_i(g, i.a, r);
    return;
  }
  if (ints) { /* int / int, both exact as doubles */
    LLVMValueRef x = exact_f(g, get_i(g, i.b)), y = exact_f(g, get_i(g, i.c));
    deopt_if(g, LLVMBuildFCmp(b, LLVMRealOEQ, y, cf64(g, 0.0), "zerodiv"));
    set_f(g, i.a, LLVMBuildFDiv(b, x, y, ""));
    return;
  }
  emit_binop_float(g, i, ta, tb);
}

static const LLVMIntPredicate cmp_ip[] = {LLVMIntSLT, LLVMIntSLE, LLVMIntSGT,
                                          LLVMIntSGE, LLVMIntEQ,  LLVMIntNE};
static const LLVMRealPredicate cmp_fp[] = {LLVMRealOLT, LLVMRealOLE, LLVMRealOGT,
                                           LLVMRealOGE, LLVMRealOEQ, LLVMRealUNE};

/* a < b … as floats; an int side must be exact as a double (else deopt). */
static void emit_compare_float(cg *g, pf_ins i, int ta, int tb) {
  LLVMValueRef r = LLVMBuildFCmp(g->b, cmp_fp[i.op - OP_LT], cmp_f(g, i.b, ta), cmp_f(g, i.c, tb), "");
  set_i(g, i.a, bool64(g, r));
}

static void emit_compare(cg *g, pf_ins i, int ta, int tb) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef r;
  if (i.op == OP_IS || i.op == OP_ISNOT) { /* as the interpreter: same tag and same bits */
    bool same_tag = ta == tb;
    if (!same_tag)
      r = LLVMConstInt(g->i1, 0, 0);
    else if (ta == JT_NONE)
      r = LLVMConstInt(g->i1, 1, 0);
    else if (ta == JT_FLOAT)
      r = LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildBitCast(b, get_f(g, i.b), g->i64, ""),
                        LLVMBuildBitCast(b, get_f(g, i.c), g->i64, ""), "");
    else
      r = LLVMBuildICmp(b, LLVMIntEQ, get_i(g, i.b), get_i(g, i.c), "");
    if (i.op == OP_ISNOT)
      r = LLVMBuildNot(b, r, "");
    set_i(g, i.a, bool64(g, r));
    return;
  }
  if (split_num(g, i, ta, tb, emit_compare_float, emit_compare))
    return;
  if (ta == JT_FLOAT || tb == JT_FLOAT || ta == JT_NUM || tb == JT_NUM) {
    emit_compare_float(g, i, ta, tb);
    return;
  }
  r = LLVMBuildICmp(b, cmp_ip[i.op - OP_LT], get_i(g, i.b), get_i(g, i.c), "");
  set_i(g, i.a, bool64(g, r));
}

/* `a % b == 0` (or `!=`), the MOD just before on ints and nothing jumping between: Python's
 * modulo is zero exactly when the truncated remainder is, so the test needs no floor
 * adjustment (the MOD already deoptimised on b == 0 and INT64_MIN % -1). */
static bool emit_mod_zero_test(cg *g, uint32_t pc, pf_ins i) {
  if ((i.op != OP_EQ && i.op != OP_NE) || pc < 2 || g->tgt[pc] || g->tgt[pc - 1])
    return false;
  pf_ins m = g->f->ins[pc - 2], k = g->f->ins[pc - 1];
  if (m.op != OP_MOD || k.op != OP_LOADK || m.a != i.b || k.a != i.c || m.a == m.b ||
      m.a == m.c || k.a == m.b || k.a == m.c)
    return false;
  jconst kc = g->f->consts[k.b];
  const jty *ms = g->s->in + (size_t)(pc - 2) * g->f->nregs;
  if (kc.t != JT_INT || kc.v.i != 0 || (ms[m.b].t != JT_INT && ms[m.b].t != JT_BOOL) ||
      (ms[m.c].t != JT_INT && ms[m.c].t != JT_BOOL))
    return false;
  LLVMValueRef r = LLVMBuildSRem(g->b, get_i(g, m.b), get_i(g, m.c), "rem");
  LLVMValueRef z = LLVMBuildICmp(g->b, i.op == OP_EQ ? LLVMIntEQ : LLVMIntNE, r, ci64(g, 0), "");
  set_i(g, i.a, bool64(g, z));
  return true;
}

static void emit_unary(cg *g, pf_ins i, int ta) {
  LLVMBuilderRef b = g->b;
  if (i.op == OP_NOT) {
    set_i(g, i.a, bool64(g, LLVMBuildNot(b, truth(g, i.b, ta), "")));
    return;
  }
  if (ta == JT_NUM) {
    if (i.op == OP_POS) {
      copy_reg(g, i.a, i.b, JT_NUM);
      return;
    }
    LLVMBasicBlockRef fb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "neg.f");
    LLVMBasicBlockRef ib = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "neg.i");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "neg.join");
    LLVMBuildCondBr(b, is_float(g, i.b, ta), fb, ib);
    LLVMPositionBuilderAtEnd(b, fb);
    emit_unary(g, i, JT_FLOAT);
    LLVMBuildBr(b, join);
    LLVMPositionBuilderAtEnd(b, ib);
    emit_unary(g, i, JT_INT);
    LLVMBuildBr(b, join);
    LLVMPositionBuilderAtEnd(b, join);
    return;
  }
  if (ta == JT_FLOAT) {
    LLVMValueRef x = get_f(g, i.b);
    set_f(g, i.a, i.op == OP_NEG ? LLVMBuildFNeg(b, x, "") : x);
    return;
  }
  LLVMValueRef x = get_i(g, i.b);
  if (i.op == OP_NEG) {
    deopt_if(g, LLVMBuildICmp(b, LLVMIntEQ, x, ci64(g, INT64_MIN), "negmin"));
    x = LLVMBuildSub(b, ci64(g, 0), x, "");
  } else if (i.op == OP_INVERT)
    x = LLVMBuildXor(b, x, ci64(g, -1), "");
  set_i(g, i.a, x);
}

/* range(a[, b[, c]]) into register "dst" as (start, stop, step). */
static void emit_range(cg *g, pf_ins i) {
  LLVMValueRef start = ci64(g, 0), stop, step = ci64(g, 1);
  if (i.c == 1)
    stop = get_i(g, i.b + 1u);
  else {
    start = get_i(g, i.b + 1u);
    stop = get_i(g, i.b + 2u);
    if (i.c == 3) {
      step = get_i(g, i.b + 3u);
      deopt_if(g, LLVMBuildICmp(g->b, LLVMIntEQ, step, ci64(g, 0), "step0"));
    }
  }
  set_i(g, i.a, start);
  LLVMBuildStore(g->b, stop, g->ra[i.a]);
  LLVMBuildStore(g->b, step, g->rb[i.a]);
}

/* iter(range) into "dst" as (next value, remaining count, step). */
static void emit_get_iter(cg *g, pf_ins i) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef start = get_i(g, i.b), stop = ld(g, g->i64, g->ra[i.b]), step = ld(g, g->i64, g->rb[i.b]);
  LLVMValueRef pos = LLVMBuildICmp(b, LLVMIntSGT, step, ci64(g, 0), "");
  LLVMValueRef lo = LLVMBuildSelect(b, pos, start, stop, ""), hi = LLVMBuildSelect(b, pos, stop, start, "");
  LLVMValueRef mag = LLVMBuildSelect(b, pos, step, LLVMBuildSub(b, ci64(g, 0), step, ""), "");
  LLVMValueRef nonempty = LLVMBuildICmp(b, LLVMIntSLT, lo, hi, "");
  LLVMValueRef span = LLVMBuildSub(b, LLVMBuildSub(b, hi, lo, ""), ci64(g, 1), "");
  LLVMValueRef n = LLVMBuildAdd(b, LLVMBuildUDiv(b, span, mag, ""), ci64(g, 1), "");
  n = LLVMBuildSelect(b, nonempty, n, ci64(g, 0), "len");
  set_i(g, i.a, start);
  LLVMBuildStore(b, n, g->ra[i.a]);
  LLVMBuildStore(b, step, g->rb[i.a]);
}

static void emit_poll(cg *g, LLVMValueRef n, LLVMBasicBlockRef next);

static void emit_call(cg *g, pf_ins i, const jty *st) {
  LLVMBuilderRef b = g->b;
  uint32_t sig = 0, o = st[i.b].t == JT_METH; /* a method: self is argument 0 */
  uint16_t icls[PF_JIT_MAXARGS] = {0};
  LLVMValueRef args[PF_JIT_MAXARGS + 4];
  if (o) {
    sig = JSIG_INST;
    icls[0] = (uint16_t)(st[i.b].fn / 64);
  }
  for (uint32_t j = 0; j < i.c; j++) {
    sig |= (uint32_t)jsig_code(st[i.b + 1 + j]) << (4 * (j + o));
    if (st[i.b + 1 + j].t == JT_INST)
      icls[j + o] = st[i.b + 1 + j].fn;
  }
  int ci = pf_jit_spec_find(g->c, o ? (uint16_t)(st[i.b].fn % 64) : st[i.b].fn, sig, icls);
  if (ci < 0) {
    pf_jit_fail(g->c, "internal: a call without its specialisation");
    return;
  }
  jspec *callee = &g->c->sp[ci];
  args[0] = LLVMGetParam(g->fn, 0);
  args[1] = o ? LLVMBuildBitCast(b, ld(g, g->p8, g->rq[i.b]), g->pp8, "")
              : ld(g, g->pp8, g->rp[i.b]);
  args[2] = LLVMBuildSub(b, LLVMGetParam(g->fn, 2), ci64(g, 1), "");
  /* frames: as deep as the interpreter would go, then it raises RecursionError (the whole
   * native call deoptimises, and the interpreter goes as deep as it may) */
  deopt_if(g, LLVMBuildICmp(b, LLVMIntSLT, args[2], ci64(g, 1), "deep"));
  /* calls tick (ctx slot 2, the native call's own counter), so recursion polls cancel;
   * but not a twin's (pf_jit_define_spec): it is inlined into its core, whose calls tick,
   * so a recursion ticks at every other level at least */
  LLVMBasicBlockRef go = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "call");
  if (g->twin)
    LLVMBuildBr(b, go);
  else {
    LLVMValueRef two = LLVMConstInt(g->i64, 2, 0);
    LLVMValueRef tickp = LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->p8, LLVMGetParam(g->fn, 0), &two, 1, ""),
                                          g->p64, "");
    LLVMValueRef ticks = LLVMBuildAdd(b, ld(g, g->i64, tickp), ci64(g, 1), "");
    LLVMBuildStore(b, ticks, tickp);
    emit_poll(g, ticks, go);
  }
  LLVMPositionBuilderAtEnd(b, go);
  if (o)
    args[3] = LLVMBuildPtrToInt(b, ld(g, g->pp8, g->rp[i.b]), g->i64, "self");
  for (uint32_t j = 0; j < i.c; j++) {
    int t = st[i.b + 1 + j].t;
    args[3 + o + j] = t == JT_FLOAT ? get_f(g, i.b + 1 + j)
                  : t == JT_SEQ || t == JT_INST ? LLVMBuildPtrToInt(b, ld(g, g->pp8, g->rp[i.b + 1 + j]), g->i64, "")
                  : get_i(g, i.b + 1 + j);
  }
  args[3 + o + i.c] = LLVMGetUndef(g->p64); /* the core returns in registers */
  if (!callee->core) {
    pf_jit_fail(g->c, "internal: a call of an OSR entry");
    return;
  }
  LLVMValueRef target = callee->core, r;
  if (callee == g->s && !g->twin && !o) { /* a call of itself: to the twin (pf_jit_define_spec) */
    if (!callee->core2) {
      char name[112];
      snprintf(name, sizeof name, "%s2", LLVMGetValueName(callee->core));
      callee->core2 = LLVMAddFunction(g->m, name, callee->corety);
      LLVMSetLinkage(callee->core2, LLVMInternalLinkage);
      LLVMSetFunctionCallConv(callee->core2, LLVMFastCallConv);
      unsigned k = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
      LLVMAddAttributeAtIndex(callee->core2, LLVMAttributeFunctionIndex,
                              LLVMCreateEnumAttribute(g->ctx, k, 0));
    }
    /* with the same global slots (the function's own code, as a recursion's always is
     * within one program), the twin inlined here finds its guards already checked */
    LLVMBasicBlockRef same = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "self");
    LLVMBasicBlockRef other = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "selfother");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "selfjoin");
    LLVMValueRef own = LLVMGetParam(g->fn, 1), gs = args[1];
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, gs, own, ""), same, other);
    LLVMPositionBuilderAtEnd(b, same);
    args[1] = own;
    LLVMValueRef r1 = LLVMBuildCall2(b, callee->corety, callee->core2, args, 4 + o + i.c, "");
    LLVMSetInstructionCallConv(r1, LLVMFastCallConv);
    LLVMBuildBr(b, join);
    LLVMPositionBuilderAtEnd(b, other);
    args[1] = gs;
    LLVMValueRef r2 = LLVMBuildCall2(b, callee->corety, callee->core, args, 4 + o + i.c, "");
    LLVMSetInstructionCallConv(r2, LLVMFastCallConv);
    LLVMBuildBr(b, join);
    LLVMPositionBuilderAtEnd(b, join);
    r = LLVMBuildPhi(b, LLVMTypeOf(r1), "");
    LLVMValueRef rs[2] = {r1, r2};
    LLVMBasicBlockRef bs[2] = {same, other};
    LLVMAddIncoming(r, rs, bs, 2);
  } else {
    r = LLVMBuildCall2(b, callee->corety, target, args, 4 + o + i.c, "");
    LLVMSetInstructionCallConv(r, LLVMFastCallConv);
  }
  LLVMValueRef rc = LLVMBuildExtractValue(b, r, 1, "rc");
  LLVMValueRef out = LLVMBuildExtractValue(b, r, 0, "res");
  if (callee->rtype == JT_NUM) { /* JRET_OK: an int; JRET_FLOAT: a float */
    LLVMValueRef isf = LLVMBuildICmp(b, LLVMIntEQ, rc, LLVMConstInt(g->i32, JRET_FLOAT, 0), "");
    deopt_if(g, LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntNE, rc, LLVMConstInt(g->i32, JRET_OK, 0), ""),
                             LLVMBuildNot(b, isf, ""), "calleedeopt"));
    LLVMBuildStore(b, out, g->ri[i.a]);
    LLVMBuildStore(b, LLVMBuildBitCast(b, out, g->f64, ""), g->rf[i.a]);
    LLVMBuildStore(b, bool64(g, isf), g->rt[i.a]);
    return;
  }
  deopt_if(g, LLVMBuildICmp(b, LLVMIntNE, rc, LLVMConstInt(g->i32, JRET_OK, 0), "calleedeopt"));
  if (callee->rtype == JT_FLOAT)
    set_f(g, i.a, LLVMBuildBitCast(b, out, g->f64, ""));
  else if (callee->rtype == JT_INT || callee->rtype == JT_BOOL)
    set_i(g, i.a, out);
}

/* Every 65536 ticks ("n" counts them): add as much to the run's progress and deoptimise if
 * the run is cancelled; then (or else) continue at "next". */
static void emit_poll(cg *g, LLVMValueRef n, LLVMBasicBlockRef next) {
  LLVMBuilderRef b = g->b;
  LLVMBasicBlockRef chk = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "poll");
  LLVMValueRef due = LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildAnd(b, n, ci64(g, 0xffff), ""), ci64(g, 0), "");
  LLVMBuildCondBr(b, due, chk, next);
  LLVMPositionBuilderAtEnd(b, chk);
  LLVMValueRef ctx = LLVMGetParam(g->fn, 0);
  LLVMValueRef one = LLVMConstInt(g->i64, 1, 0);
  LLVMValueRef progp = ld(g, g->p8, LLVMBuildGEP2(b, g->p8, ctx, &one, 1, ""));
  LLVMBuildAtomicRMW(b, LLVMAtomicRMWBinOpAdd, LLVMBuildBitCast(b, progp, g->p64, ""),
                     ci64(g, 0x10000), LLVMAtomicOrderingMonotonic, 0);
  LLVMValueRef cancp = LLVMBuildBitCast(b, ld(g, g->p8, ctx), g->p32, "");
  LLVMValueRef flag = LLVMBuildLoad2(b, g->i32, cancp, "cancel");
  LLVMSetOrdering(flag, LLVMAtomicOrderingMonotonic);
  LLVMSetAlignment(flag, 4);
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, flag, LLVMConstInt(g->i32, 0, 0), ""), g->deopt, next);
}

static bool needs_read(cg *g, uint32_t pc, const jty *st, uint32_t r) {
  if (st[r].t == JT_BOT) {
    pf_jit_fail(g->c, "%s, line %d: a value of unknown type (a call that never returns?)",
                g->f->name, (int)g->f->lines[pc]);
    return false;
  }
  return true;
}

static void emit_ins(cg *g, uint32_t pc) {
  const jfn *f = g->f;
  const jty *st = g->s->in + (size_t)pc * f->nregs;
  pf_ins i = f->ins[pc];
  LLVMBuilderRef b = g->b;
  LLVMBasicBlockRef next = pc + 1 < f->nins ? g->bb[pc + 1] : NULL;
  switch ((pf_opcode)i.op) {
  case OP_NOP:
  case OP_EXT:
    break;
  case OP_MOVE:
    if (st[i.b].t != JT_UNB && !needs_read(g, pc, st, i.b))
      return;
    copy_reg(g, i.a, i.b, st[i.b].t);
    break;
  case OP_LOADK: {
    jconst k = f->consts[i.b];
    if (k.t == JT_FLOAT)
      set_f(g, i.a, cf64(g, k.v.f));
    else if (k.t == JT_INT || k.t == JT_BOOL)
      set_i(g, i.a, ci64(g, k.v.i));
    break;
  }
  case OP_LOAD_DEREF: /* an element's extra value (fold_x.c) */
    pf_jit_emit_load_extra(g, i.a, i.b);
    break;
  case OP_LOAD_GLOBAL:
    emit_load_global(g, i);
    break;
  case OP_STORE_GLOBAL:
    pf_jit_osr_store_global(g, i, st);
    break;
  case OP_ADD: case OP_SUB: case OP_MUL: case OP_TRUEDIV: case OP_FLOORDIV: case OP_MOD:
  case OP_POW: case OP_LSHIFT: case OP_RSHIFT: case OP_BITAND: case OP_BITOR: case OP_BITXOR:
    if (!needs_read(g, pc, st, i.b) || !needs_read(g, pc, st, i.c))
      return;
    emit_binop(g, i, st[i.b].t, st[i.c].t);
    break;
  case OP_NEG: case OP_POS: case OP_INVERT: case OP_NOT:
    if (!needs_read(g, pc, st, i.b))
      return;
    emit_unary(g, i, st[i.b].t);
    break;
  case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE: case OP_IS: case OP_ISNOT:
    if (!needs_read(g, pc, st, i.b) || !needs_read(g, pc, st, i.c))
      return;
    if (st[i.b].t == JT_INST || st[i.c].t == JT_INST) /* is / is not (inst.c) */
      pf_jit_emit_inst_is(g, i, st);
    else if (!emit_mod_zero_test(g, pc, i))
      emit_compare(g, i, st[i.b].t, st[i.c].t);
    break;
  case OP_JMP:
    LLVMBuildBr(b, g->bb[J_TGT(i)]);
    return;
  case OP_LOOP: { /* a counter in a register: no memory traffic in tight loops */
    LLVMValueRef n = LLVMBuildAdd(b, ld(g, g->i64, g->poll), ci64(g, 1), "");
    LLVMBuildStore(b, n, g->poll);
    emit_poll(g, n, g->bb[J_TGT(i)]);
    return;
  }
  case OP_JT:
  case OP_JF: {
    if (!needs_read(g, pc, st, i.a))
      return;
    LLVMValueRef t = truth(g, i.a, st[i.a].t);
    if (i.op == OP_JT)
      LLVMBuildCondBr(b, t, g->bb[J_TGT(i)], next);
    else
      LLVMBuildCondBr(b, t, next, g->bb[J_TGT(i)]);
    return;
  }
  case OP_GET_ITER:
    if (!needs_read(g, pc, st, i.b))
      return;
    if (st[i.b].t == JT_SEQ) { /* the sequence, from index 0 */
      copy_reg(g, i.a, i.b, JT_SEQ);
      set_i(g, i.a, ci64(g, 0));
    } else
      emit_get_iter(g, i);
    break;
  case OP_GETITEM:
    if (!needs_read(g, pc, st, i.b) || !needs_read(g, pc, st, i.c))
      return;
    emit_getitem(g, i, st);
    break;
  case OP_FOR_ITER: {
    if (!needs_read(g, pc, st, i.a))
      return;
    if (st[i.a].t == JT_SITER) {
      LLVMValueRef k = get_i(g, i.a), n = ld(g, g->i64, g->rn[i.a]);
      LLVMBasicBlockRef more = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "for.next");
      LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSGE, k, n, ""), g->bb[J_TGT(f->ins[pc + 1])], more);
      LLVMPositionBuilderAtEnd(b, more);
      int et = st[i.a].fn;
      LLVMValueRef v = seq_item(g, i.a, k, et);
      set_i(g, i.a, LLVMBuildAdd(b, k, ci64(g, 1), ""));
      if (et == JT_FLOAT)
        set_f(g, i.b, v);
      else
        set_i(g, i.b, v);
      LLVMBuildBr(b, g->bb[pc + 2]);
      return;
    }
    LLVMValueRef rem = ld(g, g->i64, g->ra[i.a]);
    LLVMBasicBlockRef more = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "for.next");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, rem, ci64(g, 0), ""), g->bb[J_TGT(f->ins[pc + 1])], more);
    LLVMPositionBuilderAtEnd(b, more);
    LLVMValueRef v = get_i(g, i.a), step = ld(g, g->i64, g->rb[i.a]);
    set_i(g, i.a, LLVMBuildAdd(b, v, step, ""));
    LLVMBuildStore(b, LLVMBuildSub(b, rem, ci64(g, 1), ""), g->ra[i.a]);
    set_i(g, i.b, v);
    LLVMBuildBr(b, g->bb[pc + 2]);
    return;
  }
  case OP_CALL:
    for (uint32_t j = 0; j <= i.c; j++)
      if (!needs_read(g, pc, st, i.b + j))
        return;
    if (st[i.b].t == JT_RANGEFN)
      emit_range(g, i);
    else if (st[i.b].t == JT_BUILTIN)
      pf_jit_emit_builtin(g, i, st);
    else if (st[i.b].t == JT_MATHFN)
      pf_jit_emit_math(g, i, st);
    else
      emit_call(g, i, st);
    break;
  case OP_RETURN: {
    if (i.c == PF_JIT_RET_SKIP) { /* a filter skipped the element (snap.c) */
      if (g->s->core)
        ret_core(g, NULL, JRET_SKIP);
      else
        LLVMBuildRet(b, LLVMConstInt(g->i32, JRET_SKIP, 0));
      return;
    }
    if (!needs_read(g, pc, st, i.a))
      return;
    int t = st[i.a].t;
    LLVMValueRef v = NULL;
    if (t == JT_NUM) {
      LLVMValueRef isf = is_float(g, i.a, t);
      LLVMValueRef fb = LLVMBuildBitCast(b, get_f(g, i.a), g->i64, "");
      v = LLVMBuildSelect(b, isf, fb, get_i(g, i.a), "");
    } else if (t == JT_FLOAT)
      v = LLVMBuildBitCast(b, get_f(g, i.a), g->i64, "");
    else if (t == JT_INT || t == JT_BOOL)
      v = get_i(g, i.a);
    if (g->s->core) { /* in registers; a JT_NUM result says float in its status */
      if (g->s->rtype == JT_NUM) {
        LLVMValueRef rv[2] = {v ? v : LLVMGetUndef(g->i64),
                              LLVMBuildSelect(b, is_float(g, i.a, t), LLVMConstInt(g->i32, JRET_FLOAT, 0),
                                              LLVMConstInt(g->i32, JRET_OK, 0), "")};
        LLVMBuildAggregateRet(b, rv, 2);
      } else
        ret_core(g, v, JRET_OK);
      return;
    }
    LLVMValueRef out = LLVMGetParam(g->fn, 3 + f->nparams);
    if (v)
      LLVMBuildStore(b, v, out);
    if (g->s->rtype == JT_NUM) { /* out[1]: 1 when the result is a float */
      LLVMValueRef one = LLVMConstInt(g->i64, 1, 0);
      LLVMBuildStore(b, bool64(g, is_float(g, i.a, t)), LLVMBuildGEP2(b, g->i64, out, &one, 1, ""));
    }
    LLVMBuildRet(b, LLVMConstInt(g->i32, 0, 0));
    return;
  }
  case OP_BUILD_TUPLE: { /* with the UNPACK after it: a parallel move (infer.c) */
    pf_ins u = f->ins[pc + 1];
    LLVMValueRef tmp[8];
    for (uint32_t j = 0; j < i.c; j++) {
      if (!needs_read(g, pc, st, i.b + j))
        return;
      tmp[j] = st[i.b + j].t == JT_FLOAT ? get_f(g, i.b + j) : get_i(g, i.b + j);
    }
    for (uint32_t j = 0; j < i.c; j++) {
      if (st[i.b + j].t == JT_FLOAT)
        set_f(g, u.a + j, tmp[j]);
      else
        set_i(g, u.a + j, tmp[j]);
    }
    LLVMBuildBr(b, g->bb[pc + 2]);
    return;
  }
  case OP_GETATTR: { /* of the math module (infer.c): a function (no payload) or a constant */
    double cv;
    if (st[i.b].t == JT_INST) { /* of an instance argument (inst.c) */
      if (!pf_jit_emit_inst_getattr(g, i, st))
        return;
      break;
    }
    if (pf_jit_math_const(f->consts[i.c].str, &cv))
      set_f(g, i.a, cf64(g, cv));
    break;
  }
  case OP_CHECK_BOUND:
    if (st[i.a].t == JT_UNB) {
      LLVMBuildBr(b, g->deopt);
      return;
    }
    break;
  default:
    pf_jit_fail(g->c, "internal: opcode %u reached codegen", (unsigned)i.op);
    return;
  }
  if (!next) {
    pf_jit_fail(g->c, "%s: falls off the end of its code", f->name);
    return;
  }
  LLVMBuildBr(b, next);
}

void pf_jit_declare_spec(cg *g, jspec *s, const char *prefix, uint32_t si) {
  const jfn *f = &g->c->s->fns[s->fn];
  LLVMTypeRef params[PF_JIT_MAXARGS + 6 + PF_JIT_MAXX];
  params[0] = g->pp8;
  params[1] = g->pp8;
  params[2] = g->i64;
  bool osr = g->c->osr && s == &g->c->sp[0];
  for (uint32_t j = 0; j < f->nparams; j++) /* OSR: unused, for the layout of "out" */
    params[3 + j] = osr ? g->i64 : arg_type(g, jsig_arg(s->sig, j));
  params[3 + f->nparams] = g->p64;
  uint32_t np = 4 + f->nparams;
  if (osr) { /* OSR: the registers in, and the write-back array */
    params[np++] = g->p64;
    params[np++] = g->p64;
  } else {
    for (uint32_t j = 0; j < f->nx; j++) /* an element's extra values (fold_x.c) */
      params[np++] = jsig_ty(s->sig, 1 + j).t == JT_SEQ ? g->p64
                                                        : arg_type(g, jsig_arg(s->sig, 1 + j));
  }
  s->llty = LLVMFunctionType(g->i32, params, np, 0);
  char name[96];
  snprintf(name, sizeof name, "%s_%u", prefix, si);
  s->llfn = LLVMAddFunction(g->m, name, s->llty);
  LLVMSetLinkage(s->llfn, LLVMInternalLinkage);
  s->core = NULL;
  if (osr)
    return;
  snprintf(name, sizeof name, "%s_%u_c", prefix, si);
  s->corety = LLVMFunctionType(core_ret_type(g), params, np, 0);
  s->core = LLVMAddFunction(g->m, name, s->corety);
  LLVMSetLinkage(s->core, LLVMInternalLinkage);
  LLVMSetFunctionCallConv(s->core, LLVMFastCallConv);
}

/* The body of llfn around spec "s"'s core: the result to out[0] (and out[1] for JT_NUM),
 * the status returned. */
static void define_wrapper(cg *g, jspec *s) {
  LLVMBuilderRef b = g->b;
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(g->ctx, s->llfn, "entry"));
  unsigned np = LLVMCountParams(s->llfn), outi = 3 + g->c->s->fns[s->fn].nparams;
  LLVMValueRef args[PF_JIT_MAXARGS + 6 + PF_JIT_MAXX];
  for (unsigned j = 0; j < np; j++)
    args[j] = LLVMGetParam(s->llfn, j);
  LLVMBasicBlockRef call = LLVMAppendBasicBlockInContext(g->ctx, s->llfn, "call");
  LLVMBasicBlockRef deep = LLVMAppendBasicBlockInContext(g->ctx, s->llfn, "deep");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, args[2], ci64(g, 1), ""), deep, call);
  LLVMPositionBuilderAtEnd(b, deep); /* no frame left: the interpreter raises RecursionError */
  LLVMBuildRet(b, LLVMConstInt(g->i32, JRET_DEOPT, 0));
  LLVMPositionBuilderAtEnd(b, call);
  LLVMValueRef r = LLVMBuildCall2(b, s->corety, s->core, args, np, "");
  LLVMSetInstructionCallConv(r, LLVMFastCallConv);
  LLVMValueRef rc = LLVMBuildExtractValue(b, r, 1, "rc"), out = args[outi];
  LLVMBuildStore(b, LLVMBuildExtractValue(b, r, 0, "res"), out);
  if (s->rtype == JT_NUM) {
    LLVMValueRef isf = LLVMBuildICmp(b, LLVMIntEQ, rc, LLVMConstInt(g->i32, JRET_FLOAT, 0), "");
    LLVMValueRef one = LLVMConstInt(g->i64, 1, 0);
    LLVMBuildStore(b, bool64(g, isf), LLVMBuildGEP2(b, g->i64, out, &one, 1, ""));
    rc = LLVMBuildSelect(b, isf, LLVMConstInt(g->i32, JRET_OK, 0), rc, "");
  }
  LLVMBuildRet(b, rc);
}

/* Emits the body of spec "s" into "fn" (its core, its twin, or an OSR entry's llfn). */
static void define_body(cg *g, jspec *s, LLVMValueRef fn) {
  const jfn *f = &g->c->s->fns[s->fn];
  g->s = s;
  g->f = f;
  g->fn = fn;
  uint32_t nr = f->nregs;
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "entry");
  LLVMPositionBuilderAtEnd(g->b, entry);
  for (uint32_t r = 0; r < nr; r++) {
    g->ri[r] = LLVMBuildAlloca(g->b, g->i64, "ri");
    g->rf[r] = LLVMBuildAlloca(g->b, g->f64, "rf");
    g->ra[r] = LLVMBuildAlloca(g->b, g->i64, "ra");
    g->rb[r] = LLVMBuildAlloca(g->b, g->i64, "rb");
    g->rp[r] = LLVMBuildAlloca(g->b, g->pp8, "rp");
    g->rt[r] = LLVMBuildAlloca(g->b, g->i64, "rt");
    g->rq[r] = LLVMBuildAlloca(g->b, g->p8, "rq");
    g->rn[r] = LLVMBuildAlloca(g->b, g->i64, "rn");
  }
  for (uint32_t r = 0; r < nr; r++) { /* defined contents: tags are read after joins */
    LLVMBuildStore(g->b, ci64(g, 0), g->ri[r]);
    LLVMBuildStore(g->b, cf64(g, 0.0), g->rf[r]);
    LLVMBuildStore(g->b, ci64(g, 0), g->rt[r]);
  }
  g->poll = LLVMBuildAlloca(g->b, g->i64, "poll");
  g->seqw = LLVMBuildArrayAlloca(g->b, g->i64, LLVMConstInt(g->i64, 2, 0), "seqw");
  LLVMBuildStore(g->b, ci64(g, 0), g->poll);
  bool osr = g->c->osr && s == &g->c->sp[0];
  for (uint32_t j = 0; j < f->nparams && !osr; j++) {
    LLVMValueRef p = LLVMGetParam(g->fn, 3 + j);
    if (jsig_ty(s->sig, j).t == JT_SEQ) { /* the object; its length; an empty window */
      LLVMValueRef o = LLVMBuildIntToPtr(g->b, p, g->p8, "seq");
      LLVMTypeRef fty = LLVMFunctionType(g->i64, &g->p8, 1, 0);
      LLVMBuildStore(g->b, LLVMBuildBitCast(g->b, o, g->pp8, ""), g->rp[j]);
      LLVMBuildStore(g->b, call_c(g, (uintptr_t)&pf_jit_seq_len, fty, &o, 1), g->rn[j]);
      LLVMBuildStore(g->b, ci64(g, 0), g->ra[j]);
      LLVMBuildStore(g->b, ci64(g, 0), g->rb[j]);
      LLVMBuildStore(g->b, LLVMConstNull(g->p8), g->rq[j]);
    } else if (jsig_arg(s->sig, j) == JSIG_INST) { /* the instance object */
      LLVMBuildStore(g->b, LLVMBuildIntToPtr(g->b, p, g->pp8, "inst"), g->rp[j]);
    } else if (jsig_arg(s->sig, j) == JT_FLOAT)
      set_f(g, j, p);
    else
      set_i(g, j, p);
  }
  g->deopt = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "deopt");
  for (uint32_t pc = 0; pc < f->nins; pc++)
    g->bb[pc] = s->reached[pc] ? LLVMAppendBasicBlockInContext(g->ctx, g->fn, "") : NULL;
  memset(g->tgt, 0, f->nins);
  for (uint32_t pc = 0; pc < f->nins; pc++) { /* every control transfer but a fall-through */
    pf_ins i = f->ins[pc];
    uint32_t t = PF_NO_TARGET;
    if (i.op == OP_JMP || i.op == OP_LOOP || i.op == OP_JT || i.op == OP_JF)
      t = J_TGT(i);
    else if (i.op == OP_FOR_ITER && pc + 1 < f->nins)
      t = J_TGT(f->ins[pc + 1]);
    if (t < f->nins)
      g->tgt[t] = 1;
    if ((i.op == OP_FOR_ITER || i.op == OP_BUILD_TUPLE) && pc + 2 < f->nins)
      g->tgt[pc + 2] = 1;
  }
  if (osr) { /* an OSR entry: the frame exists; in from the loop header */
    pf_jit_osr_prologue(g);
    LLVMPositionBuilderAtEnd(g->b, g->deopt);
    LLVMBuildRet(g->b, LLVMConstInt(g->i32, 1, 0));
    for (uint32_t pc = 0; pc < f->nins && !g->c->failed; pc++) {
      if (!g->bb[pc])
        continue;
      /* every deoptimisation inside instruction pc resumes the interpreter at pc */
      LLVMBasicBlockRef wb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "writeback");
      g->deopt = wb;
      LLVMPositionBuilderAtEnd(g->b, g->bb[pc]);
      emit_ins(g, pc);
      if (LLVMGetFirstUse(LLVMBasicBlockAsValue(wb)))
        pf_jit_osr_writeback(g, pc, wb);
      else
        LLVMDeleteBasicBlock(wb);
    }
    return;
  }
  /* the depth test and the call's tick are the caller's (emit_call; the wrapper's for a
   * call from C): a call that returns at once (fib's n < 2) costs no memory access */
  LLVMBuildBr(g->b, g->bb[0]);
  LLVMPositionBuilderAtEnd(g->b, g->deopt);
  ret_core(g, NULL, JRET_DEOPT);
  for (uint32_t pc = 0; pc < f->nins && !g->c->failed; pc++) {
    if (!g->bb[pc])
      continue;
    LLVMPositionBuilderAtEnd(g->b, g->bb[pc]);
    emit_ins(g, pc);
  }
}

void pf_jit_define_spec(cg *g, jspec *s) {
  s->core2 = NULL;
  define_body(g, s, s->core ? s->core : s->llfn);
  if (!s->core)
    return;
  if (s->core2 && !g->c->failed) { /* it calls itself: the twin, whose calls go to the core */
    g->twin = true;
    define_body(g, s, s->core2);
    g->twin = false;
  }
  define_wrapper(g, s);
}
