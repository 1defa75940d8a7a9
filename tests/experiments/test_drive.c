/* The driver (experiments/drive.c) with a stand-in game, as docs/extending.md
 * tells a researcher to write one: the paths no built-in game reaches.
 *
 * - A game without a checkpoint hook: `checkpoint: {every|minutes}` is
 *   refused at check time with the file, the line and the key, and
 *   `governor resume` refuses its runs; with the section absent or zero it
 *   runs to completion.
 * - A game whose setup says this run cannot be checkpointed (d->no_ckpt,
 *   as rl.c does for an agent without a hook) is refused with the reason.
 * - An iteration that reports GV_EDIVERGED ends the run as diverged (status,
 *   diverged_step, the reason in /log, the points up to it kept); any other
 *   error as failed.  The driver's result is gv_exp_outcome's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/runfile.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"
#include "tests/testdir.h"

typedef struct standin_cfg {
  long steps, diverge_at, fail_at;
  int no_ckpt;
} standin_cfg;

static const gv_param standin_params[] = {
    GV_PARAM_INT(standin_cfg, steps, "50", 1, 1e6, "steps of the run"),
    GV_PARAM_INT(standin_cfg, diverge_at, "0", 0, 1e6, "step that diverges (0: none)"),
    GV_PARAM_INT(standin_cfg, fail_at, "0", 0, 1e6, "step that fails (0: none)"),
    GV_PARAM_BOOL(standin_cfg, no_ckpt, "false", "setup refuses checkpoints"),
    GV_PARAM_END,
};

static const gv_series_row standin_rows[] = {
    {"x", "", "the stand-in's state"},
    {NULL, NULL, NULL},
};

typedef struct standin {
  standin_cfg c;
  double x;
  int set_up;     /* setup ran: teardown must see it */
} standin;

static int teardowns;

static gv_status standin_setup(void *vg, gv_drive *d, gv_node *root, const char *file,
                               int build, gv_err *err) {
  (void)build;
  standin *g = vg;
  static const char *const sections[] = {"game", NULL};
  gv_status st = gv_exp_check_top(root, file, sections, &d->common, err);
  gv_node *m;
  if (!st) st = gv_exp_section(root, file, "game", &m, err);
  gv_cfg_ctx ctx = {file, "game"};
  static const char *const extra[] = {"kind", NULL};
  if (!st) st = gv_params_load(standin_params, m, extra, &ctx, &g->c, err);
  if (st) return st;
  g->set_up = 1;
  d->series = standin_rows;
  d->steps = g->c.steps;
  d->flush_every = 10;
  if (g->c.no_ckpt) d->no_ckpt = "standin-learner";
  return GV_OK;
}

static gv_status standin_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  (void)until;
  standin *g = vg;
  long k = d->step + 1;
  g->x = 0.5 * g->x + 1.0;
  d->step = k;
  gv_drive_points(d, 0, &g->x, 1);
  if (k == g->c.diverge_at) return gv_fail(err, GV_EDIVERGED, "x ran away");
  if (k == g->c.fail_at) return gv_fail(err, GV_EFAILED, "the stand-in broke");
  return GV_OK;
}

static void standin_teardown(void *vg) {
  if (((standin *)vg)->set_up) ++teardowns;
}

/* no checkpoint hook: the game docs/extending.md starts from */
static const gv_exp_game standin_game = {
    .kind = "standin", .size = sizeof(standin), .setup = standin_setup,
    .iterate = standin_iterate, .teardown = standin_teardown};

GV_TESTDIR_GROUP(dir, "test-drive")

/* the config text with the run file in dir; the caller frees the tree */
static gv_node *config(const char *game, const char *extra, char *out, size_t size) {
  static int runs;
  snprintf(out, size, "%s/run%d.h5", dir, runs++);
  char text[1024];
  snprintf(text, sizeof text, "name: standin\nseed: 3\nout: %s\ngame: {kind: standin%s%s}\n%s",
           out, *game ? ", " : "", game, extra);
  gv_node *root = NULL;
  gv_err err;
  gv_status st = gv_cfg_parse_string(text, "standin.yaml", &root, &err);
  if (st) fail_msg("parse: %s", err.msg);
  return root;
}

static char *attr(const char *path, const char *name) {
  gv_runread *rr;
  gv_err err;
  if (gv_runread_open(&rr, path, &err)) fail_msg("%s: %s", path, err.msg);
  char *v = gv_runread_attr(rr, name);
  gv_runread_close(rr);
  return v;
}

/* The x series of a run file: its length, last step and last value. */
static void series_x(const char *path, size_t *n, int64_t *last, double *x_last) {
  gv_runread *rr;
  gv_err err;
  if (gv_runread_open(&rr, path, &err)) fail_msg("%s: %s", path, err.msg);
  int64_t *step;
  double *x;
  assert_int_equal(gv_runread_series(rr, "x", &step, &x, n), GV_OK);
  assert_true(*n > 0);
  *last = step[*n - 1];
  *x_last = x[*n - 1];
  free(step);
  free(x);
  gv_runread_close(rr);
}

