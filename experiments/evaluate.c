/* `governor evaluate RUN.h5 --times N --out FROZEN.h5`: the evaluation-noise
 * floor's raw material (docs/report.md).
 *
 * Loads the policy a run saved (/policy, or /policy_best) and evaluates it N
 * times with the protocol the run's own evaluations used: the same function
 * (gv_exp_evals_step), its eval_episodes deterministic episodes, the policy's
 * frozen observation statistics, and the run's normalisation of the return
 * (/summary expert_return and random_return).  Only the start states change:
 * repetition r resets its episodes from gv_rng_derive(S, "eval", r), S the
 * run's seed unless --seed, so repetition 0 at the run's seed is the very
 * evaluation the run made of its final policy, and the file is a function of
 * the run file and S.
 *
 * The output is a run file of kind "evaluate" whose series
 * eval_return_mean, eval_return_std and eval_normalised_return hold one point
 * per repetition (step = r), with the source's /config, group and axes, so
 * `governor report --noise` pairs it with the source's task; /arrays/returns
 * (N x episodes) holds every episode's return; /summary names the source. */
#include <cblas.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents/demo.h"
#include "agents/policy.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "envs/env.h"
#include "experiments/experiment.h"

int gv_evaluate_main(int argc, char **argv);

static const char eval_usage[] =
    "usage: governor evaluate RUN.h5 --out FROZEN.h5 [--times N] [--episodes E] [--seed S]\n"
    "       [--group policy|policy_best] [--threads T] [--overwrite]";

typedef struct ev_args {
  const char *in, *out, *group;
  long times, episodes, threads;
  unsigned long long seed;
  int seed_given, overwrite;
} ev_args;

static int ev_bad(const char *msg) {
  fprintf(stderr, "governor: evaluate: %s\n%s\n", msg, eval_usage);
  return 2;
}

/* An integer option in [lo, hi]; 0 on success. */
static int ev_long(const char *opt, const char *text, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  const long v = strtol(text, &end, 10);
  if (*end || end == text || errno || v < lo || v > hi) {
    fprintf(stderr, "governor: evaluate: %s expects an integer in [%ld, %ld], got '%s'\n", opt,
            lo, hi, text);
    return 2;
  }
  *out = v;
  return 0;
}

static int ev_parse(int argc, char **argv, ev_args *a) {
  for (int i = 0; i < argc; ++i) {
    const char *o = argv[i];
    const int more = i + 1 < argc;
    int bad = 0;
    if (!strcmp(o, "--out") && more) a->out = argv[++i];
    else if (!strcmp(o, "--group") && more) a->group = argv[++i];
    else if (!strcmp(o, "--times") && more) bad = ev_long(o, argv[++i], 1, 100000, &a->times);
    else if (!strcmp(o, "--episodes") && more)
      bad = ev_long(o, argv[++i], 1, 10000, &a->episodes);
    else if (!strcmp(o, "--threads") && more) bad = ev_long(o, argv[++i], 1, 64, &a->threads);
    else if (!strcmp(o, "--overwrite")) a->overwrite = 1;
    else if (!strcmp(o, "--seed") && more) {
      char *end = NULL;
      const char *t = argv[++i];
      errno = 0;
      a->seed = strtoull(t, &end, 10);
      if (*end || end == t || errno || t[0] == '-') {
        fprintf(stderr, "governor: evaluate: --seed expects an integer in [0, 2^64), got "
                "'%s'\n", t);
        return 2;
      }
      a->seed_given = 1;
    } else if (o[0] != '-' && !a->in) a->in = o;
    else {
      char m[300];
      snprintf(m, sizeof m, "unexpected argument '%s'", o);
      return ev_bad(m);
    }
    if (bad) return bad;
  }
  if (!a->in) return ev_bad("missing RUN.h5");
  if (!a->out) return ev_bad("missing --out FROZEN.h5");
  if (strcmp(a->group, "policy") && strcmp(a->group, "policy_best")) {
    fprintf(stderr, "governor: evaluate: --group: unknown policy group '%s' (allowed: policy, "
            "policy_best)\n", a->group);
    return 2;
  }
  struct stat st;
  if (gv_exp_same_file(a->in, a->out)) return ev_bad("--out is the input file itself");
  if (stat(a->out, &st) == 0 && S_ISDIR(st.st_mode)) {
    fprintf(stderr, "governor: %s: is a folder (allowed: a file name)\n", a->out);
    return 2;
  }
  if (!a->overwrite && access(a->out, F_OK) == 0) {
    fprintf(stderr, "governor: %s: exists; evaluate never replaces a file silently (use "
            "--overwrite, or another --out)\n", a->out);
    return 2;
  }
  return 0;
}

/* What the source run says about itself. */
typedef struct ev_source {
  char *kind, *name, *status, *group, *axes, *config, *seed, *env;
  double expert, random, episodes, final_mean;
  double final_step, steps_done; /* the last evaluation's step, the saved policy's */
} ev_source;

