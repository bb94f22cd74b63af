/* dict.c — insertion-ordered, immutable dict/set/frozenset: an entries array plus an
 * open-addressing index of entry numbers. */
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

static void dict_destroy(pf_obj *o) {
  pf_dict *d = (pf_dict *)o;
  for (size_t i = 0; i < d->n; i++) {
    pf_decref(d->keys[i]);
    if (d->vals)
      pf_decref(d->vals[i]);
  }
  free(d->keys);
  free(d->vals);
  free(d->hashes);
  free(d->index);
  free(d);
}

const pf_type pf_type_dict = {.name = "dict", .destroy = dict_destroy};
const pf_type pf_type_set = {.name = "set", .destroy = dict_destroy};
const pf_type pf_type_frozenset = {.name = "frozenset", .destroy = dict_destroy};

/* Probes for "key" with hash "h": returns the slot holding it or the first empty one;
 * *found tells which. */
static size_t probe(const pf_dict *d, pf_val key, int64_t h, bool *found) {
  uint64_t perturb = (uint64_t)h;
  size_t i = (size_t)h & d->mask;
  for (;;) {
    int64_t e = d->index[i];
    if (e < 0) {
      *found = false;
      return i;
    }
    if (d->hashes[e] == h) {
      bool eq = false;
      if (pf_val_eq(d->keys[e], key, &eq, NULL) == PF_OK && eq) {
        *found = true;
        return i;
      }
    }
    perturb >>= 5;
    i = (i * 5 + 1 + (size_t)perturb) & d->mask;
  }
}

static pf_status_t build(const pf_type *t, size_t n, pf_val *keys, pf_val *vals, pf_val *out,
                         pf_err *err) {
  size_t cap = 8;
  while (cap < 2 * n + 2)
    cap *= 2;
  pf_dict *d = pf_vcalloc(1, sizeof *d);
  size_t nn = n ? n : 1;
  if (d) {
    d->keys = pf_vmalloc(nn * sizeof(pf_val));
    d->vals = vals ? pf_vmalloc(nn * sizeof(pf_val)) : NULL;
    d->hashes = pf_vmalloc(nn * sizeof(int64_t));
    d->index = pf_vmalloc(cap * sizeof(int64_t));
  }
  if (!d || !d->keys || (vals && !d->vals) || !d->hashes || !d->index) {
    if (d) {
      free(d->keys);
      free(d->vals);
      free(d->hashes);
      free(d->index);
      free(d);
    }
    for (size_t i = 0; i < n; i++) {
      pf_decref(keys[i]);
      if (vals)
        pf_decref(vals[i]);
    }
    return pf_nomem(err);
  }
  pf_obj_init(&d->h, t);
  d->mask = cap - 1;
  memset(d->index, 0xff, cap * sizeof(int64_t));
  for (size_t i = 0; i < n; i++) {
    int64_t h;
    if (pf_val_hash(keys[i], &h, err) != PF_OK) {
      for (size_t j = i; j < n; j++) {
        pf_decref(keys[j]);
        if (vals)
          pf_decref(vals[j]);
      }
      dict_destroy(&d->h);
      return PF_EPYEXC;
    }
    bool found;
    size_t slot = probe(d, keys[i], h, &found);
    if (found) {
      int64_t e = d->index[slot];
      pf_decref(keys[i]);
      if (vals) {
        pf_decref(d->vals[e]);
        d->vals[e] = vals[i];
      }
      continue;
    }
    d->index[slot] = (int64_t)d->n;
    d->keys[d->n] = keys[i];
    if (vals)
      d->vals[d->n] = vals[i];
    d->hashes[d->n] = h;
    d->n++;
  }
  *out = pf_obj_val(&d->h);
  return PF_OK;
}

pf_status_t pf_dict_new(size_t n, pf_val *keys, pf_val *vals, pf_val *out, pf_err *err) {
  return build(&pf_type_dict, n, keys, vals, out, err);
}

size_t pf_dict_len(pf_val d) { return PF_DICT(d)->n; }

pf_status_t pf_dict_find(pf_val dv, pf_val key, int64_t *pos, pf_err *err) {
  int64_t h;
  if (pf_val_hash(key, &h, err) != PF_OK)
    return PF_EPYEXC;
  pf_dict *d = PF_DICT(dv);
  bool found;
  size_t slot = probe(d, key, h, &found);
  *pos = found ? d->index[slot] : -1;
  return PF_OK;
}

pf_status_t pf_dict_lookup(pf_val d, pf_val key, bool *found, pf_val *val_p, pf_err *err) {
  int64_t pos;
  if (pf_dict_find(d, key, &pos, err) != PF_OK)
    return PF_EPYEXC;
  *found = pos >= 0;
  if (pos >= 0 && val_p)
    *val_p = PF_DICT(d)->vals[pos];
  return PF_OK;
}

void pf_dict_entry(pf_val d, size_t i, pf_val *key_p, pf_val *val_p) {
  if (key_p)
    *key_p = PF_DICT(d)->keys[i];
  if (val_p)
    *val_p = PF_DICT(d)->vals[i];
}

pf_status_t pf_set_new(size_t n, pf_val *items, bool frozen, pf_val *out, pf_err *err) {
  return build(frozen ? &pf_type_frozenset : &pf_type_set, n, items, NULL, out, err);
}

size_t pf_set_len(pf_val s) { return PF_DICT(s)->n; }

pf_status_t pf_set_contains(pf_val s, pf_val item, bool *found, pf_err *err) {
  int64_t pos;
  if (pf_dict_find(s, item, &pos, err) != PF_OK)
    return PF_EPYEXC;
  *found = pos >= 0;
  return PF_OK;
}

pf_val pf_set_item(pf_val s, size_t i) { return PF_DICT(s)->keys[i]; }

pf_status_t pf_set_subset(pf_val a, pf_val b, bool *out, pf_err *err) {
  pf_dict *x = PF_DICT(a);
  if (x->n > PF_DICT(b)->n) {
    *out = false;
    return PF_OK;
  }
  for (size_t i = 0; i < x->n; i++) {
    bool found;
    if (pf_set_contains(b, x->keys[i], &found, err) != PF_OK)
      return PF_EPYEXC;
    if (!found) {
      *out = false;
      return PF_OK;
    }
  }
  *out = true;
  return PF_OK;
}
