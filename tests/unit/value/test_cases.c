/* test_cases.c — runs the CPython-generated cases of cases_gen.h (gen_cases.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv.h"

#include "cases_gen.h"

static const struct {
  const char *name;
  pf_binop op;
} binops[] = {
    {"add", PF_OP_ADD},       {"sub", PF_OP_SUB},       {"mul", PF_OP_MUL},
    {"truediv", PF_OP_TRUEDIV}, {"floordiv", PF_OP_FLOORDIV}, {"mod", PF_OP_MOD},
    {"pow", PF_OP_POW},       {"lshift", PF_OP_LSHIFT}, {"rshift", PF_OP_RSHIFT},
    {"and", PF_OP_BITAND},    {"or", PF_OP_BITOR},      {"xor", PF_OP_BITXOR},
    {"fmt", PF_OP_MOD},
};
static const char *const cmps[] = {"eq", "ne", "lt", "le", "gt", "ge"};

/* Runs case "op" on "argv"; returns the status, *out new on success. */
static pf_status_t run(const char *op, size_t argc, pf_val *argv, pf_val *out, pf_err *err) {
  pf_val a = argc > 0 ? argv[0] : pf_none(), b = argc > 1 ? argv[1] : pf_unbound();
  int64_t n = 0;
  bool t = false;
  pf_status_t st;
  for (size_t i = 0; i < sizeof binops / sizeof *binops; i++)
    if (!strcmp(op, binops[i].name))
      return pf_val_binop(binops[i].op, a, b, out, err);
  for (int i = 0; i < 6; i++)
    if (!strcmp(op, cmps[i])) {
      st = pf_val_compare((pf_cmpop)i, a, b, out, err);
      if (st == PF_OK && i == PF_CMP_EQ) { /* pf_val_eq agrees with ==  */
        bool e;
        CU_ASSERT_EQUAL(pf_val_eq(a, b, &e, err), PF_OK);
        CU_ASSERT_EQUAL(e, out->u.i != 0);
      }
      return st;
    }
  if (!strncmp(op, "len_", 4)) {
    for (size_t i = 0; i < sizeof binops / sizeof *binops; i++)
      if (!strcmp(op + 4, binops[i].name)) {
        pf_val r;
        if (pf_val_binop(binops[i].op, a, b, &r, err) != PF_OK)
          return PF_EPYEXC;
        st = pf_val_len(r, &n, err);
        pf_decref(r);
        *out = pf_int(n);
        return st;
      }
  }
  if (!strncmp(op, "math:", 5))
    return pf_math_call(op + 5, argc, argv, out, err);
  if (!strncmp(op, "math~:", 6))
    return pf_math_call(op + 6, argc, argv, out, err);
  if (!strcmp(op, "format"))
    return pf_val_format(a, b, out, err);
  if (!strcmp(op, "divmod"))
    return pf_builtin_divmod(a, b, out, err);
  if (!strcmp(op, "neg"))
    return pf_val_unop(PF_OP_NEG, a, out, err);
  if (!strcmp(op, "pos"))
    return pf_val_unop(PF_OP_POS, a, out, err);
  if (!strcmp(op, "invert"))
    return pf_val_unop(PF_OP_INVERT, a, out, err);
  if (!strcmp(op, "not"))
    return pf_val_unop(PF_OP_NOT, a, out, err);
  if (!strcmp(op, "abs"))
    return pf_builtin_abs(a, out, err);
  if (!strcmp(op, "float"))
    return pf_val_to_float(a, out, err);
  if (!strcmp(op, "int"))
    return pf_val_to_int(a, out, err);
  if (!strcmp(op, "int_base")) {
    return pf_val_to_int_base(a, (int)b.u.i, out, err);
  }
  if (!strcmp(op, "round"))
    return pf_builtin_round(a, b, out, err);
  if (!strcmp(op, "pow3"))
    return pf_builtin_pow(a, b, argv[2], out, err);
  if (!strcmp(op, "hash")) {
    st = pf_val_hash(a, &n, err);
    *out = pf_int(n);
    return st;
  }
  if (!strcmp(op, "repr"))
    return pf_val_repr(a, out, err);
  if (!strcmp(op, "str"))
    return pf_val_str(a, out, err);
  if (!strcmp(op, "truthy")) {
    st = pf_val_truthy(a, &t, err);
    *out = pf_bool(t);
    return st;
  }
  if (!strcmp(op, "len")) {
    st = pf_val_len(a, &n, err);
    *out = pf_int(n);
    return st;
  }
  if (!strcmp(op, "hex"))
    return pf_builtin_hex(a, out, err);
  if (!strcmp(op, "oct"))
    return pf_builtin_oct(a, out, err);
  if (!strcmp(op, "bin"))
    return pf_builtin_bin(a, out, err);
  if (!strcmp(op, "ord"))
    return pf_builtin_ord(a, out, err);
  if (!strcmp(op, "chr"))
    return pf_builtin_chr(a, out, err);
  if (!strcmp(op, "getitem"))
    return pf_val_getitem(a, b, out, err);
  if (!strcmp(op, "slice"))
    return pf_val_getslice(a, argv[1], argv[2], argv[3], out, err);
  if (!strcmp(op, "contains")) {
    st = pf_val_contains(a, b, &t, err);
    *out = pf_bool(t);
    return st;
  }
  if (!strcmp(op, "range"))
    return pf_range_new(a.u.i, b.u.i, argv[2].u.i, out, err);
  if (!strcmp(op, "fsum")) {
    pf_fsum *acc = pf_fsum_new();
    for (size_t i = 0; i < argc; i++) {
      double d = argv[i].tag == PF_FLOAT ? argv[i].u.f : (double)argv[i].u.i;
      pf_fsum_add(acc, d);
    }
    double r = 0;
    st = pf_fsum_result(acc, &r, err);
    pf_fsum_free(acc);
    *out = pf_float(r);
    return st;
  }
  fprintf(stderr, "unknown case op %s\n", op);
  return pf_raise(err, PF_EXC_RuntimeError, "unknown op");
}

