/* The `rl` experiment: train an agent (PPO or TD3) on a MuJoCo task, log
 * every update (PPO) or every log_every env steps (TD3), evaluate
 * deterministically, save the policy into the run file;
 * and the commands around it: `governor record` (demonstrations),
 * `governor export` (a standalone policy file), `governor bench env|ppo`.
 *
 *   game:  {kind: rl, env: hopper}          (or env: {kind: mjcf, ...}, envs/mjcf.h)
 *   agent: {kind: ppo, ...}                 (agents/ppo.h, gv_ppo_param_table)
 *   agent: {kind: td3, ...}                 (agents/td3.h, gv_td3_param_table)
 *   run:   {steps, envs, threads, eval_every, eval_episodes, flush_every}
 *
 * Run file (docs/ppo.md, docs/td3.md): series at step = env steps so far;
 * /policy (final) and /policy_best (best evaluation) policy groups
 * (agents/policy.h); /summary with the final and best evaluation. */
#include <cblas.h>
#include <hdf5.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/demo.h"
#include "agents/learner.h"
#include "agents/ppo.h"
#include "agents/td3.h"
#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "envs/mjcf.h"
#include "envs/vec.h"
#include "experiments/drive.h"
#include "experiments/bench.h"
#include "experiments/experiment.h"

/* ----------------------------------------------------------------- config */

typedef struct rl_game {
  int env;                  /* index into gv_env_types */
  int include_cfrc_ext_in_observation; /* envs/env.h gv_env_options */
} rl_game;

/* A policy trained on a task from a config carries the YAML of the
 * resolved game.env mapping, so `governor record` rebuilds that task. */
gv_status gv_exp_env_record(gv_policy *pi, const gv_node *root, gv_err *err) {
  const gv_node *env = gv_cfg_lookup(root, "game.env");
  if (!env || env->kind != GV_NODE_MAP) return GV_OK;
  char *text = gv_cfg_emit(env);
  gv_status st = text ? gv_policy_set_env_config(pi, text) : GV_ENOMEM;
  free(text);
  return st ? gv_fail(err, st, "out of memory for the env config") : GV_OK;
}

static const gv_param game_params[] = {
    {"env", GV_T_ENUM, offsetof(rl_game, env), NULL, 0, 0, GV_P_MAP_OK, gv_env_names,
     "MuJoCo task (Gymnasium v5 semantics), or your own model: {kind: mjcf, xml: FILE, ...} "
     "(docs/envs.md, `governor list env`)"},
    GV_PARAM_BOOL(rl_game, include_cfrc_ext_in_observation, "true",
                  "ant: the 78 clipped contact forces in the observation (105 values; false: "
                  "27, as Ant-v4); Gymnasium v5's option of that name (docs/ppo.md)"),
    GV_PARAM_END,
};

static const gv_component rl_game_component = {
    "rl", "reinforcement learning on a MuJoCo task", NULL, game_params, sizeof(rl_game)};

typedef struct rl_run {
  long steps;               /* total env steps */
  long envs;                /* K env copies */
  long threads;             /* T threads stepping them */
  long eval_every;          /* env steps between evaluations (0: only at the end) */
  long eval_episodes;       /* deterministic episodes per evaluation */
  long flush_every;         /* env steps between run-file flushes */
} rl_run;

static const gv_param run_params[] = {
    GV_PARAM_INT(rl_run, steps, "1000000", 1, 1e12, "total env steps"),
    GV_PARAM_INT(rl_run, envs, "8", 1, 4096, "env copies K (the rollout is split over them)"),
    GV_PARAM_INT(rl_run, threads, "2", 1, 256, "threads stepping the env copies"),
    GV_PARAM_INT(rl_run, eval_every, "50000", 0, 1e12,
                 "env steps between deterministic evaluations (0: only at the end)"),
    GV_PARAM_INT(rl_run, eval_episodes, "10", 0, 10000,
                 "episodes per evaluation (action = mean; 0: no evaluation)"),
    GV_PARAM_INT(rl_run, flush_every, "50000", 1, 1e12, "env steps between run-file flushes"),
    GV_PARAM_END,
};

