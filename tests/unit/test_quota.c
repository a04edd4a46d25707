/*
 * Unit tests of quota (include/salespipe/quota.h): the quota file of
 * forecast and scorecard, whom each quota is for, exact spans, sums, and
 * the errors that name file, line and field.  Expected values by hand.
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

#include "salespipe/period.h"
#include "salespipe/quota.h"

static const char *
tmpfile_with(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/test_quota_XXXXXX");
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

static sp_calendar
cal(void)
{
	sp_calendar c;

	memset(&c, 0, sizeof(c));
	c.now = 1790000000;	/* 2026-09-22 */
	c.fiscal_start = 1;
	return c;
}

static sp_period
period(const char *s)
{
	sp_calendar c = cal();
	sp_period p;
	sp_error e;

	assert_int_equal(sp_period_parse(s, &c, &p, &e), 0);
	return p;
}

/* Read text as a quota file: 0 or -1 (e). */
static int
read_text(sp_quotas *q, const char *text, sp_error *e)
{
	const char *name = tmpfile_with(text);
	sp_calendar c = cal();
	sp_read_opts ro;
	int rc;

	memset(&ro, 0, sizeof(ro));
	sp_err_clear(e);
	rc = sp_quotas_read(q, name, &ro, &c, e);
	unlink(name);
	return rc;
}

static void
test_kinds_and_sums(void **state)
{
	sp_quotas q;
	sp_error e;
	sp_period q2 = period("2026-Q2"), apr = period("2026-04");
	int has;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(read_text(&q, "owner,team,territory,period,amount\n"
	    "ann,,,2026-Q2,1000.50\n"
	    "ann,,,2026-04-01..2026-06-30,200\n"
	    "bob,,,2026-Q2,300\n"
	    ",East,,2026-Q2,5000\n"
	    ",,NA,2026-04,70\n", &e), 0);
	assert_int_equal(q.n, 5);
	/* a range with the quarter's ends is the quarter: the two add up */
	assert_true(sp_quota_of(&q, SP_QUOTA_OWNER, "ann", q2.start, q2.end,
	    &has) == sp_money_of_micro(1200500000));
	assert_int_equal(has, 1);
	/* every owner: ann 1200.50 + bob 300 */
	assert_true(sp_quota_of(&q, SP_QUOTA_OWNER, NULL, q2.start, q2.end,
	    &has) == sp_money_of_micro(1500500000));
	/* a quarter's quota is not a month's */
	assert_true(sp_quota_of(&q, SP_QUOTA_OWNER, "ann", apr.start, apr.end,
	    &has) == 0);
	assert_int_equal(has, 0);
	assert_true(sp_quota_of(&q, SP_QUOTA_TEAM, "East", q2.start, q2.end,
	    &has) == sp_money_of_micro(5000000000));
	assert_int_equal(has, 1);
	/* a team's row is not an owner's */
	sp_quota_of(&q, SP_QUOTA_OWNER, "East", q2.start, q2.end, &has);
	assert_int_equal(has, 0);
	assert_true(sp_quota_of(&q, SP_QUOTA_TERRITORY, "NA", apr.start,
	    apr.end, &has) == sp_money_of_micro(70000000));
	assert_int_equal(sp_quota_named(&q, SP_QUOTA_TEAM, "East"), 1);
	assert_int_equal(sp_quota_named(&q, SP_QUOTA_TEAM, "West"), 0);
	sp_quotas_free(&q);
	assert_int_equal(q.n, 0);
}

/* forecast's files: an owner column only, an owner left empty */
static void
test_owner_only(void **state)
{
	sp_quotas q;
	sp_error e;
	sp_period q4 = period("2026-Q4");
	int has;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(read_text(&q, "{\"owner\":\"ann\",\"period\":\"2026-Q4\","
	    "\"amount\":\"10\"}\n{\"period\":\"2026-Q4\",\"amount\":\"5\"}\n",
	    &e), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.v[1].kind, SP_QUOTA_OWNER);
	assert_string_equal(q.v[1].name, "");
	assert_true(sp_quota_of(&q, SP_QUOTA_OWNER, NULL, q4.start, q4.end,
	    &has) == sp_money_of_micro(15000000));
	sp_quotas_free(&q);
}

static void
test_errors(void **state)
{
	sp_quotas q;
	sp_error e;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(read_text(&q, "owner,team,period,amount\n"
	    "ann,,2026-Q2,1\nann,East,2026-Q2,1\n", &e), -1);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.field, "team");
	assert_non_null(strstr(e.msg, "names owner 'ann' too"));
	sp_quotas_free(&q);

	assert_int_equal(read_text(&q, "owner,period,amount\nann,,1\n", &e),
	    -1);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.field, "period");
	assert_string_equal(e.msg, "missing");
	sp_quotas_free(&q);

	assert_int_equal(read_text(&q, "owner,period,amount\nann,2026-Q9,1\n",
	    &e), -1);
	assert_string_equal(e.field, "period");
	sp_quotas_free(&q);

	assert_int_equal(read_text(&q, "owner,period,amount\nann,2026,1.5x\n",
	    &e), -1);
	assert_string_equal(e.field, "amount");
	assert_non_null(strstr(e.msg, "'1.5x' is not an amount"));
	sp_quotas_free(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_sums),
		cmocka_unit_test(test_owner_only),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
