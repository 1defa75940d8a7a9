#include "experiments/closed_form.h"

#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"

gv_status gv_cfsim_build(gv_cfsim *s, gv_node *root, const char *file, const gv_vfgame *g,
                         const char *def_scheme, uint64_t seed, gv_err *err) {
  memset(s, 0, sizeof *s);
  const gv_component *c;
  gv_scheme_params sp;
  gv_status st = gv_exp_component(root, file, "scheme", &gv_scheme_registry, def_scheme, &c,
                                  &sp, err);
  if (st != GV_OK) return st;
  s->stype = (const gv_scheme_type *)c;
  gv_node *ctl = gv_map_get(root, "controllers");
  if (!ctl) {
    ctl = gv_node_new_seq();
    gv_map_set(root, "controllers", ctl);
  }
  gv_cfg_ctx cctx = {file, ""};
  if ((st = gv_ctl_stack_load(&s->ctl, ctl, &cctx, seed, err)) != GV_OK) return st;
  /* gv_scheme_init checks the stack against the game and the scheme */
  if ((st = gv_scheme_init(&s->scheme, s->stype, &sp, g, &s->ctl, err)) != GV_OK) {
    gv_ctl_stack_free(&s->ctl);
    /* a controller that does not fit the game or scheme, or a scheme setting */
    const int ctl_err = st == GV_ENOHOOK;
    return gv_cfg_locate(st, err, &cctx, root, ctl_err ? "controllers" : "scheme");
  }
  s->rng = gv_rng_alloc(seed, "scheme", 0);
  return GV_OK;
}

void gv_cfsim_free(gv_cfsim *s) {
  gv_scheme_deinit(&s->scheme);
  gv_ctl_stack_free(&s->ctl);
  if (s->rng) gsl_rng_free(s->rng);
  memset(s, 0, sizeof *s);
}

void gv_cfsim_plan(gv_drive *d, const gv_common *common, const gv_cfsim *s,
                   const gv_series_row *series, long flush_every) {
  d->common = *common;
  d->series = series;
  d->flush_every = flush_every;
  d->steps = s->scheme.p.steps;
  d->metric = "|x-x*|";
}

gv_status gv_cfsim_reopen(const char *path, gv_runread **rr, gv_node **root, gv_err *err) {
  *root = NULL;
  gv_status st = gv_runread_open_rw(rr, path, err);
  if (st != GV_OK) return st;
  char *yaml = gv_runread_config(*rr);
  if (!yaml) st = gv_fail(err, GV_EINVAL, "%s: no /config", path);
  else st = gv_cfg_parse_string(yaml, path, root, err);
  free(yaml);
  if (st != GV_OK) gv_runread_close(*rr);
  return st;
}

void gv_cfsim_ckpt(gv_cfsim *s, gv_ckpt *c) {
  gv_scheme_ckpt(&s->scheme, c, "scheme");
  gv_ctl_stack_ckpt(&s->ctl, c, "controllers");
  gv_ckpt_rng(c, "scheme_rng", s->rng);
}
