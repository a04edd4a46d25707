/*
 * fuzz_jsonl: the JSON lines reader over any bytes (-i jsonl), with a
 * small read size taken from the low bits of the first byte and with one
 * read holding everything; the two must agree, numbers keep their exact
 * text, and the records go through the CSV writer and the JSONL writer
 * and are read back (format detected) unchanged.  A third read under the
 * --map the high bits choose keeps the reader's contract.
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
take_names(struct table *t, const sp_reader *rd, int mapped)
{
	const int *f;
	size_t n, i, j;

	f = sp_reader_fields(rd, &n);
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			FUZZ_CHECK(f[i] != f[j]);
	/*
	 * Without --map fields only grow within one input: the old list is
	 * a prefix.  With it, a new key can take a canonical name from an
	 * older one ("a|b": first present wins).
	 */
	if (mapped) {
		for (i = 0; i < t->nnames; i++)
			free(t->names[i]);
		t->nnames = 0;
	}
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

static int
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Index just past the string token that starts at s[i] ('"'). */
static size_t
string_end(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

/* 1 when k is a canonical field name in any case. */
static int
canonical_ci(const char *k)
{
	size_t i;

	for (i = 0; sp_map_canonical[i] != NULL; i++)
		if (strcasecmp(k, sp_map_canonical[i]) == 0)
			return 1;
	return 0;
}

/*
 * r is a record the reader accepted, so r->raw is a flat JSON object:
 * walk its members and check that every number value has its token's
 * exact text and the number mark, other values have no mark, and null is
 * absent.  Keys are decoded by jansson, numbers are found here.
 */
static void
check_numbers(sp_reader *rd, const sp_rec *r)
{
	const char *s = r->raw, *v;
	size_t n = r->rawlen, i = 0, k, at, nslots = sp_reader_nslots(rd);
	json_t *key;
	int slot;

	while (i < n && json_ws(s[i]))
		i++;
	FUZZ_CHECK(i < n && s[i] == '{');
	for (i++;;) {
		while (i < n && json_ws(s[i]))
			i++;
		FUZZ_CHECK(i < n);
		if (s[i] == '}')
			break;
		if (s[i] == ',') {
			i++;
			continue;
		}
		FUZZ_CHECK(s[i] == '"');
		k = i;
		i = string_end(s, n, i);
		key = json_loadb(s + k, i - k, JSON_DECODE_ANY, NULL);
		FUZZ_CHECK(key != NULL && json_is_string(key));
		while (i < n && json_ws(s[i]))
			i++;
		FUZZ_CHECK(i < n && s[i] == ':');
		for (i++; i < n && json_ws(s[i]); i++)
			;
		FUZZ_CHECK(i < n);
		at = i;
		if (s[i] == '"')
			i = string_end(s, n, i);
		else
			while (i < n && !json_ws(s[i]) && s[i] != ',' &&
			    s[i] != '}')
				i++;
		/* a key that is a canonical name but for case may be read as
		   that name (or lose to it): not checked here (unit tests) */
		if (canonical_ci(json_string_value(key))) {
			json_decref(key);
			continue;
		}
		/* the key has a slot already */
		slot = sp_reader_slot(rd, json_string_value(key));
		FUZZ_CHECK(slot >= 0 && sp_reader_nslots(rd) == nslots);
		v = sp_rec_get(r, slot);
		if (s[at] == '-' || (s[at] >= '0' && s[at] <= '9')) {
			FUZZ_CHECK(v != NULL && r->num[slot] == 1);
			FUZZ_CHECK(sp_rec_len(r, slot) == i - at &&
			    memcmp(v, s + at, i - at) == 0);
		} else if (s[at] == 'n')
			FUZZ_CHECK(v == NULL);
		else
			FUZZ_CHECK(v != NULL && r->num[slot] == 0);
		json_decref(key);
	}
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
	size_t nf, i, calls = 0;
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
		take_names(t, rd, map != NULL);
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
		if (fmt == SP_FMT_JSONL && map == NULL)
			check_numbers(rd, r);
		f = sp_reader_fields(rd, &nf);
		FUZZ_CHECK(nf == t->nnames);
		for (i = 0; map != NULL && i < nf; i++)
			if (sp_rec_get(r, f[i]) != NULL)
				FUZZ_CHECK(sp_rec_len(r, f[i]) == strlen(sp_rec_get(r,
				    f[i])));
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

/* A field with an empty name (a CSV header cannot have one). */
static int
empty_name(const struct table *t)
{
	size_t i;

	for (i = 0; i < t->nnames; i++)
		if (t->names[i][0] == '\0')
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table small, whole, back;
	size_t bs, n;
	char *out;

	if (size < 1 || size > 1 << 16)
		return 0;
	bs = 1 + (data[0] & 63);
	data++;
	size--;

	read_all(data, size, SP_FMT_JSONL, bs, NULL, &small);
	read_all(data, size, SP_FMT_JSONL, size + 16, NULL, &whole);
	/* the read size changes nothing */
	FUZZ_CHECK(small.tlen == whole.tlen &&
	    memcmp(small.trace, whole.trace, small.tlen) == 0);
	FUZZ_CHECK(small.nnames == whole.nnames);
	FUZZ_CHECK(table_same(&small, &whole, 1));
	table_free(&small);
	/* with a --map: the reader's contract only */
	if (data[-1] >> 6) {
		read_all(data, size, SP_FMT_JSONL, bs, fuzz_map(data[-1] >> 6),
		    &small);
		table_free(&small);
	}

	/*
	 * CSV writer, then the reader (detecting the format): CSV, and the
	 * same values (null and absent become empty).  CSV cannot hold a
	 * record without fields or a field without a name, and a header of one
	 * column holding a semicolon or a tab is taken for a wrong --delimiter.
	 */
	if (whole.nnames > 0 && !empty_name(&whole) && !(whole.nnames == 1 &&
	    strpbrk(whole.names[0], ";\t") != NULL)) {
		out = write_all(&whole, SP_FMT_CSV, &n);
		read_all(out, n, SP_FMT_AUTO, n + 16, NULL, &back);
		FUZZ_CHECK(back.fmt == SP_FMT_CSV);
		FUZZ_CHECK(table_same(&whole, &back, 0));
		table_free(&back);
		free(out);
	}

	/* JSONL writer, then the reader (detecting the format) */
	out = write_all(&whole, SP_FMT_JSONL, &n);
	read_all(out, n, SP_FMT_AUTO, n + 16, NULL, &back);
	FUZZ_CHECK(back.fmt == SP_FMT_JSONL || n == 0);
	FUZZ_CHECK(table_same(&whole, &back, 0));
	table_free(&back);
	free(out);
	table_free(&whole);
	return 0;
}
