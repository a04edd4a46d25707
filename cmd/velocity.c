/*
 * velocity: sales velocity per group and period, money per day:
 * open deals x win rate x average won deal / average cycle days, each
 * component printed beside it with the as-of time and the lookback window
 * it comes from.  Built on the library's win-rate count (winrate.h), the
 * cycle (sp_deal_cycle) and the as-of rule (sp_deal_state_at).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/winrate.h"

static const char usage[] =
    "usage: velocity [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                [--lookback days] [--period period]\n"
    "                [--every day|week|month|quarter|year]\n"
    "                [--fiscal-start month] [--now time] [--as-of time]\n"
    "                [--map spec] [--stages spec] [--date-format format]\n"
    "                [--tz zone] [--max-bad n] [--rejects file]\n"
    "                [--encoding encoding] [--delimiter sep]\n"
    "                [--max-record-size size] [--decimal-comma]\n"
    "                [--thousands sep] [--rates file] [--currency code]\n"
    "                [--explain] [--spreadsheet-safe] [--partial | --merge]\n"
    "                [--shard k/n] [--threads n]\n"
    "                [--progress | --no-progress] [file ...]\n";

#define DAY	86400LL

enum { OPT_LOOKBACK = 1 };

enum { C_AS_OF, C_LB_START, C_LB_END, C_OPEN, C_WON, C_LOST, C_WIN_RATE,
	C_WON_AMOUNT, C_AVG_WON, C_CYCLE_DEALS, C_AVG_CYCLE, C_VELOCITY };

static const sp_agg_col cols[] = {
	{ "as_of", SP_AGG_TEXT },
	{ "lookback_start", SP_AGG_TEXT },
	{ "lookback_end", SP_AGG_TEXT },
	{ "open", SP_AGG_COUNT },
	{ "won", SP_AGG_COUNT },
	{ "lost", SP_AGG_COUNT },
	{ "win_rate", SP_AGG_RATIO },
	{ "won_amount", SP_AGG_MONEY },
	{ "avg_won_amount", SP_AGG_MONEY },
	{ "cycle_deals", SP_AGG_COUNT },
	{ "avg_cycle_days", SP_AGG_DURATION },
	{ "velocity", SP_AGG_MONEY }
};

/* The run's options, read-only while deals are added (threads share it). */
struct ctx {
	sp_cli *cli;
	int64_t lookback;	/* seconds */
	int64_t as_of;		/* without --every: the one as-of time */
	int64_t last;		/* the latest as-of: --as-of, else now */
	/* flags of what the run met (atomic; flags, not counts: --threads
	   may read the input twice, see lib/drive.c) */
	int past_read;		/* a snapshot deal read as of a past time */
	int negative;		/* a won deal closed before it was created */
	int future_created;	/* a snapshot deal created after now */
	int future_closed;	/* one won or lost after now */
	long too_large;		/* velocities beyond 128 bits (rows) */
};

/* A group's (and bucket's) state. */
struct vel {
	int64_t as_of;		/* the as-of time of the bucket, or 0 */
	int has_as_of;
	int64_t open;		/* deals open at as_of */
	sp_winrate wr;		/* closed in the lookback */
	int64_t ncycle;		/* won in the lookback with a cycle */
	int64_t cycle_sum;	/* their cycles, seconds */
};

static void
vel_init(void *ctx, void *p)
{
	struct vel *t = p;

	(void)ctx;
	memset(t, 0, sizeof(*t));
	sp_winrate_init(&t->wr);
}

static int
vel_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct vel *a = into, *b = from;

	(void)ctx;
	if (sp_winrate_merge(&a->wr, &b->wr, e) < 0)
		return -1;
	if (__builtin_add_overflow(a->cycle_sum, b->cycle_sum, &a->cycle_sum))
		return sp_err_set(e, NULL, "cycle sum overflow");
	if (!a->has_as_of) {
		a->as_of = b->as_of;
		a->has_as_of = b->has_as_of;
	}
	a->open += b->open;
	a->ncycle += b->ncycle;
	return 0;
}

static json_t *
vel_save(void *ctx, const void *p)
{
	const struct vel *t = p;

	(void)ctx;
	return json_pack("{s:I,s:b,s:I,s:o,s:I,s:I}", "as_of",
	    (json_int_t)t->as_of, "has_as_of", t->has_as_of, "open",
	    (json_int_t)t->open, "win_rate", sp_winrate_save(&t->wr),
	    "cycle_deals", (json_int_t)t->ncycle, "cycle_sum",
	    (json_int_t)t->cycle_sum);
}

