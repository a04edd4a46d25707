/*
 * Unit tests of span, an owner's overlapping activities counted once
 * (include/salespipe/span.h).  Times are minutes here (the rule does not
 * care about the unit); every expected count is worked out by hand in the
 * comment beside it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "salespipe/span.h"

static sp_span
S(const char *owner, int64_t start, int64_t end, const char *type,
    const char *key)
{
	sp_span s;

	memset(&s, 0, sizeof(s));
	s.owner = owner;
	s.start = start;
	s.end = end;
	s.type = type;
	s.key = key;
	return s;
}

/* The counted minutes of the span with this owner, start, type and key
 * (after sp_spans_resolve), or -1. */
static int64_t
got(const sp_span *v, size_t n, const char *owner, int64_t start,
    const char *type, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].owner, owner) == 0 && v[i].start == start &&
		    strcmp(v[i].type, type) == 0 && strcmp(v[i].key, key) == 0)
			return v[i].counted;
	return -1;
}

/* Nested, chained, touching, identical, other owners, zero length. */
static void
test_rule(void **state)
{
	sp_span v[] = {
		S("ann", 540, 600, "call", ""),		/* 09:00-10:00 */
		S("ann", 555, 570, "email", ""),	/* nested */
		S("ann", 600, 660, "meeting", ""),	/* touches the call */
		S("ann", 630, 690, "demo", ""),		/* chained */
		S("ann", 780, 810, "meeting", ""),	/* identical, */
		S("ann", 780, 810, "call", "D2"),	/* three times: */
		S("ann", 780, 810, "call", "D1"),	/* call D1 first */
		S("bob", 540, 600, "call", ""),		/* another owner */
		S("cy", 100, 100, "email", ""),		/* zero length */
		S("cy", 90, 130, "call", "")		/* covers it */
	};
	size_t n = sizeof(v) / sizeof(v[0]);

	(void)state;
	sp_spans_resolve(v, n);
	assert_int_equal(got(v, n, "ann", 540, "call", ""), 60);
	assert_int_equal(got(v, n, "ann", 555, "email", ""), 0);
	assert_int_equal(got(v, n, "ann", 600, "meeting", ""), 60);
	assert_int_equal(got(v, n, "ann", 630, "demo", ""), 30);	/* 660-690 */
	assert_int_equal(got(v, n, "ann", 780, "call", "D1"), 30);
	assert_int_equal(got(v, n, "ann", 780, "call", "D2"), 0);
	assert_int_equal(got(v, n, "ann", 780, "meeting", ""), 0);
	assert_int_equal(got(v, n, "bob", 540, "call", ""), 60);
	assert_int_equal(got(v, n, "cy", 90, "call", ""), 40);
	assert_int_equal(got(v, n, "cy", 100, "email", ""), 0);
	/* sorted: owner, then start */
	assert_string_equal(v[0].owner, "ann");
	assert_int_equal(v[0].start, 540);
	assert_string_equal(v[n - 1].owner, "cy");
	assert_int_equal(v[n - 1].start, 100);
}

/*
 * A chain of three (30 + 20 + 20), a long span that covers two later
 * ones (the later ones count only past its end), and one that starts
 * inside the long one and ends after it.
 */
static void
test_chain_and_cover(void **state)
{
	sp_span v[] = {
		S("a", 0, 30, "call", ""),
		S("a", 20, 50, "call", ""),
		S("a", 40, 70, "call", ""),
		S("b", 0, 120, "meeting", ""),
		S("b", 10, 20, "call", ""),
		S("b", 30, 40, "call", ""),
		S("b", 100, 150, "demo", "")
	};
	size_t n = sizeof(v) / sizeof(v[0]);

	(void)state;
	sp_spans_resolve(v, n);
	assert_int_equal(got(v, n, "a", 0, "call", ""), 30);
	assert_int_equal(got(v, n, "a", 20, "call", ""), 20);	/* 30-50 */
	assert_int_equal(got(v, n, "a", 40, "call", ""), 20);	/* 50-70 */
	assert_int_equal(got(v, n, "b", 0, "meeting", ""), 120);
	assert_int_equal(got(v, n, "b", 10, "call", ""), 0);
	assert_int_equal(got(v, n, "b", 30, "call", ""), 0);
	assert_int_equal(got(v, n, "b", 100, "demo", ""), 30);	/* 120-150 */
}

/* Park-Miller, the same numbers everywhere. */
static uint64_t seed = 1;
static uint64_t
rnd(uint64_t k)
{
	seed = (seed * 16807) % 2147483647;
	return seed % k;
}

/*
 * Any order and any split: the spans of one input, shuffled, or cut in
 * two and concatenated the other way round (a merge of two states), give
 * the same counts span by span (sp_spans_resolve sorts them alike), and
 * each owner's counts add up to the length of the union of its spans.
 */
static void
test_any_order(void **state)
{
	static const char *const owners[] = { "ann", "bob", "cy" };
	static const char *const types[] = { "call", "demo", "email" };
	static const char *const keys[] = { "", "D1", "D2" };
	enum { N = 400 };
	sp_span *a = malloc(N * sizeof(*a)), *b = malloc(N * sizeof(*b));
	int64_t total[3] = { 0 }, uni[3] = { 0 };
	unsigned char *busy;
	size_t i, j, k, cut;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(busy = calloc(3 * 2000, 1));
	for (i = 0; i < N; i++) {
		int64_t s = (int64_t)rnd(1800), len = (int64_t)rnd(90);
		a[i] = S(owners[rnd(3)], s, s + len, types[rnd(3)],
		    keys[rnd(3)]);
	}
	/* the union by brute force, minute by minute */
	for (i = 0; i < N; i++) {
		k = a[i].owner[0] == 'a' ? 0 : a[i].owner[0] == 'b' ? 1 : 2;
		for (j = (size_t)a[i].start; j < (size_t)a[i].end; j++)
			busy[k * 2000 + j] = 1;
	}
	for (k = 0; k < 3; k++)
		for (j = 0; j < 2000; j++)
			uni[k] += busy[k * 2000 + j];
	for (cut = 0; cut <= N; cut += 97) {
		/* b: a[cut..] then a[..cut], then shuffled for odd cuts */
		memcpy(b, a + cut, (N - cut) * sizeof(*b));
		memcpy(b + (N - cut), a, cut * sizeof(*b));
		if (cut % 2 == 1)
			for (i = N - 1; i > 0; i--) {
				sp_span t;

				j = (size_t)rnd(i + 1);
				t = b[i];
				b[i] = b[j];
				b[j] = t;
			}
		sp_spans_resolve(b, N);
		if (cut == 0) {
			memcpy(a, b, N * sizeof(*a));	/* the reference */
			for (i = 0; i < N; i++)
				total[a[i].owner[0] == 'a' ? 0 :
				    a[i].owner[0] == 'b' ? 1 : 2] +=
				    a[i].counted;
			for (k = 0; k < 3; k++)
				assert_int_equal(total[k], uni[k]);
			continue;
		}
		for (i = 0; i < N; i++) {
			assert_int_equal(sp_span_cmp(&a[i], &b[i]), 0);
			assert_int_equal(a[i].counted, b[i].counted);
		}
	}
	free(busy);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_chain_and_cover),
		cmocka_unit_test(test_any_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
