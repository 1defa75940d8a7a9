/* The `dac` experiment: DAC (TD3 with absorbing states against GAIL's
 * discriminator, agents/dac.h) with controllers on the discriminator, so
 * that C-GAIL-DAC is a config (docs/dac.md).
 *
 *   game:  {kind: dac, env: hopper, demos: "", trajectories: 4, subsample: 20}
 *   disc:  as the gail experiment's; defaults reward logit, updates 1 (D
 *          steps per TD3 update), batch 256
 *   agent: {kind: td3, absorbing: true, ...}     (agents/td3.h)
 *   controllers: default [{kind: wgan_gp}] (lambda 10 on interpolates)
 *   run:   {steps: 1e6, envs: 1, threads: 1, eval_every: 1e4, eval_episodes,
 *           flush_every, distance_every}
 *
 * Run file: one point per td3.log_every env steps at step = env steps; the
 * series `updates` (TD3 gradient steps so far) and `disc_steps` give the
 * paper's x-axis, the rest are the gail experiment's D and return series
 * plus TD3's.  `governor analyze` is the gail experiment's, with the
 * gradient steps to 95% of the best return added. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/dac.h"
#include "agents/demo.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runfile.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"
#include "experiments/gail_setup.h"

static gv_status dac_setup(void *g, gv_drive *d, gv_node *root, const char *file, int build,
                           gv_err *err) {
  return gv_imit_setup(g, d, root, file, 1, build, err);
}

static const gv_exp_game dac_game_table = {
    .kind = "dac", .size = sizeof(imit_state), .setup = dac_setup, .start = gv_imit_start,
    .iterate = gv_imit_iterate, .finish = gv_imit_finish, .teardown = gv_imit_teardown,
    .checkpoint = gv_imit_checkpoint};

GV_EXP_DRIVEN(dac_exp, dac_game_table)

const gv_experiment gv_exp_dac = {
    {"dac", "DAC on a MuJoCo task: TD3 with absorbing states against a controlled "
     "discriminator on (s, a)",
     "Kostrikov et al. 2019, arXiv 1809.02925; Luo et al. 2024 (C-GAIL), arXiv 2402.16349",
     NULL, 0},
    dac_exp_check,
    dac_exp_run,
    gv_gail_analyze,
    NULL,
    &gv_dac_game_component,
    gv_gail_table,
    &dac_game_table,
    gv_dac_sections,
};
