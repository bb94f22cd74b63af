/* test_jit.c's helpers for the other JIT test files. */
#ifndef PF_TEST_UTIL_H
#define PF_TEST_UTIL_H
#include <stdint.h>

#include <jansson.h>

#include "pf_jit.h"

/* Runs IR text "ir" with the native tier "ji" (NULL: interpreter only); new result JSON
 * (NULL when the program does not load, which is reported). */
json_t *pf_test_run_ir(const char *ir, const pf_jit_iface *ji);
/* The integer "k" of a stats object "st" (0 when absent). */
int64_t pf_test_stat(json_t *st, const char *k);
#endif
