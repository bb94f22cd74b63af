/* rt_int.h — private to core/rt: the computation record and the runtime's state.
 * Never included outside core/rt. */
#ifndef PF_RT_INT_H
#define PF_RT_INT_H

#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <stdint.h>

#include "pf_defcache.h"
#include "pf_interp.h"
#include "pf_rt.h"
#include "pf_sched.h"
#include "pf_store.h"
#include "pf_topo.h"

/* The owner of a program's values: the program (freed after its run only once no stored
 * object refers to it) and the owners of the stored objects it used. */
typedef struct pf_prog_holder {
  pf_store_owner base; /* first: the store sees a pf_store_owner */
  pf_program *prog;
  pf_store_owner **deps;
  size_t ndeps, capdeps;
  json_t *doc;          /* in a cluster: the IR document, for other machines (migrate.c) */
  struct pf_ship *ship; /* its pages once published (migrate.c) */
} pf_prog_holder;

typedef struct pf_migrate pf_migrate;

/* The download policy of a computation ("download" in the request). */
typedef enum { PF_DL_ALL, PF_DL_NONE, PF_DL_MAX } pf_dl_mode;

typedef enum pf_comp_state { PF_COMP_QUEUED, PF_COMP_RUNNING, PF_COMP_DONE } pf_comp_state;

/* One computation. Lives in the runtime's table from submit until release; a computation
 * released while a worker runs it leaves the table at once and is freed by that worker. */
typedef struct pf_comp {
  uint64_t num;            /* the N of id "cN" */
  pf_prog_holder *holder;  /* one reference, dropped once the run ends */
  pf_dl_mode dl_mode;
  size_t dl_max;           /* PF_DL_MAX: largest encoding returned inline */
  uint64_t session;        /* the client session its stored outputs belong to (0: none) */
  atomic_int cancel;       /* polled by the interpreter at safepoints */
  atomic_uint_fast64_t work; /* safepoints passed so far (the interpreter adds to it) */
  pf_comp_state state;     /* guarded by the runtime's mutex, as is everything below */
  int released;            /* running and released: the worker frees it */
  pf_job *job;             /* while running: its job in the pool (cancel reaches every subrange) */
  json_t *result;          /* {"values", "exception"} once done; owned */
  struct pf_comp *q_next;  /* queue link */
  struct pf_comp *h_next;  /* hash bucket link */
} pf_comp;

#define PF_RT_BUCKETS 1024u

/* A client session: its objects are released when no heartbeat came for lease_s seconds and
 * none of its computations is queued or running. */
typedef struct pf_session {
  uint64_t num;
  double lease_s;
  double last; /* CLOCK_MONOTONIC seconds of the last heartbeat */
  unsigned active; /* computations queued or running */
  struct pf_session *next;
} pf_session;

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
  pf_topo *topo; /* hwloc's, or a flat synthetic one when hwloc could not load */
  pf_pool *pool; /* the workers (core/sched): one job per running computation */
  _Atomic(pf_migrate *) mig; /* fold parts between machines (migrate.c), once attached */
  pf_jit *jit;    /* the native tier (NULL: interpret only) */
  unsigned busy;
  unsigned queued;
  unsigned live; /* computations in the table */
  pf_store *store;
  pf_session *sessions;
  uint64_t next_session;
  pthread_t reaper;
  int reaper_started;
  uint64_t n_sessions_expired;
  json_t *defs; /* definition cache: id -> definition JSON ("file" as a name); defs.c */
  pf_defcache *dcache; /* the same definitions compiled once, shared by programs; defs.c */
  uint64_t n_defs_received, n_defs_hits;
  /* counters */
  uint64_t n_submitted, n_rejected, n_started, n_done, n_cancelled, n_released, n_exceptions, n_objects_made;
};

/* A block's bound outputs, collected during its run (values owned). */
typedef struct pf_rt_output {
  char *name;
  pf_val val;
} pf_rt_output;
typedef struct pf_rt_outputs {
  pf_rt_output *items;
  size_t n, cap;
} pf_rt_outputs;

/* migrate.c: frees the migration state (after the pool); frees a holder's pages record;
 * the "migration" object of GET /v1/stats. */
void pf_rt_migrate_free(pf_rt *rt);
void pf_rt_ship_free(struct pf_ship *s);
json_t *pf_rt_migrate_stats(pf_rt *rt);

/* defs.c: makes the definition caches of "rt" (rt->defs, rt->dcache). */
pf_status_t pf_rt_defs_init(pf_rt *rt) PF_WUR;
/* defs.c: frees them; after every program loaded with them was destroyed. NULLs are no-ops. */
void pf_rt_defs_fini(pf_rt *rt);
/* defs.c (the runtime's mutex held): adds the "definitions_*" counters to "j". */
void pf_rt_defs_stats(pf_rt *rt, json_t *j);
/* defs.c: the pf_def_resolver of the definition cache ("ctx" is the runtime; takes rt->mu). */
pf_status_t pf_rt_def_resolve(void *ctx, const char *id, json_t **out);

/* sessions.c (the runtime's mutex held): the session numbered "num", or NULL. */
pf_session *pf_rt_session_find(pf_rt *rt, uint64_t num);
/* Parses "sN"; returns 0 when "id" is not of that form. */
int pf_rt_session_parse(const char *id, uint64_t *num_p);
/* The reaper thread's body ("arg" is the runtime): expires sessions until rt->stop. */
void *pf_rt_reaper_main(void *arg);
/* CLOCK_MONOTONIC now, in seconds. */
double pf_rt_now(void);

/* objects.c. Returns a new holder with one reference and no program. */
pf_prog_holder *pf_rt_holder_new(void);
/* Loads "doc" with object definitions resolved from rt's store; new holder in *holder_p. */
pf_status_t pf_rt_load(pf_rt *rt, const json_t *doc, pf_prog_holder **holder_p,
                       json_t **err_p) PF_WUR;
/* Reads "download" of "doc"; PF_EPROTO with a new error object in *err_p when malformed. */
pf_status_t pf_rt_parse_policy(const json_t *doc, pf_dl_mode *mode_p, size_t *max_p,
                               json_t **err_p) PF_WUR;
/* Appends a reference to "v" under "name" to "o". */
pf_status_t pf_rt_outputs_add(pf_rt_outputs *o, const char *name, pf_val v) PF_WUR;
/* Drops everything "o" holds and empties it. */
void pf_rt_outputs_free(pf_rt_outputs *o);
/* Sets one entry of "vals" per output: its encoding, or a stored object's proxy, as comp's
 * download policy says. comp->holder must still be set. */
pf_status_t pf_rt_outputs_encode(pf_rt *rt, pf_comp *comp, const pf_rt_outputs *o,
                                 json_t *vals) PF_WUR;

/* The CLOCK_MONOTONIC time "seconds" from now, for pthread_cond_timedwait on the runtime's
 * condition variables (which use that clock). */
struct timespec pf_rt_deadline_after(double seconds);

#endif
