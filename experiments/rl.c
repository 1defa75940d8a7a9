/* The `rl` experiment: train an agent (PPO or TD3) on a MuJoCo task, log
 * every update (PPO) or every log_every env steps (TD3), evaluate
 * deterministically, save the policy into the run file;
 * and the commands around it: `governor record` (demonstrations),
 * `governor export` (a standalone policy file), `governor bench env|ppo`.
 *
 *   game:  {kind: rl, env: hopper}
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/demo.h"
#include "agents/ppo.h"
#include "agents/td3.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "envs/vec.h"
#include "experiments/experiment.h"

/* ----------------------------------------------------------------- config */

typedef struct rl_game {
  int env;                  /* index into gv_env_types */
} rl_game;

/* The env names, from envs' registry (filled before main, so `governor
 * list` shows them too). */
static const char *env_choices[32];

__attribute__((constructor)) static void fill_env_choices(void) {
  size_t n = 0;
  for (const gv_env_type *const *t = gv_env_types; *t && n + 1 < 32; ++t)
    env_choices[n++] = (*t)->name;
  env_choices[n] = NULL;
}

static const gv_param game_params[] = {
    GV_PARAM_ENUM(rl_game, env, NULL, env_choices, "MuJoCo task (Gymnasium v5 semantics)"),
    GV_PARAM_END,
};

static const gv_component rl_game_component = {
    "rl", "reinforcement learning on a MuJoCo task", NULL, game_params, sizeof(rl_game)};

static const gv_component *const agent_items[] = {&gv_agent_ppo, &gv_agent_td3, NULL};
static const gv_registry agent_registry = {"agent", "the learner (the config's agent.kind)",
                                           agent_items};

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

typedef struct rl_setup {
  gv_common common;
  rl_game game;
  const gv_component *agent; /* &gv_agent_ppo or &gv_agent_td3 */
  gv_ppo_params ppo;        /* agent.kind ppo */
  gv_td3_params td3;        /* agent.kind td3 */
  rl_run run;
  const gv_env_type *env;
} rl_setup;

/* Line of key in map, else of the section (defaults have no line). */
static int line_or(const gv_node *map, const char *key, int section_line) {
  const int l = gv_map_key_line(map, key);
  return l > 0 ? l : section_line > 0 ? section_line : 1;
}

static gv_status setup_build(rl_setup *s, gv_node *root, const char *file, gv_err *err) {
  memset(s, 0, sizeof *s);
  gv_status st = gv_exp_check_top(root, file, sections, &s->common, err);
  if (st) return st;
  static const gv_component *const games[] = {&rl_game_component, NULL};
  static const gv_registry rl_only = {"game", "", games};
  const gv_component *c;
  if ((st = gv_exp_component(root, file, "game", &rl_only, NULL, &c, &s->game, err))) return st;
  s->env = gv_env_types[s->game.env];
  union {
    gv_ppo_params ppo;
    gv_td3_params td3;
  } ag;
  if ((st = gv_exp_component(root, file, "agent", &agent_registry, "ppo", &s->agent, &ag, err)))
    return st;
  if (s->agent == &gv_agent_td3) s->td3 = ag.td3;
  else s->ppo = ag.ppo;
  gv_node *m;
  if ((st = gv_exp_section(root, file, "run", &m, err))) return st;
  gv_cfg_ctx rctx = {file, "run"};
  if ((st = gv_params_load(run_params, m, NULL, &rctx, &s->run, err))) return st;
  if (s->agent == &gv_agent_td3) return GV_OK; /* no constraint across sections */
  /* the constraints between sections, reported at the offending key */
  gv_cfg_ctx actx = {file, "agent"};
  gv_node *agent = gv_map_get(root, "agent");
  const int aline = gv_map_key_line(root, "agent"), rline = gv_map_key_line(root, "run");
  char where[512];
  if (s->ppo.rollout % s->run.envs) {
    gv_cfg_where(where, sizeof where, &actx, line_or(agent, "rollout", aline), "rollout");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is not a multiple of run.envs = %ld", where,
                   s->ppo.rollout, s->run.envs);
  }
  if (s->ppo.rollout % s->ppo.minibatches) {
    gv_cfg_where(where, sizeof where, &actx, line_or(agent, "minibatches", aline),
                 "minibatches");
    return gv_fail(err, GV_ECONFIG, "%s: rollout %ld is not a multiple of %ld", where,
                   s->ppo.rollout, s->ppo.minibatches);
  }
  if (s->run.steps < s->ppo.rollout) {
    gv_cfg_where(where, sizeof where, &rctx, line_or(m, "steps", rline), "steps");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is less than one rollout (agent.rollout = %ld)",
                   where, s->run.steps, s->ppo.rollout);
  }
  return GV_OK;
}

