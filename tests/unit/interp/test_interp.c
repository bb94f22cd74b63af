/* CUnit: the interpreter end to end — IR validation errors, programs whose results were
 * computed with CPython (cases_gen.h), the seed example through definitions, NameError only
 * when executed, RecursionError, tracebacks, cancellation. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "pf_interp.h"

#include "cases_gen.h"

/* Loads "text"; returns the program or NULL with *err_p set. */
static pf_program *load_text(const char *text, json_t **err_p, pf_status_t *st_p) {
  json_error_t je;
  json_t *doc = json_loads(text, 0, &je);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  pf_program *p = NULL;
  *err_p = NULL;
  *st_p = pf_program_load(doc, &p, err_p);
  json_decref(doc);
  return p;
}

static json_t *run_text(const char *text) {
  json_t *err = NULL;
  pf_status_t st;
  pf_program *p = load_text(text, &err, &st);
  if (st != PF_OK) {
    char *s = err ? json_dumps(err, 0) : NULL;
    fprintf(stderr, "load failed: %s %s\n", pf_status_str(st), s ? s : "");
    free(s);
    json_decref(err);
    return NULL;
  }
  json_t *res = NULL;
  st = pf_program_run(p, NULL, NULL, &res);
  pf_program_destroy(p);
  CU_ASSERT_EQUAL(st, PF_OK);
  return res;
}

static void test_cases(void) {
  for (size_t i = 0; i < sizeof icases / sizeof icases[0]; i++) {
    if (!icases[i].expected)
      continue;
    json_t *res = run_text(icases[i].ir);
    CU_ASSERT_PTR_NOT_NULL(res);
    if (!res)
      continue;
    json_t *exp = json_loads(icases[i].expected, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
    bool ok = json_equal(json_object_get(res, "values"), json_object_get(exp, "values"));
    json_t *ge = json_object_get(res, "exception"), *ee = json_object_get(exp, "exception");
    if (json_is_null(ee))
      ok = ok && json_is_null(ge);
    else
      ok = ok && json_is_object(ge) &&
           json_equal(json_object_get(ge, "type"), json_object_get(ee, "type")) &&
           json_equal(json_object_get(ge, "message"), json_object_get(ee, "message"));
    if (!ok) {
      char *a = json_dumps(res, JSON_SORT_KEYS), *b = json_dumps(exp, JSON_SORT_KEYS);
      fprintf(stderr, "\ncase %s:\n  got      %s\n  expected %s\n", icases[i].name, a, b);
      free(a);
      free(b);
    }
    CU_ASSERT(ok);
    json_decref(exp);
    json_decref(res);
  }
}

/* ---------------------------------------------------------------- validation */

#define DOC(defs, body)                                                                 \
  "{\"ir_version\":1,\"files\":[\"f.py\"],\"definitions\":{" defs "},"                  \
  "\"block\":{\"file\":0,\"line\":1,\"globals\":{},\"outputs\":[\"x\"],\"body\":[" body "]}}"
#define ONE "{\"t\":\"Constant\",\"line\":1,\"col\":4,\"value\":1}"
#define NAMEX(l) "{\"t\":\"Name\",\"line\":" #l ",\"col\":0,\"id\":\"x\"}"
#define ASSIGN(v) "{\"t\":\"Assign\",\"line\":1,\"col\":0,\"targets\":[" NAMEX(1) "],\"value\":" v "}"

static void expect_error(const char *text, const char *type, const char *frag, int line) {
  json_t *err = NULL;
  pf_status_t st;
  pf_program *p = load_text(text, &err, &st);
  CU_ASSERT_EQUAL(st, PF_EPROTO);
  CU_ASSERT_PTR_NULL(p);
  pf_program_destroy(p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(err);
  const char *t = json_string_value(json_object_get(err, "type"));
  const char *m = json_string_value(json_object_get(err, "message"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(t, type);
  if (!strstr(m, frag))
    fprintf(stderr, "\nmessage '%s' lacks '%s'\n", m, frag);
  CU_ASSERT_PTR_NOT_NULL(strstr(m, frag));
  if (line) {
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(err, "line")), line);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(err, "file")), "f.py");
  }
  json_decref(err);
}

