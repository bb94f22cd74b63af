/* dict.c — insertion-ordered, persistent dict/set/frozenset: the keys (and values) in
 * insertion order as persistent vectors (list.c), plus a hash array mapped trie (HAMT) from
 * each key's hash to its entry (position, key, value). Adding a key (pf_dict_set,
 * pf_set_add) copies one trie path and one vector path: O(log n); building from n items
 * edits its own fresh trie in place. Entries are never removed (no operation of the
 * language needs it). */
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

#define HBITS 5
#define HMASK ((1u << HBITS) - 1)

typedef struct hslot {
  struct hnode *sub; /* NULL: an entry (hash, pos, key) */
  int64_t hash;
  size_t pos;
  pf_val key; /* a reference to the entry's key (None in sub-node slots) */
  pf_val val; /* a reference to a dict entry's value (None for sets and sub-node slots) */
} hslot;

/* A trie node: slots for the set bits of "bitmap", in bit order; or, at the depth where the
 * hash is used up, a collision node of entries with one and the same hash. */
typedef struct hnode {
  _Atomic int32_t rc;
  uint32_t bitmap;
  uint16_t n;
  uint8_t collision;
  hslot slots[];
} hnode;

typedef struct pf_dict {
  pf_obj h;
  pf_val keys; /* list, insertion order */
  pf_val vals; /* list, or None for sets */
  hnode *root; /* NULL when empty */
} pf_dict;

#define DICT(v) ((pf_dict *)(v).u.o)

static void hnode_decref(hnode *x) {
  if (!x || atomic_fetch_sub_explicit(&x->rc, 1, memory_order_acq_rel) != 1)
    return;
  for (size_t i = 0; i < x->n; i++) {
    hnode_decref(x->slots[i].sub);
    pf_decref(x->slots[i].key);
    pf_decref(x->slots[i].val);
  }
  free(x);
}

static void hnode_incref(hnode *x) { atomic_fetch_add_explicit(&x->rc, 1, memory_order_relaxed); }

static hnode *hnode_alloc(size_t n) {
  hnode *x = pf_vmalloc(sizeof *x + n * sizeof(hslot));
  if (!x)
    return NULL;
  atomic_init(&x->rc, 1);
  x->bitmap = 0;
  x->n = (uint16_t)n;
  x->collision = 0;
  return x;
}

static void dict_destroy(pf_obj *o) {
  pf_dict *d = (pf_dict *)o;
  pf_decref(d->keys);
  pf_decref(d->vals);
  hnode_decref(d->root);
  free(d);
}

const pf_type pf_type_dict = {.name = "dict", .destroy = dict_destroy};
const pf_type pf_type_set = {.name = "set", .destroy = dict_destroy};
const pf_type pf_type_frozenset = {.name = "frozenset", .destroy = dict_destroy};

static bool key_eq(pf_val a, pf_val b) {
  if (a.tag == b.tag && a.u.i == b.u.i)
    return true;
  bool eq = false;
  return pf_val_eq(a, b, &eq, NULL) == PF_OK && eq;
}

/* The entry of "key" (hash "h"), or NULL. */
static const hslot *h_find(const hnode *x, pf_val key, int64_t h) {
  unsigned shift = 0;
  while (x) {
    if (x->collision) {
      for (size_t i = 0; i < x->n; i++)
        if (x->slots[i].hash == h && key_eq(x->slots[i].key, key))
          return &x->slots[i];
      return NULL;
    }
    uint32_t bit = 1u << (((uint64_t)h >> shift) & HMASK);
    if (!(x->bitmap & bit))
      return NULL;
    const hslot *s = &x->slots[__builtin_popcount(x->bitmap & (bit - 1))];
    if (s->sub) {
      x = s->sub;
      shift += HBITS;
      continue;
    }
    return s->hash == h && key_eq(s->key, key) ? s : NULL;
  }
  return NULL;
}

static void slot_release(hslot e) {
  pf_decref(e.key);
  pf_decref(e.val);
}

/* Copy of the path of "x" (borrowed) to the entry at position "pos" (hash "h"), with that
 * entry's value replaced by "v" (borrowed); NULL on OOM. */
static hnode *h_setval(const hnode *x, unsigned shift, int64_t h, size_t pos, pf_val v);

