/* Replay ring buffer (agents/replay.h). */
#include "agents/replay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"

#include <stdio.h>

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
  rb->ck_all = 1;
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

/* The filled rows of the ring's rows [r0, r0 + n), both ways. */
static void rows_ckpt(gv_replay *rb, gv_ckpt *g, size_t r0, size_t n) {
  const size_t D = (size_t)rb->obs_dim, A = (size_t)rb->act_dim;
  gv_ckpt_floats(g, "obs", rb->obs + r0 * D, n * D);
  gv_ckpt_floats(g, "next_obs", rb->next_obs + r0 * D, n * D);
  gv_ckpt_floats(g, "act", rb->act + r0 * A, n * A);
  gv_ckpt_floats(g, "rew", rb->rew + r0, n);
  gv_ckpt_bytes(g, "done", rb->done + r0, n);
  gv_ckpt_bytes(g, "trunc", rb->trunc + r0, n);
}

static long block_rows(const gv_replay *rb) {
  return (rb->capacity + GV_REPLAY_BLOCKS - 1) / GV_REPLAY_BLOCKS;
}

/* The filled rows of block k. */
static long block_filled(const gv_replay *rb, int k) {
  const long B = block_rows(rb), r = rb->size - k * B;
  return r < 0 ? 0 : r > B ? B : r;
}

/* Marks the blocks holding ring rows [a, b). */
static void mark(char *dirty, long B, long a, long b) {
  for (long k = a / B; b > a && k <= (b - 1) / B; ++k) dirty[k] = 1;
}

static void replay_committed(void *arg) {
  gv_replay *rb = arg;
  memcpy(rb->ck_file, rb->ck_new, sizeof rb->ck_file);
  rb->ck_added = rb->ck_pend;
  rb->ck_all = 0;
}

/* Writes the blocks changed since the last checkpoint into one new side
 * file, names the rest's files; the table "blocks" (a side file id per
 * block, as int64) in g. */
static void blocks_write(gv_replay *rb, gv_ckpt *g) {
  const long C = rb->capacity, B = block_rows(rb), n = rb->added - rb->ck_added;
  char dirty[GV_REPLAY_BLOCKS] = {0};
  if (rb->ck_all || n < 0 || n >= C) {
    memset(dirty, 1, sizeof dirty);
  } else { /* the last n rows went to ring rows pos - n .. pos - 1 (cyclic) */
    const long p0 = ((rb->pos - n) % C + C) % C;
    mark(dirty, B, p0, p0 + n < C ? p0 + n : C);
    if (p0 + n > C) mark(dirty, B, 0, p0 + n - C);
  }
  int any = 0;
  for (int k = 0; k < GV_REPLAY_BLOCKS; ++k) any |= dirty[k] && block_filled(rb, k) > 0;
  uint64_t id = 0;
  gv_ckpt file;
  if (any) gv_ckpt_side_create(g, &id, &file);
  int64_t table[GV_REPLAY_BLOCKS];
  for (int k = 0; k < GV_REPLAY_BLOCKS; ++k) {
    const long r = block_filled(rb, k);
    rb->ck_new[k] = !dirty[k] ? rb->ck_file[k] : r > 0 ? id : 0;
    table[k] = (int64_t)rb->ck_new[k];
    if (!dirty[k] || !r) continue;
    char name[16];
    snprintf(name, sizeof name, "b%d", k);
    gv_ckpt b;
    gv_ckpt_sub(&file, name, &b);
    rows_ckpt(rb, &b, (size_t)(k * B), (size_t)r);
    gv_ckpt_end(&b, &file);
  }
  if (any) gv_ckpt_side_end(&file, g, id);
  for (int k = 0; k < GV_REPLAY_BLOCKS; ++k)
    if (rb->ck_new[k] && (!dirty[k] || rb->ck_new[k] != id)) gv_ckpt_side_keep(g, rb->ck_new[k]);
  /* a block that lost its rows (reset) names none; the rest as above */
  gv_ckpt_longs(g, "blocks", table, GV_REPLAY_BLOCKS);
  rb->ck_pend = rb->added;
  gv_ckpt_side_on_commit(g, replay_committed, rb);
}

/* Reads every block from the side file the table names. */
static void blocks_read(gv_replay *rb, gv_ckpt *g) {
  int64_t table[GV_REPLAY_BLOCKS];
  gv_ckpt_longs(g, "blocks", table, GV_REPLAY_BLOCKS);
  const long B = block_rows(rb);
  for (int k = 0; k < GV_REPLAY_BLOCKS && !g->bad; ++k) {
    const long r = block_filled(rb, k);
    if (!r != !table[k]) {
      gv_ckpt_fail(g, "replay block %d: %ld rows, side file %016llx", k, r,
                   (unsigned long long)table[k]);
      break;
    }
    if (!r) continue;
    gv_ckpt file, b;
    gv_ckpt_side_open(g, (uint64_t)table[k], &file);
    char name[16];
    snprintf(name, sizeof name, "b%d", k);
    gv_ckpt_sub(&file, name, &b);
    rows_ckpt(rb, &b, (size_t)(k * B), (size_t)r);
    gv_ckpt_end(&b, &file);
    gv_ckpt_side_end(&file, g, (uint64_t)table[k]);
  }
  if (g->bad) return;
  for (int k = 0; k < GV_REPLAY_BLOCKS; ++k) rb->ck_file[k] = (uint64_t)table[k];
  rb->ck_added = rb->added;
  rb->ck_all = 0;
}

void gv_replay_ckpt(gv_replay *rb, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  int64_t n[4] = {rb->capacity, rb->size, rb->pos, rb->added};
  gv_ckpt_longs(&g, "capacity_size_pos_added", n, 4);
  if (n[0] != rb->capacity || n[1] < 0 || n[1] > rb->capacity || n[2] < 0 ||
      n[2] >= rb->capacity)
    gv_ckpt_fail(&g, "%s: a buffer of %lld rows (%lld filled), %ld here", name,
                 (long long)n[0], (long long)n[1], rb->capacity);
  if (g.bad) {
    gv_ckpt_end(&g, c);
    return;
  }
  rb->size = n[1], rb->pos = n[2], rb->added = n[3];
  const int in_blocks =
      c->writing ? c->side != NULL : gv_ckpt_has(&g, "blocks");
  if (in_blocks && c->writing) {
    blocks_write(rb, &g);
  } else if (in_blocks) {
    blocks_read(rb, &g);
  } else {
    rows_ckpt(rb, &g, 0, (size_t)rb->size);
    rb->ck_all = 1; /* the next checkpoint with side files writes every block */
  }
  gv_ckpt_end(&g, c);
}
