/* The HDF5 run file; the layout is documented in core/runfile.h and
 * docs/hdf5-schema.md.  Crash safety rests on two rules: a run file is
 * made under a temporary name, PATH.tmp, and renamed over PATH only once
 * it is complete (flushed and fsync'ed), so a kill while it is made leaves
 * the previous PATH or none; after that HDF5 is only called at flushes and
 * at close, each ending in H5Fflush, so a process killed between flushes
 * leaves the file as the last flush wrote it. */
#include "core/runfile.h"

#include "core/checkpoint.h"
#include "core/h5.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "gv_commit.h" /* GV_GIT_COMMIT, made at build time */

/* OpenBLAS's own (not in cblas.h, which this file must not include next to
 * GSL's headers): the name of the kernel set it runs */
char *openblas_get_corename(void);

const char *gv_blas_core(void) {
  const char *c = openblas_get_corename();
  return c ? c : "unknown";
}

typedef struct series {
  char name[128];
  hid_t dstep, dvalue;      /* datasets, created at the first flush */
  hsize_t written;          /* points in the file */
  int64_t *step;            /* buffered (n, cap) */
  double *value;
  size_t n, cap;
  int64_t last_step;        /* the last point in the file (written > 0) */
  double last_value;
  const char *unit, *description; /* static strings of its row (NULL: none) */
  int doc_pending;          /* unit and description not yet written */
} series;

struct gv_runfile {
  hid_t file;
  long flush_every;
  int64_t last_flush;
  series *s;                /* (ns) */
  size_t ns, cap;
  char **log;               /* pending log lines (nlog) */
  size_t nlog;
  hsize_t log_written;
  hid_t dlog;
  char path[4096];          /* the final name */
  char tmp[4200];           /* the name it is made under (path + ".tmp") */
  int lock_fd;              /* the writer's lock on the file being written (lock_run) */
  int old_fd;               /* its lock on the previous PATH until the rename (-1: none) */
  int pending;              /* still under tmp: gv_run_commit renames it */
  int broken;               /* a write failed or would not fit: no HDF5 write again */
};

/* Disk full (core/h5.h, gv_h5_room): before each burst of writes (a flush,
 * an array, a summary, a status) the run file checks that the disk and
 * RLIMIT_FSIZE leave room for more than the burst can add; when they do not,
 * it is marked broken, the burst is not started and every later write is
 * refused (GV_EIO), so the file stays as the last good flush left it and
 * closes cleanly.  A write that fails anyway marks it broken too. */

static void mark_broken(gv_runfile *rf) {
  rf->broken = 1;
  gv_h5_write_failed();
}

static gv_status reserve(gv_runfile *rf, size_t bytes) {
  if (rf->broken) return GV_EIO;
  haddr_t eoa = 0;
  if (H5Fget_eoa(rf->file, &eoa) < 0) eoa = 0;
  if (gv_h5_room(rf->pending ? rf->tmp : rf->path, (double)eoa, bytes) == GV_OK) return GV_OK;
  rf->broken = 1;
  return GV_EIO;
}

/* The bytes a flush may add: every buffered point, a new chunk per dataset
 * and the object headers of new series. */
static size_t pending_bytes(const gv_runfile *rf) {
  size_t b = 0;
  for (size_t i = 0; i < rf->ns; ++i)
    b += 16 * rf->s[i].n + 2 * 8192 + (rf->s[i].dstep < 0 ? 8192 : 0);
  for (size_t i = 0; i < rf->nlog; ++i) b += 64 + 2 * strlen(rf->log[i]);
  return b;
}

static gv_status wrote(gv_runfile *rf, herr_t r) {
  if (r >= 0) return GV_OK;
  mark_broken(rf);
  return GV_EIO;
}

static int mkdirs_for(const char *path) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return 0;
}

static herr_t set_attr_str(hid_t obj, const char *name, const char *value) {
  return gv_h5_put_str(obj, name, value) ? -1 : 0;
}

static herr_t set_attr_num(hid_t obj, const char *name, hid_t type, const void *value) {
  return gv_h5_put_num(obj, name, type, type, 0, value) ? -1 : 0;
}

static hid_t open_or_create_group(hid_t loc, const char *name) {
  if (H5Lexists(loc, name, H5P_DEFAULT) > 0) return H5Gopen2(loc, name, H5P_DEFAULT);
  return H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

/* The grouping labels of the next run files (gv_run_set_labels). */
static char *run_group, *run_axes;

void gv_run_set_labels(const char *group, const char *axes) {
  free(run_group);
  free(run_axes);
  run_group = group ? strdup(group) : NULL;
  run_axes = axes ? strdup(axes) : NULL;
}

/* One writer per run file (core/runfile.h).  The lock is an fcntl OFD
 * lock, as gv_h5_lock_output takes, but a run file changes inode when it
 * is renamed into place, so the writer holds two: on PATH.tmp, the inode
 * it writes (which becomes PATH), and on the PATH present before (until
 * the rename).  Every writer locks PATH.tmp first, then PATH, and checks
 * after each lock that the name still leads to the inode it locked (a
 * rename may have moved it meanwhile: it tries again).  So a second writer
 * is refused while the first is alive, before or after its rename. */
static int lock_fd_of(const char *path, int create, int *busy) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0666);
    if (fd < 0) return -1;
    if (gv_h5_ofd_lock(fd) != 0) {
      const int e = errno;
      close(fd);
      *busy = e == EAGAIN || e == EACCES;
      errno = e;
      return -1;
    }
    struct stat a, b;
    const int gone = stat(path, &b) != 0;
    if (!gone && fstat(fd, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
      return fd;
    close(fd); /* renamed away between the open and the lock */
    if (gone && !create) {
      errno = ENOENT;
      return -1;
    }
  }
  errno = EAGAIN;
  *busy = 1;
  return -1;
}

int gv_run_lock_wait(const char *path, double seconds) {
  const struct timespec nap = {0, 50 * 1000 * 1000};
  for (double waited = 0;; waited += 0.05) {
    int busy = 0;
    const int fd = lock_fd_of(path, 0, &busy);
    if (fd >= 0 || !busy || waited >= seconds) return fd;
    /* said once: a wait of up to `seconds` is not a hang */
    if (waited == 0)
      fprintf(stderr, "governor: %s: another process is writing it; waiting up to %.0f s for "
              "its turn\n", path, seconds);
    nanosleep(&nap, NULL);
  }
}

