/* TD3 (agents/td3.h): target computation, updates, acting, the agent.
 *
 * Time goes almost entirely to the update's sgemms (batch 256 through
 * 256-256 nets): per critic update one target-actor forward, two
 * target-critic forwards, and a forward + backward of each critic; every
 * policy_delay-th update adds an actor forward, a critic-1 forward, its
 * backward to the input only (dQ/da, gv_nn_backward with grad = NULL) and
 * the actor's backward.  Acting is one K-row actor forward per vector step.
 * Everything runs on the calling thread (OpenBLAS pinned to 1 thread by the
 * runner); the env copies run on the vector env's threads. */
#include "agents/td3.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"
#include "nn/init.h"

/* ------------------------------------------------------------- parameters */

static const char *const init_names[] = {"torch", "orthogonal", NULL};
static const char *const schedule_names[] = {"step", "episode", NULL};

const gv_param gv_td3_param_table[] = {
    GV_PARAM_INT(gv_td3_params, hidden, "256", 1, 4096, "width of the hidden layers"),
    GV_PARAM_INT(gv_td3_params, depth, "2", 1, GV_NN_MAX_LAYERS - 1, "hidden layers (ReLU)"),
    GV_PARAM_REALX(gv_td3_params, actor_lr, "3e-4", 0, 1, GV_P_LO_OPEN, "actor Adam learning rate"),
    GV_PARAM_REALX(gv_td3_params, critic_lr, "3e-4", 0, 1, GV_P_LO_OPEN,
                   "critics' Adam learning rate"),
    GV_PARAM_REALX(gv_td3_params, adam_eps, "1e-8", 0, 1, GV_P_LO_OPEN, "Adam epsilon"),
    GV_PARAM_REAL(gv_td3_params, gamma, "0.99", 0, 1, "discount"),
    GV_PARAM_REAL(gv_td3_params, tau, "0.005", 0, 1, "Polyak rate of the target nets"),
    GV_PARAM_REAL(gv_td3_params, policy_noise, "0.2", 0, 100,
                  "target smoothing noise std, in units of the half action range"),
    GV_PARAM_REAL(gv_td3_params, noise_clip, "0.5", 0, 100,
                  "clip of the target smoothing noise, in units of the half action range"),
    GV_PARAM_INT(gv_td3_params, policy_delay, "2", 1, 1000,
                 "critic updates per actor and target update"),
    GV_PARAM_REAL(gv_td3_params, expl_noise, "0.1", 0, 100,
                  "exploration noise std, in units of the half action range"),
    GV_PARAM_INT(gv_td3_params, learning_starts, "10000", 0, 1e12,
                 "env steps of uniform random actions before the first update"),
    GV_PARAM_INT(gv_td3_params, batch, "256", 1, 1e6, "minibatch size"),
    GV_PARAM_INT(gv_td3_params, buffer, "1000000", 1, 1e9, "replay capacity (transitions)"),
    GV_PARAM_REALX(gv_td3_params, updates_per_step, "1", 0, 1000, GV_P_LO_OPEN,
                   "gradient updates per env step"),
    GV_PARAM_BOOL(gv_td3_params, norm_obs, "false",
                  "normalise observations (running statistics, frozen for each update)"),
    GV_PARAM_REALX(gv_td3_params, clip_obs, "10", 0, 1e6, GV_P_LO_OPEN,
                   "clip of normalised observations"),
    GV_PARAM_INT(gv_td3_params, log_every, "1000", 1, 1e12,
                 "env steps per logged point (one gv_td3_iterate)"),
    GV_PARAM_BOOL(gv_td3_params, absorbing, "false",
                  "absorbing states: terminations lead to an absorbing state the critics "
                  "bootstrap through (DAC; agents/td3.h)"),
    GV_PARAM_INT(gv_td3_params, hidden2, "0", 0, 4096,
                 "width of the second hidden layer (0: hidden; DAC: 300 after 400)"),
    GV_PARAM_ENUM(gv_td3_params, init, "torch", init_names,
                  "initialiser: torch (nn.Linear default) or orthogonal (gain 1, heads: "
                  "actor 0.01, critics 1; biases 0: DAC)"),
    GV_PARAM_INT(gv_td3_params, actor_lr_halve_every, "0", 0, 1e12,
                 "halve the actor's learning rate every this many env steps (0: never; DAC 1e5)"),
    GV_PARAM_INT(gv_td3_params, actor_delay, "0", 0, 1e12,
                 "critic updates before the first actor update (DAC: 1000)"),
    GV_PARAM_REAL(gv_td3_params, actor_clip_norm, "0", 0, 1e12,
                  "clip of the actor's global gradient norm (0: none; DAC: 40)"),
    GV_PARAM_ENUM(gv_td3_params, schedule, "step", schedule_names,
                  "updates after every env step (step) or in a block after each episode "
                  "(episode: DAC's worker; one env copy)"),
    GV_PARAM_INT(gv_td3_params, random_steps, "-1", -1, 1e12,
                 "uniform random actions while the buffer holds fewer rows (-1: the first "
                 "learning_starts env steps)"),
    GV_PARAM_END,
};

