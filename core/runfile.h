/* The HDF5 run file (schema: docs/hdf5-schema.md).
 *
 *   /                 attributes: version, git_commit, start_utc, host, blas_core, seed,
 *                     status (running | completed | diverged | failed | interrupted | preempted),
 *                     kind (the game), name, group and axes (see
 *                     gv_run_set_labels)
 *   /config           the resolved YAML text (a run file alone reproduces the run)
 *   /series/NAME/step int64 (n), /series/NAME/value float64 (n): scalar curves,
 *                     buffered in memory and appended + flushed every
 *                     flush_every steps, so a killed run keeps its data up to
 *                     the last flush
 *   /arrays/NAME      float64 snapshots (any rank), with optional attribute step
 *   /checkpoint/NAME  raw state needed to resume
 *   /summary          final metrics as attributes (written by the run and by
 *                     `governor analyze`)
 *   /log              text lines (warnings, divergence notices)
 *
 * Between flushes no HDF5 call touches the file, so a SIGKILL leaves the file
 * as it was after the last H5Fflush. */
#ifndef GV_CORE_RUNFILE_H
#define GV_CORE_RUNFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct gv_runfile gv_runfile;

/* The OpenBLAS kernel set this process runs (SkylakeX, Haswell, ...; the
 * pin is in experiments/main.c): the run file's `blas_core`, and part of a
 * checkpoint's identity, since another kernel sums in another order. */
const char *gv_blas_core(void);

typedef struct gv_run_info {
  const char *kind;         /* game / experiment kind, e.g. "dirac" */
  const char *name;         /* run name from the config */
  const char *config_yaml;  /* resolved config text */
  uint64_t seed;
  long flush_every;         /* steps between flushes (>= 1) */
  int no_analysis;          /* no analysis follows (scan, evaluate): `analysis` is "none" */
} gv_run_info;

/* Creates path: the file is made as path + ".tmp", gets root attributes
 * with status "running" and /config, is flushed, fsync'ed and renamed over
 * path, so a process killed meanwhile leaves the previous path (or none)
 * and a stale path.tmp that the next writer replaces.  Parent directories
 * are created.  The file is locked for writing until gv_run_close (see
 * lock_run in core/runfile.c): a second writer of path gets GV_EINVAL
 * before it touches it; readers are not locked out.  Every later write
 * first checks for room (gv_h5_room): on a full disk the writes return
 * GV_EIO and the file keeps its last flush. */
gv_status gv_run_create(gv_runfile **rf, const char *path, const gv_run_info *info,
                        gv_err *err);
/* The root attributes `group` and `axes` of the run files this process
 * creates from now on (NULL: group = the run's name, axes = "").  A sweep
 * sets them per point: group is the run name without its seed part, axes
 * the point's `key=value` pairs joined by ';' (dotted config paths in grid
 * order, values as written). */
void gv_run_set_labels(const char *group, const char *axes);
/* gv_run_create without the rename: the file stays path + ".tmp" (path,
 * if present, is untouched and still readable) until gv_run_commit, so a
 * file whose first content takes several writes (a resumed run rebuilt
 * from its checkpoint) appears whole or not at all. */
gv_status gv_run_create_pending(gv_runfile **rf, const char *path, const gv_run_info *info,
                                gv_err *err);
/* Flushes HDF5's buffers, fsyncs the file and renames it over path (a
 * no-op once done); GV_EIO, and the file broken, on failure. */
gv_status gv_run_commit(gv_runfile *rf);
/* Flushes buffered series, commits a pending file and closes; rf may be NULL. */
gv_status gv_run_close(gv_runfile *rf);
/* Closes without a flush; a pending file is removed (path stays as it
 * was).  rf may be NULL. */
void gv_run_abandon(gv_runfile *rf);

/* Series: id of series `name` (created on first use). */
int gv_run_series(gv_runfile *rf, const char *name);
/* A series as its table declares it: name, unit ("1" for a pure number)
 * and a one-line description, written as the string attributes `unit` and
 * `description` of /series/NAME (docs/hdf5-schema.md).  The strings must
 * outlive the run file (static tables). */
typedef struct gv_series_row {
  const char *name, *unit, *description;
} gv_series_row;
/* gv_run_series with the row's unit and description. */
int gv_run_series_row(gv_runfile *rf, const gv_series_row *row);
/* Buffers one point. */
void gv_run_append(gv_runfile *rf, int series, int64_t step, double value);
/* Call once per step: flushes when flush_every steps passed since the last. */
gv_status gv_run_tick(gv_runfile *rf, int64_t step);
/* Appends every buffered point to the file and H5Fflush-es. */
gv_status gv_run_flush(gv_runfile *rf);

/* Snapshots: /arrays/name, float64, rank <= 4; replaces an existing one.
 * step < 0: no step attribute. */
gv_status gv_run_array(gv_runfile *rf, const char *name, const double *data, int rank,
                       const size_t *dims, int64_t step);
gv_status gv_run_array_f32(gv_runfile *rf, const char *name, const float *data, int rank,
                           const size_t *dims, int64_t step);

/* Raw checkpoint blob /checkpoint/name (bytes, replaced). */
gv_status gv_run_checkpoint(gv_runfile *rf, const char *name, const void *data, size_t size);

