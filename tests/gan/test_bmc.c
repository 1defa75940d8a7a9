/* The Brownian motion controller (Luo et al. 2023, arXiv 2306.10468) in both
 * forms: the paper's SDE ("bmc", sde scheme) and the authors' public update
 * rule ("bmc_update", after each alternating-GD iteration), as described in
 * docs/theory/dirac.md, sections 3.7 and 3.8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/controllers/ctl_test_util.h"

typedef struct sim {
  gv_dirac d;
  gv_ctl_stack s;
  gv_scheme sc;
  gsl_rng *r;               /* the scheme's noise stream (sde) */
} sim;

/* Heap-allocated: d.vf.self points into it, so it must not move. */
static sim *sim_new(int loss, double c, const char *scheme, const char *ctl, double h,
                    uint64_t seed) {
  sim *m = calloc(1, sizeof *m);
  assert_non_null(m);
  tu_dirac(&m->d, loss, c);
  gv_err err;
  if (tu_stack(&m->s, ctl, seed, &err) != GV_OK) fail_msg("%s", err.msg);
  gv_scheme_params p = tu_sp(h, 1);
  if (gv_scheme_init(&m->sc, gv_scheme_find(scheme), &p, &m->d.vf, &m->s, &err) != GV_OK)
    fail_msg("%s", err.msg);
  m->r = gv_rng_alloc(seed, "scheme", 0);
  return m;
}

static void sim_free(sim *m) {
  gv_scheme_deinit(&m->sc);
  gv_ctl_stack_free(&m->s);
  gsl_rng_free(m->r);
  free(m);
}

/* Runs `steps` steps from x0, writing the states (2 x (steps + 1)). */
static gv_status sim_run(sim *m, double x0, double y0, long steps, double *traj) {
  double x[2] = {x0, y0};
  traj[0] = x[0], traj[1] = x[1];
  for (long k = 1; k <= steps; ++k) {
    gv_status st = m->sc.type->step(&m->sc, x, m->r);
    traj[2 * k] = x[0], traj[2 * k + 1] = x[1];
    if (st != GV_OK) return st;
  }
  return GV_OK;
}

/* With zero gains the public rule is plain alternating GD, bit for bit. */
static void test_zero_gain_is_altgd(void **state) {
  (void)state;
  enum { N = 2000 };
  double *a = calloc(2 * (N + 1), sizeof *a), *b = calloc(2 * (N + 1), sizeof *b);
  const int losses[] = {GV_LOSS_WGAN, GV_LOSS_STANDARD};
  for (int li = 0; li < 2; ++li) {
    sim *p = sim_new(losses[li], 0.0, "altgd", "[]", 0.1, 3);
    sim *q = sim_new(losses[li], 0.0, "altgd",
                     "[{kind: bmc_update, rho1: 0, rho2: 0, beta: 1}]", 0.1, 3);
    assert_int_equal(sim_run(p, 1.0, 1.0, N, a), GV_OK);
    assert_int_equal(sim_run(q, 1.0, 1.0, N, b), GV_OK);
    assert_memory_equal(a, b, 2 * (N + 1) * sizeof *a);
    sim_free(p);
    sim_free(q);
  }
  free(a);
  free(b);
}

/* X = 0 makes every noise term vanish: the equilibrium is absorbing. */
static void test_equilibrium_absorbing(void **state) {
  (void)state;
  enum { N = 1000 };
  double *t = calloc(2 * (N + 1), sizeof *t);
  const struct {
    int loss;
    double c;
  } games[] = {{GV_LOSS_STANDARD, 0.0}, {GV_LOSS_WGAN, 1.0}};
  for (int gi = 0; gi < 2; ++gi) {
    double c = games[gi].c;
    sim *p = sim_new(games[gi].loss, c, "sde", "[{kind: bmc, rho1: 0.5, rho2: 0.1}]", 0.1, 5);
    assert_int_equal(sim_run(p, c, 0.0, N, t), GV_OK);
    for (long k = 0; k <= N; ++k) assert_true(t[2 * k] == c && t[2 * k + 1] == 0.0);
    sim_free(p);
    p = sim_new(games[gi].loss, c, "altgd", "[{kind: bmc_update, rho1: 0.5, rho2: 0.1}]", 0.1,
                5);
    assert_int_equal(sim_run(p, c, 0.0, N, t), GV_OK);
    for (long k = 0; k <= N; ++k) assert_true(t[2 * k] == c && t[2 * k + 1] == 0.0);
    sim_free(p);
  }
  free(t);
}

/* One update against the formula, drawing b1, b2 from a copy of the stream;
 * the second case leaves every gain at its default, which must be the public
 * code's (rho1 0.001, rho2 0.01, beta 1). */
