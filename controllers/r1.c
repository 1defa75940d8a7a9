/* Zero-centred gradient penalties R1 and R2 (Mescheder et al. 2018, arXiv
 * 1801.04406, section 4.1, eq. (9) and (10)):
 *   R1 = (gamma / 2) E_real |grad_x D(x)|^2,  R2 = (gamma / 2) E_fake |...|^2,
 * subtracted from the discriminator's objective.  As a vector-field
 * controller: drift -gamma dP/dx on the discriminator components only (the
 * generator does not descend the penalty).  On the Dirac-GAN the Jacobian at
 * (0, 0) gets eigenvalues -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2) (Theorem 4.1). */
#include <math.h>
#include <stdlib.h>

#include "controllers/ctl.h"

typedef struct r1_params {
  double gamma;             /* penalty weight */
} r1_params;

static const gv_param r1_specs[] = {
    GV_PARAM_REAL(r1_params, gamma, "1.0", 0.0, 1e6,
                  "penalty weight gamma (Dirac: 1.0 is critical damping)"),
    GV_PARAM_END};

typedef void (*penalty_fn)(const void *self, const double *x, double *g);

/* dx_d -= gamma dP/dx_d on the discriminator components. */
static void penalty_drift(penalty_fn pen, double gamma, const gv_vfgame *g, const double *x,
                          double *dx) {
  enum { LOCAL = 64 };
  double local[LOCAL];
  double *gr = g->n <= LOCAL ? local : malloc(g->n * sizeof *gr);
  if (!gr) { /* out of memory: poison so the scheme reports divergence */
    for (size_t i = 0; i < g->n; ++i) dx[i] = NAN;
    return;
  }
  pen(g->self, x, gr);
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= gamma * gr[i];
  if (gr != local) free(gr);
}

static void r1_drift(const void *par, const gv_vfgame *g, const double *x, double *dx) {
  penalty_drift(g->penalty_real, ((const r1_params *)par)->gamma, g, x, dx);
}

static void r2_drift(const void *par, const gv_vfgame *g, const double *x, double *dx) {
  penalty_drift(g->penalty_fake, ((const r1_params *)par)->gamma, g, x, dx);
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

static gv_status r1_check(const void *par, const gv_vfgame *g, gv_err *err) {
  (void)par;
  if (!g->penalty_real)
    return gv_fail(err, GV_ENOHOOK,
                   "controller 'r1' has no hook for game '%s' (it needs the discriminator's "
                   "input gradient on real samples)",
                   g->name);
  return GV_OK;
}

static gv_status r2_check(const void *par, const gv_vfgame *g, gv_err *err) {
  (void)par;
  if (!g->penalty_fake)
    return gv_fail(err, GV_ENOHOOK,
                   "controller 'r2' has no hook for game '%s' (it needs the discriminator's "
                   "input gradient on generated samples)",
                   g->name);
  return GV_OK;
}

const gv_ctl_type gv_ctl_r1 = {
    .info = {"r1", "R1: zero-centred gradient penalty on real data, (gamma/2) E|grad D|^2",
             "Mescheder et al. 2018 (arXiv 1801.04406) sec. 4.1, eq. (9)", r1_specs,
             sizeof(r1_params)},
    .vf_check = r1_check,
    .vf_drift = r1_drift,
    .input_penalty = r1_penalty,
};

const gv_ctl_type gv_ctl_r2 = {
    .info = {"r2", "R2: zero-centred gradient penalty on generated data, (gamma/2) E|grad D|^2",
             "Mescheder et al. 2018 (arXiv 1801.04406) sec. 4.1, eq. (10)", r1_specs,
             sizeof(r1_params)},
    .vf_check = r2_check,
    .vf_drift = r2_drift,
    .input_penalty = r2_penalty,
};
