/* vm_loop.c — the dispatch loop: one C loop over heap frames; exception unwinding through
 * frames with per-code exception tables; tracebacks collected while unwinding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

#define SAFEPOINT_MASK 1023u

/* Counts one safepoint; true every SAFEPOINT_MASK + 1 of them, when the caller polls the
 * cancel flag (the run's progress counter is advanced by that many then). */
static inline bool safepoint_tick(pf_run *r) {
  if (__builtin_expect((++r->safepoints & SAFEPOINT_MASK) != 0, 1))
    return false;
  if (r->progress)
    atomic_fetch_add_explicit(r->progress, SAFEPOINT_MASK + 1u, memory_order_relaxed);
  if (r->par) /* a subrange of a parallel fold: publish the cursor, split, see a cut */
    pf_par_poll(r);
  return true;
}

static inline __attribute__((always_inline)) void set_reg(pf_val *R, uint32_t dst, pf_val v) {
  pf_decref(R[dst]);
  R[dst] = v;
}

static int run_native(pf_run *r, pf_frame *f, int ev, pf_val v);

/* Delivers a callee's outcome to frame "to": its value (EV_VALUE, taken) or exhaustion.
 * Returns 0, or -1 with an error pending at r->top. */
static int deliver(pf_run *r, pf_frame *to, int ev, pf_val v) {
  if (!to) {
    pf_decref(r->ret);
    r->ret = v;
    return 0;
  }
  if (to->kind == FR_NATIVE)
    return run_native(r, to, ev, v);
  if (ev == EV_VALUE) {
    set_reg(to->regs, to->wait_dst, v);
  } else if (to->wait_exit != PF_NO_TARGET) {
    to->pc = to->wait_exit;
  } else {
    r->top = to;
    pf_raise_run(r, PF_EXC_StopIteration, "%s", "");
    return -1;
  }
  return 0;
}

/* Resumes generator "g" for "req" (a code frame waiting at dst/exit, or a native frame).
 * Returns 1 when the generator frame was pushed, 0 when already exhausted, -1 on error. */
static int gen_resume(pf_run *r, pf_frame *req, pf_gen *g, uint32_t dst, uint32_t exit) {
  if (!g->frame)
    return 0;
  if (g->running) {
    r->top = req;
    pf_raise_run(r, PF_EXC_ValueError, "generator already executing");
    return -1;
  }
  if (r->depth + 1 > r->max_depth) {
    r->top = req;
    pf_raise_run(r, PF_EXC_RecursionError, "maximum recursion depth exceeded");
    return -1;
  }
  req->wait_dst = (uint16_t)dst;
  req->wait_exit = exit;
  g->running = true;
  g->frame->caller = req;
  r->top = g->frame;
  r->depth++;
  return 1;
}

static int run_native(pf_run *r, pf_frame *f, int ev, pf_val v) {
  r->top = f;
  for (;;) {
    int rc = f->step(r, f, ev, v);
    if (rc == NS_RAISE)
      return -1;
    if (rc == NS_HALT) /* a synchronous call's sentinel got its result */
      return 0;
    if (rc == NS_RETURN) {
      pf_val out = r->ret;
      r->ret = pf_unbound();
      pf_frame *caller = f->caller;
      r->top = caller;
      r->depth--;
      pf_frame_free(f);
      return deliver(r, caller, EV_VALUE, out);
    }
    if (rc == NS_CALL) {
      int c = pf_vm_call(r, f, r->req, r->req_args, r->req_nargs, NULL, NULL, 0, 0);
      if (c == NS_CALL)
        return 0;
      if (c == NS_RAISE) {
        r->top = f;
        return -1;
      }
      ev = EV_VALUE;
      v = r->ret;
      r->ret = pf_unbound();
      continue;
    }
    /* NS_NEXT: a safepoint too, for folds over long ranges */
    if (safepoint_tick(r) && r->cancel &&
        atomic_load_explicit(r->cancel, memory_order_relaxed)) {
      r->canceled = true;
      return -1;
    }
    pf_val it = r->req;
    if (pf_is_type(it, &pf_type_iter)) {
      int k = pf_iter_fast_next((pf_iter *)it.u.o, &v, &r->err);
      if (k == -1 && ((pf_iter *)it.u.o)->kind == IT_NATIVE) {
        k = pf_lazy_next(r, (pf_iter *)it.u.o, &v);
        r->top = f;
        if (k < 0)
          k = -2;
      }
      if (k == 1) {
        ev = EV_VALUE;
        continue;
      }
      if (k == 0) {
        ev = EV_EXHAUSTED;
        v = pf_none();
        continue;
      }
      if (k == -2)
        return -1;
      it = ((pf_iter *)it.u.o)->src;
    }
    if (!pf_is_type(it, &pf_type_gen)) {
      pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator", pf_type_name(it));
      return -1;
    }
    int k = gen_resume(r, f, (pf_gen *)it.u.o, 0, 0);
    if (k < 0)
      return -1;
    if (k == 1)
      return 0;
    ev = EV_EXHAUSTED;
    v = pf_none();
  }
}

