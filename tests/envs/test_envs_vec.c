/* Tests of the threaded vector environment: it equals K independent copies
 * with streams ("env", k), bitwise, for every thread count; auto-reset keeps
 * the final observation; bad actions are refused before anything moves. */
#include <stdlib.h>
#include <string.h>

#include "env_test_util.h"
#include "envs/vec.h"

typedef struct {
  double *obs, *rew, *final_obs;
  int *te, *tr;
} trace; /* per step: obs (K x obs_dim), reward, flags (K), final obs where done */

static trace trace_alloc(int steps, int K, int obs_dim) {
  trace t;
  t.obs = calloc((size_t)(steps + 1) * K * obs_dim, sizeof *t.obs);
  t.final_obs = calloc((size_t)steps * K * obs_dim, sizeof *t.final_obs);
  t.rew = calloc((size_t)steps * K, sizeof *t.rew);
  t.te = calloc((size_t)steps * K, sizeof *t.te);
  t.tr = calloc((size_t)steps * K, sizeof *t.tr);
  return t;
}

static void trace_free(trace *t) {
  free(t->obs);
  free(t->final_obs);
  free(t->rew);
  free(t->te);
  free(t->tr);
}

/* Actions for step s, copy k: a fixed function of (seed, s), independent of
 * how the environments are run. */
static void actions_for(double *a, const gv_env_type *ty, int K, gsl_rng *arng) {
  for (int k = 0; k < K; ++k) random_action(a + (size_t)k * ty->act_dim, ty, arng);
}

static void run_vec(trace *out, const gv_env_task *task, int K, int T, uint64_t seed, int steps) {
  const gv_env_type *ty = task->type;
  gv_env_vec *v;
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_env_vec_alloc(&v, task, K, T, seed, &err)) fail_msg("%s", err.msg);
  assert_int_equal(gv_env_vec_threads(v), T < K ? T : K);
  gsl_rng *arng = gv_rng_alloc(seed, "act", 0);
  double *a = malloc((size_t)K * ty->act_dim * sizeof *a);
  assert_int_equal(gv_env_vec_reset(out->obs, v, &err), GV_OK);
  size_t row = (size_t)K * ty->obs_dim;
  for (int s = 0; s < steps; ++s) {
    actions_for(a, ty, K, arng);
    int *te = out->te + (size_t)s * K, *tr = out->tr + (size_t)s * K;
    assert_int_equal(gv_env_vec_step(out->obs + (s + 1) * row, out->rew + (size_t)s * K, te, tr,
                                     v, a, &err),
                     GV_OK);
    for (int k = 0; k < K; ++k)
      if (te[k] || tr[k])
        memcpy(out->final_obs + s * row + (size_t)k * ty->obs_dim,
               gv_env_vec_final_obs(v) + (size_t)k * ty->obs_dim, ty->obs_dim * sizeof(double));
  }
  free(a);
  gsl_rng_free(arng);
  gv_env_vec_free(v);
}

/* The same thing with K plain copies and manual resets. */
static void run_single(trace *out, const gv_env_task *task, int K, uint64_t seed, int steps) {
  const gv_env_type *ty = task->type;
  gv_env **envs = calloc((size_t)K, sizeof *envs);
  gsl_rng **rngs = calloc((size_t)K, sizeof *rngs);
  gsl_rng *arng = gv_rng_alloc(seed, "act", 0);
  double *a = malloc((size_t)K * ty->act_dim * sizeof *a);
  size_t row = (size_t)K * ty->obs_dim;
  for (int k = 0; k < K; ++k) {
    assert_int_equal(gv_env_alloc(&envs[k], task, NULL), GV_OK);
    rngs[k] = gv_rng_alloc(seed, "env", (uint64_t)k);
    gv_env_reset(out->obs + (size_t)k * ty->obs_dim, envs[k], rngs[k], NULL);
  }
  for (int s = 0; s < steps; ++s) {
    actions_for(a, ty, K, arng);
    for (int k = 0; k < K; ++k) {
      size_t i = (size_t)s * K + k;
      double *obs = out->obs + (s + 1) * row + (size_t)k * ty->obs_dim;
      gv_env_step(obs, &out->rew[i], &out->te[i], &out->tr[i], envs[k],
                  a + (size_t)k * ty->act_dim, NULL);
      if (out->te[i] || out->tr[i]) {
        memcpy(out->final_obs + s * row + (size_t)k * ty->obs_dim, obs,
               ty->obs_dim * sizeof(double));
        gv_env_reset(obs, envs[k], rngs[k], NULL);
      }
    }
  }
  for (int k = 0; k < K; ++k) {
    gv_env_free(envs[k]);
    gsl_rng_free(rngs[k]);
  }
  free(envs);
  free(rngs);
  free(a);
  gsl_rng_free(arng);
}

static void assert_same(const trace *x, const trace *y, int steps, int K, int obs_dim,
                        const char *what) {
  size_t no = (size_t)(steps + 1) * K * obs_dim, nf = (size_t)steps * K * obs_dim,
         nr = (size_t)steps * K;
  if (memcmp(x->obs, y->obs, no * sizeof(double))) fail_msg("%s: observations differ", what);
  if (memcmp(x->final_obs, y->final_obs, nf * sizeof(double)))
    fail_msg("%s: final observations differ", what);
  if (memcmp(x->rew, y->rew, nr * sizeof(double))) fail_msg("%s: rewards differ", what);
  if (memcmp(x->te, y->te, nr * sizeof(int)) || memcmp(x->tr, y->tr, nr * sizeof(int)))
    fail_msg("%s: done flags differ", what);
}

