/* Loss-, input- and parameter-level hooks of the controllers (neural games):
 * every loss_outputs gradient against central finite differences of the
 * loss it returns, the declarative penalties against gv_nn_penalty called
 * directly, the parameter-level updates against their formulas, and the
 * neural capability check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/mlpgan.h"
#include "nn/init.h"
#include "tests/controllers/ctl_test_util.h"

#define assert_contains(hay, needle)                                              \
  do {                                                                            \
    if (!strstr((hay), (needle))) fail_msg("'%s' not in '%s'", (needle), (hay));  \
  } while (0)

enum { NR = 5, NF = 4, NH = 6 };

/* The hook's loss at the logits, with the controller stream reseeded so
 * that every call draws the same white noise (BMC). */
static double call(gv_ctl *c, int side, float *l, float *d) {
  gv_rng_reseed(c->rng, 7, "fd", 0);
  gv_ctl_outputs o = {side, NR, NF, NH, l, l + NR, l + NR + NF, d, d + NR, d + NR + NF};
  return c->type->loss_outputs(c->par, c->state, c->rng, &o);
}

/* The stack of a controller list (the test fails if it does not load). */
static gv_ctl_stack stack_of(const char *list) {
  gv_ctl_stack s;
  gv_err err;
  if (tu_stack(&s, list, 3, &err) != GV_OK) fail_msg("%s: %s", list, err.msg);
  return s;
}

static void check_fd(const char *list, int side) {
  gv_ctl_stack s = stack_of(list);
  gv_ctl *c = &s.items[0];
  assert_non_null(c->type->loss_outputs);
  float l[NR + NF + NH], d[NR + NF + NH], dd[NR + NF + NH];
  for (int i = 0; i < NR + NF + NH; ++i) l[i] = (float)(0.9 * sin(1.7 * i + 0.3) + 0.2);
  memset(d, 0, sizeof d);
  double v0 = call(c, side, l, d);
  /* accumulates: a second call adds the same gradient again */
  memcpy(dd, d, sizeof d);
  call(c, side, l, dd);
  const float h = 1.0f / 512; /* exact in float: the perturbation is what it says */
  double nz = 0.0;
  for (int i = 0; i < NR + NF + NH; ++i) {
    assert_near(dd[i], 2.0 * d[i], 1e-6);
    float keep = l[i];
    float scratch[NR + NF + NH] = {0};
    l[i] = keep + h;
    double vp = call(c, side, l, scratch);
    l[i] = keep - h;
    double vm = call(c, side, l, scratch);
    l[i] = keep;
    double fd = (vp - vm) / (2.0 * h);
    if (fabs(fd - d[i]) > 2e-4 * fmax(1.0, fabs(fd)))
      fail_msg("%s side %d: dL/dl[%d] = %.7g, finite differences %.7g", list, side, i, d[i], fd);
    nz += fabs(d[i]);
  }
  (void)v0;
  assert_true(nz > 0.0); /* the controller acts on this side */
  gv_ctl_stack_free(&s);
}

static void test_outputs_gradients(void **state) {
  (void)state;
  check_fd("[{kind: clc, lambda: 0.7}]", GV_CTL_SIDE_DISC);
  check_fd("[{kind: bmc, rho1: 0.3, rho2: 0.2}]", GV_CTL_SIDE_DISC);
  check_fd("[{kind: bmc, rho1: 0.3, rho2: 0.2, side: gen, dt: 0.25}]", GV_CTL_SIDE_GEN);
  check_fd("[{kind: cgail, k: 2.0}]", GV_CTL_SIDE_DISC);
  check_fd("[{kind: cgail, k: 2.0, on: expert, target: 0.3}]", GV_CTL_SIDE_DISC);
  check_fd("[{kind: cgail, k: 2.0, on: policy}]", GV_CTL_SIDE_DISC);
}

/* A controller acts only on its side; CLC without history falls back to the
 * current batch. */
