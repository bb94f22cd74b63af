/* osr.c — on-stack replacement: a frame that loops long in the interpreter goes native at a
 * loop back-edge. The entry is compiled per (code, loop header, types of the registers live
 * there); it takes the frame's registers, runs the rest of the call and returns its result.
 * A deoptimisation inside it writes the live registers back into the frame and names the
 * instruction it stopped at, and the interpreter resumes there: exactly, since every guard
 * of native code comes before the instruction's effect. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit_compile.h"

/* Entry kinds of the registers of an OSR entry (what the frame holds at the loop header). */
enum {
  OT_DEAD,   /* not read before written from the header on: left as it is */
  OT_INT,    /* an int in int64 */
  OT_FLOAT,
  OT_BOOL,
  OT_NONE,
  OT_UNB,    /* unbound */
  OT_SEQI,   /* a tuple or list of ints (as its first item says; native code checks each) */
  OT_SEQF,   /* … of floats */
  OT_RITER,  /* an iterator over a range (only the frame holds it) */
  OT_SITERI, /* an iterator over a tuple or list of ints (only the frame holds it) */
  OT_SITERF
};

/* Write-back kinds (wb[1 + 4r], payload wb[2 + 4r] ..): what register r holds at the
 * instruction native code stopped at. 0: untouched (dead there). */
enum {
  WB_NONE_ = 0, WB_INT, WB_BOOL, WB_FLOAT, WB_NONE, WB_UNB, WB_NUM, WB_SEQ, WB_SITER, WB_RITER,
  WB_RANGE, WB_GLOBAL, WB_MATHFN
};

/* auto mode: sampled back-edges (one per 1024 safepoints of the run) at one header before
 * its OSR entry is compiled */
#define PF_JIT_OSR_SAMPLES 2
#define PF_JIT_OSR_VARIANTS 4
#define PF_JIT_OSR_MAXREGS 4096
#define PF_JIT_MAX_NATIVE_DEPTH 50000

typedef struct josr {
  uint8_t *types; /* per register: OT_* */
  _Atomic int state;
  pf_jit_osr_fn entry;
  uint8_t rtype;
  char why[160];
  _Atomic uint64_t entries, deopts;
  struct jloop *loop;
} josr;

/* One loop header of one code. */
typedef struct jloop {
  uint32_t pc, nregs;
  int32_t line;
  uint8_t *live; /* registers live at the header */
  _Atomic uint32_t samples;
  _Atomic uint32_t nvar;
  josr *var[PF_JIT_OSR_VARIANTS];
  struct jloop *next;
} jloop;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

jty pf_jit_osr_type(uint8_t ot) {
  switch (ot) {
  case OT_INT: return (jty){JT_INT, 0};
  case OT_FLOAT: return (jty){JT_FLOAT, 0};
  case OT_BOOL: return (jty){JT_BOOL, 0};
  case OT_NONE: return (jty){JT_NONE, 0};
  case OT_UNB: return (jty){JT_UNB, 0};
  case OT_SEQI: return (jty){JT_SEQ, JT_INT};
  case OT_SEQF: return (jty){JT_SEQ, JT_FLOAT};
  case OT_RITER: return (jty){JT_RITER, 0};
  case OT_SITERI: return (jty){JT_SITER, JT_INT};
  case OT_SITERF: return (jty){JT_SITER, JT_FLOAT};
  default: return (jty){JT_ANY, 0}; /* dead: never read before written */
  }
}

/* ---------------------------------------------------------------- liveness */

static void mark(uint8_t *row, uint32_t nregs, uint32_t r) {
  if (r < nregs)
    row[r] = 1;
}

/* live[pc * nregs + r]: register r may be read, on some path from pc, before it is written.
 * Opcodes native code does not compile read every register (conservative). False when out
 * of memory. */
