/* A MuJoCo task from a config (envs/mjcf.h): the menu, its compilation
 * against the model, and the four hooks that run it.
 *
 * Each term of the config is compiled once, at load, into indices into
 * qpos, qvel, xpos and site_xpos; the hooks only read those.  The formulas
 * are the ones the built-in tasks use (envs/tasks.c), evaluated in the same
 * order, so a built-in task written as a config gives the same bits
 * (tests/envs/test_envs_mjcf.c). */
#include "envs/mjcf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "envs/task_util.h"

/* ---------------------------------------------------------- the menu */

/* Every term's parameters in one struct; each term's table uses a few. */
typedef struct term_p {
  long skip;
  double clip, weight, bonus, scale, radius;
  int closed, of, dist, axis;
  char joint[GV_STR_MAX], body[GV_STR_MAX], site[GV_STR_MAX];
  char target_body[GV_STR_MAX], target_site[GV_STR_MAX], axes[GV_STR_MAX];
  char joint_x[GV_STR_MAX], joint_y[GV_STR_MAX], low[GV_STR_MAX], high[GV_STR_MAX];
} term_p;

static const char *const axis_names[] = {"x", "y", "z", NULL};
static const char *const of_names[] = {"qpos", "qvel", NULL};
static const char *const dist_names[] = {"uniform", "normal", NULL};

#define P_SKIP(what) GV_PARAM_INT(term_p, skip, "0", 0, 1e6, "leave out the first N " what)
#define P_JOINT(help) GV_PARAM_STR(term_p, joint, "", help)
#define P_BODY(help) GV_PARAM_STR(term_p, body, "", help)
#define P_SITE(help) GV_PARAM_STR(term_p, site, "", help)
#define P_TARGETS                                                                     \
  GV_PARAM_STR(term_p, target_body, "", "the target point: this body's origin"),      \
      GV_PARAM_STR(term_p, target_site, "", "... or this site (one of the two)")
#define P_AXES GV_PARAM_STR(term_p, axes, "xyz", "which coordinates, in order (e.g. xy)")
#define P_WEIGHT(def) GV_PARAM_REAL(term_p, weight, def, 0, 1e12, "the term's weight")

/* observation */
static const gv_param ob_qpos_p[] = {
    P_SKIP("coordinates (0: all; 1: all but the root x of a planar body)"),
    GV_PARAM_END};
static const gv_param ob_qvel_p[] = {
    P_SKIP("coordinates"),
    GV_PARAM_REAL(term_p, clip, "0", 0, 1e12, "clip each value to +-clip (0: no clipping)"),
    GV_PARAM_END};
static const gv_param ob_angle_p[] = {GV_PARAM_END};
static const gv_param ob_body_pos_p[] = {P_BODY("the body (required)"), P_AXES, GV_PARAM_END};
static const gv_param ob_site_pos_p[] = {P_SITE("the site (required)"), P_AXES, GV_PARAM_END};
static const gv_param ob_cfrc_p[] = {
    GV_PARAM_REAL(term_p, clip, "1", 0, 1e12, "clip each value to +-clip (0: no clipping)"),
    GV_PARAM_END};
static const gv_param ob_vector_p[] = {P_BODY("the point: this body's origin"),
                                       P_SITE("... or this site (one of the two)"), P_TARGETS,
                                       P_AXES, GV_PARAM_END};
/* reward */
static const gv_param rw_forward_p[] = {
    P_JOINT("measure a joint's coordinate (slide, hinge; free: the axis)"),
    P_BODY("... or a body's origin (one of the two)"),
    GV_PARAM_ENUM(term_p, axis, "x", axis_names, "axis of a free joint or a body"),
    P_WEIGHT("1"), GV_PARAM_END};
static const gv_param rw_ctrl_p[] = {P_WEIGHT("1e-3"), GV_PARAM_END};
static const gv_param rw_alive_p[] = {
    GV_PARAM_REAL(term_p, bonus, "1", 0, 1e12, "paid on every step that ends healthy"),
    GV_PARAM_END};
static const gv_param rw_contact_p[] = {
    P_WEIGHT("5e-4"),
    GV_PARAM_REAL(term_p, clip, "1", 0, 1e12, "clip each force to +-clip (0: no clipping)"),
    GV_PARAM_END};
static const gv_param rw_distance_p[] = {P_BODY("the point: this body's origin"),
                                         P_SITE("... or this site (one of the two)"),
                                         P_TARGETS, P_WEIGHT("1"), GV_PARAM_END};
/* healthy */
static const gv_param hl_range_p[] = {
    P_JOINT("a joint's coordinate (slide, hinge; free: the axis)"),
    P_BODY("... or a body's origin (one of the two)"),
    GV_PARAM_ENUM(term_p, axis, "z", axis_names, "axis of a free joint or a body"),
    GV_PARAM_STR(term_p, low, "-.inf", "lower bound"),
    GV_PARAM_STR(term_p, high, ".inf", "upper bound"),
    GV_PARAM_BOOL(term_p, closed, "false", "true: bounds included [low, high]; false: (low, high)"),
    GV_PARAM_END};
static const gv_param hl_state_p[] = {
    P_SKIP("values of (qpos, qvel)"),
    GV_PARAM_STR(term_p, low, "-100", "lower bound"),
    GV_PARAM_STR(term_p, high, "100", "upper bound"),
    GV_PARAM_BOOL(term_p, closed, "false", "true: bounds included [low, high]; false: (low, high)"),
    GV_PARAM_END};
static const gv_param hl_finite_p[] = {GV_PARAM_END};
/* reset */
static const gv_param rs_noise_p[] = {
    GV_PARAM_ENUM(term_p, of, NULL, of_names, "qpos (around the model's qpos0) or qvel (around 0)"),
    GV_PARAM_ENUM(term_p, dist, "uniform", dist_names,
                  "uniform: U(-scale, scale); normal: scale N(0, 1)"),
    GV_PARAM_REAL(term_p, scale, NULL, 0, 1e12, "the noise scale"), GV_PARAM_END};
