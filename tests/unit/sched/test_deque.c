/* CUnit: the Chase–Lev deque — LIFO for the owner, FIFO for thieves, growth, and owner
 * push/pop racing several thieves: every item taken exactly once. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "pf_sched.h"
#include "test_sched.h"

static void test_lifo_fifo(void) {
  pf_deque *dq = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_deque_new(4, &dq), PF_OK);
  int items[100];
  void *x = NULL;
  CU_ASSERT_PTR_NULL(pf_deque_pop(dq));
  CU_ASSERT_EQUAL(pf_deque_steal(dq, &x), PF_ENOENT);
  for (int i = 0; i < 100; i++) {
    items[i] = i;
    CU_ASSERT_EQUAL(pf_deque_push(dq, &items[i]), PF_OK);
  }
  CU_ASSERT_EQUAL(pf_deque_size(dq), 100);
  for (int i = 99; i >= 50; i--)
    CU_ASSERT_PTR_EQUAL(pf_deque_pop(dq), &items[i]); /* owner: last in, first out */
  for (int i = 0; i < 50; i++) {
    CU_ASSERT_EQUAL(pf_deque_steal(dq, &x), PF_OK); /* thief: oldest first */
    CU_ASSERT_PTR_EQUAL(x, &items[i]);
  }
  CU_ASSERT_EQUAL(pf_deque_steal(dq, &x), PF_ENOENT);
  CU_ASSERT_PTR_NULL(pf_deque_pop(dq));
  CU_ASSERT_EQUAL(pf_deque_size(dq), 0);
  /* mixed: both ends of one deque */
  for (int i = 0; i < 10; i++)
    CU_ASSERT_EQUAL(pf_deque_push(dq, &items[i]), PF_OK);
  CU_ASSERT_EQUAL(pf_deque_steal(dq, &x), PF_OK);
  CU_ASSERT_PTR_EQUAL(x, &items[0]);
  CU_ASSERT_PTR_EQUAL(pf_deque_pop(dq), &items[9]);
  CU_ASSERT_EQUAL(pf_deque_steal(dq, &x), PF_OK);
  CU_ASSERT_PTR_EQUAL(x, &items[1]);
  for (int i = 8; i >= 2; i--)
    CU_ASSERT_PTR_EQUAL(pf_deque_pop(dq), &items[i]);
  CU_ASSERT_PTR_NULL(pf_deque_pop(dq));
  pf_deque_free(dq);
  pf_deque_free(NULL);
}

static void test_growth(void) {
  pf_deque *dq = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_deque_new(1, &dq), PF_OK);
  CU_ASSERT_EQUAL(pf_deque_capacity(dq), 2);
  enum { N = 5000 };
  static int items[N];
  void *x = NULL;
  int stolen = 0;
  /* steal now and then so the live window wraps around the buffer before each growth */
  for (int i = 0; i < N; i++) {
    items[i] = i;
    CU_ASSERT_EQUAL(pf_deque_push(dq, &items[i]), PF_OK);
    if (i % 7 == 3) {
      CU_ASSERT_EQUAL(pf_deque_steal(dq, &x), PF_OK);
      CU_ASSERT_PTR_EQUAL(x, &items[stolen]); /* FIFO across growths */
      stolen++;
    }
  }
  int64_t left = pf_deque_size(dq);
  CU_ASSERT_EQUAL(left, N - (N + 3) / 7);
  CU_ASSERT(pf_deque_capacity(dq) >= left);
  CU_ASSERT(pf_deque_capacity(dq) < 4 * left);
  /* what is left: the newest by pop in descending order, all distinct */
  int prev = N;
  int64_t popped = 0;
  while ((x = pf_deque_pop(dq))) {
    CU_ASSERT(*(int *)x < prev);
    prev = *(int *)x;
    popped++;
  }
  CU_ASSERT_EQUAL(popped, left);
  pf_deque_free(dq);
}

/* ---------------------------------------------------------------- concurrent */

typedef struct dq_item {
  uint64_t id; /* written by the owner before the push; read by whoever takes it */
  atomic_int taken;
} dq_item;

typedef struct dq_shared {
  pf_deque *dq;
  atomic_bool done;
  atomic_int running;
} dq_shared;

