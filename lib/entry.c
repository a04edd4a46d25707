/*
 * entry: the records the write programs make, in canonical form, and the
 * index of a journal's history their checks read (which ids exist, what
 * stage each was in at a time, which id holds an email).  The index keeps
 * per id only its stage changes, so a million-record journal costs tens
 * of megabytes, and a JSON lines journal is parsed only on the lines that
 * can matter when a program asks about a few ids.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/entry.h"
#include "salespipe/util.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

static const char *const deal_columns[] = { "name", "account", "owner",
	"amount", "currency", "probability", "close_date", "created_at",
	"closed_at", "forecast_category", "lost_reason", "source", "product",
	"territory", NULL };
static const char *const lead_columns[] = { "name", "company", "email",
	"phone", "source", "campaign", "owner", "territory", "created_at",
	"deal_id", "reason", NULL };
static const char *const deal_dup[] = { "account", "name", NULL };
static const char *const lead_dup[] = { "email", NULL };

/* DESIGN.md's canonical fields, the history's `at`, and the fields the
 * write programs give a meaning to (lost_stage, a lead's reason). */
static const char *const deal_canonical[] = { "id", "at", "stage", "name",
	"account", "owner", "amount", "currency", "probability", "created_at",
	"close_date", "closed_at", "forecast_category", "lost_reason",
	"lost_stage", "source", "product", "territory", NULL };
static const char *const lead_canonical[] = { "id", "at", "stage", "name",
	"company", "email", "phone", "source", "campaign", "owner",
	"territory", "created_at", "deal_id", "reason", NULL };

const sp_kind sp_kind_deal = { "deal", "D-", "SALESPIPE_DEALS",
	SP_STAGES_DEALS, deal_columns, deal_dup, deal_canonical };
const sp_kind sp_kind_lead = { "lead", "L-", "SALESPIPE_LEADS",
	SP_STAGES_LEADS, lead_columns, lead_dup, lead_canonical };

sp_entry *
sp_entry_new(void)
{
	sp_entry *en = calloc(1, sizeof(*en));

	if (en != NULL && ((en->file = strdup("")) == NULL)) {
		free(en);
		return NULL;
	}
	return en;
}

void
sp_entry_free(sp_entry *en)
{
	size_t i;

	if (en == NULL)
		return;
	for (i = 0; i < en->n; i++) {
		free(en->name[i]);
		free(en->val[i]);
	}
	free(en->name);
	free(en->val);
	free(en->file);
	free(en->raw);
	free(en);
}

static long
find(const sp_entry *en, const char *name)
{
	size_t i;

	for (i = 0; i < en->n; i++)
		if (strcmp(en->name[i], name) == 0)
			return (long)i;
	return -1;
}

const char *
sp_entry_get(const sp_entry *en, const char *name)
{
	long i = find(en, name);

	return i < 0 ? NULL : en->val[i];
}

