/* scope.c — symbol tables as Python's symtable: which names are locals, cells, free
 * variables or globals in each function, lambda, comprehension, class body and the block. */
#include <string.h>

#include "interp_int.h"

typedef struct sctx {
  pf_program *p;
  json_t **err_p;
  const char *file;
  pf_status_t st;
} sctx;

/* Returns the symbol "name" of "s", or NULL. */
pf_sym *pf_scope_find(pf_scope *s, const char *name) {
  for (uint32_t i = 0; i < s->nsyms; i++)
    if (!strcmp(s->syms[i].name, name))
      return &s->syms[i];
  return NULL;
}

static pf_sym *sym_add(sctx *c, pf_scope *s, const char *name, uint8_t flags) {
  pf_sym *y = pf_scope_find(s, name);
  if (y) {
    y->flags |= flags;
    return y;
  }
  if (s->nsyms == s->capsyms) {
    uint32_t cap = s->capsyms ? s->capsyms * 2 : 16;
    pf_sym *n = pf_arena_alloc(&c->p->arena, cap * sizeof *n);
    if (!n) {
      c->st = PF_ENOMEM;
      return NULL;
    }
    if (s->nsyms)
      memcpy(n, s->syms, s->nsyms * sizeof *n);
    s->syms = n;
    s->capsyms = cap;
  }
  y = &s->syms[s->nsyms++];
  y->name = name;
  y->flags = flags;
  y->idx = -1;
  return y;
}

static pf_scope *scope_new(sctx *c, int kind, pf_scope *parent, pf_node *node, const char *name) {
  pf_scope *s = pf_arena_alloc(&c->p->arena, sizeof *s);
  if (!s) {
    c->st = PF_ENOMEM;
    return NULL;
  }
  s->kind = kind;
  s->parent = parent;
  s->node = node;
  s->name = name;
  if (node)
    node->scope = s;
  return s;
}

static void v_expr(sctx *c, pf_scope *s, pf_node *n);
static void v_stmts(sctx *c, pf_scope *s, pf_nlist *l);

static void bind_target(sctx *c, pf_scope *s, pf_node *t) {
  if (!t)
    return;
  switch (t->t) {
  case N_Name:
    sym_add(c, s, t->s, SYM_BOUND);
    break;
  case N_Tuple:
  case N_List:
    for (uint32_t i = 0; i < t->l1.n; i++)
      bind_target(c, s, t->l1.v[i]);
    break;
  case N_Starred:
    bind_target(c, s, t->a);
    break;
  default: /* Attribute/Subscript targets: the compiler checks them; their parts are reads */
    v_expr(c, s, t);
  }
}

static void v_list(sctx *c, pf_scope *s, pf_nlist *l) {
  for (uint32_t i = 0; i < l->n; i++)
    if (l->v[i])
      v_expr(c, s, l->v[i]);
}

static void v_params(sctx *c, pf_scope *f, pf_node *args) {
  pf_nlist *ls[3] = {&args->l1, &args->l2, &args->l3};
  for (int k = 0; k < 3; k++)
    for (uint32_t i = 0; i < ls[k]->n; i++)
      sym_add(c, f, ls[k]->v[i]->s, SYM_BOUND | SYM_PARAM);
  if (args->a)
    sym_add(c, f, args->a->s, SYM_BOUND | SYM_PARAM);
  if (args->b)
    sym_add(c, f, args->b->s, SYM_BOUND | SYM_PARAM);
}

static void v_arg_defaults(sctx *c, pf_scope *s, pf_node *args) {
  if (args->c)
    v_list(c, s, &args->c->l1);
  v_list(c, s, &args->l4);
}

static void v_comp(sctx *c, pf_scope *s, pf_node *n) {
  pf_node *g0 = n->l1.v[0];
  v_expr(c, s, g0->b);
  const char *nm = n->t == N_GeneratorExp ? "<genexpr>" : n->t == N_ListComp ? "<listcomp>"
                 : n->t == N_SetComp ? "<setcomp>" : "<dictcomp>";
  pf_scope *cs = scope_new(c, SC_COMP, s, n, nm);
  if (!cs)
    return;
  cs->is_gen = n->t == N_GeneratorExp;
  sym_add(c, cs, ".0", SYM_BOUND | SYM_PARAM);
  for (uint32_t i = 0; i < n->l1.n; i++) {
    pf_node *g = n->l1.v[i];
    if (i > 0)
      v_expr(c, cs, g->b);
    bind_target(c, cs, g->a);
    v_list(c, cs, &g->l1);
  }
  v_expr(c, cs, n->a);
  if (n->b)
    v_expr(c, cs, n->b);
}

