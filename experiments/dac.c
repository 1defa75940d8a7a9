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
#include <signal.h>
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

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static void mean_std(const double *x, long n, double *m, double *sd) {
  double a = 0, q = 0;
  for (long i = 0; i < n; ++i) a += x[i];
  *m = n ? a / n : NAN;
  for (long i = 0; i < n; ++i) q += (x[i] - *m) * (x[i] - *m);
  *sd = n ? sqrt(q / n) : NAN;
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
  double *eret = NULL;
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
  eret = calloc((size_t)(s.run.eval_episodes > 0 ? s.run.eval_episodes : 1), sizeof *eret);
  states = calloc((size_t)DAC_DISTANCE_STATES * task->type->obs_dim, sizeof *states);
  if (!eret || !states) {
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
  gv_run_summary_int(rf, "expert_transitions", gv_gail_expert_rows(gail));
  gv_run_summary_int(rf, "expert_absorbing", gv_gail_absorbing_rows(gail));

  static const char *const names[] = {
      "train_return", "normalised_return", "train_length", "episodes", "eval_return_mean",
      "eval_return_std", "eval_normalised_return", "wd_states", "swd_states", "d_expert",
      "d_policy", "d_loss", "ctl_loss", "reward_mean", "d_lr", "critic1_loss", "critic2_loss",
      "actor_loss", "q1_mean", "target_mean", "updates", "disc_steps", "updates_per_second",
      "steps_per_second"};
  enum { TR, NR, TL, EPS, EM, ES, EN, WD, SWD, DE, DP, DL, CL, RM, DLR, C1, C2, AL, Q1, YM, UPD,
         DST, UPS, SPS, NSER };
  int id[NSER];
  for (int i = 0; i < NSER; ++i) id[i] = gv_run_series(rf, names[i]);

  interrupted = 0;
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  gv_progress pr;
  gv_progress_init(&pr, s.common.name, "steps", s.run.steps);
  pr.enabled &= progress;
  const char *status = "completed";
  const double span = r_exp - r_rand;
  double best_mean = -INFINITY, last_mean = NAN, last_std = NAN, shown = NAN;
  long best_step = -1, last_eval_step = -1, next_eval = s.run.eval_every;
  double t_start = gv_now(), t_env = 0, t_upd = 0, t_disc = 0, t_eval = 0, t_dist = 0;
  const uint64_t eseed = gv_rng_derive(seed, "eval", 0);
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
    if (is == GV_EDIVERGED) {
      status = "diverged";
      gv_run_log(rf, 0, "diverged at step %ld: %s", step, err->msg);
      gv_run_summary_int(rf, "diverged_step", step);
      break;
    }
    if (is) {
      status = "failed";
      gv_run_log(rf, 0, "failed at step %ld: %s", step, err->msg);
      break;
    }
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
    if (s.run.eval_episodes > 0 && (last || (s.run.eval_every > 0 && step >= next_eval))) {
      while (s.run.eval_every > 0 && next_eval <= step) next_eval += s.run.eval_every;
      const double te = gv_now();
      if ((st = gv_policy_evaluate(eret, NULL, pi, task, (int)s.run.eval_episodes,
                                   (int)s.run.threads, eseed, err))) {
        status = "failed";
        gv_run_log(rf, 0, "evaluation failed at step %ld: %s", step, err->msg);
        break;
      }
      t_eval += gv_now() - te;
      mean_std(eret, s.run.eval_episodes, &last_mean, &last_std);
      last_eval_step = step;
      gv_run_append(rf, id[EM], step, last_mean);
      gv_run_append(rf, id[ES], step, last_std);
      gv_run_append(rf, id[EN], step, (last_mean - r_rand) / span);
      if (last_mean > best_mean) {
        best_mean = last_mean;
        best_step = step;
        gv_policy_copy(best, pi);
      }
    }
    if (interrupted) {
      status = "interrupted";
      gv_run_log(rf, 0, "interrupted at step %ld by signal %d", step, (int)interrupted);
      break;
    }
    if (gv_run_tick(rf, step) != GV_OK) {
      status = "failed";
      break;
    }
    gv_progress_update(&pr, step, "norm. return", shown);
  }
  gv_progress_done(&pr);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  const double wall = gv_now() - t_start;
  const long steps = gv_td3_steps(td3);
  gv_run_summary_int(rf, "steps_done", steps);
  gv_run_summary_int(rf, "updates_done", gv_td3_updates(td3));
  gv_run_summary_int(rf, "disc_steps", gv_dac_disc_steps(dac));
  gv_run_summary_real(rf, "wall_seconds", wall);
  gv_run_summary_real(rf, "env_seconds", t_env);
  gv_run_summary_real(rf, "update_seconds", t_upd);
  gv_run_summary_real(rf, "disc_seconds", t_disc);
  gv_run_summary_real(rf, "eval_seconds", t_eval);
  gv_run_summary_real(rf, "distance_seconds", t_dist);
  /* one DAC update = D step(s) + TD3 update; evaluation excluded */
  gv_run_summary_real(rf, "updates_per_second", t_upd > 0 ? gv_td3_updates(td3) / t_upd : NAN);
  gv_run_summary_real(rf, "steps_per_second", steps / (t_env + t_upd > 0 ? t_env + t_upd : 1));
  gv_run_summary_real(rf, "final_eval_return_mean", last_mean);
  gv_run_summary_real(rf, "final_eval_return_std", last_std);
  gv_run_summary_int(rf, "final_eval_step", last_eval_step);
  gv_run_summary_real(rf, "best_eval_return_mean", best_step >= 0 ? best_mean : NAN);
  gv_run_summary_int(rf, "best_eval_step", best_step);
  st = gv_exp_finish_policy_run(rf, status, path, steps, pi, best_step >= 0 ? best : NULL, err);
  rf = NULL;
out:
  if (rf) gv_run_close(rf);
  free(eret);
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
