#define _GNU_SOURCE
/* builtins_str.c — str methods and format specs (f-strings, format()). Case mapping is
 * ASCII-only here (documented limitation). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static int ret_st(pf_run *r, pf_status_t st, pf_val v) {
  if (st != PF_OK)
    return NS_RAISE;
  r->ret = v;
  return NS_RETURN;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static int need_str(pf_run *r, pf_val v, const char *m) {
  if (!pf_is_type(v, &pf_type_str))
    return pf_raise_run(r, PF_EXC_TypeError, "str.%s() argument must be str, not %s", m, pf_type_name(v));
  return NS_RETURN;
}

static int split(pf_run *r, const char *s, size_t n, pf_val *args, uint32_t nargs) {
  pf_listb lb;
  pf_listb_init(&lb);
  pf_val v;
  const char *sep = NULL;
  size_t sl = 0;
  if (nargs >= 1 && args[0].tag != PF_NONE) {
    if (need_str(r, args[0], "split") != NS_RETURN)
      return NS_RAISE;
    sep = pf_str_utf8(args[0], &sl);
    if (sl == 0)
      return pf_raise_run(r, PF_EXC_ValueError, "empty separator");
  }
  int64_t maxs = nargs >= 2 && args[1].tag == PF_INT ? args[1].u.i : -1;
  size_t i = 0;
  if (!sep) {
    for (;;) {
      while (i < n && is_ws(s[i]))
        i++;
      if (i >= n)
        break;
      size_t j = i;
      if (maxs == 0)
        j = n;
      else
        while (j < n && !is_ws(s[j]))
          j++;
      if (maxs == 0) { /* rest, right-stripped */
        while (j > i && is_ws(s[j - 1]))
          j--;
      }
      if (pf_str_new(s + i, j - i, &v, &r->err) != PF_OK || pf_listb_push(&lb, v, &r->err) != PF_OK)
        goto fail;
      if (maxs > 0)
        maxs--;
      i = j;
      if (maxs == 0 && i < n) {
        while (i < n && is_ws(s[i]))
          i++;
        if (i < n) {
          size_t j2 = n;
          while (j2 > i && is_ws(s[j2 - 1]))
            j2--;
          if (pf_str_new(s + i, j2 - i, &v, &r->err) != PF_OK || pf_listb_push(&lb, v, &r->err) != PF_OK)
            goto fail;
        }
        break;
      }
    }
  } else {
    for (;;) {
      const char *hit = maxs == 0 ? NULL : memmem(s + i, n - i, sep, sl);
      size_t j = hit ? (size_t)(hit - s) : n;
      if (pf_str_new(s + i, j - i, &v, &r->err) != PF_OK || pf_listb_push(&lb, v, &r->err) != PF_OK)
        goto fail;
      if (!hit)
        break;
      if (maxs > 0)
        maxs--;
      i = j + sl;
    }
  }
  return ret_st(r, pf_listb_finish(&lb, false, &v, &r->err), v);
fail:
  pf_listb_discard(&lb);
  return NS_RAISE;
}

bool pf_str_has_method(const char *m) {
  static const char *const ms[] = {"split", "join", "strip", "lstrip", "rstrip", "replace", "find",
                                   "rfind", "index", "startswith", "endswith", "upper", "lower",
                                   "count", "isdigit", "isalpha", "isspace", "format"};
  for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
    if (!strcmp(ms[i], m))
      return true;
  return false;
}

