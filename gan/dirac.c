/* The Dirac-GAN (Mescheder et al. 2018, arXiv 1801.04406, section 2 and
 * eq. (4)-(6); general losses h1, h2, h3 from Luo et al. 2023, arXiv
 * 2306.10468, section 3).  See gan/dirac.h for the sign conventions.
 *
 * The field, its analytic Jacobian and the capabilities controllers use:
 * input-gradient penalties (R1, R2, WGAN-GP) and the instance-noise field,
 * an exact Gaussian expectation by Gauss-Hermite quadrature (GSL's
 * gsl_integration_fixed_hermite, nodes computed once per game in init). */
#include "gan/dirac.h"

#include <gsl/gsl_integration.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* ------------------------------------------------------- scalar functions */

/* sigma(t) = 1 / (1 + e^-t), never forming exp of a large positive number. */
static double sigmoid(double t) {
  if (t >= 0.0) return 1.0 / (1.0 + exp(-t));
  double e = exp(t);
  return e / (1.0 + e);
}

/* Derivatives of log sigma(t): sigma(-t), -sigma(t) sigma(-t),
 * sigma(t) sigma(-t) (sigma(t) - sigma(-t)).  The other smooth functions
 * are reflections of it: log(1 - sigma(t)) = log sigma(-t) and
 * softplus(t) = -log sigma(-t), so all derivatives come from the same two
 * sigmoid evaluations (which makes loss=general with BMC's defaults
 * bit-identical to loss=standard). */
static double log_sigmoid(double t) {
  return t >= 0.0 ? -log1p(exp(-t)) : t - log1p(exp(t));
}

static double log_sigmoid_d(int d, double t) {
  switch (d) {
    case 0: return log_sigmoid(t);
    case 1: return sigmoid(-t);
    case 2: return -(sigmoid(t) * sigmoid(-t));
    default: {
      double p = sigmoid(t), q = sigmoid(-t);
      return (p * q) * (p - q);
    }
  }
}

/* d-th derivative of h at u. */
static double hfun_d(int h, int d, double u) {
  switch (h) {
    case GV_H_LOG_SIGMOID: return log_sigmoid_d(d, u);
    case GV_H_LOG_ONE_MINUS_SIGMOID: /* l(u) = log_sigmoid(-u): l^(d)(u) = (-1)^d ls^(d)(-u) */
      return (d % 2 ? -1.0 : 1.0) * log_sigmoid_d(d, -u);
    case GV_H_SOFTPLUS: /* sp(u) = -log_sigmoid(-u): sp^(d)(u) = (-1)^(d+1) ls^(d)(-u) */
      return (d % 2 ? 1.0 : -1.0) * log_sigmoid_d(d, -u);
    case GV_H_LINEAR: return d == 0 ? u : (d == 1 ? 1.0 : 0.0);
    case GV_H_NEG_LINEAR: return d == 0 ? -u : (d == 1 ? -1.0 : 0.0);
    default: return NAN;
  }
}

double gv_sfun_eval(const gv_sfun *f, int d, double t) {
  /* y(t) = s_out h(s_in t): y^(d)(t) = s_out s_in^d h^(d)(s_in t) */
  double k = f->s_out;
  for (int i = 0; i < d; ++i) k *= f->s_in;
  return k * hfun_d(f->h, d, f->s_in * t);
}

/* First derivative only, the hot path of the field. */
static inline double sfun_d1(const gv_sfun *f, double t) {
  return (f->s_out * f->s_in) * hfun_d(f->h, 1, f->s_in * t);
}

/* ------------------------------------------------------------- the field */

void gv_dirac_field(const void *self, const double *x, double *v) {
  const gv_dirac *d = self;
  double theta = x[0], psi = x[1], t = psi * theta, c = d->p.c;
  double gen1, fake1, real_term = 0.0;
  switch (d->p.loss) {
    case GV_LOSS_STANDARD: {
      /* g_fake' = sigma(-t), g_gen' = -sigma(-t): one exponential per step
       * (simgd on the bare game is a benchmark). */
      double s = sigmoid(-t);
      fake1 = s;
      gen1 = -s;
      if (c != 0.0) real_term = c * sfun_d1(&d->g_real, psi * c);
      break;
    }
    case GV_LOSS_WGAN:
      fake1 = 1.0;
      gen1 = -1.0;
      real_term = -c;
      break;
    default:
      fake1 = sfun_d1(&d->g_fake, t);
      gen1 = sfun_d1(&d->g_gen, t);
      if (c != 0.0) real_term = c * sfun_d1(&d->g_real, psi * c);
      break;
  }
  v[0] = psi * gen1;
  v[1] = real_term + theta * fake1;
}

