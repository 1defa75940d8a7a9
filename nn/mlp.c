/* MLP forward, backward and double backprop (docs/nn.md).
 *
 * Every matrix product is one cblas_sgemm, row-major, with the transpose in
 * the call:  forward Z = H W^T,  dW += dZ^T H,  dH = dZ W.  Bias, activation
 * and their derivatives are fused into one pass over each output, in loops
 * generated from GV_NN_ACT_LIST with the activation switch outside the loop,
 * so GCC vectorises them (see nn/CMakeLists.txt for the flags). */
#include "nn/mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ sgemm and its trace */

static gv_nn_gemm_trace *gemm_trace; /* benchmarks only (gv_nn_gemm_trace_set) */

void gv_nn_gemm_trace_set(gv_nn_gemm_trace *t) { gemm_trace = t; }

/* Every product of this file: row-major, alpha 1. */
static void gemm(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
                 int ldb, float beta, float *c, int ldc) {
  if (gemm_trace && gemm_trace->n < gemm_trace->cap)
    gemm_trace->calls[gemm_trace->n++] = (gv_nn_gemm_call){ta, tb, m, n, k, beta};
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
              n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

void gv_nn_gemm_replay(const gv_nn_gemm_call *calls, size_t n, float *a, float *b, float *c) {
  for (size_t i = 0; i < n; ++i) {
    const gv_nn_gemm_call *x = calls + i;
    cblas_sgemm(CblasRowMajor, x->ta ? CblasTrans : CblasNoTrans,
                x->tb ? CblasTrans : CblasNoTrans, x->m, x->n, x->k, 1.0f, a,
                x->ta ? x->m : x->k, b, x->tb ? x->k : x->n, x->beta, c, x->n);
  }
}

double gv_nn_gemm_flops(const gv_nn_gemm_call *calls, size_t n) {
  double f = 0.0;
  for (size_t i = 0; i < n; ++i) f += 2.0 * calls[i].m * calls[i].n * calls[i].k;
  return f;
}

/* --------------------------------------------------------------- activations */

static const struct {
  const char *name;
  int curved;
} act_table[] = {
#define GV_NN_X_(NAME, name, f, d1, d2, curved) {name, curved},
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
};

int gv_nn_act_curved(gv_nn_act act) {
  return (unsigned)act < GV_NN_ACT_COUNT ? act_table[act].curved : 0;
}

const char *gv_nn_act_name(gv_nn_act act) {
  return (unsigned)act < GV_NN_ACT_COUNT ? act_table[act].name : "?";
}

gv_nn_act gv_nn_act_parse(const char *name) {
  for (int i = 0; i < GV_NN_ACT_COUNT; ++i)
    if (name && strcmp(name, act_table[i].name) == 0) return (gv_nn_act)i;
  return GV_NN_ACT_COUNT;
}

/* z (n x d) <- f(z + b), row by row. */
GV_NN_HOT static void bias_act(float *restrict zbuf, const float *restrict b, int n, int d,
                     gv_nn_act act, float a) {
  (void)a;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved)                   \
  case GV_NN_ACT_##NAME:                                          \
    for (int i = 0; i < n; ++i) {                                 \
      float *restrict row = zbuf + (size_t)i * d;                 \
      for (int j = 0; j < d; ++j) {                               \
        const float z = row[j] + b[j];                            \
        row[j] = (f);                                             \
      }                                                           \
    }                                                             \
    break;
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: break;
  }
}

/* g (n x d) <- g * f'(y) in place; db (d) += column sums of the result
 * (NULL: skip). */
GV_NN_HOT static void act_backward(float *restrict g, const float *restrict yv, float *restrict db,
                         int n, int d, gv_nn_act act, float a) {
  (void)a;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved)                   \
  case GV_NN_ACT_##NAME:                                          \
    for (int i = 0; i < n; ++i) {                                 \
      float *restrict gr = g + (size_t)i * d;                     \
      const float *restrict yr = yv + (size_t)i * d;               \
      for (int j = 0; j < d; ++j) {                               \
        const float y = yr[j];                                    \
        (void)y;                                                  \
        gr[j] *= (d1);                                            \
      }                                                           \
      if (db)                                                     \
        for (int j = 0; j < d; ++j) db[j] += gr[j];               \
    }                                                             \
    break;
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: break;
  }
}

