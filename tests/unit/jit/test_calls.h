/* test_calls.c: native calls (calls_gen.h), added to suite "s". */
#ifndef PF_TEST_CALLS_H
#define PF_TEST_CALLS_H
#include <CUnit/Basic.h>
void pf_test_calls_add(CU_pSuite s);
#endif
