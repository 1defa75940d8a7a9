/* The YAML config tree: parsing with libyaml's event API, lookup, --set
 * overrides, merging and emitting. */
#include "core/config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static void *xrealloc(void *p, size_t size) {
  void *q = realloc(p, size);
  if (!q && size) abort(); /* config trees are tiny: out of memory here is fatal */
  return q;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = xrealloc(NULL, n);
  memcpy(d, s, n);
  return d;
}

static gv_node *node_new(gv_node_kind kind, int line) {
  gv_node *n = xrealloc(NULL, sizeof *n);
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->line = line;
  return n;
}

gv_node *gv_node_new_scalar(const char *value) {
  gv_node *n = node_new(GV_NODE_SCALAR, 0);
  n->value = xstrdup(value);
  return n;
}
gv_node *gv_node_new_map(void) { return node_new(GV_NODE_MAP, 0); }
gv_node *gv_node_new_seq(void) { return node_new(GV_NODE_SEQ, 0); }

void gv_node_free(gv_node *n) {
  if (!n) return;
  for (size_t i = 0; i < n->n; ++i) {
    gv_node_free(n->items[i]);
    if (n->keys) free(n->keys[i]);
  }
  free(n->items);
  free(n->keys);
  free(n->key_lines);
  free(n->value);
  free(n);
}

static void grow(gv_node *n) {
  if (n->n < n->cap) return;
  n->cap = n->cap ? 2 * n->cap : 4;
  n->items = xrealloc(n->items, n->cap * sizeof *n->items);
  if (n->kind == GV_NODE_MAP) {
    n->keys = xrealloc(n->keys, n->cap * sizeof *n->keys);
    n->key_lines = xrealloc(n->key_lines, n->cap * sizeof *n->key_lines);
  }
}

void gv_seq_push(gv_node *seq, gv_node *value) {
  grow(seq);
  seq->items[seq->n++] = value;
}

static long map_index(const gv_node *map, const char *key) {
  if (!map || map->kind != GV_NODE_MAP) return -1;
  for (size_t i = 0; i < map->n; ++i)
    if (strcmp(map->keys[i], key) == 0) return (long)i;
  return -1;
}

static void map_set_line(gv_node *map, const char *key, gv_node *value, int line) {
  long i = map_index(map, key);
  if (i >= 0) {
    gv_node_free(map->items[i]);
    map->items[i] = value;
    return;
  }
  grow(map);
  map->keys[map->n] = xstrdup(key);
  map->key_lines[map->n] = line;
  map->items[map->n++] = value;
}

void gv_map_set(gv_node *map, const char *key, gv_node *value) {
  map_set_line(map, key, value, value ? value->line : 0);
}

gv_node *gv_map_get(const gv_node *map, const char *key) {
  long i = map_index(map, key);
  return i < 0 ? NULL : map->items[i];
}

int gv_map_key_line(const gv_node *map, const char *key) {
  long i = map_index(map, key);
  return i < 0 ? 0 : map->key_lines[i];
}

int gv_map_key_line_or(const gv_node *map, const char *key, int section_line) {
  const int l = map ? gv_map_key_line(map, key) : 0;
  return l ? l : section_line ? section_line : 1;
}

const char *gv_map_str(const gv_node *map, const char *key) {
  gv_node *v = gv_map_get(map, key);
  return v && v->kind == GV_NODE_SCALAR ? v->value : NULL;
}

gv_node *gv_map_take(gv_node *map, const char *key) {
  long i = map_index(map, key);
  if (i < 0) return NULL;
  gv_node *v = map->items[i];
  free(map->keys[i]);
  for (size_t j = (size_t)i + 1; j < map->n; ++j) {
    map->items[j - 1] = map->items[j];
    map->keys[j - 1] = map->keys[j];
    map->key_lines[j - 1] = map->key_lines[j];
  }
  map->n--;
  return v;
}

