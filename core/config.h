/* The YAML config tree (parsed with libyaml) and typed parameter specs.
 *
 * A config file is parsed into a tree of gv_node that remembers the line of
 * every key and value.  Components declare their parameters as data
 * (gv_param rows: name, type, default, bounds, help, offset into the
 * component's plain parameter struct); gv_params_load validates a mapping
 * against such a table, writes the defaults back into the tree (so the tree
 * becomes the resolved config, stored in the run file) and fills the struct.
 * Errors read `file:line: key: message (allowed: ...)`. */
#ifndef GV_CORE_CONFIG_H
#define GV_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

typedef enum { GV_NODE_SCALAR, GV_NODE_SEQ, GV_NODE_MAP } gv_node_kind;

typedef struct gv_node gv_node;
struct gv_node {
  gv_node_kind kind;
  int line;                 /* 1-based line in the source (0: made by code,
                               GV_LINE_SET: given by --set) */
  char *value;              /* SCALAR: text as written */
  int quoted;               /* SCALAR: was quoted (then never a number/bool) */
  size_t n, cap;            /* SEQ, MAP: number of items */
  char **keys;              /* MAP: keys (n) */
  int *key_lines;           /* MAP: line of each key (n) */
  gv_node **items;          /* SEQ, MAP: children (n) */
};

/* Parsing.  `name` is the file name used in messages. */
gv_status gv_cfg_parse_file(const char *path, gv_node **root, gv_err *err);
gv_status gv_cfg_parse_string(const char *text, const char *name, gv_node **root,
                              gv_err *err);
/* A config file: parsed, and its top level must be a mapping (GV_ECONFIG
 * with file:line otherwise). */
gv_status gv_cfg_load(const char *path, gv_node **root, gv_err *err);
/* Lists and mappings nest at most this deep (deeper is GV_ECONFIG). */
#define GV_CFG_MAX_DEPTH 64
void gv_node_free(gv_node *n);
gv_node *gv_node_clone(const gv_node *n);

/* Building. */
gv_node *gv_node_new_scalar(const char *value);
gv_node *gv_node_new_map(void);
gv_node *gv_node_new_seq(void);
/* Sets key in a MAP (replacing and freeing any old value); takes ownership. */
void gv_map_set(gv_node *map, const char *key, gv_node *value);
void gv_seq_push(gv_node *seq, gv_node *value);

/* Lookup: the value under key in a MAP, or NULL. */
gv_node *gv_map_get(const gv_node *map, const char *key);
/* Line of key in map (0 when absent). */
int gv_map_key_line(const gv_node *map, const char *key);
/* Line of key in map, else section_line (a default has no line), else 1;
 * GV_LINE_SET when that is where --set put it. */
int gv_map_key_line_or(const gv_node *map, const char *key, int section_line);
/* Scalar text under key, or NULL when absent or not a scalar. */
const char *gv_map_str(const gv_node *map, const char *key);

/* Removes key from a MAP and returns its value (caller frees), or NULL. */
gv_node *gv_map_take(gv_node *map, const char *key);

/* Follows a dotted path ("controllers.0.gamma"); NULL when absent. */
gv_node *gv_cfg_lookup(const gv_node *root, const char *path);

/* `key.path=value`: value is parsed as YAML (so `[1, 2]` is a list);
 * intermediate maps are created, sequence indices must exist.  The new
 * nodes take the line of where they land in the file (code's own settings:
 * a message about them points at the section). */
gv_status gv_cfg_set(gv_node *root, const char *assignment, gv_err *err);
/* The same for a user's `--set`: the new nodes (and the key they land on)
 * take GV_LINE_SET, so a message about them reads "FILE (--set): key: ..."
 * instead of naming a line of the file that does not hold the value. */
#define GV_LINE_SET (-1)
gv_status gv_cfg_override(gv_node *root, const char *assignment, gv_err *err);

/* Deep merge: keys of `over` replace those of `base` (maps merge recursively,
 * everything else is replaced).  `over` is not modified. */
void gv_cfg_merge(gv_node *base, const gv_node *over);

/* Config text made safe as one path component: every ASCII byte outside
 * [A-Za-z0-9._+=,-] becomes '_', and so does a leading '.', so the result
 * never holds a '/' or a control character, is never "." or "..", and is
 * never empty.  Bytes >= 0x80 (UTF-8: "rho-α") are kept. */
void gv_cfg_safe_name(const char *text, char *buf, size_t size);

/* 64-bit FNV-1a of a string: the hash in file names below, a sweep's path
 * table. */
uint64_t gv_fnv1a(const char *s);

/* A file or folder name made from config text: gv_cfg_safe_name, and text
 * longer than `keep` bytes cut to its first `keep` (fewer, to keep a UTF-8
 * character whole, or to fit `size`) followed by '~' and a 16-digit hash of
 * all of it (gv_fnv1a), so that names sharing a prefix stay distinct
 * files.  The result has at most keep + 17 bytes. */
#define GV_CFG_NAME_KEEP 180
void gv_cfg_safe_file_name(const char *text, size_t keep, char *buf, size_t size);

/* YAML text of the tree (block style); caller frees. */
char *gv_cfg_emit(const gv_node *root);

/* ---------------------------------------------------------------- params */

typedef enum {
  GV_T_INT,     /* long */
  GV_T_REAL,    /* double */
  GV_T_BOOL,    /* int, 0 or 1 */
  GV_T_STR,     /* char[GV_STR_MAX] */
  GV_T_ENUM,    /* int: index into choices */
  GV_T_LIST     /* a list the component reads itself: listed and accepted, not loaded */
} gv_type;

#define GV_STR_MAX 256

