/* Activations: the fast tanh against libm in double, and each row of
 * GV_NN_ACT_LIST self-consistent (f' and f'' match finite differences of f
 * and f'), NaN propagating, names round-tripping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nn/act.h"

static void test_tanh_accuracy(void **state) {
  (void)state;
  double worst = 0.0;
  /* a geometric grid of 1e-8 .. 12 with ratio 1 + 1e-5 (2 million points),
   * both signs, plus every float around the branch point 0.55 */
  for (double m = 1e-8; m < 12.0; m *= 1.00001)
    for (int sgn = -1; sgn <= 1; sgn += 2) {
    const float x = (float)(sgn * m);
    const double ref = tanh((double)x);
    const float y = gv_nn_tanhf(x);
    const float ar = (float)fabs(ref);
    const double ulp = (double)(nextafterf(ar, 2.0f) - ar);
    const double e = fabs((double)y - ref) / ulp;
    if (e > worst) worst = e;
  }
  for (float x = 0.549f; x < 0.551f; x = nextafterf(x, 1.0f)) {
    const double ref = tanh((double)x), ulp = (double)(nextafterf((float)ref, 2.0f) - (float)ref);
    const double e = fabs((double)gv_nn_tanhf(x) - ref) / ulp;
    if (e > worst) worst = e;
  }
  assert_true(worst < 3.0); /* within 3 ulp of the correctly rounded value */
  assert_true(gv_nn_tanhf(0.0f) == 0.0f);
  assert_true(gv_nn_tanhf(100.0f) == 1.0f);
  assert_true(gv_nn_tanhf(-INFINITY) == -1.0f);
  assert_true(isnan(gv_nn_tanhf(NAN)));
}

static void test_derivatives_consistent(void **state) {
  (void)state;
  const float a = 0.2f, h = 1e-2f;
  for (int act = 0; act < GV_NN_ACT_COUNT; ++act) {
    for (float z = -3.0f; z <= 3.0f; z += 0.037f) {
      if (fabsf(z) < 3 * h) continue; /* kinks of relu and leaky relu */
      const float y = gv_nn_act_value((gv_nn_act)act, a, z);
      const double fp = ((double)gv_nn_act_value((gv_nn_act)act, a, z + h) -
                         (double)gv_nn_act_value((gv_nn_act)act, a, z - h)) / (2.0 * h);
      const double d1p = gv_nn_act_d1((gv_nn_act)act, a, gv_nn_act_value((gv_nn_act)act, a, z + h));
      const double d1m = gv_nn_act_d1((gv_nn_act)act, a, gv_nn_act_value((gv_nn_act)act, a, z - h));
      const double fpp = (d1p - d1m) / (2.0 * h);
      assert_true(fabs(gv_nn_act_d1((gv_nn_act)act, a, y) - fp) < 1e-4);
      assert_true(fabs(gv_nn_act_d2((gv_nn_act)act, a, y) - fpp) < 1e-3);
      if (!gv_nn_act_curved((gv_nn_act)act)) assert_true(gv_nn_act_d2((gv_nn_act)act, a, y) == 0.0f);
    }
    assert_true(isnan(gv_nn_act_value((gv_nn_act)act, a, NAN)));
  }
}

static void test_names(void **state) {
  (void)state;
  for (int act = 0; act < GV_NN_ACT_COUNT; ++act)
    assert_int_equal(gv_nn_act_parse(gv_nn_act_name((gv_nn_act)act)), act);
  assert_int_equal(gv_nn_act_parse("sigmoid"), GV_NN_ACT_COUNT);
  assert_string_equal(gv_nn_act_name(GV_NN_ACT_LEAKY_RELU), "leaky_relu");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tanh_accuracy),
      cmocka_unit_test(test_derivatives_consistent),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
