/* Weight decay on the discriminator: the template controller of
 * docs/extending.md (one closed-form hook, one neural hook, no game
 * capability).  Its parameters shrink toward zero at rate k:
 *   closed-form games: drift dx_d -= k x_d on the discriminator components,
 *     the continuous-time form of an L2 penalty (k/2)|x_d|^2 on D's
 *     objective;
 *   neural games: after each optimiser step of D, p <- (1 - k) p on every
 *     parameter of D, decoupled weight decay (Loshchilov & Hutter 2019,
 *     arXiv 1711.05101, Algorithm 2, line 12, without the schedule factor).
 * On the Dirac-GAN with f'(0) != 0 the Jacobian at (0, 0) becomes
 * [[0, -f'(0)], [f'(0), -k]]: eigenvalues -k/2 +- sqrt(k^2/4 - f'(0)^2), as
 * R1 with gamma = k there; on one-step GAIL it pulls D toward 0 rather than
 * toward its equilibrium, so it moves the equilibrium (unlike cgail). */
#include "controllers/ctl.h"

typedef struct decay_params {
  double k;                 /* decay rate */
} decay_params;

static const gv_param decay_specs[] = {
    GV_PARAM_REAL(decay_params, k, "0.1", 0.0, 1.0,
                  "decay rate: drift -k x_d (closed form); p <- (1 - k) p after each D step"),
    GV_PARAM_END};

static void decay_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                        double *scratch) {
  (void)scratch;
  const double k = ((const decay_params *)par)->k;
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= k * x[i];
}

static void decay_param_update(const void *par, void *state, gsl_rng *rng, const float *pre,
                               float *p, size_t n) {
  (void)state, (void)rng, (void)pre;
  const float keep = (float)(1.0 - ((const decay_params *)par)->k);
  for (size_t i = 0; i < n; ++i) p[i] *= keep;
}

const gv_ctl_type gv_ctl_decay = {
    .info = {"decay", "weight decay: D's parameters shrink to 0 at rate k",
             "Loshchilov & Hutter 2019 (arXiv 1711.05101) Alg. 2; docs/extending.md template",
             decay_specs, sizeof(decay_params)},
    .vf_drift = decay_drift,
    .param_update = decay_param_update,
};
