/*
 * rec: reading records.  Input is split into physical lines here (so line
 * numbers are real line numbers, blank lines included, and a bad record's
 * text can be copied verbatim); each line goes to libcsv or, for JSON
 * lines, to jansson.  Field names are interned as slots shared by all
 * inputs, after --map renamed them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "salespipe/group.h"
#include "salespipe/rec.h"

#define BUFSIZE (1 << 20)
#define HEADSIZE (1 << 16)	/* looked at before reading: BOM, format, CRs */

struct sp_reader {
	sp_read_opts opts;
	char **paths;
	size_t npaths, next;	/* next path to open */

	/* slots: interned field names */
	char **names;
	size_t nnames, namecap;
	sp_groups *slot_of;	/* name -> int (slot + 1) */

	FILE *memfp;		/* reader_open_mem: the first input */

	/* the current input */
	FILE *fp;
	const char *file;	/* display name */
	int fmt;		/* format of the current input */
	int first_fmt;
	int cr_mode;		/* lines end in a lone CR */
	int started;		/* first bytes seen (BOM, format, line ends) */
	int eof, failed;
	long lineno;		/* lines consumed so far */
	char *buf;
	size_t pos, len, bufsize;
	char *line;		/* a line that crossed the buffer end */
	size_t linecap;

	/* CSV state */
	struct csv_parser csv;
	int csv_live;
	int have_header;
	int *colslot;		/* column -> slot, -1 shadowed */
	size_t ncols;
	/* fields of the row being parsed: offsets into fbuf */
	char *fbuf;
	size_t flen, fcap;
	size_t *foff, *flens, nf, fofcap;
	const char *term;	/* terminator of the last line read */
	size_t *rowend;		/* completed rows: field index after each */
	long *rowline;		/* and the line each started on */
	size_t nrows, rowcap, qrow;	/* rows parsed, room, next to return */
	long row_line;		/* line the row being parsed started on */
	int oom;		/* a libcsv callback ran out of memory */
	char *raw;		/* text of the record being read */
	size_t rawlen, rawcap;
	long rec_line;		/* first line of the record being read */

	/* JSON state */
	sp_groups *json_slot;	/* input key -> int (slot + 1), per input */
	char **json_keys;	/* keys seen in this input, in order */
	size_t njson_keys, json_keycap;
	int *fields;		/* reader_fields() */
	size_t nfields, fieldcap;
	char *numtext;		/* number tokens of the current line */
	size_t numcap;
	int *kslot;		/* slot of each key of the current object */
	size_t kslotcap;
	char **prev;		/* keys of the previous object, in order */
	int *prevslot;
	size_t nprev, prevcap;
	size_t *offs;		/* value offsets by slot, + 1 (0: absent) */
	size_t offcap;
};

int
json_number_valid(const char *s, size_t n)
{
	const char *end = s + n;

	if (s < end && *s == '-')
		s++;
	if (s < end && *s == '0')
		s++;
	else if (s < end && *s >= '1' && *s <= '9')
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (s < end && *s == '.') {
		if (++s == end || *s < '0' || *s > '9')
			return 0;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s == end || *s < '0' || *s > '9')
			return 0;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	return s == end;
}

int
format_parse(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return SP_FMT_CSV;
	if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0 ||
	    strcmp(s, "ndjson") == 0)
		return SP_FMT_JSONL;
	if (strcmp(s, "table") == 0)
		return SP_FMT_TABLE;
	if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
		return SP_FMT_MD;
	return -1;
}

static int
grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((p = realloc(*(void **)pp, c * elem)) == NULL)
		return -1;
	*(void **)pp = p;
	*cap = c;
	return 0;
}

sp_rec *
rec_new(void)
{
	return calloc(1, sizeof(sp_rec));
}

void
rec_free(sp_rec *r)
{
	if (r == NULL)
		return;
	free(r->val);
	free(r->len);
	free(r->num);
	free(r->buf);
	free(r);
}

/* Make room for n slots, all absent; empty the buffer. */
static int
rec_reset(sp_rec *r, size_t n)
{
	size_t cap = r->valcap;

	if (n > cap) {
		size_t c = cap;
		if (grow(&r->val, &c, n, sizeof(*r->val)) < 0)
			return -1;
		c = cap;
		if (grow(&r->len, &c, n, sizeof(*r->len)) < 0)
			return -1;
		c = cap;
		if (grow(&r->num, &c, n, sizeof(*r->num)) < 0)
			return -1;
		r->valcap = c;
	}
	r->nslot = n;
	if (n > 0) {
		memset(r->val, 0, n * sizeof(*r->val));
		memset(r->len, 0, n * sizeof(*r->len));
		memset(r->num, 0, n * sizeof(*r->num));
	}
	r->bufsize = 0;
	return 0;
}

