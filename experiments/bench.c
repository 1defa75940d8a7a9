/* `governor bench`: speed figures for docs/benchmarks.md, each reported as a
 * ratio against a baseline measured in the same process. */
#include <cblas.h>
#include <dirent.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agents/dac.h"
#include "agents/replay.h"
#include "core/checkpoint.h"
#include "agents/td3.h"
#include "controllers/ctl.h"
#include "nn/mlp.h"
#include "core/progress.h"
#include "core/rng.h"
#include "experiments/bench.h"
#include "experiments/experiment.h"
#include "gan/dirac.h"
#include "gan/scheme.h"
#include "nn/bench.h"

extern const gv_experiment gv_exp_dirac;

int gv_bench_bar(const char *what, double value, double bar, int at_most, const char *unit) {
  const char *env = getenv("GV_BENCH_BAR_SCALE");
  double scale = 1;
  if (env && (gv_parse_real(env, &scale) != GV_OK || !(scale > 0) || !isfinite(scale))) {
    fprintf(stderr, "governor: bench: GV_BENCH_BAR_SCALE '%s' ignored (allowed: a positive "
            "number)\n", env);
    scale = 1;
  }
  const double b = at_most ? bar / scale : bar * scale;
  const int met = at_most ? value <= b : value >= b;
  printf("  bar: %s %s %.3g%s%s: %s (%.3g)%s\n", what, at_most ? "<=" : ">=", b, *unit ? " " : "",
         unit, met ? "met" : "MISSED", value, scale != 1 ? " [bars scaled by GV_BENCH_BAR_SCALE]" : "");
  return !met;
}

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
  int missed = gv_bench_bar("simgd, 1 thread", rs, 2e7, 0, "steps/s");

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
    printf("  wall time %.2f s  (%.3g steps/s)\n", tstudy, (double)reps * nsteps / tstudy);
    missed |= gv_bench_bar("BMC study wall time", tstudy, 30, 1, "s");
  }
  unlink(path);
  gv_node_free(root);
  return s == GV_OK ? missed : 1;
}

/* The MLP engine's training step against bare sgemm (nn/bench.h); the
 * PyTorch comparison behind the speed bars of docs/benchmarks.md is
 * scripts/bench_nn.py, which runs
 * this and reads its "nn_..." lines. */
static int bench_nn(double seconds) {
  printf("## governor bench nn\n\n");
  double fraction[2] = {NAN, NAN};
  gv_status st = gv_nn_bench(stdout, seconds, fraction);
  if (st) return gv_exit_code(st);
  printf("bars (docs/benchmarks.md): (a) >= 5x PyTorch and (b) >= 1.2x PyTorch are measured by "
         "scripts/bench_nn.py; here:\n");
  return gv_bench_bar("(b) step at a share of bare sgemm", fraction[1], 0.70, 0, "");
  fflush(stdout);
  return gv_exit_code(st);
}

/* ------------------------------------------------------------ TD3, DAC */

/* CPU seconds of the process (every thread, OpenBLAS's included): rates per
 * CPU second do not depend on how much of the machine the process got. */
static double process_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef gv_status (*bench_update_fn)(void *ctx, gv_err *err);

static gv_status td3_update_fn(void *ctx, gv_err *err) {
  gv_td3_update_out u;
  return gv_td3_update(ctx, &u, err);
}

static gv_status dac_update_fn(void *ctx, gv_err *err) { return gv_dac_update(ctx, err); }

/* Updates per second of f against the bare sgemm calls the same updates
 * make (recorded by nn/'s trace over `period` updates, one full cycle of
 * the actor delay, then replayed on scratch buffers), in alternating rounds
 * of `chunk` updates and chunk / period replays; medians over the rounds,
 * by wall clock and per CPU second.  key prefixes the script-readable
 * lines. */
