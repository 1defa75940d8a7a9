/* The `governor` command line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controllers/ctl.h"
#include "core/progress.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "gan/scheme.h"

extern const gv_experiment gv_exp_dirac, gv_exp_mlpgan;
extern const gv_experiment gv_exp_rl;
extern const gv_experiment gv_exp_onestep;
extern const gv_experiment gv_exp_gail, gv_exp_onestep_sampled, gv_exp_dac;
/* experiments/rl.c: demonstrations and policy files */
int gv_rl_record_main(int argc, char **argv);
int gv_rl_export_main(int argc, char **argv);

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
    "                                     run the grid of `variants:` and list-valued keys\n"
    "                                     (finished runs of the same config are skipped)\n"
    "  check CONFIG [--set KEY=VALUE]... [--print]   validate (and print the resolved config)\n"
    "  analyze RUN.h5...                  stability report: predicted against measured\n"
    "  scan CONFIG --key KEY --from A --to B [--num N] [--out PATH]\n"
    "                                     eigenvalues against one parameter\n"
    "  plot [--kind KIND] [--out PNG] RUN.h5...   figures; KIND: phase, distance, eig,\n"
    "                                     lyapunov, samples, gan-metrics, gail-return, auto\n"
    "  report RUN.h5... --out DIR [--baseline ARM]  a study's tables, figures, HTML (docs/report.md)\n"
    "  list [game|scheme|controller]      registered components with their parameters\n"
    "  record RUN.h5 --episodes N --out FILE.h5 [--seed S] [--group G]\n"
    "         [--random-episodes R] [--eval-episodes E]\n"
    "                                     record deterministic demonstrations of a saved policy\n"
    "  export RUN.h5 --out POLICY.h5 [--group policy|policy_best]\n"
    "                                     copy a run's policy to a standalone file\n"
    "  bench [dirac|nn|env|ppo|td3|gail|dac|all] [--seconds S]  benchmarks (docs/benchmarks.md)\n"
    "exit codes: 0 success, 1 run failed or diverged, 2 bad input\n";

static int bad_usage(const char *msg) {
  fprintf(stderr, "governor: %s\n%s", msg, usage);
  return 2;
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
  for (int i = 0; s == GV_OK && i < a->nsets; ++i) s = gv_cfg_set(*root, a->sets[i], &err);
  if (s != GV_OK) {
    gv_node_free(*root);
    *root = NULL;
    return report(s, &err);
  }
  if (a->out) gv_map_set(*root, "out", gv_node_new_scalar(a->out));
  return 0;
}

