/* test_hand.c — hand-written value tests: memory limits, the JSON codec, containers,
 * strings, fsum merging, refcounts. Expected values were taken from CPython 3.11. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv.h"

static pf_val I(int64_t i) { return pf_int(i); }

static pf_val S(const char *s) {
  pf_val v = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(pf_str_from_cstr(s, &v, &err), PF_OK);
  return v;
}

static pf_val BIG(const char *dec) {
  pf_val v = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(pf_int_parse(dec, strlen(dec), 10, &v, &err), PF_OK);
  return v;
}

/* repr of a op b; takes a and b. */
static const char *bin(pf_binop op, pf_val a, pf_val b) {
  pf_val r = pf_none();
  pf_err err;
  pf_status_t st = pf_val_binop(op, a, b, &r, &err);
  pf_decref(a);
  pf_decref(b);
  return tv_show(st, r, &err);
}

#define SHOWS(expr, expected) CU_ASSERT_STRING_EQUAL(expr, expected)

static void test_int_edges(void) {
  SHOWS(bin(PF_OP_ADD, I(INT64_MAX), I(1)), "9223372036854775808");
  SHOWS(bin(PF_OP_SUB, I(INT64_MIN), I(1)), "-9223372036854775809");
  SHOWS(bin(PF_OP_FLOORDIV, I(INT64_MIN), I(-1)), "9223372036854775808");
  SHOWS(bin(PF_OP_MUL, I(INT64_MIN), I(-1)), "9223372036854775808");
  SHOWS(bin(PF_OP_MOD, I(INT64_MIN), I(-1)), "0");
  SHOWS(bin(PF_OP_MUL, I(INT64_C(4294967296)), I(INT64_C(4294967296))), "18446744073709551616");
  /* results that fit come back inline */
  pf_val r = pf_none();
  pf_err err;
  pf_val big = BIG("9223372036854775808");
  CU_ASSERT(pf_is_obj(big));
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_SUB, big, I(1), &r, &err), PF_OK);
  CU_ASSERT_EQUAL(r.tag, PF_INT);
  CU_ASSERT_EQUAL(r.u.i, INT64_MAX);
  CU_ASSERT_EQUAL(pf_val_unop(PF_OP_NEG, big, &r, &err), PF_OK);
  CU_ASSERT_EQUAL(r.tag, PF_INT);
  CU_ASSERT_EQUAL(r.u.i, INT64_MIN);
  CU_ASSERT_EQUAL(pf_val_unop(PF_OP_NEG, I(INT64_MIN), &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, r, &err), "9223372036854775808");
  CU_ASSERT_EQUAL(pf_builtin_abs(I(INT64_MIN), &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, r, &err), "9223372036854775808");
  pf_decref(big);
  /* mpz round trip */
  mpz_t z;
  mpz_init_set_str(z, "-123456789012345678901234567890", 10);
  CU_ASSERT_EQUAL(pf_int_from_mpz(z, &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, pf_incref(r), &err), "-123456789012345678901234567890");
  mpz_set_ui(z, 0);
  pf_int_to_mpz(r, z);
  CU_ASSERT(mpz_cmp_si(z, 0) < 0);
  pf_decref(r);
  mpz_set_si(z, -5);
  CU_ASSERT_EQUAL(pf_int_from_mpz(z, &r, &err), PF_OK);
  CU_ASSERT(r.tag == PF_INT && r.u.i == -5);
  mpz_clear(z);
  /* bool is an int */
  SHOWS(bin(PF_OP_ADD, pf_bool(true), I(1)), "2");
  SHOWS(bin(PF_OP_BITAND, pf_bool(true), pf_bool(false)), "False");
  SHOWS(bin(PF_OP_BITOR, pf_bool(true), pf_bool(false)), "True");
}

