/* CUnit: the int64 kernels against GMP's exact answers on boundary values; compiled
 * functions against the interpreter and CPython (diff_gen.h, from gen_diff.py): every
 * operator on boundary values (deoptimisation on overflow, division by zero), recursion,
 * range loops, globals, and random small functions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <gmp.h>
#include <jansson.h>

#include "pf_interp.h"
#include "pf_jit.h"

#include "interp_int.h"

#include "diff_gen.h"
#include "fold2_gen.h"
#include "fold_gen.h"
#include "inst_gen.h"
#include "test_calls.h"
#include "test_osr.h"
#include "test_util.h"

static pf_jit *jit;

static const int64_t samples[] = {
    INT64_MIN, INT64_MIN + 1, -(INT64_C(1) << 62), -(INT64_C(1) << 32) - 1, -(INT64_C(1) << 31),
    -1000003, -65, -64, -63, -7, -3, -2, -1, 0, 1, 2, 3, 7, 62, 63, 64, 65, 1000003,
    INT64_C(1) << 31, (INT64_C(1) << 32) + 1, INT64_C(3037000499), INT64_C(3037000500),
    INT64_C(1) << 62, INT64_MAX - 1, INT64_MAX};
#define NSAMPLES (sizeof samples / sizeof samples[0])

/* Python's exact a op b into "r"; returns 0, or 1 when Python raises (÷0, negative shift). */
static int exact(pf_binop op, int64_t a, int64_t b, mpz_t r) {
  mpz_t x, y;
  mpz_init_set_si(x, a);
  mpz_init_set_si(y, b);
  int raises = 0;
  switch (op) {
  case PF_OP_ADD: mpz_add(r, x, y); break;
  case PF_OP_SUB: mpz_sub(r, x, y); break;
  case PF_OP_MUL: mpz_mul(r, x, y); break;
  case PF_OP_FLOORDIV: if (b == 0) raises = 1; else mpz_fdiv_q(r, x, y); break;
  case PF_OP_MOD: if (b == 0) raises = 1; else mpz_fdiv_r(r, x, y); break;
  case PF_OP_LSHIFT:
    if (b < 0) raises = 1;
    else if (b > 200) mpz_set_ui(r, 12345); /* result too wide for int64 unless a == 0 */
    else mpz_mul_2exp(r, x, (mp_bitcnt_t)b);
    if (!raises && b > 200 && a == 0) mpz_set_ui(r, 0);
    break;
  case PF_OP_RSHIFT: if (b < 0) raises = 1; else mpz_fdiv_q_2exp(r, x, (mp_bitcnt_t)(b > 100 ? 100 : b)); break;
  case PF_OP_BITAND: mpz_and(r, x, y); break;
  case PF_OP_BITOR: mpz_ior(r, x, y); break;
  case PF_OP_BITXOR: mpz_xor(r, x, y); break;
  default: raises = 1;
  }
  mpz_clears(x, y, NULL);
  return raises;
}

/* A slow exit is only allowed where int64 cannot give Python's answer. */
static int slow_allowed(pf_binop op, int64_t a, int64_t b, int raises, const mpz_t r) {
  if (raises || !mpz_fits_slong_p(r))
    return 1;
  if ((op == PF_OP_FLOORDIV || op == PF_OP_MOD) && a == INT64_MIN && b == -1)
    return 1;
  if (op == PF_OP_LSHIFT && b >= 64)
    return 1;
  return 0;
}

static void check_op(pf_binop op) {
  pf_jit_i64_binop_fn fn = NULL;
  CU_ASSERT_FATAL(pf_jit_i64_binop(jit, op, &fn) == PF_OK);
  CU_ASSERT_FATAL(fn != NULL);
  mpz_t r;
  mpz_init(r);
  for (size_t i = 0; i < NSAMPLES; i++) {
    for (size_t j = 0; j < NSAMPLES; j++) {
      int64_t a = samples[i], b = samples[j], out = 0;
      int raises = exact(op, a, b, r);
      int slow = fn(a, b, &out);
      if (slow) {
        if (!slow_allowed(op, a, b, raises, r))
          fprintf(stderr, "op %d: %lld, %lld took the slow path\n", (int)op, (long long)a, (long long)b);
        CU_ASSERT(slow_allowed(op, a, b, raises, r));
      } else {
        CU_ASSERT(!raises);
        CU_ASSERT(mpz_fits_slong_p(r) && mpz_get_si(r) == out);
      }
    }
  }
  mpz_clear(r);
}

static void test_add(void) { check_op(PF_OP_ADD); }
static void test_sub(void) { check_op(PF_OP_SUB); }
static void test_mul(void) { check_op(PF_OP_MUL); }
static void test_floordiv(void) { check_op(PF_OP_FLOORDIV); }
static void test_mod(void) { check_op(PF_OP_MOD); }
static void test_lshift(void) { check_op(PF_OP_LSHIFT); }
static void test_rshift(void) { check_op(PF_OP_RSHIFT); }
static void test_bitops(void) {
  check_op(PF_OP_BITAND);
  check_op(PF_OP_BITOR);
  check_op(PF_OP_BITXOR);
}

