/* fold.c — splittable folds over ranges: subranges run sequentially, split lazily at
 * safepoints when a worker is idle (or another machine is: remote parts), and their parts
 * combine in Python order. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched_int.h"

/* One finished subrange. */
typedef struct fold_part {
  struct fold_part *next;
  uint64_t index;     /* position of its first element */
  void *acc;          /* its accumulator (owned) */
  pf_status_t status; /* PF_OK, PF_ECANCELED (stopped early), or the failure */
  void *exc;          /* failure: the exception record (owned) */
  uint64_t exc_pos;   /* failure: the failing position */
} fold_part;

/* One fold in progress: the in-memory continuation of its subranges (pf_subrange.cont). */
typedef struct pf_fold {
  const pf_fold_ops *ops;
  void *ctx;
  pf_job *job;
  _Atomic uint64_t cut;       /* earliest failing position so far; UINT64_MAX: none */
  atomic_long outstanding;    /* subranges not yet published */
  _Atomic(fold_part *) parts; /* finished subranges (lock-free stack) */
  atomic_int lost;            /* a part record could not be allocated */
  /* other machines */
  uint64_t key;               /* this fold's id in the pool (describe caching) */
  atomic_int export_state;    /* EXP_* */
  pf_val desc;                /* EXP_YES: the description (owned) */
  atomic_int nremote;         /* remote parts sent and not back (counted in outstanding) */
  struct orphan *orphans;     /* positions to run here (under pool->rmu) */
  atomic_int norphans;
  uint64_t last_ask_ns;       /* owner only: when it last asked a machine to give back, */
  uint64_t ask_gap_ns;        /* and how long it waits before asking again */
  /* a part received from another machine: where it came from; its end (a cursor: lowered
   * when positions are given back); asks from the origin */
  int machine; /* -1: a fold of this machine */
  uint64_t origin;
  _Atomic int64_t end;
  atomic_int give_back, stop_req;
} pf_fold;

enum { EXP_UNKNOWN, EXP_BUSY, EXP_YES, EXP_NO };

/* A part sent to another machine (in pool->rparts, under pool->rmu). "sub" holds its
 * positions: cursor/pos at the split, bound lowered when the machine gives some back. */
typedef struct remote_part {
  struct remote_part *next;
  uint64_t id;
  int machine;
  pf_fold *f;
  pf_subrange sub;
} remote_part;

/* Positions of a fold to run on its owner (a part that came back unfinished). */
typedef struct orphan {
  struct orphan *next;
  pf_subrange sub;
} orphan;

/* A part received from another machine, running here (in pool->rfolds). */
typedef struct recv_fold {
  struct recv_fold *next;
  int machine;
  uint64_t origin;
  pf_fold *f;
} recv_fold;

/* A split-off subrange waiting in a deque or running on a thief. */
typedef struct fold_task {
  pf_task task;
  pf_subrange sub;
} fold_task;

static void lower_cut(pf_fold *f, uint64_t pos) {
  uint64_t cur = atomic_load_explicit(&f->cut, memory_order_relaxed);
  while (pos < cur && !atomic_compare_exchange_weak_explicit(
                          &f->cut, &cur, pos, memory_order_relaxed, memory_order_relaxed))
    ;
}

static void fold_task_main(pf_worker *w, void *arg);

/* Hands the upper half of "sr" to the deque of "w", where idle workers steal it. */
static void split_off(pf_worker *w, pf_fold *f, pf_subrange *sr) {
  fold_task *ft = malloc(sizeof *ft);
  if (!ft)
    return; /* no split: this worker just goes on */
  if (!pf_subrange_split(sr, &ft->sub)) {
    free(ft);
    return;
  }
  memset(&ft->task, 0, sizeof ft->task);
  ft->task.fn = fold_task_main;
  ft->task.arg = ft;
  ft->task.job = f->job;
  ft->task.owned = 1;
  atomic_fetch_add_explicit(&f->outstanding, 1, memory_order_relaxed);
  pf_sched_job_add(f->job);
  if (pf_deque_push(w->dq, &ft->task) != PF_OK) {
    sr->bound = ft->sub.bound; /* take the upper half back */
    atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&f->job->pending, 1, memory_order_relaxed);
    free(ft);
    return;
  }
  counter_inc(&w->splits);
}

