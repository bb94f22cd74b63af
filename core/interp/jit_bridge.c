/* jit_bridge.c — the interpreter's side of the native tier: plain positional calls of
 * pf_func values go through the run's pf_jit_iface (jit/ fills it; this library never
 * links LLVM). Everything about hotness, compiling and deoptimising lives in jit/. */
#include "interp_int.h"
#include "vm_int.h"

/* A run interprets the calls of a divide-and-conquer function (pf_code.fork_tree) in its top
 * NATIVE_FORK_DEPTH frames when other workers or machines could take work: there its
 * independent calls fork (fork.c), up to 2^6 pieces per run, and each piece then goes
 * native below that depth. Native code itself never forks. */
#define NATIVE_FORK_DEPTH 6

int pf_jit_bridge_call(pf_run *r, pf_func *fn, const pf_val *args, uint32_t n, pf_val *out) {
  const pf_jit_iface *j = r->jit;
  if (!j || r->depth >= r->max_depth)
    return 0;
  if (fn->code->fork_tree && r->depth < NATIVE_FORK_DEPTH && pf_par_possible(r))
    return 0;
  if (r->cancel && atomic_load_explicit(r->cancel, memory_order_relaxed))
    return 0; /* the interpreter stops at its next safepoint */
  /* native code polls the computation's flag: a sub-run's own flag is only set at the
   * interpreter's safepoints, which native code does not pass */
  const atomic_int *cancel = r->root_cancel ? r->root_cancel : r->cancel;
  int rc = j->call(j->self, fn, args, n, r->max_depth - r->depth, cancel, r->progress, out);
  if (rc == 1)
    r->jit_native++;
  else if (rc == 2) /* ran natively, deoptimised: the interpreter runs the call again */
    r->jit_deopt++;
  return rc == 1;
}

int pf_jit_bridge_method(pf_run *r, const pf_bound *b, const pf_val *args, uint32_t n,
                         pf_val *out) {
  if (!r->jit || b->start || !pf_is_type(b->fn, &pf_type_func) ||
      !pf_is_type(b->self, &pf_type_inst) || n >= 8)
    return 0;
  pf_val a2[8];
  a2[0] = b->self;
  for (uint32_t j = 0; j < n; j++)
    a2[j + 1] = args[j];
  return pf_jit_bridge_call(r, (pf_func *)b->fn.u.o, a2, n + 1, out);
}

int pf_jit_bridge_fold(pf_run *r, pf_func *fn, int kind, int64_t start, int64_t step, int64_t n,
                       pf_jit_fold_state *st) {
  const pf_jit_iface *j = r->jit;
  if (!j || !j->fold || r->depth >= r->max_depth)
    return 0;
  const atomic_int *cancel = r->root_cancel ? r->root_cancel : r->cancel;
  int rc = j->fold(j->self, fn, kind, start, step, n, r->max_depth - r->depth, cancel,
                   r->progress, st);
  if (rc != 0)
    r->jit_native += (uint64_t)st->done + (rc == 3);
  if (rc == 2)
    r->jit_deopt++;
  return rc;
}

int pf_jit_bridge_loop(pf_run *r, pf_frame *f, pf_val *out) {
  const pf_jit_iface *j = r->jit;
  if (!j)
    return 0;
  if (f->func)
    j->loop(j->self, f->func);
  else if (f->caller || f->code != r->prog->block_code)
    return 0; /* OSR: functions' frames, and the with-block's own code */
  if (!j->osr || f->kind != FR_CODE || f->gen || f->nfut)
    return 0;
  if (r->cancel && atomic_load_explicit(r->cancel, memory_order_relaxed))
    return 0; /* the caller stops at this safepoint */
  return j->osr(j->self, r, f, out);
}

void pf_jit_bridge_end(pf_run *r) {
  if (r->jit && (r->jit_native || r->jit_deopt))
    r->jit->flush(r->jit->self, r->jit_native, r->jit_deopt);
  r->jit_native = r->jit_deopt = 0;
}
