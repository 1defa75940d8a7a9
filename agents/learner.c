/* PPO and TD3 behind one learner type table (agents/learner.h). */
#include "agents/learner.h"

#include <math.h>

#include "agents/ppo.h"
#include "agents/td3.h"
#include "core/progress.h"
#include "core/runfile.h"

/* -------------------------------------------------------------------- PPO */

static double log_std_mean(const gv_policy *pi) {
  double ls = 0;
  for (int j = 0; j < pi->act_dim; ++j) ls += pi->log_std[j];
  return ls / pi->act_dim;
}

/* name, unit, description (the series' attributes), value from s
 * (gv_ppo_stats), pi, the chunk l->chunk and dt */
#define PPO_STATS(X)                                                                           \
  X(policy_loss, "1", "PPO clipped surrogate loss, mean over minibatches", s.pg_loss)          \
  X(value_loss, "return^2", "value loss (without vf_coef), mean over minibatches", s.v_loss)   \
  X(approx_kl, "nat", "approximate KL of the update, mean (r - 1) - log r", s.approx_kl)       \
  X(clip_fraction, "1", "share of samples whose ratio was clipped", s.clip_frac)               \
  X(entropy, "nat", "policy entropy, mean over minibatches", s.entropy)                        \
  X(explained_variance, "1", "1 - Var(R - V) / Var(R) over the rollout", s.explained_var)      \
  X(learning_rate, "1", "learning rate used", s.lr)                                            \
  X(grad_norm, "1", "mean global gradient norm before clipping", s.grad_norm)                  \
  X(log_std_mean, "1", "mean log-std of the policy after the update", log_std_mean(pi))        \
  X(steps_per_second, "env steps/s", "env steps over the iteration's wall time (timing)",      \
    (double)l->chunk / dt)

#define STAT_ROW(name, unit, description, expr) {#name, unit, description},
#define STAT_VALUE(name, unit, description, expr) out->stat[i++] = (expr);

static const gv_series_row ppo_stats[] = {PPO_STATS(STAT_ROW){NULL, NULL, NULL}};

static gv_status ppo_alloc(gv_learner *l, const void *params, const gv_env_task *task, int envs,
                           int threads, uint64_t seed, long steps, gv_err *err) {
  const gv_ppo_params *p = params;
  l->chunk = p->rollout;
  return gv_ppo_alloc((gv_ppo **)&l->agent, p, task, envs, threads, seed, steps / p->rollout,
                      err);
}

static void ppo_free(gv_learner *l) { gv_ppo_free(l->agent); }

static gv_status ppo_iterate(gv_learner *l, gv_learner_out *out, gv_err *err) {
  gv_ppo_stats s;
  const double t0 = gv_now();
  const gv_status st = gv_ppo_iterate(l->agent, &s, err);
  const double dt = gv_now() - t0;
  const gv_policy *pi = gv_ppo_policy(l->agent);
  *out = (gv_learner_out){s.episodes, s.ep_return, s.ep_length, s.t_rollout, s.t_update, {0}};
  int i = 0;
  PPO_STATS(STAT_VALUE)
  return st;
}

static gv_policy *ppo_policy(const gv_learner *l) { return gv_ppo_policy(l->agent); }
static long ppo_steps(const gv_learner *l) { return gv_ppo_steps(l->agent); }
static void ppo_ckpt(gv_learner *l, struct gv_ckpt *c) { gv_ppo_ckpt(l->agent, c); }

static gv_status ppo_check(const void *params, const gv_node *root, const char *file, long envs,
                           long steps, gv_err *err) {
  const gv_ppo_params *p = params;
  gv_cfg_ctx actx = {file, "agent"}, rctx = {file, "run"};
  const gv_node *agent = gv_map_get(root, "agent"), *run = gv_map_get(root, "run");
  const int aline = gv_map_key_line(root, "agent"), rline = gv_map_key_line(root, "run");
  char where[512];
  if (p->rollout % envs) {
    gv_cfg_where(where, sizeof where, &actx, gv_map_key_line_or(agent, "rollout", aline),
                 "rollout");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is not a multiple of run.envs = %ld", where,
                   p->rollout, envs);
  }
  if (p->rollout % p->minibatches) {
    gv_cfg_where(where, sizeof where, &actx, gv_map_key_line_or(agent, "minibatches", aline),
                 "minibatches");
    return gv_fail(err, GV_ECONFIG, "%s: rollout %ld is not a multiple of %ld", where,
                   p->rollout, p->minibatches);
  }
  if (steps < p->rollout) {
    gv_cfg_where(where, sizeof where, &rctx, gv_map_key_line_or(run, "steps", rline), "steps");
    return gv_fail(err, GV_ECONFIG, "%s: %ld is less than one rollout (agent.rollout = %ld)",
                   where, steps, p->rollout);
  }
  return GV_OK;
}

static long ppo_end(const void *params, long steps) {
  const long r = ((const gv_ppo_params *)params)->rollout;
  return steps / r * r;
}

const gv_learner_type gv_learner_ppo = {
    &gv_agent_ppo, ppo_stats,  sizeof ppo_stats / sizeof *ppo_stats - 1, ppo_alloc, ppo_free,
    ppo_iterate,   ppo_policy, ppo_steps, ppo_check, ppo_end, NULL, ppo_ckpt};

/* -------------------------------------------------------------------- TD3 */

/* name, unit, description, value from s (gv_td3_stats), the agent td3,
 * l->chunk and dt */
