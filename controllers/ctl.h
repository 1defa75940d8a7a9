/* The controller method table.
 *
 * A controller is a const table (like a GSL step type): its gv_component
 * (name, summary, citation, parameter specs), the size of its plain-data
 * state, and optional hooks.  Each game calls the hooks that apply to it:
 *   - vector-field level (closed-form games, gv_vfgame): a drift added to
 *     dx/dt, optionally a diffusion for SDE schemes;
 *   - update level: a perturbation or projection applied to the parameters
 *     after each discrete update (weight clipping, the public BMC code);
 *   - loss level (neural games: MLP GANs, GAIL): terms on the
 *     discriminator's outputs (gv_ctl_outputs), declarative input-gradient
 *     penalties (gv_ctl_penalty), instance noise on every input D sees, and
 *     parameter-level updates on D's flat float buffer after each optimiser
 *     step (see "Neural games" below).
 * A controller asked to act on a game or scheme where it has no hook is a
 * config error naming both (gv_ctl_stack_check, gv_ctl_stack_check_neural). */
#ifndef GV_CONTROLLERS_CTL_H
#define GV_CONTROLLERS_CTL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/registry.h"

/* Closed-form capabilities: what a game can compute for controllers beyond
 * its bare field, one row X(name, arguments, what a controller needing it
 * is told) each.  Convention: x' = v(x) is the ascent direction of both
 * players; a regulariser P on the discriminator's objective contributes
 * -gamma * dP/dx on the discriminator components.  A game fills a const
 * gv_vfcaps table with the slots it has (the rest NULL); a controller
 * declares the ones it calls in gv_ctl_type.vf_needs (GV_CAP(name) bits),
 * and gv_ctl_stack_check refuses it, naming both, on a game without them.
 * A new capability is one row here: no game or controller changes. */
#define GV_VF_CAPS(X)                                                                          \
  /* d/dx of P_real = E_real |grad_input D|^2 / 2 (R1), all n components */                  \
  X(penalty_real, (const void *self, const double *x, double *g),                              \
    "the discriminator's input gradient on real samples")                                      \
  /* d/dx of P_fake = E_fake |grad_input D|^2 / 2 (R2) */                                      \
  X(penalty_fake, (const void *self, const double *x, double *g),                              \
    "the discriminator's input gradient on generated samples")                                 \
  /* d/dx of E_interp (|grad_input D| - target)^2 / 2 (WGAN-GP) */                             \
  X(penalty_gp, (const void *self, double target, const double *x, double *g),                 \
    "the discriminator's input gradient on interpolated samples")                              \
  /* the bare field when every sample D sees carries N(0, sigma^2) noise, as an                \
   * exact expectation (instance noise) */                                                     \
  X(field_noisy, (const void *self, double sigma, const double *x, double *v),                 \
    "the field under noisy samples")                                                           \
  /* d/dx of P_out = E_on (D - target)^2 / 2, D the discriminator's output                     \
   * probability, on the samples `on` (GV_CTL_ON_*), all n components (C-GAIL) */              \
  X(penalty_output, (const void *self, double target, int on, const double *x, double *g),     \
    "the discriminator's output probabilities on expert and policy samples")                   \
  /* d/dx of P_logit = E_on l^2 / 2, l the discriminator's logit, on the samples                \
   * `on` (GV_CTL_ON_*; both: the mean of the two means), all n components */                 \
  X(penalty_logit, (const void *self, int on, const double *x, double *g),                     \
    "the discriminator's logits on real and generated samples")                                \
  /* the part of the field the generator's own regulariser contributes                         \
   * (one-step GAIL: the entropy bonus lambda H(pi)), n components */                          \
  X(field_gen_reg, (const void *self, const double *x, double *v),                             \
    "the generator's regulariser, as in one-step GAIL")                                        \
  /* the field the generator would follow ascending -KL(generator || data), in                 \
   * the coordinates and metric of `field`; zero on the discriminator (an oracle) */           \
  X(field_gen_div, (const void *self, const double *x, double *v),                             \
    "the generator's divergence from the data, as in one-step GAIL")