static bool liveness(const pf_ins *ins, uint32_t nins, uint32_t nregs, uint8_t *live) {
  uint8_t *row = malloc(nregs ? nregs : 1);
  if (!row)
    return false;
  memset(live, 0, (size_t)nins * nregs);
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t pc = nins; pc-- > 0;) {
      pf_ins i = ins[pc];
      uint32_t succ[2] = {PF_NO_TARGET, PF_NO_TARGET}, kill[2][9], nkill[2] = {0, 0};
      memset(row, 0, nregs);
      bool all = false;
      switch ((pf_opcode)i.op) {
      case OP_NOP: case OP_EXT:
        succ[0] = pc + 1;
        break;
      case OP_MOVE: case OP_NEG: case OP_POS: case OP_INVERT: case OP_NOT: case OP_GET_ITER:
      case OP_GETATTR:
        succ[0] = pc + 1;
        kill[0][nkill[0]++] = i.a;
        mark(row, nregs, i.b);
        break;
      case OP_LOADK: case OP_LOAD_GLOBAL:
        succ[0] = pc + 1;
        kill[0][nkill[0]++] = i.a;
        break;
      case OP_ADD: case OP_SUB: case OP_MUL: case OP_TRUEDIV: case OP_FLOORDIV: case OP_MOD:
      case OP_POW: case OP_LSHIFT: case OP_RSHIFT: case OP_BITAND: case OP_BITOR: case OP_BITXOR:
      case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE: case OP_IS:
      case OP_ISNOT: case OP_GETITEM:
        succ[0] = pc + 1;
        kill[0][nkill[0]++] = i.a;
        mark(row, nregs, i.b);
        mark(row, nregs, i.c);
        break;
      case OP_JMP: case OP_LOOP:
        succ[0] = J_TGT(i);
        break;
      case OP_JT: case OP_JF:
        succ[0] = pc + 1;
        succ[1] = J_TGT(i);
        mark(row, nregs, i.a);
        break;
      case OP_STORE_GLOBAL:
        succ[0] = pc + 1;
        mark(row, nregs, i.b);
        break;
      case OP_CHECK_BOUND: case OP_RETURN:
        if (i.op == OP_CHECK_BOUND)
          succ[0] = pc + 1;
        mark(row, nregs, i.a);
        break;
      case OP_FOR_ITER:
        if (pc + 1 >= nins) {
          all = true;
          break;
        }
        succ[0] = J_TGT(ins[pc + 1]);
        succ[1] = pc + 2;
        kill[1][nkill[1]++] = i.b;
        mark(row, nregs, i.a);
        break;
      case OP_GETMETH: /* as the snapshot's GETATTR into a + 1 (snap.c) */
        succ[0] = pc + 1;
        kill[0][nkill[0]++] = (uint32_t)i.a + 1;
        mark(row, nregs, i.b);
        break;
      case OP_CALLMETH: /* as the snapshot's CALL of a + 1 */
        succ[0] = pc + 1;
        kill[0][nkill[0]++] = i.a;
        for (uint32_t j = 0; j <= i.c; j++)
          mark(row, nregs, (uint32_t)i.b + 1 + j);
        break;
      case OP_CALL:
        succ[0] = pc + 1;
        kill[0][nkill[0]++] = i.a;
        for (uint32_t j = 0; j <= i.c; j++)
          mark(row, nregs, (uint32_t)i.b + j);
        break;
      case OP_BUILD_TUPLE: { /* "a, b = x, y": BUILD_TUPLE; UNPACK (infer.c) */
        pf_ins u = pc + 1 < nins ? ins[pc + 1] : (pf_ins){0, 0, 0, 0};
        if (u.op != OP_UNPACK || u.b != i.a || u.c != i.c || i.c > 8) {
          all = true;
          break;
        }
        succ[0] = pc + 2;
        for (uint32_t j = 0; j < i.c; j++)
          kill[0][nkill[0]++] = (uint32_t)u.a + j;
        for (uint32_t j = 0; j < i.c; j++)
          mark(row, nregs, (uint32_t)i.b + j);
        break;
      }
      default:
        all = true;
        break;
      }
      if (all)
        memset(row, 1, nregs);
      else
        for (int s = 0; s < 2; s++) {
          if (succ[s] >= nins)
            continue;
          const uint8_t *out = live + (size_t)succ[s] * nregs;
          for (uint32_t r = 0; r < nregs; r++) {
            if (!out[r])
              continue;
            bool killed = false;
            for (uint32_t q = 0; q < nkill[s] && !killed; q++)
              killed = kill[s][q] == r;
            if (!killed)
              row[r] = 1;
          }
        }
      uint8_t *cur = live + (size_t)pc * nregs;
      for (uint32_t r = 0; r < nregs; r++)
        if (row[r] && !cur[r]) {
          cur[r] = 1;
          changed = true;
        }
    }
  }
  free(row);
  return true;
}

/* ---------------------------------------------------------------- codegen (compile.c) */

static LLVMValueRef in_word(cg *g, LLVMValueRef in, uint32_t k) {
  LLVMValueRef idx = LLVMConstInt(g->i64, k, 0);
  return ld(g, g->i64, LLVMBuildGEP2(g->b, g->i64, in, &idx, 1, ""));
}

static void set_word(cg *g, LLVMValueRef wb, uint32_t k, LLVMValueRef v) {
  LLVMValueRef idx = LLVMConstInt(g->i64, k, 0);
  LLVMBuildStore(g->b, v, LLVMBuildGEP2(g->b, g->i64, wb, &idx, 1, ""));
}

