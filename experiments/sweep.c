/* Sweep expansion: `variants:` and every list where one value is expected
 * become the grid of runs.
 *
 * The grid is never materialised: gv_sweep_open finds each variant's axes
 * (by checking a probe tree, which names the first list it meets), counts
 * the points with overflow checks, and proves that no two points share an
 * output file (a 64-bit hash of every path, sorted; equal hashes are
 * compared in full).  A point's name and path are computed from its index
 * alone; its tree is built and checked only when asked for. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/experiment.h"

#define GV_STR_(x) #x
#define GV_STR(x) GV_STR_(x)

typedef struct axis {
  char path[256];           /* dotted config path */
  const char *label;        /* in run names: the last key, or path when ambiguous */
  gv_node *values;          /* SEQ of scalars (owned clone) */
  int line;                 /* of the list */
} axis;

typedef struct variant {
  gv_node *base;            /* the merged tree, lists still in it */
  char *name;               /* run name before the axis parts */
  int line;                 /* of the variant (or of the top) */
  size_t na;
  axis axes[GV_SWEEP_MAX_AXES];
  size_t count, first;      /* points, index of its first point */
} variant;

struct gv_sweep {
  char *file;
  char dir[GV_STR_MAX];     /* a grid's folder */
  int single;               /* one plain run: the path is the one `run` uses */
  variant *v;
  size_t nv, total;
};

static char *xstrdup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (!d) abort();
  return strcpy(d, s);
}

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

static const char *last_key(const char *path) {
  const char *d = strrchr(path, '.');
  return d ? d + 1 : path;
}

