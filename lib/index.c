/*
 * index: the index of a journal's history that the write programs' checks
 * read (which ids exist, what stage each was in at a time, which id holds
 * an email).  The index keeps per id only its stage changes, so a
 * million-record journal costs tens of megabytes, and a JSON lines journal
 * is parsed only on the lines that can matter when a program asks about a
 * few ids.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/entry.h"
#include "salespipe/index.h"
#include "salespipe/field.h"
#include "salespipe/group.h"

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

	if (d == NULL)
		return -1;
	if (d->cap == 0) {
		int64_t v = sp_index_id_number(x->k, id, idlen);
		d->first = INT64_MAX;
		/* "D-17": the number, for the next id */
		if (v > x->max_number)
			x->max_number = v;
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
	if (duplen > 0)
		return sp_index_add_dup(x, id, idlen, dup, duplen);
	return 0;
}

int
sp_index_add_dup(sp_index *x, const char *id, size_t idlen, const char *dup,
    size_t duplen)
{
	struct xdup *u = sp_groups_get(x->dups, dup, duplen);

	if (u == NULL)
		return -1;
	if (u->id == NULL && (u->id = strndup(id, idlen)) == NULL)
		return -1;
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
	size_t nmore;			/* the kind's more keys */
	int more[SP_DUP_MORE][4];	/* their fields' slots (-1 ends) */
	char *mbuf[SP_DUP_MORE];	/* and their keys */
	size_t mcap[SP_DUP_MORE];
};

/*
 * What one journal record says (id, at, its stage as written, the dup key
 * in *dbuf), or -1 with e naming the field that makes it a bad history
 * record.  The one place that reads a journal record: the index and the
 * sidecar index (sidecar.c, through sp_index_scan) read alike.
 */
