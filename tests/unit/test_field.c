/*
 * Unit tests of field: money, probabilities, times, durations, ratios
 * (include/salespipe/field.h).  Expected values were worked out by hand,
 * with python3 (datetime, fractions) or with date(1); see the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "salespipe/field.h"

/* ---- sp_money_parse: micro-units ---- */

static void
money_ok_fmt(const char *s, const sp_numfmt *nf, int64_t want)
{
	sp_error e;
	int64_t got = -42;

	sp_err_clear(&e);
	if (sp_money_parse_fmt(s, strlen(s), nf, &got, &e) != 0)
		fail_msg("money_parse('%s') failed: %s", s, e.msg);
	if (got != want)
		fail_msg("money_parse('%s') = %lld, want %lld", s,
		    (long long)got, (long long)want);
}

static void
money_ok(const char *s, int64_t want)
{
	money_ok_fmt(s, NULL, want);
}

static void
money_bad_fmt(const char *s, const sp_numfmt *nf)
{
	sp_error e;
	int64_t got = -42;

	sp_err_clear(&e);
	if (sp_money_parse_fmt(s, strlen(s), nf, &got, &e) != -1)
		fail_msg("money_parse('%s') accepted (= %lld)", s,
		    (long long)got);
	if (e.msg[0] == '\0')
		fail_msg("money_parse('%s') failed without a message", s);
	if (e.field[0] != '\0')
		fail_msg("money_parse('%s') set field '%s' (left for the caller)",
		    s, e.field);
}

static void
money_bad(const char *s)
{
	money_bad_fmt(s, NULL);
}

static void
test_money_parse_ok(void **state)
{
	(void)state;
	money_ok("0", 0);
	money_ok("12", 12000000);
	money_ok("12.3", 12300000);
	money_ok("12.30", 12300000);
	money_ok("0.05", 50000);
	money_ok("0.5", 500000);
	money_ok("-12.34", -12340000);
	money_ok("-0", 0);
	money_ok("-0.00", 0);
	money_ok("+5", 5000000);
	money_ok("007.10", 7100000);
	money_ok(" 12.5 ", 12500000);
	money_ok("\t-3\t", -3000000);
	money_ok("  1234567.89", 1234567890000);
	money_ok(".5", 500000);
	money_ok("5.", 5000000);
	/* the real exports' amounts: exact */
	money_ok("9225.225", 9225225000);
	money_ok("19567.7174", 19567717400);
	money_ok("0.000001", 1);
	money_ok("-0.000001", -1);
	money_ok("12.345678", 12345678);
	/* beyond six decimals: zeros only */
	money_ok("1.2500000", 1250000);
	money_ok("1.000000000000", 1000000);
	money_ok("2.0000010", 2000001);
}

static void
test_money_parse_limits(void **state)
{
	(void)state;
	/* INT64_MAX = 9223372036854775807 micro-units */
	money_ok("9223372036854.775807", INT64_MAX);
	money_ok("-9223372036854.775807", -INT64_MAX);
	/* INT64_MIN is an int64 too */
	money_ok("-9223372036854.775808", INT64_MIN);
	money_bad("9223372036854.775808");
	money_bad("-9223372036854.775809");
	money_bad("9223372036855");
	money_bad("100000000000000000000");
	money_bad("99999999999999999999999999999999");
}

static void
test_money_parse_bad(void **state)
{
	(void)state;
	money_bad("");
	money_bad("   ");
	money_bad("abc");
	money_bad("1,000");
	money_bad("1,000.00");
	money_bad("$12");
	money_bad("12$");
	money_bad("12 USD");
	money_bad("1e3");
	money_bad("12.3.4");
	money_bad("1 2");
	money_bad("- 3");
	money_bad("--3");
	money_bad("-+3");
	money_bad("-");
	money_bad("+");
	money_bad(".");
	money_bad("12.-3");
	money_bad("0x10");
	money_bad("nan");
	money_bad("inf");
	money_bad("1234,56");
	/* a seventh decimal that is not zero: refused, never truncated */
	money_bad("1.0000001");
	money_bad("12.3456785");
	money_bad("0.00000001");
}

static void
test_money_parse_styles(void **state)
{
	sp_numfmt dc = { 1, '\0' }, th = { 0, ',' }, dcsp = { 1, ' ' },
	    apo = { 0, '\'' };

	(void)state;
	/* --decimal-comma: ',' the mark, '.' the thousands */
	money_ok_fmt("1234,56", &dc, 1234560000);
	money_ok_fmt("1.234,56", &dc, 1234560000);
	money_ok_fmt("1.234.567,5", &dc, 1234567500000);
	money_ok_fmt("-0,125", &dc, -125000);
	money_ok_fmt("1.234", &dc, 1234000000);
	money_ok_fmt("12", &dc, 12000000);
	money_bad_fmt("1.5", &dc);	/* not a group of three */
	money_bad_fmt("1234.56", &dc);
	money_bad_fmt("1,234,56", &dc);
	money_bad_fmt("1.23.456", &dc);
	money_bad_fmt(".234,5", &dc);
	/* --thousands , */
	money_ok_fmt("1,234.56", &th, 1234560000);
	money_ok_fmt("1,234,567", &th, 1234567000000);
	money_ok_fmt("123,456.5", &th, 123456500000);
	money_ok_fmt("1234.56", &th, 1234560000);
	money_bad_fmt("12,34.5", &th);
	money_bad_fmt("1234,567", &th);	/* a first group of four */
	money_bad_fmt("1,2345", &th);
	money_bad_fmt("1,234.5,6", &th);
	money_bad_fmt(",123", &th);
	money_bad_fmt("1,", &th);
	/* both */
	money_ok_fmt("1 234 567,89", &dcsp, 1234567890000);
	money_bad_fmt("1.234,5", &dcsp);
	money_ok_fmt("1'234.5", &apo, 1234500000);
}

static void
test_money_parse_message(void **state)
{
	sp_error e;
	int64_t v;
	sp_numfmt dc = { 1, '\0' };

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_money_parse("abc", 3, &v, &e), -1);
	assert_non_null(strstr(e.msg, "abc"));
	assert_non_null(strstr(e.msg, "is not an amount"));
	/* a separator: the message names the options to use */
	sp_err_clear(&e);
	assert_int_equal(sp_money_parse("1,234.56", 8, &v, &e), -1);
	assert_non_null(strstr(e.msg, "--thousands"));
	assert_non_null(strstr(e.msg, "--decimal-comma"));
	sp_err_clear(&e);
	assert_int_equal(sp_money_parse("1.0000001", 9, &v, &e), -1);
	assert_non_null(strstr(e.msg, "six decimals"));
	sp_err_clear(&e);
	assert_int_equal(sp_money_parse_fmt("1.5", 3, &dc, &v, &e), -1);
	assert_non_null(strstr(e.msg, "--decimal-comma"));
}

