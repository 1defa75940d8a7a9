/* PPO (agents/ppo.h): losses, GAE, rollout and update.
 *
 * Time goes to three places: the vector env (T threads), the actor forward
 * of the K copies once per env step (one sgemm batch on the calling thread),
 * and the update (epochs x minibatches of small sgemms).  The update splits
 * naturally in two: the actor's loss and the critic's loss share no
 * parameter, so with update_threads = 2 a second thread computes the
 * critic's gradient while the calling thread computes the actor's; they meet
 * once per minibatch for the one global gradient-norm clip (CleanRL's
 * clip_grad_norm_ over all parameters), so the result is the same for 1 or 2
 * update threads.  Values for GAE are computed after the rollout in one batch
 * (the critic does not change during a rollout, so this equals CleanRL's
 * per-step evaluation). */
#include "agents/ppo.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/checkpoint.h"
#include "core/rng.h"
#include "nn/init.h"

/* ------------------------------------------------------------- parameters */

const gv_param gv_ppo_param_table[] = {
    GV_PARAM_INT(gv_ppo_params, rollout, "2048", 1, 1e8, "env steps per update, over all copies"),
    GV_PARAM_INT(gv_ppo_params, minibatches, "32", 1, 1e6, "minibatches per epoch"),
    GV_PARAM_INT(gv_ppo_params, epochs, "10", 1, 1e4, "passes over each rollout"),
    GV_PARAM_REALX(gv_ppo_params, lr, "3e-4", 0, 1, GV_P_LO_OPEN, "Adam learning rate"),
    GV_PARAM_REALX(gv_ppo_params, adam_eps, "1e-5", 0, 1, GV_P_LO_OPEN, "Adam epsilon"),
    GV_PARAM_BOOL(gv_ppo_params, anneal_lr, "true", "anneal the learning rate linearly to 0"),
    GV_PARAM_REAL(gv_ppo_params, gamma, "0.99", 0, 1, "discount"),
    GV_PARAM_REAL(gv_ppo_params, gae_lambda, "0.95", 0, 1, "GAE lambda"),
    GV_PARAM_REALX(gv_ppo_params, clip, "0.2", 0, 10, GV_P_LO_OPEN,
                   "clip of the probability ratio (and of the value change)"),
    GV_PARAM_BOOL(gv_ppo_params, clip_vloss, "true", "clipped value loss"),
    GV_PARAM_BOOL(gv_ppo_params, norm_adv, "true", "normalise advantages per minibatch"),
    GV_PARAM_REAL(gv_ppo_params, ent_coef, "0", 0, 10, "entropy bonus coefficient"),
    GV_PARAM_REAL(gv_ppo_params, vf_coef, "0.5", 0, 100, "value loss coefficient"),
    GV_PARAM_REAL(gv_ppo_params, max_grad_norm, "0.5", 0, 1e6,
                  "global gradient-norm clip over all parameters (0: none)"),
    GV_PARAM_REAL(gv_ppo_params, target_kl, "0", 0, 1e6,
                  "stop an update's epochs when approx KL exceeds it (0: never)"),
    GV_PARAM_INT(gv_ppo_params, hidden, "64", 1, 4096, "width of the hidden layers"),
    GV_PARAM_INT(gv_ppo_params, depth, "2", 1, GV_NN_MAX_LAYERS - 1, "hidden layers"),
    GV_PARAM_REAL(gv_ppo_params, log_std_init, "0", -20, 5, "initial log standard deviation"),
    GV_PARAM_BOOL(gv_ppo_params, norm_obs, "true", "running observation normalisation"),
    GV_PARAM_REALX(gv_ppo_params, clip_obs, "10", 0, 1e6, GV_P_LO_OPEN,
                   "clip of normalised observations"),
    GV_PARAM_BOOL(gv_ppo_params, norm_reward, "true",
                  "scale rewards by the std of the discounted return"),
    GV_PARAM_REALX(gv_ppo_params, clip_reward, "10", 0, 1e6, GV_P_LO_OPEN,
                   "clip of scaled rewards"),
    GV_PARAM_BOOL(gv_ppo_params, bootstrap_truncation, "true",
                  "time-limit ends bootstrap from V(final observation) (CleanRL: false)"),
    GV_PARAM_INT(gv_ppo_params, update_threads, "1", 1, 2,
                 "threads of the update (2: critic gradient in parallel; helps on idle cores "
                 "only)"),
    GV_PARAM_END,
};

const gv_component gv_agent_ppo = {
    "ppo", "proximal policy optimisation, Gaussian policy (CleanRL ppo_continuous_action)",
    "Schulman et al. 2017, arXiv 1707.06347, eq. 7; GAE: arXiv 1506.02438, eq. 16",
    gv_ppo_param_table, sizeof(gv_ppo_params)};

/* ------------------------------------------------------------ GAE, losses */

void gv_ppo_gae(float *adv, float *ret, const float *rew, const float *val,
                const uint8_t *term, const uint8_t *trunc, const float *boot,
                const float *last_val, int T, int K, double gamma, double lambda) {
  const float g = (float)gamma, gl = (float)(gamma * lambda);
  for (int k = 0; k < K; ++k) {
    float last = 0.0f;
    for (int t = T - 1; t >= 0; --t) {
      const size_t i = (size_t)t * K + k;
      float next, cont;
      if (term[i]) {
        next = 0.0f;
        cont = 0.0f;
      } else if (trunc[i]) {
        next = boot[i];
        cont = 0.0f;
      } else {
        next = t == T - 1 ? last_val[k] : val[i + K];
        cont = 1.0f;
      }
      const float delta = rew[i] + g * next - val[i];
      last = delta + gl * cont * last;
      adv[i] = last;
      ret[i] = last + val[i];
    }
  }
}

