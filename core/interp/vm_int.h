/* vm_int.h — private to the interpreter loop files of core/interp. */
#ifndef PF_VM_INT_H
#define PF_VM_INT_H

#include "interp_int.h"

int pf_vm_call(pf_run *r, pf_frame *caller, pf_val callee, pf_val *args, uint32_t nargs,
               const pf_val *kwnames, pf_val *kwvals, uint32_t nkw, uint32_t dst);

/* Executes the less frequent opcodes (vm_ops.c). Returns NS_RETURN to continue at f->pc,
 * NS_CALL when a frame was pushed, NS_RAISE on error, NS_RERAISE to re-raise r->exc unchanged. */
int pf_vm_op(pf_run *r, pf_frame *f, pf_ins i);

int pf_builtin_fold(pf_run *r, pf_bi_id id, pf_val src, pf_val fn, pf_val acc, pf_val def,
                    bool reverse);
/* str methods (builtins_str.c): returns NS_RETURN/NS_RAISE; "self" is a str. */
int pf_str_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs);

/* Synchronous calls from native code (vm_loop.c): a nested loop runs until the call is
 * done. pf_call_sync: 1 with *out new, -1 on error (pending in r). pf_next_sync: 1 value,
 * 0 exhausted, -1 error. Both borrow their arguments. */
int pf_call_sync(pf_run *r, pf_val fn, pf_val *args, uint32_t nargs, pf_val *out);
/* Frees what a finished run keeps for reuse (its spare sentinel frame). */
void pf_run_release(pf_run *r);
int pf_next_sync(pf_run *r, pf_val it, pf_val *out);

/* Python-level protocols that may call user dunders (dunder.c). PF_OK or an error pending
 * in r (status PF_EPYEXC). */
bool pf_needs_run(pf_val v);
pf_status_t pf_set_align(pf_run *r, pf_val a, pf_val b, pf_val *out) PF_WUR;
static inline bool pf_is_set_val(pf_val v) {
  return pf_is_type(v, &pf_type_set) || pf_is_type(v, &pf_type_frozenset);
}
pf_status_t pf_truthy_run(pf_run *r, pf_val v, bool *out) PF_WUR;
pf_status_t pf_compare_run(pf_run *r, pf_cmpop op, pf_val a, pf_val b, pf_val *out) PF_WUR;
pf_status_t pf_eq_run(pf_run *r, pf_val a, pf_val b, bool *out) PF_WUR;
pf_status_t pf_lt_run(pf_run *r, pf_val a, pf_val b, bool *out) PF_WUR;
pf_status_t pf_cmp_bool_run(pf_run *r, pf_cmpop op, pf_val a, pf_val b, bool *out) PF_WUR;
pf_status_t pf_contains_run(pf_run *r, pf_val c, pf_val item, bool *out) PF_WUR;
pf_status_t pf_repr_run(pf_run *r, pf_val v, bool str, pf_val *out) PF_WUR;
pf_status_t pf_iter_run(pf_run *r, pf_val src, pf_val *out) PF_WUR;
/* Keys of dicts and sets: instances whose class defines __eq__ are made identical to an
 * earlier equal key (by __hash__ then __eq__), so the identity-hashed containers of
 * core/value collide them as Python does. pf_canon_keys rewrites keys[0..n) in place;
 * pf_canon_key returns in *out (new) the key of container "c" (dict/set) equal to "key",
 * or "key" itself. */
pf_status_t pf_canon_keys(pf_run *r, pf_val *keys, size_t n) PF_WUR;
/* hash(v) with __hash__ of instances (TypeError for classes that define __eq__ only). */
pf_status_t pf_hash_run(pf_run *r, pf_val v, int64_t *out) PF_WUR;
/* Whether "v" is the NotImplemented singleton. */
bool pf_is_notimpl(pf_val v);
pf_status_t pf_canon_key(pf_run *r, pf_val c, pf_val key, pf_val *out) PF_WUR;
/* Collects all items of any iterable (borrowed) into *items_p (new refs, malloc'd). */
pf_status_t pf_collect_run(pf_run *r, pf_val src, pf_val **items_p, size_t *n_p) PF_WUR;
int pf_dict_pair(pf_run *r, pf_val p, size_t i, pf_val *k, pf_val *v);

/* str methods on code points (str_methods.c): -1 when "m" is not handled there. */
int pf_str_method2(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs,
                   const pf_val *kwn, pf_val *kwv, uint32_t nkw);
/* str_format.c: str.format; format(v, spec) with __format__; fmt % args with instances. */
int pf_str_format_run(pf_run *r, pf_val self, pf_val *args, uint32_t nargs, const pf_val *kwn,
                      pf_val *kwv, uint32_t nkw);
