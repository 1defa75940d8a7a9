/* `governor bench`: speed figures for docs/benchmarks.md, each reported as a
 * ratio against a baseline measured in the same process. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agents/td3.h"
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
/* experiments/gail.c */
int gv_gail_bench(double seconds);

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

/* ------------------------------------------------------------------ TD3 */

/* One cblas_sgemm of a TD3 update, row-major: C (m x n) = op(A) op(B) (+ C
 * for the accumulating dW products, beta 1), as nn/mlp.c issues them. */
typedef struct td3_gemm {
  int ta, tb;               /* 1: transposed operand */
  int m, n, k;
  float beta;
} td3_gemm;

/* The sgemm calls of one critic update (cu) and of one delayed actor
 * update (au) for a D-H-H-A actor and (D+A)-H-H-1 critics on batch N, in
 * the order gv_td3_update makes them.  Returns the number written. */
static int td3_gemms(td3_gemm *g, int N, int D, int A, int H, int actor) {
  const int C = D + A;
  int q = 0;
#define FWD(in, out) g[q++] = (td3_gemm){0, 1, N, out, in, 0.0f}
#define DW(in, out) g[q++] = (td3_gemm){1, 0, out, in, N, 1.0f}
#define DH(in, out) g[q++] = (td3_gemm){0, 0, N, in, out, 0.0f}
  if (!actor) {
    FWD(D, H), FWD(H, H), FWD(H, A);          /* target actor */
    for (int t = 0; t < 2; ++t) FWD(C, H), FWD(H, H), FWD(H, 1); /* target critics */
    for (int c = 0; c < 2; ++c) {             /* critic forward + backward */
      FWD(C, H), FWD(H, H), FWD(H, 1);
      DW(H, 1), DH(H, 1), DW(H, H), DH(H, H), DW(C, H);
    }
  } else {
    FWD(D, H), FWD(H, H), FWD(H, A);          /* actor */
    FWD(C, H), FWD(H, H), FWD(H, 1);          /* critic 1 on (s, mu(s)) */
    DH(H, 1), DH(H, H), DH(C, H);             /* dQ1/d input only */
    DW(H, A), DH(H, A), DW(H, H), DH(H, H), DW(D, H); /* actor backward */
  }
#undef FWD
#undef DW
#undef DH
  return q;
}

static void td3_gemm_run(const td3_gemm *g, int n, float *a, float *b, float *c) {
  for (int i = 0; i < n; ++i) {
    const td3_gemm *x = g + i;
    cblas_sgemm(CblasRowMajor, x->ta ? CblasTrans : CblasNoTrans,
                x->tb ? CblasTrans : CblasNoTrans, x->m, x->n, x->k, 1.0f, a,
                x->ta ? x->m : x->k, b, x->tb ? x->k : x->n, x->beta, c, x->n);
  }
}

static double td3_gemm_flops(const td3_gemm *g, int n) {
  double f = 0;
  for (int i = 0; i < n; ++i) f += 2.0 * g[i].m * g[i].n * g[i].k;
  return f;
}

/* CPU seconds of the calling thread: rates per CPU second do not depend on
 * how much of a shared core the process got. */
static double thread_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* TD3 updates per second on `task`'s shapes (256-256 nets, batch 256, the
 * defaults), against the bare sgemm calls of the same shapes in the same
 * process: rounds of (a chunk of updates, the same number of update-
 * equivalents of bare sgemm), medians over the rounds. */
