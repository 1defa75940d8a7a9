/* Optimisers over a flat float vector: SGD with momentum, Adam, RMSprop.
 *
 * An optimiser works on any (param, grad) pair of n floats: a net's
 * gv_nn.param / gv_nn.grad, or a loose parameter such as PPO's log-std.  Its
 * moments have the parameters' layout, so a step is one flat loop.  The update
 * rules follow PyTorch's torch.optim (documented formulas, 2.x), so
 * hyper-parameters carry over from the reference implementations:
 *
 *   SGD      b = mu b + g;  p -= lr (nesterov ? g + mu b : b)
 *   Adam     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *            p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   RMSprop  v = alpha v + (1-alpha) g^2;  q = g / (sqrt(v) + eps);
 *            momentum mu > 0: b = mu b + q, p -= lr b;  else p -= lr q
 *
 * Weight decay wd, for every kind:
 *   GV_NN_WD_L2         g += wd p before the update (PyTorch `weight_decay`:
 *                       for Adam the decay is then scaled by the adaptive
 *                       denominator, Loshchilov & Hutter's point);
 *   GV_NN_WD_DECOUPLED  p *= 1 - lr wd before the update (AdamW).
 *
 * Global gradient-norm clipping (clip_norm > 0) as torch.nn.utils.
 * clip_grad_norm_: with N = |g|_2, g is scaled by clip_norm / (N + 1e-6) when
 * that is below 1.  The scale is folded into the update loop; grad is never
 * modified.
 *
 * Learning-rate schedules, t = steps already taken (0 on the first step):
 *   CONSTANT  lr
 *   LINEAR    lr (1 - t / horizon), floored at 0 (CleanRL's PPO annealing with
 *             horizon = number of updates)
 *   STEP      lr 0.5^floor(t / step_every)                                   */
#ifndef GV_NN_OPTIM_H
#define GV_NN_OPTIM_H

#include <stddef.h>

#include "core/status.h"

typedef enum { GV_NN_SGD, GV_NN_ADAM, GV_NN_RMSPROP } gv_nn_optim_kind;
typedef enum { GV_NN_WD_L2, GV_NN_WD_DECOUPLED } gv_nn_wd_mode;
typedef enum { GV_NN_LR_CONSTANT, GV_NN_LR_LINEAR, GV_NN_LR_STEP } gv_nn_lr_schedule;

typedef struct gv_nn_optim_spec {
  gv_nn_optim_kind kind;
  double lr;                    /* base learning rate */
  double momentum;              /* SGD, RMSprop: mu (0: none) */
  int nesterov;                 /* SGD: 1 for Nesterov momentum */
  double beta1, beta2;          /* Adam */
  double alpha;                 /* RMSprop: decay of the mean square */
  double eps;                   /* Adam, RMSprop: added to the denominator */
  double weight_decay;          /* wd (0: none) */
  gv_nn_wd_mode wd_mode;        /* how wd is applied (see above) */
  gv_nn_lr_schedule schedule;
  long horizon;                 /* LINEAR: steps to reach 0 (>= 1) */
  long step_every;              /* STEP: halve every this many steps (>= 1) */
  double clip_norm;             /* > 0: clip the global gradient norm to this */
} gv_nn_optim_spec;

typedef struct gv_nn_optim {
  gv_nn_optim_spec spec;        /* hyper-parameters */
  size_t n;                     /* parameters updated */
  long t;                       /* steps taken */
  float *m;                     /* SGD/RMSprop momentum buffer, Adam first moment (n) */
  float *v;                     /* Adam, RMSprop: mean square (n) */
} gv_nn_optim;

/* PyTorch's defaults for `kind`: SGD lr 1e-2 no momentum; Adam lr 1e-3,
 * betas (0.9, 0.999), eps 1e-8; RMSprop lr 1e-2, alpha 0.99, eps 1e-8; no
 * weight decay (L2 mode), constant schedule, no clipping. */
void gv_nn_optim_default(gv_nn_optim_spec *spec, gv_nn_optim_kind kind);
gv_status gv_nn_optim_check(const gv_nn_optim_spec *spec, gv_err *err);

/* One aligned allocation: the struct and the moments, zeroed. */
gv_status gv_nn_optim_alloc(gv_nn_optim **opt, const gv_nn_optim_spec *spec, size_t n,
                            gv_err *err);
void gv_nn_optim_free(gv_nn_optim *opt);    /* NULL is fine */
/* Zero moments and the step count (a fresh optimiser). */
void gv_nn_optim_reset(gv_nn_optim *opt);
/* Saves or restores (c->writing) the step count (the schedule's position)
 * and both moment vectors into group `name` of c (core/checkpoint.h). */
struct gv_ckpt;
void gv_nn_optim_ckpt(gv_nn_optim *opt, struct gv_ckpt *c, const char *name);
/* The same for a net's parameters and gradients. */
struct gv_nn;
void gv_nn_ckpt(struct gv_nn *net, struct gv_ckpt *c, const char *name);
/* Learning rate the next step will use. */
double gv_nn_optim_lr(const gv_nn_optim *opt);

/* One step: param (n) updated from grad (n), clipping per spec.  *gnorm (may be
 * NULL) receives |grad|_2 before clipping; it is computed only when clipping
 * or asked for.  GV_EDIVERGED, with param untouched, when that norm is not
 * finite. */
gv_status gv_nn_optim_step(float *param, gv_nn_optim *opt, const float *grad, double *gnorm);
/* One step with the gradient multiplied by gscale and no clipping of its own:
 * for a clip over several buffers (actor and critic under one norm), compute
 * the norms, then gv_nn_clip_scale, then step each. */
void gv_nn_optim_step_scaled(float *param, gv_nn_optim *opt, const float *grad, float gscale);
/* min(1, max_norm / (norm + 1e-6)); 1 when max_norm <= 0. */
float gv_nn_clip_scale(double norm, double max_norm);

#endif
