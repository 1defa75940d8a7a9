/* DAC (agents/dac.h): TD3's hooks filled with GAIL's discriminator. */
#include "agents/dac.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/progress.h"
#include "core/rng.h"

struct gv_dac {
  gv_td3 *td3;
  int owns_td3;             /* built by gv_dac_alloc (not gv_dac_attach) */
  gv_gail *gail;
  int D, Dn, A, B;          /* env obs, stored obs (D + 1), act sizes; D's batch */
  long updates;             /* D steps per TD3 update */
  gsl_rng *rbatch;          /* "dac.batch" */
  long *idx;                /* (B) */
  gv_replay_batch b;        /* raw policy rows (B) */
  float *xp;                /* their D inputs (B x in_dim) */
  double *rew;              /* rewards of a TD3 batch (its size) */
  int rew_cap;
  gv_gail_stats acc;        /* sums over the chunk's D steps */
  long acc_steps;
  double rew_sum;           /* sum of learnt batch rewards over the chunk */
  long rew_rows;
  double t_disc;
};

gv_td3 *gv_dac_td3(gv_dac *g) { return g->td3; }
gv_gail *gv_dac_gail(gv_dac *g) { return g->gail; }
long gv_dac_disc_steps(const gv_dac *g) { return gv_gail_steps(g->gail); }

void gv_dac_free(gv_dac *g) {
  if (!g) return;
  if (g->owns_td3) gv_td3_free(g->td3);
  gv_gail_free(g->gail);
  if (g->rbatch) gsl_rng_free(g->rbatch);
  void *bufs[] = {g->idx, g->b.obs, g->b.act, g->b.rew, g->b.next_obs, g->b.done, g->xp, g->rew};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  free(g);
}

/* n D steps on policy rows from the replay buffer. */
static gv_status disc_steps(gv_dac *g, gv_td3 *td3, long n, gv_err *err) {
  const double t0 = gv_now();
  gv_replay *rb = gv_td3_replay(td3);
  for (long u = 0; u < n; ++u) {
    gv_replay_sample(g->idx, rb, g->B, g->rbatch);
    gv_replay_gather(&g->b, rb, g->idx, g->B, NULL, 0.0, 0.0);
    gv_gail_inputs(g->gail, g->xp, g->b.obs, g->b.act, g->B);
    gv_status st = gv_gail_disc_step_rows(g->gail, g->xp, g->B, &g->acc);
    if (st == GV_EDIVERGED)
      return gv_fail(err, GV_EDIVERGED, "dac: non-finite discriminator loss or gradient at D "
                     "step %ld", gv_gail_steps(g->gail) + 1);
    if (st) return gv_fail(err, st, "dac: discriminator step failed");
    g->acc_steps++;
  }
  g->t_disc += gv_now() - t0;
  return GV_OK;
}

/* schedule step: `updates` D steps before each TD3 update */
static gv_status pre_update(void *ctx, gv_td3 *td3, gv_err *err) {
  gv_dac *g = ctx;
  return disc_steps(g, td3, g->updates, err);
}

/* schedule episode: `updates` D steps per env step of the episode, before
 * its block of TD3 updates (DAC's training worker) */
static gv_status pre_block(void *ctx, gv_td3 *td3, long n, gv_err *err) {
  gv_dac *g = ctx;
  return disc_steps(g, td3, n * g->updates, err);
}

static gv_status reward(void *ctx, float *rew, const float *obs, const float *act, int n,
                        gv_err *err) {
  gv_dac *g = ctx;
  const double t0 = gv_now();
  if (n > g->rew_cap) {
    double *r = realloc(g->rew, (size_t)n * sizeof *r);
    if (!r) return gv_fail(err, GV_ENOMEM, "dac: out of memory");
    g->rew = r;
    g->rew_cap = n;
  }
  gv_status st = gv_gail_rewards(g->gail, g->rew, obs, act, n);
  if (st) return gv_fail(err, st, "dac: reward pass failed");
  for (int i = 0; i < n; ++i) {
    if (!isfinite(g->rew[i]))
      return gv_fail(err, GV_EDIVERGED, "dac: non-finite reward after D step %ld",
                     gv_gail_steps(g->gail));
    rew[i] = (float)g->rew[i];
    g->rew_sum += g->rew[i];
  }
  g->rew_rows += n;
  g->t_disc += gv_now() - t0;
  return GV_OK;
}

