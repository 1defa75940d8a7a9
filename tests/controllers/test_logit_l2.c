/* The logit penalty `logit_l2` (controllers/logit_l2.c): on the Dirac-GAN
 * its drift is -lambda dP/dx with P = E_on l^2 / 2 and l = psi x, so the
 * predicted eigenvalues at (c, 0) are those of [[0, -a], [a, d - lambda c^2]];
 * its neural hook's gradient matches central differences of the value it
 * returns; the MLP GAN and GAIL checks accept it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agents/gail.h"
#include "ctl_test_util.h"

static const char *const on_names[] = {"real", "fake", "both"};

/* A stack of one logit_l2 with gain lambda on the samples on_names[on]. */
static void load(gv_ctl_stack *s, double lambda, size_t on) {
  char ctl[80];
  gv_err err;
  snprintf(ctl, sizeof ctl, "[{kind: logit_l2, lambda: %g, on: %s}]", lambda, on_names[on]);
  if (tu_stack(s, ctl, 1, &err) != GV_OK) fail_msg("%s", err.msg);
}

/* Every eigenvalue of the 2 x 2 matrix A is among p's Jacobian eigenvalues. */
static void assert_spectrum(const gv_prediction *p, const double *A) {
  double re[2], im[2];
  tu_eig2(A, re, im);
  assert_int_equal(p->neig, 2);
  for (size_t i = 0; i < 2; ++i) {
    int found = 0;
    for (size_t j = 0; j < 2; ++j)
      found |= fabs(p->jac_re[j] - re[i]) < 1e-7 && fabs(p->jac_im[j] - im[i]) < 1e-7;
    if (!found)
      fail_msg("eigenvalue %.9g%+.9gi not predicted (%.9g%+.9gi, %.9g%+.9gi)", re[i], im[i],
               p->jac_re[0], p->jac_im[0], p->jac_re[1], p->jac_im[1]);
  }
}

static void test_dirac_spectrum(void **state) {
  (void)state;
  gv_prediction p, clc;
  /* WGAN, c = 1 (a = 1, d = 0): [[0, -1], [1, -lambda]], CLC's spectrum at lambda c^2 */
  tu_predict_dirac(GV_LOSS_WGAN, 1.0, 0.2, "[{kind: logit_l2, lambda: 1.0}]", &p);
  assert_spectrum(&p, (const double[]){0.0, -1.0, 1.0, -1.0});
  tu_predict_dirac(GV_LOSS_WGAN, 1.0, 0.2, "[{kind: clc, lambda: 1.0}]", &clc);
  assert_spectrum(&clc, (const double[]){0.0, -1.0, 1.0, -1.0});
  /* standard loss, c = 2 (a = 1/2, d = -c^2/2 = -2): the same damping on every `on` */
  for (size_t k = 0; k < 3; ++k) {
    char ctl[80];
    snprintf(ctl, sizeof ctl, "[{kind: logit_l2, lambda: 0.3, on: %s}]", on_names[k]);
    tu_predict_dirac(GV_LOSS_STANDARD, 2.0, 0.2, ctl, &p);
    assert_spectrum(&p, (const double[]){0.0, -0.5, 0.5, -2.0 - 0.3 * 4.0});
  }
  /* c = 0 (Mescheder's setting): the linearisation is the bare game's, +- i/2 */
  tu_predict_dirac(GV_LOSS_STANDARD, 0.0, 0.2, "[{kind: logit_l2, lambda: 5.0}]", &p);
  assert_spectrum(&p, (const double[]){0.0, -0.5, 0.5, 0.0});
}

/* The drift away from the equilibrium: -lambda psi (w_r c^2 + w_f theta^2)
 * on psi, nothing on theta. */
