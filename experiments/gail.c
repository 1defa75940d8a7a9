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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/demo.h"
#include "agents/dac.h"
#include "agents/gail.h"
#include "agents/learner.h"
#include "agents/ppo.h"
#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "envs/mjcf.h"
#include "envs/vec.h"
#include "experiments/drive.h"
#include "experiments/bench.h"
#include "experiments/experiment.h"
#include "experiments/gail_setup.h"

/* ----------------------------------------------------------------- config */

static const gv_param game_params[] = {
    {"env", GV_T_ENUM, offsetof(gail_game, env), NULL, 0, 0, GV_P_MAP_OK, gv_env_names,
     "MuJoCo task (Gymnasium v5 semantics), or your own model: {kind: mjcf, xml: FILE, ...} "
     "(docs/envs.md)"},
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
                 "logged points between state Wasserstein distances (gail: PPO rounds)"),
    GV_PARAM_END,
};

static const char *const sections[] = {"game", "disc", "agent", "controllers", "run", "plot",
                                       NULL};

/* The sections of both games, in the order they are loaded, with each
 * game's own defaults over the shared tables. */
enum { SEC_DISC, SEC_AGENT, SEC_RUN, SEC_CTL };

/* Gulrajani's lambda = 10 is gamma 20 here (gv_nn_penalty's GP coefficient
 * is gamma / 2; docs/mlpgan.md). */
static const gv_param_default gail_ctl_defaults[] = {{"wgan_gp", "gamma", "20"},
                                                     {NULL, NULL, NULL}};
static const char *const gail_agents[] = {"ppo", NULL}, *const dac_agents[] = {"td3", NULL};

#define GAIL_DISC_HELP "the discriminator D(s, a) and its steps (agents/gail.h)"
#define GAIL_AGENT_HELP "the generator"
#define GAIL_CTL_HELP "controllers on D (controllers/ctl.h)"
#define GAIL_RUN_HELP "env steps, env copies, evaluations, flushes"

const gv_section gv_gail_sections[] = {
    [SEC_DISC] = GV_SECTION_MAP("disc", GAIL_DISC_HELP, gv_gail_disc_table),
    [SEC_AGENT] = {.key = "agent", .help = GAIL_AGENT_HELP " (PPO)", .reg = &gv_agent_registry,
                   .kinds = gail_agents, .def = "ppo"},
    [SEC_RUN] = GV_SECTION_MAP("run", GAIL_RUN_HELP, run_params),
    [SEC_CTL] = {.key = "controllers", .help = GAIL_CTL_HELP, .reg = &gv_ctl_registry, .list = 1,
                 .defaults = gail_ctl_defaults},
    GV_SECTION_END,
};

/* DAC's defaults (agents/dac.h, docs/dac.md): a logit reward, one D step of
 * 256 + 256 rows per TD3 update, one env copy, TD3 with absorbing states,
 * Gulrajani's penalty on interpolates (an explicit `controllers: []` turns
 * it off). */
static const gv_param_default dac_disc_defaults[] = {
    {NULL, "reward", "logit"}, {NULL, "updates", "1"}, {NULL, "batch", "256"}, {NULL, NULL, NULL}};
static const gv_param_default dac_run_defaults[] = {
    {NULL, "steps", "1000000"}, {NULL, "envs", "1"},           {NULL, "threads", "1"},
    {NULL, "eval_every", "10000"}, {NULL, "flush_every", "10000"}, {NULL, NULL, NULL}};
static const gv_param_default dac_agent_defaults[] = {{"td3", "absorbing", "true"},
                                                      {NULL, NULL, NULL}};

const gv_section gv_dac_sections[] = {
    [SEC_DISC] = {.key = "disc", .help = GAIL_DISC_HELP, .params = gv_gail_disc_table,
                  .defaults = dac_disc_defaults},
    [SEC_AGENT] = {.key = "agent", .help = GAIL_AGENT_HELP " (TD3 with absorbing states)",
                   .reg = &gv_agent_registry, .kinds = dac_agents, .def = "td3",
                   .defaults = dac_agent_defaults},
    [SEC_RUN] = {.key = "run", .help = GAIL_RUN_HELP, .params = run_params,
                 .defaults = dac_run_defaults},
    [SEC_CTL] = {.key = "controllers", .help = GAIL_CTL_HELP, .reg = &gv_ctl_registry,
                 .def = "[{kind: wgan_gp}]", .list = 1, .defaults = gail_ctl_defaults},
    GV_SECTION_END,
};

