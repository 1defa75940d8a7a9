/* Replay buffer for off-policy agents (TD3, later DAC): a preallocated ring
 * of float32 transitions.
 *
 * Terminated and truncated are kept apart (Pardo et al. 2018, "Time limits
 * in reinforcement learning"; Fujimoto's TD3 main.py stores
 * done_bool = 0 at the time limit): `done` is 1 only for a termination, so
 * the critic target r + gamma (1 - done) Q' bootstraps through a time-limit
 * end; `trunc` records the time-limit flag for the record (and for DAC's
 * absorbing states later).  A step that is both counts as terminated.
 *
 * Observations are stored RAW (as the env returned them, rounded to float).
 * An agent that normalises observations does so when it samples, with the
 * statistics of that moment (gv_replay_gather with an rms), so changing
 * statistics never leave stale normalised rows in the buffer.
 *
 * Sampling draws batch indices uniformly from the filled rows with one
 * gsl_rng_uniform_int per index, in order, from the caller's stream: the
 * same stream state and buffer give the same batch. */
#ifndef GV_AGENTS_REPLAY_H
#define GV_AGENTS_REPLAY_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "agents/policy.h"
#include "core/status.h"

/* The ring's blocks in a checkpoint: each a side file's group, rewritten
 * only when a row of it changed since the last checkpoint. */
#define GV_REPLAY_BLOCKS 64

typedef struct gv_replay {
  long capacity;            /* rows held at most */
  long size;                /* rows filled (<= capacity) */
  long pos;                 /* row the next transition goes to */
  long added;               /* transitions ever added */
  int obs_dim, act_dim;     /* sizes */
  float *obs;               /* raw observation before the step (capacity x obs_dim) */
  float *act;               /* action the env received (capacity x act_dim) */
  float *rew;               /* reward (capacity) */
  float *next_obs;          /* raw observation after the step; at an episode end the
                               observation it ended on, not the reset (capacity x obs_dim) */
  uint8_t *done;            /* 1: terminated, no bootstrap (capacity) */
  uint8_t *trunc;           /* 1: hit the time limit and not terminated (capacity) */
  /* checkpoints (gv_replay_ckpt): the side file holding each block at the
   * last checkpoint in place (0: none, the block is empty), the rows added
   * by then, the same for the checkpoint being written, and whether every
   * block must be written again (after a reset or an inline restore) */
  uint64_t ck_file[GV_REPLAY_BLOCKS], ck_new[GV_REPLAY_BLOCKS];
  long ck_added, ck_pend;
  int ck_all;
} gv_replay;

/* One allocation for the struct and every array (zeroed). */
gv_status gv_replay_alloc(gv_replay **rb, long capacity, int obs_dim, int act_dim, gv_err *err);
void gv_replay_free(gv_replay *rb);       /* NULL is fine */
void gv_replay_reset(gv_replay *rb);      /* empty, arrays kept */
/* Saves or restores (c->writing) the counters and the filled rows only,
 * written straight from the ring (no copy: a checkpoint of a full buffer
 * does not double the memory; core/checkpoint.h).  With side files
 * (c->side) the ring is cut into GV_REPLAY_BLOCKS blocks of
 * ceil(capacity / GV_REPLAY_BLOCKS) rows; a checkpoint writes the blocks
 * that rows were added to since the last checkpoint in place into one new
 * side file and names the older side files of the others, so its cost
 * grows with the rows added, not with the ring (docs/resume.md).  Without
 * (and on reading a checkpoint written so, or by governor before side
 * files) each array is one chunked, compressed buffer in the checkpoint. */
struct gv_ckpt;
void gv_replay_ckpt(gv_replay *rb, struct gv_ckpt *c, const char *name);

/* Appends one transition, overwriting the oldest when full.  done =
 * terminated; trunc = truncated && !terminated. */
void gv_replay_add(gv_replay *rb, const double *obs, const double *act, double rew,
                   const double *next_obs, int terminated, int truncated);

/* n row indices, uniform over [0, size), drawn in order from rng.  The
 * buffer must hold at least one row. */
void gv_replay_sample(long *idx, const gv_replay *rb, int n, gsl_rng *rng);

/* A batch of n rows as the learner sees it (caller-owned arrays). */
typedef struct gv_replay_batch {
  float *obs;               /* n x obs_dim (normalised when gathered with an rms) */
  float *act;               /* n x act_dim */
  float *rew;               /* n */
  float *next_obs;          /* n x obs_dim */
  float *done;              /* n, 0 or 1 */
} gv_replay_batch;

/* Copies rows idx[0..n-1] into b.  With rms != NULL the observations are
 * then normalised by gv_replay_batch_normalize. */
void gv_replay_gather(gv_replay_batch *b, const gv_replay *rb, const long *idx, int n,
                      const gv_rms *rms, double eps, double clip);

/* Normalises the first rms->dim columns of b's obs and next_obs (n rows of
 * obs_dim >= rms->dim) as gv_rms_normalize does, clip((o - mean) /
 * sqrt(var + eps), -clip, clip), with the statistics as they are now (frozen
 * for this batch); further columns (DAC's absorbing indicator) are left. */
void gv_replay_batch_normalize(gv_replay_batch *b, int n, int obs_dim, const gv_rms *rms,
                               double eps, double clip);

#endif
