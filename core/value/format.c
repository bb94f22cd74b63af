/* format.c — format(value, spec): the format specification mini-language for int, bool,
 * float and str (f-strings' {x:spec}); other values accept only an empty spec. */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

typedef struct fspec {
  char fill[5]; /* UTF-8 of the fill code point */
  char align;   /* 0, '<', '>', '^', '=' */
  char sign;    /* 0, '+', '-', ' ' */
  bool z, alt, zero;
  int64_t width, prec; /* -1: absent */
  char group;          /* 0, ',', '_' */
  char type;           /* 0 or the type letter */
  bool implicit_eq;    /* '=' and fill '0' came from the 0 flag */
} fspec;

/* vasprintf through the module's allocator; NULL when out of memory. */
static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = n < 0 ? NULL : pf_vmalloc((size_t)n + 1);
  if (!p)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

static pf_status_t invalid(pf_val spec, pf_val v, pf_err *err) {
  return pf_raise(err, PF_EXC_ValueError, "Invalid format specifier '%s' for object of type '%s'",
                  pf_str_utf8(spec, NULL), pf_type_name(v));
}

static bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

static pf_status_t parse(pf_val spec, pf_val v, fspec *f, pf_err *err) {
  size_t n;
  const char *s = pf_str_utf8(spec, &n);
  *f = (fspec){.fill = " ", .width = -1, .prec = -1};
  size_t i = 0;
  if (n > 0) {
    int32_t cp;
    size_t k = pf_utf8_decode(s, &cp);
    if (k < n && is_align(s[k])) {
      memcpy(f->fill, s, k);
      f->fill[k] = 0;
      f->align = s[k];
      i = k + 1;
    } else if (is_align(s[0])) {
      f->align = s[0];
      i = 1;
    }
  }
  if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' '))
    f->sign = s[i++];
  if (i < n && s[i] == 'z') {
    f->z = true;
    i++;
  }
  if (i < n && s[i] == '#') {
    f->alt = true;
    i++;
  }
  if (i < n && s[i] == '0') {
    f->zero = true;
    i++;
  }
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    f->width = (f->width < 0 ? 0 : f->width) * 10 + (s[i++] - '0');
    if (f->width > 1000000)
      return pf_raise(err, PF_EXC_ValueError, "Too many decimal digits in format string");
  }
  if (i < n && (s[i] == ',' || s[i] == '_'))
    f->group = s[i++];
  if (i < n && (s[i] == ',' || s[i] == '_'))
    return pf_raise(err, PF_EXC_ValueError, "Cannot specify both ',' and '_'.");
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
      return pf_raise(err, PF_EXC_ValueError, "Format specifier missing precision");
    f->prec = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      f->prec = f->prec * 10 + (s[i++] - '0');
      if (f->prec > 1000000)
        return pf_raise(err, PF_EXC_ValueError, "Too many decimal digits in format string");
    }
  }
  if (n - i > 1)
    return invalid(spec, v, err);
  if (i < n)
    f->type = s[i];
  if (f->group) {
    const char *ok = f->group == ',' ? "defgEGF%" : "defgEGF%boxX";
    if (f->type && !strchr(ok, f->type))
      return pf_raise(err, PF_EXC_ValueError, "Cannot specify '%c' with '%c'.", f->group, f->type);
  }
  if (f->zero && !f->align) {
    strcpy(f->fill, "0");
    f->align = '=';
    f->implicit_eq = true;
  }
  return PF_OK;
}

/* Appends "body" (sign+prefix of "nsign" bytes, then the rest; "ncp" code points) padded as
 * "f" says, "dflt" being the default alignment. */