static pf_status_t raise_stored(pf_run *r) {
  if (r->exc.tag != PF_UNBOUND)
    return PF_OK;
  if (pf_exc_from_err(r->prog, &r->err, &r->exc) != PF_OK)
    return PF_ENOMEM;
  return PF_OK;
}

static void tb_here(pf_run *r, pf_frame *t) {
  if (!t || t->kind != FR_CODE || r->exc.tag != PF_OBJ)
    return;
  uint32_t at = t->pc ? t->pc - 1 : 0;
  if (pf_tb_push((pf_inst *)r->exc.u.o, t->code->file, t->code->lines[at], t->code->name) != PF_OK)
    return; /* out of memory: the traceback is shorter */
}

/* Unwinds from r->top to a handler. Returns 1 when a handler was found (resume), 0 when
 * the exception left the outermost frame. */
static int unwind(pf_run *r) {
  for (;;) {
    pf_frame *t = r->top;
    if (!t || t == r->stop)
      return 0;
    if (t->nfut && t->kind == FR_CODE && pf_fork_settle(r, t))
      tb_here(r, t); /* a forked call of this frame failed first: its exception goes on */
    pf_inst *ex = (pf_inst *)r->exc.u.o;
    bool catchable = ex->cls->exc != PF_EXC_InvalidPyforaOperation;
    if (t->kind == FR_CODE && catchable) {
      uint32_t at = t->pc ? t->pc - 1 : 0;
      pf_code *k = t->code;
      for (uint32_t i = 0; i < k->nexc; i++)
        if (at >= k->exc[i].start && at < k->exc[i].end) {
          set_reg(t->regs, k->exc[i].reg, r->exc);
          r->exc = pf_unbound();
          t->pc = k->exc[i].handler;
          return 1;
        }
    }
    pf_frame *caller = t->caller;
    r->top = caller;
    r->depth--;
    if (t->gen) {
      t->gen->frame = NULL;
      t->gen->running = false;
    }
    pf_frame_free(t);
    tb_here(r, caller);
  }
}

static int binop_call_dunder(pf_run *r, pf_frame *f, int op, pf_val a, pf_val b, uint32_t dst);

#define THROW()                                                                          \
  do {                                                                                   \
    f->pc = pc;                                                                          \
    goto error;                                                                          \
  } while (0)
#define CHK(x)                                                                           \
  do {                                                                                   \
    if (__builtin_expect((x) != PF_OK, 0))                                               \
      THROW();                                                                           \
  } while (0)

/* Aligned to a cache line so that its branches and dispatch sit the same way in every build:
 * with the default 16-byte alignment, unrelated changes in other files moved it and the
 * interpreter ran 25% slower on isPrime (1.40 s against 1.11 s, same source of this file). */