#define GV_CAP_INDEX(name, args, what) GV_CAP_INDEX_##name,
enum { GV_VF_CAPS(GV_CAP_INDEX) GV_NCAPS };
#undef GV_CAP_INDEX
/* The bit of capability `name` in gv_ctl_type.vf_needs. */
#define GV_CAP(name) (1u << GV_CAP_INDEX_##name)

/* A game's capability table: one slot per row of GV_VF_CAPS. */
typedef struct gv_vfcaps {
#define GV_CAP_SLOT(name, args, what) void(*name) args;
  GV_VF_CAPS(GV_CAP_SLOT)
#undef GV_CAP_SLOT
} gv_vfcaps;

/* Bits of the capabilities caps has (0 for NULL), and the text of one. */
unsigned gv_vfcaps_mask(const gv_vfcaps *caps);
const char *gv_vfcap_what(unsigned bit_index);

/* What a closed-form game exposes to controllers. */
typedef struct gv_vfgame {
  const char *name;         /* "dirac" */
  size_t n;                 /* state dimension */
  size_t gen0, ngen;        /* generator components [gen0, gen0 + ngen) */
  size_t disc0, ndisc;      /* discriminator components [disc0, disc0 + ndisc) */
  const double *xstar;      /* the desired equilibrium (n) */
  /* nconserved orthonormal directions u (rows, nconserved x n) with
   * u.v(x) = 0 everywhere: u.x is a constant of the motion, and the Jacobian
   * has a zero eigenvalue per u that says how the state is parameterised,
   * not how it moves (one-step GAIL: the shift of all softmax logits).  The
   * stability analysis works on their orthogonal complement (gan/stability.h). */
  const double *conserved;
  size_t nconserved;
  const void *self;         /* the game */
  /* bare vector field v(x) (n) */
  void (*field)(const void *self, const double *x, double *v);
  /* its Jacobian dv/dx (n x n, row-major: J[i*n + j] = dv_i/dx_j), or NULL */
  void (*jacobian)(const void *self, const double *x, double *J);
  const gv_vfcaps *caps;    /* its capabilities (static, per game); NULL: none */
} gv_vfgame;

/* Sample sets of penalty_output. */
enum {
  GV_CTL_ON_EXPERT = 0,     /* real (expert) samples */
  GV_CTL_ON_POLICY = 1,     /* generated (policy) samples */
  GV_CTL_ON_BOTH = 2        /* one mean over equal-sized real and generated batches */
};

/* Hook levels, also used by schemes to say which they consume. */
enum {
  GV_HOOK_DRIFT = 1,        /* vf_drift */
  GV_HOOK_DIFFUSION = 2,    /* vf_diffusion (needs an SDE scheme) */
  GV_HOOK_UPDATE = 4,       /* update (needs a discrete scheme) */
  GV_HOOK_LOSS = 8,         /* loss level (neural games): loss_outputs, input_penalty,
                               input_noise */
  GV_HOOK_PARAM = 16        /* parameter level (neural games): param_update */
};

/* ---------------------------------------------------------- neural games
 *
 * A neural game (the MLP GANs, GAIL, DAC, the sampled one-step game) trains
 * a discriminator D, an MLP with one output: the logit l = D(x) (before any
 * sigmoid).  Convention: both players MINIMISE their loss (L_D, L_G); a
 * controller's term is added to the loss of the player named by `side` and
 * the game backpropagates it through D (and, on the generator side, on into
 * G).  Every game takes its discriminator step with gv_disc_step
 * (controllers/disc.h), which does, in this order:
 *   1. takes the game's real and generated batches and the history:
 *      `batch` draws from each of two ring buffers holding the last
 *      `capacity` real and generated samples (gv_ctl_stack_history; CLC asks
 *      for one); when the stack's input_noise is sigma > 0, adds
 *      N(0, sigma^2) to every input D sees (instance noise);
 *   2. evaluates D on [real | fake | history] in one pass, the game's loss,
 *      then every loss_outputs hook with side DISC; the hooks ADD
 *      dLoss/dlogit into the d* arrays (+=) and return their loss;
 *   3. backpropagates the game loss and the hooks' terms, then evaluates each
 *      input_penalty with gv_nn_penalty (nn/mlp.h) on the samples it names,
 *      accumulating into D's gradient;
 *   4. takes the optimiser step, then calls every param_update hook on D's
 *      parameters (nn/mlp.h's flat buffer) with a copy of their pre-step
 *      values.
 * Per generator step it evaluates D on [fake | real] and calls loss_outputs
 * with side GEN (the hooks' d* on `fake` flow through D into G; D's own
 * parameters are not updated in that step). */

