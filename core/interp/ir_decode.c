/* ir_decode.c — JSON IR (docs/ir.md) → arena AST, validating every node, field, type,
 * operator and identifier. Table-driven: one schema row per node type. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "interp_int.h"

#define PF_MAX_DEPTH 1000
#define PF_MAX_IDENT 255

enum {
  FK_EXPR, FK_EXPR_OPT, FK_STMTS, FK_EXPRS, FK_EXPRS_OPT, FK_IDENT, FK_IDENT_OPT, FK_BOOLOP,
  FK_BINOP, FK_UNOP, FK_CMPOPS, FK_ARGUMENTS, FK_ARG_OPT, FK_ARGS, FK_KEYWORDS, FK_COMPS,
  FK_HANDLERS, FK_ALIASES, FK_INT_OPT, FK_CONST, FK_EXPR_OR_JOINED
};
enum { S_S, S_S2, S_A, S_B, S_C, S_D, S_L1, S_L2, S_L3, S_L4, S_OP, S_IV, S_K };

typedef struct fdesc {
  const char *name;
  uint8_t kind, slot;
} fdesc;

typedef struct ndesc {
  const char *name;
  fdesc f[8];
} ndesc;

static const ndesc schema[N_COUNT] = {
    [N_FunctionDef] = {"FunctionDef", {{"name", FK_IDENT, S_S}, {"args", FK_ARGUMENTS, S_A},
                                       {"body", FK_STMTS, S_L1}, {"decorator_list", FK_EXPRS, S_L2}}},
    [N_ClassDef] = {"ClassDef", {{"name", FK_IDENT, S_S}, {"bases", FK_EXPRS, S_L2},
                                 {"keywords", FK_KEYWORDS, S_L3}, {"body", FK_STMTS, S_L1},
                                 {"decorator_list", FK_EXPRS, S_L4}}},
    [N_Return] = {"Return", {{"value", FK_EXPR_OPT, S_A}}},
    [N_Assign] = {"Assign", {{"targets", FK_EXPRS, S_L1}, {"value", FK_EXPR, S_A}}},
    [N_AnnAssign] = {"AnnAssign", {{"target", FK_EXPR, S_A}, {"value", FK_EXPR_OPT, S_B},
                                   {"simple", FK_INT_OPT, S_IV}}},
    [N_For] = {"For", {{"target", FK_EXPR, S_A}, {"iter", FK_EXPR, S_B}, {"body", FK_STMTS, S_L1},
                       {"orelse", FK_STMTS, S_L2}}},
    [N_While] = {"While", {{"test", FK_EXPR, S_A}, {"body", FK_STMTS, S_L1}, {"orelse", FK_STMTS, S_L2}}},
    [N_If] = {"If", {{"test", FK_EXPR, S_A}, {"body", FK_STMTS, S_L1}, {"orelse", FK_STMTS, S_L2}}},
    [N_Raise] = {"Raise", {{"exc", FK_EXPR_OPT, S_A}, {"cause", FK_EXPR_OPT, S_B}}},
    [N_Try] = {"Try", {{"body", FK_STMTS, S_L1}, {"handlers", FK_HANDLERS, S_L2},
                       {"orelse", FK_STMTS, S_L3}, {"finalbody", FK_STMTS, S_L4}}},
    [N_Assert] = {"Assert", {{"test", FK_EXPR, S_A}, {"msg", FK_EXPR_OPT, S_B}}},
    [N_Import] = {"Import", {{"names", FK_ALIASES, S_L1}}},
    [N_ImportFrom] = {"ImportFrom", {{"module", FK_IDENT_OPT, S_S}, {"names", FK_ALIASES, S_L1},
                                     {"level", FK_INT_OPT, S_IV}}},
    [N_Expr] = {"Expr", {{"value", FK_EXPR, S_A}}},
    [N_Pass] = {"Pass", {{0}}},
    [N_Break] = {"Break", {{0}}},
    [N_Continue] = {"Continue", {{0}}},
    [N_BoolOp] = {"BoolOp", {{"op", FK_BOOLOP, S_OP}, {"values", FK_EXPRS, S_L1}}},
    [N_NamedExpr] = {"NamedExpr", {{"target", FK_EXPR, S_A}, {"value", FK_EXPR, S_B}}},
    [N_BinOp] = {"BinOp", {{"left", FK_EXPR, S_A}, {"op", FK_BINOP, S_OP}, {"right", FK_EXPR, S_B}}},
    [N_UnaryOp] = {"UnaryOp", {{"op", FK_UNOP, S_OP}, {"operand", FK_EXPR, S_A}}},
    [N_Lambda] = {"Lambda", {{"args", FK_ARGUMENTS, S_A}, {"body", FK_EXPR, S_B}}},
    [N_IfExp] = {"IfExp", {{"test", FK_EXPR, S_A}, {"body", FK_EXPR, S_B}, {"orelse", FK_EXPR, S_C}}},
    [N_Dict] = {"Dict", {{"keys", FK_EXPRS_OPT, S_L1}, {"values", FK_EXPRS, S_L2}}},
    [N_Set] = {"Set", {{"elts", FK_EXPRS, S_L1}}},
    [N_ListComp] = {"ListComp", {{"elt", FK_EXPR, S_A}, {"generators", FK_COMPS, S_L1}}},
    [N_SetComp] = {"SetComp", {{"elt", FK_EXPR, S_A}, {"generators", FK_COMPS, S_L1}}},
    [N_DictComp] = {"DictComp", {{"key", FK_EXPR, S_A}, {"value", FK_EXPR, S_B},
                                 {"generators", FK_COMPS, S_L1}}},
    [N_GeneratorExp] = {"GeneratorExp", {{"elt", FK_EXPR, S_A}, {"generators", FK_COMPS, S_L1}}},
    [N_Yield] = {"Yield", {{"value", FK_EXPR_OPT, S_A}}},
    [N_YieldFrom] = {"YieldFrom", {{"value", FK_EXPR, S_A}}},
    [N_Compare] = {"Compare", {{"left", FK_EXPR, S_A}, {"ops", FK_CMPOPS, S_OP},
                               {"comparators", FK_EXPRS, S_L1}}},
    [N_Call] = {"Call", {{"func", FK_EXPR, S_A}, {"args", FK_EXPRS, S_L1}, {"keywords", FK_KEYWORDS, S_L2}}},
    [N_FormattedValue] = {"FormattedValue", {{"value", FK_EXPR, S_A}, {"conversion", FK_INT_OPT, S_IV},
                                             {"format_spec", FK_EXPR_OPT, S_B}}},
    [N_JoinedStr] = {"JoinedStr", {{"values", FK_EXPRS, S_L1}}},
    [N_Constant] = {"Constant", {{"value", FK_CONST, S_K}}},
    [N_Attribute] = {"Attribute", {{"value", FK_EXPR, S_A}, {"attr", FK_IDENT, S_S}}},
    [N_Subscript] = {"Subscript", {{"value", FK_EXPR, S_A}, {"slice", FK_EXPR, S_B}}},
    [N_Starred] = {"Starred", {{"value", FK_EXPR, S_A}}},
    [N_Name] = {"Name", {{"id", FK_IDENT, S_S}}},
    [N_List] = {"List", {{"elts", FK_EXPRS, S_L1}}},
    [N_Tuple] = {"Tuple", {{"elts", FK_EXPRS, S_L1}}},
    [N_Slice] = {"Slice", {{"lower", FK_EXPR_OPT, S_A}, {"upper", FK_EXPR_OPT, S_B}, {"step", FK_EXPR_OPT, S_C}}},
    [N_arguments] = {"arguments", {{"posonlyargs", FK_ARGS, S_L1}, {"args", FK_ARGS, S_L2},
                                   {"vararg", FK_ARG_OPT, S_A}, {"kwonlyargs", FK_ARGS, S_L3},
                                   {"kw_defaults", FK_EXPRS_OPT, S_L4}, {"kwarg", FK_ARG_OPT, S_B},
                                   {"defaults", FK_EXPRS, S_C}}},
    [N_arg] = {"arg", {{"arg", FK_IDENT, S_S}}},
    [N_keyword] = {"keyword", {{"arg", FK_IDENT_OPT, S_S}, {"value", FK_EXPR, S_A}}},
    [N_comprehension] = {"comprehension", {{"target", FK_EXPR, S_A}, {"iter", FK_EXPR, S_B},
                                           {"ifs", FK_EXPRS, S_L1}, {"is_async", FK_INT_OPT, S_IV}}},
    [N_ExceptHandler] = {"ExceptHandler", {{"type", FK_EXPR_OPT, S_A}, {"name", FK_IDENT_OPT, S_S},
                                           {"body", FK_STMTS, S_L1}}},
    [N_alias] = {"alias", {{"name", FK_IDENT, S_S}, {"asname", FK_IDENT_OPT, S_S2}}},
};

static const char *const binop_names[PF_OP_BINOP_COUNT] = {
    [PF_OP_ADD] = "Add", [PF_OP_SUB] = "Sub", [PF_OP_MUL] = "Mult", [PF_OP_TRUEDIV] = "Div",
    [PF_OP_FLOORDIV] = "FloorDiv", [PF_OP_MOD] = "Mod", [PF_OP_POW] = "Pow",
    [PF_OP_LSHIFT] = "LShift", [PF_OP_RSHIFT] = "RShift", [PF_OP_BITAND] = "BitAnd",
    [PF_OP_BITOR] = "BitOr", [PF_OP_BITXOR] = "BitXor", [PF_OP_MATMUL] = "MatMult"};
static const char *const cmp_names[] = {"Eq", "NotEq", "Lt", "LtE", "Gt", "GtE",
                                        "Is", "IsNot", "In", "NotIn"};

/* Constructs rejected as PythonToForaConversionError. */
static const struct {
  const char *name, *msg;
} forbidden[] = {
    {"Delete", "del statements are not allowed in pyfora code"},
    {"AugAssign", "augmented assignment (x += ...) is not allowed in pyfora code"},
    {"Global", "global statements are not allowed in pyfora code"},
    {"Nonlocal", "nonlocal statements are not allowed in pyfora code"},
    {"With", "with statements are not allowed in pyfora code"},
    {"AsyncFunctionDef", "async functions are not allowed in pyfora code"},
    {"AsyncFor", "async for is not allowed in pyfora code"},
    {"AsyncWith", "async with is not allowed in pyfora code"},
    {"Await", "await is not allowed in pyfora code"},
    {"Match", "match statements are not supported in pyfora code (IR v1)"},
};

