/* Whole PPO runs through the `rl` experiment and the CLI: determinism per
 * seed (and across thread counts), a real learning check on the inverted
 * pendulum, the demonstration file round trip, config errors. */
#include <hdf5.h>
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
#include "agents/ppo.h"
#include "core/h5.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "tests/agents/agent_test_util.h"
#include "tests/testdir.h"

extern const gv_experiment gv_exp_rl;

GV_TESTDIR_GROUP(tmpdir, "agents")

/* Every series of a PPO run but timing: two runs are the same run when
 * these are the same bytes. */
static const char *const run_series[] = {
    "train_return", "train_length", "episodes", "eval_return_mean", "eval_return_std",
    "policy_loss", "value_loss", "approx_kl", "clip_fraction", "entropy",
    "explained_variance", "learning_rate", "grad_norm", "log_std_mean", NULL};

static void test_agents_determinism(void **state) {
  (void)state;
  char text[1024], a[128], b[128], c[128];
  const char *base = "game: {kind: rl, env: hopper}\n"
                     "agent: {kind: ppo, rollout: 1024, minibatches: 16, epochs: 3, "
                     "update_threads: %d}\nseed: 11\n"
                     "run: {steps: 4096, envs: 4, threads: %d, eval_every: 2048, "
                     "eval_episodes: 2}\n";
  snprintf(a, sizeof a, "%s/det-a.h5", tmpdir);
  snprintf(b, sizeof b, "%s/det-b.h5", tmpdir);
  snprintf(c, sizeof c, "%s/det-c.h5", tmpdir);
  gv_err err = {{0}, {0}};
  snprintf(text, sizeof text, base, 2, 2);
  assert_int_equal(at_run_text(text, a, &err), 0);
  assert_int_equal(at_run_text(text, b, &err), 0);
  /* one env thread and one update thread: the same run */
  snprintf(text, sizeof text, base, 1, 1);
  assert_int_equal(at_run_text(text, c, &err), 0);
  char *sa, *sb, *sc;
  size_t na, nb, nc;
  at_series_bytes(a, run_series, &sa, &na);
  at_series_bytes(b, run_series, &sb, &nb);
  at_series_bytes(c, run_series, &sc, &nc);
  assert_true(na == nb && na == nc);
  assert_memory_equal(sa, sb, na);
  assert_memory_equal(sa, sc, na);
  free(sa);
  free(sb);
  free(sc);
  /* the saved policies are the same bytes */
  gv_policy *pa, *pc;
  assert_int_equal(gv_policy_load_file(&pa, a, "policy", &err), 0);
  assert_int_equal(gv_policy_load_file(&pc, c, "policy", &err), 0);
  assert_true(gv_policy_hash(pa) == gv_policy_hash(pc));
  assert_true(pa->steps == 4096);
  gv_policy_free(pa);
  gv_policy_free(pc);
  /* another seed gives another run */
  snprintf(text, sizeof text, base, 2, 2);
  char *p = strstr(text, "seed: 11");
  p[7] = '2';
  assert_int_equal(at_run_text(text, c, &err), 0);
  at_series_bytes(c, run_series, &sc, &nc);
  at_series_bytes(a, run_series, &sa, &na);
  assert_true(nc != na || memcmp(sa, sc, na) != 0);
  free(sa);
  free(sc);
}

/* A real learning check: the inverted pendulum's training return must rise
 * clearly over the first updates (random play: ~5 per episode). */
static void test_agents_learns_pendulum(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/ip.h5", tmpdir);
  gv_err err = {{0}, {0}};
  const char *text = "game: {kind: rl, env: inverted_pendulum}\nagent: {kind: ppo}\nseed: 3\n"
                     "run: {steps: 24576, envs: 8, threads: 2, eval_every: 0, "
                     "eval_episodes: 5}\n";
  assert_int_equal(at_run_text(text, path, &err), 0);
  size_t n;
  double *v = at_series(path, "train_return", NULL, &n);
  assert_true(n >= 10);
  const double first = (v[0] + v[1]) / 2, last = (v[n - 1] + v[n - 2]) / 2;
  const double em = at_summary(path, "final_eval_return_mean");
  printf("inverted pendulum: training return %.1f -> %.1f over %zu updates, eval %.1f\n",
         first, last, n, em);
  assert_true(first < 30);
  assert_true(last > 5 * first && last > 100);
  assert_true(em > 100);
  free(v);
}

