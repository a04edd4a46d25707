/*
 * rec: reading records.  Input is decoded into UTF-8 first (--encoding,
 * iconv), then split into physical lines here (so line numbers are real
 * line numbers, blank lines included, and a bad record's text can be
 * copied verbatim; no line grows past --max-record-size); each line goes to
 * libcsv or, for JSON lines, to jansson.  Field names are interned as slots
 * shared by all inputs, after --map renamed them.  Only the fields a
 * program declares it reads are checked for NUL bytes and UTF-8.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "salespipe/group.h"
#include "salespipe/rec.h"

#define BUFSIZE (1 << 20)
#define HEADSIZE (1 << 16)	/* looked at before reading: BOM, format, CRs */
#define SLACK 16		/* room a decoded character always finds */

struct sp_reader {
	sp_read_opts opts;
	char **paths;
	size_t npaths, next;	/* next path to open */

	/* slots: interned field names */
	char **names;
	size_t nnames, namecap;
	sp_groups *slot_of;	/* name -> int (slot + 1) */

	FILE *memfp;		/* sp_reader_open_mem: the first input */

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
	int *fields;		/* sp_reader_fields() */
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

	/* decoding (--encoding): raw bytes, iconv'd into buf */
	iconv_t cd;		/* (iconv_t)-1: the input is read as it is */
	int enc;		/* SP_ENC_* of the current input */
	char *ibuf;		/* raw bytes not yet decoded: [ipos, ilen) */
	size_t ipos, ilen, icap;
	int ieof;		/* no more raw bytes */
	unsigned long long total;	/* raw bytes read of this input */
	int delim;		/* CSV separator of the current input */
	size_t maxrec;		/* --max-record-size */

	/* fields the program reads (sp_reader_use, sp_reader_require) */
	unsigned char *use;	/* by slot: 1 used, 2 required */
	size_t usecap;
	int declared;		/* sp_reader_use was called */
	size_t *coff;		/* csv_fill: value offsets by column */
	size_t coffcap;
	char *fix;		/* a value with bytes replaced */
	size_t fixcap;
	unsigned long nreplaced;	/* values with bytes replaced */
	char *repfile, *repfield;
	long repline;
	int refold;		/* a JSON key went back to its own name */
	uint64_t folded;	/* canonical names (by index) a key of this
				   input was folded to */
};

int
sp_json_number_valid(const char *s, size_t n)
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

/* grow() for bytes, never beyond limit (>= need): a buffer capped at
 * --max-record-size does not double past it. */
static int
grow_upto(char **pp, size_t *cap, size_t need, size_t limit)
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
sp_reader_slot(sp_reader *rd, const char *name)
{
	int *sp = sp_groups_get(rd->slot_of, name, strlen(name));

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
	if (rd->cd != (iconv_t)-1)
		iconv_close(rd->cd);
	rd->cd = (iconv_t)-1;
	rd->ipos = rd->ilen = 0;
	rd->folded = 0;
	if (rd->csv_live)
		csv_free(&rd->csv);
	rd->csv_live = 0;
	free(rd->colslot);
	rd->colslot = NULL;
	rd->ncols = 0;
	sp_groups_free(rd->json_slot, NULL);
	rd->json_slot = NULL;
	for (i = 0; i < rd->njson_keys; i++)
		free(rd->json_keys[i]);
	rd->njson_keys = 0;
	json_forget_keys(rd);
}