/* A node at "shift" holding entries "a" and "b" (different positions; their key references
 * are taken on success); NULL on OOM (nothing taken). */
static hnode *h_pair(unsigned shift, hslot a, hslot b) {
  if (shift >= 64) {
    hnode *x = hnode_alloc(2);
    if (!x)
      return NULL;
    x->collision = 1;
    x->slots[0] = a;
    x->slots[1] = b;
    return x;
  }
  unsigned ia = ((uint64_t)a.hash >> shift) & HMASK, ib = ((uint64_t)b.hash >> shift) & HMASK;
  if (ia == ib) {
    hnode *x = hnode_alloc(1);
    hnode *sub = x ? h_pair(shift + HBITS, a, b) : NULL;
    if (!sub) {
      free(x);
      return NULL;
    }
    x->bitmap = 1u << ia;
    x->slots[0] = (hslot){sub, 0, 0, pf_none(), pf_none()};
    return x;
  }
  hnode *x = hnode_alloc(2);
  if (!x)
    return NULL;
  x->bitmap = (1u << ia) | (1u << ib);
  x->slots[ia < ib ? 0 : 1] = a;
  x->slots[ia < ib ? 1 : 0] = b;
  return x;
}

/* Copy of "x" with room for "extra" more slots (references to subs taken anew). */
static hnode *h_copy(const hnode *x, size_t extra) {
  hnode *c = hnode_alloc(x->n + extra);
  if (!c)
    return NULL;
  c->bitmap = x->bitmap;
  c->collision = x->collision;
  c->n = x->n;
  memcpy(c->slots, x->slots, x->n * sizeof(hslot));
  for (size_t i = 0; i < x->n; i++) {
    if (c->slots[i].sub)
      hnode_incref(c->slots[i].sub);
    pf_incref(c->slots[i].key);
    pf_incref(c->slots[i].val);
  }
  return c;
}

static hnode *h_setval(const hnode *x, unsigned shift, int64_t h, size_t pos, pf_val v) {
  hnode *c = h_copy(x, 0);
  if (!c)
    return NULL;
  hslot *s = NULL;
  if (c->collision) {
    for (size_t i = 0; i < c->n; i++)
      if (c->slots[i].pos == pos && !c->slots[i].sub)
        s = &c->slots[i];
  } else {
    uint32_t bit = 1u << (((uint64_t)h >> shift) & HMASK);
    s = &c->slots[__builtin_popcount(c->bitmap & (bit - 1))];
  }
  if (s->sub) {
    hnode *sub = h_setval(s->sub, shift + HBITS, h, pos, v);
    if (!sub) {
      hnode_decref(c);
      return NULL;
    }
    hnode_decref(s->sub);
    s->sub = sub;
  } else {
    pf_decref(s->val);
    s->val = pf_incref(v);
  }
  return c;
}

/* Trie "x" (reference taken; may be NULL) with entry "e" (its key and value references
 * taken) added, its key being absent: the path to it is copied. NULL on OOM (then "x" and
 * e's references are released). */
static hnode *h_insert(hnode *x, unsigned shift, hslot e) {
  if (!x) {
    hnode *r = hnode_alloc(1);
    if (!r) {
      slot_release(e);
      return NULL;
    }
    if (shift >= 64) {
      r->collision = 1;
    } else {
      r->bitmap = 1u << (((uint64_t)e.hash >> shift) & HMASK);
    }
    r->slots[0] = e;
    return r;
  }
  size_t k;
  bool fresh;
  if (x->collision) {
    k = x->n;
    fresh = true;
  } else {
    uint32_t bit = 1u << (((uint64_t)e.hash >> shift) & HMASK);
    k = (size_t)__builtin_popcount(x->bitmap & (bit - 1));
    fresh = !(x->bitmap & bit);
  }
  hnode *c;
  if (fresh) {
    c = h_copy(x, 1);
    hnode_decref(x);
    if (!c) {
      slot_release(e);
      return NULL;
    }
    memmove(&c->slots[k + 1], &c->slots[k], (c->n - k) * sizeof(hslot));
    c->slots[k] = e;
    c->n++;
    if (!c->collision)
      c->bitmap |= 1u << (((uint64_t)e.hash >> shift) & HMASK);
    return c;
  }
  c = h_copy(x, 0);
  hnode_decref(x);
  if (!c) {
    slot_release(e);
    return NULL;
  }
  hslot *s = &c->slots[k];
  hnode *sub;
  if (s->sub) {
    sub = h_insert(s->sub, shift + HBITS, e);
    if (!sub)
      s->sub = NULL; /* released by h_insert; the slot is left an empty entry */
  } else {
    sub = h_pair(shift + HBITS, *s, e); /* takes the slot's key reference and e's */
    if (!sub)
      slot_release(e);
  }
  if (!sub) {
    hnode_decref(c);
    return NULL;
  }
  *s = (hslot){sub, 0, 0, pf_none(), pf_none()};
  return c;
}

