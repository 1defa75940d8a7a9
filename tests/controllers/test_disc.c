/* The shared controlled discriminator step (controllers/disc.h): weighted
 * rows by hand and by finite differences, the order of its parts, its
 * history, its divergence stop, and what a game with fewer capabilities
 * refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_test_util.h"
#include "controllers/disc.h"
#include "gan/onestep_sampled.h"
#include "nn/init.h"

static double softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
static double sig(double t) { return 1.0 / (1.0 + exp(-t)); }

/* The game loss of the tests: (1/nr) sum w_i softplus(-l_i) + (1/nf) sum softplus(l_j). */
static double wbce(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                   const float *lf, float *df, size_t nf) {
  (void)ctx;
  double v = 0.0;
  for (size_t i = 0; i < nr; ++i) {
    const double w = wr ? wr[i] : 1.0;
    v += w * softplus(-(double)lr[i]) / (double)nr;
    if (dr) dr[i] += (float)(w * (sig(lr[i]) - 1.0) / (double)nr);
  }
  for (size_t j = 0; j < nf; ++j) {
    v += softplus((double)lf[j]) / (double)nf;
    if (df) df[j] += (float)(sig(lf[j]) / (double)nf);
  }
  return v;
}

/* D: dim -> hidden (tanh) -> 1, or linear (hidden 0), Xavier-initialised. */
static gv_nn *make_net(int dim, int hidden, uint64_t seed) {
  gv_err err;
  gv_nn_spec spec;
  gv_nn *D = NULL;
  int h[1] = {hidden};
  assert_int_equal(gv_nn_spec_mlp(&spec, dim, hidden ? 1 : 0, h, GV_NN_ACT_TANH, 1,
                                  GV_NN_ACT_LINEAR, &err), GV_OK);
  assert_int_equal(gv_nn_alloc(&D, &spec, &err), GV_OK);
  gsl_rng *r = gv_rng_alloc(seed, "test.init", 0);
  assert_int_equal(gv_nn_init_params(D, GV_NN_INIT_XAVIER_UNIFORM, 1.0, 1.0, r, &err), GV_OK);
  gsl_rng_free(r);
  return D;
}

static gv_nn_optim *make_sgd(size_t n, double lr) {
  gv_err err;
  gv_nn_optim_spec os;
  gv_nn_optim *opt = NULL;
  gv_nn_optim_default(&os, GV_NN_SGD);
  os.lr = lr;
  assert_int_equal(gv_nn_optim_alloc(&opt, &os, n, &err), GV_OK);
  return opt;
}

/* A step's fixture: D, its workspace and SGD, and the gv_disc over them. */
typedef struct rig {
  gv_nn *D;
  gv_nn_ws *ws;
  gv_nn_optim *opt;
  gv_disc d;
} rig;

static void rig_init(rig *r, gv_nn *D, double lr, gv_ctl_stack *s, size_t nr, size_t nf,
                     int stop) {
  gv_err err;
  r->D = D;
  assert_int_equal(gv_nn_ws_alloc(&r->ws, &D->spec, (int)gv_disc_rows(s, nr, nf), &err), GV_OK);
  r->opt = make_sgd(D->nparam, lr);
  const gv_disc_spec sp = {(size_t)D->spec.size[0], nr, nf, "test", stop};
  if (gv_disc_init(&r->d, &sp, D, r->ws, r->opt, s, 7, &err)) fail_msg("%s", err.msg);
}

static void rig_free(rig *r) {
  gv_disc_deinit(&r->d);
  gv_nn_optim_free(r->opt);
  gv_nn_ws_free(r->ws);
  gv_nn_free(r->D);
}

/* Rows of the weighted tests: 3 real (weights 1, 1/4, 0), 2 fake, in 2-D. */
static const float XR[] = {1.0f, 2.0f, -1.0f, 0.5f, 0.3f, -0.7f};
static const float WR[] = {1.0f, 0.25f, 0.0f};
static const float XF[] = {0.2f, 0.2f, 2.0f, -1.0f};

/* The game loss that records the logits it is given (real, then fake). */
static double record(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                     const float *lf, float *df, size_t nf) {
  (void)wr, (void)dr, (void)df;
  float *seen = ctx;
  memcpy(seen, lr, nr * sizeof *lr);
  memcpy(seen + nr, lf, nf * sizeof *lf);
  return 0.0;
}

/* Instance noise reaches every row D sees, real and fake, as sigma times
 * the noise stream's normals in row-major order: with D(x) = x_0 the logit
 * of row i is x_i0 + 0.5 z_2i. */
