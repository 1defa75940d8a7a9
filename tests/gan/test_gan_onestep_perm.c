/* One-step GAIL does not depend on how the actions are labelled.
 *
 * The policy holds all n softmax logits (or all n simplex probabilities) and
 * the stability analysis leaves out the one direction the state never moves
 * along (the shift of all policy coordinates, gv_vfgame.conserved).  Then
 * relabelling the actions permutes the field, so it must permute the
 * equilibria and leave every spectrum unchanged: checked here for every
 * discriminator (prob, logit) x policy (softmax, simplex) x reward (gail,
 * logit, logd) combination, with no controller and with each controller the
 * game accepts, for n = 3 (all six orders) and n = 4.  With n - 1 logits and
 * the last fixed at 0 (the former coordinates) the slowest eigenvalue at the
 * desired state for pi_E = (0.5, 0.3, 0.2), (0.2, 0.3, 0.5), (0.5, 0.2, 0.3)
 * was -0.0403, -0.0616, -0.0488; now it is one number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>

#include "gan/onestep.h"
#include "gan/stability.h"
#include "tests/controllers/ctl_test_util.h"
#include "tests/gan/onestep_test_util.h"

#define NX (2 * GV_ONESTEP_MAXN)

/* The os_controlled field with the conserved coordinate pinned at x*'s:
 * F(x) - u (u.(x - x*)).  Its roots are the equilibria, one per point. */
static void pinned(void *vp, const double *x, double *y) {
  const os_fctx *c = vp;
  size_t n = c->g->n;
  os_controlled(vp, x, y);
  const double *u = c->g->conserved;
  double d = 0.0;
  for (size_t i = 0; i < n; ++i) d += u[i] * (x[i] - c->g->xstar[i]);
  for (size_t i = 0; i < n; ++i) y[i] -= u[i] * d;
}

/* Damped Newton on the pinned field from x0 (finite-difference Jacobian):
 * 1 with the root in x when |F| < 1e-12. */
static int newton(const os_fctx *c, const double *x0, double *x) {
  size_t n = c->g->n;
  double F[NX], Ft[NX], xt[NX], J[NX * NX];
  for (size_t i = 0; i < n; ++i) x[i] = x0[i];
  pinned((void *)c, x, F);
  for (int it = 0; it < 100 && os_norm(F, n) >= 1e-12; ++it) {
    gv_fd_jacobian(pinned, (void *)c, n, x, 1e-7, J);
    gsl_matrix_view Jm = gsl_matrix_view_array(J, n, n);
    gsl_vector_view Fv = gsl_vector_view_array(F, n);
    gsl_permutation *perm = gsl_permutation_alloc(n);
    gsl_vector *dx = gsl_vector_alloc(n);
    int sg;
    gsl_linalg_LU_decomp(&Jm.matrix, perm, &sg);
    int bad = gsl_linalg_LU_solve(&Jm.matrix, perm, &Fv.vector, dx) != GSL_SUCCESS;
    double step = 1.0, f0 = os_norm(F, n);
    for (int ls = 0; ls < 30 && !bad; ++ls, step *= 0.5) {
      for (size_t i = 0; i < n; ++i) xt[i] = x[i] - step * gsl_vector_get(dx, i);
      pinned((void *)c, xt, Ft);
      if (os_norm(Ft, n) < f0) break; /* NaN (off the domain) is not smaller */
    }
    gsl_permutation_free(perm);
    gsl_vector_free(dx);
    if (bad || !(os_norm(Ft, n) < f0)) return 0;
    for (size_t i = 0; i < n; ++i) x[i] = xt[i], F[i] = Ft[i];
  }
  return os_norm(F, n) < 1e-12;
}

/* Eigenvalues of the os_controlled Jacobian at x on the complement of the
 * conserved direction; returns how many. */
static size_t spectrum_at(const os_fctx *c, const double *x, double *re, double *im) {
  size_t n = c->g->n;
  double J[NX * NX];
  gv_fd_jacobian(os_controlled, (void *)c, n, x, 1e-6, J);
  gv_status st = gv_eig_reduced(J, n, c->g->conserved, c->g->nconserved, re, im, NULL);
  if (st != GV_OK) fail_msg("%s: the conserved direction is not conserved", c->g->name);
  return n - c->g->nconserved;
}

/* a and b (k values) equal as multisets, each within tol (1 + |l|). */
static void same_spectrum(const char *what, const double *are, const double *aim,
                          const double *bre, const double *bim, size_t k, double tol) {
  int used[NX] = {0};
  for (size_t i = 0; i < k; ++i) {
    size_t best = k;
    double bd = INFINITY;
    for (size_t j = 0; j < k; ++j) {
      double d = hypot(are[i] - bre[j], aim[i] - bim[j]);
      if (!used[j] && d < bd) bd = d, best = j;
    }
    if (!(bd <= tol * (1.0 + hypot(are[i], aim[i]))))
      fail_msg("%s: eigenvalue %.12g%+.12gi has no partner (nearest at %g)", what, are[i],
               aim[i], bd);
    used[best] = 1;
  }
}

