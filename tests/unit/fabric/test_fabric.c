/* test_fabric: CUnit tests for fabric/ — message encoding (round trips of every type,
 * truncation and garbage → PF_EPROTO), provider selection, and two processes (fork) that
 * exchange messages and pages over a real tcp;ofi_rxm endpoint each. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pf_fabric.h"

static pf_fab_bytes B(const char *s) {
  pf_fab_bytes b = {(const uint8_t *)s, strlen(s)};
  return b;
}

static const uint8_t values_doc[] = {'P', 'F', 'B', '1', 0x01, 0x02, 0x03};

/* Fills "m" with a message of "type" whose every field is set. */
static void sample(pf_fab_msg *m, uint32_t type, pf_fab_member *members, uint8_t *defs) {
  memset(m, 0, sizeof *m);
  m->type = type;
  m->sender = 7;
  m->seq = 0x0102030405060708ull;
  switch (type) {
  case PF_FAB_JOIN:
    m->u.join.token = B("s3cret");
    m->u.join.addr = B("\x02\x00\x9c\x40\x7f\x00\x00\x01");
    m->u.join.host = B("node17");
    m->u.join.cores = 16;
    m->u.join.numa_nodes = 2;
    m->u.join.threads = 32;
    m->u.join.http_port = 30001;
    break;
  case PF_FAB_JOIN_ACK:
    members[0] = (pf_fab_member){0, PF_FAB_MEMBER_ALIVE, 4, B("head"), B("addr0")};
    members[1] = (pf_fab_member){1, PF_FAB_MEMBER_DEAD, 8, B("node1"), B("addr-one")};
    m->u.ack.status = PF_FAB_JOIN_OK;
    m->u.ack.id = 2;
    m->u.ack.heartbeat_ms = 500;
    m->u.ack.dead_ms = 3000;
    m->u.ack.reason = B("");
    m->u.ack.addr = B("coordaddr");
    m->u.ack.nmembers = 2;
    m->u.ack.members = members;
    break;
  case PF_FAB_HEARTBEAT:
    m->u.hb = (pf_fab_heartbeat){3, 4, 123456789012ull, 42};
    break;
  case PF_FAB_LEAVE:
    m->u.leave.reason = 1;
    break;
  case PF_FAB_STEAL_REQUEST:
    m->u.steal.job = 99;
    m->u.steal.idle = 3;
    break;
  case PF_FAB_SUBRANGE:
    m->u.sub.job = 5;
    m->u.sub.task = 6;
    CU_ASSERT_EQUAL(pf_subrange_init(&m->u.sub.sr, PF_FOLD_SUM, 0xabcdef, -5, 1000, 3), PF_OK);
    memset(m->u.sub.closure, 0x5a, PF_FAB_ID_SIZE);
    for (unsigned i = 0; i < 2 * PF_FAB_ID_SIZE; i++)
      defs[i] = (uint8_t)i;
    m->u.sub.ndefs = 2;
    m->u.sub.defs = defs;
    m->u.sub.values.p = values_doc;
    m->u.sub.values.n = sizeof values_doc;
    break;
  case PF_FAB_RESULT:
    m->u.result.job = 5;
    m->u.result.task = 6;
    m->u.result.outcome = PF_FAB_RESULT_EXCEPTION;
    m->u.result.position = 17;
    m->u.result.values.p = values_doc;
    m->u.result.values.n = sizeof values_doc;
    break;
  case PF_FAB_PAGE_REQUEST:
    m->u.page_req.request = 11;
    memset(m->u.page_req.hash, 0xee, PF_FAB_ID_SIZE);
    m->u.page_req.offset = 0;
    m->u.page_req.max_len = 1 << 20;
    break;
  case PF_FAB_PAGE:
    m->u.page.request = 11;
    memset(m->u.page.hash, 0xee, PF_FAB_ID_SIZE);
    m->u.page.total = 10;
    m->u.page.offset = 4;
    m->u.page.data = B("abcdef");
    break;
  }
}

static int bytes_eq(pf_fab_bytes a, pf_fab_bytes b) {
  return a.n == b.n && (a.n == 0 || !memcmp(a.p, b.p, a.n));
}

