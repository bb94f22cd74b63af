/* rt.c — the runtime: a table of computations by id, a FIFO queue, dispatcher threads, and
 * the core/sched pool (one worker per PU by default, pinned through topology/) that runs
 * each computation as a job, its folds split across the pool's workers. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_int.h"

#define PF_RT_STACK_BYTES (256u << 10) /* dispatchers only wait for their jobs */

/* ---------------------------------------------------------------- table and queue */

static pf_comp *table_find(pf_rt *rt, uint64_t num) {
  for (pf_comp *c = rt->buckets[num % PF_RT_BUCKETS]; c; c = c->h_next)
    if (c->num == num)
      return c;
  return NULL;
}

static void table_remove(pf_rt *rt, pf_comp *comp) {
  pf_comp **pp = &rt->buckets[comp->num % PF_RT_BUCKETS];
  while (*pp && *pp != comp)
    pp = &(*pp)->h_next;
  if (*pp)
    *pp = comp->h_next;
  comp->h_next = NULL;
  rt->live--;
}

static void queue_remove(pf_rt *rt, pf_comp *comp) {
  pf_comp *prev = NULL;
  for (pf_comp *c = rt->q_head; c; prev = c, c = c->q_next) {
    if (c != comp)
      continue;
    if (prev)
      prev->q_next = c->q_next;
    else
      rt->q_head = c->q_next;
    if (rt->q_tail == c)
      rt->q_tail = prev;
    c->q_next = NULL;
    rt->queued--;
    return;
  }
}

/* A computation of session "num" is no longer queued or running (the mutex held). */
static void session_idle(pf_rt *rt, uint64_t num) {
  pf_session *s = num ? pf_rt_session_find(rt, num) : NULL;
  if (s && s->active) {
    s->active--;
    s->last = pf_rt_now(); /* the lease counts from the end of its last computation */
  }
}

static void comp_free(pf_comp *comp) {
  if (!comp)
    return;
  if (comp->holder)
    pf_store_owner_release(&comp->holder->base);
  json_decref(comp->result);
  free(comp);
}

/* Parses "cN" into *num_p; returns 0 when "id" is not of that form. */
static int parse_id(const char *id, uint64_t *num_p) {
  if (!id || id[0] != 'c' || id[1] < '1' || id[1] > '9')
    return 0;
  uint64_t n = 0;
  for (const char *p = id + 1; *p; p++) {
    if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
      return 0;
    n = n * 10 + (uint64_t)(*p - '0');
  }
  *num_p = n;
  return 1;
}

/* ---------------------------------------------------------------- workers */

/* Returns new result JSON standing for a run that ended with status "st" instead of a result. */
static json_t *failure_result(pf_status_t st) {
  const char *type = st == PF_ENOMEM ? "MemoryError"
                     : st == PF_ECANCELED ? "InvalidPyforaOperation"
                                          : "SystemError";
  char msg[160];
  if (st == PF_ECANCELED)
    snprintf(msg, sizeof msg, "the computation was cancelled");
  else
    snprintf(msg, sizeof msg, "pyforad could not run the computation: %s", pf_status_str(st));
  return json_pack("{s:{}, s:{s:s, s:s, s:[]}}", "values", "exception", "type", type, "message",
                   msg, "traceback");
}

static pf_status_t collect_output(void *ctx, const char *name, pf_val v) {
  return pf_rt_outputs_add(ctx, name, v);
}

/* The root task of a computation's job: runs its program on pool worker "w". */
typedef struct comp_task {
  pf_rt *rt;
  pf_comp *comp;
  pf_status_t st;
  json_t *result;
  pf_rt_outputs outs;
} comp_task;

static void comp_task_main(pf_worker *w, void *arg) {
  comp_task *t = arg;
  pf_run_limits limits = {0, 0, &t->comp->work, w, pf_jit_iface_get(t->rt->jit)};
  t->st = pf_program_run_ex(t->comp->holder->prog, &t->comp->cancel, &limits, collect_output,
                            &t->outs, &t->result);
}

/* A dispatcher: takes the oldest queued computation and runs it as a job of the pool (whose
 * pinned workers do the work, splitting its folds), then stores its result. There are as
 * many dispatchers as pool workers, so that many computations run at once. */