static __attribute__((aligned(64))) pf_status_t loop(pf_run *r) {
  pf_frame *f;
  pf_code *k;
  pf_ins *ins;
  pf_val *R;
  uint32_t pc;
  bool fresh = true;
  pf_val osr_v = pf_none();
resume:
  f = r->top;
  if (!f || f == r->stop)
    return PF_OK;
  if (f->kind == FR_NATIVE) { /* freshly pushed by a builtin */
    if (run_native(r, f, EV_START, pf_none()) < 0)
      goto error_at_top;
    goto resume;
  }
  k = f->code;
  ins = k->ins;
  R = f->regs;
  pc = f->pc;
  for (;;) {
    pf_ins i = ins[pc++];
    switch ((pf_opcode)i.op) {
    case OP_NOP:
    case OP_EXT:
      break;
    case OP_MOVE:
      set_reg(R, i.a, pf_incref(R[i.b]));
      break;
    case OP_LOADK:
      set_reg(R, i.a, pf_incref(k->consts[i.b]));
      break;
    case OP_LOAD_GLOBAL: {
      pf_val v = *k->gslots[i.b];
      if (__builtin_expect(v.tag == PF_UNBOUND, 0)) {
        v = k->gbuiltin[i.b];
        if (v.tag == PF_UNBOUND) {
          pf_raise_run(r, PF_EXC_NameError, "name '%s' is not defined", k->gnames[i.b]);
          THROW();
        }
      }
      set_reg(R, i.a, pf_incref(v));
      break;
    }
    case OP_STORE_GLOBAL: {
      pf_val *s = k->gslots[i.a];
      pf_val old = *s;
      *s = pf_incref(R[i.b]);
      pf_decref(old);
      break;
    }
    case OP_LOAD_DEREF: {
      pf_val v = f->cells[i.b]->v;
      if (v.tag == PF_UNBOUND) {
        const char *nm = k->cellnames[i.b];
        if (i.b < k->ncells)
          pf_raise_run(r, PF_EXC_UnboundLocalError,
                       "cannot access local variable '%s' where it is not associated with a value", nm);
        else
          pf_raise_run(r, PF_EXC_NameError,
                       "cannot access free variable '%s' where it is not associated with a value in enclosing scope", nm);
        THROW();
      }
      set_reg(R, i.a, pf_incref(v));
      break;
    }
    case OP_STORE_DEREF: {
      pf_cell *c = f->cells[i.a];
      pf_val old = c->v;
      c->v = pf_incref(R[i.b]);
      pf_decref(old);
      break;
    }
    case OP_CHECK_BOUND:
      if (R[i.a].tag == PF_UNBOUND) {
        pf_raise_run(r, PF_EXC_UnboundLocalError,
                     "cannot access local variable '%s' where it is not associated with a value",
                     k->regnames[i.a] ? k->regnames[i.a] : "?");
        THROW();
      }
      break;
    case OP_ADD: {
      pf_val a = R[i.b], b = R[i.c];
      int64_t x;
      if (a.tag == PF_INT && b.tag == PF_INT && !__builtin_add_overflow(a.u.i, b.u.i, &x)) {
        set_reg(R, i.a, pf_int(x));
        break;
      }
      goto binop_slow;
    }
    case OP_SUB: {
      pf_val a = R[i.b], b = R[i.c];
      int64_t x;
      if (a.tag == PF_INT && b.tag == PF_INT && !__builtin_sub_overflow(a.u.i, b.u.i, &x)) {
        set_reg(R, i.a, pf_int(x));
        break;
      }
      goto binop_slow;
    }
    case OP_MUL: {
      pf_val a = R[i.b], b = R[i.c];
      int64_t x;
      if (a.tag == PF_INT && b.tag == PF_INT && !__builtin_mul_overflow(a.u.i, b.u.i, &x)) {
        set_reg(R, i.a, pf_int(x));
        break;
      }
      goto binop_slow;
    }
    case OP_MOD:
    case OP_FLOORDIV: {
      pf_val a = R[i.b], b = R[i.c];
      if (a.tag == PF_INT && b.tag == PF_INT && b.u.i > 0 && a.u.i >= 0) {
        set_reg(R, i.a, pf_int(i.op == OP_MOD ? a.u.i % b.u.i : a.u.i / b.u.i));
        break;
      }
      goto binop_slow;
    }
    case OP_TRUEDIV:
    case OP_POW:
    case OP_LSHIFT:
    case OP_RSHIFT:
    case OP_BITAND:
    case OP_BITOR:
    case OP_BITXOR:
    case OP_MATMUL:
    binop_slow: {
      pf_val a = R[i.b], b = R[i.c], out;
      if (__builtin_expect(pf_is_type(a, &pf_type_inst) || pf_is_type(b, &pf_type_inst) ||
                               (i.op == OP_MOD && pf_is_type(a, &pf_type_str)) || pf_is_dview(a) ||
                               pf_is_dview(b) ||
                               (pf_is_set_val(a) && pf_is_set_val(b) && (pf_needs_run(a) || pf_needs_run(b))),
                           0)) {
        f->pc = pc;
        int rc = binop_call_dunder(r, f, i.op - OP_ADD, a, b, i.a);
        if (rc == NS_RAISE)
          THROW();
        if (rc == NS_CALL)
          goto resume;
        set_reg(R, i.a, r->ret);
        r->ret = pf_unbound();
        break;
      }
      CHK(pf_val_binop((pf_binop)(i.op - OP_ADD), a, b, &out, &r->err));
      set_reg(R, i.a, out);
      break;
    }
    case OP_NEG:
    case OP_POS:
    case OP_INVERT:
    case OP_NOT: {
      pf_val a = R[i.b], out;
      if (i.op == OP_NOT) {
        bool t;
        if (a.tag == PF_BOOL)
          t = a.u.i != 0;
        else {
          f->pc = pc;
          CHK(pf_truthy_run(r, a, &t));
        }
        set_reg(R, i.a, pf_bool(!t));
        break;
      }
      if (i.op == OP_NEG && a.tag == PF_INT && a.u.i != INT64_MIN) {
        set_reg(R, i.a, pf_int(-a.u.i));
        break;
      }
      f->pc = pc;
      CHK(pf_unary_run(r, i.op == OP_NEG ? PF_OP_NEG : i.op == OP_POS ? PF_OP_POS : PF_OP_INVERT, a, &out));
      set_reg(R, i.a, out);
      break;
    }
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
    case OP_EQ:
    case OP_NE: {
      pf_val a = R[i.b], b = R[i.c], out;
      if (a.tag == PF_INT && b.tag == PF_INT) {
        bool t;
        switch (i.op) {
        case OP_LT: t = a.u.i < b.u.i; break;
        case OP_LE: t = a.u.i <= b.u.i; break;
        case OP_GT: t = a.u.i > b.u.i; break;
        case OP_GE: t = a.u.i >= b.u.i; break;
        case OP_EQ: t = a.u.i == b.u.i; break;
        default: t = a.u.i != b.u.i; break;
        }
        set_reg(R, i.a, pf_bool(t));
        break;
      }
      static const pf_cmpop cm[] = {PF_CMP_LT, PF_CMP_LE, PF_CMP_GT, PF_CMP_GE, PF_CMP_EQ, PF_CMP_NE};
      if (__builtin_expect(pf_is_type(a, &pf_type_inst) || pf_is_type(b, &pf_type_inst), 0)) {
        f->pc = pc;
        int rc = binop_call_dunder(r, f, 100 + (int)cm[i.op - OP_LT], a, b, i.a);
        if (rc == NS_RAISE)
          THROW();
        if (rc == NS_CALL)
          goto resume;
        set_reg(R, i.a, r->ret);
        r->ret = pf_unbound();
        break;
      }
      if (__builtin_expect(pf_needs_run(a) || pf_needs_run(b), 0)) {
        f->pc = pc;
        CHK(pf_compare_run(r, cm[i.op - OP_LT], a, b, &out));
      } else
        CHK(pf_val_compare(cm[i.op - OP_LT], a, b, &out, &r->err));
      set_reg(R, i.a, out);
      break;
    }
    case OP_IS:
    case OP_ISNOT: {
      pf_val a = R[i.b], b = R[i.c];
      bool same = a.tag == b.tag && (a.tag == PF_NONE || a.u.i == b.u.i);
      set_reg(R, i.a, pf_bool(i.op == OP_IS ? same : !same));
      break;
    }
    case OP_IN:
    case OP_NOTIN: {
      bool t;
      f->pc = pc;
      CHK(pf_contains_run(r, R[i.c], R[i.b], &t));
      set_reg(R, i.a, pf_bool(i.op == OP_IN ? t : !t));
      break;
    }
    case OP_JMP:
      pc = J_TGT(i);
      break;
    case OP_JT:
    case OP_JF: {
      pf_val a = R[i.a];
      bool t;
      if (a.tag == PF_BOOL || a.tag == PF_INT)
        t = a.u.i != 0;
      else {
        f->pc = pc;
        CHK(pf_truthy_run(r, a, &t));
      }
      if (t == (i.op == OP_JT))
        pc = J_TGT(i);
      break;
    }
    case OP_LOOP:
      pc = J_TGT(i);
      if (safepoint_tick(r)) {
        if (r->jit) { /* loops make their function hot too, and may go native (jit_bridge.c) */
          f->pc = pc;
          int o = pf_jit_bridge_loop(r, f, &osr_v);
          if (o == 1)
            goto osr_return; /* the rest of the call ran natively */
          if (o == 2)
            pc = f->pc; /* native code stopped there: the registers are written back */
          else if (o < 0) {
            r->top = f;
            THROW();
          }
        }
        /* pf_safepoint: the cancel flag; later the scheduler's split/suspend hook. */
        if (r->cancel && atomic_load_explicit(r->cancel, memory_order_relaxed)) {
          f->pc = pc;
          return PF_ECANCELED;
        }
      }
      break;
    case OP_GET_ITER: {
      pf_val src = R[i.b], out;
      if (pf_is_type(src, &pf_type_gen))
        out = pf_incref(src);
      else if (pf_is_type(src, &pf_type_inst)) {
        f->pc = pc;
        CHK(pf_iter_run(r, src, &out));
      } else
        CHK(pf_iter_new(src, &out, &r->err));
      set_reg(R, i.a, out);
      break;
    }
    case OP_FOR_ITER: {
      pf_val itv = R[i.a];
      uint32_t exit = J_TGT(ins[pc]);
      pc++;
      if (__builtin_expect(pf_is_type(itv, &pf_type_iter), 1)) {
        pf_iter *it = (pf_iter *)itv.u.o;
        if (it->kind == IT_RANGE) {
          if ((int64_t)it->pos >= it->stop) {
            pc = exit;
            break;
          }
          set_reg(R, i.b, pf_int(it->cur + (int64_t)it->pos * it->step));
          it->pos++;
          break;
        }
        pf_val v;
        int kk = pf_iter_fast_next(it, &v, &r->err);
        if (kk == 1) {
          set_reg(R, i.b, v);
          break;
        }
        if (kk == 0) {
          pc = exit;
          break;
        }
        if (kk == -2)
          THROW();
        if (it->kind == IT_NATIVE) {
          f->pc = pc;
          kk = pf_lazy_next(r, it, &v);
          if (kk < 0)
            THROW();
          if (kk == 1)
            set_reg(R, i.b, v);
          else
            pc = exit;
          break;
        }
        itv = it->src;
      }
      if (!pf_is_type(itv, &pf_type_gen)) {
        pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator", pf_type_name(itv));
        THROW();
      }
      f->pc = pc;
      int kk = gen_resume(r, f, (pf_gen *)itv.u.o, i.b, exit);
      if (kk < 0)
        THROW();
      if (kk == 0) {
        pc = exit;
        break;
      }
      goto resume;
    }
    case OP_RETURN: {
      pf_val v = pf_incref(R[i.a]);
      if (0) {
      osr_return: /* OP_LOOP: an OSR entry returned the call's result (new) */
        v = osr_v;
      }
      pf_frame *caller = f->caller;
      r->top = caller;
      r->depth--;
      if (f->gen) {
        f->gen->frame = NULL;
        f->gen->running = false;
        pf_decref(f->gen->retval);
        f->gen->retval = v;
        pf_frame_free(f);
        if (deliver(r, caller, EV_EXHAUSTED, pf_none()) < 0) {
          fresh = true;
          goto error_at_top;
        }
        goto resume;
      }
      pf_frame_free(f);
      if (!caller) {
        pf_decref(r->ret);
        r->ret = v;
        return PF_OK;
      }
      if (caller->kind == FR_CODE) {
        set_reg(caller->regs, caller->wait_dst, v);
        goto resume;
      }
      if (deliver(r, caller, EV_VALUE, v) < 0) {
        fresh = true;
        goto error_at_top;
      }
      goto resume;
    }
    case OP_YIELD: {
      pf_val v = pf_incref(R[i.b]);
      set_reg(R, i.a, pf_none());
      f->pc = pc;
      pf_frame *caller = f->caller;
      f->caller = NULL;
      f->gen->running = false;
      r->top = caller;
      r->depth--;
      if (deliver(r, caller, EV_VALUE, v) < 0) {
        fresh = true;
        goto error_at_top;
      }
      goto resume;
    }
    case OP_JOIN: { /* the value of a forked call (fork.c) */
      if (!pf_is_type(R[i.a], &pf_type_future))
        break;
      f->pc = pc;
      int jr = pf_fork_join(r, f, i.a);
      if (jr == NS_CALL)
        goto resume;
      if (jr == NS_RAISE) {
        r->top = f;
        THROW();
      }
      set_reg(R, i.a, r->ret);
      r->ret = pf_unbound();
      break;
    }
    case OP_CALLMETH: /* after OP_GETMETH: f(obj, args) or (a + 1)(args) as OP_CALL */
      if (R[i.b].tag == PF_UNBOUND)
        i = (pf_ins){OP_CALL, i.a, (uint16_t)(i.b + 1u), i.c};
      else
        i = (pf_ins){OP_CALL, i.a, i.b, (uint16_t)(i.c + 1u)};
      goto call_op;
    case OP_CALL_FORK:
      f->pc = pc;
      if (pf_fork_try(r, f, i))
        break;
      i.op = OP_CALL; /* no idle worker: an ordinary call */
      __attribute__((fallthrough));
    case OP_CALL:
    case OP_CALL_KW:
    case OP_CALL_EX: {
    call_op:;
      pf_val fn = R[i.b];
      f->pc = pc;
      int rc;
      if (safepoint_tick(r) && r->cancel &&
          atomic_load_explicit(r->cancel, memory_order_relaxed))
        return PF_ECANCELED; /* safepoint at calls */
      if (i.op == OP_CALL && pf_is_type(fn, &pf_type_func)) {
        pf_func *func = (pf_func *)fn.u.o;
        pf_code *ck = func->code;
        if (ck->is_comp && r->worker && i.c == 1) { /* a comprehension: on every core? */
          pf_val out;
          int pr = pf_par_comp(r, func, R[i.b + 1], &out);
          if (pr == 1) {
            set_reg(R, i.a, out);
            break;
          }
          if (pr < 0) {
            r->top = f;
            THROW();
          }
        }
        pf_val jv;
        if (r->jit && pf_jit_bridge_call(r, func, &R[i.b + 1], i.c, &jv)) {
          set_reg(R, i.a, jv); /* ran natively (jit_bridge.c) */
          break;
        }
        if (ck->nparams == i.c && !ck->has_varargs && !ck->has_varkw && !ck->nkwonly &&
            !ck->is_gen && !ck->ncells && !ck->nfree && r->depth < r->max_depth) {
          pf_frame *nf = malloc(sizeof *nf + ck->nregs * sizeof(pf_val));
          if (nf) {
            memset(nf, 0, sizeof *nf);
            nf->nregs = ck->nregs;
            nf->kind = FR_CODE;
            nf->code = ck;
            nf->func = func;
            pf_obj_incref(&func->h);
            nf->cells = (pf_cell **)(nf->regs + ck->nregs);
            nf->wait_exit = PF_NO_TARGET;
            uint32_t j = 0;
            for (; j < i.c; j++)
              nf->regs[j] = pf_incref(R[i.b + 1 + j]);
            for (; j < ck->nregs; j++)
              nf->regs[j] = pf_unbound();
            nf->caller = f;
            f->wait_dst = i.a;
            f->wait_exit = PF_NO_TARGET;
            r->top = nf;
            r->depth++;
            goto resume;
          }
        }
      } else if (i.op == OP_CALL && r->jit && pf_is_type(fn, &pf_type_bound)) {
        pf_val jv; /* p.m(args): the method, natively when compiled (jit_bridge.c) */
        if (pf_jit_bridge_method(r, (pf_bound *)fn.u.o, &R[i.b + 1], i.c, &jv)) {
          set_reg(R, i.a, jv);
          break;
        }
      }
      if (i.op == OP_CALL) {
        rc = pf_vm_call(r, f, fn, &R[i.b + 1], i.c, NULL, NULL, 0, i.a);
      } else if (i.op == OP_CALL_KW) {
        pf_ins e = ins[pc];
        f->pc = ++pc;
        pf_val names = k->consts[e.b];
        uint32_t nk = e.a, np = i.c - nk;
        pf_val kn[nk + 1];
        for (uint32_t j = 0; j < nk; j++)
          kn[j] = pf_tuple_get(names, j);
        rc = pf_vm_call(r, f, fn, &R[i.b + 1], np, kn, &R[i.b + 1 + np], nk, i.a);
      } else {
        pf_ins e = ins[pc];
        f->pc = ++pc;
        pf_val args = R[i.c], kw = R[e.a];
        size_t na = pf_tuple_len(args), nk = pf_dict_len(kw);
        pf_val av[na + 1], kn[nk + 1], kv[nk + 1];
        for (size_t j = 0; j < na; j++)
          av[j] = pf_tuple_get(args, j);
        for (size_t j = 0; j < nk; j++) {
          pf_dict_entry(kw, j, &kn[j], &kv[j]);
          if (!pf_is_type(kn[j], &pf_type_str)) {
            pf_raise_run(r, PF_EXC_TypeError, "keywords must be strings");
            THROW();
          }
        }
        rc = pf_vm_call(r, f, fn, av, (uint32_t)na, kn, kv, (uint32_t)nk, i.a);
      }
      if (rc == NS_RAISE) {
        r->top = f;
        THROW();
      }
      if (rc == NS_CALL)
        goto resume;
      set_reg(R, i.a, r->ret);
      r->ret = pf_unbound();
      break;
    }
    default: { /* OP_GETMETH among them (vm_ops.c): out of this loop, it keeps the loop fast */
      f->pc = pc;
      int rc = pf_vm_op(r, f, i);
      if (rc == NS_RAISE) {
        r->top = f;
        goto error;
      }
      if (rc == NS_CALL)
        goto resume;
      if (rc == NS_RERAISE) { /* re-raise: no new traceback entry */
        fresh = false;
        goto error_at_top;
      }
      pc = f->pc;
      break;
    }
    }
  }
error:
  fresh = true;
error_at_top:
  if (r->canceled)
    return PF_ECANCELED;
  if (raise_stored(r) != PF_OK)
    return PF_ENOMEM;
  if (fresh)
    tb_here(r, r->top);
  fresh = true;
  if (unwind(r))
    goto resume;
  return PF_EPYEXC;
}

