/* CUnit: splittable folds on the pool — isPrime count over range(2·10^5), an uneven
 * workload, a list in Python order, an exact float sum via pf_fsum, all identical on 1, 2 and
 * 4 threads; the first exception in Python order wins even when a later one happens first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pf_sched.h"
#include "pf_value.h"
#include "test_sched.h"

static pf_topo *topo;

static int suite_init(void) { return pf_topo_load(&topo) == PF_OK ? 0 : 1; }
static int suite_clean(void) {
  pf_topo_destroy(topo);
  return 0;
}

/* Runs one fold as the root task of a job on a fresh pool of "threads" workers. */
typedef struct fold_call {
  const pf_fold_ops *ops;
  void *ctx;
  int64_t start, stop, step;
  pf_fold_result res;
  pf_pool_stats stats;
} fold_call;

static void fold_root(pf_worker *w, void *arg) {
  fold_call *c = arg;
  c->res.status =
      pf_fold_exec(w, c->ops, c->ctx, PF_FOLD_GENERIC, 1, c->start, c->stop, c->step, &c->res);
}

static pf_pool *cur_pool; /* the pool of run_fold, for hold_first */

/* At position 0 of a fold on several workers: waits (1 s at most) until an idle worker has
 * asked for a split, so the split at the next safepoint is certain, not up to timing. */
static void hold_first(uint64_t pos) {
  struct timespec ts = {0, 1000000};
  if (pos != 0 || !cur_pool || pf_pool_size(cur_pool) < 2)
    return;
  for (int i = 0; i < 1000 && pf_pool_get_stats(cur_pool).split_requests == 0; i++)
    nanosleep(&ts, NULL);
}

static pf_status_t run_fold(unsigned threads, fold_call *c) {
  pf_pool *pool = NULL;
  pf_job *job = NULL;
  memset(&c->res, 0, sizeof c->res);
  if (pf_pool_new(topo, threads, true, &pool) != PF_OK)
    return PF_ENOMEM;
  if (pf_job_new(pool, &job) != PF_OK) {
    pf_pool_free(pool);
    return PF_ENOMEM;
  }
  cur_pool = pool;
  pf_status_t st = pf_job_run(job, fold_root, c);
  cur_pool = NULL;
  c->stats = pf_pool_get_stats(pool);
  if (threads > 1) {
    CU_ASSERT(c->stats.splits >= 1); /* the fold did spread */
  }
  CU_ASSERT(c->stats.pinned == threads);
  pf_job_free(job);
  pf_pool_free(pool);
  return st;
}

/* ---------------------------------------------------------------- int count: isPrime */

static void *cnt_new(void *ctx) { return calloc(1, sizeof(uint64_t)); }
static void cnt_free(void *ctx, void *acc) { free(acc); }
static void cnt_merge(void *ctx, void *into, const void *right) {
  *(uint64_t *)into += *(const uint64_t *)right;
}

static int is_prime(int64_t n) {
  if (n < 2)
    return 0;
  for (int64_t d = 2; d * d <= n; d++)
    if (n % d == 0)
      return 0;
  return 1;
}

static pf_status_t prime_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  hold_first(pos);
  *(uint64_t *)acc += (uint64_t)is_prime(x);
  return PF_OK;
}

static const pf_fold_ops prime_ops = {.acc_new = cnt_new,
                                      .body = prime_body,
                                      .merge = cnt_merge,
                                      .acc_free = cnt_free,
                                      .exc_free = NULL};

static void test_primes(void) {
  uint64_t counts[3];
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    fold_call c = {&prime_ops, NULL, 0, 200000, 1, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    counts[i] = *(uint64_t *)c.res.acc;
    cnt_free(NULL, c.res.acc);
    CU_ASSERT_EQUAL(c.res.parts, c.stats.splits + 1); /* one part per subrange */
    if (threads[i] == 1) {
      CU_ASSERT_EQUAL(c.stats.splits, 0);
    }
  }
  CU_ASSERT_EQUAL(counts[0], 17984); /* pi(200000) */
  CU_ASSERT_EQUAL(counts[1], counts[0]);
  CU_ASSERT_EQUAL(counts[2], counts[0]);
}

