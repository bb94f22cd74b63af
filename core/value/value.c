/* value.c — exceptions, type names, allocation helpers, string builder, bigint type. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

static const char *const exc_names[PF_EXC_COUNT] = {
    [PF_EXC_NONE] = "",
#define PF_X_NAME(name) [PF_EXC_##name] = #name,
    PF_EXC_LIST(PF_X_NAME)
#undef PF_X_NAME
};

const char *pf_exc_name(pf_exc_kind kind) {
  if ((int)kind <= 0 || kind >= PF_EXC_COUNT)
    return "Exception";
  return exc_names[kind];
}

pf_exc_kind pf_exc_by_name(const char *name) {
  for (int k = 1; k < PF_EXC_COUNT; k++)
    if (strcmp(exc_names[k], name) == 0)
      return (pf_exc_kind)k;
  return PF_EXC_NONE;
}

pf_status_t pf_raise(pf_err *err, pf_exc_kind kind, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->kind = kind;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return PF_EPYEXC;
}

/* Countdown to the failing allocation of the test hook; -1: off. Per thread, so tests
 * running in parallel do not disturb each other. */
static _Thread_local long fail_countdown = -1;

long pf_value_test_fail_alloc(long n) {
  long left = fail_countdown;
  fail_countdown = n < 0 ? -1 : n;
  return left;
}

static bool fail_now(void) {
  if (__builtin_expect(fail_countdown < 0, 1))
    return false;
  if (fail_countdown-- == 0) {
    fail_countdown = -1;
    return true;
  }
  return false;
}

void *pf_vmalloc(size_t n) { return fail_now() ? NULL : malloc(n ? n : 1); }
void *pf_vcalloc(size_t n, size_t size) { return fail_now() ? NULL : calloc(n ? n : 1, size); }
void *pf_vrealloc(void *p, size_t n) { return fail_now() ? NULL : realloc(p, n ? n : 1); }

pf_status_t pf_nomem(pf_err *err) { return pf_raise(err, PF_EXC_MemoryError, "%s", ""); }

void *pf_xmalloc(size_t n, pf_err *err) {
  void *p = n > ((size_t)1 << 40) ? NULL : pf_vmalloc(n);
  if (!p)
    (void)pf_nomem(err);
  return p;
}

const char *pf_type_name(pf_val v) {
  switch ((pf_tag)v.tag) {
  case PF_NONE:
    return "NoneType";
  case PF_BOOL:
    return "bool";
  case PF_INT:
    return "int";
  case PF_FLOAT:
    return "float";
  case PF_OBJ:
    return v.u.o->type->name;
  case PF_UNBOUND:
    return "unbound";
  }
  return "?";
}

const char *pf_binop_symbol(pf_binop op) {
  static const char *const s[PF_OP_BINOP_COUNT] = {
      "+", "-", "*", "/", "//", "%", "** or pow()", "<<", ">>", "&", "|", "^", "@"};
  return (unsigned)op < PF_OP_BINOP_COUNT ? s[op] : "?";
}

const char *pf_cmpop_symbol(pf_cmpop op) {
  static const char *const s[] = {"==", "!=", "<", "<=", ">", ">="};
  return (unsigned)op <= PF_CMP_GE ? s[op] : "?";
}

/* ---------------------------------------------------------------- bigint type */

static void bigint_destroy(pf_obj *o) {
  mpz_clear(((pf_bigint *)o)->z);
  free(o);
}

const pf_type pf_type_bigint = {.name = "int", .destroy = bigint_destroy};

/* ---------------------------------------------------------------- string builder */

void pf_sb_init(pf_sb *b) { *b = (pf_sb){0}; }

static bool sb_reserve(pf_sb *b, size_t extra) {
  if (b->oom)
    return false;
  if (b->n + extra + 1 <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : 32;
  while (cap < b->n + extra + 1) {
    if (cap > ((size_t)1 << 40)) {
      b->oom = true;
      return false;
    }
    cap *= 2;
  }
  char *p = pf_vrealloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void pf_sb_putn(pf_sb *b, const char *s, size_t n) {
  if (!sb_reserve(b, n))
    return;
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

void pf_sb_puts(pf_sb *b, const char *s) { pf_sb_putn(b, s, strlen(s)); }
void pf_sb_putc(pf_sb *b, char c) { pf_sb_putn(b, &c, 1); }

void pf_sb_printf(pf_sb *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !sb_reserve(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)n;
}

void pf_sb_putv(pf_sb *b, pf_val v) { pf_sb_putn(b, PF_STR(v)->data, PF_STR(v)->nbytes); }

void pf_sb_free(pf_sb *b) {
  free(b->p);
  *b = (pf_sb){0};
}

pf_status_t pf_sb_finish(pf_sb *b, pf_val *out, pf_err *err) {
  if (b->oom) {
    pf_sb_free(b);
    return pf_nomem(err);
  }
  pf_status_t st = pf_str_new(b->p ? b->p : "", b->n, out, err);
  pf_sb_free(b);
  return st;
}
