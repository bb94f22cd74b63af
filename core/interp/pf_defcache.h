/* pf_defcache.h — the shared definition cache: content-addressed definitions (docs/ir.md,
 * "definition_ids") decoded, validated, scoped and compiled once, their function and class
 * objects and globals namespaces shared read-only by every program that lists them, on any
 * thread. Entries live as long as the cache (the daemon's life); past "max_defs" entries new
 * definitions are compiled into each program that uses them, as without a cache. */
#ifndef PF_DEFCACHE_H
#define PF_DEFCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pf_interp.h"

typedef struct pf_defcache pf_defcache;

/* Counters of a cache. */
typedef struct pf_defcache_stats {
  uint64_t compiled; /* function and class definitions compiled, shared or per program */
  uint64_t shared;   /* definitions held compiled in the cache */
  uint64_t hits;     /* ids of "definition_ids" served compiled from the cache */
  uint64_t units;    /* groups built (one per load that added definitions) */
} pf_defcache_stats;

/* Returns a new empty cache holding at most "max_defs" definitions (0: a default of 65,536)
 * in *cache_p (free with pf_defcache_destroy). */
pf_status_t pf_defcache_create(size_t max_defs, pf_defcache **cache_p) PF_WUR;

/* Frees the cache and every shared definition; NULL is a no-op. Every program loaded with it
 * must have been destroyed first. */
void pf_defcache_destroy(pf_defcache *c);

/* Copies the counters of "c" (borrowed) into *out. Thread-safe. */
void pf_defcache_stats_get(pf_defcache *c, pf_defcache_stats *out);

/* As pf_program_load_ex2, with the ids of "definition_ids" served by "cache" (borrowed; NULL:
 * none): a definition already compiled there is used without being fetched or compiled; one
 * not yet there is fetched through "resolve_def", compiled once (its class bodies run once)
 * and added, with the definitions it refers to, when every definition it reaches is listed
 * by id and is not an "object" definition. The program refers to the cache's code: destroy
 * it before the cache. Thread-safe for concurrent loads. */
pf_status_t pf_program_load_cached(const json_t *doc, pf_object_resolver resolve, void *ctx,
                                   pf_def_resolver resolve_def, void *def_ctx,
                                   pf_defcache *cache, pf_program **prog_p,
                                   json_t **err_p) PF_WUR;

#endif
