/* The empty controller: the bare game, a baseline row in sweeps.  Its drift
 * adds nothing and, on neural games, its instance noise is zero (a hook that
 * draws nothing, so `[{kind: none}]` and `[]` give the same run), so it is
 * accepted by every game (closed-form and neural) and scheme. */
#include "controllers/ctl.h"

static void none_drift(const void *par, const gv_vfgame *g, const double *x, double *dx,
                       double *scratch) {
  (void)scratch;
  (void)par, (void)g, (void)x, (void)dx;
}

static double none_noise(const void *par) {
  (void)par;
  return 0.0;
}

const gv_ctl_type gv_ctl_none = {
    .info = {"none", "no control: the bare game (baseline)", NULL, NULL, 0},
    .vf_drift = none_drift,
    .input_noise = none_noise,
};
