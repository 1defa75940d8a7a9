/* The `dac` experiment: DAC (TD3 with absorbing states against GAIL's
 * discriminator, agents/dac.h) with controllers on the discriminator, so
 * that C-GAIL-DAC is a config (docs/dac.md).
 *
 *   game:  {kind: dac, env: hopper, demos: "", trajectories: 4, subsample: 20}
 *   disc:  as the gail experiment's; defaults reward logit, updates 1 (D
 *          steps per TD3 update), batch 256
 *   agent: {kind: td3, absorbing: true, ...}     (agents/td3.h)
 *   controllers: default [{kind: wgan_gp}] (lambda 10 on interpolates)
 *   run:   {steps: 1e6, envs: 1, threads: 1, eval_every: 1e4, eval_episodes,
 *           flush_every, distance_every}
 *
 * Run file: one point per td3.log_every env steps at step = env steps; the
 * series `updates` (TD3 gradient steps so far) and `disc_steps` give the
 * paper's x-axis, the rest are the gail experiment's D and return series
 * plus TD3's.  `governor analyze` is the gail experiment's, with the
 * gradient steps to 95% of the best return added. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/dac.h"
#include "agents/demo.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"
#include "experiments/gail_setup.h"

/* States per distance evaluation: the learner's most recent ones. */
#define DAC_DISTANCE_STATES 2000

/* DAC: TD3 and D steps in chunks of td3.log_every env steps per iteration. */
typedef struct dac_state {
  gail_base b;
  gv_dac *dac;
  float *states;            /* DAC_DISTANCE_STATES recent states */
  double t_env, t_upd, t_disc;
} dac_state;

static const char *const dac_series[] = {
    GAIL_SERIES, "critic1_loss", "critic2_loss", "actor_loss", "q1_mean", "target_mean",
    "updates", "disc_steps", "updates_per_second", "steps_per_second", NULL};
enum { C_C1 = G_FIRST, C_C2, C_AL, C_Q1, C_YM, C_UPD, C_DST, C_UPS, C_SPS };

static gv_status dac_setup(void *vg, gv_drive *d, gv_node *root, const char *file, int build,
                           gv_err *err) {
  dac_state *g = vg;
  gail_setup *s = &g->b.s;
  gv_status st = gv_gail_plan(&g->b, d, root, file, 1, build, err);
  if (st) return st;
  d->series = dac_series;
  d->steps = s->run.steps;
  if (!build) return GV_OK;
  if ((st = gv_dac_alloc(&g->dac, &s->td3, &s->gail, &g->b.demos, &s->ctl, g->b.task,
                         (int)s->run.envs, (int)s->run.threads, (uint64_t)s->common.seed, err)))
    return st;
  d->pi = gv_td3_policy(gv_dac_td3(g->dac));
  g->states = calloc((size_t)DAC_DISTANCE_STATES * g->b.task->type->obs_dim, sizeof *g->states);
  return g->states ? GV_OK : gv_fail(err, GV_ENOMEM, "dac: out of memory");
}

static gv_status dac_start(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  dac_state *g = vg;
  const gv_gail *gail = gv_dac_gail(g->dac);
  gv_gail_start_summary(&g->b, d);
  /* as the gail experiment's: the subsampled transitions; the absorbing rows apart */
  gv_run_summary_int(d->rf, "expert_transitions",
                     gv_gail_expert_rows(gail) - gv_gail_absorbing_rows(gail));
  gv_run_summary_int(d->rf, "expert_absorbing", gv_gail_absorbing_rows(gail));
  return GV_OK;
}

