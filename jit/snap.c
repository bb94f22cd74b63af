/* snap.c — code hashes (the key of compiled code) and snapshots: a copy of the bytecode of a
 * function and of the functions its globals reach, taken while the program is alive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_int.h"

uint64_t pf_jit_code_hash(const pf_code *k) {
  uint64_t h = 0;
  h = pf_jit_hash_u64(h, k->nparams);
  h = pf_jit_hash_u64(h, k->nregs);
  h = pf_jit_hash_u64(h, k->nins);
  h = pf_jit_hash_u64(h, ((uint64_t)k->nkwonly << 32) | ((uint64_t)k->ncells << 16) | k->nfree);
  h = pf_jit_hash_u64(h, (uint64_t)k->has_varargs | (uint64_t)k->has_varkw << 1 | (uint64_t)k->is_gen << 2);
  h = pf_jit_hash_u64(h, k->nexc);
  h = pf_jit_hash(h, k->ins, k->nins * sizeof(pf_ins));
  for (uint32_t i = 0; i < k->nconsts; i++) {
    pf_val v = k->consts[i];
    h = pf_jit_hash_u64(h, v.tag);
    if (v.tag == PF_INT || v.tag == PF_BOOL || v.tag == PF_FLOAT)
      h = pf_jit_hash_u64(h, (uint64_t)v.u.i);
    else if (pf_is_type(v, &pf_type_str)) {
      size_t n = 0;
      const char *s = pf_str_utf8(v, &n);
      h = pf_jit_hash(h, s, n);
    }
  }
  for (uint32_t i = 0; i < k->ngslots; i++)
    h = pf_jit_hash(h, k->gnames[i], strlen(k->gnames[i]) + 1);
  return h ? h : 1;
}

/* Why code "k" can never be compiled (its shape), or NULL. */
static const char *shape_not_compilable(const pf_code *k) {
  if (k->is_gen)
    return "generator function";
  if (k->has_varargs || k->has_varkw || k->nkwonly)
    return "*args, **kwargs or keyword-only parameters";
  if (k->ncells || k->nfree)
    return "closure (cells or free variables)";
  if (k->nexc)
    return "try/except or with";
  if (k->nparams > PF_JIT_MAXARGS)
    return "more than 7 parameters";
  return NULL;
}

static int snap_fn(pf_jit *jit, jsnap *s, pf_code *k);

static jglob glob_of(pf_jit *jit, jsnap *s, pf_code *k, uint32_t i) {
  jglob g = {JG_OTHER, 0};
  pf_val v = *k->gslots[i];
  switch (v.tag) {
  case PF_INT: g.kind = JG_INT; break;
  case PF_FLOAT: g.kind = JG_FLOAT; break;
  case PF_BOOL: g.kind = JG_BOOL; break;
  case PF_NONE: g.kind = JG_NONE; break;
  case PF_UNBOUND: {
    pf_val b = k->gbuiltin[i];
    if (pf_is_type(b, &pf_type_builtin)) {
      pf_builtin *bi = (pf_builtin *)b.u.o;
      if ((bi->id == BI_range || bi->id == BI_xrange) && bi->self.tag == PF_UNBOUND)
        g.kind = JG_RANGE;
      else if ((bi->id == BI_abs || bi->id == BI_min || bi->id == BI_max || bi->id == BI_float ||
                bi->id == BI_int || bi->id == BI_len) && bi->self.tag == PF_UNBOUND) {
        g.kind = JG_BUILTIN;
        g.fn = (uint16_t)bi->id;
      }
    }
    break;
  }
  case PF_OBJ:
    if (pf_is_type(v, &pf_type_module) && !strcmp(((pf_module *)v.u.o)->name, "math")) {
      g.kind = JG_MATHMOD;
      s->mathmod = v.u.o;
    } else if (pf_is_type(v, &pf_type_class)) {
      g.kind = JG_CLASS; /* not compiled: named in the reason */
    } else if (pf_is_type(v, &pf_type_func)) {
      int fi = snap_fn(jit, s, ((pf_func *)v.u.o)->code);
      if (fi >= 0) {
        g.kind = JG_FUNC;
        g.fn = (uint16_t)fi;
      }
    }
    break;
  default:
    break;
  }
  return g;
}

