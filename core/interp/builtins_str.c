#define _GNU_SOURCE
/* builtins_str.c — str.split and str.join on UTF-8 bytes. The other str methods are in
 * str_methods.c; format specs are core/value's pf_val_format (through pf_format_run). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static int ret_st(pf_run *r, pf_status_t st, pf_val v) {
  if (st != PF_OK)
    return NS_RAISE;
  r->ret = v;
  return NS_RETURN;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static int need_str(pf_run *r, pf_val v, const char *m) {
  if (!pf_is_type(v, &pf_type_str))
    return pf_raise_run(r, PF_EXC_TypeError, "str.%s() argument must be str, not %s", m, pf_type_name(v));
  return NS_RETURN;
}

static int split(pf_run *r, const char *s, size_t n, pf_val *args, uint32_t nargs) {
  pf_listb lb;
  pf_listb_init(&lb);
  pf_val v;
  const char *sep = NULL;
  size_t sl = 0;
  if (nargs >= 1 && args[0].tag != PF_NONE) {
    if (need_str(r, args[0], "split") != NS_RETURN)
      return NS_RAISE;
    sep = pf_str_utf8(args[0], &sl);
    if (sl == 0)
      return pf_raise_run(r, PF_EXC_ValueError, "empty separator");
  }
  int64_t maxs = nargs >= 2 && args[1].tag == PF_INT ? args[1].u.i : -1;
  size_t i = 0;
  if (!sep) {
    for (;;) {
      while (i < n && is_ws(s[i]))
        i++;
      if (i >= n)
        break;
      size_t j = i;
      if (maxs == 0)
        j = n;
      else
        while (j < n && !is_ws(s[j]))
          j++;
      if (pf_str_new(s + i, j - i, &v, &r->err) != PF_OK || pf_listb_push(&lb, v, &r->err) != PF_OK)
        goto fail;
      if (maxs > 0)
        maxs--;
      i = j;
      if (maxs == 0 && i < n) {
        while (i < n && is_ws(s[i]))
          i++;
        if (i < n) { /* the rest, as it is */
          if (pf_str_new(s + i, n - i, &v, &r->err) != PF_OK || pf_listb_push(&lb, v, &r->err) != PF_OK)
            goto fail;
        }
        break;
      }
    }
  } else {
    for (;;) {
      const char *hit = maxs == 0 ? NULL : memmem(s + i, n - i, sep, sl);
      size_t j = hit ? (size_t)(hit - s) : n;
      if (pf_str_new(s + i, j - i, &v, &r->err) != PF_OK || pf_listb_push(&lb, v, &r->err) != PF_OK)
        goto fail;
      if (!hit)
        break;
      if (maxs > 0)
        maxs--;
      i = j + sl;
    }
  }
  return ret_st(r, pf_listb_finish(&lb, false, &v, &r->err), v);
fail:
  pf_listb_discard(&lb);
  return NS_RAISE;
}

int pf_str_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs) {
  size_t n;
  const char *s = pf_str_utf8(self, &n);
  pf_val out;
  if (!strcmp(m, "split"))
    return split(r, s, n, args, nargs);
  if (!strcmp(m, "join")) {
    if (nargs != 1)
      return pf_raise_run(r, PF_EXC_TypeError, "str.join() takes exactly one argument (%u given)", nargs);
    pf_val it, v;
    if (pf_iter_new(args[0], &it, &r->err) != PF_OK)
      return NS_RAISE;
    char *buf = NULL;
    size_t len = 0, cap = 0, k = 0;
    int rc = NS_RETURN;
    for (;; k++) {
      int q = pf_iter_fast_next((pf_iter *)it.u.o, &v, &r->err);
      if (q == 0)
        break;
      if (q < 0) {
        rc = q == -1 ? pf_raise_run(r, PF_EXC_InvalidPyforaOperation, "str.join of a generator is not supported yet; use a list")
                     : NS_RAISE;
        break;
      }
      if (!pf_is_type(v, &pf_type_str)) {
        rc = pf_raise_run(r, PF_EXC_TypeError, "sequence item %zu: expected str instance, %s found", k, pf_type_name(v));
        pf_decref(v);
        break;
      }
      size_t vl;
      const char *vs = pf_str_utf8(v, &vl);
      size_t need = len + vl + (k ? n : 0) + 1;
      if (need > cap) {
        cap = need * 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
          pf_decref(v);
          rc = pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
          break;
        }
        buf = nb;
      }
      if (k) {
        memcpy(buf + len, s, n);
        len += n;
      }
      memcpy(buf + len, vs, vl);
      len += vl;
      pf_decref(v);
    }
    pf_decref(it);
    if (rc == NS_RETURN)
      rc = ret_st(r, pf_str_new(buf ? buf : "", len, &out, &r->err), out);
    free(buf);
    return rc;
  }
  return pf_raise_run(r, PF_EXC_AttributeError, "'str' object has no attribute '%s'", m);
}
