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

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

static const char usage[] =
    "usage: funnel [-g fields] [-i csv|jsonl] [-o csv|jsonl|table|md]\n"
    "              [--mode reached|ordered|any]\n"
    "              [--cohort day|week|month|quarter|year] [--period period]\n"
    "              [--fiscal-start month] [--now time] [--as-of time]"
    " [--map spec]\n"
    "              [--stages spec] [--date-format format] [--tz zone]\n"
    "              [--max-bad n] [--rejects file] [--encoding encoding]\n"
    "              [--delimiter sep] [--max-record-size size]\n"
    "              [--decimal-comma] [--thousands sep] [--rates file]\n"
    "              [--currency code] [--explain] [--spreadsheet-safe]\n"
    "              [file ...]\n";

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
 * One stage of one group; a group's state is one cell per stage, then one
 * more whose `entered` counts the group's wins: deals that entered a won
 * stage (entries, with --mode any), each once however many won stages it
 * entered.
 */
struct cell {
	int64_t entered, current;
	sp_money_sum amount;
};

struct ctx {
	sp_cli *cli;
	sp_groups *groups;
	sp_stages *st;
	int mode;
	int cohort;		/* SP_EVERY_*, SP_EVERY_NONE for none */
	struct entry *ent;	/* the current deal's entries */
	size_t nent, entcap;
	struct cell *scratch;	/* a group's cells, while adding a deal */
};

static void
entry_add(struct ctx *x, int stage, int how, int64_t at)
{
	if (x->nent == x->entcap) {
		size_t cap = x->entcap ? x->entcap * 2 : 16;
		struct entry *v = realloc(x->ent, cap * sizeof(*v));
		if (v == NULL)
			cli_oom(x->cli);
		x->ent = v;
		x->entcap = cap;
	}
	x->ent[x->nent].stage = stage;
	x->ent[x->nent].how = how;
	x->ent[x->nent].at = at;
	x->nent++;
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

/* Snapshot: the reached-stage rule. */
static void
snapshot_entries(struct ctx *x, const sp_deal *d)
{
	int top = d->stage, s;

	if (d->kind == SP_LOST && (top = lost_from(x, d)) < 0 &&
	    d->max_stage < 0) {
		entry_add(x, sp_stages_first_open(x->st), HOW_FIRST, 0);
		return;
	}
	if (d->max_stage > top)
		top = d->max_stage;	/* reached_stage: it went further */
	for (s = 0; s < (int)x->st->n; s++)
		if ((x->st->v[s].kind == SP_OPEN && (d->kind == SP_WON ||
		    s <= top)) || (d->kind == SP_WON && s == d->stage))
			entry_add(x, s, HOW_SNAPSHOT, 0);
}

/* History: the entries of stage s per --mode, in time order. */
static void
history_entries(struct ctx *x, const sp_deal *d, int s, int top, int won)
{
	size_t i, n = 0;

	for (i = 0; i < d->npath; i++) {
		if (d->path[i].stage != s)
			continue;
		entry_add(x, s, HOW_RECORDED, d->path[i].at);
		if (++n == 1 && x->mode != MODE_ANY)
			return;
	}
	if (n == 0 && x->mode == MODE_REACHED &&
	    x->st->v[s].kind == SP_OPEN && (won || s <= top))
		entry_add(x, s, HOW_SKIPPED, 0);
}

/* The stages deal d entered, into x->ent in stage-list order. */
static void
deal_entries(struct ctx *x, const sp_deal *d)
{
	int s, top = d->max_stage, won = 0;
	size_t i;

	x->nent = 0;
	if (d->path == NULL) {
		snapshot_entries(x, d);
		return;
	}
	for (i = 0; i < d->npath; i++)
		if (x->st->v[d->path[i].stage].kind == SP_WON)
			won = 1;
	if (lost_from(x, d) > top)
		top = lost_from(x, d);
	for (s = 0; s < (int)x->st->n; s++)
		if (x->st->v[s].kind != SP_LOST)
			history_entries(x, d, s, top, won);
	if (x->nent == 0 && x->mode == MODE_REACHED)
		entry_add(x, sp_stages_first_open(x->st), HOW_FIRST, 0);
}

/* The highest stage d got to: its won stage, else its top open stage. */
static const char *
furthest(const struct ctx *x, const sp_deal *d)
{
	int top = d->max_stage;
	size_t i;

	for (i = 0; i < d->npath; i++)
		if (x->st->v[d->path[i].stage].kind == SP_WON)
			return x->st->v[d->path[i].stage].name;
	if (lost_from(x, d) > top)
		top = lost_from(x, d);
	return top >= 0 ? x->st->v[top].name : "?";
}

static void
explain_entry(struct ctx *x, const sp_deal *d, const char *label,
    const struct entry *en)
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
	cli_explain(x->cli, d, label, "entered", "counted", why);
}

