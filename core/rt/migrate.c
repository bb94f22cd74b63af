/* migrate.c — fold parts between machines (docs/cluster.md, "Moving work"): the runtime's
 * side of core/sched's remote parts, over core/cluster's messages and pages.
 *
 * Coordinator: a worker machine that has nothing to do sends STEAL_REQUEST (job 0); its id
 * waits in "want" until a pool worker at a safepoint of a describable fold claims it
 * (r_claim) and sends it the unfinished half of its subrange (r_send): a SUBRANGE message
 * with the part's id, the 64-byte subrange, and the names of the pages that hold the
 * program (its IR document and the definitions it uses, JSON, published once per program)
 * and the fold's description (par.c's, in the binary codec, published once per fold). The
 * RESULT (the partial accumulator, inline or in pages) goes to pf_pool_remote_result; a
 * SUBRANGE coming back is positions given back (pf_pool_remote_returned); a machine that
 * dies or leaves has its unfinished parts recomputed here (pf_pool_remote_lost).
 *
 * Worker: this module's thread fetches the pages of a SUBRANGE (cached by the fabric),
 * loads the program once per description (the description sets the block's globals), runs
 * the part as a job of the pool (pf_par_remote_run: split between this machine's cores as
 * usual) and sends back RESULT, then STEAL_REQUEST again. STEAL_REQUEST for a part asks it
 * to give back its unfinished end (idle = 1) or to stop (idle = 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"

static const pf_remote_ops remote_ops;

/* The cluster, or NULL once detached. */
static pf_cluster *cluster_of(pf_migrate *mg) {
  pthread_mutex_lock(&mg->mu);
  pf_cluster *cl = mg->cl;
  pthread_mutex_unlock(&mg->mu);
  return cl;
}

static void item_free(mig_item *it) {
  if (!it)
    return;
  free(it->hashes);
  free(it->values);
  free(it);
}

static void push_item(pf_migrate *mg, mig_item *it) {
  pthread_mutex_lock(&mg->mu);
  it->next = NULL;
  if (mg->tail)
    mg->tail->next = it;
  else
    mg->head = it;
  mg->tail = it;
  pthread_cond_signal(&mg->cv);
  pthread_mutex_unlock(&mg->mu);
}

/* Part or call "id" did not reach its machine: done here. */
static void part_failed(pf_migrate *mg, uint64_t id) {
  if (!pf_pool_remote_call_result(mg->rt->pool, id, pf_unbound()))
    pf_pool_remote_result(mg->rt->pool, id, pf_unbound(), 0);
}

/* Queues "m" (byte strings copied) for machine "to"; the thread sends it, so that no pool
 * worker waits for the network. */
static void post(pf_migrate *mg, uint32_t to, const pf_fab_msg *m) {
  mig_out *o = calloc(1, sizeof *o);
  if (!o)
    goto fail;
  o->to = to;
  o->m = *m;
  const pf_fab_bytes *v = m->type == PF_FAB_SUBRANGE ? &m->u.sub.values
                          : m->type == PF_FAB_RESULT ? &m->u.result.values : NULL;
  if (v && v->n) {
    if (!(o->values = malloc(v->n)))
      goto fail;
    memcpy(o->values, v->p, v->n);
    if (m->type == PF_FAB_SUBRANGE)
      o->m.u.sub.values.p = o->values;
    else
      o->m.u.result.values.p = o->values;
  }
  if (m->type == PF_FAB_SUBRANGE && m->u.sub.ndefs) {
    if (!(o->defs = malloc((size_t)m->u.sub.ndefs * PF_FAB_ID_SIZE)))
      goto fail;
    memcpy(o->defs, m->u.sub.defs, (size_t)m->u.sub.ndefs * PF_FAB_ID_SIZE);
    o->m.u.sub.defs = o->defs;
  }
  pthread_mutex_lock(&mg->mu);
  if (mg->out_tail)
    mg->out_tail->next = o;
  else
    mg->out_head = o;
  mg->out_tail = o;
  pthread_cond_signal(&mg->cv);
  pthread_mutex_unlock(&mg->mu);
  return;
fail:
  if (o) {
    free(o->values);
    free(o->defs);
    free(o);
  }
  if (m->type == PF_FAB_SUBRANGE && mg->coordinator)
    part_failed(mg, m->u.sub.job);
}