/* ---------------------------------------------------------------- other machines */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "sr" moved on to position "pos" (within it): cursor and pos advanced, index = pos. */
static void sub_at(pf_subrange *sr, uint64_t pos) {
  uint64_t k = pos - sr->pos;
  sr->cursor = (int64_t)((uint64_t)sr->cursor + k * (uint64_t)sr->step);
  sr->pos = sr->index = pos;
}

/* Position just after the last element of "sr". */
static uint64_t sub_end(const pf_subrange *sr) { return sr->pos + pf_subrange_count(sr); }

/* Under pool->rmu: the positions of "sub" are to run on the owner of "f". */
static void add_orphan(pf_fold *f, const pf_subrange *sub) {
  orphan *o = malloc(sizeof *o);
  if (!o) {
    atomic_store(&f->lost, 1);
    lower_cut(f, sub->pos);
    atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_release);
    return;
  }
  o->sub = *sub;
  o->sub.cont = f;
  o->next = f->orphans;
  f->orphans = o;
  atomic_fetch_add_explicit(&f->norphans, 1, memory_order_release);
}

static orphan *take_orphan(pf_pool *pool, pf_fold *f) {
  if (atomic_load_explicit(&f->norphans, memory_order_acquire) == 0)
    return NULL;
  pthread_mutex_lock(&pool->rmu);
  orphan *o = f->orphans;
  if (o) {
    f->orphans = o->next;
    atomic_fetch_sub_explicit(&f->norphans, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&pool->rmu);
  return o;
}

/* Under pool->rmu: unlinks part "id" (NULL when unknown). */
static remote_part *unlink_part(pf_pool *pool, uint64_t id) {
  for (remote_part **pp = &pool->rparts; *pp; pp = &(*pp)->next)
    if ((*pp)->id == id) {
      remote_part *rp = *pp;
      *pp = rp->next;
      return rp;
    }
  return NULL;
}

/* At a safepoint of a fold of this machine: gives the unfinished half of "sr" to a machine
 * that wants work. */
static void try_export(pf_worker *w, pf_fold *f, pf_subrange *sr) {
  pf_pool *pool = w->pool;
  int st = atomic_load_explicit(&f->export_state, memory_order_acquire);
  if (st == EXP_NO || st == EXP_BUSY || pf_subrange_count(sr) < 2)
    return;
  if (st == EXP_UNKNOWN) {
    int expect = EXP_UNKNOWN;
    if (!f->ops->describe || !f->ops->acc_import) {
      atomic_store(&f->export_state, EXP_NO);
      return;
    }
    if (!atomic_compare_exchange_strong(&f->export_state, &expect, EXP_BUSY))
      return;
    pf_val d;
    bool ok = f->ops->describe(f->ctx, &d);
    if (ok)
      f->desc = d;
    atomic_store_explicit(&f->export_state, ok ? EXP_YES : EXP_NO, memory_order_release);
    if (!ok)
      return;
  }
  if (!atomic_exchange_explicit(&pool->rwant, 0, memory_order_acq_rel))
    return;
  int m = pool->rops->claim(pool->rctx);
  if (m < 0)
    return;
  remote_part *rp = calloc(1, sizeof *rp);
  if (!rp || !pf_subrange_split(sr, &rp->sub)) {
    free(rp);
    pf_pool_remote_wanted(pool); /* the claim stays: someone else may serve it */
    return;
  }
  rp->sub.cont = NULL;
  rp->id = atomic_fetch_add(&pool->rnext, 1);
  rp->machine = m;
  rp->f = f;
  uint64_t id = rp->id, n = pf_subrange_count(&rp->sub);
  pf_subrange sent = rp->sub;
  pthread_mutex_lock(&pool->rmu);
  rp->next = pool->rparts;
  pool->rparts = rp;
  atomic_fetch_add_explicit(&f->outstanding, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&f->nremote, 1, memory_order_relaxed);
  pool->rstats.parts_sent++;
  pool->rstats.positions_sent += n;
  pthread_mutex_unlock(&pool->rmu);
  pf_status_t sst = pool->rops->send(pool->rctx, m, id, f->key, f->ctx, &sent, f->desc);
  if (sst == PF_OK)
    return; /* "rp" may be gone already (its result came back) */
  if (sst == PF_ENOTSUP)
    atomic_store(&f->export_state, EXP_NO);
  pthread_mutex_lock(&pool->rmu);
  rp = unlink_part(pool, id);
  if (rp) {
    pool->rstats.parts_sent--;
    pool->rstats.positions_sent -= n;
    atomic_fetch_sub_explicit(&f->nremote, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&pool->rmu);
  if (rp) {
    sr->bound = rp->sub.bound; /* take the positions back */
    free(rp);
  }
}

/* At a safepoint of the last subrange of a received part: gives the unfinished half back. */
static void try_give_back(pf_worker *w, pf_fold *f, pf_subrange *sr) {
  pf_pool *pool = w->pool;
  if (!atomic_exchange(&f->give_back, 0))
    return;
  pf_subrange upper;
  if (!pf_subrange_split(sr, &upper))
    return;
  upper.cont = NULL;
  if (pool->rops->give_back(pool->rctx, f->machine, f->origin, &upper) != PF_OK) {
    sr->bound = upper.bound;
    return;
  }
  atomic_store(&f->end, sr->bound);
  pthread_mutex_lock(&pool->rmu);
  pool->rstats.positions_given_back += pf_subrange_count(&upper);
  pthread_mutex_unlock(&pool->rmu);
}

pf_status_t pf_fold_safepoint(pf_worker *w, pf_subrange *sr) {
  pf_fold *f = sr->cont;
  if (pf_job_cancelled(f->job))
    return PF_ECANCELED;
  if (sr->pos > atomic_load_explicit(&f->cut, memory_order_relaxed))
    return PF_ECANCELED;
  if (atomic_load_explicit(&w->split_req, memory_order_relaxed)) {
    atomic_store_explicit(&w->split_req, 0, memory_order_relaxed);
    if (pf_deque_size(w->dq) == 0)
      split_off(w, f, sr);
  }
  if (f->machine >= 0) {
    if (atomic_load_explicit(&f->stop_req, memory_order_relaxed))
      return PF_ECANCELED;
    if (atomic_load_explicit(&f->give_back, memory_order_relaxed) &&
        sr->bound == atomic_load_explicit(&f->end, memory_order_relaxed))
      try_give_back(w, f, sr);
  } else if (atomic_load_explicit(&w->pool->rwant, memory_order_relaxed)) {
    try_export(w, f, sr);
  }
  return PF_OK;
}

static void publish(pf_fold *f, fold_part *p) {
  fold_part *head = atomic_load_explicit(&f->parts, memory_order_relaxed);
  do
    p->next = head;
  while (!atomic_compare_exchange_weak_explicit(&f->parts, &head, p, memory_order_release,
                                                memory_order_relaxed));
}

/* The element loop of a subrange for ops->body: safepoint, next element, body. */
static void body_loop(pf_worker *w, pf_fold *f, pf_subrange *sr, fold_part *p) {
  for (;;) {
    if (pf_fold_safepoint(w, sr) != PF_OK) {
      p->status = PF_ECANCELED;
      return;
    }
    int64_t x;
    uint64_t pos;
    if (!pf_subrange_next(sr, &x, &pos))
      return;
    void *exc = NULL;
    pf_status_t st = f->ops->body(f->ctx, p->acc, x, pos, &exc);
    if (st != PF_OK) {
      p->status = st;
      p->exc = exc;
      p->exc_pos = pos;
      lower_cut(f, pos);
      return;
    }
  }
}

/* Runs subrange "sr" of fold "f" on "w" to its end (or to a stop) and publishes its part.
 * The caller then decrements f->outstanding. */
static void run_subrange(pf_worker *w, pf_fold *f, pf_subrange *sr) {
  const pf_fold_ops *ops = f->ops;
  fold_part *p = calloc(1, sizeof *p);
  if (!p) {
    atomic_store(&f->lost, 1);
    lower_cut(f, sr->pos);
    return;
  }
  p->index = sr->index;
  p->acc = ops->acc_new(f->ctx);
  if (!p->acc) {
    p->status = PF_ENOMEM;
    p->exc_pos = sr->pos;
    lower_cut(f, sr->pos);
    publish(f, p);
    return;
  }
  atomic_fetch_add_explicit(&w->in_fold, 1, memory_order_relaxed);
  if (ops->run) {
    void *exc = NULL;
    uint64_t pos = sr->pos;
    p->status = ops->run(f->ctx, w, p->acc, sr, &exc, &pos);
    if (p->status != PF_OK && p->status != PF_ECANCELED) {
      p->exc = exc;
      p->exc_pos = pos;
      lower_cut(f, pos);
    }
  } else {
    body_loop(w, f, sr, p);
  }
  atomic_fetch_sub_explicit(&w->in_fold, 1, memory_order_relaxed);
  atomic_store_explicit(&w->split_req, 0, memory_order_relaxed);
  publish(f, p);
}

static void fold_task_main(pf_worker *w, void *arg) {
  fold_task *ft = arg;
  pf_fold *f = ft->sub.cont;
  run_subrange(w, f, &ft->sub);
  free(ft);
  atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_release); /* "f" may go now */
}

static int part_cmp(const void *a, const void *b) {
  const fold_part *x = *(fold_part *const *)a, *y = *(fold_part *const *)b;
  return x->index < y->index ? -1 : x->index > y->index;
}

static void part_free(pf_fold *f, fold_part *p) {
  if (p->acc)
    f->ops->acc_free(f->ctx, p->acc);
  if (p->exc && f->ops->exc_free)
    f->ops->exc_free(f->ctx, p->exc);
  free(p);
}

/* Orders the parts of "f" by position and combines them into *res. */
static void combine(pf_fold *f, pf_fold_result *res) {
  size_t n = 0;
  fold_part *head = atomic_load_explicit(&f->parts, memory_order_acquire);
  for (fold_part *p = head; p; p = p->next)
    n++;
  fold_part **v = malloc((n ? n : 1) * sizeof *v);
  if (!v) {
    for (fold_part *p = head, *next; p; p = next) {
      next = p->next;
      part_free(f, p);
    }
    res->status = PF_ENOMEM;
    return;
  }
  n = 0;
  for (fold_part *p = head; p; p = p->next)
    v[n++] = p;
  qsort(v, n, sizeof *v, part_cmp);
  res->parts = n;
  fold_part *first_exc = NULL;
  bool stopped = false;
  for (size_t i = 0; i < n; i++) {
    if (v[i]->status == PF_ECANCELED)
      stopped = true;
    else if (v[i]->status != PF_OK && (!first_exc || v[i]->exc_pos < first_exc->exc_pos))
      first_exc = v[i];
  }
  if (pf_job_cancelled(f->job)) {
    res->status = PF_ECANCELED;
  } else if (atomic_load(&f->lost)) {
    res->status = PF_ENOMEM;
  } else if (first_exc) {
    res->status = first_exc->status;
    res->exc = first_exc->exc;
    res->exc_pos = first_exc->exc_pos;
    first_exc->exc = NULL;
    /* the elements before the failure: every part that starts earlier ran to its end (the
     * cut never passes them), and the failing part's accumulator stops before exc_pos */
    for (size_t i = 0; i < n && v[i]->index <= first_exc->index; i++) {
      if (v[i] != first_exc && v[i]->status != PF_OK) {
        if (res->acc)
          f->ops->acc_free(f->ctx, res->acc);
        res->acc = NULL;
        break;
      }
      if (!res->acc) {
        res->acc = v[i]->acc;
        v[i]->acc = NULL;
      } else if (v[i]->acc) {
        f->ops->merge(f->ctx, res->acc, v[i]->acc);
      }
    }
  } else if (stopped || n == 0) {
    res->status = PF_ECANCELED;
  } else {
    res->status = PF_OK;
    res->acc = v[0]->acc;
    v[0]->acc = NULL;
    for (size_t i = 1; i < n; i++)
      f->ops->merge(f->ctx, res->acc, v[i]->acc);
  }
  for (size_t i = 0; i < n; i++)
    part_free(f, v[i]);
  free(v);
}

/* Under pool->rmu: forgets the remote parts of "f" that are no longer needed — all when its
 * job is cancelled, else those after the earliest failure — and tells their machines. */
static void detach_parts(pf_pool *pool, pf_fold *f, remote_part **gone) {
  bool all = pf_job_cancelled(f->job);
  uint64_t cut = atomic_load_explicit(&f->cut, memory_order_relaxed);
  for (remote_part **pp = &pool->rparts; *pp;) {
    remote_part *rp = *pp;
    if (rp->f == f && (all || rp->sub.index > cut)) {
      *pp = rp->next;
      rp->next = *gone;
      *gone = rp;
      pool->rstats.positions_dropped += pf_subrange_count(&rp->sub);
      atomic_fetch_sub_explicit(&f->nremote, 1, memory_order_relaxed);
      atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_relaxed);
    } else {
      pp = &rp->next;
    }
  }
}