static int
vel_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct vel *t = p;
	const json_t *x;

	(void)ctx;
	if ((x = sp_agg_member(v, "has_as_of", e)) == NULL)
		return -1;
	if (!json_is_boolean(x))
		return sp_err_set(e, "has_as_of", "not a boolean in the "
		    "partial state");
	t->has_as_of = json_is_true(x);
	if ((x = sp_agg_member(v, "as_of", e)) == NULL ||
	    sp_agg_int_load(&t->as_of, x, "as_of", e) < 0 ||
	    (x = sp_agg_member(v, "open", e)) == NULL ||
	    sp_agg_int_load(&t->open, x, "open", e) < 0 ||
	    (x = sp_agg_member(v, "win_rate", e)) == NULL ||
	    sp_winrate_load(&t->wr, x, e) < 0 ||
	    (x = sp_agg_member(v, "cycle_deals", e)) == NULL ||
	    sp_agg_int_load(&t->ncycle, x, "cycle_deals", e) < 0 ||
	    (x = sp_agg_member(v, "cycle_sum", e)) == NULL ||
	    sp_agg_int_load(&t->cycle_sum, x, "cycle_sum", e) < 0)
		return -1;
	if (t->open < 0 || t->ncycle < 0 || t->ncycle > t->wr.won)
		return sp_err_set(e, "open", "bad counts in the partial state");
	return 0;
}

/*
 * open x won_amount x cycle_deals x 86400 / ((won + lost) x cycle_sum),
 * the velocity in money per day written out: won/(won+lost) x
 * (won_amount/won) / (cycle_sum/cycle_deals/86400).  Exact, rounded
 * half-to-even to the cent once.  "" when it does not exist (no closed
 * deal, no won deal with a cycle, a cycle sum not above zero) and when
 * it does not fit (*big set).
 */
static const char *
velocity_text(const struct vel *t, char *buf, int *big)
{
	sp_money den, cents;
	uint64_t k;

	if (t->wr.won + t->wr.lost == 0 || t->ncycle == 0 ||
	    t->cycle_sum <= 0 || t->wr.won_amount.mixed)
		return "";
	if (__builtin_mul_overflow((uint64_t)t->open, (uint64_t)t->ncycle,
	    &k) || __builtin_mul_overflow(k, (uint64_t)DAY, &k) ||
	    __builtin_mul_overflow((sp_money)(t->wr.won + t->wr.lost),
	    (sp_money)t->cycle_sum, &den) ||
	    __builtin_mul_overflow(den, SP_MONEY_UNIT / 100, &den) ||
	    sp_money_muldiv_even(t->wr.won_amount.v, k, den, &cents) < 0 ||
	    cents > INT64_MAX || cents < -INT64_MAX) {
		*big = 1;
		return "";
	}
	return sp_money_format_cents((int64_t)cents, buf);
}

static int
vel_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct ctx *x = ctx;
	struct vel *t = p;
	int64_t as_of = t->has_as_of ? t->as_of : x->as_of;
	char b[48];
	int big = 0;

	sp_winrate_finish(&t->wr);
	sp_agg_set(r, C_AS_OF, sp_time_format(as_of, b));
	sp_agg_set(r, C_LB_START, sp_time_format(as_of - x->lookback, b));
	sp_agg_set(r, C_LB_END, sp_time_format(as_of, b));
	sp_agg_set_count(r, C_OPEN, t->open);
	sp_agg_set_count(r, C_WON, t->wr.won);
	sp_agg_set_count(r, C_LOST, t->wr.lost);
	sp_agg_set_ratio(r, C_WIN_RATE, t->wr.won, t->wr.won + t->wr.lost);
	sp_agg_set_money(r, C_WON_AMOUNT, &t->wr.won_amount);
	if (t->wr.won > 0 && !t->wr.won_amount.mixed)
		sp_agg_set(r, C_AVG_WON, sp_money_format_div(t->wr.won_amount.v,
		    t->wr.won, b));
	sp_agg_set_count(r, C_CYCLE_DEALS, t->ncycle);
	if (t->ncycle > 0)
		sp_agg_set(r, C_AVG_CYCLE, sp_duration_format((double)
		    ((long double)t->cycle_sum / t->ncycle), SP_UNIT_DAYS, b));
	sp_agg_set(r, C_VELOCITY, velocity_text(t, b, &big));
	if (big)
		x->too_large++;
	return sp_agg_emit(r, e);
}

static void
explain(sp_cli *c, const sp_deal *d, const char *label, const char *metric,
    const char *role, const char *fmt, int64_t when)
{
	char why[160], tb[32];

	if (!c->explain)
		return;
	snprintf(why, sizeof(why), fmt, sp_time_format(when, tb));
	cli_explain(c, d, label, metric, role, why);
}

/* The as-of of --every's bucket p: its last second, or the latest as-of
 * when that is earlier (the bucket now running). */
