/* One-step GAIL (the simplified setting of Luo et al. 2024, arXiv 2402.16349;
 * equations and their derivation in docs/theory/onestep-gail.md).  See
 * gan/onestep.h for the state layout and sign conventions.
 *
 * Every quantity is assembled from three pieces so that the field, its
 * analytic Jacobian and the controller capabilities share one code path:
 *   - the policy map pi(y) and its derivative Pi = dpi/dy (n x n);
 *   - the discriminator map D(z) with r(D(z)) and dr/dz computed in a form
 *     that stays finite for large logits;
 *   - the policy's ascent direction as a linear map of the per-action
 *     "advantage" g(a) = dL_pi/dpi(a) (up to a constant):
 *       softmax  v_b = pi_b (g_b - sum_a pi_a g_a)   (policy gradient)
 *       simplex  v_b = g_b - (1/n) sum_a g_a         (projected gradient)
 *     so the entropy bonus (g = -lambda log pi) and the KL pull
 *     (g = -log(pi / pi_E)) are the same map applied to other g. */
#include "gan/onestep.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- maps */

static double sigmoid(double t) {
  if (t >= 0.0) return 1.0 / (1.0 + exp(-t));
  double e = exp(t);
  return e / (1.0 + e);
}

/* log(1 + e^t) without overflow. */
static double softplus(double t) { return t > 0.0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

void gv_onestep_policy(const gv_onestep *g, const double *x, double *pi) {
  size_t n = g->na;
  double s = 0.0;
  if (g->p.policy == GV_OS_POLICY_SOFTMAX) {
    double mx = x[0];
    for (size_t b = 1; b < n; ++b) mx = fmax(mx, x[b]);
    for (size_t b = 0; b < n; ++b) s += pi[b] = exp(x[b] - mx);
    for (size_t a = 0; a < n; ++a) pi[a] /= s;
  } else {
    /* onto the plane sum = 1 along (1, ..., 1): the identity on the simplex */
    for (size_t b = 0; b < n; ++b) s += x[b];
    for (size_t b = 0; b < n; ++b) pi[b] = x[b] + (1.0 - s) / (double)n;
  }
}

/* Pi[a * n + b] = dpi_a / dy_b. */
static void policy_jac(const gv_onestep *g, const double *pi, double *Pi) {
  size_t n = g->na;
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b)
      Pi[a * n + b] = g->p.policy == GV_OS_POLICY_SOFTMAX ? pi[a] * ((a == b) - pi[b])
                                                          : (a == b) - 1.0 / (double)n;
}

void gv_onestep_disc(const gv_onestep *g, const double *x, double *D) {
  const double *z = x + g->na;
  for (size_t a = 0; a < g->na; ++a) D[a] = g->p.disc == GV_OS_DISC_PROB ? z[a] : sigmoid(z[a]);
}

/* D, dD/dz, r(D) and dr/dz of one discriminator coordinate.  Logits use
 * closed forms: -log(1 - sigmoid(z)) = softplus(z) with derivative D,
 * the logit reward is z itself, log sigmoid(z) = -softplus(-z) with
 * derivative 1 - D. */
static void disc_terms(const gv_onestep *g, double z, double *D, double *Dz, double *r,
                       double *rz) {
  if (g->p.disc == GV_OS_DISC_PROB) {
    double d = z;
    *D = d;
    *Dz = 1.0;
    switch (g->p.reward) {
      case GV_OS_REWARD_GAIL: *r = -log1p(-d), *rz = 1.0 / (1.0 - d); break;
      case GV_OS_REWARD_LOGIT: *r = log(d) - log1p(-d), *rz = 1.0 / (d * (1.0 - d)); break;
      default: *r = log(d), *rz = 1.0 / d; break;
    }
    return;
  }
  double d = sigmoid(z), q = sigmoid(-z);
  *D = d;
  *Dz = d * q;
  switch (g->p.reward) {
    case GV_OS_REWARD_GAIL: *r = softplus(z), *rz = d; break;
    case GV_OS_REWARD_LOGIT: *r = z, *rz = 1.0; break;
    default: *r = -softplus(-z), *rz = q; break;
  }
}

/* 1 when pi is in the open simplex and D in (0, 1). */
static int in_domain(const gv_onestep *g, const double *pi, const double *D) {
  for (size_t a = 0; a < g->na; ++a)
    if (!(pi[a] > 0.0) || !(D[a] > 0.0 && D[a] < 1.0)) return 0;
  return 1;
}

