/*
 * Unit tests of rec: the CSV and JSON lines readers and the four writers
 * (include/salespipe/rec.h).  Every expected value is written out from
 * RFC 4180, the JSON grammar and DESIGN.md sections 2 and 6, not copied
 * from the library's output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "salespipe/map.h"
#include "salespipe/field.h"
#include "salespipe/rec.h"

/* ---- reading helpers ------------------------------------------------ */

static sp_reader *
open_n(const char *text, size_t n, int fmt, const sp_map *map)
{
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;

	memset(&o, 0, sizeof(o));
	o.format = fmt;
	o.map = map;
	sp_err_clear(&e);
	rd = sp_reader_open_mem(text, n, "t.in", &o, &e);
	if (rd == NULL)
		fail_msg("reader_open_mem: %s", e.msg);
	return rd;
}

static sp_reader *
open_text(const char *text, int fmt)
{
	return open_n(text, strlen(text), fmt, NULL);
}

/* sp_reader_next must return want; prints the error otherwise. */
#define NEXT(rd, r, e, want) do { \
	int k_ = sp_reader_next((rd), (r), (e)); \
	if (k_ != (want)) \
		fail_msg("reader_next = %d, want %d (%s:%ld: %s: %s)", k_, \
		    (want), (e)->file, (e)->line, (e)->field, (e)->msg); \
} while (0)

/* The value of field name in r (NULL when absent). */
static const char *
get(sp_reader *rd, const sp_rec *r, const char *name)
{
	return sp_rec_get(r, sp_reader_slot(rd, name));
}

static void
assert_raw(const sp_rec *r, const char *want)
{
	assert_non_null(r->raw);
	assert_int_equal(r->rawlen, strlen(want));
	assert_memory_equal(r->raw, want, strlen(want));
}

/* The whole of a CSV input of two columns a,b as "a|b;a|b;" with lines. */
static void
assert_ab(const char *text, int fmt, const char *want_vals,
    const long *want_lines)
{
	sp_reader *rd = open_text(text, fmt);
	sp_rec *r = sp_rec_new();
	sp_error e;
	char got[512];
	size_t i = 0, o = 0;
	int k;

	got[0] = '\0';
	while ((k = sp_reader_next(rd, r, &e)) == 1) {
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s|%s;",
		    get(rd, r, "a") ? get(rd, r, "a") : "(null)",
		    get(rd, r, "b") ? get(rd, r, "b") : "(null)");
		assert_int_equal(r->line, want_lines[i]);
		i++;
	}
	if (k != 0)
		fail_msg("reader_next = %d: %s", k, e.msg);
	assert_string_equal(got, want_vals);
	assert_int_equal(want_lines[i], 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

/* ---- CSV ------------------------------------------------------------ */

/*
 * Lines without a quote or a CR are split on the separator and nothing
 * else (RFC 4180 with no quoting): 20000 random such lines, of 0 to 40
 * bytes (words of eight bytes and their tails), some with UTF-8 letters
 * (which take the reader's other way), each read after a header of three
 * columns and compared with a split done here: three fields give the
 * record, any other number a bad record.  With ',' and with ';'.
 */
static void
test_csv_plain_lines_split(void **state)
{
	static const char *const bits[] = { "a", "b", "-", "+", ",", ";",
	    " ", "\t", "0", "9", "x", "\xc3\xa9" };
	char text[256], line[128], want[3][128];
	int pass, i, k, len, nf;

	(void)state;
	srand(7);
	for (pass = 0; pass < 2; pass++) {
		char sep = pass == 0 ? ',' : ';';
		for (i = 0; i < 10000; i++) {
			sp_read_opts o;
			sp_error e;
			sp_reader *rd;
			sp_rec *r;
			const char *p, *q;
			int utf8 = rand() % 4 == 0;

			len = 0;
			while (len < 40 && rand() % 42 != 0) {
				const char *b = bits[rand() % (utf8 ? 12 : 11)];
				memcpy(line + len, b, strlen(b));
				len += (int)strlen(b);
			}
			line[len] = '\0';
			/* the split, by hand */
			for (nf = 0, p = line;; p = q + 1) {
				q = strchr(p, sep);
				if (nf < 3)
					snprintf(want[nf], sizeof(want[nf]), "%.*s",
					    (int)(q ? q - p : (long)strlen(p)), p);
				nf++;
				if (q == NULL)
					break;
			}
			snprintf(text, sizeof(text), "c0%cc1%cc2\n%s\n", sep,
			    sep, line);
			memset(&o, 0, sizeof(o));
			o.format = SP_FMT_CSV;
			o.delim = sep;
			rd = sp_reader_open_mem(text, strlen(text), "t.in", &o,
			    &e);
			assert_non_null(rd);
			r = sp_rec_new();
			if (len == 0) {	/* a blank line: no record */
				NEXT(rd, r, &e, 0);
				goto next;
			}
			k = sp_reader_next(rd, r, &e);
			if (nf != 3) {
				if (k != -1)
					fail_msg("'%s' (%d fields): %d, want a "
					    "bad record", line, nf, k);
				assert_non_null(strstr(e.msg,
				    "fields as in the header"));
				assert_int_equal(e.line, 2);
			} else {
				if (k != 1)
					fail_msg("'%s': %d (%s)", line, k, e.msg);
				for (k = 0; k < 3; k++) {
					char c[3] = { 'c', (char)('0' + k), 0 };
					assert_string_equal(get(rd, r, c),
					    want[k]);
					assert_int_equal(sp_rec_len(r,
					    sp_reader_slot(rd, c)),
					    strlen(want[k]));
				}
				assert_int_equal(r->line, 2);
				assert_raw(r, line);
			}
			NEXT(rd, r, &e, 0);
next:
			sp_rec_free(r);
			sp_reader_close(rd);
		}
	}
}

/* buf (n bytes) gzip'd into out (a member of its own); its length. */
static size_t
gz(const char *buf, size_t n, unsigned char *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)buf;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = cap - zs.avail_out;
	deflateEnd(&zs);
	return n;
}

/* The records of a compressed input, as "a|b;" pairs, read with a read
 * size of bufsize (0: the default). */
static void
read_compressed(const unsigned char *in, size_t n, size_t bufsize,
    const char *want)
{
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	char got[4096];
	size_t k = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.bufsize = bufsize;
	rd = sp_reader_open_mem(in, n, "t.in", &o, &e);
	assert_non_null(rd);
	got[0] = '\0';
	while ((rc = sp_reader_next(rd, r, &e)) == 1)
		k += (size_t)snprintf(got + k, sizeof(got) - k, "%s|%s;",
		    get(rd, r, "a"), get(rd, r, "b"));
	if (rc != 0)
		fail_msg("reader_next = %d: %s", rc, e.msg);
	assert_string_equal(got, want);
	sp_rec_free(r);
	sp_reader_close(rd);
}

/*
 * gzip and zstd input, found by the magic number: one member, two members
 * one after the other (the second starting mid-record), two zstd frames;
 * read sizes of 1 and 3 bytes put every boundary of the compressed data
 * and of the text inside it at every place; a member cut short and bytes
 * after the last member are errors.
 */
static void
test_compressed(void **state)
{
	static const char a[] = "a,b\n1,2\n3,", b[] = "4\n5,6\n";
	unsigned char in[1024], bad[1024];
	size_t n, m, sizes[] = { 0, 1, 3 }, i;
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;
	sp_rec *r;

	(void)state;
	for (i = 0; i < 3; i++) {
		n = gz(a, strlen(a), in, sizeof(in));
		n += gz(b, strlen(b), in + n, sizeof(in) - n);
		read_compressed(in, n, sizes[i], "1|2;3|4;5|6;");
		n = ZSTD_compress(in, sizeof(in), a, strlen(a), 3);
		assert_false(ZSTD_isError(n));
		m = ZSTD_compress(in + n, sizeof(in) - n, b, strlen(b), 19);
		assert_false(ZSTD_isError(m));
		read_compressed(in, n + m, sizes[i], "1|2;3|4;5|6;");
	}
	/* cut short, and followed by a stray byte: the input's error */
	n = gz(a, strlen(a), in, sizeof(in));
	for (i = 0; i < 2; i++) {
		memcpy(bad, in, n);
		m = i == 0 ? n - 3 : n + 1;
		bad[n] = 'x';
		memset(&o, 0, sizeof(o));
		rd = sp_reader_open_mem(bad, m, "t.in", &o, &e);
		assert_non_null(rd);
		r = sp_rec_new();
		while (sp_reader_next(rd, r, &e) == 1)
			;
		assert_non_null(strstr(e.msg, i == 0 ? "inside the compressed "
		    "data" : "follows the end of the compressed data"));
		assert_string_equal(e.file, "t.in");
		sp_rec_free(r);
		sp_reader_close(rd);
	}
}

/* Read every record of rd (and of the other parts, when split), bad
 * ones too; the records. */
static size_t
read_through(sp_reader *rd)
{
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t n = 0;
	int k;

	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		assert_true(k == 1 || k == -1);
		n++;
	}
	sp_rec_free(r);
	return n;
}

/* The bytes sp_read_opts.progress counts while the n bytes at buf are
 * read through with a read size of bufsize. */
