/* str_methods.c — the str methods that work on code points: case mappings and predicates
 * (core/value's Unicode functions), find/index/count with start/end, rsplit, splitlines,
 * partition, padding, str.format, and clear errors for what pyfora does not support. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

typedef struct cps {
  uint32_t *c;
  size_t n;
} cps;

static int ret(pf_run *r, pf_val v) {
  r->ret = v;
  return NS_RETURN;
}
static int ret_st(pf_run *r, pf_status_t st, pf_val v) { return st == PF_OK ? ret(r, v) : NS_RAISE; }

static int decode(pf_run *r, pf_val s, cps *out) {
  size_t nb;
  const unsigned char *p = (const unsigned char *)pf_str_utf8(s, &nb);
  out->c = malloc((nb + 1) * sizeof *out->c);
  out->n = 0;
  if (!out->c)
    return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
  for (size_t i = 0; i < nb;) {
    uint32_t c = p[i];
    size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (k > 1)
      c &= k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07;
    for (size_t j = 1; j < k && i + j < nb; j++)
      c = (c << 6) | (p[i + j] & 0x3f);
    out->c[out->n++] = c;
    i += k;
  }
  return NS_RETURN;
}

static pf_status_t encode(pf_run *r, const uint32_t *c, size_t n, pf_val *out) {
  char *b = malloc(n * 4 + 1);
  if (!b)
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t x = c[i];
    if (x < 0x80)
      b[k++] = (char)x;
    else if (x < 0x800) {
      b[k++] = (char)(0xc0 | (x >> 6));
      b[k++] = (char)(0x80 | (x & 0x3f));
    } else if (x < 0x10000) {
      b[k++] = (char)(0xe0 | (x >> 12));
      b[k++] = (char)(0x80 | ((x >> 6) & 0x3f));
      b[k++] = (char)(0x80 | (x & 0x3f));
    } else {
      b[k++] = (char)(0xf0 | (x >> 18));
      b[k++] = (char)(0x80 | ((x >> 12) & 0x3f));
      b[k++] = (char)(0x80 | ((x >> 6) & 0x3f));
      b[k++] = (char)(0x80 | (x & 0x3f));
    }
  }
  pf_status_t st = pf_str_new(b, k, out, &r->err);
  free(b);
  return st;
}

static bool is_space(uint32_t c) {
  return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}
static bool memchr_cp(const uint32_t *c, size_t n, uint32_t x) {
  for (size_t i = 0; i < n; i++)
    if (c[i] == x)
      return true;
  return false;
}
static bool is_linebreak(uint32_t c) {
  return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Slice bounds as Python's str.find(sub, start, end). */
static int bounds(pf_run *r, pf_val *args, uint32_t nargs, uint32_t at, size_t n, int64_t *lo, int64_t *hi) {
  *lo = 0;
  *hi = (int64_t)n;
  for (uint32_t k = 0; k < 2 && at + k < nargs; k++) {
    pf_val v = args[at + k];
    if (v.tag == PF_NONE)
      continue;
    if (v.tag != PF_INT && v.tag != PF_BOOL)
      return pf_raise_run(r, PF_EXC_TypeError, "slice indices must be integers or None or have an __index__ method");
    int64_t x = v.u.i;
    if (x < 0) {
      x += (int64_t)n;
      if (x < 0)
        x = 0;
    }
    if (x > (int64_t)n && k == 1)
      x = (int64_t)n;
    if (k == 0)
      *lo = x;
    else
      *hi = x;
  }
  return NS_RETURN;
}

static bool match_at(const cps *s, size_t i, const cps *p) {
  if (i + p->n > s->n)
    return false;
  for (size_t j = 0; j < p->n; j++)
    if (s->c[i + j] != p->c[j])
      return false;
  return true;
}

