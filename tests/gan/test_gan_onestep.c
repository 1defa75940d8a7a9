/* One-step GAIL (gan/onestep.h): each claim of docs/theory/onestep-gail.md
 * checked numerically: residual at the desired state, analytic against
 * finite-difference Jacobian, the tempered equilibrium and convergence of
 * the ode flow to it, the oscillation claim per parameterisation, the
 * entropy-compensation controller's gain range and its boundary, C-GAIL's
 * drift, and which controllers have no hook on this game. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#include "gan/onestep.h"
#include "gan/stability.h"
#include "tests/controllers/ctl_test_util.h"
#include "tests/gan/onestep_test_util.h"

#define N3 6 /* state dimension for 3 actions */
#define E3 5 /* eigenvalues kept for 3 actions: the shift direction left out */

static const double expert3[3] = {0.6, 0.3, 0.1};

/* Eigenvalues of the os_controlled field's Jacobian at x (central differences),
 * on the complement of the conserved shift direction (E3 of them for n = 3). */
static void ctl_eigs(const gv_vfgame *g, const gv_ctl_stack *s, const double *x, double *re,
                     double *im) {
  double J[GV_STAB_MAXN * GV_STAB_MAXN];
  os_fctx c = {g, s};
  gv_fd_jacobian(os_controlled, &c, g->n, x, 1e-6, J);
  assert_int_equal(gv_eig_reduced(J, g->n, g->conserved, g->nconserved, re, im, NULL), GV_OK);
}

static double max_re(const double *re, size_t n) {
  double m = -INFINITY;
  for (size_t i = 0; i < n; ++i) m = fmax(m, re[i]);
  return m;
}

/* ------------------------------------------------------------- residual */