/* Penalty, sweep A, elementwise part for layer l (n x d):
 *   dbar (in)  -> gnext = dbar * f'(y)            (in place; skipped when last)
 *   zbar (out) =  dbar * gup * f''(y)            (gup NULL means gup = 1)   */
GV_NN_HOT static void act_second(float *restrict dbar, float *restrict zbar, const float *restrict gup,
                       const float *restrict y_, int n, int d, int last, gv_nn_act act,
                       float a) {
  (void)a;
  const size_t nd = (size_t)n * d;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved)                   \
  case GV_NN_ACT_##NAME:                                          \
    for (size_t k = 0; k < nd; ++k) {                             \
      const float y = y_[k];                                      \
      (void)y;                                                    \
      zbar[k] = dbar[k] * (gup ? gup[k] : 1.0f) * (d2);           \
    }                                                             \
    if (!last)                                                    \
      for (size_t k = 0; k < nd; ++k) {                           \
        const float y = y_[k];                                    \
        (void)y;                                                  \
        dbar[k] *= (d1);                                          \
      }                                                           \
    break;
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: break;
  }
}

/* Penalty, sweep B: zhat (n x d) += hhat * f'(y). */
GV_NN_HOT static void act_add_backward(float *restrict zhat, const float *restrict hhat,
                             const float *restrict y_, int n, int d, gv_nn_act act, float a) {
  (void)a;
  const size_t nd = (size_t)n * d;
  switch (act) {
#define GV_NN_X_(NAME, name, f, d1, d2, curved)                   \
  case GV_NN_ACT_##NAME:                                          \
    for (size_t k = 0; k < nd; ++k) {                             \
      const float y = y_[k];                                      \
      (void)y;                                                    \
      zhat[k] += hhat[k] * (d1);                                  \
    }                                                             \
    break;
    GV_NN_ACT_LIST(GV_NN_X_)
#undef GV_NN_X_
    default: break;
  }
}

/* Column sums: db (d) += sum over rows of g (n x d). */
GV_NN_HOT static void colsum_add(float *restrict db, const float *restrict g, int n, int d) {
  for (int i = 0; i < n; ++i) {
    const float *restrict gr = g + (size_t)i * d;
    for (int j = 0; j < d; ++j) db[j] += gr[j];
  }
}

