/* Closed-loop control (Xu et al. 2019, arXiv 1909.13188): negative feedback
 * on the discriminator, drift -lambda (x_d - xstar_d) on its components.  On
 * the WGAN Dirac-GAN this turns the harmonic oscillator into
 * theta'' + lambda theta' + theta = c, eigenvalues
 * (-lambda +- sqrt(lambda^2 - 4)) / 2, stable for every lambda > 0
 * (derivation in REFERENCES section 2; Xu's own equations and gains were not
 * retrieved, so the default gain is ours). */
#include "controllers/ctl.h"

typedef struct clc_params {
  double lambda;            /* feedback gain */
} clc_params;

static const gv_param clc_specs[] = {
    GV_PARAM_REAL(clc_params, lambda, "1.0", 0.0, 1e6,
                  "feedback gain lambda on the discriminator's distance to equilibrium"),
    GV_PARAM_END};

static void clc_drift(const void *par, const gv_vfgame *g, const double *x, double *dx) {
  double lambda = ((const clc_params *)par)->lambda;
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= lambda * (x[i] - g->xstar[i]);
}

const gv_ctl_type gv_ctl_clc = {
    .info = {"clc", "closed-loop control: feedback -lambda (x_D - x_D*) on the discriminator",
             "Xu et al. 2019 (arXiv 1909.13188)", clc_specs, sizeof(clc_params)},
    .vf_drift = clc_drift,
};
