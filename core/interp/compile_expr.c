/* compile_expr.c — expressions, comprehensions, function/class creation and the
 * assembly of code objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

/* ---------------------------------------------------------------- independent calls
 * In `f(a) + g(b)`, `(f(a), g(b))`, `h(f(a), g(b))` the first call may run on another worker
 * while the rest is evaluated here (OP_CALL_FORK … OP_JOIN, fork.c): code is pure, so the
 * two are independent unless the rest binds a name (walrus) or suspends (yield). */

static bool node_any(pf_node *n, bool (*pred)(pf_node *)) {
  if (!n)
    return false;
  if (pred(n))
    return true;
  if (n->t == N_Lambda)
    return false; /* making a function calls nothing */
  if (node_any(n->a, pred) || node_any(n->b, pred) || node_any(n->c, pred) || node_any(n->d, pred))
    return true;
  pf_nlist *ls[4] = {&n->l1, &n->l2, &n->l3, &n->l4};
  for (int k = 0; k < 4; k++)
    for (uint32_t i = 0; i < ls[k]->n; i++)
      if (node_any(ls[k]->v[i], pred))
        return true;
  return false;
}
static bool is_calling(pf_node *n) {
  return n->t == N_Call || n->t == N_ListComp || n->t == N_SetComp || n->t == N_DictComp ||
         n->t == N_GeneratorExp;
}
static bool is_binding(pf_node *n) {
  return n->t == N_NamedExpr || n->t == N_Yield || n->t == N_YieldFrom;
}
/* A call that may be forked: positional arguments only, nothing bound or suspended inside. */
static bool forkable_call(pf_node *n) {
  if (!n || n->t != N_Call || n->l2.n || !n->a || n->a->t == N_Lambda || node_any(n, is_binding))
    return false;
  for (uint32_t i = 0; i < n->l1.n; i++)
    if (!n->l1.v[i] || n->l1.v[i]->t == N_Starred)
      return false;
  return true;
}
/* Whether the expression evaluated after a forked call has work worth overlapping with it. */
static bool worth_overlap(pf_node *rest) {
  return rest && node_any(rest, is_calling) && !node_any(rest, is_binding);
}

static const int cmp_opcode[] = {OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
                                 OP_IS, OP_ISNOT, OP_IN, OP_NOTIN};

bool cc_expr_is_safe_direct(pf_node *n) {
  switch (n->t) {
  case N_BinOp:
  case N_UnaryOp:
  case N_Call:
  case N_Constant:
  case N_Name:
  case N_Subscript:
  case N_Attribute:
  case N_List:
  case N_Tuple:
    return true;
  case N_Compare:
    return n->l1.n == 1;
  default:
    return false;
  }
}

static bool forbidden_call(cc *c, pf_node *f) {
  static const char *const names[] = {"print", "eval", "exec", "locals", "globals"};
  if (f->t != N_Name)
    return false;
  for (size_t i = 0; i < 5; i++)
    if (!strcmp(f->s, names[i])) {
      if (cc_name(c, f->s).kind != NR_GLOBAL)
        return false;
      if (c->globals->provided && json_object_get(c->globals->provided, f->s))
        return false; /* the client bound the name to its own value */
      pf_val *slot = pf_ns_slot(c->globals, f->s, false);
      if (slot && slot->tag != PF_UNBOUND)
        return false;
      if (c->globals == &c->p->block_ns && c->p->block_scope) {
        pf_sym *y = pf_scope_find(c->p->block_scope, f->s);
        if (y && (y->flags & SYM_BOUND))
          return false;
      }
      return true;
    }
  return false;
}

static void load_name(cc *c, pf_node *n, int dst) {
  name_ref r = cc_name(c, n->s);
  if (r.kind == NR_LOCAL) {
    if (!c->bound[r.idx])
      cc_emit(c, OP_CHECK_BOUND, r.idx, 0, 0);
    if (dst != r.idx)
      cc_emit(c, OP_MOVE, dst, r.idx, 0);
  } else if (r.kind == NR_CELL)
    cc_emit(c, OP_LOAD_DEREF, dst, r.idx, 0);
  else
    cc_emit(c, OP_LOAD_GLOBAL, dst, r.idx, 0);
}

int cc_expr_any(cc *c, pf_node *n) {
  if (n->t == N_Name) {
    name_ref r = cc_name(c, n->s);
    if (r.kind == NR_LOCAL) {
      if (!c->bound[r.idx])
        cc_emit(c, OP_CHECK_BOUND, r.idx, 0, 0);
      return r.idx;
    }
  }
  int t = cc_tmp(c);
  cc_expr_to(c, n, t);
  return t;
}

static void e_call_x(cc *c, pf_node *n, int dst, bool fork);

/* Evaluates items [0, n) of "l" into registers base.. in order: an item that is a call with
 * a later item worth overlapping is forked, and every forked one joined after the last. */