static int find_like(pf_run *r, const char *m, cps *s, pf_val *args, uint32_t nargs) {
  if (nargs < 1 || nargs > 3)
    return pf_raise_run(r, PF_EXC_TypeError, "%s() takes from 1 to 3 arguments (%u given)", m, nargs);
  if (!pf_is_type(args[0], &pf_type_str))
    return pf_raise_run(r, PF_EXC_TypeError, "must be str, not %s", pf_type_name(args[0]));
  int64_t lo, hi;
  if (bounds(r, args, nargs, 1, s->n, &lo, &hi) != NS_RETURN)
    return NS_RAISE;
  cps p;
  if (decode(r, args[0], &p) != NS_RETURN)
    return NS_RAISE;
  int64_t res = -1, cnt = 0;
  bool rev = m[0] == 'r';
  if (lo <= (int64_t)s->n && hi - lo >= (int64_t)p.n) {
    if (!strcmp(m, "count")) {
      if (p.n == 0)
        cnt = hi - lo + 1;
      else
        for (int64_t i = lo; i + (int64_t)p.n <= hi;)
          if (match_at(s, (size_t)i, &p)) {
            cnt++;
            i += (int64_t)p.n;
          } else
            i++;
    } else if (rev) {
      for (int64_t i = hi - (int64_t)p.n; i >= lo; i--)
        if (match_at(s, (size_t)i, &p)) {
          res = i;
          break;
        }
    } else
      for (int64_t i = lo; i + (int64_t)p.n <= hi; i++)
        if (match_at(s, (size_t)i, &p)) {
          res = i;
          break;
        }
  }
  free(p.c);
  if (!strcmp(m, "count"))
    return ret(r, pf_int(cnt));
  if (res < 0 && strstr(m, "index"))
    return pf_raise_run(r, PF_EXC_ValueError, "substring not found");
  return ret(r, pf_int(res));
}

static int starts_ends(pf_run *r, const char *m, cps *s, pf_val *args, uint32_t nargs) {
  if (nargs < 1 || nargs > 3)
    return pf_raise_run(r, PF_EXC_TypeError, "%s() takes from 1 to 3 arguments (%u given)", m, nargs);
  int64_t lo, hi;
  if (bounds(r, args, nargs, 1, s->n, &lo, &hi) != NS_RETURN)
    return NS_RAISE;
  pf_val pats = args[0];
  bool tup = pf_is_type(pats, &pf_type_tuple);
  size_t np = tup ? pf_tuple_len(pats) : 1;
  for (size_t k = 0; k < np; k++) {
    pf_val pv = tup ? pf_tuple_get(pats, k) : pats;
    if (!pf_is_type(pv, &pf_type_str))
      return pf_raise_run(r, PF_EXC_TypeError,
                          "%s first arg must be str or a tuple of str, not %s", m, pf_type_name(pv));
    cps p;
    if (decode(r, pv, &p) != NS_RETURN)
      return NS_RAISE;
    bool ok = false;
    if (lo <= (int64_t)s->n && hi - lo >= (int64_t)p.n)
      ok = match_at(s, m[0] == 's' ? (size_t)lo : (size_t)(hi - (int64_t)p.n), &p);
    free(p.c);
    if (ok)
      return ret(r, pf_bool(true));
  }
  return ret(r, pf_bool(false));
}

static int push_cps(pf_run *r, pf_listb *lb, const uint32_t *c, size_t n) {
  pf_val v;
  if (encode(r, c, n, &v) != PF_OK || pf_listb_push(lb, v, &r->err) != PF_OK)
    return NS_RAISE;
  return NS_RETURN;
}

static int rsplit(pf_run *r, cps *s, pf_val sepv, int64_t maxs) {
  pf_listb lb;
  pf_listb_init(&lb);
  cps sep = {0};
  if (sepv.tag != PF_NONE && sepv.tag != PF_UNBOUND) {
    if (!pf_is_type(sepv, &pf_type_str))
      return pf_raise_run(r, PF_EXC_TypeError, "must be str or None, not %s", pf_type_name(sepv));
    if (decode(r, sepv, &sep) != NS_RETURN)
      return NS_RAISE;
    if (sep.n == 0) {
      free(sep.c);
      return pf_raise_run(r, PF_EXC_ValueError, "empty separator");
    }
  }
  int rc = NS_RETURN;
  int64_t j = (int64_t)s->n;
  if (!sep.c) {
    for (;;) {
      while (j > 0 && is_space(s->c[j - 1]))
        j--;
      if (j == 0)
        break;
      int64_t i = j;
      if (maxs == 0)
        i = 0;
      else
        while (i > 0 && !is_space(s->c[i - 1]))
          i--;
      if ((rc = push_cps(r, &lb, s->c + i, (size_t)(j - i))) != NS_RETURN)
        break;
      if (maxs > 0)
        maxs--;
      if (maxs == 0 && i > 0) {
        int64_t k = i;
        while (k > 0 && is_space(s->c[k - 1]))
          k--;
        if (k > 0)
          rc = push_cps(r, &lb, s->c, (size_t)k);
        break;
      }
      j = i;
    }
  } else {
    for (;;) {
      int64_t hit = -1;
      if (maxs != 0)
        for (int64_t i = j - (int64_t)sep.n; i >= 0; i--)
          if (match_at(s, (size_t)i, &sep)) {
            hit = i;
            break;
          }
      int64_t from = hit < 0 ? 0 : hit + (int64_t)sep.n;
      if ((rc = push_cps(r, &lb, s->c + from, (size_t)(j - from))) != NS_RETURN || hit < 0)
        break;
      if (maxs > 0)
        maxs--;
      j = hit;
    }
  }
  free(sep.c);
  if (rc != NS_RETURN) {
    pf_listb_discard(&lb);
    return NS_RAISE;
  }
  /* reverse into Python's left-to-right order */
  for (size_t a = 0, b = lb.n ? lb.n - 1 : 0; a < b; a++, b--) {
    pf_val t = lb.items[a];
    lb.items[a] = lb.items[b];
    lb.items[b] = t;
  }
  pf_val out;
  return ret_st(r, pf_listb_finish(&lb, false, &out, &r->err), out);
}