gv_status gv_dac_attach(gv_dac **out, gv_td3 *td3, const gv_td3_params *tp,
                        const gv_gail_params *gp, const gv_demos *d, gv_ctl_stack *ctl,
                        const gv_env_task *task, uint64_t seed, gv_err *err) {
  *out = NULL;
  gv_dac *g = calloc(1, sizeof *g);
  if (!g) return gv_fail(err, GV_ENOMEM, "dac: out of memory");
  gv_gail_params q = *gp;
  q.absorbing = 1;
  q.absorbing_action = 0.5 * (task->type->act_low + task->type->act_high);
  g->td3 = td3;
  g->D = task->type->obs_dim;
  g->Dn = g->D + 1;
  g->A = task->type->act_dim;
  g->B = (int)q.batch;
  g->updates = q.updates;
  gv_status st;
  /* rewards are computed on TD3 batches: D's workspace must hold one */
  const int rows = (int)(tp->batch > q.batch ? tp->batch : q.batch);
  if ((st = gv_gail_alloc(&g->gail, &q, d, ctl, seed, rows, err))) goto fail;
  const size_t B = (size_t)g->B;
  g->rbatch = gv_rng_alloc(seed, "dac.batch", 0);
  g->idx = calloc(B, sizeof *g->idx);
  g->b.obs = calloc(B * g->Dn, sizeof(float));
  g->b.next_obs = calloc(B * g->Dn, sizeof(float));
  g->b.act = calloc(B * g->A, sizeof(float));
  g->b.rew = calloc(B, sizeof(float));
  g->b.done = calloc(B, sizeof(float));
  g->xp = calloc(B * (size_t)gv_gail_in_dim(g->gail), sizeof(float));
  if (!g->rbatch || !g->idx || !g->b.obs || !g->b.next_obs || !g->b.act || !g->b.rew ||
      !g->b.done || !g->xp) {
    st = gv_fail(err, GV_ENOMEM, "dac: out of memory");
    goto fail;
  }
  gv_td3_hooks h = {g, pre_update, reward, pre_block};
  gv_td3_set_hooks(g->td3, &h);
  *out = g;
  return GV_OK;
fail:
  gv_dac_free(g);
  return st;
}

gv_status gv_dac_alloc(gv_dac **out, const gv_td3_params *tp, const gv_gail_params *gp,
                       const gv_demos *d, gv_ctl_stack *ctl, const gv_env_task *task,
                       int n_envs, int n_threads, uint64_t seed, gv_err *err) {
  *out = NULL;
  gv_td3_params t = *tp;
  t.absorbing = 1;
  gv_td3 *td3 = NULL;
  gv_status st = gv_td3_alloc(&td3, &t, task, n_envs, n_threads, seed, err);
  if (!st) st = gv_dac_attach(out, td3, &t, gp, d, ctl, task, seed, err);
  if (st) {
    gv_td3_free(td3);
    return st;
  }
  (*out)->owns_td3 = 1;
  return GV_OK;
}

void gv_dac_begin(gv_dac *g) {
  memset(&g->acc, 0, sizeof g->acc);
  g->acc_steps = 0;
  g->rew_sum = 0.0;
  g->rew_rows = 0;
  g->t_disc = 0.0;
}

void gv_dac_end(gv_dac *g, gv_dac_stats *ds) {
  const double k = (double)g->acc_steps;
  ds->d_loss = k ? g->acc.d_loss / k : NAN;
  ds->ctl_loss = k ? g->acc.ctl_loss / k : NAN;
  ds->d_expert = k ? g->acc.d_expert / k : NAN;
  ds->d_policy = k ? g->acc.d_policy / k : NAN;
  ds->reward_mean = g->rew_rows ? g->rew_sum / (double)g->rew_rows : NAN;
  ds->lr = gv_nn_optim_lr(gv_gail_optim(g->gail));
  ds->d_steps = g->acc_steps;
  ds->t_disc = g->t_disc;
}

gv_status gv_dac_iterate(gv_dac *g, gv_td3_stats *ts, gv_dac_stats *ds, gv_err *err) {
  gv_dac_begin(g);
  gv_status st = gv_td3_iterate(g->td3, ts, err);
  gv_dac_end(g, ds);
  return st;
}

gv_status gv_dac_update(gv_dac *g, gv_err *err) {
  gv_td3_update_out u;
  return gv_td3_update(g->td3, &u, err);
}

int gv_dac_recent_states(gv_dac *g, float *obs, int n) {
  const gv_replay *rb = gv_td3_replay(g->td3);
  const int D = g->D, Dn = g->Dn;
  int m = 0;
  for (long k = 0; k < rb->size && m < n; ++k) {
    const long r = (rb->pos - 1 - k + rb->capacity) % rb->capacity;
    const float *o = rb->obs + (size_t)r * Dn;
    if (o[D] != 0.0f) continue;
    memcpy(obs + (size_t)m * D, o, (size_t)D * sizeof(float));
    m++;
  }
  return m;
}

void gv_dac_ckpt(gv_dac *g, gv_ckpt *c) {
  gv_gail_ckpt(g->gail, c);
  gv_ckpt_rng(c, "dac_rbatch", g->rbatch);
  gv_gail_stats_ckpt(&g->acc, c, "dac_acc");
  int64_t n[2] = {g->acc_steps, g->rew_rows};
  double v[2] = {g->rew_sum, g->t_disc};
  gv_ckpt_longs(c, "dac_acc_steps_rew_rows", n, 2);
  gv_ckpt_doubles(c, "dac_rew_sum_t_disc", v, 2);
  g->acc_steps = n[0], g->rew_rows = n[1], g->rew_sum = v[0], g->t_disc = v[1];
}
