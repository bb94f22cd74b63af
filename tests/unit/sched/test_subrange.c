/* CUnit: subrange arithmetic — counting, stepping and lazy halving of any range(start,
 * stop, step) compared with a straightforward __int128 enumeration (empty ranges, step != 1,
 * negative steps, bounds at the int64 limits), the wire form, and the topology victim
 * order the pool uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_sched.h"
#include "test_sched.h"

#define MAXN 3000

typedef struct seq {
  size_t n;
  int64_t x[MAXN];
  uint64_t pos[MAXN];
} seq;

/* Python's range(start, stop, step), by the book, in 128-bit arithmetic. */
static size_t reference(int64_t start, int64_t stop, int64_t step, int64_t *out, size_t max) {
  size_t n = 0;
  for (__int128 v = start; step > 0 ? v < stop : v > stop; v += step) {
    if (n == max)
      return max + 1;
    out[n++] = (int64_t)v;
  }
  return n;
}

static __int128 reference_count(int64_t start, int64_t stop, int64_t step) {
  __int128 d = (__int128)stop - start, s = step;
  if ((s > 0 && d <= 0) || (s < 0 && d >= 0))
    return 0;
  if (s < 0) {
    d = -d;
    s = -s;
  }
  return (d + s - 1) / s;
}

static unsigned rng_state = 777;
static uint64_t rnd64(void) {
  uint64_t r = 0;
  for (int i = 0; i < 4; i++)
    r = (r << 16) ^ (uint64_t)(rand_r(&rng_state) & 0xffff);
  return r;
}

/* Runs "sr" as a fold would: takes a random number of elements, then splits the rest
 * (the owner keeps the lower half) and recurses on both halves, appending every element in
 * Python order to "out". Checks the positions and the split's index as it goes. */
static void run_splitting(pf_subrange *sr, seq *out, int depth) {
  unsigned before = (unsigned)rand_r(&rng_state) % 4;
  int64_t x;
  uint64_t pos;
  for (unsigned i = 0; i < before && pf_subrange_next(sr, &x, &pos); i++) {
    CU_ASSERT_EQUAL(pos, out->n);
    out->x[out->n] = x;
    out->pos[out->n++] = pos;
  }
  pf_subrange upper;
  uint64_t n = pf_subrange_count(sr);
  if (depth < 12 && pf_subrange_split(sr, &upper)) {
    CU_ASSERT_EQUAL(pf_subrange_count(sr), n - n / 2);
    CU_ASSERT_EQUAL(pf_subrange_count(&upper), n / 2);
    CU_ASSERT_EQUAL(upper.index, sr->pos + (n - n / 2));
    CU_ASSERT_EQUAL(upper.pos, upper.index);
    CU_ASSERT_EQUAL(upper.code_id, sr->code_id);
    CU_ASSERT_EQUAL(upper.kind, sr->kind);
    run_splitting(sr, out, depth + 1);
    run_splitting(&upper, out, depth + 1);
    return;
  }
  CU_ASSERT(n < 2 || depth >= 12);
  while (pf_subrange_next(sr, &x, &pos)) {
    CU_ASSERT_EQUAL(pos, out->n);
    if (out->n == MAXN)
      return;
    out->x[out->n] = x;
    out->pos[out->n++] = pos;
  }
  CU_ASSERT_EQUAL(pf_subrange_count(sr), 0);
}

static seq got;
static int64_t want[MAXN + 1];

/* Checks one range: count, plain enumeration, and random split trees. Returns 1 when the
 * range was small enough to enumerate. */
static int check_range(int64_t start, int64_t stop, int64_t step) {
  pf_subrange sr;
  CU_ASSERT_EQUAL_FATAL(pf_subrange_init(&sr, PF_FOLD_SUM, 42, start, stop, step), PF_OK);
  __int128 rc = reference_count(start, stop, step);
  CU_ASSERT((__int128)pf_subrange_count(&sr) == rc);
  size_t n = reference(start, stop, step, want, MAXN);
  if (n > MAXN) {
    /* too long to enumerate: one split, checked arithmetically */
    pf_subrange up;
    CU_ASSERT_FATAL(pf_subrange_split(&sr, &up));
    uint64_t keep = (uint64_t)(rc - rc / 2);
    CU_ASSERT((__int128)up.cursor == (__int128)start + (__int128)keep * step);
    CU_ASSERT(sr.bound == up.cursor);
    CU_ASSERT((__int128)pf_subrange_count(&sr) + pf_subrange_count(&up) == rc);
    CU_ASSERT(up.index == keep);
    return 0;
  }
  for (int trial = 0; trial < 3; trial++) {
    pf_subrange r = sr;
    got.n = 0;
    if (trial == 0) {
      int64_t x;
      uint64_t pos;
      while (pf_subrange_next(&r, &x, &pos)) {
        got.x[got.n] = x;
        got.pos[got.n++] = pos;
        if (got.n == MAXN)
          break;
      }
    } else {
      run_splitting(&r, &got, 0);
    }
    CU_ASSERT_EQUAL(got.n, n);
    size_t diff = 0;
    for (size_t i = 0; i < n && i < got.n; i++)
      diff += got.x[i] != want[i] || got.pos[i] != i;
    CU_ASSERT_EQUAL(diff, 0);
  }
  return 1;
}

