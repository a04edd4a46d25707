/*
 * loss-reasons: lost deals by lost_reason (and with --by-stage by the
 * stage they were lost from), per group and period: count, share of the
 * lost deals, lost amount, share of the lost amount, median time from
 * creation to loss.  One aggregate on the engine (agg.h): a group's
 * state is its reasons, each with its count, sum and durations, so the
 * shares need nothing outside the state and --partial/--merge give the
 * answer of one run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/stats.h"

static const char usage[] =
    "usage: loss-reasons [--by-stage] [-g fields] [-i csv|jsonl]\n"
    "                    [-o csv|jsonl|table|md] [--unit days|hours|minutes]\n"
    "                    [--period period]\n"
    "                    [--every day|week|month|quarter|year]\n"
    "                    [--fiscal-start month] [--now time] [--as-of time]\n"
    "                    [--map spec] [--stages spec] [--date-format format]\n"
    "                    [--tz zone] [--max-bad n] [--rejects file]\n"
    "                    [--encoding encoding] [--delimiter sep]\n"
    "                    [--max-record-size size] [--decimal-comma]\n"
    "                    [--thousands sep] [--rates file] [--currency code]\n"
    "                    [--explain] [--spreadsheet-safe]\n"
    "                    [--partial | --merge] [--shard k/n] [--threads n]\n"
    "                    [--progress | --no-progress]\n"
    "                    [file ...]\n";

enum { OPT_BY_STAGE = 1 };
static const char *const unit_name[] = { "days to loss", "hours to loss",
	"minutes to loss" };

#define NO_REASON	"(none)"
#define NO_STAGE	"(unknown)"

enum { C_REASON, C_LOST, C_SHARE, C_AMOUNT, C_AMOUNT_SHARE, C_MEDIAN,
	NCOLS };

static const sp_agg_col cols[NCOLS + 1] = {
	{ "stage", SP_AGG_TEXT },
	{ "lost_reason", SP_AGG_TEXT },
	{ "lost", SP_AGG_COUNT },
	{ "share", SP_AGG_RATIO },
	{ "lost_amount", SP_AGG_MONEY },
	{ "amount_share", SP_AGG_RATIO },
	{ "median_to_loss", SP_AGG_DURATION }
};

/* One reason (with --by-stage, one stage and reason) of a group. */
struct reason {
	int stage;		/* --by-stage: lost from, -1 unknown */
	char *text;		/* the reason, NO_REASON when blank */
	int64_t n;
	sp_money_sum amount;
	sp_dist days;		/* creation to loss, seconds */
};

struct reasons {
	struct reason *v;
	size_t n, cap;
};

/* The options, read-only while deals are added (threads share them). */
struct ctx {
	sp_cli *cli;
	int by_stage;
	int slot;		/* lost_reason */
	size_t col0;		/* 1 with --by-stage (the stage column) */
};

static void
reasons_init(void *ctx, void *p)
{
	(void)ctx;
	memset(p, 0, sizeof(struct reasons));
}

static void
reasons_fini(void *ctx, void *p)
{
	struct reasons *t = p;
	size_t i;

	(void)ctx;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].text);
		sp_dist_free(&t->v[i].days);
	}
	free(t->v);
}

/* The reason (stage, text) of t, made on first use; NULL: memory. */
static struct reason *
reason_get(struct reasons *t, int stage, const char *text, size_t len)
{
	struct reason *r;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].stage == stage && strlen(t->v[i].text) == len &&
		    memcmp(t->v[i].text, text, len) == 0)
			return &t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4;
		if ((r = realloc(t->v, cap * sizeof(*r))) == NULL)
			return NULL;
		t->v = r;
		t->cap = cap;
	}
	r = &t->v[t->n];
	memset(r, 0, sizeof(*r));
	if ((r->text = strndup(text, len)) == NULL)
		return NULL;
	r->stage = stage;
	sp_money_sum_init(&r->amount);
	sp_dist_init(&r->days);
	t->n++;
	return r;
}

static int
reasons_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct reasons *a = into, *b = from;
	struct reason *r, *s;
	size_t i;

	(void)ctx;
	for (i = 0; i < b->n; i++) {
		s = &b->v[i];
		if ((r = reason_get(a, s->stage, s->text, strlen(s->text))) ==
		    NULL)
			return sp_err_set(e, NULL, "out of memory");
		if (sp_money_sum_merge(&r->amount, &s->amount, e) < 0)
			return -1;
		if (sp_dist_merge(&r->days, &s->days) < 0)
			return sp_err_set(e, NULL, "out of memory");
		r->n += s->n;
	}
	return 0;
}

