/* Gradient penalties: value, input gradient and the parameter gradient from
 * double backprop against central finite differences of the penalty computed
 * by the double-precision reference (its own backward to the input), for
 * R1 and WGAN-GP, every activation, and a curved output layer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "nn/mlp.h"
#include "nn_ref.h"
#include "nn_testutil.h"

enum { N = 6, NMAX = 512 };

static double ref_penalty(const gv_nn_spec *s, const double *p, const double *x,
                          gv_nn_penalty_kind kind, double coef, double *g0 /* N x d0 or NULL */) {
  ref_tape t;
  const int d0 = s->size[0];
  double total = 0.0, g[REF_W];
  for (int i = 0; i < N; ++i) {
    ref_forward(&t, s, p, x + (size_t)i * d0);
    ref_input_grad(g, &t, s, p);
    double sq = 0.0;
    for (int k = 0; k < d0; ++k) sq += g[k] * g[k];
    if (g0) memcpy(g0 + (size_t)i * d0, g, sizeof(double) * d0);
    total += kind == GV_NN_PENALTY_R1 ? 0.5 * coef * sq : coef * (sqrt(sq) - 1) * (sqrt(sq) - 1);
  }
  return total / N;
}

static int close_enough(double a, double ref) { return fabs(a - ref) <= 1e-4 + 2e-3 * fabs(ref); }

static void check_penalty(const gv_nn_spec *spec, gv_nn_penalty_kind kind, double coef,
                          uint64_t seed) {
  gsl_rng *r = gv_rng_alloc(seed, "test_nn_penalty", 0);
  gv_nn *net = tu_net(spec, 1.5, r);
  gv_nn_ws *ws = NULL;
  gv_err err;
  assert_non_null(net);
  assert_int_equal(gv_nn_ws_alloc(&ws, spec, N, &err), GV_OK);
  const int d0 = spec->size[0];
  float x[N * REF_W];
  tu_normal(x, (size_t)N * d0, 1.0, r);

  /* a nonzero gradient beforehand: the penalty must add to it */
  tu_normal(net->grad, net->nparam, 1.0, r);
  float *before = malloc(net->nparam * sizeof(float));
  memcpy(before, net->grad, net->nparam * sizeof(float));
  double value = 0.0;
  assert_int_equal(gv_nn_penalty(net->grad, &value, net, ws, x, N, kind, coef), GV_OK);

  static double p[NMAX];
  double xd[N * REF_W], g0[N * REF_W];
  for (size_t k = 0; k < net->nparam; ++k) p[k] = net->param[k];
  for (int k = 0; k < N * d0; ++k) xd[k] = x[k];
  const double ref = ref_penalty(spec, p, xd, kind, coef, g0);
  assert_true(fabs(value - ref) <= 1e-5 * (1 + fabs(ref)));
  for (int k = 0; k < N * d0; ++k) assert_true(fabs(ws->gin[0][k] - g0[k]) < 1e-5 * (1 + fabs(g0[k])));

  const double h = 1e-6;
  for (size_t k = 0; k < net->nparam; ++k) {
    const double p0 = p[k];
    p[k] = p0 + h;
    const double vp = ref_penalty(spec, p, xd, kind, coef, NULL);
    p[k] = p0 - h;
    const double vm = ref_penalty(spec, p, xd, kind, coef, NULL);
    p[k] = p0;
    const double fd = (vp - vm) / (2 * h);
    const double got = (double)net->grad[k] - (double)before[k];
    if (!close_enough(got, fd))
      fprintf(stderr, "%s param %zu: %g vs fd %g\n", kind == GV_NN_PENALTY_R1 ? "R1" : "GP", k,
              got, fd);
    assert_true(close_enough(got, fd));
  }

  /* grad = NULL: the value alone */
  double v2 = 0.0;
  assert_int_equal(gv_nn_penalty(NULL, &v2, net, ws, x, N, kind, coef), GV_OK);
  assert_true(v2 == value);
  free(before);
  gv_nn_ws_free(ws);
  gv_nn_free(net);
  gsl_rng_free(r);
}

static void scalar_spec(gv_nn_spec *s, gv_nn_act hidden, gv_nn_act out, int sigmoid) {
  const int hs[2] = {7, 5};
  gv_err err;
  assert_int_equal(gv_nn_spec_mlp(s, 3, 2, hs, hidden, 1, out, &err), GV_OK);
  s->out_sigmoid = sigmoid;
}

static void test_penalties_every_activation(void **state) {
  (void)state;
  gv_nn_spec s;
  for (int a = 0; a < GV_NN_ACT_COUNT; ++a) {
    scalar_spec(&s, (gv_nn_act)a, GV_NN_ACT_LINEAR, 0);
    check_penalty(&s, GV_NN_PENALTY_R1, 10.0, 100 + a);
    check_penalty(&s, GV_NN_PENALTY_GP, 10.0, 110 + a);
    /* curvature in the output layer too; sigmoid ignored (penalty on the logit) */
    scalar_spec(&s, (gv_nn_act)a, (gv_nn_act)a, 1);
    check_penalty(&s, GV_NN_PENALTY_R1, 0.5, 120 + a);
    check_penalty(&s, GV_NN_PENALTY_GP, 2.0, 130 + a);
  }
}

static void test_penalties_mixed(void **state) {
  (void)state;
  gv_nn_spec s;
  const int hs[3] = {6, 8, 4};
  gv_err err;
  /* curved layer below non-curved ones: sweep B starts mid-net */
  assert_int_equal(gv_nn_spec_mlp(&s, 4, 3, hs, GV_NN_ACT_RELU, 1, GV_NN_ACT_LINEAR, &err), GV_OK);
  s.act[0] = GV_NN_ACT_TANH;
  s.act[2] = GV_NN_ACT_LEAKY_RELU;
  check_penalty(&s, GV_NN_PENALTY_R1, 3.0, 140);
  check_penalty(&s, GV_NN_PENALTY_GP, 3.0, 141);
  /* one layer: D linear in x, gradient = W */
  assert_int_equal(gv_nn_spec_mlp(&s, 4, 0, NULL, GV_NN_ACT_TANH, 1, GV_NN_ACT_TANH, &err), GV_OK);
  check_penalty(&s, GV_NN_PENALTY_R1, 1.0, 142);
  check_penalty(&s, GV_NN_PENALTY_GP, 1.0, 143);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_penalties_every_activation),
      cmocka_unit_test(test_penalties_mixed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