/* On the thread: sends the queued messages. A part that cannot go is recomputed here. */
static void flush_out(pf_migrate *mg, pf_cluster *cl) {
  for (;;) {
    pthread_mutex_lock(&mg->mu);
    mig_out *o = mg->out_head;
    if (o) {
      mg->out_head = o->next;
      if (!mg->out_head)
        mg->out_tail = NULL;
    }
    double until = o && o->to < MIG_MAX_WANT ? mg->unreachable[o->to] : 0;
    pthread_mutex_unlock(&mg->mu);
    if (!o)
      return;
    double now = pf_rt_now();
    pf_status_t st = until > now ? PF_ETIMEDOUT : pf_cluster_send(cl, o->to, &o->m, MIG_SEND_TIMEOUT_S);
    pthread_mutex_lock(&mg->mu);
    if (st == PF_ETIMEDOUT && until <= now && o->to < MIG_MAX_WANT)
      mg->unreachable[o->to] = pf_rt_now() + MIG_UNREACHABLE_S;
    if (st == PF_OK && o->m.type == PF_FAB_RESULT) {
      mg->results_sent++;
      mg->result_bytes += o->m.u.result.values.n;
    }
    pthread_mutex_unlock(&mg->mu);
    if (st != PF_OK && o->m.type == PF_FAB_SUBRANGE && mg->coordinator)
      part_failed(mg, o->m.u.sub.job);
    free(o->values);
    free(o->defs);
    free(o);
  }
}

/* ---------------------------------------------------------------- coordinator: sending */

static int r_claim(void *rctx) {
  pf_migrate *mg = rctx;
  int m = -1;
  pthread_mutex_lock(&mg->mu);
  if (mg->cl && mg->nwant) {
    m = (int)mg->want[0];
    memmove(mg->want, mg->want + 1, (mg->nwant - 1) * sizeof mg->want[0]);
    mg->nwant--;
    if (mg->nwant)
      pf_pool_remote_wanted(mg->rt->pool);
  }
  pthread_mutex_unlock(&mg->mu);
  return m;
}

static void want_add(pf_migrate *mg, uint32_t m) {
  pthread_mutex_lock(&mg->mu);
  bool seen = false;
  for (unsigned i = 0; i < mg->nwant && !seen; i++)
    seen = mg->want[i] == m;
  if (!seen && mg->nwant < MIG_MAX_WANT)
    mg->want[mg->nwant++] = m;
  mg->steal_requests++;
  pthread_mutex_unlock(&mg->mu);
  pf_pool_remote_wanted(mg->rt->pool);
}

static void want_remove(pf_migrate *mg, uint32_t m) {
  pthread_mutex_lock(&mg->mu);
  for (unsigned i = 0; i < mg->nwant; i++)
    if (mg->want[i] == m) {
      memmove(mg->want + i, mg->want + i + 1, (mg->nwant - i - 1) * sizeof mg->want[0]);
      mg->nwant--;
      break;
    }
  pthread_mutex_unlock(&mg->mu);
}

/* Sends part (or call) "part" of program "h" — positions "sr", fold "key" described by
 * "desc" — to "machine": the SUBRANGE names the program's pages and the description's. */
static pf_status_t send_part(pf_migrate *mg, pf_cluster *cl, pf_prog_holder *h, int machine,
                             uint64_t part, uint64_t key, const pf_subrange *sr, pf_val desc) {
  uint8_t closure[PF_FAB_ID_SIZE];
  uint8_t *dh = NULL;
  uint32_t dn = 0;
  pf_status_t st = mig_ship_desc(mg, cl, key, desc, closure, &dh, &dn);
  if (st != PF_OK) {
    want_add(mg, (uint32_t)machine);
    return st;
  }
  uint32_t np = h->ship->n, n = np + dn;
  uint8_t *all = malloc((size_t)n * PF_FAB_ID_SIZE);
  pf_buf vals = {0};
  char msg[64];
  if (!all || pf_bin_encode(pf_int(np), &vals, msg, sizeof msg) != PF_OK) {
    free(all);
    free(dh);
    free(vals.data);
    want_add(mg, (uint32_t)machine);
    return PF_ENOMEM;
  }
  memcpy(all, h->ship->hashes, (size_t)np * PF_FAB_ID_SIZE);
  memcpy(all + (size_t)np * PF_FAB_ID_SIZE, dh, (size_t)dn * PF_FAB_ID_SIZE);
  free(dh);
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_SUBRANGE;
  m.u.sub.job = part;
  m.u.sub.task = key;
  m.u.sub.sr = *sr;
  m.u.sub.sr.cont = NULL;
  memcpy(m.u.sub.closure, closure, PF_FAB_ID_SIZE);
  m.u.sub.ndefs = n;
  m.u.sub.defs = all;
  m.u.sub.values.p = vals.data;
  m.u.sub.values.n = vals.len;
  pthread_mutex_lock(&mg->mu);
  mg->subrange_msgs++;
  mg->subrange_bytes += PF_FAB_HDR_SIZE + 8 + 8 + PF_SUBRANGE_WIRE_SIZE + PF_FAB_ID_SIZE + 4 +
                        (size_t)n * PF_FAB_ID_SIZE + 4 + vals.len;
  pthread_mutex_unlock(&mg->mu);
  post(mg, (uint32_t)machine, &m); /* what cannot go comes back as a failed result */
  free(all);
  free(vals.data);
  return PF_OK;
}

