/* PPO's pure parts: GAE against a hand computation (a truncation that
 * bootstraps, a termination that does not), the clipped surrogate and the
 * clipped value loss against finite differences on tiny nets (with samples
 * on both sides of every clip), the Gaussian log-prob and entropy against
 * independent formulas, the running normaliser against two-pass results,
 * the policy hash and its HDF5 round trip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>

#include "agents/policy.h"
#include "agents/ppo.h"
#include "agents/td3.h"
#include "core/rng.h"
#include "nn/init.h"
#include "tests/agents/agent_test_util.h"

/* ------------------------------------------------------------------ GAE */

static void test_agents_gae_hand(void **state) {
  (void)state;
  /* T = 4 steps, K = 2 copies, row t * 2 + k; gamma 0.9, lambda 0.8 (gl = 0.72).
   * copy 0: r = 1 1 1 1, V = .5 .6 .7 .8, truncated at t = 1 with
   *         V(final obs) = 2, V(after the rollout) = .9
   *   t3: d = 1 + .9*.9 - .8 = 1.01                A = 1.01
   *   t2: d = 1 + .9*.8 - .7 = 1.02                A = 1.02 + .72*1.01 = 1.7472
   *   t1: d = 1 + .9*2 - .6 = 2.2 (bootstrap, chain cut)   A = 2.2
   *   t0: d = 1 + .9*.6 - .5 = 1.04                A = 1.04 + .72*2.2 = 2.624
   * copy 1: r = 0 1 0 2, V = .1 .2 .3 .4, terminated at t = 2, last V .5
   *   t3: d = 2 + .9*.5 - .4 = 2.05                A = 2.05
   *   t2: d = 0 - .3 = -.3 (no bootstrap from V = .4)       A = -.3
   *   t1: d = 1 + .9*.3 - .2 = 1.07                A = 1.07 - .72*.3 = .854
   *   t0: d = 0 + .9*.2 - .1 = .08                 A = .08 + .72*.854 = .69488 */
  const float rew[8] = {1, 0, 1, 1, 1, 0, 1, 2};
  const float val[8] = {.5f, .1f, .6f, .2f, .7f, .3f, .8f, .4f};
  const uint8_t term[8] = {0, 0, 0, 0, 0, 1, 0, 0};
  const uint8_t trunc[8] = {0, 0, 1, 0, 0, 0, 0, 0};
  const float boot[8] = {0, 0, 2.0f, 0, 0, 0, 0, 0};
  const float last[2] = {.9f, .5f};
  const double want[8] = {2.624, .69488, 2.2, .854, 1.7472, -.3, 1.01, 2.05};
  float adv[8], ret[8];
  gv_ppo_gae(adv, ret, rew, val, term, trunc, boot, last, 4, 2, 0.9, 0.8);
  for (int i = 0; i < 8; ++i) {
    assert_true(fabs(adv[i] - want[i]) < 2e-6);
    assert_true(fabs(ret[i] - (want[i] + val[i])) < 2e-6);
  }
  /* a termination that also hits the time limit does not bootstrap */
  uint8_t both[8];
  memcpy(both, trunc, sizeof both);
  both[5] = 1;
  gv_ppo_gae(adv, ret, rew, val, term, both, boot, last, 4, 2, 0.9, 0.8);
  assert_true(fabs(adv[5] - -.3) < 2e-6);
}

/* ------------------------------------------------- the clipped surrogate */

/* The clipped surrogate by hand (finite differences cannot see the clip
 * bounds or the advantage normalisation: both are constants of the loss).
 * mu = 0, log_std 0, a = 0: log p = -0.9189385 for every sample; old
 * log-probs set for ratios r = 1.5, 0.5, 0.5, 1.1; advantages 2, 0, 2, 0
 * normalise (mean 1, unbiased std sqrt(4/3)) to +-0.8660254 = +-c.  Per
 * sample max(-A r, -A clip(r, 0.8, 1.2)): -1.2c (clipped), 0.8c (clipped),
 * -0.5c, 1.1c: pg = 0.2c / 4 = 0.0433013; three of four ratios outside the
 * range; KL mean of (r - 1) - ln r = 0.1213797; d/d log_std = -(sum over
 * the unclipped of -A r / 4) = -(-0.5c + 1.1c) / 4 = -0.1299038. */