static void pad(pf_sb *b, const fspec *f, char dflt, const char *body, size_t nbytes, size_t ncp,
                size_t nsign) {
  char al = f->align ? f->align : dflt;
  size_t w = f->width > 0 ? (size_t)f->width : 0;
  size_t fill = w > ncp ? w - ncp : 0, left = 0, right = 0;
  if (al == '<')
    right = fill;
  else if (al == '>' || al == '=')
    left = fill;
  else {
    left = fill / 2;
    right = fill - left;
  }
  if (al == '=')
    pf_sb_putn(b, body, nsign);
  for (size_t k = 0; k < left; k++)
    pf_sb_puts(b, f->fill);
  if (al == '=')
    pf_sb_putn(b, body + nsign, nbytes - nsign);
  else
    pf_sb_putn(b, body, nbytes);
  for (size_t k = 0; k < right; k++)
    pf_sb_puts(b, f->fill);
}

/* Appends the digits "d" (length "n") grouped by "sep" every "every" digits. */
static void put_grouped(pf_sb *b, const char *d, size_t n, char sep, size_t every) {
  for (size_t k = 0; k < n; k++) {
    if (sep && k > 0 && (n - k) % every == 0)
      pf_sb_putc(b, sep);
    pf_sb_putc(b, d[k]);
  }
}

/* Number formatting common tail: "sign_neg" tells the sign, "prefix" (0x…), "digits" the
 * integer-part digits, "rest" what follows them (fraction, exponent, %). */
static pf_status_t finish_number(pf_sb *out, const fspec *f, bool neg, const char *prefix,
                                 const char *digits, const char *rest, size_t every,
                                 pf_err *err) {
  pf_sb body;
  pf_sb_init(&body);
  if (neg)
    pf_sb_putc(&body, '-');
  else if (f->sign == '+')
    pf_sb_putc(&body, '+');
  else if (f->sign == ' ')
    pf_sb_putc(&body, ' ');
  pf_sb_puts(&body, prefix);
  size_t nsign = body.n;
  size_t nd = strlen(digits);
  char *zd = NULL;
  if (f->align == '=' && !strcmp(f->fill, "0") && f->group && f->width > 0 && nd > 0) {
    /* zero padding goes inside the grouping */
    size_t total = nsign + strlen(rest);
    size_t need = (size_t)f->width;
    zd = pf_vmalloc(need + nd + 1);
    if (!zd) {
      pf_sb_free(&body);
      return pf_nomem(err);
    }
    size_t len = nd;
    memcpy(zd, digits, nd + 1);
    while (total + len + (len - 1) / every < need) {
      memmove(zd + 1, zd, len + 1);
      zd[0] = '0';
      len++;
    }
    digits = zd;
    nd = len;
  }
  put_grouped(&body, digits, nd, f->group, every);
  pf_sb_puts(&body, rest);
  free(zd);
  if (body.oom) {
    pf_sb_free(&body);
    return pf_nomem(err);
  }
  pad(out, f, '>', body.p, body.n, body.n, nsign);
  pf_sb_free(&body);
  return PF_OK;
}

