/* The template controller `decay` (controllers/decay.c, docs/extending.md):
 * its closed-form drift predicts R1's spectrum with gamma = k on the
 * Dirac-GAN, it acts on the discriminator only, and its neural hook scales
 * D's parameters by 1 - k; the MLP GAN and GAIL checks accept it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agents/gail.h"
#include "ctl_test_util.h"
#include "gan/stability.h"

static void predict(const char *ctl, gv_prediction *p) {
  tu_predict_dirac(GV_LOSS_STANDARD, 0.0, 0.1, ctl, p);
}

static void test_dirac_spectrum(void **state) {
  (void)state;
  gv_prediction dec, r1, bare;
  predict("[{kind: decay, k: 0.3}]", &dec);
  predict("[{kind: r1, gamma: 0.3}]", &r1);
  predict("[]", &bare);
  assert_int_equal(dec.neig, 2);
  for (size_t i = 0; i < 2; ++i) {
    assert_near(dec.jac_re[i], r1.jac_re[i], 1e-9);
    assert_near(dec.jac_im[i], r1.jac_im[i], 1e-9);
    assert_near(dec.jac_re[i], -0.15, 1e-9); /* -k/2: damped, where the bare game is not */
    assert_near(bare.jac_re[i], 0.0, 1e-9);
  }
  assert_true(dec.spectral_radius < bare.spectral_radius);
}

static void test_drift_and_update(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: decay, k: 0.25}]", 1, &err), GV_OK);
  assert_int_equal(gv_ctl_stack_check(&s, &d.vf, "simgd", GV_HOOK_DRIFT, &err), GV_OK);
  const double x[2] = {0.7, -2.0};
  double dx[2] = {0.0, 0.0};
  gv_ctl_stack_drift(&s, &d.vf, x, dx);
  assert_near(dx[0], 0.0, 0.0);     /* the generator is untouched */
  assert_near(dx[1], 0.5, 1e-15);   /* -k psi */
  float p[3] = {1.0f, -2.0f, 0.5f}, pre[3] = {0};
  gv_ctl_stack_param_update(&s, pre, p, 3);
  assert_near(p[0], 0.75, 1e-7);
  assert_near(p[1], -1.5, 1e-7);
  assert_near(p[2], 0.375, 1e-7);
  /* the neural games' checks accept it */
  assert_int_equal(gv_ctl_stack_check_neural(&s, "mlpgan", &err), GV_OK);
  assert_int_equal(gv_gail_check_controllers_for(&s, "gail", &err), GV_OK);
  gv_ctl_stack_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dirac_spectrum),
      cmocka_unit_test(test_drift_and_update),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
