/*
 * cycle-time: how long deals take, as count, mean, median, p75, p90, min
 * and max per group and period: creation to close (won, lost or both),
 * stage to stage and time in each stage on a history, the age of open
 * deals against their group's won cycle, or between any two timestamp
 * fields of a snapshot (lead response time).  One aggregate on the
 * engine (agg.h): a group's state is its distribution of durations, per
 * stage with --in-stage, with its open deals with --open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/stats.h"

static const char usage[] =
    "usage: cycle-time [--lost | --closed | --open | --in-stage]\n"
    "                  [--from stage --to stage] [--start field --end field]\n"
    "                  [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "                  [--unit days|hours|minutes] [--period period]\n"
    "                  [--every day|week|month|quarter|year] "
    "[--fiscal-start month]\n"
    "                  [--now time] [--as-of time] [--map spec] "
    "[--stages spec]\n"
    "                  [--date-format format] [--tz zone] [--max-bad n]\n"
    "                  [--rejects file] [--encoding encoding]\n"
    "                  [--delimiter sep] [--max-record-size size]\n"
    "                  [--decimal-comma] [--thousands sep] [--rates file]\n"
    "                  [--currency code] [--explain] [--spreadsheet-safe]\n"
    "                  [--partial | --merge] [--shard k/n] [--threads n]\n"
    "                  [--progress | --no-progress]\n"
    "                  [file ...]\n";

enum { M_WON, M_LOST, M_CLOSED, M_OPEN, M_IN_STAGE, M_STAGES, M_FIELDS };
enum { OPT_LOST = 1, OPT_CLOSED, OPT_OPEN, OPT_IN_STAGE, OPT_FROM, OPT_TO,
	OPT_START, OPT_END };


/* The statistics columns, from ctx.stat0 on; --open's own columns. */
enum { C_COUNT, C_MEAN, C_MEDIAN, C_P75, C_P90, C_MIN, C_MAX, NSTAT };
enum { C_ID, C_STAGE, C_AGE, C_WON_P90, C_STALE, NOPEN_COLS };

static const sp_agg_col stat_cols[NSTAT] = {
	{ "count", SP_AGG_COUNT },
	{ "mean", SP_AGG_DURATION },
	{ "median", SP_AGG_DURATION },
	{ "p75", SP_AGG_DURATION },
	{ "p90", SP_AGG_DURATION },
	{ "min", SP_AGG_DURATION },
	{ "max", SP_AGG_DURATION }
};

static const sp_agg_col in_stage_cols[2] = {
	{ "stage", SP_AGG_TEXT },
	{ "measure", SP_AGG_TEXT }
};

static const sp_agg_col open_cols[NOPEN_COLS] = {
	{ "id", SP_AGG_TEXT },
	{ "stage", SP_AGG_TEXT },
	{ "age", SP_AGG_DURATION },
	{ "won_p90", SP_AGG_DURATION },
	{ "stale", SP_AGG_TEXT }
};

/* --open: an open deal of the group, kept until its won cycles are
 * known (the output). */
struct open_deal {
	char *id;
	int stage;		/* -1: unknown (closed after --as-of) */
	int64_t age;
};

/*
 * A group's state: its durations (--open: the won cycles), with
 * --in-stage one pair (latest, total) per stage instead, with --open its
 * open deals; and how many durations are negative, for the warning.
 */
struct cycle {
	sp_dist d;
	sp_dist *visit;		/* [2 * stage + measure], or NULL */
	size_t nvisit;
	struct open_deal *open;
	size_t nopen, opencap;
	int64_t negative;
};

/* The options, read-only while deals are added (threads share them),
 * but for the atomic counter and what the output step sums. */
struct ctx {
	sp_cli *cli;
	int mode;
	const char *from_name, *to_name, *start_name, *end_name;
	int from, to, start_slot, end_slot;
	size_t stat0;		/* the column of count */
	long negative_read;	/* negative durations added, any thread
				   (__atomic): the warning of --explain */
	long negative_out;	/* summed over the states written */
	int history_failed;	/* a snapshot met by a stage mode (atomic) */
};

