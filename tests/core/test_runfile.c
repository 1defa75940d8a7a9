/* The run file: series round trip, summaries, arrays, and a file that
 * survives SIGKILL with every series up to the last flush. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/h5.h"
#include "core/runfile.h"
#include "tests/testdir.h"

GV_TESTDIR_GROUP(dir, "test-runfile")

static void test_round_trip(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/sub/dir/run.h5", dir); /* parents are created */
  gv_run_info info = {"dirac", "demo", "a: 1\n", 42, 10, 0};
  gv_runfile *rf;
  gv_err err;
  assert_int_equal(gv_run_create(&rf, path, &info, &err), GV_OK);
  int a = gv_run_series(rf, "a"), b = gv_run_series(rf, "b");
  assert_int_equal(gv_run_series(rf, "a"), a);
  for (int k = 0; k < 1000; ++k) {
    gv_run_append(rf, a, k, 0.1 * k);
    if (k % 3 == 0) gv_run_append(rf, b, k, -k);
    assert_int_equal(gv_run_tick(rf, k), GV_OK);
  }
  double arr[6] = {1, 2, 3, 4, 5, 6};
  size_t dims[2] = {2, 3};
  assert_int_equal(gv_run_array(rf, "m", arr, 2, dims, 7), GV_OK);
  assert_int_equal(gv_run_summary_real(rf, "x", 1.5), GV_OK);
  assert_int_equal(gv_run_summary_str(rf, "v", "converges"), GV_OK);
  gv_run_log(rf, 0, "hello %d", 3);
  assert_int_equal(gv_run_set_status(rf, "completed"), GV_OK);
  assert_int_equal(gv_run_close(rf), GV_OK);

  gv_runread *rr;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_OK);
  char *s = gv_runread_attr(rr, "status");
  assert_string_equal(s, "completed");
  free(s);
  s = gv_runread_attr(rr, "name");
  assert_string_equal(s, "demo");
  free(s);
  s = gv_runread_config(rr);
  assert_string_equal(s, "a: 1\n");
  free(s);
  int64_t *st;
  double *v;
  size_t n;
  assert_int_equal(gv_runread_series(rr, "a", &st, &v, &n), GV_OK);
  assert_int_equal(n, 1000);
  for (size_t i = 0; i < n; ++i) {
    assert_int_equal(st[i], (int64_t)i);
    assert_true(v[i] == 0.1 * (double)i);
  }
  free(st);
  free(v);
  assert_int_equal(gv_runread_series(rr, "b", &st, &v, &n), GV_OK);
  assert_int_equal(n, 334);
  assert_true(v[333] == -999);
  free(st);
  free(v);
  assert_int_equal(gv_runread_series(rr, "nope", &st, &v, &n), GV_ENOTFOUND);
  double *m;
  int rank;
  size_t d[4];
  assert_int_equal(gv_runread_array(rr, "m", &m, &rank, d), GV_OK);
  assert_int_equal(rank, 2);
  assert_int_equal(d[1], 3);
  assert_memory_equal(m, arr, sizeof arr);
  free(m);
  double x;
  assert_int_equal(gv_runread_summary_real(rr, "x", &x), GV_OK);
  assert_true(x == 1.5);
  s = gv_runread_summary_str(rr, "v");
  assert_string_equal(s, "converges");
  free(s);
  gv_runread_close(rr);
}

static void test_not_a_run_file(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/plain.txt", dir);
  FILE *f = fopen(path, "w");
  fputs("hello\n", f);
  fclose(f);
  gv_runread *rr;
  gv_err err;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "not an HDF5 file"));
  assert_int_equal(gv_runread_open(&rr, "/nonexistent.h5", &err), GV_EINVAL);
}

/* The child writes 1000 steps with a flush every 100 and kills itself at
 * step 950, between two flushes. */
