/* Checkpoint buffers: the state a run's future depends on, as named
 * buffers in one HDF5 group (docs/resume.md).
 *
 * One function serves both directions: a component writes its state as a
 * short list of gv_ckpt_* calls on a gv_ckpt, and the same list reads it
 * back when the gv_ckpt was opened for reading, so saving and restoring can
 * not drift apart.  Reading checks each buffer's name, type and length and
 * fails (GV_EIO, naming the buffer) on any difference.
 *
 *   gv_ckpt c;                      gv_ckpt_sub(parent, "scheme", &c);
 *   gv_ckpt_doubles(&c, "x", x, 2); gv_ckpt_rng(&c, "rng", rng);
 *   gv_ckpt_end(&c);                st = gv_ckpt_status(&c, err);
 *
 * Buffers above 64 KiB are chunked (64 KiB) and compressed (byte shuffle,
 * deflate level 1; docs/resume.md).  A replay ring's blocks go to side files
 * (below), so a checkpoint rewrites only what changed since the last. */
#ifndef GV_CORE_CHECKPOINT_H
#define GV_CORE_CHECKPOINT_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

struct gv_ckpt_side;
typedef struct gv_ckpt {
  long long group;          /* the HDF5 group (hid_t) */
  struct gv_ckpt_side *side; /* the files beside the checkpoint (NULL: none; gv_ckpt_sub
                               passes it on) */
  int writing;              /* 1: save into the group, 0: restore from it */
  int bad;                  /* first failure seen (then every call is a no-op) */
  char what[256];           /* the failing buffer and why */
} gv_ckpt;

/* A group `name` under parent (created when writing); end it with gv_ckpt_end. */
void gv_ckpt_sub(gv_ckpt *parent, const char *name, gv_ckpt *c);
/* Wraps an open HDF5 location (hid_t); not closed by gv_ckpt_end. */
void gv_ckpt_wrap(gv_ckpt *c, long long loc, int writing);
/* Closes a group opened by gv_ckpt_sub and passes its failure to parent. */
void gv_ckpt_end(gv_ckpt *c, gv_ckpt *parent);

/* n elements at p, saved or restored. */
void gv_ckpt_bytes(gv_ckpt *c, const char *name, void *p, size_t n);
void gv_ckpt_floats(gv_ckpt *c, const char *name, float *p, size_t n);
void gv_ckpt_doubles(gv_ckpt *c, const char *name, double *p, size_t n);
void gv_ckpt_longs(gv_ckpt *c, const char *name, int64_t *p, size_t n);
/* Scalars. */
void gv_ckpt_long(gv_ckpt *c, const char *name, long *v);
void gv_ckpt_double(gv_ckpt *c, const char *name, double *v);
/* A GSL generator's whole state (gsl_rng_state, gsl_rng_size bytes; the
 * generator's type must match). */
void gv_ckpt_rng(gv_ckpt *c, const char *name, gsl_rng *r);
/* 1 when the file holding the open HDF5 location loc (hid_t) has room to
 * grow by bytes (core/h5.h, gv_h5_room: the disk and RLIMIT_FSIZE), 0 when
 * not or when a checkpoint write already failed in this process.  Every
 * buffer is checked before it is written, so a full disk fails the
 * checkpoint cleanly and the previous one stays in place. */
int gv_ckpt_room(long long loc, size_t bytes);

/* 1 when c (read from a file) holds a buffer or group called name. */
int gv_ckpt_has(const gv_ckpt *c, const char *name);

/* Marks c failed with a message (a component's own consistency check). */
void gv_ckpt_fail(gv_ckpt *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* GV_OK, or GV_EIO with "checkpoint: <what>" in err. */
gv_status gv_ckpt_status(const gv_ckpt *c, gv_err *err);

/* Side files: state too big to rewrite at every checkpoint (the replay
 * ring) goes into HDF5 files beside the checkpoint, in the folder
 * CKPT.d, each named by a random 64-bit id (%016llx.h5), written once,
 * fsync'ed, never changed.  A checkpoint names the side files it needs; a
 * later checkpoint names the old ones it still needs and adds new ones.
 * The driver fsyncs the folder before it renames the checkpoint into place
 * and, once the rename is done, deletes every side file the new checkpoint
 * does not name (gv_ckpt_side_commit): a kill at any instant leaves the
 * files of the checkpoint in place (docs/resume.md). */
#define GV_CKPT_SIDE_DONE_MAX 8
typedef struct gv_ckpt_side {
  char dir[4200];           /* CKPT.d */
  uint64_t *live;           /* the side files the checkpoint being written names */
  size_t nlive, cap;
  struct {
    void (*fn)(void *);
    void *arg;
  } done[GV_CKPT_SIDE_DONE_MAX]; /* called once the checkpoint is in place */
  int ndone;
  unsigned long seq;        /* ids made by this process */
} gv_ckpt_side;

/* s for the checkpoint file ckpt (its side folder ckpt.d). */
void gv_ckpt_side_init(gv_ckpt_side *s, const char *ckpt);
void gv_ckpt_side_free(gv_ckpt_side *s);
/* A new side file for c's checkpoint (writing): *id is set and file wraps
 * the new file's root; end it with gv_ckpt_side_end.  A failure marks c. */
void gv_ckpt_side_create(gv_ckpt *c, uint64_t *id, gv_ckpt *file);
/* The side file id for reading (c read from a checkpoint with a side). */
void gv_ckpt_side_open(gv_ckpt *c, uint64_t id, gv_ckpt *file);
/* Closes file; a written one is fsync'ed and given its final name.  A
 * failure (its own or file's) marks c. */
void gv_ckpt_side_end(gv_ckpt *file, gv_ckpt *c, uint64_t id);
/* The checkpoint c writes needs the side file id (one written before). */
void gv_ckpt_side_keep(gv_ckpt *c, uint64_t id);
/* fn(arg) once the checkpoint c writes is in place (not if it fails). */
void gv_ckpt_side_on_commit(gv_ckpt *c, void (*fn)(void *), void *arg);
/* Before the checkpoint's rename: its side files' names on disk (the
 * folder fsync'ed); 0, or -1. */
int gv_ckpt_side_sync(gv_ckpt_side *s);
/* After the rename (ok) or a failure (!ok): the commit calls, then every
 * file in the folder the checkpoint does not name is deleted; a failure
 * only forgets the checkpoint's list. */
void gv_ckpt_side_finish(gv_ckpt_side *s, int ok);
/* Deletes the side folder of checkpoint ckpt and everything in it (a run
 * that ended needs none). */
void gv_ckpt_side_remove(const char *ckpt);

#endif
