/* The `governor` command line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/h5.h"
#include "agents/learner.h"
#include "controllers/ctl.h"
#include "envs/env.h"
#include "core/progress.h"
#include "core/runfile.h"
#include "experiments/claim.h"
#include "experiments/drive.h"
#include "envs/mjcf.h"
#include "experiments/experiment.h"
#include "gan/scheme.h"
#include "gv_commit.h" /* GV_GIT_COMMIT, made at build time */

extern const gv_experiment gv_exp_dirac, gv_exp_mlpgan;
extern const gv_experiment gv_exp_rl;
extern const gv_experiment gv_exp_onestep;
extern const gv_experiment gv_exp_gail, gv_exp_onestep_sampled, gv_exp_dac;
/* experiments/rl.c: demonstrations and policy files */
int gv_rl_record_main(int argc, char **argv);
int gv_rl_export_main(int argc, char **argv);
int gv_evaluate_main(int argc, char **argv); /* experiments/evaluate.c */

static const gv_component *const games[] = {&gv_exp_dirac.info, &gv_exp_mlpgan.info,
                                            &gv_exp_rl.info, &gv_exp_onestep.info,
                                            &gv_exp_gail.info, &gv_exp_onestep_sampled.info,
                                            &gv_exp_dac.info, NULL};
const gv_registry gv_game_registry = {"game", "what is trained (the config's game.kind)", games};

const char *const gv_plot_kinds[] = {"phase",   "distance",    "eig",         "lyapunov",
                                     "samples", "gan-metrics", "gail-return", "auto",
                                     NULL};

gv_status gv_exp_check_plot(const gv_node *root, const char *file, gv_err *err) {
  const gv_node *plot = gv_map_get(root, "plot");
  if (!plot) return GV_OK;
  gv_cfg_ctx ctx = {file, ""};
  char where[512], allowed[256] = "";
  for (size_t k = 0, o = 0; gv_plot_kinds[k]; ++k)
    o += (size_t)snprintf(allowed + o, sizeof allowed - o, "%s%s", k ? ", " : "",
                          gv_plot_kinds[k]);
  if (plot->kind != GV_NODE_SEQ) {
    gv_cfg_where(where, sizeof where, &ctx, gv_map_key_line(root, "plot"), "plot");
    return gv_fail(err, GV_ECONFIG, "%s: expected a list of plot kinds, e.g. [phase, distance] "
                   "(allowed: %s)", where, allowed);
  }
  for (size_t i = 0; i < plot->n; ++i) {
    const gv_node *v = plot->items[i];
    int known = 0;
    for (size_t k = 0; v->kind == GV_NODE_SCALAR && gv_plot_kinds[k]; ++k)
      known |= !strcmp(v->value, gv_plot_kinds[k]);
    if (known) continue;
    char key[32];
    snprintf(key, sizeof key, "plot.%zu", i);
    gv_cfg_where(where, sizeof where, &ctx, v->line, key);
    return gv_fail(err, GV_ECONFIG, "%s: unknown plot kind '%s' (allowed: %s)", where,
                   v->kind == GV_NODE_SCALAR ? v->value : "(not a name)", allowed);
  }
  return GV_OK;
}

static const char usage[] =
    "usage: governor COMMAND [ARGS]\n"
    "  run CONFIG [--set KEY=VALUE]... [--out PATH] [--overwrite]\n"
    "                                     run one experiment, write one HDF5 file (an existing\n"
    "                                     file is refused unless --overwrite)\n"
    "  sweep CONFIG [--set KEY=VALUE]... [--jobs N] [--dry-run] [--overwrite]\n"
    "        [--retry-failed] [--lease SECONDS] [--force] [--order grid|interleave]\n"
    "        [--no-wait]\n"
    "                                     run the grid of `variants:` and list-valued keys\n"
    "                                     (finished runs of the same config are skipped;\n"
    "                                     mpirun and Slurm workers share it: docs/cluster.md;\n"
    "                                     --order interleave: round robin over the variants;\n"
    "                                     --no-wait: end when the open points are others')\n"
    "  sweep --status DIR|CONFIG          every point's state and the sweep's ETA\n"
    "  resume RUN.h5 [--config CONFIG] [--force]  continue a stopped run from RUN.h5.ckpt\n"
    "  check CONFIG [--set KEY=VALUE]... [--print]   validate (and print the resolved config)\n"
    "  analyze RUN.h5...                  stability report: predicted against measured\n"
    "  scan CONFIG --key KEY --from A --to B [--num N] [--out PATH]\n"
    "                                     eigenvalues against one parameter\n"
    "  plot [--kind KIND] [--out PNG] RUN.h5...   figures; KIND: phase, distance, eig,\n"
    "                                     lyapunov, samples, gan-metrics, gail-return, auto\n"
    "  report RUN.h5... --out DIR [--baseline ARM] [--metric final|tail|auc]\n"
    "         [--threshold X] [--reps N] [--seed S] [--noise FROZEN.h5...] [--title T]\n"
    "                                     a study's tables, figures, HTML (docs/report.md)\n"
    "  list [top|game|scheme|controller|agent|env|SECTION]\n"
    "                                     every component and config key: type, default,\n"
    "                                     bounds, help (SECTION: disc, train, run, ...)\n"
    "  record RUN.h5 --episodes N --out FILE.h5 [--seed S] [--group G]\n"
    "         [--random-episodes R] [--eval-episodes E] [--overwrite]\n"
    "                                     record deterministic demonstrations of a saved policy\n"
    "  evaluate RUN.h5 --out FROZEN.h5 [--times N] [--episodes E] [--seed S] [--overwrite]\n"
    "         [--group policy|policy_best] [--threads T]\n"
    "                                     evaluate a saved policy N times: the noise floor\n"
    "  export RUN.h5 --out POLICY.h5 [--group policy|policy_best] [--overwrite]\n"
    "                                     copy a run's policy to a standalone file\n"
    "  export RUN.h5... --csv DIR [--overwrite]   tidy DIR/series.csv, DIR/summary.csv\n"
    "  bench [dirac|nn|env|ppo|td3|gail|dac|checkpoint|all] [--seconds S]\n"
    "                                     benchmarks against their bars (docs/benchmarks.md)\n"
    "exit codes: 0 success, 1 run failed or diverged, 2 bad input\n";

static int bad_usage(const char *msg) {
  fprintf(stderr, "governor: %s\n%s", msg, usage);
  return 2;
}

/* `governor COMMAND --help`: COMMAND's entries of the usage (an entry is a
 * line "  COMMAND ..." and the more-indented lines after it), and the exit
 * codes; -1 (nothing printed) when the usage has no such command. */
static int command_help(const char *cmd) {
  const size_t n = strlen(cmd);
  for (int pass = 0; pass < 2; ++pass) {
    int mine = 0, found = 0;
    if (pass) printf("usage: governor COMMAND [ARGS]\n");
    for (const char *l = usage; *l;) {
      const char *e = strchr(l, '\n');
      const size_t len = e ? (size_t)(e - l + 1) : strlen(l);
      if (l[0] == ' ' && l[1] == ' ' && l[2] != ' ') {
        mine = !strncmp(l + 2, cmd, n) && (l[2 + n] == ' ' || l[2 + n] == '\n');
        found |= mine;
      } else if (l[0] != ' ') {
        mine = pass && !strncmp(l, "exit codes", 10);
      }
      if (mine && pass) fwrite(l, 1, len, stdout);
      l += len;
    }
    if (!found) return -1;
  }
  return 0;
}

typedef struct cli_args {
  const char *config;
  const char *sets[64];
  int nsets;
  const char *out;
  long jobs;
  int dry_run, print, overwrite;
} cli_args;

static int parse_common(int argc, char **argv, cli_args *a) {
  memset(a, 0, sizeof *a);
  a->jobs = 1;
  for (int i = 0; i < argc; ++i) {
    const char *s = argv[i];
    if (!strcmp(s, "--set") && i + 1 < argc) {
      if (a->nsets == 64) return bad_usage("too many --set");
      a->sets[a->nsets++] = argv[++i];
    } else if (!strncmp(s, "--set=", 6)) {
      if (a->nsets == 64) return bad_usage("too many --set");
      a->sets[a->nsets++] = s + 6;
    } else if (!strcmp(s, "--out") && i + 1 < argc) {
      a->out = argv[++i];
    } else if (!strcmp(s, "--jobs") && i + 1 < argc) {
      char *end;
      errno = 0;
      a->jobs = strtol(argv[++i], &end, 10);
      if (*end || end == argv[i] || errno || a->jobs < 1 || a->jobs > 4096)
        return bad_usage("--jobs expects an integer in [1, 4096]");
    } else if (!strcmp(s, "--dry-run")) {
      a->dry_run = 1;
    } else if (!strcmp(s, "--print")) {
      a->print = 1;
    } else if (!strcmp(s, "--overwrite")) {
      a->overwrite = 1;
    } else if (s[0] == '-' && s[1]) {
      char m[300];
      snprintf(m, sizeof m, "unknown option %s", s);
      return bad_usage(m);
    } else if (!a->config) {
      a->config = s;
    } else {
      return bad_usage("only one CONFIG is allowed");
    }
  }
  if (!a->config) return bad_usage("missing CONFIG");
  return 0;
}

static int report(gv_status s, const gv_err *err) {
  if (s != GV_OK) fprintf(stderr, "governor: %s\n", err->msg[0] ? err->msg : gv_strerror(s));
  return gv_exit_code(s);
}

/* Parses the arguments, CONFIG and its --set and --out overrides.  Returns 0,
 * or the exit code after printing why. */
