/* GAIL (agents/gail.h, experiments/gail.c): the discriminator loss and the
 * reward forms against their formulas and central differences, demonstration
 * subsampling, each controller's effect on D's gradient against the
 * controller's formula, the exact 1-D Wasserstein distance, a learning check
 * on the inverted pendulum, determinism, and config errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agents/demo.h"
#include "agents/gail.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "tests/agents/agent_test_util.h"
#include "tests/testdir.h"

extern const gv_experiment gv_exp_gail, gv_exp_onestep_sampled;

static const char *const DEMOS = "data/experts/hopper-demos.h5";
GV_TESTDIR_GROUP(tmpdir, "gail")

static double sig(double l) { return 1.0 / (1.0 + exp(-l)); }

/* ------------------------------------------------------------ pure parts */

static void test_bce_and_gradient(void **state) {
  (void)state;
  /* at l = 0 both terms are log 2 */
  float z[2] = {0, 0};
  assert_true(fabs(gv_gail_bce(z, NULL, 1, z + 1, NULL, 1) - 2 * log(2.0)) < 1e-12);
  /* formula: mean -log D(expert) + mean -log(1 - D(policy)) */
  float le[5] = {-2.0f, -0.3f, 0.1f, 1.7f, 4.0f}, lp[3] = {-3.0f, 0.4f, 2.5f};
  double want = 0;
  for (int i = 0; i < 5; ++i) want += -log(sig(le[i])) / 5;
  for (int i = 0; i < 3; ++i) want += -log(1 - sig(lp[i])) / 3;
  float de[5] = {0}, dp[3] = {0};
  double v = gv_gail_bce(le, de, 5, lp, dp, 3);
  assert_true(fabs(v - want) < 1e-9);
  /* gradient against central differences (in double through the formula) */
  const double h = 1e-3;
  for (int i = 0; i < 8; ++i) {
    float *x = i < 5 ? &le[i] : &lp[i - 5];
    const float x0 = *x;
    *x = (float)(x0 + h);
    double up = gv_gail_bce(le, NULL, 5, lp, NULL, 3);
    *x = (float)(x0 - h);
    double dn = gv_gail_bce(le, NULL, 5, lp, NULL, 3);
    *x = x0;
    double fd = (up - dn) / (2 * h), g = i < 5 ? de[i] : dp[i - 5];
    assert_true(fabs(fd - g) < 1e-4 * (1 + fabs(g)));
  }
  /* dL/dl = (D - 1)/ne on expert rows, D/np on policy rows */
  assert_true(fabs(de[2] - (sig(0.1f) - 1) / 5) < 1e-7);
  assert_true(fabs(dp[1] - sig(0.4f) / 3) < 1e-7);
}

static void test_reward_forms(void **state) {
  (void)state;
  const double ls[] = {-30, -5, -0.7, 0, 0.3, 2, 8, 30};
  for (size_t i = 0; i < sizeof ls / sizeof ls[0]; ++i) {
    const double l = ls[i], d = sig(l);
    /* -log(1 - D), log D - log(1 - D), log D (where representable) */
    const double a = gv_gail_reward_of(GV_GAIL_REW_SOFTPLUS, l);
    const double b = gv_gail_reward_of(GV_GAIL_REW_LOGIT, l);
    const double c = gv_gail_reward_of(GV_GAIL_REW_LOGD, l);
    if (fabs(l) < 20) {
      assert_true(fabs(a - (-log(1 - d))) < 1e-9 * (1 + fabs(a)));
      assert_true(fabs(b - (log(d) - log(1 - d))) < 1e-9 * (1 + fabs(b)));
      assert_true(fabs(c - log(d)) < 1e-9 * (1 + fabs(c)));
    }
    /* identities that hold everywhere: logit = softplus + log_d; softplus > 0 > log_d */
    assert_true(fabs(b - (a + c)) < 1e-9 * (1 + fabs(b)));
    assert_true(a > 0 && c < 0 && isfinite(a) && isfinite(c));
  }
}

