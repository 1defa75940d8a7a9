/* DAC (agents/dac.h) and the absorbing states it adds to TD3 (agents/td3.h)
 * and GAIL (agents/gail.h):
 *   - TD3's pure parts: the absorbing target action (centre of the range,
 *     asymmetric bounds too) and the bootstrap through s_a (no done mask);
 *   - the replay content of a hopper run with absorbing states, against the
 *     same run without them (same seed, so the same env trajectory);
 *   - inside the agent: the target at s_a (reward hook + a_0 without
 *     smoothing noise, by hand), the actor's loss masked to non-absorbing
 *     rows (an absorbing-only batch leaves the actor bit-identical), the
 *     hooks' call counts, order, raw rows and error propagation;
 *   - GAIL with absorbing rows from a synthetic demonstration set: sizes,
 *     statistics, expert weights 1/subsample, the weighted loss and its
 *     gradient (hand values, central differences, one D step against a
 *     reference), rewards on (obs | indicator) rows, gv_gail_disc_step_rows;
 *   - gv_dac directly (absorbing forced on, D steps per update, recent
 *     states) and whole `dac` runs through the experiment API: one update
 *     per env step after learning_starts, D steps = updates, determinism,
 *     config errors, and a run with fewer expert states than replay states
 *     considered by the state distance (reacher). */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "agents/dac.h"
#include "agents/demo.h"
#include "agents/gail.h"
#include "agents/replay.h"
#include "agents/td3.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "tests/agents/agent_test_util.h"
#include "tests/testdir.h"

GV_TESTDIR_GROUP(tmpdir, "dac")

/* |a - b| <= tol, printing both on failure */
#define assert_near(a, b, tol)                                                          \
  do {                                                                                  \
    const double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);                \
    if (!(fabs(a_ - b_) <= t_))                                                         \
      fail_msg("%s = %.9g, %s = %.9g, |diff| %.3g > %.3g", #a, a_, #b, b_, fabs(a_ - b_), \
               t_);                                                                     \
  } while (0)

static double sig(double l) { return 1.0 / (1.0 + exp(-l)); }
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* ------------------------------------------------------- TD3 pure parts */

static void test_absorbing_action(void **state) {
  (void)state;
  /* [-1, 3]: centre 1.  Rows 0 and 2 are absorbing (any non-zero flag). */
  float a[8] = {0.5f, -0.75f, 2.0f, 3.0f, -1.0f, 0.25f, 9.0f, -9.0f};
  const float before[8] = {0.5f, -0.75f, 2.0f, 3.0f, -1.0f, 0.25f, 9.0f, -9.0f};
  const float abs1[4] = {1, 0, 2.5f, 0};
  gv_td3_absorbing_action(a, abs1, 4, 2, -1, 3);
  const float want[8] = {1, 1, 2.0f, 3.0f, 1, 1, 9.0f, -9.0f};
  for (int k = 0; k < 8; ++k) assert_true(a[k] == want[k]);
  /* symmetric [-3, 3]: centre 0; no absorbing row: nothing changes */
  memcpy(a, before, sizeof a);
  const float none[4] = {0, 0, 0, 0};
  gv_td3_absorbing_action(a, none, 4, 2, -3, 3);
  assert_memory_equal(a, before, sizeof a);
  const float abs2[4] = {0, 0, 0, 1};
  gv_td3_absorbing_action(a, abs2, 4, 2, -3, 3);
  for (int k = 0; k < 6; ++k) assert_true(a[k] == before[k]);
  assert_true(a[6] == 0.0f && a[7] == 0.0f);
  /* [0, 2], A = 3: centre 1 */
  float b[3] = {0.1f, 0.2f, 0.3f};
  const float one[1] = {1};
  gv_td3_absorbing_action(b, one, 1, 3, 0, 2);
  assert_true(b[0] == 1.0f && b[1] == 1.0f && b[2] == 1.0f);
}

static void test_absorbing_bootstrap(void **state) {
  (void)state;
  /* a row whose next state is s_a is not done: it bootstraps with gamma.
   *   row 0: r .5, min(2, 3) = 2      -> .5 + .9 * 2   = 2.3
   *   row 1 (s_a -> s_a): r 0, min(4, 1.5) = 1.5 -> 1.35
   *   row 2: r -1, min(-2, 1) = -2    -> -1 - 1.8     = -2.8 */
  const float rew[3] = {0.5f, 0.0f, -1.0f}, done[3] = {0, 0, 0};
  const float q1[3] = {2, 4, -2}, q2[3] = {3, 1.5f, 1};
  float y[3];
  gv_td3_target(y, rew, done, q1, q2, 3, 0.9);
  assert_near(y[0], 2.3, 1e-6);
  assert_near(y[1], 1.35, 1e-6);
  assert_near(y[2], -2.8, 1e-6);
  /* the fixed point of s_a -> s_a with reward r_a: Q = r_a / (1 - gamma) */
  const float ra[1] = {0.25f}, d0[1] = {0}, qf[1] = {2.5f};
  gv_td3_target(y, ra, d0, qf, qf, 1, 0.9);
  assert_near(y[0], 2.5, 1e-6);
}

/* --------------------------------------------------------- replay content */

static gv_td3_params fill_params(int absorbing) {
  gv_td3_params p;
  gv_params_defaults(gv_td3_param_table, &p);
  p.hidden = 16;
  p.batch = 32;
  p.learning_starts = 1000000; /* random actions, no update */
  p.buffer = 1000;             /* no wrap-around */
  p.log_every = 200;
  p.absorbing = absorbing;
  return p;
}

static int row_zero(const float *x, int n) {
  for (int j = 0; j < n; ++j)
    if (x[j] != 0.0f) return 0;
  return 1;
}

/* Reacher's episodes end only at the time limit (50 steps): with absorbing
 * states on, those ends are stored as not done, with no absorbing row and
 * the env's last observation as next_obs (indicator 0); only an early
 * termination leads to the absorbing state. */
static void test_replay_time_limit(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "reacher", NULL, &err), 0);
  const int D = task->type->obs_dim, Dn = D + 1;
  gv_td3_params p = fill_params(1);
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 21, &err), 0);
  gv_td3_stats s;
  assert_int_equal(gv_td3_iterate(td3, &s, &err), 0);
  assert_int_equal(gv_td3_steps(td3), 200);
  assert_int_equal(s.episodes, 4);
  const gv_replay *rb = gv_td3_replay(td3);
  assert_int_equal(rb->obs_dim, Dn);
  assert_int_equal(rb->size, 200);
  for (long r = 0; r < rb->size; ++r) {
    const float *o = rb->obs + r * Dn, *nx = rb->next_obs + r * Dn;
    assert_int_equal(rb->done[r], 0);
    assert_true(o[D] == 0.0f && nx[D] == 0.0f); /* no absorbing state anywhere */
    assert_int_equal(rb->trunc[r], (r + 1) % 50 == 0);
    assert_false(row_zero(nx, D));
    if ((r + 1) % 50 && r + 1 < rb->size) /* inside an episode */
      assert_memory_equal(nx, rb->obs + (r + 1) * Dn, (size_t)Dn * sizeof(float));
    else if (r + 1 < rb->size) /* a new episode starts elsewhere */
      assert_memory_not_equal(nx, rb->obs + (r + 1) * Dn, (size_t)D * sizeof(float));
  }
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* Hopper under uniform random actions falls within ~20-100 steps: 200 steps
 * hold several terminations (the time limit, 1000, is never reached). */
