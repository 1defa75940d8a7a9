/* What a closed-form experiment (Dirac-GAN, one-step GAIL) needs beyond its
 * game: the scheme and the controller stack loaded from the config and bound
 * to the game's gv_vfgame view, and the scheme's noise stream. */
#ifndef GV_EXPERIMENTS_CLOSED_FORM_H
#define GV_EXPERIMENTS_CLOSED_FORM_H

#include <gsl/gsl_rng.h>

#include "controllers/ctl.h"
#include "core/config.h"
#include "core/runfile.h"
#include "experiments/experiment.h"
#include "gan/scheme.h"

typedef struct gv_cfsim {
  gv_ctl_stack ctl;         /* the `controllers:` list */
  gv_scheme scheme;         /* the `scheme:` section, bound to the game */
  const gv_scheme_type *stype;
  gsl_rng *rng;             /* the scheme's noise stream ("scheme", replica 0) */
} gv_cfsim;

/* Loads `scheme:` (kind def_scheme when absent) and `controllers:` (created
 * empty when absent), writing defaults into the tree, checks every
 * controller can act on game g under the scheme (GV_ENOHOOK naming both),
 * and binds the scheme.  g must outlive the simulation. */
gv_status gv_cfsim_build(gv_cfsim *s, gv_node *root, const char *file, const gv_vfgame *g,
                         const char *def_scheme, uint64_t seed, gv_err *err);
void gv_cfsim_free(gv_cfsim *s);
/* Saves or restores (c->writing) the scheme's, the controllers' and the
 * noise stream's state (core/checkpoint.h). */
struct gv_ckpt;
void gv_cfsim_ckpt(gv_cfsim *s, struct gv_ckpt *c);

/* Opens the run file at path for `governor analyze` (gv_runread_open_rw)
 * and parses its /config into *root (caller frees both). */
struct gv_runread;
gv_status gv_cfsim_reopen(const char *path, struct gv_runread **rr, gv_node **root,
                          gv_err *err);

/* The driver's plan of a closed-form run (experiments/drive.h): its name and
 * seed, series rows, flush cadence, the scheme's steps, |x - x*| shown. */
struct gv_drive;
void gv_cfsim_plan(struct gv_drive *d, const gv_common *common, const gv_cfsim *s,
                   const gv_series_row *series, long flush_every);

#endif
