/* Running statistics, the diagonal Gaussian and the policy group
 * (agents/policy.h). */
#include "agents/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/h5.h"
#include "core/checkpoint.h"
#include "nn/io.h"
#include "nn/optim.h"

/* ------------------------------------------------------------ running stats */

gv_status gv_rms_alloc(gv_rms **out, int dim, double count0, gv_err *err) {
  *out = NULL;
  if (dim < 1) return gv_fail(err, GV_EINVAL, "rms: dimension %d (allowed: >= 1)", dim);
  gv_rms *r = calloc(1, sizeof *r + 2 * (size_t)dim * sizeof(double));
  if (!r) return gv_fail(err, GV_ENOMEM, "rms: out of memory");
  r->dim = dim;
  r->mean = (double *)(r + 1);
  r->var = r->mean + dim;
  gv_rms_reset(r, count0);
  *out = r;
  return GV_OK;
}

void gv_rms_free(gv_rms *rms) { free(rms); }

void gv_rms_reset(gv_rms *r, double count0) {
  r->count = count0;
  for (int j = 0; j < r->dim; ++j) {
    r->mean[j] = 0.0;
    r->var[j] = 1.0;
  }
}

void gv_rms_update(gv_rms *r, const double *x, int n) {
  if (n < 1) return;
  const int d = r->dim;
  const double bc = (double)n, tot = r->count + bc;
  for (int j = 0; j < d; ++j) {
    /* two passes over the batch: mean, then the centred sum of squares */
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += x[(size_t)i * d + j];
    const double bm = s / bc;
    double m2b = 0.0;
    for (int i = 0; i < n; ++i) {
      const double e = x[(size_t)i * d + j] - bm;
      m2b += e * e;
    }
    /* Chan et al.: M2 = M2_a + M2_b + delta^2 n_a n_b / (n_a + n_b) */
    const double delta = bm - r->mean[j];
    const double m2 = r->var[j] * r->count + m2b + delta * delta * r->count * bc / tot;
    r->mean[j] += delta * bc / tot;
    r->var[j] = m2 / tot;
  }
  r->count = tot;
}

void gv_rms_normalize(float *out, const gv_rms *r, const double *x, int n, double eps,
                      double clip) {
  const int d = r->dim;
  for (int j = 0; j < d; ++j) {
    const double m = r->mean[j], inv = 1.0 / sqrt(r->var[j] + eps);
    for (int i = 0; i < n; ++i) {
      double z = (x[(size_t)i * d + j] - m) * inv;
      z = z < -clip ? -clip : z > clip ? clip : z;
      out[(size_t)i * d + j] = (float)z;
    }
  }
}

/* ------------------------------------------------------------- Gaussian */

static const double half_log_2pi = 0.91893853320467274178;

double gv_gauss_logp(const float *a, const float *mu, const float *log_std, int dim) {
  double lp = 0.0;
  for (int j = 0; j < dim; ++j) {
    const double z = ((double)a[j] - mu[j]) * exp(-(double)log_std[j]);
    lp += -0.5 * z * z - log_std[j] - half_log_2pi;
  }
  return lp;
}

double gv_gauss_entropy(const float *log_std, int dim) {
  double h = 0.0;
  for (int j = 0; j < dim; ++j) h += 0.5 + half_log_2pi + log_std[j];
  return h;
}

/* --------------------------------------------------------------- policy */

gv_status gv_policy_alloc(gv_policy **out, const gv_nn_spec *spec, const char *env,
                          double act_low, double act_high, double count0, gv_err *err) {
  *out = NULL;
  gv_policy *pi = calloc(1, sizeof *pi);
  if (!pi) return gv_fail(err, GV_ENOMEM, "policy: out of memory");
  pi->obs_dim = spec->size[0];
  pi->act_dim = spec->size[spec->nlayer];
  pi->act_low = act_low;
  pi->act_high = act_high;
  pi->norm_obs = 1;
  pi->obs_eps = 1e-8;
  pi->clip_obs = 10.0;
  pi->steps = -1;
  pi->env_cfrc = 1;
  snprintf(pi->env, sizeof pi->env, "%s", env ? env : "");
  gv_status st = gv_nn_alloc(&pi->actor, spec, err);
  if (!st) st = gv_rms_alloc(&pi->obs_rms, pi->obs_dim, count0, err);
  if (!st && !(pi->log_std = calloc((size_t)pi->act_dim, sizeof(float))))
    st = gv_fail(err, GV_ENOMEM, "policy: out of memory");
  if (st) {
    gv_policy_free(pi);
    return st;
  }
  *out = pi;
  return GV_OK;
}