static void test_outputs_sides(void **state) {
  (void)state;
  const char *disc_only[] = {"[{kind: clc}]", "[{kind: bmc}]", "[{kind: cgail}]"};
  for (size_t k = 0; k < 3; ++k) {
    gv_ctl_stack s;
    gv_err err;
    assert_int_equal(tu_stack(&s, disc_only[k], 1, &err), GV_OK);
    float l[NR + NF + NH], d[NR + NF + NH];
    for (int i = 0; i < NR + NF + NH; ++i) l[i] = 0.5f + 0.1f * (float)i;
    memset(d, 0, sizeof d);
    assert_near(call(&s.items[0], GV_CTL_SIDE_GEN, l, d), 0.0, 0);
    for (int i = 0; i < NR + NF + NH; ++i) assert_near(d[i], 0.0, 0);
    gv_ctl_stack_free(&s);
  }
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: clc, lambda: 2}]", 1, &err), GV_OK);
  float l[NR + NF] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, d[NR + NF] = {0};
  gv_ctl_outputs o = {GV_CTL_SIDE_DISC, NR, NF, 0, l, l + NR, NULL, d, d + NR, NULL};
  double v = s.items[0].type->loss_outputs(s.items[0].par, NULL, s.items[0].rng, &o);
  assert_near(v, 285.0 / 9.0, 1e-12); /* (2/2) mean of 1..9 squared */
  assert_near(d[8], 2.0 * 9.0 / 9.0, 1e-6);
  size_t batch = 0;
  assert_int_equal(gv_ctl_stack_history(&s, &batch), 2048);
  assert_int_equal(batch, 128);
  gv_ctl_stack_free(&s);
}

/* The loss_outputs hooks against numbers worked by hand from their
 * formulas, on the paths finite differences alone cannot pin (a coefficient
 * wrong in value and gradient alike, a target ignored, the wrong samples). */