static unsigned long long
bytes_counted(const void *buf, size_t n, size_t bufsize)
{
	unsigned long long count = 0;
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;

	memset(&o, 0, sizeof(o));
	o.bufsize = bufsize;
	o.progress = &count;
	rd = sp_reader_open_mem(buf, n, "t.in", &o, &e);
	assert_non_null(rd);
	read_through(rd);
	sp_reader_close(rd);
	return count;
}

/*
 * sp_read_opts.progress counts the bytes read from the input: all of
 * them, whatever the read size; a compressed input's compressed bytes;
 * the parts of a split reader together, the file's size.  NULL counts
 * nothing.
 */
static void
test_progress_count(void **state)
{
	static unsigned char in[1 << 18];
	static char text[1 << 18];	/* past HEADSIZE: splittable */
	unsigned long long count;
	sp_reader *parts[4];
	sp_read_opts o;
	sp_error e;
	sp_reader *rd;
	sp_rec *r;
	size_t n = 0, m, sizes[] = { 0, 1, 4096 }, i;
	int k, j;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "id,amount\n");
	for (i = 0; n + 40 < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "D%zu,%zu.50\n",
		    i, i * 7);
	for (i = 0; i < 3; i++)
		assert_int_equal(bytes_counted(text, n, sizes[i]), n);
	/* compressed: the compressed bytes */
	m = gz(text, n, in, sizeof(in));
	assert_true(m < n);
	assert_int_equal(bytes_counted(in, m, 0), m);
	/* split in four after a record: the parts' bytes, together */
	memset(&o, 0, sizeof(o));
	o.bufsize = 512;
	count = 0;
	o.progress = &count;
	rd = sp_reader_open_mem(text, n, "t.in", &o, &e);
	assert_non_null(rd);
	r = sp_rec_new();
	assert_int_equal(sp_reader_next(rd, r, &e), 1);
	sp_rec_free(r);
	k = sp_reader_split(rd, 4, parts, &e);
	assert_int_equal(k, 4);
	for (j = 0; j < k; j++)
		read_through(parts[j]);
	assert_int_equal(count, n);
	for (j = 1; j < k; j++)
		sp_reader_close(parts[j]);
	sp_reader_close(rd);
	/* none */
	memset(&o, 0, sizeof(o));
	rd = sp_reader_open_mem(text, n, "t.in", &o, &e);
	assert_non_null(rd);
	assert_true(read_through(rd) > 100);
	sp_reader_close(rd);
}

static void
test_csv_basic(void **state)
{
	sp_reader *rd = open_text("a,b\n1,2\n3,4\n", SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;
	const int *f;
	size_t nf;

	(void)state;
	NEXT(rd, r, &e, 1);
	assert_int_equal(sp_reader_format(rd), SP_FMT_CSV);
	assert_string_equal(r->file, "t.in");
	assert_int_equal(r->line, 2);
	assert_raw(r, "1,2");
	assert_string_equal(get(rd, r, "a"), "1");
	assert_string_equal(get(rd, r, "b"), "2");
	assert_int_equal(sp_rec_len(r, sp_reader_slot(rd, "b")), 1);
	f = sp_reader_fields(rd, &nf);
	assert_int_equal(nf, 2);
	assert_string_equal(sp_reader_slot_name(rd, f[0]), "a");
	assert_string_equal(sp_reader_slot_name(rd, f[1]), "b");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 3);
	assert_raw(r, "3,4");
	assert_string_equal(get(rd, r, "a"), "3");
	NEXT(rd, r, &e, 0);
	NEXT(rd, r, &e, 0);	/* stays at the end */
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_csv_no_final_newline(void **state)
{
	static const long lines[] = { 2, 0 };

	(void)state;
	assert_ab("a,b\n1,2", SP_FMT_AUTO, "1|2;", lines);
}

static void
test_csv_empty_inputs(void **state)
{
	static const long none[] = { 0 };

	(void)state;
	assert_ab("", SP_FMT_AUTO, "", none);
	assert_ab("\n\n", SP_FMT_AUTO, "", none);
	assert_ab("a,b\n", SP_FMT_AUTO, "", none);
	assert_ab("a,b", SP_FMT_AUTO, "", none);
	assert_ab("", SP_FMT_JSONL, "", none);
}

static void
test_csv_blank_lines(void **state)
{
	static const long lines[] = { 4, 7, 0 };

	(void)state;
	/* blank lines count as lines, before the header too */
	assert_ab("\na,b\n\n1,2\n\n\n3,4\n\n", SP_FMT_AUTO, "1|2;3|4;", lines);
}

static void
test_csv_quoted_newline(void **state)
{
	sp_reader *rd = open_text("a,b\n\"x\ny\",2\n3,\"p\n\nq\"\n5,6\n",
	    SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 2);
	assert_string_equal(get(rd, r, "a"), "x\ny");
	assert_raw(r, "\"x\ny\",2");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 4);
	assert_string_equal(get(rd, r, "b"), "p\n\nq");	/* blank line kept */
	assert_raw(r, "3,\"p\n\nq\"");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 7);
	assert_string_equal(get(rd, r, "a"), "5");
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_csv_crlf(void **state)
{
	static const long lines[] = { 2, 4, 0 };
	sp_reader *rd = open_text("a,b\r\n1,2\r\n", SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, 1);
	assert_raw(r, "1,2");
	assert_string_equal(get(rd, r, "b"), "2");
	assert_int_equal(sp_rec_len(r, sp_reader_slot(rd, "b")), 1);
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
	assert_ab("a,b\r\n1,2\r\n\r\n\"x\",\"y\"\r\n", SP_FMT_AUTO,
	    "1|2;x|y;", lines);
}

static void
test_csv_cr_only(void **state)
{
	static const long lines[] = { 2, 4, 0 };

	(void)state;
	/* old Mac line ends: a lone CR ends a line */
	assert_ab("a,b\r1,2\r\r3,4\r", SP_FMT_AUTO, "1|2;3|4;", lines);
	assert_ab("a,b\r1,2\r\r3,4", SP_FMT_AUTO, "1|2;3|4;", lines);
}