static void *worker_main(void *arg) {
  pf_rt_worker *w = arg;
  pf_rt *rt = w->rt;
  pthread_mutex_lock(&rt->mu);
  for (;;) {
    while (!rt->stop && !rt->q_head)
      pthread_cond_wait(&rt->work_cv, &rt->mu);
    if (rt->stop)
      break;
    pf_comp *comp = rt->q_head;
    rt->q_head = comp->q_next;
    if (!rt->q_head)
      rt->q_tail = NULL;
    comp->q_next = NULL;
    rt->queued--;
    comp->state = PF_COMP_RUNNING;
    rt->busy++;
    rt->n_started++;
    pf_job *job = NULL;
    pf_status_t st = pf_job_new(rt->pool, &job);
    comp->job = job; /* cancelled through it too (under the mutex) */
    pthread_mutex_unlock(&rt->mu);

    comp_task t = {rt, comp, PF_OK, NULL, {0}};
    if (st == PF_OK)
      st = pf_job_run(job, comp_task_main, &t);
    if (st == PF_OK)
      st = t.st;
    json_t *result = t.result;
    if (st == PF_OK && !atomic_load(&comp->cancel))
      st = pf_rt_outputs_encode(rt, comp, &t.outs, json_object_get(result, "values"));
    pf_rt_outputs_free(&t.outs);
    if (st != PF_OK) {
      json_decref(result);
      result = failure_result(st);
    }
    pf_store_owner_release(&comp->holder->base); /* stored objects keep the program alive */
    comp->holder = NULL;

    pthread_mutex_lock(&rt->mu);
    comp->job = NULL;
    pf_job_free(job);
    rt->busy--;
    session_idle(rt, comp->session);
    if (comp->released) {
      json_decref(result);
      free(comp);
    } else {
      comp->result = result;
      comp->state = PF_COMP_DONE;
      rt->n_done++;
      json_t *exc = result ? json_object_get(result, "exception") : NULL;
      if (exc && !json_is_null(exc))
        rt->n_exceptions++;
    }
    pthread_cond_broadcast(&rt->done_cv);
  }
  pthread_mutex_unlock(&rt->mu);
  return NULL;
}

/* ---------------------------------------------------------------- create / destroy */

