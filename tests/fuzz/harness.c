/* libFuzzer's set-up, shared by every harness (harness.h). */
#include "tests/fuzz/harness.h"

#include "core/h5.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  gv_h5_probe_set(0);
  return 0;
}