static void test_residual(void **state) {
  (void)state;
  const double uniform[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  for (int r = 0; r < 3; ++r)
    for (int d = 0; d < 2; ++d)
      for (int p = 0; p < 2; ++p) {
        gv_onestep g;
        double v[N3];
        os_make(&g, r, d, p, 0.0, expert3, 3);
        gv_onestep_field(&g, g.xstar, v);
        assert_true(os_norm(v, N3) < 1e-14);
        os_make(&g, r, d, p, 0.1, expert3, 3);
        gv_onestep_field(&g, g.xstar, v);
        assert_true(os_norm(v, N3) > 1e-3);
        /* the discriminator's flow is still zero there: only the policy moves */
        for (int a = 0; a < 3; ++a) assert_true(fabs(v[3 + a]) < 1e-14);
        os_make(&g, r, d, p, 0.1, uniform, 3);
        gv_onestep_field(&g, g.xstar, v);
        assert_true(os_norm(v, N3) < 1e-14);
      }
  /* softmax, lambda 0.1: v_b = -lambda pi_b (log pi_b + H(pi_E)) */
  gv_onestep g;
  os_make(&g, GV_OS_REWARD_GAIL, GV_OS_DISC_PROB, GV_OS_POLICY_SOFTMAX, 0.1, expert3, 3);
  double v[N3], H = 0.0;
  for (int a = 0; a < 3; ++a) H -= expert3[a] * log(expert3[a]);
  gv_onestep_field(&g, g.xstar, v);
  for (int b = 0; b < 3; ++b) /* every action, the third too */
    assert_near(v[b], -0.1 * expert3[b] * (log(expert3[b]) + H), 1e-15);
}

/* -------------------------------------------------------------- Jacobian */

static void test_jacobian_fd(void **state) {
  (void)state;
  gsl_rng *rng = gv_rng_alloc(7, "test", 0);
  const double e4[4] = {0.4, 0.3, 0.2, 0.1};
  for (int r = 0; r < 3; ++r)
    for (int d = 0; d < 2; ++d)
      for (int p = 0; p < 2; ++p)
        for (int li = 0; li < 2; ++li)
          for (int four = 0; four < 2; ++four) {
            gv_onestep g;
            os_make(&g, r, d, p, li ? 0.3 : 0.0, four ? e4 : expert3, four ? 4 : 3);
            size_t n = gv_onestep_dim(&g), na = g.na;
            for (int t = 0; t < 5; ++t) {
              double pi[4], D[4], alpha[4] = {1, 1, 1, 1}, x[8], J[64], Jfd[64];
              /* off the gauge: a shifted point has the same field */
              double shift = gsl_rng_uniform(rng) - 0.5;
              gsl_ran_dirichlet(rng, na, alpha, pi);
              for (size_t a = 0; a < na; ++a) {
                pi[a] = 0.8 * pi[a] + 0.2 / (double)na; /* away from the faces */
                D[a] = 0.15 + 0.7 * gsl_rng_uniform(rng);
              }
              gv_onestep_state(&g, pi, D, x);
              for (size_t a = 0; a < na && p == GV_OS_POLICY_SOFTMAX; ++a) x[a] += shift;
              gv_onestep_jacobian(&g, x, J);
              os_fctx c = {&g.vf, NULL};
              gv_fd_jacobian(os_controlled, &c, n, x, 1e-6, Jfd);
              for (size_t i = 0; i < n * n; ++i)
                if (!(fabs(J[i] - Jfd[i]) <= 1e-6 * (1.0 + fabs(J[i]))))
                  fail_msg("reward %d disc %d policy %d lambda %d n %zu: J[%zu] = %.12g, FD %.12g",
                           r, d, p, li, na, i, J[i], Jfd[i]);
              /* u = (1, .., 1, 0, .., 0) / sqrt(n) is a right and a left null vector */
              for (size_t i = 0; i < n; ++i) {
                double ju = 0.0, uj = 0.0;
                for (size_t j = 0; j < n; ++j) {
                  ju += J[i * n + j] * g.shift[j];
                  uj += g.shift[j] * J[j * n + i];
                }
                assert_true(fabs(ju) < 1e-12 && fabs(uj) < 1e-12);
              }
            }
          }
  gsl_rng_free(rng);
}

/* ---------------------------------------------- equilibrium and the flow */

/* Logit reward: the bare equilibrium is the tempered expert
 * pi ~ pi_E^(1/(1+lambda)), D = pi_E / (pi_E + pi) (docs section 3).  The
 * ode flow reaches it from random starts in every parameterisation. */
static void test_tempered_equilibrium_and_flow(void **state) {
  (void)state;
  const double lam = 0.3;
  double pi[3], D[3], s = 0.0;
  for (int a = 0; a < 3; ++a) s += pi[a] = pow(expert3[a], 1.0 / (1.0 + lam));
  for (int a = 0; a < 3; ++a) {
    pi[a] /= s;
    D[a] = expert3[a] / (expert3[a] + pi[a]);
  }
  gsl_rng *rng = gv_rng_alloc(11, "test", 0);
  for (int d = 0; d < 2; ++d)
    for (int p = 0; p < 2; ++p) {
      gv_onestep g;
      os_make(&g, GV_OS_REWARD_LOGIT, d, p, lam, expert3, 3);
      double xe[N3], v[N3];
      gv_onestep_state(&g, pi, D, xe);
      gv_onestep_field(&g, xe, v);
      assert_true(os_norm(v, N3) < 1e-13);
      gv_scheme sc;
      gv_scheme_params sp = {0.1, 6000, 1, 1, 1e-12, 1e-10}; /* t = 600 */
      gv_err err;
      assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("ode"), &sp, &g.vf, NULL, &err), GV_OK);
      for (int t = 0; t < 4; ++t) {
        double p0[3], d0[3], alpha[3] = {1, 1, 1}, x[N3];
        gsl_ran_dirichlet(rng, 3, alpha, p0);
        for (int a = 0; a < 3; ++a) {
          p0[a] = 0.9 * p0[a] + 0.1 / 3;
          d0[a] = 0.3 + 0.4 * gsl_rng_uniform(rng);
        }
        gv_onestep_state(&g, p0, d0, x);
        gv_scheme_deinit(&sc);
        assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("ode"), &sp, &g.vf, NULL, &err),
                         GV_OK);
        for (long k = 0; k < sp.steps; ++k) assert_int_equal(sc.type->step(&sc, x, NULL), GV_OK);
        double dx[N3];
        for (int i = 0; i < N3; ++i) dx[i] = x[i] - xe[i];
        if (!(os_norm(dx, N3) < 1e-6))
          fail_msg("disc %d policy %d start %d: |x - x_eq| = %g", d, p, t, os_norm(dx, N3));
      }
      gv_scheme_deinit(&sc);
    }
  gsl_rng_free(rng);
}

/* ------------------------------------------------------------ oscillation */

/* lambda = 0, pi_E = (0.6, 0.3, 0.1), reward -log(1 - D): probability D with
 * a softmax policy has real eigenvalues; logit D is a slow underdamped
 * oscillator; the simplex policy is lightly damped with either D. */
