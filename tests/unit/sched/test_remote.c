/* CUnit: remote parts — a fold's subrange split off to "another machine" (a thread of this
 * test playing it through pf_remote_ops): its result combined in order, positions it gives
 * back, a part that stops early there (resumed here), and a machine lost with its part
 * unfinished (recomputed here). Every outcome is the sequential sum of x over the range. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pf_sched.h"
#include "pf_value.h"
#include "test_sched.h"

#define N 400000

static pf_topo *topo;

static int suite_init(void) { return pf_topo_load(&topo) == PF_OK ? 0 : 1; }
static int suite_clean(void) {
  pf_topo_destroy(topo);
  return 0;
}

/* The fold: sum of x (an int64 accumulator), 200 ns of work per element so that the remote
 * side runs while the local one still does. */
static void *sum_new(void *ctx) { return calloc(1, sizeof(int64_t)); }
static void sum_free(void *ctx, void *acc) { free(acc); }
static void sum_merge(void *ctx, void *into, const void *right) {
  *(int64_t *)into += *(const int64_t *)right;
}
static void spin(void) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do
    clock_gettime(CLOCK_MONOTONIC, &t);
  while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 200);
}
static pf_status_t sum_body(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p) {
  spin();
  *(int64_t *)acc += x;
  return PF_OK;
}
static bool sum_describe(void *ctx, pf_val *out) {
  *out = pf_int(42);
  return true;
}
static void *sum_import(void *ctx, pf_val v) {
  if (v.tag != PF_INT)
    return NULL;
  int64_t *a = malloc(sizeof *a);
  if (a)
    *a = v.u.i;
  return a;
}
static const pf_fold_ops ops = {.acc_new = sum_new,
                                .body = sum_body,
                                .merge = sum_merge,
                                .acc_free = sum_free,
                                .describe = sum_describe,
                                .acc_import = sum_import};

/* The other machine, in this process. */
enum { MODE_FINISH, MODE_STOP_EARLY, MODE_GIVE_BACK, MODE_DIE };
typedef struct fake {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pf_pool *pool;
  int mode;
  int wants;         /* requests for work not yet claimed */
  int got;           /* a part arrived */
  uint64_t part;
  pf_subrange sr;
  int desc_ok;
  int asked_back;
  int stop;
} fake;
static fake F;

static int f_claim(void *rctx) {
  fake *f = rctx;
  pthread_mutex_lock(&f->mu);
  int m = f->wants > 0 ? (f->wants--, 1) : -1;
  pthread_mutex_unlock(&f->mu);
  return m;
}
static pf_status_t f_send(void *rctx, int machine, uint64_t part, uint64_t key, void *fold_ctx,
                          const pf_subrange *sr, pf_val desc) {
  fake *f = rctx;
  pthread_mutex_lock(&f->mu);
  f->part = part;
  f->sr = *sr;
  f->desc_ok = machine == 1 && desc.tag == PF_INT && desc.u.i == 42;
  f->got = 1;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
  return PF_OK;
}
static void f_ask_back(void *rctx, int machine, uint64_t part) {
  fake *f = rctx;
  pthread_mutex_lock(&f->mu);
  f->asked_back++;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
}
static pf_status_t f_give_back(void *rctx, int machine, uint64_t part, const pf_subrange *sr) {
  return PF_ENOTSUP;
}
static const pf_remote_ops rops = {
    .claim = f_claim, .send = f_send, .ask_back = f_ask_back, .give_back = f_give_back};

static int64_t sum_range(int64_t a, int64_t b) { return (a + b - 1) * (b - a) / 2; }

/* The other machine's thread: waits for the part, then answers as its mode says. */
static void *fake_main(void *arg) {
  fake *f = arg;
  pthread_mutex_lock(&f->mu);
  while (!f->got && !f->stop)
    pthread_cond_wait(&f->cv, &f->mu);
  pf_subrange sr = f->sr;
  uint64_t part = f->part;
  int mode = f->mode;
  if (mode == MODE_GIVE_BACK) /* wait until the owner has nothing else to do */
    while (!f->asked_back && !f->stop)
      pthread_cond_wait(&f->cv, &f->mu);
  pthread_mutex_unlock(&f->mu);
  if (f->stop && !f->got)
    return NULL;
  int64_t a = sr.cursor, b = sr.bound; /* step 1, positions = values here */
  switch (mode) {
  case MODE_FINISH:
    pf_pool_remote_result(f->pool, part, pf_int(sum_range(a, b)), (uint64_t)b);
    break;
  case MODE_STOP_EARLY: { /* done up to the middle: the owner resumes from there */
    int64_t m = a + (b - a) / 3;
    pf_pool_remote_result(f->pool, part, pf_int(sum_range(a, m)), (uint64_t)m);
    break;
  }
  case MODE_GIVE_BACK: {
    int64_t m = a + (b - a) / 4;
    pf_subrange back = sr;
    back.cursor = m;
    back.pos = back.index = (uint64_t)m;
    pf_pool_remote_returned(f->pool, part, &back);
    pf_pool_remote_result(f->pool, part, pf_int(sum_range(a, m)), (uint64_t)m);
    break;
  }
  case MODE_DIE: {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    CU_ASSERT_EQUAL(pf_pool_remote_lost(f->pool, 1), 1);
    CU_ASSERT_EQUAL(pf_pool_remote_lost(f->pool, 1), 0);
    /* a result after the loss is ignored */
    pf_pool_remote_result(f->pool, part, pf_int(123456789), (uint64_t)b);
    break;
  }
  }
  return NULL;
}

