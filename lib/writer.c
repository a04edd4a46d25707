/*
 * writer: the four output formats.  csv and jsonl stream; table and md
 * keep the rows to size the columns.  JSON output never carries invalid
 * UTF-8: bad bytes become U+FFFD.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/rec.h"
#include "salespipe/util.h"

struct col {
	char *name;
	int type;
	size_t width;
};

struct sp_writer {
	FILE *fp;
	int fmt;
	struct col *cols;
	size_t ncols;
	int started;		/* header written */
	int failed;
	int err;		/* errno of the first failed write, or 0 */
	int flags;		/* SP_WRITER_* */
	char **cells;		/* table/md: rows * ncols, owned */
	size_t nrows, rowcap;
	char *buf;		/* the row being written: one fwrite a row */
	size_t len, cap;
};

sp_writer *
sp_writer_new(FILE *fp, int fmt)
{
	sp_writer *w;

	if (fmt != SP_FMT_CSV && fmt != SP_FMT_JSONL && fmt != SP_FMT_TABLE &&
	    fmt != SP_FMT_MD)
		fmt = SP_FMT_CSV;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fp = fp;
	w->fmt = fmt;
	return w;
}

void
sp_writer_flags(sp_writer *w, int flags)
{
	w->flags = flags;
	if (flags & SP_WRITER_NO_HEADER)
		w->started = 1;
}

int
sp_writer_col(sp_writer *w, const char *name, int type)
{
	struct col *c = realloc(w->cols, (w->ncols + 1) * sizeof(*c));

	if (c == NULL)
		return -1;
	w->cols = c;
	if ((c[w->ncols].name = strdup(name)) == NULL)
		return -1;
	c[w->ncols].type = type;
	c[w->ncols].width = 0;
	w->ncols++;
	return 0;
}

/* Room for n more bytes in w's buffer: 0, or -1 (w failed). */
static int
grow(sp_writer *w, size_t n)
{
	size_t cap = w->cap ? 2 * w->cap : 4096;
	char *b;

	while (cap - w->len < n)
		cap *= 2;
	if ((b = realloc(w->buf, cap)) == NULL) {
		w->failed = 1;
		return -1;
	}
	w->buf = b;
	w->cap = cap;
	return 0;
}

