/* The `gail` experiment: GAIL with PPO as the generator and controllers on
 * the discriminator (agents/gail.h, docs/gail.md).
 *
 *   game:  {kind: gail, env: hopper, demos: "", trajectories: 4, subsample: 20}
 *   disc:  {width: 100, depth: 2, act: tanh, lr: 1e-3, halve_every: 100000,
 *           updates: 10, batch: 128, reward: softplus, std_floor: 0.01}
 *   agent: {kind: ppo, ...}                      (agents/ppo.h)
 *   controllers: [{kind: cgail, k: 1, on: both}] (controllers/ctl.h)
 *   run:   {steps, envs, threads, eval_every, eval_episodes, flush_every}
 *
 * Run file: one point per PPO round at step = env steps so far (series in
 * docs/gail.md), /policy and /policy_best, /summary.  `governor analyze`
 * adds the final normalised return, the oscillation range over the last
 * quarter and the steps to 95% of the run's best return. */
#include <cblas.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/demo.h"
#include "agents/gail.h"
#include "agents/ppo.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "envs/vec.h"
#include "experiments/experiment.h"
#include "experiments/gail_setup.h"
#include "gan/onestep.h"
#include "nn/init.h"

/* ----------------------------------------------------------------- config */

static const char *env_choices[32];

__attribute__((constructor)) static void fill_env_choices(void) {
  size_t n = 0;
  for (const gv_env_type *const *t = gv_env_types; *t && n + 1 < 32; ++t)
    env_choices[n++] = (*t)->name;
  env_choices[n] = NULL;
}

static const gv_param game_params[] = {
    GV_PARAM_ENUM(gail_game, env, NULL, env_choices, "MuJoCo task (Gymnasium v5 semantics)"),
    GV_PARAM_STR(gail_game, demos, "",
                 "demonstration file (empty: data/experts/ENV-demos.h5, from the working "
                 "directory)"),
    GV_PARAM_INT(gail_game, trajectories, "4", 1, 1e6,
                 "demonstration episodes used (the first N of the file)"),
    GV_PARAM_INT(gail_game, subsample, "20", 1, 1e6,
                 "keep every k-th transition, random offset per episode"),
    GV_PARAM_END,
};

const gv_component gv_gail_game_component = {
    "gail", "GAIL on a MuJoCo task: PPO against a discriminator on (s, a)", NULL, game_params,
    sizeof(gail_game)};
const gv_component gv_dac_game_component = {
    "dac", "DAC on a MuJoCo task: TD3 with absorbing states against a discriminator on (s, a)",
    NULL, game_params, sizeof(gail_game)};

static const char *const game_extra[] = {"kind", NULL};

static const gv_param run_params[] = {
    GV_PARAM_INT(gail_run, steps, "2000000", 1, 1e12, "total env steps"),
    GV_PARAM_INT(gail_run, envs, "8", 1, 4096, "env copies K"),
    GV_PARAM_INT(gail_run, threads, "2", 1, 256, "threads stepping the env copies"),
    GV_PARAM_INT(gail_run, eval_every, "20000", 0, 1e12,
                 "env steps between deterministic evaluations (0: only at the end)"),
    GV_PARAM_INT(gail_run, eval_episodes, "5", 0, 10000,
                 "episodes per evaluation (action = mean; 0: no evaluation)"),
    GV_PARAM_INT(gail_run, flush_every, "50000", 1, 1e12, "env steps between run-file flushes"),
    GV_PARAM_INT(gail_run, distance_every, "5", 1, 1e9,
                 "PPO rounds between state Wasserstein distances"),
    GV_PARAM_END,
};

static const char *const sections[] = {"game", "disc", "agent", "controllers", "run", "plot",
                                       NULL};

static int line_or(const gv_node *map, const char *key, int section_line) {
  const int l = gv_map_key_line(map, key);
  return l > 0 ? l : section_line > 0 ? section_line : 1;
}

static const gv_component *const agent_items[] = {&gv_agent_ppo, NULL};
static const gv_registry agent_registry = {"agent", "the generator (PPO)", agent_items};
static const gv_component *const dac_agent_items[] = {&gv_agent_td3, NULL};
static const gv_registry dac_agent_registry = {"agent", "the generator (TD3)", dac_agent_items};

/* Sets map[key] = value unless the key is there (a default of one
 * experiment that differs from the shared table's). */
static void default_key(gv_node *map, const char *key, const char *value) {
  if (map && map->kind == GV_NODE_MAP && !gv_map_get(map, key))
    gv_map_set(map, key, gv_node_new_scalar(value));
}

/* GAIL's own default for WGAN-GP: Gulrajani's lambda = 10, i.e. gamma 20
 * (gv_nn_penalty's GP coefficient is gamma / 2; docs/mlpgan.md). */
static void gail_controller_defaults(gv_node *seq) {
  if (!seq || seq->kind != GV_NODE_SEQ) return;
  for (size_t i = 0; i < seq->n; ++i) {
    gv_node *it = seq->items[i];
    if (it->kind != GV_NODE_MAP) continue;
    const char *k = gv_map_str(it, "kind");
    if (k && !strcmp(k, "wgan_gp") && !gv_map_get(it, "gamma"))
      gv_map_set(it, "gamma", gv_node_new_scalar("20"));
  }
}