static int bench_updates(const char *label, const char *key, bench_update_fn f, void *ctx,
                         int period, double seconds, double *rate, double *ratio) {
  gv_err err = {{0}, {0}};
  enum { CAP = 4096 };
  gv_nn_gemm_call *calls = calloc(CAP, sizeof *calls);
  gv_nn_gemm_trace tr = {calls, 0, CAP};
  gv_status st = calls ? GV_OK : GV_ENOMEM;
  gv_nn_gemm_trace_set(&tr);
  for (int i = 0; !st && i < period; ++i) st = f(ctx, &err);
  gv_nn_gemm_trace_set(NULL);
  size_t big = 1;
  for (size_t i = 0; i < tr.n; ++i) {
    const size_t m = (size_t)calls[i].m, n = (size_t)calls[i].n, k = (size_t)calls[i].k;
    const size_t x = m * k > k * n ? (m * k > m * n ? m * k : m * n) : (k * n > m * n ? k * n : m * n);
    big = x > big ? x : big;
  }
  float *a = calloc(big, sizeof *a), *b = calloc(big, sizeof *b), *c = calloc(big, sizeof *c);
  if (!st && (!a || !b || !c || tr.n >= CAP)) st = GV_ENOMEM;
  if (st) {
    fprintf(stderr, "governor: bench %s: %s\n", key, err.msg[0] ? err.msg : "out of memory");
    free(calls);
    free(a);
    free(b);
    free(c);
    return 1;
  }
  for (size_t i = 0; i < big; ++i) a[i] = b[i] = 1e-3f * (float)(i % 97);
  const double flops = gv_nn_gemm_flops(calls, tr.n) / period; /* per update */
  /* calibrate a chunk to ~seconds / 20 */
  int chunk = 4 * period;
  double t0 = gv_now();
  for (int i = 0; !st && i < chunk; ++i) st = f(ctx, &err);
  const double per = (gv_now() - t0) / chunk;
  chunk = (int)(seconds / 20 / per) / period * period;
  if (chunk < 4 * period) chunk = 4 * period;
  enum { ROUNDS = 9 };
  double ru[ROUNDS], rg[ROUNDS], cu[ROUNDS], cg[ROUNDS];
  for (int r = 0; r < ROUNDS && !st; ++r) {
    t0 = gv_now();
    double c0 = process_cpu();
    for (int i = 0; i < chunk && !st; ++i) st = f(ctx, &err);
    ru[r] = chunk / (gv_now() - t0);
    cu[r] = chunk / (process_cpu() - c0);
    t0 = gv_now();
    c0 = process_cpu();
    for (int i = 0; i < chunk / period; ++i) gv_nn_gemm_replay(calls, tr.n, a, b, c);
    rg[r] = chunk / (gv_now() - t0);
    cg[r] = chunk / (process_cpu() - c0);
  }
  free(calls);
  free(a);
  free(b);
  free(c);
  if (st) {
    fprintf(stderr, "governor: bench %s: %s\n", key, err.msg);
    return 1;
  }
  qsort(ru, ROUNDS, sizeof *ru, cmp_double);
  qsort(rg, ROUNDS, sizeof *rg, cmp_double);
  qsort(cu, ROUNDS, sizeof *cu, cmp_double);
  qsort(cg, ROUNDS, sizeof *cg, cmp_double);
  const double mu = ru[ROUNDS / 2], mg = rg[ROUNDS / 2], mcu = cu[ROUNDS / 2],
               mcg = cg[ROUNDS / 2];
  printf("%-24s %7.0f updates/s (%5.2f ms, %5.1f GFLOP/s)   bare sgemm of the same calls: "
         "%7.0f/s (%5.1f GFLOP/s)   ratio %3.0f%%   [%d rounds of %d, min-max %.0f-%.0f]\n",
         label, mu, 1e3 / mu, mu * flops * 1e-9, mg, mg * flops * 1e-9, 100 * mu / mg, ROUNDS,
         chunk, ru[0], ru[ROUNDS - 1]);
  printf("%-24s per CPU second: %7.0f updates (%5.1f GFLOP/s)   bare sgemm %7.0f (%5.1f "
         "GFLOP/s)   ratio %3.0f%%   (%zu sgemm calls per %d updates)\n", "", mcu,
         mcu * flops * 1e-9, mcg, mcg * flops * 1e-9, 100 * mcu / mcg, tr.n, period);
  printf("%s_updates_per_second %.1f\n%s_sgemm_per_second %.1f\n%s_ratio %.3f\n"
         "%s_updates_per_cpu_second %.1f\n%s_sgemm_per_cpu_second %.1f\n",
         key, mu, key, mg, key, mu / mg, key, mcu, key, mcg);
  fflush(stdout);
  *rate = mu;
  *ratio = mu / mg;
  return 0;
}