/* ---------------------------------------------------------------- a VM-style loop (ops->run) */

/* What an interpreter fold frame does: its own element loop over the range cursor, with a
 * safepoint at each back-edge. Packs (sum of x) << 20 | (prime count) so that a lost or
 * doubled element shows. Position 150001 fails when the ctx says so. */
static pf_status_t vm_run(void *ctx, pf_worker *w, void *acc, pf_subrange *sr, void **exc_p,
                          uint64_t *exc_pos_p) {
  const int *fail = ctx;
  for (;;) {
    pf_status_t st = pf_fold_safepoint(w, sr);
    if (st != PF_OK)
      return st;
    int64_t x;
    uint64_t pos;
    if (!pf_subrange_next(sr, &x, &pos))
      return PF_OK;
    hold_first(pos);
    if (fail && *fail && pos == 150001) {
      *exc_pos_p = pos;
      return PF_EPYEXC;
    }
    *(uint64_t *)acc += ((uint64_t)x << 20) + (uint64_t)is_prime(x);
  }
}

static void test_vm_loop(void) {
  static const pf_fold_ops ops = {
      .acc_new = cnt_new, .run = vm_run, .merge = cnt_merge, .acc_free = cnt_free};
  const uint64_t want = ((uint64_t)199999 * 200000 / 2 << 20) + 17984;
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    int fail = 0;
    fold_call c = {&ops, &fail, 0, 200000, 1, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, want);
    cnt_free(NULL, c.res.acc);
    fail = 1;
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL(c.res.status, PF_EPYEXC);
    CU_ASSERT_EQUAL(c.res.exc_pos, 150001);
    /* the accumulator of exactly the elements before the failure: range(150001) */
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.res.acc);
    CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, ((uint64_t)150000 * 150001 / 2 << 20) + 13848);
    cnt_free(NULL, c.res.acc);
  }
}

/* ---------------------------------------------------------------- nested folds, empty range */

/* sum(sum(isPrime(y) for y in range(1000 * x, 1000 * x + 1000)) for x in range(200)): the
 * outer fold's loop runs an inner fold per element on the same worker. */
static pf_status_t outer_run(void *ctx, pf_worker *w, void *acc, pf_subrange *sr, void **exc_p,
                             uint64_t *exc_pos_p) {
  static const pf_fold_ops inner = {
      .acc_new = cnt_new, .body = prime_body, .merge = cnt_merge, .acc_free = cnt_free};
  for (;;) {
    pf_status_t st = pf_fold_safepoint(w, sr);
    if (st != PF_OK)
      return st;
    int64_t x;
    uint64_t pos;
    if (!pf_subrange_next(sr, &x, &pos))
      return PF_OK;
    pf_fold_result r;
    st = pf_fold_exec(w, &inner, NULL, PF_FOLD_SUM, 2, 1000 * x, 1000 * x + 1000, 1, &r);
    if (st != PF_OK) {
      *exc_pos_p = pos;
      return st;
    }
    *(uint64_t *)acc += *(uint64_t *)r.acc;
    cnt_free(NULL, r.acc);
  }
}

static void test_nested(void) {
  static const pf_fold_ops ops = {
      .acc_new = cnt_new, .run = outer_run, .merge = cnt_merge, .acc_free = cnt_free};
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    fold_call c = {&ops, NULL, 0, 200, 1, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, 17984);
    cnt_free(NULL, c.res.acc);
  }
}

static void test_empty(void) {
  fold_call c = {&prime_ops, NULL, 5, 5, 1, {0}, {0}};
  CU_ASSERT_EQUAL_FATAL(run_fold(1, &c), PF_OK);
  CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
  CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, 0);
  CU_ASSERT_EQUAL(c.res.parts, 1);
  cnt_free(NULL, c.res.acc);
  fold_call z = {&prime_ops, NULL, 0, 10, 0, {0}, {0}};
  CU_ASSERT_EQUAL_FATAL(run_fold(1, &z), PF_OK);
  CU_ASSERT_EQUAL(z.res.status, PF_EINVAL); /* range() arg 3 must not be zero */
  CU_ASSERT_PTR_NULL(z.res.acc);
}

/* ---------------------------------------------------------------- lazy splitting happens */

