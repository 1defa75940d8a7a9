/* Experiment kinds: one runner per game ("dirac" now; MLP GANs, one-step
 * GAIL, GAIL and DAC later), selected by the config's `game.kind`. */
#ifndef GV_EXPERIMENTS_EXPERIMENT_H
#define GV_EXPERIMENTS_EXPERIMENT_H

#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/registry.h"

/* Keys every config has at the top level. */
typedef struct gv_common {
  char name[GV_STR_MAX];    /* run name (default: the config file's stem) */
  long seed;                /* master seed of every random stream */
  char out[GV_STR_MAX];     /* run file path (default: runs/<name>.h5) */
} gv_common;

extern const gv_param gv_common_params[];

/* A top-level section of a game's config, as data: a mapping of the keys
 * of `params`, or a component `{kind: NAME, ...}` of `reg` (one of `kinds`
 * when not NULL; `def` the kind when absent), or with `list` a list of such
 * components (`def`: the list as YAML when the key is absent).  `defaults`
 * are the game's own defaults over the tables it shares (core/config.h
 * gv_param_default).  The loader (gv_exp_load_section) writes every default
 * into the tree and `governor list` prints the same rows. */
typedef struct gv_section {
  const char *key;          /* "disc" */
  const char *help;         /* one line */
  const gv_param *params;   /* a mapping of these keys, or NULL */
  const gv_registry *reg;   /* ... or a component of this registry */
  const char *const *kinds; /* the kinds of reg the game takes (NULL: all) */
  const char *def;          /* the default kind; with list, the default list (YAML) */
  int list;                 /* a list of components (`controllers`) */
  const gv_param_default *defaults; /* the game's own defaults (NULL-name ended), or NULL */
} gv_section;

/* Rows for the sections several games share (the registries are declared
 * in gan/scheme.h and controllers/ctl.h). */
#define GV_SECTION_MAP(k, h, p) {.key = k, .help = h, .params = p}
#define GV_SECTION_SCHEME(kind)                                                                \
  {.key = "scheme", .help = "the update scheme (`governor list scheme`)",                      \
   .reg = &gv_scheme_registry, .def = kind}
#define GV_SECTION_CONTROLLERS                                                                 \
  {.key = "controllers", .help = "controllers on the game (`governor list controller`)",       \
   .reg = &gv_ctl_registry, .list = 1}
#define GV_SECTION_END {.key = NULL}

typedef struct gv_experiment {
  gv_component info;        /* FIRST member; name = game kind, params = the game's */
  /* Validates the whole tree and writes every default into it (the tree is
   * then the resolved config).  file names the config in messages. */
  gv_status (*check)(gv_node *root, const char *file, gv_err *err);
  /* Runs a checked tree, writing the run file at path.  progress: draw the
   * progress line (when stdout is a TTY).  GV_EDIVERGED: the run blew up
   * (recorded in the file). */
  gv_status (*run)(gv_node *root, const char *file, const char *path, int progress,
                   gv_err *err);
  /* Stability report of a run file: printed to out (may be NULL) and written
   * to /summary. */
  gv_status (*analyze)(const char *path, FILE *out, gv_err *err);
  /* Eigenvalues against one parameter (`governor scan`): for num values of
   * the scalar at `key` in [from, to], the predicted Jacobian and update-map
   * eigenvalues, written to the scan file at out.  NULL: not supported. */
  gv_status (*scan)(gv_node *root, const char *file, const char *key, double from, double to,
                    long num, const char *out, gv_err *err);
  const gv_component *game; /* the game's own parameters, for `governor list` */
  /* Columns of the table `governor sweep` prints at the end: /summary keys
   * with their headers (terminated by a NULL key; NULL: status only). */
  const struct gv_column *table;
  /* The driver's table of the game (experiments/drive.h), for `governor
   * resume`. */
  const struct gv_exp_game *driven;
  /* Its sections besides `game` (NULL-key ended), for `governor list` and,
   * where the game loads them with gv_exp_load_section, for validation. */
  const gv_section *sections;
} gv_experiment;

typedef struct gv_column {
  const char *key;          /* /summary attribute */
  const char *header;       /* column title */
} gv_column;

extern const gv_registry gv_game_registry;   /* experiments by game kind */

/* Finds the experiment of root's game.kind (GV_ECONFIG with location if
 * missing or unknown). */