static void test_w1(void **state) {
  (void)state;
  const double a0[] = {0}, b1[] = {1};
  assert_true(fabs(gv_w1_sorted(a0, 1, b1, 1) - 1) < 1e-12);
  const double a[] = {0, 1, 2, 3}, b[] = {1.5};
  assert_true(fabs(gv_w1_sorted(a, 4, b, 1) - 1.0) < 1e-12); /* mean |x - 1.5| */
  assert_true(fabs(gv_w1_sorted(a, 4, a, 4)) < 1e-12);
  const double s[] = {0.5, 1.5, 2.5, 3.5}; /* shift by 1/2 */
  assert_true(fabs(gv_w1_sorted(a, 4, s, 4) - 0.5) < 1e-12);
  /* symmetric, unequal sizes: {0, 1} against {0, 0.5, 1}: integral of
   * |F_a - F_b| = 1/2 * 1/6 + 1/2 * 1/6 = 1/6 */
  const double p[] = {0, 1}, q[] = {0, 0.5, 1};
  assert_true(fabs(gv_w1_sorted(p, 2, q, 3) - 1.0 / 6) < 1e-12);
  assert_true(fabs(gv_w1_sorted(q, 3, p, 2) - 1.0 / 6) < 1e-12);
}

static void test_subsample(void **state) {
  (void)state;
  gv_demos d;
  gv_err err;
  assert_int_equal(gv_demos_load(&d, DEMOS, &err), GV_OK);
  const long k = 20, ntraj = 4;
  gsl_rng *r = gv_rng_alloc(7, "gail.subsample", 0);
  long *rows = malloc((size_t)d.steps * sizeof(long));
  long n = gv_gail_subsample(rows, &d, ntraj, k, r);
  gsl_rng_free(r);
  /* count: per episode ceil((L - off) / k) with off in [0, k) */
  long lo = 0, hi = 0;
  for (long e = 0; e < ntraj; ++e) {
    lo += (d.episode_length[e] - (k - 1) + k - 1) / k;
    hi += (d.episode_length[e] + k - 1) / k;
  }
  assert_true(n >= lo && n <= hi && n > 0);
  /* rows inside the first ntraj episodes, spaced k apart, offset < k */
  long i = 0;
  for (long e = 0; e < ntraj; ++e) {
    const long s0 = (long)d.episode_start[e], L = (long)d.episode_length[e];
    assert_true(rows[i] - s0 >= 0 && rows[i] - s0 < k);
    long m = 0;
    while (i < n && rows[i] >= s0 && rows[i] < s0 + L) {
      if (m) assert_int_equal(rows[i] - rows[i - 1], k);
      ++i, ++m;
    }
    assert_int_equal(m, (L - (rows[i - m] - s0) + k - 1) / k);
  }
  assert_int_equal(i, n);
  /* deterministic for a seed; offsets move with it */
  long *rows2 = malloc((size_t)d.steps * sizeof(long));
  r = gv_rng_alloc(7, "gail.subsample", 0);
  assert_int_equal(gv_gail_subsample(rows2, &d, ntraj, k, r), n);
  gsl_rng_free(r);
  assert_memory_equal(rows, rows2, (size_t)n * sizeof(long));
  int differ = 0;
  for (uint64_t sd = 8; sd < 12 && !differ; ++sd) {
    r = gv_rng_alloc(sd, "gail.subsample", 0);
    long n2 = gv_gail_subsample(rows2, &d, ntraj, k, r);
    gsl_rng_free(r);
    differ = n2 != n || memcmp(rows, rows2, (size_t)n * sizeof(long));
  }
  assert_true(differ);
  /* k = 1 keeps everything; more trajectories than the file holds are clipped */
  r = gv_rng_alloc(7, "gail.subsample", 0);
  assert_int_equal(gv_gail_subsample(NULL, &d, 1000, 1, r), d.steps);
  gsl_rng_free(r);
  free(rows);
  free(rows2);
  gv_demos_free(&d);
}

/* ---------------------------------------------------- controller hooks */

typedef enum { C_NONE, C_CGAIL, C_CLC, C_BMC, C_R1, C_GP } ctl_case;

