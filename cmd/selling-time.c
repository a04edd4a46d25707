/*
 * selling-time: where reps' time goes, from activities (calls, meetings,
 * demos, emails): hours per type, selling hours and their share of the
 * working hours, per owner and week (or any -g and --every), overlapping
 * activities of one owner counted once; with --deals, the activities and
 * selling hours spent on won and on lost deals, and with --by-stage at
 * each stage the deals were in at the activities' times.  One aggregate on the
 * engine: a group's state keeps its activities' intervals, resolved at
 * the output (the overlap rule needs them all, in any split).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/hours.h"
#include "salespipe/span.h"

static const char usage[] =
    "usage: selling-time [--selling types] [--hours-per-week n]\n"
    "                    [--hours ranges] [--days days] [--holidays file]\n"
    "                    [--deals file [--by-stage]] [-g fields]\n"
    "                    [-i csv|jsonl]\n"
    "                    [-o csv|jsonl|table|md] [--unit days|hours|minutes]\n"
    "                    [--period period]\n"
    "                    [--every day|week|month|quarter|year]\n"
    "                    [--fiscal-start month] [--now time] [--as-of time]\n"
    "                    [--map spec] [--stages spec] [--date-format format]\n"
    "                    [--tz zone]\n"
    "                    [--max-bad n] [--rejects file] [--encoding encoding]\n"
    "                    [--delimiter sep] [--max-record-size size]\n"
    "                    [--explain] [--spreadsheet-safe]\n"
    "                    [--partial | --merge] [--shard k/n] [--threads n]\n"
    "                    [--progress | --no-progress]\n"
    "                    [file ...]\n";

enum { OPT_SELLING = 1, OPT_HOURS_PER_WEEK, OPT_HOURS, OPT_DAYS,
	OPT_HOLIDAYS, OPT_DEALS, OPT_BY_STAGE };

/* What an activity's deal_id says, with --deals. */
enum { O_NONE, O_OPEN, O_WON, O_LOST };

/*
 * An activity's tag (sp_span.tag): its deal's outcome (O_*) and, with
 * --deals, the stage the deal was in at the activity's start (index into
 * the stage list; -1 when no deal of --deals): outcome + 4 * (stage + 1).
 */
#define TAG(o, s)	((o) + 4 * ((s) + 1))
#define TAG_OUTCOME(t)	((t) % 4)
#define TAG_STAGE(t)	((t) / 4 - 1)

/* --deals: a deal's outcome and where its stages are (ctx.visits[off ..
 * off + n - 1], a history's visits in time order; n 0: a snapshot, which
 * only knows stage). */
struct dinfo {
	int outcome, stage;
	size_t off, n;
};

/*
 * A group's state: its activities and its period bucket's bounds.  An
 * activity is a span (salespipe/span.h): [start, end) of owner, of a type
 * (lower case), key its deal ("" when none), tag its outcome (O_*); owner
 * is one allocation holding the three strings.
 */
struct sel {
	sp_span *v;
	size_t n, cap;
	int has_bucket;
	int64_t pstart, pend;
};

/* The options, read-only while activities are added (threads share
 * them); the columns are made by prepare, on the output's one thread. */
struct ctx {
	sp_cli *cli;
	sp_agg *agg;
	int at, owner, type, minutes, end_at, deal_id;	/* slots */
	char **selling;		/* --selling, lower case, in order */
	size_t nselling;
	int64_t week_secs;	/* --hours-per-week in seconds, or 0 */
	sp_hours *hours;	/* the calendar, or NULL */
	const char *hours_spec, *days_spec, *holidays_path, *deals_path;
	int by_stage;		/* --by-stage */
	sp_groups *deals;	/* --deals: id -> struct dinfo */
	sp_visit *visits;	/* their histories' visits */
	size_t nvisits, capvisits;
	/* the output's columns (prepare): every type of the answer */
	char **types;
	size_t ntypes;
	sp_agg_col *cols;
	char **colnames;
	size_t ncols;
	size_t c_stage, c_acts, c_type0, c_selling, c_total, c_working,
	    c_share, c_deals;
};

/* from ctx.c_acts: activities, selling_activities */
enum { C_ACTIVITIES, C_SELLING_ACTIVITIES };
/* --deals: per outcome (won, lost) these columns, from ctx.c_deals */
enum { D_DEALS, D_ACTIVITIES, D_SELLING, D_PER_DEAL, ND };

static const char *const unit_word[] = { "days", "hours", "minutes" };

static void
sel_init(void *ctx, void *p)
{
	(void)ctx;
	memset(p, 0, sizeof(struct sel));
}

