/* Multilayer perceptrons on one flat parameter buffer.
 *
 * Split as MuJoCo splits mjModel and mjData:
 *   gv_nn_spec  what the net is (sizes, activations): plain data, comparable,
 *               saved with the parameters;
 *   gv_nn       the parameters and their gradients, carved from ONE 64-byte
 *               aligned allocation; gradients (and an optimiser's moments,
 *               nn/optim.h) have exactly the parameters' layout, so an
 *               optimiser step, a clip, a copy or a Polyak average is one flat
 *               loop over nparam floats;
 *   gv_nn_ws    the activations of the last forward pass and the scratch of
 *               backward, sized for a maximum batch, visible to the caller.
 *
 * Layout of the parameter buffer (layer l = 0 .. L-1 maps size[l] inputs to
 * size[l+1] outputs):
 *   [ W_0 (size[1] x size[0]) | b_0 (size[1]) | W_1 (size[2] x size[1]) | b_1 | ... ]
 * W_l is row-major, out x in (PyTorch's nn.Linear convention, so weights
 * port by a flat copy).  Batches are batch-first, row-major: x is n x size[0].
 *
 * Forward:  h_0 = x,  h_{l+1} = f_l(h_l W_l^T + b_l),  out = sigmoid(h_L) when
 * spec.out_sigmoid, else out = h_L.  Backward ACCUMULATES into the gradient
 * (+=), as in llm.c, so several losses (and penalties) add up before one
 * optimiser step; call gv_nn_zero_grad before the first.
 *
 * Nothing here allocates after gv_nn_alloc / gv_nn_ws_alloc; every matrix
 * product is one cblas_sgemm with the transposes folded into the call. */
#ifndef GV_NN_MLP_H
#define GV_NN_MLP_H

#include <stddef.h>

#include "core/status.h"
#include "nn/act.h"

/* Elementwise hot loops are compiled twice, for AVX2 and for baseline x86-64,
 * and picked at load time (GCC function multiversioning): 8-wide floats
 * without -march=native.  The clones do the same IEEE operations (ISO C mode
 * contracts no FMA), so results are bit-identical whichever runs. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(GV_NN_NO_CLONES)
#define GV_NN_HOT __attribute__((target_clones("avx2", "default")))
#else
#define GV_NN_HOT
#endif

#define GV_NN_MAX_LAYERS 8   /* weight layers (hidden + output) */
#define GV_NN_ALIGN 64       /* bytes: every buffer starts on a cache line */

typedef struct gv_nn_spec {
  int nlayer;                          /* L: weight layers, 1..GV_NN_MAX_LAYERS */
  int size[GV_NN_MAX_LAYERS + 1];      /* widths: size[0] inputs .. size[L] outputs */
  gv_nn_act act[GV_NN_MAX_LAYERS];     /* activation of layer l; act[L-1] the output's */
  float slope;                         /* negative slope of leaky relu (>= 0) */
  int out_sigmoid;                     /* 1: out = sigmoid(h_L) (a probability) */
} gv_nn_spec;

typedef struct gv_nn {
  gv_nn_spec spec;                     /* copy of the spec, immutable */
  size_t nparam;                       /* parameters (= floats in param, grad) */
  size_t off_w[GV_NN_MAX_LAYERS];      /* offset of W_l in param (size[l+1] x size[l]) */
  size_t off_b[GV_NN_MAX_LAYERS];      /* offset of b_l in param (size[l+1]) */
  float *param;                        /* all parameters (nparam), 64-byte aligned */
  float *grad;                         /* gradients, same layout (nparam), 64-byte aligned */
} gv_nn;