static void
test_money_parse_uses_n(void **state)
{
	sp_error e;
	int64_t v = 0;
	char buf[8];

	(void)state;
	sp_err_clear(&e);
	/* only the first 5 bytes count */
	assert_int_equal(sp_money_parse("12.34xyz", 5, &v, &e), 0);
	assert_int_equal(v, 12340000);
	/* not NUL-terminated at n */
	memcpy(buf, "7.2599", 6);
	assert_int_equal(sp_money_parse(buf, 3, &v, &e), 0);
	assert_int_equal(v, 7200000);
	assert_int_equal(sp_money_parse("12.3456789", 9, &v, &e), 0);
	assert_int_equal(v, 12345678);
	assert_int_equal(sp_money_parse("12.3456789", 10, &v, &e), -1);
}

/* ---- formatting and rounding ---- */

static void
money_fmt(int64_t cents, const char *want)
{
	char buf[32];

	assert_ptr_equal(sp_money_format_cents(cents, buf), buf);
	assert_string_equal(buf, want);
	assert_ptr_equal(sp_money_format(cents, buf), buf);
	assert_string_equal(buf, want);
}

static void
test_money_format_cents(void **state)
{
	(void)state;
	money_fmt(0, "0.00");
	money_fmt(5, "0.05");
	money_fmt(-5, "-0.05");
	money_fmt(50, "0.50");
	money_fmt(-100, "-1.00");
	money_fmt(123450, "1234.50");
	money_fmt(-123450, "-1234.50");
	money_fmt(INT64_MAX, "92233720368547758.07");
	money_fmt(INT64_MIN, "-92233720368547758.08");
}