static void test_agents_surrogate_hand(void **state) {
  (void)state;
  gv_err err;
  gv_nn_spec sa;
  gv_nn *actor;
  gv_nn_ws *ws;
  assert_int_equal(gv_nn_spec_mlp(&sa, 1, 0, NULL, GV_NN_ACT_TANH, 1, GV_NN_ACT_LINEAR, &err), 0);
  assert_int_equal(gv_nn_alloc(&actor, &sa, &err), 0);
  memset(actor->param, 0, actor->nparam * sizeof *actor->param);
  assert_int_equal(gv_nn_ws_alloc(&ws, &sa, 4, &err), 0);
  const double lp = -0.91893853320467274, ratio[4] = {1.5, 0.5, 0.5, 1.1};
  float obs[4] = {0.3f, -1.0f, 2.0f, 0.7f}, act[4] = {0, 0, 0, 0}, logp[4],
        adv[4] = {2, 0, 2, 0}, ret[4] = {0}, val[4] = {0}, scratch[4 * 3], log_std[1] = {0};
  for (int i = 0; i < 4; ++i) logp[i] = (float)(lp - log(ratio[i]));
  gv_ppo_batch b = {4, obs, act, logp, adv, ret, val};
  gv_ppo_actor_out o;
  float dls[1] = {0};
  gv_ppo_actor_loss(&o, NULL, dls, actor, log_std, ws, &b, 0.2, 1, 0.0, scratch);
  const double c = sqrt(3.0) / 2.0;
  assert_true(fabs(o.pg_loss - (0.2 * c / 4.0)) <= 1e-6);
  assert_true(o.clip_frac == 0.75);
  assert_true(fabs(o.approx_kl - (0.1213797)) <= 1e-6);
  assert_true(fabs(dls[0] - (-0.6 * c / 4.0)) <= 1e-6);
  /* unnormalised, the same batch: -(2 * 1.2) + 0 - (2 * 0.5) + 0 over 4 */
  gv_ppo_actor_loss(&o, NULL, dls, actor, log_std, ws, &b, 0.2, 0, 0.0, scratch);
  assert_true(fabs(o.pg_loss - (-0.85)) <= 1e-6);
  gv_nn_ws_free(ws);
  gv_nn_free(actor);
}

/* The defaults are the reference's (CleanRL / SB3 PPO, Fujimoto's TD3). */
static void test_agents_defaults(void **state) {
  (void)state;
  gv_ppo_params p;
  gv_params_defaults(gv_ppo_param_table, &p);
  assert_int_equal(p.rollout, 2048);
  assert_int_equal(p.minibatches, 32);
  assert_int_equal(p.epochs, 10);
  assert_true(p.lr == 3e-4);
  assert_true(p.adam_eps == 1e-5);
  assert_true(p.anneal_lr && p.clip_vloss && p.norm_adv && p.norm_obs && p.norm_reward);
  assert_true(p.gamma == 0.99);
  assert_true(p.gae_lambda == 0.95);
  assert_true(p.clip == 0.2);
  assert_true(p.ent_coef == 0.0);
  assert_true(p.vf_coef == 0.5);
  assert_true(p.max_grad_norm == 0.5);
  assert_int_equal(p.hidden, 64);
  assert_int_equal(p.depth, 2);
  assert_true(p.log_std_init == 0.0);
  assert_true(p.clip_obs == 10.0);
  assert_true(p.clip_reward == 10.0);
  gv_td3_params t;
  gv_params_defaults(gv_td3_param_table, &t);
  assert_int_equal(t.hidden, 256);
  assert_int_equal(t.depth, 2);
  assert_true(t.actor_lr == 3e-4);
  assert_true(t.critic_lr == 3e-4);
  assert_true(t.gamma == 0.99);
  assert_true(t.tau == 0.005);
  assert_true(t.policy_noise == 0.2);
  assert_true(t.noise_clip == 0.5);
  assert_int_equal(t.policy_delay, 2);
  assert_true(t.expl_noise == 0.1);
  assert_int_equal(t.learning_starts, 10000);
  assert_int_equal(t.batch, 256);
}