static const char *const sections[] = {"game", "agent", "run", "plot", NULL};

enum { SEC_AGENT, SEC_RUN };
static const gv_section rl_sections[] = {
    [SEC_AGENT] = {.key = "agent", .help = "the learner", .reg = &gv_agent_registry,
                   .def = "ppo"},
    [SEC_RUN] = GV_SECTION_MAP("run", "env steps, env copies, evaluations, flushes", run_params),
    GV_SECTION_END,
};

typedef struct rl_setup {
  gv_common common;
  rl_game game;
  const gv_component *agent; /* agent.kind */
  const gv_learner_type *learner; /* its learner */
  union {
    gv_ppo_params ppo;
    gv_td3_params td3;
  } ag;                     /* its parameters */
  rl_run run;
  const gv_env_type *env;
  gv_env_task *task;        /* game.env a mapping: its task, loaded by the check (owned) */
} rl_setup;

static gv_status setup_build(rl_setup *s, gv_node *root, const char *file, gv_err *err) {
  memset(s, 0, sizeof *s);
  gv_status st = gv_exp_check_top(root, file, sections, &s->common, err);
  if (st) return st;
  static const gv_component *const games[] = {&rl_game_component, NULL};
  static const gv_registry rl_only = {"game", "", games};
  const gv_component *c;
  if ((st = gv_exp_component(root, file, "game", &rl_only, NULL, &c, &s->game, err)) ||
      (st = gv_env_config(&s->env, &s->task, gv_map_get(root, "game"), s->game.env, file,
                          "game", err)))
    return st;
  {
    const gv_env_options eo = {s->game.include_cfrc_ext_in_observation};
    gv_err why = {{0}, {0}};
    if (gv_env_options_check(s->env, &eo, &why)) {
      gv_node *gm = gv_map_get(root, "game");
      gv_cfg_ctx gctx = {file, "game"};
      char where[512];
      gv_cfg_where(where, sizeof where, &gctx,
                   gm && gv_map_get(gm, "include_cfrc_ext_in_observation")
                       ? gv_map_key_line(gm, "include_cfrc_ext_in_observation")
                       : gv_map_key_line(root, "game"),
                   "include_cfrc_ext_in_observation");
      if (s->task) /* a task from a config: its terms are its observation */
        return gv_fail(err, GV_ECONFIG, "%s: game.env's observation is its list of terms "
                       "(allowed: true; leave out a cfrc_ext term instead)", where);
      return gv_fail(err, GV_ECONFIG, "%s: %s has no contact forces in its observation "
                     "(allowed: true)", where, s->env->name);
    }
  }
  if ((st = gv_exp_load_section(root, file, &rl_sections[SEC_AGENT], &s->agent, &s->ag, err)) ||
      (st = gv_exp_load_section(root, file, &rl_sections[SEC_RUN], NULL, &s->run, err)))
    return st;
  s->learner = gv_learner_find(s->agent);
  if (!s->learner->check) return GV_OK;
  return s->learner->check(&s->ag, root, file, s->run.envs, s->run.steps, err);
}

/* -------------------------------------------------------------------- run */

/* A learner (agents/learner.h) on the env's rewards. */
typedef struct rl_state {
  rl_setup s;
  gv_learner L;
  gv_series_row rows[GV_LEARNER_MAX_STATS + 4]; /* the series: the shared three, the learner's */
  int first;                /* index of the learner's first statistic in rows */
  gv_env_task *task;
  long u, nan_at;           /* iterations; GV_TEST_NAN_AT_UPDATE */
  double t_roll, t_upd;     /* seconds in rollouts (env steps) and updates */
} rl_state;

enum { R_TR, R_TL, R_EPS };
static const gv_series_row rl_first[] = {GV_ROW_TRAIN_RETURN, GV_ROW_TRAIN_LENGTH,
                                         GV_ROW_EPISODES, {NULL, NULL, NULL}};

