/* The environment interface: registry, model loading, reset and step.
 *
 * The step follows Gymnasium's MujocoEnv.do_simulation (v5): ctrl := action,
 * frame_skip calls of mj_step, then mj_rnePostConstraint where cfrc_ext is
 * read (ant).  Observation, health and reward are the task's hooks. */
#include "envs/env.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checkpoint.h"
#include "core/rng.h"

#ifndef GV_ASSET_DIR
#define GV_ASSET_DIR "envs/assets"
#endif

#define GV_ENV_TYPE(n) &gv_env_##n,
#define GV_ENV_NAME(n) #n,
const gv_env_type *const gv_env_types[] = {GV_ENVS(GV_ENV_TYPE) NULL};
const char *const gv_env_names[] = {GV_ENVS(GV_ENV_NAME) NULL};

gv_status gv_env_type_find(const gv_env_type **type, const char *name, gv_err *err) {
  *type = NULL;
  for (int i = 0; gv_env_types[i]; ++i)
    if (name && strcmp(gv_env_types[i]->name, name) == 0) {
      *type = gv_env_types[i];
      return GV_OK;
    }
  char list[256] = "";
  for (int i = 0; gv_env_types[i]; ++i) {
    if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, gv_env_types[i]->name, sizeof list - strlen(list) - 1);
  }
  return gv_fail(err, GV_ENOTFOUND, "unknown environment '%s' (allowed: %s)",
                 name ? name : "(null)", list);
}

const char *gv_env_asset_dir(void) {
  const char *dir = getenv("GV_ASSET_DIR");
  return dir && *dir ? dir : GV_ASSET_DIR;
}

/* MuJoCo's handlers.  Its default error handler prints "Press Enter to exit"
 * and blocks on stdin (an allocation failure under a memory limit, a stack
 * overflow in mj_step); its default warning handler appends to
 * MUJOCO_LOG.TXT in the working directory.  governor's error handler turns
 * an error into a governor error: inside gv_env_alloc, gv_env_reset and
 * gv_env_step (the calls into MuJoCo a run makes) it jumps back to the
 * caller, which returns a gv_status with MuJoCo's message; anywhere else it
 * prints the message and exits with status 1.  Warnings are data: counted
 * (gv_env_mujoco_warnings, written to a run's summary as mujoco_warnings
 * when there were any) and echoed to stderr; the numerical-trouble ones are
 * also counted per copy (gv_env.n_mjwarn).  Handlers the application
 * installed first are kept. */
static _Thread_local jmp_buf *catch_point;
static _Thread_local char mj_msg[256];
static atomic_long n_warnings;

static void mujoco_error(const char *msg) {
  snprintf(mj_msg, sizeof mj_msg, "%s", msg);
  if (catch_point) longjmp(*catch_point, 1);
  fprintf(stderr, "governor: MuJoCo error: %s\n", msg);
  exit(1);
}
static void mujoco_warning(const char *msg) {
  atomic_fetch_add(&n_warnings, 1);
  fprintf(stderr, "mujoco warning: %s\n", msg);
}
static void install_handlers(void) {
  if (!mju_user_warning) mju_user_warning = mujoco_warning;
  if (!mju_user_error) mju_user_error = mujoco_error;
}
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

long gv_env_mujoco_warnings(void) { return atomic_load(&n_warnings); }

/* Runs MuJoCo calls between GV_MJ_TRY and GV_MJ_CATCH; a MuJoCo error inside
 * lands in the CATCH block with its message in mj_msg. */
#define GV_MJ_TRY                                 \
  {                                               \
    jmp_buf jb_, *prev_ = catch_point;            \
    if (setjmp(jb_) == 0) {                       \
      catch_point = &jb_;
#define GV_MJ_CATCH                               \
      catch_point = prev_;                        \
    } else {                                      \
      catch_point = prev_;
#define GV_MJ_END \
    }             \
  }

/* ---- options ------------------------------------------------------------- */

const gv_param gv_env_param_table[] = {
    GV_PARAM_BOOL(gv_env_options, include_cfrc_ext_in_observation, "true",
                  "ant: append the 78 clipped contact forces to the observation (105; "
                  "false: 27), as Gymnasium v5's option of that name"),
    GV_PARAM_END,
};

