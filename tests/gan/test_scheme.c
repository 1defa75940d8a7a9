/* Update schemes on the Dirac-GAN: map eigenvalues against Mescheder et al.
 * 2018's closed forms (docs/theory/dirac.md, section 6), and the simulated
 * verdicts (spiral out, bounded oscillation, convergence at the predicted
 * rate, the step-size bound). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "tests/controllers/ctl_test_util.h"

/* ------------------------------------------------------ map eigenvalues */

static void map_eig(int loss, const char *scheme, const char *ctl, double h, long n_d,
                    double *re, double *im) {
  gv_dirac d;
  tu_dirac(&d, loss, 0.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, ctl, 1, &err), GV_OK);
  gv_scheme sc;
  gv_scheme_params p = tu_sp(h, n_d);
  if (gv_scheme_init(&sc, gv_scheme_find(scheme), &p, &d.vf, &s, &err) != GV_OK)
    fail_msg("%s", err.msg);
  double M[4], z[2] = {0, 0};
  gv_scheme_map_jacobian(&sc, z, M);
  tu_eig2(M, re, im);
  gv_scheme_deinit(&sc);
  gv_ctl_stack_free(&s);
}

static void test_map_eigenvalues(void **state) {
  (void)state;
  double re[2], im[2];
  /* simultaneous GD, h = 0.2: 1 +- 0.1 i, modulus 1.0049876 */
  map_eig(GV_LOSS_STANDARD, "simgd", "[]", 0.2, 1, re, im);
  assert_near(re[0], 1.0, 1e-8);
  assert_near(im[0], 0.1, 1e-8);
  assert_near(im[1], -0.1, 1e-8);
  assert_near(hypot(re[0], im[0]), 1.0049876, 1e-7);
  /* alternating 1:1, h = 0.2: 0.995 +- 0.0998749 i, modulus 1 */
  map_eig(GV_LOSS_STANDARD, "altgd", "[]", 0.2, 1, re, im);
  assert_near(re[0], 0.995, 1e-8);
  assert_near(im[0], 0.0998749, 1e-7);
  assert_near(hypot(re[1], im[1]), 1.0, 1e-8);
  /* alternating 1:5: 0.975 +- 0.2222049 i */
  map_eig(GV_LOSS_STANDARD, "altgd", "[]", 0.2, 5, re, im);
  assert_near(re[0], 0.975, 1e-8);
  assert_near(im[0], 0.2222049, 1e-7);
  /* alternating h = 10 (a = 5): real, -0.0435608 and -22.9564392 */
  map_eig(GV_LOSS_STANDARD, "altgd", "[]", 10.0, 1, re, im);
  assert_near(im[0], 0.0, 0);
  assert_near(re[0], -0.0435608, 1e-6);
  assert_near(re[1], -22.9564392, 1e-6);
  /* the sde scheme's deterministic part is the Euler step */
  map_eig(GV_LOSS_STANDARD, "sde", "[{kind: bmc}]", 0.2, 1, re, im);
  assert_near(re[0], 1.0, 1e-8);
  assert_near(im[0], 0.1, 1e-8);
  /* the update hooks are not part of the map (clip would flatten it) */
  map_eig(GV_LOSS_STANDARD, "simgd", "[{kind: clip, c: 1e-9}]", 0.2, 1, re, im);
  assert_near(im[0], 0.1, 1e-8);
  /* ode: the controlled field's Jacobian, R1 gamma 0.3 */
  map_eig(GV_LOSS_STANDARD, "ode", "[{kind: r1, gamma: 0.3}]", 0.2, 1, re, im);
  assert_near(re[0], -0.15, 1e-8);
  assert_near(im[0], 0.4769696, 1e-7);
}

/* ----------------------------------------------------------- simulation */

typedef struct traj {
  long n;                   /* steps taken */
  double *norm;             /* |x - xstar| after each step, norm[0] the start (n + 1) */
  gv_status st;             /* last step status */
} traj;

