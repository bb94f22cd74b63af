/* test_pvec.c — the persistent vector behind lists: randomised operation sequences checked
 * item by item against a plain-array model, boundary sizes around the leaf and branch sizes,
 * slices of slices, concatenations of slices, deep trees, iteration and chunk access,
 * structural sharing, and allocation failures. (Python's slice/concat semantics themselves
 * are checked against CPython by the generated "lsig:" cases.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tv.h"

/* Model: a plain array of int64 items. */
typedef struct model {
  int64_t *v;
  size_t n;
} model;

static model m_new(size_t n) {
  model m = {malloc((n ? n : 1) * sizeof(int64_t)), n};
  return m;
}

static pf_val list_of(const model *m) {
  pf_val *items = malloc((m->n ? m->n : 1) * sizeof *items);
  for (size_t i = 0; i < m->n; i++)
    items[i] = pf_int(m->v[i]);
  pf_val l = pf_none();
  pf_err err;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(m->n, items, &l, &err), PF_OK);
  free(items);
  return l;
}

static size_t height_limit(size_t n) {
  unsigned bits = 0;
  while (n >> bits)
    bits++;
  return bits / 2 + 2;
}

/* Checks every item of "l" against "m" through get, iteration and chunks; false on mismatch. */
static bool same(pf_val l, const model *m) {
  if (pf_list_len(l) != m->n)
    return false;
  if (pf_list_height(l) > height_limit(m->n))
    return false;
  pf_list_iter it;
  pf_val x;
  size_t i = 0;
  pf_list_iter_init(&it, l, 0);
  while (pf_list_iter_next(&it, &x)) {
    if (i >= m->n || x.tag != PF_INT || x.u.i != m->v[i])
      return false;
    i++;
  }
  if (i != m->n)
    return false;
  for (size_t k = 0; k < m->n; k += 1 + k / 7) {
    pf_val y = pf_list_get(l, k);
    if (y.tag != PF_INT || y.u.i != m->v[k])
      return false;
  }
  for (size_t k = 0; k < m->n;) {
    size_t avail;
    const pf_val *c = pf_list_chunk(l, k, &avail);
    if (avail < 1 || avail > PF_LIST_LEAF || k + avail > m->n)
      return false;
    for (size_t j = 0; j < avail; j++)
      if (c[j].u.i != m->v[k + j])
        return false;
    k += avail;
  }
  return true;
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

#define NSLOTS 12

static void test_random_ops(void) {
  pf_val lists[NSLOTS];
  model ms[NSLOTS];
  pf_err err;
  int64_t next = 0;
  for (int s = 0; s < NSLOTS; s++) {
    size_t n = s < 3               ? 20000 + rnd_below(40000)
               : rnd_below(3) == 0 ? rnd_below(2000)
                                   : rnd_below(70);
    ms[s] = m_new(n);
    for (size_t i = 0; i < n; i++)
      ms[s].v[i] = next++;
    lists[s] = list_of(&ms[s]);
  }
  size_t bad = 0, maxlen = 0;
  unsigned maxh = 0;
  for (int step = 0; step < 4000; step++) {
    int dst = (int)rnd_below(NSLOTS), a = (int)rnd_below(NSLOTS), b = (int)rnd_below(NSLOTS);
    pf_val r = pf_none();
    model m;
    int op = (int)rnd_below(8);
    if (op <= 1 || op == 7) { /* concat */
      if (ms[a].n + ms[b].n > 400000)
        continue;
      m = m_new(ms[a].n + ms[b].n);
      memcpy(m.v, ms[a].v, ms[a].n * sizeof(int64_t));
      memcpy(m.v + ms[a].n, ms[b].v, ms[b].n * sizeof(int64_t));
      CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, lists[a], lists[b], &r, &err), PF_OK);
    } else if (op == 2) { /* append */
      m = m_new(ms[a].n + 1);
      memcpy(m.v, ms[a].v, ms[a].n * sizeof(int64_t));
      m.v[ms[a].n] = next;
      CU_ASSERT_EQUAL_FATAL(pf_list_append(lists[a], pf_int(next++), &r, &err), PF_OK);
    } else if (op <= 4) { /* slice with step 1, bounds inside */
      size_t lo = rnd_below(ms[a].n + 1), hi = lo + rnd_below(ms[a].n - lo + 1);
      m = m_new(hi - lo);
      memcpy(m.v, ms[a].v + lo, (hi - lo) * sizeof(int64_t));
      CU_ASSERT_EQUAL_FATAL(
          pf_val_getslice(lists[a], pf_int((int64_t)lo), pf_int((int64_t)hi), pf_none(), &r, &err),
          PF_OK);
    } else if (op == 5) { /* stepped slice */
      int64_t st = (int64_t)rnd_below(5) + 2;
      if (rnd_below(2))
        st = -st;
      size_t n = ms[a].n, cnt = 0, ast = (size_t)(st > 0 ? st : -st);
      m = m_new(n);
      for (size_t k = 0; k * ast < n; k++)
        m.v[cnt++] = ms[a].v[st > 0 ? k * ast : n - 1 - k * ast];
      m.n = cnt;
      CU_ASSERT_EQUAL_FATAL(pf_val_getslice(lists[a], pf_none(), pf_none(), pf_int(st), &r, &err),
                            PF_OK);
    } else { /* repeat */
      int64_t k = (int64_t)rnd_below(4);
      if (ms[a].n * (size_t)k > 100000)
        continue;
      m = m_new(ms[a].n * (size_t)k);
      for (int64_t j = 0; j < k; j++)
        memcpy(m.v + (size_t)j * ms[a].n, ms[a].v, ms[a].n * sizeof(int64_t));
      CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_MUL, lists[a], pf_int(k), &r, &err), PF_OK);
    }
    if (!same(r, &m)) {
      if (bad < 5)
        fprintf(stderr, "step %d op %d: list of %zu differs from the model\n", step, op, m.n);
      bad++;
    }
    if (m.n > maxlen)
      maxlen = m.n;
    if (pf_list_height(r) > maxh)
      maxh = pf_list_height(r);
    pf_decref(lists[dst]);
    free(ms[dst].v);
    lists[dst] = r;
    ms[dst] = m;
    /* the operands are unchanged (persistence) */
    if (!same(lists[a], &ms[a]) && a != dst)
      bad++;
  }
  fprintf(stderr, "random ops: longest list %zu, tallest tree %u, mismatches %zu\n", maxlen, maxh,
          bad);
  CU_ASSERT_EQUAL(bad, 0);
  for (int s = 0; s < NSLOTS; s++) {
    pf_decref(lists[s]);
    free(ms[s].v);
  }
}

