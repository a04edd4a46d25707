/*
 * deal-diff: what changed in the open pipeline between two moments, as a
 * waterfall that balances: start + new + pulled_in + reopened -
 * pushed_out - won - lost + amount_up - amount_down = end, per group, in
 * count and amount.  The deals at both moments come from one fold
 * (SP_NEED_FROM): a history read --from T1 --to T2, or two snapshots
 * joined by id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

static const char usage[] =
    "usage: deal-diff --from time [--to time] [--deals] [-g fields]\n"
    "                 [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                 [--period period] [--fiscal-start month] [--now time]\n"
    "                 [--map spec] [--stages spec] [--date-format format]\n"
    "                 [--tz zone] [--max-bad n] [--rejects file]\n"
    "                 [--encoding encoding] [--delimiter sep]\n"
    "                 [--max-record-size size] [--decimal-comma]\n"
    "                 [--thousands sep] [--rates file] [--currency code]\n"
    "                 [--explain] [--spreadsheet-safe] [--partial | --merge]\n"
    "                 [--shard k/n] [--threads n]\n"
    "                 [--progress | --no-progress] [history ...]\n"
    "       deal-diff [--to time] [--deals] [options] old new\n"
    "       deal-diff --history [--at time] [options] old new\n";

enum { OPT_FROM = 1, OPT_TO, OPT_DEALS, OPT_HISTORY };

/*
 * The flows, in the order of the identity.  A deal's flows: START and END
 * when it is in the pipeline then and now; one way in (NEW, PULLED_IN,
 * REOPENED) when it is in now but was not then, one way out (PUSHED_OUT,
 * WON, LOST) when it was in then but is not now, or both when it passed
 * through (came in and was won or lost in between); UP or DOWN when it
 * was in the pipeline at either moment and its amount changed.
 */
enum { START, NEW, PULLED_IN, REOPENED, PUSHED_OUT, WON, LOST, REMOVED,
	UP, DOWN, END, NFLOW };
static const char *const flow_name[NFLOW] = { "start", "new", "pulled_in",
	"reopened", "pushed_out", "won", "lost", "removed", "amount_up",
	"amount_down", "end" };

struct wf {
	int64_t n[NFLOW];	/* deals (UP, DOWN: not in the identity) */
	sp_money_sum m[NFLOW];
	sp_money_sum all;	/* every amount: one currency or mixed */
};

/* The columns: count and amount per flow; amount_up and amount_down are
 * money only. */
static const sp_agg_col wf_cols[] = {
	{ "start", SP_AGG_COUNT }, { "start_amount", SP_AGG_MONEY },
	{ "new", SP_AGG_COUNT }, { "new_amount", SP_AGG_MONEY },
	{ "pulled_in", SP_AGG_COUNT }, { "pulled_in_amount", SP_AGG_MONEY },
	{ "reopened", SP_AGG_COUNT }, { "reopened_amount", SP_AGG_MONEY },
	{ "pushed_out", SP_AGG_COUNT }, { "pushed_out_amount", SP_AGG_MONEY },
	{ "won", SP_AGG_COUNT }, { "won_amount", SP_AGG_MONEY },
	{ "lost", SP_AGG_COUNT }, { "lost_amount", SP_AGG_MONEY },
	{ "removed", SP_AGG_COUNT }, { "removed_amount", SP_AGG_MONEY },
	{ "amount_up", SP_AGG_MONEY }, { "amount_down", SP_AGG_MONEY },
	{ "end", SP_AGG_COUNT }, { "end_amount", SP_AGG_MONEY }
};

/* --deals: one record per changed deal. */
enum { D_ID, D_CHANGE, D_STAGE_THEN, D_STAGE, D_AMOUNT_THEN, D_AMOUNT,
	D_CURRENCY_THEN, D_CURRENCY, D_CLOSE_THEN, D_CLOSE, ND };
static const sp_agg_col deal_cols[] = {
	{ "id", SP_AGG_TEXT }, { "change", SP_AGG_TEXT },
	{ "stage_then", SP_AGG_TEXT }, { "stage", SP_AGG_TEXT },
	{ "amount_then", SP_AGG_TEXT }, { "amount", SP_AGG_TEXT },
	{ "currency_then", SP_AGG_TEXT }, { "currency", SP_AGG_TEXT },
	{ "close_date_then", SP_AGG_TEXT }, { "close_date", SP_AGG_TEXT }
};