/* the exact value of micro-units m, printed (rounded once) */
static void
exact_fmt(int64_t micro, const char *want)
{
	char buf[48];

	assert_ptr_equal(sp_money_format_exact(sp_money_of_micro(micro), buf), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("money_format_exact(%lld micro) = %s, want %s",
		    (long long)micro, buf, want);
}

static void
test_money_format_half_even(void **state)
{
	char buf[48];
	sp_money v;

	(void)state;
	/* ties go to the even cent */
	exact_fmt(125000, "0.12");	/* 0.125 */
	exact_fmt(135000, "0.14");	/* 0.135 */
	exact_fmt(5000, "0.00");	/* 0.005 */
	exact_fmt(15000, "0.02");	/* 0.015 */
	exact_fmt(-125000, "-0.12");
	exact_fmt(-135000, "-0.14");
	exact_fmt(-5000, "0.00");	/* never "-0.00" */
	exact_fmt(-5001, "-0.01");
	/* not a tie: nearest */
	exact_fmt(125001, "0.13");
	exact_fmt(124999, "0.12");
	exact_fmt(9225225000, "9225.22");	/* 9225.225: 2 is even */
	exact_fmt(9225235000, "9225.24");
	exact_fmt(19567717400, "19567.72");
	exact_fmt(0, "0.00");
	exact_fmt(1, "0.00");
	exact_fmt(INT64_MAX, "9223372036854.78");
	exact_fmt(INT64_MIN, "-9223372036854.78");
	/* 0.005 + 0.005 = 0.01 exactly, each alone 0.00 */
	v = sp_money_of_micro(5000) + sp_money_of_micro(5000);
	assert_string_equal(sp_money_format_exact(v, buf), "0.01");
	/* a tie below the micro-unit: 1.0049999999 vs 1.005 */
	v = sp_money_of_micro(1005000) - 1;
	assert_string_equal(sp_money_format_exact(v, buf), "1.00");
	v = sp_money_of_micro(1015000);
	assert_string_equal(sp_money_format_exact(v, buf), "1.02");
	/* divided once: 100.01 x 50% (5000 bp) / 10^4 = 50.005 -> 50.00 */
	v = sp_money_of_micro(100010000) * 5000;
	assert_string_equal(sp_money_format_div(v, 10000, buf), "50.00");
	/* 333.33 x 12.5% = 41.66625 -> 41.67 */
	v = sp_money_of_micro(333330000) * 1250;
	assert_string_equal(sp_money_format_div(v, 10000, buf), "41.67");
	/* 1/3 of 1.00 */
	assert_string_equal(sp_money_format_div(sp_money_of_micro(1000000), 3, buf),
	    "0.33");
	/* a sum of ten million deals of a million each */
	v = sp_money_of_micro(1000000000000) * 10000000;
	assert_string_equal(sp_money_format_exact(v, buf), "10000000000000.00");
	/* the largest values print in 48 bytes */
	v = ~(sp_money)0;
	v = (sp_money)((unsigned __int128)v >> 1);
	sp_money_format_exact(v, buf);
	assert_true(strlen(buf) < 48);
	sp_money_format_exact(-v - 1, buf);
	assert_true(strlen(buf) < 48);
}

static void
test_money_div_even(void **state)
{
	(void)state;
	assert_true(sp_money_div_even(5, 2) == 2);
	assert_true(sp_money_div_even(7, 2) == 4);
	assert_true(sp_money_div_even(-5, 2) == -2);
	assert_true(sp_money_div_even(-7, 2) == -4);
	assert_true(sp_money_div_even(5, -2) == -2);
	assert_true(sp_money_div_even(6, 4) == 2);	/* 1.5 -> 2 */
	assert_true(sp_money_div_even(10, 4) == 2);	/* 2.5 -> 2 */
	assert_true(sp_money_div_even(11, 4) == 3);
	assert_true(sp_money_div_even(0, 7) == 0);
	assert_true(sp_money_div_even(1, 3) == 0);
	assert_true(sp_money_div_even(2, 3) == 1);
}

static void
test_money_micro_text(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(sp_money_format_micro(9225225000, buf), "9225.225");
	assert_string_equal(sp_money_format_micro(19567717400, buf),
	    "19567.7174");
	assert_string_equal(sp_money_format_micro(1200000000, buf), "1200.00");
	assert_string_equal(sp_money_format_micro(1250000, buf), "1.25");
	assert_string_equal(sp_money_format_micro(1200000, buf), "1.20");
	assert_string_equal(sp_money_format_micro(1, buf), "0.000001");
	assert_string_equal(sp_money_format_micro(-3000000, buf), "-3.00");
	assert_string_equal(sp_money_format_micro(0, buf), "0.00");
	assert_string_equal(sp_money_format_micro(INT64_MIN, buf),
	    "-9223372036854.775808");
}

static void
test_money_to_units(void **state)
{
	int64_t c;

	(void)state;
	assert_int_equal(sp_money_to_cents(sp_money_of_micro(125000), &c), 0);
	assert_int_equal(c, 12);
	assert_int_equal(sp_money_to_cents(sp_money_of_micro(-135000), &c), 0);
	assert_int_equal(c, -14);
	assert_int_equal(sp_money_to_micro(sp_money_of_micro(7) * 3 / 2, &c), 0);
	assert_int_equal(c, 10);	/* 10.5 -> 10 */
	assert_int_equal(sp_money_to_micro(SP_MONEY_UNIT * SP_MONEY_UNIT, &c),
	    -1);
	assert_int_equal(sp_money_to_cents(SP_MONEY_UNIT * SP_MONEY_UNIT * 100,
	    &c), -1);
}

static void
test_money_add(void **state)
{
	sp_money a, max = (sp_money)(~(unsigned __int128)0 >> 1);

	(void)state;
	a = 100;
	assert_int_equal(sp_money_add(&a, 250), 0);
	assert_true(a == 350);
	assert_int_equal(sp_money_add(&a, -1000), 0);
	assert_true(a == -650);
	a = max;
	assert_int_equal(sp_money_add(&a, 1), -1);
	assert_true(a == max);
	a = -max - 1;
	assert_int_equal(sp_money_add(&a, -1), -1);
	assert_true(a == -max - 1);
	a = max - 5;
	assert_int_equal(sp_money_add(&a, 5), 0);
	assert_true(a == max);
}

/* ---- money sums ---- */

static void
test_money_sum_currency(void **state)
{
	sp_money_sum s;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	sp_money_sum_init(&s);
	assert_true(s.v == 0);
	assert_string_equal(s.currency, "");
	assert_int_equal(s.mixed, 0);

	/* blank, then a currency: the sum takes it */
	assert_int_equal(sp_money_sum_add(&s, 100, "", 0, &e), 0);
	assert_string_equal(s.currency, "");
	assert_int_equal(sp_money_sum_add(&s, 200, "USD", 3, &e), 0);
	assert_string_equal(s.currency, "USD");
	/* curlen bounds the name; case and blanks do not matter */
	assert_int_equal(sp_money_sum_add(&s, 300, "USDX", 3, &e), 0);
	assert_int_equal(sp_money_sum_add(&s, 400, " usd", 4, &e), 0);
	/* blank matches any */
	assert_int_equal(sp_money_sum_add(&s, 0, "", 0, &e), 0);
	assert_true(s.v == 1000);
	assert_string_equal(s.currency, "USD");
	assert_int_equal(s.mixed, 0);

	/* another currency: the sum is mixed, not an error */
	assert_int_equal(sp_money_sum_add(&s, 5, "EUR", 3, &e), 0);
	assert_int_equal(s.mixed, 1);
	/* and stays so */
	assert_int_equal(sp_money_sum_add(&s, 5, "USD", 3, &e), 0);
	assert_int_equal(s.mixed, 1);
	/* a code too long is an error */
	assert_int_equal(sp_money_sum_add(&s, 5, "DOLLARS!", 8, &e), -1);
}

static void
test_money_sum_overflow(void **state)
{
	sp_money_sum s;
	sp_error e;
	sp_money max = (sp_money)(~(unsigned __int128)0 >> 1);

	(void)state;
	sp_err_clear(&e);
	sp_money_sum_init(&s);
	assert_int_equal(sp_money_sum_add(&s, max, "USD", 3, &e), 0);
	sp_err_clear(&e);
	assert_int_equal(sp_money_sum_add(&s, 1, "USD", 3, &e), -1);
	assert_non_null(strstr(e.msg, "overflows"));
}

static void
test_money_sum_merge(void **state)
{
	sp_money_sum a, b, c, d;
	sp_error e;

	(void)state;
	sp_err_clear(&e);
	sp_money_sum_init(&a);
	sp_money_sum_init(&b);
	sp_money_sum_init(&c);
	sp_money_sum_init(&d);
	assert_int_equal(sp_money_sum_add(&a, 150, "USD", 3, &e), 0);
	assert_int_equal(sp_money_sum_add(&b, 25, "", 0, &e), 0);
	assert_int_equal(sp_money_sum_add(&c, 7, "EUR", 3, &e), 0);

	/* USD + blank */
	assert_int_equal(sp_money_sum_merge(&a, &b, &e), 0);
	assert_true(a.v == 175);
	assert_string_equal(a.currency, "USD");
	/* blank + EUR takes EUR */
	assert_int_equal(sp_money_sum_merge(&b, &c, &e), 0);
	assert_true(b.v == 32);
	assert_string_equal(b.currency, "EUR");
	/* USD + EUR: mixed */
	assert_int_equal(sp_money_sum_merge(&a, &c, &e), 0);
	assert_int_equal(a.mixed, 1);
	/* a mixed sum makes the merge mixed */
	assert_int_equal(sp_money_sum_merge(&d, &a, &e), 0);
	assert_int_equal(d.mixed, 1);
}

static void
test_ratio_text_money(void **state)
{
	char buf[48];
	sp_money big = SP_MONEY_UNIT * SP_MONEY_UNIT * 1000;

	(void)state;
	/* truncated to nine decimals: the writer rounds once */
	assert_string_equal(sp_ratio_text_money(1, 3, buf), "0.333333333");
	assert_string_equal(sp_ratio_text_money(2, 3, buf), "0.666666666");
	assert_string_equal(sp_ratio_text_money(-1, 8, buf), "-0.125000000");
	assert_string_equal(sp_ratio_text_money(5, 0, buf), "");
	/* 53/391 (README's Central), in 10^-15 units */
	assert_string_equal(sp_ratio_text_money(53 * SP_MONEY_UNIT,
	    391 * SP_MONEY_UNIT, buf), "0.135549872");
	/* beyond 1e29 both are scaled down: the ratio holds */
	assert_string_equal(sp_ratio_text_money(big, big * 4, buf),
	    "0.250000000");
	assert_string_equal(sp_ratio_text_money(big * 3, big, buf),
	    "3.000000000");
}

/* ---- sp_prob_parse ---- */

static void
prob_ok(const char *s, int want)
{
	sp_error e;
	int bp = -42;

	sp_err_clear(&e);
	if (sp_prob_parse(s, strlen(s), &bp, &e) != 0)
		fail_msg("prob_parse('%s') failed: %s", s, e.msg);
	if (bp != want)
		fail_msg("prob_parse('%s') = %d, want %d", s, bp, want);
}

static void
prob_bad(const char *s)
{
	sp_error e;
	int bp = -42;

	sp_err_clear(&e);
	if (sp_prob_parse(s, strlen(s), &bp, &e) != -1)
		fail_msg("prob_parse('%s') accepted (= %d)", s, bp);
	if (e.msg[0] == '\0')
		fail_msg("prob_parse('%s') failed without a message", s);
}

static void
test_prob_parse(void **state)
{
	(void)state;
	prob_ok("50", 5000);
	prob_ok("50%", 5000);
	prob_ok("12.5", 1250);
	prob_ok("12.34", 1234);
	prob_ok("12.34%", 1234);
	prob_ok("0.5", 50);
	prob_ok("0", 0);
	prob_ok("0%", 0);
	prob_ok("100", 10000);
	prob_ok("100%", 10000);
	prob_ok("100.00", 10000);

	prob_bad("101");
	prob_bad("100.01");
	prob_bad("-1");
	prob_bad("12.345");
	prob_bad("");
	prob_bad("%");
	prob_bad("50%%");
	prob_bad("%50");
	prob_bad("abc");
	prob_bad("1e1");
	prob_bad("99999999999999999999");
}

/* ---- sp_prob_parse_scale (--probability-scale) ---- */

static void
scale_ok(const char *s, int scale, int want)
{
	sp_error e;
	int bp = -42;

	sp_err_clear(&e);
	if (sp_prob_parse_scale(s, strlen(s), scale, &bp, &e) != 0)
		fail_msg("prob_parse_scale('%s', %d) failed: %s", s, scale,
		    e.msg);
	if (bp != want)
		fail_msg("prob_parse_scale('%s', %d) = %d, want %d", s, scale,
		    bp, want);
}

static void
scale_bad(const char *s, int scale)
{
	sp_error e;
	int bp = -42;

	sp_err_clear(&e);
	if (sp_prob_parse_scale(s, strlen(s), scale, &bp, &e) != -1)
		fail_msg("prob_parse_scale('%s', %d) accepted (= %d)", s, scale,
		    bp);
	if (e.msg[0] == '\0')
		fail_msg("prob_parse_scale('%s', %d) failed without a message",
		    s, scale);
}

static void
test_prob_parse_scale(void **state)
{
	sp_error e;

	(void)state;
	/* scale 100 is sp_prob_parse: 0.4 is 0.4% */
	scale_ok("0.4", 100, 40);
	scale_ok("40", 100, 4000);
	scale_bad("101", 100);
	/* scale 1: HubSpot's 0.4 is 40%, 1 is 100%, four decimals */
	scale_ok("0.4", 1, 4000);
	scale_ok(" 0.4 ", 1, 4000);
	scale_ok("1", 1, 10000);
	scale_ok("1.0000", 1, 10000);
	scale_ok("0", 1, 0);
	scale_ok("0.0001", 1, 1);
	scale_ok("0.1234", 1, 1234);
	scale_ok(".5", 1, 5000);
	scale_bad("1.0001", 1);
	scale_bad("1.5", 1);
	scale_bad("40", 1);		/* a percentage written bare */
	scale_bad("0.12345", 1);	/* finer than 0.01% */
	scale_bad("-0.1", 1);
	scale_bad("", 1);
	scale_bad("abc", 1);
	/* a '%' is a percentage whatever the scale */
	scale_ok("40%", 1, 4000);
	scale_ok("0.4%", 1, 40);
	scale_bad("0.123%", 1);
	scale_bad("101%", 1);
	/* the message names the scale */
	sp_err_clear(&e);
	{
		int bp;
		assert_int_equal(sp_prob_parse_scale("1.5", 3, 1, &bp, &e), -1);
	}
	assert_non_null(strstr(e.msg, "--probability-scale 1"));
}

static void
test_prob_parse_uses_n(void **state)
{
	sp_error e;
	int bp = 0;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_prob_parse("75%xyz", 3, &bp, &e), 0);
	assert_int_equal(bp, 7500);
}

