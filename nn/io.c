/* HDF5 save/load of nets (format in nn/io.h). */
#include "nn/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GV_NN_FORMAT "governor-mlp-1"
#define GV_NN_FILE_GROUP "net"

static gv_status write_str_attr(hid_t obj, const char *key, const char *value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  if (type < 0) return GV_EIO;
  H5Tset_size(type, strlen(value) + 1);
  H5Tset_strpad(type, H5T_STR_NULLTERM);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = space >= 0 ? H5Acreate2(obj, key, type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
  herr_t rc = attr >= 0 ? H5Awrite(attr, type, value) : -1;
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  H5Tclose(type);
  return rc < 0 ? GV_EIO : GV_OK;
}

/* Reads a fixed- or variable-length string attribute into buf. */
static gv_status read_str_attr(hid_t obj, const char *key, char *buf, size_t size) {
  gv_status st = GV_EIO;
  hid_t attr = -1, ftype = -1, mtype = -1;
  H5E_BEGIN_TRY { attr = H5Aopen(obj, key, H5P_DEFAULT); }
  H5E_END_TRY;
  if (attr < 0) return GV_ENOTFOUND;
  ftype = H5Aget_type(attr);
  if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING) goto done;
  if (H5Tis_variable_str(ftype) > 0) {
    char *s = NULL;
    mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5T_VARIABLE);
    if (H5Aread(attr, mtype, &s) < 0 || !s) goto done;
    snprintf(buf, size, "%s", s);
    H5free_memory(s);
  } else {
    const size_t len = H5Tget_size(ftype);
    char *tmp = calloc(len + 1, 1);
    if (!tmp) goto done;
    mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, len + 1);
    H5Tset_strpad(mtype, H5T_STR_NULLTERM);
    if (H5Aread(attr, mtype, tmp) >= 0) {
      snprintf(buf, size, "%s", tmp);
      st = GV_OK;
    }
    free(tmp);
    goto done;
  }
  st = GV_OK;
done:
  if (mtype >= 0) H5Tclose(mtype);
  if (ftype >= 0) H5Tclose(ftype);
  H5Aclose(attr);
  return st;
}

static gv_status write_attr(hid_t obj, const char *key, hid_t ftype, hid_t mtype, hsize_t n,
                            const void *data) {
  hid_t space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
  hid_t attr = space >= 0 ? H5Acreate2(obj, key, ftype, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
  herr_t rc = attr >= 0 ? H5Awrite(attr, mtype, data) : -1;
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  return rc < 0 ? GV_EIO : GV_OK;
}

/* Reads a numeric attribute of exactly n elements (n = 0: scalar). */
static gv_status read_attr(hid_t obj, const char *key, hid_t mtype, hsize_t n, void *data) {
  hid_t attr = -1;
  H5E_BEGIN_TRY { attr = H5Aopen(obj, key, H5P_DEFAULT); }
  H5E_END_TRY;
  if (attr < 0) return GV_ENOTFOUND;
  hid_t space = H5Aget_space(attr);
  hssize_t npts = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  herr_t rc = -1;
  if (npts == (hssize_t)(n ? n : 1)) rc = H5Aread(attr, mtype, data);
  if (space >= 0) H5Sclose(space);
  H5Aclose(attr);
  return rc < 0 ? GV_EIO : GV_OK;
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
      write_str_attr(g, "activations", acts) ||
      write_attr(g, "slope", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 0, &s->slope) ||
      write_attr(g, "out_sigmoid", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &sig) ||
      write_str_attr(g, "format", GV_NN_FORMAT))
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
  if (read_str_attr(g, "format", fmt, sizeof fmt) || strcmp(fmt, GV_NN_FORMAT) != 0)
    return gv_fail(err, GV_EINVAL, "nn load: %s is not a governor MLP (format \"%s\")", name,
                   fmt);
  /* the number of layers is the length of sizes, minus one */
  hid_t attr = -1;
  H5E_BEGIN_TRY { attr = H5Aopen(g, "sizes", H5P_DEFAULT); }
  H5E_END_TRY;
  hssize_t npts = -1;
  if (attr >= 0) {
    hid_t sp = H5Aget_space(attr);
    if (sp >= 0) {
      npts = H5Sget_simple_extent_npoints(sp);
      H5Sclose(sp);
    }
    H5Aclose(attr);
  }
  if (npts < 2 || npts > GV_NN_MAX_LAYERS + 1)
    return gv_fail(err, GV_EINVAL, "nn load: %s: bad sizes attribute", name);
  spec->nlayer = (int)npts - 1;
  char acts[GV_NN_MAX_LAYERS * 16 + 1] = "";
  if (read_attr(g, "sizes", H5T_NATIVE_INT, (hsize_t)npts, spec->size) ||
      read_str_attr(g, "activations", acts, sizeof acts) ||
      read_attr(g, "slope", H5T_NATIVE_FLOAT, 0, &spec->slope) ||
      read_attr(g, "out_sigmoid", H5T_NATIVE_INT, 0, &spec->out_sigmoid))
    return gv_fail(err, GV_EINVAL, "nn load: %s: missing or malformed spec attributes", name);
  int l = 0;
  for (char *tok = strtok(acts, ","); tok; tok = strtok(NULL, ","), ++l) {
    if (l >= spec->nlayer) break;
    spec->act[l] = gv_nn_act_parse(tok);
    if (spec->act[l] == GV_NN_ACT_COUNT)
      return gv_fail(err, GV_EINVAL, "nn load: %s: unknown activation \"%s\"", name, tok);
  }
  if (l != spec->nlayer)
    return gv_fail(err, GV_EINVAL, "nn load: %s: %d activations for %d layers", name, l,
                   spec->nlayer);
  return gv_nn_spec_check(spec, err);
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
  hid_t dset = -1, space = -1;
  if (st) goto done;
  if (!gv_nn_spec_equal(&stored, &net->spec)) {
    char a[256], b[256];
    gv_nn_spec_format(a, sizeof a, &stored);
    gv_nn_spec_format(b, sizeof b, &net->spec);
    st = gv_fail(err, GV_EINVAL, "nn load: %s holds a %s net, expected %s", name, a, b);
    goto done;
  }
  H5E_BEGIN_TRY { dset = H5Dopen2(g, "param", H5P_DEFAULT); }
  H5E_END_TRY;
  space = dset >= 0 ? H5Dget_space(dset) : -1;
  if (space < 0 || H5Sget_simple_extent_npoints(space) != (hssize_t)net->nparam) {
    st = gv_fail(err, GV_EINVAL, "nn load: %s/param missing or not %zu floats", name,
                 net->nparam);
    goto done;
  }
  if (H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, net->param) < 0)
    st = gv_fail(err, GV_EIO, "nn load: can not read %s/param", name);
done:
  if (space >= 0) H5Sclose(space);
  if (dset >= 0) H5Dclose(dset);
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
