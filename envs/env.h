/* The environment interface: MuJoCo tasks with Gymnasium v5 semantics.
 *
 * Three layers, after MuJoCo's model/data split and GSL's step types:
 *   gv_env_type  a const method table per task (hopper, walker2d, ...): sizes,
 *                bounds, limits and the hooks that define observation, reward,
 *                health and reset noise;
 *   gv_env_task  a type plus its loaded, immutable mjModel; shared read-only
 *                by every copy and every thread;
 *   gv_env       one copy's episode state: its own mjData, step counter, the
 *                last observation and reward terms, warning counters.
 * The definitions each task follows are summarised in docs/envs.md, which
 * also lists every deliberate difference from Gymnasium. */
#ifndef GV_ENVS_ENV_H
#define GV_ENVS_ENV_H

#include <gsl/gsl_rng.h>
#include <mujoco/mujoco.h>

#include "core/config.h"
#include "core/status.h"

/* The additive parts of one step's reward, kept for inspection and tests:
 * reward = forward + healthy - ctrl_cost - contact_cost - dist_cost. */
typedef struct gv_env_terms {
  double x_velocity;   /* root x velocity over the env step, (x_after - x_before) / dt */
  double forward;      /* forward weight * x_velocity (0 for reacher, pendulum) */
  double healthy;      /* survival bonus paid this step (0 on the terminating step, v5) */
  double ctrl_cost;    /* ctrl weight * |action|^2 */
  double contact_cost; /* ant: 5e-4 * |clip(cfrc_ext[1:], -1, 1)|^2 */
  double dist_cost;    /* reacher: |fingertip - target| after the physics step */
} gv_env_terms;

typedef struct gv_env_type gv_env_type;
typedef struct gv_env_task gv_env_task;
typedef struct gv_env gv_env;

/* A task's method table.  Every hook receives the task's context first:
 * NULL for the built-in tasks (a type has no state of its own, so one table
 * serves any number of copies), the compiled menu for a task read from a
 * config (envs/mjcf.c).  The context is immutable after load and shared by
 * every copy and thread, like the model. */
struct gv_env_type {
  const char *name;       /* "hopper" */
  const char *summary;    /* one line for `governor list` */
  const char *model_file; /* MJCF file name inside the asset directory */
  int obs_dim, act_dim;   /* observation and action sizes */
  double act_low, act_high; /* bounds of every action dimension */
  int max_steps;          /* time limit: truncated = 1 at this step count */
  int frame_skip;         /* mj_step calls per env step */
  double timestep;        /* expected model timestep, checked at load */
  int nq, nv, nu, nbody;  /* expected model sizes, checked at load */
  int needs_cfrc;         /* 1: call mj_rnePostConstraint after the step (cfrc_ext) */
  int cfrc_bodies;        /* >0: obs_dim ends with clip(cfrc_ext, +-1) of bodies
                             1..cfrc_bodies (6 each), appended by env.c after the
                             observe hook unless the task's options leave it out */
  int needs_kinematics;   /* 1: refresh xpos after the step (reward reads body positions) */

  /* qpos, qvel := initial state + reset noise drawn from rng */
  void (*reset)(const void *ctx, const mjModel *m, mjData *d, gsl_rng *rng);
  /* obs from the current state: obs_dim values, or obs_dim - 6 cfrc_bodies
   * when the type has contact forces (env.c appends those) */
  void (*observe)(const void *ctx, double *obs, const mjModel *m, const mjData *d);
  /* 1 if the state is healthy (episode continues), 0 if it terminates */
  int (*healthy)(const void *ctx, const mjModel *m, const mjData *d);
  /* reward terms after the physics step; x_before is the position the
   * forward velocity is measured on, before it */
  void (*reward)(const void *ctx, gv_env_terms *terms, const mjModel *m, const mjData *d,
                 const double *action, double x_before, double dt, int healthy);
  /* that position of the current state (NULL: qpos[0]) */
  double (*position)(const void *ctx, const mjModel *m, const mjData *d);
  /* frees a task's context (NULL: the type has none) */
  void (*ctx_free)(void *ctx);
};

/* The registry of tasks, in a stable order: one X(name) per task, whose
 * method table is gv_env_<name> (envs/tasks.c).  The list of types, the
 * names a config's `game.env` accepts and `governor list env` all come
 * from it, so a new task is its table plus one entry here. */
#define GV_ENVS(X) X(hopper) X(walker2d) X(halfcheetah) X(ant) X(reacher) X(inverted_pendulum)
#define GV_ENV_DECLARE(n) extern const gv_env_type gv_env_##n;
GV_ENVS(GV_ENV_DECLARE)
#undef GV_ENV_DECLARE
/* NULL-terminated, in the order of GV_ENVS: the types and their names (the
 * names are a gv_param enum's choices: an index into one is one into the
 * other). */
extern const gv_env_type *const gv_env_types[];
extern const char *const gv_env_names[];

/* The type called `name`; on failure GV_ENOTFOUND with every valid name. */
gv_status gv_env_type_find(const gv_env_type **type, const char *name, gv_err *err);

/* Directory holding the MJCF files: $GV_ASSET_DIR if set, else the build-time
 * GV_ASSET_DIR (the source tree's envs/assets). */
const char *gv_env_asset_dir(void);

/* Per-task options, Gymnasium's constructor arguments that change what a
 * task computes.  The defaults are v5's. */