static void
test_csv_bom(void **state)
{
	static const long lines[] = { 2, 0 };
	sp_reader *rd = open_text("\xef\xbb\xbf" "a,b\n1,2\n", SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t nf;
	const int *f;

	(void)state;
	NEXT(rd, r, &e, 1);
	f = sp_reader_fields(rd, &nf);
	assert_int_equal(nf, 2);
	assert_string_equal(sp_reader_slot_name(rd, f[0]), "a");
	sp_rec_free(r);
	sp_reader_close(rd);
	assert_ab("\xef\xbb\xbf" "a,b\r\n1,2\r\n", SP_FMT_AUTO, "1|2;", lines);
}

static void
test_csv_quotes(void **state)
{
	static const long lines[] = { 2, 3, 4, 0 };

	(void)state;
	assert_ab("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n"
	    "\"\"\"\",\"\"\n"
	    "\" sp \", t \n",
	    SP_FMT_AUTO, "x,y|say \"hi\";\"|; sp | t ;", lines);
}

static void
test_csv_empty_vs_absent(void **state)
{
	sp_reader *rd = open_text("a,b,c\n,\"\",x\n", SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;
	int a, b, c, z;

	(void)state;
	NEXT(rd, r, &e, 1);
	a = sp_reader_slot(rd, "a");
	b = sp_reader_slot(rd, "b");
	c = sp_reader_slot(rd, "c");
	z = sp_reader_slot(rd, "zz");	/* no input has it */
	assert_non_null(sp_rec_get(r, a));
	assert_string_equal(sp_rec_get(r, a), "");
	assert_int_equal(sp_rec_has(r, a), 0);
	assert_string_equal(sp_rec_get(r, b), "");
	assert_int_equal(sp_rec_has(r, c), 1);
	assert_null(sp_rec_get(r, z));
	assert_null(sp_rec_get(r, -1));
	assert_int_equal(sp_rec_len(r, z), 0);
	assert_int_equal(sp_rec_has(r, z), 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_csv_header_duplicate(void **state)
{
	sp_reader *rd = open_text("a,b,a\n1,2,3\n", SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, -2);
	assert_string_equal(e.file, "t.in");
	assert_int_equal(e.line, 1);
	assert_non_null(strstr(e.msg, "'a'"));
	assert_non_null(strstr(e.msg, "twice"));
	NEXT(rd, r, &e, 0);	/* the input is abandoned */
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_csv_header_empty_name(void **state)
{
	static const char *const texts[] = {
		"a,,b\n1,2,3\n", "a,\"\",b\n1,2,3\n", "a,b,\n1,2,3\n",
		"\n\na,,b\n1,2,3\n",
	};
	static const long hline[] = { 1, 1, 1, 3 };
	static const char *const col[] = { "column 2", "column 2",
		"column 3", "column 2" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		sp_reader *rd = open_text(texts[i], SP_FMT_AUTO);
		sp_rec *r = sp_rec_new();
		sp_error e;

		NEXT(rd, r, &e, -2);
		assert_int_equal(e.line, hline[i]);
		if (strstr(e.msg, col[i]) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, e.msg,
			    col[i]);
		NEXT(rd, r, &e, 0);
		sp_rec_free(r);
		sp_reader_close(rd);
	}
}

static void
test_csv_ragged(void **state)
{
	sp_reader *rd = open_text("a,b\n1\n1,2,3\n4,5\n,\n", SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, -1);
	assert_string_equal(e.file, "t.in");
	assert_int_equal(e.line, 2);
	assert_int_equal(r->line, 2);
	assert_raw(r, "1");
	assert_non_null(strstr(e.msg, "2"));
	assert_non_null(strstr(e.msg, "1"));
	NEXT(rd, r, &e, -1);
	assert_int_equal(e.line, 3);
	assert_raw(r, "1,2,3");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 4);
	assert_string_equal(get(rd, r, "a"), "4");
	NEXT(rd, r, &e, 1);	/* "," is two empty fields */
	assert_int_equal(r->line, 5);
	assert_string_equal(get(rd, r, "b"), "");
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_csv_malformed_quotes(void **state)
{
	static const char text[] = "a,b\nx\"y,1\n\"x\"y,2\n3,4\n\"open,5\n6,7\n";
	sp_reader *rd = open_text(text, SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, -1);	/* a quote inside an unquoted field */
	assert_int_equal(e.line, 2);
	assert_raw(r, "x\"y,1");
	NEXT(rd, r, &e, -1);	/* text after a closing quote */
	assert_int_equal(e.line, 3);
	assert_raw(r, "\"x\"y,2");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 4);
	assert_string_equal(get(rd, r, "b"), "4");
	/* a quote never closed swallows the rest: one bad record */
	NEXT(rd, r, &e, -1);
	assert_int_equal(e.line, 5);
	assert_int_equal(r->line, 5);
	assert_raw(r, "\"open,5\n6,7");
	assert_non_null(strstr(e.msg, "unterminated"));
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_csv_nul(void **state)
{
	static const char text[] = "a,b\n1,x\0y\n3,4\n";
	sp_reader *rd = open_n(text, sizeof(text) - 1, SP_FMT_AUTO, NULL);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, -1);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.field, "b");
	assert_non_null(strstr(e.msg, "NUL"));
	assert_int_equal(r->rawlen, 5);
	assert_memory_equal(r->raw, "1,x\0y", 5);
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 3);
	assert_string_equal(get(rd, r, "a"), "3");
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

/* Write text into dir/name; returns the path (free it). */
static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *p;
	FILE *fp;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail();
	assert_non_null(fp = fopen(p, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return p;
}

static void
test_several_inputs(void **state)
{
	char dir[] = "/tmp/test_rec.XXXXXX", *p[5];
	char missing[64];
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	sp_read_opts o;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p[0] = write_file(dir, "one.csv", "a,b\n1,2\n");
	snprintf(missing, sizeof(missing), "%s/missing.csv", dir);
	p[1] = missing;
	p[2] = write_file(dir, "two.csv", "\n\nb,c\n3,4\n");
	p[3] = write_file(dir, "bad.csv", "c,c\n5,6\n");
	p[4] = write_file(dir, "three.jsonl", "{\"c\":\"7\",\"a\":8}\n");
	memset(&o, 0, sizeof(o));
	assert_non_null(rd = sp_reader_open(p, 5, &o, &e));

	NEXT(rd, r, &e, 1);
	assert_string_equal(r->file, p[0]);
	assert_int_equal(r->line, 2);
	assert_string_equal(get(rd, r, "a"), "1");
	assert_string_equal(get(rd, r, "b"), "2");
	assert_null(get(rd, r, "c"));

	NEXT(rd, r, &e, -2);	/* unreadable: reported in its turn */
	assert_string_equal(e.file, missing);

	NEXT(rd, r, &e, 1);
	assert_string_equal(r->file, p[2]);
	assert_int_equal(r->line, 4);
	assert_null(get(rd, r, "a"));	/* not in this file */
	assert_string_equal(get(rd, r, "b"), "3");
	assert_string_equal(get(rd, r, "c"), "4");

	NEXT(rd, r, &e, -2);	/* bad header: this file is abandoned */
	assert_string_equal(e.file, p[3]);
	assert_int_equal(e.line, 1);

	NEXT(rd, r, &e, 1);	/* format detected per input */
	assert_string_equal(r->file, p[4]);
	assert_int_equal(r->line, 1);
	assert_string_equal(get(rd, r, "c"), "7");
	assert_string_equal(get(rd, r, "a"), "8");
	assert_int_equal(r->num[sp_reader_slot(rd, "a")], 1);
	assert_null(get(rd, r, "b"));
	NEXT(rd, r, &e, 0);
	assert_int_equal(sp_reader_format(rd), SP_FMT_CSV);	/* the first */
	/* one slot per name over all the inputs */
	assert_int_equal(sp_reader_nslots(rd), 3);

	sp_reader_close(rd);
	sp_rec_free(r);
	for (i = 0; i < 5; i++)
		if (i != 1) {
			unlink(p[i]);
			free(p[i]);
		}
	rmdir(dir);
}

static void
test_bad_format_option(void **state)
{
	sp_read_opts o;
	sp_error e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.format = SP_FMT_TABLE;
	sp_err_clear(&e);
	assert_null(sp_reader_open_mem("a\n", 2, "x", &o, &e));
	assert_true(e.msg[0] != '\0');
	assert_int_equal(sp_format_parse("csv"), SP_FMT_CSV);
	assert_int_equal(sp_format_parse("jsonl"), SP_FMT_JSONL);
	assert_int_equal(sp_format_parse("json"), SP_FMT_JSONL);
	assert_int_equal(sp_format_parse("table"), SP_FMT_TABLE);
	assert_int_equal(sp_format_parse("md"), SP_FMT_MD);
	assert_int_equal(sp_format_parse("xml"), -1);
}

static void
test_forced_format(void **state)
{
	sp_reader *rd = open_text("{\"a\":1}\n", SP_FMT_CSV);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	/* -i csv: the line is a header (with a quote in it: bad) */
	NEXT(rd, r, &e, -2);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_map_csv(void **state)
{
	static const char text[] = "opportunity_id,id,close_value,x\n"
	    "O1,OLD,12.5,y\n";
	sp_map *m = sp_map_new();
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	const int *f;
	size_t nf;

	(void)state;
	assert_int_equal(sp_map_add(m, "id=opportunity_id,amount=close_value",
	    &e), 0);
	rd = open_n(text, strlen(text), SP_FMT_AUTO, m);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "id"), "O1");
	assert_string_equal(get(rd, r, "amount"), "12.5");
	assert_string_equal(get(rd, r, "x"), "y");
	assert_null(get(rd, r, "opportunity_id"));
	assert_null(get(rd, r, "close_value"));
	f = sp_reader_fields(rd, &nf);
	assert_int_equal(nf, 3);	/* the literal id column is shadowed */
	assert_string_equal(sp_reader_slot_name(rd, f[0]), "id");
	assert_string_equal(sp_reader_slot_name(rd, f[1]), "amount");
	assert_string_equal(sp_reader_slot_name(rd, f[2]), "x");
	sp_rec_free(r);
	sp_reader_close(rd);
	sp_map_free(m);
}

static void
test_map_jsonl(void **state)
{
	static const char text[] =
	    "{\"opportunity_id\":\"O1\",\"id\":\"X\"}\n"
	    "{\"opportunity_id\":\"O2\",\"id\":\"Y\"}\n"
	    "{\"id\":\"Z\",\"opportunity_id\":\"O3\"}\n"
	    "{\"id\":\"W\"}\n";
	sp_map *m = sp_map_new();
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	assert_int_equal(sp_map_add(m, "id=opportunity_id", &e), 0);
	rd = open_n(text, strlen(text), SP_FMT_AUTO, m);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "id"), "O1");
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "id"), "O2");
	/* the same keys in another order */
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "id"), "O3");
	/* the literal id stays shadowed in this input */
	NEXT(rd, r, &e, 1);
	assert_null(get(rd, r, "id"));
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
	sp_map_free(m);
}

/* ---- JSON lines ----------------------------------------------------- */

/* Read one JSON lines text that must be a single record. */
static sp_reader *
json_one(const char *text, sp_rec *r)
{
	sp_reader *rd = open_text(text, SP_FMT_AUTO);
	sp_error e;

	NEXT(rd, r, &e, 1);
	assert_int_equal(sp_reader_format(rd), SP_FMT_JSONL);
	return rd;
}