static void eval_items(cc *c, pf_nlist *l, uint32_t n, int base) {
  bool forked[256] = {false};
  bool any = false;
  for (uint32_t i = 0; i < n; i++) {
    int save = c->top;
    bool fk = false;
    if (i + 1 < n && i < 256 && forkable_call(l->v[i]))
      for (uint32_t j = i + 1; j < n && !fk; j++)
        fk = worth_overlap(l->v[j]);
    for (uint32_t j = i + 1; j < n && fk; j++)
      if (node_any(l->v[j], is_binding))
        fk = false;
    if (fk) {
      e_call_x(c, l->v[i], base + (int)i, true);
      forked[i] = any = true;
    } else {
      cc_expr_to(c, l->v[i], base + (int)i);
    }
    c->top = save;
  }
  for (uint32_t i = 0; any && i < n && i < 256; i++)
    if (forked[i])
      cc_emit(c, OP_JOIN, base + (int)i, 0, 0);
}

/* Evaluates the list "l" into consecutive fresh registers; returns the first. */
static int expr_seq(cc *c, pf_nlist *l) {
  int base = c->top;
  for (uint32_t i = 0; i < l->n; i++)
    cc_tmp(c);
  eval_items(c, l, l->n, base);
  return base;
}

static bool has_starred(pf_nlist *l) {
  for (uint32_t i = 0; i < l->n; i++)
    if (l->v[i] && l->v[i]->t == N_Starred)
      return true;
  return false;
}

/* Builds a list (or tuple) from elements that may be starred. */
static void build_starred(cc *c, pf_nlist *l, int dst, bool as_tuple) {
  int save = c->top;
  int acc = cc_tmp(c);
  cc_emit(c, OP_ACC_NEW, acc, ACC_LIST, 0);
  for (uint32_t i = 0; i < l->n; i++) {
    pf_node *e = l->v[i];
    int s2 = c->top;
    int v = cc_expr_any(c, e->t == N_Starred ? e->a : e);
    cc_emit(c, OP_ACC_PUSH, acc, v, e->t == N_Starred ? 1 : 0);
    c->top = s2;
  }
  cc_emit(c, OP_ACC_FINISH, dst, acc, as_tuple ? 1 : 0);
  c->top = save;
}

static void e_call(cc *c, pf_node *n, int dst) { e_call_x(c, n, dst, false); }

static void e_call_x(cc *c, pf_node *n, int dst, bool fork) {
  if (forbidden_call(c, n->a)) {
    char msg[120];
    snprintf(msg, sizeof msg, "calls of %s() are not allowed in pyfora code", n->a->s);
    cc_fail(c, n->line, "PythonToForaConversionError", msg);
    return;
  }
  int save = c->top;
  bool star_kw = false;
  for (uint32_t i = 0; i < n->l2.n; i++)
    if (!n->l2.v[i]->s)
      star_kw = true;
  if (has_starred(&n->l1) || star_kw) {
    int f = cc_tmp(c);
    cc_expr_to(c, n->a, f);
    int args = cc_tmp(c);
    build_starred(c, &n->l1, args, true);
    int kw = cc_tmp(c);
    int acc = cc_tmp(c);
    cc_emit(c, OP_ACC_NEW, acc, ACC_DICT, 0);
    for (uint32_t i = 0; i < n->l2.n; i++) {
      pf_node *k = n->l2.v[i];
      int s2 = c->top;
      int v = cc_expr_any(c, k->a);
      if (k->s) {
        int kn = cc_tmp(c);
        cc_emit(c, OP_LOADK, kn, cc_str_const(c, k->s), 0);
        cc_emit(c, OP_ACC_PUSH2, acc, kn, v);
      } else
        cc_emit(c, OP_ACC_PUSH, acc, v, 2);
      c->top = s2;
    }
    cc_emit(c, OP_ACC_FINISH, kw, acc, 0);
    cc_emit(c, OP_CALL_EX, dst, f, args);
    cc_emit(c, OP_EXT, kw, 0, 0);
    c->top = save;
    return;
  }
  uint32_t na = n->l1.n, nk = n->l2.n;
  if (na + nk > 250) {
    cc_fail(c, n->line, "PythonToForaConversionError", "too many arguments in one call");
    return;
  }
  if (nk == 0 && !fork && n->a->t == N_Attribute) {
    /* obj.m(args): OP_GETMETH puts m's function and obj in f, f + 1 (no bound method) when
     * m is a plain method of obj's class, else unbound and getattr(obj, "m") — and
     * OP_CALLMETH calls f(obj, args) or (f + 1)(args). A forked call keeps GETATTR + CALL. */
    int f = cc_tmp(c);
    for (uint32_t i = 0; i < na + 1; i++)
      cc_tmp(c);
    int s2 = c->top;
    int o = cc_expr_any(c, n->a->a);
    int line = c->line;
    c->line = n->a->line ? n->a->line : line;
    cc_emit(c, OP_GETMETH, f, o, cc_str_const(c, n->a->s));
    c->line = line;
    c->top = s2;
    eval_items(c, &n->l1, na, f + 2);
    cc_emit(c, OP_CALLMETH, dst, f, (int)na);
    c->top = save;
    return;
  }
  int f = cc_tmp(c);
  cc_expr_to(c, n->a, f);
  for (uint32_t i = 0; i < na + nk; i++)
    cc_tmp(c);
  if (nk == 0) {
    eval_items(c, &n->l1, na, f + 1);
  } else {
    for (uint32_t i = 0; i < na; i++) {
      int s2 = c->top;
      cc_expr_to(c, n->l1.v[i], f + 1 + (int)i);
      c->top = s2;
    }
  }
  if (nk == 0) {
    cc_emit(c, fork ? OP_CALL_FORK : OP_CALL, dst, f, (int)na);
  } else {
    pf_val names[256];
    pf_err e;
    for (uint32_t i = 0; i < nk; i++) {
      int s2 = c->top;
      cc_expr_to(c, n->l2.v[i]->a, f + 1 + (int)(na + i));
      c->top = s2;
      if (pf_str_from_cstr(n->l2.v[i]->s, &names[i], &e) != PF_OK) {
        for (uint32_t j = 0; j < i; j++)
          pf_decref(names[j]);
        c->st = PF_ENOMEM;
        return;
      }
    }
    pf_val tup;
    if (pf_tuple_new(nk, names, &tup, &e) != PF_OK) {
      c->st = PF_ENOMEM;
      return;
    }
    int k = cc_const(c, tup);
    pf_decref(tup);
    cc_emit(c, OP_CALL_KW, dst, f, (int)(na + nk));
    cc_emit(c, OP_EXT, (int)nk, k, 0);
  }
  c->top = save;
}

