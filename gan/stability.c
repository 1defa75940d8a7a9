/* Stability analysis of closed-form games.
 *
 * Three questions about a run of a closed-form game under an update scheme:
 *   gv_predict: what does the linearisation at the game's equilibrium say
 *               (eigenvalues of the controlled Jacobian, of the update map,
 *               and, with multiplicative noise, the top Lyapunov exponent)?
 *   gv_measure: what did a trajectory do (its distance-to-equilibrium series)?
 *   gv_agree:   do the two agree?
 *
 * Facts checked by the tests come from Mescheder et al. 2018 (1801.04406,
 * section 2 and 3: Dirac-GAN eigenvalues, the simultaneous-GD condition
 * |1 + h l| < 1) and Luo et al. 2023 (2306.10468: the Brownian motion
 * controller, u = rho1 X dB1 + ...). */
#include "gan/stability.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

const char *gv_verdict_name(gv_verdict v) {
  switch (v) {
  case GV_VERDICT_CONVERGES: return "converges";
  case GV_VERDICT_OSCILLATES: return "oscillates";
  case GV_VERDICT_DIVERGES: return "diverges";
  case GV_VERDICT_UNKNOWN: return "unknown";
  }
  return "unknown";
}

/* ------------------------------------------------------------ eigenvalues */

/* Moduli closer than this (relative) count as equal, so that a conjugate pair
 * whose moduli differ in the last bit is still ordered +im before -im. */
#define GV_EIG_TIE_REL 1e-12

/* 1 when eigenvalue a goes before b: larger modulus first, ties by larger
 * imaginary part. */
static int eig_before(double are, double aim, double bre, double bim) {
  double ma = hypot(are, aim), mb = hypot(bre, bim);
  double tol = GV_EIG_TIE_REL * fmax(ma, mb);
  if (ma > mb + tol) return 1;
  if (mb > ma + tol) return 0;
  return aim > bim;
}

/* Insertion sort: n <= GV_STAB_MAXN, and unlike qsort it is stable and well
 * defined with the tolerant (not strictly transitive) tie rule above. */
static void eig_sort(double *re, double *im, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    double r = re[i], m = im[i];
    size_t j = i;
    while (j > 0 && eig_before(r, m, re[j - 1], im[j - 1])) {
      re[j] = re[j - 1];
      im[j] = im[j - 1];
      --j;
    }
    re[j] = r;
    im[j] = m;
  }
}

gv_status gv_eig(const double *A, size_t n, double *re, double *im) {
  if (!A || !re || !im || n == 0 || n > GV_STAB_MAXN) return GV_EINVAL;
  for (size_t i = 0; i < n * n; ++i)
    if (!isfinite(A[i])) return GV_EINVAL;   /* GSL's QR iteration would not converge */
  if (n == 1) {
    re[0] = A[0];
    im[0] = 0.0;
    return GV_OK;
  }
  gsl_matrix *m = gsl_matrix_alloc(n, n);
  gsl_vector_complex *ev = gsl_vector_complex_alloc(n);
  gsl_eigen_nonsymm_workspace *w = gsl_eigen_nonsymm_alloc(n);
  gv_status st = GV_ENOMEM;
  if (m && ev && w) {
    /* gsl_eigen_nonsymm overwrites its input with the Schur form: work on a copy. */
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) gsl_matrix_set(m, i, j, A[i * n + j]);
    if (gsl_eigen_nonsymm(m, ev, w) == GSL_SUCCESS) {
      for (size_t i = 0; i < n; ++i) {
        gsl_complex z = gsl_vector_complex_get(ev, i);
        re[i] = GSL_REAL(z);
        im[i] = GSL_IMAG(z);
      }
      eig_sort(re, im, n);
      st = GV_OK;
    } else {
      st = GV_EFAILED;
    }
  }
  gsl_eigen_nonsymm_free(w);
  gsl_vector_complex_free(ev);
  gsl_matrix_free(m);
  return st;
}

/* Q (n x (n - k), row-major: Q[i * (n - k) + c]): an orthonormal basis of
 * the complement of the rows of U, by modified Gram-Schmidt (twice) over the
 * unit vectors e_0, e_1, ...; the spectrum of Q^T A Q does not depend on
 * which basis.  Returns the number of columns found (n - k unless U is not
 * orthonormal). */
static size_t complement_basis(const double *U, size_t n, size_t k, double *Q) {
  size_t m = n - k, c = 0;
  double v[GV_STAB_MAXN];
  for (size_t e = 0; e < n && c < m; ++e) {
    for (size_t i = 0; i < n; ++i) v[i] = i == e;
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t r = 0; r < k; ++r) {
        double d = 0.0;
        for (size_t i = 0; i < n; ++i) d += U[r * n + i] * v[i];
        for (size_t i = 0; i < n; ++i) v[i] -= d * U[r * n + i];
      }
      for (size_t q = 0; q < c; ++q) {
        double d = 0.0;
        for (size_t i = 0; i < n; ++i) d += Q[i * m + q] * v[i];
        for (size_t i = 0; i < n; ++i) v[i] -= d * Q[i * m + q];
      }
    }
    double nv = 0.0;
    for (size_t i = 0; i < n; ++i) nv += v[i] * v[i];
    nv = sqrt(nv);
    if (nv < 1e-6) continue;   /* e lies (numerically) in the span so far */
    for (size_t i = 0; i < n; ++i) Q[i * m + c] = v[i] / nv;
    ++c;
  }
  return c;
}

