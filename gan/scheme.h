/* Update schemes for closed-form games: simultaneous and alternating GD, an
 * adaptive ODE integrator (GSL odeiv2) and Euler-Maruyama for SDEs.
 * Layered as in GSL's odeiv2: the scheme (method table) advances the state by
 * one step of the controlled system; the run loop (experiments/) counts
 * steps, logs, and detects divergence. */
#ifndef GV_GAN_SCHEME_H
#define GV_GAN_SCHEME_H

#include <gsl/gsl_rng.h>

#include "controllers/ctl.h"
#include "core/registry.h"

typedef struct gv_scheme_params {
  double h;                 /* step size (simgd, altgd, sde); output interval (ode) */
  long steps;               /* number of steps (ode: outputs, t_end = steps * h) */
  long n_g, n_d;            /* altgd: generator then discriminator steps per iteration */
  double eps_abs, eps_rel;  /* ode: error tolerances */
} gv_scheme_params;

typedef struct gv_scheme gv_scheme;

typedef struct gv_scheme_type {
  gv_component info;        /* FIRST member */
  unsigned hooks;           /* controller hook levels consumed (GV_HOOK_*) */
  int stochastic;           /* needs noise (sde) */
  int continuous;           /* the analysis uses the Jacobian's eigenvalues, not a map */
  /* Advances x by one step (ode: by h with adaptive substeps).  rng is the
   * scheme's noise stream (sde), may be NULL otherwise.  Returns GV_EDIVERGED
   * when the step produced a non-finite state. */
  gv_status (*step)(gv_scheme *s, double *x, gsl_rng *rng);
} gv_scheme_type;

struct gv_scheme {
  const gv_scheme_type *type;
  gv_scheme_params p;
  const gv_vfgame *game;
  gv_ctl_stack *ctl;
  double *work;             /* scratch, sized by alloc */
  void *impl;               /* odeiv2 driver etc. */
};

extern const gv_registry gv_scheme_registry;   /* simgd, altgd, ode, sde */

const gv_scheme_type *gv_scheme_find(const char *name);

gv_status gv_scheme_init(gv_scheme *s, const gv_scheme_type *t, const gv_scheme_params *p,
                         const gv_vfgame *g, gv_ctl_stack *ctl, gv_err *err);
void gv_scheme_deinit(gv_scheme *s);

/* Saves or restores (c->writing) what the scheme carries from one step to
 * the next into group `name` of c (core/checkpoint.h): ode's time reached
 * and its GSL odeiv2 driver and evolver state (step size, counters, the
 * evolver's vectors); simgd, altgd and sde carry nothing. */
struct gv_ckpt;
void gv_scheme_ckpt(gv_scheme *s, struct gv_ckpt *c, const char *name);

/* Jacobian (n x n) of the deterministic part of one step at x, by central
 * finite differences of step() with the update hooks and noise off
 * (simgd, altgd: the update map; ode: the controlled field's Jacobian). */
void gv_scheme_map_jacobian(gv_scheme *s, const double *x, double *M);

#endif