void gv_env_options_defaults(gv_env_options *opts) {
  gv_params_defaults(gv_env_param_table, opts);
}

gv_status gv_env_options_check(const gv_env_type *type, const gv_env_options *opts,
                               gv_err *err) {
  if (!opts->include_cfrc_ext_in_observation && type->cfrc_bodies == 0)
    return gv_fail(err, GV_EINVAL,
                   "include_cfrc_ext_in_observation: %s has no contact forces in its "
                   "observation (only ant has; allowed: true)",
                   type->name);
  return GV_OK;
}

mjModel *gv_env_load_xml(const char *path, char *msg, int size) {
  pthread_once(&handlers_once, install_handlers);
  return mj_loadXML(path, NULL, msg, size);
}

gv_status gv_env_task_alloc(gv_env_task **task, const char *name, const char *asset_dir,
                            gv_err *err) {
  return gv_env_task_alloc_opts(task, name, NULL, asset_dir, err);
}

gv_status gv_env_task_alloc_opts(gv_env_task **task, const char *name,
                                 const gv_env_options *opts, const char *asset_dir,
                                 gv_err *err) {
  *task = NULL;
  const gv_env_type *ty;
  gv_status s = gv_env_type_find(&ty, name, err);
  if (s) return s;
  gv_env_options o;
  if (opts) o = *opts;
  else gv_env_options_defaults(&o);
  if ((s = gv_env_options_check(ty, &o, err))) return s;
  pthread_once(&handlers_once, install_handlers);

  gv_env_task *t = calloc(1, sizeof *t);
  if (!t) return gv_fail(err, GV_ENOMEM, "%s: out of memory", name);
  t->opts = o;
  t->variant = *ty;
  if (ty->cfrc_bodies && !o.include_cfrc_ext_in_observation)
    t->variant.obs_dim -= 6 * ty->cfrc_bodies;
  t->type = &t->variant;
  int n = snprintf(t->path, sizeof t->path, "%s/%s", asset_dir ? asset_dir : gv_env_asset_dir(),
                   ty->model_file);
  if (n < 0 || (size_t)n >= sizeof t->path) {
    free(t);
    return gv_fail(err, GV_EINVAL, "%s: asset path too long", name);
  }
  char msg[1000] = "";
  t->model = mj_loadXML(t->path, NULL, msg, sizeof msg);
  if (!t->model) {
    s = gv_fail(err, GV_EIO, "%s: cannot load %s: %s", name, t->path, msg);
    free(t);
    return s;
  }
  const mjModel *m = t->model;
  /* The hooks index qpos, qvel and cfrc_ext by position: a model that drifted
   * from the type's sizes would be read wrongly, so refuse it here. */
  if (m->nq != ty->nq || m->nv != ty->nv || m->nu != ty->nu || m->nbody != ty->nbody ||
      m->nu != ty->act_dim || m->opt.timestep != ty->timestep) {
    s = gv_fail(err, GV_EIO,
                "%s: %s has nq %d nv %d nu %d nbody %d timestep %g; expected %d %d %d %d %g",
                name, t->path, m->nq, m->nv, m->nu, m->nbody, m->opt.timestep, ty->nq, ty->nv,
                ty->nu, ty->nbody, ty->timestep);
    gv_env_task_free(t);
    return s;
  }
  t->dt = ty->frame_skip * m->opt.timestep;
  *task = t;
  return GV_OK;
}

void gv_env_task_free(gv_env_task *task) {
  if (!task) return;
  if (task->ctx && task->type && task->type->ctx_free) task->type->ctx_free(task->ctx);
  if (task->model) mj_deleteModel(task->model);
  free(task);
}