/* {"reasons":[{"stage":S,"reason":R,"n":N,"amount":M,"days":[...]}]},
 * the stage by name (the merge's stage list may number them otherwise),
 * null when unknown, left out without --by-stage. */
static json_t *
reasons_save(void *ctx, const void *p)
{
	const struct ctx *x = ctx;
	const struct reasons *t = p;
	json_t *a, *v;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < t->n; i++) {
		const struct reason *r = &t->v[i];

		if ((v = json_pack("{s:s,s:I,s:o,s:o}", "reason", r->text, "n",
		    (json_int_t)r->n, "amount", sp_agg_money_save(&r->amount),
		    "days", sp_agg_dist_save(&r->days))) == NULL ||
		    json_array_append_new(a, v) < 0)
			goto fail;
		if (x->by_stage && json_object_set_new(v, "stage",
		    r->stage < 0 ? json_null() :
		    json_string(x->cli->stages->v[r->stage].name)) < 0)
			goto fail;
	}
	return json_pack("{s:o}", "reasons", a);
fail:
	json_decref(a);
	return NULL;
}

static int
reasons_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	const struct ctx *x = ctx;
	struct reasons *t = p;
	const json_t *a, *o, *m;
	struct reason *r;
	size_t i;
	int64_t n;
	int s = -1;

	if ((a = sp_agg_member(v, "reasons", e)) == NULL)
		return -1;
	if (!json_is_array(a))
		return sp_err_set(e, "reasons", "not a list in the partial "
		    "state");
	json_array_foreach(a, i, o) {
		if ((m = sp_agg_member(o, "reason", e)) == NULL)
			return -1;
		if (!json_is_string(m))
			return sp_err_set(e, "reason", "not a string in the "
			    "partial state");
		if (x->by_stage) {
			const json_t *sm = sp_agg_member(o, "stage", e);
			if (sm == NULL)
				return -1;
			if (json_is_null(sm))
				s = -1;
			else if (!json_is_string(sm) || (s = sp_stages_find(
			    x->cli->stages, json_string_value(sm),
			    json_string_length(sm))) < 0)
				return sp_err_set(e, "stage", "not a stage of "
				    "the list in the partial state (known: %s)",
				    sp_stages_known(x->cli->stages));
		}
		if ((r = reason_get(t, s, json_string_value(m),
		    json_string_length(m))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		if ((m = sp_agg_member(o, "n", e)) == NULL ||
		    sp_agg_int_load(&n, m, "n", e) < 0 ||
		    (m = sp_agg_member(o, "amount", e)) == NULL)
			return -1;
		{
			sp_money_sum amt;
			sp_money_sum_init(&amt);
			if (sp_agg_money_load(&amt, m, e) < 0 ||
			    sp_money_sum_merge(&r->amount, &amt, e) < 0)
				return -1;
		}
		if ((m = sp_agg_member(o, "days", e)) == NULL ||
		    sp_agg_dist_load(&r->days, m, "days", e) < 0)
			return -1;
		r->n += n;
	}
	return 0;
}

/* The order of the rows: by stage (list order, unknown last) with
 * --by-stage, then the most lost first, then the reason's bytes. */
static int
reason_cmp(const void *pa, const void *pb)
{
	const struct reason *a = pa, *b = pb;
	unsigned sa = (unsigned)a->stage, sb = (unsigned)b->stage;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->text, b->text);
}

static int
reasons_rows(void *ctx, void *p, sp_agg_row *row, sp_error *e)
{
	const struct ctx *x = ctx;
	struct reasons *t = p;
	sp_money_sum total, amount;
	int64_t n = 0;
	size_t i, c = x->col0;
	char b[32];

	sp_money_sum_init(&total);
	for (i = 0; i < t->n; i++) {
		n += t->v[i].n;
		if (sp_money_sum_merge(&total, &t->v[i].amount, e) < 0)
			return -1;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), reason_cmp);
	for (i = 0; i < t->n; i++) {
		struct reason *r = &t->v[i];

		if (x->by_stage)
			sp_agg_set(row, 0, r->stage < 0 ? NO_STAGE :
			    x->cli->stages->v[r->stage].name);
		sp_agg_set(row, c + C_REASON, r->text);
		sp_agg_set_count(row, c + C_LOST, r->n);
		sp_agg_set_ratio(row, c + C_SHARE, r->n, n);
		/* one currency per group and period: a mix empties every
		   amount of it */
		amount = r->amount;
		amount.mixed |= total.mixed;
		sp_agg_set_money(row, c + C_AMOUNT, &amount);
		sp_agg_set_money_ratio(row, c + C_AMOUNT_SHARE, &amount,
		    &total);
		if (r->days.n > 0)
			sp_agg_set(row, c + C_MEDIAN, sp_duration_format(
			    sp_dist_quantile(&r->days, 0.5), x->cli->unit, b));
		if (sp_agg_emit(row, e) < 0)
			return -1;
	}
	return 0;
}

