/* float.c — Python float semantics: arithmetic, hashing, repr, parsing, rounding. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

static bool is_odd_integer(double x) { return fmod(fabs(x), 2.0) == 1.0; }

static pf_status_t float_pow(double iv, double iw, pf_val *out, pf_err *err) {
  double r;
  if (iw == 0.0) {
    r = 1.0;
  } else if (isnan(iv)) {
    r = iv;
  } else if (isnan(iw)) {
    r = iv == 1.0 ? 1.0 : iw;
  } else if (isinf(iw)) {
    double a = fabs(iv);
    if (a == 1.0)
      r = 1.0;
    else if ((iw > 0.0) == (a > 1.0))
      r = fabs(iw);
    else
      r = 0.0;
  } else if (isinf(iv)) {
    bool odd = is_odd_integer(iw);
    if (iw > 0.0)
      r = odd ? iv : fabs(iv);
    else
      r = odd ? copysign(0.0, iv) : 0.0;
  } else if (iv == 0.0) {
    if (iw < 0.0)
      return pf_raise(err, PF_EXC_ZeroDivisionError, "0.0 cannot be raised to a negative power");
    r = is_odd_integer(iw) ? iv : 0.0;
  } else {
    bool negate = false;
    if (iv < 0.0) {
      if (iw != floor(iw))
        return pf_raise(err, PF_EXC_ValueError, "complex results are not supported");
      iv = -iv;
      negate = is_odd_integer(iw);
    }
    if (iv == 1.0) {
      r = negate ? -1.0 : 1.0;
    } else {
      r = pow(iv, iw);
      if (isinf(r))
        return pf_raise(err, PF_EXC_OverflowError, "(34, 'Numerical result out of range')");
      if (negate)
        r = -r;
    }
  }
  *out = pf_float(r);
  return PF_OK;
}

/* CPython's float_divmod. */
static void float_divmod(double vx, double wx, double *div_p, double *mod_p) {
  double mod = fmod(vx, wx);
  double div = (vx - mod) / wx;
  if (mod) {
    if ((wx < 0) != (mod < 0)) {
      mod += wx;
      div -= 1.0;
    }
  } else {
    mod = copysign(0.0, wx);
  }
  double floordiv;
  if (div) {
    floordiv = floor(div);
    if (div - floordiv > 0.5)
      floordiv += 1.0;
  } else {
    floordiv = copysign(0.0, vx / wx);
  }
  *div_p = floordiv;
  *mod_p = mod;
}

pf_status_t pf_float_binop(pf_binop op, double a, double b, pf_val *out, pf_err *err) {
  double d, m;
  switch (op) {
  case PF_OP_ADD:
    *out = pf_float(a + b);
    return PF_OK;
  case PF_OP_SUB:
    *out = pf_float(a - b);
    return PF_OK;
  case PF_OP_MUL:
    *out = pf_float(a * b);
    return PF_OK;
  case PF_OP_TRUEDIV:
    if (b == 0.0)
      return pf_raise(err, PF_EXC_ZeroDivisionError, "float division by zero");
    *out = pf_float(a / b);
    return PF_OK;
  case PF_OP_FLOORDIV:
    if (b == 0.0)
      return pf_raise(err, PF_EXC_ZeroDivisionError, "float floor division by zero");
    float_divmod(a, b, &d, &m);
    *out = pf_float(d);
    return PF_OK;
  case PF_OP_MOD:
    if (b == 0.0)
      return pf_raise(err, PF_EXC_ZeroDivisionError, "float modulo");
    float_divmod(a, b, &d, &m);
    *out = pf_float(m);
    return PF_OK;
  case PF_OP_POW:
    return float_pow(a, b, out, err);
  default:
    return pf_raise(err, PF_EXC_TypeError,
                    "unsupported operand type(s) for %s: 'float' and 'float'",
                    pf_binop_symbol(op));
  }
}

pf_status_t pf_float_divmod(double a, double b, double *q, double *r, pf_err *err) {
  if (b == 0.0)
    return pf_raise(err, PF_EXC_ZeroDivisionError, "float divmod()");
  float_divmod(a, b, q, r);
  return PF_OK;
}

#define PF_HASH_BITS 61
#define PF_HASH_MOD ((UINT64_C(1) << PF_HASH_BITS) - 1)