int
sp_entry_set(sp_entry *en, const char *name, const char *v, size_t n,
    sp_error *e)
{
	long i = find(en, name);
	char *copy = strndup(v, n);

	if (copy == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if (i >= 0) {
		free(en->val[i]);
		en->val[i] = copy;
		return 0;
	}
	if (en->n == en->cap) {
		size_t cap = en->cap ? en->cap * 2 : 16;
		char **a = realloc(en->name, cap * sizeof(*a)), **b;
		if (a != NULL)
			en->name = a;
		b = a ? realloc(en->val, cap * sizeof(*b)) : NULL;
		if (b == NULL) {
			free(copy);
			return sp_err_set(e, NULL, "out of memory");
		}
		en->val = b;
		en->cap = cap;
	}
	if ((en->name[en->n] = strdup(name)) == NULL) {
		free(copy);
		return sp_err_set(e, NULL, "out of memory");
	}
	en->val[en->n++] = copy;
	return 0;
}

void
sp_entry_unset(sp_entry *en, const char *name)
{
	long i = find(en, name);

	if (i < 0)
		return;
	free(en->name[i]);
	free(en->val[i]);
	memmove(en->name + i, en->name + i + 1, (en->n - (size_t)i - 1) *
	    sizeof(*en->name));
	memmove(en->val + i, en->val + i + 1, (en->n - (size_t)i - 1) *
	    sizeof(*en->val));
	en->n--;
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_-.", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

int
sp_entry_operand(sp_entry *en, const char *arg, sp_error *e)
{
	const char *eq = strchr(arg, '=');
	char q[80], name[128];
	size_t nl;

	if (eq == NULL)
		return sp_err_set(e, NULL, "'%s' is not field=value",
		    sp_err_quote(q, sizeof(q), arg, strlen(arg)));
	nl = (size_t)(eq - arg);
	if (!name_ok(arg, nl))
		return sp_err_set(e, NULL, "'%s' is not a field name (letters, "
		    "digits, '_', '-', '.')", sp_err_quote(q, sizeof(q), arg, nl));
	memcpy(name, arg, nl);
	name[nl] = '\0';
	if (eq[1] == '\0')
		return 0;
	return sp_entry_set(en, name, eq + 1, strlen(eq + 1), e);
}

/* Trim v in place; check it is printable UTF-8 on one line. */
static int
clean(char *v, const char *field, sp_error *e)
{
	size_t n = strlen(v), i = 0, k;
	char q[80];

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	memmove(v, v + i, n - i);
	n -= i;
	v[n] = '\0';
	for (i = 0; i < n; i += k) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\n' || c == '\r')
			return sp_err_set(e, field, "'%s' holds a line break",
			    sp_err_quote(q, sizeof(q), v, n));
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return sp_err_set(e, field, "'%s' holds a control "
			    "character", sp_err_quote(q, sizeof(q), v, n));
		if ((k = sp_utf8_len((const unsigned char *)v + i, n - i)) == 0)
			return sp_err_set(e, field, "'%s' is not valid UTF-8",
			    sp_err_quote(q, sizeof(q), v, n));
	}
	return 0;
}

static int
replace(char **slot, const char *v)
{
	char *c = strdup(v);

	if (c == NULL)
		return -1;
	free(*slot);
	*slot = c;
	return 0;
}

static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *dot;
	size_t i;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == ',' ||
		    s[i] == '"' || s[i] == '<' || s[i] == '>')
			return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

/* Put field name's value v (owned by *slot) in canonical form; scale:
 * the probability's (1 or 100). */
