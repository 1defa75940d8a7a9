/* HDF5 save/load of nets (format in nn/io.h). */
#include "nn/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/h5.h"

#define GV_NN_FORMAT "governor-mlp-1"
#define GV_NN_FILE_GROUP "net"

static gv_status write_attr(hid_t obj, const char *key, hid_t ftype, hid_t mtype, hsize_t n,
                            const void *data) {
  return gv_h5_put_num(obj, key, ftype, mtype, (size_t)n, data);
}

gv_status gv_nn_save(hid_t loc, const char *name, const gv_nn *net, gv_err *err) {
  const gv_nn_spec *s = &net->spec;
  gv_status st = GV_OK;
  hid_t g = -1, lcpl = -1, space = -1, dset = -1;
  htri_t exists = 0;
  /* H5Lexists fails (rather than returning 0) when an intermediate group is
   * missing; either way there is nothing to replace */
  H5E_BEGIN_TRY { exists = H5Lexists(loc, name, H5P_DEFAULT); }
  H5E_END_TRY;
  if (exists > 0 && H5Ldelete(loc, name, H5P_DEFAULT) < 0)
    return gv_fail(err, GV_EIO, "nn save: can not replace %s", name);
  lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0) {
    st = gv_fail(err, GV_EIO, "nn save: HDF5 property list");
    goto done;
  }
  g = H5Gcreate2(loc, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) {
    st = gv_fail(err, GV_EIO, "nn save: can not create group %s", name);
    goto done;
  }
  /* the parameters: one flat dataset */
  hsize_t np = net->nparam;
  space = H5Screate_simple(1, &np, NULL);
  dset = space >= 0 ? H5Dcreate2(g, "param", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT)
                    : -1;
  if (dset < 0 || H5Dwrite(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, net->param) < 0) {
    st = gv_fail(err, GV_EIO, "nn save: can not write %s/param", name);
    goto done;
  }
  /* the spec: attributes of the group */
  char acts[GV_NN_MAX_LAYERS * 16] = "";
  size_t k = 0;
  for (int l = 0; l < s->nlayer; ++l)
    k += (size_t)snprintf(acts + k, sizeof acts - k, "%s%s", l ? "," : "",
                          gv_nn_act_name(s->act[l]));
  const int sig = s->out_sigmoid;
  if (write_attr(g, "sizes", H5T_STD_I32LE, H5T_NATIVE_INT, (hsize_t)s->nlayer + 1, s->size) ||
      gv_h5_put_str(g, "activations", acts) ||
      write_attr(g, "slope", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 0, &s->slope) ||
      write_attr(g, "out_sigmoid", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &sig) ||
      gv_h5_put_str(g, "format", GV_NN_FORMAT))
    st = gv_fail(err, GV_EIO, "nn save: can not write the spec of %s", name);
done:
  if (dset >= 0) H5Dclose(dset);
  if (space >= 0) H5Sclose(space);
  if (g >= 0) H5Gclose(g);
  if (lcpl >= 0) H5Pclose(lcpl);
  return st;
}

static hid_t open_group(hid_t loc, const char *name) {
  hid_t g = -1;
  H5E_BEGIN_TRY { g = H5Gopen2(loc, name, H5P_DEFAULT); }
  H5E_END_TRY;
  return g;
}

