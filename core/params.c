/* Typed parameter specs: one loader validates every component's mapping
 * (Redis config.c style: each option is a row of data). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"

static const char *type_name(gv_type t) {
  switch (t) {
  case GV_T_INT: return "integer";
  case GV_T_REAL: return "number";
  case GV_T_BOOL: return "boolean";
  case GV_T_STR: return "string";
  case GV_T_ENUM: return "name";
  case GV_T_LIST: return "list";
  }
  return "?";
}

gv_status gv_parse_real(const char *s, double *out) {
  if (!s || !*s) return GV_ECONFIG;
  if (!strcasecmp(s, ".inf") || !strcasecmp(s, "+.inf") || !strcasecmp(s, "inf")) {
    *out = INFINITY;
    return GV_OK;
  }
  if (!strcasecmp(s, "-.inf") || !strcasecmp(s, "-inf")) {
    *out = -INFINITY;
    return GV_OK;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end || errno == ERANGE || isnan(v)) return GV_ECONFIG;
  *out = v;
  return GV_OK;
}

gv_status gv_parse_int(const char *s, long *out) {
  if (!s || !*s) return GV_ECONFIG;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end == 0 && errno == 0) {
    *out = v;
    return GV_OK;
  }
  /* 1e5 is a fine way to write an integer, if it is one */
  double d;
  if (gv_parse_real(s, &d) == GV_OK && d == floor(d) && fabs(d) < 9.0e18) {
    *out = (long)d;
    return GV_OK;
  }
  return GV_ECONFIG;
}

gv_status gv_parse_bool(const char *s, int *out) {
  static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
  for (int i = 0; i < 4; ++i) {
    if (!strcasecmp(s, yes[i])) { *out = 1; return GV_OK; }
    if (!strcasecmp(s, no[i])) { *out = 0; return GV_OK; }
  }
  return GV_ECONFIG;
}

void gv_cfg_where(char *buf, size_t size, const gv_cfg_ctx *ctx, int line, const char *key) {
  const char *file = ctx && ctx->file ? ctx->file : "<config>";
  const char *path = ctx && ctx->path ? ctx->path : "";
  const char *dot = *path && key && *key ? "." : "";
  if (line == GV_LINE_SET)
    snprintf(buf, size, "%s (--set): %s%s%s", file, path, dot, key ? key : "");
  else
    snprintf(buf, size, "%s:%d: %s%s%s", file, line, path, dot, key ? key : "");
}

const char *gv_param_enum_name(const gv_param *p, int value) {
  if (!p->choices) return "?";
  for (int i = 0; p->choices[i]; ++i)
    if (i == value) return p->choices[i];
  return "?";
}

static void choices_text(const gv_param *p, char *buf, size_t size) {
  size_t off = 0;
  buf[0] = 0;
  for (int i = 0; p->choices && p->choices[i]; ++i)
    off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s", i ? ", " : "",
                            p->choices[i]);
}

static void bounds_text(const gv_param *p, char *buf, size_t size) {
  const char *l = p->flags & GV_P_LO_OPEN ? "(" : "[";
  const char *r = p->flags & GV_P_HI_OPEN ? ")" : "]";
  char lo[32], hi[32];
  if (isinf(p->lo)) snprintf(lo, sizeof lo, "-inf"); else snprintf(lo, sizeof lo, "%g", p->lo);
  if (isinf(p->hi)) snprintf(hi, sizeof hi, "inf"); else snprintf(hi, sizeof hi, "%g", p->hi);
  if (isinf(p->lo)) l = "(";
  if (isinf(p->hi)) r = ")";
  if (p->type == GV_T_INT)
    snprintf(buf, size, "integers in %s%s, %s%s", l, lo, hi, r);
  else
    snprintf(buf, size, "numbers in %s%s, %s%s", l, lo, hi, r);
}

static int in_bounds(const gv_param *p, double v) {
  if (isinf(v) && (p->lo == 0 && p->hi == 0 ? 1 : isinf(v > 0 ? p->hi : p->lo)))
    return 0; /* an infinite bound is open, as bounds_text writes it */
  if (p->lo == 0 && p->hi == 0) return 1; /* no bounds declared */
  if (p->flags & GV_P_LO_OPEN ? !(v > p->lo) : !(v >= p->lo)) return 0;
  if (p->flags & GV_P_HI_OPEN ? !(v < p->hi) : !(v <= p->hi)) return 0;
  return 1;
}

