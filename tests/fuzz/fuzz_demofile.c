/* libFuzzer harness: the demonstration-file reader (agents/demo.c) and the
 * checks `governor check` runs on a GAIL config naming the file
 * (experiments/gail.c), on a file built from the input
 * (tests/fuzz/h5build.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agents/demo.h"
#include "core/config.h"
#include "experiments/experiment.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/h5build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[512];
  if (!path[0]) gv_fuzz_tmp_path(path, sizeof path, "demos.h5");
  if (gv_fuzz_build(path, data, size)) return 0;
  gv_err err = {{0}, {0}};
  gv_demos d;
  if (gv_demos_load(&d, path, &err) == GV_OK) gv_demos_free(&d);
  const char *envs[] = {"inverted_pendulum", "hopper"};
  char yaml[1024];
  snprintf(yaml, sizeof yaml, "game: {kind: %s, env: %s, demos: \"%s\", trajectories: 1}\n",
           size % 2 ? "gail" : "dac", envs[size / 2 % 2], path);
  gv_node *root = NULL;
  const gv_experiment *exp;
  if (gv_cfg_parse_string(yaml, "fuzz.yaml", &root, &err) == GV_OK &&
      gv_exp_find(root, "fuzz.yaml", &exp, &err) == GV_OK)
    exp->check(root, "fuzz.yaml", &err);
  if (getenv("GV_FUZZ_VERBOSE")) fprintf(stderr, "%s\n", err.msg);
  gv_node_free(root);
  unlink(path);
  return 0;
}
