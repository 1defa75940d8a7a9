/* Consensus optimisation (Mescheder, Nowozin & Geiger 2017, arXiv 1705.10461,
 * eq. (9); on the Dirac-GAN: Mescheder et al. 2018, arXiv 1801.04406,
 * sec. 3.3): both players follow v - gamma grad(|v|^2 / 2) = v - gamma J^T v,
 * with v the bare field and J its Jacobian (the game's analytic one, or
 * central differences of the field).  Dirac eigenvalues at (0, 0):
 * -gamma f'(0)^2 +- f'(0) i. */
#include <math.h>
#include <stdlib.h>

#include "controllers/ctl.h"

typedef struct consensus_params {
  double gamma;             /* weight of the |v|^2 / 2 descent */
} consensus_params;

static const gv_param consensus_specs[] = {
    GV_PARAM_REAL(consensus_params, gamma, "1.0", 0.0, 1e6,
                  "weight gamma of the consensus term -gamma J^T v"),
    GV_PARAM_END};

/* J (n x n) by central differences of the field; xp (n) and the two field
 * values vp, vm (n) are scratch.  Step relative to |x_j|, as the truncation
 * and rounding errors balance at about eps^(1/3) times the scale. */
static void fd_jacobian(const gv_vfgame *g, const double *x, double *J, double *xp, double *vp,
                        double *vm) {
  size_t n = g->n;
  for (size_t j = 0; j < n; ++j) {
    double hj = 1e-6 * fmax(1.0, fabs(x[j]));
    for (size_t k = 0; k < n; ++k) xp[k] = x[k];
    xp[j] = x[j] + hj;
    g->field(g->self, xp, vp);
    xp[j] = x[j] - hj;
    g->field(g->self, xp, vm);
    for (size_t i = 0; i < n; ++i) J[i * n + j] = (vp[i] - vm[i]) / (2.0 * hj);
  }
}

/* J (n x n), then v, xp, vp, vm (n each). */
static size_t consensus_scratch(size_t n) { return n * n + 4 * n; }

static void consensus_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                            double *buf) {
  double gamma = ((const consensus_params *)par)->gamma;
  const size_t n = g->n;
  double *J = buf, *v = J + n * n, *xp = v + n, *vp = xp + n, *vm = vp + n;
  g->field(g->self, x, v);
  if (g->jacobian) g->jacobian(g->self, x, J);
  else fd_jacobian(g, x, J, xp, vp, vm);
  for (size_t j = 0; j < n; ++j) {
    double s = 0.0; /* (J^T v)_j */
    for (size_t i = 0; i < n; ++i) s += J[i * n + j] * v[i];
    dx[j] -= gamma * s;
  }
}

const gv_ctl_type gv_ctl_consensus = {
    .info = {"consensus", "consensus optimisation: both players also descend gamma |v|^2 / 2",
             "Mescheder et al. 2017 (arXiv 1705.10461) eq. (9); Mescheder et al. 2018 sec. 3.3",
             consensus_specs, sizeof(consensus_params)},
    .vf_scratch = consensus_scratch,
    .vf_drift = consensus_drift,
};
