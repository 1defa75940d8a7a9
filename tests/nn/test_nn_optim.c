/* Optimiser steps against values computed by hand on a 3-parameter problem,
 * schedules, clipping, divergence, and the flat utilities (copy, Polyak). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "nn/mlp.h"
#include "nn/optim.h"

static const float P0[3] = {1.0f, -2.0f, 0.5f};
static const float G1[3] = {0.1f, -0.2f, 0.3f};
static const float G2[3] = {-0.1f, 0.05f, 0.3f};

static void expect3(const float *p, double a, double b, double c) {
  if (fabs(p[0] - a) >= 1e-6 || fabs(p[1] - b) >= 1e-6 || fabs(p[2] - c) >= 1e-6)
    fprintf(stderr, "got (%.9g, %.9g, %.9g), expected (%.9g, %.9g, %.9g)\n", p[0], p[1], p[2], a,
            b, c);
  assert_true(fabs(p[0] - a) < 1e-6);
  assert_true(fabs(p[1] - b) < 1e-6);
  assert_true(fabs(p[2] - c) < 1e-6);
}

static gv_nn_optim *make(const gv_nn_optim_spec *s) {
  gv_nn_optim *o = NULL;
  gv_err err;
  assert_int_equal(gv_nn_optim_alloc(&o, s, 3, &err), GV_OK);
  return o;
}

/* A fresh optimiser of spec s takes one step from P0 with gradient g. */
static void first_step(const gv_nn_optim_spec *s, const float *g, double a, double b,
                       double c) {
  gv_nn_optim *o = make(s);
  float p[3] = {P0[0], P0[1], P0[2]};
  assert_int_equal(gv_nn_optim_step(p, o, g, NULL), GV_OK);
  expect3(p, a, b, c);
  gv_nn_optim_free(o);
}

/* Adam, lr 0.1, betas (0.9, 0.999), eps 1e-8.
 * Step 1: m = 0.1 g, v = 0.001 g^2, so m^ = g, v^ = g^2 and p -= 0.1 g/|g|:
 *   (0.9, -1.9, 0.4).
 * Step 2, first entry: m = 0.9 (0.01) + 0.1 (-0.1) = -0.001, m^ = -0.001/0.19;
 *   v = 0.999e-5 + 1e-5 = 1.999e-5, v^ = 1.999e-5/0.001999 = 0.01, sqrt 0.1;
 *   p = 0.9 + 0.1 (0.001/0.19)/0.1 = 0.905263158; likewise the others. */
static void test_adam(void **state) {
  (void)state;
  gv_nn_optim_spec s;
  gv_nn_optim_default(&s, GV_NN_ADAM);
  s.lr = 0.1;
  gv_nn_optim *o = make(&s);
  float p[3] = {P0[0], P0[1], P0[2]};
  assert_int_equal(gv_nn_optim_step(p, o, G1, NULL), GV_OK);
  expect3(p, 0.90000001, -1.9, 0.400000003);
  assert_int_equal(gv_nn_optim_step(p, o, G2, NULL), GV_OK);
  expect3(p, 0.905263167, -1.85305319, 0.300000007);
  assert_int_equal(o->t, 2);
  gv_nn_optim_free(o);

  /* L2 decay 0.1 on g = (0.1, 0.05, 0.3): g' = g + 0.1 p = (0.2, -0.15, 0.35),
   * so the second entry's step turns round: (0.9, -1.9, 0.4), where no
   * decay gives (0.9, -2.1, 0.4) (Adam's first step is lr sign(g')) */
  s.weight_decay = 0.1;
  s.wd_mode = GV_NN_WD_L2;
  o = make(&s);
  float q[3] = {P0[0], P0[1], P0[2]};
  const float g3[3] = {0.1f, 0.05f, 0.3f};
  gv_nn_optim_step(q, o, g3, NULL);
  expect3(q, 0.900000005, -1.9, 0.400000003);
  expect3(o->m, 0.1 * 0.2, 0.1 * -0.15, 0.1 * 0.35); /* m = (1 - beta1) g': the decay's size */
  gv_nn_optim_free(o);
  /* decoupled (AdamW): p (1 - lr wd) = 0.99 p, then p -= 0.1 g/|g| */
  s.wd_mode = GV_NN_WD_DECOUPLED;
  first_step(&s, G1, 0.89000001, -1.88, 0.395000003);
}

