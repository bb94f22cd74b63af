/* pf_rt.h — the runtime: computations by id, worker threads that run them, waiting and
 * cancelling. The HTTP front and tests drive a runtime through this interface only. */
#ifndef PF_RT_H
#define PF_RT_H

#include <stdint.h>

#include <jansson.h>

#include "pf_status.h"

typedef struct pf_rt pf_rt;

typedef struct pf_rt_config {
  unsigned threads; /* worker threads; 0 = one per hardware thread (topology/) */
} pf_rt_config;

/* Returns new runtime with its worker threads started; free with pf_rt_destroy. */
pf_status_t pf_rt_create(const pf_rt_config *cfg, pf_rt **rt_p) PF_WUR;
/* Cancels every computation, joins the workers and frees "rt"; NULL is a no-op. */
void pf_rt_destroy(pf_rt *rt);

/* Loads the IR document "doc" (borrowed) and queues it. On PF_OK *id_p is the new
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

/* Returns new JSON describing the machine ({"threads", "busy", "topology"}) and counters. */
json_t *pf_rt_cluster_json(pf_rt *rt);
json_t *pf_rt_stats_json(pf_rt *rt);

#endif