gv_status gv_gail_setup(gail_setup *s, gv_node *root, const char *file, int dac, gv_err *err) {
  memset(s, 0, sizeof *s);
  if (dac) {
    /* DAC's defaults (agents/dac.h, REFERENCES.md section 5): a logit
     * reward, one D step of 256 + 256 rows per TD3 update, one env copy,
     * Gulrajani's penalty on interpolates; an explicit `controllers: []`
     * turns the penalty off */
    gv_node *sec[3] = {NULL, NULL, NULL};
    const char *names[3] = {"disc", "run", "agent"};
    for (int i = 0; i < 3; ++i) {
      sec[i] = gv_map_get(root, names[i]);
      if (!sec[i]) {
        sec[i] = gv_node_new_map();
        gv_map_set(root, names[i], sec[i]);
      }
    }
    default_key(sec[0], "reward", "logit");
    default_key(sec[0], "updates", "1");
    default_key(sec[0], "batch", "256");
    default_key(sec[1], "steps", "1000000");
    default_key(sec[1], "envs", "1");
    default_key(sec[1], "threads", "1");
    default_key(sec[1], "eval_every", "10000");
    default_key(sec[1], "flush_every", "10000");
    default_key(sec[2], "absorbing", "true");
    if (!gv_map_get(root, "controllers")) {
      gv_node *seq = gv_node_new_seq(), *gp = gv_node_new_map();
      gv_map_set(gp, "kind", gv_node_new_scalar("wgan_gp"));
      gv_seq_push(seq, gp);
      gv_map_set(root, "controllers", seq);
    }
  }
  gv_status st = gv_exp_check_top(root, file, sections, &s->common, err);
  if (st) return st;
  gv_node *gm;
  if ((st = gv_exp_section(root, file, "game", &gm, err))) return st;
  gv_cfg_ctx gctx = {file, "game"};
  if ((st = gv_params_load(game_params, gm, game_extra, &gctx, &s->game, err))) return st;
  s->env = gv_env_types[s->game.env];
  gv_node *dm;
  if ((st = gv_exp_section(root, file, "disc", &dm, err))) return st;
  gv_cfg_ctx dctx = {file, "disc"};
  if ((st = gv_params_load(gv_gail_disc_table, dm, NULL, &dctx, &s->gail, err))) return st;
  s->gail.trajectories = s->game.trajectories;
  s->gail.subsample = s->game.subsample;
  const gv_component *c;
  if (dac) st = gv_exp_component(root, file, "agent", &dac_agent_registry, "td3", &c, &s->td3,
                                 err);
  else st = gv_exp_component(root, file, "agent", &agent_registry, "ppo", &c, &s->ppo, err);
  if (st) return st;
  gv_node *m;
  if ((st = gv_exp_section(root, file, "run", &m, err))) return st;
  gv_cfg_ctx rctx = {file, "run"};
  if ((st = gv_params_load(run_params, m, NULL, &rctx, &s->run, err))) return st;

  char where[512];
  gv_cfg_ctx actx = {file, "agent"};
  gv_node *agent = gv_map_get(root, "agent");
  const int aline = gv_map_key_line(root, "agent"), rline = gv_map_key_line(root, "run");
  const int gline = gv_map_key_line(root, "game");
  if (dac) {
    if (!s->td3.absorbing) {
      gv_cfg_where(where, sizeof where, &actx, line_or(agent, "absorbing", aline), "absorbing");
      return gv_fail(err, GV_ECONFIG, "%s: DAC needs absorbing states (allowed: true)", where);
    }
    s->gail.absorbing = 1;
  } else if (s->ppo.rollout % s->run.envs) {
    gv_cfg_where(where, sizeof where, &actx, line_or(agent, "rollout", aline), "rollout");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is not a multiple of run.envs = %ld", where,
                   s->ppo.rollout, s->run.envs);
  }
  if (!dac && s->ppo.rollout % s->ppo.minibatches) {
    gv_cfg_where(where, sizeof where, &actx, line_or(agent, "minibatches", aline),
                 "minibatches");
    return gv_fail(err, GV_ECONFIG, "%s: rollout %ld is not a multiple of %ld", where,
                   s->ppo.rollout, s->ppo.minibatches);
  }
  if (!dac && s->run.steps < s->ppo.rollout) {
    gv_cfg_where(where, sizeof where, &rctx, line_or(m, "steps", rline), "steps");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is less than one rollout (agent.rollout = %ld)",
                   where, s->run.steps, s->ppo.rollout);
  }
  /* the demonstration file: present, of this env */
  if (s->game.demos[0]) snprintf(s->demos, sizeof s->demos, "%s", s->game.demos);
  else snprintf(s->demos, sizeof s->demos, "data/experts/%s-demos.h5", s->env->name);
  gv_cfg_where(where, sizeof where, &gctx, line_or(gm, "demos", gline), "demos");
  if (access(s->demos, R_OK) != 0)
    return gv_fail(err, GV_ECONFIG, "%s: demonstration file '%s' not found (make it with "
                   "`governor record`, see data/experts/README.md)", where, s->demos);
  /* the whole file is validated here, so `check` rejects what `run` would */
  gv_demos demo;
  gv_err why = {{0}, {0}};
  if (gv_demos_load(&demo, s->demos, &why))
    return gv_fail(err, GV_ECONFIG, "%s: %s", where, why.msg);
  s->expert_return = demo.eval_return_mean;
  s->random_return = demo.random_return_mean;
  const long episodes = demo.episodes;
  const int same_env = !strcmp(demo.env, s->env->name);
  const int D = demo.obs_dim, A = demo.act_dim;
  long outside = -1; /* the first action outside the env's bounds */
  for (long i = 0; outside < 0 && i < demo.steps * A; ++i)
    if (!(demo.actions[i] >= s->env->act_low && demo.actions[i] <= s->env->act_high))
      outside = i / A;
  char env[sizeof demo.env];
  snprintf(env, sizeof env, "%s", demo.env);
  gv_demos_free(&demo);
  if (!same_env)
    return gv_fail(err, GV_ECONFIG, "%s: '%s' holds demonstrations of '%s', not of game.env "
                   "'%s'", where, s->demos, env, s->env->name);
  if (D != s->env->obs_dim || A != s->env->act_dim)
    return gv_fail(err, GV_ECONFIG, "%s: '%s' holds observations of %d and actions of %d "
                   "numbers, env %s has %d and %d", where, s->demos, D, A, s->env->name,
                   s->env->obs_dim, s->env->act_dim);
  if (outside >= 0)
    return gv_fail(err, GV_ECONFIG, "%s: '%s': the action of row %ld lies outside %s's bounds "
                   "[%g, %g]", where, s->demos, outside, s->env->name, s->env->act_low,
                   s->env->act_high);
  const double re = s->expert_return, rr = s->random_return;
  if (!isfinite(re) || !isfinite(rr) || re == rr)
    return gv_fail(err, GV_ECONFIG, "%s: '%s' lacks the eval_return_mean and "
                   "random_return_mean attributes the normalised return needs", where,
                   s->demos);
  if (s->game.trajectories > episodes) {
    gv_cfg_where(where, sizeof where, &gctx, line_or(gm, "trajectories", gline),
                 "trajectories");
    return gv_fail(err, GV_ECONFIG, "%s: %ld trajectories, but '%s' holds %ld episodes "
                   "(allowed: 1 to %ld)", where, (long)s->game.trajectories, s->demos, episodes,
                   episodes);
  }

  gv_node *ctl = gv_map_get(root, "controllers");
  if (!ctl) {
    ctl = gv_node_new_seq();
    gv_map_set(root, "controllers", ctl);
  }
  gail_controller_defaults(ctl);
  gv_cfg_ctx cctx = {file, ""};
  if ((st = gv_ctl_stack_load(&s->ctl, ctl, &cctx, (uint64_t)s->common.seed, err))) return st;
  st = gv_gail_check_controllers(&s->ctl, err);
  if (st) gv_ctl_stack_free(&s->ctl);
  return st;
}

