/*
 * win-rate: won / (won + lost) by count and by value, per group and
 * period, over deals closed in the period (or all closed deals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

static const char usage[] =
    "usage: win-rate [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                [--period period] [--every day|week|month|quarter|year]\n"
    "                [--fiscal-start month] [--now time] [--as-of time]\n"
    "                [--map spec] [--stages spec] [--date-format format]\n"
    "                [--tz zone] [--max-bad n] [--rejects file]\n"
    "                [--encoding encoding] [--delimiter sep]\n"
    "                [--max-record-size size] [--decimal-comma]\n"
    "                [--thousands sep] [--rates file] [--currency code]\n"
    "                [--explain] [--spreadsheet-safe] [file ...]\n";

struct tally {
	int64_t won, lost;
	sp_money_sum won_amount, lost_amount;
	sp_money_sum closed_amount;	/* won + lost: one currency, no overflow */
};

struct ctx {
	sp_cli *cli;
	sp_groups *groups;
};

static void
tally_init(void *p)
{
	struct tally *t = p;

	sp_money_sum_init(&t->won_amount);
	sp_money_sum_init(&t->lost_amount);
	sp_money_sum_init(&t->closed_amount);
}

static int
add_deal(void *p, const sp_deal *d, sp_error *e)
{
	struct ctx *x = p;
	sp_cli *c = x->cli;
	const char *label = "", *key = d->key;
	size_t keylen = d->keylen;
	sp_period b;
	struct tally *t;
	char amt[48], why[96];
	int won = d->kind == SP_WON;

	/* without --every a group exists even when none of it closed */
	if (c->every == SP_EVERY_NONE) {
		if (c->has_period)
			key = cli_key_with(c, d, c->period.label, &keylen);
		if (sp_groups_get(x->groups, key, keylen) == NULL)
			return sp_err_set(e, NULL, "out of memory");
	}
	if (d->kind == SP_OPEN) {
		if (c->explain)
			cli_explain(c, d, "", "win_rate", "excluded",
			    d->as_of_open ? "open at the as-of time (closed "
			    "after it)" : "open");
		return 0;
	}
	if (c->has_period || c->every != SP_EVERY_NONE) {
		if (!d->has_closed) {
			if (c->explain)
				cli_explain(c, d, "", "win_rate", "excluded",
				    "no close date");
			return 0;
		}
		if (c->has_period && !period_contains(&c->period,
		    d->closed_at)) {
			if (c->explain)
				cli_explain(c, d, "", "win_rate", "excluded",
				    "closed outside the period");
			return 0;
		}
		if (c->every != SP_EVERY_NONE) {
			sp_period_bucket(d->closed_at, c->every, &c->cal, &b);
			label = b.label;
		} else
			label = c->period.label;
		key = cli_key_with(c, d, label, &keylen);
	}
	if ((t = sp_groups_get(x->groups, key, keylen)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
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

static void
emit(sp_cli *c, sp_groups *g, sp_writer *w)
{
	const char **keys, **parts, *v[16 + 64];
	size_t *lens, n, i, j, k, np = c->nby;
	void **states;
	char b[7][48];
	int withp = c->has_period || c->every != SP_EVERY_NONE;

	if (c->nby > 64)
		cli_usage_error(c, "-g: at most 64 fields");
	if (withp)
		np++;
	cli_group_cols(c, w);
	if (withp)
		sp_writer_col(w, "period", SP_COL_STR);
	sp_writer_col(w, "won", SP_COL_NUM);
	sp_writer_col(w, "lost", SP_COL_NUM);
	sp_writer_col(w, "closed", SP_COL_NUM);
	sp_writer_col(w, "win_rate", SP_COL_RATIO);
	sp_writer_col(w, "won_amount", SP_COL_NUM);
	sp_writer_col(w, "lost_amount", SP_COL_NUM);
	sp_writer_col(w, "win_rate_value", SP_COL_RATIO);
	if ((n = sp_groups_sorted(g, &keys, &lens, &states)) == (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		struct tally *t = states[i];

		parts = cli_group_parts(c, keys[i], lens[i], np);
		for (j = 0; j < np; j++)
			v[j] = parts[j];
		k = j;
		v[k++] = sp_count_format(t->won, b[0]);
		v[k++] = sp_count_format(t->lost, b[1]);
		v[k++] = sp_count_format(t->won + t->lost, b[2]);
		v[k++] = sp_ratio_text(t->won, t->won + t->lost, b[3]);
		/* closed_amount holds both: when it mixes currencies, the
		   group's money columns are all empty */
		if (t->closed_amount.mixed)
			t->won_amount.mixed = t->lost_amount.mixed = 1;
		v[k++] = cli_money(c, &t->won_amount, b[4]);
		v[k++] = cli_money(c, &t->lost_amount, b[5]);
		v[k++] = cli_money_ratio(c, &t->won_amount, &t->closed_amount,
		    b[6]);
		sp_writer_row(w, v);
	}
	free(keys);
	free(lens);
	free(states);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_LONGOPTS,
	    { NULL, 0, NULL, 0 } };
	sp_cli c;
	struct ctx x;
	sp_writer *w = NULL;
	int ch;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (!cli_option(&c, ch, optarg))
			cli_usage(&c);
	}
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	if ((x.groups = sp_groups_new(sizeof(struct tally), tally_init)) == NULL)
		cli_oom(&c);
	cli_deals(&c, SP_NEED_AMOUNT | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
	    add_deal, &x);
	if (!c.explain) {
		w = cli_writer(&c);
		emit(&c, x.groups, w);
	}
	sp_groups_free(x.groups, NULL);
	return cli_finish(&c, w);
}
