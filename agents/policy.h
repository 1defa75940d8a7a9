/* Gaussian policies with observation normalisation, and what they are made of.
 *
 *   gv_rms     running mean and variance of a vector stream, merged batch by
 *              batch (Chan, Golub & LeVeque 1979, the parallel form used by
 *              Gymnasium's RunningMeanStd), in double;
 *   gv_policy  what an agent acts with and what is shipped as an expert: an
 *              MLP mapping normalised observations to the action mean, a
 *              state-independent log-std, and the frozen observation
 *              statistics.  Saved as one HDF5 group (layout below).
 *              Two kinds: GAUSSIAN (PPO; linear head = the mean, clipped to
 *              the bounds) and DETERMINISTIC (TD3's actor; tanh head scaled
 *              to the bounds, action = (lo + hi)/2 + (hi - lo)/2 * out, no
 *              log-std).
 *
 * A diagonal Gaussian N(mu, diag(exp(log_std))^2):
 *   log p(a) = sum_j [ -(a_j - mu_j)^2 / (2 sigma_j^2) - log sigma_j - log(2 pi) / 2 ]
 *   H        = sum_j [ 1/2 + log(2 pi) / 2 + log sigma_j ]
 *
 * Policy group (e.g. /policy in a run file, /policy in data/experts/TASK-policy.h5):
 *   actor/            the mean network (nn/io.h: param, sizes, activations, ...)
 *   log_std           float32 (act_dim)
 *   obs_mean          float64 (obs_dim)   observation statistics; obs enters the
 *   obs_var           float64 (obs_dim)   net as clip((o - mean) / sqrt(var + eps),
 *                                         -clip_obs, clip_obs)
 *   attrs             format "governor-gaussian-policy-1", env (task name),
 *                     obs_count, obs_eps, clip_obs, norm_obs (0: the statistics
 *                     are ignored), act_low, act_high, hash ("fnv1a64:%016x",
 *                     gv_policy_hash), steps (env steps trained; -1 unknown);
 *                     for a task from a config, env_config (the YAML of its
 *                     resolved env mapping, with the model's absolute path and
 *                     content hash: `governor record` rebuilds the task from it).
 * A deterministic policy group has the same layout without log_std and with
 * format "governor-deterministic-policy-1". */
#ifndef GV_AGENTS_POLICY_H
#define GV_AGENTS_POLICY_H

#include <gsl/gsl_rng.h>
#include <hdf5.h>
#include <stdint.h>

#include "core/status.h"
#include "nn/mlp.h"

/* ------------------------------------------------------------ running stats */

typedef struct gv_rms {
  int dim;                  /* vector size */
  double count;             /* weight seen so far (starts at count0) */
  double *mean;             /* running mean (dim) */
  double *var;              /* running population variance (dim) */
} gv_rms;

/* One allocation; mean 0, var 1, count count0 (Gymnasium: 1e-4, a weak prior
 * that keeps the first normalisation finite). */
gv_status gv_rms_alloc(gv_rms **rms, int dim, double count0, gv_err *err);
void gv_rms_free(gv_rms *rms);
void gv_rms_reset(gv_rms *rms, double count0);
/* Merges a batch x (n x dim, row-major): its mean and population variance are
 * computed by two passes, then combined with the running ones. */
void gv_rms_update(gv_rms *rms, const double *x, int n);
/* out (n x dim) = clip((x - mean) / sqrt(var + eps), -clip, clip) in float. */
void gv_rms_normalize(float *out, const gv_rms *rms, const double *x, int n, double eps,
                      double clip);

/* ------------------------------------------------------------- Gaussian */

/* log p(a | mu, log_std) of one action (dim), accumulated in double. */
double gv_gauss_logp(const float *a, const float *mu, const float *log_std, int dim);
/* Entropy of N(mu, diag(exp(log_std))^2) (independent of mu). */
double gv_gauss_entropy(const float *log_std, int dim);

/* --------------------------------------------------------------- policy */

#define GV_POLICY_FORMAT "governor-gaussian-policy-1"
#define GV_POLICY_FORMAT_DET "governor-deterministic-policy-1"

typedef enum {
  GV_POLICY_GAUSSIAN = 0,   /* PPO: mean (linear head) + log-std */
  GV_POLICY_DETERMINISTIC   /* TD3: tanh head scaled to the bounds, no log-std */
} gv_policy_kind;

