/* vm_int.h — private to the interpreter loop files of core/interp. */
#ifndef PF_VM_INT_H
#define PF_VM_INT_H

#include "interp_int.h"

int pf_vm_call(pf_run *r, pf_frame *caller, pf_val callee, pf_val *args, uint32_t nargs,
               const pf_val *kwnames, pf_val *kwvals, uint32_t nkw, uint32_t dst);

/* Executes the less frequent opcodes (vm_ops.c). Returns NS_RETURN to continue at f->pc,
 * NS_CALL when a frame was pushed, NS_RAISE on error, NS_RERAISE to re-raise r->exc unchanged. */
int pf_vm_op(pf_run *r, pf_frame *f, pf_ins i);
/* format(v, spec) (builtins_str.c). Returns new. */
pf_status_t pf_format(pf_val v, pf_val spec, pf_val *out, pf_err *err) PF_WUR;

int pf_builtin_materialize(pf_run *r, pf_bi_id id, pf_val *args, uint32_t nargs);
int pf_builtin_fold(pf_run *r, pf_bi_id id, pf_val src, pf_val fn, pf_val acc, pf_val def,
                    bool reverse);
/* str methods (builtins_str.c): returns NS_RETURN/NS_RAISE; "self" is a str. */
int pf_str_method(pf_run *r, pf_val self, const char *m, pf_val *args, uint32_t nargs);
bool pf_str_has_method(const char *m);

#endif