/* The options the deals are read with, and --history's columns. */
struct ctx {
	int deals;		/* --deals */
	int history;		/* --history */
	size_t ncells;		/* cells of a record: ND, or --history's */
	sp_agg_col *cols;	/* --history: id, at, the fields */
	int *slots;		/* their slots (id's and at's: -1) */
	int64_t at;		/* --history: the records' time */
	sp_cli *cli;
};

/* A deal's record of --deals or --history: ncells strings,
 * NUL-terminated, in a row. */
struct drec {
	size_t seq;
	char *cells;
};

struct drecs {
	struct drec *v;
	size_t n, cap;
};

static void
wf_init(void *ctx, void *p)
{
	struct wf *w = p;
	size_t i;

	(void)ctx;
	memset(w, 0, sizeof(*w));
	for (i = 0; i < NFLOW; i++)
		sp_money_sum_init(&w->m[i]);
	sp_money_sum_init(&w->all);
}

static int
wf_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct wf *a = into, *b = from;
	size_t i;

	(void)ctx;
	for (i = 0; i < NFLOW; i++) {
		if (sp_money_sum_merge(&a->m[i], &b->m[i], e) < 0)
			return -1;
		a->n[i] += b->n[i];
	}
	return sp_money_sum_merge(&a->all, &b->all, e);
}

static json_t *
wf_save(void *ctx, const void *p)
{
	const struct wf *w = p;
	json_t *o = json_object(), *v;
	size_t i;

	(void)ctx;
	if (o == NULL)
		return NULL;
	for (i = 0; i < NFLOW; i++) {
		if ((v = json_pack("{s:I,s:o}", "n", (json_int_t)w->n[i],
		    "amount", sp_agg_money_save(&w->m[i]))) == NULL ||
		    json_object_set_new(o, flow_name[i], v) < 0)
			goto oom;
	}
	if ((v = sp_agg_money_save(&w->all)) == NULL ||
	    json_object_set_new(o, "all", v) < 0)
		goto oom;
	return o;
oom:
	json_decref(o);
	return NULL;
}

static int
wf_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct wf *w = p;
	const json_t *f, *x;
	size_t i;

	(void)ctx;
	for (i = 0; i < NFLOW; i++)
		if ((f = sp_agg_member(v, flow_name[i], e)) == NULL ||
		    (x = sp_agg_member(f, "n", e)) == NULL ||
		    sp_agg_int_load(&w->n[i], x, flow_name[i], e) < 0 ||
		    (x = sp_agg_member(f, "amount", e)) == NULL ||
		    sp_agg_money_load(&w->m[i], x, e) < 0)
			return -1;
	if ((x = sp_agg_member(v, "all", e)) == NULL ||
	    sp_agg_money_load(&w->all, x, e) < 0)
		return -1;
	return 0;
}

/* The identity, in count and (one currency) in amount: 0, or -1 with e
 * naming the group. */
static int
wf_check(const struct wf *w, sp_agg_row *r, sp_error *e)
{
	int64_t n = w->n[START] + w->n[NEW] + w->n[PULLED_IN] +
	    w->n[REOPENED] - w->n[PUSHED_OUT] - w->n[WON] - w->n[LOST] -
	    w->n[REMOVED];
	sp_money m;
	char a[64], b[64];

	if (n != w->n[END])
		return sp_err_set(e, NULL, "group '%s': the count does not "
		    "balance (start + in - out = %lld, end %lld): a bug, "
		    "please report it", sp_agg_row_group(r, 0),
		    (long long)n, (long long)w->n[END]);
	if (w->all.mixed)
		return 0;	/* printed empty and warned */
	m = w->m[START].v + w->m[NEW].v + w->m[PULLED_IN].v +
	    w->m[REOPENED].v - w->m[PUSHED_OUT].v - w->m[WON].v -
	    w->m[LOST].v - w->m[REMOVED].v + w->m[UP].v - w->m[DOWN].v;
	if (m != w->m[END].v)
		return sp_err_set(e, NULL, "group '%s': the amount does not "
		    "balance (start + in - out = %s, end %s): a bug, please "
		    "report it", sp_agg_row_group(r, 0),
		    sp_money_format_exact(m, a),
		    sp_money_format_exact(w->m[END].v, b));
	return 0;
}