static void v_expr(sctx *c, pf_scope *s, pf_node *n) {
  if (!n || c->st != PF_OK)
    return;
  switch (n->t) {
  case N_Name:
    sym_add(c, s, n->s, SYM_USED);
    return;
  case N_NamedExpr: {
    pf_scope *t = s;
    while (t->kind == SC_COMP && t->parent)
      t = t->parent;
    sym_add(c, t, n->a->s, SYM_BOUND);
    if (t != s)
      sym_add(c, s, n->a->s, SYM_USED);
    v_expr(c, s, n->b);
    return;
  }
  case N_Lambda: {
    v_arg_defaults(c, s, n->a);
    pf_scope *f = scope_new(c, SC_FUNC, s, n, "<lambda>");
    if (!f)
      return;
    v_params(c, f, n->a);
    v_expr(c, f, n->b);
    return;
  }
  case N_ListComp:
  case N_SetComp:
  case N_DictComp:
  case N_GeneratorExp:
    v_comp(c, s, n);
    return;
  case N_Yield:
  case N_YieldFrom:
    s->is_gen = true;
    v_expr(c, s, n->a);
    return;
  case N_Constant:
    return;
  case N_keyword:
    v_expr(c, s, n->a);
    return;
  default:
    v_expr(c, s, n->a);
    v_expr(c, s, n->b);
    v_expr(c, s, n->c);
    v_list(c, s, &n->l1);
    v_list(c, s, &n->l2);
    return;
  }
}

static void v_stmt(sctx *c, pf_scope *s, pf_node *n) {
  if (c->st != PF_OK)
    return;
  switch (n->t) {
  case N_FunctionDef: {
    sym_add(c, s, n->s, SYM_BOUND);
    v_list(c, s, &n->l2);
    v_arg_defaults(c, s, n->a);
    pf_scope *f = scope_new(c, SC_FUNC, s, n, n->s);
    if (!f)
      return;
    v_params(c, f, n->a);
    v_stmts(c, f, &n->l1);
    return;
  }
  case N_ClassDef: {
    sym_add(c, s, n->s, SYM_BOUND);
    v_list(c, s, &n->l2);
    v_list(c, s, &n->l4);
    pf_scope *k = scope_new(c, SC_CLASS, s, n, n->s);
    if (!k)
      return;
    v_stmts(c, k, &n->l1);
    return;
  }
  case N_Assign:
    v_expr(c, s, n->a);
    for (uint32_t i = 0; i < n->l1.n; i++)
      bind_target(c, s, n->l1.v[i]);
    return;
  case N_AnnAssign:
    v_expr(c, s, n->b);
    if (n->b)
      bind_target(c, s, n->a);
    return;
  case N_For:
    v_expr(c, s, n->b);
    bind_target(c, s, n->a);
    v_stmts(c, s, &n->l1);
    v_stmts(c, s, &n->l2);
    return;
  case N_While:
  case N_If:
    v_expr(c, s, n->a);
    v_stmts(c, s, &n->l1);
    v_stmts(c, s, &n->l2);
    return;
  case N_Try:
    v_stmts(c, s, &n->l1);
    for (uint32_t i = 0; i < n->l2.n; i++) {
      pf_node *h = n->l2.v[i];
      v_expr(c, s, h->a);
      if (h->s)
        sym_add(c, s, h->s, SYM_BOUND);
      v_stmts(c, s, &h->l1);
    }
    v_stmts(c, s, &n->l3);
    v_stmts(c, s, &n->l4);
    return;
  case N_Import:
  case N_ImportFrom:
    for (uint32_t i = 0; i < n->l1.n; i++) {
      pf_node *al = n->l1.v[i];
      const char *nm = al->s2;
      if (!nm) {
        if (n->t == N_Import && strchr(al->s, '.')) {
          size_t k = (size_t)(strchr(al->s, '.') - al->s);
          char *t = pf_arena_alloc(&c->p->arena, k + 1);
          if (!t) {
            c->st = PF_ENOMEM;
            return;
          }
          memcpy(t, al->s, k);
          nm = t;
        } else
          nm = al->s;
      }
      sym_add(c, s, nm, SYM_BOUND);
    }
    return;
  default: /* Return, Raise, Assert, Expr, Pass, Break, Continue */
    v_expr(c, s, n->a);
    v_expr(c, s, n->b);
    return;
  }
}

static void v_stmts(sctx *c, pf_scope *s, pf_nlist *l) {
  for (uint32_t i = 0; i < l->n; i++)
    v_stmt(c, s, l->v[i]);
}

/* Does "name", read from a scope nested in "p", resolve to a closure cell? Marks the cell. */
static bool closure_of(sctx *c, pf_scope *p, const char *name) {
  for (; p; p = p->parent) {
    if (p->kind == SC_CLASS)
      continue;
    if (p->kind == SC_BLOCK)
      return false;
    pf_sym *y = pf_scope_find(p, name);
    if (y && (y->flags & SYM_BOUND)) {
      y->flags |= SYM_CELL;
      return true;
    }
    if (y && (y->flags & SYM_FREE))
      return true;
    if (p->def_top) {
      if (p->def_freevars && json_object_get(p->def_freevars, name)) {
        sym_add(c, p, name, SYM_FREE);
        return true;
      }
      return false;
    }
  }
  return false;
}