static void test_boundary_sizes(void) {
  static const size_t sizes[] = {0,    1,    2,    31,   32,   33,    63,    64,    65,
                                 1023, 1024, 1025, 2047, 2048, 32767, 32768, 32769, 33 * 32};
  size_t ns = sizeof sizes / sizeof *sizes, bad = 0;
  pf_err err;
  for (size_t x = 0; x < ns; x++) {
    model m = m_new(sizes[x]);
    for (size_t i = 0; i < m.n; i++)
      m.v[i] = (int64_t)(i * 3 + 1);
    pf_val l = list_of(&m);
    bad += !same(l, &m);
    /* cut at every interesting point: l[:k] + l[k:] == l, and both parts are right */
    for (size_t y = 0; y < ns && sizes[y] <= m.n; y++) {
      for (int d = -1; d <= 1; d++) {
        if ((d < 0 && sizes[y] == 0) || sizes[y] + (size_t)(d + 1) > m.n + 1)
          continue;
        size_t k = sizes[y] + (size_t)d;
        pf_val a, b, c;
        CU_ASSERT_EQUAL_FATAL(
            pf_val_getslice(l, pf_none(), pf_int((int64_t)k), pf_none(), &a, &err), PF_OK);
        CU_ASSERT_EQUAL_FATAL(
            pf_val_getslice(l, pf_int((int64_t)k), pf_none(), pf_none(), &b, &err), PF_OK);
        CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, a, b, &c, &err), PF_OK);
        model ma = {m.v, k}, mb = {m.v + k, m.n - k};
        bad += !same(a, &ma) + !same(b, &mb) + !same(c, &m);
        bool eq = false;
        CU_ASSERT_EQUAL(pf_val_eq(c, l, &eq, &err), PF_OK);
        bad += !eq;
        /* rotation: l[k:] + l[:k] */
        pf_val rot;
        CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, b, a, &rot, &err), PF_OK);
        model mr = m_new(m.n);
        memcpy(mr.v, m.v + k, (m.n - k) * sizeof(int64_t));
        memcpy(mr.v + m.n - k, m.v, k * sizeof(int64_t));
        bad += !same(rot, &mr);
        free(mr.v);
        pf_decref(rot);
        pf_decref(a);
        pf_decref(b);
        pf_decref(c);
      }
    }
    pf_decref(l);
    free(m.v);
  }
  CU_ASSERT_EQUAL(bad, 0);
}

