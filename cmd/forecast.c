/*
 * forecast: what a period will bring in, by several methods side by side
 * (weighted pipeline, forecast categories, the stage conversion seen in
 * the history, the trend of past bookings, Monte Carlo), with quotas; and
 * forecast precision: frozen calls in a ledger, their scores, backtests.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/journal.h"
#include "salespipe/model.h"
#include "salespipe/stats.h"

static const char usage[] =
    "usage: forecast [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                [--period period] [--every month|quarter|year]\n"
    "                [--fiscal-start month] [--now time] [--as-of time]\n"
    "                [--map spec] [--stages spec] [--date-format format]\n"
    "                [--tz zone] [--max-bad n] [--rejects file]\n"
    "                [--encoding encoding] [--delimiter sep]\n"
    "                [--max-record-size size] [--decimal-comma]\n"
    "                [--thousands sep] [--rates file] [--currency code]\n"
    "                [--explain]\n"
    "                [--method name[,name...]] [--calibration]\n"
    "                [--min-sample n] [--quota file] [--trials n] [--seed n]\n"
    "                [--mc-prob weighted|history] [--season n]\n"
    "                [--record ledger] [--score ledger] [--backtest]\n"
    "                [--horizon days[,days...]] [--spreadsheet-safe]\n"
    "                [--probability-scale 1|100] [file ...]\n";

enum { M_WEIGHTED = 1, M_CATEGORY = 2, M_HISTORY = 4, M_TREND = 8, M_MC = 16 };
static const char *const method_names[] = { "weighted", "category",
	"history", "trend", "montecarlo" };
#define NMETHODS 5

enum { OPT_METHOD = 1, OPT_CALIBRATION, OPT_MIN_SAMPLE, OPT_QUOTA,
	OPT_TRIALS, OPT_SEED, OPT_MC_PROB, OPT_SEASON, OPT_RECORD, OPT_SCORE,
	OPT_BACKTEST, OPT_HORIZON };

#define NEED (SP_NEED_AMOUNT | SP_NEED_CLOSED | SP_NEED_CLOSE_DATE | \
	SP_NEED_PROB | SP_NEED_CATEGORY | SP_NEED_PUSHES | SP_NEED_CREATED)

/* What one period of one group adds up to in a pass. */
struct pst {
	sp_money_sum booked, pipeline;
	sp_money wnum;			/* sum of exact amount x basis points */
	int64_t open_n;
	sp_money_sum cat[SP_FC_OMITTED + 1];	/* open amounts by category */
	sp_money *stage_amt;		/* open amounts by stage */
	int64_t *mc_amt;		/* the open deals, for the simulation
					   (micro-units) */
	int *mc_stage, *mc_bp;
	size_t mc_n, mc_cap;
};

/* One group in a pass. */
struct gst {
	struct pst *p;			/* per target period */
	int64_t *closed_s, *won_s;	/* closed deals that reached stage s */
	sp_money_sum won_amt, closed_amt;
	sp_money_sum wins_cur;		/* the currency of the wins (trend) */
	int64_t *wins;			/* (close time, micro-units) of won
					   deals */
	size_t nwins, wincap;
};

struct fc {
	sp_cli *c;
	int methods;
	int calibration;
	long min_sample;
	const char *quota_path, *record_path, *score_path;
	long trials;
	unsigned long long seed;
	int mc_history;
	int season;
	int backtest;
	long *horizons;
	size_t nhorizons;
	char *spool;			/* stdin, kept for several passes */
	size_t spooln;
	/* the pass */
	int64_t t;			/* the time the deals are taken at */
	sp_period *per;			/* target periods */
	size_t np;
	sp_groups *groups;		/* key -> struct gst * */
	struct gst all;			/* every deal, for history fallback
					   and slips */
	int64_t slip_n, slip_pushed;	/* won deals with a close_date */
	int history;			/* the input is a history */
	int64_t first_t;		/* earliest created_at seen */
	int report;			/* report bad records (first pass) */
	/* quotas */
	struct quota { char *owner; int64_t start, end, amount; } *q;
					/* amount: micro-units */
	size_t nq;
	const char **row;		/* a row's values: row_values */
	/* open deals that took 0% from a stage the stage file gave no
	   probability (SP_STAGE_NO_PROB), by weight and as the history
	   method's fallback; -1: none */
	int noprob_weighted, noprob_fallback;
};

static sp_cli *cli;

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		cli_oom(cli);
	return p;
}

/*
 * Room for the values of one output row: the -g fields (as many as the
 * cli took) and at most ROW_EXTRA others.  Rows are written one at a
 * time, so one array serves every writer.
 */
#define ROW_EXTRA 48

static const char **
row_values(struct fc *x)
{
	if (x->row == NULL)
		x->row = xcalloc(x->c->nby + ROW_EXTRA, sizeof(*x->row));
	return x->row;
}

static void
gst_init(struct fc *x, struct gst *g)
{
	size_t i, ns = x->c->stages->n;

	g->p = xcalloc(x->np, sizeof(*g->p));
	for (i = 0; i < x->np; i++) {
		int k;
		sp_money_sum_init(&g->p[i].booked);
		sp_money_sum_init(&g->p[i].pipeline);
		for (k = 0; k <= SP_FC_OMITTED; k++)
			sp_money_sum_init(&g->p[i].cat[k]);
		g->p[i].stage_amt = xcalloc(ns, sizeof(sp_money));
	}
	g->closed_s = xcalloc(ns, sizeof(int64_t));
	g->won_s = xcalloc(ns, sizeof(int64_t));
	sp_money_sum_init(&g->won_amt);
	sp_money_sum_init(&g->closed_amt);
	sp_money_sum_init(&g->wins_cur);
}

static void
gst_free(struct fc *x, struct gst *g)
{
	size_t i;

	if (g->p != NULL)
		for (i = 0; i < x->np; i++) {
			free(g->p[i].stage_amt);
			free(g->p[i].mc_amt);
			free(g->p[i].mc_stage);
			free(g->p[i].mc_bp);
		}
	free(g->p);
	free(g->closed_s);
	free(g->won_s);
	free(g->wins);
	memset(g, 0, sizeof(*g));
}

static struct fc *freeing;

static void
gst_fini(void *p)
{
	struct gst **g = p;

	if (*g != NULL) {
		gst_free(freeing, *g);
		free(*g);
	}
}

/* The highest open stage deal d reached (the funnel's reached rule), or
 * -1 when unknown; won deals reached every open stage. */

static int
prob_of(const sp_stages *st, const sp_deal *d)
{
	return d->has_prob ? d->prob_bp : st->v[d->stage].prob_bp;
}

/* A closed deal: the stages it reached; with amounts (for --quota's win
 * rate by value, which needs one currency per group) when sums is set. */
static int
add_closed(struct fc *x, struct gst *g, const sp_deal *d, int sums,
    sp_error *e)
{
	const sp_stages *st = x->c->stages;
	int top = sp_deal_reached(st, d), s, won = d->kind == SP_WON;
	size_t cl = strlen(d->currency);

	for (s = 0; s < (int)st->n; s++) {
		if (st->v[s].kind != SP_OPEN || (!won && s > top))
			continue;
		g->closed_s[s]++;
		g->won_s[s] += won;
	}
	if (sums && d->has_amount) {
		sp_money_sum c = g->closed_amt;
		if (sp_money_sum_add(&c, d->value, d->currency, cl, e) < 0 ||
		    (won && sp_money_sum_add(&g->won_amt, d->value, d->currency,
		    cl, e) < 0))
			return -1;
		g->closed_amt = c;
	}
	if (won && d->has_closed) {
		if (g->nwins == g->wincap) {
			size_t cap = g->wincap ? g->wincap * 2 : 16;
			int64_t *v = realloc(g->wins, 2 * cap * sizeof(*v));
			if (v == NULL)
				return sp_err_set(e, NULL, "out of memory");
			g->wins = v;
			g->wincap = cap;
		}
		g->wins[2 * g->nwins] = d->closed_at;
		g->wins[2 * g->nwins + 1] = 0;
		if (d->has_amount && (sp_money_to_micro(d->value,
		    &g->wins[2 * g->nwins + 1]) < 0 || sp_money_sum_add(
		    &g->wins_cur, 0, d->currency, cl, e) < 0))
			return sp_err_set(e, "amount", "out of range");
		g->nwins++;
	}
	return 0;
}

