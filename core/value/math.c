/* math.c — the math module on data values, and the exact fsum accumulator. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

static pf_status_t domain(pf_err *err) {
  return pf_raise(err, PF_EXC_ValueError, "math domain error");
}
static pf_status_t range_err(pf_err *err) {
  return pf_raise(err, PF_EXC_OverflowError, "math range error");
}

static pf_status_t as_double(pf_val v, double *out, pf_err *err) {
  if (v.tag == PF_FLOAT) {
    *out = v.u.f;
    return PF_OK;
  }
  if (pf_is_int(v))
    return pf_int_to_double(v, out, err);
  return pf_raise(err, PF_EXC_TypeError, "must be real number, not %s", pf_type_name(v));
}

static pf_status_t need_int(pf_val v, pf_err *err) {
  if (pf_is_int(v))
    return PF_OK;
  return pf_raise(err, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                  pf_type_name(v));
}

/* CPython's math_1: nan from non-nan → domain error; inf from finite → range error when
 * "can_overflow", else domain error. */
static pf_status_t math_1(double (*f)(double), bool can_overflow, pf_val a, pf_val *out,
                          pf_err *err) {
  double x, r;
  if (as_double(a, &x, err) != PF_OK)
    return PF_EPYEXC;
  errno = 0;
  r = f(x);
  if (isnan(r) && !isnan(x))
    return domain(err);
  if (isinf(r) && isfinite(x))
    return can_overflow ? range_err(err) : domain(err);
  *out = pf_float(r);
  return PF_OK;
}

static double m_degrees(double x) { return x * (180.0 / M_PI); }
static double m_radians(double x) { return x * (M_PI / 180.0); }
static double m_gamma(double x) {
  if (x == 0.0 || (x < 0 && x == floor(x)) || x == -INFINITY)
    return NAN;
  return tgamma(x);
}
static double m_lgamma(double x) {
  if (isfinite(x) && x <= 0 && x == floor(x))
    return NAN; /* pole: domain error */
  return lgamma(x);
}
static double m_log(double x) { return x > 0 ? log(x) : (x == 0 ? -INFINITY : NAN); }

/* log of a (possibly huge) positive number "v" via "f" (log, log2 or log10). */
static pf_status_t loghelper(pf_val v, double (*f)(double), double *out, pf_err *err) {
  if (pf_is_int(v)) {
    if (pf_is_big(v) ? mpz_sgn(PF_BIG(v)) <= 0 : v.u.i <= 0)
      return domain(err);
    double x;
    if (pf_int_to_double(v, &x, NULL) == PF_OK) {
      *out = f(x);
      return PF_OK;
    }
    long e;
    double m = mpz_get_d_2exp(&e, PF_BIG(v));
    *out = f(m) + (double)e * f(2.0);
    return PF_OK;
  }
  double x = 0;
  if (as_double(v, &x, err) != PF_OK)
    return PF_EPYEXC;
  if (isnan(x) || (isinf(x) && x > 0)) {
    *out = x;
    return PF_OK;
  }
  if (x <= 0)
    return domain(err);
  *out = f(x);
  return PF_OK;
}

static pf_status_t m_pow(double x, double y, pf_val *out, pf_err *err) {
  double r;
  if (!isfinite(x) || !isfinite(y)) {
    if (isnan(x))
      r = y == 0.0 ? 1.0 : x;
    else if (isnan(y))
      r = x == 1.0 ? 1.0 : y;
    else if (isinf(x)) {
      bool odd_y = isfinite(y) && fmod(fabs(y), 2.0) == 1.0;
      if (y > 0.)
        r = odd_y ? x : fabs(x);
      else if (y == 0.)
        r = 1.;
      else
        r = odd_y ? copysign(0., x) : 0.;
    } else {
      if (fabs(x) == 1.0)
        r = 1.;
      else if (y > 0. && fabs(x) > 1.0)
        r = y;
      else if (y < 0. && fabs(x) < 1.0)
        r = -y;
      else
        r = 0.;
    }
  } else {
    r = pow(x, y);
    if (isnan(r))
      return domain(err);
    if (isinf(r))
      return x == 0.0 ? domain(err) : range_err(err);
  }
  *out = pf_float(r);
  return PF_OK;
}

