/* infer.c — type inference over register bytecode: for one function and argument
 * signature, the type of every register before every reachable instruction, and the
 * result type; callees get their own (function, signature) specialisations. Anything
 * native code cannot do makes the whole compile "not compilable", with a reason. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_compile.h"

static const char *const opnames[] = {
#define PF_X_NAME(n) #n,
    PF_OPCODES(PF_X_NAME)
#undef PF_X_NAME
};

const char *pf_jit_type_name(int t) {
  static const char *const names[] = {"nothing", "int", "float", "bool", "None", "unbound",
                                      "function", "range", "range", "range_iterator",
                                      "builtin", "module", "math function", "int or float",
                                      "sequence", "sequence iterator", "instance",
                                      "method", "mixed"};
  return t >= 0 && t <= JT_ANY ? names[t] : "?";
}

void pf_jit_fail(jcc *c, const char *fmt, ...) {
  if (c->failed)
    return;
  c->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, c->why_len, fmt, ap);
  va_end(ap);
}

/* Whether spec "s" has the classes "icls" (NULL: none) for its instance arguments. */
static bool same_cls(const jspec *s, const uint16_t *icls) {
  for (uint32_t j = 0; j < PF_JIT_MAXARGS; j++)
    if (jsig_arg(s->sig, j) == JSIG_INST && s->icls[j] != (icls ? icls[j] : 0))
      return false;
  return true;
}

int pf_jit_spec_find(jcc *c, uint16_t fn, uint32_t sig, const uint16_t *icls) {
  for (uint32_t i = 0; i < c->nsp; i++)
    if (c->sp[i].fn == fn && c->sp[i].sig == sig && same_cls(&c->sp[i], icls))
      return (int)i;
  return -1;
}

static int spec_get(jcc *c, uint16_t fn, uint32_t sig, const uint16_t *icls) {
  int i = pf_jit_spec_find(c, fn, sig, icls);
  if (i >= 0)
    return i;
  if (c->nsp >= PF_JIT_MAXSPECS) {
    pf_jit_fail(c, "too many specialisations in one call graph");
    return -1;
  }
  const jfn *f = &c->s->fns[fn];
  jspec *s = &c->sp[c->nsp];
  memset(s, 0, sizeof *s);
  s->fn = fn;
  s->sig = sig;
  for (uint32_t j = 0; j < PF_JIT_MAXARGS && icls; j++)
    s->icls[j] = jsig_arg(sig, j) == JSIG_INST ? icls[j] : 0;
  s->in = calloc((size_t)f->nins * (f->nregs + 1), sizeof(jty));
  s->reached = calloc(f->nins + 1, 1);
  if (!s->in || !s->reached) {
    free(s->in);
    free(s->reached);
    pf_jit_fail(c, "out of memory");
    return -1;
  }
  return (int)c->nsp++;
}

static bool intlike(int t) { return t == JT_INT || t == JT_BOOL; }
static bool numeric(int t) { return t == JT_INT || t == JT_BOOL || t == JT_FLOAT || t == JT_NUM; }
static bool intfloat(int t) { return t == JT_INT || t == JT_FLOAT || t == JT_NUM; }

/* Result type of "a op b" (a pf_binop) or JT_ANY when native code does not do it. */
int pf_jit_binop_type(int op, int a, int b) {
  if (a == JT_BOT || b == JT_BOT)
    return JT_BOT;
  if (!numeric(a) || !numeric(b))
    return JT_ANY;
  if (a == JT_NUM || b == JT_NUM) { /* int or float at run time */
    bool f = a == JT_FLOAT || b == JT_FLOAT;
    switch (op) {
    case PF_OP_ADD: case PF_OP_SUB: case PF_OP_MUL: case PF_OP_FLOORDIV: case PF_OP_MOD:
      return f ? JT_FLOAT : JT_NUM;
    case PF_OP_TRUEDIV:
      return JT_FLOAT;
    default:
      return JT_ANY;
    }
  }
  bool ints = intlike(a) && intlike(b);
  switch (op) {
  case PF_OP_ADD: case PF_OP_SUB: case PF_OP_MUL: case PF_OP_FLOORDIV: case PF_OP_MOD:
    return ints ? JT_INT : JT_FLOAT;
  case PF_OP_TRUEDIV:
    return JT_FLOAT;
  case PF_OP_POW:
    if (ints)
      return JT_INT;
    return a == JT_FLOAT && intlike(b) ? JT_FLOAT : JT_ANY;
  case PF_OP_LSHIFT: case PF_OP_RSHIFT: case PF_OP_BITAND: case PF_OP_BITOR: case PF_OP_BITXOR:
    return a == JT_INT && b == JT_INT ? JT_INT : JT_ANY;
  default:
    return JT_ANY;
  }
}