static void test_outputs_by_hand(void **state) {
  (void)state;
  /* CLC with a history (every step after the first): (lambda/2) mean h^2
   * over the history alone, lambda 0.7: sum h^2 = 19.25 */
  gv_ctl_stack s = stack_of("[{kind: clc, lambda: 0.7}]");
  float l[NR + NF + NH] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, -2, 0.5f, 3, -1, 2}, d[NR + NF + NH];
  memset(d, 0, sizeof d);
  assert_near(call(&s.items[0], GV_CTL_SIDE_DISC, l, d), 0.35 * 19.25 / 6.0, 1e-9);
  for (int i = 0; i < NR + NF; ++i) assert_near(d[i], 0.0, 0);
  for (int i = 0; i < NH; ++i) assert_near(d[NR + NF + i], 0.7 * l[NR + NF + i] / 6.0, 1e-7);
  gv_ctl_stack_free(&s);

  /* C-GAIL, k 2, target 0.3: on expert, logits {0, ln 3} -> s {0.5, 0.75},
   * e {0.2, 0.45}: (2/2)(0.04 + 0.2025)/2 and dl = k e s(1-s)/2; on policy,
   * logit -ln 3 -> s 0.25, e -0.05: 0.0025 and dl = 2(-0.05)(0.1875) */
  const float ln3 = (float)log(3.0);
  float r[2] = {0, ln3}, f[1] = {-ln3}, dr[2], df[1];
  for (int on = 0; on < 2; ++on) {
    s = stack_of(on ? "[{kind: cgail, k: 2, target: 0.3, on: policy}]"
                    : "[{kind: cgail, k: 2, target: 0.3, on: expert}]");
    memset(dr, 0, sizeof dr);
    memset(df, 0, sizeof df);
    gv_ctl_outputs o = {GV_CTL_SIDE_DISC, 2, 1, 0, r, f, NULL, dr, df, NULL};
    double v = s.items[0].type->loss_outputs(s.items[0].par, NULL, s.items[0].rng, &o);
    if (!on) {
      assert_near(v, 0.12125, 1e-6);
      assert_near(dr[0], 0.05, 1e-6);
      assert_near(dr[1], 0.084375, 1e-6);
      assert_near(df[0], 0.0, 0);
    } else {
      assert_near(v, 0.0025, 1e-6);
      assert_near(df[0], -0.01875, 1e-6);
      assert_near(dr[0], 0.0, 0);
      assert_near(dr[1], 0.0, 0);
    }
    gv_ctl_stack_free(&s);
  }

  /* BMC, rho1 0.3, rho2 0.2, dt 0.25 (B' = xi / sqrt(dt) = 2 xi), on the
   * noised side's logits {1, 2} and the other's {1}: E x^2 2.5, E x^4 8.5,
   * E y^2 1, so L = 0.75 xi1 + 1.35 xi2, dL/dx = {0.3 xi1 + 0.4 xi2,
   * 0.6 xi1 + 2 xi2}, dL/dy = xi2; side gen noises the generated logits */
  for (int gen = 0; gen < 2; ++gen) {
    s = stack_of(gen ? "[{kind: bmc, rho1: 0.3, rho2: 0.2, dt: 0.25, side: gen}]"
                     : "[{kind: bmc, rho1: 0.3, rho2: 0.2, dt: 0.25}]");
    float x[2] = {1, 2}, y[1] = {1}, dx[2] = {0}, dy[1] = {0};
    gv_ctl_outputs o = {gen ? GV_CTL_SIDE_GEN : GV_CTL_SIDE_DISC, 2, 1, 0, x, y, NULL,
                        dx, dy, NULL};
    if (gen) o = (gv_ctl_outputs){GV_CTL_SIDE_GEN, 1, 2, 0, y, x, NULL, dy, dx, NULL};
    gv_ctl *c = &s.items[0];
    gv_rng_reseed(c->rng, 7, "hand", 0);
    double v = c->type->loss_outputs(c->par, NULL, c->rng, &o);
    gv_rng_reseed(c->rng, 7, "hand", 0);
    const double xi1 = gv_rng_normal(c->rng), xi2 = gv_rng_normal(c->rng);
    assert_true(fabs(xi1) > 0.05 && fabs(xi2) > 0.05); /* the draws tell the terms apart */
    assert_near(v, 0.75 * xi1 + 1.35 * xi2, 1e-9);
    assert_near(dx[0], 0.3 * xi1 + 0.4 * xi2, 1e-6);
    assert_near(dx[1], 0.6 * xi1 + 2.0 * xi2, 1e-6);
    assert_near(dy[0], xi2, 1e-6);
    gv_ctl_stack_free(&s);
  }

  /* a stack adds its controllers' terms: CLC 2 on the batch (285/9) and
   * logit_l2 0.5 on the real logits ((0.5/2) 55/5) */
  s = stack_of("[{kind: clc, lambda: 2}, {kind: logit_l2, lambda: 0.5, on: real}]");
  float b[NR + NF] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, db[NR + NF] = {0};
  gv_ctl_outputs o = {GV_CTL_SIDE_DISC, NR, NF, 0, b, b + NR, NULL, db, db + NR, NULL};
  assert_near(gv_ctl_stack_loss_outputs(&s, &o), 285.0 / 9.0 + 2.75, 1e-9);
  assert_near(db[0], 2.0 / 9.0 + 0.1, 1e-6);
  assert_near(db[NR], 12.0 / 9.0, 1e-6);
  gv_ctl_stack_free(&s);
}

/* ---------------------------------------------------------------- penalties */

static gv_nn *make_d(gv_nn_ws **ws, int n) {
  int hidden[2] = {16, 16};
  gv_nn_spec spec;
  gv_err err;
  assert_int_equal(gv_nn_spec_mlp(&spec, 2, 2, hidden, GV_NN_ACT_TANH, 1, GV_NN_ACT_LINEAR, &err),
                   GV_OK);
  gv_nn *D;
  assert_int_equal(gv_nn_alloc(&D, &spec, &err), GV_OK);
  gsl_rng *r = gv_rng_alloc(11, "init", 0);
  assert_int_equal(gv_nn_init_params(D, GV_NN_INIT_XAVIER_UNIFORM, 1.0, 1.0, r, &err), GV_OK);
  gsl_rng_free(r);
  assert_int_equal(gv_nn_ws_alloc(ws, &spec, n, &err), GV_OK);
  return D;
}

/* The stack's penalty, through the game's evaluator, equals gv_nn_penalty
 * with the documented kind and coefficient on the documented samples. */