int64_t pf_float_hash(double v) {
  if (isinf(v))
    return v > 0 ? 314159 : -314159;
  if (isnan(v))
    return 0;
  int e;
  double m = frexp(v, &e);
  int sign = 1;
  if (m < 0) {
    sign = -1;
    m = -m;
  }
  uint64_t x = 0;
  while (m) {
    x = ((x << 28) & PF_HASH_MOD) | x >> (PF_HASH_BITS - 28);
    m *= 268435456.0;
    e -= 28;
    uint64_t y = (uint64_t)m;
    m -= (double)y;
    x += y;
    if (x >= PF_HASH_MOD)
      x -= PF_HASH_MOD;
  }
  e = e >= 0 ? e % PF_HASH_BITS : PF_HASH_BITS - 1 - ((-1 - e) % PF_HASH_BITS);
  x = ((x << e) & PF_HASH_MOD) | x >> (PF_HASH_BITS - e);
  int64_t h = (int64_t)x * sign;
  return h == -1 ? -2 : h;
}

void pf_float_repr_buf(double d, char *buf) {
  if (isnan(d)) {
    strcpy(buf, "nan");
    return;
  }
  if (isinf(d)) {
    strcpy(buf, d > 0 ? "inf" : "-inf");
    return;
  }
  if (d == 0.0) {
    strcpy(buf, signbit(d) ? "-0.0" : "0.0");
    return;
  }
  /* shortest digits that round-trip, the nearest such at that length (as dtoa mode 0):
   * per length, the correctly rounded digits, else the neighbour on the other side of d */
  char digits[24];
  int nd = 0, exp10 = 0;
  bool neg = signbit(d) != 0;
  double a = fabs(d);
  for (int p = 1; p <= 17; p++) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, a);
    double back = strtod(tmp, NULL);
    unsigned long long m = 0;
    const char *q = tmp;
    for (; *q && *q != 'e'; q++)
      if (*q >= '0' && *q <= '9')
        m = m * 10 + (unsigned long long)(*q - '0');
    int e = atoi(q + 1) - (p - 1); /* value = m * 10^e */
    if (back != a) {
      if (p < 16)
        continue; /* two candidates at a length only matter near 17 digits */
      m = back > a ? m - 1 : m + 1;
      snprintf(tmp, sizeof tmp, "%llue%d", m, e);
      if (strtod(tmp, NULL) != a)
        continue;
    }
    nd = snprintf(digits, sizeof digits, "%llu", m);
    exp10 = e + nd - 1;
    break;
  }
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = 0;
  char *o = buf;
  if (neg)
    *o++ = '-';
  if (exp10 < -4 || exp10 >= 16) {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    return;
  }
  if (exp10 < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -exp10 - 1; i++)
      *o++ = '0';
    memcpy(o, digits, (size_t)nd);
    o += nd;
  } else {
    for (int i = 0; i <= exp10; i++)
      *o++ = i < nd ? digits[i] : '0';
    *o++ = '.';
    if (nd > exp10 + 1) {
      memcpy(o, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
      o += nd - exp10 - 1;
    } else {
      *o++ = '0';
    }
  }
  *o = 0;
}

