/*
 * Unit tests of stats: exact distributions, type-7 quantiles, mergeable
 * state (include/salespipe/stats.h).  Hand-worked quantiles use
 * h = (n-1)q, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/stats.h"

#define EPS 1e-9

static void
add_all(sp_dist *d, const int64_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(sp_dist_add(d, v[i]), 0);
}

static void
near(double got, double want)
{
	if (fabs(got - want) > EPS * (1 + fabs(want)))
		fail_msg("got %.17g, want %.17g", got, want);
}

static void
test_one_to_ten(void **state)
{
	/* shuffled 1..10 */
	static const int64_t v[] = { 7, 3, 10, 1, 5, 9, 2, 8, 6, 4 };
	sp_dist d;

	(void)state;
	sp_dist_init(&d);
	add_all(&d, v, 10);
	sp_dist_finish(&d);
	assert_int_equal(d.n, 10);
	near(sp_dist_mean(&d), 5.5);
	/* h = 9*0.5 = 4.5: 5 + 0.5*(6-5) */
	near(sp_dist_quantile(&d, 0.5), 5.5);
	/* h = 9*0.9 = 8.1: 9 + 0.1*(10-9) */
	near(sp_dist_quantile(&d, 0.9), 9.1);
	/* h = 9*0.25 = 2.25: 3 + 0.25 */
	near(sp_dist_quantile(&d, 0.25), 3.25);
	/* h = 9*0.75 = 6.75: 7 + 0.75 */
	near(sp_dist_quantile(&d, 0.75), 7.75);
	/* h = 9*0.99 = 8.91: 9.91 */
	near(sp_dist_quantile(&d, 0.99), 9.91);
	near(sp_dist_quantile(&d, 0), 1);
	near(sp_dist_quantile(&d, 1), 10);
	assert_int_equal(sp_dist_min(&d), 1);
	assert_int_equal(sp_dist_max(&d), 10);
	sp_dist_free(&d);
}

static void
test_single_value(void **state)
{
	sp_dist d;

	(void)state;
	sp_dist_init(&d);
	assert_int_equal(sp_dist_add(&d, -42), 0);
	sp_dist_finish(&d);
	near(sp_dist_mean(&d), -42);
	near(sp_dist_quantile(&d, 0), -42);
	near(sp_dist_quantile(&d, 0.5), -42);
	near(sp_dist_quantile(&d, 1), -42);
	assert_int_equal(sp_dist_min(&d), -42);
	assert_int_equal(sp_dist_max(&d), -42);
	sp_dist_free(&d);
}

static void
test_negatives_and_ties(void **state)
{
	static const int64_t v[] = { 5, -3, 10, 0 };
	static const int64_t w[] = { 2, 2, 2, 8, 8 };
	sp_dist d;

	(void)state;
	sp_dist_init(&d);
	add_all(&d, v, 4);
	sp_dist_finish(&d);
	/* sorted -3 0 5 10; mean 12/4 = 3 */
	near(sp_dist_mean(&d), 3);
	/* h = 3*0.5 = 1.5: 0 + 0.5*5 */
	near(sp_dist_quantile(&d, 0.5), 2.5);
	/* h = 3*0.1 = 0.3: -3 + 0.3*3 */
	near(sp_dist_quantile(&d, 0.1), -2.1);
	assert_int_equal(sp_dist_min(&d), -3);
	assert_int_equal(sp_dist_max(&d), 10);
	sp_dist_free(&d);

	sp_dist_init(&d);
	add_all(&d, w, 5);
	sp_dist_finish(&d);
	/* sorted 2 2 2 8 8: h = 4*0.5 = 2 -> 2; h = 4*0.8 = 3.2 -> 8;
	 * h = 4*0.6 = 2.4 -> 2 + 0.4*6 = 4.4; mean 22/5 = 4.4 */
	near(sp_dist_quantile(&d, 0.5), 2);
	near(sp_dist_quantile(&d, 0.8), 8);
	near(sp_dist_quantile(&d, 0.6), 4.4);
	near(sp_dist_mean(&d), 4.4);
	sp_dist_free(&d);
}

static void
test_two_values_interpolate(void **state)
{
	sp_dist d;

	(void)state;
	sp_dist_init(&d);
	sp_dist_add(&d, 10);
	sp_dist_add(&d, 0);
	sp_dist_finish(&d);
	/* h = q: 0 + q*10 */
	near(sp_dist_quantile(&d, 0.3), 3);
	near(sp_dist_quantile(&d, 0.5), 5);
	near(sp_dist_quantile(&d, 0.95), 9.5);
	sp_dist_free(&d);
}

/* Durations in seconds of realistic size: one day, 109 days (negative:
 * the Salesforce sample's cycle times). */
static void
test_large_values(void **state)
{
	static const int64_t v[] = { -9417600, -345600, 86400, 31536000 };
	sp_dist d;

	(void)state;
	sp_dist_init(&d);
	add_all(&d, v, 4);
	sp_dist_finish(&d);
	/* sum = 21859200, /4 = 5464800 */
	near(sp_dist_mean(&d), 5464800);
	/* h = 1.5: -345600 + 0.5*(86400+345600) = -129600 */
	near(sp_dist_quantile(&d, 0.5), -129600);
	assert_int_equal(sp_dist_min(&d), -9417600);
	assert_int_equal(sp_dist_max(&d), 31536000);
	sp_dist_free(&d);

	/* |sum| beyond 2^53 but within 2^64: 3 * 10^18 */
	sp_dist_init(&d);
	sp_dist_add(&d, INT64_C(1000000000000000000));
	sp_dist_add(&d, INT64_C(1000000000000000000));
	sp_dist_add(&d, INT64_C(1000000000000000000));
	sp_dist_finish(&d);
	near(sp_dist_mean(&d), 1e18);
	assert_int_equal(sp_dist_min(&d), INT64_C(1000000000000000000));
	sp_dist_free(&d);
}