/* The cluster to send a part of program "h" to "machine" by, once the program's pages are
 * published; NULL when it cannot go (the machine's request then stands for other work). */
static pf_cluster *ship_target(pf_migrate *mg, int machine, pf_prog_holder *h) {
  pf_cluster *cl = cluster_of(mg);
  if (cl && (!h || mig_ship_program(mg, cl, h) != 1)) {
    want_add(mg, (uint32_t)machine);
    return NULL;
  }
  return cl;
}

static pf_status_t r_send(void *rctx, int machine, uint64_t part, uint64_t fold_key,
                          void *fold_ctx, const pf_subrange *sr, pf_val desc) {
  pf_migrate *mg = rctx;
  pf_prog_holder *h = pf_program_tag(pf_par_ctx_program(fold_ctx));
  pf_cluster *cl = ship_target(mg, machine, h);
  return cl ? send_part(mg, cl, h, machine, part, fold_key, sr, desc) : PF_ENOTSUP;
}

/* A forked call to "machine": as a part, with a subrange record flagged SUB_CALL. */
static pf_status_t r_send_call(void *rctx, int machine, uint64_t id, void *prog, pf_val desc) {
  pf_migrate *mg = rctx;
  pf_prog_holder *h = pf_program_tag(prog);
  pf_cluster *cl = ship_target(mg, machine, h);
  if (!cl)
    return PF_ENOTSUP;
  pf_subrange sr;
  if (pf_subrange_init(&sr, PF_FOLD_GENERIC, 0, 0, 1, 1) != PF_OK)
    return PF_EINVAL;
  sr.flags = SUB_CALL;
  return send_part(mg, cl, h, machine, id, id, &sr, desc);
}

static void send_steal(pf_migrate *mg, uint32_t to, uint64_t part, uint32_t what) {
  pf_cluster *cl = cluster_of(mg);
  if (!cl)
    return;
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_STEAL_REQUEST;
  m.u.steal.job = part;
  m.u.steal.idle = what;
  post(mg, to, &m);
}

static void r_ask_back(void *rctx, int machine, uint64_t part) {
  send_steal(rctx, (uint32_t)machine, part, STEAL_GIVE_BACK);
}

static void r_cancel(void *rctx, int machine, uint64_t part) {
  send_steal(rctx, (uint32_t)machine, part, STEAL_STOP);
}

/* Worker: positions of a received part go back to its owner. */
static pf_status_t r_give_back(void *rctx, int machine, uint64_t part, const pf_subrange *sr) {
  pf_migrate *mg = rctx;
  pf_cluster *cl = cluster_of(mg);
  if (!cl)
    return PF_ENOENT;
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_SUBRANGE;
  m.u.sub.job = part;
  m.u.sub.sr = *sr;
  m.u.sub.sr.cont = NULL;
  return pf_cluster_send(cl, (uint32_t)machine, &m, MIG_SEND_TIMEOUT_S);
}

static const pf_remote_ops remote_ops = {
    .claim = r_claim,
    .send = r_send,
    .ask_back = r_ask_back,
    .cancel = r_cancel,
    .give_back = r_give_back,
    .send_call = r_send_call,
};

/* ---------------------------------------------------------------- worker: running parts */

/* RESULT of part "part" (positions from "start"): "acc" covers those before "done"; inline
 * when small, else in pages named by a hex string. An accumulator the codec cannot carry
 * covers nothing (its owner computes the part again). */
