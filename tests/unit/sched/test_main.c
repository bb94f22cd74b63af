/* test_sched: CUnit main for core/sched (deque, subranges, pool, folds) and the topology
 * victim order. */
#include <stdio.h>

#include "test_sched.h"

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  if (sched_suite_deque() || sched_suite_subrange() || sched_suite_pool() || sched_suite_fold() ||
      sched_suite_remote()) {
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