static int cli_load(int argc, char **argv, cli_args *a, gv_node **root) {
  int rc = parse_common(argc, argv, a);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  *root = NULL;
  gv_status s = gv_cfg_load(a->config, root, &err);
  for (int i = 0; s == GV_OK && i < a->nsets; ++i) s = gv_cfg_override(*root, a->sets[i], &err);
  if (s != GV_OK) {
    gv_node_free(*root);
    *root = NULL;
    return report(s, &err);
  }
  if (a->out) gv_map_set(*root, "out", gv_node_new_scalar(a->out));
  return 0;
}

static gv_status analyze_after(const gv_experiment *exp, gv_status s, const char *path,
                               int progress);

/* Runs a checked tree and analyses the run file it wrote. */
static gv_status run_one(const gv_experiment *exp, gv_node *tree, const char *file,
                         const char *path, int progress, gv_err *err) {
  return analyze_after(exp, exp->run(tree, file, path, progress, err), path, progress);
}

/* Holds SIGINT and SIGTERM pending until the mask in *old is restored. */
static void block_stops(sigset_t *old) {
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  sigprocmask(SIG_BLOCK, &stops, old);
}

/* The analysis of a run file a run or a resume (outcome s) finished. */
static gv_status analyze_after(const gv_experiment *exp, gv_status s, const char *path,
                               int progress) {
  if (s == GV_OK || s == GV_EDIVERGED) {
    /* a signal now (a sweep stopped, mpirun ending) waits for the analysis,
     * and the death of the sweep worker that started this run does not cut
     * it short: a finished file never lacks it */
    prctl(PR_SET_PDEATHSIG, 0);
    sigset_t old;
    block_stops(&old);
    gv_err aerr = {{0}, {0}};
    const int ok = exp->analyze(path, progress ? stdout : NULL, &aerr) == GV_OK;
    if (!ok) fprintf(stderr, "governor: analysis of %s failed: %s\n", path, aerr.msg);
    /* a finished file whose analysis was cut short (a SIGKILL: mpirun's abort)
     * still says "pending", and a sweep runs its point again */
    if (gv_run_mark_analysis(path, ok ? "done" : "failed") != GV_OK)
      fprintf(stderr, "governor: %s: could not mark its analysis (another process holds the "
              "file); a sweep will run this point again\n", path);
    fflush(NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
  }
  return s;
}

static void run_plots(const gv_node *tree, const char *const *files, size_t n,
                      const char *dir) {
  gv_node *plot = gv_map_get(tree, "plot");
  if (!plot || plot->kind != GV_NODE_SEQ || n == 0) return;
  for (size_t k = 0; k < plot->n; ++k) {
    if (plot->items[k]->kind != GV_NODE_SCALAR) continue;
    const char *kind = plot->items[k]->value;
    char out[1024];
    snprintf(out, sizeof out, "%s/%s.png", dir, kind);
    const char **argv = calloc(n + 8, sizeof *argv);
    size_t c = 0;
    argv[c++] = "/usr/bin/python3";
    argv[c++] = GV_SOURCE_DIR "/plots/governor_plot.py";
    argv[c++] = kind;
    for (size_t i = 0; i < n; ++i) argv[c++] = files[i];
    argv[c++] = "--out";
    argv[c++] = out;
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[0], (char *const *)argv);
      fprintf(stderr, "governor: cannot run %s: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
    int st = 0;
    if (pid > 0) waitpid(pid, &st, 0);
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) printf("plot: %s\n", out);
    else fprintf(stderr, "governor: plot %s failed (is python3-matplotlib installed?)\n", kind);
    free(argv);
  }
}

int gv_exp_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

/* A run may write path: not the config itself (compared by device and
 * inode), and not an existing file unless --overwrite. */
static gv_status output_allowed(const char *path, const char *config, int overwrite,
                                gv_err *err) {
  struct stat st;
  if (gv_exp_same_file(path, config))
    return gv_fail(err, GV_EINVAL, "%s: the output is the config file itself", path);
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return gv_fail(err, GV_EINVAL, "%s: is a folder (allowed: a file name, e.g. %s/run.h5)",
                   path, path);
  if (!overwrite && access(path, F_OK) == 0)
    return gv_fail(err, GV_EINVAL, "%s: exists; a run never replaces a file silently (use "
                   "--overwrite, or another --out)", path);
  return GV_OK;
}

static int cmd_run(int argc, char **argv) {
  cli_args a;
  gv_node *root;
  int rc = cli_load(argc, argv, &a, &root);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  const gv_experiment *exp;
  gv_status s = GV_OK;
  if (gv_map_get(root, "variants")) {
    gv_cfg_ctx ctx = {a.config, ""};
    char where[512];
    gv_cfg_where(where, sizeof where, &ctx, gv_map_key_line(root, "variants"), "variants");
    s = gv_fail(&err, GV_ECONFIG, "%s: a sweep file (use `governor sweep`)", where);
  }
  if (s == GV_OK) s = gv_exp_find(root, a.config, &exp, &err);
  if (s == GV_OK) s = exp->check(root, a.config, &err);
  if (s != GV_OK) {
    gv_node_free(root);
    return report(s, &err);
  }
  char path[GV_STR_MAX];
  snprintf(path, sizeof path, "%s", gv_map_str(root, "out"));
  s = output_allowed(path, a.config, a.overwrite, &err);
  if (s != GV_OK) {
    gv_node_free(root);
    return report(s, &err);
  }
  s = run_one(exp, root, a.config, path, 1, &err);
  if (s == GV_OK || s == GV_EDIVERGED) {
    printf("wrote %s\n", path);
    char dir[GV_STR_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *dot = strrchr(dir, '.');
    if (dot) *dot = 0;
    const char *files[1] = {path};
    run_plots(root, files, 1, dir);
  }
  gv_node_free(root);
  return report(s, &err);
}

/* The points of a sweep as `name -> path` lines (every size-th from rank),
 * or with their resolved configs (print). */
static gv_status list_points(const gv_sweep *sw, int print, long rank, long size,
                             const size_t *order, gv_err *err) {
  const size_t n = gv_sweep_count(sw);
  gv_sweep_point pt = {0};
  gv_status s = GV_OK;
  for (size_t k = (size_t)rank; s == GV_OK && k < n; k += (size_t)size) {
    const size_t i = order ? order[k] : k; /* the order a sweep runs them in */
    if (print || n == 1) s = gv_sweep_point_at(sw, i, &pt, err);
    else gv_sweep_label(sw, i, &pt);
    if (s != GV_OK) break;
    printf("%s%s -> %s\n", print ? "# " : "", pt.name, pt.path);
    if (print) {
      char *y = gv_cfg_emit(pt.tree);
      printf("%s", y);
      free(y);
    }
  }
  gv_sweep_point_clear(&pt);
  return s;
}

/* The sweep's labels of the run file at path (group, axes) for the file a
 * resume rebuilds: a resumed sweep point stays in its group.  The run's own
 * file, which the resume reads again without the probe (core/runfile.c):
 * no child here either, whose fork would delay every resume. */
static void keep_labels(const char *path) {
  gv_runread *rr;
  gv_err err;
  if (gv_runread_open_known(&rr, path, &err) != GV_OK) return;
  char *group = gv_runread_attr(rr, "group"), *axes = gv_runread_attr(rr, "axes");
  gv_runread_close(rr);
  if (group) gv_run_set_labels(group, axes);
  free(group);
  free(axes);
}

/* `governor resume RUN.h5 [--config CONFIG] [--force]` (docs/resume.md). */
static int cmd_resume(int argc, char **argv) {
  const char *path = NULL, *config = NULL;
  int force = 0;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--force")) force = 1;
    else if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
    else if (argv[i][0] != '-' && !path) path = argv[i];
    else return bad_usage("resume: unexpected argument (RUN.h5 [--config CONFIG] [--force])");
  }
  if (!path) return bad_usage("resume: missing RUN.h5");
  gv_err err = {{0}, {0}};
  gv_node *root = NULL;
  char file[GV_STR_MAX + 16];
  snprintf(file, sizeof file, "%s%s", config ? config : path, config ? "" : ".ckpt");
  char *text = config ? NULL : gv_exp_ckpt_config(path, &err);
  gv_status s = config ? gv_cfg_parse_file(config, &root, &err)
                       : text ? gv_cfg_parse_string(text, file, &root, &err) : GV_ECONFIG;
  free(text);
  const gv_experiment *exp = NULL;
  if (!s) s = gv_exp_find(root, file, &exp, &err);
  if (!s) s = exp->check(root, file, &err);
  keep_labels(path);
  if (!s) s = analyze_after(exp, gv_exp_resume(exp->driven, root, file, path, 1, force, &err),
                            path, 1);
  gv_run_set_labels(NULL, NULL);
  if (s == GV_OK || s == GV_EDIVERGED) printf("wrote %s\n", path);
  gv_node_free(root);
  return report(s, &err);
}

static int cmd_check(int argc, char **argv) {
  cli_args a;
  gv_node *root;
  int rc = cli_load(argc, argv, &a, &root);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  gv_sweep *sw = NULL;
  gv_status s = gv_sweep_open(root, a.config, GV_SWEEP_CHECK_AUTO, &sw, &err);
  if (s == GV_OK && a.print) s = list_points(sw, 1, 0, 1, NULL, &err);
  if (s == GV_OK) {
    size_t n = gv_sweep_count(sw);
    printf("%s: ok (%zu run%s)\n", a.config, n, n == 1 ? "" : "s");
  }
  gv_sweep_close(sw);
  gv_node_free(root);
  return report(s, &err);
}

/* Why a run's prediction and measurement disagree, in a table cell: the
 * verdicts differ, or they match and the rates are apart. */
