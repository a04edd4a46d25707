/*
 * Unit tests of model: Holt and additive Holt-Winters (run, grid fit,
 * forecast with the 80% interval), the xoshiro256** generator, probability
 * thresholds and the Monte Carlo simulation (include/salespipe/model.h).
 * Expected trend values come from tests/forecast/holt.py, an independent
 * Python implementation of the definitions in model.h (the command is
 * above each block; it prints 10 significant digits, so those blocks
 * compare within 1e-6 relative); the first Holt example is worked by hand
 * in exact binary fractions and compared within 1e-9.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/model.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
near_tol(double got, double want, double rel, double abs_tol, const char *what)
{
	if (!(fabs(got - want) <= rel * fabs(want) + abs_tol))
		fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

/* hand-worked values: exact doubles, 1e-9 */
static void
exact(double got, double want, const char *what)
{
	near_tol(got, want, 0, 1e-9, what);
}

/* holt.py's 10 significant digits: 1e-6 relative (and 1e-9 absolute for
 * values near zero) */
static void
py(double got, double want, const char *what)
{
	near_tol(got, want, 1e-6, 1e-9, what);
}

/* One expected block printed by holt.py. */
struct want {
	int model, season;
	double alpha, beta, gamma, sse;
	size_t nerr, n;
	double level, slope;
	double seasonal[12];
	int horizon;
	double f[14][3];	/* forecast, lo, hi for h = 1..horizon */
};

static void
check(const sp_trend *t, const struct want *w)
{
	char what[64];
	double lo, hi, f;
	int i, h;

	assert_int_equal(t->model, w->model);
	assert_int_equal(t->season, w->season);
	assert_int_equal(t->n, w->n);
	assert_int_equal(t->nerr, w->nerr);
	py(t->alpha, w->alpha, "alpha");
	py(t->beta, w->beta, "beta");
	py(t->gamma, w->gamma, "gamma");
	py(t->sse, w->sse, "sse");
	py(t->level, w->level, "level");
	py(t->slope, w->slope, "slope");
	for (i = 0; i < w->season; i++) {
		snprintf(what, sizeof what, "seasonal[%d]", i);
		py(t->seasonal[i], w->seasonal[i], what);
	}
	for (h = 1; h <= w->horizon; h++) {
		f = sp_trend_forecast(t, h, &lo, &hi);
		snprintf(what, sizeof what, "forecast h=%d", h);
		py(f, w->f[h - 1][0], what);
		snprintf(what, sizeof what, "lo h=%d", h);
		py(lo, w->f[h - 1][1], what);
		snprintf(what, sizeof what, "hi h=%d", h);
		py(hi, w->f[h - 1][2], what);
	}
}

/* (ii) 12 quarters: 100 + 5t + [20, -10, 0, -10][t mod 4] + a fixed
 * perturbation (0.7 -0.4 0.2 -0.9 0.5 0.3 -0.6 0.1 -0.2 0.8 -0.5 0.4) */
static const double quarters[] = {
	120.7, 94.6, 110.2, 104.1, 140.5, 115.3, 129.4, 125.1,
	159.8, 135.8, 149.5, 145.4
};

/* (iii) 30 months: 200 + 3t + [10 -5 3 8 -12 0 6 -8 15 -4 -9 -4][t mod 12]
 * + a fixed integer perturbation in [-5, 5] */
static const double months[] = {
	213, 196, 210, 217, 196, 217, 229, 212, 236, 225, 221, 233,
	244, 235, 240, 256, 238, 250, 260, 246, 279, 260, 255, 267,
	285, 266, 282, 289, 271, 289
};

