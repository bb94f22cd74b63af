/* repr.c — repr() and str() of values. */
#include <stdio.h>
#include <stdlib.h>

#include "value_int.h"

static pf_status_t items_repr(pf_sb *b, pf_val *items, size_t n, pf_err *err) {
  for (size_t i = 0; i < n; i++) {
    if (i)
      pf_sb_puts(b, ", ");
    if (pf_val_repr_sb(b, items[i], err) != PF_OK)
      return PF_EPYEXC;
  }
  return PF_OK;
}

static pf_status_t set_items_repr(pf_sb *b, pf_val s, pf_err *err) {
  pf_sb_putc(b, '{');
  for (size_t i = 0; i < pf_set_len(s); i++) {
    if (i)
      pf_sb_puts(b, ", ");
    if (pf_val_repr_sb(b, pf_set_item(s, i), err) != PF_OK)
      return PF_EPYEXC;
  }
  pf_sb_putc(b, '}');
  return PF_OK;
}

pf_status_t pf_val_repr_sb(pf_sb *b, pf_val v, pf_err *err) {
  char buf[40];
  switch ((pf_tag)v.tag) {
  case PF_NONE:
    pf_sb_puts(b, "None");
    return PF_OK;
  case PF_UNBOUND:
    pf_sb_puts(b, "<unbound>");
    return PF_OK;
  case PF_BOOL:
    pf_sb_puts(b, v.u.i ? "True" : "False");
    return PF_OK;
  case PF_INT:
    pf_sb_put_int(b, v, 10);
    return PF_OK;
  case PF_FLOAT:
    pf_float_repr_buf(v.u.f, buf);
    pf_sb_puts(b, buf);
    return PF_OK;
  case PF_OBJ:
    break;
  }
  const pf_type *t = v.u.o->type;
  if (t == &pf_type_bigint) {
    pf_sb_put_int(b, v, 10);
  } else if (t == &pf_type_str) {
    pf_sb_put_str_repr(b, v);
  } else if (t == &pf_type_tuple) {
    pf_sb_putc(b, '(');
    if (items_repr(b, PF_SEQ(v)->items, PF_SEQ(v)->n, err) != PF_OK)
      return PF_EPYEXC;
    pf_sb_puts(b, PF_SEQ(v)->n == 1 ? ",)" : ")");
  } else if (t == &pf_type_list) {
    pf_sb_putc(b, '[');
    pf_list_iter it;
    pf_val x;
    pf_list_iter_init(&it, v, 0);
    for (size_t i = 0; pf_list_iter_next(&it, &x); i++) {
      if (i)
        pf_sb_puts(b, ", ");
      if (pf_val_repr_sb(b, x, err) != PF_OK)
        return PF_EPYEXC;
    }
    pf_sb_putc(b, ']');
  } else if (t == &pf_type_range) {
    pf_range *r = PF_RANGE(v);
    if (r->step == 1)
      pf_sb_printf(b, "range(%lld, %lld)", (long long)r->start, (long long)r->stop);
    else
      pf_sb_printf(b, "range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop,
                   (long long)r->step);
  } else if (t == &pf_type_dict) {
    pf_sb_putc(b, '{');
    for (size_t i = 0; i < pf_dict_len(v); i++) {
      pf_val k, x;
      pf_dict_entry(v, i, &k, &x);
      if (i)
        pf_sb_puts(b, ", ");
      if (pf_val_repr_sb(b, k, err) != PF_OK)
        return PF_EPYEXC;
      pf_sb_puts(b, ": ");
      if (pf_val_repr_sb(b, x, err) != PF_OK)
        return PF_EPYEXC;
    }
    pf_sb_putc(b, '}');
  } else if (t == &pf_type_set) {
    if (pf_set_len(v) == 0)
      pf_sb_puts(b, "set()");
    else if (set_items_repr(b, v, err) != PF_OK)
      return PF_EPYEXC;
  } else if (t == &pf_type_frozenset) {
    pf_sb_puts(b, "frozenset(");
    if (pf_set_len(v) && set_items_repr(b, v, err) != PF_OK)
      return PF_EPYEXC;
    pf_sb_putc(b, ')');
  } else if (t->repr) {
    pf_val s;
    if (t->repr(v.u.o, &s, err) != PF_OK)
      return PF_EPYEXC;
    pf_sb_putv(b, s);
    pf_decref(s);
  } else {
    pf_sb_printf(b, "<%s object>", t->name);
  }
  return PF_OK;
}

pf_status_t pf_val_str_sb(pf_sb *b, pf_val v, pf_err *err) {
  if (pf_is_str(v)) {
    pf_sb_putv(b, v);
    return PF_OK;
  }
  return pf_val_repr_sb(b, v, err);
}

pf_status_t pf_val_repr(pf_val v, pf_val *out, pf_err *err) {
  pf_sb b;
  pf_sb_init(&b);
  if (pf_val_repr_sb(&b, v, err) != PF_OK) {
    pf_sb_free(&b);
    return PF_EPYEXC;
  }
  return pf_sb_finish(&b, out, err);
}

pf_status_t pf_val_str(pf_val v, pf_val *out, pf_err *err) {
  if (pf_is_str(v)) {
    *out = pf_incref(v);
    return PF_OK;
  }
  return pf_val_repr(v, out, err);
}
