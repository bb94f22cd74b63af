/* defcache_int.h — private to core/interp: what program.c, program_run.c and defcache.c share
 * to load definitions once into the shared definition cache (pf_defcache.h). */
#ifndef PF_DEFCACHE_INT_H
#define PF_DEFCACHE_INT_H

#include "interp_int.h"
#include "pf_defcache.h"

/* What one load needs beyond the document. */
typedef struct pf_load_ctx {
  pf_object_resolver resolve; /* "object" definitions; NULL: none allowed */
  void *ctx;
  pf_def_resolver resolve_def; /* "definition_ids"; NULL: none allowed */
  void *def_ctx;
  json_t *owned;       /* id -> fetched definition compiled into this program (owned) */
  pf_defcache *cache;  /* NULL: nothing shared */
  bool unit;           /* building a cache unit: shared definitions are looked up in the
                          cache's table directly (the builder holds the build lock) */
  pf_def **imports;    /* shared definitions this program uses (malloc'd array) */
  uint32_t nimports, capimports;
  uint32_t files_cap;  /* capacity of the program's files array */
} pf_load_ctx;

/* program.c: returns a new empty program (free with pf_program_destroy), or NULL. */
pf_program *pf_program_new(void);
/* program.c: makes the file table of "p" (arena) with room for "cap" names. */
pf_status_t pf_program_files_init(pf_program *p, pf_load_ctx *lc, uint32_t cap) PF_WUR;
/* program.c: adds definition "d" (takes the reference) fetched by id to lc->owned, its "file"
 * name mapped to an index into the files of "p" (added when missing). */
pf_status_t pf_program_add_fetched(pf_program *p, pf_load_ctx *lc, const char *id, json_t *d,
                                   json_t **err_p) PF_WUR;
/* program.c: decodes, scopes and compiles the definitions of lc->owned into "p" and fills
 * their namespaces (no block): a cache unit. Classes are made by pf_program_make_classes. */
pf_status_t pf_program_load_unit(pf_program *p, pf_load_ctx *lc, json_t **err_p) PF_WUR;

/* program_run.c: runs the class bodies of the class definitions of "p" (bases first) and
 * binds the namespace slots that waited for them. PF_EPYEXC with a new exception in *exc_out
 * when a class body raised. */
pf_status_t pf_program_make_classes(pf_program *p, const atomic_int *cancel, size_t depth,
                                    pf_val *exc_out) PF_WUR;

/* defcache.c: the shared definition "id", or NULL; only while holding the build lock. */
pf_def *pf_defcache_find_building(pf_defcache *c, const char *id);
/* The published definition "id" (under the table's lock), or NULL. */
pf_def *pf_defcache_find(pf_defcache *c, const char *id);
/* defcache.c: resolves the ids of "ids" (borrowed; the document's "definition_ids") that are
 * not in "inline_defs" through the cache: shared definitions found or built now are appended
 * to lc->imports; definitions that cannot be shared are added to lc->owned for "p". */
pf_status_t pf_defcache_import(pf_defcache *c, pf_program *p, const json_t *ids,
                               const json_t *inline_defs, pf_load_ctx *lc, json_t **err_p) PF_WUR;
/* defcache.c: counts "n" function or class definitions compiled. */
void pf_defcache_count_compiled(pf_defcache *c, uint64_t n);

#endif
