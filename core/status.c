#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
  const char *name, *msg;
  int code;
} table[] = {
#define GV_X_(name, msg, code) {#name, msg, code},
    GV_STATUS_LIST(GV_X_)
#undef GV_X_
};

const char *gv_strerror(gv_status s) {
  return (unsigned)s < GV_STATUS_COUNT ? table[s].msg : "unknown status";
}

const char *gv_status_name(gv_status s) {
  return (unsigned)s < GV_STATUS_COUNT ? table[s].name : "EUNKNOWN";
}

int gv_exit_code(gv_status s) {
  return (unsigned)s < GV_STATUS_COUNT ? table[s].code : 1;
}

gv_status gv_fail(gv_err *err, gv_status s, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return s;
}