static const char *const ctl_yaml[] = {
    "controllers: []\n",
    "controllers: [{kind: cgail, k: 2.0, target: 0.5, on: both}]\n",
    "controllers: [{kind: clc, lambda: 0.5, buffer: 64, sample: 16}]\n",
    "controllers: [{kind: bmc, rho1: 0.3, rho2: 0.05, side: disc}]\n",
    "controllers: [{kind: r1, gamma: 1.5}]\n",
    "controllers: [{kind: wgan_gp, gamma: 20}]\n",
};

static gv_status load_stack(gv_ctl_stack *s, const char *yaml, uint64_t seed, gv_err *err) {
  gv_node *root = NULL;
  gv_status st = gv_cfg_parse_string(yaml, "ctl.yaml", &root, err);
  if (st) return st;
  gv_cfg_ctx ctx = {"ctl.yaml", ""};
  st = gv_ctl_stack_load(s, gv_map_get(root, "controllers"), &ctx, seed, err);
  gv_node_free(root);
  return st;
}

static void small_params(gv_gail_params *p) {
  memset(p, 0, sizeof *p);   /* absorbing and its action are not in the table: off */
  gv_params_defaults(gv_gail_disc_table, p);
  p->trajectories = 4;
  p->subsample = 20;
  p->width = 16;
  p->batch = 32;
}

/* One D step with controller c: its gradient against BCE + the controller's
 * formula evaluated here on the same batch (re-drawn from the same streams). */
