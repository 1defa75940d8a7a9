/* Closed-loop control (Xu et al. 2019, arXiv 1909.13188): negative feedback
 * on the discriminator.
 *
 * Closed-form games: drift -lambda (x_d - xstar_d) on its components.  On
 * the WGAN Dirac-GAN this turns the harmonic oscillator into
 * theta'' + lambda theta' + theta = c, eigenvalues
 * (-lambda +- sqrt(lambda^2 - 4)) / 2, stable for every lambda > 0
 * (derived from the Dirac-GAN equations in docs/theory/dirac.md, sec. 3.6;
 * Xu's own equations and gains were not available to us, so the default gain
 * is ours).
 *
 * Neural games: a squared-L2 penalty on D's outputs, (lambda/2) E[D(x)^2],
 * added to the discriminator's loss and evaluated on a buffer of past real
 * and generated samples (Xu et al.'s form for neural GANs).  The buffer is the game's:
 * this controller asks for `buffer` past samples of each kind and `sample`
 * of them per step (gv_ctl_type.loss_history).  Until the buffer holds
 * anything (the first step) the current batch stands in for it.  D(x) is the
 * logit, the output the Dirac form's psi x corresponds to. */
#include "controllers/ctl.h"

typedef struct clc_params {
  double lambda;            /* feedback gain */
  long buffer;              /* neural: past samples kept per kind (real, generated) */
  long sample;              /* neural: buffer samples evaluated per step */
} clc_params;

static const gv_param clc_specs[] = {
    GV_PARAM_REAL(clc_params, lambda, "1.0", 0.0, 1e6,
                  "feedback gain lambda on the discriminator's distance to equilibrium"),
    GV_PARAM_INT(clc_params, buffer, "2048", 1, 1e8,
                 "neural games: past real and generated samples kept (each)"),
    GV_PARAM_INT(clc_params, sample, "128", 1, 1e6,
                 "neural games: buffer samples D is evaluated on per step"),
    GV_PARAM_END};

static void clc_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                       double *scratch) {
  (void)scratch;
  double lambda = ((const clc_params *)par)->lambda;
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= lambda * (x[i] - g->xstar[i]);
}

/* (lambda/2) mean l^2 over l (n); dl += lambda l / n. */
static double half_square(double lambda, const float *l, float *dl, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    s += (double)l[i] * l[i];
    dl[i] += (float)(lambda * l[i] / (double)n);
  }
  return n ? 0.5 * lambda * s / (double)n : 0.0;
}

static double clc_loss(const void *par, void *state, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)state, (void)rng;
  if (o->side != GV_CTL_SIDE_DISC) return 0.0;
  double lambda = ((const clc_params *)par)->lambda;
  if (o->nhist) return half_square(lambda, o->hist, o->dhist, o->nhist);
  /* empty buffer: the current real and generated batch, as one set */
  size_t n = o->nreal + o->nfake;
  double s = 0.0;
  for (size_t i = 0; i < o->nreal; ++i) {
    s += (double)o->real[i] * o->real[i];
    o->dreal[i] += (float)(lambda * o->real[i] / (double)n);
  }
  for (size_t i = 0; i < o->nfake; ++i) {
    s += (double)o->fake[i] * o->fake[i];
    o->dfake[i] += (float)(lambda * o->fake[i] / (double)n);
  }
  return n ? 0.5 * lambda * s / (double)n : 0.0;
}

static size_t clc_history(const void *par, size_t *batch) {
  const clc_params *p = par;
  *batch = (size_t)p->sample;
  return (size_t)p->buffer;
}

const gv_ctl_type gv_ctl_clc = {
    .info = {"clc", "closed-loop control: feedback -lambda (x_D - x_D*) on the discriminator",
             "Xu et al. 2019 (arXiv 1909.13188)", clc_specs, sizeof(clc_params)},
    .vf_drift = clc_drift,
    .loss_outputs = clc_loss,
    .loss_history = clc_history,
};
