/* Tests of gan/stability.c: eigenvalues, finite-difference Jacobians, the
 * scalar-noise Lyapunov exponent, the measurement rules, agreement, and the
 * predictions on the Dirac-GAN (docs/theory/dirac.md, sections 3 to 6). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "controllers/ctl.h"
#include "core/config.h"
#include "gan/dirac.h"
#include "gan/scheme.h"
#include "core/rng.h"
#include "gan/stability.h"

/* cmocka 1.1.5 (Debian 12) has no assert_double_equal; NaN never passes. */
#define assert_near(a, b, tol) assert_near_((a), (b), (tol), #a, __FILE__, __LINE__)
static void assert_near_(double a, double b, double tol, const char *expr, const char *file,
                         int line) {
  if (!(fabs(a - b) <= tol)) {
    print_error("%s = %.17g, want %.17g +- %.3g\n", expr, a, b, tol);
    _fail(file, line);
  }
}

/* ------------------------------------------------------------- eigenvalues */

static void check_eig(const double *A, size_t n, const double *wre, const double *wim,
                      double tol) {
  double re[GV_STAB_MAXN], im[GV_STAB_MAXN];
  assert_int_equal(gv_eig(A, n, re, im), GV_OK);
  for (size_t i = 0; i < n; ++i) {
    assert_near(re[i], wre[i], tol);
    assert_near(im[i], wim[i], tol);
  }
}

static void test_verdict_name(void **state) {
  (void)state;
  assert_string_equal(gv_verdict_name(GV_VERDICT_CONVERGES), "converges");
  assert_string_equal(gv_verdict_name(GV_VERDICT_OSCILLATES), "oscillates");
  assert_string_equal(gv_verdict_name(GV_VERDICT_DIVERGES), "diverges");
  assert_string_equal(gv_verdict_name(GV_VERDICT_UNKNOWN), "unknown");
}

static void test_eig_rotation(void **state) {
  (void)state;
  double a = 0.3, c = cos(a), s = sin(a);
  double R[4] = {c, -s, s, c};
  double wre[2] = {c, c}, wim[2] = {s, -s};   /* +im first on a modulus tie */
  check_eig(R, 2, wre, wim, 1e-14);
}

static void test_eig_defective(void **state) {
  (void)state;
  /* A Jordan block: the double eigenvalue is only determined to about
   * sqrt(machine epsilon) by any backward-stable method. */
  double A[4] = {2.0, 1.0, 0.0, 2.0};
  double wre[2] = {2.0, 2.0}, wim[2] = {0.0, 0.0};
  check_eig(A, 2, wre, wim, 1e-7);
}

/* A = S B S^-1 with S unit upper triangular (inverse known in closed form). */
static void similar3(const double *B, double *A) {
  double a = 0.7, b = -1.3, c = 2.1;
  double S[9] = {1, a, b, 0, 1, c, 0, 0, 1};
  double Si[9] = {1, -a, a * c - b, 0, 1, -c, 0, 0, 1};
  double T[9] = {0};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) T[i * 3 + j] += S[i * 3 + k] * B[k * 3 + j];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      A[i * 3 + j] = 0.0;
      for (int k = 0; k < 3; ++k) A[i * 3 + j] += T[i * 3 + k] * Si[k * 3 + j];
    }
}

static void test_eig_3x3(void **state) {
  (void)state;
  /* Spectrum 0.5 +- 2i, -1. */
  double B[9] = {0.5, -2.0, 0.0, 2.0, 0.5, 0.0, 0.0, 0.0, -1.0}, A[9];
  similar3(B, A);
  double wre[3] = {0.5, 0.5, -1.0}, wim[3] = {2.0, -2.0, 0.0};
  check_eig(A, 3, wre, wim, 1e-12);

  /* Three eigenvalues of modulus 1 (i, -i, -1): ties by decreasing imag. */
  double B2[9] = {0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0};
  similar3(B2, A);
  double vre[3] = {0.0, -1.0, 0.0}, vim[3] = {1.0, 0.0, -1.0};
  check_eig(A, 3, vre, vim, 1e-12);

  /* Triangular, real: sorted by modulus regardless of sign. */
  double U[9] = {1.0, 2.0, 3.0, 0.0, -4.0, 5.0, 0.0, 0.0, 0.5};
  double ure[3] = {-4.0, 1.0, 0.5}, uim[3] = {0.0, 0.0, 0.0};
  check_eig(U, 3, ure, uim, 1e-12);
}

static void test_eig_bad_input(void **state) {
  (void)state;
  double A[4] = {1, 0, 0, 1}, re[2], im[2];
  assert_int_equal(gv_eig(A, 0, re, im), GV_EINVAL);
  assert_int_equal(gv_eig(A, GV_STAB_MAXN + 1, re, im), GV_EINVAL);
  A[1] = NAN;
  assert_int_equal(gv_eig(A, 2, re, im), GV_EINVAL);
  double one = -3.0;
  assert_int_equal(gv_eig(&one, 1, re, im), GV_OK);
  assert_true(re[0] == -3.0 && im[0] == 0.0);
}

/* ------------------------------------------------------------ FD Jacobian */

static void poly_map(void *ctx, const double *x, double *y) {
  (void)ctx;
  y[0] = x[0] * x[0] * x[0] - x[1] * x[2];
  y[1] = x[0] * x[1] * x[1] + 2.0;
  y[2] = x[2] * x[2] * x[0] - 3.0 * x[1];
}