static void send_result(pf_migrate *mg, uint32_t to, uint64_t part, pf_val acc, uint64_t start,
                        uint64_t done) {
  pf_cluster *cl = cluster_of(mg);
  if (!cl)
    return;
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_RESULT;
  m.u.result.job = part;
  m.u.result.outcome = PF_FAB_RESULT_VALUE;
  m.u.result.position = done;
  pf_buf b = {0};
  char msg[128];
  if (acc.tag != PF_UNBOUND && pf_bin_encode(acc, &b, msg, sizeof msg) != PF_OK) {
    free(b.data);
    b = (pf_buf){0};
    m.u.result.position = start;
  }
  if (b.len > MIG_INLINE_MAX) { /* in pages: the message names them */
    mig_page_ctx pc = {mg, cl, 0};
    pf_val names = mig_publish_leaf(&pc, acc);
    free(b.data);
    b = (pf_buf){0};
    if (names.tag == PF_UNBOUND || pf_bin_encode(names, &b, msg, sizeof msg) != PF_OK) {
      free(b.data);
      b = (pf_buf){0};
      m.u.result.position = start;
    } else {
      m.u.result.outcome = PF_FAB_RESULT_PAGES;
    }
    pf_decref(names);
  }
  m.u.result.values.p = b.data;
  m.u.result.values.n = b.len;
  post(mg, to, &m);
  free(b.data);
}

static void run_task(pf_worker *w, void *arg) {
  mig_run *r = arg;
  pf_val acc = pf_unbound();
  uint64_t done = r->sr.pos;
  if (pf_par_remote_is_call(r->mp->rm)) {
    /* a forked call: done 1 with its value, 0 when it raised (its owner makes it again) */
    if (pf_par_remote_call(r->mp->rm, w, &r->stop, &acc) != PF_OK)
      acc = pf_unbound();
    done = acc.tag != PF_UNBOUND ? 1 : 0;
  } else if (pf_par_remote_run(r->mp->rm, w, &r->sr, (int)r->from, r->part, &acc, &done) != PF_OK) {
    pf_decref(acc);
    acc = pf_unbound();
    done = r->sr.pos;
  }
  send_result(r->mg, r->from, r->part, acc, r->sr.pos, done);
  pf_decref(acc);
  pthread_mutex_lock(&r->mg->mu);
  atomic_store(&r->done, 1);
  r->mg->requested = 0; /* ask for more as soon as nothing runs (however short this was) */
  pthread_cond_signal(&r->mg->cv);
  pthread_mutex_unlock(&r->mg->mu);
}