static gv_status rl_check(gv_node *root, const char *file, gv_err *err) {
  rl_setup s;
  return setup_build(&s, root, file, err);
}

/* -------------------------------------------------------------------- run */

static gv_status rl_run_tree(gv_node *root, const char *file, const char *path, int progress,
                             gv_err *err) {
  rl_setup s;
  gv_status st = setup_build(&s, root, file, err);
  if (st) return st;
  /* we thread ourselves (env copies, the update's second thread); OpenBLAS
   * threads on 64-row products only add synchronisation */
  openblas_set_num_threads(1);
  const uint64_t seed = (uint64_t)s.common.seed;
  const int is_td3 = s.agent == &gv_agent_td3;
  const long updates = is_td3 ? 0 : s.run.steps / s.ppo.rollout;
  gv_env_task *task = NULL;
  gv_ppo *ppo = NULL;
  gv_td3 *td3 = NULL;
  gv_policy *best = NULL;
  gv_runfile *rf = NULL;
  gv_exp_evals ev = {0};
  if ((st = gv_env_task_alloc(&task, s.env->name, NULL, err))) return st;
  if ((st = is_td3 ? gv_td3_alloc(&td3, &s.td3, task, (int)s.run.envs, (int)s.run.threads, seed,
                                  err)
                   : gv_ppo_alloc(&ppo, &s.ppo, task, (int)s.run.envs, (int)s.run.threads, seed,
                                  updates, err))) {
    gv_env_task_free(task);
    return st;
  }
  gv_policy *pi = is_td3 ? gv_td3_policy(td3) : gv_ppo_policy(ppo);
  if ((st = gv_policy_alloc(&best, &pi->actor->spec, pi->env, pi->act_low, pi->act_high, 0, err)))
    goto out;
  best->kind = pi->kind;
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {"rl", s.common.name, yaml, seed, s.run.flush_every};
  st = gv_run_create(&rf, path, &info, err);
  free(yaml);
  if (st) goto out;
  gv_run_summary_str(rf, "env", s.env->name);
  gv_run_summary_str(rf, "agent", s.agent->name);

  static const char *const names[] = {
      "train_return", "train_length", "episodes", "policy_loss", "value_loss", "approx_kl",
      "clip_fraction", "entropy", "explained_variance", "learning_rate", "grad_norm",
      "log_std_mean", "steps_per_second"};
  enum { TR, TL, EPS, PL, VL, KL, CF, ENT, EV, LR, GN, LS, SPS, NSER };
  /* TD3 (docs/td3.md): the first three as PPO's (and the evaluations), then these */
  static const char *const td3_names[] = {
      "critic1_loss", "critic2_loss", "actor_loss", "q1_mean", "q2_mean", "target_mean",
      "updates", "updates_per_second", "steps_per_second"};
  enum { C1, C2, AL, Q1, Q2, YM, UPD, UPS, TSPS, NTD3 };
  int id[NSER], tid[NTD3];
  for (int i = 0; i < PL; ++i) id[i] = gv_run_series(rf, names[i]);
  if ((st = gv_exp_evals_init(&ev, rf, s.run.eval_every, s.run.eval_episodes,
                              (int)s.run.threads, seed, NAN, NAN, err)))
    goto out;
  for (int i = PL; i < NSER; ++i) id[i] = is_td3 ? -1 : gv_run_series(rf, names[i]);
  for (int i = 0; i < NTD3; ++i) tid[i] = is_td3 ? gv_run_series(rf, td3_names[i]) : -1;

  gv_exp_signals_catch();

  gv_progress pr;
  gv_progress_init(&pr, s.common.name, "steps", is_td3 ? s.run.steps : updates * s.ppo.rollout);
  pr.enabled &= progress;
  const char *status = "completed";
  double shown = NAN;
  double t_start = gv_now(), t_roll = 0, t_upd = 0;
  long u;
  /* tests: poison a parameter after this many updates (divergence path;
   * for TD3, iterations of log_every env steps) */
  const long nan_at = getenv("GV_TEST_NAN_AT_UPDATE") ? atol(getenv("GV_TEST_NAN_AT_UPDATE")) : -1;
  for (u = 0; is_td3 ? gv_td3_steps(td3) < s.run.steps : u < updates; ++u) {
    if (u == nan_at) pi->actor->param[0] = NAN;
    gv_ppo_stats ps;
    gv_td3_stats ts;
    double t0 = gv_now();
    gv_status is = is_td3 ? gv_td3_iterate(td3, &ts, err) : gv_ppo_iterate(ppo, &ps, err);
    double dt = gv_now() - t0;
    const long step = is_td3 ? gv_td3_steps(td3) : gv_ppo_steps(ppo);
    if (is_td3) { /* the series below read ps: the shared ones come from ts */
      memset(&ps, 0, sizeof ps);
      ps.episodes = ts.episodes;
      ps.ep_return = ts.ep_return;
      ps.ep_length = ts.ep_length;
      ps.t_rollout = ts.t_env;
      ps.t_update = ts.t_update;
    }
    t_roll += ps.t_rollout;
    t_upd += ps.t_update;
    if (gv_exp_iter_failed(rf, is, step, &status, err)) break;
    if (ps.episodes) {
      gv_run_append(rf, id[TR], step, ps.ep_return);
      gv_run_append(rf, id[TL], step, ps.ep_length);
      shown = ps.ep_return;
    }
    gv_run_append(rf, id[EPS], step, (double)ps.episodes);
    if (is_td3) {
      gv_run_append(rf, tid[C1], step, ts.q1_loss);
      gv_run_append(rf, tid[C2], step, ts.q2_loss);
      if (ts.actor_updates) gv_run_append(rf, tid[AL], step, ts.actor_loss);
      gv_run_append(rf, tid[Q1], step, ts.q1_mean);
      gv_run_append(rf, tid[Q2], step, ts.q2_mean);
      gv_run_append(rf, tid[YM], step, ts.target_mean);
      gv_run_append(rf, tid[UPD], step, (double)gv_td3_updates(td3));
      if (ts.updates && ts.t_update > 0)
        gv_run_append(rf, tid[UPS], step, ts.updates / ts.t_update);
      const long chunk = (s.td3.log_every + s.run.envs - 1) / s.run.envs * s.run.envs;
      gv_run_append(rf, tid[TSPS], step, (double)chunk / dt);
    } else {
    gv_run_append(rf, id[PL], step, ps.pg_loss);
    gv_run_append(rf, id[VL], step, ps.v_loss);
    gv_run_append(rf, id[KL], step, ps.approx_kl);
    gv_run_append(rf, id[CF], step, ps.clip_frac);
    gv_run_append(rf, id[ENT], step, ps.entropy);
    gv_run_append(rf, id[EV], step, ps.explained_var);
    gv_run_append(rf, id[LR], step, ps.lr);
    gv_run_append(rf, id[GN], step, ps.grad_norm);
    double ls = 0;
    for (int j = 0; j < pi->act_dim; ++j) ls += pi->log_std[j];
    gv_run_append(rf, id[LS], step, ls / pi->act_dim);
    gv_run_append(rf, id[SPS], step, (double)s.ppo.rollout / dt);
    }
    const int last = is_td3 ? step >= s.run.steps : u + 1 == updates;
    if (gv_exp_point_end(&ev, rf, step, last, pi, best, task, &status, err)) break;
    gv_progress_update(&pr, step, "return", shown);
  }
  gv_progress_done(&pr);
  gv_exp_signals_restore();
  const double wall = gv_now() - t_start;
  const long steps = is_td3 ? gv_td3_steps(td3) : gv_ppo_steps(ppo);
  gv_run_summary_int(rf, "steps_done", steps);
  if (is_td3) {
    gv_run_summary_int(rf, "updates_done", gv_td3_updates(td3));
    gv_run_summary_real(rf, "updates_per_second", t_upd > 0 ? gv_td3_updates(td3) / t_upd : NAN);
  }
  gv_run_summary_real(rf, "wall_seconds", wall);
  gv_run_summary_real(rf, "rollout_seconds", t_roll);
  gv_run_summary_real(rf, "update_seconds", t_upd);
  /* training throughput: env steps over rollout + update time (evaluation excluded) */
  gv_run_summary_real(rf, "steps_per_second", steps / (t_roll + t_upd > 0 ? t_roll + t_upd : 1));
  gv_exp_evals_summary(&ev, rf);
  char hash[32];
  snprintf(hash, sizeof hash, "fnv1a64:%016llx", (unsigned long long)gv_policy_hash(pi));
  gv_run_summary_str(rf, "policy_hash", hash);
  st = gv_exp_finish_policy_run(rf, status, path, steps, pi, ev.best_step >= 0 ? best : NULL,
                                err);
  rf = NULL;
out:
  if (rf) gv_run_close(rf);
  gv_exp_evals_free(&ev);
  gv_policy_free(best);
  gv_ppo_free(ppo);
  gv_td3_free(td3);
  gv_env_task_free(task);
  return st;
}

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
    rl_check,
    rl_run_tree,
    rl_analyze,
    NULL,
    &rl_game_component,
    rl_table,
};

