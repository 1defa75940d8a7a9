/* MLP GANs on 2-D Gaussian mixtures (docs/mlpgan.md).
 *
 * Data: a ring of K Gaussians (radius r, std s; the 8-mode ring of Metz et al.
 * 2017, arXiv 1611.02163, sec. 3.1) or a side x side grid (spacing d, centred
 * at 0; the 25-mode grid of Srivastava et al. 2017, VEEGAN, arXiv 1705.07761).
 * G maps z ~ N(0, I_zdim) to R^2, D maps R^2 to one logit.  Both players
 * minimise; with logits l:
 *   standard  L_D = E softplus(-l_r) + E softplus(l_f),  L_G = -E softplus(l_f)
 *   nonsat    L_D as standard,                            L_G = E softplus(-l_f)
 *   wgan      L_D = E l_f - E l_r,                        L_G = -E l_f
 *   hinge     L_D = E relu(1 - l_r) + E relu(1 + l_f),    L_G = -E l_f
 * (standard: Goodfellow et al. 2014, eq. 1; nonsat: its sec. 3 remark; wgan:
 * Arjovsky et al. 2017; hinge: Lim & Ye 2017 / Miyato et al. 2018).
 * Training alternates n_d discriminator steps with one generator step; the
 * controller stack acts through the loss-, input- and parameter-level hooks
 * of controllers/ctl.h, D's step being gv_disc_step (controllers/disc.h, where
 * the step order is written).
 *
 * Every draw comes from a named stream of the run's seed: "mlpgan.init"
 * (both nets), "mlpgan.data", "mlpgan.z", "mlpgan.noise" (instance noise),
 * "mlpgan.interp" (WGAN-GP interpolation), "mlpgan.hist" (history samples),
 * "mlpgan.eval" (the fixed evaluation sets). */
#ifndef GV_GAN_MLPGAN_H
#define GV_GAN_MLPGAN_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "controllers/ctl.h"
#include "controllers/disc.h"
#include "core/registry.h"
#include "nn/mlp.h"
#include "nn/optim.h"

typedef enum { GV_MIX_RING, GV_MIX_GRID } gv_mix_kind;
typedef enum { GV_GAN_STANDARD, GV_GAN_NONSAT, GV_GAN_WGAN, GV_GAN_HINGE } gv_gan_loss;

/* The `game:` section. */
typedef struct gv_mlpgan_params {
  int data;                 /* gv_mix_kind */
  long ring_modes;          /* K modes on the ring */
  double ring_radius;       /* ring radius */
  double ring_std;          /* std of each ring mode */
  long grid_side;           /* grid of side x side modes */
  double grid_spacing;      /* distance between neighbouring grid modes */
  double grid_std;          /* std of each grid mode */
  int loss;                 /* gv_gan_loss */
  long z_dim;               /* latent dimension */
  long g_width, g_depth;    /* G: hidden width and number of hidden layers */
  long d_width, d_depth;    /* D: same */
  int act;                  /* gv_nn_act of the hidden layers of both nets */
  int init;                 /* gv_nn_init_kind of both nets */
} gv_mlpgan_params;

/* The `train:` section. */
typedef struct gv_mlpgan_train {
  long steps;               /* generator steps */
  long n_d;                 /* discriminator steps per generator step */
  long batch;               /* real samples per discriminator step */
  long gbatch;              /* generated samples per step (both players) */
  int optim;                /* gv_nn_optim_kind */
  double lr_d, lr_g;        /* learning rates */
  double beta1, beta2;      /* Adam */
  double eps;               /* Adam, RMSprop */
  double momentum;          /* SGD, RMSprop */
  int schedule;             /* 0 constant, 1 linear decay to 0 over the run (gv_nn_lr_schedule) */
} gv_mlpgan_train;

extern const gv_component gv_game_mlpgan;      /* `game:` parameters, kind "mlpgan" */
extern const gv_param gv_mlpgan_train_params[]; /* `train:` parameters */

/* The mixture: K mode centres and one std. */
typedef struct gv_mixture {
  size_t k;                 /* modes */
  double *mu;               /* centres (k x 2) */
  double std;               /* per-coordinate std of every mode */
} gv_mixture;

gv_status gv_mixture_init(gv_mixture *m, const gv_mlpgan_params *p, gv_err *err);
void gv_mixture_deinit(gv_mixture *m);
/* n samples into x (n x 2): a uniform mode, plus N(0, std^2 I). */
void gv_mixture_sample(const gv_mixture *m, gsl_rng *rng, float *x, size_t n);

