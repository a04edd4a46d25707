/*
 * Unit tests of the aggregate engine (include/salespipe/agg.h) with a toy
 * aggregate: per key, a count, an exact money sum and a distribution.
 * The merge laws: adding everything to one table, or splitting the input
 * any way into tables (saved as partial lines and loaded back, or merged
 * directly) and merging them in any order, writes the same bytes.  Hand
 * values: keys "a" {1,2,3}, "b" {10}: a count 3 sum 6.00 median 2, share
 * 3/4 (ratios are written to six decimals).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/group.h"

struct toy {
	int64_t n;
	sp_money_sum sum;
	sp_dist d;
};

enum { T_N, T_SUM, T_MEDIAN, T_SHARE };

static const sp_agg_col toy_cols[] = {
	{ "n", SP_AGG_COUNT },
	{ "sum", SP_AGG_MONEY },
	{ "median", SP_AGG_DURATION },
	{ "share", SP_AGG_RATIO }
};

static int inits, finis;

static void
toy_init(void *ctx, void *p)
{
	struct toy *t = p;

	(void)ctx;
	inits++;
	sp_money_sum_init(&t->sum);
	sp_dist_init(&t->d);
}

static void
toy_fini(void *ctx, void *p)
{
	(void)ctx;
	finis++;
	sp_dist_free(&((struct toy *)p)->d);
}

static int
toy_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct toy *a = into, *b = from;

	(void)ctx;
	a->n += b->n;
	if (sp_money_sum_merge(&a->sum, &b->sum, e) < 0)
		return -1;
	return sp_dist_merge(&a->d, &b->d);
}

static json_t *
toy_save(void *ctx, const void *p)
{
	const struct toy *t = p;

	(void)ctx;
	return json_pack("{s:I,s:o,s:o}", "n", (json_int_t)t->n, "sum",
	    sp_agg_money_save(&t->sum), "d", sp_agg_dist_save(&t->d));
}

static int
toy_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct toy *t = p;
	const json_t *x;

	(void)ctx;
	if ((x = sp_agg_member(v, "n", e)) == NULL ||
	    sp_agg_int_load(&t->n, x, "n", e) < 0 ||
	    (x = sp_agg_member(v, "sum", e)) == NULL ||
	    sp_agg_money_load(&t->sum, x, e) < 0 ||
	    (x = sp_agg_member(v, "d", e)) == NULL)
		return -1;
	return sp_agg_dist_load(&t->d, x, "d", e);
}

static int
toy_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct toy *t = p;
	char b[48];

	(void)ctx;
	sp_agg_set_count(r, T_N, t->n);
	sp_agg_set_money(r, T_SUM, &t->sum);
	if (t->d.n > 0) {
		snprintf(b, sizeof(b), "%.6f", sp_dist_quantile(&t->d, 0.5));
		sp_agg_set(r, T_MEDIAN, b);
	}
	sp_agg_set_ratio(r, T_SHARE, t->n, 4);
	return sp_agg_emit(r, e);
}

static sp_agg toy = { "toy", sizeof(struct toy), toy_init, toy_fini,
	toy_merge, toy_save, toy_load, toy_rows, toy_cols, 4, NULL, NULL, NULL,
	0, NULL, 0 };

/* Add value v (units) under key k ("" allowed) in currency cur. */
static void
toy_add(sp_agg_table *t, const char *k, int64_t v, const char *cur)
{
	struct toy *s = sp_agg_get(t, k, strlen(k));
	sp_error e;

	assert_non_null(s);
	s->n++;
	assert_int_equal(sp_money_sum_add(&s->sum, (sp_money)v *
	    SP_MONEY_UNIT, cur, strlen(cur), &e), 0);
	assert_int_equal(sp_dist_add(&s->d, v), 0);
}

/* The table of aggregate a written as CSV, in a malloc'd string. */
static char *
written_as(const sp_agg *a, sp_agg_table *t, int *mixed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	sp_writer *w = sp_writer_new(fp, SP_FMT_CSV);
	const char *names[] = { "key" };
	sp_error e;

	assert_non_null(w);
	assert_int_equal(sp_agg_columns(a, w, names, 1, 0), 0);
	assert_int_equal(sp_agg_write(t, w, 1, 0, mixed, &e), 0);
	assert_int_equal(sp_writer_finish(w), 0);
	sp_writer_free(w);
	fclose(fp);
	return buf;
}

