/*
 * tally: won and lost deals by count and amount (include/salespipe/
 * tally.h), the part of an aggregate that win rates are made of.
 */
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/tally.h"

void
sp_tally_init(sp_tally *t)
{
	t->won = t->lost = 0;
	sp_money_sum_init(&t->won_amount);
	sp_money_sum_init(&t->lost_amount);
	sp_money_sum_init(&t->closed_amount);
}

int
sp_tally_add(sp_tally *t, const sp_deal *d, sp_error *e)
{
	int won = d->kind == SP_WON;

	if (d->has_amount) {
		sp_money_sum closed = t->closed_amount;
		size_t cl = strlen(d->currency);
		/* check the combined sum first: a refused deal changes nothing */
		if (sp_money_sum_add(&closed, d->value, d->currency, cl, e) < 0 ||
		    sp_money_sum_add(won ? &t->won_amount : &t->lost_amount,
		    d->value, d->currency, cl, e) < 0)
			return -1;
		t->closed_amount = closed;
	}
	if (won)
		t->won++;
	else
		t->lost++;
	return 0;
}

int
sp_tally_merge(sp_tally *a, const sp_tally *b, sp_error *e)
{
	if (sp_money_sum_merge(&a->won_amount, &b->won_amount, e) < 0 ||
	    sp_money_sum_merge(&a->lost_amount, &b->lost_amount, e) < 0 ||
	    sp_money_sum_merge(&a->closed_amount, &b->closed_amount, e) < 0)
		return -1;
	a->won += b->won;
	a->lost += b->lost;
	return 0;
}

int
sp_tally_save(const sp_tally *t, json_t *o)
{
	if (json_object_set_new(o, "won", json_integer(t->won)) < 0 ||
	    json_object_set_new(o, "lost", json_integer(t->lost)) < 0 ||
	    json_object_set_new(o, "won_amount",
	    sp_agg_money_save(&t->won_amount)) < 0 ||
	    json_object_set_new(o, "lost_amount",
	    sp_agg_money_save(&t->lost_amount)) < 0 ||
	    json_object_set_new(o, "closed_amount",
	    sp_agg_money_save(&t->closed_amount)) < 0)
		return -1;
	return 0;
}

int
sp_tally_load(sp_tally *t, const json_t *v, sp_error *e)
{
	const json_t *x;

	if ((x = sp_agg_member(v, "won", e)) == NULL ||
	    sp_agg_int_load(&t->won, x, "won", e) < 0 ||
	    (x = sp_agg_member(v, "lost", e)) == NULL ||
	    sp_agg_int_load(&t->lost, x, "lost", e) < 0 ||
	    (x = sp_agg_member(v, "won_amount", e)) == NULL ||
	    sp_agg_money_load(&t->won_amount, x, e) < 0 ||
	    (x = sp_agg_member(v, "lost_amount", e)) == NULL ||
	    sp_agg_money_load(&t->lost_amount, x, e) < 0 ||
	    (x = sp_agg_member(v, "closed_amount", e)) == NULL ||
	    sp_agg_money_load(&t->closed_amount, x, e) < 0)
		return -1;
	return 0;
}