typedef struct gv_nn_ws {
  int maxbatch;                        /* rows every buffer holds */
  int n;                               /* batch of the last forward (0: none yet) */
  float *h[GV_NN_MAX_LAYERS + 1];      /* h[0] copy of x (maxbatch x size[0]); h[l] output
                                          of layer l-1 (maxbatch x size[l]); h[L] = the
                                          logit when out_sigmoid */
  float *out;                          /* network output (maxbatch x size[L]); == h[L]
                                          without out_sigmoid */
  float *tmp[2];                       /* backward ping-pong (maxbatch x max width) */
  float *gin[GV_NN_MAX_LAYERS];        /* penalties: dD/dh_l (maxbatch x size[l]);
                                          gin[0] = dD/dx after gv_nn_penalty */
  float *delta[GV_NN_MAX_LAYERS];      /* penalties: dD/dz_l (maxbatch x size[l+1]) */
} gv_nn_ws;

typedef enum {
  GV_NN_PENALTY_R1,   /* (coef/2) |dD/dx|^2, zero-centred (Mescheder et al. 2018, eq. 9);
                         R1 on real samples, R2 on generated ones: the caller picks x */
  GV_NN_PENALTY_GP    /* coef (|dD/dx| - 1)^2 (Gulrajani et al. 2017, eq. 3); the caller
                         passes the interpolates */
} gv_nn_penalty_kind;

/* ------------------------------------------------------------------ spec */

/* Fills spec for an MLP nin -> hidden[0] -> ... -> hidden[nhidden-1] -> nout with
 * activation `hidden_act` on hidden layers and `out_act` on the output layer;
 * slope 0.2 for leaky relu, no output sigmoid.  Checks the result. */
gv_status gv_nn_spec_mlp(gv_nn_spec *spec, int nin, int nhidden, const int *hidden,
                         gv_nn_act hidden_act, int nout, gv_nn_act out_act, gv_err *err);
/* GV_EINVAL with a message unless the spec is usable. */
gv_status gv_nn_spec_check(const gv_nn_spec *spec, gv_err *err);
/* 1 when a and b describe the same network (unused entries ignored). */
int gv_nn_spec_equal(const gv_nn_spec *a, const gv_nn_spec *b);
/* "11-64-64-3 tanh,tanh,linear" (+ " sigmoid", " slope=0.2" when relevant). */
void gv_nn_spec_format(char *buf, size_t size, const gv_nn_spec *spec);
/* Number of parameters of a net of this spec. */
size_t gv_nn_spec_nparam(const gv_nn_spec *spec);

/* ----------------------------------------------------------- net, workspace */

/* One allocation holding the struct, parameters and gradients, all zero.
 * Initialise the parameters with nn/init.h. */
gv_status gv_nn_alloc(gv_nn **net, const gv_nn_spec *spec, gv_err *err);
void gv_nn_free(gv_nn *net);                   /* NULL is fine */

/* One allocation holding the workspace for batches up to maxbatch. */
gv_status gv_nn_ws_alloc(gv_nn_ws **ws, const gv_nn_spec *spec, int maxbatch, gv_err *err);
void gv_nn_ws_free(gv_nn_ws *ws);              /* NULL is fine */

/* Views into the buffers (layer l, 0-based). */
static inline float *gv_nn_W(const gv_nn *net, int l) { return net->param + net->off_w[l]; }
static inline float *gv_nn_b(const gv_nn *net, int l) { return net->param + net->off_b[l]; }
static inline float *gv_nn_dW(const gv_nn *net, int l) { return net->grad + net->off_w[l]; }
static inline float *gv_nn_db(const gv_nn *net, int l) { return net->grad + net->off_b[l]; }

/* ---------------------------------------------------------------- passes */

/* Forward pass on x (n x size[0], 1 <= n <= ws->maxbatch); the result is
 * ws->out (n x size[L]).  x is copied into ws->h[0], so the caller may reuse
 * it before backward.  GV_EINVAL when n is out of range. */
gv_status gv_nn_forward(gv_nn_ws *ws, const gv_nn *net, const float *x, int n);