static void resolve(sctx *c, pf_scope *s, pf_node *root);

static void resolve_children(sctx *c, pf_scope *s, pf_node *n);

static void resolve_list(sctx *c, pf_scope *s, pf_nlist *l) {
  for (uint32_t i = 0; i < l->n; i++)
    if (l->v[i])
      resolve_children(c, s, l->v[i]);
}

/* Finds the scopes directly nested in "s" below node "n" and resolves them. */
static void resolve_children(sctx *c, pf_scope *s, pf_node *n) {
  if (!n || c->st != PF_OK)
    return;
  if (n->scope && n->scope != s) {
    /* the parts evaluated in the enclosing scope were visited there; nested scope now */
    resolve(c, n->scope, n);
    if (n->t == N_FunctionDef || n->t == N_Lambda) {
      resolve_list(c, s, &n->l2);
      if (n->a->c)
        resolve_list(c, s, &n->a->c->l1);
      resolve_list(c, s, &n->a->l4);
    } else if (n->t == N_ClassDef) {
      resolve_list(c, s, &n->l2);
    } else {
      resolve_children(c, s, n->l1.v[0]->b);
    }
    return;
  }
  resolve_children(c, s, n->a);
  resolve_children(c, s, n->b);
  resolve_children(c, s, n->c);
  resolve_children(c, s, n->d);
  resolve_list(c, s, &n->l1);
  resolve_list(c, s, &n->l2);
  resolve_list(c, s, &n->l3);
  resolve_list(c, s, &n->l4);
}

static void resolve(sctx *c, pf_scope *s, pf_node *root) {
  for (uint32_t i = 0; i < s->nsyms; i++) {
    pf_sym *y = &s->syms[i];
    if (s->kind == SC_BLOCK) {
      y->flags |= SYM_GLOBAL;
      continue;
    }
    if (y->flags & (SYM_BOUND | SYM_FREE))
      continue;
    bool clo = false;
    if (s->def_top)
      clo = s->def_freevars && json_object_get(s->def_freevars, y->name);
    else
      clo = closure_of(c, s->parent, y->name);
    if (clo) {
      /* intermediate scopes pass the cell through */
      for (pf_scope *q = s->parent; q; q = q->parent) {
        pf_sym *z = pf_scope_find(q, y->name);
        if (z && (z->flags & (SYM_BOUND | SYM_FREE)))
          break;
        if (!sym_add(c, q, y->name, SYM_FREE))
          return;
        y = &s->syms[i];
      }
      y->flags |= SYM_FREE;
    } else
      y->flags |= SYM_GLOBAL;
  }
  if (root->t == N_NONE) /* the block's pseudo node: statements in l1 */
    resolve_list(c, s, &root->l1);
  else if (root->t == N_FunctionDef || root->t == N_ClassDef)
    resolve_list(c, s, &root->l1);
  else if (root->t == N_Lambda)
    resolve_children(c, s, root->b);
  else { /* comprehension */
    for (uint32_t i = 0; i < root->l1.n; i++) {
      pf_node *g = root->l1.v[i];
      if (i > 0)
        resolve_children(c, s, g->b);
      resolve_children(c, s, g->a);
      resolve_list(c, s, &g->l1);
    }
    resolve_children(c, s, root->a);
    resolve_children(c, s, root->b);
  }
}

/* Builds and resolves the scope tree rooted at "top": the block pseudo-node (kind SC_BLOCK)
 * or a definition's FunctionDef/Lambda/ClassDef (kind SC_FUNC/SC_CLASS, "freevars" the
 * definition's closure map, borrowed). Scopes live in the program's arena. */
pf_status_t pf_scope_build(pf_program *p, pf_node *top, int kind, const json_t *freevars,
                           const char *file, pf_scope **out, json_t **err_p) {
  sctx c = {.p = p, .err_p = err_p, .file = file, .st = PF_OK};
  pf_scope *s = scope_new(&c, kind, NULL, top, top->s ? top->s : "<block>");
  if (!s)
    return PF_ENOMEM;
  s->def_top = kind != SC_BLOCK;
  s->def_freevars = freevars;
  if (top->t == N_FunctionDef) {
    v_params(&c, s, top->a);
    v_stmts(&c, s, &top->l1);
  } else if (top->t == N_Lambda) {
    s->name = "<lambda>";
    v_params(&c, s, top->a);
    v_expr(&c, s, top->b);
  } else
    v_stmts(&c, s, &top->l1);
  if (c.st != PF_OK)
    return c.st;
  resolve(&c, s, top);
  if (c.st != PF_OK)
    return c.st;
  *out = s;
  return PF_OK;
}
