/* The controller registry: one line per controller, in `governor list`
 * order.  X(name) declares the controller's table gv_ctl_<name> (defined in
 * its own file, controllers/<file>.c) and lists it; a new controller is its
 * file plus one line here (docs/extending.md). */
#include "controllers/ctl.h"

#define GV_CONTROLLERS(X)                                                                      \
  X(none)                                                                                      \
  X(r1)                                                                                        \
  X(r2)                                                                                        \
  X(wgan_gp)                                                                                   \
  X(clip)                                                                                      \
  X(instance_noise)                                                                            \
  X(consensus)                                                                                 \
  X(clc)                                                                                       \
  X(bmc)                                                                                       \
  X(bmc_update)                                                                                \
  X(cgail)                                                                                     \
  X(entcomp)          /* one-step GAIL, docs/theory/onestep-gail.md */                         \
  X(bmc_buffered)     /* the BMC authors' neural-GAN code */                                   \
  X(logit_l2)         /* (lambda/2) E l^2 on D's logits */                                     \
  X(decay)            /* the template of docs/extending.md */

#define GV_CTL_DECLARE(name) extern const gv_ctl_type gv_ctl_##name;
GV_CONTROLLERS(GV_CTL_DECLARE)

#define GV_CTL_ITEM(name) &gv_ctl_##name.info,
static const gv_component *const ctl_items[] = {GV_CONTROLLERS(GV_CTL_ITEM) NULL};

const gv_registry gv_ctl_registry = {
    "controller", "feedback terms acting on a game's training dynamics", ctl_items};