/* Converts one scalar into the field; on failure writes the message tail
 * ("expected a number (allowed: ...)") into msg. */
static gv_status convert(const gv_param *p, const gv_node *v, void *out, char *msg,
                         size_t size) {
  char allowed[512];
  char *field = (char *)out + p->offset;
  switch (p->type) {
  case GV_T_REAL: {
    double d;
    bounds_text(p, allowed, sizeof allowed);
    if (v->quoted || gv_parse_real(v->value, &d) != GV_OK) {
      snprintf(msg, size, "'%s' is not a number (allowed: %s)", v->value, allowed);
      return GV_ECONFIG;
    }
    if (!in_bounds(p, d)) {
      snprintf(msg, size, "%s is out of range (allowed: %s)", v->value, allowed);
      return GV_ECONFIG;
    }
    memcpy(field, &d, sizeof d);
    return GV_OK;
  }
  case GV_T_INT: {
    long l;
    bounds_text(p, allowed, sizeof allowed);
    if (v->quoted || gv_parse_int(v->value, &l) != GV_OK) {
      snprintf(msg, size, "'%s' is not an integer (allowed: %s)", v->value, allowed);
      return GV_ECONFIG;
    }
    if (!in_bounds(p, (double)l)) {
      snprintf(msg, size, "%s is out of range (allowed: %s)", v->value, allowed);
      return GV_ECONFIG;
    }
    memcpy(field, &l, sizeof l);
    return GV_OK;
  }
  case GV_T_BOOL: {
    int b;
    if (v->quoted || gv_parse_bool(v->value, &b) != GV_OK) {
      snprintf(msg, size, "'%s' is not a boolean (allowed: true, false)", v->value);
      return GV_ECONFIG;
    }
    memcpy(field, &b, sizeof b);
    return GV_OK;
  }
  case GV_T_STR:
    if (strlen(v->value) >= GV_STR_MAX) {
      snprintf(msg, size, "string too long (allowed: at most %d characters)", GV_STR_MAX - 1);
      return GV_ECONFIG;
    }
    snprintf(field, GV_STR_MAX, "%s", v->value);
    return GV_OK;
  case GV_T_LIST:
    return GV_OK; /* read by its owner */
  case GV_T_ENUM:
    for (int i = 0; p->choices && p->choices[i]; ++i)
      if (strcmp(p->choices[i], v->value) == 0) {
        memcpy(field, &i, sizeof i);
        return GV_OK;
      }
    choices_text(p, allowed, sizeof allowed);
    snprintf(msg, size, "unknown value '%s' (allowed: %s)", v->value, allowed);
    return GV_ECONFIG;
  }
  return GV_ECONFIG;
}

void gv_params_defaults(const gv_param *specs, void *out) {
  for (const gv_param *p = specs; p && p->name; ++p) {
    if (!p->def || p->type == GV_T_LIST) continue;
    gv_node tmp = {.kind = GV_NODE_SCALAR, .value = (char *)p->def};
    char msg[256];
    convert(p, &tmp, out, msg, sizeof msg); /* defaults are valid by construction */
  }
}

static int listed(const char *const *names, const char *key) {
  for (int i = 0; names && names[i]; ++i)
    if (strcmp(names[i], key) == 0) return 1;
  return 0;
}

const char *gv_param_default_of(const gv_param *p, const gv_param_default *over,
                                const char *kind) {
  for (const gv_param_default *o = over; o && o->name; ++o)
    if (!strcmp(o->name, p->name) && (!o->kind || (kind && !strcmp(o->kind, kind))))
      return o->def;
  return p->def;
}

gv_status gv_params_load(const gv_param *specs, gv_node *map, const char *const *extra,
                         const gv_cfg_ctx *ctx, void *out, gv_err *err) {
  return gv_params_load_over(specs, NULL, NULL, map, extra, ctx, out, err);
}

