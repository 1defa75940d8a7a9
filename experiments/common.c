/* Top-level config handling shared by every experiment. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/demo.h"
#include "agents/policy.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/experiment.h"

const gv_param gv_common_params[] = {
    GV_PARAM_STR(gv_common, name, "", "run name (default: the config file's name)"),
    GV_PARAM_INT(gv_common, seed, "0", 0, 4294967295.0, "master seed of every random stream"),
    GV_PARAM_STR(gv_common, out, "", "run file (default: runs/<name>.h5)"),
    GV_PARAM_END,
};

gv_status gv_exp_find(const gv_node *root, const char *file, const gv_experiment **exp,
                      gv_err *err) {
  gv_cfg_ctx ctx = {file, ""};
  char where[512];
  if (!root || root->kind != GV_NODE_MAP) {
    gv_cfg_where(where, sizeof where, &ctx, root ? root->line : 1, NULL);
    return gv_fail(err, GV_ECONFIG, "%s: the config must be a mapping with a `game` section",
                   where);
  }
  gv_node *game = gv_map_get(root, "game");
  char names[512];
  gv_registry_names(&gv_game_registry, names, sizeof names);
  if (!game) {
    gv_cfg_where(where, sizeof where, &ctx, root->line ? root->line : 1, "game");
    return gv_fail(err, GV_ECONFIG, "%s: missing section (allowed kinds: %s)", where, names);
  }
  const char *kind = gv_map_str(game, "kind");
  if (game->kind != GV_NODE_MAP || !kind) {
    const gv_node *k = gv_map_get(game, "kind");
    const int line = k ? gv_map_key_line(game, "kind") : gv_map_key_line(root, "game");
    gv_cfg_where(where, sizeof where, &ctx, line, game->kind != GV_NODE_MAP ? "game" : "game.kind");
    if (game->kind != GV_NODE_MAP)
      return gv_fail(err, GV_ECONFIG, "%s: expected a mapping with a kind (allowed kinds: %s)",
                     where, names);
    return gv_fail(err, GV_ECONFIG, "%s: %s (allowed: %s)", where,
                   !k ? "missing"
                   : k->kind == GV_NODE_SEQ ? "a list where one game is expected (to compare "
                                              "games, write one config per game)"
                                            : "expected one game name",
                   names);
  }
  const gv_component *c;
  gv_cfg_ctx gctx = {file, "game"};
  gv_status s = gv_registry_lookup(&gv_game_registry, kind, &gctx,
                                   gv_map_key_line(game, "kind"), "kind", &c, err);
  if (s != GV_OK) return s;
  *exp = (const gv_experiment *)c;
  return GV_OK;
}

static void file_stem(const char *file, char *buf, size_t size) {
  const char *b = file ? strrchr(file, '/') : NULL;
  b = b ? b + 1 : (file ? file : "run");
  snprintf(buf, size, "%s", b);
  char *dot = strrchr(buf, '.');
  if (dot && dot != buf) *dot = 0;
}

gv_status gv_exp_check_top(gv_node *root, const char *file, const char *const *sections,
                           gv_common *common, gv_err *err) {
  gv_cfg_ctx ctx = {file, ""};
  /* the game's sections and the driver's (experiments/drive.h) */
  const char *all[32];
  int n = 0;
  for (; sections && sections[n] && n < 30; ++n) all[n] = sections[n];
  all[n++] = "checkpoint";
  all[n] = NULL;
  gv_status s = gv_params_load(gv_common_params, root, all, &ctx, common, err);
  if (s == GV_OK) s = gv_exp_check_plot(root, file, err);
  if (s != GV_OK) return s;
  if (!common->name[0]) {
    file_stem(file, common->name, sizeof common->name);
    gv_map_set(root, "name", gv_node_new_scalar(common->name));
  }
  if (!common->out[0]) {
    char safe[GV_CFG_NAME_KEEP + 18]; /* the name is config text: never a path */
    gv_cfg_safe_file_name(common->name, GV_CFG_NAME_KEEP, safe, sizeof safe);
    snprintf(common->out, sizeof common->out, "runs/%s.h5", safe);
    gv_map_set(root, "out", gv_node_new_scalar(common->out));
  }
  return GV_OK;
}

