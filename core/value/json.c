/* json.c — the value wire encoding of docs/ir.md ("Values"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

#define PF_JSON_MAX_DEPTH 512

static pf_status_t bad(const json_t *j, const char *what, pf_err *err) {
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  pf_status_t st = pf_raise(err, PF_EXC_ValueError, "invalid value encoding (%s): %.160s", what,
                            s ? s : "?");
  free(s);
  return st;
}

static pf_status_t decode(const json_t *j, pf_ref_resolver resolve, void *ctx, int depth,
                          pf_val *out, pf_err *err);

/* Decodes the JSON array "a" into a freshly malloc'ed array of new values. */
static pf_status_t decode_array(const json_t *a, pf_ref_resolver resolve, void *ctx, int depth,
                                pf_val **items_p, size_t *n_p, pf_err *err) {
  size_t n = json_array_size(a);
  pf_val *items = pf_xmalloc((n ? n : 1) * sizeof *items, err);
  if (!items)
    return PF_EPYEXC;
  for (size_t i = 0; i < n; i++) {
    if (decode(json_array_get(a, i), resolve, ctx, depth + 1, &items[i], err) != PF_OK) {
      for (size_t k = 0; k < i; k++)
        pf_decref(items[k]);
      free(items);
      return PF_EPYEXC;
    }
  }
  *items_p = items;
  *n_p = n;
  return PF_OK;
}

static pf_status_t decode_bigint(const json_t *j, const json_t *x, pf_val *out, pf_err *err) {
  if (!json_is_string(x))
    return bad(j, "\"int\" wants a hex string", err);
  const char *s = json_string_value(x);
  size_t n = json_string_length(x);
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == n)
    return bad(j, "empty hex digits", err);
  for (size_t k = i; k < n; k++)
    if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
      return bad(j, "bad hex digit", err);
  if ((uint64_t)(n - i) * 4 > PF_INT_MAX_BITS)
    return pf_raise(err, PF_EXC_MemoryError, "%s", "");
  mpz_t z;
  mpz_init(z);
  mpz_set_str(z, s + i, 16);
  if (i)
    mpz_neg(z, z);
  return pf_int_from_mpz_take(z, out, err);
}

static pf_status_t decode_object(const json_t *j, pf_ref_resolver resolve, void *ctx, int depth,
                                 pf_val *out, pf_err *err) {
  if (json_object_size(j) != 1)
    return bad(j, "an encoded value has exactly one key", err);
  void *it = json_object_iter((json_t *)j);
  const char *key = json_object_iter_key(it);
  const json_t *x = json_object_iter_value(it);
  pf_val *items;
  size_t n;
  pf_status_t st;
  if (strcmp(key, "int") == 0)
    return decode_bigint(j, x, out, err);
  if (strcmp(key, "float") == 0) {
    const char *s = json_string_value(x);
    if (!s)
      return bad(j, "\"float\" wants a string", err);
    if (strcmp(s, "nan") == 0)
      *out = pf_float(NAN);
    else if (strcmp(s, "inf") == 0)
      *out = pf_float(INFINITY);
    else if (strcmp(s, "-inf") == 0)
      *out = pf_float(-INFINITY);
    else
      return bad(j, "\"float\" is nan, inf or -inf", err);
    return PF_OK;
  }
  if (strcmp(key, "ref") == 0) {
    if (!json_is_string(x))
      return bad(j, "\"ref\" wants a string", err);
    if (!resolve)
      return bad(j, "a reference is not allowed here", err);
    return resolve(ctx, json_string_value(x), out, err);
  }
  if (strcmp(key, "range") == 0) {
    if (!json_is_array(x) || json_array_size(x) != 3 || !json_is_integer(json_array_get(x, 0)) ||
        !json_is_integer(json_array_get(x, 1)) || !json_is_integer(json_array_get(x, 2)))
      return bad(j, "\"range\" wants [start, stop, step] integers", err);
    st = pf_range_new(json_integer_value(json_array_get(x, 0)),
                      json_integer_value(json_array_get(x, 1)),
                      json_integer_value(json_array_get(x, 2)), out, err);
    if (st != PF_OK && err && err->kind != PF_EXC_MemoryError)
      return bad(j, err->msg, err);
    return st;
  }
  bool is_tuple = strcmp(key, "tuple") == 0, is_list = strcmp(key, "list") == 0;
  bool is_set = strcmp(key, "set") == 0, is_fset = strcmp(key, "frozenset") == 0;
  if (is_tuple || is_list || is_set || is_fset) {
    if (!json_is_array(x))
      return bad(j, "wants an array", err);
    if (decode_array(x, resolve, ctx, depth, &items, &n, err) != PF_OK)
      return PF_EPYEXC;
    if (is_tuple)
      st = pf_tuple_new(n, items, out, err);
    else if (is_list)
      st = pf_list_new(n, items, out, err);
    else
      st = pf_set_new(n, items, is_fset, out, err);
    free(items);
    return st;
  }
  if (strcmp(key, "dict") == 0) {
    if (!json_is_array(x))
      return bad(j, "\"dict\" wants an array of pairs", err);
    n = json_array_size(x);
    for (size_t i = 0; i < n; i++) {
      const json_t *p = json_array_get(x, i);
      if (!json_is_array(p) || json_array_size(p) != 2)
        return bad(j, "\"dict\" wants an array of [key, value] pairs", err);
    }
    pf_val *keys = pf_xmalloc((n ? n : 1) * sizeof *keys, err);
    pf_val *vals = keys ? pf_xmalloc((n ? n : 1) * sizeof *vals, err) : NULL;
    if (!vals) {
      free(keys);
      return PF_EPYEXC;
    }
    size_t i;
    st = PF_OK;
    for (i = 0; i < n; i++) {
      const json_t *p = json_array_get(x, i);
      if (decode(json_array_get(p, 0), resolve, ctx, depth + 1, &keys[i], err) != PF_OK) {
        st = PF_EPYEXC;
        break;
      }
      if (decode(json_array_get(p, 1), resolve, ctx, depth + 1, &vals[i], err) != PF_OK) {
        pf_decref(keys[i]);
        st = PF_EPYEXC;
        break;
      }
    }
    if (st == PF_OK) {
      st = pf_dict_new(n, keys, vals, out, err);
    } else {
      for (size_t k = 0; k < i; k++) {
        pf_decref(keys[k]);
        pf_decref(vals[k]);
      }
    }
    free(keys);
    free(vals);
    return st;
  }
  return bad(j, "unknown key", err);
}