/* The policy's ascent direction for per-action advantages gadv (n). */
static void policy_map(const gv_onestep *g, const double *pi, const double *gadv, double *v) {
  size_t n = g->na;
  double mean = 0.0;
  for (size_t a = 0; a < n; ++a)
    mean += (g->p.policy == GV_OS_POLICY_SOFTMAX ? pi[a] : 1.0 / (double)n) * gadv[a];
  for (size_t b = 0; b < n; ++b)
    v[b] = g->p.policy == GV_OS_POLICY_SOFTMAX ? pi[b] * (gadv[b] - mean) : gadv[b] - mean;
}

/* --------------------------------------------------------------- field */

void gv_onestep_field(const void *self, const double *x, double *v) {
  const gv_onestep *g = self;
  size_t n = g->na;
  double pi[GV_ONESTEP_MAXN] = {0}, D[GV_ONESTEP_MAXN] = {0}, gadv[GV_ONESTEP_MAXN] = {0};
  gv_onestep_policy(g, x, pi);
  const double *z = x + n, *e = g->p.expert;
  for (size_t a = 0; a < n; ++a) {
    double Dz, r, rz;
    disc_terms(g, z[a], &D[a], &Dz, &r, &rz);
    gadv[a] = r - (g->p.lambda != 0.0 ? g->p.lambda * log(pi[a]) : 0.0);
  }
  if (!in_domain(g, pi, D)) {
    for (size_t i = 0; i < 2 * n; ++i) v[i] = NAN;
    return;
  }
  policy_map(g, pi, gadv, v);
  for (size_t a = 0; a < n; ++a)
    v[n + a] = g->p.disc == GV_OS_DISC_PROB ? e[a] / D[a] - pi[a] / (1.0 - D[a])
                                            : e[a] * (1.0 - D[a]) - pi[a] * D[a];
}

void gv_onestep_jacobian(const void *self, const double *x, double *J) {
  const gv_onestep *g = self;
  size_t n = g->na, N = 2 * n;
  double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN], Dz[GV_ONESTEP_MAXN], rz[GV_ONESTEP_MAXN];
  double gadv[GV_ONESTEP_MAXN], Pi[GV_ONESTEP_MAXN * GV_ONESTEP_MAXN];
  /* dg[a * N + j] = d gadv_a / dx_j */
  double dg[GV_ONESTEP_MAXN * 2 * GV_ONESTEP_MAXN];
  gv_onestep_policy(g, x, pi);
  policy_jac(g, pi, Pi);
  const double *z = x + n, *e = g->p.expert;
  double lam = g->p.lambda;
  for (size_t a = 0; a < n; ++a) {
    double r;
    disc_terms(g, z[a], &D[a], &Dz[a], &r, &rz[a]);
    gadv[a] = r - (lam != 0.0 ? lam * log(pi[a]) : 0.0);
  }
  if (!in_domain(g, pi, D)) {
    for (size_t i = 0; i < N * N; ++i) J[i] = NAN;
    return;
  }
  for (size_t a = 0; a < n; ++a)
    for (size_t j = 0; j < N; ++j)
      dg[a * N + j] = j < n ? -lam * Pi[a * n + j] / pi[a] : (j - n == a ? rz[a] : 0.0);

  /* policy rows */
  for (size_t b = 0; b < n; ++b)
    for (size_t j = 0; j < N; ++j) {
      double mean = 0.0, dmean = 0.0;
      if (g->p.policy == GV_OS_POLICY_SOFTMAX) {
        for (size_t a = 0; a < n; ++a) {
          mean += pi[a] * gadv[a];
          dmean += pi[a] * dg[a * N + j] + (j < n ? Pi[a * n + j] * gadv[a] : 0.0);
        }
        double dpi_b = j < n ? Pi[b * n + j] : 0.0;
        J[b * N + j] = dpi_b * (gadv[b] - mean) + pi[b] * (dg[b * N + j] - dmean);
      } else {
        for (size_t a = 0; a < n; ++a) dmean += dg[a * N + j] / (double)n;
        J[b * N + j] = dg[b * N + j] - dmean;
      }
    }
  /* discriminator rows: D(a) depends on its own coordinate and on pi(a) */
  for (size_t a = 0; a < n; ++a) {
    double *row = J + (n + a) * N;
    for (size_t j = 0; j < N; ++j) row[j] = 0.0;
    if (g->p.disc == GV_OS_DISC_PROB) {
      for (size_t b = 0; b < n; ++b) row[b] = -Pi[a * n + b] / (1.0 - D[a]);
      row[n + a] = -e[a] / (D[a] * D[a]) - pi[a] / ((1.0 - D[a]) * (1.0 - D[a]));
    } else {
      for (size_t b = 0; b < n; ++b) row[b] = -D[a] * Pi[a * n + b];
      row[n + a] = -(e[a] + pi[a]) * Dz[a];
    }
  }
}