static void
test_json_basic(void **state)
{
	static const char text[] =
	    "{\"a\":\"x\",\"b\":1}\n\n   \n{\"b\":2,\"c\":\"z\"}\r\n"
	    "\t{\"a\":\"\"}";
	sp_reader *rd = open_text(text, SP_FMT_AUTO);
	sp_rec *r = sp_rec_new();
	sp_error e;
	const int *f;
	size_t nf;

	(void)state;
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 1);
	assert_raw(r, "{\"a\":\"x\",\"b\":1}");
	assert_string_equal(get(rd, r, "a"), "x");
	assert_string_equal(get(rd, r, "b"), "1");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 4);
	assert_raw(r, "{\"b\":2,\"c\":\"z\"}");
	assert_null(get(rd, r, "a"));	/* absent in this record */
	assert_string_equal(get(rd, r, "c"), "z");
	f = sp_reader_fields(rd, &nf);	/* order of first appearance */
	assert_int_equal(nf, 3);
	assert_string_equal(sp_reader_slot_name(rd, f[0]), "a");
	assert_string_equal(sp_reader_slot_name(rd, f[1]), "b");
	assert_string_equal(sp_reader_slot_name(rd, f[2]), "c");
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 5);
	assert_non_null(get(rd, r, "a"));
	assert_string_equal(get(rd, r, "a"), "");	/* empty, not absent */
	assert_null(get(rd, r, "b"));
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_json_bom(void **state)
{
	sp_rec *r = sp_rec_new();
	sp_reader *rd = json_one("\xef\xbb\xbf{\"a\":\"x\"}\n", r);

	(void)state;
	assert_string_equal(get(rd, r, "a"), "x");
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_json_strings(void **state)
{
	sp_rec *r = sp_rec_new();
	sp_reader *rd = json_one("{\"s\":\"q\\\"b\\\\s\\n\\u00e9\\ud83d\\ude00"
	    "\\/\",\"t\":\"caf\xc3\xa9\"}", r);

	(void)state;
	assert_string_equal(get(rd, r, "s"),
	    "q\"b\\s\n\xc3\xa9\xf0\x9f\x98\x80/");
	assert_string_equal(get(rd, r, "t"), "caf\xc3\xa9");
	assert_int_equal(r->num[sp_reader_slot(rd, "s")], 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

/* The text of number `num` in {"pre":"1 2","n":NUM,"post":3}. */
static void
assert_number(const char *num)
{
	char text[256];
	sp_rec *r = sp_rec_new();
	sp_reader *rd;
	sp_error e;
	int k;

	/* numbers inside strings and escaped quotes must not be taken */
	snprintf(text, sizeof(text), "{\"pre\":\"1 \\\"2\",\"n\":%s,"
	    "\"post\":3}\n", num);
	rd = open_text(text, SP_FMT_AUTO);
	if ((k = sp_reader_next(rd, r, &e)) != 1)
		fail_msg("%s: sp_reader_next = %d: %s", num, k, e.msg);
	if (get(rd, r, "n") == NULL || strcmp(get(rd, r, "n"), num) != 0)
		fail_msg("%s read as '%s'", num, get(rd, r, "n"));
	assert_int_equal(r->num[sp_reader_slot(rd, "n")], 1);
	assert_string_equal(get(rd, r, "post"), "3");
	assert_string_equal(get(rd, r, "pre"), "1 \"2");
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_json_numbers_exact(void **state)
{
	(void)state;
	assert_number("0.10");
	assert_number("-0");
	assert_number("25083.10");
	assert_number("1E+2");
	assert_number("-1.5e-3");
	assert_number("0");
	assert_number("9223372036854775807");
}

static void
test_json_number_huge(void **state)
{
	(void)state;
	/* valid JSON numbers beyond double and int64: kept as text */
	assert_number("1e309");
	assert_number("-1e309");
}

static void
test_json_number_bigint(void **state)
{
	(void)state;
	assert_number("12345678901234567890");
	assert_number("-9223372036854775809");
}

static void
test_json_literals(void **state)
{
	sp_rec *r = sp_rec_new();
	sp_reader *rd = json_one("{\"t\":true,\"f\":false,\"n\":null,"
	    "\"s\":\"true\"}", r);

	(void)state;
	assert_string_equal(get(rd, r, "t"), "true");
	assert_string_equal(get(rd, r, "f"), "false");
	assert_int_equal(r->num[sp_reader_slot(rd, "t")], 0);
	assert_null(get(rd, r, "n"));	/* null is absent */
	assert_int_equal(sp_rec_has(r, sp_reader_slot(rd, "n")), 0);
	assert_string_equal(get(rd, r, "s"), "true");
	sp_rec_free(r);
	sp_reader_close(rd);
}

/* Each line is one bad record; the good line after it still reads. */
static void
assert_json_bad(const char *line, const char *field, const char *msgpart)
{
	char text[256];
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int k;

	snprintf(text, sizeof(text), "{\"ok\":1}\n%s\n{\"ok\":2}\n", line);
	rd = open_text(text, SP_FMT_AUTO);
	NEXT(rd, r, &e, 1);
	if ((k = sp_reader_next(rd, r, &e)) != -1)
		fail_msg("%s: sp_reader_next = %d, want -1 (%s)", line, k, e.msg);
	assert_string_equal(e.file, "t.in");
	assert_int_equal(e.line, 2);
	assert_int_equal(r->line, 2);
	assert_raw(r, line);
	if (field != NULL)
		assert_string_equal(e.field, field);
	if (strstr(e.msg, msgpart) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", line, e.msg, msgpart);
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 3);
	assert_string_equal(get(rd, r, "ok"), "2");
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_json_bad_records(void **state)
{
	(void)state;
	assert_json_bad("[1,2]", NULL, "object");
	/* scalars: jansson's own message, as long as the record is bad */
	assert_json_bad("\"x\"", NULL, "");
	assert_json_bad("42", NULL, "");
	assert_json_bad("null", NULL, "");
	assert_json_bad("{\"a\":", NULL, "invalid JSON");
	assert_json_bad("{\"a\":1}{\"b\":2}", NULL, "invalid JSON");
	assert_json_bad("{'a':1}", NULL, "invalid JSON");
	assert_json_bad("{\"a\":1,\"a\":2}", "a", "twice");
	assert_json_bad("{\"a\":{\"b\":1}}", "a", "nested");
	assert_json_bad("{\"a\":[1]}", "a", "nested");
	assert_json_bad("{\"a\":\"x\\u0000y\"}", "a", "NUL");
}

static void
test_json_nul_byte(void **state)
{
	static const char text[] = "{\"a\":\"x\0\"}\n{\"a\":\"y\"}\n";
	sp_reader *rd = open_n(text, sizeof(text) - 1, SP_FMT_AUTO, NULL);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	NEXT(rd, r, &e, -1);
	assert_int_equal(e.line, 1);
	assert_non_null(strstr(e.msg, "NUL"));
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 2);
	assert_string_equal(get(rd, r, "a"), "y");
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_json_long_line(void **state)
{
	size_t n = 100000, i;
	char *text = malloc(n + 64), *v;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_read_opts o;
	sp_error e;

	(void)state;
	/* a line much longer than the read size */
	strcpy(text, "{\"a\":\"");
	for (i = 0; i < n; i++)
		text[6 + i] = (char)('a' + i % 26);
	strcpy(text + 6 + n, "\"}\n{\"a\":\"b\"}\n");
	memset(&o, 0, sizeof(o));
	o.bufsize = 7;
	assert_non_null(rd = sp_reader_open_mem(text, strlen(text), "t", &o, &e));
	NEXT(rd, r, &e, 1);
	v = (char *)get(rd, r, "a");
	assert_int_equal(strlen(v), n);
	assert_memory_equal(v, text + 6, n);
	NEXT(rd, r, &e, 1);
	assert_int_equal(r->line, 2);
	assert_string_equal(get(rd, r, "a"), "b");
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
	free(text);
}

/* ---- writers -------------------------------------------------------- */

struct out {
	char *buf;
	size_t len;
	FILE *fp;
};

static sp_writer *
out_open(struct out *o, int fmt)
{
	sp_writer *w;

	assert_non_null(o->fp = open_memstream(&o->buf, &o->len));
	assert_non_null(w = sp_writer_new(o->fp, fmt));
	return w;
}

/* Finish w, close, compare with want. */
static void
out_check(struct out *o, sp_writer *w, const char *want)
{
	assert_int_equal(sp_writer_finish(w), 0);
	sp_writer_free(w);
	assert_int_equal(fclose(o->fp), 0);
	assert_string_equal(o->buf, want);
	free(o->buf);
}

static void
test_csv_writer(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_CSV);
	const char *r1[] = { "x,y", "say \"hi\"", "plain" };
	const char *r2[] = { "line\nbreak", "cr\rx", " sp " };
	const char *r3[] = { NULL, "", "12.50" };

	(void)state;
	assert_int_equal(sp_writer_col(w, "a", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "b,c", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "n", SP_COL_NUM), 0);
	assert_int_equal(sp_writer_row(w, r1), 0);
	assert_int_equal(sp_writer_row(w, r2), 0);
	assert_int_equal(sp_writer_row(w, r3), 0);
	out_check(&o, w,
	    "a,\"b,c\",n\n"
	    "\"x,y\",\"say \"\"hi\"\"\",plain\n"
	    "\"line\nbreak\",\"cr\rx\", sp \n"
	    ",,12.50\n");
}

static void
test_csv_writer_header_only(void **state)
{
	struct out o;
	sp_writer *w;

	(void)state;
	w = out_open(&o, SP_FMT_CSV);
	assert_int_equal(sp_writer_col(w, "stage", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "win_rate", SP_COL_RATIO), 0);
	out_check(&o, w, "stage,win_rate\n");
	/* jsonl: nothing at all */
	w = out_open(&o, SP_FMT_JSONL);
	assert_int_equal(sp_writer_col(w, "stage", SP_COL_STR), 0);
	out_check(&o, w, "");
}

/*
 * What the CSV writer writes, the reader reads back unchanged (NULL as
 * ""): one column, where an empty value must not become a blank line
 * (no row at all), and several columns of awkward values.
 */
static void
assert_roundtrip(const char *const *names, size_t ncols,
    const char *const *vals, size_t nrows)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_CSV);
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t i, j;

	for (j = 0; j < ncols; j++)
		assert_int_equal(sp_writer_col(w, names[j], SP_COL_STR), 0);
	for (i = 0; i < nrows; i++)
		assert_int_equal(sp_writer_row(w, vals + i * ncols), 0);
	assert_int_equal(sp_writer_finish(w), 0);
	sp_writer_free(w);
	assert_int_equal(fclose(o.fp), 0);
	rd = open_n(o.buf, o.len, SP_FMT_CSV, NULL);
	for (i = 0; i < nrows; i++) {
		int k = sp_reader_next(rd, r, &e);
		if (k != 1)
			fail_msg("row %zu: sp_reader_next = %d (%s) reading:\n%s", i,
			    k, e.msg, o.buf);
		for (j = 0; j < ncols; j++) {
			const char *want = vals[i * ncols + j] ?
			    vals[i * ncols + j] : "";
			const char *got = get(rd, r, names[j]);
			if (got == NULL || strcmp(got, want) != 0)
				fail_msg("row %zu column '%s': read back '%s', "
				    "wrote '%s'", i, names[j], got ? got :
				    "(absent)", want);
		}
	}
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
	free(o.buf);
}

static void
test_csv_roundtrip(void **state)
{
	static const char *const one[] = { "a" };
	static const char *const one_vals[] = { "x", "", NULL, "y" };
	static const char *const three[] = { "\xef\xbb\xbfid", "b,c", "d\"" };
	static const char *const three_vals[] = {
		"\xef\xbb\xbfv", "x,y", "say \"hi\"",
		"l1\nl2", "c1\r\nc2", "cr\rx",
		" sp ", "", NULL,
		"\n", "\r\n", "\"",
		"tail\r", "\xc3\xa9", ",",
	};

	(void)state;
	assert_roundtrip(one, 1, one_vals, 4);
	assert_roundtrip(three, 3, three_vals, 5);
}

static void
test_jsonl_writer(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_JSONL);
	const char *r1[] = { "q\"b\\s/\x01\x1f\t\n\r\x7f", "12", "0.631501" };
	const char *r2[] = { "", "", NULL };
	const char *r3[] = { NULL, "-1.5e3", "abc" };

	(void)state;
	assert_int_equal(sp_writer_col(w, "na\"me", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "n", SP_COL_NUM), 0);
	assert_int_equal(sp_writer_col(w, "r", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_row(w, r1), 0);
	assert_int_equal(sp_writer_row(w, r2), 0);
	assert_int_equal(sp_writer_row(w, r3), 0);
	out_check(&o, w,
	    "{\"na\\\"me\":\"q\\\"b\\\\s/\\u0001\\u001f\\t\\n\\r\x7f\","
	    "\"n\":12,\"r\":0.631501}\n"
	    "{\"na\\\"me\":\"\",\"n\":null,\"r\":null}\n"
	    "{\"na\\\"me\":\"\",\"n\":-1.5e3,\"r\":\"abc\"}\n");
}

static void
test_jsonl_writer_utf8(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_JSONL);
	const char *r1[] = { "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac" };
	const char *r2[] = { "a\xff" "b" };
	const char *r3[] = { "x\xc3" };			/* cut short */
	const char *r4[] = { "\xc0\xaf" };		/* overlong '/' */
	const char *r5[] = { "\xed\xa0\x80" };		/* a surrogate */
	const char *r6[] = { "\xf4\x90\x80\x80" };	/* beyond U+10FFFF */
	const char *r7[] = { "\xe2\x82" "A" };		/* truncated */

	(void)state;
	assert_int_equal(sp_writer_col(w, "s", SP_COL_STR), 0);
	assert_int_equal(sp_writer_row(w, r1), 0);
	/* a bad byte is not a write error: 0 */
	assert_int_equal(sp_writer_row(w, r2), 0);
	assert_int_equal(sp_writer_row(w, r3), 0);
	assert_int_equal(sp_writer_row(w, r4), 0);
	assert_int_equal(sp_writer_row(w, r5), 0);
	assert_int_equal(sp_writer_row(w, r6), 0);
	assert_int_equal(sp_writer_row(w, r7), 0);
#define FFFD "\xef\xbf\xbd"
	out_check(&o, w,
	    "{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac\"}\n"
	    "{\"s\":\"a" FFFD "b\"}\n"
	    "{\"s\":\"x" FFFD "\"}\n"
	    "{\"s\":\"" FFFD FFFD "\"}\n"
	    "{\"s\":\"" FFFD FFFD FFFD "\"}\n"
	    "{\"s\":\"" FFFD FFFD FFFD FFFD "\"}\n"
	    "{\"s\":\"" FFFD FFFD "A\"}\n");
#undef FFFD
}

/* One ratio through the table writer: the one cell under header "r". */
static void
assert_percent(const char *ratio, const char *want)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_TABLE);
	const char *row[] = { ratio };
	char exp[64];
	size_t wd = strlen(want) > 1 ? strlen(want) : 1;

	assert_int_equal(sp_writer_col(w, "r", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_row(w, row), 0);
	/* the header right-aligned over the cell */
	snprintf(exp, sizeof(exp), "%*s\n%s\n", (int)wd, "r", want);
	assert_int_equal(sp_writer_finish(w), 0);
	sp_writer_free(w);
	fclose(o.fp);
	if (strcmp(o.buf, exp) != 0)
		fail_msg("ratio %s: table shows '%s', want '%s'", ratio, o.buf,
		    exp);
	free(o.buf);
}

