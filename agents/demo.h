/* Evaluating policies and recording demonstrations.
 *
 * Demonstration file (format "governor-demos-1"), N episodes, S = total steps:
 *   /obs             float32 (S x obs_dim)  raw observation before each step
 *   /actions         float32 (S x act_dim)  action taken (the policy mean, clipped)
 *   /rewards         float64 (S)            reward of each step
 *   /terminated      uint8 (S)              the step ended the episode by termination
 *   /truncated       uint8 (S)              the step hit the time limit
 *   /final_obs       float32 (N x obs_dim)  the observation each episode ended on, so
 *                                           next_obs of step i is obs[i + 1] inside an
 *                                           episode and final_obs[e] at its last step
 *   /episode_start   int64 (N)              first row of each episode
 *   /episode_length  int64 (N)
 *   /episode_return  float64 (N)            sum of its rewards (same order, in double)
 *   root attributes: format, env, env_version, policy_hash ("fnv1a64:..."),
 *     hash_algorithm, policy_source, policy_group, seed, episodes, deterministic,
 *     return_mean, return_std (over the N recorded episodes),
 *     random_return_mean, random_return_std, random_episodes (uniform actions),
 *     eval_return_mean, eval_return_std, eval_episodes (gv_policy_evaluate with
 *     the same seed: the policy's score, independent of the recorded set),
 *     governor_version, git_commit, blas_core (the OpenBLAS kernel set the
 *     policy's forward passes ran under; files before 2026-12-05 lack it).
 * Episode e is reset from stream gv_rng_alloc(seed, "record", 0) (one env,
 * episodes in order); the random policy uses streams "random_env" and
 * "random_action". */
#ifndef GV_AGENTS_DEMO_H
#define GV_AGENTS_DEMO_H

#include <stdint.h>

#include "agents/policy.h"
#include "envs/env.h"

#define GV_DEMO_FORMAT "governor-demos-1"

/* Deterministic evaluation (action = mean, statistics frozen) on E copies of
 * task over T threads: one episode per copy, copy k reset from stream
 * gv_rng_alloc(seed, "env", k).  returns (E) gets each episode's return,
 * lengths (E, may be NULL) its length. */
gv_status gv_policy_evaluate(double *returns, long *lengths, const gv_policy *pi,
                             const gv_env_task *task, int episodes, int threads, uint64_t seed,
                             gv_err *err);

/* Returns of `episodes` episodes of uniform random actions in the bounds. */
gv_status gv_random_returns(double *returns, const gv_env_task *task, int episodes,
                            uint64_t seed, gv_err *err);

/* "hopper (Gymnasium Hopper-v5 semantics; governor 0.1.0 abc; MuJoCo 2.2.2; model hopper.xml
 * fnv1a64:...)" into buf. */
void gv_env_version_string(char *buf, size_t size, const gv_env_task *task);

typedef struct gv_demo_opts {
  int episodes;             /* trajectories to record */
  uint64_t seed;            /* reset stream seed */
  int random_episodes;      /* random-policy episodes for the baseline (0: none) */
  int eval_episodes;        /* gv_policy_evaluate episodes, seed o->seed (0: none) */
  const char *source;       /* where the policy came from (a path), for the record */
  const char *group;        /* its group */
} gv_demo_opts;

/* What gv_demo_record measured (means and population stds). */
typedef struct gv_demo_summary {
  double return_mean, return_std;   /* recorded episodes */
  double eval_mean, eval_std;       /* evaluation episodes (NAN when none) */
  double random_mean, random_std;   /* random policy (NAN when none) */
  long steps;                       /* recorded steps */
  char hash[32];                    /* "fnv1a64:..." of the policy */
} gv_demo_summary;

/* Records o->episodes deterministic trajectories of pi on task into path.
 * sum (may be NULL) receives the figures. */
gv_status gv_demo_record(const char *path, const gv_policy *pi, const gv_env_task *task,
                         const gv_demo_opts *o, gv_demo_summary *sum, gv_err *err);

/* Reading back (tests, GAIL): every array in one struct. */
typedef struct gv_demos {
  int obs_dim, act_dim;     /* sizes */
  long steps, episodes;     /* S, N */
  float *obs;               /* S x obs_dim */
  float *actions;           /* S x act_dim */
  double *rewards;          /* S */
  uint8_t *terminated, *truncated; /* S */
  float *final_obs;         /* N x obs_dim */
  int64_t *episode_start, *episode_length; /* N */
  double *episode_return;   /* N */
  char env[64];             /* task name */
  char policy_hash[64];     /* "fnv1a64:..." */
  double eval_return_mean;  /* the recording policy's score (NAN when absent) */
  double random_return_mean;/* the random policy's (NAN when absent) */
} gv_demos;

/* Reads and validates the whole file: every dataset's type and shape
 * against the others, the episodes tiling the rows in order, the flags, and
 * the finiteness of every number; any defect is GV_EINVAL (exit 2) naming it. */
gv_status gv_demos_load(gv_demos *d, const char *path, gv_err *err);
void gv_demos_free(gv_demos *d);

#endif