static void test_cached_and_unsupported(void) {
  pf_jit_i64_binop_fn f1 = NULL, f2 = NULL;
  CU_ASSERT(pf_jit_i64_binop(jit, PF_OP_ADD, &f1) == PF_OK);
  CU_ASSERT(pf_jit_i64_binop(jit, PF_OP_ADD, &f2) == PF_OK);
  CU_ASSERT(f1 == f2);
  CU_ASSERT(pf_jit_i64_binop(jit, PF_OP_TRUEDIV, &f1) == PF_ENOTSUP);
  CU_ASSERT(pf_jit_i64_binop(jit, PF_OP_POW, &f1) == PF_ENOTSUP);
  pf_jit_destroy(NULL);
}

json_t *pf_test_run_ir(const char *ir, const pf_jit_iface *ji) {
  json_error_t je;
  json_t *doc = json_loads(ir, 0, &je);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  pf_program *p = NULL;
  json_t *err = NULL;
  pf_status_t st = pf_program_load(doc, &p, &err);
  json_decref(doc);
  if (st != PF_OK) {
    char *e = err ? json_dumps(err, 0) : NULL;
    fprintf(stderr, "load failed: %s %s\n", pf_status_str(st), e ? e : "");
    free(e);
    json_decref(err);
    return NULL;
  }
  pf_run_limits lim = {0, 0, NULL, NULL, ji};
  json_t *res = NULL;
  st = pf_program_run(p, NULL, &lim, &res);
  pf_program_destroy(p);
  CU_ASSERT_EQUAL(st, PF_OK);
  return res;
}

static void show(const char *what, const char *name, json_t *a, json_t *b) {
  char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);
  fprintf(stderr, "\n%s, case %s:\n  got      %.2000s\n  expected %.2000s\n", what, name,
          x ? x : "null", y ? y : "null");
  free(x);
  free(y);
}

/* Runs case "d" in the interpreter alone and with tier "ji": the same result JSON, whose
 * values are CPython's (d->expected). */
static void check_case(const dcase *d, const pf_jit_iface *ji) {
  json_t *plain = pf_test_run_ir(d->ir, NULL), *native = pf_test_run_ir(d->ir, ji);
  json_t *exp = json_loads(d->expected, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
  if (!plain || !native) {
    CU_FAIL("a case did not run");
    fprintf(stderr, "\ncase %s did not run\n", d->name);
  } else {
    if (!json_equal(native, plain))
      show("JIT differs from the interpreter", d->name, native, plain);
    CU_ASSERT(json_equal(native, plain));
    if (!json_equal(json_object_get(native, "values"), exp))
      show("JIT differs from CPython", d->name, native, exp);
    CU_ASSERT(json_equal(json_object_get(native, "values"), exp));
  }
  json_decref(exp);
  json_decref(plain);
  json_decref(native);
}

int64_t pf_test_stat(json_t *st, const char *k) {
  return (int64_t)json_integer_value(json_object_get(st, k));
}

/* Every case: interpreter alone == interpreter with the JIT compiling every call == CPython. */
static void run_differential(pf_jit_mode mode, unsigned hot) {
  pf_jit *t = NULL;
  char msg[256] = "";
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, mode, hot) == PF_OK);
  const pf_jit_iface *ji = pf_jit_iface_get(t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ji);
  for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
    check_case(&dcases[i], ji);
  }
  json_t *st = pf_jit_stats_json(t);
  char *txt = json_dumps(st, JSON_COMPACT);
  if (getenv("PF_JIT_TEST_STATS"))
    fprintf(stderr, "%s\n", txt);
  if (mode == PF_JIT_ALWAYS) {
    fprintf(stderr, "\njit stats (always): compiles %lld, native_calls %lld, deopts %lld, "
            "not compilable %zu, compile_ms_max %.1f\n", (long long)pf_test_stat(st, "compiles"),
            (long long)pf_test_stat(st, "native_calls"), (long long)pf_test_stat(st, "deopts"),
            json_array_size(json_object_get(st, "not_compilable")),
            json_real_value(json_object_get(st, "compile_ms_max")));
    CU_ASSERT(pf_test_stat(st, "compiles") >= 60);
    CU_ASSERT(pf_test_stat(st, "native_calls") >= 5000);
    CU_ASSERT(pf_test_stat(st, "deopts") >= 100);
    CU_ASSERT(pf_test_stat(st, "cache_hits") >= 1); /* each case is loaded twice */
    /* the sequence cases compile (tuples and lists of ints or floats as arguments); their
     * wrong items and indices out of range deoptimise */
    static const char *const seqfns[] = {"sdot", "sself", "stotal", "sitem", "sback"};
    json_t *nc = json_object_get(st, "not_compilable");
    for (size_t k = 0; k < json_array_size(nc); k++) {
      const char *fn = json_string_value(json_object_get(json_array_get(nc, k), "function"));
      const char *sig = json_string_value(json_object_get(json_array_get(nc, k), "signature"));
      for (size_t q = 0; q < sizeof seqfns / sizeof *seqfns; q++)
        if (fn && !strcmp(fn, seqfns[q]) && sig && strstr(sig, "sequence")) {
          fprintf(stderr, "\n%s%s not compiled: %s\n", fn, sig,
                  json_string_value(json_object_get(json_array_get(nc, k), "reason")));
          CU_FAIL("a sequence case did not compile");
        }
    }
  }
  free(txt);
  json_decref(st);
  pf_jit_destroy(t);
}

static void test_differential_always(void) { run_differential(PF_JIT_ALWAYS, 0); }
static void test_differential_auto(void) { run_differential(PF_JIT_AUTO, 1); }

