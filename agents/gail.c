/* GAIL's discriminator, its rewards and its controllers (agents/gail.h,
 * docs/gail.md).  The per-step order follows gan/mlpgan.c's disc_step so a
 * controller acts the same way on both neural games. */
#include "agents/gail.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"
#include "nn/init.h"

/* ------------------------------------------------------------- parameters */

static const char *const act_names[] = {"linear", "tanh", "relu", "leaky_relu", NULL};
static const char *const reward_names[] = {"softplus", "logit", "log_d", NULL};

const gv_param gv_gail_disc_table[] = {
    GV_PARAM_INT(gv_gail_params, width, "100", 1, 4096, "hidden width of D"),
    GV_PARAM_INT(gv_gail_params, depth, "2", 1, GV_NN_MAX_LAYERS - 1, "hidden layers of D"),
    GV_PARAM_ENUM(gv_gail_params, act, "tanh", act_names, "hidden activation of D"),
    GV_PARAM_REALX(gv_gail_params, lr, "1e-3", 0, 1, GV_P_LO_OPEN, "Adam learning rate of D"),
    GV_PARAM_INT(gv_gail_params, halve_every, "100000", 0, 1e12,
                 "halve D's learning rate every this many D steps (0: never)"),
    GV_PARAM_INT(gv_gail_params, updates, "10", 0, 1e6,
                 "D steps per generator round (gail: per PPO rollout; dac: per TD3 update)"),
    GV_PARAM_INT(gv_gail_params, batch, "128", 1, 1e6,
                 "expert rows and policy rows (each) per D step"),
    GV_PARAM_ENUM(gv_gail_params, reward, "softplus", reward_names,
                  "policy reward: softplus = -log(1 - D), logit = log D - log(1 - D), "
                  "log_d = log D"),
    GV_PARAM_REALX(gv_gail_params, std_floor, "1e-2", 0, 1e6, GV_P_LO_OPEN,
                   "floor of the demonstration std used to normalise D's inputs"),
    GV_PARAM_BOOL(gv_gail_params, norm_inputs, "true",
                  "standardise D's inputs with the demonstration statistics, clipped to +-10 "
                  "(false: raw (s, a), as DAC's code)"),
    GV_PARAM_REALX(gv_gail_params, init_gain, "1.4142135623730951", 0, 100, GV_P_LO_OPEN,
                   "orthogonal-init gain of D's hidden layers (sqrt 2; DAC: 1); the output's is 1"),
    GV_PARAM_END,
};

/* ------------------------------------------------------------ pure parts */

static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}

double gv_gail_reward_of(int form, double l) {
  switch (form) {
    case GV_GAIL_REW_LOGIT: return l;
    case GV_GAIL_REW_LOGD: return -softplus(-l);
    default: return softplus(l);
  }
}

double gv_gail_bce(const float *le, float *de, size_t ne, const float *lp, float *dp, size_t np) {
  return gv_gail_bce_w(le, NULL, de, ne, lp, dp, np);
}

double gv_gail_bce_w(const float *le, const float *we, float *de, size_t ne, const float *lp,
                     float *dp, size_t np) {
  double ve = 0.0, vp = 0.0;
  for (size_t i = 0; i < ne; ++i) {
    const double w = we ? (double)we[i] : 1.0;
    ve += w * softplus(-(double)le[i]);
    if (de) de[i] += (float)(w * (sigmoid(le[i]) - 1.0) / (double)ne);
  }
  for (size_t i = 0; i < np; ++i) {
    vp += softplus((double)lp[i]);
    if (dp) dp[i] += (float)(sigmoid(lp[i]) / (double)np);
  }
  return (ne ? ve / (double)ne : 0.0) + (np ? vp / (double)np : 0.0);
}