static gv_status rl_setup_run(void *vg, gv_drive *d, gv_node *root, const char *file, int build,
                              gv_err *err) {
  rl_state *g = vg;
  rl_setup *s = &g->s;
  gv_status st = setup_build(s, root, file, err);
  if (st) return st;
  const void *params = &s->ag;
  g->L.type = s->learner;
  g->first = gv_learner_rows(g->L.type, rl_first, g->rows);
  d->common = s->common;
  d->series = g->rows;
  d->flush_every = s->run.flush_every;
  d->steps = g->L.type->end(params, s->run.steps);
  d->metric = "return";
  if (!g->L.type->ckpt) d->no_ckpt = s->agent->name;
  if (!build) return GV_OK;
  /* we thread ourselves (env copies, the update's second thread); OpenBLAS
   * threads on 64-row products only add synchronisation */
  openblas_set_num_threads(1);
  const gv_env_options eo = {s->game.include_cfrc_ext_in_observation};
  g->task = s->task; /* a task from the config, else the built-in one */
  s->task = NULL;
  if ((!g->task && (st = gv_env_task_alloc_opts(&g->task, s->env->name, &eo, NULL, err))) ||
      (st = g->L.type->alloc(&g->L, params, g->task, (int)s->run.envs, (int)s->run.threads,
                             (uint64_t)s->common.seed, s->run.steps, err)))
    return st;
  d->pi = g->L.type->policy(&g->L);
  d->pi->env_cfrc = s->game.include_cfrc_ext_in_observation; /* saved with the policy: record rebuilds this task */
  if ((st = gv_exp_env_record(d->pi, root, err))) return st;
  d->task = g->task;
  d->eval_every = s->run.eval_every;
  d->eval_episodes = s->run.eval_episodes;
  d->eval_threads = (int)s->run.threads;
  /* tests: poison a parameter after this many iterations (divergence path) */
  g->nan_at = getenv("GV_TEST_NAN_AT_UPDATE") ? atol(getenv("GV_TEST_NAN_AT_UPDATE")) : -1;
  return GV_OK;
}

static gv_status rl_start(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  const rl_state *g = vg;
  gv_run_summary_str(d->rf, "env", g->s.env->name);
  gv_run_summary_str(d->rf, "agent", g->s.agent->name);
  return GV_OK;
}

static gv_status rl_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  (void)until;
  rl_state *g = vg;
  if (g->u++ == g->nan_at) d->pi->actor->param[0] = NAN;
  gv_learner_out o;
  const gv_status st = g->L.type->iterate(&g->L, &o, err);
  d->step = g->L.type->steps(&g->L);
  g->t_roll += o.t_env;
  g->t_upd += o.t_update;
  if (st) return st;
  if (o.episodes) {
    gv_run_append(d->rf, d->id[R_TR], d->step, o.ep_return);
    gv_run_append(d->rf, d->id[R_TL], d->step, o.ep_length);
    d->shown = o.ep_return;
  }
  gv_run_append(d->rf, d->id[R_EPS], d->step, (double)o.episodes);
  gv_drive_points(d, g->first, o.stat, g->L.type->nstats);
  return GV_OK;
}

static gv_status rl_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)status, (void)err;
  const rl_state *g = vg;
  gv_runfile *rf = d->rf;
  gv_run_summary_int(rf, "steps_done", d->step);
  if (g->L.type->summary) g->L.type->summary(&g->L, rf, g->t_upd);
  gv_run_summary_real(rf, "wall_seconds", gv_drive_wall(d));
  gv_run_summary_real(rf, "rollout_seconds", g->t_roll);
  gv_run_summary_real(rf, "update_seconds", g->t_upd);
  /* training throughput: env steps over rollout + update time (evaluation excluded) */
  const double busy = g->t_roll + g->t_upd;
  gv_run_summary_real(rf, "steps_per_second", d->step / (busy > 0 ? busy : 1));
  char hash[32];
  snprintf(hash, sizeof hash, "fnv1a64:%016llx", (unsigned long long)gv_policy_hash(d->pi));
  gv_run_summary_str(rf, "policy_hash", hash);
  return GV_OK;
}

static void rl_teardown(void *vg) {
  rl_state *g = vg;
  gv_learner_free(&g->L);
  gv_env_task_free(g->task);
  gv_env_task_free(g->s.task);
}

