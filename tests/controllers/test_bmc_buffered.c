/* bmc_buffered, the authors' public neural-GAN form of BMC
 * (controllers/bmc_buffered.c): the term's value against its formula, its
 * gradient in every logit against central finite differences, the sign of
 * its effect (it is not zero-mean, unlike `bmc`), the buffered samples it
 * sees in the MLP GAN (contents after k steps, seeded determinism), and the
 * config errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/mlpgan.h"
#include "tests/controllers/ctl_test_util.h"

#define assert_contains(hay, needle)                                              \
  do {                                                                            \
    if (!strstr((hay), (needle))) fail_msg("'%s' not in '%s'", (needle), (hay));  \
  } while (0)

enum { NR = 5, NF = 4, NH = 6 };

static gv_ctl *load(gv_ctl_stack *s, const char *list) {
  gv_err err;
  if (tu_stack(s, list, 3, &err) != GV_OK) fail_msg("%s: %s", list, err.msg);
  return &s->items[0];
}

/* The hook on [real NR | fake NF | history nh] (nh 0 or NH), with the
 * stream reseeded so that every call draws the same b1, b2. */
static double call(gv_ctl *c, int side, size_t nh, const float *l, float *d) {
  gv_rng_reseed(c->rng, 7, "fd", 0);
  gv_ctl_outputs o = {side, NR, NF, nh, l, l + NR, nh ? l + NR + NF : NULL,
                      d, d + NR, nh ? d + NR + NF : NULL};
  return c->type->loss_outputs(c->par, c->state, c->rng, &o);
}

/* The two draws of one call: |N(0, 1)| from the reseeded stream. */
static void draws(double *b1, double *b2) {
  gsl_rng *r = gv_rng_alloc(7, "fd", 0);
  *b1 = fabs(gv_rng_normal(r));
  *b2 = fabs(gv_rng_normal(r));
  gsl_rng_free(r);
}

static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* The documented value, written out independently: per set, the mean of
 * (rho1/2) b1 a^2 + b2 ((rho2/4) a^4 + (rho2/2) a^2). */
static double formula(double gain, double rho1, double rho2, int logit, const float *l,
                      size_t nr, size_t nf) {
  double b1, b2;
  draws(&b1, &b2);
  double t = 0.0;
  for (int set = 0; set < 2; ++set) {
    size_t n = set ? nf : nr;
    const float *x = set ? l + nr : l;
    double m = 0.0;
    for (size_t i = 0; i < n; ++i) {
      double a = logit ? x[i] : softplus(set ? x[i] : -x[i]);
      m += 0.5 * rho1 * b1 * a * a + b2 * (0.25 * rho2 * pow(a, 4) + 0.5 * rho2 * a * a);
    }
    t += m / (double)n;
  }
  return gain * t;
}

static void fill(float *l, size_t n) {
  for (size_t i = 0; i < n; ++i) l[i] = (float)(1.6 * sin(1.7 * (double)i + 0.3) + 0.2);
}

static void test_value_matches_formula(void **state) {
  (void)state;
  const struct {
    const char *list;
    double gain, rho1, rho2;
    int logit;
  } cases[] = {{"[{kind: bmc_buffered}]", 0.1, 1e-4, 1e-6, 0},
               {"[{kind: bmc_buffered, gain: 2, rho1: 0.3, rho2: 0.2}]", 2, 0.3, 0.2, 0},
               {"[{kind: bmc_buffered, gain: 2, rho1: 0.3, rho2: 0.2, output: logit}]", 2, 0.3,
                0.2, 1}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    gv_ctl_stack s;
    gv_ctl *c = load(&s, cases[k].list);
    float l[NR + NF + NH], d[NR + NF + NH] = {0};
    fill(l, NR + NF + NH);
    /* no history: the current real and generated batches */
    double want = formula(cases[k].gain, cases[k].rho1, cases[k].rho2, cases[k].logit, l, NR, NF);
    assert_near(call(c, GV_CTL_SIDE_DISC, 0, l, d), want, 1e-12 * fmax(1.0, want));
    /* with history: only the history, its first half real, the rest generated */
    memset(d, 0, sizeof d);
    want = formula(cases[k].gain, cases[k].rho1, cases[k].rho2, cases[k].logit, l + NR + NF,
                   NH / 2, NH - NH / 2);
    assert_near(call(c, GV_CTL_SIDE_DISC, NH, l, d), want, 1e-12 * fmax(1.0, want));
    for (int i = 0; i < NR + NF; ++i) assert_near(d[i], 0.0, 0); /* current batch untouched */
    /* the generator's loss carries nothing */
    memset(d, 0, sizeof d);
    assert_near(call(c, GV_CTL_SIDE_GEN, NH, l, d), 0.0, 0);
    for (int i = 0; i < NR + NF + NH; ++i) assert_near(d[i], 0.0, 0);
    gv_ctl_stack_free(&s);
  }
}