/* What cannot be compiled is reported with its reason, and counted per call (always). */
static void test_not_compilable_reported(void) {
  pf_jit *t = NULL;
  char msg[256] = "";
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_ALWAYS, 0) == PF_OK);
  static const char *ir =
      "{\"ir_version\":1,\"files\":[\"t.py\"],\"definitions\":{},\"block\":{\"file\":0,"
      "\"line\":1,\"globals\":{},\"outputs\":[\"r\"],\"body\":["
      "{\"t\":\"FunctionDef\",\"line\":1,\"col\":0,\"name\":\"f\",\"args\":{\"t\":\"arguments\","
      "\"posonlyargs\":[],\"args\":[{\"t\":\"arg\",\"arg\":\"a\",\"line\":1,\"col\":6}],"
      "\"vararg\":null,\"kwonlyargs\":[],\"kw_defaults\":[],\"kwarg\":null,\"defaults\":[]},"
      "\"body\":[{\"t\":\"Return\",\"line\":2,\"col\":4,\"value\":{\"t\":\"Constant\","
      "\"line\":2,\"col\":11,\"value\":\"s\"}}],\"decorator_list\":[]},"
      "{\"t\":\"Assign\",\"line\":3,\"col\":0,\"targets\":[{\"t\":\"Name\",\"line\":3,"
      "\"col\":0,\"id\":\"r\"}],\"value\":{\"t\":\"Call\",\"line\":3,\"col\":4,\"func\":"
      "{\"t\":\"Name\",\"line\":3,\"col\":4,\"id\":\"f\"},\"args\":[{\"t\":\"Constant\","
      "\"line\":3,\"col\":6,\"value\":1}],\"keywords\":[]}}]}}";
  json_t *res = pf_test_run_ir(ir, pf_jit_iface_get(t));
  CU_ASSERT_PTR_NOT_NULL(res);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(res, "values"), "r")), "s");
  json_decref(res);
  json_t *st = pf_jit_stats_json(t);
  json_t *nc = json_object_get(st, "not_compilable");
  CU_ASSERT_EQUAL(json_array_size(nc), 1);
  json_t *e = json_array_get(nc, 0);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "function")), "f");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "signature")), "(int)");
  CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(e, "reason")), "f, line 2: a value that is not an int"));
  CU_ASSERT_EQUAL(pf_test_stat(e, "calls"), 1);
  CU_ASSERT_EQUAL(pf_test_stat(st, "not_compilable_calls"), 1);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(st, "mode")), "always");
  json_decref(st);
  pf_jit_destroy(t);
  pf_jit_mode m;
  CU_ASSERT(pf_jit_mode_parse("auto", &m) == PF_OK && m == PF_JIT_AUTO);
  CU_ASSERT(pf_jit_mode_parse("sometimes", &m) == PF_EINVAL);
  json_t *off = pf_jit_stats_json(NULL);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(off, "mode")), "off");
  json_decref(off);
}

/* ---------------------------------------------------------------- instances */

/* The reason "fn" (a qualified name's last part) is listed with for a signature with an
 * instance, or NULL when it is not listed so. */
static const char *inst_reason(json_t *st, const char *fn) {
  json_t *nc = json_object_get(st, "not_compilable");
  for (size_t k = 0; k < json_array_size(nc); k++) {
    json_t *e = json_array_get(nc, k);
    const char *f = json_string_value(json_object_get(e, "function"));
    const char *sig = json_string_value(json_object_get(e, "signature"));
    const char *dot = f ? strrchr(f, '.') : NULL;
    if (f && sig && strstr(sig, "instance of") && !strcmp(dot ? dot + 1 : f, fn))
      return json_string_value(json_object_get(e, "reason"));
  }
  return NULL;
}

/* Instances as native arguments (inst_gen.h): interpreter alone == JIT compiling every call
 * == CPython; the methods compile, the property and the attribute of another kind do not. */
static void test_instances(void) {
  pf_jit *t = NULL;
  char msg[256] = "";
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_ALWAYS, 0) == PF_OK);
  const pf_jit_iface *ji = pf_jit_iface_get(t);
  for (size_t i = 0; i < sizeof icases / sizeof icases[0]; i++) {
    check_case(&icases[i], ji);
  }
  json_t *st = pf_jit_stats_json(t);
  if (getenv("PF_JIT_TEST_STATS")) {
    char *txt = json_dumps(st, JSON_COMPACT);
    fprintf(stderr, "%s\n", txt);
    free(txt);
  }
  static const char *const compiled[] = {"dot", "norm2", "consts", "kinds", "grow", "ratio",
                                         "energy", "call_dot", "total", "same"};
  for (size_t k = 0; k < sizeof compiled / sizeof *compiled; k++) {
    const char *why = inst_reason(st, compiled[k]);
    if (why)
      fprintf(stderr, "\n%s not compiled: %s\n", compiled[k], why);
    CU_ASSERT_PTR_NULL(why);
  }
  const char *why = inst_reason(st, "twice");
  CU_ASSERT(why && strstr(why, "property"));
  CU_ASSERT(pf_test_stat(st, "native_calls") >= 150);
  why = inst_reason(st, "missing"); /* raises AttributeError on every path: interpreted */
  CU_ASSERT(why && strstr(why, "never returns"));
  CU_ASSERT(pf_test_stat(st, "deopts") >= 20); /* overflow, zero division, missing attribute */
  json_decref(st);
  pf_jit_destroy(t);
}

#define NGUARD (sizeof guard_names / sizeof guard_names[0])
typedef struct guard_vals {
  pf_val v[NGUARD];
} guard_vals;

