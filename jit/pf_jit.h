/* pf_jit.h — the native tier: LLVM 14 ORC LLJIT through the C API (llvm-c/ only here).
 *
 * This slice holds the JIT instance and the building block every later compiled function
 * uses: Python-exact int64 arithmetic emitted inline, with overflow and the other cases
 * int64 cannot answer (division by zero, INT64_MIN // -1, wide shifts) sent to a slow path
 * that the caller supplies (the interpreter's big-int path, or a deoptimisation exit). */
#ifndef PF_JIT_H
#define PF_JIT_H

#include <stdint.h>

#include "pf_status.h"
#include "pf_value.h"

typedef struct pf_jit pf_jit;

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

#endif
