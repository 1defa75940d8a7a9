/* Sweep expansion: `variants:` and every list where one value is expected
 * become the grid of runs. */
#include <stdlib.h>
#include <string.h>

#include "experiments/experiment.h"

static gv_status check_tree(gv_node *tree, const char *file, gv_err *err) {
  const gv_experiment *exp;
  gv_status s = gv_exp_find(tree, file, &exp, err);
  return s != GV_OK ? s : exp->check(tree, file, err);
}

/* Replaces the node at dotted path (which exists) by a clone of v. */
static void replace_at(gv_node *root, const char *path, const gv_node *v) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  char *dot = strrchr(buf, '.');
  gv_node *parent = root;
  const char *last = buf;
  if (dot) {
    *dot = 0;
    parent = gv_cfg_lookup(root, buf);
    last = dot + 1;
  }
  if (!parent) return;
  if (parent->kind == GV_NODE_MAP) {
    gv_map_set(parent, last, gv_node_clone(v));
  } else if (parent->kind == GV_NODE_SEQ) {
    size_t i = (size_t)strtoul(last, NULL, 10);
    if (i < parent->n) {
      gv_node_free(parent->items[i]);
      parent->items[i] = gv_node_clone(v);
    }
  }
}

typedef struct axis {
  char path[256];
  gv_node *values;          /* SEQ (owned clone) */
} axis;

static void push_point(gv_sweep_point **pts, size_t *n, size_t *cap, gv_node *tree,
                       const char *name, const char *path) {
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 16;
    *pts = realloc(*pts, *cap * sizeof **pts);
  }
  gv_sweep_point *p = &(*pts)[(*n)++];
  p->tree = tree;
  snprintf(p->name, sizeof p->name, "%s", name);
  snprintf(p->path, sizeof p->path, "%s", path);
}

static const char *last_key(const char *path) {
  const char *d = strrchr(path, '.');
  return d ? d + 1 : path;
}

/* Expands one variant tree along its axes. */
static gv_status expand_axes(gv_node *base, const char *file, const char *dir,
                             gv_sweep_point **pts, size_t *n, size_t *cap, gv_err *err) {
  axis axes[16];
  size_t na = 0;
  gv_node *probe = gv_node_clone(base);
  gv_status s;
  for (;;) {
    gv_node *t = gv_node_clone(probe);
    if (err) err->axis[0] = 0;
    s = check_tree(t, file, err);
    gv_node_free(t);
    if (s == GV_OK) break;
    if (!err || !err->axis[0] || na == 16) goto fail;
    gv_node *v = gv_cfg_lookup(probe, err->axis);
    if (!v || v->kind != GV_NODE_SEQ || v->n == 0) goto fail;
    snprintf(axes[na].path, sizeof axes[na].path, "%s", err->axis);
    axes[na].values = gv_node_clone(v);
    replace_at(probe, err->axis, v->items[0]);
    na++;
  }
  gv_node_free(probe);
  size_t total = 1, idx[16] = {0};
  for (size_t a = 0; a < na; ++a) total *= axes[a].values->n;
  const char *base_name = gv_map_str(base, "name");
  for (size_t k = 0; k < total; ++k) {
    gv_node *t = gv_node_clone(base);
    char name[GV_STR_MAX];
    size_t off = (size_t)snprintf(name, sizeof name, "%s", base_name ? base_name : "run");
    for (size_t a = 0; a < na; ++a) {
      const gv_node *v = axes[a].values->items[idx[a]];
      replace_at(t, axes[a].path, v);
      if (off < sizeof name)
        off += (size_t)snprintf(name + off, sizeof name - off, "-%s%s", last_key(axes[a].path),
                                v->kind == GV_NODE_SCALAR ? v->value : "");
    }
    gv_map_set(t, "name", gv_node_new_scalar(name));
    char path[GV_STR_MAX + 64];
    snprintf(path, sizeof path, "%.120s/%.120s.h5", dir, name);
    gv_map_set(t, "out", gv_node_new_scalar(path));
    s = check_tree(t, file, err);
    if (s != GV_OK) {
      gv_node_free(t);
      goto fail_axes;
    }
    push_point(pts, n, cap, t, name, path);
    for (size_t a = na; a-- > 0;) { /* odometer, last axis fastest */
      if (++idx[a] < axes[a].values->n) break;
      idx[a] = 0;
    }
  }
  for (size_t a = 0; a < na; ++a) gv_node_free(axes[a].values);
  return GV_OK;
fail:
  gv_node_free(probe);
fail_axes:
  for (size_t a = 0; a < na; ++a) gv_node_free(axes[a].values);
  return s;
}

