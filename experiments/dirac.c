/* The Dirac-GAN experiment: build the game, the controller stack and the
 * scheme from a config, run it (optionally as many replicas over threads),
 * log every curve, and report predicted against measured stability. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/closed_form.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"
#include "gan/dirac.h"
#include "gan/scheme.h"
#include "gan/stability.h"

/* The `run:` section: logging and replicas. */
typedef struct dirac_run {
  long every;               /* log theta, psi, distance every k steps */
  long flush_every;         /* steps between run-file flushes */
  long replicas;            /* independent noise realisations (stochastic runs) */
  long threads;             /* worker threads for the replicas */
  double tol;               /* convergence: distance below tol from then on */
  double bound;             /* divergence: distance above bound ends the run */
  long field_grid;          /* vector-field samples per axis in /arrays/field */
  double field_range;       /* the field grid spans eq +- field_range */
} dirac_run;

static const gv_param run_params[] = {
    GV_PARAM_INT(dirac_run, every, "1", 1, 1e12, "log every k steps"),
    GV_PARAM_INT(dirac_run, flush_every, "1000", 1, 1e12, "steps between run-file flushes"),
    GV_PARAM_INT(dirac_run, replicas, "1", 1, 1e7,
                 "noise realisations (replica r uses stream index r); only replica 0 is logged"),
    GV_PARAM_INT(dirac_run, threads, "1", 1, 256, "worker threads for replicas"),
    GV_PARAM_REALX(dirac_run, tol, "1e-3", 0, 1e300, GV_P_LO_OPEN,
                   "convergence threshold on |x - x*|"),
    GV_PARAM_REALX(dirac_run, bound, "1e6", 0, 1e300, GV_P_LO_OPEN,
                   "|x - x*| above this ends the run as diverged"),
    GV_PARAM_INT(dirac_run, field_grid, "21", 0, 1001, "vector-field grid points per axis (0: none)"),
    GV_PARAM_REALX(dirac_run, field_range, "2", 0, 1e6, GV_P_LO_OPEN,
                   "the field grid spans x* +- field_range"),
    GV_PARAM_END,
};

static const char *const sections[] = {"game", "scheme", "controllers", "run", "plot", NULL};

/* Everything one simulation needs; one per thread. */
typedef struct dirac_sim {
  gv_common common;
  dirac_run run;
  gv_dirac game;
  gv_cfsim cf;               /* scheme, controllers, noise stream */
} dirac_sim;

static void sim_free(dirac_sim *s) {
  gv_cfsim_free(&s->cf);
  memset(s, 0, sizeof *s);
}

/* Builds a simulation from the tree, writing defaults into it. */
static gv_status sim_build(dirac_sim *s, gv_node *root, const char *file, gv_err *err) {
  memset(s, 0, sizeof *s);
  gv_status st = gv_exp_check_top(root, file, sections, &s->common, err);
  if (st != GV_OK) return st;
  const gv_component *c;
  gv_dirac_params gp;
  static const gv_component *const games[] = {&gv_game_dirac, NULL};
  static const gv_registry dirac_only = {"game", "", games};
  if ((st = gv_exp_component(root, file, "game", &dirac_only, NULL, &c, &gp, err)) != GV_OK)
    return st;
  gv_dirac_init(&s->game, &gp);
  gv_node *m;
  if ((st = gv_exp_section(root, file, "run", &m, err)) != GV_OK) return st;
  gv_cfg_ctx rctx = {file, "run"};
  if ((st = gv_params_load(run_params, m, NULL, &rctx, &s->run, err)) != GV_OK) return st;
  return gv_cfsim_build(&s->cf, root, file, &s->game.vf, "simgd", (uint64_t)s->common.seed,
                        err);
}

static double dist2(const double *x, const double *xs) {
  return hypot(x[0] - xs[0], x[1] - xs[1]);
}

/* One replica without logging: iterations to converge, final distance,
 * Lyapunov estimate (1/t) log(|X(t)| / |X(0)|). */
