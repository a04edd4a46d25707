/*
 * funnel: how many deals entered each open stage and won, per group and
 * creation cohort, with stage-to-stage conversion and drop-off.  Works on
 * a snapshot (a deal reached every stage up to its own) and on a history
 * (the recorded stage path, counted per --mode).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"

static const char usage[] =
    "usage: funnel [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "              [--mode reached|ordered|any]\n"
    "              [--cohort day|week|month|quarter|year] [--period period]\n"
    "              [--fiscal-start month] [--now time] [--as-of time]\n"
    "              [--map spec] [--stages spec] [--date-format format]\n"
    "              [--tz zone] [--max-bad n] [--rejects file]\n"
    "              [--encoding encoding] [--delimiter sep]\n"
    "              [--max-record-size size] [--decimal-comma]\n"
    "              [--thousands sep] [--rates file] [--currency code]\n"
    "              [--explain] [--spreadsheet-safe] [--partial | --merge]\n"
    "              [--shard k/n] [--threads n]\n"
    "              [--progress | --no-progress] [file ...]\n";

enum { OPT_MODE = 1, OPT_COHORT };
enum { MODE_REACHED = 0, MODE_ORDERED, MODE_ANY };
static const char *const mode_name[] = { "reached", "ordered", "any" };

/* Why a deal counts as having entered a stage (for --explain). */
enum {
	HOW_SNAPSHOT,		/* snapshot: reached-stage rule */
	HOW_FIRST,		/* lost, stage lost from unknown: first only */
	HOW_RECORDED,		/* history: a visit in the path */
	HOW_SKIPPED		/* history, reached: a later stage was reached */
};

struct entry {
	int stage;
	int how;
	int64_t at;		/* HOW_RECORDED */
};

/*
 * One stage of one cohort.  The state of a group and cohort (the engine's
 * key: the -g values, then with --cohort the engine's period label, the
 * creation bucket) is ncells cells: one per stage, then one more whose
 * `entered` counts the cohort's wins: deals that entered a won stage
 * (entries, with --mode any), each once however many won stages it
 * entered.
 */
struct cell {
	int64_t entered, current;
	sp_money_sum amount;
};

/*
 * With --cohort, after the cells: the cohort's deals by their kind now
 * (at --as-of), for the shares won, lost and open to date.
 */
struct kinds {
	int64_t won, lost, open;
};

/* The options, read-only while deals are added (threads share them). */
struct ctx {
	const sp_stages *st;
	size_t ncells;		/* st->n + 1 */
	int mode;
	int cohort;		/* --cohort given: struct kinds follows */
};

/* The columns after the -g ones and the engine's "cohort" column (the
 * creation bucket, only with --cohort). */
enum { C_STAGE, C_ENTERED, C_CURRENT, C_AMOUNT, C_CONV_PREV, C_CONV_WON,
	C_DROPPED, NCOLS, C_COHORT_DEALS = NCOLS, C_WON_SHARE, C_LOST_SHARE,
	C_OPEN_SHARE, NCOHORT_COLS };

static const sp_agg_col cols[NCOHORT_COLS] = {
	{ "stage", SP_AGG_TEXT },
	{ "entered", SP_AGG_COUNT },
	{ "current", SP_AGG_COUNT },
	{ "amount", SP_AGG_MONEY },
	{ "conv_prev", SP_AGG_RATIO },
	{ "conv_won", SP_AGG_RATIO },
	{ "dropped", SP_AGG_COUNT },
	{ "cohort_deals", SP_AGG_COUNT },
	{ "won_share", SP_AGG_RATIO },
	{ "lost_share", SP_AGG_RATIO },
	{ "open_share", SP_AGG_RATIO }
};

/* The kinds after the cells of state p (--cohort only). */
static struct kinds *
kinds_of(const struct ctx *x, void *p)
{
	return (struct kinds *)((struct cell *)p + x->ncells);
}

/* The current deal's entries: local to one add (threads add at once),
 * on the stack unless a long history needs more. */
struct entries {
	struct entry *v;
	size_t n, cap;
	int oom;
	struct entry local[32];
};

