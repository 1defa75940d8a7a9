/* Gradients of the MLP against central finite differences of a double-
 * precision reference (nn_ref.h) on the same weights: parameter gradients and
 * input gradients for every activation, with and without the output sigmoid,
 * the logit form of backward, grad = NULL, and accumulation (+=). */
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

enum { N = 5, NMAX = 512 };

/* sum_i sum_k c_ik y_ik with y the output (logit = 0) or the logit h_L (1) */
static double ref_loss(const gv_nn_spec *s, const double *p, const double *x, const double *c,
                       int logit) {
  ref_tape t;
  double loss = 0.0;
  const int d0 = s->size[0], dL = s->size[s->nlayer];
  for (int i = 0; i < N; ++i) {
    ref_forward(&t, s, p, x + (size_t)i * d0);
    for (int k = 0; k < dL; ++k)
      loss += c[(size_t)i * dL + k] * (logit ? t.h[s->nlayer][k] : t.out[k]);
  }
  return loss;
}

static int close_enough(double a, double ref) { return fabs(a - ref) <= 1e-4 + 1e-3 * fabs(ref); }

/* Checks grad and dx from (backward or backward_logit) against finite
 * differences, for one spec. */
static void check_spec(const gv_nn_spec *spec, int logit, uint64_t seed) {
  gsl_rng *r = gv_rng_alloc(seed, "test_nn_grad", 0);
  gv_nn *net = tu_net(spec, 1.3, r);
  gv_nn_ws *ws = NULL;
  gv_err err;
  assert_non_null(net);
  assert_int_equal(gv_nn_ws_alloc(&ws, spec, N + 3, &err), GV_OK);
  const int d0 = spec->size[0], dL = spec->size[spec->nlayer];
  float x[N * REF_W], c[N * REF_W], dx[N * REF_W];
  tu_normal(x, (size_t)N * d0, 1.0, r);
  tu_normal(c, (size_t)N * dL, 1.0, r);

  gv_nn_zero_grad(net);
  assert_int_equal(gv_nn_forward(ws, net, x, N), GV_OK);
  if (logit)
    assert_int_equal(gv_nn_backward_logit(net->grad, dx, net, ws, c), GV_OK);
  else
    assert_int_equal(gv_nn_backward(net->grad, dx, net, ws, c), GV_OK);

  static double p[NMAX];
  double xd[N * REF_W], cd[N * REF_W];
  assert_true(net->nparam <= NMAX);
  for (size_t k = 0; k < net->nparam; ++k) p[k] = net->param[k];
  for (int k = 0; k < N * d0; ++k) xd[k] = x[k];
  for (int k = 0; k < N * dL; ++k) cd[k] = c[k];

  /* forward agrees with the reference */
  ref_tape t;
  for (int i = 0; i < N; ++i) {
    ref_forward(&t, spec, p, xd + (size_t)i * d0);
    for (int k = 0; k < dL; ++k) assert_true(fabs(ws->out[i * dL + k] - t.out[k]) < 1e-5);
  }

  const double h = 1e-6;
  for (size_t k = 0; k < net->nparam; ++k) {
    const double p0 = p[k];
    p[k] = p0 + h;
    const double lp = ref_loss(spec, p, xd, cd, logit);
    p[k] = p0 - h;
    const double lm = ref_loss(spec, p, xd, cd, logit);
    p[k] = p0;
    const double fd = (lp - lm) / (2 * h);
    if (!close_enough(net->grad[k], fd)) fprintf(stderr, "param %zu: %g vs fd %g\n", k, net->grad[k], fd);
    assert_true(close_enough(net->grad[k], fd));
  }
  for (int k = 0; k < N * d0; ++k) {
    const double x0 = xd[k];
    xd[k] = x0 + h;
    const double lp = ref_loss(spec, p, xd, cd, logit);
    xd[k] = x0 - h;
    const double lm = ref_loss(spec, p, xd, cd, logit);
    xd[k] = x0;
    const double fd = (lp - lm) / (2 * h);
    if (!close_enough(dx[k], fd)) fprintf(stderr, "x %d: %g vs fd %g\n", k, dx[k], fd);
    assert_true(close_enough(dx[k], fd));
  }
  gv_nn_ws_free(ws);
  gv_nn_free(net);
  gsl_rng_free(r);
}

static void spec3(gv_nn_spec *s, gv_nn_act hidden, gv_nn_act out, int sigmoid) {
  const int hs[2] = {7, 5};
  gv_err err;
  assert_int_equal(gv_nn_spec_mlp(s, 4, 2, hs, hidden, 3, out, &err), GV_OK);
  s->out_sigmoid = sigmoid;
}

static void test_grad_every_activation(void **state) {
  (void)state;
  gv_nn_spec s;
  for (int a = 0; a < GV_NN_ACT_COUNT; ++a) {
    spec3(&s, (gv_nn_act)a, GV_NN_ACT_LINEAR, 0);
    check_spec(&s, 0, 10 + a);
    spec3(&s, (gv_nn_act)a, (gv_nn_act)a, 0); /* the activation on the output too */
    check_spec(&s, 0, 20 + a);
    spec3(&s, (gv_nn_act)a, GV_NN_ACT_LINEAR, 1); /* through the sigmoid */
    check_spec(&s, 0, 30 + a);
    check_spec(&s, 1, 40 + a); /* logit form */
  }
}

