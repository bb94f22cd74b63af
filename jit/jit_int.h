/* jit_int.h — private to jit/: the JIT state, the per-code records of the tier, the
 * snapshot of bytecode a compile works from, and the code emitters. */
#ifndef PF_JIT_INT_H
#define PF_JIT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <llvm-c/Core.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/TargetMachine.h>
#include <xxhash.h>

#include "interp_int.h"
#include "pf_jit.h"
#include "pf_value.h"

/* ---------------------------------------------------------------- types the compiler tracks */

/* Per register, per instruction: what the register holds on every path reaching it. */
enum {
  JT_BOT,     /* nothing yet (unreached, or a callee's result not yet known) */
  JT_INT,     /* int64 (ints outside int64 never reach native code) */
  JT_FLOAT,
  JT_BOOL,
  JT_NONE,
  JT_UNB,     /* unbound local */
  JT_FUNC,    /* a compilable function (fn: its snapshot index); holds its globals */
  JT_RANGEFN, /* the range builtin */
  JT_RANGE,   /* a range object over int64 (start, stop, step) */
  JT_RITER,   /* an iterator over such a range (next, remaining, step) */
  JT_BUILTIN, /* abs, min, max, float or int (fn: its pf_bi_id) */
  JT_MATHMOD, /* the math module */
  JT_MATHFN,  /* math.sqrt … (fn: index in pf_jit_math_name) */
  JT_NUM,     /* an int on some paths, a float on others: a tag says which, at run time */
  JT_SEQ,     /* a tuple or list argument whose items are read as fn's type (JT_INT or
                 JT_FLOAT); an item of another kind deoptimises */
  JT_SITER,   /* an iterator over such a sequence (fn: the items' type) */
  JT_INST,    /* an instance of snapshot class fn (jsnap.cls), its layout guarded (inst.c) */
  JT_METH,    /* a method read from an instance: fn = class index * 64 + function index;
                 payload: the instance and the method's global slots */
  JT_ANY      /* different things on different paths: never read */
};
typedef struct jty {
  uint8_t t;
  uint16_t fn;
} jty;

/* Signatures: 4 bits per argument (JT_INT, JT_FLOAT, JT_BOOL, or JSIG_SEQI / JSIG_SEQF: a
 * tuple or list of ints / of floats, as its first item says), at most PF_JIT_MAXARGS. */
#define PF_JIT_MAXARGS 7
#define JSIG_INST 13 /* an instance: its class and layout in jsig.ikey / jspec.icls */
#define JSIG_SEQI 14
#define JSIG_SEQF 15
#define PF_JIT_SIG_OTHER UINT32_MAX     /* arguments of types native code does not take */
#define PF_JIT_SIG_ARITY (UINT32_MAX - 1) /* fewer arguments than parameters (defaults) */
/* A generator expression's element E(x) of an int x, compiled for fold kernels (snap.c) */
#define PF_JIT_SIG_ELEM_BIT (1u << 28)
#define PF_JIT_SIG_ELEM ((uint32_t)JT_INT | PF_JIT_SIG_ELEM_BIT)
/* A fold kernel whose elements are the items of a tuple or list (argument 0: their kind) */
#define PF_JIT_SIG_SEQBASE_BIT (1u << 29)
/* An element unpacking a zip of two sequences / an enumerate of one (snap.c): its first two
 * extra values are the pair's sources (pf_jit_fold_state.pair), x the items' index */
#define PF_JIT_SIG_ZIP_BIT (1u << 30)
#define PF_JIT_SIG_ENUM_BIT (1u << 31)
static inline int jsig_arg(uint32_t sig, uint32_t i) { return (int)((sig >> (4 * i)) & 15u); }
/* The type argument "i" of "sig" has in native code. */
static inline jty jsig_ty(uint32_t sig, uint32_t i) {
  int a = jsig_arg(sig, i);
  if (a == JSIG_INST)
    return (jty){JT_INST, 0}; /* the class: jspec.icls */
  if (a == JSIG_SEQI || a == JSIG_SEQF)
    return (jty){JT_SEQ, (uint16_t)(a == JSIG_SEQI ? JT_INT : JT_FLOAT)};
  return (jty){(uint8_t)a, 0};
}

/* The signature code of an argument of type "t" (a number, or JT_SEQ). */
static inline int jsig_code(jty t) {
  if (t.t == JT_INST)
    return JSIG_INST;
  return t.t == JT_SEQ ? (t.fn == JT_INT ? JSIG_SEQI : JSIG_SEQF) : t.t;
}

