/* DAC's reference settings (docs/dac.md, "The reference preset"): the TD3
 * options that reproduce Kostrikov et al.'s training worker and the
 * discriminator options that reproduce their discriminator.
 *   - schedule episode: updates come in a block after each episode, one per
 *     env step of that episode, preceded by the pre_block hook with the
 *     episode's length, and only once the buffer holds learning_starts rows;
 *   - actions stay uniform random for whole episodes until the actor has
 *     been updated once (checked against the "td3_explore" stream itself);
 *   - actor_delay: no actor update before that many critic updates, the
 *     critics' targets still following; the actor's learning rate halves
 *     every actor_lr_halve_every env steps, read at episode starts;
 *   - hidden2 and init orthogonal give 400-300 nets with orthonormal rows
 *     or columns, a 0.01 actor head and zero biases;
 *   - the discriminator's raw inputs (norm_inputs false) and init gain.
 * Elsewhere: a shipped reference config runs, and resumes bit for bit, in
 * resume_test.py's dac-ref case; one D step per TD3 update is
 * test_agents_dac's test_dac_run_disc_steps. */
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

#include "agents/gail.h"
#include "agents/td3.h"
#include "core/rng.h"
#include "nn/init.h"
#include "tests/agents/agent_test_util.h"

static gv_td3_params ref_params(void) {
  gv_td3_params p;
  gv_params_defaults(gv_td3_param_table, &p);
  p.hidden = 16;
  p.batch = 32;
  p.schedule = GV_TD3_SCHEDULE_EPISODE;
  p.learning_starts = 200;
  p.random_steps = 500;
  p.log_every = 1500;
  return p;
}

typedef struct block_log {
  gv_td3 *td3;
  long learning_starts;
  int calls;
  long total;               /* sum of n over the calls */
  long updates_before;      /* critic updates when each block started: all equal total so far */
  int bad;                  /* a block started early or with updates out of step */
  long last_end;            /* env steps at the last block */
} block_log;

static gv_status log_block(void *ctx, gv_td3 *td3, long n, gv_err *err) {
  (void)err;
  block_log *b = ctx;
  if (gv_td3_replay(td3)->size < b->learning_starts) b->bad = 1;
  if (gv_td3_updates(td3) != b->total) b->bad = 1;
  if (n < 1) b->bad = 1;
  b->calls++;
  b->total += n;
  b->last_end = gv_td3_steps(td3);
  return GV_OK;
}

static gv_status never(void *ctx, gv_td3 *td3, gv_err *err) {
  (void)td3;
  (void)err;
  ((block_log *)ctx)->bad = 1; /* pre_update must not run under schedule episode */
  return GV_OK;
}

/* Blocks of one update per env step of each finished episode; the actor
 * waits actor_delay critic updates; the lr halves on env-step boundaries. */
static void test_episode_blocks(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "hopper", NULL, &err), 0);
  gv_td3_params p = ref_params();
  p.actor_delay = 51;
  p.actor_lr_halve_every = 400;
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 3, &err), 0);
  block_log b = {td3, p.learning_starts, 0, 0, 0, 0, 0};
  gv_td3_hooks h = {&b, never, NULL, log_block};
  gv_td3_set_hooks(td3, &h);
  gv_td3_stats s;
  assert_int_equal(gv_td3_iterate(td3, &s, &err), 0);
  assert_int_equal(b.bad, 0);
  assert_true(b.calls >= 3);
  assert_int_equal(s.updates, b.total);
  assert_int_equal(gv_td3_updates(td3), b.total);
  assert_true(b.total > p.actor_delay);
  /* actor steps on even critic updates past the delay: 52, 54, ..., total */
  assert_int_equal(s.actor_updates, b.total / 2 - p.actor_delay / 2);
  assert_true(fabs(gv_td3_actor_lr(td3) -
                   p.actor_lr * pow(0.5, (double)(b.last_end / p.actor_lr_halve_every))) <
              1e-15);
  assert_true(b.last_end >= p.actor_lr_halve_every); /* the halving was exercised */
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* Reference construction of the actions of a run that acts at random:
 * uniform in [lo, hi] from "td3_explore", in step order. */
static int all_random(const gv_td3 *td3, uint64_t seed, long n, double lo, double hi) {
  gv_replay *rb = gv_td3_replay((gv_td3 *)td3);
  gsl_rng *r = gv_rng_alloc(seed, "td3_explore", 0);
  int ok = 1;
  for (long i = 0; i < n && ok; ++i)
    for (int j = 0; j < rb->act_dim; ++j) {
      const float a = (float)(lo + (hi - lo) * gsl_rng_uniform(r));
      if (rb->act[(size_t)i * rb->act_dim + j] != a) ok = 0;
    }
  gsl_rng_free(r);
  return ok;
}

/* While the actor has never been updated, whole episodes act at random even
 * past random_steps; once it has, the policy acts (past random_steps). */
