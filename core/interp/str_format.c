/* str_format.c — format(v, spec) with instances' __format__/__str__, str.format with
 * positional, numbered and keyword fields (attribute and index lookups, conversions, nested
 * specs), and printf-style "%" formatting of instances through __str__/__repr__. Format
 * specs themselves are core/value's pf_val_format (the full mini-language). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

/* format(v, spec) as a new str; "spec" a str or unbound. */
pf_status_t pf_format_run(pf_run *r, pf_val v, pf_val spec, pf_val *out) {
  bool empty = spec.tag == PF_UNBOUND || spec.tag == PF_NONE || pf_str_len(spec) == 0;
  if (pf_is_type(v, &pf_type_inst)) {
    pf_val m;
    if (pf_class_lookup(((pf_inst *)v.u.o)->cls, "__format__", &m)) {
      pf_val args[2] = {v, spec};
      if (empty && pf_str_new("", 0, &args[1], &r->err) != PF_OK)
        return PF_EPYEXC;
      int k = pf_call_sync(r, m, args, 2, out);
      if (empty)
        pf_decref(args[1]);
      if (k < 0)
        return PF_EPYEXC;
      if (!pf_is_type(*out, &pf_type_str)) {
        pf_decref(*out);
        return pf_raise(&r->err, PF_EXC_TypeError, "__format__ must return a str");
      }
      return PF_OK;
    }
    if (!empty)
      return pf_raise(&r->err, PF_EXC_TypeError, "unsupported format string passed to %s.__format__",
                      ((pf_inst *)v.u.o)->cls->name);
    return pf_repr_run(r, v, true, out);
  }
  if (empty && v.tag == PF_OBJ && !pf_is_type(v, &pf_type_str))
    return pf_repr_run(r, v, true, out);
  return pf_val_format(v, empty ? pf_unbound() : spec, out, &r->err);
}

typedef struct fbuf {
  char *p;
  size_t n, cap;
} fbuf;

static pf_status_t fb_add(pf_run *r, fbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  return PF_OK;
}

typedef struct fctx {
  pf_val *args;
  uint32_t nargs;
  const pf_val *kwn;
  pf_val *kwv;
  uint32_t nkw;
  int auto_idx; /* -1: manual numbering in use */
  bool used_auto;
} fctx;

static pf_status_t expand(pf_run *r, fctx *c, const char *s, size_t n, fbuf *out, int depth);

/* Resolves a field name ("0", "", "name", "a.b[2]") to a new value. */
static pf_status_t field_value(pf_run *r, fctx *c, const char *s, size_t n, pf_val *out) {
  size_t i = 0;
  while (i < n && s[i] != '.' && s[i] != '[')
    i++;
  pf_val v;
  if (i == 0) {
    if (c->auto_idx < 0)
      return pf_raise(&r->err, PF_EXC_ValueError,
                      "cannot switch from manual field specification to automatic field numbering");
    c->used_auto = true;
    int k = c->auto_idx++;
    if ((uint32_t)k >= c->nargs)
      return pf_raise(&r->err, PF_EXC_IndexError, "Replacement index %d out of range for positional args tuple", k);
    v = pf_incref(c->args[k]);
  } else if (s[0] >= '0' && s[0] <= '9') {
    if (c->used_auto)
      return pf_raise(&r->err, PF_EXC_ValueError,
                      "cannot switch from automatic field numbering to manual field specification");
    c->auto_idx = -1;
    long k = strtol(s, NULL, 10);
    if (k < 0 || (uint32_t)k >= c->nargs)
      return pf_raise(&r->err, PF_EXC_IndexError, "Replacement index %ld out of range for positional args tuple", k);
    v = pf_incref(c->args[k]);
  } else {
    uint32_t j;
    for (j = 0; j < c->nkw; j++) {
      size_t kl;
      const char *kn = pf_str_utf8(c->kwn[j], &kl);
      if (kl == i && !memcmp(kn, s, i))
        break;
    }
    if (j == c->nkw)
      return pf_raise(&r->err, PF_EXC_KeyError, "'%.*s'", (int)i, s);
    v = pf_incref(c->kwv[j]);
  }
  while (i < n) {
    pf_val nx;
    pf_status_t st;
    if (s[i] == '.') {
      size_t j = ++i;
      while (i < n && s[i] != '.' && s[i] != '[')
        i++;
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)(i - j), s + j);
      st = pf_getattr(r, v, name, &nx);
    } else {
      size_t j = ++i;
      while (i < n && s[i] != ']')
        i++;
      if (i >= n) {
        pf_decref(v);
        return pf_raise(&r->err, PF_EXC_ValueError, "Missing ']' in format string");
      }
      bool digits = i > j;
      for (size_t q = j; q < i; q++)
        digits &= s[q] >= '0' && s[q] <= '9';
      pf_val key;
      if (digits)
        key = pf_int(strtol(s + j, NULL, 10));
      else if (pf_str_new(s + j, i - j, &key, &r->err) != PF_OK) {
        pf_decref(v);
        return PF_EPYEXC;
      }
      i++;
      st = pf_val_getitem(v, key, &nx, &r->err);
      pf_decref(key);
    }
    pf_decref(v);
    if (st != PF_OK)
      return PF_EPYEXC;
    v = nx;
  }
  *out = v;
  return PF_OK;
}