/* TD3 on `task`'s shapes (256-256 nets, batch 256, the defaults) after 2000
 * random transitions. */
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
  int rc = 1;
  if (st) {
    fprintf(stderr, "governor: bench td3: %s\n", err.msg);
  } else {
    char label[64], key[64];
    snprintf(label, sizeof label, "%s obs %d act %d", name, task->type->obs_dim,
             task->type->act_dim);
    snprintf(key, sizeof key, "td3_%s", name);
    double rate, ratio;
    rc = bench_updates(label, key, td3_update_fn, td3, (int)p.policy_delay, seconds, &rate,
                       &ratio);
    if (!rc) rc = gv_bench_bar("share of bare sgemm", ratio, 0.60, 0, "");
  }
  gv_td3_free(td3);
  gv_env_task_free(task);
  return rc;
}

static int bench_td3(double seconds) {
  printf("## governor bench td3\n\n");
  printf("one TD3 update = both critics' forward + backward on batch 256 (with the target "
         "actor and target critics' forwards), the actor update every 2nd; 256-256 ReLU nets, "
         "1 thread\n\n");
  openblas_set_num_threads(1);
  int rc = bench_td3_task("halfcheetah", seconds / 2);
  int ra = bench_td3_task("ant", seconds / 2);
  return rc > ra ? rc : ra;
}

/* DAC on halfcheetah's shapes as configs/dac/halfcheetah-dac.yaml has them:
 * TD3 256-256, batch 256, plus one 100-100 tanh discriminator step on 256
 * expert + 256 replay rows with the gradient penalty on 256 interpolates,
 * and the batch's rewards, per update; OpenBLAS on `threads` threads. */
static int bench_dac_threads(double seconds, int threads) {
  gv_err err = {{0}, {0}};
  gv_env_task *task = NULL;
  gv_dac *dac = NULL;
  gv_demos demos;
  memset(&demos, 0, sizeof demos);
  gv_ctl_stack ctl;
  memset(&ctl, 0, sizeof ctl);
  gv_node *seq = NULL;
  gv_td3_params tp;
  gv_params_defaults(gv_td3_param_table, &tp);
  tp.learning_starts = 2000;
  tp.log_every = 2000;
  tp.buffer = 100000;
  gv_gail_params gp;
  memset(&gp, 0, sizeof gp);
  gv_params_defaults(gv_gail_disc_table, &gp);
  gp.trajectories = 4;
  gp.subsample = 20;
  gp.updates = 1;
  gp.batch = 256;
  gp.reward = GV_GAIL_REW_LOGIT;
  gv_status st = gv_cfg_parse_string("[{kind: wgan_gp, gamma: 20}]", "bench", &seq, &err);
  gv_cfg_ctx cctx = {"bench", ""};
  if (!st) st = gv_ctl_stack_load(&ctl, seq, &cctx, 0, &err);
  if (!st) st = gv_demos_load(&demos, GV_SOURCE_DIR "/data/experts/halfcheetah-demos.h5", &err);
  if (!st) st = gv_env_task_alloc(&task, "halfcheetah", NULL, &err);
  if (!st) st = gv_dac_alloc(&dac, &tp, &gp, &demos, &ctl, task, 1, 1, 0, &err);
  gv_td3_stats ts;
  gv_dac_stats ds;
  if (!st) st = gv_dac_iterate(dac, &ts, &ds, &err);
  for (int i = 0; !st && i < 20; ++i) st = gv_dac_update(dac, &err);  /* warm-up */
  int rc = 1;
  if (st) {
    fprintf(stderr, "governor: bench dac: %s\n", err.msg);
  } else {
    openblas_set_num_threads(threads);
    char label[64], key[64];
    snprintf(label, sizeof label, "halfcheetah, %d thread%s", threads, threads > 1 ? "s" : "");
    snprintf(key, sizeof key, "dac_%dt", threads);
    double rate, ratio;
    rc = bench_updates(label, key, dac_update_fn, dac, (int)tp.policy_delay, seconds, &rate,
                       &ratio);
    if (!rc) rc = gv_bench_bar("share of bare sgemm", ratio, 0.60, 0, "");
    if (!rc && threads == 2) rc = gv_bench_bar("updates on 2 threads", rate, 200, 0, "updates/s");
    openblas_set_num_threads(1);
  }
  gv_dac_free(dac);
  gv_env_task_free(task);
  gv_demos_free(&demos);
  gv_ctl_stack_free(&ctl);
  gv_node_free(seq);
  return rc;
}

