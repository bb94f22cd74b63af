/* strfmt.c — printf-style formatting: str % args. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

typedef struct spec {
  bool left, plus, space, alt, zero;
  int64_t width, prec; /* -1: absent */
  char conv;
} spec;

/* Appends "body" (UTF-8, "ncp" code points) padded to the spec's width. "nsign" leading
 * bytes (sign and prefix) stay in front of zero padding. */
static void pad_put(pf_sb *b, const spec *sp, const char *body, size_t nbytes, size_t ncp,
                    size_t nsign, bool numeric) {
  size_t w = sp->width > 0 ? (size_t)sp->width : 0;
  size_t fill = w > ncp ? w - ncp : 0;
  if (sp->left) {
    pf_sb_putn(b, body, nbytes);
    for (size_t i = 0; i < fill; i++)
      pf_sb_putc(b, ' ');
  } else if (sp->zero && numeric) {
    pf_sb_putn(b, body, nsign);
    for (size_t i = 0; i < fill; i++)
      pf_sb_putc(b, '0');
    pf_sb_putn(b, body + nsign, nbytes - nsign);
  } else {
    for (size_t i = 0; i < fill; i++)
      pf_sb_putc(b, ' ');
    pf_sb_putn(b, body, nbytes);
  }
}

static pf_status_t fmt_int(pf_sb *b, const spec *sp, pf_val v, pf_err *err) {
  int base = 10;
  const char *prefix = "";
  if (sp->conv == 'x' || sp->conv == 'X') {
    base = 16;
    prefix = sp->alt ? (sp->conv == 'x' ? "0x" : "0X") : "";
  } else if (sp->conv == 'o') {
    base = 8;
    prefix = sp->alt ? "0o" : "";
  }
  pf_sb digits;
  pf_sb_init(&digits);
  pf_sb_put_int(&digits, v, base);
  if (digits.oom) {
    pf_sb_free(&digits);
    return pf_nomem(err);
  }
  bool neg = digits.p[0] == '-';
  const char *mag = digits.p + (neg ? 1 : 0);
  size_t nmag = strlen(mag);
  pf_sb body;
  pf_sb_init(&body);
  if (neg)
    pf_sb_putc(&body, '-');
  else if (sp->plus)
    pf_sb_putc(&body, '+');
  else if (sp->space)
    pf_sb_putc(&body, ' ');
  pf_sb_puts(&body, prefix);
  size_t nsign = body.n;
  for (int64_t i = (int64_t)nmag; i < sp->prec; i++)
    pf_sb_putc(&body, '0');
  for (size_t i = 0; i < nmag; i++)
    pf_sb_putc(&body, sp->conv == 'X' && mag[i] >= 'a' ? (char)(mag[i] - 32) : mag[i]);
  pf_sb_free(&digits);
  if (body.oom) {
    pf_sb_free(&body);
    return pf_nomem(err);
  }
  pad_put(b, sp, body.p, body.n, body.n, nsign, true);
  pf_sb_free(&body);
  return PF_OK;
}

static pf_status_t fmt_float(pf_sb *b, const spec *sp, double d) {
  char f[48];
  int k = 0;
  f[k++] = '%';
  if (sp->left)
    f[k++] = '-';
  if (sp->plus)
    f[k++] = '+';
  if (sp->space)
    f[k++] = ' ';
  if (sp->alt)
    f[k++] = '#';
  if (sp->zero && isfinite(d))
    f[k++] = '0';
  k += snprintf(f + k, sizeof f - (size_t)k, "*.*%c", sp->conv);
  if (isnan(d))
    d = fabs(d);
  pf_sb_printf(b, f, (int)(sp->width > 0 && sp->width < 100000 ? sp->width : 0),
               (int)(sp->prec >= 0 && sp->prec < 100000 ? sp->prec : 6), d);
  return PF_OK;
}

static pf_status_t next_arg(pf_val args, bool tuple_args, size_t *ai, pf_val *out, pf_err *err) {
  size_t n = tuple_args ? pf_tuple_len(args) : 1;
  if (*ai >= n)
    return pf_raise(err, PF_EXC_TypeError, "not enough arguments for format string");
  *out = tuple_args ? pf_tuple_get(args, *ai) : args;
  (*ai)++;
  return PF_OK;
}

