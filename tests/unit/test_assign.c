/*
 * Unit tests of assign (include/salespipe/assign.h): the conditions of a
 * rule's when, parsed and held; the first rule that holds; the rules and
 * away files with their errors; the fold of a lead history.  Times by
 * hand: 2026-11-26T00:00:00Z is 1795651200.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/assign.h"

#define NOV26 INT64_C(1795651200)
#define DAY 86400

static int
parse(sp_rule *r, const char *when, sp_error *e)
{
	memset(r, 0, sizeof(*r));
	sp_err_clear(e);
	return sp_rule_parse_when(r, when, e);
}

static void
rule_clear(sp_rule *r)
{
	sp_rules rs = { r, 1 };
	sp_rule *copy = malloc(sizeof(*copy));

	/* sp_rules_free frees the array: hand it a copy */
	assert_non_null(copy);
	*copy = *r;
	copy->id = copy->owner = copy->team = copy->territory = NULL;
	rs.v = copy;
	sp_rules_free(&rs);
}

static int
holds(const sp_cond *c, const char *v)
{
	return sp_cond_holds(c, v, v != NULL ? strlen(v) : 0);
}

static void
test_operators(void **state)
{
	sp_rule r;
	sp_error e;

	(void)state;
	assert_int_equal(parse(&r, "state = CA and zip ^= 94 and kind in "
	    "a|b | c and n between 50..500 and x empty and y present", &e), 0);
	assert_int_equal(r.ncond, 6);
	assert_string_equal(r.cond[0].field, "state");
	assert_int_equal(r.cond[0].op, SP_COND_EQ);
	assert_string_equal(r.cond[0].v[0], "CA");
	assert_int_equal(r.cond[1].op, SP_COND_PREFIX);
	assert_string_equal(r.cond[1].v[0], "94");
	assert_int_equal(r.cond[2].op, SP_COND_IN);
	assert_int_equal(r.cond[2].nv, 3);
	assert_string_equal(r.cond[2].v[1], "b");
	assert_string_equal(r.cond[2].v[2], "c");
	assert_int_equal(r.cond[3].op, SP_COND_BETWEEN);
	assert_true(r.cond[3].has_lo && r.cond[3].has_hi);
	assert_int_equal(r.cond[3].lo, 50000000);
	assert_int_equal(r.cond[3].hi, 500000000);
	assert_int_equal(r.cond[4].op, SP_COND_EMPTY);
	assert_int_equal(r.cond[5].op, SP_COND_PRESENT);
	assert_string_equal(r.cond[5].text, "y present");

	/* = and in: trimmed, any case */
	assert_true(holds(&r.cond[0], "CA"));
	assert_true(holds(&r.cond[0], " ca "));
	assert_false(holds(&r.cond[0], "CAL"));
	assert_false(holds(&r.cond[0], NULL));
	assert_true(holds(&r.cond[2], "B"));
	assert_false(holds(&r.cond[2], "a|b"));
	/* ^= */
	assert_true(holds(&r.cond[1], "94107"));
	assert_true(holds(&r.cond[1], "94"));
	assert_false(holds(&r.cond[1], "9"));
	assert_false(holds(&r.cond[1], "1094"));
	/* between: both ends included, numbers only */
	assert_true(holds(&r.cond[3], "50"));
	assert_true(holds(&r.cond[3], "500.000"));
	assert_false(holds(&r.cond[3], "500.01"));
	assert_false(holds(&r.cond[3], "49.999999"));
	assert_false(holds(&r.cond[3], "many"));
	assert_false(holds(&r.cond[3], "1,000"));
	assert_false(holds(&r.cond[3], ""));
	/* empty, present */
	assert_true(holds(&r.cond[4], NULL));
	assert_true(holds(&r.cond[4], "  "));
	assert_false(holds(&r.cond[4], "x"));
	assert_true(holds(&r.cond[5], "x"));
	assert_false(holds(&r.cond[5], ""));
	rule_clear(&r);

	/* open bounds, negative numbers */
	assert_int_equal(parse(&r, "n between -5.5..", &e), 0);
	assert_true(r.cond[0].has_lo && !r.cond[0].has_hi);
	assert_true(holds(&r.cond[0], "-5.5"));
	assert_true(holds(&r.cond[0], "1e9") == 0);
	assert_true(holds(&r.cond[0], "999999999"));
	assert_false(holds(&r.cond[0], "-6"));
	rule_clear(&r);
	assert_int_equal(parse(&r, "n between ..10", &e), 0);
	assert_true(holds(&r.cond[0], "-100"));
	assert_false(holds(&r.cond[0], "10.01"));
	rule_clear(&r);

	/* empty when: no condition */
	assert_int_equal(parse(&r, "   ", &e), 0);
	assert_int_equal(r.ncond, 0);
	rule_clear(&r);
	/* a value with blanks */
	assert_int_equal(parse(&r, "city = New York", &e), 0);
	assert_string_equal(r.cond[0].v[0], "New York");
	rule_clear(&r);
	/* no blanks around = */
	assert_int_equal(parse(&r, "state=CA", &e), 0);
	assert_string_equal(r.cond[0].field, "state");
	assert_string_equal(r.cond[0].v[0], "CA");
	rule_clear(&r);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *when, *msg;
	} bad[] = {
		{ "state =", "'state =': an empty value" },
		{ "state in a||b", "'state in a||b': an empty value" },
		{ "state is CA", "no operator after 'state'" },
		{ "= CA", "does not start with a field name" },
		{ "n between 5", "between takes lo..hi" },
		{ "n between ..", "between needs lo, hi or both" },
		{ "n between a..5", "'a' is not a number" },
		{ "n between 9..1", "the low end is above the high end" },
		{ "x empty now", "nothing may follow 'empty'" },
		{ "state = CA and", "an empty condition next to 'and'" },
		{ "and state = CA", "an empty condition next to 'and'" },
		{ "a present and  and b present", "an empty condition" },
		{ "state ~ CA", "no operator" },
	};
	sp_rule r;
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&r, bad[i].when, &e) != -1 ||
		    strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].when, e.msg,
			    bad[i].msg);
		rule_clear(&r);
	}
}