/* A sequence's object (from an input word): its length asked once, an empty window. */
static void seq_in(cg *g, uint32_t r, LLVMValueRef word) {
  LLVMValueRef o = LLVMBuildIntToPtr(g->b, word, g->p8, "seq");
  LLVMTypeRef fty = LLVMFunctionType(g->i64, &g->p8, 1, 0);
  LLVMValueRef fp = LLVMConstIntToPtr(
      LLVMConstInt(g->i64, (unsigned long long)(uintptr_t)&pf_jit_seq_len, 0), LLVMPointerType(fty, 0));
  LLVMBuildStore(g->b, LLVMBuildBitCast(g->b, o, g->pp8, ""), g->rp[r]);
  LLVMBuildStore(g->b, LLVMBuildCall2(g->b, fty, fp, &o, 1, "len"), g->rn[r]);
  LLVMBuildStore(g->b, LLVMConstInt(g->i64, 0, 0), g->ra[r]);
  LLVMBuildStore(g->b, LLVMConstInt(g->i64, 0, 0), g->rb[r]);
  LLVMBuildStore(g->b, LLVMConstNull(g->p8), g->rq[r]);
}

void pf_jit_osr_prologue(cg *g) {
  const jcc_osr *o = g->c->osr;
  LLVMValueRef in = LLVMGetParam(g->fn, 4 + g->f->nparams);
  for (uint32_t r = 0; r < g->f->nregs; r++) {
    switch (o->types[r]) {
    case OT_INT: case OT_BOOL:
      LLVMBuildStore(g->b, in_word(g, in, 3 * r), g->ri[r]);
      break;
    case OT_FLOAT:
      LLVMBuildStore(g->b, LLVMBuildBitCast(g->b, in_word(g, in, 3 * r), g->f64, ""), g->rf[r]);
      LLVMBuildStore(g->b, LLVMConstInt(g->i64, 1, 0), g->rt[r]);
      break;
    case OT_SEQI: case OT_SEQF:
      seq_in(g, r, in_word(g, in, 3 * r));
      break;
    case OT_SITERI: case OT_SITERF:
      seq_in(g, r, in_word(g, in, 3 * r));
      LLVMBuildStore(g->b, in_word(g, in, 3 * r + 1), g->ri[r]);
      break;
    case OT_RITER: /* next value, remaining count, step */
      LLVMBuildStore(g->b, in_word(g, in, 3 * r), g->ri[r]);
      LLVMBuildStore(g->b, in_word(g, in, 3 * r + 1), g->ra[r]);
      LLVMBuildStore(g->b, in_word(g, in, 3 * r + 2), g->rb[r]);
      break;
    default:
      break;
    }
  }
  LLVMBuildBr(g->b, g->bb[o->pc]);
}

void pf_jit_osr_writeback(cg *g, uint32_t pc, LLVMBasicBlockRef bb) {
  const jfn *f = g->f;
  const jty *st = g->s->in + (size_t)pc * f->nregs;
  const uint8_t *live = g->c->osr->live + (size_t)pc * f->nregs;
  LLVMValueRef wb = LLVMGetParam(g->fn, 5 + f->nparams);
  LLVMPositionBuilderAtEnd(g->b, bb);
  set_word(g, wb, 0, LLVMConstInt(g->i64, pc, 0));
  for (uint32_t r = 0; r < f->nregs; r++) {
    if (!live[r])
      continue;
    int t = st[r].t, kind;
    LLVMValueRef w[3] = {NULL, NULL, NULL};
    switch (t) {
    case JT_INT: kind = WB_INT; w[0] = ld(g, g->i64, g->ri[r]); break;
    case JT_BOOL: kind = WB_BOOL; w[0] = ld(g, g->i64, g->ri[r]); break;
    case JT_FLOAT: kind = WB_FLOAT; w[0] = ld(g, g->i64, LLVMBuildBitCast(g->b, g->rf[r], g->p64, "")); break;
    case JT_NONE: kind = WB_NONE; break;
    case JT_UNB: kind = WB_UNB; break;
    case JT_NUM:
      kind = WB_NUM;
      w[0] = ld(g, g->i64, g->ri[r]);
      w[1] = ld(g, g->i64, LLVMBuildBitCast(g->b, g->rf[r], g->p64, ""));
      w[2] = ld(g, g->i64, g->rt[r]);
      break;
    case JT_SEQ:
      kind = WB_SEQ;
      w[0] = LLVMBuildPtrToInt(g->b, ld(g, g->pp8, g->rp[r]), g->i64, "");
      break;
    case JT_SITER:
      kind = WB_SITER;
      w[0] = LLVMBuildPtrToInt(g->b, ld(g, g->pp8, g->rp[r]), g->i64, "");
      w[1] = ld(g, g->i64, g->ri[r]);
      break;
    case JT_RITER: case JT_RANGE:
      kind = t == JT_RITER ? WB_RITER : WB_RANGE;
      w[0] = ld(g, g->i64, g->ri[r]);
      w[1] = ld(g, g->i64, g->ra[r]);
      w[2] = ld(g, g->i64, g->rb[r]);
      break;
    case JT_FUNC: case JT_BUILTIN: case JT_RANGEFN: case JT_MATHMOD:
      kind = WB_GLOBAL;
      w[0] = ld(g, g->i64, g->rn[r]);
      break;
    case JT_MATHFN:
      kind = WB_MATHFN;
      w[0] = LLVMConstInt(g->i64, st[r].fn, 0);
      w[1] = LLVMConstInt(g->i64, (unsigned long long)(uintptr_t)g->c->s->mathmod, 0);
      break;
    default:
      pf_jit_fail(g->c, "%s, line %d: a %s the interpreter would need after a deoptimisation",
                  f->name, (int)f->lines[pc], pf_jit_type_name(t));
      LLVMBuildRet(g->b, LLVMConstInt(g->i32, 1, 0));
      return;
    }
    set_word(g, wb, 1 + 4 * r, LLVMConstInt(g->i64, (unsigned)kind, 0));
    for (uint32_t k = 0; k < 3; k++)
      if (w[k])
        set_word(g, wb, 2 + 4 * r + k, w[k]);
  }
  LLVMBuildRet(g->b, LLVMConstInt(g->i32, 1, 0));
}

