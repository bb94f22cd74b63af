/* endpoint.c — provider selection, the RDM endpoint, its progress thread (blocked in poll on
 * the completion queue's file descriptor; where the provider has no FD wait object, sleeping
 * up to 1 ms between reads) and its dispatch thread (runs the callback, so a slow callback
 * never stalls the completion queue). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fabric_int.h"

#define FAB_API FI_VERSION(1, 9)

pf_status_t pf_fab_provider_name(const char *fabric, const char **prov_p) {
  if (!fabric || !strcmp(fabric, "tcp"))
    *prov_p = "tcp;ofi_rxm";
  else if (!strcmp(fabric, "verbs"))
    *prov_p = "verbs;ofi_rxm";
  else if (!strcmp(fabric, "shm"))
    *prov_p = "shm";
  else
    return PF_EINVAL;
  return PF_OK;
}

pf_status_t pf_fab_pick(const char *want, const char *const *offered, size_t n, size_t *index_p,
                        char *err, size_t err_len) {
  for (size_t i = 0; i < n; i++)
    if (offered[i] && !strcmp(offered[i], want)) {
      *index_p = i;
      return PF_OK;
    }
  if (err && err_len) {
    size_t off = (size_t)snprintf(err, err_len,
                                  "libfabric provider '%s' is not available here; "
                                  "fi_getinfo offers: ",
                                  want);
    int listed = 0;
    for (size_t i = 0; i < n && off < err_len; i++) {
      int dup = 0;
      for (size_t j = 0; j < i && !dup; j++)
        dup = offered[j] && offered[i] && !strcmp(offered[j], offered[i]);
      if (dup || !offered[i])
        continue;
      off += (size_t)snprintf(err + off, err_len - off, "%s%s", listed ? ", " : "", offered[i]);
      listed++;
    }
    if (!listed && off < err_len)
      snprintf(err + off, err_len - off, "nothing");
  }
  return PF_ENOENT;
}

static struct fi_info *make_hints(const char *prov, uint64_t caps) {
  struct fi_info *h = fi_allocinfo();
  if (!h)
    return NULL;
  h->ep_attr->type = FI_EP_RDM;
  h->caps = caps;
  h->mode = FI_CONTEXT | FI_CONTEXT2;
  h->domain_attr->threading = FI_THREAD_SAFE;
  h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
  if (prov) {
    h->fabric_attr->prov_name = strdup(prov);
    if (!h->fabric_attr->prov_name) {
      fi_freeinfo(h);
      return NULL;
    }
  }
  return h;
}

/* Collects the distinct provider names of "list" into "names" (at most "cap"). */
static size_t distinct_names(struct fi_info *list, const char **names, size_t cap) {
  size_t n = 0;
  for (struct fi_info *i = list; i && n < cap; i = i->next) {
    const char *p = i->fabric_attr->prov_name;
    int dup = 0;
    for (size_t j = 0; j < n && !dup; j++)
      dup = !strcmp(names[j], p);
    if (!dup)
      names[n++] = p;
  }
  return n;
}