static const gv_param rs_disc_p[] = {
    GV_PARAM_STR(term_p, joint_x, NULL, "slide joint set to the point's x"),
    GV_PARAM_STR(term_p, joint_y, NULL, "slide joint set to the point's y"),
    GV_PARAM_REALX(term_p, radius, "0.2", 0, 1e12, GV_P_LO_OPEN, "the disc's radius"),
    GV_PARAM_END};
static const gv_param rs_zero_p[] = {GV_PARAM_END};

/* Keys holding a list of names (or one name), read by this file. */
static const char *const k_term[] = {"term", NULL};
static const char *const k_joints[] = {"term", "joints", "exclude", NULL};
static const char *const k_joints_only[] = {"term", "joints", NULL};

typedef enum {
  OB_QPOS, OB_QVEL, OB_COS, OB_SIN, OB_BODY_POS, OB_SITE_POS, OB_CFRC, OB_VECTOR,
  RW_FORWARD, RW_CTRL, RW_ALIVE, RW_CONTACT, RW_DISTANCE,
  HL_RANGE, HL_STATE, HL_FINITE,
  RS_NOISE, RS_DISC, RS_ZERO,
} term_id;

typedef struct term_kind {
  gv_component c;           /* name, summary, params */
  term_id id;
  const char *const *extra; /* keys besides the table: term, name lists */
} term_kind;

#define TERM(var, nm, id, params, extra, summary) \
  static const term_kind var = {{nm, summary, NULL, params, sizeof(term_p)}, id, extra}

TERM(t_qpos, "qpos", OB_QPOS, ob_qpos_p, k_joints,
     "qpos coordinates: of `joints` (a name or a list), else all from `skip` on but those of "
     "the joints in `exclude`");
TERM(t_qvel, "qvel", OB_QVEL, ob_qvel_p, k_joints,
     "qvel coordinates, chosen as for qpos, each clipped to +-clip when clip > 0");
TERM(t_cos, "cos", OB_COS, ob_angle_p, k_joints_only, "cos of the qpos of `joints`");
TERM(t_sin, "sin", OB_SIN, ob_angle_p, k_joints_only, "sin of the qpos of `joints`");
TERM(t_body_pos, "body_pos", OB_BODY_POS, ob_body_pos_p, k_term,
     "a body's origin in world coordinates (xpos)");
TERM(t_site_pos, "site_pos", OB_SITE_POS, ob_site_pos_p, k_term,
     "a site's position in world coordinates");
TERM(t_cfrc, "cfrc_ext", OB_CFRC, ob_cfrc_p, k_term,
     "the external contact forces of every body but the world, 6 each, clipped to +-clip");
TERM(t_vector, "vector", OB_VECTOR, ob_vector_p, k_term,
     "point - target (a body's origin or a site, each)");
TERM(t_forward, "forward", RW_FORWARD, rw_forward_p, k_term,
     "weight * (p_after - p_before) / dt of a joint coordinate or a body's origin on an axis");
TERM(t_ctrl, "ctrl_cost", RW_CTRL, rw_ctrl_p, k_term, "- weight * |action|^2");
TERM(t_alive, "alive", RW_ALIVE, rw_alive_p, k_term,
     "bonus on every step whose state is healthy (nothing on the step that ends the episode)");
TERM(t_contact, "contact_cost", RW_CONTACT, rw_contact_p, k_term,
     "- weight * |clip(cfrc_ext of every body but the world, +-clip)|^2");
TERM(t_distance, "distance", RW_DISTANCE, rw_distance_p, k_term,
     "- weight * |point - target| after the step");
TERM(t_range, "range", HL_RANGE, hl_range_p, k_term,
     "healthy while a joint coordinate or a body's origin on an axis lies in (low, high)");
TERM(t_state, "state_range", HL_STATE, hl_state_p, k_term,
     "healthy while every value of (qpos, qvel) from `skip` on lies in (low, high)");
TERM(t_finite, "finite", HL_FINITE, hl_finite_p, k_term, "healthy while qpos and qvel are finite");
TERM(t_noise, "noise", RS_NOISE, rs_noise_p, k_term,
     "qpos := qpos0 + noise or qvel := noise, every coordinate in index order");
TERM(t_disc, "target_disc", RS_DISC, rs_disc_p, k_term,
     "two slide joints := a point uniform in the disc of the radius (by rejection)");
TERM(t_zero, "zero_qvel", RS_ZERO, rs_zero_p, k_joints_only, "qvel of `joints` := 0");

static const gv_component *const ob_items[] = {&t_qpos.c, &t_qvel.c, &t_cos.c, &t_sin.c,
                                               &t_body_pos.c, &t_site_pos.c, &t_cfrc.c,
                                               &t_vector.c, NULL};
static const gv_component *const rw_items[] = {&t_forward.c, &t_ctrl.c, &t_alive.c,
                                               &t_contact.c, &t_distance.c, NULL};
static const gv_component *const hl_items[] = {&t_range.c, &t_state.c, &t_finite.c, NULL};
static const gv_component *const rs_items[] = {&t_noise.c, &t_disc.c, &t_zero.c, NULL};

const gv_registry gv_mjcf_observation_terms = {
    "observation term", "game.env.observation: the observation, the terms' values in list order",
    ob_items};
const gv_registry gv_mjcf_reward_terms = {
    "reward term", "game.env.reward: the reward, the sum of the terms (each at most once)", rw_items};
const gv_registry gv_mjcf_healthy_terms = {
    "healthy term", "game.env.healthy: the episode ends on the first step where a term fails "
               "(none: never)", hl_items};
const gv_registry gv_mjcf_reset_terms = {
    "reset term", "game.env.reset: applied in list order after mj_resetData (qpos0, zero qvel)",
    rs_items};

typedef struct mjcf_p {
  char xml[GV_STR_MAX];
  char name[GV_STR_MAX];
  long frame_skip, max_steps;
  char xml_hash[GV_STR_MAX];
} mjcf_p;

