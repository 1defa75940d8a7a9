/* The `governor` command line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controllers/ctl.h"
#include "core/progress.h"
#include "core/runfile.h"
#include "experiments/drive.h"
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

static const char usage[] =
    "usage: governor COMMAND [ARGS]\n"
    "  run CONFIG [--set KEY=VALUE]... [--out PATH]   run one experiment, write one HDF5 file\n"
    "  sweep CONFIG [--set KEY=VALUE]... [--jobs N] [--dry-run]\n"
    "                                     run the grid of `variants:` and list-valued keys\n"
    "  resume RUN.h5 [--config CONFIG] [--force]  continue a stopped run from RUN.h5.ckpt\n"
    "  check CONFIG [--set KEY=VALUE]... [--print]   validate (and print the resolved config)\n"
    "  analyze RUN.h5...                  stability report: predicted against measured\n"
    "  scan CONFIG --key KEY --from A --to B [--num N] [--out PATH]\n"
    "                                     eigenvalues against one parameter\n"
    "  plot [--kind phase|distance|eig|lyapunov|auto] [--out PNG] RUN.h5...\n"
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
  int dry_run, print;
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
      a->jobs = strtol(argv[++i], &end, 10);
      if (*end || a->jobs < 1) return bad_usage("--jobs expects a positive integer");
    } else if (!strcmp(s, "--dry-run")) {
      a->dry_run = 1;
    } else if (!strcmp(s, "--print")) {
      a->print = 1;
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
  gv_status s = gv_cfg_parse_file(a->config, root, &err);
  for (int i = 0; s == GV_OK && i < a->nsets; ++i) s = gv_cfg_set(*root, a->sets[i], &err);
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

/* The analysis of a run file a run or a resume (outcome s) finished. */
static gv_status analyze_after(const gv_experiment *exp, gv_status s, const char *path,
                               int progress) {
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
  if (!s) s = analyze_after(exp, gv_exp_resume(exp->driven, root, file, path, 1, force, &err),
                            path, 1);
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
  gv_sweep_point *pts = NULL;
  size_t n = 0;
  gv_status s = gv_sweep_expand(root, a.config, &pts, &n, &err);
  if (s == GV_OK) {
    if (a.print)
      for (size_t i = 0; i < n; ++i) {
        char *y = gv_cfg_emit(pts[i].tree);
        printf("# %s -> %s\n%s", pts[i].name, pts[i].path, y);
        free(y);
      }
    printf("%s: ok (%zu run%s)\n", a.config, n, n == 1 ? "" : "s");
  }
  gv_sweep_free(pts, n);
  gv_node_free(root);
  return report(s, &err);
}

/* The end-of-sweep table: status and the experiment's headline /summary
 * keys for every run. */