/* What a run would refuse about how the demonstrations d are used, refused
 * by the check: more trajectories than the file holds, a subsample step
 * longer than an episode used (which can leave no transition). */
static gv_status check_demo_use(const gail_setup *s, const gv_demos *d, const gv_node *gm,
                                const gv_cfg_ctx *gctx, int gline, gv_err *err) {
  char where[512];
  if (s->game.trajectories > d->episodes) {
    gv_cfg_where(where, sizeof where, gctx, gv_map_key_line_or(gm, "trajectories", gline),
                 "trajectories");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is more than the %ld episodes in '%s' (allowed: "
                   "integers in [1, %ld])", where, s->game.trajectories, d->episodes, s->demos,
                   d->episodes);
  }
  long shortest = -1;
  for (long e = 0; e < s->game.trajectories; ++e)
    if (shortest < 0 || d->episode_length[e] < shortest) shortest = (long)d->episode_length[e];
  if (s->game.subsample > shortest) {
    gv_cfg_where(where, sizeof where, gctx, gv_map_key_line_or(gm, "subsample", gline),
                 "subsample");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is longer than the shortest episode used (%ld "
                   "steps in '%s'; allowed: integers in [1, %ld])", where, s->game.subsample,
                   shortest, s->demos, shortest);
  }
  return GV_OK;
}