long gv_gail_subsample(long *rows, const gv_demos *d, long ntraj, long k, gsl_rng *r) {
  if (ntraj > d->episodes) ntraj = d->episodes;
  long n = 0;
  for (long e = 0; e < ntraj; ++e) {
    const long off = (long)gsl_rng_uniform_int(r, (unsigned long)k);
    for (long t = off; t < d->episode_length[e]; t += k) {
      if (rows) rows[n] = (long)d->episode_start[e] + t;
      n++;
    }
  }
  return n;
}

double gv_w1_sorted(const double *a, size_t na, const double *b, size_t nb) {
  if (!na || !nb) return NAN;
  /* walk the merged order; between consecutive points F_a - F_b is constant */
  size_t i = 0, j = 0;
  double w = 0.0, x = a[0] < b[0] ? a[0] : b[0];
  while (i < na || j < nb) {
    double nx;
    if (j >= nb || (i < na && a[i] <= b[j])) nx = a[i];
    else nx = b[j];
    w += fabs((double)i / na - (double)j / nb) * (nx - x);
    x = nx;
    if (j >= nb || (i < na && a[i] <= b[j])) i++;
    else j++;
  }
  return w;
}

static int cmp_double(const void *p, const void *q) {
  const double a = *(const double *)p, b = *(const double *)q;
  return (a > b) - (a < b);
}

/* ------------------------------------------------------------- the agent */

struct gv_gail {
  gv_gail_params p;
  int obs_dim, act_dim, in_dim; /* sizes; in_dim = obs_dim + ind + act_dim */
  int ind;                  /* 1: absorbing indicator column after the observation */
  long n_abs;               /* expert rows at the absorbing state */
  float *we;                /* expert weights (n_exp; NULL: all 1) */
  float *wb;                /* the batch's expert weights (B; with we) */
  int max_rows;             /* largest rollout */
  float *mean, *std;        /* demonstration statistics of (s, a) (in_dim), std floored */
  long n_exp;               /* subsampled expert transitions */
  float *xe;                /* their normalised inputs (n_exp x in_dim) */
  long n_states;            /* every state of the trajectories used */
  double *es_sorted;        /* standardised expert states, sorted per dimension (obs_dim x n_states) */
  int nproj;                /* fixed projections of the sliced distance */
  double *proj;             /* unit directions (nproj x obs_dim) */
  double *ep_sorted;        /* expert projections sorted (nproj x n_states) */
  double *tmp;              /* (tmp_cap) */
  size_t tmp_cap;           /* max(n_states, max_rows), grown by gv_gail_state_distance */

  gv_nn *D;
  gv_nn_ws *ws;             /* rows: max(gv_disc_rows(ctl, B, B), max_rows) */
  gv_nn_optim *opt;
  gv_disc disc;             /* D's controlled step: history, noise, penalties, its rows */
  gsl_rng *rbatch;
  float *xr;                /* the rollout's normalised inputs (max_rows x in_dim) */
  gv_gail_stats last;
  long steps;               /* D steps */
};

const gv_gail_stats *gv_gail_last(const gv_gail *g) { return &g->last; }
long gv_gail_steps(const gv_gail *g) { return g->steps; }
int gv_gail_in_dim(const gv_gail *g) { return g->in_dim; }
long gv_gail_expert_rows(const gv_gail *g) { return g->n_exp; }
long gv_gail_absorbing_rows(const gv_gail *g) { return g->n_abs; }
const float *gv_gail_expert_weights(const gv_gail *g) { return g->we; }
const float *gv_gail_expert_inputs(const gv_gail *g) { return g->xe; }
gv_nn *gv_gail_disc(gv_gail *g) { return g->D; }
gv_nn_optim *gv_gail_optim(gv_gail *g) { return g->opt; }
const float *gv_gail_mean(const gv_gail *g) { return g->mean; }
const float *gv_gail_std(const gv_gail *g) { return g->std; }

void gv_gail_free(gv_gail *g) {
  if (!g) return;
  gv_nn_free(g->D);
  gv_nn_ws_free(g->ws);
  gv_nn_optim_free(g->opt);
  gv_disc_deinit(&g->disc);
  if (g->rbatch) gsl_rng_free(g->rbatch);
  void *b[] = {g->mean, g->std, g->xe, g->es_sorted, g->proj, g->ep_sorted, g->tmp, g->xr,
               g->we, g->wb};
  for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) free(b[i]);
  free(g);
}