static pf_code *compile_child(cc *c, pf_scope *sc);

static int add_child(cc *c, pf_code *k) {
  if (c->nchildren == c->capchildren) {
    uint32_t nc = c->capchildren ? c->capchildren * 2 : 8;
    pf_code **nn = realloc(c->children, nc * sizeof *nn);
    if (!nn) {
      c->st = PF_ENOMEM;
      return 0;
    }
    c->children = nn;
    c->capchildren = nc;
  }
  c->children[c->nchildren] = k;
  return (int)c->nchildren++;
}

static void e_comp(cc *c, pf_node *n, int dst) {
  pf_code *k = compile_child(c, n->scope);
  if (!k)
    return;
  int save = c->top;
  int f = cc_tmp(c);
  cc_emit(c, OP_MAKE_FUNC, f, add_child(c, k), 0);
  int it = cc_tmp(c);
  int src = cc_expr_any(c, n->l1.v[0]->b);
  cc_emit(c, OP_GET_ITER, it, src, 0);
  cc_emit(c, OP_CALL, dst, f, 1);
  c->top = save;
}

/* Body of a comprehension's own code object. */
static void comp_body(cc *c, pf_node *n, uint32_t gi, int acc) {
  pf_node *g = n->l1.v[gi];
  int save = c->top;
  int it;
  if (gi == 0)
    it = 0; /* ".0" */
  else {
    it = cc_tmp(c);
    int src = cc_expr_any(c, g->b);
    cc_emit(c, OP_GET_ITER, it, src, 0);
  }
  int v = cc_tmp(c);
  uint32_t top = cc_emit(c, OP_FOR_ITER, it, v, 0);
  uint32_t ext = cc_emit(c, OP_EXT, 0, 0, 0);
  cc_store_target(c, g->a, v);
  uint32_t skips[64];
  uint32_t ns = 0;
  for (uint32_t i = 0; i < g->l1.n && ns < 64; i++) {
    uint32_t j = cc_cond_jump(c, g->l1.v[i], false);
    if (j != UINT32_MAX)
      skips[ns++] = j;
  }
  if (gi + 1 < n->l1.n)
    comp_body(c, n, gi + 1, acc);
  else {
    int s2 = c->top;
    if (n->t == N_GeneratorExp) {
      int x = cc_expr_any(c, n->a);
      int r = cc_tmp(c);
      cc_emit(c, OP_YIELD, r, x, 0);
    } else if (n->t == N_DictComp) {
      int kx = cc_expr_any(c, n->a);
      int vx = cc_expr_any(c, n->b);
      cc_emit(c, OP_ACC_PUSH2, acc, kx, vx);
    } else {
      int x = cc_expr_any(c, n->a);
      cc_emit(c, OP_ACC_PUSH, acc, x, 0);
    }
    c->top = s2;
  }
  uint32_t back = cc_jump(c, OP_LOOP, 0);
  cc_patch(c, back, top);
  for (uint32_t i = 0; i < ns; i++)
    cc_patch(c, skips[i], back);
  cc_patch(c, ext, c->nins);
  c->top = save;
}

uint32_t cc_cond_jump(cc *c, pf_node *n, bool when) {
  if (n->t == N_UnaryOp && n->op == PF_OP_NOT)
    return cc_cond_jump(c, n->a, !when);
  if (n->t == N_Constant && n->k.tag == PF_BOOL) {
    if ((n->k.u.i != 0) == when)
      return cc_jump(c, OP_JMP, 0);
    return UINT32_MAX;
  }
  int save = c->top;
  int r = cc_expr_any(c, n);
  uint32_t j = cc_jump(c, when ? OP_JT : OP_JF, r);
  c->top = save;
  return j;
}

static void e_fstring_part(cc *c, pf_node *n, int dst) {
  int save = c->top;
  int v = cc_expr_any(c, n->a);
  int spec = 0xffff;
  if (n->b)
    spec = cc_expr_any(c, n->b);
  cc_emit(c, OP_FORMAT, dst, v, spec);
  cc_emit(c, OP_EXT, (int)(n->iv < 0 ? 0 : n->iv), 0, 0);
  c->top = save;
}