enum {
  GV_P_LO_OPEN = 1,         /* lower bound excluded: value > lo */
  GV_P_HI_OPEN = 2,         /* upper bound excluded: value < hi */
  GV_P_MAP_OK = 4,          /* the key may hold a mapping instead, which the loader
                               leaves to its owner (game.env: {kind: mjcf, ...}) */
};

typedef struct gv_param {
  const char *name;         /* key in the YAML mapping */
  gv_type type;
  size_t offset;            /* offset of the field in the parameter struct */
  const char *def;          /* default as YAML text; NULL: required */
  double lo, hi;            /* bounds for INT and REAL (inclusive unless flags) */
  unsigned flags;           /* GV_P_* */
  const char *const *choices; /* ENUM: NULL-terminated names */
  const char *help;         /* one line */
} gv_param;

/* Table rows.  S is the parameter struct, F the field. */
#define GV_PARAM_REAL(S, F, def, lo, hi, help) \
  {#F, GV_T_REAL, offsetof(S, F), def, lo, hi, 0, NULL, help}
#define GV_PARAM_REALX(S, F, def, lo, hi, flags, help) \
  {#F, GV_T_REAL, offsetof(S, F), def, lo, hi, flags, NULL, help}
#define GV_PARAM_INT(S, F, def, lo, hi, help) \
  {#F, GV_T_INT, offsetof(S, F), def, lo, hi, 0, NULL, help}
#define GV_PARAM_BOOL(S, F, def, help) \
  {#F, GV_T_BOOL, offsetof(S, F), def, 0, 1, 0, NULL, help}
#define GV_PARAM_STR(S, F, def, help) \
  {#F, GV_T_STR, offsetof(S, F), def, 0, 0, 0, NULL, help}
#define GV_PARAM_ENUM(S, F, def, choices, help) \
  {#F, GV_T_ENUM, offsetof(S, F), def, 0, 0, 0, choices, help}
#define GV_PARAM_LIST(name, def, help) {name, GV_T_LIST, 0, def, 0, 0, 0, NULL, help}
#define GV_PARAM_END {NULL, GV_T_INT, 0, NULL, 0, 0, 0, NULL, NULL}

/* Where a mapping came from, for messages: "configs/x.yaml", "controllers.0". */
typedef struct gv_cfg_ctx {
  const char *file;         /* file name for messages */
  const char *path;         /* dotted path of the mapping ("" at the top) */
} gv_cfg_ctx;

/* An experiment's own default for a key of a table it shares with others
 * (DAC's `disc.reward: logit` over the shared discriminator table, TD3's
 * `absorbing: true` under DAC, WGAN-GP's `gamma: 20` under GAIL).  A list
 * of them ends with a NULL name; `kind` names the component whose table the
 * row overrides (NULL: the section's own table).  The loader writes the
 * override into the tree exactly as it writes a table default, so the
 * resolved config and `governor list` show it. */
typedef struct gv_param_default {
  const char *kind;         /* component ("td3", "wgan_gp"), NULL: the section's table */
  const char *name;         /* key */
  const char *def;          /* default as YAML text */
} gv_param_default;

/* The default of p under `over` for component `kind` (p->def when none). */
const char *gv_param_default_of(const gv_param *p, const gv_param_default *over,
                                const char *kind);

/* Validates `map` against `specs` (NULL-name terminated) and fills `out`.
 * Keys listed in `extra` (NULL-terminated, may be NULL) are accepted and left
 * alone (e.g. "kind").  Missing keys get their default, written into `map`.
 * Unknown keys, wrong types, out-of-range values, bad enum names and missing
 * required keys are GV_ECONFIG with a `file:line: key: ...` message.
 * A list where a scalar is expected is GV_ECONFIG too, with a hint to use
 * `governor sweep` (sweep expansion happens before, see experiments/). */
gv_status gv_params_load(const gv_param *specs, gv_node *map, const char *const *extra,
                         const gv_cfg_ctx *ctx, void *out, gv_err *err);

/* gv_params_load with the defaults `over` of component `kind` in place of
 * the table's (over may be NULL). */
gv_status gv_params_load_over(const gv_param *specs, const gv_param_default *over,
                              const char *kind, gv_node *map, const char *const *extra,
                              const gv_cfg_ctx *ctx, void *out, gv_err *err);

/* Fills `out` with the defaults of `specs` (required ones left zero). */
void gv_params_defaults(const gv_param *specs, void *out);

/* Prints one line per parameter: "  name  type  default  [bounds]  help". */
void gv_params_print(FILE *f, const gv_param *specs, const char *indent);
/* The same with the defaults `over` of component `kind`. */
void gv_params_print_over(FILE *f, const gv_param *specs, const gv_param_default *over,
                          const char *kind, const char *indent);

/* Enum choice name of field value (for messages). */
const char *gv_param_enum_name(const gv_param *p, int value);

/* Converts a scalar; GV_ECONFIG (message without location) when it is not one. */
gv_status gv_parse_real(const char *s, double *out);
gv_status gv_parse_int(const char *s, long *out);
gv_status gv_parse_bool(const char *s, int *out);

/* An error from a layer that knows no config (a scheme's step size, a
 * controller that does not fit the game) found while checking `key` of
 * `map`: unless err already starts with the file name, it is prefixed with
 * "file:line: path.key: " (the key's line, else the map's).  Returns st. */
gv_status gv_cfg_locate(gv_status st, gv_err *err, const gv_cfg_ctx *ctx, const gv_node *map,
                        const char *key);

/* Formats "file:line: path.key: " into buf. */
void gv_cfg_where(char *buf, size_t size, const gv_cfg_ctx *ctx, int line, const char *key);

#endif
