/* WGAN-GP (Gulrajani et al. 2017, arXiv 1704.00028, eq. (3)): the critic's
 * objective loses (gamma / 2) E_interp (|grad_x D| - g0)^2.  As a
 * vector-field controller: drift -gamma dP/dx on the discriminator
 * components.  On the Dirac-GAN the field is non-smooth at psi = 0 and the
 * iterates do not converge in general (Mescheder et al. 2018, sec. 3.1,
 * Table 1); the figure's setting is gamma 0.7, g0 1.0. */
#include "controllers/ctl.h"

typedef struct wgan_gp_params {
  double gamma;             /* penalty weight */
  double target;            /* g0, the target gradient norm */
} wgan_gp_params;

static const gv_param wgan_gp_specs[] = {
    GV_PARAM_REAL(wgan_gp_params, gamma, "0.7", 0.0, 1e6, "penalty weight gamma"),
    GV_PARAM_REAL(wgan_gp_params, target, "1.0", 0.0, 1e6, "target input-gradient norm g0"),
    GV_PARAM_END};

static void wgan_gp_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                          double *gr) {
  const wgan_gp_params *p = par;
  g->caps->penalty_gp(g->self, p->target, x, gr);
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= p->gamma * gr[i];
}

/* Neural games: (gamma/2) E(|grad D| - g0)^2 on interpolates is gv_nn_penalty's
 * GP form coef (|grad D| - 1)^2 with coef = gamma / 2 when g0 = 1 (so
 * Gulrajani's lambda = 10 is gamma = 20 here).  gv_nn_penalty fixes the
 * target at 1, so another g0 is a config error rather than a silent change. */
static gv_status wgan_gp_penalty(const void *par, gv_ctl_penalty *pen, gv_err *err) {
  const wgan_gp_params *p = par;
  if (p->target != 1.0)
    return gv_fail(err, GV_ECONFIG,
                   "controller 'wgan_gp': target %g: neural games support only target 1 "
                   "(gv_nn_penalty's gradient penalty)",
                   p->target);
  pen->at = GV_CTL_PEN_INTERP;
  pen->gp = 1;
  pen->coef = 0.5 * p->gamma;
  return GV_OK;
}

const gv_ctl_type gv_ctl_wgan_gp = {
    .info = {"wgan_gp", "WGAN-GP: gradient penalty (gamma/2) E(|grad D| - g0)^2 on the critic",
             "Gulrajani et al. 2017 (arXiv 1704.00028) eq. (3)", wgan_gp_specs,
             sizeof(wgan_gp_params)},
    .vf_needs = GV_CAP(penalty_gp),
    .vf_scratch = gv_ctl_one_vector,
    .vf_drift = wgan_gp_drift,
    .input_penalty = wgan_gp_penalty,
};
