/* The one-step GAIL experiment: build the game (gan/onestep.h), the
 * controller stack and the scheme from a config, run it, log the policy,
 * the discriminator and their distance to the desired state, and analyse:
 * is the desired state an equilibrium (residual), what are the Jacobian's
 * eigenvalues there, which equilibria does the controlled field have (GSL
 * multiroot from several starts), which one did the run reach, how stable
 * is it and how far is its policy from the expert (total variation, KL).
 * Theory: docs/theory/onestep-gail.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multiroots.h>
#include <gsl/gsl_randist.h>

#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/closed_form.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"
#include "gan/onestep.h"
#include "gan/scheme.h"
#include "gan/stability.h"

#define NMAX (2 * GV_ONESTEP_MAXN)
/* equilibria kept by the analysis */
#define EQ_MAX 16

typedef struct os_run {
  long every;               /* log every k steps */
  long flush_every;         /* steps between run-file flushes */
  double tol;               /* convergence threshold on the distance */
  double bound;             /* |x - x*| above this ends the run as diverged */
  long starts;              /* analysis: random multiroot starts */
} os_run;

static const gv_param run_params[] = {
    GV_PARAM_INT(os_run, every, "1", 1, 1e12, "log every k steps"),
    GV_PARAM_INT(os_run, flush_every, "1000", 1, 1e12, "steps between run-file flushes"),
    GV_PARAM_REALX(os_run, tol, "1e-6", 0, 1e300, GV_P_LO_OPEN,
                   "convergence threshold on the distance to the equilibrium reached"),
    GV_PARAM_REALX(os_run, bound, "1e6", 0, 1e300, GV_P_LO_OPEN,
                   "|x - x*| above this ends the run as diverged"),
    GV_PARAM_INT(os_run, starts, "8", 0, 10000,
                 "analysis: random starts of the equilibrium search (plus x*, the run's end "
                 "and the uniform policy)"),
    GV_PARAM_END,
};

static const char *const sections[] = {"game", "scheme", "controllers", "run", "plot", NULL};

typedef struct os_sim {
  gv_common common;
  os_run run;
  gv_onestep game;
  gv_cfsim cf;               /* scheme, controllers, noise stream */
} os_sim;

static void sim_free(os_sim *s) {
  gv_cfsim_free(&s->cf);
  memset(s, 0, sizeof *s);
}

static gv_status sim_build(os_sim *s, gv_node *root, const char *file, gv_err *err) {
  memset(s, 0, sizeof *s);
  gv_status st = gv_exp_check_top(root, file, sections, &s->common, err);
  if (st != GV_OK) return st;
  gv_node *m;
  if ((st = gv_exp_section(root, file, "game", &m, err)) != GV_OK) return st;
  gv_cfg_ctx gctx = {file, "game"};
  gv_onestep_params gp;
  if ((st = gv_onestep_load(m, &gctx, &gp, err)) != GV_OK) return st;
  st = gv_cfg_locate(gv_onestep_init(&s->game, &gp, err), err, &gctx, root, "game");
  if (st != GV_OK) return st;
  if ((st = gv_exp_section(root, file, "run", &m, err)) != GV_OK) return st;
  gv_cfg_ctx rctx = {file, "run"};
  if ((st = gv_params_load(run_params, m, NULL, &rctx, &s->run, err)) != GV_OK) return st;
  return gv_cfsim_build(&s->cf, root, file, &s->game.vf, "ode", (uint64_t)s->common.seed, err);
}

static double dist(const double *x, const double *y, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += (x[i] - y[i]) * (x[i] - y[i]);
  return sqrt(s);
}

/* Series ids: distance, kl, tv, then pi_a and D_a. */
typedef struct os_series {
  int dist, kl, tv, pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN];
} os_series;

static void log_state(gv_runfile *rf, const os_series *id, const gv_onestep *g, int64_t k,
                      const double *x) {
  double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN];
  gv_onestep_policy(g, x, pi);
  gv_onestep_disc(g, x, D);
  gv_run_append(rf, id->dist, k, dist(x, g->xstar, gv_onestep_dim(g)));
  gv_run_append(rf, id->kl, k, gv_onestep_kl(g, pi));
  gv_run_append(rf, id->tv, k, gv_onestep_tv(g, pi));
  for (size_t a = 0; a < g->na; ++a) {
    gv_run_append(rf, id->pi[a], k, pi[a]);
    gv_run_append(rf, id->D[a], k, D[a]);
  }
}