static void check_fd(const char *list, size_t nh) {
  gv_ctl_stack s;
  gv_ctl *c = load(&s, list);
  const int n = NR + NF + NH;
  float l[NR + NF + NH], d[NR + NF + NH] = {0}, dd[NR + NF + NH];
  fill(l, n);
  call(c, GV_CTL_SIDE_DISC, nh, l, d);
  memcpy(dd, d, sizeof d);
  call(c, GV_CTL_SIDE_DISC, nh, l, dd); /* accumulates (+=) */
  const float h = 1.0f / 512;
  double nz = 0.0;
  for (int i = 0; i < n; ++i) {
    assert_near(dd[i], 2.0 * d[i], 1e-6 * fmax(1.0, fabs(d[i])));
    float keep = l[i], scratch[NR + NF + NH] = {0};
    l[i] = keep + h;
    double vp = call(c, GV_CTL_SIDE_DISC, nh, l, scratch);
    l[i] = keep - h;
    double vm = call(c, GV_CTL_SIDE_DISC, nh, l, scratch);
    l[i] = keep;
    double fd = (vp - vm) / (2.0 * h);
    if (fabs(fd - d[i]) > 2e-4 * fmax(1e-3, fabs(fd)))
      fail_msg("%s nh %zu: dT/dl[%d] = %.7g, finite differences %.7g", list, nh, i, d[i], fd);
    nz += fabs(d[i]);
  }
  assert_true(nz > 0.0);
  gv_ctl_stack_free(&s);
}

static void test_gradient_finite_differences(void **state) {
  (void)state;
  const char *lists[] = {"[{kind: bmc_buffered, gain: 1, rho1: 0.3, rho2: 0.2}]",
                         "[{kind: bmc_buffered, gain: 1, rho1: 0.3, rho2: 0.2, output: logit}]",
                         "[{kind: bmc_buffered, gain: 3, rho1: 0, rho2: 0.5}]"};
  for (size_t k = 0; k < 3; ++k) {
    check_fd(lists[k], 0);
    check_fd(lists[k], NH);
  }
}

/* The sign the authors' code has: T >= 0 on every draw, and with the
 * cross-entropy as output its gradient raises every real logit and lowers
 * every generated one on every step (descent on -dT/dl), so the mean effect
 * over steps is that same push.  `bmc`'s term changes sign with its draws:
 * over many steps its gradient averages to about zero. */
static void test_sign_of_mean_effect(void **state) {
  (void)state;
  enum { STEPS = 4000 };
  gv_ctl_stack sb, sp;
  gv_ctl *cb = load(&sb, "[{kind: bmc_buffered, gain: 1, rho1: 0.1, rho2: 0.01}]");
  gv_ctl *cp = load(&sp, "[{kind: bmc, rho1: 0.1, rho2: 0.01}]");
  float l[NR + NF];
  fill(l, NR + NF);
  double mb[NR + NF] = {0}, mp[NR + NF] = {0}, qb[NR + NF] = {0}, qp[NR + NF] = {0};
  for (int t = 0; t < STEPS; ++t) {
    float db[NR + NF] = {0}, dp[NR + NF] = {0};
    gv_ctl_outputs ob = {GV_CTL_SIDE_DISC, NR, NF, 0, l, l + NR, NULL, db, db + NR, NULL};
    gv_ctl_outputs op = {GV_CTL_SIDE_DISC, NR, NF, 0, l, l + NR, NULL, dp, dp + NR, NULL};
    assert_true(cb->type->loss_outputs(cb->par, cb->state, cb->rng, &ob) >= 0.0);
    cp->type->loss_outputs(cp->par, cp->state, cp->rng, &op);
    for (int i = 0; i < NR + NF; ++i) {
      if (i < NR) assert_true(db[i] <= 0.0f); /* real: descent raises the logit */
      else assert_true(db[i] >= 0.0f);        /* generated: descent lowers it */
      mb[i] += db[i] / STEPS;
      mp[i] += dp[i] / STEPS;
      qb[i] += (double)db[i] * db[i] / STEPS;
      qp[i] += (double)dp[i] * dp[i] / STEPS;
    }
  }
  for (int i = 0; i < NR + NF; ++i) {
    /* each against its own standard error over the steps: bmc's mean is
     * within 5 of them from 0, bmc_buffered's about 80 away (sqrt(4000) E|b| / sd|b|) */
    double sp_ = sqrt((qp[i] - mp[i] * mp[i]) / STEPS), sb_ = sqrt((qb[i] - mb[i] * mb[i]) / STEPS);
    assert_true(fabs(mp[i]) < 5.0 * sp_);
    assert_true(fabs(mb[i]) > 40.0 * sb_);
    if (i < NR) assert_true(mb[i] < 0.0);
    else assert_true(mb[i] > 0.0);
  }
  gv_ctl_stack_free(&sb);
  gv_ctl_stack_free(&sp);
}