void gv_dirac_jacobian(const void *self, const double *x, double *J) {
  const gv_dirac *d = self;
  double theta = x[0], psi = x[1], t = psi * theta, c = d->p.c;
  double gen1 = gv_sfun_eval(&d->g_gen, 1, t), gen2 = gv_sfun_eval(&d->g_gen, 2, t);
  double fake1 = gv_sfun_eval(&d->g_fake, 1, t), fake2 = gv_sfun_eval(&d->g_fake, 2, t);
  double real2 = gv_sfun_eval(&d->g_real, 2, psi * c);
  /* v_theta = psi g_gen'(psi theta) */
  J[0] = psi * psi * gen2;
  J[1] = gen1 + t * gen2;
  /* v_psi = c g_real'(psi c) + theta g_fake'(psi theta) */
  J[2] = fake1 + t * fake2;
  J[3] = c * c * real2 + theta * theta * fake2;
}

/* ----------------------------------------------------------- capabilities */

/* D(x) = psi x, so grad_input D = psi at every sample, real or fake:
 * P = psi^2 / 2 and dP/d(theta, psi) = (0, psi). */
static void dirac_penalty_input(const void *self, const double *x, double *g) {
  (void)self;
  g[0] = 0.0;
  g[1] = x[1];
}

/* P = (|psi| - target)^2 / 2 (Gulrajani et al. 2017, eq. 3, on the Dirac
 * critic): dP/dpsi = (|psi| - target) sign(psi), sign(0) = 0. */
static void dirac_penalty_gp(const void *self, double target, const double *x, double *g) {
  (void)self;
  double psi = x[1];
  double sgn = (psi > 0.0) - (psi < 0.0);
  g[0] = 0.0;
  g[1] = (fabs(psi) - target) * sgn;
}

/* The logit l = D(x) = psi x is psi c on the real sample and psi theta on the
 * generated one: P_real = psi^2 c^2 / 2 has gradient (0, psi c^2), P_fake =
 * psi^2 theta^2 / 2 has (psi^2 theta, psi theta^2); both weighs each by 1/2. */
static void dirac_penalty_logit(const void *self, int on, const double *x, double *g) {
  const gv_dirac *d = self;
  double theta = x[0], psi = x[1], c = d->p.c;
  double wr = on == GV_CTL_ON_POLICY ? 0.0 : on == GV_CTL_ON_BOTH ? 0.5 : 1.0;
  double wf = on == GV_CTL_ON_EXPERT ? 0.0 : on == GV_CTL_ON_BOTH ? 0.5 : 1.0;
  g[0] = wf * psi * psi * theta;
  g[1] = psi * (wr * c * c + wf * theta * theta);
}

/* Instance noise (Mescheder 2018, section 3.2, Lemma 3.3): every sample the
 * discriminator sees carries e ~ N(0, sigma^2).  With GH nodes z_k and
 * weights w_k for the weight exp(-z^2), E[f(e)] = sum_k w_k f(sqrt(2) sigma
 * z_k) / sqrt(pi). */
static void dirac_field_noisy(const void *self, double sigma, const double *x, double *v) {
  const gv_dirac *d = self;
  if (sigma == 0.0) {
    gv_dirac_field(self, x, v);
    return;
  }
  double theta = x[0], psi = x[1], c = d->p.c;
  double s = M_SQRT2 * sigma, vt = 0.0, vp = 0.0;
  for (size_t k = 0; k < GV_DIRAC_GH_N; ++k) {
    double e = s * d->gh_x[k], w = d->gh_w[k];
    double xr = c + e, xf = theta + e;
    vt += w * (psi * sfun_d1(&d->g_gen, psi * xf));
    vp += w * (xr * sfun_d1(&d->g_real, psi * xr) + xf * sfun_d1(&d->g_fake, psi * xf));
  }
  double norm = 1.0 / sqrt(M_PI);
  v[0] = vt * norm;
  v[1] = vp * norm;
}

/* ------------------------------------------------------------------ init */

static void set_sfun(gv_sfun *f, int h, double s_in, double s_out) {
  f->h = h;
  f->s_in = s_in;
  f->s_out = s_out;
}

