/* The six MuJoCo tasks, Gymnasium v5 semantics.
 *
 * Source of every constant: Gymnasium's v5 task definitions (Gymnasium
 * MuJoCo v5: Hopper, Walker2d, HalfCheetah, Ant, Reacher, InvertedPendulum).
 * Each task is one const method table; the file exports only the tables.
 * Differences from Gymnasium are listed in docs/envs.md. */
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "envs/env.h"
#include "envs/task_util.h"

/* Planar walkers (hopper, walker2d, halfcheetah): qpos[1:] then qvel,
 * velocities clipped to +-vclip (0: not clipped). */
static void planar_observe(double *obs, const mjModel *m, const mjData *d, double vclip) {
  for (int i = 1; i < m->nq; ++i) *obs++ = d->qpos[i];
  for (int i = 0; i < m->nv; ++i)
    *obs++ = vclip > 0 ? gv_task_clip(d->qvel[i], -vclip, vclip) : d->qvel[i];
}

/* Locomotion reward: forward_weight * vx + healthy bonus (only while
 * healthy: v5 pays nothing on the terminating step) - ctrl_weight |a|^2. */
static void locomotion_reward(gv_env_terms *t, const mjData *d, const double *a, int nu,
                              double x_before, double dt, int healthy, double healthy_bonus,
                              double ctrl_weight) {
  memset(t, 0, sizeof *t);
  t->x_velocity = (d->qpos[0] - x_before) / dt;
  t->forward = t->x_velocity;
  t->healthy = healthy ? healthy_bonus : 0.0;
  t->ctrl_cost = ctrl_weight * gv_task_sumsq(a, nu);
}

/* ---- Hopper --------------------------------------------------------------
 * obs 11 = qpos[1:] (5) + clip(qvel, +-10) (6); reward vx + 1 - 1e-3 |a|^2;
 * healthy iff every qpos[2:], qvel in (-100, 100), z > 0.7, |angle| < 0.2. */

static void hopper_reset(const void *ctx, const mjModel *m, mjData *d, gsl_rng *rng) {
  gv_task_add_uniform(d->qpos, m->qpos0, m->nq, 5e-3, rng);
  gv_task_add_uniform(d->qvel, NULL, m->nv, 5e-3, rng);
}

static void hopper_observe(const void *ctx, double *obs, const mjModel *m, const mjData *d) {
  planar_observe(obs, m, d, 10.0);
}

static int hopper_healthy(const void *ctx, const mjModel *m, const mjData *d) {
  /* Comparisons are written so that a NaN fails them. */
  for (int i = 2; i < m->nq; ++i)
    if (!(d->qpos[i] > -100.0 && d->qpos[i] < 100.0)) return 0;
  for (int i = 0; i < m->nv; ++i)
    if (!(d->qvel[i] > -100.0 && d->qvel[i] < 100.0)) return 0;
  double z = d->qpos[1], angle = d->qpos[2];
  return z > 0.7 && angle > -0.2 && angle < 0.2;
}

static void hopper_reward(const void *ctx, gv_env_terms *t, const mjModel *m, const mjData *d,
                          const double *a, double x_before, double dt, int healthy) {
  locomotion_reward(t, d, a, m->nu, x_before, dt, healthy, 1.0, 1e-3);
}

const gv_env_type gv_env_hopper = {
    .name = "hopper",
    .summary = "planar one-legged hopper (Gymnasium Hopper-v5)",
    .model_file = "hopper.xml",
    .obs_dim = 11, .act_dim = 3, .act_low = -1, .act_high = 1,
    .max_steps = 1000, .frame_skip = 4, .timestep = 0.002,
    .nq = 6, .nv = 6, .nu = 3, .nbody = 5,
    .reset = hopper_reset, .observe = hopper_observe,
    .healthy = hopper_healthy, .reward = hopper_reward,
};

/* ---- Walker2d ------------------------------------------------------------
 * obs 17 = qpos[1:] (8) + clip(qvel, +-10) (9); reward vx + 1 - 1e-3 |a|^2;
 * healthy iff 0.8 < z < 2.0 and -1 < angle < 1. */

static int walker_healthy(const void *ctx, const mjModel *m, const mjData *d) {
  double z = d->qpos[1], angle = d->qpos[2];
  return z > 0.8 && z < 2.0 && angle > -1.0 && angle < 1.0;
}

const gv_env_type gv_env_walker2d = {
    .name = "walker2d",
    .summary = "planar biped (Gymnasium Walker2d-v5)",
    .model_file = "walker2d.xml",
    .obs_dim = 17, .act_dim = 6, .act_low = -1, .act_high = 1,
    .max_steps = 1000, .frame_skip = 4, .timestep = 0.002,
    .nq = 9, .nv = 9, .nu = 6, .nbody = 8,
    .reset = hopper_reset, .observe = hopper_observe,
    .healthy = walker_healthy, .reward = hopper_reward,
};