static void test_oscillation_claim(void **state) {
  (void)state;
  for (int d = 0; d < 2; ++d)
    for (int p = 0; p < 2; ++p) {
      gv_onestep g;
      os_make(&g, GV_OS_REWARD_GAIL, d, p, 0.0, expert3, 3);
      double J[N3 * N3], re[N3], im[N3];
      gv_onestep_jacobian(&g, g.xstar, J);
      assert_int_equal(gv_eig_reduced(J, N3, g.shift, 1, re, im, NULL), GV_OK);
      assert_true(max_re(re, E3) < 0.0);
      /* the slowest complex pair */
      double slow_re = -INFINITY, slow_im = 0.0, maxim = 0.0;
      for (int i = 0; i < E3; ++i) {
        maxim = fmax(maxim, fabs(im[i]));
        if (fabs(im[i]) > 1e-9 && re[i] > slow_re) slow_re = re[i], slow_im = fabs(im[i]);
      }
      if (d == GV_OS_DISC_PROB && p == GV_OS_POLICY_SOFTMAX) {
        assert_true(maxim < 1e-9);                  /* real: no oscillation */
        assert_near(max_re(re, E3), -0.0722426, 1e-6);
      } else if (d == GV_OS_DISC_LOGIT && p == GV_OS_POLICY_SOFTMAX) {
        assert_true(slow_re < 0.0 && slow_re > -0.05); /* slow */
        assert_near(slow_re, -0.0282273, 1e-6);
        assert_near(slow_im, 0.0515459, 1e-6);
      } else {
        /* simplex: damping ratio -Re / |l| of the slowest pair below 0.35
         * (0.309 and 0.093), and the pair itself (computed apart from this
         * code: a doubled policy field would still pass the ratio) */
        assert_true(slow_re < 0.0);
        assert_true(-slow_re / hypot(slow_re, slow_im) < 0.35);
        const int prob = d == GV_OS_DISC_PROB;
        assert_near(slow_re, prob ? -0.5692582 : -0.0461739, 1e-6);
        assert_near(slow_im, prob ? 1.7521268 : 0.4943709, 1e-6);
      }
    }
}

/* ------------------------------------------------------------ controllers */

static void load(gv_ctl_stack *s, const char *yaml) {
  gv_err err;
  gv_status st = tu_stack(s, yaml, 1, &err);
  if (st != GV_OK) fail_msg("%s: %s", yaml, err.msg);
}

/* entcomp makes x* an equilibrium for every lambda; Re < 0 for every k >= 0 in
 * every parameterisation; boundary k* = -r'(1/2)/4 for probability D with a
 * softmax policy (-0.5 for -log(1 - D), -1 for the logit reward). */
static void test_entcomp_gain_range(void **state) {
  (void)state;
  const double ks[] = {0.0, 0.1, 1.0, 5.0};
  char yaml[128];
  for (int r = 0; r < 3; ++r)
    for (int d = 0; d < 2; ++d)
      for (int p = 0; p < 2; ++p)
        for (size_t i = 0; i < 4; ++i) {
          gv_onestep g;
          os_make(&g, r, d, p, 0.2, expert3, 3);
          gv_ctl_stack s;
          snprintf(yaml, sizeof yaml, "[{kind: entcomp, k: %g}]", ks[i]);
          load(&s, yaml);
          gv_err err;
          assert_int_equal(gv_ctl_stack_check(&s, &g.vf, "ode", GV_HOOK_DRIFT, &err), GV_OK);
          double F[N3], re[N3], im[N3];
          gv_vf_controlled(&g.vf, &s, g.xstar, F);
          assert_true(os_norm(F, N3) < 1e-14);
          ctl_eigs(&g.vf, &s, g.xstar, re, im);
          if (!(max_re(re, E3) < -1e-4))
            fail_msg("reward %d disc %d policy %d k %g: max Re %g", r, d, p, ks[i],
                     max_re(re, E3));
          gv_ctl_stack_free(&s);
        }
  /* the boundary */
  const struct { int reward; double kstar; } b[] = {{GV_OS_REWARD_GAIL, -0.5},
                                                    {GV_OS_REWARD_LOGIT, -1.0}};
  for (int i = 0; i < 2; ++i) {
    gv_onestep g;
    os_make(&g, b[i].reward, GV_OS_DISC_PROB, GV_OS_POLICY_SOFTMAX, 0.2, expert3, 3);
    double re[N3], im[N3];
    for (int side = -1; side <= 1; ++side) {
      gv_ctl_stack s;
      snprintf(yaml, sizeof yaml, "[{kind: entcomp, k: %.17g}]", b[i].kstar + 0.05 * side);
      load(&s, yaml);
      ctl_eigs(&g.vf, &s, g.xstar, re, im);
      double m = max_re(re, E3);
      if (side < 0) assert_true(m > 1e-4);
      if (side == 0) assert_true(fabs(m) < 1e-7);
      if (side > 0) assert_true(m < -1e-4);
      gv_ctl_stack_free(&s);
    }
  }
}