/* The learner between two iterations (a PPO rollout and its update, a TD3
 * chunk), the iteration count and the seconds spent so far. */
static gv_status rl_checkpoint(void *vg, gv_drive *d, gv_ckpt *c, gv_err *err) {
  (void)d, (void)err;
  rl_state *g = vg;
  gv_ckpt_long(c, "iterations", &g->u);
  double t[2] = {g->t_roll, g->t_upd};
  gv_ckpt_doubles(c, "seconds", t, 2);
  g->t_roll = t[0], g->t_upd = t[1];
  g->L.type->ckpt(&g->L, c);
  return GV_OK;
}

static const gv_exp_game rl_game_table = {
    .kind = "rl", .size = sizeof(rl_state), .setup = rl_setup_run, .start = rl_start,
    .iterate = rl_iterate, .finish = rl_finish, .teardown = rl_teardown,
    .checkpoint = rl_checkpoint};

GV_EXP_DRIVEN(rl_exp, rl_game_table)

/* --------------------------------------------------------------- analyze */

static double last_value(gv_runread *rr, const char *name, int64_t *at) {
  int64_t *step = NULL;
  double *v = NULL, r = NAN;
  size_t n = 0;
  if (gv_runread_series(rr, name, &step, &v, &n) == GV_OK && n) {
    r = v[n - 1];
    if (at) *at = step[n - 1];
  }
  free(step);
  free(v);
  return r;
}

static gv_status rl_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_status st = gv_runread_open_rw(&rr, path, err);
  if (st) return st;
  char *status = gv_runread_attr(rr, "status"), *name = gv_runread_attr(rr, "name");
  char *env = gv_runread_summary_str(rr, "env"), *agent = gv_runread_summary_str(rr, "agent");
  double em = NAN, es = NAN, bm = NAN, bs = NAN, sps = NAN, done = NAN, bstep = NAN, ep = NAN;
  gv_runread_summary_real(rr, "final_eval_return_mean", &em);
  gv_runread_summary_real(rr, "final_eval_return_std", &es);
  gv_runread_summary_real(rr, "best_eval_return_mean", &bm);
  gv_runread_summary_real(rr, "best_eval_return_std", &bs);
  gv_runread_summary_real(rr, "best_eval_step", &bstep);
  gv_runread_summary_real(rr, "steps_per_second", &sps);
  gv_runread_summary_real(rr, "steps_done", &done);
  gv_runread_summary_real(rr, "eval_episodes", &ep);
  int64_t tr_at = -1;
  double tr = last_value(rr, "train_return", &tr_at);
  /* a killed run has no summary: fall back on the series */
  if (isnan(em)) em = last_value(rr, "eval_return_mean", NULL);
  if (isnan(es)) es = last_value(rr, "eval_return_std", NULL);
  if (isnan(sps)) sps = last_value(rr, "steps_per_second", NULL);
  gv_runread_set_summary_real(rr, "final_eval_return_mean", em);
  gv_runread_set_summary_real(rr, "final_eval_return_std", es);
  gv_runread_set_summary_real(rr, "last_train_return", tr);
  if (out) {
    fprintf(out, "%s: %s (rl %s, %s, %.0f env steps; status %s)\n", path, name ? name : "?",
            env ? env : "?", agent ? agent : "ppo", done, status ? status : "?");
    fprintf(out, "  %-34s %.2f +- %.2f (%.0f deterministic episodes)\n", "final eval return", em,
            es, ep);
    if (!isnan(bm))
      fprintf(out, "  %-34s %.2f +- %.2f at step %.0f (saved as /policy_best)\n",
              "best eval return", bm, bs, bstep);
    fprintf(out, "  %-34s %.2f (at step %lld)\n", "last training return", tr, (long long)tr_at);
    fprintf(out, "  %-34s %.0f\n", "env steps/s (rollout + update)", sps);
    double ups = NAN;
    if (gv_runread_summary_real(rr, "updates_per_second", &ups) == GV_OK && !isnan(ups))
      fprintf(out, "  %-34s %.0f\n", "TD3 updates/s (update time only)", ups);
  }
  free(status);
  free(name);
  free(env);
  free(agent);
  gv_runread_close(rr);
  return GV_OK;
}

