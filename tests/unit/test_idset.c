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
	return sp_idset_add(s, &k, id, strlen(id), file, line, ff, fl);
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

/*
 * With a budget: the set spills to disk and stays within it.  Budget
 * 1 MiB (the least): the first spill comes after about 52k ids (384 KiB
 * of 8-slot tables, then 12-byte slots at most 4/5 full: 1 MiB holds
 * 60k ids at most), so 200k ids spill at least 3 times.
 */
#define BUDGET ((size_t)1 << 20)

static void
id_of(char *id, size_t n, long i)
{
	snprintf(id, n, "006%09ld", i * 7919 % 1000003);
}

/* Repeats in memory, across runs, between a run and memory, three
 * times: each found where it can be, each named at its first place. */
static void
test_spill_repeats(void **state)
{
	sp_idset *s = sp_idset_new(), *v[1];
	sp_idrepeat rep[4];
	char id[32];
	uint32_t ff;
	int64_t fl;
	long i, nspill_at = -1;
	long long k;

	(void)state;
	assert_non_null(s);
	sp_idset_set_budget(s, BUDGET);
	for (i = 0; i < N; i++) {
		id_of(id, sizeof(id), i);
		assert_int_equal(add(s, id, file_of(i), line_of(i), NULL,
		    NULL), 0);
		assert_true(sp_idset_bytes(s) <= BUDGET);
		if (nspill_at < 0 && sp_idset_spilled(s))
			nspill_at = i;
	}
	/* the first spill: past 30k ids, and before 60k */
	assert_true(nspill_at > 30000 && nspill_at < 60000);
	assert_int_equal(sp_idset_count(s), N);
	/* the last id is in memory: a repeat found at once, at its place */
	id_of(id, sizeof(id), N - 1);
	ff = 9;
	fl = -1;
	assert_int_equal(add(s, id, 3, 1000001, &ff, &fl), 1);
	assert_int_equal(ff, file_of(N - 1));
	assert_int_equal(fl, line_of(N - 1));
	/* the first id was spilled: not in memory, so added again (a
	   repeat between a run and memory, found by the check) */
	id_of(id, sizeof(id), 0);
	assert_int_equal(find(s, id, NULL, NULL), 0);
	assert_int_equal(add(s, id, 3, 1000002, NULL, NULL), 0);
	/* a third time: now in memory, and named at its first place, in
	   the spilled run (file 0, line 2), not at line 1000002 */
	ff = 9;
	fl = -1;
	assert_int_equal(add(s, id, 3, 1000003, &ff, &fl), 1);
	assert_int_equal(ff, 0);
	assert_int_equal(fl, 2);
	/* spill what is in memory (the runs are 60k ids or less): id 1000
	   then comes again in a later run (a repeat across two runs) */
	for (i = 0; i < 70000; i++) {
		snprintf(id, sizeof(id), "X%ld", i);
		assert_int_equal(add(s, id, 4, 10 + i, NULL, NULL), 0);
	}
	id_of(id, sizeof(id), 1000);
	assert_int_equal(find(s, id, NULL, NULL), 0);
	assert_int_equal(add(s, id, 4, 200000, NULL, NULL), 0);
	assert_true(sp_idset_bytes(s) <= BUDGET);
	/* the check: two repeats (line 1000002 of file 3 and line 200000
	   of file 4) that no add saw, named at their first places; the
	   id at 1000003 was refused, so never added */
	v[0] = s;
	memset(rep, 0, sizeof(rep));
	k = sp_idset_check(v, 1, BUDGET, rep, 4);
	assert_int_equal(k, 2);
	assert_int_equal(rep[0].file, 3);
	assert_int_equal(rep[0].line, 1000002);
	assert_int_equal(rep[0].ffile, 0);
	assert_int_equal(rep[0].fline, 2);
	id_of(id, sizeof(id), 0);
	assert_int_equal(rep[0].idlen, strlen(id));
	assert_memory_equal(rep[0].id, id, strlen(id));
	assert_int_equal(rep[1].file, 4);
	assert_int_equal(rep[1].line, 200000);
	assert_int_equal(rep[1].ffile, file_of(1000));
	assert_int_equal(rep[1].fline, line_of(1000));
	id_of(id, sizeof(id), 1000);
	assert_memory_equal(rep[1].id, id, strlen(id));
	/* checked: the set is empty, a second check finds nothing */
	assert_int_equal(sp_idset_spilled(s), 0);
	assert_int_equal(sp_idset_check(v, 1, BUDGET, rep, 4), 0);
	sp_idset_free(s);
}