void gv_ppo_scale_rewards(float *rew, const double *raw, const uint8_t *ended, int T, int K,
                          double *disc_ret, gv_rms *ret_rms, double gamma, double clip, int on) {
  for (int t = 0; t < T; ++t) {
    const size_t row = (size_t)t * K;
    if (on) {
      for (int k = 0; k < K; ++k) disc_ret[k] = disc_ret[k] * gamma + raw[row + k];
      gv_rms_update(ret_rms, disc_ret, K);
    }
    const double rs = on ? 1.0 / sqrt(ret_rms->var[0] + 1e-8) : 1.0;
    for (int k = 0; k < K; ++k) {
      double r = raw[row + k] * rs;
      if (on) r = r < -clip ? -clip : r > clip ? clip : r;
      rew[row + k] = (float)r;
      if (ended[row + k]) disc_ret[k] = 0.0;
    }
  }
}

void gv_ppo_actor_loss(gv_ppo_actor_out *out, float *dactor, float *dlog_std,
                       const gv_nn *actor, const float *log_std, gv_nn_ws *ws,
                       const gv_ppo_batch *b, double clip, int norm_adv, double ent_coef,
                       float *scratch) {
  const int n = b->n, A = actor->spec.size[actor->spec.nlayer];
  gv_nn_forward(ws, actor, b->obs, n);
  const float *mu = ws->out;
  float *coef = scratch, *dmu = scratch + n;
  /* advantage normalisation: mean and unbiased std (torch's .std()) */
  double am = 0.0, as = 0.0;
  if (norm_adv) {
    for (int i = 0; i < n; ++i) am += b->adv[i];
    am /= n;
    for (int i = 0; i < n; ++i) as += (b->adv[i] - am) * (b->adv[i] - am);
    as = n > 1 ? sqrt(as / (n - 1)) : 0.0;
  }
  double inv_sigma[64], ls_sum = 0.0;
  double *isg = A <= 64 ? inv_sigma : malloc(sizeof *isg * (size_t)A);
  for (int j = 0; j < A; ++j) {
    isg[j] = exp(-(double)log_std[j]);
    ls_sum += log_std[j];
  }
  static const double half_log_2pi = 0.91893853320467274178;
  double pg = 0.0, kl = 0.0, cf = 0.0;
  for (int i = 0; i < n; ++i) {
    const float *a = b->act + (size_t)i * A, *m = mu + (size_t)i * A;
    double lp = -ls_sum - A * half_log_2pi;
    for (int j = 0; j < A; ++j) {
      const double z = ((double)a[j] - m[j]) * isg[j];
      lp -= 0.5 * z * z;
    }
    const double logratio = lp - b->logp[i], r = exp(logratio);
    kl += (r - 1.0) - logratio;
    cf += fabs(r - 1.0) > clip;
    const double adv = norm_adv ? (b->adv[i] - am) / (as + 1e-8) : b->adv[i];
    const double rc = r < 1.0 - clip ? 1.0 - clip : r > 1.0 + clip ? 1.0 + clip : r;
    const double l1 = -adv * r, l2 = -adv * rc;
    pg += l1 >= l2 ? l1 : l2;
    /* d max(l1, l2) / d r: -adv where the unclipped term is the max (inside
     * the clip range both terms are equal); 0 where the clipped one is */
    const double gr = l1 >= l2 ? -adv : 0.0;
    coef[i] = (float)(gr * r / n); /* d pg_loss / d log p_i */
  }
  /* d log p / d mu_j = (a_j - mu_j) / sigma_j^2,
   * d log p / d log_std_j = z_j^2 - 1 */
  for (int j = 0; j < A; ++j) {
    double gls = 0.0;
    for (int i = 0; i < n; ++i) {
      const double z = ((double)b->act[(size_t)i * A + j] - mu[(size_t)i * A + j]) * isg[j];
      dmu[(size_t)i * A + j] = (float)(coef[i] * z * isg[j]);
      gls += coef[i] * (z * z - 1.0);
    }
    /* entropy: d H / d log_std_j = 1 for every sample */
    dlog_std[j] += (float)(gls - ent_coef);
  }
  gv_nn_backward(dactor, NULL, actor, ws, dmu);
  out->pg_loss = pg / n;
  out->entropy = A * (0.5 + half_log_2pi) + ls_sum;
  out->approx_kl = kl / n;
  out->clip_frac = cf / n;
  if (isg != inv_sigma) free(isg);
}

