/* pf_status.h — the one status type of the project, and the single-exit check macro. */
#ifndef PF_STATUS_H
#define PF_STATUS_H

#define PF_WUR __attribute__((warn_unused_result))

/* X(name, text). PF_OK must stay first (= 0). */
#define PF_STATUS_LIST(X)                                                      \
  X(PF_OK, "success")                                                          \
  X(PF_ENOMEM, "out of memory")                                                \
  X(PF_EINVAL, "invalid argument")                                             \
  X(PF_EAGAIN, "try again")                                                    \
  X(PF_ECANCELED, "canceled")                                                  \
  X(PF_ENOENT, "no such entry")                                                \
  X(PF_EPROTO, "protocol or format error")                                     \
  X(PF_EIO, "input/output error")                                              \
  X(PF_ERANGE, "value out of range")                                           \
  X(PF_EPYEXC, "a Python exception was raised")                                \
  X(PF_ENOTSUP, "not supported")                                               \
  X(PF_ETIMEDOUT, "timed out")

typedef enum pf_status {
#define PF_X_ENUM(name, text) name,
  PF_STATUS_LIST(PF_X_ENUM)
#undef PF_X_ENUM
} pf_status_t;

/* Returns a static, human-readable text for "st". */
const char *pf_status_str(pf_status_t st);

/* Single-exit error path: when "cond" holds, set "ret" to "code" and jump to "label".
 * The message is for the reader of the code; callers that need to report it carry it
 * in their own error record. */
#define PF_CHECK(cond, label, ret, code)                                       \
  do {                                                                         \
    if (__builtin_expect(!!(cond), 0)) {                                       \
      (ret) = (code);                                                          \
      goto label;                                                              \
    }                                                                          \
  } while (0)

#endif