static void
cycle_init(void *ctx, void *p)
{
	(void)ctx;
	memset(p, 0, sizeof(struct cycle));
	sp_dist_init(&((struct cycle *)p)->d);
}

static void
cycle_fini(void *ctx, void *p)
{
	struct cycle *t = p;
	size_t i;

	(void)ctx;
	sp_dist_free(&t->d);
	for (i = 0; i < t->nvisit; i++)
		sp_dist_free(&t->visit[i]);
	free(t->visit);
	for (i = 0; i < t->nopen; i++)
		free(t->open[i].id);
	free(t->open);
}

/* --in-stage: the pairs of every stage, made on first use. */
static int
visits_of(struct ctx *x, struct cycle *t)
{
	size_t i, n = 2 * x->cli->stages->n;

	if (t->visit != NULL)
		return 0;
	if ((t->visit = calloc(n, sizeof(*t->visit))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		sp_dist_init(&t->visit[i]);
	t->nvisit = n;
	return 0;
}

/* --open: room for one more open deal. */
static struct open_deal *
open_slot(struct cycle *t)
{
	struct open_deal *o;

	if (t->nopen == t->opencap) {
		size_t cap = t->opencap ? t->opencap * 2 : 8;
		if ((o = realloc(t->open, cap * sizeof(*o))) == NULL)
			return NULL;
		t->open = o;
		t->opencap = cap;
	}
	return &t->open[t->nopen];
}

static int
cycle_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct ctx *x = ctx;
	struct cycle *a = into, *b = from;
	struct open_deal *o;
	size_t i;

	if (sp_dist_merge(&a->d, &b->d) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (b->visit != NULL) {
		if (visits_of(x, a) < 0)
			return sp_err_set(e, NULL, "out of memory");
		for (i = 0; i < a->nvisit && i < b->nvisit; i++)
			if (sp_dist_merge(&a->visit[i], &b->visit[i]) < 0)
				return sp_err_set(e, NULL, "out of memory");
	}
	/* the open deals move (their ids with them); the output sorts them */
	for (i = 0; i < b->nopen; i++) {
		if ((o = open_slot(a)) == NULL) {
			/* b keeps those not moved: fini frees them */
			memmove(b->open, b->open + i, (b->nopen - i) *
			    sizeof(*o));
			b->nopen -= i;
			return sp_err_set(e, NULL, "out of memory");
		}
		*o = b->open[i];
		a->nopen++;
	}
	b->nopen = 0;
	a->negative += b->negative;
	b->negative = 0;
	return 0;
}

static json_t *
cycle_save(void *ctx, const void *p)
{
	struct ctx *x = ctx;
	const struct cycle *t = p;
	const sp_stages *st = x->cli->stages;
	json_t *o, *a, *v;
	size_t i;

	if ((o = json_pack("{s:o,s:I}", "d", sp_agg_dist_save(&t->d),
	    "negative", (json_int_t)t->negative)) == NULL)
		return NULL;
	if (x->mode == M_IN_STAGE) {
		/* by stage name: the stage list of the merge may differ */
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o, "visit", a) < 0)
			goto fail;
		for (i = 0; 2 * i < t->nvisit; i++) {
			if (t->visit[2 * i].n == 0)
				continue;
			if ((v = json_pack("{s:s,s:o,s:o}", "stage",
			    st->v[i].name, "latest",
			    sp_agg_dist_save(&t->visit[2 * i]), "total",
			    sp_agg_dist_save(&t->visit[2 * i + 1]))) == NULL ||
			    json_array_append_new(a, v) < 0)
				goto fail;
		}
	}
	if (x->mode == M_OPEN) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o, "open", a) < 0)
			goto fail;
		for (i = 0; i < t->nopen; i++) {
			const struct open_deal *d = &t->open[i];

			if ((v = json_pack("{s:s,s:o,s:I}", "id", d->id,
			    "stage", d->stage < 0 ? json_null() :
			    json_string(st->v[d->stage].name), "age",
			    (json_int_t)d->age)) == NULL ||
			    json_array_append_new(a, v) < 0)
				goto fail;
		}
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A stage named in a partial state: its index, -1 with e set. */
static int
stage_load(struct ctx *x, const json_t *v, sp_error *e)
{
	int s;

	if (!json_is_string(v))
		return sp_err_set(e, "stage", "not a stage name in the partial "
		    "state");
	if ((s = sp_stages_find(x->cli->stages, json_string_value(v),
	    json_string_length(v))) < 0)
		return sp_err_set(e, "stage", "'%s' is not in the stage list "
		    "(known: %s)", json_string_value(v),
		    sp_stages_known(x->cli->stages));
	return s;
}