static const char *no_reason(gv_runread *rr) {
  char *p = gv_runread_summary_str(rr, "predicted_verdict");
  char *m = gv_runread_summary_str(rr, "measured_verdict");
  int same = p && m && !strcmp(p, m);
  free(p);
  free(m);
  return same ? "NO: rate" : "NO: verdict";
}

/* The end-of-sweep table: status and the experiment's headline /summary
 * keys for every run (names[i], paths[i]). */
static void sweep_table(const gv_experiment *exp, char **names, char **paths, size_t n) {
  gv_err err;
  const gv_column *col = exp ? exp->table : NULL;
  int w = 34; /* the run column fits the longest name, so the columns line up */
  for (size_t i = 0; i < n; ++i)
    if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
  printf("\n%-*s %-11s", w, "run", "status");
  for (size_t k = 0; col && col[k].key; ++k) printf(" %-12.12s", col[k].header);
  printf("\n");
  for (size_t i = 0; i < n; ++i) {
    gv_runread *rr;
    if (gv_runread_open(&rr, paths[i], &err) != GV_OK) {
      printf("%-*s (no file)\n", w, names[i]);
      continue;
    }
    char *st = gv_runread_attr(rr, "status");
    printf("%-*s %-11s", w, names[i], st ? st : "?");
    free(st);
    for (size_t k = 0; col && col[k].key; ++k) {
      char *v = gv_runread_summary_str(rr, col[k].key);
      char *end = NULL;
      double d = v ? strtod(v, &end) : NAN;
      int number = v && end && *end == 0 && end != v;
      if (number && !strcmp(col[k].key, "agree")) /* 1, 0, -1: nothing to compare */
        printf(" %-12s", d == 1 ? "yes" : d == 0 ? no_reason(rr) : "n/a");
      else if (number && d < 0 && !strcmp(col[k].key, "meas_iters_to_converge"))
        printf(" %-12s", "never"); /* not below run.tol within the run */
      else if (number) printf(" %-12.5g", d);
      else printf(" %-12.12s", v ? v : "-");
      free(v);
    }
    printf("\n");
    gv_runread_close(rr);
  }
}

/* ------------------------------------------------------------- sweeps
 * Every worker (one `governor sweep` process: alone with --jobs N, a rank
 * under mpirun, a task of a Slurm array) claims points one at a time with
 * a claim file next to the point's run file (experiments/claim.h), so long
 * and short runs balance and a point whose worker died is taken over
 * (docs/cluster.md). */

/* What a point's run file says. */
enum { PT_PENDING, PT_DONE, PT_DIVERGED, PT_FAILED, PT_STOPPED, PT_BAD };

/* The state of the run file at path; want (NULL: not compared) is the
 * point's resolved config; status gets the file's status attribute. */
static int point_state(const char *path, const char *want, char *status, size_t size) {
  snprintf(status, size, "-");
  if (access(path, F_OK) != 0) return PT_PENDING;
  gv_runread *rr;
  gv_err err;
  const gv_status o = gv_runread_open(&rr, path, &err);
  if (o != GV_OK) { /* GV_EIO: not read in time (core/h5.h): never removed as unreadable */
    snprintf(status, size, o == GV_EIO ? "not read in time" : "unreadable");
    return PT_BAD;
  }
  char *st = gv_runread_attr(rr, "status"), *an = gv_runread_attr(rr, "analysis");
  char *cfg = want ? gv_runread_config(rr) : NULL;
  gv_runread_close(rr);
  snprintf(status, size, "%s", st ? st : "unreadable");
  const int cut = an && !strcmp(an, "pending"); /* finished, its analysis cut short */
  free(an);
  int r = PT_BAD;
  if (!st || (want && (!cfg || strcmp(cfg, want)))) r = PT_BAD;
  else if (cut && (!strcmp(st, "completed") || !strcmp(st, "diverged"))) {
    r = PT_STOPPED;
    snprintf(status, size, "%s without its analysis", st);
  } else if (!strcmp(st, "completed")) r = PT_DONE;
  else if (!strcmp(st, "diverged")) r = PT_DIVERGED;
  else if (!strcmp(st, "failed")) r = PT_FAILED;
  else if (!strcmp(st, "running") || !strcmp(st, "interrupted") || !strcmp(st, "preempted"))
    r = PT_STOPPED;
  free(st);
  free(cfg);
  return r;
}

/* The steps a point's run ends at, from its resolved config (-1: unknown). */
static long long point_steps(const gv_node *tree) {
  static const char *const keys[] = {"run.steps", "train.steps", "scheme.steps", NULL};
  for (int k = 0; keys[k]; ++k) {
    const gv_node *v = gv_cfg_lookup((gv_node *)tree, keys[k]);
    if (v && v->kind == GV_NODE_SCALAR) return (long long)strtod(v->value, NULL);
  }
  return -1;
}

static int checkpoint_exists(const char *path) {
  char ck[4200];
  snprintf(ck, sizeof ck, "%s.ckpt", path);
  return access(ck, F_OK) == 0;
}

typedef struct slot {
  size_t i;
  pid_t pid;                /* 0: free */
  gv_claim c;
  double t0, beat;
  long long step, steps;
  int die, lost, resumed;
} slot;

typedef struct sweeper {
  const gv_sweep *sw;
  const cli_args *a;
  size_t n, cursor, finished;
  size_t *order;            /* order[k]: the k-th point to run; cursor counts in it */
  char **names, **paths;
  char *state, *tried, *redo, *planned_open; /* planned_open: not finished at the start */
  long rank, size, nrun;
  double lease, t0, last_draw, sum_dur;
  size_t ndur, skipped_failed;
  int failed, bad_input, retry_failed, force, tty, drawn, resume_ok;
  long started, die_rank, die_k, die_step;
  char self[4096], resume_prog[4096];
  slot *slots;
} sweeper;

static volatile sig_atomic_t sweep_stop;
static void on_sweep_signal(int sig) { sweep_stop = sig; }

/* Clears the progress line before a line of text (terminals only). */
static void progress_clear(sweeper *w) {
  if (w->tty && w->drawn) printf("\r\033[K");
  w->drawn = 0;
}