/* A binary operator (op < 100: pf_binop; >= 100: 100 + pf_cmpop) where an operand may be an
 * instance (dunders, reflected operands, NotImplemented), a dict view or a %-format. */
static int binop_call_dunder(pf_run *r, pf_frame *f, int op, pf_val a, pf_val b, uint32_t dst) {
  (void)f;
  (void)dst;
  pf_val out;
  pf_status_t st;
  if (op >= 100)
    st = pf_compare_run(r, (pf_cmpop)(op - 100), a, b, &out);
  else
    st = pf_binop_run(r, (pf_binop)op, a, b, &out);
  if (st != PF_OK)
    return NS_RAISE;
  r->ret = out;
  return NS_RETURN;
}

/* Runs "block" to completion. PF_OK: finished; PF_EPYEXC: *exc_out holds the escaping
 * exception (new); PF_ECANCELED; PF_ENOMEM. */
pf_status_t pf_vm_run(pf_program *p, pf_code *block, const atomic_int *cancel, size_t max_depth,
                      pf_val *ret_out, pf_val *exc_out) {
  pf_run r;
  memset(&r, 0, sizeof r);
  r.prog = p;
  r.cancel = cancel;
  r.root_cancel = cancel;
  r.progress = p->progress;
  r.worker = p->worker;
  r.jit = p->jit;
  r.max_depth = max_depth;
  r.exc = pf_unbound();
  r.ret = pf_unbound();
  pf_func *fn = pf_func_new(p, block, true);
  if (!fn)
    return PF_ENOMEM;
  pf_val none = pf_none();
  int rc = pf_vm_call(&r, NULL, pf_obj_val(&fn->h), &none, 0, NULL, NULL, 0, 0);
  pf_status_t st = rc == NS_CALL ? loop(&r) : PF_ENOMEM;
  pf_jit_bridge_end(&r);
  while (r.top) {
    pf_frame *t = r.top;
    r.top = t->caller;
    if (t->gen) {
      t->gen->frame = NULL;
      t->gen->running = false;
    }
    pf_frame_free(t);
  }
  if (st == PF_OK && ret_out)
    *ret_out = r.ret;
  else
    pf_decref(r.ret);
  if (st == PF_EPYEXC)
    *exc_out = r.exc;
  else
    pf_decref(r.exc);
  pf_run_release(&r);
  return st;
}