typedef struct gv_policy {
  gv_policy_kind kind;      /* GAUSSIAN (the default of gv_policy_alloc) or DETERMINISTIC */
  int obs_dim, act_dim;     /* sizes */
  double act_low, act_high; /* action bounds (every dimension) */
  gv_nn *actor;             /* obs_dim -> hidden -> act_dim, linear head: the mean (owned) */
  float *log_std;           /* state-independent log standard deviation (act_dim;
                               unused and not saved for DETERMINISTIC) */
  gv_rms *obs_rms;          /* observation statistics (obs_dim, owned) */
  int norm_obs;             /* 1: normalise observations with obs_rms */
  double obs_eps;           /* variance floor in the normalisation (1e-8) */
  double clip_obs;          /* clip of normalised observations (10) */
  long steps;               /* env steps trained (-1: unknown) */
  char env[64];             /* task name */
  int env_cfrc;             /* the task's include_cfrc_ext_in_observation (envs/env.h;
                               1, the default, unless the policy was trained without) */
  char *env_config;         /* a task from a config (envs/mjcf.h): the YAML of its
                               resolved env mapping, which rebuilds it (owned; NULL
                               for a built-in task) */
} gv_policy;

/* pi->env_config := a copy of text (NULL or "": none); GV_ENOMEM. */
gv_status gv_policy_set_env_config(gv_policy *pi, const char *text);

/* Allocates a GAUSSIAN policy whose actor has the given spec (input obs_dim,
 * output act_dim); parameters zero, log_std 0, statistics mean 0 var 1 count
 * count0.  Set kind = GV_POLICY_DETERMINISTIC afterwards for a TD3 actor
 * (whose spec should end in tanh). */
gv_status gv_policy_alloc(gv_policy **pi, const gv_nn_spec *actor_spec, const char *env,
                          double act_low, double act_high, double count0, gv_err *err);
void gv_policy_free(gv_policy *pi);
/* Saves or restores (c->writing) the statistics (count, mean, var). */
struct gv_ckpt;
void gv_rms_ckpt(gv_rms *r, struct gv_ckpt *c, const char *name);
/* Saves or restores the actor, log_std, observation statistics and steps
 * (core/checkpoint.h). */
void gv_policy_ckpt(gv_policy *pi, struct gv_ckpt *c, const char *name);
/* dst := src (same spec); GV_EINVAL otherwise. */
gv_status gv_policy_copy(gv_policy *dst, const gv_policy *src);

/* Normalised observations (n x obs_dim floats) as the actor sees them. */
void gv_policy_obs(float *out, const gv_policy *pi, const double *obs, int n);
/* Deterministic actions (n x act_dim): GAUSSIAN, the mean clipped to the
 * bounds; DETERMINISTIC, (lo + hi)/2 + (hi - lo)/2 * out (then clipped, which
 * only matters for rounding).  ws must hold n rows; xbuf n x obs_dim floats
 * of scratch. */
gv_status gv_policy_act_mean(double *act, const gv_policy *pi, gv_nn_ws *ws, float *xbuf,
                             const double *obs, int n);

/* FNV-1a 64 over the bytes of: the actor's spec widths (int32 each, then the
 * layer count), its parameters (float32), log_std (float32; GAUSSIAN only),
 * and, when norm_obs, obs_mean and obs_var (float64), all in host byte order
 * (little-endian on the machines we run).  A DETERMINISTIC policy hashes the
 * same sequence without log_std (a Gaussian policy's hash is unchanged by
 * the deterministic kind's existence).  Identifies a policy's behaviour;
 * written as "fnv1a64:%016llx". */
uint64_t gv_policy_hash(const gv_policy *pi);
/* FNV-1a 64 of a byte string, continuing from h (start: GV_FNV1A64_INIT). */
#define GV_FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t gv_fnv1a64(uint64_t h, const void *data, size_t n);

/* Writes the policy group `name` under loc (replacing one of that name). */
gv_status gv_policy_save(hid_t loc, const char *name, const gv_policy *pi, gv_err *err);
/* Reopens the (closed) run file at path and writes /policy (last) and, when
 * best is not NULL, /policy_best: what the rl and gail runners leave behind. */
gv_status gv_policy_save_run(const char *path, const gv_policy *last, const gv_policy *best,
                             gv_err *err);
/* Allocates and loads the policy stored in group `name` under loc. */
gv_status gv_policy_load(gv_policy **pi, hid_t loc, const char *name, gv_err *err);
/* Same, from a file (a run file or a standalone policy file). */
gv_status gv_policy_load_file(gv_policy **pi, const char *path, const char *name, gv_err *err);
/* Standalone policy file: truncates path and writes the group /policy. */
gv_status gv_policy_save_file(const char *path, const gv_policy *pi, gv_err *err);

/* About the bytes gv_policy_save writes for pi (0 for NULL): what a writer
 * reserves before saving it (core/runfile.h gv_run_reserve). */
size_t gv_policy_bytes(const gv_policy *pi);

#endif