static void
test_holt_by_hand(void **state)
{
	static const double y[] = { 10, 12, 15, 13, 18 };
	sp_trend t;
	sp_error e;
	double f, lo, hi, half, sigma;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(y, 5, 0, 0.5, 0.5, 0, &t, &e), 0);
	/*
	 * a = b = 0.5.  l1 = 12, b1 = 12 - 10 = 2.
	 * t=2: f = 14, e = 1;  l2 = .5*15 + .5*14 = 14.5;
	 *      b2 = .5*(14.5 - 12) + .5*2 = 2.25
	 * t=3: f = 16.75, e = -3.75 (14.0625);  l3 = .5*13 + .5*16.75 = 14.875;
	 *      b3 = .5*(14.875 - 14.5) + .5*2.25 = 1.3125
	 * t=4: f = 16.1875, e = 1.8125 (3.28515625);
	 *      l4 = .5*18 + .5*16.1875 = 17.09375;
	 *      b4 = .5*(17.09375 - 14.875) + .5*1.3125 = 1.765625
	 * sse = 1 + 14.0625 + 3.28515625 = 18.34765625 over 3 errors.
	 */
	assert_int_equal(t.model, SP_TREND_HOLT);
	assert_int_equal(t.season, 0);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.nerr, 3);
	exact(t.alpha, 0.5, "alpha");
	exact(t.beta, 0.5, "beta");
	exact(t.gamma, 0, "gamma");
	exact(t.sse, 18.34765625, "sse");
	exact(t.level, 17.09375, "level");
	exact(t.slope, 1.765625, "slope");
	/*
	 * yhat_h = 17.09375 + 1.765625 h; sigma = sqrt(18.34765625 / 3);
	 * c_1 = 1, c_2 = 1 + (.5 + .25)^2 = 1.5625,
	 * c_3 = 1.5625 + (.5 + 2*.25)^2 = 2.5625.
	 */
	sigma = sqrt(18.34765625 / 3);
	f = sp_trend_forecast(&t, 1, &lo, &hi);
	exact(f, 18.859375, "h=1");
	half = 1.2816 * sigma;
	exact(lo, 18.859375 - half, "lo h=1");
	exact(hi, 18.859375 + half, "hi h=1");
	f = sp_trend_forecast(&t, 2, &lo, &hi);
	exact(f, 20.625, "h=2");
	half = 1.2816 * sigma * sqrt(1.5625);	/* sqrt = 1.25 */
	exact(lo, 20.625 - half, "lo h=2");
	exact(hi, 20.625 + half, "hi h=2");
	f = sp_trend_forecast(&t, 3, &lo, &hi);
	exact(f, 22.390625, "h=3");
	half = 1.2816 * sigma * sqrt(2.5625);
	exact(lo, 22.390625 - half, "lo h=3");
	exact(hi, 22.390625 + half, "hi h=3");
}

static void
test_holt_shortest(void **state)
{
	static const double y[] = { 10, 12, 15 };
	sp_trend t;
	sp_error e;
	double f, lo, hi;

	(void)state;
	sp_err_clear(&e);
	/* n = 3: one error, t=2: f = 12 + 2 = 14, e = 1 (as above);
	 * l2 = 14.5, b2 = 2.25; sigma = 1; c_2 = 1.5625 */
	assert_int_equal(sp_trend_run(y, 3, 0, 0.5, 0.5, 0, &t, &e), 0);
	assert_int_equal(t.nerr, 1);
	exact(t.sse, 1, "sse");
	exact(t.level, 14.5, "level");
	exact(t.slope, 2.25, "slope");
	f = sp_trend_forecast(&t, 2, &lo, &hi);
	exact(f, 19, "h=2");
	exact(lo, 19 - 1.2816 * 1.25, "lo h=2");
	exact(hi, 19 + 1.2816 * 1.25, "hi h=2");
}

static void
test_linear_series(void **state)
{
	double y[8], f, lo, hi;
	sp_trend t;
	sp_error e;
	size_t i;
	int h;

	(void)state;
	for (i = 0; i < NELEM(y); i++)
		y[i] = 100 + 10 * (double)i;
	sp_err_clear(&e);
	/* any parameters: l1 = 110, b1 = 10, every forecast exact, so the
	 * level stays on the line and the slope at 10 */
	assert_int_equal(sp_trend_run(y, 8, 0, 0.3, 0.6, 0, &t, &e), 0);
	exact(t.sse, 0, "sse run");
	exact(t.level, 170, "level run");
	exact(t.slope, 10, "slope run");
	/* fit without a season: Holt, sse 0 (every grid point; which one is
	 * picked among exact zeros depends on rounding, so not asserted) */
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(y, 8, 0, &t, &e), 0);
	assert_int_equal(t.model, SP_TREND_HOLT);
	assert_int_equal(t.nerr, 6);
	exact(t.sse, 0, "sse fit");
	exact(t.level, 170, "level fit");
	exact(t.slope, 10, "slope fit");
	assert_true(t.alpha >= 0.05 - 1e-12 && t.alpha <= 0.95 + 1e-12);
	assert_true(t.beta >= 0.05 - 1e-12 && t.beta <= 0.95 + 1e-12);
	for (h = 1; h <= 12; h++) {
		f = sp_trend_forecast(&t, h, &lo, &hi);
		exact(f, 170 + 10 * h, "forecast");
		/* sigma = 0: the interval is the point */
		exact(lo, 170 + 10 * h, "lo");
		exact(hi, 170 + 10 * h, "hi");
	}
}