static inline void
put(sp_writer *w, const char *s, size_t n)
{
	if (n == 0 || (n > w->cap - w->len && grow(w, n) < 0))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void
put1(sp_writer *w, char c)
{
	if (w->len == w->cap && grow(w, 1) < 0)
		return;
	w->buf[w->len++] = c;
}

/* What put gathered, to the stream. */
static void
flush_row(sp_writer *w)
{
	if (w->len > 0 && fwrite_unlocked(w->buf, 1, w->len, w->fp) != w->len) {
		w->failed = 1;
		if (w->err == 0)
			w->err = errno;
	}
	w->len = 0;
}

static void
puts_(sp_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/*
 * A CSV field, quoted only where needed: separators, quotes, line ends,
 * a leading byte-order mark (a reader would strip it), and an empty value
 * that is a whole row (a blank line would be no row at all).
 */
static void
csv_value(sp_writer *w, const char *s)
{
	/* the bytes that end the plain scan: NUL and those to quote */
	static const unsigned char stop[256] = { [0] = 1, [','] = 1,
	    ['"'] = 1, ['\r'] = 1, ['\n'] = 1 };
	size_t n = 0, i, from = 0;

	while (!stop[(unsigned char)s[n]])
		n++;
	if (s[n] == '\0' && ((unsigned char)s[0] != 0xef ||
	    strncmp(s, "\xef\xbb\xbf", 3) != 0) && (n > 0 || w->ncols > 1)) {
		put(w, s, n);
		return;
	}
	n += strlen(s + n);
	put(w, "\"", 1);
	for (i = 0; i < n; i++)
		if (s[i] == '"') {
			put(w, s + from, i + 1 - from);
			put(w, "\"", 1);
			from = i + 1;
		}
	put(w, s + from, n - from);
	put(w, "\"", 1);
}

/* A forward declaration: formula_like is with the cell helpers below. */
static int formula_like(const sp_writer *w, int type, const char *v);

/* A CSV value of a column of this type, "'"-prefixed when
 * --spreadsheet-safe says so. */
static void
csv_text(sp_writer *w, int type, const char *v)
{
	char *q;

	if (!formula_like(w, type, v)) {
		csv_value(w, v);
		return;
	}
	if ((q = malloc(strlen(v) + 2)) == NULL) {
		w->failed = 1;
		return;
	}
	q[0] = '\'';
	strcpy(q + 1, v);
	csv_value(w, q);
	free(q);
}

/*
 * 1 when a header line of the lone name s may be read as JSON lines: a
 * JSON value other than a string (42, [1], true), or '[' alone (see the
 * format detection in lib/input.c).
 */
static int
json_lookalike(const char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	/* an array, or what may be one: quoting is always safe */
	if (*s == '[')
		return 1;
	return (n == 4 && (memcmp(s, "true", 4) == 0 ||
	    memcmp(s, "null", 4) == 0)) || (n == 5 &&
	    memcmp(s, "false", 5) == 0) || sp_json_number_valid(s, n);
}

/*
 * The header line.  A first name that starts with '{', or a lone name of
 * blanks or that is JSON, is quoted, or a reader would take the file for
 * JSON lines.
 */
static void
csv_header(sp_writer *w)
{
	size_t i;
	const char *first = w->ncols ? w->cols[0].name : "";

	first += strspn(first, " \t");
	for (i = 0; i < w->ncols; i++) {
		if (i > 0)
			put(w, ",", 1);
		if (i == 0 && (*first == '{' || (w->ncols == 1 &&
		    (*first == '\0' || json_lookalike(first))))) {
			const char *s = w->cols[0].name;
			size_t n = strlen(s), k, from = 0;
			put(w, "\"", 1);
			for (k = 0; k < n; k++)
				if (s[k] == '"') {
					put(w, s + from, k + 1 - from);
					put(w, "\"", 1);
					from = k + 1;
				}
			put(w, s + from, n - from);
			put(w, "\"", 1);
		} else
			csv_text(w, SP_COL_STR, w->cols[i].name);
	}
	put(w, "\n", 1);
	w->started = 1;
}

size_t
sp_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, cp = c & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

static void
json_string(sp_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, from = 0, k;
	char esc[8];

	put(w, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];
		const char *rep = NULL;

		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\r')
			rep = "\\r";
		else if (c == '\t')
			rep = "\\t";
		else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			rep = esc;
		} else if (c >= 0x80 && (k = sp_utf8_len(p + i, n - i)) > 0) {
			i += k;
			continue;
		} else if (c >= 0x80)
			rep = "\xef\xbf\xbd";
		if (rep == NULL) {
			i++;
			continue;
		}
		put(w, s + from, i - from);
		puts_(w, rep);
		from = ++i;
	}
	put(w, s + from, n - from);
	put(w, "\"", 1);
}

/* Display width: UTF-8 code points (continuation bytes do not count). */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * A plain decimal v ("-0.1355498721") times 10^shift, rounded half away
 * from zero to `keep` decimals, in decimal digits (no binary rounding, no
 * overflow).  NULL when v is not a plain decimal.  sp_ratio_text truncates
 * the exact ratio to nine decimals: rounding that once more at six (or at
 * two of a percentage) gives the same digits as rounding the exact value,
 * since every tie point has fewer decimals than nine.
 */
static const char *
decimal_round(const char *v, int shift, int keep, char *buf, size_t size)
{
	char d[80];
	const char *p = v;
	size_t nd = 0, point = 0, want, i, o = 0;
	int neg = 0, dot = 0, nonzero = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p != '\0'; p++) {
		if (*p == '.' && !dot) {
			dot = 1;
			point = nd;
			continue;
		}
		if (*p < '0' || *p > '9' || nd + 1 >= sizeof(d))
			return NULL;
		d[nd++] = *p;
	}
	if (nd == 0 || (dot && p[-1] == '.' && nd == point))
		return NULL;
	if (!dot)
		point = nd;
	point += (size_t)shift;
	want = point + (size_t)keep;	/* digits kept */
	if (want + 2 >= sizeof(d) || size < want + 4)
		return NULL;
	while (nd < want)
		d[nd++] = '0';
	if (nd > want && d[want] >= '5') {
		/* round up the kept digits, carrying */
		for (i = want; i > 0 && d[i - 1] == '9'; i--)
			d[i - 1] = '0';
		if (i == 0) {
			memmove(d + 1, d, want);
			d[0] = '1';
			want++;
			point++;
		} else
			d[i - 1]++;
	}
	for (i = 0; i < want; i++)
		nonzero |= d[i] != '0';
	if (neg && nonzero)
		buf[o++] = '-';
	/* the integer part without leading zeros, at least one digit */
	for (i = 0; i + 1 < point && d[i] == '0'; i++)
		;
	if (point == 0)
		buf[o++] = '0';
	for (; i < point; i++)
		buf[o++] = d[i];
	if (keep > 0) {
		buf[o++] = '.';
		for (; i < want; i++)
			buf[o++] = d[i];
	}
	buf[o] = '\0';
	return buf;
}

