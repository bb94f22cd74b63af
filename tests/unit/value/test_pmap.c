/* test_pmap.c — the persistent hash maps behind dict, set and frozenset: randomised
 * pf_dict_set / pf_set_add / pf_dict_new sequences checked against a plain-array model
 * (insertion order, first position kept, last value wins, equal keys of different types,
 * full 64-bit hash collisions), persistence of every older version, sizes around the trie's
 * fan-out, and allocation failures. Python's own dict/set results are checked against
 * CPython by the generated cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv.h"

/* Key pool: each key has an equality class (keys of one class are == in Python). */
#define POOL 400
static pf_val pool[POOL];
static int pool_class[POOL];
static size_t npool;

static void pool_add(pf_val k, int cls) {
  pool[npool] = k;
  pool_class[npool] = cls;
  npool++;
}

static void pool_init(void) {
  pf_err err;
  npool = 0;
  for (int i = 0; i < 300; i++)
    pool_add(pf_int(i), i);   /* classes 0..299 */
  pool_add(pf_int(-1), 1000); /* hash(-1) == hash(-2) == -2 in CPython */
  pool_add(pf_int(-2), 1001);
  for (int k = 0; k < 10; k++) { /* 2**61 - 1 + k: same 64-bit hash as k, not equal to it */
    pf_val big, m;
    CU_ASSERT_EQUAL_FATAL(pf_int_parse("2305843009213693951", 19, 10, &m, &err), PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, m, pf_int(k), &big, &err), PF_OK);
    pf_decref(m);
    pool_add(big, 2000 + k);
  }
  for (int k = 0; k < 10; k++)
    pool_add(pf_float(k), k); /* 3.0 == 3 */
  pool_add(pf_bool(true), 1); /* True == 1 */
  for (int k = 0; k < 60; k++) {
    char buf[16];
    snprintf(buf, sizeof buf, "s%d", k);
    pf_val s;
    CU_ASSERT_EQUAL_FATAL(pf_str_from_cstr(buf, &s, &err), PF_OK);
    pool_add(s, 3000 + k);
  }
}

static void pool_free(void) {
  for (size_t i = 0; i < npool; i++)
    pf_decref(pool[i]);
}

/* Model: entries in insertion order: the pool index of the key kept, and the value. */
typedef struct mmap {
  int key[POOL];
  int64_t val[POOL];
  size_t n;
} mmap;

static int m_find(const mmap *m, int k) {
  for (size_t i = 0; i < m->n; i++)
    if (pool_class[m->key[i]] == pool_class[k])
      return (int)i;
  return -1;
}

static void m_set(mmap *m, int k, int64_t v) {
  int i = m_find(m, k);
  if (i >= 0) {
    m->val[i] = v;
    return;
  }
  m->key[m->n] = k;
  m->val[m->n] = v;
  m->n++;
}

/* Values: the int "i", or for odd "i" the heap object (i,) so that reference counting of
 * values is exercised (ASan). Returns new. */
static pf_val make_val(int64_t i) {
  if (i % 2 == 0)
    return pf_int(i);
  pf_val t = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(pf_tuple_new(1, (pf_val[]){pf_int(i)}, &t, &err), PF_OK);
  return t;
}

/* The int a value made by make_val stands for (-1 for anything else). */
static int64_t val_of(pf_val v) {
  if (v.tag == PF_INT)
    return v.u.i;
  if (pf_is_type(v, &pf_type_tuple) && pf_tuple_len(v) == 1)
    return pf_tuple_get(v, 0).u.i;
  return -1;
}

