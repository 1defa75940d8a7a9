/* Vector environments on a persistent pthread pool.
 *
 * One dispatch per vector step: the caller bumps a generation counter under
 * a mutex and broadcasts; every worker runs its fixed, contiguous block of
 * copies; the last one to finish signals back.  Threads live as long as the
 * vector env, so a step costs two condition-variable hand-offs, not thread
 * creation.  Blocks are fixed per thread, and every copy touches only its own
 * mjData, rng and output rows, so no result depends on the thread count. */
#include "envs/vec.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"

enum { OP_RESET, OP_STEP };

struct gv_env_vec {
  const gv_env_task *task; /* shared spec (not owned) */
  int n_envs, n_threads;   /* K copies, T threads (caller included) */
  gv_env **envs;           /* copies (K, owned) */
  gsl_rng **rngs;          /* reset streams "env"/k (K, owned) */
  double *final_obs;       /* last observation of an ended episode (K x obs_dim) */
  double *ep_return;       /* running return of the current episode (K) */
  double *final_return;    /* return of the episode that just ended (K) */
  long *final_length;      /* length of the episode that just ended (K) */
  int started;             /* 1 after gv_env_vec_reset */

  /* the current dispatch: what to do and where to write (set by the caller) */
  int op;                  /* OP_RESET or OP_STEP */
  double *out_obs;         /* K x obs_dim */
  double *out_reward;      /* K, or NULL */
  int *out_term, *out_trunc; /* K each, or NULL */
  const double *in_act;    /* K x act_dim */

  /* the pool */
  pthread_t *threads;      /* T - 1 workers */
  int n_started;           /* workers actually created */
  pthread_mutex_t mu;
  pthread_cond_t go, finished;
  unsigned long generation; /* bumped once per dispatch */
  int busy;                /* workers still running the current dispatch */
  int quit;                /* 1: workers exit */
};

typedef struct {
  gv_env_vec *vec;
  int id; /* block index in [0, T - 1) */
} worker_arg;

static void run_copy(gv_env_vec *v, int k) {
  gv_env *e = v->envs[k];
  const gv_env_type *ty = v->task->type;
  double *obs = v->out_obs + (size_t)k * ty->obs_dim;
  if (v->op == OP_RESET) {
    gv_env_reset(obs, e, v->rngs[k], NULL);
    v->ep_return[k] = 0;
    return;
  }
  double r = 0;
  int te = 0, tr = 0;
  /* Fails only on a MuJoCo error (the caller checked every action and the
   * copies are never left in an ended episode): e->mj_error is then set and
   * gv_env_vec_step reports it. */
  if (gv_env_step(obs, &r, &te, &tr, e, v->in_act + (size_t)k * ty->act_dim, NULL)) return;
  v->ep_return[k] += r;
  if (te || tr) {
    memcpy(v->final_obs + (size_t)k * ty->obs_dim, obs, (size_t)ty->obs_dim * sizeof *obs);
    v->final_return[k] = v->ep_return[k];
    v->final_length[k] = e->t;
    v->ep_return[k] = 0;
    gv_env_reset(obs, e, v->rngs[k], NULL);
  }
  if (v->out_reward) v->out_reward[k] = r;
  if (v->out_term) v->out_term[k] = te;
  if (v->out_trunc) v->out_trunc[k] = tr;
}

static void run_block(gv_env_vec *v, int block) {
  long K = v->n_envs, T = v->n_threads;
  int lo = (int)(block * K / T), hi = (int)((block + 1) * K / T);
  for (int k = lo; k < hi; ++k) run_copy(v, k);
}

static void *worker_main(void *p) {
  worker_arg *a = p;
  gv_env_vec *v = a->vec;
  unsigned long seen = 0;
  for (;;) {
    pthread_mutex_lock(&v->mu);
    while (v->generation == seen && !v->quit) pthread_cond_wait(&v->go, &v->mu);
    if (v->quit) {
      pthread_mutex_unlock(&v->mu);
      break;
    }
    seen = v->generation;
    pthread_mutex_unlock(&v->mu);

    run_block(v, a->id);

    pthread_mutex_lock(&v->mu);
    if (--v->busy == 0) pthread_cond_signal(&v->finished);
    pthread_mutex_unlock(&v->mu);
  }
  free(a);
  return NULL;
}