gv_status gv_exp_find(const gv_node *root, const char *file, const gv_experiment **exp,
                      gv_err *err);

/* Validates the top-level keys: gv_common_params plus the sections listed in
 * `sections` (NULL-terminated), fills `common` and writes defaults (name
 * from the file stem, out = runs/<name>.h5). */
gv_status gv_exp_check_top(gv_node *root, const char *file, const char *const *sections,
                           gv_common *common, gv_err *err);

/* A section's mapping, created empty when absent (so defaults land in it);
 * GV_ECONFIG when present but not a mapping. */
gv_status gv_exp_section(gv_node *root, const char *file, const char *key, gv_node **map,
                         gv_err *err);

/* Loads a "{kind: NAME, ...params}" section against a registry: finds the
 * component and validates its params into out (params_size bytes). */
gv_status gv_exp_component(gv_node *root, const char *file, const char *key,
                           const gv_registry *reg, const char *def_kind,
                           const gv_component **comp, void *out, gv_err *err);

/* Loads section `sec` of root: a mapping into out, or a component (its
 * table into out, *comp set; comp may be NULL); a list section only gets
 * its default list (the caller loads the items, e.g. gv_ctl_stack_load_over
 * with sec->defaults).  Messages as gv_exp_component's. */
gv_status gv_exp_load_section(gv_node *root, const char *file, const gv_section *sec,
                              const gv_component **comp, void *out, gv_err *err);

/* Prints sec's keys for `governor list` (a component section: every kind
 * it takes with its parameters under the game's defaults). */
void gv_exp_print_section(FILE *f, const gv_section *sec, const char *indent);

/* The result of a run from the status it ended with: GV_OK (completed),
 * GV_EDIVERGED, GV_EINTR (interrupted) or GV_EFAILED, with a message naming
 * the run file, the step and, when not NULL or empty, the detail. */
gv_status gv_exp_outcome(const char *status, const char *path, long step, const char *detail,
                         gv_err *err);

/* The deterministic evaluations of a run that trains a policy (rl, gail,
 * dac): at the first step past each multiple of `every` (0: none) and at
 * the last step, `episodes` episodes of the policy's deterministic action
 * from the start states of stream "eval" of the run's seed (the same every
 * time), on `threads` threads; the best mean so far keeps a copy of the
 * policy. */
struct gv_runfile;
struct gv_policy;
struct gv_env_task;
typedef struct gv_exp_evals {
  long every, episodes;     /* as run.eval_every, run.eval_episodes */
  int threads;
  uint64_t seed;            /* derived from the run's seed */
  int id_mean, id_std, id_norm; /* series eval_return_mean, _std, and the normalised
                                   one (-1: none) */
  double r_rand, span;      /* normalised = (R - r_rand) / span */
  double *ret;              /* returns of the last evaluation (episodes) */
  long next;                /* next step due */
  double last_mean, last_std, best_mean, best_std;
  long last_step, best_step; /* -1: none yet */
  double seconds;           /* spent evaluating */
} gv_exp_evals;

/* Sets e up and creates its series in rf (the normalised one when span is
 * finite and not 0). */
gv_status gv_exp_evals_init(gv_exp_evals *e, struct gv_runfile *rf, long every, long episodes,
                            int threads, uint64_t run_seed, double r_rand, double span,
                            gv_err *err);
/* Evaluates pi when due (or when last), appends the series, and copies pi
 * into best (may be NULL) on a new best mean.  The error of the evaluation
 * when it fails. */
gv_status gv_exp_evals_step(gv_exp_evals *e, struct gv_runfile *rf, long step, int last,
                            const struct gv_policy *pi, struct gv_policy *best,
                            const struct gv_env_task *task, gv_err *err);
/* /summary: final_eval_return_mean, final_eval_return_std, final_eval_step,
 * best_eval_return_mean, best_eval_return_std, best_eval_step,
 * eval_episodes, eval_seconds. */
void gv_exp_evals_summary(const gv_exp_evals *e, struct gv_runfile *rf);
void gv_exp_evals_free(gv_exp_evals *e);

/* pi->env_config := the YAML of root's game.env when that is a mapping (a
 * task from a config, envs/mjcf.h), so `governor record` rebuilds the task. */
struct gv_policy;
gv_status gv_exp_env_record(struct gv_policy *pi, const gv_node *root, gv_err *err);

