/* Checked HDF5 attribute and dataset helpers (core/h5.h). */
#include "core/h5.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* No dataset read by governor is larger than this in memory: a hostile file
 * can declare a petabyte of fill values in a few bytes. */
#define GV_H5_MAX_BYTES ((size_t)1 << 30)

void gv_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t gv_h5_fapl_nolock(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0) H5Pset_file_locking(fapl, 0, 1);
  return fapl;
}

hid_t gv_h5_str_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

/* ---------------------------------------------------------------- writing */

static gv_status put_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, size_t n,
                          const void *value) {
  gv_h5_quiet();
  if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0) return GV_EIO;
  hsize_t hn = n;
  hid_t sp = n ? H5Screate_simple(1, &hn, NULL) : H5Screate(H5S_SCALAR);
  hid_t a = sp >= 0 ? H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
  herr_t r = a < 0 ? -1 : H5Awrite(a, mtype, value);
  if (a >= 0 && H5Aclose(a) < 0) r = -1;
  if (sp >= 0) H5Sclose(sp);
  return r < 0 ? GV_EIO : GV_OK;
}

gv_status gv_h5_put_str(hid_t obj, const char *name, const char *value) {
  hid_t t = gv_h5_str_type();
  const char *v = value ? value : "";
  gv_status st = put_attr(obj, name, t, t, 0, &v);
  H5Tclose(t);
  return st;
}

gv_status gv_h5_put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, size_t n,
                        const void *value) {
  return put_attr(obj, name, ftype, mtype, n, value);
}

gv_status gv_h5_put_str_dset(hid_t loc, const char *name, const char *value) {
  gv_h5_quiet();
  hid_t t = gv_h5_str_type(), sp = H5Screate(H5S_SCALAR);
  hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char *v = value ? value : "";
  herr_t r = d < 0 ? -1 : H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v);
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  H5Sclose(sp);
  H5Tclose(t);
  return r < 0 ? GV_EIO : GV_OK;
}

gv_status gv_h5_put_dset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t rows,
                         size_t cols, const void *data) {
  gv_h5_quiet();
  hsize_t dims[2] = {rows, cols};
  const int rank = cols ? 2 : 1;
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
  if (rows >= 256 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    hsize_t chunk[2] = {rows < 4096 ? rows : 4096, cols};
    H5Pset_chunk(pl, rank, chunk);
    H5Pset_shuffle(pl);
    H5Pset_deflate(pl, 4);
  }
  hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  herr_t r = d < 0 ? -1 : rows ? H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0;
  if (d >= 0 && H5Dclose(d) < 0) r = -1;
  H5Pclose(pl);
  H5Sclose(sp);
  return r < 0 ? GV_EIO : GV_OK;
}

/* ---------------------------------------------------------------- reading */

/* "/summary: attribute steps_done" or "/policy/obs_mean" into buf. */
static void where(char *buf, size_t size, hid_t obj, const char *name, int attr) {
  char path[256] = "";
  if (H5Iget_name(obj, path, sizeof path) <= 0) snprintf(path, sizeof path, "?");
  if (attr) snprintf(buf, size, "%s: attribute %s", path, name);
  else snprintf(buf, size, "%s%s%s", path, strcmp(path, "/") ? "/" : "", name);
}

static const char *class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a compound";
    case H5T_ENUM: return "an enum";
    case H5T_ARRAY: return "an array-typed";
    case H5T_VLEN: return "a variable-length";
    case H5T_REFERENCE: return "a reference";
    case H5T_OPAQUE: return "an opaque";
    case H5T_BITFIELD: return "a bitfield";
    default: return "an unknown";
  }
}

/* The element class and the number of elements of an attribute or dataset:
 * "a float array of 4096", "a string scalar". */
typedef struct shape {
  H5T_class_t cls;
  int rank;                 /* -1: null or unreadable dataspace */
  hsize_t dims[H5S_MAX_RANK];
  hssize_t npoints;
  hid_t type;               /* file type (caller closes) */
} shape;