typedef struct os_game {
  os_sim s;
  os_series id;
  double x[NMAX];
} os_game;

static const gv_series_row os_series_rows[] = {
    {"distance", "1", "|x - x*| in state coordinates, x* = (pi_E, D = 1/2)"},
    {"kl", "nat", "KL(pi || pi_E) of the policy to the expert"},
    {"tv", "1", "total variation distance of the policy to the expert"},
    {NULL, NULL, NULL}};
/* pi_A and D_A for each action A (their names are made per action) */
static const gv_series_row os_pi_row = {NULL, "1", "policy probability of action A"},
                           os_d_row = {NULL, "1", "discriminator output D(A) in (0, 1)"};

static gv_status os_setup(void *vg, gv_drive *d, gv_node *root, const char *file, int build,
                          gv_err *err) {
  (void)build;
  os_game *g = vg;
  gv_status st = sim_build(&g->s, root, file, err);
  if (st) return st;
  gv_cfsim_plan(d, &g->s.common, &g->s.cf, os_series_rows, g->s.run.flush_every);
  return GV_OK;
}

/* The series ids (a new run creates them, a resumed one finds them). */
static void os_ids(os_game *g, gv_drive *d) {
  const gv_onestep *game = &g->s.game;
  gv_runfile *rf = d->rf;
  const size_t na = game->na;
  g->id.dist = d->id[0];
  g->id.kl = d->id[1];
  g->id.tv = d->id[2];
  char name[32];
  for (size_t a = 0; a < na; ++a) {
    snprintf(name, sizeof name, "pi_%zu", a);
    gv_series_row row = os_pi_row;
    row.name = name;
    g->id.pi[a] = gv_run_series_row(rf, &row);
    snprintf(name, sizeof name, "D_%zu", a);
    row = os_d_row;
    row.name = name;
    g->id.D[a] = gv_run_series_row(rf, &row);
  }
}

static gv_status os_start(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  os_game *g = vg;
  const gv_onestep *game = &g->s.game;
  gv_runfile *rf = d->rf;
  size_t one = gv_onestep_dim(game), na = game->na;
  gv_run_array(rf, "xstar", game->xstar, 1, &one, -1);
  gv_run_array(rf, "expert", game->p.expert, 1, &na, -1);
  os_ids(g, d);
  gsl_rng *srng = gv_rng_alloc((uint64_t)g->s.common.seed, "start", 0);
  gv_onestep_start(game, srng, g->x);
  gsl_rng_free(srng);
  gv_run_array(rf, "x0", g->x, 1, &one, -1);
  log_state(rf, &g->id, game, 0, g->x);
  return GV_OK;
}

static gv_status os_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  os_game *g = vg;
  os_sim *s = &g->s;
  const gv_onestep *game = &s->game;
  const size_t n = gv_onestep_dim(game);
  double *x = g->x, dd = NAN;
  for (long k = d->step + 1; k <= until; ++k) {
    gv_status ss = s->cf.stype->step(&s->cf.scheme, x, s->cf.rng);
    dd = dist(x, game->xstar, n);
    d->step = k;
    d->shown = dd;
    if (ss != GV_OK || !(dd <= s->run.bound)) {
      gv_run_append(d->rf, g->id.dist, k, dd);
      return gv_fail(err, GV_EDIVERGED, "|x - x*| = %g (the state left the domain or passed "
                     "bound %g)", dd, s->run.bound);
    }
    if (k % s->run.every == 0 || k == d->steps) log_state(d->rf, &g->id, game, k, x);
  }
  return GV_OK;
}

static gv_status os_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)status, (void)err;
  os_game *g = vg;
  size_t one = gv_onestep_dim(&g->s.game);
  gv_run_array(d->rf, "x_final", g->x, 1, &one, -1);
  gv_run_summary_int(d->rf, "steps_done", d->step);
  return GV_OK;
}

static void os_teardown(void *vg) { sim_free(&((os_game *)vg)->s); }

/* The state x, the scheme, controllers and noise stream. */
static gv_status os_checkpoint(void *vg, gv_drive *d, gv_ckpt *c, gv_err *err) {
  (void)err;
  os_game *g = vg;
  if (!c->writing) os_ids(g, d);
  gv_ckpt_doubles(c, "x", g->x, gv_onestep_dim(&g->s.game));
  gv_cfsim_ckpt(&g->s.cf, c);
  return GV_OK;
}