/* The owner of "f" has nothing to do while remote parts are out: drops those not needed,
 * or asks the machine of the largest one (at most every 2 ms) to give back its end. */
static void wait_remote(pf_worker *w, pf_fold *f) {
  pf_pool *pool = w->pool;
  remote_part *gone = NULL;
  int ask_machine = -1;
  uint64_t ask_part = 0;
  uint64_t now = now_ns();
  pthread_mutex_lock(&pool->rmu);
  if (pf_job_cancelled(f->job) || atomic_load(&f->cut) != UINT64_MAX) {
    detach_parts(pool, f, &gone);
  } else if (now - f->last_ask_ns > f->ask_gap_ns) {
    uint64_t best = 1;
    for (remote_part *rp = pool->rparts; rp; rp = rp->next)
      if (rp->f == f && pf_subrange_count(&rp->sub) > best) {
        best = pf_subrange_count(&rp->sub);
        ask_machine = rp->machine;
        ask_part = rp->id;
      }
    f->last_ask_ns = now;
    if (f->ask_gap_ns < 32000000u) /* 2 ms, doubling while nothing comes back */
      f->ask_gap_ns *= 2;
    if (ask_machine >= 0)
      pool->rstats.gave_back_asks++;
  }
  pthread_mutex_unlock(&pool->rmu);
  while (gone) {
    remote_part *next = gone->next;
    if (pool->rops->cancel)
      pool->rops->cancel(pool->rctx, gone->machine, gone->id);
    free(gone);
    gone = next;
  }
  if (ask_machine >= 0)
    pool->rops->ask_back(pool->rctx, ask_machine, ask_part);
}

