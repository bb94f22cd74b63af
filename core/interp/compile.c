/* compile.c — scoped AST → register bytecode: code objects, constants, global slots,
 * line table and exception table. Statements here; expressions in compile_expr.c. */
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"


pf_status_t cc_fail(cc *c, int line, const char *type, const char *msg) {
  if (c->st == PF_OK)
    c->st = pf_lerr_set(c->err_p, type, c->file, line, "%s", msg);
  return c->st;
}

static bool grow(cc *c, void **p, uint32_t *cap, uint32_t need, size_t sz) {
  if (need <= *cap)
    return true;
  uint32_t nc = *cap ? *cap * 2 : 32;
  while (nc < need)
    nc *= 2;
  void *n = realloc(*p, (size_t)nc * sz);
  if (!n) {
    c->st = PF_ENOMEM;
    return false;
  }
  *p = n;
  *cap = nc;
  return true;
}

uint32_t cc_emit(cc *c, int op, int a, int b, int cc3) {
  if (c->st != PF_OK || !grow(c, (void **)&c->ins, &c->capins, c->nins + 1, sizeof(pf_ins)) ||
      !grow(c, (void **)&c->lines, &c->caplines, c->nins + 1, sizeof(int32_t)))
    return 0;
  c->ins[c->nins] = (pf_ins){(uint16_t)op, (uint16_t)a, (uint16_t)b, (uint16_t)cc3};
  c->lines[c->nins] = c->line;
  return c->nins++;
}

void cc_patch(cc *c, uint32_t at, uint32_t target) {
  if (c->st != PF_OK)
    return;
  c->ins[at].b = (uint16_t)(target >> 16);
  c->ins[at].c = (uint16_t)(target & 0xffff);
}

uint32_t cc_jump(cc *c, int op, int a) { return cc_emit(c, op, a, 0, 0); }

int cc_tmp(cc *c) {
  int r = c->top++;
  if (c->top > c->nregs)
    c->nregs = c->top;
  if (c->top >= 65000)
    cc_fail(c, c->line, "PythonToForaConversionError", "function too large (register limit)");
  return r;
}

int cc_const(cc *c, pf_val v) {
  for (uint32_t i = 0; i < c->nconsts; i++)
    if (c->consts[i].tag == v.tag && c->consts[i].u.i == v.u.i)
      return (int)i;
  if (!grow(c, (void **)&c->consts, &c->capconsts, c->nconsts + 1, sizeof(pf_val)))
    return 0;
  c->consts[c->nconsts] = pf_incref(v);
  return (int)c->nconsts++;
}

int cc_str_const(cc *c, const char *s) {
  for (uint32_t i = 0; i < c->nconsts; i++)
    if (pf_is_type(c->consts[i], &pf_type_str) && !strcmp(pf_str_utf8(c->consts[i], NULL), s))
      return (int)i;
  pf_val v;
  pf_err e;
  if (pf_str_from_cstr(s, &v, &e) != PF_OK) {
    c->st = PF_ENOMEM;
    return 0;
  }
  int k = cc_const(c, v);
  pf_decref(v);
  return k;
}

int cc_gslot(cc *c, const char *name) {
  for (uint32_t i = 0; i < c->ngslots; i++)
    if (!strcmp(c->gnames[i], name))
      return (int)i;
  pf_val *slot = pf_ns_slot(c->globals, name, true);
  if (!slot || !grow(c, (void **)&c->gslots, &c->capg, c->ngslots + 1, sizeof(pf_val *)) ||
      !grow(c, (void **)&c->gnames, &c->capgn, c->ngslots + 1, sizeof(char *)) ||
      !grow(c, (void **)&c->gbuiltin, &c->capgb, c->ngslots + 1, sizeof(pf_val))) {
    c->st = PF_ENOMEM;
    return 0;
  }
  c->gslots[c->ngslots] = slot;
  c->gnames[c->ngslots] = name;
  pf_bi_id b = pf_builtin_by_name(name);
  c->gbuiltin[c->ngslots] = pf_unbound();
  if (b != BI_COUNT)
    c->gbuiltin[c->ngslots] = pf_obj_val(&pf_builtin_get(b)->h);
  else if (!strcmp(name, "True") || !strcmp(name, "False") || !strcmp(name, "None"))
    c->gbuiltin[c->ngslots] = !strcmp(name, "None") ? pf_none() : pf_bool(name[0] == 'T');
  else {
    pf_exc_kind k = pf_exc_by_name(name);
    if (k != PF_EXC_NONE && c->p->exc_classes[k])
      c->gbuiltin[c->ngslots] = pf_obj_val(&c->p->exc_classes[k]->h);
  }
  return (int)c->ngslots++;
}

