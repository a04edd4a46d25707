/*
 * split: the rest of one regular file read as consecutive byte ranges, each
 * by its own reader (--threads).  A range starts only where one reader
 * would start a record: for CSV, the first line of a quoted field's
 * continuation is never one, so libcsv's strict state machine runs over
 * the lines that hold a quote (a line without one cannot open or close a
 * quoted field); for JSON lines, any line.  Lines are counted on the way,
 * so that every part numbers its lines as one reader would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "reader_impl.h"

/* Lines ('\n') in [a, b). */
static long
count_lines(const char *a, const char *b)
{
	long n = 0;

	while (a < b && (a = memchr(a, '\n', (size_t)(b - a))) != NULL) {
		n++;
		a++;
	}
	return n;
}

/* The first line start at or after w (a line start itself when the byte
 * before it is a newline), or end. */
static size_t
line_start(const char *base, size_t from, size_t w, size_t end)
{
	const char *nl;

	if (w <= from || base[w - 1] == '\n')
		return w;
	nl = memchr(base + w, '\n', end - w);
	return nl != NULL ? (size_t)(nl - base) + 1 : end;
}

/* libcsv 3.0.3's parser states (libcsv.c), and its strict rules. */
enum { ROW_NOT_BEGUN, FIELD_NOT_BEGUN, FIELD_BEGUN, FIELD_MIGHT_HAVE_ENDED };

/*
 * From the line start p, where no record is pending, the next line start
 * where none is: libcsv's strict state machine with csv.c's settings (no
 * byte is a space; CR and LF end rows), fed the bytes csv.c feeds it.  A
 * parse error drops the rest of its line and starts afresh on the next,
 * as csv.c does with a bad record.  Returns end when no such line start
 * follows.
 */
static const char *
csv_settle(const char *p, const char *end, int delim)
{
	int st = ROW_NOT_BEGUN, quoted = 0;
	unsigned char c;

	while (p < end) {
		c = (unsigned char)*p++;
		switch (st) {
		case ROW_NOT_BEGUN:
		case FIELD_NOT_BEGUN:
			if (c == '\r' || c == '\n') {
				st = ROW_NOT_BEGUN;
			} else if (c == delim) {
				st = FIELD_NOT_BEGUN;
			} else {
				st = FIELD_BEGUN;
				quoted = c == '"';
			}
			break;
		case FIELD_BEGUN:
			if (c == '"') {
				if (!quoted)
					goto error;
				st = FIELD_MIGHT_HAVE_ENDED;
			} else if (quoted) {
				/* inside quotes only the next quote matters */
				const char *q = memchr(p, '"', (size_t)(end - p));
				p = q != NULL ? q : end;
			} else if (c == delim) {
				st = FIELD_NOT_BEGUN;
			} else if (c == '\r' || c == '\n') {
				st = ROW_NOT_BEGUN;
			}
			break;
		case FIELD_MIGHT_HAVE_ENDED:
			if (c == delim)
				st = FIELD_NOT_BEGUN;
			else if (c == '\r' || c == '\n')
				st = ROW_NOT_BEGUN;
			else if (c == '"')
				st = FIELD_BEGUN;	/* a doubled quote */
			else
				goto error;
			break;
		}
		if (c == '\n' && st == ROW_NOT_BEGUN)
			return p;
		continue;
error:
		/* a bad record: csv.c restarts libcsv on the next line */
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return end;
		return p + 1;
	}
	return end;
}

/*
 * For each target want[k] (ascending, in [from, end]), the first line
 * start at or after it where one CSV reader has no record pending, given
 * that none is pending at from: into cut[k] (end when there is none).
 */
static void
csv_cuts(const char *base, size_t from, size_t end, int delim,
    const size_t *want, size_t *cut, size_t nwant)
{
	size_t p = from, k = 0, qls;
	const char *q, *nl;

	while (k < nwant) {
		/* p is a line start with nothing pending; so is every line
		   start up to the line of the next quote */
		q = memchr(base + p, '"', end - p);
		if (q == NULL)
			qls = end;
		else if ((nl = memrchr(base + p, '\n', (size_t)(q - base) - p)) !=
		    NULL)
			qls = (size_t)(nl - base) + 1;
		else
			qls = p;
		for (; k < nwant && want[k] <= qls; k++)
			cut[k] = line_start(base, p, want[k] > p ? want[k] : p,
			    end);
		if (q == NULL)
			break;
		p = (size_t)(csv_settle(base + qls, base + end, delim) - base);
		for (; k < nwant && want[k] <= p; k++)
			cut[k] = p;
	}
	for (; k < nwant; k++)
		cut[k] = end;
}

/* 1 when rd can be split now (see sp_reader_split). */
static int
splittable(const sp_reader *rd)
{
	if (rd->npaths != 1 || rd->fp == NULL || rd->fp == stdin ||
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
	const char *base;
	void *map = NULL;
	size_t size, from, *want = NULL, *cut = NULL, m, k, i;
	long lines;
	struct stat st;
	int rc = -1;

	parts[0] = rd;
	if (n > 1024)
		n = 1024;
	if (n < 2 || !splittable(rd))
		return 1;
	if (rd->membuf != NULL) {
		base = rd->membuf;
		size = rd->memlen;
	} else {
		if (fstat(fileno(rd->fp), &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_size <= 0)
			return 1;
		size = (size_t)st.st_size;
		if ((map = mmap(NULL, size, PROT_READ, MAP_PRIVATE,
		    fileno(rd->fp), 0)) == MAP_FAILED)
			return 1;
		madvise(map, size, MADV_SEQUENTIAL);
		base = map;
	}
	/* the first byte not yet consumed: a line start */
	from = (size_t)(rd->total - (rd->ilen - rd->ipos) - (rd->len - rd->pos));
	if (rd->total > size || from >= size || (from > 0 &&
	    base[from - 1] != '\n')) {
		rc = 1;
		goto done;
	}
	want = calloc((size_t)n, sizeof(*want));
	cut = calloc((size_t)n, sizeof(*cut));
	if (want == NULL || cut == NULL) {
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
	if (rd->fmt == SP_FMT_CSV)
		csv_cuts(base, from, size, rd->delim, want, cut, (size_t)n - 1);
	else
		for (k = 0; k + 1 < (size_t)n; k++)
			cut[k] = line_start(base, from, want[k], size);
	/* keep the cuts that leave no range empty */
	for (k = m = 0; k + 1 < (size_t)n; k++)
		if (cut[k] < size && cut[k] > (m > 0 ? cut[m - 1] : from))
			cut[m++] = cut[k];
	if (m == 0) {
		rc = 1;
		goto done;
	}
	lines = rd->lineno;
	for (k = 0; k < m; k++) {
		lines += count_lines(base + (k > 0 ? cut[k - 1] : from),
		    base + cut[k]);
		if ((parts[k + 1] = part_new(rd, cut[k], k + 1 < m ?
		    cut[k + 1] : 0, lines, e)) == NULL) {
			for (i = 1; i <= k; i++)
				sp_reader_close(parts[i]);
			goto done;
		}
	}
	rd->stop = cut[0];
	rd->split = 1;
	rd->split_folded = rd->folded;
	rc = (int)m + 1;
done:
	if (map != NULL)
		munmap(map, size);
	free(want);
	free(cut);
	return rc;
}
