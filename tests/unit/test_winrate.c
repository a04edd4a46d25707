/*
 * Unit tests of winrate: the win-rate count shared by win-rate(1) and
 * velocity(1) (include/salespipe/winrate.h).  Amounts are sp_money
 * (SP_MONEY_UNIT per unit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "salespipe/winrate.h"

static sp_deal
deal(int kind, int has_amount, int64_t units, const char *currency)
{
	sp_deal d;

	memset(&d, 0, sizeof(d));
	d.kind = kind;
	d.has_amount = has_amount;
	d.value = (sp_money)units * SP_MONEY_UNIT;
	d.currency = currency;
	return d;
}

/* won 100 + won (no amount) + lost 50, open ignored: 2 won, 1 lost,
 * won_amount 100, lost_amount 50, closed_amount 150 */
static void
test_count(void **state)
{
	sp_winrate t;
	sp_deal a = deal(SP_WON, 1, 100, "USD"), b = deal(SP_WON, 0, 0, ""),
	    c = deal(SP_LOST, 1, 50, "USD"), o = deal(SP_OPEN, 1, 70, "USD");
	sp_error e;

	(void)state;
	sp_winrate_init(&t);
	assert_int_equal(sp_winrate_add(&t, &a, &e), 0);
	assert_int_equal(sp_winrate_add(&t, &b, &e), 0);
	assert_int_equal(sp_winrate_add(&t, &c, &e), 0);
	assert_int_equal(sp_winrate_add(&t, &o, &e), 0);
	assert_true(t.won == 2 && t.lost == 1);
	assert_true(t.won_amount.v == 100 * SP_MONEY_UNIT);
	assert_true(t.lost_amount.v == 50 * SP_MONEY_UNIT);
	assert_true(t.closed_amount.v == 150 * SP_MONEY_UNIT);
	assert_string_equal(t.closed_amount.currency, "USD");
}

/* a won USD and a lost EUR: the combined sum mixes, so after finish every
 * money sum is void while the counts stand */
static void
test_mixed(void **state)
{
	sp_winrate t;
	sp_deal a = deal(SP_WON, 1, 100, "USD"), b = deal(SP_LOST, 1, 50,
	    "EUR");
	sp_error e;

	(void)state;
	sp_winrate_init(&t);
	assert_int_equal(sp_winrate_add(&t, &a, &e), 0);
	assert_int_equal(sp_winrate_add(&t, &b, &e), 0);
	assert_false(t.won_amount.mixed);
	sp_winrate_finish(&t);
	assert_true(t.won_amount.mixed && t.lost_amount.mixed &&
	    t.closed_amount.mixed);
	assert_true(t.won == 1 && t.lost == 1);
}

/* merge, and save then load: the same state */
static void
test_merge_save_load(void **state)
{
	sp_winrate a, b, c;
	sp_deal w = deal(SP_WON, 1, 100, "USD"), l = deal(SP_LOST, 1, 30,
	    "USD");
	sp_error e;
	json_t *v;

	(void)state;
	sp_winrate_init(&a);
	sp_winrate_init(&b);
	assert_int_equal(sp_winrate_add(&a, &w, &e), 0);
	assert_int_equal(sp_winrate_add(&b, &l, &e), 0);
	assert_int_equal(sp_winrate_add(&b, &w, &e), 0);
	assert_int_equal(sp_winrate_merge(&a, &b, &e), 0);
	assert_true(a.won == 2 && a.lost == 1);
	assert_true(a.won_amount.v == 200 * SP_MONEY_UNIT);
	assert_true(a.closed_amount.v == 230 * SP_MONEY_UNIT);
	assert_non_null(v = sp_winrate_save(&a));
	sp_winrate_init(&c);
	assert_int_equal(sp_winrate_load(&c, v, &e), 0);
	assert_true(c.won == 2 && c.lost == 1);
	assert_true(c.won_amount.v == a.won_amount.v);
	assert_true(c.lost_amount.v == a.lost_amount.v);
	assert_true(c.closed_amount.v == a.closed_amount.v);
	json_decref(v);
	/* a state missing a member is refused */
	v = json_pack("{s:I}", "won", (json_int_t)1);
	sp_winrate_init(&c);
	assert_int_equal(sp_winrate_load(&c, v, &e), -1);
	json_decref(v);
}

/* an overflowing amount is refused and changes nothing */
static void
test_overflow(void **state)
{
	sp_winrate t;
	sp_deal a = deal(SP_WON, 1, 0, "USD");
	sp_error e;

	(void)state;
	a.value = ((sp_money)1 << 126);
	sp_winrate_init(&t);
	assert_int_equal(sp_winrate_add(&t, &a, &e), 0);
	assert_int_equal(sp_winrate_add(&t, &a, &e), -1);
	assert_true(t.won == 1);
	assert_true(t.won_amount.v == a.value && t.closed_amount.v == a.value);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_merge_save_load),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