/* record 2 episodes through the CLI, read them back. */
static void test_agents_demo_roundtrip(void **state) {
  (void)state;
  char run[128], demo[128], pol[128];
  snprintf(run, sizeof run, "%s/ip.h5", tmpdir); /* from the learning test */
  snprintf(demo, sizeof demo, "%s/demo.h5", tmpdir);
  snprintf(pol, sizeof pol, "%s/pol.h5", tmpdir);
  if (access(run, R_OK) != 0) {
    gv_err err;
    const char *text = "game: {kind: rl, env: inverted_pendulum}\nagent: {kind: ppo}\n"
                       "run: {steps: 4096, envs: 8, eval_episodes: 1}\n";
    assert_int_equal(at_run_text(text, run, &err), 0);
  }
  char *rec[] = {"governor", "record", run, "--episodes", "2", "--out", demo, "--seed", "4",
                 "--random-episodes", "3", "--eval-episodes", "2"};
  assert_int_equal(gv_cli_main(13, rec), 0);
  char *exp[] = {"governor", "export", run, "--out", pol, "--group", "policy_best"};
  assert_int_equal(gv_cli_main(7, exp), 0);
  gv_demos d;
  gv_err err;
  assert_int_equal(gv_demos_load(&d, demo, &err), 0);
  assert_int_equal(d.episodes, 2);
  assert_int_equal(d.obs_dim, 4);
  assert_int_equal(d.act_dim, 1);
  assert_string_equal(d.env, "inverted_pendulum");
  long total = 0;
  for (long e = 0; e < d.episodes; ++e) {
    assert_int_equal(d.episode_start[e], total);
    double s = 0;
    for (long t = 0; t < d.episode_length[e]; ++t) {
      const long i = d.episode_start[e] + t;
      s += d.rewards[i];
      /* only the last step of an episode ends it */
      const int last = t + 1 == d.episode_length[e];
      assert_int_equal(d.terminated[i] || d.truncated[i], last);
      assert_true(fabs(d.actions[i]) <= 3.0f);
    }
    assert_true(s == d.episode_return[e]);
    total += d.episode_length[e];
  }
  assert_int_equal(total, d.steps);
  /* the hash is the recorded policy's */
  gv_policy *pi;
  assert_int_equal(gv_policy_load_file(&pi, run, "policy", &err), 0);
  char h[32];
  snprintf(h, sizeof h, "fnv1a64:%016llx", (unsigned long long)gv_policy_hash(pi));
  assert_string_equal(d.policy_hash, h);
  gv_policy_free(pi);
  gv_demos_free(&d);
  /* the demo file names the kernel its forward passes ran under, as run files do */
  hid_t df = H5Fopen(demo, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(df >= 0);
  char *core = NULL;
  assert_int_equal(gv_h5_get_str(df, "blas_core", &core, &err), 0);
  assert_string_equal(core, gv_blas_core());
  free(core);
  H5Fclose(df);
  /* the exported policy loads from its standalone file */
  assert_int_equal(gv_policy_load_file(&pi, pol, "policy", &err), 0);
  gv_policy_free(pi);
  /* a demo file is not a policy file, and vice versa */
  assert_int_not_equal(gv_policy_load_file(&pi, demo, "policy", &err), 0);
  assert_int_not_equal(gv_demos_load(&d, pol, &err), 0);
}

static void expect_config_error(const char *text, const char *needle) {
  gv_err err = {{0}, {0}};
  gv_node *root = NULL;
  gv_status st = gv_cfg_parse_string(text, "bad.yaml", &root, &err);
  const gv_experiment *exp = NULL;
  if (!st) st = gv_exp_find(root, "bad.yaml", &exp, &err);
  if (!st) st = exp->check(root, "bad.yaml", &err);
  gv_node_free(root);
  if (!strstr(err.msg, needle)) printf("message: %s\nwanted: %s\n", err.msg, needle);
  assert_int_equal(gv_exit_code(st), 2);
  assert_non_null(strstr(err.msg, needle));
}

static void test_agents_config_errors(void **state) {
  (void)state;
  expect_config_error("game: {kind: rl, env: hoper}\n",
                      "bad.yaml:1: game.env: unknown value 'hoper'");
  expect_config_error("game: {kind: rl, env: hoper}\n",
                      "hopper, walker2d, halfcheetah, ant, reacher, inverted_pendulum");
  expect_config_error("game: {kind: rl}\n", "game.env");
  expect_config_error("game: {kind: rl, env: hopper}\nagent: {kind: trpo}\n",
                      "agent.kind: unknown agent 'trpo' (allowed: ppo, td3)");
  expect_config_error("game: {kind: rl, env: hopper}\nagent: {kind: ppo, rollout: 1004}\n",
                      "bad.yaml:2: agent.rollout: 1004 is not a multiple of run.envs = 8");
  expect_config_error("game: {kind: rl, env: hopper}\nagent: {kind: ppo, rollout: 1000}\n",
                      "bad.yaml:2: agent.minibatches: rollout 1000 is not a multiple of 32");
  expect_config_error("game: {kind: rl, env: hopper}\nagent: {kind: ppo, clip: -1}\n",
                      "agent.clip: -1 is out of range");
  expect_config_error("game: {kind: rl, env: hopper}\nrun: {steps: 100}\n",
                      "run.steps: 100 is less than one rollout");
  /* the CLI turns it into exit code 2 */
  char path[128];
  snprintf(path, sizeof path, "%s/bad.yaml", tmpdir);
  FILE *f = fopen(path, "w");
  fputs("game: {kind: rl, env: hoper}\n", f);
  fclose(f);
  char *argv[] = {"governor", "check", path};
  assert_int_equal(gv_cli_main(3, argv), 2);
}

/* `governor run` of config text (as NAME.yaml, run file NAME.h5 into out)
 * with the test hook var set to value; the exit code. */
static int run_with_hook(const char *name, const char *text, const char *var,
                         const char *value, char *out, size_t size) {
  char cfg[128];
  snprintf(cfg, sizeof cfg, "%s/%s.yaml", tmpdir, name);
  snprintf(out, size, "%s/%s.h5", tmpdir, name);
  FILE *f = fopen(cfg, "w");
  fputs(text, f);
  fclose(f);
  setenv(var, value, 1);
  char *argv[] = {"governor", "run", cfg, "--out", out, "--overwrite"}; /* runs again */
  const int rc = gv_cli_main(6, argv);
  unsetenv(var);
  return rc;
}

/* A run that blows up is recorded as diverged, exit 1, never a crash. */
static void test_agents_diverged(void **state) {
  (void)state;
  char out[128];
  const int rc = run_with_hook(
      "nan", "game: {kind: rl, env: hopper}\nagent: {kind: ppo, rollout: 512, minibatches: 8, "
      "epochs: 2}\nrun: {steps: 4096, envs: 4, eval_episodes: 1}\n", "GV_TEST_NAN_AT_UPDATE",
      "2", out, sizeof out);
  assert_int_equal(rc, 1);
  gv_runread *rr;
  gv_err err;
  assert_int_equal(gv_runread_open(&rr, out, &err), 0);
  char *st = gv_runread_attr(rr, "status");
  assert_string_equal(st, "diverged");
  double at = 0;
  assert_int_equal(gv_runread_summary_real(rr, "diverged_step", &at), 0);
  assert_true(at == 2 * 512); /* env steps completed before the update that blew up */
  /* the series up to the divergence are there */
  int64_t *s;
  double *v;
  size_t n;
  assert_int_equal(gv_runread_series(rr, "policy_loss", &s, &v, &n), 0);
  assert_int_equal(n, 2);
  free(s);
  free(v);
  free(st);
  gv_runread_close(rr);
}

/* The end of a run writes its payload (/policy) before the status: when the
 * save fails, the file says failed, not completed, and has no policy. */
static void test_agents_payload_before_status(void **state) {
  (void)state;
  char out[128];
  const char *text = "game: {kind: rl, env: hopper}\nagent: {kind: ppo, rollout: 512, "
                     "minibatches: 8, epochs: 1}\nrun: {steps: 1024, envs: 4, eval_episodes: 1}\n";
  const int rc = run_with_hook("payload", text, "GV_TEST_FAIL_PAYLOAD", "1", out, sizeof out);
  assert_int_not_equal(rc, 0);
  gv_runread *rr;
  gv_err err;
  assert_int_equal(gv_runread_open(&rr, out, &err), 0);
  char *st = gv_runread_attr(rr, "status");
  assert_string_equal(st, "failed");
  free(st);
  gv_runread_close(rr);
  gv_policy *pi = NULL;
  assert_int_not_equal(gv_policy_load_file(&pi, out, "policy", &err), GV_OK);
  gv_policy_free(pi);
  /* without the failure the same run completes with its policy */
  assert_int_equal(run_with_hook("payload", text, "GV_TEST_UNUSED", "", out, sizeof out), 0);
  assert_int_equal(gv_policy_load_file(&pi, out, "policy", &err), GV_OK);
  gv_policy_free(pi);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_agents_config_errors),
      cmocka_unit_test(test_agents_determinism),
      cmocka_unit_test(test_agents_learns_pendulum),
      cmocka_unit_test(test_agents_demo_roundtrip),
      cmocka_unit_test(test_agents_diverged),
      cmocka_unit_test(test_agents_payload_before_status),
  };
  return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
}