static int bench_dac(double seconds) {
  printf("## governor bench dac\n\n");
  printf("one DAC update = a 100-100 tanh discriminator step (256 expert + 256 replay rows, "
         "gradient penalty on 256 interpolates), the batch's logit rewards, and a TD3 update "
         "(256-256, batch 256, actor every 2nd); bar: >= 200 updates/s on 2 cores and >= 60%% "
         "of the bare sgemm rate\n\n");
  openblas_set_num_threads(1);
  int r1 = bench_dac_threads(seconds / 2, 1);
  int r2 = bench_dac_threads(seconds / 2, 2);
  return r1 > r2 ? r1 : r2;
}

/* ---------------------------------------------------------- checkpoint */

static double peak_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

/* ant-ref's stored rows (configs/dac/ant-ref.yaml): 105 observation
 * columns (27 positions and velocities, Gaussian noise here; 78 contact
 * forces, 13 bodies x 6, each body's zero unless it touches something,
 * 15% of the time here) and DAC's absorbing indicator, 8 actions; an
 * episode of 50 to 1000 steps ends with an absorbing row. */
#define ANT_OBS 106
#define ANT_ACT 8
static void ant_fill(gv_replay *rb, gsl_rng *r, long rows, long *left) {
  double o[ANT_OBS], n[ANT_OBS], a[ANT_ACT];
  for (long i = 0; i < rows; ++i) {
    if (*left == 0) { /* the absorbing row: a zero state flagged 1, to itself */
      memset(o, 0, sizeof o);
      o[ANT_OBS - 1] = 1;
      memset(a, 0, sizeof a);
      gv_replay_add(rb, o, a, 0, o, 0, 0);
      *left = 50 + (long)gsl_rng_uniform_int(r, 951);
      continue;
    }
    memset(n, 0, sizeof n);
    for (int j = 0; j < 27; ++j) n[j] = gv_rng_normal(r);
    for (int b = 0; b < 13; ++b)
      if (gsl_rng_uniform(r) < 0.15)
        for (int j = 0; j < 6; ++j) n[27 + 6 * b + j] = 0.3 * gv_rng_normal(r);
    for (int j = 0; j < ANT_ACT; ++j) a[j] = 2 * gsl_rng_uniform(r) - 1;
    gv_replay_add(rb, o, a, gv_rng_normal(r), n, 0, --*left == 0);
    memcpy(o, n, sizeof o);
  }
}

/* Bytes in path plus those in the folder path.d (the side files). */
static double ckpt_bytes(const char *path) {
  struct stat sb;
  double b = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
  char dir[4200];
  snprintf(dir, sizeof dir, "%s.d", path);
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char f[4600];
    snprintf(f, sizeof f, "%s/%s", dir, e->d_name);
    if (e->d_name[0] != '.' && stat(f, &sb) == 0) b += (double)sb.st_size;
  }
  if (d) closedir(d);
  return b;
}

/* rb through the checkpoint file path (side files in path.d) as a run
 * writes it: written, closed, everything fsync'ed, its side files'
 * commit; or read back into rb.  Seconds, or -1 with err set. */
static double ckpt_pass(gv_replay *rb, const char *path, int writing, gv_err *err) {
  static gv_ckpt_side side;
  gv_ckpt_side_init(&side, path);
  const double t0 = gv_now();
  hid_t f = writing ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)
                    : H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  gv_ckpt c;
  gv_ckpt_wrap(&c, f, writing);
  c.side = &side;
  if (f < 0) gv_ckpt_fail(&c, "%s: cannot %s", path, writing ? "create" : "open");
  gv_replay_ckpt(rb, &c, "replay");
  gv_status st = gv_ckpt_status(&c, err);
  if (f >= 0 && H5Fclose(f) < 0 && !st) st = gv_fail(err, GV_EIO, "%s: cannot close", path);
  if (!st && writing) {
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0 || gv_ckpt_side_sync(&side))
      st = gv_fail(err, GV_EIO, "%s: cannot fsync", path);
    if (fd >= 0) close(fd);
  }
  const double t = gv_now() - t0;
  gv_ckpt_side_finish(&side, writing && !st);
  gv_ckpt_side_free(&side);
  return st ? -1 : t;
}