typedef struct replica_out {
  int64_t iters;            /* -1: not converged */
  double final;
  double lyapunov;
} replica_out;

static replica_out run_replica(dirac_sim *s, uint64_t r) {
  gv_rng_reseed(s->cf.rng, (uint64_t)s->common.seed, "scheme", r);
  gv_ctl_stack_reseed(&s->cf.ctl, (uint64_t)s->common.seed, r);
  double x[2] = {s->game.p.theta0, s->game.p.psi0};
  const double *xs = s->game.xstar;
  double d0 = dist2(x, xs), d = d0;
  int64_t last_above = d >= s->run.tol ? 0 : -1;
  long steps = s->cf.scheme.p.steps, k;
  for (k = 1; k <= steps; ++k) {
    gv_status st = s->cf.stype->step(&s->cf.scheme, x, s->cf.rng);
    d = dist2(x, xs);
    if (st != GV_OK || !(d <= s->run.bound)) break;
    if (d >= s->run.tol) last_above = k;
  }
  replica_out o;
  int finished = k > steps;
  o.final = finished ? d : INFINITY;
  o.iters = finished && d < s->run.tol ? last_above + 1 : -1;
  o.lyapunov = finished ? log(fmax(d, 1e-300) / d0) / (double)steps : INFINITY;
  return o;
}

typedef struct worker {
  dirac_sim sim;
  replica_out *out;
  long first, stride, count;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  for (long r = w->first; r < w->count && !gv_exp_interrupted; r += w->stride)
    w->out[r] = run_replica(&w->sim, (uint64_t)r);
  return NULL;
}

static void write_field(gv_runfile *rf, dirac_sim *s) {
  long g = s->run.field_grid;
  if (g < 2) return;
  double *fx = malloc(sizeof *fx * (size_t)g), *fy = malloc(sizeof *fy * (size_t)g);
  double *f = malloc(sizeof *f * (size_t)(g * g * 2));
  for (long i = 0; i < g; ++i) {
    double t = -1 + 2.0 * (double)i / (double)(g - 1);
    fx[i] = s->game.xstar[0] + s->run.field_range * t;
    fy[i] = s->game.xstar[1] + s->run.field_range * t;
  }
  for (long i = 0; i < g; ++i)
    for (long j = 0; j < g; ++j) {
      double x[2] = {fx[j], fy[i]};
      gv_vf_controlled(&s->game.vf, &s->cf.ctl, x, &f[(i * g + j) * 2]);
    }
  size_t n1 = (size_t)g, d3[3] = {(size_t)g, (size_t)g, 2};
  gv_run_array(rf, "field_x", fx, 1, &n1, -1);
  gv_run_array(rf, "field_y", fy, 1, &n1, -1);
  gv_run_array(rf, "field", f, 3, d3, -1);
  free(fx);
  free(fy);
  free(f);
}

/* The logged replica 0 under the driver; the other replicas at the end. */
typedef struct dirac_game {
  dirac_sim s;
  gv_node *root;            /* the tree the replicas' simulations are built from */
  const char *file;
  double x[2];
} dirac_game;

enum { D_THETA, D_PSI, D_DIST };
static const gv_series_row dirac_series[] = {
    {"theta", "1", "generator parameter theta"},
    {"psi", "1", "discriminator parameter psi"},
    {"distance", "1", "|x - x*|: Euclidean distance of (theta, psi) to the equilibrium (c, 0)"},
    {NULL, NULL, NULL}};

static gv_status dirac_setup(void *vg, gv_drive *d, gv_node *root, const char *file, int build,
                             gv_err *err) {
  (void)build;
  dirac_game *g = vg;
  gv_status st = sim_build(&g->s, root, file, err);
  if (st) return st;
  g->root = root;
  g->file = file;
  gv_cfsim_plan(d, &g->s.common, &g->s.cf, dirac_series, g->s.run.flush_every);
  return GV_OK;
}

