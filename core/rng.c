#include "core/rng.h"

#include <gsl/gsl_randist.h>

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t gv_rng_derive(uint64_t seed, const char *stream, uint64_t index) {
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a of the stream name */
  for (const unsigned char *p = (const unsigned char *)stream; p && *p; ++p)
    h = (h ^ *p) * 0x100000001b3ULL;
  return splitmix64(splitmix64(splitmix64(seed) ^ h) ^ index);
}

void gv_rng_reseed(gsl_rng *r, uint64_t seed, const char *stream, uint64_t index) {
  uint64_t s = gv_rng_derive(seed, stream, index);
  unsigned long s32 = (unsigned long)((s >> 32) ^ (s & 0xffffffffULL));
  gsl_rng_set(r, s32 ? s32 : 1); /* mt19937 uses 32 bits; 0 means "default" */
}

gsl_rng *gv_rng_alloc(uint64_t seed, const char *stream, uint64_t index) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (r) gv_rng_reseed(r, seed, stream, index);
  return r;
}

double gv_rng_normal(const gsl_rng *r) { return gsl_ran_gaussian_ziggurat(r, 1.0); }
