/* The one-step GAIL game learned from samples (gan/onestep_sampled.h). */
#include "gan/onestep_sampled.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/gail.h"
#include "core/checkpoint.h"
#include "core/rng.h"
#include "nn/init.h"

static const char *const act_names[] = {"linear", "tanh", "relu", "leaky_relu", NULL};

const gv_param gv_os_sampled_param_table[] = {
    GV_PARAM_INT(gv_os_sampled_params, batch, "256", 1, 1e7,
                 "expert and policy actions per step (each)"),
    GV_PARAM_INT(gv_os_sampled_params, width, "32", 1, 4096, "hidden width of D"),
    GV_PARAM_INT(gv_os_sampled_params, depth, "1", 0, GV_NN_MAX_LAYERS - 1,
                 "hidden layers of D (0: linear in the one-hot action)"),
    GV_PARAM_ENUM(gv_os_sampled_params, act, "tanh", act_names, "hidden activation of D"),
    GV_PARAM_REALX(gv_os_sampled_params, h, "0.5", 0, 100, GV_P_LO_OPEN,
                   "policy step size = flow step"),
    GV_PARAM_REAL(gv_os_sampled_params, lr_d, "0", 0, 100, "D's SGD learning rate (0: h)"),
    GV_PARAM_INT(gv_os_sampled_params, steps, "4000", 1, 1e9, "steps"),
    GV_PARAM_INT(gv_os_sampled_params, every, "10", 1, 1e9, "steps between series points"),
    GV_PARAM_END,
};

/* The sampled D sees one-hot actions: no input gradients or input noise,
 * nor a generator trained through D (the policy learns from D's reward). */
const gv_disc_game gv_os_sampled_disc_game = {"onestep_sampled", GV_DISC_HISTORY | GV_DISC_PARAM};

gv_status gv_os_sampled_check(gv_ctl_stack *ctl, const gv_onestep *g, gv_err *err) {
  gv_status st = gv_ctl_stack_check_flow(ctl, &g->vf, gv_os_sampled_disc_game.name, err);
  return st ? st : gv_disc_check(ctl, &gv_os_sampled_disc_game, err);
}

void gv_os_sampled_deinit(gv_os_sampled *s) {
  gv_disc_deinit(&s->disc);
  gv_nn_optim_free(s->opt);
  gv_nn_free(s->D);
  gv_nn_ws_free(s->ws);
  gsl_rng *rs[] = {s->rinit, s->re, s->rp};
  for (int i = 0; i < 3; ++i)
    if (rs[i]) gsl_rng_free(rs[i]);
  void *bs[] = {s->x, s->F, s->y, s->pi, s->pif, s->Df, s->Ds, s->gy, s->xin, s->dy, s->ae, s->ap};
  for (size_t i = 0; i < sizeof bs / sizeof bs[0]; ++i) free(bs[i]);
  memset(s, 0, sizeof *s);
}