static const gv_column rl_table[] = {{"final_eval_return_mean", "final return"},
    {"best_eval_return_mean", "best return"},
    {"steps_per_second", "steps/s"},
    {NULL, NULL}};

const gv_experiment gv_exp_rl = {
    {"rl", "reinforcement learning on a MuJoCo task (PPO or TD3); saves the policy in /policy",
     "Schulman et al. 2017, arXiv 1707.06347; Fujimoto et al. 2018, arXiv 1802.09477; CleanRL",
     NULL, 0},
    rl_exp_check,
    rl_exp_run,
    rl_analyze,
    NULL,
    &rl_game_component,
    rl_table,
    &rl_game_table,
    rl_sections,
};

/* ------------------------------------------------------ record, export */

static int usage_err(const char *msg) {
  fprintf(stderr, "governor: %s\n", msg);
  return 2;
}

/* `governor record RUN_OR_POLICY.h5 --episodes N --out FILE.h5 [--seed S]
 *  [--group G] [--random-episodes R] [--eval-episodes E]` */
/* An existing output file is never replaced without --overwrite: exit 2. */
static int out_exists(const char *cmd, const char *out) {
  fprintf(stderr, "governor: %s: %s exists; nothing was written (replace it with --overwrite, "
          "or give another --out)\n", cmd, out);
  return 2;
}

int gv_rl_record_main(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *group = "policy";
  long episodes = 25, seed = 0, rnd = 25, evn = 10;
  int overwrite = 0;
  for (int i = 0; i < argc; ++i) {
    char *end = NULL;
    long *target = NULL;
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--overwrite")) overwrite = 1;
    else if (!strcmp(argv[i], "--group") && i + 1 < argc) group = argv[++i];
    else if (!strcmp(argv[i], "--episodes") && i + 1 < argc) target = &episodes;
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) target = &seed;
    else if (!strcmp(argv[i], "--random-episodes") && i + 1 < argc) target = &rnd;
    else if (!strcmp(argv[i], "--eval-episodes") && i + 1 < argc) target = &evn;
    else if (argv[i][0] != '-' && !in) in = argv[i];
    else {
      char m[300];
      snprintf(m, sizeof m, "record: unexpected argument '%s'", argv[i]);
      return usage_err(m);
    }
    if (target) {
      const long hi = target == &seed ? 4294967295L : 1000000L; /* int episode counts */
      const long lo = target == &episodes ? 1 : 0;
      errno = 0;
      *target = strtol(argv[++i], &end, 10);
      if (*end || end == argv[i] || errno || *target < lo || *target > hi) {
        char m[300];
        snprintf(m, sizeof m, "record: %s expects an integer in [%ld, %ld]", argv[i - 1], lo, hi);
        return usage_err(m);
      }
    }
  }
  if (in && out && gv_exp_same_file(in, out))
    return usage_err("record: --out is the input file itself");
  if (!in || !out)
    return usage_err("usage: governor record RUN.h5 --episodes N --out FILE.h5 [--seed S] "
                     "[--group policy|policy_best] [--random-episodes R] [--eval-episodes E] "
                     "[--overwrite]");
  if (!overwrite && access(out, F_OK) == 0)
    return out_exists("record", out);
  gv_err err = {{0}, {0}};
  gv_policy *pi = NULL;
  gv_env_task *task = NULL;
  gv_status st = gv_policy_load_file(&pi, in, group, &err);
  if (!st) {
    char where[600];
    snprintf(where, sizeof where, "%s:/%s env_config", in, group);
    st = gv_env_task_rebuild(&task, pi->env, pi->env_config, pi->env_cfrc, where, &err);
  }
  gv_demo_summary sum;
  if (!st) {
    openblas_set_num_threads(1);
    gv_demo_opts o = {(int)episodes, (uint64_t)seed, (int)rnd, (int)evn, in, group};
    st = gv_demo_record(out, pi, task, &o, &sum, &err);
  }
  if (!st) {
    printf("%s: %ld episode%s of %s (%ld steps), policy %s\n", out, episodes,
           episodes == 1 ? "" : "s", pi->env, sum.steps, sum.hash);
    printf("  recorded return   %.2f +- %.2f\n", sum.return_mean, sum.return_std);
    if (evn) printf("  eval return       %.2f +- %.2f (%ld deterministic episodes, seed %ld)\n",
                    sum.eval_mean, sum.eval_std, evn, seed);
    if (rnd) printf("  random policy     %.2f +- %.2f (%ld episodes)\n", sum.random_mean,
                    sum.random_std, rnd);
  }
  gv_env_task_free(task);
  gv_policy_free(pi);
  if (st) fprintf(stderr, "governor: %s\n", err.msg);
  return gv_exit_code(st);
}

