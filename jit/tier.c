/* tier.c — when code runs natively: per-code records (by hash, shared across programs),
 * call counters, the background compile thread, the call path the interpreter takes
 * (pf_jit_iface.call), and the counters of GET /v1/stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit_int.h"

#define PF_JIT_DEFAULT_HOT 100
#define PF_JIT_MAX_NATIVE_DEPTH 50000 /* native frames per call chain (the C stack) */
/* Native code that deoptimises this often (more than 64 times, and on more than a quarter of
 * its calls) is dropped: each deopt runs the call twice. */
#define PF_JIT_DEOPT_MIN 64
#define PF_JIT_DEOPT_SHARE 4
/* auto mode: a fused fold over at least this many elements compiles F and its fold kernel at
 * once, on the worker (warm start), instead of interpreting F's first calls */
#define PF_JIT_WARM_FOLD 10000

static const atomic_int never_cancelled = 0;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

pf_status_t pf_jit_mode_parse(const char *s, pf_jit_mode *mode_p) {
  if (!s)
    return PF_EINVAL;
  if (!strcmp(s, "off"))
    *mode_p = PF_JIT_OFF;
  else if (!strcmp(s, "auto"))
    *mode_p = PF_JIT_AUTO;
  else if (!strcmp(s, "always"))
    *mode_p = PF_JIT_ALWAYS;
  else
    return PF_EINVAL;
  return PF_OK;
}

const char *pf_jit_mode_name(pf_jit_mode mode) {
  return mode == PF_JIT_AUTO ? "auto" : mode == PF_JIT_ALWAYS ? "always" : "off";
}

static jcode *code_record(pf_jit *jit, pf_code *k, int depth);

jcode *pf_jit_code_record(pf_jit *jit, pf_code *k) { return code_record(jit, k, 0); }

/* Binds the functions "k"'s globals hold now too: native code calling them directly checks
 * their record (compile.c), so a program that finds its code compiled already need not
 * interpret the callees once first. */
static void bind_callees(pf_jit *jit, pf_code *k, int depth) {
  if (depth >= 8)
    return;
  for (uint32_t i = 0; i < k->ngslots; i++) {
    pf_val v = *k->gslots[i];
    if (pf_is_type(v, &pf_type_func))
      code_record(jit, ((pf_func *)v.u.o)->code, depth + 1);
  }
}

static jcode *code_record(pf_jit *jit, pf_code *k, int depth) {
  jcode *jc = __atomic_load_n((jcode **)&k->jit, __ATOMIC_ACQUIRE);
  if (jc)
    return jc;
  uint64_t h = pf_jit_code_hash(k);
  size_t b = h % (sizeof jit->table / sizeof jit->table[0]);
  pthread_mutex_lock(&jit->tmu);
  for (jc = jit->table[b]; jc && jc->hash != h; jc = jc->next)
    ;
  if (jc) {
    for (uint32_t i = 0; i < atomic_load(&jc->nsigs); i++)
      if (atomic_load(&jc->sigs[i].state) == JS_READY) {
        jit->cache_hits++; /* compiled for an earlier program: used as it is */
        break;
      }
  } else if ((jc = calloc(1, sizeof *jc))) {
    jc->hash = h;
    jc->nparams = k->nparams;
    snprintf(jc->name, sizeof jc->name, "%s", k->qualname ? k->qualname : k->name ? k->name : "?");
    jc->next = jit->table[b];
    jit->table[b] = jc;
    jit->n_codes++;
  }
  if (jc)
    __atomic_store_n((jcode **)&k->jit, jc, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&jit->tmu);
  if (jc)
    bind_callees(jit, k, depth);
  return jc;
}

/* Whether entry "e" is for the instance keys "ikey" (NULL: no instance arguments). */
static bool same_keys(const jsig *e, const uint64_t *ikey) {
  for (uint32_t j = 0; j < PF_JIT_MAXARGS; j++)
    if (e->ikey[j] != (ikey ? ikey[j] : 0))
      return false;
  return true;
}

static void queue_push(pf_jit *jit, jjob *j) {
  pthread_mutex_lock(&jit->tmu);
  if (jit->q_tail)
    jit->q_tail->next = j;
  else
    jit->q_head = j;
  jit->q_tail = j;
  pthread_cond_signal(&jit->tcv);
  pthread_mutex_unlock(&jit->tmu);
}

