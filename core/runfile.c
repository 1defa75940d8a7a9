/* The HDF5 run file; the layout is documented in core/runfile.h and
 * docs/hdf5-schema.md.  Crash safety rests on one rule: HDF5 is only called
 * at creation, at flushes and at close, each ending in H5Fflush, so a
 * process killed between flushes leaves the file as the last flush wrote it. */
#include "core/runfile.h"

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct series {
  char name[128];
  hid_t dstep, dvalue;      /* datasets, created at the first flush */
  hsize_t written;          /* points in the file */
  int64_t *step;            /* buffered (n, cap) */
  double *value;
  size_t n, cap;
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
};

static void quiet_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

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

static hid_t vlen_str_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

static herr_t set_attr_str(hid_t obj, const char *name, const char *value) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  hid_t t = vlen_str_type(), sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = a < 0 ? -1 : H5Awrite(a, t, &value);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  return r;
}

static herr_t set_attr_num(hid_t obj, const char *name, hid_t type, const void *value) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = a < 0 ? -1 : H5Awrite(a, type, value);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return r;
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

gv_status gv_run_create(gv_runfile **out, const char *path, const gv_run_info *info,
                        gv_err *err) {
  quiet_hdf5();
  *out = NULL;
  if (mkdirs_for(path) != 0)
    return gv_fail(err, GV_EIO, "%s: cannot create parent directory: %s", path,
                   strerror(errno));
  /* No file lock: a user may open a running run's file (h5py, `governor
   * analyze`) to watch it; what they see is the last flush. */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_file_locking(fapl, 0, 1);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (f < 0) return gv_fail(err, GV_EIO, "%s: cannot create HDF5 file", path);
  gv_runfile *rf = calloc(1, sizeof *rf);
  if (!rf) {
    H5Fclose(f);
    return gv_fail(err, GV_ENOMEM, "run file");
  }
  rf->file = f;
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
  set_attr_num(f, "seed", H5T_NATIVE_UINT64, &seed);
  set_attr_str(f, "status", "running");
  set_attr_str(f, "kind", info->kind ? info->kind : "");
  set_attr_str(f, "name", info->name ? info->name : "");
  set_attr_str(f, "group", run_group ? run_group : info->name ? info->name : "");
  set_attr_str(f, "axes", run_axes ? run_axes : "");

  hid_t t = vlen_str_type(), sp = H5Screate(H5S_SCALAR);
  hid_t d = H5Dcreate2(f, "config", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char *cfg = info->config_yaml ? info->config_yaml : "";
  if (d >= 0) {
    H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &cfg);
    H5Dclose(d);
  }
  H5Sclose(sp);
  H5Tclose(t);
  hid_t g;
  if ((g = open_or_create_group(f, "series")) >= 0) H5Gclose(g);
  if ((g = open_or_create_group(f, "arrays")) >= 0) H5Gclose(g);
  if ((g = open_or_create_group(f, "summary")) >= 0) H5Gclose(g);
  if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0 || d < 0) {
    gv_run_close(rf);
    return gv_fail(err, GV_EIO, "%s: cannot write run file", path);
  }
  *out = rf;
  return GV_OK;
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

static hid_t create_extendible(hid_t loc, const char *name, hid_t type, hsize_t chunk) {
  hsize_t dims = 0, maxd = H5S_UNLIMITED;
  hid_t sp = H5Screate_simple(1, &dims, &maxd);
  hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &chunk);
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
    if (!s->n || s->dstep < 0) continue;
    bad |= append(s->dstep, H5T_NATIVE_INT64, s->written, s->n, s->step);
    bad |= append(s->dvalue, H5T_NATIVE_DOUBLE, s->written, s->n, s->value);
    s->written += s->n;
    s->n = 0;
  }
  H5Gclose(gs);
  if (rf->nlog) {
    hid_t t = vlen_str_type();
    if (rf->dlog < 0) rf->dlog = create_extendible(rf->file, "log", t, 64);
    if (rf->dlog >= 0) bad |= append(rf->dlog, t, rf->log_written, rf->nlog, rf->log);
    rf->log_written += rf->nlog;
    for (size_t i = 0; i < rf->nlog; ++i) free(rf->log[i]);
    rf->nlog = 0;
    H5Tclose(t);
  }
  if (H5Fflush(rf->file, H5F_SCOPE_GLOBAL) < 0) bad = -1;
  return bad < 0 ? GV_EIO : GV_OK;
}

