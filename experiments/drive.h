/* The driver of every run (in the spirit of GSL's step < evolve < driver):
 * a game or learner says how to set itself up, how to take one iteration
 * and what it logs; gv_exp_drive owns everything around that: the run
 * file's life cycle, the loop, the flush cadence, SIGINT and SIGTERM, the
 * deterministic evaluations and the best policy, divergence, the progress
 * line and the end-of-run sequence (payload first, status last).
 *
 * A game never touches signals, the run status or the file's opening and
 * closing.  Per run:
 *
 *   setup(build = 1)  validate the config, write its defaults, allocate
 *   create the run file; the series rows; the evaluations' series
 *   start             arrays and summary known at step 0, the points at 0
 *   loop: iterate     one iteration, or a block of steps up to `until`
 *         evaluate    the game's own evaluation (it decides when)
 *         the policy's evaluation when due; a caught signal; flush when due
 *   finish            the game's /summary and /arrays; may report GV_EINTR
 *   /summary of the evaluations, /policy and /policy_best (not if diverged)
 *   status, close, the outcome (gv_exp_outcome)
 *   teardown          frees what setup allocated (also after a failed setup)
 *
 * `governor check` calls setup with build = 0: the same validation without
 * allocating nets, env copies or demonstrations. */
#ifndef GV_EXPERIMENTS_DRIVE_H
#define GV_EXPERIMENTS_DRIVE_H

#include <signal.h>
#include <stdint.h>

#include "core/config.h"
#include "core/runfile.h"
#include "experiments/experiment.h"

struct gv_runfile;
struct gv_policy;
struct gv_env_task;
struct gv_ckpt;

/* Series created by one table of rows (names, NULL-terminated). */
#define GV_DRIVE_SERIES_MAX 64

/* What the driver and a game share for one run. */
typedef struct gv_drive {
  /* filled by the game's setup */
  gv_common common;         /* name, seed, out (gv_exp_check_top) */
  const char *kind;         /* the run file's kind (default: the table's) */
  const gv_series_row *series; /* rows: name, unit, description (up to a NULL name),
                                  created in order */
  long flush_every;         /* steps between flushes */
  long steps;               /* the step the run ends at (progress, `last`) */
  const char *metric;       /* name of the progress line's metric (NULL: none) */
  /* checkpoints (the driver's `checkpoint:` section, read after setup) */
  const char *no_ckpt;      /* set by setup when this run can not be checkpointed: what
                               (a static string, "td3"); NULL: it can if the game can */
  long ckpt_every;          /* steps between checkpoints (0: none) */
  double ckpt_minutes;      /* minutes of wall time between checkpoints (0: none) */
  const char *input;        /* a data file the run reads (gail/dac: the demonstrations),
                               NULL: none; its path and content hash go into the
                               checkpoint and resume refuses a changed file */
  /* policy runs (build = 1): the policy to evaluate and save, its task */
  struct gv_policy *pi;
  const struct gv_env_task *task;
  long eval_every, eval_episodes;
  int eval_threads;
  double r_rand, span;      /* normalised eval return (span NAN: not logged) */
  /* the run, as the driver keeps it */
  struct gv_runfile *rf;
  int id[GV_DRIVE_SERIES_MAX]; /* series ids, in the rows' order */
  long step;                /* steps done: the game advances it */
  double shown;             /* the progress line's metric: the game updates it */
  long mjw_base;            /* MuJoCo warnings of this run before this process (resume) */
  double t_start;           /* gv_now() when the loop began (in this process) */
  double wall_base;         /* wall seconds of this run before this process (resume) */
  gv_exp_evals ev;          /* the evaluations (policy runs) */
  struct gv_policy *best;   /* the policy at the best evaluation */
} gv_drive;