/*
 * 200k distinct ids with the least budget: no false repeat, in memory or
 * after; and merged in passes (a 64 KiB check merges 3 runs at a time).
 * Then the same ids with every 1000th listed again: each found, the
 * earliest ones first, the count exact.
 */
static void
test_spill_distinct(void **state)
{
	sp_idset *s, *v[1];
	sp_idrepeat rep[10];
	char id[32];
	long i, pass, late = 0;
	long long k;
	uint32_t ff;
	int64_t fl;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		assert_non_null(s = sp_idset_new());
		sp_idset_set_budget(s, 1);	/* taken as the least */
		for (i = 0; i < N; i++) {
			id_of(id, sizeof(id), i);
			assert_int_equal(add(s, id, 0, 2 + i, NULL, NULL), 0);
		}
		/* pass 1: ids 0, 1000, 2000 ... again, from line N + 2 on:
		   those still in memory refused at once (at their place),
		   the spilled ones taken, to be found by the check */
		for (i = 0, late = 0; pass == 1 && i < N; i += 1000) {
			id_of(id, sizeof(id), i);
			if (find(s, id, NULL, NULL)) {
				assert_int_equal(add(s, id, 0, N + 2 + i / 1000,
				    &ff, &fl), 1);
				assert_int_equal(fl, 2 + i);
				continue;
			}
			assert_int_equal(add(s, id, 0, N + 2 + i / 1000, NULL,
			    NULL), 0);
			late++;
		}
		assert_true(sp_idset_bytes(s) <= BUDGET);
		assert_int_equal(sp_idset_spilled(s), 1);
		v[0] = s;
		k = sp_idset_check(v, 1, (size_t)64 << 10, rep, 10);
		if (pass == 0) {
			assert_int_equal(k, 0);
		} else {
			/* at least the first spill's (past 30k ids) */
			assert_true(late >= 30 && late < N / 1000);
			assert_int_equal(k, late);
			for (i = 0; i < 10; i++) {
				assert_int_equal(rep[i].line, N + 2 + i);
				assert_int_equal(rep[i].fline, 2 + 1000 * i);
			}
		}
		sp_idset_free(s);
	}
}

/* Parts of one input (threads): a repeat across two sets, one of them
 * never spilled, is found; its first place is in the earlier set. */
static void
test_spill_sets(void **state)
{
	sp_idset *a = sp_idset_new(), *b = sp_idset_new(), *v[2];
	sp_idrepeat rep[2];
	char id[32];
	long i;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	sp_idset_set_budget(a, BUDGET);
	sp_idset_set_budget(b, BUDGET);
	for (i = 0; i < 100000; i++) {
		id_of(id, sizeof(id), i);
		assert_int_equal(add(a, id, 0, 2 + i, NULL, NULL), 0);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "B%ld", i);
		assert_int_equal(add(b, id, 0, 100002 + i, NULL, NULL), 0);
	}
	assert_int_equal(sp_idset_spilled(a), 1);
	assert_int_equal(sp_idset_spilled(b), 0);
	id_of(id, sizeof(id), 5);
	assert_int_equal(add(b, id, 0, 200000, NULL, NULL), 0);
	v[0] = a;
	v[1] = b;
	assert_int_equal(sp_idset_check(v, 2, BUDGET, rep, 2), 1);
	assert_int_equal(rep[0].set, 1);
	assert_int_equal(rep[0].line, 200000);
	assert_int_equal(rep[0].fset, 0);
	assert_int_equal(rep[0].fline, 7);
	/* b never spilled before the check: its ids were not logged */
	assert_int_equal(rep[0].idlen, 0);
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
		cmocka_unit_test(test_spill_repeats),
		cmocka_unit_test(test_spill_distinct),
		cmocka_unit_test(test_spill_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
