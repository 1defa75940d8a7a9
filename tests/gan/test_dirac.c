/* The Dirac-GAN: analytic Jacobian against finite differences for every loss,
 * the general form against the named losses, the scalar functions'
 * derivatives, and the controller capabilities (penalties, noisy field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_integration.h>
#include <math.h>

#include "tests/controllers/ctl_test_util.h"

static const double points[][2] = {{0.0, 0.0}, {1.0, 1.0},   {-0.7, 0.3}, {1.5, -2.0},
                                   {0.2, 3.0}, {-2.5, -1.2}, {4.0, 0.5}};
#define NPOINTS (sizeof points / sizeof points[0])

static void fd_field_jacobian(const gv_dirac *d, const double *x, double *J) {
  const double eps = 1e-6;
  for (int j = 0; j < 2; ++j) {
    double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]}, vp[2], vm[2];
    xp[j] += eps;
    xm[j] -= eps;
    gv_dirac_field(d, xp, vp);
    gv_dirac_field(d, xm, vm);
    for (int i = 0; i < 2; ++i) J[i * 2 + j] = (vp[i] - vm[i]) / (2 * eps);
  }
}

static void check_jacobian(const gv_dirac *d) {
  for (size_t k = 0; k < NPOINTS; ++k) {
    double J[4], Jfd[4];
    gv_dirac_jacobian(d, points[k], J);
    fd_field_jacobian(d, points[k], Jfd);
    for (int i = 0; i < 4; ++i) {
      if (fabs(J[i] - Jfd[i]) > 1e-6)
        fail_msg("loss %d h %d %d %d c %g at (%g, %g): J[%d] = %.12g, FD %.12g", d->p.loss,
                 d->p.h1, d->p.h2, d->p.h3, d->p.c, points[k][0], points[k][1], i, J[i], Jfd[i]);
    }
  }
}

static void test_jacobian_every_loss(void **state) {
  (void)state;
  const double cs[] = {0.0, 0.7, -1.3};
  for (int loss = GV_LOSS_STANDARD; loss <= GV_LOSS_GENERAL; ++loss)
    for (size_t ci = 0; ci < 3; ++ci) {
      gv_dirac d;
      tu_dirac(&d, loss, cs[ci]);
      check_jacobian(&d);
    }
  /* general: every combination of the five scalar functions */
  for (int h1 = 0; h1 < 5; ++h1)
    for (int h2 = 0; h2 < 5; ++h2)
      for (int h3 = 0; h3 < 5; ++h3) {
        gv_dirac_params p;
        gv_params_defaults(gv_game_dirac.params, &p);
        p.loss = GV_LOSS_GENERAL;
        p.c = 0.6;
        p.h1 = h1, p.h2 = h2, p.h3 = h3;
        gv_dirac d;
        gv_dirac_init(&d, &p);
        check_jacobian(&d);
      }
}

/* BMC's defaults h1 = log sigma, h2 = log(1 - sigma), h3 = softplus are the
 * saturating GAN: the same field and Jacobian, bit for bit. */
static void test_general_defaults_are_standard(void **state) {
  (void)state;
  gv_dirac_params p;
  gv_params_defaults(gv_game_dirac.params, &p);
  assert_int_equal(p.loss, GV_LOSS_STANDARD);
  assert_int_equal(p.h1, GV_H_LOG_SIGMOID);
  assert_int_equal(p.h2, GV_H_LOG_ONE_MINUS_SIGMOID);
  assert_int_equal(p.h3, GV_H_SOFTPLUS);
  const double cs[] = {0.0, 0.9};
  for (size_t ci = 0; ci < 2; ++ci) {
    gv_dirac a, b;
    p.c = cs[ci];
    p.loss = GV_LOSS_STANDARD;
    gv_dirac_init(&a, &p);
    p.loss = GV_LOSS_GENERAL;
    gv_dirac_init(&b, &p);
    for (size_t k = 0; k < NPOINTS; ++k) {
      double va[2], vb[2], Ja[4], Jb[4];
      gv_dirac_field(&a, points[k], va);
      gv_dirac_field(&b, points[k], vb);
      gv_dirac_jacobian(&a, points[k], Ja);
      gv_dirac_jacobian(&b, points[k], Jb);
      for (int i = 0; i < 2; ++i) assert_true(va[i] == vb[i]);
      for (int i = 0; i < 4; ++i) assert_true(Ja[i] == Jb[i]);
    }
  }
}

/* The textbook field (Mescheder 2018, eq. (5)): v = (-psi f'(psi theta),
 * theta f'(psi theta)), f' = sigma(-t) (standard), 1 (wgan); non-saturating
 * generator ascends f(-t): v_theta = -psi sigma(psi theta). */