/* 1 when the two rings hold the same rows and counters. */
static int same_ring(const gv_replay *a, const gv_replay *b) {
  const size_t S = (size_t)a->size, D = (size_t)a->obs_dim, A = (size_t)a->act_dim;
  return a->size == b->size && a->pos == b->pos && a->added == b->added &&
         !memcmp(a->obs, b->obs, S * D * 4) && !memcmp(a->next_obs, b->next_obs, S * D * 4) &&
         !memcmp(a->act, b->act, S * A * 4) && !memcmp(a->rew, b->rew, S * 4) &&
         !memcmp(a->done, b->done, S) && !memcmp(a->trunc, b->trunc, S);
}

/* A full 1M-row ring of ant-ref's layout through a checkpoint, then 10
 * minutes' worth of rows at rate env steps/s added (the ring wraps) and the
 * incremental checkpoint of them; each read back into another ring and
 * compared. */
static int bench_ckpt_ring(const char *dir, long rows, double rate) {
  gv_err err = {{0}, {0}};
  gv_replay *rb = NULL, *back = NULL;
  if (gv_replay_alloc(&rb, rows, ANT_OBS, ANT_ACT, &err) ||
      gv_replay_alloc(&back, rows, ANT_OBS, ANT_ACT, &err)) {
    gv_replay_free(rb);
    fprintf(stderr, "governor: bench checkpoint: %s\n", err.msg);
    return 1;
  }
  gsl_rng *r = gv_rng_alloc(1, "bench-ckpt", 0);
  long left = 1000;
  ant_fill(rb, r, rows + rows / 3, &left); /* full, wrapped once */
  char path[4096];
  snprintf(path, sizeof path, "%s/gv-bench-%ld.ckpt", dir, (long)getpid());
  const double ring_mb = rows * (2.0 * ANT_OBS + ANT_ACT + 1) * 4 / 1e6 + 2.0 * rows / 1e6;
  const long inc = (long)(600 * rate);
  double tw[2], tr[2], mb[2], mem = peak_mib(), mem_w = 0;
  int missed = 0, bad = 0, blocks[2];
  for (int pass = 0; pass < 2 && !bad; ++pass) {
    if (pass) ant_fill(rb, r, inc, &left);
    const double before = ckpt_bytes(path);
    uint64_t was[GV_REPLAY_BLOCKS];
    memcpy(was, rb->ck_file, sizeof was);
    tw[pass] = ckpt_pass(rb, path, 1, &err);
    blocks[pass] = 0;
    for (int k = 0; k < GV_REPLAY_BLOCKS; ++k) blocks[pass] += rb->ck_file[k] != was[k];
    if (!pass) mem_w = peak_mib();
    mb[pass] = (ckpt_bytes(path) - (pass ? before : 0)) / 1e6; /* written (old files kept) */
    gv_replay_reset(back);
    tr[pass] = tw[pass] < 0 ? -1 : ckpt_pass(back, path, 0, &err);
    bad = tr[pass] < 0;
    if (!bad && !same_ring(rb, back)) {
      bad = 1;
      snprintf(err.msg, sizeof err.msg, "the ring read back differs from the one written");
    }
  }
  gsl_rng_free(r);
  gv_replay_free(back);
  gv_replay_free(rb);
  unlink(path);
  gv_ckpt_side_remove(path);
  if (bad) {
    fprintf(stderr, "governor: bench checkpoint: %s\n", err.msg);
    return 1;
  }
  const char *what[2] = {"full: the first", "incremental: 10 minutes later"};
  const long added[2] = {rows + rows / 3, inc};
  for (int pass = 0; pass < 2; ++pass)
    printf("| %s | %ld | %d of %d | %.0f MB | %.2f s | %.2f s | %.2f%% |\n", what[pass],
           added[pass], blocks[pass], GV_REPLAY_BLOCKS, mb[pass], tw[pass], tr[pass],
           100 * tw[pass] / (600 + tw[pass]));
  printf("\nring %ld rows x (%d obs, %d act), %.0f MB in memory; peak memory added by the "
         "full write %.0f MiB\n", rows, ANT_OBS, ANT_ACT, ring_mb, mem_w - mem);
  printf("ckpt_full_write_seconds %.3f\nckpt_full_read_seconds %.3f\nckpt_full_mb %.1f\n"
         "ckpt_incremental_rows %ld\nckpt_incremental_write_seconds %.3f\n"
         "ckpt_incremental_mb %.1f\nckpt_cost_every_10min %.5f\n", tw[0], tr[0], mb[0], inc,
         tw[1], mb[1], tw[1] / (600 + tw[1]));
  missed |= gv_bench_bar("full checkpoint write", tw[0], 20, 1, "s");
  missed |= gv_bench_bar("full checkpoint read", tr[0], 20, 1, "s");
  missed |= gv_bench_bar("cost of a checkpoint every 10 minutes", 100 * tw[1] / (600 + tw[1]),
                         1, 1, "%");
  return missed;
}