double gv_ppo_critic_loss(float *dcritic, const gv_nn *critic, gv_nn_ws *ws,
                          const gv_ppo_batch *b, double clip, int clip_vloss, double vf_coef,
                          float *scratch) {
  const int n = b->n;
  gv_nn_forward(ws, critic, b->obs, n);
  const float *v = ws->out;
  double loss = 0.0;
  for (int i = 0; i < n; ++i) {
    const double e = (double)v[i] - b->ret[i];
    const double u = e * e;
    double gv = e; /* d (0.5 u) / d v */
    if (clip_vloss) {
      double dv = (double)v[i] - b->val[i];
      dv = dv < -clip ? -clip : dv > clip ? clip : dv;
      const double ec = b->val[i] + dv - b->ret[i], c = ec * ec;
      /* the clipped term exceeds the unclipped one only where v is outside
       * the clip range, and there it does not depend on v */
      if (c > u) {
        loss += 0.5 * c;
        gv = 0.0;
      } else {
        loss += 0.5 * u;
      }
    } else {
      loss += 0.5 * u;
    }
    scratch[i] = (float)(vf_coef * gv / n);
  }
  gv_nn_backward(dcritic, NULL, critic, ws, scratch);
  return loss / n;
}

/* ------------------------------------------------------------- the agent */

typedef struct mb_job {
  double v_loss;            /* critic loss of the minibatch */
  double norm2;             /* squared norm of the critic gradient */
} mb_job;

struct gv_ppo {
  gv_ppo_params p;          /* hyper-parameters */
  int obs_dim, act_dim;     /* sizes */
  int K, T;                 /* copies and steps per copy in a rollout */
  int batch, mb;            /* K * T rows, rows per minibatch */
  long updates, update;     /* annealing horizon, updates done */
  long steps;               /* env steps taken */

  gv_env_vec *vec;          /* K copies (owned) */
  gv_policy *pi;            /* actor, log-std, obs statistics (owned) */
  gv_nn *critic;            /* obs_dim -> hidden -> 1 (owned) */
  float *dlog_std;          /* gradient of log_std (act_dim) */
  gv_nn_optim *opt_actor, *opt_critic, *opt_ls; /* Adam, one per buffer, same spec */
  gv_nn_ws *ws_actor;       /* rows: max(K, mb) */
  gv_nn_ws *ws_critic;      /* rows: batch (the value pass) */
  gv_rms *ret_rms;          /* std of the discounted return (1) */
  double *disc_ret;         /* running discounted return per copy (K) */

  /* rollout buffers, time-major (row t * K + k) */
  float *obs;               /* normalised observations (batch x obs_dim) */
  float *act;               /* sampled actions, unclipped (batch x act_dim) */
  float *logp;              /* log-probs at sampling (batch) */
  float *rew;               /* scaled rewards (batch) */
  float *val;               /* V(obs) (batch) */
  float *adv, *ret;         /* GAE advantages and targets (batch) */
  float *boot;              /* V(final obs) on truncated rows (batch) */
  uint8_t *term, *trunc;    /* end flags (batch) */
  float *fin_obs;           /* normalised final observations of truncated rows (batch x obs_dim) */
  int *fin_row;             /* their rows (batch) */
  float *fin_val;           /* their values (batch) */
  double *cur_obs;          /* raw observations of the K copies (K x obs_dim) */
  float *cur_norm;          /* normalised (K x obs_dim) */
  double *env_act;          /* clipped actions sent to the env (K x act_dim) */
  double *env_rew;          /* raw rewards (K) */
  int *env_term, *env_trunc; /* flags (K) */
  float *last_val;          /* V of the observation after the rollout (K) */
  float *raw_obs;           /* raw observation s_t of each row (batch x obs_dim) */
  float *raw_act;           /* action sent to the env, clipped (batch x act_dim) */
  double *raw_rew;          /* env reward of each row, or the hook's (batch) */
  uint8_t *ended;           /* the row ended its episode (terminated or truncated) (batch) */
  gv_ppo_reward_hook hook;  /* replaces raw_rew after the rollout (NULL: env reward) */
  void *hook_ctx;

  gsl_rng *rng_action;      /* exploration noise */
  gsl_rng *rng_mb;          /* minibatch shuffles */
  size_t *perm;             /* row order of an epoch (batch) */

  /* minibatch gathers: actor side on the calling thread, critic side on the worker */
  float *a_obs, *a_act, *a_logp, *a_adv, *a_scratch; /* mb x ..., scratch mb x (2 + act_dim) */
  float *c_obs, *c_ret, *c_val, *c_scratch;          /* mb x ... */

  /* the update worker */
  pthread_t worker;
  int has_worker;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  atomic_ulong gen, gen_done; /* posted and finished jobs */
  atomic_int sleeping;      /* 1: the worker blocks on `go` (the poster must signal) */
  atomic_int waiting;       /* 1: the poster blocks on `done` (the worker must signal) */
  atomic_int quit;
  const size_t *job_rows;   /* minibatch rows of the posted job (mb) */
  mb_job job;               /* result of the posted job */
};

gv_policy *gv_ppo_policy(gv_ppo *ppo) { return ppo->pi; }
const float *gv_ppo_rollout_obs(const gv_ppo *ppo) { return ppo->raw_obs; }
void gv_ppo_set_reward_hook(gv_ppo *ppo, gv_ppo_reward_hook hook, void *ctx) {
  ppo->hook = hook;
  ppo->hook_ctx = ctx;
}
gv_nn *gv_ppo_critic(gv_ppo *ppo) { return ppo->critic; }
long gv_ppo_steps(const gv_ppo *ppo) { return ppo->steps; }

