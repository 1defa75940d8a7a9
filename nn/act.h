/* Activations: value, first and second derivative listed once.
 *
 * Each row of GV_NN_ACT_LIST gives, as C expressions,
 *   f(z)          in terms of the pre-activation z,
 *   f'(z)         in terms of the output y = f(z) (and the leaky slope a),
 *   f''(z)        in terms of y,
 *   curved        1 when f'' is not identically zero (only then does the
 *                 second-order pass of a gradient penalty need this layer's
 *                 curvature sweep).
 * Derivatives are written in y so that backward needs only the stored layer
 * outputs, not the pre-activations (half the workspace traffic).  This needs
 * sign(y) == sign(z), hence the leaky slope a >= 0 (checked by the spec).
 *
 * The hot loops in mlp.c are generated from this list (one specialised loop
 * per activation, switch outside the loop), so a new activation added here
 * gets forward, backward and double backprop at once, and the value and its
 * derivatives can not drift apart (genann's function pointers without
 * derivatives are what this replaces).
 *
 * relu and leaky relu test `z < 0` rather than `z > 0` so that NaN propagates
 * (divergence is data: a NaN must reach the loss, not be clamped to 0).  At
 * z == 0 the derivative is the left one (0 for relu, a for leaky), as in
 * PyTorch. */
#ifndef GV_NN_ACT_H
#define GV_NN_ACT_H

#include <stdint.h>
#include <string.h>

/*  NAME        name          f(z)                   f'(z) from y              f''(z) from y                curved */
#define GV_NN_ACT_LIST(X)                                                                                        \
  X(LINEAR,     "linear",     z,                     1.0f,                     0.0f,                        0)   \
  X(TANH,       "tanh",       gv_nn_tanhf(z),        1.0f - y * y,             -2.0f * y * (1.0f - y * y),  1)   \
  X(RELU,       "relu",       (z < 0.0f ? 0.0f : z), (y > 0.0f ? 1.0f : 0.0f), 0.0f,                        0)   \
  X(LEAKY_RELU, "leaky_relu", (z < 0.0f ? a * z : z), (y > 0.0f ? 1.0f : a),   0.0f,                        0)

typedef enum {
#define GV_NN_X_(NAME, name, f, d1, d2, curved) GV_NN_ACT_##NAME,
  GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
  GV_NN_ACT_COUNT
} gv_nn_act;

/* tanh in float, accurate to a few ulp, written so that GCC vectorises a loop
 * calling it (glibc's tanhf is a scalar call of ~8 ns; this is ~1-2 ns, and
 * the 64-64 tanh nets of PPO spend most of their non-gemm time here).
 *
 * tanh is odd, so work on t = |x|:
 *   t < 0.55:  Taylor series of tanh to x^17 (truncation < 1e-8 relative at
 *              0.55; the series converges for |x| < pi/2),
 *   t >= 0.55: (1 - e) / (1 + e) with e = exp(-2t) in (0, 0.333]: no
 *              cancellation since 1 - e >= 0.667.
 * exp is computed as 2^k * p(r), k = round(u / ln 2), r = u - k ln 2 split in
 * a high part exact in float and a low part (Cody-Waite), p the degree-7
 * Taylor polynomial (|r| <= 0.347: truncation 6e-9).  t is clamped at 9 where
 * tanh rounds to 1.  NaN passes the clamp, is replaced by 0 where it would
 * reach the float-to-int conversion (undefined for NaN), and comes out
 * through the small branch, which the final select picks for NaN. */
static inline float gv_nn_tanhf(float x) {
  float t = x < 0.0f ? -x : x;
  t = t > 9.0f ? 9.0f : t;
  /* small branch: odd series in t, Horner in t^2 */
  const float s = t * t;
  float p = 6404582.0f / 10854718875.0f;
  p = p * s - 929569.0f / 638512875.0f;
  p = p * s + 21844.0f / 6081075.0f;
  p = p * s - 1382.0f / 155925.0f;
  p = p * s + 62.0f / 2835.0f;
  p = p * s - 17.0f / 315.0f;
  p = p * s + 2.0f / 15.0f;
  p = p * s - 1.0f / 3.0f;
  const float small = t + t * s * p;
  /* large branch: e = exp(u), u = -2t in [-18, 0] */
  const float u = t == t ? -2.0f * t : 0.0f;
  /* round to nearest by the 1.5 * 2^23 trick (no libm call, so it vectorises);
   * valid since |u / ln 2| < 2^22 */
  const float kf = (u * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (u - kf * 0.693145751953125f) - kf * 1.428606765330187e-06f;
  float q = 1.0f / 5040.0f;
  q = q * r + 1.0f / 720.0f;
  q = q * r + 1.0f / 120.0f;
  q = q * r + 1.0f / 24.0f;
  q = q * r + 1.0f / 6.0f;
  q = q * r + 0.5f;
  q = q * r + 1.0f;
  q = q * r + 1.0f;
  /* 2^k from the exponent bits; k in [-26, 0] so the result is normal */
  const uint32_t bits = (uint32_t)((int32_t)kf + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  const float e = q * scale;
  const float large = (1.0f - e) / (1.0f + e);
  const float y = t >= 0.55f ? large : small;
  return x < 0.0f ? -y : y;
}

/* Scalar versions for tests and cold code; the hot loops use the list. */
static inline float gv_nn_act_value(gv_nn_act act, float a, float z) {
  (void)a;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved) \
  case GV_NN_ACT_##NAME: return (f);
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: return z;
  }
}

static inline float gv_nn_act_d1(gv_nn_act act, float a, float y) {
  (void)a;
  (void)y;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved) \
  case GV_NN_ACT_##NAME: return (d1);
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: return 1.0f;
  }
}

static inline float gv_nn_act_d2(gv_nn_act act, float a, float y) {
  (void)a;
  (void)y;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved) \
  case GV_NN_ACT_##NAME: return (d2);
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: return 0.0f;
  }
}

/* 1 when f'' is not identically zero. */
int gv_nn_act_curved(gv_nn_act act);
/* "tanh"; "?" for an invalid value. */
const char *gv_nn_act_name(gv_nn_act act);
/* Parses a name; GV_NN_ACT_COUNT when unknown. */
gv_nn_act gv_nn_act_parse(const char *name);

#endif
