/* The driver of every run (experiments/drive.h). */
#include "experiments/drive.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/policy.h"
#include "core/checkpoint.h"
#include "core/h5.h"
#include "core/progress.h"
#include "core/runfile.h"
#include "envs/env.h"
#include "gv_commit.h" /* GV_GIT_COMMIT, made at build time */

/* ------------------------------------------------------------- signals */

volatile sig_atomic_t gv_exp_interrupted;
static struct sigaction old_int, old_term;
static void on_signal(int sig) { gv_exp_interrupted = sig; }

/* The status a signal leaves: SIGTERM (what Slurm and a scheduler send
 * before they take the node) is `preempted`, SIGINT (a person) is
 * `interrupted`; both are resumed the same way. */
static const char *signal_status(void) {
  return gv_exp_interrupted == SIGTERM ? "preempted" : "interrupted";
}

static int stopped_status(const char *status) {
  return !strcmp(status, "interrupted") || !strcmp(status, "preempted");
}

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
 * SIGKILL, dying between flushes; GV_TEST_TERM_AT_STEP: SIGTERM and
 * GV_TEST_INT_AT_STEP: SIGINT, through the handler above). */
enum { N_TEST_SIGNALS = 3 };
typedef struct test_signal {
  const char *var;
  int sig;
  long at;                  /* -1: none or done */
} test_signal;

static void test_signals_init(test_signal *t) {
  t[0] = (test_signal){"GV_TEST_KILL_AT_STEP", SIGKILL, -1};
  t[1] = (test_signal){"GV_TEST_TERM_AT_STEP", SIGTERM, -1};
  t[2] = (test_signal){"GV_TEST_INT_AT_STEP", SIGINT, -1};
  for (int i = 0; i < N_TEST_SIGNALS; ++i)
    if (getenv(t[i].var)) t[i].at = atol(getenv(t[i].var));
}

static void test_signals_raise(test_signal *t, long step) {
  for (int i = 0; i < N_TEST_SIGNALS; ++i)
    if (t[i].at >= 0 && step >= t[i].at) {
      t[i].at = -1;
      raise(t[i].sig);
    }
}

double gv_drive_wall(const gv_drive *d) { return d->wall_base + (gv_now() - d->t_start); }

void gv_drive_points(gv_drive *d, int first, const double *v, int n) {
  for (int i = 0; i < n; ++i)
    if (!isnan(v[i])) gv_run_append(d->rf, d->id[first + i], d->step, v[i]);
}

/* ------------------------------------------------------------ set-up */

typedef struct ckpt_cfg {
  long every;
  double minutes;
} ckpt_cfg;

const gv_param gv_drive_ckpt_params[] = {
    GV_PARAM_INT(ckpt_cfg, every, "0", 0, 1e15,
                 "steps between checkpoints RUN.h5.ckpt for `governor resume` (0: none; "
                 "SIGINT and SIGTERM always write one)"),
    GV_PARAM_REAL(ckpt_cfg, minutes, "0", 0, 1e9,
                  "minutes of wall time between checkpoints (0: none)"),
    GV_PARAM_END,
};

/* The driver's `checkpoint:` section (every game's config may hold it). */
static gv_status ckpt_section(const gv_exp_game *game, gv_node *root, const char *file,
                              gv_drive *d, gv_err *err) {
  gv_node *m;
  gv_status st = gv_exp_section(root, file, "checkpoint", &m, err);
  ckpt_cfg c;
  gv_cfg_ctx ctx = {file, "checkpoint"};
  if (!st) st = gv_params_load(gv_drive_ckpt_params, m, NULL, &ctx, &c, err);
  if (st) return st;
  d->ckpt_every = c.every;
  d->ckpt_minutes = c.minutes;
  if ((!game->checkpoint || d->no_ckpt) && (c.every || c.minutes > 0)) {
    const char *key = c.every ? "every" : "minutes";
    char where[512];
    gv_cfg_where(where, sizeof where, &ctx, gv_map_key_line(m, key), key);
    return gv_fail(err, GV_ECONFIG, "%s: game '%s'%s%s%s can not be checkpointed yet (allowed: 0)",
                   where, game->kind, d->no_ckpt ? " (" : "", d->no_ckpt ? d->no_ckpt : "",
                   d->no_ckpt ? ")" : "");
  }
  return GV_OK;
}

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
  if (!st) st = ckpt_section(game, root, file, d, err);
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

