/* Tasks from a config (envs/mjcf.c): each built-in task written as a config
 * (configs/envs/TASK.yaml) gives the built-in task's observations, reward
 * terms, rewards, terminations and returns bit for bit on a fixed seeded
 * action sequence, across several episodes and their resets; and the
 * config's names are checked against the model. */
#include "env_test_util.h"

#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <unistd.h>

#include "envs/mjcf.h"
#include "tests/testdir.h"

#define CONFIGS GV_ASSET_DIR "/../../configs/envs/"

/* The task of configs/envs/NAME.yaml's game.env. */
static gv_env_task *config_task(const char *name) {
  char path[512];
  snprintf(path, sizeof path, CONFIGS "%s.yaml", name);
  gv_node *root = NULL;
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_cfg_load(path, &root, &err)) fail_msg("%s", err.msg);
  gv_node *env = gv_cfg_lookup(root, "game.env");
  assert_non_null(env);
  gv_env_task *task = NULL;
  gv_cfg_ctx ctx = {path, "game.env"};
  if (gv_mjcf_task_alloc(&task, env, path, &ctx, &err)) fail_msg("%s", err.msg);
  gv_node_free(root);
  return task;
}

/* The built-in task `name` and its config, one copy of each. */
typedef struct pair {
  gv_env_task *bt, *ct;
  gv_env *b, *c;
} pair;

static void pair_open(pair *p, const char *name) {
  gv_err err;
  p->ct = config_task(name);
  load_env(&p->bt, &p->b, name);
  if (gv_env_alloc(&p->c, p->ct, &err)) fail_msg("%s", err.msg);
}

static void pair_close(pair *p) {
  gv_env_free(p->b);
  gv_env_free(p->c);
  gv_env_task_free(p->bt);
  gv_env_task_free(p->ct);
}

static void same_bits(const void *a, const void *b, size_t n, const char *what, const char *task,
                      long step) {
  if (memcmp(a, b, n)) fail_msg("%s: %s differs at step %ld", task, what, step);
}

/* Both tasks from equal reset streams under one action sequence (actions
 * drawn a little beyond the bounds, so MuJoCo's clamping and the control
 * cost on the raw action are compared too), `steps` steps with resets. */
static void compare(const char *name, long steps, int min_episodes) {
  pair P;
  pair_open(&P, name);
  gv_env_task *bt = P.bt, *ct = P.ct;
  gv_env *b = P.b, *c = P.c;
  gv_err err;
  const gv_env_type *ty = bt->type, *cy = ct->type;
  assert_int_equal(cy->obs_dim, ty->obs_dim);
  assert_int_equal(cy->act_dim, ty->act_dim);
  assert_true(cy->act_low == ty->act_low && cy->act_high == ty->act_high);
  assert_int_equal(cy->max_steps, ty->max_steps);
  assert_true(ct->dt == bt->dt);
  const int D = ty->obs_dim;
  double *ob = calloc((size_t)D, sizeof *ob), *oc = calloc((size_t)D, sizeof *oc);
  double a[16];
  gsl_rng *rb = gv_rng_alloc(7, "env", 0), *rc = gv_rng_alloc(7, "env", 0);
  gsl_rng *ra = gv_rng_alloc(7, "act", 0);
  long episodes = 0;
  double ret_b = 0, ret_c = 0;
  if (gv_env_reset(ob, b, rb, &err) || gv_env_reset(oc, c, rc, &err)) fail_msg("%s", err.msg);
  same_bits(ob, oc, D * sizeof *ob, "reset observation", name, 0);
  for (long t = 1; t <= steps; ++t) {
    for (int i = 0; i < ty->act_dim; ++i)
      a[i] = 1.2 * (ty->act_low + (ty->act_high - ty->act_low) * gsl_rng_uniform(ra));
    double r1, r2;
    int te1, te2, tr1, tr2;
    if (gv_env_step(ob, &r1, &te1, &tr1, b, a, &err) ||
        gv_env_step(oc, &r2, &te2, &tr2, c, a, &err))
      fail_msg("%s", err.msg);
    same_bits(ob, oc, D * sizeof *ob, "observation", name, t);
    same_bits(&r1, &r2, sizeof r1, "reward", name, t);
    same_bits(&b->terms, &c->terms, sizeof b->terms, "reward terms", name, t);
    if (te1 != te2 || tr1 != tr2) fail_msg("%s: termination differs at step %ld", name, t);
    assert_int_equal(gv_env_healthy(b), gv_env_healthy(c));
    ret_b += r1;
    ret_c += r2;
    if (te1 || tr1) {
      same_bits(&ret_b, &ret_c, sizeof ret_b, "return", name, t);
      ret_b = ret_c = 0;
      episodes++;
      if (gv_env_reset(ob, b, rb, &err) || gv_env_reset(oc, c, rc, &err))
        fail_msg("%s", err.msg);
      same_bits(ob, oc, D * sizeof *ob, "reset observation", name, t);
    }
  }
  if (episodes < min_episodes)
    fail_msg("%s: %ld episodes, wanted %d", name, episodes, min_episodes);
  gsl_rng_free(rb);
  gsl_rng_free(rc);
  gsl_rng_free(ra);
  free(ob);
  free(oc);
  pair_close(&P);
}