gv_status gv_env_alloc(gv_env **env, const gv_env_task *task, gv_err *err) {
  *env = NULL;
  gv_env *e = calloc(1, sizeof *e);
  double *obs = calloc(2 * (size_t)task->type->obs_dim, sizeof *obs);
  mjData *volatile d = NULL;
  int failed = 0;
  GV_MJ_TRY
  d = mj_makeData(task->model);
  GV_MJ_CATCH
  d = NULL; /* what MuJoCo allocated before failing is lost */
  failed = 1;
  GV_MJ_END
  const char *why = failed ? mj_msg : "";
  if (!e || !obs || !d) {
    free(e);
    free(obs);
    if (d) mj_deleteData(d);
    return gv_fail(err, GV_ENOMEM, "%s: out of memory for an environment copy%s%s",
                   task->type->name, why[0] ? ": MuJoCo: " : "", why);
  }
  e->task = task;
  e->d = d;
  e->obs = obs; /* obs_dim for the last observation, then obs_dim of scratch */
  *env = e;
  return GV_OK;
}

void gv_env_free(gv_env *env) {
  if (!env) return;
  if (env->d) mj_deleteData(env->d);
  free(env->obs);
  free(env);
}

/* The observation: the type's hook, then (when the type has them and the
 * options keep them) the clipped contact forces of bodies 1..cfrc_bodies,
 * as Gymnasium's ant appends cfrc_ext[1:] clipped to +-1. */
static void observe(double *obs, const gv_env_task *task, const mjData *d) {
  const gv_env_type *ty = task->type;
  ty->observe(task->ctx, obs, task->model, d);
  if (!ty->cfrc_bodies || !task->opts.include_cfrc_ext_in_observation) return;
  const int n = 6 * ty->cfrc_bodies;
  double *out = obs + ty->obs_dim - n;
  const double *f = d->cfrc_ext + 6; /* skip the world body */
  for (int i = 0; i < n; ++i) out[i] = f[i] < -1.0 ? -1.0 : f[i] > 1.0 ? 1.0 : f[i];
}

/* After a MuJoCo error: the copy is unusable until reset (and reported by
 * the vector env). */
static gv_status mj_failed(gv_env *env, gv_err *err) {
  env->done = 1;
  snprintf(env->mj_error, sizeof env->mj_error, "%s", mj_msg);
  return gv_fail(err, GV_EFAILED, "%s: MuJoCo error: %s", env->task->type->name, mj_msg);
}

gv_status gv_env_reset(double *obs, gv_env *env, gsl_rng *rng, gv_err *err) {
  const gv_env_type *ty = env->task->type;
  const mjModel *m = env->task->model;
  if (!rng) return gv_fail(err, GV_EINVAL, "%s: reset needs a random stream", ty->name);
  int failed = 0;
  env->mj_error[0] = 0; /* a reset that succeeds makes the copy usable again */
  GV_MJ_TRY
  mj_resetData(m, env->d);
  ty->reset(env->task->ctx, m, env->d, rng);
  mj_forward(m, env->d); /* Gymnasium's set_state: derived quantities for the obs */
  GV_MJ_CATCH
  failed = 1;
  GV_MJ_END
  if (failed) return mj_failed(env, err);
  observe(env->obs, env->task, env->d);
  if (obs && obs != env->obs) memcpy(obs, env->obs, (size_t)ty->obs_dim * sizeof *obs);
  env->rng = rng;
  env->t = 0;
  env->episodes++;
  env->started = 1;
  env->done = 0;
  env->unstable = 0;
  memset(&env->terms, 0, sizeof env->terms);
  return GV_OK;
}

