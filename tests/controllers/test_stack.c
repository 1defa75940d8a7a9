/* The controller stack: loading from YAML with its errors, the checks
 * against games and schemes, the combined hooks, and the registry (every
 * registered controller is loaded with its defaults and run through the
 * Dirac game). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "tests/controllers/ctl_test_util.h"

#define assert_contains(hay, needle)                                        \
  do {                                                                      \
    if (!strstr((hay), (needle))) fail_msg("'%s' not in '%s'", (needle), (hay)); \
  } while (0)

static void test_empty(void **state) {
  (void)state;
  gv_ctl_stack s;
  gv_err err;
  gv_cfg_ctx ctx = {"x.yaml", ""};
  assert_int_equal(gv_ctl_stack_load(&s, NULL, &ctx, 1, &err), GV_OK);
  assert_int_equal(s.n, 0);
  assert_int_equal(s.noise_dim, 0);
  gv_ctl_stack_free(&s);
  assert_int_equal(tu_stack(&s, "[]", 1, &err), GV_OK);
  assert_int_equal(s.n, 0);
  gv_ctl_stack_free(&s);
  gv_ctl_stack_free(NULL);
}

static void test_load_defaults_written_back(void **state) {
  (void)state;
  gv_node *root = NULL;
  gv_err err;
  const char *text = "controllers:\n  - kind: r1\n  - kind: bmc\n    rho1: 0.5\n";
  assert_int_equal(gv_cfg_parse_string(text, "t.yaml", &root, &err), GV_OK);
  gv_ctl_stack s;
  gv_cfg_ctx ctx = {"t.yaml", ""};
  assert_int_equal(gv_ctl_stack_load(&s, gv_map_get(root, "controllers"), &ctx, 9, &err), GV_OK);
  assert_int_equal(s.n, 2);
  assert_ptr_equal(s.items[0].type, gv_ctl_find("r1"));
  assert_near(*(const double *)s.items[0].par, 1.0, 0); /* default gamma */
  const double *bp = s.items[1].par;
  assert_near(bp[0], 0.5, 0);
  assert_near(bp[1], 0.01, 0);
  assert_near(bp[2], 2.0, 0);
  assert_int_equal(s.noise_dim, 2);
  /* the resolved config carries every default */
  assert_non_null(gv_cfg_lookup(root, "controllers.0.gamma"));
  assert_non_null(gv_cfg_lookup(root, "controllers.1.beta"));
  /* each controller has its own stream */
  assert_true(gsl_rng_get(s.items[0].rng) != gsl_rng_get(s.items[1].rng));
  gv_ctl_stack_free(&s);
  gv_node_free(root);
}

static void expect_error(const char *list, gv_status want, const char *needle) {
  gv_ctl_stack s;
  gv_err err;
  memset(&err, 0, sizeof err);
  gv_status st = tu_stack(&s, list, 1, &err);
  if (st != want) fail_msg("%s: status %s, want %s (%s)", list, gv_status_name(st),
                           gv_status_name(want), err.msg);
  assert_contains(err.msg, needle);
  assert_int_equal(s.n, 0);
  assert_null(s.items);
}

static void test_config_errors(void **state) {
  (void)state;
  /* unknown kind: location, key path and the allowed names */
  expect_error("\n  - kind: r3\n", GV_ECONFIG,
               "test.yaml:2: controllers.0.kind: unknown controller 'r3' (allowed: none, r1, r2");
  expect_error("[{kind: r1}, {kind: bogus}]", GV_ECONFIG, "controllers.1.kind: unknown");
  /* unknown key */
  expect_error("\n  - kind: r1\n    gama: 0.3\n", GV_ECONFIG, "gama");
  expect_error("\n  - kind: r1\n    gama: 0.3\n", GV_ECONFIG, "test.yaml:3:");
  /* out of range */
  expect_error("[{kind: r1, gamma: -1}]", GV_ECONFIG, "gamma");
  expect_error("[{kind: clip, c: 0}]", GV_ECONFIG, "controllers.0.c");
  expect_error("[{kind: bmc, rho1: -0.1}]", GV_ECONFIG, "rho1");
  /* not a number */
  expect_error("[{kind: clc, lambda: strong}]", GV_ECONFIG, "lambda");
  /* shapes */
  expect_error("[r1]", GV_ECONFIG, "controllers.0: expected a map");
  expect_error("[{gamma: 1}]", GV_ECONFIG, "missing 'kind'");
  expect_error("r1", GV_ECONFIG, "test.yaml:1: controllers: expected a list");
  expect_error("{kind: r1}", GV_ECONFIG, "expected a list");
  expect_error("[{kind: [r1, r2]}]", GV_ECONFIG, "controllers.0.kind: expected one controller");
}