void gv_dirac_init(gv_dirac *d, const gv_dirac_params *p) {
  d->p = *p;
  /* f(t) = log sigma(t) (Mescheder's f(t) = -log(1 + e^-t)). */
  switch (p->loss) {
    case GV_LOSS_STANDARD: /* g_real(t) = f(-t), g_fake = f, g_gen = -f */
      set_sfun(&d->g_real, GV_H_LOG_SIGMOID, -1.0, 1.0);
      set_sfun(&d->g_fake, GV_H_LOG_SIGMOID, 1.0, 1.0);
      set_sfun(&d->g_gen, GV_H_LOG_SIGMOID, 1.0, -1.0);
      break;
    case GV_LOSS_NONSAT: /* generator ascends f(-t) = log(1 - sigma(t)) */
      set_sfun(&d->g_real, GV_H_LOG_SIGMOID, -1.0, 1.0);
      set_sfun(&d->g_fake, GV_H_LOG_SIGMOID, 1.0, 1.0);
      set_sfun(&d->g_gen, GV_H_LOG_SIGMOID, -1.0, 1.0);
      break;
    case GV_LOSS_WGAN: /* g_real(t) = -t, g_fake = t, g_gen = -t */
      set_sfun(&d->g_real, GV_H_LINEAR, 1.0, -1.0);
      set_sfun(&d->g_fake, GV_H_LINEAR, 1.0, 1.0);
      set_sfun(&d->g_gen, GV_H_LINEAR, 1.0, -1.0);
      break;
    default: /* BMC's convention has psi_B = -psi: g(t) = h(-t) */
      set_sfun(&d->g_real, p->h1, -1.0, 1.0);
      set_sfun(&d->g_fake, p->h2, -1.0, 1.0);
      set_sfun(&d->g_gen, p->h3, -1.0, 1.0);
      break;
  }
  d->xstar[0] = p->c;
  d->xstar[1] = 0.0;

  /* Gauss-Hermite rule for the weight exp(-z^2) on (-inf, inf). */
  gsl_integration_fixed_workspace *w =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, GV_DIRAC_GH_N, 0.0, 1.0, 0.0, 0.0);
  for (size_t k = 0; k < GV_DIRAC_GH_N; ++k) {
    /* Out of memory leaves NaN, so an instance-noise run diverges visibly. */
    d->gh_x[k] = w ? gsl_integration_fixed_nodes(w)[k] : NAN;
    d->gh_w[k] = w ? gsl_integration_fixed_weights(w)[k] : NAN;
  }
  gsl_integration_fixed_free(w);

  /* its capabilities (controllers/ctl.h GV_VF_CAPS); the rest stay NULL */
  static const gv_vfcaps caps = {
      .penalty_real = dirac_penalty_input,
      .penalty_fake = dirac_penalty_input,
      .penalty_gp = dirac_penalty_gp,
      .field_noisy = dirac_field_noisy,
      .penalty_logit = dirac_penalty_logit,
  };
  d->vf = (gv_vfgame){.name = "dirac", .n = 2, .gen0 = 0, .ngen = 1, .disc0 = 1, .ndisc = 1,
                      .xstar = d->xstar, .self = d, .field = gv_dirac_field,
                      .jacobian = gv_dirac_jacobian, .caps = &caps};
}

/* ----------------------------------------------------------- component */

static const char *const loss_names[] = {"standard", "nonsat", "wgan", "general", NULL};
static const char *const hfun_names[] = {"log_sigmoid", "log_one_minus_sigmoid", "softplus",
                                         "linear", "neg_linear", NULL};

static const gv_param dirac_params[] = {
    GV_PARAM_ENUM(gv_dirac_params, loss, "standard", loss_names,
                  "loss: standard (saturating), nonsat, wgan, or general (h1, h2, h3)"),
    GV_PARAM_REAL(gv_dirac_params, c, "0", -1e6, 1e6, "data point; the equilibrium is (c, 0)"),
    GV_PARAM_REAL(gv_dirac_params, theta0, "1", -1e6, 1e6, "initial generator parameter"),
    GV_PARAM_REAL(gv_dirac_params, psi0, "1", -1e6, 1e6, "initial discriminator parameter"),
    GV_PARAM_ENUM(gv_dirac_params, h1, "log_sigmoid", hfun_names,
                  "general loss: discriminator's term on real data (BMC's h1)"),
    GV_PARAM_ENUM(gv_dirac_params, h2, "log_one_minus_sigmoid", hfun_names,
                  "general loss: discriminator's term on fake data (BMC's h2)"),
    GV_PARAM_ENUM(gv_dirac_params, h3, "softplus", hfun_names,
                  "general loss: generator's objective (BMC's h3)"),
    GV_PARAM_END};

const gv_component gv_game_dirac = {
    "dirac",
    "Dirac-GAN: point-mass data at c, generator theta, discriminator D(x) = psi x",
    "Mescheder et al. 2018 (arXiv 1801.04406) sec. 2; Luo et al. 2023 (arXiv 2306.10468) sec. 3",
    dirac_params,
    sizeof(gv_dirac_params)};