static pf_status_t int_result_of_float(double (*f)(double), pf_val a, pf_val *out,
                                       pf_err *err) {
  if (pf_is_int(a))
    return pf_val_to_int(a, out, err);
  double x = 0;
  if (as_double(a, &x, err) != PF_OK)
    return PF_EPYEXC;
  return pf_float_to_int(f(x), out, err);
}

static pf_status_t gcd_lcm(bool lcm, size_t argc, const pf_val *argv, pf_val *out,
                           pf_err *err) {
  mpz_t acc, t;
  mpz_inits(acc, t, NULL);
  mpz_set_ui(acc, lcm ? 1 : 0);
  for (size_t i = 0; i < argc; i++) {
    if (need_int(argv[i], err) != PF_OK) {
      mpz_clears(acc, t, NULL);
      return PF_EPYEXC;
    }
    pf_int_to_mpz(argv[i], t);
    if (lcm) {
      if ((uint64_t)mpz_sizeinbase(acc, 2) + mpz_sizeinbase(t, 2) > PF_INT_MAX_BITS) {
        mpz_clears(acc, t, NULL);
        return pf_nomem(err);
      }
      mpz_lcm(acc, acc, t);
    } else {
      mpz_gcd(acc, acc, t);
    }
  }
  mpz_clear(t);
  return pf_int_from_mpz_take(acc, out, err);
}

static pf_status_t comb_perm(bool perm, size_t argc, const pf_val *argv, pf_val *out,
                             pf_err *err) {
  if (perm && (argc == 1 || argv[1].tag == PF_NONE)) {
    pf_val f = argv[0];
    return pf_math_call("factorial", 1, &f, out, err);
  }
  for (int i = 0; i < 2; i++)
    if (need_int(argv[i], err) != PF_OK)
      return PF_EPYEXC;
  mpz_t n, k, r, t;
  mpz_inits(n, k, r, t, NULL);
  pf_int_to_mpz(argv[0], n);
  pf_int_to_mpz(argv[1], k);
  pf_status_t st = PF_OK;
  if (mpz_sgn(n) < 0) {
    st = pf_raise(err, PF_EXC_ValueError, "n must be a non-negative integer");
    goto done;
  }
  if (mpz_sgn(k) < 0) {
    st = pf_raise(err, PF_EXC_ValueError, "k must be a non-negative integer");
    goto done;
  }
  if (mpz_cmp(k, n) > 0) {
    mpz_set_ui(r, 0);
    goto done;
  }
  mpz_sub(t, n, k);
  if (!perm && mpz_cmp(t, k) < 0)
    mpz_set(k, t); /* comb(n, k) == comb(n, n-k) */
  if (mpz_cmp_ui(k, (unsigned long)INT64_MAX) > 0) {
    st = pf_raise(err, PF_EXC_OverflowError, "k must not exceed %lld", (long long)INT64_MAX);
    goto done;
  }
  if ((double)mpz_get_ui(k) * (double)mpz_sizeinbase(n, 2) > (double)PF_INT_MAX_BITS) {
    st = pf_nomem(err);
    goto done;
  }
  unsigned long kk = mpz_get_ui(k);
  mpz_bin_ui(r, n, kk);
  if (perm) {
    mpz_fac_ui(t, kk);
    mpz_mul(r, r, t);
  }
done:
  mpz_clears(n, k, t, NULL);
  if (st != PF_OK) {
    mpz_clear(r);
    return st;
  }
  return pf_int_from_mpz_take(r, out, err);
}

typedef struct math1 {
  const char *name;
  double (*f)(double);
  bool can_overflow;
} math1;

static const math1 math1_table[] = {
    {"sqrt", sqrt, false},     {"exp", exp, true},       {"exp2", exp2, true},
    {"expm1", expm1, true},    {"log1p", log1p, false},  {"sin", sin, false},
    {"cos", cos, false},       {"tan", tan, false},      {"asin", asin, false},
    {"acos", acos, false},     {"atan", atan, false},    {"sinh", sinh, true},
    {"cosh", cosh, true},      {"tanh", tanh, false},    {"asinh", asinh, false},
    {"acosh", acosh, false},   {"atanh", atanh, false},  {"fabs", fabs, false},
    {"degrees", m_degrees, false}, {"radians", m_radians, false}, {"erf", erf, false},
    {"erfc", erfc, false},     {"gamma", m_gamma, true}, {"lgamma", m_lgamma, true},
    {"cbrt", cbrt, false},
};

