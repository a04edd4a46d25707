/*
 * tally: the win-rate count of closed deals, won and lost by count and by
 * amount, as a mergeable part of an aggregate's state.  win-rate's whole
 * state, and the won/lost part of scorecard's, so that both count a
 * closed deal the same way (a deal without an amount counts, adding
 * 0.00; a deal refused for its currency changes nothing).
 */
#ifndef SALESPIPE_TALLY_H
#define SALESPIPE_TALLY_H

#include <stdint.h>
#include <jansson.h>

#include "salespipe/deal.h"
#include "salespipe/err.h"
#include "salespipe/field.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_tally {
	int64_t won, lost;
	sp_money_sum won_amount, lost_amount;
	sp_money_sum closed_amount;	/* won + lost: one currency, no
					   overflow */
} sp_tally;

void sp_tally_init(sp_tally *t);
/* A won or lost deal d (SP_NEED_AMOUNT): 0, or -1 (e set) with t
 * unchanged. */
int sp_tally_add(sp_tally *t, const sp_deal *d, sp_error *e);
int sp_tally_merge(sp_tally *a, const sp_tally *b, sp_error *e);
/*
 * The state as members of the JSON object o (won, lost, won_amount,
 * lost_amount, closed_amount): 0, or -1 when out of memory.  Load reads
 * them back from o, failing with e on a missing or bad member.
 */
int sp_tally_save(const sp_tally *t, json_t *o);
int sp_tally_load(sp_tally *t, const json_t *o, sp_error *e);

#ifdef __cplusplus
}
#endif

#endif