static traj run(int loss, const char *scheme, const char *ctl, double h, long n_d, long steps,
                double x0, double y0) {
  gv_dirac d;
  tu_dirac(&d, loss, 0.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, ctl, 7, &err), GV_OK);
  gv_scheme sc;
  gv_scheme_params p = tu_sp(h, n_d);
  if (gv_scheme_init(&sc, gv_scheme_find(scheme), &p, &d.vf, &s, &err) != GV_OK)
    fail_msg("%s", err.msg);
  traj t = {0, calloc((size_t)steps + 1, sizeof(double)), GV_OK};
  double x[2] = {x0, y0};
  t.norm[0] = hypot(x[0], x[1]);
  gsl_rng *r = gv_rng_alloc(7, "scheme", 0);
  for (t.n = 0; t.n < steps; ++t.n) {
    t.st = sc.type->step(&sc, x, r);
    t.norm[t.n + 1] = hypot(x[0], x[1]);
    if (t.st != GV_OK) break;
  }
  gsl_rng_free(r);
  gv_scheme_deinit(&sc);
  gv_ctl_stack_free(&s);
  return t;
}

/* Least-squares slope of log norm over steps [a, b]. */
static double log_slope(const traj *t, long a, long b) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  for (long k = a; k <= b; ++k) {
    double y = log(t->norm[k]);
    sx += k, sy += y, sxx += (double)k * k, sxy += k * y, n += 1;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static void test_simgd_spirals_out(void **state) {
  (void)state;
  traj t = run(GV_LOSS_STANDARD, "simgd", "[]", 0.2, 1, 500, 1.0, 1.0);
  assert_int_equal(t.st, GV_OK);
  assert_int_equal(t.n, 500);
  for (long k = 0; k < 500; ++k)
    if (!(t.norm[k + 1] > t.norm[k])) fail_msg("norm did not grow at step %ld", k + 1);
  free(t.norm);
}

static void test_altgd_oscillates(void **state) {
  (void)state;
  traj t = run(GV_LOSS_STANDARD, "altgd", "[]", 0.2, 1, 5000, 1.0, 1.0);
  assert_int_equal(t.st, GV_OK);
  double n0 = t.norm[0];
  for (long k = 0; k <= t.n; ++k)
    if (t.norm[k] < 0.5 * n0 || t.norm[k] > 2.0 * n0)
      fail_msg("norm %g at step %ld outside [0.5, 2] x %g", t.norm[k], k, n0);
  assert_true(t.norm[t.n] > 0.5);
  free(t.norm);
}

/* Converging controllers under simgd h = 0.2 from (1, 1): the measured decay
 * rate of log |x| matches log spectral radius of the map at (0, 0). */
static void check_rate(int loss, const char *ctl, double rho_ref) {
  double re[2], im[2];
  map_eig(loss, "simgd", ctl, 0.2, 1, re, im);
  double rho = fmax(hypot(re[0], im[0]), hypot(re[1], im[1]));
  assert_near(rho, rho_ref, 1e-6);
  traj t = run(loss, "simgd", ctl, 0.2, 1, 1200, 1.0, 1.0);
  assert_int_equal(t.st, GV_OK);
  double slope = log_slope(&t, 200, 1200);
  if (fabs(slope / log(rho) - 1.0) > 0.05)
    fail_msg("%s: measured slope %g, predicted %g", ctl, slope, log(rho));
  assert_true(t.norm[1200] < 1e-6);
  free(t.norm);
}

/* Spectral radii |1 + h l| from the closed-form eigenvalues l
 * (docs/theory/dirac.md, section 6). */
static double rad(double re, double im) { return hypot(1.0 + 0.2 * re, 0.2 * im); }

static void test_controlled_rates(void **state) {
  (void)state;
  check_rate(GV_LOSS_STANDARD, "[{kind: r1, gamma: 0.3}]", rad(-0.15, 0.4769696));
  check_rate(GV_LOSS_STANDARD, "[{kind: r2, gamma: 0.3}]", rad(-0.15, 0.4769696));
  check_rate(GV_LOSS_STANDARD, "[{kind: consensus, gamma: 1.0}]", rad(-0.25, 0.5));
  check_rate(GV_LOSS_STANDARD, "[{kind: instance_noise, sigma: 0.7}]", rad(-0.1225, 0.4847615));
  check_rate(GV_LOSS_WGAN, "[{kind: clc, lambda: 1.0}]", rad(-0.5, sqrt(3.0) / 2));
  check_rate(GV_LOSS_STANDARD, "[{kind: clc, lambda: 0.5}]", rad(-0.25, sqrt(0.25 - 0.0625)));
}

/* simgd with R1 (gamma < 1) converges iff h < gamma / f'(0)^2: 4 gamma for
 * the standard GAN (f'(0) = 1/2), gamma for WGAN (f' = 1).  Past the bound
 * the standard GAN leaves the equilibrium for a bounded cycle (the sigmoid
 * saturates), WGAN blows up. */
static void test_step_size_bound(void **state) {
  (void)state;
  const char *r1 = "[{kind: r1, gamma: 0.3}]";
  traj a = run(GV_LOSS_STANDARD, "simgd", r1, 1.1, 1, 3000, 0.1, 0.1);
  assert_int_equal(a.st, GV_OK);
  assert_true(a.norm[a.n] < 1e-10);
  traj b = run(GV_LOSS_STANDARD, "simgd", r1, 1.3, 1, 3000, 0.1, 0.1);
  assert_int_equal(b.st, GV_OK);
  for (long k = 1000; k <= b.n; ++k)
    if (!(b.norm[k] > 2.0 * b.norm[0])) fail_msg("h 1.3: norm %g at step %ld", b.norm[k], k);
  traj c = run(GV_LOSS_WGAN, "simgd", r1, 0.28, 1, 3000, 0.1, 0.1);
  assert_true(c.norm[c.n] < 1e-3 * c.norm[0]);
  traj e = run(GV_LOSS_WGAN, "simgd", r1, 0.32, 1, 3000, 0.1, 0.1);
  assert_true(e.norm[e.n] > 1e3 * e.norm[0]);
  free(a.norm);
  free(b.norm);
  free(c.norm);
  free(e.norm);
}

/* The ode scheme conserves theta^2 + psi^2 of the bare game (Mescheder 2018,
 * sec. 2.2: the continuous flow does not converge). */
static void test_ode_conserves(void **state) {
  (void)state;
  traj t = run(GV_LOSS_STANDARD, "ode", "[]", 0.2, 1, 200, 1.0, 1.0);
  assert_int_equal(t.st, GV_OK);
  assert_near(t.norm[200], t.norm[0], 1e-6);
  traj u = run(GV_LOSS_STANDARD, "ode", "[{kind: r1, gamma: 1.0}]", 0.2, 1, 200, 1.0, 1.0);
  assert_true(u.norm[200] < 1e-4);
  free(t.norm);
  free(u.norm);
}

/* Non-finite states are reported as divergence, not returned silently. */
static void test_divergence_reported(void **state) {
  (void)state;
  traj t = run(GV_LOSS_WGAN, "simgd", "[]", 1e150, 1, 10, 1.0, 1.0);
  assert_int_equal(t.st, GV_EDIVERGED);
  assert_true(t.n < 10);
  free(t.norm);
}

/* x' = x^2 from x = 1 blows up at t = 1: the ODE scheme reports it as
 * divergence (and returns) instead of integrating NaN or hanging. */
static void blowup_field(const void *self, const double *x, double *v) {
  (void)self;
  v[0] = x[0] * x[0];
  v[1] = 0.0;
}

/* x' = 2 - 1/(1 - x): finite only for x < 1, with the stable rest point
 * x = 0.5.  From 0 the flow never leaves (-inf, 1), but a large first trial
 * step lands past 1, where the field is NaN: the integrator must retry with
 * a smaller step rather than give up. */
static void domain_field(const void *self, const double *x, double *v) {
  (void)self;
  v[0] = x[0] < 1.0 ? -1.0 / (1.0 - x[0]) + 2.0 : NAN;
  v[1] = 0.0;
}

static void test_ode_blowup_and_domain(void **state) {
  (void)state;
  static const double zero[2] = {0.0, 0.0};
  gv_vfgame g = {0};
  g.name = "test";
  g.n = 2;
  g.ngen = 1;
  g.disc0 = 1;
  g.ndisc = 1;
  g.xstar = zero;
  g.field = blowup_field;
  gv_scheme sc;
  gv_err err;
  gv_scheme_params p = tu_sp(2.0, 1);
  p.eps_abs = 1e-10;
  p.eps_rel = 1e-8;
  assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("ode"), &p, &g, NULL, &err), GV_OK);
  double x[2] = {1.0, 0.0};
  assert_int_equal(sc.type->step(&sc, x, NULL), GV_EDIVERGED);
  gv_scheme_deinit(&sc);

  /* from 0 with an output interval of 4 */
  g.field = domain_field;
  p = tu_sp(4.0, 1);
  p.eps_abs = 1e-10;
  p.eps_rel = 1e-8;
  assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("ode"), &p, &g, NULL, &err), GV_OK);
  x[0] = 0.0;
  assert_int_equal(sc.type->step(&sc, x, NULL), GV_OK);
  assert_near(x[0], 0.5, 1e-6);
  gv_scheme_deinit(&sc);
}