static void test_penalties_match_nn(void **state) {
  (void)state;
  enum { N = 7 };
  gv_nn_ws *ws;
  gv_nn *D = make_d(&ws, N);
  float xr[2 * N], xf[2 * N], scratch[2 * N], xi[2 * N];
  for (int i = 0; i < 2 * N; ++i) {
    xr[i] = (float)cos(0.9 * i);
    xf[i] = (float)(0.5 * sin(1.3 * i) - 0.2);
  }
  float *g1 = calloc(D->nparam, sizeof *g1), *g2 = calloc(D->nparam, sizeof *g2);
  const struct {
    const char *list;
    gv_nn_penalty_kind kind;
    double coef;
    int at; /* 0 real, 1 fake, 2 interpolates */
  } cases[] = {{"[{kind: r1, gamma: 0.7}]", GV_NN_PENALTY_R1, 0.7, 0},
               {"[{kind: r2, gamma: 0.4}]", GV_NN_PENALTY_R1, 0.4, 1},
               {"[{kind: wgan_gp, gamma: 3.0}]", GV_NN_PENALTY_GP, 1.5, 2}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    gv_ctl_stack s;
    gv_err err;
    assert_int_equal(tu_stack(&s, cases[k].list, 1, &err), GV_OK);
    assert_int_equal(gv_ctl_stack_check_neural(&s, "mlpgan", &err), GV_OK);
    gv_ctl_penalty pen;
    assert_int_equal(gv_ctl_stack_penalties(&s, &pen, 1), 1);
    memset(g1, 0, D->nparam * sizeof *g1);
    memset(g2, 0, D->nparam * sizeof *g2);
    double v1, v2;
    gsl_rng *r = gv_rng_alloc(5, "interp", 0);
    assert_int_equal(gv_gan_penalty(g1, &v1, D, ws, &pen, xr, xf, N, scratch, r), GV_OK);
    /* the same interpolates by hand, from the same stream */
    gv_rng_reseed(r, 5, "interp", 0);
    const float *x = cases[k].at == 0 ? xr : cases[k].at == 1 ? xf : xi;
    for (int i = 0; i < N; ++i) {
      float e = (float)gsl_rng_uniform(r);
      for (int j = 0; j < 2; ++j) xi[2 * i + j] = e * xr[2 * i + j] + (1.0f - e) * xf[2 * i + j];
    }
    gsl_rng_free(r);
    assert_int_equal(gv_nn_penalty(g2, &v2, D, ws, x, N, cases[k].kind, cases[k].coef), GV_OK);
    assert_near(v1, v2, 0);
    for (size_t i = 0; i < D->nparam; ++i) assert_near(g1[i], g2[i], 0);
    /* and the R1 value is (gamma/2) mean |dD/dx|^2, from finite differences of D */
    if (cases[k].kind == GV_NN_PENALTY_R1) {
      double want = 0.0;
      for (int i = 0; i < N; ++i) {
        double sq = 0.0;
        for (int j = 0; j < 2; ++j) {
          float p[2] = {x[2 * i], x[2 * i + 1]};
          const float h = 1.0f / 256;
          p[j] += h;
          assert_int_equal(gv_nn_forward(ws, D, p, 1), GV_OK);
          double fp = ws->out[0];
          p[j] -= 2 * h;
          assert_int_equal(gv_nn_forward(ws, D, p, 1), GV_OK);
          double dd = (fp - ws->out[0]) / (2.0 * h);
          sq += dd * dd;
        }
        want += 0.5 * cases[k].coef * sq / N;
      }
      assert_near(v1, want, 1e-3 * fmax(1.0, want));
    }
    gv_ctl_stack_free(&s);
  }
  free(g1);
  free(g2);
  gv_nn_free(D);
  gv_nn_ws_free(ws);
}

/* ---------------------------------------------------------- parameter level */

static void test_param_updates(void **state) {
  (void)state;
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: clip, c: 0.5}]", 1, &err), GV_OK);
  float pre[4] = {0}, p[4] = {-2.0f, -0.25f, 0.5f, 3.0f};
  gv_ctl_stack_param_update(&s, pre, p, 4);
  assert_near(p[0], -0.5, 0);
  assert_near(p[1], -0.25, 0);
  assert_near(p[2], 0.5, 0);
  assert_near(p[3], 0.5, 0);
  gv_ctl_stack_free(&s);

  assert_int_equal(tu_stack(&s, "[{kind: bmc_update, rho1: 0.1, rho2: 0.2, beta: 1}]", 4, &err),
                   GV_OK);
  float q[3] = {1.0f, -0.5f, 0.25f}, x[3] = {2.0f, 2.0f, 2.0f};
  gsl_rng *r = gv_rng_alloc(4, "ctl.0.bmc_update", 0);
  double b1 = gv_rng_normal(r), b2 = gv_rng_normal(r);
  gsl_rng_free(r);
  gv_ctl_stack_param_update(&s, q, x, 3);
  for (int i = 0; i < 3; ++i)
    assert_near(x[i], 2.0 + 0.1 * q[i] * b1 - 0.2 * q[i] * fabs(q[i]) * b2, 1e-6);
  gv_ctl_stack_free(&s);
}