static pf_status_t format_float(pf_sb *out, const fspec *f, double x, pf_err *err) {
  char t = f->type;
  if (t && !strchr("eEfFgGn%", t))
    return pf_raise(err, PF_EXC_ValueError, "Unknown format code '%c' for object of type 'float'",
                    t);
  bool neg = signbit(x) && !isnan(x);
  double a = fabs(x);
  char *buf = NULL;
  int prec = f->prec >= 0 ? (int)f->prec : 6;
  char cf[16];
  if (!t && f->prec < 0) {
    char rb[40];
    pf_float_repr_buf(a, rb);
    char *e = strchr(rb, 'e');
    if (f->alt && e && !strchr(rb, '.')) { /* '#': the mantissa keeps its point */
      memmove(e + 1, e, strlen(e) + 1);
      *e = '.';
    }
    buf = xprintf("%s", rb);
  } else if (!t) {
    /* no type, a precision: 'g' that switches to exponent one digit earlier and keeps a
     * digit after the point (CPython's Py_DTSF_ADD_DOT_0) */
    if (prec == 0)
      prec = 1;
    buf = xprintf("%.*e", prec - 1, a);
    if (buf && isfinite(a)) {
      int exp10 = atoi(strchr(buf, 'e') + 1);
      bool use_exp = exp10 < -4 || exp10 >= prec - 1;
      free(buf);
      buf = NULL;
      if (use_exp)
        buf = f->alt ? xprintf("%#.*e", prec - 1, a) : xprintf("%.*e", prec - 1, a);
      else
        buf = f->alt ? xprintf("%#.*f", prec - 1 - exp10, a) : xprintf("%.*f", prec - 1 - exp10, a);
      if (buf && !f->alt) {
        char *e = strchr(buf, 'e'), *end = e ? e : buf + strlen(buf);
        char *dot = strchr(buf, '.');
        if (dot && dot < end) {
          char *q = end;
          while (q > dot + 1 && q[-1] == '0')
            q--;
          if (q == dot + 1)
            q = dot;
          memmove(q, end, strlen(end) + 1);
        }
      }
      if (buf && !use_exp && !strchr(buf, '.')) {
        char *nb = xprintf("%s.0", buf);
        free(buf);
        buf = nb;
      }
    }
  } else {
    char conv = t == 'n' ? 'g' : t == '%' ? 'f' : t;
    double val = t == '%' ? a * 100.0 : a;
    snprintf(cf, sizeof cf, "%%%s.*%c", f->alt ? "#" : "", conv);
    buf = xprintf(cf, prec, val);
    if (buf && t == '%') {
      char *nb = xprintf("%s%%", buf);
      free(buf);
      buf = nb;
    }
  }
  if (!buf)
    return pf_nomem(err);
  if (f->z && neg && isfinite(a)) {
    bool allzero = true;
    for (const char *p = buf; *p && *p != 'e' && *p != 'E'; p++)
      if (*p >= '1' && *p <= '9')
        allzero = false;
    if (allzero)
      neg = false;
  }
  size_t nint = strspn(buf, "0123456789");
  pf_status_t st;
  char *digits = xprintf("%.*s", (int)nint, buf);
  if (!digits) {
    free(buf);
    return pf_nomem(err);
  }
  st = finish_number(out, f, neg, "", digits, buf + nint, 3, err);
  free(digits);
  free(buf);
  return st;
}

static pf_status_t format_int(pf_sb *out, const fspec *f, pf_val v, pf_val spec, pf_err *err) {
  char t = f->type;
  if (t && strchr("eEfFgG%", t)) {
    double d;
    if (pf_int_to_double(v, &d, err) != PF_OK)
      return PF_EPYEXC;
    return format_float(out, f, d, err);
  }
  if (t && !strchr("bcdoxXn", t))
    return pf_raise(err, PF_EXC_ValueError, "Unknown format code '%c' for object of type '%s'",
                    t, pf_type_name(v));
  if (f->prec >= 0)
    return pf_raise(err, PF_EXC_ValueError, "Precision not allowed in integer format specifier");
  if (f->z)
    return pf_raise(err, PF_EXC_ValueError,
                    "Negative zero coercion (z) not allowed in integer format specifier");
  if (t == 'c') {
    if (f->sign)
      return pf_raise(err, PF_EXC_ValueError, "Sign not allowed with integer format specifier 'c'");
    if (f->alt)
      return pf_raise(err, PF_EXC_ValueError,
                      "Alternate form (#) not allowed with integer format specifier 'c'");
    pf_val c;
    if (pf_is_big(v))
      return pf_raise(err, PF_EXC_OverflowError, "Python int too large to convert to C long");
    if (v.u.i < 0 || v.u.i > 0x10FFFF)
      return pf_raise(err, PF_EXC_OverflowError, "%%c arg not in range(0x110000)");
    if (pf_builtin_chr(v, &c, err) != PF_OK)
      return PF_EPYEXC;
    size_t nb;
    const char *p = pf_str_utf8(c, &nb);
    pad(out, f, '>', p, nb, 1, 0);
    pf_decref(c);
    return PF_OK;
  }
  int base = t == 'b' ? 2 : t == 'o' ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
  const char *prefix = "";
  if (f->alt)
    prefix = t == 'b' ? "0b" : t == 'o' ? "0o" : t == 'x' ? "0x" : t == 'X' ? "0X" : "";
  pf_sb d;
  pf_sb_init(&d);
  pf_sb_put_int(&d, v, base);
  if (d.oom) {
    pf_sb_free(&d);
    return pf_nomem(err);
  }
  bool neg = d.p[0] == '-';
  char *digits = d.p + (neg ? 1 : 0);
  if (t == 'X')
    for (char *p = digits; *p; p++)
      if (*p >= 'a' && *p <= 'f')
        *p = (char)(*p - 32);
  pf_status_t st = finish_number(out, f, neg, prefix, digits, "", base == 10 ? 3 : 4, err);
  pf_sb_free(&d);
  (void)spec;
  return st;
}