gv_status gv_gail_check_controllers(gv_ctl_stack *ctl, gv_err *err) {
  return gv_gail_check_controllers_for(ctl, "gail", err);
}

gv_status gv_gail_check_controllers_for(gv_ctl_stack *ctl, const char *game, gv_err *err) {
  /* everything but a term on the generator's loss: the policy learns from
   * D's reward, not through D's logits */
  const gv_disc_game dg = {game, GV_DISC_ALL & ~GV_DISC_GEN};
  return ctl ? gv_disc_check(ctl, &dg, err) : GV_OK;
}

void gv_gail_inputs(const gv_gail *g, float *x, const float *obs, const float *act, int n) {
  const int D = g->obs_dim + g->ind, A = g->act_dim, I = g->in_dim;
  for (int i = 0; i < n; ++i) {
    float *xi = x + (size_t)i * I;
    for (int j = 0; j < I; ++j) {
      const float v = j < D ? obs[(size_t)i * D + j] : act[(size_t)i * A + (j - D)];
      if (!g->p.norm_inputs) {
        xi[j] = v;
        continue;
      }
      float z = (v - g->mean[j]) / g->std[j];
      xi[j] = z < -10.0f ? -10.0f : z > 10.0f ? 10.0f : z;
    }
  }
}

static gv_status make_proj(gv_gail *g) {
  const int D = g->obs_dim;
  free(g->proj);
  free(g->ep_sorted);
  g->proj = malloc((size_t)g->nproj * D * sizeof(double));
  g->ep_sorted = malloc((size_t)g->nproj * g->n_states * sizeof(double));
  if (!g->proj || !g->ep_sorted) return GV_ENOMEM;
  gsl_rng *r = gv_rng_alloc(0, "gail.proj", 0);
  if (!r) return GV_ENOMEM;
  for (int q = 0; q < g->nproj; ++q) {
    double *u = g->proj + (size_t)q * D, nn = 0;
    for (int j = 0; j < D; ++j) {
      u[j] = gv_rng_normal(r);
      nn += u[j] * u[j];
    }
    nn = sqrt(nn);
    for (int j = 0; j < D; ++j) u[j] /= nn;
  }
  gsl_rng_free(r);
  return GV_OK;
}

