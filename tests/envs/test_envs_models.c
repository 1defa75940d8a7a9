/* The compiled models against Gymnasium v5's, number by number.
 *
 * The reference table below holds what MuJoCo 2.2.2 compiles from
 * Gymnasium's own MJCF files (hopper_v5.xml, walker2d_v5.xml,
 * half_cheetah.xml, inverted_pendulum.xml, ant.xml, reacher.xml): per
 * body its mass and principal inertia, per geom its friction, contact
 * margin and solimp, per limited joint its limit solimp and solref.  The values were read from the compiled
 * mjModel, not from envs/assets, so a hand-written asset that drifts from the
 * standard model (a sphere for a capsule, a default left in place of an
 * explicit value) fails here even when the task still runs.  Body frames may
 * differ (ours are written in other local coordinates); principal inertias
 * do not depend on them. */
#include "env_test_util.h"

typedef struct {
  const char *task, *body;
  double mass, inertia[3];
} body_row;

typedef struct {
  const char *task, *geom;
  double friction[3], margin, solimp[3];
} geom_row;

typedef struct {
  const char *task, *joint;
  double solimp[3], solref[2];
} joint_row;

static const body_row bodies[] = {
    {"inverted_pendulum", "cart", 10.47197551, {0.1267109037, 0.1267109037, 0.04817108736}},
    {"inverted_pendulum", "pole", 5.018591641, {0.1887497669, 0.1887497669, 0.00590649631}},
    {"hopper", "torso", 3.665191429, {0.06924593807, 0.06924593807, 0.004450589593}},
    {"hopper", "thigh", 4.057890511, {0.09329875683, 0.09329875683, 0.004941463445}},
    {"hopper", "leg", 2.781356696, {0.07230254017, 0.07230254017, 0.002182192145}},
    {"hopper", "foot", 5.31557477, {0.1035230806, 0.1035230806, 0.009242314259}},
    {"walker2d", "torso", 3.665191429, {0.06924593807, 0.06924593807, 0.004450589593}},
    {"walker2d", "thigh", 4.057890511, {0.09329875683, 0.09329875683, 0.004941463445}},
    {"walker2d", "leg", 2.781356696, {0.07230254017, 0.07230254017, 0.002182192145}},
    {"walker2d", "foot", 3.166725395, {0.02399774663, 0.02399774663, 0.005374385384}},
    {"walker2d", "thigh_left", 4.057890511, {0.09329875683, 0.09329875683, 0.004941463445}},
    {"walker2d", "leg_left", 2.781356696, {0.07230254017, 0.07230254017, 0.002182192145}},
    {"walker2d", "foot_left", 3.166725395, {0.02399774663, 0.02399774663, 0.005374385384}},
    {"halfcheetah", "torso", 6.250209205, {0.8971176881, 0.8856554522, 0.01796092341}},
    {"halfcheetah", "bthigh", 1.543514644, {0.01684433958, 0.01684433958, 0.00157602159}},
    {"halfcheetah", "bshin", 1.587447699, {0.01826741908, 0.01826741908, 0.001622502762}},
    {"halfcheetah", "bfoot", 1.09539749, {0.006352423264, 0.006352423264, 0.00110191364}},
    {"halfcheetah", "fthigh", 1.438075314, {0.01373964335, 0.01373964335, 0.001464466778}},
    {"halfcheetah", "fshin", 1.20083682, {0.008222108619, 0.008222108619, 0.001213468452}},
    {"halfcheetah", "ffoot", 0.8845188285, {0.003529109456, 0.003529109456, 0.0008788040167}},
    {"ant", "torso", 0.3272492347, {0.008181230869, 0.008181230869, 0.008181230869}},
    {"ant", "front_left_leg", 0.03915775373, {0.0005679660832, 0.0005679660832, 0.0001184418981}},
    {"ant", "aux_1", 0.03915775373, {0.0005679660832, 0.0005679660832, 0.0001184418981}},
    {"ant", "front_left_foot", 0.06759220453, {0.00267479066, 0.00267479066, 0.0002094321406}},
    {"ant", "back_right_foot", 0.06759220453, {0.00267479066, 0.00267479066, 0.0002094321406}},
    {"reacher", "body0", 0.03560471674, {3.917566039e-05, 3.917566039e-05, 1.738347935e-06}},
    {"reacher", "body1", 0.03560471674, {3.917566039e-05, 3.917566039e-05, 1.738347935e-06}},
    {"reacher", "fingertip", 0.004188790205, {1.675516082e-07, 1.675516082e-07, 1.675516082e-07}},
    {"reacher", "target", 0.003053628059, {9.893754912e-08, 9.893754912e-08, 9.893754912e-08}},
};

