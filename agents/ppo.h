/* Proximal policy optimisation with a Gaussian policy (Schulman et al. 2017,
 * arXiv 1707.06347, eq. 7 for the clipped surrogate; GAE from Schulman et al.
 * 2016, arXiv 1506.02438, eq. 16), with the defaults and the details of
 * CleanRL's ppo_continuous_action (listed in docs/ppo.md): separate 64-64
 * tanh actor and critic, orthogonal init, state-independent log-std, 2048
 * steps per rollout, 32 minibatches, 10 epochs, Adam 3e-4 eps 1e-5 annealed
 * linearly, clip 0.2 on the ratio and on the value, per-minibatch advantage
 * normalisation, one global gradient-norm clip of 0.5 over every parameter,
 * running observation normalisation and reward scaling by the std of the
 * discounted return.
 *
 * One deliberate difference from CleanRL: a time-limit truncation bootstraps
 * from V(final observation) (the observation the episode ended on, kept by
 * the vector env), where CleanRL treats it as a termination (docs/ppo.md).
 *
 * Layering: gv_ppo_gae, gv_ppo_actor_loss and gv_ppo_critic_loss are pure
 * functions on arrays (tested against hand computation and finite
 * differences); gv_ppo owns the nets, the vector env, the buffers and the
 * threads, and gv_ppo_iterate runs one rollout + update.
 *
 * Random streams (core/rng.h), all from the run's seed: "ppo_init" (weights),
 * "ppo_action" (exploration noise, drawn on the calling thread in copy
 * order), "ppo_minibatch" (shuffles), and the vector env's "env"/k.  A run is
 * therefore a function of its config and seed, for any number of threads. */
#ifndef GV_AGENTS_PPO_H
#define GV_AGENTS_PPO_H

#include <stdint.h>

#include "agents/policy.h"
#include "core/registry.h"
#include "envs/vec.h"
#include "nn/mlp.h"
#include "nn/optim.h"

/* The `agent: {kind: ppo, ...}` parameters (defaults: CleanRL). */
typedef struct gv_ppo_params {
  long rollout;             /* env steps per update, over all K copies (2048) */
  long minibatches;         /* minibatches per epoch (32) */
  long epochs;              /* passes over each rollout (10) */
  double lr;                /* Adam learning rate (3e-4) */
  double adam_eps;          /* Adam eps (1e-5) */
  int anneal_lr;            /* 1: lr (1 - (u - 1) / U) at update u of U */
  double gamma;             /* discount (0.99) */
  double gae_lambda;        /* GAE lambda (0.95) */
  double clip;              /* ratio clip, and value clip (0.2) */
  int clip_vloss;           /* 1: clipped value loss */
  int norm_adv;             /* 1: normalise advantages per minibatch */
  double ent_coef;          /* entropy bonus (0) */
  double vf_coef;           /* value loss weight (0.5) */
  double max_grad_norm;     /* global gradient-norm clip (0.5; 0: none) */
  double target_kl;         /* > 0: stop the epochs when approx KL exceeds it */
  long hidden;              /* width of the hidden layers (64) */
  long depth;               /* hidden layers (2) */
  double log_std_init;      /* initial log-std (0) */
  int norm_obs;             /* 1: running observation normalisation */
  double clip_obs;          /* clip of normalised observations (10) */
  int norm_reward;          /* 1: scale rewards by the std of the discounted return */
  double clip_reward;       /* clip of scaled rewards (10) */
  int bootstrap_truncation; /* 1: time-limit ends bootstrap from V(final obs) */
  long update_threads;      /* 1 or 2: critic gradient on a second thread */
} gv_ppo_params;

extern const gv_param gv_ppo_param_table[];
extern const gv_component gv_agent_ppo;   /* for the agent registry */

/* ---------------------------------------------------------- pure parts */

/* Reward scaling (Gymnasium's NormalizeReward) over a rollout of T steps of
 * K copies, time-major: with `on`, each step first folds raw into the
 * discounted returns disc_ret[k] = gamma disc_ret[k] + raw and merges them
 * into ret_rms, then rew = clip(raw / sqrt(var + 1e-8), +-clip); a row that
 * ended its episode restarts its copy's return at 0.  Without `on`, rew =
 * raw. */
void gv_ppo_scale_rewards(float *rew, const double *raw, const uint8_t *ended, int T, int K,
                          double *disc_ret, gv_rms *ret_rms, double gamma, double clip, int on);

/* GAE over a rollout of T steps of K copies, time-major (index t * K + k).
 *   term[i]   the step ended the episode by termination: no bootstrap;
 *   trunc[i]  it ended by the time limit (and not terminated): the target
 *             bootstraps from boot[i] = V(final observation);
 *   otherwise the next value is val[i + K], or last_val[k] after the last step.
 * Either end cuts the lambda chain (the next row belongs to a new episode).
 *   delta_t = r_t + gamma V_next - V_t,  A_t = delta_t + gamma lambda c_t A_{t+1}
 * Accumulated in float (as CleanRL's float32 tensors do); ret = adv + val. */
void gv_ppo_gae(float *adv, float *ret, const float *rew, const float *val,
                const uint8_t *term, const uint8_t *trunc, const float *boot,
                const float *last_val, int T, int K, double gamma, double lambda);

/* A minibatch as the losses see it (n rows). */
typedef struct gv_ppo_batch {
  int n;                    /* rows */
  const float *obs;         /* normalised observations (n x obs_dim) */
  const float *act;         /* actions taken, unclipped (n x act_dim) */
  const float *logp;        /* log-prob of act under the rollout's policy (n) */
  const float *adv;         /* advantages (n) */
  const float *ret;         /* value targets, adv + old value (n) */
  const float *val;         /* values at rollout time (n) */
} gv_ppo_batch;

