/*
 * scorecard: reps side by side for a period: what they won, their win
 * rates, deal sizes and cycle, their open and weighted pipeline, the deals
 * they created, and with --quota their attainment; with --teams rolled up
 * into teams, territories or managers; with --rank-by ranked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/quota.h"
#include "salespipe/stats.h"
#include "salespipe/winrate.h"
#include "salespipe/teams.h"

static const char usage[] =
    "usage: scorecard [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                 [--period period] [--every day|week|month|quarter|year]\n"
    "                 [--quota file] [--teams file] [--rank-by metrics]\n"
    "                 [--fiscal-start month] [--now time] [--as-of time]\n"
    "                 [--map spec] [--stages spec] [--date-format format]\n"
    "                 [--tz zone] [--unit days|hours|minutes] [--max-bad n]\n"
    "                 [--rejects file] [--encoding encoding]\n"
    "                 [--delimiter sep] [--max-record-size size]\n"
    "                 [--decimal-comma] [--thousands sep] [--rates file]\n"
    "                 [--currency code] [--probability-scale 1|100]\n"
    "                 [--explain] [--spreadsheet-safe] [--partial | --merge]\n"
    "                 [--shard k/n] [--threads n]\n"
    "                 [--progress | --no-progress] [file ...]\n";

enum { OPT_QUOTA = 1, OPT_TEAMS, OPT_RANK_BY };

/* The columns: the card, then with --quota the quota's, then the ranks. */
enum { C_WON, C_WON_AMOUNT, C_LOST, C_WIN_RATE, C_WIN_RATE_VALUE,
	C_AVG_WON, C_MEDIAN_WON, C_MEDIAN_CYCLE, C_OPEN, C_OPEN_PIPELINE,
	C_WEIGHTED_PIPELINE, C_CREATED, C_QUOTA, C_ATTAINMENT, C_GAP,
	C_COVERAGE, NCOLS };

static const sp_agg_col card_cols[NCOLS] = {
	{ "won", SP_AGG_COUNT },
	{ "won_amount", SP_AGG_MONEY },
	{ "lost", SP_AGG_COUNT },
	{ "win_rate", SP_AGG_RATIO },
	{ "win_rate_value", SP_AGG_RATIO },
	{ "avg_won", SP_AGG_MONEY },
	{ "median_won", SP_AGG_MONEY },
	{ "median_cycle", SP_AGG_DURATION },
	{ "open", SP_AGG_COUNT },
	{ "open_pipeline", SP_AGG_MONEY },
	{ "weighted_pipeline", SP_AGG_MONEY },
	{ "created", SP_AGG_COUNT },
	{ "quota", SP_AGG_MONEY },
	{ "attainment", SP_AGG_RATIO },
	{ "gap", SP_AGG_MONEY },
	{ "coverage", SP_AGG_RATIO }
};

/* Metrics where less ranks first; the others rank the most first. */
static int
rank_ascending(int col)
{
	return col == C_LOST || col == C_MEDIAN_CYCLE || col == C_GAP;
}

#define MAX_RANK NCOLS

struct sc {
	sp_cli *c;
	const char *quota_path, *teams_path, *rank_spec;
	sp_quotas q;
	sp_teams teams;
	int has_teams;
	int *roll;		/* per -g field: SP_TEAMS_* or -1 */
	char **cols_names;	/* the -g columns as printed */
	size_t nby;		/* how many (cli_finish clears the cli's) */
	int rolls;		/* some -g field is rolled up */
	int quota_kind;		/* SP_QUOTA_*, or -1: rolled up by manager */
	int quota_members;	/* the group's quota may be its members' */
	int rank[MAX_RANK];	/* the columns ranked, in order */
	size_t nrank;
	sp_agg_col *cols;
	size_t ncols;
	int64_t team_time;	/* open deals: their team as of then */
	long negative_out;	/* negative cycles in the rows written */
	long no_team;		/* deals whose owner the teams file lacks
				   (atomic: threads add deals at once) */
};

struct card {
	sp_winrate closed;	/* won and lost, as win-rate counts them */
	int64_t open, created;
	int64_t negative;	/* won deals closed before they were created */
	sp_money_sum open_amount;
	sp_money weighted;	/* open amounts x basis points */
	sp_dist won_deals;	/* won amounts, micro-units */
	sp_dist cycle;		/* won deals' created to closed, seconds */
	int has_span;		/* the row's period (for its quota) */
	int64_t span_start, span_end;
	int64_t rank[MAX_RANK];	/* prepare's: 0 none */
};