static pf_status_t format_str(pf_sb *out, const fspec *fs, pf_val s, pf_err *err) {
  fspec f1 = *fs, *f = &f1;
  if (f->type && f->type != 's')
    return pf_raise(err, PF_EXC_ValueError, "Unknown format code '%c' for object of type 'str'",
                    f->type);
  if (f->group)
    return pf_raise(err, PF_EXC_ValueError, "Cannot specify '%c' with 's'.", f->group);
  if (f->sign == ' ')
    return pf_raise(err, PF_EXC_ValueError, "Space not allowed in string format specifier");
  if (f->sign)
    return pf_raise(err, PF_EXC_ValueError, "Sign not allowed in string format specifier");
  if (f->z)
    return pf_raise(err, PF_EXC_ValueError,
                    "Negative zero coercion (z) not allowed in string format specifier");
  if (f->alt)
    return pf_raise(err, PF_EXC_ValueError, "Alternate form (#) not allowed in string format specifier");
  if (f->implicit_eq)
    f->align = 0; /* the 0 flag only sets the fill for strings */
  if (f->align == '=')
    return pf_raise(err, PF_EXC_ValueError, "'=' alignment not allowed in string format specifier");
  size_t nb;
  const char *p = pf_str_utf8(s, &nb);
  size_t ncp = pf_str_len(s);
  if (f->prec >= 0 && (size_t)f->prec < ncp) {
    nb = pf_str_cp_offset(s, (size_t)f->prec);
    ncp = (size_t)f->prec;
  }
  pad(out, f, '<', p, nb, ncp, 0);
  return PF_OK;
}

pf_status_t pf_val_format(pf_val v, pf_val spec, pf_val *out, pf_err *err) {
  bool empty = spec.tag == PF_UNBOUND || spec.tag == PF_NONE ||
               (pf_is_str(spec) && pf_str_len(spec) == 0);
  if (!empty && !pf_is_str(spec))
    return pf_raise(err, PF_EXC_TypeError, "format() argument 2 must be str, not %s",
                    pf_type_name(spec));
  if (empty)
    return pf_val_str(v, out, err);
  if (!pf_is_num(v) && !pf_is_str(v))
    return pf_raise(err, PF_EXC_TypeError, "unsupported format string passed to %s.__format__",
                    pf_type_name(v));
  fspec f;
  if (parse(spec, v, &f, err) != PF_OK)
    return PF_EPYEXC;
  pf_sb b;
  pf_sb_init(&b);
  pf_status_t st;
  if (v.tag == PF_FLOAT)
    st = format_float(&b, &f, v.u.f, err);
  else if (pf_is_int(v))
    st = format_int(&b, &f, v, spec, err);
  else
    st = format_str(&b, &f, v, err);
  if (st != PF_OK) {
    pf_sb_free(&b);
    return st;
  }
  return pf_sb_finish(&b, out, err);
}
