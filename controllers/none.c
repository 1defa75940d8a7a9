/* The empty controller: the bare game, a baseline row in sweeps.  Its drift
 * adds nothing, so it is accepted by every game and scheme. */
#include "controllers/ctl.h"

static void none_drift(const void *par, const gv_vfgame *g, const double *x, double *dx) {
  (void)par, (void)g, (void)x, (void)dx;
}

const gv_ctl_type gv_ctl_none = {
    .info = {"none", "no control: the bare game (baseline)", NULL, NULL, 0},
    .vf_drift = none_drift,
};
