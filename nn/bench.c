/* MLP training-step benchmark (nn/bench.h).
 *
 * The machine this runs on is usually shared, so a step time and a bare-gemm
 * time measured one after the other can see different loads.  Each shape is
 * therefore measured in ROUNDS rounds, each a chunk of training steps followed
 * by a chunk of the bare gemm calls of the same step; the ratio is taken per
 * round and every figure reported is the median over rounds. */
#include "nn/bench.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "nn/init.h"
#include "nn/mlp.h"
#include "nn/optim.h"

#define ROUNDS 9  /* odd: the median is one of the rounds */

/* The reference shapes of the speed bars in docs/benchmarks.md; `key` names
 * the machine-readable lines (nn_<key>_steps_per_s ...). */
static const struct bench_case {
  const char *key;
  const char *label;
  int nin, hidden, nout, batch;  /* nin-hidden-hidden-nout, linear output */
  gv_nn_act act;                 /* hidden activation */
} cases[] = {
    {"a", "11-64-64-3 tanh", 11, 64, 3, 64, GV_NN_ACT_TANH},       /* PPO-sized */
    {"b", "23-256-256-1 relu", 23, 256, 1, 256, GV_NN_ACT_RELU},  /* TD3 critic */
};
#define NCASES (sizeof cases / sizeof cases[0])

typedef struct bench_result {
  double t_step;   /* median seconds per training step */
  double t_gemm;   /* median seconds per bare-gemm sequence */
  double ratio;    /* median over rounds of t_gemm / t_step */
  double flops;    /* gemm floating-point operations per step */
} bench_result;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *v, int n) {
  double s[ROUNDS];
  memcpy(s, v, sizeof(double) * (size_t)n);
  qsort(s, (size_t)n, sizeof(double), cmp_double);
  return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* gemm floating-point operations of one training step: forward H W^T, then
 * dW = dZ^T H for every layer and dH = dZ W for all but the first */
static double step_flops(const gv_nn_spec *s, int n) {
  double f = 0.0;
  for (int l = 0; l < s->nlayer; ++l) {
    const double mac = (double)n * s->size[l] * s->size[l + 1];
    f += 2.0 * mac * (l > 0 ? 3.0 : 2.0);
  }
  return f;
}

/* The gemm calls of one step, alone, on the same buffers. */
static void bare_gemms(const gv_nn *net, gv_nn_ws *ws, int n) {
  const gv_nn_spec *s = &net->spec;
  for (int l = 0; l < s->nlayer; ++l)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, s->size[l + 1], s->size[l], 1.0f,
                ws->h[l], s->size[l], gv_nn_W(net, l), s->size[l], 0.0f, ws->h[l + 1],
                s->size[l + 1]);
  for (int l = s->nlayer - 1; l >= 0; --l) {
    const int din = s->size[l], dout = s->size[l + 1];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dout, din, n, 1.0f, ws->tmp[0], dout,
                ws->h[l], din, 1.0f, gv_nn_dW(net, l), din);
    if (l > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, din, dout, 1.0f, ws->tmp[0],
                  dout, gv_nn_W(net, l), din, 0.0f, ws->tmp[1], din);
  }
}

/* One training step as a user writes it: zero_grad, forward, the gradient of
 * the MSE loss mean((out - y)^2) over all n x nout outputs, backward, Adam.
 * scripts/bench_nn.py does the same in PyTorch (nn.MSELoss, optim.Adam). */
static void train_step(gv_nn *net, gv_nn_ws *ws, gv_nn_optim *opt, const float *x,
                       const float *y, float *dy, int n) {
  const int nout = net->spec.size[net->spec.nlayer];
  gv_nn_zero_grad(net);
  gv_nn_forward(ws, net, x, n);
  const float c = 2.0f / (float)(n * nout);
  for (int k = 0; k < n * nout; ++k) dy[k] = c * (ws->out[k] - y[k]);
  gv_nn_backward(net->grad, NULL, net, ws, dy);
  gv_nn_optim_step(net->param, opt, net->grad, NULL);
}