static void
test_hw_quarters_run(void **state)
{
	/* python3 tests/forecast/holt.py --season 4 --params 0.3 0.1 0.2
	 *   --horizon 5 120.7 94.6 110.2 104.1 140.5 115.3 129.4 125.1
	 *   159.8 135.8 149.5 145.4 */
	static const struct want w = {
		SP_TREND_HW, 4, 0.3, 0.1, 0.2, 406.2425012, 8, 12,
		154.0101994, 5.317027988,
		{ 16.27241204, -11.67194832, 1.704576448, -5.029742896 },
		5, {
			{ 175.5996394, 166.4669185, 184.7323603 },
			{ 152.972307, 143.3551574, 162.5894567 },
			{ 171.6658598, 161.5022452, 181.8294744 },
			{ 170.2485684, 159.4789257, 181.0182112 },
			{ 196.8677514, 184.9454399, 208.7900629 },
		}
	};
	sp_trend t;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(quarters, NELEM(quarters), 4, 0.3, 0.1,
	    0.2, &t, &e), 0);
	check(&t, &w);
}

static void
test_hw_quarters_fit(void **state)
{
	/* python3 tests/forecast/holt.py --fit --season 4 --horizon 6
	 *   120.7 94.6 110.2 104.1 140.5 115.3 129.4 125.1 159.8 135.8
	 *   149.5 145.4
	 * (runner-up sse 294.6107111: a margin of 0.064, far above
	 * rounding) */
	static const struct want w = {
		SP_TREND_HW, 4, 0.25, 0.05, 0.9, 294.5462882, 8, 12,
		152.8803348, 5.22710563,
		{ 22.78955257, -7.058605138, 1.557173107, -7.386916535 },
		6, {
			{ 180.896993, 173.1204911, 188.6734949 },
			{ 156.2759409, 148.2359772, 164.3159047 },
			{ 170.1188248, 161.7993078, 178.4383417 },
			{ 166.4018408, 157.787149, 175.0165326 },
			/* h=5: c_5 gets the seasonal term at j = 4 */
			{ 201.8054155, 190.3293102, 213.2815208 },
			{ 177.1843634, 165.4537771, 188.9149498 },
		}
	};
	sp_trend t;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(quarters, NELEM(quarters), 4, &t, &e), 0);
	check(&t, &w);
}

static void
test_holt_quarters_fit(void **state)
{
	/* the same series without a season: Holt
	 * python3 tests/forecast/holt.py --fit --horizon 4 120.7 94.6 110.2
	 *   104.1 140.5 115.3 129.4 125.1 159.8 135.8 149.5 145.4
	 * (runner-up sse 6438.828271, margin 8.0) */
	static const struct want w = {
		SP_TREND_HOLT, 0, 0.6, 0.75, 0, 6430.808453, 10, 12,
		147.906691, -0.1243382263, { 0 },
		4, {
			{ 147.7823527, 115.2822087, 180.2824968 },
			{ 147.6580145, 100.5328057, 194.7832234 },
			{ 147.5336763, 79.72977615, 215.3375764 },
			{ 147.4093381, 54.59880472, 240.2198714 },
		}
	};
	sp_trend t;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(quarters, NELEM(quarters), 0, &t, &e), 0);
	check(&t, &w);
}

