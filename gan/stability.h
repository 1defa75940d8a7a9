/* Stability analysis of closed-form games: what the linearisation predicts,
 * what a trajectory measures, and whether they agree. */
#ifndef GV_GAN_STABILITY_H
#define GV_GAN_STABILITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "gan/scheme.h"

#define GV_STAB_MAXN 16

typedef enum {
  GV_VERDICT_CONVERGES,
  GV_VERDICT_OSCILLATES,    /* bounded, does not converge */
  GV_VERDICT_DIVERGES,
  GV_VERDICT_UNKNOWN
} gv_verdict;

const char *gv_verdict_name(gv_verdict v);   /* "converges", ... */

/* Eigenvalues of a real n x n row-major matrix (GSL nonsymm), sorted by
 * decreasing modulus, ties by decreasing imaginary part. */
gv_status gv_eig(const double *A, size_t n, double *re, double *im);

/* Eigenvalues of A (n x n, row-major) on the orthogonal complement of k
 * orthonormal directions U (k x n, rows): those of Q^T A Q, Q an orthonormal
 * basis of the complement (n - k values, sorted as gv_eig).  When every row
 * u is a left eigenvector of A (u^T A = mu u^T; a conserved direction of a
 * flow gives mu = 0, of its update map mu = 1), the complement is invariant
 * and A's spectrum is this one plus the mu's.  Returns GV_EINVAL, without
 * eigenvalues, when a row is not a left eigenvector (within 1e-6 of A's
 * scale); *mu (k values, may be NULL) gets u^T A u.  k = 0 is gv_eig. */
gv_status gv_eig_reduced(const double *A, size_t n, const double *U, size_t k, double *re,
                         double *im, double *mu);

/* Central finite-difference Jacobian of F: R^n -> R^n at x with step eps:
 * J[i*n + j] = (F_i(x + eps e_j) - F_i(x - eps e_j)) / (2 eps). */
void gv_fd_jacobian(void (*F)(void *ctx, const double *x, double *y), void *ctx, size_t n,
                    const double *x, double eps, double *J);

/* Top Lyapunov exponent per step of x_{k+1} = (M + s b_k I) x_k, b_k ~ N(0,1)
 * i.i.d.: since M and I commute it is max over eigenvalues mu of M of
 * E_b log|mu + s b|, integrated numerically (GSL qagi). */
double gv_lyapunov_scalar_noise(const double *mu_re, const double *mu_im, size_t n, double s);

typedef struct gv_prediction {
  size_t n;
  /* Eigenvalues below: n minus the game's conserved directions
   * (gv_vfgame.conserved), whose zero eigenvalues (1 for the map) are left
   * out: the spectrum on their complement, where the state moves.  When a
   * controller breaks a conserved direction, all n (and a note in err). */
  size_t neig;
  size_t nconserved;              /* directions left out: n - neig */
  double eq[GV_STAB_MAXN];        /* equilibrium analysed (the game's xstar) */
  double residual;                /* |F(eq)|: 0 when eq is an equilibrium */
  double jac_re[GV_STAB_MAXN], jac_im[GV_STAB_MAXN]; /* eig of dF/dx at eq */
  int discrete;                   /* 1: map eigenvalues below are meaningful */
  double map_re[GV_STAB_MAXN], map_im[GV_STAB_MAXN]; /* eig of the update map */
  double spectral_radius;         /* max |map eigenvalue| (discrete), over the neig */
  int stochastic;
  double noise_scale;             /* s of the linearised multiplicative noise per step */
  double lyapunov;                /* predicted top exponent per step (stochastic) */
  gv_verdict verdict;
  /* Rate per step (discrete: log spectral radius; continuous: max Re of the
   * Jacobian eigenvalues times the output interval h; stochastic: lyapunov).
   * Negative: converges with |x - eq| ~ exp(rate * step). */
  double rate;
} gv_prediction;

/* Predicts at the game's xstar for scheme s (its game, controllers, h). */
gv_status gv_predict(gv_scheme *s, gv_prediction *p, gv_err *err);

typedef struct gv_measurement {
  size_t n;                       /* points used */
  double final_distance;          /* |x - eq| at the last point */
  double rate;                    /* least-squares slope of log distance per step
                                   * over the fitted window (see gv_measure) */
  double osc_range;               /* max - min of the distance over the last quarter */
  int64_t iters_to_converge;      /* first step after which distance < tol stays; -1 never */
  double lyapunov;                /* (1 / t) log(|x(t)| / |x(0)|) at the last point */
  double lyapunov_se;             /* its standard error, from the spread of the
                                   * log-distance increments (i.i.d. noise) */
  gv_verdict verdict;
} gv_measurement;

/* Measures a trajectory from its distance-to-equilibrium series (steps
 * increasing).  tol: convergence threshold on the distance. */
void gv_measure(const int64_t *step, const double *dist, size_t n, double tol,
                gv_measurement *m);

/* Whether prediction and measurement agree: same verdict, and for converging
 * runs the measured rate within rel_tol of the predicted one (stochastic
 * runs: the Lyapunov exponent, within the larger of rel_tol and three
 * standard errors). */
int gv_agree(const gv_prediction *p, const gv_measurement *m, double rel_tol);

#endif