static void
test_table_percentages(void **state)
{
	(void)state;
	assert_percent("0.631505", "63.15%");	/* 63.1505 -> 63.15 */
	assert_percent("0.631550", "63.16%");	/* 63.155: half, away */
	assert_percent("0.631549", "63.15%");
	assert_percent("0.000050", "0.01%");
	assert_percent("0.000049", "0.00%");
	assert_percent("0.005000", "0.50%");
	assert_percent("0.145000", "14.50%");
	assert_percent("0.285750", "28.58%");	/* 28.575 in binary < .575 */
	assert_percent("1.000000", "100.00%");
	assert_percent("0.999995", "100.00%");
	assert_percent("0", "0.00%");
	assert_percent("0.5", "50.00%");
	assert_percent("2.5", "250.00%");
	assert_percent("-0.000050", "-0.01%");
	assert_percent("-0.250000", "-25.00%");
	assert_percent("", "-");
	assert_percent(NULL, "-");
}

/* One sp_ratio_text(num, den) through the table writer: rounded once from
 * the exact ratio, half away from zero (worked by hand). */
static void
test_table_percentages_exact(void **state)
{
	char b[32];

	(void)state;
	/* 53/391 = 0.13554987...: 13.55%, where the six-decimal 0.135550
	 * rounded again gave 13.56% */
	assert_percent(sp_ratio_text(53, 391, b), "13.55%");
	assert_percent(sp_ratio_text(13554987, 100000000, b), "13.55%");
	assert_percent(sp_ratio_text(1, 32, b), "3.13%");	/* 3.125: a tie */
	assert_percent(sp_ratio_text(-1, 32, b), "-3.13%");
	assert_percent(sp_ratio_text(1, 3, b), "33.33%");
	assert_percent(sp_ratio_text(2, 3, b), "66.67%");
	assert_percent(sp_ratio_text(7, 7, b), "100.00%");
	assert_percent(sp_ratio_text(0, 7, b), "0.00%");
	assert_percent(sp_ratio_text(-1, 30000, b), "0.00%");	/* no -0.00 */
	assert_percent(sp_ratio_text(INT64_MAX, 1, b),
	    "922337203685477580700.00%");
	assert_percent(sp_ratio_text(1, 0, b), "-");
}