static void
entries_init(struct entries *x)
{
	x->v = x->local;
	x->n = 0;
	x->cap = sizeof(x->local) / sizeof(x->local[0]);
	x->oom = 0;
}

static void
entries_free(struct entries *x)
{
	if (x->v != x->local)
		free(x->v);
}

static void
entry_add(struct entries *x, int stage, int how, int64_t at)
{
	if (x->oom)
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap * 2;
		struct entry *v = x->v == x->local ? malloc(cap * sizeof(*v)) :
		    realloc(x->v, cap * sizeof(*v));
		if (v == NULL) {
			x->oom = 1;
			return;
		}
		if (x->v == x->local)
			memcpy(v, x->local, sizeof(x->local));
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n].stage = stage;
	x->v[x->n].how = how;
	x->v[x->n].at = at;
	x->n++;
}

/* The open stage a lost deal was lost from, or -1 when unknown. */
static int
lost_from(const struct ctx *x, const sp_deal *d)
{
	if (d->kind != SP_LOST || d->lost_stage < 0 ||
	    x->st->v[d->lost_stage].kind != SP_OPEN)
		return -1;
	return d->lost_stage;
}

/*
 * A lost deal of which no open stage is known (not the stage it was lost
 * from, no reached_stage, no open stage in its history): the reached-stage
 * rule puts it in the first open stage only, and --explain says why.
 */
static int
lost_unknown(const struct ctx *x, const sp_deal *d)
{
	return d->kind == SP_LOST && lost_from(x, d) < 0 && d->max_stage < 0;
}

/* Snapshot: the reached-stage rule (sp_deal_reached), every open stage up
 * to the one reached; a won deal entered them all and its won stage. */
static void
snapshot_entries(const struct ctx *x, const sp_deal *d, struct entries *en)
{
	int top = sp_deal_reached(x->st, d), s;

	if (lost_unknown(x, d)) {
		entry_add(en, sp_stages_first_of(x->st, d->stage, SP_OPEN),
		    HOW_FIRST, 0);
		return;
	}
	/* with pipelines, the stages of the deal's own */
	for (s = 0; s < (int)x->st->n; s++)
		if (((x->st->v[s].kind == SP_OPEN && (d->kind == SP_WON ||
		    s <= top)) || (d->kind == SP_WON && s == d->stage)) &&
		    (d->stage < 0 || sp_stages_same_pipeline(x->st, s, d->stage)))
			entry_add(en, s, HOW_SNAPSHOT, 0);
}

/* History: the entries of stage s per --mode, in time order. */
static void
history_entries(const struct ctx *x, const sp_deal *d, int s, int top,
    int won, struct entries *en)
{
	/* skipped on the way: a stage of the pipeline it got to */
	int mine = sp_stages_same_pipeline(x->st, s, top >= 0 ? top :
	    d->stage);
	size_t i, n = 0;

	for (i = 0; i < d->npath; i++) {
		if (d->path[i].stage != s)
			continue;
		entry_add(en, s, HOW_RECORDED, d->path[i].at);
		if (++n == 1 && x->mode != MODE_ANY)
			return;
	}
	if (n == 0 && x->mode == MODE_REACHED && mine &&
	    x->st->v[s].kind == SP_OPEN && (won || s <= top))
		entry_add(en, s, HOW_SKIPPED, 0);
}

/*
 * The stages deal d entered, into en in stage-list order.  History, --mode
 * reached: the open stages skipped on the way count up to the stage
 * sp_deal_reached gives (in a history an open deal's stage is on its path,
 * so that is the furthest of max_stage and the stage lost from).  For a
 * lost deal of which no open stage is known, sp_deal_reached gives the
 * first open stage; funnel counts it there too (the same counts), but as
 * HOW_FIRST, not as a stage skipped on the way, so --explain says why:
 * hence top -1 for it here.
 */