static int64_t
bucket_as_of(const struct ctx *x, const sp_period *p)
{
	return p->end - 1 < x->last ? p->end - 1 : x->last;
}

/* A snapshot deal read as of a time before now. */
static void
note_past(struct ctx *x, const sp_deal *d, int64_t as_of)
{
	if (d->path == NULL && as_of < x->cli->cal.now)
		__atomic_store_n(&x->past_read, 1, __ATOMIC_RELAXED);
}

/* Deal d, closed (won or lost) at or before as_of, into state t: the win
 * rate and, when won, the average deal and the cycle. */
static int
add_closed(struct ctx *x, struct vel *t, const sp_deal *d, const char *label,
    sp_error *e)
{
	sp_cli *c = x->cli;
	char amt[48], why[96];
	const char *no;
	int64_t secs;
	int won = d->kind == SP_WON;

	if (sp_winrate_add(&t->wr, d, e) < 0)
		return -1;
	if (c->explain) {
		cli_explain(c, d, label, "win_rate", won ? "numerator" :
		    "denominator", won ? "won" : "lost");
		if (won) {
			snprintf(why, sizeof(why), "won %s", d->has_amount ?
			    sp_money_format_exact(d->value, amt) :
			    "(no amount: counts as 0.00)");
			cli_explain(c, d, label, "avg_won_amount", "counted",
			    why);
		}
	}
	if (!won)
		return 0;
	if ((no = sp_deal_cycle(d, &secs)) != NULL) {
		if (c->explain)
			cli_explain(c, d, label, "avg_cycle_days", "excluded",
			    no);
		return 0;
	}
	if (__builtin_add_overflow(t->cycle_sum, secs, &t->cycle_sum))
		return sp_err_set(e, NULL, "cycle sum overflow");
	t->ncycle++;
	if (secs < 0)
		__atomic_store_n(&x->negative, 1, __ATOMIC_RELAXED);
	if (c->explain) {
		snprintf(why, sizeof(why), "won after %s days%s",
		    sp_duration_format((double)secs, SP_UNIT_DAYS, amt),
		    secs < 0 ? " (closes before it was created)" : "");
		cli_explain(c, d, label, "avg_cycle_days", "counted", why);
	}
	return 0;
}

/* Without --every: one as-of time, one lookback window before it. */
static int
add_once(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	struct vel *t = cli_agg_group(run, d);
	const char *label = c->has_period ? c->period.label : "";
	int k = sp_deal_state_at(c->stages, d, x->as_of);

	t->as_of = x->as_of;
	t->has_as_of = 1;
	note_past(x, d, x->as_of);
	if (k == -SP_LEFT_CREATED_AFTER) {
		explain(c, d, label, "open", "excluded", "created after the "
		    "as-of time %s", x->as_of);
		return 0;
	}
	if (k < 0) {
		if (c->explain)
			cli_explain(c, d, label, "win_rate", "excluded",
			    "closed, with no close time: closed in the "
			    "lookback or not is unknown");
		return 0;
	}
	if (k == SP_OPEN) {
		t->open++;
		explain(c, d, label, "open", "counted", d->kind != SP_OPEN ||
		    d->as_of_open ? "open at %s (closed after it)" :
		    "open at %s", x->as_of);
		return 0;
	}
	if (d->closed_at <= x->as_of - x->lookback) {
		explain(c, d, label, "win_rate", "excluded", "closed at or "
		    "before the lookback start %s", x->as_of - x->lookback);
		return 0;
	}
	return add_closed(x, t, d, label, e);
}

/*
 * --every: the deal in each bucket whose as-of (bucket_as_of) finds it
 * open, and in each bucket whose lookback holds its close: closed_at <=
 * as_of < closed_at + lookback.  Buckets run from the deal's first time
 * to the latest as-of, within --period when given.
 */
