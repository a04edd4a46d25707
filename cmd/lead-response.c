/*
 * lead-response: how fast new leads get a first touch, per group and
 * period of creation: count, mean, p50, p90 and p95 of the time from
 * creation to first touch (on the calendar or a business-hours clock),
 * the share answered within each SLA, and the leads never contacted,
 * counted as pending or breached with the oldest one's wait.  One
 * aggregate on the engine (agg.h); the touches of an activities file
 * are read first (cli_side_pass).
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
#include "salespipe/stats.h"

static const char usage[] =
    "usage: lead-response [--touch-field field] [--activities file]\n"
    "                     [--touch types] [--sla durations]\n"
    "                     [--hours ranges] [--days days] "
    "[--holidays file]\n"
    "                     [-g fields] [-i csv|jsonl] "
    "[-o csv|jsonl|table|md]\n"
    "                     [--unit days|hours|minutes] [--period period]\n"
    "                     [--every day|week|month|quarter|year]\n"
    "                     [--fiscal-start month] [--now time] "
    "[--as-of time]\n"
    "                     [--map spec] [--stages spec] "
    "[--date-format format]\n"
    "                     [--tz zone] [--max-bad n] [--rejects file]\n"
    "                     [--encoding encoding] [--delimiter sep]\n"
    "                     [--max-record-size size] [--explain]\n"
    "                     [--spreadsheet-safe] [--partial | --merge]\n"
    "                     [--shard k/n] [--threads n]\n"
    "                     [--progress | --no-progress] [file ...]\n";

#define MAX_SLA 16
#define MAX_TYPES 32

enum { OPT_TOUCH_FIELD = 1, OPT_ACTIVITIES, OPT_TOUCH, OPT_SLA,
	OPT_HOURS, OPT_DAYS, OPT_HOLIDAYS };

/* The fixed columns; then two per SLA: within_S and within_S_share. */
enum { C_LEADS, C_ANSWERED, C_UNTIMED, C_NEVER, C_PENDING, C_BREACHED,
	C_MEAN, C_P50, C_P90, C_P95, C_OLDEST, NFIXED };

static const sp_agg_col fixed_cols[NFIXED] = {
	{ "leads", SP_AGG_COUNT },
	{ "answered", SP_AGG_COUNT },
	{ "untimed", SP_AGG_COUNT },
	{ "never_contacted", SP_AGG_COUNT },
	{ "pending", SP_AGG_COUNT },
	{ "breached", SP_AGG_COUNT },
	{ "mean", SP_AGG_DURATION },
	{ "p50", SP_AGG_DURATION },
	{ "p90", SP_AGG_DURATION },
	{ "p95", SP_AGG_DURATION },
	{ "oldest_waiting", SP_AGG_DURATION }
};

/* The activities file's fields: the first two a CSV header must have. */
enum { A_LEAD, A_AT, A_TYPE, NACT };
static const char *const act_fields[NACT] = { "lead_id", "at", "type" };

struct ctx {
	sp_cli *cli;
	const char *touch_field;	/* NULL: first_contact_at if present */
	int touch_slot;			/* -1: none */
	const char *activities;
	char *types_text;
	char *type[MAX_TYPES];
	size_t ntypes;
	char *sla_text;
	char *sla_name[MAX_SLA];
	int64_t sla[MAX_SLA];		/* seconds, ascending */
	size_t nsla;
	const char *hours_text, *days_text, *holidays;
	sp_hours *hours;		/* NULL: the calendar's clock */
	sp_groups *touched;		/* lead id -> earliest touch */
	int act_slot[NACT];
	sp_agg_col cols[NFIXED + 2 * MAX_SLA];
	char *colname[2 * MAX_SLA];
};

/* A group's state. */
struct resp {
	int64_t leads;
	int64_t untimed;	/* left the first stage, no touch time */
	int64_t never;		/* no touch, in the first stage */
	int64_t breached;	/* ... waiting longer than the largest SLA */
	int64_t oldest;		/* the longest wait of those, -1 none */
	int64_t late[MAX_SLA];	/* never contacted, waiting longer than
				   SLA i */
	sp_dist d;		/* seconds to first touch */
};

static void
resp_init(void *ctx, void *p)
{
	struct resp *t = p;

	(void)ctx;
	memset(t, 0, sizeof(*t));
	t->oldest = -1;
	sp_dist_init(&t->d);
}

static void
resp_fini(void *ctx, void *p)
{
	struct resp *t = p;

	(void)ctx;
	sp_dist_free(&t->d);
}