static pf_pool *wait_pool; /* set by the test; read by the body at position 0 */

static pf_status_t waiting_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  struct timespec ts = {0, 1000000};
  if (pos == 0) {
    /* hold the first element until an idle worker has asked for a split (2 s at most) */
    for (int i = 0; i < 2000 && pf_pool_get_stats(wait_pool).split_requests == 0; i++)
      nanosleep(&ts, NULL);
  } else if (pos == 1) {
    /* the safepoint between 0 and 1 split; hold on until the idle worker has stolen */
    for (int i = 0; i < 2000 && pf_pool_get_stats(wait_pool).steals == 0; i++)
      nanosleep(&ts, NULL);
  }
  return prime_body(ctx, acc, x, pos, exc_p);
}

static void test_lazy_split(void) {
  static const pf_fold_ops ops = {.acc_new = cnt_new,
                                  .body = waiting_body,
                                  .merge = cnt_merge,
                                  .acc_free = cnt_free,
                                  .exc_free = NULL};
  fold_call c = {&ops, NULL, 0, 60000, 1, {0}, {0}};
  pf_job *job = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_pool_new(topo, 2, true, &wait_pool), PF_OK);
  CU_ASSERT_EQUAL_FATAL(pf_job_new(wait_pool, &job), PF_OK);
  CU_ASSERT_EQUAL(pf_job_run(job, fold_root, &c), PF_OK);
  pf_pool_stats st = pf_pool_get_stats(wait_pool);
  CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
  CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, 6057); /* pi(60000) */
  cnt_free(NULL, c.res.acc);
  CU_ASSERT(st.split_requests >= 1);
  CU_ASSERT(st.splits >= 1); /* the running subrange gave its upper half away */
  CU_ASSERT(st.steals >= 1); /* and the idle worker took it */
  CU_ASSERT(c.res.parts >= 2);
  pf_job_free(job);
  pf_pool_free(wait_pool);
  wait_pool = NULL;
}

/* ---------------------------------------------------------------- uneven work, negative step */

static pf_status_t uneven_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  hold_first(pos);
  uint64_t h = (uint64_t)x ^ 0x9e3779b97f4a7c15u;
  int64_t work = (x < 0 ? -x : x) / 4; /* work grows with |x| */
  for (int64_t i = 0; i < work; i++)
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9u;
  *(uint64_t *)acc += h ^ pos;
  return PF_OK;
}

static const pf_fold_ops uneven_ops = {.acc_new = cnt_new,
                                       .body = uneven_body,
                                       .merge = cnt_merge,
                                       .acc_free = cnt_free,
                                       .exc_free = NULL};

static void test_uneven(void) {
  /* reference: a plain loop in Python order */
  uint64_t want = 0, pos = 0;
  for (int64_t x = 6000; x > -3000; x -= 3, pos++) {
    uint64_t acc = 0;
    uneven_body(NULL, &acc, x, pos, NULL);
    want += acc;
  }
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    fold_call c = {&uneven_ops, NULL, 6000, -3000, -3, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, want);
    cnt_free(NULL, c.res.acc);
  }
}

/* ---------------------------------------------------------------- list in Python order */

typedef struct ilist {
  size_t n, cap;
  int64_t *v;
} ilist;

static void *list_new(void *ctx) { return calloc(1, sizeof(ilist)); }
static void list_free(void *ctx, void *acc) {
  ilist *l = acc;
  free(l->v);
  free(l);
}
static int list_push(ilist *l, int64_t x) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    int64_t *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = x;
  return 0;
}
static void list_merge(void *ctx, void *into, const void *right) {
  const ilist *r = right;
  for (size_t i = 0; i < r->n; i++)
    if (list_push(into, r->v[i]) != 0)
      return;
}
static pf_status_t list_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  hold_first(pos);
  if (x % 5 == 0) /* a filter, as in [x * 3 for x in r if x % 5] */
    return PF_OK;
  for (volatile int i = 0; i < 50; i++)
    ;
  return list_push(acc, x * 3) ? PF_ENOMEM : PF_OK;
}

