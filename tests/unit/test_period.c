/*
 * Unit tests of period: period expressions, fiscal years, relative periods
 * and --every buckets (include/salespipe/period.h).  Expected boundaries
 * come from the C library's timegm(3) (an oracle independent of
 * lib/field.c and lib/period.c); ISO weeks were checked with python3
 * (date.fromisocalendar) and date(1) (+%G-W%V).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "salespipe/period.h"

/* UTC seconds of y-m-d hh:mm:ss, by timegm(3). */
static int64_t
utc6(int y, int m, int d, int hh, int mm, int ss)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return (int64_t)timegm(&tm);
}

static int64_t
utc(int y, int m, int d)
{
	return utc6(y, m, d, 0, 0, 0);
}

static sp_calendar
cal_at(int64_t now, int fiscal_start)
{
	sp_calendar c;

	c.now = now;
	c.fiscal_start = fiscal_start;
	return c;
}

/* 2026-11-26T10:00:00Z, a Thursday (python3: date(2026,11,26).weekday()
 * == 3), in ISO week 2026-W48 (date -u -d 2026-11-26 +%G-W%V). */
#define NOW	utc6(2026, 11, 26, 10, 0, 0)

static void
check_span(const char *expr, const sp_calendar *c, int64_t start,
    int64_t end, const char *label)
{
	sp_period p;
	sp_error e;

	sp_err_clear(&e);
	memset(&p, 0, sizeof p);
	if (sp_period_parse(expr, c, &p, &e) != 0)
		fail_msg("period_parse('%s') failed: %s", expr, e.msg);
	if (p.start != start || p.end != end)
		fail_msg("period_parse('%s') = [%lld, %lld), want [%lld, %lld)",
		    expr, (long long)p.start, (long long)p.end,
		    (long long)start, (long long)end);
	if (label != NULL && strcmp(p.label, label) != 0)
		fail_msg("period_parse('%s') label '%s', want '%s'", expr,
		    p.label, label);
}

static void
check_bad(const char *expr, const sp_calendar *c)
{
	sp_period p;
	sp_error e;

	sp_err_clear(&e);
	if (sp_period_parse(expr, c, &p, &e) != -1)
		fail_msg("period_parse('%s') accepted: [%lld, %lld)", expr,
		    (long long)p.start, (long long)p.end);
	if (e.msg[0] == '\0')
		fail_msg("period_parse('%s') failed without a message", expr);
	if (expr[0] != '\0' && strstr(e.msg, expr) == NULL)
		fail_msg("period_parse('%s'): message '%s' does not name it",
		    expr, e.msg);
}

/* ---- absolute periods ---- */

static void
test_parse_year_quarter_month_day(void **state)
{
	sp_calendar c = cal_at(NOW, 1);

	(void)state;
	check_span("2026", &c, utc(2026, 1, 1), utc(2027, 1, 1), "2026");
	check_span("2026-Q1", &c, utc(2026, 1, 1), utc(2026, 4, 1), "2026-Q1");
	check_span("2026-Q2", &c, utc(2026, 4, 1), utc(2026, 7, 1), "2026-Q2");
	check_span("2026-Q3", &c, utc(2026, 7, 1), utc(2026, 10, 1), "2026-Q3");
	check_span("2026-Q4", &c, utc(2026, 10, 1), utc(2027, 1, 1), "2026-Q4");
	check_span("2026-11", &c, utc(2026, 11, 1), utc(2026, 12, 1), "2026-11");
	check_span("2026-12", &c, utc(2026, 12, 1), utc(2027, 1, 1), "2026-12");
	check_span("2024-02", &c, utc(2024, 2, 1), utc(2024, 3, 1), "2024-02");
	check_span("2026-11-26", &c, utc(2026, 11, 26), utc(2026, 11, 27),
	    "2026-11-26");
	check_span("2024-02-29", &c, utc(2024, 2, 29), utc(2024, 3, 1),
	    "2024-02-29");
	check_span("2026-12-31", &c, utc(2026, 12, 31), utc(2027, 1, 1),
	    "2026-12-31");
	check_span("1969", &c, utc(1969, 1, 1), utc(1970, 1, 1), "1969");
}