/* The entry of "jc" for "sig" (and "ikey", the keys of its instance arguments "args"),
 * added when absent (NULL when all slots are taken). */
static jsig *sig_entry(pf_jit *jit, jcode *jc, uint32_t sig, const uint64_t *ikey,
                       const pf_val *args) {
  uint32_t n = atomic_load_explicit(&jc->nsigs, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++)
    if (jc->sigs[i].sig == sig && same_keys(&jc->sigs[i], ikey))
      return &jc->sigs[i];
  if (n >= PF_JIT_MAXSIGS)
    return NULL; /* a fifth signature is interpreted, without taking the lock */
  pthread_mutex_lock(&jit->tmu);
  jsig *e = NULL;
  n = atomic_load(&jc->nsigs);
  for (uint32_t i = 0; i < n && !e; i++)
    if (jc->sigs[i].sig == sig && same_keys(&jc->sigs[i], ikey))
      e = &jc->sigs[i];
  if (!e && n < PF_JIT_MAXSIGS) {
    e = &jc->sigs[n];
    e->sig = sig;
    for (uint32_t j = 0; j < PF_JIT_MAXARGS && ikey; j++) {
      e->ikey[j] = ikey[j];
      if (ikey[j])
        snprintf(e->iname[j], sizeof e->iname[j], "%s", ((pf_inst *)args[j].u.o)->cls->name);
    }
    atomic_store(&e->state, JS_COLD);
    if (sig == PF_JIT_SIG_OTHER) {
      snprintf(e->why, sizeof e->why, "arguments of types other than int, float, bool, tuples or "
               "lists of ints or of floats, and instances (built, of user classes)");
      atomic_store(&e->state, JS_FAILED);
    } else if (sig == PF_JIT_SIG_ARITY) {
      snprintf(e->why, sizeof e->why, "called with another number of arguments than its "
               "parameters (defaults)");
      atomic_store(&e->state, JS_FAILED);
    }
    atomic_store_explicit(&jc->nsigs, n + 1, memory_order_release);
  }
  pthread_mutex_unlock(&jit->tmu);
  return e;
}

/* Compiles "snap" for "sig" and publishes the outcome in "e". */
static void compile_now(pf_jit *jit, jsnap *snap, jsig *e) {
  double t0 = now_ms();
  pf_jit_entry entry = NULL;
  uint8_t rtype = JT_NONE;
  char why[sizeof e->why] = "";
  pf_status_t st = pf_jit_compile(jit, snap, e->sig, -1, &entry, NULL, &rtype, why, sizeof why);
  double ms = now_ms() - t0;
  pthread_mutex_lock(&jit->tmu);
  if (st == PF_OK) {
    e->entry = entry;
    e->rtype = rtype;
    jit->compiles++;
    jit->compile_ms_total += ms;
    jit->compile_ms_last = ms;
    if (ms > jit->compile_ms_max)
      jit->compile_ms_max = ms;
    atomic_store_explicit(&e->state, JS_READY, memory_order_release);
  } else {
    snprintf(e->why, sizeof e->why, "%s", why[0] ? why : pf_status_str(st));
    jit->compile_failures++;
    atomic_store_explicit(&e->state, JS_FAILED, memory_order_release);
  }
  pthread_mutex_unlock(&jit->tmu);
}

static bool fold_compile_snap(pf_jit *jit, jsnap *snap, jsig *e, int kind);

/* Compiles what job "j" asks for: an OSR entry, a fold kernel or a function's entry. True
 * when a fold kernel is ready. */
static bool run_job(pf_jit *jit, const jjob *j) {
  if (j->osr)
    pf_jit_osr_job(jit, j);
  else if (j->fold_kind >= 0)
    return fold_compile_snap(jit, j->snap, &j->jc->sigs[j->sigi], j->fold_kind);
  else
    compile_now(jit, j->snap, &j->jc->sigs[j->sigi]);
  return false;
}

bool pf_jit_compile_here(const pf_jit *jit) {
  return jit->mode == PF_JIT_ALWAYS || !jit->thread_started;
}

int pf_jit_submit(pf_jit *jit, const jjob *job, bool now) {
  if (now) {
    bool ok = run_job(jit, job);
    pf_jit_snap_free(job->snap);
    return ok;
  }
  jjob *j = malloc(sizeof *j);
  if (!j) {
    pf_jit_snap_free(job->snap);
    return -1;
  }
  *j = *job;
  j->next = NULL;
  queue_push(jit, j);
  return 0;
}

