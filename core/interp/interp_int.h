/* interp_int.h — private to core/interp: the arena-allocated AST, scopes, the register
 * bytecode, code/function/class/generator objects, heap frames and the run state.
 * Never included outside core/interp. */
#ifndef PF_INTERP_INT_H
#define PF_INTERP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pf_interp.h"
#include "pf_value.h"

/* ---------------------------------------------------------------- arena */

typedef struct pf_arena_blk pf_arena_blk;
typedef struct pf_arena {
  pf_arena_blk *head;
} pf_arena;
/* Returns zeroed memory owned by "a", or NULL on out-of-memory. */
void *pf_arena_alloc(pf_arena *a, size_t n);
char *pf_arena_strdup(pf_arena *a, const char *s);
void pf_arena_free(pf_arena *a);

/* ---------------------------------------------------------------- AST */

#define PF_STMT_LIST(X)                                                                  \
  X(FunctionDef) X(ClassDef) X(Return) X(Assign) X(AnnAssign) X(For) X(While) X(If)      \
  X(Raise) X(Try) X(Assert) X(Import) X(ImportFrom) X(Expr) X(Pass) X(Break) X(Continue)
#define PF_EXPR_LIST(X)                                                                  \
  X(BoolOp) X(NamedExpr) X(BinOp) X(UnaryOp) X(Lambda) X(IfExp) X(Dict) X(Set)          \
  X(ListComp) X(SetComp) X(DictComp) X(GeneratorExp) X(Yield) X(YieldFrom) X(Compare)    \
  X(Call) X(FormattedValue) X(JoinedStr) X(Constant) X(Attribute) X(Subscript) X(Starred) \
  X(Name) X(List) X(Tuple) X(Slice)
#define PF_HELPER_LIST(X)                                                                \
  X(arguments) X(arg) X(keyword) X(comprehension) X(ExceptHandler) X(alias)

typedef enum pf_ntype {
  N_NONE = 0,
#define PF_X_N(n) N_##n,
  PF_STMT_LIST(PF_X_N) N_STMT_END,
  PF_EXPR_LIST(PF_X_N) N_EXPR_END,
  PF_HELPER_LIST(PF_X_N)
#undef PF_X_N
  N_COUNT
} pf_ntype;

/* Operators as decoded: BoolOp And=0/Or=1; BinOp → pf_binop; UnaryOp → pf_unop (UAdd →
 * POS, USub → NEG, Not → NOT, Invert → INVERT); compare ops below. */
enum { PF_BOOL_AND = 0, PF_BOOL_OR = 1 };
enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_IS, CMP_ISNOT, CMP_IN, CMP_NOTIN };

typedef struct pf_node pf_node;
typedef struct pf_nlist {
  pf_node **v;
  uint32_t n;
} pf_nlist;

typedef struct pf_scope pf_scope;

/* One AST node. Field slots per node type (see ir_decode.c's schema):
 *   s: name/id/attr/arg/module; s2: asname; a..d: single children; l1..l4: lists;
 *   op: operator; ops: Compare operators; k: Constant value (owned by the program);
 *   iv: conversion/level/simple. */
struct pf_node {
  uint8_t t;
  uint8_t op;
  int32_t line, col;
  const char *s, *s2;
  pf_node *a, *b, *c, *d;
  pf_nlist l1, l2, l3, l4;
  uint8_t *ops;
  pf_val k;
  int64_t iv;
  pf_scope *scope; /* scopes introduced by this node (defs, lambdas, comprehensions, classes) */
};

/* ---------------------------------------------------------------- scopes */

enum { SC_BLOCK, SC_FUNC, SC_CLASS, SC_COMP };
enum {
  SYM_BOUND = 1,  /* assigned in this scope */
  SYM_PARAM = 2,
  SYM_USED = 4,
  SYM_CELL = 8,   /* local captured by an inner scope */
  SYM_FREE = 16,  /* from an enclosing function scope */
  SYM_GLOBAL = 32 /* resolved in the global namespace (or builtins) */
};

typedef struct pf_sym {
  const char *name;
  uint8_t flags;
  int32_t idx; /* register (locals), cell index (cells/frees) */
} pf_sym;

