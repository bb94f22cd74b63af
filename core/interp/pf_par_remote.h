/* pf_par_remote.h — parallel folds across machines (core/interp/par.c, "other machines"):
 * the description a fold sends with a part, and running a received part. core/rt/migrate.c
 * moves the bytes (binary codec, fabric pages); this is the interpreter's side. */
#ifndef PF_PAR_REMOTE_H
#define PF_PAR_REMOTE_H

#include "pf_defcache.h"
#include "pf_interp.h"
#include "pf_sched.h"

/* Lists and tuples of at least this many items are tagged "p" in a description: its sender
 * ships them as pages of their own (shared by every fold over the same data). */
#define PF_PAR_BIG_ITEMS 4096

/* A received fold, ready to run parts of (shared by concurrent parts; read-only). */
typedef struct pf_par_remote pf_par_remote;

/* Makes the fold described by "desc" (borrowed; what the sending machine's fold described:
 * pipeline nodes, functions by definition id and code ordinal with their cells, the
 * block's globals they read, the bases) runnable in "prog" — a load of the same IR that has
 * not run — whose shared definitions are in "dc" (may be NULL). The block's globals are set
 * in "prog", so one program serves one description. "jit" may be NULL. PF_EPROTO (with
 * "msg") when the description is malformed or names code "prog" lacks; PF_ENOMEM. */
pf_status_t pf_par_remote_new(pf_program *prog, pf_defcache *dc, pf_val desc,
                              const pf_jit_iface *jit, pf_par_remote **out, char *msg,
                              size_t msg_len) PF_WUR;

/* On worker "w" inside a job: folds the positions of "sr" (part "origin" of "machine") and
 * returns the partial result as a new value in *acc_out (unbound when nothing was folded)
 * covering the positions before *done_pos_p. A part stopped early (an exception, an
 * any/all decision, an element to finish sequentially) covers the positions before that
 * element: its sender recomputes the rest. */
pf_status_t pf_par_remote_run(pf_par_remote *rm, pf_worker *w, const pf_subrange *sr,
                              int machine, uint64_t origin, pf_val *acc_out,
                              uint64_t *done_pos_p) PF_WUR;

void pf_par_remote_free(pf_par_remote *rm);

/* The description of the call fn(args…) for another machine (new in *out): the function
 * by code origin with its cells, the arguments by value, the block's globals it reads.
 * False when something in it cannot go (fn is not a Python function, an instance …). */
bool pf_par_describe_call(pf_val fn, const pf_val *args, uint32_t nargs, pf_val *out);

/* Whether "rm" was made from a call's description (pf_par_remote_call), not a fold's. */
bool pf_par_remote_is_call(const pf_par_remote *rm);

/* On worker "w" inside a job: makes the call "rm" describes; its value new in *out. PF_OK,
 * PF_EPYEXC when it raised (its owner makes the call again to raise it), PF_ECANCELED when
 * "stop" was set, PF_ENOMEM. */
pf_status_t pf_par_remote_call(pf_par_remote *rm, pf_worker *w, const atomic_int *stop,
                               pf_val *out) PF_WUR;

/* Makes a program loaded to run received parts ready: the classes whose bodies run at run
 * time are made now (one whose body raises stays unbound: parts reading it stop there, and
 * their sender computes those positions itself). */
pf_status_t pf_program_prepare_remote(pf_program *p, const pf_jit_iface *jit) PF_WUR;

/* The program of a fold's ops context (pf_remote_ops.send's "fold_ctx"). */
pf_program *pf_par_ctx_program(void *fold_ctx);

#endif