static void *compile_main(void *arg) {
  pf_jit *jit = arg;
  /* LLVM's one-time set-up (pass and target state) runs here, at start, rather than in the
   * first compile a request waits for */
  pf_jit_i64_binop_fn warm;
  if (pf_jit_i64_binop(jit, PF_OP_ADD, &warm) != PF_OK)
    warm = NULL; /* the first compile pays for it */
  pthread_mutex_lock(&jit->tmu);
  for (;;) {
    while (!jit->stop && !jit->q_head)
      pthread_cond_wait(&jit->tcv, &jit->tmu);
    if (jit->stop)
      break;
    jjob *j = jit->q_head;
    jit->q_head = j->next;
    if (!jit->q_head)
      jit->q_tail = NULL;
    pthread_mutex_unlock(&jit->tmu);
    run_job(jit, j);
    pf_jit_snap_free(j->snap);
    free(j);
    pthread_mutex_lock(&jit->tmu);
  }
  pthread_mutex_unlock(&jit->tmu);
  return NULL;
}

/* Starts compiling "k" for "e" (called with "args"): synchronously (always) or on the
 * compile thread. */
static void start_compile(pf_jit *jit, pf_code *k, jcode *jc, jsig *e, const pf_val *args) {
  int cold = JS_COLD;
  if (!atomic_compare_exchange_strong(&e->state, &cold, JS_QUEUED))
    return; /* another worker got there first */
  jsnap *snap = pf_jit_snap_take(jit, k);
  for (uint32_t j = 0; snap && j < k->nparams && j < PF_JIT_MAXARGS; j++)
    if (jsig_arg(e->sig, j) == JSIG_INST) { /* the instance's class and layout (inst.c) */
      int ci = pf_jit_snap_inst(jit, snap, (const pf_inst *)args[j].u.o);
      snap->argcls[j] = (uint16_t)(ci < 0 ? 0 : ci);
    }
  if (!snap) {
    pthread_mutex_lock(&jit->tmu);
    snprintf(e->why, sizeof e->why, "out of memory");
    atomic_store(&e->state, JS_FAILED);
    pthread_mutex_unlock(&jit->tmu);
    return;
  }
  jjob job = {.snap = snap, .jc = jc, .sigi = (uint32_t)(e - jc->sigs), .fold_kind = -1};
  if (pf_jit_submit(jit, &job, pf_jit_compile_here(jit)) < 0)
    atomic_store(&e->state, JS_COLD);
}