const gv_component gv_agent_td3 = {
    "td3", "twin delayed DDPG, deterministic tanh actor (Fujimoto et al.; CleanRL td3)",
    "Fujimoto, van Hoof & Meger 2018, arXiv 1802.09477, Algorithm 1", gv_td3_param_table,
    sizeof(gv_td3_params)};

/* ------------------------------------------------------------ pure parts */

void gv_td3_smooth_action(float *a, const float *out, const float *eps, int n, int A, double lo,
                          double hi, double sigma, double c) {
  const double mid = 0.5 * (lo + hi), h = 0.5 * (hi - lo);
  const size_t m = (size_t)n * A;
  for (size_t k = 0; k < m; ++k) {
    double e = sigma * eps[k];
    e = e < -c ? -c : e > c ? c : e;
    double v = mid + h * (double)out[k] + e * h;
    v = v < lo ? lo : v > hi ? hi : v;
    a[k] = (float)v;
  }
}

void gv_td3_absorbing_action(float *a, const float *abs, int n, int A, double lo, double hi) {
  const float mid = (float)(0.5 * (lo + hi));
  for (int i = 0; i < n; ++i)
    if (abs[i] != 0.0f)
      for (int j = 0; j < A; ++j) a[(size_t)i * A + j] = mid;
}

void gv_td3_target(float *y, const float *rew, const float *done, const float *q1,
                   const float *q2, int n, double gamma) {
  const float g = (float)gamma;
  for (int i = 0; i < n; ++i) {
    const float q = q1[i] < q2[i] ? q1[i] : q2[i];
    /* a NaN in either twin must reach the loss: (q1 < q2) is false for a NaN
     * q1 and picks q2, so check both */
    const float qq = isnan(q1[i]) ? q1[i] : q;
    y[i] = rew[i] + g * (1.0f - done[i]) * qq;
  }
}

/* ------------------------------------------------------------ the agent */

struct gv_td3 {
  gv_td3_params p;          /* parameters */
  int D, A, K, N;           /* obs, act sizes; env copies; batch */
  int Dn;                   /* stored observation size: D + absorbing */
  gv_td3_hooks hooks;       /* DAC's (zeroed: none) */
  float *xo, *xn;           /* obs, next_obs without the indicator (N x D; absorbing only) */
  float *abs_o, *abs_n;     /* indicator of obs, next_obs (N; absorbing only) */
  double *row_o, *row_n, *act0; /* rows being stored (Dn, Dn), a_0 (A) */
  double lo, hi, mid, h;    /* action bounds, centre, half range */
  gv_policy *pi;            /* actor (DETERMINISTIC) + observation statistics */
  gv_nn *actor_t, *q1, *q2, *q1_t, *q2_t; /* target actor, critics, target critics */
  gv_nn_optim *opt_a, *opt_q1, *opt_q2;   /* Adam per net (elementwise: = one optimiser) */
  gv_nn_ws *ws_act;         /* acting: K rows */
  gv_nn_ws *ws_a, *ws_at;   /* actor, target actor: N rows */
  gv_nn_ws *ws_q1, *ws_q2, *ws_t; /* critics, target critics: N rows */
  gv_replay *rb;            /* replay ring */
  gv_replay_batch b;        /* sampled batch (N rows) */
  long *idx;                /* batch indices (N) */
  float *eps;               /* smoothing noise (N x A) */
  float *a_next;            /* target actions (N x A) */
  float *sa, *sa_next, *sa_pi; /* critic inputs [obs | act] (N x (D + A)) */
  float *dsa;               /* dQ1/d[obs | act] (N x (D + A)) */
  float *y, *q1n, *dq, *da; /* targets (N), Q1' (N), dLoss/dQ (N), dLoss/d tanh out (N x A) */
  gv_env_vec *vec;          /* K env copies */
  double *cur_obs, *prev_obs; /* raw observations now and before the step (K x D) */
  float *cur_norm;          /* cur_obs as the actor sees it (K x D) */
  double *env_act, *env_rew; /* actions sent (K x A), rewards (K) */
  int *env_term, *env_trunc; /* flags (K) */
  gsl_rng *rng_explore, *rng_replay, *rng_target;
  long steps;               /* env steps taken */
  long updates;             /* critic updates done */
  double credit;            /* fractional updates owed (updates_per_step) */
  long actor_updates;       /* actor updates done */
  long ep_steps;            /* schedule episode: env steps of the current episode */
  int ep_random;            /* schedule episode: this episode acts at random */
};

static gv_status net_spec(gv_nn_spec *s, const gv_td3_params *p, int nin, int nout,
                          gv_nn_act out, gv_err *err) {
  int hidden[GV_NN_MAX_LAYERS];
  for (long l = 0; l < p->depth; ++l) hidden[l] = (int)p->hidden;
  if (p->depth > 1 && p->hidden2 > 0) hidden[1] = (int)p->hidden2;
  return gv_nn_spec_mlp(s, nin, (int)p->depth, hidden, GV_NN_ACT_RELU, nout, out, err);
}

