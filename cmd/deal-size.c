/*
 * deal-size: the amounts of won (or lost, or open) deals per group and
 * period: count, total, mean, median, p25, p75 and p90, or with --bands
 * how many deals and how much fall in each half-open amount band.  One
 * aggregate on the engine (agg.h): a group's state is its amounts in
 * cents (exact quantiles need every value), their exact sum and the
 * bands' tallies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/stats.h"

static const char usage[] =
    "usage: deal-size [--open | --lost] [--bands edges] [-g fields]\n"
    "                 [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                 [--period period] [--every day|week|month|quarter|year]\n"
    "                 [--fiscal-start month] [--now time] [--as-of time]\n"
    "                 [--map spec] [--stages spec] [--date-format format]\n"
    "                 [--tz zone] [--max-bad n] [--rejects file]\n"
    "                 [--encoding encoding] [--delimiter sep]\n"
    "                 [--max-record-size size] [--decimal-comma]\n"
    "                 [--thousands sep] [--rates file] [--currency code]\n"
    "                 [--explain] [--spreadsheet-safe] [--partial | --merge]\n"
    "                 [--shard k/n] [--threads n]\n"
    "                 [--progress | --no-progress] [file ...]\n";

enum { OPT_OPEN = 1, OPT_LOST, OPT_BANDS };
enum { M_WON, M_LOST, M_OPEN };
static const char *const mode_name[] = { "won", "lost", "open" };

enum { C_COUNT, C_AMOUNT, C_MEAN, C_MEDIAN, C_P25, C_P75, C_P90, NSTAT };
enum { C_BAND, C_BAND_COUNT, C_BAND_AMOUNT, NBAND_COLS };

static const sp_agg_col stat_cols[NSTAT] = {
	{ "count", SP_AGG_COUNT },
	{ "amount", SP_AGG_MONEY },
	{ "mean", SP_AGG_MONEY },
	{ "median", SP_AGG_MONEY },
	{ "p25", SP_AGG_MONEY },
	{ "p75", SP_AGG_MONEY },
	{ "p90", SP_AGG_MONEY }
};

static const sp_agg_col band_cols[NBAND_COLS] = {
	{ "band", SP_AGG_TEXT },
	{ "count", SP_AGG_COUNT },
	{ "amount", SP_AGG_MONEY }
};

/* The deals of one band. */
struct band {
	int64_t n;
	sp_money_sum amount;
};

/*
 * A group's state: the amounts rounded to the cent (the quantiles), the
 * exact sum (the amount, the mean and the currency), then with --bands
 * one tally per band: below the first edge, between each two, from the
 * last on.
 */
struct size {
	sp_dist cents;
	sp_money_sum sum;
	struct band band[];
};

/* The options, read-only while deals are added (threads share them). */
struct ctx {
	sp_cli *cli;
	int mode;
	const char *bands_text;
	sp_money *edge;		/* --bands, increasing */
	char **edge_text;	/* as written */
	size_t nedge;
	size_t nband;		/* nedge + 1, or 0 without --bands */
	char **band_name;	/* "[1000,10000)" */
};

static void
size_init(void *ctx, void *p)
{
	const struct ctx *x = ctx;
	struct size *t = p;

	memset(p, 0, sizeof(*t) + x->nband * sizeof(struct band));
	sp_dist_init(&t->cents);
	sp_money_sum_init(&t->sum);
}

static void
size_fini(void *ctx, void *p)
{
	(void)ctx;
	sp_dist_free(&((struct size *)p)->cents);
}