static void
deal_entries(const struct ctx *x, const sp_deal *d, struct entries *en)
{
	int s, top, won = 0;
	size_t i;

	en->n = 0;
	if (d->path == NULL) {
		snapshot_entries(x, d, en);
		return;
	}
	for (i = 0; i < d->npath; i++)
		if (x->st->v[d->path[i].stage].kind == SP_WON)
			won = 1;
	top = lost_unknown(x, d) ? -1 : sp_deal_reached(x->st, d);
	for (s = 0; s < (int)x->st->n; s++)
		if (x->st->v[s].kind != SP_LOST)
			history_entries(x, d, s, top, won, en);
	if (en->n == 0 && x->mode == MODE_REACHED)
		entry_add(en, sp_stages_first_of(x->st, d->stage, SP_OPEN),
		    HOW_FIRST, 0);
}

/* The highest stage d got to: its won stage, else the stage reached. */
static const char *
furthest(const struct ctx *x, const sp_deal *d)
{
	int top;
	size_t i;

	for (i = 0; i < d->npath; i++)
		if (x->st->v[d->path[i].stage].kind == SP_WON)
			return x->st->v[d->path[i].stage].name;
	top = lost_unknown(x, d) ? -1 : sp_deal_reached(x->st, d);
	return top >= 0 ? x->st->v[top].name : "?";
}

static void
explain_entry(const struct ctx *x, sp_cli *c, const sp_deal *d,
    const char *label, const struct entry *en)
{
	const char *name = x->st->v[en->stage].name;
	const char *cur = x->st->v[d->stage].name;
	char why[512], t[32];

	switch (en->how) {
	case HOW_SNAPSHOT:
		if (d->kind == SP_WON)
			snprintf(why, sizeof(why), "reached %s (won)", name);
		else if (d->kind == SP_LOST && lost_from(x, d) >= 0)
			snprintf(why, sizeof(why), "reached %s (lost from %s)",
			    name, x->st->v[d->lost_stage].name);
		else if (d->kind == SP_LOST)
			snprintf(why, sizeof(why), "reached %s (lost; reached "
			    "%s)", name, x->st->v[d->max_stage].name);
		else if (d->max_stage > d->stage)
			snprintf(why, sizeof(why), "reached %s (open in %s; "
			    "reached %s)", name, cur,
			    x->st->v[d->max_stage].name);
		else
			snprintf(why, sizeof(why), "reached %s (open in %s)",
			    name, cur);
		break;
	case HOW_FIRST:
		snprintf(why, sizeof(why), "reached %s (lost, stage lost from "
		    "unknown: first stage only)", name);
		break;
	case HOW_RECORDED:
		snprintf(why, sizeof(why), "entered %s at %s", name,
		    sp_time_format(en->at, t));
		break;
	default:
		snprintf(why, sizeof(why), "reached %s (skipped; got to %s)",
		    name, furthest(x, d));
		break;
	}
	cli_explain(c, d, label, "entered", "counted", why);
}

/* The state: one cohort's cells (zero cells are initialised ones:
 * sp_money_sum_init is zeros). */

static void
cells_init(void *ctx, void *p)
{
	const struct ctx *x = ctx;

	memset(p, 0, x->ncells * sizeof(struct cell) +
	    (x->cohort ? sizeof(struct kinds) : 0));
}

static int
cells_merge(void *ctx, void *into, void *from, sp_error *e)
{
	const struct ctx *x = ctx;
	struct cell *a = into;
	const struct cell *b = from;
	size_t s;

	for (s = 0; s < x->ncells; s++) {
		if (sp_money_sum_merge(&a[s].amount, &b[s].amount, e) < 0)
			return -1;
		a[s].entered += b[s].entered;
		a[s].current += b[s].current;
	}
	if (x->cohort) {
		struct kinds *ka = kinds_of(x, into), *kb = kinds_of(x, from);
		ka->won += kb->won;
		ka->lost += kb->lost;
		ka->open += kb->open;
	}
	return 0;
}

/* {"cells":[[entered,current,amount],...]}: one cell per stage of the
 * list, then the wins. */
