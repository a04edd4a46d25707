/*
 * Unit tests of hours, the business-hours clock (include/salespipe/hours.h).
 * Instants are UTC seconds from date -u -d TIME +%s; the expected seconds
 * are counted by hand on a calendar (2026-11-27 is a Friday; in
 * America/New_York daylight saving ends on Sunday 2026-11-01, so the
 * working day is 13:00-21:00Z on Friday 2026-10-30 and 14:00-22:00Z on
 * Monday 2026-11-02).
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

#include "salespipe/field.h"
#include "salespipe/hours.h"

#define FRI_1730	1795800600LL	/* 2026-11-27T17:30:00Z */
#define FRI_1200	1795780800LL	/* 2026-11-27T12:00:00Z */
#define SAT_1200	1795867200LL	/* 2026-11-28T12:00:00Z */
#define SUN_1200	1795953600LL	/* 2026-11-29T12:00:00Z */
#define SUN_1300	1795957200LL	/* 2026-11-29T13:00:00Z */
#define MON_0000	1795996800LL	/* 2026-11-30T00:00:00Z */
#define MON_0800	1796025600LL
#define MON_0930	1796031000LL
#define MON_1000	1796032800LL
#define MON_1100	1796036400LL
#define MON_1200	1796040000LL
#define MON_1400	1796047200LL
#define MON_1800	1796061600LL
#define TUE_0930	1796117400LL	/* 2026-12-01T09:30:00Z */
#define NEXT_MON	1796601600LL	/* 2026-12-07T00:00:00Z */
#define NY_FRI_20Z	1793390400LL	/* 2026-10-30T20:00:00Z, 16:00 EDT */
#define NY_MON_15Z	1793631600LL	/* 2026-11-02T15:00:00Z, 10:00 EST */

static sp_hours *
cal(const char *hours, const char *days, const sp_tz *tz)
{
	sp_error e;
	sp_hours *h;

	sp_err_clear(&e);
	h = sp_hours_new(hours, days, tz, &e);
	if (h == NULL)
		fail_msg("sp_hours_new: %s", e.msg);
	return h;
}

static void
test_default(void **state)
{
	sp_hours *h = cal(NULL, NULL, NULL);

	(void)state;
	/* Friday 17:30 to Monday 09:30: the half hour on Monday */
	assert_int_equal(sp_hours_between(h, FRI_1730, MON_0930), 1800);
	assert_int_equal(sp_hours_between(h, MON_1000, MON_1200), 7200);
	/* before and after the day: the 8 hours */
	assert_int_equal(sp_hours_between(h, MON_0800, MON_1800), 8 * 3600);
	/* a whole week: five days of eight hours */
	assert_int_equal(sp_hours_between(h, MON_0000, NEXT_MON),
	    5 * 8 * 3600);
	/* a weekend is nothing; an empty or backward span is nothing */
	assert_int_equal(sp_hours_between(h, SAT_1200, SUN_1300), 0);
	assert_int_equal(sp_hours_between(h, MON_1200, MON_1200), 0);
	assert_int_equal(sp_hours_between(h, MON_1200, MON_1000), 0);
	assert_int_equal(sp_hours_per_day(h), 8 * 3600);
	sp_hours_free(h);
}

static void
test_holiday(void **state)
{
	sp_hours *h = cal(NULL, NULL, NULL);
	sp_error e;

	(void)state;
	assert_int_equal(sp_hours_add_holiday(h, sp_days_from_civil(2026, 11,
	    30), &e), 0);
	/* Monday off: Friday 17:30 to Tuesday 09:30 is Tuesday's half hour */
	assert_int_equal(sp_hours_between(h, FRI_1730, TUE_0930), 1800);
	assert_int_equal(sp_hours_between(h, MON_0800, MON_1800), 0);
	sp_hours_free(h);
}

