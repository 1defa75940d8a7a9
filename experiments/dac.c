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
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/dac.h"
#include "agents/demo.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "experiments/gail_setup.h"

static gv_status dac_check(gv_node *root, const char *file, gv_err *err) {
  gail_setup s;
  gv_status st = gv_gail_setup(&s, root, file, 1, err);
  if (!st) gv_ctl_stack_free(&s.ctl);
  return st;
}

/* States per distance evaluation: the learner's most recent ones. */
#define DAC_DISTANCE_STATES 2000

static gv_status dac_run_tree(gv_node *root, const char *file, const char *path, int progress,
                              gv_err *err) {
  gail_setup s;
  gv_status st = gv_gail_setup(&s, root, file, 1, err);
  if (st) return st;
  openblas_set_num_threads(1);
  const uint64_t seed = (uint64_t)s.common.seed;
  gv_env_task *task = NULL;
  gv_dac *dac = NULL;
  gv_policy *best = NULL;
  gv_runfile *rf = NULL;
  gv_exp_evals ev = {0};
  float *states = NULL;
  gv_demos demos;
  memset(&demos, 0, sizeof demos);
  const double r_exp = s.expert_return, r_rand = s.random_return;
  if ((st = gv_demos_load(&demos, s.demos, err))) goto out;
  if ((st = gv_env_task_alloc(&task, s.env->name, NULL, err))) goto out;
  if (demos.obs_dim != task->type->obs_dim || demos.act_dim != task->type->act_dim) {
    st = gv_fail(err, GV_ECONFIG, "%s: demonstrations of sizes %d + %d, env %s has %d + %d",
                 s.demos, demos.obs_dim, demos.act_dim, s.env->name, task->type->obs_dim,
                 task->type->act_dim);
    goto out;
  }
  if ((st = gv_dac_alloc(&dac, &s.td3, &s.gail, &demos, &s.ctl, task, (int)s.run.envs,
                         (int)s.run.threads, seed, err)))
    goto out;
  gv_td3 *td3 = gv_dac_td3(dac);
  gv_gail *gail = gv_dac_gail(dac);
  gv_policy *pi = gv_td3_policy(td3);
  if ((st = gv_policy_alloc(&best, &pi->actor->spec, pi->env, pi->act_low, pi->act_high, 0, err)))
    goto out;
  best->kind = pi->kind;
  states = calloc((size_t)DAC_DISTANCE_STATES * task->type->obs_dim, sizeof *states);
  if (!states) {
    st = gv_fail(err, GV_ENOMEM, "dac: out of memory");
    goto out;
  }
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {"dac", s.common.name, yaml, seed, s.run.flush_every};
  st = gv_run_create(&rf, path, &info, err);
  free(yaml);
  if (st) goto out;
  gv_run_summary_str(rf, "env", s.env->name);
  gv_run_summary_str(rf, "demos", s.demos);
  gv_run_summary_real(rf, "expert_return", r_exp);
  gv_run_summary_real(rf, "random_return", r_rand);
  /* as the gail experiment's: the subsampled transitions; the absorbing rows apart */
  gv_run_summary_int(rf, "expert_transitions",
                     gv_gail_expert_rows(gail) - gv_gail_absorbing_rows(gail));
  gv_run_summary_int(rf, "expert_absorbing", gv_gail_absorbing_rows(gail));

  const double span = r_exp - r_rand;
  static const char *const names[] = {
      "train_return", "normalised_return", "train_length", "episodes", "wd_states",
      "swd_states", "d_expert", "d_policy", "d_loss", "ctl_loss", "reward_mean", "d_lr",
      "critic1_loss", "critic2_loss", "actor_loss", "q1_mean", "target_mean", "updates",
      "disc_steps", "updates_per_second", "steps_per_second"};
  enum { TR, NR, TL, EPS, WD, SWD, DE, DP, DL, CL, RM, DLR, C1, C2, AL, Q1, YM, UPD, DST, UPS,
         SPS, NSER };
  int id[NSER];
  for (int i = 0; i < NSER; ++i) id[i] = gv_run_series(rf, names[i]);
  if ((st = gv_exp_evals_init(&ev, rf, s.run.eval_every, s.run.eval_episodes,
                              (int)s.run.threads, seed, r_rand, span, err)))
    goto out;

  gv_exp_signals_catch();
  gv_progress pr;
  gv_progress_init(&pr, s.common.name, "steps", s.run.steps);
  pr.enabled &= progress;
  const char *status = "completed";
  double shown = NAN;
  double t_start = gv_now(), t_env = 0, t_upd = 0, t_disc = 0, t_dist = 0;
  const long chunk = (s.td3.log_every + s.run.envs - 1) / s.run.envs * s.run.envs;
  for (long u = 0; gv_td3_steps(td3) < s.run.steps; ++u) {
    gv_td3_stats ts;
    gv_dac_stats ds;
    const double t0 = gv_now();
    gv_status is = gv_dac_iterate(dac, &ts, &ds, err);
    const double dt = gv_now() - t0;
    const long step = gv_td3_steps(td3);
    t_env += ts.t_env;
    t_upd += ts.t_update;
    t_disc += ds.t_disc;
    if (gv_exp_iter_failed(rf, is, step, &status, err)) break;
    if (ts.episodes) {
      gv_run_append(rf, id[TR], step, ts.ep_return);
      gv_run_append(rf, id[NR], step, (ts.ep_return - r_rand) / span);
      gv_run_append(rf, id[TL], step, ts.ep_length);
      shown = (ts.ep_return - r_rand) / span;
    }
    gv_run_append(rf, id[EPS], step, (double)ts.episodes);
    const int last = step >= s.run.steps;
    if (u % s.run.distance_every == 0 || last) {
      const double td = gv_now();
      const int n = gv_dac_recent_states(dac, states, DAC_DISTANCE_STATES);
      if (n > 0) {
        double wd, swd;
        gv_gail_state_distance(gail, states, n, &wd, &swd);
        gv_run_append(rf, id[WD], step, wd);
        gv_run_append(rf, id[SWD], step, swd);
      }
      t_dist += gv_now() - td;
    }
    if (ds.d_steps) {
      gv_run_append(rf, id[DE], step, ds.d_expert);
      gv_run_append(rf, id[DP], step, ds.d_policy);
      gv_run_append(rf, id[DL], step, ds.d_loss);
      gv_run_append(rf, id[CL], step, ds.ctl_loss);
      gv_run_append(rf, id[RM], step, ds.reward_mean);
    }
    gv_run_append(rf, id[DLR], step, ds.lr);
    if (ts.updates) {
      gv_run_append(rf, id[C1], step, ts.q1_loss);
      gv_run_append(rf, id[C2], step, ts.q2_loss);
      gv_run_append(rf, id[Q1], step, ts.q1_mean);
      gv_run_append(rf, id[YM], step, ts.target_mean);
      if (ts.t_update > 0) gv_run_append(rf, id[UPS], step, ts.updates / ts.t_update);
    }
    if (ts.actor_updates) gv_run_append(rf, id[AL], step, ts.actor_loss);
    gv_run_append(rf, id[UPD], step, (double)gv_td3_updates(td3));
    gv_run_append(rf, id[DST], step, (double)gv_dac_disc_steps(dac));
    gv_run_append(rf, id[SPS], step, (double)chunk / dt);
    if (gv_exp_point_end(&ev, rf, step, last, pi, best, task, &status, err)) break;
    gv_progress_update(&pr, step, "norm. return", shown);
  }
  gv_progress_done(&pr);
  gv_exp_signals_restore();
  const double wall = gv_now() - t_start;
  const long steps = gv_td3_steps(td3);
  gv_run_summary_int(rf, "steps_done", steps);
  gv_run_summary_int(rf, "updates_done", gv_td3_updates(td3));
  gv_run_summary_int(rf, "disc_steps", gv_dac_disc_steps(dac));
  gv_run_summary_real(rf, "wall_seconds", wall);
  gv_run_summary_real(rf, "env_seconds", t_env);
  gv_run_summary_real(rf, "update_seconds", t_upd);
  gv_run_summary_real(rf, "disc_seconds", t_disc);
  gv_run_summary_real(rf, "distance_seconds", t_dist);
  /* one DAC update = D step(s) + TD3 update; evaluation excluded */
  gv_run_summary_real(rf, "updates_per_second", t_upd > 0 ? gv_td3_updates(td3) / t_upd : NAN);
  gv_run_summary_real(rf, "steps_per_second", steps / (t_env + t_upd > 0 ? t_env + t_upd : 1));
  gv_exp_evals_summary(&ev, rf);
  st = gv_exp_finish_policy_run(rf, status, path, steps, pi, ev.best_step >= 0 ? best : NULL,
                                err);
  rf = NULL;
out:
  if (rf) gv_run_close(rf);
  gv_exp_evals_free(&ev);
  free(states);
  gv_policy_free(best);
  gv_dac_free(dac);
  gv_env_task_free(task);
  gv_demos_free(&demos);
  gv_ctl_stack_free(&s.ctl);
  return st;
}

const gv_experiment gv_exp_dac = {
    {"dac", "DAC on a MuJoCo task: TD3 with absorbing states against a controlled "
     "discriminator on (s, a)",
     "Kostrikov et al. 2019, arXiv 1809.02925; Luo et al. 2024 (C-GAIL), arXiv 2402.16349",
     NULL, 0},
    dac_check,
    dac_run_tree,
    gv_gail_analyze,
    NULL,
    &gv_dac_game_component,
    gv_gail_table,
};
