/* The controller stack: loading from the `controllers:` sequence, checking
 * each controller against a game and a scheme, and the combined hooks.
 * Dispatch only: every controller lives in its own file (registry.c lists
 * them), as GSL's odeiv2/step.c dispatches through step types. */
#include "controllers/ctl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"

const gv_ctl_type *gv_ctl_find(const char *name) {
  /* info is the first member, so the component pointer is the type pointer */
  return (const gv_ctl_type *)gv_registry_find(&gv_ctl_registry, name);
}

unsigned gv_ctl_hooks(const gv_ctl_type *t) {
  unsigned m = 0;
  if (t->vf_drift) m |= GV_HOOK_DRIFT;
  if (t->vf_diffusion) m |= GV_HOOK_DIFFUSION;
  if (t->update) m |= GV_HOOK_UPDATE;
  if (t->loss_outputs || t->input_penalty || t->input_noise) m |= GV_HOOK_LOSS;
  if (t->param_update) m |= GV_HOOK_PARAM;
  return m;
}

#define GV_CAP_BITSET(name, args, what) m |= caps->name ? GV_CAP(name) : 0u;
unsigned gv_vfcaps_mask(const gv_vfcaps *caps) {
  unsigned m = 0;
  if (caps) { GV_VF_CAPS(GV_CAP_BITSET) }
  return m;
}

#define GV_CAP_TEXT(name, args, what) what,
const char *gv_vfcap_what(unsigned bit_index) {
  static const char *const text[] = {GV_VF_CAPS(GV_CAP_TEXT) NULL};
  return bit_index < GV_NCAPS ? text[bit_index] : "?";
}

size_t gv_ctl_one_vector(size_t n) { return n; }
size_t gv_ctl_two_vectors(size_t n) { return 2 * n; }

/* ------------------------------------------------------------------ load */

static void stream_name(char *buf, size_t size, size_t index, const char *name) {
  snprintf(buf, size, "ctl.%zu.%s", index, name);
}

void gv_ctl_stack_free(gv_ctl_stack *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; ++i) {
    free(s->items[i].par);
    free(s->items[i].state);
    if (s->items[i].rng) gsl_rng_free(s->items[i].rng);
  }
  free(s->items);
  free(s->scratch);
  s->items = NULL;
  s->scratch = NULL;
  s->n = 0;
  s->nscratch = 0;
  s->noise_dim = 0;
}

/* ctx describes the mapping that holds the `controllers:` key ("" at the
 * top of the file); item i is reported as "<ctx path>.controllers.<i>". */
gv_status gv_ctl_stack_load(gv_ctl_stack *s, gv_node *seq, const gv_cfg_ctx *ctx,
                            uint64_t seed, gv_err *err) {
  return gv_ctl_stack_load_over(s, seq, ctx, seed, NULL, err);
}

