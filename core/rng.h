/* Seeded random streams.
 *
 * Every random draw in governor comes from a named stream derived from the
 * run's seed, so a run is a function of its resolved config and seed, and
 * adding draws to one stream (say, exploration noise) leaves every other stream
 * (initialisation, minibatch order) unchanged. */
#ifndef GV_CORE_RNG_H
#define GV_CORE_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* 64-bit mix of (seed, stream name, index); used to seed the streams. */
uint64_t gv_rng_derive(uint64_t seed, const char *stream, uint64_t index);

/* A GSL generator (mt19937) for stream `stream`, replica `index` of the run
 * with seed `seed`.  Free with gsl_rng_free.  NULL when out of memory. */
gsl_rng *gv_rng_alloc(uint64_t seed, const char *stream, uint64_t index);

/* Re-seed an existing generator in place, same derivation as gv_rng_alloc. */
void gv_rng_reseed(gsl_rng *r, uint64_t seed, const char *stream, uint64_t index);

/* Standard normal draw (GSL's ziggurat: the fastest of GSL's samplers). */
double gv_rng_normal(const gsl_rng *r);

#endif
