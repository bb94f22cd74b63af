/* rt_int.h — private to core/rt: the computation record and the runtime's state.
 * Never included outside core/rt. */
#ifndef PF_RT_INT_H
#define PF_RT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "pf_interp.h"
#include "pf_rt.h"
#include "pf_topo.h"

typedef enum pf_comp_state { PF_COMP_QUEUED, PF_COMP_RUNNING, PF_COMP_DONE } pf_comp_state;

/* One computation. Lives in the runtime's table from submit until release; a computation
 * released while a worker runs it leaves the table at once and is freed by that worker. */
typedef struct pf_comp {
  uint64_t num;            /* the N of id "cN" */
  pf_program *prog;        /* owned; freed once the run ends */
  atomic_int cancel;       /* polled by the interpreter at safepoints */
  pf_comp_state state;     /* guarded by the runtime's mutex, as is everything below */
  int released;            /* running and released: the worker frees it */
  json_t *result;          /* {"values", "exception"} once done; owned */
  struct pf_comp *q_next;  /* queue link */
  struct pf_comp *h_next;  /* hash bucket link */
} pf_comp;

#define PF_RT_BUCKETS 1024u

typedef struct pf_rt_worker {
  struct pf_rt *rt;
  unsigned index;
  pthread_t thread;
  int started;
} pf_rt_worker;

struct pf_rt {
  pthread_mutex_t mu;
  pthread_cond_t work_cv; /* a computation was queued, or stop */
  pthread_cond_t done_cv; /* a computation finished, or stop (CLOCK_MONOTONIC) */
  int stop;
  uint64_t next_num;
  pf_comp *buckets[PF_RT_BUCKETS];
  pf_comp *q_head, *q_tail;
  unsigned nworkers;
  pf_rt_worker *workers;
  pf_topo *topo; /* may be NULL when hwloc could not load */
  unsigned busy;
  unsigned pinned; /* workers that pinned themselves to their PU */
  unsigned queued;
  unsigned live; /* computations in the table */
  /* counters */
  uint64_t n_submitted, n_rejected, n_started, n_done, n_cancelled, n_released, n_exceptions;
};

#endif