/* csv and jsonl: ratio_text's nine decimals rounded once to six. */
static void
test_ratio_six_decimals(void **state)
{
	struct out o;
	sp_writer *w;
	char b[5][32];
	const char *row[5];

	(void)state;
	row[0] = sp_ratio_text(53, 391, b[0]);		/* 0.135549872 */
	row[1] = sp_ratio_text(1, 2000000, b[1]);		/* 0.0000005: tie */
	row[2] = sp_ratio_text(-1, 2000000, b[2]);
	row[3] = sp_ratio_text(-1, 3000000, b[3]);		/* -0.000000333 */
	row[4] = "0.25";				/* as it is */
	w = out_open(&o, SP_FMT_CSV);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sp_writer_col(w, "r", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_row(w, row), 0);
	out_check(&o, w, "r,r,r,r,r\n"
	    "0.135550,0.000001,-0.000001,0.000000,0.25\n");
	w = out_open(&o, SP_FMT_JSONL);
	assert_int_equal(sp_writer_col(w, "a", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_col(w, "b", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_col(w, "c", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_col(w, "d", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_col(w, "e", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_row(w, row), 0);
	out_check(&o, w, "{\"a\":0.135550,\"b\":0.000001,\"c\":-0.000001,"
	    "\"d\":0.000000,\"e\":0.25}\n");
}

/* --spreadsheet-safe: text starting = + - @ TAB CR gets a "'"; numbers in
 * numeric columns do not; jsonl is untouched. */
static void
test_spreadsheet_safe(void **state)
{
	struct out o;
	sp_writer *w;
	const char *row[] = { "=1+1", "-5.00", "-x", "-0.5", "@a", "\tt", "ok" };
	static const int type[] = { SP_COL_STR, SP_COL_NUM, SP_COL_NUM,
	    SP_COL_RATIO, SP_COL_STR, SP_COL_STR, SP_COL_STR };
	static const char *const name[] = { "s", "n", "m", "r", "a", "t",
	    "+h" };
	int i;

	(void)state;
	w = out_open(&o, SP_FMT_CSV);
	sp_writer_flags(w, SP_WRITER_SPREADSHEET_SAFE);
	for (i = 0; i < 7; i++)
		assert_int_equal(sp_writer_col(w, name[i], type[i]), 0);
	assert_int_equal(sp_writer_row(w, row), 0);
	out_check(&o, w, "s,n,m,r,a,t,'+h\n'=1+1,-5.00,'-x,-0.5,'@a,'\tt,ok\n");
	w = out_open(&o, SP_FMT_MD);
	sp_writer_flags(w, SP_WRITER_SPREADSHEET_SAFE);
	for (i = 0; i < 7; i++)
		assert_int_equal(sp_writer_col(w, name[i], type[i]), 0);
	assert_int_equal(sp_writer_row(w, row), 0);
	out_check(&o, w, "| s | n | m | r | a | t | '+h |\n"
	    "|---|--:|--:|--:|---|---|---|\n"
	    "| '=1+1 | -5.00 | '-x | -50.00% | '@a | '\\x09t | ok |\n");
	w = out_open(&o, SP_FMT_JSONL);
	sp_writer_flags(w, SP_WRITER_SPREADSHEET_SAFE);
	assert_int_equal(sp_writer_col(w, "s", SP_COL_STR), 0);
	assert_int_equal(sp_writer_row(w, row), 0);
	out_check(&o, w, "{\"s\":\"=1+1\"}\n");
}

static void
test_table_writer(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_TABLE);
	const char *r1[] = { "alpha", "5", "0.5", "x" };
	const char *r2[] = { "b", "1234", "", NULL };
	const char *r3[] = { "\xc3\xa9t\xc3\xa9", "-7", "0.000001", "yy" };

	(void)state;
	assert_int_equal(sp_writer_col(w, "name", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "n", SP_COL_NUM), 0);
	assert_int_equal(sp_writer_col(w, "r", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_col(w, "note", SP_COL_STR), 0);
	assert_int_equal(sp_writer_row(w, r1), 0);
	assert_int_equal(sp_writer_row(w, r2), 0);
	assert_int_equal(sp_writer_row(w, r3), 0);
	/* widths 5, 4, 6, 4; two spaces apart; no trailing blanks */
	out_check(&o, w,
	    "name      n       r  note\n"
	    "alpha     5  50.00%  x\n"
	    "b      1234       -  -\n"
	    "\xc3\xa9t\xc3\xa9      -7   0.00%  yy\n");
}

static void
test_table_header_only(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_TABLE);

	(void)state;
	assert_int_equal(sp_writer_col(w, "stage", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "count", SP_COL_NUM), 0);
	out_check(&o, w, "stage  count\n");
}

static void
test_md_writer(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_MD);
	const char *r1[] = { "a|b", "5", "0.631550" };
	const char *r2[] = { "two\nlines", NULL, "" };

	(void)state;
	assert_int_equal(sp_writer_col(w, "name|x", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "n", SP_COL_NUM), 0);
	assert_int_equal(sp_writer_col(w, "r", SP_COL_RATIO), 0);
	assert_int_equal(sp_writer_row(w, r1), 0);
	assert_int_equal(sp_writer_row(w, r2), 0);
	out_check(&o, w,
	    "| name\\|x | n | r |\n"
	    "|---|--:|--:|\n"
	    "| a\\|b | 5 | 63.16% |\n"
	    "| two\\x0alines |  |  |\n");	/* escaped (util.h) */
}

static void
test_md_header_only(void **state)
{
	struct out o;
	sp_writer *w = out_open(&o, SP_FMT_MD);

	(void)state;
	assert_int_equal(sp_writer_col(w, "stage", SP_COL_STR), 0);
	out_check(&o, w, "| stage |\n|---|\n");
}

static void
test_writer_dev_full(void **state)
{
	static const int fmts[] = { SP_FMT_CSV, SP_FMT_JSONL, SP_FMT_TABLE,
		SP_FMT_MD };
	const char *row[] = { "x" };
	size_t i;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	for (i = 0; i < 4; i++) {
		FILE *fp = fopen("/dev/full", "w");
		sp_writer *w;

		assert_non_null(fp);
		assert_non_null(w = sp_writer_new(fp, fmts[i]));
		assert_int_equal(sp_writer_col(w, "a", SP_COL_STR), 0);
		sp_writer_row(w, row);	/* buffered: may still succeed */
		if (sp_writer_finish(w) != -1)
			fail_msg("format %d: sp_writer_finish on /dev/full is not "
			    "-1", fmts[i]);
		sp_writer_free(w);
		fclose(fp);
	}
}

static void
test_writer_dev_full_row(void **state)
{
	FILE *fp;
	sp_writer *w;
	char *big = malloc(1 << 17);
	const char *row[1];
	int rc;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	/* a row larger than stdio's buffer fails in sp_writer_row itself */
	memset(big, 'x', (1 << 17) - 1);
	big[(1 << 17) - 1] = '\0';
	row[0] = big;
	assert_non_null(fp = fopen("/dev/full", "w"));
	w = sp_writer_new(fp, SP_FMT_CSV);
	assert_int_equal(sp_writer_col(w, "a", SP_COL_STR), 0);
	rc = sp_writer_row(w, row);
	assert_int_equal(rc, -1);
	assert_int_equal(sp_writer_finish(w), -1);
	sp_writer_free(w);
	fclose(fp);
	free(big);
}

/* ---- issue 9: fields used, encodings, separators, caps -------------- */

/* A reader over n bytes with options o (format, encoding, ...) and name. */
static sp_reader *
open_o(const char *text, size_t n, const char *name, sp_read_opts *o)
{
	sp_error e;
	sp_reader *rd;

	sp_err_clear(&e);
	if ((rd = sp_reader_open_mem(text, n, name, o, &e)) == NULL)
		fail_msg("reader_open_mem: %s", e.msg);
	return rd;
}

static void
test_unused_field_nul(void **state)
{
	/* row 2: NUL in b (not read); row 3: NUL in a (read) */
	static const char text[] = "a,b\n1,x\0y\n2\0,z\n3,w\n";
	sp_read_opts o = { 0 };
	sp_reader *rd = open_o(text, sizeof(text) - 1, "t.csv", &o);
	sp_rec *r = sp_rec_new();
	const char *file, *field;
	long line;
	sp_error e;

	(void)state;
	assert_int_equal(sp_reader_use(rd, sp_reader_slot(rd, "a")), 0);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "a"), "1");
	/* x, U+FFFD, y */
	assert_string_equal(get(rd, r, "b"), "x\xef\xbf\xbdy");
	assert_int_equal(sp_rec_len(r, sp_reader_slot(rd, "b")), 5);
	NEXT(rd, r, &e, -1);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.field, "a");
	assert_non_null(strstr(e.msg, "NUL"));
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "b"), "w");
	NEXT(rd, r, &e, 0);
	assert_int_equal(sp_reader_replaced(rd, &file, &line, &field), 1);
	assert_string_equal(file, "t.csv");
	assert_int_equal(line, 2);
	assert_string_equal(field, "b");
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_unused_field_utf8(void **state)
{
	/* Latin-1 e-acute (0xe9) in b, unread, then in a, read */
	static const char text[] = "a,b\n1,Jos\xe9\nJos\xe9,2\n";
	sp_read_opts o = { 0 };
	sp_reader *rd = open_o(text, sizeof(text) - 1, "t.csv", &o);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	assert_int_equal(sp_reader_use(rd, sp_reader_slot(rd, "a")), 0);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "b"), "Jos\xef\xbf\xbd");
	NEXT(rd, r, &e, -1);
	assert_string_equal(e.field, "a");
	assert_non_null(strstr(e.msg, "'Jos\\xe9' is not UTF-8"));
	assert_non_null(strstr(e.msg, "--encoding"));
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_json_unused_nul(void **state)
{
	static const char text[] = "{\"a\":\"1\",\"b\":\"x\\u0000\"}\n"
	    "{\"a\":\"\\u0000\"}\n";
	sp_read_opts o = { 0 };
	sp_reader *rd = open_o(text, sizeof(text) - 1, "t", &o);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	assert_int_equal(sp_reader_use(rd, sp_reader_slot(rd, "a")), 0);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "b"), "x\xef\xbf\xbd");
	NEXT(rd, r, &e, -1);
	assert_string_equal(e.field, "a");
	NEXT(rd, r, &e, 0);
	assert_int_equal(sp_reader_replaced(rd, NULL, NULL, NULL), 1);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_required_header(void **state)
{
	/* no record at all: the header alone must say it */
	static const char text[] = "Id,StageName,Amount\n";
	sp_read_opts o = { 0 };
	sp_reader *rd = open_o(text, sizeof(text) - 1, "t.csv", &o);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	assert_int_equal(sp_reader_require(rd, sp_reader_slot(rd, "stage")), 0);
	NEXT(rd, r, &e, -2);
	assert_string_equal(e.file, "t.csv");
	assert_int_equal(e.line, 1);
	assert_string_equal(e.field, "stage");
	assert_non_null(strstr(e.msg, "(Id, StageName, Amount)"));
	assert_non_null(strstr(e.msg, "--map stage=COLUMN"));
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_case_fold(void **state)
{
	/* Stage and AMOUNT are stage and amount; ID loses to the exact id */
	static const char text[] = "ID,Stage,AMOUNT,id,Other\n1,won,5,2,x\n";
	sp_read_opts o = { 0 };
	sp_reader *rd = open_o(text, sizeof(text) - 1, "t.csv", &o);
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	assert_int_equal(sp_reader_require(rd, sp_reader_slot(rd, "stage")), 0);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "stage"), "won");
	assert_string_equal(get(rd, r, "amount"), "5");
	assert_string_equal(get(rd, r, "id"), "2");
	assert_string_equal(get(rd, r, "ID"), "1");
	assert_string_equal(get(rd, r, "Other"), "x");
	assert_null(get(rd, r, "Stage"));
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
	/* JSON lines: the same, key by key; once the exact key shows up,
	   the other goes back to its own name */
	{
		static const char j[] = "{\"Stage\":\"won\",\"AMOUNT\":5}\n"
		    "{\"Stage\":\"x\",\"stage\":\"lost\"}\n"
		    "{\"Stage\":\"y\"}\n"
		    "{\"Amount\":1,\"amount\":2}\n";
		rd = open_o(j, sizeof(j) - 1, "t", &o);
		r = sp_rec_new();
		NEXT(rd, r, &e, 1);
		assert_string_equal(get(rd, r, "stage"), "won");
		assert_string_equal(get(rd, r, "amount"), "5");
		NEXT(rd, r, &e, 1);
		assert_string_equal(get(rd, r, "stage"), "lost");
		assert_string_equal(get(rd, r, "Stage"), "x");
		NEXT(rd, r, &e, 1);
		assert_null(get(rd, r, "stage"));
		assert_string_equal(get(rd, r, "Stage"), "y");
		NEXT(rd, r, &e, 1);
		assert_string_equal(get(rd, r, "amount"), "2");
		assert_string_equal(get(rd, r, "Amount"), "1");
		NEXT(rd, r, &e, 0);
		sp_rec_free(r);
		sp_reader_close(rd);
	}
}

