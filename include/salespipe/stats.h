/*
 * stats: exact distributions of int64 values (durations in seconds) as a
 * mergeable state.  Quantiles need every value, so a distribution keeps
 * one int64 per value it was given: memory grows with counted records.
 */
#ifndef SALESPIPE_STATS_H
#define SALESPIPE_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_dist {
	int64_t *v;
	size_t n, cap;
	int sorted;
	long double sum;	/* exact for |sum| < 2^64 */
} sp_dist;

void sp_dist_init(sp_dist *d);
/* Add one value.  Returns 0 or -1 (memory). */
int sp_dist_add(sp_dist *d, int64_t x);
/* Move b's values into a (b is left empty).  Returns 0 or -1 (memory). */
int sp_dist_merge(sp_dist *a, sp_dist *b);
void sp_dist_free(sp_dist *d);

/* After the last add: sorts.  Queries below need it (they sort lazily). */
void sp_dist_finish(sp_dist *d);
double sp_dist_mean(const sp_dist *d);
/*
 * Quantile q in [0,1] by linear interpolation between closest ranks
 * (type 7: numpy's default, DuckDB's quantile_cont): h = (n-1)q,
 * x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
 */
double sp_dist_quantile(sp_dist *d, double q);
int64_t sp_dist_min(sp_dist *d);
int64_t sp_dist_max(sp_dist *d);

#ifdef __cplusplus
}
#endif

#endif