static const char *const other_names[] = {
    "floor", "ceil",  "trunc", "log",   "log2",  "log10",    "pow",   "atan2", "hypot",
    "copysign", "fmod", "isnan", "isinf", "isfinite", "isclose", "gcd",  "lcm",   "factorial",
    "isqrt", "comb",  "perm",  "prod",  "modf",  "frexp",    "ldexp",
};

bool pf_math_has(const char *name) {
  for (size_t i = 0; i < sizeof math1_table / sizeof *math1_table; i++)
    if (strcmp(math1_table[i].name, name) == 0)
      return true;
  for (size_t i = 0; i < sizeof other_names / sizeof *other_names; i++)
    if (strcmp(other_names[i], name) == 0)
      return true;
  return false;
}

static pf_status_t nargs(const char *name, size_t argc, size_t lo, size_t hi, pf_err *err) {
  if (argc >= lo && argc <= hi)
    return PF_OK;
  if (lo == hi)
    return pf_raise(err, PF_EXC_TypeError, "%s() takes exactly %zu argument%s (%zu given)", name,
                    lo, lo == 1 ? "" : "s", argc);
  return pf_raise(err, PF_EXC_TypeError, "%s() takes from %zu to %zu arguments (%zu given)", name,
                  lo, hi, argc);
}

static pf_status_t two_doubles(const pf_val *argv, double *x, double *y, pf_err *err) {
  if (as_double(argv[0], x, err) != PF_OK || as_double(argv[1], y, err) != PF_OK)
    return PF_EPYEXC;
  return PF_OK;
}