static void test_update_formula(void **state) {
  (void)state;
  const struct {
    const char *ctl;
    double rho1, rho2, beta;
  } cases[] = {{"[{kind: none}, {kind: bmc_update, rho1: 0.3, rho2: 0.2, beta: 1.5}]", 0.3, 0.2,
                1.5},
               {"[{kind: none}, {kind: bmc_update}]", 0.001, 0.01, 1.0}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; ++k) {
    sim *p = sim_new(GV_LOSS_WGAN, 0.5, "altgd", cases[k].ctl, 0.1, 11);
    gsl_rng *r = gv_rng_alloc(11, "ctl.1.bmc_update", 0);
    double x[2] = {1.2, -0.4};
    assert_int_equal(p->sc.type->step(&p->sc, x, NULL), GV_OK);
    /* altgd with h 0.1, c 0.5: theta -= 0.1 psi, then psi += 0.1 (theta - c) */
    double th = 1.2 + 0.1 * 0.4, ps = -0.4 + 0.1 * (th - 0.5);
    double b1 = gv_rng_normal(r), b2 = gv_rng_normal(r);
    double X[2] = {1.2 - 0.5, -0.4};
    const double r1 = cases[k].rho1, r2 = cases[k].rho2, be = cases[k].beta;
    th += r1 * X[0] * b1 - r2 * X[0] * pow(fabs(X[0]), be) * b2;
    ps += r1 * X[1] * b1 - r2 * X[1] * pow(fabs(X[1]), be) * b2;
    assert_near(x[0], th, 1e-15);
    assert_near(x[1], ps, 1e-15);
    gsl_rng_free(r);
    sim_free(p);
  }
}

/* The SDE's diffusion: G[:, 0] = rho1 X, G[:, 1] = rho2 |X|^beta X. */
static void test_diffusion_matrix(void **state) {
  (void)state;
  sim *p = sim_new(GV_LOSS_STANDARD, 1.0, "sde", "[{kind: bmc, rho1: 0.3, rho2: 0.2, beta: 2}]",
                   0.1, 1);
  assert_int_equal(p->s.noise_dim, 2);
  double x[2] = {4.0, 4.0}, G[4]; /* X = (3, 4), |X| = 5 */
  gv_ctl_stack_diffusion(&p->s, &p->d.vf, x, G);
  assert_near(G[0], 0.9, 1e-15);
  assert_near(G[1], 0.2 * 25 * 3, 1e-12);
  assert_near(G[2], 1.2, 1e-15);
  assert_near(G[3], 0.2 * 25 * 4, 1e-12);
  sim_free(p);
  /* two diffusion controllers stack their Brownian motions side by side */
  p = sim_new(GV_LOSS_STANDARD, 1.0, "sde",
              "[{kind: bmc, rho1: 0.3, rho2: 0.2, beta: 2}, {kind: bmc, rho1: 1, rho2: 0}]", 0.1,
              1);
  assert_int_equal(p->s.noise_dim, 4);
  double G2[8];
  gv_ctl_stack_diffusion(&p->s, &p->d.vf, x, G2);
  const double want[8] = {0.9, 15.0, 3.0, 0.0, 1.2, 20.0, 4.0, 0.0};
  for (int i = 0; i < 8; ++i) assert_near(G2[i], want[i], 1e-12);
  sim_free(p);
}

/* Iterations until |theta|, |psi| < 1e-3 for good (within the horizon), or
 * -1.  The public setting: WGAN, alternating GD lr 0.1, start (1, 1). */
static long iters_to_converge(double rho1, uint64_t seed, long horizon) {
  char ctl[160];
  snprintf(ctl, sizeof ctl, "[{kind: bmc_update, rho1: %g, rho2: 0.01, beta: 1}]", rho1);
  sim *p = sim_new(GV_LOSS_WGAN, 0.0, "altgd", ctl, 0.1, seed);
  double x[2] = {1.0, 1.0};
  long last_out = 0;
  for (long k = 1; k <= horizon; ++k) {
    if (p->sc.type->step(&p->sc, x, NULL) != GV_OK) {
      last_out = horizon;
      break;
    }
    if (!(fabs(x[0]) < 1e-3 && fabs(x[1]) < 1e-3)) last_out = k;
  }
  sim_free(p);
  return last_out < horizon ? last_out : -1;
}

static void test_public_rule_converges(void **state) {
  (void)state;
  int ok = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) ok += iters_to_converge(0.1, seed, 10000) >= 0;
  assert_true(ok >= 4);
  for (uint64_t seed = 1; seed <= 5; ++seed)
    assert_int_equal(iters_to_converge(0.001, seed, 100000), -1);
  /* without the controller WGAN alternating GD oscillates forever */
  assert_int_equal(iters_to_converge(0.0, 1, 100000), -1);
}

/* Stronger multiplicative noise converges sooner: the linearised Lyapunov
 * exponent per step is about -rho1^2 cos(2 omega) / 2 (omega ~ h). */
static void test_rate_grows_with_rho1(void **state) {
  (void)state;
  const double rho[] = {0.05, 0.1, 0.2};
  const long horizon = 40000;
  double mean[3];
  for (int i = 0; i < 3; ++i) {
    mean[i] = 0;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      long it = iters_to_converge(rho[i], seed, horizon);
      mean[i] += (it < 0 ? horizon : it) / 5.0;
    }
  }
  if (!(mean[0] > 2 * mean[1] && mean[1] > 2 * mean[2]))
    fail_msg("mean iterations %g, %g, %g for rho1 0.05, 0.1, 0.2", mean[0], mean[1], mean[2]);
}