/* ----------------------------------------------------------- capabilities */

/* C-GAIL's output penalty P = (1/2) sum_a w_a (D_a - t)^2 with sample
 * weights w = pi_E (expert), pi (policy), (pi_E + pi)/2 (both: one mean over
 * equal-sized batches).  The weights depend on the policy, so P has policy
 * components too (the drift uses only the discriminator's). */
static void onestep_penalty_output(const void *self, double target, int on, const double *x,
                                   double *gr) {
  const gv_onestep *g = self;
  size_t n = g->na;
  double pi[GV_ONESTEP_MAXN], Pi[GV_ONESTEP_MAXN * GV_ONESTEP_MAXN];
  gv_onestep_policy(g, x, pi);
  policy_jac(g, pi, Pi);
  double we = on == GV_CTL_ON_POLICY ? 0.0 : (on == GV_CTL_ON_BOTH ? 0.5 : 1.0);
  double wp = on == GV_CTL_ON_EXPERT ? 0.0 : (on == GV_CTL_ON_BOTH ? 0.5 : 1.0);
  for (size_t b = 0; b < n; ++b) gr[b] = 0.0;
  for (size_t a = 0; a < n; ++a) {
    double D, Dz, r, rz;
    disc_terms(g, x[n + a], &D, &Dz, &r, &rz);
    double err = D - target, w = we * g->p.expert[a] + wp * pi[a];
    gr[n + a] = w * err * Dz;
    for (size_t b = 0; b < n; ++b) gr[b] += 0.5 * wp * Pi[a * n + b] * err * err;
  }
}

/* The entropy bonus's share of the field: the policy map of -lambda log pi. */
static void onestep_field_gen_reg(const void *self, const double *x, double *v) {
  const gv_onestep *g = self;
  size_t n = g->na;
  double pi[GV_ONESTEP_MAXN] = {0}, gadv[GV_ONESTEP_MAXN] = {0};
  gv_onestep_policy(g, x, pi);
  for (size_t a = 0; a < n; ++a) gadv[a] = g->p.lambda != 0.0 ? -g->p.lambda * log(pi[a]) : 0.0;
  policy_map(g, pi, gadv, v);
  for (size_t a = 0; a < n; ++a) v[n + a] = 0.0;
}

/* Ascent on -KL(pi || pi_E) = -sum_a pi_a log(pi_a / pi_E(a)): advantage
 * -log(pi_a / pi_E(a)) (the +1 of the derivative is a constant). */
static void onestep_field_gen_div(const void *self, const double *x, double *v) {
  const gv_onestep *g = self;
  size_t n = g->na;
  double pi[GV_ONESTEP_MAXN] = {0}, gadv[GV_ONESTEP_MAXN] = {0};
  gv_onestep_policy(g, x, pi);
  for (size_t a = 0; a < n; ++a) gadv[a] = -log(pi[a] / g->p.expert[a]);
  policy_map(g, pi, gadv, v);
  for (size_t a = 0; a < n; ++a) v[n + a] = 0.0;
}

/* ----------------------------------------------------------- utilities */

void gv_onestep_state(const gv_onestep *g, const double *pi, const double *D, double *x) {
  size_t n = g->na;
  double mean = 0.0; /* softmax: the gauge sum_b y_b = 0 */
  if (g->p.policy == GV_OS_POLICY_SOFTMAX)
    for (size_t b = 0; b < n; ++b) mean += log(pi[b]) / (double)n;
  for (size_t b = 0; b < n; ++b)
    x[b] = g->p.policy == GV_OS_POLICY_SOFTMAX ? log(pi[b]) - mean : pi[b];
  for (size_t a = 0; a < n; ++a)
    x[n + a] = g->p.disc == GV_OS_DISC_PROB ? D[a] : log(D[a]) - log1p(-D[a]);
}

