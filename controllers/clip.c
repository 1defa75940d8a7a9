/* Weight clipping (Arjovsky et al. 2017, arXiv 1701.07875, Algorithm 1, line
 * 7; on the Dirac-GAN: Mescheder et al. 2018, arXiv 1801.04406, sec. 3.1):
 * after each discrete update the discriminator's parameters are projected
 * onto [-c, c].  An update-level controller: schemes without discrete
 * updates (ode) reject it.  On neural games it clips every parameter of D
 * (weights and biases, as Algorithm 1) after each optimiser step of D;
 * Arjovsky et al. use c = 0.01. */
#include "controllers/ctl.h"

typedef struct clip_params {
  double c;                 /* clipping bound */
} clip_params;

static const gv_param clip_specs[] = {
    GV_PARAM_REALX(clip_params, c, "1.0", 0.0, 1e6, GV_P_LO_OPEN,
                   "discriminator parameters are clipped to [-c, c] after each update"),
    GV_PARAM_END};

static void clip_update(const void *par, void *state, gsl_rng *rng, const gv_vfgame *g,
                        const double *x_pre, double *x) {
  (void)state, (void)rng, (void)x_pre;
  double c = ((const clip_params *)par)->c;
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) {
    if (x[i] > c) x[i] = c;
    else if (x[i] < -c) x[i] = -c;
  }
}

static void clip_param_update(const void *par, void *state, gsl_rng *rng, const float *pre,
                              float *p, size_t n) {
  (void)state, (void)rng, (void)pre;
  const float c = (float)((const clip_params *)par)->c;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] > c) p[i] = c;
    else if (p[i] < -c) p[i] = -c;
  }
}

const gv_ctl_type gv_ctl_clip = {
    .info = {"clip", "weight clipping: project discriminator parameters to [-c, c] each update",
             "Arjovsky et al. 2017 (arXiv 1701.07875) Alg. 1; Mescheder et al. 2018 sec. 3.1",
             clip_specs, sizeof(clip_params)},
    .update = clip_update,
    .param_update = clip_param_update,
};