static const gv_exp_game os_game_table = {
    .kind = "onestep", .size = sizeof(os_game), .setup = os_setup, .start = os_start,
    .iterate = os_iterate, .finish = os_finish, .teardown = os_teardown,
    .checkpoint = os_checkpoint};

GV_EXP_DRIVEN(os_exp, os_game_table)

/* ------------------------------------------------------------ equilibria */

typedef struct field_ctx {
  const gv_vfgame *g;
  const gv_ctl_stack *ctl;
  const gv_onestep *self;   /* the game behind g */
} field_ctx;

static void ctl_field(void *vp, const double *x, double *y) {
  const field_ctx *c = vp;
  gv_vf_controlled(c->g, c->ctl, x, y);
}

/* The solver's variables are w = x - x* + 1: GSL's finite-difference step is
 * relative to |w_j|, and a D logit that converged to 1e-10 would get a step
 * below the rounding of sigmoid's 1/2 (a zero column, a "singular" start). */
static void from_w(const field_ctx *c, const double *w, double *x) {
  for (size_t i = 0; i < c->g->n; ++i) x[i] = w[i] - 1.0 + c->g->xstar[i];
}

/* The controlled field, plus -u (u.(x - x*)) along each conserved direction
 * u: u.F = 0 everywhere, so the roots are the field's with u.x = u.x*, one
 * per equilibrium instead of a line of them (a regular root for Newton). */
static int gsl_field(const gsl_vector *w, void *params, gsl_vector *f) {
  const field_ctx *c = params;
  size_t n = c->g->n;
  double y[NMAX], x[NMAX] = {0};
  from_w(c, w->data, x);
  ctl_field(params, x, y);
  for (size_t r = 0; r < c->g->nconserved; ++r) {
    const double *u = c->g->conserved + r * n;
    double d = 0.0;
    for (size_t i = 0; i < n; ++i) d += u[i] * (x[i] - c->g->xstar[i]);
    for (size_t i = 0; i < n; ++i) y[i] -= u[i] * d;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!isfinite(y[i])) return GSL_EBADFUNC; /* off the domain */
    gsl_vector_set(f, i, y[i]);
  }
  return GSL_SUCCESS;
}

typedef struct os_eq {
  double x[NMAX];           /* the equilibrium (n) */
  double residual;          /* |F(x)| */
  double re[NMAX], im[NMAX];/* eigenvalues of dF/dx there, the conserved
                             * direction left out (neig) */
  size_t neig;
  double max_re;
  double tv, kl;            /* policy's distance to the expert */
} os_eq;

/* Newton-type search (Powell's hybrid method with finite-difference
 * Jacobian, GSL hybrids) from x0; 1 with the root in eq when it converged
 * to |F| < 1e-11 inside the domain. */
static int find_root(const field_ctx *c, const double *x0, os_eq *eq) {
  size_t n = c->g->n;
  gsl_multiroot_function f = {gsl_field, n, (void *)c};
  gsl_multiroot_fsolver *sv = gsl_multiroot_fsolver_alloc(gsl_multiroot_fsolver_hybrids, n);
  gsl_vector *v = gsl_vector_alloc(n);
  int ok = 0;
  if (!sv || !v) goto done;
  for (size_t i = 0; i < n; ++i) gsl_vector_set(v, i, x0[i] - c->g->xstar[i] + 1.0);
  if (gsl_multiroot_fsolver_set(sv, &f, v) != GSL_SUCCESS) goto done;
  for (int it = 0; it < 1000; ++it) {
    if (gsl_multiroot_fsolver_iterate(sv) != GSL_SUCCESS) break;
    if (gsl_multiroot_test_residual(sv->f, 1e-13) == GSL_SUCCESS) break;
  }
  double F[NMAX], r2 = 0.0;
  from_w(c, sv->x->data, eq->x);
  ctl_field((void *)c, eq->x, F);
  for (size_t i = 0; i < n; ++i) r2 += F[i] * F[i];
  eq->residual = sqrt(r2);
  /* Softmax logits running off to -inf make the field underflow to zero on
   * the simplex's faces: limits at infinity, not equilibria; keep interior
   * points only. */
  double pi[GV_ONESTEP_MAXN];
  gv_onestep_policy(c->self, eq->x, pi);
  double pmin = 1.0;
  for (size_t a = 0; a < c->self->na; ++a) pmin = fmin(pmin, pi[a]);
  ok = eq->residual < 1e-11 && pmin > 1e-8;
done:
  gsl_vector_free(v);
  gsl_multiroot_fsolver_free(sv);
  return ok;
}