/* a = a + [x] for 10^5 items, and a = [x] + a: trees stay shallow and right. */
static void test_deep_appends(void) {
  pf_err err;
  const size_t n = 100000;
  model m = m_new(n);
  pf_val a, p;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(0, NULL, &a, &err), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_list_new(0, NULL, &p, &err), PF_OK);
  for (size_t i = 0; i < n; i++) {
    m.v[i] = (int64_t)i;
    pf_val one, r, q;
    CU_ASSERT_EQUAL_FATAL(pf_list_new(1, (pf_val[]){pf_int((int64_t)i)}, &one, &err), PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, a, one, &r, &err), PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, one, p, &q, &err), PF_OK);
    pf_decref(one);
    pf_decref(a);
    pf_decref(p);
    a = r;
    p = q;
  }
  CU_ASSERT(same(a, &m));
  CU_ASSERT(pf_list_height(a) <= 4); /* 32^4 > 10^5: at most one level above dense */
  CU_ASSERT(pf_list_height(p) <= 4);
  for (size_t i = 0; i < n; i++)
    CU_ASSERT_EQUAL(pf_list_get(p, i).u.i, (int64_t)(n - 1 - i));
  /* slices of slices */
  pf_val s = pf_incref(a);
  size_t lo = 0, hi = n;
  for (int k = 0; k < 40; k++) {
    size_t len = hi - lo, a1 = len / 7 + 1, b1 = len / 5 + 1;
    if (len < b1 + a1 + 1)
      break;
    pf_val t;
    CU_ASSERT_EQUAL_FATAL(
        pf_val_getslice(s, pf_int((int64_t)a1), pf_int(-(int64_t)b1), pf_none(), &t, &err), PF_OK);
    lo += a1;
    hi -= b1;
    model ms = {m.v + lo, hi - lo};
    CU_ASSERT(same(t, &ms));
    pf_decref(s);
    s = t;
  }
  pf_decref(s);
  pf_decref(a);
  pf_decref(p);
  free(m.v);
}

/* Structural sharing: slicing a big list into many pieces and gluing them back keeps the
 * operands intact and is cheap (a million-item list, ten thousand rotations). */
static void test_sharing(void) {
  pf_err err;
  const size_t n = 1000000;
  model m = m_new(n);
  for (size_t i = 0; i < n; i++)
    m.v[i] = (int64_t)i * 7;
  pf_val big = list_of(&m);
  size_t total = 0;
  for (size_t i = 0; i < 10000; i++) {
    pf_val a, b, c;
    CU_ASSERT_EQUAL_FATAL(
        pf_val_getslice(big, pf_int((int64_t)i * 97), pf_none(), pf_none(), &a, &err), PF_OK);
    CU_ASSERT_EQUAL_FATAL(
        pf_val_getslice(big, pf_none(), pf_int((int64_t)i * 97), pf_none(), &b, &err), PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, a, b, &c, &err), PF_OK);
    total += pf_list_len(c);
    if (i % 1000 == 3) {
      size_t k = i * 97;
      CU_ASSERT_EQUAL(pf_list_get(c, 0).u.i, m.v[k % n]);
      CU_ASSERT_EQUAL(pf_list_get(c, n - 1).u.i, m.v[(k + n - 1) % n]);
      CU_ASSERT_EQUAL(pf_list_get(c, n / 2).u.i, m.v[(k + n / 2) % n]);
      CU_ASSERT(pf_list_height(c) <= 5);
    }
    pf_decref(a);
    pf_decref(b);
    pf_decref(c);
  }
  CU_ASSERT_EQUAL(total, n * 10000);
  CU_ASSERT(same(big, &m));
  /* rotations of rotations: the seams do not pile up */
  pf_val c = pf_incref(big);
  size_t shift = 0;
  for (size_t i = 0; i < 3000; i++) {
    size_t k = (i * 7919) % n;
    pf_val a, b, r;
    CU_ASSERT_EQUAL_FATAL(pf_val_getslice(c, pf_int((int64_t)k), pf_none(), pf_none(), &a, &err),
                          PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_val_getslice(c, pf_none(), pf_int((int64_t)k), pf_none(), &b, &err),
                          PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_ADD, a, b, &r, &err), PF_OK);
    pf_decref(a);
    pf_decref(b);
    pf_decref(c);
    c = r;
    shift = (shift + k) % n;
  }
  CU_ASSERT(pf_list_height(c) <= 5);
  model rot = m_new(n);
  for (size_t i = 0; i < n; i++)
    rot.v[i] = m.v[(i + shift) % n];
  CU_ASSERT(same(c, &rot));
  free(rot.v);
  pf_decref(c);
  pf_decref(big);
  free(m.v);
}

