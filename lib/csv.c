/*
 * csv: CSV records from the physical lines input.c reads.  A line without
 * a quote is split here; any other goes through libcsv (strict, nothing
 * trimmed), whose rows are queued with the line each started on.  The
 * header row interns the columns as slots, after --map.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "reader_impl.h"

static int
csv_is_space(unsigned char c)
{
	(void)c;
	return 0;		/* keep every byte: no trimming */
}

void
sp_rd_csv_restart(sp_reader *rd)
{
	if (rd->csv_live)
		csv_free(&rd->csv);
	csv_init(&rd->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	csv_set_space_func(&rd->csv, csv_is_space);
	csv_set_delim(&rd->csv, (unsigned char)rd->delim);
	/* a field grows by this much at a time: 64 KiB, so a 10 MB field is
	   160 reallocations, not 80 000 */
	csv_set_blk_size(&rd->csv, 1 << 16);
	rd->csv_live = 1;
	rd->nf = 0;
	rd->flen = 0;
	rd->nrows = rd->qrow = 0;
}

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
	if (sp_rd_grow(&rd->fbuf, &rd->fcap, rd->flen + n + 1, 1) < 0) {
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
 * A whole record on one line without a quote: split it on the separator,
 * exactly as libcsv would (no trimming), at a fraction of the cost.
 */
static void
csv_plain(sp_reader *rd, const char *s, size_t n)
{
	const char *end = s + n, *c;

	for (;;) {
		c = memchr(s, rd->delim, (size_t)(end - s));
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
	if (sp_rd_grow_upto(&rd->raw, &rd->rawcap, rd->rawlen + n + 2,
	    rd->maxrec + 2) < 0)
		return -1;
	if (rd->rawlen > 0)
		rd->raw[rd->rawlen++] = '\n';
	memcpy(rd->raw + rd->rawlen, s, n);
	rd->rawlen += n;
	rd->raw[rd->rawlen] = '\0';
	return 0;
}

/*
 * A header of one column whose name holds another separator: the file is
 * separated by it, and every record would be one field too.
 */
static int
header_one_field(sp_reader *rd, const char *name, sp_error *e)
{
	static const char seps[] = ";\t,";
	const char *p;
	char q[80];

	for (p = seps; *p != '\0'; p++)
		if (*p != rd->delim && strchr(name, *p) != NULL)
			return sp_err_set(e, NULL, "header: one column named '%s': "
			    "is the file separated by %s? try --delimiter %s",
			    sp_err_quote(q, sizeof(q), name, strlen(name)),
			    *p == '\t' ? "tabs" : *p == ';' ? "semicolons" :
			    "commas", *p == '\t' ? "tab" : *p == ';' ? "';'" :
			    "','");
	return 0;
}

/*
 * Every field of sp_reader_require must have a column (after --map): else
 * name it, list the header, and point at --map.
 */
static int
header_required(sp_reader *rd, const char *const *names,
    const char *const *out, size_t nf, sp_error *e)
{
	char list[640], q[80];
	size_t s, i, o;

	for (s = 0; s < rd->usecap && s < rd->nnames; s++) {
		if (rd->use[s] != 2)
			continue;
		for (i = 0; i < nf; i++)
			if (out[i] != NULL && strcmp(out[i], rd->names[s]) == 0)
				break;
		if (i < nf)
			continue;
		for (i = o = 0; i < nf; i++) {
			sp_err_quote(q, sizeof(q), names[i], strlen(names[i]));
			if (o + strlen(q) + 8 >= sizeof(list)) {
				snprintf(list + o, sizeof(list) - o, "%s...",
				    i > 0 ? ", " : "");
				break;
			}
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    "%s%s", i > 0 ? ", " : "", q);
		}
		return sp_err_set(e, rd->names[s], "no column in the header (%s); "
		    "name the column that holds it with --map %s=COLUMN",
		    list, rd->names[s]);
	}
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

	sp_err_where(e, rd->file, line);
	names = calloc(nf + 1, sizeof(*names));
	out = calloc(nf + 1, sizeof(*out));
	free(rd->colslot);
	rd->colslot = calloc(nf + 1, sizeof(*rd->colslot));
	if (names == NULL || out == NULL || rd->colslot == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto done;
	}
	if ((seen = sp_groups_new(sizeof(size_t), NULL)) == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < nf; i++) {
		size_t *col;
		names[i] = rd->fbuf + rd->foff[f0 + i];
		if (names[i][0] == '\0') {
			sp_err_set(e, NULL, "header: column %zu has no name", i + 1);
			goto done;
		}
		if (strlen(names[i]) != rd->flens[f0 + i]) {
			sp_err_set(e, NULL, "header: column %zu: name contains a "
			    "NUL byte%s", i + 1, rd->enc == SP_ENC_AUTO ?
			    " (UTF-16 without a byte order mark? try "
			    "--encoding utf-16le or utf-16be)" : "");
			goto done;
		}
		if ((col = sp_groups_get(seen, names[i], rd->flens[f0 + i])) ==
		    NULL) {
			sp_err_set(e, NULL, "out of memory");
			goto done;
		}
		if (*col != 0) {
			sp_err_set(e, NULL, "header: column name '%.100s' appears "
			    "twice (columns %zu and %zu)", names[i], *col, i + 1);
			goto done;
		}
		*col = i + 1;
	}
	if (nf == 1 && header_one_field(rd, names[0], e) < 0)
		goto done;
	if (sp_map_resolve(rd->opts.map, names, nf, out, e) < 0)
		goto done;
	sp_map_fold_case(names, nf, out);
	if (header_required(rd, names, out, nf, e) < 0)
		goto done;
	rd->ncols = nf;
	rd->nfields = 0;
	for (i = 0; i < nf; i++) {
		rd->colslot[i] = out[i] ? sp_reader_slot(rd, out[i]) : -1;
		if (out[i] && rd->colslot[i] < 0) {
			sp_err_set(e, NULL, "out of memory");
			goto done;
		}
		if (rd->colslot[i] >= 0) {
			if (sp_rd_grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
			    sizeof(*rd->fields)) < 0) {
				sp_err_set(e, NULL, "out of memory");
				goto done;
			}
			rd->fields[rd->nfields++] = rd->colslot[i];
		}
	}
	rd->have_header = 1;
	sp_err_clear(e);
	rc = 0;
done:
	sp_groups_free(seen, NULL);
	free(names);
	free(out);
	return rc;
}

/* Move the row of fields [f0, f1) into r.  1 ok, -1 bad record. */
static int
csv_fill(sp_reader *rd, size_t f0, size_t f1, long line, sp_rec *r,
    sp_error *e)
{
	size_t i, nf = f1 - f0, base = rd->foff[f0], extra = 0, len;
	int utf8 = rd->cd == (iconv_t)-1;

	if (sp_rd_rec_reset(r, rd->nnames) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (nf != rd->ncols)
		return sp_err_set(e, NULL, "expected %zu fields as in the header, "
		    "found %zu", rd->ncols, nf);
	for (i = 0; i < nf; i++) {
		int s = rd->colslot[i];
		const char *v = rd->fbuf + rd->foff[f0 + i];
		size_t n = rd->flens[f0 + i];
		if (sp_rd_text_ok(v, n, utf8))
			continue;
		if (sp_rd_checked(rd, s))
			return sp_rd_not_text(rd, s, v, n, e);
		if (s >= 0)
			extra += 3 * n + 1;
	}
	len = rd->foff[f1 - 1] + rd->flens[f1 - 1] + 1 - base;
	if (sp_rd_grow(&r->buf, &r->bufcap, len + extra + 1, 1) < 0)
		return sp_err_set(e, NULL, "out of memory");
	memcpy(r->buf, rd->fbuf + base, len);
	r->bufsize = len;
	for (i = 0; i < nf; i++) {
		int s = rd->colslot[i];
		size_t off = rd->foff[f0 + i] - base, n = rd->flens[f0 + i];
		if (s < 0)
			continue;
		if (extra > 0 && !sp_rd_text_ok(r->buf + off, n, utf8)) {
			/* a field the program does not read: mended */
			n = sp_rd_text_fix(r->buf + r->bufsize, r->buf + off, n,
			    utf8);
			off = r->bufsize;
			r->buf[off + n] = '\0';
			r->bufsize += n + 1;
			sp_rd_note_fix(rd, s, line);
		}
		r->val[s] = r->buf + off;
		r->len[s] = (uint32_t)n;
	}
	return 1;
}

/*
 * The common case at its cheapest: a whole record on one line of ASCII
 * text (no NUL, no byte of 0x80 or more) without a quote or a CR, after
 * the header.  Its fields are what csv_plain and csv_fill would make of
 * it (split on the separator, nothing trimmed, all text), cut in place
 * in r's buffer: one copy, not three.  1 when r holds it, 0 when the line
 * must go the general way (any other byte, another number of fields; or
 * out of memory, which the general way reports).
 */
static int
csv_fast(sp_reader *rd, const char *s, size_t n, sp_rec *r)
{
	const uint64_t ones = 0x0101010101010101ULL,
	    high = 0x8080808080808080ULL, low = 0x7f7f7f7f7f7f7f7fULL;
	const uint64_t quote = ones * '"', cr = ones * '\r',
	    sep = ones * (unsigned char)rd->delim;
	size_t i, f = 0, from = 0, to;
	uint64_t w, a, b, d;
	char *p;
	int slot;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	return 0;	/* the byte order below is little-endian's */
#endif
	if (sp_rd_rec_reset(r, rd->nnames) < 0 ||
	    sp_rd_grow(&r->buf, &r->bufcap, n + 8, 1) < 0)
		return 0;
	p = r->buf;
	memcpy(p, s, n);
	memset(p + n, 0, 8);	/* the last word's bytes past n: zero */
	r->bufsize = n + 1;
	/*
	 * Eight bytes at a time.  Refused: a high bit, a zero byte (but
	 * past n), a quote, a CR (a byte x is zero where (x - ones) & ~x has
	 * its high bit: exact for whether there is one).  Each separator
	 * ends a field: where (x & low) + low, or'd with x, lacks the high
	 * bit (exact for every byte, as no high bit is set).
	 */
	for (i = 0; i < n; i += 8) {
		memcpy(&w, p + i, 8);
		a = w ^ quote;
		b = w ^ cr;
		d = w | ((a - ones) & ~a) | ((b - ones) & ~b);
		if (n - i < 8)	/* the padding's zeros are no zero byte */
			w |= ~(uint64_t)0 << 8 * (n - i);
		if (((d | ((w - ones) & ~w)) & high) != 0)
			return 0;
		d = w ^ sep;
		d = ~(((d & low) + low) | d | low);
		for (; d != 0; d &= d - 1) {
			to = i + (size_t)__builtin_ctzll(d) / 8;
			if (f + 1 >= rd->ncols)
				return 0;	/* too many fields */
			p[to] = '\0';
			if ((slot = rd->colslot[f]) >= 0) {
				r->val[slot] = p + from;
				r->len[slot] = (uint32_t)(to - from);
			}
			f++;
			from = to + 1;
		}
	}
	if (f + 1 != rd->ncols)
		return 0;
	if ((slot = rd->colslot[f]) >= 0) {
		r->val[slot] = p + from;
		r->len[slot] = (uint32_t)(n - from);
	}
	return 1;
}

void
sp_rd_csv_close(sp_reader *rd)
{
	if (rd->csv_live)
		csv_free(&rd->csv);
	rd->csv_live = 0;
	free(rd->colslot);
	rd->colslot = NULL;
	rd->ncols = 0;
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

int
sp_rd_csv_idle(const sp_reader *rd)
{
	return rd->qrow == rd->nrows && !csv_pending(rd);
}

int
sp_rd_csv_next(sp_reader *rd, sp_rec *r, sp_error *e)
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
			rc = csv_fill(rd, f0, f1, line, r, e);
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
		k = sp_rd_next_line(rd, &s, &n, e);
		if (k < 0)
			return -2;
		if (k == 0) {
			/* end of input: finish a last row without newline */
			rd->eof = 3;
			if (!csv_pending(rd))
				return 0;
			if (rd->stop > 0) {
				/* a part of a split reader ends inside a
				   record: the file changed after the split */
				rd->inexact = 1;
				return 0;
			}
			if (csv_fini(&rd->csv, csv_field, csv_row, rd) != 0 ||
			    rd->nrows == 0) {
				sp_err_where(e, rd->file, rd->row_line);
				sp_err_set(e, csv_field_name(rd), "unterminated "
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
			if (rd->have_header && n <= rd->maxrec &&
			    csv_fast(rd, s, n, r)) {
				r->file = rd->file;
				r->line = rd->lineno;
				r->raw = s;	/* lives until the next line */
				r->rawlen = n;
				return 1;
			}
		}
		if (rd->rawlen + n > rd->maxrec) {
			/* a quoted field that never ends */
			sp_rd_too_long(rd, e);
			sp_err_where(e, rd->file, rd->row_line);
			return -2;
		}
		if (raw_add(rd, s, n) < 0)
			return sp_err_set(e, NULL, "out of memory"), -2;
		if (rd->rawlen == n && memchr(s, '"', n) == NULL &&
		    memchr(s, '\r', n) == NULL) {
			csv_plain(rd, s, n);	/* the common case */
		} else if ((n > 0 && csv_parse(&rd->csv, s, n, csv_field, csv_row,
		    rd) != n) || csv_parse(&rd->csv, rd->term,
		    strlen(rd->term), csv_field, csv_row, rd) !=
		    strlen(rd->term)) {
			sp_err_where(e, rd->file, rd->lineno);
			sp_err_set(e, csv_field_name(rd), "%s", rd->csv.quoted ?
			    "text after the closing quote" :
			    "a quote inside an unquoted field");
			goto bad;
		}
		if (rd->oom)
			return sp_err_set(e, NULL, "out of memory"), -2;
	}
bad:
	r->file = rd->file;
	r->line = rd->row_line;
	r->raw = rd->raw;
	r->rawlen = rd->rawlen;
	rd->rawlen = 0;
	sp_rd_csv_restart(rd);
	if (!rd->have_header) {
		rd->failed = 1;
		return -2;
	}
	return -1;
}