static void test_fd_jacobian(void **state) {
  (void)state;
  double x[3] = {0.7, -1.2, 2.5}, J[9];
  gv_fd_jacobian(poly_map, NULL, 3, x, 1e-5, J);
  double want[9] = {3 * x[0] * x[0], -x[2], -x[1],
                    x[1] * x[1], 2 * x[0] * x[1], 0.0,
                    x[2] * x[2], -3.0, 2 * x[2] * x[0]};
  /* Central differences: error eps^2 f'''/6 ~ 1e-10 plus roundoff ~ 1e-11. */
  for (int i = 0; i < 9; ++i) assert_near(J[i], want[i], 1e-8);
  /* x is left untouched. */
  assert_true(x[0] == 0.7 && x[1] == -1.2 && x[2] == 2.5);
}

/* ------------------------------------------------------ Lyapunov exponent */

/* Small-noise expansion (see stability.c): with w = s / mu,
 * E log|mu + s b| = log|mu| - Re(w^2)/2 - 3 Re(w^4)/4 - ...; written here in
 * polar form, independently of the library's complex arithmetic. */
static double lyap_series(double r, double phi, double s) {
  double t = s / r;
  return log(r) + t * t * (0.5 - cos(phi) * cos(phi)) - 0.75 * pow(t, 4) * cos(4 * phi);
}

/* Monte Carlo mean and standard error of log|mu + s b| with a fixed seed. */
static void lyap_mc(double mre, double mim, double s, long N, unsigned long seed, double *mean,
                    double *se) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  double sum = 0.0, sum2 = 0.0;
  for (long i = 0; i < N; ++i) {
    double b = gsl_ran_gaussian(r, 1.0), u = mre + s * b;
    double l = 0.5 * log(u * u + mim * mim);
    sum += l;
    sum2 += l * l;
  }
  gsl_rng_free(r);
  *mean = sum / (double)N;
  double var = sum2 / (double)N - *mean * *mean;
  *se = sqrt(var / (double)N);
}

/* Trapezoid rule on [-12, 12] (spectrally accurate for a smooth integrand
 * times the Gaussian): an independent check of the quadrature path. */
static double lyap_trapezoid(double mre, double mim, double s) {
  const double L = 12.0, dx = 1e-3;
  long m = (long)(2.0 * L / dx + 0.5);
  double sum = 0.0;
  for (long i = 0; i <= m; ++i) {
    double b = -L + dx * (double)i, u = mre + s * b;
    double f = 0.5 * log(u * u + mim * mim) * exp(-0.5 * b * b);
    sum += (i == 0 || i == m) ? 0.5 * f : f;
  }
  return sum * dx / sqrt(2.0 * M_PI);
}

static void test_lyap_zero_noise(void **state) {
  (void)state;
  double re[3] = {0.3, 0.9, -0.2}, im[3] = {0.4, -0.1, 0.0};
  double want = log(hypot(0.9, -0.1));
  assert_near(gv_lyapunov_scalar_noise(re, im, 3, 0.0), want, 1e-15);
  double z = 0.0;
  assert_true(gv_lyapunov_scalar_noise(&z, &z, 1, 0.0) == -INFINITY);
}

static void test_lyap_small_noise_series(void **state) {
  (void)state;
  /* Both sides of the series/quadrature switch (s/|mu| = 1e-3), several
   * angles including real (phi = 0, pi) and imaginary (phi = pi/2) mu. */
  const double phis[] = {0.0, 0.1, 0.7, M_PI / 4, M_PI / 2, 2.0, M_PI};
  const double ss[] = {1e-5, 5e-4, 2e-3, 1e-2};
  const double r = 0.8;
  for (size_t a = 0; a < sizeof phis / sizeof *phis; ++a)
    for (size_t b = 0; b < sizeof ss / sizeof *ss; ++b) {
      double mre = r * cos(phis[a]), mim = r * sin(phis[a]);
      double got = gv_lyapunov_scalar_noise(&mre, &mim, 1, ss[b]);
      double t = ss[b] / r;
      /* next series term: 5/2 t^6, plus the quadrature tolerance */
      double tol = 3.0 * pow(t, 6) + 1e-12 * t * t + 1e-15;
      assert_near(got, lyap_series(r, phis[a], ss[b]), tol);
    }
}

static void test_lyap_monte_carlo(void **state) {
  (void)state;
  /* A map eigenvalue on the unit circle, mu = exp(0.1 i), with noise
   * s = 0.1; expected about
   * 0.01 (1/2 - cos^2 0.1) = -0.0049. */
  double mre = cos(0.1), mim = sin(0.1), s = 0.1;
  double got = gv_lyapunov_scalar_noise(&mre, &mim, 1, s);
  double mean, se;
  lyap_mc(mre, mim, s, 1000000, 12345, &mean, &se);
  assert_true(fabs(got - mean) <= 3.0 * se);
  assert_near(got, -0.0049, 2e-4);
  assert_near(got, lyap_trapezoid(mre, mim, s), 1e-12);

  /* Real mu with the singular point inside the bulk of the density (qagp
   * path), and mu = 0 (closed form). */
  const double cases[][3] = {{1.0, 0.0, 1.0}, {-0.5, 0.0, 2.0}, {0.3, 0.05, 1.0},
                             {0.0, 0.0, 0.7}, {1.0, 0.0, 0.3}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    double cr = cases[i][0], ci = cases[i][1], cs = cases[i][2];
    double v = gv_lyapunov_scalar_noise(&cr, &ci, 1, cs);
    lyap_mc(cr, ci, cs, 1000000, 777 + i, &mean, &se);
    assert_true(isfinite(v));
    assert_true(fabs(v - mean) <= 3.0 * se);
  }
  double z = 0.0, s7 = 0.7;
  assert_near(gv_lyapunov_scalar_noise(&z, &z, 1, s7),
                      log(s7) - 0.5 * (0.57721566490153286 + log(2.0)), 1e-15);
}

