/* The driver of every run (experiments/drive.h). */
#include "experiments/drive.h"

#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "agents/policy.h"
#include "core/progress.h"
#include "core/runfile.h"
#include "envs/env.h"

/* ------------------------------------------------------------- signals */

volatile sig_atomic_t gv_exp_interrupted;
static struct sigaction old_int, old_term;
static void on_signal(int sig) { gv_exp_interrupted = sig; }

static void signals_catch(void) {
  gv_exp_interrupted = 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
}

static void signals_restore(void) {
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
}

/* Tests: raise a signal once the run reached a step (GV_TEST_KILL_AT_STEP:
 * SIGKILL, dying between flushes; GV_TEST_TERM_AT_STEP: SIGTERM, through
 * the handler above). */
typedef struct test_signal {
  const char *var;
  int sig;
  long at;                  /* -1: none or done */
} test_signal;

static void test_signals_init(test_signal *t) {
  t[0] = (test_signal){"GV_TEST_KILL_AT_STEP", SIGKILL, -1};
  t[1] = (test_signal){"GV_TEST_TERM_AT_STEP", SIGTERM, -1};
  for (int i = 0; i < 2; ++i)
    if (getenv(t[i].var)) t[i].at = atol(getenv(t[i].var));
}

static void test_signals_raise(test_signal *t, long step) {
  for (int i = 0; i < 2; ++i)
    if (t[i].at >= 0 && step >= t[i].at) {
      t[i].at = -1;
      raise(t[i].sig);
    }
}

void gv_drive_points(gv_drive *d, int first, const double *v, int n) {
  for (int i = 0; i < n; ++i)
    if (!isnan(v[i])) gv_run_append(d->rf, d->id[first + i], d->step, v[i]);
}

/* ------------------------------------------------------------ set-up */

static void game_free(const gv_exp_game *game, void *g, gv_drive *d) {
  if (game->teardown) game->teardown(g);
  gv_policy_free(d->best);
  gv_exp_evals_free(&d->ev);
  free(g);
}

static gv_status game_setup(const gv_exp_game *game, void **g, gv_drive *d, gv_node *root,
                            const char *file, int build, gv_err *err) {
  memset(d, 0, sizeof *d);
  d->kind = game->kind;
  d->flush_every = 1000;
  d->r_rand = d->span = NAN;
  d->shown = NAN;
  *g = calloc(1, game->size ? game->size : 1);
  if (!*g) return gv_fail(err, GV_ENOMEM, "%s: out of memory", game->kind);
  gv_status st = game->setup(*g, d, root, file, build, err);
  if (st) {
    game_free(game, *g, d);
    *g = NULL;
  }
  return st;
}

gv_status gv_exp_drive_check(const gv_exp_game *game, gv_node *root, const char *file,
                             gv_err *err) {
  void *g;
  gv_drive d;
  gv_status st = game_setup(game, &g, &d, root, file, 0, err);
  if (!st) game_free(game, g, &d);
  return st;
}

/* Creates the run file, its series, the evaluations and the best policy. */
static gv_status open_run(gv_drive *d, gv_node *root, const char *path, gv_err *err) {
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {d->kind, d->common.name, yaml, (uint64_t)d->common.seed, d->flush_every};
  gv_status st = gv_run_create(&d->rf, path, &info, err);
  free(yaml);
  if (st) return st;
  for (int i = 0; d->series && d->series[i]; ++i) {
    if (i == GV_DRIVE_SERIES_MAX)
      return gv_fail(err, GV_EINVAL, "%s: more than %d series", d->kind, GV_DRIVE_SERIES_MAX);
    d->id[i] = gv_run_series(d->rf, d->series[i]);
  }
  if (!d->pi) return GV_OK;
  const gv_policy *pi = d->pi;
  if ((st = gv_policy_alloc(&d->best, &pi->actor->spec, pi->env, pi->act_low, pi->act_high, 0,
                            err)))
    return st;
  d->best->kind = pi->kind;
  return gv_exp_evals_init(&d->ev, d->rf, d->eval_every, d->eval_episodes, d->eval_threads,
                           (uint64_t)d->common.seed, d->r_rand, d->span, err);
}

/* ---------------------------------------------------------------- loop */

/* After one iteration that returned is: 0 to go on, else 1 with *status
 * set and the reason logged. */