sp_reader *
sp_reader_open_mem(const void *buf, size_t n, const char *name,
    const sp_read_opts *o, sp_error *e)
{
	char *const paths[] = { (char *)name };
	sp_reader *rd = sp_reader_open(paths, 1, o, e);

	if (rd == NULL)
		return NULL;
	/* fmemopen wants at least one byte */
	rd->memfp = n > 0 ? fmemopen((void *)buf, n, "rb") :
	    fopen("/dev/null", "rb");
	if (rd->memfp == NULL) {
		sp_reader_close(rd);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	return rd;
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
	free(rd->ibuf);
	free(rd->use);
	free(rd->coff);
	free(rd->fix);
	free(rd->repfile);
	free(rd->repfield);
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
	csv_set_delim(&rd->csv, (unsigned char)rd->delim);
	/* a field grows by this much at a time: 64 KiB, so a 10 MB field is
	   160 reallocations, not 80 000 */
	csv_set_blk_size(&rd->csv, 1 << 16);
	rd->csv_live = 1;
	rd->nf = 0;
	rd->flen = 0;
	rd->nrows = rd->qrow = 0;
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
	csv_restart(rd);
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
	size_t n = fread(dst, 1, room, rd->fp);

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
static int
too_long(sp_reader *rd, sp_error *e)
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
static int
next_line(sp_reader *rd, const char **s, size_t *n, sp_error *e)
{
	char term = rd->cr_mode ? '\r' : '\n';
	size_t have = 0;

	for (;;) {
		char *b = rd->buf + rd->pos, *t;
		size_t avail = rd->len - rd->pos;

		t = memchr(b, term, avail);
		if (have + (t ? (size_t)(t - b) : avail) > rd->maxrec)
			return too_long(rd, e);
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
				if (grow_upto(&rd->line, &rd->linecap,
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
		if (grow_upto(&rd->line, &rd->linecap, have + avail + 1,
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
		for (i = rd->pos; i < rd->len; i++) {
			char c = rd->buf[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c == '{' || json_not_object(rd->buf + i,
			    rd->len - i) || array_open(rd->buf + i,
			    rd->len - i))
				rd->fmt = SP_FMT_JSONL;
			break;
		}
	}
	if (rd->first_fmt == SP_FMT_AUTO)
		rd->first_fmt = rd->fmt;
	if (rd->fmt == SP_FMT_JSONL &&
	    (rd->json_slot = sp_groups_new(sizeof(int), NULL)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
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
	if (grow_upto(&rd->raw, &rd->rawcap, rd->rawlen + n + 2,
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
			if (grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
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

/*
 * 1 when the n bytes at s are text: no NUL byte and, when utf8 is set,
 * valid UTF-8.  Most values are short ASCII: those take the first loop.
 */
static int
text_ok(const char *s, size_t n, int utf8)
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
static size_t
text_fix(char *dst, const char *s, size_t n, int utf8)
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
static int
checked(const sp_reader *rd, int s)
{
	if (!rd->declared)
		return 1;
	return s >= 0 && (size_t)s < rd->usecap && rd->use[s] != 0;
}

/* A value that is not text, in a field the program reads: -1, e set. */
static int
not_text(const sp_reader *rd, int s, const char *v, size_t n, sp_error *e)
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
static void
note_fix(sp_reader *rd, int s, long line)
{
	if (rd->nreplaced++ == 0) {
		rd->repfile = strdup(rd->file);
		rd->repfield = strdup(rd->names[s]);
		rd->repline = line;
	}
}

/* Move the row of fields [f0, f1) into r.  1 ok, -1 bad record. */
static int
csv_fill(sp_reader *rd, size_t f0, size_t f1, long line, sp_rec *r,
    sp_error *e)
{
	size_t i, nf = f1 - f0, base = rd->foff[f0], extra = 0, len;
	int utf8 = rd->cd == (iconv_t)-1;

	if (rec_reset(r, rd->nnames) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (nf != rd->ncols)
		return sp_err_set(e, NULL, "expected %zu fields as in the header, "
		    "found %zu", rd->ncols, nf);
	for (i = 0; i < nf; i++) {
		int s = rd->colslot[i];
		const char *v = rd->fbuf + rd->foff[f0 + i];
		size_t n = rd->flens[f0 + i];
		if (text_ok(v, n, utf8))
			continue;
		if (checked(rd, s))
			return not_text(rd, s, v, n, e);
		if (s >= 0)
			extra += 3 * n + 1;
	}
	len = rd->foff[f1 - 1] + rd->flens[f1 - 1] + 1 - base;
	if (grow(&r->buf, &r->bufcap, len + extra + 1, 1) < 0)
		return sp_err_set(e, NULL, "out of memory");
	memcpy(r->buf, rd->fbuf + base, len);
	r->bufsize = len;
	for (i = 0; i < nf; i++) {
		int s = rd->colslot[i];
		size_t off = rd->foff[f0 + i] - base, n = rd->flens[f0 + i];
		if (s < 0)
			continue;
		if (extra > 0 && !text_ok(r->buf + off, n, utf8)) {
			/* a field the program does not read: mended */
			n = text_fix(r->buf + r->bufsize, r->buf + off, n,
			    utf8);
			off = r->bufsize;
			r->buf[off + n] = '\0';
			r->bufsize += n + 1;
			note_fix(rd, s, line);
		}
		r->val[s] = r->buf + off;
		r->len[s] = (uint32_t)n;
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
		}
		if (rd->rawlen + n > rd->maxrec) {
			/* a quoted field that never ends */
			too_long(rd, e);
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
		return sp_err_set(e, key, "appears twice in one object");
	}
	return sp_err_set(e, NULL, "invalid JSON at column %d: %s%s", je->column,
	    je->text, strstr(je->text, "unable to decode byte") != NULL ?
	    " (not UTF-8: if the file is in another encoding, say which with "
	    "--encoding)" : "");
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
			if (sp_json_number_valid(s + j, i - j))
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

/* Index of canonical name c in sp_map_canonical, or -1. */
static int
canonical_index(const char *c)
{
	int i;

	for (i = 0; sp_map_canonical[i] != NULL && i < 64; i++)
		if (strcmp(c, sp_map_canonical[i]) == 0)
			return i;
	return -1;
}

/*
 * The name a new key k of object root is known by when --map does not
 * mention it: the canonical name it equals but for case, unless this
 * input (or this object) has the key spelled exactly (k is the last of
 * rd->json_keys).  When k is that exact key, an earlier key folded to it
 * goes back to its own name from now on.  -1: out of memory.
 */
static int
json_fold_key(sp_reader *rd, const char *k, json_t *root, const char **name)
{
	const char *c = sp_map_canonical_fold(k);
	size_t i, j, last = rd->njson_keys - 1;
	int *q, s, ci;

	*name = k;
	if (c != NULL) {
		/* this input's keys are in json_slot: is c one of them? */
		if (sp_groups_find(rd->json_slot, c, strlen(c)) != NULL ||
		    json_object_get(root, c) != NULL)
			return 0;
		*name = c;
		if ((ci = canonical_index(c)) >= 0)
			rd->folded |= (uint64_t)1 << ci;
		return 0;
	}
	/* k is exact: only when a key was folded to it is there work */
	if ((ci = canonical_index(k)) < 0 ||
	    !(rd->folded & ((uint64_t)1 << ci)))
		return 0;
	rd->folded &= ~((uint64_t)1 << ci);
	for (i = 0; i < last; i++) {
		if ((c = sp_map_canonical_fold(rd->json_keys[i])) == NULL ||
		    strcmp(c, k) != 0 || (q = sp_groups_find(rd->json_slot,
		    rd->json_keys[i], strlen(rd->json_keys[i]))) == NULL)
			continue;
		if ((s = sp_reader_slot(rd, rd->json_keys[i])) < 0 ||
		    grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0)
			return -1;
		if (*q == s + 1)
			continue;
		*q = s + 1;
		rd->refold = 1;
		for (j = 0; j < rd->nfields && rd->fields[j] != s; j++)
			;
		if (j == rd->nfields)
			rd->fields[rd->nfields++] = s;
		json_forget_keys(rd);
	}
	return 0;
}

/* Slot of input key k, re-resolving --map when a new key shows up. */
static int
json_key_slot(sp_reader *rd, const char *k, json_t *root, sp_error *e)
{
	int *sp = sp_groups_get(rd->json_slot, k, strlen(k));
	const char **out;
	size_t i;

	if (sp == NULL)
		return sp_err_set(e, NULL, "out of memory"), -2;
	if (*sp != 0)
		return *sp > 0 ? *sp - 1 : -1;	/* -1: shadowed by --map */
	if (grow(&rd->json_keys, &rd->json_keycap, rd->njson_keys + 1,
	    sizeof(*rd->json_keys)) < 0 ||
	    (rd->json_keys[rd->njson_keys] = strdup(k)) == NULL)
		return sp_err_set(e, NULL, "out of memory"), -2;
	rd->njson_keys++;
	if (!sp_map_mentions(rd->opts.map, k)) {
		/* a key --map does not know: itself, or the canonical name it
		   is but for case; nothing else moves */
		const char *name;
		int canon, s = json_fold_key(rd, k, root, &name) < 0 ? -1 :
		    sp_reader_slot(rd, name);
		if (s < 0 || grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0)
			return sp_err_set(e, NULL, "out of memory"), -2;
		/* a canonical slot may be there already (a key folded to
		   it); any other is new */
		canon = name != k || canonical_index(k) >= 0;
		for (i = 0; canon && i < rd->nfields && rd->fields[i] != s;
		    i++)
			;
		if (!canon || i == rd->nfields)
			rd->fields[rd->nfields++] = s;
		*sp = s + 1;
		return s;
	}
	if ((out = calloc(rd->njson_keys, sizeof(*out))) == NULL)
		return sp_err_set(e, NULL, "out of memory"), -2;
	if (sp_map_resolve(rd->opts.map, (const char *const *)rd->json_keys,
	    rd->njson_keys, out, e) < 0) {
		free(out);
		return -2;
	}
	sp_map_fold_case((const char *const *)rd->json_keys, rd->njson_keys, out);
	rd->nfields = 0;
	for (i = 0; i < rd->njson_keys; i++) {
		int *q = sp_groups_get(rd->json_slot, rd->json_keys[i],
		    strlen(rd->json_keys[i]));
		int s = out[i] ? sp_reader_slot(rd, out[i]) : -1;
		if (q == NULL || (out[i] && s < 0) ||
		    grow(&rd->fields, &rd->fieldcap, rd->nfields + 1,
		    sizeof(*rd->fields)) < 0) {
			free(out);
			return sp_err_set(e, NULL, "out of memory"), -2;
		}
		*q = s >= 0 ? s + 1 : -1;
		if (s >= 0)
			rd->fields[rd->nfields++] = s;
	}
	free(out);
	sp = sp_groups_find(rd->json_slot, k, strlen(k));
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
		return sp_err_set(e, NULL, "contains a NUL byte");
	root = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, &je);
	if (root == NULL && (strstr(je.text, "overflow") != NULL ||
	    strstr(je.text, "too big") != NULL))
		root = json_load_bignum(s, n, &je);
	if (root == NULL && s[i] == '[')
		return sp_err_set(e, NULL, "invalid JSON at column %d: %s (a JSON "
		    "array of records? jq -c '.[]' turns it into JSON lines)",
		    je.column, je.text);
	if (root == NULL)
		return json_error(&je, e);
	if (!json_is_object(root)) {
		int t = json_typeof(root);
		json_decref(root);
		return sp_err_set(e, NULL, "a JSON lines record must be an object, "
		    "not %s", t == JSON_ARRAY ? "an array (a JSON array of "
		    "records? jq -c '.[]' turns it into JSON lines)" :
		    t == JSON_STRING ? "a string" : t == JSON_INTEGER ||
		    t == JSON_REAL ? "a number" : t == JSON_NULL ? "null" :
		    "true or false");
	}
	/* slots first (a new key may add a slot), then the values */
again:
	nk = 0;
	hasnum = 0;
	json_object_foreach(root, key, v) {
		if (grow(&rd->kslot, &rd->kslotcap, nk + 1,
		    sizeof(*rd->kslot)) < 0)
			goto nomem;
		if (nk < rd->nprev && strcmp(key, rd->prev[nk]) == 0)
			slot = rd->prevslot[nk];
		else if ((same = 0, slot = json_key_slot(rd, key, root, e)) == -2) {
			json_decref(root);
			return -2;
		}
		rd->kslot[nk++] = slot;
		if (json_is_number(v))
			hasnum++;
	}
	if (rd->refold) {
		/* a key of this object changed slots: take them again */
		rd->refold = 0;
		same = 0;
		json_forget_keys(rd);
		goto again;
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
			if (memchr(t, '\0', tl) == NULL)
				break;
			if (checked(rd, slot)) {
				rc = sp_err_set(e, slot >= 0 ? rd->names[slot] : key,
				    "contains a NUL byte");
				goto out;
			}
			if (slot < 0)
				continue;
			/* \u0000 in a field the program does not read */
			if (grow(&rd->fix, &rd->fixcap, 3 * tl + 1, 1) < 0)
				goto nomem;
			tl = text_fix(rd->fix, t, tl, 1);
			t = rd->fix;
			note_fix(rd, slot, rd->lineno);
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
			rc = sp_err_set(e, slot >= 0 ? rd->names[slot] : key,
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
	return sp_err_set(e, NULL, "out of memory"), -2;
}

int
sp_reader_next(sp_reader *rd, sp_rec *r, sp_error *e)
{
	int k;

	sp_err_clear(e);
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
			sp_err_where(e, r->file, r->line);
		return k;
	}
}

static int
use_mark(sp_reader *rd, int slot, unsigned char how)
{
	size_t c = rd->usecap;

	if (slot < 0)
		return 0;
	if ((size_t)slot >= rd->usecap) {
		if (grow(&rd->use, &c, (size_t)slot + 1, 1) < 0)
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