int pf_str_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  size_t n;
  const char *s = pf_str_utf8(self, &n);
  pf_val out;
  if (!strcmp(m, "split"))
    return split(r, s, n, args, nargs);
  if (!strcmp(m, "join")) {
    if (nargs != 1)
      return pf_raise_run(r, PF_EXC_TypeError, "str.join() takes exactly one argument (%u given)", nargs);
    pf_val it, v;
    if (pf_iter_new(args[0], &it, &r->err) != PF_OK)
      return NS_RAISE;
    char *buf = NULL;
    size_t len = 0, cap = 0, k = 0;
    int rc = NS_RETURN;
    for (;; k++) {
      int q = pf_iter_fast_next((pf_iter *)it.u.o, &v, &r->err);
      if (q == 0)
        break;
      if (q < 0) {
        rc = q == -1 ? pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "str.join of a generator is not supported yet; use a list")
                     : NS_RAISE;
        break;
      }
      if (!pf_is_type(v, &pf_type_str)) {
        rc = pf_raise_run(r, PF_EXC_TypeError, "sequence item %zu: expected str instance, %s found", k, pf_type_name(v));
        pf_decref(v);
        break;
      }
      size_t vl;
      const char *vs = pf_str_utf8(v, &vl);
      size_t need = len + vl + (k ? n : 0) + 1;
      if (need > cap) {
        cap = need * 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
          pf_decref(v);
          rc = pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
          break;
        }
        buf = nb;
      }
      if (k) {
        memcpy(buf + len, s, n);
        len += n;
      }
      memcpy(buf + len, vs, vl);
      len += vl;
      pf_decref(v);
    }
    pf_decref(it);
    if (rc == NS_RETURN)
      rc = ret_st(r, pf_str_new(buf ? buf : "", len, &out, &r->err), out);
    free(buf);
    return rc;
  }
  if (!strcmp(m, "strip") || !strcmp(m, "lstrip") || !strcmp(m, "rstrip")) {
    const char *chars = NULL;
    size_t cl = 0;
    if (nargs >= 1 && args[0].tag != PF_NONE) {
      if (need_str(r, args[0], m) != NS_RETURN)
        return NS_RAISE;
      chars = pf_str_utf8(args[0], &cl);
    }
    size_t i = 0, j = n;
#define STRIPC(c) (chars ? memchr(chars, (c), cl) != NULL : is_ws(c))
    if (m[0] != 'r')
      while (i < j && STRIPC(s[i]))
        i++;
    if (m[0] != 'l')
      while (j > i && STRIPC(s[j - 1]))
        j--;
#undef STRIPC
    return ret_st(r, pf_str_new(s + i, j - i, &out, &r->err), out);
  }
  if (!strcmp(m, "upper") || !strcmp(m, "lower")) {
    char *b = malloc(n + 1);
    if (!b)
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    for (size_t i = 0; i < n; i++)
      b[i] = (char)(m[0] == 'u' ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
    int rc = ret_st(r, pf_str_new(b, n, &out, &r->err), out);
    free(b);
    return rc;
  }
  if ((!strcmp(m, "startswith") || !strcmp(m, "endswith")) && nargs == 1) {
    if (need_str(r, args[0], m) != NS_RETURN)
      return NS_RAISE;
    size_t pl;
    const char *p = pf_str_utf8(args[0], &pl);
    bool t = pl <= n && !memcmp(m[0] == 's' ? s : s + n - pl, p, pl);
    r->ret = pf_bool(t);
    return NS_RETURN;
  }
  if ((!strcmp(m, "find") || !strcmp(m, "index") || !strcmp(m, "count") || !strcmp(m, "rfind")) && nargs == 1) {
    if (need_str(r, args[0], m) != NS_RETURN)
      return NS_RAISE;
    size_t pl;
    const char *p = pf_str_utf8(args[0], &pl);
    if (!strcmp(m, "count")) {
      int64_t c = 0;
      if (pl == 0)
        c = (int64_t)pf_str_len(self) + 1;
      else
        for (const char *h = s; (h = memmem(h, n - (size_t)(h - s), p, pl)); h += pl)
          c++;
      r->ret = pf_int(c);
      return NS_RETURN;
    }
    const char *hit = NULL;
    if (m[0] == 'r') {
      for (size_t i = n + 1; i-- > 0;)
        if (i + pl <= n && !memcmp(s + i, p, pl)) {
          hit = s + i;
          break;
        }
    } else
      hit = pl == 0 ? s : memmem(s, n, p, pl);
    if (!hit && m[0] == 'i')
      return pf_raise_run(r, PF_EXC_ValueError, "substring not found");
    int64_t cp = -1;
    if (hit) { /* byte offset → code point index */
      cp = 0;
      for (const char *q = s; q < hit; q++)
        cp += ((unsigned char)*q & 0xc0) != 0x80;
    }
    r->ret = pf_int(cp);
    return NS_RETURN;
  }
  if (!strcmp(m, "replace") && (nargs == 2 || nargs == 3)) {
    if (need_str(r, args[0], m) != NS_RETURN || need_str(r, args[1], m) != NS_RETURN)
      return NS_RAISE;
    size_t ol, nl;
    const char *o = pf_str_utf8(args[0], &ol), *nw = pf_str_utf8(args[1], &nl);
    int64_t maxc = nargs == 3 && args[2].tag == PF_INT ? args[2].u.i : -1;
    if (ol == 0)
      return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "str.replace with an empty pattern is not supported");
    size_t cap = n + 1, len = 0;
    char *b = malloc(cap);
    if (!b)
      return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    size_t i = 0;
    while (i <= n) {
      const char *h = maxc == 0 ? NULL : memmem(s + i, n - i, o, ol);
      size_t j = h ? (size_t)(h - s) : n;
      size_t need = len + (j - i) + (h ? nl : 0) + 1;
      if (need > cap) {
        cap = need * 2;
        char *nb = realloc(b, cap);
        if (!nb) {
          free(b);
          return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
        }
        b = nb;
      }
      memcpy(b + len, s + i, j - i);
      len += j - i;
      if (!h)
        break;
      memcpy(b + len, nw, nl);
      len += nl;
      i = j + ol;
      if (maxc > 0)
        maxc--;
    }
    int rc = ret_st(r, pf_str_new(b, len, &out, &r->err), out);
    free(b);
    return rc;
  }
  if ((!strcmp(m, "isdigit") || !strcmp(m, "isalpha") || !strcmp(m, "isspace")) && nargs == 0) {
    bool t = n > 0;
    for (size_t i = 0; i < n && t; i++) {
      unsigned char c = (unsigned char)s[i];
      t = m[2] == 'd' ? isdigit(c) : m[2] == 'a' ? isalpha(c) : is_ws((char)c);
    }
    r->ret = pf_bool(t);
    return NS_RETURN;
  }
  return pf_raise_run(r, PF_EXC_AttributeError, "'str' object has no attribute '%s'", m);
}