void pf_jit_osr_store_global(cg *g, pf_ins i, const jty *st) {
  LLVMBuilderRef b = g->b;
  int t = st[i.b].t;
  LLVMValueRef idx = LLVMConstInt(g->i64, i.a, 0);
  LLVMValueRef slot = ld(g, g->p8, LLVMBuildGEP2(b, g->p8, LLVMGetParam(g->fn, 1), &idx, 1, ""));
  LLVMValueRef tagoff = LLVMConstInt(g->i64, offsetof(pf_val, tag), 0);
  LLVMValueRef uoff = LLVMConstInt(g->i64, offsetof(pf_val, u), 0);
  LLVMValueRef tagp = LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->i8, slot, &tagoff, 1, ""), g->p32, "");
  LLVMValueRef up = LLVMBuildBitCast(b, LLVMBuildGEP2(b, g->i8, slot, &uoff, 1, ""), g->p64, "");
  unsigned want = t == JT_FLOAT ? PF_FLOAT : t == JT_BOOL ? PF_BOOL : PF_INT;
  /* the slot holds a value of that kind (no reference to drop); else the interpreter stores */
  LLVMValueRef bad = LLVMBuildICmp(b, LLVMIntNE, ld(g, g->i32, tagp),
                                   LLVMConstInt(g->i32, want, 0), "gkind");
  LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "gstore");
  LLVMBuildCondBr(b, bad, g->deopt, ok);
  LLVMPositionBuilderAtEnd(b, ok);
  LLVMValueRef v = t == JT_FLOAT ? LLVMBuildBitCast(b, ld(g, g->f64, g->rf[i.b]), g->i64, "")
                                 : ld(g, g->i64, g->ri[i.b]);
  LLVMBuildStore(b, v, up);
}

void pf_jit_osr_define_entry(cg *g, const char *name) {
  jspec *s = &g->c->sp[0];
  const jfn *f = &g->c->s->fns[0];
  LLVMTypeRef params[6] = {g->pp8, g->pp8, g->i64, g->p64, g->p64, g->p64};
  LLVMValueRef fn = LLVMAddFunction(g->m, name, LLVMFunctionType(g->i32, params, 6, 0));
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(g->b, entry);
  LLVMValueRef args[PF_JIT_MAXARGS + 6];
  args[0] = LLVMGetParam(fn, 0);
  args[1] = LLVMGetParam(fn, 1);
  args[2] = LLVMGetParam(fn, 2);
  for (uint32_t j = 0; j < f->nparams; j++)
    args[3 + j] = LLVMConstInt(g->i64, 0, 0);
  args[3 + f->nparams] = LLVMGetParam(fn, 4); /* out */
  args[4 + f->nparams] = LLVMGetParam(fn, 3); /* in */
  args[5 + f->nparams] = LLVMGetParam(fn, 5); /* wb */
  LLVMBuildRet(g->b, LLVMBuildCall2(g->b, s->llty, s->llfn, args, 6 + f->nparams, ""));
}

/* ---------------------------------------------------------------- records */

/* The record of header "pc" of "k" (created with its liveness on first use); NULL when out
 * of memory or the code is too large. */
