/* The MLP-GAN experiment (game.kind mlpgan): build the mixture, the nets and
 * the controller stack from a config, train with alternating updates, log
 * the sample-quality metrics and loss curves, snapshot samples, and report
 * the final metrics (docs/mlpgan.md, docs/hdf5-schema.md). */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "gan/mlpgan.h"

/* The `run:` section: logging and evaluation. */
typedef struct mlpgan_run {
  long every;               /* metrics every k generator steps (and at 0 and the end) */
  long flush_every;         /* steps between run-file flushes */
  long eval_samples;        /* generated (and reference) samples per evaluation */
  long cover_min;           /* high-quality samples for a mode to count as covered */
  long projections;         /* directions of the sliced Wasserstein distance */
  long snapshots;           /* sample snapshots after step 0 (evenly spaced) */
  long snapshot_samples;    /* samples per snapshot */
  double bound;             /* |loss| above this ends the run as diverged */
} mlpgan_run;

static const gv_param run_params[] = {
    GV_PARAM_INT(mlpgan_run, every, "100", 1, 1e12, "metrics every k generator steps"),
    GV_PARAM_INT(mlpgan_run, flush_every, "1000", 1, 1e12, "steps between run-file flushes"),
    GV_PARAM_INT(mlpgan_run, eval_samples, "2500", 10, 1e7,
                 "generated samples per evaluation (VEEGAN's 2500)"),
    GV_PARAM_INT(mlpgan_run, cover_min, "20", 1, 1e7,
                 "high-quality samples a mode needs to count as covered (VEEGAN's 20)"),
    GV_PARAM_INT(mlpgan_run, projections, "32", 1, 4096,
                 "fixed directions of the sliced Wasserstein distance"),
    GV_PARAM_INT(mlpgan_run, snapshots, "5", 0, 1000,
                 "sample snapshots /arrays/samples_STEP after step 0, evenly spaced"),
    GV_PARAM_INT(mlpgan_run, snapshot_samples, "1000", 1, 1e7, "samples per snapshot"),
    GV_PARAM_REALX(mlpgan_run, bound, "1e6", 0, 1e300, GV_P_LO_OPEN,
                   "a loss above this in magnitude ends the run as diverged"),
    GV_PARAM_END,
};

static const char *const sections[] = {"game", "train", "controllers", "run", "plot", NULL};

typedef struct mlpgan_cfg {
  gv_common common;
  gv_mlpgan_params game;
  gv_mlpgan_train train;
  mlpgan_run run;
  gv_ctl_stack ctl;
} mlpgan_cfg;

/* Validates the tree (writing defaults) and loads the controller stack. */
static gv_status cfg_build(mlpgan_cfg *c, gv_node *root, const char *file, gv_err *err) {
  memset(c, 0, sizeof *c);
  gv_status st = gv_exp_check_top(root, file, sections, &c->common, err);
  if (st != GV_OK) return st;
  const gv_component *comp;
  static const gv_component *const games[] = {&gv_game_mlpgan, NULL};
  static const gv_registry only = {"game", "", games};
  if ((st = gv_exp_component(root, file, "game", &only, NULL, &comp, &c->game, err)) != GV_OK)
    return st;
  gv_node *m;
  if ((st = gv_exp_section(root, file, "train", &m, err)) != GV_OK) return st;
  gv_cfg_ctx tctx = {file, "train"};
  if ((st = gv_params_load(gv_mlpgan_train_params, m, NULL, &tctx, &c->train, err)) != GV_OK)
    return st;
  if ((st = gv_exp_section(root, file, "run", &m, err)) != GV_OK) return st;
  gv_cfg_ctx rctx = {file, "run"};
  if ((st = gv_params_load(run_params, m, NULL, &rctx, &c->run, err)) != GV_OK) return st;
  gv_node *ctl = gv_map_get(root, "controllers");
  if (!ctl) {
    ctl = gv_node_new_seq();
    gv_map_set(root, "controllers", ctl);
  }
  gv_cfg_ctx cctx = {file, ""};
  if ((st = gv_ctl_stack_load(&c->ctl, ctl, &cctx, (uint64_t)c->common.seed, err)) != GV_OK)
    return st;
  st = gv_cfg_locate(gv_ctl_stack_check_neural(&c->ctl, "mlpgan", err), err, &cctx, root,
                     "controllers");
  if (st != GV_OK) gv_ctl_stack_free(&c->ctl);
  return st;
}