static int bench_td3_task(const char *name, double seconds) {
  gv_err err = {{0}, {0}};
  gv_env_task *task = NULL;
  gv_td3 *td3 = NULL;
  gv_td3_params p;
  gv_params_defaults(gv_td3_param_table, &p);
  p.learning_starts = 2000;
  p.log_every = 2000;   /* one iterate fills 2000 random transitions, no update */
  p.buffer = 100000;
  gv_status st = gv_env_task_alloc(&task, name, NULL, &err);
  if (!st) st = gv_td3_alloc(&td3, &p, task, 1, 1, 0, &err);
  gv_td3_stats ts;
  if (!st) st = gv_td3_iterate(td3, &ts, &err);
  gv_td3_update_out u;
  for (int i = 0; !st && i < 20; ++i) st = gv_td3_update(td3, &u, &err);  /* warm-up */
  if (st) {
    fprintf(stderr, "governor: bench td3: %s\n", err.msg);
    gv_td3_free(td3);
    gv_env_task_free(task);
    return 1;
  }
  const int D = task->type->obs_dim, A = task->type->act_dim, H = (int)p.hidden, N = (int)p.batch;
  td3_gemm gc[32], ga[32];
  const int nc = td3_gemms(gc, N, D, A, H, 0), na = td3_gemms(ga, N, D, A, H, 1);
  /* flops of one update on average: a critic update + half an actor update */
  const double flops = td3_gemm_flops(gc, nc) + td3_gemm_flops(ga, na) / p.policy_delay;
  const size_t big = (size_t)(N > H ? N : H) * (size_t)(D + A > H ? D + A : H) * 2;
  float *a = calloc(big, sizeof *a), *b = calloc(big, sizeof *b), *c = calloc(big, sizeof *c);
  for (size_t i = 0; i < big; ++i) a[i] = b[i] = 1e-3f * (float)(i % 97);
  /* calibrate a chunk to ~seconds / 20 */
  int chunk = 10;
  double t0 = gv_now();
  for (int i = 0; i < chunk; ++i) gv_td3_update(td3, &u, &err);
  const double per = (gv_now() - t0) / chunk;
  chunk = (int)(seconds / 20 / per);
  if (chunk < 10) chunk = 10;
  if (chunk % 2) chunk++;
  enum { ROUNDS = 9 };
  double ru[ROUNDS], rg[ROUNDS], cu[ROUNDS], cg[ROUNDS];
  for (int r = 0; r < ROUNDS; ++r) {
    t0 = gv_now();
    double c0 = thread_cpu();
    for (int i = 0; i < chunk && !st; ++i) st = gv_td3_update(td3, &u, &err);
    ru[r] = chunk / (gv_now() - t0);
    cu[r] = chunk / (thread_cpu() - c0);
    t0 = gv_now();
    c0 = thread_cpu();
    for (int i = 0; i < chunk; ++i) {
      td3_gemm_run(gc, nc, a, b, c);
      if (i % p.policy_delay == p.policy_delay - 1) td3_gemm_run(ga, na, a, b, c);
    }
    rg[r] = chunk / (gv_now() - t0);
    cg[r] = chunk / (thread_cpu() - c0);
  }
  qsort(ru, ROUNDS, sizeof *ru, cmp_double);
  qsort(rg, ROUNDS, sizeof *rg, cmp_double);
  qsort(cu, ROUNDS, sizeof *cu, cmp_double);
  qsort(cg, ROUNDS, sizeof *cg, cmp_double);
  const double mu = ru[ROUNDS / 2], mg = rg[ROUNDS / 2];
  printf("%-12s obs %3d act %d: %7.0f updates/s (%5.2f ms, %5.1f GFLOP/s)   bare sgemm of the "
         "same calls: %7.0f/s (%5.1f GFLOP/s)   ratio %3.0f%%   [%d rounds of %d, min-max %.0f-%.0f]\n",
         name, D, A, mu, 1e3 / mu, mu * flops * 1e-9, mg, mg * flops * 1e-9, 100 * mu / mg, ROUNDS,
         chunk, ru[0], ru[ROUNDS - 1]);
  printf("%-12s per CPU second: %7.0f updates (%5.1f GFLOP/s)   bare sgemm %7.0f (%5.1f "
         "GFLOP/s)   ratio %3.0f%%\n", "", cu[ROUNDS / 2], cu[ROUNDS / 2] * flops * 1e-9,
         cg[ROUNDS / 2], cg[ROUNDS / 2] * flops * 1e-9, 100 * cu[ROUNDS / 2] / cg[ROUNDS / 2]);
  printf("td3_%s_updates_per_second %.1f\ntd3_%s_sgemm_per_second %.1f\ntd3_%s_ratio %.3f\n"
         "td3_%s_updates_per_cpu_second %.1f\ntd3_%s_sgemm_per_cpu_second %.1f\n",
         name, mu, name, mg, name, mu / mg, name, cu[ROUNDS / 2], name, cg[ROUNDS / 2]);
  free(a);
  free(b);
  free(c);
  gv_td3_free(td3);
  gv_env_task_free(task);
  return st ? 1 : 0;
}

static int bench_td3(double seconds) {
  printf("## governor bench td3\n\n");
  printf("one TD3 update = both critics' forward + backward on batch 256 (with the target "
         "actor and target critics' forwards), the actor update every 2nd; 256-256 ReLU nets, "
         "1 thread\n\n");
  openblas_set_num_threads(1);
  int rc = bench_td3_task("halfcheetah", seconds / 2);
  int ra = bench_td3_task("ant", seconds / 2);
  printf("\n(bar for DAC later: >= 200 updates/s including a discriminator step, >= 60%% of the "
         "bare sgemm rate)\n");
  return rc > ra ? rc : ra;
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
  if (!strcmp(what, "td3")) return bench_td3(seconds * 8);
  if (!strcmp(what, "gail")) return gv_gail_bench(seconds * 10);
  if (!strcmp(what, "all")) {
    int rc = bench_dirac(seconds);
    int re = gv_rl_bench_env(seconds);
    int rp = gv_rl_bench_ppo(seconds * 10);
    int rn = bench_nn(seconds * 4);
    if (rn > rp) rp = rn;
    int rt = bench_td3(seconds * 8);
    if (rt > rp) rp = rt;
    return rc > re ? (rc > rp ? rc : rp) : (re > rp ? re : rp);
  }
  fprintf(stderr, "governor: bench: unknown benchmark '%s' (allowed: dirac, env, ppo, nn, td3, gail, all)\n",
          what);
  return 2;
}
