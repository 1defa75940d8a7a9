/* Named streams: same (seed, name, index) -> same draws; anything else differs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rng.h"

static void test_streams(void **state) {
  (void)state;
  gsl_rng *a = gv_rng_alloc(7, "init", 0), *b = gv_rng_alloc(7, "init", 0);
  gsl_rng *c = gv_rng_alloc(7, "noise", 0), *d = gv_rng_alloc(8, "init", 0);
  gsl_rng *e = gv_rng_alloc(7, "init", 1);
  int same_c = 1, same_d = 1, same_e = 1;
  for (int i = 0; i < 100; ++i) {
    double x = gv_rng_normal(a);
    assert_true(x == gv_rng_normal(b));
    same_c &= x == gv_rng_normal(c);
    same_d &= x == gv_rng_normal(d);
    same_e &= x == gv_rng_normal(e);
  }
  assert_false(same_c);
  assert_false(same_d);
  assert_false(same_e);
  /* reseeding restarts the stream */
  gv_rng_reseed(a, 7, "init", 0);
  gv_rng_reseed(b, 7, "init", 0);
  assert_true(gsl_rng_get(a) == gsl_rng_get(b));
  gsl_rng_free(a);
  gsl_rng_free(b);
  gsl_rng_free(c);
  gsl_rng_free(d);
  gsl_rng_free(e);
}

static void test_normal_moments(void **state) {
  (void)state;
  gsl_rng *r = gv_rng_alloc(1, "m", 0);
  double s1 = 0, s2 = 0;
  int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = gv_rng_normal(r);
    s1 += x;
    s2 += x * x;
  }
  assert_true(s1 / n < 0.01 && s1 / n > -0.01); /* 4.5 standard errors */
  assert_true(s2 / n > 0.985 && s2 / n < 1.015);
  gsl_rng_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_streams),
      cmocka_unit_test(test_normal_moments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
