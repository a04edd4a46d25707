/*
 * input: opening the operands and reading them as lines.  Input is decoded
 * into UTF-8 first (--encoding, iconv, byte order marks), then split into
 * physical lines here (so line numbers are real line numbers, blank lines
 * included, and a bad record's text can be copied verbatim; no line grows
 * past --max-record-size); each line goes to csv.c or jsonl.c.  Field names
 * are interned as slots shared by all inputs, after --map renamed them.
 * Only the fields a program declares it reads are checked for NUL bytes
 * and UTF-8.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reader_impl.h"

#define BUFSIZE (1 << 20)
#define HEADSIZE (1 << 16)	/* looked at before reading: BOM, format, CRs */
#define SLACK 16		/* room a decoded character always finds */

int
sp_format_parse(const char *s)
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

static const struct {
	const char *name;
	int enc;
} encodings[] = {
	{ "utf-8", SP_ENC_UTF8 }, { "utf8", SP_ENC_UTF8 },
	{ "latin1", SP_ENC_LATIN1 }, { "latin-1", SP_ENC_LATIN1 },
	{ "iso-8859-1", SP_ENC_LATIN1 }, { "iso8859-1", SP_ENC_LATIN1 },
	{ "cp1252", SP_ENC_CP1252 }, { "windows-1252", SP_ENC_CP1252 },
	{ "utf-16", SP_ENC_UTF16 }, { "utf16", SP_ENC_UTF16 },
	{ "utf-16le", SP_ENC_UTF16LE }, { "utf16le", SP_ENC_UTF16LE },
	{ "utf-16be", SP_ENC_UTF16BE }, { "utf16be", SP_ENC_UTF16BE },
};

int
sp_encoding_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
		if (strcasecmp(s, encodings[i].name) == 0)
			return encodings[i].enc;
	return -1;
}

int
sp_delimiter_parse(const char *s)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 ||
	    strcmp(s, "\t") == 0)
		return '\t';
	if (strcmp(s, ",") == 0 || strcmp(s, ";") == 0 || strcmp(s, "|") == 0)
		return (unsigned char)s[0];
	return -1;
}

int
sp_size_parse(const char *s, size_t *n)
{
	unsigned long long v = 0;
	int shift = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (SIZE_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	}
	if (*p != '\0' || v == 0 || v > (SIZE_MAX >> shift))
		return -1;
	*n = (size_t)(v << shift);
	return 0;
}

int
sp_rd_grow(void *pp, size_t *cap, size_t need, size_t elem)
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

/* sp_rd_grow() for bytes, never beyond limit (>= need): a buffer capped at
 * --max-record-size does not double past it. */
int
sp_rd_grow_upto(char **pp, size_t *cap, size_t need, size_t limit)
{
	char *p;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need && c < limit)
		c = c > limit / 2 ? limit : c * 2;
	if (c < need)
		c = need;
	if ((p = realloc(*pp, c)) == NULL)
		return -1;
	*pp = p;
	*cap = c;
	return 0;
}

sp_rec *
sp_rec_new(void)
{
	return calloc(1, sizeof(sp_rec));
}