static int
rec_item(const sp_kind *k, const sp_rec *r, struct rd_slots *s,
    char **dbuf, size_t *dcap, sp_index_item *it, sp_error *e)
{
	size_t len = 0, i, j;

	memset(it, 0, sizeof(*it));
	it->line = r->line;
	it->id = sp_rec_get(r, s->id);
	it->idlen = sp_rec_len(r, s->id);
	if (it->idlen == 0)
		return sp_err_set(e, "id", "missing: a journal record needs the "
		    "id of its %s", k->noun);
	if (!sp_rec_has(r, s->at))
		return sp_err_set(e, "at", "missing: a journal record needs the "
		    "time it became true");
	if (sp_time_parse(sp_rec_get(r, s->at), sp_rec_len(r, s->at), NULL,
	    &it->at, e) < 0)
		return sp_err_set(e, "at", "%s", e->msg);
	if (sp_rec_has(r, s->stage)) {
		it->stage = sp_rec_get(r, s->stage);
		it->stagelen = sp_rec_len(r, s->stage);
	}
	for (i = 0; i < s->ndup; i++) {
		const char *v = sp_rec_get(r, s->dup[i]);
		size_t n = sp_rec_len(r, s->dup[i]);
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
	it->dup = len > 0 ? *dbuf : NULL;
	it->duplen = len;
	for (i = 0; i < s->nmore; i++) {
		const char *v[4] = { NULL, NULL, NULL, NULL };
		size_t n[4] = { 0, 0, 0, 0 };
		for (j = 0; j < 4 && s->more[i][j] >= 0; j++) {
			v[j] = sp_rec_get(r, s->more[i][j]);
			n[j] = sp_rec_len(r, s->more[i][j]);
		}
		len = sp_dup_key_make(k, i + 1, v, n, &s->mbuf[i], &s->mcap[i]);
		if (len == (size_t)-1)
			return sp_err_set(e, NULL, "out of memory");
		it->more[i] = len > 0 ? s->mbuf[i] : NULL;
		it->morelen[i] = len;
	}
	return 0;
}

/* Index one record of the journal (an sp_index_fn for index_reader). */
static int
index_item(void *ctx, const sp_index_item *it, sp_error *e)
{
	sp_index *x = ctx;
	int stage = -1;
	char q[80];
	size_t i;

	if (it->stagelen > 0 && (stage = sp_stages_find(x->st, it->stage,
	    it->stagelen)) < 0)
		return sp_err_set(e, "stage", "unknown stage '%s' (known: %s)",
		    sp_err_quote(q, sizeof(q), it->stage, it->stagelen),
		    sp_stages_known(x->st));
	if (sp_index_add(x, it->id, it->idlen, it->at, stage, it->dup,
	    it->duplen) < 0)
		return sp_err_set(e, NULL, "out of memory");
	for (i = 0; i < SP_DUP_MORE; i++)
		if (it->morelen[i] > 0 && sp_index_add_dup(x, it->id, it->idlen,
		    it->more[i], it->morelen[i]) < 0)
			return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/*
 * Read the records of rd (kind k) and call fn(ctx, item) on each;
 * line_base is added to the lines of items and errors.  A bad record, or
 * fn's -1, stops it: -1 with e naming the record's line.  For a CSV input
 * *header (may be NULL) gets its field names.
 */
static int
index_reader(const sp_kind *k, sp_reader *rd, long line_base,
    char ***header, sp_index_fn fn, void *ctx, sp_error *e)
{
	struct rd_slots s;
	sp_index_item it;
	sp_rec *r = sp_rec_new();
	char *dbuf = NULL;
	size_t dcap = 0, i;
	int n, rc = 0, got_header = header == NULL;

	memset(&s, 0, sizeof(s));
	if (r == NULL)
		return sp_err_set(e, NULL, "out of memory");
	s.id = sp_reader_slot(rd, "id");
	s.at = sp_reader_slot(rd, "at");
	s.stage = sp_reader_slot(rd, "stage");
	for (i = 0; k->dup_fields[i] != NULL && i < 4; i++)
		s.dup[s.ndup++] = sp_reader_slot(rd, k->dup_fields[i]);
	s.nmore = sp_kind_dup_count(k) - 1;
	for (i = 0; i < s.nmore; i++) {
		const char *const *f = sp_kind_dup_fields(k, i + 1);
		size_t j;
		for (j = 0; j < 4; j++)
			s.more[i][j] = -1;
		for (j = 0; j < 3 && f[j] != NULL; j++)
			s.more[i][j] = sp_reader_slot(rd, f[j]);
	}
	for (;;) {
		n = sp_reader_next(rd, r, e);
		if (!got_header && n >= 0) {
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
		if (n == 0)
			break;
		if (n == 1 && rec_item(k, r, &s, &dbuf, &dcap, &it, e) == 0) {
			it.line += line_base;
			if (fn(ctx, &it, e) == 0)
				continue;
		}
		if (n == 1)
			sp_err_where(e, r->file, r->line);
		if (e->line > 0)
			e->line += line_base;
		rc = -1;
		break;
	}
	free(dbuf);
	for (i = 0; i < SP_DUP_MORE; i++)
		free(s.mbuf[i]);
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
		rc = index_reader(x->k, rd, line - 1 - (hdrlen > 0),
		    header != NULL && *header == NULL ? header : NULL,
		    index_item, x, e);
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
	rc = index_reader(x->k, rd, 0, fmt == SP_FMT_CSV ? header : NULL,
	    index_item, x, e);
	sp_reader_close(rd);
	if (rc < 0 && header != NULL) {
		sp_index_header_free(*header);
		*header = NULL;
	}
	return rc;
}

int64_t
sp_index_id_number(const sp_kind *k, const char *id, size_t idlen)
{
	size_t pl = strlen(k->prefix), i;
	int64_t v = 0;

	if (idlen <= pl || idlen - pl > 18 || memcmp(id, k->prefix, pl) != 0)
		return -1;
	for (i = pl; i < idlen && isdigit((unsigned char)id[i]); i++)
		v = v * 10 + (id[i] - '0');
	return i == idlen ? v : -1;
}

int
sp_index_scan(const sp_kind *k, const char *text, size_t n, int fmt,
    const char *path, long line_base, sp_index_fn fn, void *ctx, sp_error *e)
{
	sp_read_opts o;
	sp_reader *rd;
	int rc;

	sp_err_clear(e);
	if (n == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	o.format = fmt;
	if ((rd = sp_reader_open_mem(text, n, path, &o, e)) == NULL)
		return -1;
	rc = index_reader(k, rd, line_base, NULL, fn, ctx, e);
	sp_reader_close(rd);
	return rc;
}

int
sp_index_read_ranges(sp_index *x, const char *text, size_t n, int fmt,
    const char *path, size_t hdrlen, const sp_index_range *r, size_t nr,
    char ***header, sp_error *e)
{
	sp_read_opts o;
	sp_reader *rd;
	char *buf;
	size_t len = fmt == SP_FMT_CSV ? hdrlen : 0, i;
	int rc;

	sp_err_clear(e);
	if (header != NULL)
		*header = NULL;
	for (i = 0; i < nr; i++) {
		if (r[i].off > n || r[i].len > n - r[i].off ||
		    (i > 0 && r[i].off < r[i - 1].off + r[i - 1].len))
			return sp_err_set(e, NULL, "a record range is outside "
			    "the journal");
		len += r[i].len;
	}
	if (len == 0)
		return 0;
	if (hdrlen > n || (buf = malloc(len)) == NULL)
		return sp_err_set(e, NULL, hdrlen > n ? "the header is outside "
		    "the journal" : "out of memory");
	len = 0;
	if (fmt == SP_FMT_CSV) {
		memcpy(buf, text, hdrlen);
		len = hdrlen;
	}
	for (i = 0; i < nr; i++) {
		memcpy(buf + len, text + r[i].off, r[i].len);
		len += r[i].len;
	}
	memset(&o, 0, sizeof(o));
	o.format = fmt;
	if ((rd = sp_reader_open_mem(buf, len, path, &o, e)) == NULL) {
		free(buf);
		return -1;
	}
	rc = index_reader(x->k, rd, 0, fmt == SP_FMT_CSV ? header : NULL,
	    index_item, x, e);
	sp_reader_close(rd);
	free(buf);
	if (rc < 0 && header != NULL) {
		sp_index_header_free(*header);
		*header = NULL;
	}
	return rc;
}