static json_t *
cells_save(void *ctx, const void *p)
{
	const struct ctx *x = ctx;
	const struct cell *k = p;
	json_t *cells = json_array(), *cell;
	size_t s;

	if (cells == NULL)
		return NULL;
	for (s = 0; s < x->ncells; s++)
		if ((cell = json_pack("[I,I,o]", (json_int_t)k[s].entered,
		    (json_int_t)k[s].current,
		    sp_agg_money_save(&k[s].amount))) == NULL ||
		    json_array_append_new(cells, cell) < 0) {
			json_decref(cells);
			return NULL;
		}
	if (x->cohort) {
		const struct kinds *kd = (const struct kinds *)(k +
		    x->ncells);
		return json_pack("{s:o,s:[I,I,I]}", "cells", cells, "kinds",
		    (json_int_t)kd->won, (json_int_t)kd->lost,
		    (json_int_t)kd->open);
	}
	return json_pack("{s:o}", "cells", cells);
}

static int
cells_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	const struct ctx *x = ctx;
	struct cell *k = p;
	const json_t *cells, *cell;
	size_t s;

	if ((cells = sp_agg_member(v, "cells", e)) == NULL)
		return -1;
	if (!json_is_array(cells) || json_array_size(cells) != x->ncells)
		return sp_err_set(e, "cells", "not %zu cells (one per stage, "
		    "then the wins) in the partial state", x->ncells);
	json_array_foreach(cells, s, cell) {
		struct cell c;
		if (!json_is_array(cell) || json_array_size(cell) != 3)
			return sp_err_set(e, "cells", "a cell is not "
			    "[entered, current, amount]");
		sp_money_sum_init(&c.amount);
		if (sp_agg_int_load(&c.entered, json_array_get(cell, 0),
		    "entered", e) < 0 ||
		    sp_agg_int_load(&c.current, json_array_get(cell, 1),
		    "current", e) < 0 ||
		    sp_agg_money_load(&c.amount, json_array_get(cell, 2),
		    e) < 0 ||
		    sp_money_sum_merge(&k[s].amount, &c.amount, e) < 0)
			return -1;
		k[s].entered += c.entered;
		k[s].current += c.current;
	}
	if (x->cohort) {
		struct kinds *kd = kinds_of(x, p);
		const json_t *a;
		int64_t n[3];
		if ((a = sp_agg_member(v, "kinds", e)) == NULL)
			return -1;
		if (!json_is_array(a) || json_array_size(a) != 3)
			return sp_err_set(e, "kinds", "not [won, lost, open] in "
			    "the partial state");
		for (s = 0; s < 3; s++)
			if (sp_agg_int_load(&n[s], json_array_get(a, s),
			    "kinds", e) < 0)
				return -1;
		kd->won += n[0];
		kd->lost += n[1];
		kd->open += n[2];
	}
	return 0;
}

/*
 * The wins of the pipeline of stage s: with several pipelines, the deals
 * that entered its won stages; else the cohort's wins.
 */
static int64_t
wins_of(const struct ctx *x, const struct cell *t, int s)
{
	const sp_stages *st = x->st;
	int64_t won = 0;
	int w;

	if (st->npipes < 2)
		return t[st->n].entered;
	for (w = 0; w < (int)st->n; w++)
		if (st->v[w].kind == SP_WON && sp_stages_same_pipeline(st, w, s))
			won += t[w].entered;
	return won;
}

/* The rows of one cohort: a row per open and won stage (with pipelines,
 * each pipeline's rows follow on from its own). */