static void
test_parse_iso_weeks(void **state)
{
	sp_calendar c = cal_at(NOW, 1);

	(void)state;
	/* date.fromisocalendar(2026, 48, 1) = 2026-11-23 */
	check_span("2026-W48", &c, utc(2026, 11, 23), utc(2026, 11, 30),
	    "2026-W48");
	/* date.fromisocalendar(2026, 1, 1) = 2025-12-29 */
	check_span("2026-W01", &c, utc(2025, 12, 29), utc(2026, 1, 5),
	    "2026-W01");
	/* date.fromisocalendar(2020, 53, 1) = 2020-12-28 */
	check_span("2020-W53", &c, utc(2020, 12, 28), utc(2021, 1, 4),
	    "2020-W53");
	/*
	 * 2026 starts on a Thursday, so it HAS 53 ISO weeks: python3
	 * date(2026,12,28).isocalendar().week == 53, date -u -d 2026-12-31
	 * +%G-W%V = 2026-W53.  2026-W53 = 2026-12-28 .. 2027-01-03.
	 */
	check_span("2026-W53", &c, utc(2026, 12, 28), utc(2027, 1, 4),
	    "2026-W53");
	/* 2025 and 2027 have 52 (date(y,12,28).isocalendar().week) */
	check_bad("2025-W53", &c);
	check_bad("2027-W53", &c);
	check_bad("2026-W54", &c);
	check_bad("2026-W00", &c);
}

static void
test_parse_bad(void **state)
{
	sp_calendar c = cal_at(NOW, 1);

	(void)state;
	check_bad("", &c);
	check_bad("bogus", &c);
	check_bad("2026-Q0", &c);
	check_bad("2026-Q5", &c);
	check_bad("2026-13", &c);
	check_bad("2026-00", &c);
	check_bad("2026-02-30", &c);
	check_bad("2023-02-29", &c);
	check_bad("2026-11-26x", &c);
	check_bad("FY", &c);
	check_bad("FY2027-Q5", &c);
	check_bad("this-decade", &c);
	check_bad("2026..", &c);
	check_bad("..2026", &c);
	check_bad("2026..bogus", &c);
}

/* ---- fiscal years ---- */

static void
test_parse_fiscal(void **state)
{
	sp_calendar c = cal_at(NOW, 2);

	(void)state;
	/* fiscal_start 2: FY2027 (named by the year it ends in) is
	 * 2026-02-01 .. 2027-02-01 */
	check_span("FY2027", &c, utc(2026, 2, 1), utc(2027, 2, 1), "FY2027");
	check_span("FY2027-Q1", &c, utc(2026, 2, 1), utc(2026, 5, 1),
	    "FY2027-Q1");
	check_span("FY2027-Q2", &c, utc(2026, 5, 1), utc(2026, 8, 1),
	    "FY2027-Q2");
	check_span("FY2027-Q3", &c, utc(2026, 8, 1), utc(2026, 11, 1),
	    "FY2027-Q3");
	check_span("FY2027-Q4", &c, utc(2026, 11, 1), utc(2027, 2, 1),
	    "FY2027-Q4");
	/* without FY, quarters and years stay calendar ones */
	check_span("2026-Q4", &c, utc(2026, 10, 1), utc(2027, 1, 1), "2026-Q4");
	check_span("2026", &c, utc(2026, 1, 1), utc(2027, 1, 1), "2026");
}

