/*
 * win-rate: won / (won + lost) by count and by value, per group and
 * period, over deals closed in the period (or all closed deals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/winrate.h"

static const char usage[] =
    "usage: win-rate [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                [--period period] [--every day|week|month|quarter|year]\n"
    "                [--fiscal-start month] [--now time] [--as-of time]\n"
    "                [--map spec] [--stages spec] [--date-format format]\n"
    "                [--tz zone] [--max-bad n] [--rejects file]\n"
    "                [--encoding encoding] [--delimiter sep]\n"
    "                [--max-record-size size] [--decimal-comma]\n"
    "                [--thousands sep] [--rates file] [--currency code]\n"
    "                [--explain] [--spreadsheet-safe] [--partial | --merge]\n"
    "                [--shard k/n] [--threads n]\n"
    "                [--progress | --no-progress] [file ...]\n";

enum { C_WON, C_LOST, C_CLOSED, C_WIN_RATE, C_WON_AMOUNT, C_LOST_AMOUNT,
	C_WIN_RATE_VALUE };

static const sp_agg_col cols[] = {
	{ "won", SP_AGG_COUNT },
	{ "lost", SP_AGG_COUNT },
	{ "closed", SP_AGG_COUNT },
	{ "win_rate", SP_AGG_RATIO },
	{ "won_amount", SP_AGG_MONEY },
	{ "lost_amount", SP_AGG_MONEY },
	{ "win_rate_value", SP_AGG_RATIO }
};

/* The state is the library's win-rate count (salespipe/winrate.h). */
static void
tally_init(void *ctx, void *p)
{
	(void)ctx;
	sp_winrate_init(p);
}

static int
tally_merge(void *ctx, void *into, void *from, sp_error *e)
{
	(void)ctx;
	return sp_winrate_merge(into, from, e);
}

static json_t *
tally_save(void *ctx, const void *p)
{
	(void)ctx;
	return sp_winrate_save(p);
}

static int
tally_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	(void)ctx;
	return sp_winrate_load(p, v, e);
}

static int
tally_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	sp_winrate *t = p;

	(void)ctx;
	sp_winrate_finish(t);
	sp_agg_set_count(r, C_WON, t->won);
	sp_agg_set_count(r, C_LOST, t->lost);
	sp_agg_set_count(r, C_CLOSED, t->won + t->lost);
	sp_agg_set_ratio(r, C_WIN_RATE, t->won, t->won + t->lost);
	/* closed_amount holds both: when it mixes currencies, the group's
	   money columns are all empty (sp_winrate_finish) */
	sp_agg_set_money(r, C_WON_AMOUNT, &t->won_amount);
	sp_agg_set_money(r, C_LOST_AMOUNT, &t->lost_amount);
	sp_agg_set_money_ratio(r, C_WIN_RATE_VALUE, &t->won_amount,
	    &t->closed_amount);
	return sp_agg_emit(r, e);
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	sp_cli *c = cli_agg_cli(run);
	const char *label = "";
	sp_winrate *t;
	char amt[48], why[96];
	int won = d->kind == SP_WON;

	/* without --every a group exists even when none of it closed */
	cli_agg_group(run, d);
	if (d->kind == SP_OPEN) {
		if (c->explain)
			cli_explain(c, d, "", "win_rate", "excluded",
			    d->as_of_open ? "open at the as-of time (closed "
			    "after it)" : "open");
		return 0;
	}
	if ((c->has_period || c->every != SP_EVERY_NONE) && !d->has_closed) {
		if (c->explain)
			cli_explain(c, d, "", "win_rate", "excluded",
			    "no close date");
		return 0;
	}
	if ((t = cli_agg_at(run, d, d->closed_at, &label)) == NULL) {
		if (c->explain)
			cli_explain(c, d, "", "win_rate", "excluded",
			    "closed outside the period");
		return 0;
	}
	if (sp_winrate_add(t, d, e) < 0)
		return -1;
	if (c->explain) {
		cli_explain(c, d, label, "win_rate", won ? "numerator" :
		    "denominator", won ? "won" : "lost");
		snprintf(why, sizeof(why), "%s %s", won ? "won" : "lost",
		    d->has_amount ? sp_money_format_exact(d->value, amt) :
		    "(no amount: counts as 0.00)");
		cli_explain(c, d, label, "win_rate_value", won ? "numerator" :
		    "denominator", why);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    CLI_OPT_END };
	static sp_agg agg = { "win-rate", sizeof(sp_winrate), tally_init,
	    NULL, tally_merge, tally_save, tally_load, tally_rows, cols,
	    sizeof(cols) / sizeof(cols[0]), NULL, NULL, NULL, 0, NULL, 0 };
	sp_cli c;
	int ch;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		if (!cli_option(&c, ch, optarg))
			cli_usage(&c);
	}
	cli_open(&c, argc - optind, argv + optind);
	return cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CLOSED |
	    SP_NEED_AS_OF_OPEN, add_deal);
}
