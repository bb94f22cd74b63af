/* str.c — immutable UTF-8 strings with cached length and hash. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "value_int.h"

static void str_destroy(pf_obj *o) { free(o); }

const pf_type pf_type_str = {.name = "str", .destroy = str_destroy};

size_t pf_utf8_decode(const char *p, int32_t *cp) {
  const unsigned char *u = (const unsigned char *)p;
  if (u[0] < 0x80) {
    *cp = u[0];
    return 1;
  }
  if (u[0] < 0xE0) {
    *cp = ((u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    return 2;
  }
  if (u[0] < 0xF0) {
    *cp = ((u[0] & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    return 3;
  }
  *cp = ((u[0] & 0x07) << 18) | ((u[1] & 0x3F) << 12) | ((u[2] & 0x3F) << 6) | (u[3] & 0x3F);
  return 4;
}

size_t pf_utf8_encode(int32_t cp, char *buf) {
  return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)buf);
}

static inline size_t utf8_len(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Allocates an uninitialised str of "n" bytes. */
static pf_str *str_alloc(size_t n, pf_err *err) {
  if (n > PF_SEQ_MAX_BYTES) {
    (void)pf_nomem(err);
    return NULL;
  }
  pf_str *s = pf_xmalloc(sizeof *s + n + 1, err);
  if (!s)
    return NULL;
  pf_obj_init(&s->h, &pf_type_str);
  s->nbytes = n;
  s->data[n] = 0;
  return s;
}

static void str_seal(pf_str *s, size_t ncp, bool ascii) {
  s->ncp = ncp;
  s->is_ascii = ascii;
  int64_t h = (int64_t)XXH3_64bits(s->data, s->nbytes);
  s->hash = h == -1 ? -2 : h;
}

pf_status_t pf_str_new(const char *p, size_t n, pf_val *out, pf_err *err) {
  size_t ncp = 0;
  bool ascii = true;
  size_t i = 0;
  while (i < n) {
    if ((unsigned char)p[i] < 0x80) {
      i++;
      ncp++;
      continue;
    }
    ascii = false;
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p + i, (utf8proc_ssize_t)(n - i), &cp);
    if (k <= 0 || (cp >= 0xD800 && cp <= 0xDFFF))
      return pf_raise(err, PF_EXC_UnicodeError, "invalid UTF-8 at byte %zu", i);
    i += (size_t)k;
    ncp++;
  }
  pf_str *s = str_alloc(n, err);
  if (!s)
    return PF_EPYEXC;
  memcpy(s->data, p, n);
  str_seal(s, ncp, ascii);
  *out = pf_obj_val(&s->h);
  return PF_OK;
}

pf_status_t pf_str_from_cstr(const char *s, pf_val *out, pf_err *err) {
  return pf_str_new(s, strlen(s), out, err);
}

const char *pf_str_utf8(pf_val v, size_t *nbytes) {
  pf_str *s = PF_STR(v);
  if (nbytes)
    *nbytes = s->nbytes;
  return s->data;
}

size_t pf_str_len(pf_val v) { return PF_STR(v)->ncp; }

size_t pf_str_cp_offset(pf_val v, size_t i) {
  pf_str *s = PF_STR(v);
  if (s->is_ascii)
    return i;
  size_t off = 0;
  while (i-- > 0 && off < s->nbytes)
    off += utf8_len((unsigned char)s->data[off]);
  return off;
}

pf_status_t pf_str_concat(pf_val a, pf_val b, pf_val *out, pf_err *err) {
  pf_str *x = PF_STR(a), *y = PF_STR(b);
  if (y->nbytes == 0) {
    *out = pf_incref(a);
    return PF_OK;
  }
  if (x->nbytes == 0) {
    *out = pf_incref(b);
    return PF_OK;
  }
  pf_str *s = str_alloc(x->nbytes + y->nbytes, err);
  if (!s)
    return PF_EPYEXC;
  memcpy(s->data, x->data, x->nbytes);
  memcpy(s->data + x->nbytes, y->data, y->nbytes);
  str_seal(s, x->ncp + y->ncp, x->is_ascii && y->is_ascii);
  *out = pf_obj_val(&s->h);
  return PF_OK;
}

pf_status_t pf_str_repeat(pf_val a, int64_t n, pf_val *out, pf_err *err) {
  pf_str *x = PF_STR(a);
  if (n <= 0)
    n = 0;
  if (n == 1) {
    *out = pf_incref(a);
    return PF_OK;
  }
  if (x->nbytes && (uint64_t)n > PF_SEQ_MAX_BYTES / x->nbytes)
    return pf_nomem(err);
  pf_str *s = str_alloc(x->nbytes * (size_t)n, err);
  if (!s)
    return PF_EPYEXC;
  for (int64_t i = 0; i < n; i++)
    memcpy(s->data + (size_t)i * x->nbytes, x->data, x->nbytes);
  str_seal(s, x->ncp * (size_t)n, x->is_ascii);
  *out = pf_obj_val(&s->h);
  return PF_OK;
}

