/* One controlled discriminator step, shared by every neural game: the MLP
 * GANs (gan/mlpgan.c), GAIL on PPO and DAC on TD3 (agents/gail.c) and the
 * sampled one-step game (gan/onestep_sampled.c).
 *
 * The game owns D, its workspace and its optimiser, and draws its batches;
 * a gv_disc (caller-owned, built by gv_disc_init) holds what the controllers
 * add to a step: the history rings, the instance-noise, interpolation and
 * history streams, the stack's declared penalties and the scratch rows.
 * gv_disc_step then runs one step in this order, written once in disc.c:
 *   1. the rows D sees: [real | fake | history], the history drawn from the
 *      rings before this batch enters them (min(nr, nf) real and fake rows);
 *   2. instance noise N(0, sigma^2) on every one of those inputs;
 *   3. one forward pass; the game's loss on the real and fake logits (real
 *      rows weighted per row), then every loss_outputs hook (side DISC);
 *   4. backpropagation of those terms, then each input penalty (R1 on the
 *      real rows, R2 on the fake ones, WGAN-GP on interpolates), added to
 *      D's gradient after the terms of step 3;
 *   5. the optimiser step, then every param_update hook with D's pre-step
 *      parameters.
 * A game declares what it can serve (gv_disc_game.caps); gv_disc_check
 * rejects a controller that needs more, naming controller and game (exit 2). */
#ifndef GV_CONTROLLERS_DISC_H
#define GV_CONTROLLERS_DISC_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "controllers/ctl.h"
#include "nn/mlp.h"
#include "nn/optim.h"

/* What a neural game serves its controllers (gv_disc_game.caps). */
enum {
  GV_DISC_GEN = 1,          /* a generator trained through D's logits (a term on its loss) */
  GV_DISC_HISTORY = 2,      /* D evaluated on past real and generated inputs */
  GV_DISC_INPUT_GRAD = 4,   /* input-gradient penalties: D's inputs are continuous */
  GV_DISC_INPUT_NOISE = 8,  /* Gaussian noise on D's inputs */
  GV_DISC_PARAM = 16,       /* parameter hooks on D's flat buffer after its step */
  GV_DISC_ALL = 31
};

typedef struct gv_disc_game {
  const char *name;         /* "mlpgan", "gail", ... (messages) */
  unsigned caps;            /* GV_DISC_* */
} gv_disc_game;

/* The players c's loss_outputs terms act on (GV_CTL_ACTS_*; 0 without that hook). */
unsigned gv_disc_sides(const gv_ctl *c);
/* What c needs from a neural game with its parameters (GV_DISC_*): GEN when
 * it acts on the generator's loss, HISTORY when it asks for a ring,
 * INPUT_GRAD for an input penalty, INPUT_NOISE for a noise level > 0, PARAM
 * for a param_update hook. */
unsigned gv_disc_needs(const gv_ctl *c);
/* gv_ctl_stack_check_neural, then each controller's needs against game->caps:
 * GV_ENOHOOK "file:line: controllers.<i>.kind: controller 'X' has no hook for
 * game 'Y' ...", saying what is missing. */
gv_status gv_disc_check(const gv_ctl_stack *s, const gv_disc_game *game, gv_err *err);

/* The game's loss on D's logits: lr (nr) real with weights wr (nr; NULL: all
 * 1), lf (nf) fake; adds dLoss/dlogit into dr and df (+=) and returns the
 * loss.  ctx is the game's (statistics it keeps of the logits). */
typedef double (*gv_disc_loss_fn)(void *ctx, const float *lr, const float *wr, float *dr,
                                  size_t nr, const float *lf, float *df, size_t nf);
typedef struct gv_disc_loss {
  gv_disc_loss_fn fn;
  void *ctx;
} gv_disc_loss;

typedef struct gv_disc_spec {
  size_t dim;               /* columns of D's input */
  size_t nreal, nfake;      /* most real and fake rows of a step */
  const char *streams;      /* stream prefix: "<streams>.noise", ".interp", ".hist" */
  int stop_nonfinite;       /* 1: GV_EDIVERGED before the optimiser step when this step's
                               loss, terms or gradient are not finite (D keeps its last
                               finite parameters); 0: the game checks after its step */
} gv_disc_spec;