gv_status gv_ctl_stack_load_over(gv_ctl_stack *s, gv_node *seq, const gv_cfg_ctx *ctx,
                                 uint64_t seed, const gv_param_default *over, gv_err *err) {
  static const gv_param no_params[] = {GV_PARAM_END};
  static const char *const extra[] = {"kind", NULL};
  const char *file = ctx && ctx->file ? ctx->file : "<config>";
  const char *base = ctx && ctx->path ? ctx->path : "";
  char seqpath[512], where[600], names[512];
  snprintf(seqpath, sizeof seqpath, "%s%scontrollers", base, *base ? "." : "");

  memset(s, 0, sizeof *s);
  if (!seq) return GV_OK;
  if (seq->kind != GV_NODE_SEQ) {
    gv_cfg_ctx c = {file, base};
    gv_cfg_where(where, sizeof where, &c, seq->line, "controllers");
    return gv_fail(err, GV_ECONFIG, "%s: expected a list of controllers, each a map with 'kind'",
                   where);
  }
  if (seq->n == 0) return GV_OK;
  s->items = calloc(seq->n, sizeof *s->items);
  if (!s->items) return gv_fail(err, GV_ENOMEM, "controllers: out of memory");

  gv_status st = GV_OK;
  for (size_t i = 0; i < seq->n; ++i) {
    gv_node *item = seq->items[i];
    char itempath[600];
    snprintf(itempath, sizeof itempath, "%s.%zu", seqpath, i);
    gv_cfg_ctx ictx = {file, itempath};
    gv_cfg_ctx sctx = {file, seqpath};
    char key[32];
    snprintf(key, sizeof key, "%zu", i);
    if (item->kind != GV_NODE_MAP) {
      gv_registry_names(&gv_ctl_registry, names, sizeof names);
      gv_cfg_where(where, sizeof where, &sctx, item->line, key);
      st = gv_fail(err, GV_ECONFIG, "%s: expected a map with 'kind' (allowed kinds: %s)", where,
                   names);
      break;
    }
    const char *kind = gv_map_str(item, "kind");
    if (!kind && gv_map_get(item, "kind")) {
      gv_cfg_where(where, sizeof where, &ictx, gv_map_key_line(item, "kind"), "kind");
      if (err && gv_map_get(item, "kind")->kind == GV_NODE_SEQ) /* a sweep axis */
        snprintf(err->axis, sizeof err->axis, "%.200s.kind", itempath);
      st = gv_fail(err, GV_ECONFIG,
                   "%s: expected one controller name (a list is a sweep axis: use `governor "
                   "sweep`)",
                   where);
      break;
    }
    if (!kind) {
      gv_registry_names(&gv_ctl_registry, names, sizeof names);
      gv_cfg_where(where, sizeof where, &sctx, item->line, key);
      st = gv_fail(err, GV_ECONFIG, "%s: missing 'kind' (allowed: %s)", where, names);
      break;
    }
    const gv_component *comp = NULL;
    st = gv_registry_lookup(&gv_ctl_registry, kind, &ictx, gv_map_key_line(item, "kind"), "kind",
                            &comp, err);
    if (st != GV_OK) break;
    const gv_ctl_type *t = (const gv_ctl_type *)comp;
    gv_ctl *c = &s->items[i];
    s->n = i + 1; /* so free releases this item on a later failure */
    c->type = t;
    gv_cfg_where(c->where, sizeof c->where, &ictx, gv_map_key_line(item, "kind"), "kind");
    c->par = calloc(1, t->info.params_size ? t->info.params_size : 1);
    c->state = calloc(1, t->state_size ? t->state_size : 1);
    char sname[300];
    stream_name(sname, sizeof sname, i, t->info.name);
    c->rng = gv_rng_alloc(seed, sname, 0);
    if (!c->par || !c->state || !c->rng) {
      st = gv_fail(err, GV_ENOMEM, "%s: out of memory", itempath);
      break;
    }
    st = gv_params_load_over(t->info.params ? t->info.params : no_params, over, kind, item,
                             extra, &ictx, c->par, err);
    if (st != GV_OK) break;
    if (t->vf_noise_dim) s->noise_dim += t->vf_noise_dim(c->par);
  }
  if (st != GV_OK) gv_ctl_stack_free(s);
  return st;
}

void gv_ctl_stack_ckpt(gv_ctl_stack *s, gv_ckpt *c, const char *name) {
  gv_ckpt g;
  gv_ckpt_sub(c, name, &g);
  long n = (long)s->n;
  gv_ckpt_long(&g, "count", &n);
  if (n != (long)s->n) gv_ckpt_fail(&g, "%s: %ld controllers in the file, %zu here", name, n, s->n);
  for (size_t i = 0; i < s->n; ++i) {
    char key[64];
    gv_ctl *k = &s->items[i];
    snprintf(key, sizeof key, "state%zu", i);
    gv_ckpt_bytes(&g, key, k->state, k->type->state_size);
    snprintf(key, sizeof key, "rng%zu", i);
    if (k->rng) gv_ckpt_rng(&g, key, k->rng);
  }
  gv_ckpt_end(&g, c);
}

void gv_ctl_stack_reseed(gv_ctl_stack *s, uint64_t seed, uint64_t index) {
  char sname[300];
  for (size_t i = 0; i < s->n; ++i) {
    stream_name(sname, sizeof sname, i, s->items[i].type->info.name);
    gv_rng_reseed(s->items[i].rng, seed, sname, index);
  }
}

/* ----------------------------------------------------------------- check */

/* A failed check names the config item it is about: "file:line:
 * controllers.<i>.kind: controller ... " (nothing when built by hand). */
static gv_status located(const gv_ctl *c, gv_status st, gv_err *err) {
  size_t w = strlen(c->where), n = sizeof err->msg;
  if (st == GV_OK || !err || !w || w + 2 >= n) return st;
  memmove(err->msg + w + 2, err->msg, n - w - 2); /* the tail may be cut, never overrun */
  memcpy(err->msg, c->where, w);
  memcpy(err->msg + w, ": ", 2);
  err->msg[n - 1] = '\0';
  return st;
}

