/* The MLP-GAN experiment (game.kind mlpgan): build the mixture, the nets and
 * the controller stack from a config, train with alternating updates, log
 * the sample-quality metrics and loss curves, snapshot samples, and report
 * the final metrics (docs/mlpgan.md, docs/hdf5-schema.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/drive.h"
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
  st = gv_cfg_locate(gv_disc_check(&c->ctl, &gv_mlpgan_disc_game, err), err, &cctx, root,
                     "controllers");
  if (st != GV_OK) gv_ctl_stack_free(&c->ctl);
  return st;
}

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
static const gv_series_row series_rows[S_COUNT + 1] = {
    {"modes", "modes", "mixture modes covered by generated samples (docs/mlpgan.md)"},
    {"hq", "1", "fraction of high-quality samples (near some mode)"},
    {"kl", "nat", "KL(histogram of high-quality samples over modes || uniform)"},
    {"swd", "data unit", "sliced Wasserstein distance of the samples to the reference sample"},
    {"d_loss", "1", "discriminator loss, mean since the previous point"},
    {"g_loss", "1", "generator loss, mean since the previous point"},
    {"ctl_loss", "1", "controller loss, mean since the previous point"},
    {"d_real", "logit", "mean discriminator output (logit) on the reference sample"},
    {"d_fake", "logit", "mean discriminator output (logit) on generated samples"},
    {NULL, NULL, NULL}};

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

typedef struct mlpgan_game {
  mlpgan_cfg c;
  gv_mlpgan g;
  int built;                /* g initialised */
  evalset e;
  double lsum[3];           /* loss sums since the last logged point */
  long lcount;
  long next_snap;           /* index of the next snapshot (step j * steps / nsnap) */
  gv_gan_metrics m;
} mlpgan_game;

static gv_status mg_setup(void *vg, gv_drive *d, gv_node *root, const char *file, int build,
                          gv_err *err) {
  mlpgan_game *G = vg;
  mlpgan_cfg *c = &G->c;
  gv_status st = cfg_build(c, root, file, err);
  if (st) return st;
  d->common = c->common;
  d->series = series_rows;
  d->flush_every = c->run.flush_every;
  d->steps = c->train.steps;
  d->metric = "modes";
  if (!build) return GV_OK;
  if ((st = gv_mlpgan_init(&G->g, &c->game, &c->train, &c->ctl, (uint64_t)c->common.seed, err)))
    return st;
  G->built = 1;
  return eval_init(&G->e, &G->g, c->run.eval_samples, c->run.snapshot_samples,
                   (uint64_t)c->common.seed, err);
}

static gv_status mg_start(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  mlpgan_game *G = vg;
  gv_runfile *rf = d->rf;
  size_t dk[2] = {G->g.mix.k, 2}, dr[2] = {(size_t)G->c.run.eval_samples, 2};
  gv_run_array(rf, "modes", G->g.mix.mu, 2, dk, -1);
  gv_run_array_f32(rf, "real", G->e.ref, 2, dr, -1);
  gv_run_summary_real(rf, "mode_std", G->g.mix.std);
  log_metrics(rf, d->id, &G->g, &G->e, &G->c.run, 0, G->lsum, 0, &G->m);
  G->next_snap = 1;
  if (G->c.run.snapshots) snapshot(rf, &G->g, &G->e, G->c.run.snapshot_samples, 0);
  d->shown = G->m.modes;
  return GV_OK;
}

/* One alternating step: D (with its controllers), then G. */
static gv_status mg_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  (void)until;
  mlpgan_game *G = vg;
  const mlpgan_run *run = &G->c.run;
  gv_runfile *rf = d->rf;
  const long k = ++d->step;
  gv_mlpgan_losses l;
  gv_status ss = gv_mlpgan_step(&G->g, &l);
  if (ss == GV_OK && (fabs(l.d) > run->bound || fabs(l.g) > run->bound ||
                      fabs(l.ctl) > run->bound))
    ss = GV_EDIVERGED;
  if (ss != GV_OK) {
    /* the losses that blew up are the last point of their curves */
    gv_run_append(rf, d->id[S_DLOSS], k, l.d);
    gv_run_append(rf, d->id[S_GLOSS], k, l.g);
    gv_run_append(rf, d->id[S_CLOSS], k, l.ctl);
    return gv_fail(err, ss == GV_EDIVERGED ? ss : GV_EFAILED,
                   "d_loss %g, g_loss %g, ctl_loss %g (bound %g)", l.d, l.g, l.ctl, run->bound);
  }
  G->lsum[0] += l.d, G->lsum[1] += l.g, G->lsum[2] += l.ctl, G->lcount++;
  return GV_OK;
}