void cc_expr_to(cc *c, pf_node *n, int dst) {
  if (c->st != PF_OK)
    return;
  int save = c->top;
  int line = c->line;
  c->line = n->line ? n->line : line;
  switch (n->t) {
  case N_Constant:
    cc_emit(c, OP_LOADK, dst, cc_const(c, n->k), 0);
    break;
  case N_Name:
    load_name(c, n, dst);
    break;
  case N_BinOp: {
    if (forkable_call(n->a) && worth_overlap(n->b)) { /* f(x) + g(y): f may run elsewhere */
      int a = cc_tmp(c);
      e_call_x(c, n->a, a, true);
      int b = cc_expr_any(c, n->b);
      cc_emit(c, OP_JOIN, a, 0, 0);
      cc_emit(c, OP_ADD + n->op, dst, a, b);
      break;
    }
    int a = cc_expr_any(c, n->a);
    int b = cc_expr_any(c, n->b);
    cc_emit(c, OP_ADD + n->op, dst, a, b);
    break;
  }
  case N_UnaryOp: {
    int a = cc_expr_any(c, n->a);
    int op = n->op == PF_OP_NEG ? OP_NEG : n->op == PF_OP_POS ? OP_POS
           : n->op == PF_OP_INVERT ? OP_INVERT : OP_NOT;
    cc_emit(c, op, dst, a, 0);
    break;
  }
  case N_BoolOp: {
    uint32_t js[256];
    uint32_t nj = 0;
    for (uint32_t i = 0; i < n->l1.n; i++) {
      cc_expr_to(c, n->l1.v[i], dst);
      if (i + 1 < n->l1.n && nj < 256)
        js[nj++] = cc_jump(c, n->op == PF_BOOL_AND ? OP_JF : OP_JT, dst);
    }
    for (uint32_t i = 0; i < nj; i++)
      cc_patch(c, js[i], c->nins);
    break;
  }
  case N_Compare: {
    int l = cc_expr_any(c, n->a);
    if (n->l1.n == 1) {
      int r = cc_expr_any(c, n->l1.v[0]);
      cc_emit(c, cmp_opcode[n->ops[0]], dst, l, r);
      break;
    }
    uint32_t js[256];
    uint32_t nj = 0;
    for (uint32_t i = 0; i < n->l1.n && nj < 256; i++) {
      int r = cc_tmp(c);
      cc_expr_to(c, n->l1.v[i], r);
      cc_emit(c, cmp_opcode[n->ops[i]], dst, l, r);
      if (i + 1 < n->l1.n)
        js[nj++] = cc_jump(c, OP_JF, dst);
      l = r;
    }
    for (uint32_t i = 0; i < nj; i++)
      cc_patch(c, js[i], c->nins);
    break;
  }
  case N_IfExp: {
    uint32_t jelse = cc_cond_jump(c, n->a, false);
    cc_expr_to(c, n->b, dst);
    uint32_t jend = cc_jump(c, OP_JMP, 0);
    if (jelse != UINT32_MAX)
      cc_patch(c, jelse, c->nins);
    cc_expr_to(c, n->c, dst);
    cc_patch(c, jend, c->nins);
    break;
  }
  case N_NamedExpr:
    cc_expr_to(c, n->b, dst);
    cc_store_name(c, n->a->s, dst);
    break;
  case N_Call:
    e_call(c, n, dst);
    break;
  case N_List:
  case N_Tuple:
  case N_Set:
    if (has_starred(&n->l1)) {
      if (n->t == N_Set) {
        cc_fail(c, n->line, "PythonToForaConversionError", "starred items in a set display are not supported");
        break;
      }
      build_starred(c, &n->l1, dst, n->t == N_Tuple);
      break;
    }
    if (n->l1.n > 65000) {
      cc_fail(c, n->line, "PythonToForaConversionError", "display too large");
      break;
    }
    {
      int base = expr_seq(c, &n->l1);
      cc_emit(c, n->t == N_List ? OP_BUILD_LIST : n->t == N_Tuple ? OP_BUILD_TUPLE : OP_BUILD_SET,
              dst, base, (int)n->l1.n);
    }
    break;
  case N_Dict: {
    for (uint32_t i = 0; i < n->l1.n; i++)
      if (!n->l1.v[i]) { /* {**m} */
        int acc = cc_tmp(c);
        cc_emit(c, OP_ACC_NEW, acc, ACC_DICT, 0);
        for (uint32_t j = 0; j < n->l1.n; j++) {
          int s2 = c->top;
          if (n->l1.v[j]) { /* the key first, as Python evaluates it (into a copy: the
                               value may rebind a name the key read, with :=) */
            int k = cc_tmp(c);
            cc_expr_to(c, n->l1.v[j], k);
            int v = cc_expr_any(c, n->l2.v[j]);
            cc_emit(c, OP_ACC_PUSH2, acc, k, v);
          } else
            cc_emit(c, OP_ACC_PUSH, acc, cc_expr_any(c, n->l2.v[j]), 2);
          c->top = s2;
        }
        cc_emit(c, OP_ACC_FINISH, dst, acc, 0);
        goto done;
      }
    int base = c->top;
    for (uint32_t i = 0; i < 2 * n->l1.n; i++)
      cc_tmp(c);
    for (uint32_t i = 0; i < n->l1.n; i++) {
      cc_expr_to(c, n->l1.v[i], base + 2 * (int)i);
      cc_expr_to(c, n->l2.v[i], base + 2 * (int)i + 1);
    }
    cc_emit(c, OP_BUILD_DICT, dst, base, (int)n->l1.n);
    break;
  }
  case N_Subscript: {
    int o = cc_expr_any(c, n->a);
    if (n->b->t == N_Slice) {
      int base = c->top;
      pf_node *parts[3] = {n->b->a, n->b->b, n->b->c};
      for (int i = 0; i < 3; i++)
        cc_tmp(c);
      for (int i = 0; i < 3; i++) {
        if (parts[i])
          cc_expr_to(c, parts[i], base + i);
        else
          cc_emit(c, OP_LOADK, base + i, cc_const(c, pf_none()), 0);
      }
      cc_emit(c, OP_GETSLICE, dst, o, base);
    } else {
      int i = cc_expr_any(c, n->b);
      cc_emit(c, OP_GETITEM, dst, o, i);
    }
    break;
  }
  case N_Attribute: {
    int o = cc_expr_any(c, n->a);
    cc_emit(c, OP_GETATTR, dst, o, cc_str_const(c, n->s));
    break;
  }
  case N_ListComp:
  case N_SetComp:
  case N_DictComp:
  case N_GeneratorExp:
    e_comp(c, n, dst);
    break;
  case N_Lambda:
    cc_make_func(c, n, dst);
    break;
  case N_Yield: {
    if (c->sc->kind == SC_BLOCK || c->sc->kind == SC_CLASS) {
      cc_fail(c, n->line, "PythonToForaConversionError", "'yield' outside function");
      break;
    }
    int v;
    if (n->a)
      v = cc_expr_any(c, n->a);
    else {
      v = cc_tmp(c);
      cc_emit(c, OP_LOADK, v, cc_const(c, pf_none()), 0);
    }
    cc_emit(c, OP_YIELD, dst, v, 0);
    break;
  }
  case N_YieldFrom: {
    if (c->sc->kind == SC_BLOCK || c->sc->kind == SC_CLASS) {
      cc_fail(c, n->line, "PythonToForaConversionError", "'yield' outside function");
      break;
    }
    int it = cc_tmp(c);
    int src = cc_expr_any(c, n->a);
    cc_emit(c, OP_GET_ITER, it, src, 0);
    int v = cc_tmp(c);
    uint32_t top = cc_emit(c, OP_FOR_ITER, it, v, 0);
    uint32_t ext = cc_emit(c, OP_EXT, 0, 0, 0);
    cc_emit(c, OP_YIELD, dst, v, 0);
    uint32_t back = cc_jump(c, OP_LOOP, 0);
    cc_patch(c, back, top);
    cc_patch(c, ext, c->nins);
    cc_emit(c, OP_GEN_RESULT, dst, it, 0);
    break;
  }
  case N_JoinedStr: {
    pf_val empty;
    pf_err e;
    if (pf_str_from_cstr("", &empty, &e) != PF_OK) {
      c->st = PF_ENOMEM;
      break;
    }
    int acc = cc_tmp(c);
    cc_emit(c, OP_LOADK, acc, cc_const(c, empty), 0);
    pf_decref(empty);
    int part = cc_tmp(c);
    for (uint32_t i = 0; i < n->l1.n; i++) {
      pf_node *v = n->l1.v[i];
      if (v->t == N_FormattedValue)
        e_fstring_part(c, v, part);
      else
        cc_expr_to(c, v, part);
      cc_emit(c, OP_ADD, acc, acc, part);
    }
    cc_emit(c, OP_MOVE, dst, acc, 0);
    break;
  }
  case N_FormattedValue:
    e_fstring_part(c, n, dst);
    break;
  case N_Starred:
    cc_fail(c, n->line, "InvalidRequest", "can't use starred expression here");
    break;
  case N_Slice:
    cc_fail(c, n->line, "InvalidRequest", "slice outside a subscript");
    break;
  default:
    cc_fail(c, n->line, "InvalidRequest", "unsupported expression");
  }
done:
  c->top = save;
  c->line = line;
}