static void test_roundtrip(void) {
  for (uint32_t t = PF_FAB_JOIN; t < PF_FAB_MSG_TYPE_END; t++) {
    pf_fab_member mem[2];
    uint8_t defs[2 * PF_FAB_ID_SIZE];
    pf_fab_msg m, d;
    sample(&m, t, mem, defs);
    pf_buf b = {NULL, 0, 0};
    CU_ASSERT_EQUAL_FATAL(pf_fab_msg_encode(&m, &b), PF_OK);
    CU_ASSERT_EQUAL_FATAL(pf_fab_msg_decode(b.data, b.len, &d), PF_OK);
    CU_ASSERT_EQUAL(d.type, t);
    CU_ASSERT_EQUAL(d.sender, 7);
    CU_ASSERT_EQUAL(d.seq, 0x0102030405060708ull);
    CU_ASSERT_EQUAL(b.data[0], 'P');
    CU_ASSERT_EQUAL(b.data[2], PF_FAB_MSG_VERSION);
    switch (t) {
    case PF_FAB_JOIN:
      CU_ASSERT(bytes_eq(d.u.join.token, m.u.join.token));
      CU_ASSERT(bytes_eq(d.u.join.addr, m.u.join.addr));
      CU_ASSERT(bytes_eq(d.u.join.host, m.u.join.host));
      CU_ASSERT_EQUAL(d.u.join.cores, 16);
      CU_ASSERT_EQUAL(d.u.join.numa_nodes, 2);
      CU_ASSERT_EQUAL(d.u.join.threads, 32);
      CU_ASSERT_EQUAL(d.u.join.http_port, 30001);
      break;
    case PF_FAB_JOIN_ACK: {
      CU_ASSERT_EQUAL(d.u.ack.id, 2);
      CU_ASSERT_EQUAL(d.u.ack.heartbeat_ms, 500);
      CU_ASSERT_EQUAL(d.u.ack.dead_ms, 3000);
      CU_ASSERT(bytes_eq(d.u.ack.addr, m.u.ack.addr));
      CU_ASSERT_EQUAL(d.u.ack.nmembers, 2);
      size_t off = 0;
      pf_fab_member x;
      int k = 0;
      while (pf_fab_ack_member_next(&d.u.ack, &off, &x)) {
        CU_ASSERT_EQUAL(x.id, mem[k].id);
        CU_ASSERT_EQUAL(x.state, mem[k].state);
        CU_ASSERT_EQUAL(x.threads, mem[k].threads);
        CU_ASSERT(bytes_eq(x.host, mem[k].host));
        CU_ASSERT(bytes_eq(x.addr, mem[k].addr));
        k++;
      }
      CU_ASSERT_EQUAL(k, 2);
      break;
    }
    case PF_FAB_HEARTBEAT:
      CU_ASSERT(!memcmp(&d.u.hb, &m.u.hb, sizeof d.u.hb));
      break;
    case PF_FAB_LEAVE:
      CU_ASSERT_EQUAL(d.u.leave.reason, 1);
      break;
    case PF_FAB_STEAL_REQUEST:
      CU_ASSERT_EQUAL(d.u.steal.job, 99);
      CU_ASSERT_EQUAL(d.u.steal.idle, 3);
      break;
    case PF_FAB_SUBRANGE:
      CU_ASSERT_EQUAL(d.u.sub.job, 5);
      CU_ASSERT_EQUAL(d.u.sub.task, 6);
      CU_ASSERT_EQUAL(d.u.sub.sr.kind, PF_FOLD_SUM);
      CU_ASSERT_EQUAL(d.u.sub.sr.code_id, 0xabcdef);
      CU_ASSERT_EQUAL(d.u.sub.sr.cursor, -5);
      CU_ASSERT_EQUAL(d.u.sub.sr.bound, m.u.sub.sr.bound);
      CU_ASSERT_EQUAL(d.u.sub.sr.step, 3);
      CU_ASSERT_EQUAL(pf_subrange_count(&d.u.sub.sr), pf_subrange_count(&m.u.sub.sr));
      CU_ASSERT(!memcmp(d.u.sub.closure, m.u.sub.closure, PF_FAB_ID_SIZE));
      CU_ASSERT_EQUAL(d.u.sub.ndefs, 2);
      CU_ASSERT(!memcmp(d.u.sub.defs, defs, sizeof defs));
      CU_ASSERT(bytes_eq(d.u.sub.values, m.u.sub.values));
      break;
    case PF_FAB_RESULT:
      CU_ASSERT_EQUAL(d.u.result.outcome, PF_FAB_RESULT_EXCEPTION);
      CU_ASSERT_EQUAL(d.u.result.position, 17);
      CU_ASSERT(bytes_eq(d.u.result.values, m.u.result.values));
      break;
    case PF_FAB_PAGE_REQUEST:
      CU_ASSERT(!memcmp(&d.u.page_req, &m.u.page_req, sizeof d.u.page_req));
      break;
    case PF_FAB_PAGE:
      CU_ASSERT_EQUAL(d.u.page.total, 10);
      CU_ASSERT_EQUAL(d.u.page.offset, 4);
      CU_ASSERT(bytes_eq(d.u.page.data, m.u.page.data));
      break;
    }
    /* Every proper prefix, and one byte more, is refused. */
    for (size_t n = 0; n < b.len; n++)
      CU_ASSERT_EQUAL(pf_fab_msg_decode(b.data, n, &d), PF_EPROTO);
    uint8_t *longer = malloc(b.len + 1);
    memcpy(longer, b.data, b.len);
    longer[b.len] = 0;
    CU_ASSERT_EQUAL(pf_fab_msg_decode(longer, b.len + 1, &d), PF_EPROTO);
    /* A consistent length field over a short payload is refused too. */
    if (b.len > PF_FAB_HDR_SIZE) {
      size_t n = b.len - 1;
      memcpy(longer, b.data, n);
      uint32_t pl = (uint32_t)(n - PF_FAB_HDR_SIZE);
      for (int i = 0; i < 4; i++)
        longer[4 + i] = (uint8_t)(pl >> (8 * i));
      CU_ASSERT_EQUAL(pf_fab_msg_decode(longer, n, &d), PF_EPROTO);
    }
    free(longer);
    free(b.data);
  }
}

