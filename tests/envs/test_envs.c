/* Tests of the MuJoCo tasks against Gymnasium v5's definitions (docs/envs.md).
 * Every expected value below is written from
 * those facts, independently of envs/tasks.c: the tables and formulas here
 * are the check, not a copy of the implementation. */
#include <stdlib.h>
#include <string.h>

#include "env_test_util.h"

/* ---- the facts table (Gymnasium v5) -------------------------------------- */

typedef struct {
  const char *name;
  int obs_dim, act_dim;
  double act_low, act_high;
  int frame_skip;
  double timestep;
  int max_steps;
  int integrator; /* mjINT_RK4 or mjINT_EULER */
} fact_row;

static const fact_row facts[] = {
    {"hopper", 11, 3, -1, 1, 4, 0.002, 1000, mjINT_RK4},
    {"walker2d", 17, 6, -1, 1, 4, 0.002, 1000, mjINT_RK4},
    {"halfcheetah", 17, 6, -1, 1, 5, 0.01, 1000, mjINT_EULER},
    {"ant", 105, 8, -1, 1, 5, 0.01, 1000, mjINT_RK4},
    {"reacher", 10, 2, -1, 1, 2, 0.01, 50, mjINT_RK4},
    {"inverted_pendulum", 4, 1, -3, 3, 2, 0.02, 1000, mjINT_RK4},
};
enum { NFACTS = sizeof facts / sizeof facts[0] };

static const fact_row *fact(const char *name) {
  for (int i = 0; i < NFACTS; ++i)
    if (strcmp(facts[i].name, name) == 0) return &facts[i];
  fail_msg("no facts for %s", name);
  return NULL;
}

static const double DEG = 3.14159265358979323846 / 180.0;

static int joint(const mjModel *m, const char *name) {
  int id = mj_name2id(m, mjOBJ_JOINT, name);
  if (id < 0) fail_msg("joint %s missing", name);
  return id;
}

static void assert_range(const mjModel *m, const char *jname, double lo, double hi) {
  int j = joint(m, jname);
  assert_int_equal(m->jnt_limited[j], 1);
  ASSERT_NEAR(m->jnt_range[2 * j], lo, 1e-9);
  ASSERT_NEAR(m->jnt_range[2 * j + 1], hi, 1e-9);
}

static void assert_motors(const mjModel *m, double gear, double ctrl) {
  for (int i = 0; i < m->nu; ++i) {
    ASSERT_NEAR(m->actuator_gear[6 * i], gear, 0);
    assert_int_equal(m->actuator_ctrllimited[i], 1);
    ASSERT_NEAR(m->actuator_ctrlrange[2 * i], -ctrl, 0);
    ASSERT_NEAR(m->actuator_ctrlrange[2 * i + 1], ctrl, 0);
  }
}

static double geom_friction(const mjModel *m, const char *gname) {
  int g = mj_name2id(m, mjOBJ_GEOM, gname);
  if (g < 0) fail_msg("geom %s missing", gname);
  return m->geom_friction[3 * g];
}

/* ---- every asset loads, and says what the facts say ---------------------- */

/* The registry's names are the types' names, in one order (a config's
 * game.env is an index into both). */
static void test_registry_names(void **state) {
  (void)state;
  int i = 0;
  for (; gv_env_types[i]; ++i) {
    assert_non_null(gv_env_names[i]);
    assert_string_equal(gv_env_names[i], gv_env_types[i]->name);
  }
  assert_null(gv_env_names[i]);
  assert_int_equal(i, 6);
}

static void test_assets_load(void **state) {
  (void)state;
  for (int i = 0; gv_env_types[i]; ++i) {
    const gv_env_type *ty = gv_env_types[i];
    char path[1024], msg[1000] = "";
    snprintf(path, sizeof path, "%s/%s", gv_env_asset_dir(), ty->model_file);
    mjModel *m = mj_loadXML(path, NULL, msg, sizeof msg);
    if (!m) fail_msg("%s: %s", path, msg);
    if (msg[0]) fail_msg("%s loaded with a message: %s", path, msg);
    const fact_row *f = fact(ty->name);
    assert_int_equal(m->nu, f->act_dim);
    ASSERT_NEAR(m->opt.timestep, f->timestep, 0);
    assert_int_equal(m->opt.integrator, f->integrator);
    mj_deleteModel(m);
  }
}