static void test_lyap_grid(void **state) {
  (void)state;
  /* Every path over a wide grid: finite, the smooth cases equal to the
   * trapezoid rule, and the max over eigenvalues taken. */
  const double rs[] = {1e-3, 0.5, 1.0, 3.0};
  const double ss[] = {1e-6, 1e-3, 0.01, 0.1, 1.0, 10.0, 1e3};
  for (int k = 0; k <= 12; ++k)
    for (size_t a = 0; a < sizeof rs / sizeof *rs; ++a)
      for (size_t b = 0; b < sizeof ss / sizeof *ss; ++b) {
        double phi = M_PI * k / 12.0;
        double mre = rs[a] * cos(phi), mim = rs[a] * sin(phi), s = ss[b];
        double v = gv_lyapunov_scalar_noise(&mre, &mim, 1, s);
        assert_true(isfinite(v));
        /* the trapezoid is exact only where the integrand is smooth on
         * the grid's scale */
        if (fabs(mim) > 0.5 * s && s * 12.0 > 1e-3 * rs[a] && s < 50.0)
          assert_near(v, lyap_trapezoid(mre, mim, s), 1e-10);
      }
  double re[2] = {0.9, 0.0}, im[2] = {0.0, 0.95}, s = 0.3;
  double l0 = gv_lyapunov_scalar_noise(&re[0], &im[0], 1, s);
  double l1 = gv_lyapunov_scalar_noise(&re[1], &im[1], 1, s);
  assert_true(gv_lyapunov_scalar_noise(re, im, 2, s) == fmax(l0, l1));
  /* Near the imaginary axis noise destabilises: 0.95 i with s 0.3 grows. */
  assert_true(l1 > log(0.95));
  assert_true(l0 < log(0.9));
}

/* ------------------------------------------------------------ measurement */

static void test_measure_geometric(void **state) {
  (void)state;
  enum { N = 1000 };
  int64_t step[N];
  double d[N];
  const double q = 0.97;
  for (int k = 0; k < N; ++k) {
    step[k] = 10 * k;                 /* one point every 10 steps */
    d[k] = 2.0 * pow(q, k);
  }
  gv_measurement m;
  gv_measure(step, d, N, 1e-3, &m);
  double per_step = log(q) / 10.0;
  assert_int_equal(m.n, N);
  assert_near(m.rate, per_step, 1e-6 * fabs(per_step));
  assert_near(m.lyapunov, per_step, 1e-9);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  int first = 0;
  while (!(d[first] < 1e-3)) ++first;
  assert_int_equal(m.iters_to_converge, step[first]);
  assert_true(m.final_distance == d[N - 1]);

  /* A run that reaches a roundoff floor early: the floor is excluded. */
  for (int k = 0; k < N; ++k) {
    step[k] = k;
    d[k] = fmax(3.0 * pow(0.5, k), 1e-15);
  }
  gv_measure(step, d, 200, 1e-8, &m);
  assert_near(m.rate, log(0.5), 1e-6 * log(2.0));
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);

  /* Exactly zero at the end: a finite, very negative exponent. */
  d[199] = 0.0;
  gv_measure(step, d, 200, 1e-8, &m);
  assert_true(isfinite(m.lyapunov) && m.lyapunov < -3.0);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
}