double gv_onestep_kl(const gv_onestep *g, const double *pi) {
  double s = 0.0;
  for (size_t a = 0; a < g->na; ++a)
    if (pi[a] > 0.0) s += pi[a] * log(pi[a] / g->p.expert[a]);
  return s;
}

double gv_onestep_tv(const gv_onestep *g, const double *pi) {
  double s = 0.0;
  for (size_t a = 0; a < g->na; ++a) s += fabs(pi[a] - g->p.expert[a]);
  return 0.5 * s;
}

void gv_onestep_start(const gv_onestep *g, gsl_rng *rng, double *x) {
  size_t n = g->na;
  double pi[GV_ONESTEP_MAXN], D[GV_ONESTEP_MAXN], alpha[GV_ONESTEP_MAXN];
  for (size_t a = 0; a < n; ++a) {
    pi[a] = g->p.start == GV_OS_START_EXPERT ? g->p.expert[a] : 1.0 / (double)n;
    D[a] = g->p.d0;
    alpha[a] = 1.0;
  }
  if (g->p.start == GV_OS_START_RANDOM && rng) gsl_ran_dirichlet(rng, n, alpha, pi);
  gv_onestep_state(g, pi, D, x);
}

/* ------------------------------------------------------------------ init */

gv_status gv_onestep_init(gv_onestep *g, const gv_onestep_params *p, gv_err *err) {
  memset(g, 0, sizeof *g);
  if (p->n < 2 || p->n > GV_ONESTEP_MAXN)
    return gv_fail(err, GV_EINVAL, "onestep: n = %ld actions, allowed 2..%d", p->n,
                   GV_ONESTEP_MAXN);
  double s = 0.0;
  for (long a = 0; a < p->n; ++a) {
    if (!(p->expert[a] > 0.0) || !isfinite(p->expert[a]))
      return gv_fail(err, GV_EINVAL, "onestep: expert probability %ld is %g, must be > 0", a,
                     p->expert[a]);
    s += p->expert[a];
  }
  if (!(fabs(s - 1.0) <= 1e-6))
    return gv_fail(err, GV_EINVAL, "onestep: expert probabilities sum to %.9g, not 1", s);
  if (!(p->d0 > 0.0 && p->d0 < 1.0))
    return gv_fail(err, GV_EINVAL, "onestep: d0 = %g must be in (0, 1)", p->d0);
  g->p = *p;
  g->na = (size_t)p->n;
  for (size_t a = 0; a < g->na; ++a) g->p.expert[a] = p->expert[a] / s;
  double half[GV_ONESTEP_MAXN] = {0};
  for (size_t a = 0; a < g->na; ++a) half[a] = 0.5;
  gv_onestep_state(g, g->p.expert, half, g->xstar);
  for (size_t a = 0; a < g->na; ++a) g->shift[a] = 1.0 / sqrt((double)g->na);

  /* D sees no inputs it could take a gradient of (one table entry per
   * action): no R1, R2, WGAN-GP or instance-noise capability. */
  static const gv_vfcaps caps = {
      .penalty_output = onestep_penalty_output,
      .field_gen_reg = onestep_field_gen_reg,
      .field_gen_div = onestep_field_gen_div,
  };
  g->vf = (gv_vfgame){.name = "onestep", .n = 2 * g->na, .gen0 = 0, .ngen = g->na,
                      .disc0 = g->na, .ndisc = g->na,
                      .conserved = g->shift, /* the analysis works on its complement */
                      .nconserved = 1, .xstar = g->xstar, .self = g, .field = gv_onestep_field,
                      .jacobian = gv_onestep_jacobian, .caps = &caps};
  return GV_OK;
}

/* ---------------------------------------------------------- component */

static const char *const reward_names[] = {"gail", "logit", "logd", NULL};
static const char *const disc_names[] = {"prob", "logit", NULL};
static const char *const policy_names[] = {"softmax", "simplex", NULL};
static const char *const start_names[] = {"uniform", "expert", "random", NULL};