static void test_asset_facts(void **state) {
  (void)state;
  gv_env_task *t;
  gv_env *e;

  load_env(&t, &e, "hopper");
  const mjModel *m = t->model;
  assert_motors(m, 200, 1);
  assert_range(m, "thigh_joint", -150 * DEG, 0);
  assert_range(m, "leg_joint", -150 * DEG, 0);
  assert_range(m, "foot_joint", -45 * DEG, 45 * DEG);
  for (int j = 0; j < 3; ++j) { /* root: unlimited, no armature or damping */
    assert_int_equal(m->jnt_limited[j], 0);
    ASSERT_NEAR(m->dof_armature[j], 0, 0);
    ASSERT_NEAR(m->dof_damping[j], 0, 0);
  }
  for (int j = 3; j < 6; ++j) {
    ASSERT_NEAR(m->dof_armature[j], 1, 0);
    ASSERT_NEAR(m->dof_damping[j], 1, 0);
  }
  ASSERT_NEAR(geom_friction(m, "foot_geom"), 2.0, 0);
  ASSERT_NEAR(geom_friction(m, "torso_geom"), 0.9, 0);
  assert_int_equal(m->geom_condim[mj_name2id(m, mjOBJ_GEOM, "floor")], 3);
  ASSERT_NEAR(m->qpos0[1], 1.25, 0); /* qpos[1] is the torso height */
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "walker2d");
  m = t->model;
  assert_motors(m, 100, 1);
  assert_range(m, "thigh_joint", -150 * DEG, 0);
  assert_range(m, "leg_left_joint", -150 * DEG, 0);
  assert_range(m, "foot_left_joint", -45 * DEG, 45 * DEG);
  ASSERT_NEAR(geom_friction(m, "foot_geom"), 1.9, 0);
  ASSERT_NEAR(geom_friction(m, "foot_left_geom"), 1.9, 0);
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "halfcheetah");
  m = t->model;
  double mass = 0;
  for (int b = 0; b < m->nbody; ++b) mass += m->body_mass[b];
  ASSERT_NEAR(mass, 14, 1e-9);
  static const struct {
    const char *name;
    double lo, hi, stiffness, damping, gear;
  } cj[] = {{"bthigh", -0.52, 1.05, 240, 6, 120}, {"bshin", -0.785, 0.785, 180, 4.5, 90},
            {"bfoot", -0.4, 0.785, 120, 3, 60},   {"fthigh", -1, 0.7, 180, 4.5, 120},
            {"fshin", -1.2, 0.87, 120, 3, 60},    {"ffoot", -0.5, 0.5, 60, 1.5, 30}};
  for (int i = 0; i < 6; ++i) {
    int j = joint(m, cj[i].name);
    assert_range(m, cj[i].name, cj[i].lo, cj[i].hi);
    ASSERT_NEAR(m->jnt_stiffness[j], cj[i].stiffness, 0);
    ASSERT_NEAR(m->dof_damping[m->jnt_dofadr[j]], cj[i].damping, 0);
    ASSERT_NEAR(m->dof_armature[m->jnt_dofadr[j]], 0.1, 0);
    int a = mj_name2id(m, mjOBJ_ACTUATOR, cj[i].name);
    assert_true(a >= 0);
    assert_int_equal(m->actuator_trnid[2 * a], j);
    ASSERT_NEAR(m->actuator_gear[6 * a], cj[i].gear, 0);
  }
  ASSERT_NEAR(m->qpos0[0], 0, 0);
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "ant");
  m = t->model;
  assert_motors(m, 150, 1);
  assert_int_equal(m->jnt_type[0], mjJNT_FREE);
  assert_int_equal(m->nbody - 1, 13);
  for (int k = 1; k <= 4; ++k) {
    char hip[16], ankle[16];
    snprintf(hip, sizeof hip, "hip_%d", k);
    snprintf(ankle, sizeof ankle, "ankle_%d", k);
    assert_range(m, hip, -30 * DEG, 30 * DEG);
    int a = joint(m, ankle);
    double lo = m->jnt_range[2 * a], hi = m->jnt_range[2 * a + 1];
    assert_true((fabs(lo - 30 * DEG) < 1e-9 && fabs(hi - 70 * DEG) < 1e-9) ||
                (fabs(lo + 70 * DEG) < 1e-9 && fabs(hi + 30 * DEG) < 1e-9));
  }
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "reacher");
  m = t->model;
  assert_motors(m, 200, 1);
  assert_int_equal(m->jnt_limited[joint(m, "joint0")], 0);
  assert_range(m, "joint1", -3, 3);
  assert_range(m, "target_x", -0.27, 0.27);
  assert_range(m, "target_y", -0.27, 0.27);
  /* tasks.c reads these body ids directly */
  assert_int_equal(mj_name2id(m, mjOBJ_BODY, "fingertip"), 3);
  assert_int_equal(mj_name2id(m, mjOBJ_BODY, "target"), 4);
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "inverted_pendulum");
  m = t->model;
  assert_motors(m, 100, 3);
  assert_range(m, "slider", -1, 1);
  gv_env_free(e);
  gv_env_task_free(t);
}

static void test_load_errors(void **state) {
  (void)state;
  gv_env_task *t = (gv_env_task *)1;
  gv_err err;
  memset(&err, 0, sizeof err);
  assert_int_equal(gv_env_task_alloc(&t, "pogo", NULL, &err), GV_ENOTFOUND);
  assert_null(t);
  assert_non_null(strstr(err.msg, "pogo"));
  assert_non_null(strstr(err.msg, "hopper"));
  assert_non_null(strstr(err.msg, "inverted_pendulum"));
  err.msg[0] = 0;
  assert_int_equal(gv_env_task_alloc(&t, "hopper", "/nonexistent", &err), GV_EIO);
  assert_null(t);
  assert_non_null(strstr(err.msg, "/nonexistent/hopper.xml"));
}

/* ---- dimensions ----------------------------------------------------------- */

static void test_dimensions(void **state) {
  (void)state;
  gsl_rng *rng = gv_rng_alloc(7, "test", 0);
  for (int i = 0; gv_env_types[i]; ++i) {
    const gv_env_type *ty = gv_env_types[i];
    const fact_row *f = fact(ty->name);
    gv_env_task *t;
    gv_env *e;
    load_env(&t, &e, ty->name);
    assert_int_equal(ty->obs_dim, f->obs_dim);
    assert_int_equal(ty->act_dim, f->act_dim);
    ASSERT_NEAR(ty->act_low, f->act_low, 0);
    ASSERT_NEAR(ty->act_high, f->act_high, 0);
    assert_int_equal(ty->frame_skip, f->frame_skip);
    assert_int_equal(ty->max_steps, f->max_steps);
    ASSERT_NEAR(t->dt, f->frame_skip * f->timestep, 1e-15);
    /* obs_dim values are written and nothing past them */
    double obs[128];
    for (int k = 0; k < 128; ++k) obs[k] = 12345.0;
    gv_env_reset(obs, e, rng, NULL);
    for (int k = f->obs_dim; k < 128; ++k) ASSERT_NEAR(obs[k], 12345.0, 0);
    /* an env step is frame_skip simulator steps: the clock says so */
    const double t0 = e->d->time;
    double a[32] = {0}, r;
    int te, tr;
    for (int s = 0; s < 3; ++s) assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, NULL), GV_OK);
    ASSERT_NEAR(e->d->time - t0, 3 * f->frame_skip * f->timestep, 1e-12);
    gv_env_free(e);
    gv_env_task_free(t);
  }
  gsl_rng_free(rng);
}

/* ---- independent formulas for observation, health and reward --------------- */