/* The critic half of a minibatch: gather, loss, gradient, squared norm. */
static void critic_job(gv_ppo *o, const size_t *rows) {
  const int D = o->obs_dim;
  for (int i = 0; i < o->mb; ++i) {
    const size_t r = rows[i];
    memcpy(o->c_obs + (size_t)i * D, o->obs + r * D, (size_t)D * sizeof(float));
    o->c_ret[i] = o->ret[r];
    o->c_val[i] = o->val[r];
  }
  gv_ppo_batch b = {o->mb, o->c_obs, NULL, NULL, NULL, o->c_ret, o->c_val};
  gv_nn_zero_grad(o->critic);
  o->job.v_loss = gv_ppo_critic_loss(o->critic->grad, o->critic, o->ws_critic, &b, o->p.clip,
                                     o->p.clip_vloss, o->p.vf_coef, o->c_scratch);
  const double nc = gv_nn_grad_norm(o->critic);
  o->job.norm2 = nc * nc;
}

/* Hand-offs happen 320 times per update, ~50 us apart: a futex sleep and
 * wake-up each time cost as much as the work (perf showed a third of the
 * update in the kernel's context switch).  So each side first spins for a
 * bounded time (SPIN_SECONDS), then blocks on the
 * condition variable.  A sleeper announces itself in `sleeping` / `waiting`
 * (sequentially consistent, Dekker-style: the poster stores the generation
 * and then loads the flag, the sleeper stores the flag and then re-loads the
 * generation under the mutex), so no wake-up is lost.  During the rollout
 * the worker sleeps. */
static const double SPIN_SECONDS = 100e-6;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Spins, then blocks, until *word != old (or quit).  flag announces a
 * blocked waiter on cond. */
static unsigned long await_change(gv_ppo *o, atomic_ulong *word, unsigned long old,
                                  atomic_int *flag, pthread_cond_t *cond) {
  unsigned long v;
  const double t0 = gv_now();
  for (int i = 1;; ++i) {
    if ((v = atomic_load(word)) != old || atomic_load(&o->quit)) return v;
    cpu_relax();
    if ((i & 63) == 0 && gv_now() - t0 > SPIN_SECONDS) break;
  }
  pthread_mutex_lock(&o->mu);
  atomic_store(flag, 1);
  while ((v = atomic_load(word)) == old && !atomic_load(&o->quit)) pthread_cond_wait(cond, &o->mu);
  atomic_store(flag, 0);
  pthread_mutex_unlock(&o->mu);
  return v;
}

/* Publishes *word = v and wakes a blocked waiter. */
static void publish(gv_ppo *o, atomic_ulong *word, unsigned long v, atomic_int *flag,
                    pthread_cond_t *cond) {
  atomic_store(word, v);
  if (atomic_load(flag)) {
    pthread_mutex_lock(&o->mu);
    pthread_cond_signal(cond);
    pthread_mutex_unlock(&o->mu);
  }
}

static void *worker_main(void *arg) {
  gv_ppo *o = arg;
  unsigned long seen = 0;
  for (;;) {
    seen = await_change(o, &o->gen, seen, &o->sleeping, &o->go);
    if (atomic_load(&o->quit)) break;
    critic_job(o, o->job_rows);
    publish(o, &o->gen_done, seen, &o->waiting, &o->done);
  }
  return NULL;
}

void gv_ppo_free(gv_ppo *o) {
  if (!o) return;
  if (o->has_worker) {
    pthread_mutex_lock(&o->mu);
    atomic_store(&o->quit, 1);
    pthread_cond_broadcast(&o->go);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->worker, NULL);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->go);
    pthread_cond_destroy(&o->done);
  }
  gv_env_vec_free(o->vec);
  gv_policy_free(o->pi);
  gv_nn_free(o->critic);
  gv_nn_optim_free(o->opt_actor);
  gv_nn_optim_free(o->opt_critic);
  gv_nn_optim_free(o->opt_ls);
  gv_nn_ws_free(o->ws_actor);
  gv_nn_ws_free(o->ws_critic);
  gv_rms_free(o->ret_rms);
  if (o->rng_action) gsl_rng_free(o->rng_action);
  if (o->rng_mb) gsl_rng_free(o->rng_mb);
  void *bufs[] = {o->dlog_std, o->disc_ret, o->obs, o->act, o->logp, o->rew, o->val, o->adv,
                  o->ret, o->boot, o->term, o->trunc, o->fin_obs, o->fin_row, o->fin_val,
                  o->cur_obs, o->cur_norm, o->env_act, o->env_rew, o->env_term, o->env_trunc,
                  o->last_val, o->perm, o->a_obs, o->a_act, o->a_logp, o->a_adv, o->a_scratch,
                  o->c_obs, o->c_ret, o->c_val, o->c_scratch, o->raw_obs, o->raw_act,
                  o->raw_rew, o->ended};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  free(o);
}

static gv_status net_spec(gv_nn_spec *s, const gv_ppo_params *p, int nin, int nout, gv_err *err) {
  int hidden[GV_NN_MAX_LAYERS];
  for (long l = 0; l < p->depth; ++l) hidden[l] = (int)p->hidden;
  return gv_nn_spec_mlp(s, nin, (int)p->depth, hidden, GV_NN_ACT_TANH, nout, GV_NN_ACT_LINEAR,
                        err);
}

