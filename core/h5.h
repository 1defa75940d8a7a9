/* Small HDF5 helpers shared by every file governor writes or reads (run
 * files, nets, policies, demonstration files).
 *
 * Writers: scalar attributes (strings are variable-length UTF-8), replaced
 * when present.
 *
 * Readers: a file governor did not just write is hostile input.  Every read
 * checks the class (string, integer or float), the rank and the number of
 * elements of what it reads before a byte is copied, and fails with
 * GV_EINVAL and a message naming the object ("/summary: attribute steps_done:
 * expected a scalar number, found a string") instead of writing past a
 * buffer.  An absent object is GV_ENOTFOUND (err filled too, so a caller that
 * requires it can pass the message on).  The HDF5 error stack is silenced. */
#ifndef GV_CORE_H5_H
#define GV_CORE_H5_H

#include <hdf5.h>
#include <stddef.h>

#include "core/status.h"

/* Silences HDF5's automatic error printing (every reader and writer calls it). */
void gv_h5_quiet(void);

/* A file access property list without HDF5's file lock (caller closes).
 * governor's run files are guarded by governor's own lock files; HDF5's
 * lock would make any reader of a file (h5py, h5dump, another sweep worker
 * looking at its points) fail a writer's open of it, and the reverse. */
hid_t gv_h5_fapl_nolock(void);

/* The variable-length UTF-8 string type (caller closes). */
hid_t gv_h5_str_type(void);

/* Attribute `name` on obj: a string, or n numbers of memory type mtype
 * stored as ftype (n = 0: a scalar). */
gv_status gv_h5_put_str(hid_t obj, const char *name, const char *value);
gv_status gv_h5_put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, size_t n,
                        const void *value);
/* A scalar string dataset (the run file's /config). */
gv_status gv_h5_put_str_dset(hid_t loc, const char *name, const char *value);
/* A dataset of rank 1 (cols = 0) or 2; compressed when big enough. */
gv_status gv_h5_put_dset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t rows,
                         size_t cols, const void *data);

/* Reads a scalar string attribute (fixed or variable length) into a new
 * string (caller frees). */
gv_status gv_h5_get_str(hid_t obj, const char *name, char **out, gv_err *err);
/* The same into buf; a longer value is GV_EINVAL, not truncated. */
gv_status gv_h5_get_strbuf(hid_t obj, const char *name, char *buf, size_t size, gv_err *err);
/* Reads a numeric attribute of exactly n elements (n = 0: one element, a
 * scalar) converted to mtype. */
gv_status gv_h5_get_num(hid_t obj, const char *name, hid_t mtype, size_t n, void *value,
                        gv_err *err);
/* The number of elements of a numeric attribute of rank 0 or 1. */
gv_status gv_h5_num_len(hid_t obj, const char *name, size_t *n, gv_err *err);
/* A scalar attribute as text: a string as is, a number printed "%.17g". */
gv_status gv_h5_get_text(hid_t obj, const char *name, char **out, gv_err *err);
/* Checks that attribute `name` is a scalar string or number. */
gv_status gv_h5_check_scalar(hid_t obj, const char *name, gv_err *err);
/* A scalar string dataset into a new string (caller frees). */
gv_status gv_h5_read_str_dset(hid_t loc, const char *name, char **out, gv_err *err);
/* A numeric dataset of rank in [rank_min, rank_max] (<= 4) converted to mtype
 * (elem bytes each) into a new buffer (caller frees; never NULL on success,
 * even when empty); dims[0..rank) receive its shape. */
gv_status gv_h5_read_dset(hid_t loc, const char *name, hid_t mtype, size_t elem, int rank_min,
                          int rank_max, void **buf, int *rank, size_t dims[4], gv_err *err);
/* The shape of a numeric dataset, checked as gv_h5_read_dset does, without
 * reading its data. */
gv_status gv_h5_dset_shape(hid_t loc, const char *name, int rank_min, int rank_max, int *rank,
                           size_t dims[4], gv_err *err);

/* One writer per output.  HDF5's own lock (flock) is kept off by writers
 * so that readers can watch a live file; instead a writer takes an
 * open-file-description lock (fcntl F_OFD_SETLK) on the path before
 * truncating it: it does not conflict with readers' flock, is not dropped
 * when another descriptor of the file is closed, and goes with the process.
 * A second writer of the same path gets GV_EINVAL (exit 2) before it
 * touches the file.  *fd holds the lock until the caller closes it. */
gv_status gv_h5_lock_output(const char *path, int *fd, gv_err *err);
/* That lock on an open descriptor, without waiting: 0, or -1 with errno
 * (EAGAIN or EACCES: another open file description holds it). */
int gv_h5_ofd_lock(int fd);

/* Disk full.  HDF5 does not survive a failed write: the file is left
 * half-written, H5Fclose fails, and the library's exit-time cleanup closes
 * it again and crashes.  So writers ask first: GV_OK when the file system of
 * path and RLIMIT_FSIZE leave room for a file growing from `end` bytes by
 * `bytes` (plus GV_H5_HEADROOM for metadata), else GV_EIO and nothing may
 * be written.  SIGXFSZ is ignored from the first call on, so a write past
 * RLIMIT_FSIZE fails with EFBIG instead of killing the process. */
#define GV_H5_HEADROOM (64 << 10)
gv_status gv_h5_room(const char *path, double end, size_t bytes);
/* Called when a write failed anyway (another process filled the disk in
 * between): the process then skips HDF5's exit-time cleanup (flushing stdio
 * and exiting with status 1) instead of crashing in it. */
void gv_h5_write_failed(void);

/* A damaged file can crash or hang libhdf5 itself (1.10.8: a global heap
 * overwritten with 0xff makes H5Aread of a variable-length string fault in
 * H5FL_blk_free or spin in H5HG_read), which no check of governor's can
 * prevent from the same process.  So a file from outside is read first in a
 * child process: gv_h5_probe_file reads every string and number attribute
 * and dataset of the file there with HDF5 alone (no governor check, so that
 * the checks' own defects stay in the process where the sanitisers and the
 * fuzzers see them), and refuses a link to another file, which the child
 * would not follow and the parent would.  The answers:
 *   GV_OK       the child read it (whatever it found: the caller checks),
 *               or no child could be started (the caller then reads
 *               in-process, as before);
 *   GV_EINVAL   "PATH: damaged: ...": the child died mid-read (a fault
 *               signal, or a sanitiser's exit after one), or spent GV_H5_PROBE_SECONDS (or $GV_READ_TIMEOUT)
 *               seconds of CPU time; or a link to another file;
 *   GV_EIO      "PATH: not read: ...": ten times that in wall time without
 *               an answer (a slow file system, a stopped process), or the
 *               child killed by SIGKILL from outside (the OOM killer): try
 *               again.
 * A file probed with GV_OK is not probed again by this process while its
 * device, inode, size and modification time stay the same.  Call it from
 * one thread at a time.  gv_h5_probe runs fn(path, arg, err)
 * the same way and answers with its status and message. */
#define GV_H5_PROBE_SECONDS 60.0
typedef gv_status (*gv_h5_probe_fn)(const char *path, void *arg, gv_err *err);
gv_status gv_h5_probe(const char *path, gv_h5_probe_fn fn, void *arg, gv_err *err);
gv_status gv_h5_probe_file(const char *path, gv_err *err);
/* Off (0): gv_h5_probe_file reads nothing and answers GV_OK.  The libFuzzer
 * harnesses turn it off: a fork per input is slow, and they look for
 * governor's defects, not HDF5's. */
void gv_h5_probe_set(int on);

#endif
