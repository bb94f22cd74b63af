/* pf_sched.h — the work-stealing scheduler: a Chase–Lev deque per worker, the
 * serialisable subrange record with exact split arithmetic, a pool of pinned workers that
 * steal nearest first, jobs (trees of tasks that can be cancelled as a whole), fork/join,
 * and splittable folds whose results combine in Python order.
 *
 * HOW THE RUNTIME AND THE INTERPRETER USE THIS
 * ---------------------------------------------
 * core/rt creates one pf_pool (--threads workers pinned by topology/) and runs each
 * computation as the root task of a pf_job (a dispatcher thread sleeps in pf_job_run until
 * the job is over; DELETE → pf_job_cancel, which folds see at their safepoints in addition to
 * the computation's cancel flag the VM polls).
 *
 * A fold (sum/min/max/any/all, comprehensions, map/filter/sorted/list/tuple) whose source is
 * a range — or a list, folded over its index range — becomes pf_fold_exec(w, ops, ctx, kind,
 * code_id, start, stop, step, &result) on the worker that reaches it (inside its job); see
 * core/interp/par.c and docs/architecture.md. The range is
 * one pf_subrange: cursor, bound, step, and "index" = the Python-order position (ordinal) of its
 * first element. pf_fold_exec runs that subrange on the calling worker; the per-element work is
 * ops->body (for the VM: bind the loop variable to "x" and run the generator's element code on a
 * heap frame, adding into the fold's accumulator "acc", a heap record: exact int, pf_fsum, list
 * builder, min/max so far). Between two elements — the fold loop's back-edge — the runner calls the
 * safepoint:
 *
 *   1. job cancelled, or the fold already has an exception at an earlier position than the
 *      cursor ("cut") → stop this subrange (work after position i is dropped);
 *   2. the worker's "someone is idle" flag is set (a thief that found every deque empty set
 *      it on its nearest busy victim) and the worker's own deque is empty → split: the
 *      UNFINISHED remainder [cursor, bound) is halved (pf_subrange_split); the owner keeps
 *      the lower half by lowering its bound, and the upper half — a new pf_subrange whose
 *      cursor is the split point and whose index is the split point's ordinal — is pushed as
 *      a task on the owner's deque, where the idle worker steals it (lazy binary splitting:
 *      no chunking up front; a worker with nothing to do causes exactly the splits it needs).
 *      The thief creates a fresh accumulator (ops->acc_new) and runs the upper half with the
 *      same code (the subrange's code_id names the closure; on another machine it is looked
 *      up by id, since the record serialises to 64 bytes).
 *
 * A VM that runs the element loop itself (its fold frame holds the pf_subrange as its range
 * cursor) sets ops->run instead of ops->body: it takes elements with pf_subrange_next and calls
 * pf_fold_safepoint(w, sr) at each back-edge; a split there lowers sr->bound under its feet,
 * which is all the loop has to know. Each finished subrange publishes one part
 * (its index, its accumulator, its exception and position, if any) on a lock-free list of the
 * fold. The worker that called pf_fold_exec helps (runs or steals other tasks) until every
 * subrange of its fold has finished, then sorts the parts by index and merges accumulators
 * left to right with ops->merge(into = earlier, right = later): list concatenation keeps
 * Python's order, exact int sums add, pf_fsum_merge keeps float sums correctly rounded (so
 * bitwise identical on any number of threads), min/max keep the left one on ties. If any
 * part has an exception, the one with the smallest position is reported — the first in
 * Python order, whichever thread failed first in time — since every element before the cut
 * has been evaluated (subranges before the cut always run to completion).
 *
 * Threads and locks: the hot path (push, pop, safepoint check) touches only the worker's own
 * deque and flag; steals CAS the victim's deque top. Counters are per worker (summed by
 * pf_pool_get_stats). Mutexes are used only to hand a root task to the pool, to put idle
 * workers to sleep when no job is active, and to wake a job's waiter once at its end.
 */
#ifndef PF_SCHED_H
#define PF_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_status.h"
#include "pf_topo.h"
#include "pf_value.h"

/* ---------------------------------------------------------------- Chase–Lev deque
 * Owner pushes and pops at the bottom (LIFO); thieves steal at the top (FIFO). Orderings of
 * Lê, Pop, Cohen, Zappa Nardelli (PPoPP 2013). Grows without bound; old buffers are kept
 * until pf_deque_free, because a thief may still read one. */

