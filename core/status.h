/* Status codes, error messages and exit codes.
 *
 * Every function that can fail returns a gv_status and, where a human needs
 * to know why, fills a caller-owned gv_err.  The codes are listed once
 * (X-macro, as libuv does) so the name, the message and the exit code can not
 * drift apart. */
#ifndef GV_CORE_STATUS_H
#define GV_CORE_STATUS_H

#include <stddef.h>

/*  name        message                                     exit code */
#define GV_STATUS_LIST(X)                                                   \
  X(OK,        "success",                                   0)              \
  X(EINVAL,    "invalid input",                             2)              \
  X(ECONFIG,   "configuration error",                       2)              \
  X(ENOHOOK,   "controller has no hook for this game",      2)              \
  X(ENOTFOUND, "not found",                                 2)              \
  X(ENOMEM,    "out of memory",                             1)              \
  X(EIO,       "input/output error",                        1)              \
  X(EDIVERGED, "numerical divergence",                      1)              \
  X(EFAILED,   "run failed",                                1)              \
  X(EINTR,     "interrupted",                               1)

typedef enum {
#define GV_X_(name, msg, code) GV_##name,
  GV_STATUS_LIST(GV_X_)
#undef GV_X_
  GV_STATUS_COUNT
} gv_status;

const char *gv_strerror(gv_status s);   /* "configuration error" */
const char *gv_status_name(gv_status s);/* "ECONFIG" */
int gv_exit_code(gv_status s);          /* 0 ok, 1 run failed, 2 bad input */

/* A human explanation, filled by the function that failed. */
#define GV_ERR_MAX 1024
typedef struct gv_err {
  char msg[GV_ERR_MAX];                 /* "file:line: key: message (allowed: ...)" */
  char axis[256];                       /* set by the config loader when the error is a
                                         * list where a scalar is expected: its dotted
                                         * path (a sweep axis); else left untouched */
} gv_err;

/* Writes the message (printf format) into err if err is not NULL and returns s,
 * so that a failure reads `return gv_fail(err, GV_ECONFIG, "...", ...);`. */
gv_status gv_fail(gv_err *err, gv_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