static int
canon(const char *name, char **slot, sp_stages *st, const char *datefmt,
    const sp_numfmt *nf, const sp_tz *tz, int scale, sp_error *e)
{
	char *v = *slot, buf[40], q[80];
	size_t n = strlen(v), i;
	int64_t t;
	int k;

	if (clean(v, name, e) < 0)
		return -1;
	if ((n = strlen(v)) == 0)
		return strcmp(name, "id") == 0 ? sp_err_set(e, name, "empty") : 0;
	sp_err_quote(q, sizeof(q), v, n);	/* as given, for messages */
	if (strcmp(name, "at") == 0 || strcmp(name, "created_at") == 0 ||
	    strcmp(name, "closed_at") == 0 || strcmp(name, "close_date") == 0) {
		if (sp_time_parse_tz(v, n, datefmt, tz, &t, e) < 0)
			return sp_err_set(e, name, "%s", e->msg);
		if (strcmp(name, "close_date") == 0)
			sp_date_format(t, buf);
		else
			sp_time_format(t, buf);
		return replace(slot, buf) < 0 ?
		    sp_err_set(e, NULL, "out of memory") : 0;
	}
	if (strcmp(name, "amount") == 0) {
		/* exact: 9225.225 stays 9225.225, never rounded to cents */
		if (sp_money_parse_fmt(v, n, nf, &t, e) < 0)
			return sp_err_set(e, name, "%s", e->msg);
		return replace(slot, sp_money_format_micro(t, buf)) < 0 ?
		    sp_err_set(e, NULL, "out of memory") : 0;
	}
	if (strcmp(name, "probability") == 0) {
		if (sp_prob_parse_scale(v, n, scale, &k, e) < 0)
			return sp_err_set(e, name, "%s", e->msg);
		snprintf(buf, sizeof(buf), "%d.%02d", k / 100, k % 100);
		if (k % 100 == 0)
			snprintf(buf, sizeof(buf), "%d", k / 100);
		else if (k % 10 == 0)
			buf[strlen(buf) - 1] = '\0';
		return replace(slot, buf) < 0 ?
		    sp_err_set(e, NULL, "out of memory") : 0;
	}
	if (strcmp(name, "currency") == 0) {
		for (i = 0; i < n; i++)
			v[i] = (char)toupper((unsigned char)v[i]);
		if (n != 3 || !isupper((unsigned char)v[0]) ||
		    !isupper((unsigned char)v[1]) || !isupper((unsigned char)v[2]))
			return sp_err_set(e, name, "'%s' is not a currency code "
			    "(three letters, e.g. USD)", q);
		return 0;
	}
	if (strcmp(name, "email") == 0) {
		for (i = 0; i < n; i++)
			v[i] = (char)tolower((unsigned char)v[i]);
		if (!email_ok(v))
			return sp_err_set(e, name, "'%s' is not an email address",
			    q);
		return 0;
	}
	if (strcmp(name, "stage") == 0 || strcmp(name, "lost_stage") == 0) {
		if ((k = sp_stages_find(st, v, n)) < 0)
			return sp_err_set(e, name, "unknown stage '%s' (known: "
			    "%s)", q, sp_stages_known(st));
		return replace(slot, st->v[k].name) < 0 ?
		    sp_err_set(e, NULL, "out of memory") : 0;
	}
	return 0;
}

int
sp_entry_normalise(sp_entry *en, sp_stages *st, const char *datefmt,
    sp_error *e)
{
	return sp_entry_normalise_with(en, st, datefmt, NULL, NULL, e);
}

int
sp_entry_normalise_with(sp_entry *en, sp_stages *st, const char *datefmt,
    const sp_numfmt *nf, const sp_tz *tz, sp_error *e)
{
	size_t i;
	char q[80];

	for (i = 0; i < en->n; i++) {
		/* a batch's names were never operands: check them here */
		if (!name_ok(en->name[i], strlen(en->name[i])))
			return sp_err_set(e, NULL, "'%s' is not a field name "
			    "(letters, digits, '_', '-', '.')", sp_err_quote(q,
			    sizeof(q), en->name[i], strlen(en->name[i])));
		if (canon(en->name[i], &en->val[i], st, datefmt, nf, tz,
		    en->prob_scale == 1 ? 1 : 100, e) < 0)
			return -1;
	}
	/* a value that was only blanks sets nothing */
	for (i = en->n; i-- > 0;)
		if (en->val[i][0] == '\0' && strcmp(en->name[i], "id") != 0)
			sp_entry_unset(en, en->name[i]);
	return 0;
}

const char *
sp_entry_resembles(const sp_kind *k, const char *name)
{
	size_t i, max, d, bestd = SIZE_MAX;
	const char *best = NULL;

	for (i = 0; k->canonical[i] != NULL; i++)
		if (strcmp(name, k->canonical[i]) == 0)
			return NULL;
	for (i = 0; k->canonical[i] != NULL; i++) {
		/* one edit per three letters: "uid" is not a typo of "id" */
		max = (strlen(k->canonical[i]) - 1) / 3;
		if (max > 2)
			max = 2;
		/* the nearest wins: "Amount" is amount, not account */
		d = sp_edit_distance_nocase(name, k->canonical[i]);
		if (d <= max && d < bestd) {
			best = k->canonical[i];
			bestd = d;
		}
	}
	return best;
}

