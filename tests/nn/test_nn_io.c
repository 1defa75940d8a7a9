/* Save/load: bit-exact round trips in a standalone file and in groups of a
 * shared file (as in a run file), spec mismatch and missing groups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nn/io.h"
#include "nn_testutil.h"

static char path[512];

static void tmp_path(const char *tag) {
  const char *dir = getenv("GV_BUILD_DIR");
  snprintf(path, sizeof path, "%s/test_nn_io_%s_%ld.h5", dir ? dir : "/tmp", tag, (long)getpid());
}

static gv_nn *make(gv_nn_act act, int out_sigmoid, uint64_t seed) {
  gv_nn_spec s;
  gv_err err;
  const int hs[2] = {9, 4};
  assert_int_equal(gv_nn_spec_mlp(&s, 5, 2, hs, act, 1, GV_NN_ACT_LINEAR, &err), GV_OK);
  s.out_sigmoid = out_sigmoid;
  s.slope = 0.3f;
  gsl_rng *r = gv_rng_alloc(seed, "test_nn_io", 0);
  gv_nn *net = tu_net(&s, 1.0, r);
  gsl_rng_free(r);
  return net;
}

static void test_file_round_trip(void **state) {
  (void)state;
  tmp_path("file");
  gv_err err;
  gv_nn *a = make(GV_NN_ACT_LEAKY_RELU, 1, 1), *b = make(GV_NN_ACT_LEAKY_RELU, 1, 2);
  assert_memory_not_equal(a->param, b->param, a->nparam * sizeof(float));
  assert_int_equal(gv_nn_save_file(path, a, &err), GV_OK);
  assert_int_equal(gv_nn_load_file(b, path, &err), GV_OK);
  assert_memory_equal(a->param, b->param, a->nparam * sizeof(float));
  gv_nn *c = NULL;
  assert_int_equal(gv_nn_alloc_file(&c, path, &err), GV_OK);
  assert_true(gv_nn_spec_equal(&c->spec, &a->spec));
  assert_memory_equal(a->param, c->param, a->nparam * sizeof(float));
  assert_true(c->spec.slope == 0.3f && c->spec.out_sigmoid == 1);
  /* a net that differs only in the output sigmoid, or in the leaky slope,
   * is another net: the load is refused and leaves it as it was */
  gv_nn *d = make(GV_NN_ACT_LEAKY_RELU, 0, 3), *e = make(GV_NN_ACT_LEAKY_RELU, 1, 4);
  e->spec.slope = 0.2f;
  const float dk = d->param[0], ek = e->param[0];
  assert_int_equal(gv_nn_load_file(d, path, &err), GV_EINVAL);
  assert_int_equal(gv_nn_load_file(e, path, &err), GV_EINVAL);
  assert_true(d->param[0] == dk && e->param[0] == ek);
  gv_nn_free(a);
  gv_nn_free(b);
  gv_nn_free(c);
  gv_nn_free(d);
  gv_nn_free(e);
  remove(path);
}

static void test_groups_and_mismatch(void **state) {
  (void)state;
  tmp_path("groups");
  gv_err err;
  gv_nn *pol = make(GV_NN_ACT_TANH, 0, 3), *disc = make(GV_NN_ACT_RELU, 1, 4);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_int_equal(gv_nn_save(f, "policy", pol, &err), GV_OK);
  assert_int_equal(gv_nn_save(f, "checkpoint/discriminator", disc, &err), GV_OK);
  /* saving again replaces: the second save's parameters are the ones read */
  const float first = pol->param[0];
  pol->param[0] = first + 1.0f;
  assert_int_equal(gv_nn_save(f, "policy", pol, &err), GV_OK);
  H5Fclose(f);

  gv_nn *pol2 = make(GV_NN_ACT_TANH, 0, 5), *disc2 = make(GV_NN_ACT_RELU, 1, 6);
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_int_equal(gv_nn_load(pol2, f, "/policy", &err), GV_OK);
  assert_int_equal(gv_nn_load(disc2, f, "checkpoint/discriminator", &err), GV_OK);
  assert_memory_equal(pol->param, pol2->param, pol->nparam * sizeof(float));
  assert_true(pol2->param[0] == first + 1.0f);
  assert_memory_equal(disc->param, disc2->param, disc->nparam * sizeof(float));

  /* the tanh policy into the relu net: refused, both specs named */
  memset(err.msg, 0, sizeof err.msg);
  const float keep = disc2->param[0];
  assert_int_equal(gv_nn_load(disc2, f, "policy", &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "5-9-4-1 tanh,tanh,linear"));
  assert_non_null(strstr(err.msg, "relu"));
  assert_true(disc2->param[0] == keep);
  /* different sizes */
  gv_nn_spec s = pol->spec;
  s.size[1] = 10;
  gv_nn *wide = NULL;
  gv_nn_alloc(&wide, &s, &err);
  assert_int_equal(gv_nn_load(wide, f, "policy", &err), GV_EINVAL);
  /* missing group */
  assert_int_equal(gv_nn_load(pol2, f, "critic", &err), GV_ENOTFOUND);
  assert_int_equal(gv_nn_load(pol2, f, "no/such/path", &err), GV_ENOTFOUND);
  gv_nn_spec got;
  assert_int_equal(gv_nn_load_spec(&got, f, "policy", &err), GV_OK);
  assert_true(gv_nn_spec_equal(&got, &pol->spec));
  H5Fclose(f);
  gv_nn_free(pol);
  gv_nn_free(disc);
  gv_nn_free(pol2);
  gv_nn_free(disc2);
  gv_nn_free(wide);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_round_trip),
      cmocka_unit_test(test_groups_and_mismatch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
