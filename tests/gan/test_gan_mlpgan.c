/* MLP GANs on 2-D mixtures: the mixture and metrics, the game losses'
 * gradients, the quality bar of docs/mlpgan.md on the ring of 8, the direction of
 * the comparison table (WGAN without control against CLC), determinism,
 * divergence as data, and consensus rejected by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "gan/mlpgan.h"

#define assert_near(a, b, tol)                                                      \
  do {                                                                              \
    double a_ = (a), b_ = (b), t_ = (tol);                                          \
    if (!(fabs(a_ - b_) <= t_))                                                     \
      fail_msg("%s = %.15g, expected %s = %.15g (tol %g)", #a, a_, #b, b_, t_);     \
  } while (0)

static void test_mixture_and_metrics(void **state) {
  (void)state;
  gv_mlpgan_params p;
  gv_params_defaults(gv_game_mlpgan.params, &p);
  gv_mixture m;
  assert_int_equal(gv_mixture_init(&m, &p, NULL), GV_OK);
  assert_int_equal(m.k, 8);
  for (size_t k = 0; k < 8; ++k) assert_near(hypot(m.mu[2 * k], m.mu[2 * k + 1]), 2.0, 1e-12);
  enum { N = 2500 };
  float *x = malloc(2 * N * sizeof *x), *ref = malloc(2 * N * sizeof *ref);
  gsl_rng *r = gv_rng_alloc(1, "t", 0);
  gv_mixture_sample(&m, r, x, N);
  gv_mixture_sample(&m, r, ref, N);
  gv_gan_metrics g;
  gv_gan_metrics_compute(&g, &m, x, ref, N, 20, 32);
  assert_near(g.modes, 8, 0);
  /* P(|N(0, s^2 I_2)| <= 3 s) = 1 - exp(-9/2) = 0.98889 */
  assert_near(g.hq, 1.0 - exp(-4.5), 0.01);
  assert_true(g.kl < 0.01);
  assert_true(g.swd < 0.05);
  gv_gan_metrics_compute(&g, &m, x, x, N, 20, 32);
  assert_near(g.swd, 0.0, 0);
  /* all samples on one mode: 1 mode, KL = log 8 */
  for (size_t i = 0; i < N; ++i) x[2 * i] = 2.0f, x[2 * i + 1] = 0.0f;
  gv_gan_metrics_compute(&g, &m, x, ref, N, 20, 32);
  assert_near(g.modes, 1, 0);
  assert_near(g.kl, log(8.0), 1e-12);
  /* the grid: 25 modes, spacing 2, centred */
  p.data = GV_MIX_GRID;
  gv_mixture mg;
  assert_int_equal(gv_mixture_init(&mg, &p, NULL), GV_OK);
  assert_int_equal(mg.k, 25);
  assert_near(mg.mu[0], -4.0, 0);
  assert_near(mg.mu[2 * 24 + 1], 4.0, 0);
  assert_near(mg.std, 0.05, 0);
  gsl_rng_free(r);
  free(x);
  free(ref);
  gv_mixture_deinit(&m);
  gv_mixture_deinit(&mg);
}

/* Each loss's logit gradients against central differences of its value. */
static void test_loss_gradients(void **state) {
  (void)state;
  enum { NR = 4, NF = 5 };
  float lr[NR] = {-1.3f, 0.2f, 0.7f, 2.5f}, lf[NF] = {-2.0f, -0.6f, 0.1f, 0.9f, 1.7f};
  const float h = 1.0f / 1024;
  for (int loss = GV_GAN_STANDARD; loss <= GV_GAN_HINGE; ++loss) {
    float dr[NR] = {0}, df[NF] = {0}, dg[NF] = {0}, s[NF] = {0};
    gv_gan_loss_disc(loss, lr, dr, NR, lf, df, NF);
    gv_gan_loss_gen(loss, lf, dg, NF);
    for (int i = 0; i < NR; ++i) {
      float k = lr[i];
      lr[i] = k + h;
      double vp = gv_gan_loss_disc(loss, lr, NULL, NR, lf, s, NF);
      lr[i] = k - h;
      double vm = gv_gan_loss_disc(loss, lr, NULL, NR, lf, s, NF);
      lr[i] = k;
      assert_near(dr[i], (vp - vm) / (2 * h), 1e-4);
    }
    for (int i = 0; i < NF; ++i) {
      float k = lf[i];
      lf[i] = k + h;
      double vp = gv_gan_loss_disc(loss, lr, NULL, NR, lf, s, NF);
      double gp = gv_gan_loss_gen(loss, lf, s, NF);
      lf[i] = k - h;
      double vm = gv_gan_loss_disc(loss, lr, NULL, NR, lf, s, NF);
      double gm = gv_gan_loss_gen(loss, lf, s, NF);
      lf[i] = k;
      assert_near(df[i], (vp - vm) / (2 * h), 1e-4);
      assert_near(dg[i], (gp - gm) / (2 * h), 1e-4);
    }
  }
}