static int all_finite(const double *x, int n) {
  for (int i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* MuJoCo's numerical-trouble counters: a bad qpos/qvel/qacc makes mj_step
 * reset mjData and carry on, which would otherwise look like a teleport. */
static long bad_warnings(const mjData *d) {
  return (long)d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number +
         d->warning[mjWARN_BADQACC].number + d->warning[mjWARN_BADCTRL].number;
}

gv_status gv_env_step(double *obs, double *reward, int *terminated, int *truncated,
                      gv_env *env, const double *action, gv_err *err) {
  const gv_env_type *ty = env->task->type;
  const mjModel *m = env->task->model;
  mjData *d = env->d;
  if (!env->started) return gv_fail(err, GV_EINVAL, "%s: step before the first reset", ty->name);
  if (env->done)
    return gv_fail(err, GV_EINVAL, "%s: step after the episode ended (step %ld); reset first",
                   ty->name, env->t);
  for (int i = 0; i < ty->act_dim; ++i)
    if (!isfinite(action[i]))
      return gv_fail(err, GV_EINVAL, "%s: action[%d] = %g is not finite", ty->name, i, action[i]);

  double x_before = ty->position ? ty->position(env->task->ctx, m, d) : d->qpos[0];
  long warn_before = bad_warnings(d);
  /* MuJoCo clamps ctrl to ctrlrange inside the actuator model; the control
   * cost sees the action as given, as in Gymnasium. */
  memcpy(d->ctrl, action, (size_t)ty->act_dim * sizeof *d->ctrl);
  int failed = 0;
  GV_MJ_TRY
  for (int k = 0; k < ty->frame_skip; ++k) mj_step(m, d);
  if (ty->needs_cfrc) mj_rnePostConstraint(m, d);
  if (ty->needs_kinematics) mj_kinematics(m, d);
  GV_MJ_CATCH
  failed = 1;
  GV_MJ_END
  if (failed) return mj_failed(env, err);
  env->t++;

  long new_warnings = bad_warnings(d) - warn_before;
  double *scratch = env->obs + ty->obs_dim;
  int unstable = new_warnings > 0 || !all_finite(d->qpos, m->nq) || !all_finite(d->qvel, m->nv);
  if (!unstable) {
    observe(scratch, env->task, d);
    unstable = !all_finite(scratch, ty->obs_dim);
  }
  double r = 0;
  int term;
  if (unstable) {
    /* Divergence is data: count it, end the episode, keep the last finite
     * observation, pay nothing for a step whose state is meaningless. */
    env->unstable = 1;
    env->n_unstable++;
    env->n_mjwarn += new_warnings > 0 ? new_warnings : 0;
    memset(&env->terms, 0, sizeof env->terms);
    term = 1;
  } else {
    int healthy = ty->healthy(env->task->ctx, m, d);
    ty->reward(env->task->ctx, &env->terms, m, d, action, x_before, env->task->dt, healthy);
    const gv_env_terms *tm = &env->terms;
    r = tm->forward + tm->healthy - tm->ctrl_cost - tm->contact_cost - tm->dist_cost;
    term = !healthy;
    memcpy(env->obs, scratch, (size_t)ty->obs_dim * sizeof *scratch);
  }
  int trunc = env->t >= ty->max_steps;
  env->done = term || trunc;
  if (obs && obs != env->obs) memcpy(obs, env->obs, (size_t)ty->obs_dim * sizeof *obs);
  if (reward) *reward = r;
  if (terminated) *terminated = term;
  if (truncated) *truncated = trunc;
  return GV_OK;
}

int gv_env_healthy(const gv_env *env) {
  return env->task->type->healthy(env->task->ctx, env->task->model, env->d);
}

void gv_env_observe(double *obs, const gv_env *env) { observe(obs, env->task, env->d); }

/* ---- throughput ---------------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double gv_env_bench(const char *name, double seconds, double *raw_mjstep_rate) {
  gv_env_task *task = NULL;
  gv_env *env = NULL;
  gsl_rng *rng = gv_rng_alloc(0, "env_bench", 0);
  double *obs = NULL, *acts = NULL;
  double rate = -1;
  if (raw_mjstep_rate) *raw_mjstep_rate = -1;
  if (!rng || gv_env_task_alloc(&task, name, NULL, NULL) || gv_env_alloc(&env, task, NULL))
    goto done;
  const gv_env_type *ty = task->type;
  /* A fixed table of uniform random actions, so both loops pay the same
   * (zero) cost for drawing them and see the same controls. */
  enum { NACT = 4096 };
  obs = malloc((size_t)ty->obs_dim * sizeof *obs);
  acts = malloc((size_t)NACT * ty->act_dim * sizeof *acts);
  if (!obs || !acts) goto done;
  for (int i = 0; i < NACT * ty->act_dim; ++i)
    acts[i] = ty->act_low + (ty->act_high - ty->act_low) * gsl_rng_uniform(rng);

  long steps = 0, episodes = 0;
  double t0 = now_seconds(), elapsed = 0;
  gv_env_reset(obs, env, rng, NULL);
  while (elapsed < seconds) {
    for (int i = 0; i < 256; ++i, ++steps) {
      double r;
      int te, tr;
      gv_env_step(obs, &r, &te, &tr, env, acts + (steps % NACT) * ty->act_dim, NULL);
      if (te || tr) {
        gv_env_reset(obs, env, rng, NULL);
        episodes++;
      }
    }
    elapsed = now_seconds() - t0;
  }
  rate = (double)steps / elapsed;

  /* Raw loop: the same controls held for frame_skip mj_step calls, and a
   * reset at the mean episode length of the loop above, so both loops spend
   * the same share of time falling, lying down and starting over. */
  const mjModel *m = task->model;
  mjData *d = env->d;
  long ep_len = episodes ? steps / episodes : ty->max_steps;
  long raw = 0, envsteps = 0;
  mj_resetData(m, d);
  mj_forward(m, d);
  t0 = now_seconds();
  elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 256; ++i, ++envsteps) {
      memcpy(d->ctrl, acts + (envsteps % NACT) * ty->act_dim, (size_t)ty->act_dim * sizeof *acts);
      for (int k = 0; k < ty->frame_skip; ++k) mj_step(m, d);
      raw += ty->frame_skip;
      if (envsteps % ep_len == ep_len - 1) {
        mj_resetData(m, d);
        mj_forward(m, d);
      }
    }
    elapsed = now_seconds() - t0;
  }
  if (raw_mjstep_rate) *raw_mjstep_rate = (double)raw / elapsed;