/*
 * A ratio's text ("0.631501", or ratio_text's nine decimals) as a
 * percentage with two decimals ("63.15%"), rounded once, half away from
 * zero, in decimal.  Text that is not a plain decimal is shown as is.
 */
const char *
sp_percent_text(const char *v, char *buf, size_t size)
{
	if (size < 2 || decimal_round(v, 2, 2, buf, size - 1) == NULL)
		return v;
	strcat(buf, "%");
	return buf;
}

/*
 * A ratio column's value in csv and jsonl: six decimals.  Text with more
 * (sp_ratio_text) is rounded once, half away from zero; other text is
 * written as it is.
 */
static const char *
ratio_value(const char *v, char *buf, size_t size)
{
	const char *dot = strchr(v, '.');

	if (dot == NULL || strlen(dot + 1) <= 6 ||
	    decimal_round(v, 0, 6, buf, size) == NULL)
		return v;
	return buf;
}

/*
 * --spreadsheet-safe: 1 when v must get a leading "'": text a spreadsheet
 * would take for a formula (first character =, +, -, @, tab or CR).  A
 * numeric column's value that is a number (-5.00) is left alone.
 */
static int
formula_like(const sp_writer *w, int type, const char *v)
{
	if (!(w->flags & SP_WRITER_SPREADSHEET_SAFE) || v == NULL ||
	    strchr("=+-@\t\r", v[0]) == NULL || v[0] == '\0')
		return 0;
	return type == SP_COL_STR || !sp_json_number_valid(v, strlen(v));
}

/* The text a table or md cell shows: escaped (util.h), so that data never
 * reaches a terminal as a control sequence. */
static char *
cell_text(const sp_writer *w, const struct col *c, const char *v)
{
	char buf[96], *t, *q;
	const char *show = v;

	if (v == NULL || v[0] == '\0')
		return strdup("");
	if (c->type == SP_COL_RATIO)
		show = sp_percent_text(v, buf, sizeof(buf));
	if ((t = sp_escape(show)) == NULL || !formula_like(w, c->type, v))
		return t;
	if ((q = malloc(strlen(t) + 2)) != NULL) {
		q[0] = '\'';
		strcpy(q + 1, t);
	}
	free(t);
	return q;
}

int
sp_writer_begin(sp_writer *w)
{
	if (w->fmt == SP_FMT_CSV && !w->started) {
		csv_header(w);
		flush_row(w);
	}
	return w->failed ? -1 : 0;
}

int
sp_writer_row(sp_writer *w, const char *const *vals)
{
	size_t i, k;
	char rbuf[96];

	switch (w->fmt) {
	case SP_FMT_CSV:
		if (!w->started)
			csv_header(w);
		for (i = 0; i < w->ncols; i++) {
			const char *v = vals[i] != NULL ? vals[i] : "";
			if (i > 0)
				put1(w, ',');
			if (w->cols[i].type == SP_COL_RATIO)
				v = ratio_value(v, rbuf, sizeof(rbuf));
			if (w->flags & SP_WRITER_SPREADSHEET_SAFE)
				csv_text(w, w->cols[i].type, v);
			else
				csv_value(w, v);
		}
		put1(w, '\n');
		break;
	case SP_FMT_JSONL:
		put(w, "{", 1);
		for (i = 0, k = 0; i < w->ncols; i++) {
			const char *v = vals[i];
			if ((w->flags & SP_WRITER_OMIT_EMPTY) &&
			    (v == NULL || v[0] == '\0'))
				continue;
			if (k++ > 0)
				put(w, ",", 1);
			json_string(w, w->cols[i].name);
			put(w, ":", 1);
			if (w->cols[i].type == SP_COL_STR)
				json_string(w, v ? v : "");
			else if (v == NULL || v[0] == '\0')
				puts_(w, "null");
			else if (sp_json_number_valid(v, strlen(v)))
				puts_(w, w->cols[i].type == SP_COL_RATIO ?
				    ratio_value(v, rbuf, sizeof(rbuf)) : v);
			else
				json_string(w, v);
		}
		put(w, "}\n", 2);
		break;
	default:
		if (w->nrows == w->rowcap) {
			size_t cap = w->rowcap ? w->rowcap * 2 : 64;
			char **c = realloc(w->cells, cap * w->ncols *
			    sizeof(*c));
			if (c == NULL)
				return -1;
			w->cells = c;
			w->rowcap = cap;
		}
		for (i = 0; i < w->ncols; i++) {
			char *t = cell_text(w, &w->cols[i], vals[i]);
			if (t == NULL)
				return -1;
			w->cells[w->nrows * w->ncols + i] = t;
		}
		w->nrows++;
		break;
	}
	flush_row(w);
	return w->failed ? -1 : 0;
}