/* Append bytes + NUL to r->buf; returns the offset or (size_t)-1. */
static size_t
rec_append(sp_rec *r, const char *s, size_t n)
{
	size_t off = r->bufsize;

	if (grow(&r->buf, &r->bufcap, off + n + 1, 1) < 0)
		return (size_t)-1;
	if (n > 0)
		memcpy(r->buf + off, s, n);
	r->buf[off + n] = '\0';
	r->bufsize = off + n + 1;
	return off;
}

int
reader_slot(sp_reader *rd, const char *name)
{
	int *sp = groups_get(rd->slot_of, name, strlen(name));

	if (sp == NULL)
		return -1;
	if (*sp == 0) {
		if (grow(&rd->names, &rd->namecap, rd->nnames + 1,
		    sizeof(*rd->names)) < 0 ||
		    (rd->names[rd->nnames] = strdup(name)) == NULL)
			return -1;
		*sp = (int)++rd->nnames;
	}
	return *sp - 1;
}

size_t
reader_nslots(const sp_reader *rd)
{
	return rd->nnames;
}

const char *
reader_slot_name(const sp_reader *rd, int slot)
{
	if (slot < 0 || (size_t)slot >= rd->nnames)
		return NULL;
	return rd->names[slot];
}

const int *
reader_fields(const sp_reader *rd, size_t *n)
{
	*n = rd->nfields;
	return rd->fields;
}

int
reader_format(const sp_reader *rd)
{
	return rd->first_fmt;
}

sp_reader *
reader_open(char *const *paths, size_t n, const sp_read_opts *o,
    sp_error *e)
{
	sp_reader *rd = calloc(1, sizeof(*rd));
	static char *const dash[] = { "-" };
	size_t i;

	if (rd == NULL)
		goto nomem;
	if (o != NULL)
		rd->opts = *o;
	if (rd->opts.format != SP_FMT_AUTO && rd->opts.format != SP_FMT_CSV &&
	    rd->opts.format != SP_FMT_JSONL) {
		free(rd);
		err_set(e, NULL, "input format must be csv or jsonl");
		return NULL;
	}
	if (n == 0) {
		paths = dash;
		n = 1;
	}
	rd->bufsize = rd->opts.bufsize > 0 ? rd->opts.bufsize : BUFSIZE;
	if ((rd->paths = calloc(n, sizeof(*rd->paths))) == NULL)
		goto nomem;
	rd->npaths = n;
	for (i = 0; i < n; i++)
		if ((rd->paths[i] = strdup(paths[i])) == NULL)
			goto nomem;
	if ((rd->slot_of = groups_new(sizeof(int), NULL)) == NULL ||
	    (rd->buf = malloc(rd->bufsize > HEADSIZE ? rd->bufsize :
	    HEADSIZE)) == NULL)
		goto nomem;
	return rd;
nomem:
	reader_close(rd);
	err_set(e, NULL, "out of memory");
	return NULL;
}

static void
json_forget_keys(sp_reader *rd)
{
	size_t i;

	for (i = 0; i < rd->nprev; i++)
		free(rd->prev[i]);
	rd->nprev = 0;
}

static void
input_close(sp_reader *rd)
{
	size_t i;

	if (rd->fp != NULL && rd->fp != stdin)
		fclose(rd->fp);
	if (rd->fp == rd->memfp)
		rd->memfp = NULL;
	rd->fp = NULL;
	if (rd->csv_live)
		csv_free(&rd->csv);
	rd->csv_live = 0;
	free(rd->colslot);
	rd->colslot = NULL;
	rd->ncols = 0;
	groups_free(rd->json_slot, NULL);
	rd->json_slot = NULL;
	for (i = 0; i < rd->njson_keys; i++)
		free(rd->json_keys[i]);
	rd->njson_keys = 0;
	rd->nfields = 0;
	json_forget_keys(rd);
}

sp_reader *
reader_open_mem(const void *buf, size_t n, const char *name,
    const sp_read_opts *o, sp_error *e)
{
	char *const paths[] = { (char *)name };
	sp_reader *rd = reader_open(paths, 1, o, e);

	if (rd == NULL)
		return NULL;
	/* fmemopen wants at least one byte */
	rd->memfp = n > 0 ? fmemopen((void *)buf, n, "rb") :
	    fopen("/dev/null", "rb");
	if (rd->memfp == NULL) {
		reader_close(rd);
		err_set(e, NULL, "out of memory");
		return NULL;
	}
	return rd;
}