/* Adds "k" (once) to "s"; returns its index, or -1 when it cannot be added. */
static int snap_fn(pf_jit *jit, jsnap *s, pf_code *k) {
  jcode *jc = pf_jit_code_record(jit, k);
  if (!jc)
    return -1;
  for (uint32_t i = 0; i < s->nfns; i++)
    if (s->fns[i].jc == jc)
      return (int)i;
  if (s->nfns >= PF_JIT_MAXFNS)
    return -1;
  uint32_t idx = s->nfns++;
  jfn *f = &s->fns[idx];
  memset(f, 0, sizeof *f);
  f->jc = jc;
  snprintf(f->name, sizeof f->name, "%s", k->name ? k->name : "?");
  f->why_not = shape_not_compilable(k);
  f->nins = k->nins;
  f->nregs = k->nregs;
  f->nparams = k->nparams;
  f->nconsts = k->nconsts;
  f->ngslots = k->ngslots;
  f->ins = malloc((k->nins + 1) * sizeof(pf_ins));
  f->lines = malloc((k->nins + 1) * sizeof(int32_t));
  f->consts = calloc(k->nconsts + 2, sizeof(jconst)); /* (room for two: nested elements) */
  f->globals = calloc(k->ngslots + 1, sizeof(jglob));
  if (!f->ins || !f->lines || !f->consts || !f->globals) {
    f->why_not = "out of memory";
    return (int)idx;
  }
  memcpy(f->ins, k->ins, k->nins * sizeof(pf_ins));
  memcpy(f->lines, k->lines, k->nins * sizeof(int32_t));
  /* native code runs calls in place: a forked call (core/interp/fork.c) is an ordinary
   * call here and its join has nothing to wait for */
  for (uint32_t i = 0; i < k->nins; i++) {
    pf_ins *in = &f->ins[i];
    if (in->op == OP_CALL_FORK)
      in->op = OP_CALL;
    else if (in->op == OP_GETMETH) /* obj.m(args) (core/interp/vm_loop.c): as GETATTR into */
      *in = (pf_ins){OP_GETATTR, (uint16_t)(in->a + 1u), in->b, in->c}; /* a + 1 and CALL */
    else if (in->op == OP_CALLMETH) /* of a + 1 with the arguments after it (a + 2 …) */
      *in = (pf_ins){OP_CALL, in->a, (uint16_t)(in->b + 1u), in->c};
    else if (f->ins[i].op == OP_JOIN)
      f->ins[i].op = OP_NOP;
  }
  for (uint32_t i = 0; i < k->nconsts; i++) {
    pf_val v = k->consts[i];
    jconst *c = &f->consts[i];
    c->t = v.tag == PF_INT ? JT_INT : v.tag == PF_FLOAT ? JT_FLOAT : v.tag == PF_BOOL ? JT_BOOL
         : v.tag == PF_NONE ? JT_NONE : JT_ANY;
    c->v.i = v.tag == PF_NONE || v.tag == PF_OBJ ? 0 : v.u.i;
    if (pf_is_type(v, &pf_type_str)) {
      size_t n = 0;
      const char *sv = pf_str_utf8(v, &n);
      if (n < sizeof c->str)
        memcpy(c->str, sv, n + 1);
    }
  }
  if (f->why_not)
    return (int)idx; /* its globals do not matter */
  for (uint32_t i = 0; i < k->ngslots; i++) {
    jglob g = glob_of(jit, s, k, i);
    s->fns[idx].globals[i] = g; /* s->fns is stable: no realloc */
  }
  return (int)idx;
}

int pf_jit_snap_fn(pf_jit *jit, jsnap *s, pf_code *k) { return snap_fn(jit, s, k); }