static gv_status gail_check(gv_node *root, const char *file, gv_err *err) {
  gail_setup s;
  gv_status st = gv_gail_setup(&s, root, file, 0, err);
  if (!st) gv_ctl_stack_free(&s.ctl);
  return st;
}

/* -------------------------------------------------------------------- run */

static gv_status gail_run_tree(gv_node *root, const char *file, const char *path, int progress,
                               gv_err *err) {
  gail_setup s;
  gv_status st = gv_gail_setup(&s, root, file, 0, err);
  if (st) return st;
  openblas_set_num_threads(1);
  const uint64_t seed = (uint64_t)s.common.seed;
  const long updates = s.run.steps / s.ppo.rollout;
  gv_env_task *task = NULL;
  gv_ppo *ppo = NULL;
  gv_gail *gail = NULL;
  gv_policy *best = NULL;
  gv_runfile *rf = NULL;
  gv_exp_evals ev = {0};
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
  if ((st = gv_ppo_alloc(&ppo, &s.ppo, task, (int)s.run.envs, (int)s.run.threads, seed, updates,
                         err)))
    goto out;
  if ((st = gv_gail_alloc(&gail, &s.gail, &demos, &s.ctl, seed, (int)s.ppo.rollout, err)))
    goto out;
  gv_ppo_set_reward_hook(ppo, gv_gail_reward_hook, gail);
  gv_policy *pi = gv_ppo_policy(ppo);
  if ((st = gv_policy_alloc(&best, &pi->actor->spec, pi->env, pi->act_low, pi->act_high, 0, err)))
    goto out;
  best->kind = pi->kind;
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {"gail", s.common.name, yaml, seed, s.run.flush_every};
  st = gv_run_create(&rf, path, &info, err);
  free(yaml);
  if (st) goto out;
  gv_run_summary_str(rf, "env", s.env->name);
  gv_run_summary_str(rf, "demos", s.demos);
  gv_run_summary_real(rf, "expert_return", r_exp);
  gv_run_summary_real(rf, "random_return", r_rand);
  gv_run_summary_int(rf, "expert_transitions", gv_gail_expert_rows(gail));

  const double span = r_exp - r_rand;
  static const char *const names[] = {
      "train_return", "normalised_return", "train_length", "episodes", "wd_states",
      "swd_states", "d_expert", "d_policy", "d_loss", "ctl_loss", "reward_mean", "d_lr",
      "policy_loss", "value_loss", "entropy", "approx_kl", "steps_per_second"};
  enum { TR, NR, TL, EPS, WD, SWD, DE, DP, DL, CL, RM, DLR, PL, VL, ENT, KL, SPS, NSER };
  int id[NSER];
  for (int i = 0; i < NSER; ++i) id[i] = gv_run_series(rf, names[i]);
  if ((st = gv_exp_evals_init(&ev, rf, s.run.eval_every, s.run.eval_episodes,
                              (int)s.run.threads, seed, r_rand, span, err)))
    goto out;

  gv_exp_signals_catch();
  gv_progress pr;
  gv_progress_init(&pr, s.common.name, "steps", updates * s.ppo.rollout);
  pr.enabled &= progress;
  const char *status = "completed";
  double shown = NAN;
  double t_start = gv_now(), t_roll = 0, t_upd = 0, t_dist = 0;
  for (long u = 0; u < updates; ++u) {
    gv_ppo_stats ps;
    double t0 = gv_now();
    gv_status is = gv_ppo_iterate(ppo, &ps, err);
    double dt = gv_now() - t0;
    const long step = gv_ppo_steps(ppo);
    t_roll += ps.t_rollout;
    t_upd += ps.t_update;
    if (gv_exp_iter_failed(rf, is, step, &status, err)) break;
    const gv_gail_stats *gs = gv_gail_last(gail);
    if (ps.episodes) {
      gv_run_append(rf, id[TR], step, ps.ep_return);
      gv_run_append(rf, id[NR], step, (ps.ep_return - r_rand) / span);
      gv_run_append(rf, id[TL], step, ps.ep_length);
      shown = (ps.ep_return - r_rand) / span;
    }
    gv_run_append(rf, id[EPS], step, (double)ps.episodes);
    if (u % s.run.distance_every == 0 || u + 1 == updates) {
      /* the rollout's states: the policy's state distribution this round */
      double td = gv_now(), wd, swd;
      gv_gail_state_distance(gail, gv_ppo_rollout_obs(ppo), (int)s.ppo.rollout, &wd, &swd);
      gv_run_append(rf, id[WD], step, wd);
      gv_run_append(rf, id[SWD], step, swd);
      t_dist += gv_now() - td;
    }
    gv_run_append(rf, id[DE], step, gs->d_expert);
    gv_run_append(rf, id[DP], step, gs->d_policy);
    gv_run_append(rf, id[DL], step, gs->d_loss);
    gv_run_append(rf, id[CL], step, gs->ctl_loss);
    gv_run_append(rf, id[RM], step, gs->reward_mean);
    gv_run_append(rf, id[DLR], step, gs->lr);
    gv_run_append(rf, id[PL], step, ps.pg_loss);
    gv_run_append(rf, id[VL], step, ps.v_loss);
    gv_run_append(rf, id[ENT], step, ps.entropy);
    gv_run_append(rf, id[KL], step, ps.approx_kl);
    gv_run_append(rf, id[SPS], step, (double)s.ppo.rollout / dt);
    if (gv_exp_point_end(&ev, rf, step, u + 1 == updates, pi, best, task, &status, err)) break;
    gv_progress_update(&pr, step, "norm. return", shown);
  }
  gv_progress_done(&pr);
  gv_exp_signals_restore();
  const double wall = gv_now() - t_start;
  const long steps = gv_ppo_steps(ppo);
  gv_run_summary_int(rf, "steps_done", steps);
  gv_run_summary_int(rf, "disc_steps", gv_gail_last(gail)->steps);
  gv_run_summary_real(rf, "wall_seconds", wall);
  gv_run_summary_real(rf, "rollout_seconds", t_roll);
  gv_run_summary_real(rf, "update_seconds", t_upd);
  gv_run_summary_real(rf, "distance_seconds", t_dist);
  /* training throughput: rollout (discriminator included) + PPO update */
  gv_run_summary_real(rf, "steps_per_second", steps / (t_roll + t_upd > 0 ? t_roll + t_upd : 1));
  gv_exp_evals_summary(&ev, rf);
  st = gv_exp_finish_policy_run(rf, status, path, steps, pi, ev.best_step >= 0 ? best : NULL,
                                err);
  rf = NULL;
out:
  if (rf) gv_run_close(rf);
  gv_exp_evals_free(&ev);
  gv_policy_free(best);
  gv_gail_free(gail);
  gv_ppo_free(ppo);
  gv_env_task_free(task);
  gv_demos_free(&demos);
  gv_ctl_stack_free(&s.ctl);
  return st;
}

