/* Entropy compensation: a controller on the policy of one-step GAIL that
 * makes the desired state (pi = pi_E, D = 1/2) an asymptotically stable
 * equilibrium for every entropy weight lambda >= 0 (derived in
 * docs/theory/onestep-gail.md, sections 4 and 5).
 *
 * With lambda > 0 the policy's flow at the desired state is lambda times the
 * entropy gradient, which vanishes only for a uniform pi_E; no controller on
 * D built from expectations over expert and policy samples can cancel it
 * (at pi = pi_E its D-equilibrium is the same for every action, so the
 * reward carries no information there).  This controller acts on the policy
 * instead: drift
 *     u = -v_H(x) + k v_KL(x),
 * where v_H is the entropy bonus's share of the field (the game's
 * field_gen_reg) and v_KL the ascent direction of -KL(pi || pi_E) (the
 * game's field_gen_div, an oracle that knows pi_E).  The controlled policy
 * ascends E_pi[r(D)] - k KL(pi || pi_E); at k = lambda that is
 * E_pi[r(D)] + lambda H(pi) + lambda E_pi[log pi_E], a feed-forward of the
 * expert's log-likelihood.  Gains: every k >= 0 gives eigenvalues with
 * negative real parts (a Lyapunov function, docs section 5); negative k down
 * to a parameterisation-dependent k* in [-r'(1/2)/4, 0) still does (k* =
 * -r'(1/2)/4 exactly for probability-valued D and a softmax policy, where
 * the Jacobian becomes singular). */
#include <math.h>

#include "controllers/ctl.h"

typedef struct entcomp_params {
  double k;                 /* gain of the KL(pi || pi_E) pull */
} entcomp_params;

static const gv_param entcomp_specs[] = {
    GV_PARAM_REAL(entcomp_params, k, "1.0", -1e6, 1e6,
                  "gain k: the policy ascends E[r] - k KL(pi || pi_E) instead of E[r] + lambda H"),
    GV_PARAM_END};

static void entcomp_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                          double *vh) {
  double k = ((const entcomp_params *)par)->k, *vk = vh + g->n;
  g->caps->field_gen_reg(g->self, x, vh);
  g->caps->field_gen_div(g->self, x, vk);
  for (size_t i = g->gen0; i < g->gen0 + g->ngen; ++i) dx[i] += -vh[i] + k * vk[i];
}

const gv_ctl_type gv_ctl_entcomp = {
    .info = {"entcomp",
             "entropy compensation: the policy ascends E[r] - k KL(pi || pi_E) (one-step GAIL)",
             "derived in docs/theory/onestep-gail.md", entcomp_specs, sizeof(entcomp_params)},
    .vf_needs = GV_CAP(field_gen_reg) | GV_CAP(field_gen_div),
    .vf_scratch = gv_ctl_two_vectors,
    .vf_drift = entcomp_drift,
};