static int splitlines(pf_run *r, cps *s, bool keep) {
  pf_listb lb;
  pf_listb_init(&lb);
  size_t i = 0;
  while (i < s->n) {
    size_t j = i;
    while (j < s->n && !is_linebreak(s->c[j]))
      j++;
    size_t eol = j;
    if (j < s->n) {
      j += (s->c[j] == '\r' && j + 1 < s->n && s->c[j + 1] == '\n') ? 2 : 1;
    }
    if (push_cps(r, &lb, s->c + i, (keep ? j : eol) - i) != NS_RETURN) {
      pf_listb_discard(&lb);
      return NS_RAISE;
    }
    i = j;
  }
  pf_val out;
  return ret_st(r, pf_listb_finish(&lb, false, &out, &r->err), out);
}

static int partition(pf_run *r, bool rev, cps *s, pf_val sepv, pf_val self) {
  if (!pf_is_type(sepv, &pf_type_str))
    return pf_raise_run(r, PF_EXC_TypeError, "must be str, not %s", pf_type_name(sepv));
  cps p;
  if (decode(r, sepv, &p) != NS_RETURN)
    return NS_RAISE;
  if (p.n == 0) {
    free(p.c);
    return pf_raise_run(r, PF_EXC_ValueError, "empty separator");
  }
  int64_t hit = -1;
  if (rev) {
    for (int64_t i = (int64_t)s->n - (int64_t)p.n; i >= 0; i--)
      if (match_at(s, (size_t)i, &p)) {
        hit = i;
        break;
      }
  } else
    for (size_t i = 0; i + p.n <= s->n; i++)
      if (match_at(s, i, &p)) {
        hit = (int64_t)i;
        break;
      }
  pf_val v[3], out;
  pf_status_t st = PF_OK;
  if (hit < 0) {
    pf_val e;
    st = pf_str_new("", 0, &e, &r->err);
    if (st == PF_OK) {
      v[0] = rev ? pf_incref(e) : pf_incref(self);
      v[1] = pf_incref(e);
      v[2] = rev ? pf_incref(self) : pf_incref(e);
      pf_decref(e);
    }
  } else {
    st = encode(r, s->c, (size_t)hit, &v[0]);
    if (st == PF_OK && (st = encode(r, p.c, p.n, &v[1])) != PF_OK)
      pf_decref(v[0]);
    if (st == PF_OK && (st = encode(r, s->c + hit + p.n, s->n - (size_t)hit - p.n, &v[2])) != PF_OK)
      pf_decref(v[0]), pf_decref(v[1]);
  }
  free(p.c);
  if (st != PF_OK)
    return NS_RAISE;
  return ret_st(r, pf_tuple_new(3, v, &out, &r->err), out);
}