static void
exclude(sp_cli *c, const sp_deal *d, const char *reason)
{
	if (c->explain)
		cli_explain(c, d, "", "lost", "excluded", reason);
}

/* The deal's lost_reason, trimmed of nothing: "" when it has none. */
static const char *
reason_of(const struct ctx *x, const sp_deal *d, size_t *len)
{
	const char *s = NULL;

	*len = 0;
	if (x->slot < 0)
		return "";
	if (d->rec != NULL) {
		if (sp_rec_has(d->rec, x->slot)) {
			s = sp_rec_get(d->rec, x->slot);
			*len = sp_rec_len(d->rec, x->slot);
		}
	} else if (d->vals != NULL && (size_t)x->slot < d->nvals &&
	    d->vals[x->slot] != NULL) {
		s = d->vals[x->slot];
		*len = strlen(s);
	}
	return s == NULL ? "" : s;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = x->cli;
	const char *label = "", *text, *nocycle;
	struct reasons *t;
	struct reason *r;
	sp_money_sum amount;
	size_t len;
	int stage;
	int64_t cycle = 0;
	char amt[48], dur[32], why[640];

	if (d->kind != SP_LOST) {
		exclude(c, d, d->as_of_open ? "open at the as-of time (closed "
		    "after it)" : sp_stage_kind_name(d->kind));
		return 0;
	}
	if ((c->has_period || c->every != SP_EVERY_NONE) && !d->has_closed) {
		exclude(c, d, "no close date");
		return 0;
	}
	if ((t = cli_agg_at(run, d, d->closed_at, &label)) == NULL) {
		exclude(c, d, "closed outside the period");
		return 0;
	}
	text = reason_of(x, d, &len);
	if (len == 0) {
		text = NO_REASON;
		len = strlen(text);
	}
	stage = x->by_stage ? d->lost_stage : -1;
	if ((r = reason_get(t, stage, text, len)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (d->has_amount) {
		/* a refused deal changes nothing */
		amount = r->amount;
		if (sp_money_sum_add(&amount, d->value, d->currency,
		    strlen(d->currency), e) < 0)
			return -1;
		r->amount = amount;
	}
	/* the time to loss: cycle-time's cycle of the lost deal */
	nocycle = sp_deal_cycle(d, &cycle);
	if (nocycle == NULL && sp_dist_add(&r->days, cycle) < 0)
		return sp_err_set(e, NULL, "out of memory");
	r->n++;
	if (c->explain) {
		snprintf(why, sizeof(why), "%s%s%slost_reason '%s', %s%s, %s%s%s",
		    x->by_stage ? "lost from " : "", x->by_stage ? (stage < 0 ?
		    NO_STAGE : c->stages->v[stage].name) : "", x->by_stage ?
		    ", " : "", r->text, d->has_amount ? "amount " : "no amount",
		    d->has_amount ? sp_money_format_exact(d->value, amt) : "",
		    nocycle == NULL ? sp_duration_format((double)cycle,
		    c->unit, dur) : "no time to loss", nocycle == NULL ?
		    " " : "", nocycle == NULL ? unit_name[c->unit] : "");
		cli_explain(c, d, label, "lost", "counted", why);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    CLI_UNIT_LONGOPT,
	    { "by-stage", no_argument, OPT_BY_STAGE,
		    NULL, "add the stage each deal was lost from" },
	    CLI_OPT_END };
	static sp_agg agg = { "loss-reasons", sizeof(struct reasons),
	    reasons_init, reasons_fini, reasons_merge, reasons_save,
	    reasons_load, reasons_rows, cols + 1, NCOLS, NULL, NULL, NULL, 0,
	    NULL, 0 };
	static struct ctx x;
	sp_cli c;
	int ch;

	x.slot = -1;
	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		if (ch == OPT_BY_STAGE)
			x.by_stage = 1;
		else if (!cli_option(&c, ch, optarg))
			cli_usage(&c);
	}
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	if (x.by_stage) {
		x.col0 = 1;
		agg.cols = cols;
		agg.ncols = NCOLS + 1;
	}
	/* --merge reads states, not records: no slot */
	if (c.rd != NULL && ((x.slot = sp_reader_slot(c.rd, "lost_reason")) <
	    0 || sp_reader_use(c.rd, x.slot) < 0))
		cli_oom(&c);
	agg.ctx = &x;
	return cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CREATED |
	    SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN | SP_NEED_ALL, add_deal);
}