/* Whether `governor resume` exists (GV_TEST_RESUME names a stand-in). */
static int resume_available(sweeper *w) {
  if (w->resume_ok >= 0) return w->resume_ok;
  const char *fake = getenv("GV_TEST_RESUME");
  if (fake && *fake) {
    snprintf(w->resume_prog, sizeof w->resume_prog, "%s", fake);
    return w->resume_ok = 1;
  }
  snprintf(w->resume_prog, sizeof w->resume_prog, "%s", w->self);
  int fd[2];
  char buf[2048] = "";
  w->resume_ok = 0;
  if (pipe(fd) != 0) return 0;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    dup2(fd[1], 2);
    close(fd[0]);
    close(fd[1]);
    execl(w->self, "governor", "resume", (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  size_t got = 0;
  ssize_t r;
  while ((r = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)r;
  buf[got] = 0;
  close(fd[0]);
  int st = 0;
  if (pid > 0) waitpid(pid, &st, 0);
  w->resume_ok = pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) != 127 &&
                 !strstr(buf, "unknown command");
  return w->resume_ok;
}

/* Child: runs point i with its group and axes labels. */
static void sweep_child(const gv_sweep *sw, size_t i, const char *config) {
  gv_err cerr = {{0}, {0}};
  gv_sweep_point pt = {0};
  const gv_experiment *exp;
  gv_status cs = gv_sweep_point_at(sw, i, &pt, &cerr);
  if (cs == GV_OK) cs = gv_exp_find(pt.tree, config, &exp, &cerr);
  if (cs == GV_OK) {
    gv_run_set_labels(pt.group, pt.axes);
    cs = run_one(exp, pt.tree, config, pt.path, 0, &cerr);
  }
  if (cs != GV_OK) fprintf(stderr, "governor: %s: %s\n", pt.name, cerr.msg);
  fflush(NULL);
  _exit(gv_exit_code(cs));
}

/* Forks the process that runs slot sl's point: in this program, or
 * `governor resume RUN.h5` (resume).  It dies with the worker.  SIGINT and
 * SIGTERM are blocked across the fork: a stop that reaches the child before
 * it drops the worker's handler (which would only set the child's copy of
 * sweep_stop, unseen) stays pending and acts by default once it has. */
static pid_t start_child(sweeper *w, slot *sl, int resume) {
  const pid_t worker = getpid();
  sigset_t old;
  fflush(NULL);
  block_stops(&old);
  pid_t pid = fork();
  if (pid != 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != worker) _exit(1);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (sl->die) {
    char b[32];
    snprintf(b, sizeof b, "%ld", w->die_step);
    setenv("GV_TEST_KILL_AT_STEP", b, 1);
  }
  if (resume) {
    if (w->force)
      execl(w->resume_prog, w->resume_prog, "resume", w->paths[sl->i], "--force", (char *)NULL);
    else
      execl(w->resume_prog, w->resume_prog, "resume", w->paths[sl->i], (char *)NULL);
    fprintf(stderr, "governor: cannot run %s: %s\n", w->resume_prog, strerror(errno));
    _exit(2);
  }
  sweep_child(w->sw, sl->i, w->a->config);
  _exit(1);
}

/* How a sweep's child ended: 0 done, 1 failed or diverged (the file's
 * status says which), 2 bad input, killed. */
static int child_outcome(int st, const char *path, char *what, size_t size) {
  if (WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    snprintf(what, size, "killed by signal %d (%s)", sig, strsignal(sig));
    return 1;
  }
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  if (code == 1) {
    char status[64];
    point_state(path, NULL, status, sizeof status);
    snprintf(what, size, "%s", strcmp(status, "-") ? status : "failed");
  } else {
    snprintf(what, size, "%s", code == 0 ? "done" : code == 2 ? "bad input" : "failed");
  }
  return code;
}

/* Before anything runs: every point is checked, and its file is free, or
 * done (a completed or diverged run of the same resolved config), failed,
 * stopped (killed, interrupted, preempted: run again or resumed), or
 * replaced with --overwrite; anything else is refused. */
static gv_status sweep_plan(sweeper *w, gv_err *err) {
  gv_sweep_point pt = {0};
  gv_status s = GV_OK;
  for (size_t i = 0; s == GV_OK && i < w->n; ++i) {
    if ((s = gv_sweep_point_at(w->sw, i, &pt, err)) != GV_OK) break;
    w->names[i] = strdup(pt.name);
    w->paths[i] = strdup(pt.path);
    w->state[i] = PT_PENDING;
    if (access(pt.path, F_OK) != 0) continue;
    if (gv_exp_same_file(pt.path, w->a->config)) {
      s = gv_fail(err, GV_EINVAL, "%s: the output of run %s is the config file itself", pt.path,
                  pt.name);
      break;
    }
    if (w->a->overwrite) {
      w->redo[i] = 1;
      continue;
    }
    char *want = gv_cfg_emit(pt.tree), status[64];
    gv_claim_info ci;
    w->state[i] = (char)point_state(pt.path, want, status, sizeof status);
    free(want);
    if (w->state[i] == PT_BAD && gv_claim_read(pt.path, &ci))
      w->state[i] = PT_STOPPED; /* being written: examined again once claimed */
    else if (w->state[i] == PT_BAD)
      s = gv_fail(err, GV_EINVAL, "%s: exists and is not a finished run of this point's "
                  "config (status %s); nothing was run (use --overwrite to replace it)",
                  pt.path, status);
  }
  gv_sweep_point_clear(&pt);
  return s;
}

/* A point this worker will not run after all: why, on one line. */
static void point_skipped(sweeper *w, size_t i, int st, const char *status) {
  progress_clear(w);
  if (st == PT_DONE || st == PT_DIVERGED) {
    printf("[%zu/%zu] %s already done (%s)\n", ++w->finished, w->n, w->names[i], w->paths[i]);
  } else if (st == PT_FAILED) {
    printf("[%zu/%zu] %s failed earlier (%s; --retry-failed runs it again)\n", ++w->finished,
           w->n, w->names[i], w->paths[i]);
    w->skipped_failed++;
  } else {
    fprintf(stderr, "governor: %s: exists and is not a finished run of this point's config "
            "(status %s); not run (use --overwrite to replace it)\n", w->paths[i], status);
    w->bad_input = 1;
    w->finished++;
  }
}

/* Claims the next point this worker may run and starts it in sl: 1, or 0
 * when none is free now (*busy: some are held by other workers). */
static int claim_next(sweeper *w, slot *sl, int *busy) {
  /* one pass over the order from where the last claim left off; the cursor
   * moves on each claim, but the pass keeps its start, or it would jump
   * over points after one that was claimed and then passed over */
  const size_t start = w->cursor;
  for (size_t j = 0; j < w->n; ++j) {
    const size_t k = (start + j) % w->n, i = w->order[k];
    const int st = w->state[i];
    if (w->tried[i] || (!w->redo[i] && (st == PT_DONE || st == PT_DIVERGED || st == PT_BAD ||
                                        (st == PT_FAILED && !w->retry_failed))))
      continue;
    gv_claim_info old;
    char msg[512], status[64];
    int r = gv_claim_take(&sl->c, w->paths[i], w->lease, &old, msg, sizeof msg);
    if (r == GV_CLAIM_BUSY) {
      *busy = 1;
      continue;
    }
    w->tried[i] = 1;
    w->cursor = k + 1;
    progress_clear(w);
    if (r == GV_CLAIM_FAILED) {
      fprintf(stderr, "governor: %s\n", msg);
      w->failed = 1;
      w->finished++;
      continue;
    }
    if (old.pid > 0)
      printf("%s: taking over the claim of %s:%ld (%s%.0fs)\n", w->names[i], old.host, old.pid,
             old.alive == 0 ? "that process is gone; last heartbeat " : "no heartbeat for ",
             old.age);
    /* examined again now that it is ours: another worker may have ended it */
    gv_sweep_point pt = {0};
    gv_err err = {{0}, {0}};
    int now = PT_BAD;
    char *want = NULL;
    if (gv_sweep_point_at(w->sw, i, &pt, &err) == GV_OK) {
      want = gv_cfg_emit(pt.tree);
      now = point_state(w->paths[i], want, status, sizeof status);
      sl->steps = point_steps(pt.tree);
    } else {
      snprintf(status, sizeof status, "bad point");
    }
    free(want);
    gv_sweep_point_clear(&pt);
    if (now == PT_BAD && old.pid > 0 && !strcmp(status, "unreadable"))
      now = PT_STOPPED; /* its owner died while creating it */
    if (!w->redo[i] && now != PT_PENDING && now != PT_STOPPED &&
        !(now == PT_FAILED && w->retry_failed)) {
      gv_claim_release(&sl->c);
      w->state[i] = (char)now;
      if (w->planned_open[i] && (now == PT_DONE || now == PT_DIVERGED)) {
        progress_clear(w);
        printf("[%zu/%zu] %s %s by another worker\n", ++w->finished, w->n, w->names[i],
               now == PT_DONE ? "completed" : "diverged");
      } else {
        point_skipped(w, i, now, status);
      }
      continue;
    }
    int resume = 0;
    if (!w->redo[i] && now == PT_STOPPED) {
      const int ck = checkpoint_exists(w->paths[i]);
      resume = ck && resume_available(w);
      if (resume) printf("%s: resuming from its checkpoint (status %s)\n", w->names[i], status);
      else if (ck) printf("%s: has a checkpoint, but `governor resume` is not in this build: "
                          "running it again from step 0\n", w->names[i]);
      else printf("%s: status %s and no checkpoint: running it again from step 0\n",
                  w->names[i], status);
    }
    sl->i = i;
    sl->t0 = sl->beat = gv_now();
    sl->step = -1;
    sl->lost = 0;
    sl->resumed = resume;
    sl->die = ++w->started == w->die_k && w->rank == w->die_rank;
    sl->pid = start_child(w, sl, resume);
    if (sl->pid < 0) {
      fprintf(stderr, "governor: fork failed: %s\n", strerror(errno));
      gv_claim_release(&sl->c);
      sl->pid = 0;
      w->failed = 1;
      w->finished++;
      continue;
    }
    gv_claim_beat(&sl->c, w->paths[i], (long)sl->pid, -1, 1);
    w->nrun++;
    return 1;
  }
  return 0;
}

/* The sweep's progress line (terminals only): runs done, running, the
 * slowest running run's step, an estimate of the time left. */
static void progress_draw(sweeper *w) {
  const double now = gv_now();
  if (!w->tty || now - w->last_draw < 0.5) return;
  w->last_draw = now;
  const slot *slow = NULL;
  double mean = w->ndur ? w->sum_dur / (double)w->ndur : -1, left = 0;
  for (long k = 0; k < w->a->jobs; ++k) {
    const slot *sl = &w->slots[k];
    if (!sl->pid) continue;
    double frac = sl->steps > 0 && sl->step > 0 ? (double)sl->step / (double)sl->steps : 0;
    if (!slow || frac < (slow->steps > 0 ? (double)slow->step / (double)slow->steps : 0))
      slow = sl;
    double rest = frac > 0 ? (now - sl->t0) * (1 - frac) / frac : mean;
    if (mean < 0 && frac > 0) mean = (now - sl->t0) / frac;
    if (rest > left) left = rest;
  }
  size_t pending = w->n - w->finished - (size_t)w->nrun;
  char eta[32] = "?";
  if (mean >= 0) {
    left += mean * (double)((pending + (size_t)w->a->jobs - 1) / (size_t)w->a->jobs);
    snprintf(eta, sizeof eta, "%.0fs", left);
  }
  printf("\r\033[Ksweep: %zu/%zu done, %ld running", w->finished, w->n, w->nrun);
  if (slow)
    printf(", slowest %.40s at step %lld/%lld", w->names[slow->i], slow->step < 0 ? 0 : slow->step,
           slow->steps);
  printf(", ETA %s", eta);
  fflush(stdout);
  w->drawn = 1;
}

/* Heartbeats: the step each run reached, the claims refreshed when their
 * run made progress; a run whose claim was taken over is stopped. */
static void sweep_beat(sweeper *w) {
  const double now = gv_now();
  for (long k = 0; k < w->a->jobs; ++k) {
    slot *sl = &w->slots[k];
    if (!sl->pid || sl->lost || now - sl->beat < 1) continue;
    sl->beat = now;
    long long step = gv_claim_run_step(w->paths[sl->i]);
    if (step >= 0) sl->step = step;
    if (!gv_claim_ours(&sl->c)) {
      progress_clear(w);
      printf("%s: its claim was taken over by another worker: stopping its run here\n",
             w->names[sl->i]);
      sl->lost = 1;
      kill(sl->pid, SIGKILL);
      continue;
    }
    gv_claim_beat(&sl->c, w->paths[sl->i], (long)sl->pid, sl->step, 0);
  }
}

/* A child ended: its outcome, its claim released. */
static void sweep_reap(sweeper *w, pid_t pid, int st) {
  for (long k = 0; k < w->a->jobs; ++k) {
    slot *sl = &w->slots[k];
    if (sl->pid != pid) continue;
    sl->pid = 0;
    w->nrun--;
    progress_clear(w);
    if (sl->lost) {
      close(sl->c.fd);
      sl->c.fd = -1;
      continue;
    }
    if (sl->die && WIFSIGNALED(st)) { /* tests: the worker dies with its run, claims left */
      fflush(NULL);
      raise(SIGKILL);
    }
    char what[128], status[64];
    int code = child_outcome(st, w->paths[sl->i], what, sizeof what);
    if (code && point_state(w->paths[sl->i], NULL, status, sizeof status) == PT_BAD &&
        !strcmp(status, "unreadable")) {
      unlink(w->paths[sl->i]); /* our child died creating it: nothing to keep */
      snprintf(what + strlen(what), sizeof what - strlen(what), ", its unreadable file removed");
    }
    gv_claim_release(&sl->c);
    if (code == 2) w->bad_input = 1;
    else if (code && !(sweep_stop && WIFEXITED(st))) w->failed = 1;
    if (code == 0) {
      w->sum_dur += gv_now() - sl->t0;
      w->ndur++;
    }
    printf("[%zu/%zu] %s %s (%.1fs)\n", ++w->finished, w->n, w->names[sl->i], what,
           gv_now() - w->t0);
  }
}

/* Which worker this process is: Open MPI, MPICH (PMI), srun, a Slurm array. */
static void worker_rank(long *rank, long *size) {
  static const char *const vars[][3] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", NULL},
                                        {"PMI_RANK", "PMI_SIZE", NULL},
                                        {"SLURM_PROCID", "SLURM_NTASKS", NULL},
                                        {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
                                         "SLURM_ARRAY_TASK_MIN"}};
  *rank = 0;
  *size = 1;
  char count[32]; /* Slurm without SLURM_ARRAY_TASK_COUNT: MAX - MIN + 1 */
  if (getenv("SLURM_ARRAY_TASK_ID") && !getenv("SLURM_ARRAY_TASK_COUNT") &&
      getenv("SLURM_ARRAY_TASK_MAX")) {
    const char *mn = getenv("SLURM_ARRAY_TASK_MIN");
    snprintf(count, sizeof count, "%ld",
             atol(getenv("SLURM_ARRAY_TASK_MAX")) - (mn ? atol(mn) : 0) + 1);
    setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
  }
  for (size_t k = 0; k < sizeof vars / sizeof vars[0]; ++k) {
    const char *r = getenv(vars[k][0]), *s = getenv(vars[k][1]);
    if (!r || !s || atol(s) <= 1) continue;
    long min = vars[k][2] && getenv(vars[k][2]) ? atol(getenv(vars[k][2])) : 0;
    *rank = atol(r) - min;
    *size = atol(s);
    if (*rank < 0 || *rank >= *size) *rank %= *size < 1 ? 1 : *size;
    if (*rank < 0) *rank = 0;
    return;
  }
}

/* The sweep's folder (where its manifest goes), from its first point. */
static void sweep_dir(const char *path0, char *dir, size_t size) {
  snprintf(dir, size, "%s", path0);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  else snprintf(dir, size, ".");
}

/* DIR/.governor-sweep.yaml: the config (after --set), so that `--status
 * DIR` knows the grid.  Written through a temporary file and a rename. */
static void write_manifest(const gv_node *root, const char *config, const char *dir) {
  gv_node *m = gv_node_clone(root);
  if (!gv_map_get(m, "name")) {
    char stem[GV_STR_MAX];
    const char *b = strrchr(config, '/');
    snprintf(stem, sizeof stem, "%s", b ? b + 1 : config);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    gv_map_set(m, "name", gv_node_new_scalar(stem));
  }
  gv_map_set(m, "out", gv_node_new_scalar(dir));
  char *y = gv_cfg_emit(m), path[4300], tmp[4400];
  snprintf(path, sizeof path, "%s/.governor-sweep.yaml", dir);
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f && fputs(y, f) >= 0 && fclose(f) == 0) rename(tmp, path);
  else if (f) unlink(tmp);
  free(y);
  gv_node_free(m);
}