static void test_int_to_double(void) {
  struct {
    const char *dec;
    double want;
  } t[] = {
      {"9007199254740993", 9007199254740992.0},  /* 2**53+1: half-even down */
      {"9007199254740995", 9007199254740996.0},  /* 2**53+3: half-even up */
      {"18014398509481986", 18014398509481984.0}, /* 2**54+2: tie, even down */
      {"18014398509481990", 18014398509481992.0}, /* 2**54+6: tie, even up */
      {"18014398509481987", 18014398509481988.0}, /* 2**54+3: above the tie */
      {"9223372036854776833", 9223372036854777856.0}, /* 2**63+1025: sticky bit */
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    pf_val v = BIG(t[i].dec);
    double d = 0;
    pf_err err;
    CU_ASSERT_EQUAL(pf_int_to_double(v, &d, &err), PF_OK);
    CU_ASSERT_EQUAL(d, t[i].want);
    pf_decref(v);
  }
  pf_val huge = pf_none(), r;
  pf_err err;
  CU_ASSERT_EQUAL(pf_builtin_pow(I(10), I(400), pf_unbound(), &huge, &err), PF_OK);
  double d;
  CU_ASSERT_EQUAL(pf_int_to_double(huge, &d, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_OverflowError);
  CU_ASSERT_STRING_EQUAL(err.msg, "int too large to convert to float");
  /* 10**400 / 10**399 == 10.0 exactly */
  pf_val b = pf_none();
  CU_ASSERT_EQUAL(pf_builtin_pow(I(10), I(399), pf_unbound(), &b, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_TRUEDIV, huge, b, &r, &err), PF_OK);
  CU_ASSERT(r.tag == PF_FLOAT && r.u.f == 10.0);
  /* exact comparison of a huge int with a float */
  CU_ASSERT_EQUAL(pf_val_compare(PF_CMP_GT, huge, pf_float(1e308), &r, &err), PF_OK);
  CU_ASSERT(r.u.i == 1);
  CU_ASSERT_EQUAL(pf_val_compare(PF_CMP_LT, huge, pf_float(INFINITY), &r, &err), PF_OK);
  CU_ASSERT(r.u.i == 1);
  pf_decref(huge);
  pf_decref(b);
  pf_val n = BIG("9007199254740993");
  CU_ASSERT_EQUAL(pf_val_compare(PF_CMP_EQ, n, pf_float(9007199254740992.0), &r, &err), PF_OK);
  CU_ASSERT(r.u.i == 0);
  CU_ASSERT_EQUAL(pf_val_compare(PF_CMP_GT, n, pf_float(9007199254740992.0), &r, &err), PF_OK);
  CU_ASSERT(r.u.i == 1);
  pf_decref(n);
}

static void test_memory_limits(void) {
  pf_val r = pf_none(), e = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL(pf_builtin_pow(I(10), I(12), pf_unbound(), &e, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_POW, I(2), e, &r, &err), PF_EPYEXC); /* 2**(10**12) */
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_POW, I(7), e, &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_LSHIFT, I(1), e, &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  CU_ASSERT_EQUAL(pf_math_call("factorial", 1, &e, &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  pf_val ee = pf_none();
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_MUL, e, e, &ee, &err), PF_OK); /* 10**24 */
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_POW, I(3), ee, &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  /* trivial bases with huge exponents are fine */
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_POW, I(-1), ee, &r, &err), PF_OK);
  CU_ASSERT(r.tag == PF_INT && r.u.i == 1);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_RSHIFT, I(-5), ee, &r, &err), PF_OK);
  CU_ASSERT(r.tag == PF_INT && r.u.i == -1);
  /* big * big beyond the limit */
  pf_val x = pf_none();
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_LSHIFT, I(1), I(INT64_C(1) << 31), &x, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_MUL, x, x, &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  pf_decref(x);
  /* huge repetition */
  pf_val s = S("ab");
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_MUL, s, I(INT64_C(1) << 62), &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  pf_decref(s);
  pf_decref(e);
  pf_decref(ee);
}

static void test_float_repr(void) {
  struct {
    double d;
    const char *s;
  } t[] = {{1e16, "1e+16"},      {1e15, "1000000000000000.0"}, {1.5e-5, "1.5e-05"},
           {0.1, "0.1"},         {-0.0, "-0.0"},               {INFINITY, "inf"},
           {-INFINITY, "-inf"},  {NAN, "nan"},                 {1e-4, "0.0001"},
           {123.0, "123.0"},     {2.5e-308, "2.5e-308"},       {1.0 / 3, "0.3333333333333333"},
           {5e-324, "5e-324"},   {1.7976931348623157e308, "1.7976931348623157e+308"}};
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    pf_val r = pf_none();
    pf_err err;
    CU_ASSERT_EQUAL(pf_val_repr(pf_float(t[i].d), &r, &err), PF_OK);
    CU_ASSERT_STRING_EQUAL(pf_str_utf8(r, NULL), t[i].s);
    pf_decref(r);
    CU_ASSERT_EQUAL(pf_val_str(pf_float(t[i].d), &r, &err), PF_OK);
    CU_ASSERT_STRING_EQUAL(pf_str_utf8(r, NULL), t[i].s);
    pf_decref(r);
  }
}