pf_status_t pf_float_to_int(double d, pf_val *out, pf_err *err) {
  if (isnan(d))
    return pf_raise(err, PF_EXC_ValueError, "cannot convert float NaN to integer");
  if (isinf(d))
    return pf_raise(err, PF_EXC_OverflowError, "cannot convert float infinity to integer");
  double t = trunc(d);
  if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) {
    *out = pf_int((int64_t)t);
    return PF_OK;
  }
  mpz_t z;
  mpz_init_set_d(z, t);
  return pf_int_from_mpz_take(z, out, err);
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static bool ieq(const char *s, size_t n, const char *w) {
  if (strlen(w) != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((s[i] | 0x20) != w[i])
      return false;
  return true;
}

/* Copies the digits at s[*i..e) into "o" (underscores only between digits). */
static size_t take_digits(const char *s, size_t *i, size_t e, char *o, bool *ok) {
  size_t k = 0;
  size_t j = *i;
  while (j < e) {
    if (s[j] >= '0' && s[j] <= '9') {
      o[k++] = s[j++];
    } else if (s[j] == '_' && k > 0 && j + 1 < e && s[j + 1] >= '0' && s[j + 1] <= '9') {
      j++;
    } else {
      break;
    }
  }
  *i = j;
  (void)ok;
  return k;
}

pf_status_t pf_float_parse(const char *s, size_t n, double *out, pf_err *err) {
  size_t i = 0, e = n;
  while (i < e && is_space(s[i]))
    i++;
  while (e > i && is_space(s[e - 1]))
    e--;
  char *buf = pf_xmalloc(e - i + 8, err);
  if (!buf)
    return PF_EPYEXC;
  size_t k = 0;
  bool ok = true;
  size_t j = i;
  bool neg = false;
  if (j < e && (s[j] == '+' || s[j] == '-')) {
    neg = s[j] == '-';
    buf[k++] = s[j++];
  }
  if (ieq(s + j, e - j, "inf") || ieq(s + j, e - j, "infinity")) {
    free(buf);
    *out = neg ? -INFINITY : INFINITY;
    return PF_OK;
  }
  if (ieq(s + j, e - j, "nan")) {
    free(buf);
    *out = neg ? -NAN : NAN;
    return PF_OK;
  }
  size_t nint = take_digits(s, &j, e, buf + k, &ok);
  k += nint;
  size_t nfrac = 0;
  if (j < e && s[j] == '.') {
    buf[k++] = s[j++];
    nfrac = take_digits(s, &j, e, buf + k, &ok);
    k += nfrac;
  }
  if (nint + nfrac == 0)
    ok = false;
  if (ok && j < e && (s[j] == 'e' || s[j] == 'E')) {
    buf[k++] = s[j++];
    if (j < e && (s[j] == '+' || s[j] == '-'))
      buf[k++] = s[j++];
    size_t nexp = take_digits(s, &j, e, buf + k, &ok);
    k += nexp;
    if (nexp == 0)
      ok = false;
  }
  if (j != e)
    ok = false;
  buf[k] = 0;
  if (!ok) {
    free(buf);
    pf_sb b;
    pf_sb_init(&b);
    pf_val sv;
    if (pf_str_new(s, n, &sv, NULL) == PF_OK) {
      pf_sb_put_str_repr(&b, sv);
      pf_decref(sv);
    }
    pf_status_t st = pf_raise(err, PF_EXC_ValueError, "could not convert string to float: %s",
                              b.p ? b.p : "''");
    pf_sb_free(&b);
    return st;
  }
  *out = strtod(buf, NULL);
  free(buf);
  return PF_OK;
}

pf_status_t pf_float_round(double x, pf_val ndigits, pf_val *out, pf_err *err) {
  if (ndigits.tag == PF_UNBOUND || ndigits.tag == PF_NONE) {
    double r = round(x);
    if (fabs(x - r) == 0.5)
      r = 2.0 * round(x / 2.0);
    return pf_float_to_int(r, out, err);
  }
  if (!pf_is_int(ndigits))
    return pf_raise(err, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                    pf_type_name(ndigits));
  int64_t nd;
  if (!pf_int_as_i64(ndigits, &nd))
    nd = mpz_sgn(PF_BIG(ndigits)) > 0 ? INT64_MAX : INT64_MIN;
  if (!isfinite(x) || x == 0.0 || nd > 323) {
    *out = pf_float(x);
    return PF_OK;
  }
  if (nd < -308) {
    *out = pf_float(0.0 * x);
    return PF_OK;
  }
  double r;
  if (nd >= 0) {
    char buf[700];
    snprintf(buf, sizeof buf, "%.*f", (int)nd, x);
    r = strtod(buf, NULL);
  } else {
    /* exact: x = m * 2^e; q = round_half_even(x / 10^k); r = q * 10^k */
    int e;
    double m = frexp(x, &e);
    mpz_t num, den, q, rem, t;
    mpz_inits(num, den, q, rem, t, NULL);
    mpz_set_d(num, ldexp(m, 53));
    e -= 53;
    mpz_ui_pow_ui(den, 10, (unsigned long)-nd);
    if (e >= 0)
      mpz_mul_2exp(num, num, (mp_bitcnt_t)e);
    else
      mpz_mul_2exp(den, den, (mp_bitcnt_t)-e);
    mpz_fdiv_qr(q, rem, num, den);
    mpz_mul_2exp(rem, rem, 1);
    int c = mpz_cmp(rem, den);
    if (c > 0 || (c == 0 && mpz_odd_p(q)))
      mpz_add_ui(q, q, 1);
    mpz_ui_pow_ui(t, 10, (unsigned long)-nd);
    mpz_mul(q, q, t);
    pf_val qv;
    pf_status_t st = pf_int_from_mpz(q, &qv, err);
    mpz_clears(num, den, q, rem, t, NULL);
    if (st != PF_OK)
      return st;
    st = pf_int_to_double(qv, &r, NULL);
    pf_decref(qv);
    if (st != PF_OK)
      r = INFINITY;
    if (r == 0.0)
      r = copysign(0.0, x);
  }
  if (isinf(r))
    return pf_raise(err, PF_EXC_OverflowError, "rounded value too large to represent");
  *out = pf_float(r);
  return PF_OK;
}