static const char *const math_names[] = {"sqrt", "exp",  "log",  "sin",   "cos",
                                         "tan",  "atan", "fabs", "floor", "ceil"};

const char *pf_jit_math_name(int k) { return math_names[k]; }

/* Index of math function "name" native code calls, or -1. */
static int math_index(const char *name) {
  for (int k = 0; k < (int)(sizeof math_names / sizeof *math_names); k++)
    if (!strcmp(math_names[k], name))
      return k;
  return -1;
}

/* math.pi … for "name", or false. */
bool pf_jit_math_const(const char *name, double *v) {
  static const struct {
    const char *n;
    double v;
  } k[] = {{"pi", M_PI}, {"e", M_E}, {"tau", 2 * M_PI}, {"inf", INFINITY}, {"nan", NAN}};
  for (size_t i = 0; i < sizeof k / sizeof *k; i++)
    if (!strcmp(k[i].n, name)) {
      *v = k[i].v;
      return true;
    }
  return false;
}

/* Result type of builtin "id" on "n" arguments of types "a"; JT_ANY when not compiled. */
int pf_jit_builtin_type(int id, uint32_t n, const jty *a) {
  if (id == BI_abs || id == BI_float || id == BI_int) {
    if (n != 1 || !numeric(a[0].t) || (a[0].t == JT_NUM && id != BI_float))
      return JT_ANY;
    if (id == BI_float)
      return JT_FLOAT;
    if (id == BI_int)
      return JT_INT;
    return a[0].t == JT_FLOAT ? JT_FLOAT : JT_INT;
  }
  if (id == BI_len)
    return n == 1 && a[0].t == JT_SEQ ? JT_INT : JT_ANY;
  if (id == BI_min || id == BI_max) /* same types only: min(1, 2.0) is an int or a float */
    return n == 2 && a[0].t == a[1].t && (a[0].t == JT_INT || a[0].t == JT_FLOAT) ? a[0].t : JT_ANY;
  return JT_ANY;
}

static jty ty(int t) { return (jty){(uint8_t)t, 0}; }

static bool join(jty *dst, jty v) {
  if (v.t == JT_BOT || (dst->t == v.t && dst->fn == v.fn))
    return false;
  if (dst->t == JT_BOT) {
    *dst = v;
    return true;
  }
  if (dst->t == JT_ANY || (dst->t == JT_NUM && intfloat(v.t)))
    return false;
  *dst = ty(intfloat(dst->t) && intfloat(v.t) ? JT_NUM : JT_ANY);
  return true;
}

typedef struct wl {
  uint32_t *v;
  uint32_t n;
} wl;

static void flow(jcc *c, jspec *s, const jfn *f, wl *w, uint32_t to, const jty *st) {
  if (to >= f->nins) {
    pf_jit_fail(c, "jump outside the code");
    return;
  }
  jty *in = s->in + (size_t)to * f->nregs;
  bool changed = !s->reached[to];
  s->reached[to] = 1;
  for (uint32_t r = 0; r < f->nregs; r++)
    changed |= join(&in[r], st[r]);
  if (changed)
    w->v[w->n++] = to;
}

/* A register that native code must read as a value. */
static bool readable(jcc *c, const jfn *f, uint32_t pc, jty t) {
  if (t.t == JT_ANY || t.t == JT_UNB) {
    pf_jit_fail(c, "%s, line %d: a value that is %s", f->name, (int)f->lines[pc],
                t.t == JT_ANY ? "not an int, float, bool or None, or of different types on "
                                "different paths" : "an unbound name");
    return false;
  }
  return true;
}