#define TD3_STATS(X)                                                                           \
  X(critic1_loss, "return^2", "mean (Q1 - y)^2 over the chunk's updates", s.q1_loss)           \
  X(critic2_loss, "return^2", "mean (Q2 - y)^2 over the chunk's updates", s.q2_loss)           \
  X(actor_loss, "return", "mean -Q1(s, mu(s)) over the chunk's actor updates",                 \
    s.actor_updates ? s.actor_loss : NAN)                                                      \
  X(q1_mean, "return", "mean Q1 estimate on the sampled batches", s.q1_mean)                   \
  X(q2_mean, "return", "mean Q2 estimate on the sampled batches", s.q2_mean)                   \
  X(target_mean, "return", "mean critic target y", s.target_mean)                              \
  X(updates, "updates", "TD3 gradient steps (critic updates) so far",                          \
    (double)gv_td3_updates(td3))                                                               \
  X(updates_per_second, "updates/s", "the chunk's updates over its update time (timing)",      \
    s.updates && s.t_update > 0 ? s.updates / s.t_update : NAN)                                \
  X(steps_per_second, "env steps/s", "env steps over the chunk's wall time (timing)",          \
    (double)l->chunk / dt)

static const gv_series_row td3_stats[] = {TD3_STATS(STAT_ROW){NULL, NULL, NULL}};

static gv_status td3_alloc(gv_learner *l, const void *params, const gv_env_task *task, int envs,
                           int threads, uint64_t seed, long steps, gv_err *err) {
  (void)steps;
  const gv_td3_params *p = params;
  l->chunk = (p->log_every + envs - 1) / envs * envs;
  return gv_td3_alloc((gv_td3 **)&l->agent, p, task, envs, threads, seed, err);
}

static void td3_free(gv_learner *l) { gv_td3_free(l->agent); }

static gv_status td3_iterate(gv_learner *l, gv_learner_out *out, gv_err *err) {
  gv_td3 *td3 = l->agent;
  gv_td3_stats s;
  const double t0 = gv_now();
  const gv_status st = gv_td3_iterate(td3, &s, err);
  const double dt = gv_now() - t0;
  *out = (gv_learner_out){s.episodes, s.ep_return, s.ep_length, s.t_env, s.t_update, {0}};
  int i = 0;
  TD3_STATS(STAT_VALUE)
  return st;
}

static gv_policy *td3_policy(const gv_learner *l) { return gv_td3_policy(l->agent); }
static long td3_steps(const gv_learner *l) { return gv_td3_steps(l->agent); }

static long td3_end(const void *params, long steps) {
  (void)params;
  return steps;
}

static void td3_summary(const gv_learner *l, gv_runfile *rf, double t_update) {
  const long upd = gv_td3_updates(l->agent);
  gv_run_summary_int(rf, "updates_done", upd);
  gv_run_summary_real(rf, "updates_per_second", t_update > 0 ? upd / t_update : NAN);
}

static void td3_ckpt(gv_learner *l, struct gv_ckpt *c) { gv_td3_ckpt(l->agent, c); }

static gv_status td3_check(const void *params, const gv_node *root, const char *file, long envs,
                           long steps, gv_err *err) {
  const gv_td3_params *p = params;
  if (p->schedule != GV_TD3_SCHEDULE_EPISODE || envs == 1) return GV_OK;
  gv_cfg_ctx rctx = {file, "run"};
  char where[512];
  gv_cfg_where(where, sizeof where, &rctx,
               gv_map_key_line_or(gv_map_get(root, "run"), "envs", gv_map_key_line(root, "run")),
               "envs");
  return gv_fail(err, GV_ECONFIG, "%s: %ld env copies, but agent.schedule episode runs one "
                 "(allowed: 1)", where, envs);
}

const gv_learner_type gv_learner_td3 = {
    &gv_agent_td3, td3_stats,  sizeof td3_stats / sizeof *td3_stats - 1, td3_alloc, td3_free,
    td3_iterate,   td3_policy, td3_steps, td3_check, td3_end, td3_summary, td3_ckpt};

/* ------------------------------------------------------------------ table */

#define GV_LEARNER_TYPE(n) &gv_learner_##n,
#define GV_LEARNER_AGENT(n) &gv_agent_##n,
static const gv_learner_type *const learners[] = {GV_LEARNERS(GV_LEARNER_TYPE) NULL};
static const gv_component *const agent_items[] = {GV_LEARNERS(GV_LEARNER_AGENT) NULL};
const gv_registry gv_agent_registry = {
    "agent", "the learner a run trains (`agent: {kind: NAME, ...}` of rl, gail and dac)",
    agent_items};

const gv_learner_type *gv_learner_find(const gv_component *c) {
  for (const gv_learner_type *const *t = learners; *t; ++t)
    if ((*t)->agent == c) return *t;
  return NULL;
}

void gv_learner_free(gv_learner *l) {
  if (l->type && l->agent) l->type->free(l);
  l->agent = NULL;
}

int gv_learner_rows(const gv_learner_type *t, const gv_series_row *first, gv_series_row *rows) {
  int n = 0;
  while (first[n].name) rows[n] = first[n], n++;
  const int k = n;
  for (int i = 0; t->stats[i].name && i < GV_LEARNER_MAX_STATS; ++i) rows[n++] = t->stats[i];
  rows[n] = (gv_series_row){NULL, NULL, NULL};
  return k;
}