static void ev_source_free(ev_source *s) {
  free(s->kind);
  free(s->name);
  free(s->status);
  free(s->group);
  free(s->axes);
  free(s->config);
  free(s->seed);
  free(s->env);
}

static double ev_summary(gv_runread *rr, const char *key) {
  double v = NAN;
  if (gv_runread_summary_real(rr, key, &v) != GV_OK) v = NAN;
  return v;
}

static gv_status ev_read_source(ev_source *s, const char *path, gv_err *err) {
  gv_runread *rr = NULL;
  gv_status st = gv_runread_open(&rr, path, err);
  if (st) {
    char m[GV_ERR_MAX];
    snprintf(m, sizeof m, "%s", err->msg);
    return gv_fail(err, GV_EINVAL, "%s (evaluate needs a governor run file)", m);
  }
  s->kind = gv_runread_attr(rr, "kind");
  s->name = gv_runread_attr(rr, "name");
  s->status = gv_runread_attr(rr, "status");
  s->group = gv_runread_attr(rr, "group");
  s->axes = gv_runread_attr(rr, "axes");
  s->seed = gv_runread_attr(rr, "seed");
  s->config = gv_runread_config(rr);
  s->env = gv_runread_summary_str(rr, "env");
  s->expert = ev_summary(rr, "expert_return");
  s->random = ev_summary(rr, "random_return");
  s->episodes = ev_summary(rr, "eval_episodes");
  s->final_mean = ev_summary(rr, "final_eval_return_mean");
  s->final_step = ev_summary(rr, "final_eval_step");
  s->steps_done = ev_summary(rr, "steps_done");
  gv_runread_close(rr);
  static const char *const with_policy[] = {"rl", "gail", "dac", NULL};
  int known = 0;
  for (const char *const *k = with_policy; *k; ++k) known |= s->kind && !strcmp(s->kind, *k);
  if (!known)
    return gv_fail(err, GV_EINVAL, "%s: run kind '%s' saves no policy (allowed: a run of kind "
                   "rl, gail or dac)", path, s->kind ? s->kind : "");
  return GV_OK;
}

/* Loads the policy, naming the run's status when it has none. */
static gv_status ev_load_policy(gv_policy **pi, const ev_source *s, const ev_args *a,
                                gv_err *err) {
  gv_status st = gv_policy_load_file(pi, a->in, a->group, err);
  if (st == GV_ENOTFOUND)
    return gv_fail(err, GV_EINVAL, "%s: no /%s (status '%s'; a run saves its policy when it "
                   "ends)", a->in, a->group, s->status ? s->status : "?");
  return st;
}

/* Writes the repetitions into rf; ret gets times x episodes returns, means
 * each repetition's mean return. */
static gv_status ev_repeat(gv_runfile *rf, const ev_args *a, const ev_source *s, uint64_t seed,
                           const gv_policy *pi, const gv_env_task *task, double *ret,
                           double *means, gv_err *err) {
  gv_exp_evals ev;
  const double span = s->expert - s->random;
  gv_status st = gv_exp_evals_init(&ev, rf, 0, a->episodes, (int)a->threads, seed, s->random,
                                   span, err);
  for (long r = 0; !st && r < a->times; ++r) {
    ev.seed = gv_rng_derive(seed, "eval", (uint64_t)r); /* r = 0: the run's own */
    st = gv_exp_evals_step(&ev, rf, r, 1, pi, NULL, task, err);
    if (!st) {
      memcpy(ret + r * a->episodes, ev.ret, sizeof *ret * (size_t)a->episodes);
      means[r] = ev.last_mean;
      st = gv_run_flush(rf);
    }
  }
  gv_exp_evals_free(&ev);
  return st;
}

static void ev_summary_write(gv_runfile *rf, const ev_args *a, const ev_source *s,
                             const gv_policy *pi, double *norm, double *mean, double *sd) {
  char hash[32];
  snprintf(hash, sizeof hash, "fnv1a64:%016llx", (unsigned long long)gv_policy_hash(pi));
  const double span = s->expert - s->random;
  if (isfinite(span) && span != 0) /* as gv_exp_evals_step normalises */
    for (long r = 0; r < a->times; ++r) norm[r] = (norm[r] - s->random) / span;
  gv_mean_std(norm, a->times, mean, sd);
  gv_run_summary_str(rf, "env", pi->env);
  gv_run_summary_str(rf, "source", a->in);
  gv_run_summary_str(rf, "source_kind", s->kind);
  gv_run_summary_str(rf, "source_status", s->status ? s->status : "");
  gv_run_summary_str(rf, "policy_group", a->group);
  gv_run_summary_str(rf, "policy_hash", hash);
  gv_run_summary_int(rf, "policy_steps", pi->steps);
  gv_run_summary_int(rf, "times", a->times);
  gv_run_summary_int(rf, "eval_episodes", a->episodes);
  gv_run_summary_real(rf, "expert_return", s->expert);
  gv_run_summary_real(rf, "random_return", s->random);
  gv_run_summary_real(rf, "mean_over_times", *mean);
  gv_run_summary_real(rf, "std_over_times", *sd);
}