int pf_jit_elem_pair(const pf_code *k, uint32_t o) {
  const pf_ins *in = k->ins;
  if (k->nins < o + 8 || in[o + 2].op != OP_UNPACK || in[o + 2].b != in[o].b ||
      (in[o + 2].c != 2 && in[o + 2].c != 3) || k->nins < o + 6u + in[o + 2].c)
    return 0;
  /* the temporaries t, t + 1 (, t + 2), then moved to the targets in order; a target is
   * neither x's register (0) nor a temporary a later read needs, nor another target */
  uint32_t n = in[o + 2].c;
  uint16_t t = in[o + 2].a;
  for (uint32_t j = 0; j < n; j++) {
    pf_ins m = in[o + 3 + j];
    if (m.op != OP_MOVE || m.b != t + j || m.a == 0 || (m.a > t + j && m.a < t + n))
      return 0;
    for (uint32_t q = 0; q < j; q++)
      if (in[o + 3 + q].a == m.a)
        return 0;
  }
  return (int)n;
}

/* The element of generator expression "k" — (E for x in .0), one loop yielding once per
 * element — or of list comprehension "k" — [E for x in .0], one loop pushing once per
 * element — as a function of x: the pc of its YIELD or push, or 0 when "k" has another
 * shape. *o_p: the pc of its FOR_ITER. */
uint32_t pf_jit_elem_shape(const pf_code *k, uint32_t *o_p, bool *nested_p) {
  const pf_ins *in = k->ins;
  uint32_t o = !k->is_gen; /* a comprehension starts with its accumulator */
  /* free variables are the element's extra values (fold_x.c); cells of its own are not */
  if (!k->is_comp || k->nparams != 1 || k->has_varargs || k->has_varkw || k->nkwonly ||
      k->ncells || k->nexc || k->nins < o + 6 ||
      (o && (in[0].op != OP_ACC_NEW ||
             (in[0].b != ACC_LIST && in[0].b != ACC_SET && in[0].b != ACC_DICT))) ||
      in[o].op != OP_FOR_ITER ||
      in[o].a != 0 || in[o + 1].op != OP_EXT ||
      ((in[o + 2].op != OP_MOVE || in[o + 2].b != in[o].b) && !pf_jit_elem_pair(k, o)))
    return 0;
  uint32_t y = 0;
  for (uint32_t pc = o + 3; pc < k->nins && !y; pc++)
    if (in[pc].op == (!o ? OP_YIELD : in[0].b == ACC_DICT ? OP_ACC_PUSH2 : OP_ACC_PUSH))
      y = pc;
  if (!y || y + 1 >= k->nins || in[y + 1].op != OP_LOOP ||
      (o && (in[y].a != in[0].a || (in[0].b != ACC_DICT && in[y].c != 0))))
    return 0;
  /* (E for x in .0 for v in R): an inner loop at t, exiting to the outer back-edge (y + 2) */
  uint32_t t = J_TGT(in[y + 1]);
  bool nested = t != o;
  if (nested && (o || y + 2 >= k->nins || t < o + 3 || t + 3 > y || in[t].op != OP_FOR_ITER ||
                 in[t + 1].op != OP_EXT || J_TGT(in[t + 1]) != y + 2 || in[t + 2].op != OP_MOVE ||
                 in[t + 2].b != in[t].b || in[y + 2].op != OP_LOOP || J_TGT(in[y + 2]) != o))
    return 0;
  for (uint32_t pc = o + 3; pc < y; pc++) { /* E's own jumps stay inside E */
    pf_ins i = in[pc];
    if (nested && pc >= t && pc < t + 3)
      continue; /* the inner loop's head */
    uint32_t lo = o + 3, hi = y + 1; /* a jump to y + 1 skips the element: a filter */
    if (nested && pc < t)
      hi = t; /* the outer filter skips to y + 2 (below) */
    else if (nested)
      lo = t + 3; /* the inner filter skips to y + 1 */
    if ((i.op == OP_JMP || i.op == OP_JT || i.op == OP_JF) &&
        (J_TGT(i) < lo || J_TGT(i) > hi) && !(nested && pc < t && J_TGT(i) == y + 2))
      return 0;
  }
  for (uint32_t pc = o + 3; pc < y; pc++) { /* E's own operations */
    if (nested && pc >= t && pc < t + 3)
      continue;
    pf_ins i = in[pc];
    /* operands that are not registers: a jump's target (b:c), a constant's, global's or
     * cell's index (b), a call's argument count (c) */
    bool jump = i.op == OP_JMP || i.op == OP_JT || i.op == OP_JF;
    bool breg = !jump && i.op != OP_LOADK && i.op != OP_LOAD_GLOBAL && i.op != OP_LOAD_DEREF;
    bool creg = !jump && i.op != OP_CALL && i.op != OP_CALLMETH;
    if (i.op == OP_FOR_ITER || i.op == OP_YIELD || i.op == OP_LOOP || i.op == OP_ACC_NEW ||
        i.op == OP_ACC_PUSH || i.op == OP_ACC_PUSH2 || i.op == OP_ACC_FINISH ||
        (o && (i.a == in[0].a || (breg && i.b == in[0].a) || (creg && i.c == in[0].a))))
      return 0;
  }
  *o_p = o;
  if (nested_p)
    *nested_p = nested;
  return y;
}