gv_node *gv_node_clone(const gv_node *n) {
  if (!n) return NULL;
  gv_node *c = node_new(n->kind, n->line);
  c->quoted = n->quoted;
  if (n->value) c->value = xstrdup(n->value);
  for (size_t i = 0; i < n->n; ++i) { /* keys are unique already: no lookup */
    if (n->kind == GV_NODE_MAP) {
      grow(c);
      c->keys[c->n] = xstrdup(n->keys[i]);
      c->key_lines[c->n] = n->key_lines[i];
    }
    gv_seq_push(c, gv_node_clone(n->items[i]));
  }
  return c;
}

/* ------------------------------------------------------------- parsing */

typedef struct parser {
  yaml_parser_t p;
  const char *name;
  gv_err *err;
} parser;

static gv_status parse_error(parser *ps) {
  return gv_fail(ps->err, GV_ECONFIG, "%s:%zu: %s%s%s", ps->name,
                 ps->p.problem_mark.line + 1, ps->p.problem ? ps->p.problem : "YAML error",
                 ps->p.context ? " " : "", ps->p.context ? ps->p.context : "");
}

/* The keys of a mapping being parsed, as an open-addressing hash set of
 * indices into its keys (so a mapping of n keys is checked for duplicates
 * in O(n), not O(n^2)). */
typedef struct keyset {
  size_t *slot;             /* index + 1 into the map's keys; 0: empty */
  size_t cap;               /* power of two */
} keyset;

static uint64_t key_hash(const char *k) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *k; ++k) h = (h ^ (unsigned char)*k) * 1099511628211ull;
  return h;
}

/* Adds map->keys[i] to ks; 0 when an equal key is already there. */
static int keyset_add(keyset *ks, const gv_node *map, size_t i) {
  if (2 * (map->n + 1) > ks->cap) { /* keep the load at most 1/2 */
    keyset big = {NULL, ks->cap ? 2 * ks->cap : 16};
    big.slot = xrealloc(NULL, big.cap * sizeof *big.slot);
    memset(big.slot, 0, big.cap * sizeof *big.slot);
    for (size_t j = 0; j < ks->cap; ++j)
      if (ks->slot[j]) {
        size_t h = (size_t)key_hash(map->keys[ks->slot[j] - 1]) & (big.cap - 1);
        while (big.slot[h]) h = (h + 1) & (big.cap - 1);
        big.slot[h] = ks->slot[j];
      }
    free(ks->slot);
    *ks = big;
  }
  size_t h = (size_t)key_hash(map->keys[i]) & (ks->cap - 1);
  for (; ks->slot[h]; h = (h + 1) & (ks->cap - 1))
    if (!strcmp(map->keys[ks->slot[h] - 1], map->keys[i])) return 0;
  ks->slot[h] = i + 1;
  return 1;
}

static gv_status parse_node(parser *ps, yaml_event_t *ev, int depth, gv_node **out);

/* The items of a sequence or the pairs of a mapping, up to its end event. */
static gv_status parse_items(parser *ps, gv_node *n, int depth) {
  const int is_map = n->kind == GV_NODE_MAP;
  keyset ks = {NULL, 0};
  gv_status s = GV_OK;
  for (;;) {
    yaml_event_t e;
    if (!yaml_parser_parse(&ps->p, &e)) {
      s = parse_error(ps);
      break;
    }
    if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&e);
      break;
    }
    if (!is_map) {
      gv_node *v = NULL;
      s = parse_node(ps, &e, depth + 1, &v);
      yaml_event_delete(&e);
      if (s != GV_OK) break;
      gv_seq_push(n, v);
      continue;
    }
    int kline = (int)e.start_mark.line + 1;
    if (e.type != YAML_SCALAR_EVENT) {
      yaml_event_delete(&e);
      s = gv_fail(ps->err, GV_ECONFIG, "%s:%d: keys must be plain scalars", ps->name, kline);
      break;
    }
    char *key = xrealloc(NULL, e.data.scalar.length + 1);
    memcpy(key, e.data.scalar.value, e.data.scalar.length);
    key[e.data.scalar.length] = 0;
    yaml_event_delete(&e);
    grow(n);
    n->keys[n->n] = key;
    n->key_lines[n->n] = kline;
    n->items[n->n] = NULL;
    if (!keyset_add(&ks, n, n->n)) {
      s = gv_fail(ps->err, GV_ECONFIG, "%s:%d: %s: duplicate key", ps->name, kline, key);
      free(key);
      break;
    }
    n->n++; /* the value is NULL until parsed: gv_node_free copes */
    yaml_event_t ve;
    if (!yaml_parser_parse(&ps->p, &ve)) {
      s = parse_error(ps);
      break;
    }
    s = parse_node(ps, &ve, depth + 1, &n->items[n->n - 1]);
    yaml_event_delete(&ve);
    if (s != GV_OK) break;
  }
  free(ks.slot);
  return s;
}