static void test_grad_mixed_and_deep(void **state) {
  (void)state;
  gv_nn_spec s;
  const int hs[4] = {6, 9, 3, 5};
  gv_err err;
  assert_int_equal(gv_nn_spec_mlp(&s, 2, 4, hs, GV_NN_ACT_TANH, 2, GV_NN_ACT_LINEAR, &err), GV_OK);
  s.act[1] = GV_NN_ACT_RELU;
  s.act[2] = GV_NN_ACT_LEAKY_RELU;
  s.slope = 0.1f;
  check_spec(&s, 0, 50);
  /* a single layer (linear or logistic regression) */
  assert_int_equal(gv_nn_spec_mlp(&s, 5, 0, NULL, GV_NN_ACT_TANH, 2, GV_NN_ACT_LINEAR, &err), GV_OK);
  check_spec(&s, 0, 51);
}

/* grad = NULL: only the input gradient, parameters' gradient untouched. */
static void test_input_grad_only(void **state) {
  (void)state;
  gv_nn_spec s;
  spec3(&s, GV_NN_ACT_TANH, GV_NN_ACT_LINEAR, 0);
  gsl_rng *r = gv_rng_alloc(3, "test_nn_grad", 1);
  gv_nn *net = tu_net(&s, 1.0, r);
  gv_nn_ws *ws = NULL;
  gv_err err;
  assert_int_equal(gv_nn_ws_alloc(&ws, &s, N, &err), GV_OK);
  float x[N * 4], c[N * 3], dx1[N * 4], dx2[N * 4];
  tu_normal(x, N * 4, 1.0, r);
  tu_normal(c, N * 3, 1.0, r);
  gv_nn_zero_grad(net);
  gv_nn_forward(ws, net, x, N);
  gv_nn_backward(net->grad, dx1, net, ws, c);
  gv_nn_zero_grad(net);
  gv_nn_backward(NULL, dx2, net, ws, c);
  assert_memory_equal(dx1, dx2, sizeof dx1);
  assert_true(gv_nn_grad_norm(net) == 0.0);
  gv_nn_ws_free(ws);
  gv_nn_free(net);
  gsl_rng_free(r);
}

/* Two backward calls accumulate exactly twice one call. */
static void test_accumulate(void **state) {
  (void)state;
  gv_nn_spec s;
  spec3(&s, GV_NN_ACT_RELU, GV_NN_ACT_LINEAR, 0);
  gsl_rng *r = gv_rng_alloc(4, "test_nn_grad", 2);
  gv_nn *net = tu_net(&s, 1.0, r);
  gv_nn_ws *ws = NULL;
  gv_err err;
  assert_int_equal(gv_nn_ws_alloc(&ws, &s, N, &err), GV_OK);
  float x[N * 4], c[N * 3];
  tu_normal(x, N * 4, 1.0, r);
  tu_normal(c, N * 3, 1.0, r);
  float *once = malloc(net->nparam * sizeof(float));
  gv_nn_zero_grad(net);
  gv_nn_forward(ws, net, x, N);
  gv_nn_backward(net->grad, NULL, net, ws, c);
  memcpy(once, net->grad, net->nparam * sizeof(float));
  gv_nn_backward(net->grad, NULL, net, ws, c);
  /* the second call adds the same g, but into a nonzero sum (the bias sums
   * row by row), so equality holds to rounding */
  for (size_t k = 0; k < net->nparam; ++k)
    assert_true(fabsf(net->grad[k] - 2.0f * once[k]) <= 1e-6f * (1.0f + fabsf(once[k])));
  assert_true(gv_nn_grad_norm(net) > 0.0);
  gv_nn_zero_grad(net);
  assert_true(gv_nn_grad_norm(net) == 0.0);
  free(once);
  gv_nn_ws_free(ws);
  gv_nn_free(net);
  gsl_rng_free(r);
}

static void test_bad_input(void **state) {
  (void)state;
  gv_nn_spec s;
  gv_err err;
  spec3(&s, GV_NN_ACT_TANH, GV_NN_ACT_LINEAR, 0);
  gv_nn *net = NULL;
  gv_nn_ws *ws = NULL;
  assert_int_equal(gv_nn_alloc(&net, &s, &err), GV_OK);
  assert_int_equal(gv_nn_ws_alloc(&ws, &s, 2, &err), GV_OK);
  float x[3 * 4] = {0}, dy[3 * 3] = {0};
  assert_int_equal(gv_nn_backward(net->grad, NULL, net, ws, dy), GV_EINVAL); /* no forward yet */
  assert_int_equal(gv_nn_forward(ws, net, x, 3), GV_EINVAL);                 /* > maxbatch */
  assert_int_equal(gv_nn_forward(ws, net, x, 0), GV_EINVAL);
  double v;
  assert_int_equal(gv_nn_penalty(net->grad, &v, net, ws, x, 2, GV_NN_PENALTY_R1, 1.0),
                   GV_EINVAL); /* 3 outputs: penalties need a scalar net */
  s.slope = -0.1f;
  s.act[0] = GV_NN_ACT_LEAKY_RELU;
  assert_int_equal(gv_nn_spec_check(&s, &err), GV_EINVAL);
  s.slope = 0.1f;
  s.nlayer = GV_NN_MAX_LAYERS + 1;
  assert_int_equal(gv_nn_spec_check(&s, &err), GV_EINVAL);
  char buf[128];
  spec3(&s, GV_NN_ACT_TANH, GV_NN_ACT_LINEAR, 1);
  gv_nn_spec_format(buf, sizeof buf, &s);
  assert_string_equal(buf, "4-7-5-3 tanh,tanh,linear sigmoid");
  assert_int_equal(gv_nn_spec_nparam(&s), 4 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3);
  gv_nn_ws_free(ws);
  gv_nn_free(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_every_activation),
      cmocka_unit_test(test_grad_mixed_and_deep),
      cmocka_unit_test(test_input_grad_only),
      cmocka_unit_test(test_accumulate),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
