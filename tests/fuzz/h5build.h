/* Structure-aware inputs for the file fuzzers (tests/fuzz/README.md).
 *
 * Mutating the bytes of an HDF5 file mostly exercises HDF5's own parser;
 * governor's defects were in what it does with well-formed files holding
 * the wrong things (an attribute of the wrong class or shape, a dataset of
 * the wrong rank or length, numbers out of range).  So a fuzz input is a
 * recipe: gv_fuzz_build reads it as a list of objects to create (a root or
 * group attribute or a dataset, at a name from the file formats' own
 * vocabulary, of a type, rank, shape and content drawn from the input) and
 * writes that HDF5 file.  An input that starts with HDF5's signature is
 * written as is, but only when GV_FUZZ_RAW is set (long runs over HDF5's
 * parser, which governor cannot fix). */
#ifndef GV_TESTS_FUZZ_H5BUILD_H
#define GV_TESTS_FUZZ_H5BUILD_H

#include <stddef.h>
#include <stdint.h>

/* Writes the file of input (data, size) to path; 0 on success, -1 when the
 * input is skipped. */
int gv_fuzz_build(const char *path, const uint8_t *data, size_t size);

/* A private temporary path for this process (caller passes a buffer). */
void gv_fuzz_tmp_path(char *buf, size_t size, const char *suffix);

#endif
