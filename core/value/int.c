/* int.c — Python ints: int64 fast paths, GMP beyond, exact conversions to float. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

/* ---------------------------------------------------------------- construction */

pf_status_t pf_int_from_mpz(const mpz_t z, pf_val *out, pf_err *err) {
  if (mpz_fits_slong_p(z)) {
    *out = pf_int((int64_t)mpz_get_si(z));
    return PF_OK;
  }
  pf_bigint *b = pf_xmalloc(sizeof *b, err);
  if (!b)
    return PF_EPYEXC;
  pf_obj_init(&b->h, &pf_type_bigint);
  mpz_init_set(b->z, z);
  *out = pf_obj_val(&b->h);
  return PF_OK;
}

pf_status_t pf_int_from_mpz_take(mpz_t z, pf_val *out, pf_err *err) {
  if (mpz_fits_slong_p(z)) {
    *out = pf_int((int64_t)mpz_get_si(z));
    mpz_clear(z);
    return PF_OK;
  }
  pf_bigint *b = pf_xmalloc(sizeof *b, err);
  if (!b) {
    mpz_clear(z);
    return PF_EPYEXC;
  }
  pf_obj_init(&b->h, &pf_type_bigint);
  memcpy(b->z, z, sizeof(mpz_t)); /* move the limbs */
  *out = pf_obj_val(&b->h);
  return PF_OK;
}

void pf_int_to_mpz(pf_val v, mpz_t z) {
  if (pf_is_big(v))
    mpz_set(z, PF_BIG(v));
  else
    mpz_set_si(z, (long)v.u.i);
}

/* Read-only mpz view of int "v": the bigint's own, or "tmp" (initialised) set to it. */
static mpz_srcptr zview(pf_val v, mpz_t tmp) {
  if (pf_is_big(v))
    return PF_BIG(v);
  mpz_set_si(tmp, (long)v.u.i);
  return tmp;
}

size_t pf_int_bitlen(pf_val v) {
  if (pf_is_big(v))
    return mpz_sizeinbase(PF_BIG(v), 2);
  uint64_t m = v.u.i < 0 ? -(uint64_t)v.u.i : (uint64_t)v.u.i;
  return m ? 64 - (size_t)__builtin_clzll(m) : 0;
}

bool pf_int_as_i64(pf_val v, int64_t *out) {
  if (pf_is_big(v))
    return false; /* normalised: a bigint never fits */
  *out = v.u.i;
  return true;
}

static int int_sign(pf_val v) {
  if (pf_is_big(v))
    return mpz_sgn(PF_BIG(v));
  return (v.u.i > 0) - (v.u.i < 0);
}

/* ---------------------------------------------------------------- to float */

/* |z| (bit length "nbits" > 53) rounded half-even to a double, may be inf. */
static double mag_to_double(mpz_srcptr z, size_t nbits) {
  mpz_t t;
  mpz_init(t);
  mpz_abs(t, z);
  size_t sh = nbits - 55;
  bool sticky = mpz_scan1(t, 0) < sh;
  mpz_tdiv_q_2exp(t, t, sh);
  uint64_t top = (uint64_t)mpz_get_ui(t) | (sticky ? 1u : 0u);
  mpz_clear(t);
  /* 55 significant bits with the sticky bit: the hardware conversion rounds half-even
   * exactly as the infinitely precise value would. */
  return ldexp((double)top, (int)sh);
}

pf_status_t pf_int_to_double(pf_val v, double *out, pf_err *err) {
  if (!pf_is_big(v)) {
    *out = (double)v.u.i; /* correctly rounded by the hardware */
    return PF_OK;
  }
  size_t nbits = mpz_sizeinbase(PF_BIG(v), 2);
  if (nbits > DBL_MAX_EXP)
    return pf_raise(err, PF_EXC_OverflowError, "int too large to convert to float");
  double d = mag_to_double(PF_BIG(v), nbits);
  if (isinf(d))
    return pf_raise(err, PF_EXC_OverflowError, "int too large to convert to float");
  *out = mpz_sgn(PF_BIG(v)) < 0 ? -d : d;
  return PF_OK;
}