static int
wf_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct wf *w = p;
	size_t i, col;

	(void)ctx;
	if (wf_check(w, r, e) < 0)
		return -1;
	for (i = 0, col = 0; i < NFLOW; i++) {
		if (i != UP && i != DOWN)
			sp_agg_set_count(r, col++, w->n[i]);
		/* a row whose amounts mix currencies: all of them empty */
		if (w->all.mixed)
			w->m[i].mixed = 1;
		sp_agg_set_money(r, col++, &w->m[i]);
	}
	return sp_agg_emit(r, e);
}

/* --deals: a state is a list of records, written in seq order. */
static void
drecs_init(void *ctx, void *p)
{
	(void)ctx;
	memset(p, 0, sizeof(struct drecs));
}

static void
drecs_fini(void *ctx, void *p)
{
	struct drecs *s = p;
	size_t i;

	(void)ctx;
	for (i = 0; i < s->n; i++)
		free(s->v[i].cells);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
drecs_push(struct drecs *s, size_t seq, char *cells)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct drec *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].seq = seq;
	s->v[s->n].cells = cells;
	s->n++;
	return 0;
}

static int
drecs_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct drecs *a = into, *b = from;
	size_t i;

	(void)ctx;
	for (i = 0; i < b->n; i++) {
		if (drecs_push(a, b->v[i].seq, b->v[i].cells) < 0)
			return sp_err_set(e, NULL, "out of memory");
		b->v[i].cells = NULL;	/* a owns it now */
	}
	return 0;
}

/* {"deals":[{"seq":n,"values":[ND strings]}]} */
static json_t *
drecs_save(void *ctx, const void *p)
{
	const struct ctx *x = ctx;
	const struct drecs *s = p;
	json_t *list = json_array(), *vals;
	const char *c;
	size_t i, k;

	if (list == NULL)
		return NULL;
	for (i = 0; i < s->n; i++) {
		if ((vals = json_array()) == NULL ||
		    json_array_append_new(list, json_pack("{s:I,s:o}", "seq",
		    (json_int_t)s->v[i].seq, "values", vals)) < 0)
			goto oom;
		for (k = 0, c = s->v[i].cells; k < x->ncells; k++,
		    c += strlen(c) + 1)
			if (json_array_append_new(vals, json_string(c)) < 0)
				goto oom;
	}
	return json_pack("{s:o}", "deals", list);
oom:
	json_decref(list);
	return NULL;
}

static int
drecs_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	const struct ctx *x = ctx;
	struct drecs *s = p;
	const json_t *list, *o, *seq, *vals, *c;
	size_t i, k, len;
	char *cells, *q;
	json_int_t n;

	if ((list = sp_agg_member(v, "deals", e)) == NULL)
		return -1;
	if (!json_is_array(list))
		return sp_err_set(e, "deals", "not a list in the partial state");
	json_array_foreach(list, i, o) {
		if ((seq = sp_agg_member(o, "seq", e)) == NULL ||
		    (vals = sp_agg_member(o, "values", e)) == NULL)
			return -1;
		if (!json_is_integer(seq) || (n = json_integer_value(seq)) < 0)
			return sp_err_set(e, "seq", "not a count in the "
			    "partial state");
		if (!json_is_array(vals) || json_array_size(vals) != x->ncells)
			return sp_err_set(e, "values", "not %zu values (one "
			    "per column) in the partial state", x->ncells);
		for (k = 0, len = 0; k < x->ncells; k++) {
			c = json_array_get(vals, k);
			if (!json_is_string(c) || memchr(json_string_value(c),
			    '\0', json_string_length(c)) != NULL)
				return sp_err_set(e, "values", "value %zu is "
				    "not a string", k + 1);
			len += json_string_length(c) + 1;
		}
		if ((cells = malloc(len)) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		for (k = 0, q = cells; k < x->ncells; k++) {
			c = json_array_get(vals, k);
			memcpy(q, json_string_value(c),
			    json_string_length(c) + 1);
			q += json_string_length(c) + 1;
		}
		if (drecs_push(s, (size_t)n, cells) < 0) {
			free(cells);
			return sp_err_set(e, NULL, "out of memory");
		}
	}
	return 0;
}