static int pad(pf_run *r, const char *m, cps *s, pf_val self, pf_val *args, uint32_t nargs) {
  bool z = !strcmp(m, "zfill");
  if (nargs < 1 || nargs > (z ? 1u : 2u))
    return pf_raise_run(r, PF_EXC_TypeError, "%s expected %s argument%s, got %u", m, z ? "1" : "at most 2",
                        z ? "" : "s", nargs);
  if (args[0].tag != PF_INT && args[0].tag != PF_BOOL)
    return pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer", pf_type_name(args[0]));
  uint32_t fill = ' ';
  if (nargs == 2) {
    if (!pf_is_type(args[1], &pf_type_str) || pf_str_len(args[1]) != 1)
      return pf_raise_run(r, PF_EXC_TypeError, "The fill character must be exactly one character long");
    cps f;
    if (decode(r, args[1], &f) != NS_RETURN)
      return NS_RAISE;
    fill = f.c[0];
    free(f.c);
  }
  int64_t w = args[0].u.i;
  if (w <= (int64_t)s->n)
    return ret(r, pf_incref(self));
  if (w > (1 << 28))
    return pf_raise_run(r, PF_EXC_MemoryError, "padded string too large");
  size_t total = (size_t)w, extra = total - s->n, left;
  if (m[0] == 'l')
    left = 0;
  else if (m[0] == 'r' || z)
    left = extra;
  else
    left = extra / 2 + (extra & (size_t)w & 1); /* CPython's centering */
  uint32_t *b = malloc(total * sizeof *b);
  if (!b)
    return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
  for (size_t i = 0; i < total; i++)
    b[i] = z ? '0' : fill;
  memcpy(b + left, s->c, s->n * sizeof *b);
  if (z && s->n && (s->c[0] == '+' || s->c[0] == '-')) {
    b[0] = s->c[0];
    b[left] = '0';
  }
  pf_val out;
  pf_status_t st = encode(r, b, total, &out);
  free(b);
  return ret_st(r, st, out);
}

static int strip(pf_run *r, const char *m, cps *s, pf_val *args, uint32_t nargs) {
  if (nargs > 1)
    return pf_raise_run(r, PF_EXC_TypeError, "%s expected at most 1 argument, got %u", m, nargs);
  cps ch = {0};
  if (nargs == 1 && args[0].tag != PF_NONE) {
    if (!pf_is_type(args[0], &pf_type_str))
      return pf_raise_run(r, PF_EXC_TypeError, "%s arg must be None or str", m);
    if (decode(r, args[0], &ch) != NS_RETURN)
      return NS_RAISE;
  }
  size_t i = 0, j = s->n;
#define STRIPPED(x) (ch.c ? memchr_cp(ch.c, ch.n, (x)) : is_space(x))
  if (m[0] != 'r')
    while (i < j && STRIPPED(s->c[i]))
      i++;
  if (m[0] != 'l')
    while (j > i && STRIPPED(s->c[j - 1]))
      j--;
#undef STRIPPED
  free(ch.c);
  pf_val out;
  return ret_st(r, encode(r, s->c + i, j - i, &out), out);
}

static int replace(pf_run *r, cps *s, pf_val self, pf_val *args, uint32_t nargs) {
  if (nargs < 2 || nargs > 3)
    return pf_raise_run(r, PF_EXC_TypeError, "replace expected at least 2 arguments, got %u", nargs);
  if (!pf_is_type(args[0], &pf_type_str) || !pf_is_type(args[1], &pf_type_str))
    return pf_raise_run(r, PF_EXC_TypeError, "replace() argument must be str");
  if (nargs == 3 && args[2].tag != PF_INT && args[2].tag != PF_BOOL)
    return pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer", pf_type_name(args[2]));
  int64_t cnt = nargs == 3 ? args[2].u.i : -1;
  cps o, nw;
  if (decode(r, args[0], &o) != NS_RETURN)
    return NS_RAISE;
  if (decode(r, args[1], &nw) != NS_RETURN) {
    free(o.c);
    return NS_RAISE;
  }
  size_t cap = s->n + (s->n + 1) * nw.n + 1, k = 0;
  uint32_t *b = NULL;
  int rc = NS_RETURN;
  if (o.n == 0 && cnt != 0) { /* between every character, as CPython */
    if (!(b = malloc(cap * sizeof *b)))
      rc = pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    for (size_t i = 0; b && i <= s->n; i++) {
      if (cnt < 0 || (int64_t)i < cnt) {
        memcpy(b + k, nw.c, nw.n * sizeof *b);
        k += nw.n;
      }
      if (i < s->n)
        b[k++] = s->c[i];
    }
  } else if (o.n == 0) {
    free(o.c);
    free(nw.c);
    return (r->ret = pf_incref(self), NS_RETURN);
  } else {
    size_t hits = 0;
    for (size_t i = 0; i + o.n <= s->n;)
      if (match_at(s, i, &o) && (cnt < 0 || (int64_t)hits < cnt)) {
        hits++;
        i += o.n;
      } else
        i++;
    cap = s->n + hits * nw.n + 1;
    if (!(b = malloc(cap * sizeof *b)))
      rc = pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    size_t done = 0;
    for (size_t i = 0; b && i < s->n;)
      if (done < hits && i + o.n <= s->n && match_at(s, i, &o)) {
        memcpy(b + k, nw.c, nw.n * sizeof *b);
        k += nw.n;
        i += o.n;
        done++;
      } else
        b[k++] = s->c[i++];
  }
  pf_val out;
  if (rc == NS_RETURN)
    rc = ret_st(r, encode(r, b, k, &out), out);
  free(b);
  free(o.c);
  free(nw.c);
  return rc;
}

