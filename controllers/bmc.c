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
 * "bmc_update", the authors' public Dirac-GAN code (docs/theory/dirac.md,
 * sec. 3.8; it differs from the paper's SDE): after
 * each discrete iteration, from the pre-step values X = x_pre - xstar and one
 * pair b1, b2 ~ N(0, 1) per call,
 *   x_i += rho1 X_i b1 - rho2 X_i |X_i|^beta b2
 * (elementwise |X_i|, no sqrt(dt)).
 *
 * Neural games (the paper's neural-GAN form).  Only D's optimum is known (D = 0
 * on the support), so "bmc" acts on D's outputs: the control
 *   u_D = rho1 D(x) dB1 + rho2 (D(x)^2 + D(G(z))^2) D(x) dB2
 * is the derivative in D(x) of the extra discriminator loss
 *   (rho1/2) D(x)^2 B1' + [(rho2/4) D(x)^4 + (rho2/2) D(G(z))^2 D(x)^2] B2',
 * x real samples, D the logit.  Over a batch: E_x for D(x)^k and E_z for
 * D(G(z))^2, and the loss is differentiated in every logit it contains (the
 * cross term also pushes on D(G(z))): it is a loss like any other.  The
 * paper states no discretisation.  Ours: B1', B2' are white-noise draws
 * xi / sqrt(dt), xi ~ N(0, 1), two per step (shared by the batch, as the
 * public code shares b1, b2 by all parameters), dt a parameter, default 1
 * (B' ~ N(0, 1)).  With SGD at learning rate h, dt = h makes one step the
 * Euler-Maruyama increment rho X sqrt(h) xi of the SDE; Adam rescales the
 * gradient, so there dt only sets the noise-to-signal ratio.  beta is not
 * used: the paper's neural form fixes the exponents.
 *   side: disc (the paper's form, on D's loss) or gen: the same expression
 * with real and generated swapped, (rho1/2) D(G(z))^2 B1' +
 * [(rho2/4) D(G(z))^4 + (rho2/2) D(x)^2 D(G(z))^2] B2', on the generator's
 * loss, so the noise reaches G through D.
 *
 * This zero-mean loss is governor's reading of the paper, not the authors'
 * public neural-GAN code, whose form (absolute values of the draws, on the
 * per-sample losses of buffered samples) is "bmc_buffered" (bmc_buffered.c).
 *
 * "bmc_update" on neural games acts on D's flat parameter buffer after each
 * optimiser step, with X = the pre-step parameters (the public code's
 * x_pre - xstar with xstar = 0: a network has no known equilibrium). */
#include <math.h>

#include "controllers/ctl.h"
#include "core/rng.h"

typedef struct bmc_params {
  double rho1;              /* gain of the linear noise */
  double rho2;              /* gain of the superlinear noise */
  double beta;              /* exponent of |X| */
  int side;                 /* neural "bmc": GV_CTL_SIDE_DISC or GV_CTL_SIDE_GEN */
  double dt;                /* neural "bmc": B' = N(0, 1) / sqrt(dt) */
} bmc_params;

static const char *const side_names[] = {"disc", "gen", NULL};

static const gv_param bmc_specs[] = {
    GV_PARAM_REAL(bmc_params, rho1, "0.1", 0.0, 1e6, "gain of rho1 X dB1"),
    GV_PARAM_REAL(bmc_params, rho2, "0.01", 0.0, 1e6, "gain of rho2 |X|^beta X dB2"),
    GV_PARAM_REAL(bmc_params, beta, "2", 0.0, 100.0,
                  "exponent of the Euclidean norm |X| (the theorems need beta > 1)"),
    GV_PARAM_ENUM(bmc_params, side, "disc", side_names,
                  "neural games: the player whose loss carries the term"),
    GV_PARAM_REALX(bmc_params, dt, "1", 0.0, 1e6, GV_P_LO_OPEN,
                   "neural games: white noise B' = N(0, 1) / sqrt(dt) per step"),
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

/* The neural loss of the header comment on one side: x are the logits the
 * noise acts on (the real ones for side disc), y the others. */
static double bmc_side_loss(const bmc_params *p, double b1, double b2, const float *x, float *dx,
                            size_t nx, const float *y, float *dy, size_t ny) {
  double a = 0.0, q = 0.0, f = 0.0; /* E x^2, E x^4, E y^2 */
  for (size_t i = 0; i < nx; ++i) {
    double v = (double)x[i] * x[i];
    a += v;
    q += v * v;
  }
  for (size_t j = 0; j < ny; ++j) f += (double)y[j] * y[j];
  if (nx) a /= (double)nx, q /= (double)nx;
  if (ny) f /= (double)ny;
  for (size_t i = 0; i < nx; ++i) {
    double v = x[i];
    dx[i] += (float)((p->rho1 * v * b1 + p->rho2 * (v * v * v + f * v) * b2) / (double)nx);
  }
  for (size_t j = 0; j < ny; ++j) dy[j] += (float)(p->rho2 * a * y[j] * b2 / (double)ny);
  return 0.5 * p->rho1 * a * b1 + (0.25 * p->rho2 * q + 0.5 * p->rho2 * f * a) * b2;
}

static double bmc_loss(const void *par, void *state, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)state;
  const bmc_params *p = par;
  if (o->side != p->side) return 0.0;
  double s = 1.0 / sqrt(p->dt);
  double b1 = s * gv_rng_normal(rng);
  double b2 = s * gv_rng_normal(rng);
  if (p->side == GV_CTL_SIDE_DISC)
    return bmc_side_loss(p, b1, b2, o->real, o->dreal, o->nreal, o->fake, o->dfake, o->nfake);
  return bmc_side_loss(p, b1, b2, o->fake, o->dfake, o->nfake, o->real, o->dreal, o->nreal);
}

static unsigned bmc_sides(const void *par) {
  return ((const bmc_params *)par)->side == GV_CTL_SIDE_GEN ? GV_CTL_ACTS_GEN : GV_CTL_ACTS_DISC;
}

static void bmc_param_update(const void *par, void *state, gsl_rng *rng, const float *pre,
                             float *x, size_t n) {
  (void)state;
  const bmc_params *p = par;
  double b1 = gv_rng_normal(rng);
  double b2 = gv_rng_normal(rng);
  for (size_t i = 0; i < n; ++i) {
    double d = pre[i];
    x[i] += (float)(p->rho1 * d * b1 - p->rho2 * d * pow(fabs(d), p->beta) * b2);
  }
}

/* Linearised at xstar the public form adds rho1 b1 X (the rho2 term is of
 * order |X|^(1 + beta)). */
static double bmc_update_noise_scale(const void *par) {
  return ((const bmc_params *)par)->rho1;
}

const gv_ctl_type gv_ctl_bmc = {
    .info = {"bmc", "BMC, paper's SDE rho1 X dB1 + rho2 |X|^beta X dB2; neural: zero-mean, logits",
             "Luo et al. 2023 (arXiv 2306.10468) sec. 4, eq. (8); neural form: governor's reading",
             bmc_specs,
             sizeof(bmc_params)},
    .vf_noise_dim = bmc_noise_dim,
    .vf_diffusion = bmc_diffusion,
    .loss_outputs = bmc_loss,
    .neural_sides = bmc_sides,
};

const gv_ctl_type gv_ctl_bmc_update = {
    .info = {"bmc_update",
             "BMC as the authors' Dirac code: x += rho1 X b1 - rho2 X|X|^beta b2 after each step",
             "Luo et al. 2023 (arXiv 2306.10468), authors' public Dirac code", bmc_update_specs,
             sizeof(bmc_params)},
    .update = bmc_update,
    .update_noise_scale = bmc_update_noise_scale,
    .param_update = bmc_param_update,
};