static void test_list_order(void) {
  static const pf_fold_ops ops = {.acc_new = list_new,
                                  .body = list_body,
                                  .merge = list_merge,
                                  .acc_free = list_free,
                                  .exc_free = NULL};
  ilist want = {0};
  for (int64_t x = -50000; x < 70000; x += 7)
    CU_ASSERT_FATAL(list_body(NULL, &want, x, 0, NULL) == PF_OK);
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    fold_call c = {&ops, NULL, -50000, 70000, 7, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    ilist *got = c.res.acc;
    CU_ASSERT_EQUAL(got->n, want.n);
    CU_ASSERT(got->n == want.n && memcmp(got->v, want.v, want.n * sizeof *want.v) == 0);
    list_free(NULL, got);
  }
  free(want.v);
}

/* ---------------------------------------------------------------- exact float sum */

static double fval(int64_t x) {
  /* magnitudes from 1e-8 to 1e16 with alternating signs: a naive sum loses bits */
  double m = pow(10.0, (double)(x % 25) - 8.0);
  return (x % 2 ? -1.0 : 1.0) * m / (double)(x % 13 + 1) + 1.0 / (double)(x + 3);
}

static void *fs_new(void *ctx) { return pf_fsum_new(); }
static void fs_free(void *ctx, void *acc) { pf_fsum_free(acc); }
static void fs_merge(void *ctx, void *into, const void *right) { pf_fsum_merge(into, right); }
static pf_status_t fs_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  hold_first(pos);
  pf_fsum_add(acc, fval(x));
  return PF_OK;
}

static void test_fsum(void) {
  static const pf_fold_ops ops = {
      .acc_new = fs_new, .body = fs_body, .merge = fs_merge, .acc_free = fs_free, .exc_free = NULL};
  enum { N = 150000 };
  pf_fsum *ref = pf_fsum_new();
  CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
  double naive = 0.0;
  for (int64_t x = 0; x < N; x++) {
    pf_fsum_add(ref, fval(x));
    naive += fval(x);
  }
  pf_err err;
  double want;
  CU_ASSERT_EQUAL_FATAL(pf_fsum_result(ref, &want, &err), PF_OK);
  pf_fsum_free(ref);
  CU_ASSERT(want != naive); /* the workload does need an exact accumulator */
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    fold_call c = {&ops, NULL, 0, N, 1, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    double got;
    CU_ASSERT_EQUAL(pf_fsum_result(c.res.acc, &got, &err), PF_OK);
    CU_ASSERT(memcmp(&got, &want, sizeof got) == 0); /* bitwise */
    fs_free(NULL, c.res.acc);
  }
}

/* ---------------------------------------------------------------- min with ties */

typedef struct minacc {
  int64_t key;
  uint64_t pos;
  int any;
} minacc;

static void *min_new(void *ctx) { return calloc(1, sizeof(minacc)); }
static void min_free(void *ctx, void *acc) { free(acc); }
static pf_status_t min_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  hold_first(pos);
  minacc *m = acc;
  int64_t key = (x * 7919) % 10007; /* 0 at every multiple of 10007: many ties */
  if (!m->any || key < m->key) {    /* strict: a left-to-right scan keeps the first */
    m->key = key;
    m->pos = pos;
    m->any = 1;
  }
  return PF_OK;
}
static void min_merge(void *ctx, void *into, const void *right) {
  minacc *a = into;
  const minacc *b = right;
  if (b->any && (!a->any || b->key < a->key))
    *a = *b;
}