static jloop *loop_get(pf_jit *jit, jcode *jc, pf_code *k, uint32_t pc) {
  for (jloop *l = atomic_load_explicit(&jc->loops, memory_order_acquire); l; l = l->next)
    if (l->pc == pc)
      return l;
  if (k->nregs > PF_JIT_OSR_MAXREGS || pc >= k->nins)
    return NULL;
  uint8_t *live = malloc((size_t)k->nins * k->nregs + 1);
  jloop *n = calloc(1, sizeof *n);
  if (!live || !n || !liveness(k->ins, k->nins, k->nregs, live)) {
    free(live);
    free(n);
    return NULL;
  }
  n->pc = pc;
  n->nregs = k->nregs;
  n->line = k->lines ? k->lines[pc] : 0;
  n->live = malloc(k->nregs + 1);
  if (!n->live) {
    free(live);
    free(n);
    return NULL;
  }
  memcpy(n->live, live + (size_t)pc * k->nregs, k->nregs);
  free(live);
  pthread_mutex_lock(&jit->tmu);
  jloop *l = atomic_load(&jc->loops);
  for (; l && l->pc != pc; l = l->next)
    ;
  if (!l) {
    n->next = atomic_load(&jc->loops);
    atomic_store_explicit(&jc->loops, n, memory_order_release);
    l = n;
    n = NULL;
  }
  pthread_mutex_unlock(&jit->tmu);
  if (n) {
    free(n->live);
    free(n);
  }
  return l;
}

/* The variant of "l" for "types", added when absent (NULL when all are taken). */
static josr *variant_get(pf_jit *jit, jloop *l, const uint8_t *types) {
  uint32_t n = atomic_load_explicit(&l->nvar, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++)
    if (!memcmp(l->var[i]->types, types, l->nregs))
      return l->var[i];
  if (n >= PF_JIT_OSR_VARIANTS)
    return NULL;
  josr *e = NULL;
  pthread_mutex_lock(&jit->tmu);
  n = atomic_load(&l->nvar);
  for (uint32_t i = 0; i < n && !e; i++)
    if (!memcmp(l->var[i]->types, types, l->nregs))
      e = l->var[i];
  if (!e && n < PF_JIT_OSR_VARIANTS && (e = calloc(1, sizeof *e))) {
    e->types = malloc(l->nregs + 1);
    if (!e->types) {
      free(e);
      e = NULL;
    } else {
      memcpy(e->types, types, l->nregs);
      e->loop = l;
      atomic_store(&e->state, JS_COLD);
      l->var[n] = e;
      atomic_store_explicit(&l->nvar, n + 1, memory_order_release);
    }
  }
  pthread_mutex_unlock(&jit->tmu);
  return e;
}

void pf_jit_osr_free(jcode *jc) {
  jloop *l = atomic_load(&jc->loops);
  while (l) {
    jloop *next = l->next;
    for (uint32_t i = 0; i < atomic_load(&l->nvar); i++) {
      free(l->var[i]->types);
      free(l->var[i]);
    }
    free(l->live);
    free(l);
    l = next;
  }
  atomic_store(&jc->loops, NULL);
}

/* ---------------------------------------------------------------- compiling */

/* Compiles variant "e" from "snap" (function 0: the frame's code) and publishes it. */
static void osr_compile(pf_jit *jit, const jsnap *snap, josr *e) {
  double t0 = now_ms();
  const jfn *f = &snap->fns[0];
  jloop *l = e->loop;
  char why[sizeof e->why] = "";
  pf_jit_osr_fn entry = NULL;
  uint8_t rtype = JT_NONE;
  pf_status_t st = PF_ENOMEM;
  uint8_t *live = malloc((size_t)f->nins * f->nregs + 1);
  if (f->nregs != l->nregs) {
    st = PF_EINVAL;
    snprintf(why, sizeof why, "internal: the code changed");
  } else if (live && liveness(f->ins, f->nins, f->nregs, live)) {
    jcc_osr o = {l->pc, e->types, live};
    st = pf_jit_compile_osr(jit, snap, &o, &entry, &rtype, why, sizeof why);
  }
  free(live);
  double ms = now_ms() - t0;
  pthread_mutex_lock(&jit->tmu);
  if (st == PF_OK) {
    e->entry = entry;
    e->rtype = rtype;
    jit->osr_compiles++;
    jit->compile_ms_total += ms;
    jit->compile_ms_last = ms;
    if (ms > jit->compile_ms_max)
      jit->compile_ms_max = ms;
    atomic_store_explicit(&e->state, JS_READY, memory_order_release);
  } else {
    snprintf(e->why, sizeof e->why, "%s", why[0] ? why : pf_status_str(st));
    atomic_store_explicit(&e->state, JS_FAILED, memory_order_release);
  }
  pthread_mutex_unlock(&jit->tmu);
}