/* Runs the first subrange of "f" on "w", then helps until every subrange and remote part is
 * in, then combines the parts into *res. */
static void fold_run(pf_worker *w, pf_fold *f, pf_subrange *sr, pf_fold_result *res) {
  pf_pool *pool = w->pool;
  f->key = atomic_fetch_add(&pool->rnext, 1);
  f->ask_gap_ns = 2000000u;
  f->desc = pf_unbound();
  atomic_init(&f->cut, UINT64_MAX);
  atomic_init(&f->outstanding, 1);
  atomic_init(&f->parts, NULL);
  atomic_init(&f->lost, 0);
  atomic_init(&f->export_state, pool->rops ? EXP_UNKNOWN : EXP_NO);
  atomic_init(&f->nremote, 0);
  atomic_init(&f->norphans, 0);
  atomic_init(&f->end, sr->bound);
  atomic_init(&f->give_back, 0);
  atomic_init(&f->stop_req, 0);
  sr->cont = f;
  run_subrange(w, f, sr);
  atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_release);
  /* help: run split-off halves and orphans ourselves, or steal work, until all are in */
  unsigned rounds = 0;
  while (atomic_load_explicit(&f->outstanding, memory_order_acquire) != 0) {
    orphan *o = take_orphan(pool, f);
    if (o) {
      rounds = 0;
      f->ask_gap_ns = 2000000u;
      run_subrange(w, f, &o->sub);
      free(o);
      atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_release);
      continue;
    }
    pf_task *t = pf_sched_find_local(w);
    if (t) {
      rounds = 0;
      pf_sched_run_task(w, t);
      continue;
    }
    if (atomic_load_explicit(&f->nremote, memory_order_acquire) > 0)
      wait_remote(w, f);
    pf_sched_request_split(w);
    pf_sched_backoff(++rounds);
  }
  combine(f, res);
  pf_decref(f->desc);
}