/* PyTorch's nn.Linear default (both references keep it): W and b uniform in
 * +-1/sqrt(fan_in).  HE_UNIFORM with gain 1/sqrt(3) gives the weights; the
 * biases are drawn after each layer's weights from the same stream. */
static gv_status torch_init(gv_nn *net, gsl_rng *r, gv_err *err) {
  for (int l = 0; l < net->spec.nlayer; ++l) {
    gv_status st = gv_nn_init_layer(net, l, GV_NN_INIT_HE_UNIFORM, 1.0 / sqrt(3.0), r, err);
    if (st) return st;
    const int fan_in = net->spec.size[l], nb = net->spec.size[l + 1];
    const double a = 1.0 / sqrt((double)fan_in);
    float *b = gv_nn_b(net, l);
    for (int i = 0; i < nb; ++i) b[i] = (float)(a * (2.0 * gsl_rng_uniform(r) - 1.0));
  }
  return GV_OK;
}

void gv_td3_free(gv_td3 *o) {
  if (!o) return;
  gv_env_vec_free(o->vec);
  gv_policy_free(o->pi);
  gv_nn *nets[] = {o->actor_t, o->q1, o->q2, o->q1_t, o->q2_t};
  for (size_t i = 0; i < sizeof nets / sizeof nets[0]; ++i) gv_nn_free(nets[i]);
  gv_nn_optim_free(o->opt_a);
  gv_nn_optim_free(o->opt_q1);
  gv_nn_optim_free(o->opt_q2);
  gv_nn_ws *ws[] = {o->ws_act, o->ws_a, o->ws_at, o->ws_q1, o->ws_q2, o->ws_t};
  for (size_t i = 0; i < sizeof ws / sizeof ws[0]; ++i) gv_nn_ws_free(ws[i]);
  gv_replay_free(o->rb);
  gsl_rng *rs[] = {o->rng_explore, o->rng_replay, o->rng_target};
  for (size_t i = 0; i < 3; ++i)
    if (rs[i]) gsl_rng_free(rs[i]);
  void *bufs[] = {o->b.obs, o->b.act, o->b.rew, o->b.next_obs, o->b.done, o->idx, o->eps,
                  o->a_next, o->sa, o->sa_next, o->sa_pi, o->dsa, o->y, o->q1n, o->dq, o->da,
                  o->cur_obs, o->prev_obs, o->cur_norm, o->env_act, o->env_rew, o->env_term,
                  o->env_trunc, o->xo, o->xn, o->abs_o, o->abs_n, o->row_o, o->row_n, o->act0};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  free(o);
}

gv_status gv_td3_alloc(gv_td3 **out, const gv_td3_params *p, const gv_env_task *task,
                       int n_envs, int n_threads, uint64_t seed, gv_err *err) {
  *out = NULL;
  if (n_envs < 1) return gv_fail(err, GV_EINVAL, "td3: %d env copies (allowed: >= 1)", n_envs);
  if (p->schedule == GV_TD3_SCHEDULE_EPISODE && n_envs != 1)
    return gv_fail(err, GV_EINVAL, "td3: schedule episode runs one env copy, not %d (allowed: "
                   "run.envs 1)", n_envs);
  gv_td3 *o = calloc(1, sizeof *o);
  if (!o) return gv_fail(err, GV_ENOMEM, "td3: out of memory");
  o->p = *p;
  const gv_env_type *ty = task->type;
  o->D = ty->obs_dim;
  o->A = ty->act_dim;
  o->K = n_envs;
  o->N = (int)p->batch;
  o->lo = ty->act_low;
  o->hi = ty->act_high;
  o->mid = 0.5 * (o->lo + o->hi);
  o->h = 0.5 * (o->hi - o->lo);
  o->Dn = o->D + (p->absorbing != 0);
  const int D = o->D, A = o->A, K = o->K, N = o->N, Dn = o->Dn, DA = Dn + A;

  gv_nn_spec sa, sc;
  gv_status st = net_spec(&sa, p, D, A, GV_NN_ACT_TANH, err);
  if (!st) st = net_spec(&sc, p, DA, 1, GV_NN_ACT_LINEAR, err);
  if (!st) st = gv_policy_alloc(&o->pi, &sa, ty->name, o->lo, o->hi, 1e-4, err);
  if (st) goto fail;
  o->pi->kind = GV_POLICY_DETERMINISTIC;
  o->pi->norm_obs = p->norm_obs;
  o->pi->clip_obs = p->clip_obs;
  o->pi->steps = 0;
  if ((st = gv_nn_alloc(&o->actor_t, &sa, err)) || (st = gv_nn_alloc(&o->q1, &sc, err)) ||
      (st = gv_nn_alloc(&o->q2, &sc, err)) || (st = gv_nn_alloc(&o->q1_t, &sc, err)) ||
      (st = gv_nn_alloc(&o->q2_t, &sc, err)))
    goto fail;
  /* actor, then critic 1, then critic 2, from one stream; targets start equal */
  gsl_rng *ri = gv_rng_alloc(seed, "td3_init", 0);
  if (!ri) {
    st = gv_fail(err, GV_ENOMEM, "td3: out of memory");
    goto fail;
  }
  if (p->init == GV_TD3_INIT_ORTHOGONAL) {
    st = gv_nn_init_params(o->pi->actor, GV_NN_INIT_ORTHOGONAL, 1.0, 0.01, ri, err);
    if (!st) st = gv_nn_init_params(o->q1, GV_NN_INIT_ORTHOGONAL, 1.0, 1.0, ri, err);
    if (!st) st = gv_nn_init_params(o->q2, GV_NN_INIT_ORTHOGONAL, 1.0, 1.0, ri, err);
  } else {
    st = torch_init(o->pi->actor, ri, err);
    if (!st) st = torch_init(o->q1, ri, err);
    if (!st) st = torch_init(o->q2, ri, err);
  }
  gsl_rng_free(ri);
  if (st) goto fail;
  gv_nn_copy(o->actor_t, o->pi->actor);
  gv_nn_copy(o->q1_t, o->q1);
  gv_nn_copy(o->q2_t, o->q2);

  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_ADAM);
  os.eps = p->adam_eps;
  os.lr = p->actor_lr;
  os.clip_norm = p->actor_clip_norm;
  if ((st = gv_nn_optim_alloc(&o->opt_a, &os, o->pi->actor->nparam, err))) goto fail;
  os.lr = p->critic_lr;
  os.clip_norm = 0.0;
  if ((st = gv_nn_optim_alloc(&o->opt_q1, &os, o->q1->nparam, err)) ||
      (st = gv_nn_optim_alloc(&o->opt_q2, &os, o->q2->nparam, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_act, &sa, K, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_a, &sa, N, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_at, &sa, N, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_q1, &sc, N, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_q2, &sc, N, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_t, &sc, N, err)) ||
      (st = gv_replay_alloc(&o->rb, p->buffer, Dn, A, err)))
    goto fail;