static void test_field_formulas(void **state) {
  (void)state;
  gv_dirac ds, dn, dw;
  tu_dirac(&ds, GV_LOSS_STANDARD, 0.0);
  tu_dirac(&dn, GV_LOSS_NONSAT, 0.0);
  tu_dirac(&dw, GV_LOSS_WGAN, 0.0);
  for (size_t k = 0; k < NPOINTS; ++k) {
    double th = points[k][0], ps = points[k][1], v[2];
    double fp = 1.0 / (1.0 + exp(ps * th));
    gv_dirac_field(&ds, points[k], v);
    assert_near(v[0], -ps * fp, 1e-14);
    assert_near(v[1], th * fp, 1e-14);
    gv_dirac_field(&dn, points[k], v);
    assert_near(v[0], -ps / (1.0 + exp(-ps * th)), 1e-14);
    assert_near(v[1], th * fp, 1e-14);
    gv_dirac_field(&dw, points[k], v);
    assert_near(v[0], -ps, 1e-15);
    assert_near(v[1], th, 1e-15);
  }
  /* Jacobian at the equilibrium: [[0, -f'(0)], [f'(0), 0]] */
  double J[4], z[2] = {0, 0};
  gv_dirac_jacobian(&ds, z, J);
  assert_near(J[0], 0.0, 1e-15);
  assert_near(J[1], -0.5, 1e-15);
  assert_near(J[2], 0.5, 1e-15);
  assert_near(J[3], 0.0, 1e-15);
}

/* (c, 0) is an equilibrium of every loss whose real and fake terms balance. */
static void test_equilibrium(void **state) {
  (void)state;
  for (int loss = GV_LOSS_STANDARD; loss <= GV_LOSS_GENERAL; ++loss) {
    gv_dirac d;
    tu_dirac(&d, loss, 1.7);
    assert_near(d.vf.xstar[0], 1.7, 0);
    assert_near(d.vf.xstar[1], 0.0, 0);
    double v[2];
    gv_dirac_field(&d, d.xstar, v);
    assert_near(v[0], 0.0, 1e-15);
    assert_near(v[1], 0.0, 1e-15);
    assert_int_equal(d.vf.n, 2);
    assert_int_equal(d.vf.gen0, 0);
    assert_int_equal(d.vf.disc0, 1);
    assert_ptr_equal(d.vf.self, &d);
  }
}

/* Every derivative of every scalar function against a central difference of
 * the one below it, and stability far out in both tails. */
static void test_sfun_derivatives(void **state) {
  (void)state;
  const double ts[] = {-3.0, -0.4, 0.0, 0.25, 2.2};
  const double sgn[] = {1.0, -1.0};
  for (int h = 0; h < 5; ++h)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) {
        gv_sfun f = {h, sgn[a] * 1.5, sgn[b] * 0.5};
        for (size_t k = 0; k < 5; ++k)
          for (int d = 1; d <= 3; ++d) {
            double e = 1e-5;
            double fd = (gv_sfun_eval(&f, d - 1, ts[k] + e) - gv_sfun_eval(&f, d - 1, ts[k] - e)) /
                        (2 * e);
            if (fabs(fd - gv_sfun_eval(&f, d, ts[k])) > 1e-7)
              fail_msg("h %d d %d t %g: %.12g vs FD %.12g", h, d, ts[k],
                       gv_sfun_eval(&f, d, ts[k]), fd);
          }
      }
  gv_sfun ls = {GV_H_LOG_SIGMOID, 1.0, 1.0}, sp = {GV_H_SOFTPLUS, 1.0, 1.0};
  assert_near(gv_sfun_eval(&ls, 0, -800.0), -800.0, 1e-9);
  assert_near(gv_sfun_eval(&ls, 0, 800.0), 0.0, 1e-300);
  assert_near(gv_sfun_eval(&ls, 1, -800.0), 1.0, 1e-15);
  assert_near(gv_sfun_eval(&ls, 1, 800.0), 0.0, 1e-300);
  assert_near(gv_sfun_eval(&sp, 0, 800.0), 800.0, 1e-9);
  assert_near(gv_sfun_eval(&ls, 0, 40.0), -exp(-40.0), 1e-30);
  for (int d = 0; d <= 3; ++d) {
    assert_true(isfinite(gv_sfun_eval(&ls, d, 1e6)));
    assert_true(isfinite(gv_sfun_eval(&ls, d, -1e6)));
  }
}

static void test_penalties(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  double x[2] = {0.8, -1.5}, g[2];
  d.vf.caps->penalty_real(d.vf.self, x, g);
  assert_near(g[0], 0.0, 0);
  assert_near(g[1], -1.5, 0);
  d.vf.caps->penalty_fake(d.vf.self, x, g);
  assert_near(g[1], -1.5, 0);
  d.vf.caps->penalty_gp(d.vf.self, 1.0, x, g); /* (|psi| - 1) sign(psi) */
  assert_near(g[0], 0.0, 0);
  assert_near(g[1], -0.5, 1e-15);
  x[1] = 0.25;
  d.vf.caps->penalty_gp(d.vf.self, 1.0, x, g);
  assert_near(g[1], -0.75, 1e-15);
  x[1] = 0.0;
  d.vf.caps->penalty_gp(d.vf.self, 1.0, x, g);
  assert_near(g[1], 0.0, 0);
}