/* The field away from x*, where the rewards differ (at D = 1/2 their slopes
 * agree): softmax policy at theta = 0 (pi uniform), D = (0.2, 0.5, 0.8),
 * lambda 0.  The policy moves as v_b = pi_b (r_b - E_pi r): GAIL's
 * r = -log(1 - D) = (0.223144, 0.693147, 1.609438) gives (-0.2062553,
 * -0.0495875, 0.2558428); log D gives (-0.2558428, 0.0495875, 0.2062553);
 * the logit reward (-0.4620981, 0, 0.4620981).  D moves as
 * pi_E / D - pi / (1 - D) = (2.5833333, -0.0666667, -1.5416667), whatever
 * the reward; on logits z that is times dD/dz = D (1 - D). */
static void test_field_off_equilibrium(void **state) {
  (void)state;
  const double Dv[3] = {0.2, 0.5, 0.8};
  const double want[3][3] = {{-0.2062553, -0.0495875, 0.2558428},   /* GAIL */
                             {-0.4620981, 0.0, 0.4620981},          /* logit */
                             {-0.2558428, 0.0495875, 0.2062553}};   /* log D */
  const double vd[3] = {2.5833333, -0.0666667, -1.5416667};
  for (int r = 0; r < 3; ++r)
    for (int d = 0; d < 2; ++d) {
      gv_onestep g;
      os_make(&g, r, d, GV_OS_POLICY_SOFTMAX, 0.0, expert3, 3);
      double x[N3] = {0, 0, 0}, v[N3];
      for (int a = 0; a < 3; ++a)
        x[3 + a] = d == GV_OS_DISC_PROB ? Dv[a] : log(Dv[a] / (1.0 - Dv[a]));
      gv_onestep_field(&g, x, v);
      for (int a = 0; a < 3; ++a) {
        assert_near(v[a], want[r][a], 1e-7);
        assert_near(v[3 + a], vd[a] * (d == GV_OS_DISC_PROB ? 1.0 : Dv[a] * (1.0 - Dv[a])),
                    1e-7);
      }
    }
}

/* C-GAIL: residual unchanged (D = 1/2 is its target), damping -k pi_E(a) on
 * probability D's diagonal and -k pi_E(a)/16 on logits at x*. */
static void test_cgail_drift(void **state) {
  (void)state;
  for (int d = 0; d < 2; ++d) {
    gv_onestep g;
    os_make(&g, GV_OS_REWARD_GAIL, d, GV_OS_POLICY_SOFTMAX, 0.1, expert3, 3);
    gv_ctl_stack s;
    load(&s, "[{kind: cgail, k: 2.0, on: both}]");
    gv_err err;
    assert_int_equal(gv_ctl_stack_check(&s, &g.vf, "ode", GV_HOOK_DRIFT, &err), GV_OK);
    double F[N3], v[N3], J[N3 * N3], Jc[N3 * N3];
    gv_vf_controlled(&g.vf, &s, g.xstar, F);
    gv_onestep_field(&g, g.xstar, v);
    for (int i = 0; i < N3; ++i) assert_near(F[i], v[i], 1e-15);
    gv_onestep_jacobian(&g, g.xstar, J);
    os_fctx c = {&g.vf, &s};
    gv_fd_jacobian(os_controlled, &c, N3, g.xstar, 1e-6, Jc);
    for (int i = 0; i < N3; ++i)
      for (int j = 0; j < N3; ++j) {
        double want = J[i * N3 + j];
        if (i == j && i >= 3) want -= 2.0 * expert3[i - 3] / (d == GV_OS_DISC_PROB ? 1.0 : 16.0);
        assert_near(Jc[i * N3 + j], want, 1e-7);
      }
    gv_ctl_stack_free(&s);
  }
}

/* C-GAIL's sample set, told apart off x*: softmax policy at pi = (0.2, 0.3,
 * 0.5), probability D = (0.7, 0.4, 0.6), k 2, target 0.5.  The controller
 * adds -k w_a (D_a - 1/2) to D's flow, w = pi_E (expert), pi (policy) or
 * their mean (both): (-0.24, 0.06, -0.02), (-0.08, 0.06, -0.10),
 * (-0.16, 0.06, -0.06); the policy's flow is untouched. */