/* With several workers: 1 when this one prints the end-of-sweep table for
 * the whole sweep.  It does when every point's file is final (completed,
 * diverged or failed) and unclaimed, and no worker printed the table for
 * these very files: their identity (inode, size and mtime of each) names a
 * marker DIR/.governor-sweep.table-HASH that is created exclusively, so of
 * the workers that end together (the last point's, those waiting for it)
 * one prints, and a rerun that changes nothing prints nothing.  The printer
 * holds an OFD lock on the marker while it prints and writes "printed" into
 * it when done (sweep_table_printed): the marker appears already locked (made
 * under a name of its own, locked, then linked into place), and an empty
 * marker nobody holds is a printer that died mid-table, which the next
 * worker to end on these files takes over (the lock elects one).  *marker:
 * the locked descriptor, for sweep_table_printed. */
static int sweep_table_mine(const sweeper *w, const char *dir, int *marker) {
  *marker = -1;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < w->n; ++i) {
    char status[64];
    gv_claim_info ci;
    struct stat sb;
    const int st = point_state(w->paths[i], NULL, status, sizeof status);
    if ((st != PT_DONE && st != PT_DIVERGED && st != PT_FAILED) ||
        gv_claim_read(w->paths[i], &ci) || stat(w->paths[i], &sb) != 0)
      return 0;
    const long long id[4] = {(long long)sb.st_ino, (long long)sb.st_size,
                             (long long)sb.st_mtim.tv_sec, (long long)sb.st_mtim.tv_nsec};
    const unsigned char *b = (const unsigned char *)id;
    for (size_t k = 0; k < sizeof id; ++k) h = (h ^ b[k]) * 1099511628211ull;
  }
  static const char stem[] = ".governor-sweep.table-";
  char mine[64], path[4400], tmp[4500];
  snprintf(mine, sizeof mine, "%s%016llx", stem, (unsigned long long)h);
  snprintf(path, sizeof path, "%s/%s", dir, mine);
  snprintf(tmp, sizeof tmp, "%s.%s.%ld", path, gv_claim_host(), (long)getpid());
  int fd = open(tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  int made = gv_h5_ofd_lock(fd) == 0 && link(tmp, path) == 0;
  const int e = errno;
  unlink(tmp);
  if (!made && e != EEXIST) {
    /* no hard links here (some FUSE filesystems): an exclusive create, locked
     * a moment after it appears (a worker that finds it in that moment may
     * take it over: a second table at worst) */
    close(fd);
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    made = fd >= 0 && gv_h5_ofd_lock(fd) == 0;
    if (!made && fd >= 0) close(fd);
    if (!made) return 0;
  }
  if (!made) { /* a marker exists: printed, being printed, or left by a dead printer */
    close(fd);
    struct stat ms;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || gv_h5_ofd_lock(fd) != 0 || fstat(fd, &ms) != 0 || ms.st_size != 0) {
      if (fd >= 0) close(fd);
      return 0;
    }
  }
  *marker = fd;
  DIR *dp = opendir(dir); /* the markers of earlier states of the sweep */
  for (struct dirent *e; dp && (e = readdir(dp));)
    if (!strncmp(e->d_name, stem, sizeof stem - 1) && strncmp(e->d_name, mine, strlen(mine))) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  if (dp) closedir(dp);
  return 1;
}

/* The end table is out: the marker says so, and the lock goes. */
static void sweep_table_printed(int marker) {
  if (marker < 0) return;
  /* a failed write leaves it empty: the next worker to end prints again */
  const ssize_t n = write(marker, "printed\n", 8);
  (void)n;
  close(marker);
}

/* `governor sweep --status`: every point's state, and the sweep's ETA. */
/* compare: check finished files against the points' resolved configs (the
 * sweep's own CONFIG was given; a folder's manifest may resolve paths
 * differently from the command that ran the sweep, so it is not used). */
