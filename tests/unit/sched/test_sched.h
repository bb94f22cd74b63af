/* test_sched.h — the suites of test_sched, one per file. */
#ifndef TEST_SCHED_H
#define TEST_SCHED_H

#include <CUnit/Basic.h>

/* Each adds its suite to the CUnit registry; returns 0 or a CUnit error. */
int sched_suite_deque(void);
int sched_suite_subrange(void);
int sched_suite_pool(void);
int sched_suite_fold(void);
int sched_suite_remote(void);

#endif