gv_status gv_run_mark_analysis(const char *path, const char *state) {
  const int lk = gv_run_lock_wait(path, GV_RUN_LOCK_WAIT); /* writers take turns */
  if (lk < 0) return GV_EIO;
  const hid_t fapl = gv_h5_fapl_nolock();
  const hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  int ok = f >= 0 && set_attr_str(f, "analysis", state) == 0;
  if (f >= 0 && H5Fclose(f) < 0) ok = 0;
  close(lk); /* after the file is closed: written */
  return ok ? GV_OK : GV_EIO;
}

static gv_status lock_run(gv_runfile *rf, gv_err *err) {
  int busy = 0;
  rf->old_fd = -1;
  rf->lock_fd = lock_fd_of(rf->tmp, 1, &busy);
  const char *what = rf->tmp; /* the name that failed */
  if (rf->lock_fd >= 0) {
    rf->old_fd = lock_fd_of(rf->path, 0, &busy);
    if (rf->old_fd >= 0 || errno == ENOENT) return GV_OK;
    const int e = errno;
    unlink(rf->tmp); /* ours: made by this writer, or left by a dead one */
    close(rf->lock_fd);
    rf->lock_fd = -1;
    errno = e;
    what = rf->path;
  }
  if (busy)
    return gv_fail(err, GV_EINVAL, "%s: another governor process is writing this file (allowed: "
                   "one writer per output; choose another --out)", rf->path);
  return gv_fail(err, GV_EIO, "%s: cannot create or lock: %s", what, strerror(errno));
}

/* The folder of path, fsync'ed: a rename in it is on disk. */
static void fsync_dir_of(const char *path) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) slash[slash == dir] = 0;
  int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

gv_status gv_run_commit(gv_runfile *rf) {
  if (!rf || !rf->pending) return GV_OK;
  /* HDF5's buffers to the file, the file to the disk, then its name.  A
   * file refused a write (disk full: broken) is not flushed again; it goes
   * into place as its last good flush left it, as a file made in place would
   * stay, and its writer reports the failure. */
  if (!rf->broken && H5Fflush(rf->file, H5F_SCOPE_GLOBAL) < 0) mark_broken(rf);
  if (fsync(rf->lock_fd) != 0) {
    mark_broken(rf);
    return GV_EIO;
  }
  if (getenv("GV_TEST_STOP_BEFORE_RENAME")) raise(SIGSTOP); /* tests: the temp-name window */
  if (rename(rf->tmp, rf->path) != 0) {
    mark_broken(rf);
    return GV_EIO;
  }
  fsync_dir_of(rf->path);
  rf->pending = 0;
  if (rf->old_fd >= 0) close(rf->old_fd); /* the previous file is gone */
  rf->old_fd = -1;
  return GV_OK;
}

gv_status gv_run_create_pending(gv_runfile **out, const char *path, const gv_run_info *info,
                                gv_err *err) {
  gv_h5_quiet();
  *out = NULL;
  if (mkdirs_for(path) != 0)
    return gv_fail(err, GV_EIO, "%s: cannot create parent directory: %s", path,
                   strerror(errno));
  gv_runfile *rf = calloc(1, sizeof *rf);
  if (!rf) return gv_fail(err, GV_ENOMEM, "run file");
  snprintf(rf->path, sizeof rf->path, "%s", path);
  snprintf(rf->tmp, sizeof rf->tmp, "%s.tmp", path);
  gv_status ls = lock_run(rf, err);
  if (ls) {
    free(rf);
    return ls;
  }
  /* No HDF5 file lock: a user may open a running run's file (h5py, `governor
   * analyze`) to watch it; what they see is the last flush. */
  hid_t fapl = gv_h5_fapl_nolock();
  hid_t f = H5Fcreate(rf->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (f < 0) {
    gv_fail(err, GV_EIO, "%s: cannot create HDF5 file", rf->tmp);
    unlink(rf->tmp);
    close(rf->lock_fd);
    if (rf->old_fd >= 0) close(rf->old_fd);
    free(rf);
    return GV_EIO;
  }
  rf->file = f;
  rf->pending = 1;
  /* past RLIMIT_FSIZE a write fails with EFBIG (handled) instead of killing */
  signal(SIGXFSZ, SIG_IGN);
  rf->flush_every = info->flush_every > 0 ? info->flush_every : 1000;
  rf->dlog = -1;

  char host[256] = "unknown", when[64];
  gethostname(host, sizeof host - 1);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  uint64_t seed = info->seed;
  set_attr_str(f, "version", GV_VERSION);
  set_attr_str(f, "git_commit", GV_GIT_COMMIT);
  set_attr_str(f, "start_utc", when);
  set_attr_str(f, "host", host);
  set_attr_str(f, "blas_core", gv_blas_core());
  set_attr_num(f, "seed", H5T_NATIVE_UINT64, &seed);
  set_attr_str(f, "status", "running");
  /* "done" once `governor analyze` ran on it; "none" when no analysis follows */
  set_attr_str(f, "analysis", info->no_analysis ? "none" : "pending");
  set_attr_str(f, "kind", info->kind ? info->kind : "");
  set_attr_str(f, "name", info->name ? info->name : "");
  set_attr_str(f, "group", run_group ? run_group : info->name ? info->name : "");
  set_attr_str(f, "axes", run_axes ? run_axes : "");

  const int bad_config = gv_h5_put_str_dset(f, "config", info->config_yaml) != GV_OK;
  hid_t g;
  if ((g = open_or_create_group(f, "series")) >= 0) H5Gclose(g);
  if ((g = open_or_create_group(f, "arrays")) >= 0) H5Gclose(g);
  if ((g = open_or_create_group(f, "summary")) >= 0) H5Gclose(g);
  if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0 || bad_config) {
    gv_run_abandon(rf);
    return gv_fail(err, GV_EIO, "%s: cannot write run file", path);
  }
  *out = rf;
  return GV_OK;
}

