/* Speed of the MLP engine against bare sgemm (docs/nn.md, "Speed").
 *
 * Times full training steps (zero_grad, forward, MSE gradient, backward, Adam)
 * of the two reference shapes
 *   (a) 11-64-64-3 tanh, batch 64      (PPO-sized; bar: >= 5x PyTorch)
 *   (b) 23-256-256-1 relu, batch 256   (TD3 critic; bar: >= 70% of sgemm)
 * and the same sequence of cblas_sgemm calls alone, with OpenBLAS on one
 * thread, interleaved in rounds (a chunk of steps, a chunk of bare gemms) so
 * that both see the same load on a shared machine; figures are medians over
 * rounds.  Prints a markdown table (steps/s, GFLOP/s of the gemm work, the
 * ratio of bare-gemm time to step time) and then one machine-readable
 * "name value" line per figure, nn_<a|b>_{steps_per_s, step_us, sgemm_us,
 * step_gflops, sgemm_gflops, sgemm_fraction} (scripts/bench_nn.py reads
 * them; `governor bench nn` checks the sgemm bar).  Takes about `seconds` in total. */
#ifndef GV_NN_BENCH_H
#define GV_NN_BENCH_H

#include <stdio.h>

#include "core/status.h"

/* fraction (may be NULL): each shape's median bare-sgemm time over step time,
 * (a) then (b), the figure of the sgemm bar. */
gv_status gv_nn_bench(FILE *out, double seconds, double fraction[2]);

#endif
