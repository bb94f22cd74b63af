/* sched_int.h — struct bodies of core/sched; never included outside core/sched. */
#ifndef PF_SCHED_INT_H
#define PF_SCHED_INT_H

#include <pthread.h>

#include "pf_sched.h"

/* A counter written only by its worker, read by anyone (stats). */
typedef _Atomic uint64_t pf_counter;

static inline void counter_inc(pf_counter *c) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1, memory_order_relaxed);
}

struct pf_worker {
  _Alignas(64) atomic_int split_req; /* "someone is idle": set by thieves, cleared by owner */
  atomic_int in_fold;                /* > 0 while running a fold subrange */
  atomic_int busy;                   /* 1 while running a task from its idle loop */
  pf_pool *pool;
  unsigned id;
  pf_deque *dq;
  unsigned *victims; /* the other workers, nearest first */
  unsigned nvictims;
  pf_job *job; /* owner only: the job of the running task */
  pf_counter splits, steals, requests, tasks;
  pthread_t thread;
  bool started;
  atomic_bool pinned;
  atomic_bool membound; /* its memory bound to its NUMA node (or only one node) */
};

struct pf_pool {
  const pf_topo *topo;
  unsigned n;
  bool pin;
  pf_worker *workers;
  pthread_mutex_t mu; /* the root-task queue, sleeping, start-up */
  pthread_cond_t cv;
  pf_task *inj_head, *inj_tail;
  unsigned ready; /* workers that have started (under "mu") */
  atomic_int inj_count;
  atomic_int active_jobs;
  atomic_bool stop;
  /* other machines (fold.c): the remote ops, the table of parts sent and of parts received
   * (under "rmu"), whether a machine wants work, ids of parts and folds */
  const pf_remote_ops *rops;
  void *rctx;
  atomic_uint rpeers;
  atomic_int rwant;
  pthread_mutex_t rmu;
  struct remote_part *rparts;
  struct recv_fold *rfolds;
  pf_remote_call *rcalls;
  _Atomic uint64_t rnext;
  pf_remote_stats rstats; /* under "rmu" */
};

struct pf_job {
  pf_pool *pool;
  atomic_int cancel;
  atomic_long pending; /* tasks of the job not yet finished */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool finished, started;
  pf_task root;
};

/* Runs "t" on "w" and accounts for it in its job (pool.c). */
void pf_sched_run_task(pf_worker *w, pf_task *t);
/* Finds a task for "w": its own deque, then its victims' (pool.c). NULL when none. */
pf_task *pf_sched_find_local(pf_worker *w);
/* Raises the "someone is idle" flag of the nearest victim of "w" that runs a fold (pool.c). */
void pf_sched_request_split(pf_worker *w);
/* Waits a little, more as "rounds" grows (pool.c). */
void pf_sched_backoff(unsigned rounds);
/* Counts one more task in "job" (pool.c). */
void pf_sched_job_add(pf_job *job);
/* Counts one task of "job" finished; wakes the waiter after the last (pool.c). */
void pf_sched_job_done(pf_job *job);

#endif