void gv_policy_free(gv_policy *pi) {
  if (!pi) return;
  gv_nn_free(pi->actor);
  gv_rms_free(pi->obs_rms);
  free(pi->log_std);
  free(pi->env_config);
  free(pi);
}

gv_status gv_policy_set_env_config(gv_policy *pi, const char *text) {
  if (pi->env_config == text) return GV_OK;
  free(pi->env_config);
  pi->env_config = NULL;
  if (!text || !*text) return GV_OK;
  return (pi->env_config = strdup(text)) ? GV_OK : GV_ENOMEM;
}

gv_status gv_policy_copy(gv_policy *dst, const gv_policy *src) {
  if (dst->obs_dim != src->obs_dim || dst->act_dim != src->act_dim) return GV_EINVAL;
  gv_status st = gv_nn_copy(dst->actor, src->actor);
  if (st) return st;
  memcpy(dst->log_std, src->log_std, (size_t)src->act_dim * sizeof(float));
  dst->obs_rms->count = src->obs_rms->count;
  memcpy(dst->obs_rms->mean, src->obs_rms->mean, (size_t)src->obs_dim * sizeof(double));
  memcpy(dst->obs_rms->var, src->obs_rms->var, (size_t)src->obs_dim * sizeof(double));
  dst->kind = src->kind;
  dst->act_low = src->act_low;
  dst->act_high = src->act_high;
  dst->norm_obs = src->norm_obs;
  dst->obs_eps = src->obs_eps;
  dst->clip_obs = src->clip_obs;
  dst->steps = src->steps;
  memcpy(dst->env, src->env, sizeof dst->env);
  dst->env_cfrc = src->env_cfrc;
  return gv_policy_set_env_config(dst, src->env_config);
}

void gv_policy_obs(float *out, const gv_policy *pi, const double *obs, int n) {
  if (pi->norm_obs) {
    gv_rms_normalize(out, pi->obs_rms, obs, n, pi->obs_eps, pi->clip_obs);
  } else {
    const size_t m = (size_t)n * pi->obs_dim;
    for (size_t k = 0; k < m; ++k) out[k] = (float)obs[k];
  }
}

gv_status gv_policy_act_mean(double *act, const gv_policy *pi, gv_nn_ws *ws, float *xbuf,
                             const double *obs, int n) {
  gv_policy_obs(xbuf, pi, obs, n);
  gv_status st = gv_nn_forward(ws, pi->actor, xbuf, n);
  if (st) return st;
  const size_t m = (size_t)n * pi->act_dim;
  const int det = pi->kind == GV_POLICY_DETERMINISTIC;
  const double mid = 0.5 * (pi->act_low + pi->act_high), half = 0.5 * (pi->act_high - pi->act_low);
  for (size_t k = 0; k < m; ++k) {
    double a = det ? mid + half * (double)ws->out[k] : ws->out[k];
    /* NaN stays NaN: the env rejects it and the caller reports it */
    act[k] = a < pi->act_low ? pi->act_low : a > pi->act_high ? pi->act_high : a;
  }
  return GV_OK;
}

uint64_t gv_fnv1a64(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t gv_policy_hash(const gv_policy *pi) {
  uint64_t h = GV_FNV1A64_INIT;
  const gv_nn_spec *s = &pi->actor->spec;
  int32_t v;
  for (int l = 0; l <= s->nlayer; ++l) {
    v = s->size[l];
    h = gv_fnv1a64(h, &v, sizeof v);
  }
  v = s->nlayer;
  h = gv_fnv1a64(h, &v, sizeof v);
  h = gv_fnv1a64(h, pi->actor->param, pi->actor->nparam * sizeof(float));
  if (pi->kind == GV_POLICY_GAUSSIAN)
    h = gv_fnv1a64(h, pi->log_std, (size_t)pi->act_dim * sizeof(float));
  if (pi->norm_obs) {
    h = gv_fnv1a64(h, pi->obs_rms->mean, (size_t)pi->obs_dim * sizeof(double));
    h = gv_fnv1a64(h, pi->obs_rms->var, (size_t)pi->obs_dim * sizeof(double));
  }
  return h;
}

/* -------------------------------------------------------------- HDF5 */

static int put_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v) {
  return gv_h5_put_num(obj, name, ftype, mtype, 0, v) != GV_OK;
}