void
reader_close(sp_reader *rd)
{
	size_t i;

	if (rd == NULL)
		return;
	input_close(rd);
	if (rd->memfp != NULL)
		fclose(rd->memfp);
	for (i = 0; i < rd->npaths; i++)
		free(rd->paths[i]);
	free(rd->paths);
	for (i = 0; i < rd->nnames; i++)
		free(rd->names[i]);
	free(rd->names);
	groups_free(rd->slot_of, NULL);
	free(rd->buf);
	free(rd->line);
	free(rd->fbuf);
	free(rd->foff);
	free(rd->flens);
	free(rd->raw);
	free(rd->json_keys);
	free(rd->fields);
	free(rd->numtext);
	free(rd->kslot);
	free(rd->rowend);
	free(rd->rowline);
	free(rd->offs);
	free(rd->prev);
	free(rd->prevslot);
	free(rd);
}

static int
csv_is_space(unsigned char c)
{
	(void)c;
	return 0;		/* keep every byte: no trimming */
}

static void
csv_restart(sp_reader *rd)
{
	if (rd->csv_live)
		csv_free(&rd->csv);
	csv_init(&rd->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	csv_set_space_func(&rd->csv, csv_is_space);
	/* a field grows by this much at a time: 64 KiB, so a 10 MB field is
	   160 reallocations, not 80 000 */
	csv_set_blk_size(&rd->csv, 1 << 16);
	rd->csv_live = 1;
	rd->nf = 0;
	rd->flen = 0;
	rd->nrows = rd->qrow = 0;
}

/* Open the next input; 1 opened, 0 none left, -1 failed (e set). */
static int
input_next(sp_reader *rd, sp_error *e)
{
	const char *p;

	input_close(rd);
	if (rd->next >= rd->npaths)
		return 0;
	p = rd->paths[rd->next++];
	rd->file = strcmp(p, "-") == 0 ? "<stdin>" : p;
	rd->pos = rd->len = 0;
	rd->eof = rd->failed = rd->started = rd->cr_mode = 0;
	rd->lineno = 0;
	rd->have_header = 0;
	rd->fmt = rd->opts.format;
	if (rd->memfp != NULL)
		rd->fp = rd->memfp;
	else if (strcmp(p, "-") == 0)
		rd->fp = stdin;
	else if ((rd->fp = fopen(p, "rb")) == NULL) {
		rd->failed = 1;
		err_where(e, rd->file, 0);
		return err_set(e, NULL, "cannot open: %s", strerror(errno));
	}
	csv_restart(rd);
	return 1;
}

/* Refill the buffer keeping [pos, len).  0 ok, -1 read error. */
static int
fill(sp_reader *rd, sp_error *e)
{
	size_t n, room;

	if (rd->pos > 0) {
		memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
		rd->len -= rd->pos;
		rd->pos = 0;
	}
	/* at most bufsize at a time, into a buffer of at least HEADSIZE */
	room = (rd->bufsize > HEADSIZE ? rd->bufsize : HEADSIZE) - rd->len;
	n = fread(rd->buf + rd->len, 1, room < rd->bufsize ? room :
	    rd->bufsize, rd->fp);
	rd->len += n;
	if (n == 0) {
		if (ferror(rd->fp)) {
			err_where(e, rd->file, rd->lineno > 0 ? rd->lineno + 1 :
			    0);
			return err_set(e, NULL, "read error: %s",
			    strerror(errno));
		}
		rd->eof = 1;
	}
	return 0;
}

/*
 * The next physical line: *s, *n without its terminator, which is left in
 * rd->term ("\n", "\r\n", "\r", or "" at the end of input).  Returns 1,
 * 0 at end of input, -1 on a read error.
 */
static int
next_line(sp_reader *rd, const char **s, size_t *n, sp_error *e)
{
	char term = rd->cr_mode ? '\r' : '\n';
	size_t have = 0;

	for (;;) {
		char *b = rd->buf + rd->pos, *t;
		size_t avail = rd->len - rd->pos;

		t = memchr(b, term, avail);
		if (t != NULL || rd->eof) {
			size_t k = t ? (size_t)(t - b) : avail;
			if (t == NULL && have == 0 && avail == 0)
				return 0;
			rd->pos += t ? k + 1 : k;
			rd->lineno++;
			if (have == 0) {
				*s = b;
				*n = k;
			} else {
				if (grow(&rd->line, &rd->linecap, have + k + 1,
				    1) < 0)
					return err_set(e, NULL, "out of memory");
				memcpy(rd->line + have, b, k);
				*s = rd->line;
				*n = have + k;
			}
			rd->term = t == NULL ? "" : rd->cr_mode ? "\r" : "\n";
			if (t != NULL && !rd->cr_mode && *n > 0 &&
			    (*s)[*n - 1] == '\r') {
				(*n)--;
				rd->term = "\r\n";
			}
			return 1;
		}
		/* a line longer than what is left: keep it aside, read on */
		if (grow(&rd->line, &rd->linecap, have + avail + 1, 1) < 0)
			return err_set(e, NULL, "out of memory");
		memcpy(rd->line + have, b, avail);
		have += avail;
		rd->pos = rd->len;
		if (fill(rd, e) < 0)
			return -1;
	}
}

/* First bytes of an input: BOM, format, line ends. */
static int
start(sp_reader *rd, sp_error *e)
{
	size_t i;
	char *nl;

	/* the head of the input, however small the reads */
	do {
		if (fill(rd, e) < 0)
			return -1;
	} while (!rd->eof && rd->len < HEADSIZE);
	rd->started = 1;
	if (rd->len >= 3 && memcmp(rd->buf, "\xef\xbb\xbf", 3) == 0)
		rd->pos = 3;
	/* CR-only line ends (old Mac exports): CRs and not a single LF */
	nl = memchr(rd->buf + rd->pos, '\n', rd->len - rd->pos);
	if (nl == NULL && memchr(rd->buf + rd->pos, '\r', rd->len - rd->pos))
		rd->cr_mode = 1;
	if (rd->fmt == SP_FMT_AUTO) {
		rd->fmt = SP_FMT_CSV;
		for (i = rd->pos; i < rd->len; i++) {
			char c = rd->buf[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c == '{')
				rd->fmt = SP_FMT_JSONL;
			break;
		}
	}
	if (rd->first_fmt == SP_FMT_AUTO)
		rd->first_fmt = rd->fmt;
	if (rd->fmt == SP_FMT_JSONL &&
	    (rd->json_slot = groups_new(sizeof(int), NULL)) == NULL)
		return err_set(e, NULL, "out of memory");
	return 0;
}

/* ---- CSV ---------------------------------------------------------- */

static void
csv_field(void *s, size_t n, void *data)
{
	sp_reader *rd = data;

	if (rd->nf == rd->fofcap) {
		size_t c = rd->fofcap ? rd->fofcap * 2 : 64;
		size_t *a = realloc(rd->foff, c * sizeof(*a)), *b;
		if (a != NULL)
			rd->foff = a;
		b = a ? realloc(rd->flens, c * sizeof(*b)) : NULL;
		if (b == NULL) {
			rd->oom = 1;
			return;
		}
		rd->flens = b;
		rd->fofcap = c;
	}
	if (grow(&rd->fbuf, &rd->fcap, rd->flen + n + 1, 1) < 0) {
		rd->oom = 1;
		return;
	}
	if (n > 0)
		memcpy(rd->fbuf + rd->flen, s, n);
	rd->fbuf[rd->flen + n] = '\0';
	rd->foff[rd->nf] = rd->flen;
	rd->flens[rd->nf] = n;
	rd->flen += n + 1;
	rd->nf++;
}

static void
csv_row(int c, void *data)
{
	sp_reader *rd = data;

	(void)c;
	if (rd->nrows == rd->rowcap) {
		size_t cap = rd->rowcap ? rd->rowcap * 2 : 8;
		size_t *e = realloc(rd->rowend, cap * sizeof(*e));
		long *l;
		if (e != NULL)
			rd->rowend = e;
		if (e == NULL || (l = realloc(rd->rowline, cap *
		    sizeof(*l))) == NULL) {
			rd->oom = 1;
			return;
		}
		rd->rowline = l;
		rd->rowcap = cap;
	}
	rd->rowend[rd->nrows] = rd->nf;
	rd->rowline[rd->nrows++] = rd->row_line;
	rd->row_line = rd->lineno;	/* a next row starts on this line */
}

/*
 * A whole record on one line without a quote: split it on commas here,
 * exactly as libcsv would (no trimming), at a fraction of the cost.
 */
static void
csv_plain(sp_reader *rd, const char *s, size_t n)
{
	const char *end = s + n, *c;

	for (;;) {
		c = memchr(s, ',', (size_t)(end - s));
		csv_field((void *)s, c ? (size_t)(c - s) : (size_t)(end - s),
		    rd);
		if (c == NULL)
			break;
		s = c + 1;
	}
	csv_row(0, rd);
}

static int
raw_add(sp_reader *rd, const char *s, size_t n)
{
	if (grow(&rd->raw, &rd->rawcap, rd->rawlen + n + 2, 1) < 0)
		return -1;
	if (rd->rawlen > 0)
		rd->raw[rd->rawlen++] = '\n';
	memcpy(rd->raw + rd->rawlen, s, n);
	rd->rawlen += n;
	rd->raw[rd->rawlen] = '\0';
	return 0;
}

/* Intern the header row, fields [f0, f1), as column slots. */
static int
csv_header(sp_reader *rd, size_t f0, size_t f1, long line, sp_error *e)
{
	const char **names, **out;
	size_t i, nf = f1 - f0;
	sp_groups *seen = NULL;	/* name -> column + 1 */
	int rc = -1;

	err_where(e, rd->file, line);
	names = calloc(nf + 1, sizeof(*names));
	out = calloc(nf + 1, sizeof(*out));
	free(rd->colslot);
	rd->colslot = calloc(nf + 1, sizeof(*rd->colslot));
	if (names == NULL || out == NULL || rd->colslot == NULL) {
		err_set(e, NULL, "out of memory");
		goto done;
	}
	if ((seen = groups_new(sizeof(size_t), NULL)) == NULL) {
		err_set(e, NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < nf; i++) {
		size_t *col;
		names[i] = rd->fbuf + rd->foff[f0 + i];
		if (names[i][0] == '\0') {
			err_set(e, NULL, "header: column %zu has no name", i + 1);
			goto done;
		}
		if (strlen(names[i]) != rd->flens[f0 + i]) {
			err_set(e, NULL, "header: column %zu: name contains a "
			    "NUL byte", i + 1);
			goto done;
		}
		if ((col = groups_get(seen, names[i], rd->flens[f0 + i])) ==
		    NULL) {
			err_set(e, NULL, "out of memory");
			goto done;
		}
		if (*col != 0) {
			err_set(e, NULL, "header: column name '%.100s' appears "
			    "twice (columns %zu and %zu)", names[i], *col, i + 1);
			goto done;
		}
		*col = i + 1;
	}
	if (map_resolve(rd->opts.map, names, nf, out, e) < 0)
		goto done;
	rd->ncols = nf;
	rd->nfields = 0;
	for (i = 0; i < nf; i++) {
		rd->colslot[i] = out[i] ? reader_slot(rd, out[i]) : -1;
		if (out[i] && rd->colslot[i] < 0) {
			err_set(e, NULL, "out of memory");
			goto done;
		}
		if (rd->colslot[i] >= 0) {
			if (grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
			    sizeof(*rd->fields)) < 0) {
				err_set(e, NULL, "out of memory");
				goto done;
			}
			rd->fields[rd->nfields++] = rd->colslot[i];
		}
	}
	rd->have_header = 1;
	err_clear(e);
	rc = 0;
done:
	groups_free(seen, NULL);
	free(names);
	free(out);
	return rc;
}

/* Move the row of fields [f0, f1) into r.  1 ok, -1 bad record. */
static int
csv_fill(sp_reader *rd, size_t f0, size_t f1, sp_rec *r, sp_error *e)
{
	size_t i, nf = f1 - f0, base = rd->foff[f0];

	if (rec_reset(r, rd->nnames) < 0)
		return err_set(e, NULL, "out of memory");
	if (nf != rd->ncols)
		return err_set(e, NULL, "expected %zu fields as in the header, "
		    "found %zu", rd->ncols, nf);
	for (i = 0; i < nf; i++) {
		int s = rd->colslot[i];
		if (memchr(rd->fbuf + rd->foff[f0 + i], '\0',
		    rd->flens[f0 + i]) != NULL)
			return err_set(e, s >= 0 ? rd->names[s] : NULL,
			    "contains a NUL byte");
	}
	{
		size_t len = rd->foff[f1 - 1] + rd->flens[f1 - 1] + 1 - base;
		if (grow(&r->buf, &r->bufcap, len + 1, 1) < 0)
			return err_set(e, NULL, "out of memory");
		memcpy(r->buf, rd->fbuf + base, len);
		r->bufsize = len;
	}
	for (i = 0; i < nf; i++) {
		int s = rd->colslot[i];
		if (s < 0)
			continue;
		r->val[s] = r->buf + rd->foff[f0 + i] - base;
		r->len[s] = (uint32_t)rd->flens[f0 + i];
	}
	return 1;
}

/* Drop the fields of the rows already returned, keeping a partial row. */
static void
csv_compact(sp_reader *rd)
{
	size_t done = rd->nrows ? rd->rowend[rd->nrows - 1] : 0, i, off;

	if (done == 0) {
		rd->nrows = rd->qrow = 0;
		return;
	}
	off = done < rd->nf ? rd->foff[done] : rd->flen;
	memmove(rd->fbuf, rd->fbuf + off, rd->flen - off);
	rd->flen -= off;
	for (i = done; i < rd->nf; i++) {
		rd->foff[i - done] = rd->foff[i] - off;
		rd->flens[i - done] = rd->flens[i];
	}
	rd->nf -= done;
	rd->nrows = rd->qrow = 0;
}

/* The name of the field libcsv is in the middle of, or NULL. */
static const char *
csv_field_name(const sp_reader *rd)
{
	size_t k = rd->nf - (rd->nrows ? rd->rowend[rd->nrows - 1] : 0);

	if (!rd->have_header || k >= rd->ncols || rd->colslot[k] < 0)
		return NULL;
	return rd->names[rd->colslot[k]];
}

/*
 * 1 when a row is being parsed: fields of it seen, or libcsv inside one
 * (pstate 0 is libcsv's ROW_NOT_BEGUN, libcsv.c of 3.0.3).
 */
static int
csv_pending(const sp_reader *rd)
{
	size_t done = rd->nrows ? rd->rowend[rd->nrows - 1] : 0;

	return rd->nf > done || rd->csv.pstate != 0;
}

static int
csv_next(sp_reader *rd, sp_rec *r, sp_error *e)
{
	const char *s;
	size_t n, f0, f1;
	long line;
	int k, rc;

	for (;;) {
		if (rd->qrow < rd->nrows) {
			/* the next complete row */
			f0 = rd->qrow ? rd->rowend[rd->qrow - 1] : 0;
			f1 = rd->rowend[rd->qrow];
			line = rd->rowline[rd->qrow++];
			if (!rd->have_header) {
				if (csv_header(rd, f0, f1, line, e) < 0) {
					rd->failed = 1;
					return -2;
				}
				continue;
			}
			rc = csv_fill(rd, f0, f1, r, e);
			r->file = rd->file;
			r->line = line;
			r->raw = rd->raw;
			r->rawlen = rd->rawlen;
			return rc;
		}
		if (rd->nrows > 0) {
			csv_compact(rd);
			if (!csv_pending(rd))
				rd->rawlen = 0;
		}
		if (rd->eof == 3)
			return 0;
		k = next_line(rd, &s, &n, e);
		if (k < 0)
			return -2;
		if (k == 0) {
			/* end of input: finish a last row without newline */
			rd->eof = 3;
			if (!csv_pending(rd))
				return 0;
			if (csv_fini(&rd->csv, csv_field, csv_row, rd) != 0 ||
			    rd->nrows == 0) {
				err_where(e, rd->file, rd->row_line);
				err_set(e, csv_field_name(rd), "unterminated "
				    "quoted field (runs to the end of the input "
				    "at line %ld)", rd->lineno);
				goto bad;
			}
			continue;
		}
		if (!csv_pending(rd)) {
			if (n == 0)
				continue;	/* blank line */
			rd->row_line = rd->lineno;
			rd->rawlen = 0;
		}
		if (raw_add(rd, s, n) < 0)
			return err_set(e, NULL, "out of memory"), -2;
		if (rd->rawlen == n && memchr(s, '"', n) == NULL &&
		    memchr(s, '\r', n) == NULL) {
			csv_plain(rd, s, n);	/* the common case */
		} else if ((n > 0 && csv_parse(&rd->csv, s, n, csv_field, csv_row,
		    rd) != n) || csv_parse(&rd->csv, rd->term,
		    strlen(rd->term), csv_field, csv_row, rd) !=
		    strlen(rd->term)) {
			err_where(e, rd->file, rd->lineno);
			err_set(e, csv_field_name(rd), "%s", rd->csv.quoted ?
			    "text after the closing quote" :
			    "a quote inside an unquoted field");
			goto bad;
		}
		if (rd->oom)
			return err_set(e, NULL, "out of memory"), -2;
	}
bad:
	r->file = rd->file;
	r->line = rd->row_line;
	r->raw = rd->raw;
	r->rawlen = rd->rawlen;
	rd->rawlen = 0;
	csv_restart(rd);
	if (!rd->have_header) {
		rd->failed = 1;
		return -2;
	}
	return -1;
}

/* ---- JSON lines ------------------------------------------------------ */

/*
 * Copy the first `want` number tokens of a JSON text (outside strings)
 * into rd->numtext, NUL-separated, so that numbers keep their exact text.
 */
static int
json_numbers(sp_reader *rd, const char *s, size_t n, size_t want)
{
	size_t i = 0, o = 0, found = 0;

	while (i < n && found < want) {
		char c = s[i];
		if (c == '"') {
			/* skip the string: find a quote not escaped */
			size_t j = i + 1;
			for (;;) {
				const char *q = memchr(s + j, '"', n - j);
				size_t k, b;
				if (q == NULL) {
					i = n;
					break;
				}
				k = (size_t)(q - s);
				for (b = k; b > j && s[b - 1] == '\\'; b--)
					;
				if ((k - b) % 2 == 0) {
					i = k + 1;
					break;
				}
				j = k + 1;
			}
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t j = i;
			while (j < n && (s[j] == '-' || s[j] == '+' ||
			    s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
			    (s[j] >= '0' && s[j] <= '9')))
				j++;
			if (grow(&rd->numtext, &rd->numcap, o + j - i + 2, 1) < 0)
				return -1;
			memcpy(rd->numtext + o, s + i, j - i);
			o += j - i;
			rd->numtext[o++] = '\0';
			i = j;
			found++;
		} else
			i++;
	}
	if (grow(&rd->numtext, &rd->numcap, o + 1, 1) < 0)
		return -1;
	rd->numtext[o] = '\0';
	return 0;
}

/* jansson's complaint as ours: a duplicate key is named as the field. */
static int
json_error(const json_error_t *je, sp_error *e)
{
	const char *k = strstr(je->text, "near '\"");
	size_t n;
	char key[128];

	if (strstr(je->text, "duplicate object key") != NULL && k != NULL) {
		k += 7;
		n = strcspn(k, "\"");
		snprintf(key, sizeof(key), "%.*s", (int)(n < 100 ? n : 100), k);
		return err_set(e, key, "appears twice in one object");
	}
	return err_set(e, NULL, "invalid JSON at column %d: %s", je->column,
	    je->text);
}

/*
 * jansson refuses numbers beyond a double or an int64 (1e309,
 * 12345678901234567890), though their text is all we keep: parse a copy
 * with every number written as 0; json_numbers then takes the real text
 * from the original line.
 */
static json_t *
json_load_bignum(const char *s, size_t n, json_error_t *je)
{
	char *t = malloc(n + 1);
	size_t i = 0, o = 0;
	json_t *root;

	if (t == NULL)
		return NULL;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			/* copy the string through its closing quote */
			t[o++] = s[i++];
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					t[o++] = s[i++];
				t[o++] = s[i++];
			}
			if (i < n)
				t[o++] = s[i++];
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t j = i;
			while (i < n && (s[i] == '-' || s[i] == '+' ||
			    s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
			    (s[i] >= '0' && s[i] <= '9')))
				i++;
			if (json_number_valid(s + j, i - j))
				t[o++] = '0';
			else	/* malformed: leave it for jansson to refuse */
				for (; j < i; j++)
					t[o++] = s[j];
		} else
			t[o++] = s[i++];
	}
	root = json_loadb(t, o, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, je);
	free(t);
	return root;
}