/* Parses the node whose first event is ev (already taken); on success *out
 * holds it.  Anchors and aliases are refused: configs are plain data.
 * Nesting deeper than GV_CFG_MAX_DEPTH is refused (every walk of the tree
 * is recursive). */
static gv_status parse_node(parser *ps, yaml_event_t *ev, int depth, gv_node **out) {
  int line = (int)ev->start_mark.line + 1;
  switch (ev->type) {
  case YAML_SCALAR_EVENT: {
    gv_node *n = node_new(GV_NODE_SCALAR, line);
    n->value = xrealloc(NULL, ev->data.scalar.length + 1);
    memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
    n->value[ev->data.scalar.length] = 0;
    n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    *out = n;
    return GV_OK;
  }
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    if (depth >= GV_CFG_MAX_DEPTH)
      return gv_fail(ps->err, GV_ECONFIG,
                     "%s:%d: nested too deeply (allowed: at most %d levels of lists and "
                     "mappings)", ps->name, line, GV_CFG_MAX_DEPTH);
    gv_node *n = node_new(ev->type == YAML_MAPPING_START_EVENT ? GV_NODE_MAP : GV_NODE_SEQ,
                          line);
    gv_status s = parse_items(ps, n, depth);
    if (s != GV_OK) {
      gv_node_free(n);
      return s;
    }
    *out = n;
    return GV_OK;
  }
  case YAML_ALIAS_EVENT:
    return gv_fail(ps->err, GV_ECONFIG, "%s:%d: aliases are not supported", ps->name, line);
  default:
    return gv_fail(ps->err, GV_ECONFIG, "%s:%d: unexpected YAML event", ps->name, line);
  }
}

static gv_status parse_all(parser *ps, gv_node **root) {
  gv_node *doc = NULL;
  for (;;) {
    yaml_event_t e;
    if (!yaml_parser_parse(&ps->p, &e)) {
      gv_node_free(doc);
      return parse_error(ps);
    }
    yaml_event_type_t t = e.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&e);
      break;
    }
    if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
        t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
      if (doc) {
        int l = (int)e.start_mark.line + 1;
        yaml_event_delete(&e);
        gv_node_free(doc);
        return gv_fail(ps->err, GV_ECONFIG, "%s:%d: only one YAML document is allowed",
                       ps->name, l);
      }
      gv_status s = parse_node(ps, &e, 0, &doc);
      yaml_event_delete(&e);
      if (s != GV_OK) return s;
      continue;
    }
    yaml_event_delete(&e);
  }
  *root = doc ? doc : gv_node_new_map(); /* an empty file is an empty map */
  return GV_OK;
}

gv_status gv_cfg_parse_string(const char *text, const char *name, gv_node **root, gv_err *err) {
  parser ps = {.name = name ? name : "<string>", .err = err};
  if (!yaml_parser_initialize(&ps.p)) return gv_fail(err, GV_ENOMEM, "yaml parser");
  yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, strlen(text));
  gv_status s = parse_all(&ps, root);
  yaml_parser_delete(&ps.p);
  return s;
}

