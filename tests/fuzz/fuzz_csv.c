/*
 * fuzz_csv: the CSV record reader over any bytes (-i csv), with a small
 * read size taken from the low bits of the first byte (buffer boundaries)
 * and with one read holding everything, both under the --map its high
 * bits choose; the two reads must agree.  The records then go through the
 * CSV writer and the JSONL writer and are read back (format detected)
 * unchanged.
 */
#include <jansson.h>

#include "fuzz.h"
#include "salespipe/rec.h"

/* What a read gave: field names, the good records' values, a trace. */
struct table {
	char **names;
	size_t nnames;
	char ***rows;		/* rows[r][i]: value of names[i] or NULL */
	size_t *rowlen;		/* fields when the row was read */
	size_t nrows;
	char trace[4096];	/* result codes and lines, to compare reads */
	int fmt;		/* the format the reader read */
	size_t tlen;
};

static void
table_free(struct table *t)
{
	size_t r, i;

	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->rowlen[r]; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(t->rowlen);
	memset(t, 0, sizeof(*t));
}

static char *
dup_or_null(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	FUZZ_CHECK(p != NULL);
	return p;
}

/* Take the reader's current field list as the table's names. */
static void
take_names(struct table *t, const sp_reader *rd)
{
	const int *f;
	size_t n, i;

	f = sp_reader_fields(rd, &n);
	if (n == 0)
		return;
	/* fields only grow within one input: the old list is a prefix */
	FUZZ_CHECK(n >= t->nnames);
	for (i = 0; i < t->nnames; i++)
		FUZZ_CHECK(strcmp(t->names[i],
		    sp_reader_slot_name(rd, f[i])) == 0);
	t->names = realloc(t->names, n * sizeof(*t->names));
	FUZZ_CHECK(t->names != NULL);
	for (i = t->nnames; i < n; i++)
		t->names[i] = dup_or_null(sp_reader_slot_name(rd, f[i]));
	t->nnames = n;
}

static void
trace(struct table *t, int k, long line)
{
	int w;

	if (t->tlen + 32 >= sizeof(t->trace))
		return;
	w = snprintf(t->trace + t->tlen, sizeof(t->trace) - t->tlen, "%d@%ld ",
	    k, line);
	t->tlen += (size_t)w;
}

/*
 * The maps the second to last bits of the first byte choose: explicit
 * pairs with alternatives and a shadowed name, the salesforce preset, or
 * both.  Made once, never freed.
 */
static const sp_map *
fuzz_map(int which)
{
	static sp_map *maps[4];
	sp_error e;

	if (which == 0)
		return NULL;
	if (maps[which] == NULL) {
		FUZZ_CHECK((maps[which] = sp_map_new()) != NULL);
		if (which & 2)
			FUZZ_CHECK(sp_map_add(maps[which], "salesforce", &e) == 0);
		if (which & 1)
			FUZZ_CHECK(sp_map_add(maps[which], "id=ID|Id,stage=b|a,"
			    "amount=Amount", &e) == 0);
	}
	return maps[which];
}

/*
 * Read all of buf (format fmt, read size bufsize) into t, checking the
 * reader's contract on every result.
 */
static void
read_all(const void *buf, size_t n, int fmt, size_t bufsize,
    const sp_map *map, struct table *t)
{
	sp_read_opts o = { .format = fmt, .map = map, .bufsize = bufsize };
	sp_error e;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	const int *f;
	size_t nf, i, j, calls = 0;
	long last = 0;
	int k;

	memset(t, 0, sizeof(*t));
	FUZZ_CHECK(r != NULL);
	rd = sp_reader_open_mem(buf, n, "fuzz", &o, &e);
	FUZZ_CHECK(rd != NULL);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		/* every call consumes a line or ends the input */
		FUZZ_CHECK(++calls <= n + 4);
		FUZZ_CHECK(k == 1 || k == -1 || k == -2);
		take_names(t, rd);
		if (k == -2) {
			FUZZ_CHECK(e.msg[0] != '\0');
			trace(t, k, e.line);
			continue;
		}
		FUZZ_CHECK(r->raw != NULL && r->file != NULL);
		FUZZ_CHECK(r->line >= 1 && r->line >= last);
		last = r->line;
		trace(t, k, r->line);
		if (k == -1) {
			FUZZ_CHECK(e.msg[0] != '\0' && e.file[0] != '\0' &&
			    e.line >= 1);
			continue;
		}
		f = sp_reader_fields(rd, &nf);
		FUZZ_CHECK(nf == t->nnames);
		/* after --map, still one field a slot */
		for (i = 0; i < nf; i++)
			for (j = 0; j < i; j++)
				FUZZ_CHECK(f[i] != f[j]);
		t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
		t->rowlen = realloc(t->rowlen, (t->nrows + 1) *
		    sizeof(*t->rowlen));
		FUZZ_CHECK(t->rows != NULL && t->rowlen != NULL);
		t->rows[t->nrows] = calloc(nf + 1, sizeof(char *));
		FUZZ_CHECK(t->rows[t->nrows] != NULL);
		t->rowlen[t->nrows] = nf;
		for (i = 0; i < nf; i++) {
			const char *v = sp_rec_get(r, f[i]);
			/* a CSV record has every column; no value a NUL */
			FUZZ_CHECK(fmt != SP_FMT_CSV || v != NULL);
			FUZZ_CHECK(v == NULL || sp_rec_len(r, f[i]) == strlen(v));
			t->rows[t->nrows][i] = dup_or_null(v);
		}
		t->nrows++;
	}
	/* the end stays the end */
	FUZZ_CHECK(sp_reader_next(rd, r, &e) == 0);
	t->fmt = sp_reader_format(rd);
	sp_reader_close(rd);
	sp_rec_free(r);
}