static void describe(char *buf, size_t size, const shape *s) {
  if (s->rank < 0) snprintf(buf, size, "an empty (null) dataspace");
  else if (s->rank == 0) snprintf(buf, size, "%s scalar", class_name(s->cls));
  else snprintf(buf, size, "%s array of %lld", class_name(s->cls), (long long)s->npoints);
}

static int get_shape(shape *s, hid_t type, hid_t space) {
  memset(s, 0, sizeof *s);
  s->type = type;
  s->rank = -1;
  s->cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  if (space < 0) return -1;
  H5S_class_t sc = H5Sget_simple_extent_type(space);
  if (sc == H5S_SCALAR) {
    s->rank = 0;
    s->npoints = 1;
  } else if (sc == H5S_SIMPLE) {
    s->rank = H5Sget_simple_extent_ndims(space);
    if (s->rank >= 0 && s->rank <= H5S_MAX_RANK) {
      H5Sget_simple_extent_dims(space, s->dims, NULL);
      s->npoints = H5Sget_simple_extent_npoints(space);
    } else {
      s->rank = -1;
    }
  }
  H5Sclose(space);
  return s->cls == H5T_NO_CLASS || s->rank < 0 ? -1 : 0;
}

static int is_number(H5T_class_t c) { return c == H5T_INTEGER || c == H5T_FLOAT; }

/* Opens attribute (attr) or dataset `name` of obj and reads its shape;
 * ENOTFOUND when absent. */
static gv_status open_obj(hid_t obj, const char *name, int attr, hid_t *id, shape *s, char *w,
                          size_t wn, gv_err *err) {
  gv_h5_quiet();
  where(w, wn, obj, name, attr);
  *id = -1;
  htri_t ex = attr ? H5Aexists(obj, name) : H5Lexists(obj, name, H5P_DEFAULT);
  if (ex <= 0)
    return gv_fail(err, ex < 0 ? GV_EINVAL : GV_ENOTFOUND, "%s: %s", w,
                   ex < 0 ? "unreadable" : "missing");
  if (!attr) {
    H5O_info_t oi;
    if (H5Oget_info_by_name2(obj, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        oi.type != H5O_TYPE_DATASET)
      return gv_fail(err, GV_EINVAL, "%s: not a dataset", w);
  }
  *id = attr ? H5Aopen(obj, name, H5P_DEFAULT) : H5Dopen2(obj, name, H5P_DEFAULT);
  if (*id < 0) return gv_fail(err, GV_EINVAL, "%s: unreadable", w);
  if (get_shape(s, attr ? H5Aget_type(*id) : H5Dget_type(*id),
                attr ? H5Aget_space(*id) : H5Dget_space(*id)) < 0) {
    if (s->type >= 0) H5Tclose(s->type);
    if (attr) H5Aclose(*id);
    else H5Dclose(*id);
    return gv_fail(err, GV_EINVAL, "%s: unreadable type or dataspace", w);
  }
  return GV_OK;
}

static void close_obj(hid_t id, shape *s) {
  H5Tclose(s->type);
  if (H5Iget_type(id) == H5I_ATTR) H5Aclose(id);
  else H5Dclose(id);
}

static gv_status wrong(gv_err *err, const char *w, const char *expected, const shape *s) {
  char found[96];
  describe(found, sizeof found, s);
  return gv_fail(err, GV_EINVAL, "%s: expected %s, found %s", w, expected, found);
}

/* Reads one string element (attribute if a >= 0, else dataset d). */
static gv_status read_string(hid_t a, hid_t d, const shape *s, char **out, const char *w,
                             gv_err *err) {
  *out = NULL;
  if (s->cls != H5T_STRING || s->npoints != 1 || s->rank > 1)
    return wrong(err, w, "a scalar string", s);
  herr_t r;
  hid_t mt = H5Tcopy(H5T_C_S1);
  H5Tset_cset(mt, H5Tget_cset(s->type));
  if (H5Tis_variable_str(s->type) > 0) {
    char *v = NULL;
    H5Tset_size(mt, H5T_VARIABLE);
    r = a >= 0 ? H5Aread(a, mt, &v) : H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v);
    if (r >= 0) *out = strdup(v ? v : "");
    if (v) H5free_memory(v);
  } else {
    size_t n = H5Tget_size(s->type);
    H5Tset_size(mt, n + 1);
    H5Tset_strpad(mt, H5T_STR_NULLTERM);
    *out = calloc(n + 2, 1);
    r = !*out ? -1
        : a >= 0 ? H5Aread(a, mt, *out)
                 : H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out);
    if (r < 0) {
      free(*out);
      *out = NULL;
    }
  }
  H5Tclose(mt);
  if (!*out) return gv_fail(err, r < 0 ? GV_EINVAL : GV_ENOMEM, "%s: unreadable string", w);
  return GV_OK;
}

