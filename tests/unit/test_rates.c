/*
 * Unit tests of rates (include/salespipe/rates.h): parsing rates, the rate
 * in force at a time, and the errors that name the currency and the file.
 * Expected values by hand.
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
#include "salespipe/rates.h"

/* Write text to a fresh temporary file; returns its name (static). */
static const char *
tmpfile_with(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/test_rates_XXXXXX");
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

static int64_t
at(const char *iso)
{
	sp_error e;
	int64_t t;

	assert_int_equal(sp_time_parse(iso, strlen(iso), NULL, &t, &e), 0);
	return t;
}

static void
test_rate_parse(void **state)
{
	sp_error e;
	int64_t r;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_rate_parse("0.000244", 8, &r, &e), 0);
	assert_int_equal(r, 244000);
	assert_int_equal(sp_rate_parse("1.10", 4, &r, &e), 0);
	assert_int_equal(r, 1100000000);
	assert_int_equal(sp_rate_parse(" 4100 ", 6, &r, &e), 0);
	assert_int_equal(r, 4100000000000);
	assert_int_equal(sp_rate_parse("0.123456789", 11, &r, &e), 0);
	assert_int_equal(r, 123456789);
	assert_int_equal(sp_rate_parse("0.1234567890000", 15, &r, &e), 0);
	assert_int_equal(r, 123456789);
	assert_int_equal(sp_rate_parse("0.1234567891", 12, &r, &e), -1);
	assert_non_null(strstr(e.msg, "nine decimals"));
	assert_int_equal(sp_rate_parse("0", 1, &r, &e), -1);
	assert_int_equal(sp_rate_parse("-1", 2, &r, &e), -1);
	assert_int_equal(sp_rate_parse("1,5", 3, &r, &e), -1);
	assert_int_equal(sp_rate_parse("", 0, &r, &e), -1);
	assert_int_equal(sp_rate_parse("99999999999", 11, &r, &e), -1);
}

static void
test_rates_dated(void **state)
{
	const char *f = tmpfile_with("currency,rate,from\n"
	    "eur,1.10,2026-10-01\n"
	    "EUR,1.08,2026-01-01\n"
	    "GBP,1.25,\n"
	    "USD,1,\n");
	sp_error e;
	sp_rates *rs;
	int64_t r;

	(void)state;
	sp_err_clear(&e);
	rs = sp_rates_load(f, "usd", &e);
	unlink(f);
	assert_non_null(rs);
	assert_string_equal(sp_rates_target(rs), "USD");
	assert_int_equal(sp_rates_dated(rs), 1);
	/* the latest from on or before the time, whatever the row order */
	assert_int_equal(sp_rates_find(rs, "EUR", 3, at("2026-10-15"), &r, &e), 0);
	assert_int_equal(r, 1100000000);
	assert_int_equal(sp_rates_find(rs, "EUR", 3, at("2026-10-01"), &r, &e), 0);
	assert_int_equal(r, 1100000000);
	assert_int_equal(sp_rates_find(rs, "Eur", 3, at("2026-09-30T23:59:59Z"),
	    &r, &e), 0);
	assert_int_equal(r, 1080000000);
	/* before the first from: no rate in force, naming date and file */
	sp_err_clear(&e);
	assert_int_equal(sp_rates_find(rs, "EUR", 3, at("2025-12-31"), &r, &e),
	    -1);
	assert_string_equal(e.field, "currency");
	assert_non_null(strstr(e.msg, "EUR"));
	assert_non_null(strstr(e.msg, "2025-12-31"));
	assert_non_null(strstr(e.msg, "test_rates_"));
	/* undated: always */
	assert_int_equal(sp_rates_find(rs, "GBP", 3, at("1990-01-01"), &r, &e), 0);
	assert_int_equal(r, 1250000000);
	/* the target and a blank currency: 1 */
	assert_int_equal(sp_rates_find(rs, "usd", 3, 0, &r, &e), 0);
	assert_int_equal(r, SP_RATE_UNIT);
	assert_int_equal(sp_rates_find(rs, "  ", 2, 0, &r, &e), 0);
	assert_int_equal(r, SP_RATE_UNIT);
	/* a currency with no row */
	sp_err_clear(&e);
	assert_int_equal(sp_rates_find(rs, "COP", 3, 0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "no rate for COP"));
	sp_rates_free(rs);
}

static void
test_rates_no_file(void **state)
{
	sp_error e;
	sp_rates *rs;
	int64_t r;

	(void)state;
	sp_err_clear(&e);
	assert_non_null(rs = sp_rates_load(NULL, "EUR", &e));
	assert_int_equal(sp_rates_find(rs, "eur", 3, 0, &r, &e), 0);
	assert_int_equal(r, SP_RATE_UNIT);
	assert_int_equal(sp_rates_find(rs, "USD", 3, 0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "--rates"));
	sp_rates_free(rs);
	assert_null(sp_rates_load(NULL, "not a code", &e));
}

static void
test_rates_bad_files(void **state)
{
	static const char *const bad[] = {
		"currency,rate\nEUR,abc\n",		/* not a rate */
		"currency,rate\nEUR,\n",		/* missing */
		"currency,rate\n,1.1\n",		/* no currency */
		"currency,rate,from\nEUR,1.1,someday\n",	/* bad from */
		"currency,rate\nEUR,1.1\nEUR,1.2\n",	/* twice, no from */
		"currency,rate,from\nEUR,1.1,2026-01-01\nEUR,1.2,2026-01-01\n",
		"currency,rate\nUSD,1.5\n",		/* the target not 1 */
	};
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *f = tmpfile_with(bad[i]);
		sp_err_clear(&e);
		if (sp_rates_load(f, "USD", &e) != NULL)
			fail_msg("rates file %zu accepted", i);
		assert_true(e.msg[0] != '\0');
		unlink(f);
	}
	sp_err_clear(&e);
	assert_null(sp_rates_load("/nonexistent/rates.csv", "USD", &e));
	assert_true(e.msg[0] != '\0');
}

/* An amount times its rate is exact, and the sum rounds once. */
static void
test_rates_convert_exact(void **state)
{
	char buf[48];
	sp_money a = (sp_money)1000002500 * 1100000000;	/* 1000.0025 x 1.10 */
	sp_money b = (sp_money)200002100 * 1250000000;	/* 200.0021 x 1.25 */

	(void)state;
	assert_string_equal(sp_money_format_exact(a, buf), "1100.00");
	assert_string_equal(sp_money_format_exact(b, buf), "250.00");
	assert_string_equal(sp_money_format_exact(a + b, buf), "1350.01");
	/* the largest amount times the largest rate fits */
	a = (sp_money)INT64_MAX * INT64_MAX;
	assert_true(a > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_parse),
		cmocka_unit_test(test_rates_dated),
		cmocka_unit_test(test_rates_no_file),
		cmocka_unit_test(test_rates_bad_files),
		cmocka_unit_test(test_rates_convert_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