/* ---------------------------------------------------------------- code objects */

static const char *qual(pf_scope *s) { return s->name ? s->name : "<lambda>"; }

/* Python's __qualname__: enclosing functions add ".<locals>.", classes add ".". */
static const char *qualname_of(pf_program *p, pf_scope *s) {
  const char *nm = qual(s);
  pf_scope *par = s->parent;
  if (!par || par->kind == SC_BLOCK || s->def_top || (par->kind != SC_FUNC && par->kind != SC_CLASS))
    return nm;
  const char *pq = qualname_of(p, par), *sep = par->kind == SC_CLASS ? "." : ".<locals>.";
  size_t n = strlen(pq) + strlen(sep) + strlen(nm) + 1;
  char *q = pf_arena_alloc(&p->arena, n);
  if (!q)
    return nm;
  snprintf(q, n, "%s%s%s", pq, sep, nm);
  return q;
}

static void assign_indices(cc *c, pf_scope *sc, pf_code *k) {
  int reg = 0;
  pf_node *n = sc->node;
  uint32_t ncell = 0;
  for (uint32_t i = 0; i < sc->nsyms; i++)
    sc->syms[i].idx = -1;
  if (sc->kind == SC_FUNC && n && (n->t == N_FunctionDef || n->t == N_Lambda)) {
    pf_node *a = n->a;
    pf_nlist *ls[5] = {&a->l1, &a->l2, &a->l3, NULL, NULL};
    pf_node *va[2] = {a->a, a->b};
    for (int i = 0; i < 5; i++)
      for (uint32_t j = 0; j < (i < 3 ? ls[i]->n : va[i - 3] != NULL); j++) {
        pf_sym *y = pf_scope_find(sc, i < 3 ? ls[i]->v[j]->s : va[i - 3]->s);
        if (y->idx != -1) {
          char msg[300];
          snprintf(msg, sizeof msg, "duplicate argument '%s' in function definition", y->name);
          cc_fail(c, n->line, "InvalidRequest", msg);
          return;
        }
        y->idx = 0;
      }
    for (int i = 0; i < 3; i++)
      for (uint32_t j = 0; j < ls[i]->n; j++)
        pf_scope_find(sc, ls[i]->v[j]->s)->idx = reg++;
    k->nparams = a->l1.n + a->l2.n;
    k->nkwonly = a->l3.n;
    if (a->a) {
      pf_scope_find(sc, a->a->s)->idx = reg++;
      k->has_varargs = true;
    }
    if (a->b) {
      pf_scope_find(sc, a->b->s)->idx = reg++;
      k->has_varkw = true;
    }
    k->nposdef = a->c ? a->c->l1.n : 0;
  } else if (sc->kind == SC_COMP) {
    pf_scope_find(sc, ".0")->idx = reg++;
    k->nparams = 1;
  }
  uint32_t np = (uint32_t)reg;
  k->pnames = pf_arena_alloc(&c->p->arena, (np + 1) * sizeof(char *));
  k->cell_param = pf_arena_alloc(&c->p->arena, (sc->nsyms + 1) * sizeof(int32_t));
  k->cellnames = pf_arena_alloc(&c->p->arena, (sc->nsyms + 1) * sizeof(char *));
  k->free_src = pf_arena_alloc(&c->p->arena, (sc->nsyms + 1) * sizeof(int32_t));
  k->regnames = pf_arena_alloc(&c->p->arena, (sc->nsyms + 1) * sizeof(char *));
  if (!k->pnames || !k->cell_param || !k->cellnames || !k->free_src || !k->regnames) {
    c->st = PF_ENOMEM;
    return;
  }
  for (uint32_t i = 0; i < sc->nsyms; i++) {
    pf_sym *y = &sc->syms[i];
    if (y->flags & SYM_PARAM) {
      k->pnames[y->idx] = y->name;
      k->regnames[y->idx] = y->name;
    }
  }
  if (sc->kind != SC_BLOCK)
    for (uint32_t i = 0; i < sc->nsyms; i++) {
      pf_sym *y = &sc->syms[i];
      if ((y->flags & SYM_BOUND) && !(y->flags & (SYM_PARAM | SYM_CELL | SYM_FREE | SYM_GLOBAL))) {
        k->regnames[reg] = y->name;
        y->idx = reg++;
      }
    }
  for (uint32_t i = 0; i < sc->nsyms; i++) {
    pf_sym *y = &sc->syms[i];
    if ((y->flags & SYM_CELL) && !(y->flags & SYM_GLOBAL) && sc->kind != SC_BLOCK) {
      k->cell_param[ncell] = (y->flags & SYM_PARAM) ? y->idx : -1;
      k->cellnames[ncell] = y->name;
      y->idx = (int32_t)ncell++;
    }
  }
  uint32_t nfree = 0;
  for (uint32_t i = 0; i < sc->nsyms; i++) {
    pf_sym *y = &sc->syms[i];
    if ((y->flags & SYM_FREE) && !(y->flags & (SYM_CELL | SYM_BOUND)) && sc->kind != SC_BLOCK) {
      k->cellnames[ncell + nfree] = y->name;
      y->idx = (int32_t)(ncell + nfree++);
    }
  }
  /* a bound name that is also FREE (walrus target from a comprehension) stays a cell */
  for (uint32_t i = 0; i < sc->nsyms; i++) {
    pf_sym *y = &sc->syms[i];
    if ((y->flags & SYM_FREE) && (y->flags & SYM_BOUND) && !(y->flags & SYM_CELL) && sc->kind == SC_COMP) {
      k->cellnames[ncell + nfree] = y->name;
      y->idx = (int32_t)(ncell + nfree++);
      y->flags |= SYM_CELL;
    }
  }
  k->ncells = ncell;
  k->nfree = nfree;
  c->nlocals = reg;
  c->top = reg;
  c->nregs = reg;
  k->nlocals = (uint32_t)reg;
}