void pf_jit_osr_job(pf_jit *jit, const jjob *j) { osr_compile(jit, j->snap, j->osr); }

/* Starts compiling "e" for code "k": at once (always) or on the compile thread. */
static void osr_start(pf_jit *jit, pf_code *k, jcode *jc, josr *e) {
  int cold = JS_COLD;
  if (!atomic_compare_exchange_strong(&e->state, &cold, JS_QUEUED))
    return;
  jsnap *snap = pf_jit_snap_take(jit, k);
  if (!snap) {
    atomic_store(&e->state, JS_COLD);
    return;
  }
  jjob job = {.snap = snap, .jc = jc, .fold_kind = -1, .osr = e};
  if (pf_jit_submit(jit, &job, pf_jit_compile_here(jit)) < 0)
    atomic_store(&e->state, JS_COLD);
}

/* ---------------------------------------------------------------- entering */

/* The kind (as a sequence's items) of tuple or list "o": OT_SEQI, OT_SEQF or -1. */
static int seq_kind(pf_val o) {
  size_t n = (size_t)pf_jit_seq_len(o.u.o);
  pf_val first = !n ? pf_int(0) : o.u.o->type == &pf_type_tuple ? pf_tuple_get(o, 0)
                                                                : pf_list_get(o, 0);
  return first.tag == PF_INT ? OT_SEQI : first.tag == PF_FLOAT ? OT_SEQF : -1;
}

/* The entry kind of live register value "v" with its input words in w[0..2], or -1. */
static int classify(pf_val v, int64_t *w) {
  switch (v.tag) {
  case PF_INT: w[0] = v.u.i; return OT_INT;
  case PF_BOOL: w[0] = v.u.i; return OT_BOOL;
  case PF_FLOAT: w[0] = v.u.i; return OT_FLOAT;
  case PF_NONE: return OT_NONE;
  case PF_UNBOUND: return OT_UNB;
  default: break;
  }
  if (v.tag != PF_OBJ)
    return -1;
  const pf_type *t = v.u.o->type;
  if (t == &pf_type_tuple || t == &pf_type_list) {
    w[0] = (int64_t)(uintptr_t)v.u.o;
    return seq_kind(v);
  }
  /* an iterator only the frame holds: native code takes its state, and the frame gets it
   * back at a deoptimisation (nothing else could see it advance) */
  if (t != &pf_type_iter || atomic_load_explicit(&v.u.o->rc, memory_order_relaxed) != 1)
    return -1;
  pf_iter *it = (pf_iter *)v.u.o;
  if (it->kind == IT_RANGE) {
    w[0] = (int64_t)((uint64_t)it->cur + (uint64_t)it->pos * (uint64_t)it->step);
    w[1] = it->stop - (int64_t)it->pos;
    w[2] = it->step;
    return w[1] >= 0 ? OT_RITER : -1;
  }
  if (it->kind == IT_SEQ &&
      (pf_is_type(it->src, &pf_type_tuple) || pf_is_type(it->src, &pf_type_list))) {
    int k = seq_kind(it->src);
    w[0] = (int64_t)(uintptr_t)it->src.u.o;
    w[1] = it->cur;
    return k == OT_SEQI ? OT_SITERI : k == OT_SEQF ? OT_SITERF : -1;
  }
  return -1;
}

/* A new range iterator at (next value, remaining, step). */
static pf_status_t riter_new(int64_t next, int64_t rem, int64_t step, pf_val *out) {
  pf_iter *it = calloc(1, sizeof *it);
  if (!it)
    return PF_ENOMEM;
  pf_obj_init(&it->h, &pf_type_iter);
  it->src = pf_unbound();
  it->f = pf_unbound();
  it->kind = IT_RANGE;
  it->cur = next;
  it->stop = rem;
  it->step = step;
  it->pos = 0;
  *out = pf_obj_val(&it->h);
  return PF_OK;
}