static int
add_deal(void *p, const sp_deal *d, sp_error *e)
{
	struct ctx *x = p;
	sp_cli *c = x->cli;
	const char *label = "", *key = d->key;
	size_t keylen = d->keylen, i, size = (x->st->n + 1) *
	    sizeof(struct cell);
	int64_t won = 0;
	struct cell *cells;
	sp_period b;

	if (d->path == NULL && x->mode != MODE_REACHED)
		cli_usage_error(c, "--mode %s needs a history (records with "
		    "'at'); a snapshot only tells the reached stages",
		    mode_name[x->mode]);
	if (x->cohort != SP_EVERY_NONE && d->has_created) {
		sp_period_bucket(d->created_at, x->cohort, &c->cal, &b);
		label = b.label;
	}
	if (c->has_period && (!d->has_created ||
	    !sp_period_contains(&c->period, d->created_at))) {
		if (c->explain)
			cli_explain(c, d, label, "entered", "excluded",
			    d->has_created ? "created outside the period" :
			    "no created_at");
		return 0;
	}
	deal_entries(x, d);
	if (x->nent == 0) {
		if (c->explain)
			cli_explain(c, d, label, "entered", "excluded",
			    "no open or won stage recorded");
		return 0;
	}
	/*
	 * Without -g the key is the label alone: cli_key_with would put a
	 * separator in front that cli_group_parts reads as an empty part.
	 */
	if (x->cohort != SP_EVERY_NONE && c->nby == 0) {
		key = label;
		keylen = strlen(label);
	} else if (x->cohort != SP_EVERY_NONE)
		key = cli_key_with(c, d, label, &keylen);
	if ((cells = sp_groups_get(x->groups, key, keylen)) == NULL)
		return sp_err_set(e, NULL, "out of memory");

	/* add to a copy, so that a bad amount leaves no partial counts */
	memcpy(x->scratch, cells, size);
	for (i = 0; i < x->nent; i++) {
		struct cell *k = &x->scratch[x->ent[i].stage];
		if (d->has_amount && sp_money_sum_add(&k->amount, d->value,
		    d->currency, strlen(d->currency), e) < 0)
			return -1;
		k->entered++;
		won += x->st->v[x->ent[i].stage].kind == SP_WON;
	}
	/* a deal won in two won stages (reopened) is one win */
	x->scratch[x->st->n].entered += x->mode == MODE_ANY ? won : won > 0;
	if (d->kind != SP_LOST)
		x->scratch[d->stage].current++;
	memcpy(cells, x->scratch, size);

	if (c->explain) {
		if (x->cohort == SP_EVERY_NONE && c->has_period)
			label = c->period.label;
		for (i = 0; i < x->nent; i++)
			explain_entry(x, d, label, &x->ent[i]);
	}
	return 0;
}