/* A growing string. */
typedef struct sbuf {
  char *s;
  size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *a, const char *c, const char *d) {
  const char *parts[3] = {a, c, d};
  for (int k = 0; k < 3; ++k) {
    size_t m = parts[k] ? strlen(parts[k]) : 0;
    if (b->n + m + 1 > b->cap) {
      while (b->n + m + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 256;
      b->s = realloc(b->s, b->cap);
      if (!b->s) abort();
    }
    if (m) memcpy(b->s + b->n, parts[k], m);
    b->n += m;
    b->s[b->n] = 0;
  }
}

/* Point i as a variant and one index per axis. */
static const variant *locate(const gv_sweep *sw, size_t i, size_t idx[GV_SWEEP_MAX_AXES]) {
  size_t v = 0;
  while (v + 1 < sw->nv && i >= sw->v[v + 1].first) v++;
  const variant *va = &sw->v[v];
  size_t k = i - va->first;
  for (size_t a = va->na; a-- > 0;) { /* the last axis runs fastest */
    idx[a] = k % va->axes[a].values->n;
    k /= va->axes[a].values->n;
  }
  return va;
}

/* Name, group, axes and path of point i (no tree). */
static void label(const gv_sweep *sw, size_t i, gv_sweep_point *pt) {
  size_t idx[GV_SWEEP_MAX_AXES];
  const variant *va = locate(sw, i, idx);
  sbuf name = {0}, group = {0}, axes = {0};
  sb_add(&name, va->name, NULL, NULL);
  sb_add(&group, va->name, NULL, NULL);
  sb_add(&axes, "", NULL, NULL);
  for (size_t a = 0; a < va->na; ++a) {
    const axis *ax = &va->axes[a];
    const char *val = ax->values->items[idx[a]]->value;
    sb_add(&name, "-", ax->label, "=");
    sb_add(&name, val, NULL, NULL);
    if (strcmp(ax->path, "seed")) {
      sb_add(&group, "-", ax->label, "=");
      sb_add(&group, val, NULL, NULL);
    }
    sb_add(&axes, a ? ";" : "", ax->path, "=");
    sb_add(&axes, val, NULL, NULL);
  }
  /* the run name is a config string (at most GV_STR_MAX - 1 bytes): cut on
   * a UTF-8 boundary; the file name below stays unique all the same */
  size_t cut = name.n < GV_STR_MAX - 1 ? name.n : GV_STR_MAX - 1;
  while (cut < name.n && cut > 0 && ((unsigned char)name.s[cut] & 0xC0) == 0x80) cut--;
  memcpy(pt->name, name.s, cut);
  pt->name[cut] = 0;
  free(pt->group);
  free(pt->axes);
  pt->group = group.s;
  pt->axes = axes.s;
  if (sw->single) {
    pt->path[0] = 0; /* set by the check, as `run` sets it */
  } else {
    /* long: a prefix and a hash of all of it, cut further where the folder
     * is long, so that the path fits a config string (`out`) */
    char safe[GV_SWEEP_NAME_MAX + 1];
    const size_t dl = strlen(sw->dir), room = GV_STR_MAX - 1 - 4; /* "/", ".h5" */
    size_t keep = GV_CFG_NAME_KEEP;
    if (dl + keep + 17 > room) keep = dl + 18 < room ? room - dl - 17 : 1;
    gv_cfg_safe_file_name(name.s, keep, safe, sizeof safe);
    snprintf(pt->path, sizeof pt->path, "%s/%s.h5", sw->dir, safe);
  }
  free(name.s);
}

void gv_sweep_label(const gv_sweep *sw, size_t i, gv_sweep_point *pt) {
  gv_node_free(pt->tree);
  pt->tree = NULL;
  label(sw, i, pt);
}

gv_status gv_sweep_point_at(const gv_sweep *sw, size_t i, gv_sweep_point *pt, gv_err *err) {
  gv_sweep_label(sw, i, pt);
  size_t idx[GV_SWEEP_MAX_AXES];
  const variant *va = locate(sw, i, idx);
  gv_node *t = gv_node_clone(va->base);
  for (size_t a = 0; a < va->na; ++a)
    replace_at(t, va->axes[a].path, va->axes[a].values->items[idx[a]]);
  if (!sw->single) {
    gv_map_set(t, "name", gv_node_new_scalar(pt->name));
    gv_map_set(t, "out", gv_node_new_scalar(pt->path));
  }
  gv_status s = check_tree(t, sw->file, err);
  if (s != GV_OK) {
    gv_node_free(t);
    return s;
  }
  if (sw->single) snprintf(pt->path, sizeof pt->path, "%s", gv_map_str(t, "out"));
  pt->tree = t;
  return GV_OK;
}

void gv_sweep_point_clear(gv_sweep_point *pt) {
  gv_node_free(pt->tree);
  free(pt->group);
  free(pt->axes);
  memset(pt, 0, sizeof *pt);
}

size_t gv_sweep_count(const gv_sweep *sw) { return sw->total; }

void gv_sweep_order(const gv_sweep *sw, int interleave, size_t *order) {
  if (!interleave) {
    for (size_t i = 0; i < sw->total; ++i) order[i] = i;
    return;
  }
  size_t k = 0;
  for (size_t r = 0; k < sw->total; ++r) /* round r: point r of every variant that has one */
    for (size_t v = 0; v < sw->nv; ++v)
      if (r < sw->v[v].count) order[k++] = sw->v[v].first + r;
}

void gv_sweep_close(gv_sweep *sw) {
  if (!sw) return;
  for (size_t v = 0; v < sw->nv; ++v) {
    gv_node_free(sw->v[v].base);
    free(sw->v[v].name);
    for (size_t a = 0; a < sw->v[v].na; ++a) gv_node_free(sw->v[v].axes[a].values);
  }
  free(sw->v);
  free(sw->file);
  free(sw);
}

/* Finds the axes of va->base: check a probe, which names the first list
 * where one value is expected; take its first value; again. */
static gv_status find_axes(variant *va, const char *file, gv_err *err) {
  gv_cfg_ctx ctx = {file, ""};
  char where[512];
  gv_node *probe = gv_node_clone(va->base);
  gv_status s;
  for (;;) {
    gv_node *t = gv_node_clone(probe);
    err->axis[0] = 0;
    s = check_tree(t, file, err);
    gv_node_free(t);
    if (s == GV_OK || !err->axis[0]) break;
    gv_node *v = gv_cfg_lookup(probe, err->axis);
    if (!v || v->kind != GV_NODE_SEQ) break;
    const char *bad = NULL;
    int line = v->line;
    if (v->n == 0) bad = "an empty list (allowed: a list of one or more values)";
    for (size_t j = 0; !bad && j < v->n; ++j)
      if (v->items[j]->kind != GV_NODE_SCALAR) {
        bad = "a list or mapping inside an axis (allowed: one flat list of values, e.g. "
              "seed: [0, 1, 2])";
        line = v->items[j]->line;
      }
    if (!bad && va->na == GV_SWEEP_MAX_AXES)
      bad = "one list too many (allowed: at most " GV_STR(GV_SWEEP_MAX_AXES) " axes per variant)";
    if (bad) {
      gv_cfg_where(where, sizeof where, &ctx, line, err->axis);
      s = gv_fail(err, GV_ECONFIG, "%s: %s", where, bad);
      break;
    }
    axis *ax = &va->axes[va->na++];
    snprintf(ax->path, sizeof ax->path, "%s", err->axis);
    ax->values = gv_node_clone(v);
    ax->line = v->line;
    replace_at(probe, err->axis, v->items[0]);
  }
  gv_node_free(probe);
  err->axis[0] = 0;
  for (size_t a = 0; a < va->na; ++a) { /* a label shared by two axes is ambiguous */
    va->axes[a].label = last_key(va->axes[a].path);
    for (size_t b = 0; b < va->na; ++b)
      if (b != a && !strcmp(last_key(va->axes[b].path), va->axes[a].label))
        va->axes[a].label = va->axes[a].path;
  }
  return s;
}

/* Every value of every axis, with the other axes at their first value. */
static gv_status check_axis_values(const gv_sweep *sw, gv_err *err) {
  gv_sweep_point pt = {0};
  gv_status s = GV_OK;
  for (size_t v = 0; s == GV_OK && v < sw->nv; ++v) {
    const variant *va = &sw->v[v];
    if ((s = gv_sweep_point_at(sw, va->first, &pt, err)) != GV_OK) break;
    gv_sweep_point_clear(&pt);
    size_t stride = 1;
    for (size_t a = va->na; s == GV_OK && a-- > 0;) {
      for (size_t j = 1; s == GV_OK && j < va->axes[a].values->n; ++j)
        if ((s = gv_sweep_point_at(sw, va->first + j * stride, &pt, err)) == GV_OK)
          gv_sweep_point_clear(&pt);
      stride *= va->axes[a].values->n;
    }
  }
  gv_sweep_point_clear(&pt);
  return s;
}

typedef struct hashed {
  uint64_t h;
  size_t i;
} hashed;

static int cmp_hashed(const void *a, const void *b) {
  const hashed *x = a, *y = b;
  if (x->h != y->h) return x->h < y->h ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Where point j differs from point i (j > i, same path): "file:line: key: ". */
static void differing_where(const gv_sweep *sw, size_t i, size_t j, char *where, size_t size) {
  size_t ii[GV_SWEEP_MAX_AXES], jj[GV_SWEEP_MAX_AXES];
  const variant *vi = locate(sw, i, ii), *vj = locate(sw, j, jj);
  gv_cfg_ctx ctx = {sw->file, ""};
  char key[64];
  snprintf(key, sizeof key, "variants.%zu.name", (size_t)(vj - sw->v));
  if (vi != vj) {
    gv_cfg_where(where, size, &ctx, vj->line, key);
    return;
  }
  for (size_t a = 0; a < vj->na; ++a)
    if (ii[a] != jj[a]) {
      gv_cfg_where(where, size, &ctx, vj->axes[a].values->items[jj[a]]->line, vj->axes[a].path);
      return;
    }
  gv_cfg_where(where, size, &ctx, vj->line, sw->nv > 1 ? key : "name");
}

/* No two points may write the same file. */
static gv_status check_paths(const gv_sweep *sw, gv_err *err) {
  if (sw->single || sw->total < 2) return GV_OK;
  hashed *hs = malloc(sw->total * sizeof *hs);
  if (!hs) return gv_fail(err, GV_ENOMEM, "out of memory for %zu sweep points", sw->total);
  gv_sweep_point a = {0}, b = {0};
  for (size_t i = 0; i < sw->total; ++i) {
    label(sw, i, &a);
    hs[i].h = gv_fnv1a(a.path);
    hs[i].i = i;
  }
  qsort(hs, sw->total, sizeof *hs, cmp_hashed);
  gv_status s = GV_OK;
  for (size_t k = 1; s == GV_OK && k < sw->total; ++k) {
    if (hs[k].h != hs[k - 1].h) continue;
    for (size_t m = k; m-- > 0 && hs[m].h == hs[k].h;) {
      label(sw, hs[m].i, &a);
      label(sw, hs[k].i, &b);
      if (strcmp(a.path, b.path)) continue;
      char where[512];
      differing_where(sw, hs[m].i, hs[k].i, where, sizeof where);
      s = gv_fail(err, GV_ECONFIG,
                  "%s: runs %zu (%.150s) and %zu (%.150s) of the grid would write the same file "
                  "%.300s (allowed: distinct variant names, distinct values on each axis)",
                  where, hs[m].i + 1, a.name, hs[k].i + 1, b.name, a.path);
      break;
    }
  }
  gv_sweep_point_clear(&a);
  gv_sweep_point_clear(&b);
  free(hs);
  return s;
}

/* The variants of root (one, named as the top, when there are none). */
static gv_status make_variants(gv_sweep *sw, const gv_node *root, gv_err *err) {
  const char *file = sw->file;
  gv_cfg_ctx ctx = {file, ""};
  char where[512];
  gv_node *base = gv_node_clone(root);
  gv_node *variants = gv_map_take(base, "variants");
  char stem[GV_STR_MAX];
  gv_node *nm = gv_map_get(base, "name");
  if (nm && nm->kind == GV_NODE_SCALAR && *nm->value) {
    snprintf(stem, sizeof stem, "%s", nm->value);
  } else {
    const char *b = strrchr(file, '/');
    snprintf(stem, sizeof stem, "%s", b ? b + 1 : file);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    if (!nm) gv_map_set(base, "name", gv_node_new_scalar(stem)); /* else: check says why */
  }
  gv_node *on = gv_map_get(base, "out");
  const char *out = on && on->kind == GV_NODE_SCALAR ? on->value : NULL;
  /* `out` naming a run file (x.h5): a single run keeps it, a grid goes next
   * to it; anything else names the grid's folder */
  const size_t lo = out ? strlen(out) : 0;
  char safe[GV_CFG_NAME_KEEP + 18];
  gv_cfg_safe_file_name(stem, GV_CFG_NAME_KEEP, safe, sizeof safe);
  if (lo > 3 && !strcmp(out + lo - 3, ".h5")) {
    const char *sl = strrchr(out, '/');
    if (sl) snprintf(sw->dir, sizeof sw->dir, "%.*s", (int)(sl - out), out);
    else snprintf(sw->dir, sizeof sw->dir, ".");
  } else if (out && *out) {
    snprintf(sw->dir, sizeof sw->dir, "%s", out);
  } else {
    snprintf(sw->dir, sizeof sw->dir, "runs/%s", safe);
  }
  gv_status s = GV_OK;
  if (variants && (variants->kind != GV_NODE_SEQ || variants->n == 0)) {
    gv_cfg_where(where, sizeof where, &ctx, variants->line, "variants");
    s = gv_fail(err, GV_ECONFIG, "%s: expected a non-empty list of mappings, each with a name",
                where);
  }
  const size_t nv = s == GV_OK && variants ? variants->n : 1;
  sw->v = calloc(nv, sizeof *sw->v);
  if (!sw->v) abort();
  for (size_t v = 0; s == GV_OK && v < nv; ++v) {
    variant *va = &sw->v[sw->nv++];
    va->base = gv_node_clone(base);
    va->line = root->line ? root->line : 1;
    if (!variants) {
      va->name = xstrdup(stem);
      continue;
    }
    gv_node *var = variants->items[v];
    gv_node *vn = var->kind == GV_NODE_MAP ? gv_map_get(var, "name") : NULL;
    va->line = var->line;
    if (!vn || vn->kind != GV_NODE_SCALAR || !*vn->value) {
      gv_cfg_where(where, sizeof where, &ctx, var->line, "variants");
      s = gv_fail(err, GV_ECONFIG, "%s: item %zu: expected a mapping with a name", where, v);
      break;
    }
    va->line = vn->line;
    gv_node *over = gv_node_clone(var);
    gv_node_free(gv_map_take(over, "name"));
    gv_cfg_merge(va->base, over);
    gv_node_free(over);
    size_t len = strlen(stem) + strlen(vn->value) + 2;
    va->name = malloc(len);
    if (!va->name) abort();
    snprintf(va->name, len, "%s-%s", stem, vn->value);
  }
  gv_node_free(variants);
  gv_node_free(base);
  return s;
}

gv_status gv_sweep_open(const gv_node *root, const char *file, int check, gv_sweep **out,
                        gv_err *err) {
  *out = NULL;
  gv_cfg_ctx ctx = {file, ""};
  char where[512];
  if (!root || root->kind != GV_NODE_MAP) {
    gv_cfg_where(where, sizeof where, &ctx, root && root->line ? root->line : 1, NULL);
    return gv_fail(err, GV_ECONFIG, "%sthe config must be a mapping of sections", where);
  }
  gv_sweep *sw = calloc(1, sizeof *sw);
  if (!sw) abort();
  sw->file = xstrdup(file);
  gv_status s = make_variants(sw, root, err);
  for (size_t v = 0; s == GV_OK && v < sw->nv; ++v) {
    variant *va = &sw->v[v];
    s = find_axes(va, file, err);
    va->first = sw->total;
    va->count = 1;
    for (size_t a = 0; s == GV_OK && a < va->na; ++a) {
      if (va->axes[a].values->n > GV_SWEEP_MAX_POINTS / va->count) {
        va->count = 0; /* too many, and no product computed that could wrap */
        break;
      }
      va->count *= va->axes[a].values->n;
    }
    if (s == GV_OK && (va->count == 0 || va->count > GV_SWEEP_MAX_POINTS - sw->total)) {
      gv_cfg_where(where, sizeof where, &ctx, va->na ? va->axes[va->na - 1].line : va->line,
                   va->na ? va->axes[va->na - 1].path : "variants");
      s = gv_fail(err, GV_ECONFIG, "%s: the grid has more than %d points (allowed: at most %d "
                  "runs in one sweep: split it)", where, GV_SWEEP_MAX_POINTS,
                  GV_SWEEP_MAX_POINTS);
    }
    if (s == GV_OK) sw->total += va->count;
  }
  sw->single = s == GV_OK && sw->nv == 1 && sw->v[0].na == 0 && !gv_map_get(root, "variants");
  if (s == GV_OK) s = check_paths(sw, err);
  if (check == GV_SWEEP_CHECK_AUTO)
    check = sw->total <= GV_SWEEP_CHECK_EVERY ? GV_SWEEP_CHECK_ALL : GV_SWEEP_CHECK_AXES;
  if (s == GV_OK && check == GV_SWEEP_CHECK_AXES) s = check_axis_values(sw, err);
  if (s == GV_OK && check == GV_SWEEP_CHECK_ALL) {
    gv_sweep_point pt = {0};
    for (size_t i = 0; s == GV_OK && i < sw->total; ++i)
      if ((s = gv_sweep_point_at(sw, i, &pt, err)) == GV_OK) gv_sweep_point_clear(&pt);
    gv_sweep_point_clear(&pt);
  }
  if (s != GV_OK) {
    gv_sweep_close(sw);
    return s;
  }
  *out = sw;
  return GV_OK;
}