static void
sel_fini(void *ctx, void *p)
{
	struct sel *t = p;
	size_t i;

	(void)ctx;
	for (i = 0; i < t->n; i++)
		free((char *)t->v[i].owner);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* Room for one more activity; NULL when out of memory. */
static sp_span *
act_slot(struct sel *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		sp_span *v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	return &t->v[t->n];
}

/* Fill a (its strings copied, type in lower case); -1 out of memory. */
static int
act_set(sp_span *a, const char *owner, size_t ol, const char *type,
    size_t tl, const char *deal, size_t dl)
{
	size_t i;
	char *s;

	if ((s = malloc(ol + tl + dl + 3)) == NULL)
		return -1;
	memcpy(s, owner, ol);
	s[ol] = '\0';
	for (i = 0; i < tl; i++)
		s[ol + 1 + i] = (char)((type[i] >= 'A' && type[i] <= 'Z') ?
		    type[i] - 'A' + 'a' : type[i]);
	s[ol + 1 + tl] = '\0';
	memcpy(s + ol + tl + 2, deal, dl);
	s[ol + tl + 2 + dl] = '\0';
	memset(a, 0, sizeof(*a));
	a->owner = s;
	a->type = s + ol + 1;
	a->key = s + ol + tl + 2;
	return 0;
}

static void
bucket_merge(struct sel *a, const struct sel *b)
{
	if (!a->has_bucket && b->has_bucket) {
		a->has_bucket = 1;
		a->pstart = b->pstart;
		a->pend = b->pend;
	}
}

/* Merging is concatenation: the rule is applied at the output. */
static int
sel_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct sel *a = into, *b = from;
	size_t i;

	(void)ctx;
	bucket_merge(a, b);
	for (i = 0; i < b->n; i++) {
		sp_span *s = act_slot(a);
		if (s == NULL) {
			/* b keeps those not moved: fini frees them */
			memmove(b->v, b->v + i, (b->n - i) * sizeof(*s));
			b->n -= i;
			return sp_err_set(e, NULL, "out of memory");
		}
		*s = b->v[i];
		a->n++;
	}
	b->n = 0;
	return 0;
}

static int
str_cmp(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* The index of s in the sorted v[0..n-1] (it is there). */
static size_t
str_index(char **v, size_t n, const char *s)
{
	char **p = bsearch(&s, v, n, sizeof(*v), str_cmp);

	return p != NULL ? (size_t)(p - v) : 0;
}

/*
 * The state as JSON: "b" the bucket [start, end] (none: []), "s" the
 * strings of its activities (sorted, once each), "a" six integers an
 * activity: start, end, owner, type and deal (indexes into "s"), outcome.
 * Integers only: times are whole seconds.
 */
static json_t *
sel_save(void *ctx, const void *p)
{
	const struct sel *t = p;
	char **strs;
	size_t i, k, n = 0;
	json_t *o = NULL, *s, *a, *b;

	(void)ctx;
	if ((strs = malloc((3 * t->n + 1) * sizeof(*strs))) == NULL)
		return NULL;
	for (i = 0; i < t->n; i++) {
		strs[n++] = (char *)t->v[i].owner;
		strs[n++] = (char *)t->v[i].type;
		strs[n++] = (char *)t->v[i].key;
	}
	if (n > 1)
		qsort(strs, n, sizeof(*strs), str_cmp);
	for (i = k = 0; i < n; i++)
		if (k == 0 || strcmp(strs[k - 1], strs[i]) != 0)
			strs[k++] = strs[i];
	n = k;
	if ((s = json_array()) == NULL || (a = json_array()) == NULL ||
	    (b = json_array()) == NULL ||
	    (o = json_pack("{s:o,s:o,s:o}", "b", b, "s", s, "a", a)) == NULL)
		goto fail;
	if (t->has_bucket && (json_array_append_new(b,
	    json_integer(t->pstart)) < 0 || json_array_append_new(b,
	    json_integer(t->pend)) < 0))
		goto fail;
	for (i = 0; i < n; i++)
		if (json_array_append_new(s, json_string(strs[i])) < 0)
			goto fail;
	for (i = 0; i < t->n; i++) {
		const sp_span *v = &t->v[i];
		json_int_t x[6];

		x[0] = v->start;
		x[1] = v->end;
		x[2] = (json_int_t)str_index(strs, n, v->owner);
		x[3] = (json_int_t)str_index(strs, n, v->type);
		x[4] = (json_int_t)str_index(strs, n, v->key);
		x[5] = v->tag;
		for (k = 0; k < 6; k++)
			if (json_array_append_new(a, json_integer(x[k])) < 0)
				goto fail;
	}
	free(strs);
	return o;
fail:
	free(strs);
	json_decref(o);
	return NULL;
}

static int
sel_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct sel *t = p;
	const json_t *b, *s, *a;
	const struct ctx *cx = ctx;
	int64_t x[6];
	size_t i, k, ns;

	if ((b = sp_agg_member(v, "b", e)) == NULL ||
	    (s = sp_agg_member(v, "s", e)) == NULL ||
	    (a = sp_agg_member(v, "a", e)) == NULL)
		return -1;
	if (!json_is_array(b) || !json_is_array(s) || !json_is_array(a) ||
	    json_array_size(a) % 6 != 0 || (json_array_size(b) != 0 &&
	    json_array_size(b) != 2))
		return sp_err_set(e, "state", "not a selling-time state");
	if (json_array_size(b) == 2) {
		int64_t ps, pe;
		if (sp_agg_int_load(&ps, json_array_get(b, 0), "b", e) < 0 ||
		    sp_agg_int_load(&pe, json_array_get(b, 1), "b", e) < 0)
			return -1;
		if (!t->has_bucket) {
			t->has_bucket = 1;
			t->pstart = ps;
			t->pend = pe;
		}
	}
	ns = json_array_size(s);
	for (i = 0; i < ns; i++)
		if (!json_is_string(json_array_get(s, i)))
			return sp_err_set(e, "s", "not a string in the partial "
			    "state");
	for (i = 0; i < json_array_size(a); i += 6) {
		const char *str[3];
		sp_span *n;

		for (k = 0; k < 6; k++)
			if (sp_agg_int_load(&x[k], json_array_get(a, i + k),
			    "a", e) < 0)
				return -1;
		for (k = 0; k < 3; k++) {
			if (x[2 + k] < 0 || (size_t)x[2 + k] >= ns)
				return sp_err_set(e, "a", "string %lld is not "
				    "in the partial state", (long long)x[2 + k]);
			str[k] = json_string_value(json_array_get(s,
			    (size_t)x[2 + k]));
		}
		if (x[1] < x[0] || x[5] < 0 || x[5] > TAG(O_LOST,
		    (int64_t)cx->cli->stages->n - 1))
			return sp_err_set(e, "a", "not an activity in the "
			    "partial state");
		if ((n = act_slot(t)) == NULL || act_set(n, str[0],
		    strlen(str[0]), str[1], strlen(str[1]), str[2],
		    strlen(str[2])) < 0)
			return sp_err_set(e, NULL, "out of memory");
		n->start = x[0];
		n->end = x[1];
		n->tag = (int)x[5];
		t->n++;
	}
	return 0;
}

