/* Helpers shared by the agent tests: whole runs from config text, and their
 * run files read back.  Include after <cmocka.h> (the readers assert). */
#ifndef GV_TESTS_AGENT_TEST_UTIL_H
#define GV_TESTS_AGENT_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "nn/mlp.h"

/* Parses text, checks it and runs it into path, as `governor run` would;
 * returns the status (err says why). */
static inline gv_status at_run_text(const char *text, const char *path, gv_err *err) {
  gv_node *root = NULL;
  gv_status st = gv_cfg_parse_string(text, "test.yaml", &root, err);
  const gv_experiment *exp = NULL;
  if (!st) st = gv_exp_find(root, "test.yaml", &exp, err);
  if (!st) st = exp->check(root, "test.yaml", err);
  if (!st) st = exp->run(root, "test.yaml", path, 0, err);
  gv_node_free(root);
  return st;
}

/* The series `name` of the run file at path: its values (the caller frees
 * them), its length in *n and, when steps is not NULL, its steps. */
static inline double *at_series(const char *path, const char *name, int64_t **steps,
                                size_t *n) {
  gv_runread *rr;
  gv_err err;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_OK);
  int64_t *s = NULL;
  double *v = NULL;
  assert_int_equal(gv_runread_series(rr, name, &s, &v, n), GV_OK);
  if (steps) *steps = s;
  else free(s);
  gv_runread_close(rr);
  return v;
}

/* The /summary attribute `key` of the run file at path. */
static inline double at_summary(const char *path, const char *key) {
  gv_runread *rr;
  gv_err err;
  assert_int_equal(gv_runread_open(&rr, path, &err), GV_OK);
  double v = NAN;
  assert_int_equal(gv_runread_summary_real(rr, key, &v), GV_OK);
  gv_runread_close(rr);
  return v;
}

/* The raw bytes of the steps and values of each named series (names ends
 * with NULL; each must be present and non-empty), one after the other, for
 * bitwise comparison of two runs.  The caller frees *out. */
static inline void at_series_bytes(const char *path, const char *const *names, char **out,
                                   size_t *n) {
  size_t total = 0;
  char *buf = NULL;
  for (int i = 0; names[i]; ++i) {
    int64_t *st = NULL;
    size_t m = 0;
    double *v = at_series(path, names[i], &st, &m);
    assert_true(m > 0);
    char *grown = realloc(buf, total + m * 16);
    assert_non_null(grown);
    buf = grown;
    memcpy(buf + total, st, m * 8);
    memcpy(buf + total + m * 8, v, m * 8);
    total += m * 16;
    free(st);
    free(v);
  }
  *out = buf;
  *n = total;
}

/* A copy of a network's parameters (the caller frees it), and whether the
 * network still holds exactly those. */
static inline float *at_snap(const gv_nn *net) {
  float *c = malloc(net->nparam * sizeof(float));
  assert_non_null(c);
  memcpy(c, net->param, net->nparam * sizeof(float));
  return c;
}

static inline int at_same(const gv_nn *net, const float *c) {
  return !memcmp(net->param, c, net->nparam * sizeof(float));
}

/* max |M M^T - s^2 I| over an r x c row-major M with r <= c (rows), or
 * |M^T M - s^2 I| with r > c (columns): 0 for an orthogonal init of gain s. */
static inline double at_orth_err(const float *m, int r, int c, double s) {
  const int k = r <= c ? r : c;
  double e = 0.0;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      double d = 0.0;
      if (r <= c)
        for (int t = 0; t < c; ++t) d += (double)m[(size_t)i * c + t] * m[(size_t)j * c + t];
      else
        for (int t = 0; t < r; ++t) d += (double)m[(size_t)t * c + i] * m[(size_t)t * c + j];
      d -= i == j ? s * s : 0.0;
      e = fmax(e, fabs(d));
    }
  return e;
}

#endif