static void
test_hw_months_fit(void **state)
{
	/* python3 tests/forecast/holt.py --fit --season 12 --horizon 14
	 *   213 196 210 217 196 217 229 212 236 225 221 233 244 235 240 256
	 *   238 250 260 246 279 260 255 267 285 266 282 289 271 289
	 * (runner-up sse 2301.523688, margin 1.0) */
	static const struct want w = {
		SP_TREND_HW, 12, 0.6, 0.05, 0.95, 2300.522652, 18, 30,
		295.010755, 3.666390525,
		{ 7.742810862, -6.894796311, 20.38450471, 4.192189975,
		  0.8869983824, 13.63581179, 15.05201558, -12.02272512,
		  -5.836382911, -0.4995521121, -21.6189636, -5.965223858 },
		14, {
			{ 306.4199564, 291.9312536, 320.9086592 },
			{ 295.4487397, 278.324466, 312.5730135 },
			{ 326.3944313, 306.7810941, 346.0077685 },
			{ 313.8685071, 291.8542594, 335.8827548 },
			{ 314.229706, 289.8688577, 338.5905543 },
			{ 330.64491, 303.9703464, 357.3194735 },
			{ 335.7275043, 306.7577063, 364.6973022 },
			{ 312.3191541, 281.0624852, 343.575823 },
			{ 322.1718868, 288.6293664, 355.7144072 },
			{ 331.1751081, 295.3422877, 367.0079286 },
			{ 313.7220872, 275.5903648, 351.8538096 },
			{ 333.0422175, 292.5997864, 373.4846485 },
			/* h = 13, 14: the seasonal index wraps, and c_h takes
			 * the g(1 - a) term at j = 12 */
			{ 350.4166427, 305.5554447, 395.2778407 },
			{ 339.4454261, 292.3468896, 386.5439625 },
		}
	};
	sp_trend t;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(months, NELEM(months), 12, &t, &e), 0);
	check(&t, &w);
}

static void
test_hw_fit_tie(void **state)
{
	/*
	 * n = 2m: the seasonal values updated at t >= m are never used by a
	 * one-step forecast (t - m < m), so gamma does not change the sse:
	 * the 19 gammas tie exactly and the first, 0.05, must win.  gamma
	 * still moves the final seasonal values, hence the forecasts.
	 * python3 tests/forecast/holt.py --fit --season 4 --horizon 4
	 *   120.7 94.6 110.2 104.1 140.5 115.3 129.4 125.1
	 * (the best other alpha, beta: 0.3, 0.05 with sse 289.5523304,
	 * margin 0.17)
	 */
	static const struct want w = {
		SP_TREND_HW, 4, 0.25, 0.05, 0.05, 289.3796817, 4, 8,
		132.0068359, 5.230348971,
		{ 13.85335937, -12.54728809, 2.734067419, -3.480341794 },
		4, {
			{ 151.0905442, 140.1897907, 161.9912978 },
			{ 129.9202457, 118.6501831, 141.1903083 },
			{ 150.4319502, 138.7700224, 162.093878 },
			{ 149.44789, 137.3721992, 161.5235807 },
		}
	};
	sp_trend t;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(quarters, 8, 4, &t, &e), 0);
	check(&t, &w);
}

static void
test_too_short(void **state)
{
	static const double y[] = { 10, 12 };
	double big[2 * (SP_SEASON_MAX + 1)];
	sp_trend t;
	sp_error e;
	size_t i;

	(void)state;
	/* Holt needs n >= 3 */
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(y, 2, 0, 0.5, 0.5, 0, &t, &e), -1);
	assert_true(e.msg[0] != '\0');
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(y, 2, 0, &t, &e), -1);
	assert_true(e.msg[0] != '\0');
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(y, 0, 0, &t, &e), -1);
	assert_true(e.msg[0] != '\0');
	/* Holt-Winters needs n >= 2m: 7 quarters are one short */
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(quarters, 7, 4, 0.5, 0.5, 0.5, &t, &e), -1);
	assert_true(e.msg[0] != '\0');
	/* 8 quarters are enough */
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(quarters, 8, 4, 0.5, 0.5, 0.5, &t, &e), 0);
	assert_int_equal(t.nerr, 4);
	/* a season of 1 or above SP_SEASON_MAX is out of range */
	for (i = 0; i < NELEM(big); i++)
		big[i] = 100 + (double)(i % 7);
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(big, NELEM(big), 1, 0.5, 0.5, 0.5, &t, &e),
	    -1);
	assert_true(e.msg[0] != '\0');
	sp_err_clear(&e);
	assert_int_equal(sp_trend_run(big, NELEM(big), SP_SEASON_MAX + 1, 0.5,
	    0.5, 0.5, &t, &e), -1);
	assert_true(e.msg[0] != '\0');
}

