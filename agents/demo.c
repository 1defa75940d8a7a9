/* Policy evaluation, random baselines and demonstration files
 * (agents/demo.h). */
#include "agents/demo.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/h5.h"
#include "core/rng.h"
#include "core/runfile.h" /* gv_blas_core */
#include "envs/vec.h"
#include "gv_commit.h" /* GV_GIT_COMMIT, made at build time */

gv_status gv_policy_evaluate(double *returns, long *lengths, const gv_policy *pi,
                             const gv_env_task *task, int episodes, int threads, uint64_t seed,
                             gv_err *err) {
  const gv_env_type *ty = task->type;
  if (pi->obs_dim != ty->obs_dim || pi->act_dim != ty->act_dim)
    return gv_fail(err, GV_EINVAL, "evaluate: policy %d -> %d does not fit %s (%d -> %d)",
                   pi->obs_dim, pi->act_dim, ty->name, ty->obs_dim, ty->act_dim);
  const int E = episodes, D = ty->obs_dim, A = ty->act_dim;
  gv_env_vec *vec = NULL;
  gv_nn_ws *ws = NULL;
  double *obs = malloc(sizeof *obs * (size_t)E * D), *act = malloc(sizeof *act * (size_t)E * A);
  float *x = malloc(sizeof *x * (size_t)E * D);
  int *term = malloc(sizeof *term * (size_t)E), *trunc = malloc(sizeof *trunc * (size_t)E);
  int *done = calloc((size_t)E, sizeof *done);
  gv_status st = obs && act && x && term && trunc && done ? GV_OK
                                                          : gv_fail(err, GV_ENOMEM, "evaluate: out of memory");
  if (!st) st = gv_nn_ws_alloc(&ws, &pi->actor->spec, E, err);
  if (!st) st = gv_env_vec_alloc(&vec, task, E, threads, seed, err);
  if (!st) st = gv_env_vec_reset(obs, vec, err);
  int left = E;
  /* every copy plays until its first episode ends; finished copies keep
   * stepping (auto-reset) but are no longer counted */
  while (!st && left > 0) {
    if ((st = gv_policy_act_mean(act, pi, ws, x, obs, E))) break;
    if ((st = gv_env_vec_step(obs, NULL, term, trunc, vec, act, err))) break;
    for (int k = 0; k < E; ++k)
      if (!done[k] && (term[k] || trunc[k])) {
        done[k] = 1;
        left--;
        returns[k] = gv_env_vec_final_return(vec, k);
        if (lengths) lengths[k] = gv_env_vec_final_length(vec, k);
      }
  }
  gv_env_vec_free(vec);
  gv_nn_ws_free(ws);
  free(obs);
  free(act);
  free(x);
  free(term);
  free(trunc);
  free(done);
  return st;
}

gv_status gv_random_returns(double *returns, const gv_env_task *task, int episodes,
                            uint64_t seed, gv_err *err) {
  const gv_env_type *ty = task->type;
  gv_env *env = NULL;
  gsl_rng *re = gv_rng_alloc(seed, "random_env", 0), *ra = gv_rng_alloc(seed, "random_action", 0);
  double *obs = malloc(sizeof *obs * (size_t)ty->obs_dim);
  double *act = malloc(sizeof *act * (size_t)ty->act_dim);
  gv_status st = re && ra && obs && act ? GV_OK : gv_fail(err, GV_ENOMEM, "out of memory");
  if (!st) st = gv_env_alloc(&env, task, err);
  for (int e = 0; !st && e < episodes; ++e) {
    if ((st = gv_env_reset(obs, env, re, err))) break;
    double R = 0, r;
    int te = 0, tr = 0;
    while (!st && !te && !tr) {
      for (int j = 0; j < ty->act_dim; ++j)
        act[j] = ty->act_low + (ty->act_high - ty->act_low) * gsl_rng_uniform(ra);
      st = gv_env_step(obs, &r, &te, &tr, env, act, err);
      R += r;
    }
    returns[e] = R;
  }
  gv_env_free(env);
  if (re) gsl_rng_free(re);
  if (ra) gsl_rng_free(ra);
  free(obs);
  free(act);
  return st;
}