#define GV_TD3_ALLOC_(ptr, n)                                          \
  do {                                                                 \
    const size_t n_ = (size_t)(n);                                     \
    (ptr) = calloc(n_ > 0 ? n_ : 1, sizeof *(ptr));                    \
    if (!(ptr)) {                                                      \
      st = gv_fail(err, GV_ENOMEM, "td3: out of memory");              \
      goto fail;                                                       \
    }                                                                  \
  } while (0)
  GV_TD3_ALLOC_(o->b.obs, (size_t)N * Dn);
  GV_TD3_ALLOC_(o->b.next_obs, (size_t)N * Dn);
  GV_TD3_ALLOC_(o->xo, (size_t)N * D);
  GV_TD3_ALLOC_(o->xn, (size_t)N * D);
  GV_TD3_ALLOC_(o->abs_o, N);
  GV_TD3_ALLOC_(o->abs_n, N);
  GV_TD3_ALLOC_(o->row_o, Dn);
  GV_TD3_ALLOC_(o->row_n, Dn);
  GV_TD3_ALLOC_(o->act0, A);
  GV_TD3_ALLOC_(o->b.act, (size_t)N * A);
  GV_TD3_ALLOC_(o->b.rew, N);
  GV_TD3_ALLOC_(o->b.done, N);
  GV_TD3_ALLOC_(o->idx, N);
  GV_TD3_ALLOC_(o->eps, (size_t)N * A);
  GV_TD3_ALLOC_(o->a_next, (size_t)N * A);
  GV_TD3_ALLOC_(o->sa, (size_t)N * DA);
  GV_TD3_ALLOC_(o->sa_next, (size_t)N * DA);
  GV_TD3_ALLOC_(o->sa_pi, (size_t)N * DA);
  GV_TD3_ALLOC_(o->dsa, (size_t)N * DA);
  GV_TD3_ALLOC_(o->y, N);
  GV_TD3_ALLOC_(o->q1n, N);
  GV_TD3_ALLOC_(o->dq, N);
  GV_TD3_ALLOC_(o->da, (size_t)N * A);
  GV_TD3_ALLOC_(o->cur_obs, (size_t)K * D);
  GV_TD3_ALLOC_(o->prev_obs, (size_t)K * D);
  GV_TD3_ALLOC_(o->cur_norm, (size_t)K * D);
  GV_TD3_ALLOC_(o->env_act, (size_t)K * A);
  GV_TD3_ALLOC_(o->env_rew, K);
  GV_TD3_ALLOC_(o->env_term, K);
  GV_TD3_ALLOC_(o->env_trunc, K);