gv_status gv_os_sampled_init(gv_os_sampled *s, const gv_onestep *g,
                             const gv_os_sampled_params *p, gv_ctl_stack *ctl, uint64_t seed,
                             gv_err *err) {
  memset(s, 0, sizeof *s);
  s->g = g;
  s->p = *p;
  if (s->p.lr_d <= 0) s->p.lr_d = s->p.h;
  s->ctl = ctl;
  s->reward = g->p.reward == GV_OS_REWARD_LOGIT ? GV_GAIL_REW_LOGIT
              : g->p.reward == GV_OS_REWARD_LOGD ? GV_GAIL_REW_LOGD
                                                 : GV_GAIL_REW_SOFTPLUS;
  const size_t n = g->na, dim = gv_onestep_dim(g), B = (size_t)p->batch;
  const size_t step_rows = gv_disc_rows(ctl, B, B), rows = step_rows > n ? step_rows : n;
  s->rinit = gv_rng_alloc(seed, "os.init", 0);
  s->re = gv_rng_alloc(seed, "os.expert", 0);
  s->rp = gv_rng_alloc(seed, "os.policy", 0);
  s->x = calloc(dim, sizeof(double));
  s->F = calloc(dim, sizeof(double));
  double **nb[] = {&s->y, &s->pi, &s->pif, &s->Df, &s->Ds, &s->gy};
  for (size_t i = 0; i < sizeof nb / sizeof nb[0]; ++i) *nb[i] = calloc(n, sizeof(double));
  s->xin = calloc(n * n, sizeof(float));
  s->dy = calloc(B, sizeof(float));
  s->ae = calloc(B, sizeof(size_t));
  s->ap = calloc(B, sizeof(size_t));
  if (!s->rinit || !s->re || !s->rp || !s->x || !s->F || !s->y || !s->pi || !s->pif || !s->Df ||
      !s->Ds || !s->gy || !s->xin || !s->dy || !s->ae || !s->ap)
    return gv_fail(err, GV_ENOMEM, "onestep_sampled: out of memory");
  int hidden[GV_NN_MAX_LAYERS];
  for (long i = 0; i < p->depth; ++i) hidden[i] = (int)p->width;
  gv_nn_spec spec;
  gv_status st;
  if ((st = gv_nn_spec_mlp(&spec, (int)n, (int)p->depth, hidden, (gv_nn_act)p->act, 1,
                           GV_NN_ACT_LINEAR, err)) ||
      (st = gv_nn_alloc(&s->D, &spec, err)) || (st = gv_nn_ws_alloc(&s->ws, &spec, (int)rows, err)))
    return st;
  /* D starts at the flow's D = d0 for every action: hidden layers
   * orthogonal, output weights 0, output bias logit(d0) */
  if ((st = gv_nn_init_params(s->D, GV_NN_INIT_ORTHOGONAL, 1.0, 0.0, s->rinit, err))) return st;
  const int L = s->D->spec.nlayer;
  memset(gv_nn_W(s->D, L - 1), 0, (size_t)s->D->spec.size[L - 1] * sizeof(float));
  gv_nn_b(s->D, L - 1)[0] = (float)log(g->p.d0 / (1 - g->p.d0));
  /* plain SGD: no state beyond its step count, which a constant rate ignores */
  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_SGD);
  os.lr = s->p.lr_d;
  if ((st = gv_nn_optim_alloc(&s->opt, &os, s->D->nparam, err))) return st;
  const gv_disc_spec ds = {n, B, B, "os", 0};
  if ((st = gv_disc_init(&s->disc, &ds, s->D, s->ws, s->opt, ctl, seed, err))) return st;
  gv_onestep_start(g, NULL, s->x);
  gv_onestep_policy(g, s->x, s->pi);
  for (size_t a = 0; a < n; ++a) s->y[a] = s->x[a]; /* the sampled policy's logits */
  return GV_OK;
}

/* An index drawn from the distribution p (n) by inversion of its CDF. */
static size_t pick(gsl_rng *r, const double *p, size_t n) {
  double u = gsl_rng_uniform(r), c = 0;
  for (size_t a = 0; a + 1 < n; ++a) {
    c += p[a];
    if (u < c) return a;
  }
  return n - 1;
}

static double tv(const double *p, const double *q, size_t n) {
  double t = 0;
  for (size_t a = 0; a < n; ++a) t += fabs(p[a] - q[a]);
  return 0.5 * t;
}

gv_status gv_os_sampled_observe(gv_os_sampled *s, double *m, gv_err *err) {
  const gv_onestep *g = s->g;
  const size_t n = g->na;
  double *y = s->y, *pi = s->pi;
  /* softmax of the sampled logits; D on every action (one-hot rows) */
  double mx = y[0], z = 0;
  for (size_t a = 1; a < n; ++a) mx = y[a] > mx ? y[a] : mx;
  for (size_t a = 0; a < n; ++a) z += (pi[a] = exp(y[a] - mx));
  for (size_t a = 0; a < n; ++a) pi[a] /= z;
  memset(s->xin, 0, n * n * sizeof(float));
  for (size_t a = 0; a < n; ++a) s->xin[a * n + a] = 1.0f;
  gv_status st = gv_nn_forward(s->ws, s->D, s->xin, (int)n);
  if (st) return gv_fail(err, st, "onestep_sampled: D's forward pass failed");
  for (size_t a = 0; a < n; ++a) s->Ds[a] = s->ws->out[a];
  gv_onestep_policy(g, s->x, s->pif);
  gv_onestep_disc(g, s->x, s->Df);
  double dds = 0, ddf = 0;
  for (size_t a = 0; a < n; ++a) {
    dds = fmax(dds, fabs(1.0 / (1.0 + exp(-s->Ds[a])) - 0.5));
    ddf = fmax(ddf, fabs(s->Df[a] - 0.5));
  }
  m[GV_OSS_TV_SAMPLED] = gv_onestep_tv(g, pi);
  m[GV_OSS_TV_FLOW] = gv_onestep_tv(g, s->pif);
  m[GV_OSS_KL_SAMPLED] = gv_onestep_kl(g, pi);
  m[GV_OSS_KL_FLOW] = gv_onestep_kl(g, s->pif);
  m[GV_OSS_TV_BETWEEN] = tv(pi, s->pif, n);
  m[GV_OSS_D_DEV_SAMPLED] = dds;
  m[GV_OSS_D_DEV_FLOW] = ddf;
  return GV_OK;
}