/* MuJoCo's defaults, for rows that keep them: solimp 0.9 0.95 0.001. */
#define DEFAULT_SOLIMP {0.9, 0.95, 0.001}

static const geom_row geoms[] = {
    {"inverted_pendulum", "cart", {1, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"inverted_pendulum", "pole", {1, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"hopper", "floor", {1, 0.005, 0.0001}, 0.001, {0.8, 0.8, 0.01}},
    {"hopper", "torso_geom", {0.9, 0.005, 0.0001}, 0.001, {0.8, 0.8, 0.01}},
    {"hopper", "thigh_geom", {0.9, 0.005, 0.0001}, 0.001, {0.8, 0.8, 0.01}},
    {"hopper", "leg_geom", {0.9, 0.005, 0.0001}, 0.001, {0.8, 0.8, 0.01}},
    {"hopper", "foot_geom", {2, 0.005, 0.0001}, 0.001, {0.8, 0.8, 0.01}},
    {"walker2d", "floor", {0.7, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "torso_geom", {0.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "thigh_geom", {0.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "leg_geom", {0.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "foot_geom", {1.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "thigh_left_geom", {0.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "leg_left_geom", {0.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"walker2d", "foot_left_geom", {1.9, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"halfcheetah", "floor", {0.4, 0.1, 0.1}, 0, {0, 0.8, 0.01}},
    {"halfcheetah", "torso_geom", {0.4, 0.1, 0.1}, 0, {0, 0.8, 0.01}},
    {"halfcheetah", "head_geom", {0.4, 0.1, 0.1}, 0, {0, 0.8, 0.01}},
    {"halfcheetah", "bfoot_geom", {0.4, 0.1, 0.1}, 0, {0, 0.8, 0.01}},
    {"halfcheetah", "ffoot_geom", {0.4, 0.1, 0.1}, 0, {0, 0.8, 0.01}},
    {"ant", "floor", {1, 0.5, 0.5}, 0.01, DEFAULT_SOLIMP},
    {"ant", "torso_geom", {1, 0.5, 0.5}, 0.01, DEFAULT_SOLIMP},
    {"ant", "left_ankle_geom", {1, 0.5, 0.5}, 0.01, DEFAULT_SOLIMP},
    {"ant", "fourth_ankle_geom", {1, 0.5, 0.5}, 0.01, DEFAULT_SOLIMP},
    {"reacher", "link0", {1, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
    {"reacher", "fingertip", {1, 0.1, 0.1}, 0, DEFAULT_SOLIMP},
};

static const joint_row joints[] = {
    {"inverted_pendulum", "slider", DEFAULT_SOLIMP, {0.02, 1}},
    {"inverted_pendulum", "hinge", DEFAULT_SOLIMP, {0.02, 1}},
    {"hopper", "thigh_joint", DEFAULT_SOLIMP, {0.02, 1}},
    {"hopper", "foot_joint", DEFAULT_SOLIMP, {0.02, 1}},
    {"walker2d", "leg_left_joint", DEFAULT_SOLIMP, {0.02, 1}},
    {"halfcheetah", "bthigh", {0, 0.8, 0.03}, {0.02, 1}},
    {"halfcheetah", "bshin", {0, 0.8, 0.03}, {0.02, 1}},
    {"halfcheetah", "bfoot", {0, 0.8, 0.03}, {0.02, 1}},
    {"halfcheetah", "fthigh", {0, 0.8, 0.03}, {0.02, 1}},
    {"halfcheetah", "fshin", {0, 0.8, 0.03}, {0.02, 1}},
    {"halfcheetah", "ffoot", {0, 0.8, 0.03}, {0.02, 1}},
    {"ant", "hip_1", DEFAULT_SOLIMP, {0.02, 1}},
    {"ant", "ankle_4", DEFAULT_SOLIMP, {0.02, 1}},
    {"reacher", "joint1", DEFAULT_SOLIMP, {0.02, 1}},
};

/* Relative tolerance: the table has 10 significant digits. */
static void assert_close(const char *what, const char *task, const char *name, double got,
                         double want) {
  if (!(fabs(got - want) <= 1e-8 * (1 + fabs(want))))
    fail_msg("%s %s %s: compiled %.10g, Gymnasium %.10g", task, name, what, got, want);
}

/* The six models, loaded once for the whole group (freed in teardown). */
static const char *const tasks[] = {"inverted_pendulum", "hopper", "walker2d",
                                    "halfcheetah",       "ant",    "reacher"};
enum { NTASKS = sizeof tasks / sizeof tasks[0] };
static mjModel *models[NTASKS];

static const mjModel *model(const char *task) {
  for (int i = 0; i < NTASKS; ++i)
    if (!strcmp(tasks[i], task)) return models[i];
  fail_msg("no model for %s", task);
  return NULL;
}

static int load_all(void **state) {
  (void)state;
  for (int i = 0; i < NTASKS; ++i) {
    const gv_env_type *ty;
    if (gv_env_type_find(&ty, tasks[i], NULL)) return -1;
    char path[1024], msg[1000] = "";
    snprintf(path, sizeof path, "%s/%s", gv_env_asset_dir(), ty->model_file);
    if (!(models[i] = mj_loadXML(path, NULL, msg, sizeof msg))) {
      fprintf(stderr, "%s: %s\n", path, msg);
      return -1;
    }
  }
  return 0;
}

static int free_all(void **state) {
  (void)state;
  for (int i = 0; i < NTASKS; ++i) mj_deleteModel(models[i]);
  return 0;
}

static int id_of(const mjModel *m, int type, const char *task, const char *name) {
  int id = mj_name2id(m, type, name);
  if (id < 0) fail_msg("%s: no %s", task, name);
  return id;
}

static void test_bodies(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; ++i) {
    const body_row *r = &bodies[i];
    const mjModel *m = model(r->task);
    int b = id_of(m, mjOBJ_BODY, r->task, r->body);
    assert_close("mass", r->task, r->body, m->body_mass[b], r->mass);
    for (int k = 0; k < 3; ++k)
      assert_close("inertia", r->task, r->body, m->body_inertia[3 * b + k], r->inertia[k]);
  }
}

static void test_geoms(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof geoms / sizeof geoms[0]; ++i) {
    const geom_row *r = &geoms[i];
    const mjModel *m = model(r->task);
    int g = id_of(m, mjOBJ_GEOM, r->task, r->geom);
    for (int k = 0; k < 3; ++k) {
      assert_close("friction", r->task, r->geom, m->geom_friction[3 * g + k], r->friction[k]);
      assert_close("solimp", r->task, r->geom, m->geom_solimp[mjNIMP * g + k], r->solimp[k]);
    }
    assert_close("margin", r->task, r->geom, m->geom_margin[g], r->margin);
  }
}

static void test_joint_limits(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof joints / sizeof joints[0]; ++i) {
    const joint_row *r = &joints[i];
    const mjModel *m = model(r->task);
    int j = id_of(m, mjOBJ_JOINT, r->task, r->joint);
    assert_int_equal(m->jnt_limited[j], 1);
    for (int k = 0; k < 3; ++k)
      assert_close("solimplimit", r->task, r->joint, m->jnt_solimp[mjNIMP * j + k], r->solimp[k]);
    for (int k = 0; k < 2; ++k)
      assert_close("solreflimit", r->task, r->joint, m->jnt_solref[mjNREF * j + k], r->solref[k]);
  }
}

/* Total masses: the sums a reader can check by hand against the table. */
static void test_total_masses(void **state) {
  (void)state;
  static const struct {
    const char *task;
    double mass;
  } totals[] = {{"inverted_pendulum", 15.49056715}, {"hopper", 15.82001341},
                {"walker2d", 23.67713663},          {"halfcheetah", 14},
                {"ant", 0.9108800827},              {"reacher", 0.07845185175}};
  for (size_t i = 0; i < sizeof totals / sizeof totals[0]; ++i) {
    const mjModel *m = model(totals[i].task);
    double s = 0;
    for (int b = 0; b < m->nbody; ++b) s += m->body_mass[b];
    assert_close("total mass", totals[i].task, "", s, totals[i].mass);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bodies),
      cmocka_unit_test(test_geoms),
      cmocka_unit_test(test_joint_limits),
      cmocka_unit_test(test_total_masses),
  };
  return cmocka_run_group_tests(tests, load_all, free_all);
}