typedef struct gv_env_options {
  int include_cfrc_ext_in_observation; /* ant: 1 appends the 78 clipped contact
                                          forces to the observation (obs 105),
                                          0 leaves them out (obs 27); the
                                          contact cost is paid either way */
} gv_env_options;

/* The options as config keys (a game section's env parameters), with their
 * defaults and help; gv_env_options_defaults fills the v5 defaults. */
extern const gv_param gv_env_param_table[];
void gv_env_options_defaults(gv_env_options *opts);

/* GV_EINVAL naming the key when `opts` asks `type` for something it has not
 * (contact forces left out of a task that has none). */
gv_status gv_env_options_check(const gv_env_type *type, const gv_env_options *opts,
                               gv_err *err);

struct gv_env_task {
  const gv_env_type *type; /* method table: `variant`, the type as the options
                              make it (obs_dim), hooks from static storage */
  gv_env_type variant;     /* copy of the registered type with the options applied */
  gv_env_options opts;     /* the options it was loaded with */
  mjModel *model;          /* loaded MJCF, immutable after load (owned) */
  double dt;               /* frame_skip * model timestep: seconds per env step */
  char path[512];          /* the MJCF file loaded */
  void *ctx;               /* the hooks' context (owned; NULL for a built-in task) */
  char name[64];           /* the task's name (variant.name points here) */
};

/* Load the task's model from asset_dir (NULL: gv_env_asset_dir()) and check it
 * against the type's sizes and timestep.  mj_loadXML's message goes to err.
 * gv_env_task_alloc uses the default options; _opts takes them (NULL:
 * defaults) and checks them with gv_env_options_check. */
gv_status gv_env_task_alloc(gv_env_task **task, const char *name, const char *asset_dir,
                            gv_err *err);
gv_status gv_env_task_alloc_opts(gv_env_task **task, const char *name,
                                 const gv_env_options *opts, const char *asset_dir,
                                 gv_err *err);
void gv_env_task_free(gv_env_task *task);

/* mj_loadXML with governor's MuJoCo handlers installed; NULL with MuJoCo's
 * message in msg when it refuses the file. */
mjModel *gv_env_load_xml(const char *path, char *msg, int size);

/* MuJoCo warnings (any text warning, every thread) since the process began. */
long gv_env_mujoco_warnings(void);

struct gv_env {
  const gv_env_task *task; /* shared spec (not owned) */
  mjData *d;               /* MuJoCo state of this copy (owned) */
  gsl_rng *rng;            /* stream used by the last reset (borrowed from the caller) */
  long t;                  /* env steps taken in this episode */
  long episodes;           /* resets so far */
  int started;             /* 1 after the first reset */
  int done;                /* 1 when the episode ended (terminated or truncated) */
  int unstable;            /* 1 if the last step went numerically unstable */
  long n_unstable;         /* warning counter: unstable steps since alloc */
  long n_mjwarn;           /* MuJoCo BADQPOS/BADQVEL/BADQACC warnings since alloc */
  char mj_error[256];      /* the last MuJoCo error in reset or step ("" when none) */
  gv_env_terms terms;      /* reward terms of the last step */
  double *obs;             /* last observation returned (obs_dim) */
};

gv_status gv_env_alloc(gv_env **env, const gv_env_task *task, gv_err *err);
void gv_env_free(gv_env *env);

/* Start an episode: MuJoCo reset, initial state + noise from rng (required),
 * mj_forward, obs (obs_dim) written.  rng is kept as env->rng. */
gv_status gv_env_reset(double *obs, gv_env *env, gsl_rng *rng, gv_err *err);

/* One env step with action (act_dim): ctrl := action, frame_skip mj_step
 * calls, then observation, reward, health and time limit.  terminated and
 * truncated may both be 1 (Gymnasium's TimeLimit does the same).  A
 * non-finite action, a step before reset or after the episode ended gives
 * GV_EINVAL and leaves the state untouched.  If the simulation goes unstable
 * (non-finite state, or MuJoCo's bad qpos/qvel/qacc warnings, after which
 * MuJoCo silently resets mjData) the step reports terminated = 1, reward 0,
 * env->unstable = 1, n_unstable += 1, and obs is the last finite observation:
 * never a NaN.  Any output pointer but obs may be NULL. */
gv_status gv_env_step(double *obs, double *reward, int *terminated, int *truncated,
                      gv_env *env, const double *action, gv_err *err);

/* Health of the current state by the task's rule (1 for tasks that never end). */
int gv_env_healthy(const gv_env *env);

/* Saves or restores (c->writing) the copy's episode counters, last
 * observation and reward terms and its MuJoCo integration state (time,
 * qpos, qvel, act, the solver's warm start qacc_warmstart, ctrl, applied
 * forces, mocap, userdata, warning counters): what the next mj_step reads
 * (core/checkpoint.h). */
struct gv_ckpt;
void gv_env_ckpt(gv_env *env, struct gv_ckpt *c, const char *name);

/* Observation of the current state (obs_dim), without stepping. */
void gv_env_observe(double *obs, const gv_env *env);

/* Throughput: env steps per second through gv_env_step (random actions,
 * resets included) for `seconds`, and in *raw_mjstep_rate (may be NULL)
 * bare mj_step calls per second on the same model with the same actions.
 * Through the interface is efficient when rate * frame_skip approaches the
 * raw rate.  Returns a negative value on failure. */
double gv_env_bench(const char *task, double seconds, double *raw_mjstep_rate);

#endif