static void test_bad_header(void) {
  pf_fab_msg m, d;
  sample(&m, PF_FAB_HEARTBEAT, NULL, NULL);
  pf_buf b = {NULL, 0, 0};
  CU_ASSERT_EQUAL_FATAL(pf_fab_msg_encode(&m, &b), PF_OK);
  CU_ASSERT_EQUAL(b.len, PF_FAB_HDR_SIZE + 24);
  uint8_t *c = malloc(b.len);
  size_t offsets[] = {0, 1, 2, 3, 12}; /* magic, version, type, reserved */
  uint8_t vals[] = {'X', 'X', 2, 0, 1};
  for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
    memcpy(c, b.data, b.len);
    c[offsets[i]] = vals[i];
    CU_ASSERT_EQUAL(pf_fab_msg_decode(c, b.len, &d), PF_EPROTO);
  }
  memcpy(c, b.data, b.len);
  c[3] = PF_FAB_MSG_TYPE_END;
  CU_ASSERT_EQUAL(pf_fab_msg_decode(c, b.len, &d), PF_EPROTO);
  free(c);
  free(b.data);
  CU_ASSERT_EQUAL(pf_fab_msg_decode(NULL, 0, &d), PF_EPROTO);
}

static void test_bad_payloads(void) {
  pf_fab_msg m, d;
  pf_fab_member mem[2];
  uint8_t defs[2 * PF_FAB_ID_SIZE];
  pf_buf b = {NULL, 0, 0};
  /* Encoders refuse what decoders would refuse. */
  sample(&m, PF_FAB_SUBRANGE, mem, defs);
  m.u.sub.values = B("not a codec document");
  CU_ASSERT_EQUAL(pf_fab_msg_encode(&m, &b), PF_EINVAL);
  CU_ASSERT_EQUAL(b.len, 0);
  sample(&m, PF_FAB_PAGE, mem, defs);
  m.u.page.flags = PF_FAB_PAGE_RMA; /* RMA and inline bytes together */
  CU_ASSERT_EQUAL(pf_fab_msg_encode(&m, &b), PF_EINVAL);
  m.type = 0;
  CU_ASSERT_EQUAL(pf_fab_msg_encode(&m, &b), PF_EINVAL);
  char big[PF_FAB_MAX_STR + 2];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  sample(&m, PF_FAB_JOIN, mem, defs);
  m.u.join.token = B(big);
  CU_ASSERT_EQUAL(pf_fab_msg_encode(&m, &b), PF_EINVAL);

  /* RESULT outcomes: PAGES (the value named by pages) round-trips, one past it is refused. */
  sample(&m, PF_FAB_RESULT, mem, defs);
  m.u.result.outcome = PF_FAB_RESULT_PAGES;
  CU_ASSERT_EQUAL_FATAL(pf_fab_msg_encode(&m, &b), PF_OK);
  CU_ASSERT_EQUAL(pf_fab_msg_decode(b.data, b.len, &d), PF_OK);
  CU_ASSERT_EQUAL(d.u.result.outcome, PF_FAB_RESULT_PAGES);
  b.len = 0;
  m.u.result.outcome = PF_FAB_RESULT_PAGES + 1;
  CU_ASSERT_EQUAL(pf_fab_msg_encode(&m, &b), PF_EINVAL);
  b.len = 0;

  /* A subrange record with a zero step, a page whose bytes run past its total. */
  sample(&m, PF_FAB_SUBRANGE, mem, defs);
  CU_ASSERT_EQUAL_FATAL(pf_fab_msg_encode(&m, &b), PF_OK);
  size_t rec = PF_FAB_HDR_SIZE + 16; /* job, task */
  uint8_t *c = malloc(b.len);
  memcpy(c, b.data, b.len);
  memset(c + rec + 40, 0, 8); /* the step field of the 64-byte record */
  CU_ASSERT_EQUAL(pf_fab_msg_decode(c, b.len, &d), PF_EPROTO);
  memcpy(c, b.data, b.len);
  c[rec] ^= 0xff; /* the record's magic */
  CU_ASSERT_EQUAL(pf_fab_msg_decode(c, b.len, &d), PF_EPROTO);
  free(c);
  b.len = 0;
  sample(&m, PF_FAB_PAGE, mem, defs);
  m.u.page.total = 5; /* offset 4 + 6 bytes > 5 */
  CU_ASSERT_EQUAL_FATAL(pf_fab_msg_encode(&m, &b), PF_OK);
  CU_ASSERT_EQUAL(pf_fab_msg_decode(b.data, b.len, &d), PF_EPROTO);
  b.len = 0;
  /* A member list that claims more entries than it has. */
  sample(&m, PF_FAB_JOIN_ACK, mem, defs);
  CU_ASSERT_EQUAL_FATAL(pf_fab_msg_encode(&m, &b), PF_OK);
  size_t count_at = b.len;
  for (size_t i = 0; i + 4 <= b.len; i++)
    if (b.data[i] == 2 && b.data[i + 1] == 0 && b.data[i + 2] == 0 && b.data[i + 3] == 0 &&
        i > PF_FAB_HDR_SIZE + 16)
      count_at = i < count_at ? i : count_at;
  CU_ASSERT_FATAL(count_at < b.len);
  b.data[count_at] = 3;
  CU_ASSERT_EQUAL(pf_fab_msg_decode(b.data, b.len, &d), PF_EPROTO);
  free(b.data);
}