static void test_replay_absorbing(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "hopper", NULL, &err), 0);
  const int D = task->type->obs_dim, A = task->type->act_dim, Dn = D + 1;
  const float mid = (float)(0.5 * (task->type->act_low + task->type->act_high));
  gv_td3_params p = fill_params(1);
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 21, &err), 0);
  gv_td3_stats s;
  assert_int_equal(gv_td3_iterate(td3, &s, &err), 0);
  assert_int_equal(s.updates, 0);
  assert_int_equal(gv_td3_steps(td3), 200);
  const gv_replay *rb = gv_td3_replay(td3);
  assert_int_equal(rb->obs_dim, Dn);
  assert_int_equal(rb->act_dim, A);
  long n_abs = 0, n_term = 0, n_plain = 0;
  double ret_sum = 0, ep_ret = 0;
  long len_sum = 0, ep_len = 0;
  for (long r = 0; r < rb->size; ++r) {
    const float *o = rb->obs + r * Dn, *nx = rb->next_obs + r * Dn, *a = rb->act + r * A;
    assert_int_equal(rb->done[r], 0);
    const float io = o[D], in = nx[D];
    assert_true(io == 0.0f || io == 1.0f);
    assert_true(in == 0.0f || in == 1.0f);
    if (io == 1.0f) {
      /* (s_a, a_0) -> s_a, reward 0, after a terminal transition */
      n_abs++;
      assert_true(row_zero(o, D));
      assert_true(in == 1.0f && row_zero(nx, D));
      for (int j = 0; j < A; ++j) assert_true(a[j] == mid);
      assert_true(rb->rew[r] == 0.0f);
      assert_int_equal(rb->trunc[r], 0);
      assert_true(r > 0);
      assert_true(rb->obs[(r - 1) * Dn + D] == 0.0f && rb->next_obs[(r - 1) * Dn + D] == 1.0f);
      continue;
    }
    ep_ret += rb->rew[r];
    ep_len++;
    if (in == 1.0f) {
      /* the terminal transition: points at s_a, followed by the absorbing row */
      n_term++;
      assert_true(row_zero(nx, D));
      assert_int_equal(rb->trunc[r], 0);
      assert_true(r + 1 < rb->size);
      assert_true(rb->obs[(r + 1) * Dn + D] == 1.0f);
      ret_sum += ep_ret;
      len_sum += ep_len;
      ep_ret = 0;
      ep_len = 0;
    } else {
      /* inside an episode: next_obs of row r is obs of row r + 1 */
      n_plain++;
      if (r + 1 < rb->size)
        assert_memory_equal(nx, rb->obs + (r + 1) * Dn, (size_t)Dn * sizeof(float));
    }
  }
  fprintf(stderr, "hopper absorbing replay: %ld rows, %ld terminations\n", rb->size, n_abs);
  assert_true(n_abs >= 2);
  assert_int_equal(n_abs, n_term);
  assert_int_equal(n_abs, s.episodes);
  assert_int_equal(rb->size, 200 + n_abs);
  assert_int_equal(rb->added, 200 + n_abs);
  assert_int_equal(n_plain + n_term, 200);
  /* the stored rewards of each episode sum to its return; lengths agree */
  assert_near(ret_sum / n_term, s.ep_return, 1e-4 * (1 + fabs(s.ep_return)));
  assert_near((double)len_sum / n_term, s.ep_length, 1e-12);

  /* the same run without absorbing states: same env trajectory, no extra
   * column, done = 1 on the terminations, next_obs the env's final obs */
  gv_td3_params q = fill_params(0);
  gv_td3 *plain;
  assert_int_equal(gv_td3_alloc(&plain, &q, task, 1, 1, 21, &err), 0);
  gv_td3_stats s0;
  assert_int_equal(gv_td3_iterate(plain, &s0, &err), 0);
  const gv_replay *rp = gv_td3_replay(plain);
  assert_int_equal(rp->obs_dim, D);
  assert_int_equal(rp->size, 200);
  assert_int_equal(s0.episodes, s.episodes);
  long nd = 0, ra = 0;
  for (long r = 0; r < rp->size; ++r, ++ra) {
    nd += rp->done[r];
    assert_memory_equal(rp->obs + r * D, rb->obs + ra * Dn, (size_t)D * sizeof(float));
    assert_memory_equal(rp->act + r * A, rb->act + ra * A, (size_t)A * sizeof(float));
    assert_true(rp->rew[r] == rb->rew[ra]);
    const int term = rb->next_obs[ra * Dn + D] == 1.0f;
    assert_int_equal(rp->done[r], term);
    if (term) {
      assert_false(row_zero(rp->next_obs + r * D, D)); /* the env's last observation */
      ra++;                                            /* skip the absorbing row */
    } else {
      assert_memory_equal(rp->next_obs + r * D, rb->next_obs + ra * Dn,
                          (size_t)D * sizeof(float));
    }
  }
  assert_int_equal(ra, rb->size);
  assert_int_equal(nd, n_abs);
  gv_td3_free(plain);
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* ------------------------------------------------- inside the TD3 agent */

/* Q of one row [obs (Dn) | act (A)]. */
static float q_of(const gv_nn *q, const float *obs, const float *act, int Dn, int A) {
  gv_nn_ws *ws;
  gv_err err;
  assert_int_equal(gv_nn_ws_alloc(&ws, &q->spec, 1, &err), 0);
  float x[64];
  memcpy(x, obs, (size_t)Dn * sizeof(float));
  memcpy(x + Dn, act, (size_t)A * sizeof(float));
  assert_int_equal(gv_nn_forward(ws, q, x, 1), 0);
  const float v = ws->out[0];
  gv_nn_ws_free(ws);
  return v;
}

/* Adds n copies of (s_a, a_0) -> s_a, reward r. */
static void add_absorbing(gv_replay *rb, int D, int A, double a0, double r, int n) {
  double o[64] = {0}, a[16];
  o[D] = 1.0;
  for (int j = 0; j < A; ++j) a[j] = a0;
  for (int i = 0; i < n; ++i) gv_replay_add(rb, o, a, r, o, 0, 0);
}

