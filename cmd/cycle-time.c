/*
 * cycle-time: how long deals take, as count, mean, median, p75, p90, min
 * and max per group and period: creation to close (won, lost or both),
 * stage to stage and time in each stage on a history, the age of open
 * deals against their group's won cycle, or between any two timestamp
 * fields of a snapshot (lead response time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
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
    "                  [file ...]\n";

enum { M_WON, M_LOST, M_CLOSED, M_OPEN, M_IN_STAGE, M_STAGES, M_FIELDS };
enum { OPT_LOST = 1, OPT_CLOSED, OPT_OPEN, OPT_IN_STAGE, OPT_FROM, OPT_TO,
	OPT_START, OPT_END };

static const char *const unit_name[] = { "days", "hours", "minutes" };

/* A group's durations; --in-stage: one pair (latest, total) per stage. */
struct cycle {
	sp_dist d;
	sp_dist *visit;		/* [2 * stage + measure] */
	size_t nvisit;
};

/* --open: an open deal, kept until the won cycles are all known. */
struct open_deal {
	char *id, *key;
	size_t keylen;
	int stage;
	int64_t age;
};

struct ctx {
	sp_cli *cli;
	int mode;
	const char *from_name, *to_name, *start_name, *end_name;
	int from, to, start_slot, end_slot;
	sp_groups *groups;
	long negative;		/* durations below zero, counted */
	struct open_deal *open;
	size_t nopen, opencap;
	int64_t *latest, *total, *left;	/* --in-stage, per stage */
	char *seen;
};

static void
cycle_init(void *p)
{
	sp_dist_init(&((struct cycle *)p)->d);
}

static void
cycle_fini(void *p)
{
	struct cycle *t = p;
	size_t i;

	sp_dist_free(&t->d);
	for (i = 0; i < t->nvisit; i++)
		sp_dist_free(&t->visit[i]);
	free(t->visit);
}

static void
exclude(struct ctx *x, const sp_deal *d, const char *metric,
    const char *reason)
{
	if (x->cli->explain)
		cli_explain(x->cli, d, "", metric, "excluded", reason);
}