static void sweep_table(const gv_sweep_point *pts, size_t n) {
  const gv_experiment *exp = NULL;
  gv_err err;
  if (n == 0 || gv_exp_find(pts[0].tree, "", &exp, &err) != GV_OK) return;
  const gv_column *col = exp->table;
  printf("\n%-34s %-11s", "run", "status");
  for (size_t k = 0; col && col[k].key; ++k) printf(" %-12.12s", col[k].header);
  printf("\n");
  for (size_t i = 0; i < n; ++i) {
    gv_runread *rr;
    if (gv_runread_open(&rr, pts[i].path, &err) != GV_OK) {
      printf("%-34s (no file)\n", pts[i].name);
      continue;
    }
    char *st = gv_runread_attr(rr, "status");
    printf("%-34s %-11s", pts[i].name, st ? st : "?");
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

static int cmd_sweep(int argc, char **argv) {
  cli_args a;
  gv_node *root;
  int rc = cli_load(argc, argv, &a, &root);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  gv_sweep_point *pts = NULL;
  size_t n = 0;
  gv_status s = gv_sweep_expand(root, a.config, &pts, &n, &err);
  if (s != GV_OK) {
    gv_node_free(root);
    return report(s, &err);
  }
  /* Under mpirun each rank takes every size-th point (Open MPI's environment). */
  long rank = 0, size = 1;
  if (getenv("OMPI_COMM_WORLD_SIZE")) {
    size = atol(getenv("OMPI_COMM_WORLD_SIZE"));
    rank = getenv("OMPI_COMM_WORLD_RANK") ? atol(getenv("OMPI_COMM_WORLD_RANK")) : 0;
    if (size < 1 || rank < 0 || rank >= size) size = 1, rank = 0;
  }
  if (a.dry_run) {
    for (size_t i = 0; i < n; ++i)
      if ((long)i % size == rank) printf("%s -> %s\n", pts[i].name, pts[i].path);
    gv_sweep_free(pts, n);
    gv_node_free(root);
    return 0;
  }
  int failed = 0, bad_input = 0;
  size_t running = 0, next = 0, done = 0;
  pid_t *pids = calloc(n, sizeof *pids);
  double t0 = gv_now();
  while (done < n) {
    while (next < n && running < (size_t)a.jobs) {
      if ((long)next % size != rank) {
        next++;
        done++;
        continue;
      }
      fflush(NULL);
      pid_t pid = fork();
      if (pid == 0) {
        gv_err cerr = {{0}, {0}};
        const gv_experiment *exp;
        gv_status cs = gv_exp_find(pts[next].tree, a.config, &exp, &cerr); /* checked */
        if (cs == GV_OK) cs = run_one(exp, pts[next].tree, a.config, pts[next].path, 0, &cerr);
        if (cs != GV_OK) fprintf(stderr, "governor: %s: %s\n", pts[next].name, cerr.msg);
        fflush(NULL);
        _exit(gv_exit_code(cs));
      }
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
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        if (code == 2) bad_input = 1;
        else if (code) failed = 1;
        printf("[%zu/%zu] %s %s (%.1fs)\n", done + 1, n, pts[i].name,
               code == 0 ? "done" : code == 1 ? "failed or diverged" : "bad input",
               gv_now() - t0);
        pids[i] = 0;
      }
    running--;
    done++;
  }
  free(pids);
  if (size == 1) {
    sweep_table(pts, n);
    const char **files = calloc(n, sizeof *files);
    for (size_t i = 0; i < n; ++i) files[i] = pts[i].path;
    char dir[GV_STR_MAX + 64];
    snprintf(dir, sizeof dir, "%s", pts[0].path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    run_plots(root, files, n, dir);
    free(files);
  }
  gv_sweep_free(pts, n);
  gv_node_free(root);
  return bad_input ? 2 : failed ? 1 : 0;
}

/* Run name without a trailing "-seedN" (the sweep's name for a seed axis). */
static void seedless(const char *name, char *buf, size_t size) {
  snprintf(buf, size, "%s", name ? name : "");
  char *p = strstr(buf, "-seed");
  if (p && p[5] && strspn(p + 5, "0123456789") == strlen(p + 5)) *p = 0;
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
    char *nm = gv_runread_attr(rr, "name");
    seedless(nm, names[i], sizeof names[i]);
    free(nm);
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
    if (!strcmp(argv[i], "--key") && i + 1 < argc) key = argv[++i];
    else if (!strcmp(argv[i], "--from") && i + 1 < argc) from = atof(argv[++i]);
    else if (!strcmp(argv[i], "--to") && i + 1 < argc) to = atof(argv[++i]);
    else if (!strcmp(argv[i], "--num") && i + 1 < argc) num = atol(argv[++i]);
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (argv[i][0] != '-' && !config) config = argv[i];
    else return bad_usage("scan: unexpected argument");
  }
  if (!config || !key || from != from || to != to)
    return bad_usage("scan needs CONFIG --key KEY --from A --to B");
  gv_err err = {{0}, {0}};
  gv_node *root = NULL;
  gv_status s = gv_cfg_parse_file(config, &root, &err);
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
    printf("  every game's config also takes a `checkpoint:` section (docs/resume.md):\n");
    gv_params_print(stdout, gv_drive_ckpt_params, "      ");
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
  if (!strcmp(cmd, "resume")) return cmd_resume(argc, argv);
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