/* Creates the run file, its series, the evaluations and the best policy.
 * The file stays under its temporary name (gv_run_create_pending) until the
 * caller has written its first content and calls gv_run_commit: a kill
 * before that leaves the previous file at path, or none. */
static gv_status open_run(gv_drive *d, gv_node *root, const char *path, gv_err *err) {
  char *yaml = gv_cfg_emit(root);
  gv_run_info info = {d->kind, d->common.name, yaml, (uint64_t)d->common.seed, d->flush_every, 0};
  gv_status st = gv_run_create_pending(&d->rf, path, &info, err);
  free(yaml);
  if (st) return st;
  for (int i = 0; d->series && d->series[i].name; ++i) {
    if (i == GV_DRIVE_SERIES_MAX)
      return gv_fail(err, GV_EINVAL, "%s: more than %d series", d->kind, GV_DRIVE_SERIES_MAX);
    d->id[i] = gv_run_series_row(d->rf, &d->series[i]);
  }
  if (!d->pi) return GV_OK;
  const gv_policy *pi = d->pi;
  if ((st = gv_policy_alloc(&d->best, &pi->actor->spec, pi->env, pi->act_low, pi->act_high, 0,
                            err)))
    return st;
  d->best->kind = pi->kind;
  d->best->env_cfrc = pi->env_cfrc;
  if ((st = gv_policy_set_env_config(d->best, pi->env_config)))
    return gv_fail(err, st, "out of memory");
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
    *status = signal_status();
    gv_run_log(rf, 0, "%s at step %ld by signal %d", *status, d->step, (int)gv_exp_interrupted);
    return 1;
  }
  if (gv_run_tick(rf, d->step) != GV_OK) {
    *status = "failed";
    snprintf(err->msg, sizeof err->msg,
             "error writing the run file (disk full, file size limit or I/O error)");
    return 1;
  }
  return 0;
}

/* ---------------------------------------------------------- checkpoints */

/* When the next checkpoint is due and where it goes. */
typedef struct ckpt_plan {
  const gv_exp_game *game;
  void *g;
  const char *path;         /* the run file */
  const char *config;       /* the resolved config text */
  long last_step;           /* step of the last checkpoint (or of the start) */
  double last_time;         /* gv_now() then */
  char input_hash[32];      /* d->input's content hash, once ("" until the first write) */
} ckpt_plan;

/* A file's content hash, "fnv1a64:%016x" over its bytes (the demonstration
 * files' own hash convention); 0, or -1 when the file can not be read. */
static int file_hash(const char *path, char *out, size_t size) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return -1;
  uint64_t h = 1469598103934665603ull;
  unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
    for (size_t i = 0; i < n; ++i) h = (h ^ buf[i]) * 1099511628211ull;
  const int bad = ferror(fp);
  fclose(fp);
  if (bad) return -1;
  snprintf(out, size, "fnv1a64:%016llx", (unsigned long long)h);
  return 0;
}

static void ckpt_path(char *buf, size_t size, const char *run, const char *suffix) {
  snprintf(buf, size, "%s.ckpt%s", run, suffix);
}

static void put_text(gv_ckpt *c, const char *name, const char *text) {
  gv_ckpt_bytes(c, name, (void *)text, strlen(text));
}

static void *read_all(hid_t loc, const char *name, hid_t mem, size_t *n);

/* A byte buffer as a string (caller frees); NULL when absent. */
static char *get_text(long long loc, const char *name) {
  size_t n;
  char *t = read_all((hid_t)loc, name, H5T_NATIVE_UINT8, &n);
  if (t) t[n] = 0;
  return t;
}