static int
size_merge(void *ctx, void *into, void *from, sp_error *e)
{
	const struct ctx *x = ctx;
	struct size *a = into, *b = from;
	size_t i;

	if (sp_money_sum_merge(&a->sum, &b->sum, e) < 0)
		return -1;
	for (i = 0; i < x->nband; i++) {
		if (sp_money_sum_merge(&a->band[i].amount, &b->band[i].amount,
		    e) < 0)
			return -1;
		a->band[i].n += b->band[i].n;
	}
	if (sp_dist_merge(&a->cents, &b->cents) < 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/* {"cents":[...],"sum":M[,"bands":[[n,M],...]]} */
static json_t *
size_save(void *ctx, const void *p)
{
	const struct ctx *x = ctx;
	const struct size *t = p;
	json_t *o, *a, *v;
	size_t i;

	if ((o = json_pack("{s:o,s:o}", "cents", sp_agg_dist_save(&t->cents),
	    "sum", sp_agg_money_save(&t->sum))) == NULL)
		return NULL;
	if (x->nband == 0)
		return o;
	if ((a = json_array()) == NULL || json_object_set_new(o, "bands",
	    a) < 0)
		goto fail;
	for (i = 0; i < x->nband; i++)
		if ((v = json_pack("[I,o]", (json_int_t)t->band[i].n,
		    sp_agg_money_save(&t->band[i].amount))) == NULL ||
		    json_array_append_new(a, v) < 0)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int
size_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	const struct ctx *x = ctx;
	struct size *t = p;
	const json_t *m, *b;
	size_t i;

	if ((m = sp_agg_member(v, "cents", e)) == NULL ||
	    sp_agg_dist_load(&t->cents, m, "cents", e) < 0 ||
	    (m = sp_agg_member(v, "sum", e)) == NULL ||
	    sp_agg_money_load(&t->sum, m, e) < 0)
		return -1;
	if (x->nband == 0)
		return 0;
	if ((m = sp_agg_member(v, "bands", e)) == NULL)
		return -1;
	if (!json_is_array(m) || json_array_size(m) != x->nband)
		return sp_err_set(e, "bands", "not %zu bands in the partial "
		    "state", x->nband);
	json_array_foreach(m, i, b) {
		if (!json_is_array(b) || json_array_size(b) != 2)
			return sp_err_set(e, "bands", "a band is not [count, "
			    "amount]");
		if (sp_agg_int_load(&t->band[i].n, json_array_get(b, 0),
		    "bands", e) < 0 || sp_agg_money_load(&t->band[i].amount,
		    json_array_get(b, 1), e) < 0)
			return -1;
	}
	return 0;
}

/*
 * Quantile pct/100 of the sorted cents by linear interpolation between
 * the closest ranks (type 7, as cycle-time), exactly: h = (n-1)pct/100,
 * x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]), in hundredths
 * of a cent, as sp_money.
 */
static sp_money
quantile(const sp_dist *d, int pct)
{
	uint64_t h = (uint64_t)(d->n - 1) * (uint64_t)pct;
	size_t f = (size_t)(h / 100);
	sp_money v = (sp_money)d->v[f] * 100;

	if (h % 100 != 0)
		v += (sp_money)(h % 100) * ((sp_money)d->v[f + 1] -
		    d->v[f]);
	/* hundredths of a cent: SP_MONEY_UNIT / 10^4 each */
	return v * (SP_MONEY_UNIT / 10000);
}

/* A money cell of value v in the sum's currency ("" when it mixes). */
static void
set_money(sp_agg_row *r, size_t col, const sp_money_sum *s, sp_money v)
{
	sp_money_sum m = *s;

	m.v = v;
	sp_agg_set_money(r, col, &m);
}

static int
size_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	const struct ctx *x = ctx;
	struct size *t = p;
	static const int pct[] = { 50, 25, 75, 90 };
	size_t i;

	if (x->nband > 0) {
		for (i = 0; i < x->nband; i++) {
			/* below the first edge: only when a deal is there */
			if (i == 0 && t->band[0].n == 0)
				continue;
			sp_agg_set(r, C_BAND, x->band_name[i]);
			sp_agg_set_count(r, C_BAND_COUNT, t->band[i].n);
			/* one currency per group: a mix empties every band */
			set_money(r, C_BAND_AMOUNT, &t->sum,
			    t->band[i].amount.v);
			if (sp_agg_emit(r, e) < 0)
				return -1;
		}
		return 0;
	}
	sp_agg_set_count(r, C_COUNT, (int64_t)t->cents.n);
	sp_agg_set_money(r, C_AMOUNT, &t->sum);
	if (t->cents.n > 0) {
		sp_dist_finish(&t->cents);
		set_money(r, C_MEAN, &t->sum, sp_money_div_even(t->sum.v,
		    (sp_money)t->cents.n * (SP_MONEY_UNIT / 100)) *
		    (SP_MONEY_UNIT / 100));
		for (i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
			set_money(r, C_MEDIAN + i, &t->sum,
			    quantile(&t->cents, pct[i]));
	}
	return sp_agg_emit(r, e);
}

static void
exclude(sp_cli *c, const sp_deal *d, const char *reason)
{
	if (c->explain)
		cli_explain(c, d, "", "deal_size", "excluded", reason);
}

/* The band of value v: 0 below the first edge, i after edge i-1. */
static size_t
band_of(const struct ctx *x, sp_money v)
{
	size_t i;

	for (i = 0; i < x->nedge && v >= x->edge[i]; i++)
		;
	return i;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = x->cli;
	int want = x->mode == M_WON ? SP_WON : x->mode == M_LOST ? SP_LOST :
	    SP_OPEN;
	const char *label = "";
	struct size *t;
	sp_money_sum sum;
	size_t cl, b = 0;
	int64_t cents;
	int dated = c->has_period || c->every != SP_EVERY_NONE;
	int has_time;
	int64_t when;
	char amt[48], why[160];

	/* without --every a group exists even when none of it counts */
	cli_agg_group(run, d);
	if (d->kind != want) {
		exclude(c, d, d->as_of_open ? "open at the as-of time (closed "
		    "after it)" : sp_stage_kind_name(d->kind));
		return 0;
	}
	if (!d->has_amount) {
		exclude(c, d, "no amount");
		return 0;
	}
	/* closed deals by their close time, open ones by the expected
	   close date */
	has_time = want == SP_OPEN ? d->has_close_date : d->has_closed;
	when = want == SP_OPEN ? d->close_date : d->closed_at;
	if (dated && !has_time) {
		exclude(c, d, want == SP_OPEN ? "no close_date" :
		    "no close date");
		return 0;
	}
	if ((t = cli_agg_at(run, d, dated ? when : 0, &label)) == NULL) {
		exclude(c, d, want == SP_OPEN ? "expected to close outside "
		    "the period" : "closed outside the period");
		return 0;
	}
	if (sp_money_to_cents(d->value, &cents) < 0)
		return sp_err_set(e, "amount", "too large");
	/* check the sums first: a refused deal changes nothing */
	cl = strlen(d->currency);
	sum = t->sum;
	if (sp_money_sum_add(&sum, d->value, d->currency, cl, e) < 0)
		return -1;
	if (x->nband > 0) {
		b = band_of(x, d->value);
		if (sp_money_sum_add(&t->band[b].amount, d->value,
		    d->currency, cl, e) < 0)
			return -1;
		t->band[b].n++;
	}
	if (sp_dist_add(&t->cents, cents) < 0)
		return sp_err_set(e, NULL, "out of memory");
	t->sum = sum;
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s%s%s", mode_name[x->mode],
		    sp_money_format_exact(d->value, amt), x->nband > 0 ?
		    " in " : "", x->nband > 0 ? x->band_name[b] : "");
		cli_explain(c, d, label, "deal_size", "counted", why);
	}
	return 0;
}