static void
card_init(void *ctx, void *p)
{
	struct card *t = p;

	(void)ctx;
	sp_winrate_init(&t->closed);
	sp_money_sum_init(&t->open_amount);
	sp_dist_init(&t->won_deals);
	sp_dist_init(&t->cycle);
}

static void
card_fini(void *ctx, void *p)
{
	struct card *t = p;

	(void)ctx;
	sp_dist_free(&t->won_deals);
	sp_dist_free(&t->cycle);
}

static int
card_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct card *a = into, *b = from;

	(void)ctx;
	if (sp_winrate_merge(&a->closed, &b->closed, e) < 0 ||
	    sp_money_sum_merge(&a->open_amount, &b->open_amount, e) < 0)
		return -1;
	if (sp_money_add(&a->weighted, b->weighted) < 0)
		return sp_err_set(e, "amount", "sum of amounts overflows");
	if (sp_dist_merge(&a->won_deals, &b->won_deals) < 0 ||
	    sp_dist_merge(&a->cycle, &b->cycle) < 0)
		return sp_err_set(e, NULL, "out of memory");
	a->open += b->open;
	a->created += b->created;
	a->negative += b->negative;
	if (!a->has_span && b->has_span) {
		a->has_span = 1;
		a->span_start = b->span_start;
		a->span_end = b->span_end;
	}
	return 0;
}

/* The weighted sum is a 128-bit integer: saved as its decimal text. */
static json_t *
money_json(sp_money v)
{
	char b[48], *p = b + sizeof(b) - 1;
	int neg = v < 0;
	unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u > 0);
	if (neg)
		*--p = '-';
	return json_string(p);
}

static int
money_unjson(sp_money *v, const json_t *j, sp_error *e)
{
	const char *s = json_string_value(j);
	unsigned __int128 u = 0;
	int neg;

	if (s == NULL)
		return sp_err_set(e, NULL, "weighted: not a string");
	neg = *s == '-';
	s += neg;
	if (*s == '\0' || strlen(s) > 38)
		return sp_err_set(e, NULL, "weighted: not a number");
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return sp_err_set(e, NULL, "weighted: not a number");
		u = u * 10 + (unsigned)(*s - '0');
	}
	*v = neg ? -(sp_money)u : (sp_money)u;
	return 0;
}

