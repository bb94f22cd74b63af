/* fold.c — splittable folds over ranges: subranges run sequentially, split lazily at
 * safepoints when a worker is idle, and their parts combine in Python order. */
#include <stdlib.h>
#include <string.h>

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
} pf_fold;

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
  atomic_init(&f.cut, UINT64_MAX);
  atomic_init(&f.outstanding, 1);
  atomic_init(&f.parts, NULL);
  atomic_init(&f.lost, 0);
  sr.cont = &f;
  run_subrange(w, &f, &sr);
  atomic_fetch_sub_explicit(&f.outstanding, 1, memory_order_release);
  /* help: run split-off halves ourselves or steal work until every subrange is in */
  unsigned rounds = 0;
  while (atomic_load_explicit(&f.outstanding, memory_order_acquire) != 0) {
    pf_task *t = pf_sched_find_local(w);
    if (t) {
      rounds = 0;
      pf_sched_run_task(w, t);
      continue;
    }
    pf_sched_request_split(w);
    pf_sched_backoff(++rounds);
  }
  combine(&f, res);
  return res->status;
}