/* Objects held by a list are released exactly once, whatever shares them. */
static void test_object_items(void) {
  pf_err err;
  pf_val s;
  CU_ASSERT_EQUAL_FATAL(pf_str_from_cstr("shared item", &s, &err), PF_OK);
  pf_val l;
  CU_ASSERT_EQUAL_FATAL(pf_list_new(0, NULL, &l, &err), PF_OK);
  for (int i = 0; i < 100; i++) {
    pf_val r;
    CU_ASSERT_EQUAL_FATAL(pf_list_append(l, s, &r, &err), PF_OK);
    pf_decref(l);
    l = r;
  }
  pf_val r2, r3;
  CU_ASSERT_EQUAL_FATAL(pf_val_binop(PF_OP_MUL, l, pf_int(50), &r2, &err), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_val_getslice(r2, pf_int(17), pf_int(-13), pf_int(3), &r3, &err), PF_OK);
  CU_ASSERT_EQUAL(pf_list_len(r2), 5000);
  CU_ASSERT_EQUAL(pf_list_len(r3), 1657); /* len(range(17, 4987, 3)) */
  pf_decref(l);
  pf_decref(r2);
  pf_decref(r3);
  /* one reference left: ours (ASan would report a leak or a double free otherwise) */
  CU_ASSERT_EQUAL(atomic_load(&s.u.o->rc), 1);
  pf_decref(s);
}

/* Every allocation of the list operations may fail: MemoryError, nothing leaked. */
static pf_status_t list_workload(pf_err *err) {
  pf_val big = pf_unbound(), a = pf_unbound(), b = pf_unbound(), c = pf_unbound(), d = pf_unbound(),
         e = pf_unbound(), s = pf_unbound();
  pf_status_t st;
  pf_listb lb;
  pf_listb_init(&lb);
  if ((st = pf_str_from_cstr("x", &s, err)) != PF_OK)
    goto out;
  for (int i = 0; i < 3000; i++)
    if ((st = pf_listb_push(&lb, i % 5 ? pf_int(i) : pf_incref(s), err)) != PF_OK)
      goto out;
  if ((st = pf_listb_finish(&lb, false, &big, err)) != PF_OK)
    goto out;
  if ((st = pf_val_getslice(big, pf_int(45), pf_int(2990), pf_none(), &a, err)) != PF_OK)
    goto out;
  if ((st = pf_val_getslice(big, pf_int(1100), pf_none(), pf_none(), &b, err)) != PF_OK)
    goto out;
  if ((st = pf_val_binop(PF_OP_ADD, b, a, &c, err)) != PF_OK)
    goto out;
  if ((st = pf_val_binop(PF_OP_MUL, a, pf_int(5), &d, err)) != PF_OK)
    goto out;
  if ((st = pf_list_append(c, s, &e, err)) != PF_OK)
    goto out;
out:
  pf_listb_discard(&lb);
  pf_val all[] = {big, a, b, c, d, e, s};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    pf_decref(all[i]);
  return st;
}

static void test_alloc_failures(void) {
  CU_ASSERT(tv_sweep_alloc_failures(list_workload) > 20);
}

void tv_register_pvec(void) {
  CU_pSuite s = CU_add_suite("persistent_vector", NULL, NULL);
  CU_add_test(s, "random operations vs a model", test_random_ops);
  CU_add_test(s, "boundary sizes: cuts, rotations", test_boundary_sizes);
  CU_add_test(s, "deep appends and prepends, slices of slices", test_deep_appends);
  CU_add_test(s, "sharing: 10^4 rotations of 10^6 items", test_sharing);
  CU_add_test(s, "object items released once", test_object_items);
  CU_add_test(s, "allocation failures give MemoryError", test_alloc_failures);
}