static double clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Health by the v5 rules, written from Gymnasium v5's definitions. */
static int expected_healthy(const char *name, const mjModel *m, const mjData *d) {
  const double *q = d->qpos, *v = d->qvel;
  if (strcmp(name, "hopper") == 0) {
    for (int i = 2; i < m->nq; ++i)
      if (!(fabs(q[i]) < 100)) return 0;
    for (int i = 0; i < m->nv; ++i)
      if (!(fabs(v[i]) < 100)) return 0;
    return q[1] > 0.7 && fabs(q[2]) < 0.2;
  }
  if (strcmp(name, "walker2d") == 0) return q[1] > 0.8 && q[1] < 2.0 && fabs(q[2]) < 1.0;
  if (strcmp(name, "ant") == 0) {
    for (int i = 0; i < m->nq; ++i)
      if (!isfinite(q[i])) return 0;
    for (int i = 0; i < m->nv; ++i)
      if (!isfinite(v[i])) return 0;
    return q[2] >= 0.2 && q[2] <= 1.0;
  }
  if (strcmp(name, "inverted_pendulum") == 0) return fabs(q[1]) <= 0.2;
  return 1;
}

/* Reacher fingertip from the joint angles: links of 0.1 and 0.11. */
static void fingertip(double tip[2], const double *q) {
  tip[0] = 0.1 * cos(q[0]) + 0.11 * cos(q[0] + q[1]);
  tip[1] = 0.1 * sin(q[0]) + 0.11 * sin(q[0] + q[1]);
}

static void expected_obs(double *obs, const char *name, const mjModel *m, const mjData *d) {
  const double *q = d->qpos, *v = d->qvel;
  int n = 0;
  if (strcmp(name, "hopper") == 0 || strcmp(name, "walker2d") == 0) {
    for (int i = 1; i < m->nq; ++i) obs[n++] = q[i];
    for (int i = 0; i < m->nv; ++i) obs[n++] = clip(v[i], -10, 10);
  } else if (strcmp(name, "halfcheetah") == 0) {
    for (int i = 1; i < m->nq; ++i) obs[n++] = q[i];
    for (int i = 0; i < m->nv; ++i) obs[n++] = v[i];
  } else if (strcmp(name, "ant") == 0) {
    for (int i = 2; i < 15; ++i) obs[n++] = q[i];
    for (int i = 0; i < 14; ++i) obs[n++] = v[i];
    for (int b = 1; b <= 13; ++b)
      for (int c = 0; c < 6; ++c) obs[n++] = clip(d->cfrc_ext[6 * b + c], -1, 1);
  } else if (strcmp(name, "reacher") == 0) {
    double tip[2];
    fingertip(tip, q);
    double o[10] = {cos(q[0]), cos(q[1]),       sin(q[0]),       sin(q[1]), q[2], q[3],
                    v[0],      v[1],            tip[0] - q[2],   tip[1] - q[3]};
    for (int i = 0; i < 10; ++i) obs[n++] = o[i];
  } else {
    obs[n++] = q[0];
    obs[n++] = q[1];
    obs[n++] = v[0];
    obs[n++] = v[1];
  }
}

/* Reward terms after a step that started at root x `x_before`. */
static void expected_terms(gv_env_terms *t, const char *name, const mjModel *m, const mjData *d,
                           const double *a, double x_before, int healthy) {
  const fact_row *f = fact(name);
  double dt = f->frame_skip * f->timestep, a2 = 0;
  for (int i = 0; i < f->act_dim; ++i) a2 += a[i] * a[i];
  memset(t, 0, sizeof *t);
  if (strcmp(name, "reacher") == 0) {
    double tip[2];
    fingertip(tip, d->qpos);
    t->dist_cost = hypot(tip[0] - d->qpos[2], tip[1] - d->qpos[3]);
    t->ctrl_cost = a2;
    return;
  }
  if (strcmp(name, "inverted_pendulum") == 0) {
    t->healthy = healthy;
    return;
  }
  t->x_velocity = (d->qpos[0] - x_before) / dt;
  t->forward = t->x_velocity;
  if (strcmp(name, "halfcheetah") == 0) {
    t->ctrl_cost = 0.1 * a2;
    return;
  }
  t->healthy = healthy ? 1.0 : 0.0;
  t->ctrl_cost = (strcmp(name, "ant") == 0 ? 0.5 : 1e-3) * a2;
  if (strcmp(name, "ant") == 0) {
    double c = 0;
    for (int i = 6; i < 6 * 14; ++i) c += clip(d->cfrc_ext[i], -1, 1) * clip(d->cfrc_ext[i], -1, 1);
    t->contact_cost = 5e-4 * c;
  }
}