static const gv_param mjcf_params[] = {
    GV_PARAM_STR(mjcf_p, xml, NULL, "the MJCF file (relative: to the config file's folder)"),
    GV_PARAM_STR(mjcf_p, name, "", "the task's name in run files and policies (\"\": the "
                 "file's name without .xml)"),
    GV_PARAM_INT(mjcf_p, frame_skip, "1", 1, 1e6, "mj_step calls per env step"),
    GV_PARAM_INT(mjcf_p, max_steps, "1000", 1, 1e9, "episode length: truncated at this step"),
    GV_PARAM_STR(mjcf_p, xml_hash, "", "the file's fnv1a64 content hash, written by the "
                 "resolved config; a different file is refused (\"\": not checked)"),
    GV_PARAM_END,
};
static const char *const mjcf_extra[] = {"kind", "observation", "reward", "healthy", "reset",
                                         NULL};

const gv_component gv_mjcf_component = {
    "mjcf", "a MuJoCo model from an MJCF file, with observation, reward, healthy and reset "
            "lists of terms (docs/envs.md)", NULL, mjcf_params, sizeof(mjcf_p)};

void gv_mjcf_print(FILE *f) {
  fprintf(f, "envs: game.env of rl, gail and dac: a built-in task's name, or a mapping "
             "{kind: mjcf, ...} (docs/envs.md)\n");
  for (const gv_env_type *const *t = gv_env_types; *t; ++t)
    fprintf(f, "  %-16s %s; observation %d, action %d in [%g, %g], %d steps\n", (*t)->name,
            (*t)->summary, (*t)->obs_dim, (*t)->act_dim, (*t)->act_low, (*t)->act_high,
            (*t)->max_steps);
  fprintf(f, "  %-16s %s\n", gv_mjcf_component.name, gv_mjcf_component.summary);
  gv_params_print(f, gv_mjcf_component.params, "      ");
  const gv_registry *const menu[] = {&gv_mjcf_observation_terms, &gv_mjcf_reward_terms,
                                     &gv_mjcf_healthy_terms, &gv_mjcf_reset_terms};
  for (int i = 0; i < 4; ++i) {
    fprintf(f, "\n%ss: %s\n", menu[i]->kind, menu[i]->help);
    for (const gv_component *const *c = menu[i]->items; *c; ++c) {
      fprintf(f, "  %-16s %s\n", (*c)->name, (*c)->summary);
      gv_params_print(f, (*c)->params, "      ");
      const char *const *x = ((const term_kind *)*c)->extra;
      for (int k = 1; x[k]; ++k) /* the name-list keys after `term` */
        fprintf(f, "      %-14s %-8s %s\n", x[k], "names",
                !strcmp(x[k], "joints") ? "a joint name or a list of them, in the order given"
                                        : "joints whose coordinates are left out");
    }
  }
}

/* --------------------------------------------------- compiled terms */

typedef struct coord {      /* one number of the state */
  int qadr;                 /* qpos address, or -1 */
  int body, site;           /* else a body's or a site's position (one >= 0) */
  int axis;                 /* ... on this axis */
} coord;

typedef struct point {      /* a body's origin or a site's position */
  int body, site;
} point;

typedef struct term {
  term_id id;
  int n;                    /* observation values; qpos/qvel addresses in idx */
  int *idx;
  int axes[3];
  double clip, weight, lo, hi, scale;
  int closed, has_lo, has_hi, of_qvel, normal, skip;
  coord c;
  point a, b;
} term;

typedef struct mjcf_ctx {
  term *t;                  /* every term, lists concatenated */
  int nt;
  int ob0, ob1, hl0, hl1, rs0, rs1; /* [first, end) of each list in t */
  const term *fwd, *ctrl, *alive, *contact, *dist; /* the reward terms present */
} mjcf_ctx;

static void ctx_free(void *p) {
  mjcf_ctx *x = p;
  if (!x) return;
  for (int i = 0; i < x->nt; ++i) free(x->t[i].idx);
  free(x->t);
  free(x);
}

/* --------------------------------------------------------- the hooks */

static const double *point_pos(const point *p, const mjData *d) {
  return p->body >= 0 ? d->xpos + 3 * p->body : d->site_xpos + 3 * p->site;
}

static double coord_value(const coord *c, const mjData *d) {
  if (c->qadr >= 0) return d->qpos[c->qadr];
  const point p = {c->body, c->site};
  return point_pos(&p, d)[c->axis];
}

static double *observe_term(const term *t, double *o, const mjModel *m, const mjData *d) {
  switch (t->id) {
  case OB_QPOS:
    for (int j = 0; j < t->n; ++j) *o++ = d->qpos[t->idx[j]];
    break;
  case OB_QVEL:
    for (int j = 0; j < t->n; ++j)
      *o++ = t->clip > 0 ? gv_task_clip(d->qvel[t->idx[j]], -t->clip, t->clip)
                         : d->qvel[t->idx[j]];
    break;
  case OB_COS:
    for (int j = 0; j < t->n; ++j) *o++ = cos(d->qpos[t->idx[j]]);
    break;
  case OB_SIN:
    for (int j = 0; j < t->n; ++j) *o++ = sin(d->qpos[t->idx[j]]);
    break;
  case OB_BODY_POS:
  case OB_SITE_POS:
  case OB_VECTOR: {
    const double *p = point_pos(&t->a, d), *q = t->id == OB_VECTOR ? point_pos(&t->b, d) : NULL;
    for (int j = 0; j < t->n; ++j) *o++ = q ? p[t->axes[j]] - q[t->axes[j]] : p[t->axes[j]];
    break;
  }
  case OB_CFRC: {
    const double *f = d->cfrc_ext + 6; /* every body but the world */
    for (int j = 0; j < t->n; ++j)
      *o++ = t->clip > 0 ? gv_task_clip(f[j], -t->clip, t->clip) : f[j];
    break;
  }
  default:
    break;
  }
  (void)m;
  return o;
}

static void mj_observe(const void *vc, double *obs, const mjModel *m, const mjData *d) {
  const mjcf_ctx *x = vc;
  for (int i = x->ob0; i < x->ob1; ++i) obs = observe_term(&x->t[i], obs, m, d);
}