/* 1 when type is one of --selling. */
static int
is_selling(const struct ctx *x, const char *type)
{
	size_t i;

	for (i = 0; i < x->nselling; i++)
		if (strcmp(x->selling[i], type) == 0)
			return 1;
	return 0;
}

/* The column of a type (the types are --selling's, then the rest in
 * byte order, ctx.types). */
static size_t
type_col(const struct ctx *x, const char *type)
{
	size_t i;

	for (i = 0; i < x->nselling; i++)
		if (strcmp(x->selling[i], type) == 0)
			return x->c_type0 + i;
	return x->c_type0 + x->nselling + str_index(x->types + x->nselling,
	    x->ntypes - x->nselling, type);
}

/* The working seconds of the bucket: num / den of them, exactly (the
 * --hours-per-week share of a bucket is not whole seconds). */
static void
working(const struct ctx *x, const struct sel *t, int64_t *num,
    int64_t *den)
{
	*num = 0;
	*den = 1;
	if (!t->has_bucket)
		return;
	if (x->hours != NULL) {
		*num = sp_hours_between(x->hours, t->pstart, t->pend);
		return;
	}
	*num = x->week_secs * (t->pend - t->pstart);
	*den = 7 * 86400;
}

static void
set_dur(struct ctx *x, sp_agg_row *r, size_t col, double secs)
{
	char b[48];

	sp_agg_set(r, col, sp_duration_format(secs, x->cli->unit, b));
}

/* Distinct deals among the won (or lost) activities, d[0..n-1]. */
static int64_t
distinct(const char **d, size_t n)
{
	size_t i;
	int64_t k = 0;

	if (n > 1)
		qsort(d, n, sizeof(*d), str_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(d[i - 1], d[i]) != 0)
			k++;
	return k;
}

/*
 * One row: the activities of t whose tag's stage is stage (all of them
 * when stage is ALL), their time as sp_spans_resolve counted it.
 */
#define ALL	(-2)