static int sweep_status(const gv_sweep *sw, double lease, int compare) {
  const size_t n = gv_sweep_count(sw);
  gv_sweep_point pt = {0};
  enum { RUNNING = PT_BAD + 1, STALE, NBUCKET };
  size_t count[NBUCKET] = {0};
  double dur = 0;
  size_t ndur = 0;
  char owners[64][300];
  size_t nowners = 0;
  printf("%-40s %-10s %s\n", "run", "state", "detail");
  for (size_t i = 0; i < n; ++i) {
    gv_sweep_label(sw, i, &pt);
    if (!pt.path[0] && gv_sweep_point_at(sw, i, &pt, &(gv_err){{0}, {0}}) != GV_OK) continue;
    char status[64], detail[600] = "", state[64];
    int st = point_state(pt.path, NULL, status, sizeof status);
    gv_claim_info ci;
    const int claimed = gv_claim_read(pt.path, &ci);
    int foreign = 0; /* a finished file of another config: the sweep refuses it */
    if (compare && !claimed &&
        (st == PT_DONE || st == PT_DIVERGED || st == PT_FAILED || st == PT_STOPPED)) {
      gv_sweep_point full = {0};
      if (gv_sweep_point_at(sw, i, &full, &(gv_err){{0}, {0}}) == GV_OK) {
        char *want = gv_cfg_emit(full.tree), other[64];
        foreign = want && point_state(pt.path, want, other, sizeof other) == PT_BAD;
        free(want);
      }
      gv_sweep_point_clear(&full);
    }
    snprintf(state, sizeof state, "%s", st == PT_PENDING ? "pending" : st == PT_STOPPED ?
             "stopped" : st == PT_BAD ? "unreadable" : status);
    if (claimed && st != PT_DONE && st != PT_DIVERGED && st != PT_FAILED) {
      long long step = gv_claim_run_step(pt.path);
      if (step < 0) step = ci.step;
      long long steps = -1;
      gv_sweep_point full = {0};
      if (gv_sweep_point_at(sw, i, &full, &(gv_err){{0}, {0}}) == GV_OK)
        steps = point_steps(full.tree);
      gv_sweep_point_clear(&full);
      if (gv_claim_stale(&ci, lease)) {
        snprintf(state, sizeof state, "stale");
        snprintf(detail, sizeof detail, "claimed by %s:%ld, %s%.0fs ago; the next worker takes "
                 "it over", ci.host, ci.pid, ci.alive == 0 ? "a process that is gone, last "
                 "heartbeat " : "last heartbeat ", ci.age);
      } else {
        snprintf(state, sizeof state, "running");
        snprintf(detail, sizeof detail, "on %s:%ld (child %ld), step %lld", ci.host, ci.pid,
                 ci.child, step < 0 ? 0 : step);
        if (steps > 0)
          snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "/%lld", steps);
        char who[300];
        snprintf(who, sizeof who, "%s:%ld", ci.host, ci.pid);
        size_t k = 0;
        while (k < nowners && strcmp(owners[k], who)) k++;
        if (k == nowners && nowners < 64) snprintf(owners[nowners++], sizeof who, "%s", who);
      }
    } else if (st == PT_STOPPED) {
      snprintf(detail, sizeof detail, "status %s%s", status, checkpoint_exists(pt.path) ?
               ", checkpoint: resumed by the next sweep" : ", no checkpoint: run again by the "
               "next sweep");
    } else if (st != PT_PENDING) {
      snprintf(detail, sizeof detail, "%s", pt.path);
    }
    if (foreign) {
      st = PT_BAD;
      snprintf(state, sizeof state, "other");
      snprintf(detail, sizeof detail, "%.400s: status %s of another config; the sweep refuses it "
               "(exit 2) unless --overwrite", pt.path, status);
    }
    if (st == PT_DONE || st == PT_DIVERGED) { /* its duration, for the ETA */
      gv_runread *rr;
      gv_err err;
      struct stat fs;
      if (stat(pt.path, &fs) == 0 && gv_runread_open(&rr, pt.path, &err) == GV_OK) {
        char *utc = gv_runread_attr(rr, "start_utc");
        struct tm tm = {0};
        if (utc && strptime(utc, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
          double d = difftime(fs.st_mtime, timegm(&tm));
          if (d >= 0) dur += d, ndur++;
        }
        free(utc);
        gv_runread_close(rr);
      }
    }
    count[!strcmp(state, "running") ? RUNNING : !strcmp(state, "stale") ? STALE : st]++;
    printf("%-40s %-10s %s\n", pt.name, state, detail);
  }
  gv_sweep_point_clear(&pt);
  const size_t left = count[PT_PENDING] + count[PT_STOPPED] + count[STALE];
  const size_t running = count[RUNNING];
  printf("\n%zu runs: %zu completed, %zu diverged, %zu failed, %zu running, %zu pending, "
         "%zu stopped or stale\n", n, count[PT_DONE], count[PT_DIVERGED], count[PT_FAILED],
         running, count[PT_PENDING], count[PT_STOPPED] + count[STALE]);
  if (count[PT_BAD])
    printf("%zu file%s unreadable or of another config: the sweep refuses to start until they "
           "are moved or replaced (--overwrite)\n", count[PT_BAD], count[PT_BAD] == 1 ? "" : "s");
  if (!left && !running) printf("ETA: finished\n");
  else if (!ndur) printf("ETA: unknown (no run has finished yet)\n");
  else {
    const double mean = dur / (double)ndur, workers = nowners ? (double)nowners : 1;
    printf("ETA: about %.0f s (%zu runs to start, %zu running, %.1f s per run, %.0f worker%s "
           "running)\n", mean * ((double)left + 0.5 * (double)running) / workers, left, running,
           mean, workers, workers == 1 ? "" : "s");
  }
  return 0;
}

/* Options of `sweep` only. */
typedef struct sweep_opts {
  int status;               /* --status */
  int retry;                /* --retry-failed */
  int force;                /* --force: passed to `governor resume` (checkpoints of
                               another governor version are accepted) */
  int interleave;           /* --order interleave (else grid) */
  int no_wait;              /* --no-wait: end when every open point is another's */
  double lease;             /* --lease SECONDS */
} sweep_opts;

/* Fills o from the options of `sweep` only; the rest go to argv2 for the
 * common parser.  Returns 0 or an exit code. */
static int sweep_options(int argc, char **argv, char **argv2, int *argc2, sweep_opts *o) {
  *argc2 = 0;
  *o = (sweep_opts){.lease = 600};
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--status")) o->status = 1;
    else if (!strcmp(argv[i], "--retry-failed")) o->retry = 1;
    else if (!strcmp(argv[i], "--force")) o->force = 1;
    else if (!strcmp(argv[i], "--no-wait")) o->no_wait = 1;
    else if (!strcmp(argv[i], "--lease") && i + 1 < argc) {
      char *end;
      o->lease = strtod(argv[++i], &end);
      if (*end || end == argv[i] || !(o->lease >= 1 && o->lease <= 1e7))
        return bad_usage("--lease expects seconds in [1, 1e7]");
    } else if (!strcmp(argv[i], "--order")) {
      if (i + 1 < argc && !strcmp(argv[i + 1], "grid")) o->interleave = 0;
      else if (i + 1 < argc && !strcmp(argv[i + 1], "interleave")) o->interleave = 1;
      else return bad_usage("--order expects grid or interleave");
      ++i;
    } else argv2[(*argc2)++] = argv[i];
  }
  return 0;
}