gv_status gv_gail_setup(gail_setup *s, gv_node *root, const char *file, int dac, gv_err *err) {
  memset(s, 0, sizeof *s);
  const gv_section *sec = dac ? gv_dac_sections : gv_gail_sections;
  gv_status st = gv_exp_check_top(root, file, sections, &s->common, err);
  if (st) return st;
  gv_node *gm;
  if ((st = gv_exp_section(root, file, "game", &gm, err))) return st;
  gv_cfg_ctx gctx = {file, "game"};
  if ((st = gv_params_load(game_params, gm, game_extra, &gctx, &s->game, err)) ||
      (st = gv_env_config(&s->env, &s->task, gm, s->game.env, file, "game", err)))
    return st;
  if ((st = gv_exp_load_section(root, file, &sec[SEC_DISC], NULL, &s->gail, err))) return st;
  s->gail.trajectories = s->game.trajectories;
  s->gail.subsample = s->game.subsample;
  void *agent_params = dac ? (void *)&s->td3 : &s->ppo;
  if ((st = gv_exp_load_section(root, file, &sec[SEC_AGENT], NULL, agent_params, err)) ||
      (st = gv_exp_load_section(root, file, &sec[SEC_RUN], NULL, &s->run, err)))
    return st;

  char where[512];
  gv_cfg_ctx actx = {file, "agent"};
  gv_node *agent = gv_map_get(root, "agent");
  const int aline = gv_map_key_line(root, "agent");
  const int gline = gv_map_key_line(root, "game");
  if (dac) {
    if (!s->td3.absorbing) {
      gv_cfg_where(where, sizeof where, &actx, gv_map_key_line_or(agent, "absorbing", aline),
                   "absorbing");
      return gv_fail(err, GV_ECONFIG, "%s: DAC needs absorbing states (allowed: true)", where);
    }
    s->gail.absorbing = 1;
    if ((st = gv_learner_td3.check(&s->td3, root, file, s->run.envs, s->run.steps, err)))
      return st;
  } else if ((st = gv_learner_ppo.check(&s->ppo, root, file, s->run.envs, s->run.steps, err))) {
    return st;
  }
  /* the demonstration file: present, of this env */
  if (s->game.demos[0]) snprintf(s->demos, sizeof s->demos, "%s", s->game.demos);
  else snprintf(s->demos, sizeof s->demos, "data/experts/%s-demos.h5", s->env->name);
  gv_cfg_where(where, sizeof where, &gctx, gv_map_key_line_or(gm, "demos", gline), "demos");
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
  const int A = demo.act_dim;
  long outside = -1; /* the first action outside the env's bounds */
  for (long i = 0; outside < 0 && i < demo.steps * A; ++i)
    if (!(demo.actions[i] >= s->env->act_low && demo.actions[i] <= s->env->act_high))
      outside = i / A;
  const double re = s->expert_return, rr = s->random_return;
  if (strcmp(demo.env, s->env->name))
    st = gv_fail(err, GV_ECONFIG, "%s: '%s' holds demonstrations of '%s', not of game.env "
                 "'%s'", where, s->demos, demo.env, s->env->name);
  else if (demo.obs_dim != s->env->obs_dim || A != s->env->act_dim)
    st = gv_fail(err, GV_ECONFIG, "%s: '%s' holds observations of %d and actions of %d "
                 "numbers, env %s has %d and %d", where, s->demos, demo.obs_dim, A,
                 s->env->name, s->env->obs_dim, s->env->act_dim);
  else if (outside >= 0)
    st = gv_fail(err, GV_ECONFIG, "%s: '%s': the action of row %ld lies outside %s's bounds "
                 "[%g, %g]", where, s->demos, outside, s->env->name, s->env->act_low,
                 s->env->act_high);
  else if (!isfinite(re) || !isfinite(rr) || re == rr)
    st = gv_fail(err, GV_ECONFIG, "%s: '%s' lacks the eval_return_mean and "
                 "random_return_mean attributes the normalised return needs", where,
                 s->demos);
  else
    st = check_demo_use(s, &demo, gm, &gctx, gline, err);
  gv_demos_free(&demo);
  if (st) return st;

  gv_cfg_ctx cctx = {file, ""};
  if ((st = gv_exp_load_section(root, file, &sec[SEC_CTL], NULL, NULL, err)) ||
      (st = gv_ctl_stack_load_over(&s->ctl, gv_map_get(root, "controllers"), &cctx,
                                   (uint64_t)s->common.seed, sec[SEC_CTL].defaults, err)))
    return st;
  st = gv_gail_check_controllers_for(&s->ctl, dac ? "dac" : "gail", err);
  st = gv_cfg_locate(st, err, &cctx, root, "controllers");
  if (st) gv_ctl_stack_free(&s->ctl);
  return st;
}

/* ------------------------------------------------- what gail and dac share */

gv_status gv_gail_plan(gail_base *b, gv_drive *d, gv_node *root, const char *file, int dac,
                       int build, gv_err *err) {
  gail_setup *s = &b->s;
  gv_status st = gv_gail_setup(s, root, file, dac, err);
  if (st) return st;
  d->common = s->common;
  d->flush_every = s->run.flush_every;
  d->metric = "norm. return";
  d->eval_every = s->run.eval_every;
  d->eval_episodes = s->run.eval_episodes;
  d->eval_threads = (int)s->run.threads;
  d->r_rand = s->random_return;
  d->span = s->expert_return - s->random_return;
  if (!build) return GV_OK;
  openblas_set_num_threads(1);
  if ((st = gv_demos_load(&b->demos, s->demos, err))) return st;
  b->task = s->task; /* a task from the config, else the built-in one */
  s->task = NULL;
  if (!b->task && (st = gv_env_task_alloc(&b->task, s->env->name, NULL, err))) return st;
  const gv_env_type *t = b->task->type;
  if (b->demos.obs_dim != t->obs_dim || b->demos.act_dim != t->act_dim)
    return gv_fail(err, GV_ECONFIG, "%s: game.demos: '%s' holds observations of %d and "
                   "actions of %d numbers, env %s has %d and %d (did the file change after the "
                   "config was checked?)", file, s->demos, b->demos.obs_dim, b->demos.act_dim,
                   s->env->name, t->obs_dim, t->act_dim);
  d->task = b->task;
  return GV_OK;
}

