/* The one-step GAIL game learned from samples (game.kind onestep_sampled,
 * docs/gail.md): the bandit of gan/onestep.h with a tabular softmax policy
 * and an MLP discriminator on one-hot actions, next to the closed-form flow
 * it estimates, stepped together from the same start with the same h.
 *
 * Sampled: all n logits y and D, each step on `batch`
 * expert actions drawn from pi_E and `batch` policy actions drawn from pi:
 *   D: one SGD step (lr `lr_d`) on the BCE with expert labelled 1, plus the
 *      controllers' loss_outputs terms (real = expert, fake = policy), by
 *      gv_disc_step (controllers/disc.h), so CLC sees its history here too;
 *   pi: one REINFORCE step (lr h) on the same policy batch,
 *      y_b += h mean_i (g_i - mean g) (1[a_i = b] - pi_b),
 *      g_i = r(D(a_i)) - lambda log pi(a_i),
 *      an estimate of the flow's dy_b/dt = pi_b (g_b - E_pi g).
 * Flow: gan/onestep's field (logit D, softmax policy) with the controllers'
 * drifts, Euler steps of the same h from the same start.  With depth 0 and
 * lr_d = h the sampled D is a linear model, tabular up to one shared bias.
 * Streams: "os.init" (D), "os.expert", "os.policy", "os.hist" (history draws). */
#ifndef GV_GAN_ONESTEP_SAMPLED_H
#define GV_GAN_ONESTEP_SAMPLED_H

#include <gsl/gsl_rng.h>

#include "controllers/ctl.h"
#include "controllers/disc.h"
#include "core/config.h"
#include "gan/onestep.h"
#include "nn/mlp.h"
#include "nn/optim.h"

typedef struct gv_os_sampled_params {
  long batch;               /* expert and policy actions per step (each) */
  long width, depth;        /* D's hidden layers (depth 0: linear) */
  int act;                  /* hidden activation */
  double h;                 /* policy step and flow step */
  double lr_d;              /* D's SGD learning rate (0: h) */
  long steps;               /* steps */
  long every;               /* steps between series points */
} gv_os_sampled_params;

/* The `sampled:` section. */
extern const gv_param gv_os_sampled_param_table[];

/* The observables of one state, in the order of the run file's series. */
enum { GV_OSS_TV_SAMPLED, GV_OSS_TV_FLOW, GV_OSS_KL_SAMPLED, GV_OSS_KL_FLOW, GV_OSS_TV_BETWEEN,
       GV_OSS_D_DEV_SAMPLED, GV_OSS_D_DEV_FLOW, GV_OSS_COUNT };

typedef struct gv_os_sampled {
  const gv_onestep *g;      /* the flow's game (borrowed) */
  gv_os_sampled_params p;
  gv_ctl_stack *ctl;        /* borrowed */
  int reward;               /* gv_gail_reward of the game's reward */
  gv_nn *D;
  gv_nn_ws *ws;
  gv_nn_optim *opt;         /* D's SGD (lr_d) */
  gv_disc disc;             /* D's controlled step (controllers/disc.h) */
  gsl_rng *rinit, *re, *rp;
  double *x, *F;            /* the flow's state and field (dim) */
  double *y, *pi, *pif;     /* sampled logits and policy, the flow's policy (na) */
  double *Df, *Ds, *gy;     /* the flow's D, the sampled D's logits (na) */
  float *xin;               /* one-hot rows of every action (na x na) */
  float *dy;                /* the policy batch's returns, rounded to float (batch) */
  size_t *ae, *ap;          /* expert and policy actions of a step (batch) */
} gv_os_sampled;

/* What the sampled game serves controllers: history and parameter hooks (its
 * D sees one-hot actions, and the policy learns from D's reward). */
extern const gv_disc_game gv_os_sampled_disc_game;

/* GV_ENOHOOK (naming controller and game) unless every controller acts on
 * both: the flow (a drift, gv_ctl_stack_check on g's field under Euler
 * steps) and the sampled D (gv_disc_check with gv_os_sampled_disc_game). */
gv_status gv_os_sampled_check(gv_ctl_stack *ctl, const gv_onestep *g, gv_err *err);

/* Builds D at D = d0 for every action and both policies at the game's
 * start.  g and ctl must outlive s; ctl must act on both (a drift and a
 * loss-level hook). */
gv_status gv_os_sampled_init(gv_os_sampled *s, const gv_onestep *g,
                             const gv_os_sampled_params *p, gv_ctl_stack *ctl, uint64_t seed,
                             gv_err *err);
void gv_os_sampled_deinit(gv_os_sampled *s);

/* The state now: the sampled policy, D on every action, the flow's policy
 * and D; m (GV_OSS_COUNT) gets the observables. */
gv_status gv_os_sampled_observe(gv_os_sampled *s, double *m, gv_err *err);
/* One step of both from the last observed state.  GV_EDIVERGED when D's
 * parameters or the flow's state are no longer finite. */
gv_status gv_os_sampled_step(gv_os_sampled *s, gv_err *err);
/* Saves or restores (c->writing) what the next step depends on: the flow's
 * state, the sampled logits and the last observation, D's parameters, the
 * three streams, and with a history its rings and stream (core/checkpoint.h;
 * the controllers are the caller's). */
struct gv_ckpt;
void gv_os_sampled_ckpt(gv_os_sampled *s, struct gv_ckpt *c);

#endif