gv_status gv_os_sampled_step(gv_os_sampled *s, gv_err *err) {
  const gv_onestep *g = s->g;
  const size_t n = g->na, dim = gv_onestep_dim(g), B = (size_t)s->p.batch;
  const double h = s->p.h, lam = g->p.lambda;
  double *x = s->x, *pi = s->pi, *gy = s->gy;
  float *dy = s->dy;
  size_t *ae = s->ae, *ap = s->ap;
  /* the flow: one Euler step of the controlled field */
  gv_vf_controlled(&g->vf, s->ctl, x, s->F);
  for (size_t i = 0; i < dim; ++i) x[i] += h * s->F[i];
  /* samples: expert actions from pi_E, policy actions from pi */
  for (size_t i = 0; i < B; ++i) {
    ae[i] = pick(s->re, g->p.expert, n);
    ap[i] = pick(s->rp, pi, n);
  }
  /* policy: REINFORCE with the batch-mean baseline, on D before its step */
  double gm = 0;
  for (size_t i = 0; i < B; ++i) {
    const size_t a = ap[i];
    gy[0] = gv_gail_reward_of(s->reward, s->Ds[a]) - lam * log(pi[a]);
    dy[i] = (float)gy[0];
    gm += gy[0];
  }
  gm /= (double)B;
  double est[GV_ONESTEP_MAXN] = {0};
  for (size_t i = 0; i < B; ++i) {
    const double c = ((double)dy[i] - gm) / (double)B;
    for (size_t b = 0; b < n; ++b) est[b] += c * ((b == ap[i]) - pi[b]);
  }
  for (size_t b = 0; b < n; ++b) s->y[b] += h * est[b];
  /* D: BCE + controllers on [expert | policy] (and their history), one SGD step */
  float *xe = gv_disc_real(&s->disc), *xp = gv_disc_fake(&s->disc, B);
  memset(xe, 0, 2 * B * n * sizeof(float));
  for (size_t i = 0; i < B; ++i) {
    xe[i * n + ae[i]] = 1.0f;
    xp[i * n + ap[i]] = 1.0f;
  }
  gv_nn *D = s->D;
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss loss = {gv_gail_loss, NULL};
  gv_status st = gv_disc_step(&s->disc, xe, NULL, B, xp, B, &loss, &sums);
  if (st) return gv_fail(err, st, "onestep_sampled: D's step failed");
  if (!isfinite(gv_nn_vec_norm(D->param, D->nparam)) || !isfinite(x[0]))
    return gv_fail(err, GV_EDIVERGED, "D's parameters or the flow's state are not finite");
  return GV_OK;
}

void gv_os_sampled_ckpt(gv_os_sampled *s, gv_ckpt *c) {
  const size_t n = s->g->na;
  gv_ckpt_doubles(c, "x", s->x, gv_onestep_dim(s->g));
  double *v[] = {s->y, s->pi, s->pif, s->Df, s->Ds};
  static const char *const names[] = {"y", "pi", "pif", "Df", "Ds"};
  for (int i = 0; i < 5; ++i) gv_ckpt_doubles(c, names[i], v[i], n);
  gv_ckpt_floats(c, "D", s->D->param, s->D->nparam);
  gv_ckpt_rng(c, "rinit", s->rinit);
  gv_ckpt_rng(c, "re", s->re);
  gv_ckpt_rng(c, "rp", s->rp);
  static const char *const disc_names[6] = {NULL, NULL, "rhist", "hfill_hpos", "hreal", "hfake"};
  if (s->disc.hcap) gv_disc_ckpt(&s->disc, c, disc_names);
}
