/* Discriminator-actor-critic, DAC (Kostrikov, Agrawal, Dwibedi, Levine &
 * Tompson 2019, arXiv 1809.02925; settings in docs/dac.md): GAIL's
 * discriminator (agents/gail.h) giving the rewards of a TD3 learner
 * (agents/td3.h) that replays its whole past, with absorbing states.
 *
 * Per gradient update (one per env step by default, TD3's updates_per_step):
 *   1. `disc.updates` D steps, each on B expert rows (the subsampled
 *      demonstrations, absorbing rows kept and weighted 1/subsample) and B
 *      policy rows drawn uniformly from the replay buffer (stream "dac.batch");
 *   2. one TD3 update whose batch rewards are D's reward (default the logit
 *      log D - log(1 - D)) of the batch's (s, a) rows, computed with D as it
 *      is after step 1; the env's reward is stored but never learnt from.
 * Absorbing states are on (td3.absorbing and gail.absorbing are forced):
 * the buffer holds (s_a, a_0) rows, and D scores them like any other row,
 * so the reward of being absorbed is learnt rather than fixed to 0.  The
 * controllers (cgail, bmc, clc, r1, wgan_gp, ...) act on D's step exactly as
 * in GAIL on PPO; DAC's gradient penalty 10 on interpolates is the wgan_gp
 * controller (the runner's default controller list).
 *
 * Streams: TD3's ("td3_*"), GAIL's ("gail.*"), and "dac.batch". */
#ifndef GV_AGENTS_DAC_H
#define GV_AGENTS_DAC_H

#include <stdint.h>

#include "agents/demo.h"
#include "agents/gail.h"
#include "agents/td3.h"

typedef struct gv_dac gv_dac;

/* What one gv_dac_iterate did to D: means over its D steps (NAN: none). */
typedef struct gv_dac_stats {
  double d_loss, ctl_loss, d_expert, d_policy; /* as gv_gail_stats */
  double reward_mean;       /* mean learnt reward of the TD3 batches */
  double lr;                /* D's learning rate now */
  long d_steps;             /* D steps in the chunk */
  double t_disc;            /* seconds in D steps and reward passes (inside t_update) */
} gv_dac_stats;

/* Builds TD3 (tp, absorbing forced on) on K copies of task and D (gp,
 * absorbing forced on, gp->batch rows each side) from demos d; ctl is
 * borrowed and must have passed gv_gail_check_controllers. */
gv_status gv_dac_alloc(gv_dac **dac, const gv_td3_params *tp, const gv_gail_params *gp,
                       const gv_demos *d, gv_ctl_stack *ctl, const gv_env_task *task,
                       int n_envs, int n_threads, uint64_t seed, gv_err *err);
void gv_dac_free(gv_dac *dac);
/* Saves or restores (c->writing) D (gv_gail_ckpt), the batch stream and the
 * chunk's sums; the TD3 agent is the caller's (core/checkpoint.h). */
struct gv_ckpt;
void gv_dac_ckpt(gv_dac *dac, struct gv_ckpt *c);
/* The same D around a TD3 the caller built (tp: its parameters, absorbing
 * on) and keeps: a learner (agents/learner.h) whose rewards come from D.
 * gv_dac_free leaves td3 alone. */
gv_status gv_dac_attach(gv_dac **dac, gv_td3 *td3, const gv_td3_params *tp,
                        const gv_gail_params *gp, const gv_demos *d, gv_ctl_stack *ctl,
                        const gv_env_task *task, uint64_t seed, gv_err *err);

/* One TD3 chunk (td3.log_every env steps) with its D steps. */
gv_status gv_dac_iterate(gv_dac *dac, gv_td3_stats *ts, gv_dac_stats *ds, gv_err *err);

/* gv_dac_iterate in parts, around a gv_td3_iterate of the attached TD3:
 * begin zeroes D's statistics, end reports them. */
void gv_dac_begin(gv_dac *dac);
void gv_dac_end(gv_dac *dac, gv_dac_stats *ds);

/* One DAC update as gv_td3_update makes it (D steps included): benchmarks. */
gv_status gv_dac_update(gv_dac *dac, gv_err *err);

/* The last n (at most) env states the learner visited, absorbing rows
 * skipped, as raw floats (n x obs_dim) into obs; returns the count. */
int gv_dac_recent_states(gv_dac *dac, float *obs, int n);

gv_td3 *gv_dac_td3(gv_dac *dac);
gv_gail *gv_dac_gail(gv_dac *dac);
long gv_dac_disc_steps(const gv_dac *dac);

#endif