/* Each loss's value by hand, one real logit 0.7 and one fake -0.6 (finite
 * differences cannot tell the losses apart from each other):
 *   standard, non-saturating D: softplus(-0.7) + softplus(-0.6) = 0.8406740;
 *   G: standard log(1 - D) = -softplus(-0.6) = -0.4374880, non-saturating
 *   -log D = softplus(0.6) = 1.0374880, wgan and hinge -l = 0.6;
 *   D: wgan -0.7 + (-0.6) = -1.3, hinge (1 - 0.7) + (1 - 0.6) = 0.7. */
static void test_loss_values(void **state) {
  (void)state;
  const float lr[1] = {0.7f}, lf[1] = {-0.6f};
  const double d_want[4] = {0.8406740, 0.8406740, -1.3, 0.7};
  const double g_want[4] = {-0.4374880, 1.0374880, 0.6, 0.6};
  for (int loss = GV_GAN_STANDARD; loss <= GV_GAN_HINGE; ++loss) {
    assert_near(gv_gan_loss_disc(loss, lr, NULL, 1, lf, NULL, 1), d_want[loss], 1e-6);
    assert_near(gv_gan_loss_gen(loss, lf, NULL, 1), g_want[loss], 1e-6);
  }
}

/* ------------------------------------------------------------- whole runs */

/* Runs a config text through the experiment (check, run, analyze) into a
 * temporary file; returns the run's status and leaves the path in path. */
static gv_status run_text(const char *text, char *path, size_t size) {
  snprintf(path, size, "/tmp/gv-mlpgan-test-%ld-XXXXXX", (long)getpid());
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  gv_node *root = NULL;
  gv_err err = {{0}, {0}};
  assert_int_equal(gv_cfg_parse_string(text, "test.yaml", &root, &err), GV_OK);
  const gv_experiment *exp;
  gv_status st = gv_exp_find(root, "test.yaml", &exp, &err);
  if (st == GV_OK) st = exp->check(root, "test.yaml", &err);
  if (st == GV_OK) st = exp->run(root, "test.yaml", path, 0, &err);
  if (st == GV_OK || st == GV_EDIVERGED) assert_int_equal(exp->analyze(path, NULL, &err), GV_OK);
  gv_node_free(root);
  return st;
}

static double summary(const char *path, const char *key) {
  gv_runread *rr;
  assert_int_equal(gv_runread_open(&rr, path, NULL), GV_OK);
  double v = NAN;
  if (gv_runread_summary_real(rr, key, &v) != GV_OK) fail_msg("%s: no summary %s", path, key);
  gv_runread_close(rr);
  return v;
}

/* The quality bar, with the documented setting (docs/mlpgan.md): the
 * non-saturating loss with CLC lambda 0.1, 3000 steps, Adam 1e-3 decayed
 * linearly, seed 0 covers at least 7 of 8 modes with at least 70% of the
 * samples within 3 std of a mode. */
static void test_ring_quality_bar(void **state) {
  (void)state;
  char path[128];
  const char *cfg = "game: {kind: mlpgan, data: ring}\n"
                    "train: {steps: 3000}\n"
                    "controllers: [{kind: clc, lambda: 0.1}]\n"
                    "run: {every: 500, snapshots: 0}\n"
                    "seed: 0\n";
  assert_int_equal(run_text(cfg, path, sizeof path), GV_OK);
  double modes = summary(path, "final_modes"), hq = summary(path, "final_hq");
  printf("ring-8, clc 0.1, seed 0: %g modes, %.1f%% high quality\n", modes, 100 * hq);
  assert_true(modes >= 7);
  assert_true(hq >= 0.70);
  unlink(path);
}

/* The direction of the comparison table (docs/results.md): under the WGAN
 * loss with one critic step the bare game covers no mode stably while CLC
 * covers the ring and is closer to the data in sliced Wasserstein distance. */
static void test_control_beats_bare_wgan(void **state) {
  (void)state;
  char p0[128], p1[128];
  const char *fmt = "game: {kind: mlpgan, data: ring, loss: wgan}\n"
                    "train: {steps: 3000}\n"
                    "controllers: %s\n"
                    "run: {every: 100, snapshots: 0}\n"
                    "seed: 1\n";
  char cfg[512];
  snprintf(cfg, sizeof cfg, fmt, "[]");
  assert_int_equal(run_text(cfg, p0, sizeof p0), GV_OK);
  snprintf(cfg, sizeof cfg, fmt, "[{kind: clc, lambda: 0.1}]");
  assert_int_equal(run_text(cfg, p1, sizeof p1), GV_OK);
  double m0 = summary(p0, "tail_modes"), m1 = summary(p1, "tail_modes");
  double s0 = summary(p0, "tail_swd"), s1 = summary(p1, "tail_swd");
  printf("wgan: none %g modes, swd %.3f; clc %g modes, swd %.3f\n", m0, s0, m1, s1);
  assert_true(m1 >= m0 + 4);
  assert_true(s1 < 0.5 * s0);
  unlink(p0);
  unlink(p1);
}

/* Same config and seed: identical series, with every stream in use (BMC's
 * noise, instance noise, history draws, interpolates). */