/* Run the current op on every copy; returns when all are done. */
static void dispatch(gv_env_vec *v) {
  if (v->n_threads > 1) {
    pthread_mutex_lock(&v->mu);
    v->busy = v->n_threads - 1;
    v->generation++;
    pthread_cond_broadcast(&v->go);
    pthread_mutex_unlock(&v->mu);
  }
  run_block(v, v->n_threads - 1); /* the caller takes the last block */
  if (v->n_threads > 1) {
    pthread_mutex_lock(&v->mu);
    while (v->busy > 0) pthread_cond_wait(&v->finished, &v->mu);
    pthread_mutex_unlock(&v->mu);
  }
}

gv_status gv_env_vec_alloc(gv_env_vec **vec, const gv_env_task *task, int n_envs,
                           int n_threads, uint64_t seed, gv_err *err) {
  *vec = NULL;
  if (n_envs < 1) return gv_fail(err, GV_EINVAL, "vector env: n_envs = %d, need >= 1", n_envs);
  if (n_threads < 1) n_threads = 1;
  if (n_threads > n_envs) n_threads = n_envs;
  const gv_env_type *ty = task->type;
  gv_env_vec *v = calloc(1, sizeof *v);
  if (!v) return gv_fail(err, GV_ENOMEM, "vector env: out of memory");
  v->task = task;
  v->n_envs = n_envs;
  v->n_threads = n_threads;
  v->envs = calloc((size_t)n_envs, sizeof *v->envs);
  v->rngs = calloc((size_t)n_envs, sizeof *v->rngs);
  v->final_obs = calloc((size_t)n_envs * ty->obs_dim, sizeof *v->final_obs);
  v->ep_return = calloc((size_t)n_envs, sizeof *v->ep_return);
  v->final_return = calloc((size_t)n_envs, sizeof *v->final_return);
  v->final_length = calloc((size_t)n_envs, sizeof *v->final_length);
  v->threads = calloc((size_t)n_threads, sizeof *v->threads);
  pthread_mutex_init(&v->mu, NULL);
  pthread_cond_init(&v->go, NULL);
  pthread_cond_init(&v->finished, NULL);
  if (!v->envs || !v->rngs || !v->final_obs || !v->ep_return || !v->final_return ||
      !v->final_length || !v->threads) {
    gv_env_vec_free(v);
    return gv_fail(err, GV_ENOMEM, "vector env: out of memory for %d copies", n_envs);
  }
  for (int k = 0; k < n_envs; ++k) {
    gv_status s = gv_env_alloc(&v->envs[k], task, err);
    if (s) {
      gv_env_vec_free(v);
      return s;
    }
    v->rngs[k] = gv_rng_alloc(seed, "env", (uint64_t)k);
    if (!v->rngs[k]) {
      gv_env_vec_free(v);
      return gv_fail(err, GV_ENOMEM, "vector env: out of memory for random streams");
    }
  }
  for (int i = 0; i < n_threads - 1; ++i) {
    worker_arg *a = malloc(sizeof *a);
    if (a) *a = (worker_arg){.vec = v, .id = i};
    if (!a || pthread_create(&v->threads[i], NULL, worker_main, a)) {
      free(a);
      gv_env_vec_free(v);
      return gv_fail(err, GV_EFAILED, "vector env: cannot start worker thread %d", i);
    }
    v->n_started++;
  }
  *vec = v;
  return GV_OK;
}