/* ---------------------------------------------------------------- synchronous calls */

#define PF_SYNC_MAX 1000

static int sync_step(pf_run *r, pf_frame *f, int ev, pf_val v) {
  (void)r;
  f->state = ev;
  if (ev == EV_VALUE) {
    pf_decref(f->regs[0]);
    f->regs[0] = v;
  }
  return NS_HALT;
}

/* Pushes a sentinel frame above r->top and makes it the loop's stop frame. */
static pf_frame *sync_push(pf_run *r, pf_frame **old_stop) {
  if (r->sync_depth >= PF_SYNC_MAX || r->depth + 1 > r->max_depth) {
    pf_raise_run(r, PF_EXC_RecursionError, "maximum recursion depth exceeded");
    return NULL;
  }
  pf_frame *s = r->spare; /* a fold calls this once per element: reuse the last sentinel */
  if (s)
    r->spare = NULL;
  else if (!(s = pf_frame_native(r, sync_step))) {
    pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
    return NULL;
  }
  s->state = EV_START;
  s->caller = r->top;
  r->top = s;
  r->depth++;
  *old_stop = r->stop;
  r->stop = s;
  r->sync_depth++;
  return s;
}

/* Pops every frame down to sentinel "s", then "s"; returns its outcome: 1 value (in *out),
 * 0 exhausted, -1 error. */