static int
tally(struct ctx *x, struct sel *t, int stage, sp_agg_row *r, sp_error *e)
{
	int64_t *secs, acts = 0, sell_acts = 0, sell = 0, total = 0;
	int64_t o_acts[4] = { 0 }, o_sell[4] = { 0 }, num, den;
	const char **ids[4] = { NULL };
	size_t n_ids[4] = { 0 }, i, k;
	int rc;

	if ((secs = calloc(x->ntypes + 1, sizeof(*secs))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (k = O_WON; k <= O_LOST; k++)
		if ((ids[k] = malloc((t->n + 1) * sizeof(char *))) == NULL) {
			rc = sp_err_set(e, NULL, "out of memory");
			goto out;
		}
	for (i = 0; i < t->n; i++) {
		const sp_span *a = &t->v[i];
		int64_t got = a->counted;
		int s = is_selling(x, a->type), o = TAG_OUTCOME(a->tag);

		if (stage != ALL && TAG_STAGE(a->tag) != stage)
			continue;
		acts++;
		total += got;
		secs[type_col(x, a->type) - x->c_type0] += got;
		if (s) {
			sell_acts++;
			sell += got;
		}
		if (o == O_WON || o == O_LOST) {
			o_acts[o]++;
			if (s)
				o_sell[o] += got;
			ids[o][n_ids[o]++] = a->key;
		}
	}
	rc = 0;
	if (acts == 0 && stage != ALL)
		goto out;	/* no row for a stage without activities */
	if (stage != ALL)
		sp_agg_set(r, x->c_stage, stage >= 0 ?
		    x->cli->stages->v[stage].name : "");
	sp_agg_set_count(r, x->c_acts + C_ACTIVITIES, acts);
	sp_agg_set_count(r, x->c_acts + C_SELLING_ACTIVITIES, sell_acts);
	for (k = 0; k < x->ntypes; k++)
		set_dur(x, r, x->c_type0 + k, (double)secs[k]);
	set_dur(x, r, x->c_selling, (double)sell);
	set_dur(x, r, x->c_total, (double)total);
	working(x, t, &num, &den);
	set_dur(x, r, x->c_working, (double)num / (double)den);
	/* selling / (num / den) = selling * den / num */
	sp_agg_set_ratio(r, x->c_share, sell * den, num);
	if (x->deals_path != NULL)
		for (k = O_WON; k <= O_LOST; k++) {
			size_t c = x->c_deals + (k - O_WON) * ND;
			int64_t nd = distinct(ids[k], n_ids[k]);

			sp_agg_set_count(r, c + D_DEALS, nd);
			sp_agg_set_count(r, c + D_ACTIVITIES, o_acts[k]);
			set_dur(x, r, c + D_SELLING, (double)o_sell[k]);
			if (nd > 0)
				set_dur(x, r, c + D_PER_DEAL,
				    (double)o_sell[k] / (double)nd);
		}
	rc = sp_agg_emit(r, e);
out:
	free(secs);
	for (k = 0; k < 4; k++)
		free(ids[k]);
	return rc;
}

/*
 * The overlap rule (sp_spans_resolve): within each owner, in the order of
 * what the records say, an activity counts the part of [start, end) that
 * no earlier one covered.  --by-stage: a row per stage of the stage list
 * (in its order) that has activities, then one (deal_stage empty) for the
 * activities on no deal of --deals.
 */
static int
sel_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct ctx *x = ctx;
	struct sel *t = p;
	int s;

	sp_spans_resolve(t->v, t->n);
	if (!x->by_stage)
		return tally(x, t, ALL, r, e);
	for (s = 0; s < (int)x->cli->stages->n; s++)
		if (tally(x, t, s, r, e) < 0)
			return -1;
	return tally(x, t, -1, r, e);
}

/* prepare: the types of the whole answer, for the columns. */
struct types {
	struct ctx *x;
	char **v;
	size_t n, cap;
	int oom;
};

static int
collect_types(void *arg, const char *key, size_t keylen, void *state)
{
	struct types *ty = arg;
	struct sel *t = state;
	size_t i;

	(void)key;
	(void)keylen;
	for (i = 0; i < t->n; i++) {
		const char *s = t->v[i].type;

		if (is_selling(ty->x, s))
			continue;
		if (ty->n == ty->cap) {
			size_t cap = ty->cap ? 2 * ty->cap : 16;
			char **v = realloc(ty->v, cap * sizeof(*v));
			if (v == NULL) {
				ty->oom = 1;
				return 1;
			}
			ty->v = v;
			ty->cap = cap;
		}
		/* duplicates are dropped after the sort */
		ty->v[ty->n++] = (char *)s;
	}
	return 0;
}

static char *
col_name(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* One more column (name malloc'd, NULL: out of memory). */
static int
add_col(struct ctx *x, char *name, int type)
{
	if (name == NULL)
		return -1;
	x->colnames[x->ncols] = name;
	x->cols[x->ncols].name = name;
	x->cols[x->ncols++].type = type;
	return 0;
}

/*
 * The columns: (--by-stage: deal_stage) activities selling_activities,
 * hours_TYPE for every
 * --selling type and then every other type of the answer (byte order),
 * selling_hours total_hours working_hours selling_share, and with
 * --deals won_ and lost_ deals, activities, selling_hours,
 * selling_hours_per_deal.  "hours" is the --unit's word.
 */
static int
sel_prepare(void *ctx, sp_agg_table *tab, sp_error *e)
{
	static const char *const per[ND] = { "deals", "activities",
	    "selling_", "selling_%s_per_deal" };
	struct ctx *x = ctx;
	struct types ty;
	const char *u = unit_word[x->cli->unit];
	size_t i, k, n, nc;

	memset(&ty, 0, sizeof(ty));
	ty.x = x;
	sp_agg_each(tab, collect_types, &ty);
	if (ty.oom)
		goto oom;
	if (ty.n > 1)
		qsort(ty.v, ty.n, sizeof(*ty.v), str_cmp);
	for (i = n = 0; i < ty.n; i++)
		if (n == 0 || strcmp(ty.v[n - 1], ty.v[i]) != 0)
			ty.v[n++] = ty.v[i];
	x->ntypes = x->nselling + n;
	if ((x->types = calloc(x->ntypes + 1, sizeof(char *))) == NULL)
		goto oom;
	for (i = 0; i < x->nselling; i++)
		x->types[i] = x->selling[i];
	for (i = 0; i < n; i++)
		if ((x->types[x->nselling + i] = strdup(ty.v[i])) == NULL)
			goto oom;
	free(ty.v);
	ty.v = NULL;
	nc = 1 + 2 + x->ntypes + 4 + (x->deals_path != NULL ? 2 * ND : 0);
	if ((x->cols = calloc(nc, sizeof(*x->cols))) == NULL ||
	    (x->colnames = calloc(nc, sizeof(char *))) == NULL)
		goto oom;
	x->ncols = 0;
#define COL(s_, ty_) do { \
	if (add_col(x, (s_), (ty_)) < 0) goto oom; } while (0)
	x->c_stage = x->ncols;
	if (x->by_stage)
		COL(strdup("deal_stage"), SP_AGG_TEXT);
	x->c_acts = x->ncols;
	COL(strdup("activities"), SP_AGG_COUNT);
	COL(strdup("selling_activities"), SP_AGG_COUNT);
	x->c_type0 = x->ncols;
	for (i = 0; i < x->ntypes; i++)
		COL(col_name(u, "_", x->types[i]), SP_AGG_DURATION);
	x->c_selling = x->ncols;
	COL(col_name("selling_", u, ""), SP_AGG_DURATION);
	x->c_total = x->ncols;
	COL(col_name("total_", u, ""), SP_AGG_DURATION);
	x->c_working = x->ncols;
	COL(col_name("working_", u, ""), SP_AGG_DURATION);
	x->c_share = x->ncols;
	COL(strdup("selling_share"), SP_AGG_RATIO);
	x->c_deals = x->ncols;
	for (k = 0; x->deals_path != NULL && k < 2; k++) {
		const char *o = k == 0 ? "won_" : "lost_";
		char b[64];

		COL(col_name(o, per[D_DEALS], ""), SP_AGG_COUNT);
		COL(col_name(o, per[D_ACTIVITIES], ""), SP_AGG_COUNT);
		COL(col_name(o, per[D_SELLING], u), SP_AGG_DURATION);
		snprintf(b, sizeof(b), per[D_PER_DEAL], u);
		COL(col_name(o, b, ""), SP_AGG_DURATION);
	}
#undef COL
	x->agg->cols = x->cols;
	x->agg->ncols = x->ncols;
	return 0;
oom:
	free(ty.v);
	return sp_err_set(e, NULL, "out of memory");
}

/* A field's value, or NULL (absent or empty). */
static const char *
field(const sp_deal *d, int slot, size_t *n)
{
	if (!sp_rec_has(d->rec, slot))
		return NULL;
	*n = sp_rec_len(d->rec, slot);
	return sp_rec_get(d->rec, slot);
}

/* A whole, non-negative number of minutes; -1 when it is not one. */
static int64_t
minutes_parse(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * --by-stage: the stage deal k was in at t: the last it entered at or
 * before t; before its first, the first (the work that opened it); a
 * snapshot's deal: its stage as of --as-of (or now), whatever t.
 */
static int
stage_at(const struct ctx *x, const struct dinfo *k, int64_t t)
{
	const sp_visit *v = x->visits + k->off;
	size_t lo = 0, hi = k->n;

	if (k->n == 0)
		return k->stage;
	/* the first visit after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v[lo > 0 ? lo - 1 : 0].stage;
}

static int
add_activity(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = x->cli;
	const char *owner, *type, *m, *end, *deal, *label;
	size_t ol = 0, tl = 0, ml = 0, el = 0, dl = 0, al = 0;
	const char *at;
	int64_t start, stop;
	struct sel *t;
	sp_span *a;
	int outcome = O_NONE, stage = -1;
	char why[320], dur[32];

	if ((at = field(d, x->at, &al)) == NULL)
		return sp_err_set(e, "at", "missing (the activity's start)");
	if (sp_time_parse_tz(at, al, c->date_format, c->tz, &start, e) < 0) {
		snprintf(e->field, sizeof(e->field), "at");
		return -1;
	}
	if ((owner = field(d, x->owner, &ol)) == NULL)
		return sp_err_set(e, "owner", "missing (whose time it is)");
	if ((type = field(d, x->type, &tl)) == NULL)
		return sp_err_set(e, "type", "missing (call, meeting, ...)");
	if ((m = field(d, x->minutes, &ml)) != NULL) {
		int64_t v = minutes_parse(m, ml);
		if (v < 0)
			return sp_err_set(e, "minutes", "'%.*s' is not a whole "
			    "number of minutes (0 or more)", (int)(ml > 64 ? 64 :
			    ml), m);
		stop = start + 60 * v;
	} else if ((end = field(d, x->end_at, &el)) != NULL) {
		if (sp_time_parse_tz(end, el, c->date_format, c->tz, &stop,
		    e) < 0) {
			snprintf(e->field, sizeof(e->field), "end_at");
			return -1;
		}
		if (stop < start)
			return sp_err_set(e, "end_at", "'%.*s' is before at",
			    (int)(el > 64 ? 64 : el), end);
	} else {
		return sp_err_set(e, "minutes", "missing, and no end_at: the "
		    "activity has no length");
	}
	if ((deal = field(d, x->deal_id, &dl)) == NULL) {
		deal = "";
		dl = 0;
	}
	if (x->deals != NULL && dl > 0) {
		struct dinfo *k = sp_groups_find(x->deals, deal, dl);
		if (k != NULL) {
			outcome = k->outcome;
			stage = stage_at(x, k, start);
		}
	}
	if ((t = cli_agg_at(run, d, start, &label)) == NULL) {
		if (c->explain)
			cli_explain(c, d, "", "activities", "excluded",
			    "starts outside the period");
		return 0;
	}
	if (!t->has_bucket) {
		sp_period b;
		if (c->every != SP_EVERY_NONE)
			sp_period_bucket(start, c->every, &c->cal, &b);
		else
			b = c->period;
		/* a bucket is counted inside --period only */
		if (c->has_period) {
			if (b.start < c->period.start)
				b.start = c->period.start;
			if (b.end > c->period.end)
				b.end = c->period.end;
		}
		t->pstart = b.start;
		t->pend = b.end;
		t->has_bucket = 1;
	}
	if ((a = act_slot(t)) == NULL || act_set(a, owner, ol, type, tl,
	    deal, dl) < 0)
		return sp_err_set(e, NULL, "out of memory");
	a->start = start;
	a->end = stop;
	a->tag = TAG(outcome, stage);
	t->n++;
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s %s%s%s%s%.200s", a->type,
		    sp_duration_format((double)(stop - start), c->unit, dur),
		    unit_word[c->unit], is_selling(x, a->type) ? " (selling)" :
		    "", outcome == O_WON ? " on a won deal" : outcome ==
		    O_LOST ? " on a lost deal" : outcome == O_OPEN ?
		    " on an open deal" : "", x->by_stage && stage >= 0 ?
		    ", at stage " : "", x->by_stage && stage >= 0 ?
		    c->stages->v[stage].name : "");
		cli_explain(c, d, label, "activities", "counted", why);
	}
	return 0;
}

