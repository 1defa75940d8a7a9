/* The `onestep_sampled` experiment: the config wiring of the one-step GAIL
 * game learned from samples next to its closed-form flow
 * (gan/onestep_sampled.h, docs/gail.md).
 *
 *   game:    the one-step game (gan/onestep.h) with disc: logit, policy: softmax
 *   sampled: {batch, width, depth, act, h, lr_d, steps, every}
 *   controllers: acting on both the flow (a drift) and D (loss level)
 *   run:     {flush_every}
 *
 * Run file: the series of the observables every `sampled.every` steps and
 * at the end; /summary: the final TVs and the largest TV between the two
 * policies over the logged points. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agents/gail.h"
#include "core/checkpoint.h"
#include "core/runfile.h"
#include "experiments/drive.h"
#include "experiments/experiment.h"
#include "gan/onestep_sampled.h"

typedef struct os_run {
  long flush_every;         /* steps between run-file flushes */
} os_run;

static const gv_param run_params[] = {
    GV_PARAM_INT(os_run, flush_every, "1000", 1, 1e12, "steps between run-file flushes"),
    GV_PARAM_END,
};

static const gv_component os_game_component = {
    "onestep_sampled", "one-step GAIL learned from samples (MLP D, softmax policy) against "
    "its closed-form flow", NULL, gv_onestep_param_table, sizeof(gv_onestep_params)};

static const char *const sections[] = {"game", "sampled", "controllers", "run", "plot", NULL};

typedef struct os_state {
  gv_onestep game;
  gv_os_sampled_params sp;
  os_run run;
  gv_ctl_stack ctl;
  gv_os_sampled s;
  double m[GV_OSS_COUNT];   /* the observables of the last observed state */
  double max_between;       /* largest TV between the policies at a logged point */
} os_state;

static const gv_series_row os_series[GV_OSS_COUNT + 1] = {
    {"tv_sampled", "1", "TV of the sampled-update policy to pi_E"},
    {"tv_flow", "1", "TV of the expected-update (flow) policy to pi_E"},
    {"kl_sampled", "nat", "KL(pi || pi_E) of the sampled-update policy"},
    {"kl_flow", "nat", "KL(pi || pi_E) of the expected-update (flow) policy"},
    {"tv_between", "1", "TV between the sampled and the flow policies"},
    {"d_dev_sampled", "1", "max over actions of |D - 1/2|, sampled updates"},
    {"d_dev_flow", "1", "max over actions of |D - 1/2|, expected updates"},
    {NULL, NULL, NULL}};

static gv_status os_setup(void *vg, gv_drive *d, gv_node *root, const char *file, int build,
                          gv_err *err) {
  os_state *o = vg;
  gv_status st = gv_exp_check_top(root, file, sections, &d->common, err);
  if (st) return st;
  gv_node *m;
  if ((st = gv_exp_section(root, file, "game", &m, err))) return st;
  gv_cfg_ctx gctx = {file, "game"};
  gv_onestep_params gp;
  if ((st = gv_onestep_load(m, &gctx, &gp, err))) return st;
  char where[512];
  const char *bad_key = gp.disc != GV_OS_DISC_LOGIT ? "disc" : "policy";
  const int bad_line = gv_map_key_line(m, bad_key);
  gv_cfg_where(where, sizeof where, &gctx, bad_line ? bad_line : gv_map_key_line(root, "game"),
               bad_key);
  if (gp.disc != GV_OS_DISC_LOGIT || gp.policy != GV_OS_POLICY_SOFTMAX)
    return gv_fail(err, GV_ECONFIG, "%s: onestep_sampled learns a logit D and softmax "
                   "policy (allowed: disc: logit, policy: softmax)", where);
  if ((st = gv_cfg_locate(gv_onestep_init(&o->game, &gp, err), err, &gctx, root, "game")))
    return st;
  if ((st = gv_exp_section(root, file, "sampled", &m, err))) return st;
  gv_cfg_ctx sctx = {file, "sampled"};
  if ((st = gv_params_load(gv_os_sampled_param_table, m, NULL, &sctx, &o->sp, err))) return st;
  if ((st = gv_exp_section(root, file, "run", &m, err))) return st;
  gv_cfg_ctx rctx = {file, "run"};
  if ((st = gv_params_load(run_params, m, NULL, &rctx, &o->run, err))) return st;
  gv_node *ctl = gv_map_get(root, "controllers");
  if (!ctl) {
    ctl = gv_node_new_seq();
    gv_map_set(root, "controllers", ctl);
  }
  gv_cfg_ctx cctx = {file, ""};
  if ((st = gv_ctl_stack_load(&o->ctl, ctl, &cctx, (uint64_t)d->common.seed, err))) return st;
  /* a controller must act on both: the flow (drift) and the sampled D (loss level) */
  st = gv_os_sampled_check(&o->ctl, &o->game, err);
  if ((st = gv_cfg_locate(st, err, &cctx, root, "controllers"))) return st;
  d->series = os_series;
  d->flush_every = o->run.flush_every;
  d->steps = o->sp.steps;
  d->metric = "TV sampled";
  if (!build) return GV_OK;
  openblas_set_num_threads(1);
  return gv_os_sampled_init(&o->s, &o->game, &o->sp, &o->ctl, (uint64_t)d->common.seed, err);
}

