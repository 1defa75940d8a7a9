/* Helpers shared by the controller and closed-form game tests.  Include
 * after <cmocka.h> (assert_near uses fail_msg). */
#ifndef GV_TESTS_CTL_TEST_UTIL_H
#define GV_TESTS_CTL_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rng.h"
#include <string.h>

#include "controllers/ctl.h"
#include "core/config.h"
#include "gan/dirac.h"
#include "gan/scheme.h"
#include "gan/stability.h"

/* cmocka 1.1.5 (Debian 12) compares floats only in single precision. */
#define assert_near(a, b, tol)                                                      \
  do {                                                                              \
    double a_ = (a), b_ = (b), t_ = (tol);                                          \
    if (!(fabs(a_ - b_) <= t_))                                                     \
      fail_msg("%s = %.15g, expected %s = %.15g (tol %g)", #a, a_, #b, b_, t_);     \
  } while (0)

static inline void tu_dirac(gv_dirac *d, int loss, double c) {
  gv_dirac_params p;
  gv_params_defaults(gv_game_dirac.params, &p);
  p.loss = loss;
  p.c = c;
  gv_dirac_init(d, &p);
}

/* Loads a stack from the YAML text of a `controllers:` list (flow or block). */
static inline gv_status tu_stack(gv_ctl_stack *s, const char *list_yaml, uint64_t seed,
                                 gv_err *err) {
  char text[2048];
  snprintf(text, sizeof text, "controllers: %s\n", list_yaml);
  gv_node *root = NULL;
  gv_status st = gv_cfg_parse_string(text, "test.yaml", &root, err);
  if (st != GV_OK) return st;
  gv_cfg_ctx ctx = {"test.yaml", ""};
  st = gv_ctl_stack_load(s, gv_map_get(root, "controllers"), &ctx, seed, err);
  gv_node_free(root);
  return st;
}

static inline gv_scheme_params tu_sp(double h, long n_d) {
  gv_scheme_params p = {h, 500, 1, n_d, 1e-10, 1e-8};
  return p;
}

/* Eigenvalues of a real 2 x 2 matrix in closed form, larger real part (then
 * larger imaginary part) first. */
static inline void tu_eig2(const double *A, double *re, double *im) {
  double tr = A[0] + A[3], det = A[0] * A[3] - A[1] * A[2];
  double disc = tr * tr / 4.0 - det;
  if (disc >= 0.0) {
    double r = sqrt(disc);
    re[0] = tr / 2.0 + r, re[1] = tr / 2.0 - r;
    im[0] = im[1] = 0.0;
  } else {
    double r = sqrt(-disc);
    re[0] = re[1] = tr / 2.0;
    im[0] = r, im[1] = -r;
  }
}

/* Jacobian of the controlled field at x (the ode scheme's map_jacobian). */
static inline gv_status tu_controlled_jacobian(const gv_vfgame *g, gv_ctl_stack *s,
                                               const double *x, double *J, gv_err *err) {
  gv_scheme sc;
  gv_scheme_params p = tu_sp(0.2, 1);
  gv_status st = gv_scheme_init(&sc, gv_scheme_find("ode"), &p, g, s, err);
  if (st != GV_OK) return st;
  gv_scheme_map_jacobian(&sc, x, J);
  gv_scheme_deinit(&sc);
  return GV_OK;
}

/* gv_predict of the Dirac-GAN (loss, data point c) under simgd with step h
 * and the controllers of list_yaml; any error fails the test. */
static inline void tu_predict_dirac(int loss, double c, double h, const char *list_yaml,
                                    gv_prediction *p) {
  gv_dirac d;
  tu_dirac(&d, loss, c);
  gv_ctl_stack s;
  gv_err err;
  if (tu_stack(&s, list_yaml, 1, &err) != GV_OK) fail_msg("%s", err.msg);
  gv_scheme sc;
  gv_scheme_params sp = tu_sp(h, 1);
  if (gv_scheme_init(&sc, gv_scheme_find("simgd"), &sp, &d.vf, &s, &err) != GV_OK)
    fail_msg("%s", err.msg);
  if (gv_predict(&sc, p, &err) != GV_OK) fail_msg("%s", err.msg);
  gv_scheme_deinit(&sc);
  gv_ctl_stack_free(&s);
}

#endif