static gv_status check_one(const gv_ctl *c, const gv_vfgame *g, const char *scheme,
                           unsigned scheme_hooks, gv_err *err) {
  const unsigned vf_levels = GV_HOOK_DRIFT | GV_HOOK_DIFFUSION | GV_HOOK_UPDATE;
  const gv_ctl_type *t = c->type;
  const char *name = t->info.name;
  unsigned h = gv_ctl_hooks(t) & vf_levels;
  if (!h)
    return gv_fail(err, GV_ENOHOOK, "controller '%s' has no hook for game '%s'", name, g->name);
  if ((h & GV_HOOK_DIFFUSION) && !(scheme_hooks & GV_HOOK_DIFFUSION))
    return gv_fail(err, GV_ENOHOOK,
                   "controller '%s' needs a stochastic scheme (sde); scheme '%s' has no "
                   "diffusion",
                   name, scheme);
  if ((h & GV_HOOK_UPDATE) && !(h & GV_HOOK_DRIFT) && !(scheme_hooks & GV_HOOK_UPDATE))
    return gv_fail(err, GV_ENOHOOK,
                   "controller '%s' acts after discrete updates (simgd, altgd, sde); scheme "
                   "'%s' has no update step",
                   name, scheme);
  if ((h & GV_HOOK_DRIFT) && !(scheme_hooks & GV_HOOK_DRIFT))
    return gv_fail(err, GV_ENOHOOK, "controller '%s' adds a drift; scheme '%s' takes none",
                   name, scheme);
  const unsigned missing = t->vf_needs & ~gv_vfcaps_mask(g->caps);
  for (unsigned b = 0; b < GV_NCAPS; ++b)
    if (missing & (1u << b))
      return gv_fail(err, GV_ENOHOOK, "controller '%s' has no hook for game '%s' (it needs %s)",
                     name, g->name, gv_vfcap_what(b));
  return GV_OK;
}

gv_status gv_ctl_stack_check(gv_ctl_stack *s, const gv_vfgame *g, const char *scheme,
                             unsigned scheme_hooks, gv_err *err) {
  size_t need = 0;
  for (size_t i = 0; s && i < s->n; ++i) {
    gv_status st = check_one(&s->items[i], g, scheme, scheme_hooks, err);
    if (st != GV_OK) return located(&s->items[i], st, err);
    const gv_ctl_type *t = s->items[i].type;
    const size_t k = t->vf_scratch ? t->vf_scratch(g->n) : 0;
    if (k > need) need = k;
  }
  if (s && need > s->nscratch) {
    double *p = realloc(s->scratch, need * sizeof *p);
    if (!p) return gv_fail(err, GV_ENOMEM, "controllers: out of memory for %zu doubles", need);
    s->scratch = p;
    s->nscratch = need;
  }
  return GV_OK;
}

gv_status gv_ctl_stack_check_flow(gv_ctl_stack *s, const gv_vfgame *g, const char *game,
                                  gv_err *err) {
  gv_vfgame named = *g;
  named.name = game;
  for (size_t i = 0; s && i < s->n; ++i) {
    const gv_ctl_type *t = s->items[i].type;
    if ((gv_ctl_hooks(t) & (GV_HOOK_DRIFT | GV_HOOK_DIFFUSION | GV_HOOK_UPDATE)) != GV_HOOK_DRIFT) {
      gv_fail(err, GV_ENOHOOK,
              "controller '%s' has no hook for game '%s' (it needs a drift on the closed-form "
              "flow and a loss- or parameter-level hook on D, as cgail and clc have)",
              t->info.name, game);
      return located(&s->items[i], GV_ENOHOOK, err);
    }
  }
  return gv_ctl_stack_check(s, &named, "euler", GV_HOOK_DRIFT, err);
}

static gv_status check_one_neural(const gv_ctl *c, const char *game, gv_err *err) {
  const gv_ctl_type *t = c->type;
  if (!(gv_ctl_hooks(t) & (GV_HOOK_LOSS | GV_HOOK_PARAM)))
    return gv_fail(err, GV_ENOHOOK,
                   "controller '%s' has no hook for game '%s' (it acts on closed-form vector "
                   "fields only; neural games need a loss-, input- or parameter-level hook)",
                   t->info.name, game);
  if (t->input_penalty) {
    gv_ctl_penalty pen;
    return t->input_penalty(c->par, &pen, err);
  }
  return GV_OK;
}

gv_status gv_ctl_stack_check_neural(const gv_ctl_stack *s, const char *game, gv_err *err) {
  for (size_t i = 0; s && i < s->n; ++i) {
    gv_status st = check_one_neural(&s->items[i], game, err);
    if (st != GV_OK) return located(&s->items[i], st, err);
  }
  return GV_OK;
}

/* ------------------------------------------------------- neural hooks */

double gv_ctl_stack_input_noise(const gv_ctl_stack *s) {
  double v = 0.0;
  for (size_t i = 0; s && i < s->n; ++i)
    if (s->items[i].type->input_noise) {
      double sd = s->items[i].type->input_noise(s->items[i].par);
      v += sd * sd;
    }
  return sqrt(v);
}

