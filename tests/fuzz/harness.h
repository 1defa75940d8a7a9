/* What every harness here shares (tests/fuzz/README.md): the entry point
 * libFuzzer and replay.c call, and libFuzzer's set-up (harness.c). */
#ifndef GV_TESTS_FUZZ_HARNESS_H
#define GV_TESTS_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* One input; each harness defines it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer only (replay.c does not call it): no child process per input
 * (core/h5.h, gv_h5_probe_set). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