static pf_status_t keep_guard(void *ctx, const char *name, pf_val v) {
  guard_vals *g = ctx;
  for (size_t i = 0; i < NGUARD; i++)
    if (!strcmp(name, guard_names[i]))
      g->v[i] = pf_incref(v);
  return PF_OK;
}

/* The guard: f(p) compiled for one class and layout runs natively only for instances of
 * that class and layout; instances of another layout, of a subclass and of another class
 * with the same attribute names get signatures of their own, each with the right result;
 * a second program defining the same classes reuses the compiled code. */
static void test_instance_guards(void) {
  pf_jit *t = NULL;
  char msg[256] = "";
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_ALWAYS, 0) == PF_OK);
  const pf_jit_iface *ji = pf_jit_iface_get(t);
  for (int round = 0; round < 2; round++) {
    json_t *doc = json_loads(guard_ir, 0, NULL), *err = NULL, *res = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    pf_program *p = NULL;
    CU_ASSERT_FATAL(pf_program_load(doc, &p, &err) == PF_OK);
    json_decref(doc);
    guard_vals g;
    memset(&g, 0, sizeof g);
    pf_run_limits lim = {0, 0, NULL, NULL, NULL};
    CU_ASSERT_FATAL(pf_program_run_ex(p, NULL, &lim, keep_guard, &g, &res) == PF_OK);
    json_decref(res);
    for (size_t i = 0; i < NGUARD; i++)
      CU_ASSERT_FATAL(g.v[i].tag == PF_OBJ);
    for (int rep = 0; rep < 2; rep++)
      for (size_t i = 1; i < NGUARD; i++) {
        pf_val out = pf_none();
        int rc = ji->call(ji->self, (struct pf_func *)g.v[0].u.o, &g.v[i], 1, 1000, NULL, NULL,
                          &out);
        CU_ASSERT_EQUAL(rc, 1);
        double got = out.tag == PF_FLOAT ? out.u.f : out.tag == PF_INT ? (double)out.u.i : -1e300;
        if (got != guard_expect[i - 1])
          fprintf(stderr, "\nf(%s): %g, expected %g\n", guard_names[i], got, guard_expect[i - 1]);
        CU_ASSERT(got == guard_expect[i - 1]);
        CU_ASSERT_EQUAL(out.tag, i == 3 ? PF_FLOAT : PF_INT); /* c = P(1.5, 2) */
      }
    for (size_t i = 0; i < NGUARD; i++)
      pf_decref(g.v[i]);
    pf_program_destroy(p);
    json_t *st = pf_jit_stats_json(t);
    CU_ASSERT_EQUAL(pf_test_stat(st, "compiles"), 4); /* a and b share one signature */
    CU_ASSERT(round == 0 || pf_test_stat(st, "cache_hits") >= 1);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(st, "not_compilable")), 0);
    json_decref(st);
  }
  pf_jit_destroy(t);
}

/* ---------------------------------------------------------------- fold kernels */

#define NFOLDFN (sizeof fold_names / sizeof fold_names[0])
typedef struct fold_fns {
  pf_val v[NFOLDFN];
} fold_fns;

static pf_status_t keep_fn(void *ctx, const char *name, pf_val v) {
  fold_fns *f = ctx;
  for (size_t i = 0; i < NFOLDFN; i++)
    if (!strcmp(name, fold_names[i]))
      f->v[i] = pf_incref(v);
  return PF_OK;
}

/* Loads and runs fold_ir; its functions in f->v (free them, then the program). */
static pf_program *fold_program(fold_fns *f) {
  json_t *doc = json_loads(fold_ir, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  pf_program *p = NULL;
  json_t *err = NULL, *res = NULL;
  CU_ASSERT_FATAL(pf_program_load(doc, &p, &err) == PF_OK);
  json_decref(doc);
  memset(f, 0, sizeof *f);
  pf_run_limits lim = {0, 0, NULL, NULL, NULL};
  CU_ASSERT_FATAL(pf_program_run_ex(p, NULL, &lim, keep_fn, f, &res) == PF_OK);
  json_decref(res);
  for (size_t i = 0; i < NFOLDFN; i++)
    CU_ASSERT_FATAL(f->v[i].tag == PF_OBJ);
  return p;
}

/* Folds fold_names[fi](start + i*step), i in [0, n), with kind "kind" through the tier's
 * iface; the iface's return. */
static int fold(const pf_jit_iface *ji, const fold_fns *f, size_t fi, int kind, int64_t start,
                int64_t step, int64_t n, int64_t total, pf_jit_fold_state *st) {
  memset(st, 0, sizeof *st);
  st->total = total;
  return ji->fold(ji->self, (struct pf_func *)f->v[fi].u.o, kind, start, step, n, 1000, NULL,
                  NULL, st);
}

static __int128 st128(const pf_jit_fold_state *st) {
  return (__int128)(((unsigned __int128)(uint64_t)st->hi << 64) | (uint64_t)st->lo);
}

static int64_t pyfloordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a % b < 0) != (b < 0))) ? q - 1 : q;
}

/* The fold kernels on their own: 128-bit sums of results near INT64_MAX / INT64_MIN, min/max
 * first and best (bools as bools), the element F deoptimises on, the element any/all stop
 * at, results a fold does not take natively, and the warm-start threshold of auto mode. */
