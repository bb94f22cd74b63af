/* codec.c — the binary value encoding: one tag byte per value, zigzag varints, little-endian
 * doubles, big ints as sign + magnitude bytes, strings as length + UTF-8, containers as count
 * + items, and packed runs for lists of int64 or of floats. */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_codec.h"

enum {
  T_NONE = 0x00, T_FALSE = 0x01, T_TRUE = 0x02, T_INT = 0x03, T_BIGINT = 0x04, T_FLOAT = 0x05,
  T_STR = 0x06, T_TUPLE = 0x07, T_LIST = 0x08, T_DICT = 0x09, T_SET = 0x0A, T_FROZENSET = 0x0B,
  T_RANGE = 0x0C, T_INTS = 0x0D, T_FLOATS = 0x0E
};

#define PF_BIN_MAX_DEPTH 10000

/* ---------------------------------------------------------------- encoding */

static int reserve(pf_buf *b, size_t n) {
  if (b->cap - b->len >= n)
    return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n)
    cap *= 2;
  unsigned char *d = realloc(b->data, cap);
  if (!d)
    return 0;
  b->data = d;
  b->cap = cap;
  return 1;
}

static int put_byte(pf_buf *b, unsigned char c) {
  if (!reserve(b, 1))
    return 0;
  b->data[b->len++] = c;
  return 1;
}

static int put_uvarint(pf_buf *b, uint64_t x) {
  if (!reserve(b, 10))
    return 0;
  while (x >= 0x80) {
    b->data[b->len++] = (unsigned char)(x | 0x80);
    x >>= 7;
  }
  b->data[b->len++] = (unsigned char)x;
  return 1;
}

static uint64_t zigzag(int64_t i) { return ((uint64_t)i << 1) ^ (uint64_t)(i >> 63); }

static int put_bytes(pf_buf *b, const void *p, size_t n) {
  if (!reserve(b, n))
    return 0;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 1;
}

static void le64(unsigned char *d, uint64_t x) {
  for (int k = 0; k < 8; k++)
    d[k] = (unsigned char)(x >> (8 * k));
}

static int put_double(pf_buf *b, double f) {
  uint64_t u;
  memcpy(&u, &f, 8);
  if (!reserve(b, 8))
    return 0;
  le64(b->data + b->len, u);
  b->len += 8;
  return 1;
}

static pf_status_t enc(pf_val v, pf_buf *b, int depth, char *msg, size_t msg_len);

static pf_status_t enc_items(pf_val c, size_t n, pf_val (*get)(pf_val, size_t), pf_buf *b,
                             int depth, char *msg, size_t msg_len) {
  if (!put_uvarint(b, n))
    return PF_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    pf_status_t st = enc(get(c, i), b, depth + 1, msg, msg_len);
    if (st != PF_OK)
      return st;
  }
  return PF_OK;
}

/* Whether the items of list "l" are all inline ints (*kind_p = T_INTS) or all floats
 * (T_FLOATS): such lists go as one packed run. Walks the leaf chunks, not item by item. */
static int packed_kind(pf_val l, size_t n, int *kind_p) {
  int all_int = n > 0, all_float = n > 0;
  for (size_t i = 0; i < n && (all_int || all_float);) {
    size_t avail;
    const pf_val *c = pf_list_chunk(l, i, &avail);
    for (size_t k = 0; k < avail; k++) {
      all_int &= c[k].tag == PF_INT;
      all_float &= c[k].tag == PF_FLOAT;
    }
    i += avail;
  }
  *kind_p = all_int ? T_INTS : T_FLOATS;
  return all_int || all_float;
}

