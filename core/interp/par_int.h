/* par_int.h — private to core/interp/par.c and par_remote.c: the pipeline of a parallel fold,
 * its partial accumulator, and what both files share. */
#ifndef PF_PAR_INT_H
#define PF_PAR_INT_H

#include <stdatomic.h>

#include "pf_sched.h"
#include "vm_int.h"

#define PAR_MAX_NODES 16
#define PAR_MAX_CHILD 8
#define PAR_MAX_NEST 24      /* folds inside folds that still split; deeper ones run in place */
#define PAR_MIN_DEPTH 64     /* frames a sub-run needs left below the recursion limit */
#define PAR_POLL_MASK 1023u  /* as the interpreter's safepoints (vm_loop.c) */

enum { PN_BASE, PN_GEN, PN_MAP, PN_FILTER, PN_ZIP, PN_ENUM };
enum { PK_SUM, PK_MIN, PK_MAX, PK_ANY, PK_ALL, PK_COLLECT, PK_COMP };
enum { PX_EXC, PX_SHORT, PX_FALLBACK };
enum { CL_NUM = 1, CL_STR = 2 };

/* One node of the pipeline (values borrowed from the original objects, which the fold's
 * caller keeps alive). */
typedef struct par_node {
  int kind;
  pf_val fn;      /* PN_GEN: the genexpr's function; PN_MAP/PN_FILTER: the function */
  pf_val count;   /* PN_ENUM: the counter at the fold's start */
  pf_gen *gen;    /* PN_GEN: the original generator */
  pf_iter *it;    /* the original iterator (PN_BASE, PN_MAP, PN_FILTER, PN_ZIP, PN_ENUM) */
  uint32_t child[PAR_MAX_CHILD], nchild;
  uint32_t base;  /* PN_BASE: its index in par_ctx.bases */
  pf_val call;    /* PN_GEN of the form (F(x) for x in …): F (borrowed), else unbound */
  pf_code *code;  /* PN_GEN: the generator expression's code */
  int32_t line;   /* its line of the call F(x) */
} par_node;

typedef struct par_base {
  pf_iter *it;   /* the original base iterator */
  int64_t start; /* its index where the fold starts */
  int64_t left;  /* elements it has left */
} par_base;

typedef struct par_ctx {
  pf_program *prog;
  const atomic_int *cancel; /* the caller's */
  atomic_uint_fast64_t *progress;
  size_t max_depth;
  uint32_t nest;
  int kind;
  pf_val comp; /* PK_COMP: the comprehension's function */
  const pf_jit_iface *jit; /* the caller's native tier, for the sub-runs */
  const atomic_int *root_cancel; /* the computation's cancel flag */
  par_node nodes[PAR_MAX_NODES];
  uint32_t nnodes, root;
  par_base bases[PAR_MAX_NODES];
  uint32_t nbases;
  int64_t count; /* positions to fold: the shortest base's elements left */
  bool fused;    /* the root is (F(x) for x in base) or map(F, base, ...): parts call F */
  int pair;      /* the root is (E for a, b[, c] in zip(xs, ys[, zs])) (1) or enumerate(xs) (2) */
  uint32_t pairnode; /* (then the zip's or enumerate's node) */
} par_ctx;

typedef struct par_acc {
  pf_val isum; /* PK_SUM: exact sum of the ints (with "wide", once the part has ended) */
  __int128 wide; /* PK_SUM: the part's int64 elements, added into isum at its end */
  pf_fsum *fs;
  bool saw_float;
  bool any;         /* PK_MIN/MAX: has elements */
  int cls;          /* their kind (CL_*) */
  pf_val first;     /* the first element */
  uint64_t first_pos;
  pf_val best;      /* the scan's choice among the non-NaN elements (unbound: none) */
  bool poisoned;    /* merged with a part of another kind at poison_pos */
  uint64_t poison_pos;
  pf_listb items;   /* PK_COLLECT: the elements; PK_COMP: the parts' results */
} par_acc;

typedef struct par_exc {
  int why;          /* PX_* */
  pf_val exc;       /* PX_EXC: the exception instance */
  bool in_pipeline; /* PX_EXC: raised while producing the element (closes the generators) */
} par_exc;

/* par.c */
extern const pf_fold_ops pf_par_ops;
void par_base_set_index(pf_iter *it, int64_t i);
/* whether the fold's loop unpacks (a, b) or (a, b, c) from zip of two or three tuples or
 * lists (1) or (a, b) from enumerate of one (2), read natively by index; 0: neither (sets
 * c->pairnode) */
int par_pair_kind(par_ctx *c);
/* whether fold "c"'s root is map(F, base, ...) of a plain function F over bases: parts then
 * call F on the bases' items directly (c->fused) */
bool par_fused_map(const par_ctx *c);
#define PAR_CHUNK 1024 /* elements per native chunk: the safepoints' period */
#define PAR_CHUNK_NESTED 16 /* ... when each element is an inner loop */

/* par.c: native chunks of a part — the next chunk of base iterator "bi" (its first base
 * index; *left, *start, *step; a sequence base's object in fs->seq), moving it on by "k";
 * a zip or enumerate pair's sources for the chunk (false: the counter is not a small int)
 * and moving the pair on (0, or -1 with an error pending in "s"); the native fold kind
 * (PF_JIT_FOLD_*) of fold kind "kind", or -1 */
int64_t par_chunk_at(const pf_iter *bi, int64_t *left, int64_t *start, int64_t *step,
                     pf_jit_fold_state *fs);
void par_chunk_advance(pf_iter *bi, int64_t k);
bool par_pair_state(const par_ctx *c, const pf_par_part *pp, const pf_iter *pair,
                    pf_jit_fold_state *fs);
int par_pair_advance(pf_run *s, const par_ctx *c, pf_par_part *pp, pf_iter *pair, int64_t k);
int par_native_kind(int kind);
/* par_comp.c: [E for x in ...] (and set/dict comprehensions) of part "pp" from native chunks
 * while it can, then the comprehension over the elements left (the part's base iterator
 * "stream"); the part's list, set or dict in *out. PF_OK; PF_ENOTSUP when nothing ran
 * natively (the caller runs the comprehension); else how the part stops. */
pf_status_t par_comp_chunks(pf_run *s, par_ctx *c, pf_par_part *pp, pf_val stream,
                            pf_val *out);
/* par_acc.c: a new empty accumulator, the frees, merging (pf_fold_ops.merge: into := into ⊕
 * right), min/max's element classes and order (strictly before; one class, never NaN) */
void *par_acc_new(void *ctx);
void par_acc_free(void *ctx, void *p);
void par_exc_free(void *ctx, void *p);
void par_merge(void *ctx, void *into_p, const void *right_p);
int par_val_class(pf_val v);
bool par_is_nan(pf_val v);
bool par_better(int kind, pf_val a, pf_val b);
/* par_remote.c: pf_fold_ops.describe and .acc_import of the folds (other machines) */
bool par_describe(void *ctx, pf_val *out);
void *par_acc_import(void *ctx, pf_val v);

#endif