gv_status gv_eig_reduced(const double *A, size_t n, const double *U, size_t k, double *re,
                         double *im, double *mu) {
  if (k == 0) return gv_eig(A, n, re, im);
  if (!A || !U || k >= n || n > GV_STAB_MAXN) return GV_EINVAL;
  double scale = 0.0;
  for (size_t i = 0; i < n * n; ++i) scale = fmax(scale, fabs(A[i]));
  for (size_t r = 0; r < k; ++r) { /* u^T A = mu u^T ? */
    const double *u = U + r * n;
    double w[GV_STAB_MAXN], m = 0.0, dev = 0.0;
    for (size_t j = 0; j < n; ++j) {
      w[j] = 0.0;
      for (size_t i = 0; i < n; ++i) w[j] += u[i] * A[i * n + j];
      m += w[j] * u[j];
    }
    for (size_t j = 0; j < n; ++j) dev = fmax(dev, fabs(w[j] - m * u[j]));
    if (mu) mu[r] = m;
    if (!(dev <= 1e-6 * fmax(scale, 1e-300))) return GV_EINVAL;
  }
  size_t m = n - k;
  double Q[GV_STAB_MAXN * GV_STAB_MAXN], AQ[GV_STAB_MAXN * GV_STAB_MAXN];
  double R[GV_STAB_MAXN * GV_STAB_MAXN];
  if (complement_basis(U, n, k, Q) != m) return GV_EINVAL;
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < m; ++c) {
      double t = 0.0;
      for (size_t j = 0; j < n; ++j) t += A[i * n + j] * Q[j * m + c];
      AQ[i * m + c] = t;
    }
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c < m; ++c) {
      double t = 0.0;
      for (size_t i = 0; i < n; ++i) t += Q[i * m + r] * AQ[i * m + c];
      R[r * m + c] = t;
    }
  return gv_eig(R, m, re, im);
}

/* --------------------------------------------------------------- Jacobian */

void gv_fd_jacobian(void (*F)(void *ctx, const double *x, double *y), void *ctx, size_t n,
                    const double *x, double eps, double *J) {
  /* Scratch on the stack for the sizes the analysis uses; larger problems
   * (the function is generic) take the heap. */
  double sbuf[3 * GV_STAB_MAXN];
  double *buf = n <= GV_STAB_MAXN ? sbuf : malloc(3 * n * sizeof *buf);
  if (!buf) {
    /* No way to report failure through this signature: NaN is the loud answer. */
    for (size_t i = 0; i < n * n; ++i) J[i] = NAN;
    return;
  }
  double *xp = buf, *yp = buf + n, *ym = buf + 2 * n;
  memcpy(xp, x, n * sizeof *xp);
  for (size_t j = 0; j < n; ++j) {
    double hi = x[j] + eps, lo = x[j] - eps;
    /* Divide by the step actually taken (hi - lo is exact in floating
     * point, 2 eps need not be): removes the representation error of x +- eps. */
    double dx = hi - lo;
    xp[j] = hi;
    F(ctx, xp, yp);
    xp[j] = lo;
    F(ctx, xp, ym);
    xp[j] = x[j];
    for (size_t i = 0; i < n; ++i) J[i * n + j] = (yp[i] - ym[i]) / dx;
  }
  if (buf != sbuf) free(buf);
}

/* ------------------------------------------------- Lyapunov exponent, noise
 *
 * For x_{k+1} = (M + s b_k I) x_k the noise matrix is a multiple of the
 * identity, so it commutes with M: in M's eigenbasis (or Jordan basis) every
 * product of the random matrices is a polynomial in M, and an eigenvector of
 * M with eigenvalue mu is multiplied at each step by the scalar mu + s b_k.
 * Hence |v_k| = |v_0| prod |mu + s b_k| and, by the law of large numbers,
 * (1/k) log |v_k| -> E log|mu + s b|.  The top exponent is the maximum over
 * the eigenvalues (Jordan blocks add only polynomial factors, which do not
 * change an exponent).
 *
 * We integrate log(|mu + s b| / |mu|) against the standard normal density,
 * so that small noise gives a small integrand instead of a difference of two
 * close numbers, and add log|mu| back.
 *
 * Small-noise expansion, used as the method below a threshold and as a check
 * in the tests: with w = s / mu (complex), log|mu + s b| = log|mu| +
 * Re log(1 + w b); expanding log(1 + z) = sum_k (-1)^(k+1) z^k / k and using
 * E b^(2j+1) = 0, E b^2 = 1, E b^4 = 3, E b^6 = 15,
 *   E log|mu + s b| = log|mu| - Re(w^2)/2 - 3 Re(w^4)/4 - 5 Re(w^6)/2 - ...
 * With mu = r e^{i phi}: Re(w^2) = (s/r)^2 cos(2 phi), so the leading
 * correction is (s/r)^2 (1/2 - cos^2 phi): noise stabilises eigenvalues near
 * the real axis and destabilises those near the imaginary axis.  The series
 * is asymptotic (for real mu the singular point b = -mu/s contributes terms of
 * order exp(-mu^2 / (2 s^2))), which are negligible where we use it. */

