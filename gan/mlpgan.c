/* MLP GANs on 2-D Gaussian mixtures: data, losses, metrics and the
 * alternating training step (gan/mlpgan.h; docs/mlpgan.md). */
#include "gan/mlpgan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"
#include "nn/init.h"
#include "nn/optim.h"

/* ------------------------------------------------------------- params */

static const char *const data_names[] = {"ring", "grid", NULL};
static const char *const loss_names[] = {"standard", "nonsat", "wgan", "hinge", NULL};
/* order of gv_nn_act (nn/act.h) */
static const char *const act_names[] = {"linear", "tanh", "relu", "leaky_relu", NULL};
/* order of gv_nn_init_kind (nn/init.h) */
static const char *const init_names[] = {"orthogonal", "xavier_uniform", "xavier_normal",
                                         "he_uniform", "he_normal", NULL};
/* order of gv_nn_optim_kind (nn/optim.h) */
static const char *const optim_names[] = {"sgd", "adam", "rmsprop", NULL};
static const char *const schedule_names[] = {"constant", "linear", NULL};

static const gv_param game_params[] = {
    GV_PARAM_ENUM(gv_mlpgan_params, data, "ring", data_names, "target mixture: ring or grid"),
    GV_PARAM_INT(gv_mlpgan_params, ring_modes, "8", 1, 1000, "ring: number of modes"),
    GV_PARAM_REALX(gv_mlpgan_params, ring_radius, "2", 0, 1e6, GV_P_LO_OPEN, "ring: radius"),
    GV_PARAM_REALX(gv_mlpgan_params, ring_std, "0.02", 0, 1e6, GV_P_LO_OPEN,
                   "ring: standard deviation of each mode"),
    GV_PARAM_INT(gv_mlpgan_params, grid_side, "5", 1, 100, "grid: side x side modes"),
    GV_PARAM_REALX(gv_mlpgan_params, grid_spacing, "2", 0, 1e6, GV_P_LO_OPEN,
                   "grid: distance between neighbouring modes (centred at 0)"),
    GV_PARAM_REALX(gv_mlpgan_params, grid_std, "0.05", 0, 1e6, GV_P_LO_OPEN,
                   "grid: standard deviation of each mode"),
    GV_PARAM_ENUM(gv_mlpgan_params, loss, "nonsat", loss_names,
                  "GAN loss: standard, nonsat (non-saturating), wgan, hinge"),
    GV_PARAM_INT(gv_mlpgan_params, z_dim, "2", 1, 4096, "latent dimension of G"),
    GV_PARAM_INT(gv_mlpgan_params, g_width, "128", 1, 8192, "G: hidden width"),
    GV_PARAM_INT(gv_mlpgan_params, g_depth, "2", 1, GV_NN_MAX_LAYERS - 1, "G: hidden layers"),
    GV_PARAM_INT(gv_mlpgan_params, d_width, "128", 1, 8192, "D: hidden width"),
    GV_PARAM_INT(gv_mlpgan_params, d_depth, "2", 1, GV_NN_MAX_LAYERS - 1, "D: hidden layers"),
    GV_PARAM_ENUM(gv_mlpgan_params, act, "relu", act_names, "hidden activation of G and D"),
    GV_PARAM_ENUM(gv_mlpgan_params, init, "xavier_uniform", init_names,
                  "initialiser of G and D (biases 0)"),
    GV_PARAM_END};

const gv_component gv_game_mlpgan = {
    "mlpgan", "MLP generator and discriminator on a 2-D Gaussian mixture (ring or grid)",
    "Metz et al. 2017 (arXiv 1611.02163) sec. 3.1; Srivastava et al. 2017 (arXiv 1705.07761)",
    game_params, sizeof(gv_mlpgan_params)};