static pf_status_t math_other(const char *name, size_t argc, const pf_val *argv, pf_val *out,
                              pf_err *err) {
  double x, y, r;
  if (strcmp(name, "gcd") == 0 || strcmp(name, "lcm") == 0)
    return gcd_lcm(name[0] == 'l', argc, argv, out, err);
  if (strcmp(name, "prod") == 0) {
    pf_val acc = pf_int(1);
    for (size_t i = 0; i < argc; i++) {
      pf_val nx;
      pf_status_t st = pf_val_binop(PF_OP_MUL, acc, argv[i], &nx, err);
      pf_decref(acc);
      if (st != PF_OK)
        return st;
      acc = nx;
    }
    *out = acc;
    return PF_OK;
  }
  if (strcmp(name, "hypot") == 0) {
    r = 0.0;
    bool any_nan = false, any_inf = false;
    double *v = pf_xmalloc((argc ? argc : 1) * sizeof *v, err);
    if (!v)
      return PF_EPYEXC;
    double mx = 0.0;
    for (size_t i = 0; i < argc; i++) {
      if (as_double(argv[i], &v[i], err) != PF_OK) {
        free(v);
        return PF_EPYEXC;
      }
      v[i] = fabs(v[i]);
      any_nan |= isnan(v[i]);
      any_inf |= isinf(v[i]);
      if (v[i] > mx)
        mx = v[i];
    }
    if (any_inf)
      r = INFINITY;
    else if (any_nan)
      r = NAN;
    else if (argc == 2)
      r = hypot(v[0], v[1]);
    else if (mx == 0.0)
      r = 0.0;
    else {
      double s = 0.0;
      for (size_t i = 0; i < argc; i++)
        s += (v[i] / mx) * (v[i] / mx);
      r = mx * sqrt(s);
    }
    free(v);
    *out = pf_float(r);
    return PF_OK;
  }
  if (strcmp(name, "log") == 0) {
    if (nargs(name, argc, 1, 2, err) != PF_OK || loghelper(argv[0], m_log, &x, err) != PF_OK)
      return PF_EPYEXC;
    if (argc == 2) {
      if (loghelper(argv[1], m_log, &y, err) != PF_OK)
        return PF_EPYEXC;
      if (y == 0.0)
        return pf_raise(err, PF_EXC_ZeroDivisionError, "float division by zero");
      x /= y;
    }
    *out = pf_float(x);
    return PF_OK;
  }
  if (strcmp(name, "perm") == 0 || strcmp(name, "comb") == 0) {
    if (nargs(name, argc, name[0] == 'p' ? 1 : 2, 2, err) != PF_OK)
      return PF_EPYEXC;
    return comb_perm(name[0] == 'p', argc, argv, out, err);
  }
  size_t want = 1;
  if (!strcmp(name, "pow") || !strcmp(name, "atan2") || !strcmp(name, "copysign") ||
      !strcmp(name, "fmod") || !strcmp(name, "ldexp"))
    want = 2;
  if (!strcmp(name, "isclose")) {
    if (nargs(name, argc, 2, 4, err) != PF_OK || two_doubles(argv, &x, &y, err) != PF_OK)
      return PF_EPYEXC;
    double rel = 1e-09, abs_tol = 0.0;
    if (argc > 2 && as_double(argv[2], &rel, err) != PF_OK)
      return PF_EPYEXC;
    if (argc > 3 && as_double(argv[3], &abs_tol, err) != PF_OK)
      return PF_EPYEXC;
    if (rel < 0.0 || abs_tol < 0.0)
      return pf_raise(err, PF_EXC_ValueError, "tolerances must be non-negative");
    bool res;
    if (x == y)
      res = true;
    else if (isinf(x) || isinf(y))
      res = false;
    else {
      double diff = fabs(y - x);
      res = (diff <= fabs(rel * y)) || (diff <= fabs(rel * x)) || diff <= abs_tol;
    }
    *out = pf_bool(res);
    return PF_OK;
  }
  if (nargs(name, argc, want, want, err) != PF_OK)
    return PF_EPYEXC;
  if (!strcmp(name, "floor"))
    return int_result_of_float(floor, argv[0], out, err);
  if (!strcmp(name, "ceil"))
    return int_result_of_float(ceil, argv[0], out, err);
  if (!strcmp(name, "trunc") && !pf_is_num(argv[0]))
    return pf_raise(err, PF_EXC_TypeError, "type %s doesn't define __trunc__ method",
                    pf_type_name(argv[0]));
  if (!strcmp(name, "trunc"))
    return int_result_of_float(trunc, argv[0], out, err);
  if (!strcmp(name, "log2") || !strcmp(name, "log10")) {
    if (loghelper(argv[0], name[3] == '2' ? log2 : log10, &x, err) != PF_OK)
      return PF_EPYEXC;
    *out = pf_float(x);
    return PF_OK;
  }
  if (!strcmp(name, "factorial")) {
    if (need_int(argv[0], err) != PF_OK)
      return PF_EPYEXC;
    if (pf_is_big(argv[0]) ? mpz_sgn(PF_BIG(argv[0])) < 0 : argv[0].u.i < 0)
      return pf_raise(err, PF_EXC_ValueError, "factorial() not defined for negative values");
    if (pf_is_big(argv[0]))
      return pf_raise(err, PF_EXC_OverflowError,
                      "factorial() argument should not exceed 9223372036854775807");
    uint64_t n = (uint64_t)argv[0].u.i;
    if (n > 2 && lgamma((double)n + 1) / M_LN2 > (double)PF_INT_MAX_BITS)
      return pf_nomem(err);
    mpz_t z;
    mpz_init(z);
    mpz_fac_ui(z, (unsigned long)n);
    return pf_int_from_mpz_take(z, out, err);
  }
  if (!strcmp(name, "isqrt")) {
    if (need_int(argv[0], err) != PF_OK)
      return PF_EPYEXC;
    if (pf_is_big(argv[0]) ? mpz_sgn(PF_BIG(argv[0])) < 0 : argv[0].u.i < 0)
      return pf_raise(err, PF_EXC_ValueError, "isqrt() argument must be nonnegative");
    mpz_t z;
    mpz_init(z);
    pf_int_to_mpz(argv[0], z);
    mpz_sqrt(z, z);
    return pf_int_from_mpz_take(z, out, err);
  }
  if (!strcmp(name, "isnan") || !strcmp(name, "isinf") || !strcmp(name, "isfinite")) {
    if (as_double(argv[0], &x, err) != PF_OK)
      return PF_EPYEXC;
    *out = pf_bool(name[2] == 'n' ? isnan(x) : name[2] == 'i' ? isinf(x) : isfinite(x));
    return PF_OK;
  }
  if (!strcmp(name, "modf") || !strcmp(name, "frexp")) {
    if (as_double(argv[0], &x, err) != PF_OK)
      return PF_EPYEXC;
    pf_val pair[2];
    if (name[0] == 'm') {
      double ip;
      if (isinf(x)) {
        pair[0] = pf_float(copysign(0.0, x));
        pair[1] = pf_float(x);
      } else {
        double fp = modf(x, &ip);
        pair[0] = pf_float(fp);
        pair[1] = pf_float(ip);
      }
    } else {
      int e = 0;
      double m = isfinite(x) && x != 0.0 ? frexp(x, &e) : x;
      pair[0] = pf_float(m);
      pair[1] = pf_int(e);
    }
    return pf_tuple_new(2, pair, out, err);
  }
  if (!strcmp(name, "ldexp")) {
    if (as_double(argv[0], &x, err) != PF_OK)
      return PF_EPYEXC;
    if (!pf_is_int(argv[1]))
      return pf_raise(err, PF_EXC_TypeError, "Expected an int as second argument to ldexp.");
    int64_t e;
    if (!pf_int_as_i64(argv[1], &e))
      e = mpz_sgn(PF_BIG(argv[1])) > 0 ? INT64_MAX : INT64_MIN;
    if (e > 100000)
      e = 100000;
    if (e < -100000)
      e = -100000;
    if (x == 0.0 || !isfinite(x))
      r = x;
    else {
      r = ldexp(x, (int)e);
      if (isinf(r))
        return range_err(err);
    }
    *out = pf_float(r);
    return PF_OK;
  }
  if (two_doubles(argv, &x, &y, err) != PF_OK)
    return PF_EPYEXC;
  if (!strcmp(name, "pow"))
    return m_pow(x, y, out, err);
  if (!strcmp(name, "atan2"))
    r = atan2(x, y);
  else if (!strcmp(name, "copysign"))
    r = copysign(x, y);
  else { /* fmod */
    if (isinf(y) && isfinite(x))
      r = x;
    else {
      r = fmod(x, y);
      if (isnan(r) && !isnan(x) && !isnan(y))
        return domain(err);
    }
  }
  *out = pf_float(r);
  return PF_OK;
}