static void test_sigkill(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/killed.h5", dir);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    gv_run_info info = {"dirac", "killed", "", 1, 100, 0};
    gv_runfile *rf;
    gv_err err;
    if (gv_run_create(&rf, path, &info, &err) != GV_OK) _exit(3);
    int a = gv_run_series(rf, "a");
    for (int k = 0; k <= 1000; ++k) {
      gv_run_append(rf, a, k, k * 2.0);
      if (k == 950) raise(SIGKILL);
      gv_run_tick(rf, k);
    }
    _exit(4);
  }
  int st;
  waitpid(pid, &st, 0);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

  gv_runread *rr;
  gv_err err;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_OK);
  char *s = gv_runread_attr(rr, "status");
  assert_string_equal(s, "running"); /* it never finished */
  free(s);
  int64_t *steps;
  double *v;
  size_t n;
  assert_int_equal(gv_runread_series(rr, "a", &steps, &v, &n), GV_OK);
  assert_int_equal(n, 901); /* flushed at step 900 with points 0..900 */
  assert_int_equal(steps[900], 900);
  assert_true(v[900] == 1800.0);
  free(steps);
  free(v);
  gv_runread_close(rr);

  /* and h5py, what users' notebooks use, opens it too */
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import h5py,sys; f=h5py.File('%s','r'); "
           "s=f['series/a/step'][:]; sys.exit(0 if len(s)==901 and s[-1]==900 else 1)\"",
           path);
  assert_int_equal(system(cmd), 0);
}

/* gv_h5_probe's four answers, whatever libhdf5 does: the child's own status
 * and message, a child killed by a signal, one that never answers. */
static gv_status probe_ok(const char *path, void *arg, gv_err *err) {
  (void)path, (void)arg, (void)err;
  return GV_OK;
}
static gv_status probe_refuses(const char *path, void *arg, gv_err *err) {
  (void)arg;
  return gv_fail(err, GV_ECONFIG, "%s: refused in the child", path);
}
static gv_status probe_faults(const char *path, void *arg, gv_err *err) {
  (void)path, (void)arg, (void)err;
  raise(SIGSEGV);
  return GV_OK;
}
static gv_status probe_spins(const char *path, void *arg, gv_err *err) {
  (void)path, (void)arg, (void)err;
  for (volatile unsigned long i = 0;; i = i + 1) {}
  return GV_OK;
}
static gv_status probe_sleeps(const char *path, void *arg, gv_err *err) {
  (void)path, (void)arg, (void)err;
  for (;;) pause();
  return GV_OK;
}

static void test_probe(void **state) {
  (void)state;
  gv_err err = {{0}, {0}};
  assert_int_equal(gv_h5_probe("x.h5", probe_ok, NULL, &err), GV_OK);
  assert_int_equal(gv_h5_probe("x.h5", probe_refuses, NULL, &err), GV_ECONFIG);
  assert_string_equal(err.msg, "x.h5: refused in the child");
  assert_int_equal(gv_h5_probe("x.h5", probe_faults, NULL, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "x.h5: damaged: the HDF5 library crashed reading it"));
  setenv("GV_READ_TIMEOUT", "0.3", 1);
  /* a spin is a damaged file; a wait (blocked, stopped) is only "not read" */
  assert_int_equal(gv_h5_probe("x.h5", probe_spins, NULL, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "x.h5: damaged: the HDF5 library was still reading it "
                                  "after 0.3 s of CPU time"));
  assert_int_equal(gv_h5_probe("x.h5", probe_sleeps, NULL, &err), GV_EIO);
  assert_non_null(strstr(err.msg, "x.h5: not read: the HDF5 library read it for 3 s"));
  unsetenv("GV_READ_TIMEOUT");
}

/* A link to another file: the probe does not follow it, so the file is
 * refused (the parent would follow it into a file nobody probed). */
static void test_external_link(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/ext.h5", dir);
  gv_run_info info = {"dirac", "ext", "a: 1\n", 1, 10, 0};
  gv_runfile *rf;
  gv_err err;
  assert_int_equal(gv_run_create(&rf, path, &info, &err), GV_OK);
  assert_int_equal(gv_run_set_status(rf, "completed"), GV_OK);
  assert_int_equal(gv_run_close(rf), GV_OK);
  gv_runread *rr;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_OK);
  gv_runread_close(rr);
  const hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_true(H5Lcreate_external("/elsewhere.h5", "/g", f, "summary2", H5P_DEFAULT,
                                 H5P_DEFAULT) >= 0);
  H5Fclose(f);
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "/summary2: a link to another file (allowed: none"));
}

/* A run file whose global heap (where HDF5 keeps variable-length strings:
 * the status, name, config, summary verdicts) is overwritten, 64 bytes of
 * 0xff at every 16th offset.  libhdf5 1.10.8 itself segfaults or loops
 * forever on some of them; each open must still return, with GV_OK or a
 * message naming the file. */
