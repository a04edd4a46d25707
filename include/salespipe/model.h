/*
 * model: the numerical models behind forecast(1): Holt's linear trend and
 * additive Holt-Winters fitted on a grid, with prediction intervals, and
 * a Monte Carlo simulation of deals won with given probabilities.  Pure
 * functions: no I/O, deterministic for the same inputs.
 */
#ifndef SALESPIPE_MODEL_H
#define SALESPIPE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "salespipe/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SP_TREND_HOLT = 1, SP_TREND_HW };

/* The most a season may be (buckets). */
#define SP_SEASON_MAX 64

typedef struct sp_trend {
	int model;		/* SP_TREND_HOLT or SP_TREND_HW */
	int season;		/* m (Holt-Winters), 0 for Holt */
	double alpha, beta, gamma;	/* gamma 0 for Holt */
	double sse;		/* sum of squared one-step errors */
	size_t nerr;		/* how many one-step errors */
	size_t n;		/* length of the series */
	double level, slope;	/* after the last value */
	double seasonal[SP_SEASON_MAX];	/* s for the last m buckets, oldest
					   first */
} sp_trend;

/*
 * Run the recursions on y[0..n-1] with the given parameters (classical
 * form).  Holt (season 0): l_1 = y_1, b_1 = y_1 - y_0; for t >= 2 the
 * one-step forecast l_{t-1} + b_{t-1}, then
 *	l_t = a y_t + (1 - a)(l_{t-1} + b_{t-1})
 *	b_t = b (l_t - l_{t-1}) + (1 - b) b_{t-1}
 * Holt-Winters (season m >= 2, n >= 2m): l = mean(y_0..y_{m-1}),
 * b = (mean(y_m..y_{2m-1}) - mean(y_0..y_{m-1})) / m, s_i = y_i - l for
 * i < m; for t >= m the forecast l + b + s_{t-m}, then
 *	l_t = a (y_t - s_{t-m}) + (1 - a)(l_{t-1} + b_{t-1})
 *	b_t = b (l_t - l_{t-1}) + (1 - b) b_{t-1}
 *	s_t = g (y_t - l_t) + (1 - g) s_{t-m}
 * Returns 0, or -1 with e set when the series is too short (Holt needs
 * n >= 3; Holt-Winters n >= 2m) or m is out of range.
 */
int sp_trend_run(const double *y, size_t n, int season, double a, double b,
    double g, sp_trend *t, sp_error *e);

/*
 * Fit: the parameters on the grid 0.05, 0.10, ..., 0.95 (gamma too for
 * Holt-Winters) with the least sum of squared one-step errors; of equal
 * sums the first in alpha, beta, gamma order.  Holt-Winters when
 * season >= 2 and n >= 2 season, else Holt.  Returns 0 or -1 (e set).
 */
int sp_trend_fit(const double *y, size_t n, int season, sp_trend *t,
    sp_error *e);

/*
 * The forecast h >= 1 buckets after the last value, with the 80%
 * prediction interval yhat -+ 1.2816 sigma sqrt(c_h): sigma^2 = sse /
 * nerr, c_h = 1 + sum_{j=1}^{h-1} (a + j a b + [HW, j mod m = 0] g (1 - a))^2
 * (the classical parameters in the error-correction form of ETS(A,A,N)
 * and ETS(A,A,A)).  Sets *lo and *hi.
 */
double sp_trend_forecast(const sp_trend *t, int h, double *lo, double *hi);

/* xoshiro256** seeded through splitmix64: the same seed, the same
 * numbers on every machine. */
typedef struct sp_rng {
	uint64_t s[4];
} sp_rng;

void sp_rng_seed(sp_rng *r, uint64_t seed);
uint64_t sp_rng_next(sp_rng *r);

/*
 * A probability p in [0, 1] as the threshold a uniform 16-bit draw must
 * stay below: round(p 65536), so 0 never and 65536 always wins; every
 * probability is taken to the nearest 1/65536.
 */
uint32_t sp_prob_threshold(double p);

/*
 * Monte Carlo: trials totals, each base + the sum of amount[i] over the
 * deals that win (a uniform 16-bit draw below threshold[i]).  Trials come
 * in blocks of 4096; block b draws from four xoshiro256** streams seeded
 * by splitmix64 from seed + 16 b 0x9e3779b97f4a7c15 (so blocks never
 * share state words), taken in turn, 64
 * bits for four deals (low bits first).  Blocks are shared out among
 * threads (one per processor, at most 16), and the totals do not depend
 * on how: the same seed gives the same totals on every machine.  out has
 * room for trials values.  Returns 0, or -1 (e set) when a total could
 * overflow or memory runs out.
 */
int sp_montecarlo(const int64_t *amount, const uint32_t *threshold, size_t n,
    int64_t base, size_t trials, uint64_t seed, int64_t *out, sp_error *e);

#ifdef __cplusplus
}
#endif

#endif