typedef struct call {
  pf_fold_result res;
} call;

static void root(pf_worker *w, void *arg) {
  call *c = arg;
  c->res.status = pf_fold_exec(w, &ops, NULL, PF_FOLD_SUM, 1, 0, N, 1, &c->res);
}

static pf_remote_stats run_mode(int mode, int64_t *sum_p) {
  pf_remote_stats none;
  memset(&none, 0, sizeof none);
  memset(&F, 0, sizeof F);
  pthread_mutex_init(&F.mu, NULL);
  pthread_cond_init(&F.cv, NULL);
  F.mode = mode;
  F.wants = 1;
  pf_pool *pool = NULL;
  pf_job *job = NULL;
  if (pf_pool_new(topo, 1, false, &pool) != PF_OK)
    return none;
  F.pool = pool;
  pf_pool_set_remote(pool, &rops, &F);
  pf_pool_set_remote_peers(pool, 1);
  pf_pool_remote_wanted(pool);
  pthread_t th;
  pthread_create(&th, NULL, fake_main, &F);
  call c;
  memset(&c, 0, sizeof c);
  CU_ASSERT_EQUAL(pf_job_new(pool, &job), PF_OK);
  CU_ASSERT_EQUAL(pf_job_run(job, root, &c), PF_OK);
  pthread_mutex_lock(&F.mu);
  F.stop = 1;
  pthread_cond_broadcast(&F.cv);
  pthread_mutex_unlock(&F.mu);
  pthread_join(th, NULL);
  CU_ASSERT_EQUAL(c.res.status, PF_OK);
  CU_ASSERT(F.got && F.desc_ok);
  *sum_p = c.res.acc ? *(int64_t *)c.res.acc : -1;
  free(c.res.acc);
  pf_remote_stats s = pf_pool_remote_stats(pool);
  pf_job_free(job);
  pf_pool_free(pool);
  pthread_cond_destroy(&F.cv);
  pthread_mutex_destroy(&F.mu);
  return s;
}

static void check_balanced(const pf_remote_stats *s) {
  CU_ASSERT_EQUAL(s->outstanding, 0);
  CU_ASSERT_EQUAL(s->parts_sent, 1);
  CU_ASSERT(s->positions_sent >= 2 && s->positions_sent <= N / 2);
  CU_ASSERT_EQUAL(s->positions_sent, s->positions_done + s->positions_returned +
                                         s->positions_resumed + s->positions_dropped +
                                         s->positions_recomputed);
}

static void test_finish(void) {
  int64_t sum;
  pf_remote_stats s = run_mode(MODE_FINISH, &sum);
  CU_ASSERT_EQUAL(sum, sum_range(0, N));
  check_balanced(&s);
  CU_ASSERT_EQUAL(s.parts_done, 1);
  CU_ASSERT_EQUAL(s.positions_done, s.positions_sent);
}

static void test_stop_early(void) {
  int64_t sum;
  pf_remote_stats s = run_mode(MODE_STOP_EARLY, &sum);
  CU_ASSERT_EQUAL(sum, sum_range(0, N));
  check_balanced(&s);
  CU_ASSERT(s.positions_resumed > 0 && s.positions_done > 0);
}

static void test_give_back(void) {
  int64_t sum;
  pf_remote_stats s = run_mode(MODE_GIVE_BACK, &sum);
  CU_ASSERT_EQUAL(sum, sum_range(0, N));
  check_balanced(&s);
  CU_ASSERT(s.gave_back_asks >= 1);
  CU_ASSERT(s.positions_returned > 0 && s.positions_done > 0);
}

static void test_lost(void) {
  int64_t sum;
  pf_remote_stats s = run_mode(MODE_DIE, &sum);
  CU_ASSERT_EQUAL(sum, sum_range(0, N));
  check_balanced(&s);
  CU_ASSERT_EQUAL(s.parts_lost, 1);
  CU_ASSERT_EQUAL(s.positions_recomputed, s.positions_sent);
  CU_ASSERT_EQUAL(s.positions_done, 0);
}

int sched_suite_remote(void) {
  CU_pSuite s = CU_add_suite("remote parts", suite_init, suite_clean);
  if (!s || !CU_add_test(s, "a part finished on another machine", test_finish) ||
      !CU_add_test(s, "a part stopped early there is resumed here", test_stop_early) ||
      !CU_add_test(s, "positions given back run here", test_give_back) ||
      !CU_add_test(s, "a lost machine's part is recomputed here", test_lost))
    return CU_get_error();
  return 0;
}