/* Sigmoid without overflow: e = exp(-|z|) <= 1. */
static float sigmoidf(float z) {
  const float e = expf(-fabsf(z));
  return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/* ------------------------------------------------------------------ spec */

gv_status gv_nn_spec_check(const gv_nn_spec *s, gv_err *err) {
  if (!s) return gv_fail(err, GV_EINVAL, "nn: no spec");
  if (s->nlayer < 1 || s->nlayer > GV_NN_MAX_LAYERS)
    return gv_fail(err, GV_EINVAL, "nn: %d layers (allowed: 1..%d)", s->nlayer,
                   GV_NN_MAX_LAYERS);
  for (int l = 0; l <= s->nlayer; ++l)
    if (s->size[l] < 1 || s->size[l] > (1 << 20))
      return gv_fail(err, GV_EINVAL, "nn: width %d of layer %d (allowed: 1..%d)", s->size[l],
                     l, 1 << 20);
  for (int l = 0; l < s->nlayer; ++l)
    if ((unsigned)s->act[l] >= GV_NN_ACT_COUNT)
      return gv_fail(err, GV_EINVAL,
                     "nn: activation %d of layer %d (allowed: linear, tanh, relu, leaky_relu)",
                     (int)s->act[l], l);
  /* derivatives are computed from outputs, which needs sign(f(z)) = sign(z) */
  if (!(s->slope >= 0.0f) || !isfinite(s->slope))
    return gv_fail(err, GV_EINVAL, "nn: leaky relu slope %g (allowed: >= 0)",
                   (double)s->slope);
  if (s->out_sigmoid != 0 && s->out_sigmoid != 1)
    return gv_fail(err, GV_EINVAL, "nn: out_sigmoid %d (allowed: 0, 1)", s->out_sigmoid);
  return GV_OK;
}

gv_status gv_nn_spec_mlp(gv_nn_spec *spec, int nin, int nhidden, const int *hidden,
                         gv_nn_act hidden_act, int nout, gv_nn_act out_act, gv_err *err) {
  if (nhidden < 0 || nhidden + 1 > GV_NN_MAX_LAYERS)
    return gv_fail(err, GV_EINVAL, "nn: %d hidden layers (allowed: 0..%d)", nhidden,
                   GV_NN_MAX_LAYERS - 1);
  memset(spec, 0, sizeof *spec);
  spec->nlayer = nhidden + 1;
  spec->size[0] = nin;
  for (int l = 0; l < nhidden; ++l) {
    spec->size[l + 1] = hidden[l];
    spec->act[l] = hidden_act;
  }
  spec->size[nhidden + 1] = nout;
  spec->act[nhidden] = out_act;
  spec->slope = 0.2f;
  spec->out_sigmoid = 0;
  return gv_nn_spec_check(spec, err);
}

static int uses_slope(const gv_nn_spec *s) {
  for (int l = 0; l < s->nlayer; ++l)
    if (s->act[l] == GV_NN_ACT_LEAKY_RELU) return 1;
  return 0;
}

int gv_nn_spec_equal(const gv_nn_spec *a, const gv_nn_spec *b) {
  if (a->nlayer != b->nlayer || a->out_sigmoid != b->out_sigmoid) return 0;
  if (a->nlayer < 1 || a->nlayer > GV_NN_MAX_LAYERS) return 0;
  for (int l = 0; l <= a->nlayer; ++l)
    if (a->size[l] != b->size[l]) return 0;
  for (int l = 0; l < a->nlayer; ++l)
    if (a->act[l] != b->act[l]) return 0;
  /* the slope matters only where a leaky relu uses it */
  if (uses_slope(a) && a->slope != b->slope) return 0;
  return 1;
}

void gv_nn_spec_format(char *buf, size_t size, const gv_nn_spec *s) {
  size_t k = 0;
  int nl = s->nlayer < 0 ? 0 : s->nlayer > GV_NN_MAX_LAYERS ? GV_NN_MAX_LAYERS : s->nlayer;
  if (size == 0) return;
  buf[0] = '\0';
#define GV_NN_APPEND_(...)                                                  \
  do {                                                                      \
    if (k < size) {                                                         \
      int w_ = snprintf(buf + k, size - k, __VA_ARGS__);                    \
      if (w_ > 0) k += (size_t)w_;                                          \
    }                                                                       \
  } while (0)
  for (int l = 0; l <= nl; ++l) GV_NN_APPEND_("%s%d", l ? "-" : "", s->size[l]);
  for (int l = 0; l < nl; ++l) GV_NN_APPEND_("%s%s", l ? "," : " ", gv_nn_act_name(s->act[l]));
  if (s->out_sigmoid) GV_NN_APPEND_(" sigmoid");
  if (uses_slope(s)) GV_NN_APPEND_(" slope=%g", (double)s->slope);
#undef GV_NN_APPEND_
}

size_t gv_nn_spec_nparam(const gv_nn_spec *s) {
  size_t n = 0;
  for (int l = 0; l < s->nlayer; ++l)
    n += (size_t)s->size[l + 1] * (size_t)s->size[l] + (size_t)s->size[l + 1];
  return n;
}

/* ------------------------------------------------------------ allocation */

static size_t round_up(size_t bytes) {
  return (bytes + GV_NN_ALIGN - 1) / GV_NN_ALIGN * GV_NN_ALIGN;
}

gv_status gv_nn_alloc(gv_nn **out, const gv_nn_spec *spec, gv_err *err) {
  *out = NULL;
  gv_status st = gv_nn_spec_check(spec, err);
  if (st) return st;
  const size_t np = gv_nn_spec_nparam(spec);
  const size_t head = round_up(sizeof(gv_nn)), vec = round_up(np * sizeof(float));
  /* one block: [struct | param | grad], each part on a cache line */
  char *buf = aligned_alloc(GV_NN_ALIGN, head + 2 * vec);
  if (!buf) return gv_fail(err, GV_ENOMEM, "nn: out of memory for %zu parameters", np);
  memset(buf, 0, head + 2 * vec);
  gv_nn *net = (gv_nn *)buf;
  net->spec = *spec;
  net->nparam = np;
  net->param = (float *)(buf + head);
  net->grad = (float *)(buf + head + vec);
  size_t off = 0;
  for (int l = 0; l < spec->nlayer; ++l) {
    net->off_w[l] = off;
    off += (size_t)spec->size[l + 1] * (size_t)spec->size[l];
    net->off_b[l] = off;
    off += (size_t)spec->size[l + 1];
  }
  *out = net;
  return GV_OK;
}

void gv_nn_free(gv_nn *net) { free(net); }

gv_status gv_nn_ws_alloc(gv_nn_ws **out, const gv_nn_spec *spec, int maxbatch, gv_err *err) {
  *out = NULL;
  gv_status st = gv_nn_spec_check(spec, err);
  if (st) return st;
  if (maxbatch < 1) return gv_fail(err, GV_EINVAL, "nn: max batch %d (allowed: >= 1)", maxbatch);
  const int L = spec->nlayer;
  const size_t mb = (size_t)maxbatch;
  size_t maxw = 0;
  for (int l = 0; l <= L; ++l)
    if ((size_t)spec->size[l] > maxw) maxw = (size_t)spec->size[l];
  /* sizes of the blocks, in the order they are carved below */
  size_t total = round_up(sizeof(gv_nn_ws));
  for (int l = 0; l <= L; ++l) total += round_up(mb * spec->size[l] * sizeof(float));
  if (spec->out_sigmoid) total += round_up(mb * spec->size[L] * sizeof(float));
  total += 2 * round_up(mb * maxw * sizeof(float));
  for (int l = 0; l < L; ++l)
    total += round_up(mb * spec->size[l] * sizeof(float)) +
             round_up(mb * spec->size[l + 1] * sizeof(float));
  char *buf = aligned_alloc(GV_NN_ALIGN, total);
  if (!buf) return gv_fail(err, GV_ENOMEM, "nn: out of memory for a workspace of %zu bytes", total);
  memset(buf, 0, total);
  gv_nn_ws *ws = (gv_nn_ws *)buf;
  char *p = buf + round_up(sizeof(gv_nn_ws));
#define GV_NN_CARVE_(ptr, count)                   \
  do {                                             \
    (ptr) = (float *)p;                            \
    p += round_up((count) * sizeof(float));        \
  } while (0)
  for (int l = 0; l <= L; ++l) GV_NN_CARVE_(ws->h[l], mb * spec->size[l]);
  if (spec->out_sigmoid)
    GV_NN_CARVE_(ws->out, mb * spec->size[L]);
  else
    ws->out = ws->h[L];
  GV_NN_CARVE_(ws->tmp[0], mb * maxw);
  GV_NN_CARVE_(ws->tmp[1], mb * maxw);
  for (int l = 0; l < L; ++l) {
    GV_NN_CARVE_(ws->gin[l], mb * spec->size[l]);
    GV_NN_CARVE_(ws->delta[l], mb * spec->size[l + 1]);
  }
#undef GV_NN_CARVE_
  ws->maxbatch = maxbatch;
  ws->n = 0;
  *out = ws;
  return GV_OK;
}

void gv_nn_ws_free(gv_nn_ws *ws) { free(ws); }

/* ---------------------------------------------------------------- passes */

gv_status gv_nn_forward(gv_nn_ws *ws, const gv_nn *net, const float *x, int n) {
  const gv_nn_spec *s = &net->spec;
  if (n < 1 || n > ws->maxbatch) return GV_EINVAL;
  const int L = s->nlayer;
  memcpy(ws->h[0], x, (size_t)n * s->size[0] * sizeof(float));
  for (int l = 0; l < L; ++l) {
    const int din = s->size[l], dout = s->size[l + 1];
    /* Z = H W^T: W is stored out x in, so it enters transposed */
    gemm(0, 1, n, dout, din, ws->h[l], din,
                gv_nn_W(net, l), din, 0.0f, ws->h[l + 1], dout);
    bias_act(ws->h[l + 1], gv_nn_b(net, l), n, dout, s->act[l], s->slope);
  }
  if (s->out_sigmoid) {
    const size_t m = (size_t)n * s->size[L];
    for (size_t k = 0; k < m; ++k) ws->out[k] = sigmoidf(ws->h[L][k]);
  }
  ws->n = n;
  return GV_OK;
}

/* Backward from dlogit = dLoss/dh_L already in ws->tmp[0] (n x size[L]). */
static void backward_from_tmp0(float *grad, float *dx, const gv_nn *net, gv_nn_ws *ws) {
  const gv_nn_spec *s = &net->spec;
  const int L = s->nlayer, n = ws->n;
  int cur = 0;  /* ws->tmp[cur] holds dLoss/dh_{l+1}, turned into dLoss/dz_l in place */
  for (int l = L - 1; l >= 0; --l) {
    const int din = s->size[l], dout = s->size[l + 1];
    float *g = ws->tmp[cur];
    act_backward(g, ws->h[l + 1], grad ? grad + net->off_b[l] : NULL, n, dout, s->act[l],
                 s->slope);
    if (grad) /* dW += dZ^T H */
      gemm(1, 0, dout, din, n, g, dout,
                  ws->h[l], din, 1.0f, grad + net->off_w[l], din);
    float *dh = l > 0 ? ws->tmp[cur ^ 1] : dx;
    if (dh) /* dH = dZ W */
      gemm(0, 0, n, din, dout, g, dout,
                  gv_nn_W(net, l), din, 0.0f, dh, din);
    cur ^= 1;
  }
}

gv_status gv_nn_backward_logit(float *grad, float *dx, const gv_nn *net, gv_nn_ws *ws,
                               const float *dy) {
  if (ws->n < 1) return GV_EINVAL;
  memcpy(ws->tmp[0], dy, (size_t)ws->n * net->spec.size[net->spec.nlayer] * sizeof(float));
  backward_from_tmp0(grad, dx, net, ws);
  return GV_OK;
}

gv_status gv_nn_backward(float *grad, float *dx, const gv_nn *net, gv_nn_ws *ws,
                         const float *dy) {
  if (ws->n < 1) return GV_EINVAL;
  const size_t m = (size_t)ws->n * net->spec.size[net->spec.nlayer];
  if (net->spec.out_sigmoid)
    for (size_t k = 0; k < m; ++k) ws->tmp[0][k] = dy[k] * ws->out[k] * (1.0f - ws->out[k]);
  else
    memcpy(ws->tmp[0], dy, m * sizeof(float));
  backward_from_tmp0(grad, dx, net, ws);
  return GV_OK;
}

/* Double backprop.  With g_l = dD/dh_l, delta_l = dD/dz_l (z_l the
 * pre-activation of layer l) the backward pass to the input is
 *     g_L = 1,   delta_l = g_{l+1} * f_l'(z_l),   g_l = delta_l W_l.
 * The penalty P depends on g_0 only.  Its adjoint pass visits the backward
 * pass's operations in reverse, i.e. l = 0 .. L-1 (sweep A), with
 * gbar_0 = dP/dg_0:
 *     dW_l    += delta_l^T gbar_l
 *     dbar_l   = gbar_l W_l^T
 *     gbar_{l+1} = dbar_l * f_l'(z_l)                 (l < L-1)
 *     zbar_l   = dbar_l * g_{l+1} * f_l''(z_l)        (g_L = 1)
 * zbar_l is a seed on the pre-activations of the forward pass; sweep B is an
 * ordinary backward of the forward pass, l = L-1 .. 0, from those seeds:
 *     zhat_l = zbar_l + hhat_{l+1} * f_l'(z_l),  dW_l += zhat_l^T h_l,
 *     db_l += colsum zhat_l,  hhat_l = zhat_l W_l.
 * Layers above the highest curved activation (f'' != 0) have zbar = 0 and
 * no hhat, so sweep B starts there; a relu/linear net skips it. */
gv_status gv_nn_penalty(float *grad, double *value, const gv_nn *net, gv_nn_ws *ws,
                        const float *x, int n, gv_nn_penalty_kind kind, double coef) {
  const gv_nn_spec *s = &net->spec;
  const int L = s->nlayer;
  if (s->size[L] != 1) return GV_EINVAL;
  if (kind != GV_NN_PENALTY_R1 && kind != GV_NN_PENALTY_GP) return GV_EINVAL;
  gv_status st = gv_nn_forward(ws, net, x, n);
  if (st) return st;

  /* backward to the input, keeping delta_l and g_l */
  for (int l = L - 1; l >= 0; --l) {
    const int din = s->size[l], dout = s->size[l + 1];
    const size_t m = (size_t)n * dout;
    float *d = ws->delta[l];
    if (l == L - 1)
      for (size_t k = 0; k < m; ++k) d[k] = 1.0f;
    else
      memcpy(d, ws->gin[l + 1], m * sizeof(float));
    act_backward(d, ws->h[l + 1], NULL, n, dout, s->act[l], s->slope);
    gemm(0, 0, n, din, dout, d, dout,
                gv_nn_W(net, l), din, 0.0f, ws->gin[l], din);
  }

  /* value and its gradient with respect to g_0, averaged over the batch */
  const int d0 = s->size[0];
  float *gbar = ws->tmp[0];
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    const float *g = ws->gin[0] + (size_t)i * d0;
    float *u = gbar + (size_t)i * d0;
    double sq = 0.0;
    for (int j = 0; j < d0; ++j) sq += (double)g[j] * g[j];
    double scale;
    if (kind == GV_NN_PENALTY_R1) {
      total += 0.5 * coef * sq;
      scale = coef / n;
    } else {
      const double nrm = sqrt(sq);
      total += coef * (nrm - 1.0) * (nrm - 1.0);
      scale = nrm > 0.0 ? 2.0 * coef * (nrm - 1.0) / (nrm * n) : 0.0;
    }
    for (int j = 0; j < d0; ++j) u[j] = (float)(scale * g[j]);
  }
  *value = total / n;
  if (!grad) return GV_OK;

  int top = -1;  /* highest layer whose activation has curvature */
  for (int l = 0; l < L; ++l)
    if (gv_nn_act_curved(s->act[l])) top = l;

  /* sweep A: gbar in tmp[cur] (n x size[l]), dbar into tmp[cur^1] */
  int cur = 0;
  for (int l = 0; l < L; ++l) {
    const int din = s->size[l], dout = s->size[l + 1];
    const int last = l == L - 1;
    float *gb = ws->tmp[cur], *db = ws->tmp[cur ^ 1];
    /* dW_l += delta_l^T gbar_l */
    gemm(1, 0, dout, din, n, ws->delta[l], dout,
                gb, din, 1.0f, grad + net->off_w[l], din);
    if (last && l > top) break;  /* dbar_{L-1} would only feed a zero zbar */
    /* dbar_l = gbar_l W_l  (W_l^T in the math, W stored out x in) */
    gemm(0, 1, n, dout, din, gb, din,
                gv_nn_W(net, l), din, 0.0f, db, dout);
    /* zbar_l overwrites delta_l (no longer needed); gbar_{l+1} in place of dbar_l */
    act_second(db, ws->delta[l], last ? NULL : ws->gin[l + 1], ws->h[l + 1], n, dout, last,
               s->act[l], s->slope);
    cur ^= 1;
  }

  /* sweep B from the top curved layer down */
  cur = 0;
  for (int l = top; l >= 0; --l) {
    const int din = s->size[l], dout = s->size[l + 1];
    float *zh = ws->delta[l];
    if (l < top) act_add_backward(zh, ws->tmp[cur], ws->h[l + 1], n, dout, s->act[l], s->slope);
    colsum_add(grad + net->off_b[l], zh, n, dout);
    gemm(1, 0, dout, din, n, zh, dout, ws->h[l],
                din, 1.0f, grad + net->off_w[l], din);
    if (l > 0)
      gemm(0, 0, n, din, dout, zh, dout,
                  gv_nn_W(net, l), din, 0.0f, ws->tmp[cur], din);
  }
  return GV_OK;
}

