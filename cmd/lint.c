/*
 * lint: data accuracy.  One record per finding (rule, severity, id, file,
 * line, field, value, message) over a snapshot or a history: the rules
 * of one deal are decided as it is added, the rules that need every deal
 * of a group (repeated ids, likely duplicates, amount outliers, stale
 * deals against the group's p90 of time in stage) when the group's rows
 * are written.  Bad records are findings too (sp_agg.bad).  One
 * aggregate on the engine: a group's state is its findings and, per
 * deal, what the group rules compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/currency.h"
#include "salespipe/field.h"
#include "salespipe/stats.h"
#include "salespipe/util.h"

static const char usage[] =
    "usage: lint [--leads] [--rules rules] [--skip rules] [--summary]\n"
    "            [--fail-on error|warning] [--stale-days days]\n"
    "            [--outlier-iqr k] [-g fields] [-i csv|jsonl]\n"
    "            [-o csv|jsonl|table|md] [--period period]\n"
    "            [--every day|week|month|quarter|year] [--fiscal-start month]\n"
    "            [--now time] [--as-of time] [--map spec] [--stages spec]\n"
    "            [--date-format format] [--tz zone] [--max-bad n]\n"
    "            [--rejects file] [--encoding encoding] [--delimiter sep]\n"
    "            [--max-record-size size] [--decimal-comma] [--thousands sep]\n"
    "            [--rates file] [--currency code] [--explain]\n"
    "            [--spreadsheet-safe] [--partial | --merge] [--shard k/n]\n"
    "            [--threads n] [--progress | --no-progress]\n"
    "            [--probability-scale 1|100] [file ...]\n";

/* The rules, in the order findings of one line are listed (by name). */
enum { R_OUTLIER, R_CLOSE_BEFORE_CREATE, R_CLOSE_PAST, R_CREATED_FUTURE,
	R_DUP_ID, R_LIKELY_DUP, R_MISSING, R_PROB, R_STALE, R_CURRENCY,
	R_UNREADABLE, R_WON_NO_CLOSE, NRULES };

static const struct rule {
	const char *name;
	int error;		/* severity: 1 error, 0 warning */
} rules[NRULES] = {
	{ "amount-outlier", 0 },
	{ "close-before-create", 1 },
	{ "close-date-past", 0 },
	{ "created-future", 1 },
	{ "duplicate-id", 1 },
	{ "likely-duplicate", 0 },
	{ "missing-field", 0 },
	{ "probability-mismatch", 0 },
	{ "stale", 0 },
	{ "unknown-currency", 1 },
	{ "unreadable", 1 },
	{ "won-without-close", 1 }
};

enum { OPT_RULES = 1, OPT_SKIP, OPT_SUMMARY, OPT_FAIL_ON, OPT_STALE_DAYS,
	OPT_OUTLIER_IQR, OPT_LEADS };

/* The rules of deals only, not checked with --leads. */
static const int deal_only[] = { R_OUTLIER, R_CLOSE_BEFORE_CREATE,
	R_CLOSE_PAST, R_PROB, R_CURRENCY, R_WON_NO_CLOSE };

enum { C_RULE, C_SEVERITY, C_ID, C_FILE, C_LINE, C_FIELD, C_VALUE,
	C_MESSAGE };
static const sp_agg_col finding_cols[] = {
	{ "rule", SP_AGG_TEXT },
	{ "severity", SP_AGG_TEXT },
	{ "id", SP_AGG_TEXT },
	{ "file", SP_AGG_TEXT },
	{ "line", SP_AGG_COUNT },
	{ "field", SP_AGG_TEXT },
	{ "value", SP_AGG_TEXT },
	{ "message", SP_AGG_TEXT }
};
/* --summary: rule, severity, owner (unless -g has it), findings */
static const sp_agg_col summary_cols[] = {
	{ "rule", SP_AGG_TEXT },
	{ "severity", SP_AGG_TEXT },
	{ "owner", SP_AGG_TEXT },
	{ "findings", SP_AGG_COUNT }
};
static const sp_agg_col summary_cols_by_owner[] = {
	{ "rule", SP_AGG_TEXT },
	{ "severity", SP_AGG_TEXT },
	{ "findings", SP_AGG_COUNT }
};

struct finding {
	int rule;
	long line;		/* 0: none */
	char *file, *id, *field, *value, *msg, *owner;
};

/* What the group rules need of one deal. */
struct entry {
	char *id, *file, *owner, *name;
	char *dupkey;		/* account and name folded, NULL: either is
				   blank */
	long line;
	int has_amount;
	int64_t amount;		/* micro-units, as read */
	char cur[8];		/* upper-cased */
	int has_idle;		/* open, with the time of its last change */
	int64_t idle;		/* seconds since it */
};

struct lint {
	struct finding *f;
	size_t nf, capf;
	struct entry *en;
	size_t ne, cape;
	sp_dist stage;		/* the group's times in stage, seconds */
};

struct ctx {
	sp_cli *cli;
	int on[NRULES];
	int summary;
	int leads;		/* --leads: lead stages, email duplicates */
	int by_owner;		/* -g has owner: --summary has no column of it */
	int fail_warning;
	int has_stale;
	int64_t stale;		/* --stale-days, in seconds */
	double iqr;		/* --outlier-iqr */
	const char *iqr_text;
	int slot_owner, slot_account, slot_name, slot_entered, slot_email;
	int64_t now;
	long nerror, nwarning;	/* findings written */
};