size_t gv_ctl_stack_history(const gv_ctl_stack *s, size_t *batch) {
  size_t cap = 0, b = 0;
  for (size_t i = 0; s && i < s->n; ++i)
    if (s->items[i].type->loss_history) {
      size_t bi = 0, ci = s->items[i].type->loss_history(s->items[i].par, &bi);
      if (ci > cap) cap = ci;
      if (ci && bi > b) b = bi;
    }
  if (batch) *batch = cap ? b : 0;
  return cap;
}

double gv_ctl_stack_loss_outputs(gv_ctl_stack *s, gv_ctl_outputs *o) {
  double total = 0.0;
  for (size_t i = 0; s && i < s->n; ++i) {
    gv_ctl *c = &s->items[i];
    if (c->type->loss_outputs) total += c->type->loss_outputs(c->par, c->state, c->rng, o);
  }
  return total;
}

int gv_ctl_stack_has_outputs(const gv_ctl_stack *s) {
  for (size_t i = 0; s && i < s->n; ++i)
    if (s->items[i].type->loss_outputs) return 1;
  return 0;
}

size_t gv_ctl_stack_penalties(const gv_ctl_stack *s, gv_ctl_penalty *pen, size_t max) {
  size_t k = 0;
  for (size_t i = 0; s && i < s->n; ++i) {
    const gv_ctl_type *t = s->items[i].type;
    if (!t->input_penalty) continue;
    if (k < max && t->input_penalty(s->items[i].par, &pen[k], NULL) != GV_OK) continue;
    ++k;
  }
  return k;
}

void gv_ctl_stack_param_update(gv_ctl_stack *s, const float *pre, float *p, size_t n) {
  for (size_t i = 0; s && i < s->n; ++i) {
    gv_ctl *c = &s->items[i];
    if (c->type->param_update) c->type->param_update(c->par, c->state, c->rng, pre, p, n);
  }
}

/* ----------------------------------------------------------------- hooks */

void gv_ctl_stack_drift(const gv_ctl_stack *s, const gv_vfgame *g, const double *x,
                        double *dx) {
  for (size_t i = 0; s && i < s->n; ++i) {
    const gv_ctl_type *t = s->items[i].type;
    if (!t->vf_drift) continue;
    const size_t need = t->vf_scratch ? t->vf_scratch(g->n) : 0;
    double *tmp = need > s->nscratch ? malloc(need * sizeof *tmp) : NULL; /* not checked */
    if (need > s->nscratch && !tmp) { /* out of memory: poison, the scheme reports it */
      for (size_t j = 0; j < g->n; ++j) dx[j] = NAN;
      return;
    }
    t->vf_drift(s->items[i].par, g, x, dx, tmp ? tmp : s->scratch);
    free(tmp);
  }
}

void gv_ctl_stack_diffusion(const gv_ctl_stack *s, const gv_vfgame *g, const double *x,
                            double *G) {
  size_t n = g->n, m = s ? s->noise_dim : 0;
  if (m == 0) return;
  memset(G, 0, n * m * sizeof *G);
  /* Each hook writes an n x m_i block with its own stride m_i; with one
   * diffusion controller (the usual case) that is G itself, else the block is
   * staged and copied into columns [k0, k0 + m_i). */
  enum { LOCAL = 256 };
  double local[LOCAL];
  size_t k0 = 0;
  for (size_t i = 0; i < s->n; ++i) {
    const gv_ctl_type *t = s->items[i].type;
    if (!t->vf_diffusion || !t->vf_noise_dim) continue;
    size_t mi = t->vf_noise_dim(s->items[i].par);
    if (mi == 0) continue;
    if (mi == m) {
      t->vf_diffusion(s->items[i].par, g, x, G);
    } else {
      double *blk = n * mi <= LOCAL ? local : calloc(n * mi, sizeof *blk);
      if (!blk) { /* out of memory: poison, so the step reports divergence */
        for (size_t j = 0; j < n * m; ++j) G[j] = NAN;
        return;
      }
      memset(blk, 0, n * mi * sizeof *blk);
      t->vf_diffusion(s->items[i].par, g, x, blk);
      for (size_t r = 0; r < n; ++r)
        for (size_t k = 0; k < mi; ++k) G[r * m + k0 + k] += blk[r * mi + k];
      if (blk != local) free(blk);
    }
    k0 += mi;
  }
}

void gv_ctl_stack_update(gv_ctl_stack *s, const gv_vfgame *g, const double *x_pre, double *x) {
  if (!s) return;
  for (size_t i = 0; i < s->n; ++i) {
    gv_ctl *c = &s->items[i];
    if (c->type->update) c->type->update(c->par, c->state, c->rng, g, x_pre, x);
  }
}

void gv_vf_controlled(const gv_vfgame *g, const gv_ctl_stack *s, const double *x, double *F) {
  g->field(g->self, x, F);
  gv_ctl_stack_drift(s, g, x, F);
}