static void test_hashes(void) {
  int64_t h1, h2, h3;
  pf_err err;
  CU_ASSERT_EQUAL(pf_val_hash(I(1), &h1, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(pf_float(1.0), &h2, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(pf_bool(true), &h3, &err), PF_OK);
  CU_ASSERT(h1 == 1 && h2 == 1 && h3 == 1);
  CU_ASSERT_EQUAL(pf_val_hash(I(-1), &h1, &err), PF_OK);
  CU_ASSERT_EQUAL(h1, -2);
  pf_val items[2] = {I(1), I(2)}, t = pf_none();
  CU_ASSERT_EQUAL(pf_tuple_new(2, items, &t, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(t, &h1, &err), PF_OK);
  CU_ASSERT_EQUAL(h1, INT64_C(-3550055125485641917)); /* python3 -c 'print(hash((1,2)))' */
  pf_decref(t);
  pf_val big = BIG("2305843009213693952"); /* 2**61 */
  CU_ASSERT_EQUAL(pf_val_hash(big, &h1, &err), PF_OK);
  CU_ASSERT_EQUAL(h1, 1);
  pf_decref(big);
  /* str: deterministic, equal strings hash equal */
  pf_val a = S("h\xc3\xa9llo"), b = pf_none(), c = S("h\xc3\xa9"), d = S("llo");
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_ADD, c, d, &b, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(a, &h1, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(b, &h2, &err), PF_OK);
  CU_ASSERT_EQUAL(h1, h2);
  pf_decref(a);
  pf_decref(b);
  pf_decref(c);
  pf_decref(d);
  pf_val l = pf_none();
  CU_ASSERT_EQUAL(pf_list_new(0, NULL, &l, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(l, &h1, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_TypeError);
  CU_ASSERT_STRING_EQUAL(err.msg, "unhashable type: 'list'");
  pf_decref(l);
}

static void test_str(void) {
  pf_val v = pf_none(), r = pf_none();
  pf_err err;
  /* invalid UTF-8: CESU surrogate, overlong, truncated, stray continuation */
  const char *bad[] = {"\xed\xa0\x80", "\xc0\x80", "\xe6\x97", "\x80", "a\xff"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CU_ASSERT_EQUAL(pf_str_new(bad[i], strlen(bad[i]), &v, &err), PF_EPYEXC);
    CU_ASSERT_EQUAL(err.kind, PF_EXC_UnicodeError);
  }
  CU_ASSERT_EQUAL(pf_str_new("a\0b", 3, &v, &err), PF_OK); /* NUL is a code point */
  CU_ASSERT_EQUAL(pf_str_len(v), 3);
  SHOWS(tv_show(PF_OK, v, &err), "'a\\x00b'");
  /* slicing by code point */
  v = S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e!"); /* 日本語! */
  CU_ASSERT_EQUAL(pf_str_len(v), 4);
  CU_ASSERT_EQUAL(pf_val_getslice(v, I(1), pf_none(), pf_none(), &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, r, &err), "'\xe6\x9c\xac\xe8\xaa\x9e!'");
  CU_ASSERT_EQUAL(pf_val_getslice(v, pf_none(), pf_none(), I(-2), &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, r, &err), "'!\xe6\x9c\xac'");
  CU_ASSERT_EQUAL(pf_val_getitem(v, I(-2), &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, r, &err), "'\xe8\xaa\x9e'");
  CU_ASSERT_EQUAL(pf_val_getitem(v, I(4), &r, &err), PF_EPYEXC);
  CU_ASSERT_STRING_EQUAL(err.msg, "string index out of range");
  pf_decref(v);
  /* str % */
  pf_val fmt = S("%s=%5.2f %d%%"), args[3] = {S("x"), pf_float(3.14159), I(42)}, tup;
  CU_ASSERT_EQUAL(pf_tuple_new(3, args, &tup, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_binop(PF_OP_MOD, fmt, tup, &r, &err), PF_OK);
  SHOWS(tv_show(PF_OK, r, &err), "'x= 3.14 42%'");
  pf_decref(fmt);
  pf_decref(tup);
}

static void test_containers(void) {
  pf_err err;
  pf_val keys[4] = {I(1), S("a"), pf_float(1.0), pf_bool(true)};
  pf_val vals[4] = {S("one"), I(2), S("float"), S("bool")};
  pf_val d = pf_none(), r = pf_none(), k, x;
  CU_ASSERT_EQUAL(pf_dict_new(4, keys, vals, &d, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_dict_len(d), 2);
  pf_dict_entry(d, 0, &k, &x);
  CU_ASSERT(k.tag == PF_INT && k.u.i == 1); /* first key object kept */
  SHOWS(tv_show(PF_OK, pf_incref(d), &err), "{1: 'bool', 'a': 2}");
  bool found;
  CU_ASSERT_EQUAL(pf_dict_lookup(d, pf_float(1.0), &found, &x, &err), PF_OK);
  CU_ASSERT(found);
  CU_ASSERT_EQUAL(pf_val_getitem(d, I(7), &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_KeyError);
  CU_ASSERT_STRING_EQUAL(err.msg, "7");
  pf_decref(d);
  /* unhashable key: everything taken is released */
  pf_val l = pf_none();
  CU_ASSERT_EQUAL(pf_list_new(0, NULL, &l, &err), PF_OK);
  pf_val k2[2] = {S("ok"), l}, v2[2] = {S("v"), S("w")};
  CU_ASSERT_EQUAL(pf_dict_new(2, k2, v2, &d, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_TypeError);
  /* list builder */
  pf_listb b;
  pf_listb_init(&b);
  for (int i = 0; i < 1000; i++)
    CU_ASSERT_EQUAL(pf_listb_push(&b, I(i), &err), PF_OK);
  CU_ASSERT_EQUAL(pf_listb_push(&b, S("end"), &err), PF_OK);
  CU_ASSERT_EQUAL(pf_listb_finish(&b, false, &l, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_list_len(l), 1001);
  CU_ASSERT_EQUAL(pf_list_get(l, 999).u.i, 999);
  CU_ASSERT_STRING_EQUAL(pf_type_name(l), "list");
  pf_decref(l);
  pf_listb_init(&b);
  CU_ASSERT_EQUAL(pf_listb_push(&b, S("dropped"), &err), PF_OK);
  pf_listb_discard(&b);
  /* sets */
  pf_val items[3] = {I(3), pf_float(3.0), I(4)}, s = pf_none();
  CU_ASSERT_EQUAL(pf_set_new(3, items, true, &s, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_set_len(s), 2);
  CU_ASSERT_STRING_EQUAL(pf_type_name(s), "frozenset");
  SHOWS(tv_show(PF_OK, s, &err), "frozenset({3, 4})");
  /* range */
  int64_t a, z, st, n;
  CU_ASSERT_EQUAL(pf_range_new(INT64_MIN, INT64_MAX, 1, &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_OverflowError);
  CU_ASSERT_EQUAL(pf_range_new(INT64_MAX, INT64_MIN, -3, &r, &err), PF_OK);
  pf_range_get(r, &a, &z, &st, &n);
  CU_ASSERT(a == INT64_MAX && z == INT64_MIN && st == -3 && n == INT64_C(6148914691236517205));
  pf_decref(r);
  CU_ASSERT_EQUAL(pf_range_new(0, 10, 0, &r, &err), PF_EPYEXC);
  CU_ASSERT_STRING_EQUAL(err.msg, "range() arg 3 must not be zero");
}

/* ---------------------------------------------------------------- JSON */

static const char *roundtrip(const char *text) {
  pf_val v = tv_json(text), w = pf_none();
  json_t *j = NULL;
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(pf_val_to_json(v, &j, &err), PF_OK);
  char *dumped = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
  json_decref(j);
  pf_val v2 = tv_json(dumped);
  free(dumped);
  bool eq = false;
  CU_ASSERT_EQUAL(pf_val_eq(v, v2, &eq, &err), PF_OK);
  const char *r1 = tv_show(PF_OK, v, &err);
  const char *r2 = tv_show(PF_OK, v2, &err);
  CU_ASSERT_STRING_EQUAL(r1, r2); /* (nan != nan, so compare the reprs too) */
  (void)w;
  return r2;
}

static void test_json_roundtrip(void) {
  SHOWS(roundtrip("null"), "None");
  SHOWS(roundtrip("true"), "True");
  SHOWS(roundtrip("-9223372036854775808"), "-9223372036854775808");
  SHOWS(roundtrip("{\"int\": \"8000000000000000\"}"), "9223372036854775808");
  SHOWS(roundtrip("{\"int\": \"-8000000000000001\"}"), "-9223372036854775809");
  SHOWS(roundtrip("{\"int\": \"-1f3a0000000000000000000000\"}"),
        "-2474023168511832479385899761664");
  SHOWS(roundtrip("{\"int\": \"5\"}"), "5"); /* normalised to inline */
  SHOWS(roundtrip("0.1"), "0.1");
  SHOWS(roundtrip("-0.0"), "-0.0");
  SHOWS(roundtrip("1e+16"), "1e+16");
  SHOWS(roundtrip("5e-324"), "5e-324");
  SHOWS(roundtrip("1.7976931348623157e+308"), "1.7976931348623157e+308");
  SHOWS(roundtrip("{\"float\": \"nan\"}"), "nan");
  SHOWS(roundtrip("{\"float\": \"-inf\"}"), "-inf");
  SHOWS(roundtrip("\"h\\u00e9 \\ud83d\\ude00 \\u0000\""), "'h\xc3\xa9 \xf0\x9f\x98\x80 \\x00'");
  SHOWS(roundtrip("{\"tuple\": [1, {\"list\": [2.5, \"x\"]}, {\"tuple\": []}]}"),
        "(1, [2.5, 'x'], ())");
  SHOWS(roundtrip("{\"dict\": [[\"b\", 1], [\"a\", {\"set\": [1, 2]}], [\"b\", 3]]}"),
        "{'b': 3, 'a': {1, 2}}");
  SHOWS(roundtrip("{\"frozenset\": [{\"tuple\": [1, 2]}]}"), "frozenset({(1, 2)})");
  SHOWS(roundtrip("{\"set\": []}"), "set()");
  SHOWS(roundtrip("{\"range\": [10, -3, -2]}"), "range(10, -3, -2)");
  SHOWS(roundtrip("{\"list\": [{\"dict\": []}, {\"float\": \"inf\"}, null, false]}"),
        "[{}, inf, None, False]");
}

static void expect_reject(const char *text, pf_exc_kind kind) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  pf_val v = pf_none();
  pf_err err = {0};
  pf_status_t st = pf_val_from_json(j, NULL, NULL, &v, &err);
  if (st == PF_OK) {
    fprintf(stderr, "accepted malformed %s\n", text);
    pf_decref(v);
  }
  CU_ASSERT_EQUAL(st, PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, kind);
  json_decref(j);
}

static void test_json_reject(void) {
  const char *bad[] = {
      "{\"int\": \"1G\"}",       "{\"int\": \"0x1f\"}",   "{\"int\": \"1F\"}",
      "{\"int\": \"\"}",         "{\"int\": \"-\"}",      "{\"int\": \"+1\"}",
      "{\"int\": 5}",            "{\"int\": \" 1\"}",     "{\"float\": \"NaN\"}",
      "{\"float\": 1.5}",        "{\"float\": \"1.5\"}",  "{\"foo\": 1}",
      "{}",                      "{\"tuple\": [1], \"list\": []}", "[1, 2]",
      "{\"tuple\": 1}",          "{\"dict\": [[1]]}",     "{\"dict\": [1, 2]}",
      "{\"dict\": {\"a\": 1}}",  "{\"range\": [1, 2]}",   "{\"range\": [1, 2, 0]}",
      "{\"range\": [1, 2.0, 1]}", "{\"ref\": \"d1\"}",    "{\"exception\": {\"type\": \"E\"}}",
      "{\"unconvertible\": \"generator\"}", "{\"list\": [1, {\"bad\": 2}]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    expect_reject(bad[i], PF_EXC_ValueError);
  /* an unhashable key is a TypeError */
  expect_reject("{\"dict\": [[{\"list\": []}, 1]]}", PF_EXC_TypeError);
  /* lone surrogates: jansson refuses them when parsing; a JSON string built from raw
   * bytes is validated again by the decoder */
  json_error_t je;
  CU_ASSERT_PTR_NULL(json_loads("\"\\ud800\"", JSON_DECODE_ANY, &je));
  CU_ASSERT_PTR_NULL(json_loads("18446744073709551616", JSON_DECODE_ANY, &je));
  json_t *j = json_stringn_nocheck("\xed\xa0\x80", 3);
  pf_val v = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL(pf_val_from_json(j, NULL, NULL, &v, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_ValueError);
  json_decref(j);
  /* deep nesting is refused, not a stack overflow */
  size_t depth = 5000;
  char *deep = malloc(depth * 12 + 8);
  char *p = deep;
  for (size_t i = 0; i < depth; i++)
    p += sprintf(p, "{\"list\":[");
  p += sprintf(p, "1");
  for (size_t i = 0; i < depth; i++)
    p += sprintf(p, "]}");
  j = json_loads(deep, 0, &je);
  free(deep);
  if (j) { /* jansson may refuse it itself */
    CU_ASSERT_EQUAL(pf_val_from_json(j, NULL, NULL, &v, &err), PF_EPYEXC);
    json_decref(j);
  }
}

static pf_status_t resolve(void *ctx, const char *id, pf_val *out, pf_err *err) {
  if (strcmp(id, "d7") != 0)
    return pf_raise(err, PF_EXC_ValueError, "unknown definition %s", id);
  *out = pf_incref(*(pf_val *)ctx);
  return PF_OK;
}

static void foreign_destroy(pf_obj *o) { free(o); }
static const pf_type foreign_type = {.name = "generator", .destroy = foreign_destroy};

static void test_json_refs_and_foreign(void) {
  pf_val target = S("shared");
  json_error_t je;
  json_t *j = json_loads("{\"tuple\": [{\"ref\": \"d7\"}, {\"ref\": \"d7\"}]}", 0, &je);
  pf_val v = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL(pf_val_from_json(j, resolve, &target, &v, &err), PF_OK);
  SHOWS(tv_show(PF_OK, v, &err), "('shared', 'shared')");
  json_decref(j);
  j = json_loads("{\"ref\": \"d8\"}", 0, &je);
  CU_ASSERT_EQUAL(pf_val_from_json(j, resolve, &target, &v, &err), PF_EPYEXC);
  json_decref(j);
  pf_decref(target);
  /* foreign objects */
  pf_obj *o = malloc(sizeof *o);
  pf_obj_init(o, &foreign_type);
  pf_val items[2] = {pf_obj_val(o), I(1)}, t = pf_none();
  CU_ASSERT_EQUAL(pf_tuple_new(2, items, &t, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_to_json(t, &j, &err), PF_OK);
  char *s = json_dumps(j, JSON_COMPACT);
  CU_ASSERT_STRING_EQUAL(s, "{\"tuple\":[{\"unconvertible\":\"generator\"},1]}");
  free(s);
  json_decref(j);
  CU_ASSERT_STRING_EQUAL(pf_type_name(pf_tuple_get(t, 0)), "generator");
  SHOWS(tv_show(PF_OK, pf_incref(pf_tuple_get(t, 0)), &err), "<generator object>");
  bool eq;
  CU_ASSERT_EQUAL(pf_val_eq(pf_tuple_get(t, 0), pf_tuple_get(t, 0), &eq, &err), PF_OK);
  CU_ASSERT(eq);
  CU_ASSERT_EQUAL(pf_val_eq(pf_tuple_get(t, 0), I(1), &eq, &err), PF_OK);
  CU_ASSERT(!eq);
  pf_decref(t);
}

static void test_fsum_merge(void) {
  /* python3: math.fsum([i/7 for i in range(1,100)] + [1e100, -1e100, 1.0]) */
  pf_fsum *all = pf_fsum_new(), *lo = pf_fsum_new(), *hi = pf_fsum_new();
  double xs[102];
  size_t n = 0;
  for (int i = 1; i < 100; i++)
    xs[n++] = (double)i / 7;
  xs[n++] = 1e100;
  xs[n++] = -1e100;
  xs[n++] = 1.0;
  for (size_t i = 0; i < n; i++) {
    pf_fsum_add(all, xs[i]);
    pf_fsum_add(i < 40 ? lo : hi, xs[i]);
  }
  double a, b, c;
  pf_err err;
  CU_ASSERT_EQUAL(pf_fsum_result(lo, &b, &err), PF_OK);
  CU_ASSERT_EQUAL(b, 117.14285714285714);
  CU_ASSERT_EQUAL(pf_fsum_result(hi, &c, &err), PF_OK);
  CU_ASSERT_EQUAL(c, 591.0);
  pf_fsum_merge(lo, hi);
  CU_ASSERT_EQUAL(pf_fsum_result(all, &a, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_fsum_result(lo, &b, &err), PF_OK);
  CU_ASSERT_EQUAL(a, 708.1428571428571);
  CU_ASSERT_EQUAL(b, 708.1428571428571);
  pf_fsum_free(all);
  pf_fsum_free(lo);
  pf_fsum_free(hi);
  pf_fsum_free(NULL);
}

static void test_names(void) {
  CU_ASSERT_STRING_EQUAL(pf_exc_name(PF_EXC_ZeroDivisionError), "ZeroDivisionError");
  CU_ASSERT_EQUAL(pf_exc_by_name("KeyError"), PF_EXC_KeyError);
  CU_ASSERT_EQUAL(pf_exc_by_name("NoSuchError"), PF_EXC_NONE);
  CU_ASSERT_STRING_EQUAL(pf_type_name(pf_none()), "NoneType");
  CU_ASSERT_STRING_EQUAL(pf_type_name(pf_bool(true)), "bool");
  CU_ASSERT_STRING_EQUAL(pf_type_name(pf_float(1)), "float");
  pf_val big = BIG("-99999999999999999999");
  CU_ASSERT_STRING_EQUAL(pf_type_name(big), "int");
  pf_decref(big);
  CU_ASSERT_STRING_EQUAL(pf_binop_symbol(PF_OP_FLOORDIV), "//");
  CU_ASSERT_STRING_EQUAL(pf_cmpop_symbol(PF_CMP_LE), "<=");
  pf_val c;
  CU_ASSERT(pf_math_const("tau", &c) && c.u.f == 2 * M_PI);
  CU_ASSERT(!pf_math_const("sqrt", &c));
  CU_ASSERT(pf_math_has("sqrt") && pf_math_has("comb") && !pf_math_has("fsum"));
  pf_err err;
  pf_status_t st = pf_raise(&err, PF_EXC_ValueError, "x=%d", 5);
  CU_ASSERT(st == PF_EPYEXC && err.kind == PF_EXC_ValueError && !strcmp(err.msg, "x=5"));
}

/* a == b implies hash(a) == hash(b), across int, bool, bigint, float, tuple, frozenset */
static void test_eq_implies_hash(void) {
  const char *texts[] = {
      "0", "1", "-1", "true", "false", "0.0", "-0.0", "1.0", "-1.0", "9.223372036854776e+18",
      "{\"int\": \"8000000000000000\"}", "{\"int\": \"-8000000000000000\"}",
      "-9223372036854775808", "2305843009213693951", "{\"int\": \"2000000000000000\"}",
      "2.305843009213694e+18", "{\"int\": \"1fffffffffffffff\"}", "1.5", "{\"float\": \"inf\"}",
      "314159", "{\"tuple\": [1, 2.0]}", "{\"tuple\": [1.0, 2]}", "{\"tuple\": [true, 2]}",
      "{\"frozenset\": [1, 2]}", "{\"frozenset\": [2.0, 1]}", "{\"frozenset\": []}",
      "{\"range\": [0, 10, 2]}", "{\"range\": [0, 9, 2]}", "\"x\"", "null",
  };
  size_t n = sizeof texts / sizeof *texts;
  pf_val v[sizeof texts / sizeof *texts];
  for (size_t i = 0; i < n; i++)
    v[i] = tv_json(texts[i]);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      bool eq = false;
      int64_t hi, hj;
      pf_err err;
      CU_ASSERT_EQUAL(pf_val_eq(v[i], v[j], &eq, &err), PF_OK);
      CU_ASSERT_EQUAL(pf_val_hash(v[i], &hi, &err), PF_OK);
      CU_ASSERT_EQUAL(pf_val_hash(v[j], &hj, &err), PF_OK);
      if (eq && hi != hj)
        fprintf(stderr, "equal but hashes differ: %s %s\n", texts[i], texts[j]);
      CU_ASSERT(!eq || hi == hj);
    }
  for (size_t i = 0; i < n; i++)
    pf_decref(v[i]);
}

/* ---------------------------------------------------------------- allocation failures */

#define STEP(call)                                                                         \
  do {                                                                                     \
    if ((st = (call)) != PF_OK)                                                            \
      goto out;                                                                            \
  } while (0)

/* A workload touching most allocating paths; releases everything on every exit. */
static pf_status_t workload(pf_err *err) {
  static const char doc[] =
      "{\"dict\": [[\"k\\u00e9\", {\"list\": [1, 2.5, {\"int\": \"-1234567890abcdef1234\"}, "
      "{\"tuple\": [\"\\u65e5\\u672c\", null, true]}]}], [3, {\"set\": [1, 2, 3, 4, 5, 6, 7, 8, 9, "
      "10, 11, 12, 13, 14, 15, 16, 17, 18]}], [{\"frozenset\": [1]}, {\"range\": [0, 9, 2]}]]}";
  json_error_t je;
  json_t *j = json_loads(doc, 0, &je), *enc = NULL;
  pf_val v = pf_unbound(), r1 = pf_unbound(), r2 = pf_unbound(), r3 = pf_unbound(),
         r4 = pf_unbound(), r5 = pf_unbound(), r6 = pf_unbound(), fmt = pf_unbound(),
         spec = pf_unbound(), tup = pf_unbound(), key = pf_unbound(), x = pf_unbound();
  pf_status_t st;
  pf_listb lb;
  pf_listb_init(&lb);
  STEP(pf_val_from_json(j, NULL, NULL, &v, err));
  STEP(pf_val_repr(v, &r1, err));
  STEP(pf_val_to_json(v, &enc, err));
  STEP(pf_val_binop(PF_OP_MUL, r1, pf_int(3), &r2, err));
  STEP(pf_val_getslice(r2, pf_int(2), pf_none(), pf_int(-3), &r3, err));
  STEP(pf_str_from_cstr("%-8s|%+.3e|%x|%r", &fmt, err));
  pf_val items[4] = {pf_incref(r1), pf_float(12345.678), pf_int(-255), pf_incref(v)};
  STEP(pf_tuple_new(4, items, &tup, err));
  STEP(pf_val_binop(PF_OP_MOD, fmt, tup, &r4, err));
  STEP(pf_str_from_cstr("*^+30,.4f", &spec, err));
  STEP(pf_val_format(pf_float(-1234567.891), spec, &r5, err));
  for (int i = 0; i < 40; i++)
    STEP(pf_listb_push(&lb, pf_int(i * 7919), err));
  STEP(pf_listb_push(&lb, pf_incref(r5), err));
  STEP(pf_listb_finish(&lb, false, &r6, err));
  STEP(pf_str_from_cstr("k\xc3\xa9", &key, err));
  STEP(pf_val_getitem(v, key, &x, err));
  pf_decref(x);
  x = pf_unbound();
  STEP(pf_val_binop(PF_OP_ADD, r6, r6, &x, err));
out:
  pf_listb_discard(&lb);
  json_decref(j);
  json_decref(enc);
  pf_val all[] = {v, r1, r2, r3, r4, r5, r6, fmt, spec, tup, key, x};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    pf_decref(all[i]);
  return st;
}

long tv_sweep_alloc_failures(pf_status_t (*run)(pf_err *err)) {
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(run(&err), PF_OK);
  long n;
  for (n = 0; n < 100000; n++) {
    pf_value_test_fail_alloc(n);
    pf_status_t st = run(&err);
    long left = pf_value_test_fail_alloc(-1);
    if (left >= 0) { /* the failure was not reached: every allocation is covered */
      CU_ASSERT_EQUAL(st, PF_OK);
      break;
    }
    CU_ASSERT_EQUAL(st, PF_EPYEXC);
    CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  }
  return n;
}

static void test_alloc_failures(void) {
  pf_err err;
  long n = tv_sweep_alloc_failures(workload);
  CU_ASSERT(n > 50); /* the workload does allocate that much */
  /* a failed fsum accumulator allocation is a MemoryError when the result is asked */
  pf_fsum *acc = pf_fsum_new();
  CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
  pf_value_test_fail_alloc(0);
  pf_fsum_add(acc, 1.5);
  pf_value_test_fail_alloc(-1);
  double d;
  CU_ASSERT_EQUAL(pf_fsum_result(acc, &d, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_MemoryError);
  pf_fsum_free(acc);
}

void tv_register_hand(void) {
  CU_pSuite s0 = CU_add_suite("hash", NULL, NULL);
  CU_add_test(s0, "equal values hash equal", test_eq_implies_hash);
  CU_pSuite s = CU_add_suite("hand", NULL, NULL);
  CU_add_test(s, "int64/bigint edges", test_int_edges);
  CU_add_test(s, "int to float rounding", test_int_to_double);
  CU_add_test(s, "MemoryError instead of aborting", test_memory_limits);
  CU_add_test(s, "float repr", test_float_repr);
  CU_add_test(s, "hashes", test_hashes);
  CU_add_test(s, "str", test_str);
  CU_add_test(s, "containers", test_containers);
  CU_add_test(s, "json round trips", test_json_roundtrip);
  CU_add_test(s, "json rejects", test_json_reject);
  CU_add_test(s, "json refs and foreign objects", test_json_refs_and_foreign);
  CU_add_test(s, "fsum merge", test_fsum_merge);
  CU_add_test(s, "names", test_names);
  CU_add_test(s, "allocation failures give MemoryError, no leak", test_alloc_failures);
}