static char *
xstrdup(const char *s)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL) {
		fprintf(stderr, "lint: out of memory\n");
		exit(1);
	}
	return p;
}

static void
lint_init(void *ctx, void *p)
{
	struct lint *s = p;

	(void)ctx;
	memset(s, 0, sizeof(*s));
	sp_dist_init(&s->stage);
}

static void
finding_free(struct finding *f)
{
	free(f->file);
	free(f->id);
	free(f->field);
	free(f->value);
	free(f->msg);
	free(f->owner);
}

static void
entry_free(struct entry *en)
{
	free(en->id);
	free(en->file);
	free(en->owner);
	free(en->name);
	free(en->dupkey);
}

static void
lint_fini(void *ctx, void *p)
{
	struct lint *s = p;
	size_t i;

	(void)ctx;
	for (i = 0; i < s->nf; i++)
		finding_free(&s->f[i]);
	for (i = 0; i < s->ne; i++)
		entry_free(&s->en[i]);
	free(s->f);
	free(s->en);
	sp_dist_free(&s->stage);
	memset(s, 0, sizeof(*s));
}

static struct finding *
finding_new(struct lint *s, sp_error *e)
{
	struct finding *f;

	if (s->nf == s->capf) {
		size_t n = s->capf ? 2 * s->capf : 8;
		struct finding *v = realloc(s->f, n * sizeof(*v));
		if (v == NULL) {
			sp_err_set(e, NULL, "out of memory");
			return NULL;
		}
		s->f = v;
		s->capf = n;
	}
	f = &s->f[s->nf++];
	memset(f, 0, sizeof(*f));
	return f;
}

static struct entry *
entry_new(struct lint *s, sp_error *e)
{
	struct entry *en;

	if (s->ne == s->cape) {
		size_t n = s->cape ? 2 * s->cape : 8;
		struct entry *v = realloc(s->en, n * sizeof(*v));
		if (v == NULL) {
			sp_err_set(e, NULL, "out of memory");
			return NULL;
		}
		s->en = v;
		s->cape = n;
	}
	en = &s->en[s->ne++];
	memset(en, 0, sizeof(*en));
	return en;
}

static int
add_finding(struct lint *s, int rule, const char *file, long line,
    const char *id, const char *field, const char *value, const char *msg,
    const char *owner, sp_error *e)
{
	struct finding *f;

	if ((f = finding_new(s, e)) == NULL)
		return -1;
	f->rule = rule;
	f->line = line;
	f->file = xstrdup(file);
	f->id = xstrdup(id);
	f->field = xstrdup(field);
	f->value = xstrdup(value);
	f->msg = xstrdup(msg);
	f->owner = xstrdup(owner);
	return 0;
}