static int put_vec(hid_t g, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                   const void *data) {
  return gv_h5_put_dset(g, name, ftype, mtype, (size_t)n, 0, data) != GV_OK;
}

/* A dataset of exactly n numbers into data. */
static gv_status get_vec(hid_t g, const char *name, hid_t mtype, size_t elem, size_t n,
                         void *data, gv_err *err) {
  void *buf;
  int rank;
  size_t dims[4];
  gv_status st = gv_h5_read_dset(g, name, mtype, elem, 1, 1, &buf, &rank, dims, err);
  if (st) return st;
  if (dims[0] != n)
    st = gv_fail(err, GV_EINVAL, "policy load: %s: %zu numbers, expected %zu", name, dims[0], n);
  else memcpy(data, buf, n * elem);
  free(buf);
  return st;
}

static int all_finite(const double *x, int n, double lo) {
  for (int i = 0; i < n; ++i)
    if (!isfinite(x[i]) || x[i] < lo) return 0;
  return 1;
}

/* The values of a loaded policy: everything act() uses is finite and in
 * range, so a hostile file cannot make NaN actions or divide by zero. */
static gv_status check_loaded(const gv_policy *pi, const char *name, gv_err *err) {
  const int det = pi->kind == GV_POLICY_DETERMINISTIC;
  for (int j = 0; !det && j < pi->act_dim; ++j)
    if (!isfinite(pi->log_std[j]))
      return gv_fail(err, GV_EINVAL, "policy load: %s/log_std: not finite", name);
  for (size_t i = 0; i < pi->actor->nparam; ++i)
    if (!isfinite(pi->actor->param[i]))
      return gv_fail(err, GV_EINVAL, "policy load: %s/actor/param: not finite", name);
  if (!all_finite(pi->obs_rms->mean, pi->obs_dim, -INFINITY) ||
      !all_finite(pi->obs_rms->var, pi->obs_dim, 0.0))
    return gv_fail(err, GV_EINVAL, "policy load: %s: obs_mean / obs_var not finite or a "
                   "variance below 0", name);
  if (!isfinite(pi->obs_rms->count) || pi->obs_rms->count < 0 || !isfinite(pi->obs_eps) ||
      pi->obs_eps <= 0 || !(pi->clip_obs > 0) || (pi->norm_obs != 0 && pi->norm_obs != 1))
    return gv_fail(err, GV_EINVAL, "policy load: %s: obs_count %g, obs_eps %g, clip_obs %g, "
                   "norm_obs %d (allowed: count >= 0, eps > 0, clip > 0, norm 0 or 1)", name,
                   pi->obs_rms->count, pi->obs_eps, pi->clip_obs, pi->norm_obs);
  return GV_OK;
}

