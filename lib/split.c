/*
 * split: the rest of one regular file read as consecutive byte ranges, each
 * by its own reader (--threads).  A range starts only at a line start where
 * one reader would start a record: for JSON lines any line start; for CSV
 * one outside every quoted field, found by following libcsv's strict
 * parser from quote to quote (only quotes decide whether a record is
 * pending at a line start).  Lines are counted on the way, so that every
 * part numbers its lines as one reader would.  One pass over the bytes up
 * to the last cut, read with pread (faster than mmap's page faults), one
 * memchr per quote: on a 1M-deal export (200 MB) 2 parts cost 0.03 s of
 * CPU, one reader's whole parse 0.6 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_impl.h"

#define SCANSIZE (1 << 18)	/* bytes read at a time */

/*
 * The scan: libcsv 3.0.3's strict parser (libcsv.c) with csv.c's settings
 * (no byte is a space; CR and LF end rows), reduced to what decides
 * whether a record is pending:
 *	- OUT, outside quotes: a quote opens a quoted field at the start of a
 *	  field (after a separator, a CR or a newline) and is a parse error
 *	  anywhere else;
 *	- IN, inside quotes: the next quote (QUOTE) is doubled (followed by a
 *	  quote), closes the field (followed by a separator, a CR or a
 *	  newline), or is a parse error (followed by anything else);
 *	- SKIP: after a parse error csv.c drops the rest of the line (a bad
 *	  record) and starts afresh on the next.
 * A line start met in OUT is safe: no record is pending there.
 */
enum { OUT, IN, QUOTE, SKIP };

struct scan {
	int csv, delim, st;
	char prev;		/* the byte before the chunk */
	const size_t *want;	/* targets, ascending */
	size_t *cut;		/* their cuts */
	long *lines;		/* lines before each cut */
	size_t nwant, k;	/* targets, and the next one to place */
	long nl;		/* lines before the chunk */
};

/*
 * Lines ('\n') in [a, b): 16 bytes at a time in vectors of byte counts
 * (the compiler's generic vectors: SSE2 or whatever the machine has),
 * summed every 255 rounds, before a count overflows.
 */
typedef unsigned char bytes16 __attribute__((vector_size(16)));

static long
count_lines(const char *a, const char *b)
{
	long n = 0;
	size_t len = (size_t)(b - a), i = 0, j;
	bytes16 v, acc, nl;
	int r;

	memset(&nl, '\n', sizeof(nl));
	while (len - i >= 16) {
		memset(&acc, 0, sizeof(acc));
		for (r = 0; r < 255 && len - i >= 16; r++, i += 16) {
			memcpy(&v, a + i, 16);
			acc -= (bytes16)(v == nl);	/* -1 where equal */
		}
		for (j = 0; j < 16; j++)
			n += acc[j];
	}
	for (; i < len; i++)
		n += a[i] == '\n';
	return n;
}

/*
 * Place the targets that fall in [i, j) of the chunk b (file offset off),
 * a stretch outside quotes, at its safe line starts; a target whose line
 * start is beyond j waits for the next stretch.
 */
static void
place(struct scan *s, const char *b, size_t off, size_t i, size_t j)
{
	size_t w;
	const char *nl;

	for (; s->k < s->nwant && s->want[s->k] < off + j; s->k++) {
		w = s->want[s->k] > off + i ? s->want[s->k] - off : i;
		if ((w > 0 ? b[w - 1] : s->prev) != '\n') {
			if ((nl = memchr(b + w, '\n', j - w)) == NULL ||
			    (size_t)(nl - b) + 1 >= j)
				return;	/* the line start is past j */
			w = (size_t)(nl - b) + 1;
		}
		s->cut[s->k] = off + w;
		s->lines[s->k] = s->nl + count_lines(b, b + w);
	}
}

/* Scan the n bytes at b, file offset off. */
static void
scan_chunk(struct scan *s, const char *b, size_t n, size_t off)
{
	size_t i = 0;
	const char *q;
	char c;

	while (i < n && s->k < s->nwant) {
		switch (s->st) {
		case OUT:
			q = s->csv ? memchr(b + i, '"', n - i) : NULL;
			place(s, b, off, i, q != NULL ? (size_t)(q - b) + 1 : n);
			if (q == NULL) {
				i = n;
				break;
			}
			c = q > b ? q[-1] : s->prev;
			s->st = c == s->delim || c == '\r' || c == '\n' ? IN :
			    SKIP;
			i = (size_t)(q - b) + 1;
			break;
		case IN:
			q = memchr(b + i, '"', n - i);
			i = q != NULL ? (size_t)(q - b) + 1 : n;
			if (q != NULL)
				s->st = QUOTE;
			break;
		case QUOTE:
			c = b[i];
			if (c == '"') {
				s->st = IN;	/* a doubled quote */
				i++;
			} else
				s->st = c == s->delim || c == '\r' || c == '\n' ?
				    OUT : SKIP;
			break;
		case SKIP:
			q = memchr(b + i, '\n', n - i);
			i = q != NULL ? (size_t)(q - b) + 1 : n;
			if (q != NULL)
				s->st = OUT;
			break;
		}
	}
	s->nl += count_lines(b, b + n);
	s->prev = b[n - 1];
}