static pf_status_t star(pf_val args, bool tuple_args, size_t *ai, int64_t *out, pf_err *err) {
  pf_val a = pf_none();
  if (next_arg(args, tuple_args, ai, &a, err) != PF_OK)
    return PF_EPYEXC;
  if (!pf_is_small_int(a))
    return pf_raise(err, PF_EXC_TypeError, "* wants int");
  *out = a.u.i;
  return PF_OK;
}

static pf_status_t fmt_one(pf_sb *b, spec *sp, pf_val a, pf_err *err) {
  pf_sb t;
  pf_val s;
  switch (sp->conv) {
  case 's':
  case 'r':
  case 'a': {
    pf_sb_init(&t);
    pf_status_t st = sp->conv == 's' ? pf_val_str_sb(&t, a, err) : pf_val_repr_sb(&t, a, err);
    if (st == PF_OK)
      st = pf_sb_finish(&t, &s, err);
    else
      pf_sb_free(&t);
    if (st != PF_OK)
      return st;
    size_t n;
    const char *p = pf_str_utf8(s, &n);
    size_t ncp = pf_str_len(s);
    if (sp->prec >= 0 && (size_t)sp->prec < ncp) {
      n = pf_str_cp_offset(s, (size_t)sp->prec);
      ncp = (size_t)sp->prec;
    }
    pad_put(b, sp, p, n, ncp, 0, false);
    pf_decref(s);
    return PF_OK;
  }
  case 'd':
  case 'i':
  case 'u':
  case 'x':
  case 'X':
  case 'o':
    if (pf_is_int(a))
      return fmt_int(b, sp, a, err);
    if (a.tag == PF_FLOAT) {
      if (sp->conv != 'd' && sp->conv != 'i' && sp->conv != 'u')
        return pf_raise(err, PF_EXC_TypeError, "%%%c format: an integer is required, not float",
                        sp->conv);
      pf_val iv;
      if (pf_float_to_int(a.u.f, &iv, err) != PF_OK)
        return PF_EPYEXC;
      pf_status_t st = fmt_int(b, sp, iv, err);
      pf_decref(iv);
      return st;
    }
    if (sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'u')
      return pf_raise(err, PF_EXC_TypeError, "%%%c format: a real number is required, not %s",
                      sp->conv, pf_type_name(a));
    return pf_raise(err, PF_EXC_TypeError, "%%%c format: an integer is required, not %s",
                    sp->conv, pf_type_name(a));
  case 'e':
  case 'E':
  case 'f':
  case 'F':
  case 'g':
  case 'G': {
    double d;
    if (a.tag == PF_FLOAT)
      d = a.u.f;
    else if (pf_is_int(a)) {
      if (pf_int_to_double(a, &d, err) != PF_OK)
        return PF_EPYEXC;
    } else
      return pf_raise(err, PF_EXC_TypeError, "must be real number, not %s", pf_type_name(a));
    return fmt_float(b, sp, d);
  }
  case 'c': {
    pf_val c;
    if (pf_is_str(a)) {
      if (pf_str_len(a) != 1)
        return pf_raise(err, PF_EXC_TypeError, "%%c requires int or char");
      c = pf_incref(a);
    } else if (pf_is_int(a)) {
      if (pf_builtin_chr(a, &c, err) != PF_OK)
        return PF_EPYEXC;
    } else {
      return pf_raise(err, PF_EXC_TypeError, "%%c requires int or char");
    }
    size_t n;
    const char *p = pf_str_utf8(c, &n);
    pad_put(b, sp, p, n, 1, 0, false);
    pf_decref(c);
    return PF_OK;
  }
  }
  return PF_EPYEXC;
}