gv_status gv_gail_alloc(gv_gail **out, const gv_gail_params *p, const gv_demos *d,
                        gv_ctl_stack *ctl, uint64_t seed, int max_rows, gv_err *err) {
  *out = NULL;
  if (d->steps < 1 || d->episodes < 1)
    return gv_fail(err, GV_EINVAL, "gail: the demonstration file holds no transition");
  gv_gail *g = calloc(1, sizeof *g);
  if (!g) return gv_fail(err, GV_ENOMEM, "gail: out of memory");
  g->p = *p;
  g->obs_dim = d->obs_dim;
  g->act_dim = d->act_dim;
  g->ind = p->absorbing != 0;
  g->in_dim = d->obs_dim + g->ind + d->act_dim;
  g->max_rows = max_rows;
  const int D = g->obs_dim, A = g->act_dim, I = g->in_dim, Di = D + g->ind;
  const long B = p->batch;
  gv_status st = GV_OK;
  if (p->trajectories < 1 || p->trajectories > d->episodes) {
    free(g);
    return gv_fail(err, GV_EINVAL, "gail: %ld trajectories, the demonstrations hold %ld "
                   "episodes (allowed: 1 to %ld)", (long)p->trajectories, d->episodes,
                   d->episodes);
  }
  const long ntraj = p->trajectories;

  /* statistics over every transition of the trajectories used */
  g->mean = calloc((size_t)I, sizeof(float));
  g->std = calloc((size_t)I, sizeof(float));
  double *m = calloc((size_t)I, sizeof(double)), *q = calloc((size_t)I, sizeof(double));
  long ns = 0;
  for (long e = 0; e < ntraj; ++e) ns += (long)d->episode_length[e];
  g->n_states = ns;
  if (!g->mean || !g->std || !m || !q || ns < 1) {
    free(m);
    free(q);
    st = ns < 1 ? gv_fail(err, GV_EINVAL, "gail: the trajectories used are empty")
                : gv_fail(err, GV_ENOMEM, "gail: out of memory");
    goto fail;
  }
  for (long e = 0; e < ntraj; ++e)
    for (long t = 0; t < d->episode_length[e]; ++t) {
      const long r = (long)d->episode_start[e] + t;
      for (int j = 0; j < I; ++j) {
        if (j >= D && j < Di) continue; /* the indicator */
        const double v = j < D ? d->obs[r * D + j] : d->actions[r * A + (j - Di)];
        m[j] += v;
        q[j] += v * v;
      }
    }
  for (int j = 0; j < I; ++j) {
    const double mu = m[j] / ns, var = q[j] / ns - mu * mu;
    const double sd = sqrt(var > 0 ? var : 0);
    g->mean[j] = (float)mu;
    g->std[j] = (float)(sd > p->std_floor ? sd : p->std_floor);
    if (j >= D && j < Di) {
      g->mean[j] = 0.0f;
      g->std[j] = 1.0f;
    }
  }
  free(m);
  free(q);

  /* the subsampled expert set */
  {
    gsl_rng *r = gv_rng_alloc(seed, "gail.subsample", 0);
    long *rows = malloc((size_t)d->steps * sizeof(long));
    if (!r || !rows) {
      if (r) gsl_rng_free(r);
      free(rows);
      st = gv_fail(err, GV_ENOMEM, "gail: out of memory");
      goto fail;
    }
    g->n_exp = gv_gail_subsample(rows, d, ntraj, p->subsample, r);
    gsl_rng_free(r);
    if (g->ind)
      for (long e = 0; e < ntraj; ++e) {
        const long len = (long)d->episode_length[e];
        g->n_abs += len > 0 && d->terminated[d->episode_start[e] + len - 1];
      }
    const long n_all = g->n_exp + g->n_abs;
    g->xe = malloc((size_t)(n_all ? n_all : 1) * I * sizeof(float));
    float *ob = calloc((size_t)Di, sizeof(float)), *a0 = calloc((size_t)A, sizeof(float));
    if (a0)
      for (int j = 0; j < A; ++j) a0[j] = (float)p->absorbing_action;
    if (g->n_abs) {
      g->we = malloc((size_t)n_all * sizeof(float));
      g->wb = malloc((size_t)B * sizeof(float));
    }
    if (!g->xe || !ob || !a0 || (g->n_abs && (!g->we || !g->wb))) {
      free(rows);
      free(ob);
      free(a0);
      st = gv_fail(err, GV_ENOMEM, "gail: out of memory");
      goto fail;
    }
    for (long i = 0; i < g->n_exp; ++i) {
      memcpy(ob, d->obs + rows[i] * D, (size_t)D * sizeof(float));
      gv_gail_inputs(g, g->xe + (size_t)i * I, ob, d->actions + rows[i] * A, 1);
      if (g->we) g->we[i] = 1.0f;
    }
    /* (s_a, a_0): zeros with the indicator set, the absorbing action, weighted 1/k */
    memset(ob, 0, (size_t)Di * sizeof(float));
    if (g->ind) ob[D] = 1.0f;
    for (long i = g->n_exp; i < n_all; ++i) {
      gv_gail_inputs(g, g->xe + (size_t)i * I, ob, a0, 1);
      g->we[i] = (float)(1.0 / (double)p->subsample);
    }
    free(ob);
    free(a0);
    free(rows);
    if (g->n_exp < 1) {
      st = gv_fail(err, GV_EINVAL, "gail: subsampling every %ld-th transition left none",
                   p->subsample);
      goto fail;
    }
    g->n_exp = n_all;
  }

  /* standardised expert states for the distances: projected on the fixed
   * directions, then each dimension's column sorted */
  g->es_sorted = malloc((size_t)D * ns * sizeof(double));
  g->tmp_cap = (size_t)(ns > max_rows ? ns : max_rows);
  g->tmp = malloc(g->tmp_cap * sizeof(double));
  if (!g->es_sorted || !g->tmp) {
    st = gv_fail(err, GV_ENOMEM, "gail: out of memory");
    goto fail;
  }
  {
    long r0 = 0;
    for (long e = 0; e < ntraj; ++e)
      for (long t = 0; t < d->episode_length[e]; ++t, ++r0) {
        const long r = (long)d->episode_start[e] + t;
        for (int j = 0; j < D; ++j)
          g->es_sorted[(size_t)j * ns + r0] = (d->obs[r * D + j] - g->mean[j]) / g->std[j];
      }
  }
  g->nproj = GV_GAIL_PROJECTIONS;
  if (make_proj(g) != GV_OK) {
    st = gv_fail(err, GV_ENOMEM, "gail: out of memory");
    goto fail;
  }
  /* project before sorting the per-dimension columns */
  for (int k = 0; k < g->nproj; ++k) {
    double *o = g->ep_sorted + (size_t)k * ns;
    const double *u = g->proj + (size_t)k * D;
    for (long i = 0; i < ns; ++i) {
      double s = 0;
      for (int j = 0; j < D; ++j) s += u[j] * g->es_sorted[(size_t)j * ns + i];
      o[i] = s;
    }
    qsort(o, (size_t)ns, sizeof(double), cmp_double);
  }
  for (int j = 0; j < D; ++j) qsort(g->es_sorted + (size_t)j * ns, (size_t)ns, sizeof(double), cmp_double);

  const size_t step_rows = gv_disc_rows(ctl, (size_t)B, (size_t)B);
  const size_t ws_rows = step_rows > (size_t)max_rows ? step_rows : (size_t)max_rows;
  g->xr = calloc((size_t)(max_rows > 0 ? max_rows : 1) * I, sizeof(float));
  g->rbatch = gv_rng_alloc(seed, "gail.batch", 0);
  if (!g->xr || !g->rbatch) {
    st = gv_fail(err, GV_ENOMEM, "gail: out of memory");
    goto fail;
  }

  /* D */
  int hidden[GV_NN_MAX_LAYERS];
  for (long i = 0; i < p->depth; ++i) hidden[i] = (int)p->width;
  gv_nn_spec spec;
  if ((st = gv_nn_spec_mlp(&spec, I, (int)p->depth, hidden, (gv_nn_act)p->act, 1,
                           GV_NN_ACT_LINEAR, err)) ||
      (st = gv_nn_alloc(&g->D, &spec, err)) ||
      (st = gv_nn_ws_alloc(&g->ws, &spec, (int)ws_rows, err)))
    goto fail;
  {
    gsl_rng *ri = gv_rng_alloc(seed, "gail.init", 0);
    if (!ri) {
      st = gv_fail(err, GV_ENOMEM, "gail: out of memory");
      goto fail;
    }
    st = gv_nn_init_params(g->D, GV_NN_INIT_ORTHOGONAL, p->init_gain, 1.0, ri, err);
    gsl_rng_free(ri);
    if (st) goto fail;
  }
  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_ADAM);
  os.lr = p->lr;
  if (p->halve_every > 0) {
    os.schedule = GV_NN_LR_STEP;
    os.step_every = p->halve_every;
  }
  if ((st = gv_nn_optim_alloc(&g->opt, &os, g->D->nparam, err))) goto fail;
  const gv_disc_spec ds = {(size_t)I, (size_t)B, (size_t)B, "gail", 1};
  if ((st = gv_disc_init(&g->disc, &ds, g->D, g->ws, g->opt, ctl, seed, err))) goto fail;
  *out = g;
  return GV_OK;