gv_status gv_run_create(gv_runfile **out, const char *path, const gv_run_info *info,
                        gv_err *err) {
  gv_status st = gv_run_create_pending(out, path, info, err);
  if (st || gv_run_commit(*out) == GV_OK) return st;
  gv_run_abandon(*out);
  *out = NULL;
  return gv_fail(err, GV_EIO, "%s: cannot write run file: %s", path, strerror(errno));
}

int gv_run_series(gv_runfile *rf, const char *name) {
  for (size_t i = 0; i < rf->ns; ++i)
    if (strcmp(rf->s[i].name, name) == 0) return (int)i;
  if (rf->ns == rf->cap) {
    rf->cap = rf->cap ? 2 * rf->cap : 16;
    rf->s = realloc(rf->s, rf->cap * sizeof *rf->s);
  }
  series *s = &rf->s[rf->ns];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", name);
  s->dstep = s->dvalue = -1;
  return (int)rf->ns++;
}

int gv_run_series_row(gv_runfile *rf, const gv_series_row *row) {
  const int id = gv_run_series(rf, row->name);
  series *s = &rf->s[id];
  s->unit = row->unit;
  s->description = row->description;
  s->doc_pending = row->unit || row->description;
  return id;
}

void gv_run_append(gv_runfile *rf, int id, int64_t step, double value) {
  series *s = &rf->s[id];
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->step = realloc(s->step, s->cap * sizeof *s->step);
    s->value = realloc(s->value, s->cap * sizeof *s->value);
  }
  s->step[s->n] = step;
  s->value[s->n++] = value;
}

/* The fill value of /series/NAME/step: what a reader finds at points whose
 * dataset was extended but not yet written (a flush caught half-way).  No
 * run logs a negative step, so these points can not be mistaken for data
 * (older files fill with 0: see steps_valid). */
#define STEP_FILL (-1)

static hid_t create_extendible(hid_t loc, const char *name, hid_t type, hsize_t chunk) {
  hsize_t dims = 0, maxd = H5S_UNLIMITED;
  hid_t sp = H5Screate_simple(1, &dims, &maxd);
  hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &chunk);
  const int64_t fill = STEP_FILL;
  if (type == H5T_STD_I64LE) H5Pset_fill_value(pl, H5T_NATIVE_INT64, &fill);
  hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  H5Pclose(pl);
  H5Sclose(sp);
  return d;
}

static herr_t append(hid_t d, hid_t memtype, hsize_t at, hsize_t n, const void *buf) {
  hsize_t newsize = at + n;
  if (H5Dset_extent(d, &newsize) < 0) return -1;
  hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &n, NULL);
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &n, NULL);
  herr_t r = H5Dwrite(d, memtype, ms, fs, H5P_DEFAULT, buf);
  H5Sclose(ms);
  H5Sclose(fs);
  return r;
}

