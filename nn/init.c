/* Initialisers (formulas and references in nn/init.h).
 *
 * This file uses GSL's linear algebra, whose headers include gsl_cblas.h:
 * it must never include <cblas.h> (OpenBLAS's declarations clash with GSL's),
 * which is why the initialisers live apart from mlp.c. */
#include "nn/init.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"

static const char *const init_names[GV_NN_INIT_COUNT] = {
    "orthogonal", "xavier_uniform", "xavier_normal", "he_uniform", "he_normal"};

const char *gv_nn_init_name(gv_nn_init_kind kind) {
  return (unsigned)kind < GV_NN_INIT_COUNT ? init_names[kind] : "?";
}

gv_nn_init_kind gv_nn_init_parse(const char *name) {
  for (int i = 0; i < GV_NN_INIT_COUNT; ++i)
    if (name && strcmp(name, init_names[i]) == 0) return (gv_nn_init_kind)i;
  return GV_NN_INIT_COUNT;
}

/* gain * (Haar-orthogonal rows x cols).  Draws a Gaussian A of shape
 * max x min (row-major, in that order), A = QR, Q <- Q diag(sign(diag R)) so
 * the factorisation is unique and Q uniform (without the correction Q is
 * biased by the QR convention); the result is Q, or Q^T for a wide matrix. */
static gv_status init_orthogonal(float *w, int rows, int cols, double gain, gsl_rng *rng,
                                 gv_err *err) {
  const int wide = rows < cols;
  const size_t M = (size_t)(wide ? cols : rows), N = (size_t)(wide ? rows : cols);
  gsl_matrix *A = gsl_matrix_alloc(M, N), *Q = gsl_matrix_alloc(M, M),
             *R = gsl_matrix_alloc(M, N);
  gsl_vector *tau = gsl_vector_alloc(N);
  gv_status st = GV_OK;
  if (!A || !Q || !R || !tau) {
    st = gv_fail(err, GV_ENOMEM, "nn init: out of memory for a %zu x %zu QR", M, N);
    goto done;
  }
  for (size_t i = 0; i < M; ++i)
    for (size_t j = 0; j < N; ++j) gsl_matrix_set(A, i, j, gv_rng_normal(rng));
  /* GSL's error handler aborts by default; QR of an M x N matrix with M >= N
   * can not fail for size reasons, and a rank-deficient draw (probability 0)
   * still yields an orthogonal Q */
  gsl_linalg_QR_decomp(A, tau);
  gsl_linalg_QR_unpack(A, tau, Q, R);
  for (size_t j = 0; j < N; ++j) {
    const double d = gsl_matrix_get(R, j, j);
    const double sgn = d < 0.0 ? -1.0 : 1.0;
    for (size_t i = 0; i < M; ++i) {
      const float q = (float)(gain * sgn * gsl_matrix_get(Q, i, j));
      /* Q's first N columns are orthonormal: tall W = Q, wide W = Q^T */
      if (wide)
        w[j * (size_t)cols + i] = q;
      else
        w[i * (size_t)cols + j] = q;
    }
  }
done:
  gsl_matrix_free(A);
  gsl_matrix_free(Q);
  gsl_matrix_free(R);
  gsl_vector_free(tau);
  return st;
}

gv_status gv_nn_init_matrix(float *w, int rows, int cols, gv_nn_init_kind kind, double gain,
                            gsl_rng *rng, gv_err *err) {
  if (rows < 1 || cols < 1)
    return gv_fail(err, GV_EINVAL, "nn init: matrix %d x %d", rows, cols);
  if (!isfinite(gain)) return gv_fail(err, GV_EINVAL, "nn init: gain %g", gain);
  const size_t n = (size_t)rows * (size_t)cols;
  const double fan_in = cols, fan_out = rows;
  switch (kind) {
    case GV_NN_INIT_ORTHOGONAL: return init_orthogonal(w, rows, cols, gain, rng, err);
    case GV_NN_INIT_XAVIER_UNIFORM:
    case GV_NN_INIT_HE_UNIFORM: {
      const double a = kind == GV_NN_INIT_XAVIER_UNIFORM
                           ? gain * sqrt(6.0 / (fan_in + fan_out))
                           : gain * sqrt(3.0 / fan_in);
      for (size_t k = 0; k < n; ++k) w[k] = (float)(a * (2.0 * gsl_rng_uniform(rng) - 1.0));
      return GV_OK;
    }
    case GV_NN_INIT_XAVIER_NORMAL:
    case GV_NN_INIT_HE_NORMAL: {
      const double sd = kind == GV_NN_INIT_XAVIER_NORMAL ? gain * sqrt(2.0 / (fan_in + fan_out))
                                                         : gain / sqrt(fan_in);
      for (size_t k = 0; k < n; ++k) w[k] = (float)(sd * gv_rng_normal(rng));
      return GV_OK;
    }
    default:
      return gv_fail(err, GV_EINVAL,
                     "nn init: kind %d (allowed: orthogonal, xavier_uniform, xavier_normal, "
                     "he_uniform, he_normal)",
                     (int)kind);
  }
}

gv_status gv_nn_init_layer(gv_nn *net, int l, gv_nn_init_kind kind, double gain, gsl_rng *rng,
                           gv_err *err) {
  if (l < 0 || l >= net->spec.nlayer)
    return gv_fail(err, GV_EINVAL, "nn init: layer %d (allowed: 0..%d)", l,
                   net->spec.nlayer - 1);
  const int rows = net->spec.size[l + 1], cols = net->spec.size[l];
  gv_status st = gv_nn_init_matrix(gv_nn_W(net, l), rows, cols, kind, gain, rng, err);
  if (st) return st;
  memset(gv_nn_b(net, l), 0, (size_t)rows * sizeof(float));
  return GV_OK;
}

gv_status gv_nn_init_params(gv_nn *net, gv_nn_init_kind kind, double gain, double out_gain,
                            gsl_rng *rng, gv_err *err) {
  const int L = net->spec.nlayer;
  for (int l = 0; l < L; ++l) {
    gv_status st = gv_nn_init_layer(net, l, kind, l == L - 1 ? out_gain : gain, rng, err);
    if (st) return st;
  }
  return GV_OK;
}