/* Below this s/|mu| the series to w^4 is used: its truncation error is about
 * 2.5 (s/|mu|)^6 <= 2.5e-18, far below the quadrature's tolerance. */
#define GV_LYAP_SERIES_MAX 1e-3
/* Truncation of the real line for qagp: the normal density beyond 12 carries
 * mass 2e-33, times a logarithm of moderate size. */
#define GV_LYAP_L 12.0
#define GV_LYAP_LIMIT 256

typedef struct lyap_ctx {
  double mu_re, mu_im, s, inv_mod2;   /* inv_mod2 = 1 / |mu|^2 */
} lyap_ctx;

/* log(|mu + s b| / |mu|) times the standard normal density at b. */
static double lyap_integrand(double b, void *vp) {
  const lyap_ctx *c = vp;
  double dens = exp(-0.5 * b * b) * (1.0 / sqrt(2.0 * M_PI));
  if (dens == 0.0) return 0.0;         /* avoid 0 * (-inf) at a far singular point */
  double q = (2.0 * c->mu_re * c->s * b + c->s * c->s * b * b) * c->inv_mod2;
  double l;
  if (fabs(q) < 0.5) {
    l = 0.5 * log1p(q);                /* accurate for small noise */
  } else {
    /* Near b = -mu_re/s, 1 + q computed from q loses all digits: use the
     * squared modulus directly. */
    double u = c->mu_re + c->s * b;
    double m2 = (u * u + c->mu_im * c->mu_im) * c->inv_mod2;
    if (m2 <= 0.0) return 0.0;         /* the singular point itself: measure zero */
    l = 0.5 * log(m2);
  }
  return l * dens;
}

/* E log|mu + s b| for one eigenvalue mu, s > 0. */
static double lyap_one(double mu_re, double mu_im, double s) {
  double r = hypot(mu_re, mu_im);
  if (r == 0.0) {
    /* E log|s b| = log s + E log|b| = log s - (gamma_Euler + log 2) / 2. */
    return log(s) - 0.5 * (M_EULER + M_LN2);
  }
  if (s / r < GV_LYAP_SERIES_MAX) {
    double wr = s * mu_re / (r * r), wi = -s * mu_im / (r * r);   /* w = s / mu */
    double w2r = wr * wr - wi * wi, w2i = 2.0 * wr * wi;
    double w4r = w2r * w2r - w2i * w2i;
    return log(r) - 0.5 * w2r - 0.75 * w4r;
  }
  lyap_ctx c = {mu_re, mu_im, s, 1.0 / (r * r)};
  gsl_function f = {lyap_integrand, &c};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(GV_LYAP_LIMIT);
  if (!w) return NAN;
  double val = NAN, abserr = 0.0;
  /* Absolute tolerance relative to the size of the logarithm: with s >> |mu|
   * the integrand is of order log(s / |mu|) and roundoff limits what an
   * absolute target can reach. */
  double epsabs = 1e-13 * fmax(1.0, fabs(log(s / r)));
  int rc;
  if (fabs(mu_im) > 0.5 * s) {
    /* |mu + s b| >= |mu_im| stays away from 0: a smooth integrand, qagi on
     * the whole line. */
    rc = gsl_integration_qagi(&f, epsabs, 1e-10, GV_LYAP_LIMIT, w, &val, &abserr);
  } else {
    /* A logarithmic singularity (mu real) or a sharp dip (mu nearly real) at
     * b0 = -mu_re / s: give it to qagp as a break point. */
    double pts[3];
    size_t np = 0;
    double b0 = -mu_re / s;
    pts[np++] = -GV_LYAP_L;
    if (b0 > -GV_LYAP_L && b0 < GV_LYAP_L) pts[np++] = b0;
    pts[np++] = GV_LYAP_L;
    rc = gsl_integration_qagp(&f, pts, np, epsabs, 1e-10, GV_LYAP_LIMIT, w, &val, &abserr);
  }
  gsl_integration_workspace_free(w);
  /* With GSL's error handler off a failed tolerance still leaves the best
   * estimate in val: keep it when finite (abserr then says how good). */
  if (rc != GSL_SUCCESS && !isfinite(val)) return NAN;
  return log(r) + val;
}

double gv_lyapunov_scalar_noise(const double *mu_re, const double *mu_im, size_t n, double s) {
  double best = -INFINITY;
  s = fabs(s);                         /* b and -b have the same law */
  for (size_t i = 0; i < n; ++i) {
    double l = s == 0.0 ? log(hypot(mu_re[i], mu_im[i])) : lyap_one(mu_re[i], mu_im[i], s);
    if (isnan(l)) return NAN;
    if (l > best) best = l;
  }
  return best;
}

/* ------------------------------------------------------------- prediction */

/* Thresholds of the verdicts (see gv_predict). */
#define GV_PRED_RESIDUAL 1e-9   /* |F(eq)| above this: eq is not an equilibrium */
#define GV_PRED_FD_EPS 1e-6     /* finite-difference step at eq */
#define GV_PRED_RADIUS_TOL 1e-9 /* |spectral radius - 1| within this: oscillates */
#define GV_PRED_RE_TOL 1e-9     /* |max Re * h| within this: oscillates */
#define GV_PRED_LYAP_TOL 1e-12  /* |lyapunov| within this: oscillates */
#define GV_PRED_IDENTITY_TOL 1e-8 /* N_k = c_k I test */