static int cmd_sweep(int argc, char **argv) {
  cli_args a;
  gv_node *root;
  sweep_opts o;
  char **argv2 = calloc((size_t)argc + 1, sizeof *argv2);
  char manifest[4200] = "";
  int argc2, rc = sweep_options(argc, argv, argv2, &argc2, &o);
  struct stat dst;
  for (int i = 0; !rc && o.status && i < argc2; ++i) /* --status DIR: its manifest */
    if (argv2[i][0] == '-' && i + 1 < argc2 && strcmp(argv2[i], "--dry-run") &&
        strcmp(argv2[i], "--overwrite") && strcmp(argv2[i], "--print")) {
      ++i; /* an option's value (--out DIR, --set K=V, --jobs N) is not the sweep's folder */
    } else if (argv2[i][0] != '-' && stat(argv2[i], &dst) == 0 && S_ISDIR(dst.st_mode)) {
      snprintf(manifest, sizeof manifest, "%s/.governor-sweep.yaml", argv2[i]);
      if (access(manifest, R_OK) != 0) {
        fprintf(stderr, "governor: %s: not the folder of a sweep (no %s; give the sweep's "
                "CONFIG instead)\n", argv2[i], manifest);
        free(argv2);
        return 2;
      }
      const char *dir = argv2[i];
      argv2[i] = manifest;
      argv2[argc2++] = "--out";
      argv2[argc2++] = (char *)dir;
      break;
    }
  if (!rc) rc = cli_load(argc2, argv2, &a, &root);
  free(argv2);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  gv_sweep *sw = NULL;
  gv_status s = gv_sweep_open(root, a.config,
                              a.dry_run ? GV_SWEEP_CHECK_AUTO : GV_SWEEP_CHECK_NONE, &sw, &err);
  long rank, size;
  worker_rank(&rank, &size);
  if (s == GV_OK && o.status) {
    rc = sweep_status(sw, o.lease, !manifest[0]);
    gv_sweep_close(sw);
    gv_node_free(root);
    return rc;
  }
  if (s == GV_OK && a.dry_run) {
    size_t *order = malloc(gv_sweep_count(sw) * sizeof *order);
    if (!order) abort();
    gv_sweep_order(sw, o.interleave, order);
    s = list_points(sw, 0, 0, 1, order, &err);
    free(order);
  }
  if (s == GV_OK && !a.dry_run && a.overwrite && size > 1)
    s = gv_fail(&err, GV_EINVAL, "--overwrite with %ld workers (this is worker %ld) would let "
                "one worker replace what another just finished: run the overwriting sweep as "
                "one process (--jobs N), or remove the files first", size, rank);
  if (s != GV_OK || a.dry_run) {
    gv_sweep_close(sw);
    gv_node_free(root);
    return report(s, &err);
  }
  sweeper w = {0};
  w.sw = sw;
  w.a = &a;
  w.n = gv_sweep_count(sw);
  w.rank = rank;
  w.size = size;
  w.lease = o.lease;
  w.retry_failed = o.retry;
  w.force = o.force;
  w.resume_ok = -1;
  w.tty = isatty(1) && size == 1; /* several workers: their lines only */
  w.die_rank = w.die_k = -1;
  if (getenv("GV_TEST_WORKER_DIE")) /* tests: RANK:K:STEP */
    sscanf(getenv("GV_TEST_WORKER_DIE"), "%ld:%ld:%ld", &w.die_rank, &w.die_k, &w.die_step);
  ssize_t sl = readlink("/proc/self/exe", w.self, sizeof w.self - 1);
  w.self[sl > 0 ? sl : 0] = 0;
  w.state = calloc(w.n, 1);
  w.tried = calloc(w.n, 1);
  w.redo = calloc(w.n, 1);
  w.planned_open = calloc(w.n, 1);
  w.names = calloc(w.n, sizeof *w.names);
  w.paths = calloc(w.n, sizeof *w.paths);
  w.slots = calloc((size_t)a.jobs, sizeof *w.slots);
  w.order = calloc(w.n, sizeof *w.order);
  if (!w.state || !w.tried || !w.redo || !w.planned_open || !w.names || !w.paths || !w.slots ||
      !w.order)
    abort();
  gv_sweep_order(sw, o.interleave, w.order);
  w.cursor = (size_t)rank * w.n / (size_t)size; /* workers start apart */
  s = sweep_plan(&w, &err);
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_sweep_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sweep_stop = 0;
  int waiting_said = 0, forwarded = 0, left = 0; /* left: ended with points others hold */
  w.t0 = gv_now();
  if (s == GV_OK) {
    char dir[4200];
    sweep_dir(w.paths[0], dir, sizeof dir);
    if (!gv_map_get(root, "variants") && w.n == 1) dir[0] = 0; /* one plain run */
    if (dir[0]) {
      mkdir(dir, 0777);
      write_manifest(root, a.config, dir);
    }
    for (size_t i = 0; i < w.n; ++i) {
      w.planned_open[i] = w.redo[i] || w.state[i] == PT_PENDING || w.state[i] == PT_STOPPED;
      gv_claim_info ci, old;
      gv_claim c;
      char msg[512];
      if (!w.planned_open[i] && gv_claim_read(w.paths[i], &ci) && gv_claim_stale(&ci, o.lease) &&
          gv_claim_take(&c, w.paths[i], o.lease, &old, msg, sizeof msg) == GV_CLAIM_TAKEN)
        gv_claim_release(&c); /* left by a worker that died after the run ended */
      if (!w.redo[i] && (w.state[i] == PT_DONE || w.state[i] == PT_DIVERGED ||
                         (w.state[i] == PT_FAILED && !o.retry)))
        point_skipped(&w, i, w.state[i], "");
    }
  }
  while (s == GV_OK) {
    if (sweep_stop && !forwarded) { /* preempted or interrupted: the runs stop and say so */
      forwarded = 1;                /* with the signal received: SIGTERM means preempted */
      for (long k = 0; k < a.jobs; ++k)
        if (w.slots[k].pid) kill(w.slots[k].pid, (int)sweep_stop);
    }
    int busy = 0;
    for (long k = 0; !sweep_stop && k < a.jobs; ++k)
      if (!w.slots[k].pid && !claim_next(&w, &w.slots[k], &busy)) break;
    if (!w.nrun) {
      if (sweep_stop || !busy) break;
      if (o.no_wait) { /* the open points are other workers': theirs to end */
        progress_clear(&w);
        printf("the points still open are claimed by other workers: not waiting for them "
               "(--no-wait; a point whose worker dies is left for the next sweep)\n");
        left = 1;
        break;
      }
      if (!waiting_said++) {
        progress_clear(&w);
        printf("waiting for runs claimed by other workers (a claim whose owner is gone is "
               "taken over)\n");
      }
      fflush(stdout);
      sleep(1);
      continue;
    }
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid > 0) {
      sweep_reap(&w, pid, st);
      continue;
    }
    sweep_beat(&w);
    progress_draw(&w);
    fflush(stdout);
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
  }
  progress_clear(&w);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  if (s == GV_OK && sweep_stop)
    printf("sweep stopped by signal %d: its runs were told to stop; run the same command "
           "again to continue\n", (int)sweep_stop);
  if (s == GV_OK && w.skipped_failed)
    fprintf(stderr, "governor: %zu run%s failed earlier and %s not run again (use "
            "--retry-failed)\n", w.skipped_failed, w.skipped_failed == 1 ? "" : "s",
            w.skipped_failed == 1 ? "was" : "were");
  char tdir[4200] = ".";
  if (s == GV_OK) sweep_dir(w.paths[0], tdir, sizeof tdir);
  int marker = -1;
  if (s == GV_OK && !sweep_stop && !left && (size == 1 || sweep_table_mine(&w, tdir, &marker))) {
    if (size > 1)
      printf("worker %ld of %ld (%s:%ld) ends the sweep: every point is done\n", rank, size,
             gv_claim_host(), (long)getpid());
    const gv_experiment *exp = NULL;
    gv_sweep_point pt = {0};
    if (gv_sweep_point_at(sw, 0, &pt, &err) == GV_OK) gv_exp_find(pt.tree, "", &exp, &err);
    gv_sweep_point_clear(&pt);
    sweep_table(exp, w.names, w.paths, w.n);
    fflush(stdout);
    sweep_table_printed(marker);
    run_plots(root, (const char *const *)w.paths, w.n, tdir);
  } else if (s == GV_OK) {
    printf("worker %ld of %ld (%s:%ld) ends; `governor sweep --status` shows the whole sweep\n",
           rank, size, gv_claim_host(), (long)getpid());
  }
  for (size_t i = 0; i < w.n; ++i) {
    free(w.names[i]);
    free(w.paths[i]);
  }
  free(w.names);
  free(w.paths);
  free(w.state);
  free(w.tried);
  free(w.redo);
  free(w.planned_open);
  free(w.slots);
  free(w.order);
  gv_sweep_close(sw);
  gv_node_free(root);
  if (s != GV_OK) return report(s, &err);
  return w.bad_input ? 2 : w.failed || w.skipped_failed || sweep_stop ? 1 : 0;
}

/* The group of a run: its `group` attribute; for files made before it
 * existed, the name without a trailing "-seedN" or "-seed=N". */
static void run_group(gv_runread *rr, char *buf, size_t size) {
  char *g = gv_runread_attr(rr, "group");
  if (g && *g) {
    snprintf(buf, size, "%s", g);
    free(g);
    return;
  }
  free(g);
  char *name = gv_runread_attr(rr, "name");
  snprintf(buf, size, "%s", name ? name : "");
  free(name);
  char *p = strstr(buf, "-seed");
  if (!p) return;
  const char *digits = p[5] == '=' ? p + 6 : p + 5;
  if (*digits && strspn(digits, "0123456789") == strlen(digits)) *p = 0;
}

/* With several files of one stochastic config over seeds, the Lyapunov
 * exponent estimate (1/t) log |X(t)| is reported over the seeds. */
static void lyapunov_over_files(int argc, char **argv) {
  char (*names)[GV_STR_MAX] = calloc((size_t)argc, sizeof *names);
  double *ly = calloc((size_t)argc, sizeof *ly), *pred = calloc((size_t)argc, sizeof *pred);
  for (int i = 0; i < argc; ++i) {
    gv_runread *rr;
    gv_err err;
    ly[i] = pred[i] = NAN;
    if (gv_runread_open(&rr, argv[i], &err) != GV_OK) continue;
    run_group(rr, names[i], sizeof names[i]);
    if (gv_runread_summary_real(rr, "pred_lyapunov", &pred[i]) != GV_OK) pred[i] = NAN;
    if (gv_runread_summary_real(rr, "meas_lyapunov", &ly[i]) != GV_OK) ly[i] = NAN;
    gv_runread_close(rr);
  }
  for (int i = 0; i < argc; ++i) {
    if (isnan(pred[i]) || !names[i][0]) continue;
    double s1 = 0, s2 = 0;
    int n = 0;
    for (int j = i; j < argc; ++j)
      if (!strcmp(names[j], names[i]) && isfinite(ly[j])) {
        s1 += ly[j];
        s2 += ly[j] * ly[j];
        n++;
        if (j > i) names[j][0] = 0;
      }
    if (n < 2) continue;
    double mean = s1 / n, sd = sqrt(fmax(0, (s2 - s1 * s1 / n) / (n - 1)));
    printf("\n%s over %d seeds: Lyapunov exponent per step %.6g +- %.2g (predicted %.6g)\n",
           names[i], n, mean, sd, pred[i]);
  }
  free(names);
  free(ly);
  free(pred);
}

static int cmd_analyze(int argc, char **argv) {
  if (argc < 1) return bad_usage("analyze needs at least one RUN.h5");
  int worst = 0;
  for (int i = 0; i < argc; ++i) {
    gv_err err = {{0}, {0}};
    gv_runread *rr;
    gv_status s = gv_runread_open(&rr, argv[i], &err);
    char *kind = NULL;
    if (s == GV_OK) {
      kind = gv_runread_attr(rr, "kind");
      gv_runread_close(rr);
    }
    const gv_experiment *exp = NULL;
    if (s == GV_OK) {
      const gv_component *c = gv_registry_find(&gv_game_registry, kind);
      exp = (const gv_experiment *)c;
      if (!exp) s = gv_fail(&err, GV_EINVAL, "%s: no analysis for run kind '%s'", argv[i],
                            kind ? kind : "");
    }
    free(kind);
    if (s == GV_OK) s = exp->analyze(argv[i], stdout, &err);
    if (s != GV_OK) {
      report(s, &err);
      if (gv_exit_code(s) > worst) worst = gv_exit_code(s);
    }
    if (i + 1 < argc) printf("\n");
  }
  if (argc > 1) lyapunov_over_files(argc, argv);
  return worst;
}

