/*
 * Property test of rec: where the input is cut into reads must not
 * matter.  Seeded random CSV (quoted commas, quotes and newlines, blank
 * lines, LF, CRLF or CR line ends, a BOM) and JSON lines (escapes,
 * multi-byte UTF-8, blank and bad lines) are read with every read size
 * from 1 to 70 bytes and with 1 MiB; every reading must give the same
 * results, values, lines, raw texts and error messages.  12 seeds; 2
 * under valgrind (VALGRIND=1, as tests/run.sh is run by make check).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/rec.h"

#define NSEEDS 12
#define MAXREAD 70

struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		assert_non_null(b->p = realloc(b->p, b->cap));
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
putf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)n);
}

/* Bytes as printable text: newline, CR, controls and quotes escaped. */
static void
put_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;

	put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
			putf(b, "\\x%02x", c);
		else
			put(b, s + i, 1);
	}
	put(b, "\"", 1);
}

/* xorshift64*: the same numbers on every machine. */
static uint64_t rng;

static unsigned
rnd(unsigned n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 2685821657736338717ULL) >> 33) % n;
}

static const char *
pick(const char *const *v, size_t n)
{
	return v[rnd((unsigned)n)];
}

#define PICK(v) pick((v), sizeof(v) / sizeof((v)[0]))

enum { NL_LF, NL_CRLF, NL_CR };
static const char *const nls[] = { "\n", "\r\n", "\r" };

/* A CSV text: header id,text,num,note and about 40 records. */
static void
gen_csv(struct buf *b, int nl, int bom)
{
	static const char *const words[] = { "alpha", "b", "Z\xc3\xbcrich",
		"\xe2\x82\xac" "uro", "\xf0\x9f\x98\x80x", "12.50", "-3", " sp ",
		"a b" };
	const char *e = nls[nl];
	int i, j, n = 30 + (int)rnd(20);

	if (bom)
		puts_(b, "\xef\xbb\xbf");
	putf(b, "id,text,num,note%s", e);
	for (i = 0; i < n; i++) {
		unsigned u = rnd(40);
		if (u == 0) {
			puts_(b, e);	/* a blank line */
			continue;
		}
		if (u == 1) {		/* ragged */
			putf(b, "r%d,x%s", i, e);
			continue;
		}
		if (u == 2) {		/* a quote in an unquoted field */
			putf(b, "q%d,a\"b,1,2%s", i, e);
			continue;
		}
		for (j = 0; j < 4; j++) {
			if (j > 0)
				puts_(b, ",");
			switch (rnd(9)) {
			case 0:
				break;
			case 1:
				puts_(b, "\"a,b\"");
				break;
			case 2:
				puts_(b, "\"say \"\"hi\"\"\"");
				break;
			case 3:
				putf(b, "\"l1%sl2\"", e);
				break;
			case 4:
				puts_(b, "\"\"");
				break;
			case 5:
				puts_(b, "\"\xc3\xa9, \xf0\x9f\x98\x80\"");
				break;
			case 6:
				putf(b, "\"p%s%sq,\"\"\"", e, e);
				break;
			default:
				puts_(b, PICK(words));
				break;
			}
		}
		if (i + 1 < n || rnd(2))
			puts_(b, e);
	}
}

