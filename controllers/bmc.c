/* Brownian motion controller (Luo et al. 2023, arXiv 2306.10468, ICML), two
 * forms:
 *
 * "bmc", the paper's SDE (sec. 4, eq. (8)): with X = x - xstar,
 *   dX = f(X) dt + rho1 X dB1 + rho2 |X|^beta X dB2,
 * B1, B2 independent scalar Brownian motions, |X| the Euclidean norm.  Needs
 * a stochastic scheme (sde).  The theorems assume beta > 1 (global existence
 * with rho2 != 0) and rho1^2 / 2 > phibar (exponential stability); the bounds
 * below allow beta >= 0 and any rho1 >= 0 so that the regime outside the
 * theorems (the paper's own rho1 <= 0.1) can be explored.
 *
 * "bmc_update", the authors' public Dirac code (REFERENCES section 3): after
 * each discrete iteration, from the pre-step values X = x_pre - xstar and one
 * pair b1, b2 ~ N(0, 1) per call,
 *   x_i += rho1 X_i b1 - rho2 X_i |X_i|^beta b2
 * (elementwise |X_i|, no sqrt(dt)). */
#include <math.h>

#include "controllers/ctl.h"
#include "core/rng.h"

typedef struct bmc_params {
  double rho1;              /* gain of the linear noise */
  double rho2;              /* gain of the superlinear noise */
  double beta;              /* exponent of |X| */
} bmc_params;

static const gv_param bmc_specs[] = {
    GV_PARAM_REAL(bmc_params, rho1, "0.1", 0.0, 1e6, "gain of rho1 X dB1"),
    GV_PARAM_REAL(bmc_params, rho2, "0.01", 0.0, 1e6, "gain of rho2 |X|^beta X dB2"),
    GV_PARAM_REAL(bmc_params, beta, "2", 0.0, 100.0,
                  "exponent of the Euclidean norm |X| (the theorems need beta > 1)"),
    GV_PARAM_END};

static const gv_param bmc_update_specs[] = {
    GV_PARAM_REAL(bmc_params, rho1, "0.001", 0.0, 1e6, "gain of rho1 X_i b1"),
    GV_PARAM_REAL(bmc_params, rho2, "0.01", 0.0, 1e6, "gain of rho2 X_i |X_i|^beta b2"),
    GV_PARAM_REAL(bmc_params, beta, "1", 0.0, 100.0, "exponent of the elementwise |X_i|"),
    GV_PARAM_END};

static size_t bmc_noise_dim(const void *par) {
  (void)par;
  return 2;
}

static void bmc_diffusion(const void *par, const gv_vfgame *g, const double *x, double *G) {
  const bmc_params *p = par;
  size_t n = g->n;
  double r2 = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double d = x[i] - g->xstar[i];
    r2 += d * d;
  }
  double k2 = p->rho2 * pow(sqrt(r2), p->beta);
  for (size_t i = 0; i < n; ++i) {
    double d = x[i] - g->xstar[i];
    G[i * 2 + 0] += p->rho1 * d;
    G[i * 2 + 1] += k2 * d;
  }
}

static void bmc_update(const void *par, void *state, gsl_rng *rng, const gv_vfgame *g,
                       const double *x_pre, double *x) {
  (void)state;
  const bmc_params *p = par;
  double b1 = gv_rng_normal(rng);
  double b2 = gv_rng_normal(rng);
  for (size_t i = 0; i < g->n; ++i) {
    double d = x_pre[i] - g->xstar[i];
    x[i] += p->rho1 * d * b1 - p->rho2 * d * pow(fabs(d), p->beta) * b2;
  }
}

/* Linearised at xstar the public form adds rho1 b1 X (the rho2 term is of
 * order |X|^(1 + beta)). */
static double bmc_update_noise_scale(const void *par) {
  return ((const bmc_params *)par)->rho1;
}

const gv_ctl_type gv_ctl_bmc = {
    .info = {"bmc", "Brownian motion controller (SDE): rho1 X dB1 + rho2 |X|^beta X dB2",
             "Luo et al. 2023 (arXiv 2306.10468) sec. 4, eq. (8)", bmc_specs,
             sizeof(bmc_params)},
    .vf_noise_dim = bmc_noise_dim,
    .vf_diffusion = bmc_diffusion,
};

const gv_ctl_type gv_ctl_bmc_update = {
    .info = {"bmc_update",
             "Brownian motion controller, public-code form: x += rho1 X b1 - rho2 X|X|^beta b2",
             "Luo et al. 2023 (arXiv 2306.10468), authors' public Dirac code", bmc_update_specs,
             sizeof(bmc_params)},
    .update = bmc_update,
    .update_noise_scale = bmc_update_noise_scale,
};