/* Sequence arguments: native code holds the tuple or list object and reads its items
 * through these (called by address; compile.c). The length of tuple or list "o". */
int64_t pf_jit_seq_len(const pf_obj *o);
/* The items of "o" around item "i" (0 <= i < len): returns a pointer to item w[0], and
 * items w[0] .. w[1]-1 are contiguous from there (w[0] <= i < w[1]). */
const pf_val *pf_jit_seq_window(const pf_obj *o, int64_t i, int64_t *w);

/* Hashes chained over the parts of a code or a class (snap.c, inst.c): "n" bytes at "p"
 * hashed with XXH3 seeded by the hash so far. */
static inline uint64_t pf_jit_hash(uint64_t h, const void *p, size_t n) {
  return XXH3_64bits_withSeed(p, n, h);
}
static inline uint64_t pf_jit_hash_u64(uint64_t h, uint64_t v) {
  return pf_jit_hash(h, &v, sizeof v);
}

/* ---------------------------------------------------------------- the tier's records */

/* What native code polls and advances (one per native call from the interpreter, on the
 * worker's stack): never NULL pointers, and a count of native calls made under it. */
typedef struct pf_jit_nctx {
  const atomic_int *cancel;
  atomic_uint_fast64_t *progress;
  uint64_t ticks;
} pf_jit_nctx;

/* Native entry: every 65536 loop back-edges, and every 65536 native calls, "ctx"'s progress
 * grows by as much and its cancel flag is polled; "gslots" are the code's global slots;
 * "depth" frames may still be pushed; "args" hold int64 / double bits / 0-1. Returns 0 with
 * the result bits in out[0] (and for results of type JT_NUM, out[1]: 1 for a float), 1 to
 * deoptimise. */
typedef int (*pf_jit_entry)(const pf_jit_nctx *ctx, pf_val *const *gslots, int64_t depth,
                            const int64_t *args, int64_t *out);

/* Fold kernel (pf_jit_iface.fold) for a function of one int: folds F(start + i*step) for i in
 * [0, n); st[0] elements folded, st[1..2] a sum's 128-bit total (lo, hi), st[3..4] min/max's
 * first and best results; st[5] (in) a double * where a sum of floats stores each result,
 * (out) how many results were kept (a filter skips elements), st[6] (out) the first kept
 * element's index; st[6..] (in) an element's extra values (fold_x.c). Returns 1 (all folded), 2 (F deoptimised on element st[0]) or 3
 * (any/all decided by element st[0]). */
typedef int (*pf_jit_fold_fn)(const pf_jit_nctx *ctx, pf_val *const *gslots, int64_t depth,
                              int64_t start, int64_t step, int64_t n, int64_t *st);

enum { JS_COLD, JS_QUEUED, JS_READY, JS_FAILED };
#define PF_JIT_MAXSIGS 4

typedef struct jsig {
  uint32_t sig;
  uint64_t ikey[PF_JIT_MAXARGS]; /* JSIG_INST arguments: their instance key (inst.c) */
  char iname[PF_JIT_MAXARGS][24]; /* and their class's name (stats) */
  _Atomic int state;
  pf_jit_entry entry; /* JS_READY */
  uint8_t rtype;      /* JT_INT, JT_FLOAT, JT_BOOL, JT_NONE or JT_NUM (out[1]: 1 float) */
  char why[160];      /* JS_FAILED: the reason */
  _Atomic uint64_t calls_not_compiled;
  _Atomic uint64_t native, deopts; /* JS_READY: deopts, and native calls since the first */
  /* fold kernels over this signature (one int), per PF_JIT_FOLD_* (states as above) */
  _Atomic int fstate[PF_JIT_NFOLDS];
  pf_jit_fold_fn fentry[PF_JIT_NFOLDS];
  uint8_t frtype; /* the result type the kernels were compiled with */
  uint8_t frtype_val; /* ... the values' kernel of a dict comprehension (PF_JIT_FOLD_COLLECT_VAL) */
  _Atomic uint64_t felems[PF_JIT_NFOLDS], fdeopts[PF_JIT_NFOLDS];
  _Atomic uint64_t fwait[PF_JIT_NFOLDS]; /* elements small folds asked for before a kernel */
} jsig;

/* One per distinct code (by hash of bytecode, constants and global names), shared by every
 * program that loads the same function. Never freed before the JIT. */
typedef struct jcode {
  uint64_t hash;
  char name[64];
  uint32_t nparams;
  _Atomic uint64_t calls;
  _Atomic uint32_t nsigs;
  jsig sigs[PF_JIT_MAXSIGS];
  _Atomic(struct jloop *) loops; /* OSR entries, per loop header (osr.c) */
  struct jcode *next; /* hash chain */
} jcode;