static void describe_eq(const field_ctx *c, const gv_onestep *g, os_eq *eq) {
  size_t n = c->g->n;
  double J[NMAX * NMAX], pi[GV_ONESTEP_MAXN];
  if (c->ctl->n == 0) g->vf.jacobian(g, eq->x, J);
  else gv_fd_jacobian(ctl_field, (void *)c, n, eq->x, 1e-6, J);
  eq->max_re = NAN;
  eq->neig = n - c->g->nconserved;
  if (gv_eig_reduced(J, n, c->g->conserved, c->g->nconserved, eq->re, eq->im, NULL) == GV_OK) {
    eq->max_re = -INFINITY;
    for (size_t i = 0; i < eq->neig; ++i) eq->max_re = fmax(eq->max_re, eq->re[i]);
  }
  gv_onestep_policy(g, eq->x, pi);
  eq->tv = gv_onestep_tv(g, pi);
  eq->kl = gv_onestep_kl(g, pi);
}

/* Adds eq to the list unless a known one is within 1e-6; returns its index. */
static size_t add_eq(os_eq *list, size_t *count, const os_eq *eq, size_t n) {
  for (size_t i = 0; i < *count; ++i)
    if (dist(list[i].x, eq->x, n) < 1e-6) return i;
  if (*count == EQ_MAX) return EQ_MAX;
  list[*count] = *eq;
  return (*count)++;
}

/* ------------------------------------------------------------ analysis */

static void fmt_eig(char *buf, size_t size, double re, double im) {
  if (fabs(im) < 1e-12) snprintf(buf, size, "%.7g", re);
  else snprintf(buf, size, "%.7g %c %.7gi", re, im < 0 ? '-' : '+', fabs(im));
}

static void set_vec(gv_runread *rr, const char *prefix, const double *v, size_t n) {
  char key[96];
  for (size_t i = 0; i < n; ++i) {
    snprintf(key, sizeof key, "%s_%zu", prefix, i);
    gv_runread_set_summary_real(rr, key, v[i]);
  }
}

static void set_eigs(gv_runread *rr, const char *prefix, const double *re, const double *im,
                     size_t n) {
  char key[96];
  for (size_t i = 0; i < n; ++i) {
    snprintf(key, sizeof key, "%s_eig%zu_re", prefix, i);
    gv_runread_set_summary_real(rr, key, re[i]);
    snprintf(key, sizeof key, "%s_eig%zu_im", prefix, i);
    gv_runread_set_summary_real(rr, key, im[i]);
  }
}

static void print_vec(FILE *out, const char *label, const double *v, size_t n) {
  fprintf(out, "  %-30s [", label);
  for (size_t i = 0; i < n; ++i) fprintf(out, "%s%.6g", i ? ", " : "", v[i]);
  fprintf(out, "]\n");
}

static void print_eigs(FILE *out, const char *label, const double *re, const double *im,
                       size_t n) {
  char buf[96];
  for (size_t i = 0; i < n; ++i) {
    fmt_eig(buf, sizeof buf, re[i], im[i]);
    fprintf(out, "  %-30s %s\n", i ? "" : label, buf);
  }
}