/* Checks "d" (dict when "is_dict", else set) against "m"; false on a difference. */
static bool same(pf_val d, const mmap *m, bool is_dict) {
  pf_err err;
  if ((is_dict ? pf_dict_len(d) : pf_set_len(d)) != m->n)
    return false;
  pf_list_iter it;
  pf_val x;
  size_t i = 0;
  pf_list_iter_init(&it, is_dict ? pf_dict_keys(d) : pf_set_items(d), 0);
  while (pf_list_iter_next(&it, &x)) { /* the very key objects, in order */
    if (i >= m->n || memcmp(&x, &pool[m->key[i]], sizeof x) != 0)
      return false;
    i++;
  }
  for (size_t k = 0; k < npool; k++) {
    int at = m_find(m, (int)k);
    bool found;
    pf_val v = pf_none();
    if (is_dict) {
      if (pf_dict_lookup(d, pool[k], &found, &v, &err) != PF_OK)
        return false;
    } else if (pf_set_contains(d, pool[k], &found, &err) != PF_OK) {
      return false;
    }
    if (found != (at >= 0))
      return false;
    if (is_dict && found && val_of(v) != m->val[at])
      return false;
  }
  if (is_dict)
    for (size_t k = 0; k < m->n; k++) {
      pf_val kk, vv;
      pf_dict_entry(d, k, &kk, &vv);
      if (val_of(vv) != m->val[k] || memcmp(&kk, &pool[m->key[k]], sizeof kk) != 0)
        return false;
    }
  return true;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

#define NV 6

static void run_random(bool is_dict) {
  pool_init();
  pf_err err;
  pf_val vs[NV];
  mmap *ms = calloc(NV, sizeof *ms);
  for (int s = 0; s < NV; s++)
    CU_ASSERT_EQUAL_FATAL(is_dict ? pf_dict_new(0, NULL, NULL, &vs[s], &err)
                                  : pf_set_new(0, NULL, s & 1, &vs[s], &err),
                          PF_OK);
  size_t bad = 0, maxn = 0;
  int64_t next = 0;
  for (int step = 0; step < 3000; step++) {
    int src = (int)(rnd() % NV), dst = (int)(rnd() % NV);
    mmap m = ms[src];
    pf_val r;
    if (rnd() % 10 == 0) { /* rebuild from arrays, with duplicates, via pf_dict_new/pf_set_new */
      size_t n = (size_t)(rnd() % 300);
      pf_val *keys = malloc((n + 1) * sizeof *keys), *vals = malloc((n + 1) * sizeof *vals);
      m.n = 0;
      for (size_t i = 0; i < n; i++) {
        int k = (int)(rnd() % npool);
        keys[i] = pf_incref(pool[k]);
        vals[i] = is_dict ? make_val(next) : pf_none();
        m_set(&m, k, next++);
      }
      CU_ASSERT_EQUAL_FATAL(
          is_dict ? pf_dict_new(n, keys, vals, &r, &err)
                  : pf_set_new(n, keys, pf_is_type(vs[src], &pf_type_frozenset), &r, &err),
          PF_OK);
      if (!is_dict)
        for (size_t i = 0; i < m.n; i++)
          m.val[i] = 0;
      free(keys);
      free(vals);
    } else {
      int k = (int)(rnd() % npool);
      if (is_dict) {
        m_set(&m, k, next);
        pf_val nv = make_val(next);
        CU_ASSERT_EQUAL_FATAL(pf_dict_set(vs[src], pool[k], nv, &r, &err), PF_OK);
        pf_decref(nv);
        next++;
      } else {
        m_set(&m, k, 0);
        CU_ASSERT_EQUAL_FATAL(pf_set_add(vs[src], pool[k], &r, &err), PF_OK);
        CU_ASSERT(r.u.o->type == vs[src].u.o->type);
      }
    }
    if (!same(r, &m, is_dict)) {
      if (bad < 5)
        fprintf(stderr, "step %d: %zu entries differ from the model\n", step, m.n);
      bad++;
    }
    if (!same(vs[src], &ms[src], is_dict)) /* the older version is unchanged */
      bad++;
    if (m.n > maxn)
      maxn = m.n;
    pf_decref(vs[dst]);
    vs[dst] = r;
    ms[dst] = m;
  }
  fprintf(stderr, "%s random ops: largest %zu, mismatches %zu\n", is_dict ? "dict" : "set", maxn,
          bad);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(maxn > 150); /* several trie levels */
  for (int s = 0; s < NV; s++)
    pf_decref(vs[s]);
  free(ms);
  pool_free();
}

static void test_random_dict(void) { run_random(true); }
static void test_random_set(void) { run_random(false); }

/* Growing one dict key by key to 10^5 entries (ints and strs), every older version intact;
 * a frozenset's hash does not depend on insertion order. */
static void test_growth(void) {
  pf_err err;
  const int64_t n = 100000;
  pf_val d, s, f1, f2;
  CU_ASSERT_EQUAL_FATAL(pf_dict_new(0, NULL, NULL, &d, &err), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_set_new(0, NULL, false, &s, &err), PF_OK);
  pf_val d1000 = pf_none();
  for (int64_t i = 0; i < n; i++) {
    pf_val r, r2;
    CU_ASSERT_EQUAL_FATAL(pf_dict_set(d, pf_int(i * 7919 % n), pf_int(i), &r, &err), PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_set_add(s, pf_int(i % 5000), &r2, &err), PF_OK);
    if (i == 1000)
      d1000 = pf_incref(d);
    pf_decref(d);
    pf_decref(s);
    d = r;
    s = r2;
  }
  CU_ASSERT_EQUAL(pf_dict_len(d), (size_t)n);
  CU_ASSERT_EQUAL(pf_set_len(s), 5000);
  CU_ASSERT_EQUAL(pf_dict_len(d1000), 1000);
  size_t bad = 0;
  for (int64_t i = 0; i < n; i += 7) {
    bool found;
    pf_val v;
    CU_ASSERT_EQUAL_FATAL(pf_dict_lookup(d, pf_int(i * 7919 % n), &found, &v, &err), PF_OK);
    bad += !found || v.u.i != i;
    pf_val k;
    pf_dict_entry(d, (size_t)i, &k, &v);
    bad += k.u.i != i * 7919 % n || v.u.i != i;
    CU_ASSERT_EQUAL_FATAL(pf_dict_lookup(d1000, pf_int(i * 7919 % n), &found, &v, &err), PF_OK);
    bad += found != (i < 1000);
  }
  CU_ASSERT_EQUAL(bad, 0);
  /* the same items in another order: equal frozensets, equal hashes */
  pf_val *a = malloc(5000 * sizeof *a), *b = malloc(5000 * sizeof *b);
  for (int i = 0; i < 5000; i++) {
    a[i] = pf_int(i);
    b[i] = pf_int(4999 - i);
  }
  CU_ASSERT_EQUAL_FATAL(pf_set_new(5000, a, true, &f1, &err), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_set_new(5000, b, true, &f2, &err), PF_OK);
  int64_t h1, h2;
  bool eq;
  CU_ASSERT_EQUAL(pf_val_hash(f1, &h1, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_val_hash(f2, &h2, &err), PF_OK);
  CU_ASSERT_EQUAL(h1, h2);
  CU_ASSERT_EQUAL(pf_val_eq(f1, s, &eq, &err), PF_OK);
  CU_ASSERT(eq);
  free(a);
  free(b);
  pf_decref(f1);
  pf_decref(f2);
  pf_decref(d);
  pf_decref(d1000);
  pf_decref(s);
}

/* Unhashable keys raise TypeError and leave nothing behind. */
static void test_unhashable(void) {
  pf_err err;
  pf_val d, l, r = pf_none();
  CU_ASSERT_EQUAL_FATAL(pf_dict_new(0, NULL, NULL, &d, &err), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_list_new(0, NULL, &l, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_dict_set(d, l, pf_int(1), &r, &err), PF_EPYEXC);
  CU_ASSERT_EQUAL(err.kind, PF_EXC_TypeError);
  CU_ASSERT_STRING_EQUAL(err.msg, "unhashable type: 'list'");
  pf_decref(l);
  pf_decref(d);
}

static pf_status_t map_workload(pf_err *err) {
  pf_val d = pf_unbound(), s = pf_unbound(), t = pf_unbound();
  pf_status_t st = pf_dict_new(0, NULL, NULL, &d, err);
  if (st == PF_OK)
    st = pf_set_new(0, NULL, false, &s, err);
  for (int i = 0; i < 300 && st == PF_OK; i++) {
    st = pf_dict_set(d, pf_int(i % 250), pf_int(i), &t, err);
    if (st == PF_OK) {
      pf_decref(d);
      d = t;
      st = pf_set_add(s, pf_int(i * 31 % 200), &t, err);
    }
    if (st == PF_OK) {
      pf_decref(s);
      s = t;
    }
  }
  pf_val keys[40], vals[40];
  for (int i = 0; i < 40; i++) {
    keys[i] = pf_int(i % 33);
    vals[i] = pf_int(i);
  }
  if (st == PF_OK) {
    st = pf_dict_new(40, keys, vals, &t, err);
    if (st == PF_OK)
      pf_decref(t);
  }
  pf_decref(d);
  pf_decref(s);
  return st;
}

static void test_alloc_failures(void) {
  CU_ASSERT(tv_sweep_alloc_failures(map_workload) > 100);
}

void tv_register_pmap(void) {
  CU_pSuite s = CU_add_suite("persistent_map_set", NULL, NULL);
  CU_add_test(s, "dict: random operations vs a model", test_random_dict);
  CU_add_test(s, "set: random operations vs a model", test_random_set);
  CU_add_test(s, "growth to 10^5, old versions intact, frozenset hash", test_growth);
  CU_add_test(s, "unhashable keys", test_unhashable);
  CU_add_test(s, "allocation failures give MemoryError", test_alloc_failures);
}