/* Observation and health of states no short episode reaches, set into
 * both copies: each coordinate near its initial value, or (3 in 10) one of
 * the bounds the six tasks use, exactly or one ulp to either side, so the
 * clips, the ranges and whether their bounds are included are compared. */
static double state_value(gsl_rng *r, double nominal, double spread) {
  static const double bounds[] = {-100, -10, -1, -0.2, 0.2, 0.7, 0.8, 1, 2, 10, 100};
  if (gsl_rng_uniform(r) < 0.7) return nominal + spread * (gsl_rng_uniform(r) - 0.5);
  const double x = bounds[gsl_rng_uniform_int(r, sizeof bounds / sizeof *bounds)];
  const unsigned long side = gsl_rng_uniform_int(r, 3);
  return side == 0 ? nextafter(x, -INFINITY) : side == 1 ? x : nextafter(x, INFINITY);
}

static void compare_states(const char *name) {
  pair P;
  pair_open(&P, name);
  gv_env *b = P.b, *c = P.c;
  const mjModel *m = P.bt->model;
  const int D = P.bt->type->obs_dim;
  double *ob = calloc((size_t)D, sizeof *ob), *oc = calloc((size_t)D, sizeof *oc);
  gsl_rng *r = gv_rng_alloc(3, "states", 0);
  int healthy = 0;
  enum { N = 20000 };
  for (long k = 0; k < N; ++k) {
    for (int i = 0; i < m->nq; ++i)
      b->d->qpos[i] = c->d->qpos[i] = state_value(r, m->qpos0[i], 0.04);
    for (int i = 0; i < m->nv; ++i) b->d->qvel[i] = c->d->qvel[i] = state_value(r, 0, 1);
    mj_forward(m, b->d);
    mj_forward(P.ct->model, c->d);
    gv_env_observe(ob, b);
    gv_env_observe(oc, c);
    same_bits(ob, oc, D * sizeof *ob, "observation of a set state", name, k);
    if (gv_env_healthy(b) != gv_env_healthy(c))
      fail_msg("%s: health differs at state %ld", name, k);
    healthy += gv_env_healthy(b);
  }
  assert_true(healthy > 0); /* some states of each kind */
  assert_true(healthy < N || !strcmp(name, "halfcheetah") || !strcmp(name, "reacher"));
  gsl_rng_free(r);
  free(ob);
  free(oc);
  pair_close(&P);
}

static void test_states(void **state) {
  (void)state;
  static const char *const names[] = {"hopper", "walker2d", "halfcheetah", "ant", "reacher",
                                      "inverted_pendulum"};
  for (int i = 0; i < 6; ++i) compare_states(names[i]);
}

static void test_hopper(void **state) { (void)state; compare("hopper", 3000, 10); }
static void test_walker2d(void **state) { (void)state; compare("walker2d", 3000, 10); }
static void test_halfcheetah(void **state) { (void)state; compare("halfcheetah", 3000, 3); }
static void test_ant(void **state) { (void)state; compare("ant", 3000, 3); }
static void test_reacher(void **state) { (void)state; compare("reacher", 1000, 20); }
static void test_inverted_pendulum(void **state) {
  (void)state;
  compare("inverted_pendulum", 1000, 20);
}

/* A config error: GV_ECONFIG and every needle in the message. */
static void refused(const char *yaml, const char *n1, const char *n2) {
  gv_node *root = NULL;
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_cfg_parse_string(yaml, "t.yaml", &root, &err)) fail_msg("%s", err.msg);
  gv_env_task *task = NULL;
  gv_cfg_ctx ctx = {"t.yaml", "game.env"};
  gv_status st = gv_mjcf_task_alloc(&task, root, GV_ASSET_DIR "/x.yaml", &ctx, &err);
  gv_node_free(root);
  gv_env_task_free(task);
  if (st != GV_ECONFIG) fail_msg("status %d for %s (%s)", st, yaml, err.msg);
  if (!strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
    fail_msg("'%s' lacks '%s' / '%s'", err.msg, n1, n2 ? n2 : "");
}

#define HOP "{kind: mjcf, xml: hopper.xml, observation: [{term: qpos}], "