static void test_cgail_on(void **state) {
  (void)state;
  const char *lists[3] = {"[{kind: cgail, k: 2.0, on: expert}]",
                          "[{kind: cgail, k: 2.0, on: policy}]",
                          "[{kind: cgail, k: 2.0, on: both}]"};
  const double want[3][3] = {{-0.24, 0.06, -0.02}, {-0.08, 0.06, -0.10}, {-0.16, 0.06, -0.06}};
  gv_onestep g;
  os_make(&g, GV_OS_REWARD_GAIL, GV_OS_DISC_PROB, GV_OS_POLICY_SOFTMAX, 0.0, expert3, 3);
  const double x[N3] = {log(0.2), log(0.3), log(0.5), 0.7, 0.4, 0.6};
  for (int k = 0; k < 3; ++k) {
    gv_ctl_stack s;
    load(&s, lists[k]);
    double F[N3], v[N3];
    gv_vf_controlled(&g.vf, &s, x, F);
    gv_onestep_field(&g, x, v);
    for (int a = 0; a < 3; ++a) {
      assert_near(F[a], v[a], 1e-15);
      assert_near(F[3 + a] - v[3 + a], want[k][a], 1e-12);
    }
    gv_ctl_stack_free(&s);
  }
}

/* Input-gradient controllers have no hook here; consensus and clc act. */
static void test_hooks(void **state) {
  (void)state;
  gv_onestep g;
  os_make(&g, GV_OS_REWARD_GAIL, GV_OS_DISC_LOGIT, GV_OS_POLICY_SOFTMAX, 0.0, expert3, 3);
  const char *none[] = {"[{kind: r1}]", "[{kind: r2}]", "[{kind: wgan_gp}]",
                        "[{kind: instance_noise}]"};
  for (size_t i = 0; i < 4; ++i) {
    gv_ctl_stack s;
    load(&s, none[i]);
    gv_err err = {{0}, {0}};
    assert_int_equal(gv_ctl_stack_check(&s, &g.vf, "ode", GV_HOOK_DRIFT, &err), GV_ENOHOOK);
    assert_non_null(strstr(err.msg, s.items[0].type->info.name));
    assert_non_null(strstr(err.msg, "onestep"));
    gv_ctl_stack_free(&s);
  }
  /* consensus (finite differences of the field) and clc keep x* stable */
  const char *ok[] = {"[{kind: consensus, gamma: 1.0}]", "[{kind: clc, lambda: 1.0}]"};
  for (size_t i = 0; i < 2; ++i) {
    gv_ctl_stack s;
    load(&s, ok[i]);
    gv_err err;
    assert_int_equal(gv_ctl_stack_check(&s, &g.vf, "ode", GV_HOOK_DRIFT, &err), GV_OK);
    double F[N3], re[N3], im[N3];
    gv_vf_controlled(&g.vf, &s, g.xstar, F);
    assert_true(os_norm(F, N3) < 1e-12);
    ctl_eigs(&g.vf, &s, g.xstar, re, im);
    assert_true(max_re(re, E3) < 0.0);
    gv_ctl_stack_free(&s);
  }
}

/* The loader: `expert` list, n from its length, defaults written back. */
static void test_load(void **state) {
  (void)state;
  const char *text = "game: {kind: onestep, expert: [0.5, 0.25, 0.125, 0.125], lambda: 0.2}\n";
  gv_node *root;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string(text, "t.yaml", &root, &err), GV_OK);
  gv_cfg_ctx ctx = {"t.yaml", "game"};
  gv_onestep_params p;
  assert_int_equal(gv_onestep_load(gv_map_get(root, "game"), &ctx, &p, &err), GV_OK);
  assert_int_equal(p.n, 4);
  assert_near(p.expert[3], 0.125, 0);
  gv_node_free(root);
  const char *bad = "game: {kind: onestep, n: 3, expert: [0.5, 0.6]}\n";
  assert_int_equal(gv_cfg_parse_string(bad, "t.yaml", &root, &err), GV_OK);
  assert_int_equal(gv_onestep_load(gv_map_get(root, "game"), &ctx, &p, &err), GV_ECONFIG);
  assert_non_null(strstr(err.msg, "t.yaml:1: game.expert"));
  gv_node_free(root);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_residual),
      cmocka_unit_test(test_jacobian_fd),
      cmocka_unit_test(test_tempered_equilibrium_and_flow),
      cmocka_unit_test(test_oscillation_claim),
      cmocka_unit_test(test_entcomp_gain_range),
      cmocka_unit_test(test_field_off_equilibrium),
      cmocka_unit_test(test_cgail_drift),
      cmocka_unit_test(test_cgail_on),
      cmocka_unit_test(test_hooks),
      cmocka_unit_test(test_load),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