/* ---------------------------------------------------------------- snapshots */

enum { JG_OTHER, JG_INT, JG_FLOAT, JG_BOOL, JG_NONE, JG_FUNC, JG_RANGE, JG_BUILTIN, JG_MATHMOD,
       JG_CLASS };
typedef struct jglob {
  uint8_t kind;
  uint16_t fn; /* JG_FUNC: snapshot index of the function; JG_BUILTIN: its pf_bi_id */
} jglob;
typedef struct jconst {
  uint8_t t; /* JT_INT, JT_FLOAT, JT_BOOL, JT_NONE, or JT_ANY (anything else) */
  union {
    int64_t i;
    double f;
  } v;
  char str[16]; /* a short str constant (attribute names), else "" */
} jconst;

/* Where an element's extra value comes from: closure cell "idx" of the generator function
 * (global 0: the kernel gets its payload from the caller, st[6 + j]), global slot "idx"
 * (global 1: the kernel reads it, and deoptimises unless it holds a tuple or a list), or
 * source "idx" of a zip or enumerate base (global 2: from the caller, as a cell's). */
#define PF_JIT_MAXX 6
typedef struct jxsrc {
  uint8_t global;
  uint16_t idx;
} jxsrc;

/* A copy of everything compiling one function needs, taken on the worker while its
 * program is alive: the compile thread never reads a pf_code. */
typedef struct jfn {
  jcode *jc;
  char name[64];
  const char *why_not; /* static reason this code cannot be compiled at all, or NULL */
  uint32_t nins, nregs, nparams, nconsts, ngslots;
  pf_ins *ins;
  int32_t *lines; /* per instruction (messages) */
  jconst *consts;
  jglob *globals;
  /* a generator expression's element (pf_jit_snap_take_elem) reading values of the block
   * around it: free variables, and globals holding a tuple or list. Its LOAD_DEREF b reads
   * extra value b, of type argument 1 + b of the signature; the fold kernel passes them */
  uint8_t nx;
  jxsrc xs[PF_JIT_MAXX];
} jfn;

#define PF_JIT_MAXFNS 32

/* Instances (inst.c): a copy of an instance argument's class and layout. */
#define PF_JIT_MAXIATTRS 16 /* instance attributes */
#define PF_JIT_MAXCATTRS 32 /* class attributes, along the bases */
#define PF_JIT_MAXCLS 8
enum { JCA_OTHER, JCA_INT, JCA_FLOAT, JCA_BOOL, JCA_NONE, JCA_FUNC };
typedef struct jcattr {
  char name[16];  /* "" when 16 characters or longer (code constants are as short) */
  uint8_t kind;   /* a JCA_* */
  uint8_t depth;  /* JCA_FUNC: the class that holds it: inst->cls->base... depth times */
  uint16_t slot;  /* and its index there (pf_class.avals) */
  uint16_t fn;    /* JCA_FUNC: snapshot function index */
  int64_t v;      /* the bits of a number */
} jcattr;
typedef struct jcls {
  uint64_t key;   /* an argument's instance key (pf_jit_inst_key); 0 for an attribute's */
  char name[32];
  bool dynamic;   /* defines __getattr__ or __getattribute__: attribute reads stay interpreted */
  bool truncated; /* more class attributes than the copy holds */
  uint32_t nattrs;
  char aname[PF_JIT_MAXIATTRS][16]; /* the instance's attributes, in its order */
  jty akind[PF_JIT_MAXIATTRS]; /* JT_INT, JT_FLOAT, JT_BOOL, JT_NONE, JT_ANY (not read),
                                  JT_SEQ (fn: the first item's type) or JT_INST (fn: the
                                  class of that instance, whose own instances are JT_ANY) */
  uint32_t ncattrs;
  jcattr cattr[PF_JIT_MAXCATTRS];
} jcls;

typedef struct jsnap {
  jfn fns[PF_JIT_MAXFNS];
  uint32_t nfns;
  const void *mathmod; /* the math module object (static in core/interp), if a global holds it */
  jcls cls[PF_JIT_MAXCLS];
  uint32_t ncls;
  uint16_t argcls[PF_JIT_MAXARGS]; /* function 0's JSIG_INST arguments: their class */
  char why[96];                    /* why the classes could not be copied, or "" */
} jsnap;

/* ---------------------------------------------------------------- the JIT */