const gv_param gv_mlpgan_train_params[] = {
    GV_PARAM_INT(gv_mlpgan_train, steps, "3000", 1, 1e9, "generator steps"),
    GV_PARAM_INT(gv_mlpgan_train, n_d, "1", 1, 1000, "discriminator steps per generator step"),
    GV_PARAM_INT(gv_mlpgan_train, batch, "256", 1, 1e6, "real samples per discriminator step"),
    GV_PARAM_INT(gv_mlpgan_train, gbatch, "256", 1, 1e6, "generated samples per step"),
    GV_PARAM_ENUM(gv_mlpgan_train, optim, "adam", optim_names, "optimiser of both players"),
    GV_PARAM_REALX(gv_mlpgan_train, lr_d, "1e-3", 0, 10, GV_P_LO_OPEN, "discriminator learning rate"),
    GV_PARAM_REALX(gv_mlpgan_train, lr_g, "1e-3", 0, 10, GV_P_LO_OPEN, "generator learning rate"),
    GV_PARAM_REAL(gv_mlpgan_train, beta1, "0.5", 0, 0.9999, "Adam beta1 (0.5: the GAN custom)"),
    GV_PARAM_REAL(gv_mlpgan_train, beta2, "0.999", 0, 0.999999, "Adam beta2"),
    GV_PARAM_REALX(gv_mlpgan_train, eps, "1e-8", 0, 1, GV_P_LO_OPEN, "Adam/RMSprop epsilon"),
    GV_PARAM_REAL(gv_mlpgan_train, momentum, "0", 0, 0.9999, "SGD/RMSprop momentum"),
    GV_PARAM_ENUM(gv_mlpgan_train, schedule, "linear", schedule_names,
                  "learning rates: constant, or linear decay to 0 at the last step"),
    GV_PARAM_END};

/* ------------------------------------------------------------- mixture */

gv_status gv_mixture_init(gv_mixture *m, const gv_mlpgan_params *p, gv_err *err) {
  memset(m, 0, sizeof *m);
  if (p->data == GV_MIX_RING) {
    m->k = (size_t)p->ring_modes;
    m->std = p->ring_std;
  } else {
    m->k = (size_t)(p->grid_side * p->grid_side);
    m->std = p->grid_std;
  }
  m->mu = malloc(2 * m->k * sizeof *m->mu);
  if (!m->mu) return gv_fail(err, GV_ENOMEM, "mixture: out of memory");
  for (size_t i = 0; i < m->k; ++i) {
    if (p->data == GV_MIX_RING) {
      double a = 2.0 * M_PI * (double)i / (double)m->k;
      m->mu[2 * i] = p->ring_radius * cos(a);
      m->mu[2 * i + 1] = p->ring_radius * sin(a);
    } else {
      long s = p->grid_side, r = (long)i / s, c = (long)i % s;
      double h = 0.5 * (double)(s - 1);
      m->mu[2 * i] = p->grid_spacing * ((double)c - h);
      m->mu[2 * i + 1] = p->grid_spacing * ((double)r - h);
    }
  }
  return GV_OK;
}

void gv_mixture_deinit(gv_mixture *m) {
  if (!m) return;
  free(m->mu);
  m->mu = NULL;
}

void gv_mixture_sample(const gv_mixture *m, gsl_rng *rng, float *x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    size_t k = (size_t)gsl_rng_uniform_int(rng, (unsigned long)m->k);
    x[2 * i] = (float)(m->mu[2 * k] + m->std * gv_rng_normal(rng));
    x[2 * i + 1] = (float)(m->mu[2 * k + 1] + m->std * gv_rng_normal(rng));
  }
}

/* ------------------------------------------------------------- metrics */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void gv_gan_metrics_compute(gv_gan_metrics *out, const gv_mixture *m, const float *x,
                            const float *ref, size_t n, long cover_min, long projections) {
  memset(out, 0, sizeof *out);
  size_t *count = calloc(m->k, sizeof *count);
  double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
  if (!count || !a || !b) {
    out->modes = out->hq = out->kl = out->swd = NAN;
    free(count), free(a), free(b);
    return;
  }
  /* nearest mode; high quality within 3 std (Euclidean), as VEEGAN's
   * "within three standard deviations" (Srivastava et al. 2017, sec. 5.1) */
  size_t hq = 0;
  const double r3 = 3.0 * m->std;
  int finite = 1;
  for (size_t i = 0; i < n; ++i) {
    double px = x[2 * i], py = x[2 * i + 1], best = INFINITY;
    size_t kb = 0;
    if (!isfinite(px) || !isfinite(py)) finite = 0;
    for (size_t k = 0; k < m->k; ++k) {
      double dx = px - m->mu[2 * k], dy = py - m->mu[2 * k + 1], d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2, kb = k;
    }
    if (best <= r3 * r3) {
      count[kb]++;
      hq++;
    }
  }
  size_t covered = 0;
  double kl = 0.0;
  for (size_t k = 0; k < m->k; ++k) {
    if ((long)count[k] >= cover_min && count[k] > 0) covered++;
    if (hq && count[k]) {
      double p = (double)count[k] / (double)hq;
      kl += p * log(p * (double)m->k);
    }
  }
  out->modes = (double)covered;
  out->hq = n ? (double)hq / (double)n : 0.0;
  /* no high-quality sample: the value of a histogram on one mode (the worst) */
  out->kl = hq ? kl : log((double)m->k);
  /* sliced Wasserstein-1 over `projections` fixed directions evenly spaced
   * in [0, pi): W1 of two equal-size 1-D samples is the mean absolute
   * difference of their sorted values */
  double swd = 0.0;
  for (long j = 0; j < projections && n; ++j) {
    double t = M_PI * (double)j / (double)projections, c = cos(t), s = sin(t);
    for (size_t i = 0; i < n; ++i) {
      a[i] = c * x[2 * i] + s * x[2 * i + 1];
      b[i] = c * ref[2 * i] + s * ref[2 * i + 1];
    }
    qsort(a, n, sizeof *a, cmp_double);
    qsort(b, n, sizeof *b, cmp_double);
    double w = 0.0;
    for (size_t i = 0; i < n; ++i) w += fabs(a[i] - b[i]);
    swd += w / (double)n;
  }
  out->swd = finite && projections > 0 ? swd / (double)projections : INFINITY;
  free(count);
  free(a);
  free(b);
}

