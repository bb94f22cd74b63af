/* test_main.c — the value module's unit tests: CPython-generated cases and hand-written ones. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv.h"

const char *tv_show(pf_status_t st, pf_val v, const pf_err *err) {
  static char bufs[4][4096];
  static int k;
  char *b = bufs[k++ & 3];
  if (st != PF_OK) {
    snprintf(b, 4096, "!%s: %s", pf_exc_name(err->kind), err->msg);
    return b;
  }
  pf_val r;
  pf_err e2;
  if (pf_val_repr(v, &r, &e2) != PF_OK) {
    snprintf(b, 4096, "<repr failed: %s>", e2.msg);
  } else {
    snprintf(b, 4096, "%s", pf_str_utf8(r, NULL));
    pf_decref(r);
  }
  pf_decref(v);
  return b;
}

pf_val tv_json(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  pf_val v = pf_none();
  pf_err err;
  pf_status_t st = pf_val_from_json(j, NULL, NULL, &v, &err);
  if (st != PF_OK)
    fprintf(stderr, "tv_json(%s): %s\n", text, err.msg);
  CU_ASSERT_EQUAL_FATAL(st, PF_OK);
  json_decref(j);
  return v;
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  tv_register_cases();
  tv_register_hand();
  tv_register_pvec();
  tv_register_pmap();
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  unsigned asserts = CU_get_number_of_asserts();
  CU_cleanup_registry();
  printf("asserts: %u, failures: %u\n", asserts, failures);
  return failures == 0 && CU_get_error() == CUE_SUCCESS ? 0 : 1;
}