typedef struct jjob {
  jsnap *snap;
  jcode *jc;
  uint32_t sigi;
  int fold_kind; /* >= 0: the fold kernel of this kind (a PF_JIT_FOLD_*), not the entry */
  struct josr *osr; /* non-NULL: this OSR entry (osr.c), not the entry */
  struct jjob *next;
} jjob;

struct pf_jit {
  pthread_mutex_t lock; /* LLVM contexts are single-threaded: one compile at a time */
  LLVMOrcLLJITRef lljit;
  LLVMOrcThreadSafeContextRef tsctx;
  LLVMTargetMachineRef tm;
  pf_jit_i64_binop_fn binop[PF_OP_BINOP_COUNT];
  uint64_t nmodules; /* unique symbol names per compiled module */
  bool dump_ir;      /* PF_JIT_DUMP=1 in the environment */

  /* the tier (tier.c) */
  pf_jit_iface iface;
  pf_jit_mode mode;
  unsigned hot_calls;
  pthread_mutex_t tmu; /* records, queue, stats */
  pthread_cond_t tcv;
  bool thread_started, stop;
  pthread_t thread;
  jjob *q_head, *q_tail;
  jcode *table[1024];
  uint64_t n_codes;
  /* stats (under tmu, or atomic) */
  uint64_t compiles, compile_failures, cache_hits, fold_kernels;
  double compile_ms_total, compile_ms_max, compile_ms_last;
  _Atomic uint64_t native_calls, deopts;
  _Atomic uint64_t osr_compiles, osr_entries; /* osr.c */
};

/* tier.c: runs "job" (its snapshot taken; freed here) on the calling worker when "now",
 * else hands a copy to the compile thread. 1: compiled now (a fold kernel: ready), 0: queued
 * or not compiled, -1: out of memory (nothing queued; the caller's state goes back). */
int pf_jit_submit(pf_jit *jit, const jjob *job, bool now);
/* tier.c: whether a compile should run on the calling worker (--jit=always, or no compile
 * thread yet). */
bool pf_jit_compile_here(const pf_jit *jit);
/* tier.c: stops the compile thread and frees the queue and the records (pf_jit_destroy). */
void pf_jit_tier_stop(pf_jit *jit);
/* tier.c: the record of code "k", created (and cached in k->jit) on first use; NULL when
 * out of memory. */
jcode *pf_jit_code_record(pf_jit *jit, pf_code *k);

/* osr.c: on-stack replacement. pf_jit_iface.osr; */
int pf_jit_osr_enter(void *self, pf_run *r, pf_frame *f, pf_val *out);
/* compiles the OSR entry of job "j"; */
void pf_jit_osr_job(pf_jit *jit, const jjob *j);
/* frees jc's OSR records (pf_jit_tier_stop); */
void pf_jit_osr_free(jcode *jc);
/* adds osr_compiles and osr_entries to "stats", and (always mode) the loops that could not
 * get an OSR entry, once each, to "not_compilable". Caller holds jit->tmu. */
void pf_jit_osr_stats(pf_jit *jit, json_t *stats, json_t *not_compilable);

/* snap.c: hash of a code's bytecode, constants, global names and shape. */
uint64_t pf_jit_code_hash(const pf_code *k);
/* Returns new snapshot of "k" and the functions its globals reach (free with
 * pf_jit_snap_free); NULL when out of memory. */
jsnap *pf_jit_snap_take(pf_jit *jit, pf_code *k);
void pf_jit_snap_free(jsnap *s);
/* snap.c: adds "k" (once) to "s"; its index, or -1. */
int pf_jit_snap_fn(pf_jit *jit, jsnap *s, pf_code *k);

/* inst.c: the key of an instance argument native code takes — a hash of its class's
 * definition (name, bases, class attributes: methods by code hash, numbers by value) and
 * of its layout (attribute names and the kinds of their values) — or 0 when native code
 * does not take it (not frozen, an exception, too many attributes). Same key, same code. */
uint64_t pf_jit_inst_key(pf_jit *jit, const pf_inst *in);
/* inst.c: copies the class and layout of instance "in" into "s" (the methods into its
 * functions); the class index, or -1 with s->why set. */
int pf_jit_snap_inst(pf_jit *jit, jsnap *s, const pf_inst *in);
/* As pf_jit_snap_take for generator expression "k" = (E for x in ...), or list
 * comprehension [E for x in ...]: function 0 of the snapshot is E as a function of x (one
 * parameter; not compilable, with the reason, when "k" has another shape); of a dict
 * comprehension {K: V for x in ...}, K, or V when "kind" is PF_JIT_FOLD_COLLECT_VAL. */