/* --deals: each deal's outcome and stages, from the deal fold (snapshot
 * or history), into x->deals. */
static int
note_deal(void *ctx, const sp_deal *d, sp_error *e)
{
	struct ctx *x = ctx;
	struct dinfo *k;

	if (d->id[0] == '\0')
		return 0;
	if ((k = sp_groups_get(x->deals, d->id, strlen(d->id))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	k->outcome = d->kind == SP_WON ? O_WON : d->kind == SP_LOST ? O_LOST :
	    O_OPEN;
	k->stage = d->stage;
	k->off = x->nvisits;
	k->n = 0;
	if (d->path == NULL || !x->by_stage)
		return 0;
	if (x->nvisits + d->npath > x->capvisits) {
		size_t cap = 2 * (x->nvisits + d->npath);
		sp_visit *v = realloc(x->visits, cap * sizeof(*v));
		if (v == NULL)
			return sp_err_set(e, NULL, "out of memory");
		x->visits = v;
		x->capvisits = cap;
	}
	memcpy(x->visits + x->nvisits, d->path, d->npath * sizeof(*d->path));
	x->nvisits += d->npath;
	k->n = d->npath;
	return 0;
}

/*
 * Read --deals FILE: the engine's reading of deals (cli_side_pass), as of
 * --as-of when given, else as they stand; its bad records are the run's.
 * --by-stage on a snapshot is said on stderr: it knows each deal's stage
 * at one time only.
 */
static void
read_deals(sp_cli *c, struct ctx *x)
{
	char when[64];

	if ((x->deals = sp_groups_new(sizeof(struct dinfo), NULL)) == NULL)
		cli_oom(c);
	if (cli_side_pass(c, x->deals_path, NULL, NULL, 0, 0,
	    SP_NEED_AS_OF_OPEN, note_deal, x) == 0 && x->by_stage) {
		sp_time_format(c->has_as_of ? c->as_of : c->cal.now, when);
		cli_warn(c, "--by-stage: %s is a snapshot: an activity counts at "
		    "the stage its deal was in at %s, not at the activity's "
		    "time (a history has those: a journal, or "
		    "OpportunityHistory)", x->deals_path, when);
	}
}

/* --selling: a list of types, lower case. */
static void
selling_parse(sp_cli *c, struct ctx *x, const char *arg)
{
	char *s, *p, *tok;
	size_t i;

	for (i = 0; i < x->nselling; i++)
		free(x->selling[i]);
	free(x->selling);
	x->selling = NULL;
	x->nselling = 0;
	if ((s = strdup(arg)) == NULL)
		cli_oom(c);
	for (p = s; (tok = strsep(&p, ",")) != NULL; ) {
		char **v;

		if (*tok == '\0')
			cli_usage_error(c, "--selling: '%s' has an empty type",
			    arg);
		for (i = 0; tok[i] != '\0'; i++)
			if (tok[i] >= 'A' && tok[i] <= 'Z')
				tok[i] = (char)(tok[i] - 'A' + 'a');
		for (i = 0; i < x->nselling; i++)
			if (strcmp(x->selling[i], tok) == 0)
				cli_usage_error(c, "--selling: '%s' is listed "
				    "twice", tok);
		if ((v = realloc(x->selling, (x->nselling + 1) *
		    sizeof(*v))) == NULL)
			cli_oom(c);
		x->selling = v;
		if ((v[x->nselling++] = strdup(tok)) == NULL)
			cli_oom(c);
	}
	free(s);
}

/* --hours-per-week: hours with at most two decimals, above 0, at most
 * 168; in seconds. */
static int64_t
week_parse(sp_cli *c, const char *arg)
{
	int64_t h = 0, frac = 0;
	const char *s = arg;
	int nd = 0;

	while (*s >= '0' && *s <= '9' && h <= 1000)
		h = h * 10 + (*s++ - '0');
	if (s == arg)
		goto bad;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9' && nd < 2) {
			frac = frac * 10 + (*s++ - '0');
			nd++;
		}
		if (nd == 0)
			goto bad;
		if (nd == 1)
			frac *= 10;
	}
	if (*s != '\0' || h * 100 + frac == 0 || h * 100 + frac > 16800)
		goto bad;
	return h * 3600 + frac * 36;
bad:
	cli_usage_error(c, "--hours-per-week: '%s' is not a number of hours "
	    "above 0, at most 168 (two decimals at most)", arg);
}

