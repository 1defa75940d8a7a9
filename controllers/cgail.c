/* C-GAIL's regulariser (Luo et al. 2024, arXiv 2402.16349), in the working
 * reading recorded in docs/theory/cgail.md (the paper's exact formula was not
 * available to us): the discriminator's output is pulled toward its equilibrium
 * value, (k/2) E[(sigmoid(D) - target)^2] added to the discriminator's loss,
 * with D the logit, target 1/2 by default, on expert (real) samples, policy
 * (generated) samples, or both (one mean over the union).
 *
 * Closed-form games (one-step GAIL): the same penalty on the game's output
 * probabilities, drift -k dP/dx on the discriminator components with
 * P = E_on (D - target)^2 / 2 (the game's penalty_output capability).  At
 * the desired state it adds -k pi_E(a) to dD(a)/dt's diagonal for
 * probability-valued D and -k pi_E(a) / 16 for logits; it does not move the
 * target of the policy's flow, so with an entropy bonus the desired state
 * stays a non-equilibrium (derived in docs/theory/onestep-gail.md). */
#include <math.h>

#include "controllers/ctl.h"

typedef struct cgail_params {
  double k;                 /* gain */
  double target;            /* the output's equilibrium value */
  int on;                   /* 0 expert, 1 policy, 2 both */
} cgail_params;

static const char *const on_names[] = {"expert", "policy", "both", NULL};

static const gv_param cgail_specs[] = {
    GV_PARAM_REAL(cgail_params, k, "1.0", 0.0, 1e6, "gain k of (k/2) E[(sigmoid(D) - target)^2]"),
    GV_PARAM_REAL(cgail_params, target, "0.5", 0.0, 1.0,
                  "value sigmoid(D) is pulled to (1/2: D's equilibrium)"),
    GV_PARAM_ENUM(cgail_params, on, "both", on_names,
                  "samples: expert (real), policy (generated) or both"),
    GV_PARAM_END};

/* Adds (k/2) sum (s - t)^2 / n over l (m of the n samples) and its
 * gradient k (s - t) s (1 - s) / n; returns the sum's share. */
static double pull(const cgail_params *p, const float *l, float *dl, size_t m, size_t n) {
  double total = 0.0;
  for (size_t i = 0; i < m; ++i) {
    double s = 1.0 / (1.0 + exp(-(double)l[i]));
    double e = s - p->target;
    total += e * e;
    dl[i] += (float)(p->k * e * s * (1.0 - s) / (double)n);
  }
  return 0.5 * p->k * total / (double)n;
}

static double cgail_loss(const void *par, void *state, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)state, (void)rng;
  const cgail_params *p = par;
  if (o->side != GV_CTL_SIDE_DISC) return 0.0;
  size_t nr = p->on != 1 ? o->nreal : 0, nf = p->on != 0 ? o->nfake : 0, n = nr + nf;
  if (!n) return 0.0;
  return pull(p, o->real, o->dreal, nr, n) + pull(p, o->fake, o->dfake, nf, n);
}

/* dx_d -= k dP/dx_d on the discriminator components. */
static void cgail_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                        double *gr) {
  const cgail_params *p = par;
  g->caps->penalty_output(g->self, p->target, p->on, x, gr);
  for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) dx[i] -= p->k * gr[i];
}

const gv_ctl_type gv_ctl_cgail = {
    .info = {"cgail", "C-GAIL: (k/2) E[(sigmoid(D) - 1/2)^2] pulls D to its equilibrium",
             "Luo et al. 2024 (arXiv 2402.16349); our working reading, docs/theory/cgail.md",
             cgail_specs, sizeof(cgail_params)},
    .vf_needs = GV_CAP(penalty_output),
    .vf_scratch = gv_ctl_one_vector,
    .vf_drift = cgail_drift,
    .loss_outputs = cgail_loss,
};