/* Reward scaling by hand: gamma 0.99, one copy, rewards 1, 1, 1, 1, the
 * episode ending at row 1; the return statistics start at count 1e-4, mean
 * 0, var 1.  Row 0: return 1, var (1e-4 + 1e-4/1.0001) / 1.0001 = 1.9997e-4,
 * 1/sqrt(var) = 70.7, clipped to 10; row 1: return 1.99, var 0.2451745,
 * 2.0195860; the return restarts, row 2: return 1, 2.1423296; row 3:
 * return 1.99, 2.0198939 (each row's var merges one more return).  Without
 * the restart row 2 would read 1.2431897; with gamma 1, row 1 1.9994003. */
static void test_agents_reward_scaling(void **state) {
  (void)state;
  gv_err err;
  gv_rms *rms;
  assert_int_equal(gv_rms_alloc(&rms, 1, 1e-4, &err), 0);
  const double raw[4] = {1, 1, 1, 1};
  const uint8_t ended[4] = {0, 1, 0, 0};
  double disc = 0.0;
  float rew[4];
  gv_ppo_scale_rewards(rew, raw, ended, 4, 1, &disc, rms, 0.99, 10.0, 1);
  const double want[4] = {10.0, 2.0195860, 2.1423296, 2.0198939};
  for (int t = 0; t < 4; ++t) assert_true(fabs(rew[t] - want[t]) < 2e-6);
  /* off: the rewards as they are, the statistics untouched */
  const double count = rms->count;
  gv_ppo_scale_rewards(rew, raw, ended, 4, 1, &disc, rms, 0.99, 10.0, 0);
  for (int t = 0; t < 4; ++t) assert_true(rew[t] == 1.0f);
  assert_true(rms->count == count);
  gv_rms_free(rms);
}

/* CleanRL's layer_init: orthogonal weights, gain sqrt 2 on the hidden
 * layers, 0.01 on the policy head, 1 on the value head, biases 0; log-std 0. */
static void test_agents_init(void **state) {
  (void)state;
  gv_err err;
  gv_env_task *task;
  assert_int_equal(gv_env_task_alloc(&task, "hopper", NULL, &err), 0);
  gv_ppo_params p;
  gv_params_defaults(gv_ppo_param_table, &p);
  gv_ppo *o;
  assert_int_equal(gv_ppo_alloc(&o, &p, task, 1, 1, 3, 1, &err), 0);
  const gv_nn *nets[2] = {gv_ppo_policy(o)->actor, gv_ppo_critic(o)};
  const double head[2] = {0.01, 1.0};
  for (int k = 0; k < 2; ++k) {
    const gv_nn *n = nets[k];
    assert_int_equal(n->spec.nlayer, 3);
    for (int l = 0; l < 3; ++l) {
      const int r = n->spec.size[l + 1], c = n->spec.size[l];
      const double g = l == 2 ? head[k] : sqrt(2.0);
      assert_true(at_orth_err(n->param + n->off_w[l], r, c, g) < 1e-5 * g * g);
      for (int i = 0; i < r; ++i) assert_true(n->param[n->off_b[l] + i] == 0.0f);
    }
  }
  for (int j = 0; j < task->type->act_dim; ++j) assert_true(gv_ppo_policy(o)->log_std[j] == 0.0f);
  gv_ppo_free(o);
  gv_env_task_free(task);
}