#undef GV_TD3_ALLOC_
  for (int j = 0; j < A; ++j) o->act0[j] = o->mid;
  o->ep_random = 1;

  o->rng_explore = gv_rng_alloc(seed, "td3_explore", 0);
  o->rng_replay = gv_rng_alloc(seed, "td3_replay", 0);
  o->rng_target = gv_rng_alloc(seed, "td3_target", 0);
  if (!o->rng_explore || !o->rng_replay || !o->rng_target) {
    st = gv_fail(err, GV_ENOMEM, "td3: out of memory");
    goto fail;
  }
  if ((st = gv_env_vec_alloc(&o->vec, task, K, n_threads, seed, err))) goto fail;
  if ((st = gv_env_vec_reset(o->cur_obs, o->vec, err))) goto fail;
  if (p->norm_obs) gv_rms_update(o->pi->obs_rms, o->cur_obs, K);
  gv_policy_obs(o->cur_norm, o->pi, o->cur_obs, K);
  *out = o;
  return GV_OK;
fail:
  gv_td3_free(o);
  return st;
}

/* [x | a] rows (n x (D + A)). */
static void concat(float *sa, const float *x, const float *a, int n, int D, int A) {
  for (int i = 0; i < n; ++i) {
    memcpy(sa + (size_t)i * (D + A), x + (size_t)i * D, (size_t)D * sizeof(float));
    memcpy(sa + (size_t)i * (D + A) + D, a + (size_t)i * A, (size_t)A * sizeof(float));
  }
}

/* One critic's MSE step towards o->y on o->sa. */
static gv_status critic_step(gv_td3 *o, gv_nn *q, gv_nn_ws *ws, gv_nn_optim *opt, double *loss,
                             double *mean, const char *name, gv_err *err) {
  const int N = o->N;
  gv_nn_forward(ws, q, o->sa, N);
  const float *v = ws->out;
  double l = 0.0, m = 0.0;
  const float s = 2.0f / (float)N;
  for (int i = 0; i < N; ++i) {
    const float d = v[i] - o->y[i];
    l += (double)d * d;
    m += v[i];
    o->dq[i] = s * d;
  }
  *loss = l / N;
  *mean = m / N;
  if (!isfinite(*loss))
    return gv_fail(err, GV_EDIVERGED, "td3: %s loss %g at update %ld", name, *loss,
                   o->updates + 1);
  gv_nn_zero_grad(q);
  gv_nn_backward(q->grad, NULL, q, ws, o->dq);
  double gn;
  if (gv_nn_optim_step(q->param, opt, q->grad, &gn))
    return gv_fail(err, GV_EDIVERGED, "td3: %s gradient norm %g at update %ld", name, gn,
                   o->updates + 1);
  return GV_OK;
}

/* The env's columns of n rows of Dn = D + 1 (into x) and their indicator. */
static void split_absorbing(float *x, float *ind, const float *rows, int n, int D) {
  for (int i = 0; i < n; ++i) {
    memcpy(x + (size_t)i * D, rows + (size_t)i * (D + 1), (size_t)D * sizeof(float));
    ind[i] = rows[(size_t)i * (D + 1) + D];
  }
}

void gv_td3_set_hooks(gv_td3 *o, const gv_td3_hooks *h) {
  if (h) o->hooks = *h;
  else memset(&o->hooks, 0, sizeof o->hooks);
}