/* Sample-quality metrics of x (n x 2) against the mixture (docs/mlpgan.md). */
typedef struct gv_gan_metrics {
  double modes;             /* modes with at least cover_min high-quality samples */
  double hq;                /* share of samples within 3 std (Euclidean) of their nearest mode */
  double kl;                /* KL(histogram of high-quality samples over modes || uniform) */
  double swd;               /* sliced Wasserstein-1 distance to the reference set */
} gv_gan_metrics;

/* ref (n x 2): a reference sample of the mixture of the same size as x;
 * projections: number of fixed directions of the sliced distance. */
void gv_gan_metrics_compute(gv_gan_metrics *out, const gv_mixture *m, const float *x,
                            const float *ref, size_t n, long cover_min, long projections);

/* Game loss on logits: value of L_D (disc) or L_G (gen) averaged over each
 * batch, with dL/dl added into dr (nr; may be NULL for gen) and df (nf). */
double gv_gan_loss_disc(int loss, const float *lr, float *dr, size_t nr, const float *lf,
                        float *df, size_t nf);
double gv_gan_loss_gen(int loss, const float *lf, float *df, size_t nf);

/* gv_disc_penalty (controllers/disc.h) on 2-D inputs: a controller's
 * declarative penalty on D, on xr (real, n x 2), xf (generated, n x 2) or
 * their interpolates (e drawn from rng, one per row, into scratch (n x 2)).
 * Accumulates into grad (may be NULL) and returns the value in *value. */
gv_status gv_gan_penalty(float *grad, double *value, const gv_nn *D, gv_nn_ws *ws,
                         const gv_ctl_penalty *pen, const float *xr, const float *xf, int n,
                         float *scratch, gsl_rng *rng);

/* Losses of one generator step (means over its discriminator steps). */
typedef struct gv_mlpgan_losses {
  double d;                 /* discriminator game loss */
  double g;                 /* generator game loss */
  double ctl;               /* controllers' terms (both sides, penalties included) */
} gv_mlpgan_losses;

/* The trainer: nets, optimisers, streams and scratch. */
typedef struct gv_mlpgan {
  gv_mlpgan_params p;
  gv_mlpgan_train t;
  gv_mixture mix;
  gv_ctl_stack *ctl;        /* borrowed */
  gv_nn *G, *D;
  gv_nn_ws *gws, *dws;      /* training workspaces */
  gv_nn_optim *gopt, *dopt;
  gsl_rng *rdata, *rz;
  gv_disc disc;             /* D's controlled step: history, noise, penalties, its rows */
  float *z;                 /* latents (gbatch x z_dim) */
  float *dx;                /* the generator step's dLoss/dinput ((gbatch + batch) x 2) */
  long step;                /* generator steps taken */
} gv_mlpgan;

/* What the MLP GAN serves controllers: everything (GV_DISC_ALL). */
extern const gv_disc_game gv_mlpgan_disc_game;

/* Builds nets (initialised from "mlpgan.init"), optimisers and streams; the
 * stack must have passed gv_disc_check with gv_mlpgan_disc_game. */
gv_status gv_mlpgan_init(gv_mlpgan *g, const gv_mlpgan_params *p, const gv_mlpgan_train *t,
                         gv_ctl_stack *ctl, uint64_t seed, gv_err *err);
void gv_mlpgan_deinit(gv_mlpgan *g);
/* One generator step after n_d discriminator steps.  GV_EDIVERGED when a
 * loss or a gradient is not finite (parameters are then unusable). */
gv_status gv_mlpgan_step(gv_mlpgan *g, gv_mlpgan_losses *out);
/* Saves or restores (c->writing) what the next step depends on: both nets,
 * both optimisers (moments, step counts: the schedules' positions), the
 * five streams, the history rings and the step (core/checkpoint.h; the
 * controllers are the caller's). */
struct gv_ckpt;
void gv_mlpgan_ckpt(gv_mlpgan *g, struct gv_ckpt *c);
/* G(z) for z (n x z_dim) into x (n x 2), through ws (maxbatch >= n, G's spec). */
gv_status gv_mlpgan_generate(const gv_mlpgan *g, gv_nn_ws *ws, const float *z, float *x, int n);
/* Mean logit of D on x (n x 2), through ws (D's spec). */
double gv_mlpgan_dmean(const gv_mlpgan *g, gv_nn_ws *ws, const float *x, int n);

#endif