static int
drec_cmp(const void *a, const void *b)
{
	const struct drec *p = a, *q = b;

	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static int
drecs_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	const struct ctx *x = ctx;
	struct drecs *s = p;
	const char *c;
	size_t i, k;

	qsort(s->v, s->n, sizeof(*s->v), drec_cmp);
	for (i = 0; i < s->n; i++) {
		for (k = 0, c = s->v[i].cells; k < x->ncells; k++,
		    c += strlen(c) + 1)
			sp_agg_set(r, k, c);
		if (sp_agg_emit(r, e) < 0)
			return -1;
	}
	return 0;
}


/* In the pipeline at a moment: open, and with --period closing in it. */
static int
in_pipeline(const sp_cli *c, int kind, int has_close, int64_t close)
{
	if (kind != SP_OPEN)
		return 0;
	return !c->has_period || (has_close &&
	    sp_period_contains(&c->period, close));
}

/* Add v (never negative) in currency cur to flow f of w and to w->all. */
static int
put(struct wf *w, int f, sp_money v, const char *cur, sp_error *e)
{
	size_t cl = strlen(cur);

	if (sp_money_sum_add(&w->m[f], v, cur, cl, e) < 0 ||
	    sp_money_sum_add(&w->all, v, cur, cl, e) < 0)
		return -1;
	return 0;
}