/*
 * For each target want[k] (ascending, in [from, size)), the first safe
 * line start at or after it, into cut[k] (size when none), and the lines
 * before it into lines[k]; from is a safe line start.  Bytes from buf
 * (size bytes) or, when buf is NULL, read from fd.  0, or -1 on a read
 * error.
 */
static int
find_cuts(const char *buf, int fd, size_t from, size_t size, int csv,
    int delim, const size_t *want, size_t *cut, long *lines, size_t nwant,
    long lines0)
{
	struct scan s = { csv, delim, OUT, '\n', want, cut, lines, nwant, 0,
	    lines0 };
	char *chunk = NULL;
	size_t off = from;
	ssize_t got;

	if (buf != NULL)
		scan_chunk(&s, buf + from, size - from, from);
	else if ((chunk = malloc(SCANSIZE)) == NULL)
		return -1;
	while (buf == NULL && off < size && s.k < nwant) {
		got = pread(fd, chunk, size - off < SCANSIZE ? size - off :
		    SCANSIZE, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0)
			break;	/* shorter than it was: no cut past here */
		if (got < 0) {
			free(chunk);
			return -1;
		}
		scan_chunk(&s, chunk, (size_t)got, off);
		off += (size_t)got;
	}
	free(chunk);
	for (; s.k < nwant; s.k++)
		cut[s.k] = size;
	return 0;
}

/* 1 when rd can be split now (see sp_reader_split). */
static int
splittable(const sp_reader *rd)
{
	if (rd->npaths != 1 || rd->fp == NULL || rd->fp == stdin ||
	    rd->z != NULL ||
	    !rd->started || rd->failed || rd->eof > 1 || rd->split ||
	    rd->stop > 0 || rd->cd != (iconv_t)-1 || rd->cr_mode ||
	    rd->opts.max_bytes > 0 || rd->lineno <= 0)
		return 0;
	if (rd->fmt == SP_FMT_CSV)
		return rd->have_header && sp_rd_csv_idle(rd);
	return rd->fmt == SP_FMT_JSONL;
}

/* A new reader over [from, to) of rd's input (to == 0: to its end), with
 * rd's slots, fields and format state, lines numbered from line0 + 1. */
static sp_reader *
part_new(sp_reader *rd, size_t from, size_t to, long line0, sp_error *e)
{
	sp_reader *p = sp_reader_open(rd->paths, 1, &rd->opts, e);
	struct stat a, b;
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < rd->nnames; i++)
		if (sp_reader_slot(p, rd->names[i]) != (int)i)
			goto nomem;
	if (rd->usecap > 0) {
		if ((p->use = malloc(rd->usecap)) == NULL)
			goto nomem;
		memcpy(p->use, rd->use, rd->usecap);
		p->usecap = rd->usecap;
	}
	p->declared = rd->declared;
	if (rd->nfields > 0) {
		if (sp_rd_grow(&p->fields, &p->fieldcap, rd->nfields,
		    sizeof(*p->fields)) < 0)
			goto nomem;
		memcpy(p->fields, rd->fields, rd->nfields * sizeof(*p->fields));
		p->nfields = rd->nfields;
	}
	/* the input, opened at from */
	p->next = 1;
	p->file = p->paths[0];
	if (rd->membuf != NULL) {
		p->fp = p->memfp = fmemopen((void *)(rd->membuf + from), (to ? to :
		    rd->memlen) - from, "rb");
		if (p->fp == NULL)
			goto nomem;
	} else {
		if ((p->fp = fopen(rd->paths[0], "rb")) == NULL ||
		    fstat(fileno(p->fp), &a) < 0 ||
		    fstat(fileno(rd->fp), &b) < 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
		    fseeko(p->fp, (off_t)from, SEEK_SET) < 0) {
			sp_err_where(e, rd->file, 0);
			sp_err_set(e, NULL, "cannot open again: %s", p->fp == NULL ?
			    strerror(errno) : "the file changed");
			sp_reader_close(p);
			return NULL;
		}
	}
	p->stop = to > 0 ? to - from : 0;
	p->fmt = rd->fmt;
	p->first_fmt = rd->first_fmt;
	p->first_guessed = rd->first_guessed;
	p->delim = rd->delim;
	p->enc = rd->enc;
	p->started = 1;
	p->lineno = p->line0 = line0;
	p->row_line = line0;
	p->split = 1;
	p->folded = p->split_folded = rd->folded;
	sp_rd_csv_restart(p);
	if (rd->fmt == SP_FMT_CSV) {
		if ((p->colslot = calloc(rd->ncols + 1, sizeof(*p->colslot))) ==
		    NULL)
			goto nomem;
		memcpy(p->colslot, rd->colslot, rd->ncols * sizeof(*p->colslot));
		p->ncols = rd->ncols;
		p->have_header = 1;
	} else {
		if ((p->json_slot = sp_groups_new(sizeof(int), NULL)) == NULL ||
		    sp_rd_grow(&p->json_keys, &p->json_keycap, rd->njson_keys + 1,
		    sizeof(*p->json_keys)) < 0)
			goto nomem;
		for (i = 0; i < rd->njson_keys; i++) {
			const char *k = rd->json_keys[i];
			int *from_rd = sp_groups_find(rd->json_slot, k, strlen(k));
			int *to_p = sp_groups_get(p->json_slot, k, strlen(k));
			if (from_rd == NULL || to_p == NULL ||
			    (p->json_keys[i] = strdup(k)) == NULL)
				goto nomem;
			p->njson_keys = i + 1;
			*to_p = *from_rd;
		}
	}
	return p;
