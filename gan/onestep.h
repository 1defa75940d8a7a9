/* One-step GAIL as a closed-form game (the simplified setting of
 * Luo et al. 2024, arXiv 2402.16349; derivations in docs/theory/onestep-gail.md).
 *
 * One decision per episode over n discrete actions, so the occupancy measure
 * is the policy pi itself.  Expert distribution pi_E; discriminator values
 * D(a) in (0, 1), expert labelled 1.  Both players ascend:
 *   discriminator  L_D = sum_a pi_E(a) log D(a) + pi(a) log(1 - D(a)),
 *                  dL_D/dD(a) = pi_E(a)/D(a) - pi(a)/(1 - D(a));
 *   policy         L_pi = E_pi[r(D)] + lambda H(pi), with r one of
 *                  -log(1 - D) (Ho & Ermon's), log D - log(1 - D), log D.
 *
 * State x (2n components), generator first:
 *   x[0 .. n-1]    policy: all n softmax logits y (pi = softmax(y), what a
 *                  policy network's output layer holds), or the n
 *                  probabilities on the simplex (pi = x moved along (1, ..., 1)
 *                  onto sum = 1, i.e. the orthogonal projection onto the
 *                  simplex's plane);
 *   x[n .. 2n-1]   discriminator: probabilities D(a), or logits f(a) with
 *                  D = sigmoid(f).
 * The field is plain gradient ascent in these coordinates (Euclidean metric
 * on all n policy coordinates, so relabelling the actions permutes the
 * field): softmax v_b = pi_b (g_b - E_pi g), simplex v_b = g_b - mean g.
 * Both sum to zero over b, and neither depends on the policy coordinates'
 * component along u = (1, ..., 1, 0, ..., 0) / sqrt(n) (the softmax's shift,
 * the projection's normal): u.x is conserved and the Jacobian has u as a
 * left and right null vector, a zero eigenvalue that is a symmetry of the
 * parameterisation, not a property of the game.  The game publishes u as its
 * conserved direction (gv_vfgame.conserved) and the stability analysis
 * works on the complement, u.x fixed (gan/stability.h).  States are built in
 * the gauge u.x = 0 (softmax: zero-sum logits) and u.x = 1/sqrt(n) (simplex:
 * sum 1).  Desired state x*: pi = pi_E, D = 1/2 (f = 0).  It is an
 * equilibrium iff lambda = 0 or pi_E is uniform. */
#ifndef GV_GAN_ONESTEP_H
#define GV_GAN_ONESTEP_H

#include "controllers/ctl.h"
#include "core/config.h"
#include "core/registry.h"

/* 2 n <= GV_STAB_MAXN (16), so the stability analysis takes every n. */
#define GV_ONESTEP_MAXN 8

typedef enum { GV_OS_REWARD_GAIL, GV_OS_REWARD_LOGIT, GV_OS_REWARD_LOGD } gv_os_reward;
typedef enum { GV_OS_DISC_PROB, GV_OS_DISC_LOGIT } gv_os_disc;
typedef enum { GV_OS_POLICY_SOFTMAX, GV_OS_POLICY_SIMPLEX } gv_os_policy;
typedef enum { GV_OS_START_UNIFORM, GV_OS_START_EXPERT, GV_OS_START_RANDOM } gv_os_start;

typedef struct gv_onestep_params {
  long n;                   /* number of actions */
  double lambda;            /* entropy weight */
  int reward;               /* gv_os_reward */
  int disc;                 /* gv_os_disc */
  int policy;               /* gv_os_policy */
  int start;                /* gv_os_start: initial policy */
  double d0;                /* initial D(a) for every action */
  double expert[GV_ONESTEP_MAXN]; /* pi_E (n); the `expert:` list, not in the spec table */
} gv_onestep_params;

typedef struct gv_onestep {
  gv_onestep_params p;
  size_t na;                /* n */
  double xstar[2 * GV_ONESTEP_MAXN]; /* desired state (2n) */
  double shift[2 * GV_ONESTEP_MAXN]; /* the conserved direction u (2n), unit length */
  gv_vfgame vf;             /* controller-facing view, self = this: do not copy
                             * a gv_onestep after init */
} gv_onestep;

extern const gv_component gv_game_onestep;  /* name "onestep", its parameter specs */
extern const gv_param gv_onestep_param_table[]; /* the same specs (`expert` listed, read by
                                                gv_onestep_load) */

/* Loads the game's mapping (kind, the spec table, and `expert: [p1, ...]`,
 * positive, summing to 1 within 1e-6, renormalised; absent: [0.6, 0.3, 0.1]
 * for n = 3, else pi_E(a) proportional to 2^-a) into p, writing every default
 * back into the tree.  ctx names the mapping ("game"). */
gv_status gv_onestep_load(gv_node *map, const gv_cfg_ctx *ctx, gv_onestep_params *p,
                          gv_err *err);

/* Validates p (n in 2..GV_ONESTEP_MAXN, expert positive) and builds the game. */
gv_status gv_onestep_init(gv_onestep *g, const gv_onestep_params *p, gv_err *err);

/* State dimension 2n. */
static inline size_t gv_onestep_dim(const gv_onestep *g) { return 2 * g->na; }

/* The policy pi (n) and discriminator probabilities D (n) of state x. */
void gv_onestep_policy(const gv_onestep *g, const double *x, double *pi);
void gv_onestep_disc(const gv_onestep *g, const double *x, double *D);
/* The state of (pi, D) (pi in the open simplex, D in (0, 1)), in the gauge
 * above (softmax logits sum to 0). */
void gv_onestep_state(const gv_onestep *g, const double *pi, const double *D, double *x);

/* KL(pi || pi_E) and the total variation (1/2) sum |pi - pi_E|. */
double gv_onestep_kl(const gv_onestep *g, const double *pi);
double gv_onestep_tv(const gv_onestep *g, const double *pi);

/* The bare field and its analytic Jacobian (also reachable through g->vf).
 * Outside the domain (pi off the open simplex, D off (0, 1)) the field is
 * NaN, which the schemes report as divergence. */
void gv_onestep_field(const void *self, const double *x, double *v);
void gv_onestep_jacobian(const void *self, const double *x, double *J);

/* Initial state of p->start (random: pi ~ Dirichlet(1), drawn from rng). */
void gv_onestep_start(const gv_onestep *g, gsl_rng *rng, double *x);

#endif