/* `governor export RUN.h5 --out POLICY.h5 [--group policy|policy_best]` */
int gv_rl_export_main(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *group = "policy";
  int overwrite = 0;
  static const char use[] = "usage: governor export RUN.h5 --out POLICY.h5 [--group G] "
                            "[--overwrite]";
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--group") && i + 1 < argc) group = argv[++i];
    else if (!strcmp(argv[i], "--overwrite")) overwrite = 1;
    else if (argv[i][0] != '-' && !in) in = argv[i];
    else return usage_err(use);
  }
  if (!in || !out) return usage_err(use);
  if (gv_exp_same_file(in, out)) return usage_err("export: --out is the input file itself");
  if (!overwrite && access(out, F_OK) == 0) return out_exists("export", out);
  gv_err err = {{0}, {0}};
  gv_policy *pi = NULL;
  gv_status st = gv_policy_load_file(&pi, in, group, &err);
  if (!st) st = gv_policy_save_file(out, pi, &err);
  if (!st)
    printf("%s: %s policy (group /policy) from %s:/%s, %ld env steps, fnv1a64:%016llx\n", out,
           pi->env, in, group, pi->steps, (unsigned long long)gv_policy_hash(pi));
  gv_policy_free(pi);
  if (st) fprintf(stderr, "governor: %s\n", err.msg);
  return gv_exit_code(st);
}

/* --------------------------------------------------------------- bench */

int gv_rl_bench_env(double seconds) {
  printf("## governor bench env\n\n");
  printf("%-18s %14s %12s %16s %8s\n", "task", "env steps/s", "x frame_skip", "raw mj_step/s",
         "ratio");
  int bad = 0;
  enum { MAXT = 64 };
  double ratio[MAXT];
  for (const gv_env_type *const *t = gv_env_types; *t && t - gv_env_types < MAXT; ++t) {
    double raw = 0;
    double r = gv_env_bench((*t)->name, seconds, &raw);
    ratio[t - gv_env_types] = NAN;
    if (r < 0) {
      bad = 1;
      continue;
    }
    ratio[t - gv_env_types] = raw > 0 ? r * (*t)->frame_skip / raw : NAN;
    printf("%-18s %14.0f %12.0f %16.0f %8.3f\n", (*t)->name, r, r * (*t)->frame_skip, raw,
           ratio[t - gv_env_types]);
  }
  printf("\n(ratio = env steps/s x frame_skip / raw mj_step/s on the same model in the same "
         "process)\n");
  for (const gv_env_type *const *t = gv_env_types; *t && t - gv_env_types < MAXT; ++t) {
    char what[64];
    snprintf(what, sizeof what, "%s ratio", (*t)->name);
    if (ratio[t - gv_env_types] == ratio[t - gv_env_types])
      bad |= gv_bench_bar(what, ratio[t - gv_env_types], 0.90, 0, "");
  }
  return bad;
}

/* Baseline for bench ppo: the bare vector env (same task, K, T) stepped
 * with uniform random actions for about `seconds`, env steps per second. */
