/* Checkpoint buffers (core/checkpoint.h). */
#include "core/checkpoint.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/h5.h"

#define BIG_BYTES (64 * 1024)

/* A checkpoint write failed in this process: HDF5 does not survive that
 * (core/h5.h), so no checkpoint is written again. */
static int write_broken;

int gv_ckpt_room(long long loc, size_t bytes) {
  if (write_broken) return 0;
  const hid_t f = H5Iget_file_id((hid_t)loc);
  if (f < 0) return 0;
  haddr_t eoa = 0;
  char path[4096];
  if (H5Fget_eoa(f, &eoa) < 0) eoa = 0;
  const ssize_t n = H5Fget_name(f, path, sizeof path);
  H5Fclose(f);
  return n > 0 && (size_t)n < sizeof path && gv_h5_room(path, (double)eoa, bytes) == GV_OK;
}

void gv_ckpt_fail(gv_ckpt *c, const char *fmt, ...) {
  if (c->bad) return;
  c->bad = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->what, sizeof c->what, fmt, ap);
  va_end(ap);
}

void gv_ckpt_wrap(gv_ckpt *c, long long loc, int writing) {
  memset(c, 0, sizeof *c);
  c->group = loc;
  c->writing = writing;
}

void gv_ckpt_sub(gv_ckpt *parent, const char *name, gv_ckpt *c) {
  gv_ckpt_wrap(c, -1, parent->writing);
  if (parent->bad) {
    c->bad = 1;
    return;
  }
  const hid_t p = (hid_t)parent->group;
  hid_t g = parent->writing ? H5Gcreate2(p, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                            : H5Gopen2(p, name, H5P_DEFAULT);
  if (g < 0) gv_ckpt_fail(c, "group %s: cannot %s", name, c->writing ? "create" : "open");
  c->group = g;
}

void gv_ckpt_end(gv_ckpt *c, gv_ckpt *parent) {
  if (c->group >= 0) H5Gclose((hid_t)c->group);
  c->group = -1;
  if (c->bad && !parent->bad) {
    parent->bad = 1;
    memcpy(parent->what, c->what, sizeof parent->what);
  }
}

static void io(gv_ckpt *c, const char *name, hid_t mem, hid_t file_type, void *p, size_t n) {
  if (c->bad) return;
  const hid_t g = (hid_t)c->group;
  const size_t bytes = n * H5Tget_size(mem);
  if (c->writing) {
    if (!gv_ckpt_room(g, bytes)) { /* compressed buffers take at most their size */
      gv_ckpt_fail(c, write_broken ? "an earlier checkpoint write failed in this process"
                                   : "no room to write %s (%zu bytes): disk full or file size "
                                     "limit", name, bytes);
      return;
    }
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    if (bytes > BIG_BYTES) {
      hsize_t chunk = BIG_BYTES / H5Tget_size(mem);
      H5Pset_chunk(pl, 1, &chunk);
      H5Pset_shuffle(pl);
      H5Pset_deflate(pl, 1);
    }
    hid_t d = H5Dcreate2(g, name, file_type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : n ? H5Dwrite(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, p) : 0;
    if (d >= 0) H5Dclose(d);
    H5Pclose(pl);
    H5Sclose(sp);
    if (r < 0) {
      write_broken = 1;
      gv_h5_write_failed();
      gv_ckpt_fail(c, "%s: cannot write", name);
    }
    return;
  }
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0) {
    gv_ckpt_fail(c, "%s: missing", name);
    return;
  }
  hid_t sp = H5Dget_space(d), ft = H5Dget_type(d);
  hsize_t dim = 0;
  const int rank = H5Sget_simple_extent_ndims(sp);
  if (rank == 1) H5Sget_simple_extent_dims(sp, &dim, NULL);
  if (rank != 1 || dim != n || H5Tget_class(ft) != H5Tget_class(mem) ||
      H5Tget_size(ft) != H5Tget_size(mem))
    gv_ckpt_fail(c, "%s: %llu elements of another type or length in the file, %zu expected", name,
                 (unsigned long long)dim, n);
  else if (n && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, p) < 0)
    gv_ckpt_fail(c, "%s: cannot read", name);
  H5Tclose(ft);
  H5Sclose(sp);
  H5Dclose(d);
}

void gv_ckpt_bytes(gv_ckpt *c, const char *name, void *p, size_t n) {
  io(c, name, H5T_NATIVE_UINT8, H5T_STD_U8LE, p, n);
}
void gv_ckpt_floats(gv_ckpt *c, const char *name, float *p, size_t n) {
  io(c, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, p, n);
}
void gv_ckpt_doubles(gv_ckpt *c, const char *name, double *p, size_t n) {
  io(c, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, p, n);
}
void gv_ckpt_longs(gv_ckpt *c, const char *name, int64_t *p, size_t n) {
  io(c, name, H5T_NATIVE_INT64, H5T_STD_I64LE, p, n);
}

void gv_ckpt_long(gv_ckpt *c, const char *name, long *v) {
  int64_t x = *v;
  gv_ckpt_longs(c, name, &x, 1);
  *v = (long)x;
}

void gv_ckpt_double(gv_ckpt *c, const char *name, double *v) { gv_ckpt_doubles(c, name, v, 1); }

void gv_ckpt_rng(gv_ckpt *c, const char *name, gsl_rng *r) {
  char tname[64];
  snprintf(tname, sizeof tname, "%s.type", name);
  /* the type's name, as bytes, so a generator of another type is refused */
  char type[32] = {0};
  snprintf(type, sizeof type, "%s", gsl_rng_name(r));
  char saved[32];
  memcpy(saved, type, sizeof saved);
  gv_ckpt_bytes(c, tname, saved, sizeof saved);
  if (!c->writing && !c->bad && memcmp(saved, type, sizeof saved))
    gv_ckpt_fail(c, "%s: generator %.31s in the file, %s here", name, saved, type);
  gv_ckpt_bytes(c, name, gsl_rng_state(r), gsl_rng_size(r));
}

gv_status gv_ckpt_status(const gv_ckpt *c, gv_err *err) {
  if (!c->bad) return GV_OK;
  return gv_fail(err, GV_EIO, "checkpoint: %s", c->what);
}