static gv_status dirac_start(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  dirac_game *g = vg;
  dirac_sim *s = &g->s;
  write_field(d->rf, s);
  gv_rng_reseed(s->cf.rng, (uint64_t)s->common.seed, "scheme", 0);
  gv_ctl_stack_reseed(&s->cf.ctl, (uint64_t)s->common.seed, 0);
  g->x[0] = s->game.p.theta0;
  g->x[1] = s->game.p.psi0;
  gv_run_append(d->rf, d->id[D_THETA], 0, g->x[0]);
  gv_run_append(d->rf, d->id[D_PSI], 0, g->x[1]);
  gv_run_append(d->rf, d->id[D_DIST], 0, dist2(g->x, s->game.xstar));
  return GV_OK;
}

/* Steps up to until in a tight loop, logging every run.every steps. */
static gv_status dirac_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  dirac_game *g = vg;
  dirac_sim *s = &g->s;
  gv_runfile *rf = d->rf;
  const int it = d->id[D_THETA], ip = d->id[D_PSI], id = d->id[D_DIST];
  const long every = s->run.every, steps = d->steps;
  const double bound = s->run.bound, *xs = s->game.xstar;
  gv_status (*step)(gv_scheme *, double *, gsl_rng *) = s->cf.stype->step;
  double x[2] = {g->x[0], g->x[1]}, dd = NAN;
  long k;
  int blew = 0;
  for (k = d->step + 1; k <= until; ++k) {
    gv_status ss = step(&s->cf.scheme, x, s->cf.rng);
    dd = dist2(x, xs);
    blew = ss != GV_OK || !(dd <= bound);
    if (k % every == 0 || blew || k == steps) {
      gv_run_append(rf, it, k, x[0]);
      gv_run_append(rf, ip, k, x[1]);
      gv_run_append(rf, id, k, dd);
    }
    if (blew) break;
  }
  g->x[0] = x[0];
  g->x[1] = x[1];
  d->step = k > until ? until : k;
  d->shown = dd;
  if (blew) return gv_fail(err, GV_EDIVERGED, "|x - x*| = %g (bound %g)", dd, bound);
  return GV_OK;
}

/* The other replicas, unlogged, over threads (a completed run only). */
static gv_status run_replicas(dirac_game *g, gv_runfile *rf) {
  long R = g->s.run.replicas;
  replica_out *out = calloc((size_t)R, sizeof *out);
  long T = g->s.run.threads < R ? g->s.run.threads : R;
  worker *w = calloc((size_t)T, sizeof *w);
  pthread_t *th = calloc((size_t)T, sizeof *th);
  for (long t = 0; t < T; ++t) { /* build in this thread: the loader writes the tree */
    w[t].out = out;
    w[t].first = t;
    w[t].stride = T;
    w[t].count = R;
    gv_node *copy = gv_node_clone(g->root);
    sim_build(&w[t].sim, copy, g->file, NULL);
    gv_node_free(copy);
  }
  for (long t = 0; t < T; ++t) pthread_create(&th[t], NULL, worker_main, &w[t]);
  for (long t = 0; t < T; ++t) {
    pthread_join(th[t], NULL);
    sim_free(&w[t].sim);
  }
  double *it = malloc(sizeof *it * (size_t)R), *fin = malloc(sizeof *fin * (size_t)R);
  double *ly = malloc(sizeof *ly * (size_t)R);
  for (long r = 0; r < R; ++r) {
    it[r] = (double)out[r].iters;
    fin[r] = out[r].final;
    ly[r] = out[r].lyapunov;
  }
  size_t nr = (size_t)R;
  gv_run_array(rf, "replica_iters_to_converge", it, 1, &nr, -1);
  gv_run_array(rf, "replica_final_distance", fin, 1, &nr, -1);
  gv_run_array(rf, "replica_lyapunov", ly, 1, &nr, -1);
  free(it);
  free(fin);
  free(ly);
  free(out);
  free(w);
  free(th);
  return gv_exp_interrupted ? GV_EINTR : GV_OK;
}