/* --------------------------------------------------------------- analyze */

/* Oscillation and convergence figures of one curve (docs/gail.md). */
typedef struct curve_figs {
  double final;             /* last value */
  double tail_mean;         /* mean over the last quarter of the points */
  double osc_range;         /* max - min over the last quarter */
  double osc_std;           /* population std over the last quarter */
  double best;              /* max over the run */
  double steps_to_95;       /* first step where the value reaches 95% of best (NAN: best <= 0) */
} curve_figs;

static void curve(curve_figs *c, const int64_t *step, const double *v, size_t n) {
  c->final = c->tail_mean = c->osc_range = c->osc_std = c->best = c->steps_to_95 = NAN;
  if (!n) return;
  c->final = v[n - 1];
  size_t q = n / 4 > 0 ? n / 4 : 1, s0 = n - q;
  double lo = INFINITY, hi = -INFINITY, m = 0, ss = 0;
  for (size_t i = s0; i < n; ++i) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
    m += v[i];
  }
  m /= (double)q;
  for (size_t i = s0; i < n; ++i) ss += (v[i] - m) * (v[i] - m);
  c->tail_mean = m;
  c->osc_range = hi - lo;
  c->osc_std = sqrt(ss / (double)q);
  double best = -INFINITY;
  for (size_t i = 0; i < n; ++i) best = v[i] > best ? v[i] : best;
  c->best = best;
  if (best > 0)
    for (size_t i = 0; i < n; ++i)
      if (v[i] >= 0.95 * best) {
        c->steps_to_95 = (double)step[i];
        break;
      }
}

gv_status gv_gail_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_status st = gv_runread_open_rw(&rr, path, err);
  if (st) return st;
  char *status = gv_runread_attr(rr, "status"), *name = gv_runread_attr(rr, "name");
  char *kind = gv_runread_attr(rr, "kind");
  char *env = gv_runread_summary_str(rr, "env");
  double done = NAN;
  gv_runread_summary_real(rr, "steps_done", &done);
  static const struct {
    const char *series, *prefix;
  } which[] = {{"eval_normalised_return", ""}, {"normalised_return", "train_"}};
  curve_figs cf[2];
  for (int w = 0; w < 2; ++w) {
    int64_t *step = NULL;
    double *v = NULL;
    size_t n = 0;
    gv_runread_series(rr, which[w].series, &step, &v, &n);
    curve(&cf[w], step, v, n);
    free(step);
    free(v);
    if (isnan(done) && n) done = (double)0;
    const char *keys[] = {"final_normalised_return", "tail_normalised_return", "osc_range",
                          "osc_std", "best_normalised_return", "steps_to_95"};
    const double vals[] = {cf[w].final, cf[w].tail_mean, cf[w].osc_range, cf[w].osc_std,
                           cf[w].best, cf[w].steps_to_95};
    for (int k = 0; k < 6; ++k) {
      char key[128];
      snprintf(key, sizeof key, "%s%s", which[w].prefix, keys[k]);
      gv_runread_set_summary_real(rr, key, vals[k]);
    }
  }
  /* DAC: the gradient steps at the step the eval curve reached 95% of its best */
  double upd95 = NAN;
  {
    int64_t *step = NULL;
    double *v = NULL;
    size_t n = 0;
    gv_runread_series(rr, "updates", &step, &v, &n);
    if (n && isfinite(cf[0].steps_to_95))
      for (size_t i = 0; i < n; ++i)
        if ((double)step[i] >= cf[0].steps_to_95) {
          upd95 = v[i];
          break;
        }
    free(step);
    free(v);
    if (n) gv_runread_set_summary_real(rr, "updates_to_95", upd95);
  }
  curve_figs wd, swd, de, dp;
  const char *ser[] = {"wd_states", "swd_states", "d_expert", "d_policy"};
  curve_figs *dst[] = {&wd, &swd, &de, &dp};
  for (int w = 0; w < 4; ++w) {
    int64_t *step = NULL;
    double *v = NULL;
    size_t n = 0;
    gv_runread_series(rr, ser[w], &step, &v, &n);
    curve(dst[w], step, v, n);
    free(step);
    free(v);
    char key[128];
    snprintf(key, sizeof key, "final_%s", ser[w]);
    gv_runread_set_summary_real(rr, key, dst[w]->final);
    snprintf(key, sizeof key, "tail_%s", ser[w]);
    gv_runread_set_summary_real(rr, key, dst[w]->tail_mean);
  }
  if (out) {
    fprintf(out, "%s: %s (%s %s, %.0f env steps; status %s)\n", path, name ? name : "?",
            kind ? kind : "gail", env ? env : "?", done, status ? status : "?");
    fprintf(out, "  %-38s %8.3f (best %.3f)\n", "final normalised return (eval)", cf[0].final,
            cf[0].best);
    fprintf(out, "  %-38s %8.3f (range %.3f, std %.3f)\n", "last quarter: mean", cf[0].tail_mean,
            cf[0].osc_range, cf[0].osc_std);
    fprintf(out, "  %-38s %8.0f\n", "env steps to 95% of best (eval)", cf[0].steps_to_95);
    if (isfinite(upd95))
      fprintf(out, "  %-38s %8.0f\n", "gradient steps to 95% of best (eval)", upd95);
    fprintf(out, "  %-38s %8.3f (range %.3f over the last quarter)\n",
            "final normalised return (train)", cf[1].final, cf[1].osc_range);
    fprintf(out, "  %-38s %8.3f / %.3f (last quarter mean)\n", "state W1 per dim / sliced",
            wd.tail_mean, swd.tail_mean);
    fprintf(out, "  %-38s %8.3f / %.3f (last quarter mean)\n", "D on expert / policy",
            de.tail_mean, dp.tail_mean);
  }
  free(status);
  free(name);
  free(kind);
  free(env);
  gv_runread_close(rr);
  return GV_OK;
}

