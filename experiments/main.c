#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "experiments/experiment.h"

/* OpenBLAS chooses its sgemm kernels from the CPU when it loads (or from
 * OPENBLAS_CORETYPE), and different kernels sum in different orders: the
 * same config and seed give different series under kernels SkylakeX,
 * Cooperlake and Haswell, and an AMD machine with AVX-512 picks Cooperlake
 * where an Intel one picks SkylakeX.  So governor pins the kernel, whatever
 * the environment inherited says: SkylakeX where AVX-512 (F, CD, BW, DQ,
 * VL) is there, Haswell where AVX2 and FMA are, and a run is the same on
 * every machine with the same instruction set.  GV_BLAS_CORE=NAME asks for
 * kernel NAME instead, GV_BLAS_CORE=openblas leaves the choice to OpenBLAS.
 * OpenBLAS reads OPENBLAS_CORETYPE only as it loads, before main, so
 * governor sets it and runs itself again.  The kernel a run used is its
 * file's `blas_core` attribute (docs/hdf5-schema.md). */
static void pin_blas_kernel(char **argv) {
  const char *ask = getenv("GV_BLAS_CORE"), *core = NULL;
  if (ask && !strcmp(ask, "openblas")) return;
  if (ask && *ask) {
    core = ask;
  } else {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
      core = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      core = "Haswell";
    else
      return; /* nothing to pin to: OpenBLAS's choice, which the file records */
  }
  const char *now = getenv("OPENBLAS_CORETYPE");
  if (now && !strcmp(now, core)) return; /* pinned (this is the second run) */
  char *was = now ? strdup(now) : NULL;
  if (setenv("OPENBLAS_CORETYPE", core, 1) != 0) {
    free(was);
    return;
  }
  execv("/proc/self/exe", argv);
  /* no /proc: go on with the kernel OpenBLAS chose (the file records it),
   * and leave the environment as it was, so that what this process execs
   * (a resume) runs the same kernel as this process */
  if (was) setenv("OPENBLAS_CORETYPE", was, 1);
  else unsetenv("OPENBLAS_CORETYPE");
  free(was);
}

int main(int argc, char **argv) {
  pin_blas_kernel(argv);
  /* GSL's default handler aborts; governor checks every status itself and
   * records numerical trouble as data. */
  gsl_set_error_handler_off();
  return gv_cli_main(argc, argv);
}
