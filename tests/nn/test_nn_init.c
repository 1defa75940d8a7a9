/* Initialisers: orthogonality with gain, moments of Xavier/He, and
 * determinism (same seed, same bytes, also after training steps). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"
#include "nn/init.h"
#include "nn/mlp.h"
#include "nn/optim.h"

/* max |A A^T - gain^2 I| over rows (byrow = 1) or |A^T A - gain^2 I| */
static double ortho_error(const float *w, int rows, int cols, double gain, int byrow) {
  const int m = byrow ? rows : cols, len = byrow ? cols : rows;
  double worst = 0.0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      double s = 0.0;
      for (int k = 0; k < len; ++k) {
        const double a = byrow ? w[i * cols + k] : w[k * cols + i];
        const double b = byrow ? w[j * cols + k] : w[k * cols + j];
        s += a * b;
      }
      const double e = fabs(s - (i == j ? gain * gain : 0.0));
      if (e > worst) worst = e;
    }
  return worst;
}

static void test_orthogonal(void **state) {
  (void)state;
  gsl_rng *r = gv_rng_alloc(7, "test_nn_init", 0);
  gv_err err;
  const int shapes[][2] = {{64, 64}, {16, 64}, {3, 11}, {64, 16}, {256, 23}, {1, 256}};
  const double gains[] = {1.0, sqrt(2.0), 0.01};
  float *w = malloc(sizeof(float) * 256 * 256);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
    for (size_t g = 0; g < 3; ++g) {
      const int rows = shapes[s][0], cols = shapes[s][1];
      assert_int_equal(gv_nn_init_matrix(w, rows, cols, GV_NN_INIT_ORTHOGONAL, gains[g], r, &err),
                       GV_OK);
      /* square and wide: orthonormal rows; tall: orthonormal columns */
      assert_true(ortho_error(w, rows, cols, gains[g], rows <= cols) < 1e-5);
    }
  free(w);
  gsl_rng_free(r);
  /* the sign correction: a column's Haar draw is a / |a| for the Gaussian
   * a it was drawn from (R's diagonal made positive), whichever sign
   * Householder QR leaves it with; eight draws, both signs of a_0 among them */
  int signs = 0;
  for (uint64_t k = 0; k < 8; ++k) {
    gsl_rng *r1 = gv_rng_alloc(9, "test_nn_init.col", k);
    gsl_rng *r2 = gv_rng_alloc(9, "test_nn_init.col", k);
    float col[5];
    assert_int_equal(gv_nn_init_matrix(col, 5, 1, GV_NN_INIT_ORTHOGONAL, 2.0, r1, &err), GV_OK);
    double a[5], norm = 0.0;
    for (int i = 0; i < 5; ++i) {
      a[i] = gv_rng_normal(r2);
      norm += a[i] * a[i];
    }
    for (int i = 0; i < 5; ++i) assert_true(fabs(col[i] - 2.0 * a[i] / sqrt(norm)) < 1e-6);
    signs |= a[0] < 0 ? 1 : 2;
    gsl_rng_free(r1);
    gsl_rng_free(r2);
  }
  assert_int_equal(signs, 3);
}

