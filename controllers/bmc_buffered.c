/* Brownian motion controller, the form of the authors' public neural-GAN
 * code (Luo et al. 2023, "Stabilizing GANs' Training with Brownian Motion
 * Controller", arXiv 2306.10468; repository TianjiaoLuo/GAN-BMC, the
 * StyleGAN2-ADA loss file training/loss_1.py, its "br" integral term).
 * docs/mlpgan.md sets it beside governor's `bmc` (the paper's SDE carried to
 * D's outputs) and lists what differs.
 *
 * On each discriminator step, with a the per-sample output the term acts on
 * (`output: bce`, the code's active branch: a = softplus(-l) on real samples
 * and a = softplus(l) on generated ones, l the logit, i.e. each sample's
 * binary cross-entropy; `output: logit`: a = l on both), and two draws
 * b1 = |N(0, 1)|, b2 = |N(0, 1)| per step, shared by every sample:
 *   T = gain * sum over S in {real, generated} of
 *       [ (rho1/2) b1 E_S a^2 + b2 E_S ((rho2/4) a^4 + (rho2/2) a^2) ],
 * added to the discriminator's loss (which it minimises).  No sqrt(dt): the
 * draws are used as they are.  T >= 0 on every step and its gradient has the
 * sign of its mean: with `output: bce` descent lowers every sample's
 * cross-entropy (real logits up, generated logits down), so unlike `bmc`
 * the term is not zero-mean noise but a randomly weighted extra pull of the
 * discriminator's own loss; with `output: logit` it pulls every logit
 * towards 0 (a random-gain CLC plus a quartic).
 *
 * The samples S are buffered ones: `sample` draws from each of two ring
 * buffers of the last `buffer` real and generated inputs, evaluated by D at
 * its current parameters (the game's history, gv_ctl_type.loss_history; the
 * code keeps 100 x 4 = 400 of each and evaluates 4).  Two differences from
 * the code's buffer: it inserts the current batch before drawing and draws
 * without replacement, the games here draw with replacement from the past
 * only.  While the buffers are empty (the first step) the current batch
 * stands in, as in the code, whose buffers hold only it then.  The defaults are the code's constants:
 * gain (its I_coeff) 0.1, rho1 1e-4, rho2 1e-6. */
#include <math.h>

#include "controllers/ctl.h"
#include "core/rng.h"

typedef struct bmcb_params {
  double gain;              /* overall coefficient (the code's I_coeff) */
  double rho1;              /* gain of the b1 term */
  double rho2;              /* gain of the b2 terms */
  int output;               /* BMCB_BCE or BMCB_LOGIT */
  long buffer;              /* past samples kept per kind */
  long sample;              /* buffer samples evaluated per kind and step */
} bmcb_params;

enum { BMCB_BCE = 0, BMCB_LOGIT = 1 };

static const char *const output_names[] = {"bce", "logit", NULL};

static const gv_param bmcb_specs[] = {
    GV_PARAM_REAL(bmcb_params, gain, "0.1", 0.0, 1e6, "overall coefficient (the code's I_coeff)"),
    GV_PARAM_REAL(bmcb_params, rho1, "1e-4", 0.0, 1e6, "gain of (rho1/2) |b1| E a^2"),
    GV_PARAM_REAL(bmcb_params, rho2, "1e-6", 0.0, 1e6, "gain of |b2| E(a^4/4 + a^2/2) rho2"),
    GV_PARAM_INT(bmcb_params, buffer, "400", 1, 1e8, "past real and generated samples kept (each)"),
    GV_PARAM_INT(bmcb_params, sample, "4", 1, 1e6, "buffer samples of each kind D sees per step"),
    GV_PARAM_ENUM(bmcb_params, output, "bce", output_names, /* the code's active branch: bce */
                  "a: each sample's cross-entropy softplus(-+l) (bce) or the logit l (logit)"),
    GV_PARAM_END};

/* softplus(x) = log(1 + e^x) without overflow; sigmoid its derivative. */
static double softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

static double sigmoid(double x) {
  return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* The term on one sample set: l (n) logits, sgn -1 for real (a =
 * softplus(-l)) and +1 for generated (a = softplus(l)); dl += dT/dl. */
static double set_term(const bmcb_params *p, double b1, double b2, int sgn, const float *l,
                       float *dl, size_t n) {
  if (!n) return 0.0;
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double x = l[i], a = x, da = 1.0;
    if (p->output == BMCB_BCE) a = softplus(sgn * x), da = sgn * sigmoid(sgn * x);
    double a2 = a * a;
    s += 0.5 * p->rho1 * b1 * a2 + b2 * p->rho2 * (0.25 * a2 * a2 + 0.5 * a2);
    double dt_da = p->rho1 * b1 * a + b2 * p->rho2 * (a2 * a + a);
    dl[i] += (float)(p->gain * dt_da * da / (double)n);
  }
  return p->gain * s / (double)n;
}

static double bmcb_loss(const void *par, void *state, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)state;
  if (o->side != GV_CTL_SIDE_DISC) return 0.0;
  const bmcb_params *p = par;
  double b1 = fabs(gv_rng_normal(rng));
  double b2 = fabs(gv_rng_normal(rng));
  if (o->nhist) { /* the games lay history out as [real | generated], half each */
    size_t h = o->nhist / 2;
    return set_term(p, b1, b2, -1, o->hist, o->dhist, h) +
           set_term(p, b1, b2, +1, o->hist + h, o->dhist + h, o->nhist - h);
  }
  return set_term(p, b1, b2, -1, o->real, o->dreal, o->nreal) +
         set_term(p, b1, b2, +1, o->fake, o->dfake, o->nfake);
}

static size_t bmcb_history(const void *par, size_t *batch) {
  const bmcb_params *p = par;
  *batch = (size_t)p->sample;
  return (size_t)p->buffer;
}

const gv_ctl_type gv_ctl_bmc_buffered = {
    .info = {"bmc_buffered",
             "BMC as the authors' neural-GAN code: |N(0,1)|-gained terms on D's loss, buffered "
             "samples",
             "Luo et al. 2023 (arXiv 2306.10468), TianjiaoLuo/GAN-BMC training/loss_1.py",
             bmcb_specs, sizeof(bmcb_params)},
    .loss_outputs = bmcb_loss,
    .loss_history = bmcb_history,
};