/* Register value written back as "kind" with payload "w" (a new reference). */
static pf_status_t wb_value(pf_run *r, pf_code *k, int64_t kind, const int64_t *w, pf_val *out) {
  pf_val v = pf_none();
  switch (kind) {
  case WB_INT: v = pf_int(w[0]); break;
  case WB_BOOL: v = pf_bool(w[0] != 0); break;
  case WB_FLOAT: v.tag = PF_FLOAT; v.u.i = w[0]; break;
  case WB_NONE: break;
  case WB_UNB: v = pf_unbound(); break;
  case WB_NUM:
    if (w[2]) {
      v.tag = PF_FLOAT;
      v.u.i = w[1];
    } else
      v = pf_int(w[0]);
    break;
  case WB_SEQ:
    v = pf_incref(pf_obj_val((pf_obj *)(uintptr_t)w[0]));
    break;
  case WB_SITER: {
    pf_val seq = pf_obj_val((pf_obj *)(uintptr_t)w[0]);
    if (pf_iter_new(seq, &v, &r->err) != PF_OK)
      return PF_ENOMEM;
    ((pf_iter *)v.u.o)->cur = w[1];
    break;
  }
  case WB_RITER:
    if (riter_new(w[0], w[1], w[2], &v) != PF_OK)
      return PF_ENOMEM;
    break;
  case WB_RANGE:
    if (pf_range_new(w[0], w[1], w[2], &v, &r->err) != PF_OK)
      return PF_ENOMEM;
    break;
  case WB_GLOBAL: /* as OP_LOAD_GLOBAL */
    v = *k->gslots[w[0]];
    if (v.tag == PF_UNBOUND)
      v = k->gbuiltin[w[0]];
    v = pf_incref(v);
    break;
  case WB_MATHFN:
    if (pf_getattr(r, pf_obj_val((pf_obj *)(uintptr_t)w[1]), pf_jit_math_name((int)w[0]), &v) != PF_OK)
      return PF_ENOMEM;
    break;
  default:
    return PF_EINVAL;
  }
  *out = v;
  return PF_OK;
}

/* Writes the registers "wb" names back into "f" and its pc. 0, or -1 with an error pending. */
static int write_back(pf_run *r, pf_frame *f, const int64_t *wb) {
  pf_code *k = f->code;
  uint32_t nr = k->nregs;
  pf_val *nv = malloc((size_t)nr * sizeof *nv + 1);
  if (!nv) {
    pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    return -1;
  }
  /* all new values first: a sequence the write-back names may be held only by a register
   * it replaces */
  uint32_t done = 0;
  for (; done < nr; done++) {
    int64_t kind = wb[1 + 4 * done];
    if (kind && wb_value(r, k, kind, wb + 2 + 4 * done, &nv[done]) != PF_OK)
      break;
  }
  if (done < nr) {
    for (uint32_t q = 0; q < done; q++)
      if (wb[1 + 4 * q])
        pf_decref(nv[q]);
    free(nv);
    pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    return -1;
  }
  for (uint32_t q = 0; q < nr; q++)
    if (wb[1 + 4 * q]) {
      pf_decref(f->regs[q]);
      f->regs[q] = nv[q];
    }
  free(nv);
  /* native code ran obj.m(args) as GETATTR into a + 1 and CALL of it (snap.c): register a
   * of an OP_GETMETH, dead to it, must read "no function" to OP_CALLMETH (vm_loop.c) */
  for (uint32_t pc = 0; pc < k->nins; pc++)
    if (k->ins[pc].op == OP_GETMETH && k->ins[pc].a < nr && !wb[1 + 4 * k->ins[pc].a]) {
      pf_decref(f->regs[k->ins[pc].a]);
      f->regs[k->ins[pc].a] = pf_unbound();
    }
  f->pc = (uint32_t)wb[0];
  return 0;
}