static void test_checkpoint_keys_refused(void **state) {
  (void)state;
  static const struct {
    const char *game, *section, *key, *what;
    int line;
  } cases[] = {
      /* the game has no hook */
      {"", "checkpoint: {every: 10}\n", "every", "game 'standin' can not", 5},
      {"", "checkpoint:\n  minutes: 5\n", "minutes", "game 'standin' can not", 6},
      /* the game has one, but this run can not (an agent without one) */
      {"no_ckpt: true", "checkpoint: {every: 10}\n", "every",
       "game 'standin' (standin-learner) can not", 5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    char out[128], want[64];
    gv_node *root = config(cases[i].game, cases[i].section, out, sizeof out);
    gv_err err = {{0}, {0}};
    teardowns = 0;
    assert_int_equal(gv_exp_drive_check(&standin_game, root, "standin.yaml", &err), GV_ECONFIG);
    /* file, line and key, what is allowed */
    snprintf(want, sizeof want, "standin.yaml:%d", cases[i].line);
    if (!strstr(err.msg, want) || !strstr(err.msg, cases[i].key) ||
        !strstr(err.msg, cases[i].what) ||
        !strstr(err.msg, "be checkpointed yet (allowed: 0)"))
      fail_msg("case %zu: %s", i, err.msg);
    assert_int_equal(teardowns, 1); /* what setup made is freed on the refusal */
    gv_node_free(root);
  }
}

static void test_no_hook_runs_and_is_not_resumed(void **state) {
  (void)state;
  char out[128];
  gv_node *root = config("steps: 37", "checkpoint: {every: 0, minutes: 0}\n", out, sizeof out);
  gv_err err = {{0}, {0}};
  assert_int_equal(gv_exp_drive_check(&standin_game, root, "standin.yaml", &err), GV_OK);
  assert_int_equal(gv_exp_drive(&standin_game, root, "standin.yaml", out, 0, &err), GV_OK);
  char *status = attr(out, "status"), *kind = attr(out, "kind");
  assert_string_equal(status, "completed");
  assert_string_equal(kind, "standin");
  free(status);
  free(kind);
  size_t n;
  int64_t last;
  double x;
  series_x(out, &n, &last, &x);
  assert_int_equal(n, 37); /* every step, the last after the final flush */
  assert_int_equal(last, 37);
  assert_true(x > 1.99 && x < 2.0); /* x -> 2 */
  char ck[160];
  snprintf(ck, sizeof ck, "%s.ckpt", out);
  assert_int_not_equal(access(ck, F_OK), 0); /* nothing to resume from */

  assert_int_equal(gv_exp_resume(&standin_game, root, "standin.yaml", out, 0, 0, &err),
                   GV_ECONFIG);
  if (!strstr(err.msg, "game 'standin' can not be resumed yet")) fail_msg("%s", err.msg);
  gv_node_free(root);
}

static void test_diverged_and_failed(void **state) {
  (void)state;
  static const struct {
    const char *game, *status, *reason;
    gv_status result;
    long last;
  } cases[] = {
      {"diverge_at: 12", "diverged", "diverged at step 12: x ran away", GV_EDIVERGED, 12},
      {"fail_at: 7", "failed", "failed at step 7: the stand-in broke", GV_EFAILED, 7},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    char out[128];
    gv_node *root = config(cases[i].game, "", out, sizeof out);
    gv_err err = {{0}, {0}};
    assert_int_equal(gv_exp_drive(&standin_game, root, "standin.yaml", out, 0, &err),
                     cases[i].result);
    if (!strstr(err.msg, out)) fail_msg("case %zu: the message names no file: %s", i, err.msg);
    char *status = attr(out, "status");
    assert_string_equal(status, cases[i].status);
    free(status);
    size_t n;
    int64_t last;
    double x;
    series_x(out, &n, &last, &x);
    assert_int_equal(n, cases[i].last); /* the points up to the end are kept */
    assert_int_equal(last, cases[i].last);
    gv_runread *rr;
    assert_int_equal(gv_runread_open(&rr, out, &err), GV_OK);
    double ds = -1;
    gv_status has = gv_runread_summary_real(rr, "diverged_step", &ds);
    if (cases[i].result == GV_EDIVERGED) {
      assert_int_equal(has, GV_OK);
      assert_true(ds == (double)cases[i].last);
    } else {
      assert_int_not_equal(has, GV_OK); /* only a diverged run has one */
    }
    gv_runread_close(rr);
    /* the reason is in /log */
    char cmd[300], line[512];
    snprintf(cmd, sizeof cmd, "h5dump -d /log %s", out);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int seen = 0;
    while (fgets(line, sizeof line, p)) seen |= strstr(line, cases[i].reason) != NULL;
    pclose(p);
    if (!seen) fail_msg("case %zu: /log has no \"%s\"", i, cases[i].reason);
    gv_node_free(root);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checkpoint_keys_refused),
      cmocka_unit_test(test_no_hook_runs_and_is_not_resumed),
      cmocka_unit_test(test_diverged_and_failed),
  };
  return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
}
