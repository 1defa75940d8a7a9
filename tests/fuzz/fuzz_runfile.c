/* libFuzzer harness: the run-file reader (core/runfile.c), every analysis
 * (`governor analyze`) and the policy reader (`governor record/export`) on
 * a file built from the input (tests/fuzz/h5build.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agents/policy.h"
#include "core/registry.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/h5build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[512];
  if (!path[0]) gv_fuzz_tmp_path(path, sizeof path, "run.h5");
  if (gv_fuzz_build(path, data, size)) return 0;
  gv_err err = {{0}, {0}};
  gv_runread *rr;
  if (gv_runread_open(&rr, path, &err) == GV_OK) {
    char *kind = gv_runread_attr(rr, "kind"), *cfg = gv_runread_config(rr);
    char *env = gv_runread_summary_str(rr, "env");
    int64_t *step;
    double *value, *arr, x;
    size_t n, dims[4];
    int rank;
    if (gv_runread_series(rr, "distance", &step, &value, &n) == GV_OK) {
      free(step);
      free(value);
    }
    if (gv_runread_array(rr, "replica_lyapunov", &arr, &rank, dims) == GV_OK) free(arr);
    gv_runread_summary_real(rr, "steps_done", &x);
    gv_runread_close(rr);
    const gv_experiment *exp = kind ? (const gv_experiment *)gv_registry_find(&gv_game_registry, kind)
                                    : NULL;
    if (exp && exp->analyze) exp->analyze(path, NULL, &err);
    free(kind);
    free(cfg);
    free(env);
  }
  if (getenv("GV_FUZZ_VERBOSE")) fprintf(stderr, "%s\n", err.msg);
  gv_policy *pi;
  if (gv_policy_load_file(&pi, path, "policy", &err) == GV_OK) gv_policy_free(pi);
  unlink(path);
  return 0;
}