pf_status_t pf_format_run(pf_run *r, pf_val v, pf_val spec, pf_val *out) PF_WUR;
pf_status_t pf_mod_run(pf_run *r, pf_val fmt, pf_val args, pf_val *out) PF_WUR;
/* methods.c: more methods of data values (-1 when not handled); a <op> b with dunders. */
int pf_data_method2(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs);
/* For int(s)/float(s): str "v" with Unicode digits and spaces made ASCII (new). */
pf_status_t pf_ascii_digits(pf_run *r, pf_val v, pf_val *out) PF_WUR;
pf_status_t pf_binop_run(pf_run *r, pf_binop op, pf_val a, pf_val b, pf_val *out) PF_WUR;
/* -v, +v, ~v with __neg__/__pos__/__invert__ of instances (dunder.c). */
pf_status_t pf_unary_run(pf_run *r, pf_unop op, pf_val v, pf_val *out) PF_WUR;

/* Parallel folds (par.c). pf_par_poll: the safepoint of a sub-run (r->par set): publishes
 * its cursor, splits for idle workers, sets the sub-run's stop flag when it must stop.
 * pf_par_fold: for fold builtin "id" about to fold iterator "it" in native frame "f" (not
 * pushed yet; its accumulator register "nr_acc", its items/fsum state): 0 not splittable
 * (fold sequentially), 1 done (finish from the frame's state), 2 any()/all() decided,
 * 3 go on sequentially (the pipeline stands where the parallel part stopped), -1 error
 * pending in "r". pf_par_comp: calling comprehension "fn" on iterator "arg": 0 not
 * splittable, 1 with *out new, -1 error pending. */
void pf_par_poll(pf_run *r);
/* What a sub-run polls: its parent's cancel flag(s), and its subrange (NULL for a forked
 * call). "stop" is the sub-run's own cancel flag. */
struct pf_par_part {
  const atomic_int *cancel, *cancel2;
  const atomic_int *root_cancel; /* the computation's (pf_run.root_cancel of the sub-run) */
  struct pf_worker *w;
  struct pf_subrange *sr;
  pf_iter **bases; /* a fold part's copies of the base iterators */
  int64_t *starts; /* and the index of position 0 in each */
  uint32_t nbases;
  int64_t c0;      /* position (cursor) and Python position where the part started */
  uint64_t p0;
  atomic_int stop;
};
/* Whether run "r" may hand work to other workers (a pool of several, not too deeply nested). */
bool pf_par_possible(const pf_run *r);
/* Starts sub-run "s" of "prog" on worker pp->w, polling "pp", with the parent's native tier
 * "jit" (may be NULL). End it with pf_jit_bridge_end and pf_run_release. */
void pf_par_sub_init(pf_run *s, pf_program *prog, pf_par_part *pp, atomic_uint_fast64_t *progress,
                     size_t max_depth, uint32_t nest, const pf_jit_iface *jit);
/* The pending exception of sub-run "s" as an instance (new; unbound when out of memory). */
pf_val pf_par_sub_exception(pf_run *s);
/* Independent calls (fork.c): OP_CALL_FORK hands a call to an idle worker (1, R[i.a] then
 * holds a future) or declines (0: call it normally); OP_JOIN's pf_fork_join replaces the
 * future in register "reg" by the call's value (NS_RETURN with r->ret, NS_CALL when it runs
 * the call here after all, NS_RAISE). pf_fork_settle: frame "f" is being unwound with an
 * exception: its pending calls come first in Python order, so they are finished and the
 * first that raised replaces r->exc (true when it did). */
extern const pf_type pf_type_future;
int pf_fork_try(pf_run *r, pf_frame *f, pf_ins i);
int pf_fork_join(pf_run *r, pf_frame *f, uint32_t reg);
bool pf_fork_settle(pf_run *r, pf_frame *f);
int pf_par_fold(pf_run *r, pf_bi_id id, pf_val it, pf_val fn, pf_frame *f, pf_listb *items,
                pf_fsum **fs, bool *saw_float, int nr_acc);
int pf_par_comp(pf_run *r, pf_func *fn, pf_val arg, pf_val *out);

/* Raises StopIteration (with a generator's return value) for exhausted "it"; NS_RAISE. */
int pf_raise_stop(pf_run *r, pf_val it);

/* Lazy native iterators (iters.c): next item of an IT_NATIVE iterator; 1/0/-1 as above. */
int pf_lazy_next(pf_run *r, pf_iter *it, pf_val *out);
/* Builtins map/filter/zip/enumerate and itertools/functools/operator functions returning
 * new values; NS_RETURN with r->ret, or NS_RAISE. Borrow args. */
int pf_lazy_builtin(pf_run *r, pf_bi_id id, pf_val *args, uint32_t nargs, pf_val start);
int pf_module_lib_call(pf_run *r, const char *mod, const char *m, pf_val self, pf_val *args,
                       uint32_t nargs, const pf_val *kwnames, pf_val *kwvals, uint32_t nkw);

#endif