/* a / b correctly rounded (CPython's long_true_divide), b != 0. */
static pf_status_t int_truediv(pf_val a, pf_val b, double *out, pf_err *err) {
  if (!pf_is_big(a) && !pf_is_big(b)) {
    int64_t x = a.u.i, y = b.u.i;
    if (x >= -(INT64_C(1) << 53) && x <= (INT64_C(1) << 53) && y >= -(INT64_C(1) << 53) &&
        y <= (INT64_C(1) << 53)) {
      *out = (double)x / (double)y;
      return PF_OK;
    }
  }
  mpz_t ta, tb, q, r;
  mpz_inits(ta, tb, q, r, NULL);
  mpz_abs(ta, zview(a, ta));
  mpz_abs(tb, zview(b, tb));
  bool negate = (int_sign(a) < 0) != (int_sign(b) < 0);
  pf_status_t st = PF_OK;
  double result = 0.0;
  if (mpz_sgn(ta) == 0) {
    result = 0.0;
    goto done;
  }
  long na = (long)mpz_sizeinbase(ta, 2), nb = (long)mpz_sizeinbase(tb, 2);
  long diff = na - nb;
  if (diff > DBL_MAX_EXP) {
    st = pf_raise(err, PF_EXC_OverflowError, "integer division result too large for a float");
    goto done;
  }
  if (diff < DBL_MIN_EXP - DBL_MANT_DIG - 1) {
    result = 0.0;
    goto done;
  }
  long shift = (diff > DBL_MIN_EXP ? diff : DBL_MIN_EXP) - DBL_MANT_DIG - 2;
  if (shift <= 0)
    mpz_mul_2exp(ta, ta, (mp_bitcnt_t)-shift);
  else
    mpz_mul_2exp(tb, tb, (mp_bitcnt_t)shift);
  mpz_tdiv_qr(q, r, ta, tb);
  bool inexact = mpz_sgn(r) != 0;
  uint64_t x = (uint64_t)mpz_get_ui(q);
  long x_bits = (long)mpz_sizeinbase(q, 2);
  long extra = (x_bits > DBL_MIN_EXP - shift ? x_bits : DBL_MIN_EXP - shift) - DBL_MANT_DIG;
  uint64_t mask = (uint64_t)1 << (extra - 1);
  uint64_t low = x | (inexact ? 1u : 0u);
  if ((low & mask) && (low & (3 * mask - 1)))
    low += mask;
  x = low & ~(2 * mask - 1);
  double dx = (double)x;
  if (shift + x_bits >= DBL_MAX_EXP &&
      (shift + x_bits > DBL_MAX_EXP || dx == ldexp(1.0, (int)x_bits))) {
    st = pf_raise(err, PF_EXC_OverflowError, "integer division result too large for a float");
    goto done;
  }
  result = ldexp(dx, (int)shift);
done:
  if (st == PF_OK)
    *out = negate ? -result : result;
  mpz_clears(ta, tb, q, r, NULL);
  return st;
}

/* ---------------------------------------------------------------- comparison, hash */

int pf_int_cmp(pf_val a, pf_val b) {
  if (!pf_is_big(a) && !pf_is_big(b))
    return (a.u.i > b.u.i) - (a.u.i < b.u.i);
  if (pf_is_big(a) && pf_is_big(b)) {
    int c = mpz_cmp(PF_BIG(a), PF_BIG(b));
    return (c > 0) - (c < 0);
  }
  if (pf_is_big(a))
    return mpz_sgn(PF_BIG(a));
  return -mpz_sgn(PF_BIG(b));
}

int pf_int_cmp_float(pf_val a, double f) {
  if (isnan(f))
    return 2;
  if (isinf(f))
    return f > 0 ? -1 : 1;
  if (!pf_is_big(a) && a.u.i >= -(INT64_C(1) << 53) && a.u.i <= (INT64_C(1) << 53)) {
    double d = (double)a.u.i;
    return (d > f) - (d < f);
  }
  double fl = floor(f);
  mpz_t t, tv;
  mpz_inits(t, tv, NULL);
  mpz_set_d(t, fl);
  int c = mpz_cmp(zview(a, tv), t);
  mpz_clears(t, tv, NULL);
  if (c > 0)
    return 1;
  if (c < 0)
    return -1;
  return fl == f ? 0 : -1; /* a == floor(f) < f */
}

#define PF_HASH_MOD ((UINT64_C(1) << 61) - 1)