const gv_column gv_gail_table[] = {{"final_normalised_return", "final norm. return"},
                                       {"tail_normalised_return", "last-quarter mean"},
                                       {"osc_range", "osc. range"},
                                       {"steps_to_95", "steps to 95%"},
                                       {"tail_swd_states", "sliced W1"},
                                       {NULL, NULL}};

const gv_experiment gv_exp_gail = {
    {"gail", "GAIL on a MuJoCo task: PPO against a controlled discriminator on (s, a)",
     "Ho & Ermon 2016, arXiv 1606.03476; Luo et al. 2024 (C-GAIL), arXiv 2402.16349", NULL, 0},
    gail_check,
    gail_run_tree,
    gv_gail_analyze,
    NULL,
    &gv_gail_game_component,
    gv_gail_table,
};

/* ----------------------------------------------------------------- bench */

/* `governor bench gail`: GAIL on hopper end to end (rollout, D updates,
 * rewards, PPO update, run file; no evaluation) against PPO alone on the
 * same config and env copies, measured in the same process. */
static double run_rate(gv_node *root, const char *cfg, const gv_experiment *exp, long steps,
                       double *wall, gv_err *err) {
  char path[] = "/tmp/governor-bench-gail-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  gv_status st = exp->check(root, cfg, err);
  double t0 = gv_now();
  if (!st) st = exp->run(root, cfg, path, 0, err);
  *wall = gv_now() - t0;
  unlink(path);
  return st ? NAN : steps / *wall;
}

int gv_gail_bench(double seconds) {
  printf("## governor bench gail\n\n");
  const char *cfg = GV_SOURCE_DIR "/configs/gail/hopper-gail.yaml";
  gv_err err = {{0}, {0}};
  long steps = (long)(15000 * seconds) / 2048 * 2048;
  if (steps < 4096) steps = 4096;
  char set[4][96];
  snprintf(set[0], sizeof set[0], "run.steps=%ld", steps);
  snprintf(set[1], sizeof set[1], "run.threads=2");
  snprintf(set[2], sizeof set[2], "run.eval_episodes=0");
  snprintf(set[3], sizeof set[3], "game.demos=%s", GV_SOURCE_DIR "/data/experts/hopper-demos.h5");
  gv_node *root = NULL;
  if (gv_cfg_parse_file(cfg, &root, &err) != GV_OK) {
    fprintf(stderr, "governor: %s\n", err.msg);
    return 2;
  }
  for (int i = 0; i < 4; ++i) gv_cfg_set(root, set[i], &err);
  double wg = NAN, wp = NAN;
  const double rg = run_rate(root, cfg, &gv_exp_gail, steps, &wg, &err);
  if (isnan(rg)) {
    fprintf(stderr, "governor: bench gail: %s\n", err.msg);
    gv_node_free(root);
    return 1;
  }
  /* the same PPO without the discriminator: an `rl` config with the same agent */
  gv_node *rl = NULL;
  char text[512];
  snprintf(text, sizeof text, "game: {kind: rl, env: hopper}\nagent: {kind: ppo}\nseed: 0\n"
           "run: {steps: %ld, envs: %s, threads: 2, eval_episodes: 0}\n", steps,
           gv_cfg_lookup(root, "run.envs")->value);
  extern const gv_experiment gv_exp_rl;
  double rp = NAN;
  if (gv_cfg_parse_string(text, "bench-ppo", &rl, &err) == GV_OK)
    rp = run_rate(rl, "bench-ppo", &gv_exp_rl, steps, &wp, &err);
  const char *upd = gv_cfg_lookup(root, "disc.updates")->value;
  const char *bat = gv_cfg_lookup(root, "disc.batch")->value;
  printf("GAIL on hopper (configs/gail/hopper-gail.yaml), %ld env steps, K = %s copies, 2 env "
         "threads, %s D steps of %s + %s rows per 2048-step round, 100-100 tanh D:\n",
         steps, gv_cfg_lookup(root, "run.envs")->value, upd, bat, bat);
  printf("  %.0f env steps/s end to end (wall %.2f s; bar >= 15000)\n", rg, wg);
  printf("  baseline, same process: PPO alone (rl, same agent and copies) %.0f env steps/s "
         "(wall %.2f s); GAIL at %.2fx of it\n", rp, wp, rg / rp);
  printf("bench_gail_steps_per_second %.0f\nbench_gail_ppo_steps_per_second %.0f\n", rg, rp);
  gv_node_free(root);
  gv_node_free(rl);
  return rg >= 15000 ? 0 : 1;
}

