/* msg.c — encoding and strict decoding of the fabric messages of pf_fabmsg.h. All integers
 * are little-endian; strings are a u16 length and bytes; byte blobs a u32 length and bytes. */
#include <stdlib.h>
#include <string.h>

#include "pf_fabmsg.h"

static const uint8_t magic[2] = {'P', 'F'};

/* ---------------------------------------------------------------- writer */

typedef struct wr {
  pf_buf *out;
  int failed;
} wr;

static void put(wr *w, const void *p, size_t n) {
  if (w->failed)
    return;
  pf_buf *b = w->out;
  if (n > b->cap - b->len) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
      if (cap > SIZE_MAX / 2) {
        w->failed = 1;
        return;
      }
      cap *= 2;
    }
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
      w->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_u8(wr *w, uint8_t v) { put(w, &v, 1); }

static void put_u16(wr *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put(w, b, 2);
}

static void put_u32(wr *w, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, 4);
}

static void put_u64(wr *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, 8);
}

static int put_str(wr *w, pf_fab_bytes s) {
  if (s.n > PF_FAB_MAX_STR || (s.n && !s.p))
    return 0;
  put_u16(w, (uint16_t)s.n);
  put(w, s.p, s.n);
  return 1;
}

static int put_blob(wr *w, pf_fab_bytes s) {
  if (s.n > UINT32_MAX || (s.n && !s.p))
    return 0;
  put_u32(w, (uint32_t)s.n);
  put(w, s.p, s.n);
  return 1;
}

/* Values are empty or a binary-codec document. */
static int values_ok(pf_fab_bytes v) {
  return v.n == 0 || (v.p && v.n >= 4 && !memcmp(v.p, PF_BIN_MAGIC, 4));
}

static int encode_payload(const pf_fab_msg *m, wr *w) {
  switch (m->type) {
  case PF_FAB_JOIN: {
    const pf_fab_join *j = &m->u.join;
    if (!put_str(w, j->token) || !put_str(w, j->addr) || !put_str(w, j->host))
      return 0;
    put_u32(w, j->cores);
    put_u32(w, j->numa_nodes);
    put_u32(w, j->threads);
    put_u32(w, j->http_port);
    return 1;
  }
  case PF_FAB_JOIN_ACK: {
    const pf_fab_join_ack *a = &m->u.ack;
    if (a->nmembers > PF_FAB_MAX_MEMBERS || (a->nmembers && !a->members))
      return 0;
    put_u32(w, a->status);
    put_u32(w, a->id);
    put_u32(w, a->heartbeat_ms);
    put_u32(w, a->dead_ms);
    if (!put_str(w, a->reason) || !put_str(w, a->addr))
      return 0;
    put_u32(w, a->nmembers);
    for (uint32_t i = 0; i < a->nmembers; i++) {
      const pf_fab_member *mem = &a->members[i];
      put_u32(w, mem->id);
      put_u8(w, (uint8_t)mem->state);
      put_u32(w, mem->threads);
      if (mem->state > PF_FAB_MEMBER_LEFT || !put_str(w, mem->host) || !put_str(w, mem->addr))
        return 0;
    }
    return 1;
  }
  case PF_FAB_HEARTBEAT:
    put_u32(w, m->u.hb.busy);
    put_u32(w, m->u.hb.threads);
    put_u64(w, m->u.hb.work);
    put_u64(w, m->u.hb.time_ms);
    return 1;
  case PF_FAB_LEAVE:
    put_u32(w, m->u.leave.reason);
    return 1;
  case PF_FAB_STEAL_REQUEST:
    put_u64(w, m->u.steal.job);
    put_u32(w, m->u.steal.idle);
    return 1;
  case PF_FAB_SUBRANGE: {
    const pf_fab_subrange *s = &m->u.sub;
    if (s->ndefs > PF_FAB_MAX_DEFS || (s->ndefs && !s->defs) || !values_ok(s->values))
      return 0;
    uint8_t rec[PF_SUBRANGE_WIRE_SIZE];
    pf_subrange_encode(&s->sr, rec);
    put_u64(w, s->job);
    put_u64(w, s->task);
    put(w, rec, sizeof rec);
    put(w, s->closure, PF_FAB_ID_SIZE);
    put_u32(w, s->ndefs);
    put(w, s->defs, (size_t)s->ndefs * PF_FAB_ID_SIZE);
    return put_blob(w, s->values);
  }
  case PF_FAB_RESULT: {
    const pf_fab_result *r = &m->u.result;
    if (r->outcome > PF_FAB_RESULT_PAGES || !values_ok(r->values))
      return 0;
    put_u64(w, r->job);
    put_u64(w, r->task);
    put_u32(w, r->outcome);
    put_u64(w, r->position);
    return put_blob(w, r->values);
  }
  case PF_FAB_PAGE_REQUEST:
    put_u64(w, m->u.page_req.request);
    put(w, m->u.page_req.hash, PF_FAB_ID_SIZE);
    put_u64(w, m->u.page_req.offset);
    put_u32(w, m->u.page_req.max_len);
    return 1;
  case PF_FAB_PAGE: {
    const pf_fab_page *pg = &m->u.page;
    if (pg->status > PF_FAB_PAGE_MISSING || (pg->flags & ~PF_FAB_PAGE_RMA) ||
        ((pg->flags & PF_FAB_PAGE_RMA) && pg->data.n))
      return 0;
    put_u64(w, pg->request);
    put(w, pg->hash, PF_FAB_ID_SIZE);
    put_u32(w, pg->status);
    put_u32(w, pg->flags);
    put_u64(w, pg->total);
    put_u64(w, pg->offset);
    put_u64(w, pg->rma_addr);
    put_u64(w, pg->rma_key);
    return put_blob(w, pg->data);
  }
  default:
    return 0;
  }
}

