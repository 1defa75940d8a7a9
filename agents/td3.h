/* Twin delayed deep deterministic policy gradient, TD3 (Fujimoto, van Hoof &
 * Meger 2018, arXiv 1802.09477, Algorithm 1), with the defaults of the
 * authors' reference code and CleanRL's td3_continuous_action (listed in
 * docs/td3.md): a 256-256 ReLU deterministic actor with a tanh head scaled to
 * the action bounds, twin 256-256 ReLU critics Q(s, a) on the concatenated
 * input, Adam 3e-4, gamma 0.99, Polyak targets with tau 0.005, target policy
 * smoothing noise 0.2 clipped at 0.5 (both in units of the half action
 * range), the actor and the three targets updated every 2nd critic update,
 * Gaussian exploration noise N(0, (0.1 half-range)^2), uniform random actions
 * for the first `learning_starts` env steps, batch 256 from a 1M replay ring.
 *
 * Critic target (eq. 15 with clipped double Q, eq. 10, and smoothing):
 *   a'  = clip(mu'(s') + clip(sigma eps, -c, c) h, lo, hi),  eps ~ N(0, 1)
 *   y   = r + gamma (1 - done) min(Q1'(s', a'), Q2'(s', a'))
 * with h = (hi - lo)/2 and done = 1 only for a termination: a time-limit end
 * bootstraps (agents/replay.h).  Critic loss: mean (Q1 - y)^2 + mean (Q2 - y)^2
 * (two MSEs, as both references).  Actor loss: -mean Q1(s, mu(s)).
 *
 * Layering: gv_td3_smooth_action and gv_td3_target are pure (tested against
 * hand computation); gv_td3 owns the nets, the replay buffer, the vector env
 * and the streams; gv_td3_update is one gradient step from the buffer and
 * gv_td3_iterate a chunk of env steps with their updates.
 *
 * Random streams (core/rng.h): "td3_init" (weights), "td3_explore" (random
 * actions and exploration noise, drawn in copy order), "td3_replay" (batch
 * indices), "td3_target" (target smoothing noise), and the vector env's
 * "env"/k.  A run is a function of its config and seed for any thread count. */
#ifndef GV_AGENTS_TD3_H
#define GV_AGENTS_TD3_H

#include <stdint.h>

#include "agents/policy.h"
#include "agents/replay.h"
#include "core/registry.h"
#include "envs/vec.h"
#include "nn/mlp.h"
#include "nn/optim.h"

/* The `agent: {kind: td3, ...}` parameters (defaults: Fujimoto / CleanRL). */
typedef struct gv_td3_params {
  long hidden;              /* width of the hidden layers (256) */
  long depth;               /* hidden layers (2) */
  double actor_lr;          /* Adam learning rate of the actor (3e-4) */
  double critic_lr;         /* Adam learning rate of both critics (3e-4) */
  double adam_eps;          /* Adam eps (1e-8, PyTorch's default) */
  double gamma;             /* discount (0.99) */
  double tau;               /* Polyak rate of the targets (0.005) */
  double policy_noise;      /* target smoothing noise std, x half-range (0.2) */
  double noise_clip;        /* its clip, x half-range (0.5) */
  long policy_delay;        /* actor + target update every this many critic updates (2) */
  double expl_noise;        /* exploration noise std, x half-range (0.1) */
  long learning_starts;     /* env steps of uniform random actions, no updates (10000) */
  long batch;               /* minibatch (256) */
  long buffer;              /* replay capacity in transitions (1000000) */
  double updates_per_step;  /* gradient updates per env step (1) */
  int norm_obs;             /* 1: normalise observations (running stats, frozen per update) */
  double clip_obs;          /* clip of normalised observations (10) */
  long log_every;           /* env steps per gv_td3_iterate (one run-file point) (1000) */
  int absorbing;            /* 1: DAC's absorbing states (below) */
  /* DAC's reference settings (Kostrikov et al.'s code; docs/dac.md); the
   * defaults leave TD3 as above */
  long hidden2;             /* width of the second hidden layer (0: hidden) */
  int init;                 /* gv_td3_init: torch (default) or orthogonal */
  long actor_lr_halve_every; /* halve the actor's lr every this many env steps (0: never) */
  long actor_delay;         /* critic updates before the first actor update (0) */
  double actor_clip_norm;   /* clip of the actor's global gradient norm (0: none) */
  int schedule;             /* gv_td3_schedule: step (default) or episode */
  long random_steps;        /* uniform random actions while the buffer holds fewer rows
                               (-1: learning_starts env steps, the default) */
} gv_td3_params;