static void test_measure_slow_convergence(void **state) {
  (void)state;
  enum { N = 1000 };
  int64_t step[N];
  double d[N];
  for (int k = 0; k < N; ++k) {
    step[k] = k;
    d[k] = pow(0.999, k);             /* 0.37 at the end: not under tol */
  }
  gv_measurement m;
  gv_measure(step, d, N, 1e-6, &m);
  assert_int_equal(m.iters_to_converge, -1);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  assert_near(m.rate, log(0.999), 1e-9);

  /* Decaying, but the last quarter is still above half the first: too slow
   * to call within the window, so OSCILLATES by rule 5. */
  for (int k = 0; k < N; ++k) d[k] = pow(0.9997, k);
  gv_measure(step, d, N, 1e-6, &m);
  assert_true(m.rate < 0.0);
  assert_int_equal(m.verdict, GV_VERDICT_OSCILLATES);

  /* Rule 4b: a slow rise at every point of the second half is growth, but
   * one dip back, or a rise under 5%, is not. */
  for (int k = 0; k < N; ++k) d[k] = 1.0 + 1e-3 * k; /* +33% over the second half */
  gv_measure(step, d, N, 1e-6, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
  d[N - 10] = d[N - 12];
  gv_measure(step, d, N, 1e-6, &m);
  assert_int_equal(m.verdict, GV_VERDICT_OSCILLATES);
  for (int k = 0; k < N; ++k) d[k] = 1.0 + 1e-6 * k;
  gv_measure(step, d, N, 1e-6, &m);
  assert_int_equal(m.verdict, GV_VERDICT_OSCILLATES);

  /* A transient plateau over the first 10% of the points is left out of the
   * fit. */
  for (int k = 0; k < N; ++k) d[k] = k < N / 10 ? 1.0 : pow(0.99, k - N / 10);
  gv_measure(step, d, N, 1e-9, &m);
  assert_near(m.rate, log(0.99), 1e-9);
}

static void test_measure_sinusoid(void **state) {
  (void)state;
  enum { N = 2000 };
  int64_t step[N];
  double d[N];
  for (int k = 0; k < N; ++k) {
    step[k] = k;
    d[k] = 1.0 + 0.5 * sin(0.05 * k);
  }
  gv_measurement m;
  gv_measure(step, d, N, 1e-3, &m);
  assert_int_equal(m.verdict, GV_VERDICT_OSCILLATES);
  assert_int_equal(m.iters_to_converge, -1);
  assert_near(m.osc_range, 1.0, 1e-3);   /* 500 points cover 25 rad */
  assert_true(fabs(m.rate) < 1e-3);
}

static void test_measure_growth(void **state) {
  (void)state;
  enum { N = 1000 };
  int64_t step[N];
  double d[N];
  for (int k = 0; k < N; ++k) {
    step[k] = k;
    d[k] = 0.1 * pow(1.01, k);        /* x 2e4: below the blow-up bound */
  }
  gv_measurement m;
  gv_measure(step, d, N, 1e-3, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
  assert_near(m.rate, log(1.01), 1e-9);
  /* past the blow-up bound */
  for (int k = 0; k < N; ++k) d[k] = 0.1 * pow(1.02, k);
  gv_measure(step, d, N, 1e-3, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
}

static void test_measure_nonfinite(void **state) {
  (void)state;
  int64_t step[6] = {0, 1, 2, 3, 4, 5};
  double d[6] = {1.0, 0.5, NAN, 0.1, 0.05, 0.01};
  gv_measurement m;
  gv_measure(step, d, 6, 1e-1, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
  double e[6] = {1.0, 0.5, 0.2, 0.1, 0.05, INFINITY};
  gv_measure(step, e, 6, 1e-1, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
  assert_int_equal(m.iters_to_converge, -1);
  gv_measure(step, e, 0, 1e-1, &m);
  assert_int_equal(m.verdict, GV_VERDICT_UNKNOWN);
  gv_measure(step, e, 1, 1e-1, &m);        /* one point, above tol: no trend */
  assert_int_equal(m.verdict, GV_VERDICT_UNKNOWN);
  gv_measure(step, e, 1, 2.0, &m);         /* one point, below tol */
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  assert_int_equal(m.iters_to_converge, 0);
}

static void test_measure_iters(void **state) {
  (void)state;
  int64_t step[8] = {0, 5, 10, 15, 20, 25, 30, 35};
  /* dips below tol at step 10, bounces above at 15, stays below from 20 */
  double d[8] = {1.0, 0.5, 1e-4, 2e-3, 1e-4, 5e-5, 1e-5, 9.99e-4};
  gv_measurement m;
  gv_measure(step, d, 8, 1e-3, &m);
  assert_int_equal(m.iters_to_converge, 20);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  d[7] = 1e-3;                          /* not strictly below tol at the end */
  gv_measure(step, d, 8, 1e-3, &m);
  assert_int_equal(m.iters_to_converge, -1);
  /* below tol from the very first point */
  double c[3] = {1e-4, 1e-5, 1e-6};
  gv_measure(step, c, 3, 1e-3, &m);
  assert_int_equal(m.iters_to_converge, 0);
}

/* -------------------------------------------------------------- agreement */

/* The standard error of the Lyapunov estimate of a log-random walk with
 * per-step noise sigma over T steps is sigma / sqrt(T), also when only every
 * 10th point is logged. */
static void test_measure_lyapunov_se(void **state) {
  (void)state;
  enum { T = 20000, EVERY = 10, N = T / EVERY + 1 };
  static int64_t step[N];
  static double d[N];
  gsl_rng *r = gv_rng_alloc(3, "se", 0);
  double logd = 0.0, sigma = 0.05;
  for (int k = 0, i = 0; k <= T; ++k) {
    if (k % EVERY == 0) {
      step[i] = k;
      d[i++] = exp(logd);
    }
    logd += -0.001 + sigma * gv_rng_normal(r);
  }
  gv_measurement m;
  gv_measure(step, d, N, 1e-300, &m);
  assert_near(m.lyapunov_se, sigma / sqrt((double)T), 0.1 * sigma / sqrt((double)T));
  assert_true(fabs(m.lyapunov + 0.001) < 4 * m.lyapunov_se);
  gsl_rng_free(r);
}

static void test_agree(void **state) {
  (void)state;
  gv_prediction p;
  gv_measurement m;
  memset(&p, 0, sizeof p);
  memset(&m, 0, sizeof m);
  p.verdict = m.verdict = GV_VERDICT_CONVERGES;
  p.rate = -0.02;
  m.rate = -0.021;
  assert_true(gv_agree(&p, &m, 0.1));
  assert_false(gv_agree(&p, &m, 0.01));
  m.rate = NAN;                         /* no measured rate: verdicts decide */
  assert_true(gv_agree(&p, &m, 0.01));
  /* stochastic: the measured lyapunov is compared, not the rate */
  p.stochastic = 1;
  p.lyapunov = p.rate = -0.005;
  m.rate = -1.0;
  m.lyapunov = -0.0052;
  assert_true(gv_agree(&p, &m, 0.05));
  assert_false(gv_agree(&p, &m, 0.01));
  /* a noisy estimate agrees within three standard errors, not beyond */
  m.lyapunov = -0.0072;
  m.lyapunov_se = 0.0015;
  assert_true(gv_agree(&p, &m, 0.2));
  m.lyapunov_se = 0.0001;
  assert_false(gv_agree(&p, &m, 0.2));
  m.lyapunov_se = 0.0;
  /* different verdicts, unknown */
  m.verdict = GV_VERDICT_OSCILLATES;
  assert_false(gv_agree(&p, &m, 1.0));
  p.verdict = m.verdict = GV_VERDICT_OSCILLATES;
  assert_true(gv_agree(&p, &m, 0.0));
  p.verdict = m.verdict = GV_VERDICT_UNKNOWN;
  assert_false(gv_agree(&p, &m, 1.0));
}

/* ------------------------------------------------- predictions (Dirac-GAN) */

/* A Dirac-GAN run: the game, its controllers (YAML list), the scheme. */
typedef struct dirac_run {
  gv_dirac d;
  gv_ctl_stack ctl;
  gv_scheme s;
} dirac_run;

static void dirac_setup(dirac_run *r, int loss, const char *scheme, double h, long n_d,
                        const char *controllers_yaml) {
  gv_err err = {0};
  gv_dirac_params dp = {.loss = loss, .c = 0.0, .theta0 = 1.0, .psi0 = 1.0};
  gv_dirac_init(&r->d, &dp);
  gv_node *seq = NULL;
  if (controllers_yaml)
    assert_int_equal(gv_cfg_parse_string(controllers_yaml, "test", &seq, &err), GV_OK);
  gv_cfg_ctx ctx = {"test", ""};
  gv_status st = gv_ctl_stack_load(&r->ctl, seq, &ctx, 42, &err);
  if (st != GV_OK) print_error("%s\n", err.msg);
  assert_int_equal(st, GV_OK);
  gv_node_free(seq);
  gv_scheme_params sp = {.h = h, .steps = 100, .n_g = 1, .n_d = n_d, .eps_abs = 1e-12,
                         .eps_rel = 1e-10};
  st = gv_scheme_init(&r->s, gv_scheme_find(scheme), &sp, &r->d.vf, &r->ctl, &err);
  if (st != GV_OK) print_error("%s\n", err.msg);
  assert_int_equal(st, GV_OK);
}

static void dirac_teardown(dirac_run *r) {
  gv_scheme_deinit(&r->s);
  gv_ctl_stack_free(&r->ctl);
}

static void predict_ok(dirac_run *r, gv_prediction *p) {
  gv_err err = {0};
  gv_status st = gv_predict(&r->s, p, &err);
  if (st != GV_OK) print_error("%s\n", err.msg);
  assert_int_equal(st, GV_OK);
  assert_true(p->residual <= 1e-12);
}

/* Map eigenvalues come from central differences of the step (eps 1e-6): a
 * roundoff of about 1e-10. */
#define MAP_TOL 1e-8

static void test_predict_simgd_bare(void **state) {
  (void)state;
  dirac_run r;
  gv_prediction p;
  dirac_setup(&r, GV_LOSS_STANDARD, "simgd", 0.2, 1, NULL);
  predict_ok(&r, &p);
  assert_int_equal(p.n, 2);
  assert_near(p.jac_re[0], 0.0, 1e-15);
  assert_near(p.jac_im[0], 0.5, 1e-15);   /* f'(0) = 1/2 */
  assert_near(p.jac_im[1], -0.5, 1e-15);
  assert_true(p.discrete && !p.stochastic);
  assert_near(p.map_re[0], 1.0, MAP_TOL);
  assert_near(p.map_im[0], 0.1, MAP_TOL);
  assert_near(p.map_im[1], -0.1, MAP_TOL);
  assert_near(p.spectral_radius, 1.0049876, 1e-7);
  assert_near(p.rate, 0.5 * log(1.01), MAP_TOL);
  assert_int_equal(p.verdict, GV_VERDICT_DIVERGES);

  /* From (1, 1), theta^2 + psi^2 grows at every one of 500 steps. */
  enum { N = 501 };
  int64_t step[N];
  double dist[N], x[2] = {1.0, 1.0};
  for (int k = 0; k < N; ++k) {
    step[k] = k;
    dist[k] = hypot(x[0], x[1]);
    if (k > 0) assert_true(dist[k] > dist[k - 1]);
    assert_int_equal(r.s.type->step(&r.s, x, NULL), GV_OK);
  }
  /* f' saturates far from (0, 0): the distance only goes from 1.41 to
   * 3.10, but it rises at every step, so rule 4b calls it diverging.  Near
   * the equilibrium the linearisation holds: from (0.01, 0.01) the distance
   * grows as 1.0049876^k. */
  gv_measurement m;
  gv_measure(step, dist, N, 1e-3, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
  x[0] = x[1] = 0.01;
  for (int k = 0; k < N; ++k) {
    dist[k] = hypot(x[0], x[1]);
    assert_int_equal(r.s.type->step(&r.s, x, NULL), GV_OK);
  }
  gv_measure(step, dist, N, 1e-3, &m);
  assert_int_equal(m.verdict, GV_VERDICT_DIVERGES);
  assert_near(m.rate, p.rate, 0.02 * p.rate);
  assert_true(gv_agree(&p, &m, 0.1));
  dirac_teardown(&r);
}

static void test_predict_altgd(void **state) {
  (void)state;
  dirac_run r;
  gv_prediction p;
  /* a = h f'(0) = 0.1: eigenvalues 1 - a^2/2 +- i sqrt(1 - (1 - a^2/2)^2). */
  dirac_setup(&r, GV_LOSS_STANDARD, "altgd", 0.2, 1, NULL);
  predict_ok(&r, &p);
  assert_near(p.map_re[0], 0.995, MAP_TOL);
  assert_near(p.map_im[0], 0.0998749, 1e-7);
  assert_near(p.map_im[1], -0.0998749, 1e-7);
  assert_near(p.spectral_radius, 1.0, 1e-9);
  assert_int_equal(p.verdict, GV_VERDICT_OSCILLATES);
  dirac_teardown(&r);

  dirac_setup(&r, GV_LOSS_STANDARD, "altgd", 0.2, 5, NULL);
  predict_ok(&r, &p);
  assert_near(p.map_re[0], 0.975, MAP_TOL);
  assert_near(p.map_im[0], 0.2222049, 1e-7);
  assert_int_equal(p.verdict, GV_VERDICT_OSCILLATES);
  dirac_teardown(&r);

  /* h = 10, a = 5: real eigenvalues -22.9564392 and -0.0435608. */
  dirac_setup(&r, GV_LOSS_STANDARD, "altgd", 10.0, 1, NULL);
  predict_ok(&r, &p);
  assert_near(p.map_re[0], -22.9564392, 1e-6);
  assert_near(p.map_re[1], -0.0435608, 1e-6);
  assert_near(p.map_im[0], 0.0, 1e-12);
  assert_int_equal(p.verdict, GV_VERDICT_DIVERGES);
  dirac_teardown(&r);
}

static void test_predict_regularised(void **state) {
  (void)state;
  dirac_run r;
  gv_prediction p;
  /* R1 gamma 0.3: -0.15 +- 0.4769696 i; simgd h = 0.2 < 4 gamma converges
   * with |1 + h l|^2 = 0.95. */
  dirac_setup(&r, GV_LOSS_STANDARD, "simgd", 0.2, 1, "- kind: r1\n  gamma: 0.3\n");
  predict_ok(&r, &p);
  assert_near(p.jac_re[0], -0.15, 1e-8);
  assert_near(p.jac_im[0], 0.4769696, 1e-7);
  assert_near(p.jac_im[1], -0.4769696, 1e-7);
  assert_near(p.rate, log(hypot(1.0 - 0.2 * 0.15, 0.2 * 0.4769696)), 1e-7);
  assert_near(p.rate, 0.5 * log(0.95), MAP_TOL);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);

  /* The measured rate of a run matches within 1%. */
  enum { N = 500 };
  int64_t step[N];
  double dist[N], x[2] = {1.0, 1.0};
  for (int k = 0; k < N; ++k) {
    step[k] = k;
    dist[k] = hypot(x[0], x[1]);
    assert_int_equal(r.s.type->step(&r.s, x, NULL), GV_OK);
  }
  gv_measurement m;
  gv_measure(step, dist, N, 1e-6, &m);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  assert_true(gv_agree(&p, &m, 0.01));
  dirac_teardown(&r);

  /* R1 gamma 2: -0.1339746 and -1.8660254; h = 0.2 is above 2|l|/|l|^2 for
   * neither (|1 - 0.2 * 1.866| < 1): converges. */
  dirac_setup(&r, GV_LOSS_STANDARD, "simgd", 0.2, 1, "- kind: r1\n  gamma: 2.0\n");
  predict_ok(&r, &p);
  assert_near(p.jac_re[0], -1.8660254, 1e-7);
  assert_near(p.jac_re[1], -0.1339746, 1e-7);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
  dirac_teardown(&r);

  /* R1 gamma 0.3 with h = 1.5 > 4 gamma = 1.2: diverges. */
  dirac_setup(&r, GV_LOSS_STANDARD, "simgd", 1.5, 1, "- kind: r1\n  gamma: 0.3\n");
  predict_ok(&r, &p);
  assert_int_equal(p.verdict, GV_VERDICT_DIVERGES);
  dirac_teardown(&r);

  /* Consensus gamma 1: -0.25 +- 0.5 i.  Instance noise 0.7: -0.1225 +-
   * 0.4847615 i. */
  dirac_setup(&r, GV_LOSS_STANDARD, "simgd", 0.2, 1, "- kind: consensus\n  gamma: 1.0\n");
  predict_ok(&r, &p);
  assert_near(p.jac_re[0], -0.25, 1e-7);
  assert_near(p.jac_im[0], 0.5, 1e-7);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
  dirac_teardown(&r);
  dirac_setup(&r, GV_LOSS_STANDARD, "simgd", 0.2, 1, "- kind: instance_noise\n  sigma: 0.7\n");
  predict_ok(&r, &p);
  assert_near(p.jac_re[0], -0.1225, 1e-6);
  assert_near(p.jac_im[0], 0.4847615, 1e-6);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
  dirac_teardown(&r);
}

static void test_predict_ode(void **state) {
  (void)state;
  dirac_run r;
  gv_prediction p;
  dirac_setup(&r, GV_LOSS_STANDARD, "ode", 0.2, 1, NULL);
  predict_ok(&r, &p);
  assert_false(p.discrete);
  assert_true(isnan(p.spectral_radius));
  assert_near(p.rate, 0.0, 1e-15);
  assert_int_equal(p.verdict, GV_VERDICT_OSCILLATES);   /* theta^2 + psi^2 conserved */
  dirac_teardown(&r);

  dirac_setup(&r, GV_LOSS_STANDARD, "ode", 0.2, 1, "- kind: r1\n  gamma: 0.3\n");
  predict_ok(&r, &p);
  assert_near(p.rate, -0.15 * 0.2, 1e-8);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
  dirac_teardown(&r);
}

/* Runs K steps from (1, 1), sampling the distance every `every` steps. */
static void run_measure(dirac_run *r, gsl_rng *rng, long K, long every, double tol,
                        gv_measurement *m) {
  size_t n = (size_t)(K / every) + 1, j = 0;
  int64_t *step = malloc(n * sizeof *step);
  double *dist = malloc(n * sizeof *dist), x[2] = {1.0, 1.0};
  assert_non_null(step);
  assert_non_null(dist);
  for (long k = 0; k <= K; ++k) {
    if (k % every == 0) {
      step[j] = k;
      dist[j++] = hypot(x[0], x[1]);
    }
    if (k < K) assert_int_equal(r->s.type->step(&r->s, x, rng), GV_OK);
  }
  gv_measure(step, dist, j, tol, m);
  free(step);
  free(dist);
}

static void test_predict_bmc_update(void **state) {
  (void)state;
  /* Public-code BMC on alternating GD, WGAN (f' = 1), h = 0.1: the map has
   * eigenvalues mu = 0.995 +- 0.0998749 i on the unit circle and the update
   * adds rho1 b (x_pre - xstar): x_{k+1} = (M + 0.1 b I) x_k.  Exponent
   * E log|mu + 0.1 b| ~ 0.01 (1/2 - cos^2 arg mu) - 0.75e-4 cos(4 arg mu)
   * = -0.004971 per step (the series' next terms are ~2e-6). */
  dirac_run r;
  gv_prediction p;
  dirac_setup(&r, GV_LOSS_WGAN, "altgd", 0.1, 1,
              "- kind: bmc_update\n  rho1: 0.1\n  rho2: 0.0\n");
  predict_ok(&r, &p);
  assert_true(p.stochastic && p.discrete);
  assert_near(p.noise_scale, 0.1, 1e-15);
  assert_near(p.map_re[0], 0.995, MAP_TOL);
  assert_near(p.map_im[0], 0.0998749, 1e-7);
  double phi = atan2(p.map_im[0], p.map_re[0]);
  assert_near(p.lyapunov, lyap_trapezoid(p.map_re[0], p.map_im[0], 0.1), 1e-10);
  assert_near(p.lyapunov, 0.01 * (0.5 - cos(phi) * cos(phi)) - 0.75e-4 * cos(4 * phi), 1e-5);
  assert_near(p.lyapunov, -0.00497, 3e-5);
  assert_true(p.rate == p.lyapunov);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);

  /* The linear system (WGAN, rho2 = 0) measured over 1e5 steps: the
   * exponent's standard error is ~0.1 / sqrt(1e5) = 3e-4, 6% of it. */
  gv_measurement m;
  run_measure(&r, NULL, 100000, 100, 1e-6, &m);
  print_message("bmc_update: predicted %.6g, measured %.6g per step\n", p.lyapunov, m.lyapunov);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  assert_true(gv_agree(&p, &m, 0.2));
  dirac_teardown(&r);
}

static void test_predict_sde_bmc(void **state) {
  (void)state;
  /* The paper's BMC as an SDE under Euler-Maruyama, WGAN, h = 0.1: the
   * deterministic map I + hJ has 1 +- 0.1 i (outside the unit circle); the
   * diffusion's linearisation is rho1 I on B1 and 0 on B2, so
   * s = sqrt(h) rho1.  rho1 = 1 makes the exponent negative. */
  dirac_run r;
  gv_prediction p;
  dirac_setup(&r, GV_LOSS_WGAN, "sde", 0.1, 1, "- kind: bmc\n  rho1: 1.0\n  rho2: 0.0\n");
  predict_ok(&r, &p);
  assert_true(p.stochastic && p.discrete);
  assert_near(p.spectral_radius, sqrt(1.01), MAP_TOL);
  assert_near(p.noise_scale, sqrt(0.1), 1e-9);
  assert_near(p.lyapunov, lyap_trapezoid(p.map_re[0], p.map_im[0], sqrt(0.1)), 1e-9);
  assert_true(p.lyapunov < -0.04);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);

  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 2024);
  gv_measurement m;
  run_measure(&r, rng, 5000, 10, 1e-6, &m);
  gsl_rng_free(rng);
  print_message("sde bmc: predicted %.6g, measured %.6g per step\n", p.lyapunov, m.lyapunov);
  assert_int_equal(m.verdict, GV_VERDICT_CONVERGES);
  assert_true(gv_agree(&p, &m, 0.3));   /* ~3 standard errors */
  dirac_teardown(&r);

  /* Without noise the same scheme spirals out. */
  dirac_setup(&r, GV_LOSS_WGAN, "sde", 0.1, 1, NULL);
  predict_ok(&r, &p);
  assert_true(p.stochastic);
  assert_near(p.noise_scale, 0.0, 0.0);
  assert_near(p.lyapunov, 0.5 * log(1.01), MAP_TOL);
  assert_int_equal(p.verdict, GV_VERDICT_DIVERGES);
  dirac_teardown(&r);
}

/* ------------------------------------------- predictions on custom games */

/* x' = A x + c, A with spectrum -0.1 +- 0.5 i, -0.3 (similar3). */
typedef struct lin_game {
  double A[9], c[3], xstar[3];
  gv_vfgame vf;
} lin_game;

static void lin_field(const void *self, const double *x, double *v) {
  const lin_game *g = self;
  for (int i = 0; i < 3; ++i) {
    v[i] = g->c[i];
    for (int j = 0; j < 3; ++j) v[i] += g->A[i * 3 + j] * x[j];
  }
}

static void lin_init(lin_game *g, double offset) {
  double B[9] = {-0.1, -0.5, 0.0, 0.5, -0.1, 0.0, 0.0, 0.0, -0.3};
  similar3(B, g->A);
  memset(g->xstar, 0, sizeof g->xstar);
  g->c[0] = offset;
  g->c[1] = g->c[2] = 0.0;
  gv_vfgame vf = {.name = "linear3", .n = 3, .gen0 = 0, .ngen = 1, .disc0 = 1, .ndisc = 2,
                  .xstar = g->xstar, .self = g, .field = lin_field};
  g->vf = vf;
}

static void test_predict_linear_game(void **state) {
  (void)state;
  lin_game g;
  lin_init(&g, 0.0);
  gv_scheme s;
  gv_err err = {0};
  gv_scheme_params sp = {.h = 0.5, .steps = 10, .n_g = 1, .n_d = 1, .eps_abs = 1e-12,
                         .eps_rel = 1e-10};
  assert_int_equal(gv_scheme_init(&s, gv_scheme_find("simgd"), &sp, &g.vf, NULL, &err), GV_OK);
  gv_prediction p;
  assert_int_equal(gv_predict(&s, &p, &err), GV_OK);
  /* no analytic Jacobian: central differences of a linear field */
  assert_near(p.jac_re[0], -0.1, 1e-8);
  assert_near(p.jac_im[0], 0.5, 1e-8);
  assert_near(p.jac_re[2], -0.3, 1e-8);
  assert_near(p.map_re[0], 1.0 - 0.05, 1e-8);
  assert_near(p.map_im[0], 0.25, 1e-8);
  assert_near(p.map_re[2], 1.0 - 0.15, 1e-8);
  assert_near(p.rate, log(hypot(0.95, 0.25)), 1e-8);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
  gv_scheme_deinit(&s);

  /* ode: rate = max Re * h */
  assert_int_equal(gv_scheme_init(&s, gv_scheme_find("ode"), &sp, &g.vf, NULL, &err), GV_OK);
  assert_int_equal(gv_predict(&s, &p, &err), GV_OK);
  assert_near(p.rate, -0.05, 1e-8);
  assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
  gv_scheme_deinit(&s);

  /* xstar not an equilibrium: GV_OK, verdict unknown, a note. */
  lin_init(&g, 1e-6);
  assert_int_equal(gv_scheme_init(&s, gv_scheme_find("simgd"), &sp, &g.vf, NULL, &err), GV_OK);
  err.msg[0] = '\0';
  assert_int_equal(gv_predict(&s, &p, &err), GV_OK);
  assert_near(p.residual, 1e-6, 1e-18);
  assert_int_equal(p.verdict, GV_VERDICT_UNKNOWN);
  assert_true(strstr(err.msg, "not an equilibrium") != NULL);
  gv_scheme_deinit(&s);
}

/* A test-only controller whose diffusion is diag(1, 2, 2) (x - xstar) (not
 * a multiple of the identity), or a constant (additive noise). */
static size_t odd_noise_dim(const void *par) {
  (void)par;
  return 1;
}
static void odd_diffusion(const void *par, const gv_vfgame *g, const double *x, double *G) {
  const int *additive = par;
  for (size_t i = 0; i < g->n; ++i)
    G[i] += *additive ? 0.1 : (i == 0 ? 1.0 : 2.0) * (x[i] - g->xstar[i]);
}
static const gv_ctl_type odd_ctl = {
    .info = {"odd", "test diffusion", NULL, NULL, sizeof(int)},
    .vf_noise_dim = odd_noise_dim,
    .vf_diffusion = odd_diffusion};

static void test_predict_sde_unknown(void **state) {
  (void)state;
  lin_game g;
  lin_init(&g, 0.0);
  for (int additive = 0; additive <= 1; ++additive) {
    gv_ctl item = {.type = &odd_ctl, .par = &additive};
    gv_ctl_stack ctl = {.items = &item, .n = 1, .noise_dim = 1};
    gv_scheme s;
    gv_err err = {0};
    gv_scheme_params sp = {.h = 0.1, .steps = 10};
    assert_int_equal(gv_scheme_init(&s, gv_scheme_find("sde"), &sp, &g.vf, &ctl, &err), GV_OK);
    gv_prediction p;
    assert_int_equal(gv_predict(&s, &p, &err), GV_OK);
    assert_true(p.stochastic);
    assert_true(isnan(p.lyapunov));
    assert_int_equal(p.verdict, GV_VERDICT_UNKNOWN);
    assert_true(strstr(err.msg, additive ? "additive" : "not a multiple of the identity") != NULL);
    gv_scheme_deinit(&s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verdict_name),
      cmocka_unit_test(test_eig_rotation),
      cmocka_unit_test(test_eig_defective),
      cmocka_unit_test(test_eig_3x3),
      cmocka_unit_test(test_eig_bad_input),
      cmocka_unit_test(test_fd_jacobian),
      cmocka_unit_test(test_lyap_zero_noise),
      cmocka_unit_test(test_lyap_small_noise_series),
      cmocka_unit_test(test_lyap_monte_carlo),
      cmocka_unit_test(test_lyap_grid),
      cmocka_unit_test(test_measure_geometric),
      cmocka_unit_test(test_measure_slow_convergence),
      cmocka_unit_test(test_measure_sinusoid),
      cmocka_unit_test(test_measure_growth),
      cmocka_unit_test(test_measure_nonfinite),
      cmocka_unit_test(test_measure_iters),
      cmocka_unit_test(test_measure_lyapunov_se),
      cmocka_unit_test(test_agree),
      cmocka_unit_test(test_predict_simgd_bare),
      cmocka_unit_test(test_predict_altgd),
      cmocka_unit_test(test_predict_regularised),
      cmocka_unit_test(test_predict_ode),
      cmocka_unit_test(test_predict_bmc_update),
      cmocka_unit_test(test_predict_sde_bmc),
      cmocka_unit_test(test_predict_linear_game),
      cmocka_unit_test(test_predict_sde_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