static int point_end(const gv_exp_game *game, void *g, gv_drive *d, gv_status is,
                     test_signal *ts, const char **status, gv_err *err) {
  gv_runfile *rf = d->rf;
  if (is == GV_EDIVERGED) {
    *status = "diverged";
    gv_run_log(rf, 0, "diverged at step %ld: %s", d->step, err->msg);
    gv_run_summary_int(rf, "diverged_step", d->step);
    return 1;
  }
  if (is != GV_OK) {
    *status = "failed";
    gv_run_log(rf, 0, "failed at step %ld: %s", d->step, err->msg);
    return 1;
  }
  if (game->evaluate && game->evaluate(g, d, err)) {
    *status = "failed";
    gv_run_log(rf, 0, "evaluation failed at step %ld: %s", d->step, err->msg);
    return 1;
  }
  if (d->pi && gv_exp_evals_step(&d->ev, rf, d->step, d->step >= d->steps, d->pi, d->best,
                                 d->task, err)) {
    *status = "failed";
    gv_run_log(rf, 0, "evaluation failed at step %ld: %s", d->step, err->msg);
    return 1;
  }
  test_signals_raise(ts, d->step);
  if (gv_exp_interrupted) {
    *status = "interrupted";
    gv_run_log(rf, 0, "interrupted at step %ld by signal %d", d->step, (int)gv_exp_interrupted);
    return 1;
  }
  if (gv_run_tick(rf, d->step) != GV_OK) {
    *status = "failed";
    snprintf(err->msg, sizeof err->msg, "error writing the run file");
    return 1;
  }
  return 0;
}

/* The next step a block of steps must stop at: the end, the next flush, a
 * test signal. */
static long block_end(const gv_drive *d, long flushed, const test_signal *ts) {
  long until = d->steps;
  if (flushed + d->flush_every < until) until = flushed + d->flush_every;
  for (int i = 0; i < 2; ++i)
    if (ts[i].at > d->step && ts[i].at < until) until = ts[i].at;
  return until;
}

static void loop(const gv_exp_game *game, void *g, gv_drive *d, int progress,
                 const char **status, gv_err *err) {
  test_signal ts[2];
  test_signals_init(ts);
  gv_progress pr;
  gv_progress_init(&pr, d->common.name, "steps", d->steps);
  pr.enabled &= progress;
  long flushed = 0; /* mirrors the run file's last flush (gv_run_tick) */
  d->t_start = gv_now();
  while (d->step < d->steps) {
    const gv_status is = game->iterate(g, d, block_end(d, flushed, ts), err);
    if (point_end(game, g, d, is, ts, status, err)) break;
    if (d->step - flushed >= d->flush_every) flushed = d->step;
    gv_progress_update(&pr, d->step, d->metric, d->shown);
  }
  gv_progress_done(&pr);
}

/* ---------------------------------------------------------- the end */

/* /policy and /policy_best into the open run file (before its status). */
static gv_status save_payload(gv_drive *d, gv_err *err) {
  if (getenv("GV_TEST_FAIL_PAYLOAD"))
    return gv_fail(err, GV_EIO, "policy save: failure injected by GV_TEST_FAIL_PAYLOAD");
  const size_t bytes =
      gv_policy_bytes(d->pi) + (d->ev.best_step >= 0 ? gv_policy_bytes(d->best) : 0);
  if (gv_run_reserve(d->rf, bytes))
    return gv_fail(err, GV_EIO, "policy save: no room to write the policy (disk full or file "
                   "size limit)");
  const hid_t f = (hid_t)gv_run_h5(d->rf);
  gv_status st = gv_policy_save(f, "policy", d->pi, err);
  if (!st && d->ev.best_step >= 0) st = gv_policy_save(f, "policy_best", d->best, err);
  if (!st && gv_run_flush(d->rf) != GV_OK) st = gv_fail(err, GV_EIO, "policy save: flush failed");
  return st;
}

gv_status gv_exp_drive(const gv_exp_game *game, gv_node *root, const char *file,
                       const char *path, int progress, gv_err *err) {
  void *g;
  gv_drive d;
  gv_status st = game_setup(game, &g, &d, root, file, 1, err);
  if (st) return st;
  if ((st = open_run(&d, root, path, err)) || (game->start && (st = game->start(g, &d, err)))) {
    gv_run_close(d.rf);
    game_free(game, g, &d);
    return st;
  }
  signals_catch();
  const char *status = "completed";
  loop(game, g, &d, progress, &status, err);
  char detail[GV_ERR_MAX];
  snprintf(detail, sizeof detail, "%s", strcmp(status, "completed") ? err->msg : "");
  if (game->finish && game->finish(g, &d, status, err) == GV_EINTR) status = "interrupted";
  signals_restore();
  gv_runfile *rf = d.rf;
  gv_status payload = GV_OK;
  if (d.pi) {
    gv_exp_evals_summary(&d.ev, rf);
    const long mjw = gv_env_mujoco_warnings(); /* MuJoCo's warnings are data */
    if (mjw) gv_run_summary_int(rf, "mujoco_warnings", mjw);
    if (strcmp(status, "diverged") && (payload = save_payload(&d, err))) {
      status = "failed";
      gv_run_log(rf, 0, "%s", err->msg);
      snprintf(detail, sizeof detail, "%s", err->msg);
    }
  }
  gv_run_set_status(rf, status);
  st = gv_run_close(rf);
  const long step = d.step;
  game_free(game, g, &d);
  if (st != GV_OK) return gv_fail(err, st, "%s: error writing the run file", path);
  if (payload) return gv_fail(err, payload, "%s", detail);
  return gv_exp_outcome(status, path, step, detail, err);
}
