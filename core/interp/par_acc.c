/* par_acc.c — the partial accumulator of a parallel fold (par_int.h): made empty, merged with
 * the part just after it (Python order), freed; min/max's order and classes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "par_int.h"

/* ---------------------------------------------------------------- accumulators */

void *par_acc_new(void *ctx) {
  (void)ctx;
  par_acc *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->isum = pf_int(0);
  a->first = pf_unbound();
  a->best = pf_unbound();
  pf_listb_init(&a->items);
  return a;
}

void par_acc_free(void *ctx, void *p) {
  (void)ctx;
  par_acc *a = p;
  if (!a)
    return;
  pf_decref(a->isum);
  if (a->fs)
    pf_fsum_free(a->fs);
  pf_decref(a->first);
  pf_decref(a->best);
  pf_listb_discard(&a->items);
  free(a);
}

void par_exc_free(void *ctx, void *p) {
  (void)ctx;
  par_exc *e = p;
  if (!e)
    return;
  pf_decref(e->exc);
  free(e);
}

bool par_is_nan(pf_val v) { return v.tag == PF_FLOAT && isnan(v.u.f); }

int par_val_class(pf_val v) {
  if (v.tag == PF_INT || v.tag == PF_BOOL || v.tag == PF_FLOAT || pf_is_int(v))
    return CL_NUM;
  if (pf_is_type(v, &pf_type_str))
    return CL_STR;
  return 0;
}

/* Whether "a" goes before "b" in kind's order (strictly); both of one class, never NaN. */
bool par_better(int kind, pf_val a, pf_val b) {
  if (a.tag == PF_INT && b.tag == PF_INT)
    return kind == PK_MIN ? a.u.i < b.u.i : a.u.i > b.u.i;
  if (a.tag == PF_FLOAT && b.tag == PF_FLOAT)
    return kind == PK_MIN ? a.u.f < b.u.f : a.u.f > b.u.f;
  pf_val out;
  pf_err err;
  if (pf_val_compare(kind == PK_MIN ? PF_CMP_LT : PF_CMP_GT, a, b, &out, &err) != PF_OK)
    return false;
  bool r = out.tag == PF_BOOL && out.u.i;
  pf_decref(out);
  return r;
}

void par_merge(void *ctx, void *into_p, const void *right_p) {
  par_ctx *c = ctx;
  par_acc *a = into_p, *b = (par_acc *)right_p;
  switch (c->kind) {
  case PK_SUM: {
    pf_val s;
    pf_err err;
    if (pf_val_binop(PF_OP_ADD, a->isum, b->isum, &s, &err) == PF_OK) {
      pf_decref(a->isum);
      a->isum = s;
    } /* else: MemoryError of a gigantic int; the sequential finish raises it again */
    if (b->fs) {
      if (!a->fs) {
        a->fs = b->fs;
        b->fs = NULL;
      } else {
        pf_fsum_merge(a->fs, b->fs);
      }
    }
    a->saw_float |= b->saw_float;
    break;
  }
  case PK_MIN:
  case PK_MAX:
    if (a->poisoned || !b->any)
      break;
    if (!a->any) {
      a->any = true;
      a->cls = b->cls;
      a->first = b->first, b->first = pf_unbound();
      a->first_pos = b->first_pos;
      a->best = b->best, b->best = pf_unbound();
    } else if (a->cls != b->cls) {
      a->poisoned = true; /* the scan compares across kinds here: it goes on sequentially */
      a->poison_pos = b->first_pos;
      break;
    } else if (b->best.tag != PF_UNBOUND &&
               (a->best.tag == PF_UNBOUND || par_better(c->kind, b->best, a->best))) {
      pf_decref(a->best);
      a->best = b->best, b->best = pf_unbound();
    }
    if (b->poisoned) {
      a->poisoned = true;
      a->poison_pos = b->poison_pos;
    }
    break;
  case PK_COLLECT:
  case PK_COMP:
    for (size_t i = 0; i < b->items.n; i++) {
      pf_err err;
      if (pf_listb_push(&a->items, b->items.items[i], &err) != PF_OK)
        break; /* out of memory: the items are lost with "b" below */
      b->items.items[i] = pf_unbound();
    }
    break;
  default:
    break;
  }
}