/* ======================================================================
 * The sampled one-step game (`game.kind: onestep_sampled`, docs/gail.md):
 * the one-step bandit of gan/onestep.h learned from samples, next to the
 * closed-form flow it estimates, in one run.
 *
 * Sampled: a tabular softmax policy (logits y, the last fixed at 0) and an
 * MLP discriminator on one-hot actions (nn/), each step on `batch` expert
 * actions drawn from pi_E and `batch` policy actions drawn from pi:
 *   D: one SGD step (lr `lr_d`) on the BCE with expert labelled 1, plus the
 *      controllers' loss_outputs terms (real = expert, fake = policy);
 *   pi: one REINFORCE step (lr h) on the same policy batch,
 *      y_b += h mean_i (g_i - mean g) (1[a_i = b] - pi_b),
 *      g_i = r(D(a_i)) - lambda log pi(a_i),
 *      an estimate of the flow's dy_b/dt = pi_b (g_b - E_pi g).
 * Flow: gan/onestep's field (logit D, softmax policy) with the controllers'
 * drifts, Euler steps of the same h from the same start.  With depth 0 and
 * lr_d = h the sampled D is a linear model, tabular up to one shared bias.
 * Streams: "os.init" (D), "os.expert", "os.policy". */

typedef struct os_sampled {
  long batch;               /* expert and policy actions per step (each) */
  long width, depth;        /* D's hidden layers (depth 0: linear) */
  int act;                  /* hidden activation */
  double h;                 /* policy step and flow step */
  double lr_d;              /* D's SGD learning rate (0: h) */
  long steps;               /* steps */
  long every;               /* steps between series points */
} os_sampled;

static const char *const os_act_names[] = {"linear", "tanh", "relu", "leaky_relu", NULL};

static const gv_param os_sampled_params[] = {
    GV_PARAM_INT(os_sampled, batch, "256", 1, 1e7, "expert and policy actions per step (each)"),
    GV_PARAM_INT(os_sampled, width, "32", 1, 4096, "hidden width of D"),
    GV_PARAM_INT(os_sampled, depth, "1", 0, GV_NN_MAX_LAYERS - 1,
                 "hidden layers of D (0: linear in the one-hot action)"),
    GV_PARAM_ENUM(os_sampled, act, "tanh", os_act_names, "hidden activation of D"),
    GV_PARAM_REALX(os_sampled, h, "0.5", 0, 100, GV_P_LO_OPEN, "policy step size = flow step"),
    GV_PARAM_REAL(os_sampled, lr_d, "0", 0, 100, "D's SGD learning rate (0: h)"),
    GV_PARAM_INT(os_sampled, steps, "4000", 1, 1e9, "steps"),
    GV_PARAM_INT(os_sampled, every, "10", 1, 1e9, "steps between series points"),
    GV_PARAM_END,
};

static const gv_component os_game_component = {
    "onestep_sampled", "one-step GAIL learned from samples (MLP D, softmax policy) against "
    "its closed-form flow", NULL, NULL, 0};

static const char *const os_sections[] = {"game", "sampled", "controllers", "run", "plot", NULL};

typedef struct os_setup {
  gv_common common;
  gv_onestep game;
  os_sampled sp;
  gv_ctl_stack ctl;
} os_setup;

static gv_status os_build(os_setup *s, gv_node *root, const char *file, gv_err *err) {
  memset(s, 0, sizeof *s);
  gv_status st = gv_exp_check_top(root, file, os_sections, &s->common, err);
  if (st) return st;
  gv_node *m;
  if ((st = gv_exp_section(root, file, "game", &m, err))) return st;
  gv_cfg_ctx gctx = {file, "game"};
  gv_onestep_params gp;
  if ((st = gv_onestep_load(m, &gctx, &gp, err))) return st;
  char where[512];
  gv_cfg_where(where, sizeof where, &gctx, gv_map_key_line(root, "game"), "game");
  if (gp.disc != GV_OS_DISC_LOGIT || gp.policy != GV_OS_POLICY_SOFTMAX)
    return gv_fail(err, GV_ECONFIG, "%s: onestep_sampled learns a logit D and softmax "
                   "policy: needs disc: logit, policy: softmax", where);
  if ((st = gv_onestep_init(&s->game, &gp, err))) return st;
  if ((st = gv_exp_section(root, file, "sampled", &m, err))) return st;
  gv_cfg_ctx sctx = {file, "sampled"};
  if ((st = gv_params_load(os_sampled_params, m, NULL, &sctx, &s->sp, err))) return st;
  if (s->sp.lr_d <= 0) s->sp.lr_d = s->sp.h;
  gv_node *ctl = gv_map_get(root, "controllers");
  if (!ctl) {
    ctl = gv_node_new_seq();
    gv_map_set(root, "controllers", ctl);
  }
  gv_cfg_ctx cctx = {file, ""};
  if ((st = gv_ctl_stack_load(&s->ctl, ctl, &cctx, (uint64_t)s->common.seed, err))) return st;
  /* a controller must act on both: the flow (drift) and the sampled D (loss level) */
  if (!(st = gv_ctl_stack_check(&s->ctl, &s->game.vf, "euler", GV_HOOK_DRIFT, err)))
    st = gv_gail_check_controllers(&s->ctl, err);
  if (st) gv_ctl_stack_free(&s->ctl);
  return st;
}

static gv_status os_check(gv_node *root, const char *file, gv_err *err) {
  os_setup s;
  gv_status st = os_build(&s, root, file, err);
  if (!st) gv_ctl_stack_free(&s.ctl);
  return st;
}

