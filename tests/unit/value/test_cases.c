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

typedef pf_status_t (*str_fn)(pf_val, pf_val *, pf_err *);
static const struct {
  const char *name;
  str_fn fn;
} str_methods[] = {
    {"upper", pf_str_upper},       {"lower", pf_str_lower},
    {"casefold", pf_str_casefold}, {"swapcase", pf_str_swapcase},
    {"title", pf_str_title},       {"capitalize", pf_str_capitalize},
    {"isalpha", pf_str_isalpha},   {"isdigit", pf_str_isdigit},
    {"isdecimal", pf_str_isdecimal}, {"isnumeric", pf_str_isnumeric},
    {"isalnum", pf_str_isalnum},   {"isspace", pf_str_isspace},
    {"isupper", pf_str_isupper},   {"islower", pf_str_islower},
    {"istitle", pf_str_istitle},
};
/* Order of the predicate bits in "fnvpred" (gen_cases.py's PREDS). */
static const str_fn preds[] = {pf_str_isalpha,   pf_str_isdecimal, pf_str_isdigit,
                               pf_str_isnumeric, pf_str_isspace,   pf_str_islower,
                               pf_str_isupper,   pf_str_istitle,   pf_str_isalnum};

static size_t pf_utf8_encode_test(int32_t c, char *p) {
  if (c < 0x80) {
    p[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    p[0] = (char)(0xC0 | (c >> 6));
    p[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    p[0] = (char)(0xE0 | (c >> 12));
    p[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    p[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  p[0] = (char)(0xF0 | (c >> 18));
  p[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  p[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  p[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
  return h;
}

/* "fnvstr:<method>" / "fnvpred" over code points [lo, hi) without surrogates: FNV-1a
 * (62 bits) of the method's result, or of each code point's predicate bits. */
static pf_status_t fnv_block(const char *op, int64_t lo, int64_t hi, pf_val *out, pf_err *err) {
  char *buf = malloc((size_t)(hi - lo) * 4 + 1);
  size_t n = 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  bool pred = !strcmp(op, "fnvpred");
  pf_status_t st = PF_OK;
  for (int64_t c = lo; c < hi && st == PF_OK; c++) {
    if (c >= 0xD800 && c <= 0xDFFF)
      continue;
    size_t k = pf_utf8_encode_test((int32_t)c, buf + n);
    if (!pred) {
      n += k;
      continue;
    }
    pf_val ch, r;
    unsigned bits = 0;
    st = pf_str_new(buf + n, k, &ch, err);
    if (st != PF_OK)
      break;
    for (size_t i = 0; st == PF_OK && i < sizeof preds / sizeof *preds; i++) {
      st = preds[i](ch, &r, err);
      if (st == PF_OK && r.u.i)
        bits |= 1u << i;
    }
    pf_decref(ch);
    unsigned char two[2] = {(unsigned char)(bits & 0xFF), (unsigned char)(bits >> 8)};
    h = fnv_bytes(h, two, 2);
  }
  if (st == PF_OK && !pred) {
    pf_val s, r;
    st = pf_str_new(buf, n, &s, err);
    for (size_t i = 0; st == PF_OK && i < sizeof str_methods / sizeof *str_methods; i++)
      if (!strcmp(op + 7, str_methods[i].name)) {
        st = str_methods[i].fn(s, &r, err);
        pf_decref(s);
        if (st == PF_OK) {
          size_t nb;
          const char *p = pf_str_utf8(r, &nb);
          h = fnv_bytes(h, p, nb);
          pf_decref(r);
        }
        break;
      }
  }
  free(buf);
  *out = pf_int((int64_t)(h & ((1ULL << 62) - 1)));
  return st;
}

/* lsig(xs) of gen_cases.py: a signature of a list of ints. */
static int64_t lsig(pf_val l) {
  const uint64_t p = (UINT64_C(1) << 61) - 1;
  uint64_t h = pf_list_len(l) % p;
  pf_list_iter it;
  pf_val x;
  pf_list_iter_init(&it, l, 0);
  while (pf_list_iter_next(&it, &x))
    h = (uint64_t)(((unsigned __int128)h * 1000003 + (uint64_t)x.u.i + 1) % p);
  return (int64_t)h;
}

/* "lsig:<kind>" cases: L = list(range(n)) (n = argv[0]), the operation, the signature. */
static pf_status_t lsig_case(const char *kind, size_t argc, pf_val *argv, pf_val *out,
                             pf_err *err) {
  int64_t n = argv[0].u.i;
  pf_listb lb;
  pf_listb_init(&lb);
  pf_val L, r = pf_unbound(), t = pf_unbound(), u = pf_unbound();
  pf_status_t st = PF_OK;
  for (int64_t i = 0; i < n && st == PF_OK; i++)
    st = pf_listb_push(&lb, pf_int(i), err);
  if (st != PF_OK || pf_listb_finish(&lb, false, &L, err) != PF_OK)
    return PF_EPYEXC;
  if (!strcmp(kind, "slice")) {
    st = pf_val_getslice(L, argv[1], argv[2], argv[3], &r, err);
  } else if (!strcmp(kind, "slice2")) {
    st = pf_val_getslice(L, argv[1], argv[2], pf_none(), &t, err);
    if (st == PF_OK)
      st = pf_val_getslice(t, argv[3], argv[4], pf_none(), &r, err);
  } else if (!strcmp(kind, "concat") || !strcmp(kind, "rot")) {
    bool rot = kind[0] == 'r';
    st = pf_val_getslice(L, rot ? argv[1] : argv[1], rot ? pf_none() : argv[2], pf_none(), &t,
                         err);
    if (st == PF_OK)
      st = pf_val_getslice(L, rot ? pf_none() : argv[3], rot ? argv[1] : argv[4], pf_none(), &u,
                           err);
    if (st == PF_OK)
      st = pf_val_binop(PF_OP_ADD, t, u, &r, err);
  } else if (!strcmp(kind, "repeat")) {
    st = pf_val_binop(PF_OP_MUL, L, argv[1], &r, err);
  } else { /* append, prepend: a = a + [x] / a = [x] + a for x in range(n) */
    bool app = !strcmp(kind, "append");
    st = pf_list_new(0, NULL, &r, err);
    for (int64_t i = 0; i < n && st == PF_OK; i++) {
      pf_val one = pf_unbound(), nr;
      st = pf_list_new(1, (pf_val[]){pf_int(i)}, &one, err);
      if (st == PF_OK)
        st = pf_val_binop(PF_OP_ADD, app ? r : one, app ? one : r, &nr, err);
      if (st == PF_OK) {
        pf_decref(r);
        r = nr;
      }
      pf_decref(one);
    }
  }
  (void)argc;
  if (st == PF_OK)
    *out = pf_int(lsig(r));
  pf_decref(L);
  pf_decref(r);
  pf_decref(t);
  pf_decref(u);
  return st;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* "dsig:new|set" / "ssig:new|add" cases of gen_cases.py: keys (i * 7919) % m, values i, for
 * i in range(n), by pf_dict_new / pf_dict_set steps / pf_set_new / pf_set_add steps. */
static pf_status_t map_sig_case(const char *op, int64_t n, int64_t m, pf_val *out, pf_err *err) {
  bool is_dict = op[0] == 'd', steps = !strcmp(op + 5, "set") || !strcmp(op + 5, "add");
  pf_val d = pf_unbound(), t;
  pf_status_t st = PF_OK;
  if (steps) {
    st = is_dict ? pf_dict_new(0, NULL, NULL, &d, err) : pf_set_new(0, NULL, true, &d, err);
    for (int64_t i = 0; i < n && st == PF_OK; i++) {
      pf_val k = pf_int(i * 7919 % m);
      st = is_dict ? pf_dict_set(d, k, pf_int(i), &t, err) : pf_set_add(d, k, &t, err);
      if (st == PF_OK) {
        pf_decref(d);
        d = t;
      }
    }
  } else {
    pf_val *keys = malloc((size_t)(n + 1) * sizeof *keys);
    pf_val *vals = malloc((size_t)(n + 1) * sizeof *vals);
    for (int64_t i = 0; i < n; i++) {
      keys[i] = pf_int(i * 7919 % m);
      vals[i] = pf_int(i);
    }
    st = is_dict ? pf_dict_new((size_t)n, keys, vals, &d, err)
                 : pf_set_new((size_t)n, keys, false, &d, err);
    free(keys);
    free(vals);
  }
  if (st != PF_OK) {
    pf_decref(d);
    return st;
  }
  size_t len = is_dict ? pf_dict_len(d) : pf_set_len(d), k = 0;
  int64_t *flat = malloc((2 * len + 1) * sizeof *flat);
  pf_list_iter ik, iv;
  pf_val x, y;
  pf_list_iter_init(&ik, is_dict ? pf_dict_keys(d) : pf_set_items(d), 0);
  if (is_dict)
    pf_list_iter_init(&iv, pf_dict_values(d), 0);
  while (pf_list_iter_next(&ik, &x)) {
    flat[k++] = x.u.i;
    if (is_dict && pf_list_iter_next(&iv, &y))
      flat[k++] = y.u.i;
  }
  if (!is_dict)
    qsort(flat, k, sizeof *flat, cmp_i64);
  pf_val l;
  pf_val *items = malloc((k + 1) * sizeof *items);
  for (size_t i = 0; i < k; i++)
    items[i] = pf_int(flat[i]);
  st = pf_list_new(k, items, &l, err);
  if (st == PF_OK) {
    *out = pf_int(lsig(l));
    pf_decref(l);
  }
  free(items);
  free(flat);
  pf_decref(d);
  return st;
}

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
  if (!strncmp(op, "str:", 4)) {
    for (size_t i = 0; i < sizeof str_methods / sizeof *str_methods; i++)
      if (!strcmp(op + 4, str_methods[i].name))
        return str_methods[i].fn(a, out, err);
  }
  if (!strncmp(op, "fnvstr:", 7) || !strcmp(op, "fnvpred"))
    return fnv_block(op, a.u.i, b.u.i, out, err);
  if (!strncmp(op, "lsig:", 5))
    return lsig_case(op + 5, argc, argv, out, err);
  if (!strncmp(op, "dsig:", 5) || !strncmp(op, "ssig:", 5))
    return map_sig_case(op, argv[0].u.i, argv[1].u.i, out, err);
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
