/* Shared helpers of the nn tests: random nets and data. */
#ifndef GV_TESTS_NN_TESTUTIL_H
#define GV_TESTS_NN_TESTUTIL_H

#include <stdlib.h>

#include "core/rng.h"
#include "nn/init.h"
#include "nn/mlp.h"

/* Fills v (n) with N(0, sd^2) draws. */
static inline void tu_normal(float *v, size_t n, double sd, gsl_rng *r) {
  for (size_t k = 0; k < n; ++k) v[k] = (float)(sd * gv_rng_normal(r));
}

/* A net of `spec` with Xavier-normal weights (gain g) and N(0, 0.3^2)
 * biases, so relu kinks fall at random places. */
static inline gv_nn *tu_net(const gv_nn_spec *spec, double g, gsl_rng *r) {
  gv_nn *net = NULL;
  gv_err err;
  if (gv_nn_alloc(&net, spec, &err)) return NULL;
  gv_nn_init_params(net, GV_NN_INIT_XAVIER_NORMAL, g, g, r, &err);
  for (int l = 0; l < spec->nlayer; ++l) tu_normal(gv_nn_b(net, l), spec->size[l + 1], 0.3, r);
  return net;
}

#endif
