/* The controller registry: a NULL-terminated list, as GSL's rng/types.c. */
#include "controllers/ctl.h"

extern const gv_ctl_type gv_ctl_none, gv_ctl_r1, gv_ctl_r2, gv_ctl_wgan_gp, gv_ctl_clip,
    gv_ctl_instance_noise, gv_ctl_consensus, gv_ctl_clc, gv_ctl_bmc, gv_ctl_bmc_update, gv_ctl_cgail;
extern const gv_ctl_type gv_ctl_bmc_buffered; /* the authors' neural-GAN code */
extern const gv_ctl_type gv_ctl_entcomp; /* one-step GAIL, docs/theory/onestep-gail.md */

static const gv_component *const ctl_items[] = {
    &gv_ctl_none.info,           &gv_ctl_r1.info,  &gv_ctl_r2.info,
    &gv_ctl_wgan_gp.info,        &gv_ctl_clip.info, &gv_ctl_instance_noise.info,
    &gv_ctl_consensus.info,      &gv_ctl_clc.info, &gv_ctl_bmc.info,
    &gv_ctl_bmc_update.info,     &gv_ctl_cgail.info, &gv_ctl_entcomp.info,
    &gv_ctl_bmc_buffered.info,   NULL};

const gv_registry gv_ctl_registry = {
    "controller", "feedback terms acting on a game's training dynamics", ctl_items};