done:
  free(obs);
  free(acts);
  gv_env_free(env);
  gv_env_task_free(task);
  if (rng) gsl_rng_free(rng);
  return rate;
}

void gv_env_ckpt(gv_env *env, gv_ckpt *c, const char *name) {
  const mjModel *m = env->task->model;
  mjData *d = env->d;
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  int64_t n[7] = {env->t, env->episodes, env->started, env->done, env->unstable,
                  env->n_unstable, env->n_mjwarn};
  gv_ckpt_longs(&g, "counters", n, 7);
  env->t = n[0], env->episodes = n[1], env->started = (int)n[2], env->done = (int)n[3];
  env->unstable = (int)n[4], env->n_unstable = n[5], env->n_mjwarn = n[6];
  double terms[6] = {env->terms.x_velocity, env->terms.forward, env->terms.healthy,
                     env->terms.ctrl_cost, env->terms.contact_cost, env->terms.dist_cost};
  gv_ckpt_doubles(&g, "terms", terms, 6);
  env->terms = (gv_env_terms){terms[0], terms[1], terms[2], terms[3], terms[4], terms[5]};
  gv_ckpt_doubles(&g, "obs", env->obs, (size_t)env->task->type->obs_dim);
  gv_ckpt_doubles(&g, "time", &d->time, 1);
  gv_ckpt_doubles(&g, "qpos", d->qpos, (size_t)m->nq);
  gv_ckpt_doubles(&g, "qvel", d->qvel, (size_t)m->nv);
  gv_ckpt_doubles(&g, "act", d->act, (size_t)m->na);
  gv_ckpt_doubles(&g, "qacc_warmstart", d->qacc_warmstart, (size_t)m->nv);
  gv_ckpt_doubles(&g, "ctrl", d->ctrl, (size_t)m->nu);
  gv_ckpt_doubles(&g, "qfrc_applied", d->qfrc_applied, (size_t)m->nv);
  gv_ckpt_doubles(&g, "xfrc_applied", d->xfrc_applied, 6 * (size_t)m->nbody);
  gv_ckpt_doubles(&g, "mocap_pos", d->mocap_pos, 3 * (size_t)m->nmocap);
  gv_ckpt_doubles(&g, "mocap_quat", d->mocap_quat, 4 * (size_t)m->nmocap);
  gv_ckpt_doubles(&g, "userdata", d->userdata, (size_t)m->nuserdata);
  int64_t w[mjNWARNING];
  for (int i = 0; i < mjNWARNING; ++i) w[i] = d->warning[i].number;
  gv_ckpt_longs(&g, "warnings", w, mjNWARNING);
  for (int i = 0; i < mjNWARNING; ++i) d->warning[i].number = (int)w[i];
  gv_ckpt_end(&g, c);
}