jsnap *pf_jit_snap_take_elem(pf_jit *jit, pf_code *k, int kind, uint32_t sig);
/* An element's RETURN with this in c returns nothing: a filter skipped the element (the
 * native function returns 2). */
#define PF_JIT_RET_SKIP 1
/* snap.c: the pc of the YIELD (or ACC_PUSH) of generator expression (or comprehension) "k"
 * of one loop yielding once per element, E being the code in [*o_p + 3, that pc); 0 when
 * "k" has another shape. *nested_p (if not NULL): a generator expression of two loops
 * (E for x in .0 for v in R), E then being the code of the inner loop and R's. */
uint32_t pf_jit_elem_shape(const pf_code *k, uint32_t *o_p, bool *nested_p);
/* snap.c: whether the element of "k" (FOR_ITER at "o") unpacks its item into two or three
 * targets, (E for a, b in .0) or (E for a, b, c in .0): the form over zip and enumerate
 * (PF_JIT_SIG_ZIP_BIT / _ENUM_BIT); the number of targets, else 0. */
int pf_jit_elem_pair(const pf_code *k, uint32_t o);
/* fold_x.c: the sources of the extra values E (instructions [from, to) of "k") reads, in
 * order of first use; their number, or -1 when more than PF_JIT_MAXX. */
int pf_jit_elem_scan(const pf_code *k, uint32_t from, uint32_t to, jxsrc *xs);
/* fold_x.c: turns E's reads of its "nx" extra values (in "ins", a copy of k's) into
 * LOAD_DEREF a, j. */
void pf_jit_elem_rewrite(const pf_code *k, pf_ins *ins, uint32_t from, uint32_t to,
                         const jxsrc *xs, uint32_t nx);
/* fold_x.c: the extra values of the element of generator expression or comprehension "fn"
 * (its free variables, and globals holding a tuple or a list, in order of first use):
 * their sources in "xs", their payloads in "xv" (a sequence: its object) and their types
 * in the signature *sig_p (arguments 1, 2, ...). Their number, or -1 when one holds a
 * value native code does not take (or there are more than PF_JIT_MAXX). */
int pf_jit_elem_extras(const struct pf_func *fn, jxsrc *xs, int64_t *xv, uint32_t *sig_p, int off);

/* compile.c: infers types for snapshot function 0 called with "sig", emits the LLVM module
 * and returns the entry in *entry_p and the result type in *rtype_p; with "fold_kind" >= 0
 * (a PF_JIT_FOLD_*), also the fold kernel over it in *fold_p, or NULL there when the fold
 * does not take its results (or "sig" is not one int). A NULL "entry_p" with a fold: the
 * module has the kernel alone. PF_ENOTSUP with the
 * reason in "why" when the code is not compilable; PF_EIO for LLVM failures. Takes
 * jit->lock. */
pf_status_t pf_jit_compile(pf_jit *jit, const jsnap *s, uint32_t sig, int fold_kind,
                           pf_jit_entry *entry_p, pf_jit_fold_fn *fold_p, uint8_t *rtype_p,
                           char *why, size_t why_len) PF_WUR;
/* Whether a fold of kind "kind" (PF_JIT_FOLD_*) takes results of type "rtype" natively. */
bool pf_jit_fold_takes(int kind, int rtype);

/* jit.c: verifies and optimises "m", hands it to the JIT (which takes it) and looks "name"
 * up. Caller holds jit->lock. */
pf_status_t pf_jit_add_and_lookup(pf_jit *jit, LLVMModuleRef m, const char *name,
                                  uint64_t *addr_p) PF_WUR;

/* jit.c: the address of symbol "name" of a module added before. Caller holds jit->lock. */
pf_status_t pf_jit_lookup(pf_jit *jit, const char *name, uint64_t *addr_p) PF_WUR;

/* True when "op" has an inline int64 emitter. */
bool pf_jit_i64_binop_supported(pf_binop op);

/* Emits "a op b" on i64 values at the builder's position with Python's exact semantics
 * (floor division and modulo round toward negative infinity). Every case int64 cannot
 * answer — overflow, division by zero, INT64_MIN // -1, negative or wide shifts — branches
 * to "slow". Returns the result on the fast path; the builder is left in the fast block. */
LLVMValueRef pf_jit_emit_i64_binop(LLVMBuilderRef b, LLVMModuleRef m, pf_binop op, LLVMValueRef a,
                                   LLVMValueRef bv, LLVMBasicBlockRef slow);

#endif