pf_status_t pf_fold_exec(pf_worker *w, const pf_fold_ops *ops, void *ctx, pf_fold_kind kind,
                         uint64_t code_id, int64_t start, int64_t stop, int64_t step,
                         pf_fold_result *res) {
  memset(res, 0, sizeof *res);
  pf_subrange sr;
  res->status = pf_subrange_init(&sr, kind, code_id, start, stop, step);
  if (res->status != PF_OK)
    return res->status;
  pf_fold f;
  memset(&f, 0, sizeof f);
  f.ops = ops;
  f.ctx = ctx;
  f.job = w->job;
  f.machine = -1;
  fold_run(w, &f, &sr, res);
  return res->status;
}

pf_status_t pf_fold_exec_part(pf_worker *w, const pf_fold_ops *ops, void *ctx,
                              const pf_subrange *part, int machine, uint64_t origin,
                              pf_fold_result *res, uint64_t *done_pos_p) {
  memset(res, 0, sizeof *res);
  pf_pool *pool = w->pool;
  pf_subrange sr = *part;
  sr.index = sr.pos;
  *done_pos_p = sr.pos;
  pf_fold f;
  memset(&f, 0, sizeof f);
  f.ops = ops;
  f.ctx = ctx;
  f.job = w->job;
  f.machine = machine < 0 ? 0 : machine;
  f.origin = origin;
  recv_fold rf = {.machine = f.machine, .origin = origin, .f = &f};
  pthread_mutex_lock(&pool->rmu);
  rf.next = pool->rfolds;
  pool->rfolds = &rf;
  pool->rstats.parts_received++;
  pool->rstats.positions_received += pf_subrange_count(&sr);
  pthread_mutex_unlock(&pool->rmu);
  pf_subrange first = sr;
  fold_run(w, &f, &sr, res);
  pthread_mutex_lock(&pool->rmu);
  for (recv_fold **pp = &pool->rfolds; *pp; pp = &(*pp)->next)
    if (*pp == &rf) {
      *pp = rf.next;
      break;
    }
  pthread_mutex_unlock(&pool->rmu);
  if (res->status == PF_OK) {
    first.bound = atomic_load(&f.end);
    *done_pos_p = sub_end(&first);
  } else if (res->status != PF_ECANCELED && res->status != PF_ENOMEM && res->acc) {
    *done_pos_p = res->exc_pos;
  }
  return res->status;
}