gv_status gv_run_flush(gv_runfile *rf) {
  if (!rf) return GV_OK;
  if (reserve(rf, pending_bytes(rf))) return GV_EIO;
  herr_t bad = 0;
  hid_t gs = H5Gopen2(rf->file, "series", H5P_DEFAULT);
  for (size_t i = 0; i < rf->ns; ++i) {
    series *s = &rf->s[i];
    if (s->dstep < 0) {
      hid_t g = H5Gcreate2(gs, s->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      hsize_t chunk = 1024;
      s->dstep = create_extendible(g, "step", H5T_STD_I64LE, chunk);
      s->dvalue = create_extendible(g, "value", H5T_IEEE_F64LE, chunk);
      H5Gclose(g);
      if (s->dstep < 0 || s->dvalue < 0) bad = -1;
    }
    if (s->doc_pending && s->dstep >= 0) {
      hid_t g = H5Gopen2(gs, s->name, H5P_DEFAULT);
      if (g < 0 || (s->unit && set_attr_str(g, "unit", s->unit) < 0) ||
          (s->description && set_attr_str(g, "description", s->description) < 0))
        bad = -1;
      if (g >= 0) H5Gclose(g);
      s->doc_pending = 0;
    }
    if (!s->n || s->dstep < 0) continue;
    /* values first: a reader that catches this flush half-way sees the new
     * steps still at the fill value STEP_FILL (cut off by steps_valid), never
     * new steps over values not yet written */
    bad |= append(s->dvalue, H5T_NATIVE_DOUBLE, s->written, s->n, s->value);
    bad |= append(s->dstep, H5T_NATIVE_INT64, s->written, s->n, s->step);
    s->written += s->n;
    s->last_step = s->step[s->n - 1];
    s->last_value = s->value[s->n - 1];
    s->n = 0;
  }
  H5Gclose(gs);
  if (rf->nlog) {
    hid_t t = gv_h5_str_type();
    if (rf->dlog < 0) rf->dlog = create_extendible(rf->file, "log", t, 64);
    if (rf->dlog >= 0) bad |= append(rf->dlog, t, rf->log_written, rf->nlog, rf->log);
    rf->log_written += rf->nlog;
    for (size_t i = 0; i < rf->nlog; ++i) free(rf->log[i]);
    rf->nlog = 0;
    H5Tclose(t);
  }
  if (H5Fflush(rf->file, H5F_SCOPE_GLOBAL) < 0) bad = -1;
  gv_status st = wrote(rf, bad);
  /* tests: stop the process right after its N-th complete flush, so that a
   * reader of the live file never races a flush (tests/experiments/files_test.sh) */
  static long flushes;
  const char *stop = getenv("GV_TEST_STOP_AFTER_FLUSH");
  if (stop && ++flushes == atol(stop)) raise(SIGSTOP);
  return st;
}

gv_status gv_run_tick(gv_runfile *rf, int64_t step) {
  if (!rf || step - rf->last_flush < rf->flush_every) return GV_OK;
  rf->last_flush = step;
  return gv_run_flush(rf);
}

/* Frees rf after its HDF5 file was closed (st: the close's outcome). */
static gv_status run_free(gv_runfile *rf, gv_status st) {
  for (size_t i = 0; i < rf->ns; ++i) {
    free(rf->s[i].step);
    free(rf->s[i].value);
  }
  free(rf->s);
  for (size_t i = 0; i < rf->nlog; ++i) free(rf->log[i]);
  free(rf->log);
  if (rf->old_fd >= 0) close(rf->old_fd);
  close(rf->lock_fd);
  free(rf);
  return st;
}

static herr_t close_h5(gv_runfile *rf) {
  for (size_t i = 0; i < rf->ns; ++i) {
    if (rf->s[i].dstep >= 0) H5Dclose(rf->s[i].dstep);
    if (rf->s[i].dvalue >= 0) H5Dclose(rf->s[i].dvalue);
  }
  if (rf->dlog >= 0) H5Dclose(rf->dlog);
  return H5Fclose(rf->file);
}

gv_status gv_run_close(gv_runfile *rf) {
  if (!rf) return GV_OK;
  gv_status st = gv_run_flush(rf);
  if (gv_run_commit(rf) != GV_OK) st = GV_EIO;
  if (close_h5(rf) < 0) {
    mark_broken(rf);
    st = GV_EIO;
  }
  return run_free(rf, st);
}

void gv_run_abandon(gv_runfile *rf) {
  if (!rf) return;
  close_h5(rf);
  if (rf->pending) unlink(rf->tmp); /* under our lock: no other writer has it */
  run_free(rf, GV_OK);
}

static gv_status write_array(gv_runfile *rf, const char *name, hid_t memtype, const void *data,
                             int rank, const size_t *dims, int64_t step) {
  if (rank < 1 || rank > 4) return GV_EINVAL;
  hsize_t hd[4];
  size_t bytes = 8;
  for (int i = 0; i < rank; ++i) bytes *= (hd[i] = dims[i]);
  if (reserve(rf, bytes + 8192)) return GV_EIO;
  hid_t g = open_or_create_group(rf->file, "arrays");
  if (H5Lexists(g, name, H5P_DEFAULT) > 0) H5Ldelete(g, name, H5P_DEFAULT);
  hid_t sp = H5Screate_simple(rank, hd, NULL);
  hid_t d = H5Dcreate2(g, name, memtype == H5T_NATIVE_FLOAT ? H5T_IEEE_F32LE : H5T_IEEE_F64LE,
                       sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = d < 0 ? -1 : H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (d >= 0 && step >= 0) set_attr_num(d, "step", H5T_NATIVE_INT64, &step);
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  H5Gclose(g);
  if (H5Fflush(rf->file, H5F_SCOPE_GLOBAL) < 0) r = -1;
  return wrote(rf, r);
}

gv_status gv_run_array(gv_runfile *rf, const char *name, const double *data, int rank,
                       const size_t *dims, int64_t step) {
  return write_array(rf, name, H5T_NATIVE_DOUBLE, data, rank, dims, step);
}

gv_status gv_run_array_f32(gv_runfile *rf, const char *name, const float *data, int rank,
                           const size_t *dims, int64_t step) {
  return write_array(rf, name, H5T_NATIVE_FLOAT, data, rank, dims, step);
}

gv_status gv_run_checkpoint(gv_runfile *rf, const char *name, const void *data, size_t size) {
  if (reserve(rf, size + 8192)) return GV_EIO;
  hid_t g = open_or_create_group(rf->file, "checkpoint");
  if (H5Lexists(g, name, H5P_DEFAULT) > 0) H5Ldelete(g, name, H5P_DEFAULT);
  hsize_t n = size;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(g, name, H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  H5Gclose(g);
  return wrote(rf, r);
}

static gv_status summary_attr(hid_t file, const char *key, hid_t type, const void *v,
                              const char *str) {
  hid_t g = open_or_create_group(file, "summary");
  herr_t r = str ? set_attr_str(g, key, str) : set_attr_num(g, key, type, v);
  H5Gclose(g);
  return r < 0 ? GV_EIO : GV_OK;
}

static gv_status run_summary(gv_runfile *rf, const char *key, hid_t type, const void *v,
                             const char *str) {
  if (reserve(rf, 4096 + (str ? strlen(str) : 0))) return GV_EIO;
  return wrote(rf, summary_attr(rf->file, key, type, v, str) ? -1 : 0);
}

gv_status gv_run_summary_real(gv_runfile *rf, const char *key, double value) {
  return run_summary(rf, key, H5T_NATIVE_DOUBLE, &value, NULL);
}
gv_status gv_run_summary_int(gv_runfile *rf, const char *key, int64_t value) {
  return run_summary(rf, key, H5T_NATIVE_INT64, &value, NULL);
}
gv_status gv_run_summary_str(gv_runfile *rf, const char *key, const char *value) {
  return run_summary(rf, key, 0, NULL, value);
}

gv_status gv_run_reserve(gv_runfile *rf, size_t bytes) { return reserve(rf, bytes); }

long long gv_run_h5(gv_runfile *rf) { return (long long)rf->file; }

gv_status gv_run_set_status(gv_runfile *rf, const char *status) {
  if (reserve(rf, 4096)) return GV_EIO;
  if (set_attr_str(rf->file, "status", status) < 0) return wrote(rf, -1);
  return wrote(rf, H5Fflush(rf->file, H5F_SCOPE_GLOBAL));
}

void gv_run_log(gv_runfile *rf, int echo, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (echo) fprintf(stderr, "%s\n", buf);
  if (!rf) return;
  rf->log = realloc(rf->log, (rf->nlog + 1) * sizeof *rf->log);
  rf->log[rf->nlog++] = strdup(buf);
}

/* ---------------------------------------------------------- checkpoints */

/* The first n elements of dataset name under loc into buf; -1 when it holds
 * fewer or can not be read. */
static int read_prefix(hid_t loc, const char *name, hid_t mem, hsize_t n, void *buf) {
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t fs = H5Dget_space(d);
  hsize_t dim = 0, start = 0;
  int r = -1;
  if (fs >= 0 && H5Sget_simple_extent_ndims(fs) == 1 &&
      H5Sget_simple_extent_dims(fs, &dim, NULL) == 1 && dim >= n) {
    r = 0;
    if (n) {
      hid_t ms = H5Screate_simple(1, &n, NULL);
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &n, NULL);
      r = H5Dread(d, mem, ms, fs, H5P_DEFAULT, buf) < 0 ? -1 : 0;
      H5Sclose(ms);
    }
  }
  if (fs >= 0) H5Sclose(fs);
  H5Dclose(d);
  return r;
}

/* The counts of the run file's part of a checkpoint. */
enum { CK_SERIES, CK_NAMES, CK_POINTS, CK_LOG_WRITTEN, CK_LOG_PENDING, CK_LOG_BYTES, CK_N };

/* The run file's part of a checkpoint, both ways (gv_ckpt): each series'
 * name, the points the file holds and the last of them, the points still
 * buffered; the log lines the file holds and those pending.  Its size does
 * not grow with the run: the points already in the file stay there. */
static void run_ckpt_io(gv_ckpt *g, int64_t *k, char *names, int64_t *cnt,
                        double *last, int64_t *step, double *value, char *log) {
  gv_ckpt_longs(g, "written_buffered_last", cnt, 3 * (size_t)k[CK_SERIES]);
  gv_ckpt_bytes(g, "names", names, (size_t)k[CK_NAMES]);
  gv_ckpt_doubles(g, "last_value", last, (size_t)k[CK_SERIES]);
  gv_ckpt_longs(g, "step", step, (size_t)k[CK_POINTS]);
  gv_ckpt_doubles(g, "value", value, (size_t)k[CK_POINTS]);
  gv_ckpt_bytes(g, "log", log, (size_t)k[CK_LOG_BYTES]);
}

typedef struct run_ckpt_bufs {
  int64_t k[CK_N], *cnt, *step;
  char *names, *log;
  double *last, *value;
} run_ckpt_bufs;

static int bufs_alloc(run_ckpt_bufs *b) {
  const size_t ns = (size_t)b->k[CK_SERIES], np = (size_t)b->k[CK_POINTS];
  b->cnt = malloc((3 * ns + 1) * sizeof *b->cnt);
  b->last = malloc((ns + 1) * sizeof *b->last);
  b->step = malloc((np + 1) * sizeof *b->step);
  b->value = malloc((np + 1) * sizeof *b->value);
  b->names = malloc((size_t)b->k[CK_NAMES] + 1);
  b->log = malloc((size_t)b->k[CK_LOG_BYTES] + 1);
  if (!b->cnt || !b->last || !b->step || !b->value || !b->names || !b->log) return 0;
  b->names[b->k[CK_NAMES]] = b->log[b->k[CK_LOG_BYTES]] = 0; /* ends a damaged last string */
  return 1;
}

static void bufs_free(run_ckpt_bufs *b) {
  free(b->cnt);
  free(b->last);
  free(b->step);
  free(b->value);
  free(b->names);
  free(b->log);
}

void gv_run_ckpt_save(gv_runfile *rf, gv_ckpt *c) {
  run_ckpt_bufs b;
  memset(&b, 0, sizeof b);
  b.k[CK_SERIES] = (int64_t)rf->ns;
  b.k[CK_LOG_WRITTEN] = (int64_t)rf->log_written;
  b.k[CK_LOG_PENDING] = (int64_t)rf->nlog;
  for (size_t i = 0; i < rf->ns; ++i) {
    b.k[CK_NAMES] += (int64_t)strlen(rf->s[i].name) + 1;
    b.k[CK_POINTS] += (int64_t)rf->s[i].n;
  }
  for (size_t i = 0; i < rf->nlog; ++i) b.k[CK_LOG_BYTES] += (int64_t)strlen(rf->log[i]) + 1;
  gv_ckpt g;
  gv_ckpt_sub(c, "runfile", &g);
  gv_ckpt_longs(&g, "counts", b.k, CK_N);
  if (!bufs_alloc(&b)) {
    gv_ckpt_fail(&g, "runfile: out of memory");
  } else {
    size_t at = 0, pt = 0, lb = 0;
    for (size_t i = 0; i < rf->ns; ++i) {
      const series *s = &rf->s[i];
      memcpy(b.names + at, s->name, strlen(s->name) + 1);
      at += strlen(s->name) + 1;
      b.cnt[3 * i] = (int64_t)s->written;
      b.cnt[3 * i + 1] = (int64_t)s->n;
      b.cnt[3 * i + 2] = s->written ? s->last_step : -1;
      b.last[i] = s->written ? s->last_value : 0;
      if (s->n) { /* unflushed points (none: the buffers may be NULL) */
        memcpy(b.step + pt, s->step, s->n * sizeof *s->step);
        memcpy(b.value + pt, s->value, s->n * sizeof *s->value);
      }
      pt += s->n;
    }
    for (size_t i = 0; i < rf->nlog; ++i) {
      memcpy(b.log + lb, rf->log[i], strlen(rf->log[i]) + 1);
      lb += strlen(rf->log[i]) + 1;
    }
    run_ckpt_io(&g, b.k, b.names, b.cnt, b.last, b.step, b.value, b.log);
  }
  bufs_free(&b);
  gv_ckpt_end(&g, c);
}

/* The points of series i of the checkpoint the old file holds, appended to
 * rf's series id: GV_EIO when the file holds fewer or another last point. */
static gv_status restore_series(gv_runfile *rf, hid_t old, const char *name, int id,
                                const int64_t *cnt, double last, gv_err *err) {
  const hsize_t n = (hsize_t)cnt[0];
  if (!n) return GV_OK;
  int64_t *step = malloc(n * sizeof *step);
  double *value = malloc(n * sizeof *value);
  char p[300];
  int bad = !step || !value;
  snprintf(p, sizeof p, "series/%s/step", name);
  bad = bad || read_prefix(old, p, H5T_NATIVE_INT64, n, step) < 0;
  snprintf(p, sizeof p, "series/%s/value", name);
  bad = bad || read_prefix(old, p, H5T_NATIVE_DOUBLE, n, value) < 0;
  bad = bad || step[n - 1] != cnt[2] || memcmp(&value[n - 1], &last, sizeof last) != 0;
  for (hsize_t j = 0; !bad && j < n; ++j) gv_run_append(rf, id, step[j], value[j]);
  free(step);
  free(value);
  if (bad)
    return gv_fail(err, GV_EIO, "%s: /series/%s: the run file no longer holds the %llu points "
                   "its checkpoint was written after (replaced or damaged since?)", rf->path,
                   name, (unsigned long long)n);
  return GV_OK;
}

gv_status gv_run_ckpt_restore(gv_runfile *rf, gv_ckpt *c, gv_err *err) {
  run_ckpt_bufs b;
  memset(&b, 0, sizeof b);
  gv_ckpt g;
  gv_ckpt_sub(c, "runfile", &g);
  gv_ckpt_longs(&g, "counts", b.k, CK_N);
  int ok = !g.bad;
  for (int i = 0; i < CK_N; ++i) ok = ok && b.k[i] >= 0 && b.k[i] < ((int64_t)1 << 40);
  if (ok && !bufs_alloc(&b)) gv_ckpt_fail(&g, "runfile: out of memory");
  else if (!ok) gv_ckpt_fail(&g, "runfile/counts: out of range");
  else run_ckpt_io(&g, b.k, b.names, b.cnt, b.last, b.step, b.value, b.log);
  gv_ckpt_end(&g, c);
  gv_status st = gv_ckpt_status(c, err);
  hid_t old = -1;
  const int need_old = !st && (b.k[CK_LOG_WRITTEN] > 0 || b.k[CK_SERIES] > 0);
  if (need_old) { /* the file the run wrote until it stopped */
    hid_t fapl = gv_h5_fapl_nolock();
    old = access(rf->path, R_OK) == 0 ? H5Fopen(rf->path, H5F_ACC_RDONLY, fapl) : -1;
    H5Pclose(fapl);
  }
  size_t at = 0, pt = 0;
  for (int64_t i = 0; !st && i < b.k[CK_SERIES]; ++i) {
    const char *name = b.names + at;
    const size_t len = strnlen(name, (size_t)b.k[CK_NAMES] - at);
    const int64_t *cnt = b.cnt + 3 * i;
    if (at + len >= (size_t)b.k[CK_NAMES] || cnt[0] < 0 || cnt[1] < 0 ||
        pt + (size_t)cnt[1] > (size_t)b.k[CK_POINTS]) {
      st = gv_fail(err, GV_EIO, "checkpoint: runfile: series %lld out of range", (long long)i);
      break;
    }
    const int id = gv_run_series(rf, name);
    if (cnt[0] && old < 0)
      st = gv_fail(err, GV_EIO, "%s: the run file can not be opened, and its checkpoint holds "
                   "only what was not yet written to it", rf->path);
    else st = restore_series(rf, old, name, id, cnt, b.last[i], err);
    for (int64_t j = 0; !st && j < cnt[1]; ++j, ++pt)
      gv_run_append(rf, id, b.step[pt], b.value[pt]);
    at += len + 1;
  }
  if (!st && b.k[CK_LOG_WRITTEN] > 0) { /* the lines in the file, then the pending ones */
    const hsize_t n = (hsize_t)b.k[CK_LOG_WRITTEN];
    char **lines = calloc(n, sizeof *lines);
    hid_t t = gv_h5_str_type();
    if (!lines || old < 0 || read_prefix(old, "log", t, n, lines) < 0)
      st = gv_fail(err, GV_EIO, "%s: /log: the run file no longer holds the %llu lines its "
                   "checkpoint was written after", rf->path, (unsigned long long)n);
    for (hsize_t i = 0; lines && i < n; ++i) {
      if (!st) gv_run_log(rf, 0, "%s", lines[i] ? lines[i] : "");
      H5free_memory(lines[i]);
    }
    free(lines);
    H5Tclose(t);
  }
  for (size_t lb = 0; !st && lb < (size_t)b.k[CK_LOG_BYTES];) {
    gv_run_log(rf, 0, "%s", b.log + lb); /* b.log[k] is 0 (bufs_alloc) */
    lb += strlen(b.log + lb) + 1;
  }
  if (old >= 0) H5Fclose(old);
  bufs_free(&b);
  return st;
}

gv_status gv_run_sync(gv_runfile *rf) {
  if (!rf || rf->broken) return GV_EIO;
  return fsync(rf->lock_fd) == 0 ? GV_OK : GV_EIO;
}

/* ------------------------------------------------------------- reading */

struct gv_runread {
  hid_t file;
  int readonly;             /* summaries are not written (read-only or still running) */
  int lock_fd;              /* the writers' lock while open for writing, else -1 */
};

/* The statuses a run file may hold (core/runfile.h). */
static const char *const known_status[] = {"running", "completed", "diverged", "failed",
                                           "interrupted", "preempted"};

typedef struct walk {
  gv_err *err;
  gv_status st;
  int read_data;            /* read every dataset, not only its shape */
} walk;

static herr_t check_summary_attr(hid_t g, const char *name, const H5A_info_t *ai, void *op) {
  walk *w = op;
  w->st = gv_h5_check_scalar(g, name, w->err);
  return w->st ? 1 : 0;
}

/* One numeric dataset of rank in [lo, hi] under loc: its shape, or all of it. */
static gv_status check_dset(hid_t loc, const char *name, int lo, int hi, int read_data,
                            gv_err *err) {
  int rank;
  size_t dims[4];
  if (!read_data) return gv_h5_dset_shape(loc, name, lo, hi, &rank, dims, err);
  void *buf = NULL;
  gv_status st = gv_h5_read_dset(loc, name, H5T_NATIVE_DOUBLE, sizeof(double), lo, hi, &buf,
                                 &rank, dims, err);
  free(buf);
  return st;
}

/* The points of a series that hold data.  A run appends steps from 0, never
 * decreasing; a reader that catches a flush in progress (a live run file, or
 * one killed inside a flush) sees the datasets already extended and the new
 * points still at HDF5's fill value: a tail of STEP_FILL, which may be the
 * whole series while its first flush is half-done ("no points yet"), or in
 * files made before STEP_FILL existed, a tail of zero steps after a
 * positive one.  Returns the count before such a tail, or -1 with the index
 * of the first point out of order in *bad (a negative step, or a decrease
 * that is not that tail). */
static long steps_valid(const int64_t *st, size_t n, size_t *bad) {
  while (n > 0 && st[n - 1] == STEP_FILL) --n;
  for (size_t i = 0; i < n; ++i) {
    if (st[i] >= 0 && (!i || st[i] >= st[i - 1])) continue;
    if (i && st[i] == 0) {
      size_t j = i;
      while (j < n && st[j] == 0) ++j;
      if (j == n) return (long)i;
    }
    *bad = i;
    return -1;
  }
  return (long)n;
}

/* A series' steps are read at every open: the analyses subtract them (a
 * hostile INT64_MIN overflowed). */
static gv_status check_steps(hid_t s, const char *name, gv_err *err) {
  int64_t *st = NULL;
  int rank;
  size_t dims[4], bad = 0;
  gv_status r = gv_h5_read_dset(s, "step", H5T_NATIVE_INT64, sizeof *st, 1, 1, (void **)&st,
                                &rank, dims, err);
  if (!r && steps_valid(st, dims[0], &bad) < 0)
    r = gv_fail(err, GV_EINVAL, "/series/%s/step: %lld at point %zu (allowed: steps from 0, "
                "never decreasing)", name, (long long)st[bad], bad);
  free(st);
  return r;
}

static herr_t check_series(hid_t g, const char *name, const H5L_info_t *li, void *op) {
  walk *w = op;
  hid_t s = H5Gopen2(g, name, H5P_DEFAULT);
  if (s < 0) {
    w->st = gv_fail(w->err, GV_EINVAL, "/series/%s: not a group", name);
    return 1;
  }
  w->st = check_steps(s, name, w->err);
  if (!w->st) w->st = check_dset(s, "value", 1, 1, w->read_data, w->err);
  H5Gclose(s);
  return w->st ? 1 : 0;
}

static herr_t check_array(hid_t g, const char *name, const H5L_info_t *li, void *op) {
  walk *w = op;
  w->st = check_dset(g, name, 1, 4, w->read_data, w->err);
  return w->st ? 1 : 0;
}

/* Group `name` of the root (absent is fine), walked by fn over its links or,
 * with attrs, over its attributes. */
static gv_status check_group(hid_t f, const char *name, H5L_iterate_t fn, H5A_operator2_t afn,
                             walk *w) {
  htri_t ex = H5Lexists(f, name, H5P_DEFAULT);
  if (ex == 0) return GV_OK;
  hid_t g = ex > 0 ? H5Gopen2(f, name, H5P_DEFAULT) : -1;
  if (g < 0) return gv_fail(w->err, GV_EINVAL, "/%s: not a group", name);
  w->st = GV_OK;
  herr_t r = fn ? H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, fn, w)
                : H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, afn, w);
  H5Gclose(g);
  if (!w->st && r < 0) w->st = gv_fail(w->err, GV_EINVAL, "/%s: unreadable", name);
  return w->st;
}