/* Observes the state at step t and logs it when due. */
static gv_status observe(os_state *o, gv_drive *d, long t, gv_err *err) {
  gv_status st = gv_os_sampled_observe(&o->s, o->m, err);
  if (st || !(t % o->sp.every == 0 || t == o->sp.steps)) return st;
  o->max_between = fmax(o->max_between, o->m[GV_OSS_TV_BETWEEN]);
  for (int i = 0; i < GV_OSS_COUNT; ++i) gv_run_append(d->rf, d->id[i], t, o->m[i]);
  d->shown = o->m[GV_OSS_TV_SAMPLED];
  return GV_OK;
}

static gv_status os_start(void *vg, gv_drive *d, gv_err *err) {
  return observe(vg, d, 0, err);
}

static gv_status os_iterate(void *vg, gv_drive *d, long until, gv_err *err) {
  os_state *o = vg;
  while (d->step < until) {
    gv_status st = gv_os_sampled_step(&o->s, err);
    d->step++;
    if (st || (st = observe(o, d, d->step, err))) return st;
  }
  return GV_OK;
}

static gv_status os_finish(void *vg, gv_drive *d, const char *status, gv_err *err) {
  (void)status, (void)err;
  const os_state *o = vg;
  gv_run_summary_real(d->rf, "final_tv_sampled", o->m[GV_OSS_TV_SAMPLED]);
  gv_run_summary_real(d->rf, "final_tv_flow", o->m[GV_OSS_TV_FLOW]);
  gv_run_summary_real(d->rf, "final_tv_between", o->m[GV_OSS_TV_BETWEEN]);
  gv_run_summary_real(d->rf, "max_tv_between", o->max_between);
  return GV_OK;
}

static void os_teardown(void *vg) {
  os_state *o = vg;
  gv_os_sampled_deinit(&o->s);
  gv_ctl_stack_free(&o->ctl);
}

/* The last observation, the sampled and flow states, D, the streams and
 * the controllers. */
static gv_status os_checkpoint(void *vg, gv_drive *d, gv_ckpt *c, gv_err *err) {
  (void)d, (void)err;
  os_state *o = vg;
  gv_ckpt_doubles(c, "m", o->m, GV_OSS_COUNT);
  gv_ckpt_double(c, "max_between", &o->max_between);
  gv_ctl_stack_ckpt(&o->ctl, c, "controllers");
  gv_os_sampled_ckpt(&o->s, c);
  return GV_OK;
}

static const gv_exp_game os_game_table = {
    .kind = "onestep_sampled", .size = sizeof(os_state), .setup = os_setup, .start = os_start,
    .iterate = os_iterate, .finish = os_finish, .teardown = os_teardown,
    .checkpoint = os_checkpoint};

GV_EXP_DRIVEN(os_exp, os_game_table)

static gv_status os_analyze(const char *path, FILE *out, gv_err *err) {
  gv_runread *rr;
  gv_status st = gv_runread_open_known(&rr, path, err);
  if (st) return st;
  double a = NAN, b = NAN, c = NAN, d = NAN;
  gv_runread_summary_real(rr, "final_tv_sampled", &a);
  gv_runread_summary_real(rr, "final_tv_flow", &b);
  gv_runread_summary_real(rr, "final_tv_between", &c);
  gv_runread_summary_real(rr, "max_tv_between", &d);
  if (out) {
    fprintf(out, "%s: onestep_sampled\n", path);
    fprintf(out, "  %-40s %.4f / %.4f\n", "final TV(pi, pi_E): sampled / flow", a, b);
    fprintf(out, "  %-40s %.4f (max over the run %.4f)\n", "TV(sampled pi, flow pi)", c, d);
  }
  gv_runread_close(rr);
  return GV_OK;
}

static const gv_column os_table[] = {{"final_tv_sampled", "TV sampled"},
                                     {"final_tv_flow", "TV flow"},
                                     {"max_tv_between", "max TV between"},
                                     {NULL, NULL}};

static const gv_section os_sections[] = {
    GV_SECTION_MAP("sampled", "D's net and the sampled steps", gv_os_sampled_param_table),
    GV_SECTION_CONTROLLERS, GV_SECTION_MAP("run", "steps and logging", run_params), GV_SECTION_END};

const gv_experiment gv_exp_onestep_sampled = {
    {"onestep_sampled", "one-step GAIL from samples (bandit, MLP D, softmax policy) next to "
     "its closed-form flow", "Luo et al. 2024 (C-GAIL), arXiv 2402.16349; docs/gail.md", NULL,
     0},
    os_exp_check,
    os_exp_run,
    os_analyze,
    NULL,
    &os_game_component,
    os_table,
    &os_game_table,
    os_sections,
};