static int map_case(pf_run *r, const char *m, pf_val self) {
  static const struct {
    const char *n;
    pf_status_t (*f)(pf_val, pf_val *, pf_err *);
  } fs[] = {{"upper", pf_str_upper}, {"lower", pf_str_lower}, {"casefold", pf_str_casefold},
            {"swapcase", pf_str_swapcase}, {"title", pf_str_title}, {"capitalize", pf_str_capitalize},
            {"isalpha", pf_str_isalpha}, {"isdigit", pf_str_isdigit}, {"isdecimal", pf_str_isdecimal},
            {"isnumeric", pf_str_isnumeric}, {"isalnum", pf_str_isalnum}, {"isspace", pf_str_isspace},
            {"isupper", pf_str_isupper}, {"islower", pf_str_islower}, {"istitle", pf_str_istitle}};
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
    if (!strcmp(m, fs[i].n)) {
      pf_val out;
      return ret_st(r, fs[i].f(self, &out, &r->err), out);
    }
  return -1;
}

static pf_val kw(const pf_val *kwn, pf_val *kwv, uint32_t nkw, const char *name) {
  for (uint32_t i = 0; i < nkw; i++)
    if (!strcmp(pf_str_utf8(kwn[i], NULL), name))
      return kwv[i];
  return pf_unbound();
}

/* str methods handled here; returns NS_RETURN/NS_RAISE, or -1 when "m" is not one of them.
 * Borrows all. */
