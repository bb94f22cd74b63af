/* pf_fabric.h — libfabric RDM endpoints between pyforad processes (rdma/ is included only
 * inside fabric/): provider selection by --fabric name, one endpoint per process with its
 * own progress thread (blocked on the completion queue, never spinning) and a dispatch
 * thread that hands each received message, decoded (pf_fabmsg.h), to a callback; pages of
 * large values named by content hash, served from a local table and fetched by tagged
 * messages into a receiver-side cache. */
#ifndef PF_FABRIC_H
#define PF_FABRIC_H

#include <stddef.h>
#include <stdint.h>

#include "pf_fabmsg.h"
#include "pf_status.h"

#define PF_FAB_ADDR_NONE UINT64_MAX     /* an unknown peer (the sender is not in the table) */
#define PF_FAB_MAX_MSG ((size_t)64 << 10) /* largest message; larger values travel as pages */
#define PF_FAB_PAGE_MAX ((size_t)1 << 20) /* largest page */
#define PF_FAB_ADDR_MAX 256               /* longest raw fabric address */

typedef struct pf_fab pf_fab;
typedef uint64_t pf_fab_addr; /* a peer inserted with pf_fab_insert */

/* Called on the endpoint's dispatch thread for every well-formed message; "m" and its
 * byte strings are valid only during the call. "from" is the sender when its address was
 * inserted, else PF_FAB_ADDR_NONE. The callback may send. PAGE_REQUESTs are answered by
 * the endpoint itself and not passed on. */
typedef void (*pf_fab_recv_fn)(void *ctx, const pf_fab_msg *m, pf_fab_addr from);

typedef struct pf_fab_config {
  const char *fabric; /* "tcp" (default when NULL), "verbs" or "shm" */
  const char *node;   /* IPv4 address to bind (tcp/verbs); NULL: the provider's choice */
  pf_fab_recv_fn on_recv;
  void *ctx;
  int no_rma; /* non-zero: pages travel as tagged messages even where FI_RMA exists */
} pf_fab_config;

/* Maps a --fabric name to the libfabric provider string: "tcp" → "tcp;ofi_rxm", "verbs" →
 * "verbs;ofi_rxm", "shm" → "shm". PF_EINVAL for any other name (NULL means "tcp"). */
pf_status_t pf_fab_provider_name(const char *fabric, const char **prov_p) PF_WUR;

/* Looks for provider "want" among the "n" names of "offered" (exact match). Returns PF_OK
 * with *index_p set, or PF_ENOENT with a message in "err" that names "want" and lists every
 * offered name once, in order. */
pf_status_t pf_fab_pick(const char *want, const char *const *offered, size_t n, size_t *index_p,
                        char *err, size_t err_len) PF_WUR;

/* Writes the distinct RDM providers fi_getinfo offers on this machine, comma-separated,
 * into "buf" ("none" when it offers none). */
void pf_fab_offered(char *buf, size_t len);

/* Opens an RDM endpoint on the provider "cfg->fabric" names and starts its progress and
 * dispatch threads. Returns new endpoint in *fab_p; free with pf_fab_close. On failure
 * writes the reason into "err": a missing provider lists what fi_getinfo offers. */
pf_status_t pf_fab_open(const pf_fab_config *cfg, pf_fab **fab_p, char *err,
                        size_t err_len) PF_WUR;

/* Stops the threads (a callback in progress finishes first), closes the endpoint and frees
 * "fab"; NULL is a no-op. Must not be called from the callback. */
void pf_fab_close(pf_fab *fab);

/* Returns the provider string "fab" runs on ("tcp;ofi_rxm" …), borrowed. */
const char *pf_fab_provider(const pf_fab *fab);

/* Non-zero when pages are served for RMA reads (the provider offers FI_RMA and the config
 * did not switch it off). */
int pf_fab_has_rma(const pf_fab *fab);

/* Copies the raw address of "fab" into "buf" ("cap" bytes) and its length into *len_p.
 * PF_ERANGE when "cap" is too small. */
pf_status_t pf_fab_getname(const pf_fab *fab, uint8_t *buf, size_t cap, size_t *len_p) PF_WUR;

/* Writes a printable form of the raw address "addr" ("len" bytes) into "buf" (the
 * provider's text form, for instance "fi_sockaddr_in://127.0.0.1:40123"). */
void pf_fab_addr_str(const pf_fab *fab, const uint8_t *addr, size_t len, char *buf, size_t cap);

/* Inserts the raw peer address "addr" ("len" bytes) and returns its handle in *peer_p.
 * Inserting an address twice gives two handles that both work. */
pf_status_t pf_fab_insert(pf_fab *fab, const uint8_t *addr, size_t len,
                          pf_fab_addr *peer_p) PF_WUR;

/* Encodes "m" (borrowed) and sends it to "peer"; the bytes are copied, so "m" may be
 * reused at once. Retries while the provider's queue is full, at most "timeout_s" seconds
 * (PF_ETIMEDOUT). PF_ERANGE when the encoding exceeds PF_FAB_MAX_MSG. Thread-safe. */
pf_status_t pf_fab_send(pf_fab *fab, pf_fab_addr peer, const pf_fab_msg *m,
                        double timeout_s) PF_WUR;

/* Counters of "fab" since it was opened. */
typedef struct pf_fab_stats {
  uint64_t sent, received, bytes_sent, bytes_received, malformed, pages_served,
      pages_fetched, pages_fetched_rma, page_cache_hits;
} pf_fab_stats;
pf_fab_stats pf_fab_get_stats(pf_fab *fab);

/* ---------------------------------------------------------------- pages */

/* Computes the name of a page: XXH3-128 of its "len" bytes, little-endian. */
void pf_fab_page_hash(const void *data, size_t len, uint8_t hash[PF_FAB_ID_SIZE]);

/* Publishes the "len" bytes at "data" (copied) as a page that peers may fetch, under its
 * content hash, written to "hash"; registered for remote reads where the endpoint serves
 * RMA. PF_ERANGE past PF_FAB_PAGE_MAX. Publishing the same bytes twice keeps one copy. */
pf_status_t pf_fab_page_publish(pf_fab *fab, const void *data, size_t len,
                                uint8_t hash[PF_FAB_ID_SIZE]) PF_WUR;

/* Returns the bytes of page "hash": from this endpoint's cache or published pages when
 * present, else fetched from "peer" (a PAGE_REQUEST answered by a tagged PAGE message that
 * holds the bytes, or where to read them with an RMA read), checked against "hash" and
 * cached. *data_p is borrowed from the cache and lives until
 * pf_fab_close. PF_ENOENT when "peer" has no such page, PF_EPROTO when the bytes do not
 * match their name, PF_ETIMEDOUT after "timeout_s" seconds. Must not be called from the
 * callback (the answer arrives on the dispatch thread's endpoint). */
pf_status_t pf_fab_page_get(pf_fab *fab, pf_fab_addr peer, const uint8_t hash[PF_FAB_ID_SIZE],
                            double timeout_s, const uint8_t **data_p, size_t *len_p) PF_WUR;

#endif