/* Adds n env-like rows (indicator 0) drawn from r. */
static void add_plain(gv_replay *rb, int D, int A, int n, gsl_rng *r) {
  double o[64], nx[64], a[16];
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < D; ++j) {
      o[j] = gv_rng_normal(r);
      nx[j] = gv_rng_normal(r);
    }
    o[D] = nx[D] = 0.0;
    for (int j = 0; j < A; ++j) a[j] = 2.0 * gsl_rng_uniform(r) - 1.0;
    gv_replay_add(rb, o, a, gv_rng_normal(r), nx, 0, 0);
  }
}

static gv_td3 *hand_td3(gv_env_task **task, uint64_t seed, long policy_delay) {
  gv_err err;
  assert_int_equal(gv_env_task_alloc(task, "hopper", NULL, &err), 0);
  gv_td3_params p = fill_params(1);
  p.policy_delay = policy_delay;
  p.gamma = 0.9;
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, *task, 1, 1, seed, &err), 0);
  gv_replay_reset(gv_td3_replay(td3));
  return td3;
}

/* A batch of absorbing rows only: the target is r_a + gamma min Q'(s_a, a_0)
 * with a_0 exact (smoothing noise 0.2 is on but not applied at s_a), the
 * critics move, the actor and the targets do not (bit for bit: the actor's
 * loss has no row, so the delayed actor and target step is skipped). */
static void test_actor_masked_absorbing_only(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  gv_td3 *td3 = hand_td3(&task, 31, 1);
  const int D = task->type->obs_dim, A = task->type->act_dim, Dn = D + 1;
  const double mid = 0.5 * (task->type->act_low + task->type->act_high);
  gv_replay *rb = gv_td3_replay(td3);
  add_absorbing(rb, D, A, mid, 0.0, 5);
  assert_int_equal(rb->size, 5);
  gv_td3_nets n = gv_td3_get_nets(td3);
  float sa[64] = {0}, a0[16];
  sa[D] = 1.0f;
  for (int j = 0; j < A; ++j) a0[j] = (float)mid;
  const float t1 = q_of(n.q1_target, sa, a0, Dn, A), t2 = q_of(n.q2_target, sa, a0, Dn, A);
  assert_true(t1 != t2);
  float *ca = at_snap(n.actor), *c1 = at_snap(n.q1), *c2 = at_snap(n.q2);
  float *cat = at_snap(n.actor_target), *c1t = at_snap(n.q1_target);
  gv_td3_update_out u;
  assert_int_equal(gv_td3_update(td3, &u, &err), 0);
  assert_near(u.target_mean, 0.9 * fmin(t1, t2), 1e-6 * (1 + fabs(t1)));
  assert_int_equal(u.actor_updated, 0);
  assert_true(isnan(u.actor_loss));
  assert_true(at_same(n.actor, ca));
  assert_true(at_same(n.actor_target, cat));
  assert_true(at_same(n.q1_target, c1t));
  assert_false(at_same(n.q1, c1));
  assert_false(at_same(n.q2, c2));
  assert_int_equal(gv_td3_update(td3, &u, &err), 0);
  assert_int_equal(u.actor_updated, 0);
  assert_true(at_same(n.actor, ca));
  free(ca);
  free(c1);
  free(c2);
  free(cat);
  free(c1t);
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* A mixed buffer: the actor moves, and its loss is -mean Q1(s, mu(s)) over
 * the batch's non-absorbing rows only (the batch re-drawn from "td3_replay",
 * Q1 after the critic step, mu before the actor step). */