int pf_str_method2(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs,
                   const pf_val *kwn, pf_val *kwv, uint32_t nkw) {
  if (!strcmp(m, "format"))
    return pf_str_format_run(r, self, args, nargs, kwn, kwv, nkw);
  if (!strcmp(m, "encode") || !strcmp(m, "translate") || !strcmp(m, "maketrans"))
    return pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "str.%s is not supported in pyfora code", m);
  pf_val a2[2];
  if ((!strcmp(m, "split") || !strcmp(m, "rsplit")) && nkw) {
    pf_val sep = nargs > 0 ? args[0] : kw(kwn, kwv, nkw, "sep");
    pf_val mx = nargs > 1 ? args[1] : kw(kwn, kwv, nkw, "maxsplit");
    a2[0] = sep.tag == PF_UNBOUND ? pf_none() : sep;
    a2[1] = mx.tag == PF_UNBOUND ? pf_int(-1) : mx;
    if (m[0] == 's')
      return pf_str_method(r, self, m, a2, 2);
    args = a2;
    nargs = 2;
    nkw = 0;
  }
  if (nkw && strcmp(m, "splitlines"))
    return pf_raise_run(r, PF_EXC_TypeError, "str.%s() takes no keyword arguments", m);
  int rc = map_case(r, m, self);
  if (rc != -1) {
    if (nargs)
      return pf_raise_run(r, PF_EXC_TypeError, "str.%s() takes no arguments (%u given)", m, nargs);
    return rc;
  }
  static const char *const ours[] = {"find", "rfind", "index", "rindex", "count", "startswith",
                                     "endswith", "rsplit", "splitlines", "partition", "rpartition",
                                     "center", "ljust", "rjust", "zfill", "removeprefix",
                                     "removesuffix", "isascii", "isidentifier", "expandtabs",
                                     "strip", "lstrip", "rstrip", "replace"};
  bool mine = false;
  for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
    mine |= !strcmp(m, ours[i]);
  if (!mine)
    return -1;
  cps s;
  if (decode(r, self, &s) != NS_RETURN)
    return NS_RAISE;
  pf_val out;
  if (!strcmp(m, "find") || !strcmp(m, "rfind") || !strcmp(m, "index") || !strcmp(m, "rindex") ||
      !strcmp(m, "count"))
    rc = find_like(r, m, &s, args, nargs);
  else if (!strcmp(m, "startswith") || !strcmp(m, "endswith"))
    rc = starts_ends(r, m, &s, args, nargs);
  else if (strstr(m, "strip"))
    rc = strip(r, m, &s, args, nargs);
  else if (!strcmp(m, "replace"))
    rc = replace(r, &s, self, args, nargs);
  else if (!strcmp(m, "rsplit")) {
    pf_val mx = nargs > 1 ? args[1] : pf_int(-1);
    rc = mx.tag != PF_INT && mx.tag != PF_BOOL
             ? pf_raise_run(r, PF_EXC_TypeError, "'%s' object cannot be interpreted as an integer", pf_type_name(mx))
             : rsplit(r, &s, nargs > 0 ? args[0] : pf_none(), mx.u.i);
  } else if (!strcmp(m, "splitlines")) {
    pf_val k = nargs > 0 ? args[0] : kw(kwn, kwv, nkw, "keepends");
    bool keep = false;
    if (k.tag != PF_UNBOUND && pf_val_truthy(k, &keep, &r->err) != PF_OK)
      rc = NS_RAISE;
    else
      rc = splitlines(r, &s, keep);
  } else if (!strcmp(m, "partition") || !strcmp(m, "rpartition"))
    rc = nargs != 1 ? pf_raise_run(r, PF_EXC_TypeError, "%s() takes exactly one argument (%u given)", m, nargs)
                    : partition(r, m[0] == 'r', &s, args[0], self);
  else if (!strcmp(m, "center") || !strcmp(m, "ljust") || !strcmp(m, "rjust") || !strcmp(m, "zfill"))
    rc = pad(r, m, &s, self, args, nargs);
  else if (!strcmp(m, "removeprefix") || !strcmp(m, "removesuffix")) {
    cps p;
    if (nargs != 1 || !pf_is_type(args[0], &pf_type_str))
      rc = pf_raise_run(r, PF_EXC_TypeError, "%s() argument must be str", m);
    else if ((rc = decode(r, args[0], &p)) == NS_RETURN) {
      bool pre = m[6] == 'p';
      if (p.n <= s.n && match_at(&s, pre ? 0 : s.n - p.n, &p))
        rc = ret_st(r, encode(r, s.c + (pre ? p.n : 0), s.n - p.n, &out), out);
      else
        rc = ret(r, pf_incref(self));
      free(p.c);
    }
  } else if (!strcmp(m, "isascii")) {
    bool t = true;
    for (size_t i = 0; i < s.n; i++)
      t &= s.c[i] < 128;
    rc = ret(r, pf_bool(t));
  } else if (!strcmp(m, "isidentifier")) {
    bool t = s.n > 0;
    for (size_t i = 0; i < s.n && t; i++) {
      uint32_t c = s.c[i];
      t = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 128 ||
          (i > 0 && c >= '0' && c <= '9');
    }
    rc = ret(r, pf_bool(t));
  } else { /* expandtabs */
    int64_t ts = nargs > 0 && args[0].tag == PF_INT ? args[0].u.i : 8;
    size_t cap = s.n * (size_t)(ts > 0 ? ts : 1) + 1, k = 0, col = 0;
    uint32_t *b = malloc(cap * sizeof *b);
    if (!b)
      rc = pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    else {
      for (size_t i = 0; i < s.n; i++) {
        if (s.c[i] == '\t') {
          if (ts > 0) {
            size_t sp = (size_t)ts - col % (size_t)ts;
            for (size_t j = 0; j < sp; j++)
              b[k++] = ' ';
            col += sp;
          }
        } else {
          b[k++] = s.c[i];
          col = s.c[i] == '\n' || s.c[i] == '\r' ? 0 : col + 1;
        }
      }
      rc = ret_st(r, encode(r, b, k, &out), out);
      free(b);
    }
  }
  free(s.c);
  return rc;
}