/* eps large enough to matter, added outside the square root of the
 * bias-corrected v, and a zero gradient that moves nothing: g = (0.1, 0,
 * 0.3).  Adam, lr 0.1, eps 0.1: m^ = g, sqrt(v^) = |g|: 0.1 (0.1)/(0.1 +
 * 0.1) = 0.05 and 0.1 (0.3)/(0.3 + 0.1) = 0.075, so (0.95, -2, 0.425) (eps
 * inside the root: 0.969849; eps not bias-corrected: 0.996935; no eps: a
 * NaN at the zero gradient).  RMSprop, lr 0.01, eps 0.01: v = 0.01 g^2,
 * sqrt = 0.1 |g|: 0.01 (0.1)/(0.01 + 0.01) = 0.05, 0.01 (0.3)/(0.03 +
 * 0.01) = 0.075: the same point. */
static void test_eps(void **state) {
  (void)state;
  const float g[3] = {0.1f, 0.0f, 0.3f};
  gv_nn_optim_spec s;
  gv_nn_optim_default(&s, GV_NN_ADAM);
  s.lr = 0.1;
  s.eps = 0.1;
  first_step(&s, g, 0.95, -2.0, 0.425);
  gv_nn_optim_default(&s, GV_NN_RMSPROP);
  s.lr = 0.01;
  s.eps = 0.01;
  first_step(&s, g, 0.95, -2.0, 0.425);
}

/* RMSprop, lr 0.01, alpha 0.99, eps 1e-8.
 * Step 1: v = 0.01 g^2, p -= 0.01 g/(0.1 |g|) = 0.1 sign(g).
 * Step 2, first entry: v = 0.99e-4 + 1e-4 = 1.99e-4, sqrt = 0.0141067;
 *   p = 0.9 + 0.01 (0.1/0.0141067) = 0.970888. */
static void test_rmsprop(void **state) {
  (void)state;
  gv_nn_optim_spec s;
  gv_nn_optim_default(&s, GV_NN_RMSPROP);
  assert_true(s.lr == 0.01 && s.alpha == 0.99);
  gv_nn_optim *o = make(&s);
  float p[3] = {P0[0], P0[1], P0[2]};
  gv_nn_optim_step(p, o, G1, NULL);
  expect3(p, 0.9000001, -1.90000005, 0.400000033);
  gv_nn_optim_step(p, o, G2, NULL);
  expect3(p, 0.97088817, -1.92436855, 0.32911193);
  gv_nn_optim_free(o);
}

/* SGD, lr 0.1, momentum 0.9: b1 = g1, p1 = p - 0.1 g1 = (0.99, -1.98, 0.47);
 * b2 = 0.9 g1 + g2 = (-0.01, -0.13, 0.57), p2 = (0.991, -1.967, 0.413). */
static void test_sgd(void **state) {
  (void)state;
  gv_nn_optim_spec s;
  gv_nn_optim_default(&s, GV_NN_SGD);
  s.lr = 0.1;
  s.momentum = 0.9;
  gv_nn_optim *o = make(&s);
  float p[3] = {P0[0], P0[1], P0[2]};
  gv_nn_optim_step(p, o, G1, NULL);
  expect3(p, 0.99, -1.98, 0.47);
  gv_nn_optim_step(p, o, G2, NULL);
  expect3(p, 0.991, -1.967, 0.413);
  gv_nn_optim_free(o);
  /* L2 decay 0.1, no momentum: p -= 0.1 (g + 0.1 p), g + 0.1 p = (0.2, -0.4, 0.35) */
  gv_nn_optim_spec l2 = s;
  l2.momentum = 0;
  l2.weight_decay = 0.1;
  l2.wd_mode = GV_NN_WD_L2;
  first_step(&l2, G1, 0.98, -1.96, 0.465);
  /* Nesterov: p -= lr (g + mu b); step 1: b = g, p -= 0.1 * 1.9 g */
  s.nesterov = 1;
  first_step(&s, G1, 1.0 - 0.019, -2.0 + 0.038, 0.5 - 0.057);
}

