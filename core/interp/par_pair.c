/* par_pair.c — folds whose generator unpacks a zip or an enumerate, (E for a, b in zip(xs, ys))
 * or (E for i, v in enumerate(xs)): how par.c recognises them, the sources and counter their
 * native chunks read (jit/snap.c), and how a part's pair moves on after a chunk. */
#include "pf_sched.h"
#include "vm_int.h"

#include "par_int.h"

/* Whether fold "c"'s root is a generator expression (E for a, b in zip(xs, ys)) (or of three,
 * (E for a, b, c in zip(xs, ys, zs))) or
 * (E for i, v in enumerate(xs[, start])) — or, for a comprehension ("c->comp" set), whether
 * its source is zip(xs, ys) or enumerate(xs[, start]) — xs and ys tuples or lists read from
 * one index and the counter a small int: 1 (zip), 2 (enumerate), else 0 (c->pairnode: the
 * zip's or enumerate's node). The element then reads the pair at index x natively
 * (jit/snap.c). */
int par_pair_kind(par_ctx *c) {
  const par_node *rn = &c->nodes[c->root];
  if (c->kind == PK_COMP && !pf_is_type(c->comp, &pf_type_func))
    return 0; /* (analyse: the comprehension's code is not known yet) */
  const pf_code *code = c->kind == PK_COMP ? ((pf_func *)c->comp.u.o)->code : rn->code;
  if (c->kind != PK_COMP && (rn->kind != PN_GEN || rn->nchild != 1))
    return 0;
  uint32_t o = c->kind == PK_COMP; /* (a comprehension starts with its accumulator) */
  if (!code || code->nfor != 1 || code->nins < o + 3 || code->ins[o + 2].op != OP_UNPACK ||
      (code->ins[o + 2].c != 2 && code->ins[o + 2].c != 3))
    return 0; /* (not "for a, b in" or "for a, b, c in"; jit/snap.c checks the rest) */
  c->pairnode = c->kind == PK_COMP ? c->root : rn->child[0];
  const par_node *z = &c->nodes[c->pairnode];
  uint32_t ntargets = code->ins[o + 2].c;
  if (!((z->kind == PN_ZIP && z->nchild == ntargets) || (z->kind == PN_ENUM && z->nchild == 1 &&
                                                          ntargets == 2)) ||
      c->nbases != z->nchild)
    return 0;
  for (uint32_t k = 0; k < z->nchild; k++) {
    const par_node *ch = &c->nodes[z->child[k]];
    if (ch->kind != PN_BASE || ch->base != k)
      return 0;
    const pf_iter *it = c->bases[k].it;
    if (it->kind != IT_SEQ || !(pf_is_type(it->src, &pf_type_tuple) || pf_is_type(it->src, &pf_type_list)) ||
        c->bases[k].start != c->bases[0].start)
      return 0;
  }
  if (z->kind == PN_ENUM && z->count.tag != PF_INT)
    return 0;
  return z->kind == PN_ZIP ? 1 : 2;
}

/* The zip or enumerate "pair" of a part whose generator unpacks (a, b) from it (par_pair_kind):
 * its sources and the enumerate counter's offset from the index into *fs, for the chunk at
 * the part's first base's index. False when the counter is not a small int. */
bool par_pair_state(const par_ctx *c, const pf_par_part *pp, const pf_iter *pair,
                       pf_jit_fold_state *fs) {
  fs->seq = NULL;
  fs->pair = c->pair;
  for (uint32_t k = 0; k < pp->nbases && k < 3; k++)
    fs->pseq[k] = pp->bases[k]->src.u.o;
  if (c->pair == 2) {
    if (pair->src.tag != PF_INT ||
        __builtin_sub_overflow(pair->src.u.i, pp->bases[0]->cur, &fs->pdelta))
      return false;
  }
  return true;
}

/* Moves the part's zip or enumerate "pair" on by "k" elements: its bases (in lockstep), and
 * an enumerate's counter. 0, or -1 with an error pending in "s". */
int par_pair_advance(pf_run *s, const par_ctx *c, pf_par_part *pp, pf_iter *pair, int64_t k) {
  for (uint32_t j = 0; j < pp->nbases; j++)
    pp->bases[j]->cur += k;
  if (c->pair == 2 && k > 0) { /* enumerate: the counter */
    pf_val v;
    if (pf_val_binop(PF_OP_ADD, pair->src, pf_int(k), &v, &s->err) != PF_OK)
      return -1;
    pf_decref(pair->src);
    pair->src = v;
  }
  return 0;
}