static void test_actor_masked_mixed(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  const uint64_t seed = 32;
  gv_td3 *td3 = hand_td3(&task, seed, 1);
  const int D = task->type->obs_dim, A = task->type->act_dim, Dn = D + 1;
  const double lo = task->type->act_low, hi = task->type->act_high;
  const float mid = (float)(0.5 * (lo + hi)), h = (float)(0.5 * (hi - lo));
  gv_replay *rb = gv_td3_replay(td3);
  gsl_rng *r = gv_rng_alloc(99, "test.rows", 0);
  add_plain(rb, D, A, 20, r);
  add_absorbing(rb, D, A, mid, 0.0, 5);
  add_plain(rb, D, A, 5, r);
  gsl_rng_free(r);
  gv_td3_nets n = gv_td3_get_nets(td3);
  gv_nn *actor0;
  assert_int_equal(gv_nn_alloc(&actor0, &n.actor->spec, &err), 0);
  gv_nn_copy(actor0, n.actor);
  gv_td3_update_out u;
  assert_int_equal(gv_td3_update(td3, &u, &err), 0);
  assert_int_equal(u.actor_updated, 1);
  assert_false(at_same(n.actor, actor0->param));
  /* the batch */
  const int N = 32;
  long idx[32];
  gsl_rng *rr = gv_rng_alloc(seed, "td3_replay", 0);
  gv_replay_sample(idx, rb, N, rr);
  gsl_rng_free(rr);
  gv_nn_ws *ws;
  assert_int_equal(gv_nn_ws_alloc(&ws, &actor0->spec, 1, &err), 0);
  double qm = 0, qall = 0;
  int m = 0;
  for (int i = 0; i < N; ++i) {
    const float *o = rb->obs + idx[i] * Dn;
    assert_int_equal(gv_nn_forward(ws, actor0, o, 1), 0);
    float a[16];
    for (int j = 0; j < A; ++j) a[j] = mid + h * ws->out[j];
    const double q = q_of(n.q1, o, a, Dn, A);
    qall += q;
    if (o[D] == 0.0f) {
      qm += q;
      m++;
    }
  }
  gv_nn_ws_free(ws);
  assert_true(m > 0 && m < N); /* both kinds in the batch */
  const double want = -qm / m, unmasked = -qall / N;
  fprintf(stderr, "mixed batch: %d of %d rows act; actor loss %.6g (unmasked %.6g)\n", m, N,
          u.actor_loss, unmasked);
  assert_near(u.actor_loss, want, 1e-5 * (1 + fabs(want)));
  assert_true(fabs(unmasked - want) > 1e-3 * (1 + fabs(want)));
  gv_nn_free(actor0);
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* ----------------------------------------------------------------- hooks */

typedef struct hook_ctx {
  gv_td3 *td3;
  const gv_replay *rb;
  int Dn, A;
  int pre, rew;         /* calls */
  int order_bad;        /* reward hook called without its pre_update */
  int rows_bad;         /* obs rows not raw buffer rows, or indicator not 0/1 */
  int td3_bad;          /* pre_update got another agent */
  long rows;            /* rows seen */
  long absorbing_rows;  /* rows with indicator 1 */
  gv_status fail_pre;   /* returned by pre_update (GV_OK normally) */
} hook_ctx;

static gv_status pre_hook(void *ctx, gv_td3 *td3, gv_err *err) {
  hook_ctx *c = ctx;
  c->pre++;
  if (td3 != c->td3) c->td3_bad++;
  if (c->fail_pre) return gv_fail(err, c->fail_pre, "test: pre_update failed");
  return GV_OK;
}

static gv_status reward_hook(void *ctx, float *rew, const float *obs, const float *act, int n,
                             gv_err *err) {
  (void)err;
  hook_ctx *c = ctx;
  c->rew++;
  if (c->rew != c->pre) c->order_bad++;
  for (int i = 0; i < n; ++i) {
    const float *o = obs + (size_t)i * c->Dn;
    const float ind = o[c->Dn - 1];
    if (ind != 0.0f && ind != 1.0f) c->rows_bad++;
    c->absorbing_rows += ind == 1.0f;
    /* a raw row of the buffer (obs and act), not a normalised one */
    int found = 0;
    for (long r = 0; r < c->rb->size && !found; ++r)
      found = !memcmp(c->rb->obs + r * c->Dn, o, (size_t)c->Dn * sizeof(float)) &&
              !memcmp(c->rb->act + r * c->A, act + (size_t)i * c->A, (size_t)c->A * sizeof(float));
    if (!found) c->rows_bad++;
    rew[i] = 7.0f;
  }
  c->rows += n;
  return GV_OK;
}

static void test_hooks(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "hopper", NULL, &err), 0);
  const int D = task->type->obs_dim, A = task->type->act_dim, Dn = D + 1;
  const double mid = 0.5 * (task->type->act_low + task->type->act_high);
  gv_td3_params p = fill_params(1);
  p.gamma = 0.9;
  p.norm_obs = 1; /* the hook must still see raw rows */
  gv_td3 *td3;
  assert_int_equal(gv_td3_alloc(&td3, &p, task, 1, 1, 41, &err), 0);
  gv_policy *pi = gv_td3_policy(td3);
  for (int j = 0; j < D; ++j) {
    pi->obs_rms->mean[j] = 0.5;
    pi->obs_rms->var[j] = 4.0;
  }
  gv_replay *rb = gv_td3_replay(td3);
  gv_replay_reset(rb);
  /* absorbing rows only, stored reward 0: with the hook's 7 the target is
   * 7 + gamma min Q'(s_a, a_0) */
  add_absorbing(rb, D, A, mid, 0.0, 3);
  hook_ctx c = {td3, rb, Dn, A, 0, 0, 0, 0, 0, 0, 0, GV_OK};
  gv_td3_hooks h = {&c, pre_hook, reward_hook, NULL};
  gv_td3_set_hooks(td3, &h);
  gv_td3_nets n = gv_td3_get_nets(td3);
  /* the critics see s_a normalised: (0 - .5) / sqrt(4 + eps), indicator 1 */
  float sa[64] = {0}, a0[16];
  for (int j = 0; j < D; ++j) sa[j] = (float)((0.0 - 0.5) * (1.0 / sqrt(4.0 + pi->obs_eps)));
  sa[D] = 1.0f;
  for (int j = 0; j < A; ++j) a0[j] = (float)mid;
  const float t1 = q_of(n.q1_target, sa, a0, Dn, A), t2 = q_of(n.q2_target, sa, a0, Dn, A);
  gv_td3_update_out u;
  assert_int_equal(gv_td3_update(td3, &u, &err), 0);
  assert_near(u.target_mean, 7.0 + 0.9 * fmin(t1, t2), 1e-5);
  /* then a mixed buffer, N more updates */
  gsl_rng *r = gv_rng_alloc(5, "test.rows", 0);
  add_plain(rb, D, A, 30, r);
  gsl_rng_free(r);
  const int NU = 5;
  for (int k = 0; k < NU; ++k) assert_int_equal(gv_td3_update(td3, &u, &err), 0);
  assert_int_equal(c.pre, NU + 1);
  assert_int_equal(c.rew, NU + 1);
  assert_int_equal(gv_td3_updates(td3), NU + 1);
  assert_int_equal(c.order_bad, 0);
  assert_int_equal(c.td3_bad, 0);
  assert_int_equal(c.rows_bad, 0);
  assert_int_equal(c.rows, (long)(NU + 1) * 32);
  assert_true(c.absorbing_rows > 32 && c.absorbing_rows < c.rows);
  /* a failing pre_update stops the update before the batch: no reward call,
   * no update counted, its status returned */
  c.fail_pre = GV_EDIVERGED;
  assert_int_equal(gv_td3_update(td3, &u, &err), GV_EDIVERGED);
  assert_int_equal(c.pre, NU + 2);
  assert_int_equal(c.rew, NU + 1);
  assert_int_equal(gv_td3_updates(td3), NU + 1);
  /* hooks removed: none called */
  gv_td3_set_hooks(td3, NULL);
  assert_int_equal(gv_td3_update(td3, &u, &err), 0);
  assert_int_equal(c.pre, NU + 2);
  assert_int_equal(c.rew, NU + 1);
  gv_td3_free(td3);
  gv_env_task_free(task);
}

/* ----------------------------------------------------- GAIL, absorbing */

/* 3 episodes of obs_dim 2, act_dim 1:
 *   e0: 5 steps, terminated at its last step
 *   e1: 4 steps, truncated at its last step
 *   e2: 3 steps, terminated (outside trajectories = 2) */
enum { S_STEPS = 12, S_EPS = 3 };
typedef struct synth {
  float obs[S_STEPS * 2], act[S_STEPS];
  double rew[S_STEPS];
  uint8_t term[S_STEPS], trunc[S_STEPS];
  float fin[S_EPS * 2];
  int64_t start[S_EPS], len[S_EPS];
  double ret[S_EPS];
  gv_demos d;
} synth;

static void make_synth(synth *s) {
  memset(s, 0, sizeof *s);
  const int64_t len[S_EPS] = {5, 4, 3};
  int64_t r0 = 0;
  for (int e = 0; e < S_EPS; ++e) {
    s->start[e] = r0;
    s->len[e] = len[e];
    r0 += len[e];
  }
  for (int i = 0; i < S_STEPS; ++i) {
    s->obs[2 * i] = 0.5f * (float)i - 1.0f;
    s->obs[2 * i + 1] = (float)((i * 7) % 5) + 2.0f;
    s->act[i] = (float)((i % 3) - 1) * 0.75f + 0.125f;
    s->rew[i] = 1.0;
  }
  s->term[4] = 1;
  s->trunc[8] = 1;
  s->term[11] = 1;
  gv_demos *d = &s->d;
  memset(d, 0, sizeof *d);
  d->obs_dim = 2;
  d->act_dim = 1;
  d->steps = S_STEPS;
  d->episodes = S_EPS;
  d->obs = s->obs;
  d->actions = s->act;
  d->rewards = s->rew;
  d->terminated = s->term;
  d->truncated = s->trunc;
  d->final_obs = s->fin;
  d->episode_start = s->start;
  d->episode_length = s->len;
  d->episode_return = s->ret;
  snprintf(d->env, sizeof d->env, "synthetic");
}