static gv_status dirac_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)err;
  dirac_game *g = vg;
  gv_status st = GV_OK;
  if (g->s.run.replicas > 1 && !strcmp(status, "completed")) st = run_replicas(g, d->rf);
  gv_run_summary_int(d->rf, "steps_done", d->step);
  return st;
}

static void dirac_teardown(void *vg) { sim_free(&((dirac_game *)vg)->s); }

/* Replica 0's state, its scheme, controllers and noise stream; the other
 * replicas run whole in finish. */
static gv_status dirac_checkpoint(void *vg, gv_drive *d, gv_ckpt *c, gv_err *err) {
  (void)d;
  (void)err;
  dirac_game *g = vg;
  gv_ckpt_doubles(c, "x", g->x, 2);
  gv_cfsim_ckpt(&g->s.cf, c);
  return GV_OK;
}

static const gv_exp_game dirac_game_table = {
    .kind = "dirac", .size = sizeof(dirac_game), .setup = dirac_setup, .start = dirac_start,
    .iterate = dirac_iterate, .finish = dirac_finish, .teardown = dirac_teardown,
    .checkpoint = dirac_checkpoint};

GV_EXP_DRIVEN(dirac_exp, dirac_game_table)

/* ------------------------------------------------------------ analysis */

static void fmt_eig(char *buf, size_t size, double re, double im) {
  if (fabs(im) < 1e-12) snprintf(buf, size, "%.7g", re);
  else snprintf(buf, size, "%.7g %c %.7gi", re, im < 0 ? '-' : '+', fabs(im));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static gv_status dirac_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_node *root;
  gv_status st = gv_cfsim_reopen(path, &rr, &root, err);
  if (st != GV_OK) return st;
  dirac_sim s;
  if ((st = sim_build(&s, root, path, err)) != GV_OK) {
    gv_node_free(root);
    gv_runread_close(rr);
    return st;
  }
  gv_prediction p;
  gv_err perr = {{0}, {0}};
  gv_predict(&s.cf.scheme, &p, &perr);
  int64_t *step = NULL;
  double *dist = NULL;
  size_t n = 0;
  gv_measurement m;
  memset(&m, 0, sizeof m);
  m.verdict = GV_VERDICT_UNKNOWN;
  m.iters_to_converge = -1;
  if (gv_runread_series(rr, "distance", &step, &dist, &n) == GV_OK && n >= 2)
    gv_measure(step, dist, n, s.run.tol, &m);

  /* replicas: the Lyapunov exponent estimated over seeds */
  double *ly = NULL, *it = NULL;
  int rank, rank2;
  size_t dims[4], dims2[4], nrep = 0, nconv = 0;
  double ly_mean = NAN, ly_std = NAN, it_median = NAN;
  if (gv_runread_array(rr, "replica_lyapunov", &ly, &rank, dims) == GV_OK &&
      gv_runread_array(rr, "replica_iters_to_converge", &it, &rank2, dims2) == GV_OK) {
    if (rank != 1 || rank2 != 1 || dims[0] != dims2[0]) {
      st = gv_fail(err, GV_EINVAL, "%s: /arrays: replica_iters_to_converge holds %zu values, "
                   "replica_lyapunov %zu (allowed: one value per replica each, rank 1)", path,
                   dims2[0] * (rank2 > 1 ? dims2[1] : 1), dims[0] * (rank > 1 ? dims[1] : 1));
      goto out;
    }
    nrep = dims[0];
    double s1 = 0, s2 = 0;
    size_t nf = 0;
    for (size_t i = 0; i < nrep; ++i)
      if (isfinite(ly[i])) {
        s1 += ly[i];
        s2 += ly[i] * ly[i];
        nf++;
      }
    if (nf) {
      ly_mean = s1 / (double)nf;
      ly_std = nf > 1 ? sqrt(fmax(0, (s2 - s1 * s1 / (double)nf) / (double)(nf - 1))) : 0;
    }
    double *conv = malloc(sizeof *conv * (nrep ? nrep : 1));
    for (size_t i = 0; i < nrep; ++i)
      if (it[i] >= 0) conv[nconv++] = it[i];
    if (nconv) {
      qsort(conv, nconv, sizeof *conv, cmp_double);
      it_median = conv[nconv / 2];
    }
    free(conv);
  }
  gv_measurement magree = m;
  if (nrep > 1 && isfinite(ly_mean)) {
    magree.lyapunov = ly_mean;
    magree.lyapunov_se = ly_std / sqrt((double)nrep);
  }
  /* -1: nothing to agree with (no linear prediction) */
  int agree = p.verdict == GV_VERDICT_UNKNOWN ? -1 : gv_agree(&p, &magree, 0.2);

  /* /summary */
  gv_runread_set_summary_real(rr, "eq_theta", p.eq[0]);
  gv_runread_set_summary_real(rr, "eq_psi", p.eq[1]);
  gv_runread_set_summary_real(rr, "pred_residual", p.residual);
  char key[64], buf[96], buf2[160];
  for (size_t i = 0; i < p.n; ++i) {
    snprintf(key, sizeof key, "pred_jac_eig%zu_re", i);
    gv_runread_set_summary_real(rr, key, p.jac_re[i]);
    snprintf(key, sizeof key, "pred_jac_eig%zu_im", i);
    gv_runread_set_summary_real(rr, key, p.jac_im[i]);
    if (p.discrete) {
      snprintf(key, sizeof key, "pred_map_eig%zu_re", i);
      gv_runread_set_summary_real(rr, key, p.map_re[i]);
      snprintf(key, sizeof key, "pred_map_eig%zu_im", i);
      gv_runread_set_summary_real(rr, key, p.map_im[i]);
    }
  }
  if (p.discrete) gv_runread_set_summary_real(rr, "pred_spectral_radius", p.spectral_radius);
  if (p.stochastic) gv_runread_set_summary_real(rr, "pred_lyapunov", p.lyapunov);
  gv_runread_set_summary_real(rr, "pred_rate", p.rate);
  gv_runread_set_summary_str(rr, "predicted_verdict", gv_verdict_name(p.verdict));
  gv_runread_set_summary_real(rr, "meas_final_distance", m.final_distance);
  gv_runread_set_summary_real(rr, "meas_rate", m.rate);
  gv_runread_set_summary_real(rr, "meas_osc_range", m.osc_range);
  gv_runread_set_summary_real(rr, "meas_iters_to_converge", (double)m.iters_to_converge);
  gv_runread_set_summary_real(rr, "meas_lyapunov", m.lyapunov);
  gv_runread_set_summary_real(rr, "meas_lyapunov_se", m.lyapunov_se);
  gv_runread_set_summary_str(rr, "measured_verdict", gv_verdict_name(m.verdict));
  if (nrep) {
    gv_runread_set_summary_real(rr, "replicas", (double)nrep);
    gv_runread_set_summary_real(rr, "replicas_converged", (double)nconv);
    gv_runread_set_summary_real(rr, "replica_iters_median", it_median);
    gv_runread_set_summary_real(rr, "replica_lyapunov_mean", ly_mean);
    gv_runread_set_summary_real(rr, "replica_lyapunov_std", ly_std);
  }
  gv_runread_set_summary_real(rr, "agree", agree);

  if (out) {
    char ctl[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < s.cf.ctl.n; ++i)
      off += (size_t)snprintf(ctl + off, off < sizeof ctl ? sizeof ctl - off : 0, "%s%s",
                              i ? " + " : "", s.cf.ctl.items[i].type->info.name);
    char *status = gv_runread_attr(rr, "status");
    fprintf(out, "%s: %s (dirac %s, %s h=%g, %ld steps, controllers: %s; status %s)\n", path,
            s.common.name, gv_param_enum_name(&gv_game_dirac.params[0], s.game.p.loss),
            s.cf.stype->info.name, s.cf.scheme.p.h, s.cf.scheme.p.steps, off ? ctl : "none",
            status ? status : "?");
    free(status);
    fprintf(out, "  %-30s %-26s %s\n", "", "predicted", "measured");
    snprintf(buf, sizeof buf, "(%g, %g)  |F| %.2g", p.eq[0], p.eq[1], p.residual);
    fprintf(out, "  %-30s %s\n", "equilibrium", buf);
    for (size_t i = 0; i < p.n; ++i) {
      fmt_eig(buf, sizeof buf, p.jac_re[i], p.jac_im[i]);
      fprintf(out, "  %-30s %s\n", i ? "" : "Jacobian eigenvalues", buf);
    }
    if (p.discrete) {
      for (size_t i = 0; i < p.n; ++i) {
        fmt_eig(buf, sizeof buf, p.map_re[i], p.map_im[i]);
        snprintf(buf2, sizeof buf2, "%s  |%.7g|", buf, hypot(p.map_re[i], p.map_im[i]));
        fprintf(out, "  %-30s %s\n", i ? "" : "update-map eigenvalues", buf2);
      }
      fprintf(out, "  %-30s %.7g\n", "spectral radius", p.spectral_radius);
    }
    fprintf(out, "  %-30s %-26s %s\n", "verdict", gv_verdict_name(p.verdict),
            gv_verdict_name(m.verdict));
    fprintf(out, "  %-30s %-26.6g %.6g\n", "rate (log distance per step)", p.rate, m.rate);
    if (p.stochastic || nrep)
      fprintf(out, "  %-30s %-26.6g %.6g +- %.2g\n", "Lyapunov exponent per step",
              p.lyapunov, m.lyapunov, m.lyapunov_se);
    fprintf(out, "  %-30s %-26s %.6g\n", "final distance", "", m.final_distance);
    fprintf(out, "  %-30s %-26s %.6g\n", "oscillation range (last 1/4)", "", m.osc_range);
    snprintf(buf, sizeof buf, "iterations to converge (%g)", s.run.tol);
    if (m.iters_to_converge >= 0)
      fprintf(out, "  %-30s %-26s %lld\n", buf, "", (long long)m.iters_to_converge);
    else /* the verdict is the fitted rate's sign; the threshold may lie past the run */
      fprintf(out, "  %-30s %-26s never (not below %g within the run)\n", buf, "", s.run.tol);
    if (nrep) {
      fprintf(out, "  %-30s %zu of %zu converged, median iterations %g\n", "replicas", nconv,
              nrep, it_median);
      fprintf(out, "  %-30s %-26.6g %.6g +- %.2g (mean +- std over seeds)\n",
              "Lyapunov over seeds", p.lyapunov, ly_mean, ly_std);
    }
    if (agree == 0 && p.verdict == m.verdict) {
      /* same verdict: gv_agree found the rates apart (20%, or 3 standard errors) */
      const char *what = p.stochastic ? "Lyapunov exponent" : "rate";
      fprintf(out, "  %-30s DISAGREE: both verdicts say %s, but the measured %s %.6g is not within "
              "20%% (or 3 standard errors) of the predicted %.6g\n",
              "prediction and measurement", gv_verdict_name(p.verdict), what,
              p.stochastic ? magree.lyapunov : magree.rate, p.stochastic ? p.lyapunov : p.rate);
    } else
      fprintf(out, "  %-30s %s\n", "prediction and measurement",
              agree < 0 ? "n/a (no linear prediction)" : agree ? "agree" : "DISAGREE");
    if (perr.msg[0]) fprintf(out, "  note: %s\n", perr.msg);
  }
out:
  free(ly);
  free(it);
  free(step);
  free(dist);
  sim_free(&s);
  gv_node_free(root);
  gv_runread_close(rr);
  return st;
}

