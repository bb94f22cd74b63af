/* CUnit: the int64 kernels against GMP's exact answers on boundary values. */
#include <stdint.h>
#include <stdio.h>

#include <CUnit/Basic.h>
#include <gmp.h>

#include "pf_jit.h"

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
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  pf_jit_destroy(jit);
  return failed ? 1 : 0;
}