typedef struct dctx {
  pf_program *p;
  json_t **err_p;
  char path[1024];
  size_t plen;
  int depth;
  int file;
} dctx;

pf_status_t pf_lerr_set(json_t **err_p, const char *type, const char *file, int line,
                        const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err_p && !*err_p) {
    json_t *o = json_object();
    if (o) {
      json_object_set_new(o, "type", json_string(type));
      json_object_set_new(o, "message", json_string(msg));
      if (file)
        json_object_set_new(o, "file", json_string(file));
      if (line > 0)
        json_object_set_new(o, "line", json_integer(line));
    }
    *err_p = o;
  }
  return PF_EPROTO;
}

static pf_status_t bad(dctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static pf_status_t bad(dctx *d, const char *fmt, ...) {
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return pf_lerr_set(d->err_p, "InvalidRequest", NULL, 0, "%s: %s", d->path, msg);
}

static size_t path_push(dctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(dctx *d, const char *fmt, ...) {
  size_t old = d->plen;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(d->path + d->plen, sizeof d->path - d->plen, fmt, ap);
  va_end(ap);
  if (n > 0)
    d->plen += (size_t)n < sizeof d->path - d->plen ? (size_t)n : sizeof d->path - d->plen - 1;
  return old;
}
static void path_pop(dctx *d, size_t old) {
  d->plen = old;
  d->path[old] = 0;
}

static bool ident_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > PF_MAX_IDENT)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  return true;
}