static int
load_visits(struct ctx *x, struct cycle *t, const json_t *a, sp_error *e)
{
	const json_t *v, *m;
	size_t i;
	int s;

	if (!json_is_array(a))
		return sp_err_set(e, "visit", "not a list in the partial "
		    "state");
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		if ((m = sp_agg_member(v, "stage", e)) == NULL ||
		    (s = stage_load(x, m, e)) < 0)
			return -1;
		if (visits_of(x, t) < 0)
			return sp_err_set(e, NULL, "out of memory");
		if ((m = sp_agg_member(v, "latest", e)) == NULL ||
		    sp_agg_dist_load(&t->visit[2 * s], m, "latest", e) < 0 ||
		    (m = sp_agg_member(v, "total", e)) == NULL ||
		    sp_agg_dist_load(&t->visit[2 * s + 1], m, "total", e) < 0)
			return -1;
		if (t->visit[2 * s].n != t->visit[2 * s + 1].n)
			return sp_err_set(e, "visit", "stage %s: latest and "
			    "total differ in count", x->cli->stages->v[s].name);
	}
	return 0;
}

static int
load_open(struct ctx *x, struct cycle *t, const json_t *a, sp_error *e)
{
	const json_t *v, *m;
	struct open_deal *o;
	size_t i;
	int64_t age;
	int s;

	if (!json_is_array(a))
		return sp_err_set(e, "open", "not a list in the partial state");
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		if ((m = sp_agg_member(v, "id", e)) == NULL)
			return -1;
		if (!json_is_string(m))
			return sp_err_set(e, "id", "not a string in the partial "
			    "state");
		if ((m = sp_agg_member(v, "stage", e)) == NULL)
			return -1;
		if (json_is_null(m))
			s = -1;
		else if ((s = stage_load(x, m, e)) < 0)
			return -1;
		if ((m = sp_agg_member(v, "age", e)) == NULL ||
		    sp_agg_int_load(&age, m, "age", e) < 0)
			return -1;
		if ((o = open_slot(t)) == NULL || (o->id =
		    strdup(json_string_value(json_object_get(v, "id")))) ==
		    NULL)
			return sp_err_set(e, NULL, "out of memory");
		o->stage = s;
		o->age = age;
		t->nopen++;
	}
	return 0;
}

static int
cycle_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct ctx *x = ctx;
	struct cycle *t = p;
	const json_t *m;

	if ((m = sp_agg_member(v, "d", e)) == NULL ||
	    sp_agg_dist_load(&t->d, m, "d", e) < 0 ||
	    (m = sp_agg_member(v, "negative", e)) == NULL ||
	    sp_agg_int_load(&t->negative, m, "negative", e) < 0)
		return -1;
	if (x->mode == M_IN_STAGE && ((m = sp_agg_member(v, "visit", e)) ==
	    NULL || load_visits(x, t, m, e) < 0))
		return -1;
	if (x->mode == M_OPEN && ((m = sp_agg_member(v, "open", e)) == NULL ||
	    load_open(x, t, m, e) < 0))
		return -1;
	return 0;
}

/* count mean median p75 p90 min max from column col; an empty
 * distribution has count 0 and the rest empty. */