static void test_rewards_and_obs(void **state) {
  (void)state;
  gsl_rng *rng = gv_rng_alloc(11, "test", 0);
  for (int i = 0; gv_env_types[i]; ++i) {
    const gv_env_type *ty = gv_env_types[i];
    gv_env_task *t;
    gv_env *e;
    load_env(&t, &e, ty->name);
    double obs[128], want[128], a[8], r;
    int te, tr, nterm = 0, ncheck = 0;
    gv_env_reset(obs, e, rng, NULL);
    expected_obs(want, ty->name, t->model, e->d);
    for (int k = 0; k < ty->obs_dim; ++k) ASSERT_NEAR(obs[k], want[k], 1e-12);
    for (int step = 0; step < 400; ++step) {
      random_action(a, ty, rng);
      double x_before = e->d->qpos[0];
      assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, NULL), GV_OK);
      assert_false(e->unstable);
      int healthy = expected_healthy(ty->name, t->model, e->d);
      assert_int_equal(te, !healthy);
      assert_int_equal(gv_env_healthy(e), healthy);
      gv_env_terms w;
      expected_terms(&w, ty->name, t->model, e->d, a, x_before, healthy);
      ASSERT_NEAR(e->terms.x_velocity, w.x_velocity, 1e-9);
      ASSERT_NEAR(e->terms.forward, w.forward, 1e-9);
      ASSERT_NEAR(e->terms.healthy, w.healthy, 0);
      ASSERT_NEAR(e->terms.ctrl_cost, w.ctrl_cost, 1e-12);
      ASSERT_NEAR(e->terms.contact_cost, w.contact_cost, 1e-12);
      ASSERT_NEAR(e->terms.dist_cost, w.dist_cost, 1e-9); /* FK vs MuJoCo's xpos */
      ASSERT_NEAR(r, w.forward + w.healthy - w.ctrl_cost - w.contact_cost - w.dist_cost, 1e-9);
      expected_obs(want, ty->name, t->model, e->d);
      for (int k = 0; k < ty->obs_dim; ++k) ASSERT_NEAR(obs[k], want[k], 1e-9);
      /* the ctrl MuJoCo saw is the action */
      for (int k = 0; k < ty->act_dim; ++k) ASSERT_NEAR(e->d->ctrl[k], a[k], 0);
      ++ncheck;
      if (te || tr) {
        nterm += te;
        gv_env_reset(obs, e, rng, NULL);
      }
    }
    assert_int_equal(ncheck, 400);
    /* the tasks with a health rule must have exercised it under random actions */
    if (strcmp(ty->name, "hopper") == 0 || strcmp(ty->name, "walker2d") == 0 ||
        strcmp(ty->name, "inverted_pendulum") == 0)
      assert_true(nterm > 0);
    gv_env_free(e);
    gv_env_task_free(t);
  }
  gsl_rng_free(rng);
}

/* Contact forces must actually be present for the ant's contact terms to be
 * tested: after landing, the feet press on the floor. */
static void test_ant_contact_forces(void **state) {
  (void)state;
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, "ant");
  gsl_rng *rng = gv_rng_alloc(3, "test", 0);
  double obs[105], a[8] = {0}, r;
  int te, tr;
  gv_env_reset(obs, e, rng, NULL);
  for (int k = 0; k < 27 + 78; ++k)
    if (k >= 27) ASSERT_NEAR(obs[k], 0, 0); /* no contact at reset (mid-air) */
  for (int s = 0; s < 40; ++s) gv_env_step(obs, &r, &te, &tr, e, a, NULL);
  double total = 0;
  for (int k = 27; k < 105; ++k) {
    assert_true(obs[k] >= -1 && obs[k] <= 1);
    total += fabs(obs[k]);
  }
  assert_true(total > 0.1);
  assert_true(e->terms.contact_cost > 0);
  gsl_rng_free(rng);
  gv_env_free(e);
  gv_env_task_free(t);
}

/* include_cfrc_ext_in_observation: on (v5's default) the ant's observation
 * is qpos[2:], qvel and the clipped cfrc_ext of bodies 1..13 (105); off it is
 * the first 27 of those, and nothing else changes: the same seed and actions
 * give the same states, rewards (the contact cost stays) and ends. */
static void test_ant_cfrc_option(void **state) {
  (void)state;
  gv_env_options on, off;
  gv_env_options_defaults(&on);
  assert_int_equal(on.include_cfrc_ext_in_observation, 1);
  off = on;
  off.include_cfrc_ext_in_observation = 0;
  gv_env_task *ton, *toff;
  gv_env *eon, *eoff;
  gv_err err;
  assert_int_equal(gv_env_task_alloc_opts(&ton, "ant", &on, NULL, &err), GV_OK);
  assert_int_equal(gv_env_task_alloc_opts(&toff, "ant", &off, NULL, &err), GV_OK);
  assert_int_equal(ton->type->obs_dim, 105);
  assert_int_equal(toff->type->obs_dim, 27);
  assert_int_equal(gv_env_ant.obs_dim, 105); /* the registered type is untouched */
  assert_int_equal(gv_env_alloc(&eon, ton, &err), GV_OK);
  assert_int_equal(gv_env_alloc(&eoff, toff, &err), GV_OK);
  gsl_rng *r1 = gv_rng_alloc(5, "test", 0), *r2 = gv_rng_alloc(5, "test", 0);
  gsl_rng *ra = gv_rng_alloc(5, "act", 0);
  double o1[105], o2[105], a[8], rw1, rw2;
  int te1, tr1, te2, tr2, contact_steps = 0;
  o2[27] = 12345; /* must stay: the short observation writes 27 values */
  gv_env_reset(o1, eon, r1, NULL);
  gv_env_reset(o2, eoff, r2, NULL);
  for (int s = 0; s < 300; ++s) {
    for (int k = 0; k < 27; ++k) assert_memory_equal(&o1[k], &o2[k], sizeof o1[k]);
    ASSERT_NEAR(o2[27], 12345, 0);
    /* the appended block, recomputed from mjData */
    int nonzero = 0;
    for (int k = 0; k < 78; ++k) {
      double f = eon->d->cfrc_ext[6 + k];
      f = f < -1 ? -1 : f > 1 ? 1 : f;
      ASSERT_NEAR(o1[27 + k], f, 0);
      nonzero += o1[27 + k] != 0;
    }
    contact_steps += nonzero > 0;
    for (int j = 0; j < 8; ++j) a[j] = 2 * gsl_rng_uniform(ra) - 1;
    gv_env_step(o1, &rw1, &te1, &tr1, eon, a, NULL);
    gv_env_step(o2, &rw2, &te2, &tr2, eoff, a, NULL);
    assert_memory_equal(&rw1, &rw2, sizeof rw1);
    assert_int_equal(te1, te2);
    assert_int_equal(tr1, tr2);
    if (te1 || tr1) {
      gv_env_reset(o1, eon, r1, NULL);
      gv_env_reset(o2, eoff, r2, NULL);
    }
  }
  if (contact_steps < 50) fail_msg("contact forces on only %d of 300 steps", contact_steps);
  double o3[27];
  gv_env_observe(o3, eoff);
  assert_memory_equal(o3, o2, sizeof o3);

  /* only the ant has the option to turn off */
  memset(&err, 0, sizeof err);
  gv_env_task *t = (gv_env_task *)1;
  assert_int_equal(gv_env_task_alloc_opts(&t, "hopper", &off, NULL, &err), GV_EINVAL);
  assert_null(t);
  assert_non_null(strstr(err.msg, "include_cfrc_ext_in_observation"));
  assert_non_null(strstr(err.msg, "allowed: true"));
  assert_int_equal(gv_env_task_alloc_opts(&t, "hopper", &on, NULL, &err), GV_OK);
  assert_int_equal(t->type->obs_dim, 11);
  gv_env_task_free(t);

  gsl_rng_free(r1);
  gsl_rng_free(r2);
  gsl_rng_free(ra);
  gv_env_free(eon);
  gv_env_free(eoff);
  gv_env_task_free(ton);
  gv_env_task_free(toff);
}