/* ---------------------------------------------------------------- messages from machines */

void pf_pool_set_remote(pf_pool *pool, const pf_remote_ops *ops, void *rctx) {
  pool->rops = ops;
  pool->rctx = rctx;
}

void pf_pool_set_remote_peers(pf_pool *pool, unsigned n) { atomic_store(&pool->rpeers, n); }

bool pf_worker_can_spread(const pf_worker *w) {
  return w->pool->n > 1 || (w->pool->rops && atomic_load(&w->pool->rpeers) > 0);
}

void pf_pool_remote_wanted(pf_pool *pool) {
  atomic_store_explicit(&pool->rwant, 1, memory_order_release);
}

void pf_pool_remote_result(pf_pool *pool, uint64_t part, pf_val acc, uint64_t done_pos) {
  pthread_mutex_lock(&pool->rmu);
  remote_part *rp = unlink_part(pool, part);
  if (!rp) {
    pthread_mutex_unlock(&pool->rmu);
    return;
  }
  pf_fold *f = rp->f;
  uint64_t end = sub_end(&rp->sub);
  if (done_pos > end || done_pos < rp->sub.pos)
    done_pos = rp->sub.pos; /* nonsense: recompute it all */
  if (done_pos > rp->sub.pos) {
    fold_part *p = calloc(1, sizeof *p);
    void *a = p && acc.tag != PF_UNBOUND ? f->ops->acc_import(f->ctx, acc) : NULL;
    if (a) {
      p->index = rp->sub.index;
      p->acc = a;
      p->status = PF_OK;
      publish(f, p);
      pool->rstats.parts_done++;
      pool->rstats.positions_done += done_pos - rp->sub.pos;
    } else {
      free(p);
      done_pos = rp->sub.pos;
    }
  }
  atomic_fetch_sub_explicit(&f->nremote, 1, memory_order_relaxed);
  if (done_pos == rp->sub.pos) /* nothing done there (refused, or failed at once): no more */
    atomic_store(&f->export_state, EXP_NO);
  if (done_pos < end) {
    pool->rstats.positions_resumed += end - done_pos;
    sub_at(&rp->sub, done_pos);
    add_orphan(f, &rp->sub); /* the part's count in "outstanding" passes to the orphan */
  } else {
    atomic_fetch_sub_explicit(&f->outstanding, 1, memory_order_release);
  }
  pthread_mutex_unlock(&pool->rmu);
  free(rp);
}