static pf_status_t decode(const json_t *j, pf_ref_resolver resolve, void *ctx, int depth,
                          pf_val *out, pf_err *err) {
  if (!j)
    return pf_raise(err, PF_EXC_ValueError, "invalid value encoding: missing value");
  if (depth > PF_JSON_MAX_DEPTH)
    return pf_raise(err, PF_EXC_ValueError, "invalid value encoding: nested too deeply");
  switch (json_typeof(j)) {
  case JSON_NULL:
    *out = pf_none();
    return PF_OK;
  case JSON_TRUE:
    *out = pf_bool(true);
    return PF_OK;
  case JSON_FALSE:
    *out = pf_bool(false);
    return PF_OK;
  case JSON_INTEGER:
    *out = pf_int((int64_t)json_integer_value(j));
    return PF_OK;
  case JSON_REAL:
    if (!isfinite(json_real_value(j)))
      return bad(j, "non-finite number", err);
    *out = pf_float(json_real_value(j));
    return PF_OK;
  case JSON_STRING:
    if (pf_str_new(json_string_value(j), json_string_length(j), out, err) != PF_OK)
      return err && err->kind == PF_EXC_MemoryError ? PF_EPYEXC : bad(j, "invalid Unicode", err);
    return PF_OK;
  case JSON_ARRAY:
    return bad(j, "a bare array is not a value (use {\"list\": ...})", err);
  case JSON_OBJECT:
    return decode_object(j, resolve, ctx, depth, out, err);
  }
  return bad(j, "unknown JSON type", err);
}

pf_status_t pf_val_from_json(const json_t *j, pf_ref_resolver resolve, void *ctx, pf_val *out,
                             pf_err *err) {
  return decode(j, resolve, ctx, 0, out, err);
}

/* ---------------------------------------------------------------- encoding */

static pf_status_t oom(json_t *j, pf_err *err) {
  json_decref(j);
  return pf_nomem(err);
}

/* Wraps "inner" (taken) as {"key": inner}. */
static pf_status_t wrap(const char *key, json_t *inner, json_t **out, pf_err *err) {
  json_t *o = inner ? json_object() : NULL;
  if (!o || json_object_set_new(o, key, inner) != 0) {
    json_decref(inner);
    return oom(o, err);
  }
  *out = o;
  return PF_OK;
}

static pf_status_t encode_items(const pf_val *items, size_t n, json_t **out, pf_err *err) {
  json_t *a = json_array();
  if (!a)
    return pf_nomem(err);
  for (size_t i = 0; i < n; i++) {
    json_t *x;
    if (pf_val_to_json(items[i], &x, err) != PF_OK) {
      json_decref(a);
      return PF_EPYEXC;
    }
    if (json_array_append_new(a, x) != 0)
      return oom(a, err);
  }
  *out = a;
  return PF_OK;
}