/* A game view without the capabilities (a made-up closed-form game). */
static void test_missing_capabilities(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  gv_vfgame toy = d.vf;
  toy.name = "toy";
  toy.caps = NULL;
  toy.jacobian = NULL;
  const struct {
    const char *ctl, *msg;
  } cases[] = {
      {"[{kind: r1}]", "controller 'r1' has no hook for game 'toy' (it needs the discriminator's "
                       "input gradient"},
      {"[{kind: r2}]", "controller 'r2' has no hook for game 'toy'"},
      {"[{kind: wgan_gp}]", "controller 'wgan_gp' has no hook for game 'toy'"},
      {"[{kind: instance_noise}]", "controller 'instance_noise' has no hook for game 'toy'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    gv_ctl_stack s;
    gv_err err;
    assert_int_equal(tu_stack(&s, cases[i].ctl, 1, &err), GV_OK);
    assert_int_equal(gv_ctl_stack_check(&s, &toy, "simgd", GV_HOOK_DRIFT | GV_HOOK_UPDATE, &err),
                     GV_ENOHOOK);
    assert_contains(err.msg, cases[i].msg);
    /* naming the config item, also when the message is the controller's own */
    assert_int_equal(strncmp(err.msg, "test.yaml:1: controllers.0.kind: ", 33), 0);
    /* the same controllers are fine on the Dirac game */
    assert_int_equal(gv_ctl_stack_check(&s, &d.vf, "simgd", GV_HOOK_DRIFT | GV_HOOK_UPDATE, &err),
                     GV_OK);
    gv_ctl_stack_free(&s);
  }
  /* consensus and clc need only the field (consensus differentiates it) */
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: consensus}, {kind: clc}]", 1, &err), GV_OK);
  assert_int_equal(gv_ctl_stack_check(&s, &toy, "simgd", GV_HOOK_DRIFT, &err), GV_OK);
  gv_ctl_stack_free(&s);
}

/* Controllers against schemes: the error names controller and scheme. */
static void test_scheme_mismatch(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  const struct {
    const char *ctl, *scheme, *msg;
  } bad[] = {
      {"[{kind: bmc}]", "simgd",
       "controller 'bmc' needs a stochastic scheme (sde); scheme 'simgd' has no diffusion"},
      {"[{kind: bmc}]", "altgd", "scheme 'altgd' has no diffusion"},
      {"[{kind: r1}, {kind: bmc}]", "ode", "scheme 'ode' has no diffusion"},
      {"[{kind: clip}]", "ode", "controller 'clip'"},
      {"[{kind: bmc_update}]", "ode", "scheme 'ode'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    gv_ctl_stack s;
    gv_err err;
    assert_int_equal(tu_stack(&s, bad[i].ctl, 1, &err), GV_OK);
    gv_scheme sc;
    gv_scheme_params p = tu_sp(0.2, 1);
    assert_int_equal(gv_scheme_init(&sc, gv_scheme_find(bad[i].scheme), &p, &d.vf, &s, &err),
                     GV_ENOHOOK);
    assert_contains(err.msg, bad[i].msg);
    gv_ctl_stack_free(&s);
  }
  const struct {
    const char *ctl, *scheme;
  } good[] = {{"[{kind: bmc}]", "sde"},       {"[{kind: bmc_update}]", "altgd"},
              {"[{kind: bmc_update}]", "sde"}, {"[{kind: clip}]", "simgd"},
              {"[{kind: r1}]", "ode"},         {"[{kind: none}]", "ode"}};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; ++i) {
    gv_ctl_stack s;
    gv_err err;
    assert_int_equal(tu_stack(&s, good[i].ctl, 1, &err), GV_OK);
    gv_scheme sc;
    gv_scheme_params p = tu_sp(0.2, 1);
    if (gv_scheme_init(&sc, gv_scheme_find(good[i].scheme), &p, &d.vf, &s, &err) != GV_OK)
      fail_msg("%s on %s: %s", good[i].ctl, good[i].scheme, err.msg);
    gv_scheme_deinit(&sc);
    gv_ctl_stack_free(&s);
  }
}

/* A controller without any vector-field hook is rejected by name. */
static const gv_ctl_type loss_only = {
    .info = {"loss_only", "a loss-level controller (test)", NULL, NULL, 0}};

