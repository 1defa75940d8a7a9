/* `governor bench` (experiments/bench.c): the benchmarks' shared verdict.
 *
 * Every figure with a bar in docs/benchmarks.md is checked by gv_bench_bar,
 * which prints the bar and "met" or "MISSED"; a benchmark returns 1 when
 * any of its bars is missed, and `governor bench` exits with it.  The
 * environment variable GV_BENCH_BAR_SCALE (default 1) multiplies every
 * "at least" bar and divides every "at most" bar, so a test can ask for a
 * bar no machine meets without timing anything. */
#ifndef GV_EXPERIMENTS_BENCH_H
#define GV_EXPERIMENTS_BENCH_H

/* Prints "  bar: WHAT >= BAR UNIT: met (VALUE)" (or "<=" with at_most) and
 * returns 0 when value meets the (scaled) bar, else prints MISSED and
 * returns 1; a NaN value misses. */
int gv_bench_bar(const char *what, double value, double bar, int at_most, const char *unit);

/* experiments/rl.c */
int gv_rl_bench_env(double seconds);
int gv_rl_bench_ppo(double seconds);
/* experiments/gail.c */
int gv_gail_bench(double seconds);

#endif