static void test_fold_kernels(void) {
  enum { BIG, NEG, SCATTER, ODD, INV, HALF, NOTHING, MODZ, JOINMOD };
  pf_jit *t = NULL;
  char msg[256] = "";
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_ALWAYS, 0) == PF_OK);
  const pf_jit_iface *ji = pf_jit_iface_get(t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ji);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ji->fold);
  fold_fns f;
  pf_program *p = fold_program(&f);
  pf_jit_fold_state st;

  /* sums: every partial past int64 after one element, both signs, both step signs */
  const struct { size_t fn; int64_t start, step, n; } sums[] = {
      {BIG, 0, 1, 1000}, {BIG, 5, 3, 777}, {NEG, 0, 1, 1000}, {NEG, 100, -3, 7},
      {BIG, 1000, -1, 1}, {SCATTER, -50000, 7, 1024}};
  for (size_t k = 0; k < sizeof sums / sizeof sums[0]; k++) {
    __int128 want = 0;
    for (int64_t i = 0; i < sums[k].n; i++) {
      int64_t x = sums[k].start + i * sums[k].step;
      want += sums[k].fn == BIG ? (__int128)INT64_MAX - x
            : sums[k].fn == NEG ? (__int128)INT64_MIN + x
            : (__int128)(((x * 7919) % 10007 + 10007) % 10007 - 5000);
    }
    CU_ASSERT_EQUAL(fold(ji, &f, sums[k].fn, PF_JIT_FOLD_SUM, sums[k].start, sums[k].step,
                         sums[k].n, 0, &st), 1);
    CU_ASSERT_EQUAL(st.done, sums[k].n);
    CU_ASSERT(st128(&st) == want);
  }
  /* min / max: the first result and the best */
  for (int kind = PF_JIT_FOLD_MIN; kind <= PF_JIT_FOLD_MAX; kind++) {
    int64_t first = 0, best = 0;
    for (int64_t i = 0; i < 3000; i++) {
      int64_t x = 17 + 5 * i, v = ((x * 7919) % 10007) - 5000;
      if (i == 0)
        first = best = v;
      else if (kind == PF_JIT_FOLD_MIN ? v < best : v > best)
        best = v;
    }
    CU_ASSERT_EQUAL(fold(ji, &f, SCATTER, kind, 17, 5, 3000, 0, &st), 1);
    CU_ASSERT_EQUAL(st.done, 3000);
    CU_ASSERT_EQUAL(st.first, first);
    CU_ASSERT_EQUAL(st.best, best);
    CU_ASSERT_EQUAL(st.result_bool, 0);
  }
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_MIN, 0, 1, 10, 0, &st), 1);
  CU_ASSERT(st.result_bool && st.first == 0 && st.best == 0);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_MAX, 0, 1, 10, 0, &st), 1);
  CU_ASSERT(st.result_bool && st.first == 0 && st.best == 1);
  /* F deoptimises on x == 5 (division by zero): the elements before it are folded */
  CU_ASSERT_EQUAL(fold(ji, &f, INV, PF_JIT_FOLD_SUM, 0, 1, 10, 0, &st), 2);
  CU_ASSERT_EQUAL(st.done, 5);
  int64_t want = 0;
  for (int64_t x = 0; x < 5; x++)
    want += pyfloordiv(100, x - 5);
  CU_ASSERT(st128(&st) == want);
  CU_ASSERT_EQUAL(fold(ji, &f, INV, PF_JIT_FOLD_MAX, 2, 1, 10, 0, &st), 2);
  CU_ASSERT(st.done == 3 && st.first == pyfloordiv(100, -3) && st.best == pyfloordiv(100, -3));
  CU_ASSERT_EQUAL(fold(ji, &f, INV, PF_JIT_FOLD_SUM, 6, 1, 100, 0, &st), 1);
  CU_ASSERT_EQUAL(fold(ji, &f, INV, PF_JIT_FOLD_SUM, 5, 1, 100, 0, &st), 2);
  CU_ASSERT_EQUAL(st.done, 0);
  /* any / all stop at the deciding element */
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ANY, 0, 2, 50, 0, &st), 1);
  CU_ASSERT_EQUAL(st.done, 50);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ANY, 0, 2, 50, 0, &st), 1);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ANY, 10, 2, 50, 0, &st), 1);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ANY, 10, 1, 50, 0, &st), 3);
  CU_ASSERT_EQUAL(st.done, 1);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ALL, 1, 2, 50, 0, &st), 1);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ALL, 1, 4, 50, 0, &st), 1);
  CU_ASSERT_EQUAL(fold(ji, &f, ODD, PF_JIT_FOLD_ALL, 1, 3, 50, 0, &st), 3);
  CU_ASSERT_EQUAL(st.done, 1);
  CU_ASSERT_EQUAL(fold(ji, &f, HALF, PF_JIT_FOLD_ANY, 0, 1, 50, 0, &st), 3); /* 0.0, 0.5 */
  CU_ASSERT_EQUAL(st.done, 1);
  CU_ASSERT_EQUAL(fold(ji, &f, HALF, PF_JIT_FOLD_ALL, 0, 1, 50, 0, &st), 3);
  CU_ASSERT_EQUAL(st.done, 0);
  CU_ASSERT_EQUAL(fold(ji, &f, NOTHING, PF_JIT_FOLD_ANY, 0, 1, 50, 0, &st), 1);
  CU_ASSERT_EQUAL(fold(ji, &f, NOTHING, PF_JIT_FOLD_ALL, 0, 1, 50, 0, &st), 3);
  CU_ASSERT_EQUAL(st.done, 0);
  /* `a % b == 0` tests (a shortcut in compile.c), and one after a join where it must not apply */
  CU_ASSERT_EQUAL(fold(ji, &f, MODZ, PF_JIT_FOLD_SUM, -1000, 1, 2000, 0, &st), 1);
  CU_ASSERT(st128(&st) == fold_expect_modz);
  CU_ASSERT_EQUAL(fold(ji, &f, JOINMOD, PF_JIT_FOLD_SUM, -1000, 1, 2000, 0, &st), 1);
  CU_ASSERT(st128(&st) == fold_expect_joinmod);
  /* a sum of floats: each result, in order, for the caller's exact accumulator */
  int64_t rbuf[50];
  memset(&st, 0, sizeof st);
  st.rbuf = rbuf;
  CU_ASSERT_EQUAL(ji->fold(ji->self, (struct pf_func *)f.v[HALF].u.o, PF_JIT_FOLD_SUM, -7, 3, 50,
                           1000, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 50 && st.result_float && st.lo == 0 && st.hi == 0);
  for (int k = 0; k < 50; k++) {
    double d;
    memcpy(&d, &rbuf[k], sizeof d);
    CU_ASSERT_DOUBLE_EQUAL(d, (-7 + 3 * k) * 0.5, 0.0);
  }
  /* collect: every result, as its bits */
  memset(&st, 0, sizeof st);
  st.rbuf = rbuf;
  CU_ASSERT_EQUAL(ji->fold(ji->self, (struct pf_func *)f.v[SCATTER].u.o, PF_JIT_FOLD_COLLECT, 5,
                           -2, 50, 1000, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 50 && !st.result_float && !st.result_bool);
  for (int k = 0; k < 50; k++) {
    int64_t x = 5 - 2 * k;
    CU_ASSERT_EQUAL(rbuf[k], ((x * 7919) % 10007 + 10007) % 10007 - 5000);
  }
  /* not native: a sum of floats without a buffer, min of floats, sums of None */
  CU_ASSERT_EQUAL(fold(ji, &f, HALF, PF_JIT_FOLD_SUM, 0, 1, 50, 0, &st), 0);
  CU_ASSERT_EQUAL(fold(ji, &f, HALF, PF_JIT_FOLD_MIN, 0, 1, 50, 0, &st), 0);
  CU_ASSERT_EQUAL(fold(ji, &f, NOTHING, PF_JIT_FOLD_SUM, 0, 1, 50, 0, &st), 0);
  CU_ASSERT_EQUAL(fold(ji, &f, BIG, PF_JIT_FOLD_SUM, 0, 1, 0, 0, &st), 1); /* n = 0: ready */
  CU_ASSERT_EQUAL(fold(ji, &f, HALF, PF_JIT_FOLD_SUM, 0, 1, 0, 0, &st), 1);
  json_t *js = pf_jit_stats_json(t);
  CU_ASSERT(pf_test_stat(js, "fold_kernels") >= 10);
  json_decref(js);
  pf_jit_destroy(t);

  for (size_t i = 0; i < NFOLDFN; i++)
    pf_decref(f.v[i]);
  pf_program_destroy(p); /* its codes point at the records of the JIT destroyed above */

  /* auto: a fold below the warm-start size is left to the per-element path */
  p = fold_program(&f);
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_AUTO, 0) == PF_OK);
  ji = pf_jit_iface_get(t);
  CU_ASSERT_EQUAL(fold(ji, &f, BIG, PF_JIT_FOLD_SUM, 0, 1, 100, 9999, &st), 0);
  CU_ASSERT_EQUAL(fold(ji, &f, BIG, PF_JIT_FOLD_SUM, 0, 1, 100, 10000, &st), 1);
  CU_ASSERT_EQUAL(st.done, 100);
  js = pf_jit_stats_json(t);
  CU_ASSERT_EQUAL(pf_test_stat(js, "fold_kernels"), 1);
  CU_ASSERT_EQUAL(pf_test_stat(js, "compiles"), 1);
  json_decref(js);
  /* small folds: per element until they have asked for 10,000 elements, then the kernel is
   * compiled on the compile thread while they go on */
  for (int k = 0; k < 10; k++)
    CU_ASSERT_EQUAL(fold(ji, &f, NEG, PF_JIT_FOLD_MAX, 0, 1, 1000, 1000, &st), 0);
  int rc = 0;
  for (int k = 0; k < 500 && rc == 0; k++) {
    rc = fold(ji, &f, NEG, PF_JIT_FOLD_MAX, 0, 1, 1000, 1000, &st);
    if (rc == 0)
      nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  CU_ASSERT_EQUAL(rc, 1);
  CU_ASSERT(st.done == 1000 && st.first == INT64_MIN && st.best == INT64_MIN + 999);
  pf_jit_destroy(t);
  for (size_t i = 0; i < NFOLDFN; i++)
    pf_decref(f.v[i]);
  pf_program_destroy(p);
}