/* Runs a checked tree and analyses the run file it wrote. */
static gv_status run_one(const gv_experiment *exp, gv_node *tree, const char *file,
                         const char *path, int progress, gv_err *err) {
  gv_status s = exp->run(tree, file, path, progress, err);
  if (s == GV_OK || s == GV_EDIVERGED) {
    gv_err aerr;
    if (exp->analyze(path, progress ? stdout : NULL, &aerr) != GV_OK)
      fprintf(stderr, "governor: analysis of %s failed: %s\n", path, aerr.msg);
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
                             gv_err *err) {
  const size_t n = gv_sweep_count(sw);
  gv_sweep_point pt = {0};
  gv_status s = GV_OK;
  for (size_t i = (size_t)rank; s == GV_OK && i < n; i += (size_t)size) {
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

static int cmd_check(int argc, char **argv) {
  cli_args a;
  gv_node *root;
  int rc = cli_load(argc, argv, &a, &root);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  gv_sweep *sw = NULL;
  gv_status s = gv_sweep_open(root, a.config, GV_SWEEP_CHECK_AUTO, &sw, &err);
  if (s == GV_OK && a.print) s = list_points(sw, 1, 0, 1, &err);
  if (s == GV_OK) {
    size_t n = gv_sweep_count(sw);
    printf("%s: ok (%zu run%s)\n", a.config, n, n == 1 ? "" : "s");
  }
  gv_sweep_close(sw);
  gv_node_free(root);
  return report(s, &err);
}

/* The end-of-sweep table: status and the experiment's headline /summary
 * keys for every run (names[i], paths[i]). */
static void sweep_table(const gv_experiment *exp, char **names, char **paths, size_t n) {
  gv_err err;
  const gv_column *col = exp ? exp->table : NULL;
  printf("\n%-34s %-11s", "run", "status");
  for (size_t k = 0; col && col[k].key; ++k) printf(" %-12.12s", col[k].header);
  printf("\n");
  for (size_t i = 0; i < n; ++i) {
    gv_runread *rr;
    if (gv_runread_open(&rr, paths[i], &err) != GV_OK) {
      printf("%-34s (no file)\n", names[i]);
      continue;
    }
    char *st = gv_runread_attr(rr, "status");
    printf("%-34s %-11s", names[i], st ? st : "?");
    free(st);
    for (size_t k = 0; col && col[k].key; ++k) {
      char *v = gv_runread_summary_str(rr, col[k].key);
      char *end = NULL;
      double d = v ? strtod(v, &end) : NAN;
      int number = v && end && *end == 0 && end != v;
      if (number && !strcmp(col[k].key, "agree")) /* 1, 0, -1: nothing to compare */
        printf(" %-12s", d == 1 ? "yes" : d == 0 ? "NO" : "n/a");
      else if (number) printf(" %-12.5g", d);
      else printf(" %-12.12s", v ? v : "-");
      free(v);
    }
    printf("\n");
    gv_runread_close(rr);
  }
}

enum { POINT_RUN, POINT_DONE, POINT_OTHER }; /* not ours (another rank) */

/* Before anything runs: every point of this rank is checked, and its file
 * is free, or already done (a completed or diverged run of the same
 * resolved config: skipped), or replaced with --overwrite.  Fills state[]
 * and the names and paths of every point. */
static gv_status sweep_plan(const gv_sweep *sw, const cli_args *a, long rank, long size,
                            char *state, char **names, char **paths, gv_err *err) {
  const size_t n = gv_sweep_count(sw);
  gv_sweep_point pt = {0};
  gv_status s = GV_OK;
  for (size_t i = 0; s == GV_OK && i < n; ++i) {
    state[i] = (long)(i % (size_t)size) == rank ? POINT_RUN : POINT_OTHER;
    if (state[i] == POINT_OTHER) gv_sweep_label(sw, i, &pt);
    else s = gv_sweep_point_at(sw, i, &pt, err);
    if (s != GV_OK) break;
    names[i] = strdup(pt.name);
    paths[i] = strdup(pt.path);
    if (state[i] == POINT_OTHER || access(pt.path, F_OK) != 0) continue;
    if (gv_exp_same_file(pt.path, a->config)) {
      s = gv_fail(err, GV_EINVAL, "%s: the output of run %s is the config file itself", pt.path,
                  pt.name);
      break;
    }
    if (a->overwrite) continue;
    gv_runread *rr;
    gv_err rerr;
    char *st = NULL, *cfg = NULL, *want = gv_cfg_emit(pt.tree);
    if (gv_runread_open(&rr, pt.path, &rerr) == GV_OK) {
      st = gv_runread_attr(rr, "status");
      cfg = gv_runread_config(rr);
      gv_runread_close(rr);
    }
    const int done = st && (!strcmp(st, "completed") || !strcmp(st, "diverged")) && cfg &&
                     !strcmp(cfg, want);
    if (done) state[i] = POINT_DONE;
    else
      s = gv_fail(err, GV_EINVAL, "%s: exists and is not a finished run of this point's "
                  "config (status %s); nothing was run (use --overwrite to replace it)",
                  pt.path, st ? st : "unreadable");
    free(st);
    free(cfg);
    free(want);
  }
  gv_sweep_point_clear(&pt);
  return s;
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

/* How a sweep's child ended, for the progress line: 0 done, 1 failed or
 * diverged (the file's status says which), 2 bad input, killed. */
static int child_outcome(int st, const char *path, char *what, size_t size) {
  if (WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    snprintf(what, size, "killed by signal %d (%s)", sig, strsignal(sig));
    return 1;
  }
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  if (code == 1) {
    gv_runread *rr;
    gv_err err;
    char *status = NULL;
    if (gv_runread_open(&rr, path, &err) == GV_OK) {
      status = gv_runread_attr(rr, "status");
      gv_runread_close(rr);
    }
    snprintf(what, size, "%s", status ? status : "failed");
    free(status);
  } else {
    snprintf(what, size, "%s", code == 0 ? "done" : code == 2 ? "bad input" : "failed");
  }
  return code;
}

static int cmd_sweep(int argc, char **argv) {
  cli_args a;
  gv_node *root;
  int rc = cli_load(argc, argv, &a, &root);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  gv_sweep *sw = NULL;
  gv_status s = gv_sweep_open(root, a.config,
                              a.dry_run ? GV_SWEEP_CHECK_AUTO : GV_SWEEP_CHECK_NONE, &sw, &err);
  /* Under mpirun each rank takes every size-th point (Open MPI's environment). */
  long rank = 0, size = 1;
  if (getenv("OMPI_COMM_WORLD_SIZE")) {
    size = atol(getenv("OMPI_COMM_WORLD_SIZE"));
    rank = getenv("OMPI_COMM_WORLD_RANK") ? atol(getenv("OMPI_COMM_WORLD_RANK")) : 0;
    if (size < 1 || rank < 0 || rank >= size) size = 1, rank = 0;
  }
  if (s == GV_OK && a.dry_run) s = list_points(sw, 0, rank, size, &err);
  if (s != GV_OK || a.dry_run) {
    gv_sweep_close(sw);
    gv_node_free(root);
    return report(s, &err);
  }
  const size_t n = gv_sweep_count(sw);
  char *state = calloc(n, 1);
  char **names = calloc(n, sizeof *names), **paths = calloc(n, sizeof *paths);
  pid_t *pids = calloc(n, sizeof *pids);
  if (!state || !names || !paths || !pids) abort();
  s = sweep_plan(sw, &a, rank, size, state, names, paths, &err);
  int failed = 0, bad_input = 0;
  size_t running = 0, next = 0, done = 0;
  double t0 = gv_now();
  while (s == GV_OK && done < n) {
    while (next < n && running < (size_t)a.jobs) {
      if (state[next] != POINT_RUN) {
        if (state[next] == POINT_DONE)
          printf("[%zu/%zu] %s already done (%s)\n", done + 1, n, names[next], paths[next]);
        next++;
        done++;
        continue;
      }
      fflush(NULL);
      pid_t pid = fork();
      if (pid == 0) sweep_child(sw, next, a.config);
      if (pid < 0) {
        fprintf(stderr, "governor: fork failed: %s\n", strerror(errno));
        failed = 1;
        done++;
        next++;
        continue;
      }
      pids[next++] = pid;
      running++;
    }
    if (!running) continue;
    int st;
    pid_t pid = wait(&st);
    if (pid < 0) break;
    for (size_t i = 0; i < n; ++i)
      if (pids[i] == pid) {
        char what[128];
        int code = child_outcome(st, paths[i], what, sizeof what);
        if (code == 2) bad_input = 1;
        else if (code) failed = 1;
        printf("[%zu/%zu] %s %s (%.1fs)\n", done + 1, n, names[i], what, gv_now() - t0);
        pids[i] = 0;
      }
    running--;
    done++;
  }
  if (s == GV_OK && size == 1) {
    const gv_experiment *exp = NULL;
    gv_sweep_point pt = {0};
    if (gv_sweep_point_at(sw, 0, &pt, &err) == GV_OK) gv_exp_find(pt.tree, "", &exp, &err);
    gv_sweep_point_clear(&pt);
    sweep_table(exp, names, paths, n);
    char dir[GV_STR_MAX + 64];
    snprintf(dir, sizeof dir, "%s", paths[0]);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    run_plots(root, (const char *const *)paths, n, dir);
  }
  for (size_t i = 0; i < n; ++i) {
    free(names[i]);
    free(paths[i]);
  }
  free(names);
  free(paths);
  free(state);
  free(pids);
  gv_sweep_close(sw);
  gv_node_free(root);
  if (s != GV_OK) return report(s, &err);
  return bad_input ? 2 : failed ? 1 : 0;
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

/* A study's report (plots/report.py, docs/report.md): arguments pass through. */
static int cmd_report(int argc, char **argv) {
  const char **av = calloc((size_t)argc + 3, sizeof *av);
  if (!av) return 2;
  av[0] = "/usr/bin/python3";
  av[1] = GV_SOURCE_DIR "/plots/report.py";
  for (int i = 0; i < argc; ++i) av[2 + i] = argv[i];
  execv(av[0], (char *const *)av);
  fprintf(stderr, "governor: cannot run %s: %s (install python3-matplotlib, python3-h5py)\n",
          av[0], strerror(errno));
  free(av);
  return 2;
}

static int cmd_list(int argc, char **argv) {
  const char *kind = argc > 0 ? argv[0] : NULL;
  int any = 0;
  if (!kind || !strcmp(kind, "game") || !strcmp(kind, "games")) {
    printf("games: %s\n", gv_game_registry.help);
    for (const gv_component *const *c = gv_game_registry.items; *c; ++c) {
      const gv_experiment *e = (const gv_experiment *)*c;
      printf("  %-16s %s\n", (*c)->name, (*c)->summary);
      if ((*c)->cite) printf("  %-16s source: %s\n", "", (*c)->cite);
      gv_params_print(stdout, e->game->params, "      ");
    }
    any = 1;
  }
  if (!kind || !strcmp(kind, "scheme") || !strcmp(kind, "schemes")) {
    if (any) printf("\n");
    gv_registry_print(stdout, &gv_scheme_registry, 1);
    any = 1;
  }
  if (!kind || !strcmp(kind, "controller") || !strcmp(kind, "controllers")) {
    if (any) printf("\n");
    gv_registry_print(stdout, &gv_ctl_registry, 1);
    any = 1;
  }
  if (!any) {
    fprintf(stderr, "governor: list: unknown kind '%s' (allowed: game, scheme, controller)\n",
            kind);
    return 2;
  }
  return 0;
}

int gv_cli_main(int argc, char **argv) {
  if (argc < 2) return bad_usage("missing COMMAND");
  const char *cmd = argv[1];
  argc -= 2;
  argv += 2;
  if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
  if (!strcmp(cmd, "sweep")) return cmd_sweep(argc, argv);
  if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
  if (!strcmp(cmd, "analyze")) return cmd_analyze(argc, argv);
  if (!strcmp(cmd, "scan")) return cmd_scan(argc, argv);
  if (!strcmp(cmd, "plot")) return cmd_plot(argc, argv);
  if (!strcmp(cmd, "report")) return cmd_report(argc, argv);
  if (!strcmp(cmd, "list")) return cmd_list(argc, argv);
  if (!strcmp(cmd, "bench")) return gv_bench_main(argc, argv);
  if (!strcmp(cmd, "record")) return gv_rl_record_main(argc, argv);
  if (!strcmp(cmd, "export")) return gv_rl_export_main(argc, argv);
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