/* Random bytes behind a valid header never crash the decoder, and almost never decode. */
static void test_garbage(void) {
  unsigned seed = 12345;
  uint8_t buf[512];
  int accepted = 0;
  for (int round = 0; round < 20000; round++) {
    size_t n = (size_t)(rand_r(&seed) % (int)sizeof buf);
    for (size_t i = 0; i < n; i++)
      buf[i] = (uint8_t)rand_r(&seed);
    if (n >= PF_FAB_HDR_SIZE && round % 2) { /* a plausible header over random bytes */
      buf[0] = 'P';
      buf[1] = 'F';
      buf[2] = PF_FAB_MSG_VERSION;
      buf[3] = (uint8_t)(1 + round % (PF_FAB_MSG_TYPE_END - 1));
      uint32_t pl = (uint32_t)(n - PF_FAB_HDR_SIZE);
      for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(pl >> (8 * i));
      memset(buf + 12, 0, 4);
    }
    pf_fab_msg d;
    pf_status_t st = pf_fab_msg_decode(buf, n, &d);
    CU_ASSERT(st == PF_OK || st == PF_EPROTO);
    accepted += st == PF_OK;
  }
  CU_ASSERT(accepted < 2000);
}

static void test_provider_names(void) {
  const char *p = NULL;
  CU_ASSERT_EQUAL(pf_fab_provider_name("tcp", &p), PF_OK);
  CU_ASSERT_STRING_EQUAL(p, "tcp;ofi_rxm");
  CU_ASSERT_EQUAL(pf_fab_provider_name(NULL, &p), PF_OK);
  CU_ASSERT_STRING_EQUAL(p, "tcp;ofi_rxm");
  CU_ASSERT_EQUAL(pf_fab_provider_name("verbs", &p), PF_OK);
  CU_ASSERT_STRING_EQUAL(p, "verbs;ofi_rxm");
  CU_ASSERT_EQUAL(pf_fab_provider_name("shm", &p), PF_OK);
  CU_ASSERT_STRING_EQUAL(p, "shm");
  CU_ASSERT_EQUAL(pf_fab_provider_name("sockets", &p), PF_EINVAL);
  CU_ASSERT_EQUAL(pf_fab_provider_name("", &p), PF_EINVAL);

  const char *offered[] = {"tcp;ofi_rxm", "net", "tcp;ofi_rxm", "shm"};
  size_t idx = 99;
  char err[256];
  CU_ASSERT_EQUAL(pf_fab_pick("shm", offered, 4, &idx, err, sizeof err), PF_OK);
  CU_ASSERT_EQUAL(idx, 3);
  CU_ASSERT_EQUAL(pf_fab_pick("tcp", offered, 4, &idx, err, sizeof err), PF_ENOENT);
  CU_ASSERT_EQUAL(pf_fab_pick("verbs;ofi_rxm", offered, 4, &idx, err, sizeof err), PF_ENOENT);
  CU_ASSERT_STRING_EQUAL(err, "libfabric provider 'verbs;ofi_rxm' is not available here; "
                              "fi_getinfo offers: tcp;ofi_rxm, net, shm");
  CU_ASSERT_EQUAL(pf_fab_pick("x", offered, 0, &idx, err, sizeof err), PF_ENOENT);
  CU_ASSERT(strstr(err, "offers: nothing") != NULL);
}

