#include "core/registry.h"

#include <string.h>

const gv_component *gv_registry_find(const gv_registry *r, const char *name) {
  for (const gv_component *const *c = r->items; name && *c; ++c)
    if (strcmp((*c)->name, name) == 0) return *c;
  return NULL;
}

void gv_registry_names(const gv_registry *r, char *buf, size_t size) {
  size_t off = 0;
  buf[0] = 0;
  for (const gv_component *const *c = r->items; *c; ++c)
    off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s",
                            c == r->items ? "" : ", ", (*c)->name);
}

gv_status gv_registry_lookup(const gv_registry *r, const char *name, const gv_cfg_ctx *ctx,
                             int line, const char *key, const gv_component **out, gv_err *err) {
  *out = gv_registry_find(r, name);
  if (*out) return GV_OK;
  char where[512], names[768];
  gv_cfg_where(where, sizeof where, ctx, line, key);
  gv_registry_names(r, names, sizeof names);
  return gv_fail(err, GV_ECONFIG, "%s: unknown %s '%s' (allowed: %s)", where, r->kind,
                 name ? name : "", names);
}

void gv_registry_print(FILE *f, const gv_registry *r, int verbose) {
  fprintf(f, "%ss: %s\n", r->kind, r->help);
  for (const gv_component *const *c = r->items; *c; ++c) {
    fprintf(f, "  %-16s %s\n", (*c)->name, (*c)->summary);
    if (verbose && (*c)->cite) fprintf(f, "  %-16s source: %s\n", "", (*c)->cite);
    if (verbose) gv_params_print(f, (*c)->params, "      ");
  }
}
