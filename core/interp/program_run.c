/* program_run.c — running a loaded program: class definitions, the block, and the result
 * JSON of docs/ir.md; pf_program_destroy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defcache_int.h"
#include "vm_int.h"

#define PF_DEFAULT_MAX_DEPTH 20000

/* Creates the class of definition "d" (bases first) by running its body. */
static pf_status_t make_class_def(pf_program *p, pf_def *d, const atomic_int *cancel,
                                  size_t depth, pf_val *exc_out) {
  if (d->state == 2)
    return PF_OK;
  if (d->state == 1) {
    pf_err e;
    pf_raise(&e, PF_EXC_TypeError, "cyclic class bases");
    return pf_exc_from_err(p, &e, exc_out) == PF_OK ? PF_EPYEXC : PF_ENOMEM;
  }
  d->state = 1;
  pf_class *base = NULL;
  for (uint32_t i = 0; i < d->nbases; i++) {
    pf_def *b = d->bases[i];
    if (b->kind == DEF_CLASS) {
      pf_status_t st = make_class_def(p, b, cancel, depth, exc_out);
      if (st != PF_OK)
        return st;
    }
    if (i == 0 && pf_is_type(b->val, &pf_type_class) && d->nbases == 1)
      base = (pf_class *)b->val.u.o;
  }
  if (d->nbases > 1 || (d->nbases == 1 && !base)) {
    pf_err e;
    pf_raise(&e, PF_EXC_InvalidPyforaOperation, "class '%s': only single inheritance from a class is supported",
             d->node->s);
    return pf_exc_from_err(p, &e, exc_out) == PF_OK ? PF_EPYEXC : PF_ENOMEM;
  }
  pf_func *body = (pf_func *)d->val.u.o;
  pf_val ns = pf_unbound();
  pf_status_t st = pf_vm_run(p, body->code, cancel, depth, &ns, exc_out);
  if (st != PF_OK)
    return st;
  pf_class *c = pf_class_new(p, d->node->s, base);
  if (!c) {
    pf_decref(ns);
    return PF_ENOMEM;
  }
  for (size_t j = 0; j < pf_dict_len(ns); j++) {
    pf_val kk, vv;
    pf_dict_entry(ns, j, &kk, &vv);
    if (pf_prog_own(p, pf_incref(kk)) != PF_OK ||
        pf_class_setattr(c, pf_str_utf8(kk, NULL), pf_incref(vv)) != PF_OK) {
      pf_decref(ns);
      return PF_ENOMEM;
    }
  }
  pf_decref(ns);
  d->val = pf_obj_val(&c->h);
  d->state = 2;
  return PF_OK;
}

pf_status_t pf_program_make_classes(pf_program *p, const atomic_int *cancel, size_t depth,
                                    pf_val *exc_out) {
  if (!depth)
    depth = PF_DEFAULT_MAX_DEPTH;
  pf_status_t st = PF_OK;
  for (uint32_t i = 0; i < p->ndefs && st == PF_OK; i++)
    if (p->defs[i].kind == DEF_CLASS)
      st = make_class_def(p, &p->defs[i], cancel, depth, exc_out);
  if (st == PF_OK)
    for (uint32_t i = 0; i < p->npend; i++)
      if (p->pend[i].slot->tag == PF_UNBOUND)
        *p->pend[i].slot = pf_incref(p->pend[i].def->val);
  return st;
}

static json_t *exc_json(pf_program *p, pf_val exc) {
  pf_inst *in = (pf_inst *)exc.u.o;
  pf_err e;
  pf_val s;
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "type", json_string(in->cls->name));
  if (pf_exc_str(exc, &s, &e) == PF_OK) {
    json_object_set_new(o, "message", json_string(pf_str_utf8(s, NULL)));
    pf_decref(s);
  } else
    json_object_set_new(o, "message", json_string(""));
  json_t *args = NULL;
  if (pf_val_to_json(in->args, &args, &e) == PF_OK)
    json_object_set_new(o, "args", args);
  json_t *tb = json_array();
  for (uint32_t i = in->ntb; i-- > 0;)
    json_array_append_new(tb, json_pack("{s:s,s:i,s:s}", "file", in->tb[i].file ? in->tb[i].file : "",
                                        "line", (int)in->tb[i].line, "function", in->tb[i].func));
  json_object_set_new(o, "traceback", tb);
  (void)p;
  return o;
}

