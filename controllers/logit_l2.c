/* An L2 penalty on the discriminator's logits: (lambda/2) E_on[l^2] added
 * to D's loss, l = D(x) before any sigmoid, on the real batch, the
 * generated batch or both (the mean of the two batch means).  It keeps D's
 * outputs from drifting far from 0.  With `on: real` and lambda = 2 eps it is
 * the "epsilon drift" term eps E_real[D(x)^2] of Karras et al. 2018 (arXiv
 * 1710.10196, appendix A, eps = 0.001).
 *
 * Closed-form games: drift -lambda dP/dx on the discriminator components,
 * P = E_on l^2 / 2 (the game's penalty_logit capability).  On the
 * Dirac-GAN (D(x) = psi x, data at c) the drift on psi is
 * -lambda psi (w_r c^2 + w_f theta^2), w the weights of `on`; at the
 * equilibrium (c, 0) it adds -lambda c^2 to dpsi'/dpsi for every `on`
 * (theta* = c), so the Jacobian is [[0, -a], [a, d - lambda c^2]]
 * (docs/theory/dirac.md section 2): a damping like R1's with
 * gamma = lambda c^2.  With c = 0 (Mescheder's setting) the linearisation is
 * the bare game's; the term then damps only away from the equilibrium. */
#include "controllers/ctl.h"

typedef struct logit_l2_params {
  double lambda;            /* gain */
  int on;                   /* GV_CTL_ON_*: 0 real, 1 generated, 2 both */
} logit_l2_params;

static const char *const on_names[] = {"real", "fake", "both", NULL};

static const gv_param logit_l2_specs[] = {
    GV_PARAM_REAL(logit_l2_params, lambda, "0.1", 0.0, 1e6,
                  "gain lambda of (lambda/2) E[l^2] on D's logits l"),
    GV_PARAM_ENUM(logit_l2_params, on, "both", on_names,
                  "samples: real, fake (generated) or both (mean of the two means)"),
    GV_PARAM_END};

/* Adds w (lambda/2) mean l^2 over the m logits l and its gradient
 * w lambda l / m into dl; returns the term. */
static double pull(double wl, const float *l, float *dl, size_t m) {
  if (!m) return 0.0;
  double total = 0.0, scale = wl / (double)m;
  for (size_t i = 0; i < m; ++i) {
    total += (double)l[i] * l[i];
    dl[i] += (float)(scale * l[i]);
  }
  return 0.5 * scale * total;
}

static double logit_l2_loss(const void *par, void *state, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)state, (void)rng;
  const logit_l2_params *p = par;
  if (o->side != GV_CTL_SIDE_DISC) return 0.0;
  double w = p->on == GV_CTL_ON_BOTH ? 0.5 : 1.0, wl = w * p->lambda;
  double total = 0.0;
  if (p->on != GV_CTL_ON_POLICY) total += pull(wl, o->real, o->dreal, o->nreal);
  if (p->on != GV_CTL_ON_EXPERT) total += pull(wl, o->fake, o->dfake, o->nfake);
  return total;
}

/* dx_d -= lambda dP/dx_d on the discriminator components. */
static void logit_l2_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                           double *gr) {
  const logit_l2_params *p = par;
  g->caps->penalty_logit(g->self, p->on, x, gr);
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= p->lambda * gr[i];
}

const gv_ctl_type gv_ctl_logit_l2 = {
    .info = {"logit_l2", "logit penalty: (lambda/2) E[l^2] on D's logits keeps them near 0",
             "Karras et al. 2018 (arXiv 1710.10196) app. A, epsilon drift (on: real)",
             logit_l2_specs, sizeof(logit_l2_params)},
    .vf_needs = GV_CAP(penalty_logit),
    .vf_scratch = gv_ctl_one_vector,
    .vf_drift = logit_l2_drift,
    .loss_outputs = logit_l2_loss,
};