typedef struct ctl_field_ctx {
  const gv_vfgame *g;
  const gv_ctl_stack *ctl;
} ctl_field_ctx;

static void ctl_field(void *vp, const double *x, double *y) {
  const ctl_field_ctx *c = vp;
  gv_vf_controlled(c->g, c->ctl, x, y);
}

/* Linearised diffusion of an SDE scheme at eq.  Writes sum_k c_k^2 into
 * *sum_c2 when every channel's derivative N_k = dG[:, k]/dx is c_k I;
 * otherwise returns 0 with a note in err (the exponent is then not a
 * scalar-noise problem and we do not predict it). */
static int diffusion_scale(const gv_vfgame *g, const gv_ctl_stack *ctl, const double *eq,
                           double *sum_c2, gv_err *err) {
  size_t n = g->n, m = ctl->noise_dim;
  *sum_c2 = 0.0;
  if (m == 0) return 1;
  double *G0 = malloc(n * m * sizeof *G0), *Gp = malloc(n * m * sizeof *Gp);
  double *Gm = malloc(n * m * sizeof *Gm), *N = malloc(n * n * m * sizeof *N);
  int ok = 0;
  if (!G0 || !Gp || !Gm || !N) {
    gv_fail(err, GV_OK, "stability: out of memory for the diffusion's linearisation");
    goto done;
  }
  gv_ctl_stack_diffusion(ctl, g, eq, G0);
  for (size_t i = 0; i < n * m; ++i)
    if (!(fabs(G0[i]) <= GV_PRED_RESIDUAL)) {
      /* Additive noise at eq: the state is kicked off the equilibrium every
       * step, so it can not converge to it; not a multiplicative problem. */
      gv_fail(err, GV_OK,
              "stability: diffusion is not zero at the equilibrium (|G[%zu]| = %g): "
              "additive noise, no Lyapunov exponent predicted", i, fabs(G0[i]));
      goto done;
    }
  double xp[GV_STAB_MAXN];
  memcpy(xp, eq, n * sizeof *xp);
  for (size_t j = 0; j < n; ++j) {
    double hi = eq[j] + GV_PRED_FD_EPS, lo = eq[j] - GV_PRED_FD_EPS;
    xp[j] = hi;
    gv_ctl_stack_diffusion(ctl, g, xp, Gp);
    xp[j] = lo;
    gv_ctl_stack_diffusion(ctl, g, xp, Gm);
    xp[j] = eq[j];
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < m; ++k)   /* N[k][i][j] = d G[i, k] / d x_j */
        N[(k * n + i) * n + j] = (Gp[i * m + k] - Gm[i * m + k]) / (hi - lo);
  }
  for (size_t k = 0; k < m; ++k) {
    const double *Nk = N + k * n * n;
    double c = 0.0;
    for (size_t i = 0; i < n; ++i) c += Nk[i * n + i];
    c /= (double)n;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        double want = i == j ? c : 0.0;
        if (!(fabs(Nk[i * n + j] - want) <= GV_PRED_IDENTITY_TOL)) {
          gv_fail(err, GV_OK,
                  "stability: linearised diffusion of Brownian channel %zu is not a "
                  "multiple of the identity (entry %zu,%zu = %g, diagonal mean %g): "
                  "Lyapunov exponent not predicted", k, i, j, Nk[i * n + j], c);
          goto done;
        }
      }
    *sum_c2 += c * c;
  }
  ok = 1;
done:
  free(G0);
  free(Gp);
  free(Gm);
  free(N);
  return ok;
}

/* Verdicts of gv_predict, in this order:
 *   - |F(eq)| > 1e-9: eq is not an equilibrium of the controlled field:
 *     UNKNOWN (a note in err; the numbers below are still filled in).
 *   - stochastic (an SDE scheme, or an update hook with multiplicative noise):
 *     lyapunov < -1e-12 converges, > 1e-12 diverges, else oscillates; the
 *     exponent is UNKNOWN (NaN) when the linearised noise is not a multiple
 *     of the identity.
 *   - discrete (simgd, altgd): spectral radius of the update map
 *     < 1 - 1e-9 converges, > 1 + 1e-9 diverges, else oscillates.
 *   - continuous (ode): h * max Re(eig of dF/dx) < -1e-9 converges,
 *     > 1e-9 diverges, else oscillates (h is the output interval, so the
 *     rate is per output step like the others). */
/* Forward and backward differences of the controlled field at x agree with
 * the central ones in J (up to a tolerance relative to the entries)? */