/* The state with the actions relabelled: action a becomes action perm[a]. */
static void permute_state(const size_t *perm, size_t na, const double *x, double *y) {
  for (size_t a = 0; a < na; ++a) {
    y[perm[a]] = x[a];
    y[na + perm[a]] = x[na + a];
  }
}

/* What the test runs a stack under: the scheme it needs. */
typedef struct setting {
  const char *ctl;           /* `controllers:` list */
  const char *scheme;        /* scheme kind */
} setting;

static const setting settings[] = {
    {"[]", "ode"},
    {"[]", "altgd"},
    {"[{kind: none}]", "simgd"},
    {"[{kind: cgail, k: 1.0, on: both}]", "ode"},
    {"[{kind: cgail, k: 3.0, on: expert, target: 0.4}]", "ode"},
    {"[{kind: cgail, k: 2.0, on: policy}]", "altgd"},
    {"[{kind: entcomp, k: 0.1}]", "ode"},
    {"[{kind: entcomp, k: -0.05}]", "simgd"},
    {"[{kind: clc, lambda: 1.0}]", "ode"},
    {"[{kind: consensus, gamma: 0.5}]", "ode"},
    {"[{kind: bmc, rho1: 0.05, rho2: 0.01}]", "sde"},
    {"[{kind: bmc_update, rho1: 0.05, rho2: 0.01}]", "simgd"},
    {"[{kind: clip, c: 3.0}]", "simgd"},
    {"[{kind: cgail, k: 1.0}, {kind: entcomp, k: 0.2}]", "ode"},
};
#define NSET (sizeof settings / sizeof settings[0])

/* One labelling: the game, its stack and scheme, the prediction at x* and
 * the equilibrium found from x* (and its spectrum). */
typedef struct labelled {
  gv_onestep g;
  gv_ctl_stack s;
  gv_scheme sc;
  gv_prediction p;
  int found;
  double eq[NX], re[NX], im[NX];
  size_t k;
} labelled;

static void build(labelled *L, int r, int d, int p, const double *expert, size_t na,
                  const setting *st) {
  os_make(&L->g, r, d, p, 0.1, expert, (long)na);
  gv_err err;
  if (tu_stack(&L->s, st->ctl, 3, &err) != GV_OK) fail_msg("%s: %s", st->ctl, err.msg);
  gv_scheme_params sp = {0.05, 10, 1, 2, 1e-10, 1e-8};
  const gv_scheme_type *t = gv_scheme_find(st->scheme);
  if (gv_scheme_init(&L->sc, t, &sp, &L->g.vf, &L->s, &err) != GV_OK)
    fail_msg("%s under %s: %s", st->ctl, st->scheme, err.msg);
  gv_err perr = {{0}, {0}};
  assert_int_equal(gv_predict(&L->sc, &L->p, &perr), GV_OK);
  /* no controller the game accepts moves the conserved coordinate */
  assert_int_equal(L->p.nconserved, 1);
  assert_int_equal(L->p.neig, 2 * na - 1);
  os_fctx c = {&L->g.vf, &L->s};
  L->found = newton(&c, L->g.xstar, L->eq);
  L->k = L->found ? spectrum_at(&c, L->eq, L->re, L->im) : 0;
}

static void release(labelled *L) {
  gv_scheme_deinit(&L->sc);
  gv_ctl_stack_free(&L->s);
}

static void compare(const labelled *A, const labelled *B, const size_t *perm, size_t na,
                    const char *what) {
  char buf[512];
  const gv_prediction *p = &A->p, *q = &B->p;
  snprintf(buf, sizeof buf, "%s: Jacobian at x*", what);
  same_spectrum(buf, p->jac_re, p->jac_im, q->jac_re, q->jac_im, p->neig, 1e-7);
  assert_int_equal(p->discrete, q->discrete);
  if (p->discrete) {
    snprintf(buf, sizeof buf, "%s: update map at x*", what);
    same_spectrum(buf, p->map_re, p->map_im, q->map_re, q->map_im, p->neig, 1e-7);
    assert_near(p->spectral_radius, q->spectral_radius, 1e-7);
  }
  assert_near(p->residual, q->residual, 1e-12);
  assert_int_equal(p->verdict, q->verdict);
  if (isfinite(p->rate)) assert_near(p->rate, q->rate, 1e-7 * (1.0 + fabs(p->rate)));
  assert_int_equal(isnan(p->lyapunov), isnan(q->lyapunov));
  if (!isnan(p->lyapunov)) assert_near(p->lyapunov, q->lyapunov, 1e-7);
  /* the equilibrium near x*: found in both labellings, and relabelled */
  if (!A->found || !B->found) fail_msg("%s: no equilibrium near x* (%d, %d)", what, A->found,
                                       B->found);
  double y[NX];
  permute_state(perm, na, A->eq, y);
  for (size_t i = 0; i < 2 * na; ++i)
    if (!(fabs(y[i] - B->eq[i]) < 1e-8))
      fail_msg("%s: equilibrium coordinate %zu: relabelled %.12g, found %.12g", what, i, y[i],
               B->eq[i]);
  snprintf(buf, sizeof buf, "%s: Jacobian at the equilibrium", what);
  same_spectrum(buf, A->re, A->im, B->re, B->im, A->k, 1e-6);
}