/* ---- termination exactly at the health boundaries ------------------------- */

/* Reset, then overwrite one coordinate of qpos (or qvel) and ask. */
static int healthy_with(gv_env *e, gsl_rng *rng, int is_vel, int index, double value) {
  double obs[128];
  gv_env_reset(obs, e, rng, NULL);
  (is_vel ? e->d->qvel : e->d->qpos)[index] = value;
  return gv_env_healthy(e);
}

static void test_health_boundaries(void **state) {
  (void)state;
  gsl_rng *rng = gv_rng_alloc(5, "test", 0);
  gv_env_task *t;
  gv_env *e;
  const double eps = 1e-9;

  load_env(&t, &e, "hopper"); /* z > 0.7, |angle| < 0.2, qpos[2:], qvel in (-100, 100) */
  assert_true(healthy_with(e, rng, 0, 1, 0.7 + eps));
  assert_false(healthy_with(e, rng, 0, 1, 0.7));
  assert_true(healthy_with(e, rng, 0, 1, 50.0)); /* no upper bound on z */
  assert_true(healthy_with(e, rng, 0, 2, 0.2 - eps));
  assert_false(healthy_with(e, rng, 0, 2, 0.2));
  assert_true(healthy_with(e, rng, 0, 2, -0.2 + eps));
  assert_false(healthy_with(e, rng, 0, 2, -0.2));
  assert_true(healthy_with(e, rng, 0, 4, 100 - 1e-6));
  assert_false(healthy_with(e, rng, 0, 4, 100));
  assert_false(healthy_with(e, rng, 0, 5, -100));
  assert_true(healthy_with(e, rng, 0, 0, 1e6)); /* x is not part of the state check */
  assert_true(healthy_with(e, rng, 1, 0, -100 + 1e-6));
  assert_false(healthy_with(e, rng, 1, 0, -100)); /* qvel includes the root x velocity */
  assert_false(healthy_with(e, rng, 1, 5, 100));
  assert_false(healthy_with(e, rng, 1, 3, NAN));
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "walker2d"); /* 0.8 < z < 2.0, -1 < angle < 1 */
  assert_true(healthy_with(e, rng, 0, 1, 0.8 + eps));
  assert_false(healthy_with(e, rng, 0, 1, 0.8));
  assert_true(healthy_with(e, rng, 0, 1, 2.0 - eps));
  assert_false(healthy_with(e, rng, 0, 1, 2.0));
  assert_true(healthy_with(e, rng, 0, 2, 1 - eps));
  assert_false(healthy_with(e, rng, 0, 2, 1));
  assert_true(healthy_with(e, rng, 0, 2, -1 + eps));
  assert_false(healthy_with(e, rng, 0, 2, -1));
  assert_true(healthy_with(e, rng, 1, 3, 500)); /* no state-range rule in walker */
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "ant"); /* finite, 0.2 <= z <= 1.0 */
  assert_true(healthy_with(e, rng, 0, 2, 0.2));
  assert_false(healthy_with(e, rng, 0, 2, 0.2 - eps));
  assert_true(healthy_with(e, rng, 0, 2, 1.0));
  assert_false(healthy_with(e, rng, 0, 2, 1.0 + eps));
  assert_false(healthy_with(e, rng, 0, 7, INFINITY));
  assert_false(healthy_with(e, rng, 1, 9, NAN));
  assert_true(healthy_with(e, rng, 1, 9, 1e8));
  gv_env_free(e);
  gv_env_task_free(t);

  load_env(&t, &e, "inverted_pendulum"); /* |angle| <= 0.2 */
  assert_true(healthy_with(e, rng, 0, 1, 0.2));
  assert_false(healthy_with(e, rng, 0, 1, 0.2 + eps));
  assert_true(healthy_with(e, rng, 0, 1, -0.2));
  assert_false(healthy_with(e, rng, 0, 1, -0.2 - eps));
  assert_false(healthy_with(e, rng, 1, 0, NAN));
  gv_env_free(e);
  gv_env_task_free(t);

  const char *never[] = {"halfcheetah", "reacher"};
  for (int i = 0; i < 2; ++i) {
    load_env(&t, &e, never[i]);
    assert_true(healthy_with(e, rng, 0, 1, 1e3));
    assert_true(healthy_with(e, rng, 0, 2, -1e3));
    gv_env_free(e);
    gv_env_task_free(t);
  }
  gsl_rng_free(rng);
}

/* Step with zero action from a state set clearly inside / outside a
 * boundary (margins far larger than one step's motion): terminated follows,
 * the healthy bonus is paid only while healthy (v5), and an ended episode
 * refuses further steps. */