static pf_status_t enc_list(pf_val l, pf_buf *b, int depth, char *msg, size_t msg_len) {
  size_t n = pf_list_len(l);
  int kind;
  if (!packed_kind(l, n, &kind)) {
    if (!put_byte(b, T_LIST) || !put_uvarint(b, n))
      return PF_ENOMEM;
    pf_list_iter it;
    pf_val x;
    pf_list_iter_init(&it, l, 0);
    while (pf_list_iter_next(&it, &x)) {
      pf_status_t st = enc(x, b, depth + 1, msg, msg_len);
      if (st != PF_OK)
        return st;
    }
    return PF_OK;
  }
  if (!put_byte(b, (unsigned char)kind) || !put_uvarint(b, n) || !reserve(b, 8 * n))
    return PF_ENOMEM;
  unsigned char *d = b->data + b->len;
  for (size_t i = 0; i < n;) {
    size_t avail;
    const pf_val *c = pf_list_chunk(l, i, &avail);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the payload of an int or float value is its 8 little-endian bytes already */
    for (size_t k = 0; k < avail; k++)
      memcpy(d + 8 * (i + k), &c[k].u, 8);
#else
    for (size_t k = 0; k < avail; k++) {
      uint64_t u;
      memcpy(&u, &c[k].u, 8);
      le64(d + 8 * (i + k), u);
    }
#endif
    i += avail;
  }
  b->len += 8 * n;
  return PF_OK;
}

static pf_status_t enc(pf_val v, pf_buf *b, int depth, char *msg, size_t msg_len) {
  if (depth > PF_BIN_MAX_DEPTH) {
    snprintf(msg, msg_len, "value nested deeper than %d levels", PF_BIN_MAX_DEPTH);
    return PF_ENOTSUP;
  }
  switch (v.tag) {
  case PF_NONE:
    return put_byte(b, T_NONE) ? PF_OK : PF_ENOMEM;
  case PF_BOOL:
    return put_byte(b, v.u.i ? T_TRUE : T_FALSE) ? PF_OK : PF_ENOMEM;
  case PF_INT:
    return put_byte(b, T_INT) && put_uvarint(b, zigzag(v.u.i)) ? PF_OK : PF_ENOMEM;
  case PF_FLOAT:
    return put_byte(b, T_FLOAT) && put_double(b, v.u.f) ? PF_OK : PF_ENOMEM;
  default:
    break;
  }
  if (pf_is_type(v, &pf_type_bigint)) {
    mpz_t z;
    mpz_init(z);
    pf_int_to_mpz(v, z);
    size_t nb = (mpz_sizeinbase(z, 2) + 7) / 8;
    int ok = put_byte(b, T_BIGINT) && put_byte(b, mpz_sgn(z) < 0) && put_uvarint(b, nb) &&
             reserve(b, nb);
    if (ok) {
      size_t cnt = 0;
      mpz_export(b->data + b->len, &cnt, -1, 1, -1, 0, z); /* little-endian magnitude */
      memset(b->data + b->len + cnt, 0, nb - cnt);
      b->len += nb;
    }
    mpz_clear(z);
    return ok ? PF_OK : PF_ENOMEM;
  }
  if (pf_is_type(v, &pf_type_str)) {
    size_t n;
    const char *s = pf_str_utf8(v, &n);
    return put_byte(b, T_STR) && put_uvarint(b, n) && put_bytes(b, s, n) ? PF_OK : PF_ENOMEM;
  }
  if (pf_is_type(v, &pf_type_list))
    return enc_list(v, b, depth, msg, msg_len);
  if (pf_is_type(v, &pf_type_tuple))
    return put_byte(b, T_TUPLE) ? enc_items(v, pf_tuple_len(v), pf_tuple_get, b, depth, msg, msg_len)
                                : PF_ENOMEM;
  if (pf_is_type(v, &pf_type_set) || pf_is_type(v, &pf_type_frozenset))
    return put_byte(b, pf_is_type(v, &pf_type_set) ? T_SET : T_FROZENSET)
               ? enc_items(v, pf_set_len(v), pf_set_item, b, depth, msg, msg_len)
               : PF_ENOMEM;
  if (pf_is_type(v, &pf_type_dict)) {
    size_t n = pf_dict_len(v);
    if (!put_byte(b, T_DICT) || !put_uvarint(b, n))
      return PF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
      pf_val k, x;
      pf_dict_entry(v, i, &k, &x);
      pf_status_t st = enc(k, b, depth + 1, msg, msg_len);
      if (st == PF_OK)
        st = enc(x, b, depth + 1, msg, msg_len);
      if (st != PF_OK)
        return st;
    }
    return PF_OK;
  }
  if (pf_is_type(v, &pf_type_range)) {
    int64_t a, s, st, n;
    pf_range_get(v, &a, &s, &st, &n);
    return put_byte(b, T_RANGE) && put_uvarint(b, zigzag(a)) && put_uvarint(b, zigzag(s)) &&
                   put_uvarint(b, zigzag(st))
               ? PF_OK
               : PF_ENOMEM;
  }
  snprintf(msg, msg_len, "a %s has no value encoding", pf_type_name(v));
  return PF_ENOTSUP;
}

