/* fork.c — independent calls on other workers. The compiler marks the first call of
 * `f(a) + g(b)`, `(f(a), g(b), …)`, `h(f(a), g(b))` as OP_CALL_FORK and joins it (OP_JOIN)
 * once the rest is evaluated. Code is pure, so the call and the rest are independent; only
 * the order of exceptions matters, and the forked call comes first.
 *
 * A forked call is a task on this worker's deque holding a future (R[dst]); thieves take the
 * oldest task, the shallowest call, the largest piece of work. A run forks eagerly in its
 * first FORK_EAGER_DEPTH frames (a recursion's top levels: few, large pieces), deeper only
 * when an idle worker asks for work; never with FORK_QUEUED tasks already waiting. Deep calls
 * stay ordinary calls and cost nothing extra. At the join: if no one took
 * the task, this worker takes it back and makes the call itself as usual (pf_sched_unfork);
 * if another worker runs it (in a sub-run of its own), this one helps with other work until
 * it is done, then takes its value or raises its exception. A frame unwound by an exception
 * first finishes its pending calls and raises the first of their exceptions instead, if any
 * (it comes first in Python order). A future dropped unjoined (cancellation) stops its call.
 *
 * In a cluster, when another machine waits for work, the forked call goes there instead of
 * onto the deque (pf_par_describe_call: the function by code origin, its cells and the
 * arguments by value); the join waits for its value, and makes the call here when it failed
 * there (an exception, to raise it with this machine's traceback; a lost machine). */
#include <stdlib.h>
#include <string.h>

#include "pf_par_remote.h"
#include "pf_sched.h"
#include "vm_int.h"

typedef struct pf_future {
  pf_obj h;
  pf_task task;
  pf_worker *w;   /* the worker that forked it (joins and frees it) */
  bool reclaimed; /* taken back by its worker: the call was made there instead */
  bool remote;    /* sent to another machine (rcall) instead of queued */
  pf_remote_call rcall;
  atomic_int stop;
  uint64_t seq;   /* fork order within its frame */
  /* the run it came from, for the sub-run */
  pf_program *prog;
  const atomic_int *cancel;
  atomic_uint_fast64_t *progress;
  size_t max_depth;
  uint32_t nest;
  const pf_jit_iface *jit;
  const atomic_int *root_cancel;
  /* outcome, written by the task before it is marked done */
  pf_val result, exc;
  bool cancelled;
  pf_val fn;
  uint32_t nargs;
  pf_val args[];
} pf_future;

static void future_destroy(pf_obj *o) {
  pf_future *fu = (pf_future *)o;
  if (fu->remote) {
    if (atomic_load_explicit(&fu->rcall.state, memory_order_acquire) == PF_RCALL_PENDING)
      pf_worker_remote_call_forget(fu->w, &fu->rcall);
    pf_decref(fu->rcall.value);
  } else if (!fu->reclaimed && !atomic_load_explicit(&fu->task.done, memory_order_acquire)) {
    /* dropped before its join (the frame was cancelled): stop the call, wait for the task */
    atomic_store(&fu->stop, 1);
    if (!pf_sched_unfork(fu->w, &fu->task))
      pf_sched_join(fu->w, &fu->task);
  }
  pf_decref(fu->fn);
  for (uint32_t i = 0; i < fu->nargs; i++)
    pf_decref(fu->args[i]);
  pf_decref(fu->result);
  pf_decref(fu->exc);
  free(fu);
}
const pf_type pf_type_future = {"future", future_destroy, NULL, NULL};

/* Runs the call of a future on worker "w" (a thief, or its own worker at a late join). */
static void future_main(pf_worker *w, void *arg) {
  pf_future *fu = arg;
  if (atomic_load(&fu->stop)) {
    fu->cancelled = true;
    return;
  }
  pf_par_part pp;
  memset(&pp, 0, sizeof pp);
  pp.cancel = fu->cancel;
  pp.cancel2 = &fu->stop;
  pp.root_cancel = fu->root_cancel;
  pp.w = w;
  atomic_init(&pp.stop, 0);
  pf_run s;
  pf_par_sub_init(&s, fu->prog, &pp, fu->progress, fu->max_depth, fu->nest + 1, fu->jit);
  pf_val out;
  if (pf_call_sync(&s, fu->fn, fu->args, fu->nargs, &out) == 1) {
    fu->result = out;
  } else if (s.canceled || atomic_load(&pp.stop)) {
    fu->cancelled = true;
  } else {
    fu->exc = pf_par_sub_exception(&s);
    if (fu->exc.tag == PF_UNBOUND)
      fu->cancelled = true; /* out of memory making the exception: reported below */
  }
  pf_decref(s.ret);
  pf_decref(s.exc);
  pf_jit_bridge_end(&s);
  pf_run_release(&s);
}

#define FORK_QUEUED 8
#define FORK_EAGER_DEPTH 10
#define FORK_REMOTE_DEPTH 4 /* only a recursion's top calls (the largest) go to other machines:
                             * a call there costs a round trip and loading its program */

static uint64_t fork_seq;