static int one_sided_agree(ctl_field_ctx *c, size_t n, const double *x, const double *J) {
  double xp[GV_STAB_MAXN], F0[GV_STAB_MAXN], Fp[GV_STAB_MAXN], Fm[GV_STAB_MAXN];
  double scale = 1.0;
  for (size_t i = 0; i < n * n; ++i) scale = fmax(scale, fabs(J[i]));
  /* (scale only guards the kink test against roundoff in large entries) */
  if (!isfinite(scale)) return 0;
  ctl_field(c, x, F0);
  for (size_t j = 0; j < n; ++j) {
    memcpy(xp, x, n * sizeof *xp);
    xp[j] = x[j] + GV_PRED_FD_EPS;
    ctl_field(c, xp, Fp);
    xp[j] = x[j] - GV_PRED_FD_EPS;
    ctl_field(c, xp, Fm);
    for (size_t i = 0; i < n; ++i) {
      double fwd = (Fp[i] - F0[i]) / GV_PRED_FD_EPS, bwd = (F0[i] - Fm[i]) / GV_PRED_FD_EPS;
      if (fabs(fwd - bwd) > 1e-3 * scale) return 0; /* a kink */
    }
  }
  /* a jump: central differences scale like 1/eps instead of settling */
  double J10[GV_STAB_MAXN * GV_STAB_MAXN];
  gv_fd_jacobian(ctl_field, c, n, x, 10 * GV_PRED_FD_EPS, J10);
  for (size_t i = 0; i < n * n; ++i)
    if (fabs(J10[i] - J[i]) > 1e-3 * (1.0 + fabs(J[i]))) return 0;
  return 1;
}

/* Eigenvalues of A (n x n) on the complement of the k conserved directions
 * U; when A does not conserve them (a controller's drift or update moves
 * u.x), all n eigenvalues and *k = 0. */
static gv_status spectrum(const double *A, size_t n, const double *U, size_t *k, double *re,
                          double *im) {
  if (*k > 0) {
    gv_status st = gv_eig_reduced(A, n, U, *k, re, im, NULL);
    if (st != GV_EINVAL) return st;
    for (size_t i = 0; i < n * n; ++i)
      if (!isfinite(A[i])) return st;
    *k = 0;
  }
  return gv_eig(A, n, re, im);
}

