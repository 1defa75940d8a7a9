/* One controlled discriminator step (controllers/disc.h). */
#include "controllers/disc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"

/* ----------------------------------------------------------------- check */

unsigned gv_disc_sides(const gv_ctl *c) {
  const gv_ctl_type *t = c->type;
  if (!t->loss_outputs) return 0;
  return t->neural_sides ? t->neural_sides(c->par) : GV_CTL_ACTS_DISC;
}

unsigned gv_disc_needs(const gv_ctl *c) {
  const gv_ctl_type *t = c->type;
  unsigned m = 0;
  size_t batch = 0;
  if (gv_disc_sides(c) & GV_CTL_ACTS_GEN) m |= GV_DISC_GEN;
  if (t->loss_history && t->loss_history(c->par, &batch) > 0) m |= GV_DISC_HISTORY;
  if (t->input_penalty) m |= GV_DISC_INPUT_GRAD;
  if (t->input_noise && t->input_noise(c->par) > 0.0) m |= GV_DISC_INPUT_NOISE;
  if (t->param_update) m |= GV_DISC_PARAM;
  return m;
}

/* What each capability is, for the message of a game without it. */
static const struct {
  unsigned cap;
  const char *needs;
} cap_text[] = {
    {GV_DISC_GEN, "it puts a term on the generator's loss through D's logits, and this "
                  "game's generator does not learn through D's logits but from its reward: "
                  "use the discriminator side, e.g. side: disc"},
    {GV_DISC_HISTORY, "it evaluates D on buffered past samples, which this game does not keep"},
    {GV_DISC_INPUT_GRAD, "it penalises D's gradient in its input, and D's inputs here are "
                         "not continuous"},
    {GV_DISC_INPUT_NOISE, "it adds noise to D's inputs, and D's inputs here are not "
                          "continuous"},
    {GV_DISC_PARAM, "it changes D's parameters after each step, which this game does not "
                    "allow"},
};

gv_status gv_disc_check(const gv_ctl_stack *s, const gv_disc_game *game, gv_err *err) {
  gv_status st = gv_ctl_stack_check_neural(s, game->name, err);
  for (size_t i = 0; !st && s && i < s->n; ++i) {
    const gv_ctl *c = &s->items[i];
    const unsigned missing = gv_disc_needs(c) & ~game->caps;
    for (size_t k = 0; k < sizeof cap_text / sizeof cap_text[0]; ++k)
      if (missing & cap_text[k].cap)
        return gv_fail(err, GV_ENOHOOK,
                       "%s%scontroller '%s' has no hook for game '%s' with these parameters "
                       "(%s)",
                       c->where, *c->where ? ": " : "", c->type->info.name, game->name,
                       cap_text[k].needs);
  }
  return st;
}

/* ------------------------------------------------------------ the state */

size_t gv_disc_rows(const gv_ctl_stack *s, size_t nreal, size_t nfake) {
  size_t hbatch = 0;
  return nreal + nfake + (gv_ctl_stack_history(s, &hbatch) ? 2 * hbatch : 0);
}

void gv_disc_deinit(gv_disc *d) {
  if (!d) return;
  gsl_rng *r[] = {d->rnoise, d->rinterp, d->rhist};
  for (size_t i = 0; i < 3; ++i)
    if (r[i]) gsl_rng_free(r[i]);
  void *b[] = {d->pen, d->hreal, d->hfake, d->xin, d->dy, d->scratch, d->pre};
  for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) free(b[i]);
  memset(d, 0, sizeof *d);
}

static gsl_rng *stream(uint64_t seed, const char *prefix, const char *name) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s.%s", prefix, name);
  return gv_rng_alloc(seed, buf, 0);
}