static void
emit(struct ctx *x, sp_writer *w)
{
	sp_cli *c = x->cli;
	const sp_stages *st = x->st;
	const char **keys, **parts, *v[64 + 8];
	size_t *lens, n, i, j, k, np = c->nby;
	void **states;
	char b[6][48], cur[8];
	int s, from, prev, next, last = -1, mixed;

	if (c->nby > 63)
		cli_usage_error(c, "-g: at most 63 fields");
	if (x->cohort != SP_EVERY_NONE)
		np++;
	cli_group_cols(c, w);
	if (x->cohort != SP_EVERY_NONE)
		sp_writer_col(w, "cohort", SP_COL_STR);
	sp_writer_col(w, "stage", SP_COL_STR);
	sp_writer_col(w, "entered", SP_COL_NUM);
	sp_writer_col(w, "current", SP_COL_NUM);
	sp_writer_col(w, "amount", SP_COL_NUM);
	sp_writer_col(w, "conv_prev", SP_COL_RATIO);
	sp_writer_col(w, "conv_won", SP_COL_RATIO);
	sp_writer_col(w, "dropped", SP_COL_NUM);
	for (s = 0; s < (int)st->n; s++)
		if (st->v[s].kind == SP_OPEN)
			last = s;
	if ((n = sp_groups_sorted(x->groups, &keys, &lens, &states)) ==
	    (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		const struct cell *t = states[i];
		int64_t won = t[st->n].entered;

		parts = cli_group_parts(c, keys[i], lens[i], np);
		prev = -1;
		/* one currency per group: a mix empties every amount of it */
		for (s = 0, mixed = 0; s < (int)st->n; s++)
			mixed |= t[s].amount.mixed;
		cur[0] = '\0';
		for (s = 0; s < (int)st->n && !mixed; s++) {
			const char *sc = t[s].amount.currency;
			if (sc[0] == '\0')
				continue;
			if (cur[0] == '\0')
				snprintf(cur, sizeof(cur), "%s", sc);
			else if (strcasecmp(cur, sc) != 0)
				mixed = 1;
		}
		for (s = 0; s < (int)st->n; s++) {
			int open = st->v[s].kind == SP_OPEN;

			if (st->v[s].kind == SP_LOST)
				continue;
			for (next = s + 1; next < (int)st->n &&
			    st->v[next].kind != SP_OPEN; next++)
				;
			for (j = 0; j < np; j++)
				v[j] = parts[j];
			k = j;
			v[k++] = st->v[s].name;
			v[k++] = sp_count_format(t[s].entered, b[0]);
			v[k++] = sp_count_format(t[s].current, b[1]);
			v[k++] = mixed ? "" : cli_money(c, &t[s].amount, b[2]);
			if (mixed)
				c->mixed = 1;	/* cli_finish warns */
			/* won rows follow on from the last open row */
			from = open ? prev : last;
			v[k++] = from < 0 ? "" : sp_ratio_text(t[s].entered,
			    t[from].entered, b[3]);
			/* a won row: its share of the wins */
			v[k++] = open ? sp_ratio_text(won, t[s].entered, b[4]) :
			    sp_ratio_text(t[s].entered, won, b[4]);
			if (!open)
				v[k++] = "";
			else
				v[k++] = sp_count_format(t[s].entered - (next <
				    (int)st->n ? t[next].entered : won), b[5]);
			if (open)
				prev = s;
			sp_writer_row(w, v);
		}
	}
	free(keys);
	free(lens);
	free(states);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_LONGOPTS,
	    { "mode", required_argument, NULL, OPT_MODE },
	    { "cohort", required_argument, NULL, OPT_COHORT },
	    { NULL, 0, NULL, 0 } };
	sp_cli c;
	struct ctx x;
	sp_writer *w = NULL;
	int ch;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	memset(&x, 0, sizeof(x));
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	    NULL)) != -1) {
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
			if ((x.cohort = sp_every_parse(optarg)) < 0)
				cli_usage_error(&c, "--cohort: '%s' is not day, "
				    "week, month, quarter or year", optarg);
		} else
			cli_usage(&c);
	}
	if (c.every != SP_EVERY_NONE)
		cli_usage_error(&c, "--every: a funnel is split by creation "
		    "date with --cohort");
	/* cli_explain's period column then carries the cohort */
	c.every = x.cohort;
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	x.st = c.stages;
	/* zero-filled cells are initialised ones (sp_money_sum_init is zeros) */
	if ((x.groups = sp_groups_new((x.st->n + 1) * sizeof(struct cell),
	    NULL)) == NULL || (x.scratch = calloc(x.st->n + 1,
	    sizeof(struct cell))) == NULL)
		cli_oom(&c);
	cli_deals(&c, SP_NEED_AMOUNT | SP_NEED_CREATED, add_deal, &x);
	if (!c.explain) {
		w = cli_writer(&c);
		emit(&x, w);
	}
	sp_groups_free(x.groups, NULL);
	free(x.ent);
	free(x.scratch);
	return cli_finish(&c, w);
}