static int
resp_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct ctx *x = ctx;
	struct resp *a = into, *b = from;
	size_t i;

	a->leads += b->leads;
	a->untimed += b->untimed;
	a->never += b->never;
	a->breached += b->breached;
	if (b->oldest > a->oldest)
		a->oldest = b->oldest;
	for (i = 0; i < x->nsla; i++)
		a->late[i] += b->late[i];
	if (sp_dist_merge(&a->d, &b->d) < 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

static json_t *
resp_save(void *ctx, const void *p)
{
	const struct ctx *x = ctx;
	const struct resp *t = p;
	json_t *o, *late;
	size_t i;

	if ((late = json_array()) == NULL)
		return NULL;
	for (i = 0; i < x->nsla; i++)
		json_array_append_new(late, json_integer(t->late[i]));
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "leads",
	    (json_int_t)t->leads, "untimed", (json_int_t)t->untimed,
	    "never", (json_int_t)t->never, "breached",
	    (json_int_t)t->breached, "oldest", (json_int_t)t->oldest,
	    "late", late, "d", sp_agg_dist_save(&t->d));
	return o;
}

static int
resp_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct ctx *x = ctx;
	struct resp *t = p;
	const json_t *m;
	size_t i;

	if ((m = sp_agg_member(v, "leads", e)) == NULL ||
	    sp_agg_int_load(&t->leads, m, "leads", e) < 0 ||
	    (m = sp_agg_member(v, "untimed", e)) == NULL ||
	    sp_agg_int_load(&t->untimed, m, "untimed", e) < 0 ||
	    (m = sp_agg_member(v, "never", e)) == NULL ||
	    sp_agg_int_load(&t->never, m, "never", e) < 0 ||
	    (m = sp_agg_member(v, "breached", e)) == NULL ||
	    sp_agg_int_load(&t->breached, m, "breached", e) < 0 ||
	    (m = sp_agg_member(v, "oldest", e)) == NULL ||
	    sp_agg_int_load(&t->oldest, m, "oldest", e) < 0 ||
	    (m = sp_agg_member(v, "d", e)) == NULL ||
	    sp_agg_dist_load(&t->d, m, "d", e) < 0 ||
	    (m = sp_agg_member(v, "late", e)) == NULL)
		return -1;
	if (!json_is_array(m) || json_array_size(m) != x->nsla)
		return sp_err_set(e, "late", "not an array of %zu counts",
		    x->nsla);
	for (i = 0; i < x->nsla; i++)
		if (sp_agg_int_load(&t->late[i], json_array_get(m, i), "late",
		    e) < 0)
			return -1;
	return 0;
}