static void test_validation(void) {
  /* the well-formed base document loads */
  json_t *res = run_text(DOC("", ASSIGN(ONE)));
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "values"), "x")), 1);
  json_decref(res);

  expect_error("{\"ir_version\":2,\"files\":[],\"block\":{}}", "InvalidRequest",
               "unsupported IR version 2 (this daemon reads version 1)", 0);
  expect_error("[1]", "InvalidRequest", "must be a JSON object", 0);
  expect_error(DOC("", "{\"t\":\"Foo\",\"line\":1,\"col\":0}"), "InvalidRequest",
               "block.body[0]: unknown statement node 'Foo'", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"Pass\",\"line\":1,\"col\":0}")), "InvalidRequest",
               "block.body[0].value: unknown expression node 'Pass'", 0);
  expect_error(DOC("", "{\"t\":\"Assign\",\"line\":1,\"col\":0,\"targets\":[" NAMEX(1) "]}"),
               "InvalidRequest", "block.body[0].value: missing required field", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"Name\",\"line\":1,\"col\":0,\"id\":5}")), "InvalidRequest",
               "block.body[0].value.id: expected an identifier string", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"Name\",\"line\":1,\"col\":0,\"id\":\"a b\"}")),
               "InvalidRequest", "invalid identifier 'a b'", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"Name\",\"line\":\"1\",\"col\":0,\"id\":\"a\"}")),
               "InvalidRequest", "\"line\" must be an integer", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"BinOp\",\"line\":1,\"col\":0,\"left\":" ONE
                              ",\"op\":\"Plus\",\"right\":" ONE "}")),
               "InvalidRequest", "block.body[0].value.op: unknown binary operator 'Plus'", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"Compare\",\"line\":1,\"col\":0,\"left\":" ONE
                              ",\"ops\":[\"Lt\",\"Lt\"],\"comparators\":[" ONE "]}")),
               "InvalidRequest", "2 operators but 1 comparators", 0);
  expect_error(DOC("", ASSIGN("{\"t\":\"Constant\",\"line\":1,\"col\":0,\"value\":{\"list\":[]}}")),
               "InvalidRequest", "a Constant must be None, bool, int, float or str", 0);
  expect_error("{\"ir_version\":1,\"files\":[\"f.py\"],\"definitions\":{},\"block\":{\"file\":0,"
               "\"line\":1,\"globals\":{\"y\":\"d9\"},\"outputs\":[],\"body\":[]}}",
               "InvalidRequest", "block.globals.y: unknown definition id", 0);
  expect_error(DOC("\"d1\":{\"kind\":\"value\",\"value\":{\"ref\":\"d2\"}},"
                   "\"d2\":{\"kind\":\"value\",\"value\":{\"list\":[{\"ref\":\"d1\"}]}}", ASSIGN(ONE)),
               "InvalidRequest", "cycle in value references", 0);
  expect_error(DOC("\"m\":{\"kind\":\"module\",\"name\":\"os\"}", ASSIGN(ONE)), "InvalidRequest",
               "module 'os' is not allowed", 0);
  /* forbidden constructs, with file and line */
  expect_error(DOC("", ASSIGN(ONE) ",{\"t\":\"AugAssign\",\"line\":7,\"col\":0,\"target\":" NAMEX(7)
                   ",\"op\":\"Add\",\"value\":" ONE "}"),
               "PythonToForaConversionError",
               "augmented assignment (x += ...) is not allowed in pyfora code", 7);
  expect_error(DOC("", "{\"t\":\"Expr\",\"line\":3,\"col\":0,\"value\":{\"t\":\"Call\",\"line\":3,"
                   "\"col\":0,\"func\":{\"t\":\"Name\",\"line\":3,\"col\":0,\"id\":\"print\"},"
                   "\"args\":[],\"keywords\":[]}}"),
               "PythonToForaConversionError", "calls of print() are not allowed", 3);
  expect_error(DOC("", "{\"t\":\"Delete\",\"line\":2,\"col\":0,\"targets\":[]}"),
               "PythonToForaConversionError", "del statements are not allowed", 2);
  expect_error(DOC("", "{\"t\":\"Assign\",\"line\":4,\"col\":0,\"targets\":[{\"t\":\"Subscript\","
                   "\"line\":4,\"col\":0,\"value\":" NAMEX(4) ",\"slice\":" ONE "}],\"value\":" ONE "}"),
               "PythonToForaConversionError", "assignment to a subscript", 4);
  /* nesting deeper than the limit is refused, not a stack overflow */
  size_t depth = 1500;
  size_t cap = depth * 80 + 400;
  char *deep = malloc(cap);
  CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
  strcpy(deep, "{\"ir_version\":1,\"files\":[\"f.py\"],\"block\":{\"file\":0,\"line\":1,\"outputs\":[],"
               "\"body\":[{\"t\":\"Expr\",\"line\":1,\"col\":0,\"value\":");
  for (size_t i = 0; i < depth; i++)
    strcat(deep, "{\"t\":\"UnaryOp\",\"line\":1,\"col\":0,\"op\":\"USub\",\"operand\":");
  strcat(deep, ONE);
  for (size_t i = 0; i < depth; i++)
    strcat(deep, "}");
  strcat(deep, "}]}}");
  expect_error(deep, "InvalidRequest", "nesting deeper than 1000 levels", 0);
  /* just under the limit decodes, compiles and runs */
  depth = 990;
  strcpy(deep, "{\"ir_version\":1,\"files\":[\"f.py\"],\"block\":{\"file\":0,\"line\":1,\"outputs\":[\"x\"],"
               "\"body\":[{\"t\":\"Assign\",\"line\":1,\"col\":0,\"targets\":[" NAMEX(1) "],\"value\":");
  for (size_t i = 0; i < depth; i++)
    strcat(deep, "{\"t\":\"UnaryOp\",\"line\":1,\"col\":0,\"op\":\"USub\",\"operand\":");
  strcat(deep, ONE);
  for (size_t i = 0; i < depth; i++)
    strcat(deep, "}");
  strcat(deep, "}]}}");
  res = run_text(deep);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "values"), "x")), 1);
  json_decref(res);
  free(deep);
}

