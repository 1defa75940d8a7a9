/* core/h5.c: checked reads refuse the wrong class, rank or size with a
 * message naming the object, and writes round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/h5.h"

static char path[64];

static int setup(void **state) {
  snprintf(path, sizeof path, "/tmp/gv-test-h5-%ld.h5", (long)getpid());
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return -1;
  *state = malloc(sizeof(hid_t));
  *(hid_t *)*state = f;
  return 0;
}

static int teardown(void **state) {
  H5Fclose(*(hid_t *)*state);
  free(*state);
  unlink(path);
  return 0;
}

static void test_round_trip(void **state) {
  hid_t f = *(hid_t *)*state;
  gv_err err = {{0}, {0}};
  const double x[3] = {1, 2, 3};
  const int64_t k = -7;
  assert_int_equal(gv_h5_put_str(f, "s", "hello"), GV_OK);
  assert_int_equal(gv_h5_put_str(f, "s", "again"), GV_OK); /* replaced */
  assert_int_equal(gv_h5_put_num(f, "v", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, x), GV_OK);
  assert_int_equal(gv_h5_put_num(f, "k", H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &k), GV_OK);
  assert_int_equal(gv_h5_put_str_dset(f, "text", "a: 1\n"), GV_OK);
  char *s;
  assert_int_equal(gv_h5_get_str(f, "s", &s, &err), GV_OK);
  assert_string_equal(s, "again");
  free(s);
  double y[3];
  assert_int_equal(gv_h5_get_num(f, "v", H5T_NATIVE_DOUBLE, 3, y, &err), GV_OK);
  assert_memory_equal(x, y, sizeof x);
  double kd;
  assert_int_equal(gv_h5_get_num(f, "k", H5T_NATIVE_DOUBLE, 0, &kd, &err), GV_OK);
  assert_true(kd == -7.0);
  assert_int_equal(gv_h5_get_text(f, "k", &s, &err), GV_OK);
  assert_string_equal(s, "-7");
  free(s);
  assert_int_equal(gv_h5_read_str_dset(f, "text", &s, &err), GV_OK);
  assert_string_equal(s, "a: 1\n");
  free(s);
  size_t n;
  assert_int_equal(gv_h5_num_len(f, "v", &n, &err), GV_OK);
  assert_int_equal(n, 3);
}

static void test_refusals(void **state) {
  hid_t f = *(hid_t *)*state;
  gv_err err = {{0}, {0}};
  double big[4096] = {0};
  assert_int_equal(gv_h5_put_num(f, "kind", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4096, big), GV_OK);
  char *s = (char *)1;
  /* the defect that crashed analyze: an array read as a scalar */
  assert_int_equal(gv_h5_get_str(f, "kind", &s, &err), GV_EINVAL);
  assert_null(s);
  assert_string_equal(err.msg, "/: attribute kind: expected a scalar string, found a float array "
                               "of 4096");
  double one;
  assert_int_equal(gv_h5_get_num(f, "kind", H5T_NATIVE_DOUBLE, 0, &one, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "expected a scalar number"));
  assert_int_equal(gv_h5_get_text(f, "kind", &s, &err), GV_EINVAL);
  /* a string where a number is expected, and the other way round */
  assert_int_equal(gv_h5_put_str(f, "x", "many"), GV_OK);
  assert_int_equal(gv_h5_get_num(f, "x", H5T_NATIVE_DOUBLE, 0, &one, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "found a string scalar"));
  assert_int_equal(gv_h5_put_num(f, "y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &one), GV_OK);
  assert_int_equal(gv_h5_get_str(f, "y", &s, &err), GV_EINVAL);
  /* absent: ENOTFOUND; too long for the buffer: EINVAL, not truncated */
  assert_int_equal(gv_h5_get_str(f, "nope", &s, &err), GV_ENOTFOUND);
  char small[4];
  assert_int_equal(gv_h5_get_strbuf(f, "x", small, sizeof small, &err), GV_EINVAL);
  assert_string_equal(small, "");
  /* datasets: rank and class */
  const float m[6] = {1, 2, 3, 4, 5, 6};
  assert_int_equal(gv_h5_put_dset(f, "m", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, 3, m), GV_OK);
  void *buf;
  int rank;
  size_t dims[4];
  assert_int_equal(gv_h5_read_dset(f, "m", H5T_NATIVE_DOUBLE, 8, 1, 1, &buf, &rank, dims, &err),
                   GV_EINVAL);
  assert_null(buf);
  assert_non_null(strstr(err.msg, "/m: expected numbers of rank 1"));
  assert_int_equal(gv_h5_read_dset(f, "m", H5T_NATIVE_DOUBLE, 8, 2, 2, &buf, &rank, dims, &err),
                   GV_OK);
  assert_int_equal(rank, 2);
  assert_int_equal(dims[0], 2);
  assert_int_equal(dims[1], 3);
  assert_true(((double *)buf)[5] == 6.0);
  free(buf);
  assert_int_equal(gv_h5_read_str_dset(f, "m", &s, &err), GV_EINVAL);
  assert_int_equal(gv_h5_read_dset(f, "text", H5T_NATIVE_DOUBLE, 8, 0, 4, &buf, &rank, dims,
                                   &err),
                   GV_EINVAL);
  /* a group is not a dataset */
  hid_t g = H5Gcreate2(f, "grp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(g);
  assert_int_equal(gv_h5_read_str_dset(f, "grp", &s, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "not a dataset"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
