/* Checkpoint buffers (core/checkpoint.h). */
#include "core/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

int gv_ckpt_has(const gv_ckpt *c, const char *name) {
  return !c->bad && c->group >= 0 && H5Lexists((hid_t)c->group, name, H5P_DEFAULT) > 0;
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
  c->side = parent->side;
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

/* ---------------------------------------------------------- side files */

void gv_ckpt_side_init(gv_ckpt_side *s, const char *ckpt) {
  memset(s, 0, sizeof *s);
  snprintf(s->dir, sizeof s->dir, "%s.d", ckpt);
}

void gv_ckpt_side_free(gv_ckpt_side *s) {
  free(s->live);
  s->live = NULL;
  s->nlive = s->cap = 0;
}

static void side_name(char *buf, size_t size, const gv_ckpt_side *s, uint64_t id, int tmp) {
  snprintf(buf, size, "%s/%016llx.h5%s", s->dir, (unsigned long long)id, tmp ? ".tmp" : "");
}

static void fsync_fd_path(const char *path, int flags, int *bad) {
  const int fd = open(path, flags);
  if (fd < 0 || fsync(fd) != 0) *bad = 1;
  if (fd >= 0) close(fd);
}

/* The side file id as file's root: created under its temporary name
 * (file->writing) or opened for reading; a failure marks c and file. */
static void side_h5(gv_ckpt *c, gv_ckpt *file, uint64_t id) {
  char path[4300];
  side_name(path, sizeof path, c->side, id, file->writing);
  /* tests: the Nth side file this process writes fails as a full disk
   * would, before anything is written */
  static int made;
  const char *inject = file->writing ? getenv("GV_TEST_CKPT_SIDE_FAIL") : NULL;
  if (inject && ++made == atoi(inject)) {
    gv_ckpt_fail(c, "no room to write the side file %s: failure injected by "
                 "GV_TEST_CKPT_SIDE_FAIL", path);
    file->bad = 1;
    return;
  }
  hid_t fapl = gv_h5_fapl_nolock();
  const hid_t f = file->writing ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                  : access(path, R_OK) == 0 ? H5Fopen(path, H5F_ACC_RDONLY, fapl) : -1;
  H5Pclose(fapl);
  if (f < 0) {
    gv_ckpt_fail(c, file->writing ? "cannot create the side file %s"
                                  : "the side file %s is missing or unreadable", path);
    file->bad = 1;
  }
  file->group = f;
}

void gv_ckpt_side_keep(gv_ckpt *c, uint64_t id) {
  gv_ckpt_side *s = c->side;
  if (!s || c->bad) return;
  if (s->nlive == s->cap) {
    const size_t cap = s->cap ? 2 * s->cap : 64;
    uint64_t *p = realloc(s->live, cap * sizeof *p);
    if (!p) {
      gv_ckpt_fail(c, "out of memory");
      return;
    }
    s->live = p, s->cap = cap;
  }
  s->live[s->nlive++] = id;
}

void gv_ckpt_side_create(gv_ckpt *c, uint64_t *id, gv_ckpt *file) {
  gv_ckpt_wrap(file, -1, 1);
  gv_ckpt_side *s = c->side;
  if (c->bad) {
    file->bad = 1;
    return;
  }
  if (!s) {
    gv_ckpt_fail(c, "side file: the checkpoint has no side folder");
    file->bad = 1;
    return;
  }
  if (mkdir(s->dir, 0777) == 0) { /* its name in the parent folder, on disk */
    char parent[4200];
    snprintf(parent, sizeof parent, "%s", s->dir);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = 0;
    int bad = 0;
    fsync_fd_path(slash ? parent : ".", O_RDONLY | O_DIRECTORY, &bad);
  } else if (errno != EEXIST) {
    gv_ckpt_fail(c, "cannot create the folder %s: %s", s->dir, strerror(errno));
    file->bad = 1;
    return;
  }
  /* a random name: never one an earlier checkpoint (or a kill's leftover)
   * holds, whatever run or process wrote it */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t h = 1469598103934665603ull;
  const uint64_t w[4] = {(uint64_t)getpid(), (uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec,
                         ++s->seq};
  for (int i = 0; i < 4; ++i)
    for (int b = 0; b < 8; ++b) h = (h ^ ((w[i] >> (8 * b)) & 0xff)) * 1099511628211ull;
  *id = h ? h : 1;
  side_h5(c, file, *id);
}

void gv_ckpt_side_open(gv_ckpt *c, uint64_t id, gv_ckpt *file) {
  gv_ckpt_wrap(file, -1, 0);
  gv_ckpt_side *s = c->side;
  if (c->bad || !s) {
    if (!s) gv_ckpt_fail(c, "side file: the checkpoint has no side folder");
    file->bad = 1;
    return;
  }
  side_h5(c, file, id);
}

void gv_ckpt_side_end(gv_ckpt *file, gv_ckpt *c, uint64_t id) {
  const int bad = file->bad;
  if (file->group >= 0 && H5Fclose((hid_t)file->group) < 0 && !file->bad)
    gv_ckpt_fail(file, "side file %016llx: cannot close", (unsigned long long)id);
  if (file->bad && !bad && file->writing) write_broken = 1, gv_h5_write_failed();
  const int opened = file->group >= 0;
  file->group = -1;
  if (file->writing && opened) {
    char tmp[4300], fin[4300];
    side_name(tmp, sizeof tmp, c->side, id, 1);
    side_name(fin, sizeof fin, c->side, id, 0);
    int sync_bad = 0;
    if (!file->bad) fsync_fd_path(tmp, O_RDONLY, &sync_bad);
    if (sync_bad) gv_ckpt_fail(file, "cannot fsync the side file %s", tmp);
    if (file->bad || rename(tmp, fin) != 0) {
      if (!file->bad) gv_ckpt_fail(file, "cannot rename the side file %s", tmp);
      unlink(tmp);
    }
  }
  gv_ckpt_end(file, c); /* passes the failure on (the group is closed already) */
  if (file->writing && !file->bad) gv_ckpt_side_keep(c, id);
}

void gv_ckpt_side_on_commit(gv_ckpt *c, void (*fn)(void *), void *arg) {
  gv_ckpt_side *s = c->side;
  if (!s || c->bad) return;
  if (s->ndone == GV_CKPT_SIDE_DONE_MAX) {
    gv_ckpt_fail(c, "more than %d users of side files", GV_CKPT_SIDE_DONE_MAX);
    return;
  }
  s->done[s->ndone].fn = fn;
  s->done[s->ndone++].arg = arg;
}

int gv_ckpt_side_sync(gv_ckpt_side *s) {
  if (!s->nlive) return 0;
  int bad = 0;
  fsync_fd_path(s->dir, O_RDONLY | O_DIRECTORY, &bad);
  return bad ? -1 : 0;
}

/* Deletes the files in s->dir not in keep[0..n) (all when n is 0). */
static void side_sweep(const char *dir, const uint64_t *keep, size_t n) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    unsigned long long id;
    char rest[8];
    int kept = 0;
    if (sscanf(e->d_name, "%16llx.%3s", &id, rest) == 2 && strlen(e->d_name) == 19 &&
        !strcmp(rest, "h5"))
      for (size_t i = 0; i < n && !kept; ++i) kept = keep[i] == (uint64_t)id;
    if (kept) continue;
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
}

void gv_ckpt_side_finish(gv_ckpt_side *s, int ok) {
  if (ok) {
    for (int i = 0; i < s->ndone; ++i) s->done[i].fn(s->done[i].arg);
    if (s->nlive) side_sweep(s->dir, s->live, s->nlive);
    else if (access(s->dir, F_OK) == 0) side_sweep(s->dir, NULL, 0);
  }
  s->nlive = 0;
  s->ndone = 0;
}

void gv_ckpt_side_remove(const char *ckpt) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s.d", ckpt);
  side_sweep(dir, NULL, 0);
  rmdir(dir);
}