/* ---------------------------------------------------------------- names */

name_ref cc_name(cc *c, const char *name) {
  pf_sym *y = pf_scope_find(c->sc, name);
  name_ref r = {NR_GLOBAL, 0};
  if (!y || (y->flags & SYM_GLOBAL)) {
    r.idx = cc_gslot(c, name);
    return r;
  }
  if (y->flags & (SYM_CELL | SYM_FREE)) {
    r.kind = NR_CELL;
    r.idx = y->idx;
    return r;
  }
  r.kind = NR_LOCAL;
  r.idx = y->idx;
  return r;
}

void cc_store_name(cc *c, const char *name, int src) {
  name_ref r = cc_name(c, name);
  if (r.kind == NR_LOCAL) {
    if (r.idx != src)
      cc_emit(c, OP_MOVE, r.idx, src, 0);
    c->bound[r.idx] = 1;
  } else if (r.kind == NR_CELL)
    cc_emit(c, OP_STORE_DEREF, r.idx, src, 0);
  else
    cc_emit(c, OP_STORE_GLOBAL, r.idx, src, 0);
}

static void store_target(cc *c, pf_node *t, int src);

static void unpack(cc *c, pf_node *t, int src) {
  uint32_t n = t->l1.n, star = UINT32_MAX;
  for (uint32_t i = 0; i < n; i++)
    if (t->l1.v[i]->t == N_Starred) {
      if (star != UINT32_MAX) {
        cc_fail(c, t->line, "InvalidRequest", "multiple starred expressions in assignment");
        return;
      }
      star = i;
    }
  int save = c->top;
  int base = c->top;
  for (uint32_t i = 0; i < n; i++)
    cc_tmp(c);
  if (star == UINT32_MAX)
    cc_emit(c, OP_UNPACK, base, src, (int)n);
  else {
    cc_emit(c, OP_UNPACK_EX, base, src, (int)n);
    cc_emit(c, OP_EXT, (int)star, 0, 0);
  }
  for (uint32_t i = 0; i < n; i++) {
    pf_node *e = t->l1.v[i];
    store_target(c, e->t == N_Starred ? e->a : e, base + (int)i);
  }
  c->top = save;
}

static bool in_init_self(cc *c, pf_node *t) {
  pf_scope *s = c->sc;
  if (s->kind != SC_FUNC || !s->node || s->node->t != N_FunctionDef || strcmp(s->node->s, "__init__"))
    return false;
  pf_node *args = s->node->a;
  pf_node *first = args->l1.n ? args->l1.v[0] : args->l2.n ? args->l2.v[0] : NULL;
  return first && t->a->t == N_Name && !strcmp(t->a->s, first->s);
}

static void store_target(cc *c, pf_node *t, int src) {
  switch (t->t) {
  case N_Name:
    cc_store_name(c, t->s, src);
    return;
  case N_Tuple:
  case N_List:
    unpack(c, t, src);
    return;
  case N_Subscript:
    cc_fail(c, t->line, "PythonToForaConversionError",
            "assignment to a subscript (x[i] = ...) is not allowed in pyfora code");
    return;
  case N_Attribute: {
    if (!in_init_self(c, t)) {
      cc_fail(c, t->line, "PythonToForaConversionError",
              "assignment to an attribute is only allowed as self.x = ... in __init__ in pyfora code");
      return;
    }
    int save = c->top;
    int o = cc_expr_any(c, t->a);
    cc_emit(c, OP_STORE_ATTR, o, cc_str_const(c, t->s), src);
    c->top = save;
    return;
  }
  default:
    cc_fail(c, t->line, "InvalidRequest", "invalid assignment target");
  }
}

void cc_store_target(cc *c, pf_node *t, int src) { store_target(c, t, src); }

/* ---------------------------------------------------------------- statements */

static void stmts(cc *c, pf_nlist *l);

static void inline_finally(cc *c, int down_to) {
  int saved = c->nfin;
  for (int i = c->nfin - 1; i >= down_to; i--) {
    c->nfin = i;
    stmts(c, c->fin[i]);
  }
  c->nfin = saved;
}