/* ---------------------------------------------------------------- wider fold kernels */

#define NFOLD2 (sizeof fold2_names / sizeof fold2_names[0])
enum { F2_XS, F2_MIXED, F2_GLOB, F2_CELL, F2_FILT, F2_BASE, F2_BASEF, F2_NEST, F2_YS, F2_ZIP3,
       F2_ZIP3F };
typedef struct fold2_vals {
  pf_val v[NFOLD2];
} fold2_vals;

static pf_status_t keep_val(void *ctx, const char *name, pf_val v) {
  fold2_vals *f = ctx;
  for (size_t i = 0; i < NFOLD2; i++)
    if (!strcmp(name, fold2_names[i]))
      f->v[i] = pf_incref(v);
  return PF_OK;
}

static int64_t xs_item(const pf_obj *o, int64_t i) {
  pf_val v = {.tag = PF_OBJ};
  v.u.o = (pf_obj *)o;
  return pf_list_get(v, (size_t)i).u.i;
}

/* The generator expression's function of output "i" (an unstarted generator). */
static struct pf_func *genfn(const fold2_vals *f, int i) {
  return (struct pf_func *)((pf_gen *)f->v[i].u.o)->frame->func;
}

static int fold2(const pf_jit_iface *ji, const fold2_vals *f, int i, int kind, int64_t start,
                 int64_t step, int64_t n, const pf_obj *seq, int64_t *rbuf, pf_jit_fold_state *st) {
  memset(st, 0, sizeof *st);
  st->seq = seq;
  st->rbuf = rbuf;
  return ji->fold(ji->self, (struct pf_func *)genfn(f, i), kind, start, step, n, 1000, NULL,
                  NULL, st);
}