/* ---------------------------------------------------------------- scan */


static gv_status dirac_scan(gv_node *root, const char *file, const char *key, double from,
                            double to, long num, const char *out, gv_err *err) {
  if (num < 1) return gv_fail(err, GV_EINVAL, "scan: --num must be at least 1");
  gv_node *probe = gv_cfg_lookup(root, key);
  if (!probe || probe->kind != GV_NODE_SCALAR)
    return gv_fail(err, GV_EINVAL, "scan: %s: no such scalar in the config (write it out, "
                   "e.g. controllers: [{kind: r1, gamma: 0.3}] for controllers.0.gamma)", key);
  size_t n = 2, k = (size_t)num;
  double *gain = malloc(sizeof *gain * k), *jre = malloc(sizeof *jre * k * n);
  double *jim = malloc(sizeof *jim * k * n), *mre = malloc(sizeof *mre * k * n);
  double *mim = malloc(sizeof *mim * k * n);
  gv_status st = GV_OK;
  for (size_t i = 0; i < k && st == GV_OK; ++i) {
    gain[i] = num == 1 ? from : from + (to - from) * (double)i / (double)(num - 1);
    char set[512];
    snprintf(set, sizeof set, "%s=%.17g", key, gain[i]);
    gv_node *t = gv_node_clone(root);
    dirac_sim s;
    if ((st = gv_cfg_set(t, set, err)) == GV_OK && (st = sim_build(&s, t, file, err)) == GV_OK) {
      gv_prediction p;
      gv_predict(&s.cf.scheme, &p, NULL);
      for (size_t j = 0; j < n; ++j) {
        jre[i * n + j] = p.jac_re[j];
        jim[i * n + j] = p.jac_im[j];
        mre[i * n + j] = p.discrete ? p.map_re[j] : NAN;
        mim[i * n + j] = p.discrete ? p.map_im[j] : NAN;
      }
      sim_free(&s);
    }
    gv_node_free(t);
  }
  if (st == GV_OK) {
    char *yaml = gv_cfg_emit(root);
    gv_run_info info = {"scan", key, yaml, 0, 1, 1};
    gv_runfile *rf;
    st = gv_run_create(&rf, out, &info, err);
    free(yaml);
    if (st == GV_OK) {
      size_t d1 = k, d2[2] = {k, n};
      gv_run_summary_str(rf, "key", key);
      gv_run_array(rf, "scan_gain", gain, 1, &d1, -1);
      gv_run_array(rf, "scan_eig_re", jre, 2, d2, -1);
      gv_run_array(rf, "scan_eig_im", jim, 2, d2, -1);
      gv_run_array(rf, "scan_map_re", mre, 2, d2, -1);
      gv_run_array(rf, "scan_map_im", mim, 2, d2, -1);
      gv_run_set_status(rf, "completed");
      st = gv_run_close(rf);
    }
  }
  free(gain);
  free(jre);
  free(jim);
  free(mre);
  free(mim);
  return st;
}

static const gv_column dirac_table[] = {{"predicted_verdict", "predicted"},
    {"measured_verdict", "measured"},
    {"meas_rate", "rate/step"},
    {"meas_iters_to_converge", "iters"},
    {"agree", "agree"},
    {NULL, NULL}};

static const gv_section dirac_sections[] = {
    GV_SECTION_SCHEME("simgd"), GV_SECTION_CONTROLLERS,
    GV_SECTION_MAP("run", "logging, replicas, thresholds", run_params), GV_SECTION_END};

const gv_experiment gv_exp_dirac = {
    {"dirac", "the Dirac-GAN (Mescheder et al. 2018): a point-mass generator against a linear "
              "discriminator", "Mescheder et al. 2018, arXiv 1801.04406, section 2", NULL, 0},
    dirac_exp_check,
    dirac_exp_run,
    dirac_analyze,
    dirac_scan,
    &gv_game_dirac,
    dirac_table,
    &dirac_game_table,
    dirac_sections,
};