void pf_pool_remote_returned(pf_pool *pool, uint64_t part, const pf_subrange *given) {
  pthread_mutex_lock(&pool->rmu);
  remote_part *rp = pool->rparts;
  while (rp && rp->id != part)
    rp = rp->next;
  uint64_t end = rp ? sub_end(&rp->sub) : 0;
  if (rp && given->pos > rp->sub.pos && given->pos < end && sub_end(given) == end) {
    pf_subrange back = rp->sub;
    sub_at(&back, given->pos);
    rp->sub.bound = back.cursor;
    pool->rstats.positions_returned += end - given->pos;
    atomic_fetch_add_explicit(&rp->f->outstanding, 1, memory_order_relaxed);
    add_orphan(rp->f, &back);
  }
  pthread_mutex_unlock(&pool->rmu);
}

unsigned pf_pool_remote_lost(pf_pool *pool, int machine) {
  unsigned n = 0;
  remote_part *gone = NULL;
  pthread_mutex_lock(&pool->rmu);
  for (pf_remote_call **pp = &pool->rcalls; *pp;) { /* its calls are made here */
    pf_remote_call *rc = *pp;
    if (rc->machine != machine) {
      pp = &rc->next;
      continue;
    }
    *pp = rc->next;
    n++;
    pool->rstats.calls_failed++;
    atomic_store_explicit(&rc->state, PF_RCALL_FAILED, memory_order_release);
  }
  for (remote_part **pp = &pool->rparts; *pp;) {
    remote_part *rp = *pp;
    if (rp->machine != machine) {
      pp = &rp->next;
      continue;
    }
    *pp = rp->next;
    n++;
    pool->rstats.parts_lost++;
    pool->rstats.positions_recomputed += pf_subrange_count(&rp->sub);
    atomic_fetch_sub_explicit(&rp->f->nremote, 1, memory_order_relaxed);
    add_orphan(rp->f, &rp->sub);
    rp->next = gone;
    gone = rp;
  }
  /* parts received from it: their results have nowhere to go */
  for (recv_fold *rf = pool->rfolds; rf; rf = rf->next)
    if (rf->machine == machine)
      atomic_store(&rf->f->stop_req, 1);
  pthread_mutex_unlock(&pool->rmu);
  while (gone) {
    remote_part *next = gone->next;
    free(gone);
    gone = next;
  }
  return n;
}

void pf_pool_remote_ask(pf_pool *pool, int machine, uint64_t origin, bool stop) {
  pthread_mutex_lock(&pool->rmu);
  for (recv_fold *rf = pool->rfolds; rf; rf = rf->next)
    if (rf->machine == machine && rf->origin == origin)
      atomic_store(stop ? &rf->f->stop_req : &rf->f->give_back, 1);
  pthread_mutex_unlock(&pool->rmu);
}