static void test_drift(void **state) {
  (void)state;
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_STANDARD, 0.5);
  const double x[2] = {0.7, -2.0}, lambda = 0.25;
  const double want[3] = {-lambda * -2.0 * 0.25, -lambda * -2.0 * 0.49,
                          -lambda * -2.0 * 0.5 * (0.25 + 0.49)};
  for (size_t k = 0; k < 3; ++k) {
    gv_ctl_stack s;
    gv_err err;
    load(&s, lambda, k);
    assert_int_equal(gv_ctl_stack_check(&s, &d.vf, "simgd", GV_HOOK_DRIFT, &err), GV_OK);
    double dx[2] = {0.0, 0.0};
    gv_ctl_stack_drift(&s, &d.vf, x, dx);
    assert_near(dx[0], 0.0, 0.0);
    assert_near(dx[1], want[k], 1e-15);
    gv_ctl_stack_free(&s);
  }
}

/* Loss value and dLoss/dlogit of one stack on fixed logits. */
static double loss_at(gv_ctl_stack *s, int side, float *real, float *fake, float *dreal,
                      float *dfake) {
  for (size_t i = 0; i < 3; ++i) dreal[i] = 0.0f;
  for (size_t i = 0; i < 2; ++i) dfake[i] = 0.0f;
  gv_ctl_outputs o = {.side = side, .nreal = 3, .nfake = 2, .real = real, .fake = fake,
                      .dreal = dreal, .dfake = dfake};
  return gv_ctl_stack_loss_outputs(s, &o);
}

static void test_neural_gradient(void **state) {
  (void)state;
  const double lambda = 0.3;
  for (size_t k = 0; k < 3; ++k) {
    gv_ctl_stack s;
    load(&s, lambda, k);
    float real[3] = {1.5f, -0.25f, 2.0f}, fake[2] = {-1.0f, 0.5f}, dr[3], df[2], sr[3], sf[2];
    double mr = (1.5 * 1.5 + 0.25 * 0.25 + 4.0) / 3.0, mf = (1.0 + 0.25) / 2.0;
    double want = k == 0 ? mr : k == 1 ? mf : 0.5 * (mr + mf);
    assert_near(loss_at(&s, GV_CTL_SIDE_DISC, real, fake, dr, df), 0.5 * lambda * want, 1e-12);
    /* central differences with a step that keeps every perturbed logit exact */
    const float eps = 0x1p-6f;
    float *l[2] = {real, fake}, *dl[2] = {dr, df};
    for (size_t b = 0; b < 2; ++b)
      for (size_t i = 0; i < (b ? 2u : 3u); ++i) {
        float keep = l[b][i];
        l[b][i] = keep + eps;
        double up = loss_at(&s, GV_CTL_SIDE_DISC, real, fake, sr, sf);
        l[b][i] = keep - eps;
        double down = loss_at(&s, GV_CTL_SIDE_DISC, real, fake, sr, sf);
        l[b][i] = keep;
        assert_near(dl[b][i], (up - down) / (2.0 * eps), 1e-6);
      }
    loss_at(&s, GV_CTL_SIDE_DISC, real, fake, dr, df);
    assert_true(k == 1 ? dr[0] == 0.0f : dr[0] != 0.0f); /* `on` picks the batches */
    assert_true(k == 0 ? df[0] == 0.0f : df[0] != 0.0f);
    /* a term of D's loss only: nothing on the generator's side */
    assert_near(loss_at(&s, GV_CTL_SIDE_GEN, real, fake, dr, df), 0.0, 0.0);
    assert_true(dr[0] == 0.0f && df[0] == 0.0f);
    gv_ctl_stack_free(&s);
  }
}

/* The MLP GAN's and GAIL's checks accept it on every `on`. */
static void test_neural_games_accept(void **state) {
  (void)state;
  for (size_t k = 0; k < 3; ++k) {
    gv_ctl_stack s;
    gv_err err;
    load(&s, 1.0, k);
    if (gv_ctl_stack_check_neural(&s, "mlpgan", &err) != GV_OK ||
        gv_gail_check_controllers_for(&s, "gail", &err) != GV_OK)
      fail_msg("on: %s: %s", on_names[k], err.msg);
    gv_ctl_stack_free(&s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dirac_spectrum),
      cmocka_unit_test(test_drift),
      cmocka_unit_test(test_neural_gradient),
      cmocka_unit_test(test_neural_games_accept),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