static int
cells_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	const struct ctx *x = ctx;
	const sp_stages *st = x->st;
	const struct cell *t = p;
	const struct kinds *kd = x->cohort ? kinds_of(x, p) : NULL;
	int64_t won, all = 0;
	int s, from, prev = -1, next, last, mixed = 0;
	const char *cur = "";

	if (kd != NULL)
		all = kd->won + kd->lost + kd->open;
	/* one currency per cohort: a mix empties every amount of it */
	for (s = 0; s < (int)st->n; s++) {
		const char *sc = t[s].amount.currency;
		mixed |= t[s].amount.mixed;
		if (sc[0] == '\0')
			continue;
		if (cur[0] == '\0')
			cur = sc;
		else if (strcasecmp(cur, sc) != 0)
			mixed = 1;
	}
	for (s = 0; s < (int)st->n; s++) {
		int open = st->v[s].kind == SP_OPEN;
		sp_money_sum amount = t[s].amount;

		if (st->v[s].kind == SP_LOST)
			continue;
		if (prev >= 0 && !sp_stages_same_pipeline(st, prev, s))
			prev = -1;
		won = wins_of(x, t, s);
		for (last = -1, next = 0; next < (int)st->n; next++)
			if (st->v[next].kind == SP_OPEN &&
			    sp_stages_same_pipeline(st, next, s))
				last = next;
		for (next = s + 1; next < (int)st->n &&
		    st->v[next].kind != SP_OPEN; next++)
			;
		if (next < (int)st->n && !sp_stages_same_pipeline(st, next, s))
			next = (int)st->n;
		sp_agg_set(r, C_STAGE, st->v[s].name);
		sp_agg_set_count(r, C_ENTERED, t[s].entered);
		sp_agg_set_count(r, C_CURRENT, t[s].current);
		amount.mixed |= mixed;
		sp_agg_set_money(r, C_AMOUNT, &amount);
		/* won rows follow on from the last open row */
		from = open ? prev : last;
		if (from >= 0)
			sp_agg_set_ratio(r, C_CONV_PREV, t[s].entered,
			    t[from].entered);
		/* a won row: its share of the wins */
		if (open)
			sp_agg_set_ratio(r, C_CONV_WON, won, t[s].entered);
		else
			sp_agg_set_ratio(r, C_CONV_WON, t[s].entered, won);
		if (open)
			sp_agg_set_count(r, C_DROPPED, t[s].entered -
			    (next < (int)st->n ? t[next].entered : won));
		if (open)
			prev = s;
		/* --cohort: the whole cohort's shares, on each of its rows */
		if (kd != NULL) {
			sp_agg_set_count(r, C_COHORT_DEALS, all);
			sp_agg_set_ratio(r, C_WON_SHARE, kd->won, all);
			sp_agg_set_ratio(r, C_LOST_SHARE, kd->lost, all);
			sp_agg_set_ratio(r, C_OPEN_SHARE, kd->open, all);
		}
		if (sp_agg_emit(r, e) < 0)
			return -1;
	}
	return 0;
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	const struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = cli_agg_cli(run);
	const char *label = "";
	struct entries en;
	struct cell buf[32], *cells, *k;
	int64_t won = 0;
	size_t i;
	int in = !c->has_period, rc = -1;

	if (d->path == NULL && x->mode != MODE_REACHED)
		cli_usage_error(c, "--mode %s needs a history (records with "
		    "'at'); a snapshot only tells the reached stages",
		    mode_name[x->mode]);
	entries_init(&en);
	/* the engine's period rule on the creation date: the cohort, and
	   --period keeps the deals created in it (no period column: the
	   rows are the period's; --explain names it); a deal without
	   created_at has the cohort "" and no place in a --period */
	if (d->has_created)
		label = cli_agg_label(run, d->created_at, &in);
	if (!in) {
		if (c->explain)
			cli_explain(c, d, label, "entered", "excluded",
			    d->has_created ? "created outside the period" :
			    "no created_at");
		return 0;
	}
	deal_entries(x, d, &en);
	if (en.oom)
		goto oom;
	if (en.n == 0) {
		if (c->explain)
			cli_explain(c, d, label, "entered", "excluded",
			    "no open or won stage recorded");
		entries_free(&en);
		return 0;
	}
	k = d->has_created ? cli_agg_at(run, d, d->created_at, &label) :
	    cli_agg_undated(run, d);
	if (k == NULL)
		goto oom;

	/* add to a copy, so that a bad amount leaves no partial counts */
	cells = x->ncells <= sizeof(buf) / sizeof(buf[0]) ? buf :
	    malloc(x->ncells * sizeof(*cells));
	if (cells == NULL)
		goto oom;
	memcpy(cells, k, x->ncells * sizeof(*cells));
	for (i = 0; i < en.n; i++) {
		struct cell *t = &cells[en.v[i].stage];
		if (d->has_amount && sp_money_sum_add(&t->amount, d->value,
		    d->currency, strlen(d->currency), e) < 0)
			goto out;
		t->entered++;
		won += x->st->v[en.v[i].stage].kind == SP_WON;
	}
	/* a deal won in two won stages (reopened) is one win */
	cells[x->st->n].entered += x->mode == MODE_ANY ? won : won > 0;
	if (d->kind != SP_LOST)
		cells[d->stage].current++;
	memcpy(k, cells, x->ncells * sizeof(*cells));
	if (x->cohort) {
		struct kinds *kd = kinds_of(x, k);
		if (d->kind == SP_WON)
			kd->won++;
		else if (d->kind == SP_LOST)
			kd->lost++;
		else
			kd->open++;
	}
	rc = 0;

	if (c->explain) {
		/* the engine keys no --period alone: the rows name it */
		if (c->every == SP_EVERY_NONE && c->has_period)
			label = c->period.label;
		for (i = 0; i < en.n; i++)
			explain_entry(x, c, d, label, &en.v[i]);
	}
