/* pf_rt.h — the runtime: computations by id, worker threads that run them, waiting and
 * cancelling. The HTTP front and tests drive a runtime through this interface only. */
#ifndef PF_RT_H
#define PF_RT_H

#include <stdint.h>

#include <jansson.h>

#include "pf_jit.h"
#include "pf_status.h"

typedef struct pf_rt pf_rt;

typedef struct pf_rt_config {
  unsigned threads; /* worker threads; 0 = one per hardware thread (topology/) */
  pf_jit_mode jit;  /* native tier: PF_JIT_OFF (0), PF_JIT_AUTO, PF_JIT_ALWAYS */
} pf_rt_config;

/* Returns new runtime with its worker threads started; free with pf_rt_destroy. */
pf_status_t pf_rt_create(const pf_rt_config *cfg, pf_rt **rt_p) PF_WUR;
/* Cancels every computation, joins the workers and frees "rt"; NULL is a no-op. */
void pf_rt_destroy(pf_rt *rt);

/* Loads the IR document "doc" (borrowed) and queues it. "doc" may carry "session": "sN" (its
 * stored outputs belong to that client session; an unknown one is PF_EPROTO, error type
 * "NotFound") and "download": "all"
 * (the default), "none" or {"max_bytes": N}: outputs that are not returned inline are stored
 * as objects and appear in the result as {"object": "oN", "type": ..., "size"?: N}. On PF_OK *id_p is the new
 * computation's id (a string like "c12", owned by the runtime until released). On bad input
 * PF_EPROTO and a new JSON error object in *err_p (see pf_program_load). */
pf_status_t pf_rt_submit(pf_rt *rt, const json_t *doc, char *id_buf, size_t id_len,
                         json_t **err_p) PF_WUR;

/* Waits up to "timeout_s" seconds for computation "id". Returns new JSON in *status_p: the
 * result document when done, {"id", "state": "running"} otherwise. PF_ENOENT for an unknown id. */
pf_status_t pf_rt_wait(pf_rt *rt, const char *id, double timeout_s, json_t **status_p) PF_WUR;

/* Cancels (if running) and releases computation "id". *was_running_p tells which.
 * PF_ENOENT for an unknown id. */
pf_status_t pf_rt_release(pf_rt *rt, const char *id, int *was_running_p) PF_WUR;

/* Encodes stored object "id" as the JSON value text of docs/ir.md into new *text_p (free
 * it) of *len_p bytes. PF_ENOENT: unknown id; PF_ERANGE: the text is longer than
 * "max_bytes" (0: no limit). */
pf_status_t pf_rt_object_json(pf_rt *rt, const char *id, size_t max_bytes, char **text_p,
                              size_t *len_p) PF_WUR;
/* Decodes "value" (borrowed; the encoding of docs/ir.md, no refs) and stores it, in client
 * session "session" when not NULL (PF_ENOENT when that session is unknown); the new id goes
 * to "id_buf" (24 bytes at least). PF_EPROTO with a message in "msg" when malformed. */
pf_status_t pf_rt_object_put_json(pf_rt *rt, const json_t *value, const char *session,
                                  char *id_buf, size_t id_len, char *msg, size_t msg_len) PF_WUR;
/* Encodes stored object "id" in the binary value encoding (docs/protocol.md) into new
 * *data_p (free it) of *len_p bytes. PF_ENOENT: unknown id; PF_ERANGE: longer than
 * "max_bytes" (0: no limit; *len_p is then the length); PF_ENOTSUP: the value has no
 * encoding (a function, a generator …), "msg" says which. */
pf_status_t pf_rt_object_bin(pf_rt *rt, const char *id, size_t max_bytes, unsigned char **data_p,
                             size_t *len_p, char *msg, size_t msg_len) PF_WUR;
/* Decodes "n" bytes of the binary value encoding at "p" and stores the value, in "session"
 * as pf_rt_object_put_json; the new id goes to "id_buf" (24 bytes at least). PF_EPROTO with a
 * message in "msg" when malformed. */
pf_status_t pf_rt_object_put_bin(pf_rt *rt, const unsigned char *p, size_t n,
                                 const char *session, char *id_buf, size_t id_len, char *msg,
                                 size_t msg_len) PF_WUR;
/* Releases stored object "id"; PF_ENOENT when unknown. */
pf_status_t pf_rt_object_release(pf_rt *rt, const char *id) PF_WUR;
/* Number of objects stored now. */
size_t pf_rt_object_count(pf_rt *rt);

/* Opens a client session with a lease of "lease_s" seconds (0 < lease_s <= 86400): when no
 * heartbeat (pf_rt_session_touch, or a computation submitted in it) came for that long and
 * none of its computations is queued or running, its objects are released. Writes "sN". */
pf_status_t pf_rt_session_open(pf_rt *rt, double lease_s, char *id_buf, size_t id_len) PF_WUR;
/* Heartbeat of session "id"; PF_ENOENT when unknown or expired. */
pf_status_t pf_rt_session_touch(pf_rt *rt, const char *id) PF_WUR;
/* Ends session "id" now, releasing its objects (*released_p: how many). PF_ENOENT when
 * unknown or expired. */
pf_status_t pf_rt_session_close(pf_rt *rt, const char *id, size_t *released_p) PF_WUR;

/* Definition cache (defs.c). Stores the definitions of "body"
 * {"ir_version": 1, "files": [...], "definitions": {id: def}, "canonical": {id: text}}: each
 * id must be the BLAKE2b-128 hex of its canonical text and that text must parse to the
 * definition with "file" replaced by the file's name; else PF_EPROTO and a new error in
 * *err_p (nothing stored). *stored_p: how many were stored. */
pf_status_t pf_rt_defs_put(pf_rt *rt, const json_t *body, size_t *stored_p, json_t **err_p) PF_WUR;
/* New JSON array of the ids (strings of the array "ids") not in the cache. */
json_t *pf_rt_defs_missing(pf_rt *rt, const json_t *ids);

/* Returns new JSON describing the machine ({"threads", "busy", "topology"}) and counters. */
json_t *pf_rt_cluster_json(pf_rt *rt);
json_t *pf_rt_stats_json(pf_rt *rt);

/* ---------------------------------------------------------------- a cluster (migrate.c) */
#include "pf_cluster.h"

/* Lets the runtime move parts of folds over cluster "cl" (started with pf_rt_cluster_on_work
 * and pf_rt_cluster_on_member as its callbacks and "rt" as their context): a coordinator
 * hands parts to idle workers, a worker runs what it receives. Call pf_rt_detach_cluster
 * before pf_cluster_stop. */
pf_status_t pf_rt_attach_cluster(pf_rt *rt, pf_cluster *cl) PF_WUR;
void pf_rt_detach_cluster(pf_rt *rt);
void pf_rt_cluster_on_work(void *rt, const pf_fab_msg *m, uint32_t from);
void pf_rt_cluster_on_member(void *rt, uint32_t id, uint32_t state);

#endif