typedef struct pf_deque pf_deque;

/* Returns a new empty deque with room for 2^"log_size" items before its first growth
 * ("log_size" is clamped to 1..30); free with pf_deque_free. */
pf_status_t pf_deque_new(unsigned log_size, pf_deque **dq_p) PF_WUR;
/* Frees "dq" and every buffer it grew through; the items are not owned. NULL is a no-op. */
void pf_deque_free(pf_deque *dq);
/* Owner only: pushes "item" (borrowed, not NULL) at the bottom. PF_ENOMEM if growth fails
 * (the deque is unchanged). */
pf_status_t pf_deque_push(pf_deque *dq, void *item) PF_WUR;
/* Owner only: pops the bottom item (the last pushed); NULL when empty. */
void *pf_deque_pop(pf_deque *dq);
/* Any thread: takes the top item (the oldest) into *item_p. PF_OK, PF_ENOENT when empty, or
 * PF_EAGAIN when another thief or the owner won the race (try again). */
pf_status_t pf_deque_steal(pf_deque *dq, void **item_p) PF_WUR;
/* Returns an estimate of the item count (exact when called by the owner with no thief). */
int64_t pf_deque_size(const pf_deque *dq);
/* Returns the current buffer capacity (for tests of growth). */
int64_t pf_deque_capacity(const pf_deque *dq);

/* ---------------------------------------------------------------- subrange record
 * Plain data. The remaining elements are cursor, cursor + step, … strictly before "bound"
 * (in the direction of "step"), as Python's range(cursor, bound, step). "index" is the
 * position in Python order of the subrange's first element (fixed: the key its result is
 * combined under); "pos" is the position of the element at "cursor" (advances with it). */

typedef enum pf_fold_kind {
  PF_FOLD_GENERIC = 0, /* opaque to the scheduler: the ops decide */
  PF_FOLD_SUM,
  PF_FOLD_MIN,
  PF_FOLD_MAX,
  PF_FOLD_ANY,
  PF_FOLD_ALL,
  PF_FOLD_LIST, /* list/tuple/map/filter/comprehension: concatenation in order */
  PF_FOLD_SET,
  PF_FOLD_DICT,
  PF_FOLD_SORTED,
  PF_FOLD_KIND_COUNT
} pf_fold_kind;

typedef struct pf_subrange {
  uint32_t kind;    /* pf_fold_kind */
  uint32_t flags;   /* reserved for the interpreter; serialised as is */
  uint64_t code_id; /* the closure/code object, by id (opaque here) */
  int64_t cursor, bound, step;
  uint64_t index; /* position of the first element: the result key */
  uint64_t pos;   /* position of the element at "cursor" */
  void *cont;     /* in-memory continuation (the fold this belongs to); not serialised */
} pf_subrange;

#define PF_SUBRANGE_WIRE_VERSION 1u
#define PF_SUBRANGE_WIRE_SIZE 64u

/* Fills *sr with range(start, stop, step) at position 0 for code "code_id". PF_EINVAL when
 * "step" is 0 (Python's ValueError) or "kind" is unknown. */
pf_status_t pf_subrange_init(pf_subrange *sr, pf_fold_kind kind, uint64_t code_id, int64_t start,
                             int64_t stop, int64_t step) PF_WUR;
/* Returns how many elements remain in "sr" (up to 2^64 - 1; exact, no overflow). */
uint64_t pf_subrange_count(const pf_subrange *sr);
/* Takes the next element: true with *x_p and its position *pos_p (either may be NULL), the
 * cursor advanced; false when "sr" is exhausted. Never overflows near the int64 limits. */
bool pf_subrange_next(pf_subrange *sr, int64_t *x_p, uint64_t *pos_p);
/* Splits the unfinished remainder of "sr" in half: "sr" keeps the lower ceil(n/2) elements
 * (its bound lowered), "upper" receives the other floor(n/2) with its index and pos set to
 * their position, the same kind, flags, code_id and cont. Returns false (both unchanged) when
 * fewer than 2 elements remain. */
bool pf_subrange_split(pf_subrange *sr, pf_subrange *upper);
/* Writes "sr" to "buf" (PF_SUBRANGE_WIRE_SIZE bytes, little-endian, versioned); "cont" is
 * not written. */
