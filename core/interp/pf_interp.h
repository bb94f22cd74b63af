/* pf_interp.h — IR documents to running programs: decode and validate the IR (docs/ir.md),
 * compile it to register bytecode, run it with frames in heap records. */
#ifndef PF_INTERP_H
#define PF_INTERP_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

#include "pf_status.h"
#include "pf_value.h"

typedef struct pf_program pf_program;

/* The native tier as the interpreter sees it (jit/ provides one; core/rt passes it down in
 * pf_run_limits). The interpreter never links LLVM: it calls through this table. */
struct pf_func;
struct pf_jit_fold_state;
struct pf_run;
struct pf_frame;
typedef struct pf_jit_iface {
  void *self;
  /* Runs the plain positional call "fn"(args[0..nargs)) natively when a compiled version
   * exists (compiling it, or queueing its compilation, as the tier decides): returns 1 with
   * a new value in *out; 0 when the interpreter must run the call (not hot yet, not
   * compilable); 2 when native code ran and deoptimised (the interpreter runs the call
   * again from its start: the code is pure). Never raises. Borrows everything. "depth_left" is how
   * many more frames the run allows; "cancel" and "progress" (see pf_run_limits) may be
   * NULL: native loops poll the one and advance the other. */
  int (*call)(void *self, struct pf_func *fn, const pf_val *args, uint32_t nargs,
              size_t depth_left, const atomic_int *cancel, atomic_uint_fast64_t *progress,
              pf_val *out);
  /* Samples loops: called once per 1024 safepoints of a run with the function whose loop
   * back-edge passed the 1024th, so that a function looping long is hot before it has been
   * called often. */
  void (*loop)(void *self, struct pf_func *fn);
  /* Adds a finished run's counts of native calls and deoptimisations to the tier's. */
  void (*flush)(void *self, uint64_t native_calls, uint64_t deopts);
  /* Folds F(start + i*step) for i in [0, n) natively, "kind" a PF_JIT_FOLD_*, F = "fn"
   * called with one int, or the element E(x) when "fn" is a generator expression
   * (E for x in ...) (compiling the fold's loop first, as the tier decides: see st->total). Returns 0 when it did nothing (the caller calls F per element); 1 when it
   * folded all n elements; 2 when it folded st->done elements and F deoptimised on the next
   * one (the caller runs that element in the interpreter, then may call again); 3 (any/all)
   * when element st->done decided the fold (the elements before it folded). n == 0 asks
   * only whether the kernel is ready (compiling it as the tier decides): 1 or 0. NULL in a
   * tier without native folds. */
  int (*fold)(void *self, struct pf_func *fn, int kind, int64_t start, int64_t step, int64_t n,
              size_t depth_left, const atomic_int *cancel, atomic_uint_fast64_t *progress,
              struct pf_jit_fold_state *st);
  /* On-stack replacement (jit/osr.c), at a sampled loop back-edge of code frame "f" of run
   * "r" (f->pc: the loop header the interpreter is about to run): when the tier has (or,
   * as it decides, compiles) an OSR entry of f's code for that header and the types in f's
   * registers, runs the rest of the call natively from there. Returns 0 (nothing ran: go on
   * interpreting), 1 (the call finished natively: *out is its new result, which the frame
   * returns), 2 (native code ran and deoptimised: it wrote f's registers back and set f->pc
   * to the instruction to resume at, exactly where it stopped) or -1 (out of memory while
   * writing back: an error is pending in r). NULL in a tier without OSR. */
  int (*osr)(void *self, struct pf_run *r, struct pf_frame *f, pf_val *out);
} pf_jit_iface;

/* Folds the native tier runs (pf_jit_iface.fold); COLLECT hands every result over (rbuf). */
enum { PF_JIT_FOLD_SUM, PF_JIT_FOLD_MIN, PF_JIT_FOLD_MAX, PF_JIT_FOLD_ANY, PF_JIT_FOLD_ALL,
       PF_JIT_FOLD_COLLECT, PF_JIT_FOLD_COLLECT_VAL, PF_JIT_NFOLDS };
/* (PF_JIT_FOLD_COLLECT_VAL: a dict comprehension's values; COLLECT there: its keys) */
typedef struct pf_jit_fold_state {
  int64_t total;   /* in: elements of the whole fold (a large fold compiles F at once) */
  int64_t done;    /* out: elements folded */
  /* out, sum: the elements' exact total, a 128-bit int hi * 2**64 + (uint64_t)lo */
  int64_t lo, hi;
  /* out, min/max (done > 0): F of the first element, and the scan's choice */
  int64_t first, best;
  int result_bool; /* out: F's results are bools (min/max: first and best are 0 or 1) */
  /* in, room for n results: collect, and sum (used when F's results are floats: the caller
   * adds them exactly; lo and hi are then 0); out, the results of the elements folded, in
   * order, as their bits (an int, a float's bits, 0/1 for bools, 0 for None) */
  int64_t *rbuf;
  int result_float, result_none; /* out: F's results are floats / None */
  /* out: results kept (a filter, (E for x in ... if C), drops the others: sums, min/max and
   * collect fold only those; rbuf holds kept results), and the index in [0, done) of the
   * first kept element (min/max's "first"; -1 when none was kept) */
  int64_t kept, first_at;
  /* in: NULL for a range (x = start + i*step), or the tuple or list whose items are the
   * elements (x = seq[start + i*step], 0 <= start + i*step < its length) */
  const pf_obj *seq;
  /* in: a zip of two tuples or lists (pair = 1: x is the index of both, the element unpacks
   * (pseq[0][x], pseq[1][x])) or an enumerate of one (pair = 2: the element unpacks
   * (x + pdelta, pseq[0][x])); 0: neither (seq then is NULL) */
  int pair;
  const pf_obj *pseq[3]; /* (a zip of three: pseq[2] too, the element unpacks three items) */
  int64_t pdelta;
} pf_jit_fold_state;