/* The program for the description of "it" (loaded and made ready on first use). */
static mig_prog *get_prog(pf_migrate *mg, pf_cluster *cl, const mig_item *it, char *why, size_t wl) {
  pthread_mutex_lock(&mg->mu);
  for (mig_prog *p = mg->progs; p; p = p->next)
    if (!memcmp(p->key, it->closure, PF_FAB_ID_SIZE)) {
      p->running++;
      p->last_used = pf_rt_now();
      pthread_mutex_unlock(&mg->mu);
      return p;
    }
  pthread_mutex_unlock(&mg->mu);
  pf_val nv = pf_unbound();
  char msg[128];
  if (pf_bin_decode(it->values, it->nvalues, &nv, msg, sizeof msg) != PF_OK || nv.tag != PF_INT ||
      nv.u.i < 1 || (uint64_t)nv.u.i >= it->nhashes) {
    pf_decref(nv);
    snprintf(why, wl, "bad page counts");
    return NULL;
  }
  uint32_t np = (uint32_t)nv.u.i;
  uint8_t *text = NULL, *dbytes = NULL;
  size_t tlen = 0, dlen = 0;
  json_t *blob = NULL;
  pf_program *prog = NULL;
  pf_par_remote *rm = NULL;
  pf_val desc = pf_unbound(), full = pf_unbound();
  mig_prog *mp = NULL;
  if (mig_fetch_chunks(cl, it->from, it->hashes, np, &text, &tlen) != PF_OK ||
      mig_fetch_chunks(cl, it->from, it->hashes + (size_t)np * PF_FAB_ID_SIZE, it->nhashes - np, &dbytes,
                   &dlen) != PF_OK) {
    snprintf(why, wl, "pages not fetched");
    goto out;
  }
  uint8_t h[PF_FAB_ID_SIZE];
  pf_fab_page_hash(dbytes, dlen, h);
  json_error_t je;
  if (memcmp(h, it->closure, PF_FAB_ID_SIZE) != 0 ||
      !(blob = json_loadb((const char *)text, tlen, 0, &je)) ||
      !json_is_object(json_object_get(blob, "doc"))) {
    snprintf(why, wl, "a malformed program or description");
    goto out;
  }
  /* the definitions it uses, fetched where this machine lacks them */
  const char *id;
  json_t *d;
  json_object_foreach(json_object_get(blob, "defs"), id, d) {
    pthread_mutex_lock(&mg->rt->mu);
    bool have = json_object_get(mg->rt->defs, id) != NULL;
    pthread_mutex_unlock(&mg->rt->mu);
    uint8_t *dt = NULL;
    size_t dl = 0;
    json_t *dj = NULL;
    if (!have && mig_fetch_hex(cl, it->from, json_string_value(d), &dt, &dl) == PF_OK &&
        (dj = json_loadb((const char *)dt, dl, 0, &je)) && json_is_object(dj)) {
      pthread_mutex_lock(&mg->rt->mu);
      json_object_set(mg->rt->defs, id, dj);
      pthread_mutex_unlock(&mg->rt->mu);
      pthread_mutex_lock(&mg->mu);
      mg->defs_fetched++;
      pthread_mutex_unlock(&mg->mu);
    }
    json_decref(dj);
    free(dt);
  }
  json_t *err = NULL;
  mig_obj_ctx oc = {cl, it->from, json_object_get(blob, "objects")};
  if (pf_program_load_cached(json_object_get(blob, "doc"), mig_fetch_object, &oc, pf_rt_def_resolve,
                             mg->rt, mg->rt->dcache, &prog, &err) != PF_OK) {
    char *e = err ? json_dumps(err, JSON_COMPACT) : NULL;
    snprintf(why, wl, "the program does not load: %.200s", e ? e : "?");
    free(e);
    json_decref(err);
    prog = NULL;
    goto out;
  }
  const pf_jit_iface *jit = pf_jit_iface_get(mg->rt->jit);
  if (pf_program_prepare_remote(prog, jit) != PF_OK ||
      pf_bin_decode(dbytes, dlen, &desc, msg, sizeof msg) != PF_OK ||
      (full = mig_fetch_big(cl, it->from, desc)).tag == PF_UNBOUND ||
      pf_par_remote_new(prog, mg->rt->dcache, full, jit, &rm, why, wl) != PF_OK) {
    if (!why[0])
      snprintf(why, wl, "the description does not decode");
    goto out;
  }
  if (!(mp = calloc(1, sizeof *mp)))
    goto out;
  memcpy(mp->key, it->closure, PF_FAB_ID_SIZE);
  mp->prog = prog;
  mp->rm = rm;
  mp->running = 1;
  mp->last_used = pf_rt_now();
  prog = NULL;
  rm = NULL;
  pthread_mutex_lock(&mg->mu);
  mp->next = mg->progs;
  mg->progs = mp;
  mg->programs_loaded++;
  mg->descriptions_loaded++;
  pthread_mutex_unlock(&mg->mu);
out:
  pf_decref(desc);
  pf_decref(full);
  pf_par_remote_free(rm);
  pf_program_destroy(prog);
  json_decref(blob);
  free(text);
  free(dbytes);
  return mp;
}

static void start_part(pf_migrate *mg, pf_cluster *cl, mig_item *it) {
  char why[256] = "";
  mig_prog *mp = get_prog(mg, cl, it, why, sizeof why);
  mig_run *r = mp ? calloc(1, sizeof *r) : NULL;
  if (r) {
    r->mg = mg;
    r->mp = mp;
    r->from = it->from;
    r->part = it->part;
    r->sr = it->sr;
    atomic_init(&r->done, 0);
    atomic_init(&r->stop, 0);
    if (pf_job_new(mg->rt->pool, &r->job) == PF_OK && pf_job_start(r->job, run_task, r) == PF_OK) {
      pthread_mutex_lock(&mg->mu);
      r->next = mg->runs;
      mg->runs = r;
      pthread_mutex_unlock(&mg->mu);
      return;
    }
    pf_job_free(r->job);
    free(r);
  }
  if (mp) {
    pthread_mutex_lock(&mg->mu);
    mp->running--;
    pthread_mutex_unlock(&mg->mu);
  }
  pthread_mutex_lock(&mg->mu);
  mg->refused++;
  pthread_mutex_unlock(&mg->mu);
  if (why[0])
    fprintf(stderr, "pyforad: a part from machine %u is left to it: %s\n", it->from, why);
  send_result(mg, it->from, it->part, pf_unbound(), it->sr.pos, it->sr.pos); /* nothing done */
}

