/* pool.c — worker threads with a deque each, stealing nearest first; jobs; fork/join. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched_int.h"

#define PF_DEQUE_LOG_SIZE 8

/* ---------------------------------------------------------------- jobs */

void pf_sched_job_add(pf_job *job) {
  atomic_fetch_add_explicit(&job->pending, 1, memory_order_relaxed);
}

void pf_sched_job_done(pf_job *job) {
  if (atomic_fetch_sub_explicit(&job->pending, 1, memory_order_acq_rel) != 1)
    return;
  pf_pool *pool = job->pool;
  atomic_fetch_sub_explicit(&pool->active_jobs, 1, memory_order_relaxed);
  pthread_mutex_lock(&job->mu);
  job->finished = true;
  pthread_cond_broadcast(&job->cv);
  pthread_mutex_unlock(&job->mu); /* the waiter may free "job" from here on */
}

pf_status_t pf_job_new(pf_pool *pool, pf_job **job_p) {
  pf_job *job = calloc(1, sizeof *job);
  if (!job)
    return PF_ENOMEM;
  job->pool = pool;
  atomic_init(&job->cancel, 0);
  atomic_init(&job->pending, 0);
  if (pthread_mutex_init(&job->mu, NULL) != 0) {
    free(job);
    return PF_ENOMEM;
  }
  if (pthread_cond_init(&job->cv, NULL) != 0) {
    pthread_mutex_destroy(&job->mu);
    free(job);
    return PF_ENOMEM;
  }
  *job_p = job;
  return PF_OK;
}

void pf_job_free(pf_job *job) {
  if (!job)
    return;
  pthread_cond_destroy(&job->cv);
  pthread_mutex_destroy(&job->mu);
  free(job);
}

void pf_job_cancel(pf_job *job) { atomic_store_explicit(&job->cancel, 1, memory_order_relaxed); }

bool pf_job_cancelled(const pf_job *job) {
  return atomic_load_explicit(&((pf_job *)job)->cancel, memory_order_relaxed) != 0;
}

pf_status_t pf_job_start(pf_job *job, pf_task_fn fn, void *arg) {
  if (job->started)
    return PF_EINVAL;
  job->started = true;
  pf_pool *pool = job->pool;
  pf_task *t = &job->root;
  memset(t, 0, sizeof *t);
  t->fn = fn;
  t->arg = arg;
  t->job = job;
  atomic_init(&t->done, 0);
  atomic_store_explicit(&job->pending, 1, memory_order_relaxed);
  pthread_mutex_lock(&pool->mu);
  atomic_fetch_add_explicit(&pool->active_jobs, 1, memory_order_relaxed);
  if (pool->inj_tail)
    pool->inj_tail->next = t;
  else
    pool->inj_head = t;
  pool->inj_tail = t;
  atomic_fetch_add_explicit(&pool->inj_count, 1, memory_order_release);
  pthread_cond_broadcast(&pool->cv);
  pthread_mutex_unlock(&pool->mu);
  return PF_OK;
}

bool pf_job_finished(pf_job *job) {
  pthread_mutex_lock(&job->mu);
  bool done = job->finished;
  pthread_mutex_unlock(&job->mu);
  return done;
}

pf_status_t pf_job_wait(pf_job *job) {
  if (!job->started)
    return PF_EINVAL;
  pthread_mutex_lock(&job->mu);
  while (!job->finished)
    pthread_cond_wait(&job->cv, &job->mu);
  pthread_mutex_unlock(&job->mu);
  return pf_job_cancelled(job) ? PF_ECANCELED : PF_OK;
}

pf_status_t pf_job_run(pf_job *job, pf_task_fn fn, void *arg) {
  pf_status_t st = pf_job_start(job, fn, arg);
  return st != PF_OK ? st : pf_job_wait(job);
}

/* ---------------------------------------------------------------- running and finding work */

void pf_sched_run_task(pf_worker *w, pf_task *t) {
  pf_job *job = t->job, *saved = w->job;
  int owned = t->owned;
  w->job = job;
  counter_inc(&w->tasks);
  t->fn(w, t->arg);
  w->job = saved;
  if (!owned)
    atomic_store_explicit(&t->done, 1, memory_order_release);
  pf_sched_job_done(job);
}

static pf_task *steal_from(pf_worker *w) {
  pf_pool *pool = w->pool;
  for (unsigned i = 0; i < w->nvictims; i++) {
    pf_worker *v = &pool->workers[w->victims[i]];
    for (int tries = 0; tries < 4; tries++) {
      void *x = NULL;
      pf_status_t st = pf_deque_steal(v->dq, &x);
      if (st == PF_OK) {
        counter_inc(&w->steals);
        return x;
      }
      if (st == PF_ENOENT)
        break;
    }
  }
  return NULL;
}

pf_task *pf_sched_find_local(pf_worker *w) {
  pf_task *t = pf_deque_pop(w->dq);
  return t ? t : steal_from(w);
}

