/* pf_cluster.h — membership of a pyforad cluster (docs/cluster.md). The first pyforad is the
 * coordinator; `pyforad --join HOST:PORT` reads the coordinator's fabric address from its
 * GET /v1/cluster, then joins over the fabric (JOIN with its address, topology summary and
 * the shared token; JOIN_ACK with its id and the member list). Both sides heartbeat; a
 * worker silent for the dead-after time is declared dead, and a worker whose coordinator is
 * silent that long (or has left) reports it through "on_lost". */
#ifndef PF_CLUSTER_H
#define PF_CLUSTER_H

#include <stddef.h>

#include <jansson.h>

#include "pf_status.h"

#define PF_CLUSTER_HEARTBEAT_S 0.5
#define PF_CLUSTER_DEAD_AFTER_S 3.0
#define PF_CLUSTER_JOIN_TIMEOUT_S 30.0

#include "pf_fabmsg.h"

typedef struct pf_cluster pf_cluster;

/* Receives a work message (STEAL_REQUEST, SUBRANGE, RESULT) from machine "from" (0: the
 * coordinator); "m" is valid during the call only. Runs on the fabric's dispatch thread and
 * may call pf_cluster_send. */
typedef void (*pf_cluster_work_fn)(void *ctx, const pf_fab_msg *m, uint32_t from);

/* Machine "id" stopped being alive: "state" is PF_FAB_MEMBER_DEAD (silent for the dead-after
 * time) or PF_FAB_MEMBER_LEFT (it said LEAVE). Its unfinished work is to be done elsewhere.
 * Called on the coordinator only, once per machine, without locks held. */
typedef void (*pf_cluster_member_fn)(void *ctx, uint32_t id, uint32_t state);

typedef struct pf_cluster_config {
  const char *fabric;      /* --fabric: "tcp" (NULL), "verbs" or "shm" */
  const char *join;        /* NULL: be the coordinator; else the coordinator's "HOST:PORT" */
  const char *token;       /* shared token (NULL or "": none); a coordinator with one refuses
                              joins without it */
  const char *fabric_host; /* IPv4 address to bind the fabric to; NULL: the coordinator uses
                              its host name's address, a worker the address it reaches the
                              coordinator from */
  unsigned threads, cores, numa_nodes; /* this machine, as reported to the others */
  unsigned http_port;                  /* this process's HTTP port (0: none) */
  double heartbeat_s;                  /* 0: PF_CLUSTER_HEARTBEAT_S */
  double dead_after_s;                 /* 0: PF_CLUSTER_DEAD_AFTER_S */
  double join_timeout_s;               /* 0: PF_CLUSTER_JOIN_TIMEOUT_S (coordinator not up yet) */
  int verbose;                         /* non-zero: membership changes on stderr */
  /* Worker only: called once, on the heartbeat thread, when the coordinator has left
   * ("clean" non-zero: it shut down and said so) or fell silent; "why" says which. May be
   * NULL. */
  void (*on_lost)(void *ctx, int clean, const char *why);
  void *ctx;
  pf_cluster_work_fn on_work;     /* may be NULL: work messages are dropped */
  pf_cluster_member_fn on_member; /* may be NULL */
  void *work_ctx;                 /* for on_work and on_member */
} pf_cluster_config;

/* Opens the fabric endpoint and, for a worker, joins the coordinator (waiting for it up to
 * the join timeout); starts the heartbeat thread. Returns new cluster in *cl_p; stop and
 * free it with pf_cluster_stop. On failure writes the reason into "err" (a refused token, a
 * missing provider with what is offered, an unreachable coordinator …). */
pf_status_t pf_cluster_start(const pf_cluster_config *cfg, pf_cluster **cl_p, char *err,
                             size_t err_len) PF_WUR;

/* Says goodbye (a worker sends LEAVE to the coordinator, the coordinator to every live
 * worker), stops the threads and frees "cl"; NULL is a no-op. */
void pf_cluster_stop(pf_cluster *cl);

/* Sends "m" (borrowed; its sender and sequence are filled in) to machine "to": from the
 * coordinator to a live worker, from a worker to the coordinator (0). PF_ENOENT when "to" is
 * not a live machine this one talks to; else as pf_fab_send. Thread-safe. */
pf_status_t pf_cluster_send(pf_cluster *cl, uint32_t to, pf_fab_msg *m, double timeout_s) PF_WUR;

/* Publishes "len" bytes (at most PF_FAB_PAGE_MAX, copied) as a page other machines fetch by
 * its name, written to "hash" (pf_fab_page_publish). */
pf_status_t pf_cluster_page_publish(pf_cluster *cl, const void *data, size_t len,
                                    uint8_t hash[PF_FAB_ID_SIZE]) PF_WUR;

/* The bytes of page "hash" from machine "from" (or this machine's cache), as
 * pf_fab_page_get; PF_ENOENT when "from" is not a live machine this one talks to. Not on the
 * fabric's dispatch thread (the work callback's). */
pf_status_t pf_cluster_page_get(pf_cluster *cl, uint32_t from, const uint8_t hash[PF_FAB_ID_SIZE],
                                double timeout_s, const uint8_t **data_p,
                                size_t *len_p) PF_WUR;

/* Returns this machine's id (0: the coordinator). */
unsigned pf_cluster_self_id(const pf_cluster *cl);

/* Returns non-zero when "cl" is the coordinator. */
int pf_cluster_is_coordinator(const pf_cluster *cl);

/* Returns the machine list of GET /v1/cluster as a new JSON array: "self" (takes ownership:
 * this machine's runtime entry) completed with id, role, host, state and fabric address,
 * then every other machine known (id, role, host, threads, cores, numa_nodes, state
 * alive/dead/left, last_heartbeat as Unix seconds, heartbeat_age_s). NULL when out of
 * memory. */
json_t *pf_cluster_machines_json(pf_cluster *cl, json_t *self);

/* Returns a new JSON object {"provider", "address" (hex of the raw address), "text", "id",
 * "message_version", "heartbeat_s", "dead_after_s"}: what a joining worker needs (it checks
 * the provider and the message version before it joins). */
json_t *pf_cluster_fabric_json(pf_cluster *cl);

/* Returns a new JSON object with the endpoint's counters (pf_fab_stats): messages and bytes
 * sent and received, malformed messages, pages served, fetched (by RMA read) and found in
 * the cache. */
json_t *pf_cluster_fabric_stats_json(pf_cluster *cl);

/* Returns the number of live machines, this one included. */
unsigned pf_cluster_live(pf_cluster *cl);

/* Compares "given" with the token "expected" in time independent of where they differ;
 * non-zero when equal. A NULL or empty "expected" accepts anything. */
int pf_cluster_token_ok(const char *expected, const char *given, size_t given_len);

#endif