static int tier_call(void *self, struct pf_func *fn, const pf_val *args, uint32_t nargs,
                     size_t depth_left, const atomic_int *cancel, atomic_uint_fast64_t *progress,
                     pf_val *out) {
  pf_jit *jit = self;
  pf_code *k = fn->code;
  jcode *jc = __atomic_load_n((jcode **)&k->jit, __ATOMIC_ACQUIRE);
  if (!jc && !(jc = pf_jit_code_record(jit, k)))
    return 0;
  uint32_t sig = 0;
  int64_t bits[PF_JIT_MAXARGS];
  uint64_t ikey[PF_JIT_MAXARGS] = {0};
  bool insts = false;
  if (nargs != k->nparams)
    sig = PF_JIT_SIG_ARITY;
  else if (nargs > PF_JIT_MAXARGS)
    sig = PF_JIT_SIG_OTHER;
  for (uint32_t i = 0; i < nargs && sig < PF_JIT_SIG_ARITY; i++) {
    pf_val a = args[i];
    int t = a.tag == PF_INT ? JT_INT : a.tag == PF_FLOAT ? JT_FLOAT : a.tag == PF_BOOL ? JT_BOOL : -1;
    if (t < 0 && a.tag == PF_OBJ && (a.u.o->type == &pf_type_tuple || a.u.o->type == &pf_type_list)) {
      /* a sequence of ints or of floats, as its first item says (ints when empty); native
       * code checks every item it reads and deoptimises on another kind */
      size_t n = (size_t)pf_jit_seq_len(a.u.o);
      pf_val first = !n ? pf_int(0) : a.u.o->type == &pf_type_tuple ? pf_tuple_get(a, 0)
                                                                    : pf_list_get(a, 0);
      t = first.tag == PF_INT ? JSIG_SEQI : first.tag == PF_FLOAT ? JSIG_SEQF : -1;
    } else if (t < 0 && a.tag == PF_OBJ && a.u.o->type == &pf_type_inst) {
      /* an instance: guarded by the key of its class and layout (inst.c) */
      ikey[i] = pf_jit_inst_key(jit, (const pf_inst *)a.u.o);
      t = ikey[i] ? JSIG_INST : -1;
      insts |= t >= 0;
    }
    if (t < 0)
      sig = PF_JIT_SIG_OTHER;
    else {
      sig |= (uint32_t)t << (4 * i);
      bits[i] = a.u.i;
    }
  }
  if (sig >= PF_JIT_SIG_ARITY)
    insts = false;
  jsig *e = sig_entry(jit, jc, sig, insts ? ikey : NULL, args);
  if (!e)
    return 0;
  int state = atomic_load_explicit(&e->state, memory_order_acquire);
  if (__builtin_expect(state == JS_READY, 1)) {
    int64_t res[2] = {0, 0};
    size_t depth = depth_left < PF_JIT_MAX_NATIVE_DEPTH ? depth_left : PF_JIT_MAX_NATIVE_DEPTH;
    atomic_uint_fast64_t unused = 0;
    pf_jit_nctx ctx = {cancel ? cancel : &never_cancelled, progress ? progress : &unused, 0};
    /* calls are counted only once one deoptimised: no shared write on the common path */
    uint64_t nat = 0;
    if (atomic_load_explicit(&e->deopts, memory_order_relaxed))
      nat = atomic_fetch_add_explicit(&e->native, 1, memory_order_relaxed) + 1;
    if (e->entry(&ctx, k->gslots, (int64_t)depth, bits, res)) {
      uint64_t d = atomic_fetch_add_explicit(&e->deopts, 1, memory_order_relaxed) + 1;
      if (d > PF_JIT_DEOPT_MIN && d * PF_JIT_DEOPT_SHARE > nat) {
        pthread_mutex_lock(&jit->tmu);
        if (atomic_load(&e->state) == JS_READY) {
          snprintf(e->why, sizeof e->why, "deoptimised on %llu of %llu calls (overflow, zero "
                   "division, changed global, item, index): interpreted from now on",
                   (unsigned long long)d, (unsigned long long)nat);
          atomic_store_explicit(&e->state, JS_FAILED, memory_order_release);
        }
        pthread_mutex_unlock(&jit->tmu);
      }
      return 2;
    }
    int rt = e->rtype == JT_NUM ? (res[1] ? JT_FLOAT : JT_INT) : e->rtype;
    switch (rt) {
    case JT_INT: *out = pf_int(res[0]); break;
    case JT_BOOL: *out = pf_bool(res[0] != 0); break;
    case JT_FLOAT: {
      pf_val v = {.tag = PF_FLOAT};
      v.u.i = res[0];
      *out = v;
      break;
    }
    default: *out = pf_none(); break;
    }
    return 1;
  }
  if (state == JS_FAILED) {
    if (jit->mode == PF_JIT_ALWAYS)
      atomic_fetch_add_explicit(&e->calls_not_compiled, 1, memory_order_relaxed);
    return 0;
  }
  if (state == JS_QUEUED)
    return 0;
  if (jit->mode != PF_JIT_ALWAYS &&
      atomic_fetch_add_explicit(&jc->calls, 1, memory_order_relaxed) + 1 < jit->hot_calls)
    return 0;
  start_compile(jit, k, jc, e, args);
  if (jit->mode == PF_JIT_ALWAYS)
    return tier_call(self, fn, args, nargs, depth_left, cancel, progress, out);
  return 0;
}

/* Compiles the fold kernel of "kind" from "snap" (F, or a generator expression's element)
 * and publishes it in "e" (ready, or failed: the fold then calls F per element). The caller
 * moved e->fstate[kind] to JS_QUEUED. True when the kernel is ready. */
