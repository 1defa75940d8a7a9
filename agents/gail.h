/* GAIL: a discriminator on (s, a) trained against demonstrations, whose
 * output replaces the env's reward of a PPO learner (Ho & Ermon 2016, arXiv
 * 1606.03476, Algorithm 1; conventions in docs/gail.md).
 *
 * Discriminator: an MLP on the concatenation x = (s, a), normalised with the
 * demonstration statistics (mean, std floored at `std_floor`, the result
 * clipped to +-10), one output: the logit l, D = sigmoid(l) the probability
 * that x is the expert's.  Binary cross-entropy with the expert labelled 1,
 * both batches of equal size B:
 *   L_D = (1/B) sum_expert softplus(-l) + (1/B) sum_policy softplus(l)
 * Rewards of the policy (`reward`), as functions of the logit:
 *   softplus   -log(1 - D) = softplus(l)         (Ho & Ermon's MuJoCo choice; default)
 *   logit      log D - log(1 - D) = l            (pytorch-a2c-ppo-acktr-gail, DAC)
 *   log_d      log D = -softplus(-l)
 * Per PPO round (gv_ppo's reward hook): `updates` Adam steps of D on B
 * expert rows (uniform with replacement from the subsampled demonstrations)
 * and B policy rows (uniform with replacement from the rollout), then the
 * rollout's rewards from the updated D.  Adam lr 1e-3 halved every 1e5
 * gradient steps (C-GAIL's setting: Luo et al. 2024, arXiv 2402.16349).
 *
 * Controllers act at loss level through controllers/ctl.h, D's step being
 * gv_disc_step (controllers/disc.h), as in the MLP GANs: instance noise on every input D sees,
 * loss_outputs hooks on [expert | policy | history] logits (side DISC; real
 * = expert, fake = policy), input penalties by gv_nn_penalty on the expert
 * rows (R1), the policy rows (R2) or interpolates of the two (WGAN-GP), the
 * Adam step, then param_update hooks.  A controller with a generator-side
 * term has no hook here (the policy learns by PPO, not through D's logits).
 *
 * Demonstrations: the first `trajectories` episodes of the file; every k-th
 * transition (k = `subsample`) from an offset drawn uniformly in [0, k) per
 * trajectory (Ho & Ermon's subsampling).
 *
 * Streams (core/rng.h): "gail.subsample", "gail.init", "gail.batch",
 * "gail.noise", "gail.interp", "gail.hist", and each controller's own. */
#ifndef GV_AGENTS_GAIL_H
#define GV_AGENTS_GAIL_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "agents/demo.h"
#include "agents/ppo.h"
#include "controllers/ctl.h"
#include "controllers/disc.h"
#include "core/registry.h"
#include "nn/mlp.h"
#include "nn/optim.h"

typedef enum { GV_GAIL_REW_SOFTPLUS, GV_GAIL_REW_LOGIT, GV_GAIL_REW_LOGD } gv_gail_reward;

/* Demonstration and discriminator parameters (the experiment reads the
 * first two from `game:`, the rest from `disc:` with gv_gail_disc_table). */
typedef struct gv_gail_params {
  long trajectories;        /* demonstration episodes used (4) */
  long subsample;           /* keep every k-th transition (20) */
  long width, depth;        /* D's hidden layers: depth x width (2 x 100) */
  int act;                  /* gv_nn_act of the hidden layers (tanh) */
  double lr;                /* Adam learning rate (1e-3) */
  long halve_every;         /* halve lr every this many D steps (1e5; 0: never) */
  long updates;             /* D steps per PPO round */
  long batch;               /* expert rows and policy rows per D step (each) */
  int reward;               /* gv_gail_reward */
  double std_floor;         /* floor of the demonstration std used to normalise */
  int norm_inputs;          /* 1: standardise D's inputs (default); 0: raw (DAC's code) */
  double init_gain;         /* orthogonal gain of D's hidden layers (sqrt 2; DAC: 1) */
  int absorbing;            /* 1: DAC's absorbing states (set by the DAC runner, below) */
  double absorbing_action;  /* a_0 of the absorbing rows, every component (DAC: the
                               centre of the action range, as agents/td3.h stores) */
} gv_gail_params;

extern const gv_param gv_gail_disc_table[]; /* every field but trajectories, subsample */

/* Absorbing states (DAC, agents/td3.h): with p->absorbing the observations
 * given to gv_gail_inputs and gv_gail_rewards have one more column, the
 * absorbing indicator, which enters D unnormalised (its mean 0, std 1), so
 * in_dim = obs_dim + 1 + act_dim.  Each demonstration episode that ended by
 * termination adds the row (s_a, a_0) (zeros, indicator 1) to
 * the expert set (a_0 = p->absorbing_action in every component): kept whatever
 * the subsampling, and weighted 1/subsample
 * in the expert term of the loss (DAC's correction for keeping it), the
 * expert term being (1/B) sum_i w_i softplus(-l_i) with w = 1 elsewhere. */

/* ------------------------------------------------------------ pure parts */

/* Reward of a logit l under form (see above). */
double gv_gail_reward_of(int form, double l);

/* BCE with expert labelled 1 on logits le (ne) and lp (np), each batch's
 * term a mean; returns L_D and adds dL/dl into de, dp (either may be NULL). */
double gv_gail_bce(const float *le, float *de, size_t ne, const float *lp, float *dp, size_t np);

/* The same with expert weights we (ne; NULL: all 1): the expert term is
 * (1/ne) sum_i we_i softplus(-le_i). */
double gv_gail_bce_w(const float *le, const float *we, float *de, size_t ne, const float *lp,
                     float *dp, size_t np);