static void synth_params(gv_gail_params *p, int absorbing) {
  memset(p, 0, sizeof *p);
  gv_params_defaults(gv_gail_disc_table, p);
  p->trajectories = 2;
  p->subsample = 3;
  p->width = 8;
  p->batch = 16;
  p->absorbing = absorbing;
  p->absorbing_action = 0.0;   /* not in the table: DAC sets the centre of the range */
}

static void test_gail_absorbing_setup(void **state) {
  (void)state;
  synth s;
  make_synth(&s);
  const uint64_t seed = 17;
  gv_gail_params p;
  synth_params(&p, 1);
  gv_gail *g = NULL;
  gv_err err;
  assert_int_equal(gv_gail_alloc(&g, &p, &s.d, NULL, seed, 64, &err), GV_OK);
  const int I = gv_gail_in_dim(g);
  assert_int_equal(I, 2 + 1 + 1);
  assert_int_equal(gv_gail_absorbing_rows(g), 1);
  /* subsampled rows, as gv_gail_subsample draws them from the same stream */
  long rows[S_STEPS];
  gsl_rng *r = gv_rng_alloc(seed, "gail.subsample", 0);
  const long ns = gv_gail_subsample(rows, &s.d, 2, 3, r);
  gsl_rng_free(r);
  assert_int_equal(gv_gail_expert_rows(g), ns + 1);
  /* statistics over the 9 transitions of e0, e1 (population std), by hand */
  double m[3] = {0}, q[3] = {0};
  for (int i = 0; i < 9; ++i) {
    const double v[3] = {s.obs[2 * i], s.obs[2 * i + 1], s.act[i]};
    for (int j = 0; j < 3; ++j) {
      m[j] += v[j] / 9;
      q[j] += v[j] * v[j] / 9;
    }
  }
  const float *mu = gv_gail_mean(g), *sd = gv_gail_std(g);
  const int col[3] = {0, 1, 3}; /* obs, obs, act; column 2 is the indicator */
  for (int j = 0; j < 3; ++j) {
    const double want_sd = fmax(sqrt(q[j] - m[j] * m[j]), p.std_floor);
    assert_near(mu[col[j]], m[j], 1e-6);
    assert_near(sd[col[j]], want_sd, 1e-6 * want_sd);
  }
  assert_true(mu[2] == 0.0f && sd[2] == 1.0f);
  /* expert inputs: subsampled rows normalised with indicator 0, then (s_a, a_0) */
  const float *xe = gv_gail_expert_inputs(g), *we = gv_gail_expert_weights(g);
  assert_non_null(we);
  for (long i = 0; i < ns; ++i) {
    const long rr = rows[i];
    const double v[3] = {s.obs[2 * rr], s.obs[2 * rr + 1], s.act[rr]};
    for (int j = 0; j < 3; ++j)
      assert_near(xe[i * I + col[j]], (v[j] - mu[col[j]]) / sd[col[j]], 1e-5);
    assert_true(xe[i * I + 2] == 0.0f);
    assert_true(we[i] == 1.0f);
  }
  const float *xa = xe + ns * I;
  assert_true(xa[2] == 1.0f);
  for (int j = 0; j < 3; ++j)
    assert_near(xa[col[j]], fmax(-10.0, fmin(10.0, (0.0 - mu[col[j]]) / sd[col[j]])), 1e-5);
  assert_true(we[ns] == (float)(1.0 / 3.0));
  {
    /* a_0 off zero (an asymmetric action range): the absorbing row's action
     * column is a_0 standardised */
    gv_gail_params p2 = p;
    p2.absorbing_action = 0.75;
    gv_gail *g2 = NULL;
    assert_int_equal(gv_gail_alloc(&g2, &p2, &s.d, NULL, seed, 64, &err), GV_OK);
    const float *xa2 = gv_gail_expert_inputs(g2) + gv_gail_expert_rows(g2) * I - I;
    assert_true(xa2[2] == 1.0f);
    assert_near(xa2[3], fmax(-10.0, fmin(10.0, (0.75 - mu[3]) / sd[3])), 1e-5);
    gv_gail_free(g2);
  }
  /* rewards of (obs | indicator) rows: the logit of D on their inputs */
  const float obs[3 * 3] = {0.25f, 3.0f, 0.0f, 0.0f, 0.0f, 1.0f, -1.0f, 4.0f, 0.0f};
  const float act[3] = {0.5f, 0.0f, -0.25f};
  double rew[3];
  p.reward = GV_GAIL_REW_LOGIT;
  gv_gail_free(g);
  assert_int_equal(gv_gail_alloc(&g, &p, &s.d, NULL, seed, 64, &err), GV_OK);
  assert_int_equal(gv_gail_rewards(g, rew, obs, act, 3), GV_OK);
  float x[3 * 4];
  gv_gail_inputs(g, x, obs, act, 3);
  assert_true(x[4 + 2] == 1.0f && x[2] == 0.0f);
  gv_nn_ws *ws;
  gv_nn *Dn = gv_gail_disc(g);
  assert_int_equal(gv_nn_ws_alloc(&ws, &Dn->spec, 3, &err), 0);
  assert_int_equal(gv_nn_forward(ws, Dn, x, 3), 0);
  for (int i = 0; i < 3; ++i) assert_near(rew[i], ws->out[i], 1e-6);
  assert_true(rew[0] != rew[1]);
  gv_nn_ws_free(ws);
  gv_gail_free(g);

  /* without absorbing states: no indicator, no absorbing row, no weights */
  synth_params(&p, 0);
  assert_int_equal(gv_gail_alloc(&g, &p, &s.d, NULL, seed, 64, &err), GV_OK);
  assert_int_equal(gv_gail_in_dim(g), 3);
  assert_int_equal(gv_gail_absorbing_rows(g), 0);
  assert_int_equal(gv_gail_expert_rows(g), ns);
  assert_null(gv_gail_expert_weights(g));
  gv_gail_free(g);
  /* absorbing on, but no episode used ends by termination: weights NULL */
  synth_params(&p, 1);
  s.term[4] = 0;
  assert_int_equal(gv_gail_alloc(&g, &p, &s.d, NULL, seed, 64, &err), GV_OK);
  assert_int_equal(gv_gail_absorbing_rows(g), 0);
  assert_null(gv_gail_expert_weights(g));
  gv_gail_free(g);
  /* all three episodes used: two absorbing rows */
  s.term[4] = 1;
  p.trajectories = 3;
  assert_int_equal(gv_gail_alloc(&g, &p, &s.d, NULL, seed, 64, &err), GV_OK);
  assert_int_equal(gv_gail_absorbing_rows(g), 2);
  const long ne = gv_gail_expert_rows(g);
  we = gv_gail_expert_weights(g);
  assert_true(we[ne - 1] == (float)(1.0 / 3.0) && we[ne - 2] == (float)(1.0 / 3.0));
  assert_true(we[ne - 3] == 1.0f);
  gv_gail_free(g);
}