static json_t *
card_save(void *ctx, const void *p)
{
	const struct card *t = p;
	json_t *o;

	(void)ctx;
	o = json_pack("{s:o,s:I,s:I,s:I,s:o,s:o,s:o,s:o}",
	    "closed", sp_winrate_save(&t->closed),
	    "open", (json_int_t)t->open, "created", (json_int_t)t->created,
	    "negative", (json_int_t)t->negative,
	    "open_amount", sp_agg_money_save(&t->open_amount),
	    "weighted", money_json(t->weighted),
	    "won_deals", sp_agg_dist_save(&t->won_deals),
	    "cycle", sp_agg_dist_save(&t->cycle));
	/* the row's period, for its quota: with periods only */
	if (o != NULL && t->has_span && json_object_set_new(o, "span",
	    json_pack("[I,I]", (json_int_t)t->span_start,
	    (json_int_t)t->span_end)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
card_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct card *t = p;
	const json_t *x;
	int64_t s, en;

	(void)ctx;
	if ((x = sp_agg_member(v, "closed", e)) == NULL ||
	    sp_winrate_load(&t->closed, x, e) < 0 ||
	    (x = sp_agg_member(v, "open", e)) == NULL ||
	    sp_agg_int_load(&t->open, x, "open", e) < 0 ||
	    (x = sp_agg_member(v, "created", e)) == NULL ||
	    sp_agg_int_load(&t->created, x, "created", e) < 0 ||
	    (x = sp_agg_member(v, "negative", e)) == NULL ||
	    sp_agg_int_load(&t->negative, x, "negative", e) < 0 ||
	    (x = sp_agg_member(v, "open_amount", e)) == NULL ||
	    sp_agg_money_load(&t->open_amount, x, e) < 0 ||
	    (x = sp_agg_member(v, "weighted", e)) == NULL ||
	    money_unjson(&t->weighted, x, e) < 0 ||
	    (x = sp_agg_member(v, "won_deals", e)) == NULL ||
	    sp_agg_dist_load(&t->won_deals, x, "won_deals", e) < 0 ||
	    (x = sp_agg_member(v, "cycle", e)) == NULL ||
	    sp_agg_dist_load(&t->cycle, x, "cycle", e) < 0)
		return -1;
	if ((x = json_object_get(v, "span")) != NULL) {
		if (!json_is_array(x) || json_array_size(x) != 2 ||
		    sp_agg_int_load(&s, json_array_get(x, 0), "span", e) < 0 ||
		    sp_agg_int_load(&en, json_array_get(x, 1), "span", e) < 0)
			return sp_err_set(e, NULL, "span: not two times");
		t->has_span = 1;
		t->span_start = s;
		t->span_end = en;
	}
	return 0;
}

/* The sum of the owner quotas of a group's members (sp_teams_members). */
struct members {
	const sp_quotas *q;
	int64_t start, end;
	sp_money sum;
	int has;
};

static int
member_quota(void *arg, const char *owner)
{
	struct members *m = arg;
	int has;

	m->sum += sp_quota_of(m->q, SP_QUOTA_OWNER, owner, m->start, m->end,
	    &has);
	m->has |= has;
	return 0;
}

/* A group's quota for the row's period: *has 0 when none applies. */
static sp_money
group_quota(struct sc *x, const struct card *t, const char *name, int *has)
{
	struct members m;
	sp_cli *c = x->c;
	sp_money q = 0;
	int64_t start, end;

	*has = 0;
	if (t->has_span) {
		start = t->span_start;
		end = t->span_end;
	} else if (c->has_period && c->every == SP_EVERY_NONE) {
		/* a group whose deals all count outside the period */
		start = c->period.start;
		end = c->period.end;
	} else {
		return 0;
	}
	if (x->quota_kind >= 0)
		q = sp_quota_of(&x->q, x->quota_kind, name, start, end, has);
	if (*has || !x->quota_members)
		return q;
	memset(&m, 0, sizeof(m));
	m.q = &x->q;
	m.start = start;
	m.end = end;
	sp_teams_members(&x->teams, x->roll[0], name, start, end,
	    member_quota, &m);
	*has = m.has;
	return m.sum;
}

/* The median of a distribution of micro-units, exact (half a cent is
 * kept: the mean of the two middle values). */
static sp_money
median_money(sp_dist *d)
{
	sp_dist_finish(d);
	if (d->n % 2 == 1)
		return sp_money_of_micro(d->v[d->n / 2]);
	return sp_money_div_even(sp_money_of_micro(d->v[d->n / 2 - 1]) +
	    sp_money_of_micro(d->v[d->n / 2]), 2);
}

/*
 * Every cell of a group's row as it is printed (before the writer's
 * rounding of ratios); *mixed is set when a money cell is empty because
 * its sum mixes currencies.  name: the group's one -g value (quotas).
 */
static void
card_cells(struct sc *x, struct card *t, const char *name,
    char cell[NCOLS][48], int *mixed)
{
	const sp_winrate *k = &t->closed;
	int unit = x->c->unit, hq = 0;
	sp_money q, gap, exact;

	memset(cell, 0, sizeof(char[NCOLS][48]));
	sp_count_format(k->won, cell[C_WON]);
	sp_count_format(k->lost, cell[C_LOST]);
	sp_count_format(t->open, cell[C_OPEN]);
	sp_count_format(t->created, cell[C_CREATED]);
	sp_ratio_text(k->won, k->won + k->lost, cell[C_WIN_RATE]);
	if (k->closed_amount.mixed || k->won_amount.mixed) {
		*mixed = 1;
	} else {
		sp_money_format_exact(k->won_amount.v, cell[C_WON_AMOUNT]);
		sp_ratio_text_money(k->won_amount.v, k->closed_amount.v,
		    cell[C_WIN_RATE_VALUE]);
		if (k->won > 0) {
			sp_money_format_div(k->won_amount.v, k->won,
			    cell[C_AVG_WON]);
			sp_money_format_exact(median_money(&t->won_deals),
			    cell[C_MEDIAN_WON]);
		}
	}
	if (t->cycle.n > 0) {
		sp_dist_finish(&t->cycle);
		sp_duration_format(sp_dist_quantile(&t->cycle, 0.5), unit,
		    cell[C_MEDIAN_CYCLE]);
	}
	if (t->open_amount.mixed) {
		*mixed = 1;
	} else {
		sp_money_format_exact(t->open_amount.v, cell[C_OPEN_PIPELINE]);
		sp_money_format_div(t->weighted, 10000,
		    cell[C_WEIGHTED_PIPELINE]);
	}
	if (x->quota_path == NULL)
		return;
	q = group_quota(x, t, name, &hq);
	if (!hq)
		return;
	sp_money_format_exact(q, cell[C_QUOTA]);
	if (k->closed_amount.mixed || k->won_amount.mixed)
		return;
	exact = k->won_amount.v;
	gap = q - exact;
	sp_ratio_text_money(exact, q, cell[C_ATTAINMENT]);
	sp_money_format_exact(gap, cell[C_GAP]);
	if (gap > 0 && !t->open_amount.mixed)
		sp_ratio_text_money(t->open_amount.v, gap, cell[C_COVERAGE]);
}

/* A printed number as an integer of its last decimal (every value of a
 * column has the same decimals); ratios are cut to the six printed. */
static __int128
cell_value(const char *s, int col)
{
	__int128 v = 0;
	int neg = *s == '-', decimals = -1;

	for (s += neg; *s != '\0'; s++) {
		if (*s == '.') {
			decimals = 0;
			continue;
		}
		v = v * 10 + (*s - '0');
		if (decimals >= 0)
			decimals++;
	}
	if (card_cols[col].type == SP_AGG_RATIO)
		for (; decimals > 6; decimals--)
			v = (v + (decimals == 7 ? 5 : 0)) / 10;
	return neg ? -v : v;
}

/* prepare's list of one ranked column: a value per group and period. */
struct ranked {
	const char *period;	/* points into keys kept by the table */
	size_t periodlen;
	__int128 v;
	struct card *t;
};

struct rank_walk {
	struct sc *x;
	struct ranked *v;
	size_t n, cap;
	int col;		/* the index into sc.rank */
	int failed;
};

static int
rank_collect(void *arg, const char *key, size_t keylen, void *state)
{
	struct rank_walk *w = arg;
	struct sc *x = w->x;
	sp_cli *c = x->c;
	struct card *t = state;
	char cell[NCOLS][48];
	const char *p = key + keylen, **parts;
	int mixed = 0, col = x->rank[w->col];

	/* the period: the key's last part (labels hold no SP_KEY_SEP) */
	if (c->has_period || c->every != SP_EVERY_NONE)
		while (p > key && p[-1] != SP_KEY_SEP)
			p--;
	parts = cli_group_parts(c, key, keylen, c->nby);
	card_cells(x, t, c->nby == 1 ? parts[0] : NULL, cell, &mixed);
	t->rank[w->col] = 0;
	if (cell[col][0] == '\0')
		return 0;
	if (w->n == w->cap) {
		struct ranked *v = realloc(w->v, (w->cap * 2 + 16) *
		    sizeof(*v));
		if (v == NULL) {
			w->failed = 1;
			return 1;
		}
		w->v = v;
		w->cap = w->cap * 2 + 16;
	}
	w->v[w->n].period = p;
	w->v[w->n].periodlen = (size_t)(key + keylen - p);
	w->v[w->n].v = cell_value(cell[col], col);
	w->v[w->n].t = t;
	w->n++;
	return 0;
}

static int rank_desc;

static int
ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	size_t n = a->periodlen < b->periodlen ? a->periodlen : b->periodlen;
	int d = memcmp(a->period, b->period, n);

	if (d != 0)
		return d;
	if (a->periodlen != b->periodlen)
		return a->periodlen < b->periodlen ? -1 : 1;
	if (a->v == b->v)
		return 0;
	return (a->v < b->v) == !rank_desc ? -1 : 1;
}

/* --rank-by: each ranked column over the groups of each period, 1 for
 * the best; equal values share the rank (1, 2, 2, 4). */
static int
card_prepare(void *ctx, sp_agg_table *tab, sp_error *e)
{
	struct sc *x = ctx;
	struct rank_walk w;
	size_t k, i, start;

	memset(&w, 0, sizeof(w));
	w.x = x;
	for (k = 0; k < x->nrank; k++) {
		w.col = (int)k;
		w.n = 0;
		if (sp_agg_each(tab, rank_collect, &w) != 0 || w.failed) {
			free(w.v);
			return sp_err_set(e, NULL, "out of memory");
		}
		rank_desc = !rank_ascending(x->rank[k]);
		qsort(w.v, w.n, sizeof(*w.v), ranked_cmp);
		for (i = 0, start = 0; i < w.n; i++) {
			if (i == 0 || w.v[i].periodlen != w.v[i - 1].periodlen ||
			    memcmp(w.v[i].period, w.v[i - 1].period,
			    w.v[i].periodlen) != 0)
				start = i;
			if (i > start && w.v[i].v == w.v[i - 1].v)
				w.v[i].t->rank[k] = w.v[i - 1].t->rank[k];
			else
				w.v[i].t->rank[k] = (int64_t)(i - start + 1);
		}
	}
	free(w.v);
	return 0;
}

static int
card_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct sc *x = ctx;
	struct card *t = p;
	char cell[NCOLS][48];
	int mixed = 0;
	size_t i, n = x->quota_path != NULL ? NCOLS : C_QUOTA;

	card_cells(x, t, x->c->nby == 1 ? sp_agg_row_group(r, 0) : NULL, cell,
	    &mixed);
	x->negative_out += (long)t->negative;
	if (mixed)
		x->c->mixed = 1;
	for (i = 0; i < n; i++)
		sp_agg_set(r, i, cell[i]);
	for (i = 0; i < x->nrank; i++)
		if (t->rank[i] > 0)
			sp_agg_set_count(r, n + i, t->rank[i]);
	return sp_agg_emit(r, e);
}