/* An index drawn from the distribution p (n) by inversion of its CDF. */
static size_t os_pick(gsl_rng *r, const double *p, size_t n) {
  double u = gsl_rng_uniform(r), c = 0;
  for (size_t a = 0; a + 1 < n; ++a) {
    c += p[a];
    if (u < c) return a;
  }
  return n - 1;
}

static double os_tv(const double *p, const double *q, size_t n) {
  double t = 0;
  for (size_t a = 0; a < n; ++a) t += fabs(p[a] - q[a]);
  return 0.5 * t;
}

static gv_status os_run(gv_node *root, const char *file, const char *path, int progress,
                        gv_err *err) {
  os_setup s;
  gv_status st = os_build(&s, root, file, err);
  if (st) return st;
  openblas_set_num_threads(1);
  gv_onestep *g = &s.game;
  const size_t n = g->na, dim = gv_onestep_dim(g), B = (size_t)s.sp.batch;
  const uint64_t seed = (uint64_t)s.common.seed;
  gv_nn *D = NULL;
  gv_nn_ws *ws = NULL;
  gv_runfile *rf = NULL;
  gsl_rng *rinit = gv_rng_alloc(seed, "os.init", 0), *re = gv_rng_alloc(seed, "os.expert", 0),
          *rp = gv_rng_alloc(seed, "os.policy", 0);
  double *x = calloc(dim, sizeof(double)), *F = calloc(dim, sizeof(double));
  double *y = calloc(n, sizeof(double)), *pi = calloc(n, sizeof(double));
  double *pif = calloc(n, sizeof(double)), *Df = calloc(n, sizeof(double));
  double *Ds = calloc(n, sizeof(double)), *gy = calloc(n, sizeof(double));
  float *xin = calloc(2 * B * n, sizeof(float)), *dy = calloc(2 * B > n ? 2 * B : n, sizeof(float));
  size_t *ae = calloc(B, sizeof(size_t)), *ap = calloc(B, sizeof(size_t));
  if (!rinit || !re || !rp || !x || !F || !y || !pi || !pif || !Df || !Ds || !gy || !xin || !dy ||
      !ae || !ap) {
    st = gv_fail(err, GV_ENOMEM, "onestep_sampled: out of memory");
    goto out;
  }
  int hidden[GV_NN_MAX_LAYERS];
  for (long i = 0; i < s.sp.depth; ++i) hidden[i] = (int)s.sp.width;
  gv_nn_spec spec;
  if ((st = gv_nn_spec_mlp(&spec, (int)n, (int)s.sp.depth, hidden, (gv_nn_act)s.sp.act, 1,
                           GV_NN_ACT_LINEAR, err)) ||
      (st = gv_nn_alloc(&D, &spec, err)) ||
      (st = gv_nn_ws_alloc(&ws, &spec, (int)(2 * B > n ? 2 * B : n), err)))
    goto out;
  /* D starts at the flow's D = d0 for every action: hidden layers
   * orthogonal, output weights 0, output bias logit(d0) */
  if ((st = gv_nn_init_params(D, GV_NN_INIT_ORTHOGONAL, 1.0, 0.0, rinit, err))) goto out;
  {
    const int L = D->spec.nlayer;
    memset(gv_nn_W(D, L - 1), 0, (size_t)D->spec.size[L - 1] * sizeof(float));
    gv_nn_b(D, L - 1)[0] = (float)log(g->p.d0 / (1 - g->p.d0));
  }
  gv_onestep_start(g, NULL, x);
  gv_onestep_policy(g, x, pi);
  for (size_t a = 0; a + 1 < n; ++a) y[a] = x[a]; /* the sampled policy's logits */
  y[n - 1] = 0;
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {"onestep_sampled", s.common.name, yaml, seed, 1000000};
  st = gv_run_create(&rf, path, &info, err);
  free(yaml);
  if (st) goto out;
  static const char *const names[] = {"tv_sampled", "tv_flow", "kl_sampled", "kl_flow",
                                      "tv_between", "d_dev_sampled", "d_dev_flow"};
  enum { TVS, TVF, KLS, KLF, TVB, DDS, DDF, NS };
  int id[NS];
  for (int i = 0; i < NS; ++i) id[i] = gv_run_series(rf, names[i]);
  double max_between = 0;
  const double h = s.sp.h, lam = g->p.lambda;
  const int rw = g->p.reward == GV_OS_REWARD_LOGIT ? GV_GAIL_REW_LOGIT
                 : g->p.reward == GV_OS_REWARD_LOGD ? GV_GAIL_REW_LOGD
                                                    : GV_GAIL_REW_SOFTPLUS;
  gv_progress pr;
  gv_progress_init(&pr, s.common.name, "steps", s.sp.steps);
  pr.enabled &= progress;
  const char *status = "completed";
  for (long t = 0; t <= s.sp.steps; ++t) {
    /* softmax of the sampled logits; D on every action (one-hot rows) */
    double mx = y[0], z = 0;
    for (size_t a = 1; a < n; ++a) mx = y[a] > mx ? y[a] : mx;
    for (size_t a = 0; a < n; ++a) z += (pi[a] = exp(y[a] - mx));
    for (size_t a = 0; a < n; ++a) pi[a] /= z;
    memset(xin, 0, n * n * sizeof(float));
    for (size_t a = 0; a < n; ++a) xin[a * n + a] = 1.0f;
    if ((st = gv_nn_forward(ws, D, xin, (int)n))) goto out;
    for (size_t a = 0; a < n; ++a) Ds[a] = ws->out[a];
    gv_onestep_policy(g, x, pif);
    gv_onestep_disc(g, x, Df);
    if (t % s.sp.every == 0 || t == s.sp.steps) {
      double dds = 0, ddf = 0;
      for (size_t a = 0; a < n; ++a) {
        dds = fmax(dds, fabs(1.0 / (1.0 + exp(-Ds[a])) - 0.5));
        ddf = fmax(ddf, fabs(Df[a] - 0.5));
      }
      const double tb = os_tv(pi, pif, n);
      max_between = fmax(max_between, tb);
      gv_run_append(rf, id[TVS], t, gv_onestep_tv(g, pi));
      gv_run_append(rf, id[TVF], t, gv_onestep_tv(g, pif));
      gv_run_append(rf, id[KLS], t, gv_onestep_kl(g, pi));
      gv_run_append(rf, id[KLF], t, gv_onestep_kl(g, pif));
      gv_run_append(rf, id[TVB], t, tb);
      gv_run_append(rf, id[DDS], t, dds);
      gv_run_append(rf, id[DDF], t, ddf);
      gv_progress_update(&pr, t, "TV sampled", gv_onestep_tv(g, pi));
    }
    if (t == s.sp.steps) break;
    /* the flow: one Euler step of the controlled field */
    gv_vf_controlled(&g->vf, &s.ctl, x, F);
    for (size_t i = 0; i < dim; ++i) x[i] += h * F[i];
    /* samples: expert actions from pi_E, policy actions from pi */
    for (size_t i = 0; i < B; ++i) {
      ae[i] = os_pick(re, g->p.expert, n);
      ap[i] = os_pick(rp, pi, n);
    }
    /* policy: REINFORCE with the batch-mean baseline, on D before its step */
    double gm = 0;
    for (size_t i = 0; i < B; ++i) {
      const size_t a = ap[i];
      gy[0] = gv_gail_reward_of(rw, Ds[a]) - lam * log(pi[a]);
      dy[i] = (float)gy[0];
      gm += gy[0];
    }
    gm /= (double)B;
    double est[GV_ONESTEP_MAXN] = {0};
    for (size_t i = 0; i < B; ++i) {
      const double c = ((double)dy[i] - gm) / (double)B;
      for (size_t b = 0; b < n; ++b) est[b] += c * ((b == ap[i]) - pi[b]);
    }
    for (size_t b = 0; b + 1 < n; ++b) y[b] += h * est[b];
    /* D: BCE + controllers on [expert | policy], one SGD step */
    memset(xin, 0, 2 * B * n * sizeof(float));
    for (size_t i = 0; i < B; ++i) {
      xin[i * n + ae[i]] = 1.0f;
      xin[(B + i) * n + ap[i]] = 1.0f;
    }
    if ((st = gv_nn_forward(ws, D, xin, (int)(2 * B)))) goto out;
    const float *l = ws->out;
    memset(dy, 0, 2 * B * sizeof(float));
    gv_gail_bce(l, dy, B, l + B, dy + B, B);
    gv_ctl_outputs o = {GV_CTL_SIDE_DISC, B, B, 0, l, l + B, NULL, dy, dy + B, NULL};
    gv_ctl_stack_loss_outputs(&s.ctl, &o);
    gv_nn_zero_grad(D);
    if ((st = gv_nn_backward(D->grad, NULL, D, ws, dy))) goto out;
    for (size_t i = 0; i < D->nparam; ++i) D->param[i] -= (float)s.sp.lr_d * D->grad[i];
    if (!isfinite(gv_nn_vec_norm(D->param, D->nparam)) || !isfinite(x[0])) {
      status = "diverged";
      gv_run_summary_int(rf, "diverged_step", t);
      break;
    }
  }
  gv_progress_done(&pr);
  gv_run_summary_real(rf, "final_tv_sampled", gv_onestep_tv(g, pi));
  gv_run_summary_real(rf, "final_tv_flow", gv_onestep_tv(g, pif));
  gv_run_summary_real(rf, "final_tv_between", os_tv(pi, pif, n));
  gv_run_summary_real(rf, "max_tv_between", max_between);
  gv_run_set_status(rf, status);
  st = gv_run_close(rf);
  rf = NULL;
  if (st) st = gv_fail(err, st, "%s: error writing the run file", path);
  else if (strcmp(status, "completed"))
    st = gv_fail(err, GV_EDIVERGED, "%s: diverged (recorded in the run file)", path);
out:
  if (rf) gv_run_close(rf);
  gv_nn_free(D);
  gv_nn_ws_free(ws);
  gsl_rng *rs[] = {rinit, re, rp};
  for (int i = 0; i < 3; ++i)
    if (rs[i]) gsl_rng_free(rs[i]);
  void *bs[] = {x, F, y, pi, pif, Df, Ds, gy, xin, dy, ae, ap};
  for (size_t i = 0; i < sizeof bs / sizeof bs[0]; ++i) free(bs[i]);
  gv_ctl_stack_free(&s.ctl);
  return st;
}