static int in_range(const term *t, double v) {
  if (t->closed) return (!t->has_lo || v >= t->lo) && (!t->has_hi || v <= t->hi) && v == v;
  return (!t->has_lo || v > t->lo) && (!t->has_hi || v < t->hi) && v == v;
}

static int mj_healthy(const void *vc, const mjModel *m, const mjData *d) {
  const mjcf_ctx *x = vc;
  for (int i = x->hl0; i < x->hl1; ++i) {
    const term *t = &x->t[i];
    if (t->id == HL_RANGE && !in_range(t, coord_value(&t->c, d))) return 0;
    if (t->id == HL_FINITE &&
        !(gv_task_finite(d->qpos, m->nq) && gv_task_finite(d->qvel, m->nv)))
      return 0;
    if (t->id == HL_STATE)
      for (int k = t->skip; k < m->nq + m->nv; ++k)
        if (!in_range(t, k < m->nq ? d->qpos[k] : d->qvel[k - m->nq])) return 0;
  }
  return 1;
}

static double mj_position(const void *vc, const mjModel *m, const mjData *d) {
  const mjcf_ctx *x = vc;
  (void)m;
  return x->fwd ? coord_value(&x->fwd->c, d) : 0.0;
}

static void mj_reward(const void *vc, gv_env_terms *tm, const mjModel *m, const mjData *d,
                      const double *a, double x_before, double dt, int healthy) {
  const mjcf_ctx *x = vc;
  memset(tm, 0, sizeof *tm);
  if (x->fwd) {
    tm->x_velocity = (coord_value(&x->fwd->c, d) - x_before) / dt;
    tm->forward = x->fwd->weight * tm->x_velocity;
  }
  if (x->alive) tm->healthy = healthy ? x->alive->weight : 0.0;
  if (x->ctrl) tm->ctrl_cost = x->ctrl->weight * gv_task_sumsq(a, m->nu);
  if (x->contact) {
    const term *t = x->contact;
    double c = 0;
    for (int i = 0; i < 6 * (m->nbody - 1); ++i) {
      const double f = t->clip > 0 ? gv_task_clip(d->cfrc_ext[6 + i], -t->clip, t->clip)
                                    : d->cfrc_ext[6 + i];
      c += f * f;
    }
    tm->contact_cost = t->weight * c;
  }
  if (x->dist) {
    const double *p = point_pos(&x->dist->a, d), *q = point_pos(&x->dist->b, d);
    const double v[3] = {p[0] - q[0], p[1] - q[1], p[2] - q[2]};
    tm->dist_cost = x->dist->weight * sqrt(gv_task_sumsq(v, 3));
  }
}

static void mj_reset(const void *vc, const mjModel *m, mjData *d, gsl_rng *rng) {
  const mjcf_ctx *x = vc;
  for (int i = x->rs0; i < x->rs1; ++i) {
    const term *t = &x->t[i];
    if (t->id == RS_NOISE) {
      double *v = t->of_qvel ? d->qvel : d->qpos;
      const double *base = t->of_qvel ? NULL : m->qpos0;
      const int n = t->of_qvel ? m->nv : m->nq;
      for (int k = 0; k < n; ++k) {
        if (t->normal) v[k] = base ? base[k] + t->scale * gv_rng_normal(rng)
                                   : t->scale * gv_rng_normal(rng);
        else gv_task_add_uniform(v + k, base ? base + k : NULL, 1, t->scale, rng);
      }
    } else if (t->id == RS_DISC) {
      double gx, gy;
      do {
        gx = gv_task_uniform(rng, -t->scale, t->scale);
        gy = gv_task_uniform(rng, -t->scale, t->scale);
      } while (!(gx * gx + gy * gy < t->scale * t->scale));
      d->qpos[t->idx[0]] = gx;
      d->qpos[t->idx[1]] = gy;
    } else if (t->id == RS_ZERO) {
      for (int j = 0; j < t->n; ++j) d->qvel[t->idx[j]] = 0;
    }
  }
}

/* ------------------------------------------------------ compilation */

typedef struct compiler {
  const mjModel *m;
  const gv_cfg_ctx *ctx;    /* the term's mapping ("game.env.reward.1") */
  gv_node *item;
  gv_err *err;
} compiler;