/* A replay ring of ant-ref's layout (106 stored observation columns and 8
 * actions; 1M rows here, ant-ref's own holds 1.1M) as a run checkpoints
 * it: every block once, then the blocks 10 minutes of a DAC run change; the
 * cost of a checkpoint every 10 minutes is the incremental write's share of
 * those 10 minutes (the updates a DAC run does not do meanwhile). */
static int bench_checkpoint(void) {
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  const double rate = 250; /* env steps/s of a DAC run on this machine: 100 to 250 */
  printf("## governor bench checkpoint\n\n");
  printf("a full 1M-row replay ring of ant-ref's layout (106 stored observation columns, "
         "contact forces mostly 0, absorbing rows) checkpointed in %s with its blocks in side "
         "files (chunked, shuffle + deflate 1), everything fsync'ed, read back; then %.0f s x "
         "%.0f env steps/s of rows added and the incremental checkpoint; cost = incremental "
         "write / (600 s + write), the share of a DAC run's throughput spent checkpointing "
         "every 10 minutes; bars: full write and read < 20 s, cost < 1%%\n\n", dir, 600.0,
         rate);
  printf("| checkpoint | rows added before it | blocks written | written to disk | write "
         "(fsyncs included) | read of the whole ring | cost every 10 min |\n"
         "|---|---|---|---|---|---|---|\n");
  return bench_ckpt_ring(dir, 1000000, rate);
}

int gv_bench_main(int argc, char **argv) {
  const char *what = "dirac";
  double seconds = 1.0;
  for (int i = 0; i < argc; ++i) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      if (gv_parse_real(argv[++i], &seconds) != GV_OK || !(seconds > 0 && seconds <= 3600)) {
        fprintf(stderr, "governor: bench: --seconds '%s' (allowed: numbers in (0, 3600])\n",
                argv[i]);
        return 2;
      }
    } else {
      what = argv[i];
    }
  }
  if (!strcmp(what, "dirac")) return bench_dirac(seconds);
  if (!strcmp(what, "env")) return gv_rl_bench_env(seconds);
  if (!strcmp(what, "ppo")) return gv_rl_bench_ppo(seconds * 10);
  if (!strcmp(what, "nn")) return bench_nn(seconds * 4);
  if (!strcmp(what, "td3")) return bench_td3(seconds * 8);
  if (!strcmp(what, "gail")) return gv_gail_bench(seconds * 10);
  if (!strcmp(what, "dac")) return bench_dac(seconds * 8);
  if (!strcmp(what, "checkpoint")) return bench_checkpoint();
  if (!strcmp(what, "all")) {
    int rc = bench_dirac(seconds);
    int re = gv_rl_bench_env(seconds);
    int rp = gv_rl_bench_ppo(seconds * 10);
    int rn = bench_nn(seconds * 4);
    if (rn > rp) rp = rn;
    int rt = bench_td3(seconds * 8);
    if (rt > rp) rp = rt;
    int rd = bench_dac(seconds * 8);
    if (rd > rp) rp = rd;
    const int rk = bench_checkpoint();
    if (rk > rp) rp = rk;
    return rc > re ? (rc > rp ? rc : rp) : (re > rp ? re : rp);
  }
  fprintf(stderr, "governor: bench: unknown benchmark '%s' (allowed: dirac, env, ppo, nn, td3, "
          "gail, dac, checkpoint, all)\n",
          what);
  return 2;
}
