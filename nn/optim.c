/* Optimisers: one flat loop per step (formulas in nn/optim.h). */
#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "nn/mlp.h"

void gv_nn_optim_default(gv_nn_optim_spec *s, gv_nn_optim_kind kind) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->lr = kind == GV_NN_ADAM ? 1e-3 : 1e-2;
  s->beta1 = 0.9;
  s->beta2 = 0.999;
  s->alpha = 0.99;
  s->eps = 1e-8;
  s->wd_mode = GV_NN_WD_L2;
  s->schedule = GV_NN_LR_CONSTANT;
  s->horizon = 1;
  s->step_every = 1;
}

gv_status gv_nn_optim_check(const gv_nn_optim_spec *s, gv_err *err) {
  if ((unsigned)s->kind > GV_NN_RMSPROP)
    return gv_fail(err, GV_EINVAL, "optim: kind %d (allowed: sgd, adam, rmsprop)", (int)s->kind);
  if (!(s->lr >= 0.0) || !isfinite(s->lr))
    return gv_fail(err, GV_EINVAL, "optim: lr %g (allowed: >= 0)", s->lr);
  if (!(s->momentum >= 0.0 && s->momentum < 1.0))
    return gv_fail(err, GV_EINVAL, "optim: momentum %g (allowed: [0, 1))", s->momentum);
  if (!(s->beta1 >= 0.0 && s->beta1 < 1.0) || !(s->beta2 >= 0.0 && s->beta2 < 1.0))
    return gv_fail(err, GV_EINVAL, "optim: betas (%g, %g) (allowed: [0, 1))", s->beta1,
                   s->beta2);
  if (!(s->alpha >= 0.0 && s->alpha < 1.0))
    return gv_fail(err, GV_EINVAL, "optim: alpha %g (allowed: [0, 1))", s->alpha);
  if (!(s->eps >= 0.0) || !(s->weight_decay >= 0.0))
    return gv_fail(err, GV_EINVAL, "optim: eps %g, weight decay %g (allowed: >= 0)", s->eps,
                   s->weight_decay);
  if ((unsigned)s->wd_mode > GV_NN_WD_DECOUPLED)
    return gv_fail(err, GV_EINVAL, "optim: weight decay mode %d (allowed: l2, decoupled)",
                   (int)s->wd_mode);
  if ((unsigned)s->schedule > GV_NN_LR_STEP)
    return gv_fail(err, GV_EINVAL, "optim: schedule %d (allowed: constant, linear, step)",
                   (int)s->schedule);
  if (s->schedule == GV_NN_LR_LINEAR && s->horizon < 1)
    return gv_fail(err, GV_EINVAL, "optim: horizon %ld (allowed: >= 1)", s->horizon);
  if (s->schedule == GV_NN_LR_STEP && s->step_every < 1)
    return gv_fail(err, GV_EINVAL, "optim: step_every %ld (allowed: >= 1)", s->step_every);
  return GV_OK;
}

static size_t round_up(size_t bytes) {
  return (bytes + GV_NN_ALIGN - 1) / GV_NN_ALIGN * GV_NN_ALIGN;
}

gv_status gv_nn_optim_alloc(gv_nn_optim **out, const gv_nn_optim_spec *spec, size_t n,
                            gv_err *err) {
  *out = NULL;
  gv_status st = gv_nn_optim_check(spec, err);
  if (st) return st;
  const size_t head = round_up(sizeof(gv_nn_optim)), vec = round_up(n * sizeof(float));
  char *buf = aligned_alloc(GV_NN_ALIGN, head + 2 * vec);
  if (!buf) return gv_fail(err, GV_ENOMEM, "optim: out of memory for %zu parameters", n);
  gv_nn_optim *opt = (gv_nn_optim *)buf;
  memset(opt, 0, sizeof *opt);
  opt->spec = *spec;
  opt->n = n;
  opt->m = (float *)(buf + head);
  opt->v = (float *)(buf + head + vec);
  gv_nn_optim_reset(opt);
  *out = opt;
  return GV_OK;
}

void gv_nn_optim_free(gv_nn_optim *opt) { free(opt); }

void gv_nn_optim_ckpt(gv_nn_optim *opt, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  gv_ckpt_long(&g, "t", &opt->t);
  gv_ckpt_floats(&g, "m", opt->m, opt->n);
  gv_ckpt_floats(&g, "v", opt->v, opt->n);
  gv_ckpt_end(&g, c);
}

void gv_nn_ckpt(gv_nn *net, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  gv_ckpt_floats(&g, "param", net->param, net->nparam);
  gv_ckpt_floats(&g, "grad", net->grad, net->nparam);
  gv_ckpt_end(&g, c);
}