/* The noisy field against adaptive quadrature (GSL qagi) of the same
 * expectation, at points where the integrand is far from polynomial. */
typedef struct nz_ctx {
  const gv_dirac *d;
  double theta, psi, sigma;
  int comp;
} nz_ctx;

static double nz_integrand(double z, void *p) {
  const nz_ctx *c = p;
  double e = c->sigma * z, w = exp(-z * z / 2) / sqrt(2 * M_PI);
  double xr = c->d->p.c + e, xf = c->theta + e;
  if (c->comp == 0) return w * c->psi * gv_sfun_eval(&c->d->g_gen, 1, c->psi * xf);
  return w * (xr * gv_sfun_eval(&c->d->g_real, 1, c->psi * xr) +
              xf * gv_sfun_eval(&c->d->g_fake, 1, c->psi * xf));
}

static void test_field_noisy(void **state) {
  (void)state;
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
  const int losses[] = {GV_LOSS_STANDARD, GV_LOSS_NONSAT, GV_LOSS_WGAN};
  const double sig[] = {0.3, 0.7, 2.0};
  for (int li = 0; li < 3; ++li)
    for (size_t k = 0; k < NPOINTS; ++k)
      for (int si = 0; si < 3; ++si) {
        gv_dirac d;
        tu_dirac(&d, losses[li], 0.4);
        double v[2];
        d.vf.caps->field_noisy(d.vf.self, sig[si], points[k], v);
        for (int comp = 0; comp < 2; ++comp) {
          nz_ctx c = {&d, points[k][0], points[k][1], sig[si], comp};
          gsl_function F = {nz_integrand, &c};
          double r, abserr;
          gsl_integration_qagi(&F, 1e-13, 1e-11, 1000, ws, &r, &abserr);
          /* GH converges slowly when the sigmoid is steep on the noise
           * scale (sigma |psi| large): see GV_DIRAC_GH_N */
          double sp = sig[si] * fabs(points[k][1]);
          double tol = sp <= 1.5 ? 1e-10 : (sp <= 4.0 ? 1e-6 : 1e-4);
          if (fabs(r - v[comp]) > tol)
            fail_msg("loss %d sigma %g at (%g, %g) comp %d: GH %.14g, qagi %.14g", losses[li],
                     sig[si], points[k][0], points[k][1], comp, v[comp], r);
        }
      }
  gsl_integration_workspace_free(ws);
  /* sigma = 0 is the bare field */
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  double v0[2], v1[2];
  d.vf.caps->field_noisy(d.vf.self, 0.0, points[1], v0);
  gv_dirac_field(&d, points[1], v1);
  assert_near(v0[0], v1[0], 0);
  assert_near(v0[1], v1[1], 0);
}

static void test_component_table(void **state) {
  (void)state;
  assert_string_equal(gv_game_dirac.name, "dirac");
  assert_non_null(gv_game_dirac.summary);
  assert_null(strchr(gv_game_dirac.summary, '\n'));
  assert_int_equal(gv_game_dirac.params_size, sizeof(gv_dirac_params));
  gv_dirac_params p;
  gv_params_defaults(gv_game_dirac.params, &p);
  assert_near(p.c, 0.0, 0);
  assert_near(p.theta0, 1.0, 0);
  assert_near(p.psi0, 1.0, 0);
  /* a config with loss: wgan, c: 2 loads into the struct */
  gv_node *root = NULL;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string("loss: wgan\nc: 2\n", "g.yaml", &root, &err), GV_OK);
  gv_cfg_ctx ctx = {"g.yaml", "game"};
  assert_int_equal(gv_params_load(gv_game_dirac.params, root, NULL, &ctx, &p, &err), GV_OK);
  assert_int_equal(p.loss, GV_LOSS_WGAN);
  assert_near(p.c, 2.0, 0);
  gv_node_free(root);
  assert_int_equal(gv_cfg_parse_string("loss: hinge\n", "g.yaml", &root, &err), GV_OK);
  assert_int_equal(gv_params_load(gv_game_dirac.params, root, NULL, &ctx, &p, &err),
                   GV_ECONFIG);
  assert_non_null(strstr(err.msg, "hinge"));
  gv_node_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jacobian_every_loss),
      cmocka_unit_test(test_general_defaults_are_standard),
      cmocka_unit_test(test_field_formulas),
      cmocka_unit_test(test_equilibrium),
      cmocka_unit_test(test_sfun_derivatives),
      cmocka_unit_test(test_penalties),
      cmocka_unit_test(test_field_noisy),
      cmocka_unit_test(test_component_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
