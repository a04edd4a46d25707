/*
 * reader_impl: the reader's internals, shared by lib/input.c (operands,
 * decoding, physical lines, the common sp_reader parts), lib/csv.c and
 * lib/jsonl.c.  Private to the library: not installed.  The sp_rd_
 * functions are the library's own; programs never call them.
 */
#ifndef SALESPIPE_READER_IMPL_H
#define SALESPIPE_READER_IMPL_H

#include <iconv.h>
#include <stdint.h>

#include <csv.h>

#include "salespipe/group.h"
#include "salespipe/rec.h"

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
	int first_guessed;	/* first_fmt is CSV for want of a byte: the
				   first input was blank (sp_reader_format_known) */
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
	struct sp_zin *z;	/* a compressed input's decompressor (zinput.c) */
	int zchecked;		/* the input's first bytes were looked at */
	char zpeek[4];		/* those bytes, of a plain input: read first */
	size_t zpeekn;
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
	/* byte ranges (sp_reader_split) */
	const char *membuf;	/* sp_reader_open_mem: the bytes */
	size_t memlen;
	unsigned long long stop;	/* read at most this many raw bytes of
					   the input (0: to its end) */
	long line0;		/* lines before this reader's first byte */
	int split;		/* a part of a split reader */
	int inexact;		/* a JSON key made this part differ from one
				   reader: sp_reader_next returns SP_READ_INEXACT */
	uint64_t split_folded;	/* folded at the split */

	/* JSON lines fast path (jsonl.c): a line whose keys are prev's, in
	   order and spelled without escapes, is scanned by hand */
	int json_nofast;	/* every line goes to jansson */
	unsigned long json_fast;	/* lines the fast path read */
	size_t *prevlen;	/* strlen of each prev key; (size_t)-1: no
				   raw key can spell it (it needs escapes) */
	char *jfbuf;		/* the line's values, decoded */
	size_t jfcap;
	size_t *jfoff;		/* by key: value offset into jfbuf */
	uint32_t *jflen;	/* by key: value length */
	unsigned char *jfkind;	/* by key: 0 none (null, or no slot), 1
				   text, 2 number */
	size_t jfkcap;
};

/* zinput.c: a compressed input (sp_compression): the decompressor, fed
 * first the n bytes at head already read; then read_raw's bytes come from
 * sp_rd_z_read */
int sp_rd_z_open(sp_reader *rd, int kind, const char *head, size_t n,
    sp_error *e);
int sp_rd_z_read(sp_reader *rd, char *dst, size_t room, size_t *got,
    int *eof, sp_error *e);
void sp_rd_z_free(sp_reader *rd);

/* n more bytes read from the input's file: into sp_read_opts.progress
 * (a block at a time: nothing per record) */
static inline void
sp_rd_progress(sp_reader *rd, size_t n)
{
	if (rd->opts.progress != NULL && n > 0)
		__atomic_fetch_add(rd->opts.progress, (unsigned long long)n,
		    __ATOMIC_RELAXED);
}

/* input.c: memory */
int sp_rd_grow(void *pp, size_t *cap, size_t need, size_t elem);
int sp_rd_grow_upto(char **pp, size_t *cap, size_t need, size_t limit);
int sp_rd_rec_reset(sp_rec *r, size_t n);

/* input.c: the next physical line (1, 0 at the end, -1 error), and the
 * error for a record over --max-record-size */
int sp_rd_next_line(sp_reader *rd, const char **s, size_t *n, sp_error *e);
int sp_rd_too_long(sp_reader *rd, sp_error *e);

/* input.c: values that must be text (sp_reader_use) */
int sp_rd_text_ok(const char *s, size_t n, int utf8);
size_t sp_rd_text_fix(char *dst, const char *s, size_t n, int utf8);
int sp_rd_checked(const sp_reader *rd, int s);
int sp_rd_not_text(const sp_reader *rd, int s, const char *v, size_t n,
    sp_error *e);
void sp_rd_note_fix(sp_reader *rd, int s, long line);

/* csv.c */
void sp_rd_csv_restart(sp_reader *rd);
void sp_rd_csv_close(sp_reader *rd);
int sp_rd_csv_next(sp_reader *rd, sp_rec *r, sp_error *e);

/* csv.c: 1 when no row is being parsed and none is queued */
int sp_rd_csv_idle(const sp_reader *rd);

/* jsonl.c */
void sp_rd_json_forget_keys(sp_reader *rd);
void sp_rd_json_close(sp_reader *rd);
int sp_rd_json_next(sp_reader *rd, sp_rec *r, sp_error *e);
void sp_rd_json_free(sp_reader *rd);

/* jsonl.c: decode the JSON string whose content starts at s[*p] (after
 * its opening quote; the line is n bytes) into d + *o, which has room for
 * the raw bytes: *p moves past the closing quote, *o past the text.  0, or
 * -1 where jansson's reading may differ (the fast path declines): no
 * closing quote, a control byte, bytes that are not UTF-8, an unknown
 * escape, \u0000, a surrogate that is not half of a pair. */
int sp_rd_json_string(const char *s, size_t n, size_t *p, char *d, size_t *o);

/* jsonl.c: off (0) sends every line of rd to jansson, the reference the
 * fast path must equal (tests/fuzz/fuzz_jsonl_diff.c); on (1) is the
 * default.  Returns how many lines the fast path has read so far. */
unsigned long sp_rd_json_fast(sp_reader *rd, int on);

#endif
