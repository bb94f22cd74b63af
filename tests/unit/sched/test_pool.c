/* CUnit: the worker pool — fork/join of independent tasks, jobs, stats, and cancellation of
 * a whole job (every subrange of a running fold stops). */
#include <stdlib.h>
#include <time.h>

#include "pf_sched.h"
#include "test_sched.h"

static pf_topo *topo;

static int suite_init(void) { return pf_topo_load(&topo) == PF_OK ? 0 : 1; }
static int suite_clean(void) {
  pf_topo_destroy(topo);
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- fork/join */

typedef struct fib_arg {
  int n;
  uint64_t result;
  unsigned ran_on_mask; /* workers that ran some node (OR of 1 << id) */
} fib_arg;

static atomic_uint fib_mask;

static void fib_task(pf_worker *w, void *arg) {
  fib_arg *a = arg;
  atomic_fetch_or(&fib_mask, 1u << (pf_worker_id(w) % 32));
  if (a->n < 2) {
    a->result = (uint64_t)a->n;
    return;
  }
  volatile uint64_t spin = 0; /* some work per node so thieves find something */
  for (int i = 0; i < 200; i++)
    spin += (uint64_t)i;
  fib_arg x = {a->n - 1, 0, 0}, y = {a->n - 2, 0, 0};
  pf_task tx = {.fn = fib_task, .arg = &x};
  if (pf_sched_fork(w, &tx) != PF_OK) {
    fib_task(w, &x);
    fib_task(w, &y);
  } else {
    fib_task(w, &y);
    pf_sched_join(w, &tx);
  }
  a->result = x.result + y.result;
}

static void test_fork_join(void) {
  for (unsigned threads = 1; threads <= 4; threads *= 2) {
    pf_pool *pool = NULL;
    CU_ASSERT_EQUAL_FATAL(pf_pool_new(topo, threads, true, &pool), PF_OK);
    CU_ASSERT_EQUAL(pf_pool_size(pool), threads);
    for (int rep = 0; rep < 3; rep++) {
      atomic_store(&fib_mask, 0);
      pf_job *job = NULL;
      CU_ASSERT_EQUAL_FATAL(pf_job_new(pool, &job), PF_OK);
      fib_arg a = {20, 0, 0};
      CU_ASSERT_EQUAL(pf_job_run(job, fib_task, &a), PF_OK);
      CU_ASSERT_EQUAL(a.result, 6765);
      CU_ASSERT_FALSE(pf_job_cancelled(job));
      pf_job_free(job);
    }
    pf_pool_stats st = pf_pool_get_stats(pool);
    CU_ASSERT_EQUAL(st.workers, threads);
    CU_ASSERT(st.tasks >= 3 * 10945); /* every node with n >= 2 forked one task: fib(21)-1 */
    if (threads == 1) {
      CU_ASSERT_EQUAL(st.steals, 0);
    }
    pf_pool_free(pool);
  }
  pf_pool_free(NULL);
  pf_job_free(NULL);
}

/* ---------------------------------------------------------------- cancellation */

typedef struct slow_ctx {
  atomic_long elements;
  atomic_uint workers_seen;
} slow_ctx;

static void *cnt_new(void *ctx) { return calloc(1, sizeof(uint64_t)); }
static void cnt_free(void *ctx, void *acc) { free(acc); }
static void cnt_merge(void *ctx, void *into, const void *right) {
  *(uint64_t *)into += *(const uint64_t *)right;
}

static pf_status_t slow_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  slow_ctx *c = ctx;
  volatile uint64_t h = (uint64_t)x;
  for (int i = 0; i < 2000; i++)
    h = h * 6364136223846793005u + 1442695040888963407u;
  *(uint64_t *)acc += h & 1;
  atomic_fetch_add_explicit(&c->elements, 1, memory_order_relaxed);
  return PF_OK;
}

static const pf_fold_ops slow_ops = {.acc_new = cnt_new,
                                     .body = slow_body,
                                     .merge = cnt_merge,
                                     .acc_free = cnt_free,
                                     .exc_free = NULL};

typedef struct cancel_call {
  slow_ctx ctx;
  pf_fold_result res;
} cancel_call;

static void cancel_root(pf_worker *w, void *arg) {
  cancel_call *c = arg;
  c->res.status =
      pf_fold_exec(w, &slow_ops, &c->ctx, PF_FOLD_SUM, 9, 0, INT64_C(1) << 40, 1, &c->res);
}