/* --bands: increasing amounts, comma-separated; their names. */
static void
parse_bands(sp_cli *c, struct ctx *x)
{
	const char *s = x->bands_text, *p;
	size_t n = 1, i, len;
	int64_t micro;
	sp_error e;

	for (p = s; *p != '\0'; p++)
		n += *p == ',';
	if ((x->edge = calloc(n, sizeof(*x->edge))) == NULL ||
	    (x->edge_text = calloc(n, sizeof(*x->edge_text))) == NULL ||
	    (x->band_name = calloc(n + 1, sizeof(*x->band_name))) == NULL)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		len = strcspn(s, ",");
		sp_err_clear(&e);
		if (len == 0 || sp_money_parse(s, len, &micro, &e) < 0)
			cli_usage_error(c, "--bands: '%.*s' is not an amount",
			    (int)len, s);
		x->edge[i] = sp_money_of_micro(micro);
		if (i > 0 && x->edge[i] <= x->edge[i - 1])
			cli_usage_error(c, "--bands: the edges must increase "
			    "('%.*s' after '%s')", (int)len, s,
			    x->edge_text[i - 1]);
		if ((x->edge_text[i] = strndup(s, len)) == NULL)
			cli_oom(c);
		s += len + (s[len] == ',');
	}
	x->nedge = n;
	x->nband = n + 1;
	for (i = 0; i <= n; i++)
		if (asprintf(&x->band_name[i], "[%s,%s)", i == 0 ? "-inf" :
		    x->edge_text[i - 1], i == n ? "inf" : x->edge_text[i]) < 0)
			cli_oom(c);
}

static void
free_bands(struct ctx *x)
{
	size_t i;

	for (i = 0; i < x->nedge; i++)
		free(x->edge_text[i]);
	for (i = 0; i < x->nband; i++)
		free(x->band_name[i]);
	free(x->edge);
	free(x->edge_text);
	free(x->band_name);
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    { "open", no_argument, OPT_OPEN,
		    NULL, "measure the open deals instead of the won" },
	    { "lost", no_argument, OPT_LOST,
		    NULL, "measure the lost deals instead of the won" },
	    { "bands", required_argument, OPT_BANDS,
		    "edges", "count and sum the deals in amount bands" },
	    CLI_OPT_END };
	static sp_agg agg = { "deal-size", 0, size_init, size_fini,
	    size_merge, size_save, size_load, size_rows, stat_cols, NSTAT,
	    NULL, NULL, NULL, 0, NULL, 0 };
	static struct ctx x;
	const char *flag = NULL;
	sp_cli c;
	int ch, rc;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_OPEN:
		case OPT_LOST:
			if (flag != NULL && x.mode != (ch == OPT_OPEN ? M_OPEN :
			    M_LOST))
				cli_usage_error(&c, "--open and --lost cannot "
				    "be used together");
			x.mode = ch == OPT_OPEN ? M_OPEN : M_LOST;
			flag = ch == OPT_OPEN ? "--open" : "--lost";
			break;
		case OPT_BANDS:
			x.bands_text = optarg;
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	if (x.bands_text != NULL) {
		parse_bands(&c, &x);
		agg.cols = band_cols;
		agg.ncols = NBAND_COLS;
	}
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	agg.ctx = &x;
	agg.state_size = sizeof(struct size) + x.nband * sizeof(struct band);
	rc = cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CLOSED |
	    SP_NEED_CLOSE_DATE | SP_NEED_AS_OF_OPEN, add_deal);
	free_bands(&x);
	return rc;
}