/* Slot of input key k, re-resolving --map when a new key shows up. */
static int
json_key_slot(sp_reader *rd, const char *k, sp_error *e)
{
	int *sp = groups_get(rd->json_slot, k, strlen(k));
	const char **out;
	size_t i;

	if (sp == NULL)
		return err_set(e, NULL, "out of memory"), -2;
	if (*sp != 0)
		return *sp > 0 ? *sp - 1 : -1;	/* -1: shadowed by --map */
	if (grow(&rd->json_keys, &rd->json_keycap, rd->njson_keys + 1,
	    sizeof(*rd->json_keys)) < 0 ||
	    (rd->json_keys[rd->njson_keys] = strdup(k)) == NULL)
		return err_set(e, NULL, "out of memory"), -2;
	rd->njson_keys++;
	if (!map_mentions(rd->opts.map, k)) {
		/* a key --map does not know: itself, and nothing else moves */
		int s = reader_slot(rd, k);
		if (s < 0 || grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0)
			return err_set(e, NULL, "out of memory"), -2;
		rd->fields[rd->nfields++] = s;
		*sp = s + 1;
		return s;
	}
	if ((out = calloc(rd->njson_keys, sizeof(*out))) == NULL)
		return err_set(e, NULL, "out of memory"), -2;
	if (map_resolve(rd->opts.map, (const char *const *)rd->json_keys,
	    rd->njson_keys, out, e) < 0) {
		free(out);
		return -2;
	}
	rd->nfields = 0;
	for (i = 0; i < rd->njson_keys; i++) {
		int *q = groups_get(rd->json_slot, rd->json_keys[i],
		    strlen(rd->json_keys[i]));
		int s = out[i] ? reader_slot(rd, out[i]) : -1;
		if (q == NULL || (out[i] && s < 0) ||
		    grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0) {
			free(out);
			return err_set(e, NULL, "out of memory"), -2;
		}
		*q = s >= 0 ? s + 1 : -1;
		if (s >= 0)
			rd->fields[rd->nfields++] = s;
	}
	free(out);
	sp = groups_find(rd->json_slot, k, strlen(k));
	return *sp > 0 ? *sp - 1 : -1;
}