int
sp_entry_check_names(const sp_entry *en, const sp_kind *k, char *const *allow,
    size_t nallow, sp_error *e)
{
	const char *like;
	size_t i, j;
	char q[80];

	for (i = 0; i < en->n; i++) {
		if ((like = sp_entry_resembles(k, en->name[i])) == NULL)
			continue;
		for (j = 0; j < nallow && strcmp(allow[j], en->name[i]) != 0;
		    j++)
			;
		if (j < nallow)
			continue;
		sp_err_quote(q, sizeof(q), en->name[i], strlen(en->name[i]));
		return sp_err_set(e, q, "not a %s field, but close to '%s': "
		    "correct the name, or give --allow-field %s to record it "
		    "as it is", k->noun, like, q);
	}
	return 0;
}

size_t
sp_entry_dup_key(const sp_entry *en, const sp_kind *k, char **buf, size_t *cap)
{
	size_t len = 0, i, j, n;
	const char *v;

	for (i = 0; k->dup_fields[i] != NULL; i++) {
		if ((v = sp_entry_get(en, k->dup_fields[i])) == NULL ||
		    *v == '\0')
			return 0;
		n = strlen(v);
		if (len + n + 2 > *cap) {
			size_t c = (len + n + 2) * 2;
			char *b = realloc(*buf, c);
			if (b == NULL)
				return (size_t)-1;
			*buf = b;
			*cap = c;
		}
		if (i > 0)
			(*buf)[len++] = '\0';
		for (j = 0; j < n; j++)
			(*buf)[len++] = (char)tolower((unsigned char)v[j]);
	}
	return len;
}

/* The index. */

struct xid {
	int64_t first;		/* first `at` (INT64_MAX: none yet) */
	int64_t *ev;		/* at * SP_STAGES_MAX + stage, input order */
	uint32_t n, cap;
};

struct xdup {
	char *id;
};

struct sp_index {
	const sp_kind *k;
	sp_stages *st;
	sp_groups *ids;
	sp_groups *dups;
	int64_t max_number;
};

sp_index *
sp_index_new(const sp_kind *k, sp_stages *st)
{
	sp_index *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->k = k;
	x->st = st;
	if ((x->ids = sp_groups_new(sizeof(struct xid), NULL)) == NULL ||
	    (x->dups = sp_groups_new(sizeof(struct xdup), NULL)) == NULL) {
		sp_index_free(x);
		return NULL;
	}
	return x;
}

static void
xid_fini(void *p)
{
	free(((struct xid *)p)->ev);
}

static void
xdup_fini(void *p)
{
	free(((struct xdup *)p)->id);
}

void
sp_index_free(sp_index *x)
{
	if (x == NULL)
		return;
	sp_groups_free(x->ids, xid_fini);
	sp_groups_free(x->dups, xdup_fini);
	free(x);
}

int
sp_index_add(sp_index *x, const char *id, size_t idlen, int64_t at, int stage,
    const char *dup, size_t duplen)
{
	struct xid *d = sp_groups_get(x->ids, id, idlen);
	size_t pl = strlen(x->k->prefix), i;

	if (d == NULL)
		return -1;
	if (d->cap == 0) {
		d->first = INT64_MAX;
		/* "D-17": the number, for the next id */
		if (idlen > pl && idlen - pl <= 18 &&
		    memcmp(id, x->k->prefix, pl) == 0) {
			int64_t v = 0;
			for (i = pl; i < idlen && isdigit((unsigned char)id[i]);
			    i++)
				v = v * 10 + (id[i] - '0');
			if (i == idlen && v > x->max_number)
				x->max_number = v;
		}
		if ((d->ev = malloc(2 * sizeof(*d->ev))) == NULL)
			return -1;
		d->cap = 2;
	}
	if (at < d->first)
		d->first = at;
	if (stage >= 0) {
		if (d->n == d->cap) {
			int64_t *v = realloc(d->ev, 2 * d->cap * sizeof(*v));
			if (v == NULL)
				return -1;
			d->ev = v;
			d->cap *= 2;
		}
		d->ev[d->n++] = at * SP_STAGES_MAX + stage;
	}
	if (duplen > 0) {
		struct xdup *u = sp_groups_get(x->dups, dup, duplen);
		if (u == NULL)
			return -1;
		if (u->id == NULL && (u->id = strndup(id, idlen)) == NULL)
			return -1;
	}
	return 0;
}

