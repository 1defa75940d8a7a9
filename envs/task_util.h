/* The small formulas the built-in tasks (envs/tasks.c) and the tasks from a
 * config (envs/mjcf.c) share, so both compute the same bits. */
#ifndef GV_ENVS_TASK_UTIL_H
#define GV_ENVS_TASK_UTIL_H

#include <gsl/gsl_rng.h>
#include <math.h>

static inline double gv_task_uniform(gsl_rng *rng, double lo, double hi) {
  return lo + (hi - lo) * gsl_rng_uniform(rng);
}

/* x := base + U(-scale, scale) elementwise; base NULL means zero.  Draws in
 * index order, qpos before qvel, as Gymnasium's reset_model does. */
static inline void gv_task_add_uniform(double *x, const double *base, int n, double scale,
                                       gsl_rng *rng) {
  for (int i = 0; i < n; ++i) x[i] = (base ? base[i] : 0.0) + gv_task_uniform(rng, -scale, scale);
}

static inline double gv_task_clip(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

static inline double gv_task_sumsq(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += x[i] * x[i];
  return s;
}

static inline int gv_task_finite(const double *x, int n) {
  for (int i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

#endif