int pf_jit_osr_enter(void *self, pf_run *r, pf_frame *f, pf_val *out) {
  pf_jit *jit = self;
  pf_code *k = f->code;
  /* generators, closures and try/with never compile; comprehensions' and generator
   * expressions' loops are the folds' (par.c: cursors, splits) */
  if (jit->mode == PF_JIT_OFF || !k || k->is_gen || k->is_comp || k->nexc || k->ncells ||
      k->nfree)
    return 0;
  jcode *jc = __atomic_load_n((jcode **)&k->jit, __ATOMIC_ACQUIRE);
  if (!jc && !(jc = pf_jit_code_record(jit, k)))
    return 0;
  jloop *l = loop_get(jit, jc, k, f->pc);
  if (!l)
    return 0;
  uint32_t nr = l->nregs;
  uint8_t tbuf[256];
  int64_t ibuf[3 * 64];
  uint8_t *types = nr <= sizeof tbuf ? tbuf : malloc(nr);
  int64_t *in = nr <= 64 ? ibuf : malloc(3 * (size_t)nr * sizeof *in);
  int rc = 0;
  if (!types || !in)
    goto done;
  memset(in, 0, 3 * (size_t)nr * sizeof *in);
  for (uint32_t q = 0; q < nr; q++) {
    if (!l->live[q]) {
      types[q] = OT_DEAD;
      continue;
    }
    int t = classify(f->regs[q], in + 3 * q);
    if (t < 0) /* e.g. an int that outgrew int64 after a deopt: the frame goes on here */
      goto done;
    types[q] = (uint8_t)t;
  }
  josr *e = variant_get(jit, l, types);
  if (!e)
    goto done;
  int state = atomic_load_explicit(&e->state, memory_order_acquire);
  if (state == JS_COLD) {
    if (jit->mode != PF_JIT_ALWAYS &&
        atomic_fetch_add_explicit(&l->samples, 1, memory_order_relaxed) + 1 < PF_JIT_OSR_SAMPLES)
      goto done;
    osr_start(jit, k, jc, e);
    state = atomic_load_explicit(&e->state, memory_order_acquire);
  }
  if (state != JS_READY)
    goto done;
  /* in: the rest of the call runs natively */
  int64_t res[2] = {0, 0};
  size_t depth = r->max_depth > r->depth ? r->max_depth - r->depth : 0;
  if (depth > PF_JIT_MAX_NATIVE_DEPTH)
    depth = PF_JIT_MAX_NATIVE_DEPTH;
  static const atomic_int never = 0;
  atomic_uint_fast64_t unused = 0;
  const atomic_int *cancel = r->root_cancel ? r->root_cancel : r->cancel;
  pf_jit_nctx ctx = {cancel ? cancel : &never, r->progress ? r->progress : &unused, 0};
  size_t nwb = 1 + 4 * (size_t)nr;
  int64_t wbuf[1 + 4 * 64];
  int64_t *wb = nwb <= sizeof wbuf / sizeof *wbuf ? wbuf : malloc(nwb * sizeof *wb);
  if (!wb)
    goto done;
  memset(wb, 0, nwb * sizeof *wb);
  atomic_fetch_add_explicit(&jit->osr_entries, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&e->entries, 1, memory_order_relaxed);
  if (e->entry(&ctx, k->gslots, (int64_t)depth, in, res, wb) == 0) {
    int rt = e->rtype == JT_NUM ? (res[1] ? JT_FLOAT : JT_INT) : e->rtype;
    pf_val v = pf_none();
    if (rt == JT_INT)
      v = pf_int(res[0]);
    else if (rt == JT_BOOL)
      v = pf_bool(res[0] != 0);
    else if (rt == JT_FLOAT) {
      v.tag = PF_FLOAT;
      v.u.i = res[0];
    }
    *out = v;
    rc = 1;
  } else {
    /* stopped inside: the interpreter goes on from there with the registers as they were */
    r->jit_deopt++;
    uint64_t d = atomic_fetch_add_explicit(&e->deopts, 1, memory_order_relaxed) + 1;
    if (d > 64 && d * 4 > atomic_load_explicit(&e->entries, memory_order_relaxed) * 3) {
      pthread_mutex_lock(&jit->tmu); /* stops almost every time: left to the interpreter */
      if (atomic_load(&e->state) == JS_READY) {
        snprintf(e->why, sizeof e->why, "deoptimised on %llu of its entries",
                 (unsigned long long)d);
        atomic_store(&e->state, JS_FAILED);
      }
      pthread_mutex_unlock(&jit->tmu);
    }
    rc = write_back(r, f, wb) < 0 ? -1 : 2;
  }
  if (wb != wbuf)
    free(wb);
done:
  if (types != tbuf)
    free(types);
  if (in != ibuf)
    free(in);
  return rc;
}

/* ---------------------------------------------------------------- stats */

void pf_jit_osr_stats(pf_jit *jit, json_t *stats, json_t *nc) {
  json_object_set_new(stats, "osr_compiles", json_integer((json_int_t)jit->osr_compiles));
  json_object_set_new(stats, "osr_entries",
                      json_integer((json_int_t)atomic_load(&jit->osr_entries)));
  if (!nc || jit->mode != PF_JIT_ALWAYS)
    return;
  for (size_t b = 0; b < sizeof jit->table / sizeof jit->table[0]; b++)
    for (jcode *jc = jit->table[b]; jc; jc = jc->next)
      for (jloop *l = atomic_load(&jc->loops); l; l = l->next) {
        const char *why = NULL; /* compile failures (frames that cannot enter, e.g. with a
                                 * big int live, are not reported: they go on interpreted) */
        for (uint32_t i = 0; i < atomic_load(&l->nvar) && !why; i++)
          if (atomic_load(&l->var[i]->state) == JS_FAILED)
            why = l->var[i]->why;
        if (!why || json_array_size(nc) >= 100)
          continue;
        char sig[64], reason[224];
        snprintf(sig, sizeof sig, "(on-stack replacement at line %d)", (int)l->line);
        snprintf(reason, sizeof reason, "%s", why);
        json_array_append_new(nc, json_pack("{s:s, s:s, s:s, s:I}", "function", jc->name,
                                            "signature", sig, "reason", reason, "calls",
                                            (json_int_t)0));
      }
}