/* Encodes the items of list "l" as a new JSON array, chunk by chunk. */
static pf_status_t encode_list(pf_val l, json_t **out, pf_err *err) {
  json_t *arr = json_array();
  if (!arr)
    return pf_nomem(err);
  size_t n = pf_list_len(l);
  for (size_t i = 0; i < n;) {
    size_t avail;
    const pf_val *chunk = pf_list_chunk(l, i, &avail);
    json_t *part;
    if (encode_items(chunk, avail, &part, err) != PF_OK) {
      json_decref(arr);
      return PF_EPYEXC;
    }
    if (json_array_extend(arr, part) != 0) {
      json_decref(part);
      return oom(arr, err);
    }
    json_decref(part);
    i += avail;
  }
  *out = arr;
  return PF_OK;
}

pf_status_t pf_val_to_json(pf_val v, json_t **out, pf_err *err) {
  json_t *j = NULL;
  switch ((pf_tag)v.tag) {
  case PF_NONE:
  case PF_UNBOUND:
    j = json_null();
    break;
  case PF_BOOL:
    j = json_boolean(v.u.i);
    break;
  case PF_INT:
    j = json_integer((json_int_t)v.u.i);
    break;
  case PF_FLOAT:
    if (isnan(v.u.f))
      return wrap("float", json_string("nan"), out, err);
    if (isinf(v.u.f))
      return wrap("float", json_string(v.u.f > 0 ? "inf" : "-inf"), out, err);
    j = json_real(v.u.f);
    break;
  case PF_OBJ:
    break;
  }
  if (v.tag != PF_OBJ) {
    if (!j)
      return pf_nomem(err);
    *out = j;
    return PF_OK;
  }
  const pf_type *t = v.u.o->type;
  json_t *inner;
  if (t == &pf_type_bigint) {
    pf_sb b;
    pf_sb_init(&b);
    pf_sb_put_int(&b, v, 16);
    if (b.oom) {
      pf_sb_free(&b);
      return pf_nomem(err);
    }
    inner = json_stringn(b.p, b.n);
    pf_sb_free(&b);
    return wrap("int", inner, out, err);
  }
  if (t == &pf_type_str) {
    size_t n;
    const char *s = pf_str_utf8(v, &n);
    j = json_stringn(s, n);
    if (!j)
      return pf_nomem(err);
    *out = j;
    return PF_OK;
  }
  if (t == &pf_type_list) {
    if (encode_list(v, &inner, err) != PF_OK)
      return PF_EPYEXC;
    return wrap(t->name, inner, out, err);
  }
  if (t == &pf_type_tuple) {
    if (encode_items(PF_SEQ(v)->items, PF_SEQ(v)->n, &inner, err) != PF_OK)
      return PF_EPYEXC;
    return wrap(t->name, inner, out, err);
  }
  if (t == &pf_type_set || t == &pf_type_frozenset) {
    if (encode_list(pf_set_items(v), &inner, err) != PF_OK)
      return PF_EPYEXC;
    return wrap(t == &pf_type_set ? "set" : "frozenset", inner, out, err);
  }
  if (t == &pf_type_range) {
    pf_range *r = PF_RANGE(v);
    inner = json_pack("[III]", (json_int_t)r->start, (json_int_t)r->stop, (json_int_t)r->step);
    return wrap("range", inner, out, err);
  }
  if (t == &pf_type_dict) {
    json_t *a = json_array();
    if (!a)
      return pf_nomem(err);
    pf_list_iter ik, iv;
    pf_val kv, vv;
    pf_list_iter_init(&ik, pf_dict_keys(v), 0);
    pf_list_iter_init(&iv, pf_dict_values(v), 0);
    while (pf_list_iter_next(&ik, &kv) && pf_list_iter_next(&iv, &vv)) {
      json_t *k, *x;
      if (pf_val_to_json(kv, &k, err) != PF_OK) {
        json_decref(a);
        return PF_EPYEXC;
      }
      if (pf_val_to_json(vv, &x, err) != PF_OK) {
        json_decref(k);
        json_decref(a);
        return PF_EPYEXC;
      }
      json_t *p = json_array();
      if (!p || json_array_append_new(p, k) || json_array_append_new(p, x) ||
          json_array_append_new(a, p))
        return oom(a, err);
    }
    return wrap("dict", a, out, err);
  }
  if (t->to_json)
    return t->to_json(v.u.o, out, err);
  return wrap("unconvertible", json_string(t->name), out, err);
}