/* format(v, spec): [[fill]align][sign][#][0][width][,|_][.precision][type]. */
pf_status_t pf_format(pf_val v, pf_val spec, pf_val *out, pf_err *err) {
  size_t sl = 0;
  const char *sp = spec.tag == PF_UNBOUND ? "" : pf_str_utf8(spec, &sl);
  if (sl == 0) {
    if (pf_is_type(v, &pf_type_inst) && ((pf_inst *)v.u.o)->cls->is_exc)
      return pf_exc_str(v, out, err);
    return pf_val_str(v, out, err);
  }
  char fill = ' ', align = 0, sign = '-', type = 0, grp = 0;
  bool alt = false;
  int width = -1, prec = -1;
  size_t i = 0;
  if (sl >= 2 && strchr("<>^=", sp[1])) {
    fill = sp[0];
    align = sp[1];
    i = 2;
  } else if (strchr("<>^=", sp[0])) {
    align = sp[0];
    i = 1;
  }
  if (i < sl && strchr("+- ", sp[i]))
    sign = sp[i++];
  if (i < sl && sp[i] == '#')
    alt = true, i++;
  if (i < sl && sp[i] == '0') {
    if (!align)
      fill = '0', align = '=';
    i++;
  }
  while (i < sl && isdigit((unsigned char)sp[i]))
    width = (width < 0 ? 0 : width) * 10 + (sp[i++] - '0');
  if (i < sl && (sp[i] == ',' || sp[i] == '_'))
    grp = sp[i++];
  if (i < sl && sp[i] == '.') {
    i++;
    prec = 0;
    while (i < sl && isdigit((unsigned char)sp[i]))
      prec = prec * 10 + (sp[i++] - '0');
  }
  if (i < sl)
    type = sp[i++];
  if (i != sl || width > 10000 || prec > 1000)
    return pf_raise(err, PF_EXC_ValueError, "Invalid format specifier '%s'", sp);
  char body[1200];
  bool numeric = false, neg = false;
  if (pf_is_type(v, &pf_type_str)) {
    if (type && type != 's')
      return pf_raise(err, PF_EXC_ValueError, "Unknown format code '%c' for object of type 'str'", type);
    size_t n;
    const char *s = pf_str_utf8(v, &n);
    if (prec >= 0 && (size_t)prec < n)
      n = (size_t)prec;
    if (n >= sizeof body)
      return pf_raise(err, PF_EXC_ValueError, "string too long to format in pyfora");
    memcpy(body, s, n);
    body[n] = 0;
    if (!align)
      align = '<';
  } else if (v.tag == PF_INT || v.tag == PF_BOOL || (v.tag == PF_FLOAT) ) {
    numeric = true;
    double d;
    bool isf = v.tag == PF_FLOAT || (type && strchr("eEfFgG%", type));
    if (!isf) {
      int64_t x = v.u.i;
      neg = x < 0;
      uint64_t ux = neg ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
      if (!type || type == 'd' || type == 'n')
        snprintf(body, sizeof body, "%llu", (unsigned long long)ux);
      else if (type == 'x' || type == 'X')
        snprintf(body, sizeof body, type == 'x' ? "%s%llx" : "%s%llX", alt ? (type == 'x' ? "0x" : "0X") : "", (unsigned long long)ux);
      else if (type == 'o')
        snprintf(body, sizeof body, "%s%llo", alt ? "0o" : "", (unsigned long long)ux);
      else if (type == 'b') {
        char t[70];
        int k = 0;
        do
          t[k++] = (char)('0' + (ux & 1));
        while ((ux >>= 1));
        size_t o = 0;
        if (alt)
          body[o++] = '0', body[o++] = 'b';
        while (k)
          body[o++] = t[--k];
        body[o] = 0;
      } else if (type == 'c') {
        return pf_raise(err, PF_EXC_InvalidPyforaOperation, "format code 'c' is not supported");
      } else
        return pf_raise(err, PF_EXC_ValueError, "Unknown format code '%c' for object of type 'int'", type);
    } else {
      if (v.tag == PF_FLOAT)
        d = v.u.f;
      else
        d = (double)v.u.i;
      neg = signbit(d) && !isnan(d);
      double a = neg ? -d : d;
      char t = type ? type : 'r';
      if (t == '%') {
        snprintf(body, sizeof body, "%.*f%%", prec < 0 ? 6 : prec, a * 100);
      } else if (t == 'r') {
        pf_val s;
        if (prec >= 0)
          snprintf(body, sizeof body, "%.*g", prec ? prec : 1, a);
        else {
          if (pf_val_repr(pf_float(a), &s, err) != PF_OK)
            return PF_EPYEXC;
          snprintf(body, sizeof body, "%s", pf_str_utf8(s, NULL));
          pf_decref(s);
        }
      } else {
        char f[8] = {'%', '.', '*', t, 0};
        snprintf(body, sizeof body, f, prec < 0 ? 6 : prec, a);
        if (t == 'g' || t == 'G') {
          if (alt)
            return pf_raise(err, PF_EXC_InvalidPyforaOperation, "format '#g' is not supported");
        }
      }
      if (isinf(a))
        snprintf(body, sizeof body, "%s", (t == 'F' || t == 'E' || t == 'G') ? "INF" : "inf");
      if (isnan(d))
        snprintf(body, sizeof body, "%s", (t == 'F' || t == 'E' || t == 'G') ? "NAN" : "nan");
    }
    if (grp) {
      char g[1300];
      size_t n = strlen(body), digits = 0;
      while (digits < n && isdigit((unsigned char)body[digits]))
        digits++;
      size_t o = 0;
      for (size_t k = 0; k < digits; k++) {
        if (k && (digits - k) % 3 == 0)
          g[o++] = grp;
        g[o++] = body[k];
      }
      snprintf(g + o, sizeof g - o, "%s", body + digits);
      g[sizeof body - 1] = 0;
      memcpy(body, g, strlen(g) + 1);
    }
    if (!align)
      align = '>';
  } else {
    pf_val s;
    if (pf_val_str(v, &s, err) != PF_OK)
      return PF_EPYEXC;
    snprintf(body, sizeof body, "%s", pf_str_utf8(s, NULL));
    pf_decref(s);
    if (!align)
      align = '<';
  }
  char pre[2] = {0, 0};
  if (numeric) {
    if (neg)
      pre[0] = '-';
    else if (sign == '+')
      pre[0] = '+';
    else if (sign == ' ')
      pre[0] = ' ';
  }
  size_t bl = strlen(body), pl = strlen(pre);
  size_t cps = 0;
  for (size_t k = 0; k < bl; k++)
    cps += ((unsigned char)body[k] & 0xc0) != 0x80;
  size_t total = cps + pl, pad = width > 0 && (size_t)width > total ? (size_t)width - total : 0;
  char *o = malloc(bl + pl + pad + 1);
  if (!o)
    return pf_raise(err, PF_EXC_MemoryError, "out of memory");
  size_t k = 0, left = align == '<' ? 0 : align == '^' ? pad / 2 : pad, right = pad - left;
  if (align == '=') {
    memcpy(o + k, pre, pl), k += pl;
    memset(o + k, fill, left), k += left;
  } else {
    memset(o + k, fill, left), k += left;
    memcpy(o + k, pre, pl), k += pl;
  }
  memcpy(o + k, body, bl), k += bl;
  memset(o + k, fill, right), k += right;
  pf_status_t st = pf_str_new(o, k, out, err);
  free(o);
  return st;
}