static void
test_ranges_and_days(void **state)
{
	sp_hours *h = cal("09:00-12:00,13:00-17:00", NULL, NULL);

	(void)state;
	/* 11:00 to 14:00 with lunch off: 11-12 and 13-14 */
	assert_int_equal(sp_hours_between(h, MON_1100, MON_1400), 7200);
	assert_int_equal(sp_hours_per_day(h), 7 * 3600);
	sp_hours_free(h);
	/* sun-thu wraps round the week: Friday and Saturday off */
	h = cal("00:00-24:00", "sun-thu", NULL);
	assert_int_equal(sp_hours_between(h, FRI_1200, SAT_1200), 0);
	assert_int_equal(sp_hours_between(h, SUN_1200, SUN_1300), 3600);
	/* Saturday noon to Monday 00:00: all of Sunday */
	assert_int_equal(sp_hours_between(h, SAT_1200, MON_0000), 86400);
	sp_hours_free(h);
	/* Friday noon to Monday 10:00 on mon,sat: Saturday's 8 hours and
	   Monday's first */
	h = cal("09:00-17:00", "mon,sat", NULL);
	assert_int_equal(sp_hours_between(h, FRI_1200, MON_1000), 8 * 3600 +
	    3600);
	sp_hours_free(h);
}

static void
test_zone(void **state)
{
	sp_error e;
	sp_tz *z = sp_tz_load("America/New_York", &e);
	sp_hours *h;

	(void)state;
	if (z == NULL)
		fail_msg("tz: %s", e.msg);
	h = cal(NULL, NULL, z);
	/* 16:00 EDT Friday to 10:00 EST Monday: an hour each side */
	assert_int_equal(sp_hours_between(h, NY_FRI_20Z, NY_MON_15Z), 7200);
	/* Monday 08:00-18:00Z is 03:00-13:00 EST: 09:00-13:00 local */
	assert_int_equal(sp_hours_between(h, MON_0800, MON_1800), 4 * 3600);
	sp_hours_free(h);
	sp_tz_free(z);
}

static void
test_bad_specs(void **state)
{
	static const char *const hours[] = { "9-17", "17:00-09:00",
		"09:00-12:00,11:00-13:00", "25:00-26:00", "09:00-17:60",
		"09:00-17:00,", "", "24:00-24:00" };
	static const char *const days[] = { "monday", "xyz", "mon-", "mon,,tue",
		"" };
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hours) / sizeof(hours[0]); i++) {
		sp_err_clear(&e);
		if (sp_hours_new(hours[i], NULL, NULL, &e) != NULL)
			fail_msg("hours '%s' taken", hours[i]);
		assert_non_null(strstr(e.msg, "working hours"));
	}
	for (i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		sp_err_clear(&e);
		if (sp_hours_new(NULL, days[i], NULL, &e) != NULL)
			fail_msg("days '%s' taken", days[i]);
		assert_non_null(strstr(e.msg, "days of the week"));
	}
}

static void
test_holidays_file(void **state)
{
	char path[] = "/tmp/test_hours.XXXXXX";
	static const char good[] = "date,name\n2026-11-30,Closed\n"
	    "2026-12-25,Christmas\n";
	static const char bad[] = "date,name\n2026-11-30,Closed\n"
	    "next monday,Oops\n";
	sp_read_opts ro;
	sp_error e;
	sp_hours *h;
	FILE *fp;
	int fd;

	(void)state;
	memset(&ro, 0, sizeof(ro));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(good, fp);
	fclose(fp);
	h = cal(NULL, NULL, NULL);
	sp_err_clear(&e);
	assert_int_equal(sp_hours_read_holidays(h, path, &ro, NULL, &e), 0);
	assert_int_equal(sp_hours_between(h, FRI_1730, TUE_0930), 1800);
	sp_hours_free(h);
	assert_non_null(fp = fopen(path, "w"));
	fputs(bad, fp);
	fclose(fp);
	h = cal(NULL, NULL, NULL);
	sp_err_clear(&e);
	assert_int_equal(sp_hours_read_holidays(h, path, &ro, NULL, &e), -1);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.field, "date");
	assert_string_equal(e.file, path);
	sp_hours_free(h);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_holiday),
		cmocka_unit_test(test_ranges_and_days),
		cmocka_unit_test(test_zone),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_holidays_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