static pf_status_t one_field(pf_run *r, fctx *c, const char *s, size_t n, fbuf *out, int depth) {
  size_t i = 0;
  int br = 0;
  while (i < n && !(br == 0 && (s[i] == '!' || s[i] == ':'))) {
    br += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
    i++;
  }
  size_t name_end = i;
  char conv = 0;
  if (i < n && s[i] == '!') {
    if (i + 1 >= n)
      return pf_raise(&r->err, PF_EXC_ValueError, "end of string while looking for conversion specifier");
    conv = s[i + 1];
    i += 2;
    if (i < n && s[i] != ':')
      return pf_raise(&r->err, PF_EXC_ValueError, "expected ':' after conversion specifier");
    if (conv != 'r' && conv != 's' && conv != 'a')
      return pf_raise(&r->err, PF_EXC_ValueError, "Unknown conversion specifier %c", conv);
  }
  pf_val spec = pf_unbound(), v, cv;
  pf_status_t st = field_value(r, c, s, name_end, &v); /* before the spec's nested fields */
  if (st != PF_OK)
    return PF_EPYEXC;
  if (i < n && s[i] == ':') {
    fbuf sb = {0};
    st = expand(r, c, s + i + 1, n - i - 1, &sb, depth + 1);
    if (st == PF_OK)
      st = pf_str_new(sb.p ? sb.p : "", sb.n, &spec, &r->err);
    free(sb.p);
    if (st != PF_OK) {
      pf_decref(v);
      return PF_EPYEXC;
    }
  }
  if (st == PF_OK && conv) {
    st = pf_repr_run(r, v, conv == 's', &cv);
    pf_decref(v);
    v = cv;
  }
  pf_val res;
  if (st == PF_OK) {
    st = pf_format_run(r, v, spec, &res);
    pf_decref(v);
  }
  pf_decref(spec);
  if (st != PF_OK)
    return PF_EPYEXC;
  size_t rl;
  const char *rs = pf_str_utf8(res, &rl);
  st = fb_add(r, out, rs, rl);
  pf_decref(res);
  return st;
}

static pf_status_t expand(pf_run *r, fctx *c, const char *s, size_t n, fbuf *out, int depth) {
  if (depth > 2)
    return pf_raise(&r->err, PF_EXC_ValueError, "Max string recursion exceeded");
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] != '{' && s[j] != '}')
      j++;
    if (fb_add(r, out, s + i, j - i) != PF_OK)
      return PF_EPYEXC;
    if (j >= n)
      break;
    if (j + 1 < n && s[j + 1] == s[j]) {
      if (fb_add(r, out, s + j, 1) != PF_OK)
        return PF_EPYEXC;
      i = j + 2;
      continue;
    }
    if (s[j] == '}')
      return pf_raise(&r->err, PF_EXC_ValueError, "Single '}' encountered in format string");
    size_t k = j + 1;
    int d = 1;
    while (k < n && d) {
      d += s[k] == '{' ? 1 : s[k] == '}' ? -1 : 0;
      if (d)
        k++;
    }
    if (k >= n)
      return pf_raise(&r->err, PF_EXC_ValueError, "expected '}' before end of string");
    if (one_field(r, c, s + j + 1, k - j - 1, out, depth) != PF_OK)
      return PF_EPYEXC;
    i = k + 1;
  }
  return PF_OK;
}