/* The slots of the fields read, before any split (--threads). */
static void
open_fields(sp_cli *c, struct ctx *x)
{
	static const char *const names[] = { "at", "owner", "type",
	    "minutes", "end_at", "deal_id" };
	int *slots[] = { &x->at, &x->owner, &x->type, &x->minutes,
	    &x->end_at, &x->deal_id };
	size_t i;

	if (c->rd == NULL)
		return;		/* --merge reads states, not records */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((*slots[i] = sp_reader_slot(c->rd, names[i])) < 0 ||
		    sp_reader_use(c->rd, *slots[i]) < 0)
			cli_oom(c);
}

/* The calendar of --hours, --days, --holidays (any of them). */
static void
open_hours(sp_cli *c, struct ctx *x)
{
	sp_read_opts ro;
	sp_error e;

	if (x->hours_spec == NULL && x->days_spec == NULL &&
	    x->holidays_path == NULL) {
		if (x->week_secs == 0)
			x->week_secs = 40 * 3600;
		return;
	}
	if (x->week_secs != 0)
		cli_usage_error(c, "--hours-per-week and the calendar (--hours, "
		    "--days, --holidays): one or the other");
	sp_err_clear(&e);
	if ((x->hours = sp_hours_new(x->hours_spec, x->days_spec, c->tz,
	    &e)) == NULL)
		cli_usage_error(c, "%s: %s", x->days_spec != NULL &&
		    x->hours_spec == NULL ? "--days" : "--hours/--days", e.msg);
	if (x->holidays_path != NULL) {
		cli_read_opts(c, &ro);
		ro.format = SP_FMT_AUTO;
		ro.max_bytes = SP_MAX_OPTFILE;
		if (sp_hours_read_holidays(x->hours, x->holidays_path, &ro,
		    c->date_format, &e) < 0)
			cli_fail(c, &e);
	}
}

