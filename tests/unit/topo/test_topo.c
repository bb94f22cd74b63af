/* CUnit: topology discovery, the pinning plan, and pinning the calling thread. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "pf_topo.h"

static void test_load_counts(void) {
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_topo_load(&t), PF_OK);
  pf_topo_counts c = pf_topo_get_counts(t);
  CU_ASSERT(c.packages >= 1);
  CU_ASSERT(c.numa_nodes >= 1);
  CU_ASSERT(c.cores >= 1);
  CU_ASSERT(c.pus >= c.cores);
  CU_ASSERT(c.pus >= c.packages);
  pf_topo_destroy(t);
  pf_topo_destroy(NULL);
}

static void test_plan(void) {
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_topo_load(&t), PF_OK);
  pf_topo_counts c = pf_topo_get_counts(t);
  /* The first "pus" workers get distinct PUs; worker pus + i wraps to worker i's PU. */
  for (unsigned i = 0; i < c.pus; i++) {
    for (unsigned j = 0; j < i; j++)
      CU_ASSERT_NOT_EQUAL(pf_topo_plan_pu(t, i), pf_topo_plan_pu(t, j));
    CU_ASSERT_EQUAL(pf_topo_plan_pu(t, i + c.pus), pf_topo_plan_pu(t, i));
  }
  FILE *f = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  pf_topo_print(t, 3, f);
  CU_ASSERT(ftell(f) > 0);
  fclose(f);
  pf_topo_destroy(t);
}

static void test_pin(void) {
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_topo_load(&t), PF_OK);
  cpu_set_t before;
  CU_ASSERT_EQUAL(sched_getaffinity(0, sizeof before, &before), 0);
  CU_ASSERT_EQUAL(pf_topo_pin_worker(t, 0), PF_OK);
  CU_ASSERT_EQUAL(sched_getcpu(), (int)pf_topo_plan_pu(t, 0));
  cpu_set_t now;
  CU_ASSERT_EQUAL(sched_getaffinity(0, sizeof now, &now), 0);
  CU_ASSERT_EQUAL(CPU_COUNT(&now), 1);
  CU_ASSERT(CPU_ISSET((int)pf_topo_plan_pu(t, 0), &now));
  /* memory: bound near the PU where there are several NUMA nodes, nothing to do otherwise */
  CU_ASSERT_EQUAL(pf_topo_bind_memory(t, 0), PF_OK);
  sched_setaffinity(0, sizeof before, &before);
  pf_topo_destroy(t);
}

/* A process started on some CPUs only keeps to them (taskset, Slurm): one PU left → a plan
 * of that PU alone. */
static void test_restricted_process(void) {
  cpu_set_t before;
  CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof before, &before), 0);
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &before))
      last = c;
  CU_ASSERT_FATAL(last >= 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(last, &one);
  CU_ASSERT_EQUAL_FATAL(sched_setaffinity(0, sizeof one, &one), 0);
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL(pf_topo_load(&t), PF_OK);
  if (t) {
    CU_ASSERT_EQUAL(pf_topo_get_counts(t).pus, 1);
    CU_ASSERT_EQUAL(pf_topo_plan_pu(t, 0), (unsigned)last);
    CU_ASSERT_EQUAL(pf_topo_plan_pu(t, 1), (unsigned)last);
    pf_topo_destroy(t);
  }
  sched_setaffinity(0, sizeof before, &before);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("topo", NULL, NULL);
  CU_add_test(s, "load and counts", test_load_counts);
  CU_add_test(s, "pinning plan", test_plan);
  CU_add_test(s, "pin the calling thread", test_pin);
  CU_add_test(s, "a process restricted to one CPU", test_restricted_process);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