void gv_nn_optim_reset(gv_nn_optim *opt) {
  opt->t = 0;
  memset(opt->m, 0, opt->n * sizeof(float));
  memset(opt->v, 0, opt->n * sizeof(float));
}

double gv_nn_optim_lr(const gv_nn_optim *opt) {
  const gv_nn_optim_spec *s = &opt->spec;
  switch (s->schedule) {
    case GV_NN_LR_LINEAR: {
      const double frac = 1.0 - (double)opt->t / (double)s->horizon;
      return frac > 0.0 ? s->lr * frac : 0.0;
    }
    case GV_NN_LR_STEP: return ldexp(s->lr, -(int)(opt->t / s->step_every));
    default: return s->lr;
  }
}

float gv_nn_clip_scale(double norm, double max_norm) {
  if (!(max_norm > 0.0)) return 1.0f;
  const double c = max_norm / (norm + 1e-6);
  return c < 1.0 ? (float)c : 1.0f;
}

gv_status gv_nn_optim_step(float *param, gv_nn_optim *opt, const float *grad, double *gnorm) {
  float scale = 1.0f;
  if (opt->spec.clip_norm > 0.0 || gnorm) {
    const double nrm = gv_nn_vec_norm(grad, opt->n);
    if (gnorm) *gnorm = nrm;
    if (!isfinite(nrm)) return GV_EDIVERGED;
    scale = gv_nn_clip_scale(nrm, opt->spec.clip_norm);
  }
  gv_nn_optim_step_scaled(param, opt, grad, scale);
  return GV_OK;
}

GV_NN_HOT void gv_nn_optim_step_scaled(float *restrict param, gv_nn_optim *opt, const float *restrict grad,
                             float gscale) {
  const gv_nn_optim_spec *s = &opt->spec;
  const size_t n = opt->n;
  const double lr_d = gv_nn_optim_lr(opt);
  const float lr = (float)lr_d;
  /* L2 decay enters the gradient, decoupled decay shrinks the parameter */
  const float l2 = s->wd_mode == GV_NN_WD_L2 ? (float)s->weight_decay : 0.0f;
  const float shrink =
      s->wd_mode == GV_NN_WD_DECOUPLED ? (float)(1.0 - lr_d * s->weight_decay) : 1.0f;
  float *restrict m = opt->m, *restrict v = opt->v;
  opt->t += 1;
  switch (s->kind) {
    case GV_NN_SGD: {
      const float mu = (float)s->momentum;
      if (mu == 0.0f) {
        for (size_t k = 0; k < n; ++k) {
          const float p = param[k] * shrink;
          const float g = grad[k] * gscale + l2 * p;
          param[k] = p - lr * g;
        }
      } else {
        const int nesterov = s->nesterov != 0;
        for (size_t k = 0; k < n; ++k) {
          const float p = param[k] * shrink;
          const float g = grad[k] * gscale + l2 * p;
          const float b = mu * m[k] + g;
          m[k] = b;
          param[k] = p - lr * (nesterov ? g + mu * b : b);
        }
      }
      break;
    }
    case GV_NN_ADAM: {
      /* complements in double, then rounded: 1.0f - 0.999f is 1.3e-5 off 0.001
       * (PyTorch also passes 1 - beta2 computed in double) */
      const float b1 = (float)s->beta1, b2 = (float)s->beta2, eps = (float)s->eps;
      const float c1 = (float)(1.0 - s->beta1), c2 = (float)(1.0 - s->beta2);
      /* bias corrections in double: 1 - beta^t loses digits in float for
       * beta2 = 0.999 and small t */
      const double bc1 = 1.0 - pow(s->beta1, (double)opt->t);
      const double bc2 = 1.0 - pow(s->beta2, (double)opt->t);
      const float step = (float)(lr_d / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
      for (size_t k = 0; k < n; ++k) {
        const float p = param[k] * shrink;
        const float g = grad[k] * gscale + l2 * p;
        const float mk = b1 * m[k] + c1 * g;
        const float vk = b2 * v[k] + c2 * g * g;
        m[k] = mk;
        v[k] = vk;
        param[k] = p - step * mk / (sqrtf(vk) * inv_sqrt_bc2 + eps);
      }
      break;
    }
    case GV_NN_RMSPROP: {
      const float al = (float)s->alpha, ca = (float)(1.0 - s->alpha), eps = (float)s->eps,
                  mu = (float)s->momentum;
      for (size_t k = 0; k < n; ++k) {
        const float p = param[k] * shrink;
        const float g = grad[k] * gscale + l2 * p;
        const float vk = al * v[k] + ca * g * g;
        v[k] = vk;
        const float q = g / (sqrtf(vk) + eps);
        const float b = mu * m[k] + q; /* mu = 0: b = q, m stays 0 */
        m[k] = b;
        param[k] = p - lr * b;
      }
      break;
    }
  }
}