static pf_ins ins_of(uint16_t op, uint16_t a, uint16_t b, uint16_t c) {
  pf_ins i = {op, a, b, c};
  return i;
}

static pf_ins jump_of(uint16_t op, uint16_t a, uint32_t tgt) {
  return ins_of(op, a, (uint16_t)(tgt >> 16), (uint16_t)tgt);
}

/* Nested loops under min or max, (E for x in .0 for v in R): the element of x becomes the
 * best (strictly smaller for min, larger for max: the first of equals) value E takes over
 * the inner loop, or a skip when the inner loop yields nothing. "y": the YIELD of E's value
 * "v". The code grows by nine instructions at its end (N):
 *   0: acc = 0          1: have = 0            (the outer FOR_ITER and its EXT)
 *   y: JMP N            y + 2: JMP N + 6       (the YIELD; the inner loop's exit)
 *   N: JF have, N + 3   N + 1: t = v < acc     N + 2: JF t, y + 1 (the inner back-edge)
 *   N + 3: acc = v      N + 4: have = 1        N + 5: JMP y + 1
 *   N + 6: JF have, N + 8   N + 7: RETURN acc  N + 8: RETURN (skip)
 * False when out of memory. */
static bool nested_best(jfn *f, uint32_t y, uint16_t v, bool min) {
  uint32_t n = f->nins;
  pf_ins *ins = realloc(f->ins, (n + 9) * sizeof *ins);
  if (!ins)
    return false;
  f->ins = ins;
  int32_t *lines = realloc(f->lines, (n + 9) * sizeof *lines);
  if (!lines)
    return false;
  f->lines = lines;
  uint16_t acc = (uint16_t)f->nregs, have = (uint16_t)(acc + 1), t = (uint16_t)(acc + 2);
  f->nregs += 3;
  uint16_t k0 = (uint16_t)f->nconsts++, k1 = (uint16_t)f->nconsts++; /* (snap_fn's room) */
  f->consts[k0].t = f->consts[k1].t = JT_INT;
  f->consts[k0].v.i = 0;
  f->consts[k1].v.i = 1;
  ins[0] = ins_of(OP_LOADK, acc, k0, 0);
  ins[1] = ins_of(OP_LOADK, have, k0, 0);
  ins[y] = jump_of(OP_JMP, 0, n);
  ins[y + 2] = jump_of(OP_JMP, 0, n + 6);
  ins[n] = jump_of(OP_JF, have, n + 3);
  ins[n + 1] = ins_of(min ? OP_LT : OP_GT, t, v, acc);
  ins[n + 2] = jump_of(OP_JF, t, y + 1);
  ins[n + 3] = ins_of(OP_MOVE, acc, v, 0);
  ins[n + 4] = ins_of(OP_LOADK, have, k1, 0);
  ins[n + 5] = jump_of(OP_JMP, 0, y + 1);
  ins[n + 6] = jump_of(OP_JF, have, n + 8);
  ins[n + 7] = ins_of(OP_RETURN, acc, 0, 0);
  ins[n + 8] = ins_of(OP_RETURN, 0, 0, PF_JIT_RET_SKIP);
  for (uint32_t pc = n; pc < n + 9; pc++)
    lines[pc] = lines[y];
  f->nins = n + 9;
  return true;
}

