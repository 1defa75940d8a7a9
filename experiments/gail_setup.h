/* What the `gail` (PPO generator) and `dac` (TD3 generator) experiments
 * share: the config they read, its checks, and the analysis of their run
 * files (experiments/gail.c; the DAC runner is experiments/dac.c). */
#ifndef GV_EXPERIMENTS_GAIL_SETUP_H
#define GV_EXPERIMENTS_GAIL_SETUP_H

#include <stdio.h>

#include "agents/demo.h"
#include "agents/gail.h"
#include "agents/learner.h"
#include "agents/ppo.h"
#include "agents/td3.h"
#include "controllers/ctl.h"
#include "envs/env.h"
#include "experiments/experiment.h"

typedef struct gail_game {
  int env;                  /* index into gv_env_types */
  char demos[GV_STR_MAX];   /* demonstration file ("": data/experts/ENV-demos.h5) */
  long trajectories;        /* demonstration episodes used */
  long subsample;           /* keep every k-th transition */
} gail_game;

typedef struct gail_run {
  long steps;               /* total env steps */
  long envs;                /* K env copies */
  long threads;             /* T threads stepping them */
  long eval_every;          /* env steps between evaluations (0: only at the end) */
  long eval_episodes;       /* deterministic episodes per evaluation */
  long flush_every;         /* env steps between run-file flushes */
  long distance_every;      /* logged points (PPO rounds; DAC: td3.log_every chunks)
                               between state-distance evaluations */
} gail_run;

typedef struct gail_setup {
  gv_common common;
  gail_game game;
  gv_gail_params gail;
  gv_ppo_params ppo;        /* the gail experiment */
  gv_td3_params td3;        /* the dac experiment */
  gail_run run;
  gv_ctl_stack ctl;         /* owned: gv_ctl_stack_free */
  const gv_env_type *env;
  gv_env_task *task;        /* game.env a mapping: its task, loaded by the check (owned) */
  char demos[GV_STR_MAX + 64]; /* resolved path */
  double expert_return;     /* the demonstration file's eval_return_mean */
  double random_return;     /* ... and random_return_mean */
} gail_setup;

/* Checks root (dac: the `dac` experiment, whose own defaults are rows of
 * gv_dac_sections: reward logit, one D step of 256 rows per TD3 update, one
 * env copy, the wgan_gp controller when `controllers` is absent,
 * agent.absorbing true) and fills s.  Writes every default into the tree. */
gv_status gv_gail_setup(gail_setup *s, gv_node *root, const char *file, int dac, gv_err *err);

/* What a gail or dac run holds besides its learner (experiments/drive.h). */
struct gv_drive;
typedef struct gail_base {
  gail_setup s;
  gv_demos demos;
  gv_env_task *task;
  long u;                   /* iterations so far */
  double t_dist;            /* seconds computing state distances */
} gail_base;

/* The series rows (name, unit, description) both runs start with, and
 * their indices in gv_drive.id. */
#define GAIL_SERIES                                                                            \
  GV_ROW_TRAIN_RETURN,                                                                         \
      {"normalised_return", "1",                                                               \
       "(R - R_random) / (R_expert - R_random) of train_return"},                              \
      GV_ROW_TRAIN_LENGTH, GV_ROW_EPISODES,                                                    \
      {"wd_states", "expert std", "mean over state dimensions of the exact 1-D W1, policy to "  \
                                  "expert states"},                                            \
      {"swd_states", "expert std", "sliced W1 between policy and expert states"},              \
      {"d_expert", "1", "mean D = sigmoid(logit) on the expert rows of the D steps"},          \
      {"d_policy", "1", "mean D = sigmoid(logit) on the policy rows of the D steps"},          \
      {"d_loss", "nat", "mean binary cross-entropy of the D steps"},                           \
      {"ctl_loss", "1", "mean controller terms of the D steps"},                               \
      {"reward_mean", "1", "mean imitation reward given to the learner"},                      \
      {"d_lr", "1", "the discriminator's learning rate"}
enum { G_TR, G_NR, G_TL, G_EPS, G_WD, G_SWD, G_DE, G_DP, G_DL, G_CL, G_RM, G_DLR, G_FIRST };

/* gv_gail_setup and the driver's plan (name, flushes, evaluations with the
 * normalised return); with build, the demonstrations and the task too. */
gv_status gv_gail_plan(gail_base *b, struct gv_drive *d, gv_node *root, const char *file,
                       int dac, int build, gv_err *err);
/* /summary: env, demos, expert_return, random_return. */
void gv_gail_start_summary(const gail_base *b, struct gv_drive *d);
/* train_return, normalised_return, train_length (when episodes ended), episodes. */
void gv_gail_log_episodes(struct gv_drive *d, long episodes, double ret, double len);
void gv_gail_base_free(gail_base *b);

/* The run of both: a learner with a discriminator (experiments/gail.c). */
#define DAC_DISTANCE_STATES 2000 /* states per distance evaluation (DAC: the most recent) */
typedef struct imit_disc imit_disc;
typedef struct imit_state {
  gail_base b;
  gv_learner L;
  const imit_disc *disc;    /* how D couples to the learner */
  gv_gail *gail;            /* D (owned unless dac holds it) */
  struct gv_dac *dac;       /* on TD3 */
  float *states;            /* DAC_DISTANCE_STATES recent states (on TD3) */
  gv_series_row rows[G_FIRST + 2 + GV_LEARNER_MAX_STATS]; /* series: GAIL_SERIES, disc_steps,
                                                           the learner's */
  int first;                /* index of the learner's first statistic */
  double t_env, t_upd, t_disc; /* seconds stepping envs, updating, in D (on TD3) */
} imit_state;

/* The driver's methods of both (experiments/drive.h); setup with dac 0
 * (GAIL on PPO) or 1 (DAC on TD3). */
gv_status gv_imit_setup(imit_state *g, struct gv_drive *d, gv_node *root, const char *file,
                        int dac, int build, gv_err *err);
gv_status gv_imit_start(void *g, struct gv_drive *d, gv_err *err);
gv_status gv_imit_iterate(void *g, struct gv_drive *d, long until, gv_err *err);
gv_status gv_imit_finish(void *g, struct gv_drive *d, const char *status, gv_err *err);
void gv_imit_teardown(void *g);
struct gv_ckpt;
gv_status gv_imit_checkpoint(void *g, struct gv_drive *d, struct gv_ckpt *c, gv_err *err);

/* `governor analyze` of a gail or dac run file. */
gv_status gv_gail_analyze(const char *path, FILE *out, gv_err *err);

extern const gv_column gv_gail_table[];     /* `governor sweep` columns of both */
extern const gv_component gv_gail_game_component, gv_dac_game_component;
/* Their sections (disc, agent, run, controllers) with each game's defaults. */
extern const gv_section gv_gail_sections[], gv_dac_sections[];

#endif