static int
add_open(struct fc *x, struct pst *p, const sp_deal *d, sp_error *e)
{
	const sp_stages *st = x->c->stages;
	int bp = prob_of(st, d), cat = d->category >= 0 ? d->category :
	    st->v[d->stage].category;
	sp_money amount = d->has_amount ? d->value : 0, wa;
	int64_t micro;
	size_t cl = strlen(d->currency);
	sp_money_sum pl = p->pipeline, ct = p->cat[cat];
	sp_money wn = p->wnum, sa = p->stage_amt[d->stage];

	if (!d->has_prob && (st->v[d->stage].flags & SP_STAGE_NO_PROB) &&
	    x->noprob_weighted < 0)
		x->noprob_weighted = d->stage;

	if (sp_money_sum_add(&pl, amount, d->currency, cl, e) < 0 ||
	    sp_money_sum_add(&ct, amount, d->currency, cl, e) < 0)
		return -1;
	/* the weighted sum stays exact: amount x basis points, rounded
	   once when printed */
	if (__builtin_mul_overflow(amount, (sp_money)bp, &wa) ||
	    sp_money_add(&wn, wa) < 0 || sp_money_add(&sa, amount) < 0 ||
	    sp_money_to_micro(amount, &micro) < 0)
		return sp_err_set(e, "amount", "sum of amounts overflows");
	p->pipeline = pl;
	p->cat[cat] = ct;
	p->wnum = wn;
	p->open_n++;
	p->stage_amt[d->stage] = sa;
	if (p->mc_n == p->mc_cap) {
		size_t cap = p->mc_cap ? p->mc_cap * 2 : 16;
		int64_t *a = realloc(p->mc_amt, cap * sizeof(*a));
		int *s, *b;
		if (a == NULL)
			return sp_err_set(e, NULL, "out of memory");
		p->mc_amt = a;
		if ((s = realloc(p->mc_stage, cap * sizeof(*s))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		p->mc_stage = s;
		if ((b = realloc(p->mc_bp, cap * sizeof(*b))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		p->mc_bp = b;
		p->mc_cap = cap;
	}
	p->mc_amt[p->mc_n] = micro;
	p->mc_stage[p->mc_n] = d->stage;
	p->mc_bp[p->mc_n] = bp;
	p->mc_n++;
	return 0;
}

static int
add_deal(void *ctx, const sp_deal *d, sp_error *e)
{
	struct fc *x = ctx;
	sp_cli *c = x->c;
	struct gst **gp, *g;
	char why[160], a[48];
	size_t i;

	if (d->path != NULL)
		x->history = 1;
	if (d->has_created && d->created_at < x->first_t)
		x->first_t = d->created_at;
	if ((gp = sp_groups_get(x->groups, d->key, d->keylen)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (*gp == NULL) {
		*gp = xcalloc(1, sizeof(**gp));
		gst_init(x, *gp);
	}
	g = *gp;
	if (d->kind != SP_OPEN) {
		if (add_closed(x, g, d, x->quota_path != NULL, e) < 0 ||
		    add_closed(x, &x->all, d, 0, e) < 0)
			return -1;
		if (d->kind == SP_WON && d->has_close_date) {
			x->slip_n++;
			x->slip_pushed += d->has_pushes && d->pushes > 0;
		}
	}
	for (i = 0; i < x->np; i++) {
		const sp_period *p = &x->per[i];
		if (d->kind == SP_WON && d->has_closed &&
		    sp_period_contains(p, d->closed_at)) {
			if (sp_money_sum_add(&g->p[i].booked, d->has_amount ?
			    d->value : 0, d->currency, strlen(d->currency),
			    e) < 0)
				return -1;
			if (c->explain && x->report) {
				snprintf(why, sizeof(why), "won in the period "
				    "%s", d->has_amount ? sp_money_format_exact(
				    d->value, a) : "0.00");
				cli_explain(c, d, p->label, "booked", "counted",
				    why);
			}
		} else if (d->kind == SP_OPEN && d->has_close_date &&
		    sp_period_contains(p, d->close_date)) {
			if (add_open(x, &g->p[i], d, e) < 0)
				return -1;
			if (c->explain && x->report) {
				int bp = prob_of(c->stages, d);
				snprintf(why, sizeof(why), "open in %s, closing "
				    "in the period: %s x %d.%02d%%",
				    c->stages->v[d->stage].name, d->has_amount ?
				    sp_money_format_exact(d->value, a) : "0.00",
				    bp / 100, bp % 100);
				cli_explain(c, d, p->label, "open", "counted",
				    why);
			}
		} else if (c->explain && x->report)
			cli_explain(c, d, p->label, "open", "excluded",
			    d->kind != SP_OPEN ? (d->kind == SP_WON ?
			    "won outside the period" : "lost") :
			    d->has_close_date ? "close_date outside the period" :
			    "open without a close_date");
	}
	return 0;
}

static void
ignore_bad(void *ctx, const sp_error *e)
{
	(void)ctx;
	(void)e;
}

static void
fold_bad(void *ctx, const sp_error *e)
{
	cli_bad(ctx, e, NULL);
}

/*
 * After the first pass over a snapshot: the deals it left out as of the
 * time (cli_as_of_warn).  As of an --as-of time before the export, a deal
 * closed after it was open then at an unknown stage, so the methods that
 * read the open pipeline cannot be made: refused, pointing to a history.
 * The trend (past bookings only), --calibration (closed deals only) and
 * --score (periods over) are exact.  As of now, such a deal is a close
 * dated in the future, a data error: warned and left out.
 */
static void
as_of_check(struct fc *x)
{
	sp_cli *c = x->c;
	long n = c->left[SP_LEFT_CLOSED_AFTER];
	char t[32], names[80] = "";
	size_t len = 0;
	int j;
	sp_error e;

	if (n > 0 && c->has_as_of && !x->calibration && x->score_path == NULL &&
	    (x->methods & ~M_TREND) != 0) {
		for (j = 0; j < NMETHODS; j++)
			if ((x->methods & (1 << j)) && j != 3)
				len += (size_t)snprintf(names + len,
				    sizeof(names) - len, "%s%s", len ? "," :
				    "", method_names[j]);
		sp_err_clear(&e);
		sp_err_set(&e, NULL, "--as-of %s: %ld deal%s of this snapshot "
		    "%s won or lost after it, so %s open then at a stage the "
		    "snapshot does not record, and --method %s cannot be made "
		    "as of then: give a history (pipeline --as-of on a "
		    "journal, or OpportunityHistory), or use --method trend "
		    "(past bookings only)", sp_time_format(c->as_of, t), n,
		    n == 1 ? "" : "s", n == 1 ? "was" : "were", n == 1 ? "it was" :
		    "they were", names);
		cli_fail(c, &e);
	}
	if (c->has_as_of)
		c->left[SP_LEFT_CLOSED_AFTER] = 0;	/* exact without them */
	cli_as_of_warn(c);
}

/* One pass over the input as of t, into fresh groups. */
static void
run_pass(struct fc *x, int64_t t, const sp_period *per, size_t np)
{
	sp_cli *c = x->c;
	sp_read_opts ro;
	sp_deals_opts o;
	sp_reader *rd;
	sp_deals *ds;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int *slots = xcalloc(c->nby + 1, sizeof(int)), k;
	size_t i;

	if (r == NULL)
		cli_oom(c);
	cli_read_opts(c, &ro);
	sp_err_clear(&e);
	rd = x->spool != NULL ? sp_reader_open_mem(x->spool, x->spooln, "-",
	    &ro, &e) : sp_reader_open(c->inputs, c->ninputs, &ro, &e);
	if (rd == NULL)
		cli_fail(c, &e);
	for (i = 0; i < c->nby; i++)
		if ((slots[i] = sp_reader_slot(rd, c->by[i])) < 0)
			cli_oom(c);
	freeing = x;
	sp_groups_free(x->groups, gst_fini);
	gst_free(x, &x->all);
	if ((x->groups = sp_groups_new(sizeof(struct gst *), NULL)) == NULL)
		cli_oom(c);
	x->per = (sp_period *)per;
	x->np = np;
	gst_init(x, &x->all);
	x->t = t;
	x->slip_n = x->slip_pushed = 0;
	x->history = 0;
	x->first_t = INT64_MAX;
	cli_deals_opts(c, &o, NEED, add_deal, x);
	o.group_slots = slots;
	o.has_as_of = 1;	/* a snapshot too: nothing closed after t */
	o.as_of = t;
	if (!x->report)
		o.left_out = NULL;	/* told once, by the first pass */
	if ((ds = sp_deals_new(rd, c->stages, &o)) == NULL)
		cli_oom(c);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		if (k == -2)
			cli_fail(c, &e);
		if (x->report)	/* -g: exit 2 if the input lacks a field */
			cli_by_record(c, rd, slots, r);
		if (k == 1 && sp_deals_add(ds, r, &e) == 0)
			continue;
		if (x->report)
			cli_bad(c, &e, r);
	}
	if (x->report)
		cli_by_end(c, rd);
	if (sp_deals_is_history(ds))
		x->history = 1;
	sp_deals_finish(ds, x->report ? fold_bad : ignore_bad, c, &e);
	cli_note_currencies(c, ds);
	if (x->report)
		cli_prob_warn(c, sp_deals_prob_doubt(ds));
	sp_deals_free(ds);
	/* cli_writer follows the input's format through c->rd, which is
	   not this reader: the default output is the input's format too */
	if (c->out_fmt == SP_FMT_AUTO && !isatty(STDOUT_FILENO) &&
	    sp_reader_format(rd) != SP_FMT_AUTO)
		c->out_fmt = sp_reader_format(rd);
	sp_reader_close(rd);
	sp_rec_free(r);
	free(slots);
	if (x->report && !x->backtest)
		as_of_check(x);	/* may exit: nothing of the pass is held */
	x->report = 0;	/* later passes read the same records again */
}

/* num / den rounded half away from zero. */
static int64_t
div_round(__int128 num, __int128 den)
{
	__int128 q;
	int neg = (num < 0) != (den < 0);

	if (num < 0)
		num = -num;
	if (den < 0)
		den = -den;
	q = (2 * num + den) / (2 * den);
	return (int64_t)(neg ? -q : q);
}

/* The observed rate of stage s for group g (won, closed), falling back to
 * every deal when g has fewer than --min-sample; 0 closed: none. */
static void
rate_of(const struct fc *x, const struct gst *g, int s, int64_t *won,
    int64_t *closed)
{
	if (g != NULL && g->closed_s[s] >= x->min_sample) {
		*won = g->won_s[s];
		*closed = g->closed_s[s];
	} else {
		*won = x->all.won_s[s];
		*closed = x->all.closed_s[s];
	}
}

/* The history method's open value: sum over stages of amount x rate,
 * exact to the 10^-15 unit (rounded there once). */
static sp_money
history_open(struct fc *x, const struct gst *g, const struct pst *p)
{
	const sp_stages *st = x->c->stages;
	sp_money whole = 0;
	long double frac = 0;
	int64_t won, closed;
	size_t s;

	for (s = 0; s < st->n; s++) {
		sp_money num, den;
		if (p->stage_amt[s] == 0)
			continue;
		rate_of(x, g, (int)s, &won, &closed);
		if (closed > 0) {
			num = p->stage_amt[s] * won;
			den = closed;
		} else {	/* no evidence: the configured probability */
			num = p->stage_amt[s] * st->v[s].prob_bp;
			den = 10000;
			if ((st->v[s].flags & SP_STAGE_NO_PROB) &&
			    x->noprob_fallback < 0)
				x->noprob_fallback = (int)s;
		}
		whole += num / den;
		frac += (long double)(num % den) / (long double)den;
	}
	return whole + (sp_money)llroundl(frac);
}

/* The --every unit of the trend: --every, else the one whose bucket is the
 * period itself; -1 when none is. */
static int
trend_unit(const struct fc *x)
{
	static const int units[] = { SP_EVERY_MONTH, SP_EVERY_QUARTER,
	    SP_EVERY_YEAR, SP_EVERY_WEEK };
	sp_period b;
	size_t i;

	if (x->c->every != SP_EVERY_NONE)
		return x->c->every;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		sp_period_bucket(x->per[0].start, units[i], &x->c->cal, &b);
		if (b.start == x->per[0].start && b.end == x->per[0].end)
			return units[i];
	}
	return -1;
}

static int
season_of(const struct fc *x, int unit)
{
	if (x->season > 0)
		return x->season;
	switch (unit) {
	case SP_EVERY_MONTH:
		return 12;
	case SP_EVERY_QUARTER:
		return 4;
	case SP_EVERY_WEEK:
		return 52;
	default:
		return 0;
	}
}

static int
cmp_win(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

struct trend_out {
	int ok;
	double f, lo, hi;
	sp_trend m;
	size_t buckets;
	char why[200];
};

/*
 * The trend forecast of period p (x->per[pi]) for group g.  The model
 * forecasts the bucket's total Y; what the period has booked by T, B, is
 * part of it and a total is never below 0, so the forecast is of
 * max(B, 0) + max(0, Y - max(B, 0)): the model's 10%, 50% and 90% points
 * cut at max(B, 0) (a monotone map keeps quantiles).
 */
static void
trend_for(struct fc *x, struct gst *g, size_t pi, struct trend_out *o)
{
	const sp_period *p = &x->per[pi];
	double floor = g->p[pi].booked.v > 0 ?
	    (double)g->p[pi].booked.v / (double)SP_MONEY_UNIT : 0;
	sp_calendar *cal = &x->c->cal;
	int unit = trend_unit(x), h;
	sp_period b, now;
	double *y = NULL;
	size_t n = 0, cap = 0, i = 0;
	int64_t t;
	sp_error e;

	memset(o, 0, sizeof(*o));
	if (unit < 0) {
		snprintf(o->why, sizeof(o->why), "the period is not one month, "
		    "quarter, year or week: give --every");
		return;
	}
	sp_period_bucket(x->t, unit, cal, &now);
	if (p->start < now.start) {
		snprintf(o->why, sizeof(o->why), "the period starts before %s, "
		    "the bucket of the forecast's time: a trend forecasts "
		    "only from there on", now.label);
		return;
	}
	qsort(g->wins, g->nwins, 2 * sizeof(int64_t), cmp_win);
	/* bookings per bucket, from the first win's to the last complete */
	if (g->nwins > 0)
		for (sp_period_bucket(g->wins[0], unit, cal, &b); b.start <
		    now.start; sp_period_bucket(b.end, unit, cal, &b)) {
			if (n == cap) {
				double *v;
				cap = cap ? cap * 2 : 64;
				if ((v = realloc(y, cap * sizeof(*v))) == NULL)
					cli_oom(x->c);
				y = v;
			}
			y[n] = 0;
			for (; i < g->nwins && g->wins[2 * i] < b.end; i++)
				y[n] += (double)g->wins[2 * i + 1] /
				    SP_MICRO_UNIT;
			n++;
		}
	o->buckets = n;
	if (n < 4) {
		snprintf(o->why, sizeof(o->why), "needs at least 4 complete "
		    "buckets of bookings before %s, has %zu", now.label, n);
		free(y);
		return;
	}
	sp_err_clear(&e);
	if (sp_trend_fit(y, n, season_of(x, unit), &o->m, &e) < 0) {
		snprintf(o->why, sizeof(o->why), "%.190s", e.msg);
		free(y);
		return;
	}
	free(y);
	/* h: the buckets from the last complete one to the period's */
	for (h = 1, t = now.start; t < p->start; h++) {
		sp_period_bucket(t, unit, cal, &b);
		t = b.end;
	}
	o->f = sp_trend_forecast(&o->m, h, &o->lo, &o->hi);
	o->f = fmax(o->f, floor);
	o->lo = fmax(o->lo, floor);
	o->hi = fmax(o->hi, floor);
	o->ok = 1;
}

/* A value in currency units (double) as two-decimal text. */
static char *
units_format(double v, char *buf)
{
	return sp_money_format_cents((int64_t)llround(v * 100.0), buf);
}

struct mc_out {
	int64_t mean, p10, p50, p90;	/* micro-units */
};

static void
mc_for(struct fc *x, struct gst *g, struct pst *p, struct mc_out *o)
{
	uint32_t *thr = xcalloc(p->mc_n, sizeof(*thr));
	int64_t *tot = xcalloc((size_t)x->trials, sizeof(*tot));
	double slip = x->slip_n > 0 ? (double)x->slip_pushed /
	    (double)x->slip_n : 0;
	__int128 sum = 0;
	sp_dist dist;
	sp_error e;
	size_t i;
	int64_t base;

	for (i = 0; i < p->mc_n; i++) {
		double pr = p->mc_bp[i] / 10000.0;
		if (x->mc_history) {
			int64_t won, closed;
			rate_of(x, g, p->mc_stage[i], &won, &closed);
			if (closed > 0)
				pr = (double)won / (double)closed;
			else if ((x->c->stages->v[p->mc_stage[i]].flags &
			    SP_STAGE_NO_PROB) && x->noprob_fallback < 0)
				x->noprob_fallback = p->mc_stage[i];
		}
		thr[i] = sp_prob_threshold(pr * (1 - slip));
	}
	sp_err_clear(&e);
	/* the simulation adds micro-units (a converted amount rounded to
	   the micro-unit): its totals are estimates anyway */
	if (sp_money_to_micro(p->booked.v, &base) < 0) {
		sp_err_set(&e, "amount", "the booked amount overflows a total");
		cli_fail(x->c, &e);
	}
	if (sp_montecarlo(p->mc_amt, thr, p->mc_n, base,
	    (size_t)x->trials, x->seed, tot, &e) < 0)
		cli_fail(x->c, &e);
	sp_dist_init(&dist);
	for (i = 0; i < (size_t)x->trials; i++) {
		sum += tot[i];
		if (sp_dist_add(&dist, tot[i]) < 0)
			cli_oom(x->c);
	}
	sp_dist_finish(&dist);
	o->mean = div_round(sum, x->trials);
	o->p10 = (int64_t)llround(sp_dist_quantile(&dist, 0.10));
	o->p50 = (int64_t)llround(sp_dist_quantile(&dist, 0.50));
	o->p90 = (int64_t)llround(sp_dist_quantile(&dist, 0.90));
	sp_dist_free(&dist);
	free(thr);
	free(tot);
}

/* The headline value of each method for one row (cents, rounded
 * half-to-even once from the exact value). */
struct row {
	int has[NMETHODS];
	int64_t v[NMETHODS];
};

static sp_money
quota_of(const struct fc *x, const char *owner, const sp_period *p, int *has)
{
	sp_money sum = 0;
	size_t i;

	*has = 0;
	for (i = 0; i < x->nq; i++)
		if (x->q[i].start == p->start && x->q[i].end == p->end &&
		    (owner == NULL || strcmp(owner, x->q[i].owner) == 0)) {
			sum += money_of_micro(x->q[i].amount);
			*has = 1;
		}
	return sum;
}

/* Columns of the forecast rows. */
static void
columns(struct fc *x, sp_writer *w)
{
	cli_group_cols(x->c, w);
	sp_writer_col(w, "period", SP_COL_STR);
	if (x->methods & M_WEIGHTED) {
		sp_writer_col(w, "booked", SP_COL_NUM);
		sp_writer_col(w, "weighted", SP_COL_NUM);
		sp_writer_col(w, "pipeline", SP_COL_NUM);
		sp_writer_col(w, "open_deals", SP_COL_NUM);
		sp_writer_col(w, "expected_deal_value", SP_COL_NUM);
	}
	if (x->methods & M_CATEGORY) {
		sp_writer_col(w, "closed", SP_COL_NUM);
		sp_writer_col(w, "commit", SP_COL_NUM);
		sp_writer_col(w, "best_case", SP_COL_NUM);
		sp_writer_col(w, "open_pipeline", SP_COL_NUM);
	}
	if (x->methods & M_HISTORY) {
		sp_writer_col(w, "history", SP_COL_NUM);
		sp_writer_col(w, "history_open", SP_COL_NUM);
		sp_writer_col(w, "configured_open", SP_COL_NUM);
		sp_writer_col(w, "history_rate", SP_COL_RATIO);
		sp_writer_col(w, "configured_rate", SP_COL_RATIO);
	}
	if (x->methods & M_TREND) {
		sp_writer_col(w, "trend", SP_COL_NUM);
		sp_writer_col(w, "trend_low", SP_COL_NUM);
		sp_writer_col(w, "trend_high", SP_COL_NUM);
		sp_writer_col(w, "trend_model", SP_COL_STR);
		sp_writer_col(w, "trend_alpha", SP_COL_NUM);
		sp_writer_col(w, "trend_beta", SP_COL_NUM);
		sp_writer_col(w, "trend_gamma", SP_COL_NUM);
		sp_writer_col(w, "trend_season", SP_COL_NUM);
		sp_writer_col(w, "trend_buckets", SP_COL_NUM);
	}
	if (x->methods & M_MC) {
		sp_writer_col(w, "mc_mean", SP_COL_NUM);
		sp_writer_col(w, "mc_p10", SP_COL_NUM);
		sp_writer_col(w, "mc_p50", SP_COL_NUM);
		sp_writer_col(w, "mc_p90", SP_COL_NUM);
		sp_writer_col(w, "mc_trials", SP_COL_NUM);
		sp_writer_col(w, "mc_slip", SP_COL_RATIO);
	}
	if (x->quota_path != NULL) {
		sp_writer_col(w, "quota", SP_COL_NUM);
		sp_writer_col(w, "attainment", SP_COL_RATIO);
		sp_writer_col(w, "gap", SP_COL_NUM);
		sp_writer_col(w, "coverage", SP_COL_RATIO);
		sp_writer_col(w, "coverage_needed", SP_COL_RATIO);
	}
}

/* Fail the run when the trend of (group, period i) cannot be made. */
static void
trend_check(struct fc *x, const char *key, size_t keylen, struct gst *g,
    size_t i)
{
	sp_cli *c = x->c;
	struct trend_out to;
	const char **gp;
	char names[512] = "";
	size_t k, len = 0;
	sp_error e;

	trend_for(x, g, i, &to);
	if (to.ok)
		return;
	gp = cli_group_parts(c, key, keylen, c->nby);
	for (k = 0; k < c->nby && len + 1 < sizeof(names); k++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
		    "%s%s", k ? ", " : "", gp[k]);
	sp_err_clear(&e);
	sp_err_set(&e, NULL, "trend: %s%s%.400s%s", to.why, c->nby ?
	    " (group '" : "", names, c->nby ? "')" : "");
	cli_fail(c, &e);
}

/*
 * Compute one row (group g, period i) into r; with w, also write it (v:
 * room for the values; strict: a trend that cannot be made is an error).
 */
static void
compute(struct fc *x, const char *key, size_t keylen, struct gst *g,
    size_t i, struct row *r, sp_writer *w, int strict)
{
	sp_cli *c = x->c;
	struct pst *p = &g->p[i];
	const char **v = row_values(x), **parts;
	char b[40][48];
	int nb = 0, k, j, hq, cat;
	/* every sum of the row is exact; each printed value is rounded
	   half-to-even to the cent once, from its exact value */
	sp_money booked = p->booked.v, wopen = p->wnum;	/* x 10^4 */
	sp_money weighted = booked * 10000 + wopen, commit, best, open_all,
	    hist;
	/* a group whose amounts mix currencies has no money values */
	int mixed = p->booked.mixed || p->pipeline.mixed, trend_mixed;
	struct trend_out to;
	struct mc_out mo;

	for (cat = 0; cat <= SP_FC_OMITTED; cat++)
		mixed |= p->cat[cat].mixed;
	if (mixed && w != NULL)
		c->mixed = 1;	/* cli_finish warns */
#define MONEY(val) (mixed ? "" : sp_money_format_exact((val), b[nb++]))
	memset(r, 0, sizeof(*r));
	parts = cli_group_parts(c, key, keylen, c->nby);
	for (k = 0; k < (int)c->nby; k++)
		v[k] = parts[k];
	v[k++] = x->per[i].label;
	r->has[0] = !mixed;
	sp_money_to_cents(sp_money_div_even(weighted, 10000), &r->v[0]);
	if (x->methods & M_WEIGHTED) {
		v[k++] = MONEY(booked);
		v[k++] = mixed ? "" : sp_money_format_div(weighted, 10000,
		    b[nb++]);
		v[k++] = MONEY(p->pipeline.v);
		v[k++] = sp_count_format(p->open_n, b[nb++]);
		v[k++] = p->open_n > 0 && !mixed ? sp_money_format_div(p->wnum,
		    (sp_money)10000 * p->open_n, b[nb++]) : "";
	}
	/* an open deal marked closed is the rep's commit */
	commit = booked + p->cat[SP_FC_COMMIT].v + p->cat[SP_FC_CLOSED].v;
	best = commit + p->cat[SP_FC_BEST_CASE].v;
	open_all = p->cat[SP_FC_PIPELINE].v + p->cat[SP_FC_BEST_CASE].v +
	    p->cat[SP_FC_COMMIT].v + p->cat[SP_FC_CLOSED].v;
	r->has[1] = !mixed;
	sp_money_to_cents(commit, &r->v[1]);
	if (x->methods & M_CATEGORY) {
		v[k++] = MONEY(booked);
		v[k++] = MONEY(commit);
		v[k++] = MONEY(best);
		v[k++] = MONEY(open_all);
	}
	hist = history_open(x, g, p);
	r->has[2] = !mixed;
	sp_money_to_cents(booked + hist, &r->v[2]);
	if (x->methods & M_HISTORY) {
		v[k++] = MONEY(booked + hist);
		v[k++] = MONEY(hist);
		v[k++] = mixed ? "" : sp_money_format_div(wopen, 10000, b[nb++]);
		/* the rates behind them, weighted by amount */
		v[k++] = mixed ? "" : sp_ratio_text_money(hist, p->pipeline.v,
		    b[nb++]);
		v[k++] = mixed ? "" : sp_ratio_text_money(wopen,
		    p->pipeline.v * 10000, b[nb++]);
	}
	if (x->methods & M_TREND) {
		trend_mixed = g->wins_cur.mixed;
		if (trend_mixed && w != NULL)
			c->mixed = 1;
		if (trend_mixed) {
			memset(&to, 0, sizeof(to));
		} else {
			trend_for(x, g, i, &to);
			if (!to.ok && strict)
				trend_check(x, key, keylen, g, i);
		}
		r->has[3] = to.ok;
		r->v[3] = to.ok ? (int64_t)llround(to.f * 100) : 0;
		if (w != NULL) {
			v[k++] = to.ok ? units_format(to.f, b[nb++]) : "";
			v[k++] = to.ok ? units_format(to.lo, b[nb++]) : "";
			v[k++] = to.ok ? units_format(to.hi, b[nb++]) : "";
			v[k++] = !to.ok ? "" : to.m.model == SP_TREND_HW ?
			    "holt-winters" : "holt";
			snprintf(b[nb], 40, "%.2f", to.m.alpha);
			v[k++] = to.ok ? b[nb++] : "";
			snprintf(b[nb], 40, "%.2f", to.m.beta);
			v[k++] = to.ok ? b[nb++] : "";
			snprintf(b[nb], 40, "%.2f", to.m.gamma);
			v[k++] = to.ok && to.m.model == SP_TREND_HW ? b[nb++] :
			    "";
			v[k++] = to.ok && to.m.model == SP_TREND_HW ?
			    sp_count_format(to.m.season, b[nb++]) : "";
			v[k++] = trend_mixed ? "" :
			    sp_count_format((int64_t)to.buckets, b[nb++]);
		}
	}
	if (x->methods & M_MC) {
		if (!mixed)
			mc_for(x, g, p, &mo);
		else
			memset(&mo, 0, sizeof(mo));
		r->has[4] = !mixed;
		sp_money_to_cents(money_of_micro(mo.mean), &r->v[4]);
		if (w != NULL) {
			v[k++] = MONEY(money_of_micro(mo.mean));
			v[k++] = MONEY(money_of_micro(mo.p10));
			v[k++] = MONEY(money_of_micro(mo.p50));
			v[k++] = MONEY(money_of_micro(mo.p90));
			v[k++] = sp_count_format(x->trials, b[nb++]);
			v[k++] = sp_ratio_text(x->slip_pushed, x->slip_n,
			    b[nb++]);
		}
	}
	if (x->quota_path != NULL && w != NULL) {
		sp_money q = quota_of(x, c->nby ? parts[0] : NULL, &x->per[i],
		    &hq), gap = q - booked;
		int wmixed = g->closed_amt.mixed || g->won_amt.mixed;
		if (wmixed)
			c->mixed = 1;
		v[k++] = hq ? sp_money_format_exact(q, b[nb++]) : "";
		v[k++] = hq && !mixed ? sp_ratio_text_money(booked, q, b[nb++]) :
		    "";
		v[k++] = hq && !mixed ? sp_money_format_exact(gap, b[nb++]) : "";
		v[k++] = hq && !mixed && gap > 0 ? sp_ratio_text_money(
		    p->pipeline.v, gap, b[nb++]) : "";
		v[k++] = wmixed ? "" : sp_ratio_text_money(g->closed_amt.v,
		    g->won_amt.v, b[nb++]);
	}
#undef MONEY
	for (j = 0; j < NMETHODS; j++)
		if (!(x->methods & (1 << j)))
			r->has[j] = 0;
	assert((size_t)k <= c->nby + ROW_EXTRA && nb <= 40);
	if (w != NULL && sp_writer_row(w, v) < 0)
		exit(cli_finish(c, w));
}

/* A probability in basis points as a percentage: "50", "12.5". */
static char *
bp_format(int bp, char *buf)
{
	if (bp % 100 == 0)
		snprintf(buf, 40, "%d", bp / 100);
	else if (bp % 10 == 0)
		snprintf(buf, 40, "%d.%d", bp / 100, bp % 100 / 10);
	else
		snprintf(buf, 40, "%d.%02d", bp / 100, bp % 100);
	return buf;
}

static void
calibration(struct fc *x, sp_writer *w)
{
	sp_cli *c = x->c;
	const sp_stages *st = c->stages;
	const char **keys, **v = row_values(x), **parts;
	size_t *lens, n, i, s;
	void **states;
	int k;
	char b[6][40];

	cli_group_cols(c, w);
	sp_writer_col(w, "stage", SP_COL_STR);
	sp_writer_col(w, "configured", SP_COL_NUM);
	sp_writer_col(w, "observed", SP_COL_RATIO);
	sp_writer_col(w, "won", SP_COL_NUM);
	sp_writer_col(w, "closed", SP_COL_NUM);
	sp_writer_col(w, "suggested", SP_COL_NUM);
	if ((n = sp_groups_sorted(x->groups, &keys, &lens, &states)) ==
	    (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		struct gst *g = *(struct gst **)states[i];
		parts = cli_group_parts(c, keys[i], lens[i], c->nby);
		for (s = 0; s < st->n; s++) {
			int bp = st->v[s].prob_bp;
			if (st->v[s].kind != SP_OPEN)
				continue;
			for (k = 0; k < (int)c->nby; k++)
				v[k] = parts[k];
			v[k++] = st->v[s].name;
			v[k++] = bp_format(bp, b[0]);
			v[k++] = sp_ratio_text(g->won_s[s], g->closed_s[s], b[1]);
			v[k++] = sp_count_format(g->won_s[s], b[2]);
			v[k++] = sp_count_format(g->closed_s[s], b[3]);
			if (g->closed_s[s] >= x->min_sample && g->closed_s[s] > 0)
				sp_count_format(div_round((__int128)100 *
				    g->won_s[s], g->closed_s[s]), b[4]);
			else
				bp_format(bp, b[4]);
			v[k++] = b[4];
			assert((size_t)k <= c->nby + ROW_EXTRA);
			if (sp_writer_row(w, v) < 0)
				exit(cli_finish(c, w));
		}
	}
	free(keys);
	free(lens);
	free(states);
}

static void
read_quotas(struct fc *x)
{
	sp_cli *c = x->c;
	char *paths[] = { (char *)x->quota_path };
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int so, sp, sa, k;

	memset(&ro, 0, sizeof(ro));
	ro.max_bytes = SP_MAX_OPTFILE;	/* an option file */
	sp_err_clear(&e);
	if (r == NULL || (rd = sp_reader_open(paths, 1, &ro, &e)) == NULL)
		cli_fail(c, &e);
	so = sp_reader_slot(rd, "owner");
	sp = sp_reader_slot(rd, "period");
	sa = sp_reader_slot(rd, "amount");
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		sp_period p;
		int64_t a;
		struct quota *q;
		if (k < 0)
			cli_fail(c, &e);
		sp_err_where(&e, r->file, r->line);
		if (!rec_has(r, sp) || sp_period_parse(rec_get(r, sp), &c->cal, &p,
		    &e) < 0) {
			sp_err_set(&e, "period", "%s", rec_has(r, sp) ? e.msg :
			    "missing");
			cli_fail(c, &e);
		}
		if (sp_money_parse(rec_get(r, sa) ? rec_get(r, sa) : "",
		    rec_len(r, sa), &a, &e) < 0) {
			sp_err_set(&e, "amount", "%s", e.msg);
			cli_fail(c, &e);
		}
		if ((q = realloc(x->q, (x->nq + 1) * sizeof(*q))) == NULL)
			cli_oom(c);
		x->q = q;
		q[x->nq].owner = strdup(rec_has(r, so) ? rec_get(r, so) : "");
		q[x->nq].start = p.start;
		q[x->nq].end = p.end;
		q[x->nq].amount = a;
		if (q[x->nq].owner == NULL)
			cli_oom(c);
		x->nq++;
	}
	sp_reader_close(rd);
	sp_rec_free(r);
}

/*
 * --record LEDGER, before anything is read or written: the ledger must not
 * be an input, and a ledger that has records must be a ledger (its first
 * record has the fields ledger_writer writes), or calls would be appended
 * to a deals journal or an export.  Exits 2 otherwise.
 */
static void
ledger_check(struct fc *x)
{
	static const char *const need[] = { "at", "period", "period_start",
	    "period_end", "method", "value" };
	sp_cli *c = x->c;
	char *paths[] = { (char *)x->record_path };
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r;
	sp_error e;
	size_t i;
	int k;

	if (cli_is_input(c, x->record_path)) {
		fprintf(stderr, "%s: --record %s: is an input: a ledger is a "
		    "file of its own; nothing was appended\n", c->prog,
		    x->record_path);
		exit(SP_EXIT_USAGE);
	}
	if (access(x->record_path, F_OK) != 0)
		return;		/* sp_journal_open creates it, or says why not */
	memset(&ro, 0, sizeof(ro));
	sp_err_clear(&e);
	if ((r = sp_rec_new()) == NULL ||
	    (rd = sp_reader_open(paths, 1, &ro, &e)) == NULL)
		cli_oom(c);
	k = sp_reader_next(rd, r, &e);
	for (i = 0; k == 1 && i < 6; i++)
		if (!rec_has(r, sp_reader_slot(rd, need[i])))
			break;
	if (k != 0 && (k != 1 || i < 6)) {
		fprintf(stderr, "%s: --record %s: not a forecast ledger (%s%s%s); "
		    "nothing was appended\n", c->prog, x->record_path,
		    k == 1 ? "its first record lacks '" : "its first record "
		    "cannot be read", k == 1 ? need[i] : "",
		    k == 1 ? "'" : "");
		sp_reader_close(rd);
		sp_rec_free(r);
		exit(SP_EXIT_USAGE);
	}
	sp_reader_close(rd);
	sp_rec_free(r);
}

/* --record: the calls just made, appended to the ledger. */
static void
record(struct fc *x, char *buf, size_t len)
{
	sp_error e;
	sp_journal *j = sp_journal_open(x->record_path, SP_JOURNAL_CREATE, &e);

	if (j == NULL)
		cli_fail(x->c, &e);
	if (sp_journal_format(j) != SP_FMT_JSONL) {
		sp_journal_close(j);
		sp_err_clear(&e);
		sp_err_where(&e, x->record_path, 0);
		sp_err_set(&e, NULL, "a ledger is JSON lines (name it .jsonl)");
		cli_fail(x->c, &e);
	}
	if (sp_journal_append(j, buf, len, &e) < 0) {
		sp_journal_close(j);
		cli_fail(x->c, &e);
	}
	sp_journal_close(j);
}

/* The ledger writer's row for the call (method j of row r, period i). */
static void
ledger_row(struct fc *x, sp_writer *lw, const char *key, size_t keylen,
    size_t i, int j, int64_t value)
{
	const char **v = row_values(x), **parts = cli_group_parts(x->c, key,
	    keylen, x->c->nby);
	char at[32], s[32], e[32], val[32];
	size_t k;

	v[0] = sp_time_format(x->t, at);
	v[1] = x->per[i].label;
	v[2] = sp_time_format(x->per[i].start, s);
	v[3] = sp_time_format(x->per[i].end, e);
	v[4] = method_names[j];
	v[5] = sp_money_format_cents(value, val);
	for (k = 0; k < x->c->nby; k++)
		v[6 + k] = parts[k];
	sp_writer_row(lw, v);
}

static sp_writer *
ledger_writer(struct fc *x, FILE *fp)
{
	sp_writer *lw = sp_writer_new(fp, SP_FMT_JSONL);
	static const char *const cols[] = { "at", "period", "period_start",
	    "period_end", "method", "value" };
	size_t k;

	if (lw == NULL)
		cli_oom(x->c);
	for (k = 0; k < 6; k++)
		sp_writer_col(lw, cols[k], SP_COL_STR);
	for (k = 0; k < x->c->nby; k++)
		sp_writer_col(lw, x->c->by[k], SP_COL_STR);
	return lw;
}

/*
 * A stage file without probabilities makes every open deal without one
 * of its own worth 0% to the methods that weigh by stage: say so once.
 */
static void
stage_prob_warn(const struct fc *x)
{
	const sp_stages *st = x->c->stages;
	char more[64] = "";
	size_t i, n = 0;
	int s = -1;

	if (x->calibration)
		return;
	if ((x->methods & M_WEIGHTED) || ((x->methods & M_MC) &&
	    !x->mc_history))
		s = x->noprob_weighted;
	if (s < 0)
		s = x->noprob_fallback;
	if (s < 0)
		return;
	for (i = 0; i < st->n; i++)
		n += (st->v[i].flags & SP_STAGE_NO_PROB) != 0;
	if (n > 1)
		snprintf(more, sizeof(more), " (nor %zu other open stage%s)",
		    n - 1, n > 2 ? "s" : "");
	cli_warn(x->c, "the stage file gives open stage '%s' no "
	    "probability%s, so deals in it count at 0%%: add a probability "
	    "column (salespipe-stages(5)), or give each deal a probability",
	    st->v[s].name, more);
}

static void
forecast_rows(struct fc *x)
{
	sp_cli *c = x->c;
	const char **keys;
	size_t *lens, n, i, p;
	void **states;
	sp_writer *w = NULL, *lw = NULL;
	char *lbuf = NULL;
	size_t llen = 0;
	FILE *lfp = NULL;
	struct row r;
	int j;

	if ((n = sp_groups_sorted(x->groups, &keys, &lens, &states)) ==
	    (size_t)-1)
		cli_oom(c);
	if (x->calibration) {
		w = cli_writer(c);
		calibration(x, w);
	} else {
		if (x->record_path != NULL) {
			if ((lfp = open_memstream(&lbuf, &llen)) == NULL)
				cli_oom(c);
			lw = ledger_writer(x, lfp);
		}
		/* a trend that cannot be made fails the run before any row */
		for (i = 0; (x->methods & M_TREND) && i < n; i++)
			for (p = 0; p < x->np; p++)
				trend_check(x, keys[i], lens[i],
				    *(struct gst **)states[i], p);
		if (!c->explain) {
			w = cli_writer(c);
			columns(x, w);
		}
		for (i = 0; i < n; i++)
			for (p = 0; p < x->np; p++) {
				compute(x, keys[i], lens[i],
				    *(struct gst **)states[i], p, &r, w, 1);
				for (j = 0; lw != NULL && j < NMETHODS; j++)
					if (r.has[j])
						ledger_row(x, lw, keys[i],
						    lens[i], p, j, r.v[j]);
			}
	}
	free(keys);
	free(lens);
	free(states);
	/* the calls are recorded only once the output is out */
	if (w != NULL && (sp_writer_finish(w) < 0 || fflush(stdout) != 0 ||
	    ferror(stdout))) {
		if (lw != NULL) {
			fclose(lfp);
			sp_writer_free(lw);
			free(lbuf);
		}
		exit(cli_finish(c, w));
	}
	if (lw != NULL) {
		if (sp_writer_finish(lw) < 0 || fclose(lfp) != 0)
			cli_oom(c);
		sp_writer_free(lw);
		if (llen > 0)
			record(x, lbuf, llen);
		free(lbuf);
	}
	stage_prob_warn(x);
	exit(cli_finish(c, w));
}

/* What group g booked in period p, in cents (rounded once); 0 when its
 * amounts mix currencies (then the run warns). */
static int64_t
booked_cents(struct fc *x, const struct gst *g, size_t p)
{
	int64_t cents = 0;

	if (g->p[p].booked.mixed) {
		x->c->mixed = 1;
		return 0;
	}
	sp_money_to_cents(g->p[p].booked.v, &cents);
	return cents;
}

/* Scores: per (method, group, horizon). */
struct score {
	int64_t calls, nape;
	__int128 actual, forecast, abserr, err;
	long double ape;
};

static void
score_init(void *p)
{
	memset(p, 0, sizeof(struct score));
}

static int
score_add(sp_groups *sg, size_t nby, const char *method, const char *gkey,
    size_t gkeylen, long horizon, int64_t forecast, int64_t actual)
{
	char *key, h[24];
	size_t kl = 0, ml = strlen(method);
	struct score *s;
	int64_t d = forecast - actual;

	/* fixed width and offset: the keys sort by horizon */
	snprintf(h, sizeof(h), "%09ld", horizon + 100000000L);
	if ((key = malloc(ml + gkeylen + strlen(h) + 3)) == NULL)
		return -1;
	memcpy(key, method, ml);
	kl = ml;
	key[kl++] = SP_KEY_SEP;
	if (nby > 0) {
		memcpy(key + kl, gkey, gkeylen);
		kl += gkeylen;
		key[kl++] = SP_KEY_SEP;
	}
	memcpy(key + kl, h, strlen(h));
	kl += strlen(h);
	s = sp_groups_get(sg, key, kl);
	free(key);
	if (s == NULL)
		return -1;
	s->calls++;
	s->actual += actual;
	s->forecast += forecast;
	s->err += d;
	s->abserr += d < 0 ? -d : d;
	if (actual != 0) {
		s->nape++;
		s->ape += fabsl((long double)d / (long double)actual);
	}
	return 0;
}

static void
score_emit(struct fc *x, sp_groups *sg)
{
	sp_cli *c = x->c;
	const char **keys, **v = row_values(x), **parts;
	size_t *lens, n, i, k, pcap = 0;
	void **states;
	char b[8][48], *pb = NULL;
	sp_writer *w = cli_writer(c);

	/* the method, the -g fields and the horizon */
	parts = xcalloc(c->nby + 2, sizeof(*parts));

	sp_writer_col(w, "method", SP_COL_STR);
	cli_group_cols(c, w);
	sp_writer_col(w, "horizon_days", SP_COL_NUM);
	sp_writer_col(w, "calls", SP_COL_NUM);
	sp_writer_col(w, "actual", SP_COL_NUM);
	sp_writer_col(w, "forecast", SP_COL_NUM);
	sp_writer_col(w, "error", SP_COL_NUM);
	sp_writer_col(w, "mape", SP_COL_RATIO);
	sp_writer_col(w, "wape", SP_COL_RATIO);
	sp_writer_col(w, "bias", SP_COL_RATIO);
	if ((n = sp_groups_sorted(sg, &keys, &lens, &states)) == (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		struct score *s = states[i];
		int64_t a = (int64_t)s->actual;
		/* method, the group's parts, horizon */
		if (sp_group_key_split(keys[i], lens[i], c->nby + 2, parts,
		    &pb, &pcap) < 0)
			cli_oom(c);
		v[0] = parts[0];
		for (k = 0; k < c->nby; k++)
			v[1 + k] = parts[1 + k];
		k = 1 + c->nby;
		v[k++] = sp_count_format(strtol(parts[1 + c->nby], NULL, 10) -
		    100000000L, b[7]);
		v[k++] = sp_count_format(s->calls, b[0]);
		v[k++] = sp_money_format_cents(a, b[1]);
		v[k++] = sp_money_format_cents((int64_t)s->forecast, b[2]);
		v[k++] = sp_money_format_cents((int64_t)s->err, b[3]);
		if (s->nape > 0)
			snprintf(b[4], 48, "%.6Lf", s->ape / s->nape);
		else
			b[4][0] = '\0';
		v[k++] = b[4];
		v[k++] = sp_ratio_text((int64_t)s->abserr, a < 0 ? -a : a,
		    b[5]);
		v[k++] = sp_ratio_text((int64_t)s->err, a < 0 ? -a : a, b[6]);
		assert(k <= c->nby + ROW_EXTRA);
		if (sp_writer_row(w, v) < 0)
			break;
	}
	free(keys);
	free(lens);
	free(states);
	free(pb);
	free(parts);
	sp_groups_free(sg, NULL);
	exit(cli_finish(c, w));
}

/* The group key of ledger record r (the -g fields' values). */
static size_t
ledger_key(struct fc *x, const sp_rec *r, const int *slots, char **buf,
    size_t *cap)
{
	return sp_group_key(r, slots, x->c->nby, buf, cap);
}

static void
score(struct fc *x)
{
	sp_cli *c = x->c;
	char *paths[] = { (char *)x->score_path };
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	sp_period *per = NULL;
	size_t np = 0, i, ncall = 0, kc = 0;
	struct call { char *key; size_t keylen; int method; int64_t at,
	    value; size_t p; } *calls = NULL;
	int sat, sps, spe, sm, sv, k, *slots = xcalloc(c->nby + 1,
	    sizeof(int));
	char *kb = NULL;
	sp_groups *sg, *agg, *seen;
	const char **keys;
	size_t *lens, n;
	void **states;

	memset(&ro, 0, sizeof(ro));
	sp_err_clear(&e);
	if (r == NULL || (rd = sp_reader_open(paths, 1, &ro, &e)) == NULL)
		cli_fail(c, &e);
	sat = sp_reader_slot(rd, "at");
	sps = sp_reader_slot(rd, "period_start");
	spe = sp_reader_slot(rd, "period_end");
	sm = sp_reader_slot(rd, "method");
	sv = sp_reader_slot(rd, "value");
	for (i = 0; i < c->nby; i++)
		slots[i] = sp_reader_slot(rd, c->by[i]);
	if ((seen = sp_groups_new(1, NULL)) == NULL)
		cli_oom(c);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		int64_t at, s, en, val;
		int m;
		size_t kl;
		if (k < 0)
			cli_fail(c, &e);
		/* a call recorded twice (the same record again) counts once */
		if (sp_groups_find(seen, r->raw, r->rawlen) != NULL)
			continue;
		if (sp_groups_get(seen, r->raw, r->rawlen) == NULL)
			cli_oom(c);
		sp_err_where(&e, r->file, r->line);
		if (sp_time_parse(rec_get(r, sat) ? rec_get(r, sat) : "",
		    rec_len(r, sat), NULL, &at, &e) < 0 ||
		    sp_time_parse(rec_get(r, sps) ? rec_get(r, sps) : "",
		    rec_len(r, sps), NULL, &s, &e) < 0 ||
		    sp_time_parse(rec_get(r, spe) ? rec_get(r, spe) : "",
		    rec_len(r, spe), NULL, &en, &e) < 0 ||
		    sp_money_parse(rec_get(r, sv) ? rec_get(r, sv) : "",
		    rec_len(r, sv), &val, &e) < 0) {
			sp_err_set(&e, NULL, "not a ledger record: %s", e.msg);
			cli_fail(c, &e);
		}
		/* a ledger value is written to the cent */
		val = (int64_t)sp_money_div_even(val, SP_MICRO_UNIT / 100);
		for (m = 0; m < NMETHODS; m++)
			if (rec_get(r, sm) && strcmp(rec_get(r, sm),
			    method_names[m]) == 0)
				break;
		if (m == NMETHODS) {
			sp_err_set(&e, "method", "unknown method");
			cli_fail(c, &e);
		}
		if (en > c->cal.now)
			continue;	/* the period is not over yet */
		for (i = 0; i < np; i++)
			if (per[i].start == s && per[i].end == en)
				break;
		if (i == np) {
			sp_period *v = realloc(per, (np + 1) * sizeof(*v));
			if (v == NULL)
				cli_oom(c);
			per = v;
			per[np].start = s;
			per[np].end = en;
			snprintf(per[np].label, sizeof(per[np].label), "%.40s",
			    rec_get(r, sp_reader_slot(rd, "period")) ?
			    rec_get(r, sp_reader_slot(rd, "period")) : "");
			np++;
		}
		if ((calls = realloc(calls, (ncall + 1) * sizeof(*calls))) ==
		    NULL)
			cli_oom(c);
		for (k = 0; k < (int)c->nby; k++)
			if (rec_get(r, slots[k]) == NULL) {
				sp_err_set(&e, c->by[k], "missing: this call was "
				    "not recorded with -g %s, so it cannot be "
				    "scored by it", c->by[k]);
				cli_fail(c, &e);
			}
		kl = ledger_key(x, r, slots, &kb, &kc);
		if (kl == (size_t)-1 || (calls[ncall].key = malloc(kl + 1)) ==
		    NULL)
			cli_oom(c);
		memcpy(calls[ncall].key, kb, kl);
		calls[ncall].keylen = kl;
		calls[ncall].method = m;
		calls[ncall].at = at;
		calls[ncall].value = val;
		calls[ncall].p = i;
		ncall++;
	}
	sp_reader_close(rd);
	sp_rec_free(r);
	free(kb);
	free(slots);
	sp_groups_free(seen, NULL);
	/* the actual bookings of those periods, as of now */
	run_pass(x, c->cal.now, per, np);
	/*
	 * One call is one (method, time, period, group): calls recorded per
	 * finer groups (-g owner, scored without -g) add up to it.
	 */
	if ((sg = sp_groups_new(sizeof(struct score), score_init)) == NULL ||
	    (agg = sp_groups_new(sizeof(int64_t), NULL)) == NULL)
		cli_oom(c);
	for (i = 0; i < ncall; i++) {
		char *ak = malloc(calls[i].keylen + 24);
		int64_t *sum;
		if (ak == NULL)
			cli_oom(c);
		ak[0] = (char)calls[i].method;
		memcpy(ak + 1, &calls[i].at, 8);
		memcpy(ak + 9, &calls[i].p, sizeof(size_t));
		memcpy(ak + 9 + sizeof(size_t), calls[i].key, calls[i].keylen);
		if ((sum = sp_groups_get(agg, ak, 9 + sizeof(size_t) +
		    calls[i].keylen)) == NULL)
			cli_oom(c);
		*sum += calls[i].value;
		free(ak);
		free(calls[i].key);
	}
	free(calls);
	if ((n = sp_groups_sorted(agg, &keys, &lens, &states)) == (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		int m = keys[i][0];
		int64_t at;
		size_t p, off = 9 + sizeof(size_t);
		struct gst **g;
		memcpy(&at, keys[i] + 1, 8);
		memcpy(&p, keys[i] + 9, sizeof(size_t));
		g = sp_groups_find(x->groups, keys[i] + off, lens[i] - off);
		if (score_add(sg, c->nby, method_names[m], keys[i] + off,
		    lens[i] - off, (long)floor((double)(per[p].start - at) /
		    86400.0), *(int64_t *)states[i], g ?
		    booked_cents(x, *g, p) : 0) < 0)
			cli_oom(c);
	}
	free(keys);
	free(lens);
	free(states);
	sp_groups_free(agg, NULL);
	score_emit(x, sg);
}

static void
backtest(struct fc *x)
{
	sp_cli *c = x->c;
	int unit = c->every != SP_EVERY_NONE ? c->every : SP_EVERY_MONTH;
	sp_period *per = NULL, b;
	size_t np = 0, i, h, gi, n;
	int64_t from, to;
	sp_groups *sg, *actual;
	const char **keys;
	size_t *lens;
	void **states;
	struct row r;
	int j;

	/* the buckets: inside --period, else from the history's start */
	run_pass(x, c->cal.now, NULL, 0);
	if (!x->history) {
		sp_error e;
		sp_err_clear(&e);
		sp_err_set(&e, NULL, "--backtest needs a history (records with "
		    "'at'): a snapshot cannot say what was known before");
		cli_fail(c, &e);
	}
	from = c->has_period && c->period_text ? c->period.start : x->first_t;
	to = c->has_period && c->period_text ? c->period.end : c->cal.now;
	if (from == INT64_MAX)
		from = to;
	for (sp_period_bucket(from, unit, &c->cal, &b); b.end <= to &&
	    b.end <= c->cal.now; sp_period_bucket(b.end, unit, &c->cal, &b)) {
		sp_period *v = realloc(per, (np + 1) * sizeof(*v));
		if (v == NULL)
			cli_oom(c);
		per = v;
		per[np++] = b;
	}
	/* what each bucket really booked */
	run_pass(x, c->cal.now, per, np);
	actual = x->groups;
	x->groups = NULL;
	if ((sg = sp_groups_new(sizeof(struct score), score_init)) == NULL)
		cli_oom(c);
	for (i = 0; i < np; i++)
		for (h = 0; h < x->nhorizons; h++) {
			int64_t t = per[i].start - x->horizons[h] * 86400;
			run_pass(x, t, &per[i], 1);
			if ((n = sp_groups_sorted(x->groups, &keys, &lens,
			    &states)) == (size_t)-1)
				cli_oom(c);
			for (gi = 0; gi < n; gi++) {
				struct gst **ag = sp_groups_find(actual, keys[gi],
				    lens[gi]);
				int64_t a = ag ? booked_cents(x, *ag, i) : 0;
				compute(x, keys[gi], lens[gi],
				    *(struct gst **)states[gi], 0, &r, NULL, 0);
				for (j = 0; j < NMETHODS; j++)
					if (r.has[j] && score_add(sg, c->nby,
					    method_names[j], keys[gi], lens[gi],
					    x->horizons[h], r.v[j], a) < 0)
						cli_oom(c);
			}
			free(keys);
			free(lens);
			free(states);
			/* groups nobody knew of yet: every call said 0.00 */
			if ((n = sp_groups_sorted(actual, &keys, &lens,
			    &states)) == (size_t)-1)
				cli_oom(c);
			for (gi = 0; gi < n; gi++) {
				int64_t a = booked_cents(x,
				    *(struct gst **)states[gi], i);
				if (sp_groups_find(x->groups, keys[gi], lens[gi]) !=
				    NULL)
					continue;
				for (j = 0; j < NMETHODS; j++)
					if ((x->methods & (1 << j)) &&
					    j != 3 && score_add(sg, c->nby,
					    method_names[j], keys[gi],
					    lens[gi], x->horizons[h], 0, a) < 0)
						cli_oom(c);
			}
			free(keys);
			free(lens);
			free(states);
		}
	score_emit(x, sg);
}

static long
count_arg(sp_cli *c, const char *opt, const char *arg, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < min || errno != 0 ||
	    v > 1000000000L)
		cli_usage_error(c, "%s: '%s' is not a count from %ld to "
		    "1000000000", opt, arg, min);
	return v;
}

static void
spool_stdin(struct fc *x)
{
	size_t cap = 1 << 20, k;

	if ((x->spool = malloc(cap)) == NULL)
		cli_oom(x->c);
	while ((k = fread(x->spool + x->spooln, 1, cap - x->spooln, stdin)) >
	    0) {
		x->spooln += k;
		if (x->spooln == cap) {
			char *v = realloc(x->spool, cap *= 2);
			if (v == NULL)
				cli_oom(x->c);
			x->spool = v;
		}
	}
	if (ferror(stdin)) {
		fprintf(stderr, "%s: <stdin>: read error\n", x->c->prog);
		exit(SP_EXIT_DATA);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { CLI_LONGOPTS,
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "calibration", no_argument, NULL, OPT_CALIBRATION },
		{ "min-sample", required_argument, NULL, OPT_MIN_SAMPLE },
		{ "quota", required_argument, NULL, OPT_QUOTA },
		{ "trials", required_argument, NULL, OPT_TRIALS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "mc-prob", required_argument, NULL, OPT_MC_PROB },
		{ "season", required_argument, NULL, OPT_SEASON },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "score", required_argument, NULL, OPT_SCORE },
		{ "backtest", no_argument, NULL, OPT_BACKTEST },
		{ "horizon", required_argument, NULL, OPT_HORIZON },
		CLI_PROB_LONGOPT,
		{ NULL, 0, NULL, 0 } };
	static long zero = 0;
	sp_cli c;
	struct fc x;
	sp_period *per = NULL;
	size_t np = 0;
	int ch, m;
	char *s, *tok, *save;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	cli = &c;
	memset(&x, 0, sizeof(x));
	x.c = &c;
	x.min_sample = 10;
	x.trials = 10000;
	x.noprob_weighted = x.noprob_fallback = -1;
	x.seed = 1;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, opts, NULL)) !=
	    -1) {
		if (cli_option(&c, ch, optarg))
			continue;
		switch (ch) {
		case OPT_METHOD:
			if ((s = strdup(optarg)) == NULL)
				cli_oom(&c);
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				for (m = 0; m < NMETHODS; m++)
					if (strcmp(tok, method_names[m]) == 0)
						break;
				if (m == NMETHODS)
					cli_usage_error(&c, "--method: '%s' is "
					    "not weighted, category, history, "
					    "trend or montecarlo", tok);
				x.methods |= 1 << m;
			}
			free(s);
			break;
		case OPT_CALIBRATION:
			x.calibration = 1;
			break;
		case OPT_MIN_SAMPLE:
			x.min_sample = count_arg(&c, "--min-sample", optarg, 1);
			break;
		case OPT_QUOTA:
			x.quota_path = optarg;
			break;
		case OPT_TRIALS:
			x.trials = count_arg(&c, "--trials", optarg, 1);
			break;
		case OPT_SEED:
			x.seed = (unsigned long long)count_arg(&c, "--seed",
			    optarg, 0);
			break;
		case OPT_MC_PROB:
			if (strcmp(optarg, "history") == 0)
				x.mc_history = 1;
			else if (strcmp(optarg, "weighted") != 0)
				cli_usage_error(&c, "--mc-prob: '%s' is not "
				    "weighted or history", optarg);
			break;
		case OPT_SEASON:
			x.season = (int)count_arg(&c, "--season", optarg, 2);
			if (x.season > SP_SEASON_MAX)
				cli_usage_error(&c, "--season: at most %d",
				    SP_SEASON_MAX);
			break;
		case OPT_RECORD:
			x.record_path = optarg;
			break;
		case OPT_SCORE:
			x.score_path = optarg;
			break;
		case OPT_BACKTEST:
			x.backtest = 1;
			break;
		case OPT_HORIZON:
			if ((s = strdup(optarg)) == NULL)
				cli_oom(&c);
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				long *v = realloc(x.horizons, (x.nhorizons + 1) *
				    sizeof(*v));
				if (v == NULL)
					cli_oom(&c);
				x.horizons = v;
				x.horizons[x.nhorizons++] = count_arg(&c,
				    "--horizon", tok, 0);
			}
			free(s);
			break;
		default:
			cli_usage(&c);
		}
	}
	if (x.methods == 0)
		x.methods = M_WEIGHTED;
	if (x.record_path != NULL && strlen(x.record_path) >= 4 &&
	    strcmp(x.record_path + strlen(x.record_path) - 4, ".csv") == 0)
		cli_usage_error(&c, "--record: a ledger is JSON lines (name it "
		    ".jsonl)");
	if (x.nhorizons == 0) {
		x.horizons = &zero;
		x.nhorizons = 1;
	}
	if ((x.score_path != NULL) + x.backtest + x.calibration +
	    (x.record_path != NULL && (x.score_path || x.backtest)) > 1)
		cli_usage_error(&c, "--score, --backtest and --calibration "
		    "are separate runs");
	cli_protect(&c, x.quota_path, "the --quota file");
	cli_protect(&c, x.record_path, "the --record ledger");
	cli_protect(&c, x.score_path, "the --score ledger");
	cli_open(&c, argc - optind, argv + optind);
	if (x.record_path != NULL)
		ledger_check(&x);
	if (c.every != SP_EVERY_NONE && c.every != SP_EVERY_MONTH &&
	    c.every != SP_EVERY_QUARTER && c.every != SP_EVERY_YEAR &&
	    c.every != SP_EVERY_WEEK)
		cli_usage_error(&c, "--every: month, quarter, year or week");
	if (c.has_as_of)
		c.cal.now = c.as_of;	/* forecasts are made as of T */
	if (x.quota_path != NULL) {
		if (c.nby > 1 || (c.nby == 1 && strcmp(c.by[0], "owner") != 0))
			cli_usage_error(&c, "--quota: quotas are per owner: "
			    "use -g owner or no -g");
		read_quotas(&x);
	}
	x.report = 1;
	if ((x.backtest || x.score_path != NULL) && c.ninputs == 0)
		spool_stdin(&x);
	if (x.score_path != NULL)
		score(&x);
	if (x.backtest)
		backtest(&x);
	if (!c.has_period) {
		sp_error e;
		sp_err_clear(&e);
		if (sp_period_parse("this-quarter", &c.cal, &c.period, &e) < 0)
			cli_fail(&c, &e);
		c.has_period = 1;
	}
	/* the target periods: the period, or its --every buckets */
	if (c.every == SP_EVERY_NONE) {
		per = &c.period;
		np = 1;
	} else {
		sp_period b;
		int64_t next;
		for (sp_period_bucket(c.period.start, c.every, &c.cal, &b);
		    b.start < c.period.end;
		    sp_period_bucket(next, c.every, &c.cal, &b)) {
			sp_period *v = realloc(per, (np + 1) * sizeof(*v));
			if (v == NULL)
				cli_oom(&c);
			per = v;
			next = b.end;
			/* --every splits the period: the ends are cut to it */
			if (b.start < c.period.start)
				b.start = c.period.start;
			if (b.end > c.period.end)
				b.end = c.period.end;
			per[np++] = b;
		}
	}
	run_pass(&x, c.cal.now, per, np);
	forecast_rows(&x);
	return 0;
}
