/* Update schemes for closed-form games (see gan/scheme.h).
 *
 *   simgd  x <- x + h F(x)                       (Mescheder et al. 2018, arXiv
 *          1801.04406, sec. 2.2: simultaneous gradient descent)
 *   altgd  n_g generator steps, then n_d discriminator steps at the new
 *          generator (sec. 2.2, alternating gradient descent)
 *   ode    the controlled flow x' = F(x), GSL odeiv2 rkf45 with adaptive steps,
 *          sampled every h
 *   sde    Euler-Maruyama, x <- x + h F(x) + sqrt(h) G(x) b, b ~ N(0, I_m)
 *          (Kloeden & Platen 1992, sec. 10.2)
 * F is the controlled drift (game field plus controller drifts), G the
 * stacked controller diffusions.  Update hooks run once per step, after it,
 * with the state from before the step. */
#include "gan/scheme.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"

/* Scheme-private data behind s->impl. */
typedef struct scheme_impl {
  int has_update;           /* some controller has an update hook */
  int has_ctl;              /* the stack is non-empty */
  size_t m;                 /* noise dimension of the stack */
  double *F;                /* controlled drift (n) */
  double *xpre;             /* state before the step (n) */
  double *G;                /* diffusion (n x m) */
  double *b;                /* Brownian increments (m) */
  double *jx, *jp, *jm;     /* finite-difference scratch (n each) */
  gsl_odeiv2_system sys;    /* ode: the controlled field */
  gsl_odeiv2_driver *drv;   /* ode: rkf45 driver */
  double t;                 /* ode: time reached */
} scheme_impl;

