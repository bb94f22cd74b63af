/* compile_int.h — private to the compiler files of core/interp. */
#ifndef PF_COMPILE_INT_H
#define PF_COMPILE_INT_H

#include "interp_int.h"

typedef struct loop_ctx {
  uint32_t cont;
  uint32_t brk[256];
  uint32_t nbrk;
  int nfin;
} loop_ctx;

typedef struct cc {
  pf_program *p;
  json_t **err_p;
  const char *file;
  pf_scope *sc;
  pf_ns *globals;
  pf_status_t st;
  int line;
  pf_ins *ins;
  int32_t *lines;
  uint32_t nins, capins, caplines;
  pf_val *consts;
  uint32_t nconsts, capconsts;
  pf_val **gslots;
  const char **gnames;
  pf_val *gbuiltin;
  uint32_t ngslots, capg, capgn, capgb;
  pf_code **children;
  uint32_t nchildren, capchildren;
  pf_exc_entry *exc;
  uint32_t nexc, capexc;
  int top, nregs, nlocals;
  uint8_t *bound; /* per local register: definitely assigned here */
  loop_ctx loops[64];
  int nloops;
  pf_nlist *fin[32];
  int nfin;
  int cur_exc; /* register of the exception being handled, or -1 */
} cc;

enum { NR_LOCAL, NR_CELL, NR_GLOBAL };
typedef struct name_ref {
  int kind, idx;
} name_ref;

pf_status_t cc_fail(cc *c, int line, const char *type, const char *msg);
uint32_t cc_emit(cc *c, int op, int a, int b, int c3);
void cc_patch(cc *c, uint32_t at, uint32_t target);
uint32_t cc_jump(cc *c, int op, int a);
int cc_tmp(cc *c);
int cc_const(cc *c, pf_val v);
int cc_str_const(cc *c, const char *s);
int cc_gslot(cc *c, const char *name);
name_ref cc_name(cc *c, const char *name);
void cc_store_name(cc *c, const char *name, int src);
void cc_store_target(cc *c, pf_node *t, int src);
void cc_stmts(cc *c, pf_nlist *l);
/* expressions (compile_expr.c) */
void cc_expr_to(cc *c, pf_node *n, int dst);
int cc_expr_any(cc *c, pf_node *n);
bool cc_expr_is_safe_direct(pf_node *n);
/* Emits a jump taken when "n" is truthy == "when"; returns its index (to patch) or
 * UINT32_MAX when no jump was needed. */
uint32_t cc_cond_jump(cc *c, pf_node *n, bool when);
void cc_make_func(cc *c, pf_node *n, int dst);
void cc_make_class(cc *c, pf_node *n, int dst);

#endif