static pf_code *compile_scope(pf_program *p, pf_scope *sc, pf_ns *g, const char *file,
                              json_t **err_p, pf_status_t *st_p) {
  cc *c = calloc(1, sizeof *c);
  pf_code *k = pf_arena_alloc(&p->arena, sizeof *k);
  if (!c || !k) {
    free(c);
    *st_p = PF_ENOMEM;
    return NULL;
  }
  c->p = p;
  c->err_p = err_p;
  c->file = file;
  c->sc = sc;
  c->globals = g;
  c->line = sc->node ? sc->node->line : p->block_line;
  c->cur_exc = -1;
  k->name = qual(sc);
  k->qualname = qualname_of(p, sc);
  k->file = file;
  k->is_gen = sc->is_gen;
  k->def_node = sc->node;
  assign_indices(c, sc, k);
  c->bound = calloc((size_t)c->nlocals + 1, 1);
  if (!c->bound)
    c->st = PF_ENOMEM;
  for (uint32_t i = 0; i < k->nparams + k->nkwonly + k->has_varargs + k->has_varkw && c->bound; i++)
    c->bound[i] = 1;
  pf_node *n = sc->node;
  if (c->st == PF_OK) {
    if (sc->kind == SC_COMP) {
      int acc = -1;
      if (n->t != N_GeneratorExp) {
        acc = cc_tmp(c);
        cc_emit(c, OP_ACC_NEW, acc, n->t == N_ListComp ? ACC_LIST : n->t == N_SetComp ? ACC_SET : ACC_DICT, 0);
      }
      comp_body(c, n, 0, acc);
      int r = cc_tmp(c);
      if (acc >= 0)
        cc_emit(c, OP_ACC_FINISH, r, acc, 0);
      else
        cc_emit(c, OP_LOADK, r, cc_const(c, pf_none()), 0);
      cc_emit(c, OP_RETURN, r, 0, 0);
    } else if (n && n->t == N_Lambda) {
      int r = cc_tmp(c);
      cc_expr_to(c, n->b, r);
      cc_emit(c, OP_RETURN, r, 0, 0);
    } else if (sc->kind == SC_CLASS) {
      cc_stmts(c, &n->l1);
      /* return the class namespace as a dict of the names the body bound */
      uint32_t nb = 0;
      for (uint32_t i = 0; i < sc->nsyms; i++)
        if (sc->syms[i].flags & SYM_BOUND)
          nb++;
      int base = c->top;
      for (uint32_t i = 0; i < 2 * nb; i++)
        cc_tmp(c);
      uint32_t j = 0;
      for (uint32_t i = 0; i < sc->nsyms; i++) {
        pf_sym *y = &sc->syms[i];
        if (!(y->flags & SYM_BOUND))
          continue;
        cc_emit(c, OP_LOADK, base + 2 * (int)j, cc_str_const(c, y->name), 0);
        name_ref r = cc_name(c, y->name);
        if (r.kind == NR_LOCAL)
          cc_emit(c, OP_MOVE, base + 2 * (int)j + 1, r.idx, 0);
        else if (r.kind == NR_CELL)
          cc_emit(c, OP_LOAD_DEREF, base + 2 * (int)j + 1, r.idx, 0);
        else
          cc_emit(c, OP_LOAD_GLOBAL, base + 2 * (int)j + 1, r.idx, 0);
        j++;
      }
      int r = cc_tmp(c);
      cc_emit(c, OP_BUILD_DICT, r, base, (int)nb);
      cc_emit(c, OP_RETURN, r, 0, 0);
    } else {
      pf_nlist *body = sc->kind == SC_BLOCK ? &p->block->l1 : &n->l1;
      cc_stmts(c, body);
      int r = cc_tmp(c);
      cc_emit(c, OP_LOADK, r, cc_const(c, pf_none()), 0);
      cc_emit(c, OP_RETURN, r, 0, 0);
    }
  }
  pf_status_t st = c->st;
  if (st == PF_OK) {
    k->nins = c->nins;
    k->nregs = (uint32_t)c->nregs + 1;
    k->ins = pf_arena_alloc(&p->arena, c->nins * sizeof(pf_ins) + 1);
    k->lines = pf_arena_alloc(&p->arena, c->nins * sizeof(int32_t) + 1);
    k->consts = pf_arena_alloc(&p->arena, c->nconsts * sizeof(pf_val) + 1);
    k->gslots = pf_arena_alloc(&p->arena, c->ngslots * sizeof(pf_val *) + 1);
    k->gnames = pf_arena_alloc(&p->arena, c->ngslots * sizeof(char *) + 1);
    k->gbuiltin = pf_arena_alloc(&p->arena, c->ngslots * sizeof(pf_val) + 1);
    k->exc = pf_arena_alloc(&p->arena, c->nexc * sizeof(pf_exc_entry) + 1);
    k->children = pf_arena_alloc(&p->arena, c->nchildren * sizeof(pf_code *) + 1);
    if (!k->ins || !k->lines || !k->consts || !k->gslots || !k->gnames || !k->gbuiltin ||
        !k->exc || !k->children)
      st = PF_ENOMEM;
  }
  if (st == PF_OK) {
    if (c->nins)
      memcpy(k->ins, c->ins, c->nins * sizeof(pf_ins));
    if (c->nins)
      memcpy(k->lines, c->lines, c->nins * sizeof(int32_t));
    k->nconsts = c->nconsts;
    for (uint32_t i = 0; i < c->nconsts; i++) {
      k->consts[i] = c->consts[i];
      if (pf_prog_own(p, c->consts[i]) != PF_OK)
        st = PF_ENOMEM;
    }
    c->nconsts = 0;
    k->ngslots = c->ngslots;
    if (c->ngslots)
      memcpy(k->gslots, c->gslots, c->ngslots * sizeof(pf_val *));
    if (c->ngslots)
      memcpy(k->gnames, c->gnames, c->ngslots * sizeof(char *));
    if (c->ngslots)
      memcpy(k->gbuiltin, c->gbuiltin, c->ngslots * sizeof(pf_val));
    k->nexc = c->nexc;
    if (c->nexc)
      memcpy(k->exc, c->exc, c->nexc * sizeof(pf_exc_entry));
    k->nchildren = c->nchildren;
    if (c->nchildren)
      memcpy(k->children, c->children, c->nchildren * sizeof(pf_code *));
    /* facts for parallel folds (par.c): loops, and stores outside the code's own frame */
    unsigned nfor = 0;
    bool forks = false, loops = false;
    for (uint32_t i = 0; i < k->nins; i++) {
      uint16_t op = k->ins[i].op;
      nfor += op == OP_FOR_ITER;
      forks |= op == OP_CALL_FORK;
      loops |= op == OP_LOOP;
      if (op == OP_STORE_GLOBAL || (op == OP_STORE_DEREF && k->ins[i].a >= k->ncells))
        k->writes_out = true;
    }
    for (uint32_t i = 0; i < k->nchildren; i++)
      k->writes_out |= k->children[i]->writes_out;
    k->nfor = (uint8_t)(nfor > 255 ? 255 : nfor);
    k->fork_tree = forks && !loops;
    k->is_comp = sc->kind == SC_COMP;
    k->par_ok = k->is_comp && !k->writes_out;
  }
  for (uint32_t i = 0; i < c->nconsts; i++)
    pf_decref(c->consts[i]);
  free(c->ins);
  free(c->lines);
  free(c->consts);
  free(c->gslots);
  free(c->gnames);
  free(c->gbuiltin);
  free(c->exc);
  free(c->children);
  free(c->bound);
  free(c);
  *st_p = st;
  return st == PF_OK ? k : NULL;
}

