/*
 * assign: the territory rules, the away file and the fold of leads that
 * lead-assign decides with (include/salespipe/assign.h).  Rules are a
 * short list tried in order, so they are kept as parsed rows; the fold
 * keeps one array of values per lead, indexed by the reader's slots.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/assign.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

static const char *const rule_cols[] = { "rule", "when", "owner", "team",
	"how", "territory", "daily_cap", "weight", NULL };
enum { C_RULE, C_WHEN, C_OWNER, C_TEAM, C_HOW, C_TERRITORY, C_CAP, C_WEIGHT,
	C_N };

/* The bytes of s[0..n) without the blanks around them. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

static int
name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static void
cond_free(sp_cond *c)
{
	size_t i;

	free(c->text);
	free(c->field);
	for (i = 0; i < c->nv; i++)
		free(c->v[i]);
	free(c->v);
}

/* Add the value s[0..n) (trimmed, not empty) to c; 0 or -1. */
static int
cond_value(sp_cond *c, const char *s, size_t n, sp_error *e)
{
	char **v;

	s = trim(s, &n);
	if (n == 0)
		return sp_err_set(e, NULL, "'%s': an empty value (use 'empty' "
		    "to ask for a field without one)", c->text);
	if ((v = realloc(c->v, (c->nv + 1) * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	c->v = v;
	if ((c->v[c->nv] = strndup(s, n)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	c->nv++;
	return 0;
}

/* A bound of between: "" (none) or a number. */
static int
bound(sp_cond *c, const char *s, size_t n, int *has, int64_t *v,
    sp_error *e)
{
	sp_error me;

	s = trim(s, &n);
	*has = n > 0;
	if (n == 0)
		return 0;
	sp_err_clear(&me);
	if (sp_money_parse(s, n, v, &me) < 0)
		return sp_err_set(e, NULL, "'%s': '%.*s' is not a number",
		    c->text, (int)n, s);
	return 0;
}

/* Parse the condition s[0..n) (trimmed, not empty) into c. */
static int
cond_parse(sp_cond *c, const char *s, size_t n, sp_error *e)
{
	size_t i = 0, k, rest;
	const char *p, *dots;

	if ((c->text = strndup(s, n)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	while (i < n && name_char((unsigned char)s[i]))
		i++;
	if (i == 0)
		return sp_err_set(e, NULL, "'%s' does not start with a field "
		    "name (letters, digits, '_', '-', '.')", c->text);
	if ((c->field = strndup(s, i)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	p = s + i;
	rest = n - i;
#define WORD(w) (rest >= sizeof(w) - 1 && memcmp(p, w, sizeof(w) - 1) == 0 && \
	(rest == sizeof(w) - 1 || p[sizeof(w) - 1] == ' ' || \
	p[sizeof(w) - 1] == '\t'))
	if (rest >= 1 && p[0] == '=') {
		c->op = SP_COND_EQ;
		return cond_value(c, p + 1, rest - 1, e);
	}
	if (rest >= 2 && p[0] == '^' && p[1] == '=') {
		c->op = SP_COND_PREFIX;
		return cond_value(c, p + 2, rest - 2, e);
	}
	if (WORD("empty") || WORD("present")) {
		c->op = p[0] == 'e' ? SP_COND_EMPTY : SP_COND_PRESENT;
		k = p[0] == 'e' ? 5 : 7;
		p += k;
		rest -= k;
		p = trim(p, &rest);
		if (rest > 0)
			return sp_err_set(e, NULL, "'%s': nothing may follow "
			    "'%s'", c->text, c->op == SP_COND_EMPTY ? "empty" :
			    "present");
		return 0;
	}
	if (WORD("in")) {
		c->op = SP_COND_IN;
		p += 2;
		rest -= 2;
		for (;;) {
			const char *bar = memchr(p, '|', rest);
			k = bar != NULL ? (size_t)(bar - p) : rest;
			if (cond_value(c, p, k, e) < 0)
				return -1;
			if (bar == NULL)
				return 0;
			p += k + 1;
			rest -= k + 1;
		}
	}
	if (WORD("between")) {
		c->op = SP_COND_BETWEEN;
		p += 7;
		rest -= 7;
		dots = NULL;
		for (k = 0; k + 1 < rest; k++)
			if (p[k] == '.' && p[k + 1] == '.') {
				dots = p + k;
				break;
			}
		if (dots == NULL)
			return sp_err_set(e, NULL, "'%s': between takes lo..hi "
			    "(such as 50..500; either end may be left out)",
			    c->text);
		if (bound(c, p, k, &c->has_lo, &c->lo, e) < 0 ||
		    bound(c, dots + 2, rest - k - 2, &c->has_hi, &c->hi, e) < 0)
			return -1;
		if (!c->has_lo && !c->has_hi)
			return sp_err_set(e, NULL, "'%s': between needs lo, hi "
			    "or both", c->text);
		if (c->has_lo && c->has_hi && c->lo > c->hi)
			return sp_err_set(e, NULL, "'%s': the low end is above "
			    "the high end", c->text);
		return 0;
	}
#undef WORD
	return sp_err_set(e, NULL, "'%s': no operator after '%s' (=, in, ^=, "
	    "between, empty, present)", c->text, c->field);
}

int
sp_rule_parse_when(sp_rule *r, const char *when, sp_error *e)
{
	const char *s = when, *and;
	size_t n = strlen(when);
	sp_cond *v;

	/* "state = CA and" would read as the value "CA and" */
	s = trim(when, &n);
	if ((n >= 4 && memcmp(s + n - 4, " and", 4) == 0) ||
	    (n >= 4 && memcmp(s, "and ", 4) == 0) ||
	    (n == 3 && memcmp(s, "and", 3) == 0))
		return sp_err_set(e, NULL, "'%s': an empty condition next to "
		    "'and'", when);
	s = when;
	for (;;) {
		and = strstr(s, " and ");
		n = and != NULL ? (size_t)(and - s) : strlen(s);
		{
			size_t m = n;
			const char *t = trim(s, &m);
			if (m == 0) {
				if (and == NULL && r->ncond == 0)
					return 0;	/* empty: every lead */
				return sp_err_set(e, NULL, "'%s': an empty "
				    "condition next to 'and'", when);
			}
			if ((v = realloc(r->cond, (r->ncond + 1) *
			    sizeof(*v))) == NULL)
				return sp_err_set(e, NULL, "out of memory");
			r->cond = v;
			memset(&v[r->ncond], 0, sizeof(*v));
			r->ncond++;
			if (cond_parse(&v[r->ncond - 1], t, m, e) < 0)
				return -1;
		}
		if (and == NULL)
			return 0;
		s = and + 5;
	}
}

static void
rule_free(sp_rule *r)
{
	size_t i;

	for (i = 0; i < r->ncond; i++)
		cond_free(&r->cond[i]);
	free(r->cond);
	for (i = 0; i < r->nweight; i++)
		free(r->wowner[i]);
	free(r->wowner);
	free(r->weight);
	free(r->id);
	free(r->owner);
	free(r->team);
	free(r->territory);
}

void
sp_rules_free(sp_rules *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static char *
copy_field(const sp_rec *r, int slot)
{
	size_t n = sp_rec_len(r, slot);
	const char *s = trim(n > 0 ? sp_rec_get(r, slot) : "", &n);

	return strndup(s, n);
}

/* The columns of the rules file, checked once per input. */
static int
check_cols(sp_reader *rd, sp_error *e)
{
	const int *f;
	size_t nf, i, k;
	const char *name;

	f = sp_reader_fields(rd, &nf);
	for (i = 0; i < nf; i++) {
		name = sp_reader_slot_name(rd, f[i]);
		for (k = 0; rule_cols[k] != NULL; k++)
			if (strcmp(rule_cols[k], name) == 0)
				break;
		if (rule_cols[k] == NULL)
			return sp_err_set(e, name, "not a column of a rules "
			    "file (rule, when, owner, team, how, territory, "
			    "daily_cap, weight)");
	}
	return 0;
}

/* The weight column: "owner=n|owner=n" (s trimmed; not empty). */
static int
parse_weights(sp_rule *x, const char *s, sp_error *e)
{
	const char *item = s, *bar, *eq, *o, *wv;
	size_t n, on, wn, i;
	char *end, num[16], **ov;
	long w, *v;

	for (;;) {
		bar = strchr(item, '|');
		n = bar != NULL ? (size_t)(bar - item) : strlen(item);
		if ((eq = memchr(item, '=', n)) == NULL)
			return sp_err_set(e, "weight", "'%.*s' is not owner=n "
			    "(such as 'Ann Berg=2|Raj Iyer=1')", (int)n, item);
		on = (size_t)(eq - item);
		o = trim(item, &on);
		wn = (size_t)(item + n - eq - 1);
		wv = trim(eq + 1, &wn);
		if (on == 0 || wn == 0 || wn >= sizeof(num))
			return sp_err_set(e, "weight", "'%.*s' is not owner=n "
			    "(such as 'Ann Berg=2|Raj Iyer=1')", (int)n, item);
		memcpy(num, wv, wn);
		num[wn] = '\0';
		w = strtol(num, &end, 10);
		if (!isdigit((unsigned char)num[0]) || *end != '\0' || w < 1 ||
		    w > 1000)
			return sp_err_set(e, "weight", "the weight of '%.*s', "
			    "'%s', is not a whole number from 1 to 1000",
			    (int)on, o, num);
		for (i = 0; i < x->nweight; i++)
			if (strlen(x->wowner[i]) == on &&
			    memcmp(x->wowner[i], o, on) == 0)
				return sp_err_set(e, "weight", "'%.*s' is weighed "
				    "twice", (int)on, o);
		if ((ov = realloc(x->wowner, (x->nweight + 1) * sizeof(*ov))) ==
		    NULL)
			return sp_err_set(e, NULL, "out of memory");
		x->wowner = ov;
		if ((v = realloc(x->weight, (x->nweight + 1) * sizeof(*v))) ==
		    NULL)
			return sp_err_set(e, NULL, "out of memory");
		x->weight = v;
		if ((x->wowner[x->nweight] = strndup(o, on)) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		x->weight[x->nweight++] = w;
		if (bar == NULL)
			return 0;
		item = bar + 1;
	}
}

long
sp_rule_weight(const sp_rule *r, const char *owner)
{
	size_t i;

	for (i = 0; i < r->nweight; i++)
		if (strcmp(r->wowner[i], owner) == 0)
			return r->weight[i];
	return 1;
}

static int
rule_row(sp_rules *rs, const sp_rec *r, const int *slot, sp_error *e)
{
	sp_rule *v, *x;
	size_t i;
	char *end, *how;

	if ((v = realloc(rs->v, (rs->n + 1) * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	rs->v = v;
	x = &v[rs->n++];	/* sp_rules_free frees what was copied */
	memset(x, 0, sizeof(*x));
	x->line = r->line;
	if ((x->id = copy_field(r, slot[C_RULE])) == NULL ||
	    (x->owner = copy_field(r, slot[C_OWNER])) == NULL ||
	    (x->team = copy_field(r, slot[C_TEAM])) == NULL ||
	    (x->territory = copy_field(r, slot[C_TERRITORY])) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (x->id[0] == '\0')
		return sp_err_set(e, "rule", "missing: every rule has an id, "
		    "which its assignments record");
	for (i = 0; i + 1 < rs->n; i++)
		if (strcmp(rs->v[i].id, x->id) == 0)
			return sp_err_set(e, "rule", "'%s' is the id of the rule "
			    "on line %ld too", x->id, rs->v[i].line);
	if (x->owner[0] == '\0' && x->team[0] == '\0')
		return sp_err_set(e, "owner", "missing: a rule gives an owner "
		    "or a team");
	if (x->owner[0] != '\0' && x->team[0] != '\0')
		return sp_err_set(e, "team", "'%s' with owner '%s': a rule gives "
		    "an owner or a team, not both", x->team, x->owner);
	if ((how = copy_field(r, slot[C_HOW])) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (how[0] == '\0' || strcmp(how, "round-robin") == 0)
		x->how = SP_HOW_ROUND_ROBIN;
	else if (strcmp(how, "least-open") == 0)
		x->how = SP_HOW_LEAST_OPEN;
	else {
		sp_err_set(e, "how", "'%s' is not round-robin or least-open",
		    how);
		free(how);
		return -1;
	}
	if (how[0] != '\0' && x->team[0] == '\0') {
		free(how);
		return sp_err_set(e, "how", "a rule with an owner picks no one: "
		    "how is for team rules");
	}
	free(how);
	if (sp_rec_has(r, slot[C_WEIGHT])) {
		char *w = copy_field(r, slot[C_WEIGHT]);
		int rc;
		if (w == NULL)
			return sp_err_set(e, NULL, "out of memory");
		if (x->team[0] == '\0' || x->how != SP_HOW_ROUND_ROBIN) {
			free(w);
			return sp_err_set(e, "weight", "weights are for "
			    "round-robin team rules");
		}
		rc = w[0] != '\0' ? parse_weights(x, w, e) : 0;
		free(w);
		if (rc < 0)
			return -1;
	}
	if (sp_rec_has(r, slot[C_CAP])) {
		char *cap = copy_field(r, slot[C_CAP]);
		if (cap == NULL)
			return sp_err_set(e, NULL, "out of memory");
		x->daily_cap = strtol(cap, &end, 10);
		if (cap[0] == '\0' || !isdigit((unsigned char)cap[0]) ||
		    *end != '\0' || x->daily_cap <= 0 || x->daily_cap > 1000000) {
			sp_err_set(e, "daily_cap", "'%s' is not a whole number "
			    "of leads above 0", cap);
			free(cap);
			return -1;
		}
		free(cap);
	}
	{
		char *when = copy_field(r, slot[C_WHEN]);
		int rc;
		if (when == NULL)
			return sp_err_set(e, NULL, "out of memory");
		rc = sp_rule_parse_when(x, when, e);
		free(when);
		if (rc < 0) {
			snprintf(e->field, sizeof(e->field), "when");
			return -1;
		}
	}
	return 0;
}

struct rules_read {
	sp_rules *rs;
	int checked;
};

static int
rules_row(void *ctx, sp_reader *rd, const sp_rec *r, const int *slot,
    sp_error *e)
{
	struct rules_read *x = ctx;

	/* JSON lines: every record's keys; CSV: the header, once */
	if (!x->checked || sp_reader_format(rd) != SP_FMT_CSV) {
		/* a CSV column is the header's, on line 1 */
		if (sp_reader_format(rd) == SP_FMT_CSV)
			sp_err_where(e, r->file, 1);
		if (check_cols(rd, e) < 0)
			return -1;
		sp_err_where(e, r->file, r->line);
	}
	x->checked = 1;
	return rule_row(x->rs, r, slot, e);
}

int
sp_rules_read(sp_rules *rs, const char *path, const sp_read_opts *ro,
    sp_error *e)
{
	struct rules_read x = { rs, 0 };
	int slot[C_N];

	return sp_optfile_each(path, ro, rule_cols, C_N, 0, slot, rules_row,
	    &x, e);
}

static int
same_nocase(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
sp_cond_holds(const sp_cond *c, const char *v, size_t len)
{
	size_t i, pn;
	int64_t x;
	sp_error e;

	if (v == NULL)
		len = 0;
	v = trim(v != NULL ? v : "", &len);
	switch (c->op) {
	case SP_COND_EMPTY:
		return len == 0;
	case SP_COND_PRESENT:
		return len > 0;
	case SP_COND_EQ:
	case SP_COND_IN:
		for (i = 0; i < c->nv; i++)
			if (same_nocase(v, len, c->v[i], strlen(c->v[i])))
				return 1;
		return 0;
	case SP_COND_PREFIX:
		pn = strlen(c->v[0]);
		return len >= pn && same_nocase(v, pn, c->v[0], pn);
	case SP_COND_BETWEEN:
		sp_err_clear(&e);
		if (len == 0 || sp_money_parse(v, len, &x, &e) < 0)
			return 0;
		return (!c->has_lo || x >= c->lo) && (!c->has_hi || x <= c->hi);
	}
	return 0;
}

long
sp_rules_first(const sp_rules *rs, sp_rule_get get, void *ctx)
{
	size_t i, k, len;
	const char *v;

	for (i = 0; i < rs->n; i++) {
		for (k = 0; k < rs->v[i].ncond; k++) {
			const sp_cond *c = &rs->v[i].cond[k];
			len = 0;
			v = get(ctx, c->field, &len);
			if (!sp_cond_holds(c, v, len))
				break;
		}
		if (k == rs->v[i].ncond)
			return (long)i;
	}
	return -1;
}

/* A from or to of the away file; a date alone as `to` ends its day. */
static int
away_time(const sp_rec *r, int slot, const char *name, const char *datefmt,
    const sp_tz *tz, int64_t none, int end, int64_t *t, sp_error *e)
{
	size_t n = sp_rec_len(r, slot);
	const char *s = trim(n > 0 ? sp_rec_get(r, slot) : "", &n);

	if (n == 0) {
		*t = none;
		return 0;
	}
	if (sp_time_parse_tz(s, n, datefmt, tz, t, e) < 0) {
		snprintf(e->field, sizeof(e->field), "%s", name);
		return -1;
	}
	/* 2026-12-24 as `to`: away all that day */
	if (end && memchr(s, ':', n) == NULL)
		*t += 86400;
	else if (end)
		*t += 1;	/* to is inclusive */
	return 0;
}

enum { W_OWNER, W_FROM, W_TO, W_N };
static const char *const away_names[W_N] = { "owner", "from", "to" };

struct away_read {
	sp_away *a;
	const char *datefmt;
	const sp_tz *tz;
};

static int
away_row(void *ctx, sp_reader *rd, const sp_rec *r, const int *slot,
    sp_error *e)
{
	struct away_read *x = ctx;
	sp_away *a = x->a;
	int so = slot[W_OWNER], sf = slot[W_FROM], st = slot[W_TO];
	int64_t from, to;
	sp_away_row *v;

	(void)rd;
	if (!sp_rec_has(r, so))
		return sp_err_set(e, "owner", "missing: a row of the away file "
		    "is an owner and the dates they are away");
	if (away_time(r, sf, "from", x->datefmt, x->tz, INT64_MIN, 0, &from,
	    e) < 0 || away_time(r, st, "to", x->datefmt, x->tz, INT64_MAX, 1,
	    &to, e) < 0)
		return -1;
	if (to <= from)
		return sp_err_set(e, "to", "'%s' is before from '%s'",
		    sp_rec_get(r, st), sp_rec_get(r, sf));
	if ((v = realloc(a->v, (a->n + 1) * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	a->v = v;
	if ((v[a->n].owner = copy_field(r, so)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	v[a->n].from = from;
	v[a->n].to = to;
	v[a->n].line = r->line;
	a->n++;
	return 0;
}

int
sp_away_read(sp_away *a, const char *path, const sp_read_opts *ro,
    const char *datefmt, const sp_tz *tz, sp_error *e)
{
	struct away_read x = { a, datefmt, tz };
	int slot[W_N];

	return sp_optfile_each(path, ro, away_names, W_N, 0, slot, away_row,
	    &x, e);
}

void
sp_away_free(sp_away *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].owner);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

long
sp_away_at(const sp_away *a, const char *owner, int64_t t)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].owner, owner) == 0 && a->v[i].from <= t &&
		    t < a->v[i].to)
			return a->v[i].line;
	return 0;
}

/* The fold: leads[i].val[slot], owned. */
struct lead {
	char **val;
	uint32_t *len;
	size_t nval;
	const char *file;	/* interned in the fold */
	long line;
};

struct sp_leads {
	sp_reader *rd;
	sp_groups *ids;		/* id -> index + 1 */
	struct lead *v;
	size_t n, cap;
	int id_slot;
	char **files;		/* the file names met */
	size_t nfiles;
};

sp_leads *
sp_leads_new(sp_reader *rd)
{
	sp_leads *ls = calloc(1, sizeof(*ls));

	if (ls == NULL)
		return NULL;
	ls->rd = rd;
	if ((ls->ids = sp_groups_new(sizeof(size_t), NULL)) == NULL ||
	    (ls->id_slot = sp_reader_slot(rd, "id")) < 0) {
		sp_leads_free(ls);
		return NULL;
	}
	return ls;
}

void
sp_leads_free(sp_leads *ls)
{
	size_t i, k;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->n; i++) {
		for (k = 0; k < ls->v[i].nval; k++)
			free(ls->v[i].val[k]);
		free(ls->v[i].val);
		free(ls->v[i].len);
	}
	for (i = 0; i < ls->nfiles; i++)
		free(ls->files[i]);
	free(ls->files);
	free(ls->v);
	if (ls->ids != NULL)
		sp_groups_free(ls->ids, NULL);
	free(ls);
}

static const char *
intern_file(sp_leads *ls, const char *f)
{
	char **v;

	if (ls->nfiles > 0 && strcmp(ls->files[ls->nfiles - 1], f) == 0)
		return ls->files[ls->nfiles - 1];
	if ((v = realloc(ls->files, (ls->nfiles + 1) * sizeof(*v))) == NULL)
		return NULL;
	ls->files = v;
	if ((v[ls->nfiles] = strdup(f)) == NULL)
		return NULL;
	return v[ls->nfiles++];
}

int
sp_leads_add(sp_leads *ls, const sp_rec *r, sp_error *e)
{
	size_t *ix, idlen = sp_rec_len(r, ls->id_slot), ns, k;
	struct lead *l;

	if (idlen == 0) {
		sp_err_where(e, r->file, r->line);
		return sp_err_set(e, "id", "missing: every record of a lead "
		    "history names its lead");
	}
	if ((ix = sp_groups_get(ls->ids, sp_rec_get(r, ls->id_slot), idlen)) ==
	    NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (*ix == 0) {
		if (ls->n == ls->cap) {
			size_t cap = ls->cap ? ls->cap * 2 : 64;
			struct lead *v = realloc(ls->v, cap * sizeof(*v));
			if (v == NULL)
				return sp_err_set(e, NULL, "out of memory");
			ls->v = v;
			ls->cap = cap;
		}
		memset(&ls->v[ls->n], 0, sizeof(ls->v[ls->n]));
		ls->v[ls->n].line = r->line;
		if ((ls->v[ls->n].file = intern_file(ls, r->file)) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		*ix = ++ls->n;
	}
	l = &ls->v[*ix - 1];
	ns = sp_reader_nslots(ls->rd);
	if (l->nval < ns) {
		char **v = realloc(l->val, ns * sizeof(*v));
		uint32_t *n;
		if (v == NULL)
			return sp_err_set(e, NULL, "out of memory");
		l->val = v;
		if ((n = realloc(l->len, ns * sizeof(*n))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		l->len = n;
		for (k = l->nval; k < ns; k++) {
			l->val[k] = NULL;
			l->len[k] = 0;
		}
		l->nval = ns;
	}
	for (k = 0; k < ns && k < r->nslot; k++) {
		char *c;
		/* in a history empty means unchanged */
		if (!sp_rec_has(r, (int)k))
			continue;
		if ((c = strndup(sp_rec_get(r, (int)k), sp_rec_len(r,
		    (int)k))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		free(l->val[k]);
		l->val[k] = c;
		l->len[k] = (uint32_t)sp_rec_len(r, (int)k);
	}
	return 0;
}

size_t
sp_leads_count(const sp_leads *ls)
{
	return ls->n;
}

const char *
sp_leads_get(const sp_leads *ls, size_t i, const char *field, size_t *len)
{
	int slot = sp_reader_slot(ls->rd, field);
	const struct lead *l = &ls->v[i];

	if (slot < 0 || (size_t)slot >= l->nval || l->val[slot] == NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = l->len[slot];
	return l->val[slot];
}

const char *
sp_leads_place(const sp_leads *ls, size_t i, long *line)
{
	*line = ls->v[i].line;
	return ls->v[i].file;
}