static void step_from(const char *name, int is_vel, int index, double value, int want_term) {
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, name);
  gsl_rng *rng = gv_rng_alloc(9, "test", 0);
  double obs[128], a[8] = {0}, r;
  int te = -1, tr = -1;
  gv_env_reset(obs, e, rng, NULL);
  (is_vel ? e->d->qvel : e->d->qpos)[index] = value;
  double x_before = e->d->qpos[0];
  assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, NULL), GV_OK);
  if (te != want_term)
    fail_msg("%s: q%s[%d] = %g: terminated %d, expected %d", name, is_vel ? "vel" : "pos", index,
             value, te, want_term);
  assert_int_equal(tr, 0);
  assert_false(e->unstable);
  double bonus = want_term ? 0.0 : 1.0;
  ASSERT_NEAR(e->terms.healthy, bonus, 0);
  if (strcmp(name, "inverted_pendulum") == 0) {
    ASSERT_NEAR(r, bonus, 0);
  } else {
    double vx = (e->d->qpos[0] - x_before) / t->dt;
    ASSERT_NEAR(r, vx + bonus - e->terms.contact_cost, 1e-9);
  }
  gv_err err;
  memset(&err, 0, sizeof err);
  if (want_term) {
    assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, &err), GV_EINVAL);
    assert_non_null(strstr(err.msg, "reset"));
  }
  gsl_rng_free(rng);
  gv_env_free(e);
  gv_env_task_free(t);
}

static void test_termination_by_step(void **state) {
  (void)state;
  step_from("hopper", 0, 2, 0.25, 1);
  step_from("hopper", 0, 2, 0.15, 0);
  step_from("hopper", 0, 2, -0.25, 1);
  step_from("hopper", 0, 2, -0.15, 0);
  step_from("hopper", 1, 4, -150, 1); /* knee velocity out of (-100, 100), away from its limit */
  step_from("walker2d", 0, 2, 1.05, 1);
  step_from("walker2d", 0, 2, 0.95, 0);
  step_from("walker2d", 0, 1, 2.05, 1); /* in the air, above the z range */
  step_from("walker2d", 0, 1, 1.95, 0);
  step_from("ant", 0, 2, 1.05, 1);
  step_from("ant", 0, 2, 0.95, 0);
  step_from("inverted_pendulum", 0, 1, 0.22, 1);
  step_from("inverted_pendulum", 0, 1, 0.15, 0);
  step_from("inverted_pendulum", 0, 1, -0.22, 1);
}

/* ---- reset noise ---------------------------------------------------------- */

typedef struct {
  double min, max, sum, sumsq;
  long n;
} stat;

static void stat_add(stat *s, double x) {
  if (s->n == 0 || x < s->min) s->min = x;
  if (s->n == 0 || x > s->max) s->max = x;
  s->sum += x;
  s->sumsq += x * x;
  s->n++;
}
static double stat_mean(const stat *s) { return s->sum / (double)s->n; }
static double stat_sd(const stat *s) {
  double m = stat_mean(s);
  return sqrt(s->sumsq / (double)s->n - m * m);
}

/* U(-a, a): every draw within, both ends approached, sd a / sqrt(3). */
static void check_uniform(const stat *s, double a, const char *what, int i) {
  if (!(s->min >= -a && s->max <= a))
    fail_msg("%s[%d]: draws in [%g, %g], outside +-%g", what, i, s->min, s->max, a);
  if (!(s->min < -0.9 * a && s->max > 0.9 * a))
    fail_msg("%s[%d]: draws in [%g, %g] do not fill +-%g", what, i, s->min, s->max, a);
  double sd = stat_sd(s), want = a / sqrt(3.0);
  if (!(fabs(sd - want) < 0.1 * want)) fail_msg("%s[%d]: sd %g, expected %g", what, i, sd, want);
  if (!(fabs(stat_mean(s)) < 0.1 * a)) fail_msg("%s[%d]: mean %g", what, i, stat_mean(s));
}

/* sigma N(0, 1): mean and sd within sampling error. */
static void check_normal(const stat *s, double sigma, const char *what, int i) {
  double sd = stat_sd(s), mean = stat_mean(s);
  if (!(fabs(sd - sigma) < 0.08 * sigma && fabs(mean) < 5 * sigma / sqrt((double)s->n)))
    fail_msg("%s[%d]: mean %g sd %g, expected 0 and %g", what, i, mean, sd, sigma);
}

static void test_reset_noise(void **state) {
  (void)state;
  enum { N = 2000 };
  gsl_rng *rng = gv_rng_alloc(13, "test", 0);
  for (int i = 0; gv_env_types[i]; ++i) {
    const gv_env_type *ty = gv_env_types[i];
    gv_env_task *t;
    gv_env *e;
    load_env(&t, &e, ty->name);
    const mjModel *m = t->model;
    stat sq[16] = {{0}}, sv[16] = {{0}};
    int reacher = strcmp(ty->name, "reacher") == 0;
    double obs[128];
    for (int n = 0; n < N; ++n) {
      gv_env_reset(obs, e, rng, NULL);
      for (int k = 0; k < m->nq; ++k) stat_add(&sq[k], e->d->qpos[k] - (reacher && k >= 2 ? 0 : m->qpos0[k]));
      for (int k = 0; k < m->nv; ++k) stat_add(&sv[k], e->d->qvel[k]);
      if (reacher) assert_true(hypot(e->d->qpos[2], e->d->qpos[3]) < 0.2);
      if (!strcmp(ty->name, "ant")) { /* 1 + U(+-0.1), U(+-0.1) x 3, then normalised */
        const double *q = e->d->qpos + 3;
        double norm = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        ASSERT_NEAR(norm, 1, 1e-12);
        assert_true(q[0] > 0.97);
        for (int c = 1; c < 4; ++c) assert_true(fabs(q[c]) <= 0.1 / 0.9 * norm);
      }
    }
    const char *nm = ty->name;
    if (!strcmp(nm, "hopper") || !strcmp(nm, "walker2d")) {
      for (int k = 0; k < m->nq; ++k) check_uniform(&sq[k], 5e-3, "qpos", k);
      for (int k = 0; k < m->nv; ++k) check_uniform(&sv[k], 5e-3, "qvel", k);
    } else if (!strcmp(nm, "halfcheetah") || !strcmp(nm, "ant")) {
      /* ant: qpos[3:7] is the root quaternion, which MuJoCo normalises in
       * place during mj_forward; its noise is checked separately below. */
      for (int k = 0; k < m->nq; ++k)
        if (strcmp(nm, "ant") || k < 3 || k >= 7) check_uniform(&sq[k], 0.1, "qpos", k);
      if (!strcmp(nm, "ant"))
        for (int k = 4; k < 7; ++k) ASSERT_NEAR(stat_sd(&sq[k]), 0.1 / sqrt(3.0), 0.01);
      for (int k = 0; k < m->nv; ++k) check_normal(&sv[k], 0.1, "qvel", k);
    } else if (reacher) {
      for (int k = 0; k < 2; ++k) check_uniform(&sq[k], 0.1, "qpos", k);
      for (int k = 2; k < 4; ++k) { /* goal uniform in the disc: sd of x is R / 2 */
        assert_true(sq[k].min > -0.2 && sq[k].max < 0.2);
        assert_true(sq[k].min < -0.18 && sq[k].max > 0.18);
        ASSERT_NEAR(stat_sd(&sq[k]), 0.1, 0.01);
      }
      for (int k = 0; k < 2; ++k) check_uniform(&sv[k], 5e-3, "qvel", k);
      for (int k = 2; k < 4; ++k) assert_true(sv[k].min == 0 && sv[k].max == 0);
    } else {
      for (int k = 0; k < m->nq; ++k) check_uniform(&sq[k], 0.01, "qpos", k);
      for (int k = 0; k < m->nv; ++k) check_uniform(&sv[k], 0.01, "qvel", k);
    }
    gv_env_free(e);
    gv_env_task_free(t);
  }
  gsl_rng_free(rng);
}