static void check_controller(const gv_demos *d, ctl_case c) {
  const uint64_t seed = 11;
  gv_err err;
  gv_ctl_stack stack;
  assert_int_equal(load_stack(&stack, ctl_yaml[c], seed, &err), GV_OK);
  assert_int_equal(gv_gail_check_controllers(&stack, &err), GV_OK);
  gv_gail_params p;
  small_params(&p);
  gv_gail *g = NULL;
  const int np = 200;
  assert_int_equal(gv_gail_alloc(&g, &p, d, &stack, seed, np, &err), GV_OK);
  const int I = gv_gail_in_dim(g), B = (int)p.batch;
  /* policy inputs: demonstration rows 500.. perturbed, normalised */
  float *xp = malloc((size_t)np * I * sizeof(float));
  float *obs = malloc((size_t)np * d->obs_dim * sizeof(float));
  float *act = malloc((size_t)np * d->act_dim * sizeof(float));
  for (int i = 0; i < np; ++i) {
    for (int j = 0; j < d->obs_dim; ++j)
      obs[i * d->obs_dim + j] = d->obs[(500 + i) * d->obs_dim + j] * 1.3f + 0.05f;
    for (int j = 0; j < d->act_dim; ++j)
      act[i * d->act_dim + j] = -0.5f * d->actions[(500 + i) * d->act_dim + j];
  }
  gv_gail_inputs(g, xp, obs, act, np);
  gv_nn *D = gv_gail_disc(g);
  gv_nn *ref = NULL;
  assert_int_equal(gv_nn_alloc(&ref, &D->spec, &err), GV_OK);
  memcpy(ref->param, D->param, D->nparam * sizeof(float));
  gv_gail_stats st = {0};
  assert_int_equal(gv_gail_disc_step(g, xp, np, &st), GV_OK);

  /* the batch, from the same stream in the same order */
  float *x = malloc((size_t)2 * B * I * sizeof(float));
  gsl_rng *rb = gv_rng_alloc(seed, "gail.batch", 0);
  const float *xe = gv_gail_expert_inputs(g);
  for (int i = 0; i < B; ++i) {
    size_t e = gsl_rng_uniform_int(rb, (unsigned long)gv_gail_expert_rows(g));
    memcpy(x + (size_t)i * I, xe + e * I, (size_t)I * sizeof(float));
  }
  for (int i = 0; i < B; ++i) {
    size_t r = gsl_rng_uniform_int(rb, (unsigned long)np);
    memcpy(x + (size_t)(B + i) * I, xp + r * I, (size_t)I * sizeof(float));
  }
  gsl_rng_free(rb);
  gv_nn_ws *ws = NULL;
  assert_int_equal(gv_nn_ws_alloc(&ws, &D->spec, 2 * B, &err), GV_OK);
  assert_int_equal(gv_nn_forward(ws, ref, x, 2 * B), GV_OK);
  const float *l = ws->out;
  float *dy = calloc((size_t)2 * B, sizeof(float));
  gv_gail_bce(l, dy, (size_t)B, l + B, dy + B, (size_t)B);
  /* the controller's formula on the logits */
  if (c == C_CGAIL) {
    for (int i = 0; i < 2 * B; ++i) {
      double s = sig(l[i]);
      dy[i] += (float)(2.0 * (s - 0.5) * s * (1 - s) / (2 * B));
    }
  } else if (c == C_CLC) { /* empty history: the current batch, (lambda/2) mean l^2 */
    for (int i = 0; i < 2 * B; ++i) dy[i] += (float)(0.5 * l[i] / (2 * B));
  } else if (c == C_BMC) {
    gsl_rng *rc = gv_rng_alloc(seed, "ctl.0.bmc", 0);
    double b1 = gv_rng_normal(rc), b2 = gv_rng_normal(rc);
    gsl_rng_free(rc);
    double a = 0, f = 0;
    for (int i = 0; i < B; ++i) a += (double)l[i] * l[i] / B;
    for (int i = 0; i < B; ++i) f += (double)l[B + i] * l[B + i] / B;
    for (int i = 0; i < B; ++i) {
      double v = l[i];
      dy[i] += (float)((0.3 * v * b1 + 0.05 * (v * v * v + f * v) * b2) / B);
      dy[B + i] += (float)(0.05 * a * l[B + i] * b2 / B);
    }
  }
  gv_nn_zero_grad(ref);
  assert_int_equal(gv_nn_backward(ref->grad, NULL, ref, ws, dy), GV_OK);
  if (c == C_R1) { /* (gamma/2) mean |grad_x D|^2 on the expert rows */
    double v;
    assert_int_equal(gv_nn_penalty(ref->grad, &v, ref, ws, x, B, GV_NN_PENALTY_R1, 1.5), GV_OK);
  } else if (c == C_GP) { /* lambda = gamma/2 = 10 on interpolates */
    gsl_rng *ri = gv_rng_alloc(seed, "gail.interp", 0);
    float *xi = malloc((size_t)B * I * sizeof(float));
    for (int i = 0; i < B; ++i) {
      float e = (float)gsl_rng_uniform(ri);
      for (int j = 0; j < I; ++j)
        xi[i * I + j] = e * x[i * I + j] + (1.0f - e) * x[(B + i) * I + j];
    }
    gsl_rng_free(ri);
    double v;
    assert_int_equal(gv_nn_penalty(ref->grad, &v, ref, ws, xi, B, GV_NN_PENALTY_GP, 10.0),
                     GV_OK);
    free(xi);
  }
  /* the same gradient; and (controllers) different from the bare BCE's */
  double dmax = 0, gmax = 0;
  for (size_t i = 0; i < D->nparam; ++i) {
    dmax = fmax(dmax, fabs(D->grad[i] - ref->grad[i]));
    gmax = fmax(gmax, fabs(ref->grad[i]));
  }
  if (dmax > 1e-5 * gmax) fprintf(stderr, "controller case %d: %g vs %g\n", (int)c, dmax, gmax);
  assert_true(dmax <= 1e-5 * gmax);
  if (c != C_NONE) {
    memset(dy, 0, (size_t)2 * B * sizeof(float));
    assert_int_equal(gv_nn_forward(ws, ref, x, 2 * B), GV_OK);
    gv_gail_bce(ws->out, dy, (size_t)B, ws->out + B, dy + B, (size_t)B);
    gv_nn_zero_grad(ref);
    assert_int_equal(gv_nn_backward(ref->grad, NULL, ref, ws, dy), GV_OK);
    double diff = 0;
    for (size_t i = 0; i < D->nparam; ++i) diff = fmax(diff, fabs(D->grad[i] - ref->grad[i]));
    assert_true(diff > 1e-3 * gmax);
    assert_true(st.ctl_loss != 0.0);
  }
  free(dy);
  free(x);
  free(xp);
  free(obs);
  free(act);
  gv_nn_ws_free(ws);
  gv_nn_free(ref);
  gv_gail_free(g);
  gv_ctl_stack_free(&stack);
}