/* Alternating GD: the generator moves first, the discriminator sees it. */
static void test_altgd_order(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_WGAN, 0.0);
  gv_scheme sc;
  gv_err err;
  gv_scheme_params p = tu_sp(0.5, 2);
  p.n_g = 3;
  assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("altgd"), &p, &d.vf, NULL, &err), GV_OK);
  double x[2] = {1.0, 1.0};
  assert_int_equal(sc.type->step(&sc, x, NULL), GV_OK);
  /* theta: 3 steps of -0.5 psi -> -0.5; psi: 2 steps of +0.5 theta -> 0.5 */
  assert_near(x[0], -0.5, 1e-15);
  assert_near(x[1], 0.5, 1e-15);
  gv_scheme_deinit(&sc);
}

static void test_registry(void **state) {
  (void)state;
  const char *names[] = {"simgd", "altgd", "ode", "sde"};
  for (int i = 0; i < 4; ++i) {
    const gv_scheme_type *t = gv_scheme_find(names[i]);
    assert_non_null(t);
    assert_string_equal(t->info.name, names[i]);
    assert_null(strchr(t->info.summary, '\n'));
    assert_true(t->hooks & GV_HOOK_DRIFT);
    gv_scheme_params p;
    gv_params_defaults(t->info.params, &p);
    assert_near(p.h, 0.2, 0);
    assert_int_equal(p.steps, 500);
  }
  assert_null(gv_scheme_find("rk4"));
  assert_true(gv_scheme_find("sde")->stochastic);
  assert_true(gv_scheme_find("ode")->continuous);
  assert_true(gv_scheme_find("sde")->hooks & GV_HOOK_DIFFUSION);
  assert_false(gv_scheme_find("simgd")->hooks & GV_HOOK_DIFFUSION);
  assert_false(gv_scheme_find("ode")->hooks & GV_HOOK_UPDATE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map_eigenvalues),  cmocka_unit_test(test_simgd_spirals_out),
      cmocka_unit_test(test_altgd_oscillates), cmocka_unit_test(test_controlled_rates),
      cmocka_unit_test(test_step_size_bound),  cmocka_unit_test(test_ode_conserves),
      cmocka_unit_test(test_divergence_reported), cmocka_unit_test(test_altgd_order),
      cmocka_unit_test(test_registry),         cmocka_unit_test(test_ode_blowup_and_domain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