gv_status gv_td3_update(gv_td3 *o, gv_td3_update_out *u, gv_err *err) {
  const int N = o->N, D = o->D, A = o->A, Dn = o->Dn, DA = Dn + A;
  const int absorbing = Dn > D;
  gv_policy *pi = o->pi;
  memset(u, 0, sizeof *u);
  u->actor_loss = NAN;
  if (o->rb->size < 1) return gv_fail(err, GV_EINVAL, "td3: update from an empty buffer");
  gv_status st;
  if (o->hooks.pre_update && o->p.schedule == GV_TD3_SCHEDULE_STEP &&
      (st = o->hooks.pre_update(o->hooks.ctx, o, err)))
    return st;
  gv_replay_sample(o->idx, o->rb, N, o->rng_replay);
  gv_replay_gather(&o->b, o->rb, o->idx, N, NULL, 0.0, 0.0);
  if (o->hooks.reward &&
      (st = o->hooks.reward(o->hooks.ctx, o->b.rew, o->b.obs, o->b.act, N, err)))
    return st;
  if (o->p.norm_obs) gv_replay_batch_normalize(&o->b, N, Dn, pi->obs_rms, pi->obs_eps,
                                               pi->clip_obs);
  /* the actor's inputs: the env's columns */
  const float *xo = o->b.obs, *xn = o->b.next_obs;
  if (absorbing) {
    split_absorbing(o->xo, o->abs_o, o->b.obs, N, D);
    split_absorbing(o->xn, o->abs_n, o->b.next_obs, N, D);
    xo = o->xo;
    xn = o->xn;
  }
  /* target: smoothed target action, clipped double Q */
  gv_nn_forward(o->ws_at, o->actor_t, xn, N);
  for (int k = 0; k < N * A; ++k) o->eps[k] = (float)gv_rng_normal(o->rng_target);
  gv_td3_smooth_action(o->a_next, o->ws_at->out, o->eps, N, A, o->lo, o->hi, o->p.policy_noise,
                       o->p.noise_clip);
  if (absorbing) gv_td3_absorbing_action(o->a_next, o->abs_n, N, A, o->lo, o->hi);
  concat(o->sa_next, o->b.next_obs, o->a_next, N, Dn, A);
  gv_nn_forward(o->ws_t, o->q1_t, o->sa_next, N);
  memcpy(o->q1n, o->ws_t->out, (size_t)N * sizeof(float));
  gv_nn_forward(o->ws_t, o->q2_t, o->sa_next, N);
  gv_td3_target(o->y, o->b.rew, o->b.done, o->q1n, o->ws_t->out, N, o->p.gamma);
  double ym = 0.0;
  for (int i = 0; i < N; ++i) ym += o->y[i];
  u->target_mean = ym / N;
  /* critics */
  concat(o->sa, o->b.obs, o->b.act, N, Dn, A);
  st = critic_step(o, o->q1, o->ws_q1, o->opt_q1, &u->q1_loss, &u->q1_mean, "critic 1",
                             err);
  if (!st) st = critic_step(o, o->q2, o->ws_q2, o->opt_q2, &u->q2_loss, &u->q2_mean, "critic 2",
                            err);
  if (st) return st;
  o->updates++;
  if (o->updates % o->p.policy_delay) return GV_OK;
  const float tau = (float)o->p.tau;
  if (o->updates <= o->p.actor_delay) {
    /* DAC: before the actor starts, the critics' targets still follow */
    gv_nn_polyak(o->q1_t, o->q1, tau);
    gv_nn_polyak(o->q2_t, o->q2, tau);
    return GV_OK;
  }
  /* delayed actor step: minimise -mean Q1(s, mu(s)) through dQ1/da */
  gv_nn *actor = pi->actor;
  gv_nn_forward(o->ws_a, actor, xo, N);
  const float *t = o->ws_a->out;
  const float mid = (float)o->mid, h = (float)o->h;
  for (int i = 0; i < N; ++i) {
    memcpy(o->sa_pi + (size_t)i * DA, o->b.obs + (size_t)i * Dn, (size_t)Dn * sizeof(float));
    for (int j = 0; j < A; ++j) o->sa_pi[(size_t)i * DA + Dn + j] = mid + h * t[(size_t)i * A + j];
  }
  gv_nn_forward(o->ws_q1, o->q1, o->sa_pi, N);
  /* the mean over the rows the actor acts on (absorbing ones excluded) */
  int m = N;
  if (absorbing)
    for (int i = 0; i < N; ++i) m -= o->abs_o[i] != 0.0f;
  double qm = 0.0;
  for (int i = 0; i < N; ++i) {
    const int act_here = !absorbing || o->abs_o[i] == 0.0f;
    if (act_here) qm += o->ws_q1->out[i];
    o->dq[i] = act_here ? -1.0f / (float)m : 0.0f;
  }
  /* a batch of absorbing rows only has nothing for the actor: no actor step
   * and no target update this cycle (Adam would move on momentum alone) */
  if (m == 0) return GV_OK;
  u->actor_loss = -qm / m;
  if (!isfinite(u->actor_loss))
    return gv_fail(err, GV_EDIVERGED, "td3: actor loss %g at update %ld", u->actor_loss,
                   o->updates);
  gv_nn_backward(NULL, o->dsa, o->q1, o->ws_q1, o->dq);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < A; ++j) o->da[(size_t)i * A + j] = h * o->dsa[(size_t)i * DA + Dn + j];
  gv_nn_zero_grad(actor);
  gv_nn_backward(actor->grad, NULL, actor, o->ws_a, o->da);
  double gn;
  if (gv_nn_optim_step(actor->param, o->opt_a, actor->grad, &gn))
    return gv_fail(err, GV_EDIVERGED, "td3: actor gradient norm %g at update %ld", gn,
                   o->updates);
  gv_nn_polyak(o->actor_t, actor, tau);
  gv_nn_polyak(o->q1_t, o->q1, tau);
  gv_nn_polyak(o->q2_t, o->q2, tau);
  u->actor_updated = 1;
  o->actor_updates++;
  return GV_OK;
}

static int params_finite(const gv_td3 *o) {
  const gv_nn *nets[] = {o->pi->actor, o->q1, o->q2, o->actor_t, o->q1_t, o->q2_t};
  for (size_t i = 0; i < sizeof nets / sizeof nets[0]; ++i)
    if (!isfinite(gv_nn_vec_norm(nets[i]->param, nets[i]->nparam))) return 0;
  return 1;
}

/* Whether the next env step acts uniformly at random (header: schedules). */
static int acts_at_random(const gv_td3 *o) {
  if (o->p.schedule == GV_TD3_SCHEDULE_EPISODE)
    return o->ep_random || o->rb->size < o->p.random_steps;
  return o->steps < (o->p.random_steps < 0 ? o->p.learning_starts : o->p.random_steps);
}