pf_status_t pf_fab_msg_encode(const pf_fab_msg *m, pf_buf *out) {
  if (!m || !out || m->type == 0 || m->type >= PF_FAB_MSG_TYPE_END)
    return PF_EINVAL;
  size_t start = out->len;
  wr w = {out, 0};
  put(&w, magic, 2);
  put_u8(&w, PF_FAB_MSG_VERSION);
  put_u8(&w, (uint8_t)m->type);
  put_u32(&w, 0); /* payload length, patched below */
  put_u32(&w, m->sender);
  put_u32(&w, 0); /* reserved */
  put_u64(&w, m->seq);
  int ok = encode_payload(m, &w);
  if (w.failed || !ok) {
    out->len = start;
    return w.failed ? PF_ENOMEM : PF_EINVAL;
  }
  size_t plen = out->len - start - PF_FAB_HDR_SIZE;
  if (plen > UINT32_MAX) {
    out->len = start;
    return PF_EINVAL;
  }
  for (int i = 0; i < 4; i++)
    out->data[start + 4 + i] = (uint8_t)(plen >> (8 * i));
  return PF_OK;
}

/* ---------------------------------------------------------------- reader */

typedef struct rd {
  const uint8_t *p;
  size_t n, off;
  int bad;
} rd;

static const uint8_t *take(rd *r, size_t n) {
  if (r->bad || n > r->n - r->off) {
    r->bad = 1;
    return NULL;
  }
  const uint8_t *q = r->p + r->off;
  r->off += n;
  return q;
}

static uint64_t get_le(rd *r, unsigned bytes) {
  const uint8_t *q = take(r, bytes);
  uint64_t v = 0;
  if (q)
    for (unsigned i = 0; i < bytes; i++)
      v |= (uint64_t)q[i] << (8 * i);
  return v;
}

static uint8_t get_u8(rd *r) { return (uint8_t)get_le(r, 1); }
static uint32_t get_u32(rd *r) { return (uint32_t)get_le(r, 4); }
static uint64_t get_u64(rd *r) { return get_le(r, 8); }

static pf_fab_bytes get_str(rd *r) {
  size_t n = (size_t)get_le(r, 2);
  pf_fab_bytes s = {NULL, 0};
  if (n > PF_FAB_MAX_STR) {
    r->bad = 1;
    return s;
  }
  s.p = take(r, n);
  s.n = s.p ? n : 0;
  return s;
}

static pf_fab_bytes get_blob(rd *r) {
  size_t n = (size_t)get_u32(r);
  pf_fab_bytes s = {NULL, 0};
  s.p = take(r, n);
  s.n = s.p ? n : 0;
  return s;
}

static void get_id(rd *r, uint8_t id[PF_FAB_ID_SIZE]) {
  const uint8_t *q = take(r, PF_FAB_ID_SIZE);
  if (q)
    memcpy(id, q, PF_FAB_ID_SIZE);
}

static void get_member(rd *r, pf_fab_member *mem) {
  mem->id = get_u32(r);
  mem->state = get_u8(r);
  mem->threads = get_u32(r);
  mem->host = get_str(r);
  mem->addr = get_str(r);
  if (mem->state > PF_FAB_MEMBER_LEFT)
    r->bad = 1;
}