static int
lint_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct lint *a = into, *b = from;
	size_t i;

	(void)ctx;
	for (i = 0; i < b->nf; i++) {
		struct finding *f = finding_new(a, e);
		if (f == NULL)
			return -1;
		*f = b->f[i];
	}
	for (i = 0; i < b->ne; i++) {
		struct entry *en = entry_new(a, e);
		if (en == NULL)
			return -1;
		*en = b->en[i];
	}
	b->nf = b->ne = 0;
	if (sp_dist_merge(&a->stage, &b->stage) < 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/* JSON of a string that may be NULL (then null). */
static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
lint_save(void *ctx, const void *p)
{
	const struct lint *s = p;
	json_t *fs = json_array(), *es = json_array(), *v;
	size_t i;

	(void)ctx;
	if (fs == NULL || es == NULL)
		goto oom;
	for (i = 0; i < s->nf; i++) {
		const struct finding *f = &s->f[i];
		v = json_pack("[s,s,I,s,s,s,s,s]", rules[f->rule].name,
		    f->file, (json_int_t)f->line, f->id, f->field, f->value,
		    f->msg, f->owner);
		if (v == NULL || json_array_append_new(fs, v) < 0)
			goto oom;
	}
	for (i = 0; i < s->ne; i++) {
		const struct entry *en = &s->en[i];
		v = json_pack("[s,s,I,s,s,o,o,s,o]", en->id, en->file,
		    (json_int_t)en->line, en->owner, en->name,
		    str_or_null(en->dupkey), en->has_amount ?
		    json_integer(en->amount) : json_null(), en->cur,
		    en->has_idle ? json_integer(en->idle) : json_null());
		if (v == NULL || json_array_append_new(es, v) < 0)
			goto oom;
	}
	return json_pack("{s:o,s:o,s:o}", "findings", fs, "deals", es,
	    "stage", sp_agg_dist_save(&s->stage));
oom:
	json_decref(fs);
	json_decref(es);
	return NULL;
}

/* The string at a[i] into *out (a copy); NULL allowed when nullable. */
static int
load_str(const json_t *a, size_t i, int nullable, char **out, sp_error *e)
{
	const json_t *v = json_array_get(a, i);

	if (nullable && json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return sp_err_set(e, "state", "not a lint state (item %zu)",
		    i);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
find_rule(const char *name, size_t n)
{
	int i;

	for (i = 0; i < NRULES; i++)
		if (strlen(rules[i].name) == n &&
		    memcmp(rules[i].name, name, n) == 0)
			return i;
	return -1;
}

static int
lint_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct lint *s = p;
	const json_t *fs, *es, *x, *a;
	size_t i;

	(void)ctx;
	if ((fs = sp_agg_member(v, "findings", e)) == NULL ||
	    (es = sp_agg_member(v, "deals", e)) == NULL ||
	    (x = sp_agg_member(v, "stage", e)) == NULL ||
	    sp_agg_dist_load(&s->stage, x, "stage", e) < 0)
		return -1;
	if (!json_is_array(fs) || !json_is_array(es))
		return sp_err_set(e, "state", "not a lint state");
	json_array_foreach(fs, i, a) {
		struct finding *f;
		const json_t *r = json_array_get(a, 0), *l;
		int k;

		if (!json_is_array(a) || json_array_size(a) != 8 ||
		    !json_is_string(r) || (k = find_rule(json_string_value(r),
		    json_string_length(r))) < 0 ||
		    !json_is_integer(l = json_array_get(a, 2)) ||
		    json_integer_value(l) < 0)
			return sp_err_set(e, "findings", "not a finding");
		if ((f = finding_new(s, e)) == NULL)
			return -1;
		f->rule = k;
		f->line = (long)json_integer_value(l);
		if (load_str(a, 1, 0, &f->file, e) < 0 ||
		    load_str(a, 3, 0, &f->id, e) < 0 ||
		    load_str(a, 4, 0, &f->field, e) < 0 ||
		    load_str(a, 5, 0, &f->value, e) < 0 ||
		    load_str(a, 6, 0, &f->msg, e) < 0 ||
		    load_str(a, 7, 0, &f->owner, e) < 0)
			return -1;
	}
	json_array_foreach(es, i, a) {
		struct entry *en;
		const json_t *l, *am, *cur, *idle;

		if (!json_is_array(a) || json_array_size(a) != 9 ||
		    !json_is_integer(l = json_array_get(a, 2)) ||
		    !(json_is_integer(am = json_array_get(a, 6)) ||
		    json_is_null(am)) ||
		    !json_is_string(cur = json_array_get(a, 7)) ||
		    json_string_length(cur) >= sizeof(en->cur) ||
		    !(json_is_integer(idle = json_array_get(a, 8)) ||
		    json_is_null(idle)))
			return sp_err_set(e, "deals", "not a deal of a lint "
			    "state");
		if ((en = entry_new(s, e)) == NULL)
			return -1;
		en->line = (long)json_integer_value(l);
		if (load_str(a, 0, 0, &en->id, e) < 0 ||
		    load_str(a, 1, 0, &en->file, e) < 0 ||
		    load_str(a, 3, 0, &en->owner, e) < 0 ||
		    load_str(a, 4, 0, &en->name, e) < 0 ||
		    load_str(a, 5, 1, &en->dupkey, e) < 0)
			return -1;
		en->has_amount = json_is_integer(am);
		en->amount = json_integer_value(am);
		snprintf(en->cur, sizeof(en->cur), "%s",
		    json_string_value(cur));
		en->has_idle = json_is_integer(idle);
		en->idle = json_integer_value(idle);
	}
	return 0;
}

/* The order of the output: file, line, rule, then the rest. */
static int
finding_cmp(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;
	int d;

	if ((d = strcmp(a->file, b->file)) != 0)
		return d;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	if ((d = strcmp(a->field, b->field)) != 0 ||
	    (d = strcmp(a->value, b->value)) != 0 ||
	    (d = strcmp(a->msg, b->msg)) != 0 ||
	    (d = strcmp(a->id, b->id)) != 0)
		return d;
	return strcmp(a->owner, b->owner);
}

static int
place_cmp(const struct entry *a, const struct entry *b)
{
	int d;

	if ((d = strcmp(a->file, b->file)) != 0)
		return d;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int
by_id(const void *pa, const void *pb)
{
	const struct entry *a = *(struct entry *const *)pa;
	const struct entry *b = *(struct entry *const *)pb;
	int d;

	if ((d = strcmp(a->id, b->id)) != 0)
		return d;
	return place_cmp(a, b);
}

static int
by_dupkey(const void *pa, const void *pb)
{
	const struct entry *a = *(struct entry *const *)pa;
	const struct entry *b = *(struct entry *const *)pb;
	int d;

	if ((d = strcmp(a->dupkey, b->dupkey)) != 0)
		return d;
	return place_cmp(a, b);
}

static int
by_amount(const void *pa, const void *pb)
{
	const struct entry *a = *(struct entry *const *)pa;
	const struct entry *b = *(struct entry *const *)pb;
	int d;

	if ((d = strcmp(a->cur, b->cur)) != 0)
		return d;
	if (a->amount != b->amount)
		return a->amount < b->amount ? -1 : 1;
	return place_cmp(a, b);
}

/* The repeat message of the deal fold (lib/deal.c), for the same finding
 * whether the fold or the group saw the repeat. */
static void
repeat_msg(char *buf, size_t size, const struct entry *first,
    const char *id)
{
	char q[80];

	snprintf(buf, size, "'%s' is listed again: first at %s:%ld (kept); "
	    "a snapshot has one record per deal", sp_err_quote(q, sizeof(q),
	    id, strlen(id)), first->file, first->line);
}

/* Repeated ids (deals of partials made apart) and likely duplicates. */
static int
group_duplicates(struct ctx *x, struct lint *s, struct entry **v,
    sp_error *e)
{
	char msg[1024], q[80];
	size_t i, j, k, n;

	if (x->on[R_DUP_ID]) {
		for (i = n = 0; i < s->ne; i++)
			if (s->en[i].id[0] != '\0')
				v[n++] = &s->en[i];
		if (n > 1)
			qsort(v, n, sizeof(*v), by_id);
		for (i = 0; i < n; i = j)
			for (j = i + 1; j < n && strcmp(v[j]->id, v[i]->id) ==
			    0; j++) {
				repeat_msg(msg, sizeof(msg), v[i], v[j]->id);
				if (add_finding(s, R_DUP_ID, v[j]->file,
				    v[j]->line, v[j]->id, "id", v[j]->id, msg,
				    v[j]->owner, e) < 0)
					return -1;
			}
	}
	if (x->on[R_LIKELY_DUP]) {
		for (i = n = 0; i < s->ne; i++)
			if (s->en[i].dupkey != NULL)
				v[n++] = &s->en[i];
		if (n > 1)
			qsort(v, n, sizeof(*v), by_dupkey);
		/* every deal of a set: which of them is the copy, nobody knows */
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && strcmp(v[j]->dupkey,
			    v[i]->dupkey) == 0; j++)
				;
			for (k = i; j - i > 1 && k < j; k++) {
				const struct entry *o = v[k == i ? i + 1 : i];
				int more = (int)(j - i) - 2;

				snprintf(msg, sizeof(msg), "same %s as '%s' at "
				    "%s:%ld%s", x->leads ? "email" :
				    "account and name", sp_err_quote(q,
				    sizeof(q), o->id, strlen(o->id)), o->file,
				    o->line, more > 0 ? more == 1 ?
				    " and 1 other deal" : " and others" : "");
				if (more > 1) {
					size_t l = strlen(msg) - strlen("others");
					snprintf(msg + l, sizeof(msg) - l, "%d "
					    "other deals", more);
				}
				if (add_finding(s, R_LIKELY_DUP, v[k]->file,
				    v[k]->line, v[k]->id, x->leads ? "email" :
				    "name", v[k]->name,
				    msg, v[k]->owner, e) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* Type 7 quantile of sorted v[0..n-1]'s amounts. */
static long double
quantile(struct entry **v, size_t n, long double q)
{
	long double h = (n - 1) * q;
	size_t lo = (size_t)h;

	if (lo + 1 >= n)
		return v[n - 1]->amount;
	return v[lo]->amount + (h - lo) * (long double)(v[lo + 1]->amount -
	    v[lo]->amount);
}

static int64_t
round_micro(long double x)
{
	return (int64_t)(x < 0 ? x - 0.5L : x + 0.5L);
}

/* Amounts beyond k IQR of their currency's quartiles in the group. */
static int
group_outliers(struct ctx *x, struct lint *s, struct entry **v,
    sp_error *e)
{
	char msg[1024], a[32], b[32], lo_t[32], hi_t[32], val[32];
	size_t i, j, k, n;

	for (i = n = 0; i < s->ne; i++)
		if (s->en[i].has_amount)
			v[n++] = &s->en[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), by_amount);
	for (i = 0; i < n; i = j) {
		long double q1, q3, lo, hi;

		for (j = i + 1; j < n && strcmp(v[j]->cur, v[i]->cur) == 0;
		    j++)
			;
		if (j - i < 4)
			continue;	/* too few for quartiles */
		q1 = quantile(v + i, j - i, 0.25L);
		q3 = quantile(v + i, j - i, 0.75L);
		lo = q1 - x->iqr * (q3 - q1);
		hi = q3 + x->iqr * (q3 - q1);
		for (k = i; k < j; k++) {
			if (v[k]->amount >= lo && v[k]->amount <= hi)
				continue;
			sp_money_format_micro(v[k]->amount, val);
			snprintf(msg, sizeof(msg), "amount %s%s%s is %s the "
			    "group's fence %s (quartiles %s and %s of %zu "
			    "amounts%s%s, %s IQR)", val,
			    v[k]->cur[0] ? " " : "", v[k]->cur,
			    v[k]->amount < lo ? "below" : "above",
			    v[k]->amount < lo ?
			    sp_money_format_micro(round_micro(lo), lo_t) :
			    sp_money_format_micro(round_micro(hi), hi_t),
			    sp_money_format_micro(round_micro(q1), a),
			    sp_money_format_micro(round_micro(q3), b), j - i,
			    v[k]->cur[0] ? " in " : "", v[k]->cur,
			    x->iqr_text);
			if (add_finding(s, R_OUTLIER, v[k]->file, v[k]->line,
			    v[k]->id, "amount", val, msg, v[k]->owner, e) < 0)
				return -1;
		}
	}
	return 0;
}

/* Open deals with no change for longer than the threshold. */
static int
group_stale(struct ctx *x, struct lint *s, sp_error *e)
{
	char msg[1024], days[48], lim[48];
	int64_t thr;
	size_t i;

	if (x->has_stale) {
		thr = x->stale;
	} else {
		if (s->stage.n == 0)
			return 0;
		sp_dist_finish(&s->stage);
		thr = (int64_t)sp_dist_quantile(&s->stage, 0.9);
	}
	for (i = 0; i < s->ne; i++) {
		struct entry *en = &s->en[i];

		if (!en->has_idle || en->idle <= thr)
			continue;
		sp_duration_format((double)en->idle, SP_UNIT_DAYS, days);
		sp_duration_format((double)thr, SP_UNIT_DAYS, lim);
		snprintf(msg, sizeof(msg), "open, no change for %s days "
		    "(limit %s days: %s)", days, lim, x->has_stale ?
		    "--stale-days" : "the group's p90 of time in stage");
		if (add_finding(s, R_STALE, en->file, en->line, en->id, "",
		    days, msg, en->owner, e) < 0)
			return -1;
	}
	return 0;
}

static int
summary_cmp(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;

	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return strcmp(a->owner, b->owner);
}

static int
lint_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	struct ctx *x = ctx;
	struct lint *s = p;
	struct entry **v = NULL;
	size_t i, j;

	if (s->ne > 0 && (v = malloc(s->ne * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (group_duplicates(x, s, v, e) < 0 ||
	    (x->on[R_OUTLIER] && group_outliers(x, s, v, e) < 0) ||
	    (x->on[R_STALE] && group_stale(x, s, e) < 0)) {
		free(v);
		return -1;
	}
	free(v);
	for (i = 0; i < s->nf; i++) {
		if (rules[s->f[i].rule].error)
			x->nerror++;
		else
			x->nwarning++;
	}
	if (x->summary) {
		if (s->nf > 1)
			qsort(s->f, s->nf, sizeof(*s->f), summary_cmp);
		for (i = 0; i < s->nf; i = j) {
			for (j = i + 1; j < s->nf && summary_cmp(&s->f[i],
			    &s->f[j]) == 0; j++)
				;
			sp_agg_set(r, 0, rules[s->f[i].rule].name);
			sp_agg_set(r, 1, rules[s->f[i].rule].error ?
			    "error" : "warning");
			if (!x->by_owner)
				sp_agg_set(r, 2, s->f[i].owner);
			sp_agg_set_count(r, x->by_owner ? 2 : 3,
			    (int64_t)(j - i));
			if (sp_agg_emit(r, e) < 0)
				return -1;
		}
		return 0;
	}
	if (s->nf > 1)
		qsort(s->f, s->nf, sizeof(*s->f), finding_cmp);
	for (i = 0; i < s->nf; i++) {
		const struct finding *f = &s->f[i];

		sp_agg_set(r, C_RULE, rules[f->rule].name);
		sp_agg_set(r, C_SEVERITY, rules[f->rule].error ? "error" :
		    "warning");
		sp_agg_set(r, C_ID, f->id);
		sp_agg_set(r, C_FILE, f->file);
		if (f->line > 0)
			sp_agg_set_count(r, C_LINE, f->line);
		sp_agg_set(r, C_FIELD, f->field);
		sp_agg_set(r, C_VALUE, f->value);
		sp_agg_set(r, C_MESSAGE, f->msg);
		if (sp_agg_emit(r, e) < 0)
			return -1;
	}
	return 0;
}

/* A bad record (sp_cli.agg_bad, set while unreadable is checked): an
 * unreadable finding, or the fold's refusal of a repeated id, a
 * duplicate-id finding (unreadable when that rule is not checked). */
static int
lint_bad(struct sp_agg_run *run, const sp_error *bad, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = cli_agg_cli(run);
	struct lint *s;
	static const char again[] = "' is listed again: first at ";
	const char *p;
	char *id = NULL, *field = NULL, *msg = NULL;
	int rule = R_UNREADABLE, rc;

	/* every shard reads every record: a bad one is shard 1's */
	if (c->shard_n > 0 && c->shard_k != 1)
		return 0;
	if (x->on[R_DUP_ID] && bad->code == SP_ERR_REPEATED_ID &&
	    (p = strstr(bad->msg, again)) != NULL) {
		rule = R_DUP_ID;
		if ((id = strndup(bad->msg + 1, (size_t)(p - bad->msg - 1))) ==
		    NULL)
			return sp_err_set(e, NULL, "out of memory");
	}
	/* as the error voice prints them: control bytes and bytes that are
	   not UTF-8 escaped */
	if ((field = sp_escape(bad->field)) == NULL ||
	    (msg = sp_escape(bad->msg)) == NULL) {
		free(id);
		free(field);
		return sp_err_set(e, NULL, "out of memory");
	}
	s = cli_agg_bad_state(run);
	rc = add_finding(s, rule, bad->file, bad->line, id, field, id, msg, "",
	    e);
	free(id);
	free(field);
	free(msg);
	return rc;
}

/* A field of d as text ("" when absent): the record's, or the history's
 * latest value. */
static const char *
deal_field(const sp_deal *d, int slot, size_t *n)
{
	const char *v = NULL;

	*n = 0;
	if (slot < 0)
		return "";
	if (d->rec != NULL) {
		if (!sp_rec_has(d->rec, slot))
			return "";
		*n = sp_rec_len(d->rec, slot);
		return sp_rec_get(d->rec, slot);
	}
	if (d->vals != NULL && (size_t)slot < d->nvals)
		v = d->vals[slot];
	if (v == NULL)
		return "";
	*n = strlen(v);
	return v;
}

static char *
field_dup(const sp_deal *d, int slot)
{
	size_t n;
	const char *v = deal_field(d, slot, &n);
	char *p = strndup(v, n);

	if (p == NULL) {
		fprintf(stderr, "lint: out of memory\n");
		exit(1);
	}
	return p;
}

/* Account and name (sn -1: the field sa alone), blanks trimmed and
 * ASCII folded, joined by a unit separator; NULL when either is blank. */
static char *
dup_key(const sp_deal *d, int sa, int sn)
{
	const char *f[2];
	size_t n[2], i, k, len = 0;
	char *key;

	f[0] = deal_field(d, sa, &n[0]);
	f[1] = deal_field(d, sn, &n[1]);
	if (sn < 0) {
		f[1] = "-";	/* one field (a lead's email) */
		n[1] = 1;
	}
	for (i = 0; i < 2; i++) {
		while (n[i] > 0 && (*f[i] == ' ' || *f[i] == '\t')) {
			f[i]++;
			n[i]--;
		}
		while (n[i] > 0 && (f[i][n[i] - 1] == ' ' ||
		    f[i][n[i] - 1] == '\t'))
			n[i]--;
		if (n[i] == 0)
			return NULL;
	}
	if ((key = malloc(n[0] + n[1] + 2)) == NULL) {
		fprintf(stderr, "lint: out of memory\n");
		exit(1);
	}
	for (i = 0; i < 2; i++) {
		for (k = 0; k < n[i]; k++) {
			unsigned char ch = (unsigned char)f[i][k];
			key[len++] = (char)(ch >= 'A' && ch <= 'Z' ?
			    ch + ('a' - 'A') : ch);
		}
		key[len++] = i == 0 ? '\x1f' : '\0';
	}
	return key;
}

static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/*
 * One rule of one deal: a finding when bad, and with --explain its row
 * either way (why: the message, or why the deal passes).
 */
static int
check(struct ctx *x, struct lint *s, const sp_deal *d, const char *label,
    const char *owner, int rule, int bad, const char *field,
    const char *value, const char *why, sp_error *e)
{
	sp_cli *c = x->cli;

	if (!x->on[rule])
		return 0;
	if (c->explain)
		cli_explain(c, d, label, rules[rule].name, bad ? "counted" :
		    "excluded", why);
	if (!bad)
		return 0;
	return add_finding(s, rule, d->file, d->line, d->id, field, value,
	    why, owner, e);
}

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = x->cli;
	const sp_stage *st = d->stage >= 0 ? &c->stages->v[d->stage] : NULL;
	const char *label = "";
	struct lint *s;
	struct entry *en;
	char msg[512], t1[32], t2[32], val[48];
	char *owner;
	int open = d->kind == SP_OPEN, bad;
	int64_t today = day_of(x->now);

	if (d->has_created)
		s = cli_agg_at(run, d, d->created_at, &label);
	else
		s = cli_agg_undated(run, d);
	if (s == NULL) {
		if (c->explain)
			cli_explain(c, d, "", "lint", "excluded",
			    d->has_created ? "created outside the period" :
			    "no created_at (--period)");
		return 0;
	}
	if (label == NULL)
		label = "";
	owner = field_dup(d, x->slot_owner);

	/* open deals: what a forecast needs */
	bad = open && owner[0] == '\0';
	if (check(x, s, d, label, owner, R_MISSING, bad, "owner", "",
	    !bad ? "has an owner or is closed" : x->leads ?
	    "open lead without an owner" : "open deal without an owner",
	    e) < 0)
		goto fail;
	bad = open && !x->leads && !d->has_amount;
	if (check(x, s, d, label, owner, R_MISSING, bad, "amount", "",
	    bad ? "open deal without an amount" : "has an amount or is closed",
	    e) < 0)
		goto fail;
	bad = open && !x->leads && !d->has_close_date;
	if (check(x, s, d, label, owner, R_MISSING, bad, "close_date", "",
	    bad ? "open deal without a close date" :
	    "has a close date or is closed", e) < 0)
		goto fail;

	bad = open && d->has_close_date && day_of(d->close_date) < today;
	if (bad)
		snprintf(msg, sizeof(msg), "open deal expected to close on %s, "
		    "before today (%s)", sp_date_format(d->close_date, t1),
		    sp_date_format(x->now, t2));
	if (check(x, s, d, label, owner, R_CLOSE_PAST, bad, "close_date",
	    bad ? t1 : "", bad ? msg : "closed, no close date, or not past",
	    e) < 0)
		goto fail;

	bad = d->kind == SP_WON && !d->has_closed;
	if (check(x, s, d, label, owner, R_WON_NO_CLOSE, bad, "closed_at", "",
	    bad ? "won deal without closed_at or close_date" :
	    "not won, or has a close time", e) < 0)
		goto fail;

	/* the close (or the expected close) before the creation, by day */
	{
		int has = open ? d->has_close_date : d->has_closed;
		int64_t at = open ? d->close_date : d->closed_at;
		const char *f = open || (d->has_close_date &&
		    d->close_date == d->closed_at) ? "close_date" : "closed_at";

		bad = has && d->has_created && day_of(at) < day_of(d->created_at);
		if (bad) {
			sp_date_format(at, t1);
			snprintf(msg, sizeof(msg), "%s %s is before created_at "
			    "%s", f, t1, sp_date_format(d->created_at, t2));
		}
		if (check(x, s, d, label, owner, R_CLOSE_BEFORE_CREATE, bad, f,
		    bad ? t1 : "", bad ? msg :
		    "not closed before created (or a date is missing)", e) < 0)
			goto fail;
	}

	bad = d->has_created && d->created_at > x->now;
	if (bad) {
		sp_time_format(d->created_at, t1);
		snprintf(msg, sizeof(msg), "created_at %s is after now (%s)",
		    t1, sp_time_format(x->now, t2));
	}
	if (check(x, s, d, label, owner, R_CREATED_FUTURE, bad, "created_at",
	    bad ? t1 : "", bad ? msg : "not created after now", e) < 0)
		goto fail;

	bad = d->has_prob && st != NULL && d->prob_bp != st->prob_bp;
	if (bad) {
		snprintf(val, sizeof(val), "%d.%02d", d->prob_bp / 100,
		    d->prob_bp % 100);
		snprintf(msg, sizeof(msg), "probability %s%% but stage '%s' "
		    "has %d.%02d%%", val, st->name, st->prob_bp / 100,
		    st->prob_bp % 100);
	}
	if (check(x, s, d, label, owner, R_PROB, bad, "probability",
	    bad ? val : "", bad ? msg :
	    "no probability, or its stage's", e) < 0)
		goto fail;

	bad = d->currency[0] != '\0' &&
	    !sp_currency_known(d->currency, strlen(d->currency));
	if (bad)
		snprintf(msg, sizeof(msg), "'%s' is not an ISO 4217 currency "
		    "code", d->currency);
	if (check(x, s, d, label, owner, R_CURRENCY, bad, "currency",
	    d->currency, bad ? msg : "no currency, or an ISO 4217 code",
	    e) < 0)
		goto fail;

	/* the group rules: what they compare */
	if (!x->on[R_DUP_ID] && !x->on[R_LIKELY_DUP] && !x->on[R_OUTLIER] &&
	    !x->on[R_STALE]) {
		free(owner);
		return 0;
	}
	if ((en = entry_new(s, e)) == NULL)
		goto fail;
	en->id = xstrdup(d->id);
	en->file = xstrdup(d->file);
	en->line = d->line;
	en->owner = owner;
	en->name = field_dup(d, x->leads ? x->slot_email : x->slot_name);
	if (x->on[R_LIKELY_DUP])
		en->dupkey = x->leads ? dup_key(d, x->slot_email, -1) :
		    dup_key(d, x->slot_account, x->slot_name);
	if (d->has_amount) {
		size_t k;

		en->has_amount = 1;
		en->amount = d->amount;
		for (k = 0; d->currency[k] != '\0' && k < sizeof(en->cur) - 1;
		    k++)
			en->cur[k] = (char)(d->currency[k] >= 'a' &&
			    d->currency[k] <= 'z' ? d->currency[k] - 32 :
			    d->currency[k]);
	}
	if (x->on[R_STALE]) {
		int64_t since = 0;
		int has = 0;
		size_t i, n;
		const char *v;
		sp_error pe;

		if (d->rec == NULL) {
			/* a history: its last record; its visits' times */
			since = d->last_at;
			has = 1;
			for (i = 0; i + 1 < d->npath; i++)
				if (sp_dist_add(&s->stage, d->path[i + 1].at -
				    d->path[i].at) < 0)
					return sp_err_set(e, NULL,
					    "out of memory");
		} else {
			v = deal_field(d, x->slot_entered, &n);
			sp_err_clear(&pe);
			if (n > 0 && sp_time_parse_tz(v, n, c->date_format,
			    c->tz, &since, &pe) == 0)
				has = 1;
			else if (d->has_created) {
				since = d->created_at;
				has = 1;
			}
		}
		if (open && has && since <= x->now) {
			en->has_idle = 1;
			en->idle = x->now - since;
			/* a snapshot has no visits: its open deals' times */
			if (d->rec != NULL && sp_dist_add(&s->stage,
			    en->idle) < 0)
				return sp_err_set(e, NULL, "out of memory");
		}
	}
	if (c->explain) {
		if (x->on[R_DUP_ID] || x->on[R_LIKELY_DUP])
			cli_explain(c, d, label, "duplicates", "counted",
			    "compared with the group's deals at the end");
		if (x->on[R_OUTLIER])
			cli_explain(c, d, label, rules[R_OUTLIER].name,
			    d->has_amount ? "counted" : "excluded",
			    d->has_amount ? "compared with the group's "
			    "amounts at the end" : "no amount");
		if (x->on[R_STALE])
			cli_explain(c, d, label, rules[R_STALE].name,
			    en->has_idle ? "counted" : "excluded",
			    en->has_idle ? "open: its time since the last "
			    "change is compared at the end" :
			    "closed, or no time of a change");
	}
	return 0;
fail:
	free(owner);
	return -1;
}

/* --rules / --skip: a comma list of rule names, each set to on. */
static void
rule_list(sp_cli *c, struct ctx *x, const char *opt, const char *arg,
    int on)
{
	const char *p = arg, *q;
	int k;

	for (;;) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if ((k = find_rule(p, (size_t)(q - p))) < 0)
			cli_usage_error(c, "%s: unknown rule '%.*s' (rules: "
			    "amount-outlier, close-before-create, "
			    "close-date-past, created-future, duplicate-id, "
			    "likely-duplicate, missing-field, "
			    "probability-mismatch, stale, unknown-currency, "
			    "unreadable, won-without-close)", opt,
			    (int)(q - p), p);
		x->on[k] = on;
		if (*q == '\0')
			break;
		p = q + 1;
	}
}

int
main(int argc, char **argv)
{
	static const cli_opt longopts[] = { CLI_LONGOPTS,
	    CLI_PROB_LONGOPT,
	    { "rules", required_argument, OPT_RULES,
		    "rules", "check only these rules" },
	    { "skip", required_argument, OPT_SKIP,
		    "rules", "do not check these rules" },
	    { "summary", no_argument, OPT_SUMMARY,
		    NULL, "the count per rule and owner instead" },
	    { "fail-on", required_argument, OPT_FAIL_ON,
		    "error|warning", "the severity that makes the exit 1" },
	    { "stale-days", required_argument, OPT_STALE_DAYS,
		    "days", "an open deal is stale after days" },
	    { "outlier-iqr", required_argument, OPT_OUTLIER_IQR,
		    "k", "outliers beyond k interquartile ranges" },
	    { "leads", no_argument, OPT_LEADS,
		    NULL, "the input holds leads" },
	    CLI_OPT_END };
	static sp_agg agg = { "lint", sizeof(struct lint), lint_init,
	    lint_fini, lint_merge, lint_save, lint_load, lint_rows, NULL, 0,
	    NULL, NULL, NULL, 1, NULL, 0 };
	const char *rules_arg = NULL, *skip_arg = NULL;
	sp_cli c;
	struct ctx x;
	char *end;
	int ch, i, rc;

	memset(&x, 0, sizeof(x));
	for (i = 0; i < NRULES; i++)
		x.on[i] = 1;
	x.iqr = 3;
	x.iqr_text = "3";
	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, longopts)) !=
	    -1) {
		switch (ch) {
		case OPT_RULES:
			rules_arg = optarg;
			break;
		case OPT_SKIP:
			skip_arg = optarg;
			break;
		case OPT_SUMMARY:
			x.summary = 1;
			break;
		case OPT_LEADS:
			x.leads = 1;
			c.stage_list = SP_STAGES_LEADS;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "warning") == 0)
				x.fail_warning = 1;
			else if (strcmp(optarg, "error") == 0)
				x.fail_warning = 0;
			else
				cli_usage_error(&c, "--fail-on: '%s' is not "
				    "error or warning", optarg);
			break;
		case OPT_STALE_DAYS: {
			long n = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    n < 0 || n > 1000000)
				cli_usage_error(&c, "--stale-days: '%s' is not "
				    "a number of days", optarg);
			x.has_stale = 1;
			x.stale = (int64_t)n * 86400;
			break;
		}
		case OPT_OUTLIER_IQR:
			x.iqr = strtod(optarg, &end);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    !(x.iqr >= 0 && x.iqr <= 1000))
				cli_usage_error(&c, "--outlier-iqr: '%s' is not "
				    "a number from 0 to 1000", optarg);
			x.iqr_text = optarg;
			break;
		default:
			if (!cli_option(&c, ch, optarg))
				cli_usage(&c);
		}
	}
	if (rules_arg != NULL) {
		for (i = 0; i < NRULES; i++)
			x.on[i] = 0;
		rule_list(&c, &x, "--rules", rules_arg, 1);
		/* a bad record is never dropped: only --skip says so */
		x.on[R_UNREADABLE] = 1;
	}
	if (skip_arg != NULL)
		rule_list(&c, &x, "--skip", skip_arg, 0);
	if (x.leads)
		for (i = 0; i < (int)(sizeof(deal_only) / sizeof(deal_only[0]));
		    i++)
			x.on[deal_only[i]] = 0;
	cli_open(&c, argc - optind, argv + optind);
	x.cli = &c;
	x.now = c.has_as_of ? c.as_of : c.cal.now;
	x.slot_owner = x.slot_account = x.slot_name = x.slot_entered =
	    x.slot_email = -1;
	/* --merge reads states, not records: no slots */
	if (c.rd != NULL && ((x.slot_owner = sp_reader_slot(c.rd,
	    "owner")) < 0 || (x.slot_account = sp_reader_slot(c.rd,
	    "account")) < 0 || (x.slot_name = sp_reader_slot(c.rd,
	    "name")) < 0 || (x.slot_entered = sp_reader_slot(c.rd,
	    "stage_entered_at")) < 0 || (x.slot_email = sp_reader_slot(c.rd,
	    "email")) < 0))
		cli_oom(&c);
	for (i = 0; i < (int)c.nby; i++)
		if (strcmp(c.by[i], "owner") == 0)
			x.by_owner = 1;
	if (!x.summary) {
		agg.cols = finding_cols;
		agg.ncols = sizeof(finding_cols) / sizeof(finding_cols[0]);
	} else if (x.by_owner) {
		agg.cols = summary_cols_by_owner;
		agg.ncols = sizeof(summary_cols_by_owner) /
		    sizeof(summary_cols_by_owner[0]);
	} else {
		agg.cols = summary_cols;
		agg.ncols = sizeof(summary_cols) / sizeof(summary_cols[0]);
	}
	agg.ctx = &x;
	/* without unreadable, bad records are reported as by the others */
	if (x.on[R_UNREADABLE])
		c.agg_bad = lint_bad;
	rc = cli_agg_deals(&c, &agg, SP_NEED_AMOUNT | SP_NEED_CREATED |
	    SP_NEED_CLOSED | SP_NEED_CLOSE_DATE | SP_NEED_PROB | SP_NEED_ALL,
	    add_deal);
	if (rc == 0 && !c.partial && !c.explain && (x.nerror > 0 ||
	    (x.fail_warning && x.nwarning > 0)))
		rc = 1;
	return rc;
}