static gv_status mlpgan_check(gv_node *root, const char *file, gv_err *err) {
  mlpgan_cfg c;
  gv_status st = cfg_build(&c, root, file, err);
  if (st == GV_OK) gv_ctl_stack_free(&c.ctl);
  return st;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

/* The fixed evaluation sets: latents, a reference sample of the mixture, and
 * the workspaces to push them through. */
typedef struct evalset {
  long n;
  float *z;                 /* (n x z_dim) */
  float *ref;               /* (n x 2) */
  float *x;                 /* generated (n x 2) */
  gv_nn_ws *gws, *dws;
} evalset;

static void eval_free(evalset *e) {
  free(e->z);
  free(e->ref);
  free(e->x);
  gv_nn_ws_free(e->gws);
  gv_nn_ws_free(e->dws);
}

static gv_status eval_init(evalset *e, const gv_mlpgan *g, long n, long nsnap, uint64_t seed,
                           gv_err *err) {
  memset(e, 0, sizeof *e);
  e->n = n > nsnap ? n : nsnap;
  size_t zd = (size_t)g->p.z_dim, m = (size_t)e->n;
  e->z = malloc(m * zd * sizeof(float));
  e->ref = malloc(m * 2 * sizeof(float));
  e->x = malloc(m * 2 * sizeof(float));
  gsl_rng *r = gv_rng_alloc(seed, "mlpgan.eval", 0);
  if (!e->z || !e->ref || !e->x || !r) {
    if (r) gsl_rng_free(r);
    return gv_fail(err, GV_ENOMEM, "mlpgan: out of memory");
  }
  for (size_t i = 0; i < m * zd; ++i) e->z[i] = (float)gv_rng_normal(r);
  gv_mixture_sample(&g->mix, r, e->ref, m);
  gsl_rng_free(r);
  gv_status st = gv_nn_ws_alloc(&e->gws, &g->G->spec, (int)m, err);
  if (st == GV_OK) st = gv_nn_ws_alloc(&e->dws, &g->D->spec, (int)m, err);
  return st;
}

/* Series ids, in the order of docs/hdf5-schema.md. */
enum { S_MODES, S_HQ, S_KL, S_SWD, S_DLOSS, S_GLOSS, S_CLOSS, S_DREAL, S_DFAKE, S_COUNT };
static const char *const series_names[S_COUNT] = {
    "modes", "hq", "kl", "swd", "d_loss", "g_loss", "ctl_loss", "d_real", "d_fake"};

/* Metrics at step k; the loss means are those since the last log (NAN at 0). */
static void log_metrics(gv_runfile *rf, const int *id, gv_mlpgan *g, evalset *e,
                        const mlpgan_run *run, long k, const double *lsum, long lcount,
                        gv_gan_metrics *m) {
  int n = (int)run->eval_samples;
  gv_mlpgan_generate(g, e->gws, e->z, e->x, n);
  gv_gan_metrics_compute(m, &g->mix, e->x, e->ref, (size_t)n, run->cover_min, run->projections);
  double v[S_COUNT] = {m->modes, m->hq, m->kl, m->swd, NAN, NAN, NAN, NAN, NAN};
  if (lcount) {
    v[S_DLOSS] = lsum[0] / (double)lcount;
    v[S_GLOSS] = lsum[1] / (double)lcount;
    v[S_CLOSS] = lsum[2] / (double)lcount;
  }
  v[S_DREAL] = gv_mlpgan_dmean(g, e->dws, e->ref, n);
  v[S_DFAKE] = gv_mlpgan_dmean(g, e->dws, e->x, n);
  for (int s = 0; s < S_COUNT; ++s)
    if (s < S_DLOSS || s > S_CLOSS || lcount) gv_run_append(rf, id[s], k, v[s]);
}

static void snapshot(gv_runfile *rf, gv_mlpgan *g, evalset *e, long n, long k) {
  gv_mlpgan_generate(g, e->gws, e->z, e->x, (int)n);
  char name[64];
  snprintf(name, sizeof name, "samples_%ld", k);
  size_t d[2] = {(size_t)n, 2};
  gv_run_array_f32(rf, name, e->x, 2, d, k);
}

static gv_status mlpgan_run_tree(gv_node *root, const char *file, const char *path,
                                 int progress, gv_err *err) {
  mlpgan_cfg c;
  gv_status st = cfg_build(&c, root, file, err);
  if (st != GV_OK) return st;
  gv_mlpgan g;
  if ((st = gv_mlpgan_init(&g, &c.game, &c.train, &c.ctl, (uint64_t)c.common.seed, err)) !=
      GV_OK) {
    gv_ctl_stack_free(&c.ctl);
    return st;
  }
  evalset e;
  if ((st = eval_init(&e, &g, c.run.eval_samples, c.run.snapshot_samples,
                      (uint64_t)c.common.seed, err)) != GV_OK) {
    eval_free(&e);
    gv_mlpgan_deinit(&g);
    gv_ctl_stack_free(&c.ctl);
    return st;
  }
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {"mlpgan", c.common.name, yaml, (uint64_t)c.common.seed,
                      c.run.flush_every};
  gv_runfile *rf;
  st = gv_run_create(&rf, path, &info, err);
  free(yaml);
  if (st != GV_OK) {
    eval_free(&e);
    gv_mlpgan_deinit(&g);
    gv_ctl_stack_free(&c.ctl);
    return st;
  }
  size_t dk[2] = {g.mix.k, 2}, dr[2] = {(size_t)c.run.eval_samples, 2};
  gv_run_array(rf, "modes", g.mix.mu, 2, dk, -1);
  gv_run_array_f32(rf, "real", e.ref, 2, dr, -1);
  gv_run_summary_real(rf, "mode_std", g.mix.std);

  interrupted = 0;
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  int id[S_COUNT];
  for (int s = 0; s < S_COUNT; ++s) id[s] = gv_run_series(rf, series_names[s]);
  double lsum[3] = {0, 0, 0};
  long lcount = 0;
  gv_gan_metrics m;
  log_metrics(rf, id, &g, &e, &c.run, 0, lsum, 0, &m);
  const long steps = c.train.steps, nsnap = c.run.snapshots;
  long next_snap = 1; /* index of the next snapshot (step j * steps / nsnap) */
  if (nsnap) snapshot(rf, &g, &e, c.run.snapshot_samples, 0);

  gv_progress pr;
  gv_progress_init(&pr, c.common.name, "steps", steps);
  pr.enabled &= progress;
  const char *status = "completed";
  long k;
  double t0 = gv_now();
  for (k = 1; k <= steps; ++k) {
    gv_mlpgan_losses l;
    gv_status ss = gv_mlpgan_step(&g, &l);
    if (ss == GV_OK && (fabs(l.d) > c.run.bound || fabs(l.g) > c.run.bound ||
                        fabs(l.ctl) > c.run.bound))
      ss = GV_EDIVERGED;
    if (ss != GV_OK) {
      status = ss == GV_EDIVERGED ? "diverged" : "failed";
      gv_run_log(rf, 0, "%s at step %ld: d_loss %g, g_loss %g, ctl_loss %g (bound %g)",
                 status, k, l.d, l.g, l.ctl, c.run.bound);
      gv_run_summary_int(rf, "diverged_step", k);
      /* the losses that blew up are the last point of their curves */
      gv_run_append(rf, id[S_DLOSS], k, l.d);
      gv_run_append(rf, id[S_GLOSS], k, l.g);
      gv_run_append(rf, id[S_CLOSS], k, l.ctl);
      break;
    }
    lsum[0] += l.d, lsum[1] += l.g, lsum[2] += l.ctl, lcount++;
    if (k % c.run.every == 0 || k == steps) {
      log_metrics(rf, id, &g, &e, &c.run, k, lsum, lcount, &m);
      lsum[0] = lsum[1] = lsum[2] = 0.0, lcount = 0;
    }
    while (nsnap && next_snap <= nsnap && k >= next_snap * steps / nsnap) {
      snapshot(rf, &g, &e, c.run.snapshot_samples, k);
      next_snap++;
    }
    if (interrupted) {
      status = "interrupted";
      gv_run_log(rf, 0, "interrupted at step %ld by signal %d", k, (int)interrupted);
      break;
    }
    if (gv_run_tick(rf, k) != GV_OK) {
      status = "failed";
      break;
    }
    if ((k & 63) == 0) gv_progress_update(&pr, k, "modes", m.modes);
  }
  gv_progress_done(&pr);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  gv_run_summary_int(rf, "steps_done", k > steps ? steps : k);
  gv_run_summary_real(rf, "seconds", gv_now() - t0);
  gv_run_set_status(rf, status);
  st = gv_run_close(rf);
  eval_free(&e);
  gv_mlpgan_deinit(&g);
  gv_ctl_stack_free(&c.ctl);
  if (st != GV_OK) return gv_fail(err, st, "%s: error writing the run file", path);
  return gv_exp_outcome(status, path, k, NULL, err);
}

/* ------------------------------------------------------------ analysis */

/* Final metrics: the last logged value of each series, and the best and the
 * mean over the last quarter of the evaluations (GAN metrics are noisy from
 * one evaluation to the next). */
static gv_status mlpgan_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_status st = gv_runread_open_rw(&rr, path, err);
  if (st != GV_OK) return st;
  char *status = gv_runread_attr(rr, "status");
  char *name = gv_runread_attr(rr, "name");
  if (out)
    fprintf(out, "%s: %s (mlpgan; status %s)\n", path, name ? name : "?", status ? status : "?");
  for (int s = 0; s < S_COUNT; ++s) {
    int64_t *step = NULL;
    double *v = NULL;
    size_t n = 0;
    if (gv_runread_series(rr, series_names[s], &step, &v, &n) != GV_OK || n == 0) {
      free(step);
      free(v);
      continue;
    }
    size_t from = n - (n + 3) / 4;
    double tail = 0.0;
    for (size_t i = from; i < n; ++i) tail += v[i];
    tail /= (double)(n - from);
    char key[64];
    snprintf(key, sizeof key, "final_%s", series_names[s]);
    gv_runread_set_summary_real(rr, key, v[n - 1]);
    snprintf(key, sizeof key, "tail_%s", series_names[s]);
    gv_runread_set_summary_real(rr, key, tail);
    if (out)
      fprintf(out, "  %-10s final %-12.6g mean of the last quarter %-12.6g (step %lld)\n",
              series_names[s], v[n - 1], tail, (long long)step[n - 1]);
    free(step);
    free(v);
  }
  free(status);
  free(name);
  gv_runread_close(rr);
  return GV_OK;
}

static const gv_column mlpgan_table[] = {{"final_modes", "modes"},
    {"final_hq", "high quality"},
    {"final_kl", "KL uniform"},
    {"final_swd", "sliced W1"},
    {NULL, NULL}};

const gv_experiment gv_exp_mlpgan = {
    {"mlpgan", "MLP GAN on a 2-D Gaussian mixture (ring of 8, grid of 25) under controllers",
     "Metz et al. 2017 (arXiv 1611.02163); Mescheder et al. 2018 (arXiv 1801.04406)",
     NULL, 0},
    mlpgan_check,
    mlpgan_run_tree,
    mlpgan_analyze,
    NULL,
    &gv_game_mlpgan,
    mlpgan_table,
};