static pf_code *compile_child(cc *c, pf_scope *sc) {
  pf_status_t st = PF_OK;
  pf_code *k = compile_scope(c->p, sc, c->globals, c->file, c->err_p, &st);
  if (!k) {
    c->st = st;
    return NULL;
  }
  for (uint32_t i = 0; i < k->nfree; i++) {
    pf_sym *y = pf_scope_find(c->sc, k->cellnames[k->ncells + i]);
    if (!y || !(y->flags & (SYM_CELL | SYM_FREE))) {
      cc_fail(c, sc->node ? sc->node->line : 0, "InvalidRequest", "internal: unresolved free variable");
      return NULL;
    }
    k->free_src[i] = y->idx;
  }
  return k;
}

void cc_make_func(cc *c, pf_node *n, int dst) {
  int save = c->top;
  pf_node *a = n->a;
  uint32_t nd = a->c ? a->c->l1.n : 0;
  int base = c->top;
  for (uint32_t i = 0; i < nd + a->l3.n; i++)
    cc_tmp(c);
  for (uint32_t i = 0; i < nd; i++)
    cc_expr_to(c, a->c->l1.v[i], base + (int)i);
  for (uint32_t i = 0; i < a->l3.n; i++) {
    if (a->l4.v[i])
      cc_expr_to(c, a->l4.v[i], base + (int)(nd + i));
    else
      cc_emit(c, OP_LOADK, base + (int)(nd + i), cc_const(c, pf_unbound()), 0);
  }
  pf_code *k = compile_child(c, n->scope);
  if (k)
    cc_emit(c, OP_MAKE_FUNC, dst, add_child(c, k), base);
  c->top = save;
}

