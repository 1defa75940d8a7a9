/* Saving and loading a net's spec and parameters in HDF5.
 *
 * A net is one group (for example /policy in a run file, or /net in a
 * standalone file) holding
 *   dataset  param        float32 (nparam): the flat parameter buffer, layout
 *                         of nn/mlp.h (W_0, b_0, W_1, b_1, ..., W out x in)
 *   attr     sizes        int32 (L+1): widths, inputs first
 *   attr     activations  string: "tanh,tanh,linear" (names, not enum values,
 *                         so reordering the enum can not silently change a file)
 *   attr     slope        float32: leaky relu slope
 *   attr     out_sigmoid  int32: 0 or 1
 *   attr     format       string: "governor-mlp-1"
 * Loading into an existing net checks the stored spec against the net's and
 * fails with GV_EINVAL and both specs in the message when they differ.
 * Parameters round-trip bit-exactly. */
#ifndef GV_NN_IO_H
#define GV_NN_IO_H

#include <hdf5.h>

#include "core/status.h"
#include "nn/mlp.h"

/* Writes net into group `name` under loc (a file or group id), creating
 * intermediate groups and replacing an existing group of that name. */
gv_status gv_nn_save(hid_t loc, const char *name, const gv_nn *net, gv_err *err);
/* Reads the spec stored in group `name` under loc. */
gv_status gv_nn_load_spec(gv_nn_spec *spec, hid_t loc, const char *name, gv_err *err);
/* Reads parameters into net after checking the stored spec equals net->spec. */
gv_status gv_nn_load(gv_nn *net, hid_t loc, const char *name, gv_err *err);

/* Standalone file (truncated on save) holding the net in group /net. */
gv_status gv_nn_save_file(const char *path, const gv_nn *net, gv_err *err);
gv_status gv_nn_load_file(gv_nn *net, const char *path, gv_err *err);
/* Allocates a net of the stored spec and loads it (no spec needed up front). */
gv_status gv_nn_alloc_file(gv_nn **net, const char *path, gv_err *err);

#endif