static void
test_parse_fiscal_other_starts(void **state)
{
	sp_calendar jan = cal_at(NOW, 1), oct = cal_at(NOW, 10),
	    dec = cal_at(NOW, 12);

	(void)state;
	/* fiscal_start 1: FY2026 is the calendar year 2026 */
	check_span("FY2026", &jan, utc(2026, 1, 1), utc(2027, 1, 1), "FY2026");
	check_span("FY2026-Q4", &jan, utc(2026, 10, 1), utc(2027, 1, 1),
	    "FY2026-Q4");
	/* fiscal_start 10 (US federal): FY2027 = 2026-10-01 .. 2027-10-01 */
	check_span("FY2027", &oct, utc(2026, 10, 1), utc(2027, 10, 1),
	    "FY2027");
	check_span("FY2027-Q2", &oct, utc(2027, 1, 1), utc(2027, 4, 1),
	    "FY2027-Q2");
	/* fiscal_start 12: FY2027-Q1 = 2026-12 .. 2027-03 */
	check_span("FY2027-Q1", &dec, utc(2026, 12, 1), utc(2027, 3, 1),
	    "FY2027-Q1");
	check_span("FY2027-Q4", &dec, utc(2027, 9, 1), utc(2027, 12, 1),
	    "FY2027-Q4");
}

/* ---- ranges ---- */

static void
test_parse_ranges(void **state)
{
	sp_calendar c = cal_at(NOW, 1), f = cal_at(NOW, 2);

	(void)state;
	/* both ends inclusive */
	check_span("2026-01-01..2026-03-31", &c, utc(2026, 1, 1),
	    utc(2026, 4, 1), NULL);
	check_span("2026-11-26..2026-11-26", &c, utc(2026, 11, 26),
	    utc(2026, 11, 27), NULL);
	check_span("2026-Q1..2026-Q2", &c, utc(2026, 1, 1), utc(2026, 7, 1),
	    NULL);
	check_span("2025..2026", &c, utc(2025, 1, 1), utc(2027, 1, 1), NULL);
	check_span("2026-02..2026-W48", &c, utc(2026, 2, 1), utc(2026, 11, 30),
	    NULL);
	check_span("FY2027-Q1..FY2027-Q2", &f, utc(2026, 2, 1), utc(2026, 8, 1),
	    NULL);
	/* relative ends: 2026-11-01 .. end of today (2026-11-26) */
	check_span("2026-11-01..today", &c, utc(2026, 11, 1), utc(2026, 11, 27),
	    NULL);
}

/* ---- relative periods ---- */

static void
test_relative_days_weeks_months(void **state)
{
	sp_calendar c = cal_at(NOW, 1);

	(void)state;
	check_span("today", &c, utc(2026, 11, 26), utc(2026, 11, 27), NULL);
	check_span("yesterday", &c, utc(2026, 11, 25), utc(2026, 11, 26), NULL);
	/* ISO weeks start on Monday: 2026-11-23 */
	check_span("this-week", &c, utc(2026, 11, 23), utc(2026, 11, 30), NULL);
	check_span("last-week", &c, utc(2026, 11, 16), utc(2026, 11, 23), NULL);
	check_span("next-week", &c, utc(2026, 11, 30), utc(2026, 12, 7), NULL);
	check_span("this-month", &c, utc(2026, 11, 1), utc(2026, 12, 1), NULL);
	check_span("last-month", &c, utc(2026, 10, 1), utc(2026, 11, 1), NULL);
	check_span("next-month", &c, utc(2026, 12, 1), utc(2027, 1, 1), NULL);
}

static void
test_relative_quarters_years(void **state)
{
	sp_calendar c = cal_at(NOW, 1);

	(void)state;
	check_span("this-quarter", &c, utc(2026, 10, 1), utc(2027, 1, 1), NULL);
	check_span("last-quarter", &c, utc(2026, 7, 1), utc(2026, 10, 1), NULL);
	check_span("next-quarter", &c, utc(2027, 1, 1), utc(2027, 4, 1), NULL);
	check_span("this-year", &c, utc(2026, 1, 1), utc(2027, 1, 1), NULL);
	check_span("last-year", &c, utc(2025, 1, 1), utc(2026, 1, 1), NULL);
	check_span("next-year", &c, utc(2027, 1, 1), utc(2028, 1, 1), NULL);
}

/* To-date periods start at the start of the year/quarter/month.  Their end
 * is not pinned by the header ("now" or the end of today both make sense):
 * accept either. */