/* Limits of one run. */
typedef struct pf_run_limits {
  size_t max_depth;        /* frames deeper than this raise RecursionError (0: default) */
  size_t max_memory_bytes; /* 0: no limit beyond the machine's (reserved for later) */
  /* NULL, or a counter the run adds to (relaxed) as it passes safepoints (loop back-edges
   * and calls), in steps of 1024: a monotonically increasing measure of work done that
   * another thread may read while the run goes on. */
  atomic_uint_fast64_t *progress;
  /* NULL, or the core/sched worker (struct pf_worker) the run starts on, inside a job of its
   * pool: folds over ranges and lists then split across the pool's workers. */
  struct pf_worker *worker;
  const pf_jit_iface *jit; /* NULL: interpret only (borrowed; outlives the run) */
} pf_run_limits;

/* Decodes, validates and compiles the IR document "doc" (borrowed). On success returns new
 * program in *prog_p (free with pf_program_destroy). On bad input returns PF_EPROTO and a new
 * JSON error object in *err_p: {"type": "InvalidRequest" | "PythonToForaConversionError",
 * "message": "...", "file": "...", "line": N} (file/line when known); the caller owns it. */
pf_status_t pf_program_load(const json_t *doc, pf_program **prog_p, json_t **err_p) PF_WUR;

/* Resolves the id of an {"kind": "object"} definition (docs/ir.md) to a new reference in
 * *out; returns PF_ENOENT for an id it does not know (the load then fails with an error of
 * type "NotFound"). */
typedef pf_status_t (*pf_object_resolver)(void *ctx, const char *id, pf_val *out);

/* As pf_program_load; definitions of kind "object" are resolved through "resolve" (with
 * "ctx"); a NULL "resolve" makes every such definition an error. */
pf_status_t pf_program_load_ex(const json_t *doc, pf_object_resolver resolve, void *ctx,
                               pf_program **prog_p, json_t **err_p) PF_WUR;

/* Resolves a definition listed by id in the document's "definition_ids" (docs/ir.md) to a
 * new JSON definition in *out (the caller decrefs it); its "file" may be a file name (it is
 * then added to the program's files) or absent. PF_ENOENT for an id it does not know. */
typedef pf_status_t (*pf_def_resolver)(void *ctx, const char *id, json_t **out);

/* As pf_program_load_ex; ids in "definition_ids" are fetched through "resolve_def" (with
 * "def_ctx"); a NULL "resolve_def" makes a non-empty "definition_ids" an error. */
pf_status_t pf_program_load_ex2(const json_t *doc, pf_object_resolver resolve, void *ctx,
                                pf_def_resolver resolve_def, void *def_ctx,
                                pf_program **prog_p, json_t **err_p) PF_WUR;

/* Receives one bound output of a finished block: its name and a borrowed value (take a
 * reference with pf_incref to keep it). A non-PF_OK answer stops the run with that status. */
typedef pf_status_t (*pf_output_fn)(void *ctx, const char *name, pf_val v);

/* As pf_program_run, but when "out" is not NULL the block's bound outputs are handed to
 * "out" (in block.outputs order) instead of being encoded: "values" of the result is then
 * an empty object. Values may refer to objects owned by "prog" (functions, classes): keep
 * "prog" alive (do not destroy it) for as long as such a value is kept. */
pf_status_t pf_program_run_ex(pf_program *prog, const atomic_int *cancel,
                              const pf_run_limits *lim, pf_output_fn out, void *out_ctx,
                              json_t **result_p) PF_WUR;

/* Runs the block of "prog" to completion on the calling thread. "cancel" (borrowed, may be
 * NULL) is polled at safepoints (loop back-edges and calls); when it becomes non-zero the run
 * stops with PF_ECANCELED. On PF_OK *result_p is a new JSON object
 * {"values": {...}, "exception": null | {...}} as in docs/ir.md (a Python exception in the
 * user's code is a successful run whose "exception" is set). A program may be run once. */
pf_status_t pf_program_run(pf_program *prog, const atomic_int *cancel, const pf_run_limits *lim,
                           json_t **result_p) PF_WUR;

/* Frees "prog" and everything it owns; NULL is a no-op. */
void pf_program_destroy(pf_program *prog);

/* A pointer the program's owner keeps with it (NULL until set). */
void pf_program_set_tag(pf_program *p, void *tag);
void *pf_program_tag(const pf_program *p);

#endif