static unsigned default_threads(const pf_topo *topo) {
  if (topo)
    return pf_topo_get_counts(topo).pus;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static void stop_and_join(pf_rt *rt) {
  pthread_mutex_lock(&rt->mu);
  rt->stop = 1;
  for (unsigned b = 0; b < PF_RT_BUCKETS; b++)
    for (pf_comp *c = rt->buckets[b]; c; c = c->h_next) {
      atomic_store(&c->cancel, 1);
      if (c->job)
        pf_job_cancel(c->job);
    }
  pthread_cond_broadcast(&rt->work_cv);
  pthread_cond_broadcast(&rt->done_cv);
  pthread_mutex_unlock(&rt->mu);
  for (unsigned i = 0; i < rt->nworkers; i++)
    if (rt->workers[i].started)
      pthread_join(rt->workers[i].thread, NULL);
  if (rt->reaper_started)
    pthread_join(rt->reaper, NULL);
  rt->reaper_started = 0;
  pf_pool_free(rt->pool); /* every job has finished: the dispatchers waited for them */
  rt->pool = NULL;
}

pf_status_t pf_rt_create(const pf_rt_config *cfg, pf_rt **rt_p) {
  pf_status_t ret = PF_OK;
  pthread_condattr_t ca;
  pthread_attr_t ta;
  int have_mu = 0, have_work = 0, have_done = 0;
  pf_rt *rt = calloc(1, sizeof *rt);
  PF_CHECK(!rt, fail, ret, PF_ENOMEM);
  PF_CHECK(pthread_mutex_init(&rt->mu, NULL) != 0, fail, ret, PF_ENOMEM);
  have_mu = 1;
  PF_CHECK(pthread_cond_init(&rt->work_cv, NULL) != 0, fail, ret, PF_ENOMEM);
  have_work = 1;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&rt->done_cv, &ca);
  pthread_condattr_destroy(&ca);
  PF_CHECK(rc != 0, fail, ret, PF_ENOMEM);
  have_done = 1;

  PF_CHECK(pf_store_create(&rt->store) != PF_OK, fail, ret, PF_ENOMEM);
  PF_CHECK(pf_rt_defs_init(rt) != PF_OK, fail, ret, PF_ENOMEM);
  if (pf_topo_load(&rt->topo) != PF_OK)
    rt->topo = NULL; /* no hwloc topology: a synthetic one below, unpinned */
  rt->nworkers = cfg && cfg->threads ? cfg->threads : default_threads(rt->topo);
  if (cfg && cfg->jit != PF_JIT_OFF) {
    char jmsg[256] = "";
    if (pf_jit_create(&rt->jit, jmsg, sizeof jmsg) != PF_OK ||
        pf_jit_tier_start(rt->jit, cfg->jit, 0) != PF_OK) {
      fprintf(stderr, "pyforad: no JIT, interpreting only: %s\n", jmsg);
      pf_jit_destroy(rt->jit);
      rt->jit = NULL;
    }
  }
  rt->workers = calloc(rt->nworkers, sizeof *rt->workers);
  PF_CHECK(!rt->workers, fail, ret, PF_ENOMEM);
  if (!rt->topo) { /* the pool needs a topology: a flat one with a PU per worker */
    char desc[32];
    snprintf(desc, sizeof desc, "pu:%u", rt->nworkers);
    PF_CHECK(pf_topo_load_synthetic(desc, &rt->topo) != PF_OK, fail, ret, PF_ENOMEM);
  }
  ret = pf_pool_new(rt->topo, rt->nworkers, true, &rt->pool);
  PF_CHECK(ret != PF_OK, fail, ret, ret);

  pthread_attr_init(&ta);
  pthread_attr_setstacksize(&ta, PF_RT_STACK_BYTES);
  for (unsigned i = 0; i < rt->nworkers; i++) {
    rt->workers[i].rt = rt;
    rt->workers[i].index = i;
    if (pthread_create(&rt->workers[i].thread, &ta, worker_main, &rt->workers[i]) != 0) {
      ret = PF_EAGAIN;
      break;
    }
    rt->workers[i].started = 1;
  }
  pthread_attr_destroy(&ta);
  if (ret == PF_OK) {
    if (pthread_create(&rt->reaper, NULL, pf_rt_reaper_main, rt) != 0)
      ret = PF_EAGAIN;
    else
      rt->reaper_started = 1;
  }
  PF_CHECK(ret != PF_OK, fail_threads, ret, ret);
  *rt_p = rt;
  return PF_OK;

fail_threads:
  stop_and_join(rt);
fail:
  if (rt) {
    pf_store_destroy(rt->store);
    pf_rt_defs_fini(rt);
    pf_jit_destroy(rt->jit);
    free(rt->workers);
    pf_topo_destroy(rt->topo);
    if (have_done)
      pthread_cond_destroy(&rt->done_cv);
    if (have_work)
      pthread_cond_destroy(&rt->work_cv);
    if (have_mu)
      pthread_mutex_destroy(&rt->mu);
    free(rt);
  }
  return ret;
}

void pf_rt_destroy(pf_rt *rt) {
  if (!rt)
    return;
  pf_rt_detach_cluster(rt);
  stop_and_join(rt);
  pf_rt_migrate_free(rt); /* after the pool: no worker reaches it any more */
  for (unsigned b = 0; b < PF_RT_BUCKETS; b++) {
    pf_comp *c = rt->buckets[b];
    while (c) {
      pf_comp *next = c->h_next;
      comp_free(c);
      c = next;
    }
  }
  while (rt->sessions) {
    pf_session *next = rt->sessions->next;
    free(rt->sessions);
    rt->sessions = next;
  }
  pf_store_destroy(rt->store);
  pf_rt_defs_fini(rt);
  pf_jit_destroy(rt->jit); /* after every program that may point at its records */
  free(rt->workers);
  pf_topo_destroy(rt->topo);
  pthread_cond_destroy(&rt->done_cv);
  pthread_cond_destroy(&rt->work_cv);
  pthread_mutex_destroy(&rt->mu);
  free(rt);
}

/* ---------------------------------------------------------------- submit / wait / release */