static size_t uvarint_len(uint64_t x) {
  size_t n = 1;
  while (x >= 0x80) {
    x >>= 7;
    n++;
  }
  return n;
}

static pf_status_t size_items(pf_val c, size_t n, pf_val (*get)(pf_val, size_t), int depth,
                              size_t *acc, char *msg, size_t msg_len);

/* Adds the length of the encoding of "v" to *acc (the same walk as enc, writing nothing). */
static pf_status_t size_of(pf_val v, int depth, size_t *acc, char *msg, size_t msg_len) {
  if (depth > PF_BIN_MAX_DEPTH) {
    snprintf(msg, msg_len, "value nested deeper than %d levels", PF_BIN_MAX_DEPTH);
    return PF_ENOTSUP;
  }
  switch (v.tag) {
  case PF_NONE:
  case PF_BOOL:
    *acc += 1;
    return PF_OK;
  case PF_INT:
    *acc += 1 + uvarint_len(zigzag(v.u.i));
    return PF_OK;
  case PF_FLOAT:
    *acc += 9;
    return PF_OK;
  default:
    break;
  }
  if (pf_is_type(v, &pf_type_bigint)) {
    mpz_t z;
    mpz_init(z);
    pf_int_to_mpz(v, z);
    size_t nb = (mpz_sizeinbase(z, 2) + 7) / 8;
    mpz_clear(z);
    *acc += 2 + uvarint_len(nb) + nb;
    return PF_OK;
  }
  if (pf_is_type(v, &pf_type_str)) {
    size_t n;
    (void)pf_str_utf8(v, &n);
    *acc += 1 + uvarint_len(n) + n;
    return PF_OK;
  }
  if (pf_is_type(v, &pf_type_list)) {
    size_t n = pf_list_len(v);
    int kind;
    if (packed_kind(v, n, &kind)) {
      *acc += 1 + uvarint_len(n) + 8 * n;
      return PF_OK;
    }
    *acc += 1 + uvarint_len(n);
    pf_list_iter it;
    pf_val x;
    pf_list_iter_init(&it, v, 0);
    while (pf_list_iter_next(&it, &x)) {
      pf_status_t st = size_of(x, depth + 1, acc, msg, msg_len);
      if (st != PF_OK)
        return st;
    }
    return PF_OK;
  }
  if (pf_is_type(v, &pf_type_tuple)) {
    *acc += 1;
    return size_items(v, pf_tuple_len(v), pf_tuple_get, depth, acc, msg, msg_len);
  }
  if (pf_is_type(v, &pf_type_set) || pf_is_type(v, &pf_type_frozenset)) {
    *acc += 1;
    return size_items(v, pf_set_len(v), pf_set_item, depth, acc, msg, msg_len);
  }
  if (pf_is_type(v, &pf_type_dict)) {
    size_t n = pf_dict_len(v);
    *acc += 1 + uvarint_len(n);
    for (size_t i = 0; i < n; i++) {
      pf_val k, x;
      pf_dict_entry(v, i, &k, &x);
      pf_status_t st = size_of(k, depth + 1, acc, msg, msg_len);
      if (st == PF_OK)
        st = size_of(x, depth + 1, acc, msg, msg_len);
      if (st != PF_OK)
        return st;
    }
    return PF_OK;
  }
  if (pf_is_type(v, &pf_type_range)) {
    int64_t a, s, st, n;
    pf_range_get(v, &a, &s, &st, &n);
    *acc += 1 + uvarint_len(zigzag(a)) + uvarint_len(zigzag(s)) + uvarint_len(zigzag(st));
    return PF_OK;
  }
  snprintf(msg, msg_len, "a %s has no value encoding", pf_type_name(v));
  return PF_ENOTSUP;
}