gv_status gv_policy_save(hid_t loc, const char *name, const gv_policy *pi, gv_err *err) {
  htri_t exists = 0;
  H5E_BEGIN_TRY { exists = H5Lexists(loc, name, H5P_DEFAULT); }
  H5E_END_TRY;
  if (exists > 0 && H5Ldelete(loc, name, H5P_DEFAULT) < 0)
    return gv_fail(err, GV_EIO, "policy save: can not replace %s", name);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t g = H5Gcreate2(loc, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  if (g < 0) return gv_fail(err, GV_EIO, "policy save: can not create group %s", name);
  gv_status st = gv_nn_save(g, "actor", pi->actor, err);
  char hash[32];
  snprintf(hash, sizeof hash, "fnv1a64:%016llx", (unsigned long long)gv_policy_hash(pi));
  const int norm = pi->norm_obs, det = pi->kind == GV_POLICY_DETERMINISTIC;
  const int64_t steps = pi->steps;
  if (!st && ((!det && put_vec(g, "log_std", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                               (hsize_t)pi->act_dim, pi->log_std)) ||
              put_vec(g, "obs_mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)pi->obs_dim,
                      pi->obs_rms->mean) ||
              put_vec(g, "obs_var", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)pi->obs_dim,
                      pi->obs_rms->var) ||
              gv_h5_put_str(g, "format", det ? GV_POLICY_FORMAT_DET : GV_POLICY_FORMAT) ||
              gv_h5_put_str(g, "env", pi->env) ||
              gv_h5_put_str(g, "hash", hash) ||
              put_attr(g, "obs_count", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &pi->obs_rms->count) ||
              put_attr(g, "obs_eps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &pi->obs_eps) ||
              put_attr(g, "clip_obs", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &pi->clip_obs) ||
              put_attr(g, "norm_obs", H5T_STD_I32LE, H5T_NATIVE_INT, &norm) ||
              put_attr(g, "act_low", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &pi->act_low) ||
              put_attr(g, "act_high", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &pi->act_high) ||
              put_attr(g, "steps", H5T_STD_I64LE, H5T_NATIVE_INT64, &steps) ||
              (!pi->env_cfrc && put_attr(g, "include_cfrc_ext_in_observation", H5T_STD_I32LE,
                                         H5T_NATIVE_INT, &pi->env_cfrc)) ||
              (pi->env_config && gv_h5_put_str(g, "env_config", pi->env_config))))
    st = gv_fail(err, GV_EIO, "policy save: can not write %s", name);
  H5Gclose(g);
  return st;
}

/* An optional scalar attribute: absent leaves *v as is. */
static gv_status get_opt(hid_t g, const char *name, hid_t mtype, void *v, gv_err *err) {
  gv_status st = gv_h5_get_num(g, name, mtype, 0, v, err);
  return st == GV_ENOTFOUND ? GV_OK : st;
}

gv_status gv_policy_load(gv_policy **out, hid_t loc, const char *name, gv_err *err) {
  *out = NULL;
  hid_t g = -1;
  gv_h5_quiet();
  H5E_BEGIN_TRY { g = H5Gopen2(loc, name, H5P_DEFAULT); }
  H5E_END_TRY;
  if (g < 0) return gv_fail(err, GV_ENOTFOUND, "policy load: no group %s", name);
  char fmt[64] = "", env[64] = "";
  gv_nn_spec spec;
  gv_err why = {{0}, {0}};
  gv_status st = gv_h5_get_strbuf(g, "format", fmt, sizeof fmt, &why);
  if (st || (strcmp(fmt, GV_POLICY_FORMAT) && strcmp(fmt, GV_POLICY_FORMAT_DET))) {
    st = gv_fail(err, GV_EINVAL, "policy load: %s is not a policy group (format '%s', "
                 "expected '%s' or '%s')%s%s", name, fmt, GV_POLICY_FORMAT,
                 GV_POLICY_FORMAT_DET, st ? ": " : "", st ? why.msg : "");
    goto done;
  }
  const int det = !strcmp(fmt, GV_POLICY_FORMAT_DET);
  st = gv_h5_get_strbuf(g, "env", env, sizeof env, err);
  if (st && st != GV_ENOTFOUND) goto done;
  if ((st = gv_nn_load_spec(&spec, g, "actor", err))) goto done;
  /* optional: the bounds default to [-1, 1], the step count to unknown */
  double lo = -1, hi = 1;
  int64_t steps = -1;
  int cfrc = 1; /* absent: the task's default observation */
  if ((st = get_opt(g, "include_cfrc_ext_in_observation", H5T_NATIVE_INT, &cfrc, err)) ||
      (st = get_opt(g, "act_low", H5T_NATIVE_DOUBLE, &lo, err)) ||
      (st = get_opt(g, "act_high", H5T_NATIVE_DOUBLE, &hi, err)) ||
      (st = get_opt(g, "steps", H5T_NATIVE_INT64, &steps, err)))
    goto done;
  if (!isfinite(lo) || !isfinite(hi) || !(lo < hi)) {
    st = gv_fail(err, GV_EINVAL, "policy load: %s: act_low %g, act_high %g (allowed: finite, "
                 "low < high)", name, lo, hi);
    goto done;
  }
  gv_policy *pi;
  if ((st = gv_policy_alloc(&pi, &spec, env, lo, hi, 0.0, err))) goto done;
  if (det) pi->kind = GV_POLICY_DETERMINISTIC;
  pi->env_cfrc = cfrc != 0;
  const size_t D = (size_t)pi->obs_dim, A = (size_t)pi->act_dim, F = sizeof(float),
               R = sizeof(double);
  if ((st = gv_nn_load(pi->actor, g, "actor", err)) ||
      (!det && (st = get_vec(g, "log_std", H5T_NATIVE_FLOAT, F, A, pi->log_std, err))) ||
      (st = get_vec(g, "obs_mean", H5T_NATIVE_DOUBLE, R, D, pi->obs_rms->mean, err)) ||
      (st = get_vec(g, "obs_var", H5T_NATIVE_DOUBLE, R, D, pi->obs_rms->var, err)) ||
      (st = gv_h5_get_num(g, "obs_count", H5T_NATIVE_DOUBLE, 0, &pi->obs_rms->count, err)) ||
      (st = gv_h5_get_num(g, "obs_eps", H5T_NATIVE_DOUBLE, 0, &pi->obs_eps, err)) ||
      (st = gv_h5_get_num(g, "clip_obs", H5T_NATIVE_DOUBLE, 0, &pi->clip_obs, err)) ||
      (st = gv_h5_get_num(g, "norm_obs", H5T_NATIVE_INT, 0, &pi->norm_obs, err)) ||
      (st = check_loaded(pi, name, err))) {
    if (st == GV_ENOTFOUND) st = GV_EINVAL; /* a policy group lacking a part is malformed */
    gv_policy_free(pi);
    goto done;
  }
  pi->steps = (long)steps;
  st = gv_h5_get_str(g, "env_config", &pi->env_config, err); /* optional */
  if (st && st != GV_ENOTFOUND) {
    gv_policy_free(pi);
    goto done;
  }
  st = GV_OK;
  *out = pi;
done:
  H5Gclose(g);
  return st;
}

gv_status gv_policy_load_file(gv_policy **pi, const char *path, const char *name, gv_err *err) {
  const gv_status probed = gv_h5_probe_file(path, err); /* core/h5.h */
  if (probed) return probed;
  hid_t f = -1;
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return gv_fail(err, GV_EINVAL, "%s: can not open (not an HDF5 file?)", path);
  gv_status st = gv_policy_load(pi, f, name, err);
  H5Fclose(f);
  if (st) {
    char m[GV_ERR_MAX];
    snprintf(m, sizeof m, "%s", err ? err->msg : "");
    return gv_fail(err, st, "%s: %s", path, m);
  }
  return GV_OK;
}

/* The bytes a saved policy takes, for gv_h5_room. */
size_t gv_policy_bytes(const gv_policy *pi) {
  return pi ? 4 * pi->actor->nparam + 24 * (size_t)(pi->obs_dim + pi->act_dim) + 16384 : 0;
}

/* Closes a file written into; a failed close is a failed write. */
static gv_status close_written(hid_t f, gv_status st, const char *path, gv_err *err) {
  if (H5Fclose(f) >= 0) return st;
  gv_h5_write_failed();
  return st ? st : gv_fail(err, GV_EIO, "%s: can not close (disk full?)", path);
}

gv_status gv_policy_save_file(const char *path, const gv_policy *pi, gv_err *err) {
  if (gv_h5_room(path, 0, gv_policy_bytes(pi)))
    return gv_fail(err, GV_EIO, "%s: no room to write the policy (disk full or file size "
                   "limit)", path);
  int lock;
  gv_status st = gv_h5_lock_output(path, &lock, err);
  if (st) return st;
  hid_t f = -1;
  H5E_BEGIN_TRY { f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) st = gv_fail(err, GV_EIO, "%s: can not create", path);
  else st = close_written(f, gv_policy_save(f, "policy", pi, err), path, err);
  close(lock);
  return st;
}

gv_status gv_policy_save_run(const char *path, const gv_policy *last, const gv_policy *best,
                             gv_err *err) {
  struct stat sb;
  const double end = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
  if (gv_h5_room(path, end, gv_policy_bytes(last) + gv_policy_bytes(best)))
    return gv_fail(err, GV_EIO, "%s: no room to save the policy (disk full or file size "
                   "limit)", path);
  hid_t f = -1;
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return gv_fail(err, GV_EIO, "%s: can not reopen to save the policy", path);
  gv_status st = gv_policy_save(f, "policy", last, err);
  if (!st && best) st = gv_policy_save(f, "policy_best", best, err);
  return close_written(f, st, path, err);
}

void gv_rms_ckpt(gv_rms *r, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  gv_ckpt_double(&g, "count", &r->count);
  gv_ckpt_doubles(&g, "mean", r->mean, (size_t)r->dim);
  gv_ckpt_doubles(&g, "var", r->var, (size_t)r->dim);
  gv_ckpt_end(&g, c);
}

void gv_policy_ckpt(gv_policy *pi, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  gv_nn_ckpt(pi->actor, &g, "actor");
  if (pi->log_std) gv_ckpt_floats(&g, "log_std", pi->log_std, (size_t)pi->act_dim);
  gv_rms_ckpt(pi->obs_rms, &g, "obs_rms");
  gv_ckpt_long(&g, "steps", &pi->steps);
  gv_ckpt_end(&g, c);
}
