/* CUnit: on-stack replacement (jit/osr.c). Each program of osr_gen.h (from gen_osr.py) calls
 * a function once that loops long; with --jit=always (the call itself is not compilable: a
 * default parameter) its frame enters native code at a sampled loop back-edge, and every
 * deoptimisation inside the OSR code resumes the interpreter where native code stopped. The
 * results — values, or the exception with its traceback — must be the interpreter's alone
 * and CPython's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pf_interp.h"
#include "pf_jit.h"

#include "osr_gen.h"
#include "test_osr.h"
#include "test_util.h"

/* Whether result "res" is what CPython gave ("exp": {"r": v} or {"exception", "line"}). */
static bool as_cpython(json_t *res, json_t *exp) {
  json_t *ex = json_object_get(res, "exception");
  if (json_object_get(exp, "r"))
    return json_is_null(ex) && json_equal(json_object_get(json_object_get(res, "values"), "r"),
                                          json_object_get(exp, "r"));
  if (!ex || strcmp(json_string_value(json_object_get(ex, "type")),
                    json_string_value(json_object_get(exp, "exception"))))
    return false;
  json_t *tb = json_object_get(ex, "traceback"); /* f's frame, at the line CPython names */
  for (size_t i = 0; i < json_array_size(tb); i++) {
    json_t *fr = json_array_get(tb, i);
    if (!strcmp(json_string_value(json_object_get(fr, "function")), "f"))
      return json_integer_value(json_object_get(fr, "line")) ==
             json_integer_value(json_object_get(exp, "line"));
  }
  return false;
}

static void show(const char *what, const char *name, json_t *a, json_t *b) {
  char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);
  fprintf(stderr, "\n%s, case %s:\n  got      %.1500s\n  expected %.1500s\n", what, name,
          x ? x : "null", y ? y : "null");
  free(x);
  free(y);
}

static void run_cases(pf_jit_mode mode) {
  for (size_t i = 0; i < sizeof ocases / sizeof ocases[0]; i++) {
    const ocase *c = &ocases[i];
    pf_jit *t = NULL;
    char msg[256] = "";
    CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
    CU_ASSERT_FATAL(pf_jit_tier_start(t, mode, 0) == PF_OK);
    json_t *plain = pf_test_run_ir(c->ir, NULL), *native = pf_test_run_ir(c->ir, pf_jit_iface_get(t));
    json_t *exp = json_loads(c->expected, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
    if (!json_equal(native, plain))
      show("OSR differs from the interpreter", c->name, native, plain);
    CU_ASSERT(json_equal(native, plain));
    if (!as_cpython(native, exp))
      show("OSR differs from CPython", c->name, native, exp);
    CU_ASSERT(as_cpython(native, exp));
    json_t *st = pf_jit_stats_json(t);
    if (mode == PF_JIT_ALWAYS && c->osr) { /* synchronous compiles: the loop went native */
      if (pf_test_stat(st, "osr_entries") < 1 || pf_test_stat(st, "osr_compiles") < 1 ||
          (c->deopts && pf_test_stat(st, "deopts") < 1)) {
        char *txt = json_dumps(st, JSON_COMPACT);
        fprintf(stderr, "\ncase %s: %s\n", c->name, txt);
        free(txt);
      }
      CU_ASSERT(pf_test_stat(st, "osr_compiles") >= 1);
      CU_ASSERT(pf_test_stat(st, "osr_entries") >= 1);
      if (c->deopts)
        CU_ASSERT(pf_test_stat(st, "deopts") >= 1);
    }
    json_decref(st);
    json_decref(exp);
    json_decref(plain);
    json_decref(native);
    pf_jit_destroy(t);
  }
}

static void test_osr_always(void) { run_cases(PF_JIT_ALWAYS); }
static void test_osr_auto(void) { run_cases(PF_JIT_AUTO); }

void pf_test_osr_add(CU_pSuite s) {
  CU_add_test(s, "OSR: rest of the loop native, deopts resume exactly (always)", test_osr_always);
  CU_add_test(s, "OSR: the same with background compiles (auto)", test_osr_auto);
}