void pf_subrange_encode(const pf_subrange *sr, uint8_t buf[PF_SUBRANGE_WIRE_SIZE]);
/* Reads a record written by pf_subrange_encode from "buf" ("len" bytes) into *sr (cont =
 * NULL). PF_EPROTO on a short buffer, wrong magic or version, zero step, or unknown kind. */
pf_status_t pf_subrange_decode(const uint8_t *buf, size_t len, pf_subrange *sr) PF_WUR;

/* ---------------------------------------------------------------- pool, jobs, tasks */

typedef struct pf_pool pf_pool;
typedef struct pf_worker pf_worker;
typedef struct pf_job pf_job;

typedef void (*pf_task_fn)(pf_worker *w, void *arg);

/* A forkable task. The caller owns the record (often on its stack) and must not touch it
 * between pf_sched_fork and the matching pf_sched_join returning. */
typedef struct pf_task {
  pf_task_fn fn;
  void *arg;
  pf_job *job;          /* set by the scheduler */
  atomic_int done;      /* set by the scheduler */
  int owned;            /* 0 for forked tasks; 1: "fn" frees the record itself (fold subranges) */
  struct pf_task *next; /* the scheduler's (the pool's queue of root tasks) */
} pf_task;

typedef struct pf_pool_stats {
  uint64_t splits;         /* subranges split at a safepoint */
  uint64_t steals;         /* tasks taken from another worker's deque */
  uint64_t split_requests; /* times an idle worker raised a busy worker's flag */
  uint64_t tasks;          /* tasks run */
  unsigned workers, pinned;
  unsigned membound; /* pinned workers whose memory is bound to their NUMA node */
  unsigned busy; /* workers running a task at the moment of the call */
} pf_pool_stats;

/* Starts "nthreads" workers (0: one per PU of "topo"), each with its deque and its victim
 * list nearest first (pf_topo_victim_order); when "pin" is true each is pinned to its PU of
 * the plan and its memory bound to that PU's NUMA node (a refused pinning only leaves that
 * worker unpinned). Returns once every worker
 * runs. "topo" is borrowed and must outlive the pool. Returns new in *pool_p; free with
 * pf_pool_free. */
pf_status_t pf_pool_new(const pf_topo *topo, unsigned nthreads, bool pin, pf_pool **pool_p) PF_WUR;
/* Stops and joins the workers, then frees "pool". Jobs must have finished. NULL: no-op. */
void pf_pool_free(pf_pool *pool);
/* Returns the number of workers of "pool". */
unsigned pf_pool_size(const pf_pool *pool);
/* Returns the sums of the per-worker counters (approximate while jobs run). */
pf_pool_stats pf_pool_get_stats(const pf_pool *pool);

/* Returns a new job of "pool" (not started) in *job_p; free with pf_job_free. */
pf_status_t pf_job_new(pf_pool *pool, pf_job **job_p) PF_WUR;
/* Frees "job"; it must not be running. NULL is a no-op. */
void pf_job_free(pf_job *job);
/* pf_job_start then pf_job_wait, on a thread that is not one of the pool's workers. A job
 * runs once. */
pf_status_t pf_job_run(pf_job *job, pf_task_fn fn, void *arg) PF_WUR;
/* Starts fn(worker, arg) as the root task of "job" and returns at once ("arg" borrowed until
 * the job has finished). PF_EINVAL if the job was started before. */
pf_status_t pf_job_start(pf_job *job, pf_task_fn fn, void *arg) PF_WUR;
/* Waits until the root task of "job" and every task forked or split off under it have
 * finished. PF_ECANCELED if the job was cancelled, PF_EINVAL if never started, else PF_OK. */
pf_status_t pf_job_wait(pf_job *job) PF_WUR;
/* Returns whether "job" has finished (does not block). */
bool pf_job_finished(pf_job *job);
/* Any thread: cancels "job": every subrange of every fold of the job stops at its next
 * safepoint (forked tasks check pf_job_cancelled themselves, as the VM does). Idempotent. */
void pf_job_cancel(pf_job *job);
/* Returns whether "job" was cancelled (the check the VM makes at safepoints). */
bool pf_job_cancelled(const pf_job *job);

/* Stack size of a worker thread: the interpreter nests C calls for synchronous dunder calls
 * and for folds inside folds, and a worker waiting for its fold runs stolen tasks on top. */