gv_status gv_ppo_alloc(gv_ppo **out, const gv_ppo_params *p, const gv_env_task *task,
                       int n_envs, int n_threads, uint64_t seed, long updates, gv_err *err) {
  *out = NULL;
  if (n_envs < 1 || p->rollout % n_envs)
    return gv_fail(err, GV_EINVAL, "ppo: rollout %ld is not a multiple of the %d env copies",
                   p->rollout, n_envs);
  if (p->rollout % p->minibatches)
    return gv_fail(err, GV_EINVAL, "ppo: rollout %ld is not a multiple of minibatches %ld",
                   p->rollout, p->minibatches);
  gv_ppo *o = calloc(1, sizeof *o);
  if (!o) return gv_fail(err, GV_ENOMEM, "ppo: out of memory");
  o->p = *p;
  const gv_env_type *ty = task->type;
  o->obs_dim = ty->obs_dim;
  o->act_dim = ty->act_dim;
  o->K = n_envs;
  o->T = (int)(p->rollout / n_envs);
  o->batch = (int)p->rollout;
  o->mb = (int)(p->rollout / p->minibatches);
  o->updates = updates < 1 ? 1 : updates;
  const int D = o->obs_dim, A = o->act_dim, B = o->batch, K = o->K, M = o->mb;

  gv_nn_spec sa, sc;
  gv_status st = net_spec(&sa, p, D, A, err);
  if (!st) st = net_spec(&sc, p, D, 1, err);
  if (!st) st = gv_policy_alloc(&o->pi, &sa, ty->name, ty->act_low, ty->act_high, 1e-4, err);
  if (!st) st = gv_nn_alloc(&o->critic, &sc, err);
  if (st) goto fail;
  o->pi->norm_obs = p->norm_obs;
  o->pi->clip_obs = p->clip_obs;
  o->pi->steps = 0;
  /* CleanRL's layer_init: orthogonal, sqrt(2) on hidden layers, 0.01 on the
   * policy head, 1 on the value head; biases 0 */
  gsl_rng *ri = gv_rng_alloc(seed, "ppo_init", 0);
  st = gv_nn_init_params(o->pi->actor, GV_NN_INIT_ORTHOGONAL, sqrt(2.0), 0.01, ri, err);
  if (!st) st = gv_nn_init_params(o->critic, GV_NN_INIT_ORTHOGONAL, sqrt(2.0), 1.0, ri, err);
  gsl_rng_free(ri);
  if (st) goto fail;
  for (int j = 0; j < A; ++j) o->pi->log_std[j] = (float)p->log_std_init;

  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_ADAM);
  os.lr = p->lr;
  os.eps = p->adam_eps;
  /* the lr is set before every update (CleanRL anneals per update, not per
   * optimiser step); clipping is global, done here over the three buffers */
  if ((st = gv_nn_optim_alloc(&o->opt_actor, &os, o->pi->actor->nparam, err)) ||
      (st = gv_nn_optim_alloc(&o->opt_critic, &os, o->critic->nparam, err)) ||
      (st = gv_nn_optim_alloc(&o->opt_ls, &os, (size_t)A, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_actor, &sa, K > M ? K : M, err)) ||
      (st = gv_nn_ws_alloc(&o->ws_critic, &sc, B > K ? B : K, err)) ||
      (st = gv_rms_alloc(&o->ret_rms, 1, 1e-4, err)))
    goto fail;

#define GV_PPO_ALLOC_(ptr, n)                                          \
  do {                                                                 \
    const size_t n_ = (size_t)(n);                                     \
    (ptr) = calloc(n_ > 0 ? n_ : 1, sizeof *(ptr));                    \
    if (!(ptr)) {                                                      \
      st = gv_fail(err, GV_ENOMEM, "ppo: out of memory");              \
      goto fail;                                                       \
    }                                                                  \
  } while (0)
  GV_PPO_ALLOC_(o->dlog_std, A);
  GV_PPO_ALLOC_(o->disc_ret, K);
  GV_PPO_ALLOC_(o->obs, (size_t)B * D);
  GV_PPO_ALLOC_(o->act, (size_t)B * A);
  GV_PPO_ALLOC_(o->logp, B);
  GV_PPO_ALLOC_(o->rew, B);
  GV_PPO_ALLOC_(o->val, B);
  GV_PPO_ALLOC_(o->adv, B);
  GV_PPO_ALLOC_(o->ret, B);
  GV_PPO_ALLOC_(o->boot, B);
  GV_PPO_ALLOC_(o->term, B);
  GV_PPO_ALLOC_(o->trunc, B);
  GV_PPO_ALLOC_(o->fin_obs, (size_t)B * D);
  GV_PPO_ALLOC_(o->fin_row, B);
  GV_PPO_ALLOC_(o->fin_val, B);
  GV_PPO_ALLOC_(o->cur_obs, (size_t)K * D);
  GV_PPO_ALLOC_(o->cur_norm, (size_t)K * D);
  GV_PPO_ALLOC_(o->env_act, (size_t)K * A);
  GV_PPO_ALLOC_(o->env_rew, K);
  GV_PPO_ALLOC_(o->env_term, K);
  GV_PPO_ALLOC_(o->env_trunc, K);
  GV_PPO_ALLOC_(o->last_val, K);
  GV_PPO_ALLOC_(o->perm, B);
  GV_PPO_ALLOC_(o->a_obs, (size_t)M * D);
  GV_PPO_ALLOC_(o->a_act, (size_t)M * A);
  GV_PPO_ALLOC_(o->a_logp, M);
  GV_PPO_ALLOC_(o->a_adv, M);
  GV_PPO_ALLOC_(o->a_scratch, (size_t)M * (2 + A));
  GV_PPO_ALLOC_(o->c_obs, (size_t)M * D);
  GV_PPO_ALLOC_(o->c_ret, M);
  GV_PPO_ALLOC_(o->c_val, M);
  GV_PPO_ALLOC_(o->c_scratch, M);
  GV_PPO_ALLOC_(o->raw_obs, (size_t)B * D);
  GV_PPO_ALLOC_(o->raw_act, (size_t)B * A);
  GV_PPO_ALLOC_(o->raw_rew, B);
  GV_PPO_ALLOC_(o->ended, B);