int
sp_index_has(const sp_index *x, const char *id)
{
	return sp_groups_find(x->ids, id, strlen(id)) != NULL;
}

static int64_t
ev_at(int64_t v)
{
	int64_t q = v / SP_STAGES_MAX;

	return q - (v % SP_STAGES_MAX < 0);	/* floor division */
}

int
sp_index_state(const sp_index *x, const char *id, int64_t t, int *stage,
    int64_t *since, int64_t *first)
{
	const struct xid *d = sp_groups_find(x->ids, id, strlen(id));
	int64_t best = INT64_MIN, a;
	uint32_t i;

	*stage = -1;
	*since = INT64_MIN;
	*first = d != NULL ? d->first : INT64_MIN;
	if (d == NULL || d->first > t)
		return 0;
	/* the latest `at` not after t; of equal ones the later record */
	for (i = 0; i < d->n; i++) {
		a = ev_at(d->ev[i]);
		if (a <= t && a >= best) {
			best = a;
			*stage = (int)(d->ev[i] - a * SP_STAGES_MAX);
		}
	}
	*since = best;
	return 1;
}

const char *
sp_index_dup(const sp_index *x, const char *dup, size_t duplen)
{
	const struct xdup *u = sp_groups_find(x->dups, dup, duplen);

	return u != NULL ? u->id : NULL;
}

int64_t
sp_index_max_number(const sp_index *x)
{
	return x->max_number;
}

void
sp_index_header_free(char **h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; h[i] != NULL; i++)
		free(h[i]);
	free(h);
}

struct rd_slots {
	int id, at, stage;
	int dup[4];
	size_t ndup;
};