static void s_return(cc *c, pf_node *n) {
  int save = c->top;
  int r;
  if (n->a)
    r = cc_expr_any(c, n->a);
  else {
    r = cc_tmp(c);
    cc_emit(c, OP_LOADK, r, cc_const(c, pf_none()), 0);
  }
  if (c->nfin) {
    int t = cc_tmp(c);
    cc_emit(c, OP_MOVE, t, r, 0);
    inline_finally(c, 0);
    r = t;
  }
  cc_emit(c, OP_RETURN, r, 0, 0);
  c->top = save;
}

static void loop_jump(cc *c, pf_node *n, bool brk) {
  if (c->nloops == 0) {
    cc_fail(c, n->line, "InvalidRequest", brk ? "'break' outside loop" : "'continue' not properly in loop");
    return;
  }
  loop_ctx *L = &c->loops[c->nloops - 1];
  inline_finally(c, L->nfin);
  if (brk) {
    uint32_t j = cc_jump(c, OP_JMP, 0);
    if (L->nbrk < 256)
      L->brk[L->nbrk++] = j;
    else
      cc_fail(c, n->line, "PythonToForaConversionError", "too many breaks in one loop");
  } else {
    uint32_t j = cc_jump(c, OP_LOOP, 0);
    cc_patch(c, j, L->cont);
  }
}

static void body_block(cc *c, pf_nlist *l) {
  /* names bound inside a nested block are not definitely bound after it */
  uint8_t *saved = malloc(c->nlocals + 1);
  if (!saved) {
    c->st = PF_ENOMEM;
    return;
  }
  memcpy(saved, c->bound, c->nlocals);
  stmts(c, l);
  memcpy(c->bound, saved, c->nlocals);
  free(saved);
}

static void s_while(cc *c, pf_node *n) {
  uint32_t top = c->nins;
  int save = c->top;
  uint32_t jexit = cc_cond_jump(c, n->a, false);
  c->top = save;
  if (c->nloops >= 64) {
    cc_fail(c, n->line, "PythonToForaConversionError", "loops nested too deeply");
    return;
  }
  loop_ctx *L = &c->loops[c->nloops++];
  L->cont = top;
  L->nbrk = 0;
  L->nfin = c->nfin;
  body_block(c, &n->l1);
  uint32_t j = cc_jump(c, OP_LOOP, 0);
  cc_patch(c, j, top);
  c->nloops--;
  if (jexit != UINT32_MAX)
    cc_patch(c, jexit, c->nins);
  body_block(c, &n->l2);
  for (uint32_t i = 0; i < L->nbrk; i++)
    cc_patch(c, L->brk[i], c->nins);
}

static void s_for(cc *c, pf_node *n) {
  int save = c->top;
  int it = cc_tmp(c);
  int src = cc_expr_any(c, n->b);
  cc_emit(c, OP_GET_ITER, it, src, 0);
  c->top = it + 1;
  int dst;
  bool direct = n->a->t == N_Name && cc_name(c, n->a->s).kind == NR_LOCAL;
  dst = direct ? cc_name(c, n->a->s).idx : cc_tmp(c);
  uint32_t top = cc_emit(c, OP_FOR_ITER, it, dst, 0);
  uint32_t ext = cc_emit(c, OP_EXT, 0, 0, 0);
  if (!direct)
    store_target(c, n->a, dst);
  if (c->nloops >= 64) {
    cc_fail(c, n->line, "PythonToForaConversionError", "loops nested too deeply");
    return;
  }
  loop_ctx *L = &c->loops[c->nloops++];
  L->cont = top;
  L->nbrk = 0;
  L->nfin = c->nfin;
  uint8_t *bound = c->bound;
  if (direct)
    bound[dst] = 1;
  body_block(c, &n->l1);
  if (direct)
    bound[dst] = 0;
  uint32_t j = cc_jump(c, OP_LOOP, 0);
  cc_patch(c, j, top);
  c->nloops--;
  cc_patch(c, ext, c->nins);
  body_block(c, &n->l2);
  for (uint32_t i = 0; i < L->nbrk; i++)
    cc_patch(c, L->brk[i], c->nins);
  c->top = save;
}

static void s_if(cc *c, pf_node *n) {
  int save = c->top;
  uint32_t jelse = cc_cond_jump(c, n->a, false);
  c->top = save;
  body_block(c, &n->l1);
  if (n->l2.n) {
    uint32_t jend = cc_jump(c, OP_JMP, 0);
    if (jelse != UINT32_MAX)
      cc_patch(c, jelse, c->nins);
    body_block(c, &n->l2);
    cc_patch(c, jend, c->nins);
  } else if (jelse != UINT32_MAX)
    cc_patch(c, jelse, c->nins);
}