#undef GV_PPO_ALLOC_

  o->rng_action = gv_rng_alloc(seed, "ppo_action", 0);
  o->rng_mb = gv_rng_alloc(seed, "ppo_minibatch", 0);
  if (!o->rng_action || !o->rng_mb) {
    st = gv_fail(err, GV_ENOMEM, "ppo: out of memory");
    goto fail;
  }
  if ((st = gv_env_vec_alloc(&o->vec, task, K, n_threads, seed, err))) goto fail;
  if ((st = gv_env_vec_reset(o->cur_obs, o->vec, err))) goto fail;
  if (p->norm_obs) gv_rms_update(o->pi->obs_rms, o->cur_obs, K);
  gv_policy_obs(o->cur_norm, o->pi, o->cur_obs, K);

  if (p->update_threads >= 2) {
    atomic_init(&o->gen, 0);
    atomic_init(&o->gen_done, 0);
    atomic_init(&o->sleeping, 0);
    atomic_init(&o->waiting, 0);
    atomic_init(&o->quit, 0);
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->go, NULL);
    pthread_cond_init(&o->done, NULL);
    if (pthread_create(&o->worker, NULL, worker_main, o) == 0) {
      o->has_worker = 1;
    } else {
      pthread_mutex_destroy(&o->mu);
      pthread_cond_destroy(&o->go);
      pthread_cond_destroy(&o->done);
    }
  }
  *out = o;
  return GV_OK;
fail:
  gv_ppo_free(o);
  return st;
}

/* -------------------------------------------------------------- rollout */

static gv_status rollout(gv_ppo *o, gv_ppo_stats *s, gv_err *err) {
  const int D = o->obs_dim, A = o->act_dim, K = o->K;
  gv_policy *pi = o->pi;
  const double lo = pi->act_low, hi = pi->act_high;
  const double rclip = o->p.clip_reward;
  int nfin = 0;
  double ep_ret = 0.0, ep_len = 0.0;
  long neps = 0;
  for (int t = 0; t < o->T; ++t) {
    const size_t row = (size_t)t * K;
    memcpy(o->obs + row * D, o->cur_norm, (size_t)K * D * sizeof(float));
    for (size_t q = 0; q < (size_t)K * D; ++q) o->raw_obs[row * D + q] = (float)o->cur_obs[q];
    gv_nn_forward(o->ws_actor, pi->actor, o->cur_norm, K);
    const float *mu = o->ws_actor->out;
    float *a = o->act + row * A;
    for (int k = 0; k < K; ++k) {
      for (int j = 0; j < A; ++j) {
        const size_t q = (size_t)k * A + j;
        const float eps = (float)gv_rng_normal(o->rng_action);
        a[q] = mu[q] + expf(pi->log_std[j]) * eps;
        /* the env gets the action clipped to its bounds (Gymnasium's
         * ClipAction, as in CleanRL); the buffer keeps the sample */
        const double c = a[q];
        if (!isfinite(c))
          return gv_fail(err, GV_EDIVERGED, "ppo: non-finite action %g (copy %d, index %d) at "
                         "update %ld", c, k, j, o->update + 1);
        o->env_act[q] = c < lo ? lo : c > hi ? hi : c;
        o->raw_act[row * A + q] = (float)o->env_act[q];
      }
      o->logp[row + k] = (float)gv_gauss_logp(a + (size_t)k * A, mu + (size_t)k * A,
                                              pi->log_std, A);
    }
    gv_status st = gv_env_vec_step(o->cur_obs, o->env_rew, o->env_term, o->env_trunc, o->vec,
                                   o->env_act, err);
    if (st) return st;
    if (o->p.norm_obs) gv_rms_update(pi->obs_rms, o->cur_obs, K);
    gv_policy_obs(o->cur_norm, pi, o->cur_obs, K);
    const double *fo = gv_env_vec_final_obs(o->vec);
    for (int k = 0; k < K; ++k) {
      o->raw_rew[row + k] = o->env_rew[k];
      o->ended[row + k] = (uint8_t)(o->env_term[k] || o->env_trunc[k]);
      const int te = o->env_term[k] != 0, tr = !te && o->env_trunc[k];
      o->term[row + k] = (uint8_t)te;
      /* without bootstrapping a time-limit end is a termination (CleanRL) */
      o->trunc[row + k] = (uint8_t)(tr && o->p.bootstrap_truncation);
      if (tr && !o->p.bootstrap_truncation) o->term[row + k] = 1;
      o->boot[row + k] = 0.0f;
      if (tr && o->p.bootstrap_truncation) {
        gv_policy_obs(o->fin_obs + (size_t)nfin * D, pi, fo + (size_t)k * D, 1);
        o->fin_row[nfin++] = (int)(row + k);
      }
      if (te || o->env_trunc[k]) {
        ep_ret += gv_env_vec_final_return(o->vec, k);
        ep_len += (double)gv_env_vec_final_length(o->vec, k);
        neps++;
      }
    }
  }
  o->steps += (long)o->T * K;
  pi->steps = o->steps;
  s->episodes = neps;
  s->ep_return = neps ? ep_ret / neps : NAN;
  s->ep_length = neps ? ep_len / neps : NAN;

  /* GAIL: the hook replaces the rewards of the whole rollout at once */
  if (o->hook) {
    gv_ppo_rollout_view v = {o->batch, o->obs_dim, o->act_dim, o->raw_obs, o->raw_act,
                             o->ended, o->raw_rew};
    gv_status hs = o->hook(o->hook_ctx, &v, err);
    if (hs) return hs;
  }
  gv_ppo_scale_rewards(o->rew, o->raw_rew, o->ended, o->T, K, o->disc_ret, o->ret_rms,
                       o->p.gamma, rclip, (int)o->p.norm_reward);

  /* values in batches: the rollout, the truncated ends, the next observation */
  gv_nn_forward(o->ws_critic, o->critic, o->obs, o->batch);
  memcpy(o->val, o->ws_critic->out, (size_t)o->batch * sizeof(float));
  if (nfin) {
    gv_nn_forward(o->ws_critic, o->critic, o->fin_obs, nfin);
    for (int i = 0; i < nfin; ++i) o->boot[o->fin_row[i]] = o->ws_critic->out[i];
  }
  gv_nn_forward(o->ws_critic, o->critic, o->cur_norm, K);
  memcpy(o->last_val, o->ws_critic->out, (size_t)K * sizeof(float));
  gv_ppo_gae(o->adv, o->ret, o->rew, o->val, o->term, o->trunc, o->boot, o->last_val, o->T, K,
             o->p.gamma, o->p.gae_lambda);
  /* explained variance 1 - Var(R - V) / Var(R), in double */
  double mr = 0, md = 0;
  for (int i = 0; i < o->batch; ++i) {
    mr += o->ret[i];
    md += o->ret[i] - o->val[i];
  }
  mr /= o->batch;
  md /= o->batch;
  double vr = 0, vd = 0;
  for (int i = 0; i < o->batch; ++i) {
    vr += (o->ret[i] - mr) * (o->ret[i] - mr);
    const double d = o->ret[i] - o->val[i] - md;
    vd += d * d;
  }
  s->explained_var = vr > 0 ? 1.0 - vd / vr : NAN;
  return GV_OK;
}