/* Mean and population std of x (n); NAN when n is 0. */
void gv_mean_std(const double *x, long n, double *mean, double *sd);

/* ------------------------------------------------------------- sweeps */

/* A sweep's grid: the product of each variant's axes, never materialised.
 * Point names read `<name>[-<variant>]-<key>=<value>...` (key: the axis'
 * last key, its dotted path when two axes share it); files go to
 * <folder>/<safe name>.h5 where the folder is runs/<name>, or `out` when it
 * names a folder, or the folder of `out` when it names a file (x.h5).  A
 * config without variants and lists is one plain run, with the path `run`
 * gives it (`out`, or runs/<safe name>.h5).  Every path component made from
 * config text goes through gv_cfg_safe_file_name: a name longer than
 * GV_CFG_NAME_KEEP bytes (fewer when the folder is long, so that the path
 * fits GV_STR_MAX) is cut and ends in a hash of all of it. */
#define GV_SWEEP_MAX_POINTS 1048576 /* runs in one sweep */
#define GV_SWEEP_MAX_AXES 16        /* lists per variant */
#define GV_SWEEP_NAME_MAX 200       /* bytes of a run file's name */
/* check-every-point below this many points in `check` and --dry-run */
#define GV_SWEEP_CHECK_EVERY 4096

typedef struct gv_sweep gv_sweep;

typedef struct gv_sweep_point {
  gv_node *tree;            /* resolved, checked config (NULL: labels only) */
  char name[GV_STR_MAX];    /* run name */
  char path[2 * GV_STR_MAX + 8]; /* run file */
  char *group;              /* the name without its seed part */
  char *axes;               /* key=value;... in grid order ("" when none) */
} gv_sweep_point;

enum { GV_SWEEP_CHECK_NONE, GV_SWEEP_CHECK_AXES, GV_SWEEP_CHECK_ALL, GV_SWEEP_CHECK_AUTO };

/* Finds the variants and axes of root, counts the grid (at most
 * GV_SWEEP_MAX_POINTS), and refuses two points with one output file, all
 * with GV_ECONFIG and file:line.  check: GV_SWEEP_CHECK_ALL checks every
 * point's config, GV_SWEEP_CHECK_AXES each variant's first point and every
 * value of every axis (the other axes at their first value),
 * GV_SWEEP_CHECK_AUTO the first up to GV_SWEEP_CHECK_EVERY points and the
 * second past that. */
gv_status gv_sweep_open(const gv_node *root, const char *file, int check, gv_sweep **sw,
                        gv_err *err);
size_t gv_sweep_count(const gv_sweep *sw);
/* The order a sweep runs its points in: order[k] is the k-th point (all
 * gv_sweep_count of them).  interleave 0: the grid's order (each variant's
 * points together); 1: round robin over the variants (the first point of
 * each, then the second of each, ...), so that a sweep stopped part way has
 * as many runs of every variant (up to one), on the same seeds and axes when
 * the variants share their axes. */
void gv_sweep_order(const gv_sweep *sw, int interleave, size_t *order);
/* Point i's name, path, group and axes, without its tree (the path of a
 * single plain run is known only from gv_sweep_point_at). */
void gv_sweep_label(const gv_sweep *sw, size_t i, gv_sweep_point *pt);
/* Point i with its resolved and checked tree.  pt starts zeroed; it is
 * reused by later calls and released by gv_sweep_point_clear. */
gv_status gv_sweep_point_at(const gv_sweep *sw, size_t i, gv_sweep_point *pt, gv_err *err);
void gv_sweep_point_clear(gv_sweep_point *pt);
void gv_sweep_close(gv_sweep *sw);

/* The kinds of `governor plot` and of a config's `plot:` list (NULL-ended). */
extern const char *const gv_plot_kinds[];
/* A config's `plot:`, when present, is a list of known plot kinds. */
gv_status gv_exp_check_plot(const gv_node *root, const char *file, gv_err *err);

/* 1 when paths a and b both exist and are the same file (device and inode). */
int gv_exp_same_file(const char *a, const char *b);

/* The run/sweep drivers behind the CLI (experiments/cli.c). */
int gv_cli_main(int argc, char **argv);

/* Benchmarks (experiments/bench.c): `governor bench [dirac|nn|env|ppo|td3|gail|all]`. */
int gv_bench_main(int argc, char **argv);

#endif