pf_status_t pf_rt_submit(pf_rt *rt, const json_t *doc, char *id_buf, size_t id_len,
                         json_t **err_p) {
  pf_status_t ret = PF_OK;
  pf_prog_holder *holder = NULL;
  pf_comp *comp = NULL;
  pf_dl_mode mode;
  size_t max_bytes;
  *err_p = NULL;
  PF_CHECK(!id_buf || id_len < 22, fail, ret, PF_EINVAL);
  uint64_t session = 0;
  const json_t *sj = json_object_get(doc, "session");
  ret = pf_rt_parse_policy(doc, &mode, &max_bytes, err_p);
  if (ret == PF_OK && sj && (!json_is_string(sj) || !pf_rt_session_parse(json_string_value(sj), &session))) {
    *err_p = json_pack("{s:s, s:s}", "type", "InvalidRequest", "message",
                       "session: expected a session id \"sN\" from POST /v1/sessions");
    ret = PF_EPROTO;
  }
  if (ret == PF_OK)
    ret = pf_rt_load(rt, doc, &holder, err_p);
  if (ret != PF_OK) {
    pthread_mutex_lock(&rt->mu);
    rt->n_rejected++;
    pthread_mutex_unlock(&rt->mu);
    goto fail;
  }
  comp = calloc(1, sizeof *comp);
  PF_CHECK(!comp, fail, ret, PF_ENOMEM);
  comp->holder = holder;
  holder = NULL;
  comp->dl_mode = mode;
  comp->dl_max = max_bytes;
  comp->session = session;
  atomic_init(&comp->cancel, 0);
  atomic_init(&comp->work, 0);
  comp->state = PF_COMP_QUEUED;

  pthread_mutex_lock(&rt->mu);
  if (rt->stop) {
    pthread_mutex_unlock(&rt->mu);
    PF_CHECK(1, fail, ret, PF_ECANCELED);
  }
  if (session) {
    pf_session *sess = pf_rt_session_find(rt, session);
    if (!sess) {
      pthread_mutex_unlock(&rt->mu);
      char msg[160];
      snprintf(msg, sizeof msg, "no session 's%" PRIu64 "' (its lease expired, or it was closed)",
               session);
      *err_p = json_pack("{s:s, s:s}", "type", "NotFound", "message", msg);
      PF_CHECK(1, fail, ret, PF_EPROTO);
    }
    sess->active++;
    sess->last = pf_rt_now();
  }
  comp->num = ++rt->next_num;
  comp->h_next = rt->buckets[comp->num % PF_RT_BUCKETS];
  rt->buckets[comp->num % PF_RT_BUCKETS] = comp;
  rt->live++;
  if (rt->q_tail)
    rt->q_tail->q_next = comp;
  else
    rt->q_head = comp;
  rt->q_tail = comp;
  rt->queued++;
  rt->n_submitted++;
  snprintf(id_buf, id_len, "c%" PRIu64, comp->num);
  pthread_cond_signal(&rt->work_cv);
  pthread_mutex_unlock(&rt->mu);
  return PF_OK;

fail:
  comp_free(comp);
  if (holder)
    pf_store_owner_release(&holder->base);
  return ret;
}

/* Returns new JSON for "comp" (the runtime's mutex held). */
static json_t *status_doc(const char *id, const pf_comp *comp) {
  json_int_t work = (json_int_t)atomic_load_explicit(&comp->work,
                                                     memory_order_relaxed);
  if (comp->state != PF_COMP_DONE)
    return json_pack("{s:s, s:s, s:I}", "id", id, "state", "running", "work", work);
  json_t *doc = json_pack("{s:s, s:s, s:I}", "id", id, "state", "done", "work", work);
  json_t *values = comp->result ? json_object_get(comp->result, "values") : NULL;
  json_t *exc = comp->result ? json_object_get(comp->result, "exception") : NULL;
  if (!doc)
    return NULL;
  if (json_object_set_new(doc, "values", values ? json_deep_copy(values) : json_object()) != 0 ||
      json_object_set_new(doc, "exception", exc ? json_deep_copy(exc) : json_null()) != 0) {
    json_decref(doc);
    return NULL;
  }
  return doc;
}

struct timespec pf_rt_deadline_after(double seconds) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double whole = floor(seconds);
  ts.tv_sec += (time_t)whole;
  ts.tv_nsec += (long)((seconds - whole) * 1e9);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

pf_status_t pf_rt_wait(pf_rt *rt, const char *id, double timeout_s, json_t **status_p) {
  uint64_t num;
  if (!parse_id(id, &num))
    return PF_ENOENT;
  if (!(timeout_s > 0)) /* also NaN */
    timeout_s = 0;
  if (timeout_s > 86400)
    timeout_s = 86400;
  struct timespec deadline = pf_rt_deadline_after(timeout_s);
  pf_status_t ret = PF_OK;
  pthread_mutex_lock(&rt->mu);
  for (;;) {
    pf_comp *comp = table_find(rt, num);
    if (!comp) {
      ret = PF_ENOENT;
      break;
    }
    if (comp->state == PF_COMP_DONE || rt->stop || timeout_s == 0) {
      *status_p = status_doc(id, comp);
      ret = *status_p ? PF_OK : PF_ENOMEM;
      break;
    }
    if (pthread_cond_timedwait(&rt->done_cv, &rt->mu, &deadline) == ETIMEDOUT)
      timeout_s = 0; /* one last look, then answer */
  }
  pthread_mutex_unlock(&rt->mu);
  return ret;
}