static void
check_to_date(const char *expr, const sp_calendar *c, int64_t start)
{
	sp_period p;
	sp_error e;
	int64_t tomorrow = utc(2026, 11, 27);

	sp_err_clear(&e);
	if (sp_period_parse(expr, c, &p, &e) != 0)
		fail_msg("period_parse('%s') failed: %s", expr, e.msg);
	if (p.start != start)
		fail_msg("%s: start %lld, want %lld", expr, (long long)p.start,
		    (long long)start);
	if (p.end != c->now && p.end != tomorrow && p.end != c->now + 1)
		fail_msg("%s: end %lld, want now or end of today", expr,
		    (long long)p.end);
}

static void
test_relative_to_date(void **state)
{
	sp_calendar c = cal_at(NOW, 1), f = cal_at(NOW, 2);

	(void)state;
	check_to_date("ytd", &c, utc(2026, 1, 1));
	check_to_date("qtd", &c, utc(2026, 10, 1));
	check_to_date("mtd", &c, utc(2026, 11, 1));
	/* fiscal_start 2: the fiscal year FY2027 began 2026-02-01, its Q4
	 * 2026-11-01 */
	check_to_date("ytd", &f, utc(2026, 2, 1));
	check_to_date("qtd", &f, utc(2026, 11, 1));
	check_to_date("mtd", &f, utc(2026, 11, 1));
}

static void
test_relative_fiscal(void **state)
{
	sp_calendar f = cal_at(NOW, 2);

	(void)state;
	/* now is in FY2027-Q4 = 2026-11-01 .. 2027-02-01 */
	check_span("this-quarter", &f, utc(2026, 11, 1), utc(2027, 2, 1), NULL);
	check_span("last-quarter", &f, utc(2026, 8, 1), utc(2026, 11, 1), NULL);
	check_span("next-quarter", &f, utc(2027, 2, 1), utc(2027, 5, 1), NULL);
	check_span("this-year", &f, utc(2026, 2, 1), utc(2027, 2, 1), NULL);
	check_span("last-year", &f, utc(2025, 2, 1), utc(2026, 2, 1), NULL);
	check_span("next-year", &f, utc(2027, 2, 1), utc(2028, 2, 1), NULL);
	/* months and weeks are not fiscal */
	check_span("this-month", &f, utc(2026, 11, 1), utc(2026, 12, 1), NULL);
	check_span("this-week", &f, utc(2026, 11, 23), utc(2026, 11, 30), NULL);
}

static void
test_relative_fiscal_january(void **state)
{
	/* now 2026-01-15 with fiscal_start 2: still FY2026 (2025-02..2026-02),
	 * its Q4 = 2025-11-01 .. 2026-02-01 */
	sp_calendar f = cal_at(utc6(2026, 1, 15, 12, 0, 0), 2);

	(void)state;
	check_span("this-year", &f, utc(2025, 2, 1), utc(2026, 2, 1), NULL);
	check_span("this-quarter", &f, utc(2025, 11, 1), utc(2026, 2, 1), NULL);
	check_span("next-quarter", &f, utc(2026, 2, 1), utc(2026, 5, 1), NULL);
}