gv_status gv_cfg_parse_file(const char *path, gv_node **root, gv_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return gv_fail(err, GV_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { /* fopen opens a folder */
    fclose(f);
    return gv_fail(err, GV_EINVAL, "%s: a folder, not a config file (give a YAML file)", path);
  }
  parser ps = {.name = path, .err = err};
  if (!yaml_parser_initialize(&ps.p)) {
    fclose(f);
    return gv_fail(err, GV_ENOMEM, "yaml parser");
  }
  yaml_parser_set_input_file(&ps.p, f);
  gv_status s = parse_all(&ps, root);
  yaml_parser_delete(&ps.p);
  fclose(f);
  return s;
}

gv_status gv_cfg_load(const char *path, gv_node **root, gv_err *err) {
  gv_status s = gv_cfg_parse_file(path, root, err);
  if (s != GV_OK) return s;
  if ((*root)->kind != GV_NODE_MAP) {
    s = gv_fail(err, GV_ECONFIG, "%s:%d: the config must be a mapping of sections (game: ..., "
                "scheme: ...), not a %s", path, (*root)->line ? (*root)->line : 1,
                (*root)->kind == GV_NODE_SEQ ? "list" : "single value");
    gv_node_free(*root);
    *root = NULL;
  }
  return s;
}

gv_status gv_cfg_locate(gv_status st, gv_err *err, const gv_cfg_ctx *ctx, const gv_node *map,
                        const char *key) {
  if (st == GV_OK || st == GV_ENOMEM || !err) return st;
  const char *file = ctx && ctx->file ? ctx->file : "<config>";
  const size_t fl = strlen(file);
  if (!strncmp(err->msg, file, fl) &&
      (err->msg[fl] == ':' || !strncmp(err->msg + fl, " (--set)", 8)))
    return st; /* located already */
  int line = map ? gv_map_key_line(map, key) : 0;
  if (!line && map) line = map->line;
  char where[512], msg[GV_ERR_MAX];
  gv_cfg_where(where, sizeof where, ctx, line ? line : 1, key);
  snprintf(msg, sizeof msg, "%s", err->msg);
  return gv_fail(err, st, "%s: %s", where, msg);
}

void gv_cfg_safe_name(const char *text, char *buf, size_t size) {
  if (!size) return;
  size_t o = 0;
  for (const char *p = text ? text : ""; *p && o + 1 < size; ++p) {
    const unsigned char c = (unsigned char)*p;
    const int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c >= 0x80 || strchr("._+=,-", c);
    buf[o] = keep && !(o == 0 && c == '.') ? (char)c : '_';
    o++;
  }
  if (o == 0 && size > 1) buf[o++] = '_';
  buf[o] = 0;
}

uint64_t gv_fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

void gv_cfg_safe_file_name(const char *text, size_t keep, char *buf, size_t size) {
  gv_cfg_safe_name(text, buf, size);
  const char *t = text ? text : "";
  if (size < 19 || strlen(t) <= keep) return; /* short, or no room for a prefix and the hash */
  size_t cut = keep < size - 18 ? keep : size - 18;
  while (cut > 0 && ((unsigned char)buf[cut] & 0xC0) == 0x80) cut--; /* a whole UTF-8 char */
  snprintf(buf + cut, 18, "~%016llx", (unsigned long long)gv_fnv1a(t));
}

/* ------------------------------------------------------ paths, --set */

static int is_index(const char *s, size_t *idx) {
  if (!*s) return 0;
  size_t v = 0;
  for (const char *p = s; *p; ++p) {
    if (*p < '0' || *p > '9') return 0;
    v = 10 * v + (size_t)(*p - '0');
  }
  *idx = v;
  return 1;
}

gv_node *gv_cfg_lookup(const gv_node *root, const char *path) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", path);
  const gv_node *n = root;
  for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && n;
       tok = strtok_r(NULL, ".", &save)) {
    size_t idx;
    if (n->kind == GV_NODE_MAP)
      n = gv_map_get(n, tok);
    else if (n->kind == GV_NODE_SEQ && is_index(tok, &idx))
      n = idx < n->n ? n->items[idx] : NULL;
    else
      n = NULL;
  }
  return (gv_node *)n;
}

