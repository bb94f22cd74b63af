/* builtins.c — conversions int()/float() and the pure builtins abs, divmod, pow, round,
 * hex, oct, bin, ord, chr. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

pf_status_t pf_val_to_int(pf_val v, pf_val *out, pf_err *err) {
  if (pf_is_int(v)) {
    *out = v.tag == PF_BOOL ? pf_int(v.u.i) : pf_incref(v);
    return PF_OK;
  }
  if (v.tag == PF_FLOAT)
    return pf_float_to_int(v.u.f, out, err);
  if (pf_is_str(v)) {
    size_t n;
    const char *s = pf_str_utf8(v, &n);
    return pf_int_parse(s, n, 10, out, err);
  }
  return pf_raise(err, PF_EXC_TypeError,
                  "int() argument must be a string, a bytes-like object or a real number, not '%s'",
                  pf_type_name(v));
}

pf_status_t pf_val_to_int_base(pf_val s, int base, pf_val *out, pf_err *err) {
  if (!pf_is_str(s))
    return pf_raise(err, PF_EXC_TypeError, "int() can't convert non-string with explicit base");
  size_t n;
  const char *p = pf_str_utf8(s, &n);
  return pf_int_parse(p, n, base, out, err);
}

pf_status_t pf_val_to_float(pf_val v, pf_val *out, pf_err *err) {
  double d;
  if (v.tag == PF_FLOAT) {
    *out = v;
    return PF_OK;
  }
  if (pf_is_int(v)) {
    if (pf_int_to_double(v, &d, err) != PF_OK)
      return PF_EPYEXC;
  } else if (pf_is_str(v)) {
    size_t n;
    const char *s = pf_str_utf8(v, &n);
    if (pf_float_parse(s, n, &d, err) != PF_OK)
      return PF_EPYEXC;
  } else {
    return pf_raise(err, PF_EXC_TypeError,
                    "float() argument must be a string or a real number, not '%s'",
                    pf_type_name(v));
  }
  *out = pf_float(d);
  return PF_OK;
}

pf_status_t pf_builtin_abs(pf_val v, pf_val *out, pf_err *err) {
  if (v.tag == PF_FLOAT) {
    *out = pf_float(fabs(v.u.f));
    return PF_OK;
  }
  if (pf_is_int(v)) {
    if (pf_is_big(v) ? mpz_sgn(PF_BIG(v)) < 0 : v.u.i < 0)
      return pf_val_unop(PF_OP_NEG, v, out, err);
    return pf_val_to_int(v, out, err);
  }
  return pf_raise(err, PF_EXC_TypeError, "bad operand type for abs(): '%s'", pf_type_name(v));
}

pf_status_t pf_builtin_divmod(pf_val a, pf_val b, pf_val *out, pf_err *err) {
  pf_val pair[2];
  if (pf_is_int(a) && pf_is_int(b)) {
    if (pf_int_binop(PF_OP_FLOORDIV, a, b, &pair[0], err) != PF_OK)
      return PF_EPYEXC;
    if (pf_int_binop(PF_OP_MOD, a, b, &pair[1], err) != PF_OK) {
      pf_decref(pair[0]);
      return PF_EPYEXC;
    }
    return pf_tuple_new(2, pair, out, err);
  }
  if (pf_is_num(a) && pf_is_num(b)) {
    double x, y, q, r;
    if ((a.tag == PF_FLOAT ? (x = a.u.f, PF_OK) : pf_int_to_double(a, &x, err)) != PF_OK ||
        (b.tag == PF_FLOAT ? (y = b.u.f, PF_OK) : pf_int_to_double(b, &y, err)) != PF_OK ||
        pf_float_divmod(x, y, &q, &r, err) != PF_OK)
      return PF_EPYEXC;
    pair[0] = pf_float(q);
    pair[1] = pf_float(r);
    return pf_tuple_new(2, pair, out, err);
  }
  return pf_raise(err, PF_EXC_TypeError,
                  "unsupported operand type(s) for divmod(): '%s' and '%s'", pf_type_name(a),
                  pf_type_name(b));
}

pf_status_t pf_builtin_pow(pf_val a, pf_val b, pf_val mod, pf_val *out, pf_err *err) {
  if (mod.tag == PF_UNBOUND || mod.tag == PF_NONE)
    return pf_val_binop(PF_OP_POW, a, b, out, err);
  if (!pf_is_int(a) || !pf_is_int(b) || !pf_is_int(mod)) {
    if (pf_is_num(a) && pf_is_num(b) && pf_is_num(mod))
      return pf_raise(err, PF_EXC_TypeError,
                      "pow() 3rd argument not allowed unless all arguments are integers");
    return pf_raise(err, PF_EXC_TypeError,
                    "unsupported operand type(s) for ** or pow(): '%s', '%s', '%s'",
                    pf_type_name(a), pf_type_name(b), pf_type_name(mod));
  }
  return pf_int_pow(a, b, mod, out, err);
}

pf_status_t pf_builtin_round(pf_val v, pf_val nd, pf_val *out, pf_err *err) {
  if (v.tag == PF_FLOAT)
    return pf_float_round(v.u.f, nd, out, err);
  if (!pf_is_int(v))
    return pf_raise(err, PF_EXC_TypeError, "type %s doesn't define __round__ method",
                    pf_type_name(v));
  if (nd.tag == PF_UNBOUND || nd.tag == PF_NONE)
    return pf_val_to_int(v, out, err);
  if (!pf_is_int(nd))
    return pf_raise(err, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                    pf_type_name(nd));
  int64_t k;
  if (pf_int_as_i64(nd, &k) && k >= 0)
    return pf_val_to_int(v, out, err);
  if (!pf_int_as_i64(nd, &k) && mpz_sgn(PF_BIG(nd)) > 0)
    return pf_val_to_int(v, out, err);
  /* round half even to a multiple of 10^-k */
  if (!pf_int_as_i64(nd, &k) || (uint64_t)(-(k + 1)) + 1 > pf_int_bitlen(v) + 1) {
    *out = pf_int(0);
    return PF_OK;
  }
  mpz_t x, p, q, r;
  mpz_inits(x, p, q, r, NULL);
  pf_int_to_mpz(v, x);
  mpz_ui_pow_ui(p, 10, (unsigned long)-k);
  mpz_fdiv_qr(q, r, x, p);
  mpz_mul_2exp(r, r, 1);
  int c = mpz_cmp(r, p);
  if (c > 0 || (c == 0 && mpz_odd_p(q)))
    mpz_add_ui(q, q, 1);
  mpz_mul(q, q, p);
  mpz_clears(x, p, r, NULL);
  return pf_int_from_mpz_take(q, out, err);
}