/* Without --every a group has its row even when none of it counts. */
static int
touch_group(struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	const char *key = d->key;
	size_t keylen = d->keylen;

	if (c->every != SP_EVERY_NONE)
		return 0;
	if (c->has_period)
		key = cli_key_with(c, d, c->period.label, &keylen);
	if (sp_groups_get(x->groups, key, keylen) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/*
 * The period label of end time t (--every bucket or --period label), or
 * NULL when t is outside --period.
 */
static const char *
label_of(sp_cli *c, int64_t t, sp_period *b)
{
	if (c->has_period && !sp_period_contains(&c->period, t))
		return NULL;
	if (c->every != SP_EVERY_NONE) {
		sp_period_bucket(t, c->every, &c->cal, b);
		return b->label;
	}
	return c->has_period ? c->period.label : "";
}

static struct cycle *
state_of(struct ctx *x, const sp_deal *d, const char *label)
{
	sp_cli *c = x->cli;
	const char *key = d->key;
	size_t keylen = d->keylen;

	if (c->has_period || c->every != SP_EVERY_NONE)
		key = cli_key_with(c, d, label, &keylen);
	return sp_groups_get(x->groups, key, keylen);
}

/*
 * Count one duration from start to end; what ("won", "proposal -> won")
 * and ended ("closed", "entered won") word the --explain rows.
 */
static int
count(struct ctx *x, const sp_deal *d, int64_t start, int64_t end,
    const char *metric, const char *what, const char *ended, sp_error *e)
{
	sp_cli *c = x->cli;
	const char *label;
	struct cycle *t;
	sp_period b;
	char dur[32], why[256];

	if ((label = label_of(c, end, &b)) == NULL) {
		snprintf(why, sizeof(why), "%s outside the period", ended);
		exclude(x, d, metric, why);
		return 0;
	}
	if ((t = state_of(x, d, label)) == NULL || sp_dist_add(&t->d, end -
	    start) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (end < start)
		x->negative++;
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s %s%s", what,
		    sp_duration_format((double)(end - start), c->unit, dur),
		    unit_name[c->unit], end < start ?
		    " (ends before it starts)" : "");
		cli_explain(c, d, label, metric, "counted", why);
	}
	return 0;
}

/* A deal missing a time is left out, not an error: --explain says why. */
static int
add_closed(struct ctx *x, const sp_deal *d, sp_error *e)
{
	int want = x->mode == M_WON ? d->kind == SP_WON : x->mode == M_LOST ?
	    d->kind == SP_LOST : d->kind != SP_OPEN;

	if (touch_group(x, d, e) < 0)
		return -1;
	if (!want) {
		exclude(x, d, "cycle_time", d->as_of_open ? "open at the as-of "
		    "time (closed after it)" : sp_stage_kind_name(d->kind));
		return 0;
	}
	if (!d->has_created) {
		exclude(x, d, "cycle_time", "no created_at");
		return 0;
	}
	if (!d->has_closed) {
		exclude(x, d, "cycle_time", "no close time");
		return 0;
	}
	return count(x, d, d->created_at, d->closed_at, "cycle_time",
	    sp_stage_kind_name(d->kind), "closed", e);
}

/* --start/--end: two timestamp fields of a snapshot record. */
static int
get_field(struct ctx *x, const sp_deal *d, int slot, const char *name,
    int64_t *t, sp_error *e)
{
	char why[160];

	if (!rec_has(d->rec, slot)) {
		snprintf(why, sizeof(why), "no %s", name);
		exclude(x, d, "cycle_time", why);
		return 0;
	}
	if (sp_time_parse_tz(rec_get(d->rec, slot), rec_len(d->rec, slot),
	    x->cli->date_format, x->cli->tz, t, e) < 0) {
		snprintf(e->field, sizeof(e->field), "%s", name);
		return -1;
	}
	return 1;
}

static int
add_fields(struct ctx *x, const sp_deal *d, sp_error *e)
{
	int64_t start, end;
	char what[256];
	int k;

	if (touch_group(x, d, e) < 0)
		return -1;
	if ((k = get_field(x, d, x->start_slot, x->start_name, &start,
	    e)) <= 0 || (k = get_field(x, d, x->end_slot, x->end_name, &end,
	    e)) <= 0)
		return k;
	if (x->cli->has_as_of && end > x->cli->as_of) {
		/* not over yet as of then: its length was unknown */
		snprintf(what, sizeof(what), "%s after the as-of time",
		    x->end_name);
		exclude(x, d, "cycle_time", what);
		return 0;
	}
	snprintf(what, sizeof(what), "%s -> %s", x->start_name, x->end_name);
	return count(x, d, start, end, "cycle_time", what, x->end_name, e);
}

/* The stage modes read the path, which only a history has. */
static void
need_history(struct ctx *x, const sp_deal *d)
{
	sp_error e;

	if (d->path != NULL)
		return;
	sp_err_clear(&e);
	sp_err_where(&e, d->file, d->line);
	sp_err_set(&e, NULL, "%s a history (records with 'at'); this input is "
	    "a snapshot", x->mode == M_IN_STAGE ? "--in-stage needs" :
	    "--from and --to need");
	cli_fail(x->cli, &e);
}

static int
add_stages(struct ctx *x, const sp_deal *d, sp_error *e)
{
	const sp_stage *st = x->cli->stages->v;
	char what[256], ended[160];
	size_t i, j;

	need_history(x, d);
	if (touch_group(x, d, e) < 0)
		return -1;
	for (i = 0; i < d->npath && d->path[i].stage != x->from; i++)
		;
	for (j = i + 1; j < d->npath && d->path[j].stage != x->to; j++)
		;
	if (i >= d->npath) {
		snprintf(what, sizeof(what), "never entered %s",
		    st[x->from].name);
		exclude(x, d, "cycle_time", what);
		return 0;
	}
	if (j >= d->npath) {
		snprintf(what, sizeof(what), "did not enter %s after %s",
		    st[x->to].name, st[x->from].name);
		exclude(x, d, "cycle_time", what);
		return 0;
	}
	snprintf(what, sizeof(what), "%s -> %s", st[x->from].name,
	    st[x->to].name);
	snprintf(ended, sizeof(ended), "entered %s", st[x->to].name);
	return count(x, d, d->path[i].at, d->path[j].at, "cycle_time", what,
	    ended, e);
}

/*
 * --in-stage: a visit is completed when the deal moved on, so the visit
 * of the stage a deal is in now is not counted.  Both measures of a stage
 * are dated by the end of the deal's latest completed visit of it.
 */
static int
add_in_stage(struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	size_t i, n = c->stages->n;
	const char *label;
	struct cycle *t;
	sp_period b;
	char why[256], d1[32], d2[32];
	int any = 0;

	need_history(x, d);
	memset(x->seen, 0, n);
	for (i = 0; i + 1 < d->npath; i++) {
		int s = d->path[i].stage;
		int64_t dur = d->path[i + 1].at - d->path[i].at;

		x->total[s] = x->seen[s] ? x->total[s] + dur : dur;
		x->latest[s] = dur;
		x->left[s] = d->path[i + 1].at;
		x->seen[s] = 1;
	}
	for (i = 0; i < n; i++) {
		if (!x->seen[i])
			continue;
		any = 1;
		if ((label = label_of(c, x->left[i], &b)) == NULL) {
			snprintf(why, sizeof(why), "left %s outside the period",
			    c->stages->v[i].name);
			exclude(x, d, "time_in_stage", why);
			continue;
		}
		if ((t = state_of(x, d, label)) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		if (t->visit == NULL) {
			if ((t->visit = calloc(2 * n, sizeof(*t->visit))) ==
			    NULL)
				return sp_err_set(e, NULL, "out of memory");
			t->nvisit = 2 * n;
		}
		if (sp_dist_add(&t->visit[2 * i], x->latest[i]) < 0 ||
		    sp_dist_add(&t->visit[2 * i + 1], x->total[i]) < 0)
			return sp_err_set(e, NULL, "out of memory");
		if (c->explain) {
			snprintf(why, sizeof(why), "%s latest %s total %s %s",
			    c->stages->v[i].name,
			    sp_duration_format((double)x->latest[i], c->unit, d1),
			    sp_duration_format((double)x->total[i], c->unit, d2),
			    unit_name[c->unit]);
			cli_explain(c, d, label, "time_in_stage", "counted",
			    why);
		}
	}
	if (!any)
		exclude(x, d, "time_in_stage", "no completed stage visit");
	return 0;
}

/* --open: won deals give each group its p90; open deals are kept. */
static int
add_open(struct ctx *x, const sp_deal *d, sp_error *e)
{
	sp_cli *c = x->cli;
	struct open_deal *o;
	char why[256], dur[32];

	if (d->kind == SP_LOST) {
		exclude(x, d, "won_p90", "lost");
		return 0;
	}
	if (!d->has_created) {
		exclude(x, d, d->kind == SP_WON ? "won_p90" : "age",
		    "no created_at");
		return 0;
	}
	if (d->kind == SP_WON) {
		if (!d->has_closed) {
			exclude(x, d, "won_p90", "no close time");
			return 0;
		}
		return count(x, d, d->created_at, d->closed_at, "won_p90",
		    "won", "closed", e);
	}
	if (x->nopen == x->opencap) {
		size_t cap = x->opencap ? x->opencap * 2 : 64;
		if ((o = realloc(x->open, cap * sizeof(*o))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		x->open = o;
		x->opencap = cap;
	}
	o = &x->open[x->nopen];
	o->stage = d->stage;
	o->age = c->cal.now - d->created_at;
	o->keylen = d->keylen;
	o->id = strdup(d->id);
	o->key = malloc(d->keylen + 1);
	if (o->id == NULL || o->key == NULL) {
		free(o->id);
		free(o->key);
		return sp_err_set(e, NULL, "out of memory");
	}
	memcpy(o->key, d->key, d->keylen);
	o->key[d->keylen] = '\0';
	x->nopen++;
	if (c->explain) {
		snprintf(why, sizeof(why), "%s %s %s", d->stage < 0 ?
		    "stage unknown (closed after the as-of time)" :
		    c->stages->v[d->stage].name,
		    sp_duration_format((double)o->age, c->unit, dur),
		    unit_name[c->unit]);
		cli_explain(c, d, "", "age", "counted", why);
	}
	return 0;
}

static int
add_deal(void *p, const sp_deal *d, sp_error *e)
{
	struct ctx *x = p;

	switch (x->mode) {
	case M_OPEN:
		return add_open(x, d, e);
	case M_IN_STAGE:
		return add_in_stage(x, d, e);
	case M_STAGES:
		return add_stages(x, d, e);
	case M_FIELDS:
		return add_fields(x, d, e);
	default:
		return add_closed(x, d, e);
	}
}

static void
stat_cols(sp_writer *w)
{
	static const char *const cols[] = { "count", "mean", "median", "p75",
	    "p90", "min", "max" };
	size_t i;

	for (i = 0; i < 7; i++)
		sp_writer_col(w, cols[i], SP_COL_NUM);
}

/* count mean median p75 p90 min max into v; b holds the text.  An empty
 * distribution has count 0 and the rest empty. */
static size_t
stat_vals(sp_cli *c, sp_dist *d, const char **v, char b[7][32])
{
	size_t k = 0;

	v[k++] = sp_count_format((int64_t)d->n, b[0]);
	if (d->n == 0) {
		while (k < 7)
			v[k++] = "";
		return k;
	}
	sp_dist_finish(d);
	v[k++] = sp_duration_format(sp_dist_mean(d), c->unit, b[1]);
	v[k++] = sp_duration_format(sp_dist_quantile(d, 0.5), c->unit, b[2]);
	v[k++] = sp_duration_format(sp_dist_quantile(d, 0.75), c->unit, b[3]);
	v[k++] = sp_duration_format(sp_dist_quantile(d, 0.9), c->unit, b[4]);
	v[k++] = sp_duration_format((double)sp_dist_min(d), c->unit, b[5]);
	v[k++] = sp_duration_format((double)sp_dist_max(d), c->unit, b[6]);
	return k;
}

static void
emit_groups(struct ctx *x, sp_writer *w, const char **v)
{
	sp_cli *c = x->cli;
	const char **keys, **parts;
	size_t *lens, n, i, j, s, np = c->nby;
	void **states;
	char b[7][32];
	int m;

	if (c->has_period || c->every != SP_EVERY_NONE)
		np++;
	cli_group_cols(c, w);
	if (np > c->nby)
		sp_writer_col(w, "period", SP_COL_STR);
	if (x->mode == M_IN_STAGE) {
		sp_writer_col(w, "stage", SP_COL_STR);
		sp_writer_col(w, "measure", SP_COL_STR);
	}
	stat_cols(w);
	if ((n = sp_groups_sorted(x->groups, &keys, &lens, &states)) ==
	    (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		struct cycle *t = states[i];

		parts = cli_group_parts(c, keys[i], lens[i], np);
		for (j = 0; j < np; j++)
			v[j] = parts[j];
		if (x->mode != M_IN_STAGE) {
			stat_vals(c, &t->d, v + j, b);
			sp_writer_row(w, v);
			continue;
		}
		for (s = 0; 2 * s < t->nvisit; s++)
			for (m = 0; m < 2 && t->visit[2 * s].n > 0; m++) {
				v[j] = c->stages->v[s].name;
				v[j + 1] = m == 0 ? "latest" : "total";
				stat_vals(c, &t->visit[2 * s + m], v + j + 2,
				    b);
				sp_writer_row(w, v);
			}
	}
	free(keys);
	free(lens);
	free(states);
}

static void
emit_open(struct ctx *x, sp_writer *w, const char **v)
{
	sp_cli *c = x->cli;
	const char **parts;
	struct cycle *t;
	size_t i, j;
	double p90;
	char age[32], p[32];

	cli_group_cols(c, w);
	sp_writer_col(w, "id", SP_COL_STR);
	sp_writer_col(w, "stage", SP_COL_STR);
	sp_writer_col(w, "age", SP_COL_NUM);
	sp_writer_col(w, "won_p90", SP_COL_NUM);
	sp_writer_col(w, "stale", SP_COL_STR);
	for (i = 0; i < x->nopen; i++) {
		struct open_deal *o = &x->open[i];

		parts = cli_group_parts(c, o->key, o->keylen, c->nby);
		for (j = 0; j < c->nby; j++)
			v[j] = parts[j];
		v[j++] = o->id;
		/* open at --as-of, closed later: its stage then unknown */
		v[j++] = o->stage < 0 ? "" : c->stages->v[o->stage].name;
		v[j++] = sp_duration_format((double)o->age, c->unit, age);
		t = sp_groups_find(x->groups, o->key, o->keylen);
		if (t != NULL && t->d.n > 0) {
			p90 = sp_dist_quantile(&t->d, 0.9);
			v[j++] = sp_duration_format(p90, c->unit, p);
			v[j++] = (double)o->age > p90 ? "yes" : "no";
		} else {
			v[j++] = "";
			v[j++] = "";
		}
		sp_writer_row(w, v);
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
	size_t n;

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
		if ((x->start_slot = sp_reader_slot(c->rd, x->start_name)) < 0 ||
		    (x->end_slot = sp_reader_slot(c->rd, x->end_name)) < 0 ||
		    sp_reader_use(c->rd, x->start_slot) < 0 ||
		    sp_reader_use(c->rd, x->end_slot) < 0)
			cli_oom(c);
	}
	if (x->mode == M_OPEN && (c->has_period || c->every != SP_EVERY_NONE))
		cli_usage_error(c, "--open lists the deals open now: "
		    "--period and --every do not apply");
	if (x->mode == M_IN_STAGE) {
		n = c->stages->n;
		x->latest = calloc(n, sizeof(*x->latest));
		x->total = calloc(n, sizeof(*x->total));
		x->left = calloc(n, sizeof(*x->left));
		if ((x->seen = calloc(n, 1)) == NULL || x->latest == NULL ||
		    x->total == NULL || x->left == NULL)
			cli_oom(c);
	}
}

static void
warn_negative(struct ctx *x)
{
	sp_cli *c = x->cli;
	long n = x->negative;

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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_LONGOPTS,
	    { "lost", no_argument, NULL, OPT_LOST },
	    { "closed", no_argument, NULL, OPT_CLOSED },
	    { "open", no_argument, NULL, OPT_OPEN },
	    { "in-stage", no_argument, NULL, OPT_IN_STAGE },
	    { "from", required_argument, NULL, OPT_FROM },
	    { "to", required_argument, NULL, OPT_TO },
	    { "start", required_argument, NULL, OPT_START },
	    { "end", required_argument, NULL, OPT_END },
	    { NULL, 0, NULL, 0 } };
	static const int need[] = {
		[M_WON] = SP_NEED_CREATED | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
		[M_LOST] = SP_NEED_CREATED | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
		[M_CLOSED] = SP_NEED_CREATED | SP_NEED_CLOSED |
		    SP_NEED_AS_OF_OPEN,
		[M_OPEN] = SP_NEED_CREATED | SP_NEED_CLOSED | SP_NEED_AS_OF_OPEN,
		[M_IN_STAGE] = 0, [M_STAGES] = 0,
		[M_FIELDS] = SP_NEED_NO_STAGE
	};
	const char *flag = NULL, **v;
	sp_cli c;
	struct ctx x;
	sp_writer *w = NULL;
	size_t i;
	int ch, rc;

	memset(&x, 0, sizeof(x));
	x.mode = M_WON;
	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	    NULL)) != -1) {
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
	if ((x.groups = sp_groups_new(sizeof(struct cycle), cycle_init)) == NULL ||
	    (v = calloc(c.nby + 16, sizeof(*v))) == NULL)
		cli_oom(&c);
	cli_deals(&c, need[x.mode], add_deal, &x);
	if (!c.explain) {
		w = cli_writer(&c);
		if (x.mode == M_OPEN)
			emit_open(&x, w, v);
		else
			emit_groups(&x, w, v);
	}
	warn_negative(&x);
	for (i = 0; i < x.nopen; i++) {
		free(x.open[i].id);
		free(x.open[i].key);
	}
	free(x.open);
	free(x.latest);
	free(x.total);
	free(x.left);
	free(x.seen);
	free(v);
	sp_groups_free(x.groups, cycle_fini);
	rc = cli_finish(&c, w);
	return rc;
}
