/* Learners behind one type table: PPO and TD3 as one interface, so that an
 * experiment trains "a learner" (rl), or a learner whose rewards come from a
 * discriminator (GAIL on PPO, DAC on TD3), without branching on which.
 *
 * Each learner declares its statistics once, as X-macro rows (agents/
 * learner.c): the row's name is the series a run logs it under and its
 * expression the value of one iteration.  A value that is NAN (no critic
 * update in a TD3 chunk, no actor update, ...) is no point of its series. */
#ifndef GV_AGENTS_LEARNER_H
#define GV_AGENTS_LEARNER_H

#include <stdint.h>

#include "agents/policy.h"
#include "core/config.h"
#include "core/registry.h"
#include "core/runfile.h"
#include "envs/env.h"

struct gv_runfile;
struct gv_ckpt;

/* The rows of the episode statistics every learner's run logs (rl, gail,
 * dac runs), from gv_learner_out. */
#define GV_ROW_TRAIN_RETURN                                                                    \
  { "train_return", "return", "mean raw env return of the episodes that ended in the iteration" }
#define GV_ROW_TRAIN_LENGTH                                                                    \
  { "train_length", "env steps", "mean length of the episodes that ended in the iteration" }
#define GV_ROW_EPISODES { "episodes", "episodes", "episodes that ended in the iteration" }

/* The most statistics a learner declares. */
#define GV_LEARNER_MAX_STATS 16

/* What one iteration did. */
typedef struct gv_learner_out {
  long episodes;            /* episodes that ended */
  double ep_return;         /* their mean raw return (NAN when none) */
  double ep_length;         /* their mean length (NAN when none) */
  double t_env, t_update;   /* seconds stepping the envs (acting, reward hooks) and updating */
  double stat[GV_LEARNER_MAX_STATS]; /* the type's statistics, in its rows' order */
} gv_learner_out;

struct gv_learner;

typedef struct gv_learner_type {
  const gv_component *agent;  /* agent.kind and its parameters */
  const gv_series_row *stats; /* the statistics = series rows (name, unit, description),
                                 up to a NULL name */
  int nstats;                 /* their count */
  /* Builds the agent from its parameters (gv_ppo_params, gv_td3_params) on
   * envs copies of task over threads threads, for a run of `steps` env steps. */
  gv_status (*alloc)(struct gv_learner *l, const void *params, const gv_env_task *task,
                     int envs, int threads, uint64_t seed, long steps, gv_err *err);
  void (*free)(struct gv_learner *l);
  /* One iteration (PPO: a rollout and its update; TD3: log_every env steps
   * with their updates).  GV_EDIVERGED when it blew up. */
  gv_status (*iterate)(struct gv_learner *l, gv_learner_out *out, gv_err *err);
  gv_policy *(*policy)(const struct gv_learner *l);
  long (*steps)(const struct gv_learner *l);  /* env steps taken */
  /* The constraints between its parameters and the run's (envs copies,
   * `steps` env steps), reported at the offending key of root's `agent` or
   * `run` section (NULL: none). */
  gv_status (*check)(const void *params, const gv_node *root, const char *file, long envs,
                     long steps, gv_err *err);
  /* The env steps a run of `steps` ends at (PPO: whole rollouts). */
  long (*end)(const void *params, long steps);
  /* /summary keys of the learner's own (NULL: none); t_update: seconds updating. */
  void (*summary)(const struct gv_learner *l, struct gv_runfile *rf, double t_update);
  /* Saves or restores (c->writing) the agent between iterations
   * (core/checkpoint.h; docs/resume.md).  NULL: it can not be resumed. */
  void (*ckpt)(struct gv_learner *l, struct gv_ckpt *c);
} gv_learner_type;

typedef struct gv_learner {
  const gv_learner_type *type;
  void *agent;              /* gv_ppo * or gv_td3 * */
  long chunk;               /* env steps per iteration */
} gv_learner;

/* The learners, one X(name) each: its type gv_learner_<name> and its agent
 * component gv_agent_<name> (name = agent.kind).  gv_agent_registry and
 * gv_learner_find are made from this list. */
#define GV_LEARNERS(X) X(ppo) X(td3)
#define GV_LEARNER_DECLARE(n) \
  extern const gv_learner_type gv_learner_##n; \
  extern const gv_component gv_agent_##n;
GV_LEARNERS(GV_LEARNER_DECLARE)
#undef GV_LEARNER_DECLARE

/* The one agent registry (`governor list agent`). */
extern const gv_registry gv_agent_registry;

/* The learner type of agent component c (NULL: none). */
const gv_learner_type *gv_learner_find(const gv_component *c);

/* Frees l's agent; l may be zeroed (nothing built). */
void gv_learner_free(gv_learner *l);

/* Its rows: the type's statistics appended to `first` (up to a NULL name),
 * into rows (GV_LEARNER_MAX_STATS + nfirst + 1 entries); returns the index
 * of the first statistic. */
int gv_learner_rows(const gv_learner_type *t, const gv_series_row *first, gv_series_row *rows);

#endif