/* Kernels of elements reading the block (a global list and int, a closure's tuple and
 * float), with a filter, and over a list's items (an item of another kind deoptimises). */
static void test_fold_wider(void) {
  char msg[256] = "";
  pf_jit *t = NULL;
  CU_ASSERT_FATAL(pf_jit_create(&t, msg, sizeof msg) == PF_OK);
  CU_ASSERT_FATAL(pf_jit_tier_start(t, PF_JIT_ALWAYS, 0) == PF_OK);
  const pf_jit_iface *ji = pf_jit_iface_get(t);
  json_t *doc = json_loads(fold2_ir, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  pf_program *p = NULL;
  json_t *err = NULL, *res = NULL;
  CU_ASSERT_FATAL(pf_program_load(doc, &p, &err) == PF_OK);
  json_decref(doc);
  fold2_vals f;
  memset(&f, 0, sizeof f);
  pf_run_limits lim = {0, 0, NULL, NULL, NULL};
  CU_ASSERT_FATAL(pf_program_run_ex(p, NULL, &lim, keep_val, &f, &res) == PF_OK);
  json_decref(res);
  for (size_t i = 0; i < NFOLD2; i++)
    CU_ASSERT_FATAL(f.v[i].tag == PF_OBJ);
  pf_jit_fold_state st;
  int64_t rbuf[1000];
  /* xs[i] * k, xs and k globals */
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_GLOB, PF_JIT_FOLD_SUM, 5, 3, 300, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 300 && st.kept == 300 && st.hi == 0 && st.lo == fold2_expect_glob);
  /* ys[i] * h over a closure's tuple of floats and float: each result, in order */
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_CELL, PF_JIT_FOLD_SUM, 999, -1, 1000, NULL, rbuf, &st), 1);
  CU_ASSERT(st.done == 1000 && st.kept == 1000 && st.result_float);
  bool same = true;
  for (int k = 0; k < 1000; k++) {
    double d;
    memcpy(&d, &rbuf[k], sizeof d);
    same = same && d == (999 - k) * 0.25 * 2.0;
  }
  CU_ASSERT(same);
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_CELL, PF_JIT_FOLD_SUM, 999, 1, 2, NULL, rbuf, &st), 2);
  CU_ASSERT_EQUAL(st.done, 1); /* index 1000: out of range, that element deoptimises */
  /* a filter: only the kept elements fold */
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_FILT, PF_JIT_FOLD_SUM, -50, 7, 150, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 150 && st.kept == fold2_expect_filt_kept && st.lo == fold2_expect_filt);
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_FILT, PF_JIT_FOLD_COLLECT, -50, 7, 150, NULL, rbuf, &st), 1);
  CU_ASSERT(st.kept == fold2_expect_filt_kept && rbuf[0] == fold2_expect_filt_0 &&
            rbuf[1] == fold2_expect_filt_1);
  /* the items of a list, from index 10 */
  const pf_obj *xs = f.v[F2_XS].u.o, *mixed = f.v[F2_MIXED].u.o;
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_BASE, PF_JIT_FOLD_SUM, 10, 1, 990, xs, NULL, &st), 1);
  CU_ASSERT(st.done == 990 && st.lo == fold2_expect_base);
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_BASEF, PF_JIT_FOLD_MAX, 0, 1, 1000, xs, NULL, &st), 1);
  CU_ASSERT(st.kept == fold2_expect_basef_kept && st.first_at == fold2_expect_basef_first &&
            st.first == xs_item(xs, fold2_expect_basef_first) && st.best == fold2_expect_basef_best);
  /* an item of another kind (2.5 at index 300): the elements before it are folded */
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_BASE, PF_JIT_FOLD_SUM, 0, 1, 1000, mixed, NULL, &st), 2);
  CU_ASSERT_EQUAL(st.done, 300);
  /* nested loops: the element of x is the inner loop's sum (sums only) */
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_NEST, PF_JIT_FOLD_SUM, -100, 1, 1100, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 1100 && st.hi == (fold2_expect_nest < 0 ? -1 : 0) &&
            st.lo == fold2_expect_nest);
  /* ... under max and min: the best over the inner loop, none (skipped) when it is empty */
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_NEST, PF_JIT_FOLD_MAX, -100, 1, 1100, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 1100 && st.kept == fold2_expect_nest_kept &&
            st.first_at == fold2_expect_nest_first_at && st.best == fold2_expect_nest_max);
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_NEST, PF_JIT_FOLD_MIN, -100, 1, 1100, NULL, NULL, &st), 1);
  CU_ASSERT(st.done == 1100 && st.kept == fold2_expect_nest_kept &&
            st.best == fold2_expect_nest_min);
  CU_ASSERT_EQUAL(fold2(ji, &f, F2_NEST, PF_JIT_FOLD_ANY, -100, 1, 1100, NULL, NULL, &st), 0);
  /* zip of three (a, b, c read at index x from the three sources, then k from the block) */
  const pf_obj *ys = f.v[F2_YS].u.o;
  memset(&st, 0, sizeof st);
  st.pair = 1;
  st.pseq[0] = xs, st.pseq[1] = ys, st.pseq[2] = xs;
  CU_ASSERT_EQUAL(ji->fold(ji->self, genfn(&f, F2_ZIP3), PF_JIT_FOLD_SUM, 7, 1, 993, 1000, NULL,
                           NULL, &st), 1);
  CU_ASSERT(st.done == 993 && st.hi == 0 && st.lo == fold2_expect_zip3);
  /* an item of another kind in the second source (2.5 at 300): that element deoptimises */
  memset(&st, 0, sizeof st);
  st.pair = 1;
  st.pseq[0] = xs, st.pseq[1] = mixed, st.pseq[2] = xs;
  CU_ASSERT_EQUAL(ji->fold(ji->self, genfn(&f, F2_ZIP3), PF_JIT_FOLD_SUM, 0, 1, 1000, 1000, NULL,
                           NULL, &st), 2);
  CU_ASSERT_EQUAL(st.done, 300);
  /* targets in another order than the sources, a filter, and a collect kernel */
  memset(&st, 0, sizeof st);
  st.pair = 1;
  st.pseq[0] = xs, st.pseq[1] = xs, st.pseq[2] = xs;
  CU_ASSERT_EQUAL(ji->fold(ji->self, genfn(&f, F2_ZIP3F), PF_JIT_FOLD_SUM, 0, 1, 300, 1000, NULL,
                           NULL, &st), 1);
  CU_ASSERT(st.done == 300 && st.kept == fold2_expect_zip3f_kept && st.lo == fold2_expect_zip3f);
  memset(&st, 0, sizeof st);
  st.pair = 1;
  st.pseq[0] = xs, st.pseq[1] = xs, st.pseq[2] = xs;
  st.rbuf = rbuf;
  CU_ASSERT_EQUAL(ji->fold(ji->self, genfn(&f, F2_ZIP3F), PF_JIT_FOLD_COLLECT, 0, 1, 300, 1000,
                           NULL, NULL, &st), 1);
  int64_t tot = 0;
  for (int64_t k = 0; k < st.kept; k++)
    tot += rbuf[k];
  CU_ASSERT(st.kept == fold2_expect_zip3f_kept && tot == fold2_expect_zip3f);
  /* a zip of two sources for an element unpacking three: not compiled */
  memset(&st, 0, sizeof st);
  st.pair = 1;
  st.pseq[0] = xs, st.pseq[1] = xs;
  CU_ASSERT_EQUAL(ji->fold(ji->self, genfn(&f, F2_ZIP3), PF_JIT_FOLD_SUM, 0, 1, 100, 1000, NULL,
                           NULL, &st), 0);
  /* a signature per kind of the block's values: stats name them */
  json_t *js = pf_jit_stats_json(t);
  CU_ASSERT(pf_test_stat(js, "fold_kernels") >= 9);
  json_decref(js);
  pf_jit_destroy(t);
  for (size_t i = 0; i < NFOLD2; i++)
    pf_decref(f.v[i]);
  pf_program_destroy(p);
}

