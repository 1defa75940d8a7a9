/* Zero-centred gradient penalties R1 and R2 (Mescheder et al. 2018, arXiv
 * 1801.04406, section 4.1, eq. (9) and (10)):
 *   R1 = (gamma / 2) E_real |grad_x D(x)|^2,  R2 = (gamma / 2) E_fake |...|^2,
 * subtracted from the discriminator's objective.  As a vector-field
 * controller: drift -gamma dP/dx on the discriminator components only (the
 * generator does not descend the penalty).  On the Dirac-GAN the Jacobian at
 * (0, 0) gets eigenvalues -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2) (Theorem 4.1). */
#include "controllers/ctl.h"

typedef struct r1_params {
  double gamma;             /* penalty weight */
} r1_params;

static const gv_param r1_specs[] = {
    GV_PARAM_REAL(r1_params, gamma, "1.0", 0.0, 1e6,
                  "penalty weight gamma (Dirac: 1.0 is critical damping)"),
    GV_PARAM_END};

/* dx_d -= gamma dP/dx_d on the discriminator components; gr: the gradient (n). */
static void penalty_drift(double gamma, const gv_vfgame *g, const double *gr, double *dx) {
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= gamma * gr[i];
}

static void r1_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                     double *gr) {
  g->caps->penalty_real(g->self, x, gr);
  penalty_drift(((const r1_params *)par)->gamma, g, gr, dx);
}

static void r2_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                     double *gr) {
  g->caps->penalty_fake(g->self, x, gr);
  penalty_drift(((const r1_params *)par)->gamma, g, gr, dx);
}

/* Neural games: R1 = (gamma/2) E|grad_x D|^2 is gv_nn_penalty's R1 form with
 * coef gamma, on the real batch (R1) or the generated one (R2). */
static gv_status r1_penalty(const void *par, gv_ctl_penalty *pen, gv_err *err) {
  (void)err;
  pen->at = GV_CTL_PEN_REAL;
  pen->gp = 0;
  pen->coef = ((const r1_params *)par)->gamma;
  return GV_OK;
}

static gv_status r2_penalty(const void *par, gv_ctl_penalty *pen, gv_err *err) {
  (void)err;
  pen->at = GV_CTL_PEN_FAKE;
  pen->gp = 0;
  pen->coef = ((const r1_params *)par)->gamma;
  return GV_OK;
}

const gv_ctl_type gv_ctl_r1 = {
    .info = {"r1", "R1: zero-centred gradient penalty on real data, (gamma/2) E|grad D|^2",
             "Mescheder et al. 2018 (arXiv 1801.04406) sec. 4.1, eq. (9)", r1_specs,
             sizeof(r1_params)},
    .vf_needs = GV_CAP(penalty_real),
    .vf_scratch = gv_ctl_one_vector,
    .vf_drift = r1_drift,
    .input_penalty = r1_penalty,
};

const gv_ctl_type gv_ctl_r2 = {
    .info = {"r2", "R2: zero-centred gradient penalty on generated data, (gamma/2) E|grad D|^2",
             "Mescheder et al. 2018 (arXiv 1801.04406) sec. 4.1, eq. (10)", r1_specs,
             sizeof(r1_params)},
    .vf_needs = GV_CAP(penalty_fake),
    .vf_scratch = gv_ctl_one_vector,
    .vf_drift = r2_drift,
    .input_penalty = r2_penalty,
};