gv_status gv_run_tick(gv_runfile *rf, int64_t step) {
  if (!rf || step - rf->last_flush < rf->flush_every) return GV_OK;
  rf->last_flush = step;
  return gv_run_flush(rf);
}

gv_status gv_run_close(gv_runfile *rf) {
  if (!rf) return GV_OK;
  gv_status st = gv_run_flush(rf);
  for (size_t i = 0; i < rf->ns; ++i) {
    if (rf->s[i].dstep >= 0) H5Dclose(rf->s[i].dstep);
    if (rf->s[i].dvalue >= 0) H5Dclose(rf->s[i].dvalue);
    free(rf->s[i].step);
    free(rf->s[i].value);
  }
  if (rf->dlog >= 0) H5Dclose(rf->dlog);
  free(rf->s);
  free(rf->log);
  if (H5Fclose(rf->file) < 0) st = GV_EIO;
  free(rf);
  return st;
}

static gv_status write_array(gv_runfile *rf, const char *name, hid_t memtype, const void *data,
                             int rank, const size_t *dims, int64_t step) {
  if (rank < 1 || rank > 4) return GV_EINVAL;
  hsize_t hd[4];
  for (int i = 0; i < rank; ++i) hd[i] = dims[i];
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
  return r < 0 ? GV_EIO : GV_OK;
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
  hid_t g = open_or_create_group(rf->file, "checkpoint");
  if (H5Lexists(g, name, H5P_DEFAULT) > 0) H5Ldelete(g, name, H5P_DEFAULT);
  hsize_t n = size;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(g, name, H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t r = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  H5Gclose(g);
  return r < 0 ? GV_EIO : GV_OK;
}

static gv_status summary_attr(hid_t file, const char *key, hid_t type, const void *v,
                              const char *str) {
  hid_t g = open_or_create_group(file, "summary");
  herr_t r = str ? set_attr_str(g, key, str) : set_attr_num(g, key, type, v);
  H5Gclose(g);
  return r < 0 ? GV_EIO : GV_OK;
}

gv_status gv_run_summary_real(gv_runfile *rf, const char *key, double value) {
  return summary_attr(rf->file, key, H5T_NATIVE_DOUBLE, &value, NULL);
}
gv_status gv_run_summary_int(gv_runfile *rf, const char *key, int64_t value) {
  return summary_attr(rf->file, key, H5T_NATIVE_INT64, &value, NULL);
}
gv_status gv_run_summary_str(gv_runfile *rf, const char *key, const char *value) {
  return summary_attr(rf->file, key, 0, NULL, value);
}

long long gv_run_h5(gv_runfile *rf) { return (long long)rf->file; }

gv_status gv_run_set_status(gv_runfile *rf, const char *status) {
  if (set_attr_str(rf->file, "status", status) < 0) return GV_EIO;
  return H5Fflush(rf->file, H5F_SCOPE_GLOBAL) < 0 ? GV_EIO : GV_OK;
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

/* ------------------------------------------------------------- reading */

struct gv_runread {
  hid_t file;
  int readonly;             /* summaries are not written (read-only or still running) */
};

static gv_status open_common(gv_runread **out, const char *path, unsigned flags, gv_err *err) {
  quiet_hdf5();
  *out = NULL;
  if (access(path, R_OK) != 0)
    return gv_fail(err, GV_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  if (H5Fis_hdf5(path) <= 0) return gv_fail(err, GV_EINVAL, "%s: not an HDF5 file", path);
  hid_t f = H5Fopen(path, flags, H5P_DEFAULT);
  if (f < 0) return gv_fail(err, GV_EINVAL, "%s: cannot open HDF5 file", path);
  if (H5Aexists(f, "version") <= 0) {
    H5Fclose(f);
    return gv_fail(err, GV_EINVAL, "%s: not a governor run file (no version attribute)", path);
  }
  gv_runread *rr = calloc(1, sizeof *rr);
  rr->file = f;
  rr->readonly = flags == H5F_ACC_RDONLY;
  *out = rr;
  return GV_OK;
}

gv_status gv_runread_open(gv_runread **rr, const char *path, gv_err *err) {
  return open_common(rr, path, H5F_ACC_RDONLY, err);
}
gv_status gv_runread_open_rw(gv_runread **rr, const char *path, gv_err *err) {
  /* A run still being written (status running) has a writer that owns the
   * file: a second writer would corrupt it, so it is analysed read-only.  A
   * killed run also stays "running" and is never modified. */
  gv_status s = open_common(rr, path, H5F_ACC_RDONLY, err);
  if (s != GV_OK) return s;
  char *status = gv_runread_attr(*rr, "status");
  int running = status && !strcmp(status, "running");
  free(status);
  if (running) return GV_OK;
  gv_runread_close(*rr);
  return open_common(rr, path, H5F_ACC_RDWR, err);
}

int gv_runread_is_readonly(const gv_runread *rr) { return rr->readonly; }

void gv_runread_close(gv_runread *rr) {
  if (!rr) return;
  H5Fclose(rr->file);
  free(rr);
}

static char *read_str_attr(hid_t obj, const char *name) {
  if (H5Aexists(obj, name) <= 0) return NULL;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t ft = H5Aget_type(a);
  char *out = NULL;
  if (H5Tget_class(ft) == H5T_STRING) {
    if (H5Tis_variable_str(ft) > 0) {
      hid_t t = vlen_str_type();
      char *v = NULL;
      if (H5Aread(a, t, &v) >= 0 && v) {
        out = strdup(v);
        H5free_memory(v);
      }
      H5Tclose(t);
    } else {
      size_t n = H5Tget_size(ft);
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, n + 1);
      out = calloc(n + 2, 1);
      H5Aread(a, t, out);
      H5Tclose(t);
    }
  } else {
    double v = 0;
    char buf[64];
    H5Aread(a, H5T_NATIVE_DOUBLE, &v);
    snprintf(buf, sizeof buf, "%.17g", v);
    out = strdup(buf);
  }
  H5Tclose(ft);
  H5Aclose(a);
  return out;
}

char *gv_runread_attr(gv_runread *rr, const char *name) { return read_str_attr(rr->file, name); }

char *gv_runread_config(gv_runread *rr) {
  if (H5Lexists(rr->file, "config", H5P_DEFAULT) <= 0) return NULL;
  hid_t d = H5Dopen2(rr->file, "config", H5P_DEFAULT);
  hid_t t = vlen_str_type();
  char *v = NULL, *out = NULL;
  if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 && v) {
    out = strdup(v);
    H5free_memory(v);
  }
  H5Tclose(t);
  H5Dclose(d);
  return out;
}

static gv_status read_1d(hid_t loc, const char *name, hid_t memtype, size_t elsize, void **buf,
                         size_t *n) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return GV_ENOTFOUND;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hssize_t np = H5Sget_simple_extent_npoints(sp);
  *n = np > 0 ? (size_t)np : 0;
  *buf = malloc((*n ? *n : 1) * elsize);
  herr_t r = *n ? H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) : 0;
  H5Sclose(sp);
  H5Dclose(d);
  return r < 0 ? GV_EIO : GV_OK;
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
  *n = n1 < n2 ? n1 : n2;
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
  hid_t d = H5Dopen2(rr->file, p, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hsize_t hd[4] = {0};
  int r = H5Sget_simple_extent_ndims(sp);
  if (r < 1 || r > 4) {
    H5Sclose(sp);
    H5Dclose(d);
    return GV_EINVAL;
  }
  H5Sget_simple_extent_dims(sp, hd, NULL);
  size_t total = 1;
  for (int i = 0; i < r; ++i) total *= (dims[i] = hd[i]);
  *rank = r;
  *data = malloc((total ? total : 1) * sizeof **data);
  herr_t e = total ? H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) : 0;
  H5Sclose(sp);
  H5Dclose(d);
  return e < 0 ? GV_EIO : GV_OK;
}

char *gv_runread_summary_str(gv_runread *rr, const char *key) {
  if (H5Lexists(rr->file, "summary", H5P_DEFAULT) <= 0) return NULL;
  hid_t g = H5Gopen2(rr->file, "summary", H5P_DEFAULT);
  char *v = read_str_attr(g, key);
  H5Gclose(g);
  return v;
}

gv_status gv_runread_summary_real(gv_runread *rr, const char *key, double *value) {
  if (H5Lexists(rr->file, "summary", H5P_DEFAULT) <= 0) return GV_ENOTFOUND;
  hid_t g = H5Gopen2(rr->file, "summary", H5P_DEFAULT);
  gv_status s = GV_ENOTFOUND;
  if (H5Aexists(g, key) > 0) {
    hid_t a = H5Aopen(g, key, H5P_DEFAULT);
    s = H5Aread(a, H5T_NATIVE_DOUBLE, value) < 0 ? GV_EIO : GV_OK;
    H5Aclose(a);
  }
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