/* UTF-8 byte order is code point order. */
int pf_str_cmp(pf_val a, pf_val b) {
  pf_str *x = PF_STR(a), *y = PF_STR(b);
  size_t n = x->nbytes < y->nbytes ? x->nbytes : y->nbytes;
  int c = memcmp(x->data, y->data, n);
  if (c)
    return c < 0 ? -1 : 1;
  return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

bool pf_str_eq(pf_val a, pf_val b) {
  pf_str *x = PF_STR(a), *y = PF_STR(b);
  return x == y || (x->nbytes == y->nbytes && x->hash == y->hash &&
                    memcmp(x->data, y->data, x->nbytes) == 0);
}

pf_status_t pf_str_getitem(pf_val v, int64_t i, pf_val *out, pf_err *err) {
  pf_str *s = PF_STR(v);
  if (i < 0)
    i += (int64_t)s->ncp;
  if (i < 0 || i >= (int64_t)s->ncp)
    return pf_raise(err, PF_EXC_IndexError, "string index out of range");
  size_t off = pf_str_cp_offset(v, (size_t)i);
  return pf_str_new(s->data + off, utf8_len((unsigned char)s->data[off]), out, err);
}

pf_status_t pf_str_slice(pf_val v, int64_t start, int64_t step, int64_t len, pf_val *out,
                         pf_err *err) {
  pf_str *s = PF_STR(v);
  if (len <= 0)
    return pf_str_new("", 0, out, err);
  if (step == 1 && len == (int64_t)s->ncp) {
    *out = pf_incref(v);
    return PF_OK;
  }
  if (step == 1) {
    size_t a = pf_str_cp_offset(v, (size_t)start);
    size_t b = s->is_ascii ? (size_t)(start + len) : a;
    if (!s->is_ascii)
      for (int64_t k = 0; k < len; k++)
        b += utf8_len((unsigned char)s->data[b]);
    return pf_str_new(s->data + a, b - a, out, err);
  }
  if (s->is_ascii) {
    pf_str *r = str_alloc((size_t)len, err);
    if (!r)
      return PF_EPYEXC;
    for (int64_t k = 0; k < len; k++)
      r->data[k] = s->data[start + k * step];
    str_seal(r, (size_t)len, true);
    *out = pf_obj_val(&r->h);
    return PF_OK;
  }
  /* non-ASCII with a step: index the code points once */
  size_t *offs = pf_xmalloc((s->ncp + 1) * sizeof *offs, err);
  if (!offs)
    return PF_EPYEXC;
  size_t off = 0;
  for (size_t k = 0; k <= s->ncp; k++) {
    offs[k] = off;
    if (k < s->ncp)
      off += utf8_len((unsigned char)s->data[off]);
  }
  pf_sb b;
  pf_sb_init(&b);
  for (int64_t k = 0; k < len; k++) {
    size_t c = (size_t)(start + k * step);
    pf_sb_putn(&b, s->data + offs[c], offs[c + 1] - offs[c]);
  }
  free(offs);
  return pf_sb_finish(&b, out, err);
}

bool pf_str_contains(pf_val hay, pf_val needle) {
  pf_str *h = PF_STR(hay), *n = PF_STR(needle);
  if (n->nbytes == 0)
    return true;
  return memmem(h->data, h->nbytes, n->data, n->nbytes) != NULL;
}

static bool cp_printable(int32_t cp) {
  if (cp == ' ')
    return true;
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_CC:
  case UTF8PROC_CATEGORY_CF:
  case UTF8PROC_CATEGORY_CS:
  case UTF8PROC_CATEGORY_CO:
  case UTF8PROC_CATEGORY_CN:
  case UTF8PROC_CATEGORY_ZL:
  case UTF8PROC_CATEGORY_ZP:
  case UTF8PROC_CATEGORY_ZS:
    return false;
  default:
    return true;
  }
}

void pf_sb_put_str_repr(pf_sb *b, pf_val v) {
  pf_str *s = PF_STR(v);
  bool has_sq = memchr(s->data, '\'', s->nbytes) != NULL;
  bool has_dq = memchr(s->data, '"', s->nbytes) != NULL;
  char q = has_sq && !has_dq ? '"' : '\'';
  pf_sb_putc(b, q);
  size_t i = 0;
  while (i < s->nbytes) {
    unsigned char c = (unsigned char)s->data[i];
    if (c < 0x80) {
      i++;
      if (c == (unsigned char)q || c == '\\') {
        pf_sb_putc(b, '\\');
        pf_sb_putc(b, (char)c);
      } else if (c == '\n') {
        pf_sb_puts(b, "\\n");
      } else if (c == '\t') {
        pf_sb_puts(b, "\\t");
      } else if (c == '\r') {
        pf_sb_puts(b, "\\r");
      } else if (c < 0x20 || c == 0x7f) {
        pf_sb_printf(b, "\\x%02x", c);
      } else {
        pf_sb_putc(b, (char)c);
      }
      continue;
    }
    int32_t cp;
    size_t k = pf_utf8_decode(s->data + i, &cp);
    if (cp_printable(cp))
      pf_sb_putn(b, s->data + i, k);
    else if (cp < 0x100)
      pf_sb_printf(b, "\\x%02x", (unsigned)cp);
    else if (cp < 0x10000)
      pf_sb_printf(b, "\\u%04x", (unsigned)cp);
    else
      pf_sb_printf(b, "\\U%08x", (unsigned)cp);
    i += k;
  }
  pf_sb_putc(b, q);
}