/* A scalar string attribute (attr) or dataset. */
static gv_status get_string(hid_t obj, const char *name, int attr, char **out, gv_err *err) {
  hid_t id;
  shape s;
  char w[384];
  *out = NULL;
  gv_status st = open_obj(obj, name, attr, &id, &s, w, sizeof w, err);
  if (st) return st;
  st = read_string(attr ? id : -1, attr ? -1 : id, &s, out, w, err);
  close_obj(id, &s);
  return st;
}

gv_status gv_h5_get_str(hid_t obj, const char *name, char **out, gv_err *err) {
  return get_string(obj, name, 1, out, err);
}

gv_status gv_h5_get_strbuf(hid_t obj, const char *name, char *buf, size_t size, gv_err *err) {
  char *v;
  buf[0] = 0;
  gv_status st = gv_h5_get_str(obj, name, &v, err);
  if (st) return st;
  if (strlen(v) >= size) {
    char w[384];
    where(w, sizeof w, obj, name, 1);
    st = gv_fail(err, GV_EINVAL, "%s: a string of %zu bytes (allowed: < %zu)", w, strlen(v),
                 size);
  } else {
    memcpy(buf, v, strlen(v) + 1);
  }
  free(v);
  return st;
}

gv_status gv_h5_get_num(hid_t obj, const char *name, hid_t mtype, size_t n, void *value,
                        gv_err *err) {
  hid_t a;
  shape s;
  char w[384];
  gv_status st = open_obj(obj, name, 1, &a, &s, w, sizeof w, err);
  if (st) return st;
  if (!is_number(s.cls) || s.rank > 1 || s.npoints != (hssize_t)(n ? n : 1)) {
    char exp[64];
    if (n) snprintf(exp, sizeof exp, "an array of %zu numbers", n);
    else snprintf(exp, sizeof exp, "a scalar number");
    st = wrong(err, w, exp, &s);
  } else if (H5Aread(a, mtype, value) < 0) {
    st = gv_fail(err, GV_EINVAL, "%s: unreadable", w);
  }
  close_obj(a, &s);
  return st;
}

gv_status gv_h5_num_len(hid_t obj, const char *name, size_t *n, gv_err *err) {
  hid_t a;
  shape s;
  char w[384];
  *n = 0;
  gv_status st = open_obj(obj, name, 1, &a, &s, w, sizeof w, err);
  if (st) return st;
  if (!is_number(s.cls) || s.rank > 1) st = wrong(err, w, "numbers of rank 0 or 1", &s);
  else *n = (size_t)s.npoints;
  close_obj(a, &s);
  return st;
}