static void
test_relative_year_boundaries(void **state)
{
	/* now 2026-01-15: last-month and last-quarter cross into 2025 */
	sp_calendar c = cal_at(utc6(2026, 1, 15, 12, 0, 0), 1);
	/* now 2026-12-31T23:59:59Z: next-* cross into 2027 */
	sp_calendar d = cal_at(utc6(2026, 12, 31, 23, 59, 59), 1);
	/* now 2026-03-01T00:00:00Z exactly; yesterday is 2026-02-28 */
	sp_calendar m = cal_at(utc(2026, 3, 1), 1);
	/* 2026-11-23T00:00:00Z, a Monday at midnight; 2026-11-29T23:59:59Z a
	 * Sunday (python3 weekday() 0 and 6) */
	sp_calendar mon = cal_at(utc(2026, 11, 23), 1);
	sp_calendar sun = cal_at(utc6(2026, 11, 29, 23, 59, 59), 1);
	/* 2021-01-01 is a Friday in ISO week 2020-W53 */
	sp_calendar w53 = cal_at(utc6(2021, 1, 1, 8, 0, 0), 1);

	(void)state;
	check_span("last-month", &c, utc(2025, 12, 1), utc(2026, 1, 1), NULL);
	check_span("last-quarter", &c, utc(2025, 10, 1), utc(2026, 1, 1), NULL);
	check_span("yesterday", &c, utc(2026, 1, 14), utc(2026, 1, 15), NULL);
	check_span("today", &d, utc(2026, 12, 31), utc(2027, 1, 1), NULL);
	check_span("next-month", &d, utc(2027, 1, 1), utc(2027, 2, 1), NULL);
	check_span("next-quarter", &d, utc(2027, 1, 1), utc(2027, 4, 1), NULL);
	check_span("yesterday", &m, utc(2026, 2, 28), utc(2026, 3, 1), NULL);
	check_span("last-month", &m, utc(2026, 2, 1), utc(2026, 3, 1), NULL);
	check_span("this-week", &mon, utc(2026, 11, 23), utc(2026, 11, 30),
	    NULL);
	check_span("this-week", &sun, utc(2026, 11, 23), utc(2026, 11, 30),
	    NULL);
	check_span("this-week", &w53, utc(2020, 12, 28), utc(2021, 1, 4), NULL);
	check_span("last-week", &w53, utc(2020, 12, 21), utc(2020, 12, 28),
	    NULL);
}

/* ---- every ---- */

static void
test_every_parse(void **state)
{
	(void)state;
	assert_int_equal(sp_every_parse("day"), SP_EVERY_DAY);
	assert_int_equal(sp_every_parse("week"), SP_EVERY_WEEK);
	assert_int_equal(sp_every_parse("month"), SP_EVERY_MONTH);
	assert_int_equal(sp_every_parse("quarter"), SP_EVERY_QUARTER);
	assert_int_equal(sp_every_parse("year"), SP_EVERY_YEAR);
	assert_int_equal(sp_every_parse("fortnight"), -1);
	assert_int_equal(sp_every_parse(""), -1);
	assert_int_equal(sp_every_parse("months"), -1);
}

static void
check_bucket(int64_t t, int every, const sp_calendar *c, int64_t start,
    int64_t end, const char *label)
{
	sp_period p;

	memset(&p, 0, sizeof p);
	sp_period_bucket(t, every, c, &p);
	if (p.start != start || p.end != end || strcmp(p.label, label) != 0)
		fail_msg("period_bucket(%lld, %d) = [%lld, %lld) '%s', "
		    "want [%lld, %lld) '%s'", (long long)t, every,
		    (long long)p.start, (long long)p.end, p.label,
		    (long long)start, (long long)end, label);
	assert_true(sp_period_contains(&p, t));
}

static void
test_bucket_calendar(void **state)
{
	sp_calendar c = cal_at(NOW, 1);
	int64_t t = NOW;

	(void)state;
	check_bucket(t, SP_EVERY_DAY, &c, utc(2026, 11, 26), utc(2026, 11, 27),
	    "2026-11-26");
	check_bucket(t, SP_EVERY_WEEK, &c, utc(2026, 11, 23), utc(2026, 11, 30),
	    "2026-W48");
	check_bucket(t, SP_EVERY_MONTH, &c, utc(2026, 11, 1), utc(2026, 12, 1),
	    "2026-11");
	check_bucket(t, SP_EVERY_QUARTER, &c, utc(2026, 10, 1), utc(2027, 1, 1),
	    "2026-Q4");
	check_bucket(t, SP_EVERY_YEAR, &c, utc(2026, 1, 1), utc(2027, 1, 1),
	    "2026");
}