static pf_status_t size_items(pf_val c, size_t n, pf_val (*get)(pf_val, size_t), int depth,
                              size_t *acc, char *msg, size_t msg_len) {
  *acc += uvarint_len(n);
  for (size_t i = 0; i < n; i++) {
    pf_status_t st = size_of(get(c, i), depth + 1, acc, msg, msg_len);
    if (st != PF_OK)
      return st;
  }
  return PF_OK;
}

pf_status_t pf_bin_size(pf_val v, size_t *size_p, char *msg, size_t msg_len) {
  size_t acc = 4;
  pf_status_t st = size_of(v, 0, &acc, msg, msg_len);
  if (st == PF_OK)
    *size_p = acc;
  return st;
}

pf_status_t pf_bin_encode(pf_val v, pf_buf *out, char *msg, size_t msg_len) {
  if (!put_bytes(out, PF_BIN_MAGIC, 4))
    return PF_ENOMEM;
  return enc(v, out, 0, msg, msg_len);
}

/* ---------------------------------------------------------------- decoding */

typedef struct rd {
  const unsigned char *p;
  size_t n, off;
  char *msg;
  size_t msg_len;
} rd;

static pf_status_t fail(rd *r, const char *what) {
  snprintf(r->msg, r->msg_len, "binary value: %s at byte %zu", what, r->off);
  return PF_EPROTO;
}

static pf_status_t from_err(rd *r, const pf_err *e) {
  if (e->kind == PF_EXC_MemoryError)
    return PF_ENOMEM;
  snprintf(r->msg, r->msg_len, "binary value: %s at byte %zu", e->msg, r->off);
  return PF_EPROTO;
}

static int get_uvarint(rd *r, uint64_t *x) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->off >= r->n)
      return 0;
    unsigned char c = r->p[r->off++];
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *x = v;
      return 1;
    }
  }
  return 0;
}

static int get_svarint(rd *r, int64_t *x) {
  uint64_t u;
  if (!get_uvarint(r, &u))
    return 0;
  *x = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
  return 1;
}

static uint64_t rd64(const unsigned char *d) {
  uint64_t u = 0;
  for (int k = 7; k >= 0; k--)
    u = (u << 8) | d[k];
  return u;
}

static pf_status_t dec(rd *r, pf_val *out, int depth);

/* Reads a count whose items take at least "min_item" bytes each. */
static int get_count(rd *r, size_t min_item, size_t *n_p) {
  uint64_t n;
  if (!get_uvarint(r, &n) || n > (r->n - r->off) / (min_item ? min_item : 1))
    return 0;
  *n_p = (size_t)n;
  return 1;
}

static pf_status_t dec_items(rd *r, size_t n, pf_val **items_p, int depth) {
  pf_val *items = malloc((n ? n : 1) * sizeof *items);
  if (!items)
    return PF_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    pf_status_t st = dec(r, &items[i], depth + 1);
    if (st != PF_OK) {
      for (size_t j = 0; j < i; j++)
        pf_decref(items[j]);
      free(items);
      return st;
    }
  }
  *items_p = items;
  return PF_OK;
}