gv_status gv_h5_get_text(hid_t obj, const char *name, char **out, gv_err *err) {
  hid_t a;
  shape s;
  char w[384];
  *out = NULL;
  gv_status st = open_obj(obj, name, 1, &a, &s, w, sizeof w, err);
  if (st) return st;
  if (s.cls == H5T_STRING) {
    st = read_string(a, -1, &s, out, w, err);
  } else if (is_number(s.cls) && s.npoints == 1 && s.rank <= 1) {
    double v = 0;
    char b[64];
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
      st = gv_fail(err, GV_EINVAL, "%s: unreadable", w);
    } else {
      snprintf(b, sizeof b, "%.17g", v);
      *out = strdup(b);
    }
  } else {
    st = wrong(err, w, "a scalar string or number", &s);
  }
  close_obj(a, &s);
  return st;
}

gv_status gv_h5_check_scalar(hid_t obj, const char *name, gv_err *err) {
  char *v = NULL;
  gv_status st = gv_h5_get_text(obj, name, &v, err);
  free(v);
  return st;
}

gv_status gv_h5_read_str_dset(hid_t loc, const char *name, char **out, gv_err *err) {
  return get_string(loc, name, 0, out, err);
}

static gv_status check_numeric(const shape *s, int rank_min, int rank_max, size_t elem,
                               size_t *total, const char *w, gv_err *err) {
  if (!is_number(s->cls) || s->rank < rank_min || s->rank > rank_max || rank_max > 4) {
    char exp[64];
    if (rank_min == rank_max) snprintf(exp, sizeof exp, "numbers of rank %d", rank_min);
    else snprintf(exp, sizeof exp, "numbers of rank %d to %d", rank_min, rank_max);
    char found[96];
    describe(found, sizeof found, s);
    return gv_fail(err, GV_EINVAL, "%s: expected %s, found %s of rank %d", w, exp, found,
                   s->rank);
  }
  size_t n = 1;
  for (int i = 0; i < s->rank; ++i) {
    if (s->dims[i] && n > SIZE_MAX / elem / s->dims[i])
      return gv_fail(err, GV_EINVAL, "%s: too large", w);
    n *= (size_t)s->dims[i];
  }
  if (n * elem > GV_H5_MAX_BYTES)
    return gv_fail(err, GV_EINVAL, "%s: %zu elements is too large (allowed: up to %zu bytes)",
                   w, n, GV_H5_MAX_BYTES);
  *total = n;
  return GV_OK;
}

gv_status gv_h5_dset_shape(hid_t loc, const char *name, int rank_min, int rank_max, int *rank,
                           size_t dims[4], gv_err *err) {
  hid_t d;
  shape s;
  char w[384];
  size_t total;
  gv_status st = open_obj(loc, name, 0, &d, &s, w, sizeof w, err);
  if (st) return st;
  st = check_numeric(&s, rank_min, rank_max, 1, &total, w, err);
  if (!st) {
    *rank = s.rank;
    for (int i = 0; i < 4; ++i) dims[i] = i < s.rank ? (size_t)s.dims[i] : 0;
  }
  close_obj(d, &s);
  return st;
}

gv_status gv_h5_read_dset(hid_t loc, const char *name, hid_t mtype, size_t elem, int rank_min,
                          int rank_max, void **buf, int *rank, size_t dims[4], gv_err *err) {
  hid_t d;
  shape s;
  char w[384];
  size_t total = 0;
  *buf = NULL;
  gv_status st = open_obj(loc, name, 0, &d, &s, w, sizeof w, err);
  if (st) return st;
  st = check_numeric(&s, rank_min, rank_max, elem, &total, w, err);
  if (!st) {
    *buf = malloc(total ? total * elem : 1);
    if (!*buf) st = gv_fail(err, GV_ENOMEM, "%s: out of memory", w);
  }
  if (!st && total && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) < 0)
    st = gv_fail(err, GV_EINVAL, "%s: unreadable data (damaged file?)", w);
  if (!st) {
    *rank = s.rank;
    for (int i = 0; i < 4; ++i) dims[i] = i < s.rank ? (size_t)s.dims[i] : 0;
  } else {
    free(*buf);
    *buf = NULL;
  }
  close_obj(d, &s);
  return st;
}

/* ---------------------------------------------------------------- disk full */

