/*
 * Unit tests of util (include/salespipe/util.h): the display escape
 * shared by error messages and table/md output, and the edit distance.
 * Expected values worked out by hand from the contract in util.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "salespipe/util.h"

static void
esc_is(const char *in, const char *want)
{
	char *got = sp_escape(in);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("sp_escape: got '%s', want '%s'", got, want);
	free(got);
}

static void
test_escape(void **state)
{
	(void)state;
	esc_is("plain ascii", "plain ascii");
	esc_is("caf\xc3\xa9 \xe6\x9d\xb1", "caf\xc3\xa9 \xe6\x9d\xb1");
	esc_is("a\x1b[2Jb", "a\\x1b[2Jb");		/* CSI */
	esc_is("\x1b]0;t\x07", "\\x1b]0;t\\x07");	/* OSC, BEL */
	esc_is("t\tn\nr\r", "t\\x09n\\x0ar\\x0d");
	esc_is("del\x7f", "del\\x7f");
	esc_is("c1\xc2\x9b", "c1\\u009b");		/* U+009B CSI */
	esc_is("\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0");
	esc_is("x\xe2\x80\xaey", "x\\u202ey");		/* RLO */
	esc_is("\xe2\x80\x8e\xe2\x80\x8f", "\\u200e\\u200f");
	esc_is("\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069");
	esc_is("\xd8\x9c", "\\u061c");			/* ARABIC LETTER MARK */
	esc_is("\xe2\x80\xa8", "\\u2028");
	esc_is("\xe2\x80\xa9\xe2\x80\xaa", "\\u2029\\u202a");
	esc_is("\xe2\x80\xaf", "\xe2\x80\xaf");		/* U+202F is shown */
	esc_is("bad\xff\xf3x", "bad\\xff\\xf3x");	/* not UTF-8 */
	esc_is("\xe2\x80", "\\xe2\\x80");		/* cut short */
	esc_is("back\\slash", "back\\slash");
	esc_is("", "");
}

static void
test_escape_char(void **state)
{
	char esc[SP_ESCAPE_MAX];

	(void)state;
	assert_int_equal(sp_escape_char("\xe2\x80\xaez", 4, esc), 3);
	assert_string_equal(esc, "\\u202e");
	assert_int_equal(sp_escape_char("\xc3\xa9", 2, esc), 2);
	assert_string_equal(esc, "");
	assert_int_equal(sp_escape_char("\x00", 1, esc), 1);
	assert_string_equal(esc, "\\x00");
}

static void
test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(sp_edit_distance("", ""), 0);
	assert_int_equal(sp_edit_distance("owner", "owner"), 0);
	assert_int_equal(sp_edit_distance("ownr", "owner"), 1);	/* insert */
	assert_int_equal(sp_edit_distance("owner", "ownr"), 1);	/* delete */
	assert_int_equal(sp_edit_distance("Owner", "owner"), 1);	/* case */
	assert_int_equal(sp_edit_distance("onwer", "owner"), 1);	/* swap */
	assert_int_equal(sp_edit_distance("amont", "amount"), 1);
	assert_int_equal(sp_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(sp_edit_distance("", "abc"), 3);
	assert_int_equal(sp_edit_distance("abc", ""), 3);
	assert_int_equal(sp_edit_distance("ca", "abc"), 3);	/* OSA, not 2 */
	assert_int_equal(sp_edit_distance("region", "owner"), 6);
	assert_int_equal(sp_edit_distance("owner", "OwnerId"), 3);
	assert_int_equal(sp_edit_distance_nocase("Owner", "owner"), 0);
	assert_int_equal(sp_edit_distance_nocase("STGAE", "stage"), 1);
	assert_int_equal(sp_edit_distance_nocase("ForecastCategory",
	    "forecast_category"), 1);
}

static void
test_trim_blanks(void **state)
{
	const char *t = " \t x y\r\n";
	const char *s = t;
	size_t n = strlen(t);

	(void)state;
	sp_trim_blanks(&s, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(s, "x y", 3);
	s = "   ";
	n = 3;
	sp_trim_blanks(&s, &n);
	assert_int_equal(n, 0);
	/* n bounds the text: "ab  cd" cut to "ab  " */
	s = "ab  cd";
	n = 4;
	sp_trim_blanks(&s, &n);
	assert_int_equal(n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_char),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_trim_blanks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