typedef struct dq_thief {
  dq_shared *sh;
  pthread_t th;
  uint64_t count, sum, aborts;
} dq_thief;

static void take(dq_item *it, uint64_t *count, uint64_t *sum) {
  atomic_fetch_add_explicit(&it->taken, 1, memory_order_relaxed);
  (*count)++;
  *sum += it->id;
}

static void *thief_main(void *arg) {
  dq_thief *t = arg;
  atomic_fetch_add(&t->sh->running, 1);
  for (;;) {
    void *x = NULL;
    pf_status_t st = pf_deque_steal(t->sh->dq, &x);
    if (st == PF_OK)
      take(x, &t->count, &t->sum);
    else if (st == PF_EAGAIN)
      t->aborts++;
    else if (atomic_load(&t->sh->done))
      break; /* the owner pushes nothing after "done" and the deque is empty */
  }
  return NULL;
}

static void test_concurrent(void) {
  enum { THIEVES = 3, ROUNDS = 3000, MAXPUSH = 40 };
  size_t cap = (size_t)ROUNDS * MAXPUSH;
  dq_item *items = calloc(cap, sizeof *items);
  CU_ASSERT_PTR_NOT_NULL_FATAL(items);
  dq_shared sh;
  CU_ASSERT_EQUAL_FATAL(pf_deque_new(2, &sh.dq), PF_OK);
  atomic_init(&sh.done, false);
  atomic_init(&sh.running, 0);
  dq_thief th[THIEVES] = {{0}};
  for (int i = 0; i < THIEVES; i++) {
    th[i].sh = &sh;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i].th, NULL, thief_main, &th[i]), 0);
  }
  while (atomic_load(&sh.running) < THIEVES)
    sched_yield();
  uint64_t n = 0, own_count = 0, own_sum = 0;
  unsigned seed = 12345;
  for (int r = 0; r < ROUNDS; r++) {
    unsigned k = 1 + (unsigned)rand_r(&seed) % MAXPUSH;
    for (unsigned i = 0; i < k; i++) {
      items[n].id = n + 1;
      atomic_init(&items[n].taken, 0);
      CU_ASSERT_EQUAL(pf_deque_push(sh.dq, &items[n]), PF_OK);
      n++;
    }
    if (r == 0) {
      /* the first items wait (2 s at most) until a thief is really stealing */
      for (int i = 0; i < 2000 && pf_deque_size(sh.dq) == (int64_t)k; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
      }
    }
    unsigned pops = (unsigned)rand_r(&seed) % (k + 1);
    if (r % 10 == 9)
      pops = ~0u; /* every tenth round: drain, racing the thieves for the last item */
    for (unsigned i = 0; i < pops; i++) {
      void *x = pf_deque_pop(sh.dq);
      if (!x)
        break;
      take(x, &own_count, &own_sum);
    }
  }
  void *x;
  while ((x = pf_deque_pop(sh.dq)))
    take(x, &own_count, &own_sum);
  atomic_store(&sh.done, true);
  uint64_t count = own_count, sum = own_sum, stolen = 0;
  for (int i = 0; i < THIEVES; i++) {
    pthread_join(th[i].th, NULL);
    count += th[i].count;
    sum += th[i].sum;
    stolen += th[i].count;
  }
  CU_ASSERT_EQUAL(count, n);
  CU_ASSERT_EQUAL(sum, n * (n + 1) / 2);
  uint64_t bad = 0;
  for (uint64_t i = 0; i < n; i++)
    bad += atomic_load(&items[i].taken) != 1;
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(stolen > 0); /* the thieves did take part */
  CU_ASSERT(pf_deque_capacity(sh.dq) >= MAXPUSH);
  pf_deque_free(sh.dq);
  free(items);
}

int sched_suite_deque(void) {
  CU_pSuite s = CU_add_suite("deque", NULL, NULL);
  if (!s || !CU_add_test(s, "owner LIFO, thief FIFO", test_lifo_fifo) ||
      !CU_add_test(s, "growth with a wrapped window", test_growth) ||
      !CU_add_test(s, "owner vs 3 thieves, 3000 rounds", test_concurrent))
    return CU_get_error();
  return 0;
}