gv_status gv_h5_room(const char *path, double end, size_t bytes) {
  signal(SIGXFSZ, SIG_IGN);
  const double need = (double)bytes + (double)GV_H5_HEADROOM;
  struct rlimit rl;
  if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      end + need > (double)rl.rlim_cur)
    return GV_EIO;
  /* the file system of path, or of its folder when path does not exist yet */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path ? path : ".");
  struct statvfs vs;
  int known = statvfs(dir, &vs) == 0;
  if (!known) {
    char *slash = strrchr(dir, '/');
    if (slash) slash[slash == dir] = 0;
    else snprintf(dir, sizeof dir, ".");
    known = statvfs(dir, &vs) == 0;
  }
  if (known && (double)vs.f_bavail * (double)vs.f_frsize < need) return GV_EIO;
  return GV_OK;
}

static volatile sig_atomic_t write_failed;

static void skip_hdf5_cleanup(void) {
  if (!write_failed) return;
  fflush(NULL);
  _exit(1);
}

void gv_h5_write_failed(void) {
  /* registered after HDF5's own exit handler (the library is initialised by
   * then), so it runs first */
  if (!write_failed) atexit(skip_hdf5_cleanup);
  write_failed = 1;
}

/* ---------------------------------------------------------------- locks */

int gv_h5_ofd_lock(int fd) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  return fcntl(fd, F_OFD_SETLK, &fl);
}

gv_status gv_h5_lock_output(const char *path, int *fd, gv_err *err) {
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (*fd < 0) return gv_fail(err, GV_EIO, "%s: cannot create: %s", path, strerror(errno));
  if (gv_h5_ofd_lock(*fd) == 0) return GV_OK;
  const int e = errno;
  close(*fd);
  *fd = -1;
  if (e == EAGAIN || e == EACCES)
    return gv_fail(err, GV_EINVAL, "%s: another governor process is writing this file (allowed: "
                   "one writer per output; choose another --out)", path);
  return gv_fail(err, GV_EIO, "%s: cannot lock: %s", path, strerror(e));
}

/* ---------------------------------------------------------------- probe */

static double probe_seconds(void) {
  const char *s = getenv("GV_READ_TIMEOUT");
  char *end = NULL;
  const double v = s && *s ? strtod(s, &end) : 0;
  return end && !*end && v > 0 && v <= 86400 ? v : GV_H5_PROBE_SECONDS;
}

static double clock_s(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return -1;
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The answer: int32 status, uint32 length, that many bytes of message. */
#define ANSWER_HEAD 8
static int answer_complete(const char *buf, size_t n) {
  uint32_t len;
  if (n < ANSWER_HEAD) return 0;
  memcpy(&len, buf + 4, sizeof len);
  return n >= ANSWER_HEAD + (size_t)len;
}

/* Reads the child's answer into buf: 0 when it is complete or the child
 * closed the pipe, 1 when the child spent `limit` seconds of CPU time (a
 * spin: libhdf5's hang is one), 2 when `wall` seconds passed without an
 * answer (blocked: a slow file system, a stopped process). */
static int probe_answer(int fd, pid_t pid, char *buf, size_t size, size_t *n, double limit,
                        double wall) {
  clockid_t cpu;
  const int have_cpu = clock_getcpuclockid(pid, &cpu) == 0;
  const double t0 = clock_s(CLOCK_MONOTONIC);
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    const int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) return 2;
    if (r > 0) {
      const ssize_t k = read(fd, buf + *n, size - *n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return 0;
      *n += (size_t)k;
      if (answer_complete(buf, *n) || *n == size) return 0;
      continue;
    }
    if (have_cpu && clock_s(cpu) >= limit) return 1;
    if (clock_s(CLOCK_MONOTONIC) - t0 >= wall) return 2;
  }
}