/* A JSON lines text of about 40 lines. */
static void
gen_jsonl(struct buf *b, int nl, int bom)
{
	static const char *const keys[] = { "id", "s", "n", "b", "u" };
	static const char *const vals[] = {
		"\"q\\\"x\"", "\"back\\\\slash\"", "\"nl\\nx\\r\\t\"",
		"\"\\u00e9\\ud83d\\ude00\"", "\"Z\xc3\xbcrich \xf0\x9f\x98\x80\"",
		"\"\"", "12", "-0", "0.10", "25083.10", "1e5", "-1.5E-3", "true",
		"false", "null", "\"a,b\"", "\"{\\\"not\\\":1}\"", "\" 7 \"",
	};
	const char *e = nls[nl];
	int i, n = 30 + (int)rnd(20);
	unsigned j;

	if (bom)
		puts_(b, "\xef\xbb\xbf");
	for (i = 0; i < n; i++) {
		unsigned u = rnd(30), order[5] = { 0, 1, 2, 3, 4 }, k;
		if (u == 0 && i > 0)
			putf(b, "%s", e);		/* blank */
		else if (u == 1 && i > 0)
			putf(b, "  \t%s", e);		/* blanks only */
		else if (u == 2)
			putf(b, "{\"id\":%s", e);	/* invalid JSON */
		else if (u == 3 && i > 0)
			putf(b, "[1,\"x\"]%s", e);	/* not an object */
		else if (u == 4)
			putf(b, "{\"id\":1,\"id\":2}%s", e); /* duplicate */
		else {
			/* a random subset of the keys in a random order */
			for (j = 4; j > 0; j--) {
				unsigned t = rnd(j + 1), x = order[j];
				order[j] = order[t];
				order[t] = x;
			}
			k = 1 + rnd(5);
			/* (leading blanks: test_jsonl_leading_blanks) */
			puts_(b, i > 0 && rnd(4) == 0 ? " {" : "{");
			for (j = 0; j < k; j++)
				putf(b, "%s\"%s\":%s%s", j ? "," : "",
				    keys[order[j]], rnd(5) == 0 ? " " : "",
				    PICK(vals));
			putf(b, "}%s", i + 1 < n || rnd(2) ? e : "");
		}
	}
}

/*
 * Everything sp_reader_next reports for text, read `size` bytes at a time,
 * one line per call.
 */
static void
signature(const struct buf *text, int fmt, size_t size, struct buf *sig)
{
	sp_read_opts o;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	size_t i;
	int k;

	memset(&o, 0, sizeof(o));
	o.format = fmt;
	o.bufsize = size;
	sig->n = 0;
	puts_(sig, "");
	assert_non_null(rd = sp_reader_open_mem(text->p, text->n, "chunks", &o,
	    &e));
	do {
		k = sp_reader_next(rd, r, &e);
		putf(sig, "%d", k);
		if (k == 1 || k == -1) {
			putf(sig, " line %ld raw ", r->line);
			put_escaped(sig, r->raw, r->rawlen);
		}
		if (k < 0) {
			putf(sig, " error %s:%ld field '%s' ", e.file, e.line,
			    e.field);
			put_escaped(sig, e.msg, strlen(e.msg));
		}
		if (k == 1)
			for (i = 0; i < r->nslot; i++) {
				if (r->val[i] == NULL)
					continue;
				putf(sig, " %s=", sp_reader_slot_name(rd, (int)i));
				put_escaped(sig, r->val[i], r->len[i]);
				if (r->num[i])
					puts_(sig, "#");
			}
		puts_(sig, "\n");
	} while (k != 0 && k != -2);
	putf(sig, "format %d slots %zu\n", sp_reader_format(rd),
	    sp_reader_nslots(rd));
	sp_reader_close(rd);
	sp_rec_free(r);
}

