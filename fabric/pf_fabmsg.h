/* pf_fabmsg.h — the messages pyforad processes send each other over the fabric: a versioned
 * 24-byte header and one payload per type, with encoders and strict decoders (docs/cluster.md,
 * "Messages"). Pure data: no libfabric here, so the encoding is tested without a network. */
#ifndef PF_FABMSG_H
#define PF_FABMSG_H

#include <stddef.h>
#include <stdint.h>

#include "pf_codec.h"
#include "pf_sched.h"
#include "pf_status.h"

#define PF_FAB_MSG_VERSION 1u
#define PF_FAB_HDR_SIZE 24u
#define PF_FAB_ID_SIZE 16u       /* closure/definition ids (BLAKE2b-128) and page names */
#define PF_FAB_MAX_STR 4096u     /* longest token, address or host name in a message */
#define PF_FAB_MAX_DEFS 65536u   /* most definition ids in one SUBRANGE */
#define PF_FAB_MAX_MEMBERS 4096u /* most machines in one JOIN_ACK */

typedef enum pf_fab_msg_type {
  PF_FAB_JOIN = 1,      /* worker → coordinator: token, fabric address, topology summary */
  PF_FAB_JOIN_ACK,      /* coordinator → worker: verdict, id, timings, member list */
  PF_FAB_HEARTBEAT,     /* both ways, every heartbeat interval */
  PF_FAB_LEAVE,         /* clean departure (worker stopping, or coordinator shutting down) */
  PF_FAB_STEAL_REQUEST, /* an idle machine asks for work */
  PF_FAB_SUBRANGE,      /* an answer to a steal: a subrange with what its closure needs */
  PF_FAB_RESULT,        /* the folded result of a subrange, back to its owner */
  PF_FAB_PAGE_REQUEST,  /* ask for a page by content hash */
  PF_FAB_PAGE,          /* a page's bytes (or where to RMA-read them) */
  PF_FAB_MSG_TYPE_END
} pf_fab_msg_type;

/* JOIN_ACK verdicts. */
enum { PF_FAB_JOIN_OK = 0, PF_FAB_JOIN_BAD_TOKEN = 1, PF_FAB_JOIN_REFUSED = 2 };
/* Member states in a JOIN_ACK (and /v1/cluster). */
enum { PF_FAB_MEMBER_ALIVE = 0, PF_FAB_MEMBER_DEAD = 1, PF_FAB_MEMBER_LEFT = 2 };
/* RESULT outcomes. */
enum {
  PF_FAB_RESULT_VALUE = 0,
  PF_FAB_RESULT_EXCEPTION = 1,
  PF_FAB_RESULT_CANCELLED = 2,
  PF_FAB_RESULT_PAGES = 3 /* the value is in pages: "values" is the list of their names */
};
/* PAGE outcomes and flags. */
enum { PF_FAB_PAGE_OK = 0, PF_FAB_PAGE_MISSING = 1 };
#define PF_FAB_PAGE_RMA 1u /* no bytes inline: read them at rma_addr with rma_key */

/* A byte string inside a decoded message: borrowed from the message buffer. */
typedef struct pf_fab_bytes {
  const uint8_t *p;
  size_t n;
} pf_fab_bytes;

typedef struct pf_fab_join {
  pf_fab_bytes token, addr, host; /* addr: the sender's raw fabric address */
  uint32_t cores, numa_nodes, threads, http_port;
} pf_fab_join;

typedef struct pf_fab_member {
  uint32_t id, state, threads;
  pf_fab_bytes host, addr;
} pf_fab_member;

typedef struct pf_fab_join_ack {
  uint32_t status, id, heartbeat_ms, dead_ms;
  pf_fab_bytes reason, addr; /* addr: the coordinator's raw fabric address */
  uint32_t nmembers;
  const pf_fab_member *members; /* encode: nmembers entries; decode: NULL, use the iterator */
  pf_fab_bytes member_bytes;    /* decode: the validated member list */
} pf_fab_join_ack;

typedef struct pf_fab_heartbeat {
  uint32_t busy, threads;
  uint64_t work, time_ms;
} pf_fab_heartbeat;

typedef struct pf_fab_leave {
  uint32_t reason;
} pf_fab_leave;

typedef struct pf_fab_steal {
  uint64_t job;
  uint32_t idle;
} pf_fab_steal;

typedef struct pf_fab_subrange {
  uint64_t job, task;
  pf_subrange sr;                     /* the 64-byte record of core/sched */
  uint8_t closure[PF_FAB_ID_SIZE];    /* the closure's definition id */
  uint32_t ndefs;                     /* definitions the receiver may lack */
  const uint8_t *defs;                /* ndefs * PF_FAB_ID_SIZE bytes */
  pf_fab_bytes values;                /* the closure's values, pf_bin_encode'd ("PFB1"…) or empty */
} pf_fab_subrange;

typedef struct pf_fab_result {
  uint64_t job, task;
  uint32_t outcome;  /* PF_FAB_RESULT_* */
  uint64_t position; /* for an exception: its position in Python order */
  pf_fab_bytes values;
} pf_fab_result;

typedef struct pf_fab_page_req {
  uint64_t request;
  uint8_t hash[PF_FAB_ID_SIZE];
  uint64_t offset;
  uint32_t max_len;
} pf_fab_page_req;

typedef struct pf_fab_page {
  uint64_t request;
  uint8_t hash[PF_FAB_ID_SIZE];
  uint32_t status, flags;
  uint64_t total, offset;
  uint64_t rma_addr, rma_key; /* with PF_FAB_PAGE_RMA */
  pf_fab_bytes data;
} pf_fab_page;

/* One decoded (or to-be-encoded) message. */
typedef struct pf_fab_msg {
  uint32_t type;   /* pf_fab_msg_type */
  uint32_t sender; /* the sender's member id (0: the coordinator, or not yet assigned) */
  uint64_t seq;    /* per-sender sequence number */
  union {
    pf_fab_join join;
    pf_fab_join_ack ack;
    pf_fab_heartbeat hb;
    pf_fab_leave leave;
    pf_fab_steal steal;
    pf_fab_subrange sub;
    pf_fab_result result;
    pf_fab_page_req page_req;
    pf_fab_page page;
  } u;
} pf_fab_msg;

/* Appends the header and payload of "m" (borrowed) to "out". PF_EINVAL for an unknown type,
 * a string longer than PF_FAB_MAX_STR, too many members or definitions, or values that are
 * not a binary-codec document; PF_ENOMEM when out of memory. */
pf_status_t pf_fab_msg_encode(const pf_fab_msg *m, pf_buf *out) PF_WUR;

/* Decodes the "n" bytes at "p" into *m; byte strings in *m borrow from "p". PF_EPROTO on
 * anything malformed: short or long buffer, bad magic or version, unknown type, lengths past
 * the end or over the limits, a bad subrange record, trailing bytes. */
pf_status_t pf_fab_msg_decode(const uint8_t *p, size_t n, pf_fab_msg *m) PF_WUR;

/* Iterates the members of a decoded JOIN_ACK: start with *off = 0; returns 1 with *mem
 * filled (strings borrowed), 0 at the end. */
int pf_fab_ack_member_next(const pf_fab_join_ack *ack, size_t *off, pf_fab_member *mem);

/* Returns a static name for message type "type" ("JOIN" …), "?" when unknown. */
const char *pf_fab_msg_type_name(uint32_t type);

#endif