static const char *
tmpfile_with(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/test_assign_XXXXXX");
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

static int
read_rules(sp_rules *rs, const char *text, sp_error *e)
{
	const char *name = tmpfile_with(text);
	sp_read_opts ro;
	int rc;

	memset(&ro, 0, sizeof(ro));
	memset(rs, 0, sizeof(*rs));
	sp_err_clear(e);
	rc = sp_rules_read(rs, name, &ro, e);
	unlink(name);
	return rc;
}

/* A lead as name=value pairs for sp_rules_first. */
static const char *
get_pair(void *ctx, const char *field, size_t *len)
{
	const char *const *kv = ctx;
	size_t i;

	for (i = 0; kv[i] != NULL; i += 2)
		if (strcmp(kv[i], field) == 0) {
			*len = strlen(kv[i + 1]);
			return kv[i + 1];
		}
	return NULL;
}

static void
test_rules_file(void **state)
{
	sp_rules rs;
	sp_error e;
	const char *ca_big[] = { "state", "CA", "employees", "2000", NULL };
	const char *ca[] = { "state", "CA", NULL };
	const char *ny[] = { "state", "NY", NULL };

	(void)state;
	assert_int_equal(read_rules(&rs,
	    "rule,when,owner,team,how,territory,daily_cap\n"
	    "big,state = CA and employees between 1000..,Zoe,,,Ent,\n"
	    "west,state = CA,,West,least-open,,5\n"
	    "rest,,,East,,East,\n", &e), 0);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.v[0].owner, "Zoe");
	assert_string_equal(rs.v[0].territory, "Ent");
	assert_int_equal(rs.v[1].how, SP_HOW_LEAST_OPEN);
	assert_int_equal(rs.v[1].daily_cap, 5);
	assert_int_equal(rs.v[1].line, 3);
	assert_int_equal(rs.v[2].how, SP_HOW_ROUND_ROBIN);
	assert_int_equal(rs.v[2].ncond, 0);
	/* first match wins */
	assert_int_equal(sp_rules_first(&rs, get_pair, ca_big), 0);
	assert_int_equal(sp_rules_first(&rs, get_pair, ca), 1);
	assert_int_equal(sp_rules_first(&rs, get_pair, ny), 2);
	sp_rules_free(&rs);

	/* weights: named members, the others 1 */
	assert_int_equal(read_rules(&rs, "rule,when,team,weight\n"
	    "w,,West, Ann Berg = 2 |Bo=1000\n", &e), 0);
	assert_int_equal(rs.v[0].nweight, 2);
	assert_int_equal(sp_rule_weight(&rs.v[0], "Ann Berg"), 2);
	assert_int_equal(sp_rule_weight(&rs.v[0], "Bo"), 1000);
	assert_int_equal(sp_rule_weight(&rs.v[0], "Cy"), 1);
	sp_rules_free(&rs);

	/* no catch-all: no match */
	assert_int_equal(read_rules(&rs, "rule,when,owner\nca,state = CA,Ann\n",
	    &e), 0);
	assert_int_equal(sp_rules_first(&rs, get_pair, ny), -1);
	sp_rules_free(&rs);

	/* JSON lines */
	assert_int_equal(read_rules(&rs, "{\"rule\":\"a\",\"when\":\"x present\","
	    "\"owner\":\"Ann\"}\n", &e), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].ncond, 1);
	sp_rules_free(&rs);
}