static char *
written(sp_agg_table *t, int *mixed)
{
	return written_as(&toy, t, mixed);
}

static void
test_hand_values(void **state)
{
	sp_agg_table *t = sp_agg_table_new(&toy);
	int mixed = 0;
	char *out;

	(void)state;
	toy_add(t, "b", 10, "USD");
	toy_add(t, "a", 3, "USD");
	toy_add(t, "a", 1, "USD");
	toy_add(t, "a", 2, "");
	assert_int_equal(sp_agg_count(t), 2);
	out = written(t, &mixed);
	assert_string_equal(out, "key,n,sum,median,share\n"
	    "a,3,6.00,2.000000,0.750000\n"
	    "b,1,10.00,10.000000,0.250000\n");
	assert_int_equal(mixed, 0);
	free(out);
	sp_agg_table_free(t);
}

/* sp_agg_set_ref: the text borrowed for one row; sp_agg_set of the same
 * cell wins over it; the next row starts empty. */
static int
ref_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	(void)ctx;
	(void)p;
	sp_agg_set_count(r, T_N, 1);
	sp_agg_set_ref(r, T_MEDIAN, "ref");
	if (sp_agg_emit(r, e) < 0)
		return -1;
	sp_agg_set_ref(r, T_SUM, "gone");
	sp_agg_set(r, T_SUM, "7");
	if (sp_agg_emit(r, e) < 0)
		return -1;
	return sp_agg_emit(r, e);
}

static void
test_set_ref(void **state)
{
	sp_agg a = toy;
	sp_agg_table *t;
	char *buf;
	int mixed = 0;

	(void)state;
	a.rows = ref_rows;
	assert_non_null(t = sp_agg_table_new(&a));
	assert_non_null(sp_agg_get(t, "a", 1));
	buf = written_as(&a, t, &mixed);
	assert_string_equal(buf, "key,n,sum,median,share\n"
	    "a,1,,ref,\n"
	    "a,,7,,\n"
	    "a,,,,\n");
	free(buf);
	sp_agg_table_free(t);
}

static void
test_mixed_currency(void **state)
{
	sp_agg_table *t = sp_agg_table_new(&toy);
	int mixed = 0;
	char *out;

	(void)state;
	toy_add(t, "a", 1, "USD");
	toy_add(t, "a", 2, "EUR");
	out = written(t, &mixed);
	assert_string_equal(out, "key,n,sum,median,share\n"
	    "a,2,,1.500000,0.500000\n");
	assert_int_equal(mixed, 1);
	free(out);
	sp_agg_table_free(t);
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t rs = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

/* Save t as partial lines and load them into a new table. */
static sp_agg_table *
round_trip(sp_agg_table *t)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	sp_agg_table *u = sp_agg_table_new(&toy);
	sp_error e;

	assert_int_equal(sp_agg_save(t, fp, 1, 0, &e), 0);
	fclose(fp);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		assert_non_null(j);
		if (sp_agg_load_group(u, j, 1, 0, &e) != 0)
			fail_msg("load: %s", e.msg);
		json_decref(j);
	}
	free(buf);
	return u;
}