static void
test_bucket_fiscal(void **state)
{
	sp_calendar f = cal_at(NOW, 2);
	int64_t t = NOW;

	(void)state;
	check_bucket(t, SP_EVERY_QUARTER, &f, utc(2026, 11, 1), utc(2027, 2, 1),
	    "FY2027-Q4");
	check_bucket(t, SP_EVERY_YEAR, &f, utc(2026, 2, 1), utc(2027, 2, 1),
	    "FY2027");
	/* 2026-02-01T00:00:00Z opens FY2027-Q1; one second before is FY2026 */
	check_bucket(utc(2026, 2, 1), SP_EVERY_QUARTER, &f, utc(2026, 2, 1),
	    utc(2026, 5, 1), "FY2027-Q1");
	check_bucket(utc(2026, 2, 1) - 1, SP_EVERY_QUARTER, &f,
	    utc(2025, 11, 1), utc(2026, 2, 1), "FY2026-Q4");
	check_bucket(utc(2026, 2, 1) - 1, SP_EVERY_YEAR, &f, utc(2025, 2, 1),
	    utc(2026, 2, 1), "FY2026");
	/* months, weeks and days are not fiscal */
	check_bucket(t, SP_EVERY_MONTH, &f, utc(2026, 11, 1), utc(2026, 12, 1),
	    "2026-11");
	check_bucket(t, SP_EVERY_WEEK, &f, utc(2026, 11, 23), utc(2026, 11, 30),
	    "2026-W48");
}

static void
test_bucket_edges(void **state)
{
	sp_calendar c = cal_at(NOW, 1);

	(void)state;
	/* first second of a quarter, last second of a year */
	check_bucket(utc(2026, 10, 1), SP_EVERY_QUARTER, &c, utc(2026, 10, 1),
	    utc(2027, 1, 1), "2026-Q4");
	check_bucket(utc(2027, 1, 1) - 1, SP_EVERY_YEAR, &c, utc(2026, 1, 1),
	    utc(2027, 1, 1), "2026");
	check_bucket(utc(2027, 1, 1) - 1, SP_EVERY_DAY, &c, utc(2026, 12, 31),
	    utc(2027, 1, 1), "2026-12-31");
	/* ISO weeks across new year: 2027-01-01 is in 2026-W53, 2021-01-03
	 * (a Sunday) in 2020-W53, 2025-12-29 in 2026-W01 (python3
	 * isocalendar) */
	check_bucket(utc6(2027, 1, 1, 12, 0, 0), SP_EVERY_WEEK, &c,
	    utc(2026, 12, 28), utc(2027, 1, 4), "2026-W53");
	check_bucket(utc6(2021, 1, 3, 23, 59, 59), SP_EVERY_WEEK, &c,
	    utc(2020, 12, 28), utc(2021, 1, 4), "2020-W53");
	check_bucket(utc(2025, 12, 29), SP_EVERY_WEEK, &c, utc(2025, 12, 29),
	    utc(2026, 1, 5), "2026-W01");
	/* before the epoch: 1969-12-31T12:00:00Z = -43200 */
	check_bucket(-43200, SP_EVERY_DAY, &c, -86400, 0, "1969-12-31");
	check_bucket(-43200, SP_EVERY_MONTH, &c, utc(1969, 12, 1), 0,
	    "1969-12");
	check_bucket(-43200, SP_EVERY_QUARTER, &c, utc(1969, 10, 1), 0,
	    "1969-Q4");
	/* 1970-01-01 is a Thursday in ISO week 1970-W01, which starts on
	 * 1969-12-29 (python3 date(1970,1,1).isocalendar()) */
	check_bucket(0, SP_EVERY_WEEK, &c, utc(1969, 12, 29), utc(1970, 1, 5),
	    "1970-W01");
	/* leap day */
	check_bucket(utc6(2024, 2, 29, 23, 0, 0), SP_EVERY_MONTH, &c,
	    utc(2024, 2, 1), utc(2024, 3, 1), "2024-02");
}

/* The bucket label parses back as the same period. */
static void
test_bucket_label_round_trip(void **state)
{
	sp_calendar cals[2] = { cal_at(NOW, 1), cal_at(NOW, 2) };
	int every[] = { SP_EVERY_DAY, SP_EVERY_WEEK, SP_EVERY_MONTH,
	    SP_EVERY_QUARTER, SP_EVERY_YEAR };
	int64_t t;
	size_t i, k;
	sp_period b, p;
	sp_error e;

	(void)state;
	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof every / sizeof every[0]; i++)
			for (t = utc(2019, 12, 20); t < utc(2027, 3, 1);
			    t += 86400 * 3 + 3599) {
				sp_period_bucket(t, every[i], &cals[k], &b);
				sp_err_clear(&e);
				if (sp_period_parse(b.label, &cals[k], &p, &e) != 0)
					fail_msg("label '%s': %s", b.label,
					    e.msg);
				if (p.start != b.start || p.end != b.end)
					fail_msg("label '%s' parses to another "
					    "span", b.label);
				assert_true(sp_period_contains(&b, t));
			}
}

