/* Builds an HDF5 file from a fuzz input (tests/fuzz/h5build.h). */
#include "tests/fuzz/h5build.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/h5.h"

/* Names the readers look for: run files, policies, demonstration files. */
static const char *const attr_names[] = {
    "version", "kind", "status", "name", "seed", "format", "env", "policy_hash",
    "eval_return_mean", "random_return_mean", "episodes", "steps_done", "act_low", "act_high",
    "obs_count", "obs_eps", "clip_obs", "norm_obs", "steps", "sizes", "activations", "slope",
    "out_sigmoid", "step", "x"};
static const char *const groups[] = {"/", "/summary", "/policy", "/policy/actor",
                                     "/series/distance", "/arrays"};
static const char *const dsets[] = {
    "config", "series/distance/step", "series/distance/value", "series/x/step",
    "series/x/value", "arrays/replica_lyapunov", "arrays/replica_iters_to_converge",
    "obs", "actions", "rewards", "terminated", "truncated", "final_obs", "episode_start",
    "episode_length", "episode_return", "policy/obs_mean", "policy/obs_var", "policy/log_std",
    "policy/actor/param", "arrays/theta"};
static const char *const strings[] = {
    "0.1.0", "dirac", "mlpgan", "onestep", "rl", "gail", "dac", "onestep_sampled", "completed",
    "running", "diverged", "governor-demos-1", "governor-policy-1", "governor-policy-det-1",
    "governor-mlp-1", "hopper", "reacher", "tanh,tanh,linear", "relu,linear", "fnv1a64:0",
    "game: {kind: dirac}\nscheme: {kind: simgd, h: 0.2, steps: 10}\n",
    "game: {kind: mlpgan}\n", "game: {kind: onestep}\n", "", "x"};

#define N(a) (sizeof a / sizeof *a)

typedef struct input {
  const uint8_t *p;
  size_t n, at;
} input;

static unsigned byte(input *in) { return in->at < in->n ? in->p[in->at++] : 0; }

/* Numbers: raw input bytes, a few special values mixed in. */
static void fill(input *in, void *buf, size_t bytes) {
  uint8_t *b = buf;
  for (size_t i = 0; i < bytes; ++i) b[i] = (uint8_t)byte(in);
}

static hid_t pick_type(unsigned t, size_t *elem, int *str) {
  *str = 0;
  switch (t % 8) {
    case 0: *elem = 8; return H5Tcopy(H5T_NATIVE_DOUBLE);
    case 1: *elem = 8; return H5Tcopy(H5T_NATIVE_INT64);
    case 2: *elem = 4; return H5Tcopy(H5T_NATIVE_INT);
    case 3: *elem = 1; return H5Tcopy(H5T_NATIVE_UINT8);
    case 4: *elem = 4; return H5Tcopy(H5T_NATIVE_FLOAT);
    case 5: *str = 1; *elem = sizeof(char *); return gv_h5_str_type();
    case 6: {
      hid_t s = H5Tcopy(H5T_C_S1);
      H5Tset_size(s, 24);
      *str = 2;
      *elem = 24;
      return s;
    }
    default: {
      hid_t c = H5Tcreate(H5T_COMPOUND, 16);
      H5Tinsert(c, "a", 0, H5T_NATIVE_DOUBLE);
      H5Tinsert(c, "b", 8, H5T_NATIVE_DOUBLE);
      *elem = 16;
      return c;
    }
  }
}

/* One object: kind byte, name byte, type byte, rank byte, dims, content. */
static void one(hid_t f, input *in) {
  const unsigned kind = byte(in) % 3, name = byte(in), t = byte(in);
  const int rank = (int)(byte(in) % 4);
  hsize_t dims[3] = {1, 1, 1};
  size_t n = 1;
  for (int i = 0; i < rank; ++i) n *= (dims[i] = byte(in) % 9);
  size_t elem;
  int str;
  hid_t type = pick_type(t, &elem, &str);
  void *buf = calloc(n ? n : 1, elem);
  const char **sp = buf;
  for (size_t i = 0; i < n; ++i) {
    if (str == 1) sp[i] = strings[byte(in) % N(strings)];
    else if (str == 2) snprintf((char *)buf + i * 24, 24, "%s", strings[byte(in) % N(strings)]);
    else fill(in, (char *)buf + i * elem, elem);
  }
  hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  if (kind < 2) {
    const char *g = kind ? groups[name / N(attr_names) % N(groups)] : "/";
    hid_t obj = -1;
    if (!strcmp(g, "/")) obj = H5Gopen2(f, "/", H5P_DEFAULT);
    else if (H5Lexists(f, g + 1, H5P_DEFAULT) > 0) obj = H5Oopen(f, g + 1, H5P_DEFAULT);
    else obj = H5Gcreate2(f, g + 1, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    const char *a = attr_names[name % N(attr_names)];
    if (obj >= 0) {
      if (H5Aexists(obj, a) > 0) H5Adelete(obj, a);
      hid_t at = H5Acreate2(obj, a, type, space, H5P_DEFAULT, H5P_DEFAULT);
      if (at >= 0) {
        H5Awrite(at, type, buf);
        H5Aclose(at);
      }
      H5Oclose(obj);
    }
  } else {
    const char *d = dsets[name % N(dsets)];
    if (H5Lexists(f, d, H5P_DEFAULT) <= 0) {
      hid_t ds = H5Dcreate2(f, d, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
      if (ds >= 0) {
        if (n) H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(ds);
      }
    }
  }
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Tclose(type);
  free(buf);
}

int gv_fuzz_build(const char *path, const uint8_t *data, size_t size) {
  gv_h5_quiet();
  if (size >= 4 && !memcmp(data, "\x89HDF", 4)) {
    if (!getenv("GV_FUZZ_RAW")) return -1;
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    fwrite(data, 1, size, fp);
    fclose(fp);
    return 0;
  }
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) return -1;
  input in = {data, size, 0};
  for (int k = 0; k < 64 && in.at < in.n; ++k) one(f, &in);
  H5Fclose(f);
  return 0;
}

void gv_fuzz_tmp_path(char *buf, size_t size, const char *suffix) {
  const char *dir = getenv("TMPDIR");
  snprintf(buf, size, "%s/gv-fuzz-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), suffix);
}