/* ------------------------------------------------------------- utilities */

void gv_nn_zero_grad(gv_nn *net) { memset(net->grad, 0, net->nparam * sizeof(float)); }

double gv_nn_vec_norm(const float *x, size_t n) {
  double s = 0.0;
  for (size_t k = 0; k < n; ++k) s += (double)x[k] * x[k];
  return sqrt(s);
}

double gv_nn_grad_norm(const gv_nn *net) { return gv_nn_vec_norm(net->grad, net->nparam); }

gv_status gv_nn_copy(gv_nn *dst, const gv_nn *src) {
  if (!gv_nn_spec_equal(&dst->spec, &src->spec)) return GV_EINVAL;
  memcpy(dst->param, src->param, src->nparam * sizeof(float));
  return GV_OK;
}

gv_status gv_nn_polyak(gv_nn *target, const gv_nn *src, float tau) {
  if (!gv_nn_spec_equal(&target->spec, &src->spec)) return GV_EINVAL;
  if (!(tau >= 0.0f && tau <= 1.0f)) return GV_EINVAL;
  float *restrict t = target->param;
  const float *restrict p = src->param;
  const float keep = 1.0f - tau;
  for (size_t k = 0; k < src->nparam; ++k) t[k] = tau * p[k] + keep * t[k];
  return GV_OK;
}