pf_status_t pf_rt_release(pf_rt *rt, const char *id, int *was_running_p) {
  uint64_t num;
  pf_comp *to_free = NULL;
  if (!parse_id(id, &num))
    return PF_ENOENT;
  pthread_mutex_lock(&rt->mu);
  pf_comp *comp = table_find(rt, num);
  if (!comp) {
    pthread_mutex_unlock(&rt->mu);
    return PF_ENOENT;
  }
  table_remove(rt, comp);
  *was_running_p = comp->state != PF_COMP_DONE;
  switch (comp->state) {
  case PF_COMP_QUEUED:
    queue_remove(rt, comp);
    session_idle(rt, comp->session);
    to_free = comp;
    rt->n_cancelled++;
    break;
  case PF_COMP_RUNNING:
    atomic_store(&comp->cancel, 1);
    if (comp->job)
      pf_job_cancel(comp->job);
    comp->released = 1; /* the worker frees it */
    rt->n_cancelled++;
    break;
  case PF_COMP_DONE:
    to_free = comp;
    break;
  }
  rt->n_released++;
  pthread_cond_broadcast(&rt->done_cv);
  pthread_mutex_unlock(&rt->mu);
  comp_free(to_free);
  return PF_OK;
}

/* ---------------------------------------------------------------- introspection */

json_t *pf_rt_cluster_json(pf_rt *rt) {
  pf_topo_counts c;
  if (rt->topo) {
    c = pf_topo_get_counts(rt->topo);
  } else {
    c.packages = c.numa_nodes = 1;
    c.cores = c.pus = default_threads(NULL);
  }
  pf_pool_stats ps = pf_pool_get_stats(rt->pool);
  unsigned busy = ps.busy, pinned = ps.pinned;
  return json_pack("{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "threads", (json_int_t)rt->nworkers,
                   "busy", (json_int_t)busy, "pinned", (json_int_t)pinned, "memory_bound",
                   (json_int_t)ps.membound, "topology", "packages",
                   (json_int_t)c.packages, "numa_nodes", (json_int_t)c.numa_nodes, "cores",
                   (json_int_t)c.cores, "pus", (json_int_t)c.pus);
}

json_t *pf_rt_stats_json(pf_rt *rt) {
  pthread_mutex_lock(&rt->mu);
  json_t *j = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "threads",
      (json_int_t)rt->nworkers, "busy", (json_int_t)rt->busy, "queued", (json_int_t)rt->queued,
      "live", (json_int_t)rt->live, "computations_submitted", (json_int_t)rt->n_submitted,
      "computations_rejected", (json_int_t)rt->n_rejected, "computations_started",
      (json_int_t)rt->n_started, "computations_done", (json_int_t)rt->n_done,
      "computations_cancelled", (json_int_t)rt->n_cancelled, "computations_released",
      (json_int_t)rt->n_released, "computations_with_exception", (json_int_t)rt->n_exceptions, "objects_made",
      (json_int_t)rt->n_objects_made, "objects", (json_int_t)pf_store_count(rt->store),
      "sessions_expired", (json_int_t)rt->n_sessions_expired);
  if (j) {
    pf_pool_stats ps = pf_pool_get_stats(rt->pool);
    json_object_set_new(j, "running", json_integer((json_int_t)rt->busy));
    json_object_set_new(j, "busy", json_integer((json_int_t)ps.busy));
    json_object_set_new(j, "splits", json_integer((json_int_t)ps.splits));
    json_object_set_new(j, "steals", json_integer((json_int_t)ps.steals));
    json_object_set_new(j, "split_requests", json_integer((json_int_t)ps.split_requests));
    json_object_set_new(j, "tasks", json_integer((json_int_t)ps.tasks));
    pf_rt_defs_stats(rt, j);
    json_object_set_new(j, "jit", pf_jit_stats_json(rt->jit));
    json_object_set_new(j, "migration", pf_rt_migrate_stats(rt));
  }
  pthread_mutex_unlock(&rt->mu);
  return j;
}