#define PF_SCHED_STACK_BYTES ((size_t)64 << 20)

/* Returns the number of workers in the pool of "w". */
unsigned pf_worker_pool_size(const pf_worker *w);
/* Returns the index (0..n-1) of worker "w" in its pool. */
unsigned pf_worker_id(const pf_worker *w);
/* Returns the job of the task worker "w" is running (borrowed); call it on "w" itself. */
pf_job *pf_worker_job(const pf_worker *w);
/* Returns whether another worker asked "w" to split (the "someone is idle" flag). */
bool pf_worker_split_wanted(const pf_worker *w);

/* On worker "w" inside a job: makes "t" (fn/arg filled, borrowed) runnable by any worker as
 * part of the current job. PF_ENOMEM when the deque cannot grow (then run it inline). */
pf_status_t pf_sched_fork(pf_worker *w, pf_task *t) PF_WUR;
/* On the worker that forked "t": runs "t" if no one took it, else runs or steals other work
 * until "t" has finished. */
void pf_sched_join(pf_worker *w, pf_task *t);
/* On the worker that forked "t", "t" being the last task it forked or split off: takes "t"
 * back when no one has taken it yet (true: "t" counts as finished and will not run; the caller
 * runs its work itself), else false ("t" was stolen: pf_sched_join waits for it). */
bool pf_sched_unfork(pf_worker *w, pf_task *t);
/* On worker "w": how many tasks wait in its deque (forked calls not yet joined or stolen,
 * split-off subranges). The interpreter forks calls only while this is small, so the forks
 * that wait are the shallowest — the largest — ones, and deep calls cost nothing extra. */
int64_t pf_worker_queued(const pf_worker *w);
/* On worker "w": whether an idle worker asked it for work since the last call (the flag
 * pf_worker_split_wanted reads, cleared here). */
bool pf_worker_take_split_request(pf_worker *w);

/* ---------------------------------------------------------------- splittable folds */

/* The element function and accumulator of a fold. "ctx" is the caller's, shared read-only by
 * every subrange. The callbacks run on any worker, concurrently for different subranges. */
typedef struct pf_fold_ops {
  /* Returns a new empty accumulator, or NULL when out of memory. */
  void *(*acc_new)(void *ctx);
  /* Folds element "x" at Python position "pos" into "acc". PF_OK, or a failure (PF_EPYEXC
   * for a Python exception) with *exc_p set to a new exception record (may stay NULL). */
  pf_status_t (*body)(void *ctx, void *acc, int64_t x, uint64_t pos, void **exc_p);
  /* Optional, replaces "body": runs subrange "sr" into "acc" on worker "w" itself (a VM
   * loop): before each element it calls pf_fold_safepoint(w, sr) and returns PF_ECANCELED
   * when that does; it takes elements with pf_subrange_next. Returns PF_OK at the end of
   * "sr", or a failure with *exc_p (new, may stay NULL) and *exc_pos_p (its position). */
  pf_status_t (*run)(void *ctx, pf_worker *w, void *acc, pf_subrange *sr, void **exc_p,
                     uint64_t *exc_pos_p);
  /* into := into ⊕ right, where "right" covers the positions just after "into"'s. */
  void (*merge)(void *ctx, void *into, const void *right);
  /* Frees an accumulator from acc_new. */
  void (*acc_free)(void *ctx, void *acc);
  /* Frees an exception record from body/run; may be NULL (records are then not freed). */
  void (*exc_free)(void *ctx, void *exc);
  /* Optional (subranges on other machines): a description of the fold another machine can
   * run from — a new value in *out — or false when it cannot go elsewhere (asked once per
   * fold, by one worker). */
  bool (*describe)(void *ctx, pf_val *out);
  /* Optional, with "describe": the accumulator of a part another machine folded, from the
   * value it sent back (borrowed); NULL when malformed or out of memory. */
  void *(*acc_import)(void *ctx, pf_val v);
} pf_fold_ops;

/* The outcome of pf_fold_exec. */
typedef struct pf_fold_result {
  pf_status_t status; /* PF_OK, the first failing element's status, PF_ECANCELED, PF_ENOMEM */
  void *acc;          /* PF_OK: the combined accumulator; on a failure at exc_pos: the
                       * combination of every element before exc_pos (NULL if none or out of
                       * memory). Free with ops->acc_free */
  void *exc;          /* failure: the first exception in Python order; free with ops->exc_free */
  uint64_t exc_pos;   /* failure: its position */
  uint64_t parts;     /* how many subranges were combined */
} pf_fold_result;