fail:
  gv_gail_free(g);
  return st;
}

/* Sums of D = sigmoid(l) on the expert and policy rows of a step. */
typedef struct gail_probs {
  double se, sp;
} gail_probs;

double gv_gail_loss(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                    const float *lf, float *df, size_t nf) {
  const double v = gv_gail_bce_w(lr, wr, dr, nr, lf, df, nf);
  gail_probs *m = ctx;
  for (size_t i = 0; m && i < nr; ++i) m->se += sigmoid(lr[i]);
  for (size_t i = 0; m && i < nf; ++i) m->sp += sigmoid(lf[i]);
  return v;
}

/* One D step; all_rows: the policy rows are xp itself (np == B), else B
 * rows drawn from it. */
static gv_status disc_step(gv_gail *g, const float *xp, int np, int all_rows,
                           gv_gail_stats *acc) {
  const int I = g->in_dim;
  const size_t B = (size_t)g->p.batch, row = (size_t)I * sizeof(float);
  float *xe = gv_disc_real(&g->disc), *xf = gv_disc_fake(&g->disc, B);
  for (size_t i = 0; i < B; ++i) {
    const size_t e = (size_t)gsl_rng_uniform_int(g->rbatch, (unsigned long)g->n_exp);
    memcpy(xe + i * I, g->xe + e * I, row);
    if (g->we) g->wb[i] = g->we[e];
  }
  if (!all_rows) {
    for (size_t i = 0; i < B; ++i) {
      const size_t r = (size_t)gsl_rng_uniform_int(g->rbatch, (unsigned long)np);
      memcpy(xf + i * I, xp + r * I, row);
    }
    xp = xf;
  }
  gail_probs pr = {0.0, 0.0};
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss loss = {gv_gail_loss, &pr};
  gv_status st = gv_disc_step(&g->disc, xe, g->we ? g->wb : NULL, B, xp, B, &loss, &sums);
  if (st) return st;
  g->steps++;
  if (acc) {
    acc->d_loss += sums.loss;
    acc->ctl_loss += sums.ctl;
    acc->d_expert += pr.se / (double)B;
    acc->d_policy += pr.sp / (double)B;
  }
  return GV_OK;
}