/* ---------------------------------------------------------------- runtime behaviour */

static json_t *run_prime(int64_t n, double *secs) {
  json_t *doc = json_loads(prime_ir, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  json_object_set_new(json_object_get(json_object_get(doc, "definitions"), "d2"), "value",
                      json_integer(n));
  pf_program *p = NULL;
  json_t *err = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_program_load(doc, &p, &err), PF_OK);
  json_decref(doc);
  json_t *res = NULL;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  CU_ASSERT_EQUAL(pf_program_run(p, NULL, NULL, &res), PF_OK);
  clock_gettime(CLOCK_MONOTONIC, &b);
  *secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  pf_program_destroy(p);
  return res;
}

static void test_prime(void) {
  double s;
  json_t *res = run_prime(10000, &s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "values"), "result")), 1231);
  CU_ASSERT(json_is_null(json_object_get(res, "exception")));
  json_decref(res);
  res = run_prime(100000, &s);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "values"), "result")), 9594);
  json_decref(res);
  const char *big = getenv("PF_INTERP_BENCH");
  if (big) {
    res = run_prime(1000000, &s);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "values"), "result")), 78500);
    fprintf(stderr, "\nisPrime N=10**6: %.3f s\n", s);
    json_decref(res);
  }
}

static const icase *find_case(const char *name) {
  for (size_t i = 0; i < sizeof icases / sizeof icases[0]; i++)
    if (!strcmp(icases[i].name, name))
      return &icases[i];
  return NULL;
}

static void test_tracebacks(void) {
  /* NameError only when executed: x and y are bound before the failing call on line 7 */
  json_t *res = run_text(find_case("name_error")->ir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  json_t *e = json_object_get(res, "exception");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "type")), "NameError");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "message")),
                         "name 'undefined_name' is not defined");
  json_t *tb = json_object_get(e, "traceback");
  CU_ASSERT_EQUAL_FATAL(json_array_size(tb), 2);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(tb, 0), "line")), 7);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tb, 0), "function")), "<block>");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(tb, 1), "line")), 3);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tb, 1), "function")), "f");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tb, 1), "file")), "t.py");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(res, "values"), "y")), 2);
  json_decref(res);

  /* unbounded recursion → RecursionError, no crash; traceback from the block inward */
  res = run_text(find_case("recursion")->ir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  e = json_object_get(res, "exception");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "type")), "RecursionError");
  tb = json_object_get(e, "traceback");
  CU_ASSERT(json_array_size(tb) > 1000);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(tb, 0), "line")), 4);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(tb, 1), "line")), 2);
  json_decref(res);

  /* through a method call (OP_GETMETH/OP_CALLMETH): w.push(2) on line 8, then
   * self.xs.append(v) (a list method, InvalidPyforaOperation) on line 5 of push */
  res = run_text(find_case("method_list_append")->ir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  e = json_object_get(res, "exception");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "type")), "InvalidPyforaOperation");
  tb = json_object_get(e, "traceback");
  CU_ASSERT_EQUAL_FATAL(json_array_size(tb), 2);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(tb, 0), "line")), 8);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tb, 0), "function")), "<block>");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(tb, 1), "line")), 5);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tb, 1), "function")), "push");
  json_decref(res);
}