static void test_bce_w(void **state) {
  (void)state;
  /* logits and a step exactly representable in float: x +- h is exact */
  float le[4] = {-2.0f, -0.25f, 0.5f, 3.75f}, lp[3] = {-1.5f, 0.0f, 2.25f};
  const float we[4] = {1.0f, 0.5f, 2.0f, 0.25f};
  double want = 0;
  for (int i = 0; i < 4; ++i) want += we[i] * -log(sig(le[i])) / 4;
  for (int i = 0; i < 3; ++i) want += -log(1 - sig(lp[i])) / 3;
  /* gradients accumulate into de, dp */
  float de[4] = {1, 1, 1, 1}, dp[3] = {-1, -1, -1};
  const double v = gv_gail_bce_w(le, we, de, 4, lp, dp, 3);
  assert_near(v, want, 1e-12);
  for (int i = 0; i < 4; ++i) assert_near(de[i] - 1.0, we[i] * (sig(le[i]) - 1) / 4, 1e-7);
  for (int i = 0; i < 3; ++i) assert_near(dp[i] + 1.0, sig(lp[i]) / 3, 1e-7);
  /* central differences (the loss is computed in double) */
  const float h = 1.0f / 1024;
  for (int i = 0; i < 7; ++i) {
    float *x = i < 4 ? &le[i] : &lp[i - 4];
    const float x0 = *x;
    *x = x0 + h;
    const double up = gv_gail_bce_w(le, we, NULL, 4, lp, NULL, 3);
    *x = x0 - h;
    const double dn = gv_gail_bce_w(le, we, NULL, 4, lp, NULL, 3);
    *x = x0;
    const double fd = (up - dn) / (2.0 * h), g = i < 4 ? de[i] - 1.0 : dp[i - 4] + 1.0;
    assert_near(fd, g, 2e-6);
  }
  /* we = NULL is gv_gail_bce, and all-ones weights the same, bit for bit */
  const float ones[4] = {1, 1, 1, 1};
  float d1[4] = {0}, d2[4] = {0}, d3[4] = {0}, p1[3] = {0}, p2[3] = {0}, p3[3] = {0};
  const double a = gv_gail_bce(le, d1, 4, lp, p1, 3);
  const double b = gv_gail_bce_w(le, NULL, d2, 4, lp, p2, 3);
  const double c = gv_gail_bce_w(le, ones, d3, 4, lp, p3, 3);
  assert_true(a == b && a == c);
  assert_memory_equal(d1, d2, sizeof d1);
  assert_memory_equal(d1, d3, sizeof d1);
  assert_memory_equal(p1, p2, sizeof p1);
  assert_memory_equal(p1, p3, sizeof p1);
  /* a weight scales its row's term only */
  const float w2[4] = {1, 1, 3, 1};
  const double c2 = gv_gail_bce_w(le, w2, NULL, 4, lp, NULL, 3);
  assert_near(c2 - a, 2.0 * softplus(-0.5) / 4, 1e-12);
}

/* One D step on exactly the given policy rows, expert rows weighted: its
 * gradient against BCE_w on the same batch (re-drawn from "gail.batch")
 * through a copy of D; and np != batch is refused without a step. */
static void test_disc_step_rows(void **state) {
  (void)state;
  synth s;
  make_synth(&s);
  const uint64_t seed = 23;
  gv_gail_params p;
  synth_params(&p, 1);
  p.subsample = 4;
  gv_gail *g = NULL;
  gv_err err;
  assert_int_equal(gv_gail_alloc(&g, &p, &s.d, NULL, seed, 64, &err), GV_OK);
  const int I = gv_gail_in_dim(g), B = (int)p.batch;
  const long ne = gv_gail_expert_rows(g);
  const float *xe = gv_gail_expert_inputs(g), *we = gv_gail_expert_weights(g);
  assert_non_null(we);
  float *xp = malloc((size_t)B * I * sizeof(float));
  gsl_rng *r = gv_rng_alloc(3, "test.rows", 0);
  for (int k = 0; k < B * I; ++k) xp[k] = (float)gv_rng_normal(r);
  for (int i = 0; i < B; ++i) xp[i * I + 2] = (float)(i % 4 == 0); /* some at s_a */
  gsl_rng_free(r);
  gv_nn *D = gv_gail_disc(g);
  float *p0 = at_snap(D);
  gv_gail_stats st = {0};
  /* wrong row count: refused, D untouched, nothing drawn */
  assert_int_equal(gv_gail_disc_step_rows(g, xp, B - 1, &st), GV_EINVAL);
  assert_int_equal(gv_gail_disc_step_rows(g, xp, B + 1, &st), GV_EINVAL);
  assert_true(at_same(D, p0));
  assert_int_equal(gv_gail_optim(g)->t, 0);
  gv_nn *ref;
  assert_int_equal(gv_nn_alloc(&ref, &D->spec, &err), 0);
  gv_nn_copy(ref, D);
  assert_int_equal(gv_gail_disc_step_rows(g, xp, B, &st), GV_OK);
  assert_int_equal(gv_gail_optim(g)->t, 1);
  assert_false(at_same(D, p0));
  /* the batch: B expert indices from "gail.batch", then xp as given */
  float *x = malloc((size_t)2 * B * I * sizeof(float)), *wb = malloc((size_t)B * sizeof(float));
  gsl_rng *rb = gv_rng_alloc(seed, "gail.batch", 0);
  int n_abs = 0;
  for (int i = 0; i < B; ++i) {
    const size_t e = gsl_rng_uniform_int(rb, (unsigned long)ne);
    memcpy(x + (size_t)i * I, xe + e * I, (size_t)I * sizeof(float));
    wb[i] = we[e];
    n_abs += wb[i] != 1.0f;
  }
  gsl_rng_free(rb);
  memcpy(x + (size_t)B * I, xp, (size_t)B * I * sizeof(float));
  assert_true(n_abs > 0 && n_abs < B); /* the weights matter in this batch */
  gv_nn_ws *ws;
  assert_int_equal(gv_nn_ws_alloc(&ws, &ref->spec, 2 * B, &err), 0);
  assert_int_equal(gv_nn_forward(ws, ref, x, 2 * B), 0);
  float *dy = calloc((size_t)2 * B, sizeof(float));
  const double loss = gv_gail_bce_w(ws->out, wb, dy, B, ws->out + B, dy + B, B);
  assert_near(st.d_loss, loss, 1e-6 * (1 + loss));
  gv_nn_zero_grad(ref);
  assert_int_equal(gv_nn_backward(ref->grad, NULL, ref, ws, dy), 0);
  double dmax = 0, gmax = 0;
  for (size_t k = 0; k < D->nparam; ++k) {
    dmax = fmax(dmax, fabs(D->grad[k] - ref->grad[k]));
    gmax = fmax(gmax, fabs(ref->grad[k]));
  }
  assert_true(gmax > 0 && dmax <= 1e-5 * gmax);
  /* unweighted, the gradient would differ */
  memset(dy, 0, (size_t)2 * B * sizeof(float));
  gv_gail_bce(ws->out, dy, B, ws->out + B, dy + B, B);
  gv_nn_zero_grad(ref);
  assert_int_equal(gv_nn_backward(ref->grad, NULL, ref, ws, dy), 0);
  double diff = 0;
  for (size_t k = 0; k < D->nparam; ++k) diff = fmax(diff, fabs(D->grad[k] - ref->grad[k]));
  assert_true(diff > 1e-3 * gmax);
  free(dy);
  free(x);
  free(wb);
  free(xp);
  free(p0);
  gv_nn_ws_free(ws);
  gv_nn_free(ref);
  gv_gail_free(g);
}