static void
test_contains(void **state)
{
	sp_period p;

	(void)state;
	p.start = 10;
	p.end = 20;
	assert_false(sp_period_contains(&p, 9));
	assert_true(sp_period_contains(&p, 10));
	assert_true(sp_period_contains(&p, 19));
	assert_false(sp_period_contains(&p, 20));
}

/* ---- sp_calendar_init ---- */

static void
test_calendar_init(void **state)
{
	sp_calendar c;
	sp_error e;
	time_t before, after;

	(void)state;
	sp_err_clear(&e);
	unsetenv("SALESPIPE_NOW");
	assert_int_equal(sp_calendar_init(&c, "2026-11-26T10:00:00Z", 1, &e), 0);
	/* date -u -d 2026-11-26T10:00:00Z +%s */
	assert_int_equal(c.now, 1795687200);
	assert_int_equal(c.fiscal_start, 1);

	assert_int_equal(sp_calendar_init(&c, "2026-11-26", 2, &e), 0);
	/* date -u -d 2026-11-26 +%s */
	assert_int_equal(c.now, 1795651200);
	assert_int_equal(c.fiscal_start, 2);

	/* $SALESPIPE_NOW when no --now */
	setenv("SALESPIPE_NOW", "2020-02-29T12:00:00Z", 1);
	assert_int_equal(sp_calendar_init(&c, NULL, 1, &e), 0);
	/* date -u -d 2020-02-29T12:00:00Z +%s */
	assert_int_equal(c.now, 1582977600);
	/* --now wins over $SALESPIPE_NOW */
	assert_int_equal(sp_calendar_init(&c, "2026-11-26T10:00:00Z", 1, &e), 0);
	assert_int_equal(c.now, 1795687200);
	unsetenv("SALESPIPE_NOW");

	/* the clock */
	before = time(NULL);
	assert_int_equal(sp_calendar_init(&c, NULL, 1, &e), 0);
	after = time(NULL);
	assert_true(c.now >= (int64_t)before && c.now <= (int64_t)after);

	/* bad now, bad fiscal start */
	sp_err_clear(&e);
	assert_int_equal(sp_calendar_init(&c, "soon", 1, &e), -1);
	assert_true(e.msg[0] != '\0');
	sp_err_clear(&e);
	assert_int_equal(sp_calendar_init(&c, "2026-11-26", 0, &e), -1);
	assert_true(e.msg[0] != '\0');
	sp_err_clear(&e);
	assert_int_equal(sp_calendar_init(&c, "2026-11-26", 13, &e), -1);
	assert_true(e.msg[0] != '\0');
	setenv("SALESPIPE_NOW", "garbage", 1);
	sp_err_clear(&e);
	assert_int_equal(sp_calendar_init(&c, NULL, 1, &e), -1);
	unsetenv("SALESPIPE_NOW");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_year_quarter_month_day),
		cmocka_unit_test(test_parse_iso_weeks),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_fiscal),
		cmocka_unit_test(test_parse_fiscal_other_starts),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test(test_relative_days_weeks_months),
		cmocka_unit_test(test_relative_quarters_years),
		cmocka_unit_test(test_relative_to_date),
		cmocka_unit_test(test_relative_fiscal),
		cmocka_unit_test(test_relative_fiscal_january),
		cmocka_unit_test(test_relative_year_boundaries),
		cmocka_unit_test(test_every_parse),
		cmocka_unit_test(test_bucket_calendar),
		cmocka_unit_test(test_bucket_fiscal),
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_bucket_label_round_trip),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_calendar_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