static void
set_stats(struct ctx *x, sp_agg_row *r, size_t col, sp_dist *d)
{
	int unit = x->cli->unit;
	char b[32];

	sp_agg_set_count(r, col + C_COUNT, (int64_t)d->n);
	if (d->n == 0)
		return;
	sp_dist_finish(d);
	sp_agg_set(r, col + C_MEAN, sp_duration_format(sp_dist_mean(d), unit,
	    b));
	sp_agg_set(r, col + C_MEDIAN, sp_duration_format(sp_dist_quantile(d,
	    0.5), unit, b));
	sp_agg_set(r, col + C_P75, sp_duration_format(sp_dist_quantile(d,
	    0.75), unit, b));
	sp_agg_set(r, col + C_P90, sp_duration_format(sp_dist_quantile(d,
	    0.9), unit, b));
	sp_agg_set(r, col + C_MIN, sp_duration_format((double)sp_dist_min(d),
	    unit, b));
	sp_agg_set(r, col + C_MAX, sp_duration_format((double)sp_dist_max(d),
	    unit, b));
}

/* --open's order: by id, then age and stage (ids may repeat in a
 * snapshot), so that any split of the deals gives the same bytes. */
static int
open_cmp(const void *pa, const void *pb)
{
	const struct open_deal *a = pa, *b = pb;
	int k = strcmp(a->id, b->id);

	if (k != 0)
		return k;
	if (a->age != b->age)
		return a->age < b->age ? -1 : 1;
	return (a->stage > b->stage) - (a->stage < b->stage);
}

static int
rows_open(struct ctx *x, struct cycle *t, sp_agg_row *r, sp_error *e)
{
	sp_cli *c = x->cli;
	double p90 = 0;
	size_t i;
	char b[32];

	if (t->nopen > 1)
		qsort(t->open, t->nopen, sizeof(*t->open), open_cmp);
	if (t->d.n > 0)
		p90 = sp_dist_quantile(&t->d, 0.9);
	for (i = 0; i < t->nopen; i++) {
		struct open_deal *o = &t->open[i];

		sp_agg_set(r, C_ID, o->id);
		/* open at --as-of, closed later: its stage then unknown */
		sp_agg_set(r, C_STAGE, o->stage < 0 ? "" :
		    c->stages->v[o->stage].name);
		sp_agg_set(r, C_AGE, sp_duration_format((double)o->age,
		    c->unit, b));
		if (t->d.n > 0) {
			sp_agg_set(r, C_WON_P90, sp_duration_format(p90,
			    c->unit, b));
			sp_agg_set(r, C_STALE, (double)o->age > p90 ? "yes" :
			    "no");
		}
		if (sp_agg_emit(r, e) < 0)
			return -1;
	}
	return 0;
}

static int
cycle_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct ctx *x = ctx;
	struct cycle *t = p;
	size_t s;
	int m;

	/* the output is written on one thread: the warning's count */
	x->negative_out += (long)t->negative;
	if (x->mode == M_OPEN)
		return rows_open(x, t, r, e);
	if (x->mode != M_IN_STAGE) {
		set_stats(x, r, x->stat0, &t->d);
		return sp_agg_emit(r, e);
	}
	for (s = 0; 2 * s < t->nvisit; s++)
		for (m = 0; m < 2 && t->visit[2 * s].n > 0; m++) {
			sp_agg_set(r, 0, x->cli->stages->v[s].name);
			sp_agg_set(r, 1, m == 0 ? "latest" : "total");
			set_stats(x, r, x->stat0, &t->visit[2 * s + m]);
			if (sp_agg_emit(r, e) < 0)
				return -1;
		}
	return 0;
}

static void
exclude(sp_cli *c, const sp_deal *d, const char *metric, const char *reason)
{
	if (c->explain)
		cli_explain(c, d, "", metric, "excluded", reason);
}

/*
 * Count one duration from start to end; what ("won", "proposal -> won")
 * and ended ("closed", "entered won") word the --explain rows.
 */
