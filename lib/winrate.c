/*
 * winrate: won and lost deals counted by number and by value, shared by
 * win-rate(1) and velocity(1) so that both say the same win rate.
 */
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/winrate.h"

void
sp_winrate_init(sp_winrate *t)
{
	memset(t, 0, sizeof(*t));
	sp_money_sum_init(&t->won_amount);
	sp_money_sum_init(&t->lost_amount);
	sp_money_sum_init(&t->closed_amount);
}

int
sp_winrate_add(sp_winrate *t, const sp_deal *d, sp_error *e)
{
	int won = d->kind == SP_WON;

	if (d->kind != SP_WON && d->kind != SP_LOST)
		return 0;
	if (d->has_amount) {
		sp_money_sum closed = t->closed_amount;
		sp_money_sum part = won ? t->won_amount : t->lost_amount;
		size_t cl = strlen(d->currency);
		/* both sums first: a refused deal changes nothing */
		if (sp_money_sum_add(&closed, d->value, d->currency, cl, e) < 0 ||
		    sp_money_sum_add(&part, d->value, d->currency, cl, e) < 0)
			return -1;
		t->closed_amount = closed;
		*(won ? &t->won_amount : &t->lost_amount) = part;
	}
	if (won)
		t->won++;
	else
		t->lost++;
	return 0;
}

int
sp_winrate_merge(sp_winrate *a, const sp_winrate *b, sp_error *e)
{
	if (sp_money_sum_merge(&a->won_amount, &b->won_amount, e) < 0 ||
	    sp_money_sum_merge(&a->lost_amount, &b->lost_amount, e) < 0 ||
	    sp_money_sum_merge(&a->closed_amount, &b->closed_amount, e) < 0)
		return -1;
	a->won += b->won;
	a->lost += b->lost;
	return 0;
}

void
sp_winrate_finish(sp_winrate *t)
{
	if (t->closed_amount.mixed)
		t->won_amount.mixed = t->lost_amount.mixed = 1;
}

json_t *
sp_winrate_save(const sp_winrate *t)
{
	return json_pack("{s:I,s:I,s:o,s:o,s:o}", "won", (json_int_t)t->won,
	    "lost", (json_int_t)t->lost,
	    "won_amount", sp_agg_money_save(&t->won_amount),
	    "lost_amount", sp_agg_money_save(&t->lost_amount),
	    "closed_amount", sp_agg_money_save(&t->closed_amount));
}

int
sp_winrate_load(sp_winrate *t, const json_t *v, sp_error *e)
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