static void add_exc(cc *c, uint32_t start, uint32_t end, uint32_t handler, int reg) {
  if (start == end)
    return;
  if (!grow(c, (void **)&c->exc, &c->capexc, c->nexc + 1, sizeof(pf_exc_entry)))
    return;
  c->exc[c->nexc++] = (pf_exc_entry){start, end, handler, (uint16_t)reg};
}

static void s_try(cc *c, pf_node *n) {
  int save = c->top;
  bool has_fin = n->l4.n > 0;
  if (has_fin) {
    if (c->nfin >= 32) {
      cc_fail(c, n->line, "PythonToForaConversionError", "try statements nested too deeply");
      return;
    }
    c->fin[c->nfin++] = &n->l4;
  }
  uint32_t start = c->nins;
  body_block(c, &n->l1);
  uint32_t end = c->nins;
  body_block(c, &n->l3); /* else */
  uint32_t jdone[260];
  uint32_t nd = 0;
  jdone[nd++] = cc_jump(c, OP_JMP, 0);
  uint32_t hstart = c->nins;
  if (n->l2.n) {
    int e = cc_tmp(c);
    add_exc(c, start, end, hstart, e);
    for (uint32_t i = 0; i < n->l2.n && nd < 256; i++) {
      pf_node *h = n->l2.v[i];
      c->line = h->line;
      uint32_t jnext = UINT32_MAX;
      if (h->a) {
        int s2 = c->top;
        int t = cc_expr_any(c, h->a);
        int m = cc_tmp(c);
        cc_emit(c, OP_EXC_MATCH, m, e, t);
        jnext = cc_jump(c, OP_JF, m);
        c->top = s2;
      }
      if (h->s)
        cc_store_name(c, h->s, e);
      int saved_exc = c->cur_exc;
      c->cur_exc = e;
      body_block(c, &h->l1);
      c->cur_exc = saved_exc;
      if (h->s) { /* "except E as e": e is unbound after the handler */
        int u = cc_tmp(c);
        cc_emit(c, OP_LOADK, u, cc_const(c, pf_unbound()), 0);
        cc_store_name(c, h->s, u);
        name_ref nr = cc_name(c, h->s);
        if (nr.kind == NR_LOCAL)
          c->bound[nr.idx] = 0;
      }
      jdone[nd++] = cc_jump(c, OP_JMP, 0);
      if (jnext != UINT32_MAX)
        cc_patch(c, jnext, c->nins);
    }
    cc_emit(c, OP_RERAISE, e, 0, 0);
  }
  uint32_t hend = c->nins;
  if (has_fin) {
    c->nfin--;
    for (uint32_t i = 0; i < nd; i++)
      cc_patch(c, jdone[i], c->nins);
    nd = 0;
    body_block(c, &n->l4);
    jdone[nd++] = cc_jump(c, OP_JMP, 0);
    int f = cc_tmp(c);
    uint32_t fh = c->nins;
    add_exc(c, start, end, fh, f);
    add_exc(c, hstart, hend, fh, f);
    body_block(c, &n->l4);
    cc_emit(c, OP_RERAISE, f, 0, 0);
  }
  for (uint32_t i = 0; i < nd; i++)
    cc_patch(c, jdone[i], c->nins);
  c->top = save;
}

static void s_funcdef(cc *c, pf_node *n) {
  if (n->l2.n) {
    /* decorators: staticmethod/classmethod/property and plain callables, applied bottom-up */
    int save = c->top;
    int base = c->top;
    for (uint32_t i = 0; i < n->l2.n; i++)
      cc_expr_to(c, n->l2.v[i], cc_tmp(c));
    int f = cc_tmp(c);
    cc_make_func(c, n, f);
    for (uint32_t i = n->l2.n; i-- > 0;) {
      int cf = cc_tmp(c);
      cc_emit(c, OP_MOVE, cf, base + (int)i, 0);
      int a1 = cc_tmp(c);
      cc_emit(c, OP_MOVE, a1, f, 0);
      cc_emit(c, OP_CALL, f, cf, 1);
      c->top = f + 1;
    }
    cc_store_name(c, n->s, f);
    c->top = save;
    return;
  }
  int save = c->top;
  int f = cc_tmp(c);
  cc_make_func(c, n, f);
  cc_store_name(c, n->s, f);
  c->top = save;
}

