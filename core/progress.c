#include "core/progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

double gv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void gv_progress_init(gv_progress *p, const char *label, const char *unit, int64_t total) {
  p->enabled = isatty(STDOUT_FILENO);
  p->total = total;
  p->t0 = p->last = gv_now();
  p->label = label ? label : "";
  p->unit = unit ? unit : "steps";
}

static void fmt_time(char *buf, size_t size, double s) {
  if (!isfinite(s) || s < 0) snprintf(buf, size, "?");
  else if (s < 60) snprintf(buf, size, "%.0fs", s);
  else if (s < 3600) snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void gv_progress_update(gv_progress *p, int64_t done, const char *metric_name, double metric) {
  if (!p->enabled) return;
  double t = gv_now();
  if (t - p->last < 0.1 && done < p->total) return;
  p->last = t;
  double rate = done / fmax(t - p->t0, 1e-9);
  char eta[32];
  fmt_time(eta, sizeof eta, (double)(p->total - done) / fmax(rate, 1e-9));
  printf("\r%s %lld/%lld %s (%.3g %s/s, ETA %s)", p->label, (long long)done,
         (long long)p->total, p->unit, rate, p->unit, eta);
  if (metric_name) printf(" %s %.4g", metric_name, metric);
  printf("\033[K");
  fflush(stdout);
}

void gv_progress_done(gv_progress *p) {
  if (!p->enabled) return;
  printf("\r\033[K");
  fflush(stdout);
}