enum {
  GV_CTL_SIDE_DISC = 0,     /* the term is part of the discriminator's loss */
  GV_CTL_SIDE_GEN = 1       /* ... of the generator's loss */
};

/* The players a controller's loss_outputs terms act on (gv_ctl_type.neural_sides). */
enum {
  GV_CTL_ACTS_DISC = 1 << GV_CTL_SIDE_DISC, /* the discriminator's loss */
  GV_CTL_ACTS_GEN = 1 << GV_CTL_SIDE_GEN    /* the generator's (policy's) loss, through D */
};

/* D's logits handed to loss_outputs.  Arrays without samples are NULL with
 * a zero count.  A hook only reads the logits and only adds to the d*. */
typedef struct gv_ctl_outputs {
  int side;                 /* GV_CTL_SIDE_*: whose loss is being formed */
  size_t nreal;             /* real samples in this step's batch */
  size_t nfake;             /* generated samples in this step's batch */
  size_t nhist;             /* history samples: nhist/2 past real, then nhist/2 past
                               generated (bmc_buffered reads the halves apart) */
  const float *real;        /* D logits on the real batch (nreal) */
  const float *fake;        /* D logits on the generated batch (nfake) */
  const float *hist;        /* D logits on history samples (nhist); NULL when none */
  float *dreal;             /* dLoss/dlogit on real, accumulated (+=) (nreal) */
  float *dfake;             /* dLoss/dlogit on fake, accumulated (+=) (nfake) */
  float *dhist;             /* dLoss/dlogit on history, accumulated (+=) (nhist) */
} gv_ctl_outputs;

/* Where an input-gradient penalty is evaluated. */
typedef enum {
  GV_CTL_PEN_REAL,          /* on the real batch (R1) */
  GV_CTL_PEN_FAKE,          /* on the generated batch (R2) */
  GV_CTL_PEN_INTERP         /* on x_hat = e x_real + (1 - e) x_fake, e ~ U(0, 1) per
                               sample from the game's stream (WGAN-GP) */
} gv_ctl_pen_at;

/* Declarative penalty: the game computes it with gv_nn_penalty on D's logit,
 * so every game shares one double-backprop implementation. */
typedef struct gv_ctl_penalty {
  gv_ctl_pen_at at;         /* which samples */
  int gp;                   /* 0: zero-centred, value (coef/2) mean |dD/dx|^2
                               (GV_NN_PENALTY_R1); 1: coef mean (|dD/dx| - 1)^2
                               (GV_NN_PENALTY_GP) */
  double coef;              /* gv_nn_penalty's coef */
} gv_ctl_penalty;