static void test_open_errors(void) {
  char err[512] = "";
  pf_fab *fab = NULL;
  pf_fab_config cfg = {"infiniband", NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(pf_fab_open(&cfg, &fab, err, sizeof err), PF_EINVAL);
  CU_ASSERT(strstr(err, "choose tcp, verbs or shm") != NULL);
  char offered[512];
  pf_fab_offered(offered, sizeof offered);
  CU_ASSERT(strstr(offered, "tcp;ofi_rxm") != NULL);
  if (strstr(offered, "verbs;ofi_rxm")) /* a machine with an RDMA device */
    return;
  cfg.fabric = "verbs";
  CU_ASSERT_EQUAL(pf_fab_open(&cfg, &fab, err, sizeof err), PF_ENOENT);
  CU_ASSERT(strstr(err, "'verbs;ofi_rxm' is not available") != NULL);
  CU_ASSERT(strstr(err, "tcp;ofi_rxm") != NULL);
  CU_ASSERT(fab == NULL);
}

/* ---------------------------------------------------------------- two processes */

typedef struct peer_state {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int got;
  pf_fab_msg last;
  uint64_t work;
  pf_fab *fab;
  pf_fab_addr reply_to;
} peer_state;

static void on_msg(void *ctx, const pf_fab_msg *m, pf_fab_addr from) {
  peer_state *ps = ctx;
  pthread_mutex_lock(&ps->mu);
  ps->got++;
  ps->last = *m;
  ps->work = m->type == PF_FAB_HEARTBEAT ? m->u.hb.work : 0;
  pthread_cond_broadcast(&ps->cv);
  pthread_mutex_unlock(&ps->mu);
  (void)from;
}

static int wait_got(peer_state *ps, int n) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&ps->mu);
  while (ps->got < n)
    if (pthread_cond_timedwait(&ps->cv, &ps->mu, &dl) != 0)
      break;
  int ok = ps->got >= n;
  pthread_mutex_unlock(&ps->mu);
  return ok;
}

