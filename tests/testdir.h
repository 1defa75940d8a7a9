/* A scratch directory for a group of cmocka tests: made by the group's setup
 * under $TMPDIR (or /tmp), removed with everything in it by its teardown.
 *
 *   GV_TESTDIR_GROUP(dir, "runfile")   (at file scope: dir, and the two below)
 *   ...
 *   return cmocka_run_group_tests(tests, gv_testdir_setup, gv_testdir_teardown);
 *
 * Removal walks the tree itself (no shell), does not follow symbolic links,
 * and leaves nothing outside dir.  $TMPDIR must be short (the tests' path
 * buffers) and plain (some tests pass paths to a shell). */
#ifndef GV_TESTS_TESTDIR_H
#define GV_TESTS_TESTDIR_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* small, so a test's own path buffers ("%s/name.h5" in 128 bytes) cannot
 * truncate; a longer $TMPDIR is refused with a message */
#define GV_TESTDIR_SIZE 64

/* dir (GV_TESTDIR_SIZE bytes) becomes a new directory named gv-NAME-XXXXXX;
 * 0, or -1 with a message on stderr.  Some tests put the path into shell
 * commands, so $TMPDIR may hold only letters, digits and / . _ - */
static inline int gv_testdir_make(char *dir, const char *name) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  dir[0] = '\0';
  if (base[strspn(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-")]) {
    fprintf(stderr, "TMPDIR %s: allowed letters, digits and / . _ -\n", base);
    return -1;
  }
  int n = snprintf(dir, GV_TESTDIR_SIZE, "%s/gv-%s-XXXXXX", base, name);
  if (n < 0 || n >= GV_TESTDIR_SIZE) {
    fprintf(stderr, "TMPDIR %s: too long for the tests' paths (%s/gv-%s-XXXXXX at most %d bytes)\n",
            base, base, name, GV_TESTDIR_SIZE - 1);
    dir[0] = '\0';
    return -1;
  }
  if (!mkdtemp(dir)) {
    fprintf(stderr, "cannot make a scratch directory gv-%s-XXXXXX under %s: %s\n", name, base,
            strerror(errno));
    dir[0] = '\0';
    return -1;
  }
  return 0;
}

static inline int gv_testdir_unlink(const char *path, const struct stat *st, int type,
                                    struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  if (remove(path) != 0) {
    perror(path);
    return -1;
  }
  return 0;
}

/* removes dir and everything in it (nothing if it was never made); 0 or -1 */
static inline int gv_testdir_remove(const char *dir) {
  if (!dir[0]) return 0;
  return nftw(dir, gv_testdir_unlink, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* At file scope: the file's scratch directory VAR (named gv-NAME-XXXXXX) and
 * the cmocka group setup and teardown that make and remove it. */
#define GV_TESTDIR_GROUP(var, name)                                                       \
  static char var[GV_TESTDIR_SIZE];                                                        \
  static int gv_testdir_setup(void **state) {                                              \
    (void)state;                                                                           \
    return gv_testdir_make(var, name);                                                     \
  }                                                                                        \
  static int gv_testdir_teardown(void **state) {                                           \
    (void)state;                                                                           \
    return gv_testdir_remove(var);                                                         \
  }

#endif
