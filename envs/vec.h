/* Vector environments: K copies of one task stepped by a persistent pool of
 * T threads.
 *
 * The copies share the task's const mjModel and own one mjData each.  Copy k
 * draws every reset from its own stream gv_rng_alloc(seed, "env", k) and is
 * always stepped by exactly one thread, so the results are bitwise the same
 * for every T.  A copy whose episode ends (terminated or truncated) is reset
 * inside the same step; the observation returned is the new episode's first,
 * and the observation the episode ended on is kept in final_obs for
 * time-limit bootstrapping. */
#ifndef GV_ENVS_VEC_H
#define GV_ENVS_VEC_H

#include <stdint.h>

#include "envs/env.h"

typedef struct gv_env_vec gv_env_vec;

/* n_threads is clipped to [1, n_envs]; with 1 no thread is created, else
 * n_threads - 1 workers are started once and the caller works as the last. */
gv_status gv_env_vec_alloc(gv_env_vec **vec, const gv_env_task *task, int n_envs,
                           int n_threads, uint64_t seed, gv_err *err);
void gv_env_vec_free(gv_env_vec *vec);

/* Reset every copy; obs is n_envs x obs_dim. */
gv_status gv_env_vec_reset(double *obs, gv_env_vec *vec, gv_err *err);

/* Step every copy with actions (n_envs x act_dim).  Outputs: obs (n_envs x
 * obs_dim, after auto-reset), reward, terminated, truncated (n_envs each;
 * reward, terminated, truncated may be NULL).  Every action is checked before
 * any copy moves: a non-finite one gives GV_EINVAL naming the copy. */
gv_status gv_env_vec_step(double *obs, double *reward, int *terminated, int *truncated,
                          gv_env_vec *vec, const double *actions, gv_err *err);

int gv_env_vec_size(const gv_env_vec *vec);    /* n_envs */
int gv_env_vec_threads(const gv_env_vec *vec); /* threads used, caller included */
gv_env *gv_env_vec_env(const gv_env_vec *vec, int k); /* copy k, for inspection */

/* Row k (obs_dim) is the observation copy k's episode ended on, valid when
 * the last step reported terminated[k] or truncated[k]. */
const double *gv_env_vec_final_obs(const gv_env_vec *vec);
/* Return and length of the episode copy k finished on the last step (valid
 * under the same condition); handy for logging. */
double gv_env_vec_final_return(const gv_env_vec *vec, int k);
long gv_env_vec_final_length(const gv_env_vec *vec, int k);

/* Saves or restores (c->writing) every copy (gv_env_ckpt), its reset
 * stream, running and final returns and lengths, final observations. */
struct gv_ckpt;
void gv_env_vec_ckpt(gv_env_vec *vec, struct gv_ckpt *c, const char *name);

#endif