static gv_status fail_at(const compiler *cc, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static gv_status fail_at(const compiler *cc, const char *key, const char *fmt, ...) {
  char where[512], msg[GV_ERR_MAX];
  const int line = key && gv_map_key_line(cc->item, key) ? gv_map_key_line(cc->item, key)
                                                         : cc->item->line;
  gv_cfg_where(where, sizeof where, cc->ctx, line, key);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return gv_fail(cc->err, GV_ECONFIG, "%s: %s", where, msg);
}

/* The model's names of one kind, comma-separated (shortened past ~600 bytes). */
static void model_names(char *buf, size_t size, const mjModel *m, mjtObj type) {
  const int n = type == mjOBJ_BODY ? m->nbody : type == mjOBJ_JOINT ? m->njnt : m->nsite;
  const int *adr = type == mjOBJ_BODY ? m->name_bodyadr
                   : type == mjOBJ_JOINT ? m->name_jntadr : m->name_siteadr;
  size_t off = 0;
  buf[0] = 0;
  for (int i = 0; i < n && off < size; ++i) {
    const char *nm = m->names + adr[i];
    if (off > 600) {
      snprintf(buf + off, size - off, ", ... (%d in all)", n);
      return;
    }
    off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", *nm ? nm : "(unnamed)");
  }
  if (!n) snprintf(buf, size, "none");
}

static const char *kind_word(mjtObj type) {
  return type == mjOBJ_BODY ? "body" : type == mjOBJ_JOINT ? "joint" : "site";
}

/* The id of `name` (a `key` of the term) of a kind; a miss lists the model's names. */
static gv_status find_id(const compiler *cc, const char *key, mjtObj type, const char *name,
                         int *id) {
  *id = *name ? mj_name2id(cc->m, type, name) : -1;
  if (*id >= 0) return GV_OK;
  char names[800], msg[1000];
  model_names(names, sizeof names, cc->m, type);
  const char *kinds = type == mjOBJ_BODY ? "bodies" : type == mjOBJ_JOINT ? "joints" : "sites";
  if (!*name)
    snprintf(msg, sizeof msg, "required: a %s of the model (the model's %s: %s)",
             kind_word(type), kinds, names);
  else
    snprintf(msg, sizeof msg, "no %s '%s' in the model (the model's %s: %s)", kind_word(type),
             name, kinds, names);
  return fail_at(cc, key, "%s", msg);
}

/* A point: exactly one of the body and site keys named. */
static gv_status find_point(const compiler *cc, const char *bkey, const char *body,
                            const char *skey, const char *site, point *p) {
  p->body = p->site = -1;
  if (!*body == !*site)
    return fail_at(cc, *body ? skey : bkey,
                   "name a body or a site, exactly one (allowed: %s or %s)", bkey, skey);
  return *body ? find_id(cc, bkey, mjOBJ_BODY, body, &p->body)
               : find_id(cc, skey, mjOBJ_SITE, site, &p->site);
}

/* A coordinate: a joint's (a free joint's axis) or a body's origin on an axis. */
static gv_status find_coord(const compiler *cc, const term_p *p, coord *c) {
  c->qadr = c->body = c->site = -1;
  c->axis = p->axis;
  if (!*p->joint == !*p->body)
    return fail_at(cc, *p->joint ? "body" : "joint",
                   "name a joint or a body, exactly one (allowed: joint or body)");
  if (*p->body) return find_id(cc, "body", mjOBJ_BODY, p->body, &c->body);
  int j;
  gv_status st = find_id(cc, "joint", mjOBJ_JOINT, p->joint, &j);
  if (st) return st;
  const int type = cc->m->jnt_type[j];
  if (type == mjJNT_BALL)
    return fail_at(cc, "joint", "'%s' is a ball joint, which has no single coordinate "
                   "(allowed: slide, hinge and free joints)", p->joint);
  c->qadr = cc->m->jnt_qposadr[j] + (type == mjJNT_FREE ? p->axis : 0);
  return GV_OK;
}

static int jnt_nq(int type) { return type == mjJNT_FREE ? 7 : type == mjJNT_BALL ? 4 : 1; }
static int jnt_nv(int type) { return type == mjJNT_FREE ? 6 : type == mjJNT_BALL ? 3 : 1; }

/* The joints under `key` (one name or a list of names) as joint ids. */
static gv_status joint_list(const compiler *cc, const char *key, int **ids, int *n) {
  *ids = NULL;
  *n = 0;
  gv_node *v = gv_map_get(cc->item, key);
  if (!v) return GV_OK;
  const size_t k = v->kind == GV_NODE_SEQ ? v->n : 1;
  if (v->kind == GV_NODE_MAP || (v->kind == GV_NODE_SEQ && !k))
    return fail_at(cc, key, "expected a joint name or a list of them");
  *ids = calloc(k, sizeof **ids);
  if (!*ids) return gv_fail(cc->err, GV_ENOMEM, "out of memory");
  for (size_t i = 0; i < k; ++i) {
    const gv_node *it = v->kind == GV_NODE_SEQ ? v->items[i] : v;
    gv_status st = it->kind != GV_NODE_SCALAR
                       ? fail_at(cc, key, "expected a joint name, found a %s",
                                 it->kind == GV_NODE_MAP ? "mapping" : "list")
                       : find_id(cc, key, mjOBJ_JOINT, it->value, &(*ids)[i]);
    if (st) {
      free(*ids);
      *ids = NULL;
      return st;
    }
  }
  *n = (int)k;
  return GV_OK;
}

/* qpos (vel 0) or qvel (vel 1) addresses of a qpos-like observation term. */
static gv_status select_coords(const compiler *cc, const term_p *p, int vel, term *t) {
  const mjModel *m = cc->m;
  int *jn = NULL, *ex = NULL, nj = 0, nx = 0;
  gv_status st = joint_list(cc, "joints", &jn, &nj);
  if (!st) st = joint_list(cc, "exclude", &ex, &nx);
  if (!st && nj && (p->skip || nx))
    st = fail_at(cc, p->skip ? "skip" : "exclude",
                 "joints names the coordinates itself (allowed: joints, or skip and exclude)");
  const int total = vel ? m->nv : m->nq;
  if (!st && !nj && (t->id == OB_COS || t->id == OB_SIN || t->id == RS_ZERO))
    st = fail_at(cc, "joints", "required: a joint name or a list of them");
  const size_t cap = (size_t)total + 7 * (size_t)nj + 1; /* a joint named twice counts twice */
  if (!st && !(t->idx = calloc(cap, sizeof *t->idx)))
    st = gv_fail(cc->err, GV_ENOMEM, "out of memory");
  if (st) goto done;
  if (nj) {
    for (int i = 0; i < nj; ++i) {
      const int type = m->jnt_type[jn[i]];
      const int adr = vel ? m->jnt_dofadr[jn[i]] : m->jnt_qposadr[jn[i]];
      for (int k = 0; k < (vel ? jnt_nv(type) : jnt_nq(type)); ++k)
        t->idx[t->n++] = adr + k;
    }
  } else {
    for (int a = (int)p->skip; a < total; ++a) {
      int out = 0;
      for (int i = 0; i < nx; ++i) {
        const int type = m->jnt_type[ex[i]];
        const int adr = vel ? m->jnt_dofadr[ex[i]] : m->jnt_qposadr[ex[i]];
        out |= a >= adr && a < adr + (vel ? jnt_nv(type) : jnt_nq(type));
      }
      if (!out) t->idx[t->n++] = a;
    }
  }
  if (!t->n && t->id != RS_ZERO)
    st = fail_at(cc, "term", "selects no coordinate (the model has %d)",
                 total);
done:
  free(jn);
  free(ex);
  return st;
}

static gv_status parse_axes(const compiler *cc, const char *axes, term *t) {
  const size_t n = strlen(axes);
  int ok = n >= 1 && n <= 3;
  for (size_t i = 0; ok && i < n; ++i) {
    const char *at = strchr("xyz", axes[i]);
    ok = at && axes[i];
    if (ok) t->axes[i] = (int)(at - "xyz");
  }
  if (!ok)
    return fail_at(cc, "axes", "'%s' (allowed: 1 to 3 of x, y, z, e.g. %s)", axes, "xy");
  t->n = (int)n;
  return GV_OK;
}

static gv_status parse_bound(const compiler *cc, const char *key, const char *text, double *v,
                             int *has) {
  if (gv_parse_real(text, v))
    return fail_at(cc, key, "'%s' is not a number (allowed: numbers, .inf, -.inf)",
                   text);
  *has = !isinf(*v);
  return GV_OK;
}

/* Compiles one term of kind k with parameters p into t. */
static gv_status compile_term(const compiler *cc, const term_kind *k, const term_p *p, term *t) {
  const mjModel *m = cc->m;
  t->id = k->id;
  t->clip = p->clip;
  t->weight = p->weight;
  t->scale = p->scale;
  t->closed = p->closed;
  t->skip = (int)p->skip;
  switch (k->id) {
  case OB_QPOS:
  case OB_COS:
  case OB_SIN:
    return select_coords(cc, p, 0, t);
  case OB_QVEL:
  case RS_ZERO:
    return select_coords(cc, p, 1, t);
  case OB_BODY_POS:
    t->a.site = -1;
    if (find_id(cc, "body", mjOBJ_BODY, p->body, &t->a.body)) return GV_ECONFIG;
    return parse_axes(cc, p->axes, t);
  case OB_SITE_POS:
    t->a.body = -1;
    if (find_id(cc, "site", mjOBJ_SITE, p->site, &t->a.site)) return GV_ECONFIG;
    return parse_axes(cc, p->axes, t);
  case OB_VECTOR:
    if (find_point(cc, "body", p->body, "site", p->site, &t->a) ||
        find_point(cc, "target_body", p->target_body, "target_site", p->target_site, &t->b))
      return GV_ECONFIG;
    return parse_axes(cc, p->axes, t);
  case OB_CFRC:
    t->n = 6 * (m->nbody - 1);
    if (!t->n) return fail_at(cc, "term", "the model has no body but the world");
    return GV_OK;
  case RW_DISTANCE:
    if (find_point(cc, "body", p->body, "site", p->site, &t->a)) return GV_ECONFIG;
    return find_point(cc, "target_body", p->target_body, "target_site", p->target_site, &t->b);
  case RW_FORWARD:
    return find_coord(cc, p, &t->c);
  case RW_ALIVE:
    t->weight = p->bonus;
    return GV_OK;
  case HL_RANGE:
    if (find_coord(cc, p, &t->c)) return GV_ECONFIG;
    /* fall through */
  case HL_STATE:
    if (parse_bound(cc, "low", p->low, &t->lo, &t->has_lo) ||
        parse_bound(cc, "high", p->high, &t->hi, &t->has_hi))
      return GV_ECONFIG;
    if (t->lo > t->hi)
      return fail_at(cc, "high", "%s is below low %s (allowed: high >= low)", p->high,
                     p->low);
    return GV_OK;
  case RS_NOISE:
    t->of_qvel = p->of == 1;
    t->normal = p->dist == 1;
    return GV_OK;
  case RS_DISC: {
    int jx, jy;
    if (find_id(cc, "joint_x", mjOBJ_JOINT, p->joint_x, &jx) ||
        find_id(cc, "joint_y", mjOBJ_JOINT, p->joint_y, &jy))
      return GV_ECONFIG;
    if (m->jnt_type[jx] != mjJNT_SLIDE || m->jnt_type[jy] != mjJNT_SLIDE)
      return fail_at(cc, m->jnt_type[jx] != mjJNT_SLIDE ? "joint_x" : "joint_y",
                     "'%s' is not a slide joint (allowed: slide joints)",
                     m->jnt_type[jx] != mjJNT_SLIDE ? p->joint_x : p->joint_y);
    if (!(t->idx = calloc(2, sizeof *t->idx))) return gv_fail(cc->err, GV_ENOMEM, "out of memory");
    t->idx[0] = m->jnt_qposadr[jx];
    t->idx[1] = m->jnt_qposadr[jy];
    t->scale = p->radius;
    return GV_OK;
  }
  default:
    return GV_OK;
  }
}

/* Reads the list `key` of env against the registry r, appending to x->t. */
static gv_status load_list(mjcf_ctx *x, gv_node *env, const char *key, const gv_registry *r,
                           const mjModel *m, const gv_cfg_ctx *ectx, gv_err *err) {
  gv_node *seq = gv_map_get(env, key);
  if (!seq) return GV_OK;
  char path[300], where[512], allowed[400];
  gv_registry_names(r, allowed, sizeof allowed);
  snprintf(path, sizeof path, "%s%s%s", ectx->path, *ectx->path ? "." : "", key);
  gv_cfg_ctx lctx = {ectx->file, path};
  if (seq->kind != GV_NODE_SEQ) {
    gv_cfg_where(where, sizeof where, ectx, gv_map_key_line(env, key), key);
    return gv_fail(err, GV_ECONFIG, "%s: expected a list of terms such as [{term: %s}] "
                   "(allowed terms: %s)", where, r->items[0]->name, allowed);
  }
  term *grown = realloc(x->t, (size_t)(x->nt + (int)seq->n + 1) * sizeof *x->t);
  if (!grown) return gv_fail(err, GV_ENOMEM, "out of memory");
  x->t = grown;
  for (size_t i = 0; i < seq->n; ++i) {
    gv_node *item = seq->items[i];
    char ipath[340];
    snprintf(ipath, sizeof ipath, "%s.%zu", path, i);
    gv_cfg_ctx ictx = {ectx->file, ipath};
    const char *name = item->kind == GV_NODE_MAP ? gv_map_str(item, "term") : NULL;
    if (!name) {
      gv_cfg_where(where, sizeof where, &lctx, item->line, NULL);
      return gv_fail(err, GV_ECONFIG, "%s.%zu.term: each term is a mapping with a `term` key "
                     "(allowed terms: %s)", where, i, allowed);
    }
    const gv_component *c;
    gv_status st = gv_registry_lookup(r, name, &ictx, gv_map_key_line(item, "term"), "term", &c,
                                      err);
    if (st) return st;
    const term_kind *k = (const term_kind *)c;
    term_p p;
    memset(&p, 0, sizeof p);
    if ((st = gv_params_load(c->params, item, k->extra, &ictx, &p, err))) return st;
    term *t = &x->t[x->nt];
    memset(t, 0, sizeof *t);
    x->nt++; /* counted before compiling, so ctx_free frees what it allocated */
    compiler cc = {m, &ictx, item, err};
    if ((st = compile_term(&cc, k, &p, t))) return st;
  }
  return GV_OK;
}

/* The reward terms found in the list, each at most once. */
static gv_status pick_reward(mjcf_ctx *x, int r0, gv_node *env, const gv_cfg_ctx *ectx,
                             gv_err *err) {
  for (int i = r0; i < x->nt; ++i) {
    const term *t = &x->t[i];
    const term **slot = t->id == RW_FORWARD ? &x->fwd
                        : t->id == RW_CTRL  ? &x->ctrl
                        : t->id == RW_ALIVE ? &x->alive
                        : t->id == RW_CONTACT ? &x->contact
                                              : &x->dist;
    if (*slot) {
      char where[512];
      const gv_node *seq = gv_map_get(env, "reward");
      gv_cfg_where(where, sizeof where, ectx, seq->items[i - r0]->line, "reward");
      return gv_fail(err, GV_ECONFIG, "%s.%d.term: a second %s term (allowed: each reward "
                     "term at most once)", where, i - r0, gv_mjcf_reward_terms.items[t->id -
                     RW_FORWARD]->name);
    }
    *slot = t;
  }
  return GV_OK;
}

/* FNV-1a 64 of the file's bytes ("fnv1a64:%016llx"); 0 if unreadable. */
static int file_hash(const char *path, char *out, size_t size) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  int c;
  while ((c = getc(f)) != EOF) h = (h ^ (uint64_t)(unsigned char)c) * 0x100000001b3ULL;
  fclose(f);
  snprintf(out, size, "fnv1a64:%016llx", (unsigned long long)h);
  return 1;
}