static const char *
val(const struct table *t, size_t r, size_t i)
{
	return i < t->rowlen[r] ? t->rows[r][i] : NULL;
}

/* Same names and values (absent counting as empty unless exact). */
static int
table_same(const struct table *a, const struct table *b, int exact)
{
	size_t r, i;

	if (a->nrows != b->nrows || (a->nrows > 0 && a->nnames != b->nnames))
		return 0;
	for (i = 0; a->nrows > 0 && i < a->nnames; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	for (r = 0; r < a->nrows; r++)
		for (i = 0; i < a->nnames; i++) {
			const char *x = val(a, r, i), *y = val(b, r, i);
			if (exact && (x == NULL) != (y == NULL))
				return 0;
			if (strcmp(x ? x : "", y ? y : "") != 0)
				return 0;
		}
	return 1;
}

/* Write t in format fmt into a new buffer (free it); sets *n. */
static char *
write_all(const struct table *t, int fmt, size_t *n)
{
	char *out = NULL;
	FILE *fp = open_memstream(&out, n);
	sp_writer *w;
	const char **v;
	size_t r, i;

	FUZZ_CHECK(fp != NULL);
	w = sp_writer_new(fp, fmt);
	FUZZ_CHECK(w != NULL);
	for (i = 0; i < t->nnames; i++)
		FUZZ_CHECK(sp_writer_col(w, t->names[i], SP_COL_STR) == 0);
	v = calloc(t->nnames + 1, sizeof(*v));
	FUZZ_CHECK(v != NULL);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->nnames; i++)
			v[i] = val(t, r, i);
		FUZZ_CHECK(sp_writer_row(w, v) == 0);
	}
	FUZZ_CHECK(sp_writer_finish(w) == 0);
	sp_writer_free(w);
	free(v);
	FUZZ_CHECK(fclose(fp) == 0);
	return out;
}

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF)? */
static int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p, cp;
		size_t k, i;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4, cp = c & 0x07;
		else
			return 0;
		for (i = 1; i < k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((k == 3 && (cp < 0x800 ||
		    (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += k;
	}
	return 1;
}

static int
table_utf8(const struct table *t)
{
	size_t r, i;

	for (i = 0; i < t->nnames; i++)
		if (!utf8_valid(t->names[i]))
			return 0;
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->rowlen[r]; i++)
			if (t->rows[r][i] != NULL && !utf8_valid(t->rows[r][i]))
				return 0;
	return 1;
}

/* 1 when the first line of s is JSON but neither object nor string. */
static int
json_scalar_line(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	json_t *v = json_loadb(s, nl ? (size_t)(nl - s) : n, JSON_DECODE_ANY,
	    NULL);
	int r = v != NULL && !json_is_object(v) && !json_is_string(v);

	json_decref(v);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table small, whole, back;
	const sp_map *map;
	size_t bs, n;
	char *out;

	if (size < 1 || size > 1 << 16)
		return 0;
	bs = 1 + (data[0] & 63);
	data++;
	size--;

	map = fuzz_map(data[-1] >> 6);
	read_all(data, size, SP_FMT_CSV, bs, map, &small);
	read_all(data, size, SP_FMT_CSV, size + 16, map, &whole);
	/* the read size changes nothing */
	FUZZ_CHECK(small.tlen == whole.tlen &&
	    memcmp(small.trace, whole.trace, small.tlen) == 0);
	FUZZ_CHECK(small.nnames == whole.nnames);
	FUZZ_CHECK(table_same(&small, &whole, 1));
	table_free(&small);

	/*
	 * CSV writer, then the reader again: it must take the writer's CSV
	 * for CSV when it detects the format, and read the same records
	 */
	out = write_all(&whole, SP_FMT_CSV, &n);
	read_all(out, n, SP_FMT_AUTO, n + 16, NULL, &back);
	/* a header line that is a JSON number, array, true, false or null
	   (a one-column header `1`) is taken for JSON lines (issue 9) */
	FUZZ_CHECK(back.fmt == SP_FMT_CSV || json_scalar_line(out, n));
	FUZZ_CHECK(back.fmt != SP_FMT_CSV || table_same(&whole, &back, 1));
	table_free(&back);
	free(out);

	/* JSONL writer, then the reader (detecting the format) */
	if (table_utf8(&whole)) {
		out = write_all(&whole, SP_FMT_JSONL, &n);
		read_all(out, n, SP_FMT_AUTO, n + 16, NULL, &back);
		FUZZ_CHECK(back.fmt == SP_FMT_JSONL || n == 0);
		FUZZ_CHECK(table_same(&whole, &back, 1));
		table_free(&back);
		free(out);
	}
	table_free(&whole);
	return 0;
}