gv_status gv_gail_disc_step(gv_gail *g, const float *xp, int np, gv_gail_stats *acc) {
  return disc_step(g, xp, np, 0, acc);
}

gv_status gv_gail_disc_step_rows(gv_gail *g, const float *xp, int np, gv_gail_stats *acc) {
  if (np != g->p.batch) return GV_EINVAL;
  return disc_step(g, xp, np, 1, acc);
}

gv_status gv_gail_rewards(gv_gail *g, double *rew, const float *obs, const float *act, int n) {
  /* in chunks that fit both the workspace and the input buffer */
  const int chunk = g->max_rows > 0 && g->max_rows < g->ws->maxbatch ? g->max_rows
                                                                     : g->ws->maxbatch;
  for (int s = 0; s < n; s += chunk) {
    const int m = n - s < chunk ? n - s : chunk;
    gv_gail_inputs(g, g->xr, obs + (size_t)s * (g->obs_dim + g->ind),
                   act + (size_t)s * g->act_dim, m);
    gv_status st = gv_nn_forward(g->ws, g->D, g->xr, m);
    if (st) return st;
    for (int i = 0; i < m; ++i) rew[s + i] = gv_gail_reward_of(g->p.reward, g->ws->out[i]);
  }
  return GV_OK;
}

gv_status gv_gail_reward_hook(void *ctx, gv_ppo_rollout_view *v, gv_err *err) {
  gv_gail *g = ctx;
  if (v->n > g->max_rows)
    return gv_fail(err, GV_EINVAL, "gail: rollout of %d rows, at most %d", v->n, g->max_rows);
  gv_gail_stats s = {0};
  gv_gail_inputs(g, g->xr, v->obs, v->act, v->n);
  for (long u = 0; u < g->p.updates; ++u) {
    gv_status st = gv_gail_disc_step(g, g->xr, v->n, &s);
    if (st == GV_EDIVERGED)
      return gv_fail(err, GV_EDIVERGED, "gail: non-finite discriminator loss or gradient at D "
                     "step %ld", g->steps + 1);
    if (st) return gv_fail(err, st, "gail: discriminator step failed");
  }
  if (g->p.updates > 0) {
    const double k = (double)g->p.updates;
    s.d_loss /= k;
    s.ctl_loss /= k;
    s.d_expert /= k;
    s.d_policy /= k;
  } else {
    s.d_loss = s.ctl_loss = s.d_expert = s.d_policy = NAN;
  }
  gv_status st = gv_gail_rewards(g, v->rew, v->obs, v->act, v->n);
  if (st) return gv_fail(err, st, "gail: reward pass failed");
  double rm = 0;
  for (int i = 0; i < v->n; ++i) {
    if (!isfinite(v->rew[i]))
      return gv_fail(err, GV_EDIVERGED, "gail: non-finite reward at D step %ld", g->steps);
    rm += v->rew[i];
  }
  s.reward_mean = rm / v->n;
  s.lr = gv_nn_optim_lr(g->opt);
  s.steps = g->steps;
  g->last = s;
  return GV_OK;
}