/* While building (every node of *xp is this build's own): the entry equal to e's key in
 * *xp, returned in *found without taking "e" (1); or "e" inserted, its references taken
 * (0); or -1 when out of memory ("e" not taken, the trie still valid). */
static int h_upsert_own(hnode **xp, unsigned shift, hslot e, hslot **found) {
  hnode *x = *xp;
  if (!x) {
    hnode *r = hnode_alloc(1);
    if (!r)
      return -1;
    if (shift >= 64)
      r->collision = 1;
    else
      r->bitmap = 1u << (((uint64_t)e.hash >> shift) & HMASK);
    r->slots[0] = e;
    *xp = r;
    return 0;
  }
  size_t k;
  if (x->collision) {
    for (size_t i = 0; i < x->n; i++)
      if (x->slots[i].hash == e.hash && key_eq(x->slots[i].key, e.key)) {
        *found = &x->slots[i];
        return 1;
      }
    k = x->n;
  } else {
    uint32_t bit = 1u << (((uint64_t)e.hash >> shift) & HMASK);
    k = (size_t)__builtin_popcount(x->bitmap & (bit - 1));
    if (x->bitmap & bit) {
      hslot *s = &x->slots[k];
      if (s->sub)
        return h_upsert_own(&s->sub, shift + HBITS, e, found);
      if (s->hash == e.hash && key_eq(s->key, e.key)) {
        *found = s;
        return 1;
      }
      hnode *sub = h_pair(shift + HBITS, *s, e);
      if (!sub)
        return -1;
      *s = (hslot){sub, 0, 0, pf_none(), pf_none()};
      return 0;
    }
  }
  /* nodes made while building have room for a power of two of slots */
  hnode *c = x;
  if ((x->n & (x->n - 1u)) == 0 && !(c = pf_vrealloc(x, sizeof *x + 2u * x->n * sizeof(hslot))))
    return -1;
  memmove(&c->slots[k + 1], &c->slots[k], (c->n - k) * sizeof(hslot));
  c->slots[k] = e;
  c->n++;
  if (!c->collision)
    c->bitmap |= 1u << (((uint64_t)e.hash >> shift) & HMASK);
  *xp = c;
  return 0;
}

/* Calls "f" on every entry's hash, XOR-ing the results (order-independent). */
static uint64_t h_xor(const hnode *x, uint64_t (*f)(uint64_t)) {
  uint64_t r = 0;
  for (size_t i = 0; x && i < x->n; i++)
    r ^= x->slots[i].sub ? h_xor(x->slots[i].sub, f) : f((uint64_t)x->slots[i].hash);
  return r;
}

/* ---------------------------------------------------------------- building */

static pf_status_t dict_wrap(const pf_type *t, pf_val keys, pf_val vals, hnode *root, pf_val *out,
                             pf_err *err) {
  pf_dict *d = pf_vmalloc(sizeof *d);
  if (!d) {
    pf_decref(keys);
    pf_decref(vals);
    hnode_decref(root);
    return pf_nomem(err);
  }
  pf_obj_init(&d->h, t);
  d->keys = keys;
  d->vals = vals;
  d->root = root;
  *out = pf_obj_val(&d->h);
  return PF_OK;
}