gv_status gv_params_load_over(const gv_param *specs, const gv_param_default *over,
                              const char *kind, gv_node *map, const char *const *extra,
                              const gv_cfg_ctx *ctx, void *out, gv_err *err) {
  char where[512], msg[768];
  if (!map || map->kind != GV_NODE_MAP) {
    gv_cfg_where(where, sizeof where, ctx, map ? map->line : 0, NULL);
    return gv_fail(err, GV_ECONFIG, "%s: expected a mapping of parameters", where);
  }
  /* unknown keys first: a typo should be named before anything else */
  for (size_t i = 0; i < map->n; ++i) {
    const char *key = map->keys[i];
    int known = listed(extra, key);
    for (const gv_param *p = specs; !known && p && p->name; ++p) known = !strcmp(p->name, key);
    if (!known) {
      size_t off = 0;
      char allowed[768] = "";
      for (const gv_param *p = specs; p && p->name; ++p)
        off += (size_t)snprintf(allowed + off, off < sizeof allowed ? sizeof allowed - off : 0,
                                "%s%s", off ? ", " : "", p->name);
      for (int k = 0; extra && extra[k]; ++k)
        off += (size_t)snprintf(allowed + off, off < sizeof allowed ? sizeof allowed - off : 0,
                                "%s%s", off ? ", " : "", extra[k]);
      gv_cfg_where(where, sizeof where, ctx, map->key_lines[i], key);
      return gv_fail(err, GV_ECONFIG, "%s: unknown key (allowed: %s)", where,
                     off ? allowed : "none");
    }
  }
  for (const gv_param *p = specs; p && p->name; ++p) {
    if (p->type == GV_T_LIST) continue; /* its owner reads and resolves it */
    gv_node *v = gv_map_get(map, p->name);
    int line = gv_map_key_line(map, p->name);
    gv_cfg_where(where, sizeof where, ctx, line ? line : map->line, p->name);
    if (!v) {
      const char *def = gv_param_default_of(p, over, kind);
      if (!def)
        return gv_fail(err, GV_ECONFIG, "%s: required %s is missing (%s)", where,
                       type_name(p->type), p->help ? p->help : "");
      gv_map_set(map, p->name, gv_node_new_scalar(def)); /* resolved config */
      v = gv_map_get(map, p->name);
    }
    if (v->kind == GV_NODE_SEQ) {
      if (err)
        snprintf(err->axis, sizeof err->axis, "%s%s%s", ctx && ctx->path ? ctx->path : "",
                 ctx && ctx->path && *ctx->path ? "." : "", p->name);
      return gv_fail(err, GV_ECONFIG,
                     "%s: a list where one %s is expected (lists are sweep axes: use "
                     "`governor sweep`)",
                     where, type_name(p->type));
    }
    if (v->kind == GV_NODE_MAP && (p->flags & GV_P_MAP_OK)) continue;
    if (v->kind != GV_NODE_SCALAR)
      return gv_fail(err, GV_ECONFIG, "%s: expected one %s, found a mapping", where,
                     type_name(p->type));
    if (convert(p, v, out, msg, sizeof msg) != GV_OK)
      return gv_fail(err, GV_ECONFIG, "%s: %s", where, msg);
  }
  return GV_OK;
}

void gv_params_print(FILE *f, const gv_param *specs, const char *indent) {
  gv_params_print_over(f, specs, NULL, NULL, indent);
}

void gv_params_print_over(FILE *f, const gv_param *specs, const gv_param_default *over,
                          const char *kind, const char *indent) {
  char extra[512];
  for (const gv_param *p = specs; p && p->name; ++p) {
    const char *def = gv_param_default_of(p, over, kind);
    extra[0] = 0;
    if (p->type == GV_T_ENUM)
      choices_text(p, extra, sizeof extra);
    else if ((p->type == GV_T_REAL || p->type == GV_T_INT) && !(p->lo == 0 && p->hi == 0))
      bounds_text(p, extra, sizeof extra);
    fprintf(f, "%s%-14s %-8s default %-10s %s%s%s%s\n", indent, p->name, type_name(p->type),
            def ? (*def ? def : "\"\"") : "(required)", p->help ? p->help : "",
            *extra ? " [" : "", extra, *extra ? "]" : "");
  }
}