gv_status gv_predict(gv_scheme *s, gv_prediction *p, gv_err *err) {
  if (!s || !p || !s->type || !s->game)
    return gv_fail(err, GV_EINVAL, "gv_predict: NULL scheme, game or prediction");
  const gv_vfgame *g = s->game;
  size_t n = g->n;
  if (n == 0 || n > GV_STAB_MAXN)
    return gv_fail(err, GV_EINVAL, "gv_predict: state dimension %zu outside 1..%d", n,
                   GV_STAB_MAXN);
  if (!g->xstar || !g->field)
    return gv_fail(err, GV_EINVAL, "gv_predict: game '%s' has no equilibrium or field",
                   g->name ? g->name : "?");
  if (err) err->msg[0] = '\0';

  static const gv_ctl_stack no_ctl = {.items = NULL};
  const gv_ctl_stack *ctl = s->ctl ? s->ctl : &no_ctl;
  const gv_scheme_type *t = s->type;
  double h = s->p.h;

  memset(p, 0, sizeof *p);
  p->n = n;
  size_t k = g->conserved ? g->nconserved : 0;
  memcpy(p->eq, g->xstar, n * sizeof *p->eq);
  p->spectral_radius = NAN;
  p->noise_scale = 0.0;
  p->lyapunov = NAN;
  p->rate = NAN;
  p->verdict = GV_VERDICT_UNKNOWN;
  for (size_t i = 0; i < GV_STAB_MAXN; ++i) p->map_re[i] = p->map_im[i] = NAN;

  /* Residual of the controlled field (controllers' drifts included). */
  double F[GV_STAB_MAXN];
  gv_vf_controlled(g, ctl, p->eq, F);
  double r2 = 0.0;
  for (size_t i = 0; i < n; ++i) r2 += F[i] * F[i];
  p->residual = sqrt(r2);

  /* Jacobian of the controlled field: the game's analytic one when nothing
   * is added to it, else central differences of the whole field. */
  double J[GV_STAB_MAXN * GV_STAB_MAXN];
  if (ctl->n == 0 && g->jacobian) {
    g->jacobian(g->self, p->eq, J);
  } else {
    ctl_field_ctx c = {g, ctl};
    gv_fd_jacobian(ctl_field, &c, n, p->eq, GV_PRED_FD_EPS, J);
  }
  /* A field that is not differentiable at eq (WGAN-GP's penalty jumps at
   * psi = 0) has no linearisation: one-sided differences disagree there. */
  int smooth = 1;
  if (ctl->n > 0) {
    ctl_field_ctx c = {g, ctl};
    smooth = one_sided_agree(&c, n, p->eq, J);
  }
  /* The conserved directions' zero eigenvalues are left out: the state
   * never moves along them (gv_vfgame.conserved). */
  size_t kj = k;
  gv_status st = spectrum(J, n, g->conserved, &kj, p->jac_re, p->jac_im);
  p->nconserved = kj;
  p->neig = n - kj;
  if (st != GV_OK && smooth)
    return gv_fail(err, st, "gv_predict: eigenvalues of the %zu x %zu Jacobian of '%s' "
                   "failed (non-finite entries or no convergence)", n, n,
                   g->name ? g->name : "?");
  if (!smooth) {
    p->verdict = GV_VERDICT_UNKNOWN;
    gv_fail(err, GV_OK, "stability: the controlled field is not differentiable at the "
            "equilibrium (one-sided derivatives differ): no linear prediction");
    return GV_OK;
  }

  /* Update map. */
  if (!t->continuous) {
    double M[GV_STAB_MAXN * GV_STAB_MAXN];
    gv_scheme_map_jacobian(s, p->eq, M);
    size_t km = kj;
    st = spectrum(M, n, g->conserved, &km, p->map_re, p->map_im);
    if (st == GV_OK && km != kj) { /* the map moves u.x: everything in full */
      kj = 0;
      st = gv_eig(J, n, p->jac_re, p->jac_im);
    }
    if (st != GV_OK)
      return gv_fail(err, st, "gv_predict: eigenvalues of the update map of '%s' failed",
                     t->info.name ? t->info.name : "?");
    p->discrete = 1;
  }
  p->nconserved = kj;
  p->neig = n - kj;
  const size_t ne = p->neig;
  if (kj < k)
    gv_fail(err, GV_OK, "stability: the controlled dynamics of '%s' move the conserved "
            "direction(s) of the state: all %zu eigenvalues kept", g->name ? g->name : "?", n);
  if (t->continuous && t->stochastic) {
    /* A continuous-flagged SDE scheme still steps by Euler-Maruyama, whose
     * deterministic map I + h J has eigenvalues 1 + h l. */
    for (size_t i = 0; i < ne; ++i) {
      p->map_re[i] = 1.0 + h * p->jac_re[i];
      p->map_im[i] = h * p->jac_im[i];
    }
    eig_sort(p->map_re, p->map_im, ne);
    p->discrete = 1;
  }
  if (p->discrete) {
    double rho = 0.0;
    for (size_t i = 0; i < ne; ++i) rho = fmax(rho, hypot(p->map_re[i], p->map_im[i]));
    p->spectral_radius = rho;
  }

  /* Multiplicative noise, linearised at eq.
   *   SDE (Euler-Maruyama x += h F + sqrt(h) G b): if every channel's
   *   derivative is N_k = c_k I, the step's noise is sqrt(h) sum_k c_k b_k I,
   *   a single N(0, h sum c_k^2) scalar times I: s = sqrt(h sum c_k^2).
   *   Update hooks: each adds s_i b_i (x_pre - xstar) with its own b_i, so
   *   the scales add in quadrature.
   * Either way the noise matrix is a multiple of the identity and commutes
   * with the map M, so x_{k+1} = (M + s b I) x_k and the exponent from
   * gv_lyapunov_scalar_noise is exact for the linearisation. */
  int noise_ok = 1;
  double s2 = 0.0;
  if (t->stochastic) {
    p->stochastic = 1;
    double c2 = 0.0;
    noise_ok = diffusion_scale(g, ctl, p->eq, &c2, err);
    s2 += h * c2;
  }
  if (t->hooks & GV_HOOK_UPDATE) {
    /* Only schemes that run update hooks feel their noise. */
    for (size_t i = 0; i < ctl->n; ++i) {
      const gv_ctl_type *ct = ctl->items[i].type;
      if (ct && ct->update && ct->update_noise_scale) {
        double si = ct->update_noise_scale(ctl->items[i].par);
        s2 += si * si;
        p->stochastic = 1;
      }
    }
  }

  if (p->stochastic) {
    p->noise_scale = sqrt(s2);
    if (noise_ok && p->discrete)
      p->lyapunov = gv_lyapunov_scalar_noise(p->map_re, p->map_im, ne, p->noise_scale);
    else if (noise_ok)
      gv_fail(err, GV_OK, "stability: multiplicative noise on a continuous scheme '%s': "
              "no Lyapunov exponent predicted", t->info.name ? t->info.name : "?");
    p->rate = p->lyapunov;
    if (isnan(p->lyapunov))
      p->verdict = GV_VERDICT_UNKNOWN;
    else if (p->lyapunov < -GV_PRED_LYAP_TOL)
      p->verdict = GV_VERDICT_CONVERGES;
    else if (p->lyapunov > GV_PRED_LYAP_TOL)
      p->verdict = GV_VERDICT_DIVERGES;
    else
      p->verdict = GV_VERDICT_OSCILLATES;
  } else if (p->discrete) {
    double rho = p->spectral_radius;
    p->rate = log(rho);                /* -inf for a nilpotent map: converges at once */
    if (rho < 1.0 - GV_PRED_RADIUS_TOL)
      p->verdict = GV_VERDICT_CONVERGES;
    else if (rho > 1.0 + GV_PRED_RADIUS_TOL)
      p->verdict = GV_VERDICT_DIVERGES;
    else
      p->verdict = GV_VERDICT_OSCILLATES;
  } else {
    double mre = -INFINITY;
    for (size_t i = 0; i < ne; ++i) mre = fmax(mre, p->jac_re[i]);
    p->rate = mre * h;
    if (p->rate < -GV_PRED_RE_TOL)
      p->verdict = GV_VERDICT_CONVERGES;
    else if (p->rate > GV_PRED_RE_TOL)
      p->verdict = GV_VERDICT_DIVERGES;
    else
      p->verdict = GV_VERDICT_OSCILLATES;
  }

  /* A deterministic update hook (weight clipping) projects the state after
   * every step; it is inactive at eq, so the eigenvalues above describe the
   * dynamics only until the projection engages, which decides the global
   * behaviour (Mescheder et al. 2018, Table 1: "n/a"). */
  if (t->hooks & GV_HOOK_UPDATE)
    for (size_t i = 0; i < ctl->n; ++i) {
      const gv_ctl_type *ct = ctl->items[i].type;
      if (ct && ct->update && !ct->update_noise_scale) {
        p->verdict = GV_VERDICT_UNKNOWN;
        gv_fail(err, GV_OK, "stability: controller '%s' projects the state after every "
                "update; the linearisation (locally: %s) does not decide the outcome",
                ct->info.name, p->rate > 0 ? "diverges" : p->rate < 0 ? "converges"
                                                                      : "oscillates");
      }
    }

  if (!(p->residual <= GV_PRED_RESIDUAL)) {
    /* The linearisation is about a point the dynamics does not rest at
     * (e.g. a controller whose drift does not vanish at xstar): its
     * eigenvalues say nothing about convergence to xstar. */
    p->verdict = GV_VERDICT_UNKNOWN;
    gv_fail(err, GV_OK,
            "stability: xstar of '%s' is not an equilibrium of the controlled field "
            "(|F(xstar)| = %g > %g): verdict unknown", g->name ? g->name : "?",
            p->residual, GV_PRED_RESIDUAL);
  }
  return GV_OK;
}