static void test_controller_gradients(void **state) {
  (void)state;
  gv_demos d;
  gv_err err;
  assert_int_equal(gv_demos_load(&d, DEMOS, &err), GV_OK);
  for (int c = C_NONE; c <= C_GP; ++c) check_controller(&d, (ctl_case)c);
  gv_demos_free(&d);
}

/* ------------------------------------------------------------ whole runs */

/* A short GAIL run on the inverted pendulum: the deterministic evaluation's
 * normalised return rises from near 0 to most of the expert's. */
static void test_learns_pendulum(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/ip.h5", tmpdir);
  gv_err err;
  gv_status st = at_run_text(
      "game: {kind: gail, env: inverted_pendulum}\n"
      "disc: {updates: 10}\n"
      "agent: {kind: ppo}\n"
      "seed: 0\n"
      "run: {steps: 61440, envs: 8, threads: 2, eval_every: 10240, eval_episodes: 4}\n",
      path, &err);
  if (st) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(st, GV_OK);
  size_t n;
  double *v = at_series(path, "eval_normalised_return", NULL, &n);
  assert_true(n >= 4);
  double best = -1;
  for (size_t i = 0; i < n; ++i) best = fmax(best, v[i]);
  fprintf(stderr, "inverted_pendulum GAIL: first eval %.3f, last %.3f, best %.3f\n", v[0],
          v[n - 1], best);
  assert_true(v[0] < 0.3);
  assert_true(v[n - 1] > 0.6);
  /* normalised return = (R - R_random) / (R_expert - R_random), the two
   * from the demonstrations' file, at every point of both series */
  gv_demos dm;
  assert_int_equal(gv_demos_load(&dm, "data/experts/inverted_pendulum-demos.h5", &err), GV_OK);
  const double re = at_summary(path, "expert_return"), rr = at_summary(path, "random_return");
  assert_true(re == dm.eval_return_mean && rr == dm.random_return_mean);
  assert_true(re - rr > 100.0); /* far apart: R / R_expert would differ */
  gv_demos_free(&dm);
  const char *pairs[2][2] = {{"eval_return_mean", "eval_normalised_return"},
                             {"train_return", "normalised_return"}};
  for (int k = 0; k < 2; ++k) {
    size_t nr, nn;
    double *raw = at_series(path, pairs[k][0], NULL, &nr);
    double *norm = at_series(path, pairs[k][1], NULL, &nn);
    assert_true(nr == nn && nr >= 4);
    for (size_t i = 0; i < nr; ++i) assert_true(fabs(norm[i] - (raw[i] - rr) / (re - rr)) < 1e-12);
    free(raw);
    free(norm);
  }
  free(v);
}

static void test_determinism(void **state) {
  (void)state;
  static const char cfg[] =
      "game: {kind: gail, env: hopper}\n"
      "disc: {updates: 3, batch: 64}\n"
      "agent: {kind: ppo, rollout: 1024, minibatches: 16, epochs: 2}\n"
      "controllers: [{kind: cgail, k: 1}, {kind: wgan_gp}, {kind: clc, sample: 32}]\n"
      "seed: 5\n"
      "run: {steps: 3072, envs: 4, threads: %d, eval_every: 0, eval_episodes: 2, "
      "distance_every: 1}\n";
  static const char *const names[] = {"train_return", "d_expert", "d_policy", "d_loss",
                                      "ctl_loss", "reward_mean", "wd_states", "swd_states",
                                      "eval_return_mean", "policy_loss", NULL};
  char text[1024], p1[128], p2[128];
  gv_err err;
  snprintf(p1, sizeof p1, "%s/d1.h5", tmpdir);
  snprintf(p2, sizeof p2, "%s/d2.h5", tmpdir);
  snprintf(text, sizeof text, cfg, 1);
  assert_int_equal(at_run_text(text, p1, &err), GV_OK);
  snprintf(text, sizeof text, cfg, 2);
  assert_int_equal(at_run_text(text, p2, &err), GV_OK);
  for (int i = 0; names[i]; ++i) {
    size_t n1, n2;
    double *a = at_series(p1, names[i], NULL, &n1), *b = at_series(p2, names[i], NULL, &n2);
    assert_int_equal(n1, n2);
    assert_true(n1 > 0);
    assert_memory_equal(a, b, n1 * sizeof(double));
    free(a);
    free(b);
  }
  /* the controller terms are there */
  size_t n;
  double *c = at_series(p1, "ctl_loss", NULL, &n);
  assert_true(c[0] != 0.0 && isfinite(c[0]));
  free(c);
}