/* str.format(*args, **kwargs) of "self" (borrowed); NS_RETURN with r->ret, or NS_RAISE. */
int pf_str_format_run(pf_run *r, pf_val self, pf_val *args, uint32_t nargs, const pf_val *kwn,
                      pf_val *kwv, uint32_t nkw) {
  fctx c = {args, nargs, kwn, kwv, nkw, 0, false};
  size_t n;
  const char *s = pf_str_utf8(self, &n);
  fbuf b = {0};
  pf_val out;
  pf_status_t st = expand(r, &c, s, n, &b, 0);
  if (st == PF_OK)
    st = pf_str_new(b.p ? b.p : "", b.n, &out, &r->err);
  free(b.p);
  if (st != PF_OK)
    return NS_RAISE;
  r->ret = out;
  return NS_RETURN;
}

/* fmt % args where args hold instances (or containers of them): %s/%r arguments are
 * converted with __str__/__repr__ first. Returns new in *out. */
pf_status_t pf_mod_run(pf_run *r, pf_val fmt, pf_val args, pf_val *out) {
  bool tup = pf_is_type(args, &pf_type_tuple);
  if (pf_is_type(args, &pf_type_dict))
    return pf_val_binop(PF_OP_MOD, fmt, args, out, &r->err);
  size_t na = tup ? pf_tuple_len(args) : 1, ai = 0;
  pf_val conv[na + 1];
  for (size_t i = 0; i < na; i++)
    conv[i] = pf_incref(tup ? pf_tuple_get(args, i) : args);
  size_t n;
  const char *s = pf_str_utf8(fmt, &n);
  char *s2 = malloc(n + 1);
  if (!s2) {
    for (size_t i = 0; i < na; i++)
      pf_decref(conv[i]);
    return pf_raise(&r->err, PF_EXC_MemoryError, "out of memory");
  }
  memcpy(s2, s, n + 1);
  pf_status_t st = PF_OK;
  for (size_t i = 0; i < n && st == PF_OK; i++) {
    if (s[i] != '%')
      continue;
    i++;
    if (i < n && s[i] == '%')
      continue;
    while (i < n && strchr("#0- +.*0123456789", s[i])) {
      if (s[i] == '*')
        ai++;
      i++;
    }
    if (i < n && ai < na && (s[i] == 's' || s[i] == 'r' || s[i] == 'a')) {
      pf_val c2;
      if (pf_is_type(conv[ai], &pf_type_inst) || pf_needs_run(conv[ai]) ||
          pf_is_type(conv[ai], &pf_type_dict) || pf_is_type(conv[ai], &pf_type_set)) {
        st = pf_repr_run(r, conv[ai], s[i] == 's', &c2);
        if (st == PF_OK) {
          pf_decref(conv[ai]);
          conv[ai] = c2;
          s2[i] = 's'; /* already converted */
        }
      }
    }
    ai++;
  }
  pf_val f2 = pf_unbound();
  if (st == PF_OK && (st = pf_str_new(s2, n, &f2, &r->err)) == PF_OK)
    fmt = f2;
  free(s2);
  if (st == PF_OK) {
    pf_val a2;
    if (tup) {
      st = pf_tuple_new(na, conv, &a2, &r->err);
      if (st == PF_OK) {
        st = pf_val_binop(PF_OP_MOD, fmt, a2, out, &r->err);
        pf_decref(a2);
      }
      pf_decref(f2);
      return st;
    }
    st = pf_val_binop(PF_OP_MOD, fmt, conv[0], out, &r->err);
  }
  pf_decref(f2);
  for (size_t i = 0; i < na; i++)
    pf_decref(conv[i]);
  return st;
}