void gv_env_version_string(char *buf, size_t size, const gv_env_task *task) {
  uint64_t h = GV_FNV1A64_INIT;
  FILE *f = fopen(task->path, "rb");
  if (f) {
    unsigned char b[4096];
    size_t n;
    while ((n = fread(b, 1, sizeof b, f)) > 0) h = gv_fnv1a64(h, b, n);
    fclose(f);
  }
  const char *slash = strrchr(task->path, '/');
  snprintf(buf, size,
           "%s (Gymnasium v5 semantics, docs/envs.md; governor %s %s; MuJoCo %s; model %s "
           "fnv1a64:%016llx)",
           task->type->name, GV_VERSION, GV_GIT_COMMIT, mj_versionString(),
           slash ? slash + 1 : task->path, (unsigned long long)h);
}

/* ------------------------------------------------------------- HDF5 */

static int put_str(hid_t obj, const char *name, const char *value) {
  return gv_h5_put_str(obj, name, value) != GV_OK;
}

static int put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v) {
  return gv_h5_put_num(obj, name, ftype, mtype, 0, v) != GV_OK;
}

static int put_data(hid_t f, const char *name, hid_t ftype, hid_t mtype, hsize_t rows,
                    hsize_t cols, const void *data) {
  return gv_h5_put_dset(f, name, ftype, mtype, (size_t)rows, (size_t)cols, data) != GV_OK;
}

static void mean_std(const double *x, int n, double *mean, double *sd) {
  double s = 0, q = 0;
  for (int i = 0; i < n; ++i) s += x[i];
  *mean = n ? s / n : NAN;
  for (int i = 0; i < n; ++i) q += (x[i] - *mean) * (x[i] - *mean);
  *sd = n ? sqrt(q / n) : NAN; /* population std, as numpy's default */
}

