/* Instance noise (Sonderby et al. 2016; analysed on the Dirac-GAN by
 * Mescheder et al. 2018, arXiv 1801.04406, sec. 3.2, Lemma 3.3): every sample
 * the discriminator sees carries N(0, sigma^2) noise.  The controlled field
 * is the exact expectation, so the drift is field_noisy(sigma, x) - field(x)
 * on all components.  Dirac Jacobian eigenvalues at (0, 0):
 * f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2).  On neural games the
 * game adds the noise itself to every real and generated input of D, in
 * both players' steps (Sonderby et al. 2016, arXiv 1610.04490, sec. 3). */
#include "controllers/ctl.h"

typedef struct instance_noise_params {
  double sigma;             /* noise standard deviation */
} instance_noise_params;

static const gv_param instance_noise_specs[] = {
    GV_PARAM_REAL(instance_noise_params, sigma, "0.7", 0.0, 1e3,
                  "standard deviation of the noise added to every sample D sees"),
    GV_PARAM_END};

static void instance_noise_drift(const void *par, const gv_vfgame *g, const double *x,
                                 double *dx, double *vn) {
  double sigma = ((const instance_noise_params *)par)->sigma;
  const size_t n = g->n;
  double *v = vn + n;
  g->caps->field_noisy(g->self, sigma, x, vn);
  g->field(g->self, x, v);
  for (size_t i = 0; i < n; ++i) dx[i] += vn[i] - v[i];
}

static double instance_noise_sigma(const void *par) {
  return ((const instance_noise_params *)par)->sigma;
}

const gv_ctl_type gv_ctl_instance_noise = {
    .info = {"instance_noise", "instance noise: D sees every sample plus N(0, sigma^2) noise",
             "Mescheder et al. 2018 (arXiv 1801.04406) sec. 3.2, Lemma 3.3",
             instance_noise_specs, sizeof(instance_noise_params)},
    .vf_needs = GV_CAP(field_noisy),
    .vf_scratch = gv_ctl_two_vectors,
    .vf_drift = instance_noise_drift,
    .input_noise = instance_noise_sigma,
};