/*
 * Keep this object's nk keys and their slots: the next object most often
 * has the same keys in the same order, and a strcmp is cheaper than a
 * lookup.
 */
static int
json_remember_keys(sp_reader *rd, json_t *root, size_t nk)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	json_forget_keys(rd);
	if (grow(&rd->prev, &rd->prevcap, nk + 1, sizeof(*rd->prev)) < 0)
		return -1;
	if ((rd->prevslot = realloc(rd->prevslot, (rd->prevcap + 1) *
	    sizeof(*rd->prevslot))) == NULL)
		return -1;
	json_object_foreach(root, key, v) {
		if ((rd->prev[i] = strdup(key)) == NULL)
			return -1;
		rd->prevslot[i] = rd->kslot[i];
		rd->nprev = ++i;
	}
	return 0;
}

static int
json_next(sp_reader *rd, sp_rec *r, sp_error *e)
{
	const char *s, *key, *num;
	size_t n, i, off;
	json_t *root, *v;
	json_error_t je;
	int k, slot, rc = 1, hasnum = 0, same = 1;
	size_t *offs = NULL, nk;

	for (;;) {
		k = next_line(rd, &s, &n, e);
		if (k <= 0)
			return k < 0 ? -2 : 0;
		for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\r'); i++)
			;
		if (i < n)
			break;
	}
	/* s stays valid until the next line is read: no copy needed */
	r->file = rd->file;
	r->line = rd->lineno;
	r->raw = s;
	r->rawlen = n;
	if (memchr(s, '\0', n) != NULL)
		return err_set(e, NULL, "contains a NUL byte");
	root = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, &je);
	if (root == NULL && (strstr(je.text, "overflow") != NULL ||
	    strstr(je.text, "too big") != NULL))
		root = json_load_bignum(s, n, &je);
	if (root == NULL)
		return json_error(&je, e);
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(e, NULL, "a JSON lines record must be an object");
	}
	/* slots first (a new key may add a slot), then the values */
	nk = 0;
	json_object_foreach(root, key, v) {
		if (grow(&rd->kslot, &rd->kslotcap, nk + 1,
		    sizeof(*rd->kslot)) < 0)
			goto nomem;
		if (nk < rd->nprev && strcmp(key, rd->prev[nk]) == 0)
			slot = rd->prevslot[nk];
		else if ((same = 0, slot = json_key_slot(rd, key, e)) == -2) {
			json_decref(root);
			return -2;
		}
		rd->kslot[nk++] = slot;
		if (json_is_number(v))
			hasnum++;
	}
	if (hasnum > 0 && json_numbers(rd, s, n, (size_t)hasnum) < 0)
		goto nomem;
	if (rec_reset(r, rd->nnames) < 0 || grow(&rd->offs, &rd->offcap,
	    rd->nnames + 1, sizeof(*rd->offs)) < 0)
		goto nomem;
	offs = rd->offs;
	if (rd->nnames > 0)
		memset(offs, 0, rd->nnames * sizeof(*offs));
	num = rd->numtext;
	i = 0;
	json_object_foreach(root, key, v) {
		const char *t = NULL;
		size_t tl = 0;
		int isnum = 0;

		slot = rd->kslot[i++];
		switch (json_typeof(v)) {
		case JSON_STRING:
			t = json_string_value(v);
			tl = json_string_length(v);
			if (memchr(t, '\0', tl) != NULL) {
				rc = err_set(e, slot >= 0 ? rd->names[slot] : key,
				    "contains a NUL byte");
				goto out;
			}
			break;
		case JSON_INTEGER:
		case JSON_REAL:
			t = num;
			tl = strlen(num);
			num += tl + 1;
			isnum = 1;
			break;
		case JSON_TRUE:
			t = "true";
			tl = 4;
			break;
		case JSON_FALSE:
			t = "false";
			tl = 5;
			break;
		case JSON_NULL:
			continue;
		default:
			rc = err_set(e, slot >= 0 ? rd->names[slot] : key,
			    "nested objects and arrays are not supported");
			goto out;
		}
		if (slot < 0)
			continue;
		if ((off = rec_append(r, t, tl)) == (size_t)-1)
			goto nomem;
		offs[slot] = off + 1;
		r->len[slot] = (uint32_t)tl;
		r->num[slot] = (unsigned char)isnum;
	}
	if ((!same || nk != rd->nprev) && json_remember_keys(rd, root, nk) < 0)
		goto nomem;
	for (i = 0; i < rd->nnames; i++)
		if (offs[i] != 0)
			r->val[i] = r->buf + offs[i] - 1;
out:
	json_decref(root);
	return rc;
nomem:
	json_decref(root);
	return err_set(e, NULL, "out of memory"), -2;
}

int
reader_next(sp_reader *rd, sp_rec *r, sp_error *e)
{
	int k;

	err_clear(e);
	for (;;) {
		if (rd->fp == NULL || rd->failed || rd->eof == 2) {
			k = input_next(rd, e);
			if (k <= 0)
				return k < 0 ? -2 : 0;
		}
		if (!rd->started && start(rd, e) < 0) {
			rd->failed = 1;
			return -2;
		}
		k = rd->fmt == SP_FMT_JSONL ? json_next(rd, r, e) :
		    csv_next(rd, r, e);
		if (k == 0) {
			rd->eof = 2;
			continue;
		}
		if (k == -2)
			rd->failed = 1;
		/* a bad record's place is the record's (set only now: cheap) */
		if (k == -1 && e->file[0] == '\0')
			err_where(e, r->file, r->line);
		return k;
	}
}