struct pf_scope {
  int kind;
  pf_scope *parent;
  pf_node *node;
  const char *name;
  pf_sym *syms;
  uint32_t nsyms, capsyms;
  bool is_gen;
  bool def_top;              /* top node of a "function"/"class" definition */
  const json_t *def_freevars; /* for def_top: the definition's freevars map (borrowed) */
  uint32_t nlocals, ncells, nfree;
};

/* ---------------------------------------------------------------- bytecode */

/* 64-bit instructions: opcode + three 16-bit operands. Jump targets are absolute pcs
 * carried in b:c (J_TGT) or in a following PF_OP_EXT word. */
typedef struct pf_ins {
  uint16_t op, a, b, c;
} pf_ins;

#define PF_OPCODES(X)                                                                    \
  X(NOP) X(EXT) X(MOVE) X(LOADK) X(LOAD_GLOBAL) X(STORE_GLOBAL) X(LOAD_DEREF)            \
  X(STORE_DEREF) X(CHECK_BOUND) X(ADD) X(SUB) X(MUL) X(TRUEDIV) X(FLOORDIV) X(MOD) X(POW) \
  X(LSHIFT) X(RSHIFT) X(BITAND) X(BITOR) X(BITXOR) X(MATMUL) X(NEG) X(POS) X(INVERT)     \
  X(NOT) X(LT) X(LE) X(GT) X(GE) X(EQ) X(NE) X(IS) X(ISNOT) X(IN) X(NOTIN) X(JMP) X(JT)   \
  X(JF) X(LOOP) X(GET_ITER) X(FOR_ITER) X(BUILD_LIST) X(BUILD_TUPLE) X(BUILD_SET)        \
  X(BUILD_DICT) X(ACC_NEW) X(ACC_PUSH) X(ACC_PUSH2) X(ACC_FINISH) X(GETITEM) X(GETSLICE)  \
  X(GETATTR) X(UNPACK) X(UNPACK_EX) X(CALL) X(CALL_KW) X(CALL_EX) X(RETURN) X(YIELD)      \
  X(YIELD_FROM) X(MAKE_FUNC) X(MAKE_CLASS) X(RAISE) X(RERAISE) X(EXC_MATCH) X(ASSERT_FAIL) \
  X(FORMAT) X(IMPORT) X(STORE_ATTR) X(ERROR) X(GEN_RESULT) X(CALL_FORK) X(JOIN)        \
  X(GETMETH) X(CALLMETH)

typedef enum pf_opcode {
#define PF_X_OP(n) OP_##n,
  PF_OPCODES(PF_X_OP)
#undef PF_X_OP
      OP_COUNT
} pf_opcode;

#define J_TGT(i) (((uint32_t)(i).b << 16) | (i).c)
#define PF_NO_TARGET UINT32_MAX

typedef struct pf_exc_entry {
  uint32_t start, end, handler;
  uint16_t reg; /* register receiving the exception */
} pf_exc_entry;

typedef struct pf_ns pf_ns;
typedef struct pf_program_s pf_program_s;

typedef struct pf_code pf_code;
struct pf_code {
  const char *name; /* function name for tracebacks ("<block>", "<lambda>", "<genexpr>") */
  const char *qualname; /* "outer.<locals>.f", "Cls.method": for argument errors */
  const char *file;
  pf_ins *ins;
  int32_t *lines; /* per instruction */
  uint32_t nins;
  uint32_t nregs;
  uint32_t nparams;     /* positional params (posonly + normal) */
  uint32_t nkwonly;
  uint32_t nposdef; /* positional defaults in the def node (MAKE_FUNC) */
  bool has_varargs, has_varkw, is_gen;
  const char **pnames; /* nparams + nkwonly (+ vararg, + kwarg), registers 0.. in that order */
  uint32_t ncells, nfree;
  int32_t *cell_param; /* for each cell: parameter register to copy in, or -1 */
  int32_t *free_src;   /* for each free var: the creating frame's cell index */
  pf_val *gbuiltin;    /* per global slot: builtin fallback or unbound */
  const char **cellnames;
  pf_val *consts;
  uint32_t nconsts;
  pf_val **gslots;     /* global name slots (pointers into a namespace) */
  const char **gnames;
  uint32_t ngslots;
  pf_exc_entry *exc;
  uint32_t nexc;
  pf_code **children; /* nested code objects (MAKE_FUNC operand) */
  uint32_t nchildren;
  pf_node *def_node;   /* FunctionDef/Lambda for defaults evaluation */
  const char **regnames; /* names of local registers (for UnboundLocalError) */
  uint32_t nlocals;
  bool is_comp;  /* a comprehension's or generator expression's own code (".0" = register 0) */
  bool par_ok;   /* is_comp, and neither it nor its nested code assigns outside itself
                  * (walrus into an enclosing scope): its subranges may run in parallel */
  uint8_t nfor;  /* FOR_ITER instructions in the code itself (nested loops of a genexpr) */
  bool writes_out; /* it or its nested code stores a global or an enclosing scope's cell */
  bool fork_tree;  /* fork sites (OP_CALL_FORK) and no loop: a divide-and-conquer function,
                    * whose top calls the native tier leaves to the interpreter (jit_bridge.c) */
  void *jit; /* the native tier's record for this code (jit/; set once, atomically), or NULL */
  /* where it comes from, the same in every load of the same IR (par_remote.c finds the code
   * of a function another machine names): the definition id (NULL: the block) and the
   * code's place in a preorder walk of that definition's code tree */
  const char *origin;
  uint32_t ordinal;
};