static int
count(sp_agg_run *run, const sp_deal *d, int64_t start, int64_t end,
    const char *metric, const char *what, const char *ended, sp_error *e)
{
	sp_cli *c = cli_agg_cli(run);
	struct ctx *x = cli_agg_ctx(run);
	const char *label;
	struct cycle *t;
	char dur[32], why[256];

	if ((t = cli_agg_at(run, d, end, &label)) == NULL) {
		snprintf(why, sizeof(why), "%s outside the period", ended);
		exclude(c, d, metric, why);
		return 0;
	}
	if (sp_dist_add(&t->d, end - start) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (end < start) {
		t->negative++;
		__atomic_fetch_add(&x->negative_read, 1, __ATOMIC_RELAXED);
	}
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s %s%s", what,
		    sp_duration_format((double)(end - start), c->unit, dur),
		    sp_unit_name(c->unit), end < start ?
		    " (ends before it starts)" : "");
		cli_explain(c, d, label, metric, "counted", why);
	}
	return 0;
}

/* A deal missing a time is left out, not an error: --explain says why. */
static int
add_closed(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	int want = x->mode == M_WON ? d->kind == SP_WON : x->mode == M_LOST ?
	    d->kind == SP_LOST : d->kind != SP_OPEN;
	const char *why;
	int64_t secs;

	/* without --every a group has its row even when none of it counts */
	cli_agg_group(run, d);
	if (!want) {
		exclude(c, d, "cycle_time", d->as_of_open ? "open at the as-of "
		    "time (closed after it)" : sp_stage_kind_name(d->kind));
		return 0;
	}
	if ((why = sp_deal_cycle(d, &secs)) != NULL) {
		exclude(c, d, "cycle_time", why);
		return 0;
	}
	return count(run, d, d->created_at, d->closed_at, "cycle_time",
	    sp_stage_kind_name(d->kind), "closed", e);
}

/* --start/--end: two timestamp fields of a snapshot record. */
static int
get_field(struct ctx *x, const sp_deal *d, int slot, const char *name,
    int64_t *t, sp_error *e)
{
	char why[160];

	if (!sp_rec_has(d->rec, slot)) {
		snprintf(why, sizeof(why), "no %s", name);
		exclude(x->cli, d, "cycle_time", why);
		return 0;
	}
	if (sp_time_parse_tz(sp_rec_get(d->rec, slot), sp_rec_len(d->rec, slot),
	    x->cli->date_format, x->cli->tz, t, e) < 0) {
		snprintf(e->field, sizeof(e->field), "%s", name);
		return -1;
	}
	return 1;
}

static int
add_fields(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	int64_t start, end;
	char what[256];
	int k;

	cli_agg_group(run, d);
	if ((k = get_field(x, d, x->start_slot, x->start_name, &start,
	    e)) <= 0 || (k = get_field(x, d, x->end_slot, x->end_name, &end,
	    e)) <= 0)
		return k;
	if (x->cli->has_as_of && end > x->cli->as_of) {
		/* not over yet as of then: its length was unknown */
		snprintf(what, sizeof(what), "%s after the as-of time",
		    x->end_name);
		exclude(x->cli, d, "cycle_time", what);
		return 0;
	}
	snprintf(what, sizeof(what), "%s -> %s", x->start_name, x->end_name);
	return count(run, d, start, end, "cycle_time", what, x->end_name, e);
}

/*
 * The stage modes read the path, which only a history has: a snapshot is
 * a data error that ends the run whatever --max-bad says.  Returns 0 when
 * d is of a history; 1 when another thread is already failing the run
 * (the deal is skipped: the process is exiting).
 */
static int
need_history(struct ctx *x, const sp_deal *d)
{
	sp_error e;

	if (d->path != NULL)
		return 0;
	if (__atomic_exchange_n(&x->history_failed, 1, __ATOMIC_SEQ_CST))
		return 1;
	sp_err_clear(&e);
	sp_err_where(&e, d->file, d->line);
	sp_err_set(&e, NULL, "%s a history (records with 'at'); this input is "
	    "a snapshot", x->mode == M_IN_STAGE ? "--in-stage needs" :
	    "--from and --to need");
	cli_fail(x->cli, &e);
}