/* Frees finished runs and programs no longer worth keeping; true when parts are running. */
static bool reap(pf_migrate *mg) {
  mig_run *done = NULL;
  pthread_mutex_lock(&mg->mu);
  for (mig_run **pp = &mg->runs; *pp;) {
    mig_run *r = *pp;
    if (atomic_load(&r->done)) {
      *pp = r->next;
      r->next = done;
      done = r;
      r->mp->running--;
    } else {
      pp = &r->next;
    }
  }
  bool busy = mg->runs != NULL;
  mig_prog *drop = NULL;
  unsigned n = 0;
  for (mig_prog **pp = &mg->progs; *pp;) {
    mig_prog *p = *pp;
    if (++n > MIG_MAX_PROGS && p->running == 0) {
      *pp = p->next;
      p->next = drop;
      drop = p;
    } else {
      pp = &p->next;
    }
  }
  pthread_mutex_unlock(&mg->mu);
  while (done) {
    mig_run *next = done->next;
    if (pf_job_wait(done->job) != PF_OK) {
      /* stopped (its owner no longer needs it): nothing else to do */
    }
    pf_job_free(done->job);
    free(done);
    done = next;
  }
  while (drop) {
    mig_prog *next = drop->next;
    pf_par_remote_free(drop->rm);
    pf_program_destroy(drop->prog);
    free(drop);
    drop = next;
  }
  return busy;
}

/* ---------------------------------------------------------------- coordinator: results */

static void deliver_result(pf_migrate *mg, pf_cluster *cl, mig_item *it) {
  pf_val acc = pf_unbound(), v = pf_unbound();
  char msg[128];
  uint64_t pos = it->position;
  if (it->outcome == PF_FAB_RESULT_VALUE && it->nvalues) {
    if (pf_bin_decode(it->values, it->nvalues, &acc, msg, sizeof msg) != PF_OK)
      pos = 0;
  } else if (it->outcome == PF_FAB_RESULT_PAGES && it->nvalues &&
             pf_bin_decode(it->values, it->nvalues, &v, msg, sizeof msg) == PF_OK) {
    mig_page_ctx pc = {mg, cl, it->from};
    if ((acc = mig_fetch_leaf(&pc, v)).tag == PF_UNBOUND)
      pos = 0;
  } else {
    pos = 0;
  }
  pf_decref(v);
  pthread_mutex_lock(&mg->mu);
  mg->results_received++;
  mg->result_bytes_received += it->nvalues;
  pthread_mutex_unlock(&mg->mu);
  /* a forked call's (done 1: its value) or a fold part's */
  if (!pf_pool_remote_call_result(mg->rt->pool, it->part, pos == 1 ? acc : pf_unbound()))
    pf_pool_remote_result(mg->rt->pool, it->part, acc, pos);
  pf_decref(acc);
}

/* ---------------------------------------------------------------- the thread */

static void *mig_main(void *arg) {
  pf_migrate *mg = arg;
  for (;;) {
    pthread_mutex_lock(&mg->mu);
    if (!mg->head && !mg->out_head && !mg->stop) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 50 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&mg->cv, &mg->mu, &ts);
    }
    if (mg->stop) {
      pthread_mutex_unlock(&mg->mu);
      break;
    }
    mig_item *it = mg->head;
    if (it) {
      mg->head = it->next;
      if (!mg->head)
        mg->tail = NULL;
    }
    pf_cluster *cl = mg->cl;
    pthread_mutex_unlock(&mg->mu);
    if (cl)
      flush_out(mg, cl);
    if (it && cl) {
      if (it->kind == MI_SUBRANGE)
        start_part(mg, cl, it);
      else
        deliver_result(mg, cl, it);
    }
    item_free(it);
    if (!cl)
      continue;
    if (mg->coordinator) {
      unsigned live = pf_cluster_live(cl);
      pf_pool_set_remote_peers(mg->rt->pool, live > 1 ? live - 1 : 0);
      continue;
    }
    /* a worker with nothing to run asks for work: at once, then every second (its own
     * computations, with --listen, keep its workers busy too) */
    bool busy = reap(mg) || pf_pool_get_stats(mg->rt->pool).busy > 0;
    double now = pf_rt_now();
    pthread_mutex_lock(&mg->mu);
    bool ask = !busy && !mg->head && (!mg->requested || now - mg->last_request >= MIG_IDLE_RESEND_S);
    if (busy)
      mg->requested = 0;
    if (ask) {
      mg->requested = 1;
      mg->last_request = now;
    }
    pthread_mutex_unlock(&mg->mu);
    if (ask)
      send_steal(mg, 0, 0, STEAL_IDLE);
  }
  return NULL;
}

