/*
 * Unit tests of tally (include/salespipe/tally.h): won and lost by count
 * and amount, a refused currency that changes nothing, merge, and the
 * saved state read back.  Expected values by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "salespipe/tally.h"

static sp_deal
deal(int kind, int64_t micro, const char *currency)
{
	sp_deal d;

	memset(&d, 0, sizeof(d));
	d.kind = kind;
	d.has_amount = micro >= 0;
	d.amount = micro;
	d.value = sp_money_of_micro(micro);
	d.currency = currency;
	return d;
}

static void
test_add_merge(void **state)
{
	sp_tally a, b;
	sp_error e;
	sp_deal w = deal(SP_WON, 1000000000, "USD"),
	    l = deal(SP_LOST, 500000000, "USD"),
	    none = deal(SP_WON, -1, ""), eur = deal(SP_LOST, 1, "EUR");

	(void)state;
	sp_tally_init(&a);
	sp_tally_init(&b);
	assert_int_equal(sp_tally_add(&a, &w, &e), 0);
	assert_int_equal(sp_tally_add(&a, &l, &e), 0);
	/* no amount: counted, adds nothing */
	assert_int_equal(sp_tally_add(&b, &none, &e), 0);
	assert_int_equal(sp_tally_merge(&a, &b, &e), 0);
	assert_int_equal(a.won, 2);
	assert_int_equal(a.lost, 1);
	assert_true(a.won_amount.v == sp_money_of_micro(1000000000));
	assert_true(a.closed_amount.v == sp_money_of_micro(1500000000));
	assert_false(a.closed_amount.mixed);
	/* another currency: the sum mixes (printed empty), counts go on */
	assert_int_equal(sp_tally_add(&a, &eur, &e), 0);
	assert_int_equal(a.lost, 2);
	assert_true(a.closed_amount.mixed);
}

static void
test_save_load(void **state)
{
	sp_tally a, b;
	sp_error e;
	sp_deal w = deal(SP_WON, 1234567, "USD");
	json_t *o = json_object();

	(void)state;
	sp_tally_init(&a);
	sp_tally_init(&b);
	assert_int_equal(sp_tally_add(&a, &w, &e), 0);
	assert_int_equal(sp_tally_save(&a, o), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "won")), 1);
	assert_int_equal(sp_tally_load(&b, o, &e), 0);
	assert_int_equal(b.won, 1);
	assert_int_equal(b.lost, 0);
	assert_true(b.won_amount.v == a.won_amount.v);
	assert_string_equal(b.won_amount.currency, "USD");
	json_object_del(o, "lost");
	sp_tally_init(&b);
	assert_int_equal(sp_tally_load(&b, o, &e), -1);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merge),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