static gv_status read_spec(gv_nn_spec *spec, hid_t g, const char *name, gv_err *err) {
  memset(spec, 0, sizeof *spec);
  char fmt[64] = "";
  gv_err why = {{0}, {0}};
  gv_status st = gv_h5_get_strbuf(g, "format", fmt, sizeof fmt, &why);
  if (st || strcmp(fmt, GV_NN_FORMAT) != 0)
    return gv_fail(err, GV_EINVAL, "nn load: %s is not a governor MLP (format \"%s\")%s%s",
                   name, fmt, st ? ": " : "", st ? why.msg : "");
  /* the number of layers is the length of sizes, minus one */
  size_t npts = 0;
  if (gv_h5_num_len(g, "sizes", &npts, &why) || npts < 2 || npts > GV_NN_MAX_LAYERS + 1)
    return gv_fail(err, GV_EINVAL, "nn load: %s: bad sizes attribute (allowed: 2 to %d "
                   "integers)", name, GV_NN_MAX_LAYERS + 1);
  spec->nlayer = (int)npts - 1;
  char acts[GV_NN_MAX_LAYERS * 16 + 1] = "";
  if (gv_h5_get_num(g, "sizes", H5T_NATIVE_INT, npts, spec->size, &why) ||
      gv_h5_get_strbuf(g, "activations", acts, sizeof acts, &why) ||
      gv_h5_get_num(g, "slope", H5T_NATIVE_FLOAT, 0, &spec->slope, &why) ||
      gv_h5_get_num(g, "out_sigmoid", H5T_NATIVE_INT, 0, &spec->out_sigmoid, &why))
    return gv_fail(err, GV_EINVAL, "nn load: %s: missing or malformed spec attributes: %s",
                   name, why.msg);
  int l = 0;
  char *save = NULL;
  for (char *tok = strtok_r(acts, ",", &save); tok; tok = strtok_r(NULL, ",", &save), ++l) {
    if (l >= spec->nlayer) break;
    spec->act[l] = gv_nn_act_parse(tok);
    if (spec->act[l] == GV_NN_ACT_COUNT)
      return gv_fail(err, GV_EINVAL, "nn load: %s: unknown activation \"%s\"", name, tok);
  }
  if (l != spec->nlayer)
    return gv_fail(err, GV_EINVAL, "nn load: %s: %d activations for %d layers", name, l,
                   spec->nlayer);
  if ((st = gv_nn_spec_check(spec, err))) return st;
  /* a spec is only believed with its parameters: param must hold exactly
   * nparam numbers, so a hostile width can not make a huge allocation */
  int rank;
  size_t dims[4];
  if ((st = gv_h5_dset_shape(g, "param", 1, 1, &rank, dims, &why)))
    return gv_fail(err, GV_EINVAL, "nn load: %s: %s", name, why.msg);
  if (dims[0] != gv_nn_spec_nparam(spec))
    return gv_fail(err, GV_EINVAL, "nn load: %s/param holds %zu numbers, its spec needs %zu",
                   name, dims[0], gv_nn_spec_nparam(spec));
  return GV_OK;
}

gv_status gv_nn_load_spec(gv_nn_spec *spec, hid_t loc, const char *name, gv_err *err) {
  hid_t g = open_group(loc, name);
  if (g < 0) return gv_fail(err, GV_ENOTFOUND, "nn load: no group %s", name);
  gv_status st = read_spec(spec, g, name, err);
  H5Gclose(g);
  return st;
}

gv_status gv_nn_load(gv_nn *net, hid_t loc, const char *name, gv_err *err) {
  hid_t g = open_group(loc, name);
  if (g < 0) return gv_fail(err, GV_ENOTFOUND, "nn load: no group %s", name);
  gv_nn_spec stored;
  gv_status st = read_spec(&stored, g, name, err);
  if (st) goto done;
  if (!gv_nn_spec_equal(&stored, &net->spec)) {
    char a[256], b[256];
    gv_nn_spec_format(a, sizeof a, &stored);
    gv_nn_spec_format(b, sizeof b, &net->spec);
    st = gv_fail(err, GV_EINVAL, "nn load: %s holds a %s net, expected %s", name, a, b);
    goto done;
  }
  void *buf = NULL;
  int rank;
  size_t dims[4];
  if ((st = gv_h5_read_dset(g, "param", H5T_NATIVE_FLOAT, sizeof(float), 1, 1, &buf, &rank,
                            dims, err)))
    goto done;
  memcpy(net->param, buf, net->nparam * sizeof(float)); /* read_spec checked the length */
  free(buf);
done:
  H5Gclose(g);
  return st;
}

gv_status gv_nn_save_file(const char *path, const gv_nn *net, gv_err *err) {
  hid_t f = -1;
  H5E_BEGIN_TRY { f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return gv_fail(err, GV_EIO, "nn save: can not create %s", path);
  gv_status st = gv_nn_save(f, GV_NN_FILE_GROUP, net, err);
  if (H5Fclose(f) < 0 && !st) st = gv_fail(err, GV_EIO, "nn save: can not close %s", path);
  return st;
}

static hid_t open_file(const char *path) {
  hid_t f = -1;
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  return f;
}

gv_status gv_nn_load_file(gv_nn *net, const char *path, gv_err *err) {
  hid_t f = open_file(path);
  if (f < 0) return gv_fail(err, GV_EIO, "nn load: can not open %s", path);
  gv_status st = gv_nn_load(net, f, GV_NN_FILE_GROUP, err);
  H5Fclose(f);
  return st;
}

gv_status gv_nn_alloc_file(gv_nn **net, const char *path, gv_err *err) {
  *net = NULL;
  hid_t f = open_file(path);
  if (f < 0) return gv_fail(err, GV_EIO, "nn load: can not open %s", path);
  gv_nn_spec spec;
  gv_status st = gv_nn_load_spec(&spec, f, GV_NN_FILE_GROUP, err);
  if (!st) st = gv_nn_alloc(net, &spec, err);
  if (!st) st = gv_nn_load(*net, f, GV_NN_FILE_GROUP, err);
  if (st) {
    gv_nn_free(*net);
    *net = NULL;
  }
  H5Fclose(f);
  return st;
}