void gv_gail_start_summary(const gail_base *b, gv_drive *d) {
  gv_run_summary_str(d->rf, "env", b->s.env->name);
  gv_run_summary_str(d->rf, "demos", b->s.demos);
  gv_run_summary_real(d->rf, "expert_return", b->s.expert_return);
  gv_run_summary_real(d->rf, "random_return", b->s.random_return);
}

void gv_gail_log_episodes(gv_drive *d, long episodes, double ret, double len) {
  const long step = d->step;
  if (episodes) {
    const double norm = (ret - d->r_rand) / d->span;
    gv_run_append(d->rf, d->id[G_TR], step, ret);
    gv_run_append(d->rf, d->id[G_NR], step, norm);
    gv_run_append(d->rf, d->id[G_TL], step, len);
    d->shown = norm;
  }
  gv_run_append(d->rf, d->id[G_EPS], step, (double)episodes);
}

void gv_gail_base_free(gail_base *b) {
  gv_env_task_free(b->task);
  gv_env_task_free(b->s.task);
  gv_demos_free(&b->demos);
  gv_ctl_stack_free(&b->s.ctl);
}

/* -------------------------------------------------------------------- run */

/* GAIL and DAC are one composition: a learner (agents/learner.h) whose
 * rewards come from a controlled discriminator.  How D couples to the
 * learner depends on the learner: on PPO it scores each rollout (agents/
 * gail.h's reward hook), on TD3 it steps on the replay buffer before each
 * update and scores the update's batch (agents/dac.h). */
typedef struct imit_disc {
  const gv_learner_type *learner;
  const char *t_env_key;    /* /summary key of the seconds stepping the envs */
  gv_status (*attach)(imit_state *g, gv_err *err);
  void (*before)(imit_state *g);                   /* NULL: nothing */
  /* D's d_expert, d_policy, d_loss, ctl_loss, reward_mean, lr of the
   * iteration just done (NAN: none) */
  void (*stats)(imit_state *g, double *v);
  long (*steps)(const imit_state *g);              /* D steps so far */
  /* the policy's recent states for the distance to the expert's */
  int (*states)(imit_state *g, const float **s);
  void (*start)(imit_state *g, gv_drive *d);       /* /summary at step 0 */
  void (*summary)(const imit_state *g, gv_drive *d); /* NULL: nothing */
} imit_disc;

/* on PPO: D steps inside the rollout's reward hook */
static gv_status ppo_attach(imit_state *g, gv_err *err) {
  const gail_setup *s = &g->b.s;
  gv_status st = gv_gail_alloc(&g->gail, &s->gail, &g->b.demos, &g->b.s.ctl,
                               (uint64_t)s->common.seed, (int)s->ppo.rollout, err);
  if (!st) gv_ppo_set_reward_hook(g->L.agent, gv_gail_reward_hook, g->gail);
  return st;
}

static void ppo_disc_stats(imit_state *g, double *v) {
  const gv_gail_stats *gs = gv_gail_last(g->gail);
  const double w[] = {gs->d_expert, gs->d_policy, gs->d_loss, gs->ctl_loss, gs->reward_mean,
                      gs->lr};
  memcpy(v, w, sizeof w);
}

static long ppo_disc_steps(const imit_state *g) { return gv_gail_steps(g->gail); }

/* the rollout's states: the policy's state distribution this round */
static int ppo_states(imit_state *g, const float **s) {
  *s = gv_ppo_rollout_obs(g->L.agent);
  return (int)g->b.s.ppo.rollout;
}

static void ppo_disc_start(imit_state *g, gv_drive *d) {
  gv_run_summary_int(d->rf, "expert_transitions", gv_gail_expert_rows(g->gail));
}

/* on TD3: DAC's D steps on the replay buffer, rewards of each update's batch */
static gv_status td3_attach(imit_state *g, gv_err *err) {
  const gail_setup *s = &g->b.s;
  gv_status st = gv_dac_attach(&g->dac, g->L.agent, &s->td3, &s->gail, &g->b.demos,
                               &g->b.s.ctl, g->b.task, (uint64_t)s->common.seed, err);
  if (st) return st;
  g->gail = gv_dac_gail(g->dac);
  g->states = calloc((size_t)DAC_DISTANCE_STATES * g->b.task->type->obs_dim, sizeof *g->states);
  return g->states ? GV_OK : gv_fail(err, GV_ENOMEM, "dac: out of memory");
}