int64_t pf_int_hash(pf_val v) {
  int64_t h;
  if (!pf_is_big(v)) {
    int64_t x = v.u.i;
    uint64_t m = x < 0 ? -(uint64_t)x : (uint64_t)x;
    m %= PF_HASH_MOD;
    h = x < 0 ? -(int64_t)m : (int64_t)m;
  } else {
    mpz_t t;
    mpz_init(t);
    mpz_abs(t, PF_BIG(v));
    uint64_t m = (uint64_t)mpz_tdiv_ui(t, PF_HASH_MOD);
    mpz_clear(t);
    h = mpz_sgn(PF_BIG(v)) < 0 ? -(int64_t)m : (int64_t)m;
  }
  return h == -1 ? -2 : h;
}

/* ---------------------------------------------------------------- arithmetic */

static pf_status_t too_big(pf_err *err) { return pf_raise(err, PF_EXC_MemoryError, "%s", ""); }

/* Big path for the binary operators; "a", "b" ints. */
static pf_status_t int_binop_big(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  mpz_t ta, tb, r;
  mpz_inits(ta, tb, r, NULL);
  mpz_srcptr za = zview(a, ta), zb = zview(b, tb);
  pf_status_t st = PF_OK;
  switch (op) {
  case PF_OP_ADD:
    mpz_add(r, za, zb);
    break;
  case PF_OP_SUB:
    mpz_sub(r, za, zb);
    break;
  case PF_OP_MUL:
    if ((uint64_t)mpz_sizeinbase(za, 2) + mpz_sizeinbase(zb, 2) > PF_INT_MAX_BITS)
      st = too_big(err);
    else
      mpz_mul(r, za, zb);
    break;
  case PF_OP_FLOORDIV:
  case PF_OP_MOD:
    if (mpz_sgn(zb) == 0)
      st = pf_raise(err, PF_EXC_ZeroDivisionError, op == PF_OP_MOD
                                                       ? "integer modulo by zero"
                                                       : "integer division or modulo by zero");
    else if (op == PF_OP_FLOORDIV)
      mpz_fdiv_q(r, za, zb);
    else
      mpz_fdiv_r(r, za, zb);
    break;
  case PF_OP_LSHIFT:
  case PF_OP_RSHIFT:
    if (mpz_sgn(zb) < 0) {
      st = pf_raise(err, PF_EXC_ValueError, "negative shift count");
    } else if (mpz_sgn(za) == 0) {
      mpz_set_ui(r, 0);
    } else if (op == PF_OP_RSHIFT) {
      if (!mpz_fits_ulong_p(zb) || mpz_get_ui(zb) >= mpz_sizeinbase(za, 2))
        mpz_set_si(r, mpz_sgn(za) < 0 ? -1 : 0);
      else
        mpz_fdiv_q_2exp(r, za, mpz_get_ui(zb));
    } else {
      if (!mpz_fits_ulong_p(zb) ||
          (uint64_t)mpz_get_ui(zb) + mpz_sizeinbase(za, 2) > PF_INT_MAX_BITS)
        st = too_big(err);
      else
        mpz_mul_2exp(r, za, mpz_get_ui(zb));
    }
    break;
  case PF_OP_BITAND:
    mpz_and(r, za, zb);
    break;
  case PF_OP_BITOR:
    mpz_ior(r, za, zb);
    break;
  case PF_OP_BITXOR:
    mpz_xor(r, za, zb);
    break;
  default:
    st = pf_raise(err, PF_EXC_TypeError, "unsupported operand type(s) for %s: 'int' and 'int'",
                  pf_binop_symbol(op));
  }
  mpz_clears(ta, tb, NULL);
  if (st != PF_OK) {
    mpz_clear(r);
    return st;
  }
  return pf_int_from_mpz_take(r, out, err);
}