void gv_gail_state_distance(gv_gail *g, const float *obs, int n, double *w_dim,
                            double *w_sliced) {
  const int D = g->obs_dim;
  const size_t ns = (size_t)g->n_states;
  if ((size_t)n > g->tmp_cap) {
    double *nt = realloc(g->tmp, (size_t)n * sizeof(double));
    if (!nt) {
      *w_dim = *w_sliced = NAN;
      return;
    }
    g->tmp = nt;
    g->tmp_cap = (size_t)n;
  }
  double *t = g->tmp, wd = 0.0, wp = 0.0;
  for (int j = 0; j < D; ++j) {
    for (int i = 0; i < n; ++i) t[i] = (obs[(size_t)i * D + j] - g->mean[j]) / g->std[j];
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    wd += gv_w1_sorted(t, (size_t)n, g->es_sorted + (size_t)j * ns, ns);
  }
  for (int k = 0; k < g->nproj; ++k) {
    const double *u = g->proj + (size_t)k * D;
    for (int i = 0; i < n; ++i) {
      double s = 0;
      for (int j = 0; j < D; ++j) s += u[j] * ((obs[(size_t)i * D + j] - g->mean[j]) / g->std[j]);
      t[i] = s;
    }
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    wp += gv_w1_sorted(t, (size_t)n, g->ep_sorted + (size_t)k * ns, ns);
  }
  *w_dim = wd / D;
  *w_sliced = wp / g->nproj;
}

void gv_gail_stats_ckpt(gv_gail_stats *s, gv_ckpt *c, const char *name) {
  double v[6] = {s->d_loss, s->ctl_loss, s->d_expert, s->d_policy, s->reward_mean, s->lr};
  gv_ckpt_doubles(c, name, v, 6);
  int64_t steps = s->steps;
  char key[64];
  snprintf(key, sizeof key, "%s_steps", name);
  gv_ckpt_longs(c, key, &steps, 1);
  *s = (gv_gail_stats){v[0], v[1], v[2], v[3], v[4], v[5], (long)steps};
}

void gv_gail_ckpt(gv_gail *g, gv_ckpt *c) {
  gv_ckpt d;
  gv_ckpt_sub(c, "disc", &d);
  gv_nn_ckpt(g->D, &d, "D");
  gv_nn_optim_ckpt(g->opt, &d, "opt");
  gv_ckpt_rng(&d, "rbatch", g->rbatch);
  static const char *const disc_names[6] = {"rnoise", "rinterp", "rhist", "hfill_hpos", "hexp",
                                            "hpol"};
  gv_disc_ckpt(&g->disc, &d, disc_names);
  gv_ckpt_long(&d, "steps", &g->steps);
  gv_gail_stats_ckpt(&g->last, &d, "last");
  gv_ckpt_end(&d, c);
}