gv_status gv_exp_section(gv_node *root, const char *file, const char *key, gv_node **map,
                         gv_err *err) {
  gv_node *m = gv_map_get(root, key);
  if (!m) {
    m = gv_node_new_map();
    gv_map_set(root, key, m);
  }
  if (m->kind != GV_NODE_MAP) {
    gv_cfg_ctx ctx = {file, ""};
    char where[512];
    gv_cfg_where(where, sizeof where, &ctx, gv_map_key_line(root, key), key);
    return gv_fail(err, GV_ECONFIG, "%s: expected a mapping", where);
  }
  *map = m;
  return GV_OK;
}

static int kind_taken(const char *const *kinds, const char *name) {
  for (int i = 0; kinds && kinds[i]; ++i)
    if (!strcmp(kinds[i], name)) return 1;
  return !kinds;
}

static gv_status component_over(gv_node *root, const char *file, const char *key,
                                const gv_registry *reg, const char *const *kinds,
                                const char *def_kind, const gv_param_default *over,
                                const gv_component **comp, void *out, gv_err *err);

gv_status gv_exp_component(gv_node *root, const char *file, const char *key,
                           const gv_registry *reg, const char *def_kind,
                           const gv_component **comp, void *out, gv_err *err) {
  return component_over(root, file, key, reg, NULL, def_kind, NULL, comp, out, err);
}

gv_status gv_exp_load_section(gv_node *root, const char *file, const gv_section *sec,
                              const gv_component **comp, void *out, gv_err *err) {
  if (sec->list) {
    gv_node *v = gv_map_get(root, sec->key);
    if (v) return GV_OK;
    v = NULL;
    gv_err perr;
    if (!sec->def || gv_cfg_parse_string(sec->def, "default", &v, &perr) != GV_OK || !v)
      v = gv_node_new_seq(); /* the tables' defaults are valid YAML by construction */
    gv_map_set(root, sec->key, v);
    return GV_OK;
  }
  const gv_component *c;
  if (sec->reg)
    return component_over(root, file, sec->key, sec->reg, sec->kinds, sec->def, sec->defaults,
                          comp ? comp : &c, out, err);
  gv_node *m;
  gv_status st = gv_exp_section(root, file, sec->key, &m, err);
  gv_cfg_ctx ctx = {file, sec->key};
  return st ? st : gv_params_load_over(sec->params, sec->defaults, NULL, m, NULL, &ctx, out, err);
}

/* The row of `over` for a component's key, printed as "kind.key". */
static void print_override(FILE *f, const gv_registry *reg, const gv_param_default *o,
                           const char *indent) {
  const gv_component *c = gv_registry_find(reg, o->kind);
  for (const gv_param *p = c ? c->params : NULL; p && p->name; ++p) {
    if (strcmp(p->name, o->name)) continue;
    char name[128];
    snprintf(name, sizeof name, "%s.%s", o->kind, o->name);
    gv_param row[2] = {*p, GV_PARAM_END};
    row[0].name = name;
    row[0].def = o->def;
    gv_params_print(f, row, indent);
  }
}

void gv_exp_print_section(FILE *f, const gv_section *sec, const char *indent) {
  char in2[64], names[512];
  snprintf(in2, sizeof in2, "%s    ", indent);
  fprintf(f, "%s%s:%s %s\n", indent, sec->key, sec->list ? " (a list)" : "", sec->help);
  if (!sec->reg) {
    gv_params_print_over(f, sec->params, sec->defaults, NULL, in2);
    return;
  }
  size_t off = 0;
  names[0] = 0;
  for (const gv_component *const *c = sec->reg->items; *c; ++c)
    if (kind_taken(sec->kinds, (*c)->name))
      off += (size_t)snprintf(names + off, off < sizeof names ? sizeof names - off : 0, "%s%s",
                              off ? ", " : "", (*c)->name);
  fprintf(f, "%s%-14s %-8s default %-10s %s%s, its keys in `governor list %s` [%s]\n", in2,
          sec->list ? "- kind" : "kind", "name",
          sec->def ? sec->def : sec->list ? "[]" : "(required)", sec->list ? "each item: one " : "one ",
          sec->reg->kind, sec->reg->kind, names);
  for (const gv_param_default *o = sec->defaults; o && o->name; ++o)
    if (o->kind) print_override(f, sec->reg, o, in2);
}