/* Index one record of the journal. */
static int
index_rec(sp_index *x, const sp_rec *r, const struct rd_slots *s,
    char **dbuf, size_t *dcap, sp_error *e)
{
	size_t idlen = rec_len(r, s->id), len = 0, i, j;
	int64_t at;
	int stage = -1;
	char q[80];

	if (idlen == 0)
		return sp_err_set(e, "id", "missing: a journal record needs the "
		    "id of its %s", x->k->noun);
	if (!rec_has(r, s->at))
		return sp_err_set(e, "at", "missing: a journal record needs the "
		    "time it became true");
	if (sp_time_parse(rec_get(r, s->at), rec_len(r, s->at), NULL, &at, e) < 0)
		return sp_err_set(e, "at", "%s", e->msg);
	if (rec_has(r, s->stage) && (stage = sp_stages_find(x->st,
	    rec_get(r, s->stage), rec_len(r, s->stage))) < 0)
		return sp_err_set(e, "stage", "unknown stage '%s' (known: %s)",
		    sp_err_quote(q, sizeof(q), rec_get(r, s->stage),
		    rec_len(r, s->stage)), sp_stages_known(x->st));
	for (i = 0; i < s->ndup; i++) {
		const char *v = rec_get(r, s->dup[i]);
		size_t n = rec_len(r, s->dup[i]);
		if (n == 0) {
			len = 0;
			break;
		}
		if (len + n + 2 > *dcap) {
			size_t c = (len + n + 2) * 2;
			char *b = realloc(*dbuf, c);
			if (b == NULL)
				return sp_err_set(e, NULL, "out of memory");
			*dbuf = b;
			*dcap = c;
		}
		if (i > 0)
			(*dbuf)[len++] = '\0';
		for (j = 0; j < n; j++)
			(*dbuf)[len++] = (char)tolower((unsigned char)v[j]);
	}
	if (sp_index_add(x, rec_get(r, s->id), idlen, at, stage, *dbuf, len) < 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/* Read records from rd into x; line_base is added to reported lines. */
static int
index_reader(sp_index *x, sp_reader *rd, long line_base, char ***header,
    sp_error *e)
{
	struct rd_slots s;
	sp_rec *r = sp_rec_new();
	char *dbuf = NULL;
	size_t dcap = 0, i;
	int k, rc = 0, got_header = header == NULL;

	memset(&s, 0, sizeof(s));
	if (r == NULL)
		return sp_err_set(e, NULL, "out of memory");
	s.id = sp_reader_slot(rd, "id");
	s.at = sp_reader_slot(rd, "at");
	s.stage = sp_reader_slot(rd, "stage");
	for (i = 0; x->k->dup_fields[i] != NULL && i < 4; i++)
		s.dup[s.ndup++] = sp_reader_slot(rd, x->k->dup_fields[i]);
	for (;;) {
		k = sp_reader_next(rd, r, e);
		if (!got_header && k >= 0) {
			size_t nf;
			const int *f = sp_reader_fields(rd, &nf);
			if ((*header = calloc(nf + 1, sizeof(char *))) == NULL) {
				rc = sp_err_set(e, NULL, "out of memory");
				break;
			}
			for (i = 0; i < nf; i++)
				if (((*header)[i] = strdup(sp_reader_slot_name(rd,
				    f[i]))) == NULL) {
					rc = sp_err_set(e, NULL, "out of memory");
					break;
				}
			got_header = 1;
		}
		if (k == 0)
			break;
		if (k == 1 && index_rec(x, r, &s, &dbuf, &dcap, e) == 0)
			continue;
		if (k == 1)
			sp_err_where(e, r->file, r->line);
		if (e->line > 0)
			e->line += line_base;
		rc = -1;
		break;
	}
	free(dbuf);
	sp_rec_free(r);
	return rc;
}

static int
cmp_off(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static size_t
line_start(const char *text, size_t off)
{
	const char *nl = off > 0 ? memrchr(text, '\n', off) : NULL;

	return nl == NULL ? 0 : (size_t)(nl - text + 1);
}

/* Add the start of the line holding off to *v. */
static int
add_line(size_t **v, size_t *n, size_t *cap, size_t start)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		size_t *a = realloc(*v, c * sizeof(*a));
		if (a == NULL)
			return -1;
		*v = a;
		*cap = c;
	}
	(*v)[(*n)++] = start;
	return 0;
}

/* A byte that can continue an id: an occurrence next to one is a
 * different value. */
static int
idchar(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' ||
	    (unsigned char)c >= 0x80;
}

static long
count_lines(const char *text, size_t from, size_t to)
{
	long n = 0;
	const char *p = text + from, *end = text + to;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/*
 * 1 when every line of a CSV text is a whole record: no CR (CRLF and
 * CR-only files take the full parse) and an even number of quotes on
 * every line (a quoted line break leaves an odd count on the lines it
 * splits).
 */
static int
csv_lines_whole(const char *text, size_t n)
{
	const char *p = text, *end = text + n, *eol;
	size_t quotes;

	if (memchr(text, '\r', n) != NULL)
		return 0;
	while ((p = memchr(p, '"', (size_t)(end - p))) != NULL) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		for (quotes = 0; p != NULL; p = memchr(p + 1, '"',
		    (size_t)(eol - p - 1))) {
			quotes++;
			if (p + 1 >= eol)
				break;
		}
		if (quotes % 2 != 0)
			return 0;
		p = eol;
	}
	return 1;
}

/*
 * A few ids: parse only the lines that may hold them.  JSON lines: a JSON
 * string can spell a character as an escape, so any line with a backslash
 * is parsed too.  CSV (hdrlen > 0, the header line's length; only when
 * every line is a whole record): each line is parsed after the header,
 * and *header (may be NULL) gets its names when any line was parsed.
 */
static int
index_lines(sp_index *x, const char *text, size_t n, size_t hdrlen,
    const char *path, const char *const *ids, size_t nids, char ***header,
    sp_error *e)
{
	size_t *v = NULL, nv = 0, cap = 0, i, k, start, end, len;
	long line = 1;
	size_t counted = 0;
	const char *p;
	char *buf = NULL;
	int rc = 0;

	for (i = 0; i < nids; i++) {
		len = strlen(ids[i]);
		for (p = text; len > 0 && (p = memmem(p, (size_t)(text + n - p),
		    ids[i], len)) != NULL; p++) {
			if ((p > text && idchar(p[-1])) ||
			    (p + len < text + n && idchar(p[len])))
				continue;
			start = line_start(text, (size_t)(p - text));
			if (start >= hdrlen && add_line(&v, &nv, &cap, start) <
			    0)
				goto oom;
			p = memchr(p, '\n', (size_t)(text + n - p));
			if (p == NULL)
				break;
		}
	}
	for (p = text; hdrlen == 0 && (p = memchr(p, '\\',
	    (size_t)(text + n - p))) != NULL; p++) {
		if (add_line(&v, &nv, &cap, line_start(text,
		    (size_t)(p - text))) < 0)
			goto oom;
		if ((p = memchr(p, '\n', (size_t)(text + n - p))) == NULL)
			break;
	}
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_off);
	for (k = 0; k < nv && rc == 0; k++) {
		sp_read_opts o;
		sp_reader *rd;

		if (k > 0 && v[k] == v[k - 1])
			continue;
		start = v[k];
		p = memchr(text + start, '\n', n - start);
		end = p ? (size_t)(p - text) + 1 : n;
		line += count_lines(text, counted, start);
		counted = start;
		memset(&o, 0, sizeof(o));
		o.format = hdrlen > 0 ? SP_FMT_CSV : SP_FMT_JSONL;
		o.bufsize = hdrlen + end - start + 1;
		if (hdrlen > 0) {
			/* the header, then the line: line 2 of the buffer */
			char *b = realloc(buf, hdrlen + end - start);
			if (b == NULL)
				goto oom;
			buf = b;
			memcpy(buf, text, hdrlen);
			memcpy(buf + hdrlen, text + start, end - start);
			rd = sp_reader_open_mem(buf, hdrlen + end - start, path,
			    &o, e);
		} else
			rd = sp_reader_open_mem(text + start, end - start, path,
			    &o, e);
		if (rd == NULL)
			goto oom;
		/* the first line read gives the CSV header's names */
		rc = index_reader(x, rd, line - 1 - (hdrlen > 0),
		    header != NULL && *header == NULL ? header : NULL, e);
		sp_reader_close(rd);
	}
	free(v);
	free(buf);
	return rc;
oom:
	free(v);
	free(buf);
	return sp_err_set(e, NULL, "out of memory");
}