static void test_instance_noise(void **state) {
  (void)state;
  rig r;
  gv_nn *D = make_net(2, 0, 1);
  float *W = gv_nn_W(D, 0), *b = gv_nn_b(D, 0);
  W[0] = 1.0f, W[1] = 0.0f, b[0] = 0.0f;
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: instance_noise, sigma: 0.5}]", 1, &err), GV_OK);
  rig_init(&r, D, 0.0, &s, 3, 2, 0);
  float seen[5];
  const gv_disc_loss loss = {record, seen};
  gv_disc_sums sums = {0.0, 0.0};
  assert_int_equal(gv_disc_step(&r.d, XR, NULL, 3, XF, 2, &loss, &sums), GV_OK);
  gsl_rng *z = gv_rng_alloc(7, "test.noise", 0);
  for (int i = 0; i < 5; ++i) {
    const float *x = i < 3 ? XR + 2 * i : XF + 2 * (i - 3);
    const double z0 = gv_rng_normal(z);
    (void)gv_rng_normal(z); /* column 1's, which W ignores */
    assert_near(seen[i], x[0] + 0.5 * z0, 1e-6);
    assert_true(fabs(seen[i] - x[0]) > 1e-3); /* the noise is there */
  }
  gsl_rng_free(z);
  rig_free(&r);
  gv_ctl_stack_free(&s);
}

/* A linear D, no controller: the SGD step of the weighted loss by hand. */
static void test_weighted_by_hand(void **state) {
  (void)state;
  rig r;
  gv_nn *D = make_net(2, 0, 1);
  float *W = gv_nn_W(D, 0), *b = gv_nn_b(D, 0);
  W[0] = 0.5f, W[1] = -0.3f, b[0] = 0.1f;
  rig_init(&r, D, 0.5, NULL, 3, 2, 0);
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss loss = {wbce, NULL};
  assert_int_equal(gv_disc_step(&r.d, XR, WR, 3, XF, 2, &loss, &sums), GV_OK);
  double gw[2] = {0, 0}, gb = 0, v = 0;
  for (int i = 0; i < 5; ++i) {
    const float *x = i < 3 ? XR + 2 * i : XF + 2 * (i - 3);
    const double l = 0.5 * x[0] - 0.3 * x[1] + 0.1;
    const double dl = i < 3 ? WR[i] * (sig(l) - 1.0) / 3.0 : sig(l) / 2.0;
    v += i < 3 ? WR[i] * softplus(-l) / 3.0 : softplus(l) / 2.0;
    gw[0] += dl * x[0], gw[1] += dl * x[1], gb += dl;
  }
  assert_near(sums.loss, v, 1e-6);
  assert_near(sums.ctl, 0.0, 0.0);
  assert_near(W[0], 0.5 - 0.5 * gw[0], 1e-6);
  assert_near(W[1], -0.3 - 0.5 * gw[1], 1e-6);
  assert_near(b[0], 0.1 - 0.5 * gb, 1e-6);
  /* the row of weight 0 moved nothing: the same step without it */
  rig q;
  gv_nn *D2 = make_net(2, 0, 1);
  float *W2 = gv_nn_W(D2, 0), *b2 = gv_nn_b(D2, 0);
  W2[0] = 0.5f, W2[1] = -0.3f, b2[0] = 0.1f;
  rig_init(&q, D2, 0.5, NULL, 3, 2, 0);
  const float xr2[] = {1.0f, 2.0f, -1.0f, 0.5f, 9.0f, 9.0f}; /* another third row */
  gv_disc_sums s2 = {0.0, 0.0};
  assert_int_equal(gv_disc_step(&q.d, xr2, WR, 3, XF, 2, &loss, &s2), GV_OK);
  assert_memory_equal(D->param, D2->param, D->nparam * sizeof(float));
  rig_free(&q);
  rig_free(&r);
}

/* J(p) of the weighted loss, CLC on the current batch and R1 on the real
 * rows, evaluated at D's parameters (a fresh workspace). */