static int
add_buckets(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	struct vel *t;
	sp_period p;
	const char *label;
	int64_t at, as_of, to = x->last;
	int k, counted = 0;

	if (c->has_period && c->period.end - 1 < to)
		to = c->period.end - 1;
	if (d->has_created) {
		at = d->created_at;
		if (c->has_period && at < c->period.start)
			at = c->period.start;
		for (; at <= to; at = p.end) {
			sp_period_bucket(at, c->every, &c->cal, &p);
			as_of = bucket_as_of(x, &p);
			if (as_of < d->created_at ||
			    sp_deal_state_at(c->stages, d, as_of) != SP_OPEN)
				continue;
			if ((t = cli_agg_at(run, d, p.start, &label)) == NULL)
				continue;
			t->as_of = as_of;
			t->has_as_of = 1;
			t->open++;
			counted = 1;
			note_past(x, d, as_of);
			explain(c, d, label, "open", "counted", d->kind !=
			    SP_OPEN || d->as_of_open ? "open at %s (closed "
			    "after it)" : "open at %s", as_of);
		}
	}
	k = sp_deal_state_at(c->stages, d, x->last);
	if ((k == SP_WON || k == SP_LOST) && d->has_closed) {
		at = d->closed_at;
		if (c->has_period && at < c->period.start)
			at = c->period.start;
		for (; at <= to; at = p.end) {
			sp_period_bucket(at, c->every, &c->cal, &p);
			as_of = bucket_as_of(x, &p);
			if (as_of - d->closed_at >= x->lookback)
				break;
			if (as_of < d->closed_at)
				continue;
			if ((t = cli_agg_at(run, d, p.start, &label)) == NULL)
				continue;
			t->as_of = as_of;
			t->has_as_of = 1;
			counted = 1;
			note_past(x, d, as_of);
			if (add_closed(x, t, d, label, e) < 0)
				return -1;
		}
	}
	if (!counted && c->explain)
		cli_explain(c, d, "", "velocity", "excluded", !d->has_created &&
		    k == SP_OPEN ? "open, with no created_at: the buckets it "
		    "was open in are unknown" : k < 0 && k !=
		    -SP_LEFT_CREATED_AFTER ? "closed, with no close time" :
		    "in no bucket's as-of or lookback");
	return 0;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	int64_t now = x->cli->cal.now;

	/* a snapshot read as of now (no --as-of: the fold kept them) */
	if (d->path == NULL && d->has_created && d->created_at > now)
		__atomic_store_n(&x->future_created, 1, __ATOMIC_RELAXED);
	else if (d->path == NULL && d->kind != SP_OPEN && d->has_closed &&
	    d->closed_at > now)
		__atomic_store_n(&x->future_closed, 1, __ATOMIC_RELAXED);
	if (x->cli->every == SP_EVERY_NONE)
		return add_once(run, x, d, e);
	return add_buckets(run, x, d, e);
}

/* After the output: what the answer could not know. */
static void
end_run(void *ctx)
{
	struct ctx *x = ctx;
	sp_cli *c = x->cli;
	char t[32];

	sp_time_format(c->cal.now, t);
	if (__atomic_load_n(&x->future_created, __ATOMIC_RELAXED))
		cli_warn(c, "deals created after now (%s) left out: a "
		    "created_at in the future is a data error (see --explain)",
		    t);
	if (__atomic_load_n(&x->future_closed, __ATOMIC_RELAXED))
		cli_warn(c, "deals won or lost with a close time after now (%s) "
		    "counted as open: a close in the future is a data error "
		    "(check close_date and closed_at; see --explain)", t);
	if (__atomic_load_n(&x->negative, __ATOMIC_RELAXED))
		cli_warn(c, "won deals that close before they were created: "
		    "their negative cycles are counted (see --explain)");
	if (__atomic_load_n(&x->past_read, __ATOMIC_RELAXED))
		cli_warn(c, "as of a time before now a snapshot tells only when "
		    "each deal was created and closed: deals deleted or "
		    "reopened since are not seen; a history is exact");
	if (x->too_large > 0)
		cli_warn(c, "%ld velocit%s too large to compute left empty",
		    x->too_large, x->too_large == 1 ? "y" : "ies");
}

/* --lookback: a number of days, "365" or "365d". */
static int64_t
lookback_parse(sp_cli *c, const char *s)
{
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (end != s && *end == 'd')
		end++;
	if (end == s || *end != '\0' || n < 1 || n > 36500)
		cli_usage_error(c, "--lookback: '%s' is not a number of days "
		    "(1 to 36500)", s);
	return (int64_t)n * DAY;
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    { "lookback", required_argument, OPT_LOOKBACK,
		    "days", "the lookback window in days" },
	    CLI_OPT_END };
	static sp_agg agg = { "velocity", sizeof(struct vel), vel_init,
	    NULL, vel_merge, vel_save, vel_load, vel_rows, cols,
	    sizeof(cols) / sizeof(cols[0]), NULL, NULL, NULL, 0, NULL, 0 };
	static struct ctx x;
	sp_cli c;
	int ch;

	x.lookback = 365 * DAY;
	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_LOOKBACK:
			x.lookback = lookback_parse(&c, optarg);
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	x.last = c.has_as_of ? c.as_of : c.cal.now;
	x.as_of = x.last;
	if (c.has_period && c.every == SP_EVERY_NONE &&
	    c.period.end - 1 < x.as_of)
		x.as_of = c.period.end - 1;
	agg.ctx = &x;
	agg.end = end_run;
	return cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CREATED |
	    SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN, add_deal);
}