/* ---- sp_time_parse ---- */

static void
time_ok(const char *s, const char *fmt, int64_t want)
{
	sp_error e;
	int64_t t = 0x5a5a;

	sp_err_clear(&e);
	if (sp_time_parse(s, strlen(s), fmt, &t, &e) != 0)
		fail_msg("time_parse('%s') failed: %s", s, e.msg);
	if (t != want)
		fail_msg("time_parse('%s') = %lld, want %lld", s,
		    (long long)t, (long long)want);
}

static void
time_bad(const char *s, const char *fmt)
{
	sp_error e;
	int64_t t = 0;

	sp_err_clear(&e);
	if (sp_time_parse(s, strlen(s), fmt, &t, &e) != -1)
		fail_msg("time_parse('%s') accepted (= %lld)", s, (long long)t);
	if (e.msg[0] == '\0')
		fail_msg("time_parse('%s') failed without a message", s);
}

/* date -u -d 2026-11-26 +%s */
#define D20261126	INT64_C(1795651200)
/* date -u -d 2026-11-26T10:00:00Z +%s */
#define T20261126_10	INT64_C(1795687200)

static void
test_time_parse_iso(void **state)
{
	(void)state;
	time_ok("2026-11-26", NULL, D20261126);
	time_ok("2026-11-26T10:00:00Z", NULL, T20261126_10);
	time_ok("2026-11-26T10:00:00", NULL, T20261126_10);
	time_ok("2026-11-26 10:00:00", NULL, T20261126_10);
	time_ok("2026-11-26 10:00:00Z", NULL, T20261126_10);
	time_ok("2026-11-26T10:00", NULL, T20261126_10);
	time_ok("2026-11-26T10:00Z", NULL, T20261126_10);
	time_ok("2026-11-26 10:00", NULL, T20261126_10);
	/* fractional seconds are dropped (.123 and .000001: no rounding
	 * question) */
	time_ok("2026-11-26T10:00:00.123Z", NULL, T20261126_10);
	time_ok("2026-11-26T10:00:00.000001", NULL, T20261126_10);
	/* date -u -d 2026-11-26T10:30:15Z +%s = 1795689015 */
	time_ok("2026-11-26T10:30:15Z", NULL, INT64_C(1795689015));
	time_ok("2026-11-26T10:30:15.5Z", NULL, INT64_C(1795689015));
	/* thirteen digits: epoch milliseconds (HubSpot), the seconds kept:
	 * 1795687200 s above, x 1000, + 999 ms */
	time_ok("1795687200000", NULL, T20261126_10);
	time_ok("1795687200999", NULL, T20261126_10);
	time_ok(" 1795687200000 ", NULL, T20261126_10);
	time_bad("179568720000", NULL);		/* twelve digits */
	time_bad("17956872000000", NULL);	/* fourteen */
	time_bad("1795687200000.5", NULL);
	time_bad("-795687200000", NULL);
	/* date -u -d 2026-11-26T23:59:59Z +%s */
	time_ok("2026-11-26T23:59:59Z", NULL, INT64_C(1795737599));
	time_ok("2026-11-26T00:00:00Z", NULL, D20261126);
}

