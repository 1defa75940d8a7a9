/* A tiny double-precision MLP used as the reference of the nn tests: the
 * same float weights cast to double, its own layout arithmetic (W_l out x in
 * then b_l, layer after layer), activations and derivatives written from
 * their definitions in z, not from nn/act.h's forms in y. */
#ifndef GV_TESTS_NN_REF_H
#define GV_TESTS_NN_REF_H

#include <math.h>
#include <string.h>

#include "nn/mlp.h"

#define REF_W 64 /* widest layer the reference handles */

typedef struct ref_tape {
  double z[GV_NN_MAX_LAYERS][REF_W];     /* pre-activations */
  double h[GV_NN_MAX_LAYERS + 1][REF_W]; /* h[0] = x, h[l+1] = f(z[l]) */
  double out[REF_W];                     /* sigmoid(h[L]) or h[L] */
} ref_tape;

static inline double ref_f(gv_nn_act act, double a, double z) {
  switch (act) {
    case GV_NN_ACT_TANH: return tanh(z);
    case GV_NN_ACT_RELU: return z > 0.0 ? z : 0.0;
    case GV_NN_ACT_LEAKY_RELU: return z > 0.0 ? z : a * z;
    default: return z;
  }
}

static inline double ref_df(gv_nn_act act, double a, double z) {
  switch (act) {
    case GV_NN_ACT_TANH: return 1.0 / (cosh(z) * cosh(z));
    case GV_NN_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case GV_NN_ACT_LEAKY_RELU: return z > 0.0 ? 1.0 : a;
    default: return 1.0;
  }
}

/* Offsets of W_l and b_l in the flat buffer. */
static inline void ref_offsets(const gv_nn_spec *s, size_t *ow, size_t *ob) {
  size_t off = 0;
  for (int l = 0; l < s->nlayer; ++l) {
    ow[l] = off;
    off += (size_t)s->size[l] * s->size[l + 1];
    ob[l] = off;
    off += (size_t)s->size[l + 1];
  }
}

/* One sample x (size[0]) through the net with parameters p (double). */
static inline void ref_forward(ref_tape *t, const gv_nn_spec *s, const double *p, const double *x) {
  size_t ow[GV_NN_MAX_LAYERS], ob[GV_NN_MAX_LAYERS];
  ref_offsets(s, ow, ob);
  memcpy(t->h[0], x, sizeof(double) * s->size[0]);
  for (int l = 0; l < s->nlayer; ++l) {
    const int din = s->size[l], dout = s->size[l + 1];
    for (int j = 0; j < dout; ++j) {
      double z = p[ob[l] + j];
      for (int k = 0; k < din; ++k) z += p[ow[l] + (size_t)j * din + k] * t->h[l][k];
      t->z[l][j] = z;
      t->h[l + 1][j] = ref_f(s->act[l], s->slope, z);
    }
  }
  const int L = s->nlayer;
  for (int j = 0; j < s->size[L]; ++j)
    t->out[j] = s->out_sigmoid ? 1.0 / (1.0 + exp(-t->h[L][j])) : t->h[L][j];
}

/* dh_L[0]/dx (size[0]) at the tape's sample: the input gradient of a
 * scalar net's logit. */
static inline void ref_input_grad(double *g0, const ref_tape *t, const gv_nn_spec *s,
                                  const double *p) {
  size_t ow[GV_NN_MAX_LAYERS], ob[GV_NN_MAX_LAYERS];
  ref_offsets(s, ow, ob);
  double g[REF_W] = {1.0}, gp[REF_W];
  for (int l = s->nlayer - 1; l >= 0; --l) {
    const int din = s->size[l], dout = s->size[l + 1];
    for (int k = 0; k < din; ++k) gp[k] = 0.0;
    for (int j = 0; j < dout; ++j) {
      const double d = g[j] * ref_df(s->act[l], s->slope, t->z[l][j]);
      for (int k = 0; k < din; ++k) gp[k] += d * p[ow[l] + (size_t)j * din + k];
    }
    memcpy(g, gp, sizeof(double) * din);
  }
  memcpy(g0, g, sizeof(double) * s->size[0]);
}

#endif