static gv_status bench_shape(const struct bench_case *bc, double seconds, bench_result *res,
                             gv_err *err) {
  gv_nn_spec spec;
  const int hidden[2] = {bc->hidden, bc->hidden}, n = bc->batch, nin = bc->nin,
            nout = bc->nout;
  gv_nn *net = NULL;
  gv_nn_ws *ws = NULL;
  gv_nn_optim *opt = NULL;
  gsl_rng *rng = gv_rng_alloc(1, "bench", 0);
  float *x = malloc(sizeof(float) * (size_t)n * nin), *y = malloc(sizeof(float) * (size_t)n * nout),
        *dy = malloc(sizeof(float) * (size_t)n * nout);
  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_ADAM);
  os.lr = 3e-4;
  gv_status st = rng && x && y && dy ? GV_OK : gv_fail(err, GV_ENOMEM, "nn bench: out of memory");
  if (!st) st = gv_nn_spec_mlp(&spec, nin, 2, hidden, bc->act, nout, GV_NN_ACT_LINEAR, err);
  if (!st) st = gv_nn_alloc(&net, &spec, err);
  if (!st) st = gv_nn_ws_alloc(&ws, &spec, n, err);
  if (!st) st = gv_nn_optim_alloc(&opt, &os, net->nparam, err);
  if (!st) st = gv_nn_init_params(net, GV_NN_INIT_ORTHOGONAL, 1.4142135623730951, 1.0, rng, err);
  if (st) goto done;
  for (int k = 0; k < n * nin; ++k) x[k] = (float)gv_rng_normal(rng);
  for (int k = 0; k < n * nout; ++k) y[k] = (float)gv_rng_normal(rng);

  /* warm-up (caches, OpenBLAS buffers, Adam's first steps), then
   * calibration: each timed chunk lasts about seconds / (2 ROUNDS) */
  const double chunk = seconds / (2.0 * ROUNDS);
  long ksteps = 0, kgemm = 0;
  for (int pass = 0; pass < 2; ++pass) {
    long k = 0;
    double t0 = now();
    do {
      train_step(net, ws, opt, x, y, dy, n);
      ++k;
    } while (now() - t0 < 0.2 * chunk || k < 5);
    ksteps = (long)(chunk / ((now() - t0) / (double)k)) + 1;
    k = 0;
    t0 = now();
    do {
      bare_gemms(net, ws, n);
      ++k;
    } while (now() - t0 < 0.2 * chunk || k < 5);
    kgemm = (long)(chunk / ((now() - t0) / (double)k)) + 1;
  }

  double ts[ROUNDS], tg[ROUNDS], ratio[ROUNDS];
  for (int r = 0; r < ROUNDS; ++r) {
    double t0 = now();
    for (long k = 0; k < ksteps; ++k) train_step(net, ws, opt, x, y, dy, n);
    ts[r] = (now() - t0) / (double)ksteps;
    t0 = now();
    for (long k = 0; k < kgemm; ++k) bare_gemms(net, ws, n);
    tg[r] = (now() - t0) / (double)kgemm;
    ratio[r] = tg[r] / ts[r];
  }
  res->t_step = median(ts, ROUNDS);
  res->t_gemm = median(tg, ROUNDS);
  res->ratio = median(ratio, ROUNDS);
  res->flops = step_flops(&spec, n);
done:
  gv_nn_optim_free(opt);
  gv_nn_ws_free(ws);
  gv_nn_free(net);
  if (rng) gsl_rng_free(rng);
  free(x);
  free(y);
  free(dy);
  return st;
}

gv_status gv_nn_bench(FILE *out, double seconds, double fraction[2]) {
  /* single-threaded: the bars are per core, and threads would fight the
   * vector environments for the cores */
  const int threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  const double each = seconds > 0.0 ? seconds / (double)NCASES : 0.5;
  bench_result res[NCASES];
  gv_err err = {{0}, {0}};
  gv_status st = GV_OK;
  for (size_t c = 0; c < NCASES && !st; ++c) st = bench_shape(&cases[c], each, &res[c], &err);
  openblas_set_num_threads(threads);
  if (st) {
    fprintf(out, "nn bench: %s\n", err.msg);
    return st;
  }
  fprintf(out,
          "nn bench: training step = zero_grad + forward + MSE gradient + backward + Adam;\n"
          "OpenBLAS 1 thread; medians of %d rounds, each a chunk of steps then a chunk of\n"
          "the bare sgemm calls of the same step (the 'sgemm' columns)\n\n",
          ROUNDS);
  fprintf(out, "| shape | batch | steps/s | step us | sgemm us | step GFLOP/s | "
               "sgemm GFLOP/s | step at %% of sgemm |\n");
  fprintf(out, "|---|---|---|---|---|---|---|---|\n");
  for (size_t c = 0; fraction && c < NCASES && c < 2; ++c) fraction[c] = res[c].ratio;
  for (size_t c = 0; c < NCASES; ++c)
    fprintf(out, "| (%s) %s | %d | %.0f | %.1f | %.1f | %.2f | %.2f | %.0f%% |\n", cases[c].key,
            cases[c].label, cases[c].batch, 1.0 / res[c].t_step, res[c].t_step * 1e6,
            res[c].t_gemm * 1e6, res[c].flops / res[c].t_step * 1e-9,
            res[c].flops / res[c].t_gemm * 1e-9, 100.0 * res[c].ratio);
  /* machine-readable: one "name value" per line (scripts/bench_nn.py) */
  fprintf(out, "\n");
  for (size_t c = 0; c < NCASES; ++c) {
    const char *k = cases[c].key;
    fprintf(out, "nn_%s_steps_per_s %.1f\n", k, 1.0 / res[c].t_step);
    fprintf(out, "nn_%s_step_us %.3f\n", k, res[c].t_step * 1e6);
    fprintf(out, "nn_%s_sgemm_us %.3f\n", k, res[c].t_gemm * 1e6);
    fprintf(out, "nn_%s_step_gflops %.3f\n", k, res[c].flops / res[c].t_step * 1e-9);
    fprintf(out, "nn_%s_sgemm_gflops %.3f\n", k, res[c].flops / res[c].t_gemm * 1e-9);
    fprintf(out, "nn_%s_sgemm_fraction %.4f\n", k, res[c].ratio);
  }
  return GV_OK;
}