static gv_status component_over(gv_node *root, const char *file, const char *key,
                                const gv_registry *reg, const char *const *kinds,
                                const char *def_kind, const gv_param_default *over,
                                const gv_component **comp, void *out, gv_err *err) {
  gv_node *m;
  gv_status s = gv_exp_section(root, file, key, &m, err);
  if (s != GV_OK) return s;
  gv_cfg_ctx ctx = {file, key};
  gv_node *k = gv_map_get(m, "kind");
  if (!k && def_kind) {
    gv_map_set(m, "kind", gv_node_new_scalar(def_kind));
    k = gv_map_get(m, "kind");
  }
  char where[512];
  int line = gv_map_key_line(m, "kind");
  if (!k || k->kind != GV_NODE_SCALAR) {
    char names[512];
    gv_registry_names(reg, names, sizeof names);
    gv_cfg_where(where, sizeof where, &ctx, line ? line : m->line, "kind");
    if (k && k->kind == GV_NODE_SEQ) {
      if (err) snprintf(err->axis, sizeof err->axis, "%s.kind", key);
      return gv_fail(err, GV_ECONFIG, "%s: a list where one name is expected (lists are "
                     "sweep axes: use `governor sweep`)", where);
    }
    return gv_fail(err, GV_ECONFIG, "%s: missing (allowed: %s)", where, names);
  }
  if (!kind_taken(kinds, k->value)) { /* the game takes only some kinds */
    char names[512];
    size_t off = 0;
    names[0] = 0;
    for (int i = 0; kinds[i]; ++i)
      off += (size_t)snprintf(names + off, off < sizeof names ? sizeof names - off : 0, "%s%s",
                              i ? ", " : "", kinds[i]);
    gv_cfg_where(where, sizeof where, &ctx, line, "kind");
    const char *game = gv_map_str(gv_map_get(root, "game"), "kind");
    if (!gv_registry_find(reg, k->value))
      return gv_fail(err, GV_ECONFIG, "%s: unknown %s '%s' (allowed: %s)", where, reg->kind,
                     k->value, names);
    return gv_fail(err, GV_ECONFIG, "%s: game '%s' takes no %s '%s' (allowed: %s)",
                   where, game ? game : "?", reg->kind, k->value, names);
  }
  s = gv_registry_lookup(reg, k->value, &ctx, line, "kind", comp, err);
  if (s != GV_OK) return s;
  static const char *const extra[] = {"kind", NULL};
  memset(out, 0, (*comp)->params_size);
  return gv_params_load_over((*comp)->params, over, k->value, m, extra, &ctx, out, err);
}

gv_status gv_exp_outcome(const char *status, const char *path, long step, const char *detail,
                         gv_err *err) {
  char d[GV_ERR_MAX] = "";
  if (detail && *detail) snprintf(d, sizeof d, ": %.700s", detail); /* detail may be err->msg */
  if (!strcmp(status, "completed")) return GV_OK;
  if (!strcmp(status, "diverged"))
    return gv_fail(err, GV_EDIVERGED, "%s: diverged at step %ld (recorded in the run file)%s",
                   path, step, d);
  if (!strcmp(status, "interrupted") || !strcmp(status, "preempted"))
    return gv_fail(err, GV_EINTR, "%s: %s at step %ld (SIG%s)", path, status, step,
                   status[0] == 'p' ? "TERM" : "INT");
  return gv_fail(err, GV_EFAILED, "%s: %s%s", path, status, d);
}