/*
 * The deal as its group sees it at time at: with --teams, each rolled-up
 * -g value (the owner) replaced by the owner's team, territory or manager
 * then ("" when the teams file has no row for it).  *key is the key made
 * (free it), NULL when nothing was replaced.
 */
static int
deal_at(struct sc *x, const sp_deal *d, int64_t at, sp_deal *out,
    char **key, sp_error *e)
{
	sp_cli *c = x->c;
	const char **parts;
	char *buf = NULL, *k;
	size_t cap = 0, i, len = 0, n;
	const char *v;
	int missing = 0;

	*out = *d;
	*key = NULL;
	if (!x->rolls)
		return 0;
	/* threads add deals at once: buffers of this call's own */
	if ((parts = calloc(c->nby, sizeof(*parts))) == NULL ||
	    sp_group_key_split(d->key, d->keylen, c->nby, parts, &buf,
	    &cap) < 0) {
		free(parts);
		free(buf);
		sp_err_set(e, NULL, "out of memory");
		return 0;
	}
	for (i = 0; i < c->nby; i++) {
		if (x->roll[i] >= 0 && (v = sp_teams_of(&x->teams, parts[i],
		    strlen(parts[i]), at, x->roll[i])) != NULL)
			parts[i] = v;
		else if (x->roll[i] >= 0) {
			parts[i] = "";
			missing = 1;
		}
		len += strlen(parts[i]) + 1;
	}
	if ((k = malloc(len + 1)) == NULL) {
		free(parts);
		free(buf);
		sp_err_set(e, NULL, "out of memory");
		return 0;
	}
	for (i = 0, len = 0; i < c->nby; i++) {
		n = strlen(parts[i]);
		if (i > 0)
			k[len++] = SP_KEY_SEP;
		memcpy(k + len, parts[i], n);
		len += n;
	}
	k[len] = '\0';
	free(parts);
	free(buf);
	out->key = k;
	out->keylen = len;
	*key = k;
	return missing;
}