static void test_fan_moments(void **state) {
  (void)state;
  gsl_rng *r = gv_rng_alloc(8, "test_nn_init", 0);
  gv_err err;
  const int rows = 200, cols = 300, n = rows * cols;
  float *w = malloc(sizeof(float) * n);
  const double g = 1.5;
  const struct {
    gv_nn_init_kind kind;
    double var;   /* expected variance */
    double bound; /* |w| <= bound for uniform, 0: unbounded */
  } cases[] = {
      {GV_NN_INIT_XAVIER_UNIFORM, g * g * 2.0 / (rows + cols), g * sqrt(6.0 / (rows + cols))},
      {GV_NN_INIT_XAVIER_NORMAL, g * g * 2.0 / (rows + cols), 0.0},
      {GV_NN_INIT_HE_UNIFORM, g * g / cols, g * sqrt(3.0 / cols)},
      {GV_NN_INIT_HE_NORMAL, g * g / cols, 0.0},
  };
  for (size_t c = 0; c < 4; ++c) {
    assert_int_equal(gv_nn_init_matrix(w, rows, cols, cases[c].kind, g, r, &err), GV_OK);
    double mean = 0.0, sq = 0.0, mx = 0.0;
    for (int k = 0; k < n; ++k) {
      mean += w[k];
      sq += (double)w[k] * w[k];
      if (fabs(w[k]) > mx) mx = fabs(w[k]);
    }
    mean /= n;
    const double var = sq / n - mean * mean;
    assert_true(fabs(mean) < 0.02 * sqrt(cases[c].var)); /* 5 standard errors */
    assert_true(fabs(var / cases[c].var - 1.0) < 0.03);
    if (cases[c].bound > 0.0) assert_true(mx <= cases[c].bound * (1 + 1e-6));
  }
  assert_int_equal(gv_nn_init_parse("he_normal"), GV_NN_INIT_HE_NORMAL);
  assert_int_equal(gv_nn_init_parse("kaiming"), GV_NN_INIT_COUNT);
  assert_int_equal(gv_nn_init_matrix(w, 2, 2, GV_NN_INIT_COUNT, 1.0, r, &err), GV_EINVAL);
  free(w);
  gsl_rng_free(r);
}

/* A seeded net, its biases zero, then 5 Adam steps on seeded data. */
static gv_nn *trained(uint64_t seed) {
  gv_nn_spec s;
  gv_err err;
  const int hs[2] = {64, 64};
  gv_nn_spec_mlp(&s, 11, 2, hs, GV_NN_ACT_TANH, 3, GV_NN_ACT_LINEAR, &err);
  gsl_rng *r = gv_rng_alloc(seed, "init", 0);
  gv_nn *net = NULL;
  gv_nn_ws *ws = NULL;
  gv_nn_optim *opt = NULL;
  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_ADAM);
  gv_nn_alloc(&net, &s, &err);
  gv_nn_ws_alloc(&ws, &s, 32, &err);
  gv_nn_optim_alloc(&opt, &os, net->nparam, &err);
  assert_int_equal(gv_nn_init_params(net, GV_NN_INIT_ORTHOGONAL, sqrt(2.0), 0.01, r, &err), GV_OK);
  for (int l = 0; l < s.nlayer; ++l)
    for (int j = 0; j < s.size[l + 1]; ++j) assert_true(gv_nn_b(net, l)[j] == 0.0f);
  float x[32 * 11], dy[32 * 3];
  for (int step = 0; step < 5; ++step) {
    for (int k = 0; k < 32 * 11; ++k) x[k] = (float)gv_rng_normal(r);
    for (int k = 0; k < 32 * 3; ++k) dy[k] = (float)gv_rng_normal(r);
    gv_nn_zero_grad(net);
    gv_nn_forward(ws, net, x, 32);
    gv_nn_backward(net->grad, NULL, net, ws, dy);
    gv_nn_optim_step(net->param, opt, net->grad, NULL);
  }
  gv_nn_optim_free(opt);
  gv_nn_ws_free(ws);
  gsl_rng_free(r);
  return net;
}

static void test_determinism(void **state) {
  (void)state;
  gv_nn *a = trained(42), *b = trained(42), *c = trained(43);
  assert_memory_equal(a->param, b->param, a->nparam * sizeof(float));
  assert_memory_equal(a->grad, b->grad, a->nparam * sizeof(float));
  assert_memory_not_equal(a->param, c->param, a->nparam * sizeof(float));
  gv_nn_free(a);
  gv_nn_free(b);
  gv_nn_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_orthogonal),
      cmocka_unit_test(test_fan_moments),
      cmocka_unit_test(test_determinism),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
