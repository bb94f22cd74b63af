/* pf_jit.h — the native tier: LLVM 14 ORC LLJIT through the C API (llvm-c/ only here).
 *
 * Hot functions of core/interp's bytecode are compiled for the types of their arguments
 * (int64, float, bool) and run natively through the pf_jit_iface table the interpreter
 * calls (docs/jit.md). Ints are exact: int64 arithmetic is emitted inline, and overflow and
 * the other cases int64 cannot answer (division by zero, INT64_MIN // -1, wide shifts) leave
 * native code (a deoptimisation: the interpreter runs the call again). The int64 kernels
 * below are that building block on its own, for tests. */
#ifndef PF_JIT_H
#define PF_JIT_H

#include <stdint.h>

#include <jansson.h>

#include "pf_interp.h"
#include "pf_status.h"
#include "pf_value.h"

typedef struct pf_jit pf_jit;

/* When functions are compiled: never; when hot (the default; compiled on the JIT's own
 * thread while workers go on interpreting); at their first call, synchronously. */
typedef enum pf_jit_mode { PF_JIT_OFF, PF_JIT_AUTO, PF_JIT_ALWAYS } pf_jit_mode;

/* A compiled kernel for one binary operator on two int64s: returns 0 and stores a op b in
 * *out when int64 holds the exact Python result; returns 1 (and leaves *out alone) when the
 * caller must take the exact slow path. */
typedef int (*pf_jit_i64_binop_fn)(int64_t a, int64_t b, int64_t *out);

/* Returns new JIT for the host (native target, -O2 pipeline) in *jit_p; free with
 * pf_jit_destroy. On failure returns PF_EIO and writes LLVM's message into "msg". */
pf_status_t pf_jit_create(pf_jit **jit_p, char *msg, size_t msg_len) PF_WUR;
/* Frees "jit" and all code it compiled; NULL is a no-op. */
void pf_jit_destroy(pf_jit *jit);

/* Compiles (once per operator; later calls return the cached function) the kernel for "op".
 * PF_ENOTSUP for operators without an int64 kernel (/, **, @). The function lives as long
 * as "jit". */
pf_status_t pf_jit_i64_binop(pf_jit *jit, pf_binop op, pf_jit_i64_binop_fn *fn_p) PF_WUR;

/* Parses "off" / "auto" / "always" into *mode_p; PF_EINVAL otherwise. */
pf_status_t pf_jit_mode_parse(const char *s, pf_jit_mode *mode_p) PF_WUR;
const char *pf_jit_mode_name(pf_jit_mode mode);

/* Starts the tier of "jit" in "mode" (for PF_JIT_AUTO: the compile thread; a function is hot
 * after "hot_calls" calls, 0 for the default). Call once, before pf_jit_iface_get. */
pf_status_t pf_jit_tier_start(pf_jit *jit, pf_jit_mode mode, unsigned hot_calls) PF_WUR;

/* The table the interpreter calls through (pf_run_limits.jit); NULL in PF_JIT_OFF. Borrowed:
 * valid until pf_jit_destroy. */
const pf_jit_iface *pf_jit_iface_get(pf_jit *jit);

/* Returns new JSON object of the tier's counters: mode, compiles, compile_failures,
 * compile_ms_total, compile_ms_max, compile_ms_last, cache_hits, native_calls, deopts,
 * not_compilable (one entry per function and signature, with the reason and the calls
 * that ran interpreted because of it). NULL "jit" gives the counters of mode "off". */
json_t *pf_jit_stats_json(pf_jit *jit);

#endif