/* Everything a reader of the run file reads is checked here, once, before
 * any of it is used: root attributes, /config, every /summary attribute and
 * the shape (read_data: also the content) of every series and array. */
static gv_status validate(hid_t f, int read_data, gv_err *err) {
  char *v = NULL;
  gv_status st = gv_h5_get_str(f, "version", &v, err);
  free(v);
  if (st) return st;
  const char *req[] = {"status", "kind", "name"};
  for (size_t i = 0; i < sizeof req / sizeof *req; ++i) {
    if ((st = gv_h5_get_str(f, req[i], &v, err))) return st;
    int ok = 1;
    if (i == 0) {
      ok = 0;
      for (size_t k = 0; k < sizeof known_status / sizeof *known_status; ++k)
        ok |= !strcmp(v, known_status[k]);
      if (!ok) gv_fail(err, GV_EINVAL, "/: attribute status: '%.64s' (allowed: running, "
                       "completed, diverged, failed, interrupted, preempted)", v);
    }
    free(v);
    if (!ok) return GV_EINVAL;
  }
  if (H5Aexists(f, "seed") > 0 && (st = gv_h5_check_scalar(f, "seed", err))) return st;
  if (H5Lexists(f, "config", H5P_DEFAULT) > 0) {
    if ((st = gv_h5_read_str_dset(f, "config", &v, err))) return st;
    free(v);
  }
  walk w = {err, GV_OK, read_data};
  if ((st = check_group(f, "summary", NULL, check_summary_attr, &w))) return st;
  if ((st = check_group(f, "series", check_series, NULL, &w))) return st;
  return check_group(f, "arrays", check_array, NULL, &w);
}