/* xml resolved against the config file's folder, made absolute. */
static int resolve_xml(const char *xml, const char *config_file, char *out, size_t size) {
  char joined[PATH_MAX + GV_STR_MAX];
  const char *slash = config_file ? strrchr(config_file, '/') : NULL;
  if (xml[0] == '/' || !slash)
    snprintf(joined, sizeof joined, "%s", xml);
  else
    snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - config_file), config_file, xml);
  char real[PATH_MAX];
  if (!realpath(joined, real)) {
    snprintf(out, size, "%.*s", (int)size - 1, joined);
    return 0;
  }
  return snprintf(out, size, "%s", real) < (int)size;
}

/* The actuators' common control range: governor's policies take one bound
 * for every action dimension. */
static gv_status action_bounds(const mjModel *m, double *lo, double *hi, char *msg, size_t size) {
  if (m->nu < 1) {
    snprintf(msg, size, "the model has no actuator (allowed: a model with at least one)");
    return GV_ECONFIG;
  }
  for (int i = 0; i < m->nu; ++i) {
    const char *nm = m->names + m->name_actuatoradr[i];
    if (!m->actuator_ctrllimited[i]) {
      snprintf(msg, size, "actuator %d ('%s') has no ctrlrange (allowed: actuators with "
               "ctrllimited=\"true\" and one common ctrlrange)", i, nm);
      return GV_ECONFIG;
    }
    const double a = m->actuator_ctrlrange[2 * i], b = m->actuator_ctrlrange[2 * i + 1];
    if (i && (a != *lo || b != *hi)) {
      snprintf(msg, size, "actuator %d ('%s') has ctrlrange [%g, %g], actuator 0 [%g, %g] "
               "(allowed: one common ctrlrange)", i, nm, a, b, *lo, *hi);
      return GV_ECONFIG;
    }
    *lo = a;
    *hi = b;
  }
  return GV_OK;
}