static void test_cancel(void) {
  pf_pool *pool = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_pool_new(topo, 3, false, &pool), PF_OK);
  pf_job *job = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_job_new(pool, &job), PF_OK);
  CU_ASSERT_EQUAL(pf_job_wait(job), PF_EINVAL); /* not started */
  cancel_call call = {0};
  CU_ASSERT_EQUAL_FATAL(pf_job_start(job, cancel_root, &call), PF_OK);
  /* wait until the fold runs on two workers at least (a split was stolen), 2 s at most */
  double t0 = now_s();
  pf_pool_stats st = pf_pool_get_stats(pool);
  while (now_s() - t0 < 2.0 &&
         (atomic_load(&call.ctx.elements) < 2000 || st.steals == 0 || st.busy < 2)) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    st = pf_pool_get_stats(pool);
  }
  CU_ASSERT(st.splits >= 1);
  CU_ASSERT(st.steals >= 1);
  CU_ASSERT(st.busy >= 2);
  CU_ASSERT_FALSE(pf_job_finished(job)); /* 2^40 elements: far from done */
  double cancelled_at = now_s();
  pf_job_cancel(job);
  CU_ASSERT_EQUAL(pf_job_wait(job), PF_ECANCELED);
  double returned = now_s();
  CU_ASSERT(pf_job_finished(job));
  CU_ASSERT(pf_job_cancelled(job));
  CU_ASSERT_EQUAL(call.res.status, PF_ECANCELED);
  CU_ASSERT_PTR_NULL(call.res.acc);
  CU_ASSERT(returned - cancelled_at < 1.0); /* every subrange stopped promptly */
  long done = atomic_load(&call.ctx.elements);
  CU_ASSERT(done >= 2000 && done < (INT64_C(1) << 40));
  /* nothing of the job runs after it finished */
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
  CU_ASSERT_EQUAL(atomic_load(&call.ctx.elements), done);
  CU_ASSERT(call.res.parts >= 2); /* the stolen subranges stopped too, and were collected */
  for (int i = 0; i < 1000 && pf_pool_get_stats(pool).busy != 0; i++)
    nanosleep(&ts, NULL); /* a worker clears its flag just after finishing the job */
  CU_ASSERT_EQUAL(pf_pool_get_stats(pool).busy, 0);
  pf_job_free(job);
  /* the pool is still usable after a cancelled job */
  CU_ASSERT_EQUAL_FATAL(pf_job_new(pool, &job), PF_OK);
  fib_arg a = {15, 0, 0};
  CU_ASSERT_EQUAL(pf_job_run(job, fib_task, &a), PF_OK);
  CU_ASSERT_EQUAL(a.result, 610);
  CU_ASSERT_EQUAL(pf_job_run(job, fib_task, &a), PF_EINVAL); /* a job runs once */
  pf_job_free(job);
  pf_pool_free(pool);
}

/* A pool laid out on a 16-PU synthetic machine (unpinned: its PUs are not this machine's)
 * runs fork/join and a fold like any other: victims of every distance class get used. */
static void test_synthetic_pool(void) {
  pf_topo *t = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_topo_load_synthetic("pack:2 numa:2 l3:1 core:2 pu:2", &t), PF_OK);
  pf_pool *pool = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_pool_new(t, 0, false, &pool), PF_OK);
  CU_ASSERT_EQUAL(pf_pool_size(pool), 16);
  pf_job *job = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_job_new(pool, &job), PF_OK);
  fib_arg a = {18, 0, 0};
  CU_ASSERT_EQUAL(pf_job_run(job, fib_task, &a), PF_OK);
  CU_ASSERT_EQUAL(a.result, 2584);
  pf_job_free(job);
  pf_pool_stats st = pf_pool_get_stats(pool);
  CU_ASSERT_EQUAL(st.pinned, 0);
  CU_ASSERT(st.tasks >= 4180); /* fib(19) - 1 forked tasks and the root */
  pf_pool_free(pool);
  pf_topo_destroy(t);
}

int sched_suite_pool(void) {
  CU_pSuite s = CU_add_suite("pool", suite_init, suite_clean);
  if (!s || !CU_add_test(s, "fork/join fib(20) on 1, 2, 4 threads", test_fork_join) ||
      !CU_add_test(s, "cancel a job stops every subrange", test_cancel) ||
      !CU_add_test(s, "a pool on a synthetic 16-PU machine", test_synthetic_pool))
    return CU_get_error();
  return 0;
}