static void
end_run(void *ctx)
{
	struct ctx *x = ctx;
	size_t i;

	for (i = x->nselling; i < x->ntypes; i++)
		free(x->types[i]);
	free(x->types);
	for (i = 0; i < x->ncols; i++)
		free(x->colnames[i]);
	free(x->colnames);
	free(x->cols);
	for (i = 0; i < x->nselling; i++)
		free(x->selling[i]);
	free(x->selling);
	sp_hours_free(x->hours);
	if (x->deals != NULL)
		sp_groups_free(x->deals, NULL);
	free(x->visits);
	x->visits = NULL;
	x->types = NULL;
	x->colnames = NULL;
	x->cols = NULL;
	x->selling = NULL;
	x->hours = NULL;
	x->deals = NULL;
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_READ_LONGOPTS,
	    CLI_GROUP_LONGOPTS, CLI_EVERY_LONGOPT, CLI_UNIT_LONGOPT,
	    CLI_ENGINE_LONGOPTS, CLI_SPREADSHEET_LONGOPT,
	    { "selling", required_argument, OPT_SELLING,
		    "types", "the activity types that are selling" },
	    { "hours-per-week", required_argument, OPT_HOURS_PER_WEEK,
		    "n", "the working hours of a week (40)" },
	    { "hours", required_argument, OPT_HOURS,
		    "ranges", "working hours of a business calendar" },
	    { "days", required_argument, OPT_DAYS,
		    "days", "working days of the calendar (mon-fri)" },
	    { "holidays", required_argument, OPT_HOLIDAYS,
		    "file", "whole days off of the calendar" },
	    { "deals", required_argument, OPT_DEALS,
		    "file", "a deals snapshot or history" },
	    { "by-stage", no_argument, OPT_BY_STAGE,
		    NULL, "with --deals: a row per stage" },
	    CLI_OPT_END };
	static sp_agg agg = { "selling-time", sizeof(struct sel), sel_init,
	    sel_fini, sel_merge, sel_save, sel_load, sel_rows, NULL, 0, NULL,
	    NULL, NULL, 0, NULL, 0 };
	static const sp_agg_col none[1] = { { "activities", SP_AGG_COUNT } };
	sp_cli c;
	struct ctx x;
	int ch, unit_given = 0;

	memset(&x, 0, sizeof(x));
	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	selling_parse(&c, &x, "call,meeting,demo,email");
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_SELLING:
			selling_parse(&c, &x, optarg);
			break;
		case OPT_HOURS_PER_WEEK:
			x.week_secs = week_parse(&c, optarg);
			break;
		case OPT_HOURS:
			x.hours_spec = optarg;
			break;
		case OPT_DAYS:
			x.days_spec = optarg;
			break;
		case OPT_HOLIDAYS:
			x.holidays_path = optarg;
			break;
		case OPT_DEALS:
			x.deals_path = optarg;
			break;
		case OPT_BY_STAGE:
			x.by_stage = 1;
			break;
		case CLI_OPT_UNIT:
			unit_given = 1;
			/* FALLTHROUGH */
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	if (!unit_given)
		c.unit = SP_UNIT_HOURS;
	if (c.nby == 0) {
		/* the default: per owner (a record without one is bad) */
		cli_option(&c, 'g', "owner");
		c.by_optional = 1;
	}
	if (c.every == SP_EVERY_NONE && c.period_text == NULL)
		c.every = SP_EVERY_WEEK;
	if (x.by_stage && x.deals_path == NULL)
		cli_usage_error(&c, "--by-stage needs --deals (the deals' "
		    "stages)");
	cli_protect(&c, x.deals_path, "the --deals file");
	cli_protect(&c, x.holidays_path, "the --holidays file");
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	x.agg = &agg;
	open_hours(&c, &x);
	open_fields(&c, &x);
	if (x.deals_path != NULL && !c.merge)
		read_deals(&c, &x);
	agg.cols = none;	/* until prepare knows the types */
	agg.ncols = 1;
	agg.ctx = &x;
	agg.prepare = sel_prepare;
	agg.end = end_run;
	return cli_agg_deals(&c, &agg, SP_NEED_RECORDS, add_activity);
}