static void
test_fit_falls_back_to_holt(void **state)
{
	/* 7 quarters with season 4 (< 2m): sp_trend_fit fits Holt.
	 * python3 tests/forecast/holt.py --fit --season 4 --horizon 2
	 *   120.7 94.6 110.2 104.1 140.5 115.3 129.4
	 * (runner-up sse 4554.554443, margin 5.3) */
	static const struct want w = {
		SP_TREND_HOLT, 0, 0.7, 0.75, 0, 4549.25525, 5, 7,
		129.225734, 3.274319646, { 0 },
		2, {
			{ 132.5000537, 93.8422079, 171.1578994 },
			{ 135.7743733, 74.64331233, 196.9054343 },
		}
	};
	sp_trend t;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_trend_fit(quarters, 7, 4, &t, &e), 0);
	check(&t, &w);
}

/*
 * The generator: splitmix64 and xoshiro256** as in Vigna's reference C
 * (prng.di.unimi.it, splitmix64.c and xoshiro256starstar.c), the state
 * filled with four successive splitmix64 outputs.  Expected values from
 *	python3 tests/forecast/holt.py --rng 0 --count 4
 *	python3 tests/forecast/holt.py --rng 1 --count 6
 * (splitmix64(0)'s first output 0xe220a8397b1dcdaf is the widely
 * published one, a check on the Python itself).
 */
static void
test_rng(void **state)
{
	static const uint64_t seed0[4] = {
		0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL,
		0x06c45d188009454fULL, 0xf88bb8a8724c81ecULL
	};
	static const uint64_t out0[4] = {
		0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
		0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL
	};
	static const uint64_t seed1[4] = {
		0x910a2dec89025cc1ULL, 0xbeeb8da1658eec67ULL,
		0xf893a2eefb32555eULL, 0x71c18690ee42c90bULL
	};
	static const uint64_t out1[6] = {
		0xb3f2af6d0fc710c5ULL, 0x853b559647364ceaULL,
		0x92f89756082a4514ULL, 0x642e1c7bc266a3a7ULL,
		0xb27a48e29a233673ULL, 0x24c123126ffda722ULL
	};
	sp_rng r;
	size_t i;

	(void)state;
	sp_rng_seed(&r, 0);
	for (i = 0; i < 4; i++)
		assert_true(r.s[i] == seed0[i]);
	for (i = 0; i < 4; i++) {
		uint64_t v = sp_rng_next(&r);

		if (v != out0[i])
			fail_msg("seed 0 output %zu: got %016llx, want %016llx",
			    i, (unsigned long long)v,
			    (unsigned long long)out0[i]);
	}
	sp_rng_seed(&r, 1);
	for (i = 0; i < 4; i++)
		assert_true(r.s[i] == seed1[i]);
	for (i = 0; i < 6; i++) {
		uint64_t v = sp_rng_next(&r);

		if (v != out1[i])
			fail_msg("seed 1 output %zu: got %016llx, want %016llx",
			    i, (unsigned long long)v,
			    (unsigned long long)out1[i]);
	}
}

static void
test_prob_threshold(void **state)
{
	(void)state;
	assert_int_equal(sp_prob_threshold(0), 0);
	assert_int_equal(sp_prob_threshold(1), 65536);
	assert_int_equal(sp_prob_threshold(0.5), 32768);
	assert_int_equal(sp_prob_threshold(0.25), 16384);
	/* 0.3 * 65536 = 19660.8 -> 19661 */
	assert_int_equal(sp_prob_threshold(0.3), 19661);
	/* exactly 1/65536 */
	assert_int_equal(sp_prob_threshold(1.0 / 65536), 1);
	assert_int_equal(sp_prob_threshold(-0.1), 0);
	assert_int_equal(sp_prob_threshold(-INFINITY), 0);
	assert_int_equal(sp_prob_threshold(NAN), 0);
	assert_int_equal(sp_prob_threshold(1.5), 65536);
	assert_int_equal(sp_prob_threshold(INFINITY), 65536);
}