out:
	if (cells != buf)
		free(cells);
	entries_free(&en);
	return rc;
oom:
	entries_free(&en);
	return sp_err_set(e, NULL, "out of memory");
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_WRITE_LONGOPTS,
	    CLI_GROUP_LONGOPTS, CLI_MONEY_LONGOPTS, CLI_ENGINE_LONGOPTS,
	    CLI_SPREADSHEET_LONGOPT,
	    CLI_REFUSED("every", required_argument, CLI_OPT_EVERY),
	    { "mode", required_argument, OPT_MODE,
		    "reached|ordered|any", "what entering a stage means" },
	    { "cohort", required_argument, OPT_COHORT,
		    "day|week|month|quarter|year", "split by the period deals were created in" },
	    CLI_OPT_END };
	static struct ctx x;
	/* the cohort is the engine's period, in a column named "cohort";
	   --period alone only keeps the deals created in it */
	static sp_agg agg = { "funnel", 0, cells_init, NULL, cells_merge,
	    cells_save, cells_load, cells_rows, cols, NCOLS, &x, NULL,
	    "cohort", 1, NULL, 0 };
	sp_cli c;
	int ch, cohort = SP_EVERY_NONE;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		if (cli_option(&c, ch, optarg))
			continue;
		if (ch == OPT_MODE) {
			for (x.mode = 0; x.mode < 3; x.mode++)
				if (strcmp(optarg, mode_name[x.mode]) == 0)
					break;
			if (x.mode == 3)
				cli_usage_error(&c, "--mode: '%s' is not "
				    "reached, ordered or any", optarg);
		} else if (ch == OPT_COHORT) {
			if ((cohort = sp_every_parse(optarg)) < 0)
				cli_usage_error(&c, "--cohort: '%s' is not day, "
				    "week, month, quarter or year", optarg);
		} else
			cli_usage(&c);
	}
	/*
	 * --mode ordered and any read histories, which are read on one
	 * thread anyway; on one thread, a snapshot's usage error (from the
	 * first deal) comes after the bad records before it, as always.
	 */
	if (x.mode != MODE_REACHED)
		c.threads = 1;
	if (c.every != SP_EVERY_NONE)
		cli_usage_error(&c, "--every: a funnel is split by creation "
		    "date with --cohort");
	/* the engine's buckets are the cohorts (--explain's period column
	   too) */
	c.every = cohort;
	cli_open(&c, argc - optind, argv + optind);
	x.st = c.stages;
	x.ncells = c.stages->n + 1;
	x.cohort = cohort != SP_EVERY_NONE;
	agg.state_size = x.ncells * sizeof(struct cell) +
	    (x.cohort ? sizeof(struct kinds) : 0);
	if (x.cohort)
		agg.ncols = NCOHORT_COLS;
	return cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CREATED,
	    add_deal);
}