static pf_status_t build(const pf_type *t, size_t n, pf_val *keys, pf_val *vals, pf_val *out,
                         pf_err *err) {
  size_t m = 0; /* distinct keys, compacted to the front of keys/vals */
  hnode *root = NULL;
  pf_status_t st = PF_OK;
  size_t i = 0;
  for (; i < n; i++) {
    int64_t h;
    if ((st = pf_val_hash(keys[i], &h, err)) != PF_OK)
      break;
    hslot e = {NULL, h, m, keys[i], vals ? vals[i] : pf_none()}, *found = NULL;
    int r = h_upsert_own(&root, 0, e, &found);
    if (r < 0) {
      st = pf_nomem(err);
      break;
    }
    if (r > 0) { /* a duplicate: first position, last value */
      pf_decref(keys[i]);
      if (vals) {
        pf_decref(vals[found->pos]);
        vals[found->pos] = vals[i];
        pf_decref(found->val);
        found->val = pf_incref(vals[i]);
      }
      continue;
    }
    pf_incref(keys[i]);
    if (vals)
      pf_incref(vals[i]);
    keys[m] = keys[i];
    if (vals)
      vals[m] = vals[i];
    m++;
  }
  if (st != PF_OK) {
    for (size_t j = 0; j < m; j++) {
      pf_decref(keys[j]);
      if (vals)
        pf_decref(vals[j]);
    }
    for (size_t j = i; j < n; j++) {
      pf_decref(keys[j]);
      if (vals)
        pf_decref(vals[j]);
    }
    hnode_decref(root);
    return st;
  }
  pf_val kl = pf_none(), vl = pf_none();
  if (pf_list_new(m, keys, &kl, err) != PF_OK) {
    if (vals)
      for (size_t j = 0; j < m; j++)
        pf_decref(vals[j]);
    hnode_decref(root);
    return PF_EPYEXC;
  }
  if (t == &pf_type_dict && pf_list_new(m, vals, &vl, err) != PF_OK) {
    pf_decref(kl);
    hnode_decref(root);
    return PF_EPYEXC;
  }
  return dict_wrap(t, kl, vl, root, out, err);
}

/* Returns new dict of the pairs keys[i] → vals[i]; takes all references (released on
 * error too). TypeError for an unhashable key. */
pf_status_t pf_dict_new(size_t n, pf_val *keys, pf_val *vals, pf_val *out, pf_err *err) {
  return build(&pf_type_dict, n, keys, vals, out, err);
}

/* Returns new set or frozenset of "items" (references taken); TypeError when unhashable. */
pf_status_t pf_set_new(size_t n, pf_val *items, bool frozen, pf_val *out, pf_err *err) {
  return build(frozen ? &pf_type_frozenset : &pf_type_set, n, items, NULL, out, err);
}

/* ---------------------------------------------------------------- queries */

size_t pf_dict_len(pf_val d) { return pf_list_len(DICT(d)->keys); }
/* Number of items of set/frozenset "s" (also of a dict: its keys). */
size_t pf_set_len(pf_val s) { return pf_list_len(DICT(s)->keys); }

/* Position of "key" (borrowed) in "dv"'s insertion order, or -1; TypeError when
 * unhashable. */
pf_status_t pf_dict_find(pf_val dv, pf_val key, int64_t *pos, pf_err *err) {
  int64_t h;
  if (pf_val_hash(key, &h, err) != PF_OK)
    return PF_EPYEXC;
  const hslot *s = h_find(DICT(dv)->root, key, h);
  *pos = s ? (int64_t)s->pos : -1;
  return PF_OK;
}

/* Looks "key" up in "d"; *val_p borrowed. TypeError when unhashable. */
pf_status_t pf_dict_lookup(pf_val d, pf_val key, bool *found, pf_val *val_p, pf_err *err) {
  int64_t h;
  if (pf_val_hash(key, &h, err) != PF_OK)
    return PF_EPYEXC;
  const hslot *s = h_find(DICT(d)->root, key, h);
  *found = s != NULL;
  if (s && val_p)
    *val_p = s->val;
  return PF_OK;
}

/* Borrows: key and value of the i-th entry (< len) of "d". */
void pf_dict_entry(pf_val d, size_t i, pf_val *key_p, pf_val *val_p) {
  if (key_p)
    *key_p = pf_list_get(DICT(d)->keys, i);
  if (val_p)
    *val_p = pf_list_get(DICT(d)->vals, i);
}

/* Borrows: the keys of "d" as a list in insertion order. */
pf_val pf_dict_keys(pf_val d) { return DICT(d)->keys; }
/* Borrows: the values of "d" as a list in insertion order. */
pf_val pf_dict_values(pf_val d) { return DICT(d)->vals; }
/* Borrows: the items of "s" as a list in insertion order. */
pf_val pf_set_items(pf_val s) { return DICT(s)->keys; }