static void
exclude(sp_cli *c, const sp_deal *d, const char *metric, const char *why)
{
	if (c->explain)
		cli_explain(c, d, "", metric, "excluded", why);
}

static void
set_span(sp_cli *c, struct card *t, int64_t at)
{
	sp_period p;

	if (t->has_span)
		return;
	if (c->every != SP_EVERY_NONE) {
		sp_period_bucket(at, c->every, &c->cal, &p);
		t->span_start = p.start;
		t->span_end = p.end;
		t->has_span = 1;
	} else if (c->has_period) {
		t->span_start = c->period.start;
		t->span_end = c->period.end;
		t->has_span = 1;
	}
}

/* created: in the period of its created_at, its group then */
static int
add_created(sp_agg_run *run, struct sc *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->c;
	sp_deal g;
	char *key;
	const char *label;
	struct card *t;

	if (!d->has_created) {
		exclude(c, d, "created", "no created_at");
		return 0;
	}
	deal_at(x, d, d->created_at, &g, &key, e);
	if (x->rolls && key == NULL)
		return -1;
	if ((t = cli_agg_at(run, &g, d->created_at, &label)) == NULL) {
		exclude(c, &g, "created", "created outside the period");
	} else {
		set_span(c, t, d->created_at);
		t->created++;
		if (c->explain)
			cli_explain(c, &g, label, "created", "counted",
			    "created");
	}
	free(key);
	return 0;
}