gv_status gv_h5_probe(const char *path, gv_h5_probe_fn fn, void *arg, gv_err *err) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return GV_OK;
  fflush(NULL); /* the child leaves with _exit, but no buffered output twice */
  const pid_t parent = getpid(), pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return GV_OK;
  }
  if (pid == 0) {
    /* the child: no exit handlers (HDF5's, the sanitisers'), no stdio flush,
     * no output (glibc's "free(): invalid pointer") and no core file; it dies
     * with its parent (a hung one too), leaves a Ctrl-C or a preemption's
     * SIGTERM to the parent's handlers, and a fault kills it whatever
     * handler the parent had (cmocka's, a sanitiser's) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    const struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    const int quiet[] = {SIGINT, SIGTERM, SIGHUP}, fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                                               SIGABRT};
    for (size_t i = 0; i < sizeof quiet / sizeof *quiet; ++i) signal(quiet[i], SIG_IGN);
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; ++i) signal(fatal[i], SIG_DFL);
    close(fds[0]);
    gv_err e;
    memset(&e, 0, sizeof e);
    const int32_t st = (int32_t)fn(path, arg, &e);
    const uint32_t len = st ? (uint32_t)strnlen(e.msg, GV_ERR_MAX - 1) : 0;
    char out[ANSWER_HEAD + GV_ERR_MAX];
    memcpy(out, &st, 4);
    memcpy(out + 4, &len, 4);
    memcpy(out + ANSWER_HEAD, e.msg, len);
    size_t off = 0;
    while (off < ANSWER_HEAD + len) {
      const ssize_t k = write(fds[1], out + off, ANSWER_HEAD + len - off);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      off += (size_t)k;
    }
    _exit(0);
  }
  close(fds[1]);
  char buf[ANSWER_HEAD + GV_ERR_MAX];
  size_t n = 0;
  const double limit = probe_seconds();
  const int late = probe_answer(fds[0], pid, buf, sizeof buf, &n, limit, 10 * limit);
  close(fds[0]);
  const int done = answer_complete(buf, n);
  if (!done) kill(pid, SIGKILL); /* nothing more to wait for */
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
  if (done) { /* whatever its exit status (valgrind's leak check, say) */
    int32_t st;
    uint32_t len;
    memcpy(&st, buf, 4);
    memcpy(&len, buf + 4, 4);
    if (st == GV_OK) return GV_OK;
    return gv_fail(err, (gv_status)st, "%.*s", (int)len, buf + ANSWER_HEAD);
  }
  if (late == 1)
    return gv_fail(err, GV_EINVAL, "%s: damaged: the HDF5 library was still reading it after "
                   "%g s of CPU time (GV_READ_TIMEOUT=SECONDS sets another limit)", path, limit);
  if (late == 2)
    return gv_fail(err, GV_EIO, "%s: not read: the HDF5 library read it for %g s without "
                   "finishing (a slow file system, or a stopped process); try again", path,
                   10 * limit);
  if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL) /* from outside: the OOM killer */
    return gv_fail(err, GV_EIO, "%s: not read: the process reading it was killed (%s); try "
                   "again", path, strsignal(SIGKILL));
  if (WIFSIGNALED(ws))
    return gv_fail(err, GV_EINVAL, "%s: damaged: the HDF5 library crashed reading it (%s)",
                   path, strsignal(WTERMSIG(ws)));
  /* ended mid-read: a sanitiser's report of the fault exits 1 */
  return gv_fail(err, GV_EINVAL, "%s: damaged: the HDF5 library crashed reading it (exit "
                 "status %d)", path, WEXITSTATUS(ws));
}

/* In the probe's child: every attribute and dataset of each object, read in
 * its own class; failures are ignored (the parent's checks report them). */