/* Queries sort lazily: adding after finish, without finishing again. */
static void
test_lazy_sort(void **state)
{
	sp_dist d;

	(void)state;
	sp_dist_init(&d);
	sp_dist_add(&d, 5);
	sp_dist_add(&d, 1);
	sp_dist_finish(&d);
	sp_dist_add(&d, 3);
	sp_dist_add(&d, -1);
	/* -1 1 3 5: h = 1.5 -> 2 */
	near(sp_dist_quantile(&d, 0.5), 2);
	assert_int_equal(sp_dist_min(&d), -1);
	assert_int_equal(sp_dist_max(&d), 5);
	sp_dist_add(&d, 100);
	assert_int_equal(sp_dist_max(&d), 100);
	near(sp_dist_mean(&d), 108.0 / 5);
	sp_dist_free(&d);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The test's own type-7 quantile of a sorted array. */
static double
ref_quantile(const int64_t *x, size_t n, double q)
{
	double h = (double)(n - 1) * q, f = floor(h);
	size_t i = (size_t)f;

	if (i + 1 >= n)
		return (double)x[n - 1];
	return (double)x[i] + (h - f) * (double)(x[i + 1] - x[i]);
}

static void
test_merge_equals_adding_all(void **state)
{
	enum { N = 20000, PARTS = 4 };
	int64_t *all = malloc(N * sizeof *all);
	sp_dist whole, part[PARTS];
	const double qs[] = { 0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 };
	long double sum = 0;
	size_t i, k;
	uint64_t r = 88172645463325252ULL;

	(void)state;
	assert_non_null(all);
	sp_dist_init(&whole);
	for (k = 0; k < PARTS; k++)
		sp_dist_init(&part[k]);
	for (i = 0; i < N; i++) {
		/* xorshift64: values in [-10^7, 10^7) seconds */
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		all[i] = (int64_t)(r % 20000000) - 10000000;
		sum += all[i];
		assert_int_equal(sp_dist_add(&whole, all[i]), 0);
		assert_int_equal(sp_dist_add(&part[i % PARTS], all[i]), 0);
	}
	/* finish some parts before merging: merge must not trust sorted */
	sp_dist_finish(&part[1]);
	sp_dist_finish(&part[0]);
	for (k = 1; k < PARTS; k++) {
		assert_int_equal(sp_dist_merge(&part[0], &part[k]), 0);
		assert_int_equal(part[k].n, 0);
	}
	assert_int_equal(part[0].n, N);
	sp_dist_finish(&whole);
	sp_dist_finish(&part[0]);
	qsort(all, N, sizeof *all, cmp64);
	for (i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		double want = ref_quantile(all, N, qs[i]);

		near(sp_dist_quantile(&whole, qs[i]), want);
		near(sp_dist_quantile(&part[0], qs[i]), want);
	}
	near(sp_dist_mean(&whole), (double)(sum / N));
	near(sp_dist_mean(&part[0]), (double)(sum / N));
	assert_int_equal(sp_dist_min(&part[0]), all[0]);
	assert_int_equal(sp_dist_max(&part[0]), all[N - 1]);
	for (k = 0; k < PARTS; k++)
		sp_dist_free(&part[k]);
	sp_dist_free(&whole);
	free(all);
}

static void
test_merge_empty(void **state)
{
	sp_dist a, b;

	(void)state;
	sp_dist_init(&a);
	sp_dist_init(&b);
	/* empty into empty */
	assert_int_equal(sp_dist_merge(&a, &b), 0);
	assert_int_equal(a.n, 0);
	/* values into empty */
	sp_dist_add(&b, 4);
	sp_dist_add(&b, 2);
	assert_int_equal(sp_dist_merge(&a, &b), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 0);
	/* empty into values */
	assert_int_equal(sp_dist_merge(&a, &b), 0);
	assert_int_equal(a.n, 2);
	sp_dist_finish(&a);
	near(sp_dist_quantile(&a, 0.5), 3);
	near(sp_dist_mean(&a), 3);
	/* b is still usable after being emptied */
	sp_dist_add(&b, 10);
	sp_dist_finish(&b);
	assert_int_equal(sp_dist_max(&b), 10);
	near(sp_dist_mean(&b), 10);
	sp_dist_free(&a);
	sp_dist_free(&b);
}

static void
test_free_and_reuse(void **state)
{
	sp_dist d;
	int64_t i;

	(void)state;
	sp_dist_init(&d);
	for (i = 0; i < 100000; i++)
		assert_int_equal(sp_dist_add(&d, 100000 - i), 0);
	sp_dist_finish(&d);
	/* 1..100000: median h = 99999*0.5 = 49999.5 -> 50000.5 */
	near(sp_dist_quantile(&d, 0.5), 50000.5);
	near(sp_dist_mean(&d), 50000.5);
	sp_dist_free(&d);
	sp_dist_init(&d);
	sp_dist_add(&d, 1);
	sp_dist_finish(&d);
	near(sp_dist_mean(&d), 1);
	sp_dist_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_to_ten),
		cmocka_unit_test(test_single_value),
		cmocka_unit_test(test_negatives_and_ties),
		cmocka_unit_test(test_two_values_interpolate),
		cmocka_unit_test(test_large_values),
		cmocka_unit_test(test_lazy_sort),
		cmocka_unit_test(test_merge_equals_adding_all),
		cmocka_unit_test(test_merge_empty),
		cmocka_unit_test(test_free_and_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
