/* libFuzzer harness: the config loader (core/config.c) and every game's
 * `check` on the input as YAML text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "experiments/experiment.h"
#include "tests/fuzz/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  gv_err err = {{0}, {0}};
  gv_node *root = NULL;
  const gv_experiment *exp;
  /* any top level and any depth: the parser bounds nesting, gv_exp_find
   * refuses what is not a mapping */
  if (gv_cfg_parse_string(text, "fuzz.yaml", &root, &err) == GV_OK &&
      gv_exp_find(root, "fuzz.yaml", &exp, &err) == GV_OK)
    exp->check(root, "fuzz.yaml", &err);
  if (getenv("GV_FUZZ_VERBOSE")) fprintf(stderr, "%s\n", err.msg);
  gv_node_free(root);
  free(text);
  return 0;
}