static void
test_rules_errors(void **state)
{
	static const struct {
		const char *text, *field, *msg;
		long line;
	} bad[] = {
		{ "rule,when,onwer\na,,Ann\n", "onwer", "not a column", 1 },
		{ "rule,when,owner\na,,Ann\na,,Bo\n", "rule", "line 2 too", 3 },
		{ "rule,when,owner\n,,Ann\n", "rule", "missing", 2 },
		{ "rule,when,owner,team\na,,Ann,W\n", "team", "not both", 2 },
		{ "rule,when,owner,team\na,,,\n", "owner", "missing", 2 },
		{ "rule,when,team,how\na,,W,fast\n", "how", "not round-robin",
		  2 },
		{ "rule,when,owner,how\na,,Ann,least-open\n", "how",
		  "how is for team rules", 2 },
		{ "rule,when,owner,daily_cap\na,,Ann,2.5\n", "daily_cap",
		  "whole number", 2 },
		{ "rule,when,owner,daily_cap\na,,Ann,-1\n", "daily_cap",
		  "whole number", 2 },
		{ "rule,when,owner\nok,,Ann\na,x ~ 1,Ann\n", "when",
		  "no operator", 3 },
		{ "rule,when,team,weight\na,,W,Ann=x\n", "weight",
		  "not a whole number from 1 to 1000", 2 },
		{ "rule,when,team,weight\na,,W,Ann=1001\n", "weight",
		  "not a whole number from 1 to 1000", 2 },
		{ "rule,when,team,weight\na,,W,=2\n", "weight",
		  "is not owner=n", 2 },
		{ "rule,when,owner,weight\na,,Ann,Ann=2\n", "weight",
		  "round-robin team rules", 2 },
	};
	sp_rules rs;
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (read_rules(&rs, bad[i].text, &e) != -1 ||
		    strcmp(e.field, bad[i].field) != 0 ||
		    strstr(e.msg, bad[i].msg) == NULL || e.line != bad[i].line)
			fail_msg("case %zu: got %ld '%s' '%s'", i, e.line, e.field,
			    e.msg);
		sp_rules_free(&rs);
	}
}