/* ---- episode lengths ------------------------------------------------------ */

/* Zero actions until the episode ends; it must end by the time limit, at
 * exactly max_steps, with truncated = 1 and terminated = 0. */
static void run_to_limit(const char *name, int expect) {
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, name);
  gsl_rng *rng = gv_rng_alloc(17, "test", 0);
  double obs[128], a[8] = {0}, r;
  int te = 0, tr = 0, n = 0;
  gv_env_reset(obs, e, rng, NULL);
  while (!te && !tr) {
    gv_env_step(obs, &r, &te, &tr, e, a, NULL);
    ++n;
  }
  if (n != expect || te || !tr) fail_msg("%s: ended at %d (te %d tr %d)", name, n, te, tr);
  gsl_rng_free(rng);
  gv_env_free(e);
  gv_env_task_free(t);
}

static void test_episode_lengths(void **state) {
  (void)state;
  run_to_limit("halfcheetah", 1000);
  run_to_limit("ant", 1000);
  run_to_limit("reacher", 50);
  /* The tasks that fall over under zero action: move the step counter to
   * the last step of a healthy episode and check the time limit alone. */
  const char *fall[] = {"hopper", "walker2d", "inverted_pendulum"};
  gsl_rng *rng = gv_rng_alloc(19, "test", 0);
  for (int i = 0; i < 3; ++i) {
    gv_env_task *t;
    gv_env *e;
    load_env(&t, &e, fall[i]);
    double obs[128], a[8] = {0}, r;
    int te, tr;
    gv_env_reset(obs, e, rng, NULL);
    e->t = 998;
    gv_env_step(obs, &r, &te, &tr, e, a, NULL);
    assert_int_equal(te, 0);
    assert_int_equal(tr, 0);
    gv_env_step(obs, &r, &te, &tr, e, a, NULL);
    assert_int_equal(e->t, 1000);
    assert_int_equal(te, 0);
    assert_int_equal(tr, 1);
    gv_env_free(e);
    gv_env_task_free(t);
  }
  gsl_rng_free(rng);
}

/* ---- determinism ---------------------------------------------------------- */

static void rollout(double *out, const char *name, uint64_t seed, int steps) {
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, name);
  gsl_rng *rng = gv_rng_alloc(seed, "env", 0), *arng = gv_rng_alloc(seed, "act", 0);
  const gv_env_type *ty = t->type;
  double a[8], r;
  int te, tr;
  gv_env_reset(out, e, rng, NULL);
  for (int s = 1; s <= steps; ++s) {
    double *obs = out + (size_t)s * ty->obs_dim;
    random_action(a, ty, arng);
    gv_env_step(obs, &r, &te, &tr, e, a, NULL);
    if (te || tr) gv_env_reset(obs, e, rng, NULL);
  }
  gsl_rng_free(rng);
  gsl_rng_free(arng);
  gv_env_free(e);
  gv_env_task_free(t);
}

static void test_determinism(void **state) {
  (void)state;
  enum { S = 300 };
  for (int i = 0; gv_env_types[i]; ++i) {
    const gv_env_type *ty = gv_env_types[i];
    size_t n = (size_t)(S + 1) * ty->obs_dim;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    rollout(a, ty->name, 42, S);
    rollout(b, ty->name, 42, S);
    rollout(c, ty->name, 43, S);
    if (memcmp(a, b, n * sizeof *a)) fail_msg("%s: same seed, different observations", ty->name);
    assert_true(memcmp(a, c, (size_t)ty->obs_dim * sizeof *a) != 0); /* reset differs */
    free(a);
    free(b);
    free(c);
  }
}

/* ---- plausibility --------------------------------------------------------- */

static void test_hopper_random_falls(void **state) {
  (void)state;
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, "hopper");
  gsl_rng *rng = gv_rng_alloc(23, "test", 0);
  double obs[11], a[3], r, total = 0;
  int te, tr;
  enum { EPISODES = 20 };
  for (int ep = 0; ep < EPISODES; ++ep) {
    int n = 0;
    gv_env_reset(obs, e, rng, NULL);
    do {
      random_action(a, t->type, rng);
      gv_env_step(obs, &r, &te, &tr, e, a, NULL);
      ++n;
    } while (!te && !tr);
    if (!(te && n >= 5 && n <= 300)) fail_msg("hopper random episode of %d steps (te %d)", n, te);
    total += n;
  }
  double mean = total / EPISODES;
  if (!(mean >= 10 && mean <= 100)) fail_msg("hopper random mean episode length %g", mean);
  gsl_rng_free(rng);
  gv_env_free(e);
  gv_env_task_free(t);
}