static double objective(gv_nn *D, gv_ctl_stack *s) {
  gv_err err;
  gv_nn_ws *ws = NULL;
  assert_int_equal(gv_nn_ws_alloc(&ws, &D->spec, 5, &err), GV_OK);
  float x[10], dr[3] = {0}, df[2] = {0}, dh[1];
  memcpy(x, XR, sizeof XR);
  memcpy(x + 6, XF, sizeof XF);
  assert_int_equal(gv_nn_forward(ws, D, x, 5), GV_OK);
  const float *l = ws->out;
  double j = wbce(NULL, l, WR, dr, 3, l + 3, df, 2);
  gv_ctl_outputs o = {GV_CTL_SIDE_DISC, 3, 2, 0, l, l + 3, NULL, dr, df, dh};
  j += gv_ctl_stack_loss_outputs(s, &o);
  gv_ctl_penalty pen;
  assert_int_equal(gv_ctl_stack_penalties(s, &pen, 1), 1);
  double v = 0.0;
  assert_int_equal(gv_disc_penalty(NULL, &v, D, ws, &pen, XR, XF, 3, 2, NULL, NULL), GV_OK);
  gv_nn_ws_free(ws);
  return j + v;
}

/* A tanh D under CLC and R1: the step's gradient is dJ/dp by central
 * differences, and its sums are J's parts. */
static void test_weighted_finite_differences(void **state) {
  (void)state;
  gv_err err;
  gv_ctl_stack s;
  if (tu_stack(&s, "[{kind: clc, lambda: 0.7}, {kind: r1, gamma: 0.4}]", 3, &err))
    fail_msg("%s", err.msg);
  rig r;
  rig_init(&r, make_net(2, 5, 2), 0.0, &s, 3, 2, 0); /* lr 0: D stays at p */
  gv_nn *ref = NULL;
  assert_int_equal(gv_nn_alloc(&ref, &r.D->spec, &err), GV_OK);
  gv_nn_copy(ref, r.D);
  const double j0 = objective(ref, &s);
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss loss = {wbce, NULL};
  assert_int_equal(gv_disc_step(&r.d, XR, WR, 3, XF, 2, &loss, &sums), GV_OK);
  assert_near(sums.loss + sums.ctl, j0, 1e-6 * (1 + fabs(j0)));
  double gmax = 0.0, dmax = 0.0;
  for (size_t k = 0; k < ref->nparam; ++k) {
    const float p = ref->param[k], h = 1e-2f;
    ref->param[k] = p + h;
    const double up = objective(ref, &s);
    ref->param[k] = p - h;
    const double dn = objective(ref, &s);
    ref->param[k] = p;
    const double fd = (up - dn) / (2.0 * h);
    dmax = fmax(dmax, fabs(fd - r.D->grad[k]));
    gmax = fmax(gmax, fabs(fd));
  }
  if (!(dmax <= 2e-3 * gmax)) fail_msg("gradient off finite differences by %g (max %g)", dmax, gmax);
  assert_true(gmax > 0.0);
  gv_nn_free(ref);
  rig_free(&r);
  gv_ctl_stack_free(&s);
}

/* ------------------------------------------------- order of the parts */

/* A probe controller: a loss_outputs term, a WGAN-GP penalty on
 * interpolates and a parameter hook, each noting when it ran and what it
 * saw. */
static struct {
  char ev[8];
  int n;
  float real0, dreal0;      /* what the term saw on the first real row */
  float pre0, p0, grad0;    /* what the parameter hook saw of parameter 0 */
  gv_nn *D;
} probe;

static double probe_loss(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                         const float *lf, float *df, size_t nf) {
  probe.ev[probe.n++] = 'L';
  return wbce(ctx, lr, wr, dr, nr, lf, df, nf);
}

static double probe_outputs(const void *par, void *st, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)par, (void)st, (void)rng;
  probe.ev[probe.n++] = 'C';
  probe.real0 = o->real[0];
  probe.dreal0 = o->dreal[0];
  o->dreal[0] += 0.5f; /* a term 0.5 l_0 */
  return 0.5 * o->real[0];
}

static gv_status probe_penalty(const void *par, gv_ctl_penalty *pen, gv_err *err) {
  (void)par, (void)err;
  *pen = (gv_ctl_penalty){GV_CTL_PEN_INTERP, 1, 2.0};
  return GV_OK;
}

static void probe_param(const void *par, void *st, gsl_rng *rng, const float *pre, float *p,
                        size_t n) {
  (void)par, (void)st, (void)rng, (void)n;
  probe.ev[probe.n++] = 'P';
  probe.pre0 = pre[0], probe.p0 = p[0], probe.grad0 = probe.D->grad[0];
}

static const gv_ctl_type probe_type = {
    .info = {"probe", "test probe", NULL, NULL, 0},
    .loss_outputs = probe_outputs,
    .input_penalty = probe_penalty,
    .param_update = probe_param,
};

