/* Claim files of sweep points (claim.h, docs/cluster.md). */
#include "experiments/claim.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/h5.h"

const char *gv_claim_host(void) {
  static char host[256];
  if (!host[0] && gethostname(host, sizeof host - 1) != 0) snprintf(host, sizeof host, "?");
  return host;
}

static double mtime_of(const struct stat *st) {
  return (double)st->st_mtim.tv_sec + 1e-9 * (double)st->st_mtim.tv_nsec;
}

/* The folder of path (".", when it has none). */
static void dir_of(const char *path, char *dir, size_t size) {
  const char *sl = strrchr(path, '/');
  if (!sl) snprintf(dir, size, ".");
  else if (sl == path) snprintf(dir, size, "/");
  else snprintf(dir, size, "%.*s", (int)(sl - path), path);
}

static void mkdir_p(const char *dir) {
  char buf[4200];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; ++p)
    if (*p == '/') {
      *p = 0;
      mkdir(buf, 0777);
      *p = '/';
    }
  mkdir(buf, 0777);
}

/* "Now" by the clock of the filesystem holding path: the mtime of a file
 * made there (NFS stamps it with the server's clock); the local clock if
 * that fails. */
static double fs_now(const char *path) {
  char dir[4200], probe[4600];
  dir_of(path, dir, sizeof dir);
  snprintf(probe, sizeof probe, "%s/.gv-now.%s.%ld", dir, gv_claim_host(), (long)getpid());
  int fd = open(probe, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  struct stat st;
  double now = -1;
  if (fd >= 0) {
    if (write(fd, "t", 1) == 1 && fstat(fd, &st) == 0) now = mtime_of(&st);
    close(fd);
    unlink(probe);
  }
  if (now < 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
  }
  return now;
}

static void parse(const char *text, gv_claim_info *in) {
  memset(in, 0, sizeof *in);
  in->step = -1;
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    if (!strncmp(l, "host=", 5)) sscanf(l + 5, "%255[^\n]", in->host);
    else if (!strncmp(l, "pid=", 4)) in->pid = atol(l + 4);
    else if (!strncmp(l, "child=", 6)) in->child = atol(l + 6);
    else if (!strncmp(l, "start=", 6)) in->start = atoll(l + 6);
    else if (!strncmp(l, "step=", 5)) in->step = atoll(l + 5);
  }
}

/* An executable's path as /proc/PID/exe reads, without the " (deleted)"
 * of a file replaced since (a rebuild). */
static const char *undeleted(char *exe) {
  static const char del[] = " (deleted)";
  const size_t n = strlen(exe), k = sizeof del - 1;
  if (n > k && !strcmp(exe + n - k, del)) exe[n - k] = 0;
  return exe;
}

/* 1 when process pid exists on this host (one of another user's too). */
static int pid_alive(long pid) {
  return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* 1 when process pid of this host is a live governor: it exists, is not a
 * zombie, and runs this executable (so a pid the system gave to another
 * program since is not mistaken for it); a rebuilt executable (the old one
 * "(deleted)") still counts as the same. */
static int governor_alive(long pid) {
  if (!pid_alive(pid)) return 0;
  char path[64], theirs[4200], mine[4200];
  snprintf(path, sizeof path, "/proc/%ld/exe", pid);
  const ssize_t b = readlink("/proc/self/exe", mine, sizeof mine - 1);
  if (b < 0) return 1; /* no /proc: kill(pid, 0) is all there is */
  const ssize_t a = readlink(path, theirs, sizeof theirs - 1); /* fails for a zombie */
  if (a < 0) return errno == EACCES || errno == EPERM; /* another user's: cannot tell */
  theirs[a] = mine[b] = 0;
  return !strcmp(undeleted(theirs), undeleted(mine));
}

/* Reads the claim open on fd into *in (alive, age too); st gets its stat. */
static int read_fd(int fd, const char *path, gv_claim_info *in, struct stat *st) {
  char text[1024];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n < 0 || fstat(fd, st) != 0) return 0;
  text[n] = 0;
  parse(text, in);
  in->age = fs_now(path) - mtime_of(st);
  in->alive = -1;
  /* the claim lives while its worker does, or while the child it started
   * does: a child in its analysis outlives a killed worker (it finishes the
   * file: cli.c, analyze_after), and no run may write behind a stale claim */
  if (!strcmp(in->host, gv_claim_host()) && in->pid > 0)
    in->alive = pid_alive(in->pid) || governor_alive(in->child);
  return 1;
}

int gv_claim_read(const char *run_path, gv_claim_info *info) {
  char path[4200];
  snprintf(path, sizeof path, "%s.claim", run_path);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  struct stat st;
  int ok = read_fd(fd, path, info, &st);
  close(fd);
  return ok;
}

int gv_claim_stale(const gv_claim_info *info, double lease) {
  return info->alive == 0 || info->age > lease;
}

static void write_claim(gv_claim *c) {
  char text[1024];
  int n = snprintf(text, sizeof text, "host=%s\npid=%ld\nchild=%ld\nstart=%lld\nstep=%lld\n",
                   gv_claim_host(), (long)getpid(), c->child, c->start, c->step);
  if (pwrite(c->fd, text, (size_t)n, 0) == n && ftruncate(c->fd, n) == 0) fsync(c->fd);
}