static pf_task *take_root(pf_pool *pool) {
  if (atomic_load_explicit(&pool->inj_count, memory_order_acquire) == 0)
    return NULL;
  pthread_mutex_lock(&pool->mu);
  pf_task *t = pool->inj_head;
  if (t) {
    pool->inj_head = t->next;
    if (!pool->inj_head)
      pool->inj_tail = NULL;
    t->next = NULL;
    atomic_fetch_sub_explicit(&pool->inj_count, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&pool->mu);
  return t;
}

void pf_sched_request_split(pf_worker *w) {
  pf_pool *pool = w->pool;
  for (unsigned i = 0; i < w->nvictims; i++) {
    pf_worker *v = &pool->workers[w->victims[i]];
    /* a worker in a fold splits its subrange; one running other code may fork a call */
    if (atomic_load_explicit(&v->in_fold, memory_order_relaxed) > 0 ||
        atomic_load_explicit(&v->busy, memory_order_relaxed)) {
      if (atomic_exchange_explicit(&v->split_req, 1, memory_order_relaxed) == 0)
        counter_inc(&w->requests);
      return;
    }
  }
}

void pf_sched_backoff(unsigned rounds) {
  if (rounds < 8) {
    sched_yield();
    return;
  }
  long ns = rounds > 64 ? 200000 : (long)rounds * 3000;
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
}

static void *worker_main(void *arg) {
  pf_worker *w = arg;
  pf_pool *pool = w->pool;
  if (pool->pin && pf_topo_pin_worker(pool->topo, w->id) == PF_OK) {
    atomic_store(&w->pinned, true);
    if (pf_topo_bind_memory(pool->topo, w->id) == PF_OK)
      atomic_store(&w->membound, true);
  }
  pthread_mutex_lock(&pool->mu);
  pool->ready++;
  pthread_cond_broadcast(&pool->cv);
  pthread_mutex_unlock(&pool->mu);
  unsigned rounds = 0;
  while (!atomic_load_explicit(&pool->stop, memory_order_acquire)) {
    pf_task *t = pf_sched_find_local(w);
    if (!t)
      t = take_root(pool);
    if (t) {
      rounds = 0;
      atomic_store_explicit(&w->busy, 1, memory_order_relaxed);
      pf_sched_run_task(w, t);
      atomic_store_explicit(&w->busy, 0, memory_order_relaxed);
      continue;
    }
    if (atomic_load_explicit(&pool->active_jobs, memory_order_relaxed) == 0) {
      pthread_mutex_lock(&pool->mu);
      while (!atomic_load(&pool->stop) && atomic_load(&pool->inj_count) == 0 &&
             atomic_load(&pool->active_jobs) == 0)
        pthread_cond_wait(&pool->cv, &pool->mu);
      pthread_mutex_unlock(&pool->mu);
      rounds = 0;
      continue;
    }
    pf_sched_request_split(w);
    pf_sched_backoff(++rounds);
  }
  return NULL;
}

/* ---------------------------------------------------------------- fork/join */

pf_status_t pf_sched_fork(pf_worker *w, pf_task *t) {
  t->job = w->job;
  t->owned = 0;
  t->next = NULL;
  atomic_store_explicit(&t->done, 0, memory_order_relaxed);
  pf_sched_job_add(t->job);
  pf_status_t st = pf_deque_push(w->dq, t);
  if (st != PF_OK)
    atomic_fetch_sub_explicit(&t->job->pending, 1, memory_order_relaxed);
  return st;
}

int64_t pf_worker_queued(const pf_worker *w) { return pf_deque_size(w->dq); }

bool pf_worker_take_split_request(pf_worker *w) {
  return atomic_load_explicit(&w->split_req, memory_order_relaxed) &&
         atomic_exchange_explicit(&w->split_req, 0, memory_order_relaxed);
}

bool pf_sched_unfork(pf_worker *w, pf_task *t) {
  pf_task *x = pf_deque_pop(w->dq);
  if (x == t) {
    atomic_store_explicit(&t->done, 1, memory_order_release);
    pf_sched_job_done(t->job);
    return true;
  }
  if (x && pf_deque_push(w->dq, x) != PF_OK)
    pf_sched_run_task(w, x); /* cannot happen: the slot was just freed; run it rather than lose it */
  return false;
}

void pf_sched_join(pf_worker *w, pf_task *t) {
  unsigned rounds = 0;
  while (!atomic_load_explicit(&t->done, memory_order_acquire)) {
    pf_task *x = pf_sched_find_local(w);
    if (x) {
      rounds = 0;
      pf_sched_run_task(w, x);
      continue;
    }
    pf_sched_request_split(w);
    pf_sched_backoff(++rounds);
  }
}

/* ---------------------------------------------------------------- pool */

pf_status_t pf_pool_new(const pf_topo *topo, unsigned nthreads, bool pin, pf_pool **pool_p) {
  pf_status_t ret = PF_OK;
  if (nthreads == 0)
    nthreads = pf_topo_get_counts(topo).pus;
  pf_pool *pool = calloc(1, sizeof *pool);
  PF_CHECK(!pool, fail, ret, PF_ENOMEM);
  pool->topo = topo;
  pool->n = nthreads;
  atomic_init(&pool->inj_count, 0);
  atomic_init(&pool->active_jobs, 0);
  atomic_init(&pool->stop, false);
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->cv, NULL);
  pthread_mutex_init(&pool->rmu, NULL);
  atomic_init(&pool->rpeers, 0);
  atomic_init(&pool->rwant, 0);
  atomic_init(&pool->rnext, 1);
  pool->workers = aligned_alloc(64, nthreads * sizeof *pool->workers);
  PF_CHECK(!pool->workers, fail_pool, ret, PF_ENOMEM);
  memset(pool->workers, 0, nthreads * sizeof *pool->workers);
  for (unsigned i = 0; i < nthreads; i++) {
    pf_worker *w = &pool->workers[i];
    w->pool = pool;
    w->id = i;
    atomic_init(&w->split_req, 0);
    atomic_init(&w->in_fold, 0);
    atomic_init(&w->pinned, false);
    atomic_init(&w->membound, false);
    atomic_init(&w->busy, 0);
    w->nvictims = nthreads - 1;
    w->victims = calloc(nthreads, sizeof *w->victims);
    PF_CHECK(!w->victims, fail_pool, ret, PF_ENOMEM);
    pf_topo_victim_order(topo, i, nthreads, w->victims);
    ret = pf_deque_new(PF_DEQUE_LOG_SIZE, &w->dq);
    PF_CHECK(ret != PF_OK, fail_pool, ret, ret);
  }
  pool->pin = pin;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setstacksize(&ta, PF_SCHED_STACK_BYTES);
  for (unsigned i = 0; i < nthreads && ret == PF_OK; i++) {
    pf_worker *w = &pool->workers[i];
    if (pthread_create(&w->thread, &ta, worker_main, w) != 0)
      ret = PF_EAGAIN;
    else
      w->started = true;
  }
  pthread_attr_destroy(&ta);
  PF_CHECK(ret != PF_OK, fail_pool, ret, ret);
  /* return a pool whose workers are all running (and pinned, where allowed) */
  pthread_mutex_lock(&pool->mu);
  while (pool->ready < nthreads)
    pthread_cond_wait(&pool->cv, &pool->mu);
  pthread_mutex_unlock(&pool->mu);
  *pool_p = pool;
  return PF_OK;

fail_pool:
  pf_pool_free(pool);
fail:
  return ret;
}

