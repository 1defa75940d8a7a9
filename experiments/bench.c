/* `governor bench`: speed figures for docs/benchmarks.md, each reported as a
 * ratio against a baseline measured in the same process. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/progress.h"
#include "core/rng.h"
#include "experiments/experiment.h"
#include "gan/dirac.h"
#include "gan/scheme.h"
#include "nn/bench.h"

extern const gv_experiment gv_exp_dirac;
/* experiments/rl.c */
int gv_rl_bench_env(double seconds);
int gv_rl_bench_ppo(double seconds);

/* Baseline: simultaneous GD on the standard Dirac-GAN written out by hand,
 * v_theta = -psi f'(psi theta), v_psi = theta f'(psi theta), f'(t) = 1/(1+e^t). */
static double baseline_loop(long steps, double *out) {
  double th = 1, ps = 1, h = 1e-4;
  for (long k = 0; k < steps; ++k) {
    double fp = 1.0 / (1.0 + exp(ps * th));
    double nt = th - h * ps * fp, np = ps + h * th * fp;
    th = nt;
    ps = np;
  }
  *out = th + ps;
  return 0;
}

typedef struct gd_job {
  long steps;
  double result, seconds;
} gd_job;

/* governor's path: the simgd scheme through its method table on the bare game. */
static void *scheme_loop(void *arg) {
  gd_job *j = arg;
  gv_dirac_params p;
  gv_params_defaults(gv_game_dirac.params, &p);
  gv_dirac g;
  gv_dirac_init(&g, &p);
  gv_ctl_stack ctl = {0};
  const gv_scheme_type *t = gv_scheme_find("simgd");
  gv_scheme_params sp;
  gv_params_defaults(t->info.params, &sp);
  sp.h = 1e-4;
  gv_scheme s;
  gv_err err;
  gv_scheme_init(&s, t, &sp, &g.vf, &ctl, &err);
  double x[2] = {1, 1};
  double t0 = gv_now();
  for (long k = 0; k < j->steps; ++k) t->step(&s, x, NULL);
  j->seconds = gv_now() - t0;
  j->result = x[0] + x[1];
  gv_scheme_deinit(&s);
  return NULL;
}

static double time_steps(long steps) {
  gd_job j = {steps, 0, 0};
  scheme_loop(&j);
  return j.seconds;
}

static int bench_dirac(double seconds) {
  printf("## governor bench dirac\n\n");
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  /* calibrate to about `seconds` per measurement */
  long steps = 1000000;
  while (time_steps(steps) < 0.2 * seconds && steps < (1L << 40)) steps *= 2;
  double sink, t0 = gv_now();
  baseline_loop(steps, &sink);
  double tb = gv_now() - t0;
  double ts = time_steps(steps);
  double rb = steps / tb, rs = steps / ts;
  printf("simultaneous GD, standard loss, no controller, no logging, 1 thread:\n");
  printf("  hand-written loop (baseline)   %.3g steps/s\n", rb);
  printf("  governor simgd scheme          %.3g steps/s  (%.2fx baseline)\n", rs, rs / rb);

  int nt = cpus >= 2 ? 2 : 1;
  gd_job jobs[2] = {{steps, 0, 0}, {steps, 0, 0}};
  pthread_t th[2];
  t0 = gv_now();
  for (int i = 0; i < nt; ++i) pthread_create(&th[i], NULL, scheme_loop, &jobs[i]);
  for (int i = 0; i < nt; ++i) pthread_join(th[i], NULL);
  double tt = gv_now() - t0;
  printf("  governor simgd, %d threads      %.3g steps/s  (%.2fx one thread)\n", nt,
         nt * steps / tt, nt * steps / tt / rs);
  printf("  (checksums %.6f %.6f)\n\n", sink, jobs[0].result);

  /* The 1000-seed BMC study: configs/dirac/bmc-study.yaml through the runner. */
  const char *cfg = GV_SOURCE_DIR "/configs/dirac/bmc-study.yaml";
  gv_node *root = NULL;
  gv_err err = {{0}, {0}};
  if (gv_cfg_parse_file(cfg, &root, &err) != GV_OK) {
    fprintf(stderr, "governor: %s\n", err.msg);
    return 2;
  }
  char threads[64];
  snprintf(threads, sizeof threads, "run.threads=%d", nt);
  gv_cfg_set(root, threads, &err);
  char path[] = "/tmp/governor-bench-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  gv_status s = gv_exp_dirac.check(root, cfg, &err);
  long reps = 0, nsteps = 0;
  const char *r = gv_cfg_lookup(root, "run.replicas") ? gv_cfg_lookup(root, "run.replicas")->value : "0";
  reps = atol(r);
  nsteps = atol(gv_cfg_lookup(root, "scheme.steps")->value);
  t0 = gv_now();
  if (s == GV_OK) s = gv_exp_dirac.run(root, cfg, path, 0, &err);
  double tstudy = gv_now() - t0;
  if (s != GV_OK) {
    fprintf(stderr, "governor: bmc study: %s\n", err.msg);
  } else {
    printf("BMC study (configs/dirac/bmc-study.yaml): %ld seeds x %ld steps, %d threads\n",
           reps, nsteps, nt);
    printf("  wall time %.2f s  (%.3g steps/s; bar: under 30 s)\n", tstudy,
           (double)reps * nsteps / tstudy);
  }
  unlink(path);
  gv_node_free(root);
  return s == GV_OK ? 0 : 1;
}

/* The MLP engine's training step against bare sgemm (nn/bench.h); the
 * PyTorch comparison of the bars is scripts/bench_nn.py, which runs
 * this and reads its "nn_..." lines. */
static int bench_nn(double seconds) {
  printf("## governor bench nn\n\n");
  gv_status st = gv_nn_bench(stdout, seconds);
  fflush(stdout);
  return gv_exit_code(st);
}

int gv_bench_main(int argc, char **argv) {
  const char *what = "dirac";
  double seconds = 1.0;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    else what = argv[i];
  }
  if (!strcmp(what, "dirac")) return bench_dirac(seconds);
  if (!strcmp(what, "env")) return gv_rl_bench_env(seconds);
  if (!strcmp(what, "ppo")) return gv_rl_bench_ppo(seconds * 10);
  if (!strcmp(what, "nn")) return bench_nn(seconds * 4);
  if (!strcmp(what, "all")) {
    int rc = bench_dirac(seconds);
    int re = gv_rl_bench_env(seconds);
    int rp = gv_rl_bench_ppo(seconds * 10);
    int rn = bench_nn(seconds * 4);
    if (rn > rp) rp = rn;
    return rc > re ? (rc > rp ? rc : rp) : (re > rp ? re : rp);
  }
  fprintf(stderr, "governor: bench: unknown benchmark '%s' (allowed: dirac, env, ppo, nn, all)\n",
          what);
  return 2;
}