static int sync_pop(pf_run *r, pf_frame *s, pf_frame *old_stop, pf_val *out) {
  while (r->top && r->top != s) {
    pf_frame *t = r->top;
    r->top = t->caller;
    r->depth--;
    if (t->gen) {
      t->gen->frame = NULL;
      t->gen->running = false;
    }
    pf_frame_free(t);
  }
  r->top = s->caller;
  r->depth--;
  r->stop = old_stop;
  r->sync_depth--;
  int rc = s->state == EV_VALUE ? 1 : s->state == EV_EXHAUSTED ? 0 : -1;
  if (rc == 1) {
    *out = s->regs[0];
    s->regs[0] = pf_unbound();
  }
  if (!r->spare) { /* keep it: only regs[0] is ever set on a sentinel */
    pf_decref(s->regs[0]);
    s->regs[0] = pf_unbound();
    s->caller = NULL;
    r->spare = s;
  } else {
    pf_frame_free(s);
  }
  return rc;
}

void pf_run_release(pf_run *r) {
  if (r->spare)
    pf_frame_free(r->spare);
  r->spare = NULL;
}

static int sync_run(pf_run *r, pf_frame *s, pf_frame *old_stop, pf_val *out) {
  pf_status_t st = loop(r);
  if (st != PF_OK) {
    s->state = EV_START;
    if (st == PF_ECANCELED)
      r->canceled = true;
    else if (st != PF_EPYEXC)
      pf_raise_run(r, PF_EXC_MemoryError, "out of memory");
  }
  return sync_pop(r, s, old_stop, out);
}