/* ------------------------------------------------------ losses against FD */

typedef struct fd_case {
  gv_nn *actor, *critic;
  float log_std[2];
  int n;
  float *obs, *act, *logp, *adv, *ret, *val;
  gv_nn_ws *wa, *wc;
  float *scratch;
} fd_case;

static const double clip = 0.2, ent_coef = 0.01, vf_coef = 0.5;

/* Total loss pg - ent H + vf * vloss, in double. */
static double total_loss(fd_case *c, int grads, gv_ppo_actor_out *ao, double *vl) {
  gv_ppo_batch b = {c->n, c->obs, c->act, c->logp, c->adv, c->ret, c->val};
  float dls[2] = {0, 0};
  gv_ppo_actor_out o;
  gv_ppo_actor_loss(&o, grads ? c->actor->grad : NULL, dls, c->actor, c->log_std, c->wa, &b,
                    clip, 1, ent_coef, c->scratch);
  double v = gv_ppo_critic_loss(grads ? c->critic->grad : NULL, c->critic, c->wc, &b, clip, 1,
                                vf_coef, c->scratch);
  if (ao) *ao = o;
  if (vl) *vl = v;
  return o.pg_loss - ent_coef * o.entropy + vf_coef * v;
}

static void test_agents_loss_gradients(void **state) {
  (void)state;
  gsl_rng *r = gv_rng_alloc(7, "test", 0);
  gv_err err;
  fd_case c;
  memset(&c, 0, sizeof c);
  const int D = 3, A = 2, n = 16;
  int hidden[1] = {5};
  gv_nn_spec sa, sc;
  assert_int_equal(gv_nn_spec_mlp(&sa, D, 1, hidden, GV_NN_ACT_TANH, A, GV_NN_ACT_LINEAR, &err), 0);
  assert_int_equal(gv_nn_spec_mlp(&sc, D, 1, hidden, GV_NN_ACT_TANH, 1, GV_NN_ACT_LINEAR, &err), 0);
  assert_int_equal(gv_nn_alloc(&c.actor, &sa, &err), 0);
  assert_int_equal(gv_nn_alloc(&c.critic, &sc, &err), 0);
  gv_nn_init_params(c.actor, GV_NN_INIT_ORTHOGONAL, 1.0, 1.0, r, &err);
  gv_nn_init_params(c.critic, GV_NN_INIT_ORTHOGONAL, 1.0, 1.0, r, &err);
  c.log_std[0] = -0.3f;
  c.log_std[1] = 0.2f;
  c.n = n;
  c.obs = malloc(sizeof(float) * n * D);
  c.act = malloc(sizeof(float) * n * A);
  c.logp = malloc(sizeof(float) * n);
  c.adv = malloc(sizeof(float) * n);
  c.ret = malloc(sizeof(float) * n);
  c.val = malloc(sizeof(float) * n);
  c.scratch = malloc(sizeof(float) * n * (2 + A));
  gv_nn_ws_alloc(&c.wa, &sa, n, &err);
  gv_nn_ws_alloc(&c.wc, &sc, n, &err);
  for (int i = 0; i < n * D; ++i) c.obs[i] = (float)gv_rng_normal(r);
  /* current mean and value, to place the old log-probs and values */
  gv_nn_forward(c.wa, c.actor, c.obs, n);
  for (int i = 0; i < n * A; ++i) c.act[i] = c.wa->out[i] + (float)(0.8 * gv_rng_normal(r));
  /* log r = offsets: ratios 1.65, 1.1, 0.95, 0.67: inside and outside the clip
   * range; advantages of both signs */
  const double offs[4] = {0.5, 0.0953, -0.0513, -0.4};
  for (int i = 0; i < n; ++i) {
    double lp = gv_gauss_logp(c.act + i * A, c.wa->out + i * A, c.log_std, A);
    c.logp[i] = (float)(lp - offs[i % 4]);
    c.adv[i] = (float)((i / 4) % 2 ? 1.0 + 0.5 * i / n : -(1.0 + 0.3 * i / n));
  }
  gv_nn_forward(c.wc, c.critic, c.obs, n);
  /* v - v_old = +-0.5 (outside the value clip), +-0.1 (inside) */
  const double voff[4] = {0.5, 0.1, -0.1, -0.5};
  for (int i = 0; i < n; ++i) {
    c.val[i] = c.wc->out[i] - (float)voff[(i / 2) % 4];
    c.ret[i] = c.wc->out[i] + (float)((i % 3) - 1) * 0.7f;
  }
  gv_ppo_actor_out ao;
  double vl;
  gv_nn_zero_grad(c.actor);
  gv_nn_zero_grad(c.critic);
  total_loss(&c, 1, &ao, &vl);
  /* some samples clipped, some not */
  assert_true(ao.clip_frac > 0.2 && ao.clip_frac < 0.8);
  /* analytic gradients, log_std by a separate call */
  float dls[2] = {0, 0};
  gv_ppo_batch b = {n, c.obs, c.act, c.logp, c.adv, c.ret, c.val};
  gv_ppo_actor_loss(&ao, NULL, dls, c.actor, c.log_std, c.wa, &b, clip, 1, ent_coef, c.scratch);
  /* NULL grad above still backprops into nothing; take the actor gradient
   * from the first call */
  const double h = 1e-3;
  double worst = 0;
  gv_nn *nets[2] = {c.actor, c.critic};
  for (int w = 0; w < 2; ++w) {
    gv_nn *net = nets[w];
    for (size_t k = 0; k < net->nparam; ++k) {
      const float p0 = net->param[k];
      net->param[k] = p0 + (float)h;
      const double lp = total_loss(&c, 0, NULL, NULL);
      net->param[k] = p0 - (float)h;
      const double lm = total_loss(&c, 0, NULL, NULL);
      net->param[k] = p0;
      const double fd = (lp - lm) / (2 * h), an = net->grad[k];
      const double e = fabs(fd - an) / fmax(1e-2, fabs(fd));
      if (e > worst) worst = e;
      if (e > 5e-3) printf("net %d param %zu: fd %.6g analytic %.6g\n", w, k, fd, an);
    }
  }
  for (int j = 0; j < A; ++j) {
    const float p0 = c.log_std[j];
    c.log_std[j] = p0 + (float)h;
    const double lp = total_loss(&c, 0, NULL, NULL);
    c.log_std[j] = p0 - (float)h;
    const double lm = total_loss(&c, 0, NULL, NULL);
    c.log_std[j] = p0;
    const double fd = (lp - lm) / (2 * h);
    const double e = fabs(fd - dls[j]) / fmax(1e-2, fabs(fd));
    if (e > worst) worst = e;
    if (e > 5e-3) printf("log_std %d: fd %.6g analytic %.6g\n", j, fd, (double)dls[j]);
  }
  printf("loss gradients: worst relative error %.3g\n", worst);
  assert_true(worst < 5e-3);

  /* the clipped value loss is flat where the clipped term wins: a sample
   * with v - v_old = 0.5 and R on the far side has zero gradient */
  float vbuf[1], rbuf[1], obs1[3] = {c.obs[0], c.obs[1], c.obs[2]};
  gv_nn_forward(c.wc, c.critic, obs1, 1);
  const float v = c.wc->out[0];
  vbuf[0] = v - 0.5f;       /* v moved up by 0.5 > clip */
  rbuf[0] = v + 1.0f;       /* R above: clipped (v_old + 0.2) is further from R */
  gv_ppo_batch b1 = {1, obs1, NULL, NULL, NULL, rbuf, vbuf};
  gv_nn_zero_grad(c.critic);
  double l1 = gv_ppo_critic_loss(c.critic->grad, c.critic, c.wc, &b1, clip, 1, 1.0, c.scratch);
  assert_true(fabs(l1 - 0.5 * (1.0 + 0.5 - 0.2) * (1.0 + 0.5 - 0.2)) < 1e-5);
  assert_true(gv_nn_grad_norm(c.critic) < 1e-12);
  /* and is the plain squared error where the unclipped term wins */
  rbuf[0] = v - 2.0f;
  gv_nn_zero_grad(c.critic);
  l1 = gv_ppo_critic_loss(c.critic->grad, c.critic, c.wc, &b1, clip, 1, 1.0, c.scratch);
  assert_true(fabs(l1 - 0.5 * 4.0) < 1e-5);
  assert_true(gv_nn_grad_norm(c.critic) > 1e-3);

  gv_nn_free(c.actor);
  gv_nn_free(c.critic);
  gv_nn_ws_free(c.wa);
  gv_nn_ws_free(c.wc);
  free(c.obs);
  free(c.act);
  free(c.logp);
  free(c.adv);
  free(c.ret);
  free(c.val);
  free(c.scratch);
  gsl_rng_free(r);
}

