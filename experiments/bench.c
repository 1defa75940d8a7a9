/* `governor bench`: speed figures for docs/benchmarks.md, each reported as a
 * ratio against a baseline measured in the same process. */
#include <cblas.h>
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

static double ring_sum(const gv_replay *rb) {
  double s = 0;
  const size_t n = (size_t)rb->size * (size_t)rb->obs_dim;
  for (size_t i = 0; i < n; i += 97) s += rb->obs[i] + rb->next_obs[i];
  for (long i = 0; i < rb->size; i += 13) s += rb->rew[i] + rb->done[i];
  return s;
}

/* One replay ring (rows x obs x act) through a checkpoint file in dir:
 * written (seconds, then its fsync), read back into an emptied ring. */
static int bench_ckpt_ring(const char *dir, long rows, int obs, int act) {
  gv_err err = {{0}, {0}};
  gv_replay *rb = NULL;
  if (gv_replay_alloc(&rb, rows, obs, act, &err)) {
    fprintf(stderr, "governor: bench checkpoint: %s\n", err.msg);
    return 1;
  }
  gsl_rng *r = gv_rng_alloc(1, "bench-ckpt", 0); /* noise compresses worse than trajectories */
  const size_t od = (size_t)rows * (size_t)obs, ad = (size_t)rows * (size_t)act;
  for (size_t i = 0; i < od; ++i) rb->obs[i] = (float)gv_rng_normal(r);
  for (size_t i = 0; i < od; ++i) rb->next_obs[i] = (float)gv_rng_normal(r);
  for (size_t i = 0; i < ad; ++i) rb->act[i] = (float)gv_rng_normal(r);
  for (long i = 0; i < rows; ++i) {
    rb->rew[i] = (float)gv_rng_normal(r);
    rb->done[i] = (uint8_t)(gsl_rng_uniform(r) < 0.001);
  }
  gsl_rng_free(r);
  rb->size = rb->added = rows;
  const double want = ring_sum(rb), mem = peak_mib();
  char path[4096];
  snprintf(path, sizeof path, "%s/gv-bench-%ld.ckpt", dir, (long)getpid());
  gv_ckpt c;
  double t0 = gv_now();
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  gv_ckpt_wrap(&c, f, 1);
  if (f < 0) gv_ckpt_fail(&c, "%s: cannot create", path);
  gv_replay_ckpt(rb, &c, "replay");
  gv_status st = gv_ckpt_status(&c, &err);
  if (f >= 0 && H5Fclose(f) < 0 && !st) st = gv_fail(&err, GV_EIO, "%s: cannot close", path);
  const double tw = gv_now() - t0, mem_w = peak_mib();
  t0 = gv_now();
  int fd = open(path, O_RDONLY);
  if (fd >= 0) fsync(fd), close(fd);
  const double ts = gv_now() - t0;
  struct stat sb;
  const double mb = stat(path, &sb) == 0 ? sb.st_size / 1e6 : NAN;
  gv_replay_reset(rb);
  memset(rb->obs, 0, od * sizeof *rb->obs);
  t0 = gv_now();
  f = st ? -1 : H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (!st) {
    gv_ckpt_wrap(&c, f, 0);
    if (f < 0) gv_ckpt_fail(&c, "%s: cannot open", path);
    gv_replay_ckpt(rb, &c, "replay");
    st = gv_ckpt_status(&c, &err);
    if (f >= 0) H5Fclose(f);
  }
  const double tr = gv_now() - t0;
  unlink(path);
  if (!st && (rb->size != rows || ring_sum(rb) != want))
    st = gv_fail(&err, GV_EIO, "the ring read back differs from the one written");
  const double ring_mb = (2.0 * od + ad + rows) * 4 / 1e6 + 2.0 * rows / 1e6;
  gv_replay_free(rb);
  if (st) {
    fprintf(stderr, "governor: bench checkpoint: %s\n", err.msg);
    return 1;
  }
  printf("| %ld rows x (%d obs, %d act) | %.0f MB | %.0f MB | %.2f s | %.2f s | %.2f s | %.0f MiB "
         "| %.2f%% |\n", rows, obs, act, ring_mb, mb, tw, ts, tr, mem_w - mem,
         100 * tw / (600 + tw));
  printf("ckpt_write_seconds %.3f\nckpt_fsync_seconds %.3f\nckpt_read_seconds %.3f\n"
         "ckpt_mb %.1f\nckpt_cost_every_10min %.5f\n", tw, ts, tr, mb, tw / (600 + tw));
  return 0;
}

/* A full replay ring of ant's DAC shapes (28 stored observation columns, 8
 * actions, 1M rows) written as a checkpoint and read back; the cost of one
 * every 10 minutes is the write's share of those 10 minutes (the updates a
 * DAC run does not do meanwhile). */
static int bench_checkpoint(void) {
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  printf("## governor bench checkpoint\n\n");
  printf("a full 1M-row replay ring of ant's DAC shapes (Gaussian noise) written to a "
         "checkpoint in %s (chunked, shuffle + deflate 1), fsync'ed, read back; cost = write / "
         "(600 s + write): the share of a DAC run's throughput spent checkpointing every 10 "
         "minutes; bars: write and read < 20 s, cost < 1%%\n\n", dir);
  printf("| ring | in memory | on disk | write | fsync | read | peak memory added by the "
         "write | cost every 10 min |\n|---|---|---|---|---|---|---|---|\n");
  return bench_ckpt_ring(dir, 1000000, 28, 8);
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