/* ---------------------------------------------------------------- losses */

/* log(1 + e^t) without overflow */
static double softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
static double sigmoid(double t) {
  return t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
}

double gv_gan_loss_disc(int loss, const float *lr, float *dr, size_t nr, const float *lf,
                        float *df, size_t nf) {
  double vr = 0.0, vf = 0.0;
  const double ir = nr ? 1.0 / (double)nr : 0.0, jf = nf ? 1.0 / (double)nf : 0.0;
  for (size_t i = 0; i < nr; ++i) {
    double l = lr[i], v, d;
    switch (loss) {
      case GV_GAN_WGAN: v = -l, d = -1.0; break;
      case GV_GAN_HINGE: v = l < 1.0 ? 1.0 - l : 0.0, d = l < 1.0 ? -1.0 : 0.0; break;
      default: v = softplus(-l), d = sigmoid(l) - 1.0; break; /* -log D(x) */
    }
    vr += v;
    if (dr) dr[i] += (float)(d * ir);
  }
  for (size_t i = 0; i < nf; ++i) {
    double l = lf[i], v, d;
    switch (loss) {
      case GV_GAN_WGAN: v = l, d = 1.0; break;
      case GV_GAN_HINGE: v = l > -1.0 ? 1.0 + l : 0.0, d = l > -1.0 ? 1.0 : 0.0; break;
      default: v = softplus(l), d = sigmoid(l); break; /* -log(1 - D(G(z))) */
    }
    vf += v;
    if (df) df[i] += (float)(d * jf);
  }
  return vr * ir + vf * jf;
}

double gv_gan_loss_gen(int loss, const float *lf, float *df, size_t nf) {
  double v = 0.0;
  const double jf = nf ? 1.0 / (double)nf : 0.0;
  for (size_t i = 0; i < nf; ++i) {
    double l = lf[i], vi, d;
    switch (loss) {
      case GV_GAN_STANDARD: vi = -softplus(l), d = -sigmoid(l); break; /* log(1 - D) */
      case GV_GAN_NONSAT: vi = softplus(-l), d = sigmoid(l) - 1.0; break; /* -log D */
      default: vi = -l, d = -1.0; break; /* wgan, hinge */
    }
    v += vi;
    if (df) df[i] += (float)(d * jf);
  }
  return v * jf;
}

/* -------------------------------------------------------------- penalty */

gv_status gv_gan_penalty(float *grad, double *value, const gv_nn *D, gv_nn_ws *ws,
                         const gv_ctl_penalty *pen, const float *xr, const float *xf, int n,
                         float *scratch, gsl_rng *rng) {
  return gv_disc_penalty(grad, value, D, ws, pen, xr, xf, n, 2, scratch, rng);
}

/* ---------------------------------------------------------------- trainer */

const gv_disc_game gv_mlpgan_disc_game = {"mlpgan", GV_DISC_ALL};

static gv_status make_net(gv_nn **net, int nin, long width, long depth, int act, int nout,
                          int init, gsl_rng *rng, gv_err *err) {
  int hidden[GV_NN_MAX_LAYERS];
  for (long i = 0; i < depth; ++i) hidden[i] = (int)width;
  gv_nn_spec spec;
  gv_status st = gv_nn_spec_mlp(&spec, nin, (int)depth, hidden, (gv_nn_act)act, nout,
                                GV_NN_ACT_LINEAR, err);
  if (st == GV_OK) st = gv_nn_alloc(net, &spec, err);
  if (st == GV_OK) st = gv_nn_init_params(*net, (gv_nn_init_kind)init, 1.0, 1.0, rng, err);
  return st;
}