gv_status gv_mjcf_task_alloc(gv_env_task **out, gv_node *env, const char *config_file,
                             const gv_cfg_ctx *ctx, gv_err *err) {
  *out = NULL;
  char where[512];
  const char *kind = gv_map_str(env, "kind");
  if (!kind || strcmp(kind, "mjcf")) {
    gv_cfg_where(where, sizeof where, ctx,
                 gv_map_key_line(env, "kind") ? gv_map_key_line(env, "kind") : env->line, "kind");
    return gv_fail(err, GV_ECONFIG, "%s: %s%s%s (allowed: mjcf; a built-in task is named as "
                   "`env: hopper`)", where, kind ? "unknown env kind '" : "missing",
                   kind ? kind : "", kind ? "'" : "");
  }
  mjcf_p p;
  gv_status st = gv_params_load(mjcf_params, env, mjcf_extra, ctx, &p, err);
  if (st) return st;
  char path[GV_STR_MAX], hash[64];
  gv_cfg_where(where, sizeof where, ctx, gv_map_key_line(env, "xml"), "xml");
  if (!resolve_xml(p.xml, config_file, path, sizeof path))
    return gv_fail(err, GV_ECONFIG, "%s: '%s' not found (looked for %s; a relative path is "
                   "read from the config file's folder)", where, p.xml, path);
  if (!file_hash(path, hash, sizeof hash))
    return gv_fail(err, GV_ECONFIG, "%s: can not read '%s'", where, path);
  if (p.xml_hash[0] && strcmp(p.xml_hash, hash)) {
    gv_cfg_where(where, sizeof where, ctx, gv_map_key_line(env, "xml_hash"), "xml_hash");
    return gv_fail(err, GV_ECONFIG, "%s: %s changed: its content is %s, the config was made "
                   "with %s (allowed: the same model; remove xml_hash to accept this one)",
                   where, path, hash, p.xml_hash);
  }
  char msg[1000] = "";
  mjModel *m = gv_env_load_xml(path, msg, sizeof msg);
  if (!m) return gv_fail(err, GV_ECONFIG, "%s: MuJoCo can not load %s: %s", where, path, msg);

  gv_env_task *t = calloc(1, sizeof *t);
  mjcf_ctx *x = calloc(1, sizeof *x);
  if (!t || !x) {
    free(t);
    free(x);
    mj_deleteModel(m);
    return gv_fail(err, GV_ENOMEM, "out of memory");
  }
  t->model = m;
  t->ctx = x;
  t->variant.ctx_free = ctx_free;
  t->type = &t->variant; /* gv_env_task_free frees model and ctx from here on */
  snprintf(t->path, sizeof t->path, "%s", path);
  if (p.name[0]) {
    snprintf(t->name, sizeof t->name, "%.63s", p.name);
  } else {
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dot = strrchr(base, '.');
    snprintf(t->name, sizeof t->name, "%.*s", (int)(dot && dot > base ? dot - base : 63), base);
  }
  if (strlen(p.name) >= sizeof t->name) {
    gv_cfg_where(where, sizeof where, ctx, gv_map_key_line(env, "name"), "name");
    st = gv_fail(err, GV_ECONFIG, "%s: longer than %zu characters", where, sizeof t->name - 1);
  }
  int r0 = 0;
  if (!st) st = load_list(x, env, "observation", &gv_mjcf_observation_terms, m, ctx, err);
  x->ob1 = x->hl0 = x->nt;
  if (!st) st = load_list(x, env, "healthy", &gv_mjcf_healthy_terms, m, ctx, err);
  x->hl1 = x->rs0 = x->nt;
  if (!st) st = load_list(x, env, "reset", &gv_mjcf_reset_terms, m, ctx, err);
  x->rs1 = r0 = x->nt;
  if (!st) st = load_list(x, env, "reward", &gv_mjcf_reward_terms, m, ctx, err);
  if (!st) st = pick_reward(x, r0, env, ctx, err);
  gv_env_type *ty = &t->variant;
  if (!st && x->ob1 == 0) {
    gv_cfg_where(where, sizeof where, ctx,
                 gv_map_key_line(env, "observation") ? gv_map_key_line(env, "observation")
                                                     : env->line, "observation");
    char allowed[400];
    gv_registry_names(&gv_mjcf_observation_terms, allowed, sizeof allowed);
    st = gv_fail(err, GV_ECONFIG, "%s: required: a list of at least one term (allowed terms: "
                 "%s)", where, allowed);
  }
  if (!st && action_bounds(m, &ty->act_low, &ty->act_high, msg, sizeof msg)) {
    gv_cfg_where(where, sizeof where, ctx, gv_map_key_line(env, "xml"), "xml");
    st = gv_fail(err, GV_ECONFIG, "%s: %s: %s", where, path, msg);
  }
  if (st) {
    gv_env_task_free(t);
    return st;
  }
  ty->name = t->name;
  ty->summary = gv_mjcf_component.summary;
  ty->model_file = t->path;
  for (int i = 0; i < x->ob1; ++i) ty->obs_dim += x->t[i].n;
  ty->act_dim = m->nu;
  ty->max_steps = (int)p.max_steps;
  ty->frame_skip = (int)p.frame_skip;
  ty->timestep = m->opt.timestep;
  ty->nq = m->nq, ty->nv = m->nv, ty->nu = m->nu, ty->nbody = m->nbody;
  for (int i = 0; i < x->nt; ++i) {
    const term *u = &x->t[i];
    ty->needs_cfrc |= u->id == OB_CFRC || u->id == RW_CONTACT;
    ty->needs_kinematics |= u->id == OB_BODY_POS || u->id == OB_SITE_POS ||
                            u->id == OB_VECTOR || u->id == RW_DISTANCE ||
                            ((u->id == RW_FORWARD || u->id == HL_RANGE) && u->c.qadr < 0);
  }
  ty->reset = mj_reset;
  ty->observe = mj_observe;
  ty->healthy = mj_healthy;
  ty->reward = mj_reward;
  ty->position = mj_position;
  gv_env_options_defaults(&t->opts);
  t->dt = ty->frame_skip * m->opt.timestep;
  /* the resolved config: the file as read, so a stored config rebuilds this task */
  gv_map_set(env, "xml", gv_node_new_scalar(path));
  gv_map_set(env, "xml_hash", gv_node_new_scalar(hash));
  if (!p.name[0]) gv_map_set(env, "name", gv_node_new_scalar(t->name));
  *out = t;
  return GV_OK;
}