typedef struct gv_ctl_type {
  gv_component info;        /* FIRST member: name, summary, cite, params */
  size_t state_size;        /* bytes of plain-data state (0: none) */
  /* The closed-form capabilities its hooks call (GV_CAP bits): checked by
   * gv_ctl_stack_check, so a hook may call g->caps->NAME unguarded. */
  unsigned vf_needs;
  /* Doubles of scratch memory its vf_drift needs on a game of dimension n
   * (NULL: none); the stack owns it (sized by gv_ctl_stack_check) and
   * passes it to vf_drift, so no hook allocates. */
  size_t (*vf_scratch)(size_t n);
  /* dx[i] += drift_i(x); scratch holds vf_scratch(g->n) doubles */
  void (*vf_drift)(const void *par, const gv_vfgame *g, const double *x, double *dx,
                   double *scratch);
  /* Number of independent Brownian motions of the diffusion. */
  size_t (*vf_noise_dim)(const void *par);
  /* G[i * m + k] += diffusion of component i on Brownian motion k, m = noise dim */
  void (*vf_diffusion)(const void *par, const gv_vfgame *g, const double *x, double *G);
  /* After a discrete update: x_pre is the state before, x after (modified in
   * place).  rng is the controller's own stream. */
  void (*update)(const void *par, void *state, gsl_rng *rng, const gv_vfgame *g,
                 const double *x_pre, double *x);
  /* Linearisation of the update hook's noise at the equilibrium, for the
   * stability analysis: the hook adds s * b * (x_pre - xstar) with one
   * b ~ N(0, 1) per step shared by all components (plus higher-order terms);
   * returns s.  NULL: the update hook is deterministic. */
  double (*update_noise_scale)(const void *par);

  /* ---- neural games (see "neural games" above); any may be NULL ---- */
  /* Loss on D's logits for the player o->side: adds dLoss/dlogit into o->d*
   * and returns the term's value (0 when the controller does not act on
   * that side).  rng is the controller's own stream (BMC's white noise). */
  double (*loss_outputs)(const void *par, void *state, gsl_rng *rng, gv_ctl_outputs *o);
  /* History the controller wants in o->hist: returns the ring-buffer
   * capacity per kind (real, generated) and writes the samples evaluated per
   * step to *batch; 0: none.  NULL: none. */
  size_t (*loss_history)(const void *par, size_t *batch);
  /* Fills *pen; GV_ECONFIG (message naming the controller) when the
   * parameters have no gv_nn_penalty form (WGAN-GP with g0 != 1). */
  gv_status (*input_penalty)(const void *par, gv_ctl_penalty *pen, gv_err *err);
  /* Standard deviation of the Gaussian noise added to every input D sees. */
  double (*input_noise)(const void *par);
  /* After each optimiser step of D: p (n) are D's parameters, modified in
   * place; pre (n) their values before the step. */
  void (*param_update)(const void *par, void *state, gsl_rng *rng, const float *pre, float *p,
                       size_t n);
  /* The players its loss_outputs terms act on with these parameters (GV_CTL_ACTS_*).
   * NULL: the discriminator only.  What else it needs from a neural game follows
   * from its hooks; a game checks both with gv_disc_check (controllers/disc.h). */
  unsigned (*neural_sides)(const void *par);
} gv_ctl_type;

/* vf_scratch of a drift that needs one or two vectors of n doubles. */
size_t gv_ctl_one_vector(size_t n);
size_t gv_ctl_two_vectors(size_t n);

/* Bitmask of the hook levels a controller type has. */
unsigned gv_ctl_hooks(const gv_ctl_type *t);

/* A controller in a run: its type, resolved parameters and state. */
typedef struct gv_ctl {
  const gv_ctl_type *type;
  void *par;                /* type->info.params_size bytes */
  void *state;              /* type->state_size bytes, zeroed */
  gsl_rng *rng;             /* own stream "ctl.<index>.<name>" */
  char where[320];          /* "file:line: controllers.<i>.kind" of its config item, which
                               prefixes the capability checks' messages; "" if none */
} gv_ctl;

typedef struct gv_ctl_stack {
  gv_ctl *items;            /* (n) */
  size_t n;
  size_t noise_dim;         /* sum of vf_noise_dim */
  double *scratch;          /* the drifts' scratch (nscratch), sized by gv_ctl_stack_check */
  size_t nscratch;
} gv_ctl_stack;

extern const gv_registry gv_ctl_registry;

const gv_ctl_type *gv_ctl_find(const char *name);

/* Loads the `controllers:` sequence (NULL or empty: no controller).  Each item
 * is a map with `kind` and the type's parameters (defaults written back). */
gv_status gv_ctl_stack_load(gv_ctl_stack *s, gv_node *seq, const gv_cfg_ctx *ctx,
                            uint64_t seed, gv_err *err);