pf_status_t pf_str_format(pf_val fmt, pf_val args, pf_val *out, pf_err *err) {
  size_t n;
  const char *f = pf_str_utf8(fmt, &n);
  bool tuple_args = pf_is_tuple(args);
  bool mapping = pf_is_type(args, &pf_type_dict);
  bool used_mapping = false;
  size_t ai = 0;
  pf_sb b;
  pf_sb_init(&b);
  pf_status_t st = PF_OK;
  size_t i = 0;
  while (i < n && st == PF_OK) {
    const char *pct = memchr(f + i, '%', n - i);
    if (!pct) {
      pf_sb_putn(&b, f + i, n - i);
      break;
    }
    pf_sb_putn(&b, f + i, (size_t)(pct - (f + i)));
    size_t start = (size_t)(pct - f);
    i = start + 1;
    spec sp = {.width = -1, .prec = -1};
    pf_val arg = pf_unbound();
    pf_val key = pf_unbound();
    if (i < n && f[i] == '(') {
      if (!mapping) {
        st = pf_raise(err, PF_EXC_TypeError, "format requires a mapping");
        break;
      }
      size_t depth = 1, k = i + 1;
      while (k < n && depth) {
        if (f[k] == '(')
          depth++;
        else if (f[k] == ')')
          depth--;
        k++;
      }
      if (depth) {
        st = pf_raise(err, PF_EXC_ValueError, "incomplete format key");
        break;
      }
      if ((st = pf_str_new(f + i + 1, k - i - 2, &key, err)) != PF_OK)
        break;
      bool found;
      pf_val v;
      st = pf_dict_lookup(args, key, &found, &v, err);
      if (st == PF_OK && !found) {
        pf_sb kb;
        pf_sb_init(&kb);
        pf_sb_put_str_repr(&kb, key);
        st = pf_raise(err, PF_EXC_KeyError, "%s", kb.p ? kb.p : "");
        pf_sb_free(&kb);
      }
      pf_decref(key);
      if (st != PF_OK)
        break;
      arg = v;
      used_mapping = true;
      i = k;
    }
    for (; i < n; i++) {
      char c = f[i];
      if (c == '-')
        sp.left = true;
      else if (c == '+')
        sp.plus = true;
      else if (c == ' ')
        sp.space = true;
      else if (c == '#')
        sp.alt = true;
      else if (c == '0')
        sp.zero = true;
      else
        break;
    }
    if (i < n && f[i] == '*') {
      if ((st = star(args, tuple_args, &ai, &sp.width, err)) != PF_OK)
        break;
      if (sp.width < 0) {
        sp.left = true;
        sp.width = -sp.width;
      }
      i++;
    } else {
      while (i < n && f[i] >= '0' && f[i] <= '9')
        sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[i++] - '0');
    }
    if (i < n && f[i] == '.') {
      i++;
      sp.prec = 0;
      if (i < n && f[i] == '*') {
        if ((st = star(args, tuple_args, &ai, &sp.prec, err)) != PF_OK)
          break;
        i++;
      } else {
        while (i < n && f[i] >= '0' && f[i] <= '9')
          sp.prec = sp.prec * 10 + (f[i++] - '0');
      }
    }
    while (i < n && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L'))
      i++;
    if (i >= n) {
      st = pf_raise(err, PF_EXC_ValueError, "incomplete format");
      break;
    }
    sp.conv = f[i++];
    if (sp.conv == '%') {
      pf_sb_putc(&b, '%');
      continue;
    }
    if (!strchr("sradiuxXoeEfFgGc", sp.conv)) {
      int32_t cp;
      size_t clen = pf_utf8_decode(f + i - 1, &cp), idx = 0;
      for (size_t q = 0; q < i - 1; q++)
        idx += ((unsigned char)f[q] & 0xC0) != 0x80;
      st = pf_raise(err, PF_EXC_ValueError, "unsupported format character '%.*s' (0x%x) at index %zu",
                    (int)clen, f + i - 1, (unsigned)cp, idx);
      break;
    }
    if (arg.tag == PF_UNBOUND && (st = next_arg(args, tuple_args, &ai, &arg, err)) != PF_OK)
      break;
    st = fmt_one(&b, &sp, arg, err);
  }
  if (st == PF_OK && !used_mapping && !mapping && ai < (tuple_args ? pf_tuple_len(args) : 1))
    st = pf_raise(err, PF_EXC_TypeError, "not all arguments converted during string formatting");
  if (st != PF_OK) {
    pf_sb_free(&b);
    return st;
  }
  return pf_sb_finish(&b, out, err);
}