/* 1 when every id is spelled the same in any CSV field (no quote). */
static int
csv_prefilter(const char *const *ids, size_t nids)
{
	size_t i;

	for (i = 0; i < nids; i++)
		if (strchr(ids[i], '"') != NULL || ids[i][0] == '\0')
			return 0;
	return 1;
}

int
sp_index_read(sp_index *x, const char *text, size_t n, int fmt,
    const char *path, const char *const *ids, size_t nids, char ***header,
    sp_error *e)
{
	sp_read_opts o;
	sp_reader *rd;
	int rc;

	sp_err_clear(e);
	if (header != NULL)
		*header = NULL;
	if (n == 0)
		return 0;
	if (fmt == SP_FMT_JSONL && ids != NULL)
		return index_lines(x, text, n, 0, path, ids, nids, NULL, e);
	if (fmt == SP_FMT_CSV && ids != NULL && csv_prefilter(ids, nids) &&
	    csv_lines_whole(text, n)) {
		const char *nl = memchr(text, '\n', n);
		size_t hl = nl ? (size_t)(nl - text) + 1 : n;

		rc = index_lines(x, text, n, hl, path, ids, nids, header, e);
		if (rc < 0 && header != NULL) {
			sp_index_header_free(*header);
			*header = NULL;
		}
		return rc;
	}
	memset(&o, 0, sizeof(o));
	o.format = fmt;
	if ((rd = sp_reader_open_mem(text, n, path, &o, e)) == NULL)
		return -1;
	rc = index_reader(x, rd, 0, fmt == SP_FMT_CSV ? header : NULL, e);
	sp_reader_close(rd);
	if (rc < 0 && header != NULL) {
		sp_index_header_free(*header);
		*header = NULL;
	}
	return rc;
}
