/* The Dirac-GAN (Mescheder et al. 2018, section 2; BMC's general form, Luo et
 * al. 2023, section 3).
 *
 * Data: a point mass at c.  Generator: a point mass at theta.  Discriminator
 * D(x) = psi * x.  State x = (theta, psi): component 0 is the generator,
 * component 1 the discriminator.  Mescheder's sign convention: the
 * discriminator ascends L_D(theta, psi) = g_real(psi c) + g_fake(psi theta),
 * the generator ascends L_G = g_gen(psi theta), so
 *   v_theta = psi g_gen'(psi theta),
 *   v_psi   = c g_real'(psi c) + theta g_fake'(psi theta).
 * With f(t) = -log(1 + exp(-t)):
 *   standard (saturating): g_real(t) = f(-t), g_fake = f, g_gen = -f
 *   non-saturating:        g_real(t) = f(-t), g_fake = f, g_gen(t) = f(-t)
 *   wgan:                  g_real(t) = -t,    g_fake = t, g_gen(t) = -t
 *   general (BMC's h1, h2, h3 in BMC's convention, D high on real, psi_B =
 *   -psi): g_real(t) = h1(-t), g_fake(t) = h2(-t), g_gen(t) = h3(-t).
 * Equilibrium (c, 0). */
#ifndef GV_GAN_DIRAC_H
#define GV_GAN_DIRAC_H

#include "controllers/ctl.h"
#include "core/registry.h"

/* Scalar functions for the general form: value and first three derivatives. */
typedef enum {
  GV_H_LOG_SIGMOID,         /* log sigma(t) = -log(1 + e^-t)  (increasing) */
  GV_H_LOG_ONE_MINUS_SIGMOID, /* log(1 - sigma(t)) = -log(1 + e^t) (decreasing) */
  GV_H_SOFTPLUS,            /* log(1 + e^t) (increasing) */
  GV_H_LINEAR,              /* t */
  GV_H_NEG_LINEAR           /* -t */
} gv_hfun;

typedef enum { GV_LOSS_STANDARD, GV_LOSS_NONSAT, GV_LOSS_WGAN, GV_LOSS_GENERAL } gv_dirac_loss;

typedef struct gv_dirac_params {
  int loss;                 /* gv_dirac_loss */
  double c;                 /* data point */
  double theta0, psi0;      /* start */
  int h1, h2, h3;           /* gv_hfun, used when loss = general */
} gv_dirac_params;

/* A scalar function with sign folded in: y(t) = s * h(s_in * t). */
typedef struct gv_sfun {
  int h;                    /* gv_hfun */
  double s_in, s_out;
} gv_sfun;

/* Gauss-Hermite points for the instance-noise expectation (exact for
 * polynomials of degree < 256; the sigmoid integrands are smooth: error
 * below 1e-15 for sigma |psi| < 1.5, about 3e-8 at sigma |psi| = 4 and 2e-5
 * at 6). */
#define GV_DIRAC_GH_N 128

typedef struct gv_dirac {
  gv_dirac_params p;
  gv_sfun g_real, g_fake, g_gen;
  double xstar[2];          /* (c, 0) */
  double gh_x[GV_DIRAC_GH_N]; /* Gauss-Hermite nodes, weight exp(-z^2) (GV_DIRAC_GH_N) */
  double gh_w[GV_DIRAC_GH_N]; /* their weights, summing to sqrt(pi) (GV_DIRAC_GH_N) */
  gv_vfgame vf;             /* the controller-facing view, self = this: do not
                             * copy a gv_dirac after init */
} gv_dirac;

extern const gv_component gv_game_dirac;   /* name "dirac", its parameter specs */

void gv_dirac_init(gv_dirac *d, const gv_dirac_params *p);

/* d-th derivative (0..3) of a scalar function at t. */
double gv_sfun_eval(const gv_sfun *f, int d, double t);

/* The bare field and its analytic Jacobian (also reachable through d->vf). */
void gv_dirac_field(const void *self, const double *x, double *v);
void gv_dirac_jacobian(const void *self, const double *x, double *J);

#endif