static void test_edges(void) {
  const int64_t MIN = INT64_MIN, MAX = INT64_MAX;
  const int64_t cases[][3] = {
      {0, 0, 1},           {5, 5, -1},          {0, 1, 1},           {1, 0, 1},
      {0, -1, -1},         {0, 10, 3},          {10, 0, -3},         {-7, 8, 5},
      {3, 4, 10},          {MAX - 1, MAX, 1},   {MAX - 10, MAX, 3},  {MAX - 10, MAX, 1},
      {MIN, MIN + 10, 3},  {MIN + 10, MIN, -4}, {MAX, MAX - 20, -7}, {MIN, MIN + 1, MAX},
      {MIN, MAX, MAX},     {MAX, MIN, MIN},     {MAX, MIN, -MAX},    {MIN, MAX, MAX / 2},
      {MAX, MIN, MIN / 3}, {-1, MAX, MAX},      {1, MIN, MIN},       {MAX - 1, MAX, MAX},
      {MIN + 1, MIN, -1},  {MAX, MAX, -1},      {MIN, MIN, 1},       {0, MAX, 1},
      {MIN, MAX, 1},       {MAX, MIN, -1},      {MIN, MAX, 2},       {MAX, MIN, -3},
  };
  int enumerated = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    enumerated += check_range(cases[i][0], cases[i][1], cases[i][2]);
  CU_ASSERT(enumerated >= 26);
  pf_subrange sr;
  CU_ASSERT_EQUAL(pf_subrange_init(&sr, PF_FOLD_SUM, 1, 0, 10, 0), PF_EINVAL);
  CU_ASSERT_EQUAL(pf_subrange_init(&sr, PF_FOLD_KIND_COUNT, 1, 0, 10, 1), PF_EINVAL);
  /* range(MIN, MAX, 1) has 2^64 - 1 elements */
  CU_ASSERT_EQUAL_FATAL(pf_subrange_init(&sr, PF_FOLD_SUM, 1, MIN, MAX, 1), PF_OK);
  CU_ASSERT_EQUAL(pf_subrange_count(&sr), UINT64_MAX);
  /* a split leaves nothing to split when one element remains */
  pf_subrange up;
  CU_ASSERT_EQUAL_FATAL(pf_subrange_init(&sr, PF_FOLD_SUM, 1, MAX, MAX - 1, -1), PF_OK);
  CU_ASSERT_FALSE(pf_subrange_split(&sr, &up));
  CU_ASSERT_EQUAL(pf_subrange_count(&sr), 1);
}

static void test_random(void) {
  int enumerated = 0;
  for (int i = 0; i < 1500; i++) {
    int64_t centre;
    switch (i % 4) {
    case 0:
      centre = 0;
      break;
    case 1:
      centre = INT64_MIN;
      break;
    case 2:
      centre = INT64_MAX;
      break;
    default:
      centre = (int64_t)rnd64();
      break;
    }
    int64_t step;
    int pick = rand_r(&rng_state) % 5;
    if (pick < 3)
      step = 1 + rand_r(&rng_state) % 40;
    else if (pick == 3)
      step = (int64_t)(rnd64() >> (1 + rand_r(&rng_state) % 62)) + 1;
    else
      step = INT64_MAX - rand_r(&rng_state) % 3;
    if (rand_r(&rng_state) % 2)
      step = -step;
    /* start and stop within about 1500 steps of the centre, clamped to int64 */
    __int128 span = (__int128)step * (rand_r(&rng_state) % 1500);
    __int128 a = (__int128)centre + (rand_r(&rng_state) % 2 ? span : -span) / 2;
    __int128 b = a + ((__int128)step * (rand_r(&rng_state) % 1200)) - rand_r(&rng_state) % 3;
    if (a < INT64_MIN)
      a = INT64_MIN;
    if (a > INT64_MAX)
      a = INT64_MAX;
    if (b < INT64_MIN)
      b = INT64_MIN;
    if (b > INT64_MAX)
      b = INT64_MAX;
    enumerated += check_range((int64_t)a, (int64_t)b, step);
  }
  CU_ASSERT(enumerated > 1400);
}