pf_status_t pf_int_pow(pf_val a, pf_val b, pf_val mod, pf_val *out, pf_err *err) {
  if (mod.tag != PF_UNBOUND && mod.tag != PF_NONE) {
    if (int_sign(mod) == 0)
      return pf_raise(err, PF_EXC_ValueError, "pow() 3rd argument cannot be 0");
    mpz_t ta, tb, tm, m, base, e, r;
    mpz_inits(ta, tb, tm, m, base, e, r, NULL);
    mpz_abs(m, zview(mod, tm));
    mpz_mod(base, zview(a, ta), m);
    mpz_set(e, zview(b, tb));
    pf_status_t st = PF_OK;
    if (mpz_sgn(e) < 0) {
      if (!mpz_invert(base, base, m)) {
        st = pf_raise(err, PF_EXC_ValueError, "base is not invertible for the given modulus");
        goto mdone;
      }
      mpz_neg(e, e);
    }
    mpz_powm(r, base, e, m);
    if (int_sign(mod) < 0 && mpz_sgn(r) != 0)
      mpz_sub(r, r, m);
  mdone:
    mpz_clears(ta, tb, tm, m, base, e, NULL);
    if (st != PF_OK) {
      mpz_clear(r);
      return st;
    }
    return pf_int_from_mpz_take(r, out, err);
  }
  if (int_sign(b) < 0) {
    double x, y;
    pf_status_t st = pf_int_to_double(a, &x, err);
    if (st == PF_OK)
      st = pf_int_to_double(b, &y, err);
    if (st != PF_OK)
      return st;
    return pf_float_binop(PF_OP_POW, x, y, out, err);
  }
  /* base 0, 1, -1: any exponent */
  if (!pf_is_big(a) && a.u.i >= -1 && a.u.i <= 1) {
    if (int_sign(b) == 0)
      *out = pf_int(1);
    else if (a.u.i == -1)
      *out = pf_int(pf_is_big(b) ? (mpz_odd_p(PF_BIG(b)) ? -1 : 1) : ((b.u.i & 1) ? -1 : 1));
    else
      *out = pf_int(a.u.i);
    return PF_OK;
  }
  if (pf_is_big(b))
    return too_big(err);
  uint64_t e = (uint64_t)b.u.i;
  if (!pf_is_big(a)) {
    int64_t base = a.u.i, acc = 1;
    uint64_t k = e;
    bool ok = true;
    while (k) {
      if (k & 1)
        ok = ok && !__builtin_mul_overflow(acc, base, &acc);
      k >>= 1;
      if (k)
        ok = ok && !__builtin_mul_overflow(base, base, &base);
      if (!ok)
        break;
    }
    if (ok) {
      *out = pf_int(acc);
      return PF_OK;
    }
  }
  mpz_t ta, r;
  mpz_inits(ta, r, NULL);
  mpz_srcptr za = zview(a, ta);
  long ex;
  double mant = mpz_get_d_2exp(&ex, za);
  double bits = ((double)ex + log2(fabs(mant))) * (double)e;
  if (bits > (double)PF_INT_MAX_BITS) {
    mpz_clears(ta, r, NULL);
    return too_big(err);
  }
  mpz_pow_ui(r, za, (unsigned long)e);
  mpz_clear(ta);
  return pf_int_from_mpz_take(r, out, err);
}

pf_status_t pf_int_binop(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) {
  if (op == PF_OP_TRUEDIV) {
    if (int_sign(b) == 0)
      return pf_raise(err, PF_EXC_ZeroDivisionError, "division by zero");
    double d;
    pf_status_t st = int_truediv(a, b, &d, err);
    if (st == PF_OK)
      *out = pf_float(d);
    return st;
  }
  if (op == PF_OP_POW)
    return pf_int_pow(a, b, pf_unbound(), out, err);
  if (!pf_is_big(a) && !pf_is_big(b)) {
    int64_t x = a.u.i, y = b.u.i, r;
    switch (op) {
    case PF_OP_ADD:
      if (!__builtin_add_overflow(x, y, &r))
        goto small;
      break;
    case PF_OP_SUB:
      if (!__builtin_sub_overflow(x, y, &r))
        goto small;
      break;
    case PF_OP_MUL:
      if (!__builtin_mul_overflow(x, y, &r))
        goto small;
      break;
    case PF_OP_FLOORDIV:
      if (y == 0)
        return pf_raise(err, PF_EXC_ZeroDivisionError, "integer division or modulo by zero");
      if (x == INT64_MIN && y == -1)
        break;
      r = x / y;
      if (x % y != 0 && ((x < 0) != (y < 0)))
        r--;
      goto small;
    case PF_OP_MOD:
      if (y == 0)
        return pf_raise(err, PF_EXC_ZeroDivisionError, "integer modulo by zero");
      if (y == -1) {
        r = 0;
        goto small;
      }
      r = x % y;
      if (r != 0 && ((r < 0) != (y < 0)))
        r += y;
      goto small;
    case PF_OP_LSHIFT:
      if (y < 0)
        return pf_raise(err, PF_EXC_ValueError, "negative shift count");
      if (x == 0) {
        r = 0;
        goto small;
      }
      if (y < 63) {
        r = (int64_t)((uint64_t)x << y);
        if ((r >> y) == x)
          goto small;
      }
      break;
    case PF_OP_RSHIFT:
      if (y < 0)
        return pf_raise(err, PF_EXC_ValueError, "negative shift count");
      r = y >= 63 ? (x < 0 ? -1 : 0) : (x >> y);
      goto small;
    case PF_OP_BITAND:
      r = x & y;
      goto small;
    case PF_OP_BITOR:
      r = x | y;
      goto small;
    case PF_OP_BITXOR:
      r = x ^ y;
      goto small;
    default:
      break;
    }
    goto big;
  small:
    *out = pf_int(r);
    return PF_OK;
  }
big:
  return int_binop_big(op, a, b, out, err);
}