/* /summary attributes (replaced if present). */
gv_status gv_run_summary_real(gv_runfile *rf, const char *key, double value);
gv_status gv_run_summary_int(gv_runfile *rf, const char *key, int64_t value);
gv_status gv_run_summary_str(gv_runfile *rf, const char *key, const char *value);

/* The HDF5 file id, for components that write their own groups (nn/io.h
 * saves a policy into /policy); call gv_run_flush after writing. */
long long gv_run_h5(gv_runfile *rf);
/* Before writing about `bytes` through gv_run_h5: GV_EIO (and no write may
 * follow) when the disk or RLIMIT_FSIZE has no room for them (disk full:
 * see core/runfile.c). */
gv_status gv_run_reserve(gv_runfile *rf, size_t bytes);

/* Checkpoints (docs/resume.md).  gv_run_ckpt_save writes into c (group
 * "runfile") what the file does not hold yet, and how much it does: each
 * series' name, its points in the file and the last of them, its buffered
 * points; the log lines in the file and those pending.  So a checkpoint's
 * cost does not grow with the run's series.  gv_run_ckpt_restore, on a
 * pending file (gv_run_create_pending) of the same path, appends to it
 * those points and lines: the ones the file at path held when the
 * checkpoint was written (it may hold more: a run goes on after a
 * checkpoint) read back from it and checked by their count and last point,
 * then the buffered ones; GV_EIO naming the series when the old file no
 * longer holds them. */
typedef struct gv_ckpt gv_ckpt;
void gv_run_ckpt_save(gv_runfile *rf, gv_ckpt *c);
gv_status gv_run_ckpt_restore(gv_runfile *rf, gv_ckpt *c, gv_err *err);
/* fsyncs what the flushes wrote: the file on disk holds them (GV_EIO on a
 * failure or a broken file). */
gv_status gv_run_sync(gv_runfile *rf);

/* Root attribute status, written and flushed at once. */
gv_status gv_run_set_status(gv_runfile *rf, const char *status);

/* A line in /log (also written to stderr when echo is set). */
void gv_run_log(gv_runfile *rf, int echo, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------- reading */

typedef struct gv_runread gv_runread;

/* Validates the whole schema first (every root attribute, /config, /summary
 * attribute, series and array, by class, rank and size; series steps from 0,
 * never decreasing): a foreign or malformed file is GV_EINVAL naming what is
 * wrong (docs/reliability.md).  The file is read whole in a child process
 * first (gv_h5_probe_file), so one that crashes or hangs libhdf5 is
 * GV_EINVAL too; that costs a fork and a second read. */
gv_status gv_runread_open(gv_runread **rr, const char *path, gv_err *err);
/* The same without the child: for a file this process wrote, or opened
 * with gv_runread_open before (a game's analysis after its run, or after
 * `governor analyze` looked up the kind). */
gv_status gv_runread_open_known(gv_runread **rr, const char *path, gv_err *err);
/* Also opens the file for writing /summary (governor analyze), unless the
 * run's status is still "running" (being written, or killed): then it is
 * opened read-only and the set_summary functions return GV_EIO.  A writer
 * of a finished file holds the run writers' lock on PATH (gv_run_lock_wait)
 * until it closes: two analyses of one file take turns (each waits up to
 * GV_RUN_LOCK_WAIT seconds, then reads only).  Without the child, as
 * gv_runread_open_known: its callers are those analyses. */
gv_status gv_runread_open_rw(gv_runread **rr, const char *path, gv_err *err);
int gv_runread_is_readonly(const gv_runread *rr);

/* The lock every writer of the run file at path takes (a run, a resume, an
 * analysis writing /summary), waiting up to `seconds` while another holds
 * it (saying so once on stderr): a descriptor to close to release it, or
 * -1 (still held, or the file is gone). */
#define GV_RUN_LOCK_WAIT 30.0
int gv_run_lock_wait(const char *path, double seconds);
/* The root attribute `analysis` of a finished run file ("pending" from its
 * creation; "done" or "failed" once its analysis ran), written under that
 * lock; GV_EIO when the lock or the file could not be had. */
gv_status gv_run_mark_analysis(const char *path, const char *state);
void gv_runread_close(gv_runread *rr);
/* Root attribute as text (caller frees), NULL when absent. */
char *gv_runread_attr(gv_runread *rr, const char *name);
/* /config text (caller frees). */
char *gv_runread_config(gv_runread *rr);
/* Series: steps and values (caller frees both); GV_ENOTFOUND when absent. */
gv_status gv_runread_series(gv_runread *rr, const char *name, int64_t **step, double **value,
                            size_t *n);
/* Array /arrays/name as float64 (caller frees); dims up to 4. */
gv_status gv_runread_array(gv_runread *rr, const char *name, double **data, int *rank,
                           size_t dims[4]);
/* Summary attribute as text (caller frees), NULL when absent. */
char *gv_runread_summary_str(gv_runread *rr, const char *key);
/* Summary attribute as double. */
gv_status gv_runread_summary_real(gv_runread *rr, const char *key, double *value);
/* Writes /summary attributes through a reader opened read-write. */
gv_status gv_runread_set_summary_real(gv_runread *rr, const char *key, double value);
gv_status gv_runread_set_summary_str(gv_runread *rr, const char *key, const char *value);

#endif
