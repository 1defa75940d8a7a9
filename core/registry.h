/* Component registries (games, schemes, controllers, ...).
 *
 * Every pluggable method table starts with a gv_component (name, summary,
 * parameter specs) as its FIRST member, so a registry is a NULL-terminated
 * array of `const gv_component *` and the owner casts an entry back to its
 * own table type (as GSL's rng/types.c lists its generator types). */
#ifndef GV_CORE_REGISTRY_H
#define GV_CORE_REGISTRY_H

#include <stdio.h>

#include "core/config.h"

typedef struct gv_component {
  const char *name;         /* config name: "r1" */
  const char *summary;      /* one line */
  const char *cite;         /* paper and equation, or NULL */
  const gv_param *params;   /* NULL-name terminated; NULL when none */
  size_t params_size;       /* sizeof the parameter struct */
} gv_component;

typedef struct gv_registry {
  const char *kind;                   /* "controller" */
  const char *help;                   /* one line about the kind */
  const gv_component *const *items;   /* NULL-terminated */
} gv_registry;

const gv_component *gv_registry_find(const gv_registry *r, const char *name);

/* Like find, but a miss is GV_ECONFIG: "file:line: key: unknown controller
 * 'x' (allowed: none, r1, ...)". */
gv_status gv_registry_lookup(const gv_registry *r, const char *name, const gv_cfg_ctx *ctx,
                             int line, const char *key, const gv_component **out, gv_err *err);

/* `governor list`: names and summaries; with verbose, every parameter. */
void gv_registry_print(FILE *f, const gv_registry *r, int verbose);

/* Comma-separated names into buf (for "allowed: ..." messages). */
void gv_registry_names(const gv_registry *r, char *buf, size_t size);

#endif