int pf_fork_try(pf_run *r, pf_frame *f, pf_ins i) {
  pf_val fn = f->regs[i.b];
  if (!r->worker || !pf_is_type(fn, &pf_type_func) || ((pf_func *)fn.u.o)->code->is_gen ||
      f->nfut == UINT16_MAX || pf_worker_queued(r->worker) >= FORK_QUEUED || !pf_par_possible(r))
    return 0;
  if (r->depth > FORK_EAGER_DEPTH && !pf_worker_take_split_request(r->worker))
    return 0;
  uint32_t n = i.c;
  pf_future *fu = calloc(1, sizeof *fu + n * sizeof(pf_val));
  if (!fu)
    return 0;
  pf_obj_init(&fu->h, &pf_type_future);
  fu->w = r->worker;
  atomic_init(&fu->stop, 0);
  fu->seq = __atomic_fetch_add(&fork_seq, 1, __ATOMIC_RELAXED);
  fu->prog = r->prog;
  fu->cancel = r->cancel;
  fu->progress = r->progress;
  fu->max_depth = r->max_depth - r->depth;
  fu->nest = r->par_nest;
  fu->jit = r->jit;
  fu->root_cancel = r->root_cancel ? r->root_cancel : r->cancel;
  fu->result = fu->exc = pf_unbound();
  fu->fn = pf_incref(fn);
  fu->nargs = n;
  for (uint32_t j = 0; j < n; j++)
    fu->args[j] = pf_incref(f->regs[i.b + 1 + j]);
  fu->task.fn = future_main;
  fu->task.arg = fu;
  pf_val desc;
  if (r->depth <= FORK_REMOTE_DEPTH && pf_worker_remote_wanted(r->worker) &&
      pf_par_describe_call(fn, fu->args, n, &desc)) {
    fu->remote = pf_worker_remote_call(r->worker, &fu->rcall, r->prog, desc);
    pf_decref(desc);
  }
  if (!fu->remote && pf_sched_fork(r->worker, &fu->task) != PF_OK) {
    fu->reclaimed = true; /* never queued */
    pf_decref(pf_obj_val(&fu->h));
    return 0;
  }
  pf_decref(f->regs[i.a]);
  f->regs[i.a] = pf_obj_val(&fu->h);
  f->nfut++;
  return 1;
}

/* Waits for a future that was not taken back; NS_RETURN (r->ret new), NS_RAISE. */
static int outcome(pf_run *r, pf_future *fu) {
  pf_sched_join(fu->w, &fu->task);
  if (fu->result.tag != PF_UNBOUND) {
    r->ret = pf_incref(fu->result);
    return NS_RETURN;
  }
  if (fu->exc.tag != PF_UNBOUND) {
    pf_decref(r->exc);
    r->exc = fu->exc;
    fu->exc = pf_unbound();
    return NS_RAISE;
  }
  if (r->cancel && atomic_load(r->cancel)) {
    r->canceled = true;
    return pf_raise_run(r, PF_EXC_KeyboardInterrupt, "cancelled");
  }
  return pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
}

/* Waits for a call sent to another machine: true with its value in r->ret, false when it
 * is to be made here. */
static bool remote_outcome(pf_run *r, pf_future *fu) {
  pf_worker_remote_call_wait(fu->w, &fu->rcall);
  if (atomic_load_explicit(&fu->rcall.state, memory_order_acquire) != PF_RCALL_DONE)
    return false;
  pf_decref(r->ret);
  r->ret = pf_incref(fu->rcall.value);
  return true;
}

int pf_fork_join(pf_run *r, pf_frame *f, uint32_t reg) {
  pf_future *fu = (pf_future *)f->regs[reg].u.o;
  f->nfut--;
  if (fu->remote) {
    if (remote_outcome(r, fu))
      return NS_RETURN;
    return pf_vm_call(r, f, fu->fn, fu->args, fu->nargs, NULL, NULL, 0, reg);
  }
  if (pf_sched_unfork(fu->w, &fu->task)) { /* no one took it: call it here, as usual */
    fu->reclaimed = true;
    return pf_vm_call(r, f, fu->fn, fu->args, fu->nargs, NULL, NULL, 0, reg);
  }
  return outcome(r, fu);
}

bool pf_fork_settle(pf_run *r, pf_frame *f) {
  bool replaced = false;
  while (f->nfut > 0) {
    /* the earliest pending call first */
    uint32_t best = UINT32_MAX;
    for (uint32_t j = 0; j < f->nregs; j++)
      if (pf_is_type(f->regs[j], &pf_type_future) &&
          (best == UINT32_MAX ||
           ((pf_future *)f->regs[j].u.o)->seq < ((pf_future *)f->regs[best].u.o)->seq))
        best = j;
    if (best == UINT32_MAX) {
      f->nfut = 0;
      break;
    }
    pf_future *fu = (pf_future *)f->regs[best].u.o;
    f->nfut--;
    if (!replaced) {
      /* it ran before the failing code in Python order: its exception wins */
      pf_val saved = r->exc;
      pf_err saved_err = r->err;
      r->exc = pf_unbound();
      int rc;
      pf_val v;
      if (fu->remote && remote_outcome(r, fu)) {
        rc = NS_RETURN;
        pf_decref(r->ret);
        r->ret = pf_unbound();
      } else if (fu->remote || pf_sched_unfork(fu->w, &fu->task)) {
        fu->reclaimed = true;
        rc = pf_call_sync(r, fu->fn, fu->args, fu->nargs, &v) == 1 ? NS_RETURN : NS_RAISE;
        if (rc == NS_RETURN)
          pf_decref(v);
      } else {
        rc = outcome(r, fu);
        if (rc == NS_RETURN) {
          pf_decref(r->ret);
          r->ret = pf_unbound();
        }
      }
      if (rc == NS_RAISE && !r->canceled) {
        if (r->exc.tag == PF_UNBOUND && pf_exc_from_err(r->prog, &r->err, &r->exc) != PF_OK)
          r->exc = pf_unbound();
        if (r->exc.tag != PF_UNBOUND) {
          pf_decref(saved);
          replaced = true;
        }
      }
      if (!replaced) {
        pf_decref(r->exc);
        r->exc = saved;
        r->err = saved_err;
      }
    }
    pf_decref(f->regs[best]); /* a later pending call is stopped by its destructor */
    f->regs[best] = pf_unbound();
  }
  return replaced;
}