/* ---------------------------------------------------------------- objects (core/interp types) */

extern const pf_type pf_type_super, pf_type_func, pf_type_builtin, pf_type_class, pf_type_inst,
    pf_type_gen, pf_type_iter, pf_type_module, pf_type_acc, pf_type_bound, pf_type_slice;

/* slice(start, stop, step) objects (passed to a user class's __getitem__). */
typedef struct pf_slice {
  pf_obj h;
  pf_val start, stop, step;
} pf_slice;
pf_status_t pf_slice_new(pf_val start, pf_val stop, pf_val step, pf_val *out, pf_err *err) PF_WUR;

/* Ranges with bounds beyond 64 bits (bigrange.c); "range" to Python code. */
typedef struct pf_brange {
  pf_obj h;
  pf_val start, stop, step, len;
} pf_brange;
extern const pf_type pf_type_brange;
pf_status_t pf_brange_new(pf_val start, pf_val stop, pf_val step, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_brange_item(pf_val r, pf_val i, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_brange_slice(pf_val r, pf_val lo, pf_val hi, pf_val st, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_brange_contains(pf_val r, pf_val x, bool *found, pf_err *err) PF_WUR;
pf_status_t pf_brange_index(pf_val r, pf_val x, pf_val *out, pf_err *err) PF_WUR;

/* Dict views (d.keys(), d.values(), d.items()): live on the (immutable) dict. */
enum { DV_KEYS, DV_VALUES, DV_ITEMS };
typedef struct pf_dview {
  pf_obj h;
  pf_val d;
  int kind;
} pf_dview;
extern const pf_type pf_type_dkeys, pf_type_dvalues, pf_type_ditems;
static inline bool pf_is_dview(pf_val v) {
  return v.tag == PF_OBJ && (v.u.o->type == &pf_type_dkeys || v.u.o->type == &pf_type_dvalues ||
                             v.u.o->type == &pf_type_ditems);
}
/* Returns new view of kind DV_* on dict "d" (borrowed). */
pf_status_t pf_dview_new(pf_val d, int kind, pf_val *out, pf_err *err) PF_WUR;
/* Returns new list of the view's items. */
pf_status_t pf_dview_list(pf_val v, pf_val *out, pf_err *err) PF_WUR;

typedef struct pf_cell {
  pf_val v;
  struct pf_cell *next_owned;
} pf_cell;

typedef struct pf_func {
  pf_obj h;
  pf_code *code;
  pf_val *defaults; /* ndefaults, for the last positional params */
  uint32_t ndefaults;
  pf_val *kwdefaults; /* code->nkwonly entries, PF_UNBOUND where none */
  pf_cell **cells;    /* code->nfree */
  const char *qualname;
  struct pf_class *owner; /* class whose body defined it (zero-argument super()) */
} pf_func;

/* Builtin ids: X(python name, id). */
#define PF_BUILTINS(X)                                                                   \
  X(range) X(xrange) X(len) X(sum) X(min) X(max) X(abs) X(int) X(float) X(str) X(bool)   \
  X(list) X(tuple) X(dict) X(set) X(frozenset) X(isinstance) X(issubclass) X(any) X(all)  \
  X(sorted) X(reversed) X(enumerate) X(zip) X(map) X(filter) X(divmod) X(pow) X(round)    \
  X(hash) X(ord) X(chr) X(hex) X(oct) X(bin) X(repr) X(iter) X(next) X(getattr)           \
  X(hasattr) X(type) X(callable) X(super) X(staticmethod) X(classmethod) X(property)      \
  X(object) X(method_call) X(math_fn) X(print) X(eval) X(exec) X(locals) X(globals)          \
  X(setattr) X(delattr) X(format) X(NoneType) X(slice)     \
  X(NotImplemented)

typedef enum pf_bi_id {
#define PF_X_BI(n) BI_##n,
  PF_BUILTINS(PF_X_BI)
#undef PF_X_BI
      BI_COUNT
} pf_bi_id;

typedef struct pf_builtin {
  pf_obj h;
  pf_bi_id id;
  const char *name;
  pf_val self; /* bound receiver for methods (str.split …), else unbound */
  const char *mname;
} pf_builtin;

/* Classes: builtin exception classes and user classes. */
typedef struct pf_class {
  pf_obj h;
  const char *name;
  struct pf_class *base;
  pf_exc_kind exc; /* builtin exception kind, or NONE for user classes (inherit base's) */
  bool is_exc;     /* derives from BaseException */
  const char **anames;
  pf_val *avals;
  uint32_t nattrs, capattrs;
  pf_bi_id bi;     /* for builtin type objects (int, str …): their builtin; else BI_COUNT */
  uint64_t jit_key; /* the native tier's hash of this class's definition (jit/inst.c; set
                     * once, atomically, after the class is built), or 0 */
} pf_class;

typedef struct pf_tb_ent {
  const char *file;
  int32_t line;
  const char *func;
} pf_tb_ent;

typedef struct pf_inst {
  pf_obj h;
  pf_class *cls;
  pf_val args;   /* tuple (exceptions) */
  pf_val msg;    /* str override for runtime errors, or unbound */
  const char **anames;
  pf_val *avals;
  uint32_t nattrs, capattrs;
  bool frozen;
  bool has_uhash;  /* uhash holds the result of the class's __hash__ (instances are immutable) */
  int64_t uhash;
  uint64_t jit_key; /* the native tier's key of this (frozen) instance's class and layout
                     * (jit/inst.c; set once, atomically), or 0 */
  pf_tb_ent *tb;
  uint32_t ntb, captb;
  pf_val cause;
  pf_val context;        /* exception being handled when this one was raised, or unbound */
  bool suppress_context; /* raise ... from ... */
} pf_inst;

typedef struct pf_frame pf_frame;

typedef struct pf_gen {
  pf_obj h;
  pf_frame *frame; /* suspended frame; NULL when finished */
  bool running;
  pf_val retval;   /* value of the generator's return statement (None until then) */
} pf_gen;

enum { IT_RANGE, IT_SEQ, IT_STR, IT_DICT, IT_SET, IT_GEN, IT_NATIVE };
typedef struct pf_iter {
  pf_obj h;
  int kind;
  int64_t cur, stop, step; /* range cursor and bound; index for sequences */
  pf_val src;              /* the iterated object (list/tuple/str/dict/set/generator) */
  size_t pos;              /* byte offset for str */
  /* native iterators (map/filter/zip/enumerate): a native step routine */
  int nkind;
  pf_val f;
  pf_val *subs;
  uint32_t nsubs;
  int64_t *idx; /* combinatoric iterators' index state (owned) */
  int flags;
} pf_iter;
/* Next item of an iterator over a big range: 1 (*out new), 0 exhausted, -1 error. */
int pf_brange_next(pf_iter *it, pf_val *out, pf_err *err);
/* Kinds of IT_NATIVE iterators (iters.c). */
enum {
  NK_USER, NK_MAP, NK_FILTER, NK_ZIP, NK_ENUM, NK_CHAIN, NK_CHAIN_FROM, NK_ISLICE, NK_COUNT,
  NK_REPEAT, NK_PRODUCT, NK_ACCUM, NK_ZIP_LONGEST, NK_TAKEWHILE, NK_DROPWHILE, NK_STARMAP,
  NK_COMB, NK_PERM, NK_GROUPBY, NK_SEQ, NK_BRANGE
};

typedef struct pf_module {
  pf_obj h;
  const char *name;
} pf_module;

typedef struct pf_bound {
  pf_obj h;
  pf_val self;
  pf_val fn;
  struct pf_class *start; /* super objects: lookup starts here */
} pf_bound;

/* Accumulator for comprehensions: list/tuple/set/dict builders. */
enum { ACC_LIST, ACC_SET, ACC_DICT };
typedef struct pf_acc {
  pf_obj h;
  int kind;
  pf_listb items, vals;
} pf_acc;

/* ---------------------------------------------------------------- namespaces */

struct pf_ns {
  const char **names;
  pf_val **slots; /* stable pointers: each slot is allocated separately */
  uint32_t n, cap;
  const struct json_t *provided; /* the client's "globals" map (borrowed; valid while loading) */
};
/* Returns the slot for "name", creating it (unbound) when "create"; NULL when absent or OOM. */
pf_val *pf_ns_slot(pf_ns *ns, const char *name, bool create);
void pf_ns_free(pf_ns *ns);

/* ---------------------------------------------------------------- frames, run state */

enum { FR_CODE, FR_NATIVE };
enum { EV_START, EV_VALUE, EV_EXHAUSTED };
enum { NS_RETURN, NS_NEXT, NS_CALL, NS_RAISE, NS_RERAISE, NS_HALT };

typedef struct pf_run pf_run;
typedef struct pf_par_part pf_par_part;
typedef int (*pf_native_step)(pf_run *r, pf_frame *f, int ev, pf_val v);

#define PF_NAT_REGS 6
struct pf_frame {
  pf_frame *caller;
  uint8_t kind;
  uint16_t nfut;       /* calls forked by this frame and not joined yet (fork.c) */
  uint16_t wait_dst;   /* register receiving a callee's result */
  uint32_t wait_exit;  /* pc on iterator exhaustion; PF_NO_TARGET: raise StopIteration */
  uint32_t pc;
  pf_code *code;
  pf_func *func;
  pf_cell **cells;
  pf_gen *gen;
  /* native frames */
  pf_native_step step;
  int state;
  int64_t n1, n2;
  void *aux;
  void (*aux_free)(void *);
  uint32_t nregs;
  pf_val regs[];
};

struct pf_run {
  pf_program *prog;
  pf_frame *top;
  size_t depth, max_depth;
  const atomic_int *cancel;
  atomic_uint_fast64_t *progress; /* NULL, or the run's pf_run_limits.progress */
  pf_err err;       /* pending runtime error (converted to an exception) */
  pf_val exc;       /* pending exception instance */
  /* native step requests */
  pf_val req;       /* iterator for NS_NEXT, callable for NS_CALL; borrowed */
  pf_val req_args[8];
  uint32_t req_nargs;
  pf_val ret;       /* NS_RETURN value (owned) */
  bool canceled;     /* a native loop saw the cancel flag */
  bool getattr_call; /* pf_getattr returned a bound property getter to call */
  pf_frame *newf;   /* native frame created by a builtin, to be pushed by the VM */
  uint64_t safepoints; /* counter; the scheduler's split/suspend hook goes at pf_safepoint */
  pf_frame *stop;      /* innermost synchronous call's sentinel frame (see pf_call_sync) */
  pf_frame *spare;     /* a finished sentinel kept for the next synchronous call; freed by
                        * pf_run_release */
  uint32_t sync_depth; /* nesting of synchronous calls */
  const atomic_int *root_cancel; /* the computation's cancel flag (sub-runs poll their own
                                  * "cancel", set from it at safepoints; native code polls this) */
  struct pf_worker *worker;  /* the scheduler's worker running this run (NULL: no scheduler) */
  struct pf_par_part *par;   /* sub-runs of a parallel fold: the subrange they run (par.c) */
  uint32_t par_nest;         /* parallel folds this run is nested in */
  const pf_jit_iface *jit;      /* NULL, or the native tier (pf_run_limits.jit) */
  uint64_t jit_native, jit_deopt; /* this run's counts, flushed to the tier at its end */
};

/* ---------------------------------------------------------------- program */

typedef enum { DEF_FUNCTION, DEF_CLASS, DEF_VALUE, DEF_MODULE, DEF_BUILTIN } pf_def_kind;
typedef struct pf_def {
  const char *id;
  pf_def_kind kind;
  const json_t *j;  /* borrowed during load */
  int state;        /* 0 new, 1 in progress, 2 done */
  pf_val val;       /* owned */
  pf_node *node;
  int file;
  pf_ns *ns;        /* function/class definitions: their globals */
  pf_scope *scope;
  struct pf_def **bases; /* class definitions: their bases */
  uint32_t nbases;
  pf_code *code;    /* function/class definitions: the compiled code */
} pf_def;

typedef struct pf_pending {
  pf_val *slot;
  pf_def *def;
} pf_pending;

struct pf_program {
  pf_arena arena;
  const char **files;
  uint32_t nfiles;
  pf_def *defs;
  uint32_t ndefs;
  pf_ns block_ns;
  pf_ns *def_ns;   /* per definition namespaces */
  pf_node *block;  /* pseudo node: l1 = body */
  int block_file, block_line;
  pf_scope *block_scope;
  pf_code *block_code;
  const char **outputs;
  uint32_t noutputs;
  pf_val *owned;   /* values to release on destroy */
  uint32_t nowned, capowned;
  pf_cell *cells;  /* computation-owned cells */
  pf_class *exc_classes[PF_EXC_COUNT];
  pf_class *type_classes[BI_COUNT];
  bool ran;
  atomic_uint_fast64_t *progress; /* the running pf_run_limits.progress, or NULL */
  const pf_jit_iface *jit;        /* the running pf_run_limits.jit, or NULL */
  pf_pending *pend; /* namespace slots waiting for a class definition */
  uint32_t npend, cappend;
  int cur_file; /* file index of the definition being decoded (messages) */
  /* objects created during the run, immortal, freed at destroy */
  pf_obj **objs;
  uint32_t nobjs, capobjs;
  /* guards objs, owned and cells while the program runs on several workers (objects.c);
   * zero-initialised = clear */
  atomic_flag lock;
  struct pf_worker *worker; /* the running pf_run_limits.worker, or NULL */
  void *tag; /* the owner's (pf_program_set_tag) */
};

/* Error reporting of load. */
typedef struct pf_lerr {
  json_t *obj; /* set once */
} pf_lerr;
pf_status_t pf_lerr_set(json_t **err_p, const char *type, const char *file, int line,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ir_decode.c */
pf_status_t pf_ir_decode_stmts(pf_program *p, const json_t *j, const char *path, pf_nlist *out,
                               json_t **err_p) PF_WUR;
pf_status_t pf_ir_decode_node(pf_program *p, const json_t *j, const char *path, bool stmt,
                              pf_node **out, json_t **err_p) PF_WUR;
/* scope.c */
pf_status_t pf_scope_build(pf_program *p, pf_node *top, int kind, const json_t *freevars,
                           const char *file, pf_scope **out, json_t **err_p) PF_WUR;
pf_sym *pf_scope_find(pf_scope *s, const char *name);
/* compile.c */
/* Marks "k" and its nested code with "origin" and preorder ordinals (pf_code.origin). */
void pf_code_set_origin(pf_code *k, const char *origin);
/* The code of "p" (or of a shared definition in "dc", which may be NULL) with that origin and
 * ordinal; NULL when there is none. */
struct pf_defcache;
pf_code *pf_program_find_code(pf_program *p, struct pf_defcache *dc, const char *origin,
                              uint32_t ordinal);
pf_status_t pf_compile(pf_program *p, pf_scope *sc, pf_ns *globals, const char *file,
                       pf_code **out, json_t **err_p) PF_WUR;
/* objects.c */
pf_status_t pf_prog_own(pf_program *p, pf_val v) PF_WUR;
pf_status_t pf_prog_track(pf_program *p, pf_obj *o) PF_WUR;
pf_cell *pf_cell_new(pf_program *p);
void pf_obj_clear(pf_obj *o);
pf_func *pf_func_new(pf_program *p, pf_code *code, bool immortal);
pf_class *pf_class_new(pf_program *p, const char *name, pf_class *base);
pf_status_t pf_class_setattr(pf_class *c, const char *name, pf_val v) PF_WUR;
bool pf_class_lookup(pf_class *c, const char *name, pf_val *out);
bool pf_class_is_sub(pf_class *c, pf_class *base);
pf_status_t pf_exc_classes_init(pf_program *p) PF_WUR;
pf_status_t pf_inst_new(pf_class *cls, pf_val args, pf_val *out, pf_err *err) PF_WUR;
bool pf_inst_getattr(pf_inst *in, const char *name, pf_val *out);
/* obj.name(...) without a bound method (OP_GETMETH): the plain function the class chain of
 * instance "obj" gives for "name" (borrowed) when getattr would bind exactly it to obj —
 * not an instance attribute, not an exception's special attribute, not a staticmethod,
 * classmethod or property; else NULL. */
pf_func *pf_inst_method(pf_val obj, const char *name);
pf_status_t pf_inst_setattr(pf_inst *in, const char *name, pf_val v, pf_err *err) PF_WUR;
pf_status_t pf_exc_str(pf_val exc, pf_val *out, pf_err *err) PF_WUR;
pf_status_t pf_exc_from_err(pf_program *p, const pf_err *e, pf_val *out) PF_WUR;
pf_status_t pf_tb_push(pf_inst *in, const char *file, int32_t line, const char *func) PF_WUR;
pf_status_t pf_iter_new(pf_val src, pf_val *out, pf_err *err) PF_WUR;
pf_builtin *pf_builtin_get(pf_bi_id id);
pf_bi_id pf_builtin_by_name(const char *name);
pf_status_t pf_module_get(pf_program *p, const char *name, pf_val *out) PF_WUR;
pf_status_t pf_method_new(pf_program *p, pf_val self, const char *mname, pf_val *out,
                          pf_err *err) PF_WUR;
/* Fast iteration: returns 1 with a new value in *out, 0 when exhausted, -1 when the
 * iterator needs a frame (generator/native), -2 on error (err set). */
int pf_iter_fast_next(pf_iter *it, pf_val *out, pf_err *err);
/* jit_bridge.c: runs the plain positional call "fn"(args) natively when the run has a JIT
 * and a compiled version exists. Returns 1 with a new value in *out, 0 when the interpreter
 * must run the call. Borrows "fn" and "args". */
int pf_jit_bridge_call(pf_run *r, pf_func *fn, const pf_val *args, uint32_t n, pf_val *out);
/* jit_bridge.c: as pf_jit_bridge_call for a method call "b"(args) — b->fn(b->self, args) —
 * when b->fn is a plain function. */
int pf_jit_bridge_method(pf_run *r, const struct pf_bound *b, const pf_val *args, uint32_t n,
                         pf_val *out);
/* jit_bridge.c: folds F(start + i*step), i in [0, n), natively (pf_jit_iface.fold, same
 * returns); elements folded natively count as native calls of the run. */
int pf_jit_bridge_fold(pf_run *r, pf_func *fn, int kind, int64_t start, int64_t step, int64_t n,
                       pf_jit_fold_state *st);
/* Tells the JIT that frame "f" is looping (at a sampled loop back-edge; f->pc: the loop's
 * header), and enters an OSR entry when the tier has one (pf_jit_iface.osr): 0 (go on),
 * 1 (the call finished natively: *out its new result), 2 (resume at f->pc, registers
 * written back), -1 (an error is pending). */
int pf_jit_bridge_loop(pf_run *r, pf_frame *f, pf_val *out);
/* Hands the run's native-call and deopt counts to the JIT (at the end of a run). */
void pf_jit_bridge_end(pf_run *r);
/* vm.c */
pf_status_t pf_vm_run(pf_program *p, pf_code *block, const atomic_int *cancel, size_t max_depth,
                      pf_val *ret_out, pf_val *exc_out) PF_WUR;
/* builtins.c: calls a builtin. Returns NS_RETURN (r->ret set), NS_RAISE (r->err or r->exc
 * set) or pushes a native frame and returns NS_CALL. */
int pf_builtin_call(pf_run *r, pf_builtin *b, pf_val *args, uint32_t nargs,
                    const pf_val *kwnames, pf_val *kwvals, uint32_t nkw);
pf_status_t pf_getattr(pf_run *r, pf_val obj, const char *name, pf_val *out) PF_WUR;
pf_frame *pf_frame_native(pf_run *r, pf_native_step step);
void pf_frame_free(pf_frame *f);
int pf_raise_run(pf_run *r, pf_exc_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