static void td3_before(imit_state *g) { gv_dac_begin(g->dac); }

static void td3_disc_stats(imit_state *g, double *v) {
  gv_dac_stats ds;
  gv_dac_end(g->dac, &ds);
  const double w[] = {ds.d_expert, ds.d_policy, ds.d_loss, ds.ctl_loss, ds.reward_mean, ds.lr};
  memcpy(v, w, sizeof w);
  g->t_disc += ds.t_disc;
}

static long td3_disc_steps(const imit_state *g) { return gv_dac_disc_steps(g->dac); }

static int td3_states(imit_state *g, const float **s) {
  *s = g->states;
  return gv_dac_recent_states(g->dac, g->states, DAC_DISTANCE_STATES);
}

static void td3_disc_start(imit_state *g, gv_drive *d) {
  /* as GAIL's: the subsampled transitions; the absorbing rows apart */
  gv_run_summary_int(d->rf, "expert_transitions",
                     gv_gail_expert_rows(g->gail) - gv_gail_absorbing_rows(g->gail));
  gv_run_summary_int(d->rf, "expert_absorbing", gv_gail_absorbing_rows(g->gail));
}

static void td3_disc_summary(const imit_state *g, gv_drive *d) {
  gv_run_summary_real(d->rf, "disc_seconds", g->t_disc);
}

static const imit_disc discs[] = {
    {&gv_learner_ppo, "rollout_seconds", ppo_attach, NULL, ppo_disc_stats, ppo_disc_steps,
     ppo_states, ppo_disc_start, NULL},
    {&gv_learner_td3, "env_seconds", td3_attach, td3_before, td3_disc_stats, td3_disc_steps,
     td3_states, td3_disc_start, td3_disc_summary},
};

static const gv_series_row imit_first[] = {
    GAIL_SERIES, {"disc_steps", "D steps", "discriminator steps so far"}, {NULL, NULL, NULL}};

gv_status gv_imit_setup(imit_state *g, gv_drive *d, gv_node *root, const char *file, int dac,
                        int build, gv_err *err) {
  gail_setup *s = &g->b.s;
  gv_status st = gv_gail_plan(&g->b, d, root, file, dac, build, err);
  if (st) return st;
  const void *params = dac ? (const void *)&s->td3 : &s->ppo;
  g->disc = &discs[dac];
  g->L.type = g->disc->learner;
  g->first = gv_learner_rows(g->L.type, imit_first, g->rows);
  d->series = g->rows;
  d->steps = g->L.type->end(params, s->run.steps);
  d->input = s->demos;
  if (!build) return GV_OK;
  if ((st = g->L.type->alloc(&g->L, params, g->b.task, (int)s->run.envs, (int)s->run.threads,
                             (uint64_t)s->common.seed, s->run.steps, err)) ||
      (st = g->disc->attach(g, err)))
    return st;
  d->pi = g->L.type->policy(&g->L);
  return gv_exp_env_record(d->pi, root, err);
}

gv_status gv_imit_start(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  imit_state *g = vg;
  gv_gail_start_summary(&g->b, d);
  g->disc->start(g, d);
  return GV_OK;
}

gv_status gv_imit_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  (void)until;
  imit_state *g = vg;
  if (g->disc->before) g->disc->before(g);
  gv_learner_out o;
  const gv_status st = g->L.type->iterate(&g->L, &o, err);
  d->step = g->L.type->steps(&g->L);
  g->t_env += o.t_env;
  g->t_upd += o.t_update;
  double v[G_FIRST - G_DE];
  g->disc->stats(g, v);
  if (st) return st;
  gv_gail_log_episodes(d, o.episodes, o.ep_return, o.ep_length);
  if (g->b.u++ % g->b.s.run.distance_every == 0 || d->step >= d->steps) {
    const double t0 = gv_now();
    const float *states;
    const int n = g->disc->states(g, &states);
    if (n > 0) {
      double wd, swd;
      gv_gail_state_distance(g->gail, states, n, &wd, &swd);
      gv_run_append(d->rf, d->id[G_WD], d->step, wd);
      gv_run_append(d->rf, d->id[G_SWD], d->step, swd);
    }
    g->b.t_dist += gv_now() - t0;
  }
  gv_drive_points(d, G_DE, v, G_FIRST - G_DE);
  gv_run_append(d->rf, d->id[G_FIRST], d->step, (double)g->disc->steps(g));
  gv_drive_points(d, g->first, o.stat, g->L.type->nstats);
  return GV_OK;
}

