/* jit_bridge.c — the interpreter's side of the native tier: plain positional calls of
 * pf_func values go through the run's pf_jit_iface (jit/ fills it; this library never
 * links LLVM). Everything about hotness, compiling and deoptimising lives in jit/. */
#include "interp_int.h"

int pf_jit_bridge_call(pf_run *r, pf_func *fn, const pf_val *args, uint32_t n, pf_val *out) {
  const pf_jit_iface *j = r->jit;
  if (!j || r->depth >= r->max_depth)
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