/* ---------------------------------------------------------------- the runtime's interface */

pf_status_t pf_rt_attach_cluster(pf_rt *rt, pf_cluster *cl) {
  pf_migrate *mg = calloc(1, sizeof *mg);
  if (!mg)
    return PF_ENOMEM;
  mg->rt = rt;
  mg->cl = cl;
  mg->coordinator = pf_cluster_is_coordinator(cl);
  pthread_mutex_init(&mg->mu, NULL);
  pthread_cond_init(&mg->cv, NULL);
  if (pthread_create(&mg->th, NULL, mig_main, mg) != 0) {
    pthread_cond_destroy(&mg->cv);
    pthread_mutex_destroy(&mg->mu);
    free(mg);
    return PF_EAGAIN;
  }
  mg->started = 1;
  pf_pool_set_remote(rt->pool, &remote_ops, mg);
  atomic_store_explicit(&rt->mig, mg, memory_order_release);
  return PF_OK;
}

void pf_rt_detach_cluster(pf_rt *rt) {
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (!mg)
    return;
  pthread_mutex_lock(&mg->mu);
  mg->cl = NULL; /* sends fail from now on; parts out there are recomputed as lost */
  mg->stop = 1;
  mg->nwant = 0;
  pthread_cond_broadcast(&mg->cv);
  pthread_mutex_unlock(&mg->mu);
  if (mg->started)
    pthread_join(mg->th, NULL);
  mg->started = 0;
  pf_pool_set_remote_peers(rt->pool, 0);
  for (int m = 0; m < MIG_MAX_WANT; m++) /* nothing will come back */
    (void)pf_pool_remote_lost(rt->pool, m);
}

/* After the pool is gone (pf_rt_destroy). */
void pf_rt_migrate_free(pf_rt *rt) {
  pf_migrate *mg = atomic_load(&rt->mig);
  if (!mg)
    return;
  while (mg->head) {
    mig_item *n = mg->head->next;
    item_free(mg->head);
    mg->head = n;
  }
  while (mg->out_head) {
    mig_out *n = mg->out_head->next;
    free(mg->out_head->values);
    free(mg->out_head->defs);
    free(mg->out_head);
    mg->out_head = n;
  }
  while (mg->runs) { /* finished with the pool */
    mig_run *n = mg->runs->next;
    pf_job_free(mg->runs->job);
    free(mg->runs);
    mg->runs = n;
  }
  while (mg->progs) {
    mig_prog *n = mg->progs->next;
    pf_par_remote_free(mg->progs->rm);
    pf_program_destroy(mg->progs->prog);
    free(mg->progs);
    mg->progs = n;
  }
  for (unsigned i = 0; i < MIG_SENT_FOLDS; i++)
    free(mg->sent[i].hashes);
  pthread_cond_destroy(&mg->cv);
  pthread_mutex_destroy(&mg->mu);
  free(mg);
  atomic_store(&rt->mig, NULL);
}