/* Backward pass of the last forward in ws, seeded with dy = dLoss/d(out)
 * (n x size[L]).  Accumulates dLoss/dparams into grad (same layout as
 * net->param, usually net->grad; NULL: skip, e.g. to differentiate a critic
 * with respect to its input only) and writes dLoss/dx into dx (n x size[0];
 * NULL: skip).  Overwrites ws->tmp. */
gv_status gv_nn_backward(float *grad, float *dx, const gv_nn *net, gv_nn_ws *ws,
                         const float *dy);

/* As gv_nn_backward, but dy is dLoss/d(h_L), the logit before the output
 * sigmoid: a logistic loss differentiated in logit form (sigmoid(h) - label)
 * never divides by sigmoid'.  Same as gv_nn_backward without out_sigmoid. */
gv_status gv_nn_backward_logit(float *grad, float *dx, const gv_nn *net, gv_nn_ws *ws,
                               const float *dy);

/* Gradient penalty of a scalar-output net D (size[L] == 1) on the inputs x
 * (n x size[0]); D is the logit h_L (before any output sigmoid), which is
 * what R1 and WGAN-GP penalise in the reference implementations.
 *   R1: value = mean_i (coef/2) |dD/dx_i|^2
 *   GP: value = mean_i coef (|dD/dx_i| - 1)^2
 * Runs its own forward (overwrites ws: ws->gin[0] holds dD/dx afterwards),
 * stores the value in *value, and accumulates d value / d params into grad
 * (NULL: value only) by double backprop: forward, backward to the input, then
 * the backward of that backward pass (docs/nn.md).  For GP at a sample with
 * dD/dx = 0 exactly the direction is undefined; its gradient is taken as 0.
 * GV_EINVAL when size[L] != 1 or n is out of range. */
gv_status gv_nn_penalty(float *grad, double *value, const gv_nn *net, gv_nn_ws *ws,
                        const float *x, int n, gv_nn_penalty_kind kind, double coef);

/* ------------------------------------------------------------- utilities */

static inline size_t gv_nn_nparam(const gv_nn *net) { return net->nparam; }
void gv_nn_zero_grad(gv_nn *net);
/* L2 norm of the gradient buffer (accumulated in double). */
double gv_nn_grad_norm(const gv_nn *net);
/* L2 norm of any float vector (accumulated in double). */
double gv_nn_vec_norm(const float *x, size_t n);
/* dst params = src params; GV_EINVAL when the specs differ. */
gv_status gv_nn_copy(gv_nn *dst, const gv_nn *src);
/* target = tau * src + (1 - tau) * target (target networks, TD3 tau = 0.005);
 * GV_EINVAL when the specs differ or tau is outside [0, 1]. */
gv_status gv_nn_polyak(gv_nn *target, const gv_nn *src, float tau);

/* Benchmarks: the shapes of every sgemm nn/ makes, recorded while a trace
 * is set (one global, no locking: set it only around single-threaded
 * benchmark code), and their replay on scratch buffers.  A replay computes
 * nothing useful: it is "the bare sgemm calls of the same shapes" a
 * benchmark compares an update with.  a, b, c must each hold the largest
 * operand of the calls. */
typedef struct gv_nn_gemm_call {
  int ta, tb;               /* 1: that operand transposed */
  int m, n, k;              /* C (m x n) = op(A) (m x k) op(B) (k x n) + beta C */
  float beta;
} gv_nn_gemm_call;

typedef struct gv_nn_gemm_trace {
  gv_nn_gemm_call *calls;   /* caller-owned (cap) */
  size_t n, cap;            /* recorded; further calls are dropped */
} gv_nn_gemm_trace;

void gv_nn_gemm_trace_set(gv_nn_gemm_trace *t);   /* NULL: stop */
void gv_nn_gemm_replay(const gv_nn_gemm_call *calls, size_t n, float *a, float *b, float *c);
double gv_nn_gemm_flops(const gv_nn_gemm_call *calls, size_t n);

#endif
