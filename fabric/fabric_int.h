/* fabric_int.h — private to fabric/: the endpoint record and the operation contexts whose
 * addresses libfabric hands back in completions. */
#ifndef FABRIC_INT_H
#define FABRIC_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_tagged.h>

#include "pf_fabric.h"

#define PF_FAB_NRX 32                          /* receive buffers posted at any time */
#define PF_FAB_RX_SIZE (PF_FAB_MAX_MSG)        /* bytes per receive buffer */
#define PF_FAB_PAGE_TAG ((uint64_t)1 << 62)    /* tags of page answers: this bit + request id */
#define PF_FAB_PAGE_MSG_MAX (PF_FAB_HDR_SIZE + 96 + PF_FAB_PAGE_MAX)

enum { OP_RX = 1, OP_TX, OP_PAGE_RX, OP_RMA_READ };

/* Every operation posted to libfabric starts with one of these; the completion's
 * op_context points at it. */
typedef struct fab_op {
  struct fi_context2 ctx; /* first: libfabric may use it (FI_CONTEXT/FI_CONTEXT2 modes) */
  int kind;
  struct fab_op *next, *prev; /* tx: the list of sends in flight; rx: the dispatch queue */
  size_t len;                 /* rx: bytes received */
  fi_addr_t from;
  uint8_t *data;
  /* OP_PAGE_RX: the fetch waiting for it */
  int done;        /* 1: completed, 2: failed */
  int abandoned;   /* the waiter gave up: the progress thread frees the op */
} fab_op;

/* A page, published or cached, in the endpoint's table (open hashing by its name). */
typedef struct fab_page {
  uint8_t hash[PF_FAB_ID_SIZE];
  uint8_t *data;
  size_t len;
  struct fid_mr *mr; /* published with RMA: registered for remote reads */
  struct fab_page *next;
} fab_page;

#define PF_FAB_PAGE_BUCKETS 256

struct pf_fab {
  struct fi_info *info;
  struct fid_fabric *fabric;
  struct fid_domain *domain;
  struct fid_av *av;
  struct fid_cq *cq;
  struct fid_ep *ep;
  char prov[64];
  int has_rma, has_source; /* has_rma: FI_RMA offered and not switched off (no_rma) */
  uint64_t mr_mode;
  uint64_t next_key;
  size_t inject_size;
  int cq_fd;   /* FI_WAIT_FD: poll it; -1: fi_cq_sread with a timeout */
  int wake[2]; /* a pipe that interrupts the progress thread's poll */

  pf_fab_recv_fn on_recv;
  void *ctx;

  pthread_t progress_th, dispatch_th;
  int threads_started;
  atomic_int stopping;

  pthread_mutex_t mu; /* the queues, the send list, pages, counters */
  pthread_cond_t cv;  /* dispatch queue non-empty, page fetch finished */
  fab_op *rxq_head, *rxq_tail;
  fab_op tx_list; /* sentinel of the sends in flight */
  fab_op rx[PF_FAB_NRX];
  fab_page *pages[PF_FAB_PAGE_BUCKETS];
  uint64_t next_request;
  atomic_uint_fast64_t seq;
  pf_fab_stats stats;
};

/* Interrupts the progress thread's wait (after a send, so that it progresses it). */
void fab_wake(pf_fab *fab);

/* Sends the "len" bytes at "data" (takes ownership) to "peer", as a tagged message with
 * "tag" when "tagged"; retries a full queue for "timeout_s" seconds. */
pf_status_t fab_send_raw(pf_fab *fab, fi_addr_t peer, uint8_t *data, size_t len, int tagged,
                         uint64_t tag, double timeout_s);

/* Answers the PAGE_REQUEST "m" from "from" with a tagged PAGE message (pages.c). */
void fab_serve_page_request(pf_fab *fab, const pf_fab_msg *m, fi_addr_t from);

#endif