/* The sample-quality metrics every run.every steps and at the end, the
 * snapshots at their steps. */
static gv_status mg_evaluate(void *vg, gv_drive *d, gv_err *err) {
  (void)err;
  mlpgan_game *G = vg;
  const mlpgan_run *run = &G->c.run;
  const long k = d->step, steps = d->steps, nsnap = run->snapshots;
  if (k % run->every == 0 || k == steps) {
    log_metrics(d->rf, d->id, &G->g, &G->e, run, k, G->lsum, G->lcount, &G->m);
    G->lsum[0] = G->lsum[1] = G->lsum[2] = 0.0, G->lcount = 0;
    d->shown = G->m.modes;
  }
  while (nsnap && G->next_snap <= nsnap && k >= G->next_snap * steps / nsnap) {
    snapshot(d->rf, &G->g, &G->e, run->snapshot_samples, k);
    G->next_snap++;
  }
  return GV_OK;
}

static gv_status mg_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)vg, (void)status, (void)err;
  gv_run_summary_int(d->rf, "steps_done", d->step);
  gv_run_summary_real(d->rf, "seconds", gv_drive_wall(d));
  return GV_OK;
}

static void mg_teardown(void *vg) {
  mlpgan_game *G = vg;
  eval_free(&G->e);
  if (G->built) gv_mlpgan_deinit(&G->g);
  gv_ctl_stack_free(&G->c.ctl);
}

/* The trainer, the controllers, the loss sums since the last logged point,
 * the snapshot schedule and the last metrics. */
static gv_status mg_checkpoint(void *vg, gv_drive *d, gv_ckpt *c, gv_err *err) {
  (void)d, (void)err;
  mlpgan_game *G = vg;
  gv_mlpgan_ckpt(&G->g, c);
  gv_ctl_stack_ckpt(&G->c.ctl, c, "controllers");
  gv_ckpt_doubles(c, "lsum", G->lsum, 3);
  gv_ckpt_long(c, "lcount", &G->lcount);
  gv_ckpt_long(c, "next_snap", &G->next_snap);
  double m[4] = {G->m.modes, G->m.hq, G->m.kl, G->m.swd};
  gv_ckpt_doubles(c, "metrics", m, 4);
  G->m = (gv_gan_metrics){m[0], m[1], m[2], m[3]};
  return GV_OK;
}

static const gv_exp_game mlpgan_game_table = {
    .kind = "mlpgan", .size = sizeof(mlpgan_game), .setup = mg_setup, .start = mg_start,
    .iterate = mg_iterate, .evaluate = mg_evaluate, .finish = mg_finish, .teardown = mg_teardown,
    .checkpoint = mg_checkpoint};

GV_EXP_DRIVEN(mlpgan_exp, mlpgan_game_table)

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
    if (gv_runread_series(rr, series_rows[s].name, &step, &v, &n) != GV_OK || n == 0) {
      free(step);
      free(v);
      continue;
    }
    size_t from = n - (n + 3) / 4;
    double tail = 0.0;
    for (size_t i = from; i < n; ++i) tail += v[i];
    tail /= (double)(n - from);
    char key[64];
    snprintf(key, sizeof key, "final_%s", series_rows[s].name);
    gv_runread_set_summary_real(rr, key, v[n - 1]);
    snprintf(key, sizeof key, "tail_%s", series_rows[s].name);
    gv_runread_set_summary_real(rr, key, tail);
    if (out)
      fprintf(out, "  %-10s final %-12.6g mean of the last quarter %-12.6g (step %lld)\n",
              series_rows[s].name, v[n - 1], tail, (long long)step[n - 1]);
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

static const gv_section mlpgan_sections[] = {
    GV_SECTION_MAP("train", "the nets, optimisers and batches", gv_mlpgan_train_params),
    GV_SECTION_CONTROLLERS, GV_SECTION_MAP("run", "logging, evaluations, snapshots", run_params), GV_SECTION_END};

const gv_experiment gv_exp_mlpgan = {
    {"mlpgan", "MLP GAN on a 2-D Gaussian mixture (ring of 8, grid of 25) under controllers",
     "Metz et al. 2017 (arXiv 1611.02163); Mescheder et al. 2018 (arXiv 1801.04406)",
     NULL, 0},
    mlpgan_exp_check,
    mlpgan_exp_run,
    mlpgan_analyze,
    NULL,
    &gv_game_mlpgan,
    mlpgan_table,
    &mlpgan_game_table,
    mlpgan_sections,
};