/* ---------------------------------------------------------------- text */

void pf_sb_put_int(pf_sb *b, pf_val v, int base) {
  if (!pf_is_big(v)) {
    int64_t x = v.u.i;
    uint64_t m = x < 0 ? -(uint64_t)x : (uint64_t)x;
    char buf[72];
    int i = (int)sizeof buf;
    do {
      buf[--i] = "0123456789abcdef"[m % (unsigned)base];
      m /= (unsigned)base;
    } while (m);
    if (x < 0)
      buf[--i] = '-';
    pf_sb_putn(b, buf + i, sizeof buf - (size_t)i);
    return;
  }
  char *s = mpz_get_str(NULL, base, PF_BIG(v));
  if (!s) {
    b->oom = true;
    return;
  }
  pf_sb_puts(b, s);
  void (*freefn)(void *, size_t);
  mp_get_memory_functions(NULL, NULL, &freefn);
  freefn(s, strlen(s) + 1);
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int digit_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

static pf_status_t bad_literal(const char *s, size_t n, int base, pf_err *err) {
  pf_val sv;
  pf_sb b;
  pf_sb_init(&b);
  if (pf_str_new(s, n, &sv, NULL) == PF_OK) {
    pf_sb_put_str_repr(&b, sv);
    pf_decref(sv);
  }
  pf_status_t st = pf_raise(err, PF_EXC_ValueError, "invalid literal for int() with base %d: %s",
                            base, b.p ? b.p : "''");
  pf_sb_free(&b);
  return st;
}

pf_status_t pf_int_parse(const char *s, size_t n, int base, pf_val *out, pf_err *err) {
  if (base != 0 && (base < 2 || base > 36))
    return pf_raise(err, PF_EXC_ValueError, "int() base must be >= 2 and <= 36, or 0");
  size_t i = 0, e = n;
  while (i < e && is_space(s[i]))
    i++;
  while (e > i && is_space(s[e - 1]))
    e--;
  bool neg = false;
  if (i < e && (s[i] == '+' || s[i] == '-'))
    neg = s[i++] == '-';
  int b = base;
  bool prefixed = false;
  if (e - i >= 2 && s[i] == '0') {
    char c = (char)(s[i + 1] | 0x20);
    int pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
    if (pb && (base == 0 || base == pb)) {
      b = pb;
      i += 2;
      prefixed = true;
    }
  }
  if (b == 0)
    b = 10;
  char *buf = pf_xmalloc(e - i + 2, err);
  if (!buf)
    return PF_EPYEXC;
  size_t k = 0;
  bool ok = i < e || false;
  bool prev_us = prefixed; /* an underscore may follow the prefix */
  bool allzero = true;
  if (prefixed && i < e && s[i] == '_') {
    i++;
    prev_us = false;
    if (i >= e)
      ok = false;
  } else if (prefixed)
    prev_us = false;
  for (size_t j = i; ok && j < e; j++) {
    char c = s[j];
    if (c == '_') {
      if (prev_us || j == i || j + 1 == e)
        ok = false;
      prev_us = true;
      continue;
    }
    prev_us = false;
    if (digit_value(c) >= b) {
      ok = false;
      break;
    }
    if (c != '0')
      allzero = false;
    buf[k++] = c;
  }
  if (k == 0)
    ok = false;
  /* base 0 without prefix: no leading zeros unless the value is zero */
  if (ok && base == 0 && !prefixed && buf[0] == '0' && !allzero)
    ok = false;
  if (!ok) {
    free(buf);
    return bad_literal(s, n, base, err);
  }
  buf[k] = 0;
  mpz_t z;
  mpz_init(z);
  if ((uint64_t)k * 6 > PF_INT_MAX_BITS) {
    free(buf);
    mpz_clear(z);
    return too_big(err);
  }
  mpz_set_str(z, buf, b);
  free(buf);
  if (neg)
    mpz_neg(z, z);
  return pf_int_from_mpz_take(z, out, err);
}