/* Initialisers: PyTorch's nn.Linear default (CleanRL), or orthogonal with
 * gain 1, 0.01 on the actor's head and 1 on the critics', biases 0 (DAC). */
typedef enum { GV_TD3_INIT_TORCH, GV_TD3_INIT_ORTHOGONAL } gv_td3_init;

/* When updates happen.  step: after each env step past learning_starts,
 * updates_per_step of them (Fujimoto's and CleanRL's loop).  episode (one
 * env copy only): when an episode ends and the buffer holds at least
 * learning_starts rows, the hook pre_block runs once for the episode's T
 * steps, then T x updates_per_step updates follow (DAC's training worker:
 * the discriminator's T steps, then TD3's); actions are uniform random
 * while the buffer holds fewer than random_steps rows or, for a whole
 * episode, while the actor has never been updated; the actor's lr halving
 * is read at the start of each episode. */
typedef enum { GV_TD3_SCHEDULE_STEP, GV_TD3_SCHEDULE_EPISODE } gv_td3_schedule;

extern const gv_param gv_td3_param_table[];
extern const gv_component gv_agent_td3;   /* for the agent registry */

/* Absorbing states (Kostrikov et al. 2019, DAC, arXiv 1809.02925, sec. 4.2;
 * docs/td3.md), with `absorbing: true`: the buffer and the critics see every
 * observation with one more column, the absorbing indicator (0 on the env's
 * states).  An episode that terminates points its last transition at the
 * absorbing state s_a (zeros, indicator 1) and adds (s_a, a_0) -> s_a with
 * reward 0, a_0 the centre of the action range (0 on every shipped task);
 * a time-limit end points at the observation it ended on, as always.  No
 * transition is "done": the target bootstraps through s_a with gamma, and
 * the target action at s_a is a_0 without smoothing noise, so Q(s_a, a_0)
 * is the fixed point r_a / (1 - gamma) of the absorbing reward r_a (0 under
 * the env's reward: then the target equals the terminal one in the limit;
 * DAC's discriminator reward makes r_a learnt).  The actor never acts at
 * s_a: it sees the env's observation only, and absorbing rows carry no
 * weight in its loss (the mean is over the batch's other rows; a batch of
 * absorbing rows only skips the delayed actor and target step). */

/* ---------------------------------------------------------- pure parts */

/* Target action (n x A, row-major) from the target actor's tanh outputs
 * out (n x A) and standard normal draws eps (n x A):
 *   a' = clip(mid + h out + clip(sigma eps, -c, c) h, lo, hi),
 * mid = (lo + hi)/2, h = (hi - lo)/2. */
void gv_td3_smooth_action(float *a, const float *out, const float *eps, int n, int A, double lo,
                          double hi, double sigma, double c);

/* Sets the target action of each row whose next state is absorbing
 * (abs[i] != 0) to the centre of [lo, hi], without noise. */
void gv_td3_absorbing_action(float *a, const float *abs, int n, int A, double lo, double hi);

/* Critic targets y_i = r_i + gamma (1 - done_i) min(q1_i, q2_i), i < n. */
void gv_td3_target(float *y, const float *rew, const float *done, const float *q1,
                   const float *q2, int n, double gamma);

/* ------------------------------------------------------------ the agent */

typedef struct gv_td3 gv_td3;

/* What one gv_td3_update did. */
typedef struct gv_td3_update_out {
  double q1_loss, q2_loss;  /* mean (Q - y)^2 of each critic, before its step */
  double q1_mean, q2_mean;  /* mean Q on the batch (before the step) */
  double target_mean;       /* mean y */
  int actor_updated;        /* 1 when this update also moved the actor and the targets */
  double actor_loss;        /* -mean Q1(s, mu(s)) (valid when actor_updated) */
} gv_td3_update_out;