/* On worker "w", inside the job of the task it runs: folds "ops" over range(start, stop,
 * step) — Python positions 0, 1, … — splitting lazily when other workers are idle, and waits
 * (running or stealing other tasks) until all its subranges are in. Fills *res (the caller
 * owns res->acc / res->exc). Returns res->status; PF_EINVAL for step 0. "ops" and "ctx" are
 * borrowed. "kind" and "code_id" are recorded in the subranges (for a remote thief). */
pf_status_t pf_fold_exec(pf_worker *w, const pf_fold_ops *ops, void *ctx, pf_fold_kind kind,
                         uint64_t code_id, int64_t start, int64_t stop, int64_t step,
                         pf_fold_result *res) PF_WUR;

/* The safepoint of a running subrange "sr" of a fold on worker "w" (sr->cont is the fold):
 * PF_ECANCELED when the subrange must stop (job cancelled, or an earlier exception); else
 * PF_OK, after splitting off the upper half of "sr" to an idle worker if one asked. For a VM
 * that runs the element loop itself; pf_fold_exec calls it between elements. */
pf_status_t pf_fold_safepoint(pf_worker *w, pf_subrange *sr) PF_WUR;

/* ---------------------------------------------------------------- other machines
 * The same lazy splitting between machines (core/rt/migrate.c does the messages): when
 * another machine wants work, a worker at a safepoint of a fold whose ops can "describe" it
 * splits off the unfinished half of its subrange and sends it as a *remote part* (an id in
 * the pool's table). The fold waits for the part's result like for a local subrange; when
 * its owner has nothing else to do it asks the machine to give back the unfinished end of
 * the part. A part that comes back unfinished (the other machine stopped early at some
 * position, or gave positions back, or died) leaves its unfinished positions to the fold's
 * owner as an *orphan* subrange, run here like any other: code is pure, so positions
 * recomputed here give the same values, exceptions and decisions. */

typedef struct pf_remote_ops {
  /* Claims a pending request for work from another machine: its id, or -1 when none. */
  int (*claim)(void *rctx);
  /* Sends positions [sr->pos, …) (range sr) of the fold described by "desc" (borrowed) to
   * "machine" as part "part" of fold "fold_key" (one key per fold, for caching the
   * description); "fold_ctx" is the fold's ops context. PF_OK, or a failure: the positions
   * stay here (PF_ENOTSUP: and this fold is not offered again). */
  pf_status_t (*send)(void *rctx, int machine, uint64_t part, uint64_t fold_key,
                      void *fold_ctx, const pf_subrange *sr, pf_val desc);
  /* The owner of a fold has nothing left to do: asks "machine" to give back the unfinished end
   * of part "part". */
  void (*ask_back)(void *rctx, int machine, uint64_t part);
  /* The fold is over without part "part" (cancelled, or an earlier position failed): tells
   * "machine" to stop it. May be NULL. */
  void (*cancel)(void *rctx, int machine, uint64_t part);
  /* A received part (part "part" of "machine") gives back the positions of "sr". */
  pf_status_t (*give_back)(void *rctx, int machine, uint64_t part, const pf_subrange *sr);
  /* Sends call "id" — described by "desc" (borrowed), in program "prog" — to "machine".
   * PF_OK, or a failure: the call is made here. May be NULL (calls stay here). */
  pf_status_t (*send_call)(void *rctx, int machine, uint64_t id, void *prog, pf_val desc);
} pf_remote_ops;

/* A call made on another machine (core/interp/fork.c's forked calls): in the pool's table
 * while pending. Its owner waits for it with pf_worker_remote_call_wait; a call that failed
 * there (an exception, a machine lost) is made here again (the code is pure). */
enum { PF_RCALL_PENDING, PF_RCALL_DONE, PF_RCALL_FAILED };
typedef struct pf_remote_call {
  struct pf_remote_call *next;
  uint64_t id;
  int machine;
  atomic_int state; /* PF_RCALL_* */
  pf_val value;     /* PF_RCALL_DONE: the call's value (owned) */
} pf_remote_call;