static void test_order(void **state) {
  (void)state;
  gv_err err;
  char par = 0, st = 0;
  gv_ctl item = {&probe_type, &par, &st, gv_rng_alloc(1, "probe", 0), ""};
  gv_ctl_stack s = {.items = &item, .n = 1};
  const gv_disc_game all = {"toy", GV_DISC_ALL};
  assert_int_equal(gv_disc_check(&s, &all, &err), GV_OK);
  rig r;
  rig_init(&r, make_net(2, 4, 3), 0.25, &s, 3, 2, 0);
  memset(&probe, 0, sizeof probe);
  probe.D = r.D;
  gv_nn *ref = NULL;
  assert_int_equal(gv_nn_alloc(&ref, &r.D->spec, &err), GV_OK);
  gv_nn_copy(ref, r.D);
  gsl_rng *ri = gsl_rng_clone(r.d.rinterp);
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss loss = {probe_loss, NULL};
  assert_int_equal(gv_disc_step(&r.d, XR, WR, 3, XF, 2, &loss, &sums), GV_OK);
  /* the game's loss, then the term, then (after the optimiser) the hook */
  assert_int_equal(probe.n, 3);
  assert_memory_equal(probe.ev, "LCP", 3);
  /* the reference: the same parts in the documented order */
  gv_nn_ws *ws = NULL;
  assert_int_equal(gv_nn_ws_alloc(&ws, &ref->spec, 5, &err), GV_OK);
  float x[10], dy[5] = {0};
  memcpy(x, XR, sizeof XR);
  memcpy(x + 6, XF, sizeof XF);
  assert_int_equal(gv_nn_forward(ws, ref, x, 5), GV_OK);
  const float l0 = ws->out[0];
  const double v = wbce(NULL, ws->out, WR, dy, 3, ws->out + 3, dy + 3, 2);
  /* the term saw the step's own logits (no penalty pass had run yet) and
   * the game loss's gradient already in place */
  assert_near(probe.real0, l0, 1e-6);
  assert_near(probe.dreal0, dy[0], 1e-7);
  dy[0] += 0.5f;
  gv_nn_zero_grad(ref);
  assert_int_equal(gv_nn_backward(ref->grad, NULL, ref, ws, dy), GV_OK);
  const float g_terms = ref->grad[0];
  gv_ctl_penalty pen;
  probe_penalty(NULL, &pen, NULL);
  float scratch[3 * 2];
  double pv = 0.0;
  assert_int_equal(gv_disc_penalty(ref->grad, &pv, ref, ws, &pen, XR, XF, 2, 2, scratch, ri),
                   GV_OK);
  /* the penalty entered the gradient after the terms, before the optimiser */
  assert_true(fabsf(ref->grad[0] - g_terms) > 1e-6f);
  assert_near(probe.grad0, ref->grad[0], 1e-6);
  assert_near(probe.pre0, ref->param[0], 0.0);
  assert_near(probe.p0, ref->param[0] - 0.25f * ref->grad[0], 1e-7);
  assert_near(sums.loss, v, 1e-12);
  assert_near(sums.ctl, 0.5 * l0 + pv, 1e-6);
  gsl_rng_free(ri);
  gv_nn_ws_free(ws);
  gv_nn_free(ref);
  rig_free(&r);
  gsl_rng_free(item.rng);
}

/* ------------------------------------------------------------ history */

static struct {
  size_t nhist[2];
  float hist[2][4];
} seen;
static int seen_step;

static double hist_outputs(const void *par, void *st, gsl_rng *rng, gv_ctl_outputs *o) {
  (void)par, (void)st, (void)rng;
  seen.nhist[seen_step] = o->nhist;
  for (size_t i = 0; i < o->nhist && i < 4; ++i) seen.hist[seen_step][i] = o->hist[i];
  return 0.0;
}

static size_t hist_size(const void *par, size_t *batch) {
  (void)par;
  *batch = 2;
  return 4;
}

static const gv_ctl_type hist_type = {
    .info = {"hist", "test history", NULL, NULL, 0},
    .loss_outputs = hist_outputs,
    .loss_history = hist_size,
};

/* D(x) = x_0 (a linear D that does not move at lr 0): the first step sees
 * no history, the second draws 2 rows from each ring holding only the
 * first batch (its own batch enters after the draw), real then fake. */