/* Answered leads of t that waited at most s seconds. */
static int64_t
within(sp_dist *d, int64_t s)
{
	size_t lo = 0, hi = d->n, mid;

	sp_dist_finish(d);
	while (lo < hi) {	/* the first value above s */
		mid = lo + (hi - lo) / 2;
		if (d->v[mid] <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo;
}

static int
resp_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct ctx *x = ctx;
	struct resp *t = p;
	int unit = x->cli->unit;
	char b[32];
	size_t i;
	int64_t in;

	sp_agg_set_count(r, C_LEADS, t->leads);
	sp_agg_set_count(r, C_ANSWERED, (int64_t)t->d.n);
	sp_agg_set_count(r, C_UNTIMED, t->untimed);
	sp_agg_set_count(r, C_NEVER, t->never);
	sp_agg_set_count(r, C_PENDING, t->never - t->breached);
	sp_agg_set_count(r, C_BREACHED, t->breached);
	if (t->d.n > 0) {
		sp_dist_finish(&t->d);
		sp_agg_set(r, C_MEAN, sp_duration_format(sp_dist_mean(&t->d),
		    unit, b));
		sp_agg_set(r, C_P50, sp_duration_format(sp_dist_quantile(&t->d,
		    0.5), unit, b));
		sp_agg_set(r, C_P90, sp_duration_format(sp_dist_quantile(&t->d,
		    0.9), unit, b));
		sp_agg_set(r, C_P95, sp_duration_format(sp_dist_quantile(&t->d,
		    0.95), unit, b));
	}
	if (t->oldest >= 0)
		sp_agg_set(r, C_OLDEST, sp_duration_format((double)t->oldest,
		    unit, b));
	for (i = 0; i < x->nsla; i++) {
		in = within(&t->d, x->sla[i]);
		sp_agg_set_count(r, NFIXED + 2 * i, in);
		/* known outcomes for this SLA: every answered lead, and the
		   never-contacted ones already waiting longer */
		sp_agg_set_ratio(r, NFIXED + 2 * i + 1, in, (int64_t)t->d.n +
		    t->late[i]);
	}
	return sp_agg_emit(r, e);
}

/* Seconds from a to b on the run's clock (0 when b is not after a). */
static int64_t
span(const struct ctx *x, int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	return x->hours != NULL ? sp_hours_between(x->hours, a, b) : b - a;
}

static void
touched_init(void *p)
{
	*(int64_t *)p = INT64_MAX;
}

/* An activity of --activities: the earliest touch of its lead. */
static int
add_activity(void *ctx, const sp_deal *d, sp_error *e)
{
	struct ctx *x = ctx;
	const sp_rec *r = d->rec;
	const int *s = x->act_slot;
	int64_t at, *p;
	size_t i;

	if (!sp_rec_has(r, s[A_LEAD]))
		return 0;	/* on a deal, not a lead */
	if (!sp_rec_has(r, s[A_AT]))
		return sp_err_set(e, "at", "missing: an activity's time");
	if (sp_time_parse_tz(sp_rec_get(r, s[A_AT]), sp_rec_len(r, s[A_AT]),
	    x->cli->date_format, x->cli->tz, &at, e) < 0) {
		snprintf(e->field, sizeof(e->field), "at");
		return -1;
	}
	for (i = 0; i < x->ntypes; i++)
		if (sp_rec_has(r, s[A_TYPE]) &&
		    strcasecmp(sp_rec_get(r, s[A_TYPE]), x->type[i]) == 0)
			break;
	if (i == x->ntypes)
		return 0;	/* not a touch type */
	if (x->cli->has_as_of && at > x->cli->as_of)
		return 0;	/* not yet, as of then */
	if ((p = sp_groups_get(x->touched, sp_rec_get(r, s[A_LEAD]),
	    sp_rec_len(r, s[A_LEAD]))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (at < *p)
		*p = at;
	return 0;
}

/*
 * The first touch of lead d: the earliest of its touch field, its first
 * touch activity and (a history) its first move out of the first stage,
 * none after --as-of.  1 with *t, 0 when none, -1 with e.
 */
static int
touch_of(const struct ctx *x, const sp_deal *d, int64_t *t, const char **how,
    sp_error *e)
{
	const sp_cli *c = x->cli;
	const char *v = NULL;
	const int64_t *p;
	int64_t u;
	size_t n = 0, i;
	int found = 0;

	if (x->touch_slot >= 0) {
		if (d->rec != NULL && sp_rec_has(d->rec, x->touch_slot)) {
			v = sp_rec_get(d->rec, x->touch_slot);
			n = sp_rec_len(d->rec, x->touch_slot);
		} else if (d->rec == NULL && d->vals != NULL &&
		    (size_t)x->touch_slot < d->nvals &&
		    d->vals[x->touch_slot] != NULL) {
			v = d->vals[x->touch_slot];
			n = strlen(v);
		}
	}
	if (v != NULL) {
		if (sp_time_parse_tz(v, n, c->date_format, c->tz, &u, e) < 0) {
			snprintf(e->field, sizeof(e->field), "%s",
			    x->touch_field);
			return -1;
		}
		if (!c->has_as_of || u <= c->as_of) {
			*t = u;
			*how = "touch field";
			found = 1;
		}
	}
	if (x->touched != NULL && d->id[0] != '\0' && (p =
	    sp_groups_find(x->touched, d->id, strlen(d->id))) != NULL &&
	    (!found || *p < *t)) {
		*t = *p;
		*how = "first activity";
		found = 1;
	}
	for (i = 0; d->path != NULL && i < d->npath; i++)
		if (d->path[i].stage != 0) {
			if ((!c->has_as_of || d->path[i].at <= c->as_of) &&
			    (!found || d->path[i].at < *t)) {
				*t = d->path[i].at;
				*how = "first move out of the first stage";
				found = 1;
			}
			break;
		}
	return found;
}

static int
add_lead(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = x->cli;
	const char *label = "", *how = "";
	struct resp *st;
	char b1[32], b2[32], why[160];
	int64_t t = 0, wait;
	size_t i;
	int k;

	if (!d->has_created)
		return sp_err_set(e, "created_at", "missing: a lead's response "
		    "time runs from its creation");
	if ((k = touch_of(x, d, &t, &how, e)) < 0)
		return -1;
	if (k > 0 && t < d->created_at) {
		sp_time_format(t, b1);
		sp_time_format(d->created_at, b2);
		return sp_err_set(e, strcmp(how, "touch field") == 0 ?
		    x->touch_field : "created_at", "the lead's %s (%s) is "
		    "before its creation (%s)", how, b1, b2);
	}
	if ((st = cli_agg_at(run, d, d->created_at, &label)) == NULL) {
		if (c->explain)
			cli_explain(c, d, "", "response", "excluded",
			    "created outside the period");
		return 0;
	}
	st->leads++;
	if (k > 0) {
		wait = span(x, d->created_at, t);
		if (sp_dist_add(&st->d, wait) < 0)
			return sp_err_set(e, NULL, "out of memory");
		if (c->explain) {
			snprintf(why, sizeof(why), "answered in %s %s (%s)",
			    sp_duration_format((double)wait, c->unit, b1),
			    sp_unit_name(c->unit), how);
			cli_explain(c, d, label, "response", "counted", why);
		}
		return 0;
	}
	if (d->stage > 0) {
		st->untimed++;
		if (c->explain) {
			snprintf(why, sizeof(why), "no touch time, stage '%s' "
			    "is past the first", c->stages->v[d->stage].name);
			cli_explain(c, d, label, "response", "excluded", why);
		}
		return 0;
	}
	wait = span(x, d->created_at, c->cal.now);
	st->never++;
	for (i = 0; i < x->nsla; i++)
		if (wait > x->sla[i])
			st->late[i]++;
	if (wait > x->sla[x->nsla - 1])
		st->breached++;
	if (wait > st->oldest)
		st->oldest = wait;
	if (c->explain) {
		snprintf(why, sizeof(why), "never contacted, waiting %s %s: %s",
		    sp_duration_format((double)wait, c->unit, b1),
		    sp_unit_name(c->unit), wait > x->sla[x->nsla - 1] ?
		    "breached" : "pending");
		cli_explain(c, d, label, "response", "counted", why);
	}
	return 0;
}

/* Split a comma list in place into v (at most max). */
static size_t
split_list(sp_cli *c, char *s, char **v, size_t max, const char *opt)
{
	size_t n = 0;
	char *p, *save = NULL;

	for (p = strtok_r(s, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (n == max)
			cli_usage_error(c, "%s: more than %zu values", opt, max);
		v[n++] = p;
	}
	if (n == 0)
		cli_usage_error(c, "%s: an empty list", opt);
	return n;
}

static void
open_run(sp_cli *c, struct ctx *x)
{
	sp_read_opts ro;
	sp_error e;
	size_t i;

	/* --sla: ascending durations, each a column pair */
	x->nsla = split_list(c, x->sla_text, x->sla_name, MAX_SLA, "--sla");
	for (i = 0; i < x->nsla; i++) {
		if (sp_duration_parse(x->sla_name[i], &x->sla[i]) < 0)
			cli_usage_error(c, "--sla: '%s' is not a length of "
			    "time (a whole number and s, m, h, d or w: 5m, "
			    "24h)", x->sla_name[i]);
		if (i > 0 && x->sla[i] <= x->sla[i - 1])
			cli_usage_error(c, "--sla: '%s' is not longer than "
			    "'%s' (list them shortest first)", x->sla_name[i],
			    x->sla_name[i - 1]);
	}
	for (i = 0; i < NFIXED; i++)
		x->cols[i] = fixed_cols[i];
	for (i = 0; i < x->nsla; i++) {
		if (asprintf(&x->colname[2 * i], "within_%s",
		    x->sla_name[i]) < 0 || asprintf(&x->colname[2 * i + 1],
		    "within_%s_share", x->sla_name[i]) < 0)
			cli_oom(c);
		x->cols[NFIXED + 2 * i].name = x->colname[2 * i];
		x->cols[NFIXED + 2 * i].type = SP_AGG_COUNT;
		x->cols[NFIXED + 2 * i + 1].name = x->colname[2 * i + 1];
		x->cols[NFIXED + 2 * i + 1].type = SP_AGG_RATIO;
	}
	x->ntypes = split_list(c, x->types_text, x->type, MAX_TYPES,
	    "--touch");
	sp_err_clear(&e);
	if (x->hours_text != NULL || x->days_text != NULL ||
	    x->holidays != NULL) {
		if ((x->hours = sp_hours_new(x->hours_text, x->days_text, c->tz,
		    &e)) == NULL)
			cli_usage_error(c, "%s", e.msg);
		cli_read_opts(c, &ro);
		if (x->holidays != NULL && sp_hours_read_holidays(x->hours,
		    x->holidays, &ro, c->date_format, &e) < 0)
			cli_fail(c, &e);
	}
	x->touch_slot = -1;
	if (c->rd != NULL) {	/* --merge reads states, not records */
		const char *f = x->touch_field != NULL ? x->touch_field :
		    "first_contact_at";
		if ((x->touch_slot = sp_reader_slot(c->rd, f)) < 0 ||
		    sp_reader_use(c->rd, x->touch_slot) < 0)
			cli_oom(c);
		x->touch_field = f;
		if (x->activities != NULL) {
			if ((x->touched = sp_groups_new(sizeof(int64_t),
			    touched_init)) == NULL)
				cli_oom(c);
			cli_side_pass(c, x->activities, act_fields,
			    x->act_slot, NACT, 2, SP_NEED_RECORDS, add_activity, x);
		}
	}
}

static void
end_run(void *ctx)
{
	struct ctx *x = ctx;
	size_t i;

	sp_groups_free(x->touched, NULL);
	x->touched = NULL;
	sp_hours_free(x->hours);
	x->hours = NULL;
	for (i = 0; i < 2 * x->nsla; i++)
		free(x->colname[i]);
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_READ_LONGOPTS,
	    CLI_GROUP_LONGOPTS, CLI_EVERY_LONGOPT, CLI_UNIT_LONGOPT,
	    CLI_ENGINE_LONGOPTS, CLI_SPREADSHEET_LONGOPT,
	    CLI_REFUSED("decimal-comma", no_argument, CLI_OPT_DECIMAL_COMMA),
	    CLI_REFUSED("thousands", required_argument, CLI_OPT_THOUSANDS),
	    CLI_REFUSED("rates", required_argument, CLI_OPT_RATES),
	    CLI_REFUSED("currency", required_argument, CLI_OPT_CURRENCY),
	    { "touch-field", required_argument, OPT_TOUCH_FIELD,
		    "field", "the field of a lead's first contact" },
	    { "activities", required_argument, OPT_ACTIVITIES,
		    "file", "an activities file" },
	    { "touch", required_argument, OPT_TOUCH,
		    "types", "the activity types that are a touch" },
	    { "sla", required_argument, OPT_SLA,
		    "durations", "the response SLAs, shortest first" },
	    { "hours", required_argument, OPT_HOURS,
		    "ranges", "working hours (09:00-17:00,...)" },
	    { "days", required_argument, OPT_DAYS,
		    "days", "working days (mon-fri)" },
	    { "holidays", required_argument, OPT_HOLIDAYS,
		    "file", "whole days off" },
	    CLI_OPT_END };
	static sp_agg agg = { "lead-response", sizeof(struct resp), resp_init,
	    resp_fini, resp_merge, resp_save, resp_load, resp_rows, NULL, 0,
	    NULL, NULL, NULL, 0, NULL, 0 };
	char sla[] = "5m,1h,24h", types[] = "call,email,meeting";
	sp_cli c;
	struct ctx x;
	int ch;

	memset(&x, 0, sizeof(x));
	x.sla_text = sla;
	x.types_text = types;
	cli_init(&c, argv, usage, SP_STAGES_LEADS);
	c.unit = SP_UNIT_MINUTES;
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_TOUCH_FIELD:
			x.touch_field = optarg;
			break;
		case OPT_ACTIVITIES:
			x.activities = optarg;
			break;
		case OPT_TOUCH:
			x.types_text = optarg;
			break;
		case OPT_SLA:
			x.sla_text = optarg;
			break;
		case OPT_HOURS:
			x.hours_text = optarg;
			break;
		case OPT_DAYS:
			x.days_text = optarg;
			break;
		case OPT_HOLIDAYS:
			x.holidays = optarg;
			break;
		case CLI_OPT_DECIMAL_COMMA:
		case CLI_OPT_THOUSANDS:
		case CLI_OPT_RATES:
		case CLI_OPT_CURRENCY:
			/* they shape amounts, of which leads have none */
			cli_usage_error(&c, "--decimal-comma, --thousands, "
			    "--rates and --currency do not apply: leads have "
			    "no amounts");
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	open_run(&c, &x);
	agg.cols = x.cols;
	agg.ncols = NFIXED + 2 * x.nsla;
	agg.ctx = &x;
	agg.end = end_run;
	return cli_agg_deals(&c, &agg, SP_NEED_CREATED | SP_NEED_ALL,
	    add_lead);
}