/* Counters of the remote parts of "pool" (pf_pool_remote_stats). */
typedef struct pf_remote_stats {
  uint64_t parts_sent, positions_sent;         /* parts sent to other machines */
  uint64_t parts_done, positions_done;         /* results received for them */
  uint64_t gave_back_asks, positions_returned; /* asked back; positions given back to us */
  uint64_t parts_lost, positions_recomputed;   /* unfinished at a machine that died/left */
  uint64_t positions_resumed; /* after a part that stopped early there (an exception, an
                               * any/all decision, a result the codec cannot carry) */
  uint64_t positions_dropped; /* of parts no longer needed (cancelled, or after an earlier
                               * exception or decision) */
  uint64_t parts_received, positions_received; /* parts run here for other machines */
  uint64_t calls_sent, calls_done, calls_failed; /* forked calls made on other machines */
  uint64_t positions_given_back;               /* of those, handed back to their owner */
  unsigned outstanding;                        /* parts sent and not yet back */
} pf_remote_stats;

/* Installs the remote ops (borrowed; "rctx" their context) before any job runs. */
void pf_pool_set_remote(pf_pool *pool, const pf_remote_ops *ops, void *rctx);
/* Sets how many other machines may take work (0: none); with some, folds split on a pool of
 * one worker too. */
void pf_pool_set_remote_peers(pf_pool *pool, unsigned n);
/* Whether the pool of "w" can spread a fold: more than one worker, or other machines. */
bool pf_worker_can_spread(const pf_worker *w);
/* Another machine wants work: workers in describable folds offer it a part at their next
 * safepoint (they call ops->claim). Any thread. */
void pf_pool_remote_wanted(pf_pool *pool);
/* The result of part "part": its accumulator "acc" (borrowed; unbound when nothing was
 * folded) covers its positions before "done_pos"; the positions from "done_pos" to the end
 * of the part are recomputed here. An unknown part (cancelled, already lost) is ignored.
 * Any thread. */
void pf_pool_remote_result(pf_pool *pool, uint64_t part, pf_val acc, uint64_t done_pos);
/* The machine running part "part" gave back the positions of "sr" (its unfinished end):
 * they are run here. Any thread. */
void pf_pool_remote_returned(pf_pool *pool, uint64_t part, const pf_subrange *sr);
/* Machine "machine" is gone: its unfinished parts are run here; returns how many. */
unsigned pf_pool_remote_lost(pf_pool *pool, int machine);
/* Part "origin" received from "machine" is asked to give back its unfinished end (served at
 * the next safepoint of its last subrange), or to stop ("stop" true). Any thread. */
void pf_pool_remote_ask(pf_pool *pool, int machine, uint64_t origin, bool stop);
/* Counters. */
pf_remote_stats pf_pool_remote_stats(pf_pool *pool);

/* Whether another machine waits for work (a cheap check before describing a call). */
bool pf_worker_remote_wanted(const pf_worker *w);
/* On worker "w": when another machine wants work, sends it the call described by "desc"
 * (borrowed) of program "prog" as "rc" (zeroed by the caller, pending from then on); false
 * when it did not go (the caller forks or makes it here). */
bool pf_worker_remote_call(pf_worker *w, pf_remote_call *rc, void *prog, pf_val desc);
/* On worker "w": waits until "rc" is no longer pending, running or stealing other work. */
void pf_worker_remote_call_wait(pf_worker *w, pf_remote_call *rc);
/* "rc" is no longer wanted (its future was dropped): out of the table, its machine told. */
void pf_worker_remote_call_forget(pf_worker *w, pf_remote_call *rc);
/* The outcome of call "id": its value (borrowed), or unbound when it failed there. False
 * when "id" is no pending call (a fold part's id, or forgotten). Any thread. */
bool pf_pool_remote_call_result(pf_pool *pool, uint64_t id, pf_val value);

/* On worker "w" inside a job: folds positions [sr->pos, …) of subrange "sr" (a part that
 * machine "machine" sent as part "origin") like pf_fold_exec, giving back its unfinished end
 * when asked (pf_pool_remote_ask). *done_pos_p: the position after the last one the result
 * covers (the end of what was not given back; a failure's position when res->status is a
 * failure). */
pf_status_t pf_fold_exec_part(pf_worker *w, const pf_fold_ops *ops, void *ctx,
                              const pf_subrange *sr, int machine, uint64_t origin,
                              pf_fold_result *res, uint64_t *done_pos_p) PF_WUR;

#endif