/* Zero action: the cheetah drops from its initial height onto its legs and
 * then rests.  From the noise-free initial state the torso moves less than
 * 3 cm in 100 steps; with reset noise (initial root velocity 0.1 N(0, 1))
 * less than 10 cm, all of it while landing: steps 20..100 move it < 1 cm. */
static void test_cheetah_rests(void **state) {
  (void)state;
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, "halfcheetah");
  gsl_rng *rng = gv_rng_alloc(29, "test", 0);
  double obs[17], a[6] = {0}, r;
  int te, tr;
  for (int ep = 0; ep < 10; ++ep) {
    gv_env_reset(obs, e, rng, NULL);
    if (ep == 0) { /* the model's own initial state, no noise */
      mj_resetData(t->model, e->d);
      mj_forward(t->model, e->d);
    }
    double x0 = e->d->qpos[0], x20 = 0;
    for (int s = 0; s < 100; ++s) {
      gv_env_step(obs, &r, &te, &tr, e, a, NULL);
      if (s == 19) x20 = e->d->qpos[0];
    }
    double dx = e->d->qpos[0] - x0, rest = e->d->qpos[0] - x20;
    if (!(fabs(dx) < (ep == 0 ? 0.03 : 0.1) && fabs(rest) < 0.01))
      fail_msg("halfcheetah episode %d: moved %g m in 100 zero-action steps, %g after landing",
               ep, dx, rest);
  }
  gsl_rng_free(rng);
  gv_env_free(e);
  gv_env_task_free(t);
}

/* ---- errors and numerical trouble ----------------------------------------- */

static void test_bad_actions(void **state) {
  (void)state;
  gv_env_task *t;
  gv_env *e;
  load_env(&t, &e, "hopper");
  gsl_rng *rng = gv_rng_alloc(31, "test", 0);
  double obs[11], a[3] = {0.1, NAN, 0.2}, r;
  int te, tr;
  gv_err err;
  memset(&err, 0, sizeof err);
  assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "before the first reset"));
  gv_env_reset(obs, e, rng, NULL);
  double q1 = e->d->qpos[1];
  assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "action[1]"));
  assert_non_null(strstr(err.msg, "not finite"));
  a[1] = 0;
  a[2] = -INFINITY;
  assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "action[2]"));
  assert_int_equal(e->t, 0); /* nothing moved */
  ASSERT_NEAR(e->d->qpos[1], q1, 0);
  a[2] = 0;
  assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, &err), GV_OK);
  gsl_rng_free(rng);
  gv_env_free(e);
  gv_env_task_free(t);
}

/* A state MuJoCo rejects (its bad-qvel check resets mjData mid-step) or a
 * NaN in qpos: the step is flagged, counted, terminated, and the observation
 * is the last finite one. */
static void test_instability(void **state) {
  (void)state;
  for (int i = 0; gv_env_types[i]; ++i) {
    const gv_env_type *ty = gv_env_types[i];
    gv_env_task *t;
    gv_env *e;
    load_env(&t, &e, ty->name);
    gsl_rng *rng = gv_rng_alloc(37, "test", 0);
    double obs[128], last[128], a[8] = {0}, r = 99;
    int te = 0, tr = 0;
    for (int trial = 0; trial < 2; ++trial) {
      gv_env_reset(obs, e, rng, NULL);
      gv_env_step(obs, &r, &te, &tr, e, a, NULL);
      memcpy(last, obs, sizeof last);
      if (trial == 0)
        e->d->qvel[ty->nv - 1] = 1e20; /* beyond MuJoCo's mjMAXVAL */
      else
        e->d->qpos[ty->nq - 1] = NAN;
      assert_int_equal(gv_env_step(obs, &r, &te, &tr, e, a, NULL), GV_OK);
      if (!(te && e->unstable)) fail_msg("%s trial %d: not flagged", ty->name, trial);
      assert_int_equal(e->n_unstable, trial + 1);
      ASSERT_NEAR(r, 0, 0);
      for (int k = 0; k < ty->obs_dim; ++k) {
        assert_true(isfinite(obs[k]));
        ASSERT_NEAR(obs[k], last[k], 0);
      }
    }
    assert_true(e->n_mjwarn >= 1);
    gv_env_reset(obs, e, rng, NULL); /* a reset clears the flag, keeps the count */
    assert_false(e->unstable);
    assert_int_equal(e->n_unstable, 2);
    gsl_rng_free(rng);
    gv_env_free(e);
    gv_env_task_free(t);
  }
}

/* ---- throughput helper ----------------------------------------------------
 * Only that it runs: speed is measured by `governor bench`, never by tests. */

static void test_bench(void **state) {
  (void)state;
  double raw = 0, rate = gv_env_bench("hopper", 0.05, &raw);
  assert_true(rate > 0 && raw > 0);
  printf("# hopper: %.0f env steps/s (x4 = %.0f mj_step/s), raw %.0f mj_step/s: %.1f%%\n", rate,
         4 * rate, raw, 100 * 4 * rate / raw);
  assert_true(gv_env_bench("pogo", 0.01, &raw) < 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry_names), cmocka_unit_test(test_assets_load),         cmocka_unit_test(test_asset_facts),
      cmocka_unit_test(test_load_errors),         cmocka_unit_test(test_dimensions),
      cmocka_unit_test(test_rewards_and_obs),     cmocka_unit_test(test_ant_contact_forces),
      cmocka_unit_test(test_ant_cfrc_option),
      cmocka_unit_test(test_health_boundaries),   cmocka_unit_test(test_termination_by_step),
      cmocka_unit_test(test_reset_noise),         cmocka_unit_test(test_episode_lengths),
      cmocka_unit_test(test_determinism),         cmocka_unit_test(test_hopper_random_falls),
      cmocka_unit_test(test_cheetah_rests),       cmocka_unit_test(test_bad_actions),
      cmocka_unit_test(test_instability),         cmocka_unit_test(test_bench),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