/* --------------------------------------------------------------- update */

static int params_finite(const gv_ppo *o) {
  return isfinite(gv_nn_vec_norm(o->pi->actor->param, o->pi->actor->nparam)) &&
         isfinite(gv_nn_vec_norm(o->critic->param, o->critic->nparam)) &&
         isfinite(gv_nn_vec_norm(o->pi->log_std, (size_t)o->act_dim));
}

static gv_status update(gv_ppo *o, gv_ppo_stats *s, gv_err *err) {
  const int D = o->obs_dim, A = o->act_dim, M = o->mb;
  gv_policy *pi = o->pi;
  const double frac = o->p.anneal_lr ? 1.0 - (double)o->update / (double)o->updates : 1.0;
  const double lr = o->p.lr * (frac > 0 ? frac : 0);
  o->opt_actor->spec.lr = o->opt_critic->spec.lr = o->opt_ls->spec.lr = lr;
  s->lr = lr;
  for (int i = 0; i < o->batch; ++i) o->perm[i] = (size_t)i;
  double pg = 0, vl = 0, ent = 0, kl = 0, cf = 0, gn = 0;
  long nmb = 0, ep;
  for (ep = 0; ep < o->p.epochs; ++ep) {
    gsl_ran_shuffle(o->rng_mb, o->perm, (size_t)o->batch, sizeof *o->perm);
    double last_kl = 0;
    for (int start = 0; start < o->batch; start += M) {
      const size_t *rows = o->perm + start;
      if (o->has_worker) {
        o->job_rows = rows; /* ordered before the worker's read by the seq_cst store */
        publish(o, &o->gen, atomic_load(&o->gen) + 1, &o->sleeping, &o->go);
      }
      for (int i = 0; i < M; ++i) {
        const size_t r = rows[i];
        memcpy(o->a_obs + (size_t)i * D, o->obs + r * D, (size_t)D * sizeof(float));
        memcpy(o->a_act + (size_t)i * A, o->act + r * A, (size_t)A * sizeof(float));
        o->a_logp[i] = o->logp[r];
        o->a_adv[i] = o->adv[r];
      }
      gv_ppo_batch b = {M, o->a_obs, o->a_act, o->a_logp, o->a_adv, NULL, NULL};
      gv_nn_zero_grad(pi->actor);
      memset(o->dlog_std, 0, (size_t)A * sizeof(float));
      gv_ppo_actor_out ao;
      gv_ppo_actor_loss(&ao, pi->actor->grad, o->dlog_std, pi->actor, pi->log_std, o->ws_actor,
                        &b, o->p.clip, o->p.norm_adv, o->p.ent_coef, o->a_scratch);
      if (o->has_worker) {
        const unsigned long want = atomic_load(&o->gen);
        unsigned long d = atomic_load(&o->gen_done);
        while (d != want) d = await_change(o, &o->gen_done, d, &o->waiting, &o->done);
      } else {
        critic_job(o, rows);
      }
      const double na = gv_nn_grad_norm(pi->actor), nl = gv_nn_vec_norm(o->dlog_std, (size_t)A);
      const double norm = sqrt(na * na + nl * nl + o->job.norm2);
      if (!isfinite(norm) || !isfinite(ao.pg_loss) || !isfinite(o->job.v_loss))
        return gv_fail(err, GV_EDIVERGED,
                       "ppo: non-finite loss or gradient at update %ld (policy loss %g, value "
                       "loss %g, gradient norm %g)", o->update + 1, ao.pg_loss, o->job.v_loss,
                       norm);
      const float scale = gv_nn_clip_scale(norm, o->p.max_grad_norm);
      gv_nn_optim_step_scaled(pi->actor->param, o->opt_actor, pi->actor->grad, scale);
      gv_nn_optim_step_scaled(o->critic->param, o->opt_critic, o->critic->grad, scale);
      gv_nn_optim_step_scaled(pi->log_std, o->opt_ls, o->dlog_std, scale);
      pg += ao.pg_loss;
      vl += o->job.v_loss;
      ent += ao.entropy;
      kl += ao.approx_kl;
      cf += ao.clip_frac;
      gn += norm;
      last_kl = ao.approx_kl;
      nmb++;
    }
    /* CleanRL checks the KL of the last minibatch after each epoch */
    if (o->p.target_kl > 0 && last_kl > o->p.target_kl) {
      ep++;
      break;
    }
  }
  s->epochs_run = ep;
  s->pg_loss = pg / nmb;
  s->v_loss = vl / nmb;
  s->entropy = ent / nmb;
  s->approx_kl = kl / nmb;
  s->clip_frac = cf / nmb;
  s->grad_norm = gn / nmb;
  o->update++;
  if (!params_finite(o))
    return gv_fail(err, GV_EDIVERGED, "ppo: non-finite parameters after update %ld", o->update);
  return GV_OK;
}

