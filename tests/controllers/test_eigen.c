/* Jacobian eigenvalues of the controlled Dirac-GAN at its equilibrium
 * (Mescheder et al. 2018's table and CLC: docs/theory/dirac.md, sections 3
 * and 5), and the drifts and update
 * hooks of each controller at points away from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "tests/controllers/ctl_test_util.h"

/* Eigenvalues of the controlled field's Jacobian at xstar, sorted. */
static void ctl_eig(int loss, const char *ctl, double *re, double *im, double *J) {
  gv_dirac d;
  tu_dirac(&d, loss, 0.0);
  gv_ctl_stack s;
  gv_err err;
  if (tu_stack(&s, ctl, 1, &err) != GV_OK) fail_msg("%s", err.msg);
  double Jl[4];
  if (!J) J = Jl;
  if (tu_controlled_jacobian(&d.vf, &s, d.xstar, J, &err) != GV_OK) fail_msg("%s", err.msg);
  tu_eig2(J, re, im);
  gv_ctl_stack_free(&s);
}

static void expect_eig(int loss, const char *ctl, double re0, double im0, double re1, double im1,
                       double tol) {
  double re[2], im[2];
  ctl_eig(loss, ctl, re, im, NULL);
  if (fabs(re[0] - re0) > tol || fabs(im[0] - im0) > tol || fabs(re[1] - re1) > tol ||
      fabs(im[1] - im1) > tol)
    fail_msg("%s (loss %d): eigenvalues %.9g%+.9gi, %.9g%+.9gi; want %.9g%+.9gi, %.9g%+.9gi",
             ctl, loss, re[0], im[0], re[1], im[1], re0, im0, re1, im1);
}

static void test_bare(void **state) {
  (void)state;
  expect_eig(GV_LOSS_STANDARD, "[]", 0, 0.5, 0, -0.5, 1e-8);
  expect_eig(GV_LOSS_NONSAT, "[]", 0, 0.5, 0, -0.5, 1e-8);
  expect_eig(GV_LOSS_WGAN, "[]", 0, 1, 0, -1, 1e-8);
  expect_eig(GV_LOSS_GENERAL, "[]", 0, 0.5, 0, -0.5, 1e-8);
  expect_eig(GV_LOSS_STANDARD, "[{kind: none}]", 0, 0.5, 0, -0.5, 1e-8);
}

/* R1 and R2: -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2). */
static void test_r1_r2(void **state) {
  (void)state;
  expect_eig(GV_LOSS_STANDARD, "[{kind: r1, gamma: 0.3}]", -0.15, 0.4769696, -0.15, -0.4769696,
             1e-7);
  expect_eig(GV_LOSS_STANDARD, "[{kind: r2, gamma: 0.3}]", -0.15, 0.4769696, -0.15, -0.4769696,
             1e-7);
  /* double root: finite differences perturb it by about sqrt(1e-10) */
  expect_eig(GV_LOSS_STANDARD, "[{kind: r1, gamma: 1.0}]", -0.5, 0, -0.5, 0, 1e-4);
  double re[2], im[2], J[4];
  ctl_eig(GV_LOSS_STANDARD, "[{kind: r1, gamma: 1.0}]", re, im, J);
  assert_near(J[0] + J[3], -1.0, 1e-8);                 /* trace */
  assert_near(J[0] * J[3] - J[1] * J[2], 0.25, 1e-8);   /* determinant */
  expect_eig(GV_LOSS_STANDARD, "[{kind: r1, gamma: 2.0}]", -0.1339746, 0, -1.8660254, 0, 1e-7);
  /* WGAN, f'(0) = 1 */
  expect_eig(GV_LOSS_WGAN, "[{kind: r1, gamma: 1.0}]", -0.5, sqrt(0.75), -0.5, -sqrt(0.75), 1e-7);
}

/* Consensus: -gamma f'(0)^2 +- f'(0) i, with the game's Jacobian and with
 * finite differences of the field. */
static void test_consensus(void **state) {
  (void)state;
  expect_eig(GV_LOSS_STANDARD, "[{kind: consensus, gamma: 1.0}]", -0.25, 0.5, -0.25, -0.5, 1e-7);
  expect_eig(GV_LOSS_WGAN, "[{kind: consensus, gamma: 0.5}]", -0.5, 1, -0.5, -1, 1e-7);

  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.3);
  gv_vfgame nojac = d.vf;
  nojac.jacobian = NULL;
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: consensus, gamma: 0.8}]", 1, &err), GV_OK);
  const double pts[][2] = {{1.0, 1.0}, {-0.4, 2.0}, {0.3, 0.0}};
  for (int k = 0; k < 3; ++k) {
    double Fa[2], Ff[2], v[2], J[4];
    gv_vf_controlled(&d.vf, &s, pts[k], Fa);
    gv_vf_controlled(&nojac, &s, pts[k], Ff);
    assert_near(Fa[0], Ff[0], 1e-8);
    assert_near(Fa[1], Ff[1], 1e-8);
    /* and against v - gamma J^T v written out */
    gv_dirac_field(&d, pts[k], v);
    gv_dirac_jacobian(&d, pts[k], J);
    assert_near(Fa[0], v[0] - 0.8 * (J[0] * v[0] + J[2] * v[1]), 1e-14);
    assert_near(Fa[1], v[1] - 0.8 * (J[1] * v[0] + J[3] * v[1]), 1e-14);
  }
  /* at the equilibrium v = 0, so the controlled Jacobian is J - gamma J^T J
   * (the bare J has (c^2 + theta^2) f''(0) = -c^2 / 2 in its corner) */
  double J[4], J0[4];
  assert_int_equal(tu_controlled_jacobian(&nojac, &s, d.xstar, J, &err), GV_OK);
  gv_dirac_jacobian(&d, d.xstar, J0);
  assert_near(J0[3], -2 * 0.09 / 4, 1e-15); /* theta = c: real and fake terms */
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      double jtj = J0[0 * 2 + i] * J0[0 * 2 + j] + J0[1 * 2 + i] * J0[1 * 2 + j];
      assert_near(J[i * 2 + j], J0[i * 2 + j] - 0.8 * jtj, 1e-5);
    }
  gv_ctl_stack_free(&s);
}