/* ------------------------------------------------------- the buffer */

/* A small MLP GAN with the controller: the history the game keeps for it. */
static void make_gan(gv_mlpgan *g, gv_ctl_stack *s, const char *list, uint64_t seed) {
  gv_err err;
  if (tu_stack(s, list, seed, &err) != GV_OK) fail_msg("%s", err.msg);
  assert_int_equal(gv_ctl_stack_check_neural(s, "mlpgan", &err), GV_OK);
  gv_mlpgan_params p;
  gv_mlpgan_train t;
  gv_params_defaults(gv_game_mlpgan.params, &p);
  gv_params_defaults(gv_mlpgan_train_params, &t);
  p.g_width = p.d_width = 8;
  t.batch = t.gbatch = 3;
  t.steps = 20;
  if (gv_mlpgan_init(g, &p, &t, s, seed, &err) != GV_OK) fail_msg("%s", err.msg);
}

static void test_buffer_contents(void **state) {
  (void)state;
  gv_ctl_stack s;
  gv_mlpgan g;
  make_gan(&g, &s, "[{kind: bmc_buffered, buffer: 7, sample: 2}]", 5);
  assert_int_equal(g.disc.hcap, 7);
  assert_int_equal(g.disc.hbatch, 2);
  /* the real batches each step draws, replayed from the game's data stream */
  gsl_rng *rdata = gv_rng_alloc(5, "mlpgan.data", 0);
  float all[9 * 2]; /* 3 steps push 9 real inputs into a ring of 7 */
  for (int k = 0; k < 3; ++k) {
    gv_mlpgan_losses out;
    assert_int_equal(gv_mlpgan_step(&g, &out), GV_OK);
    gv_mixture_sample(&g.mix, rdata, all + 6 * k, 3);
    /* the generator step then draws a real batch too (a loss_outputs
     * controller may need real logits on the generator's side) */
    float skip[2 * 3];
    gv_mixture_sample(&g.mix, rdata, skip, 3);
    assert_int_equal(g.disc.hfill, (size_t)(3 * (k + 1) < 7 ? 3 * (k + 1) : 7));
  }
  gsl_rng_free(rdata);
  /* ring order: samples 7 and 8 overwrote slots 0 and 1 */
  for (int j = 0; j < 7; ++j) {
    int src = j < 2 ? 7 + j : j;
    assert_near(g.disc.hreal[2 * j], all[2 * src], 0);
    assert_near(g.disc.hreal[2 * j + 1], all[2 * src + 1], 0);
  }
  assert_int_equal(g.disc.hpos, 2);
  gv_mlpgan_deinit(&g);
  gv_ctl_stack_free(&s);
}

/* What the controller sees in a step of the game: D (before the step) on
 * `sample` draws from the real ring, then as many from the generated ring,
 * the draws replayed from clones of the game's and the controller's
 * streams, and the term of those logits is the step's controller loss. */
static void test_game_feeds_buffered_samples(void **state) {
  (void)state;
  gv_ctl_stack s;
  gv_mlpgan g;
  make_gan(&g, &s, "[{kind: bmc_buffered, gain: 1, rho1: 0.3, rho2: 0.2, buffer: 5, sample: 3}]",
           8);
  gv_mlpgan_losses out;
  for (int k = 0; k < 3; ++k) assert_int_equal(gv_mlpgan_step(&g, &out), GV_OK);
  assert_int_equal(g.disc.hfill, 5);
  gsl_rng *rh = gsl_rng_clone(g.disc.rhist), *rc = gsl_rng_clone(s.items[0].rng);
  float x[2 * 6], l[6];
  for (int i = 0; i < 3; ++i) {
    size_t a = (size_t)gsl_rng_uniform_int(rh, 5), b = (size_t)gsl_rng_uniform_int(rh, 5);
    memcpy(x + 2 * i, g.disc.hreal + 2 * a, 2 * sizeof(float));
    memcpy(x + 2 * (3 + i), g.disc.hfake + 2 * b, 2 * sizeof(float));
  }
  assert_int_equal(gv_nn_forward(g.dws, g.D, x, 6), GV_OK);
  memcpy(l, g.dws->out, sizeof l);
  double b1 = fabs(gv_rng_normal(rc)), b2 = fabs(gv_rng_normal(rc)), want = 0.0;
  for (int i = 0; i < 6; ++i) {
    double a = softplus(i < 3 ? -l[i] : l[i]);
    want += (0.15 * b1 * a * a + b2 * (0.05 * pow(a, 4) + 0.1 * a * a)) / 3.0;
  }
  gsl_rng_free(rh);
  gsl_rng_free(rc);
  assert_int_equal(gv_mlpgan_step(&g, &out), GV_OK);
  assert_near(out.ctl, want, 1e-5 * want);
  gv_mlpgan_deinit(&g);
  gv_ctl_stack_free(&s);
}