static void test_schedules(void **state) {
  (void)state;
  gv_nn_optim_spec s;
  gv_nn_optim_default(&s, GV_NN_SGD);
  s.lr = 1.0;
  s.schedule = GV_NN_LR_LINEAR;
  s.horizon = 4;
  gv_nn_optim *o = make(&s);
  const float zero[3] = {0};
  float p[3] = {0};
  const double lin[6] = {1.0, 0.75, 0.5, 0.25, 0.0, 0.0};
  for (int t = 0; t < 6; ++t) {
    assert_true(fabs(gv_nn_optim_lr(o) - lin[t]) < 1e-12);
    gv_nn_optim_step(p, o, zero, NULL);
  }
  gv_nn_optim_free(o);
  s.schedule = GV_NN_LR_STEP;
  s.step_every = 2;
  o = make(&s);
  const double stp[6] = {1.0, 1.0, 0.5, 0.5, 0.25, 0.25};
  for (int t = 0; t < 6; ++t) {
    assert_true(gv_nn_optim_lr(o) == stp[t]);
    gv_nn_optim_step(p, o, zero, NULL);
  }
  gv_nn_optim_reset(o);
  assert_true(gv_nn_optim_lr(o) == 1.0);
  gv_nn_optim_free(o);
  gv_err err;
  s.step_every = 0;
  assert_int_equal(gv_nn_optim_check(&s, &err), GV_EINVAL);
}

/* Clipping: |(3, 4, 0)| = 5 clipped to 1 scales g by 1/(5 + 1e-6); plain SGD
 * with lr 1 then moves p by (-0.6, -0.8, 0). */
static void test_clip_and_divergence(void **state) {
  (void)state;
  gv_nn_optim_spec s;
  gv_nn_optim_default(&s, GV_NN_SGD);
  s.lr = 1.0;
  s.clip_norm = 1.0;
  gv_nn_optim *o = make(&s);
  const float g[3] = {3.0f, 4.0f, 0.0f};
  float p[3] = {0};
  double nrm = 0.0;
  assert_int_equal(gv_nn_optim_step(p, o, g, &nrm), GV_OK);
  assert_true(nrm == 5.0);
  expect3(p, -0.6, -0.8, 0.0);
  /* below the bound: untouched gradient */
  const float small[3] = {0.3f, 0.4f, 0.0f};
  float q[3] = {0};
  gv_nn_optim_step(q, o, small, NULL);
  expect3(q, -0.3, -0.4, 0.0);
  /* a NaN gradient is reported and leaves the parameters alone */
  const float bad[3] = {1.0f, NAN, 0.0f};
  assert_int_equal(gv_nn_optim_step(q, o, bad, &nrm), GV_EDIVERGED);
  expect3(q, -0.3, -0.4, 0.0);
  assert_true(gv_nn_clip_scale(10.0, 0.0) == 1.0f);
  gv_nn_optim_free(o);
}

static void test_copy_polyak(void **state) {
  (void)state;
  gv_nn_spec s, other;
  gv_err err;
  const int hs[1] = {4};
  assert_int_equal(gv_nn_spec_mlp(&s, 2, 1, hs, GV_NN_ACT_RELU, 1, GV_NN_ACT_LINEAR, &err), GV_OK);
  assert_int_equal(gv_nn_spec_mlp(&other, 2, 1, hs, GV_NN_ACT_TANH, 1, GV_NN_ACT_LINEAR, &err), GV_OK);
  gv_nn *a = NULL, *b = NULL, *c = NULL;
  gv_nn_alloc(&a, &s, &err);
  gv_nn_alloc(&b, &s, &err);
  gv_nn_alloc(&c, &other, &err);
  assert_int_equal(a->nparam, 2 * 4 + 4 + 4 + 1);
  assert_true(((uintptr_t)a->param % GV_NN_ALIGN) == 0 && ((uintptr_t)a->grad % GV_NN_ALIGN) == 0);
  for (size_t k = 0; k < a->nparam; ++k) {
    a->param[k] = (float)k;
    b->param[k] = 1.0f;
  }
  assert_int_equal(gv_nn_polyak(b, a, 0.25f), GV_OK);
  for (size_t k = 0; k < a->nparam; ++k) assert_true(fabsf(b->param[k] - (0.25f * k + 0.75f)) < 1e-6f);
  assert_int_equal(gv_nn_copy(b, a), GV_OK);
  assert_memory_equal(b->param, a->param, a->nparam * sizeof(float));
  assert_int_equal(gv_nn_copy(c, a), GV_EINVAL);
  assert_int_equal(gv_nn_polyak(c, a, 0.5f), GV_EINVAL);
  assert_int_equal(gv_nn_polyak(b, a, 1.5f), GV_EINVAL);
  gv_nn_free(a);
  gv_nn_free(b);
  gv_nn_free(c);
  gv_nn_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_adam),
      cmocka_unit_test(test_eps),          cmocka_unit_test(test_rmsprop),
      cmocka_unit_test(test_sgd),           cmocka_unit_test(test_schedules),
      cmocka_unit_test(test_clip_and_divergence), cmocka_unit_test(test_copy_polyak),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