/* What one gv_td3_iterate reports (means over its updates; NAN when none). */
typedef struct gv_td3_stats {
  double q1_loss, q2_loss, q1_mean, q2_mean, target_mean, actor_loss;
  long updates;             /* critic updates in the chunk */
  long actor_updates;       /* actor updates in the chunk */
  long episodes;            /* episodes that ended in the chunk */
  double ep_return;         /* their mean (raw reward), NAN when none */
  double ep_length;         /* their mean length, NAN when none */
  double t_env, t_update;   /* seconds spent stepping (acting included) and updating */
} gv_td3_stats;

/* The nets, for tests and benchmarks (owned by the agent). */
typedef struct gv_td3_nets {
  gv_nn *actor, *actor_target;     /* obs -> hidden -> act, tanh head */
  gv_nn *q1, *q2, *q1_target, *q2_target; /* obs + act -> hidden -> 1 */
} gv_td3_nets;

/* Hooks of a learner built on TD3 (DAC, agents/dac.h); NULL members are
 * skipped.  Both run inside gv_td3_update, in this order. */
typedef struct gv_td3_hooks {
  void *ctx;
  /* before the batch is drawn (DAC: a discriminator step) */
  gv_status (*pre_update)(void *ctx, gv_td3 *td3, gv_err *err);
  /* replaces the batch's rewards rew (n) from its raw rows: obs (n x
   * (obs_dim + absorbing)) and act (n x act_dim) */
  gv_status (*reward)(void *ctx, float *rew, const float *obs, const float *act, int n,
                      gv_err *err);
  /* schedule episode: once before the block of updates that follows an
   * episode of n env steps (DAC: n discriminator steps); pre_update is then
   * not called */
  gv_status (*pre_block)(void *ctx, gv_td3 *td3, long n, gv_err *err);
} gv_td3_hooks;

/* Builds the agent on K copies of task over T threads (K = n_envs). */
gv_status gv_td3_alloc(gv_td3 **td3, const gv_td3_params *p, const gv_env_task *task, int n_envs,
                       int n_threads, uint64_t seed, gv_err *err);
void gv_td3_free(gv_td3 *td3);

/* p->log_every env steps (rounded up to whole vector steps) with the
 * updates that fall in them.  GV_EDIVERGED when a loss, a gradient or a
 * parameter went non-finite; GV_EINVAL on an env error. */
gv_status gv_td3_iterate(gv_td3 *td3, gv_td3_stats *stats, gv_err *err);

/* One gradient update from the replay buffer (needs a non-empty buffer):
 * both critics, and every policy_delay-th call the actor and the three
 * targets.  GV_EDIVERGED on a non-finite loss or gradient (parameters of the
 * offending net left as they were). */
gv_status gv_td3_update(gv_td3 *td3, gv_td3_update_out *out, gv_err *err);

void gv_td3_set_hooks(gv_td3 *td3, const gv_td3_hooks *h); /* h is copied; NULL: none */

gv_policy *gv_td3_policy(gv_td3 *td3);   /* the actor as a DETERMINISTIC policy */
gv_td3_nets gv_td3_get_nets(gv_td3 *td3);
gv_replay *gv_td3_replay(gv_td3 *td3);
long gv_td3_steps(const gv_td3 *td3);    /* env steps taken */
/* Saves or restores (c->writing), between iterations, everything the next
 * one depends on: actor, critics and their targets, the three Adam states,
 * the replay buffer, the three streams, the counters (steps, updates, the
 * fractional update credit, actor updates, the random-episode schedule),
 * the current and previous observations and every env copy
 * (core/checkpoint.h). */
struct gv_ckpt;
void gv_td3_ckpt(gv_td3 *td3, struct gv_ckpt *c);
long gv_td3_updates(const gv_td3 *td3);  /* critic updates done */
double gv_td3_actor_lr(const gv_td3 *td3); /* the actor's learning rate now */

#endif