nomem:
	sp_reader_close(p);
	sp_err_set(e, NULL, "out of memory");
	return NULL;
}

int
sp_reader_split(sp_reader *rd, int n, sp_reader **parts, sp_error *e)
{
	size_t size, from, *want = NULL, *cut = NULL, m, k, i;
	long *lines = NULL;
	struct stat st;
	int rc = -1;
	char c;

	parts[0] = rd;
	if (n > 1024)
		n = 1024;
	if (n < 2 || !splittable(rd))
		return 1;
	if (rd->membuf != NULL)
		size = rd->memlen;
	else if (fstat(fileno(rd->fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0)
		size = (size_t)st.st_size;
	else
		return 1;
	/* the first byte not yet consumed: a line start */
	from = (size_t)(rd->total - (rd->ilen - rd->ipos) - (rd->len - rd->pos));
	if (rd->total > size || from >= size || from == 0)
		return 1;
	if (rd->membuf != NULL)
		c = rd->membuf[from - 1];
	else if (pread(fileno(rd->fp), &c, 1, (off_t)from - 1) != 1)
		return 1;
	if (c != '\n')
		return 1;
	want = calloc((size_t)n, sizeof(*want));
	cut = calloc((size_t)n, sizeof(*cut));
	lines = calloc((size_t)n, sizeof(*lines));
	if (want == NULL || cut == NULL || lines == NULL) {
		sp_err_set(e, NULL, "out of memory");
		goto done;
	}
	/* even ranges; the first holds at least what rd has read already */
	for (k = 0; k + 1 < (size_t)n; k++) {
		want[k] = from + (size_t)((double)(size - from) * (double)(k + 1) /
		    n);
		if (want[k] < rd->total)
			want[k] = (size_t)rd->total;
		if (k > 0 && want[k] < want[k - 1])
			want[k] = want[k - 1];
	}
	if (find_cuts(rd->membuf, rd->membuf ? -1 : fileno(rd->fp), from, size,
	    rd->fmt == SP_FMT_CSV, rd->delim, want, cut, lines, (size_t)n - 1,
	    rd->lineno) < 0) {
		sp_err_where(e, rd->file, 0);
		sp_err_set(e, NULL, "read error: %s", strerror(errno));
		goto done;
	}
	/* keep the cuts that leave no range empty */
	for (k = m = 0; k + 1 < (size_t)n; k++)
		if (cut[k] < size && cut[k] > (m > 0 ? cut[m - 1] : from)) {
			lines[m] = lines[k];
			cut[m++] = cut[k];
		}
	if (m == 0) {
		rc = 1;
		goto done;
	}
	for (k = 0; k < m; k++)
		if ((parts[k + 1] = part_new(rd, cut[k], k + 1 < m ?
		    cut[k + 1] : 0, lines[k], e)) == NULL) {
			for (i = 1; i <= k; i++)
				sp_reader_close(parts[i]);
			goto done;
		}
	rd->stop = cut[0];
	rd->split = 1;
	rd->split_folded = rd->folded;
	rc = (int)m + 1;
done:
	free(want);
	free(cut);
	free(lines);
	return rc;
}
