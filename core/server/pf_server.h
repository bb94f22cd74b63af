/* pf_server.h — the HTTP/JSON front of pyforad (docs/protocol.md): routes requests to a
 * runtime (core/rt). microhttpd.h is included only inside core/server. */
#ifndef PF_SERVER_H
#define PF_SERVER_H

#include <stddef.h>

#include "pf_cluster.h"
#include "pf_rt.h"
#include "pf_status.h"

#define PF_SERVER_VERSION "0.1.0"
#define PF_PROTOCOL_VERSION 1
#define PF_IR_VERSION 1
#define PF_SERVER_DEFAULT_MAX_BODY ((size_t)256 << 20)
#define PF_SERVER_MAX_WAIT_S 60.0

typedef struct pf_server pf_server;

typedef struct pf_server_config {
  const char *host;  /* IPv4 address or host name ("localhost"); NULL: 127.0.0.1 */
  unsigned port;     /* 0: any free port (see pf_server_port) */
  size_t max_body;   /* largest accepted request body; 0: PF_SERVER_DEFAULT_MAX_BODY */
  int verbose;       /* non-zero: one line per request on stderr */
} pf_server_config;

/* What a daemon in a cluster, or one reachable from other hosts, adds (docs/cluster.md). */
typedef struct pf_server_cluster {
  const char *token;   /* non-NULL and non-empty: every request must carry
                          "Authorization: Bearer TOKEN" (else 401 Unauthorized) */
  pf_cluster *cluster; /* borrowed, may be NULL: GET /v1/cluster lists its machines and the
                          fabric address workers join */
} pf_server_cluster;

/* Binds "cfg->host":"cfg->port" and starts serving "rt" (borrowed; must outlive the server).
 * Returns new server in *srv_p; stop and free it with pf_server_stop. On failure writes a
 * message naming the address and the reason ("address already in use") into "err". */
pf_status_t pf_server_start(const pf_server_config *cfg, pf_rt *rt, pf_server **srv_p, char *err,
                            size_t err_len) PF_WUR;

/* Like pf_server_start, with a token and a cluster from "cl" (borrowed; NULL: neither). */
pf_status_t pf_server_start_cluster(const pf_server_config *cfg, const pf_server_cluster *cl,
                                    pf_rt *rt, pf_server **srv_p, char *err,
                                    size_t err_len) PF_WUR;

/* Returns the port "srv" listens on. */
unsigned pf_server_port(const pf_server *srv);

/* Stops accepting, finishes the connections in flight and frees "srv"; NULL is a no-op. */
void pf_server_stop(pf_server *srv);

#endif