static void test_history(void **state) {
  (void)state;
  char par = 0, st = 0;
  gv_ctl item = {&hist_type, &par, &st, NULL, ""};
  gv_ctl_stack s = {.items = &item, .n = 1};
  rig r;
  gv_nn *D = make_net(2, 0, 4);
  gv_nn_W(D, 0)[0] = 1.0f, gv_nn_W(D, 0)[1] = 0.0f, gv_nn_b(D, 0)[0] = 0.0f;
  rig_init(&r, D, 0.0, &s, 2, 2, 0);
  assert_int_equal(gv_disc_rows(&s, 2, 2), 8);
  const float r1[] = {10, 0, 11, 0}, f1[] = {20, 0, 21, 0};
  const float r2[] = {30, 0, 31, 0}, f2[] = {40, 0, 41, 0};
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss loss = {wbce, NULL};
  seen_step = 0;
  assert_int_equal(gv_disc_step(&r.d, r1, NULL, 2, f1, 2, &loss, &sums), GV_OK);
  assert_int_equal(r.d.hfill, 2);
  seen_step = 1;
  assert_int_equal(gv_disc_step(&r.d, r2, NULL, 2, f2, 2, &loss, &sums), GV_OK);
  assert_int_equal(seen.nhist[0], 0);
  assert_int_equal(seen.nhist[1], 4);
  for (int i = 0; i < 2; ++i) {
    assert_true(seen.hist[1][i] == 10.0f || seen.hist[1][i] == 11.0f);
    assert_true(seen.hist[1][2 + i] == 20.0f || seen.hist[1][2 + i] == 21.0f);
  }
  assert_int_equal(r.d.hfill, 4);
  assert_near(r.d.hreal[2 * 2], 30.0, 0.0);
  assert_near(r.d.hfake[2 * 3], 41.0, 0.0);
  rig_free(&r);
}

/* ---------------------------------------------------------- divergence */

static double nan_loss(void *ctx, const float *lr, const float *wr, float *dr, size_t nr,
                       const float *lf, float *df, size_t nf) {
  (void)ctx, (void)lr, (void)wr, (void)dr, (void)nr, (void)lf, (void)df, (void)nf;
  return NAN;
}

/* stop_nonfinite: no optimiser step on a non-finite loss; without it the
 * step is taken and the game judges afterwards. */
static void test_nonfinite(void **state) {
  (void)state;
  const gv_disc_loss loss = {nan_loss, NULL};
  for (int stop = 0; stop < 2; ++stop) {
    rig r;
    rig_init(&r, make_net(2, 3, 5), 0.1, NULL, 3, 2, stop);
    gv_disc_sums sums = {0.0, 0.0};
    assert_int_equal(gv_disc_step(&r.d, XR, WR, 3, XF, 2, &loss, &sums),
                     stop ? GV_EDIVERGED : GV_OK);
    assert_int_equal(r.opt->t, stop ? 0 : 1);
    assert_true(isnan(sums.loss));
    rig_free(&r);
  }
  /* more rows than the spec: refused before anything is drawn */
  rig r;
  rig_init(&r, make_net(2, 3, 5), 0.1, NULL, 2, 2, 1);
  gv_disc_sums sums = {0.0, 0.0};
  const gv_disc_loss ok = {wbce, NULL};
  assert_int_equal(gv_disc_step(&r.d, XR, WR, 3, XF, 2, &ok, &sums), GV_EINVAL);
  assert_int_equal(r.opt->t, 0);
  rig_free(&r);
}

/* --------------------------------------------------------------- check */

/* The check of `list` on a game "toy" serving caps: accepted (needle NULL)
 * or refused (exit 2) with a located message holding needle. */
static void check_stack(const char *list, unsigned caps, const char *needle) {
  gv_err err;
  gv_ctl_stack s;
  if (tu_stack(&s, list, 1, &err)) fail_msg("%s", err.msg);
  const gv_disc_game g = {"toy", caps};
  const gv_status st = gv_disc_check(&s, &g, &err);
  gv_ctl_stack_free(&s);
  if (!needle && st != GV_OK) fail_msg("%s on %#x: %s", list, caps, err.msg);
  if (needle && (st != GV_ENOHOOK || !strstr(err.msg, needle) ||
                 !strstr(err.msg, "test.yaml:1: controllers.0.kind: controller '") ||
                 !strstr(err.msg, "has no hook for game 'toy'")))
    fail_msg("%s on %#x: status %d: %s", list, caps, (int)st, err.msg);
  if (needle) assert_int_equal(gv_exit_code(st), 2);
}

