/*
 * agg: tables of mergeable per-group aggregate states, their sorted
 * output from declared columns, and the partial format of --partial and
 * --merge.  See agg.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/group.h"

struct sp_agg_table {
	const sp_agg *a;
	sp_groups *g;
};

struct sp_agg_row {
	const sp_agg *a;
	sp_writer *w;
	size_t nkey;		/* -g columns */
	int has_period;
	const char **parts;	/* nkey (+1) group parts */
	const char **vals;	/* every column of the output row */
	char **cell;		/* the aggregate's cells, owned */
	size_t *cellcap;
	const char **ref;	/* or borrowed (sp_agg_set_ref) */
	int *mixed;
};

sp_agg_table *
sp_agg_table_new(const sp_agg *a)
{
	sp_agg_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->a = a;
	if ((t->g = sp_groups_new(a->state_size, NULL)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void *
sp_agg_get(sp_agg_table *t, const char *key, size_t keylen)
{
	size_t n = sp_groups_count(t->g);
	void *s = sp_groups_get(t->g, key, keylen);

	if (s != NULL && sp_groups_count(t->g) != n && t->a->init != NULL)
		t->a->init(t->a->ctx, s);
	return s;
}

size_t
sp_agg_count(const sp_agg_table *t)
{
	return sp_groups_count(t->g);
}

static int
merge_one(void *arg, const char *key, size_t keylen, void *from)
{
	void **x = arg;
	sp_agg_table *into = x[0];
	sp_error *e = x[1];
	void *s;

	if ((s = sp_agg_get(into, key, keylen)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	return into->a->merge(into->a->ctx, s, from, e) < 0 ? -1 : 0;
}

/* Free g calling a's fini on every state (sp_groups_free takes no ctx;
 * out of memory to list them, the states' own memory is lost). */
static void
groups_fini(const sp_agg *a, sp_groups *g)
{
	const char **keys;
	size_t *lens, n, i;
	void **states;

	if (a->fini != NULL && (n = sp_groups_sorted(g, &keys, &lens,
	    &states)) != (size_t)-1) {
		for (i = 0; i < n; i++)
			a->fini(a->ctx, states[i]);
		free(keys);
		free(lens);
		free(states);
	}
	sp_groups_free(g, NULL);
}

int
sp_agg_merge(sp_agg_table *into, sp_agg_table *from, sp_error *e)
{
	void *x[2] = { into, e };
	int rc = sp_agg_each(from, merge_one, x);
	sp_groups *g = from->g, *empty;

	if (rc > 0)
		rc = sp_err_set(e, NULL, "out of memory");
	/* from is left empty */
	if ((empty = sp_groups_new(from->a->state_size, NULL)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	groups_fini(from->a, g);
	from->g = empty;
	return rc;
}

void
sp_agg_table_free(sp_agg_table *t)
{
	if (t == NULL)
		return;
	groups_fini(t->a, t->g);
	free(t);
}

int
sp_agg_each(sp_agg_table *t, int (*fn)(void *arg, const char *key,
    size_t keylen, void *state), void *arg)
{
	const char **keys;
	size_t *lens, n, i;
	void **states;
	int rc = 0;

	if ((n = sp_groups_sorted(t->g, &keys, &lens, &states)) ==
	    (size_t)-1)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(arg, keys[i], lens[i], states[i]);
	free(keys);
	free(lens);
	free(states);
	return rc;
}

static int
writer_type(int t)
{
	switch (t) {
	case SP_AGG_RATIO:
		return SP_COL_RATIO;
	case SP_AGG_TEXT:
		return SP_COL_STR;
	default:
		return SP_COL_NUM;
	}
}

int
sp_agg_columns(const sp_agg *a, sp_writer *w, const char *const *names,
    size_t nkey, int has_period)
{
	size_t i;

	for (i = 0; i < nkey; i++)
		if (sp_writer_col(w, names[i], SP_COL_STR) < 0)
			return -1;
	if (has_period && sp_writer_col(w, a->period_col != NULL ?
	    a->period_col : "period", SP_COL_STR) < 0)
		return -1;
	for (i = 0; i < a->ncols; i++)
		if (sp_writer_col(w, a->cols[i].name,
		    writer_type(a->cols[i].type)) < 0)
			return -1;
	return 0;
}

void
sp_agg_set(sp_agg_row *r, size_t col, const char *text)
{
	size_t n = strlen(text) + 1;

	if (col >= r->a->ncols)
		return;
	if (n > r->cellcap[col]) {
		char *p = realloc(r->cell[col], n < 48 ? 48 : n);
		if (p == NULL)
			return;		/* sp_agg_emit reports it */
		r->cell[col] = p;
		r->cellcap[col] = n < 48 ? 48 : n;
	}
	memcpy(r->cell[col], text, n);
	r->ref[col] = NULL;
}

void
sp_agg_set_ref(sp_agg_row *r, size_t col, const char *text)
{
	if (col < r->a->ncols)
		r->ref[col] = text;
}

void
sp_agg_set_count(sp_agg_row *r, size_t col, int64_t n)
{
	char b[48];

	sp_agg_set(r, col, sp_count_format(n, b));
}

void
sp_agg_set_money(sp_agg_row *r, size_t col, const sp_money_sum *s)
{
	char b[48];

	if (s->mixed) {
		*r->mixed = 1;
		sp_agg_set(r, col, "");
		return;
	}
	sp_agg_set(r, col, sp_money_format_exact(s->v, b));
}

void
sp_agg_set_ratio(sp_agg_row *r, size_t col, int64_t num, int64_t den)
{
	char b[48];

	sp_agg_set(r, col, sp_ratio_text(num, den, b));
}

void
sp_agg_set_money_ratio(sp_agg_row *r, size_t col, const sp_money_sum *num,
    const sp_money_sum *den)
{
	char b[48];

	if (num->mixed || den->mixed) {
		*r->mixed = 1;
		sp_agg_set(r, col, "");
		return;
	}
	sp_agg_set(r, col, sp_ratio_text_money(num->v, den->v, b));
}

const char *
sp_agg_row_group(const sp_agg_row *r, size_t i)
{
	return i < r->nkey ? r->parts[i] : "";
}

const char *
sp_agg_row_period(const sp_agg_row *r)
{
	return r->has_period ? r->parts[r->nkey] : "";
}

int
sp_agg_emit(sp_agg_row *r, sp_error *e)
{
	size_t i, k = r->nkey + (r->has_period ? 1 : 0);

	for (i = 0; i < r->a->ncols; i++)
		r->vals[k + i] = r->ref[i] != NULL ? r->ref[i] :
		    r->cell[i] != NULL ? r->cell[i] : "";
	if (sp_writer_row(r->w, r->vals) < 0)
		return sp_err_set(e, NULL, "write error: %s", strerror(errno));
	for (i = 0; i < r->a->ncols; i++) {
		if (r->cell[i] != NULL)
			r->cell[i][0] = '\0';
		r->ref[i] = NULL;
	}
	return 0;
}

int
sp_agg_write(sp_agg_table *t, sp_writer *w, size_t nkey, int has_period,
    int *mixed, sp_error *e)
{
	const sp_agg *a = t->a;
	const char **keys;
	size_t *lens, n, i, j, np = nkey + (has_period ? 1 : 0);
	void **states;
	char *buf = NULL;
	size_t cap = 0;
	sp_agg_row r;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.w = w;
	r.nkey = nkey;
	r.has_period = has_period;
	r.mixed = mixed;
	r.parts = calloc(np + 1, sizeof(*r.parts));
	r.vals = calloc(np + a->ncols + 1, sizeof(*r.vals));
	r.cell = calloc(a->ncols + 1, sizeof(*r.cell));
	r.cellcap = calloc(a->ncols + 1, sizeof(*r.cellcap));
	r.ref = calloc(a->ncols + 1, sizeof(*r.ref));
	if (r.parts == NULL || r.vals == NULL || r.cell == NULL ||
	    r.cellcap == NULL || r.ref == NULL) {
		rc = sp_err_set(e, NULL, "out of memory");
		goto out;
	}
	if ((n = sp_groups_sorted(t->g, &keys, &lens, &states)) ==
	    (size_t)-1) {
		rc = sp_err_set(e, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (sp_group_key_split(keys[i], lens[i], np, r.parts, &buf,
		    &cap) < 0) {
			rc = sp_err_set(e, NULL, "out of memory");
			break;
		}
		for (j = 0; j < np; j++)
			r.vals[j] = r.parts[j];
		rc = a->rows(a->ctx, states[i], &r, e);
	}
	free(keys);
	free(lens);
	free(states);
out:
	if (r.cell != NULL)
		for (i = 0; i < a->ncols; i++)
			free(r.cell[i]);
	free(r.cell);
	free(r.cellcap);
	free(r.ref);
	free(r.parts);
	free(r.vals);
	free(buf);
	return rc;
}

static int
fini_one(void *arg, const char *key, size_t keylen, void *state)
{
	const sp_agg *a = arg;

	(void)key;
	(void)keylen;
	a->fini(a->ctx, state);
	return 0;
}

int
sp_agg_drain(sp_agg_table *t, sp_writer *w, size_t nkey, int has_period,
    int *mixed, sp_error *e)
{
	int rc = sp_agg_write(t, w, nkey, has_period, mixed, e);

	if (t->a->fini != NULL)
		sp_groups_each(t->g, fini_one, (void *)t->a);
	sp_groups_clear(t->g);
	return rc;
}

/* The partial format. */

struct save_ctx {
	sp_agg_table *t;
	FILE *fp;
	size_t np, nkey;
	int has_period;
	const char **parts;
	char *buf;
	size_t cap;
	sp_error *e;
};

static int
save_one(void *arg, const char *key, size_t keylen, void *state)
{
	struct save_ctx *x = arg;
	const sp_agg *a = x->t->a;
	json_t *line, *grp, *st;
	size_t i;
	int rc;

	if (sp_group_key_split(key, keylen, x->np, x->parts, &x->buf,
	    &x->cap) < 0)
		return sp_err_set(x->e, NULL, "out of memory");
	line = json_object();
	grp = json_array();
	st = a->save(a->ctx, state);
	if (line == NULL || grp == NULL || st == NULL) {
		json_decref(line);
		json_decref(grp);
		json_decref(st);
		return sp_err_set(x->e, NULL, "out of memory");
	}
	for (i = 0; i < x->nkey; i++)
		json_array_append_new(grp, json_string(x->parts[i]));
	json_object_set_new(line, "group", grp);
	if (x->has_period)
		json_object_set_new(line, "period",
		    json_string(x->parts[x->nkey]));
	json_object_set_new(line, "state", st);
	rc = json_dumpf(line, x->fp, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(line);
	if (rc < 0 || putc('\n', x->fp) == EOF)
		return sp_err_set(x->e, NULL, "write error: %s",
		    strerror(errno));
	return 0;
}

int
sp_agg_save(sp_agg_table *t, FILE *fp, size_t nkey, int has_period,
    sp_error *e)
{
	struct save_ctx x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.t = t;
	x.fp = fp;
	x.nkey = nkey;
	x.has_period = has_period;
	x.np = nkey + (has_period ? 1 : 0);
	x.e = e;
	if ((x.parts = calloc(x.np + 1, sizeof(*x.parts))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	rc = sp_agg_each(t, save_one, &x);
	if (rc > 0)
		rc = sp_err_set(e, NULL, "out of memory");
	free(x.parts);
	free(x.buf);
	return rc;
}

const json_t *
sp_agg_member(const json_t *o, const char *name, sp_error *e)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, name) : NULL;

	if (v == NULL)
		sp_err_set(e, name, "missing from the partial state");
	return v;
}

int
sp_agg_load_group(sp_agg_table *t, const json_t *line, size_t nkey,
    int has_period, sp_error *e)
{
	const sp_agg *a = t->a;
	const json_t *grp, *per, *st, *v;
	char *key = NULL, *p;
	size_t i, len = 0, n;
	void *s, *tmp = NULL;
	int rc = -1;

	if ((grp = sp_agg_member(line, "group", e)) == NULL ||
	    (st = sp_agg_member(line, "state", e)) == NULL)
		return -1;
	per = json_object_get(line, "period");
	if (!json_is_array(grp) || json_array_size(grp) != nkey)
		return sp_err_set(e, "group", "has %zu values, the options "
		    "name %zu -g fields", json_is_array(grp) ?
		    json_array_size(grp) : (size_t)0, nkey);
	if (has_period != (per != NULL) || (per != NULL &&
	    !json_is_string(per)))
		return sp_err_set(e, "period", has_period ? "missing" :
		    "present, but the options give no period");
	/* the key: values joined by SP_KEY_SEP */
	for (i = 0; i <= nkey; i++) {
		if (i < nkey && !json_is_string(v = json_array_get(grp, i)))
			return sp_err_set(e, "group", "value %zu is not a "
			    "string", i + 1);
		if (i == nkey && per == NULL)
			break;
		v = i < nkey ? json_array_get(grp, i) : per;
		n = json_string_length(v);
		if ((p = realloc(key, len + n + 1)) == NULL)
			goto oom;
		key = p;
		if (i > 0)
			key[len++] = SP_KEY_SEP;
		memcpy(key + len, json_string_value(v), n);
		len += n;
	}
	/* load into a fresh state, then merge: a group met twice adds up */
	if ((tmp = calloc(1, a->state_size ? a->state_size : 1)) == NULL)
		goto oom;
	if (a->init != NULL)
		a->init(a->ctx, tmp);
	if (a->load(a->ctx, tmp, st, e) < 0)
		goto out;
	if ((s = sp_agg_get(t, key != NULL ? key : "", len)) == NULL)
		goto oom;
	if (a->merge(a->ctx, s, tmp, e) < 0)
		goto out;
	rc = 0;
	goto out;
oom:
	sp_err_set(e, NULL, "out of memory");
out:
	if (tmp != NULL && a->fini != NULL)
		a->fini(a->ctx, tmp);
	free(tmp);
	free(key);
	return rc;
}

/* State helpers.  Money sums are exact 128-bit integers: written as a
 * decimal string, never through a double. */

json_t *
sp_agg_money_save(const sp_money_sum *s)
{
	char b[48], *p = b + sizeof(b);
	unsigned __int128 u;
	int neg = s->v < 0;

	u = neg ? -(unsigned __int128)s->v : (unsigned __int128)s->v;
	*--p = '\0';
	do {
		*--p = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	if (neg)
		*--p = '-';
	if (s->mixed)
		return json_pack("{s:s,s:s,s:b}", "v", p, "currency",
		    s->currency, "mixed", 1);
	return json_pack("{s:s,s:s}", "v", p, "currency", s->currency);
}

int
sp_agg_money_load(sp_money_sum *s, const json_t *v, sp_error *e)
{
	const json_t *m, *c, *x;
	const char *p;
	unsigned __int128 u = 0;
	int neg = 0;

	if ((m = sp_agg_member(v, "v", e)) == NULL ||
	    (c = sp_agg_member(v, "currency", e)) == NULL)
		return -1;
	if (!json_is_string(m) || !json_is_string(c) ||
	    json_string_length(c) >= sizeof(s->currency))
		return sp_err_set(e, "v", "not a money state");
	p = json_string_value(m);
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p == '\0')
		return sp_err_set(e, "v", "not a money state");
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || u > ((unsigned __int128)1 << 126)
		    / 10)
			return sp_err_set(e, "v", "not a money state");
		u = u * 10 + (unsigned)(*p - '0');
	}
	s->v = neg ? -(sp_money)u : (sp_money)u;
	memcpy(s->currency, json_string_value(c), json_string_length(c) + 1);
	x = json_object_get(v, "mixed");
	s->mixed = x != NULL && json_is_true(x);
	return 0;
}

int
sp_agg_int_load(int64_t *n, const json_t *v, const char *what, sp_error *e)
{
	if (!json_is_integer(v))
		return sp_err_set(e, what, "not an integer in the partial "
		    "state");
	*n = json_integer_value(v);
	return 0;
}

json_t *
sp_agg_dist_save(const sp_dist *d)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < d->n; i++)
		if (json_array_append_new(a, json_integer(d->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
sp_agg_dist_load(sp_dist *d, const json_t *v, const char *what, sp_error *e)
{
	size_t i;

	if (!json_is_array(v))
		return sp_err_set(e, what, "not a list of values in the "
		    "partial state");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *x = json_array_get(v, i);
		if (!json_is_integer(x))
			return sp_err_set(e, what, "value %zu is not an "
			    "integer", i + 1);
		if (sp_dist_add(d, json_integer_value(x)) < 0)
			return sp_err_set(e, NULL, "out of memory");
	}
	return 0;
}