static void test_vec_equals_single_copies(void **state) {
  (void)state;
  enum { K = 5, S = 400 };
  gv_env_task *task;
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_env_task_alloc(&task, "hopper", NULL, &err)) fail_msg("%s", err.msg);
  int od = task->type->obs_dim;
  trace v = trace_alloc(S, K, od), s = trace_alloc(S, K, od);
  run_vec(&v, task, K, 2, 77, S);
  run_single(&s, task, K, 77, S);
  assert_same(&v, &s, S, K, od, "vector (T=2) vs single copies");
  int ends = 0;
  for (int i = 0; i < S * K; ++i) ends += v.te[i];
  assert_true(ends > 10); /* random hopper episodes end often: auto-reset exercised */
  trace_free(&v);
  trace_free(&s);
  gv_env_task_free(task);
}

static void test_vec_thread_count_invariant(void **state) {
  (void)state;
  enum { K = 6, S = 250 };
  const char *names[] = {"hopper", "ant", "halfcheetah"};
  for (int n = 0; n < 3; ++n) {
    gv_env_task *task;
    gv_err err;
  memset(&err, 0, sizeof err);
    if (gv_env_task_alloc(&task, names[n], NULL, &err)) fail_msg("%s", err.msg);
    int od = task->type->obs_dim;
    trace t1 = trace_alloc(S, K, od), t2 = trace_alloc(S, K, od), t4 = trace_alloc(S, K, od);
    run_vec(&t1, task, K, 1, 5, S);
    run_vec(&t2, task, K, 2, 5, S);
    run_vec(&t4, task, K, 4, 5, S);
    assert_same(&t1, &t2, S, K, od, names[n]);
    assert_same(&t1, &t4, S, K, od, names[n]);
    trace_free(&t1);
    trace_free(&t2);
    trace_free(&t4);
    gv_env_task_free(task);
  }
}

/* Reacher with zero actions: every copy truncates at step 50, keeps its final
 * observation and reports the episode length; the next observation is a
 * fresh episode's. */
static void test_vec_truncation_and_final_obs(void **state) {
  (void)state;
  enum { K = 3 };
  gv_env_task *task;
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_env_task_alloc(&task, "reacher", NULL, &err)) fail_msg("%s", err.msg);
  gv_env_vec *v;
  assert_int_equal(gv_env_vec_alloc(&v, task, K, 2, 3, &err), GV_OK);
  double obs[K * 10], a[K * 2] = {0}, r[K];
  int te[K], tr[K];
  gv_env_vec_reset(obs, v, &err);
  for (int s = 1; s <= 50; ++s) {
    assert_int_equal(gv_env_vec_step(obs, r, te, tr, v, a, &err), GV_OK);
    for (int k = 0; k < K; ++k) {
      assert_int_equal(te[k], 0);
      assert_int_equal(tr[k], s == 50);
    }
  }
  for (int k = 0; k < K; ++k) {
    const double *fin = gv_env_vec_final_obs(v) + k * 10;
    gv_env *e = gv_env_vec_env(v, k);
    assert_int_equal(gv_env_vec_final_length(v, k), 50);
    assert_true(gv_env_vec_final_return(v, k) < 0); /* distance costs only */
    assert_int_equal(e->t, 0);                      /* already reset */
    assert_int_equal(e->episodes, 2);
    for (int i = 0; i < 10; ++i) ASSERT_NEAR(obs[k * 10 + i], e->obs[i], 0);
    /* the target moved at the reset: final and new observations differ */
    assert_true(fin[4] != obs[k * 10 + 4]);
  }
  gv_env_vec_free(v);
  gv_env_task_free(task);
}

static void test_vec_errors(void **state) {
  (void)state;
  enum { K = 4 };
  gv_env_task *task;
  gv_err err;
  memset(&err, 0, sizeof err);
  if (gv_env_task_alloc(&task, "hopper", NULL, &err)) fail_msg("%s", err.msg);
  gv_env_vec *v = NULL;
  assert_int_equal(gv_env_vec_alloc(&v, task, 0, 1, 1, &err), GV_EINVAL);
  assert_null(v);
  assert_int_equal(gv_env_vec_alloc(&v, task, K, 9, 1, &err), GV_OK);
  assert_int_equal(gv_env_vec_threads(v), K);
  assert_int_equal(gv_env_vec_size(v), K);
  double obs[K * 11], a[K * 3] = {0}, r[K];
  int te[K], tr[K];
  assert_int_equal(gv_env_vec_step(obs, r, te, tr, v, a, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "before"));
  gv_env_vec_reset(obs, v, &err);
  a[3 * 3 + 1] = NAN;
  assert_int_equal(gv_env_vec_step(obs, r, te, tr, v, a, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "copy 3"));
  assert_non_null(strstr(err.msg, "action[1]"));
  for (int k = 0; k < K; ++k) assert_int_equal(gv_env_vec_env(v, k)->t, 0);
  a[3 * 3 + 1] = 0;
  assert_int_equal(gv_env_vec_step(obs, NULL, NULL, NULL, v, a, &err), GV_OK);
  for (int k = 0; k < K; ++k) assert_int_equal(gv_env_vec_env(v, k)->t, 1);
  gv_env_vec_free(v);
  gv_env_vec_free(NULL);
  gv_env_task_free(task);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vec_equals_single_copies),
      cmocka_unit_test(test_vec_thread_count_invariant),
      cmocka_unit_test(test_vec_truncation_and_final_obs),
      cmocka_unit_test(test_vec_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