static pf_status_t dec(rd *r, pf_val *out, int depth) {
  if (depth > PF_BIN_MAX_DEPTH)
    return fail(r, "nesting too deep");
  if (r->off >= r->n)
    return fail(r, "truncated input");
  unsigned char tag = r->p[r->off++];
  pf_err e;
  size_t n;
  switch (tag) {
  case T_NONE:
    *out = pf_none();
    return PF_OK;
  case T_FALSE:
  case T_TRUE:
    *out = pf_bool(tag == T_TRUE);
    return PF_OK;
  case T_INT: {
    int64_t i;
    if (!get_svarint(r, &i))
      return fail(r, "bad varint");
    *out = pf_int(i);
    return PF_OK;
  }
  case T_BIGINT: {
    if (r->off >= r->n)
      return fail(r, "truncated input");
    int neg = r->p[r->off++];
    if (neg > 1 || !get_count(r, 1, &n))
      return fail(r, "bad big int header");
    mpz_t z;
    mpz_init(z);
    mpz_import(z, n, -1, 1, -1, 0, r->p + r->off);
    if (neg)
      mpz_neg(z, z);
    r->off += n;
    pf_status_t st = pf_int_from_mpz(z, out, &e);
    mpz_clear(z);
    return st == PF_OK ? PF_OK : from_err(r, &e);
  }
  case T_FLOAT: {
    if (r->n - r->off < 8)
      return fail(r, "truncated float");
    uint64_t u = rd64(r->p + r->off);
    double f;
    memcpy(&f, &u, 8);
    r->off += 8;
    *out = pf_float(f);
    return PF_OK;
  }
  case T_STR:
    if (!get_count(r, 1, &n))
      return fail(r, "bad string length");
    if (pf_str_new((const char *)r->p + r->off, n, out, &e) != PF_OK)
      return from_err(r, &e);
    r->off += n;
    return PF_OK;
  case T_INTS:
  case T_FLOATS: {
    if (!get_count(r, 8, &n))
      return fail(r, "bad packed run length");
    pf_listb lb;
    pf_listb_init(&lb);
    const unsigned char *d = r->p + r->off;
    for (size_t i = 0; i < n; i++) {
      uint64_t u = rd64(d + 8 * i);
      pf_val it;
      if (tag == T_INTS)
        it = pf_int((int64_t)u);
      else {
        double f;
        memcpy(&f, &u, 8);
        it = pf_float(f);
      }
      if (pf_listb_push(&lb, it, &e) != PF_OK) {
        pf_listb_discard(&lb);
        return from_err(r, &e);
      }
    }
    r->off += 8 * n;
    return pf_listb_finish(&lb, false, out, &e) == PF_OK ? PF_OK : from_err(r, &e);
  }
  case T_TUPLE:
  case T_LIST:
  case T_SET:
  case T_FROZENSET: {
    pf_val *items;
    if (!get_count(r, 1, &n))
      return fail(r, "bad item count");
    pf_status_t st = dec_items(r, n, &items, depth);
    if (st != PF_OK)
      return st;
    st = tag == T_TUPLE  ? pf_tuple_new(n, items, out, &e)
         : tag == T_LIST ? pf_list_new(n, items, out, &e)
                         : pf_set_new(n, items, tag == T_FROZENSET, out, &e);
    free(items);
    return st == PF_OK ? PF_OK : from_err(r, &e);
  }
  case T_DICT: {
    pf_val *kv;
    if (!get_count(r, 2, &n))
      return fail(r, "bad entry count");
    pf_status_t st = dec_items(r, 2 * n, &kv, depth);
    if (st != PF_OK)
      return st;
    pf_val *keys = malloc((n ? n : 1) * sizeof *keys), *vals = malloc((n ? n : 1) * sizeof *vals);
    if (!keys || !vals) {
      for (size_t i = 0; i < 2 * n; i++)
        pf_decref(kv[i]);
      free(kv);
      free(keys);
      free(vals);
      return PF_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
      keys[i] = kv[2 * i];
      vals[i] = kv[2 * i + 1];
    }
    free(kv);
    st = pf_dict_new(n, keys, vals, out, &e);
    free(keys);
    free(vals);
    return st == PF_OK ? PF_OK : from_err(r, &e);
  }
  case T_RANGE: {
    int64_t a, s, st;
    if (!get_svarint(r, &a) || !get_svarint(r, &s) || !get_svarint(r, &st))
      return fail(r, "bad range");
    return pf_range_new(a, s, st, out, &e) == PF_OK ? PF_OK : from_err(r, &e);
  }
  default:
    r->off--;
    return fail(r, "unknown tag");
  }
}

pf_status_t pf_bin_decode(const unsigned char *p, size_t n, pf_val *out, char *msg,
                          size_t msg_len) {
  rd r = {p, n, 0, msg, msg_len};
  if (n < 4 || memcmp(p, PF_BIN_MAGIC, 4) != 0)
    return fail(&r, "missing the PFB1 magic");
  r.off = 4;
  pf_status_t st = dec(&r, out, 0);
  if (st != PF_OK)
    return st;
  if (r.off != n) {
    pf_decref(*out);
    return fail(&r, "trailing bytes");
  }
  return PF_OK;
}