jsnap *pf_jit_snap_take_elem(pf_jit *jit, pf_code *k, int kind, uint32_t sig) {
  jsnap *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  if (snap_fn(jit, s, k) != 0) {
    pf_jit_snap_free(s);
    return NULL;
  }
  jfn *f = &s->fns[0];
  uint32_t o = 0;
  bool nested = false;
  uint32_t y = pf_jit_elem_shape(k, &o, &nested);
  if (!y) {
    f->why_not = "a generator expression or comprehension of another shape than (E for x in ...)";
    return s;
  }
  if (f->why_not && f->why_not != shape_not_compilable(k))
    return s; /* out of memory */
  /* x arrives in register 0 (the iterator's register, unused by E); E's value is returned */
  f->why_not = NULL;
  snprintf(f->name, sizeof f->name, "%s", k->is_gen ? "<genexpr>"
                                          : k->ins[0].b == ACC_SET ? "<setcomp>"
                                          : k->ins[0].b == ACC_DICT ? "<dictcomp>" : "<listcomp>");
  for (uint32_t pc = 0; pc < o + 2; pc++)
    f->ins[pc].op = OP_NOP;
  /* for a, b in zip(xs, ys) / enumerate(xs): the pair is read at index x from the first two
   * extra values (the fold's sources), instead of unpacking an item */
  uint32_t pair = sig & (PF_JIT_SIG_ZIP_BIT | PF_JIT_SIG_ENUM_BIT);
  uint32_t off = (uint32_t)pf_jit_elem_pair(k, o);
  if ((off != 0) != (pair != 0) || (off == 3 && pair != PF_JIT_SIG_ZIP_BIT)) {
    f->why_not = off ? "unpacking the items of another base than zip or enumerate of tuples or lists"
                     : "an element without unpacking over zip or enumerate";
    return s;
  }
  if (off) {
    if (nested) {
      f->why_not = "nested loops over zip or enumerate";
      return s;
    }
    /* the head FOR_ITER, EXT, UNPACK t, item, n, MOVE (n times) — from pc o on, n + 3
     * instructions — becomes n reads of the sources into t, t + 1, ... (extra values 0, 1,
     * ...), then the targets' reads at x: a = xs[x], b = ys[x] (, c = zs[x]) for zip, i = x +
     * delta, v = xs[x] for enumerate; a comprehension's head has one NOP more before it */
    uint16_t t = f->ins[o + 2].a, tg[3];
    for (uint32_t j = 0; j < off; j++)
      tg[j] = f->ins[o + 3 + j].a;
    uint32_t h = o + 3 + off - 2 * off; /* the first pc of the new head */
    for (uint32_t j = 0; j < off; j++) {
      pf_ins l = {0};
      l.op = OP_LOAD_DEREF;
      l.a = (uint16_t)(t + j);
      l.b = (uint16_t)j;
      f->ins[h + j] = l;
      pf_ins gi = {0};
      gi.op = OP_GETITEM; /* target j: item x of source j */
      gi.a = tg[j];
      gi.b = (uint16_t)(t + j);
      gi.c = 0;
      f->ins[h + off + j] = gi;
      f->xs[j].global = 2;
      f->xs[j].idx = (uint16_t)j;
    }
    if (pair == PF_JIT_SIG_ENUM_BIT) { /* i = x + delta, v = xs[x] */
      f->ins[h + 2].op = OP_ADD;
      f->ins[h + 2].b = 0;
      f->ins[h + 2].c = (uint16_t)(t + 1);
      f->ins[h + 3].b = t;
    }
    if (tg[0] == t && pair == PF_JIT_SIG_ENUM_BIT) { /* i overwrites xs before v reads it */
      f->why_not = "an unpacking whose targets overlap";
      return s;
    }
  } else {
    f->ins[o + 2].b = 0;
  }
  pf_ins r = {0};
  r.op = OP_RETURN;
  /* a dict comprehension's key, or its value for the values' kernel */
  r.a = kind == PF_JIT_FOLD_COLLECT_VAL && f->ins[y].op == OP_ACC_PUSH2 ? f->ins[y].c : f->ins[y].b;
  f->ins[y] = r;
  /* the back-edge, reached only from a filter's jumps: the element is skipped */
  pf_ins skip = {0};
  skip.op = OP_RETURN;
  skip.c = PF_JIT_RET_SKIP;
  if (nested && ((kind != PF_JIT_FOLD_SUM && kind != PF_JIT_FOLD_MIN && kind != PF_JIT_FOLD_MAX) ||
                 f->nregs >= UINT16_MAX - 3 || f->nins >= UINT16_MAX - 9)) {
    f->why_not = "nested loops, under another fold than sum, min or max";
    return s;
  }
  if (nested && kind != PF_JIT_FOLD_SUM && !nested_best(f, y, r.a, kind == PF_JIT_FOLD_MIN)) {
    f->why_not = "out of memory";
    return s;
  }
  if (nested && kind != PF_JIT_FOLD_SUM) {
    /* (nested_best: the element of x is the best E over the inner loop) */
  } else if (nested) { /* the element of x: the sum of E over the inner loop (sums of ints only:
                 * a float makes it int-or-float, which the sum kernel does not take) */
    uint16_t acc = (uint16_t)f->nregs++;
    uint16_t kz = (uint16_t)f->nconsts++; /* (snap_fn left room for one more) */
    f->consts[kz].t = JT_INT;
    f->consts[kz].v.i = 0;
    pf_ins z = {0};
    z.op = OP_LOADK;
    z.a = acc;
    z.b = kz;
    f->ins[0] = z;
    pf_ins add = {0};
    add.op = OP_ADD;
    add.a = acc;
    add.b = acc;
    add.c = r.a;
    f->ins[y] = add; /* then the inner back-edge */
    r.a = acc;
    f->ins[y + 2] = r; /* the inner loop's exit, and the outer filter's skip */
  } else {
    f->ins[y + 1] = skip;
  }
  for (uint32_t i = 0; i < k->ngslots; i++)
    f->globals[i] = glob_of(jit, s, k, i);
  /* the values of the block E reads: LOAD_DEREF j of extra value j (fold_x.c) */
  jxsrc bx[PF_JIT_MAXX];
  int nx = pf_jit_elem_scan(k, o + 3, y, bx);
  if (nx < 0 || nx + (int)off > PF_JIT_MAXX) {
    f->why_not = "an element reading more than 6 variables of the code around it";
    return s;
  }
  memcpy(f->xs + off, bx, (size_t)nx * sizeof *bx);
  f->nx = (uint8_t)(nx + (int)off);
  pf_jit_elem_rewrite(k, f->ins, o + 3 + off, y, f->xs, f->nx);
  return s;
}

jsnap *pf_jit_snap_take(pf_jit *jit, pf_code *k) {
  jsnap *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  if (snap_fn(jit, s, k) != 0) {
    pf_jit_snap_free(s);
    return NULL;
  }
  return s;
}

void pf_jit_snap_free(jsnap *s) {
  if (!s)
    return;
  for (uint32_t i = 0; i < s->nfns; i++) {
    free(s->fns[i].ins);
    free(s->fns[i].lines);
    free(s->fns[i].consts);
    free(s->fns[i].globals);
  }
  free(s);
}
