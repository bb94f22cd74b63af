/* value_int.h — private to core/value: object layouts and helpers shared by the
 * value module's files. Never included outside core/value. */
#ifndef PF_VALUE_INT_H
#define PF_VALUE_INT_H

#include "pf_value.h"

/* Largest bigint result (in bits) an operation may produce; beyond it MemoryError. */
#define PF_INT_MAX_BITS ((uint64_t)1 << 32)
/* Largest str/tuple/list (bytes or items) a repetition or concatenation may build. */
#define PF_SEQ_MAX_BYTES ((uint64_t)1 << 34)

typedef struct pf_bigint {
  pf_obj h;
  mpz_t z;
} pf_bigint;

typedef struct pf_str {
  pf_obj h;
  size_t nbytes;
  size_t ncp;    /* code points */
  int64_t hash;  /* XXH3 of the bytes, never -1 */
  bool is_ascii;
  char data[];   /* nbytes + NUL */
} pf_str;

/* tuples (lists are persistent vectors: list.c). */
typedef struct pf_seq {
  pf_obj h;
  size_t n;
  pf_val items[];
} pf_seq;

typedef struct pf_range {
  pf_obj h;
  int64_t start, stop, step, len;
} pf_range;

#define PF_BIG(v) (((pf_bigint *)(v).u.o)->z)
#define PF_STR(v) ((pf_str *)(v).u.o)
#define PF_SEQ(v) ((pf_seq *)(v).u.o)
#define PF_RANGE(v) ((pf_range *)(v).u.o)

static inline bool pf_is_small_int(pf_val v) { return v.tag == PF_INT || v.tag == PF_BOOL; }
static inline bool pf_is_big(pf_val v) { return pf_is_type(v, &pf_type_bigint); }
static inline bool pf_is_str(pf_val v) { return pf_is_type(v, &pf_type_str); }
static inline bool pf_is_tuple(pf_val v) { return pf_is_type(v, &pf_type_tuple); }
static inline bool pf_is_list(pf_val v) { return pf_is_type(v, &pf_type_list); }
static inline bool pf_is_anyset(pf_val v) {
  return pf_is_type(v, &pf_type_set) || pf_is_type(v, &pf_type_frozenset);
}
static inline bool pf_is_num(pf_val v) { return pf_is_int(v) || v.tag == PF_FLOAT; }

/* The module's allocator: malloc/calloc/realloc with the test fault hook
 * (pf_value_test_fail_alloc). */
void *pf_vmalloc(size_t n);
void *pf_vcalloc(size_t n, size_t size);
void *pf_vrealloc(void *p, size_t n);
/* malloc that raises MemoryError on NULL (and on n == SIZE_MAX-ish overflow). */
void *pf_xmalloc(size_t n, pf_err *err);
pf_status_t pf_nomem(pf_err *err);