void
sp_rec_free(sp_rec *r)
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
int
sp_rd_rec_reset(sp_rec *r, size_t n)
{
	size_t cap = r->valcap;

	if (n > cap) {
		size_t c = cap;
		if (sp_rd_grow(&r->val, &c, n, sizeof(*r->val)) < 0)
			return -1;
		c = cap;
		if (sp_rd_grow(&r->len, &c, n, sizeof(*r->len)) < 0)
			return -1;
		c = cap;
		if (sp_rd_grow(&r->num, &c, n, sizeof(*r->num)) < 0)
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

int
sp_reader_slot(sp_reader *rd, const char *name)
{
	int *sp = sp_groups_get(rd->slot_of, name, strlen(name));

	if (sp == NULL)
		return -1;
	if (*sp == 0) {
		if (sp_rd_grow(&rd->names, &rd->namecap, rd->nnames + 1,
		    sizeof(*rd->names)) < 0 ||
		    (rd->names[rd->nnames] = strdup(name)) == NULL)
			return -1;
		*sp = (int)++rd->nnames;
	}
	return *sp - 1;
}

size_t
sp_reader_nslots(const sp_reader *rd)
{
	return rd->nnames;
}

const char *
sp_reader_slot_name(const sp_reader *rd, int slot)
{
	if (slot < 0 || (size_t)slot >= rd->nnames)
		return NULL;
	return rd->names[slot];
}

const int *
sp_reader_fields(const sp_reader *rd, size_t *n)
{
	*n = rd->nfields;
	return rd->fields;
}

int
sp_reader_format(const sp_reader *rd)
{
	return rd->first_fmt;
}

int
sp_reader_format_known(const sp_reader *rd)
{
	return rd->first_fmt != SP_FMT_AUTO && !rd->first_guessed;
}

sp_reader *
sp_reader_open(char *const *paths, size_t n, const sp_read_opts *o,
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
		sp_err_set(e, NULL, "input format must be csv or jsonl");
		return NULL;
	}
	if (n == 0) {
		paths = dash;
		n = 1;
	}
	rd->bufsize = rd->opts.bufsize > 0 ? rd->opts.bufsize : BUFSIZE;
	rd->maxrec = rd->opts.max_record > 0 ? rd->opts.max_record :
	    SP_MAX_RECORD;
	rd->cd = (iconv_t)-1;
	if ((rd->paths = calloc(n, sizeof(*rd->paths))) == NULL)
		goto nomem;
	rd->npaths = n;
	for (i = 0; i < n; i++)
		if ((rd->paths[i] = strdup(paths[i])) == NULL)
			goto nomem;
	if ((rd->slot_of = sp_groups_new(sizeof(int), NULL)) == NULL ||
	    (rd->buf = malloc((rd->bufsize > HEADSIZE ? rd->bufsize :
	    HEADSIZE) + SLACK)) == NULL)
		goto nomem;
	return rd;
nomem:
	sp_reader_close(rd);
	sp_err_set(e, NULL, "out of memory");
	return NULL;
}

static void
input_close(sp_reader *rd)
{
	if (rd->fp != NULL && rd->fp != stdin)
		fclose(rd->fp);
	if (rd->fp == rd->memfp)
		rd->memfp = NULL;
	rd->fp = NULL;
	sp_rd_z_free(rd);
	rd->zchecked = 0;
	rd->zpeekn = 0;
	if (rd->cd != (iconv_t)-1)
		iconv_close(rd->cd);
	rd->cd = (iconv_t)-1;
	rd->ipos = rd->ilen = 0;
	rd->folded = 0;
	sp_rd_csv_close(rd);
	sp_rd_json_close(rd);
}

sp_reader *
sp_reader_open_mem(const void *buf, size_t n, const char *name,
    const sp_read_opts *o, sp_error *e)
{
	char *const paths[] = { (char *)name };
	sp_read_opts mo;
	sp_reader *rd;

	/* no read buffer larger than the text (a journal's few records are
	   read this way, one deal-move at a time) */
	if (o != NULL)
		mo = *o;
	else
		memset(&mo, 0, sizeof(mo));
	if (mo.bufsize == 0 && n < BUFSIZE)
		mo.bufsize = n + 1;
	if ((rd = sp_reader_open(paths, 1, &mo, e)) == NULL)
		return NULL;
	/* fmemopen wants at least one byte */
	rd->memfp = n > 0 ? fmemopen((void *)buf, n, "rb") :
	    fopen("/dev/null", "rb");
	if (rd->memfp == NULL) {
		sp_reader_close(rd);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	rd->membuf = buf;
	rd->memlen = n;
	return rd;
}

int
sp_optfile_each(const char *path, const sp_read_opts *ro,
    const char *const *names, size_t n, size_t nrequired, int *slots,
    sp_optfile_fn fn, void *ctx, sp_error *e)
{
	char *paths[1];
	sp_read_opts o = *ro;
	sp_reader *rd;
	sp_rec *r;
	size_t i;
	int k, rc = -1;

	paths[0] = (char *)path;
	o.max_bytes = SP_MAX_OPTFILE;	/* an option file */
	if ((r = sp_rec_new()) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	if ((rd = sp_reader_open(paths, 1, &o, e)) == NULL) {
		sp_rec_free(r);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((slots[i] = sp_reader_slot(rd, names[i])) < 0 ||
		    (i < nrequired && sp_reader_require(rd, slots[i]) < 0)) {
			sp_err_set(e, NULL, "out of memory");
			goto out;
		}
	while ((k = sp_reader_next(rd, r, e)) != 0) {
		if (k < 0)
			goto out;
		sp_err_where(e, r->file, r->line);
		if (fn(ctx, rd, r, slots, e) < 0)
			goto out;
	}
	rc = 0;
out:
	sp_reader_close(rd);
	sp_rec_free(r);
	return rc;
}

void
sp_reader_close(sp_reader *rd)
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
	sp_groups_free(rd->slot_of, NULL);
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
	sp_rd_json_free(rd);
	free(rd->ibuf);
	free(rd->use);
	free(rd->coff);
	free(rd->fix);
	free(rd->repfile);
	free(rd->repfield);
	free(rd);
}

/* 1 when the name p ends in suffix, in any case. */
static int
ends_with(const char *p, const char *suffix)
{
	size_t n = strlen(p), k = strlen(suffix);

	return n > k && strcasecmp(p + n - k, suffix) == 0;
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
	/* the last input's fields stay readable after the end (a CSV
	   header without records still says what the input has) */
	rd->nfields = 0;
	rd->file = strcmp(p, "-") == 0 ? "<stdin>" : p;
	rd->pos = rd->len = 0;
	rd->eof = rd->failed = rd->started = rd->cr_mode = 0;
	rd->lineno = 0;
	rd->have_header = 0;
	rd->fmt = rd->opts.format;
	rd->ieof = 0;
	rd->total = 0;
	/* the name says what the file is, unless -i or --delimiter did */
	if (rd->fmt == SP_FMT_AUTO && (ends_with(p, ".jsonl") ||
	    ends_with(p, ".json") || ends_with(p, ".ndjson")))
		rd->fmt = SP_FMT_JSONL;
	if (rd->fmt == SP_FMT_AUTO && (ends_with(p, ".csv") ||
	    ends_with(p, ".tsv")))
		rd->fmt = SP_FMT_CSV;
	rd->delim = rd->opts.delim ? rd->opts.delim : ends_with(p, ".tsv") ?
	    '\t' : ',';
	if (rd->memfp != NULL)
		rd->fp = rd->memfp;
	else if (strcmp(p, "-") == 0)
		rd->fp = stdin;
	else if ((rd->fp = fopen(p, "rb")) == NULL) {
		rd->failed = 1;
		sp_err_where(e, rd->file, 0);
		return sp_err_set(e, NULL, "cannot open: %s", strerror(errno));
	}
	sp_rd_csv_restart(rd);
	return 1;
}

/* "64 MiB" for a size in whole MiB, else "N bytes", into buf. */
static const char *
size_text(size_t n, char *buf, size_t size)
{
	if (n >= (1 << 20) && n % (1 << 20) == 0)
		snprintf(buf, size, "%zu MiB", n >> 20);
	else
		snprintf(buf, size, "%zu bytes", n);
	return buf;
}

/* Count n raw bytes read; -1 (e set) past opts.max_bytes. */
static int
count_raw(sp_reader *rd, size_t n, sp_error *e)
{
	char t[32];

	rd->total += n;
	if (rd->opts.max_bytes > 0 && rd->total > rd->opts.max_bytes) {
		sp_err_where(e, rd->file, 0);
		return sp_err_set(e, NULL, "larger than %s, the most this file may "
		    "hold (is it the right file?)", size_text(rd->opts.max_bytes,
		    t, sizeof(t)));
	}
	return 0;
}

/*
 * fread up to room bytes of the input into dst: their number in *got,
 * *eof set at the end of the file, the caps counted (count_raw).  0, or
 * -1 on a read error or a cap exceeded (e set).
 */
static int
read_raw(sp_reader *rd, char *dst, size_t room, size_t *got, int *eof,
    sp_error *e)
{
	size_t n, k;
	int z;

	if (!rd->zchecked && rd->stop == 0) {
		/* the input's first bytes (a magic number's 4, whatever the
		   read size): compressed? */
		rd->zchecked = 1;
		rd->zpeekn = 0;
		while (rd->zpeekn < sizeof(rd->zpeek) && (k = fread(rd->zpeek +
		    rd->zpeekn, 1, sizeof(rd->zpeek) - rd->zpeekn, rd->fp)) > 0) {
			rd->zpeekn += k;
			sp_rd_progress(rd, k);
		}
		if ((z = sp_compression(rd->zpeek, rd->zpeekn)) != 0) {
			if (sp_rd_z_open(rd, z, rd->zpeek, rd->zpeekn, e) < 0)
				return -1;
			rd->zpeekn = 0;
		}
	}
	if (rd->z != NULL) {
		if (sp_rd_z_read(rd, dst, room, got, eof, e) < 0)
			return -1;
		return count_raw(rd, *got, e);
	}
	/* a part of a split reader stops at the end of its range */
	if (rd->stop > 0 && room > rd->stop - rd->total)
		room = (size_t)(rd->stop - rd->total);
	if (rd->zpeekn > 0) {
		/* the bytes looked at first */
		n = rd->zpeekn < room ? rd->zpeekn : room;
		memcpy(dst, rd->zpeek, n);
		memmove(rd->zpeek, rd->zpeek + n, rd->zpeekn - n);
		rd->zpeekn -= n;
		*got = n;
		return count_raw(rd, n, e);
	}
	n = fread(dst, 1, room, rd->fp);
	sp_rd_progress(rd, n);
	*got = n;
	if (n == 0) {
		if (ferror(rd->fp)) {
			sp_err_where(e, rd->file, rd->lineno > 0 ? rd->lineno + 1 :
			    0);
			return sp_err_set(e, NULL, "read error: %s",
			    strerror(errno));
		}
		*eof = 1;
	}
	return count_raw(rd, n, e);
}

/* Read more raw bytes into ibuf (keeping [ipos, ilen)).  0 or -1. */
static int
raw_read(sp_reader *rd, sp_error *e)
{
	size_t n, cap = rd->bufsize > HEADSIZE ? rd->bufsize : HEADSIZE;

	if (rd->ipos > 0) {
		memmove(rd->ibuf, rd->ibuf + rd->ipos, rd->ilen - rd->ipos);
		rd->ilen -= rd->ipos;
		rd->ipos = 0;
	}
	if (rd->ibuf == NULL && (rd->ibuf = malloc(cap)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	rd->icap = cap;
	if (rd->ieof || rd->ilen == cap)
		return 0;
	if (read_raw(rd, rd->ibuf + rd->ilen, cap - rd->ilen < rd->bufsize ?
	    cap - rd->ilen : rd->bufsize, &n, &rd->ieof, e) < 0)
		return -1;
	rd->ilen += n;
	return 0;
}

/* Write U+FFFD at buf + len (room for it is guaranteed by SLACK). */
static void
put_fffd(sp_reader *rd)
{
	memcpy(rd->buf + rd->len, "\xef\xbf\xbd", 3);
	rd->len += 3;
}

/*
 * Decode raw bytes into buf at len, at most `room` bytes of output (at
 * least SLACK).  A byte sequence the encoding does not define (CP1252's
 * 0x81, a lone UTF-16 surrogate, a truncated last character) becomes
 * U+FFFD.  Sets eof when the input is done.
 */
static int
decode(sp_reader *rd, size_t room, sp_error *e)
{
	size_t before = rd->len;
	size_t unit = rd->enc == SP_ENC_UTF16LE || rd->enc == SP_ENC_UTF16BE ?
	    2 : 1;

	while (rd->len == before) {
		char *in, *out;
		size_t inleft, outleft, k;

		if (rd->ipos == rd->ilen || (rd->ilen - rd->ipos < 4 &&
		    !rd->ieof)) {
			if (raw_read(rd, e) < 0)
				return -1;
			if (rd->ipos == rd->ilen && rd->ieof) {
				rd->eof = 1;
				return 0;
			}
		}
		in = rd->ibuf + rd->ipos;
		inleft = rd->ilen - rd->ipos;
		out = rd->buf + rd->len;
		outleft = room - SLACK / 2;
		k = iconv(rd->cd, &in, &inleft, &out, &outleft);
		rd->ipos = (size_t)(in - rd->ibuf);
		rd->len = (size_t)(out - rd->buf);
		if (k != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EILSEQ || rd->ieof) {
			/* undefined, or cut short by the end of the input */
			put_fffd(rd);
			rd->ipos += unit < rd->ilen - rd->ipos ? unit :
			    rd->ilen - rd->ipos;
			iconv(rd->cd, NULL, NULL, NULL, NULL);
		} else if (raw_read(rd, e) < 0)	/* EINVAL: read on */
			return -1;
	}
	return 0;
}

/* Refill the buffer keeping [pos, len).  0 ok, -1 read error. */
static int
fill(sp_reader *rd, sp_error *e)
{
	size_t n, room, bsz = rd->bufsize > HEADSIZE ? rd->bufsize : HEADSIZE;

	if (rd->pos > 0) {
		memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
		rd->len -= rd->pos;
		rd->pos = 0;
	}
	/* at most bufsize at a time, into a buffer of at least HEADSIZE */
	room = bsz - rd->len;
	if (room > rd->bufsize)
		room = rd->bufsize;
	if (rd->cd != (iconv_t)-1)
		return decode(rd, room + SLACK, e);
	if (rd->ipos < rd->ilen) {
		/* bytes read ahead by start() */
		n = rd->ilen - rd->ipos < room ? rd->ilen - rd->ipos : room;
		memcpy(rd->buf + rd->len, rd->ibuf + rd->ipos, n);
		rd->ipos += n;
		rd->len += n;
		return 0;
	}
	if (rd->ieof) {
		rd->eof = 1;
		return 0;
	}
	if (read_raw(rd, rd->buf + rd->len, room, &n, &rd->eof, e) < 0)
		return -1;
	rd->len += n;
	return 0;
}

/*
 * A record over --max-record-size: an error, fatal to this input (what
 * follows cannot be told from the rest of the record).  rd->lineno is the
 * last line read whole, so the long one is the next.
 */
int
sp_rd_too_long(sp_reader *rd, sp_error *e)
{
	char t[32];

	sp_err_where(e, rd->file, rd->lineno + 1);
	return sp_err_set(e, NULL, "a record longer than %s (--max-record-size): "
	    "is this a text file of records? if the record is right, raise "
	    "--max-record-size", size_text(rd->maxrec, t, sizeof(t)));
}

/*
 * The next physical line: *s, *n without its terminator, which is left in
 * rd->term ("\n", "\r\n", "\r", or "" at the end of input).  Returns 1,
 * 0 at end of input, -1 on a read error.
 */
int
sp_rd_next_line(sp_reader *rd, const char **s, size_t *n, sp_error *e)
{
	char term = rd->cr_mode ? '\r' : '\n';
	size_t have = 0;

	for (;;) {
		char *b = rd->buf + rd->pos, *t;
		size_t avail = rd->len - rd->pos;

		t = memchr(b, term, avail);
		if (have + (t ? (size_t)(t - b) : avail) > rd->maxrec)
			return sp_rd_too_long(rd, e);
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
				if (sp_rd_grow_upto(&rd->line, &rd->linecap,
				    have + k + 1, rd->maxrec + 1) < 0)
					return sp_err_set(e, NULL, "out of memory");
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
		if (sp_rd_grow_upto(&rd->line, &rd->linecap, have + avail + 1,
		    rd->maxrec + 1) < 0)
			return sp_err_set(e, NULL, "out of memory");
		memcpy(rd->line + have, b, avail);
		have += avail;
		rd->pos = rd->len;
		if (fill(rd, e) < 0)
			return -1;
	}
}

/* iconv's names of the encodings that need decoding. */
static const char *const iconv_name[] = {
	[SP_ENC_LATIN1] = "ISO-8859-1", [SP_ENC_CP1252] = "CP1252",
	[SP_ENC_UTF16LE] = "UTF-16LE", [SP_ENC_UTF16BE] = "UTF-16BE"
};

/* The encoding, from --encoding and a byte order mark (skipped). */
static int
start_encoding(sp_reader *rd, sp_error *e)
{
	int enc = rd->opts.encoding;
	const unsigned char *b;
	size_t n;

	while (!rd->ieof && rd->ilen - rd->ipos < 4)
		if (raw_read(rd, e) < 0)
			return -1;
	b = (const unsigned char *)rd->ibuf + rd->ipos;
	n = rd->ilen - rd->ipos;
	if ((enc == SP_ENC_AUTO || enc == SP_ENC_UTF16) && n >= 2 &&
	    b[0] == 0xff && b[1] == 0xfe) {
		enc = SP_ENC_UTF16LE;
		rd->ipos += 2;
	} else if ((enc == SP_ENC_AUTO || enc == SP_ENC_UTF16) && n >= 2 &&
	    b[0] == 0xfe && b[1] == 0xff) {
		enc = SP_ENC_UTF16BE;
		rd->ipos += 2;
	} else if ((enc == SP_ENC_AUTO || enc == SP_ENC_UTF8) && n >= 3 &&
	    memcmp(b, "\xef\xbb\xbf", 3) == 0)
		rd->ipos += 3;
	if (enc == SP_ENC_UTF16)
		enc = SP_ENC_UTF16LE;	/* no byte order mark: Windows' order */
	rd->enc = enc;
	if (enc < (int)(sizeof(iconv_name) / sizeof(iconv_name[0])) &&
	    iconv_name[enc] != NULL &&
	    (rd->cd = iconv_open("UTF-8", iconv_name[enc])) == (iconv_t)-1) {
		sp_err_where(e, rd->file, 0);
		return sp_err_set(e, NULL, "cannot decode %s: %s", iconv_name[enc],
		    strerror(errno));
	}
	return 0;
}

/*
 * 1 when the line at s (n bytes, up to the end of the head) is JSON but
 * neither an object nor a string: `42` or `[1,2,3]` is no CSV header, and
 * reading it as JSON lines says what is wrong with it.
 */
static int
json_not_object(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	json_error_t je;
	json_t *v;
	int r;

	if (nl != NULL)
		n = (size_t)(nl - s);
	if ((v = json_loadb(s, n, JSON_DECODE_ANY, &je)) == NULL)
		return 0;
	/* a quoted string alone is as much a one-column CSV header */
	r = !json_is_object(v) && !json_is_string(v);
	json_decref(v);
	return r;
}

/* 1 when the line at s is `[` alone: a JSON array, pretty-printed. */
static int
array_open(const char *s, size_t n)
{
	size_t i = 1;

	if (n == 0 || s[0] != '[')
		return 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == n || s[i] == '\n';
}

/* First bytes of an input: encoding, format, line ends. */
static int
start(sp_reader *rd, sp_error *e)
{
	size_t i;
	char *nl;
	int guessed = 0;

	if (start_encoding(rd, e) < 0)
		return -1;
	/* the head of the input, however small the reads */
	do {
		if (fill(rd, e) < 0)
			return -1;
	} while (!rd->eof && rd->len < HEADSIZE);
	rd->started = 1;
	/* CR-only line ends (old Mac exports): CRs and not a single LF */
	nl = memchr(rd->buf + rd->pos, '\n', rd->len - rd->pos);
	if (nl == NULL && memchr(rd->buf + rd->pos, '\r', rd->len - rd->pos))
		rd->cr_mode = 1;
	if (rd->fmt == SP_FMT_AUTO) {
		rd->fmt = SP_FMT_CSV;
		guessed = 1;
		for (i = rd->pos; i < rd->len; i++) {
			char c = rd->buf[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			guessed = 0;
			if (c == '{' || json_not_object(rd->buf + i,
			    rd->len - i) || array_open(rd->buf + i,
			    rd->len - i))
				rd->fmt = SP_FMT_JSONL;
			break;
		}
	}
	if (rd->first_fmt == SP_FMT_AUTO) {
		rd->first_fmt = rd->fmt;
		rd->first_guessed = guessed;
	}
	if (rd->fmt == SP_FMT_JSONL &&
	    (rd->json_slot = sp_groups_new(sizeof(int), NULL)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

/*
 * 1 when the n bytes at s are text: no NUL byte and, when utf8 is set,
 * valid UTF-8.  Most values are short ASCII: those take the first loop.
 */
int
sp_rd_text_ok(const char *s, size_t n, int utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint64_t w;

	/* eight bytes at a time: no high bit, no zero byte */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (((w | ((w - 0x0101010101010101ULL) & ~w)) &
		    0x8080808080808080ULL) != 0)
			break;
	}
	for (; i < n; i++)
		if (p[i] == 0 || p[i] >= 0x80)
			break;
	while (i < n) {
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80 || !utf8) {
			i++;
			continue;
		}
		if ((k = sp_utf8_len(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Copy s to dst with each NUL byte and each byte that starts no valid
 * UTF-8 sequence as U+FFFD (dst has room for 3n); returns the length. */
size_t
sp_rd_text_fix(char *dst, const char *s, size_t n, int utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k = 0;

	while (i < n) {
		if (p[i] != 0 && (p[i] < 0x80 || !utf8 ||
		    (k = sp_utf8_len(p + i, n - i)) == 1)) {
			dst[o++] = s[i++];
		} else if (p[i] != 0 && k > 0) {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	return o;
}

/* 1 when the values of slot s must be text (see sp_reader_use). */
int
sp_rd_checked(const sp_reader *rd, int s)
{
	if (!rd->declared)
		return 1;
	return s >= 0 && (size_t)s < rd->usecap && rd->use[s] != 0;
}

/* A value that is not text, in a field the program reads: -1, e set. */
int
sp_rd_not_text(const sp_reader *rd, int s, const char *v, size_t n, sp_error *e)
{
	char q[260];

	if (memchr(v, '\0', n) != NULL)
		return sp_err_set(e, s >= 0 ? rd->names[s] : NULL,
		    "contains a NUL byte");
	return sp_err_set(e, s >= 0 ? rd->names[s] : NULL, "'%s' is not UTF-8 "
	    "text: if the file is in another encoding, say which with "
	    "--encoding (latin1, cp1252, utf-16)",
	    sp_err_quote(q, sizeof(q), v, n));
}

/* Count a value whose bytes were replaced; keep the first's place. */
void
sp_rd_note_fix(sp_reader *rd, int s, long line)
{
	if (rd->nreplaced++ == 0) {
		rd->repfile = strdup(rd->file);
		rd->repfield = strdup(rd->names[s]);
		rd->repline = line;
	}
}

int
sp_reader_next(sp_reader *rd, sp_rec *r, sp_error *e)
{
	int k;

	sp_err_clear(e);
	if (rd->inexact)
		goto inexact;
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
		k = rd->fmt == SP_FMT_JSONL ? sp_rd_json_next(rd, r, e) :
		    sp_rd_csv_next(rd, r, e);
		if (rd->inexact)
			goto inexact;
		if (k == 0) {
			rd->eof = 2;
			continue;
		}
		if (k == -2)
			rd->failed = 1;
		/* a bad record's place is the record's (set only now: cheap) */
		if (k == -1 && e->file[0] == '\0')
			sp_err_where(e, r->file, r->line);
		return k;
	}
inexact:
	sp_err_clear(e);
	return sp_err_set(e, NULL, "a key's meaning depends on the lines "
	    "before this part: read the file on one reader"), SP_READ_INEXACT;
}

long
sp_reader_lines(const sp_reader *rd)
{
	return rd->lineno - rd->line0;
}

static int
use_mark(sp_reader *rd, int slot, unsigned char how)
{
	size_t c = rd->usecap;

	if (slot < 0)
		return 0;
	if ((size_t)slot >= rd->usecap) {
		if (sp_rd_grow(&rd->use, &c, (size_t)slot + 1, 1) < 0)
			return -1;
		memset(rd->use + rd->usecap, 0, c - rd->usecap);
		rd->usecap = c;
	}
	if (rd->use[slot] < how)
		rd->use[slot] = how;
	rd->declared = 1;
	return 0;
}

int
sp_reader_use(sp_reader *rd, int slot)
{
	return use_mark(rd, slot, 1);
}

int
sp_reader_require(sp_reader *rd, int slot)
{
	return use_mark(rd, slot, 2);
}

unsigned long
sp_reader_replaced(const sp_reader *rd, const char **file, long *line,
    const char **field)
{
	if (rd->nreplaced > 0) {
		if (file != NULL)
			*file = rd->repfile ? rd->repfile : "";
		if (line != NULL)
			*line = rd->repline;
		if (field != NULL)
			*field = rd->repfield ? rd->repfield : "";
	}
	return rd->nreplaced;
}

int
sp_reader_add_replaced(sp_reader *rd, const sp_reader *part)
{
	if (part->nreplaced == 0)
		return 0;
	if (rd->nreplaced == 0) {
		free(rd->repfile);
		free(rd->repfield);
		rd->repfile = part->repfile ? strdup(part->repfile) : NULL;
		rd->repfield = part->repfield ? strdup(part->repfield) : NULL;
		rd->repline = part->repline;
		if ((part->repfile && !rd->repfile) ||
		    (part->repfield && !rd->repfield))
			return -1;
	}
	rd->nreplaced += part->nreplaced;
	return 0;
}

/* fopencookie: an option file's content, read whole. */
struct optfile {
	char *buf;
	size_t n, pos;
};

static ssize_t
optfile_read(void *cookie, char *out, size_t size)
{
	struct optfile *o = cookie;
	size_t k = o->n - o->pos < size ? o->n - o->pos : size;

	memcpy(out, o->buf + o->pos, k);
	o->pos += k;
	return (ssize_t)k;
}

static int
optfile_close(void *cookie)
{
	struct optfile *o = cookie;

	free(o->buf);
	free(o);
	return 0;
}

FILE *
sp_optfile_open(const char *path, const char *what, sp_error *e)
{
	static const cookie_io_functions_t io = { optfile_read, NULL, NULL,
	    optfile_close };
	struct optfile *o = calloc(1, sizeof(*o));
	size_t cap = 0, k;
	FILE *fp, *in = NULL;
	char t[32];

	sp_err_where(e, path, 0);
	if (o == NULL)
		return sp_err_set(e, NULL, "out of memory"), NULL;
	if ((in = fopen(path, "rb")) == NULL) {
		sp_err_set(e, NULL, "cannot open %s: %s", what, strerror(errno));
		goto fail;
	}
	/* read at most one byte more than allowed: /dev/zero ends here */
	for (;;) {
		if (o->n == cap) {
			char *b;
			cap = cap ? cap * 2 : 4096;
			if (cap > SP_MAX_OPTFILE + 1)
				cap = SP_MAX_OPTFILE + 1;
			if (o->n == cap)
				break;
			if ((b = realloc(o->buf, cap)) == NULL) {
				sp_err_set(e, NULL, "out of memory");
				goto fail;
			}
			o->buf = b;
		}
		if ((k = fread(o->buf + o->n, 1, cap - o->n, in)) == 0)
			break;
		o->n += k;
	}
	if (ferror(in)) {
		sp_err_set(e, NULL, "cannot read %s: %s", what, strerror(errno));
		goto fail;
	}
	if (o->n > SP_MAX_OPTFILE) {
		sp_err_set(e, NULL, "%s larger than %s (is it the right file?)", what,
		    size_text(SP_MAX_OPTFILE, t, sizeof(t)));
		goto fail;
	}
	fclose(in);
	in = NULL;
	if (o->n >= 3 && memcmp(o->buf, "\xef\xbb\xbf", 3) == 0)
		o->pos = 3;
	if ((fp = fopencookie(o, "r", io)) == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto fail;
	}
	return fp;
fail:
	if (in != NULL)
		fclose(in);
	free(o->buf);
	free(o);
	return NULL;
}