pf_status_t pf_program_run(pf_program *p, const atomic_int *cancel, const pf_run_limits *lim,
                           json_t **result_p) {
  return pf_program_run_ex(p, cancel, lim, NULL, NULL, result_p);
}

pf_status_t pf_program_run_ex(pf_program *p, const atomic_int *cancel, const pf_run_limits *lim,
                              pf_output_fn out, void *out_ctx, json_t **result_p) {
  if (!p || p->ran)
    return PF_EINVAL;
  p->ran = true;
  p->progress = lim ? lim->progress : NULL;
  p->worker = lim ? lim->worker : NULL;
  p->jit = lim ? lim->jit : NULL;
  size_t depth = lim && lim->max_depth ? lim->max_depth : PF_DEFAULT_MAX_DEPTH;
  pf_val exc = pf_unbound();
  pf_status_t st = pf_program_make_classes(p, cancel, depth, &exc);
  if (st == PF_OK)
    st = pf_vm_run(p, p->block_code, cancel, depth, NULL, &exc);
  p->progress = NULL; /* the counter belongs to this run only */
  p->worker = NULL;
  p->jit = NULL;
  if (st != PF_OK && st != PF_EPYEXC)
    return st;
  json_t *res = json_object(), *vals = json_object();
  if (!res || !vals) {
    json_decref(res);
    json_decref(vals);
    pf_decref(exc);
    return PF_ENOMEM;
  }
  for (uint32_t i = 0; i < p->noutputs; i++) {
    pf_val *slot = pf_ns_slot(&p->block_ns, p->outputs[i], false);
    if (!slot || slot->tag == PF_UNBOUND)
      continue;
    if (out) {
      pf_status_t ost = out(out_ctx, p->outputs[i], *slot);
      if (ost != PF_OK) {
        json_decref(res);
        json_decref(vals);
        pf_decref(exc);
        return ost;
      }
      continue;
    }
    json_t *j = NULL;
    pf_err e;
    if (pf_val_to_json(*slot, &j, &e) != PF_OK)
      j = json_pack("{s:s}", "unconvertible", pf_type_name(*slot));
    json_object_set_new(vals, p->outputs[i], j);
  }
  json_object_set_new(res, "values", vals);
  json_object_set_new(res, "exception", st == PF_EPYEXC ? exc_json(p, exc) : json_null());
  pf_decref(exc);
  *result_p = res;
  return PF_OK;
}

void pf_program_destroy(pf_program *p) {
  if (!p)
    return;
  pf_ns_free(&p->block_ns);
  for (uint32_t i = 0; p->def_ns && i < p->ndefs; i++)
    pf_ns_free(&p->def_ns[i]);
  free(p->def_ns);
  for (uint32_t i = 0; p->defs && i < p->ndefs; i++)
    if (p->defs[i].kind == DEF_VALUE)
      pf_decref(p->defs[i].val);
  for (pf_cell *c = p->cells; c; c = c->next_owned)
    pf_decref(c->v);
  /* immortal objects may refer to each other: drop all their references first */
  for (uint32_t i = 0; i < p->nobjs; i++)
    pf_obj_clear(p->objs[i]);
  for (uint32_t i = 0; i < p->nobjs; i++) {
    pf_obj *o = p->objs[i];
    o->type->destroy(o);
  }
  while (p->cells) {
    pf_cell *n = p->cells->next_owned;
    free(p->cells);
    p->cells = n;
  }
  for (uint32_t i = 0; i < p->nowned; i++)
    pf_decref(p->owned[i]);
  free(p->owned);
  free(p->objs);
  free(p->pend);
  pf_arena_free(&p->arena);
  free(p);
}