/* The child: echoes every heartbeat with work + 1 to the address the parent sends through
 * "in", serves one published page, and exits on LEAVE. */
static int child_main(const char *fabric, int in, int out, int no_rma) {
  peer_state ps = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}, 0, NULL, 0};
  char err[512];
  pf_fab_config cfg = {fabric, "127.0.0.1", on_msg, &ps, no_rma};
  if (pf_fab_open(&cfg, &ps.fab, err, sizeof err) != PF_OK) {
    fprintf(stderr, "child: %s\n", err);
    return 1;
  }
  uint8_t addr[PF_FAB_ADDR_MAX];
  size_t alen = 0;
  if (pf_fab_getname(ps.fab, addr, sizeof addr, &alen) != PF_OK)
    return 2;
  uint8_t page[100000], hash[PF_FAB_ID_SIZE];
  for (size_t i = 0; i < sizeof page; i++)
    page[i] = (uint8_t)(i * 7);
  if (pf_fab_page_publish(ps.fab, page, sizeof page, hash) != PF_OK)
    return 3;
  if (write(out, &alen, sizeof alen) != sizeof alen || write(out, addr, alen) != (ssize_t)alen)
    return 4;
  size_t plen;
  uint8_t paddr[PF_FAB_ADDR_MAX];
  if (read(in, &plen, sizeof plen) != sizeof plen || plen > sizeof paddr ||
      read(in, paddr, plen) != (ssize_t)plen)
    return 5;
  pf_fab_addr parent;
  if (pf_fab_insert(ps.fab, paddr, plen, &parent) != PF_OK)
    return 6;
  for (int seen = 1;; seen++) {
    if (!wait_got(&ps, seen))
      return 7;
    pthread_mutex_lock(&ps.mu);
    pf_fab_msg m = ps.last;
    pthread_mutex_unlock(&ps.mu);
    if (m.type == PF_FAB_LEAVE)
      break;
    pf_fab_msg r;
    memset(&r, 0, sizeof r);
    r.type = PF_FAB_HEARTBEAT;
    r.sender = 1;
    r.seq = (uint64_t)seen;
    r.u.hb.work = m.u.hb.work + 1;
    if (pf_fab_send(ps.fab, parent, &r, 5.0) != PF_OK)
      return 8;
  }
  pf_fab_stats s = pf_fab_get_stats(ps.fab);
  pf_fab_close(ps.fab);
  return s.pages_served == 1 ? 0 : 9;
}

