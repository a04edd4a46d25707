/*
 * rates: a small table of exchange rates, sorted by currency and then by
 * effective date, so that the rate in force at a time is one search.  The
 * file is read with the project's record reader (CSV or JSON lines), never
 * by hand.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "salespipe/field.h"
#include "salespipe/rates.h"
#include "salespipe/rec.h"

struct rate {
	char cur[8];
	int64_t from;		/* INT64_MIN: no from (always) */
	int64_t rate;		/* SP_RATE_UNIT per unit */
};

struct sp_rates {
	char target[8];
	char *path;		/* NULL: no --rates */
	struct rate *v;
	size_t n;
	int dated;
};

int
sp_rate_parse(const char *s, size_t n, int64_t *rate, sp_error *e)
{
	char q[80];
	size_t i = 0, m = n;
	uint64_t v = 0;
	int dec = -1, digits = 0, extra = 0;
	const char *t = s;

	while (m > 0 && isspace((unsigned char)*t)) {
		t++;
		m--;
	}
	while (m > 0 && isspace((unsigned char)t[m - 1]))
		m--;
	for (i = 0; i < m; i++) {
		if (t[i] == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (t[i] < '0' || t[i] > '9')
			return sp_err_set(e, NULL, "'%s' is not a rate (a positive "
			    "decimal such as 0.000244)", sp_err_quote(q,
			    sizeof(q), s, n));
		digits++;
		if (dec >= 0 && ++dec > 9) {
			extra |= t[i] != '0';
			continue;
		}
		if (v > ((uint64_t)INT64_MAX - 9) / 10)
			return sp_err_set(e, NULL, "'%s' is out of range for a "
			    "rate", sp_err_quote(q, sizeof(q), s, n));
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (digits == 0)
		return sp_err_set(e, NULL, "'%s' is not a rate (a positive "
		    "decimal such as 0.000244)", sp_err_quote(q, sizeof(q), s, n));
	if (extra)
		return sp_err_set(e, NULL, "'%s' has more than nine decimals (a "
		    "rate is read to the billionth; beyond that only zeros)",
		    sp_err_quote(q, sizeof(q), s, n));
	for (dec = dec < 0 ? 0 : dec; dec < 9; dec++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return sp_err_set(e, NULL, "'%s' is out of range for a "
			    "rate", sp_err_quote(q, sizeof(q), s, n));
		v *= 10;
	}
	if (v == 0)
		return sp_err_set(e, NULL, "'%s' is not a rate (zero)",
		    sp_err_quote(q, sizeof(q), s, n));
	*rate = (int64_t)v;
	return 0;
}

static int
cmp_rate(const void *a, const void *b)
{
	const struct rate *x = a, *y = b;
	int c = strcmp(x->cur, y->cur);

	if (c != 0)
		return c;
	return (x->from > y->from) - (x->from < y->from);
}

/* Upper-cased currency code of n bytes into out[8]; -1 if not one. */
static int
code_copy(char *out, const char *s, size_t n)
{
	size_t i;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= 8)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]))
			return -1;
		out[i] = (char)toupper((unsigned char)s[i]);
	}
	out[n] = '\0';
	return 0;
}

void
sp_rates_free(sp_rates *rs)
{
	if (rs == NULL)
		return;
	free(rs->v);
	free(rs->path);
	free(rs);
}

