/* CUnit: native calls (jit/compile.c, docs/jit.md "Native calls"). Each program of
 * calls_gen.h (from gen_calls.py) makes recursive calls that --jit=always compiles at their
 * first call; the native calls return their results in registers, test the depth and tick
 * in the caller, and a self-recursive function has its twin inlined. The results — values,
 * or the exception — must be the interpreter's alone exactly and (where the depth limits
 * do not differ) CPython's; native calls must have run, and deoptimised where a case says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pf_interp.h"
#include "pf_jit.h"

#include "calls_gen.h"
#include "test_calls.h"
#include "test_util.h"

/* Whether result "res" is what CPython gave ("exp": {"r": v} or {"exception": type}). */
static bool as_cpython(json_t *res, json_t *exp) {
  json_t *ex = json_object_get(res, "exception");
  if (json_object_get(exp, "r"))
    return json_is_null(ex) && json_equal(json_object_get(json_object_get(res, "values"), "r"),
                                          json_object_get(exp, "r"));
  return ex && !strcmp(json_string_value(json_object_get(ex, "type")),
                       json_string_value(json_object_get(exp, "exception")));
}

static void show(const char *what, const char *name, json_t *a, json_t *b) {
  char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);
  fprintf(stderr, "\n%s, case %s:\n  got      %.1500s\n  expected %.1500s\n", what, name,
          x ? x : "null", y ? y : "null");
  free(x);
  free(y);
}

/* A new JIT in always mode (each run counts alone). */
static pf_jit *fresh_jit(void) {
  pf_jit *t = NULL;
  char msg[256] = "";
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_ALWAYS, 0) == PF_OK);
  return t;
}

static void test_native_calls(void) {
  for (size_t i = 0; i < sizeof ccases / sizeof ccases[0]; i++) {
    const ccase *c = &ccases[i];
    pf_jit *t = fresh_jit();
    json_t *plain = pf_test_run_ir(c->ir, NULL), *native = pf_test_run_ir(c->ir, pf_jit_iface_get(t));
    json_t *exp = json_loads(c->expected, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
    if (!json_equal(native, plain))
      show("native calls differ from the interpreter", c->name, native, plain);
    CU_ASSERT(json_equal(native, plain));
    if (c->cpython && !as_cpython(native, exp))
      show("native calls differ from CPython", c->name, native, exp);
    CU_ASSERT(!c->cpython || as_cpython(native, exp));
    json_t *st = pf_jit_stats_json(t);
    if (pf_test_stat(st, "native_calls") < 1 || pf_test_stat(st, "compile_failures") != 0 ||
        (c->deopts && pf_test_stat(st, "deopts") < 1) || getenv("PF_JIT_TEST_STATS")) {
      char *txt = json_dumps(st, JSON_COMPACT);
      fprintf(stderr, "\ncase %s: %s\n", c->name, txt);
      free(txt);
    }
    CU_ASSERT(pf_test_stat(st, "native_calls") >= 1);
    CU_ASSERT(pf_test_stat(st, "compile_failures") == 0);
    if (c->deopts)
      CU_ASSERT(pf_test_stat(st, "deopts") >= 1);
    json_decref(st);
    json_decref(exp);
    json_decref(plain);
    json_decref(native);
    pf_jit_destroy(t);
  }
}

/* calls_depth_probe's IR with N = "n": new text. */
static char *probe_ir(int64_t n) {
  const char *at = strstr(calls_depth_probe, CALLS_DEPTH_MARK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  size_t len = strlen(calls_depth_probe) + 32, pre = (size_t)(at - calls_depth_probe);
  char *ir = malloc(len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
  snprintf(ir, len, "%.*s%lld%s", (int)pre, calls_depth_probe, (long long)n,
           at + strlen(CALLS_DEPTH_MARK));
  return ir;
}

static int64_t result_int(json_t *res) {
  return (int64_t)json_integer_value(json_object_get(json_object_get(res, "values"), "r"));
}

/* RecursionError at the interpreter's depth: D, the deepest recursion the interpreter lets
 * down() make from probe(), then down(D) runs natively at once, with no deoptimisation (the
 * native depth test is not stricter), and down(D + 1) raises (not laxer), as interpreted. */
static void test_native_depth(void) {
  json_t *res = pf_test_run_ir(calls_depth_find, NULL);
  int64_t d = result_int(res);
  json_decref(res);
  CU_ASSERT_FATAL(d > 100);
  for (int64_t k = 0; k <= 1; k++) {
    char *ir = probe_ir(d + k);
    pf_jit *t = fresh_jit();
    json_t *plain = pf_test_run_ir(ir, NULL), *native = pf_test_run_ir(ir, pf_jit_iface_get(t));
    if (!json_equal(native, plain))
      show("native depth differs from the interpreter", k ? "D + 1" : "D", native, plain);
    CU_ASSERT(json_equal(native, plain));
    CU_ASSERT_EQUAL(result_int(native), k ? -1 : d);
    json_t *st = pf_jit_stats_json(t);
    if (!k) {
      if (pf_test_stat(st, "native_calls") != 1 || pf_test_stat(st, "deopts") != 0) {
        char *txt = json_dumps(st, JSON_COMPACT);
        fprintf(stderr, "\ndepth %lld: %s\n", (long long)d, txt);
        free(txt);
      }
      CU_ASSERT_EQUAL(pf_test_stat(st, "native_calls"), 1); /* down(D) from probe, natively */
      CU_ASSERT_EQUAL(pf_test_stat(st, "deopts"), 0);
    } else
      CU_ASSERT(pf_test_stat(st, "deopts") >= 1);
    json_decref(st);
    json_decref(native);
    json_decref(plain);
    pf_jit_destroy(t);
    free(ir);
  }
}

void pf_test_calls_add(CU_pSuite s) {
  CU_add_test(s, "native calls: RecursionError at the interpreter's depth", test_native_depth);
  CU_add_test(s, "native calls: depth, overflow mid-recursion, deopting callees, mutual "
                 "recursion, float results (always)", test_native_calls);
}
