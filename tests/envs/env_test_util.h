/* Shared helpers for the environment tests. */
#ifndef GV_TESTS_ENV_TEST_UTIL_H
#define GV_TESTS_ENV_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "envs/env.h"

/* |a - b| <= tol in double precision (cmocka's float comparison is single). */
#define ASSERT_NEAR(a, b, tol)                                                        \
  do {                                                                                \
    double a_ = (a), b_ = (b), t_ = (tol);                                            \
    if (!(fabs(a_ - b_) <= t_))                                                       \
      fail_msg("%s = %.17g, %s = %.17g, differ by %.3g > %.3g", #a, a_, #b, b_,       \
               fabs(a_ - b_), t_);                                                    \
  } while (0)

/* Load task `name` from the source tree's assets and make one copy. */
static inline void load_env(gv_env_task **task, gv_env **env, const char *name) {
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_env_task_alloc(task, name, NULL, &err)) fail_msg("%s", err.msg);
  if (gv_env_alloc(env, *task, &err)) fail_msg("%s", err.msg);
}

/* Uniform random action within the type's bounds. */
static inline void random_action(double *a, const gv_env_type *ty, gsl_rng *rng) {
  for (int i = 0; i < ty->act_dim; ++i)
    a[i] = ty->act_low + (ty->act_high - ty->act_low) * gsl_rng_uniform(rng);
}

#endif
