/* MLP training-step benchmark (nn/bench.h). */
#include "nn/bench.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "nn/init.h"
#include "nn/mlp.h"
#include "nn/optim.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
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

static gv_status bench_shape(FILE *out, const char *label, int nin, int h, gv_nn_act act,
                             int nout, int n, double seconds) {
  gv_err err;
  gv_nn_spec spec;
  const int hidden[2] = {h, h};
  gv_nn *net = NULL;
  gv_nn_ws *ws = NULL;
  gv_nn_optim *opt = NULL;
  gsl_rng *rng = gv_rng_alloc(1, "bench", 0);
  float *x = malloc(sizeof(float) * (size_t)n * nin), *y = malloc(sizeof(float) * (size_t)n * nout),
        *dy = malloc(sizeof(float) * (size_t)n * nout);
  gv_nn_optim_spec os;
  gv_nn_optim_default(&os, GV_NN_ADAM);
  os.lr = 3e-4;
  gv_status st = rng && x && y && dy ? GV_OK : GV_ENOMEM;
  if (!st) st = gv_nn_spec_mlp(&spec, nin, 2, hidden, act, nout, GV_NN_ACT_LINEAR, &err);
  if (!st) st = gv_nn_alloc(&net, &spec, &err);
  if (!st) st = gv_nn_ws_alloc(&ws, &spec, n, &err);
  if (!st) st = gv_nn_optim_alloc(&opt, &os, net->nparam, &err);
  if (!st) st = gv_nn_init_params(net, GV_NN_INIT_ORTHOGONAL, 1.4142135623730951, 1.0, rng, &err);
  if (st) goto done;
  for (int k = 0; k < n * nin; ++k) x[k] = (float)gv_rng_normal(rng);
  for (int k = 0; k < n * nout; ++k) y[k] = (float)gv_rng_normal(rng);

  const double flops = step_flops(&spec, n);
  double steps = 0.0, t0 = now(), t1 = t0;
  while (t1 - t0 < seconds) {
    for (int r = 0; r < 20; ++r) {
      gv_nn_zero_grad(net);
      gv_nn_forward(ws, net, x, n);
      const float c = 2.0f / (float)(n * nout);
      for (int k = 0; k < n * nout; ++k) dy[k] = c * (ws->out[k] - y[k]);
      gv_nn_backward(net->grad, NULL, net, ws, dy);
      gv_nn_optim_step(net->param, opt, net->grad, NULL);
    }
    steps += 20.0;
    t1 = now();
  }
  const double t_step = (t1 - t0) / steps;
  double reps = 0.0;
  t0 = now();
  t1 = t0;
  while (t1 - t0 < seconds) {
    for (int r = 0; r < 20; ++r) bare_gemms(net, ws, n);
    reps += 20.0;
    t1 = now();
  }
  const double t_gemm = (t1 - t0) / reps;
  fprintf(out,
          "%-28s %9.0f steps/s  %6.2f GFLOP/s  | bare sgemm %6.2f GFLOP/s  | step at %3.0f%% "
          "of sgemm (%.1f us vs %.1f us)\n",
          label, 1.0 / t_step, flops / t_step * 1e-9, flops / t_gemm * 1e-9,
          100.0 * t_gemm / t_step, t_step * 1e6, t_gemm * 1e6);
done:
  if (st) fprintf(out, "%s: %s\n", label, err.msg);
  gv_nn_optim_free(opt);
  gv_nn_ws_free(ws);
  gv_nn_free(net);
  if (rng) gsl_rng_free(rng);
  free(x);
  free(y);
  free(dy);
  return st;
}

gv_status gv_nn_bench(FILE *out, double seconds) {
  /* single-threaded: the bars are per core, and threads would fight the
   * vector environments for the cores */
  const int threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  const double each = seconds > 0.0 ? seconds / 4.0 : 0.25;
  fprintf(out, "nn bench: training step = forward + backward + Adam; OpenBLAS 1 thread\n");
  gv_status st = bench_shape(out, "11-64-64-3 tanh, batch 64", 11, 64, GV_NN_ACT_TANH, 3, 64, each);
  if (!st)
    st = bench_shape(out, "23-256-256-1 relu, batch 256", 23, 256, GV_NN_ACT_RELU, 1, 256, each);
  openblas_set_num_threads(threads);
  return st;
}