static void test_min_ties(void) {
  static const pf_fold_ops ops = {
      .acc_new = min_new, .body = min_body, .merge = min_merge, .acc_free = min_free};
  unsigned threads[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    fold_call c = {&ops, NULL, 1, 150000, 1, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL_FATAL(c.res.status, PF_OK);
    minacc *m = c.res.acc;
    CU_ASSERT_EQUAL(m->key, 0);
    CU_ASSERT_EQUAL(m->pos, 10006); /* x = 10007, the first of 14 ties */
    min_free(NULL, m);
  }
}

/* ---------------------------------------------------------------- first exception wins */

typedef struct exc_ctx {
  uint64_t early, late;    /* positions that raise; early < late */
  atomic_int late_raised;  /* the late one happened */
  atomic_int early_waited; /* the early one saw the late one first */
  atomic_long evaluated;   /* elements evaluated */
} exc_ctx;

static void exc_free(void *ctx, void *exc) { free(exc); }

static pf_status_t exc_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  exc_ctx *c = ctx;
  atomic_fetch_add_explicit(&c->evaluated, 1, memory_order_relaxed);
  if (pos == c->late || pos == c->early) {
    if (pos == c->early) {
      /* hold back until the later position has failed in another subrange (1 s at most) */
      struct timespec ts = {0, 1000000};
      for (int i = 0; i < 1000 && !atomic_load(&c->late_raised); i++)
        nanosleep(&ts, NULL);
      atomic_store(&c->early_waited, atomic_load(&c->late_raised));
    } else {
      atomic_store(&c->late_raised, 1);
    }
    uint64_t *e = malloc(sizeof *e);
    if (e)
      *e = pos;
    *exc_p = e;
    return PF_EPYEXC;
  }
  return prime_body(ctx, acc, x, pos, exc_p);
}

static void test_first_exception(void) {
  static const pf_fold_ops ops = {.acc_new = cnt_new,
                                  .body = exc_body,
                                  .merge = cnt_merge,
                                  .acc_free = cnt_free,
                                  .exc_free = exc_free};
  unsigned threads[3] = {1, 2, 4};
  int late_first = 0;
  for (int i = 0; i < 3; i++) {
    exc_ctx ctx = {.early = 45000, .late = 70000};
    atomic_init(&ctx.late_raised, 0);
    atomic_init(&ctx.early_waited, 0);
    atomic_init(&ctx.evaluated, 0);
    /* range(100000, 300000, 2): positions 45000 and 70000 are x = 190000 and 240000 */
    fold_call c = {&ops, &ctx, 100000, 300000, 2, {0}, {0}};
    CU_ASSERT_EQUAL_FATAL(run_fold(threads[i], &c), PF_OK);
    CU_ASSERT_EQUAL(c.res.status, PF_EPYEXC);
    CU_ASSERT_EQUAL(c.res.exc_pos, 45000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.res.exc);
    CU_ASSERT_EQUAL(*(uint64_t *)c.res.exc, 45000);
    /* the elements before position 45000 are x = 100000, 100002, ... 189998: no primes */
    CU_ASSERT_PTR_NOT_NULL(c.res.acc);
    if (c.res.acc)
      CU_ASSERT_EQUAL(*(uint64_t *)c.res.acc, 0);
    cnt_free(NULL, c.res.acc);
    free(c.res.exc);
    if (threads[i] == 1) {
      CU_ASSERT_EQUAL(atomic_load(&ctx.late_raised), 0);   /* sequential: never reached */
      CU_ASSERT_EQUAL(atomic_load(&ctx.evaluated), 45001); /* and nothing after 45000 */
    } else {
      CU_ASSERT(atomic_load(&ctx.evaluated) < 100000); /* work after the cut was dropped */
      late_first += atomic_load(&ctx.early_waited);
    }
  }
  CU_ASSERT(late_first >= 1); /* the later position did fail first in time */
}

int sched_suite_fold(void) {
  CU_pSuite s = CU_add_suite("fold", suite_init, suite_clean);
  if (!s || !CU_add_test(s, "isPrime count over range(2e5): 1, 2, 4 threads", test_primes) ||
      !CU_add_test(s, "a VM-style loop with its own safepoints", test_vm_loop) ||
      !CU_add_test(s, "nested folds: 1, 2, 4 threads", test_nested) ||
      !CU_add_test(s, "empty range, step 0", test_empty) ||
      !CU_add_test(s, "an idle worker makes the running subrange split", test_lazy_split) ||
      !CU_add_test(s, "uneven work, negative step: 1, 2, 4 threads", test_uneven) ||
      !CU_add_test(s, "list comprehension keeps Python order", test_list_order) ||
      !CU_add_test(s, "exact float sum bitwise identical", test_fsum) ||
      !CU_add_test(s, "min keeps the first of equal keys", test_min_ties) ||
      !CU_add_test(s, "first exception in Python order wins", test_first_exception))
    return CU_get_error();
  return 0;
}