/* ------------------------------------------------- experiments' side */

gv_status gv_env_config(const gv_env_type **type, gv_env_task **task, gv_node *game, int index,
                        const char *file, const char *path, gv_err *err) {
  *task = NULL;
  gv_node *v = gv_map_get(game, "env");
  if (!v || v->kind != GV_NODE_MAP) {
    *type = gv_env_types[index];
    return GV_OK;
  }
  char epath[256];
  snprintf(epath, sizeof epath, "%s%senv", path, *path ? "." : "");
  const gv_cfg_ctx ctx = {file, epath};
  gv_status st = gv_mjcf_task_alloc(task, v, file, &ctx, err);
  *type = st ? NULL : (*task)->type;
  return st;
}

gv_status gv_env_task_rebuild(gv_env_task **task, const char *name, const char *config,
                              int cfrc, const char *where, gv_err *err) {
  *task = NULL;
  if (!config || !*config) {
    const gv_env_options eo = {cfrc};
    return gv_env_task_alloc_opts(task, name, &eo, NULL, err);
  }
  gv_node *root = NULL;
  gv_status st = gv_cfg_parse_string(config, where, &root, err);
  if (!st && (!root || root->kind != GV_NODE_MAP))
    st = gv_fail(err, GV_EINVAL, "%s: the env config is not a mapping", where);
  if (!st) {
    const gv_cfg_ctx ctx = {where, "env"};
    st = gv_mjcf_task_alloc(task, root, NULL, &ctx, err);
  }
  gv_node_free(root);
  return st;
}