/* ---- HalfCheetah ---------------------------------------------------------
 * obs 17 = qpos[1:] (8) + qvel (9), unclipped; reward vx - 0.1 |a|^2; never
 * terminates.  Reset: qpos U(+-0.1), qvel 0.1 N(0, 1). */

static void wide_reset(const void *ctx, const mjModel *m, mjData *d, gsl_rng *rng) {
  gv_task_add_uniform(d->qpos, m->qpos0, m->nq, 0.1, rng);
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = 0.1 * gv_rng_normal(rng);
}

static void cheetah_observe(const void *ctx, double *obs, const mjModel *m, const mjData *d) {
  planar_observe(obs, m, d, 0.0);
}

static int always_healthy(const void *ctx, const mjModel *m, const mjData *d) { return 1; }

static void cheetah_reward(const void *ctx, gv_env_terms *t, const mjModel *m, const mjData *d,
                           const double *a, double x_before, double dt, int healthy) {
  locomotion_reward(t, d, a, m->nu, x_before, dt, 0, 0.0, 0.1);
}

const gv_env_type gv_env_halfcheetah = {
    .name = "halfcheetah",
    .summary = "planar runner (Gymnasium HalfCheetah-v5)",
    .model_file = "halfcheetah.xml",
    .obs_dim = 17, .act_dim = 6, .act_low = -1, .act_high = 1,
    .max_steps = 1000, .frame_skip = 5, .timestep = 0.01,
    .nq = 9, .nv = 9, .nu = 6, .nbody = 8,
    .reset = wide_reset, .observe = cheetah_observe,
    .healthy = always_healthy, .reward = cheetah_reward,
};

/* ---- Ant -----------------------------------------------------------------
 * obs 105 = qpos[2:] (13) + qvel (14) + clip(cfrc_ext of bodies 1..13, +-1)
 * (78), or 27 without the contact forces (include_cfrc_ext_in_observation
 * false; the contact cost stays); reward vx + 1 - 0.5 |a|^2 - 5e-4 |clipped cfrc_ext|^2; healthy iff
 * qpos, qvel finite and 0.2 <= z <= 1.0.  cfrc_ext is filled by
 * mj_rnePostConstraint after the step (needs_cfrc). */

enum { ANT_BODIES = 13 };

/* qpos[2:], qvel; env.c appends the contact forces (cfrc_bodies) when the
 * task's include_cfrc_ext_in_observation is on. */
static void ant_observe(const void *ctx, double *obs, const mjModel *m, const mjData *d) {
  for (int i = 2; i < m->nq; ++i) *obs++ = d->qpos[i];
  for (int i = 0; i < m->nv; ++i) *obs++ = d->qvel[i];
}

static int ant_healthy(const void *ctx, const mjModel *m, const mjData *d) {
  double z = d->qpos[2];
  return gv_task_finite(d->qpos, m->nq) && gv_task_finite(d->qvel, m->nv) && z >= 0.2 &&
         z <= 1.0;
}

static void ant_reward(const void *ctx, gv_env_terms *t, const mjModel *m, const mjData *d,
                       const double *a, double x_before, double dt, int healthy) {
  locomotion_reward(t, d, a, m->nu, x_before, dt, healthy, 1.0, 0.5);
  double c = 0;
  for (int i = 0; i < 6 * ANT_BODIES; ++i) {
    double f = gv_task_clip(d->cfrc_ext[6 + i], -1.0, 1.0);
    c += f * f;
  }
  t->contact_cost = 5e-4 * c;
}

const gv_env_type gv_env_ant = {
    .name = "ant",
    .summary = "quadruped with a free root (Gymnasium Ant-v5)",
    .model_file = "ant.xml",
    .obs_dim = 105, .act_dim = 8, .act_low = -1, .act_high = 1,
    .max_steps = 1000, .frame_skip = 5, .timestep = 0.01,
    .nq = 15, .nv = 14, .nu = 8, .nbody = 14, .needs_cfrc = 1, .cfrc_bodies = ANT_BODIES,
    .reset = wide_reset, .observe = ant_observe,
    .healthy = ant_healthy, .reward = ant_reward,
};

/* ---- Reacher -------------------------------------------------------------
 * obs 10 = cos q0, cos q1, sin q0, sin q1, target x, y, joint velocities (2),
 * fingertip - target (x, y); reward -|fingertip - target| - |a|^2 after the
 * physics step; never terminates; 50 steps.  Body positions are refreshed
 * after the step (needs_kinematics): mj_step leaves xpos at the configuration
 * its last force evaluation saw, not at the final qpos. */