/* gv_gail_bce_w as the loss of gv_disc_step (controllers/disc.h): lr real
 * (expert) logits with weights wr, lf fake (policy) ones.  ctx: NULL, or
 * (inside gail.c) the sums of sigmoid(l) it adds to. */
double gv_gail_loss(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                    const float *lf, float *df, size_t nf);

/* Row indices of the subsampled transitions of the first ntraj episodes of
 * d (ntraj clipped to the file's), every k-th from a uniform offset in
 * [0, k) per episode drawn from r in episode order (an episode shorter than
 * its offset contributes none).  rows may be NULL (count only: then r is
 * still advanced, so call with a fresh stream).  Returns the count. */
long gv_gail_subsample(long *rows, const gv_demos *d, long ntraj, long k, gsl_rng *r);

/* Exact W1 distance of two 1-D empirical distributions, a (na) and b (nb),
 * both sorted ascending: the integral of |F_a - F_b|. */
double gv_w1_sorted(const double *a, size_t na, const double *b, size_t nb);

/* ------------------------------------------------------------- the agent */

typedef struct gv_gail gv_gail;

/* What one round (one PPO rollout) did to D. */
typedef struct gv_gail_stats {
  double d_loss;            /* mean BCE over the round's D steps */
  double ctl_loss;          /* mean controller terms (penalties included) */
  double d_expert;          /* mean D = sigmoid(l) on the expert rows of those steps */
  double d_policy;          /* ... on the policy rows */
  double reward_mean;       /* mean reward written into the rollout */
  double lr;                /* D's learning rate at the last step */
  long steps;               /* D steps so far */
} gv_gail_stats;

/* Builds D (initialised from "gail.init": orthogonal, gain sqrt(2) hidden, 1
 * on the output), its optimiser, the subsampled expert set and the
 * normalisation from demos d; ctl (borrowed, may be NULL) must have passed
 * gv_gail_check_controllers.  max_rows: the largest rollout. */
gv_status gv_gail_alloc(gv_gail **g, const gv_gail_params *p, const gv_demos *d,
                        gv_ctl_stack *ctl, uint64_t seed, int max_rows, gv_err *err);
void gv_gail_free(gv_gail *g);
/* Saves or restores (c->writing) D, its optimiser, the four streams, the
 * history rings, the step count and the last statistics; the expert set is
 * rebuilt from the demonstrations (core/checkpoint.h). */
struct gv_ckpt;
void gv_gail_ckpt(gv_gail *g, struct gv_ckpt *c);
void gv_gail_stats_ckpt(gv_gail_stats *s, struct gv_ckpt *c, const char *name);

/* gv_disc_check for game "gail": GV_ENOHOOK naming controller and game when
 * a controller has no loss- or parameter-level hook, or acts on the
 * generator's loss (the policy learns from D's reward). */
gv_status gv_gail_check_controllers(gv_ctl_stack *ctl, gv_err *err);
/* The same, naming `game` (gail, dac) in its messages. */
gv_status gv_gail_check_controllers_for(gv_ctl_stack *ctl, const char *game, gv_err *err);

/* Normalised D inputs of n raw (obs, act) rows into x (n x in_dim). */
void gv_gail_inputs(const gv_gail *g, float *x, const float *obs, const float *act, int n);

/* One D step on the policy inputs xp (np rows, normalised; B rows drawn
 * from them); adds its losses into st (d_loss, ctl_loss, d_expert,
 * d_policy as sums).  GV_EDIVERGED on a non-finite loss or gradient. */
gv_status gv_gail_disc_step(gv_gail *g, const float *xp, int np, gv_gail_stats *st);

/* One D step on exactly the np policy rows xp (normalised; DAC's batch
 * drawn from its replay buffer), else as gv_gail_disc_step; np must equal
 * p->batch (GV_EINVAL otherwise). */
gv_status gv_gail_disc_step_rows(gv_gail *g, const float *xp, int np, gv_gail_stats *st);

/* Rewards of n raw rows into rew. */
gv_status gv_gail_rewards(gv_gail *g, double *rew, const float *obs, const float *act, int n);

/* The PPO reward hook (ctx = the gv_gail): `updates` D steps on the rollout,
 * then its rewards. */
gv_status gv_gail_reward_hook(void *ctx, gv_ppo_rollout_view *v, gv_err *err);

/* Stats of the last round. */
const gv_gail_stats *gv_gail_last(const gv_gail *g);
long gv_gail_steps(const gv_gail *g);                 /* D steps so far (any route) */

/* Sizes and parts, for tests and the experiment. */
int gv_gail_in_dim(const gv_gail *g);
long gv_gail_expert_rows(const gv_gail *g);
long gv_gail_absorbing_rows(const gv_gail *g);        /* expert rows at s_a (absorbing only) */
const float *gv_gail_expert_weights(const gv_gail *g); /* (rows); NULL when all 1 */
const float *gv_gail_expert_inputs(const gv_gail *g); /* (rows x in_dim), normalised */
gv_nn *gv_gail_disc(gv_gail *g);
gv_nn_optim *gv_gail_optim(gv_gail *g);
const float *gv_gail_mean(const gv_gail *g);          /* (in_dim) */
const float *gv_gail_std(const gv_gail *g);           /* (in_dim), floored */

/* State-distribution distances between learner states (n raw rows) and the
 * demonstration states (every state of the trajectories used), both
 * standardised with the demonstration state mean and std: *w_dim the exact
 * W1 per dimension averaged over dimensions, *w_sliced the mean W1 over
 * GV_GAIL_PROJECTIONS fixed unit directions (Gaussian directions
 * normalised, from stream "gail.proj" of seed 0: the same for every run). */
#define GV_GAIL_PROJECTIONS 32
void gv_gail_state_distance(gv_gail *g, const float *obs, int n, double *w_dim,
                            double *w_sliced);

#endif