/* ------------------------------------------------------------ measurement
 *
 * Definitions of gv_measure (what a user reads in a stability report).
 * Input: steps s_0 < s_1 < ... < s_{n-1}, distances d_i = |x(s_i) - eq|,
 * threshold tol.  Q = max(1, n / 4) points make a quarter.
 *
 *   final_distance     d_{n-1}.
 *   iters_to_converge  the first s_i such that d_j < tol for every j >= i;
 *                      -1 when d_{n-1} >= tol (or is not finite).
 *   osc_range          max - min of d over the last quarter.
 *   lyapunov           log(d_{n-1} / d_0) / (s_{n-1} - s_0), both distances
 *                      floored at 1e-300 so that a run that lands exactly on
 *                      the equilibrium (d = 0) gives a large negative finite
 *                      number, not -inf; NaN when n < 2 or a distance is not
 *                      finite.
 *   rate               least-squares slope of log d against s, fitted over
 *                      the points with d > 1e-12 d_0 and d > 1e-280 (so the
 *                      floor a converged run reaches, roundoff, does not
 *                      flatten the slope), taken after the first 10% of the
 *                      points (transients); if fewer than 2 such points
 *                      remain, over all qualifying points; NaN with fewer
 *                      than 2.
 *   verdict, first rule that applies:
 *     1. some d_i is not finite, or d_{n-1} > 1e6 max(d_0, 1e-12): DIVERGES;
 *     2. iters_to_converge >= 0: CONVERGES;
 *     3. rate < 0 and max over the last quarter < 0.5 max over the first
 *        quarter: CONVERGES (converging, not yet below tol);
 *     4. rate > 0 and min over the last quarter > 2 max over the first
 *        quarter: DIVERGES (growing, not yet past the blow-up bound);
 *    4b. the distance rises at every point of the second half, by more than
 *        5% in all: DIVERGES (a slow outward spiral);
 *     5. otherwise OSCILLATES (bounded, neither converging nor growing).
 *   With n == 0 everything is NaN / -1 and the verdict UNKNOWN; with n == 1
 *   only rules 1 and 2 can decide, else the verdict is UNKNOWN. */

#define GV_MEAS_FLOOR 1e-300
#define GV_MEAS_FIT_REL 1e-12
#define GV_MEAS_FIT_ABS 1e-280
#define GV_MEAS_BLOWUP 1e6

/* Least-squares slope of log d against step over [i0, n) restricted to the
 * points the rate definition admits; *count gets the number used. */
static double fit_slope(const int64_t *step, const double *dist, size_t i0, size_t n,
                        size_t *count) {
  double d0 = dist[0];
  double sx = 0.0, sy = 0.0;
  size_t k = 0;
  /* Two passes with centred sums: steps reach 1e5 and more, and the naive
   * sum of x^2 loses the digits of the slope. */
  for (size_t i = i0; i < n; ++i) {
    double d = dist[i];
    if (!isfinite(d) || !(d > GV_MEAS_FIT_REL * d0) || !(d > GV_MEAS_FIT_ABS)) continue;
    sx += (double)(step[i] - step[0]);
    sy += log(fmax(d, GV_MEAS_FLOOR));
    ++k;
  }
  *count = k;
  if (k < 2) return NAN;
  double mx = sx / (double)k, my = sy / (double)k, sxx = 0.0, sxy = 0.0;
  for (size_t i = i0; i < n; ++i) {
    double d = dist[i];
    if (!isfinite(d) || !(d > GV_MEAS_FIT_REL * d0) || !(d > GV_MEAS_FIT_ABS)) continue;
    double dx = (double)(step[i] - step[0]) - mx;
    sxx += dx * dx;
    sxy += dx * (log(fmax(d, GV_MEAS_FLOOR)) - my);
  }
  return sxx > 0.0 ? sxy / sxx : NAN;
}

/* Rule 4b: the distance rises at every logged point of the second half and
 * by more than 5% over it: an outward spiral whose growth the saturating
 * losses slow down (simultaneous GD on the standard Dirac-GAN from (1, 1)
 * only goes from 1.41 to 3.1 in 500 steps, but never turns back). */