static void test_wire(void) {
  uint8_t buf[PF_SUBRANGE_WIRE_SIZE];
  for (int i = 0; i < 500; i++) {
    pf_subrange a, b;
    int64_t step = (int64_t)rnd64();
    if (step == 0)
      step = -1;
    CU_ASSERT_EQUAL_FATAL(pf_subrange_init(&a, (pf_fold_kind)(i % PF_FOLD_KIND_COUNT), rnd64(),
                                           (int64_t)rnd64(), (int64_t)rnd64(), step),
                          PF_OK);
    a.flags = (uint32_t)rnd64();
    a.index = rnd64();
    a.pos = rnd64();
    a.cont = &b;
    pf_subrange_encode(&a, buf);
    memset(&b, 0xa5, sizeof b);
    CU_ASSERT_EQUAL_FATAL(pf_subrange_decode(buf, sizeof buf, &b), PF_OK);
    CU_ASSERT(b.kind == a.kind && b.flags == a.flags && b.code_id == a.code_id);
    CU_ASSERT(b.cursor == a.cursor && b.bound == a.bound && b.step == a.step);
    CU_ASSERT(b.index == a.index && b.pos == a.pos);
    CU_ASSERT_PTR_NULL(b.cont);
  }
  /* the byte layout is fixed: little-endian, two's complement */
  pf_subrange a, b;
  CU_ASSERT_EQUAL_FATAL(pf_subrange_init(&a, PF_FOLD_LIST, 0x0102030405060708u, -2, 1000, 3),
                        PF_OK);
  a.index = 5;
  a.pos = 7;
  pf_subrange_encode(&a, buf);
  static const uint8_t head[] = {'P',  'F',  'S',  'R',  1,    0,    PF_FOLD_LIST,
                                 0,    0,    0,    0,    0,    0,    0,
                                 0,    0,    8,    7,    6,    5,    4,
                                 3,    2,    1,    0xfe, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xe8, 3,    0,
                                 0,    0,    0,    0,    0,    3,    0,
                                 0,    0,    0,    0,    0,    0,    5,
                                 0,    0,    0,    0,    0,    0,    0,
                                 7,    0,    0,    0,    0,    0,    0,
                                 0};
  CU_ASSERT_EQUAL(sizeof head, PF_SUBRANGE_WIRE_SIZE);
  CU_ASSERT_EQUAL(memcmp(buf, head, sizeof head), 0);
  /* rejected: short, wrong magic, other version, step 0, unknown kind */
  CU_ASSERT_EQUAL(pf_subrange_decode(buf, sizeof buf - 1, &b), PF_EPROTO);
  uint8_t bad[PF_SUBRANGE_WIRE_SIZE];
  memcpy(bad, buf, sizeof bad);
  bad[0] = 'X';
  CU_ASSERT_EQUAL(pf_subrange_decode(bad, sizeof bad, &b), PF_EPROTO);
  memcpy(bad, buf, sizeof bad);
  bad[4] = 2;
  CU_ASSERT_EQUAL(pf_subrange_decode(bad, sizeof bad, &b), PF_EPROTO);
  memcpy(bad, buf, sizeof bad);
  bad[40] = 0;
  CU_ASSERT_EQUAL(pf_subrange_decode(bad, sizeof bad, &b), PF_EPROTO);
  memcpy(bad, buf, sizeof bad);
  bad[6] = PF_FOLD_KIND_COUNT;
  CU_ASSERT_EQUAL(pf_subrange_decode(bad, sizeof bad, &b), PF_EPROTO);
  /* a decoded record goes on where the sender stopped */
  pf_subrange up;
  CU_ASSERT_FATAL(pf_subrange_split(&a, &up));
  pf_subrange_encode(&up, buf);
  CU_ASSERT_EQUAL_FATAL(pf_subrange_decode(buf, sizeof buf, &b), PF_OK);
  int64_t x1, x2;
  uint64_t p1, p2;
  while (pf_subrange_next(&up, &x1, &p1)) {
    CU_ASSERT_FATAL(pf_subrange_next(&b, &x2, &p2));
    CU_ASSERT(x1 == x2 && p1 == p2);
  }
  CU_ASSERT_FALSE(pf_subrange_next(&b, &x2, &p2));
}