/* ------------------------------------------------------ record, export */

static int usage_err(const char *msg) {
  fprintf(stderr, "governor: %s\n", msg);
  return 2;
}

/* `governor record RUN_OR_POLICY.h5 --episodes N --out FILE.h5 [--seed S]
 *  [--group G] [--random-episodes R] [--eval-episodes E]` */
int gv_rl_record_main(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *group = "policy";
  long episodes = 25, seed = 0, rnd = 25, evn = 10;
  for (int i = 0; i < argc; ++i) {
    char *end = NULL;
    long *target = NULL;
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
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
      errno = 0;
      *target = strtol(argv[++i], &end, 10);
      if (*end || end == argv[i] || errno || *target < 0 || *target > hi) {
        char m[300];
        snprintf(m, sizeof m, "record: %s expects an integer in [0, %ld]", argv[i - 1], hi);
        return usage_err(m);
      }
    }
  }
  if (in && out && gv_exp_same_file(in, out))
    return usage_err("record: --out is the input file itself");
  if (!in || !out)
    return usage_err("usage: governor record RUN.h5 --episodes N --out FILE.h5 [--seed S] "
                     "[--group policy|policy_best] [--random-episodes R] [--eval-episodes E]");
  if (episodes < 1) return usage_err("record: --episodes must be at least 1");
  gv_err err = {{0}, {0}};
  gv_policy *pi = NULL;
  gv_env_task *task = NULL;
  gv_status st = gv_policy_load_file(&pi, in, group, &err);
  if (!st) st = gv_env_task_alloc(&task, pi->env, NULL, &err);
  gv_demo_summary sum;
  if (!st) {
    openblas_set_num_threads(1);
    gv_demo_opts o = {(int)episodes, (uint64_t)seed, (int)rnd, (int)evn, in, group};
    st = gv_demo_record(out, pi, task, &o, &sum, &err);
  }
  if (!st) {
    printf("%s: %ld episodes of %s (%ld steps), policy %s\n", out, episodes, pi->env, sum.steps,
           sum.hash);
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
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--group") && i + 1 < argc) group = argv[++i];
    else if (argv[i][0] != '-' && !in) in = argv[i];
    else return usage_err("usage: governor export RUN.h5 --out POLICY.h5 [--group G]");
  }
  if (!in || !out) return usage_err("usage: governor export RUN.h5 --out POLICY.h5 [--group G]");
  if (gv_exp_same_file(in, out)) return usage_err("export: --out is the input file itself");
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
  for (const gv_env_type *const *t = gv_env_types; *t; ++t) {
    double raw = 0;
    double r = gv_env_bench((*t)->name, seconds, &raw);
    if (r < 0) {
      bad = 1;
      continue;
    }
    printf("%-18s %14.0f %12.0f %16.0f %8.3f\n", (*t)->name, r, r * (*t)->frame_skip, raw,
           raw > 0 ? r * (*t)->frame_skip / raw : NAN);
  }
  printf("\n(ratio = env steps/s x frame_skip / raw mj_step/s on the same model in the same "
         "process; bar >= 0.90)\n");
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
  double t0 = gv_now();
  if (!st) st = gv_exp_rl.run(root, cfg, path, 0, &err);
  double wall = gv_now() - t0;
  if (st) {
    fprintf(stderr, "governor: bench ppo: %s\n", err.msg);
  } else {
    gv_runread *rr;
    double roll = NAN, upd = NAN, sps = NAN;
    if (gv_runread_open(&rr, path, &err) == GV_OK) {
      gv_runread_summary_real(rr, "rollout_seconds", &roll);
      gv_runread_summary_real(rr, "update_seconds", &upd);
      gv_runread_summary_real(rr, "steps_per_second", &sps);
      gv_runread_close(rr);
    }
    const int K = atoi(gv_cfg_lookup(root, "run.envs")->value);
    const int U = atoi(gv_cfg_lookup(root, "agent.update_threads")->value);
    const double bare = bare_vec_rate("hopper", K, 2, 0.2 * seconds);
    printf("PPO on hopper (configs/experts/hopper.yaml), %ld env steps, K = %d copies, "
           "2 env threads, %d update thread%s:\n", steps, K, U, U > 1 ? "s" : "");
    printf("  wall time %.2f s: rollout %.2f s, update %.2f s\n", wall, roll, upd);
    printf("  %.0f env steps/s end to end (run file included; bar >= 20000; CleanRL ~650)\n",
           steps / wall);
    printf("  rollout %.0f env steps/s; update %.1f ms per 2048-step update\n", steps / roll,
           1e3 * upd / (steps / 2048.0));
    printf("  baseline, same process: bare vector env (K = %d, 2 threads, random actions) "
           "%.0f env steps/s;\n  PPO end to end at %.2fx the bare env\n", K, bare,
           steps / wall / bare);
  }
  unlink(path);
  gv_node_free(root);
  return st ? 1 : 0;
}