static int
add_stages(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	const sp_stage *st = x->cli->stages->v;
	char what[256], ended[160];
	size_t i, j;

	if (need_history(x, d))
		return 0;
	cli_agg_group(run, d);
	for (i = 0; i < d->npath && d->path[i].stage != x->from; i++)
		;
	for (j = i + 1; j < d->npath && d->path[j].stage != x->to; j++)
		;
	if (i >= d->npath) {
		snprintf(what, sizeof(what), "never entered %s",
		    st[x->from].name);
		exclude(x->cli, d, "cycle_time", what);
		return 0;
	}
	if (j >= d->npath) {
		snprintf(what, sizeof(what), "did not enter %s after %s",
		    st[x->to].name, st[x->from].name);
		exclude(x->cli, d, "cycle_time", what);
		return 0;
	}
	snprintf(what, sizeof(what), "%s -> %s", st[x->from].name,
	    st[x->to].name);
	snprintf(ended, sizeof(ended), "entered %s", st[x->to].name);
	return count(run, d, d->path[i].at, d->path[j].at, "cycle_time", what,
	    ended, e);
}

/* --in-stage: one deal's completed visits of one stage. */
struct stay {
	int64_t latest, total, left;
	int seen;
};

/*
 * --in-stage: a visit is completed when the deal moved on, so the visit
 * of the stage a deal is in now is not counted.  Both measures of a stage
 * are dated by the end of the deal's latest completed visit of it.  The
 * per-deal scratch is the call's own (threads add at once).
 */
static int
add_in_stage(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	size_t i, n = c->stages->n;
	struct stay buf[32], *v = buf;
	const char *label;
	struct cycle *t;
	char why[256], d1[32], d2[32];
	int any = 0, rc = 0;

	if (need_history(x, d))
		return 0;
	if (n > sizeof(buf) / sizeof(buf[0]) && (v = malloc(n *
	    sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	memset(v, 0, n * sizeof(*v));
	for (i = 0; i + 1 < d->npath; i++) {
		struct stay *s = &v[d->path[i].stage];
		int64_t dur = d->path[i + 1].at - d->path[i].at;

		s->total = s->seen ? s->total + dur : dur;
		s->latest = dur;
		s->left = d->path[i + 1].at;
		s->seen = 1;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].seen)
			continue;
		any = 1;
		if ((t = cli_agg_at(run, d, v[i].left, &label)) == NULL) {
			snprintf(why, sizeof(why), "left %s outside the period",
			    c->stages->v[i].name);
			exclude(c, d, "time_in_stage", why);
			continue;
		}
		if (visits_of(x, t) < 0 ||
		    sp_dist_add(&t->visit[2 * i], v[i].latest) < 0 ||
		    sp_dist_add(&t->visit[2 * i + 1], v[i].total) < 0) {
			rc = sp_err_set(e, NULL, "out of memory");
			break;
		}
		if (c->explain) {
			snprintf(why, sizeof(why), "%s latest %s total %s %s",
			    c->stages->v[i].name,
			    sp_duration_format((double)v[i].latest, c->unit, d1),
			    sp_duration_format((double)v[i].total, c->unit, d2),
			    sp_unit_name(c->unit));
			cli_explain(c, d, label, "time_in_stage", "counted",
			    why);
		}
	}
	if (rc == 0 && !any)
		exclude(c, d, "time_in_stage", "no completed stage visit");
	if (v != buf)
		free(v);
	return rc;
}

/* --open: won deals give each group its p90; open deals are kept. */
static int
add_open(sp_agg_run *run, struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	struct cycle *t;
	struct open_deal *o;
	char why[256], dur[32];

	if (d->kind == SP_LOST) {
		exclude(c, d, "won_p90", "lost");
		return 0;
	}
	if (!d->has_created) {
		exclude(c, d, d->kind == SP_WON ? "won_p90" : "age",
		    "no created_at");
		return 0;
	}
	if (d->kind == SP_WON) {
		if (!d->has_closed) {
			exclude(c, d, "won_p90", "no close time");
			return 0;
		}
		return count(run, d, d->created_at, d->closed_at, "won_p90",
		    "won", "closed", e);
	}
	/* --open takes no --every: the group's state is never NULL */
	t = cli_agg_group(run, d);
	if ((o = open_slot(t)) == NULL || (o->id = strdup(d->id)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	o->stage = d->stage;
	o->age = c->cal.now - d->created_at;
	t->nopen++;
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s %s", d->stage < 0 ?
		    "stage unknown (closed after the as-of time)" :
		    c->stages->v[d->stage].name,
		    sp_duration_format((double)o->age, c->unit, dur),
		    sp_unit_name(c->unit));
		cli_explain(c, d, "", "age", "counted", why);
	}
	return 0;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);

	switch (x->mode) {
	case M_OPEN:
		return add_open(run, x, d, e);
	case M_IN_STAGE:
		return add_in_stage(run, x, d, e);
	case M_STAGES:
		return add_stages(run, x, d, e);
	case M_FIELDS:
		return add_fields(run, x, d, e);
	default:
		return add_closed(run, x, d, e);
	}
}