static int
add_closed(sp_agg_run *run, struct sc *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->c;
	int won = d->kind == SP_WON, rc = -1;
	int64_t at = d->has_closed ? d->closed_at : x->team_time, micro = 0;
	int64_t cycle = 0;
	sp_deal g;
	char *key, amt[48], why[128], dur[32];
	const char *label, *nocycle;
	struct card *t;

	if ((c->has_period || c->every != SP_EVERY_NONE) && !d->has_closed) {
		exclude(c, d, "win_rate", "no close date");
		return 0;
	}
	deal_at(x, d, at, &g, &key, e);
	if (x->rolls && key == NULL)
		return -1;
	if ((t = cli_agg_at(run, &g, d->closed_at, &label)) == NULL) {
		exclude(c, &g, "win_rate", "closed outside the period");
		free(key);
		return 0;
	}
	set_span(c, t, d->closed_at);
	/* checked first: a refused deal changes nothing */
	if (won && d->has_amount && sp_money_to_micro(d->value, &micro) < 0) {
		sp_err_set(e, "amount", "out of range");
		goto out;
	}
	if (sp_winrate_add(&t->closed, d, e) < 0)
		goto out;
	/* the cycle of a won deal: cycle-time's definition */
	nocycle = won ? sp_deal_cycle(d, &cycle) : "not won";
	if (won) {
		if (nocycle == NULL && cycle < 0)
			t->negative++;
		if (sp_dist_add(&t->won_deals, micro) < 0 ||
		    (nocycle == NULL && sp_dist_add(&t->cycle, cycle) < 0)) {
			sp_err_set(e, NULL, "out of memory");
			goto out;
		}
	}
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s", won ? "won" : "lost",
		    d->has_amount ? sp_money_format_exact(d->value, amt) :
		    "(no amount: counts as 0.00)");
		cli_explain(c, &g, label, "win_rate", won ? "numerator" :
		    "denominator", why);
		if (won && nocycle == NULL) {
			snprintf(why, sizeof(why), "won %s %s%s",
			    sp_duration_format((double)cycle, c->unit, dur),
			    c->unit == SP_UNIT_DAYS ? "days" : c->unit ==
			    SP_UNIT_HOURS ? "hours" : "minutes", cycle < 0 ?
			    " (ends before it starts)" : "");
			cli_explain(c, &g, label, "median_cycle", "counted", why);
		} else if (won) {
			cli_explain(c, &g, label, "median_cycle", "excluded",
			    nocycle);
		}
	}
	rc = 0;
out:
	free(key);
	return rc;
}

/* open: its group as of the as-of time, in the period of its expected
 * close date */
static int
add_open(sp_agg_run *run, struct sc *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->c;
	int periods = c->has_period || c->every != SP_EVERY_NONE, rc = -1, bp;
	size_t cl = strlen(d->currency);
	sp_money amount = d->has_amount ? d->value : 0, wn;
	sp_money_sum open;
	sp_deal g;
	char *key, amt[48], why[160];
	const char *label;
	struct card *t;

	if (periods && !d->has_close_date) {
		exclude(c, d, "open_pipeline", "open, no close_date");
		return 0;
	}
	deal_at(x, d, x->team_time, &g, &key, e);
	if (x->rolls && key == NULL)
		return -1;
	if ((t = cli_agg_at(run, &g, d->close_date, &label)) == NULL) {
		exclude(c, &g, "open_pipeline", "closes outside the period");
		free(key);
		return 0;
	}
	set_span(c, t, d->close_date);
	bp = sp_deal_prob_bp(c->stages, d);
	open = t->open_amount;
	wn = t->weighted;
	if (sp_money_sum_add(&open, amount, d->currency, cl, e) < 0)
		goto out;
	/* exact: amount x basis points, rounded once when printed */
	if (sp_money_add_weighted(&wn, amount, bp) < 0) {
		sp_err_set(e, "amount", "sum of amounts overflows");
		goto out;
	}
	t->open_amount = open;
	t->weighted = wn;
	t->open++;
	if (c->explain) {
		snprintf(why, sizeof(why), "open %s at %d.%02d%%%s",
		    d->has_amount ? sp_money_format_exact(d->value, amt) :
		    "(no amount: counts as 0.00)", bp / 100, bp % 100,
		    d->has_prob ? "" : " (its stage's)");
		cli_explain(c, &g, label, "open_pipeline", "counted", why);
	}
	rc = 0;
out:
	free(key);
	return rc;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct sc *x = cli_agg_ctx(run);
	sp_deal g;
	char *key;

	/* without --every a group has its row even when nothing counts */
	if (deal_at(x, d, d->kind == SP_OPEN || !d->has_closed ?
	    x->team_time : d->closed_at, &g, &key, e))
		__atomic_fetch_add(&x->no_team, 1, __ATOMIC_RELAXED);
	if (x->rolls && key == NULL)
		return -1;
	cli_agg_group(run, &g);
	free(key);
	if (add_created(run, x, d, e) < 0)
		return -1;
	if (d->kind == SP_OPEN)
		return add_open(run, x, d, e);
	return add_closed(run, x, d, e);
}