static void
test_time_parse_offsets(void **state)
{
	(void)state;
	/* 10:00+05:30 is 04:30Z: date -u -d 2026-11-26T04:30:00Z +%s */
	time_ok("2026-11-26T10:00:00+05:30", NULL, INT64_C(1795667400));
	time_ok("2026-11-26T10:00:00+0530", NULL, INT64_C(1795667400));
	time_ok("2026-11-26T10:00+05:30", NULL, INT64_C(1795667400));
	time_ok("2026-11-26T10:00:00.250+05:30", NULL, INT64_C(1795667400));
	/* 10:00-08 is 18:00Z: date -u -d 2026-11-26T18:00:00Z +%s */
	time_ok("2026-11-26T10:00:00-08", NULL, INT64_C(1795716000));
	time_ok("2026-11-26T10:00:00-08:00", NULL, INT64_C(1795716000));
	time_ok("2026-11-26T10:00:00-0800", NULL, INT64_C(1795716000));
	time_ok("2026-11-26T10:00:00+00:00", NULL, T20261126_10);
	/* an offset crossing midnight backwards: 2026-01-01T01:00+02 is
	 * 2025-12-31T23:00Z: date -u -d 2025-12-31T23:00:00Z +%s */
	time_ok("2026-01-01T01:00:00+02", NULL, INT64_C(1767222000));
}

static void
test_time_parse_calendar(void **state)
{
	(void)state;
	/* date -u -d 2024-02-29 +%s */
	time_ok("2024-02-29", NULL, INT64_C(1709164800));
	/* date -u -d 2000-02-29 +%s (2000 is a leap year: div by 400) */
	time_ok("2000-02-29", NULL, INT64_C(951782400));
	/* before the epoch */
	time_ok("1969-12-31T23:59:59Z", NULL, -1);
	time_ok("1969-12-31", NULL, -86400);
	time_ok("1970-01-01", NULL, 0);

	time_bad("2023-02-29", NULL);
	time_bad("1900-02-29", NULL);	/* 1900 is not a leap year */
	time_bad("2026-02-30", NULL);
	time_bad("2026-04-31", NULL);
	time_bad("2026-13-01", NULL);
	time_bad("2026-00-10", NULL);
	time_bad("2026-01-00", NULL);
	time_bad("2026-01-32", NULL);
	time_bad("2026-11-26T24:00", NULL);
	time_bad("2026-11-26T24:00:00Z", NULL);
	time_bad("2026-11-26T10:60", NULL);
	time_bad("2026-11-26T10:00:61", NULL);
}

/*
 * "YYYY-MM-DDTHH:MM:SSZ" has a read of its own (iso_utc): the same
 * instants as the general way, the same refusals.
 */
static void
test_time_parse_utc_form(void **state)
{
	char s[32], o[40];
	int64_t t, a, b;
	sp_error e;

	(void)state;
	/* date -u -d ... +%s */
	time_ok("2024-02-29T00:00:00Z", NULL, INT64_C(1709164800));
	time_ok("2000-02-29T23:59:59Z", NULL, INT64_C(951868799));
	time_ok("1969-12-31T23:59:59Z", NULL, -1);
	time_ok("9999-12-31T23:59:59Z", NULL, INT64_C(253402300799));
	time_ok("0001-01-01T00:00:00Z", NULL, INT64_C(-62135596800));
	/* a leap second is the end of :59 (2026-11-26T10:00:59Z) */
	time_ok("2026-11-26T10:00:60Z", NULL, INT64_C(1795687259));
	time_bad("2023-02-29T00:00:00Z", NULL);
	time_bad("1900-02-29T00:00:00Z", NULL);
	time_bad("2026-04-31T00:00:00Z", NULL);
	time_bad("2026-00-10T00:00:00Z", NULL);
	time_bad("2026-13-10T00:00:00Z", NULL);
	time_bad("2026-11-26T24:00:00Z", NULL);
	time_bad("2026-11-26T10:60:00Z", NULL);
	time_bad("2026-11-26T10:00:61Z", NULL);
	time_bad("2026-11-26T1a:00:00Z", NULL);
	time_bad("2026-11-26t10:00:00Z", NULL);
	time_bad("2026-11-26T10:00:00z", NULL);
	time_bad("2026+11-26T10:00:00Z", NULL);
	/* one instant a day and a second, 1900 to 2100: read as written and
	   as the general way reads it (another zone spelling) */
	for (t = INT64_C(-2208988800); t < INT64_C(4102444800);
	    t += 86401 * 7 + 3607) {
		sp_time_format(t, s);
		snprintf(o, sizeof(o), "%.19s+00:00", s);
		sp_err_clear(&e);
		if (sp_time_parse(s, strlen(s), NULL, &a, &e) != 0 ||
		    sp_time_parse(o, strlen(o), NULL, &b, &e) != 0)
			fail_msg("'%s' or '%s' refused: %s", s, o, e.msg);
		if (a != t || b != t)
			fail_msg("'%s' = %lld, '%s' = %lld, want %lld", s,
			    (long long)a, o, (long long)b, (long long)t);
	}
}

static void
test_time_parse_bad_syntax(void **state)
{
	(void)state;
	time_bad("", NULL);
	time_bad("   ", NULL);
	time_bad("yesterday", NULL);
	time_bad("2026", NULL);
	time_bad("2026-11", NULL);
	time_bad("2026/11/26", NULL);
	time_bad("26-11-2026", NULL);
	time_bad("2026-11-26x", NULL);
	time_bad("2026-11-26T", NULL);
	time_bad("2026-11-26T10", NULL);
	time_bad("2026-11-26T10:00:00ZZ", NULL);
	time_bad("2026-11-26T10:00:00+", NULL);
	time_bad("2026-11-26T10:00:00+5", NULL);
	time_bad("2026-11-26T10:00:00.", NULL);
	time_bad("2026-11-26T10:00:00 junk", NULL);
	time_bad("2026-11-26X10:00:00", NULL);
	time_bad("3/1/2017", NULL);
}

static void
test_time_parse_uses_n(void **state)
{
	sp_error e;
	int64_t t = 0;

	(void)state;
	sp_err_clear(&e);
	assert_int_equal(sp_time_parse("2026-11-26T10:00:00Z", 10, NULL, &t, &e),
	    0);
	assert_int_equal(t, D20261126);
}