/* Infers one specialisation from scratch (callees' result types as known so far). */
static void infer_spec(jcc *c, int si) {
  jspec *s = &c->sp[si];
  const jfn *f = &c->s->fns[s->fn];
  uint32_t nr = f->nregs;
  if (f->why_not) {
    pf_jit_fail(c, "%s: %s", f->name, f->why_not);
    return;
  }
  memset(s->in, 0, (size_t)f->nins * nr * sizeof(jty));
  memset(s->reached, 0, f->nins);
  uint8_t rnew = JT_BOT; /* recursive calls see the previous round's result type */
  jty *st = calloc(nr + 1, sizeof(jty));
  wl w = {calloc((size_t)f->nins * (nr + 2) + 4, sizeof(uint32_t)), 0};
  if (!st || !w.v) {
    free(st);
    free(w.v);
    pf_jit_fail(c, "out of memory");
    return;
  }
  if (si == 0 && c->osr) { /* an OSR entry: from the loop header, with the frame's types */
    for (uint32_t r = 0; r < nr; r++)
      st[r] = pf_jit_osr_type(c->osr->types[r]);
    flow(c, s, f, &w, c->osr->pc, st);
  } else {
    for (uint32_t r = 0; r < nr; r++)
      st[r] = r < f->nparams ? jsig_ty(s->sig, r) : ty(JT_UNB);
    for (uint32_t r = 0; r < f->nparams && r < nr; r++)
      if (st[r].t == JT_INST)
        st[r].fn = s->icls[r];
    flow(c, s, f, &w, 0, st);
  }
  uint64_t steps = 0;
  while (w.n && !c->failed) {
    if (++steps > 2000000) {
      pf_jit_fail(c, "type inference did not settle");
      break;
    }
    uint32_t pc = w.v[--w.n];
    memcpy(st, s->in + (size_t)pc * nr, nr * sizeof(jty));
    pf_ins i = f->ins[pc];
    switch ((pf_opcode)i.op) {
    case OP_NOP:
    case OP_EXT:
      flow(c, s, f, &w, pc + 1, st);
      break;
    case OP_MOVE:
      if (i.a >= nr || i.b >= nr || (st[i.b].t != JT_UNB && !readable(c, f, pc, st[i.b])))
        break;
      st[i.a] = st[i.b];
      flow(c, s, f, &w, pc + 1, st);
      break;
    case OP_LOADK:
      if (i.a >= nr || i.b >= f->nconsts)
        break;
      /* other constants (a docstring) are fine until something reads them */
      st[i.a] = ty(f->consts[i.b].t);
      flow(c, s, f, &w, pc + 1, st);
      break;
    case OP_LOAD_DEREF: /* an element's extra value (fold_x.c): argument 1 + b's type */
      if (i.a >= nr || i.b >= f->nx) {
        pf_jit_fail(c, "%s: reads a variable of the code around it", f->name);
        break;
      }
      st[i.a] = jsig_ty(s->sig, 1u + i.b);
      flow(c, s, f, &w, pc + 1, st);
      break;
    case OP_LOAD_GLOBAL: {
      if (i.a >= nr || i.b >= f->ngslots)
        break;
      jglob g = f->globals[i.b];
      static const uint8_t gt[] = {JT_ANY,     JT_INT,  JT_FLOAT,   JT_BOOL,   JT_NONE,
                                   JT_FUNC,    JT_RANGEFN, JT_BUILTIN, JT_MATHMOD};
      if (g.kind == JG_CLASS) {
        pf_jit_fail(c, "%s, line %d: a class (building instances stays interpreted)", f->name,
                    (int)f->lines[pc]);
        break;
      }
      if (g.kind == JG_OTHER) {
        pf_jit_fail(c, "%s: a global that is not an int, float, bool, None, range or a "
                    "compilable function", f->name);
        break;
      }
      st[i.a] = (jty){gt[g.kind], g.kind == JG_FUNC || g.kind == JG_BUILTIN ? g.fn : 0};
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_TRUEDIV: case OP_FLOORDIV: case OP_MOD:
    case OP_POW: case OP_LSHIFT: case OP_RSHIFT: case OP_BITAND: case OP_BITOR: case OP_BITXOR: {
      if (i.a >= nr || i.b >= nr || i.c >= nr || !readable(c, f, pc, st[i.b]) ||
          !readable(c, f, pc, st[i.c]))
        break;
      int t = pf_jit_binop_type(i.op - OP_ADD, st[i.b].t, st[i.c].t);
      if (t == JT_ANY) {
        pf_jit_fail(c, "%s, line %d: %s on %s and %s", f->name, (int)f->lines[pc], opnames[i.op], pf_jit_type_name(st[i.b].t),
                    pf_jit_type_name(st[i.c].t));
        break;
      }
      st[i.a] = ty(t);
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_NEG: case OP_POS: case OP_INVERT: case OP_NOT: {
      if (i.a >= nr || i.b >= nr || !readable(c, f, pc, st[i.b]))
        break;
      int a = st[i.b].t, t;
      if (a == JT_BOT)
        t = JT_BOT;
      else if (i.op == OP_NOT)
        t = numeric(a) || a == JT_NONE ? JT_BOOL : JT_ANY;
      else if (i.op == OP_INVERT)
        t = intlike(a) ? JT_INT : JT_ANY;
      else
        t = intlike(a) ? JT_INT : a == JT_FLOAT || a == JT_NUM ? a : JT_ANY;
      if (t == JT_ANY) {
        pf_jit_fail(c, "%s, line %d: %s on %s", f->name, (int)f->lines[pc], opnames[i.op], pf_jit_type_name(a));
        break;
      }
      st[i.a] = ty(t);
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE:
    case OP_IS: case OP_ISNOT: {
      if (i.a >= nr || i.b >= nr || i.c >= nr || !readable(c, f, pc, st[i.b]) ||
          !readable(c, f, pc, st[i.c]))
        break;
      int a = st[i.b].t, b = st[i.c].t;
      bool ok = (numeric(a) || a == JT_BOT) && (numeric(b) || b == JT_BOT);
      if (i.op == OP_IS || i.op == OP_ISNOT)
        ok = ((numeric(a) && a != JT_NUM) || a == JT_NONE || a == JT_BOT) &&
             ((numeric(b) && b != JT_NUM) || b == JT_NONE || b == JT_BOT);
      if ((i.op == OP_IS || i.op == OP_ISNOT) && (a == JT_INST || b == JT_INST))
        ok = (a == JT_INST || a == JT_NONE || a == JT_BOT) &&
             (b == JT_INST || b == JT_NONE || b == JT_BOT); /* p is None, p is q */
      if (!ok) {
        pf_jit_fail(c, "%s, line %d: %s on %s and %s", f->name, (int)f->lines[pc], opnames[i.op], pf_jit_type_name(a),
                    pf_jit_type_name(b));
        break;
      }
      st[i.a] = ty(a == JT_BOT || b == JT_BOT ? JT_BOT : JT_BOOL);
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_JMP:
    case OP_LOOP:
      flow(c, s, f, &w, J_TGT(i), st);
      break;
    case OP_JT:
    case OP_JF: {
      if (i.a >= nr || !readable(c, f, pc, st[i.a]))
        break;
      int a = st[i.a].t;
      if (a == JT_INST && !pf_jit_inst_truth(c, f, pc, st[i.a]))
        break;
      if (!numeric(a) && a != JT_NONE && a != JT_BOT && a != JT_SEQ && a != JT_INST) {
        pf_jit_fail(c, "%s, line %d: truth value of %s", f->name, (int)f->lines[pc], pf_jit_type_name(a));
        break;
      }
      flow(c, s, f, &w, pc + 1, st);
      flow(c, s, f, &w, J_TGT(i), st);
      break;
    }
    case OP_GET_ITER:
      if (i.a >= nr || i.b >= nr)
        break;
      if (st[i.b].t != JT_RANGE && st[i.b].t != JT_SEQ && st[i.b].t != JT_BOT) {
        pf_jit_fail(c, "%s, line %d: a for loop over %s (only loops over range() and "
                    "sequence arguments compile)", f->name, (int)f->lines[pc],
                    pf_jit_type_name(st[i.b].t));
        break;
      }
      st[i.a] = st[i.b].t == JT_SEQ ? (jty){JT_SITER, st[i.b].fn}
                : ty(st[i.b].t == JT_BOT ? JT_BOT : JT_RITER);
      flow(c, s, f, &w, pc + 1, st);
      break;
    case OP_FOR_ITER: {
      if (i.a >= nr || i.b >= nr || pc + 1 >= f->nins)
        break;
      if (st[i.a].t != JT_RITER && st[i.a].t != JT_SITER && st[i.a].t != JT_BOT) {
        pf_jit_fail(c, "%s, line %d: iteration over %s", f->name, (int)f->lines[pc], pf_jit_type_name(st[i.a].t));
        break;
      }
      flow(c, s, f, &w, J_TGT(f->ins[pc + 1]), st);
      st[i.b] = ty(st[i.a].t == JT_BOT ? JT_BOT : st[i.a].t == JT_SITER ? st[i.a].fn : JT_INT);
      flow(c, s, f, &w, pc + 2, st);
      break;
    }
    case OP_CALL: {
      if (i.a >= nr || (uint32_t)i.b + i.c >= nr || !readable(c, f, pc, st[i.b]))
        break;
      jty fnt = st[i.b];
      bool bot = fnt.t == JT_BOT;
      uint32_t sig = 0, o = fnt.t == JT_METH; /* a method: self is argument 0 */
      uint16_t icls[PF_JIT_MAXARGS] = {0};
      if (o) {
        sig = JSIG_INST;
        icls[0] = (uint16_t)(fnt.fn / 64);
      }
      for (uint32_t j = 0; j < i.c; j++) {
        jty a = st[i.b + 1 + j];
        if (!readable(c, f, pc, a))
          break;
        if (a.t == JT_BOT)
          bot = true;
        else if ((!numeric(a.t) && a.t != JT_SEQ && a.t != JT_INST) ||
                 ((a.t == JT_SEQ || a.t == JT_INST) && fnt.t != JT_FUNC && fnt.t != JT_METH &&
                  !(a.t == JT_SEQ && fnt.t == JT_BUILTIN)) ||
                 (a.t == JT_NUM && fnt.t != JT_BUILTIN && fnt.t != JT_MATHFN) ||
                 j + o >= PF_JIT_MAXARGS) {
          pf_jit_fail(c, "%s, line %d: a call with an argument of type %s", f->name, (int)f->lines[pc], pf_jit_type_name(a.t));
          break;
        } else {
          sig |= (uint32_t)jsig_code(a) << (4 * (j + o));
          if (a.t == JT_INST)
            icls[j + o] = a.fn;
        }
      }
      if (c->failed)
        break;
      if (fnt.t == JT_RANGEFN) {
        for (uint32_t j = 0; j < i.c; j++)
          if (st[i.b + 1 + j].t != JT_INT && st[i.b + 1 + j].t != JT_BOT)
            pf_jit_fail(c, "%s, line %d: range() of %s", f->name, (int)f->lines[pc], pf_jit_type_name(st[i.b + 1 + j].t));
        if (i.c < 1 || i.c > 3)
          pf_jit_fail(c, "%s, line %d: range() with %u arguments", f->name, (int)f->lines[pc], (unsigned)i.c);
        if (c->failed)
          break;
        st[i.a] = ty(bot ? JT_BOT : JT_RANGE);
        flow(c, s, f, &w, pc + 1, st);
        break;
      }
      if (fnt.t == JT_MATHFN) {
        int a = i.c == 1 ? st[i.b + 1].t : JT_ANY;
        bool rounds = !strcmp(math_names[fnt.fn], "floor") || !strcmp(math_names[fnt.fn], "ceil");
        int t = bot ? JT_BOT : !numeric(a) || (rounds && a == JT_NUM) ? JT_ANY
              : rounds ? JT_INT : JT_FLOAT;
        if (t == JT_ANY) {
          pf_jit_fail(c, "%s, line %d: math.%s of these arguments", f->name, (int)f->lines[pc],
                      math_names[fnt.fn]);
          break;
        }
        st[i.a] = ty(t);
        flow(c, s, f, &w, pc + 1, st);
        break;
      }
      if (fnt.t == JT_BUILTIN) {
        int t = bot ? JT_BOT : pf_jit_builtin_type(fnt.fn, i.c, st + i.b + 1);
        if (t == JT_ANY) {
          pf_jit_fail(c, "%s, line %d: a call of a builtin (abs, min, max, float, int, len) with "
                      "other arguments than it compiles for", f->name, (int)f->lines[pc]);
          break;
        }
        st[i.a] = ty(t);
        flow(c, s, f, &w, pc + 1, st);
        break;
      }
      if (fnt.t != JT_FUNC && fnt.t != JT_METH && !bot) {
        pf_jit_fail(c, "%s, line %d: a call of %s", f->name, (int)f->lines[pc], pf_jit_type_name(fnt.t));
        break;
      }
      if (bot) {
        st[i.a] = ty(JT_BOT);
        flow(c, s, f, &w, pc + 1, st);
        break;
      }
      uint16_t gi = o ? (uint16_t)(fnt.fn % 64) : fnt.fn;
      const jfn *g = &c->s->fns[gi];
      if (g->nparams != i.c + o) {
        pf_jit_fail(c, "%s, line %d: a call of %s with %u arguments", f->name, (int)f->lines[pc], g->name, (unsigned)(i.c + o));
        break;
      }
      int ci = spec_get(c, gi, sig, icls);
      if (ci < 0)
        break;
      s = &c->sp[si]; /* c->sp does not move, but keep the pattern obvious */
      st[i.a] = ty(c->sp[ci].rtype);
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_RETURN: {
      if (i.c == PF_JIT_RET_SKIP)
        break; /* an element a filter skipped (snap.c): no value */
      if (i.a >= nr || !readable(c, f, pc, st[i.a]))
        break;
      int t = st[i.a].t;
      if (t == JT_INST || t == JT_SEQ) {
        pf_jit_fail(c, "%s, line %d: returns %s (returned by the interpreter only)", f->name,
                    (int)f->lines[pc], t == JT_INST ? "an instance" : "a sequence");
        break;
      }
      if (!numeric(t) && t != JT_NONE && t != JT_BOT) {
        pf_jit_fail(c, "%s, line %d: returns %s", f->name, (int)f->lines[pc], pf_jit_type_name(t));
        break;
      }
      if (t != JT_BOT && rnew != JT_BOT && rnew != t) {
        if (intfloat(t) && intfloat(rnew)) {
          rnew = JT_NUM;
          break;
        }
        pf_jit_fail(c, "%s, line %d: returns %s and %s", f->name, (int)f->lines[pc], pf_jit_type_name(rnew),
                    pf_jit_type_name(t));
        break;
      }
      if (t != JT_BOT)
        rnew = (uint8_t)t;
      break;
    }
    case OP_BUILD_TUPLE: { /* only "a, b = x, y": BUILD_TUPLE t; UNPACK t → a parallel move */
      pf_ins u = pc + 1 < f->nins ? f->ins[pc + 1] : (pf_ins){0, 0, 0, 0};
      if (u.op != OP_UNPACK || u.b != i.a || u.c != i.c || i.c > 8 || (uint32_t)i.b + i.c > nr ||
          (uint32_t)u.a + u.c > nr || i.a >= nr) {
        pf_jit_fail(c, "%s, line %d: a tuple (only \"a, b = x, y\" compiles)", f->name,
                    (int)f->lines[pc]);
        break;
      }
      jty tmp[8];
      for (uint32_t j = 0; j < i.c && !c->failed; j++) {
        tmp[j] = st[i.b + j];
        if (readable(c, f, pc, tmp[j]) && (!numeric(tmp[j].t) || tmp[j].t == JT_NUM) &&
            tmp[j].t != JT_BOT)
          pf_jit_fail(c, "%s, line %d: a tuple of %s", f->name, (int)f->lines[pc],
                      pf_jit_type_name(tmp[j].t));
      }
      if (c->failed)
        break;
      st[i.a] = ty(JT_ANY);
      for (uint32_t j = 0; j < i.c; j++)
        st[u.a + j] = tmp[j];
      flow(c, s, f, &w, pc + 2, st);
      break;
    }
    case OP_GETATTR: { /* math.sqrt, math.pi … */
      if (i.a >= nr || i.b >= nr || i.c >= f->nconsts)
        break;
      double cv;
      const char *name = f->consts[i.c].str;
      if (st[i.b].t == JT_INST) { /* an attribute of an instance argument (inst.c) */
        jty at;
        bool missing;
        if (!pf_jit_inst_attr_type(c, f, pc, st[i.b], name, &at, &missing))
          break;
        if (missing) /* native code deoptimises: the interpreter raises AttributeError */
          break;
        st[i.a] = at;
        flow(c, s, f, &w, pc + 1, st);
        break;
      }
      int k = math_index(name);
      if (st[i.b].t != JT_MATHMOD || (k < 0 && !pf_jit_math_const(name, &cv))) {
        pf_jit_fail(c, "%s, line %d: attribute '%s' of %s", f->name, (int)f->lines[pc], name,
                    pf_jit_type_name(st[i.b].t));
        break;
      }
      st[i.a] = k >= 0 ? (jty){JT_MATHFN, (uint16_t)k} : ty(JT_FLOAT);
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_GETITEM: { /* seq[i] of a sequence argument and an int (or bool) index */
      if (i.a >= nr || i.b >= nr || i.c >= nr || !readable(c, f, pc, st[i.b]) ||
          !readable(c, f, pc, st[i.c]))
        break;
      int a = st[i.b].t, b = st[i.c].t;
      if ((a != JT_SEQ && a != JT_BOT) || (!intlike(b) && b != JT_BOT)) {
        pf_jit_fail(c, "%s, line %d: %s[%s] (only an item of a sequence argument by an int "
                    "compiles)", f->name, (int)f->lines[pc], pf_jit_type_name(a),
                    pf_jit_type_name(b));
        break;
      }
      st[i.a] = ty(a == JT_BOT || b == JT_BOT ? JT_BOT : st[i.b].fn);
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_STORE_GLOBAL: { /* a with-block's own names, in its OSR entry only (osr.c) */
      if (i.a >= f->ngslots || i.b >= nr || !readable(c, f, pc, st[i.b]))
        break;
      jglob g = f->globals[i.a];
      int t = st[i.b].t;
      if (!(si == 0 && c->osr) ||
          !(t == JT_BOT || (g.kind == JG_INT && t == JT_INT) ||
            (g.kind == JG_FLOAT && t == JT_FLOAT) || (g.kind == JG_BOOL && t == JT_BOOL))) {
        pf_jit_fail(c, "%s, line %d: assigns a global name (only a with-block's loop does, "
                    "a value of the type the name holds)", f->name, (int)f->lines[pc]);
        break;
      }
      flow(c, s, f, &w, pc + 1, st);
      break;
    }
    case OP_CHECK_BOUND:
      if (i.a >= nr)
        break;
      if (st[i.a].t == JT_UNB) /* always raises: the interpreter does that */
        break;
      if (st[i.a].t == JT_ANY) {
        pf_jit_fail(c, "%s, line %d: a name that may be unbound", f->name, (int)f->lines[pc]);
        break;
      }
      flow(c, s, f, &w, pc + 1, st);
      break;
    case OP_STORE_ATTR:
      pf_jit_fail(c, "%s, line %d: setting an attribute (instances are built in the "
                  "interpreter)", f->name, (int)f->lines[pc]);
      break;
    default:
      pf_jit_fail(c, "%s, line %d: operation %s", f->name, (int)f->lines[pc], i.op < OP_COUNT ? opnames[i.op] : "?");
      break;
    }
  }
  s->rtype = rnew;
  free(st);
  free(w.v);
}

void pf_jit_infer(jcc *c, uint32_t sig) {
  if (spec_get(c, 0, sig, c->s->argcls) != 0)
    return;
  for (int round = 0; round < 12 && !c->failed; round++) {
    bool changed = false;
    for (uint32_t si = 0; si < c->nsp && !c->failed; si++) {
      uint8_t old = c->sp[si].rtype;
      infer_spec(c, (int)si);
      changed |= c->sp[si].rtype != old;
    }
    if (!changed)
      return;
  }
  pf_jit_fail(c, "result types did not settle");
}

void pf_jit_cc_free(jcc *c) {
  for (uint32_t i = 0; i < c->nsp; i++) {
    free(c->sp[i].in);
    free(c->sp[i].reached);
  }
  c->nsp = 0;
}