gv_status gv_demo_record(const char *path, const gv_policy *pi, const gv_env_task *task,
                         const gv_demo_opts *o, gv_demo_summary *sum, gv_err *err) {
  const gv_env_type *ty = task->type;
  const int D = ty->obs_dim, A = ty->act_dim, N = o->episodes;
  if (pi->obs_dim != D || pi->act_dim != A)
    return gv_fail(err, GV_EINVAL, "record: policy %d -> %d does not fit %s (%d -> %d)",
                   pi->obs_dim, pi->act_dim, ty->name, D, A);
  if (N < 1) return gv_fail(err, GV_EINVAL, "record: --episodes %d (allowed: >= 1)", N);
  const size_t cap = (size_t)N * (size_t)ty->max_steps;
  float *obs = malloc(sizeof *obs * cap * D), *act = malloc(sizeof *act * cap * A);
  float *fin = malloc(sizeof *fin * (size_t)N * D), *x = malloc(sizeof *x * (size_t)D);
  double *rew = malloc(sizeof *rew * cap), *ret = malloc(sizeof *ret * (size_t)N);
  uint8_t *te = malloc(cap), *tr = malloc(cap);
  int64_t *start = malloc(sizeof *start * (size_t)N), *len = malloc(sizeof *len * (size_t)N);
  double *o_d = malloc(sizeof *o_d * (size_t)D), *a_d = malloc(sizeof *a_d * (size_t)A);
  int R = o->random_episodes > 0 ? o->random_episodes : 0;
  int E = o->eval_episodes > 0 ? o->eval_episodes : 0;
  double *rnd = malloc(sizeof *rnd * (size_t)(R ? R : 1));
  double *evr = malloc(sizeof *evr * (size_t)(E ? E : 1));
  gv_env *env = NULL;
  gv_nn_ws *ws = NULL;
  gsl_rng *rng = gv_rng_alloc(o->seed, "record", 0);
  gv_status st = obs && act && fin && x && rew && ret && te && tr && start && len && o_d && a_d &&
                         rnd && evr && rng
                     ? GV_OK
                     : gv_fail(err, GV_ENOMEM, "record: out of memory");
  if (!st) st = gv_nn_ws_alloc(&ws, &pi->actor->spec, 1, err);
  if (!st) st = gv_env_alloc(&env, task, err);
  size_t S = 0;
  for (int e = 0; !st && e < N; ++e) {
    if ((st = gv_env_reset(o_d, env, rng, err))) break;
    start[e] = (int64_t)S;
    double Rt = 0.0;
    int t_e = 0, t_r = 0;
    while (!t_e && !t_r) {
      if ((st = gv_policy_act_mean(a_d, pi, ws, x, o_d, 1))) break;
      for (int j = 0; j < D; ++j) obs[S * D + j] = (float)o_d[j];
      for (int j = 0; j < A; ++j) act[S * A + j] = (float)a_d[j];
      double r;
      if ((st = gv_env_step(o_d, &r, &t_e, &t_r, env, a_d, err))) break;
      rew[S] = r;
      te[S] = (uint8_t)(t_e != 0);
      tr[S] = (uint8_t)(t_r != 0);
      Rt += r;
      S++;
    }
    for (int j = 0; j < D; ++j) fin[(size_t)e * D + j] = (float)o_d[j];
    len[e] = (int64_t)S - start[e];
    ret[e] = Rt;
  }
  if (!st && R) st = gv_random_returns(rnd, task, R, o->seed, err);
  if (!st && E) st = gv_policy_evaluate(evr, NULL, pi, task, E, 1, o->seed, err);
  double m = NAN, s = NAN, rm = NAN, rs = NAN, em = NAN, es = NAN;
  mean_std(ret, N, &m, &s);
  if (R) mean_std(rnd, R, &rm, &rs);
  if (E) mean_std(evr, E, &em, &es);
  char hash[32];
  snprintf(hash, sizeof hash, "fnv1a64:%016llx", (unsigned long long)gv_policy_hash(pi));
  if (!st) {
    hid_t f = -1;
    const size_t bytes = S * (4 * (size_t)(D + A) + 10) + (size_t)N * (4 * (size_t)D + 24);
    int lock = -1;
    if (gv_h5_room(path, 0, bytes) == GV_OK &&
        (st = gv_h5_lock_output(path, &lock, err)) == GV_OK) {
      H5E_BEGIN_TRY { f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
      H5E_END_TRY;
    }
    if (st) {
      /* another process writes path (the lock's message) */
    } else if (f < 0) {
      st = gv_fail(err, GV_EIO, "record: can not create %s (or no room: disk full or file "
                   "size limit)", path);
    } else {
      char ver[512];
      gv_env_version_string(ver, sizeof ver, task);
      const int64_t seed = (int64_t)o->seed, n64 = N, r64 = R, e64 = E, det = 1;
      int bad = put_data(f, "obs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, S, (hsize_t)D, obs) ||
                put_data(f, "actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, S, (hsize_t)A, act) ||
                put_data(f, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, S, 0, rew) ||
                put_data(f, "terminated", H5T_STD_U8LE, H5T_NATIVE_UINT8, S, 0, te) ||
                put_data(f, "truncated", H5T_STD_U8LE, H5T_NATIVE_UINT8, S, 0, tr) ||
                put_data(f, "final_obs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (hsize_t)N,
                         (hsize_t)D, fin) ||
                put_data(f, "episode_start", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)N, 0,
                         start) ||
                put_data(f, "episode_length", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)N, 0,
                         len) ||
                put_data(f, "episode_return", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)N, 0,
                         ret) ||
                put_str(f, "format", GV_DEMO_FORMAT) || put_str(f, "env", ty->name) ||
                put_str(f, "env_version", ver) || put_str(f, "policy_hash", hash) ||
                put_str(f, "hash_algorithm",
                        pi->kind == GV_POLICY_DETERMINISTIC
                            ? "FNV-1a 64 over the actor's widths (int32) and layer count, its "
                              "float32 parameters, float64 obs mean and var when normalised "
                              "(little-endian; deterministic tanh actor)"
                            : "FNV-1a 64 over the actor's widths (int32) and layer count, its "
                              "float32 parameters, float32 log_std, float64 obs mean and var "
                              "(little-endian)") ||
                put_str(f, "policy_source", o->source ? o->source : "") ||
                put_str(f, "policy_group", o->group ? o->group : "") ||
                put_num(f, "seed", H5T_STD_I64LE, H5T_NATIVE_INT64, &seed) ||
                put_num(f, "episodes", H5T_STD_I64LE, H5T_NATIVE_INT64, &n64) ||
                put_num(f, "deterministic", H5T_STD_I64LE, H5T_NATIVE_INT64, &det) ||
                put_num(f, "return_mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &m) ||
                put_num(f, "return_std", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &s) ||
                put_num(f, "random_return_mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &rm) ||
                put_num(f, "random_return_std", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &rs) ||
                put_num(f, "random_episodes", H5T_STD_I64LE, H5T_NATIVE_INT64, &r64) ||
                put_num(f, "eval_return_mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &em) ||
                put_num(f, "eval_return_std", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &es) ||
                put_num(f, "eval_episodes", H5T_STD_I64LE, H5T_NATIVE_INT64, &e64) ||
                put_str(f, "governor_version", GV_VERSION) ||
                put_str(f, "git_commit", GV_GIT_COMMIT) ||
                put_str(f, "blas_core", gv_blas_core());
      if (H5Fclose(f) < 0) {
        gv_h5_write_failed();
        bad = 1;
      }
      if (bad) st = gv_fail(err, GV_EIO, "record: error writing %s", path);
    }
    if (lock >= 0) close(lock);
  }
  if (!st && sum) {
    sum->return_mean = m;
    sum->return_std = s;
    sum->eval_mean = em;
    sum->eval_std = es;
    sum->random_mean = rm;
    sum->random_std = rs;
    sum->steps = (long)S;
    snprintf(sum->hash, sizeof sum->hash, "%s", hash);
  }
  gv_env_free(env);
  gv_nn_ws_free(ws);
  if (rng) gsl_rng_free(rng);
  void *bufs[] = {obs, act, fin, x, rew, ret, te, tr, start, len, o_d, a_d, rnd, evr};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  return st;
}

/* ------------------------------------------------------------ reading */

/* Dataset name as a new buffer of mtype: rank `rank`, rows rows (0: any,
 * then set) and cols columns (rank 2; 0: any, then set). */
static gv_status read_table(hid_t f, const char *name, hid_t mtype, size_t elem, int rank,
                            long *rows, int *cols, void **buf, gv_err *err) {
  int r;
  size_t dims[4];
  gv_status st = gv_h5_read_dset(f, name, mtype, elem, rank, rank, buf, &r, dims, err);
  if (st) return st;
  if (dims[0] > (size_t)INT64_MAX / 2 || (rank == 2 && (dims[1] < 1 || dims[1] > 4096)) ||
      (*rows && dims[0] != (size_t)*rows) || (rank == 2 && *cols && dims[1] != (size_t)*cols))
    st = gv_fail(err, GV_EINVAL, "/%s: shape %zu x %zu does not fit the file (%ld rows%s)", name,
                 dims[0], rank == 2 ? dims[1] : (size_t)1, *rows,
                 rank == 2 ? ", obs/actions widths 1 to 4096 and equal to obs'" : "");
  if (st) {
    free(*buf);
    *buf = NULL;
    return st;
  }
  *rows = (long)dims[0];
  if (rank == 2) *cols = (int)dims[1];
  return GV_OK;
}

static int finite_f(const float *x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

static int finite_d(const double *x, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* Everything GAIL and DAC rely on: the episodes tile the rows in order, each
 * ends (and only its last step ends) by termination or truncation, flags are
 * 0 or 1 and every number is finite. */
static gv_status check_demos(const gv_demos *d, gv_err *err) {
  const long S = d->steps, N = d->episodes;
  if (S < 1 || N < 1)
    return gv_fail(err, GV_EINVAL, "%ld steps in %ld episodes (allowed: at least one)", S, N);
  int64_t row = 0;
  for (long e = 0; e < N; ++e) {
    const int64_t st = d->episode_start[e], len = d->episode_length[e];
    if (st != row || len < 1 || len > S - row)
      return gv_fail(err, GV_EINVAL, "episode %ld: start %lld, length %lld, but the episodes "
                     "before it end at row %lld of %ld (episodes must tile obs's rows in "
                     "order)", e, (long long)st, (long long)len, (long long)row, S);
    for (int64_t t = st; t < st + len; ++t) {
      const int last = t == st + len - 1;
      if (d->terminated[t] > 1 || d->truncated[t] > 1 ||
          (!last && (d->terminated[t] || d->truncated[t])) ||
          (last && !d->terminated[t] && !d->truncated[t]))
        return gv_fail(err, GV_EINVAL, "episode %ld, row %lld: terminated %d, truncated %d "
                       "(allowed: 0 or 1, and one of them exactly at an episode's last step)",
                       e, (long long)t, d->terminated[t], d->truncated[t]);
    }
    row += len;
  }
  if (row != S)
    return gv_fail(err, GV_EINVAL, "the episodes cover %lld rows of obs's %ld", (long long)row,
                   S);
  if (!finite_f(d->obs, (size_t)S * d->obs_dim) || !finite_f(d->actions, (size_t)S * d->act_dim) ||
      !finite_d(d->rewards, (size_t)S) || !finite_f(d->final_obs, (size_t)N * d->obs_dim) ||
      !finite_d(d->episode_return, (size_t)N))
    return gv_fail(err, GV_EINVAL, "obs, actions, rewards, final_obs or episode_return holds "
                   "a value that is not finite");
  return GV_OK;
}

/* An optional scalar number (NAN when absent). */
static gv_status get_opt_real(hid_t f, const char *name, double *v, gv_err *err) {
  *v = NAN;
  gv_status st = gv_h5_get_num(f, name, H5T_NATIVE_DOUBLE, 0, v, err);
  return st == GV_ENOTFOUND ? GV_OK : st;
}

static gv_status load(gv_demos *d, hid_t f, gv_err *err) {
  char fmt[64] = "";
  gv_err why = {{0}, {0}};
  gv_status st = gv_h5_get_strbuf(f, "format", fmt, sizeof fmt, &why);
  if (st || strcmp(fmt, GV_DEMO_FORMAT))
    return gv_fail(err, GV_EINVAL, "not a demonstration file (format '%s', expected '%s')%s%s",
                   fmt, GV_DEMO_FORMAT, st ? ": " : "", st ? why.msg : "");
  if ((st = gv_h5_get_strbuf(f, "env", d->env, sizeof d->env, err)) ||
      (st = gv_h5_get_strbuf(f, "policy_hash", d->policy_hash, sizeof d->policy_hash, err)) ||
      (st = get_opt_real(f, "eval_return_mean", &d->eval_return_mean, err)) ||
      (st = get_opt_real(f, "random_return_mean", &d->random_return_mean, err)))
    return st == GV_ENOTFOUND ? GV_EINVAL : st;
  long S = 0, N = 0;
  int D = 0, A = 0, one = 1;
  const size_t F = sizeof(float), R = sizeof(double), I = sizeof(int64_t);
  if ((st = read_table(f, "obs", H5T_NATIVE_FLOAT, F, 2, &S, &D, (void **)&d->obs, err)) ||
      (st = read_table(f, "actions", H5T_NATIVE_FLOAT, F, 2, &S, &A, (void **)&d->actions,
                       err)) ||
      (st = read_table(f, "rewards", H5T_NATIVE_DOUBLE, R, 1, &S, &one, (void **)&d->rewards,
                       err)) ||
      (st = read_table(f, "terminated", H5T_NATIVE_UINT8, 1, 1, &S, &one,
                       (void **)&d->terminated, err)) ||
      (st = read_table(f, "truncated", H5T_NATIVE_UINT8, 1, 1, &S, &one, (void **)&d->truncated,
                       err)) ||
      (st = read_table(f, "final_obs", H5T_NATIVE_FLOAT, F, 2, &N, &D, (void **)&d->final_obs,
                       err)) ||
      (st = read_table(f, "episode_start", H5T_NATIVE_INT64, I, 1, &N, &one,
                       (void **)&d->episode_start, err)) ||
      (st = read_table(f, "episode_length", H5T_NATIVE_INT64, I, 1, &N, &one,
                       (void **)&d->episode_length, err)) ||
      (st = read_table(f, "episode_return", H5T_NATIVE_DOUBLE, R, 1, &N, &one,
                       (void **)&d->episode_return, err)))
    return st == GV_ENOTFOUND ? GV_EINVAL : st;
  d->steps = S;
  d->episodes = N;
  d->obs_dim = D;
  d->act_dim = A;
  return check_demos(d, err);
}

gv_status gv_demos_load(gv_demos *d, const char *path, gv_err *err) {
  memset(d, 0, sizeof *d);
  const gv_status probed = gv_h5_probe_file(path, err); /* core/h5.h */
  if (probed) return probed;
  hid_t f = -1;
  gv_h5_quiet();
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return gv_fail(err, GV_EINVAL, "%s: can not open (not an HDF5 file?)", path);
  gv_err why = {{0}, {0}};
  gv_status st = load(d, f, &why);
  H5Fclose(f);
  if (st) {
    gv_demos_free(d);
    return gv_fail(err, st, "%s: %s", path, why.msg);
  }
  return GV_OK;
}

void gv_demos_free(gv_demos *d) {
  void *bufs[] = {d->obs, d->actions, d->rewards, d->terminated, d->truncated, d->final_obs,
                  d->episode_start, d->episode_length, d->episode_return};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  memset(d, 0, sizeof *d);
}