pf_status_t pf_math_call(const char *name, size_t argc, const pf_val *argv, pf_val *out,
                         pf_err *err) {
  for (size_t i = 0; i < sizeof math1_table / sizeof *math1_table; i++)
    if (strcmp(math1_table[i].name, name) == 0) {
      if (nargs(name, argc, 1, 1, err) != PF_OK)
        return PF_EPYEXC;
      return math_1(math1_table[i].f, math1_table[i].can_overflow, argv[0], out, err);
    }
  if (!pf_math_has(name))
    return pf_raise(err, PF_EXC_AttributeError, "module 'math' has no attribute '%s'", name);
  return math_other(name, argc, argv, out, err);
}

bool pf_math_const(const char *name, pf_val *out) {
  if (!strcmp(name, "pi"))
    *out = pf_float(M_PI);
  else if (!strcmp(name, "e"))
    *out = pf_float(M_E);
  else if (!strcmp(name, "tau"))
    *out = pf_float(2 * M_PI);
  else if (!strcmp(name, "inf"))
    *out = pf_float(INFINITY);
  else if (!strcmp(name, "nan"))
    *out = pf_float(NAN);
  else
    return false;
  return true;
}

/* ---------------------------------------------------------------- fsum */

struct pf_fsum {
  double *p;
  size_t n, cap;
  double special_sum, inf_sum;
  bool overflow, oom;
};

pf_fsum *pf_fsum_new(void) { return pf_vcalloc(1, sizeof(pf_fsum)); }

void pf_fsum_free(pf_fsum *acc) {
  if (!acc)
    return;
  free(acc->p);
  free(acc);
}