static void
test_mc_certain(void **state)
{
	static const int64_t amount[5] = { 100, 250, 7, 1000000, 3 };
	uint32_t none[5] = { 0, 0, 0, 0, 0 };
	uint32_t all[5] = { 65536, 65536, 65536, 65536, 65536 };
	uint32_t mixed[5] = { 65536, 0, 65536, 0, 65536 };
	int64_t out[1000];
	sp_error e;
	size_t i;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, none, 5, 4200, 1000, 7, out, &e),
	    0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(out[i], 4200);
	/* 4200 + 100 + 250 + 7 + 1000000 + 3 */
	assert_int_equal(sp_montecarlo(amount, all, 5, 4200, 1000, 7, out, &e),
	    0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(out[i], 1004560);
	/* 4200 + 100 + 7 + 3 */
	assert_int_equal(sp_montecarlo(amount, mixed, 5, 4200, 1000, 7, out, &e),
	    0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(out[i], 4310);
	/* no deals: the base */
	assert_int_equal(sp_montecarlo(NULL, NULL, 0, -5, 3, 7, out, &e), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(out[i], -5);
}

static void
test_mc_seeds(void **state)
{
	enum { N = 20, TRIALS = 500 };
	int64_t amount[N], a[TRIALS], b[TRIALS], c[TRIALS];
	uint32_t th[N];
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		amount[i] = (int64_t)(i + 1) * 1000;
		th[i] = 32768;
	}
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, th, N, 0, TRIALS, 42, a, &e), 0);
	assert_int_equal(sp_montecarlo(amount, th, N, 0, TRIALS, 42, b, &e), 0);
	assert_int_equal(sp_montecarlo(amount, th, N, 0, TRIALS, 43, c, &e), 0);
	assert_memory_equal(a, b, sizeof a);
	/* 500 trials, each of 2^20 equally likely totals: two seeds giving
	 * the same array would be a generator ignoring its seed */
	assert_memory_not_equal(a, c, sizeof a);
	/* and the trials are not all the same */
	for (i = 1; i < TRIALS; i++)
		if (a[i] != a[0])
			break;
	assert_true(i < TRIALS);
}

/*
 * The mean over 200000 trials of 20 deals each winning with p = 0.3:
 * threshold round(0.3 * 65536) = 19661, so the true probability is
 * q = 19661/65536 = 0.30000305...; the expected total is
 * sum a_i q = 210000 q for a_i = 1000 (i + 1), and the variance of one
 * trial (independent Bernoulli wins) sum a_i^2 q (1 - q) = 2.87e9 q(1-q)
 * ~ 6.03e8, so the standard error of the mean is sqrt(6.03e8 / 200000)
 * ~ 54.9.  We allow 5 standard errors (~275; a fair generator falls
 * outside with probability ~6e-7; the seed is fixed, so the test is
 * deterministic).  Using 0.3 instead of q would shift the mean by only
 * 210000 * 3.05e-6 = 0.64, but q is used anyway.
 */
static void
test_mc_mean(void **state)
{
	enum { N = 20, TRIALS = 200000 };
	int64_t amount[N], *out;
	uint32_t th[N];
	double q, mean, var, want, se, sum2;
	sp_error e;
	size_t i;

	(void)state;
	out = malloc(TRIALS * sizeof *out);
	assert_non_null(out);
	sum2 = 0;
	for (i = 0; i < N; i++) {
		amount[i] = (int64_t)(i + 1) * 1000;
		th[i] = sp_prob_threshold(0.3);
		sum2 += (double)amount[i] * (double)amount[i];
	}
	assert_int_equal(th[0], 19661);
	q = 19661.0 / 65536;
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, th, N, 500, TRIALS, 1, out, &e),
	    0);
	mean = 0;
	for (i = 0; i < TRIALS; i++)
		mean += (double)out[i];
	mean /= TRIALS;
	want = 500 + 210000 * q;
	var = sum2 * q * (1 - q);
	se = sqrt(var / TRIALS);
	if (fabs(mean - want) > 5 * se)
		fail_msg("mean %.3f, want %.3f +- %.3f", mean, want, 5 * se);
	/* the spread too: the sample variance of the totals within 5% of
	 * the independent-wins variance (its relative standard error is
	 * about sqrt(2/200000) = 0.3%; deals sharing a draw would more than
	 * double it) */
	{
		double s = 0, d;

		for (i = 0; i < TRIALS; i++) {
			d = (double)out[i] - mean;
			s += d * d;
		}
		s /= TRIALS - 1;
		if (fabs(s - var) > 0.05 * var)
			fail_msg("variance %.1f, want %.1f", s, var);
	}
	free(out);
}

/*
 * Each deal on its own and in pairs: amounts 2^i make the total the set of
 * deals won.  Deal i with threshold 19661 (q above) wins in a share of
 * trials within 5 standard errors sqrt(q(1-q)/200000) ~ 0.001 of q; every
 * pair wins together within 5 sqrt(q^2(1-q^2)/200000) ~ 0.00032 of q^2
 * (independent draws, so streams and 16-bit pieces must not be reused).
 */
