/* pf_store.h — the object store: values computed by the daemon, by id ("o12"), kept until
 * released. Values are immutable and refcounted (core/value); the store holds one reference
 * to each, plus one reference to the value's owner (what must outlive the value, e.g. the
 * program whose functions and classes it refers to). Thread-safe. */
#ifndef PF_STORE_H
#define PF_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_status.h"
#include "pf_value.h"

/* A refcounted owner that values may depend on. "destroy" runs when the last reference goes. */
typedef struct pf_store_owner {
  atomic_long refs;
  void (*destroy)(struct pf_store_owner *o);
} pf_store_owner;

/* Adds a reference to "o" (NULL: no-op); returns "o". */
pf_store_owner *pf_store_owner_retain(pf_store_owner *o);
/* Drops a reference to "o" (NULL: no-op); the last one calls o->destroy(o). */
void pf_store_owner_release(pf_store_owner *o);

typedef struct pf_store pf_store;

/* Returns a new empty store in *store_p (free with pf_store_destroy). */
pf_status_t pf_store_create(pf_store **store_p) PF_WUR;
/* Releases every object and frees "s"; NULL is a no-op. */
void pf_store_destroy(pf_store *s);

/* Stores "v" under a new id written to "id_buf" ("oN", at least 24 bytes). Takes the caller's
 * reference to "v" and retains "owner" (may be NULL) for as long as the object lives.
 * "session" tags the object for pf_store_release_session (0: no session). On failure the
 * reference to "v" is dropped and nothing is stored. */
pf_status_t pf_store_put(pf_store *s, pf_val v, pf_store_owner *owner, uint64_t session,
                         char *id_buf, size_t id_len) PF_WUR;

/* Releases every object tagged with "session" (non-zero); returns how many. */
size_t pf_store_release_session(pf_store *s, uint64_t session);

/* Looks "id" up. On PF_OK *v_p is a new reference to the value and, when "owner_p" is not
 * NULL, *owner_p a new reference to its owner (may be NULL; release with
 * pf_store_owner_release). PF_ENOENT for an unknown or malformed id. */
pf_status_t pf_store_get(pf_store *s, const char *id, pf_val *v_p,
                         pf_store_owner **owner_p) PF_WUR;

/* Removes "id" from the store (computations still using the value keep it alive through
 * their own references). PF_ENOENT for an unknown id. */
pf_status_t pf_store_release(pf_store *s, const char *id) PF_WUR;

/* Number of objects stored now. */
size_t pf_store_count(pf_store *s);

#endif