/* "no_rma": the child serves its page inline (tagged message) instead of for an RMA read. */
static void two_processes(const char *fabric, const char *prov, int no_rma) {
  int to_child[2], to_parent[2];
  CU_ASSERT_FATAL(pipe(to_child) == 0 && pipe(to_parent) == 0);
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0)
    _exit(child_main(fabric, to_child[0], to_parent[1], no_rma));
  peer_state ps = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}, 0, NULL, 0};
  char err[512];
  pf_fab_config cfg = {fabric, "127.0.0.1", on_msg, &ps, 0};
  pf_fab *fab = NULL;
  CU_ASSERT_EQUAL_FATAL(pf_fab_open(&cfg, &fab, err, sizeof err), PF_OK);
  CU_ASSERT_STRING_EQUAL(pf_fab_provider(fab), prov);
  uint8_t addr[PF_FAB_ADDR_MAX], caddr[PF_FAB_ADDR_MAX];
  size_t alen = 0, clen = 0;
  CU_ASSERT_EQUAL_FATAL(pf_fab_getname(fab, addr, sizeof addr, &alen), PF_OK);
  char text[128];
  pf_fab_addr_str(fab, addr, alen, text, sizeof text);
  CU_ASSERT(strstr(text, !strcmp(fabric, "tcp") ? "127.0.0.1" : "fi_shm://") != NULL);
  CU_ASSERT_FATAL(read(to_parent[0], &clen, sizeof clen) == sizeof clen && clen <= sizeof caddr);
  CU_ASSERT_FATAL(read(to_parent[0], caddr, clen) == (ssize_t)clen);
  CU_ASSERT_FATAL(write(to_child[1], &alen, sizeof alen) == sizeof alen);
  CU_ASSERT_FATAL(write(to_child[1], addr, alen) == (ssize_t)alen);
  pf_fab_addr child;
  CU_ASSERT_EQUAL_FATAL(pf_fab_insert(fab, caddr, clen, &child), PF_OK);

  /* 200 round trips: each answer carries work + 1. */
  pf_fab_msg m;
  memset(&m, 0, sizeof m);
  m.type = PF_FAB_HEARTBEAT;
  for (int i = 0; i < 200; i++) {
    m.seq = (uint64_t)i;
    m.u.hb.work = (uint64_t)(1000 + 2 * i);
    CU_ASSERT_EQUAL_FATAL(pf_fab_send(fab, child, &m, 5.0), PF_OK);
    CU_ASSERT_FATAL(wait_got(&ps, i + 1));
    CU_ASSERT_EQUAL(ps.work, (uint64_t)(1001 + 2 * i));
    CU_ASSERT_EQUAL(ps.last.sender, 1);
  }

  /* The child's page, fetched by hash (a tagged message), checked and cached. */
  uint8_t page[100000], hash[PF_FAB_ID_SIZE];
  for (size_t i = 0; i < sizeof page; i++)
    page[i] = (uint8_t)(i * 7);
  pf_fab_page_hash(page, sizeof page, hash);
  const uint8_t *data = NULL;
  size_t len = 0;
  CU_ASSERT_EQUAL(pf_fab_page_get(fab, child, hash, 10.0, &data, &len), PF_OK);
  CU_ASSERT_EQUAL(len, sizeof page);
  CU_ASSERT(data && !memcmp(data, page, sizeof page));
  CU_ASSERT_EQUAL(pf_fab_page_get(fab, child, hash, 10.0, &data, &len), PF_OK);
  uint8_t other[PF_FAB_ID_SIZE];
  memset(other, 1, sizeof other);
  CU_ASSERT_EQUAL(pf_fab_page_get(fab, child, other, 10.0, &data, &len), PF_ENOENT);
  pf_fab_stats s = pf_fab_get_stats(fab);
  CU_ASSERT_EQUAL(s.pages_fetched, 1);
  CU_ASSERT_EQUAL(s.pages_fetched_rma, no_rma || !pf_fab_has_rma(fab) ? 0 : 1);
  CU_ASSERT_EQUAL(s.page_cache_hits, 1);
  CU_ASSERT_EQUAL(s.received, 200);
  CU_ASSERT_EQUAL(s.malformed, 0);

  m.type = PF_FAB_LEAVE;
  CU_ASSERT_EQUAL(pf_fab_send(fab, child, &m, 5.0), PF_OK);
  int status = -1;
  waitpid(pid, &status, 0);
  CU_ASSERT(WIFEXITED(status));
  CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
  pf_fab_close(fab);
  close(to_child[0]);
  close(to_child[1]);
  close(to_parent[0]);
  close(to_parent[1]);
}

static void test_two_processes_rma(void) { two_processes("tcp", "tcp;ofi_rxm", 0); }
static void test_two_processes_tagged(void) { two_processes("tcp", "tcp;ofi_rxm", 1); }
static void test_two_processes_shm(void) { two_processes("shm", "shm", 0); }

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("fabric", NULL, NULL);
  if (!s || !CU_add_test(s, "two processes, page by RMA read", test_two_processes_rma) ||
      !CU_add_test(s, "two processes, page by tagged message", test_two_processes_tagged) ||
      !CU_add_test(s, "two processes over shm", test_two_processes_shm) ||
      !CU_add_test(s, "message round trips and truncation", test_roundtrip) ||
      !CU_add_test(s, "bad headers", test_bad_header) ||
      !CU_add_test(s, "bad payloads", test_bad_payloads) ||
      !CU_add_test(s, "random garbage", test_garbage) ||
      !CU_add_test(s, "provider names and picking", test_provider_names) ||
      !CU_add_test(s, "open errors list the offered providers", test_open_errors)) {
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
