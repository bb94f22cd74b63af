/* migrate_int.h — private to core/rt/migrate.c and pages.c: the migration state, and the
 * pages that carry programs, descriptions, stored objects and large results. */
#ifndef PF_MIGRATE_INT_H
#define PF_MIGRATE_INT_H

#include <stdbool.h>

#include "pf_cluster.h"
#include "pf_codec.h"
#include "pf_fabric.h"
#include "pf_par_remote.h"
#include "rt_int.h"

#define MIG_TIMEOUT_S 30.0     /* a page fetch */
#define MIG_SEND_TIMEOUT_S 1.0 /* a message (small): longer means the machine is unreachable */
#define MIG_UNREACHABLE_S 5.0  /* then messages to it are dropped for this long */
#define MIG_MAX_PROGS 8        /* programs loaded for received descriptions, kept for reuse */
#define MIG_SENT_FOLDS 16      /* descriptions published, by fold */
#define MIG_INLINE_MAX 60000u  /* larger results travel as pages */
#define MIG_IDLE_RESEND_S 1.0  /* an idle worker repeats its request this often */
#define MIG_MAX_WANT 4096

enum { STEAL_IDLE = 0, STEAL_GIVE_BACK = 1, STEAL_STOP = 2 };
#define SUB_CALL 1u /* pf_subrange.flags of a SUBRANGE that carries a forked call */
enum { MI_SUBRANGE, MI_RESULT };

/* A received message for the thread (copied out of the fabric's buffer). */
typedef struct mig_item {
  struct mig_item *next;
  int kind;
  uint32_t from;
  uint64_t part;
  pf_subrange sr;
  uint8_t closure[PF_FAB_ID_SIZE];
  uint8_t *hashes; /* nhashes * PF_FAB_ID_SIZE */
  uint32_t nhashes;
  uint8_t *values;
  size_t nvalues;
  uint32_t outcome;
  uint64_t position;
} mig_item;

/* A message waiting for the thread to send it (byte strings owned). "part": a SUBRANGE's,
 * recomputed here when it cannot be sent. */
typedef struct mig_out {
  struct mig_out *next;
  uint32_t to;
  pf_fab_msg m;
  uint8_t *defs, *values;
} mig_out;

/* A program loaded for one received description. */
typedef struct mig_prog {
  struct mig_prog *next;
  uint8_t key[PF_FAB_ID_SIZE];
  pf_program *prog;
  pf_par_remote *rm;
  unsigned running;
  double last_used;
} mig_prog;

/* A received part running as a job of the pool. */
typedef struct mig_run {
  struct mig_run *next;
  struct pf_migrate *mg;
  mig_prog *mp;
  pf_job *job;
  uint32_t from;
  uint64_t part;
  pf_subrange sr;
  atomic_int done;
  atomic_int stop; /* a call: its owner no longer wants it */
} mig_run;

/* The pages of a description this machine published, by fold. */
typedef struct mig_sent {
  uint64_t fold_key;
  uint8_t closure[PF_FAB_ID_SIZE];
  uint8_t *hashes;
  uint32_t n;
} mig_sent;

/* The pages of a program's blob (on its holder; pf_prog_holder.ship). */
struct pf_ship {
  int state; /* 0: not made yet, 1: published, -1: cannot go (it uses stored objects) */
  uint8_t *hashes;
  uint32_t n;
};

struct pf_migrate {
  pf_rt *rt;
  pf_cluster *cl; /* NULL once detached */
  int coordinator;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t th;
  int started, stop;
  mig_item *head, *tail;
  mig_out *out_head, *out_tail;
  double unreachable[MIG_MAX_WANT]; /* until when messages to a machine are dropped */
  /* coordinator */
  uint32_t want[MIG_MAX_WANT];
  unsigned nwant;
  mig_sent sent[MIG_SENT_FOLDS];
  unsigned sent_next;
  /* worker */
  mig_prog *progs;
  mig_run *runs;
  double last_request;
  int requested; /* a request went out since the last part ended */
  /* counters (under mu) */
  uint64_t steal_requests, subrange_msgs, subrange_bytes, page_bytes_published,
      results_sent, result_bytes, results_received, result_bytes_received, programs_loaded,
      descriptions_loaded, refused, defs_fetched;
};

/* Stored objects the program names, from the pages its blob lists. */
typedef struct mig_obj_ctx {
  pf_cluster *cl;
  uint32_t from;
  const json_t *objects;
} mig_obj_ctx;

typedef struct mig_page_ctx {
  pf_migrate *mg;
  pf_cluster *cl;
  uint32_t from;
} mig_page_ctx;

/* pages.c */
pf_status_t mig_publish_chunks(pf_migrate *mg, pf_cluster *cl, const uint8_t *data, size_t len,
                               uint8_t **hashes_p, uint32_t *n_p);
pf_status_t mig_fetch_chunks(pf_cluster *cl, uint32_t from, const uint8_t *hashes, uint32_t n,
                             uint8_t **out, size_t *len_p);
json_t *mig_publish_hex(pf_migrate *mg, pf_cluster *cl, const uint8_t *data, size_t len);
pf_status_t mig_fetch_hex(pf_cluster *cl, uint32_t from, const char *hex, uint8_t **out,
                          size_t *len_p);
int mig_ship_program(pf_migrate *mg, pf_cluster *cl, pf_prog_holder *h);
pf_status_t mig_ship_desc(pf_migrate *mg, pf_cluster *cl, uint64_t key, pf_val desc,
                          uint8_t closure[PF_FAB_ID_SIZE], uint8_t **hashes_p, uint32_t *n_p);
pf_val mig_publish_leaf(void *ctx, pf_val data);
pf_val mig_fetch_leaf(void *ctx, pf_val names);
pf_val mig_fetch_big(pf_cluster *cl, uint32_t from, pf_val desc);
pf_status_t mig_fetch_object(void *ctx, const char *id, pf_val *out);

#endif