static const char *const rname[] = {"gail", "logit", "logd"};
static const char *const dname[] = {"prob", "logit"};
static const char *const pname[] = {"softmax", "simplex"};

static void check_relabelling(const double *expert, size_t na, const size_t (*perms)[4],
                              size_t nperm) {
  for (int r = 0; r < 3; ++r)
    for (int d = 0; d < 2; ++d)
      for (int p = 0; p < 2; ++p)
        for (size_t si = 0; si < NSET; ++si) {
          labelled *A = calloc(1, sizeof *A);
          labelled *B = calloc(1, sizeof *B);
          assert_non_null(A);
          assert_non_null(B);
          build(A, r, d, p, expert, na, &settings[si]);
          for (size_t k = 0; k < nperm; ++k) {
            double e2[GV_ONESTEP_MAXN];
            for (size_t a = 0; a < na; ++a) e2[perms[k][a]] = expert[a];
            build(B, r, d, p, e2, na, &settings[si]);
            char what[256];
            snprintf(what, sizeof what, "n %zu reward %s D %s policy %s, %s under %s, order %zu",
                     na, rname[r], dname[d], pname[p], settings[si].ctl, settings[si].scheme, k);
            compare(A, B, perms[k], na, what);
            release(B);
          }
          release(A);
          free(A);
          free(B);
        }
}

static void test_relabel_n3(void **state) {
  (void)state;
  const double e[3] = {0.5, 0.3, 0.2};
  const size_t perms[5][4] = {{2, 1, 0}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}};
  check_relabelling(e, 3, perms, 5);
}

static void test_relabel_n4(void **state) {
  (void)state;
  const double e[4] = {0.45, 0.3, 0.15, 0.1};
  const size_t perms[2][4] = {{1, 2, 3, 0}, {3, 1, 2, 0}};
  check_relabelling(e, 4, perms, 2);
}

/* Three orders of the same expert (0.5, 0.3, 0.2), probability D, softmax,
 * -log(1 - D), lambda 0: one slowest eigenvalue at x*, -0.1247607 (the
 * former n - 1 logits gave -0.0403, -0.0616, -0.0488). */
static void test_three_orders_one_rate(void **state) {
  (void)state;
  const double e[3][3] = {{0.5, 0.3, 0.2}, {0.2, 0.3, 0.5}, {0.5, 0.2, 0.3}};
  for (int i = 0; i < 3; ++i) {
    gv_onestep g;
    os_make(&g, GV_OS_REWARD_GAIL, GV_OS_DISC_PROB, GV_OS_POLICY_SOFTMAX, 0.0, e[i], 3);
    gv_scheme sc;
    gv_scheme_params sp = {0.1, 10, 1, 1, 1e-10, 1e-8};
    gv_err err;
    assert_int_equal(gv_scheme_init(&sc, gv_scheme_find("ode"), &sp, &g.vf, NULL, &err), GV_OK);
    gv_prediction p;
    assert_int_equal(gv_predict(&sc, &p, &err), GV_OK);
    assert_int_equal(p.neig, 5);
    double m = -INFINITY;
    for (size_t k = 0; k < p.neig; ++k) m = fmax(m, p.jac_re[k]);
    assert_near(m, -0.1247607, 1e-7);
    assert_int_equal(p.verdict, GV_VERDICT_CONVERGES);
    gv_scheme_deinit(&sc);
  }
}

/* gv_eig_reduced: the full spectrum is the reduced one plus the conserved
 * direction's 0; a matrix that does not conserve it is refused. */
static void test_eig_reduced(void **state) {
  (void)state;
  const double e[3] = {0.6, 0.3, 0.1};
  for (int p = 0; p < 2; ++p) {
    gv_onestep g;
    os_make(&g, GV_OS_REWARD_LOGIT, GV_OS_DISC_LOGIT, p, 0.2, e, 3);
    double J[36], re[6], im[6], fre[6], fim[6], mu = NAN;
    gv_onestep_jacobian(&g, g.xstar, J);
    assert_int_equal(gv_eig_reduced(J, 6, g.shift, 1, re, im, &mu), GV_OK);
    assert_true(fabs(mu) < 1e-14);
    assert_int_equal(gv_eig(J, 6, fre, fim), GV_OK);
    re[5] = im[5] = 0.0;
    same_spectrum("reduced + {0}", re, im, fre, fim, 6, 1e-10);
    for (int i = 0; i < 5; ++i) assert_true(hypot(re[i], im[i]) > 1e-3); /* the 0 is gone */
    J[0 * 6 + 4] += 0.1; /* u.F now depends on f_1: the shift no longer conserved */
    assert_int_equal(gv_eig_reduced(J, 6, g.shift, 1, re, im, NULL), GV_EINVAL);
  }
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_three_orders_one_rate),
      cmocka_unit_test(test_eig_reduced),
      cmocka_unit_test(test_relabel_n3),
      cmocka_unit_test(test_relabel_n4),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