static void test_no_vf_hook(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  gv_ctl item = {.type = &loss_only}; /* built by hand: no config location */
  gv_ctl_stack s = {.items = &item, .n = 1};
  gv_err err;
  assert_int_equal(gv_ctl_stack_check(&s, &d.vf, "simgd", GV_HOOK_DRIFT | GV_HOOK_UPDATE, &err),
                   GV_ENOHOOK);
  assert_string_equal(err.msg, "controller 'loss_only' has no hook for game 'dirac'");
}

/* Every registered controller: a one-line summary, a citation, parameters
 * with help, loadable with defaults; those with a vector-field hook are
 * accepted by the sde scheme (which takes every hook level) on the Dirac
 * game, and 200 steps stay finite. */
static void test_every_registered(void **state) {
  (void)state;
  size_t count = 0;
  for (const gv_component *const *c = gv_ctl_registry.items; *c; ++c, ++count) {
    const gv_component *info = *c;
    assert_ptr_equal(gv_ctl_find(info->name), (const gv_ctl_type *)info);
    assert_non_null(info->summary);
    assert_true(strlen(info->summary) > 0 && strlen(info->summary) < 100);
    assert_null(strchr(info->summary, '\n'));
    if (strcmp(info->name, "none")) assert_non_null(info->cite);
    for (const gv_param *p = info->params; p && p->name; ++p) {
      assert_non_null(p->help);
      assert_non_null(p->def);
    }
    assert_true(gv_ctl_hooks((const gv_ctl_type *)info) != 0);
    /* neural-only controllers (cgail) are run through tests/controllers/test_ctl_loss.c */
    if (!(gv_ctl_hooks((const gv_ctl_type *)info) &
          (GV_HOOK_DRIFT | GV_HOOK_DIFFUSION | GV_HOOK_UPDATE)))
      continue;
    char list[128];
    snprintf(list, sizeof list, "[{kind: %s}]", info->name);
    gv_ctl_stack s;
    gv_err err;
    if (tu_stack(&s, list, 1, &err) != GV_OK) fail_msg("%s: %s", info->name, err.msg);
    gv_dirac d;
    tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
    gv_scheme sc;
    gv_scheme_params p = tu_sp(0.05, 1);
    gv_status ist = gv_scheme_init(&sc, gv_scheme_find("sde"), &p, &d.vf, &s, &err);
    /* controllers needing a capability the Dirac game lacks (cgail, entcomp:
     * one-step GAIL's) are run through tests/gan/test_gan_onestep.c */
    if (ist == GV_ENOHOOK && ((const gv_ctl_type *)info)->vf_needs) {
      gv_ctl_stack_free(&s);
      continue;
    }
    if (ist != GV_OK) fail_msg("%s: %s", info->name, err.msg);
    gsl_rng *r = gv_rng_alloc(1, "scheme", 0);
    double x[2] = {1.0, 1.0};
    for (int k = 0; k < 200; ++k) assert_int_equal(sc.type->step(&sc, x, r), GV_OK);
    gsl_rng_free(r);
    gv_scheme_deinit(&sc);
    gv_ctl_stack_free(&s);
  }
  assert_true(count >= 11); /* the ten Dirac controllers and cgail, plus later games' own */
  assert_null(gv_ctl_find("r3"));
}

/* The stack's drift is the sum of its members' drifts. */
static void test_drift_sums(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.0);
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: r1, gamma: 0.3}, {kind: clc, lambda: 0.2}]", 1, &err),
                   GV_OK);
  double x[2] = {0.7, -1.1}, F[2], v[2];
  gv_vf_controlled(&d.vf, &s, x, F); /* unchecked: scratch per call */
  assert_int_equal(gv_ctl_stack_check(&s, &d.vf, "simgd", GV_HOOK_DRIFT, &err), GV_OK);
  double Fc[2];
  gv_vf_controlled(&d.vf, &s, x, Fc); /* checked: the stack's scratch, the same numbers */
  assert_memory_equal(F, Fc, sizeof F);
  gv_dirac_field(&d, x, v);
  assert_near(F[0], v[0], 0);
  assert_near(F[1], v[1] - 0.3 * -1.1 - 0.2 * -1.1, 1e-15);
  gv_ctl_stack_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_load_defaults_written_back),
      cmocka_unit_test(test_config_errors),
      cmocka_unit_test(test_missing_capabilities),
      cmocka_unit_test(test_scheme_mismatch),
      cmocka_unit_test(test_no_vf_hook),
      cmocka_unit_test(test_every_registered),
      cmocka_unit_test(test_drift_sums),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
