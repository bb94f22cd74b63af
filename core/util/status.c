#include "pf_status.h"

const char *pf_status_str(pf_status_t st) {
  switch (st) {
#define PF_X_CASE(name, text)                                                  \
  case name:                                                                   \
    return text;
    PF_STATUS_LIST(PF_X_CASE)
#undef PF_X_CASE
  }
  return "unknown status";
}
