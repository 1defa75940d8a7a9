/* The controller method table.
 *
 * A controller is a const table (like a GSL step type): its gv_component
 * (name, summary, citation, parameter specs), the size of its plain-data
 * state, and optional hooks.  Each game calls the hooks that apply to it:
 *   - vector-field level (closed-form games, gv_vfgame): a drift added to
 *     dx/dt, optionally a diffusion for SDE schemes;
 *   - update level: a perturbation or projection applied to the parameters
 *     after each discrete update (weight clipping, the public BMC code);
 *   - loss level (neural discriminators, see issue 3): declared below.
 * A controller asked to act on a game or scheme where it has no hook is a
 * config error naming both (gv_ctl_check). */
#ifndef GV_CONTROLLERS_CTL_H
#define GV_CONTROLLERS_CTL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/registry.h"

/* What a closed-form game exposes to controllers.  Convention: x' = v(x) is
 * the ascent direction of both players; a regulariser P on the
 * discriminator's objective contributes -gamma * dP/dx on the discriminator
 * components.  Capability hooks are NULL when the game has no such structure
 * (a controller needing one then fails gv_ctl_check). */
typedef struct gv_vfgame {
  const char *name;         /* "dirac" */
  size_t n;                 /* state dimension */
  size_t gen0, ngen;        /* generator components [gen0, gen0 + ngen) */
  size_t disc0, ndisc;      /* discriminator components [disc0, disc0 + ndisc) */
  const double *xstar;      /* the desired equilibrium (n) */
  const void *self;         /* the game */
  /* bare vector field v(x) (n) */
  void (*field)(const void *self, const double *x, double *v);
  /* its Jacobian dv/dx (n x n, row-major: J[i*n + j] = dv_i/dx_j), or NULL */
  void (*jacobian)(const void *self, const double *x, double *J);
  /* d/dx of P_real = E_real |grad_input D|^2 / 2 (R1), all n components */
  void (*penalty_real)(const void *self, const double *x, double *g);
  /* d/dx of P_fake = E_fake |grad_input D|^2 / 2 (R2) */
  void (*penalty_fake)(const void *self, const double *x, double *g);
  /* d/dx of E_interp (|grad_input D| - target)^2 / 2 (WGAN-GP) */
  void (*penalty_gp)(const void *self, double target, const double *x, double *g);
  /* bare field when every sample the discriminator sees carries N(0, sigma^2)
   * noise (instance noise), as an exact expectation */
  void (*field_noisy)(const void *self, double sigma, const double *x, double *v);
} gv_vfgame;

/* Hook levels, also used by schemes to say which they consume. */
enum {
  GV_HOOK_DRIFT = 1,        /* vf_drift */
  GV_HOOK_DIFFUSION = 2,    /* vf_diffusion (needs an SDE scheme) */
  GV_HOOK_UPDATE = 4,       /* update (needs a discrete scheme) */
  GV_HOOK_LOSS = 8          /* loss level (neural games) */
};

typedef struct gv_ctl_type {
  gv_component info;        /* FIRST member: name, summary, cite, params */
  size_t state_size;        /* bytes of plain-data state (0: none) */
  /* Capability check on a closed-form game: GV_ENOHOOK with a message naming
   * the controller and the game when a needed game hook is NULL.  NULL: the
   * controller needs nothing beyond field. */
  gv_status (*vf_check)(const void *par, const gv_vfgame *g, gv_err *err);
  /* dx[i] += drift_i(x) */
  void (*vf_drift)(const void *par, const gv_vfgame *g, const double *x, double *dx);
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
} gv_ctl_type;

/* Bitmask of the hook levels a controller type has. */
unsigned gv_ctl_hooks(const gv_ctl_type *t);

/* A controller in a run: its type, resolved parameters and state. */
typedef struct gv_ctl {
  const gv_ctl_type *type;
  void *par;                /* type->info.params_size bytes */
  void *state;              /* type->state_size bytes, zeroed */
  gsl_rng *rng;             /* own stream "ctl.<index>.<name>" */
} gv_ctl;

typedef struct gv_ctl_stack {
  gv_ctl *items;            /* (n) */
  size_t n;
  size_t noise_dim;         /* sum of vf_noise_dim */
} gv_ctl_stack;

extern const gv_registry gv_ctl_registry;

const gv_ctl_type *gv_ctl_find(const char *name);

/* Loads the `controllers:` sequence (NULL or empty: no controller).  Each item
 * is a map with `kind` and the type's parameters (defaults written back). */
gv_status gv_ctl_stack_load(gv_ctl_stack *s, gv_node *seq, const gv_cfg_ctx *ctx,
                            uint64_t seed, gv_err *err);
void gv_ctl_stack_free(gv_ctl_stack *s);

/* Checks every controller can act on game g under a scheme that consumes
 * `scheme_hooks` (GV_HOOK_*): GV_ENOHOOK naming controller, game and scheme. */
gv_status gv_ctl_stack_check(const gv_ctl_stack *s, const gv_vfgame *g, const char *scheme,
                             unsigned scheme_hooks, gv_err *err);

/* dx += sum of drifts. */
void gv_ctl_stack_drift(const gv_ctl_stack *s, const gv_vfgame *g, const double *x, double *dx);
/* G (n x noise_dim) = stacked diffusions (zeroed first). */
void gv_ctl_stack_diffusion(const gv_ctl_stack *s, const gv_vfgame *g, const double *x,
                            double *G);
/* Applies every update hook in order. */
void gv_ctl_stack_update(gv_ctl_stack *s, const gv_vfgame *g, const double *x_pre, double *x);
/* Reseeds every controller stream for replica `index` of the run. */
void gv_ctl_stack_reseed(gv_ctl_stack *s, uint64_t seed, uint64_t index);

/* The controlled drift F(x) = v(x) + sum of drifts. */
void gv_vf_controlled(const gv_vfgame *g, const gv_ctl_stack *s, const double *x, double *F);

#endif
