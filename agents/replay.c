/* Replay ring buffer (agents/replay.h). */
#include "agents/replay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"

gv_status gv_replay_alloc(gv_replay **out, long capacity, int obs_dim, int act_dim,
                          gv_err *err) {
  *out = NULL;
  if (capacity < 1 || obs_dim < 1 || act_dim < 1)
    return gv_fail(err, GV_EINVAL, "replay: capacity %ld, obs %d, act %d (allowed: >= 1)",
                   capacity, obs_dim, act_dim);
  const size_t C = (size_t)capacity, D = (size_t)obs_dim, A = (size_t)act_dim;
  /* floats first (4-byte aligned after the struct), then the flag bytes */
  const size_t head = (sizeof(gv_replay) + 63) / 64 * 64;
  const size_t nfloat = C * (2 * D + A + 1);
  gv_replay *rb = calloc(1, head + nfloat * sizeof(float) + 2 * C);
  if (!rb) return gv_fail(err, GV_ENOMEM, "replay: out of memory (%ld transitions)", capacity);
  rb->capacity = capacity;
  rb->obs_dim = obs_dim;
  rb->act_dim = act_dim;
  float *f = (float *)((char *)rb + head);
  rb->obs = f;
  rb->next_obs = rb->obs + C * D;
  rb->act = rb->next_obs + C * D;
  rb->rew = rb->act + C * A;
  rb->done = (uint8_t *)(rb->rew + C);
  rb->trunc = rb->done + C;
  *out = rb;
  return GV_OK;
}

void gv_replay_free(gv_replay *rb) { free(rb); }

void gv_replay_reset(gv_replay *rb) {
  rb->size = 0;
  rb->pos = 0;
  rb->added = 0;
}

void gv_replay_add(gv_replay *rb, const double *obs, const double *act, double rew,
                   const double *next_obs, int terminated, int truncated) {
  const size_t D = (size_t)rb->obs_dim, A = (size_t)rb->act_dim, r = (size_t)rb->pos;
  for (size_t j = 0; j < D; ++j) {
    rb->obs[r * D + j] = (float)obs[j];
    rb->next_obs[r * D + j] = (float)next_obs[j];
  }
  for (size_t j = 0; j < A; ++j) rb->act[r * A + j] = (float)act[j];
  rb->rew[r] = (float)rew;
  rb->done[r] = (uint8_t)(terminated != 0);
  rb->trunc[r] = (uint8_t)(truncated != 0 && terminated == 0);
  rb->pos = rb->pos + 1 == rb->capacity ? 0 : rb->pos + 1;
  if (rb->size < rb->capacity) rb->size++;
  rb->added++;
}

void gv_replay_sample(long *idx, const gv_replay *rb, int n, gsl_rng *rng) {
  for (int i = 0; i < n; ++i) idx[i] = (long)gsl_rng_uniform_int(rng, (unsigned long)rb->size);
}

void gv_replay_gather(gv_replay_batch *b, const gv_replay *rb, const long *idx, int n,
                      const gv_rms *rms, double eps, double clip) {
  const size_t D = (size_t)rb->obs_dim, A = (size_t)rb->act_dim;
  for (int i = 0; i < n; ++i) {
    const size_t r = (size_t)idx[i];
    memcpy(b->obs + (size_t)i * D, rb->obs + r * D, D * sizeof(float));
    memcpy(b->next_obs + (size_t)i * D, rb->next_obs + r * D, D * sizeof(float));
    memcpy(b->act + (size_t)i * A, rb->act + r * A, A * sizeof(float));
    b->rew[i] = rb->rew[r];
    b->done[i] = rb->done[r] ? 1.0f : 0.0f;
  }
  if (rms) gv_replay_batch_normalize(b, n, rb->obs_dim, rms, eps, clip);
}

void gv_replay_batch_normalize(gv_replay_batch *b, int n, int obs_dim, const gv_rms *rms,
                               double eps, double clip) {
  const size_t D = (size_t)obs_dim, Dr = (size_t)rms->dim < D ? (size_t)rms->dim : D;
  /* the same arithmetic as gv_rms_normalize (double, then rounded), on the
   * float rows */
  for (size_t j = 0; j < Dr; ++j) {
    const double m = rms->mean[j], inv = 1.0 / sqrt(rms->var[j] + eps);
    for (int i = 0; i < n; ++i) {
      float *p[2] = {b->obs + (size_t)i * D + j, b->next_obs + (size_t)i * D + j};
      for (int q = 0; q < 2; ++q) {
        double z = ((double)*p[q] - m) * inv;
        z = z < -clip ? -clip : z > clip ? clip : z;
        *p[q] = (float)z;
      }
    }
  }
}

void gv_replay_ckpt(gv_replay *rb, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  int64_t n[4] = {rb->capacity, rb->size, rb->pos, rb->added};
  gv_ckpt_longs(&g, "capacity_size_pos_added", n, 4);
  if (n[0] != rb->capacity || n[1] < 0 || n[1] > rb->capacity)
    gv_ckpt_fail(&g, "%s: a buffer of %lld rows (%lld filled), %ld here", name,
                 (long long)n[0], (long long)n[1], rb->capacity);
  if (g.bad) {
    gv_ckpt_end(&g, c);
    return;
  }
  rb->size = n[1], rb->pos = n[2], rb->added = n[3];
  const size_t S = (size_t)rb->size, D = (size_t)rb->obs_dim, A = (size_t)rb->act_dim;
  gv_ckpt_floats(&g, "obs", rb->obs, S * D);
  gv_ckpt_floats(&g, "next_obs", rb->next_obs, S * D);
  gv_ckpt_floats(&g, "act", rb->act, S * A);
  gv_ckpt_floats(&g, "rew", rb->rew, S);
  gv_ckpt_bytes(&g, "done", rb->done, S);
  gv_ckpt_bytes(&g, "trunc", rb->trunc, S);
  gv_ckpt_end(&g, c);
}
