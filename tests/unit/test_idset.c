/*
 * Unit tests of idset: a snapshot's ids as fingerprints, with where each
 * was first seen (include/salespipe/idset.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/idset.h"

static int
add(sp_idset *s, const char *id, uint32_t file, int64_t line,
    uint32_t *ff, int64_t *fl)
{
	sp_idkey k;

	sp_idset_key(id, strlen(id), &k);
	return sp_idset_add(s, &k, file, line, ff, fl);
}

static int
find(const sp_idset *s, const char *id, uint32_t *ff, int64_t *fl)
{
	sp_idkey k;

	sp_idset_key(id, strlen(id), &k);
	return sp_idset_find(s, &k, ff, fl);
}

/* A repeat names the first place; the set keeps its first place. */
static void
test_repeat(void **state)
{
	sp_idset *s = sp_idset_new();
	uint32_t ff = 99;
	int64_t fl = -1;

	(void)state;
	assert_non_null(s);
	assert_int_equal(find(s, "D-1", &ff, &fl), 0);
	assert_int_equal(add(s, "D-1", 0, 2, NULL, NULL), 0);
	assert_int_equal(add(s, "D-2", 0, 3, NULL, NULL), 0);
	assert_int_equal(add(s, "D-1", 0, 4, &ff, &fl), 1);
	assert_int_equal(ff, 0);
	assert_int_equal(fl, 2);
	/* the repeat was not added: D-3 is the third id, seen at line 5 */
	assert_int_equal(add(s, "D-3", 0, 5, NULL, NULL), 0);
	assert_int_equal(sp_idset_count(s), 3);
	assert_int_equal(find(s, "D-3", &ff, &fl), 1);
	assert_int_equal(fl, 5);
	/* prefixes, case and length differ */
	assert_int_equal(find(s, "D-", NULL, NULL), 0);
	assert_int_equal(find(s, "d-1", NULL, NULL), 0);
	assert_int_equal(find(s, "D-10", NULL, NULL), 0);
	assert_int_equal(find(s, "", NULL, NULL), 0);
	sp_idset_free(s);
}

/*
 * 200000 ids over three files whose lines skip (records of several lines,
 * refused records): every id found at its own file and line, worked out
 * here by the same rule the fixture writes them.
 */
#define N 200000

static int64_t
line_of(long i)
{
	/* file 0: lines 2.., every 7th record two lines long; file 1:
	   from line 10, every 1000th skips 3 lines; file 2: one per line */
	if (i < 50000)
		return 2 + i + i / 7;
	if (i < 120000)
		return 10 + (i - 50000) + 3 * ((i - 50000) / 1000);
	return 2 + (i - 120000);
}

static uint32_t
file_of(long i)
{
	return i < 50000 ? 0 : i < 120000 ? 1 : 2;
}

static void
test_many(void **state)
{
	sp_idset *s = sp_idset_new();
	char id[32];
	uint32_t ff;
	int64_t fl;
	long i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "006%09ld", i * 7919 % 1000003);
		assert_int_equal(add(s, id, file_of(i), line_of(i), NULL,
		    NULL), 0);
	}
	assert_int_equal(sp_idset_count(s), N);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "006%09ld", i * 7919 % 1000003);
		ff = 9;
		fl = -1;
		assert_int_equal(add(s, id, 3, 1, &ff, &fl), 1);
		assert_int_equal(ff, file_of(i));
		assert_int_equal(fl, line_of(i));
	}
	/* ids never added: none found (no false repeat in 200k x 200k) */
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "007%09ld", i);
		assert_int_equal(find(s, id, NULL, NULL), 0);
	}
	assert_int_equal(sp_idset_count(s), N);
	/* 12-byte slots, at most 4/5 full after the first growth: under
	   18 bytes an id beside the 4096 tables' minimum */
	assert_true(sp_idset_bytes(s) < (size_t)N * 18 + 4096 * 8 * 12 +
	    100000);
	sp_idset_free(s);
}

/* Two sets share an id or do not; either way round. */
static void
test_overlap(void **state)
{
	sp_idset *a = sp_idset_new(), *b = sp_idset_new();
	char id[32];
	long i;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(sp_idset_overlap(a, b), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "A%ld", i);
		assert_int_equal(add(a, id, 0, i + 2, NULL, NULL), 0);
		snprintf(id, sizeof(id), "B%ld", i);
		assert_int_equal(add(b, id, 0, i + 2, NULL, NULL), 0);
	}
	assert_int_equal(sp_idset_overlap(a, b), 0);
	assert_int_equal(sp_idset_overlap(b, a), 0);
	assert_int_equal(add(b, "A4321", 0, 9999, NULL, NULL), 0);
	assert_int_equal(sp_idset_overlap(a, b), 1);
	assert_int_equal(sp_idset_overlap(b, a), 1);
	sp_idset_free(a);
	sp_idset_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_overlap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