/* The file at path opened and validated (read_data: every dataset read
 * too); *f is open on GV_OK only. */
static gv_status open_valid(hid_t *f, const char *path, unsigned flags, int read_data,
                            gv_err *err) {
  gv_h5_quiet();
  *f = -1;
  if (access(path, R_OK) != 0)
    return gv_fail(err, GV_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  if (H5Fis_hdf5(path) <= 0) return gv_fail(err, GV_EINVAL, "%s: not an HDF5 file", path);
  /* no HDF5 lock: a reader elsewhere (h5py, another worker) must not make
   * the analysis of a finished run fail, nor its lock make a run's fail */
  const hid_t fapl = gv_h5_fapl_nolock();
  *f = H5Fopen(path, flags, fapl);
  H5Pclose(fapl);
  if (*f < 0) return gv_fail(err, GV_EINVAL, "%s: cannot open HDF5 file (damaged?)", path);
  gv_err why = {{0}, {0}};
  gv_status st = GV_OK;
  if (H5Aexists(*f, "version") <= 0)
    st = gv_fail(err, GV_EINVAL, "%s: not a governor run file (no version attribute)", path);
  else if (validate(*f, read_data, &why) != GV_OK)
    st = gv_fail(err, GV_EINVAL, "%s: not a valid governor run file: %s", path, why.msg);
  if (st) {
    H5Fclose(*f);
    *f = -1;
  }
  return st;
}

static gv_status open_common(gv_runread **out, const char *path, unsigned flags, int probe,
                             gv_err *err) {
  *out = NULL;
  hid_t f;
  gv_status st = probe ? gv_h5_probe_file(path, err) : GV_OK;
  if (!st) st = open_valid(&f, path, flags, flags != H5F_ACC_RDONLY, err);
  if (st) return st;
  gv_runread *rr = calloc(1, sizeof *rr);
  if (!rr) {
    H5Fclose(f);
    return gv_fail(err, GV_ENOMEM, "%s: out of memory", path);
  }
  rr->file = f;
  rr->readonly = flags == H5F_ACC_RDONLY;
  rr->lock_fd = -1;
  *out = rr;
  return GV_OK;
}

gv_status gv_runread_open(gv_runread **rr, const char *path, gv_err *err) {
  return open_common(rr, path, H5F_ACC_RDONLY, 1, err);
}
gv_status gv_runread_open_known(gv_runread **rr, const char *path, gv_err *err) {
  return open_common(rr, path, H5F_ACC_RDONLY, 0, err);
}
gv_status gv_runread_open_rw(gv_runread **rr, const char *path, gv_err *err) {
  /* A run still being written (status running) has a writer that owns the
   * file: a second writer would corrupt it, so it is analysed read-only.  A
   * killed run also stays "running" and is never modified.  A file opened
   * for writing has every dataset read first (open_common), so a file HDF5
   * can not read back is never written into. */
  gv_status s = open_common(rr, path, H5F_ACC_RDONLY, 0, err);
  if (s != GV_OK) return s;
  char *status = gv_runread_attr(*rr, "status");
  int running = status && !strcmp(status, "running");
  free(status);
  if (running) return GV_OK;
  /* one writer at a time: another analysis (a sweep's, a user's) or a run
   * rewriting the file holds the lock; after the wait, read only */
  const int fd = gv_run_lock_wait(path, GV_RUN_LOCK_WAIT);
  if (fd < 0) return GV_OK;
  gv_runread_close(*rr);
  s = open_common(rr, path, H5F_ACC_RDWR, 0, err);
  if (s != GV_OK) {
    close(fd);
    return s;
  }
  (*rr)->lock_fd = fd;
  return GV_OK;
}

int gv_runread_is_readonly(const gv_runread *rr) { return rr->readonly; }

void gv_runread_close(gv_runread *rr) {
  if (!rr) return;
  H5Fclose(rr->file);
  if (rr->lock_fd >= 0) close(rr->lock_fd); /* after the file is closed: written */
  free(rr);
}

char *gv_runread_attr(gv_runread *rr, const char *name) {
  char *v = NULL;
  gv_h5_get_text(rr->file, name, &v, NULL);
  return v;
}

char *gv_runread_config(gv_runread *rr) {
  char *v = NULL;
  gv_h5_read_str_dset(rr->file, "config", &v, NULL);
  return v;
}

static gv_status read_1d(hid_t loc, const char *name, hid_t memtype, size_t elsize, void **buf,
                         size_t *n) {
  int rank;
  size_t dims[4];
  gv_status st = gv_h5_read_dset(loc, name, memtype, elsize, 1, 1, buf, &rank, dims, NULL);
  *n = st ? 0 : dims[0];
  return st;
}

gv_status gv_runread_series(gv_runread *rr, const char *name, int64_t **step, double **value,
                            size_t *n) {
  char p[256];
  size_t n1 = 0, n2 = 0;
  *step = NULL;
  *value = NULL;
  *n = 0;
  snprintf(p, sizeof p, "series/%s", name);
  if (H5Lexists(rr->file, "series", H5P_DEFAULT) <= 0 ||
      H5Lexists(rr->file, p, H5P_DEFAULT) <= 0)
    return GV_ENOTFOUND;
  snprintf(p, sizeof p, "series/%s/step", name);
  gv_status s = read_1d(rr->file, p, H5T_NATIVE_INT64, sizeof **step, (void **)step, &n1);
  if (s != GV_OK) return s;
  snprintf(p, sizeof p, "series/%s/value", name);
  s = read_1d(rr->file, p, H5T_NATIVE_DOUBLE, sizeof **value, (void **)value, &n2);
  if (s != GV_OK) {
    free(*step);
    *step = NULL;
    return s;
  }
  /* a run killed inside a flush (or a live one caught in it) may hold more
   * steps than values, or points not yet written: the points present in
   * both and written are the series */
  *n = n1 < n2 ? n1 : n2;
  size_t bad = 0;
  const long ok = steps_valid(*step, *n, &bad);
  if (ok >= 0 && (size_t)ok < *n) *n = (size_t)ok;
  return GV_OK;
}

gv_status gv_runread_array(gv_runread *rr, const char *name, double **data, int *rank,
                           size_t dims[4]) {
  char p[256];
  snprintf(p, sizeof p, "arrays/%s", name);
  *data = NULL;
  if (H5Lexists(rr->file, "arrays", H5P_DEFAULT) <= 0 ||
      H5Lexists(rr->file, p, H5P_DEFAULT) <= 0)
    return GV_ENOTFOUND;
  return gv_h5_read_dset(rr->file, p, H5T_NATIVE_DOUBLE, sizeof **data, 1, 4, (void **)data,
                         rank, dims, NULL);
}

char *gv_runread_summary_str(gv_runread *rr, const char *key) {
  if (H5Lexists(rr->file, "summary", H5P_DEFAULT) <= 0) return NULL;
  hid_t g = H5Gopen2(rr->file, "summary", H5P_DEFAULT);
  char *v = NULL;
  if (g >= 0) {
    gv_h5_get_text(g, key, &v, NULL);
    H5Gclose(g);
  }
  return v;
}

gv_status gv_runread_summary_real(gv_runread *rr, const char *key, double *value) {
  if (H5Lexists(rr->file, "summary", H5P_DEFAULT) <= 0) return GV_ENOTFOUND;
  hid_t g = H5Gopen2(rr->file, "summary", H5P_DEFAULT);
  if (g < 0) return GV_EINVAL;
  gv_status s = gv_h5_get_num(g, key, H5T_NATIVE_DOUBLE, 0, value, NULL);
  H5Gclose(g);
  return s;
}

gv_status gv_runread_set_summary_real(gv_runread *rr, const char *key, double value) {
  if (rr->readonly) return GV_EIO;
  return summary_attr(rr->file, key, H5T_NATIVE_DOUBLE, &value, NULL);
}
gv_status gv_runread_set_summary_str(gv_runread *rr, const char *key, const char *value) {
  if (rr->readonly) return GV_EIO;
  return summary_attr(rr->file, key, 0, NULL, value);
}