static double bare_vec_rate(const char *name, int K, int T, double seconds) {
  gv_env_task *task = NULL;
  gv_env_vec *vec = NULL;
  gv_err err;
  if (gv_env_task_alloc(&task, name, NULL, &err)) return NAN;
  const gv_env_type *ty = task->type;
  double *obs = malloc(sizeof *obs * (size_t)K * ty->obs_dim);
  double *act = malloc(sizeof *act * (size_t)K * ty->act_dim);
  gsl_rng *r = gv_rng_alloc(0, "bench", 0);
  double rate = NAN;
  if (obs && act && r && !gv_env_vec_alloc(&vec, task, K, T, 0, &err) &&
      !gv_env_vec_reset(obs, vec, &err)) {
    long steps = 0;
    double t0 = gv_now(), t;
    do {
      for (int i = 0; i < 64; ++i) {
        for (int q = 0; q < K * ty->act_dim; ++q)
          act[q] = ty->act_low + (ty->act_high - ty->act_low) * gsl_rng_uniform(r);
        gv_env_vec_step(obs, NULL, NULL, NULL, vec, act, &err);
      }
      steps += 64L * K;
    } while ((t = gv_now() - t0) < seconds);
    rate = steps / t;
  }
  gv_env_vec_free(vec);
  gv_env_task_free(task);
  if (r) gsl_rng_free(r);
  free(obs);
  free(act);
  return rate;
}

int gv_rl_bench_ppo(double seconds) {
  printf("## governor bench ppo\n\n");
  const char *cfg = GV_SOURCE_DIR "/configs/experts/hopper.yaml";
  gv_node *root = NULL;
  gv_err err = {{0}, {0}};
  if (gv_cfg_parse_file(cfg, &root, &err) != GV_OK) {
    fprintf(stderr, "governor: %s\n", err.msg);
    return 2;
  }
  /* about `seconds` of training, no evaluation: the end-to-end training rate */
  long steps = (long)(20000 * seconds) / 2048 * 2048;
  if (steps < 4096) steps = 4096;
  char set[3][64];
  snprintf(set[0], sizeof set[0], "run.steps=%ld", steps);
  snprintf(set[1], sizeof set[1], "run.threads=2");
  snprintf(set[2], sizeof set[2], "run.eval_episodes=0");
  for (int i = 0; i < 3; ++i) gv_cfg_set(root, set[i], &err);
  char path[] = "/tmp/governor-bench-ppo-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  gv_status st = gv_exp_rl.check(root, cfg, &err);
  int missed = 1;
  double t0 = gv_now();
  if (!st) st = gv_exp_rl.run(root, cfg, path, 0, &err);
  double wall = gv_now() - t0;
  if (st) {
    fprintf(stderr, "governor: bench ppo: %s\n", err.msg);
  } else {
    gv_runread *rr;
    double roll = NAN, upd = NAN, sps = NAN;
    if (gv_runread_open_known(&rr, path, &err) == GV_OK) {
      gv_runread_summary_real(rr, "rollout_seconds", &roll);
      gv_runread_summary_real(rr, "update_seconds", &upd);
      gv_runread_summary_real(rr, "steps_per_second", &sps);
      gv_runread_close(rr);
    }
    const int K = atoi(gv_cfg_lookup(root, "run.envs")->value);
    const int U = atoi(gv_cfg_lookup(root, "agent.update_threads")->value);
    const double bare = bare_vec_rate("hopper", K, 2, 0.2 * seconds);
    missed = 0;
    printf("PPO on hopper (configs/experts/hopper.yaml), %ld env steps, K = %d copies, "
           "2 env threads, %d update thread%s:\n", steps, K, U, U > 1 ? "s" : "");
    printf("  wall time %.2f s: rollout %.2f s, update %.2f s\n", wall, roll, upd);
    printf("  %.0f env steps/s end to end (run file included; CleanRL ~650)\n", steps / wall);
    printf("  rollout %.0f env steps/s; update %.1f ms per 2048-step update\n", steps / roll,
           1e3 * upd / (steps / 2048.0));
    printf("  baseline, same process: bare vector env (K = %d, 2 threads, random actions) "
           "%.0f env steps/s;\n  PPO end to end at %.2fx the bare env\n", K, bare,
           steps / wall / bare);
    missed = gv_bench_bar("PPO end to end", steps / wall, 20000, 0, "env steps/s");
  }
  unlink(path);
  gv_node_free(root);
  return st ? 1 : missed;
}