gv_status gv_disc_init(gv_disc *d, const gv_disc_spec *sp, gv_nn *D, gv_nn_ws *ws,
                       gv_nn_optim *opt, gv_ctl_stack *s, uint64_t seed, gv_err *err) {
  memset(d, 0, sizeof *d);
  d->sp = *sp;
  d->D = D;
  d->ws = ws;
  d->opt = opt;
  d->ctl = s;
  d->sigma = gv_ctl_stack_input_noise(s);
  d->hcap = gv_ctl_stack_history(s, &d->hbatch);
  if (!d->hcap) d->hbatch = 0;
  d->has_outputs = gv_ctl_stack_has_outputs(s);
  for (size_t i = 0; s && i < s->n; ++i) d->has_param |= s->items[i].type->param_update != NULL;
  d->npen = gv_ctl_stack_penalties(s, NULL, 0);
  const size_t I = sp->dim, rows = gv_disc_rows(s, sp->nreal, sp->nfake);
  const size_t nmin = sp->nreal < sp->nfake ? sp->nreal : sp->nfake;
  if ((size_t)ws->maxbatch < rows)
    return gv_fail(err, GV_EINVAL, "disc: D's workspace holds %d rows, a step needs %zu",
                   ws->maxbatch, rows);
  d->rnoise = stream(seed, sp->streams, "noise");
  d->rinterp = stream(seed, sp->streams, "interp");
  d->rhist = stream(seed, sp->streams, "hist");
  d->pen = calloc(d->npen ? d->npen : 1, sizeof *d->pen);
  d->hreal = calloc(d->hcap ? d->hcap * I : 1, sizeof(float));
  d->hfake = calloc(d->hcap ? d->hcap * I : 1, sizeof(float));
  d->xin = calloc(rows * I, sizeof(float));
  d->dy = calloc(rows, sizeof(float));
  d->scratch = calloc(nmin ? nmin * I : 1, sizeof(float));
  d->pre = calloc(D->nparam, sizeof(float));
  if (!d->rnoise || !d->rinterp || !d->rhist || !d->pen || !d->hreal || !d->hfake || !d->xin ||
      !d->dy || !d->scratch || !d->pre) {
    gv_disc_deinit(d);
    return gv_fail(err, GV_ENOMEM, "disc: out of memory");
  }
  gv_ctl_stack_penalties(s, d->pen, d->npen);
  return GV_OK;
}

/* ------------------------------------------------------------- the step */

void gv_disc_noise(gv_disc *d, float *x, size_t rows) {
  if (d->sigma <= 0.0) return;
  for (size_t i = 0; i < rows * d->sp.dim; ++i)
    x[i] += (float)(d->sigma * gv_rng_normal(d->rnoise));
}

gv_status gv_disc_penalty(float *grad, double *value, const gv_nn *D, gv_nn_ws *ws,
                          const gv_ctl_penalty *pen, const float *xr, const float *xf, int n,
                          size_t dim, float *scratch, gsl_rng *rng) {
  const float *x = xr;
  if (pen->at == GV_CTL_PEN_FAKE) x = xf;
  else if (pen->at == GV_CTL_PEN_INTERP) {
    for (int i = 0; i < n; ++i) {
      const float e = (float)gsl_rng_uniform(rng);
      for (size_t j = 0; j < dim; ++j)
        scratch[i * dim + j] = e * xr[i * dim + j] + (1.0f - e) * xf[i * dim + j];
    }
    x = scratch;
  }
  return gv_nn_penalty(grad, value, D, ws, x, n, pen->gp ? GV_NN_PENALTY_GP : GV_NN_PENALTY_R1,
                       pen->coef);
}