static void
test_merge_laws(void **state)
{
	static const char *keys[] = { "a", "b", "", "c\xc3\xa9", "d,e" };
	enum { N = 500 };
	int64_t v[N];
	int k[N];
	size_t i, split, nparts;
	sp_agg_table *whole = sp_agg_table_new(&toy);
	char *want;
	int mixed = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		v[i] = (int64_t)(rnd() % 100000) - 20000;
		k[i] = (int)(rnd() % 5);
		toy_add(whole, keys[k[i]], v[i], "EUR");
	}
	want = written(whole, &mixed);
	for (split = 0; split < 40; split++) {
		sp_agg_table *parts[64], *into;
		size_t order[64];
		char *got;
		sp_error e;

		nparts = 1 + rnd() % 64;
		for (i = 0; i < nparts; i++) {
			parts[i] = sp_agg_table_new(&toy);
			order[i] = i;
		}
		/* contiguous chunks or a scatter, alternately */
		for (i = 0; i < N; i++)
			toy_add(parts[split % 2 ? rnd() % nparts :
			    i * nparts / N], keys[k[i]], v[i], "EUR");
		/* merge in a shuffled order, every other part through the
		   partial format */
		for (i = nparts; i > 1; i--) {
			size_t j = rnd() % i, t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		into = sp_agg_table_new(&toy);
		for (i = 0; i < nparts; i++) {
			sp_agg_table *p = parts[order[i]];
			if (i % 2) {
				sp_agg_table *q = round_trip(p);
				sp_agg_table_free(p);
				p = q;
			}
			assert_int_equal(sp_agg_merge(into, p, &e), 0);
			assert_int_equal(sp_agg_count(p), 0);
			sp_agg_table_free(p);
		}
		got = written(into, &mixed);
		assert_string_equal(got, want);
		free(got);
		sp_agg_table_free(into);
	}
	free(want);
	sp_agg_table_free(whole);
	/* every state made was finished once */
	assert_int_equal(inits, finis);
}

static void
test_load_refuses(void **state)
{
	sp_agg_table *t = sp_agg_table_new(&toy);
	json_error_t je;
	sp_error e;
	json_t *j;

	(void)state;
	j = json_loads("{\"group\":[\"a\",\"b\"],\"state\":{}}", 0, &je);
	assert_int_equal(sp_agg_load_group(t, j, 1, 0, &e), -1);
	assert_non_null(strstr(e.msg, "has 2 values"));
	json_decref(j);
	j = json_loads("{\"group\":[\"a\"],\"state\":{\"n\":1,\"sum\":"
	    "{\"v\":\"1.5\",\"currency\":\"\"},\"d\":[1]}}", 0, &je);
	assert_int_equal(sp_agg_load_group(t, j, 1, 0, &e), -1);
	assert_string_equal(e.field, "v");
	json_decref(j);
	j = json_loads("{\"group\":[\"a\"],\"period\":\"2026-Q1\","
	    "\"state\":{}}", 0, &je);
	assert_int_equal(sp_agg_load_group(t, j, 1, 0, &e), -1);
	assert_string_equal(e.field, "period");
	json_decref(j);
	assert_int_equal(sp_agg_count(t), 0);
	sp_agg_table_free(t);
}

/* The period column is named by period_col ("period" when NULL), between
 * the -g columns and the aggregate's; the key's last part fills it. */
static void
test_period_col(void **state)
{
	static const char key[] = "a\0" "2026-01";
	const char *names[] = { "key" };
	sp_agg cohort = toy;
	sp_agg_table *t;
	char *buf = NULL;
	size_t len = 0, i;
	int mixed = 0;
	sp_error e;

	(void)state;
	cohort.period_col = "cohort";
	for (i = 0; i < 2; i++) {
		const sp_agg *a = i == 0 ? &cohort : &toy;
		FILE *fp = open_memstream(&buf, &len);
		sp_writer *w = sp_writer_new(fp, SP_FMT_CSV);
		struct toy *s;

		assert_non_null(w);
		t = sp_agg_table_new(a);
		s = sp_agg_get(t, key, sizeof(key) - 1);
		assert_non_null(s);
		s->n = 1;
		assert_int_equal(sp_agg_columns(a, w, names, 1, 1), 0);
		assert_int_equal(sp_agg_write(t, w, 1, 1, &mixed, &e), 0);
		assert_int_equal(sp_writer_finish(w), 0);
		sp_writer_free(w);
		fclose(fp);
		assert_string_equal(buf, i == 0 ?
		    "key,cohort,n,sum,median,share\n"
		    "a,2026-01,1,0.00,,0.250000\n" :
		    "key,period,n,sum,median,share\n"
		    "a,2026-01,1,0.00,,0.250000\n");
		free(buf);
		buf = NULL;
		sp_agg_table_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_values),
		cmocka_unit_test(test_set_ref),
		cmocka_unit_test(test_mixed_currency),
		cmocka_unit_test(test_merge_laws),
		cmocka_unit_test(test_load_refuses),
		cmocka_unit_test(test_period_col),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