gv_status gv_ppo_iterate(gv_ppo *o, gv_ppo_stats *s, gv_err *err) {
  memset(s, 0, sizeof *s);
  double t0 = gv_now();
  gv_status st = rollout(o, s, err);
  double t1 = gv_now();
  s->t_rollout = t1 - t0;
  if (st) return st;
  st = update(o, s, err);
  s->t_update = gv_now() - t1;
  return st;
}

void gv_ppo_ckpt(gv_ppo *o, gv_ckpt *c) {
  const size_t D = (size_t)o->obs_dim, A = (size_t)o->act_dim, B = (size_t)o->batch,
               K = (size_t)o->K;
  gv_ckpt_long(c, "update", &o->update);
  gv_ckpt_long(c, "steps", &o->steps);
  gv_policy_ckpt(o->pi, c, "pi");
  gv_nn_ckpt(o->critic, c, "critic");
  gv_nn_optim_ckpt(o->opt_actor, c, "opt_actor");
  gv_nn_optim_ckpt(o->opt_critic, c, "opt_critic");
  gv_nn_optim_ckpt(o->opt_ls, c, "opt_ls");
  gv_rms_ckpt(o->ret_rms, c, "ret_rms");
  gv_ckpt_rng(c, "rng_action", o->rng_action);
  gv_ckpt_rng(c, "rng_mb", o->rng_mb);
  const struct {
    const char *name;
    float *p;
    size_t n;
  } f[] = {{"obs", o->obs, B * D},       {"act", o->act, B * A},     {"logp", o->logp, B},
           {"rew", o->rew, B},           {"val", o->val, B},         {"adv", o->adv, B},
           {"ret", o->ret, B},           {"boot", o->boot, B},       {"fin_obs", o->fin_obs, B * D},
           {"fin_val", o->fin_val, B},   {"cur_norm", o->cur_norm, K * D},
           {"last_val", o->last_val, K}, {"raw_obs", o->raw_obs, B * D},
           {"raw_act", o->raw_act, B * A}, {"dlog_std", o->dlog_std, A}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; ++i) gv_ckpt_floats(c, f[i].name, f[i].p, f[i].n);
  const struct {
    const char *name;
    double *p;
    size_t n;
  } g[] = {{"disc_ret", o->disc_ret, K}, {"cur_obs", o->cur_obs, K * D},
           {"env_act", o->env_act, K * A}, {"env_rew", o->env_rew, K}, {"raw_rew", o->raw_rew, B}};
  for (size_t i = 0; i < sizeof g / sizeof g[0]; ++i) gv_ckpt_doubles(c, g[i].name, g[i].p, g[i].n);
  gv_ckpt_bytes(c, "term", o->term, B);
  gv_ckpt_bytes(c, "trunc", o->trunc, B);
  gv_ckpt_bytes(c, "ended", o->ended, B);
  gv_ckpt_bytes(c, "fin_row", o->fin_row, B * sizeof *o->fin_row);
  gv_ckpt_bytes(c, "env_term", o->env_term, K * sizeof *o->env_term);
  gv_ckpt_bytes(c, "env_trunc", o->env_trunc, K * sizeof *o->env_trunc);
  gv_ckpt_bytes(c, "perm", o->perm, B * sizeof *o->perm);
  gv_env_vec_ckpt(o->vec, c, "vec");
}