static gv_status os_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_status st = gv_runread_open(&rr, path, err);
  if (st) return st;
  double a = NAN, b = NAN, c = NAN, d = NAN;
  gv_runread_summary_real(rr, "final_tv_sampled", &a);
  gv_runread_summary_real(rr, "final_tv_flow", &b);
  gv_runread_summary_real(rr, "final_tv_between", &c);
  gv_runread_summary_real(rr, "max_tv_between", &d);
  if (out) {
    fprintf(out, "%s: onestep_sampled\n", path);
    fprintf(out, "  %-40s %.4f / %.4f\n", "final TV(pi, pi_E): sampled / flow", a, b);
    fprintf(out, "  %-40s %.4f (max over the run %.4f)\n", "TV(sampled pi, flow pi)", c, d);
  }
  gv_runread_close(rr);
  return GV_OK;
}

static const gv_column os_table[] = {{"final_tv_sampled", "TV sampled"},
                                     {"final_tv_flow", "TV flow"},
                                     {"max_tv_between", "max TV between"},
                                     {NULL, NULL}};

const gv_experiment gv_exp_onestep_sampled = {
    {"onestep_sampled", "one-step GAIL from samples (bandit, MLP D, softmax policy) next to "
     "its closed-form flow", "Luo et al. 2024 (C-GAIL), arXiv 2402.16349; docs/gail.md", NULL,
     0},
    os_check,
    os_run,
    os_analyze,
    NULL,
    &os_game_component,
    os_table,
};