static void s_import(cc *c, pf_node *n) {
  int save = c->top;
  int t = cc_tmp(c);
  for (uint32_t i = 0; i < n->l1.n; i++) {
    pf_node *al = n->l1.v[i];
    if (n->t == N_Import) {
      cc_emit(c, OP_IMPORT, t, cc_str_const(c, al->s), 0);
      const char *nm = al->s2 ? al->s2 : al->s;
      if (strchr(nm, '.')) {
        cc_fail(c, n->line, "PythonToForaConversionError", "dotted imports are not supported in pyfora code");
        return;
      }
      cc_store_name(c, nm, t);
    } else {
      if (!n->s || n->iv != 0) {
        cc_fail(c, n->line, "PythonToForaConversionError", "relative imports are not allowed in pyfora code");
        return;
      }
      int m = cc_tmp(c);
      cc_emit(c, OP_IMPORT, m, cc_str_const(c, n->s), 0);
      cc_emit(c, OP_GETATTR, t, m, cc_str_const(c, al->s));
      cc_store_name(c, al->s2 ? al->s2 : al->s, t);
    }
  }
  c->top = save;
}

static void stmt(cc *c, pf_node *n) {
  if (c->st != PF_OK)
    return;
  c->line = n->line;
  int save = c->top;
  switch (n->t) {
  case N_Expr: {
    int t = cc_tmp(c);
    cc_expr_to(c, n->a, t);
    break;
  }
  case N_Assign:
    if (n->l1.n == 1 && n->l1.v[0]->t == N_Name && cc_name(c, n->l1.v[0]->s).kind == NR_LOCAL &&
        cc_expr_is_safe_direct(n->a)) {
      int r = cc_name(c, n->l1.v[0]->s).idx;
      cc_expr_to(c, n->a, r);
      c->bound[r] = 1;
    } else {
      int t = cc_expr_any(c, n->a);
      for (uint32_t i = 0; i < n->l1.n; i++)
        store_target(c, n->l1.v[i], t);
    }
    break;
  case N_AnnAssign:
    if (n->b) {
      int t = cc_expr_any(c, n->b);
      store_target(c, n->a, t);
    }
    break;
  case N_Return:
    if (c->sc->kind == SC_BLOCK || c->sc->kind == SC_CLASS)
      cc_fail(c, n->line, "PythonToForaConversionError", "'return' outside function");
    else
      s_return(c, n);
    break;
  case N_If: s_if(c, n); break;
  case N_While: s_while(c, n); break;
  case N_For: s_for(c, n); break;
  case N_Break: loop_jump(c, n, true); break;
  case N_Continue: loop_jump(c, n, false); break;
  case N_Pass: break;
  case N_FunctionDef: s_funcdef(c, n); break;
  case N_ClassDef: {
    int t = cc_tmp(c);
    cc_make_class(c, n, t);
    cc_store_name(c, n->s, t);
    break;
  }
  case N_Raise: {
    if (!n->a && c->cur_exc >= 0) {
      cc_emit(c, OP_RERAISE, c->cur_exc, 0, 0);
      break;
    }
    int e = n->a ? cc_expr_any(c, n->a) : 0xffff;
    int k = n->b ? cc_expr_any(c, n->b) : 0xffff;
    cc_emit(c, OP_RAISE, e, k, c->cur_exc >= 0 ? c->cur_exc : 0xffff);
    break;
  }
  case N_Assert: {
    uint32_t j = cc_cond_jump(c, n->a, true);
    int m = 0xffff;
    if (n->b)
      m = cc_expr_any(c, n->b);
    cc_emit(c, OP_ASSERT_FAIL, m, 0, 0);
    if (j != UINT32_MAX)
      cc_patch(c, j, c->nins);
    break;
  }
  case N_Try: s_try(c, n); break;
  case N_Import:
  case N_ImportFrom: s_import(c, n); break;
  default:
    cc_fail(c, n->line, "InvalidRequest", "unsupported statement");
  }
  c->top = save;
}

static void stmts(cc *c, pf_nlist *l) {
  for (uint32_t i = 0; i < l->n && c->st == PF_OK; i++)
    stmt(c, l->v[i]);
}

void cc_stmts(cc *c, pf_nlist *l) { stmts(c, l); }