/* After the output: the negative cycles it counted, as cycle-time says. */
static void
card_end(void *ctx)
{
	struct sc *x = ctx;

	if (x->no_team > 0)
		cli_warn(x->c, "%ld deal%s of owners the teams file has no "
		    "row for at the deal's time (close time, else the as-of "
		    "time) %s in the group of the empty value", x->no_team,
		    x->no_team == 1 ? "" : "s", x->no_team == 1 ? "is" : "are");
	if (x->negative_out > 0)
		cli_warn(x->c, "%ld won deal%s close%s before %s created (a "
		    "negative cycle counted in median_cycle; see --explain)",
		    x->negative_out, x->negative_out == 1 ? "" : "s",
		    x->negative_out == 1 ? "s" : "", x->negative_out == 1 ?
		    "it was" : "they were");
}

/* -g: the fields rolled up by --teams become the owner they come from. */
static void
setup_groups(struct sc *x)
{
	sp_cli *c = x->c;
	static const char *const roll_names[SP_TEAMS_N] = { "team",
		"territory", "manager" };
	size_t i;
	int k;

	if (c->nby == 0) {
		/* the default: an input without owners is one row */
		cli_option(c, 'g', "owner");
		c->by_optional = 1;
	}
	x->nby = c->nby;
	if ((x->roll = calloc(c->nby, sizeof(*x->roll))) == NULL ||
	    (x->cols_names = calloc(c->nby, sizeof(char *))) == NULL)
		cli_oom(c);
	for (i = 0; i < c->nby; i++) {
		x->roll[i] = -1;
		x->cols_names[i] = c->by[i];
		for (k = 0; x->has_teams && k < SP_TEAMS_N; k++)
			if (strcmp(c->by[i], roll_names[k]) == 0)
				x->roll[i] = k;
		if (x->roll[i] < 0)
			continue;
		x->rolls = 1;
		if ((c->by[i] = strdup("owner")) == NULL)
			cli_oom(c);
	}
	if (x->rolls)
		c->by_cols = x->cols_names;
}

/* --quota: which quotas a row takes (after cli_open: the periods). */
static void
setup_quota(struct sc *x)
{
	sp_cli *c = x->c;

	if (x->quota_path == NULL)
		return;
	if (c->nby != 1)
		cli_usage_error(c, "--quota: quotas are per owner, team, "
		    "territory or manager: use one of them as the only -g "
		    "field");
	x->quota_kind = x->roll[0] == SP_TEAMS_TEAM ? SP_QUOTA_TEAM :
	    x->roll[0] == SP_TEAMS_TERRITORY ? SP_QUOTA_TERRITORY :
	    x->roll[0] == SP_TEAMS_MANAGER ? -1 :
	    strcmp(x->cols_names[0], "owner") == 0 ? SP_QUOTA_OWNER :
	    strcmp(x->cols_names[0], "territory") == 0 ? SP_QUOTA_TERRITORY :
	    -2;
	if (x->quota_kind == -2)
		cli_usage_error(c, "--quota: quotas are per owner, team, "
		    "territory or manager: use one of them as the only -g "
		    "field (team and manager with --teams)");
	x->quota_members = x->roll[0] >= 0;
	if (c->has_period == 0 && c->every == SP_EVERY_NONE)
		cli_usage_error(c, "--quota: a quota is for a period: give "
		    "--period or --every");
}