static void test_names_checked(void **state) {
  (void)state;
  refused(HOP "reward: [{term: forward, body: torsoo}]}", "t.yaml:1: game.env.reward.0.body: "
          "no body 'torsoo' in the model", "(the model's bodies: world, torso, thigh, leg, foot)");
  refused(HOP "healthy: [{term: range, joint: knee}]}", "game.env.healthy.0.joint: no joint "
          "'knee'", "the model's joints: rootx, rootz, rooty, thigh_joint");
  refused(HOP "reward: [{term: distance, site: tip, target_body: torso}]}",
          "game.env.reward.0.site: no site 'tip'", "(the model's sites: none)");
  refused(HOP "reward: [{term: forwards}]}", "game.env.reward.0.term: unknown",
          "(allowed: forward, ctrl_cost, alive, contact_cost, distance)");
  refused(HOP "reward: [{term: ctrl_cost, wieght: 1}]}", "game.env.reward.0.wieght: unknown key",
          "allowed: weight");
  refused(HOP "reward: [{term: alive}, {term: alive}]}", "game.env.reward.1.term: a second "
          "alive term", NULL);
  refused(HOP "reward: [{term: forward, joint: rootx, body: torso}]}", "exactly one", NULL);
  refused("{kind: mjcf, xml: hopper.xml, observation: []}", "game.env.observation: required",
          "allowed terms: qpos, qvel, cos, sin");
  refused("{kind: mjcf, xml: hopper.xml}", "game.env.observation: required", NULL);
  refused("{kind: mjcf, xml: nothere.xml, observation: [{term: qpos}]}",
          "game.env.xml: 'nothere.xml' not found", NULL);
  refused("{kind: mjcf, xml: hopper.xml, observation: [{term: qpos}], rewrd: []}",
          "game.env.rewrd: unknown key", "observation, reward, healthy, reset");
  refused("{kind: mujoco, xml: hopper.xml}", "game.env.kind: unknown env kind 'mujoco'",
          "(allowed: mjcf");
  refused(HOP "reset: [{term: target_disc, joint_x: rooty, joint_y: rootz}]}",
          "game.env.reset.0.joint_x: 'rooty' is not a slide joint", NULL);
  refused(HOP "xml_hash: 'fnv1a64:0000000000000000'}", "game.env.xml_hash: ",
          "changed: its content is fnv1a64:");
  refused("{kind: mjcf, xml: hopper.xml, observation: [{term: qpos, joints: [rootx, knee]}]}",
          "game.env.observation.0.joints: no joint 'knee'", NULL);
  refused("{kind: mjcf, xml: hopper.xml, observation: [{term: body_pos, body: torso, axes: xw}]}",
          "game.env.observation.0.axes: 'xw'", "allowed: 1 to 3 of x, y, z");
}

/* the group's scratch directory (test_bad_xml's files): removed by the
 * group's teardown, whatever a test's assertions did */
GV_TESTDIR_GROUP(dir, "mjcf")

/* An XML MuJoCo refuses: its message, as a config error. */
static void test_bad_xml(void **state) {
  (void)state;
  char xml[600], cfg[600];
  snprintf(xml, sizeof xml, "%s/bad.xml", dir);
  snprintf(cfg, sizeof cfg, "%s/c.yaml", dir);
  FILE *f = fopen(xml, "w");
  assert_non_null(f);
  fputs("<mujoco><worldbody><body><joint type=\"sphere\"/></body></worldbody></mujoco>\n", f);
  fclose(f);
  gv_node *root = NULL;
  gv_err err;
  assert_int_equal(gv_cfg_parse_string("{kind: mjcf, xml: bad.xml, observation: [{term: qpos}]}",
                                       "c.yaml", &root, &err), GV_OK);
  gv_env_task *task = NULL;
  gv_cfg_ctx ctx = {"c.yaml", "game.env"};
  assert_int_equal(gv_mjcf_task_alloc(&task, root, cfg, &ctx, &err), GV_ECONFIG);
  assert_non_null(strstr(err.msg, "c.yaml:1: game.env.xml: MuJoCo can not load"));
  assert_non_null(strstr(err.msg, "sphere"));
  gv_node_free(root);
}

/* The resolved config rebuilds the task (what a saved policy carries). */
static void test_resolved_rebuilds(void **state) {
  (void)state;
  gv_node *root = NULL;
  gv_err err;
  if (gv_cfg_load(CONFIGS "reacher.yaml", &root, &err)) fail_msg("%s", err.msg);
  gv_node *env = gv_cfg_lookup(root, "game.env");
  gv_env_task *a = NULL, *b = NULL;
  gv_cfg_ctx ctx = {"reacher.yaml", "game.env"};
  if (gv_mjcf_task_alloc(&a, env, CONFIGS "reacher.yaml", &ctx, &err)) fail_msg("%s", err.msg);
  char *text = gv_cfg_emit(env);
  assert_non_null(strstr(text, "xml_hash: fnv1a64:"));
  assert_non_null(strstr(text, "xml: /"));
  if (gv_env_task_rebuild(&b, "reacher", text, 1, "policy", &err)) fail_msg("%s", err.msg);
  assert_int_equal(a->type->obs_dim, b->type->obs_dim);
  assert_string_equal(b->type->name, "reacher");
  free(text);
  gv_env_task_free(a);
  gv_env_task_free(b);
  gv_node_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hopper),       cmocka_unit_test(test_walker2d),
      cmocka_unit_test(test_halfcheetah),  cmocka_unit_test(test_ant),
      cmocka_unit_test(test_reacher),      cmocka_unit_test(test_inverted_pendulum),
      cmocka_unit_test(test_names_checked), cmocka_unit_test(test_bad_xml),
      cmocka_unit_test(test_resolved_rebuilds), cmocka_unit_test(test_states),
  };
  return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
}