gv_status gv_imit_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)status, (void)err;
  const imit_state *g = vg;
  gv_runfile *rf = d->rf;
  gv_run_summary_int(rf, "steps_done", d->step);
  if (g->L.type->summary) g->L.type->summary(&g->L, rf, g->t_upd);
  gv_run_summary_int(rf, "disc_steps", g->disc->steps(g));
  gv_run_summary_real(rf, "wall_seconds", gv_drive_wall(d));
  gv_run_summary_real(rf, g->disc->t_env_key, g->t_env);
  gv_run_summary_real(rf, "update_seconds", g->t_upd);
  gv_run_summary_real(rf, "distance_seconds", g->b.t_dist);
  if (g->disc->summary) g->disc->summary(g, d);
  /* training throughput: env steps (D's rewards included) and updates
   * (D's steps included); evaluation excluded */
  const double busy = g->t_env + g->t_upd;
  gv_run_summary_real(rf, "steps_per_second", d->step / (busy > 0 ? busy : 1));
  return GV_OK;
}

void gv_imit_teardown(void *vg) {
  imit_state *g = vg;
  free(g->states);
  if (g->dac) gv_dac_free(g->dac);
  else gv_gail_free(g->gail);
  gv_learner_free(&g->L);
  gv_gail_base_free(&g->b);
}

gv_status gv_imit_checkpoint(void *vg, gv_drive *d, gv_ckpt *c, gv_err *err) {
  (void)d, (void)err;
  imit_state *g = vg;
  g->L.type->ckpt(&g->L, c);
  if (g->dac) gv_dac_ckpt(g->dac, c);
  else gv_gail_ckpt(g->gail, c);
  gv_ctl_stack_ckpt(&g->b.s.ctl, c, "controllers");
  gv_ckpt_long(c, "iterations", &g->b.u);
  double t[4] = {g->t_env, g->t_upd, g->t_disc, g->b.t_dist};
  gv_ckpt_doubles(c, "seconds", t, 4);
  g->t_env = t[0], g->t_upd = t[1], g->t_disc = t[2], g->b.t_dist = t[3];
  return GV_OK;
}

static gv_status gail_setup_run(void *g, gv_drive *d, gv_node *root, const char *file,
                                int build, gv_err *err) {
  return gv_imit_setup(g, d, root, file, 0, build, err);
}

static const gv_exp_game gail_game_table = {
    .kind = "gail", .size = sizeof(imit_state), .setup = gail_setup_run, .start = gv_imit_start,
    .iterate = gv_imit_iterate, .finish = gv_imit_finish, .teardown = gv_imit_teardown,
    .checkpoint = gv_imit_checkpoint};

GV_EXP_DRIVEN(gail_exp, gail_game_table)

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
    gail_exp_check,
    gail_exp_run,
    gv_gail_analyze,
    NULL,
    &gv_gail_game_component,
    gv_gail_table,
    &gail_game_table,
    gv_gail_sections,
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
  printf("  %.0f env steps/s end to end (wall %.2f s)\n", rg, wg);
  printf("  baseline, same process: PPO alone (rl, same agent and copies) %.0f env steps/s "
         "(wall %.2f s); GAIL at %.2fx of it\n", rp, wp, rg / rp);
  printf("bench_gail_steps_per_second %.0f\nbench_gail_ppo_steps_per_second %.0f\n", rg, rp);
  gv_node_free(root);
  gv_node_free(rl);
  return gv_bench_bar("GAIL end to end", rg, 15000, 0, "env steps/s");
}