/* Print the first line where a and b differ. */
static void
report(const char *what, unsigned seed, size_t size, const struct buf *want,
    const struct buf *got)
{
	size_t i = 0, line = 1, start = 0, ea, eb;

	while (i < want->n && i < got->n && want->p[i] == got->p[i]) {
		if (want->p[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	for (ea = start; ea < want->n && want->p[ea] != '\n'; ea++)
		;
	for (eb = start; eb < got->n && got->p[eb] != '\n'; eb++)
		;
	print_error("%s, seed %u, read size %zu: result %zu differs\n"
	    "  1 MiB: %.*s\n  %6zu: %.*s", what, seed, size, line,
	    (int)(ea - start), want->p + start, size, (int)(eb - start),
	    got->p + start);
	print_error("\n");
}

static void
check(const char *what, void (*gen)(struct buf *, int, int), int nl,
    int bom, int fmt)
{
	struct buf text = { 0 }, want = { 0 }, got = { 0 }, bad = { 0 };
	unsigned seed;
	size_t size;
	int nbad = 0;
	const char *vg = getenv("VALGRIND");
	unsigned nseeds = vg != NULL && strcmp(vg, "1") == 0 ? 2 : NSEEDS;

	for (seed = 1; seed <= nseeds; seed++) {
		rng = 0x9e3779b97f4a7c15ULL * seed;
		text.n = 0;
		gen(&text, nl, bom);
		signature(&text, fmt, 1 << 20, &want);
		/* the generator must have made records, not only errors */
		if (strncmp(want.p, "1 line", 6) != 0 &&
		    strstr(want.p, "\n1 line") == NULL)
			fail_msg("seed %u: no record read:\n%s", seed, want.p);
		for (size = 1; size <= MAXREAD; size++) {
			signature(&text, fmt, size, &got);
			if (got.n == want.n && memcmp(got.p, want.p, want.n) == 0)
				continue;
			/* the first difference in full, then only sizes */
			if (nbad++ == 0)
				report(what, seed, size, &want, &got);
			putf(&bad, " %u/%zu", seed, size);
		}
	}
	free(text.p);
	free(want.p);
	free(got.p);
	if (nbad > 0)
		print_error("%s: %d readings differ (seed/read size):%s\n",
		    what, nbad, bad.p);
	free(bad.p);
	if (nbad > 0)
		fail();
}

static void
test_csv_lf(void **state)
{
	(void)state;
	check("CSV, LF", gen_csv, NL_LF, 0, SP_FMT_AUTO);
}

static void
test_csv_crlf(void **state)
{
	(void)state;
	check("CSV, CRLF", gen_csv, NL_CRLF, 0, SP_FMT_AUTO);
}

static void
test_csv_forced(void **state)
{
	(void)state;
	check("CSV, LF, -i csv", gen_csv, NL_LF, 0, SP_FMT_CSV);
}

static void
test_csv_cr(void **state)
{
	(void)state;
	check("CSV, CR", gen_csv, NL_CR, 0, SP_FMT_AUTO);
}

static void
test_csv_bom(void **state)
{
	(void)state;
	check("CSV, BOM, CRLF", gen_csv, NL_CRLF, 1, SP_FMT_AUTO);
}

static void
test_jsonl_lf(void **state)
{
	(void)state;
	check("JSON lines, LF", gen_jsonl, NL_LF, 0, SP_FMT_AUTO);
}

static void
test_jsonl_crlf(void **state)
{
	(void)state;
	check("JSON lines, CRLF", gen_jsonl, NL_CRLF, 0, SP_FMT_JSONL);
}

static void
test_jsonl_bom(void **state)
{
	(void)state;
	check("JSON lines, BOM", gen_jsonl, NL_LF, 1, SP_FMT_AUTO);
}

/* Blank lines before the first object: detection must look past them. */
static void
gen_jsonl_blank_first(struct buf *b, int nl, int bom)
{
	putf(b, "%s   %s%s", nls[nl], nls[nl], nls[nl]);
	gen_jsonl(b, nl, bom);
}

static void
test_jsonl_leading_blanks(void **state)
{
	(void)state;
	check("JSON lines, leading blank lines", gen_jsonl_blank_first, NL_LF,
	    0, SP_FMT_AUTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_lf),
		cmocka_unit_test(test_csv_crlf),
		cmocka_unit_test(test_csv_forced),
		cmocka_unit_test(test_csv_cr),
		cmocka_unit_test(test_csv_bom),
		cmocka_unit_test(test_jsonl_lf),
		cmocka_unit_test(test_jsonl_crlf),
		cmocka_unit_test(test_jsonl_bom),
		cmocka_unit_test(test_jsonl_leading_blanks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