static void test_definitions(void) {
  json_t *res = run_text(defs_ir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(res);
  json_t *exp = json_loads("{\"tuple\":[16,8,1012,5]}", 0, NULL);
  CU_ASSERT(json_equal(json_object_get(json_object_get(res, "values"), "r"), exp));
  CU_ASSERT(json_is_null(json_object_get(res, "exception")));
  json_decref(exp);
  json_decref(res);
}

static void test_cancel_and_limits(void) {
  const char *ir = find_case("recursion")->ir;
  json_t *err = NULL;
  pf_status_t st;
  pf_program *p = load_text(ir, &err, &st);
  CU_ASSERT_EQUAL_FATAL(st, PF_OK);
  pf_run_limits lim = {.max_depth = 50};
  json_t *res = NULL;
  CU_ASSERT_EQUAL(pf_program_run(p, NULL, &lim, &res), PF_OK);
  json_t *tb = json_object_get(json_object_get(res, "exception"), "traceback");
  CU_ASSERT(json_array_size(tb) <= 51 && json_array_size(tb) >= 49);
  json_decref(res);
  /* a program runs once */
  CU_ASSERT_EQUAL(pf_program_run(p, NULL, NULL, &res), PF_EINVAL);
  pf_program_destroy(p);

  /* an infinite loop stops at a safepoint when the flag is set */
  p = load_text(DOC("", "{\"t\":\"While\",\"line\":1,\"col\":0,\"test\":{\"t\":\"Constant\",\"line\":1,"
                        "\"col\":6,\"value\":true},\"body\":[{\"t\":\"Pass\",\"line\":2,\"col\":4}],"
                        "\"orelse\":[]}"),
                &err, &st);
  CU_ASSERT_EQUAL_FATAL(st, PF_OK);
  atomic_int flag = 1;
  res = NULL;
  /* the progress counter grows by 1024 at every poll of the flag (the first one cancels) */
  atomic_uint_fast64_t work = 0;
  pf_run_limits plim = {.progress = &work};
  CU_ASSERT_EQUAL(pf_program_run(p, &flag, &plim, &res), PF_ECANCELED);
  CU_ASSERT_PTR_NULL(res);
  CU_ASSERT_EQUAL(atomic_load(&work), 1024u);
  pf_program_destroy(p);
  pf_program_destroy(NULL);
  /* a fold over a huge range and a loop-free recursion poll the flag too */
  /* … and user code running inside a builtin (sorted's __lt__, a lazy map) */
  const char *names[] = {"cancel_fold", "cancel_recursion", "cancel_sync", "cancel_lazy"};
  for (int i = 0; i < 4; i++) {
    p = load_text(find_case(names[i])->ir, &err, &st);
    CU_ASSERT_EQUAL_FATAL(st, PF_OK);
    res = NULL;
    work = 0;
    CU_ASSERT_EQUAL(pf_program_run(p, &flag, &plim, &res), PF_ECANCELED);
    CU_ASSERT(atomic_load(&work) >= 1024u && atomic_load(&work) % 1024u == 0);
    pf_program_destroy(p);
  }
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  CU_pSuite s = CU_add_suite("interp", NULL, NULL);
  CU_add_test(s, "validation", test_validation);
  CU_add_test(s, "cases vs CPython", test_cases);
  CU_add_test(s, "isPrime seed", test_prime);
  CU_add_test(s, "NameError, RecursionError, tracebacks", test_tracebacks);
  CU_add_test(s, "function/class/value definitions", test_definitions);
  CU_add_test(s, "cancel and limits", test_cancel_and_limits);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