/* Calls "fn"(args) (borrowed) to completion from native code, running a nested loop.
 * Returns 1 with *out new, or -1 with the error pending (r->err or r->exc; r->canceled). */
int pf_call_sync(pf_run *r, pf_val fn, pf_val *args, uint32_t nargs, pf_val *out) {
  pf_frame *old;
  pf_frame *s = sync_push(r, &old);
  if (!s)
    return -1;
  int rc = pf_vm_call(r, s, fn, args, nargs, NULL, NULL, 0, 0);
  if (rc == NS_RETURN) {
    s->state = EV_VALUE;
    s->regs[0] = r->ret;
    r->ret = pf_unbound();
    return sync_pop(r, s, old, out);
  }
  if (rc == NS_RAISE)
    return sync_pop(r, s, old, out);
  return sync_run(r, s, old, out);
}

/* next(it) from native code: 1 with *out new, 0 when exhausted, -1 on error. */
int pf_next_sync(pf_run *r, pf_val itv, pf_val *out) {
  if (pf_is_type(itv, &pf_type_iter)) {
    pf_iter *it = (pf_iter *)itv.u.o;
    int k = pf_iter_fast_next(it, out, &r->err);
    if (k >= 0)
      return k;
    if (k == -2)
      return -1;
    if (it->kind == IT_NATIVE)
      return pf_lazy_next(r, it, out);
    itv = it->src;
  }
  if (!pf_is_type(itv, &pf_type_gen)) {
    pf_raise_run(r, PF_EXC_TypeError, "'%s' object is not an iterator", pf_type_name(itv));
    return -1;
  }
  pf_gen *g = (pf_gen *)itv.u.o;
  if (!g->frame)
    return 0;
  pf_frame *old;
  pf_frame *s = sync_push(r, &old);
  if (!s)
    return -1;
  int k = gen_resume(r, s, g, 0, 0);
  if (k <= 0) {
    s->state = k == 0 ? EV_EXHAUSTED : EV_START;
    return sync_pop(r, s, old, out);
  }
  return sync_run(r, s, old, out);
}