/* Read a one-column input (column a) and compare each value. */
static void
assert_col(const char *text, size_t n, const char *name, sp_read_opts *o,
    const char *const *want)
{
	sp_reader *rd = open_o(text, n, name, o);
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		NEXT(rd, r, &e, 1);
		assert_string_equal(get(rd, r, "a"), want[i]);
	}
	NEXT(rd, r, &e, 0);
	sp_rec_free(r);
	sp_reader_close(rd);
}

static void
test_encoding_latin1_cp1252(void **state)
{
	/* N e-acute gociation in Latin-1; the euro sign and an undefined
	   byte (0x81) in CP1252 */
	static const char l1[] = "a\nN\xe9gociation\n";
	static const char w[] = "a\n\x80 5\n\x81\n";
	static const char *const want_l1[] = { "N\xc3\xa9gociation", NULL };
	static const char *const want_w[] = { "\xe2\x82\xac 5",
	    "\xef\xbf\xbd", NULL };
	sp_read_opts o = { 0 };
	size_t bs;

	(void)state;
	for (bs = 1; bs <= 8; bs += 7) {
		o.bufsize = bs;
		o.encoding = SP_ENC_LATIN1;
		assert_col(l1, sizeof(l1) - 1, "t.csv", &o, want_l1);
		o.encoding = SP_ENC_CP1252;
		assert_col(w, sizeof(w) - 1, "t.csv", &o, want_w);
	}
}

static void
test_encoding_utf16(void **state)
{
	/* "a\nN\u00e9\n" with a byte order mark, little- and big-endian */
	static const char le[] = "\xff\xfe" "a\0\n\0N\0\xe9\0\n\0";
	static const char be[] = "\xfe\xff" "\0a\0\n\0N\0\xe9\0\n";
	static const char *const want[] = { "N\xc3\xa9", NULL };
	sp_read_opts o = { 0 };
	size_t bs;

	(void)state;
	for (bs = 1; bs <= 4; bs += 3) {
		o.bufsize = bs;
		o.encoding = SP_ENC_AUTO;	/* the byte order mark says */
		assert_col(le, sizeof(le) - 1, "t", &o, want);
		assert_col(be, sizeof(be) - 1, "t", &o, want);
		o.encoding = SP_ENC_UTF16;
		assert_col(be, sizeof(be) - 1, "t", &o, want);
		/* no byte order mark: little-endian */
		assert_col(le + 2, sizeof(le) - 3, "t", &o, want);
		o.encoding = SP_ENC_UTF16BE;
		assert_col(be + 2, sizeof(be) - 3, "t", &o, want);
	}
}

static void
test_delimiters(void **state)
{
	static const char semi[] = "a;b\n1;2\n";
	static const char tab[] = "a\tb\n1\t\"2\t3\"\n";
	static const char *const want1[] = { "1", NULL };
	sp_read_opts o = { 0 };
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	o.delim = ';';
	assert_col(semi, sizeof(semi) - 1, "t", &o, want1);
	o.delim = 0;
	/* .tsv: tabs, quoting as in CSV */
	rd = open_o(tab, sizeof(tab) - 1, "x.TSV", &o);
	NEXT(rd, r, &e, 1);
	assert_string_equal(get(rd, r, "a"), "1");
	assert_string_equal(get(rd, r, "b"), "2\t3");
	sp_reader_close(rd);
	/* a header of one column holding a ';': the option is named */
	rd = open_o(semi, sizeof(semi) - 1, "t.csv", &o);
	NEXT(rd, r, &e, -2);
	assert_int_equal(e.line, 1);
	assert_non_null(strstr(e.msg, "--delimiter ';'"));
	sp_reader_close(rd);
	rd = open_o(tab, sizeof(tab) - 1, "t.csv", &o);
	NEXT(rd, r, &e, -2);
	assert_non_null(strstr(e.msg, "--delimiter tab"));
	sp_reader_close(rd);
	sp_rec_free(r);
	assert_int_equal(sp_delimiter_parse("tab"), '\t');
	assert_int_equal(sp_delimiter_parse(";"), ';');
	assert_int_equal(sp_delimiter_parse(","), ',');
	assert_int_equal(sp_delimiter_parse("\""), -1);
	assert_int_equal(sp_delimiter_parse(";;"), -1);
}

static void
test_json_not_object(void **state)
{
	static const char *const texts[] = { "[1,2,3]\n", "42\n", "[\n" };
	static const char *const says[] = { "not an array", "not a number",
	    "jq -c" };
	sp_read_opts o = { 0 };
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		sp_reader *rd = open_o(texts[i], strlen(texts[i]), "t", &o);
		NEXT(rd, r, &e, -1);
		assert_int_equal(e.line, 1);
		assert_non_null(strstr(e.msg, says[i]));
		assert_int_equal(sp_reader_format(rd), SP_FMT_JSONL);
		sp_reader_close(rd);
	}
	/* a name ending in .json: JSON lines whatever the first byte */
	{
		sp_reader *rd = open_o("x,y\n", 4, "t.json", &o);
		NEXT(rd, r, &e, -1);
		assert_int_equal(sp_reader_format(rd), SP_FMT_JSONL);
		sp_reader_close(rd);
	}
	sp_rec_free(r);
}

static void
test_max_record(void **state)
{
	char text[400];
	sp_read_opts o = { 0 };
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	/* line 3 is 200 bytes, over a cap of 100: fatal, naming line 3 */
	memset(text, 'x', sizeof(text));
	memcpy(text, "a\nshort\n", 8);
	text[208] = '\n';
	o.max_record = 100;
	o.bufsize = 16;
	rd = open_o(text, 209, "t.csv", &o);
	NEXT(rd, r, &e, 1);
	NEXT(rd, r, &e, -2);
	assert_string_equal(e.file, "t.csv");
	assert_int_equal(e.line, 3);
	assert_non_null(strstr(e.msg, "longer than 100 bytes"));
	assert_non_null(strstr(e.msg, "--max-record-size"));
	NEXT(rd, r, &e, 0);
	sp_reader_close(rd);
	/* a quote that never closes, over many short lines */
	{
		char q[600];
		size_t i;
		strcpy(q, "a\n\"");
		for (i = 3; i + 2 < sizeof(q); i += 2)
			memcpy(q + i, "y\n", 2);
		rd = open_o(q, i, "t.csv", &o);
		NEXT(rd, r, &e, -2);
		assert_int_equal(e.line, 2);
		assert_non_null(strstr(e.msg, "--max-record-size"));
		sp_reader_close(rd);
	}
	sp_rec_free(r);
	assert_int_equal(sp_size_parse("64M", &o.max_record), 0);
	assert_int_equal(o.max_record, (size_t)64 << 20);
	assert_int_equal(sp_size_parse("10", &o.max_record), 0);
	assert_int_equal(o.max_record, 10);
	assert_int_equal(sp_size_parse("2k", &o.max_record), 0);
	assert_int_equal(o.max_record, 2048);
	assert_int_equal(sp_size_parse("1G", &o.max_record), 0);
	assert_int_equal(o.max_record, (size_t)1 << 30);
	assert_int_equal(sp_size_parse("0", &o.max_record), -1);
	assert_int_equal(sp_size_parse("", &o.max_record), -1);
	assert_int_equal(sp_size_parse("5T", &o.max_record), -1);
	assert_int_equal(sp_size_parse("-1", &o.max_record), -1);
	assert_int_equal(sp_size_parse("99999999999999999999", &o.max_record),
	    -1);
}