gv_status gv_sweep_expand(const gv_node *root, const char *file, gv_sweep_point **points,
                          size_t *n, gv_err *err) {
  *points = NULL;
  *n = 0;
  size_t cap = 0;
  gv_node *base = gv_node_clone(root);
  gv_node *variants = gv_map_take(base, "variants");
  char stem[GV_STR_MAX], dir[GV_STR_MAX];
  const char *nm = gv_map_str(base, "name");
  if (nm && *nm) {
    snprintf(stem, sizeof stem, "%s", nm);
  } else {
    const char *b = strrchr(file, '/');
    snprintf(stem, sizeof stem, "%s", b ? b + 1 : file);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    gv_map_set(base, "name", gv_node_new_scalar(stem));
  }
  const char *out = gv_map_str(base, "out");
  /* `out` naming a run file (x.h5): a single run keeps it, a grid goes next
   * to it; anything else names the grid's directory */
  const size_t lo = out ? strlen(out) : 0;
  const int out_file = lo > 3 && !strcmp(out + lo - 3, ".h5");
  char out_path[GV_STR_MAX];
  snprintf(out_path, sizeof out_path, "%s", out_file ? out : "");
  if (out_file) {
    const char *sl = strrchr(out, '/');
    if (sl) snprintf(dir, sizeof dir, "%.*s", (int)(sl - out), out);
    else snprintf(dir, sizeof dir, ".");
  } else if (out && *out) {
    snprintf(dir, sizeof dir, "%s", out);
  } else {
    snprintf(dir, sizeof dir, "runs/%.200s", stem);
  }
  gv_status s = GV_OK;
  gv_cfg_ctx ctx = {file, ""};
  char where[512];
  if (variants && (variants->kind != GV_NODE_SEQ || variants->n == 0)) {
    gv_cfg_where(where, sizeof where, &ctx, variants->line, "variants");
    s = gv_fail(err, GV_ECONFIG, "%s: expected a non-empty list of mappings, each with a name",
                where);
  }
  for (size_t v = 0; s == GV_OK && v < (variants ? variants->n : 1); ++v) {
    gv_node *t = gv_node_clone(base);
    if (variants) {
      gv_node *var = variants->items[v];
      const char *vn = gv_map_str(var, "name");
      if (var->kind != GV_NODE_MAP || !vn) {
        gv_cfg_where(where, sizeof where, &ctx, var->line, "variants");
        s = gv_fail(err, GV_ECONFIG, "%s: item %zu: expected a mapping with a name", where, v);
        gv_node_free(t);
        break;
      }
      gv_node *over = gv_node_clone(var);
      gv_node_free(gv_map_take(over, "name"));
      gv_cfg_merge(t, over);
      gv_node_free(over);
      char name[GV_STR_MAX];
      snprintf(name, sizeof name, "%.120s-%.120s", stem, vn);
      gv_map_set(t, "name", gv_node_new_scalar(name));
    }
    s = expand_axes(t, file, dir, points, n, &cap, err);
    gv_node_free(t);
  }
  if (s == GV_OK && out_file && !variants && *n == 1) {
    snprintf((*points)[0].path, sizeof (*points)[0].path, "%s", out_path);
    gv_map_set((*points)[0].tree, "out", gv_node_new_scalar(out_path));
  }
  gv_node_free(variants);
  gv_node_free(base);
  if (s != GV_OK) {
    gv_sweep_free(*points, *n);
    *points = NULL;
    *n = 0;
  }
  return s;
}

void gv_sweep_free(gv_sweep_point *points, size_t n) {
  for (size_t i = 0; i < n; ++i) gv_node_free(points[i].tree);
  free(points);
}