/* ---------------------------------------------------------- Gaussian */

static void test_agents_gauss(void **state) {
  (void)state;
  const float mu[3] = {0.3f, -1.2f, 2.0f}, ls[3] = {-0.5f, 0.0f, 0.7f};
  const float a[3] = {0.1f, -0.4f, 3.5f};
  double want = 0, went = 0;
  for (int j = 0; j < 3; ++j) {
    const double sd = exp((double)ls[j]);
    want += log(gsl_ran_gaussian_pdf((double)a[j] - mu[j], sd));
    went += 0.5 * log(2 * M_PI * M_E * sd * sd);
  }
  assert_true(fabs(gv_gauss_logp(a, mu, ls, 3) - want) < 1e-12);
  assert_true(fabs(gv_gauss_entropy(ls, 3) - went) < 1e-12);
  /* the entropy is minus the expected log-prob: Monte Carlo, 2e5 draws */
  gsl_rng *r = gv_rng_alloc(3, "test", 0);
  double s = 0;
  const int m = 200000;
  float x[3];
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < 3; ++j) x[j] = mu[j] + expf(ls[j]) * (float)gv_rng_normal(r);
    s -= gv_gauss_logp(x, mu, ls, 3);
  }
  /* std of -log p is sqrt(3/2): the mean is within 5 sigma of the entropy */
  assert_true(fabs(s / m - went) < 5 * sqrt(1.5 / m));
  gsl_rng_free(r);
}