static void
test_max_bytes(void **state)
{
	static const char text[] = "a\n1\n2\n3\n";
	sp_read_opts o = { 0 };
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;

	(void)state;
	o.max_bytes = 5;
	o.bufsize = 2;
	rd = open_o(text, sizeof(text) - 1, "q.csv", &o);
	NEXT(rd, r, &e, -2);	/* the head is read first */
	assert_non_null(strstr(e.msg, "larger than 5 bytes"));
	sp_reader_close(rd);
	sp_rec_free(r);
}

static void
test_optfile(void **state)
{
	char dir[] = "/tmp/test_rec.XXXXXX", *p, line[64];
	sp_error e;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p = write_file(dir, "s.csv", "\xef\xbb\xbfstage,kind\nN\xc3\xa9go,open\n");
	assert_non_null(fp = sp_optfile_open(p, "stage file", &e));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "stage,kind\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "N\xc3\xa9go,open\n");
	assert_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	unlink(p);
	free(p);
	rmdir(dir);
	/* never ends: refused after 16 MiB, not read for ever */
	sp_err_clear(&e);
	assert_null(sp_optfile_open("/dev/zero", "map file", &e));
	assert_string_equal(e.file, "/dev/zero");
	assert_non_null(strstr(e.msg, "map file larger than 16 MiB"));
	assert_null(sp_optfile_open("/nonexistent/x", "map file", &e));
	assert_non_null(strstr(e.msg, "cannot open map file"));
	assert_int_equal(sp_encoding_parse("UTF-8"), SP_ENC_UTF8);
	assert_int_equal(sp_encoding_parse("latin1"), SP_ENC_LATIN1);
	assert_int_equal(sp_encoding_parse("cp1252"), SP_ENC_CP1252);
	assert_int_equal(sp_encoding_parse("utf-16"), SP_ENC_UTF16);
	assert_int_equal(sp_encoding_parse("ebcdic"), -1);
}

/*
 * A one-column CSV whose column name is a JSON value other than a string
 * (42, [1], true) or '[' alone: the reader would take it for JSON lines
 * (salespipe-records(5), format detection), so the writer quotes it and
 * the file reads back as CSV.  Two columns need nothing: "42,b" is no JSON.
 */
static void
test_csv_header_json_lookalike(void **state)
{
	static const char *const names[] = { "[1]", "42", " -1.5e3 ", "true",
	    "null", "false", "[", "[1,2]", "0" };
	static const char *const quoted[] = { "\"[1]\"", "\"42\"",
	    "\" -1.5e3 \"", "\"true\"", "\"null\"", "\"false\"", "\"[\"",
	    "\"[1,2]\"", "\"0\"" };
	const char *row[] = { "v", NULL };
	char want[64];
	struct out o;
	sp_writer *w;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		w = out_open(&o, SP_FMT_CSV);
		assert_int_equal(sp_writer_col(w, names[i], SP_COL_STR), 0);
		assert_int_equal(sp_writer_row(w, row), 0);
		assert_int_equal(sp_writer_finish(w), 0);
		sp_writer_free(w);
		assert_int_equal(fclose(o.fp), 0);
		snprintf(want, sizeof(want), "%s\nv\n", quoted[i]);
		assert_string_equal(o.buf, want);
		rd = open_n(o.buf, o.len, SP_FMT_AUTO, NULL);
		NEXT(rd, r, &e, 1);
		assert_int_equal(sp_reader_format(rd), SP_FMT_CSV);
		assert_string_equal(get(rd, r, names[i]), "v");
		NEXT(rd, r, &e, 0);
		sp_reader_close(rd);
		free(o.buf);
	}
	/* not alone: as it is */
	w = out_open(&o, SP_FMT_CSV);
	assert_int_equal(sp_writer_col(w, "42", SP_COL_STR), 0);
	assert_int_equal(sp_writer_col(w, "b", SP_COL_STR), 0);
	out_check(&o, w, "42,b\n");
	sp_rec_free(r);
}

/*
 * sp_reader_format_known: a blank input's CSV is a default, not what it
 * says (a --partial of an empty chunk must not decide a merge's format);
 * a byte that decides, or -i, makes the format known.
 */
static void
test_format_known(void **state)
{
	static const struct { const char *text; int fmt, want, known; } v[] = {
		{ "", SP_FMT_AUTO, SP_FMT_CSV, 0 },
		{ "\n \r\n\t\n", SP_FMT_AUTO, SP_FMT_CSV, 0 },
		{ "a,b\n", SP_FMT_AUTO, SP_FMT_CSV, 1 },
		{ "\n{\"a\":1}\n", SP_FMT_AUTO, SP_FMT_JSONL, 1 },
		{ "", SP_FMT_JSONL, SP_FMT_JSONL, 1 },
		{ "", SP_FMT_CSV, SP_FMT_CSV, 1 }
	};
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sp_reader *rd = open_text(v[i].text, v[i].fmt);

		assert_int_equal(sp_reader_format_known(rd), 0);
		while (sp_reader_next(rd, r, &e) > 0)
			;
		assert_int_equal(sp_reader_format(rd), v[i].want);
		assert_int_equal(sp_reader_format_known(rd), v[i].known);
		sp_reader_close(rd);
	}
	sp_rec_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_csv_basic),
		cmocka_unit_test(test_csv_plain_lines_split),
		cmocka_unit_test(test_csv_no_final_newline),
		cmocka_unit_test(test_csv_empty_inputs),
		cmocka_unit_test(test_csv_blank_lines),
		cmocka_unit_test(test_csv_quoted_newline),
		cmocka_unit_test(test_csv_crlf),
		cmocka_unit_test(test_csv_cr_only),
		cmocka_unit_test(test_csv_bom),
		cmocka_unit_test(test_csv_quotes),
		cmocka_unit_test(test_csv_empty_vs_absent),
		cmocka_unit_test(test_csv_header_duplicate),
		cmocka_unit_test(test_csv_header_empty_name),
		cmocka_unit_test(test_csv_ragged),
		cmocka_unit_test(test_csv_malformed_quotes),
		cmocka_unit_test(test_csv_nul),
		cmocka_unit_test(test_several_inputs),
		cmocka_unit_test(test_bad_format_option),
		cmocka_unit_test(test_forced_format),
		cmocka_unit_test(test_map_csv),
		cmocka_unit_test(test_map_jsonl),
		cmocka_unit_test(test_json_basic),
		cmocka_unit_test(test_json_bom),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_numbers_exact),
		cmocka_unit_test(test_json_number_huge),
		cmocka_unit_test(test_json_number_bigint),
		cmocka_unit_test(test_json_literals),
		cmocka_unit_test(test_json_bad_records),
		cmocka_unit_test(test_json_nul_byte),
		cmocka_unit_test(test_json_long_line),
		cmocka_unit_test(test_csv_writer),
		cmocka_unit_test(test_csv_writer_header_only),
		cmocka_unit_test(test_csv_roundtrip),
		cmocka_unit_test(test_jsonl_writer),
		cmocka_unit_test(test_jsonl_writer_utf8),
		cmocka_unit_test(test_table_percentages),
		cmocka_unit_test(test_table_percentages_exact),
		cmocka_unit_test(test_ratio_six_decimals),
		cmocka_unit_test(test_spreadsheet_safe),
		cmocka_unit_test(test_table_writer),
		cmocka_unit_test(test_table_header_only),
		cmocka_unit_test(test_md_writer),
		cmocka_unit_test(test_md_header_only),
		cmocka_unit_test(test_writer_dev_full),
		cmocka_unit_test(test_writer_dev_full_row),
		cmocka_unit_test(test_unused_field_nul),
		cmocka_unit_test(test_unused_field_utf8),
		cmocka_unit_test(test_json_unused_nul),
		cmocka_unit_test(test_required_header),
		cmocka_unit_test(test_case_fold),
		cmocka_unit_test(test_encoding_latin1_cp1252),
		cmocka_unit_test(test_encoding_utf16),
		cmocka_unit_test(test_delimiters),
		cmocka_unit_test(test_json_not_object),
		cmocka_unit_test(test_max_record),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_optfile),
		cmocka_unit_test(test_csv_header_json_lookalike),
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_progress_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