static int grows_throughout(const double *dist, size_t n) {
  if (n < 8) return 0;
  for (size_t i = n / 2 + 1; i < n; ++i)
    if (!(dist[i] > dist[i - 1])) return 0;
  return dist[n - 1] > 1.05 * dist[n / 2];
}

void gv_measure(const int64_t *step, const double *dist, size_t n, double tol,
                gv_measurement *m) {
  m->n = n;
  m->final_distance = NAN;
  m->rate = NAN;
  m->osc_range = NAN;
  m->iters_to_converge = -1;
  m->lyapunov = NAN;
  m->verdict = GV_VERDICT_UNKNOWN;
  if (n == 0 || !step || !dist) return;

  m->final_distance = dist[n - 1];
  int finite = 1;
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(dist[i])) finite = 0;

  /* Scan back from the end while the distance stays below tol. */
  if (dist[n - 1] < tol) {
    size_t i = n - 1;
    while (i > 0 && dist[i - 1] < tol) --i;
    m->iters_to_converge = step[i];
  }

  size_t q = n / 4 > 0 ? n / 4 : 1;
  double first_max = -INFINITY, last_max = -INFINITY, last_min = INFINITY;
  for (size_t i = 0; i < q; ++i) first_max = fmax(first_max, dist[i]);
  for (size_t i = n - q; i < n; ++i) {
    last_max = fmax(last_max, dist[i]);
    last_min = fmin(last_min, dist[i]);
  }
  m->osc_range = finite ? last_max - last_min : NAN;

  if (n >= 2 && finite && step[n - 1] != step[0])
    m->lyapunov = log(fmax(dist[n - 1], GV_MEAS_FLOOR) / fmax(dist[0], GV_MEAS_FLOOR)) /
                  (double)(step[n - 1] - step[0]);

  /* Standard error of the Lyapunov estimate: with i.i.d. per-step noise the
   * increments of log d over dk steps have variance dk v, and the estimate
   * (a sum of them over T steps, divided by T) has variance v / T. */
  m->lyapunov_se = NAN;
  if (n >= 3 && finite && step[n - 1] != step[0]) {
    double s1 = 0, s2 = 0;
    size_t k = 0;
    for (size_t i = 1; i < n; ++i) {
      double dk = (double)(step[i] - step[i - 1]);
      if (dk <= 0 || dist[i] <= GV_MEAS_FLOOR || dist[i - 1] <= GV_MEAS_FLOOR) continue;
      double inc = log(dist[i] / dist[i - 1]) / sqrt(dk); /* variance v per point */
      s1 += inc;
      s2 += inc * inc;
      k++;
    }
    if (k >= 2) {
      double v = fmax(0.0, (s2 - s1 * s1 / (double)k) / (double)(k - 1));
      m->lyapunov_se = sqrt(v / (double)(step[n - 1] - step[0]));
    }
  }

  size_t used = 0;
  m->rate = fit_slope(step, dist, n / 10, n, &used);
  if (used < 2) m->rate = fit_slope(step, dist, 0, n, &used);

  if (!finite || dist[n - 1] > GV_MEAS_BLOWUP * fmax(dist[0], 1e-12))
    m->verdict = GV_VERDICT_DIVERGES;
  else if (m->iters_to_converge >= 0)
    m->verdict = GV_VERDICT_CONVERGES;
  else if (n < 2)
    m->verdict = GV_VERDICT_UNKNOWN;   /* one point shows no trend */
  else if (m->rate < 0.0 && last_max < 0.5 * first_max)
    m->verdict = GV_VERDICT_CONVERGES;
  else if (m->rate > 0.0 && last_min > 2.0 * first_max)
    m->verdict = GV_VERDICT_DIVERGES;
  else if (grows_throughout(dist, n))
    m->verdict = GV_VERDICT_DIVERGES;
  else
    m->verdict = GV_VERDICT_OSCILLATES;
}

/* ---------------------------------------------------------------- agreement
 *
 * Agreement: both verdicts known and equal; when both converge, the
 * predicted rate per step (the Lyapunov exponent for stochastic predictions,
 * compared with the measured lyapunov; else the rate, compared with the
 * measured rate) is finite and negative, and the measured one is finite,
 * they must also satisfy |measured - predicted| <= rel_tol |predicted|.
 * An UNKNOWN verdict on either side never agrees. */
int gv_agree(const gv_prediction *p, const gv_measurement *m, double rel_tol) {
  if (!p || !m) return 0;
  if (p->verdict == GV_VERDICT_UNKNOWN || m->verdict == GV_VERDICT_UNKNOWN) return 0;
  if (p->verdict != m->verdict) return 0;
  if (p->verdict != GV_VERDICT_CONVERGES) return 1;
  double pr = p->stochastic ? p->lyapunov : p->rate;
  double mr = p->stochastic ? m->lyapunov : m->rate;
  if (!(isfinite(pr) && pr < 0.0) || !isfinite(mr)) return 1;
  double tol = rel_tol * fabs(pr);
  if (p->stochastic && isfinite(m->lyapunov_se)) tol = fmax(tol, 3.0 * m->lyapunov_se);
  return fabs(mr - pr) <= tol;
}