enum { REACHER_FINGERTIP = 3, REACHER_TARGET = 4 }; /* body ids, checked by the tests */

static void reacher_reset(const void *ctx, const mjModel *m, mjData *d, gsl_rng *rng) {
  gv_task_add_uniform(d->qpos, m->qpos0, m->nq, 0.1, rng);
  double gx, gy;
  do { /* rejection: uniform in the disc of radius 0.2 */
    gx = gv_task_uniform(rng, -0.2, 0.2);
    gy = gv_task_uniform(rng, -0.2, 0.2);
  } while (!(gx * gx + gy * gy < 0.2 * 0.2));
  d->qpos[2] = gx;
  d->qpos[3] = gy;
  gv_task_add_uniform(d->qvel, NULL, m->nv, 5e-3, rng);
  d->qvel[2] = d->qvel[3] = 0; /* the target does not move */
}

static void reacher_observe(const void *ctx, double *obs, const mjModel *m, const mjData *d) {
  const double *tip = d->xpos + 3 * REACHER_FINGERTIP, *goal = d->xpos + 3 * REACHER_TARGET;
  obs[0] = cos(d->qpos[0]);
  obs[1] = cos(d->qpos[1]);
  obs[2] = sin(d->qpos[0]);
  obs[3] = sin(d->qpos[1]);
  obs[4] = d->qpos[2];
  obs[5] = d->qpos[3];
  obs[6] = d->qvel[0];
  obs[7] = d->qvel[1];
  obs[8] = tip[0] - goal[0];
  obs[9] = tip[1] - goal[1];
}

static void reacher_reward(const void *ctx, gv_env_terms *t, const mjModel *m, const mjData *d,
                           const double *a, double x_before, double dt, int healthy) {
  const double *tip = d->xpos + 3 * REACHER_FINGERTIP, *goal = d->xpos + 3 * REACHER_TARGET;
  double v[3] = {tip[0] - goal[0], tip[1] - goal[1], tip[2] - goal[2]};
  memset(t, 0, sizeof *t);
  t->dist_cost = sqrt(gv_task_sumsq(v, 3));
  t->ctrl_cost = gv_task_sumsq(a, m->nu);
}

const gv_env_type gv_env_reacher = {
    .name = "reacher",
    .summary = "two-link arm reaching a random target (Gymnasium Reacher-v5)",
    .model_file = "reacher.xml",
    .obs_dim = 10, .act_dim = 2, .act_low = -1, .act_high = 1,
    .max_steps = 50, .frame_skip = 2, .timestep = 0.01,
    .nq = 4, .nv = 4, .nu = 2, .nbody = 5, .needs_kinematics = 1,
    .reset = reacher_reset, .observe = reacher_observe,
    .healthy = always_healthy, .reward = reacher_reward,
};

/* ---- InvertedPendulum ----------------------------------------------------
 * obs 4 = qpos + qvel; reward 1 per step except the terminating one (v5);
 * ends when the state is not finite or |pole angle| > 0.2. */

static void pendulum_reset(const void *ctx, const mjModel *m, mjData *d, gsl_rng *rng) {
  gv_task_add_uniform(d->qpos, m->qpos0, m->nq, 0.01, rng);
  gv_task_add_uniform(d->qvel, NULL, m->nv, 0.01, rng);
}

static void pendulum_observe(const void *ctx, double *obs, const mjModel *m, const mjData *d) {
  obs[0] = d->qpos[0];
  obs[1] = d->qpos[1];
  obs[2] = d->qvel[0];
  obs[3] = d->qvel[1];
}

static int pendulum_healthy(const void *ctx, const mjModel *m, const mjData *d) {
  return gv_task_finite(d->qpos, m->nq) && gv_task_finite(d->qvel, m->nv) &&
         fabs(d->qpos[1]) <= 0.2;
}

static void pendulum_reward(const void *ctx, gv_env_terms *t, const mjModel *m, const mjData *d,
                            const double *a, double x_before, double dt, int healthy) {
  memset(t, 0, sizeof *t);
  t->healthy = healthy ? 1.0 : 0.0;
}

const gv_env_type gv_env_inverted_pendulum = {
    .name = "inverted_pendulum",
    .summary = "cart-pole balancing (Gymnasium InvertedPendulum-v5)",
    .model_file = "inverted_pendulum.xml",
    .obs_dim = 4, .act_dim = 1, .act_low = -3, .act_high = 3,
    .max_steps = 1000, .frame_skip = 2, .timestep = 0.02,
    .nq = 2, .nv = 2, .nu = 1, .nbody = 3,
    .reset = pendulum_reset, .observe = pendulum_observe,
    .healthy = pendulum_healthy, .reward = pendulum_reward,
};