sp_rates *
sp_rates_load(const char *path, const char *target, sp_error *e)
{
	sp_rates *rs = calloc(1, sizeof(*rs));
	char *paths[1], q[80];
	sp_read_opts ro;
	sp_reader *rd = NULL;
	sp_rec *r = NULL;
	int sc, sr, sf, k;
	size_t i;

	if (rs == NULL) {
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	if (code_copy(rs->target, target, strlen(target)) < 0) {
		sp_err_set(e, NULL, "--currency: '%s' is not a currency code",
		    sp_err_quote(q, sizeof(q), target, strlen(target)));
		goto fail;
	}
	if (path == NULL)
		return rs;
	if ((rs->path = strdup(path)) == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto fail;
	}
	memset(&ro, 0, sizeof(ro));
	paths[0] = (char *)path;
	if ((r = sp_rec_new()) == NULL ||
	    (rd = sp_reader_open(paths, 1, &ro, e)) == NULL) {
		if (r == NULL)
			sp_err_set(e, NULL, "out of memory");
		goto fail;
	}
	sc = sp_reader_slot(rd, "currency");
	sr = sp_reader_slot(rd, "rate");
	sf = sp_reader_slot(rd, "from");
	if (sc < 0 || sr < 0 || sf < 0) {
		sp_err_set(e, NULL, "out of memory");
		goto fail;
	}
	while ((k = sp_reader_next(rd, r, e)) != 0) {
		struct rate x, *v;
		if (k < 0)
			goto fail;
		sp_err_where(e, r->file, r->line);
		if (code_copy(x.cur, sp_rec_has(r, sc) ? sp_rec_get(r, sc) : "",
		    sp_rec_len(r, sc)) < 0) {
			sp_err_set(e, "currency", sp_rec_has(r, sc) ? "'%s' is not a "
			    "currency code" : "missing (a rates file has the "
			    "columns currency,rate[,from])", sp_err_quote(q,
			    sizeof(q), sp_rec_get(r, sc) ? sp_rec_get(r, sc) : "",
			    sp_rec_len(r, sc)));
			goto fail;
		}
		if (!sp_rec_has(r, sr)) {
			sp_err_set(e, "rate", "missing (a rates file has the "
			    "columns currency,rate[,from])");
			goto fail;
		}
		if (sp_rate_parse(sp_rec_get(r, sr), sp_rec_len(r, sr), &x.rate, e) < 0) {
			sp_err_set(e, "rate", "%s", e->msg);
			goto fail;
		}
		x.from = INT64_MIN;
		if (sp_rec_has(r, sf)) {
			if (sp_time_parse(sp_rec_get(r, sf), sp_rec_len(r, sf), NULL,
			    &x.from, e) < 0) {
				sp_err_set(e, "from", "%s", e->msg);
				goto fail;
			}
			rs->dated = 1;
		}
		if (strcmp(x.cur, rs->target) == 0 && x.rate != SP_RATE_UNIT) {
			sp_err_set(e, "rate", "the rate of %s into itself "
			    "(--currency %s) is 1", x.cur, rs->target);
			goto fail;
		}
		if ((v = realloc(rs->v, (rs->n + 1) * sizeof(*v))) == NULL) {
			sp_err_set(e, NULL, "out of memory");
			goto fail;
		}
		rs->v = v;
		rs->v[rs->n++] = x;
	}
	qsort(rs->v, rs->n, sizeof(*rs->v), cmp_rate);
	for (i = 1; i < rs->n; i++)
		if (cmp_rate(&rs->v[i - 1], &rs->v[i]) == 0) {
			char d[32];
			sp_err_where(e, path, 0);
			sp_err_set(e, "currency", "%s has two rates from %s",
			    rs->v[i].cur, rs->v[i].from == INT64_MIN ?
			    "always (rows without from)" :
			    sp_time_format(rs->v[i].from, d));
			goto fail;
		}
	sp_reader_close(rd);
	sp_rec_free(r);
	return rs;
fail:
	sp_reader_close(rd);
	sp_rec_free(r);
	sp_rates_free(rs);
	return NULL;
}

const char *
sp_rates_target(const sp_rates *rs)
{
	return rs->target;
}

int
sp_rates_dated(const sp_rates *rs)
{
	return rs->dated;
}

int
sp_rates_find(const sp_rates *rs, const char *cur, size_t n, int64_t t,
    int64_t *rate, sp_error *e)
{
	char c[8], q[80], d[32];
	const struct rate *best = NULL;
	size_t i, lo = 0, hi = rs->n;
	int any = 0;

	if (code_copy(c, cur, n) < 0) {
		size_t m = n;
		const char *s = cur;
		while (m > 0 && isspace((unsigned char)*s)) {
			s++;
			m--;
		}
		if (m > 0)
			return sp_err_set(e, "currency", "'%s' is not a currency "
			    "code", sp_err_quote(q, sizeof(q), cur, n));
		strcpy(c, rs->target);	/* blank: taken to be in CODE */
	}
	if (strcmp(c, rs->target) == 0) {
		*rate = SP_RATE_UNIT;
		return 0;
	}
	/* the first row of c */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(rs->v[mid].cur, c) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < rs->n && strcmp(rs->v[i].cur, c) == 0; i++) {
		any = 1;
		if (rs->v[i].from <= t)
			best = &rs->v[i];
	}
	if (best != NULL) {
		*rate = best->rate;
		return 0;
	}
	if (rs->path == NULL)
		return sp_err_set(e, "currency", "'%s' is not %s (--currency): "
		    "give its rate with --rates FILE", c, rs->target);
	if (!any)
		return sp_err_set(e, "currency", "no rate for %s in %s (--rates)",
		    c, rs->path);
	return sp_err_set(e, "currency", "no rate for %s in force on %s in %s "
	    "(--rates; its first is from %s)", c, sp_date_format(t, d), rs->path,
	    sp_date_format(rs->v[lo].from, q));
}