/* ---------------------------------------------------------- gv_dac itself */

static long demos_absorbing(const gv_demos *d, long ntraj) {
  long n = 0;
  for (long e = 0; e < ntraj && e < d->episodes; ++e)
    n += d->episode_length[e] > 0 &&
         d->terminated[d->episode_start[e] + d->episode_length[e] - 1];
  return n;
}

static void test_dac_agent(void **state) {
  (void)state;
  gv_err err;
  gv_demos d;
  assert_int_equal(gv_demos_load(&d, "data/experts/hopper-demos.h5", &err), 0);
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "hopper", NULL, &err), 0);
  const int D = task->type->obs_dim, A = task->type->act_dim, Dn = D + 1;
  gv_td3_params tp = fill_params(0); /* absorbing off here: DAC forces it */
  tp.log_every = 150;
  tp.batch = 16;
  gv_gail_params gp;
  gv_params_defaults(gv_gail_disc_table, &gp);
  gp.trajectories = 12;
  gp.subsample = 20;
  gp.width = 16;
  gp.batch = 24;
  gp.updates = 2;
  gp.reward = GV_GAIL_REW_LOGIT;
  gp.absorbing = 0;
  gv_dac *dac;
  assert_int_equal(gv_dac_alloc(&dac, &tp, &gp, &d, NULL, task, 1, 1, 8, &err), 0);
  gv_td3 *td3 = gv_dac_td3(dac);
  gv_gail *g = gv_dac_gail(dac);
  assert_int_equal(gv_gail_in_dim(g), D + 1 + A);
  const long nabs = demos_absorbing(&d, 12);
  assert_true(nabs >= 1); /* hopper's episode 9 (642 steps) ends by termination */
  assert_int_equal(gv_gail_absorbing_rows(g), nabs);
  gv_td3_stats ts;
  gv_dac_stats ds;
  assert_int_equal(gv_dac_iterate(dac, &ts, &ds, &err), 0);
  const gv_replay *rb = gv_td3_replay(td3);
  assert_int_equal(rb->obs_dim, Dn);
  assert_int_equal(ts.updates, 0);
  assert_int_equal(ds.d_steps, 0);
  assert_true(isnan(ds.d_loss));
  assert_true(ts.episodes >= 1 && rb->size == 150 + ts.episodes);
  /* the most recent env states, newest first, absorbing rows skipped */
  float rec[40 * 16];
  const int m = gv_dac_recent_states(dac, rec, 40);
  assert_int_equal(m, 40);
  long r = rb->size - 1;
  for (int i = 0; i < m; ++i, --r) {
    while (rb->obs[r * Dn + D] != 0.0f) --r;
    assert_memory_equal(rec + (size_t)i * D, rb->obs + r * Dn, (size_t)D * sizeof(float));
  }
  /* each update: gp.updates D steps, then one TD3 update */
  gv_nn *Dnet = gv_gail_disc(g);
  float *p0 = at_snap(Dnet);
  for (int k = 1; k <= 3; ++k) {
    assert_int_equal(gv_dac_update(dac, &err), 0);
    assert_int_equal(gv_td3_updates(td3), k);
    assert_int_equal(gv_gail_optim(g)->t, 2 * k);
  }
  assert_false(at_same(Dnet, p0));
  free(p0);
  /* gv_dac_disc_steps counts them */
  assert_int_equal(gv_dac_disc_steps(dac), 6);
  gv_dac_free(dac);
  gv_env_task_free(task);
  gv_demos_free(&d);
}

/* ------------------------------------------------------------ whole runs */

static const char *const dac_cfg =
    "game: {kind: dac, env: hopper, trajectories: 12, subsample: 20}\n"
    "disc: {width: 32, batch: 32}\n"
    "agent: {kind: td3, hidden: 32, batch: 32, learning_starts: 1000, log_every: 500}\n"
    "seed: %d\n"
    "run: {steps: 3000, eval_every: 1500, eval_episodes: 1, distance_every: 1}\n";

static void test_dac_run(void **state) {
  (void)state;
  char cfg[1024], a[128], b[128];
  gv_err err;
  snprintf(a, sizeof a, "%s/dac-a.h5", tmpdir);
  snprintf(b, sizeof b, "%s/dac-b.h5", tmpdir);
  snprintf(cfg, sizeof cfg, dac_cfg, 3);
  gv_status st = at_run_text(cfg, a, &err);
  if (st) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(st, GV_OK);
  /* one TD3 update per env step after learning_starts, at every point */
  size_t n, n2;
  int64_t *step;
  double *upd = at_series(a, "updates", &step, &n);
  assert_int_equal(n, 6);
  for (size_t i = 0; i < n; ++i) {
    assert_int_equal(step[i], 500 * (long)(i + 1));
    assert_true(upd[i] == (double)(step[i] > 1000 ? step[i] - 1000 : 0));
  }
  assert_true(upd[n - 1] == 2000.0);
  assert_true(at_summary(a, "steps_done") == 3000.0);
  assert_true(at_summary(a, "updates_done") == 2000.0);
  /* the expert set holds the absorbing rows of the first 12 episodes */
  gv_demos d;
  assert_int_equal(gv_demos_load(&d, "data/experts/hopper-demos.h5", &err), 0);
  assert_true(at_summary(a, "expert_absorbing") == (double)demos_absorbing(&d, 12));
  gv_demos_free(&d);
  /* D's series exist from the first chunk with updates, finite */
  double *dl = at_series(a, "d_loss", NULL, &n2);
  assert_int_equal(n2, 4); /* steps 1500 .. 3000 */
  for (size_t i = 0; i < n2; ++i) assert_true(isfinite(dl[i]) && dl[i] > 0);
  free(dl);
  free(upd);
  free(step);

  /* the same seed again: identical series */
  assert_int_equal(at_run_text(cfg, b, &err), GV_OK);
  static const char *const names[] = {"critic1_loss", "critic2_loss", "actor_loss", "q1_mean",
                                      "target_mean", "d_loss", "d_expert", "d_policy",
                                      "reward_mean", "ctl_loss", "train_return",
                                      "eval_return_mean", "wd_states", "updates", NULL};
  for (int i = 0; names[i]; ++i) {
    size_t na, nb;
    double *va = at_series(a, names[i], NULL, &na), *vb = at_series(b, names[i], NULL, &nb);
    assert_int_equal(na, nb);
    assert_true(na > 0);
    if (memcmp(va, vb, na * sizeof(double))) fail_msg("series %s differs between runs", names[i]);
    free(va);
    free(vb);
  }
  /* another seed, another run */
  snprintf(cfg, sizeof cfg, dac_cfg, 4);
  assert_int_equal(at_run_text(cfg, b, &err), GV_OK);
  size_t na, nb;
  double *va = at_series(a, "critic1_loss", NULL, &na);
  double *vb = at_series(b, "critic1_loss", NULL, &nb);
  assert_true(na == nb && memcmp(va, vb, na * sizeof(double)) != 0);
  free(va);
  free(vb);
}