static pf_status_t dec_node(dctx *d, const json_t *j, int want, pf_node **out);
enum { W_STMT, W_EXPR, W_HELPER };

static pf_status_t dec_list(dctx *d, const json_t *j, int want, pf_ntype helper, bool opt_elems,
                            pf_nlist *out) {
  if (!json_is_array(j))
    return bad(d, "expected an array");
  size_t n = json_array_size(j);
  out->n = (uint32_t)n;
  out->v = n ? pf_arena_alloc(&d->p->arena, n * sizeof(pf_node *)) : NULL;
  if (n && !out->v)
    return PF_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    size_t old = path_push(d, "[%zu]", i);
    const json_t *e = json_array_get(j, i);
    pf_status_t st = PF_OK;
    if (opt_elems && json_is_null(e))
      out->v[i] = NULL;
    else {
      st = dec_node(d, e, want, &out->v[i]);
      if (st == PF_OK && want == W_HELPER && out->v[i]->t != helper)
        st = bad(d, "expected a '%s' node", schema[helper].name);
    }
    if (st != PF_OK)
      return st;
    path_pop(d, old);
  }
  return PF_OK;
}

static pf_status_t dec_field(dctx *d, pf_node *nd, const fdesc *fd, const json_t *v) {
  pf_node **single = fd->slot == S_A ? &nd->a : fd->slot == S_B ? &nd->b
                   : fd->slot == S_C ? &nd->c : &nd->d;
  pf_nlist *list = fd->slot == S_L1 ? &nd->l1 : fd->slot == S_L2 ? &nd->l2
                 : fd->slot == S_L3 ? &nd->l3 : &nd->l4;
  bool absent = v == NULL || json_is_null(v);
  switch (fd->kind) {
  case FK_EXPR:
    if (absent)
      return bad(d, "missing required field");
    return dec_node(d, v, W_EXPR, single);
  case FK_EXPR_OPT:
    if (absent)
      return PF_OK;
    return dec_node(d, v, W_EXPR, single);
  case FK_STMTS:
    if (absent)
      return PF_OK;
    return dec_list(d, v, W_STMT, N_NONE, false, list);
  case FK_EXPRS:
    if (absent) {
      if (fd->slot == S_C) /* arguments.defaults lives in a single slot as a pseudo list */
        return PF_OK;
      return PF_OK;
    }
    if (fd->slot == S_C) { /* arguments.defaults: store as l-list in a Tuple-like holder */
      pf_node *h = pf_arena_alloc(&d->p->arena, sizeof *h);
      if (!h)
        return PF_ENOMEM;
      h->t = N_Tuple;
      *single = h;
      return dec_list(d, v, W_EXPR, N_NONE, false, &h->l1);
    }
    return dec_list(d, v, W_EXPR, N_NONE, false, list);
  case FK_EXPRS_OPT:
    if (absent)
      return PF_OK;
    return dec_list(d, v, W_EXPR, N_NONE, true, list);
  case FK_IDENT:
  case FK_IDENT_OPT: {
    if (absent) {
      if (fd->kind == FK_IDENT)
        return bad(d, "missing required field");
      return PF_OK;
    }
    if (!json_is_string(v))
      return bad(d, "expected an identifier string");
    const char *s = json_string_value(v);
    bool dotted = nd->t == N_alias || nd->t == N_ImportFrom;
    if (dotted ? !*s || strlen(s) > PF_MAX_IDENT : !ident_ok(s))
      return bad(d, "invalid identifier '%.60s'", s);
    char *c = pf_arena_strdup(&d->p->arena, s);
    if (!c)
      return PF_ENOMEM;
    if (fd->slot == S_S)
      nd->s = c;
    else
      nd->s2 = c;
    return PF_OK;
  }
  case FK_BOOLOP:
  case FK_BINOP:
  case FK_UNOP: {
    if (!json_is_string(v))
      return bad(d, "expected an operator name");
    const char *s = json_string_value(v);
    if (fd->kind == FK_BOOLOP) {
      if (!strcmp(s, "And"))
        nd->op = PF_BOOL_AND;
      else if (!strcmp(s, "Or"))
        nd->op = PF_BOOL_OR;
      else
        return bad(d, "unknown boolean operator '%.60s'", s);
    } else if (fd->kind == FK_BINOP) {
      int k = -1;
      for (int i = 0; i < PF_OP_BINOP_COUNT; i++)
        if (!strcmp(s, binop_names[i]))
          k = i;
      if (k < 0)
        return bad(d, "unknown binary operator '%.60s'", s);
      nd->op = (uint8_t)k;
    } else {
      if (!strcmp(s, "USub"))
        nd->op = PF_OP_NEG;
      else if (!strcmp(s, "UAdd"))
        nd->op = PF_OP_POS;
      else if (!strcmp(s, "Not"))
        nd->op = PF_OP_NOT;
      else if (!strcmp(s, "Invert"))
        nd->op = PF_OP_INVERT;
      else
        return bad(d, "unknown unary operator '%.60s'", s);
    }
    return PF_OK;
  }
  case FK_CMPOPS: {
    if (!json_is_array(v) || json_array_size(v) == 0)
      return bad(d, "expected a non-empty array of comparison operators");
    size_t n = json_array_size(v);
    nd->ops = pf_arena_alloc(&d->p->arena, n);
    if (!nd->ops)
      return PF_ENOMEM;
    nd->iv = (int64_t)n;
    for (size_t i = 0; i < n; i++) {
      const json_t *e = json_array_get(v, i);
      const char *s = json_is_string(e) ? json_string_value(e) : "";
      int k = -1;
      for (int c = 0; c < 10; c++)
        if (!strcmp(s, cmp_names[c]))
          k = c;
      if (k < 0) {
        size_t old = path_push(d, "[%zu]", i);
        pf_status_t st = bad(d, "unknown comparison operator '%.60s'", s);
        path_pop(d, old);
        return st;
      }
      nd->ops[i] = (uint8_t)k;
    }
    return PF_OK;
  }
  case FK_ARGUMENTS:
  case FK_ARG_OPT: {
    if (absent) {
      if (fd->kind == FK_ARGUMENTS)
        return bad(d, "missing required field");
      return PF_OK;
    }
    pf_status_t st = dec_node(d, v, W_HELPER, single);
    if (st == PF_OK && (*single)->t != (fd->kind == FK_ARGUMENTS ? N_arguments : N_arg))
      return bad(d, "expected an '%s' node", fd->kind == FK_ARGUMENTS ? "arguments" : "arg");
    return st;
  }
  case FK_ARGS:
  case FK_KEYWORDS:
  case FK_COMPS:
  case FK_HANDLERS:
  case FK_ALIASES: {
    if (absent)
      return PF_OK;
    pf_ntype h = fd->kind == FK_ARGS ? N_arg : fd->kind == FK_KEYWORDS ? N_keyword
               : fd->kind == FK_COMPS ? N_comprehension : fd->kind == FK_HANDLERS ? N_ExceptHandler
               : N_alias;
    return dec_list(d, v, W_HELPER, h, false, list);
  }
  case FK_INT_OPT:
    if (absent)
      return PF_OK;
    if (!json_is_integer(v))
      return bad(d, "expected an integer");
    nd->iv = json_integer_value(v);
    return PF_OK;
  case FK_CONST: {
    if (v == NULL)
      return bad(d, "missing required field");
    pf_err e;
    pf_val k;
    if (pf_val_from_json(v, NULL, NULL, &k, &e) != PF_OK)
      return bad(d, "bad constant: %s", e.msg);
    bool ok = k.tag == PF_NONE || k.tag == PF_BOOL || pf_is_int(k) || k.tag == PF_FLOAT ||
              pf_is_type(k, &pf_type_str);
    if (!ok) {
      pf_decref(k);
      return bad(d, "a Constant must be None, bool, int, float or str");
    }
    nd->k = k;
    if (pf_prog_own(d->p, k) != PF_OK)
      return PF_ENOMEM;
    return PF_OK;
  }
  }
  return bad(d, "internal: bad schema");
}