static gv_status dac_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  (void)until;
  dac_state *g = vg;
  gv_td3 *td3 = gv_dac_td3(g->dac);
  gv_td3_stats ts;
  gv_dac_stats ds;
  const double t0 = gv_now();
  const gv_status is = gv_dac_iterate(g->dac, &ts, &ds, err);
  const double dt = gv_now() - t0;
  const long step = d->step = gv_td3_steps(td3);
  g->t_env += ts.t_env;
  g->t_upd += ts.t_update;
  g->t_disc += ds.t_disc;
  if (is) return is;
  gv_runfile *rf = d->rf;
  const int *id = d->id;
  gv_gail_log_episodes(d, ts.episodes, ts.ep_return, ts.ep_length);
  if (gv_gail_distance_due(&g->b, d))
    gv_gail_log_distance(&g->b, d, gv_dac_gail(g->dac), g->states,
                         gv_dac_recent_states(g->dac, g->states, DAC_DISTANCE_STATES));
  if (ds.d_steps) {
    const double v[] = {ds.d_expert, ds.d_policy, ds.d_loss, ds.ctl_loss, ds.reward_mean};
    for (int i = 0; i < 5; ++i) gv_run_append(rf, id[G_DE + i], step, v[i]);
  }
  gv_run_append(rf, id[G_DLR], step, ds.lr);
  if (ts.updates) {
    gv_run_append(rf, id[C_C1], step, ts.q1_loss);
    gv_run_append(rf, id[C_C2], step, ts.q2_loss);
    gv_run_append(rf, id[C_Q1], step, ts.q1_mean);
    gv_run_append(rf, id[C_YM], step, ts.target_mean);
    if (ts.t_update > 0) gv_run_append(rf, id[C_UPS], step, ts.updates / ts.t_update);
  }
  if (ts.actor_updates) gv_run_append(rf, id[C_AL], step, ts.actor_loss);
  gv_run_append(rf, id[C_UPD], step, (double)gv_td3_updates(td3));
  gv_run_append(rf, id[C_DST], step, (double)gv_dac_disc_steps(g->dac));
  const long envs = g->b.s.run.envs, chunk = (g->b.s.td3.log_every + envs - 1) / envs * envs;
  gv_run_append(rf, id[C_SPS], step, (double)chunk / dt);
  return GV_OK;
}

static gv_status dac_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)status, (void)err;
  dac_state *g = vg;
  gv_runfile *rf = d->rf;
  const long upd = gv_td3_updates(gv_dac_td3(g->dac));
  gv_run_summary_int(rf, "steps_done", d->step);
  gv_run_summary_int(rf, "updates_done", upd);
  gv_run_summary_int(rf, "disc_steps", gv_dac_disc_steps(g->dac));
  gv_run_summary_real(rf, "wall_seconds", gv_now() - d->t_start);
  gv_run_summary_real(rf, "env_seconds", g->t_env);
  gv_run_summary_real(rf, "update_seconds", g->t_upd);
  gv_run_summary_real(rf, "disc_seconds", g->t_disc);
  gv_run_summary_real(rf, "distance_seconds", g->b.t_dist);
  /* one DAC update = D step(s) + TD3 update; evaluation excluded */
  gv_run_summary_real(rf, "updates_per_second", g->t_upd > 0 ? upd / g->t_upd : NAN);
  const double busy = g->t_env + g->t_upd;
  gv_run_summary_real(rf, "steps_per_second", d->step / (busy > 0 ? busy : 1));
  return GV_OK;
}

static void dac_teardown(void *vg) {
  dac_state *g = vg;
  free(g->states);
  gv_dac_free(g->dac);
  gv_gail_base_free(&g->b);
}

static const gv_exp_game dac_game_table = {
    "dac", sizeof(dac_state), dac_setup, dac_start, dac_iterate, dac_finish, dac_teardown, NULL,
    NULL};

GV_EXP_DRIVEN(dac_exp, dac_game_table)

const gv_experiment gv_exp_dac = {
    {"dac", "DAC on a MuJoCo task: TD3 with absorbing states against a controlled "
     "discriminator on (s, a)",
     "Kostrikov et al. 2019, arXiv 1809.02925; Luo et al. 2024 (C-GAIL), arXiv 2402.16349",
     NULL, 0},
    dac_exp_check,
    dac_exp_run,
    gv_gail_analyze,
    NULL,
    &gv_dac_game_component,
    gv_gail_table,
};