/* disc.updates 1: one D step per TD3 update, in the series and the summary
 * of test_dac_run's first file (its own test so that the rest of that run's
 * checks are reported independently). */
static void test_dac_run_disc_steps(void **state) {
  (void)state;
  char a[128];
  snprintf(a, sizeof a, "%s/dac-a.h5", tmpdir);
  assert_int_equal(access(a, R_OK), 0);
  size_t n, n2;
  double *upd = at_series(a, "updates", NULL, &n), *dst = at_series(a, "disc_steps", NULL, &n2);
  assert_int_equal(n2, n);
  for (size_t i = 0; i < n; ++i)
    if (dst[i] != upd[i]) fail_msg("disc_steps[%zu] = %g, updates %g", i, dst[i], upd[i]);
  assert_true(at_summary(a, "disc_steps") == 2000.0);
  free(upd);
  free(dst);
}

/* A run whose learner has visited more states than the expert set holds:
 * reacher's episodes are 50 steps, so 4 trajectories are 200 expert states,
 * while the state distance takes up to 2000 recent replay states.  Run in a
 * child process: a memory error there (heap overflow: glibc aborts, ASan
 * reports) fails this test instead of the whole binary. */
static void test_dac_run_short_demos(void **state) {
  (void)state;
  char a[128];
  snprintf(a, sizeof a, "%s/dac-reacher.h5", tmpdir);
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* cmocka's handlers would resume its runner in the child */
    const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) signal(sigs[i], SIG_DFL);
    gv_err err;
    gv_status st = at_run_text(
        "game: {kind: dac, env: reacher, trajectories: 4, subsample: 20}\n"
        "disc: {width: 16, batch: 32}\n"
        "agent: {kind: td3, hidden: 16, batch: 32, learning_starts: 300, log_every: 300}\n"
        "seed: 1\n"
        "run: {steps: 600, eval_every: 0, eval_episodes: 1, distance_every: 1}\n",
        a, &err);
    if (st) fprintf(stderr, "reacher dac run: %s\n", err.msg);
    fflush(stderr);
    _exit(st ? 3 : 0);
  }
  int ws = 0;
  assert_int_equal(waitpid(pid, &ws, 0), pid);
  if (WIFSIGNALED(ws)) fail_msg("the reacher DAC run died of signal %d", WTERMSIG(ws));
  assert_true(WIFEXITED(ws));
  if (WEXITSTATUS(ws)) fail_msg("the reacher DAC run exited with %d", WEXITSTATUS(ws));
  size_t n;
  double *wd = at_series(a, "wd_states", NULL, &n);
  assert_int_equal(n, 2);
  assert_true(isfinite(wd[0]) && isfinite(wd[1]));
  free(wd);
}

static void expect_config_error(const char *text, gv_status want, const char *needle) {
  gv_node *root = NULL;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string(text, "bad.yaml", &root, &err), GV_OK);
  const gv_experiment *exp = NULL;
  assert_int_equal(gv_exp_find(root, "bad.yaml", &exp, &err), GV_OK);
  gv_status st = exp->check(root, "bad.yaml", &err);
  gv_node_free(root);
  if (st != want || !strstr(err.msg, needle)) fprintf(stderr, "status %d: %s\n", (int)st, err.msg);
  assert_int_equal(st, want);
  assert_int_equal(gv_exit_code(st), 2);
  assert_non_null(strstr(err.msg, needle));
}

static void test_dac_config(void **state) {
  (void)state;
  /* DAC without absorbing states is refused, at the key */
  expect_config_error("game: {kind: dac, env: hopper}\nagent: {kind: td3, absorbing: false}\n",
                      GV_ECONFIG, "absorbing");
  /* the generator is TD3 */
  expect_config_error("game: {kind: dac, env: hopper}\nagent: {kind: ppo}\n", GV_ECONFIG, "ppo");
  /* the defaults: absorbing on, logit reward, wgan_gp, 1 D step of 256 */
  gv_node *root = NULL;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string("game: {kind: dac, env: hopper}\n", "ok.yaml", &root,
                                       &err), GV_OK);
  const gv_experiment *exp = NULL;
  assert_int_equal(gv_exp_find(root, "ok.yaml", &exp, &err), GV_OK);
  assert_int_equal(exp->check(root, "ok.yaml", &err), GV_OK);
  char *yaml = gv_cfg_emit(root);
  assert_non_null(strstr(yaml, "absorbing: true"));
  assert_non_null(strstr(yaml, "reward: logit"));
  assert_non_null(strstr(yaml, "wgan_gp"));
  free(yaml);
  /* the reference's penalty 10 (||grad|| - 1)^2 is gamma 20 here (the GP
   * coefficient is gamma / 2), not the controller's own default */
  const gv_node *gamma = gv_cfg_lookup(root, "controllers.0.gamma");
  assert_non_null(gamma);
  assert_string_equal(gamma->value, "20");
  assert_string_equal(gv_cfg_lookup(root, "disc.batch")->value, "256");
  assert_string_equal(gv_cfg_lookup(root, "disc.updates")->value, "1");
  gv_node_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_absorbing_action),
      cmocka_unit_test(test_absorbing_bootstrap),
      cmocka_unit_test(test_replay_absorbing),
      cmocka_unit_test(test_replay_time_limit),
      cmocka_unit_test(test_actor_masked_absorbing_only),
      cmocka_unit_test(test_actor_masked_mixed),
      cmocka_unit_test(test_hooks),
      cmocka_unit_test(test_gail_absorbing_setup),
      cmocka_unit_test(test_bce_w),
      cmocka_unit_test(test_disc_step_rows),
      cmocka_unit_test(test_dac_agent),
      cmocka_unit_test(test_dac_config),
      cmocka_unit_test(test_dac_run),
      cmocka_unit_test(test_dac_run_disc_steps),
      cmocka_unit_test(test_dac_run_short_demos),
  };
  return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
}