static void test_random_until_actor(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "hopper", NULL, &err), 0);
  const double lo = task->type->act_low, hi = task->type->act_high;
  gv_td3_params p = ref_params();
  p.actor_delay = 1000000000; /* never */
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 9, &err), 0);
  gv_td3_stats s;
  assert_int_equal(gv_td3_iterate(td3, &s, &err), 0);
  assert_true(s.updates > 0);
  assert_int_equal(s.actor_updates, 0);
  assert_true(gv_td3_replay(td3)->size > p.random_steps);
  assert_true(all_random(td3, 9, gv_td3_replay(td3)->size, lo, hi));
  gv_td3_free(td3);
  p.actor_delay = 0;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 9, &err), 0);
  assert_int_equal(gv_td3_iterate(td3, &s, &err), 0);
  assert_true(s.actor_updates > 0);
  assert_false(all_random(td3, 9, gv_td3_replay(td3)->size, lo, hi));
  /* the first random_steps rows are random either way */
  assert_true(all_random(td3, 9, p.random_steps, lo, hi));
  gv_td3_free(td3);
  /* schedule episode needs one env copy */
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 2, 1, 9, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "run.envs 1"));
  gv_env_task_free(task);
}

static void check_net(const gv_nn *n, int nin, int nout, double head_gain) {
  const int want[4] = {nin, 400, 300, nout};
  assert_int_equal(n->spec.nlayer, 3);
  for (int l = 0; l <= 3; ++l) assert_int_equal(n->spec.size[l], want[l]);
  for (int l = 0; l < 3; ++l) {
    const int r = n->spec.size[l + 1], c = n->spec.size[l];
    const double g = l == 2 ? head_gain : 1.0;
    assert_true(at_orth_err(n->param + n->off_w[l], r, c, g) < 1e-4 * (g * g > 1e-3 ? 1 : g * g * 1e3));
    for (int i = 0; i < r; ++i) assert_true(n->param[n->off_b[l] + i] == 0.0f);
  }
}

static void test_orthogonal_400_300(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "halfcheetah", NULL, &err), 0);
  gv_td3_params p = ref_params();
  p.hidden = 400;
  p.hidden2 = 300;
  p.init = GV_TD3_INIT_ORTHOGONAL;
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 4, &err), 0);
  gv_td3_nets n = gv_td3_get_nets(td3);
  const int D = task->type->obs_dim, A = task->type->act_dim;
  check_net(n.actor, D, A, 0.01);
  check_net(n.q1, D + A, 1, 1.0);
  check_net(n.q2, D + A, 1, 1.0);
  assert_memory_not_equal(n.q1->param, n.q2->param, n.q1->nparam * sizeof(float));
  assert_memory_equal(n.q1->param, n.q1_target->param, n.q1->nparam * sizeof(float));
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* A small demonstration set: 2 episodes of 30 steps, obs 2, act 1. */
static void test_disc_raw_inputs(void **state) {
  (void)state;
  enum { E = 2, T = 30, D = 2, A = 1 };
  float obs[E * T * D], act[E * T * A];
  int64_t start[E] = {0, T}, len[E] = {T, T};
  uint8_t term[E * T] = {0};
  for (int i = 0; i < E * T; ++i) {
    obs[i * D] = 3.0f + 0.1f * (float)i;
    obs[i * D + 1] = -50.0f + (float)i;
    act[i] = 0.5f * (float)(i % 3);
  }
  gv_demos d;
  memset(&d, 0, sizeof d);
  d.obs = obs;
  d.actions = act;
  d.obs_dim = D;
  d.act_dim = A;
  d.episodes = E;
  d.steps = E * T;
  d.episode_start = start;
  d.episode_length = len;
  d.terminated = term;
  gv_gail_params p;
  memset(&p, 0, sizeof p);
  gv_params_defaults(gv_gail_disc_table, &p);
  p.trajectories = 2;
  p.subsample = 1;
  p.width = 6;
  p.batch = 8;
  p.norm_inputs = 0;
  p.init_gain = 1.0;
  gv_gail *g = NULL;
  gv_err err;
  assert_int_equal(gv_gail_alloc(&g, &p, &d, NULL, 5, 16, &err), GV_OK);
  /* raw: far outside the +-10 clip of the standardised inputs */
  float x[3], o[2] = {7.0f, -1000.0f}, a[1] = {0.25f};
  gv_gail_inputs(g, x, o, a, 1);
  assert_true(x[0] == 7.0f && x[1] == -1000.0f && x[2] == 0.25f);
  /* hidden layers orthogonal with gain 1: W_0 (6 x 3) has orthonormal columns */
  const gv_nn *net = gv_gail_disc(g);
  assert_true(at_orth_err(net->param + net->off_w[0], 6, 3, 1.0) < 1e-5);
  gv_gail_free(g);
  p.norm_inputs = 1;
  assert_int_equal(gv_gail_alloc(&g, &p, &d, NULL, 5, 16, &err), GV_OK);
  gv_gail_inputs(g, x, o, a, 1);
  assert_true(x[1] == -10.0f); /* standardised and clipped */
  gv_gail_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_episode_blocks),
      cmocka_unit_test(test_random_until_actor),
      cmocka_unit_test(test_orthogonal_400_300),
      cmocka_unit_test(test_disc_raw_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