int gv_evaluate_main(int argc, char **argv) {
  ev_args a = {NULL, NULL, "policy", 20, 0, 1, 0, 0, 0};
  int rc = ev_parse(argc, argv, &a);
  if (rc) return rc;
  gv_err err = {{0}, {0}};
  ev_source s;
  memset(&s, 0, sizeof s);
  gv_policy *pi = NULL;
  gv_env_task *task = NULL;
  gv_runfile *rf = NULL;
  double *ret = NULL, *norm = NULL; /* norm: the mean returns, then normalised */
  gv_status st = ev_read_source(&s, a.in, &err);
  if (!st) st = ev_load_policy(&pi, &s, &a, &err);
  if (!st && !a.episodes) {
    if (!(s.episodes >= 1 && s.episodes <= 10000))
      st = gv_fail(&err, GV_EINVAL, "%s: no eval_episodes in /summary (the run made no "
                   "evaluations): give --episodes E", a.in);
    else a.episodes = (long)s.episodes;
  }
  if (!st && a.times * a.episodes > 10000000L)
    st = gv_fail(&err, GV_EINVAL, "evaluate: --times %ld x %ld episodes: at most 10000000 "
                 "episodes in one file", a.times, a.episodes);
  unsigned long long run_seed = 0;
  int run_seed_ok = 0;
  if (!st && s.seed) {
    char *end = NULL;
    errno = 0;
    run_seed = strtoull(s.seed, &end, 10);
    run_seed_ok = *s.seed && !*end && !errno;
  }
  if (!st && !a.seed_given) {
    if (!run_seed_ok)
      st = gv_fail(&err, GV_EINVAL, "%s: root attribute seed missing or not an integer: give "
                   "--seed S", a.in);
    a.seed = run_seed;
  }
  if (!st) {
    const gv_env_options eo = {pi->env_cfrc};
    st = gv_env_task_alloc_opts(&task, pi->env, &eo, NULL, &err);
  }
  if (!st && !((ret = calloc((size_t)(a.times * a.episodes), sizeof *ret)) &&
               (norm = calloc((size_t)a.times, sizeof *norm))))
    st = gv_fail(&err, GV_ENOMEM, "out of memory");
  if (!st) {
    char name[300];
    snprintf(name, sizeof name, "%s-evaluate", s.name ? s.name : "run");
    const gv_run_info info = {"evaluate", name, s.config ? s.config : "", a.seed, 1, 1};
    gv_run_set_labels(s.group, s.axes);
    st = gv_run_create(&rf, a.out, &info, &err);
    gv_run_set_labels(NULL, NULL);
  }
  if (!st) {
    openblas_set_num_threads(1);
    st = ev_repeat(rf, &a, &s, a.seed, pi, task, ret, norm, &err);
  }
  double mean = NAN, sd = NAN;
  double r0 = NAN;
  if (!st) {
    r0 = norm[0];
    ev_summary_write(rf, &a, &s, pi, norm, &mean, &sd);
    const size_t dims[2] = {(size_t)a.times, (size_t)a.episodes};
    st = gv_run_array(rf, "returns", ret, 2, dims, -1);
  }
  if (rf) {
    gv_status cs = gv_run_set_status(rf, st ? "failed" : "completed");
    if (st) gv_run_log(rf, 0, "evaluate failed: %s", err.msg);
    gv_status c2 = gv_run_close(rf);
    if (!st) st = cs ? cs : c2;
  }
  if (!st) {
    const int norm_ok = isfinite(s.expert - s.random) && s.expert != s.random;
    printf("%s: %ld evaluations of %s:/%s (%s, %ld deterministic episodes each, seed %llu)\n",
           a.out, a.times, a.in, a.group, pi->env, a.episodes, a.seed);
    printf("  %s over evaluations: mean %.4f, std %.4f\n",
           norm_ok ? "normalised return" : "return (no expert/random return to normalise)",
           mean, sd);
    const int same = isfinite(s.final_mean) && !strcmp(a.group, "policy") && run_seed_ok &&
                     a.seed == run_seed && a.episodes == (long)s.episodes;
    if (same && isfinite(s.final_step) && isfinite(s.steps_done) &&
        s.final_step != s.steps_done)
      /* a stopped run saved the policy it had when it stopped, after its last evaluation */
      printf("  repetition 0: return %.17g; the run's last evaluation (step %.0f) scored an "
             "earlier policy than the saved one (step %.0f, status %s): not comparable\n", r0,
             s.final_step, s.steps_done, s.status ? s.status : "?");
    else if (same)
      printf("  repetition 0 is the run's own final evaluation: return %.17g (the run: "
             "%.17g, %s)\n", r0, s.final_mean, r0 == s.final_mean ? "equal" : "DIFFERENT");
  }
  free(ret);
  free(norm);
  gv_env_task_free(task);
  gv_policy_free(pi);
  ev_source_free(&s);
  if (st) fprintf(stderr, "governor: %s\n", err.msg);
  return gv_exit_code(st);
}