static void test_generated(void) {
  size_t ncases = sizeof gen_cases / sizeof *gen_cases, bad = 0;
  for (size_t c = 0; c < ncases; c++) {
    const char *op = gen_cases[c][0], *args = gen_cases[c][1], *exp = gen_cases[c][2];
    json_error_t je;
    json_t *j = json_loads(args, JSON_ALLOW_NUL, &je);
    if (!j) {
      fprintf(stderr, "case %zu: bad args %s: %s\n", c, args, je.text);
      bad++;
      continue;
    }
    size_t argc = json_array_size(j);
    pf_val *argv = calloc(argc + 4, sizeof *argv); /* +4: absent optional arguments */
    for (size_t i = argc; i < argc + 4; i++)
      argv[i] = pf_unbound();
    pf_err err = {0};
    bool ok = true;
    for (size_t i = 0; i < argc; i++)
      if (pf_val_from_json(json_array_get(j, i), NULL, NULL, &argv[i], &err) != PF_OK) {
        fprintf(stderr, "case %zu: decode %s: %s\n", c, args, err.msg);
        argc = i;
        ok = false;
        break;
      }
    json_decref(j);
    if (ok) {
      pf_val out = pf_none();
      pf_status_t st = run(op, argc, argv, &out, &err);
      const char *got = tv_show(st, out, &err);
      /* CPython's str(MemoryError()) and ours are both empty; messages otherwise exact */
      bool same = strcmp(got, exp) == 0;
      if (!same && !strncmp(op, "math~:", 6) && got[0] != '!' && exp[0] != '!') {
        double g = strtod(got, NULL), x = strtod(exp, NULL);
        same = fabs(g - x) <= 1e-13 * fabs(x); /* libm's gamma/lgamma, not CPython's */
      }
      if (!same) {
        if (bad < 300)
          fprintf(stderr, "case %zu: %s%s\n   expected %s\n   got      %s\n", c, op, args, exp,
                  got);
        bad++;
      }
    } else {
      bad++;
    }
    for (size_t i = 0; i < argc; i++)
      pf_decref(argv[i]);
    free(argv);
  }
  fprintf(stderr, "generated cases: %zu, mismatches: %zu\n", ncases, bad);
  CU_ASSERT_EQUAL(bad, 0);
}

void tv_register_cases(void) {
  CU_pSuite s = CU_add_suite("cpython_cases", NULL, NULL);
  CU_add_test(s, "generated operations vs CPython", test_generated);
}