static void fsync_path(const char *path, int dir) {
  int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

/* Copies group or dataset name from one open file to another, if present. */
static herr_t copy_obj(hid_t from, hid_t to, const char *name) {
  if (H5Lexists(from, name, H5P_DEFAULT) <= 0) return 0;
  haddr_t whole = 0; /* the run file's size bounds the copy's */
  if (H5Fget_eoa(from, &whole) < 0 || !gv_ckpt_room(to, (size_t)whole)) return -2;
  if (H5Lexists(to, name, H5P_DEFAULT) > 0) H5Ldelete(to, name, H5P_DEFAULT);
  return H5Ocopy(from, name, to, name, H5P_DEFAULT, H5P_DEFAULT);
}

/* A policy run's evaluations: when the next is due, the last and the best,
 * the best policy. */
static void evals_ckpt(gv_drive *d, gv_ckpt *c) {
  gv_exp_evals *e = &d->ev;
  gv_ckpt g;
  gv_ckpt_sub(c, "evals", &g);
  int64_t n[3] = {e->next, e->last_step, e->best_step};
  double v[5] = {e->last_mean, e->last_std, e->best_mean, e->best_std, e->seconds};
  gv_ckpt_longs(&g, "next_last_best", n, 3);
  gv_ckpt_doubles(&g, "means_stds_seconds", v, 5);
  e->next = n[0], e->last_step = n[1], e->best_step = n[2];
  e->last_mean = v[0], e->last_std = v[1], e->best_mean = v[2], e->best_std = v[3];
  e->seconds = v[4];
  if (e->ret) gv_ckpt_doubles(&g, "returns", e->ret, (size_t)e->episodes);
  gv_policy_ckpt(d->best, &g, "best");
  gv_ckpt_end(&g, c);
}

/* Everything after step d->step into path.ckpt: written to path.ckpt.tmp,
 * closed, fsync'ed and renamed over the previous one. */
static gv_status ckpt_write(ckpt_plan *cp, gv_drive *d, long flushed, gv_err *err) {
  char tmp[4200], fin[4200];
  ckpt_path(tmp, sizeof tmp, cp->path, ".tmp");
  ckpt_path(fin, sizeof fin, cp->path, "");
  if (gv_run_flush(d->rf) != GV_OK)
    return gv_fail(err, GV_EIO, "%s: checkpoint: error flushing the run file", cp->path);
  hid_t fapl = gv_h5_fapl_nolock();
  errno = 0;
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  const int why = errno;
  H5Pclose(fapl);
  if (f < 0)
    return gv_fail(err, GV_EIO, "%s: cannot create the checkpoint%s%s", tmp, why ? ": " : "",
                   why ? strerror(why) : "");
  gv_ckpt c;
  gv_ckpt_wrap(&c, f, 1);
  /* the replay ring's blocks go to side files (fin.d); tests may ask for
   * the format before them, everything in the checkpoint */
  static gv_ckpt_side side;
  gv_ckpt_side_init(&side, fin);
  if (!getenv("GV_TEST_CKPT_INLINE")) c.side = &side;
  put_text(&c, "version", GV_VERSION);
  put_text(&c, "git_commit", GV_GIT_COMMIT);
  put_text(&c, "blas_core", gv_blas_core());
  put_text(&c, "kind", d->kind);
  put_text(&c, "config", cp->config);
  if (d->input) {
    if (!cp->input_hash[0] && file_hash(d->input, cp->input_hash, sizeof cp->input_hash))
      gv_ckpt_fail(&c, "cannot read the input file %s to hash it", d->input);
    put_text(&c, "input_file", d->input);
    put_text(&c, "input_hash", cp->input_hash);
  }
  long step = d->step;
  gv_ckpt_long(&c, "step", &step);
  gv_ckpt_long(&c, "flushed", &flushed);
  gv_ckpt_double(&c, "shown", &d->shown);
  long mjw = d->mjw_base + gv_env_mujoco_warnings(); /* the run's, across resumes */
  gv_ckpt_long(&c, "mujoco_warnings", &mjw);
  double wall = gv_drive_wall(d);
  gv_ckpt_double(&c, "wall_seconds", &wall);
  /* the run file's series and log stay in it (what it holds now is on disk
   * before the checkpoint names it); its snapshots and summary are copied */
  if (gv_run_sync(d->rf) != GV_OK) gv_ckpt_fail(&c, "cannot fsync the run file");
  gv_run_ckpt_save(d->rf, &c);
  const hid_t rf = (hid_t)gv_run_h5(d->rf);
  herr_t r;
  static const char *const copied[] = {"arrays", "summary"};
  for (int i = 0; i < 2; ++i)
    if ((r = copy_obj(rf, f, copied[i])) < 0)
      gv_ckpt_fail(&c, "cannot copy /%s%s", copied[i],
                   r == -2 ? ": no room (disk full or file size limit)" : "");
  if (d->pi) evals_ckpt(d, &c);
  gv_ckpt game;
  gv_ckpt_sub(&c, "game", &game);
  gv_status st = game.bad ? GV_OK : cp->game->checkpoint(cp->g, d, &game, err);
  gv_ckpt_end(&game, &c);
  if (!st) st = gv_ckpt_status(&c, err);
  if (H5Fclose(f) < 0 && !st) st = gv_fail(err, GV_EIO, "%s: cannot close", tmp);
  if (!st && gv_ckpt_side_sync(&side))
    st = gv_fail(err, GV_EIO, "%s: cannot fsync the folder %s", tmp, side.dir);
  if (st) {
    unlink(tmp);
    gv_ckpt_side_finish(&side, 0);
    gv_ckpt_side_free(&side);
    return st;
  }
  fsync_path(tmp, 0);
  const char *abort_at = getenv("GV_TEST_CKPT_ABORT_AT_STEP");
  if (abort_at && d->step >= atol(abort_at)) abort(); /* tests: killed before the rename */
  if (rename(tmp, fin) != 0) {
    unlink(tmp);
    gv_ckpt_side_finish(&side, 0);
    gv_ckpt_side_free(&side);
    return gv_fail(err, GV_EIO, "%s: cannot rename the checkpoint into place", fin);
  }
  char dir[4200];
  snprintf(dir, sizeof dir, "%s", fin);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  fsync_path(slash ? dir : ".", 1);
  /* the new checkpoint is in place: the side files only the old one named go */
  gv_ckpt_side_finish(&side, 1);
  gv_ckpt_side_free(&side);
  cp->last_step = d->step;
  cp->last_time = gv_now();
  return GV_OK;
}

/* A checkpoint now (signal) or when due; a failure is logged, and the run
 * goes on (the previous checkpoint is still in place). */
static void ckpt_maybe(ckpt_plan *cp, gv_drive *d, long flushed, int now) {
  if (!cp->game->checkpoint || d->no_ckpt) return;
  const int due = now || (d->ckpt_every > 0 && d->step - cp->last_step >= d->ckpt_every) ||
                  (d->ckpt_minutes > 0 && gv_now() - cp->last_time >= 60 * d->ckpt_minutes);
  if (!due || d->step == cp->last_step) return;
  gv_err e = {{0}, {0}};
  if (ckpt_write(cp, d, flushed, &e)) {
    gv_run_log(d->rf, 1, "warning: step %ld: %s", d->step, e.msg);
    cp->last_step = d->step; /* the next attempt at the next due point, not every step */
    cp->last_time = gv_now();
  }
}

/* ---------------------------------------------------------------- loop */

/* The next step a block of steps must stop at: the end, the next flush, a
 * test signal, the next checkpoint by steps. */
static long block_end(const gv_drive *d, long flushed, const test_signal *ts,
                      const ckpt_plan *cp) {
  long until = d->steps;
  if (flushed + d->flush_every < until) until = flushed + d->flush_every;
  for (int i = 0; i < N_TEST_SIGNALS; ++i)
    if (ts[i].at > d->step && ts[i].at < until) until = ts[i].at;
  const long ck = cp->last_step + d->ckpt_every;
  if (cp->game->checkpoint && !d->no_ckpt && d->ckpt_every > 0 && ck > d->step && ck < until)
    until = ck;
  return until;
}

/* flushed: the step of the run file's last flush by cadence (gv_run_tick). */
static long loop(const gv_exp_game *game, void *g, gv_drive *d, int progress, long flushed,
                 ckpt_plan *cp, const char **status, gv_err *err) {
  test_signal ts[N_TEST_SIGNALS];
  test_signals_init(ts);
  gv_progress pr;
  gv_progress_init(&pr, d->common.name, "steps", d->steps);
  pr.enabled &= progress;
  d->t_start = gv_now();
  cp->last_time = d->t_start;
  while (d->step < d->steps) {
    const gv_status is = game->iterate(g, d, block_end(d, flushed, ts, cp), err);
    if (point_end(game, g, d, is, ts, status, err)) break;
    if (d->step - flushed >= d->flush_every) flushed = d->step;
    ckpt_maybe(cp, d, flushed, 0);
    gv_progress_update(&pr, d->step, d->metric, d->shown);
  }
  if (stopped_status(*status)) ckpt_maybe(cp, d, flushed, 1);
  gv_progress_done(&pr);
  return flushed;
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

/* The loop and the end of a run whose file is open and whose state is set
 * (a new run after start, a resumed one after its restore). */
static gv_status drive_rest(const gv_exp_game *game, void *g, gv_drive *d, const char *path,
                            int progress, long flushed, ckpt_plan *cp, gv_err *err) {
  signals_catch();
  const char *status = "completed";
  flushed = loop(game, g, d, progress, flushed, cp, &status, err);
  char detail[GV_ERR_MAX];
  snprintf(detail, sizeof detail, "%s", strcmp(status, "completed") ? err->msg : "");
  if (game->finish && game->finish(g, d, status, err) == GV_EINTR) {
    if (!stopped_status(status)) ckpt_maybe(cp, d, flushed, 1); /* resume: finish again */
    status = signal_status();
  }
  /* the handler stays until the file is closed: a signal now (preemption)
   * only sets a flag, it never cuts an HDF5 write short */
  gv_runfile *rf = d->rf;
  gv_status payload = GV_OK;
  if (d->pi) {
    gv_exp_evals_summary(&d->ev, rf);
    const long mjw = d->mjw_base + gv_env_mujoco_warnings(); /* MuJoCo's warnings are data */
    if (mjw) gv_run_summary_int(rf, "mujoco_warnings", mjw);
    if (strcmp(status, "diverged") && (payload = save_payload(d, err))) {
      status = "failed";
      gv_run_log(rf, 0, "%s", err->msg);
      snprintf(detail, sizeof detail, "%s", err->msg);
    }
  }
  /* every point and log line is in the file before the status says so (a
   * flush that fails leaves the file broken: it keeps `running`) */
  if (gv_run_flush(rf) != GV_OK && !strcmp(status, "completed")) status = "failed";
  gv_run_set_status(rf, status);
  gv_status st = gv_run_close(rf);
  signals_restore();
  const long step = d->step;
  game_free(game, g, d);
  if (st != GV_OK)
    return gv_fail(err, st, "%s: error writing the run file (disk full, file size limit or I/O "
                   "error)", path);
  if (!strcmp(status, "completed") || !strcmp(status, "diverged")) {
    char fin[4200]; /* the run's data are final: nothing to resume */
    ckpt_path(fin, sizeof fin, path, "");
    unlink(fin);
    gv_ckpt_side_remove(fin);
    ckpt_path(fin, sizeof fin, path, ".tmp"); /* left by a kill during a write */
    unlink(fin);
  }
  if (payload) return gv_fail(err, payload, "%s: %s", path, detail);
  return gv_exp_outcome(status, path, step, detail, err);
}

gv_status gv_exp_drive(const gv_exp_game *game, gv_node *root, const char *file,
                       const char *path, int progress, gv_err *err) {
  void *g;
  gv_drive d;
  gv_status st = game_setup(game, &g, &d, root, file, 1, err);
  if (st) return st;
  if ((st = open_run(&d, root, path, err)) || (game->start && (st = game->start(g, &d, err)))) {
    gv_run_close(d.rf); /* a run that could not start leaves its file, status running */
    game_free(game, g, &d);
    return st;
  }
  if (gv_run_commit(d.rf) != GV_OK) {
    gv_run_abandon(d.rf);
    game_free(game, g, &d);
    return gv_fail(err, GV_EIO, "%s: cannot put the new run file in place: %s", path,
                   strerror(errno));
  }
  char *yaml = gv_cfg_emit(root);
  ckpt_plan cp = {game, g, path, yaml, 0, 0, ""};
  /* the data the run reads, hashed as it starts: a file replaced before the
   * first checkpoint must not be taken for the one the run learnt from */
  if (d.input && file_hash(d.input, cp.input_hash, sizeof cp.input_hash)) cp.input_hash[0] = 0;
  st = drive_rest(game, g, &d, path, progress, 0, &cp, err);
  free(yaml);
  return st;
}

/* ------------------------------------------------------------- resume */

/* The checkpoint cadence may change between a run and its resumption. */
static int driver_key(const char *path, const char *key) {
  return !*path && !strcmp(key, "checkpoint");
}

/* 1 with the dotted path of the first place where two resolved configs
 * differ in out, 0 when they agree (the driver's checkpoint keys aside). */
static int tree_diff(const gv_node *a, const gv_node *b, const char *path, char *out,
                     size_t size) {
  if (!a || !b || a->kind != b->kind ||
      (a->kind == GV_NODE_SCALAR && strcmp(a->value ? a->value : "", b->value ? b->value : "")) ||
      (a->kind == GV_NODE_SEQ && a->n != b->n)) {
    snprintf(out, size, "%s", *path ? path : "(the whole config)");
    return 1;
  }
  char sub[1024];
  for (int pass = 0; pass < 2 && a->kind == GV_NODE_MAP; ++pass) {
    const gv_node *x = pass ? b : a, *y = pass ? a : b;
    for (size_t i = 0; i < x->n; ++i) {
      if (driver_key(path, x->keys[i])) continue;
      snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", x->keys[i]);
      const gv_node *u = gv_map_get(x, x->keys[i]), *v = gv_map_get(y, x->keys[i]);
      if (tree_diff(pass ? v : u, pass ? u : v, sub, out, size)) return 1;
    }
  }
  for (size_t i = 0; a->kind == GV_NODE_SEQ && i < a->n; ++i) {
    snprintf(sub, sizeof sub, "%s.%zu", path, i);
    if (tree_diff(a->items[i], b->items[i], sub, out, size)) return 1;
  }
  return 0;
}

static hid_t ckpt_open(const char *path) {
  char fin[4200];
  ckpt_path(fin, sizeof fin, path, "");
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t fapl = gv_h5_fapl_nolock();
  hid_t f = access(fin, R_OK) == 0 ? H5Fopen(fin, H5F_ACC_RDONLY, fapl) : -1;
  H5Pclose(fapl);
  return f;
}

char *gv_exp_ckpt_config(const char *path, gv_err *err) {
  hid_t f = ckpt_open(path);
  char *cfg = f < 0 ? NULL : get_text(f, "config");
  if (f >= 0) H5Fclose(f);
  if (!cfg) gv_fail(err, GV_ECONFIG, "%s: no readable checkpoint %s.ckpt", path, path);
  return cfg;
}

/* Every element of dataset name as mem (caller frees); NULL when absent. */
static void *read_all(hid_t loc, const char *name, hid_t mem, size_t *n) {
  *n = 0;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) return NULL;
  hid_t sp = H5Dget_space(d);
  hsize_t dim = 0;
  if (H5Sget_simple_extent_ndims(sp) == 1) H5Sget_simple_extent_dims(sp, &dim, NULL);
  void *buf = malloc((size_t)dim * H5Tget_size(mem) + 1);
  if (buf && dim && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    free(buf);
    buf = NULL;
  }
  *n = (size_t)dim;
  H5Sclose(sp);
  H5Dclose(d);
  return buf;
}

/* The run file's series (buffered, as if just appended), arrays, summary and
 * log lines as they were at the checkpoint: the series and log lines from
 * the old run file and the checkpoint (gv_run_ckpt_restore); from the
 * checkpoint alone when it holds a copy of them (written by governor
 * before the checkpoints stopped copying the series). */
static gv_status restore_runfile(hid_t f, gv_drive *d, gv_ckpt *c, gv_err *err) {
  const hid_t rf = (hid_t)gv_run_h5(d->rf);
  if (copy_obj(f, rf, "arrays") < 0 || copy_obj(f, rf, "summary") < 0)
    return gv_fail(err, GV_EIO, "checkpoint: cannot copy /arrays, /summary");
  if (H5Lexists(f, "series", H5P_DEFAULT) <= 0) return gv_run_ckpt_restore(d->rf, c, err);
  hid_t g = H5Gopen2(f, "series", H5P_DEFAULT);
  H5G_info_t info = {0};
  if (g < 0 || H5Gget_info(g, &info) < 0) {
    if (g >= 0) H5Gclose(g);
    return gv_fail(err, GV_EIO, "checkpoint: no /series");
  }
  gv_status st = GV_OK;
  for (hsize_t i = 0; i < info.nlinks && !st; ++i) {
    char name[256], key[300];
    H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
    size_t ns, nv;
    snprintf(key, sizeof key, "%s/step", name);
    int64_t *step = read_all(g, key, H5T_NATIVE_INT64, &ns);
    snprintf(key, sizeof key, "%s/value", name);
    double *value = read_all(g, key, H5T_NATIVE_DOUBLE, &nv);
    if (!step || !value || ns != nv) {
      st = gv_fail(err, GV_EIO, "checkpoint: series %s unreadable", name);
    } else {
      const int id = gv_run_series(d->rf, name);
      for (size_t k = 0; k < ns; ++k) gv_run_append(d->rf, id, step[k], value[k]);
    }
    free(step);
    free(value);
  }
  H5Gclose(g);
  size_t nl;
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  char **lines = read_all(f, "log", t, &nl);
  for (size_t i = 0; lines && i < nl; ++i) {
    gv_run_log(d->rf, 0, "%s", lines[i] ? lines[i] : "");
    H5free_memory(lines[i]);
  }
  free(lines);
  H5Tclose(t);
  return st;
}

/* The checkpoint's identity against this program and the tree: GV_ECONFIG
 * naming the difference. */
static gv_status ckpt_check(hid_t f, const gv_exp_game *game, gv_node *root, const char *path,
                            int force, char *warning, size_t wsize, gv_err *err) {
  char *kind = get_text(f, "kind"), *ver = get_text(f, "version");
  char *commit = get_text(f, "git_commit"), *cfg = get_text(f, "config");
  gv_status st = GV_OK;
  *warning = 0;
  if (!kind || !ver || !commit || !cfg) {
    st = gv_fail(err, GV_ECONFIG, "%s.ckpt: not a governor checkpoint", path);
  } else if (strcmp(kind, game->kind)) {
    st = gv_fail(err, GV_ECONFIG, "%s.ckpt: a checkpoint of game '%s', not '%s'", path, kind,
                 game->kind);
  } else if (strcmp(ver, GV_VERSION) || strcmp(commit, GV_GIT_COMMIT)) {
    snprintf(warning, wsize,
             "the checkpoint was written by governor %s (%s), this is governor %s (%s)", ver,
             commit, GV_VERSION, GV_GIT_COMMIT);
    if (!force) st = gv_fail(err, GV_ECONFIG, "%s.ckpt: %s (--force resumes anyway)", path,
                             warning);
  }
  /* another OpenBLAS kernel sums in another order: the same build on
   * another CPU (or OPENBLAS_CORETYPE set otherwise) is another program
   * for the series.  Checkpoints from before 2026-12-05 do not say. */
  char *core = st ? NULL : get_text(f, "blas_core");
  if (!st && (!core || strcmp(core, gv_blas_core()))) {
    size_t used = strlen(warning);
    snprintf(warning + used, wsize - used,
             "%sthe checkpoint was written with OpenBLAS kernel %s, this process runs %s "
             "(OPENBLAS_CORETYPE)", used ? "; " : "", core ? core : "(unknown: before the pin)",
             gv_blas_core());
    if (!force) st = gv_fail(err, GV_ECONFIG, "%s.ckpt: %s (--force resumes anyway)", path,
                             warning);
  }
  free(core);
  char *mine = st ? NULL : gv_cfg_emit(root);
  if (mine && strcmp(mine, cfg)) {
    gv_node *theirs = NULL;
    gv_err perr;
    char where[1024];
    if (gv_cfg_parse_string(cfg, "checkpoint", &theirs, &perr) != GV_OK)
      st = gv_fail(err, GV_ECONFIG, "%s.ckpt: its config does not parse", path);
    else if (tree_diff(root, theirs, "", where, sizeof where))
      st = gv_fail(err, GV_ECONFIG,
                   "%s: %s differs from the checkpoint's config (a resumed run must be the "
                   "same run)", path, where);
    gv_node_free(theirs);
  }
  free(mine);
  free(kind);
  free(ver);
  free(commit);
  free(cfg);
  return st;
}

/* The data file the run reads (d->input) against the one the checkpoint
 * was written with: GV_ECONFIG naming it when its content changed (never
 * overridden: the future would be another run's).  A checkpoint of an older
 * version that stored no hash (force accepted the version: warning is not
 * empty) is resumed unchecked, and the warning says so. */
static gv_status input_check(hid_t f, const gv_drive *d, const char *path, char *warning,
                             size_t wsize, gv_err *err) {
  if (!d->input) return GV_OK;
  char *was = get_text(f, "input_hash"), *file = get_text(f, "input_file");
  char now[32] = "";
  gv_status st = GV_OK;
  size_t used = strlen(warning);
  if ((!was || !file) && used)
    snprintf(warning + used, wsize - used, "; it holds no hash of the input file %s, which "
             "was not checked", d->input);
  else if (!was || !file)
    st = gv_fail(err, GV_ECONFIG, "%s.ckpt: holds no hash of the input file %s", path, d->input);
  else if (file_hash(d->input, now, sizeof now))
    st = gv_fail(err, GV_ECONFIG, "%s: the input file %s can not be read (the checkpoint was "
                 "written with %s, content %s)", path, d->input, file, was);
  else if (strcmp(now, was))
    st = gv_fail(err, GV_ECONFIG, "%s: the input file %s changed since the checkpoint (content "
                 "%s, was %s as %s): a resumed run must read the same data", path, d->input,
                 now, was, file);
  free(was);
  free(file);
  return st;
}

gv_status gv_exp_resume(const gv_exp_game *game, gv_node *root, const char *file,
                        const char *path, int progress, int force, gv_err *err) {
  if (!game->checkpoint)
    return gv_fail(err, GV_ECONFIG, "%s: game '%s' can not be resumed yet (docs/resume.md)",
                   path, game->kind);
  {
    void *g0;
    gv_drive d0; /* a run of a game that has the hook may still be refused (its agent) */
    gv_status st0 = game_setup(game, &g0, &d0, root, file, 0, err);
    if (st0) return st0;
    const char *why = d0.no_ckpt;
    game_free(game, g0, &d0);
    if (why)
      return gv_fail(err, GV_ECONFIG, "%s: game '%s' (%s) can not be resumed yet "
                     "(docs/resume.md)", path, game->kind, why);
  }
  hid_t f = ckpt_open(path);
  if (f < 0)
    return gv_fail(err, GV_ECONFIG, "%s: no readable checkpoint %s.ckpt to resume from", path,
                   path);
  void *g = NULL;
  gv_drive d;
  char warning[600];
  gv_status st = game_setup(game, &g, &d, root, file, 1, err);
  if (!st && !(st = ckpt_check(f, game, root, path, force, warning, sizeof warning, err)))
    st = input_check(f, &d, path, warning, sizeof warning, err);
  if (st && g) {
    game_free(game, g, &d);
    g = NULL;
  }
  if (st) {
    H5Fclose(f);
    return st;
  }
  long step = 0, flushed = 0;
  gv_ckpt c, gc;
  gv_ckpt_wrap(&c, f, 0);
  static gv_ckpt_side side; /* the side files the checkpoint names (read only) */
  char fin[4200];
  ckpt_path(fin, sizeof fin, path, "");
  gv_ckpt_side_init(&side, fin);
  c.side = &side;
  if (!(st = open_run(&d, root, path, err)) && !(st = restore_runfile(f, &d, &c, err))) {
    gv_ckpt_long(&c, "step", &step);
    gv_ckpt_long(&c, "flushed", &flushed);
    gv_ckpt_double(&c, "shown", &d.shown);
    if (H5Lexists(f, "mujoco_warnings", H5P_DEFAULT) > 0) {
      long mjw = 0;
      gv_ckpt_long(&c, "mujoco_warnings", &mjw);
      d.mjw_base = mjw - gv_env_mujoco_warnings();
    }
    /* checkpoints before this field: the time before the resume is unknown */
    if (H5Lexists(f, "wall_seconds", H5P_DEFAULT) > 0)
      gv_ckpt_double(&c, "wall_seconds", &d.wall_base);
    d.step = step;
    if (d.pi) evals_ckpt(&d, &c);
    gv_ckpt_sub(&c, "game", &gc);
    st = gc.bad ? GV_OK : game->checkpoint(g, &d, &gc, err);
    gv_ckpt_end(&gc, &c);
    if (!st) st = gv_ckpt_status(&c, err);
  }
  char *cfg = get_text(f, "config");
  H5Fclose(f);
  /* the rebuilt file replaces the old one only now, whole: a kill before
   * leaves the old file (and the checkpoint) as they were */
  if (!st && (gv_run_tick(d.rf, flushed) != GV_OK || gv_run_reserve(d.rf, 0) != GV_OK ||
              gv_run_commit(d.rf) != GV_OK))
    st = gv_fail(err, GV_EIO, "%s: error writing the run file (disk full, file size limit or "
                 "I/O error)", path);
  if (st) {
    gv_run_abandon(d.rf);
    game_free(game, g, &d);
    free(cfg);
    return st;
  }
  if (*warning) gv_run_log(d.rf, 1, "warning: resumed with --force: %s", warning);
  gv_run_log(d.rf, 0, "resumed at step %ld from %s.ckpt", step, path);
  ckpt_plan cp = {game, g, path, cfg, step, 0, ""};
  /* input_check found the file unchanged: its hash is the checkpoint's */
  if (d.input && file_hash(d.input, cp.input_hash, sizeof cp.input_hash)) cp.input_hash[0] = 0;
  st = drive_rest(game, g, &d, path, progress, flushed, &cp, err);
  free(cfg);
  return st;
}