static gv_status os_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_node *root;
  gv_status st = gv_cfsim_reopen(path, &rr, &root, err);
  if (st != GV_OK) return st;
  os_sim s;
  if ((st = sim_build(&s, root, path, err)) != GV_OK) {
    gv_node_free(root);
    gv_runread_close(rr);
    return st;
  }
  const gv_onestep *g = &s.game;
  size_t n = gv_onestep_dim(g), na = g->na;

  /* 1. the desired state */
  gv_prediction p;
  gv_err perr = {{0}, {0}};
  gv_predict(&s.cf.scheme, &p, &perr);
  int xstar_eq = p.residual <= 1e-9;

  /* 2. equilibria of the controlled field, from several starts */
  field_ctx fc = {&g->vf, &s.cf.ctl, g};
  os_eq eqs[EQ_MAX], cand;
  size_t neq = 0, reached = EQ_MAX;
  double *xf = NULL;
  int rank;
  size_t dims[4];
  int have_final = gv_runread_array(rr, "x_final", &xf, &rank, dims) == GV_OK &&
                   rank == 1 && dims[0] == n;
  if (have_final) {
    double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN];
    gv_onestep_policy(g, xf, pi);
    gv_onestep_disc(g, xf, D);
    int inside = 1;
    for (size_t a = 0; a < na; ++a)
      if (!(pi[a] > 0 && D[a] > 0 && D[a] < 1) || !isfinite(xf[a])) inside = 0;
    if (inside && find_root(&fc, xf, &cand)) {
      describe_eq(&fc, g, &cand);
      reached = add_eq(eqs, &neq, &cand, n);
    }
  }
  if (find_root(&fc, g->xstar, &cand)) {
    describe_eq(&fc, g, &cand);
    add_eq(eqs, &neq, &cand, n);
  }
  gsl_rng *arng = gv_rng_alloc((uint64_t)s.common.seed, "analyze", 0);
  for (long k = -1; k < s.run.starts; ++k) {
    double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN], alpha[GV_ONESTEP_MAXN], x0[NMAX];
    for (size_t a = 0; a < na; ++a) {
      pi[a] = 1.0 / (double)na; /* k = -1: the uniform policy, D = 1/2 */
      D[a] = k < 0 ? 0.5 : 0.2 + 0.6 * gsl_rng_uniform(arng);
      alpha[a] = 1.0;
    }
    if (k >= 0) gsl_ran_dirichlet(arng, na, alpha, pi);
    gv_onestep_state(g, pi, D, x0);
    if (find_root(&fc, x0, &cand)) {
      describe_eq(&fc, g, &cand);
      add_eq(eqs, &neq, &cand, n);
    }
  }
  gsl_rng_free(arng);

  /* 3. the trajectory against the equilibrium it reached */
  gv_prediction pr;
  gv_err prerr = {{0}, {0}};
  gv_measurement m;
  memset(&m, 0, sizeof m);
  m.verdict = GV_VERDICT_UNKNOWN;
  m.iters_to_converge = -1;
  int agree = -1;
  int64_t *step = NULL;
  double *series[2 * GV_ONESTEP_MAXN] = {NULL}, *dr = NULL;
  size_t nt = 0;
  if (reached < EQ_MAX) {
    gv_vfgame vf = g->vf;
    vf.xstar = eqs[reached].x;
    gv_scheme sc = s.cf.scheme; /* a view of the same scheme, linearised at the reached point */
    sc.game = &vf;
    gv_predict(&sc, &pr, &prerr);
    /* distance to it, rebuilt from the logged pi and D */
    int ok = 1;
    char name[32];
    for (size_t a = 0; a < na && ok; ++a) {
      int64_t *st2 = NULL;
      size_t n2 = 0;
      snprintf(name, sizeof name, "pi_%zu", a);
      ok = gv_runread_series(rr, name, a ? &st2 : &step, &series[a], &n2) == GV_OK;
      free(st2);
      st2 = NULL;
      if (ok && a == 0) nt = n2;
      ok = ok && n2 == nt;
      snprintf(name, sizeof name, "D_%zu", a);
      ok = ok && gv_runread_series(rr, name, &st2, &series[na + a], &n2) == GV_OK && n2 == nt;
      free(st2);
    }
    if (ok && nt >= 2 && (dr = malloc(nt * sizeof *dr))) {
      for (size_t i = 0; i < nt; ++i) {
        double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN], xi[NMAX];
        for (size_t a = 0; a < na; ++a) {
          pi[a] = series[a][i];
          D[a] = series[na + a][i];
        }
        gv_onestep_state(g, pi, D, xi);
        dr[i] = dist(xi, eqs[reached].x, n);
      }
      gv_measure(step, dr, nt, s.run.tol, &m);
      agree = pr.verdict == GV_VERDICT_UNKNOWN ? -1 : gv_agree(&pr, &m, 0.2);
    }
  }

  /* /summary */
  double *kl = NULL, *tv = NULL;
  int64_t *sk = NULL;
  size_t nk = 0;
  double final_kl = NAN, final_tv = NAN, final_dist = NAN;
  if (gv_runread_series(rr, "kl", &sk, &kl, &nk) == GV_OK && nk) final_kl = kl[nk - 1];
  free(sk);
  sk = NULL;
  if (gv_runread_series(rr, "tv", &sk, &tv, &nk) == GV_OK && nk) final_tv = tv[nk - 1];
  free(sk);
  sk = NULL;
  double *dd = NULL;
  if (gv_runread_series(rr, "distance", &sk, &dd, &nk) == GV_OK && nk) final_dist = dd[nk - 1];
  free(sk);
  free(dd);
  gv_runread_set_summary_real(rr, "pred_residual", p.residual);
  gv_runread_set_summary_real(rr, "xstar_is_equilibrium", xstar_eq);
  set_eigs(rr, "pred_jac", p.jac_re, p.jac_im, p.neig);
  gv_runread_set_summary_str(rr, "predicted_verdict", gv_verdict_name(p.verdict));
  gv_runread_set_summary_real(rr, "equilibria_found", (double)neq);
  for (size_t e = 0; e < neq; ++e) {
    char pre[32];
    double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN];
    gv_onestep_policy(g, eqs[e].x, pi);
    gv_onestep_disc(g, eqs[e].x, D);
    snprintf(pre, sizeof pre, "eq%zu_pi", e);
    set_vec(rr, pre, pi, na);
    snprintf(pre, sizeof pre, "eq%zu_D", e);
    set_vec(rr, pre, D, na);
    snprintf(pre, sizeof pre, "eq%zu_max_re", e);
    gv_runread_set_summary_real(rr, pre, eqs[e].max_re);
    snprintf(pre, sizeof pre, "eq%zu_tv", e);
    gv_runread_set_summary_real(rr, pre, eqs[e].tv);
    snprintf(pre, sizeof pre, "eq%zu_kl", e);
    gv_runread_set_summary_real(rr, pre, eqs[e].kl);
  }
  gv_runread_set_summary_real(rr, "reached_eq", reached < EQ_MAX ? (double)reached : -1.0);
  if (reached < EQ_MAX) {
    const os_eq *q = &eqs[reached];
    gv_runread_set_summary_real(rr, "reached_residual", q->residual);
    set_eigs(rr, "reached_jac", q->re, q->im, q->neig);
    gv_runread_set_summary_real(rr, "reached_tv", q->tv);
    gv_runread_set_summary_real(rr, "reached_kl", q->kl);
    gv_runread_set_summary_real(rr, "reached_distance_to_xstar", dist(q->x, g->xstar, n));
    gv_runread_set_summary_str(rr, "reached_predicted_verdict", gv_verdict_name(pr.verdict));
    gv_runread_set_summary_real(rr, "reached_pred_rate", pr.rate);
    if (pr.discrete)
      gv_runread_set_summary_real(rr, "reached_spectral_radius", pr.spectral_radius);
    gv_runread_set_summary_str(rr, "measured_verdict", gv_verdict_name(m.verdict));
    gv_runread_set_summary_real(rr, "meas_rate", m.rate);
    gv_runread_set_summary_real(rr, "meas_iters_to_converge", (double)m.iters_to_converge);
    gv_runread_set_summary_real(rr, "meas_osc_range", m.osc_range);
    gv_runread_set_summary_real(rr, "agree", agree);
  }
  gv_runread_set_summary_real(rr, "meas_final_distance", final_dist);
  gv_runread_set_summary_real(rr, "meas_final_kl", final_kl);
  gv_runread_set_summary_real(rr, "meas_final_tv", final_tv);

  if (out) {
    char ctl[256] = "", buf[160];
    size_t off = 0;
    for (size_t i = 0; i < s.cf.ctl.n; ++i)
      off += (size_t)snprintf(ctl + off, off < sizeof ctl ? sizeof ctl - off : 0, "%s%s",
                              i ? " + " : "", s.cf.ctl.items[i].type->info.name);
    char *status = gv_runread_attr(rr, "status");
    const gv_param *gs = gv_game_onestep.params;
    fprintf(out, "%s: %s (onestep n=%zu lambda=%g reward %s, D %s, policy %s; %s h=%g, %ld "
            "steps; controllers: %s; status %s)\n", path, s.common.name, na, g->p.lambda,
            gv_param_enum_name(&gs[2], g->p.reward), gv_param_enum_name(&gs[3], g->p.disc),
            gv_param_enum_name(&gs[4], g->p.policy), s.cf.stype->info.name, s.cf.scheme.p.h,
            s.cf.scheme.p.steps, off ? ctl : "none", status ? status : "?");
    free(status);
    print_vec(out, "expert pi_E", g->p.expert, na);
    snprintf(buf, sizeof buf, "%.3g (%s)", p.residual,
             xstar_eq ? "an equilibrium" : "NOT an equilibrium");
    fprintf(out, "  %-30s %s\n", "desired state |F(x*)|", buf);
    print_eigs(out, "Jacobian eigenvalues at x*", p.jac_re, p.jac_im, p.neig);
    if (p.nconserved)
      fprintf(out, "  %-30s %s\n", "", p.nconserved == g->vf.nconserved
              ? "(left out: the zero eigenvalue along u = (1, .., 1, 0, .., 0) / sqrt(n),\n"
                "                                  the shift of all policy coordinates, which "
                "moves no probability)" : "(all: the controllers move u.x)");
    if (xstar_eq) fprintf(out, "  %-30s %s\n", "predicted at x*", gv_verdict_name(p.verdict));
    fprintf(out, "  equilibria found: %zu\n", neq);
    for (size_t e = 0; e < neq; ++e) {
      double pi[GV_ONESTEP_MAXN];
      gv_onestep_policy(g, eqs[e].x, pi);
      snprintf(buf, sizeof buf, "  #%zu%s", e, e == reached ? " (reached)" : "");
      print_vec(out, buf, pi, na);
      fprintf(out, "  %-30s TV %.6g  KL %.6g  max Re eig %.6g (%s)\n", "", eqs[e].tv,
              eqs[e].kl, eqs[e].max_re, eqs[e].max_re < 0 ? "stable" : "not stable");
    }
    if (reached < EQ_MAX) {
      double D[GV_ONESTEP_MAXN];
      gv_onestep_disc(g, eqs[reached].x, D);
      print_vec(out, "reached: D", D, na);
      print_eigs(out, "reached: Jacobian eigenvalues", eqs[reached].re, eqs[reached].im,
                 eqs[reached].neig);
      fprintf(out, "  %-30s %-26s %s\n", "reached: verdict (pred, meas)",
              gv_verdict_name(pr.verdict), gv_verdict_name(m.verdict));
      fprintf(out, "  %-30s %-26.6g %.6g\n", "rate (log distance per step)", pr.rate, m.rate);
      fprintf(out, "  %-30s %s\n", "prediction and measurement",
              agree < 0 ? "n/a" : agree ? "agree" : "DISAGREE");
    } else if (have_final) {
      fprintf(out, "  the run's end is not near an equilibrium of the controlled field\n");
    } else {
      fprintf(out, "  the run's final point (/arrays/x_final) is missing or not %zu values: "
              "no equilibrium is matched to it\n", n);
    }
    fprintf(out, "  %-30s KL %.6g  TV %.6g  |x - x*| %.6g\n", "final policy vs expert",
            final_kl, final_tv, final_dist);
    if (perr.msg[0] && xstar_eq) fprintf(out, "  note: %s\n", perr.msg);
  }
  free(xf);
  free(kl);
  free(tv);
  free(step);
  free(dr);
  for (size_t i = 0; i < 2 * GV_ONESTEP_MAXN; ++i) free(series[i]);
  sim_free(&s);
  gv_node_free(root);
  gv_runread_close(rr);
  return GV_OK;
}

static const gv_column onestep_table[] = {{"predicted_verdict", "predicted"},
    {"measured_verdict", "measured"},
    {"meas_final_tv", "TV to expert"},
    {"reached_tv", "TV at equil."},
    {"agree", "agree"},
    {NULL, NULL}};

static const gv_section os_sections[] = {
    GV_SECTION_SCHEME("ode"), GV_SECTION_CONTROLLERS,
    GV_SECTION_MAP("run", "logging and thresholds", run_params), GV_SECTION_END};

const gv_experiment gv_exp_onestep = {
    {"onestep", "one-step GAIL (Luo et al. 2024): a discrete-action policy against a tabular "
                "discriminator", "docs/theory/onestep-gail.md", NULL, 0},
    os_exp_check,
    os_exp_run,
    os_analyze,
    NULL,
    &gv_game_onestep,
    onestep_table,
    &os_game_table,
    os_sections,
};