static void
pad(sp_writer *w, size_t n)
{
	while (n-- > 0)
		put(w, " ", 1);
}

static void
table_line(sp_writer *w, char *const *cells, int header)
{
	size_t i;

	for (i = 0; i < w->ncols; i++) {
		const char *t = cells[i];
		size_t wd = width(t), last = i + 1 == w->ncols;
		int right = !header && w->cols[i].type != SP_COL_STR;

		if (header)
			right = w->cols[i].type != SP_COL_STR;
		if (t[0] == '\0')
			t = "-", wd = 1;
		if (right)
			pad(w, w->cols[i].width - wd);
		puts_(w, t);
		if (!last) {
			if (!right)
				pad(w, w->cols[i].width - wd);
			put(w, "  ", 2);
		}
	}
	put(w, "\n", 1);
}

static void
md_cell(sp_writer *w, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			put(w, "\\|", 2);
		else if (*s == '\n' || *s == '\r')
			put(w, " ", 1);
		else
			put(w, s, 1);
	}
}

int
sp_writer_finish(sp_writer *w)
{
	size_t i, r;

	if (w == NULL)
		return 0;
	if (w->fmt == SP_FMT_CSV && !w->started) {
		csv_header(w);
	} else if (w->fmt == SP_FMT_TABLE && !w->started) {
		char **names = calloc(w->ncols + 1, sizeof(*names));
		if (names == NULL)
			return -1;
		for (i = 0; i < w->ncols; i++) {
			if ((names[i] = cell_text(w, &(struct col){ NULL,
			    SP_COL_STR, 0 }, w->cols[i].name)) == NULL)
				w->failed = 1;
			if (names[i] == NULL && (names[i] = strdup("")) == NULL)
				break;
			w->cols[i].width = width(names[i]);
			for (r = 0; r < w->nrows; r++) {
				size_t k = width(w->cells[r * w->ncols + i]);
				if (k == 0)
					k = 1;
				if (k > w->cols[i].width)
					w->cols[i].width = k;
			}
		}
		if (i < w->ncols) {
			while (i-- > 0)
				free(names[i]);
			free(names);
			return -1;
		}
		table_line(w, names, 1);
		for (r = 0; r < w->nrows; r++)
			table_line(w, w->cells + r * w->ncols, 0);
		for (i = 0; i < w->ncols; i++)
			free(names[i]);
		free(names);
		w->started = 1;
	} else if (w->fmt == SP_FMT_MD && !w->started) {
		put(w, "|", 1);
		for (i = 0; i < w->ncols; i++) {
			char *t = cell_text(w, &(struct col){ NULL,
			    SP_COL_STR, 0 }, w->cols[i].name);
			if (t == NULL)
				return -1;
			put(w, " ", 1);
			md_cell(w, t);
			put(w, " |", 2);
			free(t);
		}
		put(w, "\n|", 2);
		for (i = 0; i < w->ncols; i++)
			puts_(w, w->cols[i].type == SP_COL_STR ? "---|" :
			    "--:|");
		put(w, "\n", 1);
		for (r = 0; r < w->nrows; r++) {
			put(w, "|", 1);
			for (i = 0; i < w->ncols; i++) {
				put(w, " ", 1);
				md_cell(w, w->cells[r * w->ncols + i]);
				put(w, " |", 2);
			}
			put(w, "\n", 1);
		}
		w->started = 1;
	}
	flush_row(w);
	errno = 0;
	if (fflush(w->fp) != 0 || ferror(w->fp)) {
		w->failed = 1;
		if (w->err == 0)
			w->err = errno;
	}
	if (w->failed && w->err != 0)
		errno = w->err;	/* what the caller reports */
	return w->failed ? -1 : 0;
}

void
sp_writer_free(sp_writer *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nrows * w->ncols; i++)
		free(w->cells[i]);
	free(w->cells);
	for (i = 0; i < w->ncols; i++)
		free(w->cols[i].name);
	free(w->cols);
	free(w->buf);
	free(w);
}