/* A game's (or learner's) method table. */
typedef struct gv_exp_game {
  const char *kind;         /* game.kind, and the run file's kind */
  size_t size;              /* bytes of the game's state (zeroed by the driver) */
  /* Validates root (writing its defaults) and fills d's setup fields; with
   * build, also allocates everything the run needs. */
  gv_status (*setup)(void *g, gv_drive *d, gv_node *root, const char *file, int build,
                     gv_err *err);
  /* After the run file exists: arrays, summary and points known at step 0
   * (NULL: nothing). */
  gv_status (*start)(void *g, gv_drive *d, gv_err *err);
  /* One iteration (or several, while d->step < until) advancing d->step
   * and appending its points.  GV_EDIVERGED with err->msg saying why ends
   * the run as diverged; any other error as failed. */
  gv_status (*iterate)(void *g, gv_drive *d, long until, gv_err *err);
  /* The game's own evaluation after each iteration that went well, at
   * d->step: it decides whether one is due (NULL: none).  A policy run's
   * policy is evaluated by the driver (d->pi). */
  gv_status (*evaluate)(void *g, gv_drive *d, gv_err *err);
  /* The game's part of the end of the run, status being the run's so far
   * (NULL: nothing); GV_EINTR: it was interrupted after all. */
  gv_status (*finish)(void *g, gv_drive *d, const char *status, gv_err *err);
  /* Frees what setup allocated (it may have failed half-way); may be NULL. */
  void (*teardown)(void *g);
  /* Resume (docs/resume.md): saves (c->writing) or restores everything the
   * future of the run depends on, as one list of core/checkpoint.h buffers
   * serving both directions, at a step boundary (after the step's
   * evaluations).  On resume it replaces `start`: it must re-establish what
   * start set up in memory (the driver restores the run file's series,
   * arrays and summary itself).  NULL: the game can not be resumed, and
   * `governor resume` refuses it. */
  gv_status (*checkpoint)(void *g, gv_drive *d, struct gv_ckpt *c, gv_err *err);
} gv_exp_game;

/* Appends v[i] (i < n) at d->step to the series d->id[first + i] unless it
 * is NAN (no point this time). */
void gv_drive_points(gv_drive *d, int first, const double *v, int n);

/* Wall seconds of the run so far, across resumes (the time before a resume
 * from a checkpoint of an older version, which did not record it, is left out). */
double gv_drive_wall(const gv_drive *d);

/* `governor check`: setup without building. */
gv_status gv_exp_drive_check(const gv_exp_game *game, gv_node *root, const char *file,
                             gv_err *err);
/* `governor run`: the whole run of a checked tree into the run file at path. */
gv_status gv_exp_drive(const gv_exp_game *game, gv_node *root, const char *file,
                       const char *path, int progress, gv_err *err);

/* The check and run entries of a gv_experiment driven by table game. */
#define GV_EXP_DRIVEN(prefix, game)                                                            \
  static gv_status prefix##_check(gv_node *root, const char *file, gv_err *err) {              \
    return gv_exp_drive_check(&(game), root, file, err);                                       \
  }                                                                                            \
  static gv_status prefix##_run(gv_node *root, const char *file, const char *path,             \
                                int progress, gv_err *err) {                                   \
    return gv_exp_drive(&(game), root, file, path, progress, err);                             \
  }

/* `governor resume`: continues the run file at path from its checkpoint
 * (path + ".ckpt") with the checked tree root, which must resolve to the
 * checkpoint's config (else GV_ECONFIG naming the first differing key); a
 * checkpoint of another version or commit is refused unless force (then a
 * warning goes into /log).  GV_ECONFIG too when the game has no checkpoint
 * hook or there is no checkpoint. */
gv_status gv_exp_resume(const gv_exp_game *game, gv_node *root, const char *file,
                        const char *path, int progress, int force, gv_err *err);
/* The checkpoint's resolved config text (caller frees), for resuming
 * without a config file; NULL with err set when unreadable. */
char *gv_exp_ckpt_config(const char *path, gv_err *err);
/* The `checkpoint:` section the driver reads for every game (`governor list`). */
extern const gv_param gv_drive_ckpt_params[];

/* Set while a run is driven and SIGINT or SIGTERM arrived (to the signal):
 * work the driver does not see (threads of replicas) may stop early on it.
 * The only handler of the program is the driver's. */
extern volatile sig_atomic_t gv_exp_interrupted;

#endif