static pf_status_t radix(pf_val v, int base, const char *prefix, pf_val *out, pf_err *err) {
  if (!pf_is_int(v))
    return pf_raise(err, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                    pf_type_name(v));
  pf_sb b;
  pf_sb_init(&b);
  bool neg = pf_is_big(v) ? mpz_sgn(PF_BIG(v)) < 0 : v.u.i < 0;
  if (neg)
    pf_sb_putc(&b, '-');
  pf_sb_puts(&b, prefix);
  pf_sb t;
  pf_sb_init(&t);
  pf_sb_put_int(&t, v, base);
  if (t.p)
    pf_sb_puts(&b, t.p + (neg ? 1 : 0));
  if (t.oom)
    b.oom = true;
  pf_sb_free(&t);
  return pf_sb_finish(&b, out, err);
}

pf_status_t pf_builtin_hex(pf_val v, pf_val *out, pf_err *err) { return radix(v, 16, "0x", out, err); }
pf_status_t pf_builtin_oct(pf_val v, pf_val *out, pf_err *err) { return radix(v, 8, "0o", out, err); }
pf_status_t pf_builtin_bin(pf_val v, pf_val *out, pf_err *err) { return radix(v, 2, "0b", out, err); }

pf_status_t pf_builtin_ord(pf_val v, pf_val *out, pf_err *err) {
  if (!pf_is_str(v))
    return pf_raise(err, PF_EXC_TypeError, "ord() expected string of length 1, but %s found",
                    pf_type_name(v));
  if (pf_str_len(v) != 1)
    return pf_raise(err, PF_EXC_TypeError,
                    "ord() expected a character, but string of length %zu found", pf_str_len(v));
  int32_t cp;
  pf_utf8_decode(pf_str_utf8(v, NULL), &cp);
  *out = pf_int(cp);
  return PF_OK;
}

pf_status_t pf_builtin_chr(pf_val v, pf_val *out, pf_err *err) {
  if (!pf_is_int(v))
    return pf_raise(err, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer",
                    pf_type_name(v));
  if (pf_is_big(v))
    return pf_raise(err, PF_EXC_OverflowError, "Python int too large to convert to C int");
  int64_t c = v.u.i;
  if (c < 0 || c > 0x10FFFF)
    return pf_raise(err, PF_EXC_ValueError, "chr() arg not in range(0x110000)");
  if (c >= 0xD800 && c <= 0xDFFF)
    return pf_raise(err, PF_EXC_ValueError, "chr() arg is a surrogate, which is not supported");
  char buf[4];
  size_t n = pf_utf8_encode((int32_t)c, buf);
  return pf_str_new(buf, n, out, err);
}