static bool fold_compile_snap(pf_jit *jit, jsnap *snap, jsig *e, int kind) {
  double t0 = now_ms();
  pf_jit_fold_fn fentry = NULL;
  uint8_t rtype = JT_NONE;
  char why[sizeof e->why] = "";
  pf_status_t st = pf_jit_compile(jit, snap, e->sig, kind, NULL, &fentry, &rtype, why, sizeof why);
  double ms = now_ms() - t0;
  pthread_mutex_lock(&jit->tmu);
  if (st == PF_OK && fentry) {
    jit->compiles++;
    jit->compile_ms_total += ms;
    jit->compile_ms_last = ms;
    if (ms > jit->compile_ms_max)
      jit->compile_ms_max = ms;
    e->fentry[kind] = fentry;
    if (kind == PF_JIT_FOLD_COLLECT_VAL)
      e->frtype_val = rtype;
    else
      e->frtype = rtype;
    jit->fold_kernels++;
    atomic_store_explicit(&e->fstate[kind], JS_READY, memory_order_release);
  } else {
    atomic_store_explicit(&e->fstate[kind], JS_FAILED, memory_order_release);
    if (st != PF_OK && (e->sig & PF_JIT_SIG_ELEM_BIT) &&
        atomic_load(&e->state) == JS_COLD) { /* an element: reported in /v1/stats */
      snprintf(e->why, sizeof e->why, "%s", why[0] ? why : pf_status_str(st));
      jit->compile_failures++;
      atomic_store_explicit(&e->state, JS_FAILED, memory_order_release);
    }
  }
  pthread_mutex_unlock(&jit->tmu);
  return st == PF_OK && fentry;
}

/* Starts compiling the fold kernel of "kind" over F ("k", one int argument, signature entry
 * "e" of record "jc"): a module with the kernel alone (F inlined into it; F's own entry is
 * left to the calls' tiering); F is a generator expression's element when "k" is one. On the
 * calling worker when "now" (true when the kernel is then ready), else on the compile thread
 * (false). */
static bool fold_compile(pf_jit *jit, pf_code *k, jcode *jc, jsig *e, int kind, bool now) {
  int cold = JS_COLD;
  if (!atomic_compare_exchange_strong(&e->fstate[kind], &cold, JS_QUEUED))
    return false; /* another worker compiles it: this chunk runs per element */
  jsnap *snap = k->is_comp ? pf_jit_snap_take_elem(jit, k, kind, e->sig) : pf_jit_snap_take(jit, k);
  jjob job = {.snap = snap, .jc = jc, .sigi = (uint32_t)(e - jc->sigs), .fold_kind = kind};
  int rc = snap ? pf_jit_submit(jit, &job, now) : -1;
  if (rc < 0)
    atomic_store(&e->fstate[kind], JS_COLD);
  return rc > 0;
}

/* The signature code of a zip or enumerate source "o" (a tuple or list) whose items the
 * fold reads from index "at": JSIG_SEQI or JSIG_SEQF as the item there says (ints when it
 * has none), or -1. */
static int pair_code(const pf_obj *o, int64_t at) {
  if (!o || (o->type != &pf_type_tuple && o->type != &pf_type_list))
    return -1;
  if (at < 0 || at >= pf_jit_seq_len(o))
    return JSIG_SEQI;
  pf_val sv = {.tag = PF_OBJ};
  sv.u.o = (pf_obj *)o;
  pf_val v = o->type == &pf_type_tuple ? pf_tuple_get(sv, (size_t)at) : pf_list_get(sv, (size_t)at);
  return v.tag == PF_INT ? JSIG_SEQI : v.tag == PF_FLOAT ? JSIG_SEQF : -1;
}