/* Takes over the stale claim at path, judged on inode ino: rename it
 * away (of several takers only one rename finds it); had someone already
 * replaced it by a fresh claim, that one is put back. */
static int steal(const char *path, ino_t ino) {
  char away[4600];
  snprintf(away, sizeof away, "%s.stale.%s.%ld", path, gv_claim_host(), (long)getpid());
  if (rename(path, away) != 0) return 0;
  struct stat st;
  if (stat(away, &st) == 0 && st.st_ino != ino) {
    if (link(away, path) != 0)
      fprintf(stderr, "governor: %s: a fresh claim was moved aside to %s and could not be put "
              "back: %s\n", path, away, strerror(errno));
    else unlink(away);
    return 0;
  }
  unlink(away);
  return 1;
}

int gv_claim_take(gv_claim *c, const char *run_path, double lease, gv_claim_info *old,
                  char *msg, size_t size) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  memset(old, 0, sizeof *old);
  snprintf(c->path, sizeof c->path, "%s.claim", run_path);
  char dir[4200];
  dir_of(run_path, dir, sizeof dir);
  mkdir_p(dir);
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = open(c->path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    if (fd >= 0) {
      struct stat st;
      fstat(fd, &st);
      c->fd = fd;
      c->dev = st.st_dev;
      c->ino = st.st_ino;
      c->start = (long long)time(NULL);
      c->step = -1;
      c->run_mtime = -1;
      write_claim(c);
      return GV_CLAIM_TAKEN;
    }
    if (errno != EEXIST) {
      snprintf(msg, size, "%s: cannot create the claim: %s", c->path, strerror(errno));
      return GV_CLAIM_FAILED;
    }
    if (attempt) break;
    int rfd = open(c->path, O_RDONLY);
    if (rfd < 0) continue; /* released meanwhile: try again */
    gv_claim_info in;
    struct stat st;
    int ok = read_fd(rfd, c->path, &in, &st);
    close(rfd);
    if (!ok || !gv_claim_stale(&in, lease) || !steal(c->path, st.st_ino)) return GV_CLAIM_BUSY;
    *old = in;
    if (old->pid <= 0) old->pid = 1;
  }
  return GV_CLAIM_BUSY;
}

int gv_claim_ours(const gv_claim *c) {
  struct stat st;
  return c->fd >= 0 && stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino;
}

void gv_claim_beat(gv_claim *c, const char *run_path, long child, long long step, int force) {
  if (c->fd < 0) return;
  struct stat st;
  double m = -1;
  long long sz = -1;
  if (stat(run_path, &st) == 0) {
    m = mtime_of(&st);
    sz = (long long)st.st_size;
  }
  const int moved = m != c->run_mtime || sz != c->run_size || step != c->step;
  c->run_mtime = m;
  c->run_size = sz;
  if (child != c->child || step != c->step) {
    c->child = child;
    c->step = step;
    write_claim(c);
  }
  if (moved || force) futimens(c->fd, NULL); /* the heartbeat: progress was made */
}

void gv_claim_release(gv_claim *c) {
  if (c->fd < 0) return;
  if (gv_claim_ours(c)) unlink(c->path);
  close(c->fd);
  c->fd = -1;
}

/* ------------------------------------------------ a run's last step */

typedef struct last_step {
  long long step;
} last_step;

static herr_t series_last(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  last_step *ls = data;
  char path[512];
  snprintf(path, sizeof path, "%s/step", name);
  hid_t d = H5Dopen2(g, path, H5P_DEFAULT);
  if (d < 0) return 0;
  hid_t sp = H5Dget_space(d);
  hsize_t n = 0;
  if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1) H5Sget_simple_extent_dims(sp, &n, NULL);
  if (n > 0) {
    hsize_t start = n - 1, one = 1;
    long long v;
    hid_t mem = H5Screate_simple(1, &one, NULL);
    if (H5Sselect_hyperslab(sp, H5S_SELECT_SET, &start, NULL, &one, NULL) >= 0 &&
        H5Dread(d, H5T_NATIVE_LLONG, mem, sp, H5P_DEFAULT, &v) >= 0 && v > ls->step)
      ls->step = v;
    H5Sclose(mem);
  }
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(d);
  return 0;
}

long long gv_claim_run_step(const char *run_path) {
  if (access(run_path, R_OK) != 0) return -1;
  H5E_auto2_t fn;
  void *cd;
  H5Eget_auto2(H5E_DEFAULT, &fn, &cd);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  last_step ls = {-1};
  hid_t fapl = gv_h5_fapl_nolock(); /* the run is being written */
  hid_t f = H5Fopen(run_path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (f >= 0) {
    hid_t g = H5Gopen2(f, "series", H5P_DEFAULT);
    if (g >= 0) {
      H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, series_last, &ls);
      H5Gclose(g);
    }
    H5Fclose(f);
  }
  H5Eset_auto2(H5E_DEFAULT, fn, cd);
  return ls.step;
}
