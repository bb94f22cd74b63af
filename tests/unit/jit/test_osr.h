/* test_osr.c: on-stack replacement cases (osr_gen.h), added to suite "s". */
#ifndef PF_TEST_OSR_H
#define PF_TEST_OSR_H
#include <CUnit/Basic.h>
void pf_test_osr_add(CU_pSuite s);
#endif