static int tier_fold(void *self, struct pf_func *fn, int kind, int64_t start, int64_t step,
                     int64_t n, size_t depth_left, const atomic_int *cancel,
                     atomic_uint_fast64_t *progress, pf_jit_fold_state *st) {
  pf_jit *jit = self;
  pf_code *k = fn->code;
  if (kind < 0 || kind >= PF_JIT_NFOLDS || n < 0 || k->nparams != 1 || (k->is_gen && !k->is_comp))
    return 0; /* a generator function's call makes a generator: never an element */
  bool elem = k->is_comp; /* a generator expression's or a comprehension's element */
  if (elem && k->nfor > 1 && kind != PF_JIT_FOLD_SUM && kind != PF_JIT_FOLD_MIN &&
      kind != PF_JIT_FOLD_MAX)
    return 0; /* nested loops: sums, min and max only (snap.c) */
  jcode *jc = __atomic_load_n((jcode **)&k->jit, __ATOMIC_ACQUIRE);
  if (!jc && !(jc = pf_jit_code_record(jit, k)))
    return 0;
  /* an element's extra values (fold_x.c): read once per chunk, their types in the signature */
  uint32_t sig = elem ? PF_JIT_SIG_ELEM : JT_INT;
  jxsrc xs[PF_JIT_MAXX + 2];
  int64_t out[7 + PF_JIT_MAXX] = {0};
  if (st->seq) { /* items of a tuple or list: ints or floats, as the first one says */
    pf_val sv = {.tag = PF_OBJ};
    sv.u.o = (pf_obj *)st->seq;
    int64_t len = pf_jit_seq_len(st->seq), at = start;
    if (at < 0 || at >= len)
      return 0;
    pf_val first = st->seq->type == &pf_type_tuple ? pf_tuple_get(sv, (size_t)at)
                                                   : pf_list_get(sv, (size_t)at);
    if (first.tag != PF_INT && first.tag != PF_FLOAT)
      return 0;
    sig = (sig & ~15u) | (first.tag == PF_INT ? JT_INT : JT_FLOAT) | PF_JIT_SIG_SEQBASE_BIT;
    out[6 + PF_JIT_MAXX] = (int64_t)(uintptr_t)st->seq;
  }
  int nsrc = 0; /* zip(xs, ys[, zs]) / enumerate(xs): x is the index, the sources extras 0, 1.. */
  if (st->pair) {
    nsrc = st->pair == 1 && st->pseq[2] ? 3 : 2;
    int c0 = pair_code(st->pseq[0], start);
    int c1 = st->pair == 1 ? pair_code(st->pseq[1], start) : JT_INT;
    int c2 = nsrc == 3 ? pair_code(st->pseq[2], start) : 0;
    if (!elem || k->nfor > 1 || st->seq || st->pair < 0 || c0 < 0 || c1 < 0 || c2 < 0)
      return 0;
    uint32_t o = 0; /* the element unpacks as many items as the zip has sources (another
                     * shape: snap.c says why it is not compiled) */
    int np = pf_jit_elem_shape(k, &o, NULL) ? pf_jit_elem_pair(k, o) : 0;
    if (np && np != nsrc)
      return 0;
    sig |= (st->pair == 1 ? PF_JIT_SIG_ZIP_BIT : PF_JIT_SIG_ENUM_BIT) | (uint32_t)c0 << 4 |
           (uint32_t)c1 << 8 | (uint32_t)c2 << 12;
    out[6] = (int64_t)(uintptr_t)st->pseq[0];
    out[7] = st->pair == 1 ? (int64_t)(uintptr_t)st->pseq[1] : st->pdelta;
    if (nsrc == 3)
      out[8] = (int64_t)(uintptr_t)st->pseq[2];
  }
  if (elem && pf_jit_elem_extras(fn, xs, out + 6, &sig, nsrc) < 0)
    return 0;
  jsig *e = sig_entry(jit, jc, sig, NULL, NULL);
  if (!e)
    return 0;
  if (atomic_load_explicit(&e->fstate[kind], memory_order_acquire) != JS_READY) {
    if (atomic_load(&e->fstate[kind]) != JS_COLD || atomic_load(&e->state) == JS_FAILED) {
      if (elem && jit->mode == PF_JIT_ALWAYS && n > 0 && atomic_load(&e->state) == JS_FAILED)
        atomic_fetch_add_explicit(&e->calls_not_compiled, 1, memory_order_relaxed);
      return 0;
    }
    /* warm start: a large fold compiles at once (auto), every fold does (always); small
     * folds compile in the background once they have asked for that many elements */
    /* (nested loops: every element is an inner loop, so any fold of them is large) */
    if (jit->mode == PF_JIT_ALWAYS || st->total >= PF_JIT_WARM_FOLD || (elem && k->nfor > 1)) {
      if (!fold_compile(jit, k, jc, e, kind, true)) {
        if (elem && jit->mode == PF_JIT_ALWAYS && n > 0 && atomic_load(&e->state) == JS_FAILED)
          atomic_fetch_add_explicit(&e->calls_not_compiled, 1, memory_order_relaxed);
        return 0; /* (an element that does not compile: counted from its first fold) */
      }
    } else {
      uint64_t asked = (uint64_t)(n ? n : st->total);
      if (atomic_fetch_add_explicit(&e->fwait[kind], asked, memory_order_relaxed) + asked >=
          PF_JIT_WARM_FOLD && jit->thread_started)
        fold_compile(jit, k, jc, e, kind, false);
      return 0;
    }
  }
  if (n == 0) { /* a probe: the kernel is ready */
    st->done = 0;
    return 1;
  }
  size_t depth = depth_left < PF_JIT_MAX_NATIVE_DEPTH ? depth_left : PF_JIT_MAX_NATIVE_DEPTH;
  atomic_uint_fast64_t unused = 0;
  pf_jit_nctx ctx = {cancel ? cancel : &never_cancelled, progress ? progress : &unused, 0};
  uint8_t frtype = kind == PF_JIT_FOLD_COLLECT_VAL ? e->frtype_val : e->frtype;
  if (((kind == PF_JIT_FOLD_SUM && frtype == JT_FLOAT) || kind >= PF_JIT_FOLD_COLLECT) &&
      !st->rbuf)
    return 0;
  out[5] = (int64_t)(uintptr_t)st->rbuf;
  int rc = e->fentry[kind](&ctx, k->gslots, (int64_t)depth, start, step, n, out);
  st->done = out[0];
  st->lo = out[1];
  st->hi = out[2];
  st->first = out[3];
  st->best = out[4];
  st->kept = out[5];
  st->first_at = out[6];
  st->result_bool = frtype == JT_BOOL;
  st->result_float = frtype == JT_FLOAT;
  st->result_none = frtype == JT_NONE;
  uint64_t elems = atomic_fetch_add_explicit(&e->felems[kind], (uint64_t)out[0], memory_order_relaxed) +
                   (uint64_t)out[0];
  if (rc == 2) { /* F deoptimised: the caller runs the element in the interpreter */
    uint64_t d = atomic_fetch_add_explicit(&e->fdeopts[kind], 1, memory_order_relaxed) + 1;
    if (d > PF_JIT_DEOPT_MIN && d * PF_JIT_DEOPT_SHARE > elems)
      atomic_store_explicit(&e->fstate[kind], JS_FAILED, memory_order_release); /* per element */
  }
  return rc;
}