static void decode_payload(rd *r, pf_fab_msg *m) {
  switch (m->type) {
  case PF_FAB_JOIN: {
    pf_fab_join *j = &m->u.join;
    j->token = get_str(r);
    j->addr = get_str(r);
    j->host = get_str(r);
    j->cores = get_u32(r);
    j->numa_nodes = get_u32(r);
    j->threads = get_u32(r);
    j->http_port = get_u32(r);
    if (!r->bad && j->addr.n == 0)
      r->bad = 1;
    break;
  }
  case PF_FAB_JOIN_ACK: {
    pf_fab_join_ack *a = &m->u.ack;
    a->status = get_u32(r);
    a->id = get_u32(r);
    a->heartbeat_ms = get_u32(r);
    a->dead_ms = get_u32(r);
    a->reason = get_str(r);
    a->addr = get_str(r);
    a->nmembers = get_u32(r);
    if (a->status > PF_FAB_JOIN_REFUSED || a->nmembers > PF_FAB_MAX_MEMBERS)
      r->bad = 1;
    size_t start = r->off;
    for (uint32_t i = 0; i < a->nmembers && !r->bad; i++) {
      pf_fab_member mem;
      get_member(r, &mem);
    }
    a->members = NULL;
    a->member_bytes.p = r->p + start;
    a->member_bytes.n = r->bad ? 0 : r->off - start;
    break;
  }
  case PF_FAB_HEARTBEAT:
    m->u.hb.busy = get_u32(r);
    m->u.hb.threads = get_u32(r);
    m->u.hb.work = get_u64(r);
    m->u.hb.time_ms = get_u64(r);
    break;
  case PF_FAB_LEAVE:
    m->u.leave.reason = get_u32(r);
    break;
  case PF_FAB_STEAL_REQUEST:
    m->u.steal.job = get_u64(r);
    m->u.steal.idle = get_u32(r);
    break;
  case PF_FAB_SUBRANGE: {
    pf_fab_subrange *s = &m->u.sub;
    s->job = get_u64(r);
    s->task = get_u64(r);
    const uint8_t *rec = take(r, PF_SUBRANGE_WIRE_SIZE);
    if (rec && pf_subrange_decode(rec, PF_SUBRANGE_WIRE_SIZE, &s->sr) != PF_OK)
      r->bad = 1;
    get_id(r, s->closure);
    s->ndefs = get_u32(r);
    if (s->ndefs > PF_FAB_MAX_DEFS)
      r->bad = 1;
    s->defs = r->bad ? NULL : take(r, (size_t)s->ndefs * PF_FAB_ID_SIZE);
    s->values = get_blob(r);
    if (!r->bad && !values_ok(s->values))
      r->bad = 1;
    break;
  }
  case PF_FAB_RESULT: {
    pf_fab_result *res = &m->u.result;
    res->job = get_u64(r);
    res->task = get_u64(r);
    res->outcome = get_u32(r);
    res->position = get_u64(r);
    res->values = get_blob(r);
    if (!r->bad && (res->outcome > PF_FAB_RESULT_PAGES || !values_ok(res->values)))
      r->bad = 1;
    break;
  }
  case PF_FAB_PAGE_REQUEST:
    m->u.page_req.request = get_u64(r);
    get_id(r, m->u.page_req.hash);
    m->u.page_req.offset = get_u64(r);
    m->u.page_req.max_len = get_u32(r);
    break;
  case PF_FAB_PAGE: {
    pf_fab_page *pg = &m->u.page;
    pg->request = get_u64(r);
    get_id(r, pg->hash);
    pg->status = get_u32(r);
    pg->flags = get_u32(r);
    pg->total = get_u64(r);
    pg->offset = get_u64(r);
    pg->rma_addr = get_u64(r);
    pg->rma_key = get_u64(r);
    pg->data = get_blob(r);
    if (!r->bad &&
        (pg->status > PF_FAB_PAGE_MISSING || (pg->flags & ~PF_FAB_PAGE_RMA) ||
         ((pg->flags & PF_FAB_PAGE_RMA) && pg->data.n) || pg->offset > pg->total ||
         pg->data.n > pg->total - pg->offset))
      r->bad = 1;
    break;
  }
  default:
    r->bad = 1;
  }
}

pf_status_t pf_fab_msg_decode(const uint8_t *p, size_t n, pf_fab_msg *m) {
  if (!p || !m || n < PF_FAB_HDR_SIZE)
    return PF_EPROTO;
  memset(m, 0, sizeof *m);
  rd r = {p, n, 0, 0};
  const uint8_t *mg = take(&r, 2);
  uint8_t version = get_u8(&r);
  m->type = get_u8(&r);
  uint32_t plen = get_u32(&r);
  m->sender = get_u32(&r);
  uint32_t reserved = get_u32(&r);
  m->seq = get_u64(&r);
  if (memcmp(mg, magic, 2) != 0 || version != PF_FAB_MSG_VERSION || reserved != 0 ||
      m->type == 0 || m->type >= PF_FAB_MSG_TYPE_END || plen != n - PF_FAB_HDR_SIZE)
    return PF_EPROTO;
  decode_payload(&r, m);
  if (r.bad || r.off != n)
    return PF_EPROTO;
  return PF_OK;
}

int pf_fab_ack_member_next(const pf_fab_join_ack *ack, size_t *off, pf_fab_member *mem) {
  rd r = {ack->member_bytes.p, ack->member_bytes.n, *off, 0};
  if (!r.p || r.off >= r.n)
    return 0;
  get_member(&r, mem);
  if (r.bad)
    return 0;
  *off = r.off;
  return 1;
}

const char *pf_fab_msg_type_name(uint32_t type) {
  static const char *const names[] = {"?",     "JOIN",          "JOIN_ACK", "HEARTBEAT",
                                      "LEAVE", "STEAL_REQUEST", "SUBRANGE", "RESULT",
                                      "PAGE_REQUEST", "PAGE"};
  return type < PF_FAB_MSG_TYPE_END ? names[type] : "?";
}
