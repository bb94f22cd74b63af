/* pf_value.h — immutable Python values: the 16-byte value, heap objects, and the pure
 * operations on data (arithmetic with exact ints, comparison, hashing, containers,
 * conversions, repr, the math module, the JSON wire codec).
 *
 * Ownership words used below:
 *   "borrows"  — the callee neither keeps nor releases the argument;
 *   "takes"    — the callee owns the reference afterwards (the caller must not decref);
 *   "returns new" — the out-value holds a new reference; release it with pf_decref().
 *
 * Errors: every operation that can fail returns PF_OK or PF_EPYEXC, and on PF_EPYEXC
 * fills "err" with the Python exception kind and message (CPython's wording where
 * practical). Out-values are untouched on error. Nothing here aborts on bad input or
 * on out-of-memory (GMP sizes are checked before calling GMP; MemoryError instead).
 */
#ifndef PF_VALUE_H
#define PF_VALUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gmp.h>
#include <jansson.h>

#include "pf_status.h"

/* ---------------------------------------------------------------- exceptions */

/* X(name): Python's built-in exception classes the runtime itself raises. The interpreter
 * maps each to its exception class; user code may raise and catch any of them. */
#define PF_EXC_LIST(X)                                                         \
  X(BaseException)                                                             \
  X(Exception)                                                                 \
  X(ArithmeticError)                                                           \
  X(AssertionError)                                                            \
  X(AttributeError)                                                            \
  X(IndexError)                                                                \
  X(KeyError)                                                                  \
  X(LookupError)                                                               \
  X(MemoryError)                                                               \
  X(NameError)                                                                 \
  X(NotImplementedError)                                                       \
  X(OverflowError)                                                             \
  X(RecursionError)                                                            \
  X(RuntimeError)                                                              \
  X(StopIteration)                                                             \
  X(TypeError)                                                                 \
  X(UnboundLocalError)                                                         \
  X(ValueError)                                                                \
  X(ZeroDivisionError)                                                         \
  X(UnicodeError)                                                              \
  X(KeyboardInterrupt)                                                         \
  X(InvalidPyforaOperation)

typedef enum pf_exc_kind {
  PF_EXC_NONE = 0,
#define PF_X_EXC(name) PF_EXC_##name,
  PF_EXC_LIST(PF_X_EXC)
#undef PF_X_EXC
  PF_EXC_COUNT
} pf_exc_kind;

/* Returns the Python name of "kind" ("TypeError"), static storage. */
const char *pf_exc_name(pf_exc_kind kind);
/* Returns the kind named "name", or PF_EXC_NONE. */
pf_exc_kind pf_exc_by_name(const char *name);

#define PF_ERR_MSG_MAX 240
typedef struct pf_err {
  pf_exc_kind kind;
  char msg[PF_ERR_MSG_MAX];
} pf_err;