static pf_status_t dec_node(dctx *d, const json_t *j, int want, pf_node **out) {
  if (!json_is_object(j))
    return bad(d, "expected a node object");
  if (d->depth >= PF_MAX_DEPTH)
    return bad(d, "nesting deeper than %d levels", PF_MAX_DEPTH);
  const json_t *tj = json_object_get(j, "t");
  if (!json_is_string(tj))
    return bad(d, "node without a string \"t\"");
  const char *t = json_string_value(tj);
  const json_t *lj = json_object_get(j, "line"), *cj = json_object_get(j, "col");
  int line = json_is_integer(lj) ? (int)json_integer_value(lj) : 0;
  for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
    if (!strcmp(t, forbidden[i].name)) {
      const char *file = d->file >= 0 && (uint32_t)d->file < d->p->nfiles ? d->p->files[d->file] : NULL;
      return pf_lerr_set(d->err_p, "PythonToForaConversionError", file, line, "%s",
                         forbidden[i].msg);
    }
  int ty = 0;
  int lo = want == W_STMT ? 1 : want == W_EXPR ? N_STMT_END + 1 : N_EXPR_END + 1;
  int hi = want == W_STMT ? N_STMT_END : want == W_EXPR ? N_EXPR_END : N_COUNT;
  for (int i = lo; i < hi; i++)
    if (!strcmp(t, schema[i].name))
      ty = i;
  if (!ty)
    return bad(d, "unknown %s node '%.60s'",
               want == W_STMT ? "statement" : want == W_EXPR ? "expression" : "helper", t);
  bool need_pos = want != W_HELPER;
  if (lj && !json_is_integer(lj))
    return bad(d, "\"line\" must be an integer");
  if (cj && !json_is_integer(cj))
    return bad(d, "\"col\" must be an integer");
  if (need_pos && (!lj || !cj))
    return bad(d, "%s node without \"line\"/\"col\"", t);
  if (lj && (json_integer_value(lj) < 0 || json_integer_value(lj) > INT32_MAX))
    return bad(d, "\"line\" out of range");
  if (cj && (json_integer_value(cj) < 0 || json_integer_value(cj) > INT32_MAX))
    return bad(d, "\"col\" out of range");
  pf_node *nd = pf_arena_alloc(&d->p->arena, sizeof *nd);
  if (!nd)
    return PF_ENOMEM;
  nd->t = (uint8_t)ty;
  nd->line = line;
  nd->col = cj ? (int)json_integer_value(cj) : 0;
  nd->k = pf_unbound();
  d->depth++;
  for (const fdesc *fd = schema[ty].f; fd->name; fd++) {
    size_t old = path_push(d, ".%s", fd->name);
    pf_status_t st = dec_field(d, nd, fd, json_object_get(j, fd->name));
    if (st != PF_OK)
      return st;
    path_pop(d, old);
  }
  d->depth--;
  /* structural checks */
  if (ty == N_Compare && (size_t)nd->iv != nd->l1.n)
    return bad(d, "Compare: %u operators but %u comparators", (unsigned)nd->iv, nd->l1.n);
  if (ty == N_Dict && nd->l1.n != nd->l2.n)
    return bad(d, "Dict: keys and values differ in length");
  if (ty == N_BoolOp && nd->l1.n < 2)
    return bad(d, "BoolOp needs at least two values");
  if ((ty == N_ListComp || ty == N_SetComp || ty == N_DictComp || ty == N_GeneratorExp) &&
      nd->l1.n == 0)
    return bad(d, "comprehension without generators");
  if (ty == N_comprehension && nd->iv != 0)
    return pf_lerr_set(d->err_p, "PythonToForaConversionError", NULL, 0,
                       "async comprehensions are not allowed in pyfora code");
  if (ty == N_Assign && nd->l1.n == 0)
    return bad(d, "Assign without targets");
  if (ty == N_arguments && nd->l3.n != nd->l4.n)
    return bad(d, "arguments: kwonlyargs and kw_defaults differ in length");
  if (ty == N_FormattedValue && nd->iv != -1 && nd->iv != 's' && nd->iv != 'r' && nd->iv != 'a')
    return bad(d, "bad conversion %lld", (long long)nd->iv);
  *out = nd;
  return PF_OK;
}

static void dctx_init(dctx *d, pf_program *p, const char *path, json_t **err_p) {
  d->p = p;
  d->err_p = err_p;
  d->plen = 0;
  d->depth = 0;
  d->file = p->cur_file;
  path_push(d, "%s", path);
}

/* Decodes the statement list "j" (borrowed) at "path"; nodes live in the program's arena. */
pf_status_t pf_ir_decode_stmts(pf_program *p, const json_t *j, const char *path, pf_nlist *out,
                               json_t **err_p) {
  dctx d;
  dctx_init(&d, p, path, err_p);
  return dec_list(&d, j, W_STMT, N_NONE, false, out);
}

/* Decodes one node: a statement when "stmt", else an expression. */
pf_status_t pf_ir_decode_node(pf_program *p, const json_t *j, const char *path, bool stmt,
                              pf_node **out, json_t **err_p) {
  dctx d;
  dctx_init(&d, p, path, err_p);
  return dec_node(&d, j, stmt ? W_STMT : W_EXPR, out);
}