/* Instance noise: f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2). */
static void test_instance_noise(void **state) {
  (void)state;
  expect_eig(GV_LOSS_STANDARD, "[{kind: instance_noise, sigma: 0.7}]", -0.1225, 0.4847615, -0.1225,
             -0.4847615, 1e-7);
  double a = -0.25 * 0.09;
  expect_eig(GV_LOSS_STANDARD, "[{kind: instance_noise, sigma: 0.3}]", a, sqrt(0.25 - a * a), a,
             -sqrt(0.25 - a * a), 1e-7);
  /* WGAN's field is linear: noise changes nothing */
  expect_eig(GV_LOSS_WGAN, "[{kind: instance_noise, sigma: 0.7}]", 0, 1, 0, -1, 1e-8);
}

/* CLC on WGAN: (-lambda +- sqrt(lambda^2 - 4)) / 2. */
static void test_clc(void **state) {
  (void)state;
  expect_eig(GV_LOSS_WGAN, "[{kind: clc, lambda: 1.0}]", -0.5, sqrt(3.0) / 2, -0.5, -sqrt(3.0) / 2,
             1e-8);
  expect_eig(GV_LOSS_WGAN, "[{kind: clc, lambda: 3.0}]", (-3 + sqrt(5.0)) / 2, 0,
             (-3 - sqrt(5.0)) / 2, 0, 1e-8);
  /* acts on the distance to xstar = (c, 0): with c = 2 the drift at xstar is 0 */
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_WGAN, 2.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: clc, lambda: 0.7}]", 1, &err), GV_OK);
  double F[2], x[2] = {2.0, 0.0};
  gv_vf_controlled(&d.vf, &s, x, F);
  assert_near(F[0], 0.0, 0);
  assert_near(F[1], 0.0, 0);
  x[1] = 0.5;
  gv_vf_controlled(&d.vf, &s, x, F);
  assert_near(F[0], -0.5, 1e-15);       /* generator untouched */
  assert_near(F[1], -0.7 * 0.5, 1e-15); /* v_psi = theta - c = 0 */
  gv_ctl_stack_free(&s);
}

/* WGAN-GP: v_psi = theta - gamma (|psi| - g0) sign(psi) (Mescheder's table). */
static void test_wgan_gp(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_WGAN, 0.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: wgan_gp}]", 1, &err), GV_OK); /* 0.7, 1.0 */
  const double pts[][2] = {{0.5, 0.3}, {-1.0, -2.0}, {0.2, 0.0}};
  for (int k = 0; k < 3; ++k) {
    double F[2], ps = pts[k][1], sg = (ps > 0) - (ps < 0);
    gv_vf_controlled(&d.vf, &s, pts[k], F);
    assert_near(F[0], -ps, 1e-15);
    assert_near(F[1], pts[k][0] - 0.7 * (fabs(ps) - 1.0) * sg, 1e-15);
  }
  gv_ctl_stack_free(&s);
}

/* Clipping projects only the discriminator, after the update. */
static void test_clip(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_WGAN, 0.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: clip, c: 0.5}]", 1, &err), GV_OK);
  double pre[2] = {0, 0}, x[2] = {3.0, -2.0};
  gv_ctl_stack_update(&s, &d.vf, pre, x);
  assert_near(x[0], 3.0, 0);
  assert_near(x[1], -0.5, 0);
  x[1] = 0.25;
  gv_ctl_stack_update(&s, &d.vf, pre, x);
  assert_near(x[1], 0.25, 0);
  /* under simgd, psi never leaves [-c, c] */
  gv_scheme sc;
  gv_scheme_params p = tu_sp(0.2, 1);
  assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("simgd"), &p, &d.vf, &s, &err), GV_OK);
  double y[2] = {1.0, 1.0};
  for (int k = 0; k < 500; ++k) {
    assert_int_equal(sc.type->step(&sc, y, NULL), GV_OK);
    assert_true(fabs(y[1]) <= 0.5);
  }
  gv_scheme_deinit(&sc);
  gv_ctl_stack_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bare),        cmocka_unit_test(test_r1_r2),
      cmocka_unit_test(test_consensus),   cmocka_unit_test(test_instance_noise),
      cmocka_unit_test(test_clc),         cmocka_unit_test(test_wgan_gp),
      cmocka_unit_test(test_clip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