static int all_finite(const double *x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

static void controlled(const gv_scheme *s, const double *x, double *F) {
  const scheme_impl *im = s->impl;
  if (im->has_ctl) gv_vf_controlled(s->game, s->ctl, x, F);
  else s->game->field(s->game->self, x, F);
}

/* ----------------------------------------------------------------- simgd */

static void simgd_core(gv_scheme *s, double *x) {
  scheme_impl *im = s->impl;
  size_t n = s->game->n;
  double h = s->p.h, *F = im->F;
  controlled(s, x, F);
  for (size_t i = 0; i < n; ++i) x[i] += h * F[i];
}

static gv_status simgd_step(gv_scheme *s, double *x, gsl_rng *rng) {
  (void)rng;
  scheme_impl *im = s->impl;
  size_t n = s->game->n;
  if (im->has_update) {
    memcpy(im->xpre, x, n * sizeof *x);
    simgd_core(s, x);
    gv_ctl_stack_update(s->ctl, s->game, im->xpre, x);
  } else {
    simgd_core(s, x);
  }
  return all_finite(x, n) ? GV_OK : GV_EDIVERGED;
}

/* ----------------------------------------------------------------- altgd */

static void altgd_core(gv_scheme *s, double *x) {
  scheme_impl *im = s->impl;
  const gv_vfgame *g = s->game;
  double h = s->p.h, *F = im->F;
  for (long k = 0; k < s->p.n_g; ++k) {
    controlled(s, x, F);
    for (size_t i = g->gen0; i < g->gen0 + g->ngen; ++i) x[i] += h * F[i];
  }
  for (long k = 0; k < s->p.n_d; ++k) {
    controlled(s, x, F);
    for (size_t i = g->disc0; i < g->disc0 + g->ndisc; ++i) x[i] += h * F[i];
  }
}

static gv_status altgd_step(gv_scheme *s, double *x, gsl_rng *rng) {
  (void)rng;
  scheme_impl *im = s->impl;
  size_t n = s->game->n;
  if (im->has_update) {
    memcpy(im->xpre, x, n * sizeof *x);
    altgd_core(s, x);
    gv_ctl_stack_update(s->ctl, s->game, im->xpre, x);
  } else {
    altgd_core(s, x);
  }
  return all_finite(x, n) ? GV_OK : GV_EDIVERGED;
}

/* ------------------------------------------------------------------- ode */

static int ode_rhs(double t, const double y[], double f[], void *params) {
  (void)t;
  const gv_scheme *s = params;
  controlled(s, y, f);
  /* A non-finite field (a trial step left the domain, e.g. a probability-
   * valued D outside (0, 1)) is GSL_EDOM: the evolver retries with half the
   * step (GSL_EBADFUNC would end the integration).  A flow that really blows
   * up still ends, when the step size collapses (ENOPROG) or in EMAXITER. */
  return all_finite(f, s->game->n) ? GSL_SUCCESS : GSL_EDOM;
}

static gv_status ode_step(gv_scheme *s, double *x, gsl_rng *rng) {
  (void)rng;
  scheme_impl *im = s->impl;
  int st = gsl_odeiv2_driver_apply(im->drv, &im->t, im->t + s->p.h, x);
  if (st != GSL_SUCCESS) {
    /* EMAXITER, ENOPROG (step size collapsed) or a non-finite field GSL
     * could not step around: the flow blew up; the driver must be reset
     * before any further use. */
    gsl_odeiv2_driver_reset(im->drv);
    return GV_EDIVERGED;
  }
  return all_finite(x, s->game->n) ? GV_OK : GV_EDIVERGED;
}

/* ------------------------------------------------------------------- sde */

static gv_status sde_step(gv_scheme *s, double *x, gsl_rng *rng) {
  scheme_impl *im = s->impl;
  size_t n = s->game->n, m = im->m;
  double h = s->p.h, *F = im->F;
  if (im->has_update) memcpy(im->xpre, x, n * sizeof *x);
  controlled(s, x, F);
  if (m > 0) {
    if (!rng) return GV_EINVAL;
    gv_ctl_stack_diffusion(s->ctl, s->game, x, im->G);
    for (size_t k = 0; k < m; ++k) im->b[k] = gv_rng_normal(rng);
    double sq = sqrt(h);
    for (size_t i = 0; i < n; ++i) {
      double gb = 0.0;
      for (size_t k = 0; k < m; ++k) gb += im->G[i * m + k] * im->b[k];
      x[i] += h * F[i] + sq * gb;
    }
  } else {
    for (size_t i = 0; i < n; ++i) x[i] += h * F[i];
  }
  if (im->has_update) gv_ctl_stack_update(s->ctl, s->game, im->xpre, x);
  return all_finite(x, n) ? GV_OK : GV_EDIVERGED;
}

/* ------------------------------------------------------------- registry */

static const gv_param simgd_specs[] = {
    GV_PARAM_REALX(gv_scheme_params, h, "0.2", 0.0, INFINITY, GV_P_LO_OPEN, "step size"),
    GV_PARAM_INT(gv_scheme_params, steps, "500", 1, 1e12, "number of steps"),
    GV_PARAM_END};

static const gv_param altgd_specs[] = {
    GV_PARAM_REALX(gv_scheme_params, h, "0.2", 0.0, INFINITY, GV_P_LO_OPEN, "step size"),
    GV_PARAM_INT(gv_scheme_params, steps, "500", 1, 1e12, "number of iterations"),
    GV_PARAM_INT(gv_scheme_params, n_g, "1", 1, 1e6, "generator steps per iteration"),
    GV_PARAM_INT(gv_scheme_params, n_d, "1", 1, 1e6,
                 "discriminator steps per iteration, after the generator's"),
    GV_PARAM_END};

static const gv_param ode_specs[] = {
    GV_PARAM_REALX(gv_scheme_params, h, "0.2", 0.0, INFINITY, GV_P_LO_OPEN,
                   "output interval (the integrator adapts its own steps)"),
    GV_PARAM_INT(gv_scheme_params, steps, "500", 1, 1e12, "number of outputs; t_end = steps h"),
    GV_PARAM_REALX(gv_scheme_params, eps_abs, "1e-10", 0.0, 1.0, 0, "absolute error tolerance"),
    GV_PARAM_REALX(gv_scheme_params, eps_rel, "1e-8", 0.0, 1.0, 0, "relative error tolerance"),
    GV_PARAM_END};

static const gv_param sde_specs[] = {
    GV_PARAM_REALX(gv_scheme_params, h, "0.2", 0.0, INFINITY, GV_P_LO_OPEN, "time step"),
    GV_PARAM_INT(gv_scheme_params, steps, "500", 1, 1e12, "number of steps"),
    GV_PARAM_END};

static const gv_scheme_type scheme_simgd = {
    {"simgd", "simultaneous gradient descent: x += h F(x)",
     "Mescheder et al. 2018 (arXiv 1801.04406) sec. 2.2", simgd_specs, sizeof(gv_scheme_params)},
    GV_HOOK_DRIFT | GV_HOOK_UPDATE, 0, 0, simgd_step};

static const gv_scheme_type scheme_altgd = {
    {"altgd", "alternating gradient descent: n_g generator steps, then n_d discriminator steps",
     "Mescheder et al. 2018 (arXiv 1801.04406) sec. 2.2", altgd_specs, sizeof(gv_scheme_params)},
    GV_HOOK_DRIFT | GV_HOOK_UPDATE, 0, 0, altgd_step};

static const gv_scheme_type scheme_ode = {
    {"ode", "the continuous flow x' = F(x), adaptive Runge-Kutta-Fehlberg (4, 5), sampled every h",
     "GSL odeiv2 rkf45 (Fehlberg 1969)", ode_specs, sizeof(gv_scheme_params)},
    GV_HOOK_DRIFT, 0, 1, ode_step};

static const gv_scheme_type scheme_sde = {
    {"sde", "Euler-Maruyama for dx = F(x) dt + G(x) dB (controller diffusions)",
     "Kloeden & Platen 1992, sec. 10.2", sde_specs, sizeof(gv_scheme_params)},
    GV_HOOK_DRIFT | GV_HOOK_DIFFUSION | GV_HOOK_UPDATE, 1, 0, sde_step};

static const gv_component *const scheme_items[] = {&scheme_simgd.info, &scheme_altgd.info,
                                                   &scheme_ode.info, &scheme_sde.info, NULL};

const gv_registry gv_scheme_registry = {
    "scheme", "how a closed-form game's state is advanced", scheme_items};

const gv_scheme_type *gv_scheme_find(const char *name) {
  return (const gv_scheme_type *)gv_registry_find(&gv_scheme_registry, name);
}

/* -------------------------------------------------------------- lifetime */

void gv_scheme_deinit(gv_scheme *s) {
  if (!s) return;
  scheme_impl *im = s->impl;
  if (im && im->drv) gsl_odeiv2_driver_free(im->drv);
  free(im);
  free(s->work);
  s->impl = NULL;
  s->work = NULL;
}

gv_status gv_scheme_init(gv_scheme *s, const gv_scheme_type *t, const gv_scheme_params *p,
                         const gv_vfgame *g, gv_ctl_stack *ctl, gv_err *err) {
  memset(s, 0, sizeof *s);
  const char *name = t->info.name;
  if (!(p->h > 0.0) || !isfinite(p->h))
    return gv_fail(err, GV_EINVAL, "scheme '%s': step size h must be finite and > 0", name);
  if (t == &scheme_altgd && (p->n_g < 1 || p->n_d < 1))
    return gv_fail(err, GV_EINVAL, "scheme 'altgd': n_g and n_d must be >= 1");
  if (t == &scheme_ode && (!(p->eps_abs >= 0.0) || !(p->eps_rel >= 0.0) ||
                           (p->eps_abs == 0.0 && p->eps_rel == 0.0)))
    return gv_fail(err, GV_EINVAL, "scheme 'ode': eps_abs, eps_rel must be >= 0, not both 0");
  gv_status st = gv_ctl_stack_check(ctl, g, name, t->hooks, err);
  if (st != GV_OK) return st;

  s->type = t;
  s->p = *p;
  s->game = g;
  s->ctl = ctl;
  size_t n = g->n, m = ctl ? ctl->noise_dim : 0;
  scheme_impl *im = calloc(1, sizeof *im);
  s->work = calloc(6 * n + n * m + m + 1, sizeof *s->work);
  s->impl = im;
  if (!im || !s->work) {
    gv_scheme_deinit(s);
    return gv_fail(err, GV_ENOMEM, "scheme '%s': out of memory", name);
  }
  im->has_ctl = ctl && ctl->n > 0;
  for (size_t i = 0; im->has_ctl && i < ctl->n; ++i)
    if (ctl->items[i].type->update) im->has_update = 1;
  im->m = m;
  im->F = s->work;
  im->xpre = im->F + n;
  im->jx = im->xpre + n;
  im->jp = im->jx + n;
  im->jm = im->jp + n;
  im->b = im->jm + n;
  im->G = im->b + m;
  if (t == &scheme_ode) {
    im->sys.function = ode_rhs;
    im->sys.jacobian = NULL; /* rkf45 is explicit */
    im->sys.dimension = n;
    im->sys.params = s;
    im->drv = gsl_odeiv2_driver_alloc_y_new(&im->sys, gsl_odeiv2_step_rkf45, p->h, p->eps_abs,
                                            p->eps_rel);
    if (!im->drv) {
      gv_scheme_deinit(s);
      return gv_fail(err, GV_ENOMEM, "scheme 'ode': out of memory");
    }
    /* a blow-up must end as divergence, not as an endless substep loop */
    gsl_odeiv2_driver_set_nmax(im->drv, 1000000);
  }
  return GV_OK;
}

void gv_scheme_ckpt(gv_scheme *s, gv_ckpt *c, const char *name) {
  scheme_impl *im = s->impl;
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  if (im->drv) {
    gsl_odeiv2_driver *d = im->drv;
    gsl_odeiv2_evolve *e = d->e;
    const size_t n = e->dimension;
    int64_t counts[3] = {(int64_t)d->n, (int64_t)e->count, (int64_t)e->failed_steps};
    double reals[3] = {im->t, d->h, e->last_step};
    gv_ckpt_longs(&g, "ode_counts", counts, 3);
    gv_ckpt_doubles(&g, "ode_t_h_last", reals, 3);
    gv_ckpt_doubles(&g, "ode_y0", e->y0, n);
    gv_ckpt_doubles(&g, "ode_yerr", e->yerr, n);
    gv_ckpt_doubles(&g, "ode_dydt_in", e->dydt_in, n);
    gv_ckpt_doubles(&g, "ode_dydt_out", e->dydt_out, n);
    d->n = (unsigned long)counts[0];
    e->count = (unsigned long)counts[1];
    e->failed_steps = (unsigned long)counts[2];
    im->t = reals[0];
    d->h = reals[1];
    e->last_step = reals[2];
  }
  gv_ckpt_end(&g, c);
}

/* ------------------------------------------------------------- Jacobian */

/* The deterministic part of one step: no noise, no update hooks. */
static void det_step(gv_scheme *s, double *x) {
  if (s->type == &scheme_altgd) {
    altgd_core(s, x);
  } else { /* simgd; sde's drift part is the same Euler step */
    simgd_core(s, x);
  }
}

void gv_scheme_map_jacobian(gv_scheme *s, const double *x, double *M) {
  scheme_impl *im = s->impl;
  size_t n = s->game->n;
  const double eps = 1e-6;
  double *xp = im->jx, *yp = im->jp, *ym = im->jm;
  for (size_t j = 0; j < n; ++j) {
    memcpy(xp, x, n * sizeof *x);
    xp[j] = x[j] + eps;
    if (s->type->continuous) {
      controlled(s, xp, yp);
    } else {
      memcpy(yp, xp, n * sizeof *x);
      det_step(s, yp);
    }
    memcpy(xp, x, n * sizeof *x);
    xp[j] = x[j] - eps;
    if (s->type->continuous) {
      controlled(s, xp, ym);
    } else {
      memcpy(ym, xp, n * sizeof *x);
      det_step(s, ym);
    }
    for (size_t i = 0; i < n; ++i) M[i * n + j] = (yp[i] - ym[i]) / (2.0 * eps);
  }
}
