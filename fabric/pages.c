/* pages.c — pages of large values named by content hash (XXH3-128): the table of pages this
 * endpoint serves or has fetched, the answer to a PAGE_REQUEST (a tagged PAGE message whose
 * tag carries the request id), and the blocking fetch that checks the bytes against their
 * name before caching them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "fabric_int.h"

void pf_fab_page_hash(const void *data, size_t len, uint8_t hash[PF_FAB_ID_SIZE]) {
  XXH128_hash_t h = XXH3_128bits(data, len);
  for (int i = 0; i < 8; i++) {
    hash[i] = (uint8_t)(h.low64 >> (8 * i));
    hash[8 + i] = (uint8_t)(h.high64 >> (8 * i));
  }
}

static unsigned bucket(const uint8_t hash[PF_FAB_ID_SIZE]) {
  return hash[0] % PF_FAB_PAGE_BUCKETS;
}

/* Finds page "hash"; the caller holds fab->mu. */
static fab_page *lookup(pf_fab *fab, const uint8_t hash[PF_FAB_ID_SIZE]) {
  for (fab_page *pg = fab->pages[bucket(hash)]; pg; pg = pg->next)
    if (!memcmp(pg->hash, hash, PF_FAB_ID_SIZE))
      return pg;
  return NULL;
}

/* Adds a copy of "data" under "hash" unless present, registered for remote reads when
 * "publish" and the endpoint serves RMA; the caller holds fab->mu. */
static fab_page *insert(pf_fab *fab, const uint8_t hash[PF_FAB_ID_SIZE], const void *data,
                        size_t len, int publish) {
  fab_page *pg = lookup(fab, hash);
  if (pg)
    return pg;
  pg = calloc(1, sizeof *pg);
  uint8_t *copy = malloc(len ? len : 1);
  if (!pg || !copy) {
    free(pg);
    free(copy);
    return NULL;
  }
  memcpy(pg->hash, hash, PF_FAB_ID_SIZE);
  if (len)
    memcpy(copy, data, len);
  pg->data = copy;
  pg->len = len;
  if (publish && fab->has_rma && len &&
      fi_mr_reg(fab->domain, copy, len, FI_REMOTE_READ, 0, fab->next_key++, 0, &pg->mr, NULL) != 0)
    pg->mr = NULL; /* served inline instead */
  unsigned b = bucket(hash);
  pg->next = fab->pages[b];
  fab->pages[b] = pg;
  return pg;
}

pf_status_t pf_fab_page_publish(pf_fab *fab, const void *data, size_t len,
                                uint8_t hash[PF_FAB_ID_SIZE]) {
  if (len > PF_FAB_PAGE_MAX)
    return PF_ERANGE;
  pf_fab_page_hash(data, len, hash);
  pthread_mutex_lock(&fab->mu);
  fab_page *pg = insert(fab, hash, data, len, 1);
  pthread_mutex_unlock(&fab->mu);
  return pg ? PF_OK : PF_ENOMEM;
}

void fab_serve_page_request(pf_fab *fab, const pf_fab_msg *m, fi_addr_t from) {
  const pf_fab_page_req *rq = &m->u.page_req;
  pf_fab_msg a;
  memset(&a, 0, sizeof a);
  a.type = PF_FAB_PAGE;
  a.seq = atomic_fetch_add(&fab->seq, 1);
  a.u.page.request = rq->request;
  memcpy(a.u.page.hash, rq->hash, PF_FAB_ID_SIZE);
  pf_buf b = {NULL, 0, 0};
  pthread_mutex_lock(&fab->mu);
  if (from == FI_ADDR_NOTAVAIL) { /* cannot answer a peer we do not know */
    fab->stats.malformed++;
    pthread_mutex_unlock(&fab->mu);
    return;
  }
  fab_page *pg = lookup(fab, rq->hash);
  if (pg && pg->mr && rq->offset == 0) { /* the requester reads the bytes itself */
    a.u.page.flags = PF_FAB_PAGE_RMA;
    a.u.page.total = pg->len;
    a.u.page.rma_addr = (fab->mr_mode & FI_MR_VIRT_ADDR) ? (uint64_t)(uintptr_t)pg->data : 0;
    a.u.page.rma_key = fi_mr_key(pg->mr);
    fab->stats.pages_served++;
  } else if (pg && rq->offset <= pg->len) {
    size_t n = pg->len - rq->offset;
    if (rq->max_len && n > rq->max_len)
      n = rq->max_len;
    a.u.page.total = pg->len;
    a.u.page.offset = rq->offset;
    a.u.page.data.p = pg->data + rq->offset;
    a.u.page.data.n = n;
    fab->stats.pages_served++;
  } else
    a.u.page.status = PF_FAB_PAGE_MISSING;
  pf_status_t st = pf_fab_msg_encode(&a, &b); /* copies the bytes while the table is locked */
  pthread_mutex_unlock(&fab->mu);
  if (st != PF_OK) {
    free(b.data);
    return;
  }
  if (fab_send_raw(fab, from, b.data, b.len, 1, PF_FAB_PAGE_TAG | rq->request, 5.0) != PF_OK)
    return;
}