/* ------------------------------------------------------- normaliser */

static void test_agents_rms(void **state) {
  (void)state;
  gsl_rng *r = gv_rng_alloc(5, "test", 0);
  const int d = 3, sizes[5] = {1, 7, 64, 3, 200};
  double *all = malloc(sizeof(double) * 275 * d);
  int total = 0;
  for (int b = 0; b < 5; ++b) total += sizes[b];
  for (int i = 0; i < total * d; ++i)
    all[i] = 5.0 * (i % d) + (1.0 + i % d) * gv_rng_normal(r) + 1e3 * (i % d == 2);
  const double c0s[2] = {0.0, 1e-4};
  for (int c = 0; c < 2; ++c) {
    const double c0 = c0s[c];
    gv_rms *rms;
    gv_err err;
    assert_int_equal(gv_rms_alloc(&rms, d, c0, &err), 0);
    int off = 0;
    for (int b = 0; b < 5; ++b) {
      gv_rms_update(rms, all + (size_t)off * d, sizes[b]);
      off += sizes[b];
    }
    /* numpy-style two passes over everything, with the prior as a point
     * mass at 0 of weight c0 and variance 1 */
    for (int j = 0; j < d; ++j) {
      double s = 0;
      for (int i = 0; i < total; ++i) s += all[i * d + j];
      const double mean = s / (total + c0);
      double q = c0 * (1.0 + mean * mean);
      for (int i = 0; i < total; ++i) q += (all[i * d + j] - mean) * (all[i * d + j] - mean);
      const double var = q / (total + c0);
      assert_true(fabs(rms->mean[j] - mean) <= 1e-12 * fmax(1.0, fabs(mean)));
      assert_true(fabs(rms->var[j] - var) <= 1e-10 * var);
    }
    assert_true(fabs(rms->count - (total + c0)) < 1e-12);
    /* normalisation: (x - mean) / sqrt(var + eps), clipped */
    float z[3];
    double x[3] = {rms->mean[0] + 3 * sqrt(rms->var[0]), rms->mean[1], 1e9};
    gv_rms_normalize(z, rms, x, 1, 1e-8, 10.0);
    assert_true(fabs(z[0] - 3.0) < 1e-5);
    assert_true(fabs(z[1]) < 1e-6);
    assert_true(z[2] == 10.0f);
    gv_rms_free(rms);
  }
  free(all);
  gsl_rng_free(r);
}