void cc_make_class(cc *c, pf_node *n, int dst) {
  if (n->l3.n) {
    cc_fail(c, n->line, "PythonToForaConversionError", "class keywords (metaclass=...) are not supported");
    return;
  }
  if (n->l2.n > 1) {
    cc_fail(c, n->line, "PythonToForaConversionError", "multiple inheritance is not supported in pyfora code");
    return;
  }
  int save = c->top;
  pf_code *k = compile_child(c, n->scope);
  if (!k)
    return;
  int f = cc_tmp(c);
  cc_emit(c, OP_MAKE_FUNC, f, add_child(c, k), 0);
  int ns = cc_tmp(c);
  cc_emit(c, OP_CALL, ns, f, 0);
  int base = 0xffff;
  if (n->l2.n)
    base = cc_expr_any(c, n->l2.v[0]);
  cc_emit(c, OP_MAKE_CLASS, dst, ns, base);
  cc_emit(c, OP_EXT, cc_str_const(c, n->s), 0, 0);
  c->top = save;
}

/* Compiles the scope "sc" (the block, or a definition's function/class) against the
 * global namespace "globals"; the code lives in the program's arena. */
pf_status_t pf_compile(pf_program *p, pf_scope *sc, pf_ns *globals, const char *file,
                       pf_code **out, json_t **err_p) {
  pf_status_t st = PF_OK;
  pf_code *k = compile_scope(p, sc, globals, file, err_p, &st);
  if (!k)
    return st;
  *out = k;
  return PF_OK;
}
