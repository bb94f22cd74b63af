/* cluster_int.h — private to core/cluster: the membership table and the bootstrap HTTP
 * client. */
#ifndef CLUSTER_INT_H
#define CLUSTER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "pf_cluster.h"
#include "pf_fabric.h"

typedef struct member {
  uint32_t id;
  uint32_t state; /* PF_FAB_MEMBER_* */
  char host[256];
  char addr_text[128];
  uint32_t threads, cores, numa_nodes, http_port, busy;
  uint8_t addr[PF_FAB_ADDR_MAX];
  size_t alen;
  pf_fab_addr fa;
  double last_mono, last_wall; /* the last message from it */
  uint64_t heartbeats;
} member;

struct pf_cluster {
  int coordinator;
  uint32_t self_id;
  char *token, *join;
  char host[256];
  unsigned threads, cores, numa_nodes, http_port;
  double heartbeat_s, dead_after_s;
  int verbose;
  void (*on_lost)(void *ctx, int clean, const char *why);
  void *ctx;
  pf_cluster_work_fn on_work;
  pf_cluster_member_fn on_member;
  void *work_ctx;

  pf_fab *fab;
  uint8_t self_addr[PF_FAB_ADDR_MAX];
  size_t self_alen;
  char self_text[128];

  pthread_mutex_t mu;
  pthread_cond_t cv;
  member *members; /* the coordinator's workers; a worker's view of the others */
  size_t n, cap;
  uint32_t next_id;

  /* worker */
  pf_fab_addr coord;
  double coord_last_mono;
  int join_state; /* 0: waiting, 1: accepted, -1: refused */
  char refused[256];
  int lost_reported;
  int coord_left;

  pthread_t hb_th;
  int hb_started;
  atomic_int stopping;
  atomic_uint_fast64_t seq;
};

/* GETs "path" from "host":"port" with "token" (NULL: none) as a bearer token; returns the
 * HTTP status in *status_p and the body (new; free) in *body_p, and the local IPv4 address
 * of the connection in "local" (16 bytes). PF_EIO with a message when it cannot connect. */
pf_status_t pf_cluster_http_get(const char *host, unsigned port, const char *path,
                                const char *token, double timeout_s, int *status_p,
                                char **body_p, char *local, char *err, size_t err_len);

/* Seconds on the monotonic clock and the wall clock. */
double pf_cluster_mono(void);
double pf_cluster_wall(void);

#endif
