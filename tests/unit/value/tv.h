/* tv.h — helpers shared by the value module's tests. */
#ifndef TV_H
#define TV_H

#include <CUnit/CUnit.h>

#include "pf_value.h"

/* repr of "v" (taken) into a static rotating buffer, or "!Kind: msg" when "st" failed. */
const char *tv_show(pf_status_t st, pf_val v, const pf_err *err);
/* Decodes a JSON text in the wire encoding into a new value (asserts success). */
pf_val tv_json(const char *text);

void tv_register_cases(void);
void tv_register_hand(void);
void tv_register_pvec(void);
void tv_register_pmap(void);

/* Runs "workload" once cleanly, then again with allocation n failing for n = 0, 1, … until a
 * run no longer reaches the failure: each failing run must give MemoryError. Returns how many
 * allocation sites were exercised. */
long tv_sweep_alloc_failures(pf_status_t (*workload)(pf_err *err));

#endif