/* The updates owed (o->credit, whole ones), their sums into sum and s. */
static gv_status update_block(gv_td3 *o, gv_td3_stats *s, double *sum, gv_err *err) {
  while (o->credit >= 1.0) {
    o->credit -= 1.0;
    gv_td3_update_out u;
    gv_status st = gv_td3_update(o, &u, err);
    if (st) return st;
    sum[0] += u.q1_loss;
    sum[1] += u.q2_loss;
    sum[2] += u.q1_mean;
    sum[3] += u.q2_mean;
    sum[4] += u.target_mean;
    s->updates++;
    if (u.actor_updated) {
      sum[5] += u.actor_loss;
      s->actor_updates++;
    }
  }
  return GV_OK;
}

/* Schedule episode, at an episode's end: its block of updates, then the
 * next episode's random flag and actor learning rate. */
static gv_status episode_block(gv_td3 *o, gv_td3_stats *s, double *sum, gv_err *err) {
  const long T = o->ep_steps;
  o->ep_steps = 0;
  gv_status st = GV_OK;
  if (o->rb->size >= o->p.learning_starts) {
    if (o->hooks.pre_block && (st = o->hooks.pre_block(o->hooks.ctx, o, T, err))) return st;
    o->credit += (double)T * o->p.updates_per_step;
    st = update_block(o, s, sum, err);
  }
  o->ep_random = o->actor_updates == 0;
  if (o->p.actor_lr_halve_every > 0)
    o->opt_a->spec.lr = o->p.actor_lr * pow(0.5, (double)(o->steps / o->p.actor_lr_halve_every));
  return st;
}

gv_status gv_td3_iterate(gv_td3 *o, gv_td3_stats *s, gv_err *err) {
  memset(s, 0, sizeof *s);
  const int D = o->D, A = o->A, K = o->K;
  gv_policy *pi = o->pi;
  const long nvec = (o->p.log_every + K - 1) / K;
  double sum[6] = {0}, ep_ret = 0.0, ep_len = 0.0;
  gv_status st = GV_OK;
  for (long t = 0; t < nvec && !st; ++t) {
    const double t0 = gv_now();
    if (acts_at_random(o)) {
      for (int q = 0; q < K * A; ++q)
        o->env_act[q] = o->lo + (o->hi - o->lo) * gsl_rng_uniform(o->rng_explore);
    } else {
      gv_nn_forward(o->ws_act, pi->actor, o->cur_norm, K);
      const double sd = o->p.expl_noise * o->h;
      for (int q = 0; q < K * A; ++q) {
        double a = o->mid + o->h * (double)o->ws_act->out[q] + sd * gv_rng_normal(o->rng_explore);
        if (!isfinite(a))
          return gv_fail(err, GV_EDIVERGED, "td3: non-finite action %g (copy %d, index %d) at "
                         "step %ld", a, q / A, q % A, o->steps);
        o->env_act[q] = a < o->lo ? o->lo : a > o->hi ? o->hi : a;
      }
    }
    memcpy(o->prev_obs, o->cur_obs, (size_t)K * D * sizeof(double));
    if ((st = gv_env_vec_step(o->cur_obs, o->env_rew, o->env_term, o->env_trunc, o->vec,
                              o->env_act, err)))
      return st;
    const double *fo = gv_env_vec_final_obs(o->vec);
    for (int k = 0; k < K; ++k) {
      const int end = o->env_term[k] || o->env_trunc[k];
      const double *so = o->prev_obs + (size_t)k * D, *sn = (end ? fo : o->cur_obs) + (size_t)k * D;
      if (o->Dn == D) {
        gv_replay_add(o->rb, so, o->env_act + (size_t)k * A, o->env_rew[k], sn, o->env_term[k],
                      o->env_trunc[k]);
      } else {
        /* DAC: a termination leads to s_a, then (s_a, a_0) -> s_a; nothing is done */
        memcpy(o->row_o, so, (size_t)D * sizeof(double));
        o->row_o[D] = 0.0;
        if (o->env_term[k]) {
          memset(o->row_n, 0, (size_t)D * sizeof(double));
          o->row_n[D] = 1.0;
        } else {
          memcpy(o->row_n, sn, (size_t)D * sizeof(double));
          o->row_n[D] = 0.0;
        }
        gv_replay_add(o->rb, o->row_o, o->env_act + (size_t)k * A, o->env_rew[k], o->row_n, 0,
                      o->env_trunc[k] && !o->env_term[k]);
        if (o->env_term[k]) gv_replay_add(o->rb, o->row_n, o->act0, 0.0, o->row_n, 0, 0);
      }
      if (end) {
        ep_ret += gv_env_vec_final_return(o->vec, k);
        ep_len += (double)gv_env_vec_final_length(o->vec, k);
        s->episodes++;
      }
    }
    if (o->p.norm_obs) gv_rms_update(pi->obs_rms, o->cur_obs, K);
    gv_policy_obs(o->cur_norm, pi, o->cur_obs, K);
    o->steps += K;
    pi->steps = o->steps;
    const double t1 = gv_now();
    s->t_env += t1 - t0;
    if (o->p.schedule == GV_TD3_SCHEDULE_EPISODE) {
      o->ep_steps++;
      if (o->env_term[0] || o->env_trunc[0]) st = episode_block(o, s, sum, err);
    } else if (o->steps > o->p.learning_starts) {
      if (o->p.actor_lr_halve_every > 0)
        o->opt_a->spec.lr =
            o->p.actor_lr * pow(0.5, (double)(o->steps / o->p.actor_lr_halve_every));
      o->credit += K * o->p.updates_per_step;
      st = update_block(o, s, sum, err);
    }
    s->t_update += gv_now() - t1;
  }
  const double nu = (double)s->updates;
  s->q1_loss = nu ? sum[0] / nu : NAN;
  s->q2_loss = nu ? sum[1] / nu : NAN;
  s->q1_mean = nu ? sum[2] / nu : NAN;
  s->q2_mean = nu ? sum[3] / nu : NAN;
  s->target_mean = nu ? sum[4] / nu : NAN;
  s->actor_loss = s->actor_updates ? sum[5] / s->actor_updates : NAN;
  s->ep_return = s->episodes ? ep_ret / s->episodes : NAN;
  s->ep_length = s->episodes ? ep_len / s->episodes : NAN;
  if (st) return st;
  if (!params_finite(o))
    return gv_fail(err, GV_EDIVERGED, "td3: non-finite parameters after update %ld", o->updates);
  return GV_OK;
}