/* Fills "err" and returns PF_EPYEXC, so callers write `return pf_raise(err, ...)`. */
pf_status_t pf_raise(pf_err *err, pf_exc_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- values */

typedef enum pf_tag {
  PF_NONE = 0,  /* None */
  PF_BOOL = 1,  /* u.i is 0 or 1 */
  PF_INT = 2,   /* u.i: the full int64; ints outside int64 are PF_OBJ of pf_type_bigint */
  PF_FLOAT = 3, /* u.f: raw IEEE double */
  PF_OBJ = 4,   /* u.o: pointer to an immutable, reference-counted heap object */
  PF_UNBOUND = 5 /* not a Python value: marks an unassigned variable/register */
} pf_tag;

typedef struct pf_obj pf_obj;

/* A value: 16 bytes, passed by value. */
typedef struct pf_val {
  uint32_t tag; /* pf_tag */
  uint32_t aux; /* zero; reserved for the JIT and the scheduler */
  union {
    int64_t i;
    double f;
    pf_obj *o;
  } u;
} pf_val;
_Static_assert(sizeof(pf_val) == 16, "pf_val is 16 bytes");

/* Per-type operations table. Types defined outside this module (functions, classes,
 * instances, generators … in core/interp) provide their own table. */
typedef struct pf_type {
  const char *name; /* Python's type name: "int", "str", "function" … */
  /* Frees the object's children and the object itself. Required. */
  void (*destroy)(pf_obj *o);
  /* Optional: repr of the object as a new str value. NULL → "<name object>". */
  pf_status_t (*repr)(pf_obj *o, pf_val *out, pf_err *err);
  /* Optional: wire encoding (docs/ir.md). NULL → {"unconvertible": name}. */
  pf_status_t (*to_json)(pf_obj *o, json_t **out, pf_err *err);
  /* Foreign objects compare equal only to themselves and hash by identity, as Python's
   * default object.__eq__/__hash__; the interpreter handles user-defined dunders. */
} pf_type;

/* Every heap object starts with this header. rc == PF_RC_IMMORTAL never changes: code
 * objects owned by an arena (definitions, closures' environments) use it so workers never
 * touch a shared counter on calls. */
struct pf_obj {
  const pf_type *type;
  _Atomic int32_t rc;
  uint32_t flags; /* owner-defined */
};
#define PF_RC_IMMORTAL INT32_MAX

/* Types of this module. */
extern const pf_type pf_type_bigint, pf_type_str, pf_type_tuple, pf_type_list,
    pf_type_range, pf_type_dict, pf_type_set, pf_type_frozenset;

static inline pf_val pf_none(void) { return (pf_val){.tag = PF_NONE}; }
static inline pf_val pf_unbound(void) { return (pf_val){.tag = PF_UNBOUND}; }
static inline pf_val pf_bool(bool b) { return (pf_val){.tag = PF_BOOL, .u.i = b ? 1 : 0}; }
static inline pf_val pf_int(int64_t i) { return (pf_val){.tag = PF_INT, .u.i = i}; }
static inline pf_val pf_float(double f) { return (pf_val){.tag = PF_FLOAT, .u.f = f}; }
/* Wraps "o"; takes the reference the caller holds on "o". */
static inline pf_val pf_obj_val(pf_obj *o) { return (pf_val){.tag = PF_OBJ, .u.o = o}; }

static inline bool pf_is_obj(pf_val v) { return v.tag == PF_OBJ; }
static inline bool pf_is_type(pf_val v, const pf_type *t) {
  return v.tag == PF_OBJ && v.u.o->type == t;
}
/* True for int (inline or big) and bool, as Python's isinstance(v, int). */
static inline bool pf_is_int(pf_val v) {
  return v.tag == PF_INT || v.tag == PF_BOOL || pf_is_type(v, &pf_type_bigint);
}

/* Initialises a freshly allocated object header with rc = 1. */
static inline void pf_obj_init(pf_obj *o, const pf_type *t) {
  o->type = t;
  atomic_init(&o->rc, 1);
  o->flags = 0;
}
static inline void pf_obj_incref(pf_obj *o) {
  if (atomic_load_explicit(&o->rc, memory_order_relaxed) != PF_RC_IMMORTAL)
    atomic_fetch_add_explicit(&o->rc, 1, memory_order_relaxed);
}
static inline void pf_obj_decref(pf_obj *o) {
  if (atomic_load_explicit(&o->rc, memory_order_relaxed) == PF_RC_IMMORTAL)
    return;
  if (atomic_fetch_sub_explicit(&o->rc, 1, memory_order_acq_rel) == 1)
    o->type->destroy(o);
}
/* New reference to "v" (returns "v"). */
static inline pf_val pf_incref(pf_val v) {
  if (v.tag == PF_OBJ)
    pf_obj_incref(v.u.o);
  return v;
}
/* Releases one reference held on "v"; no-op for inline values. */
static inline void pf_decref(pf_val v) {
  if (v.tag == PF_OBJ)
    pf_obj_decref(v.u.o);
}

/* Python's type name of "v" ("int", "NoneType", …), static storage. */
const char *pf_type_name(pf_val v);

/* ---------------------------------------------------------------- ints */

/* Returns new: the int equal to "z" (borrowed), inline when it fits int64. */
pf_status_t pf_int_from_mpz(const mpz_t z, pf_val *out, pf_err *err) PF_WUR;
/* Sets "z" (initialised by the caller) to the int value "v" (int, bigint or bool). */
void pf_int_to_mpz(pf_val v, mpz_t z);
/* Parses an int literal as int(s, base) does (base 0 or 2..36, underscores, sign,
 * whitespace). Returns new. ValueError on bad text. */
pf_status_t pf_int_parse(const char *s, size_t n, int base, pf_val *out, pf_err *err) PF_WUR;
/* Int → float, rounded half-even as CPython; OverflowError when too large. */
pf_status_t pf_int_to_double(pf_val v, double *out, pf_err *err) PF_WUR;

/* ---------------------------------------------------------------- str */

/* Returns new str from "n" bytes of UTF-8 at "s" (copied). UnicodeError if invalid. */
pf_status_t pf_str_new(const char *s, size_t n, pf_val *out, pf_err *err) PF_WUR;
/* Returns new str from a NUL-terminated UTF-8 C string known to be valid. */
pf_status_t pf_str_from_cstr(const char *s, pf_val *out, pf_err *err) PF_WUR;
/* Borrows: the UTF-8 bytes (NUL-terminated) and byte length of str "v". */
const char *pf_str_utf8(pf_val v, size_t *nbytes);
/* Number of code points of str "v". */
size_t pf_str_len(pf_val v);

/* Case mappings with CPython's semantics (full mappings: 'ß'.upper() == 'SS', casefold 'ß' →
 * 'ss'; Final_Sigma in lower/title/capitalize/swapcase; capitalize title-cases the first
 * character as CPython >= 3.8). Borrow "s" (TypeError when not a str); return new str. */
pf_status_t pf_str_upper(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_lower(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_casefold(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_swapcase(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_title(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_capitalize(pf_val s, pf_val *out, pf_err *err) PF_WUR;
/* Predicates as CPython's str methods: *out is a bool value (False for the empty string,
 * as CPython). Borrow "s" (TypeError when not a str). */
pf_status_t pf_str_isalpha(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_isdigit(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_isdecimal(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_isnumeric(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_isalnum(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_isspace(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_isupper(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_islower(pf_val s, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_str_istitle(pf_val s, pf_val *out, pf_err *err) PF_WUR;

/* ---------------------------------------------------------------- tuple, list */

/* Returns new tuple of "n" items; takes the references in "items" (the array itself
 * stays the caller's). */
pf_status_t pf_tuple_new(size_t n, pf_val *items, pf_val *out, pf_err *err) PF_WUR;
size_t pf_tuple_len(pf_val t);
/* Borrows: item "i" (0 <= i < len) of tuple "t". */
pf_val pf_tuple_get(pf_val t, size_t i);
/* Borrows: the pf_tuple_len(t) items of tuple "t", contiguous; valid while "t" lives. */
const pf_val *pf_tuple_items(pf_val t);

/* Lists are persistent vectors: every operation returns a new list sharing structure
 * (a tree of leaf chunks of at most PF_LIST_LEAF items under branches of at most
 * PF_LIST_BRANCH children). Appending, concatenating and slicing with step 1 copy
 * O(log n) nodes; indexing is O(log n) with 32-way branching. */
#define PF_LIST_LEAF_BITS 5
#define PF_LIST_LEAF (1 << PF_LIST_LEAF_BITS) /* items per leaf chunk, at most */
#define PF_LIST_BRANCH_BITS 5
#define PF_LIST_BRANCH (1 << PF_LIST_BRANCH_BITS) /* children per branch, at most */

/* Returns new list of "n" items; takes the references in "items" (the array itself stays
 * the caller's). */
pf_status_t pf_list_new(size_t n, pf_val *items, pf_val *out, pf_err *err) PF_WUR;
size_t pf_list_len(pf_val l);
/* Borrows: item "i" (0 <= i < len) of list "l"; valid while "l" lives. O(log n). */
pf_val pf_list_get(pf_val l, size_t i);
/* Borrows: the items of the leaf chunk holding item "i" (0 <= i < len) of list "l", from
 * item "i" on; *avail (>= 1) is how many there are. Valid while "l" lives. */
const pf_val *pf_list_chunk(pf_val l, size_t i, size_t *avail);
/* Borrows: the whole leaf chunk holding item "i" (0 <= i < len) of list "l": its *n items
 * (item "i" is the *off-th of them). Valid while "l" lives. O(log n). */
const pf_val *pf_list_leaf(pf_val l, size_t i, size_t *off, size_t *n);
/* Returns new list "l" + [item] (borrows both). O(log n). */
pf_status_t pf_list_append(pf_val l, pf_val item, pf_val *out, pf_err *err) PF_WUR;
/* Height of the tree of "l" (0 for lists of at most PF_LIST_LEAF items); for tests. */
unsigned pf_list_height(pf_val l);

/* Iteration, chunk by chunk (amortised O(1) per item):
 *   pf_list_iter it; pf_val x;
 *   pf_list_iter_init(&it, l, 0);
 *   while (pf_list_iter_next(&it, &x)) ... x is borrowed, valid while "l" lives ...
 * "l" is borrowed and must outlive the iteration. Fields are private. */
typedef struct pf_list_iter {
  pf_val list;
  size_t next_pos; /* index of the item after the current chunk */
  const pf_val *chunk;
  size_t k, avail;
} pf_list_iter;
/* Starts at item "start" (start >= len: nothing to iterate). */
void pf_list_iter_init(pf_list_iter *it, pf_val l, size_t start);
/* Loads the next chunk; false at the end. Used by pf_list_iter_next. */
bool pf_list_iter_refill(pf_list_iter *it);
/* Sets *item (borrowed) to the next item and returns true, or returns false at the end. */
static inline bool pf_list_iter_next(pf_list_iter *it, pf_val *item) {
  if (it->k == it->avail && !pf_list_iter_refill(it))
    return false;
  *item = it->chunk[it->k++];
  return true;
}

/* Append-only builder for comprehensions and list(...). */
typedef struct pf_listb {
  pf_val *items;
  size_t n, cap;
} pf_listb;
void pf_listb_init(pf_listb *b);
/* Takes "v". */
pf_status_t pf_listb_push(pf_listb *b, pf_val v, pf_err *err) PF_WUR;
/* Returns new list (or tuple when "as_tuple") and resets "b". */
pf_status_t pf_listb_finish(pf_listb *b, bool as_tuple, pf_val *out, pf_err *err) PF_WUR;
/* Releases everything pushed so far. */
void pf_listb_discard(pf_listb *b);

/* ---------------------------------------------------------------- range */

/* Returns new range; ValueError when step is 0. Bounds are int64 (OverflowError
 * when a bound or the length does not fit). */
pf_status_t pf_range_new(int64_t start, int64_t stop, int64_t step, pf_val *out,
                         pf_err *err) PF_WUR;
/* Borrows "r": its start, stop, step and length. */
void pf_range_get(pf_val r, int64_t *start, int64_t *stop, int64_t *step, int64_t *len);

/* ---------------------------------------------------------------- dict, set
 * Dicts, sets and frozensets are persistent and keep insertion order: a hash trie (HAMT)
 * from each key to its entry plus the keys (and values) as persistent vectors. */

/* Returns new dict from "n" key/value pairs (keys[i] → vals[i]); takes all references.
 * Later duplicates overwrite the value but keep the first position, as Python does.
 * TypeError for unhashable keys. */
pf_status_t pf_dict_new(size_t n, pf_val *keys, pf_val *vals, pf_val *out, pf_err *err) PF_WUR;
size_t pf_dict_len(pf_val d);
/* Borrows: looks "key" up; *found tells whether it is there, *val_p is borrowed. */
pf_status_t pf_dict_lookup(pf_val d, pf_val key, bool *found, pf_val *val_p, pf_err *err) PF_WUR;
/* Borrows: the i-th entry in insertion order (0 <= i < len). O(log n). */
void pf_dict_entry(pf_val d, size_t i, pf_val *key_p, pf_val *val_p);
/* Borrows: the keys / the values of dict "d" as lists in insertion order (iterate them
 * with pf_list_iter); valid while "d" lives. */
pf_val pf_dict_keys(pf_val d);
pf_val pf_dict_values(pf_val d);
/* Returns new dict: "d" with "key" bound to "val" (borrows all three). A key already
 * there keeps its position (and its key object) and gets the new value; a new key goes
 * last. Dicts are persistent (a hash trie plus vectors): O(log n), "d" is unchanged.
 * TypeError when "key" is unhashable. */
pf_status_t pf_dict_set(pf_val d, pf_val key, pf_val val, pf_val *out, pf_err *err) PF_WUR;

/* Returns new set (or frozenset) of "n" items; takes the references. */
pf_status_t pf_set_new(size_t n, pf_val *items, bool frozen, pf_val *out, pf_err *err) PF_WUR;
size_t pf_set_len(pf_val s);
pf_status_t pf_set_contains(pf_val s, pf_val item, bool *found, pf_err *err) PF_WUR;
/* Borrows: the i-th item in insertion order. O(log n). */
pf_val pf_set_item(pf_val s, size_t i);
/* Borrows: the items of set/frozenset "s" as a list in insertion order. */
pf_val pf_set_items(pf_val s);
/* Returns new set (frozenset when "s" is one) with "item" added (borrows both); "s" itself
 * (a new reference) when the item is already there. O(log n). TypeError when unhashable. */
pf_status_t pf_set_add(pf_val s, pf_val item, pf_val *out, pf_err *err) PF_WUR;

/* ---------------------------------------------------------------- generic operations
 * These cover the data types of this module (None, bool, int, float, str, tuple, list,
 * range, dict, set, frozenset). For other objects (instances of user classes …) they
 * raise TypeError as CPython would for an unsupported operand; the interpreter looks
 * for dunder methods before calling them. */

typedef enum pf_binop {
  PF_OP_ADD, PF_OP_SUB, PF_OP_MUL, PF_OP_TRUEDIV, PF_OP_FLOORDIV, PF_OP_MOD, PF_OP_POW,
  PF_OP_LSHIFT, PF_OP_RSHIFT, PF_OP_BITAND, PF_OP_BITOR, PF_OP_BITXOR, PF_OP_MATMUL,
  PF_OP_BINOP_COUNT
} pf_binop;

typedef enum pf_unop { PF_OP_NEG, PF_OP_POS, PF_OP_INVERT, PF_OP_NOT } pf_unop;

typedef enum pf_cmpop { PF_CMP_EQ, PF_CMP_NE, PF_CMP_LT, PF_CMP_LE, PF_CMP_GT, PF_CMP_GE } pf_cmpop;

/* Python operator name ("+", "//", "<=") for messages. */
const char *pf_binop_symbol(pf_binop op);
const char *pf_cmpop_symbol(pf_cmpop op);

/* a OP b with Python semantics (exact ints, floor division/modulo signs, true division,
 * ** with negative and big exponents, shifts, str/tuple/list concatenation and
 * repetition, str % args). Borrows a, b; returns new. */
pf_status_t pf_val_binop(pf_binop op, pf_val a, pf_val b, pf_val *out, pf_err *err) PF_WUR;
/* OP a. Borrows a; returns new. PF_OP_NOT uses truthiness. */
pf_status_t pf_val_unop(pf_unop op, pf_val a, pf_val *out, pf_err *err) PF_WUR;
/* Rich comparison a OP b → bool value (ints vs floats exactly, str by code point,
 * tuples/lists lexicographically, sets by inclusion). Borrows; returns new. */
pf_status_t pf_val_compare(pf_cmpop op, pf_val a, pf_val b, pf_val *out, pf_err *err) PF_WUR;
/* a == b as a C bool (equality is total for data types: never raises for them). */
pf_status_t pf_val_eq(pf_val a, pf_val b, bool *eq, pf_err *err) PF_WUR;
/* The comparison of items inside containers (CPython's PyObject_RichCompareBool): true when
 * "a" is "b", else a == b. Identity of inline values is their bits (as PyPy), so a nan is
 * its own item: [x] == [x], x in [x], {x: 1}[x] hold for x = float("nan"), as in CPython
 * when x is one object — and also for two separately made nans, unlike CPython. Used by
 * list/tuple/dict/set equality and ordering, `in`, and dict/set lookups; the interpreter's
 * list.count/index/remove should use it too. Borrows. */
pf_status_t pf_val_eq_item(pf_val a, pf_val b, bool *eq, pf_err *err) PF_WUR;
/* bool(v). */
pf_status_t pf_val_truthy(pf_val v, bool *out, pf_err *err) PF_WUR;
/* len(v) for str, tuple, list, range, dict, set. */
pf_status_t pf_val_len(pf_val v, int64_t *out, pf_err *err) PF_WUR;
/* hash(v) as CPython for int/float/bool/None/tuple/frozenset; str hashes are
 * deterministic (XXH3), not CPython's randomised ones. TypeError when unhashable. */
pf_status_t pf_val_hash(pf_val v, int64_t *out, pf_err *err) PF_WUR;
/* container[index] for str, tuple, list, range (negative indices; IndexError) and dict
 * (KeyError). Borrows; returns new. */
pf_status_t pf_val_getitem(pf_val c, pf_val index, pf_val *out, pf_err *err) PF_WUR;
/* container[start:stop:step] for str, tuple, list, range; each bound may be None.
 * Borrows; returns new. */
pf_status_t pf_val_getslice(pf_val c, pf_val start, pf_val stop, pf_val step, pf_val *out,
                            pf_err *err) PF_WUR;
/* item in container, for str (substring), tuple, list, range, dict (keys), set. */
pf_status_t pf_val_contains(pf_val c, pf_val item, bool *out, pf_err *err) PF_WUR;

/* repr(v) and str(v) as new str values. Objects of foreign types use their type's
 * repr hook. Floats use the shortest repr that round-trips, as CPython. (Float text
 * conversions use snprintf/strtod: the process must keep the "C" LC_NUMERIC locale.) */
pf_status_t pf_val_repr(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_val_str(pf_val v, pf_val *out, pf_err *err) PF_WUR;

/* format(v, spec) — the format specification mini-language ([[fill]align][sign][z][#][0]
 * [width][,|_][.precision][type]) for int, bool, float and str, as f-strings' {v:spec};
 * "spec" is a str, or PF_UNBOUND/None for an empty spec (then str(v)). Other values accept
 * only an empty spec (TypeError otherwise). Borrows; returns new. */
pf_status_t pf_val_format(pf_val v, pf_val spec, pf_val *out, pf_err *err) PF_WUR;

/* Conversions as the builtins int(v), int(v, base), float(v), bool is pf_val_truthy. */
pf_status_t pf_val_to_int(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_val_to_int_base(pf_val s, int base, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_val_to_float(pf_val v, pf_val *out, pf_err *err) PF_WUR;

/* Pure builtins on data values: abs, divmod, pow (2 or 3 args; "mod" is PF_UNBOUND for
 * two), round (ndigits PF_UNBOUND when absent), hex/oct/bin, ord/chr. Borrow; return new. */
pf_status_t pf_builtin_abs(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_divmod(pf_val a, pf_val b, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_pow(pf_val a, pf_val b, pf_val mod, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_round(pf_val v, pf_val ndigits, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_hex(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_oct(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_bin(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_ord(pf_val v, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_builtin_chr(pf_val v, pf_val *out, pf_err *err) PF_WUR;

/* ---------------------------------------------------------------- math module */

/* True when the math module has a function "name" (sqrt, floor, ceil, trunc, fabs,
 * log (1 or 2 args), log2, log10, log1p, exp, expm1, pow, sin, cos, tan, asin, acos,
 * atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh, hypot, degrees, radians, copysign,
 * fmod, isnan, isinf, isfinite, isclose, gcd, lcm, factorial, isqrt, comb, perm, prod,
 * fsum is handled by the interpreter (it iterates)). */
bool pf_math_has(const char *name);
/* Calls math.<name>(*argv) with CPython's results and errors (ValueError "math domain
 * error", OverflowError). Borrows argv; returns new.
 * Argument conventions where Python's signature is not positional: prod(iterable, start=1)
 * takes the already-materialised items of the iterable as argv (start is not supported);
 * isclose(a, b, *, rel_tol, abs_tol) takes argv = (a, b[, rel_tol[, abs_tol]]); hypot, gcd
 * and lcm are variadic; perm(n) or perm(n, None) is factorial(n). Also provided: exp2, cbrt,
 * erf, erfc, gamma, lgamma (libm: may differ from CPython in the last digit), modf, frexp,
 * ldexp. */
pf_status_t pf_math_call(const char *name, size_t argc, const pf_val *argv, pf_val *out,
                         pf_err *err) PF_WUR;
/* math.<name> constants: pi, e, tau, inf, nan. False when not a constant. */
bool pf_math_const(const char *name, pf_val *out);

/* Exact float sum accumulator (math.fsum semantics: correctly rounded). */
typedef struct pf_fsum pf_fsum;
/* Returns a new empty accumulator (NULL when out of memory); free with pf_fsum_free. */
pf_fsum *pf_fsum_new(void);
void pf_fsum_add(pf_fsum *acc, double x);
/* Merges "other" into "acc" (for combining subranges); "other" is unchanged. */
void pf_fsum_merge(pf_fsum *acc, const pf_fsum *other);
/* The correctly rounded sum; OverflowError as math.fsum for intermediate overflow;
 * nan/inf as math.fsum. */
pf_status_t pf_fsum_result(const pf_fsum *acc, double *out, pf_err *err) PF_WUR;
void pf_fsum_free(pf_fsum *acc);
/* The state of "acc" as a new tuple of numbers (special sum, infinities' sum, flags, then the
 * exact partials), for another machine to pf_fsum_import; an empty accumulator's is exact too. */
pf_status_t pf_fsum_export(const pf_fsum *acc, pf_val *out, pf_err *err) PF_WUR;
/* A new accumulator from a pf_fsum_export tuple (borrowed); NULL when malformed or out of
 * memory. */
pf_fsum *pf_fsum_import(pf_val t);

/* ---------------------------------------------------------------- JSON wire codec
 * The value encoding of docs/ir.md ("Values"). */

/* Resolves {"ref": "<definition id>"} inside a value; NULL resolver → such a value is an
 * error. Returns new in *out. */
typedef pf_status_t (*pf_ref_resolver)(void *ctx, const char *id, pf_val *out, pf_err *err);

/* Decodes "j" (borrowed) into a new value. Malformed input → PF_EPYEXC with kind
 * ValueError and a message naming what is wrong. */
pf_status_t pf_val_from_json(const json_t *j, pf_ref_resolver resolve, void *ctx, pf_val *out,
                             pf_err *err) PF_WUR;
/* Encodes "v" (borrowed) as a new JSON value; objects that cannot be downloaded
 * (functions, generators …) become {"unconvertible": "<type name>"}. */
pf_status_t pf_val_to_json(pf_val v, json_t **out, pf_err *err) PF_WUR;

/* ---------------------------------------------------------------- testing */

/* Test hook: the "n"-th next heap allocation of this module on the calling thread (0: the
 * very next) fails as out of memory, once; n < 0 disarms. Returns the countdown that was
 * left (-1: none armed, or the armed failure already happened). GMP's and jansson's own
 * allocations are not covered (GMP sizes are bounded before calling it). */
long pf_value_test_fail_alloc(long n);

#endif