static void test_damaged_heap(void **state) {
  (void)state;
  char path[128], bad[160];
  snprintf(path, sizeof path, "%s/heap.h5", dir);
  gv_run_info info = {"dirac", "heap", "game: dirac\ncontroller: none\n", 7, 10, 0};
  gv_runfile *rf;
  gv_err err;
  assert_int_equal(gv_run_create(&rf, path, &info, &err), GV_OK);
  const int a = gv_run_series(rf, "a");
  for (int k = 0; k < 50; ++k) gv_run_append(rf, a, k, k);
  assert_int_equal(gv_run_summary_str(rf, "verdict", "converges"), GV_OK);
  assert_int_equal(gv_run_summary_str(rf, "note", "a second string"), GV_OK);
  assert_int_equal(gv_run_set_status(rf, "completed"), GV_OK);
  assert_int_equal(gv_run_close(rf), GV_OK);

  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static unsigned char img[1 << 20];
  const size_t n = fread(img, 1, sizeof img, f);
  fclose(f);
  assert_true(n > 0 && n < sizeof img);
  size_t heap = 0;
  while (heap + 4 <= n && memcmp(img + heap, "GCOL", 4)) ++heap;
  assert_true(heap + 4 <= n); /* the file has a global heap */
  setenv("GV_READ_TIMEOUT", "0.5", 1);
  gv_runread *rr = NULL;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_OK); /* no false alarm */
  gv_runread_close(rr);
  int refused = 0, opened = 0, damaged = 0;
  static unsigned char first[1 << 20]; /* the first file found damaged */
  for (size_t off = heap; off < heap + 2048 && off + 64 <= n; off += 16) {
    static unsigned char dam[1 << 20];
    memcpy(dam, img, n);
    memset(dam + off, 0xff, 64);
    /* a file of its own: one rewritten in place within a clock tick, same
     * size, would look unchanged to the probe's memory (core/h5.h) */
    snprintf(bad, sizeof bad, "%s/heap+%zu.h5", dir, off - heap);
    f = fopen(bad, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(dam, 1, n, f), n);
    fclose(f);
    rr = NULL;
    memset(&err, 0, sizeof err);
    const gv_status st = gv_runread_open(&rr, bad, &err);
    if (st == GV_OK) {
      ++opened;
      gv_runread_close(rr);
      continue;
    }
    ++refused;
    if (strstr(err.msg, ": damaged: the HDF5 library") && !damaged++) memcpy(first, dam, n);
    assert_int_equal(st, GV_EINVAL);
    if (strncmp(err.msg, bad, strlen(bad))) fail_msg("offset %zu: %s", off - heap, err.msg);
  }
  print_message("damaged heap: %d opened, %d refused, %d of them as crashing or hanging "
                "libhdf5\n", opened, refused, damaged);
  assert_true(refused > 0);

  /* The probe remembers a file it read while it stays unchanged (device,
   * inode, size, modification time): the first damaged bytes written into
   * a probed file in place, its old times put back, read as probed; a new
   * modification time makes it read again.  (libhdf5 1.10 on Debian 12
   * crashes or hangs on 11 of the offsets above; a libhdf5 that survives
   * them all needs another damage here, not a skipped check.) */
  assert_true(damaged > 0);
  char memo[160];
  snprintf(memo, sizeof memo, "%s/memo.h5", dir);
  f = fopen(memo, "wb");
  assert_int_equal(fwrite(img, 1, n, f), n);
  fclose(f);
  assert_int_equal(gv_h5_probe_file(memo, &err), GV_OK);
  struct stat sb;
  assert_int_equal(stat(memo, &sb), 0);
  f = fopen(memo, "r+b");
  assert_int_equal(fwrite(first, 1, n, f), n);
  fclose(f);
  const struct timespec old[2] = {sb.st_atim, sb.st_mtim};
  assert_int_equal(utimensat(AT_FDCWD, memo, old, 0), 0);
  assert_int_equal(gv_h5_probe_file(memo, &err), GV_OK); /* remembered */
  const struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  assert_int_equal(utimensat(AT_FDCWD, memo, now, 0), 0);
  assert_int_equal(gv_h5_probe_file(memo, &err), GV_EINVAL); /* changed: read again */
  assert_non_null(strstr(err.msg, ": damaged: the HDF5 library"));
  unsetenv("GV_READ_TIMEOUT");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_not_a_run_file),
      cmocka_unit_test(test_sigkill),
      cmocka_unit_test(test_probe),
      cmocka_unit_test(test_external_link),
      cmocka_unit_test(test_damaged_heap),
  };
  return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
}