/* Deal d's record of n cells v into its group's list. */
static int
push_record(sp_agg_run *run, const sp_deal *d, const char *const *v,
    size_t n, sp_error *e)
{
	struct drecs *s;
	size_t i, len;
	char *cells, *q;

	for (i = 0, len = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((cells = malloc(len)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (i = 0, q = cells; i < n; i++) {
		memcpy(q, v[i], strlen(v[i]) + 1);
		q += strlen(v[i]) + 1;
	}
	if ((s = cli_agg_group(run, d)) == NULL ||
	    drecs_push(s, d->seq, cells) < 0) {
		free(cells);
		return sp_err_set(e, NULL, "out of memory");
	}
	return 0;
}

/* pipeline(1)'s derived fields: not the snapshot's data, never written
 * into a history (a snapshot that pipeline wrote has them) */
static const char *const derived[] = { "stage_entered_at", "status",
	"age_days", "days_in_stage", "moves", "close_date_pushes",
	"updated_at", "reached_stage", "at" };

static sp_agg hist;
static const sp_agg_col hist_cols[] = { { "id", SP_AGG_TEXT },
	{ "at", SP_AGG_TEXT } };

/* --history: the columns, from the fields of both snapshots. */
static int
learn_columns(struct ctx *x, const sp_reader *rd, const sp_deal *d)
{
	size_t i, k, n = 0;
	const char *name;

	if ((x->cols = calloc(d->nfields + 2, sizeof(*x->cols))) == NULL ||
	    (x->slots = calloc(d->nfields + 2, sizeof(*x->slots))) == NULL)
		return -1;
	x->cols[n].name = "id";
	x->slots[n++] = -1;
	x->cols[n].name = "at";
	x->slots[n++] = -1;
	for (i = 0; i < d->nfields; i++) {
		name = sp_reader_slot_name(rd, d->fields[i]);
		if (strcmp(name, "id") == 0)
			continue;
		for (k = 0; k < sizeof(derived) / sizeof(derived[0]); k++)
			if (strcmp(name, derived[k]) == 0)
				break;
		if (k < sizeof(derived) / sizeof(derived[0]))
			continue;
		x->cols[n].name = name;
		x->slots[n++] = d->fields[i];
	}
	for (i = 0; i < n; i++)
		x->cols[i].type = SP_AGG_TEXT;
	x->ncells = n;
	hist.cols = x->cols;
	hist.ncols = n;
	return 0;
}

static long gone;	/* --history: deals the new snapshot no longer lists */

static int
add_history(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	sp_cli *c = cli_agg_cli(run);
	struct ctx *x = cli_agg_ctx(run);
	const char **v;
	char at[32];
	size_t i;
	int any = 0, slot;

	if (x->cols == NULL && learn_columns(x, c->rd, d) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (d->then->gone) {
		gone++;
		if (c->explain)
			cli_explain(c, d, "", "history", "excluded", "not in "
			    "the new snapshot (a history cannot delete it)");
		return 0;
	}
	if ((v = calloc(x->ncells, sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	v[0] = d->id;
	v[1] = sp_time_format(x->at, at);
	for (i = 2; i < x->ncells; i++) {
		slot = x->slots[i];
		v[i] = "";
		if ((size_t)slot < d->nvals && d->changed[slot] &&
		    d->vals[slot] != NULL) {
			v[i] = d->vals[slot];
			any = 1;
		}
	}
	if (c->explain)
		cli_explain(c, d, "", "history", any ? "counted" : "excluded",
		    !any ? "unchanged" : d->then->exists ? "changed" : "new");
	if (any && push_record(run, d, v, x->ncells, e) < 0) {
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

static void
history_end(void *ctx)
{
	struct ctx *x = ctx;

	if (gone > 0)
		cli_warn(x->cli, "%ld deal%s of the old snapshot "
		    "%s not in the new one: a history cannot say that a deal "
		    "was deleted, so %s left as %s", gone, gone == 1 ? "" :
		    "s", gone == 1 ? "is" : "are", gone == 1 ? "it is" :
		    "they are", gone == 1 ? "it was" : "they were");
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	sp_cli *c = cli_agg_cli(run);
	struct ctx *x = cli_agg_ctx(run);
	const sp_deal_then *t = d->then;
	int in1, in2, way_in = -1, way_out = -1, f, moved = 0, k;
	int flows[NFLOW], nf = 0;
	sp_money a1, a2, up = 0, down = 0;
	const char *cur1, *cur2;
	char why[160], m1[48], m2[48];
	struct wf *w = NULL;

	if (t == NULL) {
		/* the wrong kind of input, not a bad record */
		sp_err_set(e, "at", "%s", c->history_only);
		sp_err_where(e, d->file, d->line);
		cli_fail(c, e);
	}
	if (x->history)
		return add_history(run, d, e);
	if (!x->deals && (w = cli_agg_group(run, d)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	in1 = t->exists && in_pipeline(c, t->kind, t->has_close_date,
	    t->close_date);
	in2 = !t->gone && in_pipeline(c, d->kind, d->has_close_date,
	    d->close_date);
	if (!in1) {
		if (!t->exists)
			way_in = NEW;
		else if (t->kind == SP_OPEN)
			way_in = PULLED_IN;	/* closing outside --period */
		else if (t->reopened)
			way_in = REOPENED;
	}
	if (!in2) {
		if (t->gone)
			way_out = REMOVED;
		else if (d->kind == SP_WON)
			way_out = WON;
		else if (d->kind == SP_LOST)
			way_out = LOST;
		else
			way_out = PUSHED_OUT;	/* closing outside --period */
	}
	if (!in1 && !in2) {
		/* never in the pipeline at either moment: counted only when
		   it passed through, in and then won or lost (closing in
		   --period) */
		if (way_in < 0 || (way_out != WON && way_out != LOST) ||
		    (c->has_period && !(d->has_close_date &&
		    sp_period_contains(&c->period, d->close_date))))
			way_in = way_out = -1;
	}
	/* (in now but not then always has a way in: a deal closed then and
	   open now was reopened; wf_check would catch one that had not) */
	if (in1)
		flows[nf++] = START;
	if (way_in >= 0)
		flows[nf++] = way_in;
	if (way_out >= 0)
		flows[nf++] = way_out;
	if (in2)
		flows[nf++] = END;
	if (nf == 0) {
		if (c->explain)
			cli_explain(c, d, "", "waterfall", "excluded",
			    t->exists ? "in the pipeline at neither moment" :
			    "created after the start and not in the pipeline "
			    "at the end");
		return 0;
	}
	a1 = t->exists && t->has_amount ? t->value : 0;
	a2 = d->has_amount ? d->value : 0;
	cur1 = t->exists ? t->currency : "";
	cur2 = d->currency;
	/* an amount changed while the deal was counted: the change */
	if (t->exists && (in1 || way_in >= 0)) {
		if (*cur1 != '\0' && *cur2 != '\0' && strcmp(cur1, cur2) != 0) {
			down = a1;	/* another currency: out, then in */
			up = a2;
		} else if (a2 > a1)
			up = a2 - a1;
		else
			down = a1 - a2;
		moved = up != 0 || down != 0;
		if (*cur1 == '\0')
			cur1 = cur2;
		if (*cur2 == '\0')
			cur2 = cur1;
	}
	for (k = 0; k < nf; k++) {
		/* what enters is the amount then (a new deal's: now), what
		   leaves or stays is the amount now */
		int then = (f = flows[k]) == START || f == PULLED_IN ||
		    f == REOPENED;
		sp_money v = then ? a1 : a2;
		const char *cur = then ? cur1 : cur2;

		if (w != NULL) {
			if (put(w, f, v, cur, e) < 0)
				return -1;
			w->n[f]++;
		}
		if (c->explain) {
			snprintf(why, sizeof(why), "%s%s%s",
			    sp_money_format_exact(v, m1), *cur ? " " : "", cur);
			cli_explain(c, d, "", flow_name[f], "counted", why);
		}
	}
	if (w != NULL && up != 0) {
		if (put(w, UP, up, cur2, e) < 0)
			return -1;
		w->n[UP]++;
	}
	if (w != NULL && down != 0) {
		if (put(w, DOWN, down, cur1, e) < 0)
			return -1;
		w->n[DOWN]++;
	}
	if (c->explain && moved) {
		snprintf(why, sizeof(why), "%s %s%s%s to %s%s%s",
		    up != 0 && down == 0 ? "up" : down != 0 && up == 0 ?
		    "down" : "currency changed",
		    sp_money_format_exact(a1, m1), *cur1 ? " " : "", cur1,
		    sp_money_format_exact(a2, m2), *cur2 ? " " : "", cur2);
		cli_explain(c, d, "", up != 0 ? "amount_up" : "amount_down",
		    "counted", why);
	}
	if (x->deals) {
		char cd1[32], cd2[32], am1[48], am2[48], change[96];
		const char *v[ND];

		/* a deal that stayed, same amount: no change to list */
		if (!moved && way_in < 0 && way_out < 0)
			return 0;
		change[0] = '\0';
		for (k = 0; k < nf; k++)
			if (flows[k] != START && flows[k] != END) {
				if (change[0] != '\0')
					strcat(change, "+");
				strcat(change, flow_name[flows[k]]);
			}
		if (up != 0) {
			if (change[0] != '\0')
				strcat(change, "+");
			strcat(change, "amount_up");
		}
		if (down != 0) {
			if (change[0] != '\0')
				strcat(change, "+");
			strcat(change, "amount_down");
		}
		v[D_ID] = d->id;
		v[D_CHANGE] = change;
		v[D_STAGE_THEN] = t->exists ? c->stages->v[t->stage].name : "";
		v[D_STAGE] = c->stages->v[d->stage].name;
		v[D_AMOUNT_THEN] = t->exists && t->has_amount ?
		    sp_money_format_exact(t->value, am1) : "";
		v[D_AMOUNT] = d->has_amount ? sp_money_format_exact(d->value,
		    am2) : "";
		v[D_CURRENCY_THEN] = t->exists ? t->currency : "";
		v[D_CURRENCY] = d->currency;
		v[D_CLOSE_THEN] = t->exists && t->has_close_date ?
		    sp_time_format(t->close_date, cd1) : "";
		v[D_CLOSE] = d->has_close_date ? sp_time_format(d->close_date,
		    cd2) : "";
		return push_record(run, d, v, ND, e);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_WRITE_LONGOPTS,
	    CLI_GROUP_LONGOPTS, CLI_MONEY_LONGOPTS, CLI_ENGINE_LONGOPTS,
	    CLI_SPREADSHEET_LONGOPT,
	    CLI_REFUSED("every", required_argument, CLI_OPT_EVERY),
	    { "from", required_argument, OPT_FROM,
		    "time", "the first moment (the input is a history)" },
	    { "to", required_argument, OPT_TO,
		    "time", "the second moment (default: now)" },
	    { "deals", no_argument, OPT_DEALS,
		    NULL, "one record per deal that moved, instead" },
	    { "history", no_argument, OPT_HISTORY,
		    NULL, "write the history records from old to new" },
	    { "at", required_argument, OPT_TO,
		    "time", "the time of --history's records" },
	    CLI_OPT_END };
	static struct ctx x;
	static sp_agg wf = { "deal-diff", sizeof(struct wf), wf_init, NULL,
	    wf_merge, wf_save, wf_load, wf_rows, wf_cols,
	    sizeof(wf_cols) / sizeof(wf_cols[0]), &x, NULL, NULL, 1, NULL, 0 };
	static sp_agg dl = { "deal-diff", sizeof(struct drecs), drecs_init,
	    drecs_fini, drecs_merge, drecs_save, drecs_load, drecs_rows,
	    deal_cols, sizeof(deal_cols) / sizeof(deal_cols[0]), &x, NULL,
	    NULL, 1, NULL, 0 };
	const char *from_text = NULL;
	sp_error e;
	sp_cli c;
	int ch;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_FROM:
			from_text = optarg;
			break;
		case OPT_TO:
			c.as_of_text = optarg;
			break;
		case OPT_DEALS:
			x.deals = 1;
			break;
		case OPT_HISTORY:
			x.history = 1;
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	if (x.history && (from_text != NULL || x.deals || c.nby > 0 ||
	    c.period_text != NULL || c.partial || c.merge))
		cli_usage_error(&c, "--history turns two snapshots into history "
		    "records: no --from, --deals, -g, --period, --partial or "
		    "--merge");
	if (c.every != SP_EVERY_NONE)
		cli_usage_error(&c, "--every: a waterfall is between two "
		    "moments; run it once per period instead");
	if (from_text == NULL && !c.merge) {
		if (argc - optind != 2)
			cli_usage_error(&c, "give two snapshots (old new), or "
			    "a history with --from");
		if (strcmp(argv[optind], argv[optind + 1]) == 0)
			cli_usage_error(&c, "the old and the new snapshot are "
			    "the same file '%s'", argv[optind]);
		c.pair_old = argv[optind];
	}
	sp_err_clear(&e);
	if (from_text != NULL && sp_time_parse(from_text, strlen(from_text),
	    NULL, &c.from, &e) < 0)
		cli_usage_error(&c, "--from: '%s' is not an ISO 8601 date or "
		    "time", from_text);
	cli_open(&c, argc - optind, argv + optind);
	if (!c.has_as_of)
		c.as_of = c.cal.now;	/* --to: default now */
	c.has_as_of = 1;	/* a history's records after --to: not yet */
	if (from_text != NULL && c.from > c.as_of)
		cli_usage_error(&c, "--from is after --to (or now)");
	c.as_of_name = "--to";
	if (from_text != NULL)
		c.history_only = "missing: deal-diff --from reads a history "
		    "(records with 'at'); compare two snapshots as "
		    "'deal-diff old new', without --from";
	if (x.history)		/* as deal-add writes a journal */
		c.writer_flags = SP_WRITER_OMIT_EMPTY;
	x.at = c.as_of;
	x.cli = &c;
	x.ncells = ND;
	hist = dl;
	hist.end = history_end;
	hist.cols = hist_cols;	/* until the first deal names the fields */
	hist.ncols = 2;
	return cli_agg_deals(&c, x.history ? &hist : x.deals ? &dl : &wf,
	    SP_NEED_AMOUNT | SP_NEED_CLOSE_DATE | SP_NEED_CLOSED |
	    SP_NEED_FROM | (x.history ? SP_NEED_ALL : 0), add_deal);
}