static void
test_away(void **state)
{
	const char *name = tmpfile_with("owner,from,to\n"
	    "bo,2026-11-20,2026-11-26\n"
	    "cy,2026-11-27,\n"
	    "ann,,2026-11-25\n"
	    "dee,2026-11-26T10:00:00Z,2026-11-26T11:00:00Z\n"
	    "bo,2026-12-24,2026-12-24\n");
	sp_read_opts ro;
	sp_away a;
	sp_error e;

	(void)state;
	memset(&ro, 0, sizeof(ro));
	memset(&a, 0, sizeof(a));
	sp_err_clear(&e);
	assert_int_equal(sp_away_read(&a, name, &ro, NULL, NULL, &e), 0);
	unlink(name);
	assert_int_equal(a.n, 5);
	/* to is a date: the whole day */
	assert_int_equal(sp_away_at(&a, "bo", NOV26), 2);
	assert_int_equal(sp_away_at(&a, "bo", NOV26 + DAY - 1), 2);
	assert_int_equal(sp_away_at(&a, "bo", NOV26 + DAY), 0);
	assert_int_equal(sp_away_at(&a, "bo", NOV26 - 6 * DAY), 2);
	assert_int_equal(sp_away_at(&a, "bo", NOV26 - 6 * DAY - 1), 0);
	assert_int_equal(sp_away_at(&a, "bo", NOV26 + 28 * DAY + 3600), 6);
	/* no to: from on, for ever */
	assert_int_equal(sp_away_at(&a, "cy", NOV26), 0);
	assert_int_equal(sp_away_at(&a, "cy", NOV26 + DAY), 3);
	assert_int_equal(sp_away_at(&a, "cy", NOV26 + 3650 * DAY), 3);
	/* no from */
	assert_int_equal(sp_away_at(&a, "ann", 0), 4);
	assert_int_equal(sp_away_at(&a, "ann", NOV26), 0);
	/* times: both ends included */
	assert_int_equal(sp_away_at(&a, "dee", NOV26 + 36000), 5);
	assert_int_equal(sp_away_at(&a, "dee", NOV26 + 39600), 5);
	assert_int_equal(sp_away_at(&a, "dee", NOV26 + 39601), 0);
	assert_int_equal(sp_away_at(&a, "dee", NOV26 + 35999), 0);
	assert_int_equal(sp_away_at(&a, "eve", NOV26), 0);
	sp_away_free(&a);

	name = tmpfile_with("owner,from,to\nbo,2026-11-27,2026-11-26\n");
	assert_int_equal(sp_away_read(&a, name, &ro, NULL, NULL, &e), -1);
	unlink(name);
	assert_string_equal(e.field, "to");
	assert_int_equal(e.line, 2);
	sp_away_free(&a);
	name = tmpfile_with("owner,from,to\n,2026-11-27,\n");
	assert_int_equal(sp_away_read(&a, name, &ro, NULL, NULL, &e), -1);
	unlink(name);
	assert_string_equal(e.field, "owner");
	sp_away_free(&a);
	name = tmpfile_with("owner,from,to\nbo,soon,\n");
	assert_int_equal(sp_away_read(&a, name, &ro, NULL, NULL, &e), -1);
	unlink(name);
	assert_string_equal(e.field, "from");
	sp_away_free(&a);
}

static void
test_fold(void **state)
{
	static const char text[] =
	    "{\"id\":\"L-1\",\"at\":\"2026-11-20T10:00:00Z\",\"stage\":\"new\","
	    "\"state\":\"CA\"}\n"
	    "{\"id\":\"L-2\",\"at\":\"2026-11-20T10:00:00Z\",\"stage\":\"new\"}\n"
	    "{\"id\":\"L-1\",\"at\":\"2026-11-21T10:00:00Z\",\"owner\":\"Ann\","
	    "\"state\":\"\"}\n"
	    "{\"id\":\"L-1\",\"at\":\"2026-11-22T10:00:00Z\",\"owner\":\"Bo\"}\n"
	    "{\"at\":\"2026-11-22T10:00:00Z\"}\n";
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_leads *ls;
	sp_error e;
	size_t len;
	long line;
	int k, n = 0;

	(void)state;
	memset(&ro, 0, sizeof(ro));
	sp_err_clear(&e);
	assert_non_null(r);
	rd = sp_reader_open_mem(text, strlen(text), "j.jsonl", &ro, &e);
	assert_non_null(rd);
	ls = sp_leads_new(rd);
	assert_non_null(ls);
	while ((k = sp_reader_next(rd, r, &e)) == 1) {
		n++;
		if (n < 5)
			assert_int_equal(sp_leads_add(ls, r, &e), 0);
		else {
			assert_int_equal(sp_leads_add(ls, r, &e), -1);
			assert_string_equal(e.field, "id");
			assert_int_equal(e.line, 5);
		}
	}
	assert_int_equal(n, 5);
	assert_int_equal(sp_leads_count(ls), 2);
	/* latest non-empty value: an empty state changes nothing */
	assert_string_equal(sp_leads_get(ls, 0, "owner", &len), "Bo");
	assert_int_equal(len, 2);
	assert_string_equal(sp_leads_get(ls, 0, "state", NULL), "CA");
	assert_string_equal(sp_leads_get(ls, 0, "at", NULL),
	    "2026-11-22T10:00:00Z");
	assert_null(sp_leads_get(ls, 1, "owner", &len));
	assert_int_equal(len, 0);
	assert_null(sp_leads_get(ls, 1, "no_such_field", NULL));
	assert_string_equal(sp_leads_place(ls, 1, &line), "j.jsonl");
	assert_int_equal(line, 2);
	sp_leads_free(ls);
	sp_reader_close(rd);
	sp_rec_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_rules_file),
		cmocka_unit_test(test_rules_errors),
		cmocka_unit_test(test_away),
		cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