/* Same seed: the same buffer and the same parameters bit for bit; another
 * seed: different draws. */
static void test_seeded_determinism(void **state) {
  (void)state;
  gv_ctl_stack s1, s2, s3;
  gv_mlpgan a, b, c;
  const char *list = "[{kind: bmc_buffered, gain: 1, rho1: 0.1, rho2: 0.01, buffer: 16, "
                     "sample: 4}]";
  make_gan(&a, &s1, list, 9);
  make_gan(&b, &s2, list, 9);
  make_gan(&c, &s3, list, 10);
  for (int k = 0; k < 12; ++k) {
    gv_mlpgan_losses oa, ob, oc;
    assert_int_equal(gv_mlpgan_step(&a, &oa), GV_OK);
    assert_int_equal(gv_mlpgan_step(&b, &ob), GV_OK);
    assert_int_equal(gv_mlpgan_step(&c, &oc), GV_OK);
    assert_memory_equal(&oa.ctl, &ob.ctl, sizeof oa.ctl);
    assert_true(oa.ctl > 0.0);
  }
  assert_memory_equal(a.disc.hreal, b.disc.hreal, 16 * 2 * sizeof(float));
  assert_memory_equal(a.disc.hfake, b.disc.hfake, 16 * 2 * sizeof(float));
  assert_memory_equal(a.D->param, b.D->param, a.D->nparam * sizeof(float));
  assert_memory_not_equal(a.D->param, c.D->param, a.D->nparam * sizeof(float));
  gv_mlpgan_deinit(&a);
  gv_mlpgan_deinit(&b);
  gv_mlpgan_deinit(&c);
  gv_ctl_stack_free(&s1);
  gv_ctl_stack_free(&s2);
  gv_ctl_stack_free(&s3);
}

/* ------------------------------------------------------- config errors */

static void test_config_errors(void **state) {
  (void)state;
  const struct {
    const char *list, *want;
  } bad[] = {
      {"[{kind: bmc_buffered, output: prob}]", "allowed: bce, logit"},
      {"[{kind: bmc_buffered, rho1: -1}]", "rho1"},
      {"[{kind: bmc_buffered, buffer: 0}]", "buffer"},
      {"[{kind: bmc_buffered, sample: 0}]", "sample"},
      {"[{kind: bmc_buffered, dt: 0.1}]", "dt"},
      {"[{kind: bmc_buffered, side: gen}]", "side"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
    gv_ctl_stack s;
    gv_err e;
    if (tu_stack(&s, bad[k].list, 1, &e) != GV_ECONFIG) fail_msg("%s accepted", bad[k].list);
    assert_contains(e.msg, "test.yaml:1: controllers.0.");
    assert_contains(e.msg, bad[k].want);
  }
  /* neural games take it (loss level); closed-form games have no hook for it */
  gv_ctl_stack s;
  gv_err err;
  assert_int_equal(tu_stack(&s, "[{kind: bmc_buffered}]", 1, &err), GV_OK);
  assert_int_equal(gv_ctl_hooks(s.items[0].type), GV_HOOK_LOSS);
  assert_int_equal(gv_ctl_stack_check_neural(&s, "mlpgan", &err), GV_OK);
  assert_int_equal(gv_ctl_stack_check_neural(&s, "gail", &err), GV_OK);
  gv_dirac d;
  tu_dirac(&d, GV_LOSS_WGAN, 0.0);
  assert_int_equal(gv_ctl_stack_check(&s, &d.vf, "simgd", GV_HOOK_DRIFT | GV_HOOK_UPDATE, &err),
                   GV_ENOHOOK);
  assert_contains(err.msg, "test.yaml:1: controllers.0.kind: controller 'bmc_buffered' has no hook "
                           "for game 'dirac'");
  gv_ctl_stack_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_value_matches_formula),
      cmocka_unit_test(test_gradient_finite_differences),
      cmocka_unit_test(test_sign_of_mean_effect),
      cmocka_unit_test(test_buffer_contents),
      cmocka_unit_test(test_game_feeds_buffered_samples),
      cmocka_unit_test(test_seeded_determinism),
      cmocka_unit_test(test_config_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