static int all_finite(const float *x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* Step 1: [real | fake | history] in xin; the history is drawn from the
 * past, then this batch enters it.  Returns the history draws per kind. */
static size_t gather(gv_disc *d, const float *xr, size_t nr, const float *xf, size_t nf) {
  const size_t I = d->sp.dim, row = I * sizeof(float);
  float *xin = d->xin;
  if (xr != xin) memcpy(xin, xr, nr * row);
  if (xf != xin + nr * I) memcpy(xin + nr * I, xf, nf * row);
  const size_t nh = d->hfill ? d->hbatch : 0;
  for (size_t i = 0; i < nh; ++i) {
    const size_t a = (size_t)gsl_rng_uniform_int(d->rhist, (unsigned long)d->hfill);
    const size_t b = (size_t)gsl_rng_uniform_int(d->rhist, (unsigned long)d->hfill);
    memcpy(xin + (nr + nf + i) * I, d->hreal + a * I, row);
    memcpy(xin + (nr + nf + nh + i) * I, d->hfake + b * I, row);
  }
  const size_t npush = d->hcap ? (nr < nf ? nr : nf) : 0;
  for (size_t i = 0; i < npush; ++i) {
    memcpy(d->hreal + d->hpos * I, xin + i * I, row);
    memcpy(d->hfake + d->hpos * I, xin + (nr + i) * I, row);
    d->hpos = (d->hpos + 1) % d->hcap;
    if (d->hfill < d->hcap) d->hfill++;
  }
  return nh;
}

gv_status gv_disc_step(gv_disc *d, const float *xr, const float *wr, size_t nr, const float *xf,
                       size_t nf, const gv_disc_loss *loss, gv_disc_sums *sums) {
  if (nr > d->sp.nreal || nf > d->sp.nfake) return GV_EINVAL;
  gv_nn *D = d->D;
  const size_t I = d->sp.dim;
  /* 1, 2: the rows, with instance noise on every input D sees */
  const size_t nh = gather(d, xr, nr, xf, nf), rows = nr + nf + 2 * nh;
  float *xin = d->xin;
  gv_disc_noise(d, xin, rows);
  /* 3: logits, the game's loss, the controllers' terms on them */
  gv_status st = gv_nn_forward(d->ws, D, xin, (int)rows);
  if (st) return st;
  const float *l = d->ws->out;
  float *dy = d->dy;
  memset(dy, 0, rows * sizeof *dy);
  const double dl = loss->fn(loss->ctx, l, wr, dy, nr, l + nr, dy + nr, nf);
  double cl = 0.0; /* this step's terms, for the finite check */
  sums->loss += dl;
  if (d->has_outputs) {
    gv_ctl_outputs o = {GV_CTL_SIDE_DISC, nr, nf, 2 * nh, l, l + nr, nh ? l + nr + nf : NULL,
                        dy, dy + nr, nh ? dy + nr + nf : NULL};
    const double v = gv_ctl_stack_loss_outputs(d->ctl, &o);
    cl += v;
    sums->ctl += v;
  }
  /* 4: their gradient, then the penalties on the inputs D saw */
  gv_nn_zero_grad(D);
  if ((st = gv_nn_backward(D->grad, NULL, D, d->ws, dy))) return st;
  const size_t nmin = nr < nf ? nr : nf;
  for (size_t k = 0; k < d->npen; ++k) {
    const gv_ctl_penalty *p = &d->pen[k];
    const size_t n = p->at == GV_CTL_PEN_REAL ? nr : p->at == GV_CTL_PEN_FAKE ? nf : nmin;
    double v = 0.0;
    st = gv_disc_penalty(D->grad, &v, D, d->ws, p, xin, xin + nr * I, (int)n, I, d->scratch,
                         d->rinterp);
    if (st) return st;
    cl += v;
    sums->ctl += v;
  }
  if (d->sp.stop_nonfinite &&
      (!isfinite(dl) || !isfinite(cl) || !all_finite(D->grad, D->nparam)))
    return GV_EDIVERGED;
  /* 5: the optimiser, then the parameter-level hooks */
  if (d->has_param) memcpy(d->pre, D->param, D->nparam * sizeof(float));
  if ((st = gv_nn_optim_step(D->param, d->opt, D->grad, NULL))) return st;
  if (d->has_param) gv_ctl_stack_param_update(d->ctl, d->pre, D->param, D->nparam);
  return GV_OK;
}

void gv_disc_ckpt(gv_disc *d, gv_ckpt *c, const char *const names[6]) {
  gsl_rng *r[] = {d->rnoise, d->rinterp, d->rhist};
  for (int i = 0; i < 3; ++i)
    if (names[i]) gv_ckpt_rng(c, names[i], r[i]);
  if (names[3]) {
    int64_t ring[2] = {(int64_t)d->hfill, (int64_t)d->hpos};
    gv_ckpt_longs(c, names[3], ring, 2);
    d->hfill = (size_t)ring[0];
    d->hpos = (size_t)ring[1];
  }
  if (d->hcap && names[4]) gv_ckpt_floats(c, names[4], d->hreal, d->hcap * d->sp.dim);
  if (d->hcap && names[5]) gv_ckpt_floats(c, names[5], d->hfake, d->hcap * d->sp.dim);
}