/* Nodes made by gv_cfg_set take the line of where they land in the file, so a
 * message about them points at the section they changed; gv_cfg_override's
 * take GV_LINE_SET. */
static void set_lines(gv_node *n, int line) {
  n->line = line;
  for (size_t i = 0; i < n->n; ++i) {
    if (n->key_lines) n->key_lines[i] = line;
    set_lines(n->items[i], line);
  }
}

static gv_status cfg_set(gv_node *root, const char *assignment, int given, gv_err *err) {
  const char *eq = strchr(assignment, '=');
  if (!eq || eq == assignment)
    return gv_fail(err, GV_EINVAL, "--set %s: expected key=value (e.g. scheme.h=0.1)",
                   assignment);
  char path[512];
  size_t plen = (size_t)(eq - assignment);
  if (plen >= sizeof path) return gv_fail(err, GV_EINVAL, "--set: key too long");
  memcpy(path, assignment, plen);
  path[plen] = 0;

  gv_node *value = NULL;
  gv_err perr;
  if (gv_cfg_parse_string(eq + 1, "--set", &value, &perr) != GV_OK)
    return gv_fail(err, GV_EINVAL, "--set %s: value is not valid YAML: %s", path, perr.msg);
  if (value->kind == GV_NODE_MAP && value->n == 0 && eq[1] == 0) {
    /* "key=" sets the empty string */
    gv_node_free(value);
    value = gv_node_new_scalar("");
  }

  size_t keys = 1;
  for (const char *c = path; *c; ++c) keys += *c == '.';
  if (keys > GV_CFG_MAX_DEPTH) {
    gv_node_free(value);
    return gv_fail(err, GV_EINVAL, "--set %.100s...: nested too deeply (allowed: at most %d keys)",
                   path, GV_CFG_MAX_DEPTH);
  }
  gv_node *n = root;
  char *save = NULL;
  char *tok = strtok_r(path, ".", &save);
  if (given) set_lines(value, GV_LINE_SET); /* once: where it lands does not matter */
  while (tok) {
    if (!given) set_lines(value, n->line);
    char *next = strtok_r(NULL, ".", &save);
    size_t idx;
    if (n->kind == GV_NODE_SEQ) {
      if (!is_index(tok, &idx) || idx >= n->n) {
        gv_node_free(value);
        return gv_fail(err, GV_EINVAL, "--set %s: '%s' is not an index of a %zu-item list",
                       assignment, tok, n->n);
      }
      if (!next) {
        if (!given) set_lines(value, n->items[idx]->line);
        gv_node_free(n->items[idx]);
        n->items[idx] = value;
        return GV_OK;
      }
      n = n->items[idx];
    } else if (n->kind == GV_NODE_MAP) {
      if (!next) {
        /* a key the file has: the value takes that key's line (a whole
         * section replaced points at the section, not at the file's top) */
        int kl = gv_map_key_line(n, tok);
        if (kl > 0 && !given) set_lines(value, kl);
        map_set_line(n, tok, value, value->line);
        if (given) n->key_lines[map_index(n, tok)] = GV_LINE_SET; /* not the old value's line */
        return GV_OK;
      }
      gv_node *c = gv_map_get(n, tok);
      if (!c) {
        c = gv_node_new_map();
        c->line = given ? GV_LINE_SET : n->line;
        gv_map_set(n, tok, c);
      }
      n = c;
    } else {
      gv_node_free(value);
      return gv_fail(err, GV_EINVAL, "--set %s: '%s' is inside a scalar", assignment, tok);
    }
    tok = next;
  }
  gv_node_free(value);
  return gv_fail(err, GV_EINVAL, "--set %s: empty key", assignment);
}

