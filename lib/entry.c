/*
 * entry: the records the write programs make, in canonical form, field by
 * field, and the kinds of record they are about (deal, lead).  The index of
 * a journal's history their checks read is lib/index.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/entry.h"
#include "salespipe/util.h"
#include "salespipe/field.h"

static const char *const deal_columns[] = { "name", "account", "owner",
	"amount", "currency", "probability", "close_date", "created_at",
	"closed_at", "forecast_category", "lost_reason", "source", "product",
	"territory", NULL };
static const char *const lead_columns[] = { "name", "company", "email",
	"phone", "source", "campaign", "owner", "territory", "created_at",
	"deal_id", "reason", NULL };
static const char *const deal_dup[] = { "account", "name", NULL };
static const char *const lead_dup[] = { "email", NULL };
static const char *const lead_dup_phone[] = { "phone", NULL };
static const char *const lead_dup_name[] = { "company", "name", NULL };
static const char *const *const lead_dup_more[] = { lead_dup_phone,
	lead_dup_name, NULL };

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
	SP_STAGES_DEALS, deal_columns, deal_dup, deal_canonical, NULL, NULL };
const sp_kind sp_kind_lead = { "lead", "L-", "SALESPIPE_LEADS",
	SP_STAGES_LEADS, lead_columns, lead_dup, lead_canonical, lead_dup_more,
	NULL };

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

size_t
sp_kind_dup_count(const sp_kind *k)
{
	size_t n = 1;

	while (k->dup_more != NULL && n - 1 < SP_DUP_MORE &&
	    k->dup_more[n - 1] != NULL)
		n++;
	return n;
}

const char *const *
sp_kind_dup_fields(const sp_kind *k, size_t which)
{
	return which == 0 ? k->dup_fields : k->dup_more[which - 1];
}

int
sp_phone_country_ok(const char *s)
{
	size_t i;

	if (*s == '+')
		s++;
	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return i >= 1 && i <= 3 && s[0] != '0';
}

size_t
sp_phone_key(const char *s, size_t n, const char *country, char *out,
    size_t size)
{
	char d[24];
	size_t nd = 0, i, len = 0, from = 0;
	int intl = 0, seen = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalpha(c))
			break;		/* an extension: x12, ext. 12 */
		if (c == '+' && !seen)
			intl = 1;
		/* +44 (0)20 ...: the trunk 0 shown in brackets */
		if (c == '(' && i + 2 < n && s[i + 1] == '0' && s[i + 2] == ')') {
			i += 2;
			continue;
		}
		if (!isdigit(c))
			continue;
		seen = 1;
		if (nd == sizeof(d))
			return 0;
		d[nd++] = (char)c;
	}
	if (!intl && nd >= 2 && d[0] == '0' && d[1] == '0') {
		intl = 1;	/* 0044 20 ...: the international prefix */
		from = 2;
	}
	if (nd - from < 7 || nd - from > 20 || size < 32)
		return 0;
	if (intl) {
		out[len++] = '+';
	} else if (country != NULL && *country != '\0') {
		const char *cc = *country == '+' ? country + 1 : country;
		out[len++] = '+';
		for (i = 0; cc[i] != '\0' && i < 3; i++)
			out[len++] = cc[i];
		/* the trunk prefix a national number is dialled with: 020 in
		   London, 1 before a North American area code */
		if (d[from] == '0')
			from++;
		else if (strcmp(cc, "1") == 0 && nd - from == 11 &&
		    d[from] == '1')
			from++;
	}
	for (i = from; i < nd; i++)
		out[len++] = d[i];
	return len;
}

size_t
sp_dup_key_make(const sp_kind *k, size_t which, const char *const *v,
    const size_t *n, char **buf, size_t *cap)
{
	const char *const *f = sp_kind_dup_fields(k, which);
	size_t len = 0, i, j, need;
	char phone[40];

	for (i = 0; f[i] != NULL; i++)
		if (v[i] == NULL || n[i] == 0)
			return 0;
	need = 3;
	for (i = 0; f[i] != NULL; i++)
		need += n[i] + 1;
	if (need + sizeof(phone) > *cap) {
		size_t c = (need + sizeof(phone)) * 2;
		char *b = realloc(*buf, c);
		if (b == NULL)
			return (size_t)-1;
		*buf = b;
		*cap = c;
	}
	if (which > 0) {
		(*buf)[len++] = '\x01';
		(*buf)[len++] = (char)('0' + which);
	}
	if (which > 0 && strcmp(f[0], "phone") == 0 && f[1] == NULL) {
		size_t pl = sp_phone_key(v[0], n[0], k->phone_country, phone,
		    sizeof(phone));
		if (pl == 0)
			return 0;
		memcpy(*buf + len, phone, pl);
		return len + pl;
	}
	for (i = 0; f[i] != NULL; i++) {
		if (i > 0)
			(*buf)[len++] = '\0';
		for (j = 0; j < n[i]; j++)
			(*buf)[len++] = (char)tolower((unsigned char)v[i][j]);
	}
	return len;
}

size_t
sp_entry_dup_key_n(const sp_entry *en, const sp_kind *k, size_t which,
    char **buf, size_t *cap)
{
	const char *const *f = sp_kind_dup_fields(k, which);
	const char *v[5];
	size_t n[5], i;

	for (i = 0; f[i] != NULL && i < 4; i++) {
		v[i] = sp_entry_get(en, f[i]);
		n[i] = v[i] != NULL ? strlen(v[i]) : 0;
	}
	v[i] = NULL;
	return sp_dup_key_make(k, which, v, n, buf, cap);
}