/* The paper's SDE on the WGAN Dirac game: the continuous-time exponent of
 * the linear part is -rho1^2 / 2 (the drift is a rotation), Euler-Maruyama
 * adds about h / 2 per unit time.  rho1 0.5, h 0.01: about -0.12, so
 * |X| falls by e^-24 over t = 200; with rho1 = 0 Euler spirals out. */
static void test_sde_form_converges(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    sim *p = sim_new(GV_LOSS_WGAN, 0.0, "sde", "[{kind: bmc, rho1: 0.5, rho2: 0.01, beta: 2}]",
                     0.01, seed);
    double x[2] = {1.0, 1.0};
    for (long k = 0; k < 20000; ++k) assert_int_equal(p->sc.type->step(&p->sc, x, p->r), GV_OK);
    assert_true(hypot(x[0], x[1]) < 1e-5);
    sim_free(p);
  }
  sim *p = sim_new(GV_LOSS_WGAN, 0.0, "sde", "[{kind: bmc, rho1: 0, rho2: 0}]", 0.01, 1);
  double x[2] = {1.0, 1.0};
  for (long k = 0; k < 20000; ++k) assert_int_equal(p->sc.type->step(&p->sc, x, p->r), GV_OK);
  assert_true(hypot(x[0], x[1]) > 2.0 * sqrt(2.0));
  sim_free(p);
}

/* Same seed, same trajectory; another seed, another one. */
static void test_determinism(void **state) {
  (void)state;
  enum { N = 500 };
  double *a = calloc(2 * (N + 1), sizeof *a), *b = calloc(2 * (N + 1), sizeof *b);
  const char *ctl = "[{kind: bmc, rho1: 0.3, rho2: 0.01, beta: 2}]";
  sim *p = sim_new(GV_LOSS_STANDARD, 0.0, "sde", ctl, 0.1, 42);
  sim *q = sim_new(GV_LOSS_STANDARD, 0.0, "sde", ctl, 0.1, 42);
  assert_int_equal(sim_run(p, 1.0, 1.0, N, a), GV_OK);
  assert_int_equal(sim_run(q, 1.0, 1.0, N, b), GV_OK);
  assert_memory_equal(a, b, 2 * (N + 1) * sizeof *a);
  sim_free(q);
  q = sim_new(GV_LOSS_STANDARD, 0.0, "sde", ctl, 0.1, 43);
  assert_int_equal(sim_run(q, 1.0, 1.0, N, b), GV_OK);
  assert_memory_not_equal(a, b, 2 * (N + 1) * sizeof *a);
  sim_free(p);
  sim_free(q);

  /* the update form: the controller's own stream, reseeded per replica */
  const char *upd = "[{kind: bmc_update, rho1: 0.1}]";
  p = sim_new(GV_LOSS_WGAN, 0.0, "altgd", upd, 0.1, 42);
  q = sim_new(GV_LOSS_WGAN, 0.0, "altgd", upd, 0.1, 42);
  assert_int_equal(sim_run(p, 1.0, 1.0, N, a), GV_OK);
  gv_ctl_stack_reseed(&q->s, 42, 1);
  assert_int_equal(sim_run(q, 1.0, 1.0, N, b), GV_OK);
  assert_memory_not_equal(a, b, 2 * (N + 1) * sizeof *a);
  gv_ctl_stack_reseed(&q->s, 42, 0);
  assert_int_equal(sim_run(q, 1.0, 1.0, N, b), GV_OK);
  assert_memory_equal(a, b, 2 * (N + 1) * sizeof *a);
  sim_free(p);
  sim_free(q);
  free(a);
  free(b);
}

static void test_noise_scale(void **state) {
  (void)state;
  const gv_ctl_type *t = gv_ctl_find("bmc_update");
  assert_non_null(t);
  assert_non_null(t->update_noise_scale);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: bmc_update}]", 1, &err), GV_OK);
  assert_near(t->update_noise_scale(s.items[0].par), 0.001, 0); /* public default */
  gv_ctl_stack_free(&s);
  assert_null(gv_ctl_find("bmc")->update_noise_scale);
  /* plus their neural-game forms: bmc on D's outputs, bmc_update on D's parameters */
  assert_int_equal(gv_ctl_hooks(gv_ctl_find("bmc")), GV_HOOK_DIFFUSION | GV_HOOK_LOSS);
  assert_int_equal(gv_ctl_hooks(t), GV_HOOK_UPDATE | GV_HOOK_PARAM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_zero_gain_is_altgd),   cmocka_unit_test(test_equilibrium_absorbing),
      cmocka_unit_test(test_update_formula),       cmocka_unit_test(test_diffusion_matrix),
      cmocka_unit_test(test_public_rule_converges), cmocka_unit_test(test_rate_grows_with_rho1),
      cmocka_unit_test(test_sde_form_converges),   cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_noise_scale),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