void pf_fab_offered(char *buf, size_t len) {
  struct fi_info *h = make_hints(NULL, FI_MSG), *list = NULL;
  const char *names[64];
  size_t n = 0;
  if (h && fi_getinfo(FAB_API, NULL, NULL, 0, h, &list) == 0)
    n = distinct_names(list, names, 64);
  size_t off = 0;
  buf[0] = 0;
  for (size_t i = 0; i < n && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
  if (!n)
    snprintf(buf, len, "none");
  fi_freeinfo(list);
  fi_freeinfo(h);
}

/* Finds the info for provider "prov" bound to "node": with FI_RMA when the provider offers
 * it, else without. */
static pf_status_t find_info(const char *prov, const char *node, struct fi_info **info_p,
                             char *err, size_t err_len) {
  uint64_t caps[2] = {FI_MSG | FI_TAGGED | FI_RMA | FI_SOURCE, FI_MSG | FI_TAGGED | FI_SOURCE};
  for (int c = 0; c < 3; c++) {
    uint64_t cap = c < 2 ? caps[c] : (FI_MSG | FI_TAGGED);
    struct fi_info *h = make_hints(prov, cap), *list = NULL;
    if (!h) {
      snprintf(err, err_len, "out of memory");
      return PF_ENOMEM;
    }
    int r = fi_getinfo(FAB_API, node, node ? "0" : NULL, node ? FI_SOURCE : 0, h, &list);
    fi_freeinfo(h);
    for (struct fi_info *i = r == 0 ? list : NULL; i; i = i->next)
      if (!strcmp(i->fabric_attr->prov_name, prov)) {
        *info_p = fi_dupinfo(i);
        fi_freeinfo(list);
        if (!*info_p) {
          snprintf(err, err_len, "out of memory");
          return PF_ENOMEM;
        }
        return PF_OK;
      }
    fi_freeinfo(list);
  }
  /* Not offered: list what is. */
  struct fi_info *h = make_hints(NULL, FI_MSG), *list = NULL;
  const char *names[64];
  size_t n = 0, idx;
  if (h && fi_getinfo(FAB_API, NULL, NULL, 0, h, &list) == 0)
    n = distinct_names(list, names, 64);
  char lst[512];
  pf_status_t st = pf_fab_pick(prov, names, n, &idx, lst, sizeof lst);
  if (st == PF_OK) /* offered, but not with these capabilities or on that address */
    snprintf(err, err_len,
             "libfabric provider '%s' cannot open an RDM endpoint with messages and tags%s%s",
             prov, node ? " on address " : "", node ? node : "");
  else
    snprintf(err, err_len, "%s (check with `fi_info -t FI_EP_RDM`)", lst);
  fi_freeinfo(list);
  fi_freeinfo(h);
  return PF_ENOENT;
}

/* ---------------------------------------------------------------- progress */

void fab_wake(pf_fab *fab) {
  char c = 1;
  ssize_t r = write(fab->wake[1], &c, 1);
  (void)r;
}

static void post_rx(pf_fab *fab, fab_op *op) {
  for (int tries = 0; !atomic_load(&fab->stopping); tries++) {
    ssize_t r = fi_recv(fab->ep, op->data, PF_FAB_RX_SIZE, NULL, FI_ADDR_UNSPEC, &op->ctx);
    if (r != -FI_EAGAIN)
      return;
    if (tries > 100000)
      return;
    fi_cq_read(fab->cq, NULL, 0);
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
}

/* Handles one completion (or error completion when "failed"); called on the progress
 * thread. */
static void complete(pf_fab *fab, fab_op *op, size_t len, fi_addr_t from, int failed) {
  if (!op)
    return;
  pthread_mutex_lock(&fab->mu);
  switch (op->kind) {
  case OP_TX:
    op->prev->next = op->next;
    op->next->prev = op->prev;
    pthread_mutex_unlock(&fab->mu);
    free(op->data);
    free(op);
    return;
  case OP_RX:
    if (failed) { /* cancelled at close, or truncated: repost unless stopping */
      fab->stats.malformed++;
      pthread_mutex_unlock(&fab->mu);
      post_rx(fab, op);
      return;
    }
    op->len = len;
    op->from = from;
    op->next = NULL;
    if (fab->rxq_tail)
      fab->rxq_tail->next = op;
    else
      fab->rxq_head = op;
    fab->rxq_tail = op;
    pthread_cond_broadcast(&fab->cv);
    pthread_mutex_unlock(&fab->mu);
    return;
  case OP_PAGE_RX:
  case OP_RMA_READ:
    if (op->abandoned) {
      pthread_mutex_unlock(&fab->mu);
      free(op->data);
      free(op);
      return;
    }
    op->len = len;
    op->done = failed ? 2 : 1;
    pthread_cond_broadcast(&fab->cv);
    pthread_mutex_unlock(&fab->mu);
    return;
  default:
    pthread_mutex_unlock(&fab->mu);
  }
}

/* Reads what the completion queue holds; returns the number of completions, 0 when empty. */
static int drain(pf_fab *fab, ssize_t n, struct fi_cq_tagged_entry *e, fi_addr_t *src) {
  if (n == -FI_EAVAIL) {
    struct fi_cq_err_entry ee;
    memset(&ee, 0, sizeof ee);
    if (fi_cq_readerr(fab->cq, &ee, 0) > 0)
      complete(fab, ee.op_context, 0, FI_ADDR_NOTAVAIL, 1);
    return 1;
  }
  if (n <= 0)
    return 0;
  for (ssize_t i = 0; i < n; i++)
    complete(fab, e[i].op_context, e[i].len, fab->has_source ? src[i] : FI_ADDR_NOTAVAIL, 0);
  return (int)n;
}

static void *progress_main(void *arg) {
  pf_fab *fab = arg;
  struct fi_cq_tagged_entry e[16];
  fi_addr_t src[16];
  long idle_ns = 50000;
  while (!atomic_load(&fab->stopping)) {
    ssize_t n = fab->has_source ? fi_cq_readfrom(fab->cq, e, 16, src) : fi_cq_read(fab->cq, e, 16);
    if (drain(fab, n, e, src)) {
      idle_ns = 50000;
      continue;
    }
    if (n != -FI_EAGAIN && n < 0) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
      continue;
    }
    if (fab->cq_fd >= 0) {
      struct fid *fids[1] = {&fab->cq->fid};
      if (fi_trywait(fab->fabric, fids, 1) != FI_SUCCESS)
        continue;
      struct pollfd pfd[2] = {{fab->cq_fd, POLLIN, 0}, {fab->wake[0], POLLIN, 0}};
      if (poll(pfd, 2, 1000) > 0 && (pfd[1].revents & POLLIN)) {
        char buf[64];
        while (read(fab->wake[0], buf, sizeof buf) > 0) {
        }
      }
    } else {
      /* No FD wait object (shm): its fi_cq_sread spins in sched_yield and overran its
       * timeout here, so sleep on the wake-up pipe instead, 50 µs at first, doubling to
       * 1 ms while nothing arrives; a local send wakes it at once. */
      struct pollfd pfd = {fab->wake[0], POLLIN, 0};
      struct timespec ts = {0, idle_ns};
      if (ppoll(&pfd, 1, &ts, NULL) > 0) {
        char buf[64];
        while (read(fab->wake[0], buf, sizeof buf) > 0) {
        }
      }
      idle_ns = idle_ns < 1000000 ? idle_ns * 2 : 1000000;
      continue;
    }
  }
  return NULL;
}

static void *dispatch_main(void *arg) {
  pf_fab *fab = arg;
  pthread_mutex_lock(&fab->mu);
  for (;;) {
    while (!fab->rxq_head && !atomic_load(&fab->stopping))
      pthread_cond_wait(&fab->cv, &fab->mu);
    if (atomic_load(&fab->stopping))
      break;
    fab_op *op = fab->rxq_head;
    fab->rxq_head = op->next;
    if (!fab->rxq_head)
      fab->rxq_tail = NULL;
    pthread_mutex_unlock(&fab->mu);
    pf_fab_msg m;
    pf_status_t st = pf_fab_msg_decode(op->data, op->len, &m);
    fi_addr_t from = op->from == FI_ADDR_NOTAVAIL ? PF_FAB_ADDR_NONE : op->from;
    pthread_mutex_lock(&fab->mu);
    fab->stats.received++;
    fab->stats.bytes_received += op->len;
    if (st != PF_OK)
      fab->stats.malformed++;
    pthread_mutex_unlock(&fab->mu);
    if (st == PF_OK && m.type == PF_FAB_PAGE_REQUEST)
      fab_serve_page_request(fab, &m, op->from);
    else if (st == PF_OK && fab->on_recv)
      fab->on_recv(fab->ctx, &m, from);
    post_rx(fab, op);
    fab_wake(fab);
    pthread_mutex_lock(&fab->mu);
  }
  pthread_mutex_unlock(&fab->mu);
  return NULL;
}

/* ---------------------------------------------------------------- open / close */

/* Opens the endpoint of "fab" on its domain, binds its AV and CQ and enables it: 0, or a
 * negative libfabric error with the failing call in *step. */
static int open_ep(pf_fab *fab, const char **step) {
  *step = "fi_endpoint";
  int r = fi_endpoint(fab->domain, fab->info, &fab->ep, NULL);
  if (!r) {
    *step = "fi_ep_bind(av)";
    r = fi_ep_bind(fab->ep, &fab->av->fid, 0);
  }
  if (!r) {
    *step = "fi_ep_bind(cq)";
    r = fi_ep_bind(fab->ep, &fab->cq->fid, FI_TRANSMIT | FI_RECV);
  }
  if (!r) {
    *step = "fi_enable";
    r = fi_enable(fab->ep);
  }
  return r;
}

pf_status_t pf_fab_open(const pf_fab_config *cfg, pf_fab **fab_p, char *err, size_t err_len) {
  const char *prov;
  if (pf_fab_provider_name(cfg ? cfg->fabric : NULL, &prov) != PF_OK) {
    snprintf(err, err_len, "unknown fabric '%s' (choose tcp, verbs or shm)",
             cfg && cfg->fabric ? cfg->fabric : "");
    return PF_EINVAL;
  }
  pf_fab *fab = calloc(1, sizeof *fab);
  if (!fab) {
    snprintf(err, err_len, "out of memory");
    return PF_ENOMEM;
  }
  fab->cq_fd = -1;
  fab->wake[0] = fab->wake[1] = -1;
  pthread_mutex_init(&fab->mu, NULL);
  pthread_cond_init(&fab->cv, NULL);
  fab->tx_list.next = fab->tx_list.prev = &fab->tx_list;
  fab->on_recv = cfg->on_recv;
  fab->ctx = cfg->ctx;
  snprintf(fab->prov, sizeof fab->prov, "%s", prov);
  pf_status_t st = find_info(prov, !strcmp(prov, "shm") ? NULL : cfg->node, &fab->info, err,
                             err_len);
  if (st != PF_OK) {
    pf_fab_close(fab);
    return st;
  }
  fab->has_rma = (fab->info->caps & FI_RMA) != 0 && !cfg->no_rma;
  fab->mr_mode = (uint64_t)fab->info->domain_attr->mr_mode;
  fab->next_key = 1;
  fab->has_source = (fab->info->caps & FI_SOURCE) != 0;
  fab->inject_size = fab->info->tx_attr->inject_size;
  const char *step = "fi_fabric";
  int r = fi_fabric(fab->info->fabric_attr, &fab->fabric, NULL);
  if (!r) {
    step = "fi_domain";
    r = fi_domain(fab->fabric, fab->info, &fab->domain, NULL);
  }
  if (!r) {
    step = "fi_av_open";
    struct fi_av_attr av = {.type = FI_AV_TABLE};
    r = fi_av_open(fab->domain, &av, &fab->av, NULL);
  }
  if (!r) {
    step = "fi_cq_open";
    struct fi_cq_attr ca = {.format = FI_CQ_FORMAT_TAGGED, .wait_obj = FI_WAIT_FD,
                            .size = 4 * PF_FAB_NRX + 256};
    r = fi_cq_open(fab->domain, &ca, &fab->cq, NULL);
    if (r == 0 && fi_control(&fab->cq->fid, FI_GETWAIT, &fab->cq_fd) != 0)
      fab->cq_fd = -1;
    if (r != 0) { /* no FD wait object (shm): the progress thread sleeps between reads */
      ca.wait_obj = FI_WAIT_NONE;
      r = fi_cq_open(fab->domain, &ca, &fab->cq, NULL);
      fab->cq_fd = -1;
    }
  }
  if (!r) {
    r = open_ep(fab, &step);
    /* shm names its region after our PID; a region left by a killed process that had the
     * same PID looks in use (its PID is alive: ours), and libfabric then removes it */
    if (r == -FI_EBUSY && !strcmp(prov, "shm")) {
      fi_close(&fab->ep->fid);
      fab->ep = NULL;
      r = open_ep(fab, &step);
    }
  }
  if (r) {
    snprintf(err, err_len, "libfabric %s on provider '%s' failed: %s", step, prov,
             fi_strerror(-r));
    pf_fab_close(fab);
    return PF_EIO;
  }
  if (pipe2(fab->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    snprintf(err, err_len, "pipe: %s", strerror(errno));
    pf_fab_close(fab);
    return PF_EIO;
  }
  for (int i = 0; i < PF_FAB_NRX; i++) {
    fab->rx[i].kind = OP_RX;
    fab->rx[i].data = malloc(PF_FAB_RX_SIZE);
    if (!fab->rx[i].data) {
      snprintf(err, err_len, "out of memory");
      pf_fab_close(fab);
      return PF_ENOMEM;
    }
    post_rx(fab, &fab->rx[i]);
  }
  /* published before the threads start: the owner's callback may use *fab_p (the thread
   * creation orders this store before anything the threads do) */
  *fab_p = fab;
  if (pthread_create(&fab->progress_th, NULL, progress_main, fab) != 0) {
    *fab_p = NULL;
    snprintf(err, err_len, "cannot start the fabric progress thread");
    pf_fab_close(fab);
    return PF_ENOMEM;
  }
  if (pthread_create(&fab->dispatch_th, NULL, dispatch_main, fab) != 0) {
    *fab_p = NULL;
    atomic_store(&fab->stopping, 1);
    fab_wake(fab);
    pthread_join(fab->progress_th, NULL);
    snprintf(err, err_len, "cannot start the fabric dispatch thread");
    pf_fab_close(fab);
    return PF_ENOMEM;
  }
  fab->threads_started = 1;
  return PF_OK;
}

void pf_fab_close(pf_fab *fab) {
  if (!fab)
    return;
  atomic_store(&fab->stopping, 1);
  if (fab->threads_started) {
    fab_wake(fab);
    pthread_mutex_lock(&fab->mu);
    pthread_cond_broadcast(&fab->cv);
    pthread_mutex_unlock(&fab->mu);
    pthread_join(fab->dispatch_th, NULL);
    pthread_join(fab->progress_th, NULL);
  }
  if (fab->ep)
    fi_close(&fab->ep->fid);
  for (int b = 0; b < PF_FAB_PAGE_BUCKETS; b++)
    for (fab_page *pg = fab->pages[b]; pg; pg = pg->next)
      if (pg->mr)
        fi_close(&pg->mr->fid);
  if (fab->cq)
    fi_close(&fab->cq->fid);
  if (fab->av)
    fi_close(&fab->av->fid);
  if (fab->domain)
    fi_close(&fab->domain->fid);
  if (fab->fabric)
    fi_close(&fab->fabric->fid);
  fi_freeinfo(fab->info);
  for (int i = 0; i < PF_FAB_NRX; i++)
    free(fab->rx[i].data);
  for (fab_op *op = fab->tx_list.next; op != &fab->tx_list;) {
    fab_op *next = op->next;
    free(op->data);
    free(op);
    op = next;
  }
  for (int b = 0; b < PF_FAB_PAGE_BUCKETS; b++)
    for (fab_page *pg = fab->pages[b]; pg;) {
      fab_page *next = pg->next;
      free(pg->data);
      free(pg);
      pg = next;
    }
  if (fab->wake[0] >= 0)
    close(fab->wake[0]);
  if (fab->wake[1] >= 0)
    close(fab->wake[1]);
  pthread_mutex_destroy(&fab->mu);
  pthread_cond_destroy(&fab->cv);
  free(fab);
}

const char *pf_fab_provider(const pf_fab *fab) { return fab->prov; }

int pf_fab_has_rma(const pf_fab *fab) { return fab->has_rma; }

pf_status_t pf_fab_getname(const pf_fab *fab, uint8_t *buf, size_t cap, size_t *len_p) {
  size_t len = cap;
  int r = fi_getname(&fab->ep->fid, buf, &len);
  if (r == -FI_ETOOSMALL)
    return PF_ERANGE;
  if (r)
    return PF_EIO;
  *len_p = len;
  return PF_OK;
}

void pf_fab_addr_str(const pf_fab *fab, const uint8_t *addr, size_t len, char *buf, size_t cap) {
  size_t n = cap;
  if (!cap)
    return;
  buf[0] = 0;
  fi_av_straddr(fab->av, addr, buf, &n);
  (void)len;
  buf[cap - 1] = 0;
}

pf_status_t pf_fab_insert(pf_fab *fab, const uint8_t *addr, size_t len, pf_fab_addr *peer_p) {
  fi_addr_t fa = FI_ADDR_NOTAVAIL;
  if (!len || len > PF_FAB_ADDR_MAX)
    return PF_EINVAL;
  int r = fi_av_insert(fab->av, addr, 1, &fa, 0, NULL);
  if (r != 1)
    return PF_EINVAL;
  *peer_p = fa;
  return PF_OK;
}

pf_status_t fab_send_raw(pf_fab *fab, fi_addr_t peer, uint8_t *data, size_t len, int tagged,
                            uint64_t tag, double timeout_s) {
  fab_op *op = NULL;
  int inject = !tagged && len <= fab->inject_size;
  if (!inject) {
    op = calloc(1, sizeof *op);
    if (!op) {
      free(data);
      return PF_ENOMEM;
    }
    op->kind = OP_TX;
    op->data = data;
    pthread_mutex_lock(&fab->mu);
    op->next = fab->tx_list.next;
    op->prev = &fab->tx_list;
    op->next->prev = op;
    fab->tx_list.next = op;
    pthread_mutex_unlock(&fab->mu);
  }
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ssize_t r;
  for (;;) {
    if (inject)
      r = fi_inject(fab->ep, data, len, peer);
    else if (tagged)
      r = fi_tsend(fab->ep, data, len, NULL, peer, tag, &op->ctx);
    else
      r = fi_send(fab->ep, data, len, NULL, peer, &op->ctx);
    if (r != -FI_EAGAIN)
      break;
    fab_wake(fab);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 > timeout_s ||
        atomic_load(&fab->stopping))
      break;
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  if (r != 0) {
    if (op) {
      pthread_mutex_lock(&fab->mu);
      op->prev->next = op->next;
      op->next->prev = op->prev;
      pthread_mutex_unlock(&fab->mu);
      free(op);
    }
    free(data);
    return r == -FI_EAGAIN ? PF_ETIMEDOUT : PF_EIO;
  }
  if (inject)
    free(data);
  pthread_mutex_lock(&fab->mu);
  fab->stats.sent++;
  fab->stats.bytes_sent += len;
  pthread_mutex_unlock(&fab->mu);
  fab_wake(fab);
  return PF_OK;
}

pf_status_t pf_fab_send(pf_fab *fab, pf_fab_addr peer, const pf_fab_msg *m, double timeout_s) {
  pf_buf b = {NULL, 0, 0};
  pf_status_t st = pf_fab_msg_encode(m, &b);
  if (st != PF_OK) {
    free(b.data);
    return st;
  }
  if (b.len > PF_FAB_MAX_MSG) {
    free(b.data);
    return PF_ERANGE;
  }
  return fab_send_raw(fab, peer, b.data, b.len, 0, 0, timeout_s);
}

pf_fab_stats pf_fab_get_stats(pf_fab *fab) {
  pthread_mutex_lock(&fab->mu);
  pf_fab_stats s = fab->stats;
  pthread_mutex_unlock(&fab->mu);
  return s;
}