void pf_fsum_add(pf_fsum *acc, double x) {
  double xsave = x;
  size_t i = 0;
  for (size_t j = 0; j < acc->n; j++) {
    double y = acc->p[j];
    if (fabs(x) < fabs(y)) {
      double t = x;
      x = y;
      y = t;
    }
    double hi = x + y;
    double yr = hi - x;
    double lo = y - yr;
    if (lo != 0.0)
      acc->p[i++] = lo;
    x = hi;
  }
  acc->n = i;
  if (x == 0.0)
    return;
  if (!isfinite(x)) {
    if (isfinite(xsave)) {
      acc->overflow = true;
      return;
    }
    if (isinf(xsave))
      acc->inf_sum += xsave;
    acc->special_sum += xsave;
    acc->n = 0;
    return;
  }
  if (acc->n == acc->cap) {
    size_t cap = acc->cap ? acc->cap * 2 : 32;
    double *p = pf_vrealloc(acc->p, cap * sizeof *p);
    if (!p) {
      acc->oom = true;
      return;
    }
    acc->p = p;
    acc->cap = cap;
  }
  acc->p[acc->n++] = x;
}

pf_status_t pf_fsum_export(const pf_fsum *acc, pf_val *out, pf_err *err) {
  pf_val *items = pf_vcalloc(acc->n + 3, sizeof *items);
  if (!items)
    return pf_nomem(err);
  items[0] = pf_float(acc->special_sum);
  items[1] = pf_float(acc->inf_sum);
  items[2] = pf_int((acc->overflow ? 1 : 0) | (acc->oom ? 2 : 0));
  for (size_t i = 0; i < acc->n; i++)
    items[3 + i] = pf_float(acc->p[i]);
  pf_status_t st = pf_tuple_new(acc->n + 3, items, out, err);
  free(items);
  return st;
}

pf_fsum *pf_fsum_import(pf_val t) {
  if (!pf_is_type(t, &pf_type_tuple) || pf_tuple_len(t) < 3)
    return NULL;
  size_t n = pf_tuple_len(t);
  pf_val a = pf_tuple_get(t, 0), b = pf_tuple_get(t, 1), fl = pf_tuple_get(t, 2);
  if (a.tag != PF_FLOAT || b.tag != PF_FLOAT || fl.tag != PF_INT || fl.u.i < 0 || fl.u.i > 3)
    return NULL;
  for (size_t i = 3; i < n; i++) {
    pf_val x = pf_tuple_get(t, i);
    if (x.tag != PF_FLOAT || !isfinite(x.u.f) || x.u.f == 0.0)
      return NULL;
  }
  pf_fsum *acc = pf_fsum_new();
  if (!acc)
    return NULL;
  for (size_t i = 3; i < n; i++)
    pf_fsum_add(acc, pf_tuple_get(t, i).u.f);
  if (a.u.f != 0.0 || isnan(a.u.f)) {
    acc->special_sum = a.u.f;
    acc->inf_sum = b.u.f;
    acc->n = 0;
  }
  acc->overflow = (fl.u.i & 1) != 0;
  acc->oom |= (fl.u.i & 2) != 0;
  return acc;
}

void pf_fsum_merge(pf_fsum *acc, const pf_fsum *other) {
  for (size_t i = 0; i < other->n; i++)
    pf_fsum_add(acc, other->p[i]);
  if (other->special_sum != 0.0 || isnan(other->special_sum)) {
    acc->special_sum += other->special_sum;
    acc->inf_sum += other->inf_sum;
    acc->n = 0;
  }
  acc->overflow |= other->overflow;
  acc->oom |= other->oom;
}

pf_status_t pf_fsum_result(const pf_fsum *acc, double *out, pf_err *err) {
  if (acc->oom)
    return pf_nomem(err);
  if (acc->overflow)
    return pf_raise(err, PF_EXC_OverflowError, "intermediate overflow in fsum");
  if (acc->special_sum != 0.0 || isnan(acc->special_sum)) {
    if (isnan(acc->inf_sum))
      return pf_raise(err, PF_EXC_ValueError, "-inf + inf in fsum");
    *out = acc->special_sum;
    return PF_OK;
  }
  const double *p = acc->p;
  size_t n = acc->n;
  double hi = 0.0, lo = 0.0;
  if (n > 0) {
    hi = p[--n];
    while (n > 0) {
      double x = hi;
      double y = p[--n];
      hi = x + y;
      double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0)
        break;
    }
    if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
      double y = lo * 2.0;
      double x = hi + y;
      double yr = x - hi;
      if (y == yr)
        hi = x;
    }
  }
  *out = hi;
  return PF_OK;
}