void pf_rt_cluster_on_work(void *ctx, const pf_fab_msg *m, uint32_t from) {
  pf_rt *rt = ctx;
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (!mg)
    return;
  if (from < MIG_MAX_WANT) { /* it answers again */
    pthread_mutex_lock(&mg->mu);
    mg->unreachable[from] = 0;
    pthread_mutex_unlock(&mg->mu);
  }
  switch (m->type) {
  case PF_FAB_STEAL_REQUEST:
    if (m->u.steal.job == 0) {
      if (mg->coordinator)
        want_add(mg, from);
    } else {
      pf_pool_remote_ask(rt->pool, (int)from, m->u.steal.job, m->u.steal.idle == STEAL_STOP);
      if (m->u.steal.idle == STEAL_STOP) { /* a call its owner dropped */
        pthread_mutex_lock(&mg->mu);
        for (mig_run *r = mg->runs; r; r = r->next)
          if (r->from == from && r->part == m->u.steal.job)
            atomic_store(&r->stop, 1);
        pthread_mutex_unlock(&mg->mu);
      }
    }
    return;
  case PF_FAB_SUBRANGE:
    if (mg->coordinator) { /* positions given back */
      pf_pool_remote_returned(rt->pool, m->u.sub.job, &m->u.sub.sr);
      return;
    }
    break;
  case PF_FAB_RESULT:
    if (!mg->coordinator)
      return;
    break;
  default:
    return;
  }
  mig_item *it = calloc(1, sizeof *it);
  if (!it)
    return;
  it->from = from;
  if (m->type == PF_FAB_SUBRANGE) {
    it->kind = MI_SUBRANGE;
    it->part = m->u.sub.job;
    it->sr = m->u.sub.sr;
    memcpy(it->closure, m->u.sub.closure, PF_FAB_ID_SIZE);
    it->nhashes = m->u.sub.ndefs;
    it->hashes = malloc((size_t)it->nhashes * PF_FAB_ID_SIZE + 1);
    it->values = malloc(m->u.sub.values.n + 1);
    it->nvalues = m->u.sub.values.n;
    if (it->hashes && it->values) {
      memcpy(it->hashes, m->u.sub.defs, (size_t)it->nhashes * PF_FAB_ID_SIZE);
      memcpy(it->values, m->u.sub.values.p, it->nvalues);
    }
  } else {
    it->kind = MI_RESULT;
    it->part = m->u.result.job;
    it->outcome = m->u.result.outcome;
    it->position = m->u.result.position;
    it->values = malloc(m->u.result.values.n + 1);
    it->nvalues = m->u.result.values.n;
    if (it->values)
      memcpy(it->values, m->u.result.values.p, it->nvalues);
    it->hashes = malloc(1);
  }
  if (!it->hashes || !it->values) {
    if (it->kind == MI_RESULT)
      pf_pool_remote_result(rt->pool, it->part, pf_unbound(), 0);
    item_free(it);
    return;
  }
  push_item(mg, it);
}

void pf_rt_cluster_on_member(void *ctx, uint32_t id, uint32_t state) {
  pf_rt *rt = ctx;
  (void)state;
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (!mg)
    return;
  want_remove(mg, id);
  unsigned n = pf_pool_remote_lost(rt->pool, (int)id);
  if (n)
    fprintf(stderr, "pyforad: machine %u is gone: %u unfinished part(s) are recomputed here\n",
            id, n);
}

json_t *pf_rt_migrate_stats(pf_rt *rt) {
  pf_remote_stats s = pf_pool_remote_stats(rt->pool);
  json_t *j = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
      "calls_sent", (json_int_t)s.calls_sent, "calls_done", (json_int_t)s.calls_done,
      "calls_failed", (json_int_t)s.calls_failed, "parts_sent",
      (json_int_t)s.parts_sent, "positions_sent", (json_int_t)s.positions_sent, "parts_done",
      (json_int_t)s.parts_done, "positions_done", (json_int_t)s.positions_done, "give_back_asks",
      (json_int_t)s.gave_back_asks, "positions_returned", (json_int_t)s.positions_returned,
      "parts_lost", (json_int_t)s.parts_lost, "positions_recomputed",
      (json_int_t)s.positions_recomputed, "positions_resumed", (json_int_t)s.positions_resumed,
      "positions_dropped", (json_int_t)s.positions_dropped,
      "parts_received", (json_int_t)s.parts_received,
      "positions_received", (json_int_t)s.positions_received, "positions_given_back",
      (json_int_t)s.positions_given_back, "outstanding", (json_int_t)s.outstanding);
  pf_migrate *mg = atomic_load_explicit(&rt->mig, memory_order_acquire);
  if (j && mg) {
    pthread_mutex_lock(&mg->mu);
    json_object_set_new(j, "steal_requests", json_integer((json_int_t)mg->steal_requests));
    json_object_set_new(j, "subrange_messages", json_integer((json_int_t)mg->subrange_msgs));
    json_object_set_new(j, "subrange_bytes", json_integer((json_int_t)mg->subrange_bytes));
    json_object_set_new(j, "page_bytes_published",
                        json_integer((json_int_t)mg->page_bytes_published));
    json_object_set_new(j, "results_sent", json_integer((json_int_t)mg->results_sent));
    json_object_set_new(j, "result_bytes", json_integer((json_int_t)mg->result_bytes));
    json_object_set_new(j, "results_received", json_integer((json_int_t)mg->results_received));
    json_object_set_new(j, "result_bytes_received",
                        json_integer((json_int_t)mg->result_bytes_received));
    json_object_set_new(j, "programs_loaded", json_integer((json_int_t)mg->programs_loaded));
    json_object_set_new(j, "parts_refused", json_integer((json_int_t)mg->refused));
    json_object_set_new(j, "definitions_fetched", json_integer((json_int_t)mg->defs_fetched));
    pthread_mutex_unlock(&mg->mu);
  }
  return j;
}