gv_status gv_cfg_set(gv_node *root, const char *assignment, gv_err *err) {
  return cfg_set(root, assignment, 0, err);
}

gv_status gv_cfg_override(gv_node *root, const char *assignment, gv_err *err) {
  return cfg_set(root, assignment, 1, err);
}

void gv_cfg_merge(gv_node *base, const gv_node *over) {
  if (!base || !over || base->kind != GV_NODE_MAP || over->kind != GV_NODE_MAP) return;
  for (size_t i = 0; i < over->n; ++i) {
    gv_node *b = gv_map_get(base, over->keys[i]);
    if (b && b->kind == GV_NODE_MAP && over->items[i]->kind == GV_NODE_MAP)
      gv_cfg_merge(b, over->items[i]);
    else {
      map_set_line(base, over->keys[i], gv_node_clone(over->items[i]), over->key_lines[i]);
      if (over->key_lines[i]) /* where the new value is, not the one it replaced */
        base->key_lines[map_index(base, over->keys[i])] = over->key_lines[i];
    }
  }
}

/* ------------------------------------------------------------ emitting */

typedef struct strbuf {
  char *s;
  size_t n, cap;
} strbuf;

static int write_handler(void *data, unsigned char *buffer, size_t size) {
  strbuf *b = data;
  if (b->n + size + 1 > b->cap) {
    while (b->n + size + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 1024;
    b->s = xrealloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, buffer, size);
  b->n += size;
  b->s[b->n] = 0;
  return 1;
}

static void emit_scalar(yaml_emitter_t *em, const char *v, int quoted) {
  yaml_event_t e;
  yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), !quoted,
                               quoted, quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                              : YAML_ANY_SCALAR_STYLE);
  yaml_emitter_emit(em, &e);
}

static void emit_node(yaml_emitter_t *em, const gv_node *n) {
  yaml_event_t e;
  switch (n->kind) {
  case GV_NODE_SCALAR:
    emit_scalar(em, n->value, n->quoted);
    break;
  case GV_NODE_SEQ: {
    /* short lists of scalars stay on one line: [0.3, 1.0] */
    int flow = n->n <= 8;
    for (size_t i = 0; i < n->n; ++i) flow &= n->items[i]->kind == GV_NODE_SCALAR;
    yaml_sequence_start_event_initialize(&e, NULL, NULL, 1,
                                         flow ? YAML_FLOW_SEQUENCE_STYLE
                                              : YAML_BLOCK_SEQUENCE_STYLE);
    yaml_emitter_emit(em, &e);
    for (size_t i = 0; i < n->n; ++i) emit_node(em, n->items[i]);
    yaml_sequence_end_event_initialize(&e);
    yaml_emitter_emit(em, &e);
    break;
  }
  case GV_NODE_MAP:
    yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    yaml_emitter_emit(em, &e);
    for (size_t i = 0; i < n->n; ++i) {
      emit_scalar(em, n->keys[i], 0);
      emit_node(em, n->items[i]);
    }
    yaml_mapping_end_event_initialize(&e);
    yaml_emitter_emit(em, &e);
    break;
  }
}

char *gv_cfg_emit(const gv_node *root) {
  strbuf b = {0};
  yaml_emitter_t em;
  yaml_event_t e;
  yaml_emitter_initialize(&em);
  yaml_emitter_set_output(&em, write_handler, &b);
  yaml_emitter_set_unicode(&em, 1);
  yaml_emitter_set_width(&em, 100);
  yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
  yaml_emitter_emit(&em, &e);
  yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
  yaml_emitter_emit(&em, &e);
  emit_node(&em, root);
  yaml_document_end_event_initialize(&e, 1);
  yaml_emitter_emit(&em, &e);
  yaml_stream_end_event_initialize(&e);
  yaml_emitter_emit(&em, &e);
  yaml_emitter_flush(&em);
  yaml_emitter_delete(&em);
  if (!b.s) b.s = xstrdup("");
  return b.s;
}
