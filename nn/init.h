/* Initialisers.  Every draw comes from the caller's gsl_rng (a named, seeded
 * stream, core/rng.h), in a fixed order, so the same seed gives the same bytes.
 *
 *   ORTHOGONAL      gain * Q, Q from the QR decomposition of a Gaussian matrix
 *                   with the signs of diag(R) moved into Q so the result is
 *                   Haar-distributed (Saxe et al. 2014; Mezzadri 2007, sec. 5).
 *                   For out <= in (square or wide) W W^T = gain^2 I, for tall
 *                   W^T W = gain^2 I.  PPO's choice: gain sqrt(2) hidden,
 *                   0.01 policy head, 1 value head.
 *   XAVIER_UNIFORM  U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010)
 *   XAVIER_NORMAL   N(0, s^2), s = gain sqrt(2 / (fan_in + fan_out))
 *   HE_UNIFORM      U(-a, a), a = gain sqrt(3 / fan_in)               (He et al. 2015;
 *   HE_NORMAL       N(0, s^2), s = gain / sqrt(fan_in)                 gain sqrt(2) for relu)
 * Biases are set to zero. */
#ifndef GV_NN_INIT_H
#define GV_NN_INIT_H

#include <gsl/gsl_rng.h>

#include "core/status.h"
#include "nn/mlp.h"

typedef enum {
  GV_NN_INIT_ORTHOGONAL,
  GV_NN_INIT_XAVIER_UNIFORM,
  GV_NN_INIT_XAVIER_NORMAL,
  GV_NN_INIT_HE_UNIFORM,
  GV_NN_INIT_HE_NORMAL,
  GV_NN_INIT_COUNT
} gv_nn_init_kind;

/* "orthogonal", "xavier_uniform", ...; "?" when invalid. */
const char *gv_nn_init_name(gv_nn_init_kind kind);
/* GV_NN_INIT_COUNT when unknown. */
gv_nn_init_kind gv_nn_init_parse(const char *name);

/* w (rows x cols, row-major; rows = fan_out, cols = fan_in). */
gv_status gv_nn_init_matrix(float *w, int rows, int cols, gv_nn_init_kind kind, double gain,
                            gsl_rng *rng, gv_err *err);
/* Layer l: W_l by kind and gain, b_l = 0. */
gv_status gv_nn_init_layer(gv_nn *net, int l, gv_nn_init_kind kind, double gain, gsl_rng *rng,
                           gv_err *err);
/* Every layer: hidden layers with `gain`, the output layer with `out_gain`;
 * layers drawn in order 0 .. L-1. */
gv_status gv_nn_init_params(gv_nn *net, gv_nn_init_kind kind, double gain, double out_gain,
                            gsl_rng *rng, gv_err *err);

#endif