void pf_pool_free(pf_pool *pool) {
  if (!pool)
    return;
  pthread_mutex_lock(&pool->mu);
  atomic_store(&pool->stop, true);
  pthread_cond_broadcast(&pool->cv);
  pthread_mutex_unlock(&pool->mu);
  if (pool->workers) {
    for (unsigned i = 0; i < pool->n; i++)
      if (pool->workers[i].started)
        pthread_join(pool->workers[i].thread, NULL);
    for (unsigned i = 0; i < pool->n; i++) {
      pf_deque_free(pool->workers[i].dq);
      free(pool->workers[i].victims);
    }
  }
  free(pool->workers);
  pthread_cond_destroy(&pool->cv);
  pthread_mutex_destroy(&pool->mu);
  pthread_mutex_destroy(&pool->rmu);
  free(pool);
}

unsigned pf_pool_size(const pf_pool *pool) { return pool->n; }

pf_pool_stats pf_pool_get_stats(const pf_pool *pool) {
  pf_pool_stats s = {0};
  s.workers = pool->n;
  for (unsigned i = 0; i < pool->n; i++) {
    pf_worker *w = &pool->workers[i];
    s.splits += atomic_load_explicit(&w->splits, memory_order_relaxed);
    s.steals += atomic_load_explicit(&w->steals, memory_order_relaxed);
    s.split_requests += atomic_load_explicit(&w->requests, memory_order_relaxed);
    s.tasks += atomic_load_explicit(&w->tasks, memory_order_relaxed);
    s.pinned += atomic_load(&w->pinned) ? 1 : 0;
    s.membound += atomic_load(&w->membound) ? 1 : 0;
    s.busy += atomic_load_explicit(&w->busy, memory_order_relaxed) ? 1 : 0;
  }
  return s;
}

unsigned pf_worker_pool_size(const pf_worker *w) { return w->pool->n; }

unsigned pf_worker_id(const pf_worker *w) { return w->id; }

pf_job *pf_worker_job(const pf_worker *w) { return w->job; }

bool pf_worker_split_wanted(const pf_worker *w) {
  return atomic_load_explicit(&((pf_worker *)w)->split_req, memory_order_relaxed) != 0;
}