int main(void) {
  char msg[256] = "";
  if (pf_jit_create(&jit, msg, sizeof msg) != PF_OK) {
    fprintf(stderr, "cannot create the JIT: %s\n", msg);
    return 1;
  }
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("jit_int64_kernels", NULL, NULL);
  CU_add_test(s, "add", test_add);
  CU_add_test(s, "sub", test_sub);
  CU_add_test(s, "mul", test_mul);
  CU_add_test(s, "floordiv", test_floordiv);
  CU_add_test(s, "mod", test_mod);
  CU_add_test(s, "lshift", test_lshift);
  CU_add_test(s, "rshift", test_rshift);
  CU_add_test(s, "bitops", test_bitops);
  CU_add_test(s, "cached_and_unsupported", test_cached_and_unsupported);
  CU_pSuite d = CU_add_suite("jit_compiled_functions", NULL, NULL);
  CU_add_test(d, "interpreter = JIT = CPython (always)", test_differential_always);
  CU_add_test(d, "interpreter = JIT = CPython (auto, background compiles)", test_differential_auto);
  CU_add_test(d, "not compilable: reported with reasons", test_not_compilable_reported);
  CU_add_test(d, "fold kernels: sums, min/max, deopts, any/all, warm start", test_fold_kernels);
  CU_add_test(d, "instances as arguments: attributes, methods, guards", test_instances);
  CU_add_test(d, "instances: keys guard class and layout, across programs", test_instance_guards);
  CU_add_test(d, "fold kernels: the block's values, filters, sequence bases", test_fold_wider);
  pf_test_osr_add(d);
  pf_test_calls_add(d);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  pf_jit_destroy(jit);
  return failed ? 1 : 0;
}