/* The same with a game's own defaults for some controllers' keys (GAIL's
 * wgan_gp gamma 20; core/config.h gv_param_default, kind = controller). */
gv_status gv_ctl_stack_load_over(gv_ctl_stack *s, gv_node *seq, const gv_cfg_ctx *ctx,
                                 uint64_t seed, const gv_param_default *over, gv_err *err);
void gv_ctl_stack_free(gv_ctl_stack *s);

/* Checks every controller can act on game g under a scheme that consumes
 * `scheme_hooks` (GV_HOOK_*): GV_ENOHOOK naming controller, game and scheme,
 * or a capability g lacks.  Sizes the stack's scratch for g (GV_ENOMEM). */
gv_status gv_ctl_stack_check(gv_ctl_stack *s, const gv_vfgame *g, const char *scheme,
                             unsigned scheme_hooks, gv_err *err);

/* The same for a game that runs a closed-form flow next to a neural one
 * (onestep_sampled, named `game` in messages): each controller must act on
 * the flow by a drift alone (Euler steps; no diffusion, no update step). */
gv_status gv_ctl_stack_check_flow(gv_ctl_stack *s, const gv_vfgame *g, const char *game,
                                  gv_err *err);

/* Checks every controller can act on the neural game `game` (an MLP GAN,
 * GAIL): each needs a loss-level or parameter-level hook (else GV_ENOHOOK:
 * "controller 'consensus' has no hook for game 'mlpgan' ..."), and its
 * input_penalty must have a gv_nn_penalty form. */
gv_status gv_ctl_stack_check_neural(const gv_ctl_stack *s, const char *game, gv_err *err);

/* Neural games: combined hooks.  Instance noise: the standard deviation of
 * the sum of every controller's independent noise, sqrt(sum sigma_i^2). */
double gv_ctl_stack_input_noise(const gv_ctl_stack *s);
/* Largest history any controller asks for (capacity per kind; *batch the
 * largest per-step sample count); 0 when none. */
size_t gv_ctl_stack_history(const gv_ctl_stack *s, size_t *batch);
/* Sum of every loss_outputs hook; gradients accumulate into o->d*. */
double gv_ctl_stack_loss_outputs(gv_ctl_stack *s, gv_ctl_outputs *o);
/* 1 when some controller has a loss_outputs hook. */
int gv_ctl_stack_has_outputs(const gv_ctl_stack *s);
/* Penalties of the stack in order, at most max into pen; returns how many
 * there are (call with max 0 to count).  Assumes gv_ctl_stack_check_neural
 * passed. */
size_t gv_ctl_stack_penalties(const gv_ctl_stack *s, gv_ctl_penalty *pen, size_t max);
/* Applies every param_update hook in order. */
void gv_ctl_stack_param_update(gv_ctl_stack *s, const float *pre, float *p, size_t n);

/* dx += sum of drifts (in the stack's scratch once checked against g; an
 * unchecked stack allocates per call). */
void gv_ctl_stack_drift(const gv_ctl_stack *s, const gv_vfgame *g, const double *x, double *dx);
/* G (n x noise_dim) = stacked diffusions (zeroed first). */
void gv_ctl_stack_diffusion(const gv_ctl_stack *s, const gv_vfgame *g, const double *x,
                            double *G);
/* Applies every update hook in order. */
void gv_ctl_stack_update(gv_ctl_stack *s, const gv_vfgame *g, const double *x_pre, double *x);
/* Reseeds every controller stream for replica `index` of the run. */
void gv_ctl_stack_reseed(gv_ctl_stack *s, uint64_t seed, uint64_t index);
/* Saves or restores (c->writing) every controller's state and stream into
 * group `name` of c (core/checkpoint.h). */
struct gv_ckpt;
void gv_ctl_stack_ckpt(gv_ctl_stack *s, struct gv_ckpt *c, const char *name);

/* The controlled drift F(x) = v(x) + sum of drifts. */
void gv_vf_controlled(const gv_vfgame *g, const gv_ctl_stack *s, const double *x, double *F);

#endif