static void test_victims(void) {
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_topo_load(&t), PF_OK);
  unsigned nw = pf_topo_get_counts(t).pus + 3; /* some workers share a PU */
  unsigned order[64];
  if (nw > 64)
    nw = 64;
  for (unsigned w = 0; w < nw; w++) {
    CU_ASSERT_EQUAL(pf_topo_worker_distance(t, w, w), PF_TOPO_SAME_PU);
    pf_topo_victim_order(t, w, nw, order);
    unsigned seen[64] = {0};
    unsigned prev = 0;
    for (unsigned i = 0; i + 1 < nw; i++) {
      CU_ASSERT(order[i] < nw && order[i] != w);
      seen[order[i] % 64]++;
      unsigned d = pf_topo_worker_distance(t, w, order[i]);
      CU_ASSERT(d <= PF_TOPO_FAR);
      CU_ASSERT(d >= prev); /* nearest first */
      prev = d;
      CU_ASSERT_EQUAL(d, pf_topo_worker_distance(t, order[i], w));
      if (pf_topo_plan_pu(t, order[i]) == pf_topo_plan_pu(t, w))
        CU_ASSERT_EQUAL(d, PF_TOPO_SAME_PU);
    }
    unsigned dup = 0;
    for (unsigned v = 0; v < nw; v++)
      dup += seen[v] != (v == w ? 0u : 1u);
    CU_ASSERT_EQUAL(dup, 0);
  }
  pf_topo_destroy(t);
}

/* Two packages, each with two L3 groups (one NUMA node each) of two 2-way SMT cores. */
#define SYNTH "pack:2 numa:2 l3:1 core:2 pu:2"

static void test_victims_synthetic(void) {
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_topo_load_synthetic(SYNTH, &t), PF_OK);
  pf_topo_counts c = pf_topo_get_counts(t);
  CU_ASSERT(c.packages == 2 && c.numa_nodes == 4 && c.cores == 8 && c.pus == 16);
  unsigned order[15];
  for (unsigned w = 0; w < 16; w++) {
    pf_topo_victim_order(t, w, 16, order);
    /* 1 hyperthread sibling, 2 PUs behind the same L3, 4 in the same package, 8 far */
    unsigned expect[15] = {PF_TOPO_SAME_CORE,    PF_TOPO_SAME_CACHE,   PF_TOPO_SAME_CACHE,
                           PF_TOPO_SAME_PACKAGE, PF_TOPO_SAME_PACKAGE, PF_TOPO_SAME_PACKAGE,
                           PF_TOPO_SAME_PACKAGE, PF_TOPO_FAR,          PF_TOPO_FAR,
                           PF_TOPO_FAR,          PF_TOPO_FAR,          PF_TOPO_FAR,
                           PF_TOPO_FAR,          PF_TOPO_FAR,          PF_TOPO_FAR};
    unsigned bad = 0;
    for (unsigned i = 0; i < 15; i++)
      bad += pf_topo_worker_distance(t, w, order[i]) != expect[i];
    CU_ASSERT_EQUAL(bad, 0);
    /* the sibling really is the other PU of the same core: OS indexes 2k and 2k+1 here */
    CU_ASSERT_EQUAL(pf_topo_plan_pu(t, order[0]) / 2, pf_topo_plan_pu(t, w) / 2);
  }
  pf_topo *bad_t = NULL;
  CU_ASSERT_EQUAL(pf_topo_load_synthetic("no such thing:3", &bad_t), PF_EINVAL);
  pf_topo_destroy(t);
}

int sched_suite_subrange(void) {
  CU_pSuite s = CU_add_suite("subrange", NULL, NULL);
  if (!s || !CU_add_test(s, "edge ranges: count, enumerate, split", test_edges) ||
      !CU_add_test(s, "1500 random ranges: split trees = enumeration", test_random) ||
      !CU_add_test(s, "wire form round trip and layout", test_wire) ||
      !CU_add_test(s, "topology victim order", test_victims) ||
      !CU_add_test(s, "victim order on a 2-package synthetic machine", test_victims_synthetic))
    return CU_get_error();
  return 0;
}