static void
set_mode(sp_cli *c, int *mode, const char **flag, int m, const char *name)
{
	if (*flag != NULL && *mode != m)
		cli_usage_error(c, "%s and %s cannot be used together", *flag,
		    name);
	*mode = m;
	*flag = name;
}

static int
stage_arg(sp_cli *c, const char *opt, const char *name)
{
	int s = sp_stages_find(c->stages, name, strlen(name));

	if (s < 0)
		cli_usage_error(c, "%s: unknown stage '%s' (known: %s)", opt,
		    name, sp_stages_known(c->stages));
	return s;
}

/* Check the mode's options once the stage list and slots are known. */
static void
open_mode(sp_cli *c, struct ctx *x)
{
	if (x->mode == M_STAGES) {
		if (x->from_name == NULL || x->to_name == NULL)
			cli_usage_error(c, "--from and --to go together");
		x->from = stage_arg(c, "--from", x->from_name);
		x->to = stage_arg(c, "--to", x->to_name);
		if (x->from == x->to)
			cli_usage_error(c, "--from and --to name the same "
			    "stage");
	}
	if (x->mode == M_FIELDS) {
		if (x->start_name == NULL || x->end_name == NULL)
			cli_usage_error(c, "--start and --end go together");
		/* --merge reads states, not records: no slots */
		if (c->rd != NULL && ((x->start_slot = sp_reader_slot(c->rd,
		    x->start_name)) < 0 || (x->end_slot =
		    sp_reader_slot(c->rd, x->end_name)) < 0 ||
		    sp_reader_use(c->rd, x->start_slot) < 0 ||
		    sp_reader_use(c->rd, x->end_slot) < 0))
			cli_oom(c);
	}
	if (x->mode == M_OPEN && (c->has_period || c->every != SP_EVERY_NONE))
		cli_usage_error(c, "--open lists the deals open now: "
		    "--period and --every do not apply");
}

/* The mode's columns: [stage measure] and the statistics, or --open's. */
static size_t
mode_cols(const struct ctx *x, sp_agg_col *cols)
{
	size_t n = 0, i;

	if (x->mode == M_OPEN) {
		for (i = 0; i < NOPEN_COLS; i++)
			cols[n++] = open_cols[i];
		return n;
	}
	if (x->mode == M_IN_STAGE)
		for (i = 0; i < 2; i++)
			cols[n++] = in_stage_cols[i];
	for (i = 0; i < NSTAT; i++)
		cols[n++] = stat_cols[i];
	return n;
}

/* After the output (the engine has no step between it and cli_finish):
 * one warning for the negative durations of the answer. */
