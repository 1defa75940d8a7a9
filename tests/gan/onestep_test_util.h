/* Helpers shared by the one-step GAIL tests.  Include after <cmocka.h> and
 * tests/controllers/ctl_test_util.h. */
#ifndef GV_TESTS_GAN_ONESTEP_TEST_UTIL_H
#define GV_TESTS_GAN_ONESTEP_TEST_UTIL_H

#include <math.h>

#include "gan/onestep.h"

/* The game with the given reward, D and policy kinds, lambda and expert. */
static inline void os_make(gv_onestep *g, int reward, int disc, int policy, double lambda,
                           const double *expert, long n) {
  gv_onestep_params p;
  gv_params_defaults(gv_game_onestep.params, &p);
  p.n = n;
  p.lambda = lambda;
  p.reward = reward;
  p.disc = disc;
  p.policy = policy;
  for (long a = 0; a < n; ++a) p.expert[a] = expert[a];
  gv_err err;
  if (gv_onestep_init(g, &p, &err) != GV_OK) fail_msg("init: %s", err.msg);
}

static inline double os_norm(const double *v, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += v[i] * v[i];
  return sqrt(s);
}

/* A game's field with a controller stack (NULL: none), for gv_fd_jacobian. */
typedef struct os_fctx {
  const gv_vfgame *g;
  const gv_ctl_stack *s;
} os_fctx;

static inline void os_controlled(void *vp, const double *x, double *y) {
  const os_fctx *c = vp;
  gv_vf_controlled(c->g, c->s, x, y);
}

#endif