/* --rank-by: column names, checked; then the columns of the run. */
static void
setup_columns(struct sc *x)
{
	sp_cli *c = x->c;
	size_t n = x->quota_path != NULL ? NCOLS : C_QUOTA, i;
	const char *p = x->rank_spec;
	char name[64], *colname;
	int k;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(name))
			cli_usage_error(c, "--rank-by: '%s' is not a list of "
			    "columns", x->rank_spec);
		memcpy(name, p, len);
		name[len] = '\0';
		for (k = 0; k < NCOLS && strcmp(card_cols[k].name, name) != 0;
		    k++)
			;
		if (k == NCOLS || (k >= C_QUOTA && x->quota_path == NULL))
			cli_usage_error(c, "--rank-by: '%s' is not a column%s",
			    name, k < NCOLS ? " without --quota" : "");
		for (i = 0; i < x->nrank; i++)
			if (x->rank[i] == k)
				cli_usage_error(c, "--rank-by: '%s' twice", name);
		if (x->nrank == MAX_RANK)
			cli_usage_error(c, "--rank-by: too many columns");
		x->rank[x->nrank++] = k;
		p = comma ? comma + 1 : NULL;
	}
	if ((x->cols = calloc(n + x->nrank, sizeof(*x->cols))) == NULL)
		cli_oom(c);
	for (i = 0; i < n; i++)
		x->cols[i] = card_cols[i];
	if (c->unit != SP_UNIT_DAYS)
		x->cols[C_MEDIAN_CYCLE].name = c->unit == SP_UNIT_HOURS ?
		    "median_cycle_hours" : "median_cycle_minutes";
	for (i = 0; i < x->nrank; i++) {
		if ((colname = malloc(strlen(card_cols[x->rank[i]].name) +
		    6)) == NULL)
			cli_oom(c);
		sprintf(colname, "rank_%s", card_cols[x->rank[i]].name);
		x->cols[n + i].name = colname;
		x->cols[n + i].type = SP_AGG_COUNT;
	}
	x->ncols = n + x->nrank;
}

static void
read_files(struct sc *x)
{
	sp_cli *c = x->c;
	sp_read_opts ro;
	sp_error e;

	cli_read_opts(c, &ro);
	ro.format = SP_FMT_AUTO;	/* -i is the deals' */
	sp_err_clear(&e);
	if (x->teams_path != NULL && sp_teams_read(&x->teams, x->teams_path,
	    &ro, c->date_format, c->tz, &e) < 0)
		cli_fail(c, &e);
	if (x->quota_path != NULL && sp_quotas_read(&x->q, x->quota_path, &ro,
	    &c->cal, &e) < 0)
		cli_fail(c, &e);
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    CLI_UNIT_LONGOPT,
	    CLI_PROB_LONGOPT,
	    { "quota", required_argument, OPT_QUOTA,
		    "file", "add quota, attainment, gap and coverage" },
	    { "teams", required_argument, OPT_TEAMS,
		    "file", "the teams file" },
	    { "rank-by", required_argument, OPT_RANK_BY,
		    "metrics", "add rank columns" },
	    CLI_OPT_END };
	static sp_agg agg = { "scorecard", sizeof(struct card), card_init,
	    card_fini, card_merge, card_save, card_load, card_rows, NULL, 0,
	    NULL, card_end, NULL, 0, card_prepare, 0 };
	static struct sc x;
	sp_cli c;
	int ch, rc;
	size_t i;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	x.c = &c;
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_QUOTA:
			x.quota_path = optarg;
			break;
		case OPT_TEAMS:
			x.teams_path = optarg;
			x.has_teams = 1;
			break;
		case OPT_RANK_BY:
			x.rank_spec = optarg;
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	cli_protect(&c, x.quota_path, "the --quota file");
	cli_protect(&c, x.teams_path, "the --teams file");
	setup_groups(&x);
	cli_open(&c, argc - optind, argv + optind);
	setup_quota(&x);
	setup_columns(&x);
	read_files(&x);
	x.team_time = c.has_as_of ? c.as_of : c.cal.now;
	agg.cols = x.cols;
	agg.ncols = x.ncols;
	agg.ctx = &x;
	rc = cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CREATED |
	    SP_NEED_CLOSED | SP_NEED_CLOSE_DATE | SP_NEED_PROB, add_deal);
	sp_quotas_free(&x.q);
	sp_teams_free(&x.teams);
	for (i = x.ncols - x.nrank; i < x.ncols; i++)
		free((char *)x.cols[i].name);
	for (i = 0; x.roll != NULL && i < x.nby; i++)
		if (x.roll[i] >= 0)
			free(x.cols_names[i]);
	free(x.cols);
	free(x.roll);
	free(x.cols_names);
	return rc;
}