gv_policy *gv_td3_policy(gv_td3 *o) { return o->pi; }
gv_replay *gv_td3_replay(gv_td3 *o) { return o->rb; }
long gv_td3_steps(const gv_td3 *o) { return o->steps; }
long gv_td3_updates(const gv_td3 *o) { return o->updates; }
double gv_td3_actor_lr(const gv_td3 *o) { return gv_nn_optim_lr(o->opt_a); }

gv_td3_nets gv_td3_get_nets(gv_td3 *o) {
  gv_td3_nets n = {o->pi->actor, o->actor_t, o->q1, o->q2, o->q1_t, o->q2_t};
  return n;
}

void gv_td3_ckpt(gv_td3 *o, gv_ckpt *c) {
  const size_t D = (size_t)o->D, A = (size_t)o->A, K = (size_t)o->K, Dn = (size_t)o->Dn;
  gv_policy_ckpt(o->pi, c, "pi");
  gv_nn *nets[] = {o->actor_t, o->q1, o->q2, o->q1_t, o->q2_t};
  static const char *const net_names[] = {"actor_t", "q1", "q2", "q1_t", "q2_t"};
  for (int i = 0; i < 5; ++i) gv_nn_ckpt(nets[i], c, net_names[i]);
  gv_nn_optim *opts[] = {o->opt_a, o->opt_q1, o->opt_q2};
  gsl_rng *rngs[] = {o->rng_explore, o->rng_replay, o->rng_target};
  static const char *const opt_names[] = {"opt_a", "opt_q1", "opt_q2"};
  static const char *const rng_names[] = {"rng_explore", "rng_replay", "rng_target"};
  for (int i = 0; i < 3; ++i) {
    gv_nn_optim_ckpt(opts[i], c, opt_names[i]);
    gv_ckpt_rng(c, rng_names[i], rngs[i]);
  }
  gv_replay_ckpt(o->rb, c, "replay");
  int64_t n[6] = {o->steps, o->updates, o->actor_updates, o->ep_steps, o->ep_random, 0};
  gv_ckpt_longs(c, "counters", n, 6);
  o->steps = n[0], o->updates = n[1], o->actor_updates = n[2], o->ep_steps = n[3];
  o->ep_random = (int)n[4];
  /* the actor's halved learning rate is a function of the counters: of the
   * env steps at the current episode's start (schedule episode) or now
   * (schedule step, once updates have begun) */
  if (o->p.actor_lr_halve_every > 0) {
    const int ep = o->p.schedule == GV_TD3_SCHEDULE_EPISODE;
    const long at = ep ? o->steps - o->ep_steps : o->steps;
    if (ep || o->steps > o->p.learning_starts)
      o->opt_a->spec.lr = o->p.actor_lr * pow(0.5, (double)(at / o->p.actor_lr_halve_every));
  }
  gv_ckpt_double(c, "credit", &o->credit);
  gv_ckpt_doubles(c, "cur_obs", o->cur_obs, K * D);
  gv_ckpt_doubles(c, "prev_obs", o->prev_obs, K * D);
  gv_ckpt_floats(c, "cur_norm", o->cur_norm, K * D);
  gv_ckpt_doubles(c, "env_act", o->env_act, K * A);
  gv_ckpt_doubles(c, "env_rew", o->env_rew, K);
  gv_ckpt_bytes(c, "env_term", o->env_term, K * sizeof *o->env_term);
  gv_ckpt_bytes(c, "env_trunc", o->env_trunc, K * sizeof *o->env_trunc);
  gv_ckpt_doubles(c, "row_o", o->row_o, Dn);
  gv_ckpt_doubles(c, "row_n", o->row_n, Dn);
  gv_ckpt_doubles(c, "act0", o->act0, A);
  gv_env_vec_ckpt(o->vec, c, "vec");
}
