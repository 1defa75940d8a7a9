/* A progress line on a terminal: rate, ETA and the headline metric, redrawn
 * at most ten times a second; silent when stdout is not a TTY. */
#ifndef GV_CORE_PROGRESS_H
#define GV_CORE_PROGRESS_H

#include <stdint.h>

typedef struct gv_progress {
  int enabled;              /* stdout is a TTY */
  int64_t total;            /* total units of work (steps) */
  double t0, last;          /* start and last redraw, seconds (monotonic) */
  const char *label;        /* run name */
  const char *unit;         /* "steps" */
} gv_progress;

void gv_progress_init(gv_progress *p, const char *label, const char *unit, int64_t total);
/* metric_name may be NULL. */
void gv_progress_update(gv_progress *p, int64_t done, const char *metric_name, double metric);
void gv_progress_done(gv_progress *p);

/* Monotonic seconds. */
double gv_now(void);

#endif