static void probe_one(hid_t obj, int attr) {
  const hid_t ft = attr ? H5Aget_type(obj) : H5Dget_type(obj);
  const hid_t sp = attr ? H5Aget_space(obj) : H5Dget_space(obj);
  const hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  const H5T_class_t c = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  hid_t mt = -1;
  int vlen = 0;
  if (c == H5T_STRING) {
    mt = H5Tcopy(H5T_C_S1); /* as read_string reads it: no conversion refused */
    H5Tset_cset(mt, H5Tget_cset(ft));
    vlen = H5Tis_variable_str(ft) > 0;
    H5Tset_size(mt, vlen ? H5T_VARIABLE : H5Tget_size(ft));
  } else if (c == H5T_INTEGER || c == H5T_FLOAT) {
    mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
  }
  const size_t elem = mt >= 0 ? H5Tget_size(mt) : 0;
  if (n > 0 && elem > 0 && (size_t)n <= GV_H5_MAX_BYTES / elem) {
    void *buf = calloc((size_t)n, elem);
    const herr_t r = !buf ? -1
                     : attr ? H5Aread(obj, mt, buf)
                            : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (r >= 0 && vlen) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
    free(buf);
  }
  if (mt >= 0) H5Tclose(mt);
  if (ft >= 0) H5Tclose(ft);
  if (sp >= 0) H5Sclose(sp);
  if (attr) H5Aclose(obj);
}

static herr_t probe_attr(hid_t loc, const char *name, const H5A_info_t *ai, void *op) {
  (void)ai, (void)op;
  const hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a >= 0) probe_one(a, 1);
  return 0;
}

static herr_t probe_obj(hid_t f, const char *name, const H5O_info_t *info, void *op) {
  (void)op;
  const hid_t o = H5Oopen(f, name, H5P_DEFAULT);
  if (o < 0) return 0;
  H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, probe_attr, NULL);
  if (info->type == H5O_TYPE_DATASET) probe_one(o, 0);
  H5Oclose(o);
  return 0;
}

/* The first link to another file (or of a kind HDF5 lets programs define):
 * the child would not follow it, the parent would. */
static herr_t probe_link(hid_t g, const char *name, const H5L_info_t *li, void *op) {
  (void)g;
  if (li->type == H5L_TYPE_HARD || li->type == H5L_TYPE_SOFT) return 0;
  snprintf(op, 256, "%s", name);
  return 1;
}

static gv_status probe_all(const char *path, void *arg, gv_err *err) {
  (void)arg;
  gv_h5_quiet();
  if (H5Fis_hdf5(path) <= 0) return GV_OK;
  const hid_t fapl = gv_h5_fapl_nolock();
  const hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (f < 0) return GV_OK;
  char ext[256] = "";
  if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, probe_link, ext) > 0)
    return gv_fail(err, GV_EINVAL, "%s: /%s: a link to another file (allowed: none; governor's "
                   "files hold their data themselves)", path, ext);
  H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, probe_obj, NULL, H5O_INFO_BASIC);
  return GV_OK;
}

static int probe_on = 1;

void gv_h5_probe_set(int on) { probe_on = on; }

/* The files this process probed with GV_OK, as they were then: the same
 * device, inode, size and modification time are the same bytes, read once
 * (a sweep's `check` loads one demonstration file for each of its points). */
typedef struct {
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
} probed_file;
static probed_file probed[32];
static size_t n_probed;

static int same_file(const probed_file *a, const struct stat *b) {
  return a->dev == b->st_dev && a->ino == b->st_ino && a->size == b->st_size &&
         a->mtime.tv_sec == b->st_mtim.tv_sec && a->mtime.tv_nsec == b->st_mtim.tv_nsec;
}

gv_status gv_h5_probe_file(const char *path, gv_err *err) {
  if (!probe_on) return GV_OK;
  struct stat sb;
  const int known = stat(path, &sb) == 0;
  for (size_t i = 0; known && i < n_probed && i < sizeof probed / sizeof *probed; ++i)
    if (same_file(&probed[i], &sb)) return GV_OK;
  const gv_status st = gv_h5_probe(path, probe_all, NULL, err);
  if (!st && known)
    probed[n_probed++ % (sizeof probed / sizeof *probed)] =
        (probed_file){sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim};
  return st;
}