void gv_mlpgan_deinit(gv_mlpgan *g) {
  if (!g) return;
  gv_mixture_deinit(&g->mix);
  gv_nn_free(g->G);
  gv_nn_free(g->D);
  gv_nn_ws_free(g->gws);
  gv_nn_ws_free(g->dws);
  gv_nn_optim_free(g->gopt);
  gv_nn_optim_free(g->dopt);
  gv_disc_deinit(&g->disc);
  if (g->rdata) gsl_rng_free(g->rdata);
  if (g->rz) gsl_rng_free(g->rz);
  free(g->z);
  free(g->dx);
  memset(g, 0, sizeof *g);
}

gv_status gv_mlpgan_init(gv_mlpgan *g, const gv_mlpgan_params *p, const gv_mlpgan_train *t,
                         gv_ctl_stack *ctl, uint64_t seed, gv_err *err) {
  memset(g, 0, sizeof *g);
  g->p = *p;
  g->t = *t;
  g->ctl = ctl;
  gv_status st = gv_mixture_init(&g->mix, p, err);
  if (st != GV_OK) return st;
  gsl_rng *rinit = gv_rng_alloc(seed, "mlpgan.init", 0);
  if (!rinit) return gv_fail(err, GV_ENOMEM, "mlpgan: out of memory");
  st = make_net(&g->G, (int)p->z_dim, p->g_width, p->g_depth, p->act, 2, p->init, rinit, err);
  if (st == GV_OK)
    st = make_net(&g->D, 2, p->d_width, p->d_depth, p->act, 1, p->init, rinit, err);
  gsl_rng_free(rinit);
  if (st != GV_OK) goto fail;

  size_t nb = (size_t)t->batch, nf = (size_t)t->gbatch, rows = gv_disc_rows(ctl, nb, nf);
  if ((st = gv_nn_ws_alloc(&g->gws, &g->G->spec, (int)nf, err)) != GV_OK) goto fail;
  if ((st = gv_nn_ws_alloc(&g->dws, &g->D->spec, (int)rows, err)) != GV_OK) goto fail;

  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, (gv_nn_optim_kind)t->optim);
  os.beta1 = t->beta1;
  os.beta2 = t->beta2;
  os.eps = t->eps;
  os.momentum = t->momentum;
  os.schedule = t->schedule ? GV_NN_LR_LINEAR : GV_NN_LR_CONSTANT;
  os.horizon = t->steps * t->n_d;
  os.lr = t->lr_d;
  if ((st = gv_nn_optim_alloc(&g->dopt, &os, g->D->nparam, err)) != GV_OK) goto fail;
  os.lr = t->lr_g;
  os.horizon = t->steps;
  if ((st = gv_nn_optim_alloc(&g->gopt, &os, g->G->nparam, err)) != GV_OK) goto fail;

  const gv_disc_spec ds = {2, nb, nf, "mlpgan", 0};
  if ((st = gv_disc_init(&g->disc, &ds, g->D, g->dws, g->dopt, ctl, seed, err))) goto fail;
  g->rdata = gv_rng_alloc(seed, "mlpgan.data", 0);
  g->rz = gv_rng_alloc(seed, "mlpgan.z", 0);
  g->z = malloc(nf * (size_t)p->z_dim * sizeof(float));
  g->dx = malloc((nf + nb) * 2 * sizeof(float));
  if (!g->rdata || !g->rz || !g->z || !g->dx) {
    st = gv_fail(err, GV_ENOMEM, "mlpgan: out of memory");
    goto fail;
  }
  return GV_OK;
fail:
  gv_mlpgan_deinit(g);
  return st;
}

gv_status gv_mlpgan_generate(const gv_mlpgan *g, gv_nn_ws *ws, const float *z, float *x, int n) {
  gv_status st = gv_nn_forward(ws, g->G, z, n);
  if (st == GV_OK) memcpy(x, ws->out, (size_t)n * 2 * sizeof(float));
  return st;
}

double gv_mlpgan_dmean(const gv_mlpgan *g, gv_nn_ws *ws, const float *x, int n) {
  if (gv_nn_forward(ws, g->D, x, n) != GV_OK) return NAN;
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += ws->out[i];
  return s / n;
}

static void draw_z(gv_mlpgan *g, size_t n) {
  size_t m = n * (size_t)g->p.z_dim;
  for (size_t i = 0; i < m; ++i) g->z[i] = (float)gv_rng_normal(g->rz);
}

