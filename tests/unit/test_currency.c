/*
 * Unit tests of currency: the ISO 4217 table (include/salespipe/currency.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "salespipe/currency.h"

/* the binary search needs the table sorted, without repeats */
static void
test_sorted(void **state)
{
	const char *p, *q;
	size_t i;

	(void)state;
	for (i = 1; (q = sp_currency_code(i)) != NULL; i++) {
		p = sp_currency_code(i - 1);
		assert_true(strcmp(p, q) < 0);
		assert_int_equal(strlen(q), 3);
	}
	assert_true(i > 170);
	/* every code of the table is found */
	for (i = 0; (q = sp_currency_code(i)) != NULL; i++)
		assert_true(sp_currency_known(q, 3));
}

static void
test_known(void **state)
{
	(void)state;
	assert_true(sp_currency_known("USD", 3));
	assert_true(sp_currency_known("eur", 3));
	assert_true(sp_currency_known("Jpy", 3));
	assert_true(sp_currency_known("AED", 3));	/* the first */
	assert_true(sp_currency_known("ZWL", 3));	/* the last */
	assert_true(sp_currency_known("XCG", 3));	/* new in 2025 */
	assert_true(sp_currency_known("USDX", 3));	/* n bytes only */
}

static void
test_unknown(void **state)
{
	(void)state;
	assert_false(sp_currency_known("US$", 3));
	assert_false(sp_currency_known("USDX", 4));
	assert_false(sp_currency_known("US", 2));
	assert_false(sp_currency_known("", 0));
	assert_false(sp_currency_known("HRK", 3));	/* withdrawn 2023 */
	assert_false(sp_currency_known("ABC", 3));
	assert_false(sp_currency_known("AAA", 3));	/* before the first */
	assert_false(sp_currency_known("ZZZ", 3));	/* after the last */
	assert_false(sp_currency_known("U\0D", 3));
	assert_null(sp_currency_code(100000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