/* ------------------------------------------- runners that train a policy */

void gv_mean_std(const double *x, long n, double *mean, double *sd) {
  double a = 0, q = 0;
  for (long i = 0; i < n; ++i) a += x[i];
  *mean = n ? a / n : NAN;
  for (long i = 0; i < n; ++i) q += (x[i] - *mean) * (x[i] - *mean);
  *sd = n ? sqrt(q / n) : NAN;
}

gv_status gv_exp_evals_init(gv_exp_evals *e, gv_runfile *rf, long every, long episodes,
                            int threads, uint64_t run_seed, double r_rand, double span,
                            gv_err *err) {
  memset(e, 0, sizeof *e);
  e->every = every;
  e->episodes = episodes;
  e->threads = threads;
  e->seed = gv_rng_derive(run_seed, "eval", 0);
  e->r_rand = r_rand;
  e->span = span;
  e->next = every;
  e->last_mean = e->last_std = e->best_std = NAN;
  e->best_mean = -INFINITY;
  e->last_step = e->best_step = -1;
  e->ret = calloc((size_t)(episodes > 0 ? episodes : 1), sizeof *e->ret);
  if (!e->ret) return gv_fail(err, GV_ENOMEM, "out of memory");
  static const gv_series_row rows[] = {
      {"eval_return_mean", "return", "mean return of the deterministic evaluation episodes"},
      {"eval_return_std", "return", "standard deviation of the evaluation returns"},
      {"eval_normalised_return", "1",
       "(R - R_random) / (R_expert - R_random) of eval_return_mean"}};
  e->id_mean = gv_run_series_row(rf, &rows[0]);
  e->id_std = gv_run_series_row(rf, &rows[1]);
  e->id_norm = isfinite(span) && span != 0 ? gv_run_series_row(rf, &rows[2]) : -1;
  return GV_OK;
}

gv_status gv_exp_evals_step(gv_exp_evals *e, gv_runfile *rf, long step, int last,
                            const gv_policy *pi, gv_policy *best, const gv_env_task *task,
                            gv_err *err) {
  if (e->episodes <= 0 || !(last || (e->every > 0 && step >= e->next))) return GV_OK;
  while (e->every > 0 && e->next <= step) e->next += e->every;
  const double t0 = gv_now();
  gv_status st = gv_policy_evaluate(e->ret, NULL, pi, task, (int)e->episodes, e->threads,
                                    e->seed, err);
  if (st) return st;
  e->seconds += gv_now() - t0;
  gv_mean_std(e->ret, e->episodes, &e->last_mean, &e->last_std);
  e->last_step = step;
  gv_run_append(rf, e->id_mean, step, e->last_mean);
  gv_run_append(rf, e->id_std, step, e->last_std);
  if (e->id_norm >= 0) gv_run_append(rf, e->id_norm, step, (e->last_mean - e->r_rand) / e->span);
  if (e->last_mean > e->best_mean) {
    e->best_mean = e->last_mean;
    e->best_std = e->last_std;
    e->best_step = step;
    if (best) gv_policy_copy(best, pi);
  }
  return GV_OK;
}

void gv_exp_evals_summary(const gv_exp_evals *e, gv_runfile *rf) {
  gv_run_summary_real(rf, "final_eval_return_mean", e->last_mean);
  gv_run_summary_real(rf, "final_eval_return_std", e->last_std);
  gv_run_summary_int(rf, "final_eval_step", e->last_step);
  gv_run_summary_real(rf, "best_eval_return_mean", e->best_step >= 0 ? e->best_mean : NAN);
  gv_run_summary_real(rf, "best_eval_return_std", e->best_std);
  gv_run_summary_int(rf, "best_eval_step", e->best_step);
  gv_run_summary_int(rf, "eval_episodes", e->episodes);
  gv_run_summary_real(rf, "eval_seconds", e->seconds);
}

void gv_exp_evals_free(gv_exp_evals *e) {
  free(e->ret);
  e->ret = NULL;
}