void gv_env_vec_free(gv_env_vec *v) {
  if (!v) return;
  if (v->n_started > 0) {
    pthread_mutex_lock(&v->mu);
    v->quit = 1;
    pthread_cond_broadcast(&v->go);
    pthread_mutex_unlock(&v->mu);
    for (int i = 0; i < v->n_started; ++i) pthread_join(v->threads[i], NULL);
  }
  pthread_mutex_destroy(&v->mu);
  pthread_cond_destroy(&v->go);
  pthread_cond_destroy(&v->finished);
  for (int k = 0; v->envs && k < v->n_envs; ++k) gv_env_free(v->envs[k]);
  for (int k = 0; v->rngs && k < v->n_envs; ++k)
    if (v->rngs[k]) gsl_rng_free(v->rngs[k]);
  free(v->envs);
  free(v->rngs);
  free(v->final_obs);
  free(v->ep_return);
  free(v->final_return);
  free(v->final_length);
  free(v->threads);
  free(v);
}

/* A MuJoCo error in any copy during the last dispatch (envs/env.c). */
static gv_status mj_errors(const gv_env_vec *v, gv_err *err) {
  for (int k = 0; k < v->n_envs; ++k)
    if (v->envs[k]->mj_error[0])
      return gv_fail(err, GV_EFAILED, "%s vector env: copy %d: MuJoCo error: %s",
                     v->task->type->name, k, v->envs[k]->mj_error);
  return GV_OK;
}

gv_status gv_env_vec_reset(double *obs, gv_env_vec *v, gv_err *err) {
  v->op = OP_RESET;
  v->out_obs = obs;
  v->out_reward = NULL;
  v->out_term = v->out_trunc = NULL;
  v->in_act = NULL;
  dispatch(v);
  v->started = 1;
  return mj_errors(v, err);
}

gv_status gv_env_vec_step(double *obs, double *reward, int *terminated, int *truncated,
                          gv_env_vec *v, const double *actions, gv_err *err) {
  const gv_env_type *ty = v->task->type;
  if (!v->started)
    return gv_fail(err, GV_EINVAL, "%s vector env: step before gv_env_vec_reset", ty->name);
  for (long i = 0; i < (long)v->n_envs * ty->act_dim; ++i)
    if (!isfinite(actions[i]))
      return gv_fail(err, GV_EINVAL, "%s vector env: copy %ld: action[%ld] = %g is not finite",
                     ty->name, i / ty->act_dim, i % ty->act_dim, actions[i]);
  v->op = OP_STEP;
  v->out_obs = obs;
  v->out_reward = reward;
  v->out_term = terminated;
  v->out_trunc = truncated;
  v->in_act = actions;
  dispatch(v);
  return mj_errors(v, err);
}

int gv_env_vec_size(const gv_env_vec *v) { return v->n_envs; }
int gv_env_vec_threads(const gv_env_vec *v) { return v->n_threads; }
gv_env *gv_env_vec_env(const gv_env_vec *v, int k) { return v->envs[k]; }
const double *gv_env_vec_final_obs(const gv_env_vec *v) { return v->final_obs; }
double gv_env_vec_final_return(const gv_env_vec *v, int k) { return v->final_return[k]; }
long gv_env_vec_final_length(const gv_env_vec *v, int k) { return v->final_length[k]; }

void gv_env_vec_ckpt(gv_env_vec *v, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  const size_t K = (size_t)v->n_envs;
  long started = v->started;
  gv_ckpt_long(&g, "started", &started);
  v->started = (int)started;
  gv_ckpt_doubles(&g, "final_obs", v->final_obs, K * (size_t)v->task->type->obs_dim);
  gv_ckpt_doubles(&g, "ep_return", v->ep_return, K);
  gv_ckpt_doubles(&g, "final_return", v->final_return, K);
  gv_ckpt_bytes(&g, "final_length", v->final_length, K * sizeof *v->final_length);
  for (size_t k = 0; k < K; ++k) {
    char key[32];
    snprintf(key, sizeof key, "env%zu", k);
    gv_env_ckpt(v->envs[k], &g, key);
    snprintf(key, sizeof key, "rng%zu", k);
    gv_ckpt_rng(&g, key, v->rngs[k]);
  }
  gv_ckpt_end(&g, c);
}