static void
test_time_parse_datefmt(void **state)
{
	(void)state;
	/* date -u -d 2017-03-01 +%s */
	time_ok("3/1/2017", "%m/%d/%Y", INT64_C(1488326400));
	time_ok("03/01/2017", "%m/%d/%Y", INT64_C(1488326400));
	/* date -u -d 2017-03-01T10:30:00Z +%s */
	time_ok("2017-03-01 10:30", "%Y-%m-%d %H:%M", INT64_C(1488364200));
	time_ok("01.03.2017", "%d.%m.%Y", INT64_C(1488326400));
	/* the text must match whole */
	time_bad("3/1/2017x", "%m/%d/%Y");
	time_bad("3/1", "%m/%d/%Y");
	time_bad("13/1/2017", "%m/%d/%Y");
	time_bad("", "%m/%d/%Y");
	time_bad("abc", "%m/%d/%Y");
}

/* ---- sp_days_from_civil / sp_civil_from_days ---- */

static void
test_days_from_civil_points(void **state)
{
	(void)state;
	/* python3: date(y,m,d).toordinal() - date(1970,1,1).toordinal() */
	assert_int_equal(sp_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(sp_days_from_civil(1970, 1, 2), 1);
	assert_int_equal(sp_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(sp_days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(sp_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(sp_days_from_civil(1900, 3, 1), -25508);
	assert_int_equal(sp_days_from_civil(1600, 2, 29), -135081);
	assert_int_equal(sp_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(sp_days_from_civil(9999, 12, 31), 2932896);
	/* 0000-03-01: 306 days before 0001-01-01 (Mar..Dec) */
	assert_int_equal(sp_days_from_civil(0, 3, 1), -719468);
	/* date -u -d 2026-11-26 +%s / 86400 */
	assert_int_equal(sp_days_from_civil(2026, 11, 26), 1795651200 / 86400);
}

static void
test_civil_from_days_points(void **state)
{
	int64_t y;
	int m, d;

	(void)state;
	sp_civil_from_days(0, &y, &m, &d);
	assert_int_equal(y, 1970);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
	sp_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	sp_civil_from_days(11016, &y, &m, &d);
	assert_int_equal(y, 2000);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	sp_civil_from_days(-719468, &y, &m, &d);
	assert_int_equal(y, 0);
	assert_int_equal(m, 3);
	assert_int_equal(d, 1);
	sp_civil_from_days(-719469, &y, &m, &d);	/* year 0 is a leap year */
	assert_int_equal(y, 0);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Walk day by day from year -800 to 10001 (across both of
 * sp_civil_from_days' ways): each day is the next calendar day of the
 * one before, and converting back gives the same count. */
static void
test_civil_round_trip(void **state)
{
	int64_t day, y, py;
	int m, d, pm, pd;

	(void)state;
	day = sp_days_from_civil(-800, 1, 1);
	sp_civil_from_days(day, &py, &pm, &pd);
	assert_int_equal(py, -800);
	assert_int_equal(pm, 1);
	assert_int_equal(pd, 1);
	for (day++; day < sp_days_from_civil(10002, 1, 1); day++) {
		sp_civil_from_days(day, &y, &m, &d);
		if (pd < month_days(py, pm)) {
			if (!(y == py && m == pm && d == pd + 1))
				fail_msg("day %lld", (long long)day);
		} else if (pm < 12) {
			if (!(y == py && m == pm + 1 && d == 1))
				fail_msg("day %lld", (long long)day);
		} else if (!(y == py + 1 && m == 1 && d == 1))
			fail_msg("day %lld", (long long)day);
		if (sp_days_from_civil(y, m, d) != day)
			fail_msg("round trip of day %lld", (long long)day);
		py = y, pm = m, pd = d;
	}
	assert_int_equal(py, 10001);
	assert_int_equal(pm, 12);
	assert_int_equal(pd, 31);
}

/* Against the C library's gmtime_r over +-300000 days around 1970. */
static void
test_civil_vs_gmtime(void **state)
{
	int64_t day, y;
	int m, d;
	struct tm tm;
	time_t t;

	(void)state;
	for (day = -300000; day <= 300000; day += 7) {
		t = (time_t)(day * 86400);
		assert_non_null(gmtime_r(&t, &tm));
		sp_civil_from_days(day, &y, &m, &d);
		if (y != tm.tm_year + 1900 || m != tm.tm_mon + 1 ||
		    d != tm.tm_mday)
			fail_msg("day %lld", (long long)day);
		if (sp_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday) != day)
			fail_msg("days_from_civil of day %lld", (long long)day);
	}
}

/* ---- sp_time_format / sp_date_format ---- */

static void
test_time_format(void **state)
{
	char buf[32], dbuf[16];

	(void)state;
	assert_ptr_equal(sp_time_format(0, buf), buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	sp_time_format(T20261126_10, buf);
	assert_string_equal(buf, "2026-11-26T10:00:00Z");
	sp_time_format(-1, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	/* date -u -d 2000-02-29T23:59:59Z +%s */
	sp_time_format(951868799, buf);
	assert_string_equal(buf, "2000-02-29T23:59:59Z");
	/* date -u -d 2026-11-26T10:30:15Z +%s */
	sp_time_format(1795689015, buf);
	assert_string_equal(buf, "2026-11-26T10:30:15Z");

	assert_ptr_equal(sp_date_format(0, dbuf), dbuf);
	assert_string_equal(dbuf, "1970-01-01");
	sp_date_format(T20261126_10, dbuf);
	assert_string_equal(dbuf, "2026-11-26");
	sp_date_format(-1, dbuf);
	assert_string_equal(dbuf, "1969-12-31");
	sp_date_format(-86400, dbuf);
	assert_string_equal(dbuf, "1969-12-31");
	sp_date_format(-86401, dbuf);
	assert_string_equal(dbuf, "1969-12-30");
	sp_date_format(951868799, dbuf);
	assert_string_equal(dbuf, "2000-02-29");
}

static void
test_time_parse_format_round_trip(void **state)
{
	const char *s[] = {
		"1970-01-01T00:00:00Z", "2000-02-29T12:34:56Z",
		"2026-12-31T23:59:59Z", "1969-07-20T20:17:40Z",
		"2038-01-19T03:14:08Z", "2100-03-01T00:00:00Z",
	};
	char buf[32];
	int64_t t;
	size_t i;
	sp_error e;

	(void)state;
	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		sp_err_clear(&e);
		assert_int_equal(sp_time_parse(s[i], strlen(s[i]), NULL, &t, &e), 0);
		assert_string_equal(sp_time_format(t, buf), s[i]);
	}
}

/* ---- durations, ratios, counts ---- */

static void
test_unit_parse(void **state)
{
	(void)state;
	assert_int_equal(SP_UNIT_DAYS, 0);
	assert_int_equal(sp_unit_parse("days"), SP_UNIT_DAYS);
	assert_int_equal(sp_unit_parse("hours"), SP_UNIT_HOURS);
	assert_int_equal(sp_unit_parse("minutes"), SP_UNIT_MINUTES);
	assert_int_equal(sp_unit_parse("weeks"), -1);
	assert_int_equal(sp_unit_parse(""), -1);
	assert_int_equal(sp_unit_parse("Days"), -1);
}

/* field.h: the singular forms are accepted too. */
static void
test_unit_parse_singular(void **state)
{
	(void)state;
	assert_int_equal(sp_unit_parse("day"), SP_UNIT_DAYS);
	assert_int_equal(sp_unit_parse("hour"), SP_UNIT_HOURS);
	assert_int_equal(sp_unit_parse("minute"), SP_UNIT_MINUTES);
}

static void
dur(double seconds, int unit, const char *want)
{
	char buf[64];

	assert_ptr_equal(sp_duration_format(seconds, unit, buf), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("duration_format(%.17g, %d) = '%s', want '%s'",
		    seconds, unit, buf, want);
}

/* sp_duration_parse: a whole number and a unit; the seconds by hand. */
static void
test_duration_parse(void **state)
{
	static const char *const bad[] = { "", "5", "m", "5x", "5mm", "-5m",
		"0m", "5 m", "1.5h", "999999999999w", "36700d" };
	int64_t s;
	size_t i;

	(void)state;
	assert_int_equal(sp_duration_parse("30s", &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(sp_duration_parse("5m", &s), 0);
	assert_int_equal(s, 300);
	assert_int_equal(sp_duration_parse("24h", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(sp_duration_parse("2d", &s), 0);
	assert_int_equal(s, 172800);
	assert_int_equal(sp_duration_parse("1w", &s), 0);
	assert_int_equal(s, 604800);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sp_duration_parse(bad[i], &s) == 0)
			fail_msg("'%s' taken", bad[i]);
}

static void
test_duration_format(void **state)
{
	(void)state;
	dur(0, SP_UNIT_DAYS, "0.00");
	dur(86400, SP_UNIT_DAYS, "1.00");
	dur(129600, SP_UNIT_DAYS, "1.50");		/* 1.5 days */
	dur(-129600, SP_UNIT_DAYS, "-1.50");
	dur(-9417600, SP_UNIT_DAYS, "-109.00");	/* 109 * 86400 */
	dur(3600, SP_UNIT_HOURS, "1.00");
	dur(5400, SP_UNIT_HOURS, "1.50");
	dur(86400, SP_UNIT_HOURS, "24.00");
	dur(90, SP_UNIT_MINUTES, "1.50");
	dur(86400, SP_UNIT_MINUTES, "1440.00");
	/* 1 s = 1/86400 day = 0.0000115...: rounds to 0.00 */
	dur(1, SP_UNIT_DAYS, "0.00");
	/* 1000 s = 0.011574 day -> 0.01; 1 h 59 s in hours = 1.01638 -> 1.02 */
	dur(1000, SP_UNIT_DAYS, "0.01");
	dur(3659, SP_UNIT_HOURS, "1.02");
}

/* Exact binary halves: printf's round-half-even would give the even
 * neighbour; the contract is half away from zero. */
static void
test_duration_rounding_half_away(void **state)
{
	(void)state;
	/* 10800 s = 0.125 day exactly -> 0.13 (printf "%.2f" gives 0.12) */
	dur(10800, SP_UNIT_DAYS, "0.13");
	dur(-10800, SP_UNIT_DAYS, "-0.13");
	/* 2250 s = 0.625 h exactly -> 0.63 */
	dur(2250, SP_UNIT_HOURS, "0.63");
	dur(-2250, SP_UNIT_HOURS, "-0.63");
	/* 7.5 s = 0.125 min exactly -> 0.13 */
	dur(7.5, SP_UNIT_MINUTES, "0.13");
	dur(-7.5, SP_UNIT_MINUTES, "-0.13");
}

static void
ratio(int64_t num, int64_t den, const char *want)
{
	char buf[32];

	assert_ptr_equal(sp_ratio_format(num, den, buf), buf);
	if (strcmp(buf, want) != 0)
		fail_msg("ratio_format(%lld, %lld) = '%s', want '%s'",
		    (long long)num, (long long)den, buf, want);
}

static void
test_ratio_format(void **state)
{
	(void)state;
	/* python3 fractions.Fraction, rounded to 6 decimals by hand */
	ratio(1, 3, "0.333333");
	ratio(2, 3, "0.666667");
	ratio(1, 7, "0.142857");
	ratio(1, 1, "1.000000");
	ratio(18, 18, "1.000000");
	ratio(0, 5, "0.000000");
	ratio(7, 2, "3.500000");
	ratio(1, 8, "0.125000");
	ratio(12345, 19549, "0.631490");
	ratio(-1, 3, "-0.333333");
	ratio(-2, 3, "-0.666667");
	ratio(999999999999, 1000000000000, "1.000000");
	/* den == 0 */
	ratio(5, 0, "");
	ratio(0, 0, "");
}

/* 7/2000000 = 0.0000035 exactly, but the double nearest it is below the
 * tie (python3: Decimal(7/2e6) = 3.49999...e-06), so printf("%.6f") gives
 * 0.000003.  Exact rounding gives 0.000004 (half-up and half-even agree:
 * the 6th digit 3 is odd).  Likewise 11/2000000 = 0.0000055 -> 0.000006. */
static void
test_ratio_format_exact(void **state)
{
	(void)state;
	ratio(7, 2000000, "0.000004");
	ratio(-7, 2000000, "-0.000004");
	ratio(11, 2000000, "0.000006");
}

/* Operands near INT64_MAX: num * 10^6 overflows int64. */
static void
test_ratio_format_large(void **state)
{
	(void)state;
	ratio(INT64_MAX, INT64_MAX, "1.000000");
	ratio(INT64_MAX / 2, INT64_MAX, "0.500000");
	/* Fraction(9223372036854775807, 3) = 3074457345618258602 + 1/3 */
	ratio(INT64_MAX, 3, "3074457345618258602.333333");
}

static void
test_count_format(void **state)
{
	char buf[24];

	(void)state;
	assert_ptr_equal(sp_count_format(0, buf), buf);
	assert_string_equal(buf, "0");
	sp_count_format(42, buf);
	assert_string_equal(buf, "42");
	sp_count_format(-5, buf);
	assert_string_equal(buf, "-5");
	sp_count_format(1000000, buf);
	assert_string_equal(buf, "1000000");
	sp_count_format(INT64_MAX, buf);
	assert_string_equal(buf, "9223372036854775807");
	sp_count_format(INT64_MIN, buf);
	assert_string_equal(buf, "-9223372036854775808");
}

/*
 * a x k / den exactly, half-to-even: worked by hand, and a product beyond
 * 128 bits (2^100 x 2^40 / 2^60 = 2^80) that the bit-by-bit remainder
 * carries.
 */
static void
test_money_muldiv_even(void **state)
{
	sp_money q;

	(void)state;
	/* 1 x 1 / 8 = 0.125 -> 0; 3 x 1 / 8 = 0.375 -> 0; 5 x 1 / 2 = 2.5 -> 2;
	   7 x 1 / 2 = 3.5 -> 4; 18000 / 366 = 49.18.. -> 49 */
	assert_int_equal(sp_money_muldiv_even(1, 1, 8, &q), 0);
	assert_true(q == 0);
	assert_int_equal(sp_money_muldiv_even(5, 1, 2, &q), 0);
	assert_true(q == 2);
	assert_int_equal(sp_money_muldiv_even(7, 1, 2, &q), 0);
	assert_true(q == 4);
	assert_int_equal(sp_money_muldiv_even(3000, 6, 366, &q), 0);
	assert_true(q == 49);
	/* 1000 x 3 / 8 = 375 exactly; -1000 x 3 / 8 = -375 */
	assert_int_equal(sp_money_muldiv_even(1000, 3, 8, &q), 0);
	assert_true(q == 375);
	assert_int_equal(sp_money_muldiv_even(-1000, 3, 8, &q), 0);
	assert_true(q == -375);
	/* -5 x 1 / 2 = -2.5 -> -2 (even); -7 / 2 = -3.5 -> -4 */
	assert_int_equal(sp_money_muldiv_even(-5, 1, 2, &q), 0);
	assert_true(q == -2);
	assert_int_equal(sp_money_muldiv_even(-7, 1, 2, &q), 0);
	assert_true(q == -4);
	/* 0 x k, and k = 0 */
	assert_int_equal(sp_money_muldiv_even(0, 99, 7, &q), 0);
	assert_true(q == 0);
	assert_int_equal(sp_money_muldiv_even(99, 0, 7, &q), 0);
	assert_true(q == 0);
	/* (2^100 + 1) x 2^40 / 2^60: 2^80 + 2^-20 -> 2^80 */
	assert_int_equal(sp_money_muldiv_even(((sp_money)1 << 100) + 1,
	    (uint64_t)1 << 40, (sp_money)1 << 60, &q), 0);
	assert_true(q == (sp_money)1 << 80);
	/* 3 x (2^63 + 1) / 2 = 13835058055282163713.5 -> ...714 (even) */
	assert_int_equal(sp_money_muldiv_even(3, ((uint64_t)1 << 63) + 1, 2,
	    &q), 0);
	assert_true(q == (sp_money)13835058055282163714ULL);
	/* a quotient beyond 2^127, and den <= 0 */
	assert_int_equal(sp_money_muldiv_even((sp_money)1 << 120,
	    (uint64_t)1 << 10, 1, &q), -1);
	assert_int_equal(sp_money_muldiv_even(1, 1, 0, &q), -1);
}

/* amount x basis points, exact: 1234.5678 at 33.33% and 0.01 at 50% */
static void
test_money_add_weighted(void **state)
{
	sp_money sum = 0, big = (sp_money)(~(unsigned __int128)0 >> 1);
	char b[48];

	(void)state;
	assert_int_equal(sp_money_add_weighted(&sum, sp_money_of_micro(1234567800),
	    3333), 0);
	assert_int_equal(sp_money_add_weighted(&sum, sp_money_of_micro(10000),
	    5000), 0);
	/* 1234.5678 x 3333 = 4114814.4774, + 0.01 x 5000 = 4114864.4774
	   (units x basis points); / 10000 = 411.48644774 */
	assert_true(sum == sp_money_of_micro(INT64_C(4114864477400)));
	assert_string_equal(sp_money_format_div(sum, 10000, b), "411.49");
	/* overflow: refused, sum unchanged */
	assert_int_equal(sp_money_add_weighted(&sum, big, 2), -1);
	assert_string_equal(sp_money_format_div(sum, 10000, b), "411.49");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_parse_ok),
		cmocka_unit_test(test_money_parse_limits),
		cmocka_unit_test(test_money_parse_bad),
		cmocka_unit_test(test_money_parse_message),
		cmocka_unit_test(test_money_parse_uses_n),
		cmocka_unit_test(test_money_parse_styles),
		cmocka_unit_test(test_money_format_cents),
		cmocka_unit_test(test_money_format_half_even),
		cmocka_unit_test(test_money_div_even),
		cmocka_unit_test(test_money_micro_text),
		cmocka_unit_test(test_money_to_units),
		cmocka_unit_test(test_ratio_text_money),
		cmocka_unit_test(test_money_add),
		cmocka_unit_test(test_money_sum_currency),
		cmocka_unit_test(test_money_sum_overflow),
		cmocka_unit_test(test_money_sum_merge),
		cmocka_unit_test(test_prob_parse),
		cmocka_unit_test(test_prob_parse_scale),
		cmocka_unit_test(test_prob_parse_uses_n),
		cmocka_unit_test(test_time_parse_iso),
		cmocka_unit_test(test_time_parse_offsets),
		cmocka_unit_test(test_time_parse_calendar),
		cmocka_unit_test(test_time_parse_utc_form),
		cmocka_unit_test(test_time_parse_bad_syntax),
		cmocka_unit_test(test_time_parse_uses_n),
		cmocka_unit_test(test_time_parse_datefmt),
		cmocka_unit_test(test_days_from_civil_points),
		cmocka_unit_test(test_civil_from_days_points),
		cmocka_unit_test(test_civil_round_trip),
		cmocka_unit_test(test_civil_vs_gmtime),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_parse_format_round_trip),
		cmocka_unit_test(test_unit_parse),
		cmocka_unit_test(test_unit_parse_singular),
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_duration_rounding_half_away),
		cmocka_unit_test(test_ratio_format),
		cmocka_unit_test(test_ratio_format_exact),
		cmocka_unit_test(test_ratio_format_large),
		cmocka_unit_test(test_count_format),
		cmocka_unit_test(test_money_muldiv_even),
		cmocka_unit_test(test_money_add_weighted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