static int all_finite(const float *x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* The game's loss on D's logits (gv_disc_loss_fn; unweighted). */
static double disc_loss(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                        const float *lf, float *df, size_t nf) {
  (void)wr;
  return gv_gan_loss_disc(*(const int *)ctx, lr, dr, nr, lf, df, nf);
}

/* One discriminator step on a fresh real and generated batch; adds its game
 * loss and controller terms into sums. */
static gv_status disc_step(gv_mlpgan *g, gv_disc_sums *sums) {
  const size_t nr = (size_t)g->t.batch, nf = (size_t)g->t.gbatch;
  float *xr = gv_disc_real(&g->disc), *xf = gv_disc_fake(&g->disc, nr);
  gv_mixture_sample(&g->mix, g->rdata, xr, nr);
  draw_z(g, nf);
  gv_status st = gv_mlpgan_generate(g, g->gws, g->z, xf, (int)nf);
  if (st != GV_OK) return st;
  const gv_disc_loss loss = {disc_loss, &g->p.loss};
  return gv_disc_step(&g->disc, xr, NULL, nr, xf, nf, &loss, sums);
}

/* One generator step; returns its game loss and controller loss. */
static gv_status gen_step(gv_mlpgan *g, double *gloss, double *closs) {
  const size_t nf = (size_t)g->t.gbatch;
  /* real logits only when a controller's term needs them (BMC's cross term) */
  const size_t nr = g->disc.has_outputs ? (size_t)g->t.batch : 0;
  draw_z(g, nf);
  gv_status st = gv_nn_forward(g->gws, g->G, g->z, (int)nf);
  if (st != GV_OK) return st;
  float *xin = g->disc.xin;
  memcpy(xin, g->gws->out, nf * 2 * sizeof(float));
  if (nr) gv_mixture_sample(&g->mix, g->rdata, xin + 2 * nf, nr);
  gv_disc_noise(&g->disc, xin, nf + nr); /* additive: d/dx passes through unchanged */
  const size_t rows = nf + nr;
  if ((st = gv_nn_forward(g->dws, g->D, xin, (int)rows)) != GV_OK) return st;
  const float *l = g->dws->out;
  float *dy = g->disc.dy;
  memset(dy, 0, rows * sizeof *dy);
  *gloss = gv_gan_loss_gen(g->p.loss, l, dy, nf);
  *closs = 0.0;
  if (g->disc.has_outputs) {
    gv_ctl_outputs o = {GV_CTL_SIDE_GEN, nr, nf, 0, l + nf, l, NULL, dy + nf, dy, NULL};
    *closs = gv_ctl_stack_loss_outputs(g->ctl, &o);
    memset(dy + nf, 0, nr * sizeof *dy); /* real rows carry nothing back to G */
  }
  if ((st = gv_nn_backward(NULL, g->dx, g->D, g->dws, dy)) != GV_OK) return st;
  gv_nn_zero_grad(g->G);
  if ((st = gv_nn_backward(g->G->grad, NULL, g->G, g->gws, g->dx)) != GV_OK) return st;
  return gv_nn_optim_step(g->G->param, g->gopt, g->G->grad, NULL);
}

gv_status gv_mlpgan_step(gv_mlpgan *g, gv_mlpgan_losses *out) {
  gv_disc_sums ds = {0.0, 0.0};
  double gl = 0.0, cg = 0.0;
  gv_status st = GV_OK;
  for (long k = 0; k < g->t.n_d && st == GV_OK; ++k) st = disc_step(g, &ds);
  if (st == GV_OK) st = gen_step(g, &gl, &cg);
  g->step++;
  out->d = ds.loss / (double)g->t.n_d;
  out->g = gl;
  out->ctl = ds.ctl / (double)g->t.n_d + cg;
  if (st == GV_EINVAL) return st;
  if (st != GV_OK || !isfinite(out->d) || !isfinite(out->g) || !isfinite(out->ctl) ||
      !all_finite(g->D->param, g->D->nparam) || !all_finite(g->G->param, g->G->nparam))
    return GV_EDIVERGED;
  return GV_OK;
}

void gv_mlpgan_ckpt(gv_mlpgan *g, gv_ckpt *c) {
  gv_nn_ckpt(g->G, c, "G");
  gv_nn_ckpt(g->D, c, "D");
  gv_nn_optim_ckpt(g->gopt, c, "gopt");
  gv_nn_optim_ckpt(g->dopt, c, "dopt");
  gv_ckpt_rng(c, "rdata", g->rdata);
  gv_ckpt_rng(c, "rz", g->rz);
  static const char *const disc_names[6] = {"rnoise", "rinterp", "rhist", "hfill_hpos", "hreal",
                                            "hfake"};
  gv_disc_ckpt(&g->disc, c, disc_names);
  gv_ckpt_long(c, "step", &g->step);
}