/* 1024 sampled safepoints in a loop of "fn" weigh as much as this many calls. */
#define PF_JIT_LOOP_WEIGHT 25

static void tier_loop(void *self, struct pf_func *fn) {
  pf_jit *jit = self;
  if (jit->mode != PF_JIT_AUTO)
    return;
  jcode *jc = pf_jit_code_record(jit, fn->code);
  if (jc)
    atomic_fetch_add_explicit(&jc->calls, PF_JIT_LOOP_WEIGHT, memory_order_relaxed);
}

static void tier_flush(void *self, uint64_t native_calls, uint64_t deopts) {
  pf_jit *jit = self;
  atomic_fetch_add_explicit(&jit->native_calls, native_calls, memory_order_relaxed);
  atomic_fetch_add_explicit(&jit->deopts, deopts, memory_order_relaxed);
}

pf_status_t pf_jit_tier_start(pf_jit *jit, pf_jit_mode mode, unsigned hot_calls) {
  jit->mode = mode;
  jit->hot_calls = hot_calls ? hot_calls : PF_JIT_DEFAULT_HOT;
  jit->iface.self = jit;
  jit->iface.call = tier_call;
  jit->iface.flush = tier_flush;
  jit->iface.loop = tier_loop;
  jit->iface.fold = tier_fold;
  jit->iface.osr = pf_jit_osr_enter;
  if (mode == PF_JIT_AUTO && !jit->thread_started) {
    if (pthread_create(&jit->thread, NULL, compile_main, jit) != 0)
      return PF_EAGAIN;
    jit->thread_started = true;
  }
  return PF_OK;
}

const pf_jit_iface *pf_jit_iface_get(pf_jit *jit) {
  return jit && jit->mode != PF_JIT_OFF && jit->iface.call ? &jit->iface : NULL;
}