/* ---- growable byte buffer (value.c) */
typedef struct pf_sb {
  char *p;
  size_t n, cap;
  bool oom;
} pf_sb;
void pf_sb_init(pf_sb *b);
void pf_sb_putn(pf_sb *b, const char *s, size_t n);
void pf_sb_puts(pf_sb *b, const char *s);
void pf_sb_putc(pf_sb *b, char c);
void pf_sb_printf(pf_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends str value "v"'s bytes. */
void pf_sb_putv(pf_sb *b, pf_val v);
/* Returns new str of the buffer (known valid UTF-8) and frees the buffer. */
pf_status_t pf_sb_finish(pf_sb *b, pf_val *out, pf_err *err);
void pf_sb_free(pf_sb *b);

/* ---- ints (int.c) */
/* Returns new int from "z", clearing "z" (moved into the object when it does not fit). */
pf_status_t pf_int_from_mpz_take(mpz_t z, pf_val *out, pf_err *err);
pf_status_t pf_int_binop(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err);
/* -1, 0, 1 comparing two ints. */
int pf_int_cmp(pf_val a, pf_val b);
/* Compares int "a" with float "f" exactly: -1/0/1, or 2 when "f" is nan. */
int pf_int_cmp_float(pf_val a, double f);
int64_t pf_int_hash(pf_val v);
size_t pf_int_bitlen(pf_val v);
/* Index value of an int: false when it does not fit int64. */
bool pf_int_as_i64(pf_val v, int64_t *out);
/* int ** int with optional modulus (PF_UNBOUND for none). */
pf_status_t pf_int_pow(pf_val a, pf_val b, pf_val mod, pf_val *out, pf_err *err);
/* Appends int "v" in "base" (2, 8, 10, 16) without prefix, with '-' when negative. */
void pf_sb_put_int(pf_sb *b, pf_val v, int base);

/* ---- floats (float.c) */
pf_status_t pf_float_binop(pf_binop op, double a, double b, pf_val *out, pf_err *err);
int64_t pf_float_hash(double d);
/* Both parts of divmod(a, b) for floats; ZeroDivisionError "float divmod()". */
pf_status_t pf_float_divmod(double a, double b, double *q, double *r, pf_err *err);
/* Writes repr(d) into "buf" (>= 32 bytes). */
void pf_float_repr_buf(double d, char *buf);
/* Float → int (truncating); ValueError/OverflowError for nan/inf. */
pf_status_t pf_float_to_int(double d, pf_val *out, pf_err *err);
/* Parses float(s) text; ValueError. */
pf_status_t pf_float_parse(const char *s, size_t n, double *out, pf_err *err);
pf_status_t pf_float_round(double x, pf_val ndigits, pf_val *out, pf_err *err);

/* ---- str (str.c, strfmt.c) */
pf_status_t pf_str_concat(pf_val a, pf_val b, pf_val *out, pf_err *err);
pf_status_t pf_str_repeat(pf_val a, int64_t n, pf_val *out, pf_err *err);
int pf_str_cmp(pf_val a, pf_val b);
bool pf_str_eq(pf_val a, pf_val b);
pf_status_t pf_str_getitem(pf_val s, int64_t i, pf_val *out, pf_err *err);
pf_status_t pf_str_slice(pf_val s, int64_t start, int64_t step, int64_t len, pf_val *out,
                         pf_err *err);
bool pf_str_contains(pf_val hay, pf_val needle);
/* Appends repr(s) of str "s". */
void pf_sb_put_str_repr(pf_sb *b, pf_val s);
pf_status_t pf_str_format(pf_val fmt, pf_val args, pf_val *out, pf_err *err);
/* Byte offset of code point "i" of str "s". */
size_t pf_str_cp_offset(pf_val s, size_t i);
/* Decodes one code point at "p"; returns its byte length. */
size_t pf_utf8_decode(const char *p, int32_t *cp);
/* Encodes "cp" into "buf" (4 bytes); returns length. */
size_t pf_utf8_encode(int32_t cp, char *buf);

/* ---- sequences (seq.c) */
pf_status_t pf_seq_alloc(const pf_type *t, size_t n, pf_val *out, pf_err *err);
pf_status_t pf_seq_concat(pf_val a, pf_val b, pf_val *out, pf_err *err);
pf_status_t pf_seq_repeat(pf_val a, int64_t n, pf_val *out, pf_err *err);
pf_status_t pf_seq_slice(pf_val s, int64_t start, int64_t step, int64_t len, pf_val *out,
                         pf_err *err);
/* Adjusts slice bounds as PySlice_Unpack + PySlice_AdjustIndices; returns the length. */
pf_status_t pf_slice_indices(pf_val start, pf_val stop, pf_val step, int64_t len,
                             int64_t *start_p, int64_t *stop_p, int64_t *step_p, int64_t *slen_p,
                             pf_err *err);
/* Returns new range that is range "r" sliced by adjusted indices. */
pf_status_t pf_range_slice(pf_val r, int64_t start, int64_t stop, int64_t step, int64_t slen,
                           pf_val *out, pf_err *err);
/* Converts an index value (int/bool/bigint) to int64, with CPython's errors; "what"
 * names the container for the TypeError ("list"). */
pf_status_t pf_index_value(pf_val idx, const char *what, int64_t *out, pf_err *err);
int64_t pf_range_item(pf_val r, int64_t i);

/* ---- lists (list.c): as the pf_seq_* operations, for lists */
pf_status_t pf_list_concat(pf_val a, pf_val b, pf_val *out, pf_err *err);
pf_status_t pf_list_repeat(pf_val a, int64_t n, pf_val *out, pf_err *err);
pf_status_t pf_list_slice(pf_val s, int64_t start, int64_t step, int64_t len, pf_val *out,
                          pf_err *err);
/* Returns new list "l" with item "i" (< len) replaced by "v" (borrowed): O(log n). */
pf_status_t pf_list_set_item(pf_val l, size_t i, pf_val v, pf_val *out, pf_err *err);

/* ---- dict/set (dict.c) */
pf_status_t pf_dict_find(pf_val d, pf_val key, int64_t *pos, pf_err *err);
pf_status_t pf_set_subset(pf_val a, pf_val b, bool *out, pf_err *err);
/* XOR of f(hash) over the items of set "s" (for frozenset's hash). */
uint64_t pf_set_xor_hashes(pf_val s, uint64_t (*f)(uint64_t));

/* ---- generic (ops.c) */
pf_status_t pf_val_repr_sb(pf_sb *b, pf_val v, pf_err *err);
pf_status_t pf_val_str_sb(pf_sb *b, pf_val v, pf_err *err);

#endif