const gv_param gv_onestep_param_table[] = {
    GV_PARAM_INT(gv_onestep_params, n, "3", 2, GV_ONESTEP_MAXN,
                 "number of actions (default: the length of `expert: [p1, ...]`, which "
                 "defaults to [0.6, 0.3, 0.1])"),
    GV_PARAM_REAL(gv_onestep_params, lambda, "0.1", 0.0, 1e6, "entropy weight lambda"),
    GV_PARAM_ENUM(gv_onestep_params, reward, "gail", reward_names,
                  "policy reward: gail -log(1 - D), logit log D - log(1 - D), logd log D"),
    GV_PARAM_ENUM(gv_onestep_params, disc, "prob", disc_names,
                  "discriminator held as probabilities D(a) or logits f(a), D = sigmoid(f)"),
    GV_PARAM_ENUM(gv_onestep_params, policy, "softmax", policy_names,
                  "policy as n softmax logits or on the simplex (projected gradient)"),
    GV_PARAM_ENUM(gv_onestep_params, start, "uniform", start_names,
                  "initial policy: uniform, expert, or random (Dirichlet(1), seeded)"),
    GV_PARAM_REALX(gv_onestep_params, d0, "0.5", 0.0, 1.0, GV_P_LO_OPEN | GV_P_HI_OPEN,
                   "initial D(a) of every action"),
    GV_PARAM_LIST("expert", "[0.6, 0.3, 0.1]",
                  "expert pi_E as n probabilities summing to 1 (default for other n: 2^-a, "
                  "normalised)"),
    GV_PARAM_END};

const gv_component gv_game_onestep = {
    "onestep",
    "one-step GAIL: n actions, expert pi_E, discriminator D(a), policy with entropy bonus",
    "Luo et al. 2024 (arXiv 2402.16349); docs/theory/onestep-gail.md",
    gv_onestep_param_table, sizeof(gv_onestep_params)};

/* Default expert: [0.6, 0.3, 0.1] for n = 3 (unequal, so that the entropy
 * bonus moves the policy off it), else 2^-a normalised. */
static void default_expert(long n, double *e) {
  if (n == 3) {
    e[0] = 0.6, e[1] = 0.3, e[2] = 0.1;
    return;
  }
  double s = 0.0;
  for (long a = 0; a < n; ++a) s += e[a] = ldexp(1.0, (int)-a);
  for (long a = 0; a < n; ++a) e[a] /= s;
}

gv_status gv_onestep_load(gv_node *map, const gv_cfg_ctx *ctx, gv_onestep_params *p,
                          gv_err *err) {
  static const char *const extra[] = {"kind", NULL};
  char where[512], num[64];
  gv_node *e = gv_map_get(map, "expert");
  size_t ne = 0;
  double ev[GV_ONESTEP_MAXN];
  if (e) {
    gv_cfg_where(where, sizeof where, ctx, gv_map_key_line(map, "expert"), "expert");
    if (e->kind != GV_NODE_SEQ || e->n < 2 || e->n > GV_ONESTEP_MAXN)
      return gv_fail(err, GV_ECONFIG, "%s: expected a list of 2 to %d probabilities", where,
                     GV_ONESTEP_MAXN);
    double s = 0.0;
    for (size_t a = 0; a < e->n; ++a) {
      if (e->items[a]->kind != GV_NODE_SCALAR || gv_parse_real(e->items[a]->value, &ev[a]) ||
          !(ev[a] > 0.0) || !isfinite(ev[a]))
        return gv_fail(err, GV_ECONFIG, "%s: item %zu: expected a probability > 0", where, a);
      s += ev[a];
    }
    if (!(fabs(s - 1.0) <= 1e-6))
      return gv_fail(err, GV_ECONFIG, "%s: the probabilities sum to %.9g, not 1", where, s);
    ne = e->n;
    if (!gv_map_get(map, "n")) { /* n follows the list */
      snprintf(num, sizeof num, "%zu", ne);
      gv_map_set(map, "n", gv_node_new_scalar(num));
    }
  }
  gv_status st = gv_params_load(gv_onestep_param_table, map, extra, ctx, p, err);
  if (st != GV_OK) return st;
  if (e && (long)ne != p->n) {
    gv_cfg_where(where, sizeof where, ctx, gv_map_key_line(map, "n"), "n");
    return gv_fail(err, GV_ECONFIG, "%s: %ld actions but `expert` lists %zu", where, p->n, ne);
  }
  if (e) {
    for (size_t a = 0; a < ne; ++a) p->expert[a] = ev[a];
  } else {
    default_expert(p->n, p->expert);
    gv_node *seq = gv_node_new_seq();
    for (long a = 0; a < p->n; ++a) {
      snprintf(num, sizeof num, "%.15g", p->expert[a]);
      gv_seq_push(seq, gv_node_new_scalar(num));
    }
    gv_map_set(map, "expert", seq);
  }
  return GV_OK;
}