typedef struct gv_ppo_actor_out {
  double pg_loss;           /* clipped surrogate loss (to minimise) */
  double entropy;           /* mean entropy */
  double approx_kl;         /* mean (r - 1) - log r (Schulman's k3 estimator) */
  double clip_frac;         /* fraction with |r - 1| > clip */
} gv_ppo_actor_out;

/* Actor loss pg_loss - ent_coef * entropy on a minibatch: forward through
 * the actor (ws holds n rows), and accumulation of its gradient into
 * dactor (actor->nparam, usually actor->grad) and dlog_std (act_dim).
 * scratch: at least n * (2 + act_dim) floats. */
void gv_ppo_actor_loss(gv_ppo_actor_out *out, float *dactor, float *dlog_std,
                       const gv_nn *actor, const float *log_std, gv_nn_ws *ws,
                       const gv_ppo_batch *b, double clip, int norm_adv, double ent_coef,
                       float *scratch);

/* Critic loss vf_coef * 0.5 * mean(max((v - R)^2, (v_old + clip(v - v_old, -c, c) - R)^2))
 * (plain 0.5 * mean((v - R)^2) without clip_vloss); returns the value loss
 * without vf_coef, accumulates the gradient of the weighted loss into
 * dcritic.  scratch: at least n floats. */
double gv_ppo_critic_loss(float *dcritic, const gv_nn *critic, gv_nn_ws *ws,
                          const gv_ppo_batch *b, double clip, int clip_vloss, double vf_coef,
                          float *scratch);

/* ------------------------------------------------------------ the agent */

typedef struct gv_ppo gv_ppo;

/* What one update reports (means over every minibatch of every epoch run). */
typedef struct gv_ppo_stats {
  double pg_loss, v_loss, entropy, approx_kl, clip_frac;
  double explained_var;     /* 1 - Var(R - V) / Var(R) over the rollout */
  double lr;                /* learning rate used */
  double grad_norm;         /* mean global gradient norm before clipping */
  long epochs_run;          /* < epochs when target_kl stopped early */
  long episodes;            /* episodes finished during the rollout */
  double ep_return;         /* their mean (raw reward), NAN when none */
  double ep_length;         /* their mean length, NAN when none */
  double t_rollout, t_update; /* seconds spent */
} gv_ppo_stats;

/* Builds the agent on K copies of task over T threads for `updates` updates
 * (the LR annealing horizon).  Needs rollout % K == 0 and rollout %
 * minibatches == 0 (GV_EINVAL with a message otherwise). */
gv_status gv_ppo_alloc(gv_ppo **ppo, const gv_ppo_params *p, const gv_env_task *task,
                       int n_envs, int n_threads, uint64_t seed, long updates, gv_err *err);
void gv_ppo_free(gv_ppo *ppo);

/* One rollout and one update.  GV_EDIVERGED when a loss, a gradient norm or
 * a parameter went non-finite (the policy is then left as it was before the
 * offending step where possible); GV_EINVAL on an env error. */
gv_status gv_ppo_iterate(gv_ppo *ppo, gv_ppo_stats *stats, gv_err *err);

/* A rollout as a reward hook sees it: n = rollout rows, time-major (row
 * t * K + k), in the order the steps were taken. */
typedef struct gv_ppo_rollout_view {
  int n;                    /* rows */
  int obs_dim, act_dim;     /* sizes */
  const float *obs;         /* raw observation s_t, before any normalisation (n x obs_dim) */
  const float *act;         /* action a_t sent to the env (clipped to its bounds) (n x act_dim) */
  const uint8_t *ended;     /* 1: s_t's step ended the episode (terminated or truncated) (n) */
  double *rew;              /* the env's rewards on entry; the hook may overwrite them (n) */
} gv_ppo_rollout_view;

/* Called once per update after the rollout and before reward scaling, GAE
 * and the update (GAIL: train the discriminator on the rollout, then write
 * its rewards).  A non-OK status ends gv_ppo_iterate with it. */
typedef gv_status (*gv_ppo_reward_hook)(void *ctx, gv_ppo_rollout_view *v, gv_err *err);

/* Installs (hook != NULL) or removes the reward hook.  Without one, PPO
 * learns from the env's rewards (the default). */
void gv_ppo_set_reward_hook(gv_ppo *ppo, gv_ppo_reward_hook hook, void *ctx);

/* The last rollout's raw observations s_t (rollout x obs_dim, time-major). */
const float *gv_ppo_rollout_obs(const gv_ppo *ppo);

/* The current policy (actor, log-std, observation statistics): owned by the
 * agent, valid until gv_ppo_free. */
gv_policy *gv_ppo_policy(gv_ppo *ppo);
/* The critic, for tests. */
gv_nn *gv_ppo_critic(gv_ppo *ppo);
/* Env steps taken so far. */
/* Saves or restores (c->writing), between iterations, everything the next
 * iteration depends on: the update count (the learning-rate annealing's
 * position), policy, critic, the three Adam states, the return statistics
 * and running discounted returns, the two streams, the epoch order, the
 * rollout buffers and every env copy (core/checkpoint.h). */
struct gv_ckpt;
void gv_ppo_ckpt(gv_ppo *o, struct gv_ckpt *c);
long gv_ppo_steps(const gv_ppo *ppo);

#endif