void pf_jit_tier_stop(pf_jit *jit) {
  if (jit->thread_started) {
    pthread_mutex_lock(&jit->tmu);
    jit->stop = true;
    pthread_cond_broadcast(&jit->tcv);
    pthread_mutex_unlock(&jit->tmu);
    pthread_join(jit->thread, NULL);
    jit->thread_started = false;
  }
  while (jit->q_head) {
    jjob *j = jit->q_head;
    jit->q_head = j->next;
    pf_jit_snap_free(j->snap);
    free(j);
  }
  jit->q_tail = NULL;
  for (size_t b = 0; b < sizeof jit->table / sizeof jit->table[0]; b++)
    while (jit->table[b]) {
      jcode *jc = jit->table[b];
      jit->table[b] = jc->next;
      pf_jit_osr_free(jc);
      free(jc);
    }
}

static const char *sig_text(const jsig *e, uint32_t nparams, char *buf, size_t len) {
  uint32_t sig = e->sig;
  if (sig == PF_JIT_SIG_OTHER || sig == PF_JIT_SIG_ARITY)
    return "(...)";
  if (sig & PF_JIT_SIG_ELEM_BIT) /* an element: x, then its extra values (fold_x.c) */
    for (nparams = 1; nparams < 7 && jsig_arg(sig, nparams); nparams++)
      ;
  size_t o = (size_t)snprintf(buf, len, "(");
  for (uint32_t i = 0; i < nparams && o < len; i++)
    o += (size_t)snprintf(buf + o, len - o, "%s%s%s", i ? ", " : "",
                          jsig_arg(sig, i) == JT_FLOAT ? "float" : jsig_arg(sig, i) == JT_BOOL ? "bool"
                          : jsig_arg(sig, i) == JSIG_SEQI ? "sequence of int"
                          : jsig_arg(sig, i) == JSIG_SEQF ? "sequence of float"
                          : jsig_arg(sig, i) == JSIG_INST ? "instance of " : "int",
                          jsig_arg(sig, i) == JSIG_INST ? e->iname[i] : "");
  if (o < len)
    snprintf(buf + o, len - o, ")");
  return buf;
}

json_t *pf_jit_stats_json(pf_jit *jit) {
  if (!jit || jit->mode == PF_JIT_OFF) {
    json_t *off = json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:[]}", "mode",
                     "off", "compiles", (json_int_t)0, "fold_kernels", (json_int_t)0,
                     "compile_failures", (json_int_t)0,
                     "compile_ms_total", 0.0, "compile_ms_max", 0.0, "compile_ms_last", 0.0,
                     "cache_hits", (json_int_t)0, "native_calls", (json_int_t)0, "deopts",
                     (json_int_t)0, "not_compilable_calls", (json_int_t)0, "not_compilable");
    if (off) {
      json_object_set_new(off, "osr_compiles", json_integer(0));
      json_object_set_new(off, "osr_entries", json_integer(0));
    }
    return off;
  }
  json_t *list = json_array();
  uint64_t nc_calls = 0;
  pthread_mutex_lock(&jit->tmu);
  for (size_t b = 0; b < sizeof jit->table / sizeof jit->table[0]; b++)
    for (jcode *jc = jit->table[b]; jc; jc = jc->next)
      for (uint32_t i = 0; i < atomic_load(&jc->nsigs); i++) {
        jsig *e = &jc->sigs[i];
        if (atomic_load(&e->state) != JS_FAILED)
          continue;
        uint64_t calls = atomic_load(&e->calls_not_compiled);
        nc_calls += calls;
        if (json_array_size(list) >= 100)
          continue;
        char sb[192];
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "function", jc->name,
                                              "signature", sig_text(e, jc->nparams, sb, sizeof sb),
                                              "reason", e->why, "calls", (json_int_t)calls));
      }
  json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:o}", "mode",
                        pf_jit_mode_name(jit->mode), "compiles", (json_int_t)jit->compiles,
                        "fold_kernels", (json_int_t)jit->fold_kernels,
                        "compile_failures", (json_int_t)jit->compile_failures, "compile_ms_total",
                        jit->compile_ms_total, "compile_ms_max", jit->compile_ms_max,
                        "compile_ms_last", jit->compile_ms_last, "cache_hits",
                        (json_int_t)jit->cache_hits, "native_calls",
                        (json_int_t)atomic_load(&jit->native_calls), "deopts",
                        (json_int_t)atomic_load(&jit->deopts), "not_compilable_calls",
                        (json_int_t)nc_calls, "not_compilable", list);
  if (j)
    pf_jit_osr_stats(jit, j, list);
  pthread_mutex_unlock(&jit->tmu);
  return j;
}