static int cmd_scan(int argc, char **argv) {
  const char *config = NULL, *key = NULL, *out = "runs/scan.h5";
  double from = NAN, to = NAN;
  long num = 41;
  for (int i = 0; i < argc; ++i) {
    int bad = 0;
    if (!strcmp(argv[i], "--key") && i + 1 < argc) key = argv[++i];
    else if (!strcmp(argv[i], "--from") && i + 1 < argc)
      bad = gv_parse_real(argv[++i], &from) != GV_OK || !isfinite(from);
    else if (!strcmp(argv[i], "--to") && i + 1 < argc)
      bad = gv_parse_real(argv[++i], &to) != GV_OK || !isfinite(to);
    else if (!strcmp(argv[i], "--num") && i + 1 < argc)
      bad = gv_parse_int(argv[++i], &num) != GV_OK || num < 2 || num > 1000000;
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (argv[i][0] != '-' && !config) config = argv[i];
    else return bad_usage("scan: unexpected argument");
    if (bad) {
      char m[300];
      snprintf(m, sizeof m, "scan: %s '%.200s' (allowed: %s)", argv[i - 1], argv[i],
               strcmp(argv[i - 1], "--num") ? "finite numbers" : "integers in [2, 1000000]");
      return bad_usage(m);
    }
  }
  if (!config || !key || from != from || to != to)
    return bad_usage("scan needs CONFIG --key KEY --from A --to B");
  if (gv_exp_same_file(config, out)) return bad_usage("scan: --out is the config file itself");
  gv_err err = {{0}, {0}};
  gv_node *root = NULL;
  gv_status s = gv_cfg_load(config, &root, &err);
  const gv_experiment *exp = NULL;
  if (s == GV_OK) s = gv_exp_find(root, config, &exp, &err);
  if (s == GV_OK && !exp->scan)
    s = gv_fail(&err, GV_EINVAL, "scan: not supported for game '%s'", exp->info.name);
  if (s == GV_OK) s = exp->scan(root, config, key, from, to, num, out, &err);
  if (s == GV_OK) printf("wrote %s\n", out);
  gv_node_free(root);
  return report(s, &err);
}

static int cmd_plot(int argc, char **argv) {
  const char *kind = "auto", *out = NULL;
  const char **files = calloc((size_t)argc + 1, sizeof *files);
  int nf = 0;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--kind") && i + 1 < argc) kind = argv[++i];
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else files[nf++] = argv[i];
  }
  if (!nf) {
    free(files);
    return bad_usage("plot needs at least one RUN.h5");
  }
  for (int i = 0; out && i < nf; ++i)
    if (gv_exp_same_file(out, files[i])) {
      free(files);
      return bad_usage("plot: --out is one of the run files");
    }
  char def[1024];
  if (!out) {
    snprintf(def, sizeof def, "%s", files[0]);
    char *dot = strrchr(def, '.');
    if (dot) *dot = 0;
    strncat(def, ".png", sizeof def - strlen(def) - 1);
    out = def;
  }
  const char **av = calloc((size_t)nf + 8, sizeof *av);
  int c = 0;
  av[c++] = "/usr/bin/python3";
  av[c++] = GV_SOURCE_DIR "/plots/governor_plot.py";
  av[c++] = kind;
  for (int i = 0; i < nf; ++i) av[c++] = files[i];
  av[c++] = "--out";
  av[c++] = out;
  execv(av[0], (char *const *)av);
  fprintf(stderr, "governor: cannot run %s: %s (install python3-matplotlib, python3-h5py)\n",
          av[0], strerror(errno));
  free(av);
  free(files);
  return 2;
}

/* Runs /usr/bin/python3 SCRIPT ARGS... in place of this process (returns 2
 * only when that cannot start; `needs` names the Debian packages). */
static int exec_python(const char *script, int argc, char **argv, const char *needs) {
  const char **av = calloc((size_t)argc + 3, sizeof *av);
  if (!av) return 2;
  av[0] = "/usr/bin/python3";
  av[1] = script;
  for (int i = 0; i < argc; ++i) av[2 + i] = argv[i];
  execv(av[0], (char *const *)av);
  fprintf(stderr, "governor: cannot run %s: %s (install %s)\n", av[0], strerror(errno), needs);
  free(av);
  return 2;
}

/* `export ... --csv DIR`: the tidy CSV of plots/export_csv.py (which builds
 * it from plots/runfile.py's table, the one the plots read); any other
 * export copies a policy (experiments/rl.c). */
static int cmd_export(int argc, char **argv) {
  int csv = 0;
  for (int i = 0; i < argc; ++i) csv |= !strcmp(argv[i], "--csv");
  if (!csv) return gv_rl_export_main(argc, argv);
  return exec_python(GV_SOURCE_DIR "/plots/export_csv.py", argc, argv, "python3-h5py");
}

/* A study's report (plots/report.py, docs/report.md): arguments pass through. */
static int cmd_report(int argc, char **argv) {
  setenv("GV_PROG", "governor report", 1); /* its usage and errors name this command */
  return exec_python(GV_SOURCE_DIR "/plots/report.py", argc, argv,
                     "python3-matplotlib, python3-h5py");
}

/* `governor list [WHAT]`: every component and every key a config may hold.
 * WHAT is a registry (game, scheme, controller, agent, env), `top` (the
 * keys of every config) or a section key (disc, train, run, checkpoint,
 * ...: that section of every game that has it). */
static void list_top(void) {
  printf("top-level keys of every config:\n");
  gv_params_print(stdout, gv_common_params, "      ");
  printf("  plot: (a list) figures drawn after the run [");
  for (int i = 0; gv_plot_kinds[i]; ++i) printf("%s%s", i ? ", " : "", gv_plot_kinds[i]);
  printf("]\n  checkpoint: resume points of every game (docs/resume.md)\n");
  gv_params_print(stdout, gv_drive_ckpt_params, "      ");
}

static void list_envs(void) {
  gv_mjcf_print(stdout); /* the built-in tasks and the menu of game.env {kind: mjcf} */
  printf("\ntask options (keys of the rl game):\n");
  gv_params_print(stdout, gv_env_param_table, "      ");
}

static void list_games(const char *only) {
  if (!only) printf("games: %s\n", gv_game_registry.help);
  for (const gv_component *const *c = gv_game_registry.items; *c; ++c) {
    const gv_experiment *e = (const gv_experiment *)*c;
    int has = !only;
    for (const gv_section *s = e->sections; !has && s && s->key; ++s) has = !strcmp(s->key, only);
    if (!has) continue;
    printf("  %-16s %s\n", (*c)->name, (*c)->summary);
    if (!only && (*c)->cite) printf("  %-16s source: %s\n", "", (*c)->cite);
    if (!only) printf("    game:\n");
    if (!only) gv_params_print(stdout, e->game->params, "        ");
    for (const gv_section *s = e->sections; s && s->key; ++s)
      if (!only || !strcmp(s->key, only)) gv_exp_print_section(stdout, s, "    ");
  }
}

static int cmd_list(int argc, char **argv) {
  const char *kind = argc > 0 ? argv[0] : NULL;
  static const struct {
    const char *name;
    const gv_registry *reg;
  } regs[] = {{"scheme", &gv_scheme_registry}, {"controller", &gv_ctl_registry},
              {"agent", &gv_agent_registry}, {NULL, NULL}};
  if (!kind || !strcmp(kind, "top")) list_top();
  if (!kind || !strcmp(kind, "game") || !strcmp(kind, "games")) {
    if (!kind) printf("\n");
    list_games(NULL);
  }
  int any = !kind || !strcmp(kind, "top") || !strcmp(kind, "game") || !strcmp(kind, "games");
  for (int i = 0; regs[i].name; ++i) {
    const size_t n = strlen(regs[i].name);
    if (kind && !(!strncmp(kind, regs[i].name, n) && (!kind[n] || !strcmp(kind + n, "s"))))
      continue;
    if (any) printf("\n");
    gv_registry_print(stdout, regs[i].reg, 1);
    any = 1;
  }
  if (!kind || !strcmp(kind, "env") || !strcmp(kind, "envs")) {
    if (any) printf("\n");
    list_envs();
    any = 1;
  }
  if (!any && !strcmp(kind, "checkpoint")) {
    printf("checkpoint: resume points of every game (docs/resume.md)\n");
    gv_params_print(stdout, gv_drive_ckpt_params, "    ");
    any = 1;
  }
  if (!any) {
    for (const gv_component *const *c = gv_game_registry.items; !any && *c; ++c)
      for (const gv_section *s = ((const gv_experiment *)*c)->sections; s && s->key; ++s)
        any |= !strcmp(s->key, kind);
    if (any) list_games(kind);
  }
  if (!any) {
    fprintf(stderr, "governor: list: unknown kind '%s' (allowed: top, game, scheme, controller, "
            "agent, env, checkpoint, or a section: disc, train, sampled, run, ...)\n", kind);
    return 2;
  }
  return 0;
}

int gv_cli_main(int argc, char **argv) {
  if (argc < 2) return bad_usage("missing COMMAND");
  const char *cmd = argv[1];
  argc -= 2;
  argv += 2;
  /* report hands --help to its Python script, whose options it passes on;
   * plot's are its own (the script takes KIND as an argument, not --kind) */
  if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) &&
      strcmp(cmd, "report") && command_help(cmd) == 0)
    return 0;
  if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
  if (!strcmp(cmd, "sweep")) return cmd_sweep(argc, argv);
  if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
  if (!strcmp(cmd, "resume")) return cmd_resume(argc, argv);
  if (!strcmp(cmd, "analyze")) return cmd_analyze(argc, argv);
  if (!strcmp(cmd, "scan")) return cmd_scan(argc, argv);
  if (!strcmp(cmd, "plot")) return cmd_plot(argc, argv);
  if (!strcmp(cmd, "report")) return cmd_report(argc, argv);
  if (!strcmp(cmd, "list")) return cmd_list(argc, argv);
  if (!strcmp(cmd, "bench")) return gv_bench_main(argc, argv);
  if (!strcmp(cmd, "record")) return gv_rl_record_main(argc, argv);
  if (!strcmp(cmd, "evaluate")) return gv_evaluate_main(argc, argv);
  if (!strcmp(cmd, "export")) return cmd_export(argc, argv);
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    printf("%s", usage);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("governor %s (%s)\n", GV_VERSION, GV_GIT_COMMIT);
    return 0;
  }
  char m[300];
  snprintf(m, sizeof m, "unknown command '%s'", cmd);
  return bad_usage(m);
}