static void
warn_negative(sp_cli *c, struct ctx *x)
{
	long n;

	if (c->partial)
		return;		/* the merge warns, with the total */
	n = c->explain ? __atomic_load_n(&x->negative_read, __ATOMIC_RELAXED) :
	    x->negative_out;
	if (n == 0)
		return;
	if (x->mode == M_FIELDS)
		cli_warn(c, "%ld record%s %s before %s (negative durations "
		    "counted; see --explain)", n, n == 1 ? " has" : "s have",
		    x->end_name, x->start_name);
	else
		cli_warn(c, "%ld deal%s before %s created (negative durations "
		    "counted; see --explain)", n, n == 1 ? " closes" :
		    "s close", n == 1 ? "it was" : "they were");
}

/* The end of the run (sp_agg.end): the warning of negative durations. */
static void
end_run(void *ctx)
{
	struct ctx *x = ctx;

	warn_negative(x->cli, x);
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    CLI_UNIT_LONGOPT,
	    { "lost", no_argument, OPT_LOST,
		    NULL, "the cycles of lost deals instead of won" },
	    { "closed", no_argument, OPT_CLOSED,
		    NULL, "the cycles of won and lost deals together" },
	    { "open", no_argument, OPT_OPEN,
		    NULL, "each open deal's age against its group's p90" },
	    { "in-stage", no_argument, OPT_IN_STAGE,
		    NULL, "time in each stage, on a history" },
	    { "from", required_argument, OPT_FROM,
		    "stage", "stage to stage, on a history: from this stage" },
	    { "to", required_argument, OPT_TO,
		    "stage", "stage to stage, on a history: to this stage" },
	    { "start", required_argument, OPT_START,
		    "field", "between two time fields: from this one" },
	    { "end", required_argument, OPT_END,
		    "field", "between two time fields: to this one" },
	    CLI_OPT_END };
	static const int need[] = {
		[M_WON] = SP_NEED_CREATED | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
		[M_LOST] = SP_NEED_CREATED | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
		[M_CLOSED] = SP_NEED_CREATED | SP_NEED_CLOSED |
		    SP_NEED_AS_OF_OPEN,
		[M_OPEN] = SP_NEED_CREATED | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
		[M_IN_STAGE] = 0, [M_STAGES] = 0,
		[M_FIELDS] = SP_NEED_NO_STAGE
	};
	static sp_agg agg = { "cycle-time", sizeof(struct cycle), cycle_init,
	    cycle_fini, cycle_merge, cycle_save, cycle_load, cycle_rows, NULL,
	    0, NULL, NULL, NULL, 0, NULL, 0 };
	sp_agg_col cols[NSTAT + 2 + NOPEN_COLS];
	const char *flag = NULL;
	sp_cli c;
	struct ctx x;
	int ch;

	memset(&x, 0, sizeof(x));
	x.mode = M_WON;
	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_LOST:
			set_mode(&c, &x.mode, &flag, M_LOST, "--lost");
			break;
		case OPT_CLOSED:
			set_mode(&c, &x.mode, &flag, M_CLOSED, "--closed");
			break;
		case OPT_OPEN:
			set_mode(&c, &x.mode, &flag, M_OPEN, "--open");
			break;
		case OPT_IN_STAGE:
			set_mode(&c, &x.mode, &flag, M_IN_STAGE, "--in-stage");
			break;
		case OPT_FROM:
		case OPT_TO:
			set_mode(&c, &x.mode, &flag, M_STAGES,
			    ch == OPT_FROM ? "--from" : "--to");
			*(ch == OPT_FROM ? &x.from_name : &x.to_name) = optarg;
			break;
		case OPT_START:
		case OPT_END:
			set_mode(&c, &x.mode, &flag, M_FIELDS,
			    ch == OPT_START ? "--start" : "--end");
			*(ch == OPT_START ? &x.start_name : &x.end_name) =
			    optarg;
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	cli_open(&c, argc - optind, argv + optind);
	open_mode(&c, &x);
	x.cli = &c;
	x.stat0 = x.mode == M_IN_STAGE ? 2 : 0;
	agg.ncols = mode_cols(&x, cols);
	agg.cols = cols;
	agg.ctx = &x;
	agg.end = end_run;
	return cli_agg_deals(&c, &agg, need[x.mode], add_deal);
}
