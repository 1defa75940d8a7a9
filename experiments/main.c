#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "core/runfile.h"
#include "experiments/experiment.h"

/* OpenBLAS chooses its sgemm kernels from the CPU when it loads (or from
 * OPENBLAS_CORETYPE), and different kernels sum in different orders: the
 * same config and seed give different series under kernels SkylakeX,
 * Cooperlake and Haswell, and an AMD EPYC with AVX-512 picks Cooperlake
 * where the machine the numbers guard was made on ran SkylakeX.  So
 * governor pins the kernel, whatever the environment inherited says:
 * SkylakeX where AVX-512 (F, CD, BW, DQ, VL) is there, Haswell where AVX2
 * and FMA are, and a run is the same on
 * every machine with the same instruction set.  GV_BLAS_CORE=NAME asks for
 * kernel NAME instead, GV_BLAS_CORE=openblas leaves the choice to OpenBLAS.
 * OpenBLAS reads OPENBLAS_CORETYPE only as it loads, before main, so
 * governor sets it and runs itself again.  The kernel a run used is its
 * file's `blas_core` attribute (docs/hdf5-schema.md).  On a CPU that is not
 * x86 nothing is pinned unless GV_BLAS_CORE asks (OpenBLAS's choice, which
 * the file records; the numbers guard then checks runs repeat). */
static void pin_blas_kernel(char **argv) {
  const char *ask = getenv("GV_BLAS_CORE"), *core = NULL;
  if (ask && !strcmp(ask, "openblas")) return;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                     __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                     __builtin_cpu_supports("avx512vl");
  const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  const int avx512 = 0, avx2 = 0;
#endif
  if (ask && *ask) {
    /* OpenBLAS's AVX-512 kernels on a CPU without it end in SIGILL */
    if (!avx512 && (!strcasecmp(ask, "SkylakeX") || !strcasecmp(ask, "Cooperlake") ||
                    !strcasecmp(ask, "SapphireRapids"))) {
#if defined(__x86_64__) || defined(__i386__)
      fprintf(stderr, "governor: GV_BLAS_CORE=%s: this CPU has no AVX-512 (allowed here: "
                      "Haswell, Sandybridge, openblas)\n", ask);
#else
      fprintf(stderr, "governor: GV_BLAS_CORE=%s: an x86 AVX-512 kernel on a CPU that is not "
                      "x86 (allowed: a kernel of this CPU's OpenBLAS, or openblas)\n", ask);
#endif
      exit(2);
    }
    core = ask;
  } else if (avx512) {
    core = "SkylakeX";
  } else if (avx2) {
    core = "Haswell";
  } else {
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
  /* a kernel name OpenBLAS does not know: it falls back to its slowest */
  const char *ask = getenv("GV_BLAS_CORE");
  if (ask && *ask && strcmp(ask, "openblas") && strcasecmp(ask, gv_blas_core())) {
    fprintf(stderr, "governor: GV_BLAS_CORE=%s: OpenBLAS runs kernel %s instead (allowed: a "
                    "kernel name OpenBLAS knows, such as SkylakeX or Haswell, or openblas)\n",
            ask, gv_blas_core());
    return 2;
  }
  /* GSL's default handler aborts; governor checks every status itself and
   * records numerical trouble as data. */
  gsl_set_error_handler_off();
  return gv_cli_main(argc, argv);
}