static double since(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Waits until "op" completes or "timeout_s" (from "t0") passes. On failure the op is
 * abandoned (cancelled; the progress thread frees it) and must not be touched again. */
static pf_status_t wait_op(pf_fab *fab, fab_op *op, const struct timespec *t0,
                           double timeout_s) {
  pf_status_t st = PF_OK;
  pthread_mutex_lock(&fab->mu);
  while (!op->done && !atomic_load(&fab->stopping)) {
    double left = timeout_s - since(t0);
    if (left <= 0) {
      st = PF_ETIMEDOUT;
      break;
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    double slice = left > 0.1 ? 0.1 : left;
    dl.tv_nsec += (long)(slice * 1e9);
    dl.tv_sec += dl.tv_nsec / 1000000000L;
    dl.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&fab->cv, &fab->mu, &dl);
  }
  if (st == PF_OK && !op->done)
    st = PF_ECANCELED;
  if (st != PF_OK) {
    op->abandoned = 1;
    pthread_mutex_unlock(&fab->mu);
    fi_cancel(&fab->ep->fid, &op->ctx);
    fab_wake(fab);
    return st;
  }
  pthread_mutex_unlock(&fab->mu);
  return op->done == 1 ? PF_OK : PF_EIO;
}

/* Reads "len" bytes of a peer's registered page at "addr" with "key" into a new buffer. */
static pf_status_t rma_read(pf_fab *fab, pf_fab_addr peer, uint64_t addr, uint64_t key,
                            size_t len, const struct timespec *t0, double timeout_s,
                            uint8_t **data_p) {
  if (!(fab->info->caps & FI_RMA) || len == 0 || len > PF_FAB_PAGE_MAX)
    return PF_ENOTSUP;
  fab_op *op = calloc(1, sizeof *op);
  uint8_t *buf = malloc(len);
  struct fid_mr *mr = NULL;
  void *desc = NULL;
  if (!op || !buf) {
    free(op);
    free(buf);
    return PF_ENOMEM;
  }
  if (fab->mr_mode & FI_MR_LOCAL) {
    if (fi_mr_reg(fab->domain, buf, len, FI_READ, 0, 0, 0, &mr, NULL) != 0) {
      free(op);
      free(buf);
      return PF_EIO;
    }
    desc = fi_mr_desc(mr);
  }
  op->kind = OP_RMA_READ;
  op->data = buf;
  ssize_t r;
  while ((r = fi_read(fab->ep, buf, len, desc, peer, addr, key, &op->ctx)) == -FI_EAGAIN &&
         since(t0) < timeout_s) {
    fab_wake(fab);
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  pf_status_t st = r == 0 ? PF_OK : r == -FI_EAGAIN ? PF_ETIMEDOUT : PF_EIO;
  if (st == PF_OK) {
    fab_wake(fab);
    st = wait_op(fab, op, t0, timeout_s);
    if (st == PF_ETIMEDOUT || st == PF_ECANCELED)
      return st; /* abandoned: the buffer (and a local registration) go with it */
  }
  if (mr)
    fi_close(&mr->fid);
  free(op);
  if (st != PF_OK) {
    free(buf);
    return st;
  }
  *data_p = buf;
  return PF_OK;
}

pf_status_t pf_fab_page_get(pf_fab *fab, pf_fab_addr peer, const uint8_t hash[PF_FAB_ID_SIZE],
                            double timeout_s, const uint8_t **data_p, size_t *len_p) {
  pthread_mutex_lock(&fab->mu);
  fab_page *pg = lookup(fab, hash);
  if (pg) {
    fab->stats.page_cache_hits++;
    pthread_mutex_unlock(&fab->mu);
    *data_p = pg->data;
    *len_p = pg->len;
    return PF_OK;
  }
  uint64_t req = ++fab->next_request & (PF_FAB_PAGE_TAG - 1);
  pthread_mutex_unlock(&fab->mu);

  fab_op *op = calloc(1, sizeof *op);
  uint8_t *buf = malloc(PF_FAB_PAGE_MSG_MAX);
  if (!op || !buf) {
    free(op);
    free(buf);
    return PF_ENOMEM;
  }
  op->kind = OP_PAGE_RX;
  op->data = buf;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ssize_t r;
  while ((r = fi_trecv(fab->ep, buf, PF_FAB_PAGE_MSG_MAX, NULL, FI_ADDR_UNSPEC,
                       PF_FAB_PAGE_TAG | req, 0, &op->ctx)) == -FI_EAGAIN &&
         since(&t0) < timeout_s) {
    fab_wake(fab);
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  if (r != 0) {
    free(op);
    free(buf);
    return r == -FI_EAGAIN ? PF_ETIMEDOUT : PF_EIO;
  }
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_PAGE_REQUEST;
  m.seq = atomic_fetch_add(&fab->seq, 1);
  m.u.page_req.request = req;
  memcpy(m.u.page_req.hash, hash, PF_FAB_ID_SIZE);
  m.u.page_req.max_len = (uint32_t)PF_FAB_PAGE_MAX;
  pf_status_t st = pf_fab_send(fab, peer, &m, timeout_s);

  if (st == PF_OK) {
    st = wait_op(fab, op, &t0, timeout_s);
    if (st == PF_ETIMEDOUT || st == PF_ECANCELED)
      return st; /* abandoned */
  } else { /* the request was not sent: take the posted receive back */
    pthread_mutex_lock(&fab->mu);
    op->abandoned = 1;
    pthread_mutex_unlock(&fab->mu);
    fi_cancel(&fab->ep->fid, &op->ctx);
    return st;
  }
  uint8_t *rma = NULL;
  if (st != PF_OK) /* the receive completed with an error */
    ;
  else if (pf_fab_msg_decode(buf, op->len, &m) != PF_OK || m.type != PF_FAB_PAGE ||
           m.u.page.request != req || memcmp(m.u.page.hash, hash, PF_FAB_ID_SIZE) != 0)
    st = PF_EPROTO;
  else if (m.u.page.status == PF_FAB_PAGE_MISSING)
    st = PF_ENOENT;
  else if (m.u.page.offset != 0 || m.u.page.total > PF_FAB_PAGE_MAX ||
           (!(m.u.page.flags & PF_FAB_PAGE_RMA) && m.u.page.data.n != m.u.page.total))
    st = PF_ENOTSUP; /* pages in pieces are not used */
  else if (m.u.page.flags & PF_FAB_PAGE_RMA) {
    st = rma_read(fab, peer, m.u.page.rma_addr, m.u.page.rma_key, (size_t)m.u.page.total, &t0,
                  timeout_s, &rma);
    if (st == PF_OK) {
      m.u.page.data.p = rma;
      m.u.page.data.n = (size_t)m.u.page.total;
    }
  }
  if (st == PF_OK) {
    uint8_t got[PF_FAB_ID_SIZE];
    pf_fab_page_hash(m.u.page.data.p, m.u.page.data.n, got);
    if (memcmp(got, hash, PF_FAB_ID_SIZE) != 0)
      st = PF_EPROTO;
  }
  if (st == PF_OK) {
    pthread_mutex_lock(&fab->mu);
    pg = insert(fab, hash, m.u.page.data.p, m.u.page.data.n, 0);
    if (pg) {
      fab->stats.pages_fetched++;
      fab->stats.pages_fetched_rma += rma != NULL;
    }
    pthread_mutex_unlock(&fab->mu);
    if (!pg)
      st = PF_ENOMEM;
    else {
      *data_p = pg->data;
      *len_p = pg->len;
    }
  }
  free(rma);
  free(buf);
  free(op);
  return st;
}