static void
test_mc_each_deal(void **state)
{
	enum { N = 20, TRIALS = 200000 };
	int64_t amount[N], *out;
	uint32_t th[N];
	double q, share, se;
	size_t i, j, k, hits;
	sp_error e;

	(void)state;
	out = malloc(TRIALS * sizeof *out);
	assert_non_null(out);
	for (i = 0; i < N; i++) {
		amount[i] = (int64_t)1 << i;
		th[i] = 19661;
	}
	q = 19661.0 / 65536;
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, th, N, 0, TRIALS, 12345, out, &e),
	    0);
	for (i = 0; i < N; i++) {
		hits = 0;
		for (k = 0; k < TRIALS; k++)
			hits += (out[k] >> i) & 1;
		share = (double)hits / TRIALS;
		se = sqrt(q * (1 - q) / TRIALS);
		if (fabs(share - q) > 5 * se)
			fail_msg("deal %zu wins %.5f, want %.5f", i, share, q);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++) {
			hits = 0;
			for (k = 0; k < TRIALS; k++)
				hits += ((out[k] >> i) & (out[k] >> j)) & 1;
			share = (double)hits / TRIALS;
			se = sqrt(q * q * (1 - q * q) / TRIALS);
			if (fabs(share - q * q) > 5 * se)
				fail_msg("deals %zu and %zu win together %.5f, "
				    "want %.5f", i, j, share, q * q);
		}
	free(out);
}

/*
 * The edges of a threshold, over 200000 trials of 20 deals (4e6 draws):
 * threshold 0 never wins (a draw "<= threshold" would win 1/65536 of the
 * time, ~61 wins); threshold 1 wins with probability exactly 1/65536:
 * 4e6/65536 = 61.04 expected wins, standard deviation ~7.8; allowed
 * 5 of them (22..100; "<=" would give ~122).
 */
static void
test_mc_threshold_edges(void **state)
{
	enum { N = 20, TRIALS = 200000 };
	int64_t amount[N], *out, wins;
	uint32_t th[N];
	double want;
	sp_error e;
	size_t i;

	(void)state;
	out = malloc(TRIALS * sizeof *out);
	assert_non_null(out);
	for (i = 0; i < N; i++) {
		amount[i] = 1;
		th[i] = 0;
	}
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, th, N, 0, TRIALS, 3, out, &e), 0);
	for (i = 0; i < TRIALS; i++)
		assert_int_equal(out[i], 0);
	for (i = 0; i < N; i++)
		th[i] = 1;
	assert_int_equal(sp_montecarlo(amount, th, N, 0, TRIALS, 3, out, &e), 0);
	wins = 0;
	for (i = 0; i < TRIALS; i++)
		wins += out[i];
	want = (double)N * TRIALS / 65536;
	if (fabs((double)wins - want) > 5 * sqrt(want))
		fail_msg("%lld wins at threshold 1, want %.2f",
		    (long long)wins, want);
	free(out);
}

static void
test_mc_overflow(void **state)
{
	static const int64_t amount[2] = { 10, 20 };
	static const uint32_t all[2] = { 65536, 65536 };
	int64_t out[4];
	sp_error e;
	size_t i;

	(void)state;
	/* INT64_MAX - 30 + 10 + 20 = INT64_MAX: fits */
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, all, 2, INT64_MAX - 30, 4, 1, out,
	    &e), 0);
	for (i = 0; i < 4; i++)
		assert_true(out[i] == INT64_MAX);
	/* one more and the total overflows */
	sp_err_clear(&e);
	assert_int_equal(sp_montecarlo(amount, all, 2, INT64_MAX - 29, 4, 1, out,
	    &e), -1);
	assert_true(e.msg[0] != '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holt_by_hand),
		cmocka_unit_test(test_holt_shortest),
		cmocka_unit_test(test_linear_series),
		cmocka_unit_test(test_hw_quarters_run),
		cmocka_unit_test(test_hw_quarters_fit),
		cmocka_unit_test(test_holt_quarters_fit),
		cmocka_unit_test(test_hw_months_fit),
		cmocka_unit_test(test_hw_fit_tie),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_fit_falls_back_to_holt),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_prob_threshold),
		cmocka_unit_test(test_mc_certain),
		cmocka_unit_test(test_mc_seeds),
		cmocka_unit_test(test_mc_mean),
		cmocka_unit_test(test_mc_each_deal),
		cmocka_unit_test(test_mc_threshold_edges),
		cmocka_unit_test(test_mc_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