pf_remote_stats pf_pool_remote_stats(pf_pool *pool) {
  pthread_mutex_lock(&pool->rmu);
  pf_remote_stats s = pool->rstats;
  for (remote_part *rp = pool->rparts; rp; rp = rp->next)
    s.outstanding++;
  pthread_mutex_unlock(&pool->rmu);
  return s;
}

/* ---------------------------------------------------------------- calls on other machines */

bool pf_worker_remote_wanted(const pf_worker *w) {
  return w->pool->rops && w->pool->rops->send_call &&
         atomic_load_explicit(&w->pool->rwant, memory_order_relaxed);
}

bool pf_worker_remote_call(pf_worker *w, pf_remote_call *rc, void *prog, pf_val desc) {
  pf_pool *pool = w->pool;
  if (!pf_worker_remote_wanted(w) || !atomic_exchange_explicit(&pool->rwant, 0, memory_order_acq_rel))
    return false;
  int m = pool->rops->claim(pool->rctx);
  if (m < 0)
    return false;
  rc->id = atomic_fetch_add(&pool->rnext, 1);
  rc->machine = m;
  rc->value = pf_unbound();
  atomic_init(&rc->state, PF_RCALL_PENDING);
  pthread_mutex_lock(&pool->rmu);
  rc->next = pool->rcalls;
  pool->rcalls = rc;
  pool->rstats.calls_sent++;
  pthread_mutex_unlock(&pool->rmu);
  if (pool->rops->send_call(pool->rctx, m, rc->id, prog, desc) == PF_OK)
    return true;
  pthread_mutex_lock(&pool->rmu);
  for (pf_remote_call **pp = &pool->rcalls; *pp; pp = &(*pp)->next)
    if (*pp == rc) {
      *pp = rc->next;
      break;
    }
  pool->rstats.calls_sent--;
  pthread_mutex_unlock(&pool->rmu);
  pf_pool_remote_wanted(pool); /* the machine still waits (the send put it back) */
  return false;
}

void pf_worker_remote_call_wait(pf_worker *w, pf_remote_call *rc) {
  unsigned rounds = 0;
  while (atomic_load_explicit(&rc->state, memory_order_acquire) == PF_RCALL_PENDING) {
    pf_task *t = pf_sched_find_local(w);
    if (t) {
      rounds = 0;
      pf_sched_run_task(w, t);
      continue;
    }
    if (pf_job_cancelled(w->job)) { /* nothing will be made of it: make it here (stops) */
      pf_worker_remote_call_forget(w, rc);
      atomic_store(&rc->state, PF_RCALL_FAILED);
      return;
    }
    pf_sched_request_split(w);
    pf_sched_backoff(++rounds);
  }
}

void pf_worker_remote_call_forget(pf_worker *w, pf_remote_call *rc) {
  pf_pool *pool = w->pool;
  bool found = false;
  pthread_mutex_lock(&pool->rmu);
  for (pf_remote_call **pp = &pool->rcalls; *pp; pp = &(*pp)->next)
    if (*pp == rc) {
      *pp = rc->next;
      found = true;
      break;
    }
  pthread_mutex_unlock(&pool->rmu);
  if (found && pool->rops->cancel)
    pool->rops->cancel(pool->rctx, rc->machine, rc->id);
}

bool pf_pool_remote_call_result(pf_pool *pool, uint64_t id, pf_val value) {
  pthread_mutex_lock(&pool->rmu);
  pf_remote_call *rc = NULL;
  for (pf_remote_call **pp = &pool->rcalls; *pp; pp = &(*pp)->next)
    if ((*pp)->id == id) {
      rc = *pp;
      *pp = rc->next;
      break;
    }
  if (rc) {
    if (value.tag != PF_UNBOUND) {
      rc->value = pf_incref(value);
      pool->rstats.calls_done++;
    } else {
      pool->rstats.calls_failed++;
    }
    atomic_store_explicit(&rc->state, value.tag != PF_UNBOUND ? PF_RCALL_DONE : PF_RCALL_FAILED,
                          memory_order_release);
  }
  pthread_mutex_unlock(&pool->rmu);
  return rc != NULL;
}