static void test_check(void **state) {
  (void)state;
  const unsigned all = GV_DISC_ALL;
  check_stack("[{kind: clc}]", all & ~GV_DISC_HISTORY, "buffered past samples");
  check_stack("[{kind: bmc_buffered}]", all & ~GV_DISC_HISTORY, "buffered past samples");
  check_stack("[{kind: r1}]", all & ~GV_DISC_INPUT_GRAD, "gradient in its input");
  check_stack("[{kind: wgan_gp}]", all & ~GV_DISC_INPUT_GRAD, "gradient in its input");
  check_stack("[{kind: instance_noise, sigma: 0.1}]", all & ~GV_DISC_INPUT_NOISE,
                 "noise to D's inputs");
  check_stack("[{kind: clip}]", all & ~GV_DISC_PARAM, "D's parameters after each step");
  check_stack("[{kind: bmc, side: gen}]", all & ~GV_DISC_GEN, "side: disc");
  /* what a controller needs follows its parameters */
  check_stack("[{kind: bmc, side: disc}]", all & ~GV_DISC_GEN, NULL);
  check_stack("[{kind: instance_noise, sigma: 0}]", all & ~GV_DISC_INPUT_NOISE, NULL);
  check_stack("[{kind: cgail}, {kind: none}]", 0, NULL);
  check_stack("[{kind: clc}, {kind: bmc, side: gen}, {kind: r1}, {kind: clip}]", all, NULL);
  /* the neural check still comes first: no neural hook at all */
  check_stack("[{kind: consensus}]", all, "closed-form vector fields only");
}

/* The sampled one-step game keeps CLC's history, and its check takes
 * controllers acting on both the flow and D. */
static void test_onestep_sampled_history(void **state) {
  (void)state;
  gv_err err;
  gv_node *root = NULL;
  assert_int_equal(gv_cfg_parse_string("game: {kind: onestep_sampled, disc: logit, policy: "
                                        "softmax}\n", "os.yaml", &root, &err), GV_OK);
  gv_cfg_ctx ctx = {"os.yaml", "game"};
  gv_onestep_params gp;
  assert_int_equal(gv_onestep_load(gv_map_get(root, "game"), &ctx, &gp, &err), GV_OK);
  gv_node_free(root);
  gv_onestep g;
  assert_int_equal(gv_onestep_init(&g, &gp, &err), GV_OK);
  gv_os_sampled_params sp;
  gv_params_defaults(gv_os_sampled_param_table, &sp);
  sp.batch = 16;
  gv_ctl_stack s;
  assert_int_equal(tu_stack(&s, "[{kind: r1}]", 1, &err), GV_OK);
  assert_int_equal(gv_os_sampled_check(&s, &g, &err), GV_ENOHOOK);
  gv_ctl_stack_free(&s);
  assert_int_equal(tu_stack(&s, "[{kind: clc, buffer: 40, sample: 5}, {kind: cgail}]", 1, &err),
                   GV_OK);
  assert_int_equal(gv_os_sampled_check(&s, &g, &err), GV_OK);
  gv_os_sampled o;
  if (gv_os_sampled_init(&o, &g, &sp, &s, 1, &err)) fail_msg("%s", err.msg);
  assert_int_equal(o.disc.hcap, 40);
  assert_int_equal(o.disc.hbatch, 5);
  double m[GV_OSS_COUNT];
  for (int k = 0; k < 3; ++k) {
    assert_int_equal(gv_os_sampled_observe(&o, m, &err), GV_OK);
    assert_int_equal(gv_os_sampled_step(&o, &err), GV_OK);
    assert_int_equal(o.disc.hfill, (size_t)(16 * (k + 1) < 40 ? 16 * (k + 1) : 40));
  }
  /* the rings hold one-hot actions */
  for (size_t i = 0; i < 40; ++i) {
    float sum = 0.0f;
    for (size_t a = 0; a < g.na; ++a) sum += o.disc.hreal[i * g.na + a];
    assert_near(sum, 1.0, 0.0);
  }
  gv_os_sampled_deinit(&o);
  gv_ctl_stack_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_weighted_by_hand),
      cmocka_unit_test(test_instance_noise),
      cmocka_unit_test(test_weighted_finite_differences),
      cmocka_unit_test(test_order),
      cmocka_unit_test(test_history),
      cmocka_unit_test(test_nonfinite),
      cmocka_unit_test(test_check),
      cmocka_unit_test(test_onestep_sampled_history),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