static void test_deterministic(void **state) {
  (void)state;
  char a[128], b[128];
  const char *cfg = "game: {kind: mlpgan, data: grid, z_dim: 8, g_width: 32, d_width: 32}\n"
                    "train: {steps: 120, n_d: 2, batch: 64, gbatch: 48}\n"
                    "controllers: [{kind: bmc}, {kind: instance_noise, sigma: 0.05},\n"
                    "              {kind: clc, buffer: 100, sample: 16}, {kind: wgan_gp},\n"
                    "              {kind: bmc_update}]\n"
                    "run: {every: 10, eval_samples: 200, snapshots: 2, snapshot_samples: 50}\n"
                    "seed: 3\n";
  assert_int_equal(run_text(cfg, a, sizeof a), GV_OK);
  assert_int_equal(run_text(cfg, b, sizeof b), GV_OK);
  gv_runread *ra, *rb;
  assert_int_equal(gv_runread_open(&ra, a, NULL), GV_OK);
  assert_int_equal(gv_runread_open(&rb, b, NULL), GV_OK);
  const char *names[] = {"modes", "hq", "kl", "swd", "d_loss", "g_loss", "ctl_loss",
                         "d_real", "d_fake"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k) {
    int64_t *sa, *sb;
    double *va, *vb;
    size_t na, nb;
    assert_int_equal(gv_runread_series(ra, names[k], &sa, &va, &na), GV_OK);
    assert_int_equal(gv_runread_series(rb, names[k], &sb, &vb, &nb), GV_OK);
    assert_int_equal(na, nb);
    assert_true(na >= 12);
    assert_memory_equal(sa, sb, na * sizeof *sa);
    assert_memory_equal(va, vb, na * sizeof *va);
    free(sa), free(sb), free(va), free(vb);
  }
  double *x;
  int rank;
  size_t dims[4];
  assert_int_equal(gv_runread_array(ra, "samples_120", &x, &rank, dims), GV_OK);
  assert_int_equal(rank, 2);
  assert_int_equal(dims[0], 50);
  assert_int_equal(dims[1], 2);
  free(x);
  gv_runread_close(ra);
  gv_runread_close(rb);
  unlink(a);
  unlink(b);
  /* the `none` controller is the bare game, bit for bit */
  const char *bare = "game: {kind: mlpgan, g_width: 16, d_width: 16}\n"
                     "train: {steps: 60, batch: 32, gbatch: 32}\n"
                     "controllers: %s\n"
                     "run: {every: 10, eval_samples: 100, snapshots: 0}\n";
  char cfg2[512];
  double v[2];
  for (int k = 0; k < 2; ++k) {
    snprintf(cfg2, sizeof cfg2, bare, k ? "[{kind: none}]" : "[]");
    assert_int_equal(run_text(cfg2, a, sizeof a), GV_OK);
    v[k] = summary(a, "final_swd");
    unlink(a);
  }
  assert_memory_equal(&v[0], &v[1], sizeof v[0]);
}

/* A blow-up is data: status diverged with its step, never a crash. */
static void test_divergence_is_data(void **state) {
  (void)state;
  char path[128];
  const char *cfg = "game: {kind: mlpgan, loss: wgan, g_width: 16, d_width: 16}\n"
                    "train: {steps: 2000, optim: sgd, lr_d: 10, lr_g: 10, schedule: constant}\n"
                    "run: {every: 10, eval_samples: 100, snapshots: 0}\n"
                    "seed: 0\n";
  assert_int_equal(run_text(cfg, path, sizeof path), GV_EDIVERGED);
  gv_runread *rr;
  assert_int_equal(gv_runread_open(&rr, path, NULL), GV_OK);
  char *st = gv_runread_attr(rr, "status");
  assert_string_equal(st, "diverged");
  free(st);
  double step = 0;
  assert_int_equal(gv_runread_summary_real(rr, "diverged_step", &step), GV_OK);
  assert_true(step >= 1 && step < 2000);
  gv_runread_close(rr);
  unlink(path);
}

static void test_consensus_rejected(void **state) {
  (void)state;
  gv_node *root = NULL;
  gv_err err = {{0}, {0}};
  const char *cfg = "game: {kind: mlpgan}\ncontrollers: [{kind: consensus}]\n";
  assert_int_equal(gv_cfg_parse_string(cfg, "c.yaml", &root, &err), GV_OK);
  const gv_experiment *exp;
  assert_int_equal(gv_exp_find(root, "c.yaml", &exp, &err), GV_OK);
  assert_int_equal(exp->check(root, "c.yaml", &err), GV_ENOHOOK);
  assert_non_null(strstr(err.msg, "controller 'consensus' has no hook for game 'mlpgan'"));
  assert_int_equal(gv_exit_code(GV_ENOHOOK), 2);
  gv_node_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mixture_and_metrics), cmocka_unit_test(test_loss_gradients),
      cmocka_unit_test(test_loss_values),
      cmocka_unit_test(test_consensus_rejected),  cmocka_unit_test(test_divergence_is_data),
      cmocka_unit_test(test_deterministic),       cmocka_unit_test(test_ring_quality_bar),
      cmocka_unit_test(test_control_beats_bare_wgan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