typedef struct gv_disc {
  gv_disc_spec sp;
  gv_nn *D;                 /* borrowed */
  gv_nn_ws *ws;             /* borrowed; at least gv_disc_rows rows */
  gv_nn_optim *opt;         /* borrowed */
  gv_ctl_stack *ctl;        /* borrowed (may be NULL) */
  gsl_rng *rnoise, *rinterp, *rhist;
  double sigma;             /* instance noise of the stack */
  int has_outputs;          /* some controller has loss_outputs */
  int has_param;            /* some controller has param_update */
  size_t npen;              /* penalties of the stack */
  gv_ctl_penalty *pen;      /* (npen) */
  size_t hcap, hbatch;      /* history ring capacity per kind, draws per kind and step */
  size_t hfill, hpos;       /* entries held, next write position */
  float *hreal, *hfake;     /* the rings (hcap x dim each) */
  float *xin;               /* the step's rows ((nreal + nfake + 2 hbatch) x dim) */
  float *dy;                /* dLoss/dlogit of those rows */
  float *scratch;           /* interpolates (min(nreal, nfake) x dim) */
  float *pre;               /* D's parameters before the optimiser step */
} gv_disc;

/* What gv_disc_step adds (+=): the game's loss, then each controller term
 * and penalty in order. */
typedef struct gv_disc_sums {
  double loss, ctl;
} gv_disc_sums;

/* Rows D sees in one step with stack s: nreal + nfake + 2 x its history draws
 * (size D's workspace with it). */
size_t gv_disc_rows(const gv_ctl_stack *s, size_t nreal, size_t nfake);

/* Reads the stack's noise, history and penalties and allocates the rings,
 * rows and streams (from seed).  s must have passed gv_disc_check. */
gv_status gv_disc_init(gv_disc *d, const gv_disc_spec *sp, gv_nn *D, gv_nn_ws *ws,
                       gv_nn_optim *opt, gv_ctl_stack *s, uint64_t seed, gv_err *err);
void gv_disc_deinit(gv_disc *d);

/* Where a game may write a step's rows in place (no copy): real rows first,
 * then fake rows after nr real ones. */
static inline float *gv_disc_real(gv_disc *d) { return d->xin; }
static inline float *gv_disc_fake(gv_disc *d, size_t nr) { return d->xin + nr * d->sp.dim; }

/* x (rows x dim) += N(0, sigma^2) from the noise stream (nothing at sigma 0);
 * the generator's step of a GAN uses it too. */
void gv_disc_noise(gv_disc *d, float *x, size_t rows);

/* A declared penalty on D (gv_nn_penalty): on xr (n x dim), xf, or their
 * interpolates e xr + (1 - e) xf, e ~ U(0, 1) per row from rng, written to
 * scratch.  Adds into grad (may be NULL); the value into *value. */
gv_status gv_disc_penalty(float *grad, double *value, const gv_nn *D, gv_nn_ws *ws,
                          const gv_ctl_penalty *pen, const float *xr, const float *xf, int n,
                          size_t dim, float *scratch, gsl_rng *rng);

/* One step on xr (nr real rows, weights wr or NULL) and xf (nf fake rows),
 * either at gv_disc_real / gv_disc_fake or outside d's rows.  GV_EINVAL when
 * nr or nf exceeds the spec; else the first failing status of D's passes or
 * the optimiser. */
gv_status gv_disc_step(gv_disc *d, const float *xr, const float *wr, size_t nr, const float *xf,
                       size_t nf, const gv_disc_loss *loss, gv_disc_sums *sums);

/* Saves or restores (c->writing) the streams and history under the names
 * given, {noise, interp, hist, "hfill_hpos"-like, real ring, fake ring}; a
 * NULL name is skipped, the rings only when there are any. */
struct gv_ckpt;
void gv_disc_ckpt(gv_disc *d, struct gv_ckpt *c, const char *const names[6]);

#endif