static void test_input_noise(void **state) {
  (void)state;
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: instance_noise, sigma: 0.3}, {kind: r1}, "
                                "{kind: instance_noise, sigma: 0.4}]", 1, &err), GV_OK);
  assert_near(gv_ctl_stack_input_noise(&s), 0.5, 1e-15);
  assert_int_equal(gv_ctl_stack_penalties(&s, NULL, 0), 1);
  gv_ctl_stack_free(&s);
  assert_int_equal(tu_stack(&s, "[]", 1, &err), GV_OK);
  assert_near(gv_ctl_stack_input_noise(&s), 0.0, 0);
  assert_int_equal(gv_ctl_stack_history(&s, NULL), 0);
  gv_ctl_stack_free(&s);
}

/* ------------------------------------------------------------------ check */

static void test_check_neural(void **state) {
  (void)state;
  /* a registered controller passes exactly when it has a neural hook; the
   * others (consensus: vector fields only) are rejected naming both */
  for (const gv_component *const *c = gv_ctl_registry.items; *c; ++c) {
    char list[128];
    snprintf(list, sizeof list, "[{kind: %s}]", (*c)->name);
    gv_ctl_stack s;
    gv_err err;
    assert_int_equal(tu_stack(&s, list, 1, &err), GV_OK);
    gv_status st = gv_ctl_stack_check_neural(&s, "mlpgan", &err);
    unsigned h = gv_ctl_hooks((const gv_ctl_type *)*c) & (GV_HOOK_LOSS | GV_HOOK_PARAM);
    if (h && st != GV_OK) fail_msg("%s: %s", (*c)->name, err.msg);
    if (!h) {
      assert_int_equal(st, GV_ENOHOOK);
      char want[128];
      snprintf(want, sizeof want, "controller '%s' has no hook for game 'mlpgan'", (*c)->name);
      assert_contains(err.msg, want);
    }
    gv_ctl_stack_free(&s);
  }
  const char *neural[] = {"none", "r1", "r2", "wgan_gp", "clip", "instance_noise",
                          "clc", "bmc", "bmc_update", "cgail"};
  for (size_t i = 0; i < sizeof neural / sizeof neural[0]; ++i)
    assert_true(gv_ctl_hooks(gv_ctl_find(neural[i])) & (GV_HOOK_LOSS | GV_HOOK_PARAM));
  assert_false(gv_ctl_hooks(gv_ctl_find("consensus")) & (GV_HOOK_LOSS | GV_HOOK_PARAM));
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: wgan_gp, target: 0.5}]", 1, &err), GV_OK);
  assert_int_equal(gv_ctl_stack_check_neural(&s, "mlpgan", &err), GV_ECONFIG);
  assert_contains(err.msg, "wgan_gp");
  gv_ctl_stack_free(&s);
  /* the hook levels are reported */
  assert_true(gv_ctl_hooks(gv_ctl_find("cgail")) & GV_HOOK_LOSS);
  assert_true(gv_ctl_hooks(gv_ctl_find("clip")) == (GV_HOOK_UPDATE | GV_HOOK_PARAM));
  assert_true(gv_ctl_hooks(gv_ctl_find("r1")) == (GV_HOOK_DRIFT | GV_HOOK_LOSS));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outputs_gradients), cmocka_unit_test(test_outputs_sides),
      cmocka_unit_test(test_outputs_by_hand),
      cmocka_unit_test(test_penalties_match_nn), cmocka_unit_test(test_param_updates),
      cmocka_unit_test(test_input_noise),       cmocka_unit_test(test_check_neural),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
