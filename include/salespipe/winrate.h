/*
 * winrate: the win-rate count, the one place it is written (win-rate(1)
 * prints it, velocity(1) multiplies by it).  A closed deal counts once:
 * won or lost, by count and by value (a deal without an amount counts as
 * 0.00 in the value).  A mergeable state for the aggregate engine.
 */
#ifndef SALESPIPE_WINRATE_H
#define SALESPIPE_WINRATE_H

#include <stdint.h>
#include <jansson.h>

#include "salespipe/deal.h"
#include "salespipe/err.h"
#include "salespipe/field.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_winrate {
	int64_t won, lost;
	sp_money_sum won_amount, lost_amount;
	sp_money_sum closed_amount;	/* won + lost: one currency, no
					   overflow, or every sum is void */
} sp_winrate;

void sp_winrate_init(sp_winrate *t);

/*
 * Count closed deal d (d->kind SP_WON or SP_LOST; an open deal is a
 * caller's bug and counts nothing).  Its value, when it has an amount,
 * is d->value in d->currency.  Returns 0, or -1 with e set (an overflow
 * or a currency code too long): then t is unchanged.
 */
int sp_winrate_add(sp_winrate *t, const sp_deal *d, sp_error *e);

/* b into a (b unchanged).  -1 with e set on overflow. */
int sp_winrate_merge(sp_winrate *a, const sp_winrate *b, sp_error *e);

/* After the last add or merge: when the combined sum mixes currencies,
 * every money sum of t is marked mixed (they all print empty). */
void sp_winrate_finish(sp_winrate *t);

/* The state as a JSON object (NULL: out of memory), and back into a
 * state after sp_winrate_init (-1 with e set on a bad value). */
json_t *sp_winrate_save(const sp_winrate *t);
int sp_winrate_load(sp_winrate *t, const json_t *v, sp_error *e);

#ifdef __cplusplus
}
#endif

#endif