static void expect_config_error(const char *text, gv_status want, const char *needle1,
                                const char *needle2) {
  gv_node *root = NULL;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string(text, "bad.yaml", &root, &err), GV_OK);
  gv_status st = gv_exp_gail.check(root, "bad.yaml", &err);
  gv_node_free(root);
  if (st != want || !strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
    fprintf(stderr, "status %d: %s\n", (int)st, err.msg);
  assert_int_equal(st, want);
  assert_int_equal(gv_exit_code(st), 2);
  assert_non_null(strstr(err.msg, needle1));
  if (needle2) assert_non_null(strstr(err.msg, needle2));
}

static void test_config_errors(void **state) {
  (void)state;
  /* a controller with no loss-level hook (consensus acts on vector fields) */
  expect_config_error("game: {kind: gail, env: hopper}\ncontrollers: [{kind: consensus}]\n",
                      GV_ENOHOOK, "'consensus'", "'gail'");
  /* BMC on the generator's loss has nowhere to act */
  expect_config_error(
      "game: {kind: gail, env: hopper}\ncontrollers: [{kind: bmc, side: gen}]\n", GV_ENOHOOK,
      "'bmc'", "'gail'");
  /* unknown controller */
  expect_config_error("game: {kind: gail, env: hopper}\ncontrollers: [{kind: pid}]\n",
                      GV_ECONFIG, "pid", NULL);
  /* missing demonstration file: names it, says how to make one */
  expect_config_error("game: {kind: gail, env: hopper, demos: /nonexistent/x-demos.h5}\n",
                      GV_ECONFIG, "/nonexistent/x-demos.h5", "not found");
  /* demonstrations of another task */
  expect_config_error("game: {kind: gail, env: walker2d, demos: data/experts/hopper-demos.h5}\n",
                      GV_ECONFIG, "hopper", "walker2d");
  /* unknown reward form */
  expect_config_error("game: {kind: gail, env: hopper}\ndisc: {reward: exp}\n", GV_ECONFIG,
                      "reward", NULL);
}

/* The sampled one-step game tracks its closed-form flow: the equilibrium TV
 * of docs/theory/onestep-gail.md (0.0407 for lambda 0.1, -log(1 - D)) within
 * sampling noise, and the two policies stay close along the way. */
static void test_onestep_sampled(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/os.h5", tmpdir);
  gv_node *root = NULL;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string(
      "game: {kind: onestep_sampled, expert: [0.6, 0.3, 0.1], lambda: 0.1, reward: gail, "
      "disc: logit, policy: softmax}\n"
      "sampled: {batch: 256, steps: 3000, h: 0.5}\nseed: 1\n", "os.yaml", &root, &err), GV_OK);
  assert_int_equal(gv_exp_onestep_sampled.check(root, "os.yaml", &err), GV_OK);
  assert_int_equal(gv_exp_onestep_sampled.run(root, "os.yaml", path, 0, &err), GV_OK);
  gv_node_free(root);
  const double ts = at_summary(path, "final_tv_sampled"), tf = at_summary(path, "final_tv_flow");
  const double mb = at_summary(path, "max_tv_between");
  fprintf(stderr, "onestep_sampled: TV sampled %.4f, flow %.4f, max between %.4f\n", ts, tf, mb);
  assert_true(fabs(tf - 0.0407) < 1e-3);
  assert_true(fabs(ts - tf) < 0.015);
  assert_true(mb < 0.06);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bce_and_gradient),
      cmocka_unit_test(test_reward_forms),
      cmocka_unit_test(test_w1),
      cmocka_unit_test(test_subsample),
      cmocka_unit_test(test_controller_gradients),
      cmocka_unit_test(test_config_errors),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_learns_pendulum),
      cmocka_unit_test(test_onestep_sampled),
  };
  return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
}