/* ------------------------------------------------- policy hash and file */

static void test_agents_policy_io(void **state) {
  (void)state;
  gv_err err;
  int hidden[2] = {8, 8};
  gv_nn_spec s;
  gv_nn_spec_mlp(&s, 4, 2, hidden, GV_NN_ACT_TANH, 1, GV_NN_ACT_LINEAR, &err);
  gv_policy *pi, *back = NULL;
  assert_int_equal(gv_policy_alloc(&pi, &s, "inverted_pendulum", -3, 3, 1e-4, &err), 0);
  gsl_rng *r = gv_rng_alloc(1, "test", 0);
  gv_nn_init_params(pi->actor, GV_NN_INIT_ORTHOGONAL, 1.4, 0.01, r, &err);
  pi->log_std[0] = -0.25f;
  double x[8] = {1, 2, 3, 4, 2, 2, 2, 2};
  gv_rms_update(pi->obs_rms, x, 2);
  /* FNV-1a 64 reference values (Fowler-Noll-Vo test vectors) */
  assert_true(gv_fnv1a64(GV_FNV1A64_INIT, "", 0) == 0xcbf29ce484222325ULL);
  assert_true(gv_fnv1a64(GV_FNV1A64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
  assert_true(gv_fnv1a64(GV_FNV1A64_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
  const uint64_t h = gv_policy_hash(pi);
  char path[] = "/tmp/gv-policy-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  assert_int_equal(gv_policy_save_file(path, pi, &err), 0);
  assert_int_equal(gv_policy_load_file(&back, path, "policy", &err), 0);
  assert_true(gv_policy_hash(back) == h);
  assert_string_equal(back->env, "inverted_pendulum");
  assert_true(back->act_low == -3 && back->act_high == 3);
  assert_true(back->obs_rms->count == pi->obs_rms->count);
  /* any change of behaviour changes the hash */
  back->obs_rms->mean[1] += 1e-9;
  assert_true(gv_policy_hash(back) != h);
  gv_policy_free(back);
  back = NULL;
  assert_int_equal(gv_policy_load_file(&back, path, "nothere", &err), GV_ENOTFOUND);
  unlink(path);
  gv_policy_free(pi);
  gsl_rng_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_agents_gae_hand),
      cmocka_unit_test(test_agents_loss_gradients),
      cmocka_unit_test(test_agents_surrogate_hand),
      cmocka_unit_test(test_agents_defaults),
      cmocka_unit_test(test_agents_init),
      cmocka_unit_test(test_agents_reward_scaling),
      cmocka_unit_test(test_agents_gauss),
      cmocka_unit_test(test_agents_rms),
      cmocka_unit_test(test_agents_policy_io),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