/* Whether "item" (borrowed) is in "s"; TypeError when unhashable. */
pf_status_t pf_set_contains(pf_val s, pf_val item, bool *found, pf_err *err) {
  int64_t pos;
  if (pf_dict_find(s, item, &pos, err) != PF_OK)
    return PF_EPYEXC;
  *found = pos >= 0;
  return PF_OK;
}

/* Borrows: the i-th item (< len) of "s". */
pf_val pf_set_item(pf_val s, size_t i) { return pf_list_get(DICT(s)->keys, i); }

/* Whether every item of set "a" is in set "b" (both borrowed). */
pf_status_t pf_set_subset(pf_val a, pf_val b, bool *out, pf_err *err) {
  if (pf_set_len(a) > pf_set_len(b)) {
    *out = false;
    return PF_OK;
  }
  pf_list_iter it;
  pf_val x;
  pf_list_iter_init(&it, DICT(a)->keys, 0);
  while (pf_list_iter_next(&it, &x)) {
    bool found;
    if (pf_set_contains(b, x, &found, err) != PF_OK)
      return PF_EPYEXC;
    if (!found) {
      *out = false;
      return PF_OK;
    }
  }
  *out = true;
  return PF_OK;
}

/* XOR of f(hash) over the items of "s" (borrowed). */
uint64_t pf_set_xor_hashes(pf_val s, uint64_t (*f)(uint64_t)) { return h_xor(DICT(s)->root, f); }

/* ---------------------------------------------------------------- persistent additions */

/* Returns new dict "d" with "key" → "val" (all borrowed): first position kept for a key
 * already there; TypeError when unhashable; MemoryError. */
pf_status_t pf_dict_set(pf_val d, pf_val key, pf_val val, pf_val *out, pf_err *err) {
  int64_t h;
  if (pf_val_hash(key, &h, err) != PF_OK)
    return PF_EPYEXC;
  pf_dict *x = DICT(d);
  const hslot *s = h_find(x->root, key, h);
  pf_val kl, vl;
  hnode *root = x->root;
  if (s) {
    if (pf_list_set_item(x->vals, s->pos, val, &vl, err) != PF_OK)
      return PF_EPYEXC;
    if (!(root = h_setval(root, 0, h, s->pos, val))) {
      pf_decref(vl);
      return pf_nomem(err);
    }
    kl = pf_incref(x->keys);
  } else {
    if (pf_list_append(x->keys, key, &kl, err) != PF_OK)
      return PF_EPYEXC;
    if (pf_list_append(x->vals, val, &vl, err) != PF_OK) {
      pf_decref(kl);
      return PF_EPYEXC;
    }
    if (root)
      hnode_incref(root);
    hslot e = {NULL, h, pf_list_len(x->keys), pf_incref(key), pf_incref(val)};
    root = h_insert(root, 0, e);
    if (!root) {
      pf_decref(kl);
      pf_decref(vl);
      return pf_nomem(err);
    }
  }
  return dict_wrap(x->h.type, kl, vl, root, out, err);
}

/* Returns new set (same type as "s") with "item" added (borrowed), or "s" itself when
 * the item is there; TypeError when unhashable; MemoryError. */
/* Returns new set (same type as "s") with "item" added (borrowed), or "s" itself when
 * the item is there; TypeError when unhashable; MemoryError. */
pf_status_t pf_set_add(pf_val s, pf_val item, pf_val *out, pf_err *err) {
  int64_t h;
  if (pf_val_hash(item, &h, err) != PF_OK)
    return PF_EPYEXC;
  pf_dict *x = DICT(s);
  if (h_find(x->root, item, h)) {
    *out = pf_incref(s);
    return PF_OK;
  }
  pf_val kl;
  if (pf_list_append(x->keys, item, &kl, err) != PF_OK)
    return PF_EPYEXC;
  hnode *root = x->root;
  if (root)
    hnode_incref(root);
  hslot e = {NULL, h, pf_list_len(x->keys), pf_incref(item), pf_none()};
  root = h_insert(root, 0, e);
  if (!root) {
    pf_decref(kl);
    return pf_nomem(err);
  }
  return dict_wrap(x->h.type, kl, pf_none(), root, out, err);
}
